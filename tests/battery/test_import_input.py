"""docs/reliability.md §4 B, the cases not already proven in tests/registry/test_workbook_*.py.

#21: rows hidden or filtered out in Excel are counted by the dry run like any other row.
#22: blank rows between data and formatting down to row 1,048,576 are skipped; a row after a long
blank stretch is still read (the parser reads up to the last cell holding a value, which the
pre-check found, rather than stopping after 50 blank rows and dropping it silently, see #21), and
its errors carry Excel's row number.
#28: a sheet of 1,000,000 rows is refused by the pre-check with the row limit, in flat memory.
#29: a zip bomb (a sheet expanding to 1 GB; or thousands of entries) is refused before openpyxl or
calamine open it: peak RSS under 200 MB and an answer within 2 s, measured in a fresh process.
#38: an upload over the size limit, large enough to be spooled to a temporary file, is refused
with 413 before parsing, and neither the temporary file nor a stored copy is left behind.
#36: only sheets of the registry's format are read, hidden or not; other sheets, hidden or not,
are named in a warning and skipped; a book without any expected sheet is refused.
"""

import io
import os
import subprocess
import sys
import time
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from openpyxl.styles import Font

from registry.models import Person
from registry.workbook.engine import import_workbook
from tests import factories as f
from tests.registry.workbook_files import MENTORS, mentor, write_workbook

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
MARIA = ("Иванова Мария Петровна", "12.04.1975")
PAVEL = ("Сидоров Павел Ильич", "05.05.1970")


@pytest.fixture
def area(region):
    municipality = f.make_municipality(region=region, code="M01", name="Октябрьский район")
    return f.make_organization(municipality=municipality, code="D0116", short_name="СОШ № 16")


# ---------------------------------------------------------------- #21, #22


def test_the_dry_run_counts_hidden_and_filtered_rows(area, tmp_path):
    rows = [
        MENTORS,
        mentor("D0116", *MARIA),
        mentor("D0116", *PAVEL),
        mentor("D0116", "Орлова Анна", "01.01.1980"),
    ]

    def hide_and_filter(book):
        sheet = book["Наставники"]
        sheet.row_dimensions[2].hidden = True
        sheet.auto_filter.ref = "A1:D4"
        sheet.auto_filter.add_filter_column(1, ["Орлова Анна"])  # rows 2-3 filtered out
        sheet.row_dimensions[3].hidden = True

    report = import_workbook(
        write_workbook(tmp_path / "h.xlsx", {"Наставники": rows}, tweak=hide_and_filter), dry_run=True
    )
    assert report.errors == [] and not report.committed
    assert [(s.sheet, s.created) for s in report.sheets] == [("Наставники", 3)]
    assert Person.objects.count() == 0


def test_a_row_after_a_long_blank_stretch_is_read_and_trailing_formatting_ignored(area, tmp_path):
    rows = [MENTORS, mentor("D0116", *MARIA)] + [None] * 60 + [mentor("D0116", PAVEL[0], "31.02.1970")]

    def format_to_the_bottom(book):
        sheet = book["Наставники"]
        for number in range(70, 1_048_577, 4999):
            sheet.cell(number, 1).font = Font(bold=True)
        sheet.cell(1_048_576, 3).font = Font(bold=True)

    report = import_workbook(
        write_workbook(tmp_path / "a.xlsx", {"Наставники": rows}, tweak=format_to_the_bottom)
    )
    # Excel row 63: header on 1, Мария on 2, 60 blank rows, then this one.
    assert report.errors == [
        "Лист «Наставники», строка 63, столбец «Дата рождения»: «31.02.1970» — такой даты нет в календаре"
    ]
    assert Person.objects.count() == 0
    rows[-1] = mentor("D0116", *PAVEL)
    report = import_workbook(
        write_workbook(tmp_path / "b.xlsx", {"Наставники": rows}, tweak=format_to_the_bottom)
    )
    assert report.errors == [] and report.committed
    assert set(Person.objects.values_list("full_name", flat=True)) == {MARIA[0], PAVEL[0]}


# ---------------------------------------------------------------- #28, #29


def _package(path: Path, sheet_rows, *, extra_entries: int = 0) -> Path:
    """A real .xlsx with one sheet «Наставники» whose XML is streamed from ``sheet_rows`` (bytes chunks)."""
    book = openpyxl.Workbook()
    book.active.title = "Наставники"
    book.active.append(MENTORS)
    template = io.BytesIO()
    book.save(template)
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            if name != "xl/worksheets/sheet1.xml":
                target.writestr(name, source.read(name))
        with target.open("xl/worksheets/sheet1.xml", "w") as stream:
            stream.write(
                b'<?xml version="1.0" encoding="UTF-8"?>'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            )
            for chunk in sheet_rows:
                stream.write(chunk)
            stream.write(b"</sheetData></worksheet>")
        for i in range(extra_entries):
            target.writestr(f"xl/media/image{i}.png", b"x")
    return path


def _million_rows():
    for start in range(1, 1_000_001, 10_000):
        yield "".join(
            f'<row r="{r}"><c r="A{r}"><v>{r * 7919 % 100_003}</v></c></row>'
            for r in range(start, start + 10_000)
        ).encode()


def test_a_million_rows_are_refused_up_front_in_flat_memory(area, tmp_path):
    path = _package(tmp_path / "million.xlsx", _million_rows())
    assert path.stat().st_size < settings.IMPORT_MAX_UPLOAD_BYTES  # under the byte limit
    with zipfile.ZipFile(path) as archive:
        unpacked = archive.getinfo("xl/worksheets/sheet1.xml").file_size
    tracemalloc.start()
    try:
        started = time.perf_counter()
        report = import_workbook(path)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    [message] = report.errors
    limit = "".join(ch for ch in message.split("более ")[1].split(" строк")[0] if ch.isdigit())
    assert message.startswith("Лист «Наставники»: более ") and int(limit) == settings.IMPORT_MAX_ROWS
    assert message.endswith("строк данных; разделите файл на несколько частей.")
    assert not report.committed and Person.objects.count() == 0
    assert peak < 16 * 1024 * 1024 < unpacked / 2, (peak, unpacked)  # flat: a fraction of the sheet
    assert elapsed < 10


MEASURE = """
import os, sys, time
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mentoring_portal.settings")
django.setup()
from registry.workbook.safety import WorkbookRejected, inspect_workbook
started = time.perf_counter()
try:
    inspect_workbook(sys.argv[1])
    print("ACCEPTED")
except WorkbookRejected as rejected:
    print(rejected.message)
print(time.perf_counter() - started)
# VmHWM, this process's own peak: getrusage's ru_maxrss would carry the pytest parent's peak over
# fork and exec (Linux keeps the larger of the two), which in a full run is the suite's, not ours.
print(next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:")))  # KiB
"""


def _measure(path: Path) -> tuple[str, float, int]:
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


def _zeros(total: int):
    block = b"0" * (1024 * 1024)
    for _ in range(total // len(block)):
        yield block


def test_a_sheet_expanding_to_a_gigabyte_is_refused_fast_in_little_memory(tmp_path):
    path = _package(tmp_path / "bomb.xlsx", _zeros(1024 * 1024 * 1024))
    assert path.stat().st_size < 2 * 1024 * 1024
    message, seconds, peak_rss = _measure(path)
    assert message.startswith("Файл отклонён, похоже на zip-бомбу"), message
    assert seconds < 2
    assert peak_rss < 200 * 1024 * 1024


def test_thousands_of_entries_are_refused_fast_in_little_memory(tmp_path):
    path = _package(tmp_path / "entries.xlsx", [b""], extra_entries=5000)
    message, seconds, peak_rss = _measure(path)
    assert (
        message == "Файл отклонён, похоже на zip-бомбу: частей в архиве — 5 009, а допускается не более 200."
    )
    assert seconds < 2
    assert peak_rss < 200 * 1024 * 1024


# ---------------------------------------------------------------- #38


def test_an_upload_over_the_limit_leaves_no_temporary_or_stored_file(
    client_for, admin_user, settings, tmp_path
):
    from django.urls import reverse

    from registry.models import ImportJob

    spool, media = tmp_path / "spool", tmp_path / "media"
    spool.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR, settings.MEDIA_ROOT = str(spool), media
    settings.IMPORT_MAX_UPLOAD_BYTES = 3 * 1024 * 1024
    big = io.BytesIO(b"PK\x03\x04" + os.urandom(4 * 1024 * 1024))  # over FILE_UPLOAD_MAX_MEMORY_SIZE
    big.name = "большой.xlsx"
    assert big.getbuffer().nbytes > settings.FILE_UPLOAD_MAX_MEMORY_SIZE
    settings.FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.TemporaryFileUploadHandler"]
    response = client_for(admin_user).post(reverse("registry:workbook"), {"file": big})
    assert response.status_code == 413
    assert "разделите книгу" in response.content.decode()
    assert list(spool.iterdir()) == []  # refused unread, or spooled and removed: nothing is left
    assert ImportJob.objects.count() == 0
    assert not media.exists() or [p for p in media.rglob("*") if p.is_file()] == []


# ---------------------------------------------------------------- #36


def test_only_the_registry_sheets_are_read_hidden_or_not(area, tmp_path):
    def hide(book):
        extra = book.create_sheet("Лист2")
        extra.append(MENTORS)
        extra.append(mentor("D0116", "Скрытый Иван Иванович", "01.01.1980"))
        extra.sheet_state = "hidden"
        book.create_sheet("Инструкция").append(["Заполните листы"])  # Excel keeps one sheet visible
        book["Наставники"].sheet_state = "hidden"  # hidden, but the registry's own: read like any other

    path = write_workbook(
        tmp_path / "book.xlsx", {"Наставники": [MENTORS, mentor("D0116", *MARIA)]}, tweak=hide
    )
    report = import_workbook(path)
    assert report.errors == [] and report.committed
    assert "Лист «Лист2» не входит в формат реестра — пропущен." in report.warnings
    assert "Лист «Инструкция» не входит в формат реестра — пропущен." in report.warnings
    assert list(Person.objects.values_list("full_name", flat=True)) == [MARIA[0]]


def test_a_book_without_a_registry_sheet_is_refused(area, tmp_path):
    path = write_workbook(tmp_path / "other.xlsx", {"Ученики 2022": [MENTORS, mentor("D0116", *MARIA)]})
    report = import_workbook(path)
    assert not report.committed and Person.objects.count() == 0
    assert report.errors[0].startswith("В книге нет ни одного листа формата реестра: ожидаются «")
    assert report.warnings == ["Лист «Ученики 2022» не входит в формат реестра — пропущен."]
