"""A round's results (docs/domain.md §7): stored when it closes, read from the stored rows, and the same
figures as the live count of an open round and as a plain fold of every answer in Python, for the
schools of two municipalities and in all, in every role's scope, with the anonymity threshold.
Closing writes the rows in its transaction; they stay when a person's data are destroyed and go
with the round; F5/F6 from them equal the count from the links. The round's page lists the
municipalities, one municipality's schools on its link, with the same queries whatever the schools.
"""

import datetime
import random
import uuid

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from monitoring import surveys as svc
from monitoring.models import (
    Question,
    Questionnaire,
    SurveyAnswer,
    SurveyAnswerCount,
    SurveyInvitation,
    SurveyResponse,
    SurveyRound,
    SurveySchoolResult,
)
from tests import factories as f

pytestmark = pytest.mark.django_db

DAY = datetime.date(2025, 2, 10)


@pytest.fixture
def answered_round(region, municipality, other_municipality):
    q = Questionnaire.objects.create(region=region, title="Опрос", audience="mentors", anonymous=True)
    scale = Question.objects.create(
        questionnaire=q, order=1, text="Оценка", kind="scale", counts_satisfaction=True
    )
    other = Question.objects.create(questionnaire=q, order=2, text="Взаимодействие", kind="scale")
    choice = Question.objects.create(
        questionnaire=q, order=3, text="Частота", kind="choice", choices=["<b>Часто</b>", "Иногда", "Редко"]
    )
    Question.objects.create(questionnaire=q, order=4, text="Что улучшить?", kind="text", required=False)
    survey_round = SurveyRound.objects.create(
        questionnaire=q,
        region=region,
        title="Опрос, февраль",
        period_start=DAY,
        period_end=DAY,
        status=SurveyRound.Status.CLOSED,
        opened_on=DAY,
        closed_on=DAY,
        token_key="k",
    )
    survey_round.municipalities.set([municipality, other_municipality])
    rng = random.Random(7)
    # responses per school: 2 is under the threshold (its municipality and the region are not)
    sizes = {municipality: [5, 2, 9], other_municipality: [3, 4]}
    for place, counts in sizes.items():
        for n in counts:
            school = f.make_organization(municipality=place)
            survey_round.organizations.add(school)
            for answered in [*[DAY] * n, None]:  # every school has one link left unanswered
                SurveyInvitation.objects.create(
                    round=survey_round,
                    organization=school,
                    role="mentor",
                    token_hash=uuid.uuid4().hex,
                    expires_on=DAY,
                    answered_on=answered,
                )
            for _ in range(n):
                response = SurveyResponse.objects.create(
                    round=survey_round, organization=school, role="mentor", answered_on=DAY
                )
                SurveyAnswer.objects.create(response=response, question=scale, value=rng.randint(1, 5))
                if rng.random() < 0.8:  # an optional answer left out now and then
                    SurveyAnswer.objects.create(response=response, question=other, value=rng.randint(1, 5))
                SurveyAnswer.objects.create(response=response, question=choice, value=rng.randint(1, 3))
    svc.survey_round_store_results(survey_round=survey_round)  # closed: its results are read as stored
    return survey_round


def folded(survey_round):
    """{(level, label): {question id: (responses, total, satisfied, counts)}}, one answer at a time."""
    out: dict = {}
    for answer in SurveyAnswer.objects.filter(
        response__round=survey_round, value__isnull=False
    ).select_related("response__organization__municipality", "question"):
        school = answer.response.organization
        for key in (
            ("organization", school.full_name),
            ("municipality", school.municipality.name),
            ("region", "Всего"),
        ):
            responses, total, satisfied, counts = out.setdefault(key, {}).get(
                answer.question_id, (0, 0, 0, {})
            )
            if answer.question.kind == "scale":
                total += answer.value
                satisfied += answer.value >= Question.SATISFIED_FROM
            else:
                counts = {**counts, answer.value: counts.get(answer.value, 0) + 1}
            out[key][answer.question_id] = (responses + 1, total, satisfied, counts)
    return out


def every_group(user, survey_round):
    """The groups of the round's page for ``user``: the municipalities and the total, and the schools
    of each municipality as its drill-down lists them (whose own municipality row is the same)."""
    results = svc.survey_round_results(user=user, survey_round=survey_round)
    schools = []
    for group in results["municipalities"]:
        drilled = svc.survey_round_results(user=user, survey_round=survey_round, municipality=group.key)
        assert [g.key for g in drilled["municipalities"]] == [group.key] and drilled["chosen"] is not None
        assert figures([drilled["chosen"]]) == figures([group])
        schools += drilled["schools"]
    return results, [*schools, *results["municipalities"], results["total"]]


def figures(groups):
    return {
        (g.level, g.label): (
            g.responses,
            g.hidden,
            {
                pk: (r.responses, r.total, r.satisfied, r.counts)
                for pk, r in g.questions.items()
                if r.responses
            },
        )
        for g in groups
    }


@pytest.mark.parametrize("status", [SurveyRound.Status.CLOSED, SurveyRound.Status.OPEN])
def test_the_results_are_the_plain_fold_of_the_answers(answered_round, operator, status):
    """Closed: read from the stored rows; open (the same answers): counted live. Both are the fold."""
    answered_round.status = status
    results, groups = every_group(operator, answered_round)
    expected = folded(answered_round)
    assert len(groups) == 5 + 2 + 1 and len(results["municipalities"]) == 2
    assert results["schools"] == [] and results["chosen"] is None  # the operator picks a municipality
    for group in groups:
        figures = {
            pk: (r.responses, r.total, r.satisfied, r.counts)
            for pk, r in group.questions.items()
            if r.responses
        }
        assert figures == expected[(group.level, group.label)], group.label
        assert group.hidden == (group.responses < svc.MIN_ANONYMOUS_GROUP)
        assert group.cells == ([] if group.hidden else [group.result(q) for q in results["questions"]])
    assert sum(g.responses for g in groups if g.level == "organization") == results["total"].responses == 23


def test_the_round_page_lists_municipalities_and_one_municipalitys_schools(
    answered_round, operator, client_for, municipality
):
    client = client_for(operator)
    url = reverse("monitoring:survey-round-detail", args=[answered_round.pk])
    html = client.get(url).content.decode()
    assert html.count('data-level="organization"') == 0 and html.count('data-level="municipality"') == 2
    assert f'href="?municipality={municipality.code}#results"' in html
    assert "&lt;b&gt;Часто&lt;/b&gt;: " in html and "<b>Часто</b>" not in html

    body = client.get(url, {"municipality": municipality.code})
    html = body.content.decode()
    results = body.context["results"]
    assert html.count('data-level="organization"') == 3 and html.count('data-level="municipality"') == 1
    assert results["chosen"].label == municipality.name and results["chosen"].responses == 16
    assert html.count("Меньше 3 ответов: результаты не показываются") == 1
    assert f'data-crumb="round">{answered_round.title}</a> › {municipality.name}' in html
    assert 'data-level="region"' not in html  # the total is on the region's page
    body = client.get(url)
    html = body.content.decode()
    region_row = html.split('data-level="region"')[1]
    assert "<th>Всего</th><td>23</td>" in region_row
    for r in body.context["results"]["total"].cells:
        if r.question.kind == "scale":
            assert f'data-question="{r.question.pk}">{r.average}; 4–5: {r.satisfied_share}</td>' in region_row
    for hostile in ("нет-такого", "\x00", "я" * 3000, "12345678901234567890", "-1"):
        assert client.get(url, {"municipality": hostile}).status_code == 404


def test_stored_and_live_are_equal_in_every_scope(answered_round, operator, coordinator, other_coordinator):
    """The coordinator sees their municipality's schools directly; the other coordinator theirs; a
    school's curator their school: the same figures from the stored rows as from the answers."""
    school = SurveySchoolResult.objects.filter(round=answered_round).order_by("organization").first()
    curator = f.make_user("curator5", role="curator", organization=school.organization)
    seen = {}
    for user in (operator, coordinator, other_coordinator, curator):
        answered_round.status = SurveyRound.Status.CLOSED
        stored = figures(every_group(user, answered_round)[1])
        direct = svc.survey_round_results(user=user, survey_round=answered_round)
        answered_round.status = SurveyRound.Status.OPEN
        assert figures(every_group(user, answered_round)[1]) == stored, user
        seen[user] = direct
    assert {g.label for g in seen[coordinator]["municipalities"]} == {coordinator.scope.municipality.name}
    assert seen[coordinator]["chosen"].label == coordinator.scope.municipality.name
    assert len(seen[coordinator]["schools"]) == 3 and len(seen[other_coordinator]["schools"]) == 2
    assert [g.label for g in seen[curator]["schools"]] == [school.organization.full_name]
    assert seen[curator]["total"].responses == school.responses
    answered_round.status = SurveyRound.Status.CLOSED
    rates = {user: svc.survey_round_rate(user=user, survey_round=answered_round) for user in seen}
    assert (rates[operator].answered, rates[operator].invited) == (23, 28)
    assert (rates[coordinator].answered, rates[coordinator].invited) == (16, 19)
    assert (rates[curator].answered, rates[curator].invited) == (school.responses, school.responses + 1)


def test_the_page_answers_each_role_in_its_scope(
    answered_round, coordinator, other_coordinator, other_municipality, municipality, client_for
):
    url = reverse("monitoring:survey-round-detail", args=[answered_round.pk])
    html = client_for(coordinator).get(url).content.decode()
    assert html.count('data-level="organization"') == 3 and "data-crumb" not in html
    # another municipality's code: out of the coordinator's scope, 404
    assert client_for(coordinator).get(url, {"municipality": other_municipality.code}).status_code == 404
    html = client_for(other_coordinator).get(url).content.decode()
    assert html.count('data-level="organization"') == 2 and municipality.name not in html


def test_the_round_page_makes_the_same_queries_whatever_the_schools(
    answered_round, operator, client_for, municipality, django_assert_max_num_queries
):
    client = client_for(operator)
    url = reverse("monitoring:survey-round-detail", args=[answered_round.pk])
    client.get(url)

    def counted(params):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, params).status_code == 200
        return len(captured)

    before = counted({}), counted({"municipality": municipality.code})
    for _ in range(12):
        school = f.make_organization(municipality=municipality)
        response = SurveyResponse.objects.create(
            round=answered_round, organization=school, role="mentor", answered_on=DAY
        )
        question = answered_round.questionnaire.questions.get(order=1)
        SurveyAnswer.objects.create(response=response, question=question, value=4)
    svc.survey_round_store_results(survey_round=answered_round)
    assert (counted({}), counted({"municipality": municipality.code})) == before
    with django_assert_max_num_queries(before[1]):
        html = client.get(url, {"municipality": municipality.code}).content.decode()
    assert html.count('data-level="organization"') == 15


def stored_rows(survey_round):
    return (
        sorted(
            SurveySchoolResult.objects.filter(round=survey_round).values_list(
                "organization", "municipality", "role", "invited", "answered", "responses"
            )
        ),
        sorted(
            SurveyAnswerCount.objects.filter(round=survey_round).values_list(
                "organization", "municipality", "question", "value", "answers"
            )
        ),
    )


def test_closing_stores_the_results_in_the_same_transaction(answered_round, operator, monkeypatch):
    expected = stored_rows(answered_round)
    SurveyRound.objects.filter(pk=answered_round.pk).update(status=SurveyRound.Status.OPEN, closed_on=None)
    SurveySchoolResult.objects.filter(round=answered_round).delete()
    SurveyAnswerCount.objects.filter(round=answered_round).delete()
    write = SurveyAnswerCount.objects.bulk_create

    def fails_after_writing(*args, **kwargs):
        write(*args, **kwargs)
        raise IntegrityError("the disk is full")

    monkeypatch.setattr(SurveyAnswerCount.objects, "bulk_create", fails_after_writing)
    with pytest.raises(IntegrityError):
        svc.survey_round_close(user=operator, survey_round=answered_round, today=DAY)
    answered_round.refresh_from_db()
    assert answered_round.status == SurveyRound.Status.OPEN and answered_round.closed_on is None
    assert stored_rows(answered_round) == ([], [])
    monkeypatch.undo()

    svc.survey_round_close(user=operator, survey_round=answered_round, today=DAY)
    answered_round.refresh_from_db()
    assert answered_round.status == SurveyRound.Status.CLOSED
    assert stored_rows(answered_round) == expected and len(expected[0]) == 5
    # deleted with the round
    SurveyResponse.objects.filter(round=answered_round).delete()
    answered_round.delete()
    assert not SurveySchoolResult.objects.exists() and not SurveyAnswerCount.objects.exists()


def test_destroying_a_persons_data_keeps_the_stored_sums(answered_round, operator, municipality):
    """The sums name nobody and the answers they count stay (unlinked from the person): unchanged."""
    person = f.make_person(organization=f.make_organization(municipality=municipality))
    response = SurveyResponse.objects.filter(round=answered_round).order_by("pk").first()
    SurveyResponse.objects.filter(pk=response.pk).update(person=person)
    SurveyInvitation.objects.filter(round=answered_round, answered_on__isnull=True).update(person=None)
    before = stored_rows(answered_round)
    assert svc.survey_person_forget(person=person) >= 1
    assert stored_rows(answered_round) == before
    svc.survey_round_store_results(survey_round=answered_round)  # counted again: the same
    assert stored_rows(answered_round) == before


def live_figures(organizations, period):
    """F5/F6 as counted from the links and responses before the results were stored."""
    start, end = period
    covered = (
        SurveyInvitation.objects.filter(
            organization__in=organizations,
            round__status="closed",
            round__period_start__lte=end,
            round__period_end__gte=start,
        )
        .values_list("organization", "role", "round", "round__period_end")
        .distinct()
    )
    latest = {}
    for organization, role, round_id, period_end in covered:
        if (organization, role) not in latest or (period_end, round_id) > latest[(organization, role)]:
            latest[(organization, role)] = (period_end, round_id)
    result = {}
    for (organization, role), (_end, round_id) in latest.items():
        responses = SurveyResponse.objects.filter(round=round_id, organization=organization, role=role)
        satisfied = responses.filter(
            answers__question__counts_satisfaction=True, answers__value__gte=Question.SATISFIED_FROM
        ).distinct()
        result[(organization, f"{role}s_surveyed")] = responses.count()
        result[(organization, f"{role}s_satisfied")] = satisfied.count()
    return result


def test_f5_f6_from_the_stored_results_equal_the_live_count(answered_round, municipality):
    outside = f.make_organization(municipality=municipality)  # no link: absent from the figures
    organizations = [*answered_round.organizations.all(), outside]
    period = (DAY - datetime.timedelta(days=30), DAY)
    stored = svc.survey_figures(organizations=organizations, period=period)
    assert stored == live_figures(organizations, period)
    assert len(stored) == 10 and sum(v for (_, code), v in stored.items() if code.endswith("surveyed")) == 23
    assert svc.survey_figures(organizations=organizations, period=(DAY, DAY)) == stored
    late = (DAY + datetime.timedelta(days=1), DAY + datetime.timedelta(days=9))
    assert svc.survey_figures(organizations=organizations, period=late) == {}
