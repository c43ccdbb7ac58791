"""The operator keeps the region's questionnaires in the portal (docs/domain.md §7).

An operator creates a questionnaire with a scale, a choice and a text question from the pages, and
a round uses it; reorders and deletes questions; once a round of it has answers (or is open) its
questions, audience and anonymity cannot change: refused with a Russian message, nothing written,
and «Копировать» gives a new version to change. Bad input names the question and the field. Another
region's operator gets 404; the region's coordinator and curator read, and get 403 on writes.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from monitoring import questionnaires as qsvc
from monitoring import surveys as svc
from monitoring.models import Question, Questionnaire, SurveyInvitation, SurveyRound
from tests import factories as f

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


def url(name, q=None):
    return reverse(f"monitoring:questionnaire-{name}", args=[q.pk] if q else [])


def formset_data(rows, *, initial=0):
    """POST data of the page of questions: ``rows`` are dicts of the form's fields."""
    data = {
        "questions-TOTAL_FORMS": str(len(rows)),
        "questions-INITIAL_FORMS": str(initial),
        "questions-MIN_NUM_FORMS": "0",
        "questions-MAX_NUM_FORMS": "60",
    }
    for i, row in enumerate(rows):
        for name, value in row.items():
            if value is True:
                value = "on"
            if value is False or value is None:
                continue
            data[f"questions-{i}-{name}"] = str(value)
    return data


THREE = [
    {
        "order": 1,
        "text": "Насколько вы удовлетворены наставничеством?",
        "kind": "scale",
        "required": True,
        "counts_satisfaction": True,
    },
    {
        "order": 2,
        "text": "Как часто вы встречаетесь?",
        "kind": "choice",
        "choices": "Каждую неделю\nРаз в месяц\n",
        "required": True,
    },
    {"order": 3, "text": "Что улучшить?", "kind": "text"},
]


def rows_of(q):
    return [
        (x.order, x.text, x.kind, x.choices, x.required, x.counts_satisfaction)
        for x in q.questions.order_by("order")
    ]


def existing_rows(q):
    return [
        {
            "pk": x.pk,
            "order": x.order,
            "text": x.text,
            "kind": x.kind,
            "choices": "\n".join(x.choices),
            "required": x.required,
            "counts_satisfaction": x.counts_satisfaction,
        }
        for x in q.questions.order_by("order")
    ]


def create_by_pages(client, title="Удовлетворённость наставляемых"):
    response = client.post(url("create"), {"title": title, "audience": "mentees", "anonymous": "on"})
    assert response.status_code == 302, response.content.decode()
    q = Questionnaire.objects.get(title=title)
    assert response["Location"] == url("questions", q)
    response = client.post(url("questions", q), formset_data(THREE))
    assert response.status_code == 302, response.content.decode()
    return q


def test_operator_creates_a_questionnaire_with_three_kinds_of_questions_and_a_round_uses_it(
    client_for, operator, region, school
):
    client = client_for(operator)
    assert client.get(url("create")).status_code == 200
    q = create_by_pages(client)
    assert (q.region, q.audience, q.anonymous) == (region, "mentees", True)
    assert rows_of(q) == [
        (1, "Насколько вы удовлетворены наставничеством?", "scale", [], True, True),
        (2, "Как часто вы встречаетесь?", "choice", ["Каждую неделю", "Раз в месяц"], True, False),
        (3, "Что улучшить?", "text", [], False, False),
    ]
    # history with the user, as every change
    assert q.history.get().history_user == operator
    assert {h.history_user for h in Question.history.filter(questionnaire_id=q.pk)} == {operator}
    body = client.get(url("detail", q)).content.decode()
    assert "Раз в месяц" in body and "Копировать" in body and "Изменить вопросы" in body

    # a round of the region uses it (the page offers it)
    response = client.post(
        reverse("monitoring:survey-round-create"),
        {
            "questionnaire": q.pk,
            "period_start": (TODAY - DAY).strftime("%d.%m.%Y"),
            "period_end": (TODAY + 9 * DAY).strftime("%d.%m.%Y"),
        },
    )
    assert response.status_code == 302
    assert SurveyRound.objects.get().questionnaire == q


def test_questions_are_reordered_changed_and_deleted_and_the_satisfaction_flag_moves(client_for, operator):
    client = client_for(operator)
    q = create_by_pages(client)
    rows = existing_rows(q)
    scale, choice, text = rows
    text["order"], scale["order"] = 1, 3  # the text question first, the scale last
    choice["DELETE"] = True
    scale["counts_satisfaction"] = False
    new = {
        "order": 2,
        "text": "Оцените встречи",
        "kind": "scale",
        "required": True,
        "counts_satisfaction": True,
    }
    response = client.post(url("questions", q), formset_data([scale, choice, text, new], initial=3))
    assert response.status_code == 302, response.content.decode()
    assert rows_of(q) == [
        (1, "Что улучшить?", "text", [], False, False),
        (2, "Оцените встречи", "scale", [], True, True),
        (3, "Насколько вы удовлетворены наставничеством?", "scale", [], True, False),
    ]
    assert not Question.objects.filter(pk=choice["pk"]).exists()
    assert Question.history.filter(id=choice["pk"], history_type="-").get().history_user == operator


def _answered_round(operator, q, school):
    people = [f.make_person(organization=school, teaching_experience=1) for _ in range(2)]
    f.make_mentorship(organization=school, mentees=people)
    survey_round = svc.survey_round_create(
        user=operator,
        questionnaire=q,
        organization=school,
        period_start=TODAY - DAY,
        period_end=TODAY + 9 * DAY,
    )
    survey_round = svc.survey_round_open(user=operator, survey_round=survey_round)
    invitation = SurveyInvitation.objects.filter(round=survey_round).first()
    token = svc.invitation_token(invitation=invitation, token_key=survey_round.token_key)
    scale, choice, text = q.questions.order_by("order")
    svc.survey_answer(token=token, answers={str(scale.pk): "5", str(choice.pk): "2", str(text.pk): ""})
    return survey_round


def test_a_used_questionnaire_refuses_changes_to_its_questions_and_a_copy_can_be_changed(
    client_for, operator, school
):
    client = client_for(operator)
    q = create_by_pages(client)
    _answered_round(operator, q, school)
    before = rows_of(q)
    history = Question.history.count(), Questionnaire.history.count()

    rows = existing_rows(q)
    rows[1]["choices"] = "Часто\nРедко\nНикогда"
    rows[2]["DELETE"] = True
    response = client.post(url("questions", q), formset_data(rows, initial=3))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Анкета уже используется в опросе, на который получены ответы" in body
    assert "Копировать" in body
    # audience and anonymity are frozen too; the title is not
    response = client.post(url("edit", q), {"title": q.title, "audience": "mentors", "anonymous": "on"})
    assert response.status_code == 200
    assert "вопросы, круг опрашиваемых и анонимность менять нельзя" in response.content.decode()
    assert rows_of(q) == before
    assert (Question.history.count(), Questionnaire.history.count()) == history
    q.refresh_from_db()
    assert q.audience == "mentees"
    response = client.post(url("edit", q), {"title": "Анкета 2025", "audience": "mentees", "anonymous": "on"})
    assert response.status_code == 302
    q.refresh_from_db()
    assert q.title == "Анкета 2025"

    # «Копировать»: a new version with the same questions, which can change
    response = client.post(url("copy", q))
    copy = Questionnaire.objects.exclude(pk=q.pk).get()
    assert response["Location"] == url("detail", copy)
    assert copy.title == "Анкета 2025 (копия)" and rows_of(copy) == rows_of(q)
    rows = existing_rows(copy)
    rows[1]["choices"] = "Часто\nРедко\nНикогда"
    assert client.post(url("questions", copy), formset_data(rows, initial=3)).status_code == 302
    assert copy.questions.get(order=2).choices == ["Часто", "Редко", "Никогда"]
    assert client.post(url("copy", q)).status_code == 302
    assert Questionnaire.objects.filter(title="Анкета 2025 (копия 2)").exists()


def test_an_open_round_without_answers_freezes_the_questions_a_draft_does_not(operator, region, school):
    q = Questionnaire.objects.create(region=region, title="Анкета", audience="mentees")
    rows = [{"text": "Оценка", "kind": "scale", "required": True, "counts_satisfaction": True}]
    qsvc.questions_save(user=operator, questionnaire=q, questions=rows)
    f.make_mentorship(
        organization=school, mentees=[f.make_person(organization=school, teaching_experience=1)]
    )
    survey_round = svc.survey_round_create(
        user=operator, questionnaire=q, period_start=TODAY, period_end=TODAY + DAY
    )
    assert qsvc.questionnaire_frozen(questionnaire=q) == ""
    qsvc.questions_save(user=operator, questionnaire=q, questions=[{**rows[0], "text": "Оценка встреч"}])
    svc.survey_round_open(user=operator, survey_round=survey_round)
    assert "который сейчас идёт" in qsvc.questionnaire_frozen(questionnaire=q)
    with pytest.raises(ValidationError):
        qsvc.questions_save(user=operator, questionnaire=q, questions=rows)
    assert list(q.questions.values_list("text", flat=True)) == ["Оценка встреч"]


@pytest.mark.parametrize(
    ("row", "field_message"),
    [
        (
            {"order": 1, "text": "Как часто?", "kind": "choice", "choices": "Часто"},
            "Вопрос 1, варианты ответа: Укажите не менее двух вариантов ответа.",
        ),
        (
            {"order": 1, "text": "Оценка", "kind": "text", "counts_satisfaction": True},
            "Вопрос 1, вопрос об удовлетворённости: Вопрос об удовлетворённости — оценка от 1 до 5.",
        ),
    ],
)
def test_bad_questions_are_refused_naming_the_question_and_field(
    client_for, operator, region, row, field_message
):
    q = Questionnaire.objects.create(region=region, title="Анкета", audience="mentees")
    response = client_for(operator).post(url("questions", q), formset_data([row]))
    assert response.status_code == 200
    assert field_message in response.content.decode()
    assert not q.questions.exists() and not Question.history.exists()


@pytest.mark.parametrize(("order", "kind"), [("0", "scale"), ("100", "scale"), ("1", "scale10")])
def test_an_order_out_of_range_or_an_unknown_kind_is_refused_next_to_its_field(
    client_for, operator, region, order, kind
):
    q = Questionnaire.objects.create(region=region, title="Анкета", audience="mentees")
    response = client_for(operator).post(
        url("questions", q), formset_data([{"order": order, "text": "Оценка", "kind": kind}])
    )
    assert response.status_code == 200
    form = response.context["formset"].forms[0]
    assert set(form.errors) == ({"order"} if kind == "scale" else {"kind"})
    assert not q.questions.exists()


def test_two_satisfaction_questions_are_refused(operator, region):
    q = Questionnaire.objects.create(region=region, title="Анкета", audience="mentees")
    row = {"text": "Оценка", "kind": "scale", "required": True, "counts_satisfaction": True}
    with pytest.raises(ValidationError) as error:
        qsvc.questions_save(user=operator, questionnaire=q, questions=[row, row])
    assert error.value.message_dict["questions"] == [qsvc.ONE_SATISFACTION]


def test_another_region_gets_404_and_readers_of_the_region_get_403_on_writes(
    client_for, operator, coordinator, curator, region
):
    q = Questionnaire.objects.create(region=region, title="Анкета", audience="mentees")
    stranger = f.make_user(role="operator", region=f.make_region())
    client = client_for(stranger)
    for name in ("detail", "edit", "questions"):
        assert client.get(url(name, q)).status_code == 404, name
    assert client.post(url("copy", q)).status_code == 404
    assert client.post(url("questions", q), formset_data(THREE)).status_code == 404
    assert q.title not in client.get(url("list")).content.decode()
    for reader in (coordinator, curator):
        client = client_for(reader)
        body = client.get(url("detail", q)).content.decode()
        assert "Анкета «Анкета»" in body and "Изменить вопросы" not in body and "Копировать" not in body
        assert client.get(url("create")).status_code == 403
        for name in ("edit", "questions"):
            assert client.get(url(name, q)).status_code == 403, name
        assert client.post(url("questions", q), formset_data(THREE)).status_code == 403
        assert client.post(url("copy", q)).status_code == 403
        assert client.post(url("create"), {"title": "Своя", "audience": "mentees"}).status_code == 403
    assert list(Questionnaire.objects.all()) == [q] and not q.questions.exists()


def test_the_admin_creates_a_questionnaire_for_a_region_it_chooses(client_for, admin_user, region):
    client = client_for(admin_user)
    response = client.post(url("create"), {"region": region.pk, "title": "Анкета", "audience": "mentors"})
    assert response.status_code == 302
    assert Questionnaire.objects.get().region == region
    # the same title for the same audience in the region is refused, naming it
    response = client.post(url("create"), {"region": region.pk, "title": "Анкета", "audience": "mentors"})
    assert response.status_code == 200
    assert "В регионе уже есть такая анкета для этих участников." in response.content.decode()


def test_the_pages_of_questionnaires_take_a_fixed_number_of_queries(
    client_for, operator, region, django_assert_max_num_queries
):
    client = client_for(operator)
    for i in range(6):
        q = Questionnaire.objects.create(region=region, title=f"Анкета {i}", audience="mentees")
        rows = [{"text": f"Вопрос {k}", "kind": "scale"} for k in range(8)]
        qsvc.questions_save(user=operator, questionnaire=q, questions=rows)
    client.get(url("list"))  # the session and the user's scope are cached from here on
    with django_assert_max_num_queries(QUERIES["list"]):
        assert client.get(url("list")).status_code == 200
    for name in ("detail", "questions"):
        with django_assert_max_num_queries(QUERIES[name]):
            assert client.get(url(name, q)).status_code == 200


# whatever the number of questionnaires and questions; each + the bell's count (docs/architecture.md §14)
QUERIES = {"list": 7, "detail": 9, "questions": 8}
