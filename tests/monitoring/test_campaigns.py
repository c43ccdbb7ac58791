"""Monitoring campaigns: a whole campaign through the services, its refusals, completeness and scoping."""

import datetime
import re
import threading

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.http import Http404
from django.utils import timezone

from monitoring import campaigns as svc
from monitoring import selectors
from monitoring.models import (
    Campaign,
    CampaignTarget,
    Indicator,
    Submission,
    SubmissionEvent,
    SubmissionValue,
)
from registry.models import Category, NormativeDocument, Organization
from tests import factories as f

pytestmark = pytest.mark.django_db

D = datetime.date
S = Submission.Status


def at(day: datetime.date, hour: int = 12) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


OKTYABRSKY = {
    "title": "Мониторинг реализации «дорожной карты» работы педагогов-наставников",
    "organizer": "МАУ «Информационно-методический кабинет» Октябрьского района",
    "basis_number": "16",
    "basis_date": D(2022, 12, 16),
    "basis_title": "О проведении мониторинга реализации «дорожной карты» работы педагогов-наставников",
    "basis_text": "1. Провести данный мониторинг до 30.12.2022 года.",
    "other_basis": "Приказ отдела образования Администрации Октябрьского района № 195",
    "goal": "Выявление количества участников, вовлеченных в наставничество, по формам наставничества.",
    "method_text": "Формализованный сбор статистических данных с применением электронных таблиц.",
    "period_start": D(2022, 12, 16),
    "period_end": D(2022, 12, 30),
    "as_of_date": D(2022, 12, 16),
    "deadline": D(2022, 12, 30),
    "publish_by": D(2023, 1, 14),
}
CODES = ["R1", "R2", "R4", "R5", "R6", "R7"]


def student(org, born=None, **kw):
    born = born or D(2010, 5, 1)
    return f.make_person(organization=org, category=Category.STUDENT, birth_date=born, **kw)


def teacher(org, experience=10, **kw):
    return f.make_person(organization=org, category=Category.TEACHER, teaching_experience=experience, **kw)


def pair(org, form_code, mentor, mentees, **kw):
    return f.make_mentorship(
        organization=org, mentoring_form=f.form(form_code), mentor_person=mentor, mentees=mentees, **kw
    )


@pytest.fixture
def third_school(municipality):
    return f.make_organization(municipality=municipality, short_name="СОШ № 3")


@pytest.fixture
def curators(curator, neighbour_school, third_school):
    curator.email = "soh1@example.ru"
    curator.last_name, curator.first_name = "Иванова", "Мария"
    curator.save()
    return {
        "school": curator,
        "neighbour": f.make_user("curator2", role="curator", organization=neighbour_school),
        "third": f.make_user("curator3", role="curator", organization=third_school),
    }


@pytest.fixture
def registry_data(school, neighbour_school, third_school, other_school):
    """Headcounts of 2022/2023 and pairs on 16.12.2022 (plus pairs that must not count)."""
    for org, teachers, young, students in (
        (school, 40, 4, 400),
        (neighbour_school, 30, 2, 300),
        (third_school, 20, 1, 200),
        (other_school, 50, 5, 500),
    ):
        f.make_headcount(organization=org, teachers=teachers, young_specialists=young, students=students)
    young = [teacher(school, experience=1) for _ in range(2)]
    pair(school, "teacher_teacher", teacher(school), young[:1])
    pair(school, "teacher_teacher", teacher(school), young[1:])
    pupils = [student(school) for _ in range(3)]
    pair(school, "student_student", student(school, born=D(2007, 1, 1)), pupils)
    # Not counted on 16.12.2022: a draft, a pair ended before, a pair started after.
    pair(school, "student_student", student(school), [student(school)], status="draft")
    pair(
        school,
        "student_student",
        student(school),
        [student(school)],
        status="completed",
        start_date=D(2022, 9, 1),
        end_date=D(2022, 11, 30),
    )
    pair(school, "teacher_teacher", teacher(school), [teacher(school, 1)], start_date=D(2022, 12, 20))
    # The neighbour's regulation is on its site: the registry pre-fills «да» with the link.
    NormativeDocument.objects.create(
        region=neighbour_school.municipality.region,
        organization=neighbour_school,
        level="organization",
        doc_type="regulation",
        date=D(2022, 9, 1),
        title="Положение о наставничестве",
        published_on_site=True,
        site_url="https://school2.example.ru/nastavnichestvo",
    )


def make_campaign(user, municipality, codes=CODES, **kw):
    return svc.campaign_create(user=user, municipality=municipality, indicators=codes, **{**OKTYABRSKY, **kw})


def values_of(submission) -> dict:
    return dict(SubmissionValue.objects.filter(submission=submission).values_list("figure", "value"))


def submission_of(campaign, org) -> Submission:
    return Submission.objects.get(campaign=campaign, organization=org)


# ---------------------------------------------------------------- the whole campaign


def test_a_whole_campaign(
    coordinator, curators, municipality, school, neighbour_school, third_school, other_school, registry_data
):
    f.make_organization(municipality=municipality, org_type="preschool", short_name="Детский сад")
    campaign = make_campaign(coordinator, municipality)
    assert campaign.status == Campaign.Status.DRAFT
    assert campaign.basis == (
        "приказ от 16.12.2022 №\xa016 «О проведении мониторинга реализации «дорожной карты» работы "
        "педагогов-наставников»"
    )
    assert list(campaign.target_municipalities.all()) == [municipality]

    campaign = svc.campaign_open(user=coordinator, campaign=campaign, at=at(D(2022, 12, 16), 10))
    assert campaign.status == Campaign.Status.OPEN
    # The three schools of the municipality; not the kindergarten, not the other municipality's school.
    targets = set(CampaignTarget.objects.filter(campaign=campaign).values_list("organization", flat=True))
    assert targets == {school.pk, neighbour_school.pk, third_school.pk}
    assert Submission.objects.filter(campaign=campaign, status=S.DRAFT).count() == 3

    # Pre-filled from the registry as of 16.12.2022: distinct people, counted pairs only.
    first = submission_of(campaign, school)
    assert values_of(first) == {
        "students": 400,
        "teachers": 40,
        "young_specialists": 4,
        "mentors:teacher_teacher": 2,
        "young_specialist_mentees:teacher_teacher": 2,
        "mentors:student_student": 1,
        "mentees:student_student": 3,
        "regulation_on_site": None,  # the registry does not know: the school answers
    }
    assert set(SubmissionValue.objects.filter(submission=first, figure="students").values_list("source")) == {
        ("registry",)
    }
    second = submission_of(campaign, neighbour_school)
    regulation = SubmissionValue.objects.get(submission=second, figure="regulation_on_site")
    assert (regulation.value, regulation.registry_value, regulation.url) == (
        1,
        1,
        "https://school2.example.ru/nastavnichestvo",
    )

    # The expected set is frozen: a school opened later is not expected, a pair added later not counted.
    f.make_organization(municipality=municipality, short_name="СОШ № 4 (открыта позже)")
    pair(school, "student_student", student(school), [student(school)], start_date=D(2022, 12, 1))
    assert CampaignTarget.objects.filter(campaign=campaign).count() == 3
    assert values_of(first)["mentees:student_student"] == 3

    # School 1 answers the question the registry cannot, with its link, and sends on time.
    with pytest.raises(ValidationError, match="укажите ссылку"):
        svc.submission_save_values(
            user=curators["school"],
            submission=first,
            entries={"regulation_on_site": "да"},
            at=at(D(2022, 12, 19)),
        )
    svc.submission_save_values(
        user=curators["school"],
        submission=first,
        entries={"regulation_on_site": {"value": "да", "url": "school1.example.ru/docs"}},
        at=at(D(2022, 12, 19)),
    )
    first = svc.submission_submit(user=curators["school"], submission=first, at=at(D(2022, 12, 20)))
    assert (first.status, first.on_time) == (S.SUBMITTED, True)
    assert SubmissionValue.objects.get(submission=first, figure="regulation_on_site").url == (
        "https://school1.example.ru/docs"
    )

    # Halfway: who is missing, with the curators' contacts.
    progress = selectors.completeness(campaign)
    assert (progress.total.expected, progress.total.submitted, progress.total.text) == (
        3,
        1,
        "1 из 3, 33\xa0%",
    )
    assert [m.organization_id for m in progress.missing] == [neighbour_school.pk, third_school.pk]
    assert progress.missing[0].curators[0].name == "curator2"

    # School 2 corrects the registry: a differing figure needs a comment.
    with pytest.raises(ValidationError, match="отличается от данных реестра"):
        svc.submission_submit(
            user=curators["neighbour"],
            submission=second,
            values={"mentors:teacher_teacher": 3},
            at=at(D(2022, 12, 21)),
        )
    second = svc.submission_submit(
        user=curators["neighbour"],
        submission=second,
        values={"mentors:teacher_teacher": {"value": 3, "comment": "Пары ещё не внесены в реестр"}},
        at=at(D(2022, 12, 21)),
    )
    corrected = SubmissionValue.objects.get(submission=second, figure="mentors:teacher_teacher")
    assert (corrected.value, corrected.registry_value, corrected.source) == (3, 0, "entered")

    # ... is returned with a comment, and sent again after the deadline: still on time (first sending).
    with pytest.raises(ValidationError, match="Укажите, что нужно исправить"):
        svc.submission_return(user=coordinator, submission=second, comment=" ", at=at(D(2022, 12, 22)))
    second = svc.submission_return(
        user=coordinator,
        submission=second,
        comment="Проверьте число молодых специалистов",
        at=at(D(2022, 12, 22)),
    )
    assert second.status == S.RETURNED
    assert values_of(second)["mentors:teacher_teacher"] == 3  # the values stay
    second = svc.submission_submit(
        user=curators["neighbour"],
        submission=second,
        values={"young_specialists": {"value": 3, "comment": "Принят 1 педагог"}},
        at=at(D(2023, 1, 2)),
    )
    assert (second.status, second.on_time) == (S.SUBMITTED, True)

    # School 3 missed the deadline: refused, until the coordinator returns its draft; then it is late.
    third = submission_of(campaign, third_school)
    with pytest.raises(ValidationError, match="Срок сдачи отчётов истёк 30.12.2022"):
        svc.submission_submit(
            user=curators["third"],
            submission=third,
            values={"regulation_on_site": "нет"},
            at=at(D(2022, 12, 31)),
        )
    svc.submission_return(
        user=coordinator, submission=third, comment="Разрешаю сдать до 03.01.2023", at=at(D(2022, 12, 31))
    )
    third = svc.submission_submit(
        user=curators["third"], submission=third, values={"regulation_on_site": "нет"}, at=at(D(2023, 1, 2))
    )
    assert (third.status, third.on_time) == (S.SUBMITTED, False)

    # Acceptance locks.
    first = svc.submission_accept(user=coordinator, submission=first, at=at(D(2023, 1, 3)))
    second = svc.submission_accept(user=coordinator, submission=second, at=at(D(2023, 1, 3)))
    with pytest.raises(ValidationError, match="принят и заблокирован"):
        svc.submission_save_values(
            user=curators["school"], submission=first, entries={"students": 401}, at=at(D(2023, 1, 4))
        )
    with pytest.raises(ValidationError, match="принят и заблокирован"):
        svc.submission_return(user=coordinator, submission=first, comment="Ещё раз", at=at(D(2023, 1, 4)))

    campaign = svc.campaign_close(user=coordinator, campaign=campaign, at=at(D(2023, 1, 10)))
    assert campaign.status == Campaign.Status.CLOSED
    third = svc.submission_accept(
        user=coordinator, submission=third, at=at(D(2023, 1, 11))
    )  # reviewing goes on after the close

    done = selectors.completeness(campaign)
    assert (done.total.expected, done.total.submitted, done.total.accepted) == (3, 3, 3)
    assert (done.total.on_time, done.total.late, done.missing) == (2, 1, [])
    assert [(r.name, r.text) for r in done.by_municipality] == [("Октябрьский район", "3 из 3, 100\xa0%")]

    # Indicators: counts summed over the three schools, then divided once.
    report = selectors.indicator_report(campaign)
    total = report.total.values
    assert (total["R1"].numerator, total["R1"].denominator) == (2 + 3 + 0, 40 + 30 + 20)
    assert total["R1"].share() == "5,6\xa0%"
    assert (total["R2"].numerator, total["R2"].denominator) == (2, 4 + 3 + 1)
    assert (total["R4"].numerator, total["R4"].denominator) == (1, 900)
    assert (total["R5"].numerator, total["R5"].denominator) == (3, 900)
    assert total["R6"].text() == "3 из 3, 100\xa0%"
    assert total["R7"].text() == "2 из 3, 67\xa0%"
    assert report.light("R6") == "green"

    campaign = svc.campaign_publish(user=coordinator, campaign=campaign, at=at(D(2023, 1, 14)))
    assert campaign.status == Campaign.Status.PUBLISHED
    with pytest.raises(ValidationError, match="опубликован"):
        svc.campaign_update(user=coordinator, campaign=campaign, goal="Другая цель")

    # Every transition is logged with who and when; the returned submission keeps its whole story.
    log = list(
        SubmissionEvent.objects.filter(submission=second).values_list(
            "from_status", "to_status", "user", "comment"
        )
    )
    assert log == [
        ("draft", "submitted", curators["neighbour"].pk, ""),
        ("submitted", "returned", coordinator.pk, "Проверьте число молодых специалистов"),
        ("returned", "submitted", curators["neighbour"].pk, ""),
        ("submitted", "accepted", coordinator.pk, ""),
    ]
    history = second.history.order_by("history_date").values_list("status", "history_user")
    assert [status for status, _ in history] == ["draft", "submitted", "returned", "submitted", "accepted"]
    changed = SubmissionValue.objects.get(submission=second, figure="mentors:teacher_teacher")
    assert [(h.value, h.history_user_id) for h in changed.history.order_by("history_date")] == [
        (0, coordinator.pk),
        (3, curators["neighbour"].pk),
    ]
    assert [s for (s,) in campaign.history.order_by("history_date").values_list("status")] == [
        "draft",
        "open",
        "closed",
        "published",
    ]


# ---------------------------------------------------------------- refusals


@pytest.fixture
def opened(coordinator, curators, municipality, registry_data):
    campaign = make_campaign(coordinator, municipality)
    return svc.campaign_open(user=coordinator, campaign=campaign, at=at(D(2022, 12, 16)))


def test_implausible_figures_are_refused(opened, curators, school):
    submission = submission_of(opened, school)
    curator = curators["school"]
    when = at(D(2022, 12, 20))
    cases = [
        (
            {"mentees:student_student": {"value": 401, "comment": "?"}},
            "больше, чем «Обучающихся всего» (400)",
        ),
        ({"students": {"value": 2, "comment": "?"}}, "больше, чем «Обучающихся всего» (2)"),  # mentees 3 > 2
        ({"teachers": -1}, "не может быть отрицательным"),
        ({"teachers": "сорок"}, "введите целое число"),
        ({"teachers": 10**12}, "слишком большое число"),
        ({"regulation_on_site": 2}, "ответьте «да» или «нет»"),
        ({"unknown": 1}, "не входит в этот мониторинг"),
    ]
    for entries, message in cases:
        with pytest.raises(ValidationError, match=re.escape(message)):
            svc.submission_save_values(user=curator, submission=submission, entries=entries, at=when)
    assert values_of(submission)["mentees:student_student"] == 3  # nothing was written
    with pytest.raises(ValidationError, match="Положение о наставничестве размещено на сайте ОО: заполните"):
        svc.submission_submit(user=curator, submission=submission, at=when)


def test_a_numerator_over_its_denominator_is_refused(
    coordinator, curator, municipality, school, registry_data
):
    Indicator.objects.create(
        code="X1",
        name="Доля студентов-наставников",
        numerator="mentors:college_student",
        denominator="teachers",
    )
    campaign = svc.campaign_open(
        user=coordinator,
        campaign=make_campaign(coordinator, municipality, codes=["X1"]),
        at=at(D(2022, 12, 16)),
    )
    submission = submission_of(campaign, school)
    with pytest.raises(ValidationError, match="Показатель «Доля студентов-наставников»"):
        svc.submission_save_values(
            user=curator,
            submission=submission,
            entries={"mentors:college_student": {"value": 41, "comment": "шефы"}},
            at=at(D(2022, 12, 17)),
        )


def test_nothing_is_sent_after_the_close(opened, coordinator, curators, school):
    # submit() and campaign_close() lock the campaign row: whichever comes second sees the other.
    svc.campaign_close(user=coordinator, campaign=opened, at=at(D(2022, 12, 20)))
    submission = submission_of(opened, school)
    with pytest.raises(ValidationError, match="Сбор отчётов завершён"):
        svc.submission_submit(
            user=curators["school"],
            submission=submission,
            values={"regulation_on_site": "нет"},
            at=at(D(2022, 12, 20)),
        )
    with pytest.raises(ValidationError, match="Сбор отчётов завершён"):
        svc.submission_return(
            user=coordinator, submission=submission, comment="Сдайте", at=at(D(2022, 12, 31))
        )
    assert submission_of(opened, school).status == S.DRAFT


def test_workflow_steps_out_of_order_are_refused(opened, coordinator, curators, school):
    submission = submission_of(opened, school)
    with pytest.raises(ValidationError, match="Принять можно только отправленный"):
        svc.submission_accept(user=coordinator, submission=submission, at=at(D(2022, 12, 20)))
    with pytest.raises(ValidationError, match="ещё не отправлен"):
        svc.submission_return(user=coordinator, submission=submission, comment="?", at=at(D(2022, 12, 20)))
    svc.submission_submit(
        user=curators["school"],
        submission=submission,
        values={"regulation_on_site": "нет"},
        at=at(D(2022, 12, 20)),
    )
    with pytest.raises(ValidationError, match="уже отправлен"):
        svc.submission_submit(user=curators["school"], submission=submission, at=at(D(2022, 12, 21)))
    with pytest.raises(ValidationError, match="уже открыт"):
        svc.campaign_open(user=coordinator, campaign=opened, at=at(D(2022, 12, 21)))
    with pytest.raises(ValidationError, match="зафиксированы"):
        svc.campaign_update(user=coordinator, campaign=opened, as_of_date=D(2022, 12, 1))
    with pytest.raises(ValidationError, match="сбор по которому завершён"):
        svc.campaign_publish(user=coordinator, campaign=opened)
    campaign = svc.campaign_update(user=coordinator, campaign=opened, deadline=D(2023, 1, 10))
    assert campaign.deadline == D(2023, 1, 10)


def test_opening_needs_indicators_targets_and_a_future_deadline(coordinator, municipality, school):
    campaign = make_campaign(coordinator, municipality, codes=[])
    with pytest.raises(ValidationError, match="хотя бы один показатель"):
        svc.campaign_open(user=coordinator, campaign=campaign, at=at(D(2022, 12, 16)))
    campaign = svc.campaign_update(
        user=coordinator, campaign=campaign, indicators=["R6"], target_org_types=["college"]
    )
    with pytest.raises(ValidationError, match="не подходит ни одна организация"):
        svc.campaign_open(user=coordinator, campaign=campaign, at=at(D(2022, 12, 16)))
    campaign = svc.campaign_update(user=coordinator, campaign=campaign, target_org_types=["school"])
    with pytest.raises(ValidationError, match=r"Срок сдачи отчётов \(30.12.2022\) уже прошёл"):
        svc.campaign_open(user=coordinator, campaign=campaign, at=at(D(2023, 1, 1)))
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.DRAFT
    assert not Submission.objects.filter(campaign=campaign).exists()


def test_campaign_dates_are_checked(coordinator, municipality):
    with pytest.raises(ValidationError, match="Окончание периода не может быть раньше его начала"):
        make_campaign(coordinator, municipality, period_end=D(2022, 12, 1))
    with pytest.raises(ValidationError, match="Неизвестные показатели: Z9"):
        make_campaign(coordinator, municipality, codes=["R1", "Z9"])


def test_a_school_that_moves_stays_where_the_campaign_found_it(
    opened, coordinator, other_coordinator, curators, school, other_municipality
):
    Organization.objects.filter(pk=school.pk).update(municipality=other_municipality)
    submission = submission_of(opened, school)
    svc.submission_submit(
        user=curators["school"],
        submission=submission,
        values={"regulation_on_site": "нет"},
        at=at(D(2022, 12, 20)),
    )
    with pytest.raises(Http404):
        svc.submission_accept(user=other_coordinator, submission=submission, at=at(D(2022, 12, 21)))
    assert (
        svc.submission_accept(user=coordinator, submission=submission, at=at(D(2022, 12, 21))).status
        == S.ACCEPTED
    )
    rows = selectors.completeness(opened).by_municipality
    assert [(r.name, r.expected, r.submitted) for r in rows] == [("Октябрьский район", 3, 1)]


# ---------------------------------------------------------------- who may do what


def test_a_coordinator_cannot_touch_another_municipality(
    opened, other_coordinator, other_curator, other_municipality, coordinator, municipality, school
):
    submission = submission_of(opened, school)
    for action in (
        lambda: svc.campaign_open(user=other_coordinator, campaign=opened),
        lambda: svc.campaign_close(user=other_coordinator, campaign=opened),
        lambda: svc.campaign_update(user=other_coordinator, campaign=opened, goal="?"),
        lambda: svc.campaign_send_reminders(user=other_coordinator, campaign=opened),
        lambda: svc.submission_accept(user=other_coordinator, submission=submission),
        lambda: svc.submission_return(user=other_coordinator, submission=submission, comment="?"),
        lambda: svc.submission_submit(user=other_curator, submission=submission),
        lambda: svc.campaign_create(user=other_coordinator, municipality=municipality, **OKTYABRSKY),
    ):
        with pytest.raises(Http404):
            action()
    assert opened not in selectors.campaigns_for(other_coordinator)
    assert opened not in selectors.campaigns_for(other_curator)


def test_roles_inside_the_scope(opened, coordinator, operator, curators, region, school):
    submission = submission_of(opened, school)
    curator = curators["school"]
    with pytest.raises(PermissionDenied, match="муниципальный координатор или региональный оператор"):
        svc.submission_accept(user=curator, submission=submission)
    with pytest.raises(PermissionDenied):
        svc.campaign_close(user=curator, campaign=opened)
    with pytest.raises(PermissionDenied, match="куратор ОО"):
        svc.submission_save_values(user=coordinator, submission=submission, entries={"teachers": 41})
    # The operator sees the municipal campaign and reviews its submissions, but does not run it.
    with pytest.raises(PermissionDenied):
        svc.campaign_close(user=operator, campaign=opened)
    with pytest.raises(PermissionDenied, match="региональный — региональный оператор"):
        svc.campaign_create(user=coordinator, region=region, **OKTYABRSKY)
    with pytest.raises(PermissionDenied):
        svc.campaign_create(user=operator, municipality=school.municipality, **OKTYABRSKY)


def test_who_sees_which_campaign(
    coordinator,
    other_coordinator,
    operator,
    curator,
    other_curator,
    region,
    municipality,
    school,
    other_school,
):
    municipal = make_campaign(coordinator, municipality, codes=["R6"])
    regional = svc.campaign_create(
        user=operator, indicators=["R6"], **{**OKTYABRSKY, "title": "Региональный"}
    )
    assert regional.region == region and set(regional.target_municipalities.all()) == {
        municipality,
        other_school.municipality,
    }
    assert set(selectors.campaigns_for(coordinator)) == {municipal, regional}
    assert set(selectors.campaigns_for(other_coordinator)) == {regional}
    assert set(selectors.campaigns_for(operator)) == {municipal, regional}
    assert set(selectors.campaigns_for(curator)) == set()  # drafts have no targets yet
    svc.campaign_open(user=operator, campaign=regional, at=at(D(2022, 12, 16)))
    assert set(selectors.campaigns_for(curator)) == {regional}
    assert set(selectors.campaigns_for(other_curator)) == {regional}
    # In the regional campaign a coordinator reviews its own schools only.
    own, foreign = submission_of(regional, school), submission_of(regional, other_school)
    svc.submission_submit(user=curator, submission=own, at=at(D(2022, 12, 20)))
    with pytest.raises(Http404):
        svc.submission_accept(user=coordinator, submission=foreign)
    assert (
        svc.submission_accept(user=coordinator, submission=own, at=at(D(2022, 12, 21))).status == S.ACCEPTED
    )
    with pytest.raises(PermissionDenied):
        svc.campaign_close(user=coordinator, campaign=regional)
    mine = selectors.completeness(regional, user=coordinator)
    assert (mine.total.expected, mine.total.submitted, [r.name for r in mine.by_municipality]) == (
        1,
        1,
        ["Октябрьский район"],
    )


# ---------------------------------------------------------------- completeness and reminders


def test_reminders_go_to_the_curators_of_missing_schools(opened, coordinator, curators, school, third_school):
    curators["third"].email = "soh3@example.ru"
    curators["third"].save()
    svc.submission_submit(
        user=curators["school"],
        submission=submission_of(opened, school),
        values={"regulation_on_site": "нет"},
        at=at(D(2022, 12, 20)),
    )
    sent = svc.campaign_send_reminders(user=coordinator, campaign=opened, at=at(D(2022, 12, 25)))
    # The neighbour's curator has no e-mail: nothing to send there.
    assert sent == 1
    assert [m.to for m in mail.outbox] == [["soh3@example.ru"]]
    assert "срок — 30.12.2022" in mail.outbox[0].subject
    assert submission_of(opened, third_school).last_reminded_at == at(D(2022, 12, 25))
    assert submission_of(opened, school).last_reminded_at is None


def test_completeness_is_three_queries_whatever_the_size(opened, django_assert_num_queries):
    campaign = Campaign.objects.select_related("region", "municipality").get(pk=opened.pk)
    with django_assert_num_queries(3):
        result = selectors.completeness(campaign)
    assert result.total.expected == 3 and len(result.missing) == 3


# ---------------------------------------------------------------- Smolensk: a regional campaign, 340 schools


def smolensk_region(region, municipalities=27, schools=340):
    areas = [f.make_municipality(region=region, name=f"Район {i:02d}") for i in range(municipalities)]
    Organization.objects.bulk_create(
        Organization(
            code=f"SM{i:04d}",
            full_name=f"МБОУ «СШ № {i}»",
            short_name=f"СШ № {i}",
            municipality=areas[i % municipalities],
        )
        for i in range(schools)
    )
    return areas


def answered(campaign, count, *, yes=0, on=None):
    """``count`` schools have sent their submission (``yes`` of them with the regulation on site)."""
    on = on or D(2022, 12, 20)
    ids = list(
        Submission.objects.filter(campaign=campaign)
        .order_by("organization__code")
        .values_list("pk", flat=True)
    )
    Submission.objects.filter(pk__in=ids[:count]).update(
        status=S.SUBMITTED, submitted_at=at(on), first_submitted_at=at(on), on_time=True
    )
    SubmissionValue.objects.filter(submission__in=ids[:count], figure="regulation_on_site").update(value=0)
    SubmissionValue.objects.filter(submission__in=ids[:yes], figure="regulation_on_site").update(
        value=1, url="https://school.example.ru/nastavnichestvo"
    )


def test_smolensk_figures(operator, region, django_assert_num_queries):
    smolensk_region(region)
    readiness = svc.campaign_create(
        user=operator,
        indicators=["R6"],
        **{
            **OKTYABRSKY,
            "title": "Мониторинг готовности ОО к внедрению системы наставничества педагогических работников",
            "period_end": D(2022, 12, 25),
            "deadline": D(2022, 12, 25),
        },
    )
    readiness = svc.campaign_open(user=operator, campaign=readiness, at=at(D(2022, 12, 16)))
    answered(readiness, 228)
    readiness = Campaign.objects.select_related("region", "municipality").get(pk=readiness.pk)
    with django_assert_num_queries(3):
        report = selectors.indicator_report(readiness)
    assert report.total.values["R6"].text() == "228 из 340, 67\xa0%"
    assert selectors.completeness(readiness, with_missing=False).total.text == "228 из 340, 67\xa0%"
    assert report.light("R6") == "red"  # the target is 100 %

    # The site check: 300 schools checked, the regulation found on 254; the share counts all 340.
    sites = svc.campaign_create(
        user=operator,
        indicators=["R7"],
        method=Campaign.Method.SITE_CHECK,
        **{
            **OKTYABRSKY,
            "title": "Мониторинг сайтов",
            "period_start": D(2023, 3, 27),
            "period_end": D(2023, 4, 4),
            "as_of_date": D(2023, 3, 27),
            "deadline": D(2023, 4, 4),
        },
    )
    sites = svc.campaign_open(user=operator, campaign=sites, at=at(D(2023, 3, 27)))
    answered(sites, 300, yes=254, on=D(2023, 3, 30))
    assert selectors.indicator_report(sites).total.values["R7"].text() == "254 из 340, 75\xa0%"
    Indicator.objects.filter(code="R7").update(denominator_basis="respondents")
    assert selectors.indicator_report(sites).total.values["R7"].text() == "254 из 300, 85\xa0%"


def test_municipalities_ranked_and_change_against_the_previous_campaign(operator, region):
    areas = smolensk_region(region, municipalities=3, schools=12)  # 4 schools in each
    dates = {"period_start": D(2022, 12, 1), "period_end": D(2022, 12, 20), "deadline": D(2022, 12, 20)}
    first = svc.campaign_create(
        user=operator,
        indicators=["R6"],
        **{**OKTYABRSKY, **dates, "as_of_date": D(2022, 12, 1), "title": "Первый"},
    )
    first = svc.campaign_open(user=operator, campaign=first, at=at(D(2022, 12, 1)))
    ids = dict(Submission.objects.filter(campaign=first).values_list("organization__code", "pk"))
    # Район 00: schools 0, 3, 6, 9; Район 01: 1, 4, 7, 10; Район 02: 2, 5, 8, 11.
    for code in ("SM0000", "SM0003", "SM0001", "SM0004", "SM0002"):
        Submission.objects.filter(pk=ids[code]).update(
            status=S.SUBMITTED,
            submitted_at=at(D(2022, 12, 5)),
            first_submitted_at=at(D(2022, 12, 5)),
            on_time=True,
        )
    ranking = selectors.municipality_ranking(first, "R6")
    assert [(r.rank, r.name, r.value.text()) for r in ranking] == [
        (1, "Район 00", "2 из 4, 50\xa0%"),
        (1, "Район 01", "2 из 4, 50\xa0%"),
        (3, "Район 02", "1 из 4, 25\xa0%"),
    ]
    assert [r.municipality_id for r in ranking] == [areas[0].pk, areas[1].pk, areas[2].pk]
    svc.campaign_close(user=operator, campaign=first)

    dates = {"period_start": D(2023, 3, 1), "period_end": D(2023, 3, 20), "deadline": D(2023, 3, 20)}
    second = svc.campaign_create(
        user=operator,
        indicators=["R6"],
        **{**OKTYABRSKY, **dates, "as_of_date": D(2023, 3, 1), "title": "Второй"},
    )
    second = svc.campaign_open(user=operator, campaign=second, at=at(D(2023, 3, 1)))
    Submission.objects.filter(campaign=second).exclude(organization__code="SM0011").update(
        status=S.SUBMITTED, submitted_at=at(D(2023, 3, 5)), first_submitted_at=at(D(2023, 3, 5)), on_time=True
    )
    assert selectors.previous_campaign(second) == first
    (change,) = selectors.indicator_changes(second)
    assert (change.previous.text(), change.current.text()) == ("5 из 12, 42\xa0%", "11 из 12, 92\xa0%")
    assert change.delta_text == "+50\xa0п.\xa0п."  # 91,7 − 41,7


# ---------------------------------------------------------------- a submission racing the close (PostgreSQL)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_submission_racing_the_close_is_refused(coordinator, curator, municipality, school):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (SQLite locks the whole database)")
    f.make_headcount(organization=school)
    campaign = make_campaign(coordinator, municipality, codes=["R6"])
    campaign = svc.campaign_open(user=coordinator, campaign=campaign, at=at(D(2022, 12, 16)))
    submission = submission_of(campaign, school)
    outcome = {}

    def send():
        try:
            # in time, were it not for the close
            svc.submission_submit(user=curator, submission=submission, at=at(D(2022, 12, 20)))
            outcome["sent"] = True
        except ValidationError as refused:
            outcome["refused"] = refused.messages
        finally:
            connection.close()  # this thread's own connection

    sender = threading.Thread(target=send)
    with transaction.atomic():
        svc.campaign_close(
            user=coordinator, campaign=campaign, at=at(D(2022, 12, 20))
        )  # holds the campaign's row lock until this block commits
        sender.start()
        sender.join(timeout=1)
        assert sender.is_alive()  # the submission waits for the close
    sender.join(timeout=10)
    assert outcome == {"refused": ["Сбор отчётов завершён: отправить или изменить отчёт нельзя."]}
    assert submission_of(campaign, school).status == S.DRAFT
