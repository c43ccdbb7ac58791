"""The Django admin speaks Russian: every section and model on its index, and the page titles of each
model's list, are named in Russian (the libraries' ones by mentoring_portal/admin_names.py), and no
migration follows from naming them."""

import re
from io import StringIO

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.management import call_command

pytestmark = pytest.mark.django_db

LATIN_WORD = re.compile(r"[A-Za-z]{3,}")
# Abbreviations that are Russian usage too.
ALLOWED = {"TOTP"}


def _english(text: str) -> list[str]:
    return [word for word in LATIN_WORD.findall(text) if word not in ALLOWED]


def _names(body: str) -> list[str]:
    found = re.findall(r"<caption>(.*?)</caption>|<th scope=\"row\"[^>]*>(.*?)</th>", body, re.S)
    return [re.sub(r"<[^>]+>", "", "".join(parts)).strip() for parts in found]


def test_the_admin_index_names_every_section_and_model_in_russian(client_for, admin_user):
    body = client_for(admin_user).get("/admin/").content.decode()
    names = _names(body)
    assert len(names) > 20  # the sections and the models were found
    assert "Защита входа" in names and "Приложения-генераторы кодов" in names
    english = {name: _english(name) for name in names if _english(name)}
    assert not english, english


def test_every_registered_model_and_its_app_have_russian_names():
    for model in admin.site._registry:
        opts = model._meta
        for text in (opts.verbose_name, opts.verbose_name_plural, opts.app_config.verbose_name):
            assert not _english(str(text)), (opts.label, text)


def test_each_model_list_is_titled_in_russian(client_for, admin_user):
    client = client_for(admin_user)
    for model in admin.site._registry:
        opts = model._meta
        body = client.get(f"/admin/{opts.app_label}/{opts.model_name}/").content.decode()
        [title] = re.findall(r"<title>(.*?)</title>", body, re.S)
        assert not _english(title.replace("Django", "")), (opts.label, title)


def test_naming_the_libraries_needs_no_migration():
    assert apps.get_model("otp_static", "staticdevice")._meta.verbose_name == "набор резервных кодов"
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()
