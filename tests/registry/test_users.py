"""The admin's screen of the portal's people (registry.users, docs/architecture.md §7): invite by
e-mail with a one-time link, change a role and territory, turn an account off and on, reset the
second factor; every action in the account's own history; other roles refused; bad input refused
in Russian with nothing written.
"""

import re
import threading

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from registry import users
from registry.models import AccountEvent, UserScope
from tests import factories as f
from tests.conftest import verify_second_factor

pytestmark = pytest.mark.django_db

User = get_user_model()
Action = AccountEvent.Action
PASSWORD = "Длинный-пароль-координатора-2026"


def url(name, *args):
    return reverse(f"registry:user-{name}", args=args)


def _invite(client, callbacks, **data):
    form = {
        "full_name": "Кузнецова Мария Петровна",
        "email": "Kuznetsova@Example.org",
        "role": "",
        "region": "",
        "municipality": "",
        "organization_code": "",
    } | data
    with callbacks(execute=True):
        return client.post(url("invite"), form)


def _history(client, account) -> list[str]:
    page = client.get(url("detail", account.pk))
    assert page.status_code == 200
    return [event.action for event in page.context["events"]]


def test_invite_sends_a_link_that_sets_a_password_and_the_login_has_the_scope(
    client, client_for, admin_user, municipality, django_capture_on_commit_callbacks
):
    admin = client_for(admin_user)
    response = _invite(
        admin, django_capture_on_commit_callbacks, role="coordinator", municipality=municipality.pk
    )
    account = User.objects.get(username="kuznetsova@example.org")
    assert response.status_code == 302 and response["Location"] == url("detail", account.pk)
    assert not account.is_active and not account.has_usable_password()
    assert (account.scope.role, account.scope.municipality) == ("coordinator", municipality)
    assert (account.last_name, account.first_name) == ("Кузнецова", "Мария Петровна")
    assert users.user_state(user=account) == users.INVITED

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["kuznetsova@example.org"]
    assert "муниципальный координатор, Октябрьский район" in message.body
    link = re.search(r"http://testserver(/\S+)", message.body).group(1)

    client.logout()
    response = client.post(link, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert response.status_code == 302
    assert client.get(link).status_code == 404  # once only
    signed_in = client.post(reverse("login"), {"username": "kuznetsova@example.org", "password": PASSWORD})
    assert signed_in.status_code == 302
    # The coordinator's list shows its municipality, and it cannot open the users' screen.
    assert client.get(reverse("registry:organization-list")).status_code == 200
    assert client.get(url("list")).status_code == 403

    history = _history(client_for(admin_user), account)
    assert history == [Action.PASSWORD_SET, Action.INVITED]


def test_resend_gives_a_new_link_while_the_invitation_is_unused(
    client_for, admin_user, school, django_capture_on_commit_callbacks
):
    admin = client_for(admin_user)
    _invite(admin, django_capture_on_commit_callbacks, role="curator", organization_code=school.code)
    account = User.objects.get(username="kuznetsova@example.org")
    assert account.scope.organization == school
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(url("invitation-resend", account.pk))
    assert len(mail.outbox) == 2 and mail.outbox[1].to == ["kuznetsova@example.org"]
    assert _history(admin, account) == [Action.REINVITED, Action.INVITED]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"role": "coordinator"},
            "municipality",
            "Для роли «муниципальный координатор» выберите муниципалитет.",
        ),
        ({"role": "operator"}, "region", "Для роли «региональный оператор» выберите регион."),
        ({"role": "curator"}, "organization_code", "Для роли «куратор ОО» укажите организацию (код ОО)."),
        (
            {"role": "curator", "organization_code": "NOPE-1"},
            "organization_code",
            "Организации с кодом «NOPE-1» нет",
        ),
        ({}, "role", "Выберите роль."),
        ({"role": "mentor"}, "role", "Выберите корректный вариант"),
        ({"role": "admin", "full_name": "  "}, "full_name", "Укажите фамилию, имя и отчество."),
        ({"role": "admin", "email": "не-адрес"}, "email", "Введите правильный адрес электронной почты."),
    ],
)
def test_bad_invitations_are_refused_naming_the_field_and_nothing_is_written(
    client_for, admin_user, data, field, message, django_capture_on_commit_callbacks
):
    before = (User.objects.count(), UserScope.objects.count(), AccountEvent.objects.count())
    response = _invite(client_for(admin_user), django_capture_on_commit_callbacks, **data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert any(message in error for error in errors.get(field, [])), errors
    assert (User.objects.count(), UserScope.objects.count(), AccountEvent.objects.count()) == before
    assert mail.outbox == []


def test_an_organization_outside_the_chosen_municipality_is_refused(
    client_for, admin_user, municipality, other_school, django_capture_on_commit_callbacks
):
    response = _invite(
        client_for(admin_user),
        django_capture_on_commit_callbacks,
        role="curator",
        municipality=municipality.pk,
        organization_code=other_school.code,
    )
    assert response.context["form"].errors["organization_code"] == [
        "Организация «СОШ № 9» не входит в выбранный муниципалитет «Октябрьский район»."
    ]
    assert not User.objects.filter(username="kuznetsova@example.org").exists()
    assert mail.outbox == []


def test_a_municipality_outside_the_chosen_region_is_refused(
    client_for, admin_user, municipality, django_capture_on_commit_callbacks
):
    elsewhere = f.make_region(name="Другая область")
    response = _invite(
        client_for(admin_user),
        django_capture_on_commit_callbacks,
        role="coordinator",
        region=elsewhere.pk,
        municipality=municipality.pk,
    )
    assert (
        "не входит в выбранный регион «Другая область»" in response.context["form"].errors["municipality"][0]
    )
    assert not User.objects.filter(username="kuznetsova@example.org").exists()


def test_a_duplicate_email_is_refused(client_for, admin_user, curator, django_capture_on_commit_callbacks):
    curator.email = "kuznetsova@example.org"
    curator.save()
    before = User.objects.count()
    response = _invite(client_for(admin_user), django_capture_on_commit_callbacks, role="admin")
    assert response.context["form"].errors["email"] == [
        "Учётная запись с таким адресом электронной почты уже есть."
    ]
    assert User.objects.count() == before and mail.outbox == []


def test_change_scope_moves_the_user_and_ends_its_sessions(
    client, client_for, admin_user, curator, other_school
):
    client.force_login(curator)
    session_key = client.session.session_key
    admin = Client()
    admin.force_login(admin_user)
    verify_second_factor(admin, admin_user)
    response = admin.post(
        url("scope", curator.pk),
        {"role": "curator", "organization_code": other_school.code, "region": "", "municipality": ""},
    )
    assert response.status_code == 302
    curator.scope.refresh_from_db()
    assert curator.scope.organization == other_school
    # The curator's session has ended: the next request is sent to the login page.
    from django.contrib.sessions.models import Session

    assert not Session.objects.filter(session_key=session_key).exists()
    assert client.get(reverse("registry:organization-list")).status_code == 302
    events = list(users.user_events(user=curator))
    assert [e.action for e in events] == [Action.SCOPE_CHANGED]
    assert events[0].details == "куратор ОО, СОШ № 1 → куратор ОО, СОШ № 9"
    assert events[0].actor == admin_user
    page = admin.get(url("detail", curator.pk)).content.decode()
    assert "куратор ОО, СОШ № 1 → куратор ОО, СОШ № 9" in page and "root" in page


def test_an_unchanged_or_own_scope_is_refused(client_for, admin_user, curator, school):
    admin = client_for(admin_user)
    response = admin.post(url("scope", curator.pk), {"role": "curator", "organization_code": school.code})
    assert response.context["form"].non_field_errors() == ["Роль и территория не изменились."]
    other_admin = f.make_user("admin2", role="admin")
    client = client_for(other_admin)
    response = client.post(
        url("scope", other_admin.pk), {"role": "curator", "organization_code": school.code}
    )
    assert "Свою учётную запись здесь изменить нельзя" in response.context["form"].non_field_errors()[0]
    assert other_admin.scope.role == "admin" and AccountEvent.objects.count() == 0


def test_deactivate_stops_login_and_reactivate_restores_it(client, client_for, admin_user, curator):
    live = Client()
    live.force_login(curator)
    assert live.get(reverse("registry:organization-list")).status_code == 200
    admin = client_for(admin_user)
    confirm = admin.get(url("deactivate", curator.pk))
    assert confirm.status_code == 200 and "Отключить учётную запись" in confirm.content.decode()
    curator.refresh_from_db()
    assert curator.is_active  # the GET only asks
    assert admin.post(url("deactivate", curator.pk)).status_code == 302
    curator.refresh_from_db()
    assert not curator.is_active and curator.scope.deactivated_at is not None
    # Its live session is over: the next request is sent to the login page.
    response = live.get(reverse("registry:organization-list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert users.user_state(user=curator) == users.DEACTIVATED

    client.logout()
    refused = client.post(reverse("login"), {"username": "curator1", "password": "pass"})
    assert refused.status_code == 200  # the login form again, no session
    assert "_auth_user_id" not in client.session

    admin = client_for(admin_user)
    admin.post(url("reactivate", curator.pk))
    curator.refresh_from_db()
    assert curator.is_active and curator.scope.deactivated_at is None
    client.logout()
    assert client.post(reverse("login"), {"username": "curator1", "password": "pass"}).status_code == 302
    admin = client_for(admin_user)
    assert _history(admin, curator) == [Action.REACTIVATED, Action.DEACTIVATED]


def test_a_deactivated_invitee_cannot_use_its_link(
    client, client_for, admin_user, region, django_capture_on_commit_callbacks
):
    admin = client_for(admin_user)
    _invite(admin, django_capture_on_commit_callbacks, role="operator", region=region.pk)
    account = User.objects.get(username="kuznetsova@example.org")
    admin.post(url("deactivate", account.pk))
    link = re.search(r"http://testserver(/\S+)", mail.outbox[0].body).group(1)
    client.logout()
    assert client.get(link).status_code == 404
    assert client.post(link, {"new_password1": PASSWORD, "new_password2": PASSWORD}).status_code == 404
    account.refresh_from_db()
    assert not account.is_active and not account.has_usable_password()
    # Turned on again, it is an invitee once more: the link works.
    admin = client_for(admin_user)
    admin.post(url("reactivate", account.pk))
    assert users.user_state(user=User.objects.get(pk=account.pk)) == users.INVITED
    client.logout()
    assert client.get(link).status_code == 200


def test_the_last_active_admin_and_oneself_are_never_turned_off(client_for):
    only = f.make_user("admin1", role="admin")
    other = f.make_user("admin2", role="admin")
    client = client_for(only)
    # Oneself: refused.
    client.post(url("deactivate", only.pk))
    only.refresh_from_db()
    assert only.is_active
    # Another admin: allowed while one stays.
    client.post(url("deactivate", other.pk))
    other.refresh_from_db()
    assert not other.is_active
    # The last active admin (asked by the service, as another admin would): refused, nothing written.
    events = AccountEvent.objects.count()
    with pytest.raises(users.ValidationError, match="последний действующий администратор"):
        users.user_deactivate(user=only, by=other)
    with pytest.raises(users.ValidationError, match="последний действующий администратор"):
        users.user_scope_change(user=only, by=other, role="operator", region=f.make_region())
    only.refresh_from_db()
    assert only.is_active and only.scope.role == "admin" and AccountEvent.objects.count() == events
    page = client.get(url("detail", only.pk)).content.decode()
    assert "Это ваша учётная запись" in page


def test_reset_second_factor_deletes_the_devices(client, client_for, admin_user):
    other = f.make_user("admin2", role="admin")
    TOTPDevice.objects.create(user=other, name="телефон", confirmed=True)
    StaticDevice.objects.create(user=other, name="резервные коды")
    own_session = Client()
    own_session.force_login(other)
    verify_second_factor(own_session, other)  # by its «телефон»
    assert own_session.get(url("list")).status_code == 200
    admin = client_for(admin_user)
    assert "Сбросить второй фактор" in admin.get(url("detail", other.pk)).content.decode()
    assert admin.get(url("second-factor-reset", other.pk)).status_code == 200
    assert len(list(devices_for_user(other, confirmed=None))) == 2  # the GET only asks
    assert admin.post(url("second-factor-reset", other.pk)).status_code == 302
    assert list(devices_for_user(other, confirmed=None)) == []
    events = list(users.user_events(user=other))
    assert [e.action for e in events] == [Action.SECOND_FACTOR_RESET]
    assert events[0].details.startswith("удалено устройств: 2")
    # Its session verified by the deleted device is no longer verified: the code is asked again.
    response = own_session.get(url("list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("second-factor"))
    # Without a device the admin is asked to get one at the second step; it cannot get through.
    client.logout()
    client.force_login(other)
    step = client.get(reverse("second-factor"))
    assert "не настроен второй фактор" in step.content.decode()
    assert client.get(url("list")).status_code == 302
    # Nothing left to reset: refused with a message, nothing written.
    admin = client_for(admin_user)
    response = admin.post(url("second-factor-reset", other.pk), follow=True)
    assert "сбрасывать нечего" in response.content.decode()
    assert AccountEvent.objects.filter(user=other).count() == 1


def test_the_list_filters_and_searches(client_for, admin_user, curator, other_curator, coordinator, operator):
    curator.first_name, curator.last_name, curator.email = "Анна", "Иванова", "ivanova@example.org"
    curator.save()
    client = client_for(admin_user)

    def names(query):
        response = client.get(url("list") + query)
        assert response.status_code == 200
        return {row["account"].username for row in response.context["rows"]}

    everyone = names("")
    assert {"curator1", "curator9", "coordinator1", "operator1", "root"} <= everyone
    assert names("?q=Иванова") == {"curator1"}
    assert names("?q=ivanova@") == {"curator1"}
    assert names("?q=curator9") == {"curator9"}
    assert names("?role=curator") == {"curator1", "curator9"}
    assert names("?role=admin") == {"root"}
    assert names(f"?municipality={curator.scope.organization.municipality_id}") == {
        "curator1",
        "coordinator1",
    }
    assert names(f"?region={operator.scope.region_id}") == {
        "curator1",
        "curator9",
        "coordinator1",
        "operator1",
    }
    users.user_deactivate(user=other_curator, by=admin_user)
    assert names("?state=deactivated") == {"curator9"}
    assert "curator9" not in names("?state=active")
    # A value out of range is a refused filter with a Russian note, never a 500.
    response = client.get(url("list") + "?region=12345678901234567890&state=zzz")
    assert response.status_code == 200 and "не применён" in response.content.decode()


def test_the_list_takes_a_fixed_number_of_queries(
    client_for, admin_user, school, django_assert_max_num_queries
):
    for i in range(30):
        f.make_user(f"c{i}", role="curator", organization=school)
    client = client_for(admin_user)
    with django_assert_max_num_queries(12):
        assert client.get(url("list")).status_code == 200


def test_other_roles_are_refused(client_for, curator, coordinator, operator, mentor_account, other_curator):
    for user in (curator, coordinator, operator, mentor_account):
        client = client_for(user)
        for name, args in (
            ("list", ()),
            ("invite", ()),
            ("detail", (other_curator.pk,)),
            ("scope", (other_curator.pk,)),
            ("deactivate", (other_curator.pk,)),
            ("second-factor-reset", (other_curator.pk,)),
        ):
            assert client.get(url(name, *args)).status_code == 403, (user, name)
        assert client.post(url("deactivate", other_curator.pk)).status_code == 403
        assert client.post(url("scope", other_curator.pk), {"role": "admin"}).status_code == 403
        other_curator.refresh_from_db()
        assert other_curator.is_active and other_curator.scope.role == "curator"
        assert "Пользователи" not in client.get(reverse("dashboard")).content.decode()
    assert AccountEvent.objects.count() == 0


def test_the_admin_menu_has_the_users_line(client_for, admin_user):
    page = client_for(admin_user).get(reverse("dashboard")).content.decode()
    assert f'href="{url("list")}">Пользователи</a>' in page


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_admins_turning_each_other_off_at_once_leave_one_active():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (SQLite locks the whole database)")
    first = f.make_user("admin1", role="admin")
    second = f.make_user("admin2", role="admin")
    outcome = {}

    def turn_off_first():
        try:
            users.user_deactivate(user=first, by=second)
            outcome["done"] = True
        except users.ValidationError as refused:
            outcome["refused"] = refused.messages
        finally:
            connection.close()  # this thread's own connection

    other = threading.Thread(target=turn_off_first)
    with transaction.atomic():
        users.user_deactivate(user=second, by=first)  # holds the admins' row locks until this block commits
        other.start()
        other.join(timeout=1)
        assert other.is_alive()  # the second change waits for the first
    other.join(timeout=10)
    assert outcome == {"refused": [users.LAST_ADMIN]}
    assert sorted(User.objects.filter(is_active=True).values_list("username", flat=True)) == ["admin1"]


def test_a_change_in_the_django_admin_is_in_the_accounts_history_too(
    client_for, admin_user, curator, other_school
):
    client = client_for(admin_user)
    change = reverse("admin:registry_userscope_change", args=[curator.scope.pk])
    form = client.get(change).context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(organization=other_school.pk)
    response = client.post(change, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    events = list(users.user_events(user=curator))
    assert [e.action for e in events] == [Action.SCOPE_CHANGED]
    assert events[0].details == "куратор ОО, СОШ № 1 → куратор ОО, СОШ № 9 (в администрировании Django)"
    assert events[0].actor == admin_user
    # The read-only list of the history in the admin shows it; nobody adds or changes a row there.
    assert client.get(reverse("admin:registry_accountevent_changelist")).status_code == 200
    assert client.get(reverse("admin:registry_accountevent_add")).status_code == 403


def test_opening_an_account_is_in_the_access_log(client_for, admin_user, curator):
    from mentoring_portal.models import AccessLogEntry

    client_for(admin_user).get(url("detail", curator.pk))
    entry = AccessLogEntry.objects.order_by("-pk").first()
    assert (entry.action, entry.object_type, entry.object_id) == ("view", "auth.user", str(curator.pk))
    assert entry.username == "root"
