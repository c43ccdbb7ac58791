"""A round's results (docs/domain.md §7) added up by the database: the same figures as a plain fold
of every answer in Python, for schools of two municipalities and in all, with the anonymity
threshold; the round's page prints each row's cells, the options' texts escaped.
"""

import datetime
import random

import pytest
from django.urls import reverse

from monitoring import surveys as svc
from monitoring.models import Question, Questionnaire, SurveyAnswer, SurveyResponse, SurveyRound
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
    rng = random.Random(7)
    # responses per school: 2 is under the threshold (its municipality and the region are not)
    sizes = {municipality: [5, 2, 9], other_municipality: [3, 4]}
    for place, counts in sizes.items():
        for n in counts:
            school = f.make_organization(municipality=place)
            for _ in range(n):
                response = SurveyResponse.objects.create(
                    round=survey_round, organization=school, role="mentor", answered_on=DAY
                )
                SurveyAnswer.objects.create(response=response, question=scale, value=rng.randint(1, 5))
                if rng.random() < 0.8:  # an optional answer left out now and then
                    SurveyAnswer.objects.create(response=response, question=other, value=rng.randint(1, 5))
                SurveyAnswer.objects.create(response=response, question=choice, value=rng.randint(1, 3))
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


def test_the_results_are_the_plain_fold_of_the_answers(answered_round, operator):
    results = svc.survey_round_results(user=operator, survey_round=answered_round)
    expected = folded(answered_round)
    groups = [*results["schools"], *results["municipalities"], results["total"]]
    assert len(results["schools"]) == 5 and len(results["municipalities"]) == 2
    for group in groups:
        figures = {
            pk: (r.responses, r.total, r.satisfied, r.counts)
            for pk, r in group.questions.items()
            if r.responses
        }
        assert figures == expected[(group.level, group.label)], group.label
        assert group.hidden == (group.responses < svc.MIN_ANONYMOUS_GROUP)
        assert group.cells == ([] if group.hidden else [group.result(q) for q in results["questions"]])
    assert sum(g.responses for g in results["schools"]) == results["total"].responses == 23


def test_the_round_page_prints_every_row(answered_round, operator, client_for):
    body = client_for(operator).get(reverse("monitoring:survey-round-detail", args=[answered_round.pk]))
    html = body.content.decode()
    results = body.context["results"]
    assert html.count('data-level="organization"') == 5
    assert html.count("Меньше 3 ответов: результаты не показываются") == 1
    assert "&lt;b&gt;Часто&lt;/b&gt;: " in html and "<b>Часто</b>" not in html
    total = results["total"]
    region_row = html.split('data-level="region"')[1]
    for r in total.cells:
        if r.question.kind == "scale":
            assert f'data-question="{r.question.pk}">{r.average}; 4–5: {r.satisfied_share}</td>' in region_row
