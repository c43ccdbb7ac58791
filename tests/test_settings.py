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
    """openpyxl guards against XML bombs only when defusedxml is importable (RELIABILITY A9)."""
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML is True


def test_django_messages_stay_russian_for_an_english_browser(client, db):
    response = client.post("/login/", {"username": "", "password": ""}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.context["form"].errors["username"] == ["Обязательное поле."]
