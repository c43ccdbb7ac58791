"""The operator's regional registries: the bank of effective practices, contests, courses, methodists.

Writes are keyword-only services (``full_clean()`` then ``save()`` inside a transaction);
reads that go beyond one scoped filter are here too, so the views stay thin. The caller
passes querysets already scoped by ``registry.access``: nothing here widens a scope.
"""

import datetime
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from common import uploads
from common.formats import share

from .models import (
    Category,
    Contest,
    ContestEntry,
    MentoringForm,
    Mentorship,
    MethodistRegistryEntry,
    Organization,
    Person,
    PracticeBankEntry,
    TrainingCompletion,
    TrainingCourse,
)

# ---------------------------------------------------------------- errors, as the user reads them

FILE_TYPE_NOT_ALLOWED = "Допустимы только файлы PDF, DOCX, PPTX, JPG и PNG."
FILE_TOO_LARGE = "Файл больше 10 МБ: уменьшите его или разделите на части."
FILE_EMPTY = "Файл пуст."
FILE_CONTENT_MISMATCH = (
    "Содержимое файла не соответствует расширению «.{ext}»: сохраните файл заново в этом формате."
)
FILE_ARCHIVE_UNSAFE = "Файл «.{ext}» повреждён, слишком велик в распакованном виде или содержит макросы."
PRACTICE_PAIR_OTHER_ORGANIZATION = "Пара относится к другой организации."
PRACTICE_ACTION_UNKNOWN = "Неизвестное действие."
PRACTICE_ACTION_NOT_ALLOWED = "Практику в статусе «{status}» нельзя {action}."
ENTRY_ORGANIZATION_OTHER_REGION = "Организация из другого региона, чем конкурс."
COMPLETION_PERSON_OTHER_REGION = "{person}: участник из другого региона, чем курс."
COMPLETION_PERSON_NOT_ADULT = "{person}: слушателем курса может быть только педагог или руководитель."
COMPLETION_NOBODY = "Отметьте хотя бы одного слушателя."
METHODIST_PERSON_OTHER_REGION = "Участник из другого региона."
METHODIST_PERSON_NOT_ADULT = "Региональным методистом может быть только педагог или руководитель."

# ---------------------------------------------------------------- uploaded files (ASVS 5.2)

MAX_FILE_SIZE = 10 * 1024 * 1024

PDF, DOCX, PPTX, JPG, PNG = "pdf", "docx", "pptx", "jpg", "png"
EXTENSIONS = {"pdf": PDF, "docx": DOCX, "pptx": PPTX, "jpg": JPG, "jpeg": JPG, "png": PNG}
MAGIC = {
    PDF: (b"%PDF-",),
    DOCX: (b"PK\x03\x04",),
    PPTX: (b"PK\x03\x04",),
    JPG: (b"\xff\xd8\xff",),
    PNG: (b"\x89PNG\r\n\x1a\n",),
}
OFFICE_MAIN_PART = {DOCX: "word/document.xml", PPTX: "ppt/presentation.xml"}
ALLOWED_FILES_HELP = "PDF, DOCX, PPTX, JPG или PNG, не больше 10 МБ."


def _zip_problem(upload: UploadedFile, kind: str, extension: str) -> str | None:
    """What is wrong with a zip-based office file, read from its central directory only."""
    names = uploads.zip_names_if_safe(upload)
    if names is None:
        return FILE_ARCHIVE_UNSAFE.format(ext=extension)
    if "[Content_Types].xml" not in names or OFFICE_MAIN_PART[kind] not in names:
        return FILE_CONTENT_MISMATCH.format(ext=extension)
    return None


def check_practice_file(*, upload: UploadedFile) -> str:
    """The file's kind (pdf, docx, …) after the extension, size, magic-byte and zip checks.

    Raises ``ValidationError`` with the message shown next to the field; nothing is stored.
    """
    name = (upload.name or "").rsplit("/", 1)[-1]
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    kind = EXTENSIONS.get(extension)
    if kind is None:
        raise ValidationError(FILE_TYPE_NOT_ALLOWED, code="file_type")
    if upload.size is None or upload.size > MAX_FILE_SIZE:
        raise ValidationError(FILE_TOO_LARGE, code="file_size")
    if upload.size == 0:
        raise ValidationError(FILE_EMPTY, code="file_empty")
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not head.startswith(MAGIC[kind]):
        raise ValidationError(FILE_CONTENT_MISMATCH.format(ext=extension), code="file_content")
    problem = _zip_problem(upload, kind, extension) if kind in OFFICE_MAIN_PART else None
    if problem:
        upload.seek(0)
        raise ValidationError(problem, code="file_content")
    upload.seek(0)
    return kind


def file_kind(*, stored_name: str) -> str:
    return stored_name.rsplit(".", 1)[-1].lower() if "." in stored_name else ""


def practice_download_name(*, practice: PracticeBankEntry) -> str:
    """Server-chosen download name (ASVS 5.4.1): never the name the uploader sent."""
    return f"Практика № {practice.pk}.{file_kind(stored_name=practice.file.name)}"


# ---------------------------------------------------------------- the bank of effective practices

REVIEW_ACTIONS = {
    # action: (target status, statuses it may start from, verb for the error message)
    "include": (PracticeBankEntry.Status.INCLUDED, {PracticeBankEntry.Status.REVIEW}, "включить в банк"),
    "publish": (
        PracticeBankEntry.Status.PUBLISHED,
        {PracticeBankEntry.Status.REVIEW, PracticeBankEntry.Status.INCLUDED},
        "опубликовать",
    ),
    "return": (
        PracticeBankEntry.Status.REVIEW,
        {PracticeBankEntry.Status.INCLUDED, PracticeBankEntry.Status.PUBLISHED},
        "вернуть на рассмотрение",
    ),
}


def practice_submit(
    *,
    organization: Organization,
    submitted_by,
    title: str,
    mentoring_form: MentoringForm,
    description: str = "",
    mentorship: Mentorship | None = None,
    file: UploadedFile | None = None,
    today: datetime.date | None = None,
) -> PracticeBankEntry:
    """A curator's submission: «на рассмотрении» until the operator includes or publishes it."""
    if mentorship is not None and mentorship.organization_id != organization.pk:
        raise ValidationError({"mentorship": PRACTICE_PAIR_OTHER_ORGANIZATION})
    practice = PracticeBankEntry(
        region_id=organization.municipality.region_id,
        organization=organization,
        mentorship=mentorship,
        mentoring_form=mentoring_form,
        title=title,
        description=description,
        submitted_on=today or timezone.localdate(),
        status=PracticeBankEntry.Status.REVIEW,
        submitted_by=submitted_by,
    )
    if file:
        kind = check_practice_file(upload=file)
        # The stored name is ours: the uploader's name never reaches the disk or a header.
        file.name = f"{uuid.uuid4().hex}.{kind}"
        practice.file = file
    practice.full_clean()
    with transaction.atomic():
        practice.save()
    return practice


def practice_review(*, practice: PracticeBankEntry, action: str) -> PracticeBankEntry:
    if action not in REVIEW_ACTIONS:
        raise ValidationError(PRACTICE_ACTION_UNKNOWN)
    target, sources, verb = REVIEW_ACTIONS[action]
    with transaction.atomic():
        # Re-read under lock: two operators pressing buttons at once act one after the other.
        current = PracticeBankEntry.objects.select_for_update().get(pk=practice.pk)
        if current.status not in sources:
            raise ValidationError(
                PRACTICE_ACTION_NOT_ALLOWED.format(status=current.get_status_display(), action=verb)
            )
        current.status = target
        current.full_clean()
        current.save(update_fields=["status"])
    practice.status = target
    return practice


# ---------------------------------------------------------------- contests

# Short plural labels for the counts line: «ДОО — 10 (38,5 %), общеобразовательные — 15 …».
ORG_TYPE_PLURAL = {
    Organization.OrgType.PRESCHOOL: "ДОО",
    Organization.OrgType.SCHOOL: "общеобразовательные",
    Organization.OrgType.ADDITIONAL: "ДО",
    Organization.OrgType.COLLEGE: "СПО",
    Organization.OrgType.UNIVERSITY: "вузы",
    Organization.OrgType.DPO: "ДПО",
    Organization.OrgType.METHODICAL_SERVICE: "методические службы",
    Organization.OrgType.AUTHORITY: "органы управления",
    Organization.OrgType.EMPLOYER: "работодатели",
}


@dataclass(frozen=True)
class TypeCount:
    org_type: str
    label: str
    count: int
    total: int

    @property
    def share(self) -> str:
        return share(self.count, self.total)

    def __str__(self) -> str:
        return f"{self.label} — {self.count} ({self.share})"


@dataclass(frozen=True)
class EntryCounts:
    rows: list[TypeCount]
    total: int

    def __str__(self) -> str:
        parts = [str(row) for row in self.rows]
        return ", ".join([*parts, f"всего {self.total}"])


def entry_counts_by_org_type(*, entries: QuerySet) -> EntryCounts:
    """Entries per organization type, with shares of the total. One GROUP BY query.

    ``entries`` is already scoped: a coordinator's counts cover its municipality only.
    """
    rows = entries.values("organization__org_type").annotate(n=Count("pk")).order_by()
    by_type = {row["organization__org_type"]: row["n"] for row in rows}
    total = sum(by_type.values())
    order = list(ORG_TYPE_PLURAL)
    return EntryCounts(
        rows=[
            TypeCount(org_type=t, label=ORG_TYPE_PLURAL.get(t, t), count=by_type[t], total=total)
            for t in sorted(by_type, key=lambda t: order.index(t) if t in order else len(order))
        ],
        total=total,
    )


def contest_save(*, contest: Contest) -> Contest:
    contest.full_clean()
    with transaction.atomic():
        contest.save()
    return contest


def contest_entry_save(*, entry: ContestEntry) -> ContestEntry:
    if entry.organization.municipality.region_id != entry.contest.region_id:
        raise ValidationError({"organization": ENTRY_ORGANIZATION_OTHER_REGION})
    entry.full_clean()
    with transaction.atomic():
        entry.save()
    return entry


# ---------------------------------------------------------------- courses

ADULT_CATEGORIES = (Category.TEACHER, Category.HEAD)


@dataclass(frozen=True)
class Trained:
    count: int
    by_report: bool  # no names recorded: the provider's reported figure

    def __str__(self) -> str:
        return f"{self.count} (по отчёту провайдера)" if self.by_report else str(self.count)


def course_trained(*, named: int, any_named: bool, reported: int | None) -> Trained:
    """Completions when names are recorded, else the count the provider reported."""
    if not any_named and reported is not None:
        return Trained(count=reported, by_report=True)
    return Trained(count=named, by_report=False)


def course_save(*, course: TrainingCourse) -> TrainingCourse:
    course.full_clean()
    with transaction.atomic():
        course.save()
    return course


def course_add_completions(
    *,
    course: TrainingCourse,
    people: list[Person],
    completed_on: datetime.date,
    certificate_number: str = "",
) -> list[TrainingCompletion]:
    """Record that ``people`` completed ``course``; those already recorded are left as they are."""
    if not people:
        raise ValidationError({"people": COMPLETION_NOBODY})
    errors = []
    for person in people:
        if person.organization.municipality.region_id != course.region_id:
            errors.append(COMPLETION_PERSON_OTHER_REGION.format(person=person))
        elif person.category not in ADULT_CATEGORIES:
            errors.append(COMPLETION_PERSON_NOT_ADULT.format(person=person))
    if errors:
        raise ValidationError({"people": errors})
    created = []
    with transaction.atomic():
        already = set(
            TrainingCompletion.objects.filter(course=course, person__in=people).values_list(
                "person_id", flat=True
            )
        )
        for person in people:
            if person.pk in already:
                continue
            completion = TrainingCompletion(
                course=course,
                person=person,
                completed_on=completed_on,
                certificate_number=certificate_number if len(people) == 1 else "",
            )
            completion.full_clean()
            completion.save()
            created.append(completion)
    return created


# ---------------------------------------------------------------- regional methodists


def methodist_save(*, entry: MethodistRegistryEntry) -> MethodistRegistryEntry:
    person = entry.person
    if person.organization.municipality.region_id != entry.region_id:
        raise ValidationError({"person": METHODIST_PERSON_OTHER_REGION})
    if person.category not in ADULT_CATEGORIES:
        raise ValidationError({"person": METHODIST_PERSON_NOT_ADULT})
    entry.full_clean()
    with transaction.atomic():
        entry.save()
    return entry
