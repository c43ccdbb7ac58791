"""The Django admin: scoped like every screen (docs/reliability.md A1, A2, A4, A8), mentorships kept in
sync."""

import datetime

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core import checks
from django.urls import reverse

from registry.models import (
    BaseMembership,
    Category,
    Contest,
    ContestEntry,
    MentoringForm,
    Mentorship,
    MentorshipLink,
    MethodistRegistryEntry,
    NormativeDocument,
    OrganizationStatus,
    Person,
    PlanTemplate,
    PlanTemplateItem,
    PracticeBankEntry,
    TrainingCompletion,
    TrainingCourse,
    UserScope,
)
from tests import factories as f

TEACHER_TEACHER_STUDENT = "В форме «учитель – учитель» наставляемым не может быть обучающийся"


READ_ONLY_ADMINS = {
    "django_tasks_database.DBTaskResult",
    "registry.PersonalDataDestruction",
    "registry.AccountEvent",
    "mentoring_portal.AccessLogEntry",
    "axes.AccessAttempt",
    "axes.AccessLog",
    "axes.AccessFailureLog",
    # API keys are made by `create_api_token` only: the secret is printed once, never on a page.
    "mentoring_portal.ApiToken",
}


def make_staff(user, *, app_labels=("registry",)):
    """Give ``user`` the admin: staff status and every permission of the given apps."""
    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=app_labels))
    return user


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def mentorship_data(
    *, organization, mentor, mentees=(), form_code="teacher_teacher", status="active", links=()
):
    """POST data of the Mentorship admin form: ``links`` are (existing link, mentee), ``mentees`` new rows."""
    data = {
        "organization": organization.pk,
        "mentoring_form": f.form(form_code).pk,
        "mode": "",
        "group_name": "",
        "mentor_person": mentor.pk,
        "mentor_organization": "",
        "status": status,
        "start_date": "01.09.2022",
        "planned_end_date": "",
        "end_date": "",
        "agreement_date": "",
        "goal": "",
        "mentee_request": "",
        "result": "",
        "termination_reason": "",
        "links-TOTAL_FORMS": str(len(links) + len(mentees)),
        "links-INITIAL_FORMS": str(len(links)),
        "links-MIN_NUM_FORMS": "0",
        "links-MAX_NUM_FORMS": "1000",
        "_save": "Сохранить",
    }
    rows = [(link.pk, link.mentorship_id, mentee) for link, mentee in links]
    rows += [("", "", mentee) for mentee in mentees]
    for i, (link_id, mentorship_id, mentee) in enumerate(rows):
        data[f"links-{i}-id"] = link_id
        data[f"links-{i}-mentorship"] = mentorship_id
        data[f"links-{i}-mentee_person"] = mentee.pk
        data[f"links-{i}-mentee_organization"] = ""
    return data


@pytest.fixture
def staff_coordinator(coordinator):
    return make_staff(coordinator)


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


@pytest.fixture
def outsider(other_school):
    return f.make_person(
        organization=other_school, category=Category.TEACHER, full_name="Чужой Наставник Иванович"
    )


@pytest.fixture
def one_of_everything(school, other_school, teacher, young, curator, admin_user):
    """At least one row of every registered model, so that every list and change page renders rows."""
    region = school.municipality.region
    pair = f.make_mentorship(organization=school, mentor_person=teacher, mentees=[young])
    f.make_headcount(organization=school)
    OrganizationStatus.objects.create(
        organization=school, kind="mentor_school", start_date=datetime.date(2022, 9, 1)
    )
    BaseMembership.objects.create(organization=school, person=teacher, base="mentors", trained_as_mentor=True)
    NormativeDocument.objects.create(
        region=region,
        organization=school,
        doc_type="order",
        level="organization",
        date=datetime.date(2022, 9, 1),
        title="О наставничестве",
    )
    course = TrainingCourse.objects.create(
        region=region,
        title="Наставник",
        provider="ИРО",
        start_date=datetime.date(2022, 10, 1),
        end_date=datetime.date(2022, 10, 20),
    )
    TrainingCompletion.objects.create(course=course, person=teacher, completed_on=datetime.date(2022, 10, 20))
    contest = Contest.objects.create(
        region=region,
        title="Лучшая пара",
        start_date=datetime.date(2023, 1, 10),
        end_date=datetime.date(2023, 3, 1),
    )
    ContestEntry.objects.create(
        contest=contest, organization=school, mentorship=pair, title="Петрова и Иванов"
    )
    PracticeBankEntry.objects.create(
        region=region,
        organization=school,
        mentorship=pair,
        mentoring_form=pair.mentoring_form,
        title="Практика",
        submitted_on=datetime.date(2023, 5, 1),
        submitted_by=admin_user,
    )
    MethodistRegistryEntry.objects.create(region=region, person=teacher)
    template = PlanTemplate.objects.create(
        region=region, mentoring_form=pair.mentoring_form, title="Первый год", deficits="д", goals="ц"
    )
    PlanTemplateItem.objects.create(template=template, task="Знакомство со школой", deadline_days=14)
    return pair


def test_the_admin_passes_djangos_own_checks():
    errors = [e for e in checks.run_checks(tags=[checks.Tags.admin]) if e.level >= checks.ERROR]
    assert errors == []


def test_a_superuser_opens_every_list_add_and_change_page(client_for, admin_user, one_of_everything):
    client = client_for(admin_user)
    assert len(admin.site._registry) >= 16
    for model in admin.site._registry:
        name = model._meta.label
        assert client.get(url(model, "changelist")).status_code == 200, name
        # Written by the portal only, read-only in the admin: django-tasks-db's task results (the
        # worker), the destruction acts (registry.privacy), the access log and django-axes' login records.
        read_only = model._meta.label in READ_ONLY_ADMINS
        assert client.get(url(model, "add")).status_code == (403 if read_only else 200), name
        obj = model._default_manager.first()
        if obj is not None:
            assert client.get(url(model, "change", obj.pk)).status_code == 200, name
            if hasattr(model, "history"):
                assert client.get(url(model, "history", obj.pk)).status_code == 200, name


def test_the_site_is_titled_in_russian(client_for, admin_user):
    response = client_for(admin_user).get(reverse("admin:index"))
    assert "Наставничество — администрирование" in response.content.decode()


def test_a_coordinator_sees_only_people_of_their_municipality(
    client_for, staff_coordinator, school, neighbour_school, other_school
):
    f.make_person(organization=school, full_name="Своя Учительница Первая")
    f.make_person(organization=neighbour_school, full_name="Соседний Учитель Второй")
    f.make_person(organization=other_school, full_name="Чужая Учительница Девятая")

    response = client_for(staff_coordinator).get(url(Person, "changelist"))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Своя Учительница Первая" in content
    assert "Соседний Учитель Второй" in content
    assert "Чужая Учительница Девятая" not in content
    assert response.context["cl"].result_count == 2
    # The sidebar filter does not list the other municipality either.
    assert "Соседний район" not in content


def test_a_staff_curator_sees_only_their_school(client_for, curator, school, neighbour_school):
    make_staff(curator)
    f.make_person(organization=school, full_name="Своя Учительница Первая")
    f.make_person(organization=neighbour_school, full_name="Соседний Учитель Второй")

    content = client_for(curator).get(url(Person, "changelist")).content.decode()

    assert "Своя Учительница Первая" in content
    assert "Соседний Учитель Второй" not in content


def test_a_coordinator_gets_404_for_a_person_of_another_municipality(client_for, staff_coordinator, outsider):
    client = client_for(staff_coordinator)
    change_url = url(Person, "change", outsider.pk)

    assert client.get(change_url).status_code == 404
    assert client.get(url(Person, "history", outsider.pk)).status_code == 404
    assert client.get(url(Person, "delete", outsider.pk)).status_code == 404

    response = client.post(
        change_url,
        {
            "organization": outsider.organization_id,
            "full_name": "Переименован Чужим Координатором",
            "birth_date": "01.01.1980",
            "category": "teacher",
            "teaching_experience": "10",
            "_save": "Сохранить",
        },
    )
    assert response.status_code == 404
    assert client.post(url(Person, "delete", outsider.pk), {"post": "yes"}).status_code == 404
    outsider.refresh_from_db()
    assert outsider.full_name == "Чужой Наставник Иванович"


def test_a_coordinator_opens_a_person_of_their_municipality(client_for, staff_coordinator, teacher):
    assert client_for(staff_coordinator).get(url(Person, "change", teacher.pk)).status_code == 200


def test_the_mentor_choices_leave_out_people_outside_the_scope(
    client_for, staff_coordinator, school, teacher, young, outsider
):
    client = client_for(staff_coordinator)

    form = client.get(url(Mentorship, "add")).context["adminform"].form
    choices = set(form.fields["mentor_person"].queryset)
    assert teacher in choices and outsider not in choices

    found = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "registry", "model_name": "mentorship", "field_name": "mentor_person", "term": ""},
    ).json()
    ids = {row["id"] for row in found["results"]}
    assert str(teacher.pk) in ids and str(outsider.pk) not in ids

    response = client.post(
        url(Mentorship, "add"), mentorship_data(organization=school, mentor=outsider, mentees=[young])
    )

    assert response.status_code == 200
    assert "mentor_person" in response.context["adminform"].form.errors
    assert Mentorship.objects.count() == 0
    assert MentorshipLink.objects.count() == 0


def test_a_mentee_outside_the_scope_is_refused(client_for, staff_coordinator, school, teacher, other_school):
    stranger = f.make_person(organization=other_school, category=Category.TEACHER, teaching_experience=1)

    response = client_for(staff_coordinator).post(
        url(Mentorship, "add"), mentorship_data(organization=school, mentor=teacher, mentees=[stranger])
    )

    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][0].formset.errors[0]["mentee_person"]
    assert Mentorship.objects.count() == 0


def test_a_mentorship_saved_in_the_admin_gets_its_links_in_sync(
    client_for, staff_coordinator, school, teacher, young
):
    client = client_for(staff_coordinator)

    response = client.post(
        url(Mentorship, "add"),
        mentorship_data(organization=school, mentor=teacher, mentees=[young], status="draft"),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    pair = Mentorship.objects.get()
    link = MentorshipLink.objects.get(mentorship=pair)
    assert link.mentee_person == young
    assert (link.status, link.mentoring_form, link.organization) == ("draft", pair.mentoring_form, school)
    assert (link.mentor_person, link.start_date) == (teacher, datetime.date(2022, 9, 1))

    # Changing the pair alone (the link row is posted unchanged) still updates the copies.
    response = client.post(
        url(Mentorship, "change", pair.pk),
        mentorship_data(organization=school, mentor=teacher, links=[(link, young)], status="active"),
    )

    assert response.status_code == 302
    link.refresh_from_db()
    pair.refresh_from_db()
    assert (pair.status, link.status) == ("active", "active")
    assert pair.version == 2


def test_a_student_mentee_in_teacher_teacher_is_refused_in_russian(
    client_for, staff_coordinator, school, teacher, pupil
):
    response = client_for(staff_coordinator).post(
        url(Mentorship, "add"), mentorship_data(organization=school, mentor=teacher, mentees=[pupil])
    )

    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert TEACHER_TEACHER_STUDENT in " ".join(formset.errors[0]["mentee_person"])
    assert TEACHER_TEACHER_STUDENT in response.content.decode()
    assert Mentorship.objects.count() == 0
    assert MentorshipLink.objects.count() == 0


def test_a_mentorship_without_mentees_is_refused(client_for, staff_coordinator, school, teacher):
    response = client_for(staff_coordinator).post(
        url(Mentorship, "add"), mentorship_data(organization=school, mentor=teacher)
    )

    assert response.status_code == 200
    assert "Укажите хотя бы одного наставляемого." in response.content.decode()
    assert Mentorship.objects.count() == 0


def test_a_second_active_pair_is_refused_with_a_message(
    client_for, staff_coordinator, school, teacher, young
):
    f.make_mentorship(organization=school, mentor_person=teacher, mentees=[young])

    response = client_for(staff_coordinator).post(
        url(Mentorship, "add"), mentorship_data(organization=school, mentor=teacher, mentees=[young])
    )

    assert response.status_code == 200
    assert "уже есть действующая пара" in response.content.decode()
    assert Mentorship.objects.count() == 1


def test_a_completed_pair_cannot_be_made_active_again(client_for, staff_coordinator, school, teacher, young):
    pair = f.make_mentorship(
        organization=school,
        mentor_person=teacher,
        mentees=[young],
        status="completed",
        end_date=datetime.date(2023, 5, 31),
    )
    link = pair.links.get()
    data = mentorship_data(organization=school, mentor=teacher, links=[(link, young)], status="active")
    data["end_date"] = "31.05.2023"

    response = client_for(staff_coordinator).post(url(Mentorship, "change", pair.pk), data)

    assert response.status_code == 200
    assert "нельзя перевести в статус «действует»" in response.content.decode()
    pair.refresh_from_db()
    assert pair.status == "completed"


def test_a_mentorship_cannot_be_reverted_from_its_history(client_for, admin_user, school, teacher, young):
    pair = f.make_mentorship(organization=school, mentor_person=teacher, mentees=[young])
    version = pair.history.first()
    revert_url = reverse("admin:registry_mentorship_simple_history", args=[pair.pk, version.history_id])

    client = client_for(admin_user)
    assert client.get(revert_url).status_code == 200
    assert client.post(revert_url, {"status": "draft"}).status_code == 403


def test_users_and_their_scopes_are_managed_on_one_page(client_for, admin_user, curator, neighbour_school):
    client = client_for(admin_user)
    change_url = url(get_user_model(), "change", curator.pk)
    page = client.get(change_url)
    assert page.status_code == 200
    assert 'name="scope-0-role"' in page.content.decode()

    scope = curator.scope
    data = {
        "username": curator.username,
        "first_name": "",
        "last_name": "",
        "email": "",
        "is_active": "on",
        "is_staff": "on",
        "date_joined_0": "01.01.2024",
        "date_joined_1": "00:00:00",
        "scope-TOTAL_FORMS": "1",
        "scope-INITIAL_FORMS": "1",
        "scope-MIN_NUM_FORMS": "0",
        "scope-MAX_NUM_FORMS": "1",
        "scope-0-id": scope.pk,
        "scope-0-user": curator.pk,
        "scope-0-role": "curator",
        "scope-0-organization": neighbour_school.pk,
        "scope-0-municipality": "",
        "scope-0-region": "",
        "_save": "Сохранить",
    }
    response = client.post(change_url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    scope.refresh_from_db()
    assert scope.organization == neighbour_school


def test_a_scope_that_does_not_fit_the_role_is_refused(client_for, admin_user, neighbour_school):
    response = client_for(admin_user).post(
        url(UserScope, "add"),
        {"user": f.make_user("newbie").pk, "role": "coordinator", "organization": neighbour_school.pk},
    )

    assert response.status_code == 200
    assert "координатору — муниципалитет" in response.content.decode()
    assert UserScope.objects.count() == 0


def test_only_admins_manage_users_and_scopes(client_for, coordinator):
    make_staff(coordinator, app_labels=("registry", "auth"))
    client = client_for(coordinator)

    assert client.get(url(get_user_model(), "changelist")).status_code == 403
    assert client.get(url(UserScope, "changelist")).status_code == 403


def test_only_admins_edit_the_vocabulary_of_forms(client_for, staff_coordinator, admin_user):
    form = MentoringForm.objects.get(code="teacher_teacher")

    assert client_for(staff_coordinator).get(url(MentoringForm, "add")).status_code == 403
    assert client_for(admin_user).get(url(MentoringForm, "change", form.pk)).status_code == 200


def test_staff_above_the_school_see_no_birth_date_or_contacts_on_the_person_form(
    client_for, staff_coordinator, curator, teacher, admin_user
):
    teacher.phone = "+7 900 123-45-67"
    teacher.save()
    body = client_for(staff_coordinator).get(url(Person, "change", teacher.pk)).content.decode()
    assert teacher.full_name in body
    assert 'name="birth_date"' not in body and 'name="phone"' not in body and "123-45-67" not in body
    body = client_for(admin_user).get(url(Person, "change", teacher.pk)).content.decode()
    assert 'name="birth_date"' in body and "123-45-67" in body
