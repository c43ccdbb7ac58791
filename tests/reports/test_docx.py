"""reports.docx: the document model rendered to DOCX with python-docx (no database)."""

import io
import zipfile
from datetime import UTC, datetime, timedelta, timezone

import docx
import pytest
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from reports import docx as report_docx

GROUP = "Направление 1. Нормативное обеспечение системы наставничества"
COLUMNS = [
    {"title": "№", "width": 8, "align": "right"},
    {"title": "Организация", "width": None, "align": "left"},
    {"title": "Дата", "width": 20, "align": "center"},
    {"title": "Доля", "width": 12, "align": "right"},
]


def table_block(count=50):
    rows = [{"cells": [GROUP], "kind": "group"}]
    rows += [
        {"cells": [str(i), f"МБОУ «СОШ № {i}» <b>жирно</b>", "16.12.2022", f"{i} %"], "kind": "row"}
        for i in range(1, count + 1)
    ]
    rows.append({"cells": ["", "Итого", "", "67 %"], "kind": "total"})
    return {"type": "table", "caption": "Таблица 1 – Организации", "columns": COLUMNS, "rows": rows}


def document(*blocks):
    return {
        "title": "Аналитическая справка о наставничестве",
        "running_header": "Справка о наставничестве, 2024 год",
        "blocks": list(blocks),
    }


CHART = {
    "type": "chart",
    "kind": "hbar",
    "title": "Доля организаций с положением о наставничестве",
    "unit": "%",
    "items": [
        {"label": "Октябрьский район", "value": 67, "text": "67 %"},
        {"label": "Соседний район", "value": 45, "text": "45 %"},
    ],
}

FULL = document(
    {"type": "heading", "text": "Аналитическая справка", "level": 1},
    {"type": "heading", "text": "1. Общие сведения", "level": 2},
    {
        "type": "paragraph",
        "label": "Цель —",
        "text": "оценка состояния наставничества.\nВторая строка <script>alert(1)</script>",
    },
    {"type": "paragraph", "text": "По центру", "align": "center", "bold": True},
    {"type": "list", "items": ["первый пункт", "второй <b>пункт</b>"], "ordered": True},
    {"type": "list", "items": ["маркер"], "ordered": False},
    table_block(),
    CHART,
    {"type": "page_break"},
    {"type": "signature", "position": "ведущий специалист", "name": "И. И. Иванова"},
)


@pytest.fixture(scope="module")
def rendered():
    return report_docx.render(FULL, created=datetime(2024, 5, 1, 10, 30))


@pytest.fixture(scope="module")
def opened(rendered):
    return docx.Document(io.BytesIO(rendered))


def paragraph_texts(doc):
    return [paragraph.text for paragraph in doc.paragraphs]


def test_page_setup_a4_with_official_margins(opened):
    section = opened.sections[0]
    assert section.orientation == WD_ORIENT.PORTRAIT
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    margins = (section.left_margin, section.right_margin, section.top_margin, section.bottom_margin)
    assert [round(m.cm, 2) for m in margins] == [3.0, 1.5, 2.0, 2.0]
    normal = opened.styles["Normal"]
    assert normal.font.name == "Times New Roman" and normal.font.size == Pt(14)


def test_heading_and_paragraphs(opened):
    paragraphs = opened.paragraphs
    heading = next(p for p in paragraphs if p.text == "Аналитическая справка")
    assert heading.style.name == "Heading 1"
    assert heading.style.paragraph_format.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert heading.style.font.bold
    assert next(p for p in paragraphs if p.text == "1. Общие сведения").style.name == "Heading 2"

    lead = next(p for p in paragraphs if p.text.startswith("Цель —"))
    assert lead.runs[0].text == "Цель —" and lead.runs[0].bold
    assert not lead.runs[1].bold
    assert lead.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY
    assert round(lead.paragraph_format.first_line_indent.cm, 2) == 1.25
    # "\n" starts a paragraph of its own (a break inside a justified paragraph would stretch the
    # line before it), and markup stayed literal text
    assert lead.text == "Цель — оценка состояния наставничества."
    following = paragraphs[paragraphs.index(lead) + 1]
    assert following.text == "Вторая строка <script>alert(1)</script>" and not lead._p.xpath(".//w:br")
    assert following.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY

    centred = next(p for p in paragraphs if p.text == "По центру")
    assert centred.alignment == WD_ALIGN_PARAGRAPH.CENTER and centred.runs[0].bold
    assert centred.paragraph_format.first_line_indent == 0


def test_markup_is_escaped_in_the_xml(rendered):
    with zipfile.ZipFile(io.BytesIO(rendered)) as package:
        body = package.read("word/document.xml").decode("utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script>" not in body
    assert "&lt;b&gt;жирно&lt;/b&gt;" in body and "<b>" not in body


def test_lists_are_prefixed_paragraphs(opened):
    texts = paragraph_texts(opened)
    assert "1) первый пункт" in texts
    assert "2) второй <b>пункт</b>" in texts
    assert "– маркер" in texts
    assert not opened.element.body.xpath(".//w:numPr")


def test_table_cells_in_order_with_group_header_and_total(opened):
    assert len(opened.tables) == 1
    table = opened.tables[0]
    assert table.style.name == "Table Grid"
    rows = [[cell.text for cell in row.cells] for row in table.rows]
    assert rows[0] == ["№", "Организация", "Дата", "Доля"]
    assert rows[1] == [GROUP] * 4  # merged across all columns
    # A share's space is a no-break one in a cell (reports.unbroken): «1 %» never splits.
    assert rows[2] == ["1", "МБОУ «СОШ №\xa01» <b>жирно</b>", "16.12.2022", "1\xa0%"]
    assert rows[51] == ["50", "МБОУ «СОШ №\xa050» <b>жирно</b>", "16.12.2022", "50\xa0%"]
    assert rows[52] == ["", "Итого", "", "67\xa0%"]
    assert len(rows) == 1 + 1 + 50 + 1

    header, group, first, total = table.rows[0], table.rows[1], table.rows[2], table.rows[52]
    assert header._tr.xpath("./w:trPr/w:tblHeader")
    assert not first._tr.xpath("./w:trPr/w:tblHeader")
    assert all(run.bold for cell in header.cells for run in cell.paragraphs[0].runs)
    assert len(group._tr.tc_lst) == 1 and group._tr.tc_lst[0].grid_span == 4
    assert group.cells[0].paragraphs[0].runs[0].bold
    assert not first.cells[1].paragraphs[0].runs[0].bold
    assert total.cells[1].paragraphs[0].runs[0].bold
    assert first.cells[0].paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert first.cells[2].paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert first.cells[1].paragraphs[0].style.font.size == Pt(10)


def test_column_widths_follow_percentages(opened):
    widths = [column.width for column in opened.tables[0].columns]
    text_width = Cm(21 - 3 - 1.5)
    assert abs(sum(widths) - text_width) < Cm(0.01)
    shares = [round(width / text_width * 100) for width in widths]
    assert shares == [8, 60, 20, 12]  # the column without a width takes what is left


def test_table_caption_precedes_table(opened):
    body = list(opened.element.body.iterchildren())
    table_index = next(i for i, element in enumerate(body) if element.tag == qn("w:tbl"))
    caption = body[table_index - 1]
    assert "".join(caption.xpath(".//w:t/text()")) == "Таблица 1 – Организации"


def test_chart_is_an_image_with_a_caption_below(opened):
    assert len(opened.inline_shapes) == 1
    shape = opened.inline_shapes[0]
    assert round(shape.width.cm, 2) == 16.0
    texts = paragraph_texts(opened)
    image_index = next(i for i, p in enumerate(opened.paragraphs) if p._p.xpath(".//w:drawing"))
    assert texts[image_index + 1] == CHART["title"]
    image_part = opened.part.related_parts[shape._inline.graphic.graphicData.pic.blipFill.blip.embed]
    assert image_part.blob.startswith(b"\x89PNG")


def test_tall_chart_is_scaled_to_fit_the_page():
    items = [{"label": f"Организация {i}", "value": i, "text": str(i)} for i in range(40)]
    doc = docx.Document(io.BytesIO(report_docx.render(document(dict(CHART, items=items)))))
    shape = doc.inline_shapes[0]
    assert shape.height <= report_docx.CHART_MAX_HEIGHT and shape.width < Cm(16)


def test_page_break_and_signature(opened):
    breaks = opened.element.body.xpath(".//w:br")
    assert [br.get(qn("w:type")) for br in breaks].count("page") == 1
    body = list(opened.element.body.iterchildren())
    break_index = next(i for i, element in enumerate(body) if element.xpath('.//w:br[@w:type="page"]'))
    assert body[break_index + 1] is opened.paragraphs[-1]._p  # the signature opens the new page
    signature = opened.paragraphs[-1]
    assert signature.text == "Исп. ведущий специалист И. И. Иванова"
    assert signature.alignment == WD_ALIGN_PARAGRAPH.LEFT


def test_signature_prefix_can_be_changed_or_dropped():
    blocks = [
        {"type": "signature", "position": "директор", "name": "П. П. Петров", "prefix": "Подпись:"},
        {"type": "signature", "position": "директор", "name": "П. П. Петров", "prefix": ""},
    ]
    texts = paragraph_texts(docx.Document(io.BytesIO(report_docx.render(document(*blocks)))))
    assert "Подпись: директор П. П. Петров" in texts
    assert "директор П. П. Петров" in texts


def test_running_header_and_page_n_of_m_fields(opened):
    section = opened.sections[0]
    header = section.header.paragraphs[0]
    assert header.text == "Справка о наставничестве, 2024 год"
    assert header.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert header.runs[0].font.size == Pt(9)
    footer = section.footer.paragraphs[0]
    assert footer.alignment == WD_ALIGN_PARAGRAPH.CENTER
    # «стр. N из M», like the PDF's page footer: PAGE, then NUMPAGES.
    assert [i.text.strip() for i in footer._p.xpath(".//w:instrText")] == ["PAGE", "NUMPAGES"]
    assert [f.get(qn("w:fldCharType")) for f in footer._p.xpath(".//w:fldChar")] == [
        "begin",
        "separate",
        "end",
    ] * 2
    assert footer.text == "стр. 1 из 1"  # the fields' cached values; Word recomputes them


def test_core_properties_and_no_stray_metadata(opened, rendered):
    props = opened.core_properties
    assert props.title == "Аналитическая справка о наставничестве"
    assert props.author == "Портал «Наставничество»"
    assert props.comments == "" and props.last_modified_by == "" and props.keywords == ""
    assert props.created == props.modified == datetime(2024, 5, 1, 10, 30, tzinfo=UTC)
    with zipfile.ZipFile(io.BytesIO(rendered)) as package:
        names = package.namelist()
        assert "docProps/app.xml" not in names and "docProps/thumbnail.jpeg" not in names
        assert not any(name.startswith("customXml/") for name in names)
        assert all(info.date_time == (2024, 5, 1, 10, 30, 0) for info in package.infolist())
        everything = b"".join(package.read(name) for name in names if not name.endswith(".png"))
    assert b"python-docx" not in everything


def test_aware_created_is_stored_in_utc():
    moscow = timezone(timedelta(hours=3))
    data = report_docx.render(document(), created=datetime(2024, 5, 1, 13, 30, tzinfo=moscow))
    assert docx.Document(io.BytesIO(data)).core_properties.created == datetime(2024, 5, 1, 10, 30, tzinfo=UTC)


def test_same_input_same_bytes(rendered):
    assert report_docx.render(FULL, created=datetime(2024, 5, 1, 10, 30)) == rendered


def test_control_characters_do_not_break_rendering():
    block = {"type": "paragraph", "text": "до\x00после\x0b\r\nстрока"}
    doc = docx.Document(io.BytesIO(report_docx.render(document(block))))
    assert [p.text for p in doc.paragraphs[:2]] == ["допосле", "строка"]


def test_unknown_block_type_is_an_error():
    with pytest.raises(ValueError, match="Unknown block type"):
        report_docx.render(document({"type": "video"}))
