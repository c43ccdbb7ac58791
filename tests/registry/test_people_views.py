"""«Наставники» and «Наставляемые»: lists, the person card, adding, editing and archiving.

Actors (tests/conftest.py): ``curator`` owns ``school``; ``coordinator`` reads its municipality;
``other_curator`` and ``other_coordinator`` are strangers to ``school``; ``operator``, ``admin_user``.
"""

import datetime
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from registry import people
from registry.models import CURRENT_CONSENT_TEXT_VERSION, BaseMembership, Category, Mentorship, Person
from tests import factories as f
from tests.registry.factories_people import make_base_person, make_member, years_ago

pytestmark = pytest.mark.django_db


BIRTH = datetime.date(2012, 5, 17)


def today():
    return timezone.localdate()


@pytest.fixture
def teacher(school):
    return make_member(
        organization=school,
        base="mentors",
        full_name="Петрова Анна Сергеевна",
        position="учитель математики",
        email="petrova@example.ru",
        phone="+7 900 111-22-33",
        trained_as_mentor=True,
    )


@pytest.fixture
def student(school):
    return make_member(
        organization=school,
        base="mentees",
        category=Category.STUDENT,
        full_name="Сидоров Михаил Игоревич",
        birth_date=BIRTH,
        grade="6Б",
        email="misha@example.ru",
        phone="+7 900 555-44-33",
        request="Подготовка к олимпиаде",
    )


@pytest.fixture
def neighbour_mentor(neighbour_school):
    return make_member(organization=neighbour_school, base="mentors", full_name="Соседова Вера")


@pytest.fixture
def stranger_mentor(other_school):
    return make_member(organization=other_school, base="mentors", full_name="Чужая Ольга")


def names(response) -> set[str]:
    return {row.person.full_name for row in response.context["page"]}


def card_url(person):
    return reverse("registry:person-detail", args=[person.pk])


def edit_url(person):
    return reverse("registry:person-edit", args=[person.pk])


def archive_url(person, base="mentors"):
    return reverse("registry:person-archive", args=[person.pk]) + f"?base={base}"


def create_url(base="mentors"):
    return reverse("registry:person-create") + f"?base={base}"


def person_post(**kw) -> dict:
    data = {
        "full_name": "Новикова Елена Павловна",
        "birth_date": "1985-03-02",
        "category": Category.TEACHER,
        "position": "учитель",
        "subject": "история",
        "grade": "",
        "teaching_experience": "12",
        "email": "novikova@example.ru",
        "phone": "+7 900 000-00-01",
        "consent_date": today().isoformat(),
        "consent_giver": "",
        "consent_text_version": CURRENT_CONSENT_TEXT_VERSION,
        "trained_as_mentor": "on",
        "competences": "проектная деятельность",
        "request": "",
    }
    if kw.get("category") == Category.STUDENT:
        data["consent_giver"] = "Сидорова Анна Петровна"  # a pupil consents through a parent
    data.update(kw)
    return data


def edit_post(person, membership_fields=None, **kw) -> dict:
    data = {
        "full_name": person.full_name,
        "birth_date": person.birth_date.isoformat(),
        "category": person.category,
        "position": person.position,
        "subject": person.subject,
        "grade": person.grade,
        "teaching_experience": "" if person.teaching_experience is None else str(person.teaching_experience),
        "email": person.email,
        "phone": person.phone,
        "consent_date": person.consent_date.isoformat(),
        "consent_giver": person.consent_giver,
        "consent_text_version": person.consent_text_version,
        "version": str(person.version),
    }
    data.update(membership_fields or {})
    data.update(kw)
    return data


# ---------------------------------------------------------------- three actors, every URL


@pytest.mark.parametrize("url_name", ["registry:mentor-list", "registry:mentee-list"])
def test_lists_answer_every_signed_in_user_with_its_own_rows(
    client_for,
    url_name,
    curator,
    coordinator,
    other_curator,
    other_coordinator,
    operator,
    teacher,
    student,
    neighbour_mentor,
    stranger_mentor,
):
    url = reverse(url_name)
    seen = {}
    for user in (curator, coordinator, other_curator, other_coordinator, operator):
        response = client_for(user).get(url)
        assert response.status_code == 200
        seen[user.username] = names(response)
    if url_name == "registry:mentor-list":
        assert seen["curator1"] == {teacher.full_name}
        assert seen["coordinator1"] == {teacher.full_name, neighbour_mentor.full_name}
        assert seen["curator9"] == seen["coordinator9"] == {stranger_mentor.full_name}
        assert seen["operator1"] == {teacher.full_name, neighbour_mentor.full_name, stranger_mentor.full_name}
    else:
        # above the school, pupils appear as counts, not names (docs/architecture.md §7)
        assert seen["curator1"] == {student.full_name}
        assert seen["coordinator1"] == seen["operator1"] == set()
        assert seen["curator9"] == seen["coordinator9"] == set()


def test_add_button_is_shown_to_the_curator_only(client_for, curator, coordinator, teacher):
    assert "Добавить наставника" in client_for(curator).get(reverse("registry:mentor-list")).content.decode()
    assert "Добавить наставника" not in (
        client_for(coordinator).get(reverse("registry:mentor-list")).content.decode()
    )


@pytest.mark.parametrize("actor", ["curator", "coordinator", "operator", "admin_user"])
def test_card_opens_for_the_owner_and_wider_scopes(request, client_for, actor, teacher):
    response = client_for(request.getfixturevalue(actor)).get(card_url(teacher))
    assert response.status_code == 200
    assert teacher.full_name in response.content.decode()


@pytest.mark.parametrize("stranger", ["other_curator", "other_coordinator"])
def test_strangers_get_404_on_card_edit_and_archive(request, client_for, stranger, teacher):
    client = client_for(request.getfixturevalue(stranger))
    assert client.get(card_url(teacher)).status_code == 404
    assert client.get(edit_url(teacher)).status_code == 404
    response = client.post(edit_url(teacher), edit_post(teacher, full_name="Взломано"))
    assert response.status_code == 404
    assert client.post(archive_url(teacher), {"action": "archive"}).status_code == 404
    teacher.refresh_from_db()
    assert teacher.full_name == "Петрова Анна Сергеевна"
    assert BaseMembership.objects.get(person=teacher).archived_on is None


def test_curator_of_the_neighbour_school_gets_404(client_for, neighbour_school, teacher):
    neighbour = f.make_user("neighbour", role="curator", organization=neighbour_school)
    assert client_for(neighbour).get(card_url(teacher)).status_code == 404


def test_malformed_id_is_404(client_for, curator):
    assert client_for(curator).get("/people/not-a-uuid/").status_code == 404


@pytest.mark.parametrize("reader", ["coordinator", "operator"])
def test_read_only_roles_get_403_on_add_edit_and_archive(request, client_for, reader, teacher):
    client = client_for(request.getfixturevalue(reader))
    count = Person.objects.count()
    assert client.get(create_url()).status_code == 403
    assert client.post(create_url(), person_post()).status_code == 403
    assert client.get(edit_url(teacher)).status_code == 403
    assert client.post(edit_url(teacher), edit_post(teacher, full_name="Изменено")).status_code == 403
    assert client.post(archive_url(teacher), {"action": "archive"}).status_code == 403
    assert Person.objects.count() == count
    teacher.refresh_from_db()
    assert teacher.full_name == "Петрова Анна Сергеевна" and teacher.version == 1
    assert BaseMembership.objects.get(person=teacher).archived_on is None


def test_card_shows_edit_and_archive_only_to_the_curator(client_for, curator, coordinator, teacher):
    mine = client_for(curator).get(card_url(teacher)).content.decode()
    assert edit_url(teacher) in mine and "Исключить из базы" in mine
    theirs = client_for(coordinator).get(card_url(teacher)).content.decode()
    assert edit_url(teacher) not in theirs and "Исключить из базы" not in theirs


def test_archive_is_post_only(client_for, curator, teacher):
    assert client_for(curator).get(archive_url(teacher)).status_code == 405


def test_unknown_base_is_404(client_for, curator, teacher):
    client = client_for(curator)
    assert client.get(reverse("registry:person-create") + "?base=admins").status_code == 404
    assert client.get(reverse("registry:person-create")).status_code == 404
    assert client.post(archive_url(teacher, base="x"), {"action": "archive"}).status_code == 404
    # the teacher stands in the base of mentors only
    assert client.post(archive_url(teacher, base="mentees"), {"action": "archive"}).status_code == 404


def test_anonymous_user_goes_to_login(client, teacher):
    for url in [reverse("registry:mentor-list"), create_url(), card_url(teacher), edit_url(teacher)]:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


# ---------------------------------------------------------------- adding


def test_curator_adds_a_mentor_to_own_school(client_for, curator, school):
    response = client_for(curator).post(create_url(), person_post(), follow=True)
    person = Person.objects.get(full_name="Новикова Елена Павловна")
    assert response.redirect_chain[-1][0] == card_url(person)
    assert "добавлен(а) в базу наставников" in response.content.decode()
    assert person.organization == school
    assert (person.birth_date, person.subject, person.teaching_experience) == (
        datetime.date(1985, 3, 2),
        "история",
        12,
    )
    membership = BaseMembership.objects.get(person=person)
    assert (membership.organization, membership.base, membership.trained_as_mentor) == (
        school,
        "mentors",
        True,
    )
    assert membership.competences == "проектная деятельность"
    assert membership.included_on == today()
    assert person.history.count() == 1 and person.history.first().history_user == curator


def test_posted_organization_and_municipality_are_ignored(
    client_for, curator, school, other_school, other_municipality
):
    data = person_post(organization=str(other_school.pk), municipality=str(other_municipality.pk))
    client_for(curator).post(create_url("mentees"), data)
    person = Person.objects.get(full_name="Новикова Елена Павловна")
    assert person.organization == school
    assert BaseMembership.objects.get(person=person).organization == school
    assert not Person.objects.filter(organization=other_school).exists()


def test_posted_organization_is_ignored_on_edit(client_for, curator, school, other_school, teacher):
    client_for(curator).post(edit_url(teacher), edit_post(teacher, organization=str(other_school.pk)))
    teacher.refresh_from_db()
    assert teacher.organization == school


def test_mentee_form_asks_for_the_request_not_for_training(client_for, curator, school):
    form = client_for(curator).get(create_url("mentees")).context["form"]
    assert "request" in form.fields and "trained_as_mentor" not in form.fields
    assert "organization" not in form.fields
    client_for(curator).post(create_url("mentees"), person_post(request="Адаптация в коллективе"))
    membership = BaseMembership.objects.get(person__full_name="Новикова Елена Павловна")
    assert (membership.base, membership.request, membership.trained_as_mentor) == (
        "mentees",
        "Адаптация в коллективе",
        False,
    )


def test_same_natural_key_adds_the_existing_person_to_the_base(client_for, curator, school, student):
    persons, memberships = Person.objects.count(), BaseMembership.objects.count()
    data = person_post(
        full_name="  Сидоров   Михаил Игоревич ",
        birth_date=BIRTH.isoformat(),
        category=Category.STUDENT,
        grade="6Б",
        teaching_experience="",
        phone="+7 999 999-99-99",
    )
    response = client_for(curator).post(create_url("mentors"), data, follow=True)
    assert response.redirect_chain[-1][0] == card_url(student)
    assert "уже был(а) в реестре организации" in response.content.decode()
    assert Person.objects.count() == persons
    assert BaseMembership.objects.count() == memberships + 1
    assert set(student.base_memberships.values_list("base", flat=True)) == {"mentors", "mentees"}
    student.refresh_from_db()
    assert student.phone == "+7 900 555-44-33"  # the stored data are kept


def test_person_already_in_the_base_is_refused(client_for, curator, student):
    memberships, history = BaseMembership.objects.count(), BaseMembership.history.count()
    data = person_post(
        full_name=student.full_name,
        birth_date=BIRTH.isoformat(),
        category=Category.STUDENT,
        teaching_experience="",
    )
    response = client_for(curator).post(create_url("mentees"), data)
    assert response.status_code == 200
    assert people.ALREADY_IN_BASE.format(name=student.full_name, base="базе наставляемых") in (
        response.context["form"].non_field_errors()
    )
    assert BaseMembership.objects.count() == memberships
    assert BaseMembership.history.count() == history


def test_adding_an_archived_person_returns_him_from_the_archive(client_for, curator, school):
    person = make_member(organization=school, base="mentors", archived_on=datetime.date(2023, 1, 1))
    data = person_post(full_name=person.full_name, birth_date=person.birth_date.isoformat())
    response = client_for(curator).post(create_url("mentors"), data, follow=True)
    assert "возвращен(а) из архива" in response.content.decode()
    assert BaseMembership.objects.get(person=person).archived_on is None
    assert Person.objects.filter(full_name=person.full_name).count() == 1


def test_student_younger_than_10_is_refused_next_to_the_birth_date(client_for, curator):
    persons, memberships = Person.objects.count(), BaseMembership.objects.count()
    data = person_post(
        full_name="Маленький Ученик",
        category=Category.STUDENT,
        birth_date=years_ago(10, today(), days=1).isoformat(),  # tenth birthday is tomorrow
        teaching_experience="",
        grade="3А",
    )
    response = client_for(curator).post(create_url("mentees"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["birth_date"] == [people.STUDENT_TOO_YOUNG]
    assert people.STUDENT_TOO_YOUNG in response.content.decode()
    assert Person.objects.count() == persons
    assert BaseMembership.objects.count() == memberships


def test_a_pupil_older_than_19_is_refused_next_to_the_birth_date(client_for, curator):
    """docs/reliability.md #24: a «pupil» of 25 is a wrong birth date or a wrong category."""
    persons = Person.objects.count()
    data = person_post(
        full_name="Взрослый Ученик",
        category=Category.STUDENT,
        birth_date=years_ago(25, today()).isoformat(),
        teaching_experience="",
        grade="11А",
    )
    response = client_for(curator).post(create_url("mentees"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["birth_date"] == [people.STUDENT_TOO_OLD]
    assert Person.objects.count() == persons


def test_student_of_exactly_10_is_accepted(client_for, curator):
    data = person_post(
        full_name="Юбиляр Ученик",
        category=Category.STUDENT,
        birth_date=years_ago(10, today()).isoformat(),
        teaching_experience="",
    )
    response = client_for(curator).post(create_url("mentees"), data)
    assert response.status_code == 302
    assert Person.objects.filter(full_name="Юбиляр Ученик").exists()


def test_service_refuses_a_young_student_too(school):
    with pytest.raises(people.ValidationError) as excinfo:
        people.person_create(
            organization=school,
            base="mentors",
            full_name="Маленький",
            birth_date=years_ago(9, today()),
            category=Category.STUDENT,
        )
    assert excinfo.value.message_dict == {"birth_date": [people.STUDENT_TOO_YOUNG]}
    assert not Person.objects.filter(full_name="Маленький").exists()


def test_form_errors_are_russian_and_nothing_is_saved(client_for, curator):
    count = Person.objects.count()
    response = client_for(curator).post(create_url(), person_post(full_name="", email="не почта"))
    errors = response.context["form"].errors
    assert errors["full_name"] == ["Обязательное поле."]
    assert "Введите правильный адрес электронной почты." in errors["email"]
    assert Person.objects.count() == count


def test_admin_adds_into_the_chosen_organization(client_for, admin_user, other_school):
    client = client_for(admin_user)
    assert client.get(create_url()).context["form"].fields["organization"].queryset.filter(pk=other_school.pk)
    client.post(create_url(), person_post(organization=str(other_school.pk)))
    assert Person.objects.get(full_name="Новикова Елена Павловна").organization == other_school


# ---------------------------------------------------------------- editing


def test_curator_edits_person_and_base_fields_with_history(client_for, curator, teacher):
    client = client_for(curator)
    data = edit_post(teacher, position="заместитель директора", competences="наставничество молодых")
    response = client.post(edit_url(teacher), data, follow=True)
    assert response.redirect_chain[-1][0] == card_url(teacher)
    teacher.refresh_from_db()
    assert (teacher.position, teacher.version) == ("заместитель директора", 2)
    membership = BaseMembership.objects.get(person=teacher)
    assert membership.trained_as_mentor is False  # the unchecked box
    assert membership.competences == "наставничество молодых"
    body = response.content.decode()
    assert "Должность: учитель математики → заместитель директора" in body
    assert "Обучен как наставник: да → нет" in body
    history = response.context["history"]
    assert history[0].who == "curator1"
    assert re.search(r"\d\d\.\d\d\.\d{4} \d\d:\d\d</td>\s*<td[^>]*>curator1", body)


def test_saving_an_unchanged_form_writes_nothing(client_for, curator, teacher):
    history = teacher.history.count()
    data = edit_post(teacher, membership_fields={"trained_as_mentor": "on"})
    response = client_for(curator).post(edit_url(teacher), data, follow=True)
    assert "Изменений нет." in response.content.decode()
    teacher.refresh_from_db()
    assert teacher.version == 1 and teacher.history.count() == history


def test_edit_made_by_someone_else_meanwhile_is_not_overwritten(client_for, curator, teacher):
    client = client_for(curator)
    form = client.get(edit_url(teacher)).context["form"]
    assert form["version"].value() == 1
    people.person_update(person=teacher, expected_version=1, phone="+7 911 000-00-00")  # another user
    history = teacher.history.count()
    response = client.post(edit_url(teacher), edit_post(teacher, full_name="Петрова-Иванова Анна"))
    assert response.status_code == 200
    assert people.STALE_VERSION in response.content.decode()
    assert "Данные участника изменил другой пользователь" in response.context["form"].non_field_errors()[0]
    teacher.refresh_from_db()
    assert (teacher.full_name, teacher.phone, teacher.version) == (
        "Петрова Анна Сергеевна",
        "+7 911 000-00-00",
        2,
    )
    assert teacher.history.count() == history


def test_edit_to_an_existing_natural_key_is_refused(client_for, curator, school, teacher):
    twin = make_member(organization=school, full_name="Двойник", birth_date=datetime.date(1979, 1, 1))
    response = client_for(curator).post(
        edit_url(twin),
        edit_post(twin, full_name=teacher.full_name, birth_date=teacher.birth_date.isoformat()),
    )
    assert response.status_code == 200
    assert "Участник с такими ФИО и датой рождения уже есть в этой организации." in (
        response.context["form"].non_field_errors()
    )
    twin.refresh_from_db()
    assert twin.full_name == "Двойник"


def test_category_that_no_longer_fits_an_active_pair_is_refused(client_for, curator, school, teacher):
    f.make_mentorship(
        organization=school, mentor_person=teacher, start_date=today() - datetime.timedelta(days=5)
    )
    response = client_for(curator).post(edit_url(teacher), edit_post(teacher, category=Category.EMPLOYER_REP))
    assert response.status_code == 200
    assert "не подходит к форме «учитель – учитель»" in response.context["form"].errors["category"][0]
    teacher.refresh_from_db()
    assert teacher.category == Category.TEACHER


# ---------------------------------------------------------------- archive


def test_archive_and_restore_are_dated_and_kept_in_history(client_for, curator, teacher):
    client = client_for(curator)
    membership = BaseMembership.objects.get(person=teacher)
    history = membership.history.count()
    response = client.post(archive_url(teacher), {"action": "archive"}, follow=True)
    membership.refresh_from_db()
    assert membership.archived_on == today()
    assert membership.history.count() == history + 1
    record = membership.history.first()
    assert (record.archived_on, record.history_user) == (today(), curator)
    body = response.content.decode()
    assert "исключен(а) из базы наставников" in body
    assert "Исключён из базы наставников (в архиве)" in body
    assert names(client.get(reverse("registry:mentor-list"))) == set()
    assert names(client.get(reverse("registry:mentor-list") + "?archived=1")) == {teacher.full_name}

    response = client.post(archive_url(teacher), {"action": "restore"}, follow=True)
    membership.refresh_from_db()
    assert membership.archived_on is None
    assert membership.history.count() == history + 2
    assert "Возвращён из архива в базу наставников" in response.content.decode()
    assert names(client.get(reverse("registry:mentor-list"))) == {teacher.full_name}


def test_mentor_with_a_working_pair_is_not_archived(client_for, curator, school, teacher):
    f.make_mentorship(
        organization=school, mentor_person=teacher, start_date=today() - datetime.timedelta(days=5)
    )
    history = BaseMembership.history.count()
    response = client_for(curator).post(archive_url(teacher), {"action": "archive"}, follow=True)
    assert people.HAS_ACTIVE_PAIRS.format(role="наставник") in response.content.decode()
    assert BaseMembership.objects.get(person=teacher).archived_on is None
    assert BaseMembership.history.count() == history


# ---------------------------------------------------------------- filters


@pytest.fixture
def bases(school):
    """Mentors A..E and mentees M1, S1, M2 of ``school``, with pairs as of today."""
    start = today() - datetime.timedelta(days=30)
    a = make_member(organization=school, full_name="А Наставник", trained_as_mentor=True)
    b = make_member(organization=school, full_name="Б Наставник")
    c = make_member(organization=school, full_name="В Ученик-наставник", category=Category.STUDENT)
    d = make_member(organization=school, full_name="Г Архивный", archived_on=datetime.date(2023, 5, 1))
    e = make_member(organization=school, full_name="Д Будущий")
    m1 = make_member(organization=school, base="mentees", full_name="М1 Молодой", teaching_experience=1)
    s1 = make_member(organization=school, base="mentees", full_name="С1 Ученик", category=Category.STUDENT)
    m2 = make_member(organization=school, base="mentees", full_name="М2 Свободный", teaching_experience=0)
    f.make_mentorship(organization=school, mentor_person=a, mentees=[m1], start_date=start)
    f.make_mentorship(
        organization=school,
        mentoring_form=f.form("student_student"),
        mentor_person=c,
        mentees=[s1],
        start_date=start,
    )
    f.make_mentorship(  # finished: B is free today
        organization=school,
        mentor_person=b,
        mentees=[m2],
        status="completed",
        start_date=datetime.date(2022, 9, 1),
        end_date=datetime.date(2023, 5, 31),
    )
    f.make_mentorship(  # starts next week: E is free today
        organization=school, mentor_person=e, start_date=today() + datetime.timedelta(days=7)
    )
    return {p.full_name[:2].strip(): p for p in (a, b, c, d, e, m1, s1, m2)}


def listed(client, url_name, query="") -> set[str]:
    response = client.get(reverse(url_name) + query)
    assert response.status_code == 200
    return {row.person.full_name.split()[0] for row in response.context["page"]}


@pytest.mark.parametrize(
    "query, expected",
    [
        ("", {"А", "Б", "В", "Д"}),
        ("?category=student", {"В"}),
        ("?category=teacher", {"А", "Б", "Д"}),
        ("?trained=yes", {"А"}),
        ("?trained=no", {"Б", "В", "Д"}),
        ("?paired=paired", {"А", "В"}),
        ("?paired=free", {"Б", "Д"}),
        ("?category=teacher&paired=free", {"Б", "Д"}),
        ("?archived=1", {"Г"}),
        ("?q=наставник", {"А", "Б", "В"}),
        ("?q=БУДУЩИЙ", {"Д"}),
    ],
)
def test_mentor_filters_give_exactly_the_expected_rows(client_for, curator, bases, query, expected):
    assert listed(client_for(curator), "registry:mentor-list", query) == expected


def test_form_filter_picks_people_with_an_active_pair_of_that_form(client_for, curator, bases):
    client = client_for(curator)
    teacher_form, student_form = f.form("teacher_teacher").pk, f.form("student_student").pk
    assert listed(client, "registry:mentor-list", f"?mentoring_form={teacher_form}") == {"А"}
    assert listed(client, "registry:mentor-list", f"?mentoring_form={student_form}") == {"В"}
    assert listed(client, "registry:mentee-list", f"?mentoring_form={teacher_form}") == {"М1"}
    assert listed(client, "registry:mentee-list", f"?mentoring_form={student_form}") == {"С1"}


@pytest.mark.parametrize(
    "query, expected",
    [
        ("", {"М1", "С1", "М2"}),
        ("?paired=paired", {"М1", "С1"}),
        ("?paired=free", {"М2"}),
        ("?category=student", {"С1"}),
        ("?trained=yes", {"М1", "С1", "М2"}),  # not a filter of this base: ignored
    ],
)
def test_mentee_filters_give_exactly_the_expected_rows(client_for, curator, bases, query, expected):
    assert listed(client_for(curator), "registry:mentee-list", query) == expected


def test_list_shows_forms_pair_state_and_training(client_for, curator, bases):
    response = client_for(curator).get(reverse("registry:mentor-list"))
    rows = {row.person.full_name.split()[0]: row for row in response.context["page"]}
    assert rows["А"].forms == ["учитель – учитель"] and rows["А"].in_pair and rows["А"].trained_as_mentor
    assert rows["Б"].forms == [] and not rows["Б"].in_pair
    assert rows["В"].forms == ["ученик – ученик"] and rows["В"].active_mentees == 1
    assert rows["Д"].active_mentees == 0


def test_mentor_at_the_limit_is_marked(client_for, curator, school, settings):
    settings.MENTOR_MENTEE_LIMIT = 2
    busy = make_member(organization=school, full_name="Занятая Наставница")
    calm = make_member(organization=school, full_name="Спокойная Наставница")
    start = today() - datetime.timedelta(days=3)
    f.make_mentorship(organization=school, mentor_person=busy, start_date=start)
    f.make_mentorship(organization=school, mentor_person=busy, start_date=start)
    f.make_mentorship(organization=school, mentor_person=calm, start_date=start)
    body = client_for(curator).get(reverse("registry:mentor-list")).content.decode()
    assert re.search(rf'data-person="{busy.pk}">.*?class="over-limit"[^>]*>⚠ 2<', body, re.S)
    calm_row = re.search(rf'data-person="{calm.pk}">.*?</tr>', body, re.S).group(0)
    assert "over-limit" not in calm_row


def test_coordinator_filters_by_organization_within_scope(
    client_for, coordinator, school, other_school, teacher, neighbour_mentor, stranger_mentor
):
    client = client_for(coordinator)
    form = client.get(reverse("registry:mentor-list")).context["filterset"].form
    assert set(form.fields["organization"].queryset) == {school, neighbour_mentor.organization}
    assert "municipality" not in form.fields
    assert listed(client, "registry:mentor-list", f"?organization={school.pk}") == {"Петрова"}
    # Another municipality's school is not a valid choice: the list shows nothing, not everything.
    assert listed(client, "registry:mentor-list", f"?organization={other_school.pk}") == set()


def test_operator_filters_by_municipality(client_for, operator, municipality, teacher, stranger_mentor):
    client = client_for(operator)
    assert listed(client, "registry:mentor-list", f"?municipality={municipality.pk}") == {"Петрова"}


def test_unknown_parameters_do_not_widen_the_list(
    client_for, curator, other_school, teacher, stranger_mentor
):
    query = (
        f"?organization={other_school.pk}"
        f"&organization__municipality={other_school.municipality_id}&base=mentees&_connector=OR"
    )
    assert listed(client_for(curator), "registry:mentor-list", query) == {"Петрова"}


# ---------------------------------------------------------------- export


def read_xlsx(response) -> tuple[list, list[dict]]:
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    header = list(rows[3])
    return header, [dict(zip(header, row, strict=True)) for row in rows[4:]]


def test_export_has_the_rows_of_the_filtered_list(client_for, curator, bases):
    client = client_for(curator)
    query = "?category=teacher&paired=free"
    on_screen = {
        row.person.full_name for row in client.get(reverse("registry:mentor-list") + query).context["page"]
    }
    response = client.get(reverse("registry:mentor-list") + query + "&format=xlsx")
    assert (
        "%D0%9D%D0%B0%D1%81%D1%82%D0%B0%D0%B2%D0%BD%D0%B8%D0%BA%D0%B8.xlsx" in response["Content-Disposition"]
    )
    header, rows = read_xlsx(response)
    assert {row["ФИО"] for row in rows} == on_screen == {"Б Наставник", "Д Будущий"}
    assert {row["В паре"] for row in rows} == {"свободен"}
    assert "Дата рождения" in header


def test_export_respects_the_scope_and_hides_personal_data_above_the_school(
    client_for, coordinator, student, teacher, neighbour_mentor, stranger_mentor
):
    client = client_for(coordinator)
    header, rows = read_xlsx(client.get(reverse("registry:mentor-list") + "?format=xlsx"))
    assert {row["ФИО"] for row in rows} == {teacher.full_name, neighbour_mentor.full_name}
    assert not {"Дата рождения", "Email", "Телефон"} & set(header)
    header, rows = read_xlsx(client.get(reverse("registry:mentee-list") + "?format=xlsx"))
    assert rows == []  # pupils are not listed by name above the school


# ---------------------------------------------------------------- personal data


def test_student_personal_data_are_shown_to_the_curator_only(
    client_for, curator, coordinator, operator, student
):
    mine = client_for(curator).get(card_url(student)).content.decode()
    assert "17.05.2012" in mine and "misha@example.ru" in mine and "+7 900 555-44-33" in mine
    for reader in (coordinator, operator):
        response = client_for(reader).get(card_url(student))
        assert response.status_code == 404  # above the school a pupil has no card
        body = response.content.decode()
        assert student.full_name not in body and "17.05.2012" not in body and "misha@example.ru" not in body


def test_student_personal_data_are_not_in_the_coordinator_list(client_for, curator, coordinator, student):
    assert "17.05.2012" in client_for(curator).get(reverse("registry:mentee-list")).content.decode()
    body = client_for(coordinator).get(reverse("registry:mentee-list")).content.decode()
    assert student.full_name not in body
    assert "17.05.2012" not in body and "misha@example.ru" not in body
    assert "видны по именам только куратору своей ОО" in body


def test_history_hides_contact_values_above_the_school(client_for, curator, coordinator, teacher):
    client_for(curator).post(
        edit_url(teacher), edit_post(teacher, phone="+7 900 777-77-77", position="завуч")
    )
    mine = client_for(curator).get(card_url(teacher)).content.decode()
    assert "+7 900 777-77-77" in mine
    body = client_for(coordinator).get(card_url(teacher)).content.decode()
    assert 'Телефон: <span class="muted">изменено (значение скрыто)</span>' in body
    assert "завуч" in body
    assert "777-77-77" not in body


# ---------------------------------------------------------------- card


def test_card_lists_pairs_with_links_and_bases(client_for, curator, school, teacher, student):
    pair = f.make_mentorship(
        organization=school,
        mentoring_form=f.form("teacher_student"),
        mentor_person=teacher,
        mentees=[student],
        start_date=datetime.date(2024, 9, 2),
    )
    response = client_for(curator).get(card_url(teacher))
    body = response.content.decode()
    assert [p.pk for p in response.context["as_mentor"]] == [pair.pk]
    assert (
        f'href="/pairs/{pair.pk}/"' in body or reverse("registry:mentorship-detail", args=[pair.pk]) in body
    )
    assert "учитель – ученик" in body and "02.09.2024" in body and student.full_name in body
    assert "База наставников" in body and "01.09.2022" in body
    student_card = client_for(curator).get(card_url(student))
    assert [p.pk for p in student_card.context["as_mentee"]] == [pair.pk]
    assert teacher.full_name in student_card.content.decode()


def test_card_does_not_show_pairs_of_another_school(client_for, curator, school, other_school, teacher):
    mentee = make_base_person(organization=other_school, full_name="Чужой Наставляемый")
    f.make_mentorship(organization=other_school, mentor_person=teacher, mentees=[mentee])
    response = client_for(curator).get(card_url(teacher))
    assert response.context["as_mentor"] == []
    body = response.content.decode()
    assert "Чужой Наставляемый" not in body and "других организациях" not in body


# ---------------------------------------------------------------- query count


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("actor", ["curator", "coordinator"])
def test_list_query_count_does_not_grow_with_the_base(
    request, client_for, school, actor, django_assert_max_num_queries
):
    client = client_for(request.getfixturevalue(actor))
    start = today() - datetime.timedelta(days=10)

    def add(n):
        for i in range(n):
            mentor = make_member(
                organization=school, full_name=f"Наставник {i:02d}", trained_as_mentor=i % 2 == 0
            )
            mentee = make_member(organization=school, base="mentees", full_name=f"Наставляемый {i:02d}")
            if i % 3:
                f.make_mentorship(
                    organization=school, mentor_person=mentor, mentees=[mentee], start_date=start
                )

    add(3)
    urls = [
        reverse("registry:mentor-list"),
        reverse("registry:mentee-list") + "?paired=paired&category=teacher",
    ]
    small = [_queries(client, url) for url in urls]
    add(33)
    with django_assert_max_num_queries(12):
        response = client.get(urls[0])
    assert len(response.context["page"]) == 36
    assert [_queries(client, url) for url in urls] == small
    assert _queries(client, urls[0] + "?format=xlsx") <= 12


def test_mentorship_count_on_card_matches_the_pairs(client_for, curator, school, teacher):
    f.make_mentorship(organization=school, mentor_person=teacher, start_date=today())
    assert client_for(curator).get(card_url(teacher)).context["active_mentees"] == 1
    assert Mentorship.objects.filter(mentor_person=teacher).count() == 1


def test_an_edit_never_touches_another_school_base_entry(client_for, curator, school, other_school, teacher):
    from registry.models import BaseMembership

    visiting = BaseMembership.objects.create(
        organization=other_school, person=teacher, base="mentors", competences="их компетенции"
    )
    response = client_for(curator).post(
        edit_url(teacher), edit_post(teacher, competences="наши компетенции", phone="+7 900 000-00-01")
    )
    assert response.status_code == 302
    visiting.refresh_from_db()
    assert visiting.competences == "их компетенции"


def test_a_visiting_person_personal_data_stay_with_their_own_school(
    client_for, other_curator, other_school, teacher
):
    """A teacher of `school` stands in other_school's base: its curator sees the name, not the contacts."""
    from registry.models import BaseMembership

    BaseMembership.objects.create(organization=other_school, person=teacher, base="mentors")
    response = client_for(other_curator).get(reverse("registry:mentor-list"))
    row = next(r for r in response.context["page"] if r.person_id == teacher.pk)
    assert row.show_pd is False
    assert teacher.birth_date.strftime("%d.%m.%Y") not in response.content.decode()
    header, rows = read_xlsx(client_for(other_curator).get(reverse("registry:mentor-list") + "?format=xlsx"))
    line = next(r for r in rows if r["ФИО"] == teacher.full_name)
    assert (line["Дата рождения"], line["Email"], line["Телефон"]) == (None, None, None)
