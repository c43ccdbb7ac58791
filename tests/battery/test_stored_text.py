"""Hidden characters: refused wherever text comes in, left out (and logged) wherever it goes out.

Coming in, the Django admin (its forms, inlines and django-import-export's import) refuses the
characters the portal's forms and the workbook import refuse, with the same message at the field.
Going out, a character stored some other way (a shell, an SQL update, an old row: written here with
``QuerySet.update``) must not turn an export into a 500: every file is written without it and a
warning names the model, field and id (or the file's column), never the text.
"""

import datetime
import logging

import lxml.html
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from mentoring_portal.text import printable, validate_plain_text
from registry.models import Organization, OrganizationStatus, Region
from tests import factories as f

pytestmark = pytest.mark.django_db

# A bell, an escape (ANSI sequences), a right-to-left override, a byte-order mark, a NUL.
HIDDEN_CHARACTERS = ["\x07", "\x1b", "\u202e", "\ufeff", "\x00"]
CHAR_IDS = ["bell", "escape", "rtl-override", "bom", "nul"]
WARNING = "written without them"


def _message(char: str) -> str:
    kind = "Управляющий" if char < " " or char == "\x7f" else "Невидимый"
    return f"{kind} символ U+{ord(char):04X}"


# ---------------------------------------------------------------- the admin refuses


def _admin_form(response) -> dict:
    """The admin page's form as a browser would submit it (lxml reads what the page holds)."""
    assert response.status_code == 200
    page = lxml.html.fromstring(response.content.decode())
    (form,) = [form for form in page.forms if (form.get("id") or "").endswith("_form")]
    data: dict[str, list] = {}
    for name, value in form.form_values():
        data.setdefault(name, []).append(value)
    data["_save"] = ["Сохранить"]
    return data


def _field_errors(response, name: str) -> str:
    """The errors the admin shows for field ``name`` (of the form or of an inline's row)."""
    context = response.context
    errors = dict(context["adminform"].form.errors)
    for inline in context["inline_admin_formsets"]:
        for form in inline.formset.forms:
            errors.update({form.add_prefix(key): value for key, value in form.errors.items()})
    return " ".join(errors.get(name, []))


@pytest.mark.parametrize("char", HIDDEN_CHARACTERS, ids=CHAR_IDS)
def test_the_admin_add_form_refuses_a_hidden_character_at_the_field(client_for, admin_user, char):
    client = client_for(admin_user)
    url = reverse("admin:registry_region_add")
    data = _admin_form(client.get(url))
    data.update({"code": ["R77"], "name": [f"Тестовая{char} область"], "education_authority": [""]})
    response = client.post(url, data)
    assert response.status_code == 200  # the form again, not a redirect
    assert _message(char) in _field_errors(response, "name")
    assert not Region.objects.filter(code="R77").exists()


@pytest.mark.parametrize("char", HIDDEN_CHARACTERS, ids=CHAR_IDS)
def test_the_admin_change_form_refuses_a_hidden_character_in_a_school_name(client_for, admin_user, char):
    school = f.make_organization(short_name="СОШ № 5")
    client = client_for(admin_user)
    url = reverse("admin:registry_organization_change", args=[school.pk])
    data = _admin_form(client.get(url))
    data["short_name"] = [f"СОШ{char} № 5"]
    response = client.post(url, data)
    assert response.status_code == 200
    assert _message(char) in _field_errors(response, "short_name")
    school.refresh_from_db()
    assert school.short_name == "СОШ № 5"


@pytest.mark.parametrize("char", HIDDEN_CHARACTERS, ids=CHAR_IDS)
def test_an_admin_inline_refuses_a_hidden_character_at_its_field(client_for, admin_user, char):
    school = f.make_organization()
    status = OrganizationStatus.objects.create(
        organization=school, kind=OrganizationStatus.Kind.choices[0][0], start_date=datetime.date(2024, 9, 1)
    )
    client = client_for(admin_user)
    url = reverse("admin:registry_organization_change", args=[school.pk])
    data = _admin_form(client.get(url))
    data["statuses-0-basis"] = [f"Приказ{char} № 1"]
    response = client.post(url, data)
    assert response.status_code == 200
    assert _message(char) in _field_errors(response, "statuses-0-basis")
    status.refresh_from_db()
    assert status.basis == ""


def test_the_admin_refuses_a_hidden_character_in_a_persons_position(client_for, admin_user):
    person = f.make_person(position="учитель")
    client = client_for(admin_user)
    url = reverse("admin:registry_person_change", args=[person.pk])
    data = _admin_form(client.get(url))
    data["position"] = ["учитель\u202eйикссур"]
    response = client.post(url, data)
    assert _message("\u202e") in _field_errors(response, "position")
    person.refresh_from_db()
    assert person.position == "учитель"


def test_the_admin_still_saves_clean_text(client_for, admin_user):
    """The check refuses hidden characters only: the same form with plain text saves."""
    school = f.make_organization(short_name="СОШ № 5")
    client = client_for(admin_user)
    url = reverse("admin:registry_organization_change", args=[school.pk])
    data = _admin_form(client.get(url))
    data["short_name"] = ["СОШ № 6\r\n"]
    assert client.post(url, data).status_code == 302
    school.refresh_from_db()
    assert school.short_name == "СОШ № 6"


@pytest.mark.parametrize("char", HIDDEN_CHARACTERS, ids=CHAR_IDS)
def test_the_admins_workbook_import_refuses_a_hidden_character_naming_the_column(
    client_for, admin_user, char
):
    municipality = f.make_municipality()
    client = client_for(admin_user)
    data = (
        "Код ОО,Наименование,Краткое наименование,Муниципалитет,Тип ОО,Сайт\n"
        f"OO99001,МБОУ «СОШ № 1»,СОШ{char} № 1,{municipality.code},школа,\n"
    )
    upload = SimpleUploadedFile("schools.csv", data.encode(), content_type="text/csv")
    response = client.post(
        reverse("admin:registry_organization_import"), {"import_file": upload, "format": "0", "resource": "0"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert _message(char) in body and "Краткое наименование" in body
    assert not Organization.objects.filter(code="OO99001").exists()


def test_the_validator_an_api_would_use_says_the_same():
    from django.core.exceptions import ValidationError

    validate_plain_text("Иванова Анна\r\n")
    with pytest.raises(ValidationError) as caught:
        validate_plain_text("Иванова\u202eАнна")
    assert caught.value.messages == ["Невидимый символ U+202E в позиции 8; удалите его."]


def test_printable_drops_every_hidden_character_and_logs_where_not_what(caplog):
    text = "Иванова" + "".join(HIDDEN_CHARACTERS) + "\u0085Анна\tи\nдалее"
    with caplog.at_level(logging.WARNING, logger="mentoring_portal.text"):
        assert printable(text, "registry.Person.position id=7") == "ИвановаАнна\tи\nдалее"
    (record,) = caplog.records
    assert "registry.Person.position id=7" in record.getMessage()
    assert "Иванова" not in record.getMessage()
