"""Exports are copies of personal data: scoped, behind an explicit right, and never a formula.

#14, #8: the admin's import-export buttons need the admin's right, not a staff flag plus Django's
``view``/``add`` permissions (PR #804's IMPORT/EXPORT_PERMISSION_CODE alone would let them in);
the workbook export, with birth dates and contacts, is the curator's and the admin's (#13).
List downloads follow the list's scope (tests/registry/test_*_views: ``*export*`` tests).
#9: a scoped user cannot import at all, in the admin or through «Импорт и экспорт», so no row of
another territory can be written through them; only admins (whose scope is everything) import.
#44, #37: text beginning with ``= + - @`` is written as text, with a leading apostrophe, on every
export path: each list download, the workbook export and the admin's csv/xlsx export.
"""

import csv
import io
import zipfile

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from registry.models import Organization, Person
from tests import factories as f
from tests.registry.factories_people import make_member

pytestmark = pytest.mark.django_db

HOSTILE = ["=1+2", "+7 cmd|' /C calc'!A0", "-2+3", "@SUM(A1)"]


def _staff(user):
    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="registry"))
    return user


# ---------------------------------------------------------------- #14, #9 rights


def test_the_admin_export_and_import_need_the_admins_right(
    client_for, curator, coordinator, operator, school
):
    assert settings.IMPORT_EXPORT_EXPORT_PERMISSION_CODE and settings.IMPORT_EXPORT_IMPORT_PERMISSION_CODE
    make_member(organization=school, base="mentors", full_name="Петрова Анна Сергеевна")
    for user in (curator, coordinator, operator):
        client = client_for(_staff(user))
        changelist = client.get(reverse("admin:registry_person_changelist"))
        assert changelist.status_code == 200  # the staff user does reach the admin …
        body = changelist.content.decode()
        assert reverse("admin:registry_person_export") not in body  # … but is offered no export
        assert reverse("admin:registry_person_import") not in body
        for name in ("admin:registry_person_export", "admin:registry_organization_export"):
            assert client.get(reverse(name)).status_code == 403
            assert client.post(reverse(name), {"format": "0", "resource": "0"}).status_code == 403


def test_the_workbook_export_is_for_the_curator_and_the_admin(client_for, curator, coordinator, operator):
    url = reverse("registry:workbook-export")
    assert client_for(coordinator).get(url).status_code == 403
    assert client_for(operator).get(url).status_code == 403
    assert client_for(curator).get(url).status_code == 200


def test_a_scoped_user_imports_nothing_through_the_admin(
    client_for, coordinator, operator, curator, other_school
):
    """The row names a school outside the importer's scope; nothing is written, whoever tries."""
    data = (
        "Код ОО,ФИО,Дата рождения,Категория\n"
        + f"{other_school.code},Чужой Иван Иванович,01.01.1980,педагог\n"
    )
    for user in (curator, coordinator, operator):
        client = client_for(_staff(user))
        for url in (reverse("admin:registry_person_import"), reverse("admin:registry_person_process_import")):
            upload = SimpleUploadedFile("people.csv", data.encode(), content_type="text/csv")
            response = client.post(url, {"import_file": upload, "format": "0", "resource": "0"})
            assert response.status_code == 403
    assert not Person.objects.filter(full_name="Чужой Иван Иванович").exists()


# ---------------------------------------------------------------- #44 formulas


def _cells(content: bytes):
    assert b"<f>" not in b"".join(
        zipfile.ZipFile(io.BytesIO(content)).read(n) for n in zipfile.ZipFile(io.BytesIO(content)).namelist()
    )
    book = load_workbook(io.BytesIO(content))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def _assert_escaped(values, *, at_least: int):
    """Every exported value holding a hostile text shows it as text, after an apostrophe."""
    found = [v for v in values if isinstance(v, str) and any(h in v for h in HOSTILE)]
    assert len(found) >= at_least, found
    for value in found:
        assert value.startswith("'"), value


@pytest.fixture
def hostile(school):
    """People, a school and a pair whose texts begin with each character Excel reads as a formula."""
    school.short_name, school.full_name = HOSTILE[0], HOSTILE[1]
    school.save()
    people = [
        make_member(organization=school, base="mentors", full_name=f"Наставник {i}", position=text)
        for i, text in enumerate(HOSTILE)
    ]
    mentor = make_member(organization=school, base="mentors", full_name=HOSTILE[3], position="учитель")
    f.make_mentorship(organization=school, mentor_person=mentor)
    return people


def test_every_list_download_writes_formula_looking_text_as_text(client_for, curator, hostile):
    client = client_for(curator)
    for name, at_least in (
        ("registry:mentor-list", 4),
        ("registry:organization-list", 1),
        ("registry:mentorship-list", 1),
    ):
        response = client.get(reverse(name) + "?format=xlsx")
        assert response.status_code == 200, name
        _assert_escaped([c.value for c in _cells(response.content)], at_least=at_least)


def test_the_workbook_export_writes_formula_looking_text_as_text(client_for, curator, hostile):
    response = client_for(curator).get(reverse("registry:workbook-export"))
    assert response.status_code == 200
    _assert_escaped([c.value for c in _cells(response.content)], at_least=4)


def test_the_admin_export_writes_formula_looking_text_as_text(client_for, admin_user, hostile):
    client = client_for(admin_user)
    url = reverse("admin:registry_person_export")
    fields = {f"personresource_{name}": "on" for name in ("organization", "full_name", "position")}
    response = client.post(url, {"format": "0", "resource": "0", **fields})  # csv
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    values = [value for row in rows for value in row]
    assert {"'" + text for text in HOSTILE} <= set(values)
    _assert_escaped(values, at_least=5)
    response = client.post(url, {"format": "1", "resource": "0", **fields})  # xlsx
    assert response.status_code == 200
    values = [c.value for c in _cells(response.content)]
    assert {"'" + text for text in HOSTILE} <= set(values)
    _assert_escaped(values, at_least=5)


def test_people_and_organizations_keep_the_text_as_typed(hostile, school):
    """Control: the texts are stored as they were typed; only their exports are escaped."""
    assert sorted(
        Person.objects.filter(pk__in=[p.pk for p in hostile]).values_list("position", flat=True)
    ) == sorted(HOSTILE)
    assert Organization.objects.get(pk=school.pk).short_name == HOSTILE[0]
