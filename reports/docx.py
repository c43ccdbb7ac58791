"""DOCX renderer for report documents (python-docx).

``render(document) -> bytes`` turns the shared document model (see ``reports.documents``) into a Word
file laid out like a Russian official paper: A4 portrait, margins left 3 cm / right 1.5 cm / top and
bottom 2 cm, Times New Roman 14 pt (12 pt in tables), justified paragraphs with a 1.25 cm first-line
indent, a running header and «стр. N из M» centred in the footer (PAGE and NUMPAGES fields).

Every value in the model is plain text: it goes into ``<w:t>`` nodes (escaped by lxml), never parsed.
Lists are plain paragraphs with "1) " / "– " prefixes, so no numbering definitions are involved.
The package carries no metadata beyond the title, the author and the dates (the template's thumbnail,
extended properties and bibliography part are dropped), and the zip entries get fixed timestamps, so the
same document and ``created`` give the same bytes.
"""

import io
import re
import zipfile
from datetime import UTC, datetime

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Emu, Pt, RGBColor
from docx.table import _Cell

from reports import charts, unbroken

AUTHOR = "Портал «Наставничество»"
FONT = "Times New Roman"
BODY_SIZE = Pt(14)
TABLE_SIZE = Pt(10)  # narrow columns of six-column tables: «Январь 2021», «Ответственный» fit
HEADER_SIZE = Pt(9)
LINE_SPACING = 1.15
FIRST_LINE_INDENT = Cm(1.25)
PAGE_WIDTH, PAGE_HEIGHT = Cm(21), Cm(29.7)
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = Cm(3), Cm(1.5), Cm(2), Cm(2)
TEXT_WIDTH = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT  # 16.5 cm
CHART_WIDTH = Cm(16)
CHART_MAX_HEIGHT = Cm(22)
CHART_DPI = 150
SIGNATURE_PREFIX = "Исп."
TABLE_STYLE = "Table Text"
CAPTION_STYLE = "Report Caption"

_ALIGN = {
    "left": WD_ALIGN_PARAGRAPH.LEFT,
    "center": WD_ALIGN_PARAGRAPH.CENTER,
    "right": WD_ALIGN_PARAGRAPH.RIGHT,
    "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
}
# characters XML 1.0 cannot hold (lxml refuses them); \t and \n are kept
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_THEME_FONT_ATTRS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")
_DROPPED_PACKAGE_RELS = (RT.EXTENDED_PROPERTIES, RT.THUMBNAIL)
_DROPPED_DOCUMENT_RELS = (
    RT.CUSTOM_XML,
    "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects",
)


def render(document: dict, created: datetime | None = None) -> bytes:
    """The document model as DOCX bytes; ``created`` (default: now) is both created and modified."""
    moment = _utc(created or datetime.now(UTC))
    doc = Document()
    _setup_styles(doc)
    _setup_section(doc, _text(document.get("running_header")))
    _setup_package(doc, _text(document.get("title")), moment)

    writer = _Writer(doc)
    for block in document.get("blocks") or []:
        writer.block(block)

    buffer = io.BytesIO()
    doc.save(buffer)
    return _normalise_zip(buffer.getvalue(), moment)


# --- text helpers ----------------------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return _INVALID_XML.sub("", text)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0)


def _plain_fonts(rPr, name: str = FONT) -> None:
    """Explicit fonts for all scripts; theme attributes would override them in Word."""
    rFonts = rPr.find(qn("w:rFonts"))
    if rFonts is None:
        rFonts = OxmlElement("w:rFonts")
        rPr.insert(0, rFonts)
    for attr in _THEME_FONT_ATTRS:
        rFonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rFonts.set(qn(attr), name)


def _add_text(paragraph, text: str, *, bold: bool = False, size=None):
    """A run with ``text``; python-docx turns "\\n" into <w:br/> and "\\t" into <w:tab/>."""
    run = paragraph.add_run(text)
    if bold:
        run.bold = True
    if size is not None:
        run.font.size = size
    return run


# --- document setup --------------------------------------------------------------------------


def _setup_styles(doc) -> None:
    styles = doc.styles
    root = styles.element
    defaults = root.find(qn("w:docDefaults"))
    if defaults is not None:
        rPr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
        if rPr is not None:
            _plain_fonts(rPr)
            for tag in ("w:sz", "w:szCs"):
                size = rPr.find(qn(tag))
                if size is not None:
                    size.set(qn("w:val"), str(int(BODY_SIZE.pt * 2)))
            lang = rPr.find(qn("w:lang"))
            if lang is not None:
                lang.set(qn("w:val"), "ru-RU")
                lang.set(qn("w:eastAsia"), "ru-RU")

    normal = styles["Normal"]
    normal.font.name = FONT
    _plain_fonts(normal.element.get_or_add_rPr())
    normal.font.size = BODY_SIZE
    fmt = normal.paragraph_format
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)
    fmt.line_spacing = LINE_SPACING
    fmt.widow_control = True

    for level in (1, 2, 3):
        style = styles[f"Heading {level}"]
        _plain_fonts(style.element.get_or_add_rPr())
        style.font.size = BODY_SIZE
        style.font.bold = True
        style.font.italic = False
        style.font.color.theme_color = None  # drops the template's blue theme colour
        style.font.color.rgb = RGBColor(0, 0, 0)
        heading_fmt = style.paragraph_format
        heading_fmt.space_before = Pt(12 if level == 1 else 10)
        heading_fmt.space_after = Pt(6)
        heading_fmt.keep_with_next = True
        heading_fmt.first_line_indent = Cm(0)
        heading_fmt.alignment = WD_ALIGN_PARAGRAPH.CENTER if level == 1 else WD_ALIGN_PARAGRAPH.LEFT

    table_text = styles.add_style(TABLE_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    table_text.base_style = normal
    table_text.font.size = TABLE_SIZE
    table_fmt = table_text.paragraph_format
    table_fmt.line_spacing = 1.0
    table_fmt.first_line_indent = Cm(0)
    table_fmt.space_after = Pt(0)
    table_fmt.alignment = WD_ALIGN_PARAGRAPH.LEFT

    caption = styles.add_style(CAPTION_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    caption.base_style = normal
    caption.font.size = TABLE_SIZE
    caption_fmt = caption.paragraph_format
    caption_fmt.line_spacing = 1.0
    caption_fmt.first_line_indent = Cm(0)
    caption_fmt.space_before = Pt(6)
    caption_fmt.space_after = Pt(6)

    for name in ("Header", "Footer"):
        styles[name].paragraph_format.first_line_indent = Cm(0)
        styles[name].paragraph_format.line_spacing = 1.0


def _setup_section(doc, running_header: str) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.left_margin, section.right_margin = MARGIN_LEFT, MARGIN_RIGHT
    section.top_margin, section.bottom_margin = MARGIN_TOP, MARGIN_BOTTOM
    section.header_distance = section.footer_distance = Cm(1)

    header = section.header
    header.is_linked_to_previous = False
    paragraph = header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    if running_header:
        _add_text(paragraph, running_header, size=HEADER_SIZE)

    footer = section.footer
    footer.is_linked_to_previous = False
    paragraph = footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _add_page_field(paragraph)


def _add_page_field(paragraph) -> None:
    """«стр. N из M» as in the PDF: PAGE and NUMPAGES fields (fldChar runs: begin / instrText /
    separate / cached value / end); Word fills both in when it lays the document out."""
    _add_text(paragraph, "стр. ", size=TABLE_SIZE)
    _add_field(paragraph, "PAGE")
    _add_text(paragraph, " из ", size=TABLE_SIZE)
    _add_field(paragraph, "NUMPAGES")


def _add_field(paragraph, instruction: str) -> None:
    def run_with(child):
        run = paragraph.add_run()
        run.font.size = TABLE_SIZE
        run._r.append(child)

    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    run_with(begin)
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run_with(instr)
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    run_with(separate)
    _add_text(paragraph, "1", size=TABLE_SIZE)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run_with(end)


def _setup_package(doc, title: str, moment: datetime) -> None:
    props = doc.core_properties
    props.title = title
    props.author = AUTHOR
    props.last_modified_by = ""
    props.comments = ""
    props.subject = ""
    props.keywords = ""
    props.category = ""
    props.revision = 1
    props.created = moment
    props.modified = moment

    package = doc.part.package
    for rId, rel in list(package.rels.items()):
        if rel.reltype in _DROPPED_PACKAGE_RELS:
            del package.rels[rId]
    for rId, rel in list(doc.part.rels.items()):
        if rel.reltype in _DROPPED_DOCUMENT_RELS:
            del doc.part.rels[rId]


def _normalise_zip(data: bytes, moment: datetime) -> bytes:
    """Same entries, fixed timestamps and permissions (python-docx stamps them with the wall clock)."""
    stamp = max(moment, datetime(1980, 1, 1)).timetuple()[:6]
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, source.read(entry.filename))
    return out.getvalue()


# --- blocks ----------------------------------------------------------------------------------


class _Writer:
    def __init__(self, doc):
        self.doc = doc
        self.table_style_id = doc.styles[TABLE_STYLE].style_id  # set as pStyle: the lookup by object is slow

    def block(self, block: dict) -> None:
        kind = block.get("type")
        handler = getattr(self, f"_{kind}", None) if isinstance(kind, str) else None
        if handler is None:
            raise ValueError(f"Unknown block type: {kind!r}")
        handler(block)

    def _paragraph_format(self, paragraph, align: str) -> None:
        paragraph.alignment = _ALIGN.get(align, WD_ALIGN_PARAGRAPH.JUSTIFY)
        paragraph.paragraph_format.first_line_indent = FIRST_LINE_INDENT if align == "justify" else Cm(0)

    def _heading(self, block: dict) -> None:
        try:
            level = min(3, max(1, int(block.get("level") or 1)))
        except (TypeError, ValueError):
            level = 1
        self.doc.add_paragraph(_text(block.get("text")), style=f"Heading {level}")

    def _paragraph(self, block: dict) -> None:
        align = block.get("align") if block.get("align") in _ALIGN else "justify"
        bold = bool(block.get("bold"))
        paragraph = self.doc.add_paragraph()
        self._paragraph_format(paragraph, align)
        label = _text(block.get("label")).strip()
        # A line break inside a justified paragraph makes Word stretch the line before it across the
        # page («п р и к а з ы в а ю»): each line of the text becomes a paragraph of its own.
        lines = _text(block.get("text")).split("\n")
        text = lines[0]
        if label:
            _add_text(paragraph, label, bold=True)
            if text:
                text = " " + text.lstrip(" ")
        if text:
            _add_text(paragraph, text, bold=bold)
        for line in lines[1:]:
            if not line.strip():
                continue
            following = self.doc.add_paragraph()
            self._paragraph_format(following, align)
            _add_text(following, line, bold=bold)

    def _list(self, block: dict) -> None:
        ordered = bool(block.get("ordered"))
        for number, item in enumerate(block.get("items") or [], start=1):
            paragraph = self.doc.add_paragraph()
            self._paragraph_format(paragraph, "justify")
            prefix = f"{number}) " if ordered else "– "
            _add_text(paragraph, prefix + _text(item))

    def _table(self, block: dict) -> None:
        columns = [
            column if isinstance(column, dict) else {"title": column} for column in block.get("columns") or []
        ]
        rows = [row for row in block.get("rows") or [] if isinstance(row, dict)]
        if not columns:
            return
        caption = _text(block.get("caption")).strip()
        if caption:
            paragraph = self.doc.add_paragraph(caption, style=CAPTION_STYLE)
            paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT
            paragraph.paragraph_format.keep_with_next = True

        widths = _column_widths(columns)
        aligns = [_ALIGN.get(column.get("align") or "left", WD_ALIGN_PARAGRAPH.LEFT) for column in columns]
        table = self.doc.add_table(rows=0, cols=len(columns))
        table.style = self.doc.styles["Table Grid"]
        table.autofit = False
        _set_table_width(table, TEXT_WIDTH)
        for grid_col, width in zip(table._tbl.tblGrid.gridCol_lst, widths, strict=True):
            grid_col.w = width

        header = self._row(
            table,
            [_text(column.get("title")) for column in columns],
            [WD_ALIGN_PARAGRAPH.CENTER] * len(columns),
            bold=True,
        )
        trPr = header._tr.get_or_add_trPr()
        trPr.append(OxmlElement("w:tblHeader"))
        for tc in header._tr.tc_lst:
            tc.get_or_add_tcPr().vAlign_val = WD_CELL_VERTICAL_ALIGNMENT.CENTER

        for row in rows:
            cells = [_text(cell) for cell in row.get("cells") or []]
            kind = row.get("kind") or "row"
            if kind == "group":
                self._group_row(table, " ".join(cell for cell in cells if cell), len(columns))
                continue
            cells = (cells + [""] * len(columns))[: len(columns)]
            self._row(table, cells, aligns, bold=kind == "total")

        spacer = self.doc.add_paragraph(style=TABLE_STYLE)
        spacer.paragraph_format.space_after = Pt(6)

    def _row(self, table, texts, aligns, *, bold: bool):
        row = table.add_row()  # cell widths come from the table grid
        _cant_split(row)
        for tc, text, align in zip(row._tr.tc_lst, texts, aligns, strict=True):
            paragraph = _Cell(tc, table).paragraphs[0]
            paragraph._p.style = self.table_style_id
            if align != WD_ALIGN_PARAGRAPH.LEFT:
                paragraph.alignment = align
            if text:
                # Figures and date ranges: no-break hyphens and spaces, a range's en dash the only
                # place a line may break (reports.unbroken; the PDF does the same with spans).
                _add_text(paragraph, unbroken.text(text), bold=bold)
        return row

    def _group_row(self, table, text: str, span: int) -> None:
        row = table.add_row()
        _cant_split(row)
        tcs = row._tr.tc_lst
        for tc in tcs[1:]:
            row._tr.remove(tc)
        first = tcs[0]
        first.width = TEXT_WIDTH
        first.grid_span = span
        paragraph = _Cell(first, table).paragraphs[0]
        paragraph._p.style = self.table_style_id
        paragraph.paragraph_format.keep_with_next = True
        if text:
            _add_text(paragraph, text, bold=True)

    def _chart(self, block: dict) -> None:
        image = charts.png(block, dpi=CHART_DPI, title=False)
        width_px = int.from_bytes(image[16:20], "big")
        height_px = int.from_bytes(image[20:24], "big")
        paragraph = self.doc.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.first_line_indent = Cm(0)
        paragraph.paragraph_format.keep_with_next = True
        paragraph.paragraph_format.line_spacing = 1.0
        run = paragraph.add_run()
        if width_px and CHART_WIDTH * height_px / width_px > CHART_MAX_HEIGHT:
            shape = run.add_picture(io.BytesIO(image), height=CHART_MAX_HEIGHT)
        else:
            shape = run.add_picture(io.BytesIO(image), width=CHART_WIDTH)
        title = _text(block.get("title")).strip()
        shape._inline.docPr.set("descr", title)
        shape._inline.docPr.set("name", "chart")
        if title:
            caption = self.doc.add_paragraph(title, style=CAPTION_STYLE)
            caption.alignment = WD_ALIGN_PARAGRAPH.CENTER

    def _signature(self, block: dict) -> None:
        prefix = block.get("prefix")
        prefix = SIGNATURE_PREFIX if prefix is None else _text(prefix).strip()
        parts = [prefix, _text(block.get("position")).strip(), _text(block.get("name")).strip()]
        paragraph = self.doc.add_paragraph(" ".join(part for part in parts if part))
        paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT
        paragraph.paragraph_format.first_line_indent = Cm(0)
        paragraph.paragraph_format.space_before = Pt(24)

    def _page_break(self, block: dict) -> None:
        paragraph = self.doc.add_paragraph()
        paragraph.paragraph_format.first_line_indent = Cm(0)
        paragraph.add_run().add_break(WD_BREAK.PAGE)


# --- table helpers ---------------------------------------------------------------------------


def _column_widths(columns: list[dict]) -> list[Emu]:
    """Percent widths → EMU of the text width; columns without a width share what is left."""
    given = []
    for column in columns:
        try:
            width = float(column.get("width")) if column.get("width") is not None else None
        except (TypeError, ValueError):
            width = None
        given.append(width if width is not None and width > 0 else None)
    used = sum(width for width in given if width is not None)
    free = [index for index, width in enumerate(given) if width is None]
    if free:
        share = max(100.0 - used, 5.0 * len(free)) / len(free)
        given = [share if width is None else width for width in given]
    total = sum(given)
    emus = [int(TEXT_WIDTH * width / total) for width in given]
    emus[-1] += TEXT_WIDTH - sum(emus)  # rounding goes to the last column
    return [Emu(width) for width in emus]


def _set_table_width(table, width: int) -> None:
    tblPr = table._tbl.tblPr
    tblW = tblPr.find(qn("w:tblW"))
    if tblW is None:
        tblW = OxmlElement("w:tblW")
        tblPr.append(tblW)
    tblW.set(qn("w:type"), "dxa")
    tblW.set(qn("w:w"), str(Emu(width).twips))


def _cant_split(row) -> None:
    row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
