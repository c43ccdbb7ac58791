"""Password spraying: one address trying one password on many names (mentoring_portal.throttle).

django-axes locks a name from an address; these tests prove the second limit, per address across
names: after ``LOGIN_IP_SLOWDOWN_FAILURES`` failures the address is slowed (a 429 without checking
the password), after ``LOGIN_IP_LOCKOUT_NAMES`` different names it is locked (429, Russian page,
«блокировка адреса» in the access log), while a school's few typos behind one NAT address lock
nobody. Time is moved by backdating the throttle's real rows, never by mocking.

Every login goes through the real form (``Client.post``) so that axes and the throttle see it.

Second battery, #71 of docs/reliability.md §5.
"""

import datetime

import pytest
from django.conf import settings
from django.db.models import F
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from mentoring_portal.models import AccessLogEntry, LoginFailure
from mentoring_portal.throttle import address_key
from tests import factories as f

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.7"
SCHOOL = "198.51.100.20"
SLOW_MESSAGE = "Слишком много попыток входа с вашего адреса, повторите через"
LOCK_MESSAGE = "вход с этого адреса закрыт"
WRONG = "Неверное имя пользователя или пароль."


def log_in(client, username, password="pass"):
    return client.post(reverse("login"), {"username": username, "password": password})


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def let_time_pass(seconds: float) -> None:
    """Every recorded failure happened ``seconds`` earlier (the throttle reads its own rows)."""
    LoginFailure.objects.update(at=F("at") - datetime.timedelta(seconds=seconds))


def spray(client, names, *, password="Winter2026!") -> list:
    """One wrong password on each name, waiting out the slowdown as a patient attacker would."""
    responses = []
    for name in names:
        response = log_in(client, name, password)
        if response.status_code == 429 and SLOW_MESSAGE in response.content.decode():
            let_time_pass(settings.LOGIN_IP_SLOWDOWN_SECONDS)
            response = log_in(client, name, password)
        responses.append(response)
    return responses


def test_one_address_spraying_thirty_names_is_slowed_then_locked_while_another_address_signs_in(db):
    users = [f.make_user(f"teacher{i:02}") for i in range(30)]
    attacker = Client(REMOTE_ADDR=ATTACKER)

    # The first failures are answered as usual, one name each: axes' per-name limit is far away.
    for user in users[: settings.LOGIN_IP_SLOWDOWN_FAILURES]:
        response = log_in(attacker, user.username, "Winter2026!")
        assert response.status_code == 200 and WRONG in response.content.decode()

    # Slowed: the next attempt at once is refused without its password being checked (the right
    # password included), in Russian, with Retry-After, and the refusal is logged.
    response = log_in(attacker, users[0].username, "pass")
    assert response.status_code == 429
    body = response.content.decode()
    assert SLOW_MESSAGE in body and "секунд" in body
    assert 1 <= int(response["Retry-After"]) <= settings.LOGIN_IP_SLOWDOWN_SECONDS
    assert not signed_in(attacker)
    assert AccessLogEntry.objects.filter(action=AccessLogEntry.Action.IP_THROTTLED, ip=ATTACKER).count() == 1
    refused = LoginFailure.objects.count()

    # Waiting out each pause, the sprayer goes on; the 30th different name locks the address.
    responses = spray(attacker, [u.username for u in users[settings.LOGIN_IP_SLOWDOWN_FAILURES :]])
    assert LoginFailure.objects.count() == refused + len(responses)  # a refused attempt is not counted
    assert all(r.status_code == 200 for r in responses[:-1])
    locking = responses[-1]
    assert locking.status_code == 429
    assert LOCK_MESSAGE in locking.content.decode()
    assert "повторите через 30 минут" in locking.content.decode()
    [lock_entry] = AccessLogEntry.objects.filter(action=AccessLogEntry.Action.IP_LOCKED)
    assert (lock_entry.ip, lock_entry.username, lock_entry.status) == (ATTACKER, users[-1].username, 429)
    assert lock_entry.get_action_display() == "блокировка адреса"

    # Locked: even a right password from the address is refused unchecked, long after the pause.
    let_time_pass(60)
    response = log_in(attacker, users[5].username, "pass")
    assert response.status_code == 429 and LOCK_MESSAGE in response.content.decode()
    assert not signed_in(attacker)
    assert AccessLogEntry.objects.filter(action=AccessLogEntry.Action.IP_LOCKED).count() == 2

    # Another address is not concerned.
    colleague = Client(REMOTE_ADDR="192.0.2.44")
    response = log_in(colleague, users[5].username, "pass")
    assert response.status_code == 302 and signed_in(colleague)

    # The lock ends after LOGIN_IP_LOCKOUT_TIME.
    let_time_pass(settings.LOGIN_IP_LOCKOUT_TIME.total_seconds())
    response = log_in(attacker, users[5].username, "pass")
    assert response.status_code == 302 and signed_in(attacker)


def test_a_school_behind_one_nat_address_with_a_few_typos_is_never_refused(db):
    """60 staff sign in within one quarter of an hour from one address; one in five mistypes the
    password first (one in fifteen twice, half of them with the name in capitals) and retypes at
    once: nobody is slowed or locked, everyone is signed in."""
    staff = [f.make_user(f"staff{i:02}") for i in range(60)]
    for i, user in enumerate(staff):
        let_time_pass(15)  # the next colleague, 15 seconds later
        client = Client(REMOTE_ADDR=SCHOOL)
        if i % 5 == 0:
            typed = user.username.upper() if i % 10 == 0 else user.username
            for _ in range(2 if i % 15 == 0 else 1):
                response = log_in(client, typed, "pasS")
                assert response.status_code == 200 and WRONG in response.content.decode()
        response = log_in(client, user.username, "pass")
        assert response.status_code == 302, (i, response.status_code)
        assert signed_in(client)
    assert LoginFailure.objects.count() == 16
    assert not AccessLogEntry.objects.filter(
        action__in=[AccessLogEntry.Action.IP_LOCKED, AccessLogEntry.Action.IP_THROTTLED]
    ).exists()


def test_a_successful_login_does_not_reset_the_address_count_of_other_names(db, settings):
    settings.LOGIN_IP_SLOWDOWN_FAILURES = 1000  # the lock alone
    users = [f.make_user(f"teacher{i:02}") for i in range(31)]
    attacker = Client(REMOTE_ADDR=ATTACKER)
    for user in users[:29]:
        assert log_in(attacker, user.username, "Winter2026!").status_code == 200
    # The sprayer (or a real user on the same address) signs in with a valid password...
    response = log_in(Client(REMOTE_ADDR=ATTACKER), users[29].username, "pass")
    assert response.status_code == 302
    # ... and the next different name still locks the address.
    response = log_in(attacker, users[30].username, "Winter2026!")
    assert response.status_code == 429 and LOCK_MESSAGE in response.content.decode()


def test_case_variants_of_one_name_count_as_one_name(db, settings):
    """«Ivanova», «IVANOVA» and « ivanova» are one name for the address count (a typo in case is
    not a new victim), so a school's capitals do not bring the lock nearer."""
    settings.LOGIN_IP_SLOWDOWN_FAILURES = 1000
    settings.LOGIN_IP_LOCKOUT_NAMES = 3
    client = Client(REMOTE_ADDR=SCHOOL)
    for typed in ("Ivanova", "IVANOVA", " ivanova", "iVaNoVa", "Petrova"):
        assert log_in(client, typed, "x").status_code == 200
    assert log_in(client, "Sidorova", "x").status_code == 429


def test_the_addresses_of_one_ipv6_64_count_together_and_another_64_is_free(db, settings):
    settings.LOGIN_IP_SLOWDOWN_FAILURES = 1000
    settings.LOGIN_IP_LOCKOUT_NAMES = 5
    user = f.make_user("curator9")
    for i in range(5):  # a new address of the same /64 for every name
        response = log_in(Client(REMOTE_ADDR=f"2001:db8:aa:bb::{i + 1:x}"), f"victim{i}", "x")
    assert response.status_code == 429
    response = log_in(Client(REMOTE_ADDR="2001:db8:aa:bb:ffff:1:2:3"), "curator9", "pass")
    assert response.status_code == 429  # still the locked /64
    response = log_in(Client(REMOTE_ADDR="2001:db8:aa:bc::1"), user.username, "pass")
    assert response.status_code == 302  # the next /64 is another subscriber


@pytest.mark.parametrize("header", ["", "X-Forwarded-For"])
def test_a_forged_forwarded_for_does_not_change_the_counted_address(db, settings, header):
    """Without a proxy the header is ignored; behind one, only its last entry (set by nginx) is
    believed: a sprayer rotating the first entry is still one address."""
    settings.CLIENT_IP_HEADER = header
    settings.LOGIN_IP_SLOWDOWN_FAILURES = 1000
    settings.LOGIN_IP_LOCKOUT_NAMES = 5
    for i in range(5):
        forged = f"10.0.{i}.1, {ATTACKER}" if header else f"10.0.{i}.1"
        response = Client(REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=forged).post(
            reverse("login"), {"username": f"victim{i}", "password": "x"}
        )
    assert response.status_code == 429
    assert set(LoginFailure.objects.values_list("address", flat=True)) == {ATTACKER}


def test_the_admin_login_and_the_second_factor_step_are_refused_from_a_locked_address(db, settings):
    settings.LOGIN_IP_SLOWDOWN_FAILURES = 1000
    settings.LOGIN_IP_LOCKOUT_NAMES = 5
    admin = f.make_user("root2")
    admin.is_superuser = admin.is_staff = True
    admin.save()
    device = TOTPDevice.objects.create(user=admin, name="телефон", confirmed=True)
    client = Client(REMOTE_ADDR=ATTACKER)
    # The admin's password is right: the session waits for the code.
    assert log_in(client, "root2", "pass").status_code == 302
    # Wrong codes count for the address like wrong passwords (with a few sprayed names).
    for name in ("a1", "a2", "a3"):
        assert log_in(Client(REMOTE_ADDR=ATTACKER), name, "x").status_code == 200
    response = client.post(reverse("second-factor"), {"otp_token": "000000"})
    assert response.status_code == 200
    response = log_in(Client(REMOTE_ADDR=ATTACKER), "a4", "x")  # the fifth name locks
    assert response.status_code == 429
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    response = client.post(reverse("second-factor"), {"otp_token": code})
    assert response.status_code == 429 and LOCK_MESSAGE in response.content.decode()
    assert not client.session.get("otp_device_id")
    admin_login = {"username": "root2", "password": "pass"}
    response = Client(REMOTE_ADDR=ATTACKER).post(reverse("admin:login"), admin_login)
    assert response.status_code == 429


def test_wrong_second_factor_codes_alone_slow_the_address(db, settings):
    """An admin's session (the password known) trying codes: beyond the device's own pause, the
    address is slowed after LOGIN_IP_SLOWDOWN_FAILURES wrong codes."""
    settings.LOGIN_IP_SLOWDOWN_FAILURES = 3
    admin = f.make_user("root3")
    admin.is_superuser = admin.is_staff = True
    admin.save()
    TOTPDevice.objects.create(user=admin, name="телефон", confirmed=True)
    client = Client(REMOTE_ADDR=ATTACKER)
    assert log_in(client, "root3", "pass").status_code == 302
    for _ in range(3):
        assert client.post(reverse("second-factor"), {"otp_token": "000000"}).status_code == 200
    response = client.post(reverse("second-factor"), {"otp_token": "000000"})
    assert response.status_code == 429 and SLOW_MESSAGE in response.content.decode()


@pytest.mark.parametrize(
    ("address", "counted_as"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("::ffff:203.0.113.7", "203.0.113.7"),  # an IPv4 client seen by a dual-stack socket
        ("2001:db8:aa:bb:1:2:3:4", "2001:db8:aa:bb::/64"),
        ("2001:DB8:AA:BB::9", "2001:db8:aa:bb::/64"),
        (None, "unknown"),
    ],
)
def test_what_the_throttle_counts_by(address, counted_as):
    assert address_key(address) == counted_as
