"""Settings come from the environment and refuse unsafe production configurations."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROD = {
    "DEBUG": "0",
    "SECRET_KEY": "a-production-secret-that-is-long-and-random-0123456789abcdefghijklmnop",
    "ALLOWED_HOSTS": "portal.example.ru",
}


def run(*args, **env):
    base = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = run("check", DEBUG="0", ALLOWED_HOSTS="portal.example.ru")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG=0" in result.stderr


def test_production_refuses_the_development_secret_key():
    result = run("check", DEBUG="0", SECRET_KEY="dev-only-not-secret-mentoring-portal")
    assert result.returncode != 0
    assert "development SECRET_KEY" in result.stderr


def test_debug_must_be_a_clear_boolean():
    result = run("check", DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG must be 0 or 1" in result.stderr


def test_deploy_check_passes_with_production_settings():
    result = run("check", "--deploy", "--fail-level", "WARNING", **PROD)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_russian_language_and_moscow_time(settings):
    assert settings.LANGUAGE_CODE == "ru"
    assert settings.TIME_ZONE == "Europe/Moscow"
    assert settings.USE_TZ is True


def test_defusedxml_is_installed_for_openpyxl():
    """openpyxl guards against XML bombs only when defusedxml is importable (docs/reliability.md A9)."""
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML is True


def test_django_messages_stay_russian_for_an_english_browser(client, db):
    response = client.post("/login/", {"username": "", "password": ""}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.context["form"].errors["username"] == ["Обязательное поле."]


def test_production_refuses_a_weak_secret_key():
    """The startup check portal.E002 (docs/reliability.md #65): a short key would let anyone forge
    sessions."""
    result = run("check", DEBUG="0", SECRET_KEY="short-but-not-empty", ALLOWED_HOSTS="portal.example.ru")
    assert result.returncode != 0
    assert "portal.E002" in result.stderr
    assert "SECRET_KEY слишком простой" in result.stderr


def test_the_portal_does_not_start_without_defusedxml():
    """docs/reliability.md #66: without defusedxml openpyxl would parse XML unguarded; the process refuses."""
    code = (
        "import sys; sys.modules['defusedxml'] = None; "  # an import of defusedxml now raises ImportError
        "import django; django.setup(); "
        "from django.core.management import call_command; call_command('check')"
    )
    base = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS")}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "mentoring_portal.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "defusedxml" in result.stderr
    assert "System check identified no issues" not in result.stdout


def test_the_startup_check_names_openpyxl_without_defusedxml(monkeypatch):
    """portal.E001 also catches an openpyxl that did not pick defusedxml up (its flag is read at import)."""
    import openpyxl.xml

    from mentoring_portal.checks import defusedxml_imports

    assert defusedxml_imports() == []
    monkeypatch.setattr(openpyxl.xml, "DEFUSEDXML", False)
    assert [error.id for error in defusedxml_imports()] == ["portal.E001"]


def test_production_settings_are_the_secure_ones():
    """#15, #65: what `check --deploy` does not look at, read from a production process."""
    names = [
        "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE",
        "SESSION_COOKIE_AGE", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_CROSS_ORIGIN_OPENER_POLICY", "SECURE_REFERRER_POLICY", "X_FRAME_OPTIONS",
        "SESSION_IDLE_TIMEOUT_PRIVILEGED", "SESSION_IDLE_TIMEOUT", "AXES_FAILURE_LIMIT", "CLIENT_IP_HEADER",
    ]  # fmt: skip
    code = "from django.conf import settings; " + "; ".join(f"print(repr(settings.{n}))" for n in names)
    result = run("shell", "-c", code, **PROD)
    assert result.returncode == 0, result.stderr
    values = dict(zip(names, result.stdout.splitlines()[-len(names) :], strict=True))
    assert values == {
        "SESSION_COOKIE_SECURE": "True",
        "CSRF_COOKIE_SECURE": "True",
        "SESSION_COOKIE_HTTPONLY": "True",
        "SESSION_COOKIE_SAMESITE": "'Lax'",
        "SESSION_COOKIE_AGE": str(12 * 3600),
        "SECURE_SSL_REDIRECT": "True",
        "SECURE_HSTS_SECONDS": str(365 * 24 * 3600),
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "True",
        "SECURE_CROSS_ORIGIN_OPENER_POLICY": "'same-origin'",
        "SECURE_REFERRER_POLICY": "'same-origin'",
        "X_FRAME_OPTIONS": "'DENY'",
        "SESSION_IDLE_TIMEOUT_PRIVILEGED": str(30 * 60),
        "SESSION_IDLE_TIMEOUT": str(2 * 3600),
        "AXES_FAILURE_LIMIT": "10",
        "CLIENT_IP_HEADER": "''",  # a proxy's header is trusted only when the deployment says so
    }


def test_production_hashes_passwords_with_djangos_slow_default():
    """The suite swaps in a cheap hasher (tests/conftest.py); the portal itself never does."""
    code = "from django.conf import settings; print(settings.PASSWORD_HASHERS[0])"
    result = run("shell", "-c", code, **PROD)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "django.contrib.auth.hashers.PBKDF2PasswordHasher"


def test_the_web_process_freezes_its_start_up_objects_before_serving():
    """A worker that loaded ``mentoring_portal.wsgi`` has its start-up objects (every view module
    included) out of the collector's reach, so full collections do not walk them
    (mentoring_portal/process.py)."""
    code = (
        "import gc, sys; import mentoring_portal.wsgi; "
        "print(gc.get_freeze_count(), 'registry.views.mentorships' in sys.modules)"
    )
    base = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS")}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, **PROD},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    frozen, views_loaded = result.stdout.split()
    assert views_loaded == "True"
    assert int(frozen) > 50_000, frozen
