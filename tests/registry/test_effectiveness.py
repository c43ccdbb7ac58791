"""The pair's effectiveness recorded at completion (docs/domain.md §4): stored fields, not text.

The plan's done and planned + done tasks are copied when the pair is completed (0 of 0 without a
plan), «цель достигнута» is required, the mentee's own assessment is 1–5 and optional.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from registry import services
from registry.models import PAIR_ALERTS, Mentorship
from tests import factories as f

pytestmark = pytest.mark.django_db

START = datetime.date(2022, 9, 1)
END = datetime.date(2023, 5, 31)


@pytest.fixture
def pair(school):
    return f.make_mentorship(organization=school, start_date=START, planned_end_date=END)


def url(name, pair):
    return reverse(f"registry:mentorship-{name}", args=[pair.pk])


def plan_of_five(pair, done=4):
    """Five counted tasks, ``done`` of them done, and one cancelled that does not count."""
    for k in range(5):
        if k < done:
            f.make_plan_item(pair, task=f"задача {k}", status="done", done_on=datetime.date(2022, 9, 2 + k))
        else:
            f.make_plan_item(pair, task=f"задача {k}")
    f.make_plan_item(pair, task="отменённая", status="cancelled")


def complete(client, pair, **data):
    data = {"end_date": "2023-05-31", "result": "Аттестован", "goal_reached": "yes", **data}
    return client.post(url("complete", pair), {**data, "version": pair.version})


def test_completion_stores_the_plans_figures_goal_and_assessment_shown_on_the_card(client_for, curator, pair):
    plan_of_five(pair)
    client = client_for(curator)
    body = client.get(url("complete", pair)).content.decode()
    assert "4 из 5 (80\xa0%)" in body and "Цель достигнута" in body
    response = complete(client, pair, mentee_assessment="5", effect_comment="Уверенно ведёт уроки")
    assert response.status_code == 302
    pair.refresh_from_db()
    assert (pair.plan_items_done, pair.plan_items_total, pair.goal_reached, pair.mentee_assessment) == (
        4,
        5,
        "yes",
        5,
    )
    assert pair.result == "Аттестован" and pair.effect_comment == "Уверенно ведёт уроки"
    body = client.get(url("detail", pair)).content.decode()
    assert "Результативность" in body
    assert "задачи плана 4 из 5 (80\xa0%), цель достигнута, самооценка наставляемого 5 из 5" in body
    # a task done after the completion does not change what was recorded
    item = pair.plan.items.filter(status="planned").get()
    item.status, item.done_on = "done", END
    item.save()
    pair.refresh_from_db()
    assert (pair.plan_items_done, pair.plan_items_total) == (4, 5)


def test_without_a_plan_zero_of_zero_is_stored(client_for, curator, pair):
    assert complete(client_for(curator), pair, goal_reached="partly").status_code == 302
    pair.refresh_from_db()
    assert (pair.plan_items_done, pair.plan_items_total, pair.mentee_assessment) == (0, 0, None)
    assert pair.effectiveness == "задач плана не было, цель достигнута частично"


def test_the_goal_is_required(client_for, curator, pair):
    response = complete(client_for(curator), pair, goal_reached="")
    assert response.status_code == 200 and "Обязательное поле." in response.content.decode()
    pair.refresh_from_db()
    assert pair.status == "active" and pair.goal_reached == ""
    with pytest.raises(ValidationError) as error:
        services.mentorship_complete(mentorship=pair, end_date=END, result="Итог", goal_reached="")
    assert error.value.message_dict == {"goal_reached": [services.GOAL_REQUIRED]}


@pytest.mark.parametrize("value", ["0", "6", "пять"])
def test_the_assessment_is_one_to_five(client_for, curator, pair, value):
    response = complete(client_for(curator), pair, mentee_assessment=value)
    assert response.status_code == 200
    pair.refresh_from_db()
    assert pair.status == "active" and pair.mentee_assessment is None


def test_the_service_and_the_database_refuse_an_assessment_out_of_range(pair):
    with pytest.raises(ValidationError) as error:
        services.mentorship_complete(
            mentorship=pair, end_date=END, result="Итог", goal_reached="no", mentee_assessment=7
        )
    assert "mentee_assessment" in error.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        Mentorship.objects.filter(pk=pair.pk).update(mentee_assessment=0)


def test_history_keeps_the_effectiveness(client_for, curator, pair):
    plan_of_five(pair, done=2)
    complete(client_for(curator), pair, goal_reached="no", mentee_assessment="3")
    last = pair.history.latest()
    assert (last.status, last.plan_items_done, last.plan_items_total, last.goal_reached) == (
        "completed",
        2,
        5,
        "no",
    )
    assert last.mentee_assessment == 3 and last.history_user == curator


def test_alerts_are_unaffected(client_for, curator, pair, school):
    """A pair completed with its effectiveness is in the same alerts as one completed without it."""
    today = datetime.date(2023, 6, 1)
    plain = f.make_mentorship(organization=school, start_date=START)
    services.mentorship_transition(mentorship=plain, status="completed", end_date=END, result="Аттестован")
    without_result = f.make_mentorship(organization=school, start_date=START)
    services.mentorship_transition(mentorship=without_result, status="completed", end_date=END)
    plan_of_five(pair)
    complete(client_for(curator), pair, mentee_assessment="4")
    pair.refresh_from_db()
    for code in PAIR_ALERTS:
        found = set(Mentorship.objects.alert(code, today).values_list("pk", flat=True))
        assert (pair.pk in found) == (plain.pk in found), code
    assert without_result.pk in Mentorship.objects.alert("no_result", today).values_list("pk", flat=True)
