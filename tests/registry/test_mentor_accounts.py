"""Mentors' own accounts (docs/domain.md §4.3, docs/architecture.md §7).

A curator invites an adult mentor of its school by e-mail; the link sets a password once and opens
the account. The mentor sees only its own pairs (another pair of the same school, another school:
404), their plans and meetings, which it writes; its mentees by name, never their birth dates,
contacts or legal representatives; every other page answers 403 (the access matrix walks them all:
tests/battery/test_access_matrix.py). Pupils and anyone under 18 never get an account.
"""

import datetime
import re

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from registry import access, accounts
from registry.models import Category, Meeting, MentoringPlan, Mentorship, Person, PlanItem, UserScope
from tests import factories as f
from tests.registry.factories_people import make_member

pytestmark = pytest.mark.django_db

START = datetime.date(2022, 9, 1)
BIRTH = datetime.date(2009, 3, 14)


@pytest.fixture
def mentor_person(school):
    return make_member(
        organization=school,
        base="mentors",
        full_name="Смирнова Ольга Ивановна",
        category=Category.TEACHER,
        email="smirnova@example.org",
        phone="+7 900 111-22-33",
    )


@pytest.fixture
def mentee(school):
    return make_member(
        organization=school,
        base="mentees",
        full_name="Котов Артём Сергеевич",
        category=Category.STUDENT,
        birth_date=BIRTH,
        email="kotov@example.org",
        phone="+7 900 444-55-66",
        consent_giver="Котова Мария Павловна",
    )


@pytest.fixture
def own_pair(school, mentor_person, mentee):
    pair = f.make_mentorship(
        organization=school,
        mentoring_form=f.form("teacher_student"),
        mentor_person=mentor_person,
        mentees=[mentee],
        start_date=START,
    )
    f.make_plan_item(pair)
    f.make_meeting(pair)
    return pair


@pytest.fixture
def mentor(mentor_person):
    return f.make_user("smirnova", role="mentor", person=mentor_person)


def pair_url(name, pair, *args):
    return reverse(f"registry:mentorship-{name}", args=[pair.pk, *args])


# ---------------------------------------------------------------- the invitation


def _invite(client, person, email="", callbacks=None):
    with callbacks(execute=True):
        return client.post(reverse("registry:person-invite", args=[person.pk]), {"email": email})


def test_curator_invites_a_mentor_the_link_sets_a_password_once_and_login_works(
    client, client_for, curator, mentor_person, own_pair, django_capture_on_commit_callbacks
):
    card = client_for(curator).get(reverse("registry:person-detail", args=[mentor_person.pk]))
    assert "Пригласить в портал" in card.content.decode()
    response = _invite(client, mentor_person, callbacks=django_capture_on_commit_callbacks)
    assert response.status_code == 302
    user = get_user_model().objects.get(username="smirnova@example.org")
    assert not user.is_active and not user.has_usable_password()
    assert (user.scope.role, user.scope.person) == (UserScope.Role.MENTOR, mentor_person)
    assert LogEntry.objects.filter(object_id=str(user.pk), user=curator).exists()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["smirnova@example.org"]
    assert message.subject == "Приглашение в портал «Наставничество»"
    assert "Смирнова Ольга Ивановна" in message.body and "задать пароль" in message.body
    link = re.search(r"http://testserver(/\S+)", message.body).group(1)

    client.logout()
    page = client.get(link)
    assert page.status_code == 200 and "Задайте пароль" in page.content.decode()
    password = "Длинный-пароль-наставника-2024"
    response = client.post(link, {"new_password1": password, "new_password2": password})
    assert response.status_code == 302 and response["Location"] == reverse("login")
    user.refresh_from_db()
    assert user.is_active and user.check_password(password)
    # The link dies with the old password: a second use is a plain 404.
    assert client.get(link).status_code == 404

    signed_in = client.post(reverse("login"), {"username": "smirnova@example.org", "password": password})
    assert signed_in.status_code == 302
    dashboard = client.get(reverse("dashboard"))
    assert dashboard.status_code == 200
    assert [pair.pk for pair in dashboard.context["my_pairs"]] == [own_pair.pk]
    # The curator's card now tells that the account is open, and offers no second invitation.
    card = (
        client_for(curator).get(reverse("registry:person-detail", args=[mentor_person.pk])).content.decode()
    )
    assert (
        "Пригласить в портал" not in card and "учётная запись наставника в портале: открыта" in card.lower()
    )


def test_a_typed_email_replaces_the_cards(client_for, curator, school, django_capture_on_commit_callbacks):
    person = make_member(organization=school, base="mentors", category=Category.TEACHER, email="")
    client = client_for(curator)
    response = _invite(client, person, callbacks=django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert accounts.NO_EMAIL in response.content.decode()
    response = _invite(client, person, "Teacher@Example.org", callbacks=django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert mail.outbox[0].to == ["teacher@example.org"]
    assert UserScope.objects.get(person=person).user.username == "teacher@example.org"


def test_a_pupil_an_under_18_and_an_invited_mentor_are_refused(
    client_for, curator, school, mentee, mentor, mentor_person, django_capture_on_commit_callbacks
):
    client = client_for(curator)
    young = make_member(
        organization=school,
        base="mentors",
        category=Category.COLLEGE_STUDENT,
        birth_date=datetime.date.today().replace(year=datetime.date.today().year - 17),
        email="young@example.org",
    )
    for person, refusal in (
        (mentee, accounts.NOT_ADULT),
        (young, accounts.NOT_ADULT),
        (mentor_person, accounts.ALREADY),
    ):
        page = client.get(reverse("registry:person-invite", args=[person.pk]))
        assert page.status_code == 200 and refusal in page.content.decode()
        response = _invite(
            client, person, "someone@example.org", callbacks=django_capture_on_commit_callbacks
        )
        assert response.status_code == 200 and refusal in response.content.decode()
    assert mail.outbox == []
    assert not UserScope.objects.filter(person__in=[mentee, young]).exists()


def test_only_the_curator_of_the_school_invites(
    client_for, coordinator, other_curator, admin_user, mentor_person, mentor
):
    url = reverse("registry:person-invite", args=[mentor_person.pk])
    assert client_for(other_curator).get(url).status_code == 404
    assert client_for(coordinator).get(url).status_code == 403
    assert client_for(admin_user).get(url).status_code == 403
    assert client_for(mentor).get(url).status_code == 403


def test_a_forged_link_is_a_404(client):
    assert client.get(reverse("registry:mentor-invitation", args=["MQ", "abc-123"])).status_code == 404


def test_the_database_holds_the_mentor_to_a_person(school):
    from django.db import IntegrityError, transaction

    user = f.make_user()
    with pytest.raises(IntegrityError), transaction.atomic():
        UserScope.objects.create(user=user, role=UserScope.Role.MENTOR)
    with pytest.raises(IntegrityError), transaction.atomic():
        UserScope.objects.create(
            user=user,
            role=UserScope.Role.CURATOR,
            organization=school,
            person=f.make_person(organization=school),
        )


# ---------------------------------------------------------------- the scope: own pairs only


def test_the_mentor_sees_its_own_pairs_only(
    client_for, mentor, own_pair, school, other_school, mentor_person, mentee
):
    same_school = f.make_mentorship(organization=school)
    other = f.make_mentorship(organization=other_school)
    client = client_for(mentor)
    listed = client.get(reverse("registry:mentorship-list")).context["page"]
    assert [pair.pk for pair in listed] == [own_pair.pk]
    assert client.get(pair_url("detail", own_pair)).status_code == 200
    for pair in (same_school, other):
        assert client.get(pair_url("detail", pair)).status_code == 404
        assert client.get(reverse("reports:agreement-docx", args=[pair.pk])).status_code == 404
    assert set(access.scoped(mentor, Mentorship.objects.all())) == {own_pair}
    assert set(access.scoped(mentor, Person.objects.all())) == {mentor_person, mentee}
    assert list(access.scoped(mentor, MentoringPlan.objects.all())) == [
        MentoringPlan.objects.get(mentorship=own_pair)
    ]
    assert access.scoped(mentor, Meeting.objects.all()).count() == 1
    assert access.scoped(mentor, PlanItem.objects.all()).count() == 1
    assert [o.pk for o in access.scoped(mentor, school.__class__.objects.all())] == [school.pk]


def test_the_mentor_sees_names_but_no_birth_dates_contacts_or_representatives(
    client_for, mentor, own_pair, mentee, mentor_person
):
    client = client_for(mentor)
    pages = [
        client.get(pair_url("detail", own_pair)),
        client.get(reverse("registry:person-detail", args=[mentee.pk])),
        client.get(reverse("registry:person-detail", args=[mentor_person.pk])),
        client.get(reverse("dashboard")),
    ]
    for response in pages:
        assert response.status_code == 200
        body = response.content.decode()
        assert "data-pd" not in body
        for secret in ("14.03.2009", "kotov@example.org", "444-55-66", "Котова Мария", "111-22-33"):
            assert secret not in body
    assert "Котов Артём Сергеевич" in pages[0].content.decode()
    assert "Котов Артём Сергеевич" in pages[3].content.decode()
    # The agreement: the mentee by name, its legal representative unnamed.
    from reports import agreement

    pair = agreement.agreement_pair(user=mentor, pk=own_pair.pk)
    document = repr(
        agreement.agreement_document(mentorship=pair, show_minor_names=True, show_personal_data=False)
    )
    assert "Котов Артём Сергеевич" in document and "Котова Мария" not in document
    assert client.get(reverse("reports:agreement-docx", args=[own_pair.pk])).status_code == 200
    # Lists and exports of people are not the mentor's: 403 before anything is read.
    for name in ("registry:mentor-list", "registry:mentee-list", "registry:organization-list"):
        assert client.get(reverse(name)).status_code == 403
        assert client.get(reverse(name) + "?format=xlsx").status_code == 403
    assert client.get(reverse("registry:person-export", args=[mentee.pk])).status_code == 403


def test_the_mentor_writes_the_plan_and_meetings_of_its_own_pair_only(client_for, mentor, own_pair, school):
    other = f.make_mentorship(organization=school, start_date=START)
    f.make_plan_item(other)
    client = client_for(mentor)
    response = client.post(
        pair_url("plan-item-add", own_pair),
        {
            "task": "Провести открытый урок",
            "deadline": "2022-11-01",
            "expected_result": "",
            "status": "planned",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    assert PlanItem.objects.filter(plan__mentorship=own_pair, task="Провести открытый урок").exists()
    response = client.post(
        pair_url("meeting-add", own_pair),
        {"date": "2022-10-05", "format": "in_person", "duration_minutes": "45", "topic": "Разбор урока"},
    )
    assert response.status_code == 302, response.context["form"].errors
    assert own_pair.meetings.filter(topic="Разбор урока").exists()
    card = client.get(pair_url("detail", own_pair))
    assert card.context["can_write_plan"] and card.context["can_write_meetings"]
    assert not card.context["can_write"]  # the pair itself stays the curator's
    # Someone else's pair: 404 for every write page; the pair's own pages it may not open: 403.
    for name in ("plan-edit", "plan-item-add", "meeting-add"):
        assert client.get(pair_url(name, other)).status_code == 404
        assert client.post(pair_url(name, other), {}).status_code == 404
    for name in ("edit", "complete", "terminate", "agreement-upload"):
        assert client.get(pair_url(name, own_pair)).status_code == 403
    assert client.get(pair_url("agreement-file", own_pair)).status_code == 403
    assert not access.can_write(mentor, own_pair, access.STATUS)
    assert not access.can_write(mentor, own_pair.mentor_person)


def test_the_mentor_dashboard_shows_silent_pairs_and_overdue_tasks(client_for, mentor, own_pair):
    response = client_for(mentor).get(reverse("dashboard"))
    assert response.context["my_alerts"] == {
        "silent": 1,
        "overdue_tasks": 1,
    }  # met once in 2022, a task of 2022
    body = response.content.decode()
    assert "Просроченные задачи плана: 1" in body and 'href="' + reverse("registry:mentor-list") not in body
