"""Counting selectors: distinct participants per form as of a date, and the headcount denominators."""

import datetime

import pytest

from registry import selectors, services
from registry.models import Category
from tests import factories as f

pytestmark = pytest.mark.django_db

D = datetime.date
AS_OF = D(2022, 12, 30)


def teacher(org, **kw):
    return f.make_person(organization=org, category=Category.TEACHER, **kw)


def pupil(org, **kw):
    return f.make_person(organization=org, category=Category.STUDENT, **kw)


def test_the_as_of_rule(school):
    """Counted: not a draft, started on or before the date, not ended before it."""
    cases = {
        "active": dict(status="active", start_date=D(2022, 9, 1)),
        "ends on the date": dict(status="completed", start_date=D(2022, 9, 1), end_date=AS_OF),
        "ended later": dict(
            status="terminated",
            start_date=D(2022, 9, 1),
            end_date=D(2023, 3, 1),
            termination_reason="Переезд",
        ),
        "starts on the date": dict(status="active", start_date=AS_OF),
        "draft": dict(status="draft", start_date=D(2022, 9, 1)),
        "ended the day before": dict(status="completed", start_date=D(2022, 9, 1), end_date=D(2022, 12, 29)),
        "starts the day after": dict(status="active", start_date=D(2022, 12, 31)),
    }
    for name, fields in cases.items():
        f.make_mentorship(organization=school, mentor_person=teacher(school, full_name=name), **fields)
    counts = selectors.form_counts(scope=school, as_of=AS_OF)["teacher_teacher"]
    assert counts.mentorships == 4
    assert counts.mentors == 4
    assert counts.mentees == 4


def test_a_mentor_of_two_pairs_counts_once(school):
    mentor = teacher(school)
    for _ in range(3):
        f.make_mentorship(organization=school, mentor_person=mentor)
    counts = selectors.form_counts(scope=school, as_of=AS_OF)["teacher_teacher"]
    assert (counts.mentors, counts.mentees, counts.mentorships) == (1, 3, 3)


def test_a_group_counts_each_mentee(school):
    mentees = [pupil(school) for _ in range(4)]
    f.make_mentorship(
        organization=school,
        mentoring_form=f.form("student_student"),
        mentor_person=pupil(school),
        mentees=mentees,
    )
    counts = selectors.form_counts(scope=school, as_of=AS_OF)["student_student"]
    assert (counts.mentors, counts.mentees, counts.mentorships) == (1, 4, 1)


def test_young_specialists_and_pupils_aged_ten(school):
    f.make_mentorship(organization=school, mentees=[teacher(school, teaching_experience=2)])
    f.make_mentorship(organization=school, mentees=[teacher(school, teaching_experience=3)])
    too_young = pupil(school, birth_date=D(2013, 1, 1))  # 9 on 30.12.2022
    ten = pupil(school, birth_date=D(2012, 12, 30))  # 10 that very day
    f.make_mentorship(
        organization=school,
        mentoring_form=f.form("teacher_student"),
        mentor_person=teacher(school),
        mentees=[too_young, ten],
    )
    counts = selectors.form_counts(scope=school, as_of=AS_OF)
    assert counts["teacher_teacher"].young_specialist_mentees == 1
    assert counts["teacher_student"].student_mentees_10_plus == 1


def test_scopes_count_their_own_organizations(school, neighbour_school, other_school, municipality, region):
    f.make_mentorship(organization=school)
    f.make_mentorship(organization=neighbour_school)
    f.make_mentorship(organization=other_school)

    def pairs(scope):
        return selectors.totals(scope=scope, as_of=AS_OF).mentorships

    assert (pairs(school), pairs(municipality), pairs(region), pairs(None)) == (1, 2, 3, 3)


def test_a_mentor_from_another_school_counts_in_the_pair_school(school, other_school):
    outsider = teacher(other_school)
    f.make_mentorship(organization=school, mentor_person=outsider)
    assert selectors.totals(scope=school, as_of=AS_OF).mentors == 1
    assert selectors.totals(scope=other_school, as_of=AS_OF).mentors == 0


def test_org_org_counts_organizations(school, neighbour_school):
    f.make_mentorship(
        organization=school,
        mentoring_form=f.form("org_org"),
        mentor_organization=school,
        mentees=[neighbour_school],
    )
    counts = selectors.form_counts(scope=school, as_of=AS_OF)["org_org"]
    assert (counts.mentor_organizations, counts.mentee_organizations, counts.mentors) == (1, 1, 0)


def test_category_counts(school):
    f.make_mentorship(
        organization=school, mentor_person=f.make_person(organization=school, category=Category.HEAD)
    )
    f.make_mentorship(organization=school)
    counts = selectors.category_counts(scope=school, as_of=AS_OF)
    assert counts[("teacher_teacher", "mentor", "head")] == 1
    assert counts[("teacher_teacher", "mentor", "teacher")] == 1
    assert counts[("teacher_teacher", "mentee", "teacher")] == 2


def test_headcount_of_the_school_year_of_the_date(school, neighbour_school, other_school, municipality):
    f.make_headcount(organization=school, school_year=2022, teachers=40, young_specialists=3, students=500)
    f.make_headcount(
        organization=neighbour_school, school_year=2022, teachers=10, young_specialists=1, students=90
    )
    f.make_headcount(organization=school, school_year=2021, teachers=99, young_specialists=9, students=999)
    f.make_headcount(
        organization=other_school, school_year=2022, teachers=77, young_specialists=7, students=777
    )
    heads = selectors.headcount_totals(scope=municipality, as_of=AS_OF)
    assert (
        heads.school_year,
        heads.organizations,
        heads.teachers,
        heads.young_specialists,
        heads.students,
    ) == (
        2022,
        2,
        50,
        4,
        590,
    )
    # 31 August still belongs to the school year that started the September before
    assert selectors.headcount_totals(scope=school, as_of=D(2022, 8, 31)).teachers == 99


def test_the_links_follow_the_mentorship_when_it_changes(school):
    pair = f.make_mentorship(organization=school)
    services.mentorship_transition(mentorship=pair, status="completed", end_date=D(2022, 10, 1))
    assert selectors.totals(scope=school, as_of=AS_OF).mentorships == 0
    assert selectors.totals(scope=school, as_of=D(2022, 9, 30)).mentorships == 1


def test_each_figure_family_is_one_query(school, django_assert_num_queries):
    for _ in range(5):
        f.make_mentorship(organization=school)
    with django_assert_num_queries(2):  # the forms vocabulary + the counts
        selectors.form_counts(scope=school, as_of=AS_OF)
    with django_assert_num_queries(1):
        selectors.totals(scope=school, as_of=AS_OF)
    with django_assert_num_queries(1):
        selectors.headcount_totals(scope=school, as_of=AS_OF)
    with django_assert_num_queries(3):  # the vocabulary + one per side
        selectors.category_counts(scope=school, as_of=AS_OF)


def test_mentorship_alerts(school, neighbour_school, municipality):
    today = D(2023, 3, 1)
    f.make_mentorship(organization=school, planned_end_date=D(2023, 3, 20), agreement_date=D(2022, 9, 1))
    f.make_mentorship(organization=school, planned_end_date=D(2023, 2, 1), agreement_date=D(2022, 9, 1))
    f.make_mentorship(organization=school, planned_end_date=D(2023, 9, 1))  # no agreement
    f.make_mentorship(organization=school, status="completed", end_date=D(2023, 1, 1))  # no result
    f.make_mentorship(organization=school, status="completed", end_date=D(2023, 1, 1), result="Аттестован")
    f.make_mentorship(organization=school, status="draft")
    f.make_mentorship(
        organization=neighbour_school, planned_end_date=D(2023, 3, 2), agreement_date=D(2022, 9, 1)
    )
    alerts = selectors.mentorship_alerts(scope=school, today=today)
    # the three active pairs of the school, started 01.09.2022, have never met: silent
    assert alerts == {
        "ending_soon": 1,
        "overdue": 1,
        "no_agreement": 1,
        "no_result": 1,
        "drafts": 1,
        "silent": 3,
    }
    by_org = selectors.mentorship_alerts_by_organization(scope=municipality, today=today)
    assert by_org[neighbour_school.pk]["ending_soon"] == 1
    assert by_org[school.pk]["overdue"] == 1


def test_the_live_view_counts_active_pairs_only(school):
    today = D(2023, 3, 1)
    f.make_mentorship(organization=school, start_date=D(2022, 9, 1))
    f.make_mentorship(organization=school, start_date=D(2022, 9, 1), status="completed", end_date=today)
    f.make_mentorship(organization=school, start_date=D(2023, 4, 1))  # active, not started yet
    assert selectors.totals(scope=school, as_of=today).mentorships == 2  # the as-of rule of reports
    assert selectors.totals(scope=school, as_of=today, active_only=True).mentorships == 1
    assert selectors.form_counts(scope=school, as_of=today, active_only=True)["teacher_teacher"].mentors == 1
