"""Factories for the organization card: documents, statuses, and real-looking file contents."""

import datetime
import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile

from registry import organizations as services
from registry.models import NormativeDocument, OrganizationStatus

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
DOC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32 + b"\xff\xd9"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
TEXT = "Положение о наставничестве\n".encode()


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


DOCX = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
ODT = _zip({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office/>"})
PLAIN_ZIP = _zip({"readme.txt": b"hello"})


def upload(name: str = "положение.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def make_document(*, organization, file=None, **kw) -> NormativeDocument:
    """A school's own document, saved through the service like the screen does."""
    kw.setdefault("doc_type", NormativeDocument.DocType.REGULATION)
    kw.setdefault("number", "12")
    kw.setdefault("date", datetime.date(2023, 9, 1))
    kw.setdefault("title", "Положение о наставничестве")
    return services.document_create(organization=organization, file=file, **kw)


def make_regional_document(*, region, **kw) -> NormativeDocument:
    kw.setdefault("doc_type", NormativeDocument.DocType.ORDER)
    kw.setdefault("date", datetime.date(2021, 10, 25))
    kw.setdefault("title", "Об утверждении региональной целевой модели наставничества")
    document = NormativeDocument(region=region, level=NormativeDocument.Level.REGIONAL, **kw)
    document.full_clean()
    document.save()
    return document


def make_status(*, organization, **kw) -> OrganizationStatus:
    kw.setdefault("kind", OrganizationStatus.Kind.LOW_RESULTS)
    kw.setdefault("start_date", datetime.date(2022, 1, 10))
    kw.setdefault("basis", "приказ № 5 от 10.01.2022")
    return OrganizationStatus.objects.create(organization=organization, **kw)
