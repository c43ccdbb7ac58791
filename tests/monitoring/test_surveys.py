"""Surveys of mentors and mentees (docs/domain.md §7): rounds, personal links, anonymity, F5/F6.

A round is opened for a school, answered through its links on the public page by visitors without
an account, counted («Ответили 3 из 4 (75 %)») and closed; a campaign opened afterwards takes F5
and F6 from it. Used, expired, closed-round and other-round links are refused with nothing stored;
an anonymous response holds nothing but its round, school, role and day; a pupil without the
representative's consent is not invited; another school's curator gets 404; destroying a person's
data takes their name off their link and their non-anonymous response.
"""

import datetime
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mentoring_portal.models import AccessLogEntry
from monitoring import campaigns as campaign_svc
from monitoring import indicators as ind
from monitoring import surveys as svc
from monitoring.models import (
    Question,
    Questionnaire,
    Submission,
    SubmissionValue,
    SurveyAnswer,
    SurveyInvitation,
    SurveyResponse,
    SurveyRound,
)
from registry import privacy, services
from registry.models import Category, Person
from tests import factories as f

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)
NBSP = "\u00a0"


def questionnaire(region, audience=Questionnaire.Audience.MENTEES, anonymous=True, title="Удовлетворённость"):
    q = Questionnaire.objects.create(region=region, title=title, audience=audience, anonymous=anonymous)
    Question.objects.create(
        questionnaire=q, order=1, text="Насколько вы удовлетворены?", kind="scale", counts_satisfaction=True
    )
    Question.objects.create(
        questionnaire=q, order=2, text="Как часто встречи?", kind="choice", choices=["Часто", "Редко"]
    )
    Question.objects.create(questionnaire=q, order=3, text="Что улучшить?", kind="text", required=False)
    return q


def questions(q):
    return list(q.questions.order_by("order"))


def answers(q, satisfaction, choice=1, text=""):
    scale, choose, free = questions(q)
    return {str(scale.pk): satisfaction, str(choose.pk): choice, str(free.pk): text}


@pytest.fixture
def mentees(school):
    """Four young teachers in two active pairs of the school."""
    people = [f.make_person(organization=school, teaching_experience=1) for _ in range(4)]
    f.make_mentorship(organization=school, mentees=people[:2])
    f.make_mentorship(organization=school, mentees=people[2:])
    return people


def open_round(operator, q, organization=None, **kw):
    survey_round = svc.survey_round_create(
        user=operator,
        questionnaire=q,
        organization=organization,
        period_start=kw.pop("period_start", TODAY - 5 * DAY),
        period_end=kw.pop("period_end", TODAY + 20 * DAY),
    )
    return svc.survey_round_open(user=operator, survey_round=survey_round, **kw)


def tokens(survey_round):
    return {
        inv.person_id: svc.invitation_token(invitation=inv, token_key=survey_round.token_key)
        for inv in SurveyInvitation.objects.filter(round=survey_round)
    }


def post_answers(client, survey_round, token, values):
    data = {f"q{key}": value for key, value in values.items()}
    data["round"] = survey_round.pk
    return client.post(reverse("survey:answer", args=[token]), data)


def test_a_round_answered_through_links_gives_the_rate_and_f5(
    client_for, operator, curator, school, mentees, region
):
    q = questionnaire(region)
    survey_round = open_round(operator, q, organization=school)
    assert SurveyInvitation.objects.filter(round=survey_round).count() == 4
    links = tokens(survey_round)
    # Each invitation stores the SHA-256 of its token, never the token.
    for invitation in SurveyInvitation.objects.filter(round=survey_round):
        token = links[invitation.person_id]
        assert invitation.token_hash == svc.token_hash(token=token) and token not in invitation.token_hash
        assert len(token) == 43 and invitation.expires_on == survey_round.period_end

    visitor = Client()  # no account
    page = visitor.get(reverse("survey:answer", args=[links[mentees[0].pk]]))
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    assert "Насколько вы удовлетворены?" in page.content.decode()
    for person, satisfaction in zip(mentees[:3], (5, 4, 2), strict=True):
        response = post_answers(visitor, survey_round, links[person.pk], answers(q, satisfaction))
        assert response.status_code == 302 and response["Location"] == reverse("survey:thanks")
    assert visitor.get(reverse("survey:thanks")).status_code == 200
    # The token is in no access-log entry.
    for token in links.values():
        assert not AccessLogEntry.objects.filter(details__contains=token).exists()
        assert not AccessLogEntry.objects.filter(object_id__contains=token).exists()

    rate = f"Ответили 3 из 4 (75{NBSP}%)"
    assert svc.survey_round_rate(user=operator, survey_round=survey_round).text == rate
    page = client_for(operator).get(reverse("monitoring:survey-round-detail", args=[survey_round.pk]))
    body = page.content.decode()
    assert rate in body and f"3,7; 4–5: 67{NBSP}%" in body and "Часто: 3; Редко: 0" in body
    results = page.context["results"]
    scale = questions(q)[0]
    total = results["total"].questions[scale.pk]
    assert (total.responses, total.average, total.satisfied_share) == (3, "3,7", f"67{NBSP}%")
    assert [g.label for g in results["schools"]] == [school.full_name]
    choice = results["total"].questions[questions(q)[1].pk]
    assert choice.choice_lines == [("Часто", 3), ("Редко", 0)]

    svc.survey_round_close(user=operator, survey_round=survey_round)
    # F5 of a campaign whose period meets the round's: 2 satisfied of 3 surveyed, pre-filled.
    campaign = campaign_svc.campaign_create(
        user=operator,
        region=region,
        target_municipalities=[school.municipality],
        indicators=["F5"],
        title="Мониторинг удовлетворённости",
        period_start=TODAY,
        period_end=TODAY + 10 * DAY,
        as_of_date=TODAY,
        deadline=TODAY + 10 * DAY,
    )
    campaign_svc.campaign_open(user=operator, campaign=campaign)
    submission = Submission.objects.get(campaign=campaign, organization=school)
    values = {v.figure: (v.value, v.source) for v in SubmissionValue.objects.filter(submission=submission)}
    assert values == {"mentees_surveyed": (3, "registry"), "mentees_satisfied": (2, "registry")}
    f5 = ind.organization_value(
        campaign.indicators.get(code="F5"), {k: v for k, (v, _) in values.items()}, responded=True
    )
    assert (f5.numerator, f5.denominator, f5.share()) == (2, 3, f"66,7{NBSP}%")


def test_f5_f6_without_a_closed_round_are_typed(operator, school, mentees, region):
    q = questionnaire(region)
    open_round(operator, q, organization=school)  # open, never closed: it does not count yet
    figures = ind.catalogue()
    codes = ["mentees_surveyed", "mentees_satisfied", "mentors_surveyed", "mentors_satisfied"]
    known = ind.registry_values(
        as_of=TODAY,
        organizations=[school.pk],
        codes=codes,
        figures=figures,
        period=(TODAY, TODAY),
    )
    assert known == {}
    assert all(ind.registry_default(code, figures[code]) is None for code in codes)


def test_f6_counts_the_mentors_round(operator, school, mentees, region):
    q = questionnaire(region, audience=Questionnaire.Audience.MENTORS, title="Наставники")
    survey_round = open_round(operator, q, organization=school)
    links = list(tokens(survey_round).values())
    assert len(links) == 2  # the two pairs' mentors
    svc.survey_answer(token=links[0], answers=answers(q, 4))
    svc.survey_round_close(user=operator, survey_round=survey_round)
    known = ind.registry_values(
        as_of=TODAY,
        organizations=[school.pk],
        codes=["mentors_surveyed", "mentors_satisfied", "mentees_surveyed"],
        figures=ind.catalogue(),
        period=(TODAY, TODAY),
    )
    assert known == {(school.pk, "mentors_surveyed"): (1, ""), (school.pk, "mentors_satisfied"): (1, "")}


def nothing_stored():
    return SurveyResponse.objects.count(), SurveyAnswer.objects.count()


def test_used_expired_closed_and_other_round_links_are_refused(operator, school, mentees, region, caplog):
    q = questionnaire(region)
    survey_round = open_round(operator, q, organization=school)
    first, second, third, fourth = (tokens(survey_round)[p.pk] for p in mentees)
    svc.survey_answer(token=first, answers=answers(q, 5))
    before = nothing_stored()
    visitor = Client()

    # used
    with pytest.raises(svc.SurveyLinkRefused) as refused:
        svc.survey_answer(token=first, answers=answers(q, 1))
    assert (refused.value.status, refused.value.message) == (
        410,
        "Эта ссылка уже использована: ответ принят ранее.",
    )
    page = post_answers(visitor, survey_round, first, answers(q, 1))
    assert page.status_code == 410 and "уже использована" in page.content.decode()

    # another round: the page was shown for one round, the link is of another
    other_round = open_round(operator, questionnaire(region, title="Другая анкета"), organization=school)
    with pytest.raises(svc.SurveyLinkRefused) as refused:
        svc.survey_answer(token=second, answers=answers(q, 5), survey_round=other_round)
    assert refused.value.message == "Эта ссылка относится к другому опросу."
    page = post_answers(visitor, other_round, second, answers(q, 5))
    assert page.status_code == 404

    # expired: the day after the round's end
    with pytest.raises(svc.SurveyLinkRefused) as refused:
        svc.survey_answer(token=third, answers=answers(q, 5), today=survey_round.period_end + DAY)
    assert refused.value.status == 410
    assert refused.value.message.startswith("Срок действия ссылки истёк")

    # unknown
    with pytest.raises(svc.SurveyLinkRefused) as refused:
        svc.survey_answer(token="x" * 43, answers=answers(q, 5))
    assert refused.value.status == 404
    assert visitor.get(reverse("survey:answer", args=["x" * 43])).status_code == 404

    # wrong answers: nothing stored, the link still works
    with pytest.raises(ValidationError):
        svc.survey_answer(token=second, answers=answers(q, 9))
    assert SurveyInvitation.objects.get(token_hash=svc.token_hash(token=second)).answered_on is None

    # closed
    svc.survey_round_close(user=operator, survey_round=survey_round)
    with pytest.raises(svc.SurveyLinkRefused) as refused:
        svc.survey_answer(token=fourth, answers=answers(q, 5))
    assert (refused.value.status, refused.value.message) == (
        410,
        "Опрос завершён: ответы больше не принимаются.",
    )
    page = visitor.get(reverse("survey:answer", args=[fourth]))
    assert page.status_code == 410 and "Опрос завершён" in page.content.decode()

    assert nothing_stored() == before == (1, 2)  # the first answer: scale and choice, no text
    # Django's «Not Found: /survey/<token>/» line is not written: the path holds the token.
    assert not [r for r in caplog.records if "/survey/" in r.getMessage()]


def test_a_post_refused_by_csrf_logs_no_token(operator, school, mentees, region):
    survey_round = open_round(operator, questionnaire(region), organization=school)
    token = next(iter(tokens(survey_round).values()))
    response = Client(enforce_csrf_checks=True).post(reverse("survey:answer", args=[token]), {})
    assert response.status_code == 403
    entry = AccessLogEntry.objects.get(url_name="survey:answer")
    assert entry.action == AccessLogEntry.Action.DENIED
    assert token not in f"{entry.object_id} {entry.details}"
    assert SurveyResponse.objects.count() == 0


def test_an_anonymous_response_holds_its_round_school_role_and_day_only(operator, school, mentees, region):
    q = questionnaire(region)
    survey_round = open_round(operator, q, organization=school)
    token = tokens(survey_round)[mentees[0].pk]
    response = svc.survey_answer(token=token, answers=answers(q, 4, text="Больше встреч"))
    names = {field.name for field in SurveyResponse._meta.get_fields()}
    assert names == {"id", "round", "organization", "role", "answered_on", "person", "answers"}
    stored = SurveyResponse.objects.get()
    assert stored.person_id is None and stored.answered_on == TODAY
    assert type(SurveyResponse._meta.get_field("answered_on")).__name__ == "DateField"  # a day, no time
    assert stored.pk.version == 4 and all(a.pk.version == 4 for a in stored.answers.all())
    assert response.role == "mentee" and response.organization_id == school.pk
    # The invitation knows it was used (a day), its history does not record when.
    invitation = SurveyInvitation.objects.get(token_hash=svc.token_hash(token=token))
    assert invitation.answered_on == TODAY
    assert {h.history_type for h in SurveyInvitation.history.filter(id=invitation.pk)} == {"+"}
    assert not hasattr(SurveyResponse, "history")
    # One response of an anonymous questionnaire: its count, not its answers.
    results = svc.survey_round_results(user=operator, survey_round=survey_round)
    assert [(g.responses, g.hidden, g.cells) for g in results["schools"]] == [(1, True, [])]
    assert results["total"].hidden


def test_a_named_questionnaire_keeps_the_person_until_their_data_are_destroyed(
    operator, curator, school, region
):
    person = f.make_person(organization=school, teaching_experience=1)
    pair = f.make_mentorship(organization=school, mentees=[person])
    q = questionnaire(region, anonymous=False)
    survey_round = open_round(operator, q, organization=school)
    response = svc.survey_answer(token=tokens(survey_round)[person.pk], answers=answers(q, 5))
    assert response.person_id == person.pk
    services.mentorship_complete(
        mentorship=pair, end_date=TODAY, result="Цель достигнута", goal_reached="yes"
    )
    privacy.destroy_personal_data(
        person=person, user=curator, reason="consent_withdrawn", act_number="1", act_date=TODAY
    )
    assert not SurveyInvitation.objects.filter(person=person).exists()
    assert not SurveyInvitation.history.filter(person_id=person.pk).exists()
    assert SurveyInvitation.objects.filter(round=survey_round, person__isnull=True).count() == 1
    assert SurveyResponse.objects.get(pk=response.pk).person_id is None


def test_a_pupil_without_the_representatives_consent_is_not_invited(operator, school, region):
    mentor = f.make_person(
        organization=school, category=Category.STUDENT, birth_date=datetime.date(2008, 1, 1)
    )
    with_consent = f.make_person(organization=school, category=Category.STUDENT)
    without = f.make_person(organization=school, category=Category.STUDENT)
    late = f.make_person(organization=school, category=Category.STUDENT)
    f.make_mentorship(
        organization=school,
        mentoring_form=f.form("student_student"),
        mentor_person=mentor,
        mentees=[with_consent, without, late],
    )
    Person.objects.filter(pk=without.pk).update(consent_giver="")  # an old row, before the rule
    Person.objects.filter(pk=late.pk).update(consent_date=TODAY + DAY)  # not yet given on the day
    survey_round = open_round(operator, questionnaire(region), organization=school)
    invited = set(SurveyInvitation.objects.filter(round=survey_round).values_list("person", flat=True))
    assert invited == {with_consent.pk}
    assert survey_round.skipped_minors == 2


def test_only_the_regions_operator_runs_rounds(operator, coordinator, curator, school, mentees, region):
    q = questionnaire(region)
    for user in (coordinator, curator):
        with pytest.raises(PermissionDenied):
            svc.survey_round_create(user=user, questionnaire=q, period_start=TODAY, period_end=TODAY)
    survey_round = svc.survey_round_create(
        user=operator, questionnaire=q, period_start=TODAY, period_end=TODAY
    )
    with pytest.raises(PermissionDenied):
        svc.survey_round_open(user=coordinator, survey_round=survey_round)


def test_another_schools_curator_gets_404(
    client_for, operator, curator, other_curator, coordinator, school, mentees, region
):
    survey_round = open_round(operator, questionnaire(region), organization=school)
    pages = [
        reverse("monitoring:survey-round-detail", args=[survey_round.pk]),
        reverse("monitoring:survey-round-links", args=[survey_round.pk]),
    ]
    stranger = client_for(other_curator)
    for url in pages:
        assert stranger.get(url).status_code == 404, url
    assert (
        stranger.post(
            reverse("monitoring:survey-round-transition", args=[survey_round.pk]), {"action": "close"}
        ).status_code
        == 404
    )
    # The school's own curator prints its links: names and working links with their QR codes.
    own = client_for(curator)
    assert own.get(pages[0]).status_code == 200
    page = own.get(pages[1])
    body = page.content.decode()
    assert page.status_code == 200 and page["Cache-Control"] == "private, no-store"
    for person in mentees:
        assert person.full_name in body
    printed = set(re.findall(r"/survey/([A-Za-z0-9_-]{43})/", body))
    assert printed == set(tokens(survey_round).values())
    main = body.split("<main>")[1]  # the header has its own icon (the bell)
    assert main.count("<svg") == 4 and "style=" not in main
    # The coordinator reads the round but does not print names: 403.
    assert client_for(coordinator).get(pages[1]).status_code == 403
    assert client_for(coordinator).get(pages[0]).status_code == 200


def test_survey_pages_answer_the_operator(client_for, operator, region, school, mentees):
    q = questionnaire(region)
    client = client_for(operator)
    assert client.get(reverse("monitoring:questionnaire-list")).status_code == 200
    response = client.post(
        reverse("monitoring:survey-round-create"),
        {
            "questionnaire": q.pk,
            "organization": school.pk,
            "period_start": TODAY.strftime("%d.%m.%Y"),
            "period_end": (TODAY + 9 * DAY).strftime("%d.%m.%Y"),
        },
    )
    survey_round = SurveyRound.objects.get()
    assert response.status_code == 302
    client.post(reverse("monitoring:survey-round-transition", args=[survey_round.pk]), {"action": "open"})
    survey_round.refresh_from_db()
    assert survey_round.status == "open" and survey_round.invitations.count() == 4
    listing = client.get(reverse("monitoring:survey-round-list")).content.decode()
    assert survey_round.title in listing
