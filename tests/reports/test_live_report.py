"""The monitoring report from the live registry as of a date (reports/sources.py, builders.py,
documents.py; docs/domain.md §6.1): without a finished campaign the command and the form build it,
its source said under the title and in its tables; a finished campaign stays the default."""

import datetime
import io
import shutil
import subprocess

import docx
import pytest
from django.core.management import call_command
from django.utils import timezone

from monitoring import campaigns as svc
from monitoring import live
from reports.forms import NewReportForm
from reports.models import Kind
from reports.sources import resolve
from tests import factories as f

pytestmark = pytest.mark.django_db
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils absent")
D = datetime.date
AS_OF = D(2022, 12, 16)


def flat(text: str) -> str:
    return " ".join(text.replace("\xa0", " ").split())


def pdf_text(path) -> str:
    out = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True)
    return flat(out.stdout.replace("\u2010\n", "").replace("-\n", "-"))


def docx_text(path) -> str:
    document = docx.Document(io.BytesIO(path.read_bytes()))
    parts = [p.text for p in document.paragraphs]
    parts += [c.text for t in document.tables for r in t.rows for c in r.cells]
    return flat(" ".join(parts))


@pytest.fixture
def schools(municipality, other_municipality):
    """Three schools of the municipality with young teachers mentored (2 of 3, 1 of 6, 0 of 2) and a
    school of the neighbour; a pair started after the date does not count."""
    made = [
        f.make_organization(municipality=municipality, short_name=name, full_name=f"МБОУ «{name}»")
        for name in ("СОШ № 2", "СОШ № 10", "СОШ № 3")
    ]
    for school, young, pairs in zip(made, (3, 6, 2), (2, 1, 0), strict=True):
        f.make_headcount(organization=school, teachers=30, young_specialists=young)
        for _ in range(pairs):
            f.make_mentorship(organization=school)
    f.make_mentorship(organization=made[2], start_date=D(2023, 1, 10))
    neighbour = f.make_organization(municipality=other_municipality, short_name="Лицей № 1")
    f.make_headcount(organization=neighbour, teachers=40, young_specialists=4)
    f.make_mentorship(organization=neighbour)
    return made


def shares(report, row=None):
    row = row or report.total
    return {code: flat(value.counts.share()) for code, value in row.values.items()}


@needs_poppler
def test_a_municipality_without_a_campaign_is_reported_from_the_registry(schools, municipality, tmp_path):
    expected = live.live_indicators(municipality=municipality, as_of=AS_OF)
    assert shares(expected)["F3"] == "27,3 %"  # 3 of 11
    out = tmp_path / "report.pdf"
    call_command(
        "build_report", "monitoring-report", "--municipality", municipality.code, "--as-of", "16.12.2022",
        "--output", str(out),
    )  # fmt: skip
    text = pdf_text(out)
    assert "по данным реестра на 16.12.2022" in text
    assert "Источник: реестр, по данным реестра на 16.12.2022" in text
    assert "Нет завершённого мониторинга" not in text and "приняли участие" not in text
    for value in shares(expected).values():
        assert value in text
    assert "27,3 % (3 из 11)" in text
    # School by school, in natural order (the table's narrow cells are read from the DOCX).
    assert [row.name for row in expected.rows] == ["СОШ № 2", "СОШ № 3", "СОШ № 10"]
    assert text.index("СОШ № 2 ") < text.index("СОШ № 3 ") < text.index("СОШ № 10 ")

    out = tmp_path / "report.docx"
    call_command(
        "build_report", "monitoring-report", "--municipality", municipality.code, "--as-of", "16.12.2022",
        "--output", str(out),
    )  # fmt: skip
    text = docx_text(out)
    assert "по данным реестра на 16.12.2022" in text and "27,3 % (3 из 11)" in text
    for row in expected.rows:  # each school's shares in the catalogue's order (F1, F2, F3, …)
        values = shares(expected, row)
        assert f"{row.name} {values['F1']} {values['F2']} {values['F3']}" in text


def test_the_region_variant_has_a_row_per_municipality(schools, region, tmp_path):
    expected = live.live_indicators(region=region, as_of=AS_OF)
    out = tmp_path / "region.docx"
    call_command("build_report", "monitoring-report", "--as-of", "16.12.2022", "--output", str(out))
    text = docx_text(out)
    assert "по данным реестра на 16.12.2022" in text
    assert "Показатели по муниципалитетам" in text
    for row in expected.rows:
        assert row.name in text
        assert shares(expected, row)["F3"] in text
    assert shares(expected)["F3"] == "26,7 %"  # 4 of 15 with the neighbour's lyceum


def test_without_a_date_nor_a_campaign_the_registry_of_today(schools, coordinator):
    report = resolve(coordinator, Kind.MONITORING_REPORT)
    assert report.campaign is None and report.as_of == timezone.localdate()


def test_the_form_builds_from_the_registry_on_its_date(schools, coordinator, municipality):
    form = NewReportForm(
        data={"kind": Kind.MONITORING_REPORT, "municipality": municipality.pk, "as_of": "16.12.2022"},
        user=coordinator,
        kind=Kind.MONITORING_REPORT,
    )
    assert form.is_valid(), form.errors
    assert form.report.campaign is None and form.report.as_of == AS_OF


def test_a_finished_campaign_stays_the_default_source(schools, coordinator, municipality, tmp_path):
    campaign = svc.campaign_create(
        user=coordinator,
        municipality=municipality,
        indicators=["F3"],
        title="Мониторинг наставничества молодых педагогов",
        period_start=AS_OF,
        period_end=D(2022, 12, 30),
        as_of_date=AS_OF,
        deadline=D(2022, 12, 30),
    )
    moment = timezone.make_aware(datetime.datetime(2022, 12, 16, 12))
    svc.campaign_open(user=coordinator, campaign=campaign, at=moment)
    svc.campaign_close(user=coordinator, campaign=campaign, at=moment + datetime.timedelta(days=20))
    report = resolve(None, Kind.MONITORING_REPORT, municipality=municipality.code)
    assert report.campaign == campaign
    out = tmp_path / "campaign.docx"
    call_command(
        "build_report", "monitoring-report", "--municipality", municipality.code, "--output", str(out)
    )
    text = docx_text(out)
    assert "молодых педагогов" in text and "по данным реестра" not in text
