"""Hostile workbooks of the second outside probe, each built in memory with zipfile.

Sparse and wide: a few cells very far right or far down make calamine lay out the whole rectangle
up to them (about 0.5 MB per row for a cell in column XFD), however small the upload. The
pre-check refuses any cell with content beyond the sheet's columns (twice the format's) or below
the row limit, naming the sheet and the cell; a lying <dimension>, <row spans>, <col> ranges and
formatted-only cells far away are harmless and still import.

Active parts put elsewhere: an external link, a VBA project, an OLE object or an ActiveX control
is known by its relationship type or its content type (Override or Default), wherever the part
lies; an external target other than a hyperlink, and a <ddeLink>/<oleLink> in any part, too.

Each refusal is shown through the web upload (nothing stored, nothing queued), the import the
worker runs (``run_job``) and ``manage.py import_workbook``; memory and time are measured in a
fresh process.

Second battery, #68 and #72 of docs/reliability.md §5.
"""

import io
import os
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from registry import imports
from registry.models import ImportJob, Organization, Person
from registry.workbook.admin_format import CheckedXLSX
from registry.workbook.engine import import_workbook
from tests import factories as f
from tests.registry.workbook_files import MENTORS, mentor, write_workbook

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
MARIA = ("Иванова Мария Петровна", "12.04.1975")
SHEET = "xl/worksheets/sheet1.xml"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def area(region):
    municipality = f.make_municipality(region=region, code="M01", name="Октябрьский район")
    return f.make_organization(municipality=municipality, code="D0116", short_name="СОШ № 16")


# ------------------------------------------------------------------------------------------ helpers


def valid_book() -> bytes:
    """A registry workbook as openpyxl writes it: «Наставники» with its header and one good row."""
    return write_workbook(io.BytesIO(), {"Наставники": [MENTORS, mentor("D0116", *MARIA)]}).getvalue()


def tamper(data: bytes, *, replace=None, add=None) -> bytes:
    """``data`` with entries changed (bytes, or a function of the old bytes) and entries added."""
    replace, out = replace or {}, io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for name in source.namelist():
            old = source.read(name)
            new = replace.get(name, old)
            target.writestr(name, new(old) if callable(new) else new)
        for name, content in (add or {}).items():
            target.writestr(name, content)
    return out.getvalue()


def with_rows(data: bytes, rows: str, *, first: bool = False, head: str = "") -> bytes:
    """Rows of XML added to «Наставники» at the end (or before the header); ``head`` before <sheetData>."""

    def edit(xml: bytes) -> bytes:
        start, end = xml.index(b"<sheetData>") + len(b"<sheetData>"), xml.index(b"</sheetData>")
        body = rows.encode() + xml[start:end] if first else xml[start:end] + rows.encode()
        return xml[: start - len(b"<sheetData>")] + head.encode() + b"<sheetData>" + body + xml[end:]

    return tamper(data, replace={SHEET: edit})


def far_cell(ref: str, cell: str = '<c r="{ref}"><v>1</v></c>') -> str:
    row = "".join(ch for ch in ref if ch.isdigit())
    return f'<row r="{row}">{cell.format(ref=ref)}</row>'


def right_of(ref: str) -> str:
    return (
        f"Лист «Наставники», ячейка {ref}: ячейка за пределами таблицы — на этом листе данные допускаются "
        "только до столбца AB; очистите ячейки правее и сохраните файл заново."
    )


def below(ref: str) -> str:
    return (
        f"Лист «Наставники», ячейка {ref}: ячейка за пределами таблицы — данные допускаются только до "
        "строки 100 001 (не более 100 000 строк данных); очистите её или разделите файл на несколько частей."
    )


def refused_everywhere(data: bytes, message: str, client, tmp_path) -> None:
    """Refused with ``message`` by the web upload, the worker's run of a stored job and the command;
    nothing written, nothing stored, nothing queued."""
    upload = io.BytesIO(data)
    upload.name = "книга.xlsx"
    response = client.post(reverse("registry:workbook"), {"file": upload})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and job.status == ImportJob.Status.REJECTED
    assert job.check_report["errors"] == [message]
    assert not job.file and DBTaskResult.objects.count() == 0
    assert message in client.get(response.url).content.decode()

    # The worker: a job whose stored file is the hostile one (as if it changed on disk after a check).
    stored = ImportJob.objects.create(
        created_by=job.created_by, file_name="книга.xlsx", file_size=len(data), commit_requested=True
    )
    imports.save_file(stored.file, "книга.xlsx", io.BytesIO(data))
    stored.save()
    stored = imports.run_job(job_id=stored.pk)
    assert stored.status == ImportJob.Status.REJECTED and stored.report["errors"] == [message]
    assert not stored.file

    path = tmp_path / "книга.xlsx"
    path.write_bytes(data)
    stderr = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_workbook", str(path), stderr=stderr)
    assert message in stderr.getvalue()
    report = import_workbook(path)
    assert report.errors == [message] and not report.committed
    assert Person.objects.count() == 0


MEASURE = """
import os, resource, sys, time
_, hard = resource.getrlimit(resource.RLIMIT_AS)
soft = 6 * 1024**3 if hard == resource.RLIM_INFINITY else min(6 * 1024**3, hard)
resource.setrlimit(resource.RLIMIT_AS, (soft, hard))  # a runaway stays off the machine
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mentoring_portal.settings")
django.setup()
import python_calamine
from registry.workbook.engine import ImportContext, _HANDLERS, read_sheet
from registry.workbook.schema import header_key
from registry.workbook.safety import WorkbookRejected, inspect_workbook
started = time.perf_counter()
try:
    scans = inspect_workbook(sys.argv[1])
    # What the import reads before it plans: every sheet of the format, cell by cell.
    book = python_calamine.CalamineWorkbook.from_path(sys.argv[1])
    ctx = ImportContext(dry_run=True)
    read = 0
    for name, scan in scans.items():
        handler = _HANDLERS.get(header_key(name))
        if handler is not None:
            read += len(read_sheet(book, scan, handler.spec, ctx) or [])
    print(f"ACCEPTED {read}")
except WorkbookRejected as rejected:
    print(rejected.message)
print(time.perf_counter() - started)
print(next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:")))  # KiB
"""


def measure(data: bytes, tmp_path) -> tuple[str, float, int]:
    """(message or "ACCEPTED n", seconds, peak RSS in bytes) of checking and reading ``data`` afresh."""
    path = tmp_path / "measured.xlsx"
    path.write_bytes(data)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return out[-3], float(out[-2]), int(out[-1]) * 1024


MB = 1024 * 1024


# ------------------------------------------------------------------- 1. sparse and wide: the grid


FAR_CELLS = {
    "число": '<c r="{ref}"><v>1</v></c>',
    "пробел": '<c r="{ref}"><v> </v></c>',  # calamine keeps it, though it is no value to the import
    "пустая строка": '<c r="{ref}" t="inlineStr"><is/></c>',
    "ошибка": '<c r="{ref}" t="e"><v>#N/A</v></c>',
}


@pytest.mark.parametrize("cell", FAR_CELLS.values(), ids=FAR_CELLS.keys())
@pytest.mark.parametrize("ref", ["XFD1048576", "XFD2000", "AC2", "ZZZ3"])
def test_a_cell_right_of_the_table_is_refused_naming_sheet_and_cell(area, ref, cell):
    report = import_workbook(io.BytesIO(with_rows(valid_book(), far_cell(ref, cell))))
    assert report.errors == [right_of(ref)] and not report.committed
    assert Person.objects.count() == 0


@pytest.mark.parametrize("first", [False, True], ids=["after the data", "before the header"])
def test_a_cell_far_down_after_a_gap_is_refused_in_any_order(area, first):
    # A lone space is no value to the import and was not counted as a row; calamine laid the rows out.
    data = with_rows(valid_book(), far_cell("A1048576", FAR_CELLS["пробел"]), first=first)
    report = import_workbook(io.BytesIO(data))
    assert report.errors == [below("A1048576")] and Person.objects.count() == 0


def test_a_value_far_down_before_the_header_is_refused_naming_its_cell(area):
    # Written first, the far row was not the last value seen, and the row count missed it.
    data = with_rows(valid_book(), far_cell("A1048576", FAR_CELLS["пустая строка"]), first=True)
    report = import_workbook(io.BytesIO(data))
    assert report.errors == [below("A1048576")] and Person.objects.count() == 0


def test_a_far_reference_written_with_spaces_and_single_quotes_is_found(area):
    data = with_rows(valid_book(), "<row r='7'><c r = ' xfd7 ' ><v>1</v></c></row>")
    report = import_workbook(io.BytesIO(data))
    assert report.errors == [right_of("XFD7")] and Person.objects.count() == 0


def test_cells_without_a_reference_are_placed_like_excel_places_them(area):
    # No r="…": the exact scanner counts them across the row, as calamine does.
    cells = "".join(f"<c><v>{i}</v></c>" for i in range(40))
    report = import_workbook(io.BytesIO(with_rows(valid_book(), f"<row>{cells}</row>")))
    assert report.errors == [right_of("AC3")] and Person.objects.count() == 0


def test_the_wide_sheet_is_refused_by_the_upload_the_worker_and_the_command(
    area, client_for, admin_user, tmp_path
):
    data = with_rows(valid_book(), far_cell("XFD1048576"))
    assert len(data) < 16 * 1024
    refused_everywhere(data, right_of("XFD1048576"), client_for(admin_user), tmp_path)


def test_the_wide_sheet_is_refused_in_flat_memory(tmp_path):
    # 1,000 rows of a cell in XFD: before the check, calamine held 1,000 × 16,384 cells (over 500 MB).
    rows = "".join(far_cell(f"XFD{r}") for r in range(2, 1002))
    message, seconds, peak = measure(with_rows(valid_book(), rows), tmp_path)
    assert message == right_of("XFD2")
    assert peak < 200 * MB and seconds < 5, (peak // MB, seconds)


def test_the_largest_rectangle_the_limits_let_through_reads_in_bounded_memory_and_time(tmp_path):
    # The last row the row limit allows and the last column the bound allows, nothing in between:
    # the import lays out 100,001 × 28 cells and reads them.
    data = with_rows(valid_book(), far_cell("AB100001"))
    assert len(data) < 16 * 1024
    message, seconds, peak = measure(data, tmp_path)
    assert message == "ACCEPTED 1"  # Maria's row; the far cell is a value in a column without a header
    assert peak < 400 * MB and seconds < 15, (peak // MB, seconds)


def lie(xml: bytes) -> bytes:
    """The sheet's dimension said to be all of Excel's grid, every column given a width, every row
    said to span all columns: none of it holds a value."""
    start = xml.index(b"<dimension ")
    xml = xml[:start] + b'<dimension ref="A1:XFD1048576"/>' + xml[xml.index(b"/>", start) + 2 :]
    cols = b'<cols><col min="1" max="16384" width="12" customWidth="1"/></cols>'
    return xml.replace(b"<sheetData>", cols + b"<sheetData>").replace(
        b'<row r="', b'<row spans="1:16384" r="'
    )


def test_a_lying_dimension_spans_and_col_ranges_allocate_nothing_and_the_book_imports(area, tmp_path):
    data = tamper(valid_book(), replace={SHEET: lie})
    # Formatting alone far away (Excel and openpyxl write such cells empty) builds nothing either.
    data = with_rows(data, '<row r="1048576"><c r="XFD1048576" s="0"/><c r="A1048576" s="0" t="n"></c></row>')
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet = archive.read(SHEET)
    assert b'ref="A1:XFD1048576"' in sheet and b'spans="1:16384"' in sheet and b'max="16384"' in sheet

    message, seconds, peak = measure(data, tmp_path)
    assert message == "ACCEPTED 1" and peak < 200 * MB and seconds < 5, (message, peak // MB, seconds)
    report = import_workbook(io.BytesIO(data))
    assert report.errors == [] and report.committed
    assert list(Person.objects.values_list("full_name", flat=True)) == [MARIA[0]]


# ------------------------------------------------------------ 5. active parts, wherever they lie

CT_EXTERNAL_LINK = "application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"
DDE_LINK = (
    f'<externalLink xmlns="{MAIN_NS}"><ddeLink ddeService="cmd" ddeTopic="/c calc">'
    '<ddeItems><ddeItem name="A0"/></ddeItems></ddeLink></externalLink>'
)


def add_relationship(rels_part: str, rel_type: str, target: str, *, external: bool = False):
    mode = ' TargetMode="External"' if external else ""
    tag = f'<Relationship Id="rIdProbe" Type="{rel_type}" Target="{target}"{mode}/>'

    def edit(xml: bytes) -> bytes:
        return xml.replace(b"</Relationships>", tag.encode() + b"</Relationships>")

    return {rels_part: edit}


def add_content_type(tag: str):
    return {"[Content_Types].xml": lambda xml: xml.replace(b"</Types>", tag.encode() + b"</Types>")}


def sheet_rels(rel_type: str, target: str, *, external: bool = False) -> bytes:
    mode = ' TargetMode="External"' if external else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_RELS}">'
        f'<Relationship Id="rId1" Type="{rel_type}" Target="{target}"{mode}/></Relationships>'
    ).encode()


WB_RELS = "xl/_rels/workbook.xml.rels"
SHEET_RELS = "xl/worksheets/_rels/sheet1.xml.rels"


def rel_where(rels_part: str, target: str) -> str:
    return f"связь в части «{rels_part}» с «{target}»"


def linked(where: str) -> str:
    return (
        f"Книга содержит ссылки на другие книги ({where}): разорвите связи (Данные → Изменить связи → "
        "Разорвать связь) и сохраните файл заново."
    )


def macros(where: str) -> str:
    return f"Книга содержит макросы ({where}): сохраните её в Excel как «Книга Excel (.xlsx)» без макросов."


def embedded(where: str) -> str:
    return (
        f"Книга содержит встроенные объекты OLE или элементы ActiveX ({where}): удалите их "
        "и сохраните файл заново."
    )


def outside(where: str) -> str:
    return f"Книга ссылается на внешний файл или адрес ({where}): удалите ссылку и сохраните файл заново."


def dde(part: str) -> str:
    return (
        f"Книга содержит связь DDE или OLE с другой программой (часть «{part}»): удалите связь "
        "и сохраните файл заново."
    )


def probe(replace=None, add=None) -> bytes:
    return tamper(valid_book(), replace=replace, add=add)


R = f"{REL_NS}/"
MS = "http://schemas.microsoft.com/office/2006/relationships/"
ACTIVE_PARTS = {
    "external link by relationship, elsewhere, with a DDE link": (
        lambda: probe(
            replace=add_relationship(WB_RELS, R + "externalLink", "links/book1.xml"),
            add={"xl/links/book1.xml": DDE_LINK},
        ),
        linked(rel_where(WB_RELS, "links/book1.xml")),
    ),
    "external link by Override content type, no relationship": (
        lambda: probe(
            replace=add_content_type(
                f'<Override PartName="/xl/misc/data.xml" ContentType="{CT_EXTERNAL_LINK}"/>'
            ),
            add={"xl/misc/data.xml": DDE_LINK},
        ),
        linked("часть «xl/misc/data.xml»"),
    ),
    "external link by Default content type of its extension": (
        lambda: probe(
            replace=add_content_type(f'<Default Extension="lnk" ContentType="{CT_EXTERNAL_LINK}"/>'),
            add={"xl/misc/book.lnk": DDE_LINK.replace("ddeLink", "externalBook")},
        ),
        linked("часть «xl/misc/book.lnk»"),
    ),
    "external link path relationship, external": (
        lambda: probe(
            add={SHEET_RELS: sheet_rels(MS + "xlExternalLinkPath/xlPathMissing", "x.xlsx", external=True)}
        ),
        linked(rel_where(SHEET_RELS, "x.xlsx")),
    ),
    "VBA project by relationship, renamed": (
        lambda: probe(
            replace=add_relationship(WB_RELS, MS + "vbaProject", "code.bin"),
            add={"xl/code.bin": b"\xd0\xcf" * 64},
        ),
        macros(rel_where(WB_RELS, "code.bin")),
    ),
    "attached toolbars": (
        lambda: probe(replace=add_relationship(WB_RELS, MS + "attachedToolbars", "bars.bin")),
        macros(rel_where(WB_RELS, "bars.bin")),
    ),
    "Excel 4 macro sheet from a sheet's relationships": (
        lambda: probe(add={SHEET_RELS: sheet_rels(MS + "xlMacrosheet", "../m/sheet9.xml")}),
        macros(rel_where(SHEET_RELS, "../m/sheet9.xml")),
    ),
    "OLE object from a sheet": (
        lambda: probe(add={SHEET_RELS: sheet_rels(R + "oleObject", "../objects/obj1.bin")}),
        embedded(rel_where(SHEET_RELS, "../objects/obj1.bin")),
    ),
    "linked OLE object, external": (
        lambda: probe(add={SHEET_RELS: sheet_rels(R + "oleObject", "file:///C:/x.xls", external=True)}),
        embedded(rel_where(SHEET_RELS, "file:///C:/x.xls")),
    ),
    "embedded package by its Default content type": (
        lambda: probe(
            replace=add_content_type(
                '<Default Extension="docx" '
                'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document"/>'
            ),
            add={"xl/embeddings/doc1.docx": b"PK\x03\x04"},
        ),
        embedded("часть «xl/embeddings/doc1.docx»"),
    ),
    "embedded package by relationship": (
        lambda: probe(add={SHEET_RELS: sheet_rels(R + "package", "../embeddings/doc1.docx")}),
        embedded(rel_where(SHEET_RELS, "../embeddings/doc1.docx")),
    ),
    "ActiveX control by relationship": (
        lambda: probe(add={SHEET_RELS: sheet_rels(R + "control", "../activeX/activeX1.xml")}),
        embedded(rel_where(SHEET_RELS, "../activeX/activeX1.xml")),
    ),
    "ActiveX binary by Override content type": (
        lambda: probe(
            replace=add_content_type(
                '<Override PartName="/xl/ax/a1.bin" ContentType="application/vnd.ms-office.activeX"/>'
            )
        ),
        embedded("часть «xl/ax/a1.bin»"),
    ),
    "linked picture, external": (
        lambda: probe(add={SHEET_RELS: sheet_rels(R + "image", "http://example.org/a.png", external=True)}),
        outside(rel_where(SHEET_RELS, "http://example.org/a.png")),
    ),
    "DDE link in a part nothing points to": (
        lambda: probe(add={"xl/custom/data.xml": DDE_LINK}),
        dde("xl/custom/data.xml"),
    ),
    "OLE link in the worksheet itself": (
        lambda: with_rows(valid_book(), "", head='<oleLink progId="Package"/>'),
        dde(SHEET),
    ),
}


@pytest.mark.parametrize("build, message", ACTIVE_PARTS.values(), ids=ACTIVE_PARTS.keys())
def test_an_active_part_is_refused_by_its_type_wherever_it_lies(area, build, message):
    report = import_workbook(io.BytesIO(build()))
    assert report.errors == [message] and not report.committed
    assert Person.objects.count() == 0


def test_an_external_link_outside_its_folder_is_refused_by_the_upload_the_worker_and_the_command(
    area, client_for, admin_user, tmp_path
):
    build, message = ACTIVE_PARTS["external link by relationship, elsewhere, with a DDE link"]
    refused_everywhere(build(), message, client_for(admin_user), tmp_path)


def test_a_book_with_a_web_hyperlink_and_an_ordinary_dimension_still_imports(area, client_for, admin_user):
    data = probe(add={SHEET_RELS: sheet_rels(R + "hyperlink", "https://edu.example.org/", external=True)})
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert b'<dimension ref="A1:' in archive.read(SHEET)
    upload = io.BytesIO(data)
    upload.name = "книга.xlsx"
    client = client_for(admin_user)
    client.post(reverse("registry:workbook"), {"file": upload})
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.CHECKED, job.check_report
    client.post(reverse("registry:import-job-confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert list(Person.objects.values_list("full_name", flat=True)) == [MARIA[0]]


# ------------------------------------------------- the admin's import (django-import-export, openpyxl)

ORG_HEADERS = ["Код ОО", "Наименование", "Краткое наименование", "Муниципалитет", "Тип ОО"]


def organizations_book(municipality_code: str) -> bytes:
    row = ["N0001", "МБДОУ «Детский сад № 5»", "Д/с № 5", municipality_code, "дошкольная"]
    return write_workbook(io.BytesIO(), {"Организации": [ORG_HEADERS, row]}).getvalue()


def test_the_admin_import_reads_cells_not_the_declared_dimension(area):
    # openpyxl's read-only mode padded every row to the declared XFD and read every declared row:
    # about 130 MB of Python objects for this 5 KB file, 0.5 MB more per declared row.
    def declare(xml: bytes) -> bytes:
        return xml.replace(b'<dimension ref="A1:E2"/>', b'<dimension ref="A1:XFD1000"/>')

    data = tamper(organizations_book("M01"), replace={SHEET: declare})
    data = with_rows(data, '<row r="1000"><c r="A1000" s="0"/></row>')  # formatting at the declared end
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert b'<dimension ref="A1:XFD1000"/>' in archive.read(SHEET)
    tracemalloc.start()
    try:
        dataset = CheckedXLSX().create_dataset(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert dataset.headers == ORG_HEADERS and len(dataset) == 1
    assert peak < 20 * MB, peak // MB


def admin_import(client, data: bytes):
    url = reverse("admin:registry_organization_import")
    choices = client.get(url).context["form"].fields["format"].choices
    xlsx = next(value for value, label in choices if str(label).lower() == "xlsx")
    upload = io.BytesIO(data)
    upload.name = "организации.xlsx"
    return client.post(url, {"format": xlsx, "resource": "0", "import_file": upload})


def test_the_admin_import_refuses_what_the_portal_refuses(area, client_for, admin_user):
    client = client_for(admin_user)
    link = add_relationship(WB_RELS, R + "externalLink", "links/b.xml")
    data = tamper(organizations_book("M01"), replace=link)
    response = admin_import(client, tamper(data, add={"xl/links/b.xml": DDE_LINK}))
    assert response.status_code == 200
    assert response.context["form"].errors["import_file"] == [linked(rel_where(WB_RELS, "links/b.xml"))]
    assert not Organization.objects.filter(code="N0001").exists()

    response = admin_import(client, organizations_book("M01"))  # the same book without the link
    assert response.status_code == 200 and not response.context["form"].errors
    assert "confirm_form" in response.context
