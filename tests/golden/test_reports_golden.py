"""Golden tests of the four report kinds on the demo region: the seeds' figures in every format.

Each document is built the way the «Отчёты» page and ``manage.py build_report`` build it
(``sources.resolve`` → ``builders.build`` → ``narrative.draft`` → ``documents.compose``) and rendered
to HTML, PDF (read back with ``pdftotext``) and DOCX (read back with python-docx):

- seed 002 (monitoring-report, Oktyabrsky): the order «ПРИКАЗ № 16» of 16.12.2022, basis, goal,
  methods, 26 organizations and the five shares with their counts («7,3 % (30 из 410)»);
- seed 003 (roadmap-report, Smolensk plan): events by direction with their numbers as written,
  «228 из 340, 67 %», «254 из 340, 75 %», «Педагогический дуэт» 26 = 10 + 15 + 1;
- seed 000 (roadmap-note, Bryansk road map): the eight events with months and responsible persons,
  «Выводы», «Рекомендации», «Исп. …»;
- seed 001 (school-note, D0116 on 31.05.2021): five documents, 2020/2021, the trend session of
  11.03.2021 with 48 participants, «Решение».

Publishing freezes a version: the registry changes afterwards, the version's data, document and file
do not. ``seed_demo`` runs once for the module; each PDF is rendered once.
"""

import copy
import datetime
import html.parser
import io
import re
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import docx
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Sum
from django.utils import timezone
from PIL import Image

from common.formats import parse_ru_date, share
from monitoring.demo import SMOLENSK_SITE_CHECK
from monitoring.models import Campaign, Indicator, RoadMap, RoadMapEvent, SubmissionValue
from registry.demo import CURATOR_SCHOOL_CODE, OKTYABRSKY_CODE
from reports import builders, documents, narrative, render, services, unbroken
from reports.demo import BRYANSK_TITLE_START, SCHOOL_NOTE_AS_OF, SMOLENSK_TITLE_START
from reports.models import Kind, Report, ReportFile
from reports.sources import resolve
from tests.golden.conftest import NBSP, golden, printed

ROOT = Path(__file__).resolve().parents[2]
PAGES_DIR = Path("/tmp/report_pages")
SOFT_HYPHENS = "\u2010\u00ad"  # WeasyPrint's hyphenation mark (U+2010), a soft hyphen just in case

OKTYABRSKY_TITLE = "Мониторинг реализации «дорожной карты» работы педагогов-наставников"
KINDS = [Kind.MONITORING_REPORT, Kind.ROADMAP_REPORT, Kind.ROADMAP_NOTE, Kind.SCHOOL_NOTE]
FORMATS = ["html", "pdf", "docx"]

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("golden")]  # one seeding: conftest.py


def user(username):
    return get_user_model().objects.get(username=username)


def normalise(text: str) -> str:
    """One line of text: no-break spaces as spaces, runs of white space as one space."""
    return re.sub(r"\s+", " ", text.replace(NBSP, " ")).strip()


# ---------------------------------------------------------------- the demo, the documents, the files


def oktyabrsky_campaign() -> Campaign:
    g = golden("seed_002_oktyabrsky.json")
    return Campaign.objects.get(
        municipality__code=g["municipality_code"], as_of_date=parse_ru_date(g["as_of"])
    )


def bryansk() -> RoadMap:
    return RoadMap.objects.get(level=RoadMap.Level.REGION, title__startswith=BRYANSK_TITLE_START)


def smolensk() -> RoadMap:
    return RoadMap.objects.get(level=RoadMap.Level.REGION, title__startswith=SMOLENSK_TITLE_START)


def sources() -> dict:
    """Who builds each kind, from what (as ``reports.demo`` does)."""
    return {
        Kind.MONITORING_REPORT: ("coordinator", {"campaign": oktyabrsky_campaign()}),
        Kind.ROADMAP_REPORT: ("operator", {"roadmap": smolensk()}),
        Kind.ROADMAP_NOTE: ("operator", {"roadmap": bryansk()}),
        Kind.SCHOOL_NOTE: ("coordinator", {"organization": CURATOR_SCHOOL_CODE, "as_of": SCHOOL_NOTE_AS_OF}),
    }


def saved_report(kind: str) -> Report:
    """The demo's draft report of ``kind`` (it carries the signature)."""
    return Report.objects.get(kind=kind)


def compose_as_the_page_does(kind: str) -> dict:
    """resolve → build → draft → compose, with the signature the demo report was given."""
    username, source = sources()[kind]
    report = resolve(user(username), kind, **source)
    data = builders.build(report)
    draft = narrative.draft(kind, data)
    report.conclusions, report.recommendations = draft["conclusions"], draft["recommendations"]
    saved = saved_report(kind)
    report.signature_position, report.signature_name = saved.signature_position, saved.signature_name
    return documents.compose(kind, data, services.report_fields(report=report))


class Renders:
    """Each kind's document and its files, each rendered once for the module."""

    def __init__(self, docs: dict, folder: Path):
        self.docs = docs
        self.folder = folder
        self.cache: dict = {}

    def _once(self, key, make):
        if key not in self.cache:
            self.cache[key] = make()
        return self.cache[key]

    def html(self, kind) -> str:
        return self._once(("html", kind), lambda: render.to_html(self.docs[kind]))

    def pdf(self, kind) -> Path:
        def make():
            content, pages = render.to_pdf(self.docs[kind])
            path = self.folder / f"{kind}.pdf"
            path.write_bytes(content)
            assert content.startswith(b"%PDF") and pages >= 1
            return path

        return self._once(("pdf", kind), make)

    def pdf_text(self, kind, *, mode: str = "layout", page: int | None = None) -> str:
        return self._once(("text", kind, mode, page), lambda: pdftotext(self.pdf(kind), mode, page))

    def docx(self, kind):
        content = self._once(("docx", kind), lambda: render.to_docx(self.docs[kind]))
        return docx.Document(io.BytesIO(content))

    def text(self, kind, fmt) -> str:
        """The document's text in ``fmt``, as one normalised line."""
        if fmt == "html":
            return html_text(self.html(kind))
        if fmt == "pdf":
            return normalise(self.pdf_text(kind))
        return docx_text(self.docx(kind))

    def cells(self, kind, fmt) -> str:
        """Like ``text``, but a PDF's as written (``-raw``): a table cell's lines stay together."""
        if fmt == "pdf":
            return normalise(self.pdf_text(kind, mode="raw"))
        return self.text(kind, fmt)


@pytest.fixture(scope="module")
def docs(demo, django_db_blocker):
    with django_db_blocker.unblock():
        return {kind: compose_as_the_page_does(kind) for kind in KINDS}


@pytest.fixture(scope="module")
def renders(docs, tmp_path_factory):
    return Renders(docs, tmp_path_factory.mktemp("reports"))


def pdftotext(path: Path, mode: str = "layout", page: int | None = None) -> str:
    """The PDF's text with WeasyPrint's hyphenation undone («раз‐\\nделе» → «разделе»).

    ``mode``: ``layout`` (``pdftotext -layout``, lines as on the page), ``raw`` (``-raw``, the order
    WeasyPrint wrote the text in: a table cell's lines together, the cells of a row one after the
    other) or ``reading`` (poppler's reading order: a cell's lines as a block of their own).
    """
    args = ["pdftotext", "-enc", "UTF-8"]
    if mode != "reading":
        args.append(f"-{mode}")
    if page is not None:
        args += ["-f", str(page), "-l", str(page)]
    text = subprocess.run([*args, str(path), "-"], capture_output=True, check=True).stdout.decode()
    text = re.sub(f"[{SOFT_HYPHENS}][ \\t]*\\n[ \\t\\f]*", "", text)
    # A word's own hyphen at a line end («педагогов-\nнаставников») joins without a space.
    return re.sub(r"(?<=[^\W\d_])-[ \t]*\n[ \t\f]*(?=[^\W\d_])", "-", text)


class _TextParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts, self.skip = [], 0

    # A figure's <span class="fig"> (reports.unbroken) is inline: «1.2.» stays «1.2.», not «1.2 .».
    INLINE = ("span",)

    def handle_starttag(self, tag, attrs):
        self.skip += tag in ("style", "script", "title")
        self.parts.append("" if tag in self.INLINE else " ")

    def handle_endtag(self, tag):
        self.skip -= tag in ("style", "script", "title")
        self.parts.append("" if tag in self.INLINE else " ")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def html_text(content: str) -> str:
    parser = _TextParser()
    parser.feed(content)
    return normalise("".join(parser.parts))


def docx_text(document) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts += [cell.text for cell in unique_cells(row)]
    return normalise("\n".join(parts))


def unique_cells(row) -> list:
    """A row's cells, a merged cell once (python-docx repeats it for every grid column it spans)."""
    cells = []
    for cell in row.cells:
        if not cells or cell._tc is not cells[-1]._tc:
            cells.append(cell)
    return cells


def tables(document: dict) -> list[dict]:
    return [b for b in document["blocks"] if b["type"] == "table"]


def text_blocks(document: dict) -> str:
    """Everything the document says, as one normalised line (for checks on the document itself)."""
    parts = []
    for block in document["blocks"]:
        if block["type"] == "table":
            parts += [c["title"] for c in block["columns"]]
            parts += [cell for row in block["rows"] for cell in row["cells"]]
        elif block["type"] == "list":
            parts += block["items"]
        elif block["type"] == "signature":
            parts.append(" ".join(p for p in (block["prefix"], block["position"], block["name"]) if p))
        else:
            parts += [block.get("label", ""), block.get("text", "")]
    return normalise("\n".join(parts))


def contains_all(text: str, expected: list[str], where: str) -> None:
    missing = [e for e in expected if normalise(e) not in text]
    assert not missing, f"{where}: нет {missing}"


def in_order(text: str, expected: list[str], where: str) -> None:
    position = 0
    for item in expected:
        found = text.find(normalise(item), position)
        assert found >= 0, f"{where}: «{item}» не найдено после позиции {position}"
        position = found + len(normalise(item))


def test_saved_demo_reports_compose_the_documents_of_the_page_and_command_path(docs):
    """The demo's saved drafts (``services.report_document``) are the documents built here."""
    assert Report.objects.count() == 4
    for kind in KINDS:
        assert services.report_document(report=saved_report(kind)) == docs[kind], kind


# ---------------------------------------------------------------- seed 002: monitoring-report


def oktyabrsky_expected() -> list[str]:
    g = golden("seed_002_oktyabrsky.json")
    shares = [
        f"{item['published']} ({item['count']} из {g['denominators'][item['denominator']]})"
        for item in g["shares"]
    ]
    return [
        *shares,
        f"В мониторинге участвовали {g['organizations']} образовательных организаций из {g['organizations']}",
        f"100 % ({g['organizations_with_target_model']} из {g['organizations']})",
        "ПРИКАЗ № 16",
        "16.12.2022",
        "О проведении мониторинга реализации «дорожной карты» работы педагогов-наставников",
        "1. Провести данный мониторинг до 30.12.2022 года.",
        "Основание: Приказ отдела образования Администрации Октябрьского района № 195",
        "№ 16 от 16.12.2022",
        "Цель мониторинга:",
        "Результаты мониторинга",
    ]


# Seed 002's own words, compared without regard to case.
OKTYABRSKY_SEED_PHRASES = [
    "выявление количества участников, вовлеченных в наставничество в образовательных организациях, "
    "использующих разные формы наставничества.",
    "метод сбора информации: формализованный сбор статистических данных с применением электронных таблиц, "
    "работа с базами данных.",
    "методы обработки информации: формирование электронной базы эмпирических данных, анализ статистических "
    "данных, аналитический отчёт.",
    "в целях получения актуальной информации результатов реализации муниципальной программы/дорожной карты "
    "работы педагогов-наставников",
]


def test_monitoring_report_document_writes_the_shares_of_seed_002_with_no_break_spaces(docs):
    g = golden("seed_002_oktyabrsky.json")
    document = docs[Kind.MONITORING_REPORT]
    assert document["title"] == (
        "Аналитический отчёт о результатах мониторинга реализации «дорожной карты» работы "
        "педагогов-наставников"
    )
    assert document["running_header"].endswith("Октябрьский район")
    results = next(b for b in document["blocks"] if b["type"] == "list")
    for item in g["shares"]:
        share = f"{printed(item['published'])} ({item['count']} из {g['denominators'][item['denominator']]})"
        assert sum(text.endswith(f" — {share}") for text in results["items"]) == 1, share
    assert results["items"][0].endswith(f"100{NBSP}% (26 из 26)")
    # The order opens the report, on its own page.
    assert [b.get("text") for b in document["blocks"][1:3]] == ["16.12.2022", "ПРИКАЗ № 16"]
    assert document["blocks"][0]["text"].startswith("МАУ «Информационно-методический кабинет»")
    assert {"type": "page_break"} in document["blocks"]
    # The appendix: the municipality's 26 schools, each «принят».
    appendix = tables(document)[-1]
    assert len(appendix["rows"]) == g["organizations"]
    assert {row["cells"][3] for row in appendix["rows"]} == {"принят"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_monitoring_report_reproduces_seed_002(renders, fmt):
    text = renders.text(Kind.MONITORING_REPORT, fmt)
    contains_all(text, oktyabrsky_expected(), fmt)
    contains_all(text.lower(), OKTYABRSKY_SEED_PHRASES, fmt)
    # The order comes before the report, the shares in the seed's order (R1 … R5).
    g = golden("seed_002_oktyabrsky.json")
    in_order(
        text,
        ["ПРИКАЗ № 16", "Аналитический отчёт о результатах мониторинга"]
        + [f"{i['published']} ({i['count']} из" for i in g["shares"]],
        fmt,
    )


# ---------------------------------------------------------------- seed 003: roadmap-report

SMOLENSK_NUMBERS = [
    "1.1", "1.2.", "1.3",
    "2.1", "2.2", "2.4", "2.5",
    "3.1", "3.2", "3.3", "3.4", "3.5", "3.6", "3.9", "3.11",
    "4.1", "4.2", "4.3", "3.4",
]  # fmt: skip
SMOLENSK_COLUMNS = ["№ п/п", "Мероприятие", "Целевая аудитория", "Дата проведения", "Результат"]


def smolensk_expected() -> list[str]:
    g = golden("seed_003_smolensk_monitoring.json")
    contest = golden("seed_003_smolensk.json")["contest"]
    by_type = contest["by_org_type"]
    return [
        g["readiness"]["published"],  # 228 из 340, 67 %
        f"«{contest['title']}»",
        f"участников {contest['entries']} = "
        + " + ".join(str(by_type[t]) for t in ("preschool", "school", "additional")),
        "Информационная справка о промежуточных результатах",
        "Выводы",
        "Рекомендации",
        "Исп. Руководитель ЦНППМ Е.А. Белова",
    ]


def test_roadmap_report_document_groups_events_by_direction_with_their_numbers(docs):
    g = golden("seed_003_smolensk_monitoring.json")
    document = docs[Kind.ROADMAP_REPORT]
    plan = tables(document)[0]
    assert [c["title"] for c in plan["columns"]] == SMOLENSK_COLUMNS
    groups, numbers, per_group = [], [], []
    for row in plan["rows"]:
        if row["kind"] == "group":
            groups.append(row["cells"][0])
            per_group.append(0)
        else:
            numbers.append(row["cells"][0])
            per_group[-1] += 1
    assert numbers == SMOLENSK_NUMBERS
    assert [(name.split(".")[0], n) for name, n in zip(groups, per_group, strict=True)] == [
        tuple(row) for row in g["roadmap_directions"]
    ]
    contest = golden("seed_003_smolensk.json")["contest"]
    text = text_blocks(document)
    assert f"«{contest['title']}»" in text and "участников 26 = 10 + 15 + 1" in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_roadmap_report_reproduces_seed_003(renders, fmt):
    text = renders.text(Kind.ROADMAP_REPORT, fmt)
    contains_all(text, smolensk_expected(), fmt)
    assert normalise(" ".join(SMOLENSK_COLUMNS)) in renders.cells(Kind.ROADMAP_REPORT, fmt)
    if fmt == "pdf":
        # Reading order: each number on its own line of its cell, in the plan's order.
        lines = [line.strip() for line in renders.pdf_text(Kind.ROADMAP_REPORT, mode="reading").splitlines()]
        assert [line for line in lines if line in SMOLENSK_NUMBERS] == SMOLENSK_NUMBERS
    else:
        in_order(text, [f" {n} " for n in SMOLENSK_NUMBERS], fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_roadmap_report_writes_the_site_check_as_seed_003(renders, fmt):
    """Seed 003, 2.5: «254 из 340, 75 %» (not «74,7 % (254 из 340)»)."""
    g = golden("seed_003_smolensk_monitoring.json")["site_check"]
    assert g["published"] in renders.text(Kind.ROADMAP_REPORT, fmt)


# ---------------------------------------------------------------- seed 000: roadmap-note

BRYANSK_COLUMNS = ["№", "Мероприятия", "Цель", "Сроки", "Ответственный", "Ожидаемый результат"]
BRYANSK_SIGNATURE = "Исп. Зав. центром мониторинга и инновационной деятельности О.Г. Васильева"


def bryansk_events() -> list[tuple[str, str, str]]:
    """(number, «Сроки», responsible) of the eight events, as the demo stored them."""
    return [(e.number, e.timing_text, e.responsible) for e in bryansk().events.order_by("sort_order", "pk")]


def test_roadmap_note_lists_the_eight_events_of_seed_000(docs):
    g = golden("seed_000_bryansk.json")
    document = docs[Kind.ROADMAP_NOTE]
    assert document["title"].startswith(
        "Аналитическая справка по результатам реализации мероприятий по организации наставничества"
    )
    assert bryansk().title.startswith("Мероприятия по организации наставничества")
    events = bryansk_events()
    assert [n for n, _, _ in events] == [str(n) for n in range(1, g["events"] + 1)]
    assert [t for _, t, _ in events] == g["timings"]
    assert len({r for _, _, r in events}) == len(g["events_per_responsible"])
    plan = tables(document)[0]
    assert [c["title"] for c in plan["columns"]] == BRYANSK_COLUMNS
    assert [(r["cells"][0], r["cells"][3], r["cells"][4]) for r in plan["rows"]] == events
    by_responsible = tables(document)[1]
    assert [int(r["cells"][1]) for r in by_responsible["rows"]] == g["events_per_responsible"]
    assert [int(r["cells"][2]) for r in by_responsible["rows"]] == g["events_per_responsible"]
    headings = [b["text"] for b in document["blocks"] if b["type"] == "heading"]
    assert headings[-2:] == ["Выводы", "Рекомендации"]
    assert document["blocks"][-1] == {
        "type": "signature",
        "prefix": "Исп.",
        "position": "Зав. центром мониторинга и инновационной деятельности",
        "name": "О.Г. Васильева",
    }


@pytest.mark.parametrize("fmt", FORMATS)
def test_roadmap_note_reproduces_seed_000(renders, fmt):
    g = golden("seed_000_bryansk.json")
    text = renders.text(Kind.ROADMAP_NOTE, fmt)
    contains_all(
        text,
        [
            "Аналитическая справка по результатам реализации мероприятий по организации наставничества",
            "Цель — анализ эффективности запланированных мероприятий по реализации системы наставничества.",
            f"Выполнено мероприятий: {g['done']} из {g['events']}, 100 %.",
            "Выводы",
            "Рекомендации",
            BRYANSK_SIGNATURE,
        ],
        fmt,
    )
    in_order(text, ["Выводы", "Рекомендации", BRYANSK_SIGNATURE], fmt)
    # «Сроки» and «Ответственный» are neighbouring cells: each event's pair, in the plan's order.
    cells = renders.cells(Kind.ROADMAP_NOTE, fmt)
    contains_all(cells, BRYANSK_COLUMNS, fmt)
    in_order(cells, [f"{timing} {responsible}" for _, timing, responsible in bryansk_events()], fmt)


# ---------------------------------------------------------------- seed 001: school-note

SCHOOL_DOCUMENTS = [
    "«Положение о наставничестве» (положение) от 01.09.2020 — размещён на сайте",
    "«О внедрении целевой модели наставничества» (приказ) от 01.09.2020 — размещён на сайте",
    "«Целевая модель наставничества МБОУ «СОШ № 16»» (целевая модель) от 01.09.2020 — размещён на сайте",
    "«Дорожная карта внедрения целевой модели наставничества» (дорожная карта / план) от 01.09.2020 — "
    "размещён на сайте",
    "«О назначении куратора, наставников и утверждении наставнических пар» (приказ) от 14.09.2020 — "
    "размещён на сайте",
]


def test_school_note_document_of_seed_001(docs):
    document = docs[Kind.SCHOOL_NOTE]
    assert document["title"].endswith("в 2020/2021 учебном году")
    assert "МБОУ «СОШ № 16»" in document["title"]
    lists = [b for b in document["blocks"] if b["type"] == "list" and b["ordered"]]
    assert lists[0]["items"] == SCHOOL_DOCUMENTS
    events = tables(document)[-1]
    trend = [r["cells"] for r in events["rows"] if "тренд-сессия" in r["cells"][1]]
    assert len(trend) == 1
    assert trend[0][2] == "11.03.2021" and trend[0][4] == "48"
    assert "«Ставь на будущее»" in trend[0][1] and "48 человек из 15 организаций" in trend[0][3]
    assert all(r["cells"][3] for r in events["rows"])  # every event has its result
    assert "Решение" in [b["text"] for b in document["blocks"] if b["type"] == "heading"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_school_note_reproduces_seed_001(renders, fmt):
    text = renders.text(Kind.SCHOOL_NOTE, fmt)
    contains_all(
        text,
        [
            "Информационно-аналитическая справка о реализации наставничества в МБОУ «СОШ № 16»",
            "в 2020/2021 учебном году",
            f"Код ОО: {CURATOR_SCHOOL_CODE}",
            "Нормативно-правовые акты",
            *SCHOOL_DOCUMENTS,
            "11.03.2021",
            "Решение",
            "Все мероприятия «Дорожной карты» в 2020/2021 учебном году реализованы в полном объёме.",
            "Продолжить работу по реализации целевой модели наставничества в 2021/2022 учебном году.",
            "Директор школы Н.В. Смирнова",
        ],
        fmt,
    )
    in_order(text, SCHOOL_DOCUMENTS, fmt)
    cells = renders.cells(Kind.SCHOOL_NOTE, fmt)
    contains_all(cells, ["Районная тренд-сессия «Ставь на будущее»", "Приняли участие 48 человек из 15"], fmt)


# ---------------------------------------------------------------- DOCX: the same tables


@pytest.mark.parametrize("kind", KINDS)
def test_docx_holds_the_tables_of_the_document(docs, renders, kind):
    document = docs[kind]
    blocks = tables(document)
    word = renders.docx(kind)
    assert len(word.tables) == len(blocks)
    for block, table in zip(blocks, word.tables, strict=True):
        assert len(table.rows) == 1 + len(block["rows"])  # the header, then the rows
        assert [c.text for c in table.rows[0].cells] == [c["title"] for c in block["columns"]]
    first, table = blocks[0], word.tables[0]
    width = len(first["columns"])
    for row, word_row in zip(first["rows"], table.rows[1:], strict=True):
        cells = unique_cells(word_row)
        if row["kind"] == "group":
            # One merged cell over the whole width.
            assert len(word_row._tr.tc_lst) == 1 and word_row._tr.tc_lst[0].grid_span == width
            assert [c.text for c in cells] == row["cells"]
        else:
            # Figures unbroken (reports.unbroken): «10‑11» with U+2011, a range «a–b», «67 %».
            expected = [unbroken.text(c) for c in (row["cells"] + [""] * width)[:width]]
            assert [c.text for c in cells] == expected
    assert word.core_properties.title == document["title"]
    assert word.sections[0].header.paragraphs[0].text == document["running_header"]


# ---------------------------------------------------------------- PDF pages as images

# The page with the kind's main figures or table.
PAGE_TO_LOOK_AT = {
    Kind.MONITORING_REPORT: 2,
    Kind.ROADMAP_REPORT: 1,
    Kind.ROADMAP_NOTE: 1,
    Kind.SCHOOL_NOTE: 1,
}


@pytest.mark.parametrize("kind", KINDS)
def test_pdf_page_renders_to_a_readable_png(renders, tmp_path, kind):
    page = PAGE_TO_LOOK_AT[kind]
    out = tmp_path / f"{kind}-{page}"
    subprocess.run(
        ["pdftoppm", "-r", "50", "-png", "-f", str(page), "-l", str(page), "-singlefile",
         str(renders.pdf(kind)), str(out)],
        check=True,
    )  # fmt: skip
    png = out.with_suffix(".png")
    assert png.is_file()
    with Image.open(png) as image:
        gray = image.convert("L")
        width, height = gray.size
        assert (width, height) == pytest.approx((413, 585), abs=2)  # A4 at 50 dpi
        low, high = gray.getextrema()
        assert low < 80 and high > 240  # ink on paper, not a blank (or black) page
        dark = sum(gray.histogram()[:128])
        assert 0.005 < dark / (width * height) < 0.5
    PAGES_DIR.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(png, PAGES_DIR / png.name)


@pytest.mark.parametrize("kind", KINDS)
def test_pdf_pages_after_the_first_carry_the_running_header(docs, renders, kind):
    """Every page but the first names the territory at the top (the DOCX header does)."""
    page_two = normalise(renders.pdf_text(kind, page=2))
    assert page_two.startswith(normalise(docs[kind]["running_header"])), page_two[:120]


# ---------------------------------------------------------------- publishing freezes a version


def version_pdf_text(job: ReportFile, folder: Path) -> str:
    path = folder / "version.pdf"
    path.write_bytes(bytes(job.content))
    return normalise(pdftotext(path))


def test_published_roadmap_note_keeps_its_events_after_the_road_map_changes(demo, tmp_path):
    """A region's report: the file is queued, the worker renders it; the road map changes afterwards."""
    operator = user("operator")
    report = saved_report(Kind.ROADMAP_NOTE)
    version = services.report_publish(report=report, user=operator)
    assert version.number == 1 and version.published_by == operator
    data, document = copy.deepcopy(version.data), copy.deepcopy(version.document)
    assert document == services.report_document(report=report)

    job = services.report_file_request(report=report, fmt="pdf", user=operator, version=version)
    assert job.status == ReportFile.Status.QUEUED  # a region's report goes to the worker
    job = services.report_file_run(job_id=job.pk)
    assert job.status == ReportFile.Status.DONE and job.pages >= 1
    assert job.file_name.endswith(f", версия 1 {timezone.localdate(version.published_at):%d.%m.%Y}.pdf")
    content = bytes(job.content)

    # The registry moves on: an event renamed and handed to someone else, a ninth event planned.
    event = bryansk().events.get(number="1")
    old_title = event.title
    event.title = "Региональный конкурс инновационных площадок (новая редакция)"
    event.responsible = "А.А. Новикова"
    event.save()
    RoadMapEvent.objects.create(
        roadmap=bryansk(),
        number="9",
        title="Итоговая конференция наставников",
        timing_text="Май 2021 года",
        responsible="А.А. Новикова",
        sort_order=90,
    )

    version.refresh_from_db()
    assert version.data == data and version.document == document
    draft = services.report_document(report=report)
    assert draft != document
    draft_text, version_text = text_blocks(draft), text_blocks(document)
    assert "(новая редакция)" in draft_text and "(новая редакция)" not in version_text
    assert "Выполнено мероприятий: 8 из 9, 89 %." in normalise(draft_text)
    assert "Выполнено мероприятий: 8 из 8, 100 %." in normalise(version_text)

    again = services.report_file_request(report=report, fmt="pdf", user=operator, version=version)
    assert again.pk == job.pk and bytes(again.content) == content
    assert version.files.count() == 1
    text = version_pdf_text(again, tmp_path)
    assert "Выполнено мероприятий: 8 из 8, 100 %." in text
    assert "(новая редакция)" not in text and "А.А. Новикова" not in text
    cells = normalise(pdftotext(tmp_path / "version.pdf", mode="raw"))
    assert f"{old_title} Структурное и содержательное" in cells
    assert "Ноябрь 2020 года О.Г. Васильева" in cells


def test_published_monitoring_report_keeps_its_shares_after_a_figure_changes(demo, tmp_path):
    """A municipality's report: the file is rendered in the request; a school's figure changes afterwards."""
    coordinator = user("coordinator")
    report = saved_report(Kind.MONITORING_REPORT)
    version = services.report_publish(report=report, user=coordinator)
    data, document = copy.deepcopy(version.data), copy.deepcopy(version.document)
    job = services.report_file_request(report=report, fmt="pdf", user=coordinator, version=version)
    assert job.status == ReportFile.Status.DONE  # small: rendered at once
    content = bytes(job.content)
    old = f"7,3{NBSP}% (30 из 410)"
    assert normalise(old) in text_blocks(document)

    # Five more mentors of young specialists in one school's accepted answer: 35 of 410, 8,5 %.
    value = SubmissionValue.objects.filter(
        submission__campaign=oktyabrsky_campaign(), figure="mentors:teacher_teacher", value__gt=0
    ).first()
    assert value is not None
    value.value += 5
    value.save()

    assert normalise(f"8,5{NBSP}% (35 из 410)") in text_blocks(services.report_document(report=report))
    version.refresh_from_db()
    assert version.data == data and version.document == document
    again = services.report_file_request(report=report, fmt="pdf", user=coordinator, version=version)
    assert again.pk == job.pk and bytes(again.content) == content
    text = version_pdf_text(again, tmp_path)
    assert "7,3 % (30 из 410)" in text and "35 из 410" not in text


@pytest.mark.parametrize("kind", KINDS)
def test_file_names_fit_a_file_system(docs, kind):
    """A version's file name, Cyrillic and all, within the 255 bytes a name may take on ext4 (UTF-8)."""
    for fmt in FORMATS:
        name = render.file_name(docs[kind]["title"], fmt, on=datetime.date(2026, 11, 24), version=12)
        assert len(name.encode("utf-8")) <= 255, name
        assert name.endswith(f", версия 12 24.11.2026.{fmt}")


# ---------------------------------------------------------------- manage.py build_report


def command_args(kind: str) -> list[str]:
    return {
        Kind.MONITORING_REPORT: ["--municipality", OKTYABRSKY_CODE, "--campaign", OKTYABRSKY_TITLE],
        Kind.ROADMAP_REPORT: ["--roadmap", str(smolensk().pk)],
        Kind.ROADMAP_NOTE: ["--roadmap", bryansk().title],
        Kind.SCHOOL_NOTE: ["--organization", CURATOR_SCHOOL_CODE, "--as-of", f"{SCHOOL_NOTE_AS_OF:%d.%m.%Y}"],
    }[kind]


EXPECTED_BY_COMMAND = {
    Kind.MONITORING_REPORT: ["ПРИКАЗ № 16", "7,3 % (30 из 410)", "25,4 % (1270 из 5000)"],
    Kind.ROADMAP_REPORT: ["228 из 340, 67 %", "участников 26 = 10 + 15 + 1", "3.11"],
    Kind.ROADMAP_NOTE: ["Ноябрь 2020 года", "Выполнено мероприятий: 8 из 8, 100 %."],
    Kind.SCHOOL_NOTE: ["в 2020/2021 учебном году", "11.03.2021", "Решение"],
}


@pytest.mark.parametrize("kind", KINDS)
def test_build_report_writes_each_kind_with_the_figures_of_its_seed(demo, docs, tmp_path, kind):
    output = tmp_path / f"{kind}.html"
    out = io.StringIO()
    call_command("build_report", kind, "--output", str(output), *command_args(kind), stdout=out)
    text = html_text(output.read_text(encoding="utf-8"))
    contains_all(text, EXPECTED_BY_COMMAND[kind], kind)
    assert docs[kind]["title"] in out.getvalue() and f"Записано: {output}" in out.getvalue()
    assert normalise(docs[kind]["title"]) in text
    assert Report.objects.count() == 4  # nothing saved


def test_build_report_writes_a_pdf(demo, tmp_path):
    output = tmp_path / "справка.pdf"
    out = io.StringIO()
    call_command("build_report", Kind.SCHOOL_NOTE, "--output", str(output), *command_args(Kind.SCHOOL_NOTE),
                 stdout=out)  # fmt: skip
    assert output.read_bytes().startswith(b"%PDF")
    assert re.search(r"страниц: \d+", out.getvalue())
    text = normalise(pdftotext(output))
    contains_all(text, ["в 2020/2021 учебном году", *SCHOOL_DOCUMENTS], "pdf")


def build_report_error(tmp_path, *args) -> CommandError:
    output = tmp_path / "out.pdf"
    with pytest.raises(CommandError) as caught:
        call_command("build_report", *args, "--output", str(output), stdout=io.StringIO())
    assert caught.value.returncode != 0
    assert not output.exists()
    return caught.value


def test_build_report_refuses_an_unknown_municipality(demo, tmp_path):
    error = build_report_error(tmp_path, Kind.MONITORING_REPORT, "--municipality", "M99")
    assert str(error) == "Муниципалитет с таким кодом не найден или недоступен."


def test_build_report_refuses_an_unfinished_campaign_and_names_it(demo, tmp_path):
    current = Campaign.objects.get(municipality__code=OKTYABRSKY_CODE, status=Campaign.Status.OPEN)
    error = build_report_error(
        tmp_path, Kind.MONITORING_REPORT, "--municipality", OKTYABRSKY_CODE, "--campaign", str(current.pk)
    )
    assert f"«{current.title}»" in str(error) and "ещё не завершён" in str(error)


def test_build_report_refuses_an_impossible_date(demo, tmp_path):
    error = build_report_error(
        tmp_path, Kind.SCHOOL_NOTE, "--organization", CURATOR_SCHOOL_CODE, "--as-of", "31.02.2020"
    )
    assert "31.02.2020" in str(error) and "ДД.ММ.ГГГГ" in str(error)


# ---------------------------------------------------------------- the draft names the weakest


def test_the_draft_names_the_municipalities_with_the_lowest_shares_of_the_site_check(demo):
    """Seed 003, 2.5 on the demo region: the draft of the region's monitoring report names the three
    municipalities with the lowest share of schools with the «положение» on their site (R7), counted
    here straight from the schools' answers, and recommends them the methodists' help."""
    campaign = Campaign.objects.get(municipality__isnull=True, title=SMOLENSK_SITE_CHECK["title"])
    report = resolve(user("operator"), Kind.MONITORING_REPORT, campaign=campaign)
    draft = narrative.draft(Kind.MONITORING_REPORT, builders.build(report))
    answers = (
        SubmissionValue.objects.filter(submission__campaign=campaign, figure="regulation_on_site")
        .values("submission__municipality__name")
        .annotate(yes=Sum("value"), schools=Count("submission"))
    )
    by_share = sorted(
        (Fraction(a["yes"], a["schools"]), a["submission__municipality__name"], a["yes"], a["schools"])
        for a in answers
    )
    assert len(by_share) > 3 and by_share[0][0] < by_share[-1][0]  # the shares differ
    weakest = by_share[:3]
    names = [f"{name} ({share(yes, schools)})" for _, name, yes, schools in weakest]
    r7 = Indicator.objects.get(code="R7").name
    assert (
        f"Наименьшие значения показателя «{r7}»: {names[0]}, {names[1]} и {names[2]}." in draft["conclusions"]
    )
    a, b, c = (name for _, name, _, _ in weakest)
    assert (
        f"Оказать методическую помощь муниципалитетам с наименьшими значениями показателей: {a}, {b} и {c}."
        in draft["recommendations"].split("\n")
    )
    # Completeness names nobody: every school of the site check answered.
    assert "Наименьшая полнота" not in draft["conclusions"]
