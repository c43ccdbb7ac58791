"""Pre-parse safety check of an uploaded Excel workbook (docs/reliability.md §2 «Import» step 1; §4 B 19–20,
28–33).

``inspect_workbook`` runs before any spreadsheet library (python-calamine, openpyxl) sees the file:

1. size: empty, or over ``IMPORT_MAX_UPLOAD_BYTES`` (refused without reading the file);
2. magic bytes: old .xls (OLE2) or a password-encrypted workbook (also OLE2), PDF, text/CSV, anything else;
3. the ZIP directory only, nothing decompressed yet: entry count, declared unpacked size, compression
   ratio of every entry of 1 MB or more, encrypted entries, exotic compression, duplicate names;
4. is it an .xlsx at all (a .docx, .ods or plain .zip is not), macros (.xlsm, XLM macro sheets),
   links to other workbooks;
5. the first 4 KB of every XML part: a DOCTYPE or ENTITY (XXE, billion laughs), or a prolog padded so
   that one could hide after 4 KB, refuses the file before any XML parser reads it;
5b. active parts known by what they are, not where they lie: every relationship type (any .rels part)
   and every content type ([Content_Types].xml, Override or Default) of an external link, a VBA project
   or macro sheet, an OLE object, an ActiveX control or an embedded document; an external target other
   than a hyperlink; a <ddeLink> or <oleLink> element in any part;
6. ``[Content_Types].xml``, ``xl/workbook.xml`` and its relationships, parsed with defusedxml, give the
   sheet names and their parts, resolved so that openpyxl and calamine would read the same parts;
7. every worksheet part is decompressed in 1 MB chunks and scanned with byte regexes, never held
   whole: formula cells, merged ranges and the last row holding a value (trailing formatted-but-empty
   rows do not count); the decompressed bytes are counted, and a sheet with more than
   ``IMPORT_MAX_ROWS`` data rows is refused as soon as the scan passes that row. In a sheet of the
   format, a cell with any content right of its column bound or below the row limit is refused by
   name: calamine lays a sheet out as one dense rectangle up to its farthest such cell, whatever the
   declared ``<dimension>`` (which it does not use to allocate).

The limits are read from ``django.conf.settings`` at call time. Every refusal is a ``WorkbookRejected``
whose ``message`` is one Russian sentence for people.

The worksheet scan has a fast path (byte searches from the end of each chunk, about 0.1 s for a 50 MB
sheet) that relies on every cell carrying its ``r="C7"`` reference and on one namespace prefix. A sheet
that breaks either (legal XML, written by a few generators) is rescanned by a slower exact tokenizer.
"""

from __future__ import annotations

import dataclasses
import os
import posixpath
import re
import struct
import unicodedata
import zipfile
import zlib
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as _defused_fromstring
from django.conf import settings

from common.formats import plural

__all__ = ["SheetScan", "WorkbookRejected", "defusedxml_active", "inspect_workbook"]


class WorkbookRejected(Exception):
    """The file as a whole is refused; .message is one Russian sentence for people."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclasses.dataclass(frozen=True)
class SheetScan:
    name: str  # sheet title as written in the workbook (e.g. "Наставники")
    part: str  # zip member, e.g. "xl/worksheets/sheet1.xml"
    formula_cells: tuple[str, ...]  # refs like "C7" of cells holding a formula (<f>), at most 50 collected
    has_more_formulas: bool  # True when more than 50 were found
    merged_ranges: tuple[str, ...]  # e.g. ("B5:B9",) from <mergeCell ref=...>
    last_data_row: int  # Excel row number of the last cell that holds a value (<v> or <is>), 0 if none


def defusedxml_active() -> bool:
    """Whether openpyxl parses its XML through defusedxml (it does when defusedxml is installed)."""
    from openpyxl import xml as openpyxl_xml

    return bool(getattr(openpyxl_xml, "DEFUSEDXML", False))


# ------------------------------------------------------------------------------------------ tuning

_CHUNK_BYTES = 1024 * 1024  # a worksheet part is decompressed and scanned this much at a time
_HEAD_BYTES = 4096  # how much of every XML part is checked for DOCTYPE/ENTITY
_RATIO_MIN_BYTES = 1024 * 1024  # smaller entries may compress as much as they like
_MAX_FORMULAS = 50
_MAX_CARRY_BYTES = 4 * 1024 * 1024  # one cell or tag longer than this is not an Excel sheet
_MAX_META_BYTES = 16 * 1024 * 1024  # [Content_Types].xml, xl/workbook.xml and its .rels, read whole
_TEXT_SAMPLE_BYTES = 64 * 1024
_EXACT_SCAN_MAX_BYTES = 32 * 1024 * 1024  # the exact scanner runs at about 20 MB/s
_FAST_SCAN = True  # tests switch it off to compare the two scanners

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OLE2_ENCRYPTION_STREAMS = ("EncryptedPackage".encode("utf-16-le"), "EncryptionInfo".encode("utf-16-le"))
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
_WORKBOOK_PART = "xl/workbook.xml"
_WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
_CONTENT_TYPES = "[Content_Types].xml"
_WORKBOOK_CONTENT_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
    "application/vnd.ms-excel.sheet.macroenabled.main+xml",
    "application/vnd.ms-excel.template.macroenabled.main+xml",
    "application/vnd.ms-excel.addin.macroenabled.main+xml",
}
_MACRO_CONTENT_RE = re.compile(rb"macroEnabled|macrosheet|vbaProject", re.IGNORECASE)
_MACRO_SHEET_KINDS = {"macrosheet", "xlmacrosheet", "xlintlmacrosheet"}
_DTD_RE = re.compile(rb"!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    EOFError,
    OSError,
    NotImplementedError,
    RuntimeError,
    ValueError,
    struct.error,
)


# ---------------------------------------------------------------------------------------- messages

EMPTY = "Файл пустой."
ENCRYPTED = "Книга защищена паролем: снимите пароль в Excel и сохраните файл заново."
OLD_XLS = "Это файл старого формата .xls: откройте его в Excel и сохраните как «Книга Excel (.xlsx)»."
PDF = "Это PDF-документ, а не книга Excel: загрузите таблицу в формате «Книга Excel (.xlsx)»."
TEXT = (
    "Это текстовый файл (например, CSV), а не книга Excel .xlsx: "
    "откройте его в Excel и сохраните как «Книга Excel (.xlsx)»."
)
NOT_XLSX = "Файл не является книгой Excel .xlsx."
CORRUPT = "Файл повреждён: архив книги не читается."
MACROS = "Книга содержит макросы (файл .xlsm): сохраните её в Excel как «Книга Excel (.xlsx)» без макросов."
EXTERNAL_LINKS = (
    "Книга содержит ссылки на другие книги: разорвите связи (Данные → Изменить связи → Разорвать связь) "
    "и сохраните файл заново."
)
ODD_COMPRESSION = "Архив книги сжат нестандартным способом: откройте файл в Excel и сохраните его заново."
ODD_LAYOUT = "Файл не является книгой Excel .xlsx: части книги разложены в архиве нестандартно."


def _too_big(limit: int) -> str:
    return f"Файл слишком большой (более {_human_bytes(limit)}): разделите книгу на несколько файлов."


def _not_xlsx(what: str) -> str:
    return f"Файл не является книгой Excel .xlsx: {what}."


def _bomb(detail: str) -> str:
    return f"Файл отклонён, похоже на zip-бомбу: {detail}."


def _bomb_unpacked(limit: int) -> str:
    return _bomb(f"в распакованном виде книга занимает более {_human_bytes(limit)}")


def _bad_xml(part: str) -> str:
    return f"Файл отклонён: часть книги «{part}» содержит недопустимую XML-разметку (DOCTYPE/ENTITY)."


def _bad_part(part: str) -> str:
    return f"Файл повреждён: часть книги «{part}» не читается."


def _bad_sheet(name: str) -> str:
    return f"Файл повреждён: разметка листа «{name}» не читается."


def _too_many_rows(name: str, limit: int) -> str:
    return f"Лист «{name}»: более {_human_count(limit)} строк данных; разделите файл на несколько частей."


def _linked_book(where: str) -> str:
    return (
        f"Книга содержит ссылки на другие книги ({where}): разорвите связи (Данные → Изменить связи → "
        "Разорвать связь) и сохраните файл заново."
    )


def _macros_in(where: str) -> str:
    return f"Книга содержит макросы ({where}): сохраните её в Excel как «Книга Excel (.xlsx)» без макросов."


def _embedded_in(where: str) -> str:
    return (
        f"Книга содержит встроенные объекты OLE или элементы ActiveX ({where}): удалите их "
        "и сохраните файл заново."
    )


def _external_target(where: str) -> str:
    return f"Книга ссылается на внешний файл или адрес ({where}): удалите ссылку и сохраните файл заново."


def _dde_link(part: str) -> str:
    return (
        f"Книга содержит связь DDE или OLE с другой программой (часть «{part}»): удалите связь "
        "и сохраните файл заново."
    )


def _cell_right_of_table(name: str, ref: str, max_columns: int) -> str:
    return (
        f"Лист «{name}», ячейка {ref}: ячейка за пределами таблицы — на этом листе данные допускаются "
        f"только до столбца {column_letters(max_columns)}; очистите ячейки правее и сохраните файл заново."
    )


def _cell_below_table(name: str, ref: str, max_rows: int) -> str:
    return (
        f"Лист «{name}», ячейка {ref}: ячейка за пределами таблицы — данные допускаются только до строки "
        f"{_human_count(max_rows + 1)} (не более {_human_count(max_rows)} строк данных); очистите её "
        "или разделите файл на несколько частей."
    )


def _human_bytes(n: int) -> str:
    for unit, size in (("ГБ", 1024**3), ("МБ", 1024**2), ("КБ", 1024)):
        if n >= size:
            value = n / size
            text = f"{value:.0f}" if value == int(value) else f"{value:.1f}".replace(".", ",")
            return f"{text} {unit}"
    return f"{n} байт"


def _human_count(n: int) -> str:
    return f"{n:,}".replace(",", " ")


# ------------------------------------------------------------------------------------------ driver


@dataclasses.dataclass(frozen=True)
class _Limits:
    upload_bytes: int
    unpacked_bytes: int
    ratio: int
    entries: int
    rows: int

    @classmethod
    def current(cls) -> _Limits:
        return cls(
            upload_bytes=settings.IMPORT_MAX_UPLOAD_BYTES,
            unpacked_bytes=settings.IMPORT_MAX_UNPACKED_BYTES,
            ratio=settings.IMPORT_MAX_COMPRESSION_RATIO,
            entries=settings.IMPORT_MAX_ZIP_ENTRIES,
            rows=settings.IMPORT_MAX_ROWS,
        )


class _Budget:
    """Bytes actually decompressed, over all parts: declared sizes in the ZIP directory can lie."""

    def __init__(self, limit: int):
        self.limit = limit
        self.used = 0

    def add(self, n: int) -> None:
        self.used += n
        if self.used > self.limit:
            raise WorkbookRejected(_bomb_unpacked(self.limit))


def inspect_workbook(file) -> dict[str, SheetScan]:
    """file: a path (str/Path) or a binary file object (seekable; e.g. Django UploadedFile).
    Returns the scans of every worksheet keyed by the sheet name as written, in workbook order.
    Raises WorkbookRejected with a specific Russian message otherwise. Leaves a file object seeked to 0."""
    if isinstance(file, (str, os.PathLike)):
        with open(file, "rb") as handle:
            return _inspect(handle)
    try:
        return _inspect(file)
    finally:
        file.seek(0)


def _inspect(handle) -> dict[str, SheetScan]:
    limits = _Limits.current()
    handle.seek(0, os.SEEK_END)
    size = handle.tell()
    if size == 0:
        raise WorkbookRejected(EMPTY)
    if size > limits.upload_bytes:
        raise WorkbookRejected(_too_big(limits.upload_bytes))
    _check_signature(handle, size)
    handle.seek(0)
    try:
        archive = zipfile.ZipFile(handle)
    except _ZIP_ERRORS as exc:
        raise WorkbookRejected(CORRUPT) from exc
    try:
        with archive:
            return _inspect_archive(archive, limits)
    except _ZIP_ERRORS as exc:
        raise WorkbookRejected(CORRUPT) from exc


def _inspect_archive(archive: zipfile.ZipFile, limits: _Limits) -> dict[str, SheetScan]:
    infos = archive.infolist()
    _check_directory(infos, limits)
    names = {info.filename for info in infos}
    budget = _Budget(limits.unpacked_bytes)
    _check_package(archive, names, budget)
    _check_xml_heads(archive, infos, budget)
    _check_active_parts(archive, infos, budget)
    sheets = _sheet_parts(archive, names, budget)
    _check_link_elements(archive, infos, {part for _, part in sheets}, budget)
    scans = {}
    bounds = _column_bounds()
    for name, part in sheets:
        scans[name] = _scan_sheet(archive, name, part, limits, budget, bounds.get(_sheet_key(name)))
    return scans


# How many columns a sheet of the format may use: its own columns, and as many again for misplaced or
# spacer columns, which the import then reports with its hints («неизвестный столбец», «значение в
# столбце без заголовка»). calamine builds the sheet as a dense rectangle from the first to the last
# cell holding anything, so this bound, with the row limit, is what bounds the import's memory.
_COLUMN_ALLOWANCE = 2


def _column_bounds() -> dict[str, int]:
    """The column bound of every sheet of the format, keyed like the import engine matches sheets.
    Other sheets are never read by the import, so they are not bounded."""
    from .schema import REGISTERED_SPECS  # filled by the import engine as the apps register sheets

    specs = REGISTERED_SPECS.values()
    return {_sheet_key(spec.name): _COLUMN_ALLOWANCE * len(spec.columns) for spec in specs}


def _sheet_key(name: str) -> str:
    from .schema import header_key

    return header_key(name)


# ------------------------------------------------------------------------- 2. magic bytes, not a zip


def _check_signature(handle, size: int) -> None:
    handle.seek(0)
    head = handle.read(1024)
    if head.startswith(_OLE2_MAGIC):
        raise WorkbookRejected(ENCRYPTED if _ole2_encrypted(handle) else OLD_XLS)
    if head.startswith(_ZIP_MAGICS):
        return
    if b"%PDF-" in head:
        raise WorkbookRejected(PDF)
    handle.seek(0)
    sample = handle.read(_TEXT_SAMPLE_BYTES)
    if _looks_like_text(sample, complete=size <= _TEXT_SAMPLE_BYTES):
        raise WorkbookRejected(TEXT)
    raise WorkbookRejected(NOT_XLSX)


def _ole2_encrypted(handle) -> bool:
    """An encrypted .xlsx is OLE2 with EncryptionInfo and EncryptedPackage streams (names in UTF-16LE)."""
    handle.seek(0)
    overlap = max(len(name) for name in _OLE2_ENCRYPTION_STREAMS)
    tail = b""
    while chunk := handle.read(_CHUNK_BYTES):
        window = tail + chunk
        if any(name in window for name in _OLE2_ENCRYPTION_STREAMS):
            return True
        tail = window[-overlap:]
    return False


def _looks_like_text(sample: bytes, *, complete: bool) -> bool:
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's «Текст Юникод» is UTF-16 with a BOM
        body = sample[2 : 2 + (len(sample) - 2) // 2 * 2]
        text = body.decode("utf-16-le" if sample[0] == 0xFF else "utf-16-be", "replace")
    elif b"\x00" in sample:
        return False
    else:
        try:
            text = sample.decode("utf-8")
        except UnicodeDecodeError as error:
            if not complete and error.start >= len(sample) - 3:  # a character cut by the sample's end
                text = sample[: error.start].decode("utf-8")
            else:
                text = sample.decode("cp1251", "replace")
    if not text.strip():
        return False
    odd = sum(
        1 for ch in text if ch == "\ufffd" or (unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f")
    )
    return odd * 100 <= len(text)


# ----------------------------------------------------------------------- 3. the ZIP directory only


def _check_directory(infos: list[zipfile.ZipInfo], limits: _Limits) -> None:
    if len(infos) > limits.entries:
        raise WorkbookRejected(
            _bomb(f"частей в архиве — {_human_count(len(infos))}, а допускается не более {limits.entries}")
        )
    if sum(info.file_size for info in infos) > limits.unpacked_bytes:
        raise WorkbookRejected(_bomb_unpacked(limits.unpacked_bytes))
    for info in infos:
        if info.file_size >= _RATIO_MIN_BYTES and info.file_size > limits.ratio * max(info.compress_size, 1):
            times = plural(limits.ratio, "раз", "раза", "раз")
            raise WorkbookRejected(_bomb(f"часть «{info.filename}» сжата более чем в {limits.ratio} {times}"))
    for info in infos:
        if info.flag_bits & 0x1:
            raise WorkbookRejected(ENCRYPTED)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise WorkbookRejected(ODD_COMPRESSION)
    if len({info.filename for info in infos}) != len(infos):
        # Readers disagree on which of two same-named entries counts: the one scanned here might not
        # be the one imported.
        raise WorkbookRejected(CORRUPT)


# ------------------------------------------------------------------ 4. an .xlsx, without active parts


def _check_package(archive: zipfile.ZipFile, names: set[str], budget: _Budget) -> None:
    lower = {name.lower() for name in names}
    if _CONTENT_TYPES not in names or _WORKBOOK_PART not in names:
        raise WorkbookRejected(_what_archive(archive, names, lower))
    if any(name.endswith("vbaproject.bin") or name.startswith("xl/macrosheets/") for name in lower):
        raise WorkbookRejected(MACROS)
    if archive.getinfo(_CONTENT_TYPES).file_size > _MAX_META_BYTES:
        raise WorkbookRejected(_bad_part(_CONTENT_TYPES))
    if _stream_search(archive, _CONTENT_TYPES, _MACRO_CONTENT_RE, budget):
        raise WorkbookRejected(MACROS)
    if any(name.startswith("xl/externallinks/") for name in lower):
        raise WorkbookRejected(EXTERNAL_LINKS)


def _what_archive(archive: zipfile.ZipFile, names: set[str], lower: set[str]) -> str:
    if "word/document.xml" in lower:
        return _not_xlsx("это документ Word")
    if "ppt/presentation.xml" in lower:
        return _not_xlsx("это презентация PowerPoint")
    if "xl/workbook.bin" in lower:
        return _not_xlsx("это двоичная книга Excel (.xlsb) — сохраните её как «Книга Excel (.xlsx)»")
    if "mimetype" in names and archive.getinfo("mimetype").file_size <= 256:
        mimetype = archive.read("mimetype")
        if b"opendocument.spreadsheet" in mimetype:
            return _not_xlsx("это таблица OpenDocument (.ods) — сохраните её как «Книга Excel (.xlsx)»")
        if b"opendocument" in mimetype:
            return _not_xlsx("это документ OpenDocument")
    if not names:
        return _not_xlsx("это пустой zip-архив")
    return _not_xlsx("это zip-архив с другим содержимым")


def _stream_search(archive: zipfile.ZipFile, name: str, pattern: re.Pattern, budget: _Budget) -> bool:
    overlap = 64
    tail = b""
    for chunk in _chunks(archive, name, budget):
        window = tail + chunk
        if pattern.search(window):
            return True
        tail = window[-overlap:]
    return False


def _chunks(archive: zipfile.ZipFile, name: str, budget: _Budget):
    with archive.open(name) as stream:
        while chunk := stream.read(_CHUNK_BYTES):
            budget.add(len(chunk))
            yield chunk


# ------------------------------------------------------------------- 5. no DOCTYPE, no ENTITY, ever


def _check_xml_heads(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], budget: _Budget) -> None:
    for info in infos:
        if info.is_dir() or not info.filename.lower().endswith((".xml", ".rels", ".vml")):
            continue
        with archive.open(info) as stream:
            head = stream.read(_HEAD_BYTES)
        budget.add(len(head))
        if _suspicious_xml_head(head, complete=len(head) < _HEAD_BYTES):
            raise WorkbookRejected(_bad_xml(info.filename))


def _suspicious_xml_head(head: bytes, *, complete: bool) -> bool:
    """A DOCTYPE/ENTITY in the head, or a prolog (comments, processing instructions) still going
    after 4 KB, where a DOCTYPE could follow unseen. UTF-16 parts are looked at decoded too."""
    text = head
    if head.startswith(b"\xff\xfe"):
        text = _utf16_to_utf8(head[2:], "utf-16-le")
    elif head.startswith(b"\xfe\xff"):
        text = _utf16_to_utf8(head[2:], "utf-16-be")
    elif b"\x00" in head[:256]:
        text = _utf16_to_utf8(head, "utf-16-be" if head[:1] == b"\x00" else "utf-16-le")
    if _DTD_RE.search(head) or _DTD_RE.search(text):
        return True
    return not complete and not _prolog_ends(text)


def _utf16_to_utf8(data: bytes, encoding: str) -> bytes:
    return data[: len(data) // 2 * 2].decode(encoding, "ignore").encode("utf-8")


def _prolog_ends(text: bytes) -> bool:
    """Whether the root element starts within ``text`` (after a BOM, whitespace, <?…?> and <!--…-->)."""
    i = 3 if text.startswith(b"\xef\xbb\xbf") else 0
    n = len(text)
    while i < n:
        if text[i : i + 1] in (b" ", b"\t", b"\r", b"\n"):
            i += 1
        elif text.startswith(b"<?", i):
            end = text.find(b"?>", i + 2)
            if end == -1:
                return False
            i = end + 2
        elif text.startswith(b"<!--", i):
            end = text.find(b"-->", i + 4)
            if end == -1:
                return False
            i = end + 3
        else:
            # The root element, or something a parser refuses anyway (text before the root).
            return True
    return False


# ------------------------------------------- 5b. active parts, by relationship type and content type

# The folder checks of step 4 catch what Excel writes; a part may be put anywhere and still be what its
# relationship type or content type says it is. Every .rels part and [Content_Types].xml decide here.
_MACRO_WORDS = ("vbaproject", "macroenabled", "macrosheet", "attachedtoolbars", "vbadata")
_EMBEDDED_WORDS = ("oleobject", "activex")
_EMBEDDED_REL_KINDS = {"package", "control"}  # an embedded document; an ActiveX control
_EMBEDDED_CONTENT_TYPES = {  # whole documents embedded in the workbook (an OLE package)
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.openxmlformats-officedocument.presentationml.slideshow",
    "application/vnd.ms-excel",
    "application/msword",
    "application/vnd.ms-powerpoint",
    "application/x-msdownload",
}
_LINK_ELEMENT_RE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:ddeLink|oleLink)[\s/>]")
_LINK_HINT = b"eLink"  # in "ddeLink" and "oleLink": a cheap test before the regex


def _active_kind(value: str, *, relationship: bool) -> str | None:
    """ "macros", "external", "embedded" or None for a relationship type or a content type."""
    value = value.split(";")[0].strip().lower()
    if "externallink" in value:  # externalLink, xlExternalLinkPath/…
        return "external"
    if any(word in value for word in _MACRO_WORDS):
        return "macros"
    if any(word in value for word in _EMBEDDED_WORDS):
        return "embedded"
    if relationship and value.rstrip("/").rsplit("/", 1)[-1] in _EMBEDDED_REL_KINDS:
        return "embedded"
    if not relationship and value in _EMBEDDED_CONTENT_TYPES:
        return "embedded"
    return None


def _refuse_active(kind: str, where: str) -> None:
    message = {"macros": _macros_in, "external": _linked_book, "embedded": _embedded_in}[kind]
    raise WorkbookRejected(message(where))


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 80 else text[:79] + "…"


def _check_active_parts(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], budget: _Budget) -> None:
    content_types = _read_meta(archive, _CONTENT_TYPES, budget)
    extensions = {}  # extension → the first part carrying it, for a Default that applies to a part
    for info in infos:
        if not info.is_dir() and "." in posixpath.basename(info.filename):
            extensions.setdefault(info.filename.rsplit(".", 1)[1].lower(), info.filename)
    for entry in content_types:
        kind = _active_kind(entry.get("ContentType") or "", relationship=False)
        if kind is None:
            continue
        if _local(entry.tag) == "Override":
            _refuse_active(kind, f"часть «{_short((entry.get('PartName') or '').lstrip('/'))}»")
        elif _local(entry.tag) == "Default":
            part = extensions.get((entry.get("Extension") or "").strip().lstrip(".").lower())
            if part is not None:  # a Default no part uses changes nothing
                _refuse_active(kind, f"часть «{part}»")

    for info in infos:
        if info.is_dir() or not info.filename.lower().endswith(".rels"):
            continue
        for rel in _read_meta(archive, info.filename, budget):
            if _local(rel.tag) != "Relationship":
                continue
            target = _short(rel.get("Target") or "")
            where = f"связь в части «{info.filename}» с «{target}»"
            kind = _active_kind(rel.get("Type") or "", relationship=True)
            if kind is not None:
                _refuse_active(kind, where)
            if (rel.get("TargetMode") or "").strip().lower() == "external":
                # Links to web pages in cells are ordinary; anything else external (a linked picture,
                # a template, a path) makes Excel reach out of the file.
                if (rel.get("Type") or "").strip().lower().rsplit("/", 1)[-1] != "hyperlink":
                    raise WorkbookRejected(_external_target(where))


def _check_link_elements(
    archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], sheets: set[str], budget: _Budget
) -> None:
    """A <ddeLink> or <oleLink> element in any part (worksheets: while they are scanned)."""
    for info in infos:
        if info.is_dir() or info.filename in sheets:
            continue
        tail = b""
        for chunk in _chunks(archive, info.filename, budget):
            window = tail + chunk
            if _LINK_HINT in window and _LINK_ELEMENT_RE.search(window):
                raise WorkbookRejected(_dde_link(info.filename))
            tail = window[-64:]


# ------------------------------------------------------------------------ 6. sheet names and parts


def _read_meta(archive: zipfile.ZipFile, name: str, budget: _Budget):
    if archive.getinfo(name).file_size > _MAX_META_BYTES:
        raise WorkbookRejected(_bad_part(name))
    with archive.open(name) as stream:
        data = stream.read(_MAX_META_BYTES + 1)
    budget.add(len(data))
    if len(data) > _MAX_META_BYTES:
        raise WorkbookRejected(_bad_part(name))
    try:
        return _defused_fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise WorkbookRejected(_bad_xml(name)) from exc
    except ParseError as exc:
        raise WorkbookRejected(_bad_part(name)) from exc


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _sheet_parts(archive: zipfile.ZipFile, names: set[str], budget: _Budget) -> list[tuple[str, str]]:
    content_types = _read_meta(archive, _CONTENT_TYPES, budget)
    for override in content_types:
        if _local(override.tag) != "Override":
            continue
        content_type = (override.get("ContentType") or "").strip().lower()
        part_name = (override.get("PartName") or "").lstrip("/")
        if content_type in _WORKBOOK_CONTENT_TYPES and part_name != _WORKBOOK_PART:
            # openpyxl finds the workbook through [Content_Types].xml, calamine reads xl/workbook.xml:
            # both must read the part checked here.
            raise WorkbookRejected(ODD_LAYOUT)

    workbook = _read_meta(archive, _WORKBOOK_PART, budget)
    declared = []
    for sheets in workbook:
        if _local(sheets.tag) != "sheets":
            continue
        for sheet in sheets:
            if _local(sheet.tag) != "sheet":
                continue
            name = sheet.get("name")
            rel_id = next(
                (v for k, v in sheet.attrib.items() if k.startswith("{") and k.endswith("}id")), None
            )
            if not name or not rel_id:
                raise WorkbookRejected(_bad_part(_WORKBOOK_PART))
            declared.append((name, rel_id))
    if not declared:
        return []

    if _WORKBOOK_RELS not in names:
        raise WorkbookRejected(_bad_part(_WORKBOOK_RELS))
    relationships = {}
    for rel in _read_meta(archive, _WORKBOOK_RELS, budget):
        if _local(rel.tag) == "Relationship" and rel.get("Id"):
            relationships[rel.get("Id")] = rel

    result = []
    seen = set()
    for name, rel_id in declared:
        rel = relationships.get(rel_id)
        if rel is None:
            raise WorkbookRejected(f"Файл повреждён: для листа «{name}» в книге нет его данных.")
        kind = (rel.get("Type") or "").rsplit("/", 1)[-1].lower()
        if (rel.get("TargetMode") or "").lower() == "external":
            raise WorkbookRejected(EXTERNAL_LINKS)
        part = _resolve_target(rel.get("Target") or "")
        if part is None:
            raise WorkbookRejected(ODD_LAYOUT)
        folder = part.split("/")[1] if part.count("/") >= 2 else ""
        if kind in _MACRO_SHEET_KINDS or folder == "macrosheets":
            raise WorkbookRejected(MACROS)
        # openpyxl goes by the relationship type, calamine by the folder: scan what either would read.
        if kind != "worksheet" and folder != "worksheets":
            continue  # chartsheets, dialogsheets: no cells
        if part not in names:
            raise WorkbookRejected(f"Файл повреждён: для листа «{name}» в книге нет его данных.")
        if name in seen:
            raise WorkbookRejected(f"Файл повреждён: в книге два листа с именем «{name}».")
        seen.add(name)
        result.append((name, part))
    return result


def _resolve_target(target: str) -> str | None:
    """The zip member of a workbook relationship's target, or None when openpyxl (relative to xl/,
    normalised) and calamine ("/xl/…" or "xl/…" taken as is, else "xl/" + target) would disagree."""
    if "\\" in target or not target:
        return None
    if target.startswith("/"):
        part = target[1:]
        if not part.startswith("xl/"):
            return None
    elif target.startswith("xl/"):
        return None  # openpyxl reads xl/xl/…, calamine xl/…
    else:
        part = "xl/" + target
    if posixpath.normpath(part) != part:
        return None
    return part


# ------------------------------------------------------------------------ 7. scanning a worksheet


class _NeedsExactScan(Exception):
    """The fast scan met a cell without its r="…" reference, or a second namespace prefix."""


def _scan_sheet(
    archive, name: str, part: str, limits: _Limits, budget: _Budget, max_columns: int | None = None
) -> SheetScan:
    used = budget.used
    if _FAST_SCAN:
        try:
            return _run_scanner(_FastScanner(name, limits.rows, max_columns), archive, part, budget)
        except _NeedsExactScan:
            budget.used = used
    if archive.getinfo(part).file_size > _EXACT_SCAN_MAX_BYTES:
        # Excel always writes r="…"; a big sheet without it would cost seconds of CPU per upload.
        raise WorkbookRejected(
            f"Лист «{name}» записан в нестандартном виде: откройте файл в Excel и сохраните его заново."
        )
    return _run_scanner(_ExactScanner(name, limits.rows, max_columns), archive, part, budget)


def _run_scanner(scanner, archive, part: str, budget: _Budget) -> SheetScan:
    """Feed the part to ``scanner`` chunk by chunk. Each round hands over ``buf[:limit]``, where every
    tag (and, for the fast scanner, every cell) starting before ``limit`` ends inside ``buf``; the rest
    is carried into the next round, so each tag is seen exactly once."""
    carry = b""
    for chunk in _chunks(archive, part, budget):
        buf = carry + chunk if carry else chunk
        if _LINK_HINT in buf and _LINK_ELEMENT_RE.search(buf):
            raise WorkbookRejected(_dde_link(part))
        limit = scanner.safe_limit(buf)
        scanner.process(buf, limit)
        carry = buf[limit:]
        if len(carry) > _MAX_CARRY_BYTES:
            raise WorkbookRejected(_bad_sheet(scanner.name))
    if carry:
        scanner.process(carry, len(carry))
    scanner.finish()
    return scanner.result(part)


_WS = b" \t\r\n"
_TAG_END = b" \t\r\n/>"
_R_ATTR_RE = re.compile(rb"""\sr\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_REF_RE = re.compile(rb"([A-Za-z]{1,3})([1-9][0-9]{0,6})")
_ROW_R_RE = re.compile(rb"""\sr\s*=\s*(?:"\s*([0-9]{1,7})\s*"|'\s*([0-9]{1,7})\s*')""")
_ROOT_RE = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?worksheet[\s/>]")
_SHEET_DATA_RE = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?sheetData(?=[\s/>])([^>]*)>")
_UNPREFIXED_CELL_TAG_RE = re.compile(rb"<(?:c|f|v|is)[\s/>]")
_MERGE_RE_TEMPLATE = rb"""<%smergeCell\s[^>]*?\bref\s*=\s*(?:"([^"]*)"|'([^']*)')"""


def _v_has_content(buf: bytes, start: int) -> bool:
    """Whether the <v> element starting at ``start`` holds something: not <v/>, not <v></v>."""
    gt = buf.find(b">", start)
    if gt == -1 or buf[gt - 1] == 0x2F:  # "/"
        return False
    i = gt + 1
    n = len(buf)
    while i < n and buf[i] in _WS:
        i += 1
    return i < n and not buf.startswith(b"</", i)


def _cell_has_content(buf: bytes, gt: int) -> bool:
    """Whether the cell whose open tag ends at ``gt`` has any child (<v>, <is>, <f>, even empty):
    not <c …/>, not <c …></c>. Conservative: calamine keeps a cell for <v> </v> or <is/>."""
    if buf[gt - 1] == 0x2F:  # "/"
        return False
    i = gt + 1
    n = len(buf)
    while i < n and buf[i] in _WS:
        i += 1
    return i < n and not buf.startswith(b"</", i)


def _parse_ref(tag: bytes, sheet: str) -> tuple[str, int] | None:
    """("C7", 7) from a cell's open tag; None when it has no r attribute."""
    m = _R_ATTR_RE.search(tag)
    if m is None:
        return None
    value = (m.group(1) if m.group(1) is not None else m.group(2)).strip()
    ref = _REF_RE.fullmatch(value)
    if ref is None:
        raise WorkbookRejected(_bad_sheet(sheet))
    return value.decode("ascii").upper(), int(ref.group(2))


class _ScannerBase:
    def __init__(self, name: str, max_rows: int, max_columns: int | None = None):
        self.name = name
        self.max_rows = max_rows
        self.max_columns = max_columns  # None: the sheet is not read by the import
        self.formulas: list[str] = []
        self.has_more = False
        self.merges: list[str] = []
        self.last_row = 0

    def _formula(self, ref: str) -> None:
        if len(self.formulas) < _MAX_FORMULAS:
            self.formulas.append(ref)
        else:
            self.has_more = True

    def _data_row(self, row: int) -> None:
        if row > self.last_row:
            self.last_row = row
            if row - 1 > self.max_rows:  # row 1 holds the headers
                raise WorkbookRejected(_too_many_rows(self.name, self.max_rows))

    def _bounded_cell(self, ref: str, row: int, column: int) -> str | None:
        """A cell with content lies inside the rectangle the reader builds: one right of the sheet's
        columns is refused here; for one below the row limit the message is returned, for the caller
        to raise. calamine keeps even a lone space (<v> </v>), an empty inline string or an error
        value, so any content counts here, not only what ``last_data_row`` calls a value."""
        if self.max_columns is None:
            return None  # not a sheet of the format: the import never reads it
        if column > self.max_columns:
            raise WorkbookRejected(_cell_right_of_table(self.name, ref, self.max_columns))
        if row - 1 > self.max_rows:
            return _cell_below_table(self.name, ref, self.max_rows)
        return None

    def _merge_matches(self, pattern: re.Pattern, buf: bytes, start: int, end: int) -> None:
        for m in pattern.finditer(buf, start, end):
            value = m.group(1) if m.group(1) is not None else m.group(2)
            self.merges.append(value.decode("ascii", "replace").strip())

    def finish(self) -> None:
        pass

    def result(self, part: str) -> SheetScan:
        return SheetScan(
            name=self.name,
            part=part,
            formula_cells=tuple(self.formulas),
            has_more_formulas=self.has_more,
            merged_ranges=tuple(self.merges),
            last_data_row=self.last_row,
        )


_BEFORE, _IN, _AFTER = 0, 1, 2  # where the scan is relative to <sheetData>


class _FastScanner(_ScannerBase):
    """Byte searches, mostly from the end of each chunk: the last value in a chunk gives its row
    (rows are written in ascending order), formulas and merged cells are rare and found directly."""

    def __init__(self, name: str, max_rows: int, max_columns: int | None = None):
        super().__init__(name, max_rows, max_columns)
        self.prefix: bytes | None = None
        self.state = _BEFORE
        self.seen = 0

    def _set_prefix(self, prefix: bytes) -> None:
        self.prefix = prefix
        p = re.escape(prefix)
        self.c_tok = b"<" + prefix + b"c"
        self.c_close = b"</" + prefix + b"c"
        self.v_tok = b"<" + prefix + b"v"
        self.is_tok = b"<" + prefix + b"is"
        self.merge_tok = b"<" + prefix + b"mergeCell"
        self.sheet_data_close = b"</" + prefix + b"sheetData"
        self.f_re = re.compile(rb"<" + p + rb"f[\s/>]")
        self.merge_re = re.compile(_MERGE_RE_TEMPLATE % p)
        self.value_re = re.compile(rb"<" + p + rb"v(?:\s[^>]*)?(?<!/)>(?!\s*</)")
        # A <c>, <f>, <v> or <is> under another prefix than the root's: calamine would read it.
        own = rb"(?!" + p + rb")" if prefix else b""
        self.foreign_re = re.compile(rb"<" + own + rb"[A-Za-z_][\w.-]*:(?:c|f|v|is)[\s/>]")
        # Cells that may lie outside the bounds, in a sheet the import reads: a row number of as many
        # digits as the first row beyond the limit, or a column past the bound. Rare in a real sheet;
        # each is then checked. ``far_re`` starts with a literal, so it costs little per cell (about
        # 0.2 s for a 50 MB sheet); an "r" ending another attribute's name is sorted out by the check.
        self.far_re = None
        if self.max_columns is not None:
            far = [rb"[A-Za-z]{1,3}[0-9]{%d}" % len(str(self.max_rows + 2)), rb"[A-Za-z]{2,3}[0-9]"]
            if self.max_columns < 26:
                beyond = bytes(range(65 + self.max_columns, 91))
                far.append(b"[" + beyond + beyond.lower() + b"][0-9]")
            self.far_re = re.compile(rb"r\s*=\s*[\"']\s*(?:" + b"|".join(far) + b")")

    def _rfind_tag(self, buf: bytes, tok: bytes, lo: int, hi: int) -> int:
        """Start of the last tag named exactly ``tok`` (not <color for <c) inside buf[lo:hi]."""
        size = len(tok)
        while True:
            i = buf.rfind(tok, lo, hi)
            if i == -1:
                return -1
            following = buf[i + size : i + size + 1]
            if following and following in _TAG_END:
                return i
            hi = i + size - 1

    def _cell_closed(self, buf: bytes, start: int) -> bool:
        gt = buf.find(b">", start)
        if gt == -1:
            return False
        if buf[gt - 1] == 0x2F:
            return True
        i = gt
        size = len(self.c_close)
        while True:
            i = buf.find(self.c_close, i)
            if i == -1:
                return False
            following = buf[i + size : i + size + 1]
            if following and following in b" \t\r\n>":
                return True
            i += size

    def safe_limit(self, buf: bytes) -> int:
        if self.prefix is None:  # found here, so that the first chunk is already cut after a cell
            root = _ROOT_RE.search(buf)
            if root is not None:
                self._set_prefix(root.group(1) + b":" if root.group(1) else b"")
        last_lt = buf.rfind(b"<")
        if last_lt == -1:
            return len(buf)
        if self.prefix is not None:
            cell = self._rfind_tag(buf, self.c_tok, 0, len(buf))
            if cell != -1 and not self._cell_closed(buf, cell):
                return cell
        return last_lt

    def process(self, buf: bytes, limit: int) -> None:
        if self.prefix is None:
            self.seen += limit
            if self.seen > 16 * _HEAD_BYTES:
                raise WorkbookRejected(_bad_sheet(self.name))
            return
        pos = 0
        if self.state == _BEFORE:
            m = _SHEET_DATA_RE.search(buf, pos, limit)
            if m is None:
                return
            if (m.group(1) + b":" if m.group(1) else b"") != self.prefix:
                raise _NeedsExactScan
            self.state = _AFTER if m.group(2).endswith(b"/") else _IN
            pos = m.end()
        if self.state == _IN:
            end = buf.find(self.sheet_data_close, pos, limit)
            self._cells(buf, pos, limit if end == -1 else end)
            if end == -1:
                return
            self.state = _AFTER
            pos = end
        if buf.find(self.merge_tok, pos, limit) != -1:
            self._merge_matches(self.merge_re, buf, pos, limit)

    def finish(self) -> None:
        if self.prefix is None:  # no <worksheet> root: not a worksheet part
            raise WorkbookRejected(_bad_sheet(self.name))

    def _cells(self, buf: bytes, start: int, end: int) -> None:
        if start >= end:
            return
        if self.foreign_re.search(buf, start, end):
            raise _NeedsExactScan
        if self.prefix and _UNPREFIXED_CELL_TAG_RE.search(buf, start, end):
            raise _NeedsExactScan

        if not self.has_more:
            for m in self.f_re.finditer(buf, start, end):
                ref = self._formula_owner(buf, start, m.start())
                if ref is not None:
                    self._formula(ref)
                    if self.has_more:
                        break

        # Cells right of the table first; cells below it after the row count, which names a sheet
        # that is simply too long.
        below = self._far_cells(buf, start, end) if self.far_re is not None else None
        value = self._last_value(buf, start, end)
        if value != -1:
            cell = self._rfind_tag(buf, self.c_tok, start, value)
            if cell != -1:
                found = _parse_ref(buf[cell : buf.find(b">", cell) + 1], self.name)
                if found is None:
                    raise _NeedsExactScan
                self._data_row(found[1])
        if below is not None:
            raise WorkbookRejected(below)

    def _far_cells(self, buf: bytes, start: int, end: int) -> str | None:
        below = None
        for m in self.far_re.finditer(buf, start, end):
            lt = buf.rfind(b"<", start, m.start())
            if lt == -1 or not buf.startswith(self.c_tok, lt) or buf[lt + len(self.c_tok)] not in _TAG_END:
                continue  # the r of a row, or an attribute ending in r of another tag
            gt = buf.find(b">", lt)
            if not _cell_has_content(buf, gt):
                continue  # formatting only: calamine builds nothing for it
            found = _parse_ref(buf[lt : gt + 1], self.name)
            if found is None:
                raise _NeedsExactScan  # "r=" was the end of another attribute's name
            ref, row = found
            outside = self._bounded_cell(ref, row, column_index(ref.rstrip("0123456789").encode("ascii")))
            below = below or outside  # the first one named
        return below

    def _formula_owner(self, buf: bytes, start: int, f_pos: int) -> str | None:
        """The ref of the cell whose open tag the <f> at ``f_pos`` directly follows, else None."""
        gt = buf.rfind(b">", start, f_pos)
        if gt == -1 or buf[gt + 1 : f_pos].strip(_WS) or buf[gt - 1] == 0x2F:
            return None
        lt = buf.rfind(b"<", start, gt)
        size = len(self.c_tok)
        if lt == -1 or not buf.startswith(self.c_tok, lt) or buf[lt + size] not in b" \t\r\n>":
            return None
        found = _parse_ref(buf[lt : gt + 1], self.name)
        if found is None:
            raise _NeedsExactScan
        return found[0]

    def _last_value(self, buf: bytes, start: int, end: int) -> int:
        """Start of the last <is> or non-empty <v> in buf[start:end], or -1."""
        v = self._rfind_tag(buf, self.v_tok, start, end)
        inline = self._rfind_tag(buf, self.is_tok, start, end)
        for _ in range(64):
            if v == -1 and inline == -1:
                return -1
            if inline > v:
                return inline
            if _v_has_content(buf, v):
                return v
            v = self._rfind_tag(buf, self.v_tok, start, v)
        # Many empty values in a row (a formula column giving ""): find the last full one by regex,
        # in windows growing back from v, rather than one Python step per empty value.
        window = 64 * 1024
        while True:
            low = max(start, v - window)
            last = -1
            for m in self.value_re.finditer(buf, low):  # no endpos: "<v>" must see what follows it
                if m.start() > v:
                    break
                last = m.start()
            if last != -1 or low == start:
                return max(last, inline)
            window *= 4


_PREFIX = rb"(?:[A-Za-z_][\w.-]*:)?"
_TOKEN_RE = re.compile(  # end tags only for </sheetData>; <v> only when it holds something
    rb"<(?:(/)" + _PREFIX + rb"sheetData\s*>|" + _PREFIX + rb"(?:"
    rb"c(?=[\s/>])(?:[^>]*?\sr\s*=\s*(?:\"([^\"]*)\"|'([^']*)'))?([^>]*)>"
    rb"|(row|f|is|sheetData|mergeCell)(?=[\s/>])([^>]*)>"
    rb"|(v)(?:\s[^>]*)?(?<!/)>(?!\s*</)))"
)
_MERGE_ANY_RE = re.compile(_MERGE_RE_TEMPLATE % rb"(?:[A-Za-z_][\w.-]*:)?")


class _ExactScanner(_ScannerBase):
    """A tokenizer over every row, cell and value tag (about 2.5 s for a 50 MB sheet): cells without
    r="…" take the next column, rows without r="…" the next row, as Excel and openpyxl read them."""

    def __init__(self, name: str, max_rows: int, max_columns: int | None = None):
        super().__init__(name, max_rows, max_columns)
        self.in_sheet_data = False
        self.row = 0
        self.letters = b""  # column of the last cell that had r="…"
        self.column: int | None = 0  # or its index, once a cell without r="…" followed it
        self.cell: list | None = None  # [ref, row, has_formula]

    def safe_limit(self, buf: bytes) -> int:
        last_lt = buf.rfind(b"<")
        if last_lt == len(buf) - 1:  # "<v><" at the end: is it "</v>"? Carry the <v> too.
            return max(buf.rfind(b"<", 0, last_lt), 0)
        return len(buf) if last_lt == -1 else last_lt

    def process(self, buf: bytes, limit: int) -> None:
        for m in _TOKEN_RE.finditer(buf):  # no endpos: "<v>" must see what follows it
            if m.start() >= limit:
                break
            closing, ref_dq, ref_sq, cell_rest, tag, attrs, value = m.groups()
            if value:
                if self.cell is not None:
                    self._data_row(self.cell[1])
            elif cell_rest is not None:
                if self.in_sheet_data:
                    ref = ref_dq if ref_dq is not None else ref_sq
                    self._open_cell(ref, cell_rest.endswith(b"/"), _cell_has_content(buf, m.end() - 1))
            elif closing or tag == b"sheetData":
                self.in_sheet_data = not closing and not attrs.endswith(b"/")
                self.cell = None
            elif tag == b"row":
                r = _ROW_R_RE.search(attrs)
                self.row = int(r.group(1) or r.group(2)) if r else self.row + 1
                self.letters, self.column = b"", 0
                self.cell = None
            elif tag == b"mergeCell":
                self._merge_matches(_MERGE_ANY_RE, m.group(0), 0, len(m.group(0)))
            elif self.cell is None:
                continue
            elif tag == b"is":
                self._data_row(self.cell[1])
            elif not self.cell[2]:  # <f>
                self.cell[2] = True
                if not self.has_more:
                    self._formula(self.cell[0])

    def _open_cell(self, ref: bytes | None, empty: bool, content: bool) -> None:
        if ref is None:
            index = (self.column if self.column is not None else column_index(self.letters)) + 1
            self.column = index
            row = max(self.row, 1)
            ref = f"{column_letters(index)}{row}"
        else:
            found = _REF_RE.fullmatch(ref.strip())
            if found is None:
                raise WorkbookRejected(_bad_sheet(self.name))
            self.letters, self.column = found.group(1).upper(), None
            row = int(found.group(2))
            index = column_index(self.letters)
            ref = ref.strip().decode("ascii").upper()
        if content and (below := self._bounded_cell(ref, row, index)):
            raise WorkbookRejected(below)
        self.cell = None if empty else [ref, row, False]


def column_letters(index: int) -> str:
    """Excel's letters of the column numbered ``index`` from 1: 1 → A, 27 → AA."""
    letters = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_index(letters: bytes) -> int:
    """The number (from 1) of the column Excel writes as ``letters``, however many (bytes as the sheet's
    XML holds them: a hostile file's reference is counted, not refused by a parser)."""
    index = 0
    for char in letters:
        index = index * 26 + char - 64
    return index
