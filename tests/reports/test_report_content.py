"""What the reports print beyond the counts: an event's participants and links, figures and date ranges
that a narrow column never cuts inside (PDF and DOCX), the order's text on the monitoring report's first
page, and the reconciliation of the schools' reported figures with the registry's."""

import datetime
import io
import re
import shutil
import subprocess

import docx
import pytest
from django.utils import timezone

from monitoring import campaigns as svc
from monitoring import indicators
from monitoring.models import RoadMap, RoadMapEvent
from registry.models import school_year_of
from reports import builders, documents, narrative, render, unbroken
from reports.models import Kind
from reports.sources import resolve
from tests import factories as f

pytestmark = pytest.mark.django_db
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils absent")

# Long ranges as the road maps write them (monitoring/timing.py): a hyphen between two dates.
TIMINGS = [
    "16.12.2025-25.12.2025",
    "24.01-31.01.2026 21.02-24.03.2026",
    "01.09.2025-31.05.2026",
    "Ноябрь 2025 года",
]
LINK = "https://school.example.ru/news/2025-12-16-seminar/"


@pytest.fixture
def roadmap(municipality):
    roadmap = RoadMap.objects.create(
        title="Муниципальный план наставничества",
        level=RoadMap.Level.MUNICIPALITY,
        region=municipality.region,
        municipality=municipality,
        period_start=datetime.date(2025, 9, 1),
        period_end=datetime.date(2026, 8, 31),
    )
    for n, timing in enumerate(TIMINGS, start=1):
        RoadMapEvent(
            roadmap=roadmap,
            direction="Методическое сопровождение",
            number=f"1.{n}",
            title=f"Семинар-практикум для кураторов наставничества № {n}",
            goal="Повышение профессиональных компетенций педагогов-наставников",
            timing_text=timing,
            responsible="И.И. Иванова, методист",
            expected_result="Проведён семинар",
            result="Проведён семинар" if n < 4 else "",
            participants=87 if n == 1 else None,
            links=LINK if n == 1 else "",
            status=RoadMapEvent.Status.DONE if n < 4 else RoadMapEvent.Status.PLANNED,
            sort_order=n,
        ).save()
    return roadmap


def compose(kind, **source) -> dict:
    report = resolve(None, kind, **source)
    data = builders.build(report)
    draft = narrative.draft(kind, data)
    return documents.compose(kind, data, draft)


def raw_text(pdf: bytes, tmp_path) -> str:
    """The PDF's text in the order written, WeasyPrint's hyphenation (U+2010 at a line end) undone."""
    path = tmp_path / "raw.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    )
    return " ".join(out.stdout.decode().replace("\u2010\n", "").split())


def layout_lines(pdf: bytes, tmp_path) -> list[str]:
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    )
    return out.stdout.decode().splitlines()


FIGURE = re.compile(r"\d[\d.]*\d|\d")


def cut_figures(lines: list[str], texts: list[str]) -> list[tuple[str, str]]:
    """(line, figure) for every figure of the PDF's lines that is not a whole figure of the source
    texts: a date cut at a line's end («16.12.2025-2» / «5.12.2025») leaves a piece that is not one."""
    whole = {m for text in texts for m in FIGURE.findall(text)}
    return [(line, m) for line in lines for m in FIGURE.findall(line) if m not in whole]


# ---------------------------------------------------------------- participants and links


def test_the_road_map_report_prints_the_participants_and_the_links(roadmap):
    document = compose(Kind.ROADMAP_REPORT, roadmap=roadmap)
    events = next(b for b in document["blocks"] if b["type"] == "table")  # the events by direction
    rows = [r for r in events["rows"] if r["kind"] == "row"]
    first = next(r for r in rows if r["cells"][0] == "1.1")
    assert first["cells"][4] == f"Проведён семинар\nучастников: 87\n{LINK}"
    # Unknown participants print nothing, not «участников: 0».
    assert all("участников" not in r["cells"][4] for r in rows if r["cells"][0] != "1.1")


@needs_poppler
def test_participants_and_the_link_reach_the_pdf_and_the_docx_as_written(roadmap, tmp_path):
    document = compose(Kind.ROADMAP_REPORT, roadmap=roadmap)
    pdf, _ = render.render(document, "pdf")
    assert "участников: 87" in raw_text(pdf, tmp_path)
    word = docx.Document(io.BytesIO(render.render(document, "docx")[0]))
    cells = [c.text for t in word.tables for r in t.rows for c in r.cells]
    # The address keeps its ASCII hyphens (a U+2011 in a link would break it when copied).
    assert any(cell.endswith(LINK) and "участников: 87" in cell for cell in cells)


# ---------------------------------------------------------------- figures unbroken


def test_figures_are_split_so_that_only_a_ranges_dash_breaks():
    assert unbroken.pieces("16.12.2025-25.12.2025") == [
        ("16.12.2025", True),
        ("–", False),
        ("25.12.2025", True),
    ]
    assert unbroken.text("24.01-31.01.2026 21.02-24.03.2026") == "24.01–31.01.2026 21.02–24.03.2026"
    assert unbroken.text("10-11 классы, 67 %") == "10\u201111 классы, 67\u00a0%"
    assert unbroken.text(LINK) == LINK
    assert str(unbroken.html("<b>16.12.2025-25.12.2025</b>")) == (
        '&lt;b&gt;<span class="fig">16.12.2025</span>–<span class="fig">25.12.2025</span>&lt;/b&gt;'
    )


@needs_poppler
@pytest.mark.parametrize("kind", [Kind.ROADMAP_NOTE, Kind.ROADMAP_REPORT])
def test_no_date_is_cut_at_a_line_end_in_the_pdf(roadmap, kind, tmp_path):
    """The «Сроки» column (12 % of the page in the note) holds «16.12.2025-25.12.2025»: it breaks
    after the dash, never inside a date (it printed «16.12.2025-2» / «5.12.2025» before)."""
    document = compose(kind, roadmap=roadmap)
    # The charts' axes print figures of their own (0, 1, 2): the tables are what is checked here.
    document["blocks"] = [b for b in document["blocks"] if b["type"] != "chart"]
    pdf, _ = render.render(document, "pdf")
    lines = layout_lines(pdf, tmp_path)
    texts = [
        str(cell)
        for b in document["blocks"]
        if b["type"] == "table"
        for r in b["rows"]
        for cell in r["cells"]
    ]
    texts += [b.get("text", "") for b in document["blocks"]]
    texts += [i for b in document["blocks"] if b["type"] == "list" for i in b["items"]]
    texts += [document["running_header"], "стр. 1 из 2 3 4 5 6 7 8 9"]
    assert cut_figures(lines, texts) == []
    (tmp_path / f"{kind}.pdf").write_bytes(pdf)


@pytest.mark.parametrize("kind", [Kind.ROADMAP_NOTE, Kind.ROADMAP_REPORT])
def test_the_docx_cells_hold_no_breakable_hyphen_or_space_inside_a_figure(roadmap, kind):
    document = compose(kind, roadmap=roadmap)
    word = docx.Document(io.BytesIO(render.render(document, "docx")[0]))
    runs = [
        run.text for t in word.tables for r in t.rows for c in r.cells for p in c.paragraphs for run in p.runs
    ]
    timings = [text for text in runs if "2026" in text or "2025" in text]
    assert "16.12.2025–25.12.2025" in timings
    assert "24.01–31.01.2026 21.02–24.03.2026" in timings
    for text in runs:
        if LINK in text:
            text = text.replace(LINK, "")  # an address keeps its hyphens
        # No ASCII hyphen (breakable) between digits, no plain space before «%».
        assert not re.search(r"\d[-\u2010]\d|\d %", text), text


# ---------------------------------------------------------------- a monitoring report


@pytest.fixture
def campaign(coordinator, curator, municipality, school, neighbour_school):
    """A closed municipal campaign: ``school`` registered one pair «учитель – учитель» and reports
    three (two not yet in the registry), the neighbour reports what the registry says."""
    as_of = timezone.localdate() - datetime.timedelta(days=7)
    for org in (school, neighbour_school):
        f.make_headcount(
            organization=org, school_year=school_year_of(as_of), teachers=40, young_specialists=4
        )
        f.make_mentorship(organization=org, start_date=as_of - datetime.timedelta(days=60))
    campaign = svc.campaign_create(
        user=coordinator,
        municipality=municipality,
        indicators=["R1", "R2"],
        title="Мониторинг реализации целевой модели наставничества",
        organizer="МКУ «Информационно-методический центр»",
        basis_number="16",
        basis_date=as_of,
        basis_title="О проведении мониторинга",
        basis_text="В целях получения актуальной информации\nПРИКАЗЫВАЮ:\n"
        "1. Провести мониторинг с 16.12.2025.",
        period_start=as_of,
        period_end=timezone.localdate() + datetime.timedelta(days=14),
        as_of_date=as_of,
        deadline=timezone.localdate() + datetime.timedelta(days=7),
    )
    campaign = svc.campaign_open(user=coordinator, campaign=campaign)
    svc.submission_submit(
        user=curator,
        submission=campaign.submissions.get(organization=school),
        values={"mentors:teacher_teacher": {"value": 3, "comment": "Две пары ещё не внесены в реестр"}},
    )
    neighbour = campaign.submissions.get(organization=neighbour_school)
    neighbour_curator = f.make_user("curator2", role="curator", organization=neighbour_school)
    svc.submission_submit(user=neighbour_curator, submission=neighbour, values={})
    return svc.campaign_close(user=coordinator, campaign=campaign)


def test_the_reconciliation_lists_a_school_reporting_more_pairs_than_it_registered(
    campaign, municipality, school
):
    data = builders.build(resolve(None, Kind.MONITORING_REPORT, municipality=municipality.code))
    figure = indicators.catalogue()["mentors:teacher_teacher"].name
    assert data["reconciliation"] == [
        {
            "organization": str(school),
            "municipality": municipality.name,
            "figure": figure,
            "reported": 3,
            "registry": 1,
            "difference": 2,
            "comment": "Две пары ещё не внесены в реестр",
        }
    ]
    document = documents.compose(Kind.MONITORING_REPORT, data, {})
    index = next(i for i, b in enumerate(document["blocks"]) if b.get("text") == "Сверка с данными реестра")
    table = document["blocks"][index + 2]
    assert [r["cells"] for r in table["rows"]] == [
        [str(school), municipality.name, figure, "3", "1", "+2", "Две пары ещё не внесены в реестр"]
    ]


@needs_poppler
def test_the_order_text_and_the_reconciliation_reach_the_pdf_and_the_docx(
    campaign, municipality, school, tmp_path
):
    data = builders.build(resolve(None, Kind.MONITORING_REPORT, municipality=municipality.code))
    document = documents.compose(Kind.MONITORING_REPORT, data, {})
    pdf, pages = render.render(document, "pdf")
    path = tmp_path / "m.pdf"
    path.write_bytes(pdf)
    first_page = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    ).stdout.decode()
    # The order's page: its title and its text, then the report on the next page.
    assert "ПРИКАЗ № 16" in first_page and "О проведении мониторинга" in first_page
    assert "ПРИКАЗЫВАЮ:" in first_page and "Провести мониторинг с 16.12.2025." in first_page
    text = raw_text(pdf, tmp_path)
    assert "Сверка с данными реестра" in text and "Две пары ещё не внесены в реестр" in text
    assert f"стр. 2 из {pages}" in text
    word = docx.Document(io.BytesIO(render.render(document, "docx")[0]))
    body = "\n".join(p.text for p in word.paragraphs)
    assert "ПРИКАЗЫВАЮ:" in body and "Провести мониторинг с 16.12.2025." in body
    rows = [[c.text for c in r.cells] for t in word.tables for r in t.rows]
    assert any(
        r[0] == str(school).replace("№ ", "№\xa0")
        and r[5] == "+2"
        and r[6] == "Две пары ещё не внесены в реестр"
        for r in rows
    )
    footer = word.sections[0].footer.paragraphs[0]
    assert [i.text.strip() for i in footer._p.xpath(".//w:instrText")] == ["PAGE", "NUMPAGES"]
    assert footer.text.startswith("стр. ") and " из " in footer.text
