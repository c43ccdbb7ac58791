"""The pair's signed mentoring agreement: its scan uploaded from the pair's card, and its date.

The agreement itself is a document of ``reports.agreement`` (generated from the pair); here is what
comes back signed. ``mentorship_agreement_upload`` checks the scan before keeping anything (the
extension, the size told by the upload, then the first bytes only: a PDF, a JPEG or a PNG of at most
10 MB), stores it under a random name (``common.uploads.save_file``: a full disk leaves nothing
behind) and sets the pair's ``agreement_date``: the date typed, not in the future and not before the
pair's start. The pair's history records both. Rights: ``access.WRITE_RULES`` («registry.mentorship»,
edit: the pair's school curator and the admin).
"""

import datetime
import uuid
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from common import uploads

from .models import Mentorship

MAX_SCAN_SIZE = 10 * 1024 * 1024
# The first bytes each accepted extension must start with: the extension alone proves nothing.
SCAN_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    ".pdf": (b"%PDF-",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
}
SCAN_ACCEPT = ",".join(SCAN_SIGNATURES)

SCAN_WRONG_EXTENSION = "Загрузите скан соглашения в формате PDF, JPEG или PNG."
SCAN_WRONG_CONTENT = (
    "Содержимое файла не соответствует расширению «{ext}». "
    "Загрузите настоящий скан в формате PDF, JPEG или PNG."
)
SCAN_TOO_LARGE = "Файл больше 10 МБ. Загрузите скан меньшего размера."
SIGNED_IN_FUTURE = "Дата подписания соглашения не может быть в будущем."
SIGNED_BEFORE_START = "Дата подписания соглашения не может быть раньше даты начала наставничества ({date})."


def agreement_scan_check(*, file: UploadedFile) -> str:
    """Refuse anything but a real PDF, JPEG or PNG of at most 10 MB; return its extension.

    Only the name, the size the upload reports and the first 16 bytes are read: a wrong file is
    refused before anything parses it whole."""
    ext = Path(file.name or "").suffix.lower()
    if ext not in SCAN_SIGNATURES:
        raise ValidationError({"file": SCAN_WRONG_EXTENSION})
    if file.size is None or file.size > MAX_SCAN_SIZE:
        raise ValidationError({"file": SCAN_TOO_LARGE})
    file.seek(0)
    head = file.read(16)
    file.seek(0)
    if not head.startswith(SCAN_SIGNATURES[ext]):
        raise ValidationError({"file": SCAN_WRONG_CONTENT.format(ext=ext.lstrip(".").upper())})
    return ext


def agreement_date_errors(*, mentorship: Mentorship, signed_on: datetime.date, today: datetime.date) -> dict:
    if signed_on > today:
        return {"signed_on": SIGNED_IN_FUTURE}
    if signed_on < mentorship.start_date:
        return {"signed_on": SIGNED_BEFORE_START.format(date=f"{mentorship.start_date:%d.%m.%Y}")}
    return {}


def mentorship_agreement_upload(
    *,
    mentorship: Mentorship,
    file: UploadedFile,
    signed_on: datetime.date,
    today: datetime.date | None = None,
) -> Mentorship:
    """Keep the signed agreement's scan and set the pair's ``agreement_date`` to ``signed_on``.

    A wrong file or date raises ``ValidationError`` ({"file"|"signed_on": Russian message}) with nothing
    stored; a scan uploaded before is replaced (the old file is deleted once the transaction commits).
    Raises ``common.uploads.DiskFull`` when the disk fills up (nothing is kept then either).
    """
    today = today or timezone.localdate()
    errors = agreement_date_errors(mentorship=mentorship, signed_on=signed_on, today=today)
    if errors:
        raise ValidationError(errors)
    ext = agreement_scan_check(file=file)
    with transaction.atomic():
        pair = Mentorship.objects.select_for_update().get(pk=mentorship.pk)
        old_name = pair.agreement_file.name
        stored = uploads.save_file(pair.agreement_file, f"{uuid.uuid4().hex}{ext}", file)
        storage = pair.agreement_file.storage
        try:
            with transaction.atomic():
                pair.agreement_date = signed_on
                pair.version += 1
                pair.save(update_fields=["agreement_file", "agreement_date", "version", "updated_at"])
        except Exception:
            storage.delete(stored)
            raise
        if old_name and old_name != stored:
            transaction.on_commit(lambda: storage.delete(old_name))
    mentorship.agreement_file.name = pair.agreement_file.name
    mentorship.agreement_date = pair.agreement_date
    mentorship.version = pair.version
    return mentorship
