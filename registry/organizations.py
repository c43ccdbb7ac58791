"""Writes of an organization's card: its own fields, normative documents, headcount and statuses.

Every write is keyword-only, runs in one transaction and validates the row with ``full_clean()``
before ``save()``. Organization and Headcount keep their history through simple_history, so they
are saved row by row, never with ``update()`` or ``bulk_*``. Who may call what is decided by the
views (a curator writes its school's card, an operator the statuses); the organization of every
record comes from the caller, never from a form.
"""

import datetime
import uuid
import zipfile
from pathlib import Path

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from common import uploads

from .models import Headcount, NormativeDocument, Organization, OrganizationStatus

ORGANIZATION_STALE_VERSION = (
    "Данные организации изменил другой пользователь, пока вы их редактировали. "
    "Обновите страницу и внесите изменения заново."
)
FILE_WRONG_EXTENSION = "Загрузите файл PDF, DOC, DOCX, ODT, JPG или PNG."
FILE_WRONG_CONTENT = (
    "Содержимое файла не соответствует расширению «{ext}». "
    "Загрузите настоящий документ PDF, DOC, DOCX, ODT, JPG или PNG."
)
FILE_TOO_LARGE = "Файл больше 10 МБ. Загрузите файл меньшего размера."
HEADCOUNT_SAVED_CONCURRENTLY = (
    "Контингент за этот учебный год только что внёс другой пользователь. Обновите страницу."
)
STATUS_END_BEFORE_START = "Дата окончания статуса не может быть раньше даты его начала."
STATUS_OVERLAP = "У организации уже есть статус «{kind}» на эти даты."
STATUS_ALREADY_ENDED = "Статус уже завершён {date:%d.%m.%Y}."

MAX_DOCUMENT_FILE_SIZE = 10 * 1024 * 1024
ZIP_SIGNATURE = b"PK\x03\x04"
# The first bytes each accepted extension must start with: the extension alone proves nothing.
DOCUMENT_FILE_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    ".pdf": (b"%PDF-",),
    ".doc": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),  # OLE compound file
    ".docx": (ZIP_SIGNATURE,),
    ".odt": (ZIP_SIGNATURE,),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
}
DOCUMENT_FILE_ACCEPT = ",".join(DOCUMENT_FILE_SIGNATURES)
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"


def _errors_on_fields(exc: ValidationError, fields_by_message: dict[str, str]) -> ValidationError:
    """Move the model's constraint errors (non-field) onto the form field they are about."""
    if not hasattr(exc, "error_dict"):
        return exc
    errors = {key: list(value) for key, value in exc.error_dict.items()}
    remaining = []
    for error in errors.pop(NON_FIELD_ERRORS, []):
        field = fields_by_message.get(error.message)
        if field:
            errors.setdefault(field, []).append(error)
        else:
            remaining.append(error)
    if remaining:
        errors[NON_FIELD_ERRORS] = remaining
    return ValidationError(errors)


def _constraint_messages(model, fields_by_constraint: dict[str, str]) -> dict[str, str]:
    return {
        constraint.get_violation_error_message(): fields_by_constraint[constraint.name]
        for constraint in model._meta.constraints
        if constraint.name in fields_by_constraint
    }


# ---------------------------------------------------------------- the card's own fields


def organization_update(
    *,
    organization: Organization,
    expected_version: int,
    short_name: str,
    site_url: str,
    model_status: str,
    model_status_since: datetime.date | None,
) -> Organization:
    """Save the fields a school keeps itself.

    ``expected_version`` is the version the form was built from: if somebody saved the
    organization since (on this screen or in the admin), nothing is written.
    """
    with transaction.atomic():
        current = Organization.objects.select_for_update().get(pk=organization.pk)
        if current.version != expected_version:
            raise ValidationError(ORGANIZATION_STALE_VERSION)
        new = {
            "short_name": short_name,
            "site_url": site_url,
            "model_status": model_status,
            "model_status_since": model_status_since,
        }
        if all(getattr(current, name) == value for name, value in new.items()):
            return current  # nothing changed: no history row, no new version
        for name, value in new.items():
            setattr(current, name, value)
        current.full_clean()
        current.version += 1
        current.save()
    return current


# ---------------------------------------------------------------- normative documents


def document_file_check(*, file: UploadedFile) -> str:
    """Refuse anything but a real PDF, DOC, DOCX, ODT, JPG or PNG of at most 10 MB; return its extension."""
    ext = Path(file.name or "").suffix.lower()
    if ext not in DOCUMENT_FILE_SIGNATURES:
        raise ValidationError({"file": FILE_WRONG_EXTENSION})
    if file.size > MAX_DOCUMENT_FILE_SIZE:
        raise ValidationError({"file": FILE_TOO_LARGE})
    wrong_content = ValidationError({"file": FILE_WRONG_CONTENT.format(ext=ext.lstrip(".").upper())})
    file.seek(0)
    head = file.read(16)
    file.seek(0)
    if not head.startswith(DOCUMENT_FILE_SIGNATURES[ext]):
        raise wrong_content
    if ext in (".docx", ".odt"):
        # A renamed .jar or .zip starts with the same four bytes: look at the archive's contents,
        # from its central directory, refusing zip bombs and macros (common.uploads).
        names = uploads.zip_names_if_safe(file)
        if names is None:
            raise wrong_content
        if ext == ".docx":
            valid = "[Content_Types].xml" in names and any(n.startswith("word/") for n in names)
        else:
            try:
                with zipfile.ZipFile(file) as archive:
                    info = archive.getinfo("mimetype") if "mimetype" in names else None
                    valid = info is not None and info.file_size < 100 and archive.read(info) == ODT_MIMETYPE
            except (zipfile.BadZipFile, OSError, KeyError):
                valid = False
            finally:
                file.seek(0)
        if not valid:
            raise wrong_content
    return ext


def _delete_file_on_commit(storage, name: str) -> None:
    if name:
        transaction.on_commit(lambda: storage.delete(name))


DOCUMENT_CONSTRAINT_FIELDS = _constraint_messages(
    NormativeDocument, {"registry_normativedocument_published_has_url": "site_url"}
)


def _save_document(document: NormativeDocument, file: UploadedFile | None) -> NormativeDocument:
    """full_clean, then save; a file stored by a save that failed is removed again."""
    if file is not None:
        ext = document_file_check(file=file)
        # The stored name is random: the download view names the file after the document.
        file.name = f"{uuid.uuid4().hex}{ext}"
        document.file = file
    try:
        document.full_clean()
    except ValidationError as exc:
        raise _errors_on_fields(exc, DOCUMENT_CONSTRAINT_FIELDS) from None
    try:
        with transaction.atomic():
            document.save()
    except Exception:
        storage, name = document.file.storage, document.file.name
        if file is not None and name and storage.exists(name):
            storage.delete(name)
        raise
    return document


def document_create(
    *,
    organization: Organization,
    doc_type: str,
    date: datetime.date,
    title: str,
    number: str = "",
    site_url: str = "",
    published_on_site: bool = False,
    file: UploadedFile | None = None,
) -> NormativeDocument:
    """A document of the school itself: level «ОО», territory copied from the organization."""
    document = NormativeDocument(
        region_id=organization.municipality.region_id,
        municipality_id=organization.municipality_id,
        organization=organization,
        level=NormativeDocument.Level.ORGANIZATION,
        doc_type=doc_type,
        number=number,
        date=date,
        title=title,
        site_url=site_url,
        published_on_site=published_on_site,
    )
    return _save_document(document, file)


def document_update(
    *,
    document: NormativeDocument,
    doc_type: str,
    date: datetime.date,
    title: str,
    number: str = "",
    site_url: str = "",
    published_on_site: bool = False,
    file: UploadedFile | None = None,
    remove_file: bool = False,
) -> NormativeDocument:
    """Change a school's document; a new file replaces the old one, which is deleted after commit."""
    old_name = document.file.name
    document.doc_type = doc_type
    document.number = number
    document.date = date
    document.title = title
    document.site_url = site_url
    document.published_on_site = published_on_site
    if remove_file and file is None:
        document.file = ""
    with transaction.atomic():
        _save_document(document, file)
        if old_name and old_name != document.file.name:
            _delete_file_on_commit(document.file.storage, old_name)
    return document


def document_delete(*, document: NormativeDocument) -> None:
    with transaction.atomic():
        name, storage = document.file.name, document.file.storage
        document.delete()
        _delete_file_on_commit(storage, name)


# ---------------------------------------------------------------- headcount


HEADCOUNT_CONSTRAINT_FIELDS = _constraint_messages(
    Headcount,
    {
        "registry_headcount_young_within_teachers": "young_specialists",
        "registry_headcount_10plus_within_students": "students_10_plus",
    },
)


def headcount_save(
    *,
    organization: Organization,
    school_year: int,
    teachers: int,
    young_specialists: int,
    students: int,
    students_10_plus: int | None = None,
) -> Headcount:
    """Create or update the organization's headcount for a school year (one per year)."""
    try:
        with transaction.atomic():
            headcount = Headcount.objects.select_for_update().filter(
                organization=organization, school_year=school_year
            ).first() or Headcount(organization=organization, school_year=school_year)
            headcount.teachers = teachers
            headcount.young_specialists = young_specialists
            headcount.students = students
            headcount.students_10_plus = students_10_plus
            try:
                headcount.full_clean()
            except ValidationError as exc:
                raise _errors_on_fields(exc, HEADCOUNT_CONSTRAINT_FIELDS) from None
            headcount.save()
    except IntegrityError as exc:
        # Two first saves of the same year at once: the unique constraint kept one.
        raise ValidationError(HEADCOUNT_SAVED_CONCURRENTLY) from exc
    return headcount


# ---------------------------------------------------------------- statuses


def _check_no_overlap(status: OrganizationStatus) -> None:
    others = OrganizationStatus.objects.filter(
        organization_id=status.organization_id, kind=status.kind
    ).filter(Q(end_date__isnull=True) | Q(end_date__gte=status.start_date))
    if status.end_date is not None:
        others = others.filter(start_date__lte=status.end_date)
    if status.pk:
        others = others.exclude(pk=status.pk)
    if others.exists():
        raise ValidationError(STATUS_OVERLAP.format(kind=status.get_kind_display()))


def status_create(
    *,
    organization: Organization,
    kind: str,
    start_date: datetime.date,
    end_date: datetime.date | None = None,
    basis: str = "",
) -> OrganizationStatus:
    if end_date is not None and end_date < start_date:
        raise ValidationError({"end_date": STATUS_END_BEFORE_START})
    status = OrganizationStatus(
        organization=organization, kind=kind, start_date=start_date, end_date=end_date, basis=basis
    )
    with transaction.atomic():
        # The organization's row serialises status writes, so two overlapping adds cannot both pass.
        Organization.objects.select_for_update().filter(pk=organization.pk).first()
        _check_no_overlap(status)
        status.full_clean()
        status.save()
    return status


def status_end(*, status: OrganizationStatus, end_date: datetime.date) -> OrganizationStatus:
    if status.end_date is not None:
        raise ValidationError(STATUS_ALREADY_ENDED.format(date=status.end_date))
    if end_date < status.start_date:
        raise ValidationError({"end_date": STATUS_END_BEFORE_START})
    with transaction.atomic():
        status.end_date = end_date
        status.full_clean()
        status.save()
    return status


# ---------------------------------------------------------------- reads for the list and the export


def organizations_with_flags(*, queryset: QuerySet, today: datetime.date) -> QuerySet:
    """Annotate ``is_low_results`` (ШНОР on ``today``) and ``regulation_published`` (положение on the site).

    Both are EXISTS subqueries, so a page of any length stays one query.
    """
    low_results = OrganizationStatus.objects.filter(
        organization=OuterRef("pk"), kind=OrganizationStatus.Kind.LOW_RESULTS, start_date__lte=today
    ).filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
    regulation = NormativeDocument.objects.filter(
        organization=OuterRef("pk"),
        doc_type=NormativeDocument.DocType.REGULATION,
        published_on_site=True,
    )
    return queryset.annotate(is_low_results=Exists(low_results), regulation_published=Exists(regulation))
