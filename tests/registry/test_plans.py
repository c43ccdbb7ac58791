"""The pair's individual plan (ИПН): filled, its tasks added and done from the pair's card.

docs/domain.md §4.1: progress is done ÷ (planned + done), cancelled tasks not counted; a task still
planned after its deadline is overdue; a deadline outside the pair's period is flagged, not refused.
"""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from registry import agreements, plans
from registry.models import MentoringPlan, PlanItem, PlanTemplate, PlanTemplateItem
from tests import factories as f
from tests.registry import factories_regional as fr

pytestmark = pytest.mark.django_db

START = datetime.date(2022, 9, 1)
END = datetime.date(2023, 5, 31)


@pytest.fixture
def pair(school):
    return f.make_mentorship(organization=school, start_date=START, planned_end_date=END)


@pytest.fixture
def methodist(school):
    return fr.make_methodist(person=f.make_person(organization=school, full_name="Смирнова Ольга Ивановна"))


def url(name, pair, *args):
    return reverse(f"registry:mentorship-{name}", args=[pair.pk, *args])


def card(client, pair):
    response = client.get(url("detail", pair))
    assert response.status_code == 200
    return response


# ---------------------------------------------------------------- the whole flow as the curator


def test_curator_fills_the_plan_adds_tasks_marks_one_done_and_sees_the_progress(
    client_for, curator, pair, methodist
):
    client = client_for(curator)
    body = card(client, pair).content.decode()
    assert "План наставничества не заполнен." in body and "Заполнить план" in body

    response = client.post(
        url("plan-edit", pair),
        {
            "deficits": "Планирование урока",
            "goals": "Самостоятельное ведение уроков",
            "support_hours": "36",
            "methodist": methodist.pk,
        },
    )
    assert response.status_code == 302 and response["Location"].endswith("#plan")
    plan = MentoringPlan.objects.get(mentorship=pair)
    assert (plan.support_hours, plan.methodist) == (36, methodist)

    tasks = [
        ("Изучить ООП школы", "2022-09-20"),
        ("Посетить 4 урока наставника", "2022-10-15"),
        ("Провести открытый урок", "2023-03-01"),
        ("Подготовить портфолио", "2023-05-20"),
        ("Выступить на педсовете", "2023-04-10"),
    ]
    for task, deadline in tasks:
        response = client.post(
            url("plan-item-add", pair),
            {"task": task, "deadline": deadline, "expected_result": "", "status": "planned"},
        )
        assert response.status_code == 302, response.context["form"].errors
    first = PlanItem.objects.get(task="Изучить ООП школы")
    response = client.post(
        url("plan-item-edit", pair, first.pk),
        {"task": first.task, "deadline": "2022-09-20", "status": "done", "done_on": "2022-09-18"},
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert (first.status, first.done_on) == ("done", datetime.date(2022, 9, 18))

    response = card(client, pair)
    body = response.content.decode()
    assert 'data-figure="plan-progress">1 из 5 (20\xa0%)<' in body
    assert "Изменить план" in body and "Добавить задачу" in body
    assert "Смирнова Ольга Ивановна" in body and "Планирование урока" in body
    # ordered by deadline, dates as 16.12.2022
    shown = [row.item.task for row in response.context["plan"].rows]
    assert shown == [t for t, _ in sorted(tasks, key=lambda t: t[1])]
    assert "20.09.2022" in body and "18.09.2022" in body
    # the four planned tasks of the school year 2022/23 are overdue today
    assert response.context["plan"].overdue == 4
    assert body.count('data-mark="overdue"') == 4


def test_progress_leaves_cancelled_tasks_out(pair):
    f.make_plan_item(pair, task="a", status="done", done_on=datetime.date(2022, 9, 10))
    f.make_plan_item(pair, task="b", status="done", done_on=datetime.date(2022, 9, 11))
    f.make_plan_item(pair, task="c", status="done", done_on=datetime.date(2022, 9, 12))
    f.make_plan_item(pair, task="d")
    f.make_plan_item(pair, task="e")
    f.make_plan_item(pair, task="f", status="cancelled")
    progress = MentoringPlan.objects.get(mentorship=pair).progress()
    assert (progress.done, progress.total, str(progress)) == (3, 5, "3 из 5 (60\xa0%)")
    assert str(plans.PlanProgress(0, 0)) == "нет задач"


def test_overdue_is_a_planned_task_past_its_deadline(pair):
    today = datetime.date(2022, 10, 1)
    late = f.make_plan_item(pair, deadline=datetime.date(2022, 9, 30))
    due_today = f.make_plan_item(pair, deadline=today)
    done = f.make_plan_item(pair, deadline=datetime.date(2022, 9, 1), status="done", done_on=today)
    cancelled = f.make_plan_item(pair, deadline=datetime.date(2022, 9, 1), status="cancelled")
    assert [i.is_overdue(today) for i in (late, due_today, done, cancelled)] == [True, False, False, False]
    assert plans.plan_card(mentorship=pair, today=today).overdue == 1


# ---------------------------------------------------------------- refusals and flags


def test_done_on_in_the_future_is_refused_naming_the_field(client_for, curator, pair):
    item = f.make_plan_item(pair)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = client_for(curator).post(
        url("plan-item-edit", pair, item.pk),
        {"task": item.task, "deadline": "2022-10-01", "status": "done", "done_on": tomorrow.isoformat()},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["done_on"] == [
        "«Дата выполнения» не может быть позже сегодняшнего дня."
    ]
    assert "«Дата выполнения» не может быть позже сегодняшнего дня." in response.content.decode()
    item.refresh_from_db()
    assert (item.status, item.done_on) == ("planned", None)


def test_the_services_refuse_what_the_forms_refuse(pair):
    plan = f.make_plan(pair)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(Exception) as error:
        plans.plan_item_add(plan=plan, task="x", deadline=START, status="done", done_on=tomorrow)
    assert "Дата выполнения" in str(error.value)
    with pytest.raises(Exception) as error:
        plans.plan_item_add(plan=plan, task="x", deadline=START, status="done")
    assert "Укажите дату выполнения задачи." in str(error.value)
    with pytest.raises(Exception) as error:
        plans.plan_item_add(plan=plan, task="x", deadline=START, done_on=START)
    assert "только у выполненной задачи" in str(error.value)
    assert not PlanItem.objects.exists()


def test_a_done_task_without_its_date_reshows_the_form_in_russian(client_for, curator, pair):
    f.make_plan(pair)
    response = client_for(curator).post(
        url("plan-item-add", pair), {"task": "Урок", "deadline": "2022-10-01", "status": "done"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["done_on"] == ["Укажите дату выполнения задачи."]
    response = client_for(curator).post(
        url("plan-edit", pair), {"deficits": "", "goals": "", "support_hours": "0"}
    )
    errors = response.context["form"].errors
    assert errors["deficits"] == ["Обязательное поле."]
    assert errors["support_hours"] == ["Объём сопровождения — положительное число часов."]


def test_a_methodist_of_another_region_is_refused(client_for, curator, pair):
    elsewhere = f.make_organization(municipality=f.make_municipality(region=f.make_region(name="Другая")))
    stranger = fr.make_methodist(person=f.make_person(organization=elsewhere))
    response = client_for(curator).post(
        url("plan-edit", pair), {"deficits": "a", "goals": "b", "methodist": stranger.pk}
    )
    assert response.status_code == 200 and "methodist" in response.context["form"].errors
    with pytest.raises(Exception) as error:
        plans.plan_save(mentorship=pair, deficits="a", goals="b", methodist=stranger)
    assert "Методист из реестра другого региона." in str(error.value)
    assert not MentoringPlan.objects.exists()


def test_a_deadline_outside_the_pairs_period_is_flagged_not_refused(client_for, curator, pair):
    f.make_plan(pair)
    for task, deadline in (("до начала", "2022-08-20"), ("в срок", "2022-12-01"), ("после", "2023-06-15")):
        response = client_for(curator).post(
            url("plan-item-add", pair), {"task": task, "deadline": deadline, "status": "planned"}
        )
        assert response.status_code == 302
    response = card(client_for(curator), pair)
    flagged = {row.item.task: row.outside_period for row in response.context["plan"].rows}
    assert flagged == {"до начала": True, "в срок": False, "после": True}
    assert response.content.decode().count("Срок вне периода наставничества пары") == 2


def test_a_curator_of_another_school_gets_404_on_every_new_url(client_for, other_curator, pair):
    item = f.make_plan_item(pair)
    client = client_for(other_curator)
    for target in (url("plan-edit", pair), url("plan-item-add", pair), url("plan-item-edit", pair, item.pk)):
        assert client.get(target).status_code == 404, target
        assert client.post(target, {"task": "x", "deficits": "x", "goals": "x"}).status_code == 404, target
    assert PlanItem.objects.count() == 1 and MentoringPlan.objects.get().deficits != "x"


def test_an_item_of_another_pair_is_not_found_under_this_pair(client_for, curator, school, pair):
    other_pair = f.make_mentorship(organization=school)
    item = f.make_plan_item(other_pair)
    assert client_for(curator).get(url("plan-item-edit", pair, item.pk)).status_code == 404


def test_a_coordinator_reads_the_plan_and_gets_403_on_writes(client_for, coordinator, pair):
    item = f.make_plan_item(pair)
    client = client_for(coordinator)
    body = card(client, pair).content.decode()
    assert "План наставничества" in body and item.task in body
    assert "Изменить план" not in body and "Добавить задачу" not in body
    for target in (url("plan-edit", pair), url("plan-item-add", pair), url("plan-item-edit", pair, item.pk)):
        assert client.get(target).status_code == 403, target
        assert client.post(target, {"task": "x", "deficits": "x", "goals": "x"}).status_code == 403, target
    item.refresh_from_db()
    assert item.task != "x"


def test_adding_a_task_before_the_plan_is_filled_sends_to_the_plan(client_for, curator, pair):
    response = client_for(curator).get(url("plan-item-add", pair))
    assert response.status_code == 302 and response["Location"] == url("plan-edit", pair)


# ---------------------------------------------------------------- history and query count


def test_history_rows_are_recorded_for_plan_and_task_changes(client_for, curator, pair):
    client = client_for(curator)
    client.post(url("plan-edit", pair), {"deficits": "a", "goals": "b"})
    client.post(url("plan-edit", pair), {"deficits": "a", "goals": "b, уточнено"})
    client.post(url("plan-edit", pair), {"deficits": "a", "goals": "b, уточнено"})  # no change, no row
    plan = MentoringPlan.objects.get(mentorship=pair)
    assert [h.history_type for h in plan.history.order_by("history_id")] == ["+", "~"]
    assert plan.history.latest().history_user == curator
    client.post(url("plan-item-add", pair), {"task": "Урок", "deadline": "2022-10-01", "status": "planned"})
    item = PlanItem.objects.get()
    client.post(
        url("plan-item-edit", pair, item.pk),
        {"task": "Урок", "deadline": "2022-10-01", "status": "done", "done_on": "2022-09-30"},
    )
    rows = list(item.history.order_by("history_id").values_list("history_type", "status", "history_user"))
    assert rows == [("+", "planned", curator.pk), ("~", "done", curator.pk)]


def test_the_cards_query_count_does_not_grow_with_the_plan(
    client_for, curator, pair, methodist, django_assert_max_num_queries, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(curator)
    card(client, pair)  # warm up (sessions, content types)
    with CaptureQueriesContext(connection) as without_plan:
        card(client, pair)
    # «Заполнить из шаблона»: the region's templates are one query, however many there are
    for k in range(3):
        template = PlanTemplate.objects.create(
            region=pair.organization.municipality.region,
            mentoring_form=pair.mentoring_form,
            title=f"Шаблон {k}",
            deficits="д",
            goals="ц",
        )
        PlanTemplateItem.objects.create(template=template, task="Задача", deadline_days=10)
    with CaptureQueriesContext(connection) as with_templates:
        assert len(card(client, pair).context["plan_templates"]) == 3
    assert len(with_templates) == len(without_plan)
    f.make_plan(pair, methodist=methodist)
    first = f.make_plan_item(pair, task="первая")
    f.make_meeting(pair, plan_items=[first])  # the meetings and their tasks: docs/domain.md §4.2
    with CaptureQueriesContext(connection) as one_task:
        card(client, pair)
    for k in range(8):
        done = f.make_plan_item(
            pair, task=f"задача {k}", status="done", done_on=datetime.date(2022, 9, 2 + k)
        )
        f.make_meeting(pair, date=datetime.date(2022, 9, 2 + k), plan_items=[done, first])
    # the pair, its links, its history, the plan and its tasks, the meetings and their tasks
    # (+ session, user, scope, access log)
    with django_assert_max_num_queries(16), CaptureQueriesContext(connection) as many_tasks:
        response = card(client, pair)
    assert len(response.context["plan"].rows) == 9 and len(response.context["meetings"]) == 9
    assert len(many_tasks) == len(one_task) <= len(without_plan) + 2
    # The agreement's links, its upload form and a signed scan add no query either.
    agreements.mentorship_agreement_upload(
        mentorship=pair, file=SimpleUploadedFile("скан.pdf", b"%PDF-1.4\n%%EOF\n"), signed_on=START
    )
    with CaptureQueriesContext(connection) as with_scan:
        body = card(client, pair).content.decode()
    assert "Соглашение подписано 01.09.2022" in body and "Соглашение (PDF)" in body
    assert len(with_scan) == len(many_tasks)
    # The pair's own mentor (its own account) reads the same card with the same queries.
    connection.queries_log.clear()  # the log is a bounded deque: measure from empty
    with CaptureQueriesContext(connection) as as_curator:
        card(client, pair)
    mentor = f.make_user("mentor-of-the-pair", role="mentor", person=pair.mentor_person)
    mentor_client = client_for(mentor)
    card(mentor_client, pair)  # warm up (its session)
    connection.queries_log.clear()
    with django_assert_max_num_queries(16), CaptureQueriesContext(connection) as as_mentor:
        body = card(mentor_client, pair).content.decode()
    assert "скан подписанного соглашения" not in body and "Добавить задачу" in body
    assert 0 < len(as_mentor) == len(as_curator)
