"""The pre-parse safety check of an uploaded workbook (docs/reliability.md §2 «Import»; §4 B 19–20, 22,
28–33, 38).

Every bad file is built here: real .xlsx files with openpyxl, tampered or hostile archives with
zipfile, OLE2/PDF/CSV files from bytes. Each refusal is checked by its Russian message.
"""

import io
import random
import struct
import time
import warnings
import zipfile

import pytest
from defusedxml import ElementTree
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from openpyxl import Workbook
from openpyxl.styles import Border, Font, Side

from registry.workbook import safety
from registry.workbook.safety import SheetScan, WorkbookRejected, defusedxml_active, inspect_workbook

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
WORKSHEET_REL = f"{REL_NS}/worksheet"
XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
XLSM_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"

CORRUPT = "Файл повреждён: архив книги не читается."
NOT_XLSX = "Файл не является книгой Excel .xlsx"


# ------------------------------------------------------------------------------------------ helpers


def xlsx_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def zip_bytes(entries: dict, compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def rewrite(data: bytes, replace: dict | None = None, add: dict | None = None) -> bytes:
    """The archive ``data`` with some entries replaced (None drops one) and others added."""
    replace = replace or {}
    entries = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name in replace:
                if replace[name] is not None:
                    entries[name] = replace[name]
            else:
                entries[name] = archive.read(name)
    entries.update(add or {})
    return zip_bytes(entries)


def sheet_xml(rows: str, *, merges: str = "", prefix: str = "") -> bytes:
    p = f"{prefix}:" if prefix else ""
    xmlns = f'xmlns:{prefix}="{MAIN_NS}"' if prefix else f'xmlns="{MAIN_NS}"'
    body = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<{p}worksheet {xmlns}>'
        f'<{p}dimension ref="A1"/><{p}sheetData>{rows}</{p}sheetData>{merges}</{p}worksheet>'
    )
    return body.encode("utf-8")


def package(sheets: list, *, targets: dict | None = None, content_type: str = XLSX_MAIN, extra=None) -> bytes:
    """A minimal hand-made .xlsx: ``sheets`` is [(name, sheet XML bytes)], in workbook order."""
    targets = targets or {}
    sheet_tags, rels, entries = [], [], {}
    for number, (name, xml) in enumerate(sheets, start=1):
        sheet_tags.append(f'<sheet name="{name}" sheetId="{number}" r:id="rId{number}"/>')
        target = targets.get(name, f"worksheets/sheet{number}.xml")
        rels.append(f'<Relationship Id="rId{number}" Type="{WORKSHEET_REL}" Target="{target}"/>')
        entries[f"xl/worksheets/sheet{number}.xml"] = xml
    content_types = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{content_type}"/></Types>'
    )
    workbook = (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
        f"<sheets>{''.join(sheet_tags)}</sheets></workbook>"
    )
    workbook_rels = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f"{''.join(rels)}</Relationships>"
    )
    return zip_bytes(
        {
            "[Content_Types].xml": content_types,
            "xl/workbook.xml": workbook,
            "xl/_rels/workbook.xml.rels": workbook_rels,
            **entries,
            **(extra or {}),
        }
    )


def rejection(file) -> str:
    if isinstance(file, bytes):
        file = io.BytesIO(file)
    with pytest.raises(WorkbookRejected) as caught:
        inspect_workbook(file)
    assert str(caught.value) == caught.value.message
    return caught.value.message


def scan(data: bytes) -> dict[str, SheetScan]:
    return inspect_workbook(io.BytesIO(data))


def registry_workbook() -> Workbook:
    """Two sheets with data, formulas and a merged range, a hidden sheet, and a chartsheet."""
    workbook = Workbook()
    mentors = workbook.active
    mentors.title = "Наставники"
    mentors.append(["Фамилия", "Имя", "ФИО", "Сайт"])
    for row in range(2, 10):
        mentors.append([f"Иванов{row}", f"Иван{row}"])
    mentors["C7"] = "=A7&B7"
    mentors["D8"] = '=HYPERLINK("https://example.org","сайт")'
    mentors.merge_cells("B5:B9")
    mentees = workbook.create_sheet("Наставляемые")
    mentees.append(["Фамилия"])
    mentees.append(["Петров"])
    mentees.sheet_state = "hidden"
    workbook.create_chartsheet("Диаграмма")
    return workbook


# ------------------------------------------------------------------------------------ good workbooks


def test_good_workbook_gives_every_worksheet_in_order_with_formulas_merges_and_last_row():
    scans = scan(xlsx_bytes(registry_workbook()))

    assert list(scans) == ["Наставники", "Наставляемые"]  # the chartsheet has no cells
    assert scans["Наставники"] == SheetScan(
        name="Наставники",
        part="xl/worksheets/sheet1.xml",
        formula_cells=("C7", "D8"),  # openpyxl writes formulas without a cached value
        has_more_formulas=False,
        merged_ranges=("B5:B9",),
        last_data_row=9,
    )
    assert scans["Наставляемые"] == SheetScan(
        name="Наставляемые",
        part="xl/worksheets/sheet2.xml",
        formula_cells=(),
        has_more_formulas=False,
        merged_ranges=(),
        last_data_row=2,
    )


def test_path_and_django_uploads_are_accepted_and_left_at_position_zero(tmp_path, settings):
    data = xlsx_bytes(registry_workbook())
    path = tmp_path / "книга.xlsx"
    path.write_bytes(data)
    expected = scan(data)

    assert inspect_workbook(path) == expected
    assert inspect_workbook(str(path)) == expected

    upload = SimpleUploadedFile("книга.xlsx", data)
    upload.read(10)
    assert inspect_workbook(upload) == expected
    assert upload.tell() == 0

    temporary = TemporaryUploadedFile("книга.xlsx", "application/octet-stream", len(data), None)
    try:
        temporary.write(data)
        assert inspect_workbook(temporary) == expected
        assert temporary.tell() == 0
    finally:
        temporary.close()

    broken = SimpleUploadedFile("книга.xlsx", data[: len(data) // 2])
    with pytest.raises(WorkbookRejected):
        inspect_workbook(broken)
    assert broken.tell() == 0


def test_trailing_formatted_empty_rows_to_the_last_excel_row_do_not_count():
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Наставники"
    sheet.append(["Фамилия", "Имя"])
    sheet.append(["Иванов", "Иван"])
    sheet.append(["Петров", "Пётр"])
    border = Border(bottom=Side(style="thin"))
    for row in range(4, 1_048_577, 499):  # borders «to the bottom», thinned out to keep the file small
        sheet.cell(row, 1).border = border
        sheet.cell(row, 2).font = Font(bold=True)
    sheet.cell(1_048_576, 2).border = border
    sheet.row_dimensions[1_048_575].height = 30
    data = xlsx_bytes(workbook)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml")
    assert b'<c r="B1048576" s=' in xml and b'<row r="1048575"' in xml  # the file really goes that far

    result = scan(data)["Наставники"]

    assert result.last_data_row == 3
    assert result.formula_cells == () and result.merged_ranges == ()


def test_formulas_with_and_without_cached_values_shared_and_array_formulas():
    rows = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
        '<c r="C1" t="s"><v>2</v></c></row>'
        '<row r="7"><c r="A7" t="s"><v>3</v></c><c r="B7" t="s"><v>4</v></c>'
        '<c r="C7" t="str"><f>A7&amp;B7</f><v>ab</v></c></row>'  # as Excel saves it: a cached value
        '<row r="8"><c r="C8"><f>A8&amp;B8</f><v/></c>'  # as a library saves it: none
        '<c r="D8" t="str"><f>HYPERLINK("https://example.org","сайт")</f><v>сайт</v></c></row>'
        '<row r="9"><c r="B9"><f t="shared" ref="B9:B11" si="0">A9*2</f><v>2</v></c></row>'
        '<row r="10"><c r="B10"><f t="shared" si="0"/><v>4</v></c></row>'
        '<row r="11"><c r="B11"><f t="shared" si="0"/><v>6</v></c>'
        '<c r="C11"><f t="array" ref="C11:C11">SUM(A1:A2)</f><v>0</v></c></row>'
    )
    result = scan(package([("Наставники", sheet_xml(rows))]))["Наставники"]

    assert result.formula_cells == ("C7", "C8", "D8", "B9", "B10", "B11", "C11")
    assert result.last_data_row == 11


def test_more_than_fifty_formulas_are_cut_at_fifty():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Число", "Двойное"])
    for row in range(2, 63):
        sheet.append([row, f"=A{row}*2"])

    result = scan(xlsx_bytes(workbook))["Sheet"]

    assert result.formula_cells == tuple(f"B{row}" for row in range(2, 52))
    assert result.has_more_formulas is True
    assert result.last_data_row == 62


def test_exactly_fifty_formulas_are_not_more():
    rows = "".join(f'<row r="{r}"><c r="B{r}"><f>1+1</f><v>2</v></c></row>' for r in range(2, 52))

    result = scan(package([("Лист", sheet_xml(rows))]))["Лист"]

    assert len(result.formula_cells) == 50 and result.has_more_formulas is False


def test_formula_like_text_and_other_sheet_parts_are_not_formulas():
    rows = (
        '<row r="2"><c r="A2" t="inlineStr"><is><t>=A1&amp;B1</t></is></c>'
        '<c r="B2" t="inlineStr"><is><r><rPr><b/><family val="2"/><color rgb="FF0000"/></rPr>'
        "<t>жирный</t></r></is></c></row>"
    )
    extension = (  # data validation lists in x14 extensions use <xm:f> outside the cells
        '<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
        'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
        '<x14:dataValidations count="1" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
        "<x14:dataValidation><x14:formula1><xm:f>Списки!$A$1:$A$5</xm:f></x14:formula1>"
        "<xm:sqref>C2:C100</xm:sqref></x14:dataValidation></x14:dataValidations></ext></extLst>"
    )

    result = scan(package([("Лист", sheet_xml(rows, merges=extension))]))["Лист"]

    assert result.formula_cells == ()
    assert result.last_data_row == 2


def test_namespace_prefixed_sheet_is_scanned_like_a_plain_one():
    rows = (
        '<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>Фамилия</x:t></x:is></x:c></x:row>'
        '<x:row r="7"><x:c r="A7"><x:v>1</x:v></x:c><x:c r="C7"><x:f>A7+1</x:f><x:v>2</x:v></x:c></x:row>'
        '<x:row r="9"><x:c r="A9" s="1"/></x:row>'
    )
    merges = '<x:mergeCells count="1"><x:mergeCell ref="B5:B9"/></x:mergeCells>'

    result = scan(package([("Лист", sheet_xml(rows, merges=merges, prefix="x"))]))["Лист"]

    assert result.formula_cells == ("C7",)
    assert result.merged_ranges == ("B5:B9",)
    assert result.last_data_row == 7


def test_cells_under_a_second_prefix_are_not_missed():
    """calamine ignores prefixes: a formula under another prefix than the root's must still be seen."""
    xml = (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN_NS}" xmlns:y="{MAIN_NS}">'
        '<sheetData><row r="1"><c r="A1"><v>1</v></c></row>'
        '<row r="4"><y:c r="C4"><y:f>A1+1</y:f><y:v>2</y:v></y:c></row></sheetData></worksheet>'
    ).encode()

    result = scan(package([("Лист", xml)]))["Лист"]

    assert result.formula_cells == ("C4",)
    assert result.last_data_row == 4


def test_cells_and_rows_without_references_are_placed_like_excel_does():
    rows = (
        '<row><c t="inlineStr"><is><t>Фамилия</t></is></c><c t="inlineStr"><is><t>Имя</t></is></c></row>'
        "<row><c><v>1</v></c><c><f>A2+1</f><v>2</v></c></row>"
        '<row r="5"><c r="B5"><v>1</v></c><c><f>B5*2</f><v>2</v></c></row>'
        '<row><c/><c s="1"/><c><v>7</v></c></row>'
        '<row><c s="1"/></row>'
    )

    result = scan(package([("Лист", sheet_xml(rows))]))["Лист"]

    assert result.formula_cells == ("B2", "C5")
    assert result.last_data_row == 6


@pytest.mark.parametrize("chunk", [1, 7, 64, 4096])
def test_chunk_boundaries_change_nothing(monkeypatch, chunk):
    """Tags, cells and values split across chunks are found exactly once, by both scanners."""
    workbook = registry_workbook()
    sheet = workbook["Наставники"]
    for row in range(10, 200):
        sheet.append([f"Фамилия {row}", row, f"=B{row}*2" if row % 17 == 0 else None])
    sheet.merge_cells("E20:F21")
    sheet.cell(400, 1).font = Font(bold=True)
    data = xlsx_bytes(workbook)
    expected = scan(data)
    assert expected["Наставники"].formula_cells[:3] == ("C7", "D8", "C17")
    assert expected["Наставники"].last_data_row == 199

    monkeypatch.setattr(safety, "_CHUNK_BYTES", chunk)
    assert scan(data) == expected
    monkeypatch.setattr(safety, "_FAST_SCAN", False)
    assert scan(data) == expected


def test_fast_and_exact_scanners_agree_on_a_hand_made_sheet(monkeypatch):
    rows = "".join(
        f'<row r="{r}" spans="1:3"><c r="A{r}" t="s"><v>{r}</v></c>'
        + (f'<c r="B{r}"><f>A{r}*2</f><v/></c>' if r % 50 == 0 else f'<c r="B{r}" s="2"/>')
        + f'<c r="C{r}" t="inlineStr"><is><t>текст {r}</t></is></c></row>'
        for r in range(1, 400)
    ) + "".join(f'<row r="{r}"><c r="A{r}" s="3"/><c r="B{r}"><v></v></c></row>' for r in range(400, 600))
    data = package([("Лист", sheet_xml(rows, merges='<mergeCells><mergeCell ref="A2:A3"/></mergeCells>'))])

    fast = scan(data)
    monkeypatch.setattr(safety, "_FAST_SCAN", False)

    assert scan(data) == fast
    assert fast["Лист"].last_data_row == 399
    assert fast["Лист"].formula_cells == tuple(f"B{r}" for r in range(50, 400, 50))


def random_sheet(rng: random.Random) -> bytes:
    """A sheet mixing everything the scanners must tell apart, sometimes pretty-printed."""
    gap = rng.choice(["", "\n  "])
    rows = []
    for r in range(1, rng.randint(2, 40)):
        cells = []
        for column in "ABCDEF"[: rng.randint(0, 6)]:
            ref = f"{column}{r}"
            kind = rng.choice(
                ["num", "str", "empty-v", "self-v", "styled", "inline", "rich", "f", "f-cached"]
            )
            content = {
                "num": f"<v>{r}</v>",
                "str": f"<v>{gap} {r} {gap}</v>",
                "empty-v": "<v></v>",
                "self-v": "<v/>",
                "styled": None,
                "inline": "<is><t>текст</t></is>",
                "rich": '<is><r><rPr><color rgb="FF0000"/><vertAlign val="baseline"/></rPr><t>x</t></r></is>',
                "f": f"<f>A{r}&amp;B{r}</f><v/>",
                "f-cached": f'<f t="shared" si="{r}"/>{gap}<v>1</v>',
            }[kind]
            if content is None:
                cells.append(f'<c r="{ref}" s="1"/>')
            else:
                cells.append(f'<c r="{ref}" t="str">{gap}{content}{gap}</c>')
        rows.append(f'<row r="{r}" spans="1:6">{gap}{gap.join(cells)}{gap}</row>')
    merges = '<mergeCells count="2"><mergeCell ref="A2:A3"/><mergeCell ref="C5:D5"/></mergeCells>'
    return sheet_xml(gap.join(rows), merges=merges if rng.random() < 0.5 else "")


def oracle(xml: bytes) -> tuple:
    """What a full XML parse says: formula cells, merged ranges, last row with a value."""
    root = ElementTree.fromstring(xml)
    ns = {"m": MAIN_NS}
    formulas, last = [], 0
    for cell in root.iterfind("m:sheetData/m:row/m:c", ns):
        row = int("".join(ch for ch in cell.get("r") if ch.isdigit()))
        if cell.find("m:f", ns) is not None:
            formulas.append(cell.get("r"))
        value = cell.find("m:v", ns)
        if (value is not None and (value.text or "").strip()) or cell.find("m:is", ns) is not None:
            last = max(last, row)
    merges = tuple(m.get("ref") for m in root.iterfind("m:mergeCells/m:mergeCell", ns))
    return tuple(formulas[:50]), len(formulas) > 50, merges, last


@pytest.mark.parametrize("seed", range(24))
def test_both_scanners_agree_with_a_full_xml_parse_at_any_chunk_size(monkeypatch, seed):
    rng = random.Random(seed)
    xml = random_sheet(rng)
    data = package([("Лист", xml)])
    expected = oracle(xml)
    for fast in (True, False):
        monkeypatch.setattr(safety, "_FAST_SCAN", fast)
        for chunk in (1, rng.randint(2, 40), rng.randint(41, 3000), 1024 * 1024):
            monkeypatch.setattr(safety, "_CHUNK_BYTES", chunk)
            result = scan(data)["Лист"]
            got = (result.formula_cells, result.has_more_formulas, result.merged_ranges, result.last_data_row)
            assert got == expected, (fast, chunk)


@pytest.mark.parametrize("chunk", [333, 1024 * 1024])
def test_long_runs_of_empty_values_do_not_count_as_data(monkeypatch, chunk):
    """A formula column dragged down and giving "" leaves <v></v> in every row."""
    rows = "".join(f'<row r="{r}"><c r="A{r}" t="s"><v>{r}</v></c></row>' for r in range(1, 30))
    rows += '<row r="30"><c r="A30" t="inlineStr"><is><t>последняя</t></is></c></row>'
    rows += "".join(
        f'<row r="{r}"><c r="B{r}" t="str"><v></v></c><c r="C{r}"><v/></c></row>' for r in range(31, 5000)
    )
    data = package([("Лист", sheet_xml(rows))])
    monkeypatch.setattr(safety, "_CHUNK_BYTES", chunk)

    assert scan(data)["Лист"].last_data_row == 30
    monkeypatch.setattr(safety, "_FAST_SCAN", False)
    assert scan(data)["Лист"].last_data_row == 30


def test_a_fifty_megabyte_sheet_scans_in_well_under_a_second(settings):
    settings.IMPORT_MAX_ROWS = 1_000_000
    row = (
        '<row r="{0}" spans="1:5"><c r="A{0}" t="s"><v>{0}</v></c><c r="B{0}" s="3"><v>44927</v></c>'
        '<c r="C{0}" t="s"><v>7</v></c><c r="D{0}" s="2"><v>12.5</v></c>'
        '<c r="E{0}" t="inlineStr"><is><t>abc</t></is></c></row>'
    )
    rows = [row.format(r) for r in range(1, 222_001)]
    rows[123_455] = rows[123_455].replace('<c r="D123456" s="2">', '<c r="D123456" s="2"><f>1+1</f>')
    xml = sheet_xml("".join(rows))
    assert len(xml) > 50_000_000
    data = package([("Лист", xml)])
    assert len(data) < 10 * 1024 * 1024

    # The CPU time of this process: the scan is single-threaded work on bytes in memory, so on an idle
    # core it equals the wall time, and it does not count the time spent waiting for a core while
    # another test process (make test runs two, docs/architecture.md §11) or another job runs.
    started = time.process_time()
    result = scan(data)["Лист"]
    elapsed = time.process_time() - started

    assert result.formula_cells == ("D123456",)
    assert result.last_data_row == 222_000
    assert elapsed < 1.0


def test_defusedxml_is_active_for_openpyxl():
    assert defusedxml_active() is True


# ------------------------------------------------------------------------------------------- 1. size


def test_empty_file(tmp_path):
    assert rejection(b"") == "Файл пустой."
    path = tmp_path / "пусто.xlsx"
    path.write_bytes(b"")
    assert rejection(path) == "Файл пустой."


class CountingBytesIO(io.BytesIO):
    reads = 0

    def read(self, *args):
        self.reads += 1
        return super().read(*args)


def test_file_over_the_upload_limit_is_refused_without_reading_it(settings, tmp_path):
    settings.IMPORT_MAX_UPLOAD_BYTES = 1000
    upload = CountingBytesIO(xlsx_bytes(registry_workbook()))

    message = rejection(upload)

    assert message == "Файл слишком большой (более 1000 байт): разделите книгу на несколько файлов."
    assert upload.reads == 0
    assert upload.tell() == 0


def test_default_upload_limit_is_ten_megabytes(tmp_path):
    path = tmp_path / "большой.xlsx"
    with open(path, "wb") as handle:
        handle.truncate(10 * 1024 * 1024 + 1)  # sparse: nothing written

    assert rejection(path) == "Файл слишком большой (более 10 МБ): разделите книгу на несколько файлов."


# ------------------------------------------------------------------------------------ 2. magic bytes

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def ole2_file(*stream_names: str) -> bytes:
    directory = b"".join(name.encode("utf-16-le").ljust(64, b"\x00") + b"\x00" * 64 for name in stream_names)
    return OLE2 + b"\x00" * 504 + directory + b"\x00" * 2048


def test_old_xls_renamed_to_xlsx():
    assert rejection(ole2_file("Root Entry", "Workbook")) == (
        "Это файл старого формата .xls: откройте его в Excel и сохраните как «Книга Excel (.xlsx)»."
    )


def test_password_encrypted_workbook():
    message = "Книга защищена паролем: снимите пароль в Excel и сохраните файл заново."
    assert rejection(ole2_file("Root Entry", "EncryptionInfo", "EncryptedPackage")) == message
    assert rejection(ole2_file("Root Entry", "EncryptedPackage")) == message


def test_pdf_renamed_to_xlsx():
    assert rejection(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n") == (
        "Это PDF-документ, а не книга Excel: загрузите таблицу в формате «Книга Excel (.xlsx)»."
    )


@pytest.mark.parametrize(
    "content",
    [
        "Фамилия;Имя;Дата рождения\r\nИванов;Иван;01.02.2010\r\n".encode(),
        "Фамилия;Имя;Дата рождения\r\nИванов;Иван;01.02.2010\r\n".encode("cp1251"),
        "\ufeffФамилия\tИмя\r\nИванов\tИван\r\n".encode("utf-16-le"),  # Excel's «Текст Юникод»
        ("Фамилия,Имя\n" + "Иванов,Иван\n" * 20_000).encode(),  # longer than the sample, cut mid-letter
    ],
    ids=["utf8-csv", "cp1251-csv", "utf16-unicode-text", "long-csv"],
)
def test_csv_or_text_renamed_to_xlsx(content):
    assert rejection(content) == (
        "Это текстовый файл (например, CSV), а не книга Excel .xlsx: "
        "откройте его в Excel и сохраните как «Книга Excel (.xlsx)»."
    )


def test_binary_file_renamed_to_xlsx():
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
    assert rejection(png) == "Файл не является книгой Excel .xlsx."


# ------------------------------------------------------------------------------------------- 3. zip


def test_truncated_xlsx_is_reported_as_damaged():
    data = xlsx_bytes(registry_workbook())
    assert rejection(data[: len(data) // 2]) == CORRUPT
    assert rejection(data[:-30]) == CORRUPT
    assert rejection(data[:40]) == CORRUPT


def test_lying_declared_size_is_caught_by_the_checksum():
    data = bytearray(xlsx_bytes(registry_workbook()))
    name = b"xl/worksheets/sheet1.xml"
    header = data.find(b"PK\x01\x02")
    while data[header + 46 : header + 46 + len(name)] != name:
        header = data.find(b"PK\x01\x02", header + 4)
    struct.pack_into("<I", data, header + 24, 100)  # central directory: uncompressed size 100 bytes

    assert rejection(bytes(data)) == CORRUPT


def test_zip_bomb_by_compression_ratio_is_refused_fast_before_decompressing(tmp_path):
    path = tmp_path / "бомба.xlsx"
    zeros = bytes(1024 * 1024)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as stream:
            for _ in range(200):  # 200 MB of zeros, about 200 KB packed
                stream.write(zeros)
    assert path.stat().st_size < 1024 * 1024

    started = time.perf_counter()
    message = rejection(path)

    assert time.perf_counter() - started < 2
    assert message == (
        "Файл отклонён, похоже на zip-бомбу: часть «xl/worksheets/sheet1.xml» сжата более чем в 100 раз."
    )


def test_compression_ratio_limit_comes_from_settings(settings):
    settings.IMPORT_MAX_COMPRESSION_RATIO = 3
    data = zip_bytes({"[Content_Types].xml": "<Types/>", "xl/sharedStrings.xml": "<sst/>" * 300_000})

    assert rejection(data) == (
        "Файл отклонён, похоже на zip-бомбу: часть «xl/sharedStrings.xml» сжата более чем в 3 раза."
    )


def test_declared_unpacked_size_over_the_limit(settings):
    settings.IMPORT_MAX_UNPACKED_BYTES = 10 * 1024

    assert rejection(xlsx_bytes(registry_workbook())) == (
        "Файл отклонён, похоже на zip-бомбу: в распакованном виде книга занимает более 10 КБ."
    )


def test_bytes_actually_decompressed_are_counted_too(settings):
    data = xlsx_bytes(registry_workbook())
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        declared = sum(info.file_size for info in archive.infolist())
    # The directory check passes; reading the parts (some twice: their 4 KB head, then whole) does not.
    settings.IMPORT_MAX_UNPACKED_BYTES = declared

    assert "похоже на zip-бомбу: в распакованном виде книга занимает более" in rejection(data)


def test_too_many_zip_entries():
    data = xlsx_bytes(registry_workbook())
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = len(archive.namelist())
    data = rewrite(data, add={f"xl/media/image{i}.png": b"x" for i in range(201 - parts)})

    assert rejection(data) == (
        "Файл отклонён, похоже на zip-бомбу: частей в архиве — 201, а допускается не более 200."
    )


def test_encrypted_zip_entry_odd_compression_and_duplicate_names():
    data = bytearray(xlsx_bytes(registry_workbook()))
    central = data.find(b"PK\x01\x02")
    data[central + 8] |= 0x01  # "encrypted" flag of the first entry in the central directory
    assert rejection(bytes(data)) == "Книга защищена паролем: снимите пароль в Excel и сохраните файл заново."

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        with zipfile.ZipFile(io.BytesIO(xlsx_bytes(registry_workbook()))) as source:
            for name in source.namelist():
                archive.writestr(name, source.read(name), compress_type=zipfile.ZIP_BZIP2)
    assert rejection(buffer.getvalue()) == (
        "Архив книги сжат нестандартным способом: откройте файл в Excel и сохраните его заново."
    )

    hidden = sheet_xml('<row r="2"><c r="C2"><f>1+1</f><v>2</v></c></row>')
    buffer = io.BytesIO(xlsx_bytes(registry_workbook()))
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "a") as archive:
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns about the duplicate name
        archive.writestr("xl/worksheets/sheet1.xml", hidden)
    assert rejection(buffer.getvalue()) == CORRUPT


# ---------------------------------------------------------------------------- 4. is it an xlsx at all


def test_docx_ods_and_other_archives_renamed_to_xlsx():
    docx = zip_bytes({"[Content_Types].xml": "<Types/>", "_rels/.rels": "<r/>", "word/document.xml": "<w/>"})
    assert rejection(docx) == "Файл не является книгой Excel .xlsx: это документ Word."

    ods = zip_bytes({"mimetype": "application/vnd.oasis.opendocument.spreadsheet", "content.xml": "<c/>"})
    assert rejection(ods) == (
        "Файл не является книгой Excel .xlsx: это таблица OpenDocument (.ods) — "
        "сохраните её как «Книга Excel (.xlsx)»."
    )

    plain = zip_bytes({"фото.jpg": b"\xff\xd8\xff", "readme.txt": "привет"})
    assert rejection(plain) == "Файл не является книгой Excel .xlsx: это zip-архив с другим содержимым."

    assert rejection(zip_bytes({})) == "Файл не является книгой Excel .xlsx: это пустой zip-архив."

    no_workbook = rewrite(xlsx_bytes(registry_workbook()), replace={"xl/workbook.xml": None})
    assert rejection(no_workbook).startswith(NOT_XLSX)


MACROS = "Книга содержит макросы (файл .xlsm): сохраните её в Excel как «Книга Excel (.xlsx)» без макросов."


def test_xlsm_with_a_vba_project():
    data = rewrite(xlsx_bytes(registry_workbook()), add={"xl/vbaProject.bin": OLE2 + bytes(1000)})
    assert rejection(data) == MACROS


def test_macro_enabled_content_type_without_a_vba_project():
    data = package([("Лист", sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>'))], content_type=XLSM_MAIN)
    assert rejection(data) == MACROS


def test_excel4_macro_sheet():
    data = package(
        [("Макро", sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>'))],
        targets={"Макро": "macrosheets/sheet1.xml"},
        extra={"xl/macrosheets/sheet1.xml": sheet_xml("")},
    )
    assert rejection(data) == MACROS


def test_links_to_other_workbooks():
    link = f'<externalLink xmlns="{MAIN_NS}"><externalBook r:id="rId1" xmlns:r="{REL_NS}"/></externalLink>'
    data = rewrite(xlsx_bytes(registry_workbook()), add={"xl/externalLinks/externalLink1.xml": link})

    assert rejection(data) == (
        "Книга содержит ссылки на другие книги: разорвите связи (Данные → Изменить связи → Разорвать связь) "
        "и сохраните файл заново."
    )


# --------------------------------------------------------------------------------- 5. DOCTYPE, ENTITY

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    ' <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n'
    ' <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">\n]>\n'
    f'<sst xmlns="{MAIN_NS}" count="1" uniqueCount="1"><si><t>&lol3;</t></si></sst>'
)
XXE_SHEET = (
    '<?xml version="1.0"?>\n<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    f'<worksheet xmlns="{MAIN_NS}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c>'
    "</row></sheetData></worksheet>"
)


def test_billion_laughs_in_shared_strings():
    data = rewrite(xlsx_bytes(registry_workbook()), add={"xl/sharedStrings.xml": BILLION_LAUGHS})

    assert rejection(data) == (
        "Файл отклонён: часть книги «xl/sharedStrings.xml» содержит недопустимую XML-разметку "
        "(DOCTYPE/ENTITY)."
    )


def test_external_entity_in_a_sheet():
    data = rewrite(xlsx_bytes(registry_workbook()), replace={"xl/worksheets/sheet1.xml": XXE_SHEET})

    assert "«xl/worksheets/sheet1.xml» содержит недопустимую XML-разметку" in rejection(data)


def test_doctype_hidden_after_a_long_comment_or_in_utf16():
    padded = '<?xml version="1.0"?>\n<!--' + " " * 5000 + "-->\n" + BILLION_LAUGHS.split("\n", 1)[1]
    data = rewrite(xlsx_bytes(registry_workbook()), add={"xl/sharedStrings.xml": padded})
    assert "«xl/sharedStrings.xml» содержит недопустимую XML-разметку" in rejection(data)

    utf16 = "\ufeff" + BILLION_LAUGHS.replace('version="1.0"', 'version="1.0" encoding="UTF-16"')
    data = rewrite(xlsx_bytes(registry_workbook()), add={"xl/sharedStrings.xml": utf16.encode("utf-16-le")})
    assert "«xl/sharedStrings.xml» содержит недопустимую XML-разметку" in rejection(data)


def test_long_ordinary_parts_are_not_taken_for_hidden_doctypes():
    strings = "".join(f"<si><t>Строка {i}</t></si>" for i in range(2000))
    shared = f'<?xml version="1.0" encoding="UTF-8"?>\n<sst xmlns="{MAIN_NS}">{strings}</sst>'
    data = rewrite(xlsx_bytes(registry_workbook()), add={"xl/sharedStrings.xml": shared})

    assert list(scan(data)) == ["Наставники", "Наставляемые"]


# ------------------------------------------------------------------------- 6. names and their parts


def test_absolute_targets_work_and_ambiguous_ones_are_refused():
    xml = sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>')
    absolute = package([("Лист", xml)], targets={"Лист": "/xl/worksheets/sheet1.xml"})
    assert scan(absolute)["Лист"].part == "xl/worksheets/sheet1.xml"

    layout = "Файл не является книгой Excel .xlsx: части книги разложены в архиве нестандартно."
    for target in ("xl/worksheets/sheet1.xml", "../xl/worksheets/sheet1.xml", "/worksheets/sheet1.xml"):
        assert rejection(package([("Лист", xml)], targets={"Лист": target})) == layout

    missing = package([("Лист", xml)], targets={"Лист": "worksheets/sheet9.xml"})
    assert rejection(missing) == "Файл повреждён: для листа «Лист» в книге нет его данных."


def test_workbook_part_moved_elsewhere_by_content_types():
    data = xlsx_bytes(registry_workbook())
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        types = archive.read("[Content_Types].xml")
    types = types.replace(b'PartName="/xl/workbook.xml"', b'PartName="/xl/wb.xml"')
    assert rejection(rewrite(data, replace={"[Content_Types].xml": types})) == (
        "Файл не является книгой Excel .xlsx: части книги разложены в архиве нестандартно."
    )


def test_broken_workbook_xml():
    data = rewrite(xlsx_bytes(registry_workbook()), replace={"xl/workbook.xml": "<workbook><sheets>"})
    assert rejection(data) == "Файл повреждён: часть книги «xl/workbook.xml» не читается."


# ---------------------------------------------------------------------------------- 7. sheet limits


def test_row_limit_counts_data_rows_under_the_header(settings):
    settings.IMPORT_MAX_ROWS = 5
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Наставники"
    sheet.append(["Фамилия"])
    for row in range(5):
        sheet.append([f"Иванов {row}"])
    sheet.cell(50, 1).font = Font(bold=True)  # formatting below does not count
    assert scan(xlsx_bytes(workbook))["Наставники"].last_data_row == 6

    sheet.append(["Сидоров"])
    assert rejection(xlsx_bytes(workbook)) == (
        "Лист «Наставники»: более 5 строк данных; разделите файл на несколько частей."
    )


def test_sheet_over_the_default_row_limit_is_refused_early(monkeypatch):
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 150_001))
    data = package([("Ученики", sheet_xml(rows))])
    reads = []
    original = safety._chunks

    def counting_chunks(*args):
        for chunk in original(*args):
            reads.append(len(chunk))
            yield chunk

    monkeypatch.setattr(safety, "_chunks", counting_chunks)

    assert rejection(data) == (
        "Лист «Ученики»: более 100 000 строк данных; разделите файл на несколько частей."
    )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sum(reads) < archive.getinfo("xl/worksheets/sheet1.xml").file_size  # stopped before the end


def test_a_cell_longer_than_any_excel_cell_is_refused(monkeypatch):
    monkeypatch.setattr(safety, "_MAX_CARRY_BYTES", 64 * 1024)
    monkeypatch.setattr(safety, "_CHUNK_BYTES", 16 * 1024)
    rows = f'<row r="1"><c r="A1" t="inlineStr"><is><t>{"я" * 100_000}</t></is></c></row>'

    message = rejection(package([("Лист", sheet_xml(rows))]))

    assert message == "Файл повреждён: разметка листа «Лист» не читается."


def test_big_sheet_without_cell_references_is_refused_instead_of_scanned_slowly(monkeypatch):
    monkeypatch.setattr(safety, "_EXACT_SCAN_MAX_BYTES", 1000)
    rows = "".join(f"<row><c><v>{r}</v></c></row>" for r in range(100))

    assert rejection(package([("Лист", sheet_xml(rows))])) == (
        "Лист «Лист» записан в нестандартном виде: откройте файл в Excel и сохраните его заново."
    )


def test_part_that_is_not_a_worksheet():
    data = package([("Лист", b'<?xml version="1.0"?><chartsheet xmlns="x"/>')])
    assert rejection(data) == "Файл повреждён: разметка листа «Лист» не читается."
