"""The security battery of docs/reliability.md §4 A: login throttling and sessions (#15), the admins' second
factor (#16), CSRF on every view (#17); and the Content-Security-Policy of every page.

The login tests go through the real login form (``Client.post``), as a browser does: django-axes
sees each attempt with its request. ``Client.login`` is never used here (it gives axes no request).
"""

import io
import re
import time
import uuid

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib import admin
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from mentoring_portal.management.commands.seed_demo import DEMO_ADMIN_CODES, seed_demo_second_factor
from mentoring_portal.security import ACTIVITY_COOKIE, IDLE_MESSAGE, LAST_ACTIVITY_KEY, PortalAdminSite
from registry.models import ImportJob, UserScope
from tests import factories as f
from tests.conftest import verify_second_factor
from tests.portal_urls import dummy_url, url_patterns

LOCKOUT_MESSAGE = "Слишком много неудачных попыток входа"
SECOND_FACTOR_URL = "/login/code/"


def log_in(client, username, password="pass", **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def session_cookie(client):
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"


# ------------------------------------------------------------------ #15 throttling


def test_ten_failed_logins_lock_the_username_from_that_address_and_every_attempt_is_logged(db, curator):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = log_in(client, "curator1", "wrong")
        assert response.status_code == 200
        assert "Неверное имя пользователя или пароль." in response.content.decode()
    response = log_in(client, "curator1", "wrong")  # the tenth failure locks
    assert response.status_code == 429
    assert LOCKOUT_MESSAGE in response.content.decode()

    # Locked: the right password is refused too, in Russian, and nobody is signed in.
    response = log_in(client, "curator1", "pass")
    assert response.status_code == 429
    body = response.content.decode()
    assert LOCKOUT_MESSAGE in body
    assert "на 30 мин" in body
    assert "_auth_user_id" not in client.session

    attempt = AccessAttempt.objects.get(username="curator1")
    assert attempt.failures_since_start >= settings.AXES_FAILURE_LIMIT
    assert attempt.ip_address == "127.0.0.1"
    assert AccessFailureLog.objects.filter(username="curator1").count() >= settings.AXES_FAILURE_LIMIT

    # The pair (username, address) is locked, not the account: from another address it signs in,
    # and the successful login is logged as well.
    other = Client(REMOTE_ADDR="10.0.0.7")
    assert log_in(other, "curator1").status_code == 302
    assert AccessLog.objects.filter(username="curator1", ip_address="10.0.0.7").exists()


def test_a_success_before_the_limit_forgets_the_failures(db, curator):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "curator1", "wrong")
    assert log_in(client, "curator1").status_code == 302
    assert not AccessAttempt.objects.filter(username="curator1").exists()


def test_the_proxy_header_names_the_client_only_when_configured(db, curator, settings):
    # Off by default: a client cannot pick its own address with a header.
    log_in(Client(), "curator1", "wrong", HTTP_X_REAL_IP="203.0.113.9")
    assert AccessAttempt.objects.get(username="curator1").ip_address == "127.0.0.1"
    AccessAttempt.objects.all().delete()

    settings.CLIENT_IP_HEADER = "X-Forwarded-For"
    # nginx appends the address it saw: a forged first entry changes nothing, whatever it says.
    for n in range(settings.AXES_FAILURE_LIMIT):
        log_in(Client(), "curator1", "wrong", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 203.0.113.9")
    assert AccessAttempt.objects.get(username="curator1").ip_address == "203.0.113.9"
    assert log_in(Client(), "curator1", HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.9").status_code == 429
    # Another client behind the same proxy is not locked out with it.
    assert log_in(Client(), "curator1", HTTP_X_FORWARDED_FOR="198.51.100.4").status_code == 302


# ------------------------------------------------------------------ #15 sessions


def test_login_rotates_the_session_key(db, curator):
    client = Client()
    session = client.session  # an anonymous session with its cookie, as a visitor has
    session["probe"] = "before login"
    session.save()
    before = session_cookie(client)

    assert log_in(client, "curator1").status_code == 302

    after = session_cookie(client)
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert Session.objects.filter(session_key=after).exists()


def test_logout_kills_the_session_on_the_server(db, curator):
    client = Client()
    log_in(client, "curator1")
    stolen = session_cookie(client)
    assert client.get(reverse("dashboard")).status_code == 200

    assert client.post(reverse("logout")).status_code == 302

    assert not Session.objects.filter(session_key=stolen).exists()
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = stolen
    response = replay.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_session_cookie_is_httponly_lax_and_ends_after_twelve_hours(db, curator):
    client = Client()
    response = log_in(client, "curator1")
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == 12 * 60 * 60
    expires = Session.objects.get(session_key=cookie.value).expire_date
    left = (expires.timestamp() - time.time()) / 3600
    assert 11.9 < left <= 12


def set_last_activity(client, seconds_ago: int) -> None:
    session = client.session
    session[LAST_ACTIVITY_KEY] = int(time.time()) - seconds_ago
    session.save()


@pytest.mark.parametrize(
    "who, idle_minutes, signed_out",
    [
        ("operator", 29, False),
        ("operator", 31, True),
        ("admin_user", 31, True),
        ("curator", 31, False),
        ("curator", 119, False),
        ("curator", 121, True),
        ("mentor_account", 119, False),  # a mentor's own account: the curator's limit
        ("mentor_account", 121, True),
    ],
)
def test_an_idle_session_ends_after_its_roles_limit(request, client_for, who, idle_minutes, signed_out):
    user = request.getfixturevalue(who)
    client = client_for(user)
    key = session_cookie(client)
    set_last_activity(client, idle_minutes * 60)

    response = client.get(reverse("dashboard"), follow=True)

    if signed_out:
        assert response.redirect_chain[-1][0].startswith(reverse("login"))
        assert IDLE_MESSAGE in response.content.decode()
        assert not Session.objects.filter(session_key=key).exists()
    else:
        assert response.redirect_chain == []
        assert response.status_code == 200
        # The request counts as activity: the clock starts again, in the activity cookie.
        cookie = response.cookies[ACTIVITY_COOKIE]
        assert cookie["httponly"] is True
        set_last_activity(client, idle_minutes * 60)  # the login time stays old in the session
        assert client.get(reverse("dashboard")).status_code == 200


def test_the_activity_cookie_counts_only_for_its_own_session_and_unforged(client_for, operator, curator):
    client = client_for(operator)
    set_last_activity(client, 5 * 60)
    client.get(reverse("dashboard"))  # renews the activity cookie
    set_last_activity(client, 40 * 60)
    assert client.get(reverse("dashboard")).status_code == 200  # the recent cookie keeps it alive
    fresh = client.cookies[ACTIVITY_COOKIE].value

    # A fresh cookie of another session (the attacker's own) does not revive a stolen idle one.
    victim = Client()  # another session of the same user
    victim.force_login(operator)
    set_last_activity(victim, 40 * 60)
    victim.cookies[ACTIVITY_COOKIE] = fresh
    assert victim.get(reverse("dashboard")).status_code == 302

    forger = Client()
    forger.force_login(curator)
    set_last_activity(forger, 3 * 3600)
    tag, stamp = fresh.split(":")[0], int(time.time())
    forger.cookies[ACTIVITY_COOKIE] = f"{tag}:{stamp}:not-the-signature"
    assert forger.get(reverse("dashboard")).status_code == 302


def test_pages_do_not_write_the_session(client_for, operator):
    """The idle clock costs no database write: a session saved on every page would (#15, load)."""
    client = client_for(operator)
    set_last_activity(client, 5 * 60)
    for _ in range(2):  # the first renews the activity cookie, the second finds it recent
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("dashboard")).status_code == 200
        writes = [q["sql"] for q in captured.captured_queries if "django_session" in q["sql"]
                  and not q["sql"].lstrip().upper().startswith("SELECT")]  # fmt: skip
        assert writes == []


def test_the_idle_clock_starts_at_login(db, operator):
    client = Client()
    log_in(client, "operator1")
    assert abs(client.session[LAST_ACTIVITY_KEY] - time.time()) < 5


def test_a_deactivated_users_live_session_is_sent_to_login(client_for, curator):
    client = client_for(curator)
    assert client.get(reverse("dashboard")).status_code == 200
    curator.is_active = False
    curator.save(update_fields=["is_active"])

    response = client.get(reverse("dashboard"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


# ------------------------------------------------------------------ #16 second factor for admins


@pytest.fixture
def role_admin(db):
    return f.make_user("admin2", role="admin")


@pytest.fixture
def admin_device(admin_user):
    return TOTPDevice.objects.create(user=admin_user, name="телефон", confirmed=True)


@pytest.mark.parametrize("who", ["admin_user", "role_admin"])
def test_an_admin_signed_in_by_password_alone_reaches_neither_admin_nor_import(request, who):
    user = request.getfixturevalue(who)
    TOTPDevice.objects.create(user=user, name="телефон", confirmed=True)
    client = Client()
    response = log_in(client, user.username)
    assert response.status_code == 302

    for url in ["/admin/", reverse("admin:registry_person_changelist"), reverse("registry:workbook"),
                reverse("dashboard")]:  # fmt: skip
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(SECOND_FACTOR_URL), url

    # An upload, a confirmation or a retry of an import is refused before the view runs.
    job_pk = uuid.uuid4()
    for url in [reverse("registry:workbook"), reverse("registry:import-job-confirm", args=[job_pk]),
                reverse("registry:import-job-retry", args=[job_pk])]:  # fmt: skip
        response = client.post(url, {})
        assert response.status_code == 302, url
        assert response.url.startswith(SECOND_FACTOR_URL), url
    assert not ImportJob.objects.exists()


def test_a_totp_code_verifies_the_session_and_opens_admin_and_import(db, admin_user, admin_device):
    client = Client()
    log_in(client, "root")
    page = client.get(client.get("/admin/").url)
    assert "Код подтверждения" in page.content.decode()
    before = session_cookie(client)

    wrong = client.post(SECOND_FACTOR_URL, {"otp_token": "000000" if current_code(admin_device) != "000000"
                                            else "111111", "next": "/admin/"})  # fmt: skip
    assert wrong.status_code == 200
    assert "Код не подошёл" in wrong.content.decode()
    assert client.get("/admin/").status_code == 302

    admin_device.refresh_from_db()
    admin_device.throttling_failure_count = 0  # the wrong code above paused the device for a second
    admin_device.throttling_failure_timestamp = None
    admin_device.save()
    response = client.post(SECOND_FACTOR_URL, {"otp_token": current_code(admin_device), "next": "/admin/"})

    assert response.status_code == 302
    assert response.url == "/admin/"
    assert session_cookie(client) != before  # the verified session has a new key
    assert client.session[DEVICE_ID_SESSION_KEY] == admin_device.persistent_id
    assert client.get("/admin/").status_code == 200
    assert client.get(reverse("registry:workbook")).status_code == 200


def test_an_admin_without_a_device_is_told_how_to_get_one(db, admin_user):
    client = Client()
    log_in(client, "root")
    response = client.get(SECOND_FACTOR_URL)
    body = response.content.decode()
    assert response.status_code == 200
    assert "не настроен второй фактор" in body
    assert "add_totp_device root" in body
    assert 'name="otp_token"' not in body
    assert client.post(SECOND_FACTOR_URL, {"otp_token": "123456"}).status_code == 200
    assert client.get("/admin/").status_code == 302


def test_a_curator_needs_no_second_factor(client_for, curator):
    client = client_for(curator)
    assert client.get(reverse("registry:workbook")).status_code == 200
    response = client.get(SECOND_FACTOR_URL)
    assert response.status_code == 302
    assert response.url == reverse("dashboard")


def test_a_user_made_admin_after_signing_in_needs_the_code_for_admin_and_import(client_for, curator):
    client = client_for(curator)
    assert client.get(reverse("registry:workbook")).status_code == 200
    UserScope.objects.filter(user=curator).update(role="admin", organization=None)
    # The person's export and destruction: the most personal data in one request.
    person = f.make_person()
    person_pages = [reverse(f"registry:person-{view}", args=[person.pk]) for view in ("export", "destroy")]

    for url in [reverse("registry:workbook"), "/admin/", *person_pages]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(SECOND_FACTOR_URL), url


def test_the_admin_site_itself_refuses_an_unverified_admin(db, admin_user, admin_device):
    """Even without SecondFactorMiddleware, django-otp's admin site requires a verified session."""
    assert isinstance(admin.site._wrapped if hasattr(admin.site, "_wrapped") else admin.site, PortalAdminSite)

    def request_with(session):
        request = RequestFactory().get("/admin/")
        request.session = session
        request.user = admin_user
        return OTPMiddleware(lambda r: r)(request)

    assert admin.site.has_permission(request_with({})) is False
    assert admin.site.has_permission(request_with({DEVICE_ID_SESSION_KEY: admin_device.persistent_id}))


def test_the_admin_login_page_sends_to_the_portals_login(client):
    response = client.get(reverse("admin:login") + "?next=/admin/registry/person/")
    assert response.status_code == 302
    assert response.url == reverse("login") + "?next=/admin/registry/person/"


def test_the_admin_login_page_never_sends_a_signed_in_admin_off_site(client_for, admin_user):
    client = client_for(admin_user)
    response = client.get(reverse("admin:login") + "?next=https://evil.example/")
    assert response.status_code == 302 and response.url == reverse("admin:index")
    response = client.get(reverse("admin:login") + "?next=/admin/registry/person/")
    assert response.url == "/admin/registry/person/"


def test_add_totp_device_prints_a_secret_that_makes_working_codes(db, admin_user):
    out = io.StringIO()
    call_command("add_totp_device", "root", stdout=out)
    text = out.getvalue()

    device = TOTPDevice.objects.get(user=admin_user)
    assert device.confirmed
    secret = re.search(r"Ключ \(ввести в приложение вручную\): ([A-Z2-7]+)", text).group(1)
    assert device.config_url in text
    assert device.config_url.startswith("otpauth://totp/")
    assert f"secret={secret}" in device.config_url

    client = Client()
    log_in(client, "root")
    response = client.post(SECOND_FACTOR_URL, {"otp_token": current_code(device)})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_add_totp_device_refuses_an_unknown_user(db):
    with pytest.raises(CommandError, match="«nobody» не найден"):
        call_command("add_totp_device", "nobody", stdout=io.StringIO())


def test_the_demo_admins_backup_codes_work_once_and_a_reseed_restores_them(db):
    f.make_user("admin", role="admin")
    seed_demo_second_factor()
    seed_demo_second_factor()  # idempotent: one device, the same codes
    device = StaticDevice.objects.get(user__username="admin")
    assert sorted(device.token_set.values_list("token", flat=True)) == sorted(DEMO_ADMIN_CODES)

    client = Client()
    log_in(client, "admin")
    assert client.post(SECOND_FACTOR_URL, {"otp_token": DEMO_ADMIN_CODES[0]}).status_code == 302
    assert client.get(reverse("registry:workbook")).status_code == 200

    again = Client()
    log_in(again, "admin")
    assert client.post(reverse("logout")).status_code == 302
    refused = again.post(SECOND_FACTOR_URL, {"otp_token": DEMO_ADMIN_CODES[0]})
    assert refused.status_code == 200
    assert "Код не подошёл" in refused.content.decode()

    seed_demo_second_factor()
    assert device.token_set.count() == len(DEMO_ADMIN_CODES)


# ------------------------------------------------------------------ #17 CSRF


def portal_urls():
    """Every named URL of the portal (the admin's are added by hand below), with stand-in arguments."""
    for name, pattern in url_patterns():
        yield name, dummy_url(name, pattern)


ADMIN_URLS = ["admin:index", "admin:logout", "admin:registry_person_add", "admin:auth_user_add"]


def test_a_post_without_a_csrf_token_is_refused_by_every_view(client_for, admin_user):
    """#17: 403 on every URL of the portal for a signed-in (verified) admin posting without a token.

    A second client, which sends a valid token, finds which views accept POST at all (not 405):
    the refusals above are then the CSRF check, not a missing POST handler.
    """
    urls = dict(portal_urls())
    urls.update({name: reverse(name) for name in ADMIN_URLS})
    assert len(urls) > 60

    refused, accepting = [], []
    for name, url in urls.items():
        client = Client(enforce_csrf_checks=True)
        client.force_login(admin_user)
        verify_second_factor(client, admin_user)
        response = client.post(url, {})
        if response.status_code == 403 and "CSRF" in response.content.decode():
            refused.append(name)

        with_token = Client()
        with_token.force_login(admin_user)
        verify_second_factor(with_token, admin_user)
        if with_token.post(url, {}).status_code != 405:
            accepting.append(name)

    assert sorted(set(urls) - set(refused)) == []
    for name in ["logout", "registry:workbook", "registry:import-job-confirm", "registry:import-job-retry",
                 "admin:registry_person_add"]:  # fmt: skip
        assert name in accepting, name


def test_confirming_a_real_import_without_a_token_is_refused_and_changes_nothing(admin_user):
    job = ImportJob.objects.create(
        created_by=admin_user, file_name="школы.xlsx", status=ImportJob.Status.CHECKED, rows=3
    )
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    verify_second_factor(client, admin_user)

    response = client.post(reverse("registry:import-job-confirm", args=[job.pk]))

    assert response.status_code == 403
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CHECKED
    assert job.commit_requested is False


# ------------------------------------------------------------------ CSP


def test_every_page_carries_the_content_security_policy(client_for, curator):
    response = client_for(curator).get(reverse("dashboard"))
    policy = dict(
        (part.split()[0], part.split()[1:]) for part in response["Content-Security-Policy"].split("; ")
    )
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


# ------------------------------------------------------------------ #67 outbound traffic

# What a browser or WeasyPrint loads by itself: stylesheets, scripts, images, frames, fonts, imports.
LOADED_URL = re.compile(
    r"""<(?:link|script|img|iframe|source|embed|object|video|audio)\b[^>]*\b(?:href|src|data)"""
    r"""\s*=\s*["']?\s*(?:https?:)?//"""
    r"""|@import\s+(?:url\()?\s*["']?\s*(?:https?:)?//"""
    r"""|url\(\s*["']?\s*(?:https?:)?//"""
    r"""|\b(?:fetch|XMLHttpRequest|importScripts|EventSource|WebSocket)\s*\(\s*["'`](?:https?:|wss?:)?//""",
    re.IGNORECASE,
)


def served_files():
    for folder, suffixes in [("templates", ("html", "txt")), ("static", ("css", "js", "svg", "html"))]:
        for suffix in suffixes:
            yield from (settings.BASE_DIR / folder).glob(f"**/*.{suffix}")


def test_no_template_or_static_file_loads_anything_from_another_host():
    files = list(served_files())
    assert len(files) > 50
    offenders = [
        f"{path.relative_to(settings.BASE_DIR)}: {match.group(0)}"
        for path in files
        for match in LOADED_URL.finditer(path.read_text(encoding="utf-8", errors="replace"))
    ]
    assert offenders == []
    # The pattern does catch what it is for.
    samples = [
        '<link rel="stylesheet" href="https://fonts.googleapis.com/css">',
        '<script src="//cdn.example.com/x.js"></script>',
        "@import url('https://x.org/a.css');",
        "src: url(https://fonts.gstatic.com/a.woff2)",
        'fetch("https://api.example.com/")',
    ]
    assert [sample for sample in samples if not LOADED_URL.search(sample)] == []
    assert not LOADED_URL.search('<a href="https://minobrnauki.gov.ru/">сайт министерства</a>')


def test_no_setting_sends_errors_or_mail_to_a_foreign_service_by_default():
    """The settings module as read (the test runner swaps the mail backend in django.conf.settings)."""
    from mentoring_portal import settings as module

    assert module.EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend"
    assert getattr(module, "ADMINS", []) == [] and getattr(module, "MANAGERS", []) == []
    handlers = module.LOGGING.get("handlers", {}).values()
    assert all(
        not any(word in handler.get("class", "") for word in ("HTTP", "SMTP", "Socket", "Syslog", "Sentry"))
        for handler in handlers
    )
    foreign = []
    for name in dir(module):
        value = getattr(module, name) if name.isupper() else None
        for text in re.findall(r"[a-z][a-z0-9+.-]*://[^\s'\"]+", repr(value)):
            host = re.sub(r"^[a-z0-9+.-]+://(?:[^@/]*@)?", "", text).split("/")[0].split(":")[0]
            if host and host not in {"localhost", "127.0.0.1", "testserver"} and not host.endswith(".local"):
                foreign.append(f"{name}: {text}")
    assert foreign == []


def test_seed_demo_refuses_a_production_database(db, monkeypatch, settings):
    """The demo password and backup codes are public (README): never seeded with DEBUG=0."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    settings.DEBUG = False
    monkeypatch.setitem(connection.settings_dict, "NAME", "mentoring")
    monkeypatch.setitem(connection.settings_dict, "TEST", {})
    monkeypatch.delenv("ALLOW_DEMO_DATA", raising=False)
    with pytest.raises(CommandError, match="ALLOW_DEMO_DATA=1"):
        call_command("seed_demo", stdout=io.StringIO())
    assert not get_user_model().objects.filter(username="admin").exists()
