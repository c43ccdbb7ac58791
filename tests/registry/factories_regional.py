"""Factories for the regional registries (practices, contests, courses, methodists) and test files."""

import datetime
import io
import itertools
import zipfile

from django.core.files.base import ContentFile

from registry.models import (
    Contest,
    ContestEntry,
    MethodistRegistryEntry,
    Organization,
    PracticeBankEntry,
    TrainingCompletion,
    TrainingCourse,
)
from tests import factories as f

# Our own sequence for titles: tests.factories.n() also dates people's births, so it is spared.
_seq = itertools.count(1)


def make_contest(*, region, **kw) -> Contest:
    kw.setdefault("title", f"Педагогический дуэт {next(_seq)}")
    kw.setdefault("start_date", datetime.date(2023, 4, 3))
    kw.setdefault("end_date", datetime.date(2023, 4, 28))
    return Contest.objects.create(region=region, **kw)


def make_entry(*, contest, organization, **kw) -> ContestEntry:
    kw.setdefault("title", f"Пара «{organization.short_name}» {next(_seq)}")
    return ContestEntry.objects.create(contest=contest, organization=organization, **kw)


def make_course(*, region, **kw) -> TrainingCourse:
    kw.setdefault("title", f"Наставничество в ОО {next(_seq)}")
    kw.setdefault("provider", "ЦНППМ")
    kw.setdefault("start_date", datetime.date(2023, 1, 24))
    kw.setdefault("end_date", datetime.date(2023, 3, 24))
    return TrainingCourse.objects.create(region=region, **kw)


def make_completion(*, course, person, **kw) -> TrainingCompletion:
    kw.setdefault("completed_on", course.end_date)
    return TrainingCompletion.objects.create(course=course, person=person, **kw)


def make_practice(*, organization: Organization, **kw) -> PracticeBankEntry:
    kw.setdefault("mentoring_form", f.form("experienced_young"))
    kw.setdefault("title", f"Практика {next(_seq)}")
    kw.setdefault("description", "Совместное проектирование уроков")
    kw.setdefault("submitted_on", datetime.date(2023, 6, 1))
    kw.setdefault("status", PracticeBankEntry.Status.REVIEW)
    content = kw.pop("file_content", None)
    practice = PracticeBankEntry(region=organization.municipality.region, organization=organization, **kw)
    if content is not None:
        practice.file.save("stored.pdf", ContentFile(content), save=False)
    practice.save()
    return practice


def make_methodist(*, person, **kw) -> MethodistRegistryEntry:
    kw.setdefault("specialization", "сопровождение ИПН")
    kw.setdefault("contract_start", datetime.date(2023, 2, 1))
    kw.setdefault("contract_end", datetime.date(2023, 12, 31))
    return MethodistRegistryEntry.objects.create(
        region=person.organization.municipality.region, person=person, **kw
    )


# ---------------------------------------------------------------- files as people upload them

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPG_BYTES = b"\xff\xd8\xff\xe0" + b"\x00" * 64
EXE_BYTES = b"MZ\x90\x00" + b"\x00" * 64


def office_bytes(main_part: str, *extra: str) -> bytes:
    """A minimal zip-based office file: [Content_Types].xml plus the main part."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(main_part, "<document/>")
        for name in extra:
            archive.writestr(name, "x")
    return buffer.getvalue()


def zip_bomb_bytes(main_part: str) -> bytes:
    """5 MB of zeros packed into a few KB (ratio over 100): refused from the central directory."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(main_part, b"\x00" * (5 * 1024 * 1024))
    return buffer.getvalue()


DOCX_BYTES = office_bytes("word/document.xml")
PPTX_BYTES = office_bytes("ppt/presentation.xml")
