"""Indicators: the catalogue as data, what the registry pre-fills, sums then one division, targets."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from monitoring import campaigns as svc
from monitoring import indicators as ind
from monitoring import selectors
from monitoring.indicators import FigureSums, Value
from monitoring.models import Campaign, Indicator, Submission, SubmissionValue
from registry.models import (
    Category,
    Headcount,
    MentoringForm,
    Organization,
    TrainingCompletion,
    TrainingCourse,
)
from tests import factories as f

pytestmark = pytest.mark.django_db

D = datetime.date
S = Submission.Status


def at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


CAMPAIGN = {
    "title": "Мониторинг",
    "period_start": D(2022, 12, 16),
    "period_end": D(2022, 12, 30),
    "as_of_date": D(2022, 12, 16),
    "deadline": D(2022, 12, 30),
}


def opened_campaign(user, municipality, codes):
    campaign = svc.campaign_create(user=user, municipality=municipality, indicators=codes, **CAMPAIGN)
    return svc.campaign_open(user=user, campaign=campaign, at=at(D(2022, 12, 16)))


# ---------------------------------------------------------------- the catalogue


def test_the_seeded_catalogue_is_sound():
    indicators = list(Indicator.objects.all())
    assert [i.code for i in indicators] == [
        "F1",
        "F2",
        "F3",
        "F4",
        "F5",
        "F6",
        "F7",
        "R1",
        "R2",
        "R3",
        "R4",
        "R5",
        "R6",
        "R7",
        "R9",
        "R15",
    ]
    figures = ind.catalogue()
    assert {i.code: ind.check_definition(i, figures) for i in indicators} == {i.code: {} for i in indicators}
    by_code = {i.code: i for i in indicators}
    assert (by_code["R7"].denominator, by_code["R7"].denominator_basis) == ("organizations", "targets")
    assert (by_code["R4"].numerator, by_code["R4"].denominator) == ("mentors:student_student", "students")
    assert by_code["F1"].target_value == Decimal(70)
    # Every target has its source (docs/domain.md §6); docs/ name none for F3 and R6.
    assert {i.code: i.target_source for i in indicators if i.target_value is not None} == {
        "F1": by_code["F1"].target_source,
        "F3": "целевое значение региона",
        "R6": "целевое значение региона",
    }
    assert by_code["F1"].target_source.startswith("Федеральный проект «Современная школа»")
    f2 = by_code["F2"]
    assert (f2.numerator, f2.denominator) == ("student_mentors_15_19", "students_10_plus")
    assert (by_code["F4"].numerator, by_code["F4"].denominator) == ("employers_with_mentors", "employers")


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"numerator": "pupils", "denominator": "students"}, "numerator", "Неизвестная величина «pupils»"),
        ({"unit": "count", "numerator": "regulation_on_site"}, "unit", "долей организаций"),
        (
            {"unit": "yes_no", "numerator": "regulation_on_site", "denominator": "students"},
            "denominator",
            "Знаменатель ответа «да / нет»",
        ),
        ({"numerator": "teachers", "denominator": "organizations"}, "numerator", "Долю организаций считают"),
        ({"numerator": "teachers", "denominator": "regulation_on_site"}, "denominator", "численность"),
        ({"numerator": "teachers"}, "denominator", "Укажите знаменатель"),
    ],
)
def test_a_broken_formula_is_refused(fields, field, message):
    indicator = Indicator(code="X", name="Проверка", **{"unit": "share", "denominator": "", **fields})
    with pytest.raises(ValidationError) as refused:
        indicator.full_clean()
    assert message in " ".join(refused.value.message_dict[field])


def test_a_formula_in_use_cannot_change(coordinator, municipality, school):
    indicator = Indicator.objects.create(code="X2", name="Доля", numerator="teachers", denominator="students")
    campaign = svc.campaign_create(user=coordinator, municipality=municipality, indicators=["X2"], **CAMPAIGN)
    indicator.denominator = "teachers"
    indicator.full_clean()  # only a draft uses it: still free
    indicator.denominator = "students"
    svc.campaign_open(user=coordinator, campaign=campaign, at=at(D(2022, 12, 16)))
    indicator.numerator = "young_specialists"
    with pytest.raises(ValidationError, match="формулу менять нельзя"):
        indicator.full_clean()
    indicator.numerator = "teachers"
    indicator.name = "Доля педагогов"
    indicator.full_clean()  # the wording may change


def test_form_figures_follow_the_forms_as_data():
    figures = ind.catalogue()
    assert figures["mentees:student_student"].bound == "students"
    assert figures["mentors:teacher_teacher"].bound == "teachers"
    assert figures["young_specialist_mentees:teacher_teacher"].bound == "young_specialists"
    assert figures["mentors:org_org"].bound is None
    assert "young_specialist_mentees:student_student" not in figures
    # A form a region adds gets its figures too.
    MentoringForm.objects.create(
        code="mentor_family", name="наставник – семья", system="students", mentor_categories=["teacher"]
    )
    assert ind.catalogue()["mentors:mentor_family"].name == "Наставников, форма «наставник – семья»"


def test_a_submission_holds_the_figures_and_their_bounds():
    figures = ind.catalogue()
    chosen = Indicator.objects.filter(code__in=["F1", "R5", "R6"])
    assert ind.submission_figures(chosen, figures) == [
        "students",
        "students_10_plus",
        "student_mentees_10_plus",
        "mentees:student_student",
    ]


# ---------------------------------------------------------------- values, sums, targets


def test_sum_then_divide_never_average_percentages():
    share = Indicator(code="X", name="Доля", numerator="teachers", denominator="students")
    # 1 of 2 (50 %) and 1 of 10 (10 %): 2 of 12 = 16,7 %, not the 30 % an average would give.
    sums = {"teachers": FigureSums(1 + 1, 2 + 10), "students": FigureSums(2 + 10, 2 + 10 + 88)}
    value = ind.aggregate_value(share, sums, responded=2, expected=3)
    assert (value.numerator, value.denominator, value.share()) == (2, 12, "16,7\xa0%")
    share.denominator_basis = "targets"  # the third, silent organization's 88 count too
    assert ind.aggregate_value(share, sums, responded=2, expected=3).text(1) == "2 из 100, 2\xa0%"
    count = Indicator(code="Y", name="Количество", unit="count", numerator="teachers")
    assert ind.aggregate_value(count, sums, responded=2, expected=3) == Value(2)
    organizations = Indicator(code="Z", name="Участие", numerator="submitted", denominator="organizations")
    assert ind.aggregate_value(organizations, {}, responded=228, expected=340).denominator == 228
    organizations.denominator_basis = "targets"
    assert ind.aggregate_value(organizations, {}, responded=228, expected=340).text() == "228 из 340, 67\xa0%"


def test_one_organizations_value():
    share = Indicator(code="X", name="Доля", numerator="mentors:student_student", denominator="students")
    assert ind.organization_value(
        share, {"mentors:student_student": 18, "students": 100}, responded=True
    ) == (Value(18, 100))
    assert (
        ind.organization_value(share, {"mentors:student_student": None, "students": 100}, responded=True)
        is None
    )
    yes_no = Indicator(
        code="Y", name="Положение", unit="yes_no", numerator="regulation_on_site", denominator="organizations"
    )
    assert ind.organization_value(yes_no, {"regulation_on_site": 1}, responded=False) == Value(1, 1)
    took_part = Indicator(code="Z", name="Участие", numerator="submitted", denominator="organizations")
    assert ind.organization_value(took_part, {}, responded=False) == Value(0, 1)


@pytest.mark.parametrize(
    "comparison, value, light",
    [
        ("gte", Value(70, 100), "green"),
        ("gte", Value(61, 100), "yellow"),
        ("gte", Value(59, 100), "red"),
        ("lte", Value(70, 100), "green"),
        ("lte", Value(79, 100), "yellow"),
        ("lte", Value(81, 100), "red"),
    ],
)
def test_traffic_light(comparison, value, light):
    indicator = Indicator(
        code="X",
        name="Доля",
        target_value=Decimal(70),
        target_comparison=comparison,
        target_margin=Decimal(10),
    )
    assert ind.traffic_light(indicator, value) == light
    assert ind.LIGHT_LABELS[light]


def test_no_target_no_light():
    assert ind.traffic_light(Indicator(code="X", name="Доля"), Value(1, 2)) is None
    assert ind.traffic_light(Indicator(code="X", name="Доля", target_value=Decimal(5)), Value(1, 0)) is None


# ---------------------------------------------------------------- what the registry says


def person(org, category=Category.TEACHER, **kw):
    return f.make_person(organization=org, category=category, **kw)


def pair(org, form_code, mentor, mentees, **kw):
    return f.make_mentorship(
        organization=org, mentoring_form=f.form(form_code), mentor_person=mentor, mentees=mentees, **kw
    )


def test_registry_values_as_of_the_campaign_date(region, school, neighbour_school, django_assert_num_queries):
    as_of = D(2022, 12, 16)
    f.make_headcount(organization=school, school_year=2022, teachers=40, young_specialists=4, students=400)
    f.make_headcount(organization=school, school_year=2021, teachers=99, young_specialists=9, students=999)
    mentor, other_mentor = person(school), person(school)
    young1, young2 = person(school, teaching_experience=1), person(school, teaching_experience=2)
    senior = person(school, teaching_experience=10)
    pair(school, "teacher_teacher", mentor, [young1, senior])  # a group: one mentor, two mentees
    pair(school, "teacher_teacher", mentor, [young2])  # the same mentor again: counted once
    pair(school, "experienced_young", other_mentor, [young1])  # young1 in two forms: once across forms
    pair(school, "teacher_teacher", other_mentor, [person(school, teaching_experience=0)], status="draft")
    pair(
        school,
        "teacher_teacher",
        person(school),
        [person(school, teaching_experience=1)],
        status="completed",
        start_date=D(2022, 9, 1),
        end_date=D(2022, 12, 15),
    )
    pair(
        school,
        "teacher_teacher",
        person(school),
        [person(school, teaching_experience=1)],
        status="completed",
        start_date=D(2022, 9, 1),
        end_date=as_of,  # ends on the date: still counted
    )
    ten = person(school, Category.STUDENT, birth_date=D(2012, 12, 16))
    nine = person(school, Category.STUDENT, birth_date=D(2012, 12, 17))
    pair(school, "student_student", person(school, Category.STUDENT, birth_date=D(2007, 1, 1)), [ten, nine])
    course = TrainingCourse.objects.create(
        region=region,
        title="Наставничество",
        provider="ЦНППМ",
        start_date=D(2022, 10, 1),
        end_date=D(2023, 1, 31),
    )
    TrainingCompletion.objects.create(course=course, person=mentor, completed_on=D(2022, 11, 1))
    TrainingCompletion.objects.create(course=course, person=other_mentor, completed_on=D(2023, 1, 10))
    Organization.objects.filter(pk=school.pk).update(model_status="implementation")

    figures = ind.catalogue()
    codes = [code for code, figure in figures.items() if figure.per_organization]
    organizations = Organization.objects.filter(pk__in=[school.pk, neighbour_school.pk]).values("pk")
    # One GROUP BY per family of figures; the surveys' one finds no closed round (a second reads its answers);
    # the pairs' plans (R15) add one, the pupil mentors aged 15–19 (F2) one, the employers (F4) one.
    with django_assert_num_queries(10):
        known = ind.registry_values(as_of=as_of, organizations=organizations, codes=codes, figures=figures)
    mine = {code: value for (org, code), (value, _url) in known.items() if org == school.pk}
    assert mine == {
        "students": 400,
        "students_10_plus": 240,
        "teachers": 40,
        "young_specialists": 4,
        "mentors:teacher_teacher": 2,  # mentor, and the one whose pair ended on the date
        "mentees:teacher_teacher": 4,
        "young_specialist_mentees:teacher_teacher": 3,
        "mentors:experienced_young": 1,
        "mentees:experienced_young": 1,
        "young_specialist_mentees:experienced_young": 1,
        "mentors:student_student": 1,
        "mentees:student_student": 2,
        "student_mentees_10_plus": 1,
        "student_mentors_15_19": 1,  # the pupil mentor born 01.01.2007, 15 on the date
        "young_specialist_mentees": 3,
        "trained_teachers": 1,
        "target_model": 1,
    }
    # The neighbour: no headcount, no pairs, no document, no stage: absent (counts of pairs default to 0).
    assert {code for (org, code) in known if org == neighbour_school.pk} == set()
    assert ind.registry_default("mentors:teacher_teacher", figures["mentors:teacher_teacher"]) == 0
    assert ind.registry_default("students", figures["students"]) is None
    assert ind.registry_default("mentees_surveyed", figures["mentees_surveyed"]) is None


# ---------------------------------------------------------------- Oktyabrsky: 26 schools, seed 002's shares


def test_oktyabrsky_shares(coordinator, municipality, django_assert_num_queries):
    Organization.objects.bulk_create(
        Organization(code=f"OKT{i:02d}", full_name=f"МБОУ СОШ № {i}", municipality=municipality)
        for i in range(26)
    )
    schools = list(Organization.objects.filter(municipality=municipality).order_by("code"))
    Headcount.objects.bulk_create(
        Headcount(
            organization=org,
            school_year=2022,
            teachers=15 if i < 16 else 17,  # 410
            young_specialists=2 if i < 15 else 0,  # 30
            students=192 if i < 24 else 196,  # 5000
            students_10_plus=100,
        )
        for i, org in enumerate(schools)
    )
    campaign = opened_campaign(coordinator, municipality, ["F7", "R1", "R2", "R3", "R4", "R5"])
    reported = {
        "mentors:teacher_teacher": lambda i: 2 if i < 4 else 1,  # 30
        "young_specialist_mentees:teacher_teacher": lambda i: 2 if i < 15 else 0,  # 30 of 30
        "mentors:teacher_student": lambda i: 5 if i < 3 else 4,  # 107
        "mentors:student_student": lambda i: 35 if i < 16 else 34,  # 900
        "mentees:student_student": lambda i: 49 if i < 22 else 48,  # 1270
        "target_model": lambda i: 1,  # 26 of 26
    }
    index = {org.pk: i for i, org in enumerate(schools)}
    rows = list(
        SubmissionValue.objects.filter(submission__campaign=campaign, figure__in=reported).select_related(
            "submission"
        )
    )
    for row in rows:
        row.value = reported[row.figure](index[row.submission.organization_id])
    SubmissionValue.objects.bulk_update(rows, ["value"])
    Submission.objects.filter(campaign=campaign).update(
        status=S.SUBMITTED,
        submitted_at=at(D(2022, 12, 28)),
        first_submitted_at=at(D(2022, 12, 28)),
        on_time=True,
    )
    campaign = Campaign.objects.select_related("region", "municipality").get(pk=campaign.pk)
    with django_assert_num_queries(3):
        report = selectors.indicator_report(campaign)
    shares = {code: value.share() for code, value in report.total.values.items()}
    assert shares == {
        "F7": "100\xa0%",
        "R1": "7,3\xa0%",
        "R2": "100\xa0%",
        "R3": "26,1\xa0%",
        "R4": "18\xa0%",
        "R5": "25,4\xa0%",
    }
    assert report.total.values["F7"].text() == "26 из 26, 100\xa0%"
    assert report.total.values["R1"] == Value(30, 410)

    # Per school, from its own figures; three queries for the whole table.
    with django_assert_num_queries(3):
        table = selectors.organization_indicators(campaign)
    assert len(table) == 26
    assert table[0].values["R4"] == Value(35, 192)
    assert table[0].figures["students"] == 192


def test_a_submissions_form_rows(coordinator, curator, municipality, school):
    f.make_headcount(organization=school, students=300)
    campaign = opened_campaign(coordinator, municipality, ["R7", "R5"])
    submission = Submission.objects.get(campaign=campaign, organization=school)
    svc.submission_save_values(
        user=curator,
        submission=submission,
        entries={"mentees:student_student": {"value": 12, "comment": "Пары оформлены в декабре"}},
        at=at(D(2022, 12, 17)),
    )
    rows = selectors.submission_figures(submission)
    assert [(r.code, r.name, r.value, r.registry_value, r.source_label) for r in rows] == [
        ("students", "Обучающихся всего", 300, 300, "из реестра"),
        (
            "regulation_on_site",
            "Положение о наставничестве размещено на сайте ОО",
            None,
            None,
            "введено организацией",
        ),
        ("mentees:student_student", "Наставляемых, форма «ученик – ученик»", 12, 0, "введено организацией"),
    ]
    assert rows[1].needs_url and rows[1].kind == "yes_no"
    assert rows[2].differs_from_registry and rows[2].comment == "Пары оформлены в декабре"
