"""The organization card and list: the school's own data, documents, headcount, statuses, filters, export."""

import datetime
import io
from pathlib import Path
from urllib.parse import quote

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from registry import organizations as services
from registry.models import (
    Headcount,
    NormativeDocument,
    Organization,
    OrganizationStatus,
    school_year_label,
    school_year_of,
)
from tests import factories as f
from tests.registry import factories_organizations as fo

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploads go to a fresh directory per test, so we can see exactly what was written."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    return root


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


@pytest.fixture
def document(school):
    return fo.make_document(organization=school, file=fo.upload())


@pytest.fixture
def status(school):
    return fo.make_status(organization=school)


def card(organization) -> str:
    return reverse("registry:organization-detail", args=[organization.code])


def document_post(**overrides) -> dict:
    data = {
        "doc_type": "order",
        "number": "45-од",
        "date": "2024-08-30",
        "title": "О внедрении целевой модели наставничества",
        "site_url": "https://school.example/docs/45.pdf",
        "published_on_site": "on",
    }
    data.update(overrides)
    return data


def headcount_post(**overrides) -> dict:
    data = {
        "school_year": str(school_year_of(timezone.localdate())),
        "teachers": "52",
        "young_specialists": "6",
        "students": "610",
        "students_10_plus": "350",
    }
    data.update(overrides)
    return data


def card_post(organization, **overrides) -> dict:
    data = {
        "short_name": "Школа № 1",
        "site_url": "https://school1.example/",
        "model_status": "implementation",
        "model_status_since": "2023-09-01",
        "version": str(organization.version),
    }
    data.update(overrides)
    return data


# ---------------------------------------------------------------- three actors on every URL


def card_urls(school, document, status):
    """(url name, url, POST data that would change something) for every write of the card."""
    return [
        ("organization-edit", reverse("registry:organization-edit", args=[school.code]), card_post(school)),
        ("document-create", reverse("registry:document-create", args=[school.code]), document_post()),
        ("document-edit", reverse("registry:document-edit", args=[document.pk]), document_post()),
        ("document-delete", reverse("registry:document-delete", args=[document.pk]), {}),
        ("headcount-edit", reverse("registry:headcount-edit", args=[school.code]), headcount_post()),
    ]


def status_urls(school, status):
    return [
        (
            "status-create",
            reverse("registry:status-create", args=[school.code]),
            {"kind": "mentor_school", "start_date": "2024-09-01"},
        ),
        (
            "status-end",
            reverse("registry:status-end", args=[school.code, status.pk]),
            {"end_date": "2024-12-31"},
        ),
    ]


def snapshot(school):
    """Everything a write on the card could change."""
    school.refresh_from_db()
    return (
        school.version,
        school.short_name,
        list(NormativeDocument.objects.order_by("pk").values_list("pk", "title", "file")),
        list(Headcount.objects.values_list("organization", "school_year", "teachers")),
        list(OrganizationStatus.objects.values_list("pk", "kind", "end_date")),
    )


def test_curator_of_the_school_opens_every_card_url(client_for, curator, school, document, status):
    client = client_for(curator)
    assert client.get(card(school)).status_code == 200
    assert client.get(reverse("registry:document-file", args=[document.pk])).status_code == 200
    for name, url, _ in card_urls(school, document, status):
        assert client.get(url).status_code == 200, name


def test_curator_sees_statuses_but_cannot_add_or_end_them(client_for, curator, school, document, status):
    client = client_for(curator)
    body = client.get(card(school)).content.decode()
    assert "ШНОР" in body and "10.01.2022" in body and "приказ № 5 от 10.01.2022" in body
    assert reverse("registry:status-create", args=[school.code]) not in body
    before = snapshot(school)
    for name, url, data in status_urls(school, status):
        assert client.get(url).status_code == 403, name
        assert client.post(url, data).status_code == 403, name
    assert snapshot(school) == before


def test_coordinator_reads_the_card_and_the_file_but_writes_nothing(
    client_for, coordinator, school, document, status
):
    client = client_for(coordinator)
    body = client.get(card(school)).content.decode()
    assert document.title in body
    assert reverse("registry:organization-edit", args=[school.code]) not in body
    assert reverse("registry:document-edit", args=[document.pk]) not in body
    assert client.get(reverse("registry:document-file", args=[document.pk])).status_code == 200
    before = snapshot(school)
    for name, url, data in card_urls(school, document, status) + status_urls(school, status):
        assert client.get(url).status_code == 403, name
        assert client.post(url, data).status_code == 403, name
    assert snapshot(school) == before


@pytest.mark.parametrize("stranger", ["other_curator", "other_coordinator", "curator_of_neighbour"])
def test_strangers_get_404_on_the_card_the_file_and_every_write(
    request, client_for, school, neighbour_school, document, status, stranger
):
    if stranger == "curator_of_neighbour":
        user = f.make_user("neighbour", role="curator", organization=neighbour_school)
    else:
        user = request.getfixturevalue(stranger)
    client = client_for(user)
    assert client.get(card(school)).status_code == 404
    assert client.get(reverse("registry:document-file", args=[document.pk])).status_code == 404
    before = snapshot(school)
    for name, url, data in card_urls(school, document, status) + status_urls(school, status):
        assert client.get(url).status_code == 404, name
        assert client.post(url, data).status_code == 404, name
    assert snapshot(school) == before


def test_operator_reads_the_card_and_manages_statuses_only(client_for, operator, school, document, status):
    client = client_for(operator)
    body = client.get(card(school)).content.decode()
    assert reverse("registry:status-create", args=[school.code]) in body
    assert reverse("registry:status-end", args=[school.code, status.pk]) in body
    assert client.get(reverse("registry:document-file", args=[document.pk])).status_code == 200
    for name, url, _ in status_urls(school, status):
        assert client.get(url).status_code == 200, name
    before = snapshot(school)
    for name, url, data in card_urls(school, document, status):
        assert client.post(url, data).status_code == 403, name
    assert snapshot(school) == before


def test_operator_of_another_region_gets_404_on_statuses(client_for, school, status):
    stranger = f.make_user("op2", role="operator", region=f.make_region())
    client = client_for(stranger)
    for name, url, data in status_urls(school, status):
        assert client.post(url, data).status_code == 404, name
    assert OrganizationStatus.objects.count() == 1


def test_admin_opens_every_url(client_for, admin_user, school, document, status):
    client = client_for(admin_user)
    for name, url, _ in card_urls(school, document, status) + status_urls(school, status):
        assert client.get(url).status_code == 200, name
    assert client.get(reverse("registry:document-file", args=[document.pk])).status_code == 200


def test_anonymous_user_is_sent_to_login(client, school, document, status):
    for name, url, data in card_urls(school, document, status) + status_urls(school, status):
        response = client.post(url, data)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), name
    response = client.get(reverse("registry:document-file", args=[document.pk]))
    assert response.status_code == 302


def test_delete_and_file_refuse_other_methods(client_for, curator, document):
    client = client_for(curator)
    assert client.put(reverse("registry:document-delete", args=[document.pk])).status_code == 405
    assert client.post(reverse("registry:document-file", args=[document.pk])).status_code == 405


# ---------------------------------------------------------------- the card's own fields


def test_curator_saves_the_card_and_the_version_goes_up(client_for, curator, school):
    url = reverse("registry:organization-edit", args=[school.code])
    response = client_for(curator).post(url, card_post(school, full_name="Чужое имя", code="HACK"))
    assert response.status_code == 302 and response.url == card(school)
    school.refresh_from_db()
    assert school.short_name == "Школа № 1"
    assert school.site_url == "https://school1.example/"
    assert school.model_status == Organization.ModelStatus.IMPLEMENTATION
    assert school.model_status_since == datetime.date(2023, 9, 1)
    assert school.version == 2
    assert school.code != "HACK" and school.full_name != "Чужое имя"
    latest = school.history.latest()
    assert latest.short_name == "Школа № 1" and latest.history_user == curator


def test_saving_an_unchanged_card_writes_no_history(client_for, curator, school):
    url = reverse("registry:organization-edit", args=[school.code])
    client = client_for(curator)
    assert client.post(url, card_post(school)).status_code == 302
    school.refresh_from_db()
    versions = (school.version, school.history.count())
    assert client.post(url, card_post(school)).status_code == 302
    school.refresh_from_db()
    assert (school.version, school.history.count()) == versions


def test_a_save_since_the_form_was_opened_is_a_conflict(client_for, curator, school):
    client = client_for(curator)
    url = reverse("registry:organization-edit", args=[school.code])
    opened = client.get(url).context["form"]["version"].value()
    assert opened == 1
    # Somebody else saves meanwhile.
    services.organization_update(
        organization=school,
        expected_version=1,
        short_name="Сохранено другим",
        site_url="",
        model_status="preparation",
        model_status_since=None,
    )
    response = client.post(url, card_post(school, version=str(opened)))
    assert response.status_code == 200
    assert services.ORGANIZATION_STALE_VERSION in response.content.decode()
    school.refresh_from_db()
    assert school.short_name == "Сохранено другим" and school.version == 2


def test_card_form_errors_are_russian_and_nothing_is_saved(client_for, curator, school):
    url = reverse("registry:organization-edit", args=[school.code])
    response = client_for(curator).post(url, card_post(school, site_url="javascript:alert(1)"))
    assert response.status_code == 200
    assert response.context["form"].errors["site_url"] == ["Введите правильный URL."]
    school.refresh_from_db()
    assert school.version == 1


# ---------------------------------------------------------------- documents


def test_curator_adds_a_document_with_a_file(client_for, curator, school, media_root):
    url = reverse("registry:document-create", args=[school.code])
    data = document_post(file=fo.upload("Приказ 45.pdf"))
    response = client_for(curator).post(url, data)
    assert response.status_code == 302 and response.url == card(school) + "#documents"
    document = NormativeDocument.objects.get()
    assert document.organization == school
    assert document.level == NormativeDocument.Level.ORGANIZATION
    assert (document.municipality, document.region) == (school.municipality, school.municipality.region)
    assert (document.doc_type, document.number, document.date) == (
        "order",
        "45-од",
        datetime.date(2024, 8, 30),
    )
    assert document.published_on_site and document.site_url == "https://school.example/docs/45.pdf"
    assert document.file.name.startswith(f"documents/{datetime.date.today():%Y}/")
    assert document.file.name.endswith(".pdf") and "Приказ" not in document.file.name
    assert stored_files(media_root) == [media_root / document.file.name]
    assert (media_root / document.file.name).read_bytes() == fo.PDF


def test_a_document_ignores_the_organization_sent_in_the_form(client_for, curator, school, other_school):
    url = reverse("registry:document-create", args=[school.code])
    data = document_post(
        organization=other_school.pk,
        organization_id=other_school.pk,
        municipality=other_school.municipality_id,
        region=f.make_region().pk,
        level="regional",
        code=other_school.code,
    )
    assert client_for(curator).post(url, data).status_code == 302
    document = NormativeDocument.objects.get()
    assert document.organization == school and document.level == "organization"
    assert document.municipality == school.municipality
    assert document.region == school.municipality.region


def test_curator_cannot_add_a_document_to_another_school(client_for, curator, other_school):
    url = reverse("registry:document-create", args=[other_school.code])
    assert client_for(curator).post(url, document_post()).status_code == 404
    assert NormativeDocument.objects.count() == 0


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("приказ.pdf", fo.EXE, services.FILE_WRONG_CONTENT.format(ext="PDF")),
        ("приказ.pdf", fo.TEXT, services.FILE_WRONG_CONTENT.format(ext="PDF")),
        ("приказ.docx", fo.PLAIN_ZIP, services.FILE_WRONG_CONTENT.format(ext="DOCX")),
        ("приказ.odt", fo.DOCX, services.FILE_WRONG_CONTENT.format(ext="ODT")),
        ("приказ.png", fo.JPEG, services.FILE_WRONG_CONTENT.format(ext="PNG")),
        ("приказ.exe", fo.PDF, services.FILE_WRONG_EXTENSION),
        ("приказ.txt", fo.TEXT, services.FILE_WRONG_EXTENSION),
        ("приказ", fo.PDF, services.FILE_WRONG_EXTENSION),
    ],
)
def test_a_wrong_file_is_refused_next_to_the_file_field(
    client_for, curator, school, media_root, name, content, message
):
    url = reverse("registry:document-create", args=[school.code])
    response = client_for(curator).post(url, document_post(file=fo.upload(name, content)))
    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [message]
    assert message in response.content.decode()
    assert NormativeDocument.objects.count() == 0
    assert stored_files(media_root) == []


def test_a_file_over_10_mb_is_refused(client_for, curator, school, media_root):
    big = fo.PDF + b"0" * (10 * 1024 * 1024 + 1 - len(fo.PDF))
    url = reverse("registry:document-create", args=[school.code])
    response = client_for(curator).post(url, document_post(file=fo.upload("большой.pdf", big)))
    assert response.context["form"].errors["file"] == [services.FILE_TOO_LARGE]
    assert NormativeDocument.objects.count() == 0
    assert stored_files(media_root) == []


def test_a_file_of_exactly_10_mb_is_accepted(client_for, curator, school, media_root):
    exact = fo.PDF + b"0" * (10 * 1024 * 1024 - len(fo.PDF))
    url = reverse("registry:document-create", args=[school.code])
    assert client_for(curator).post(url, document_post(file=fo.upload("ровно.pdf", exact))).status_code == 302
    assert len(stored_files(media_root)) == 1


@pytest.mark.parametrize(
    "name, content",
    [
        ("a.pdf", fo.PDF),
        ("a.DOC", fo.DOC),
        ("a.docx", fo.DOCX),
        ("a.odt", fo.ODT),
        ("a.jpg", fo.JPEG),
        ("a.jpeg", fo.JPEG),
        ("a.png", fo.PNG),
    ],
)
def test_each_accepted_kind_of_file_is_stored(client_for, curator, school, media_root, name, content):
    url = reverse("registry:document-create", args=[school.code])
    assert client_for(curator).post(url, document_post(file=fo.upload(name, content))).status_code == 302
    document = NormativeDocument.objects.get()
    assert document.file.name.endswith(Path(name).suffix.lower())
    assert (media_root / document.file.name).read_bytes() == content


def test_a_published_document_needs_its_link(client_for, curator, school, media_root):
    url = reverse("registry:document-create", args=[school.code])
    response = client_for(curator).post(url, document_post(site_url="", file=fo.upload()))
    assert response.status_code == 200
    assert response.context["form"].errors["site_url"] == [
        "Для документа, размещённого на сайте, укажите ссылку."
    ]
    assert NormativeDocument.objects.count() == 0
    assert stored_files(media_root) == []


def test_curator_edits_a_document_and_replaces_its_file(
    client_for, curator, school, document, media_root, django_capture_on_commit_callbacks
):
    old = media_root / document.file.name
    url = reverse("registry:document-edit", args=[document.pk])
    form = client_for(curator).get(url).context["form"]
    assert form["title"].value() == "Положение о наставничестве"
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(curator).post(
            url, document_post(title="Новое положение", file=fo.upload("new.docx", fo.DOCX))
        )
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.title == "Новое положение" and document.organization == school
    assert document.file.name.endswith(".docx")
    assert stored_files(media_root) == [media_root / document.file.name]
    assert not old.exists()


def test_curator_removes_a_file_and_keeps_the_document(
    client_for, curator, document, media_root, django_capture_on_commit_callbacks
):
    url = reverse("registry:document-edit", args=[document.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(curator).post(url, document_post(remove_file="on"))
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.file.name == ""
    assert stored_files(media_root) == []


def test_editing_without_a_new_file_keeps_the_old_one(client_for, curator, document, media_root):
    name = document.file.name
    url = reverse("registry:document-edit", args=[document.pk])
    assert client_for(curator).post(url, document_post(organization=999)).status_code == 302
    document.refresh_from_db()
    assert document.file.name == name and (media_root / name).exists()


def test_a_refused_file_on_edit_leaves_the_document_as_it_was(client_for, curator, document, media_root):
    before = (document.title, document.file.name)
    url = reverse("registry:document-edit", args=[document.pk])
    response = client_for(curator).post(url, document_post(title="Иное", file=fo.upload("вирус.pdf", fo.EXE)))
    assert response.context["form"].errors["file"] == [services.FILE_WRONG_CONTENT.format(ext="PDF")]
    document.refresh_from_db()
    assert (document.title, document.file.name) == before
    assert stored_files(media_root) == [media_root / before[1]]


def test_curator_deletes_a_document_and_its_file(
    client_for, curator, school, document, media_root, django_capture_on_commit_callbacks
):
    url = reverse("registry:document-delete", args=[document.pk])
    assert document.title in client_for(curator).get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(curator).post(url)
    assert response.status_code == 302 and response.url == card(school) + "#documents"
    assert NormativeDocument.objects.count() == 0
    assert stored_files(media_root) == []


def test_a_regional_document_is_not_written_from_a_school(client_for, curator, school):
    regional = fo.make_regional_document(region=school.municipality.region)
    client = client_for(curator)
    assert client.get(reverse("registry:document-edit", args=[regional.pk])).status_code == 404
    assert client.post(reverse("registry:document-delete", args=[regional.pk])).status_code == 404
    assert NormativeDocument.objects.filter(pk=regional.pk).exists()


def test_the_file_is_downloaded_as_a_private_attachment_with_a_russian_name(client_for, curator, document):
    response = client_for(curator).get(reverse("registry:document-file", args=[document.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == fo.PDF
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert f"filename*=utf-8''{quote('Положение № 12 от 01.09.2023.pdf')}" in disposition
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_files_are_never_linked_through_media(client_for, curator, school, document, settings):
    body = client_for(curator).get(card(school)).content.decode()
    assert reverse("registry:document-file", args=[document.pk]) in body
    assert settings.MEDIA_URL not in body and document.file.name not in body
    edit = client_for(curator).get(reverse("registry:document-edit", args=[document.pk])).content.decode()
    assert document.file.name not in edit and settings.MEDIA_URL not in edit
    assert client_for(curator).get("/" + settings.MEDIA_URL + document.file.name).status_code == 404


def test_a_document_without_a_file_has_no_download(client_for, curator, school):
    document = fo.make_document(organization=school)
    assert client_for(curator).get(reverse("registry:document-file", args=[document.pk])).status_code == 404


def test_a_file_missing_on_disk_answers_404(client_for, curator, document, media_root):
    (media_root / document.file.name).unlink()
    assert client_for(curator).get(reverse("registry:document-file", args=[document.pk])).status_code == 404


# ---------------------------------------------------------------- headcount


def test_headcount_form_offers_the_current_year_and_two_before(client_for, curator, school):
    form = client_for(curator).get(reverse("registry:headcount-edit", args=[school.code])).context["form"]
    current = school_year_of(timezone.localdate())
    assert form["school_year"].value() == current
    assert form.fields["school_year"].choices == [
        (current, school_year_label(current)),
        (current - 1, school_year_label(current - 1)),
        (current - 2, school_year_label(current - 2)),
    ]
    if timezone.localdate() >= datetime.date(2026, 9, 1) and timezone.localdate() < datetime.date(2027, 9, 1):
        assert school_year_label(current) == "2026/2027"


def test_curator_creates_then_updates_the_headcount_of_a_year(client_for, curator, school):
    client = client_for(curator)
    url = reverse("registry:headcount-edit", args=[school.code])
    year = school_year_of(timezone.localdate())
    assert client.post(url, headcount_post()).status_code == 302
    assert client.post(url, headcount_post(teachers="55", students_10_plus="")).status_code == 302
    headcount = Headcount.objects.get()
    assert (headcount.organization, headcount.school_year) == (school, year)
    assert (headcount.teachers, headcount.young_specialists, headcount.students) == (55, 6, 610)
    assert headcount.students_10_plus is None
    assert headcount.history.count() == 2
    # The stored figures come back when the year is opened again.
    form = client.get(url + f"?year={year}").context["form"]
    assert form["teachers"].value() == 55


def test_headcount_of_a_previous_year_is_kept_apart(client_for, curator, school):
    client = client_for(curator)
    url = reverse("registry:headcount-edit", args=[school.code])
    year = school_year_of(timezone.localdate())
    client.post(url, headcount_post())
    client.post(url, headcount_post(school_year=str(year - 1), teachers="48"))
    assert dict(Headcount.objects.values_list("school_year", "teachers")) == {year: 52, year - 1: 48}


def test_headcount_ignores_the_organization_sent_in_the_form(client_for, curator, school, other_school):
    url = reverse("registry:headcount-edit", args=[school.code])
    data = headcount_post(organization=other_school.pk, organization_id=other_school.pk)
    assert client_for(curator).post(url, data).status_code == 302
    assert list(Headcount.objects.values_list("organization", flat=True)) == [school.pk]


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        (
            {"young_specialists": "60"},
            "young_specialists",
            "Молодых специалистов не может быть больше, чем педагогов.",
        ),
        (
            {"students_10_plus": "700"},
            "students_10_plus",
            "Обучающихся от 10 лет не может быть больше, чем обучающихся всего.",
        ),
        ({"teachers": "-1"}, "teachers", "Убедитесь, что это значение больше либо равно 0."),
        (
            {"school_year": "2019"},
            "school_year",
            "Выберите корректный вариант. 2019 нет среди допустимых значений.",
        ),
    ],
)
def test_headcount_errors_are_russian_and_next_to_the_field(
    client_for, curator, school, overrides, field, message
):
    url = reverse("registry:headcount-edit", args=[school.code])
    response = client_for(curator).post(url, headcount_post(**overrides))
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert message in response.content.decode()
    assert Headcount.objects.count() == 0


# ---------------------------------------------------------------- statuses


def test_operator_adds_and_ends_a_status(client_for, operator, school):
    client = client_for(operator)
    url = reverse("registry:status-create", args=[school.code])
    data = {"kind": "mentor_school", "start_date": "2024-09-01", "basis": "приказ № 7", "organization": 0}
    assert client.post(url, data).status_code == 302
    status = OrganizationStatus.objects.get()
    assert (status.organization, status.kind, status.start_date, status.basis) == (
        school,
        "mentor_school",
        datetime.date(2024, 9, 1),
        "приказ № 7",
    )
    end = reverse("registry:status-end", args=[school.code, status.pk])
    assert client.post(end, {"end_date": "2025-08-31"}).status_code == 302
    status.refresh_from_db()
    assert status.end_date == datetime.date(2025, 8, 31)
    body = client.get(card(school)).content.decode()
    assert "школа-наставник" in body and "31.08.2025" in body and "приказ № 7" in body


def test_a_status_cannot_end_before_it_starts_or_twice(client_for, operator, school, status):
    client = client_for(operator)
    end = reverse("registry:status-end", args=[school.code, status.pk])
    response = client.post(end, {"end_date": "2021-01-01"})
    assert response.context["form"].errors["end_date"] == [services.STATUS_END_BEFORE_START]
    status.refresh_from_db()
    assert status.end_date is None
    client.post(end, {"end_date": "2023-05-31"})
    response = client.post(end, {"end_date": "2024-05-31"})
    assert services.STATUS_ALREADY_ENDED.format(date=datetime.date(2023, 5, 31)) in response.content.decode()
    status.refresh_from_db()
    assert status.end_date == datetime.date(2023, 5, 31)


def test_overlapping_status_of_the_same_kind_is_refused(client_for, operator, school, status):
    url = reverse("registry:status-create", args=[school.code])
    response = client_for(operator).post(url, {"kind": "low_results", "start_date": "2023-01-01"})
    assert response.status_code == 200
    assert services.STATUS_OVERLAP.format(kind="ШНОР") in response.content.decode()
    assert OrganizationStatus.objects.count() == 1


def test_status_of_another_school_is_not_ended_through_this_school(
    client_for, operator, school, neighbour_school
):
    foreign = fo.make_status(organization=neighbour_school)
    url = reverse("registry:status-end", args=[school.code, foreign.pk])
    assert client_for(operator).post(url, {"end_date": "2024-01-01"}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.end_date is None


# ---------------------------------------------------------------- the list: filters, export, queries


@pytest.fixture
def region_orgs(region, municipality, other_municipality, school, neighbour_school, other_school):
    """school: ШНОР now, положение on the site; neighbour: ШНОР ended, положение not published;
    other_school: a college in the other municipality with an order on the site."""
    fo.make_status(organization=school)
    fo.make_status(organization=neighbour_school, end_date=datetime.date(2023, 1, 1))
    fo.make_document(organization=school, site_url="https://s.example/p.pdf", published_on_site=True)
    fo.make_document(organization=neighbour_school)
    fo.make_document(
        organization=other_school,
        doc_type="order",
        site_url="https://o.example/p.pdf",
        published_on_site=True,
    )
    other_school.org_type = Organization.OrgType.COLLEGE
    other_school.save()
    foreign = f.make_organization(short_name="Другой регион")
    fo.make_status(organization=foreign)
    return {"school": school, "neighbour": neighbour_school, "other": other_school, "foreign": foreign}


def listed(client, query="") -> set[str]:
    response = client.get(reverse("registry:organization-list") + query)
    assert response.status_code == 200
    return {o.code for o in response.context["page"]}


def test_list_filters_are_exact(client_for, operator, municipality, other_municipality, region_orgs):
    client = client_for(operator)
    school, neighbour, other = region_orgs["school"], region_orgs["neighbour"], region_orgs["other"]
    assert listed(client) == {school.code, neighbour.code, other.code}
    assert listed(client, f"?municipality={municipality.pk}") == {school.code, neighbour.code}
    assert listed(client, f"?municipality={other_municipality.pk}") == {other.code}
    assert listed(client, "?org_type=college") == {other.code}
    assert listed(client, "?org_type=school") == {school.code, neighbour.code}
    assert listed(client, "?low_results=yes") == {school.code}
    assert listed(client, "?low_results=no") == {neighbour.code, other.code}
    assert listed(client, "?regulation_published=yes") == {school.code}
    assert listed(client, "?regulation_published=no") == {neighbour.code, other.code}
    assert listed(client, f"?q={neighbour.code}&low_results=no") == {neighbour.code}
    assert listed(client, f"?q={neighbour.code}&low_results=yes") == set()


def test_municipality_choices_are_scoped(client_for, operator, coordinator, municipality, region_orgs):
    foreign_municipality = region_orgs["foreign"].municipality
    form = client_for(operator).get(reverse("registry:organization-list")).context["filter"].form
    assert foreign_municipality not in form.fields["municipality"].queryset
    assert municipality in form.fields["municipality"].queryset
    # Another region's municipality is not a choice, so it filters nothing in.
    assert listed(client_for(operator), f"?municipality={foreign_municipality.pk}") == {
        region_orgs["school"].code,
        region_orgs["neighbour"].code,
        region_orgs["other"].code,
    }
    coordinator_form = (
        client_for(coordinator).get(reverse("registry:organization-list")).context["filter"].form
    )
    assert "municipality" not in coordinator_form.fields


def test_coordinator_filters_stay_in_the_municipality(client_for, coordinator, region_orgs):
    client = client_for(coordinator)
    assert listed(client, "?org_type=college") == set()
    assert listed(client, f"?municipality={region_orgs['other'].municipality_id}") == {
        region_orgs["school"].code,
        region_orgs["neighbour"].code,
    }


def export_rows(response) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[3] == ("Код ОО", "Наименование", "Муниципалитет", "Тип ОО", "Сайт", "Этап внедрения", "ШНОР")
    return rows[4:]


def test_export_respects_scope_and_filters(client_for, coordinator, school, region_orgs):
    client = client_for(coordinator)
    response = client.get(reverse("registry:organization-list") + "?format=xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert f"filename*=utf-8''{quote('Организации.xlsx')}" in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
    rows = export_rows(response)
    assert {r[0] for r in rows} == {region_orgs["school"].code, region_orgs["neighbour"].code}
    row = next(r for r in rows if r[0] == school.code)
    assert row == (
        school.code,
        school.full_name,
        school.municipality.name,
        "общеобразовательная",
        None,
        "не начато",
        "да",
    )
    filtered = export_rows(client.get(reverse("registry:organization-list") + "?format=xlsx&low_results=no"))
    assert [(r[0], r[6]) for r in filtered] == [(region_orgs["neighbour"].code, "нет")]


def test_list_has_an_export_link_with_the_same_filters(client_for, operator, region_orgs):
    body = client_for(operator).get(reverse("registry:organization-list") + "?org_type=school&page=1")
    html = body.content.decode()
    assert "Выгрузить в Excel" in html
    assert "?org_type=school&amp;format=xlsx" in html


def test_list_query_count_is_fixed(client_for, operator, municipality, django_assert_max_num_queries):
    for i in range(35):
        organization = f.make_organization(municipality=municipality)
        if i % 2:
            fo.make_status(organization=organization)
        if i % 3:
            fo.make_document(organization=organization, site_url="https://x.example/", published_on_site=True)
    client = client_for(operator)
    filtered = reverse("registry:organization-list") + "?low_results=yes&regulation_published=yes"
    client.get(filtered)  # the first visit remembers the list's state in the session (common/tables.py)
    with django_assert_max_num_queries(8):
        response = client.get(filtered)
    assert response.context["page"].paginator.count == len([i for i in range(35) if i % 2 and i % 3])
    with django_assert_max_num_queries(8):
        response = client.get(reverse("registry:organization-list") + "?format=xlsx")
    assert len(export_rows(response)) == 35


def test_list_pages_keep_the_filters(client_for, operator, municipality):
    for _ in range(55):
        f.make_organization(municipality=municipality)
    body = (
        client_for(operator).get(reverse("registry:organization-list") + "?org_type=school").content.decode()
    )
    assert "?org_type=school&amp;page=2" in body


def test_card_query_count_is_fixed(client_for, curator, school, django_assert_max_num_queries):
    for i in range(25):
        fo.make_document(organization=school, number=str(i), file=fo.upload() if i % 2 else None)
    for year in (2022, 2023, 2024):
        f.make_headcount(organization=school, school_year=year)
    fo.make_status(organization=school)
    client = client_for(curator)
    # session, user, scope (+ its school and municipality for the documents' scope), the school,
    # two figure queries, statuses, headcounts, documents, the access-log INSERT: whatever the
    # number of rows; and the header's unread notices (the bell, docs/architecture.md §14).
    with django_assert_max_num_queries(14):
        response = client.get(card(school))
    assert len(response.context["documents"]) == 25
    assert response.content.decode().count("/file/") == 12


def test_a_document_docx_with_macros_or_a_zip_bomb_is_refused(tmp_path, settings):
    """The school's documents get the same archive checks as the practices (common.uploads)."""
    import io
    import zipfile

    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile

    from registry import organizations

    def docx(extra: dict) -> SimpleUploadedFile:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("[Content_Types].xml", "<Types/>")
            archive.writestr("word/document.xml", "<document/>")
            for name, content in extra.items():
                archive.writestr(name, content)
        return SimpleUploadedFile("Положение.docx", buffer.getvalue())

    assert organizations.document_file_check(file=docx({})) == ".docx"
    for bad in ({"word/vbaProject.bin": b"macro"}, {"word/padding.xml": b"0" * 5_000_000}):
        with pytest.raises(ValidationError) as excinfo:
            organizations.document_file_check(file=docx(bad))
        assert "Содержимое файла не соответствует расширению «DOCX»" in str(excinfo.value)
