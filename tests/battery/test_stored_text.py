"""Hidden characters: refused wherever text comes in, left out (and logged) wherever it goes out.

Coming in, the Django admin (its forms, inlines and django-import-export's import) refuses the
characters the portal's forms and the workbook import refuse, with the same message at the field.
Going out, a character stored some other way (a shell, an SQL update, an old row: written here with
``QuerySet.update``) must not turn an export into a 500: every file is written without it and a
warning names the model, field and id (or the file's column), never the text.

Second battery, #69 of docs/reliability.md §5.
"""

import csv
import datetime
import io
import logging
import re
import zipfile

import lxml.html
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from openpyxl import load_workbook

from common.text import HIDDEN, printable, validate_plain_text
from monitoring.models import RoadMap, RoadMapEvent
from registry.models import Organization, OrganizationStatus, Person, Region
from reports import render
from tests import factories as f
from tests.registry.factories_people import make_member

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
    with caplog.at_level(logging.WARNING, logger="common.text"):
        assert printable(text, "registry.Person.position id=7") == "ИвановаАнна\tи\nдалее"
    (record,) = caplog.records
    assert "registry.Person.position id=7" in record.getMessage()
    assert "Иванова" not in record.getMessage()


# ---------------------------------------------------------------- every file writes it out


@pytest.fixture
def hidden(request, db):
    """The character under test; PostgreSQL cannot store a NUL at all, so that case is SQLite's."""
    char = request.param
    if char == "\x00" and connection.vendor == "postgresql":
        pytest.skip("PostgreSQL refuses NUL in text: no row can hold one")
    return char


def _hidden_warnings(caplog) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "common.text" and record.levelno == logging.WARNING
    ]


def _xlsx_texts(content: bytes) -> list[str]:
    book = load_workbook(io.BytesIO(content))
    return [
        cell
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if isinstance(cell, str)
    ]


def _assert_written_out(response, char, expected: set[str]) -> list[str]:
    """A readable .xlsx holding ``expected`` (the stored texts without the character), and no hidden one."""
    assert response.status_code == 200
    texts = _xlsx_texts(response.content)
    assert not [text for text in texts if HIDDEN.search(text)]
    assert expected <= set(texts), expected - set(texts)
    return texts


@pytest.mark.parametrize("hidden", HIDDEN_CHARACTERS, ids=CHAR_IDS, indirect=True)
def test_list_exports_leave_a_stored_hidden_character_out_and_log_where(
    client_for, curator, operator, school, hidden, caplog
):
    person = make_member(organization=school, base="mentors", position="учитель")
    Person.objects.filter(pk=person.pk).update(position=f"учи{hidden}тель")
    Organization.objects.filter(pk=school.pk).update(
        full_name=f"МБОУ{hidden} «СОШ № 1»", short_name=f"СОШ{hidden} № 1"
    )
    with caplog.at_level(logging.WARNING, logger="common.text"):
        response = client_for(curator).get(reverse("registry:mentor-list") + "?format=xlsx")
        _assert_written_out(response, hidden, {"учитель", "СОШ № 1"})
        response = client_for(operator).get(reverse("registry:organization-list") + "?format=xlsx")
        _assert_written_out(response, hidden, {"МБОУ «СОШ № 1»"})
        # Monitoring's lists go through the same writer: the road maps of the region.
        roadmap = RoadMap.objects.create(
            title="План", level=RoadMap.Level.REGION, region=school.municipality.region
        )
        RoadMap.objects.filter(pk=roadmap.pk).update(title=f"Пл{hidden}ан")
        response = client_for(operator).get(reverse("monitoring:roadmap-list") + "?format=xlsx")
        _assert_written_out(response, hidden, {"План"})
    warnings = _hidden_warnings(caplog)
    assert any("column «Должность / класс»" in message for message in warnings), warnings
    assert any("column «Наименование»" in message for message in warnings), warnings
    assert any("column «Дорожная карта»" in message for message in warnings), warnings
    assert not [message for message in warnings if "учи" in message or "СОШ" in message]  # no stored text


@pytest.mark.parametrize("hidden", HIDDEN_CHARACTERS, ids=CHAR_IDS, indirect=True)
def test_the_one_person_export_leaves_a_stored_hidden_character_out(
    client_for, curator, school, hidden, caplog
):
    person = make_member(organization=school, base="mentors", position="учитель", full_name="Иванова Анна")
    Person.objects.filter(pk=person.pk).update(
        position=f"учи{hidden}тель", full_name=f"Иванова\u202e{hidden} Анна"
    )
    with caplog.at_level(logging.WARNING, logger="common.text"):
        response = client_for(curator).get(reverse("registry:person-export", args=[person.pk]))
    _assert_written_out(response, hidden, {"учитель", "Иванова Анна"})
    disposition = response["Content-Disposition"]
    assert "%E2%80%AE" not in disposition and "\u202e" not in disposition  # no override in the file's name
    warnings = _hidden_warnings(caplog)
    assert any(f"registry.Person id={person.pk}" in message for message in warnings), warnings
    assert not [message for message in warnings if "Иванова" in message]


@pytest.mark.parametrize("hidden", HIDDEN_CHARACTERS, ids=CHAR_IDS, indirect=True)
def test_the_regional_workbook_export_leaves_a_stored_hidden_character_out(
    client_for, curator, school, hidden, caplog
):
    """The registry's sheets and monitoring's «Мероприятия» sheet (XlsxWriter) alike."""
    person = make_member(organization=school, base="mentors", position="учитель")
    Person.objects.filter(pk=person.pk).update(position=f"учи{hidden}тель")
    Organization.objects.filter(pk=school.pk).update(short_name=f"СОШ{hidden} № 1")
    roadmap = RoadMap.objects.create(
        title="План",
        level=RoadMap.Level.ORGANIZATION,
        region=school.municipality.region,
        municipality=school.municipality,
        organization=school,
    )
    event = RoadMapEvent.objects.create(roadmap=roadmap, title="Совещание", timing_text="Январь 2021 года")
    RoadMapEvent.objects.filter(pk=event.pk).update(title=f"Сове{hidden}щание")
    with caplog.at_level(logging.WARNING, logger="common.text"):
        response = client_for(curator).get(reverse("registry:workbook-export"))
    texts = _assert_written_out(response, hidden, {"учитель", "СОШ № 1", "Совещание"})
    assert not [text for text in texts if "_x00" in text]  # nor XlsxWriter's escape of it
    warnings = _hidden_warnings(caplog)
    assert len(warnings) >= 3 and all("workbook sheet" in message for message in warnings), warnings


@pytest.mark.parametrize("hidden", HIDDEN_CHARACTERS, ids=CHAR_IDS, indirect=True)
def test_the_admins_export_leaves_a_stored_hidden_character_out(
    client_for, admin_user, school, hidden, caplog
):
    person = f.make_person(organization=school, position="учитель")
    Person.objects.filter(pk=person.pk).update(position=f"учи{hidden}тель")
    client = client_for(admin_user)
    url = reverse("admin:registry_person_export")
    fields = {f"personresource_{name}": "on" for name in ("organization", "full_name", "position")}
    with caplog.at_level(logging.WARNING, logger="common.text"):
        response = client.post(url, {"format": "0", "resource": "0", **fields})  # csv
        assert response.status_code == 200
        values = {
            value for row in csv.reader(io.StringIO(response.content.decode("utf-8-sig"))) for value in row
        }
        assert "учитель" in values and not [value for value in values if HIDDEN.search(value)]
        response = client.post(url, {"format": "1", "resource": "0", **fields})  # xlsx
        _assert_written_out(response, hidden, {"учитель"})
    warnings = _hidden_warnings(caplog)
    assert any(f"registry.Person.position id={person.pk}" in message for message in warnings), warnings


def _report(text: str) -> dict:
    """A report's document as the builders make it: stored names copied into its texts."""
    return {
        "title": f"Справка{text}",
        "running_header": f"Справка{text}",
        "blocks": [
            {"type": "heading", "text": f"Школа{text}", "level": 1},
            {"type": "paragraph", "label": "Цель —", "text": f"Нас{text}тавничество"},
            {"type": "list", "items": [f"пункт{text}"], "ordered": False},
            {
                "type": "table",
                "caption": "Таблица 1",
                "columns": [{"title": "Организация", "width": 100, "align": "left"}],
                "rows": [{"cells": [f"СОШ{text} № 1"], "kind": "row"}],
            },
        ],
    }


@pytest.mark.parametrize("hidden", HIDDEN_CHARACTERS, ids=CHAR_IDS, indirect=True)
def test_report_files_leave_a_stored_hidden_character_out(hidden, caplog):
    with caplog.at_level(logging.WARNING, logger="common.text"):
        html = render.to_html(_report(hidden))
        content = render.to_docx(_report(hidden))
    shown = re.sub(r"<[^>]+>", "", html).replace("\xa0", " ")  # figures sit in spans (reports/unbroken.py)
    assert "СОШ № 1" in shown and "Наставничество" in html and hidden not in html
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        xml = archive.read("word/document.xml").decode()
    assert "СОШ № 1" in re.sub(r"<[^>]+>", "", xml).replace("\xa0", " ")
    assert "Наставничество" in xml and hidden not in xml
    assert hidden not in render.file_name(f"Справка{hidden}", "pdf")
    warnings = _hidden_warnings(caplog)
    assert any("report document.blocks[3].rows[0].cells[0]" in message for message in warnings), warnings


def test_a_pdf_report_renders_with_stored_hidden_characters(caplog):
    with caplog.at_level(logging.WARNING, logger="common.text"):
        content, pages = render.render(_report("\x07\x1b\u202e\ufeff"), "pdf")
    assert content.startswith(b"%PDF") and pages == 1
    assert _hidden_warnings(caplog)


@pytest.mark.parametrize(
    "char, kind",
    [("\x85", "Управляющий"), ("\x9b", "Управляющий"), ("\u2028", "Управляющий"), ("\u200f", "Невидимый")],
    ids=["c1-next-line", "c1-csi", "line-separator", "rtl-mark"],
)
def test_c1_controls_separators_and_bidi_marks_are_refused_like_the_rest(client_for, admin_user, char, kind):
    """The neighbours of the refused characters: C1 controls (U+0085 is a line end to some
    readers, U+009B starts an escape sequence), U+2028 and the right-to-left mark."""
    client = client_for(admin_user)
    url = reverse("admin:registry_region_add")
    data = _admin_form(client.get(url))
    data.update({"code": ["R78"], "name": [f"Тестовая{char} область"], "education_authority": [""]})
    response = client.post(url, data)
    assert f"{kind} символ U+{ord(char):04X} в позиции 9" in _field_errors(response, "name")
    assert not Region.objects.filter(code="R78").exists()
    assert printable(f"Тестовая{char} область", "test") == "Тестовая область"


@pytest.mark.parametrize("hidden", ["\x07", "\u202e"], ids=["bell", "rtl-override"], indirect=True)
def test_a_report_built_from_stored_hidden_characters_downloads_without_them(
    client_for, coordinator, municipality, hidden, caplog
):
    """End to end: a road-map event stored with the character, its municipal note as DOCX and HTML."""
    from reports import services
    from reports.models import Kind, ReportFile
    from reports.sources import resolve

    roadmap = RoadMap.objects.create(
        title="План района",
        level=RoadMap.Level.MUNICIPALITY,
        region=municipality.region,
        municipality=municipality,
    )
    event = RoadMapEvent.objects.create(
        roadmap=roadmap, number="1.1", title="Совещание", timing_text="Ноябрь 2020 года"
    )
    RoadMapEvent.objects.filter(pk=event.pk).update(title=f"Сове{hidden}щание")
    report = services.report_create(
        report=resolve(coordinator, Kind.ROADMAP_NOTE, roadmap=roadmap), user=coordinator
    )
    client = client_for(coordinator)
    with caplog.at_level(logging.WARNING, logger="common.text"):
        for fmt in ("docx", "html"):
            created = client.post(reverse("reports:report-file", args=[report.pk, fmt]))
            assert created.status_code == 302
            response = client.get(created.url)
            assert response.status_code == 200
            assert ReportFile.objects.filter(report=report, format=fmt, status="done").exists()
            if fmt == "docx":
                with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
                    text = archive.read("word/document.xml").decode()
            else:
                text = response.content.decode()
            assert "Совещание" in text and hidden not in text
    assert _hidden_warnings(caplog)
