"""Model rules and database constraints of mentorships (docs/domain.md §4)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from registry import services
from registry.models import Category, Mentorship, MentorshipLink
from tests import factories as f


@pytest.fixture
def teacher(school):
    return f.make_person(organization=school, category=Category.TEACHER, full_name="Петрова Анна Сергеевна")


@pytest.fixture
def young(school):
    return f.make_person(
        organization=school, category=Category.TEACHER, teaching_experience=1, full_name="Иванов Олег Ильич"
    )


@pytest.fixture
def pupil(school):
    return f.make_person(organization=school, category=Category.STUDENT, full_name="Сидоров Пётр")


def test_it_creates_a_pair_with_its_link(school, teacher, young):
    pair = f.make_mentorship(organization=school, mentor_person=teacher, mentees=[young])
    link = MentorshipLink.objects.get(mentorship=pair)
    assert (link.mentee_person, link.mentor_person, link.organization) == (young, teacher, school)
    assert link.status == "active" and link.start_date == datetime.date(2022, 9, 1)


def test_it_refuses_a_student_mentee_in_teacher_teacher(school, teacher, pupil):
    with pytest.raises(ValidationError) as excinfo:
        f.make_mentorship(organization=school, mentor_person=teacher, mentees=[pupil])
    assert "В форме «учитель – учитель» наставляемым не может быть обучающийся" in str(excinfo.value)
    assert Mentorship.objects.count() == 0


def test_it_refuses_a_teacher_mentor_in_student_student(school, teacher, pupil):
    with pytest.raises(ValidationError) as excinfo:
        f.make_mentorship(
            organization=school,
            mentoring_form=f.form("student_student"),
            mentor_person=teacher,
            mentees=[pupil],
        )
    assert "наставником не может быть педагог" in str(excinfo.value)
    assert Mentorship.objects.count() == 0


def test_it_refuses_an_end_before_the_start(school, teacher, young):
    with pytest.raises(ValidationError) as excinfo:
        f.make_mentorship(
            organization=school,
            mentor_person=teacher,
            mentees=[young],
            status="completed",
            end_date=datetime.date(2022, 8, 1),
        )
    assert "Дата окончания не может быть раньше даты начала" in str(excinfo.value)
    assert Mentorship.objects.count() == 0


def test_it_refuses_a_second_active_pair_for_the_same_mentor_mentee_and_form(school, teacher, young):
    f.make_mentorship(organization=school, mentor_person=teacher, mentees=[young])
    with pytest.raises(ValidationError) as excinfo:
        f.make_mentorship(organization=school, mentor_person=teacher, mentees=[young])
    assert services.DUPLICATE_ACTIVE in str(excinfo.value)
    assert Mentorship.objects.count() == 1


def test_the_database_refuses_a_second_active_link_whatever_the_code_path(school, teacher, young):
    pair = f.make_mentorship(organization=school, mentor_person=teacher, mentees=[young])
    other = Mentorship.objects.create(
        organization=school,
        mentoring_form=pair.mentoring_form,
        mentor_person=teacher,
        status="active",
        start_date=datetime.date(2023, 1, 1),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        MentorshipLink.objects.create(
            mentorship=other, mentee_person=young, **services.mentorship_link_fields(mentorship=other)
        )


def test_a_completed_pair_frees_the_mentor_for_a_new_one(school, teacher, young):
    pair = f.make_mentorship(organization=school, mentor_person=teacher, mentees=[young])
    services.mentorship_transition(
        mentorship=pair, status="completed", end_date=datetime.date(2023, 5, 31), result="Аттестован"
    )
    again = f.make_mentorship(
        organization=school, mentor_person=teacher, mentees=[young], start_date=datetime.date(2023, 9, 1)
    )
    assert again.status == "active"
    assert MentorshipLink.objects.get(mentorship=pair).status == "completed"
    assert MentorshipLink.objects.get(mentorship=pair).end_date == datetime.date(2023, 5, 31)


def test_the_database_refuses_a_pair_with_two_mentors(school, teacher, young):
    with pytest.raises(IntegrityError), transaction.atomic():
        Mentorship.objects.create(
            organization=school,
            mentoring_form=f.form("teacher_teacher"),
            mentor_person=teacher,
            mentor_organization=school,
            start_date=datetime.date(2022, 9, 1),
        )


def test_the_database_refuses_an_end_before_the_start(school, teacher):
    with pytest.raises(IntegrityError), transaction.atomic():
        Mentorship.objects.create(
            organization=school,
            mentoring_form=f.form("teacher_teacher"),
            mentor_person=teacher,
            start_date=datetime.date(2022, 9, 1),
            end_date=datetime.date(2022, 1, 1),
            status="completed",
        )


def test_org_org_links_two_organizations_and_no_people(school, neighbour_school, teacher):
    pair = f.make_mentorship(
        organization=school,
        mentoring_form=f.form("org_org"),
        mentor_organization=school,
        mentees=[neighbour_school],
    )
    assert MentorshipLink.objects.get(mentorship=pair).mentee_organization == neighbour_school
    with pytest.raises(ValidationError) as excinfo:
        f.make_mentorship(
            organization=school,
            mentoring_form=f.form("org_org"),
            mentor_person=teacher,
            mentees=[neighbour_school],
        )
    assert "наставником выступает организация" in str(excinfo.value)


def test_a_group_has_one_mentor_and_several_mentees(school, teacher):
    mentees = [
        f.make_person(organization=school, category=Category.TEACHER, teaching_experience=0) for _ in range(3)
    ]
    group = f.make_mentorship(
        organization=school, mentor_person=teacher, mentees=mentees, group_name="Группа 1"
    )
    assert group.is_group
    assert set(group.links.values_list("mentee_person", flat=True)) == {p.pk for p in mentees}


def test_a_draft_cannot_be_completed_without_activation(school, teacher, young):
    pair = f.make_mentorship(organization=school, mentor_person=teacher, mentees=[young], status="draft")
    with pytest.raises(ValidationError) as excinfo:
        services.mentorship_transition(mentorship=pair, status="completed")
    assert "«черновик» нельзя перевести в статус «завершена»" in str(excinfo.value)


def test_history_records_who_changed_a_pair(school, teacher, young, admin_user):
    pair = f.make_mentorship(organization=school, mentor_person=teacher, mentees=[young])
    pair._history_user = admin_user
    services.mentorship_transition(mentorship=pair, status="terminated", reason="Переезд наставляемого")
    last = pair.history.first()
    assert last.status == "terminated" and last.history_user == admin_user
    assert pair.history.count() == 2


def test_the_second_of_two_concurrent_edits_is_told_to_reload(school, teacher, young):
    pair = f.make_mentorship(organization=school, mentor_person=teacher, mentees=[young])
    first, second = Mentorship.objects.get(pk=pair.pk), Mentorship.objects.get(pk=pair.pk)
    seen = first.version
    first.goal = "Цель первого куратора"
    services.mentorship_save(mentorship=first, expected_version=seen)
    second.goal = "Цель второго куратора"
    with pytest.raises(ValidationError) as excinfo:
        services.mentorship_save(mentorship=second, expected_version=seen)
    assert services.STALE_VERSION in str(excinfo.value)
    pair.refresh_from_db()
    assert pair.goal == "Цель первого куратора" and pair.version == seen + 1


def test_links_carry_the_participants_attributes(school, teacher, young):
    pair = f.make_mentorship(organization=school, mentor_person=teacher, mentees=[young])
    link = MentorshipLink.objects.get(mentorship=pair)
    assert (link.mentor_category, link.mentee_category) == ("teacher", "teacher")
    assert (link.mentee_teaching_experience, link.mentee_birth_date) == (1, young.birth_date)


def test_a_person_edit_refreshes_the_copies_on_the_links(school, teacher, young):
    from registry import selectors

    pair = f.make_mentorship(organization=school, mentor_person=teacher, mentees=[young])
    as_of = datetime.date(2022, 12, 30)
    assert selectors.form_counts(scope=school, as_of=as_of)["teacher_teacher"].young_specialist_mentees == 1
    young.teaching_experience = 5
    young.save()
    services.person_sync_links(person=young)
    assert MentorshipLink.objects.get(mentorship=pair).mentee_teaching_experience == 5
    assert selectors.form_counts(scope=school, as_of=as_of)["teacher_teacher"].young_specialist_mentees == 0
    # the copies are not history: the link keeps one history row, from its creation
    assert MentorshipLink.objects.get(mentorship=pair).history.count() == 1


def test_editing_a_person_on_the_card_refreshes_the_links(school, teacher, young):
    from registry import people

    pair = f.make_mentorship(organization=school, mentor_person=teacher, mentees=[young])
    people.person_update(person=young, expected_version=young.version, teaching_experience=4)
    assert MentorshipLink.objects.get(mentorship=pair).mentee_teaching_experience == 4
