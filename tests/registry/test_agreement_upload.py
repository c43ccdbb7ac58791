"""The signed agreement's scan, uploaded from the pair's card (registry.agreements).

A PDF, JPEG or PNG of at most 10 MB, checked by its first bytes; the date typed is the pair's
agreement_date, not in the future and not before the pair's start; a refusal stores nothing; the
pair's history records the change; the scan is given only inside the pair's scope.
"""

import datetime
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from mentoring_portal.models import AccessLogEntry
from registry import agreements, privacy
from registry.models import Mentorship
from tests import factories as f

pytestmark = pytest.mark.django_db

START = datetime.date(2022, 9, 1)
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    return root


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


@pytest.fixture
def pair(school):
    return f.make_mentorship(organization=school, start_date=START)


def upload_url(pair):
    return reverse("registry:mentorship-agreement-upload", args=[pair.pk])


def post(client, pair, *, name="Соглашение.pdf", content=PDF, signed_on="2022-09-05"):
    return client.post(upload_url(pair), {"file": SimpleUploadedFile(name, content), "signed_on": signed_on})


def test_curator_uploads_the_scan_the_card_shows_it_and_readers_download_it(
    client_for, curator, coordinator, other_curator, pair, media_root
):
    client = client_for(curator)
    body = client.get(reverse("registry:mentorship-detail", args=[pair.pk])).content.decode()
    assert "Загрузить подписанное соглашение" in body and "Подписанное соглашение не загружено." in body

    response = post(client, pair, signed_on="2022-09-05")
    assert response.status_code == 302 and response["Location"].endswith("#agreement")
    pair.refresh_from_db()
    assert pair.agreement_date == datetime.date(2022, 9, 5)
    assert pair.agreement_file.name.startswith("agreements/") and pair.agreement_file.name.endswith(".pdf")
    assert "Соглашение" not in pair.agreement_file.name  # a random stored name
    assert len(stored_files(media_root)) == 1

    body = client.get(reverse("registry:mentorship-detail", args=[pair.pk])).content.decode()
    assert "Соглашение подписано 05.09.2022" in body
    file_url = reverse("registry:mentorship-agreement-file", args=[pair.pk])
    assert file_url in body

    response = client_for(coordinator).get(file_url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Cache-Control"] == "private, no-store"
    entry = AccessLogEntry.objects.order_by("-pk").first()
    assert (entry.action, entry.object_type, entry.object_id) == ("file", "registry.mentorship", str(pair.pk))

    assert client_for(other_curator).get(file_url).status_code == 404


def test_the_upload_is_in_the_pairs_history(client_for, curator, pair):
    before = pair.history.count()
    post(client_for(curator), pair, signed_on="2022-09-05")
    assert pair.history.count() == before + 1
    record = pair.history.order_by("-history_date", "-history_id").first()
    assert record.agreement_date == datetime.date(2022, 9, 5) and record.agreement_file
    assert record.history_user == curator
    body = client_for(curator).get(reverse("registry:mentorship-detail", args=[pair.pk])).content.decode()
    assert "Дата соглашения: — → 05.09.2022" in body


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("Соглашение.docx", b"PK\x03\x04" + b"\x00" * 30, agreements.SCAN_WRONG_EXTENSION),
        ("Соглашение.exe", b"MZ" + b"\x00" * 30, agreements.SCAN_WRONG_EXTENSION),
        ("Соглашение.pdf", b"<html>not a pdf</html>", "Содержимое файла не соответствует расширению «PDF»"),
        ("Соглашение.png", PDF, "Содержимое файла не соответствует расширению «PNG»"),
    ],
)
def test_a_wrong_file_is_refused_in_russian_and_nothing_is_stored(
    client_for, curator, pair, media_root, name, content, message
):
    response = post(client_for(curator), pair, name=name, content=content)
    assert response.status_code == 200
    assert message in response.content.decode()
    pair.refresh_from_db()
    assert pair.agreement_date is None and not pair.agreement_file
    assert stored_files(media_root) == []


def test_a_future_date_or_one_before_the_start_is_refused_and_nothing_is_stored(
    client_for, curator, pair, media_root
):
    client = client_for(curator)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = post(client, pair, signed_on=tomorrow.isoformat())
    assert agreements.SIGNED_IN_FUTURE in response.content.decode()
    response = post(client, pair, signed_on="2022-08-31")
    assert "не может быть раньше даты начала наставничества (01.09.2022)" in response.content.decode()
    pair.refresh_from_db()
    assert pair.agreement_date is None and not pair.agreement_file
    assert stored_files(media_root) == []


def test_a_too_large_file_is_refused_before_it_is_read(pair, media_root, monkeypatch):
    monkeypatch.setattr(agreements, "MAX_SCAN_SIZE", len(PDF) - 1)
    with pytest.raises(ValidationError) as caught:
        agreements.mentorship_agreement_upload(
            mentorship=pair, file=SimpleUploadedFile("s.pdf", PDF), signed_on=START
        )
    assert caught.value.message_dict == {"file": [agreements.SCAN_TOO_LARGE]}
    assert stored_files(media_root) == []


def test_a_new_scan_replaces_the_old_one(pair, media_root, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        agreements.mentorship_agreement_upload(
            mentorship=pair, file=SimpleUploadedFile("a.pdf", PDF), signed_on=START
        )
    first = Mentorship.objects.get(pk=pair.pk).agreement_file.name
    with django_capture_on_commit_callbacks(execute=True):
        agreements.mentorship_agreement_upload(
            mentorship=pair, file=SimpleUploadedFile("b.png", PNG), signed_on=datetime.date(2022, 9, 2)
        )
    pair.refresh_from_db()
    assert pair.agreement_file.name != first and pair.agreement_file.name.endswith(".png")
    assert pair.agreement_date == datetime.date(2022, 9, 2)
    assert [p.name for p in stored_files(media_root)] == [Path(pair.agreement_file.name).name]


def test_readers_and_strangers_cannot_upload(client_for, coordinator, other_curator, pair, media_root):
    assert post(client_for(coordinator), pair).status_code == 403
    assert post(client_for(other_curator), pair).status_code == 404
    assert stored_files(media_root) == []
    assert (
        client_for(coordinator).get(reverse("registry:mentorship-agreement-file", args=[pair.pk])).status_code
        == 404
    )  # no scan yet


def test_destroying_a_partys_personal_data_removes_the_scan(
    school, admin_user, media_root, django_capture_on_commit_callbacks
):
    mentee = f.make_person(organization=school, teaching_experience=1)
    pair = f.make_mentorship(
        organization=school,
        mentees=[mentee],
        start_date=START,
        status="completed",
        end_date=datetime.date(2023, 5, 31),
    )
    with django_capture_on_commit_callbacks(execute=True):
        agreements.mentorship_agreement_upload(
            mentorship=pair, file=SimpleUploadedFile("a.pdf", PDF), signed_on=START
        )
    assert len(stored_files(media_root)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        privacy.destroy_personal_data(
            person=mentee, user=admin_user, reason="consent_withdrawn", act_number="7", act_date=START
        )
    pair.refresh_from_db()
    assert not pair.agreement_file and pair.agreement_date == START  # the date is no personal data
    assert not pair.history.exclude(agreement_file="").exists()
    assert stored_files(media_root) == []
