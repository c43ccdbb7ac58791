"""Reports end to end on a small region: sources refuse what does not fit, hostile text stays text in
every format, the draft narrative follows the figures, and a worker-rendered file equals the click."""

import datetime
import io
import json
import shutil
import subprocess
import zipfile

import docx
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from monitoring.models import RoadMap, RoadMapEvent
from reports import builders, documents, narrative, render, services
from reports.models import Kind, Report, ReportFile
from reports.sources import ReportError, resolve

pytestmark = pytest.mark.django_db
HOSTILE = '<img src="file:///etc/passwd"><link rel="attachment" href="file:///etc/passwd">'
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils absent")


@pytest.fixture
def roadmap(municipality):
    roadmap = RoadMap.objects.create(
        title="Муниципальный план наставничества",
        level=RoadMap.Level.MUNICIPALITY,
        region=municipality.region,
        municipality=municipality,
        period_start=datetime.date(2022, 9, 1),
        period_end=datetime.date(2023, 8, 31),
    )
    for n, (title, timing, status) in enumerate(
        [
            (HOSTILE, "Ноябрь 2022", RoadMapEvent.Status.DONE),
            ("Семинар для кураторов", "Январь 2023", RoadMapEvent.Status.DONE),
            ("Конкурс «Наставник года»", "Март 2023", RoadMapEvent.Status.NOT_DONE),
        ],
        start=1,
    ):
        RoadMapEvent(
            roadmap=roadmap,
            number=str(n),
            title=title,
            timing_text=timing,
            responsible="И.И. Иванова",
            status=status,
            sort_order=n,
        ).save()
    return roadmap


def text_of(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True)
    return " ".join(out.stdout.replace("\u2010\n", "").replace("-\n", "-").split())


def test_sources_refuse_what_does_not_fit(coordinator, other_coordinator, roadmap, other_municipality):
    with pytest.raises(ReportError, match="организацию"):
        resolve(None, Kind.SCHOOL_NOTE)
    with pytest.raises(ReportError, match="Неизвестный вид"):
        resolve(None, "annual-report")
    with pytest.raises(ReportError, match="не найден"):
        resolve(None, Kind.ROADMAP_NOTE, roadmap="Нет такой карты")
    # A coordinator of another municipality cannot even find the road map (scoped like a 404).
    with pytest.raises(ReportError, match="не найден"):
        resolve(other_coordinator, Kind.ROADMAP_NOTE, roadmap=str(roadmap.pk))
    report = resolve(coordinator, Kind.ROADMAP_NOTE, roadmap=roadmap.title)
    assert report.roadmap == roadmap and report.municipality == roadmap.municipality


def test_hostile_event_title_is_text_in_html_pdf_and_docx(roadmap, tmp_path):
    report = resolve(None, Kind.ROADMAP_NOTE, roadmap=str(roadmap.pk))
    document = services.report_document(report=report)
    html = render.to_html(document)
    assert "&lt;img src=&quot;file:///etc/passwd&quot;&gt;" in html
    assert '<img src="file:' not in html and "root:x:0:0" not in html
    docx_bytes = render.to_docx(document)
    cells = [c.text for t in docx.Document(io.BytesIO(docx_bytes)).tables for r in t.rows for c in r.cells]
    assert HOSTILE in cells
    if shutil.which("pdftotext"):
        pdf, pages = render.to_pdf(document)
        assert pages >= 1 and b"/EmbeddedFile" not in pdf
        text = "".join(text_of(pdf, tmp_path).split())  # a narrow cell breaks the URL anywhere
        assert 'src="file:///etc/passwd">' in text and "root:x:0:0" not in text


def test_draft_names_the_events_not_done_and_the_share(roadmap):
    report = resolve(None, Kind.ROADMAP_NOTE, roadmap=str(roadmap.pk))
    data = builders.build(report)
    assert data["execution"] == {
        **data["execution"],
        "planned": 3,
        "done": 2,
    }
    draft = narrative.draft(Kind.ROADMAP_NOTE, data)
    assert "выполнено 2 из 3 мероприятий (67\xa0%)" in draft["conclusions"]
    assert "3 Конкурс «Наставник года»" in draft["recommendations"]
    # Everything done: the draft says so instead.
    RoadMapEvent.objects.filter(roadmap=roadmap).update(status=RoadMapEvent.Status.DONE)
    draft = narrative.draft(Kind.ROADMAP_NOTE, builders.build(report))
    assert "все запланированные мероприятия выполнены (3 из 3, 100\xa0%)" in draft["conclusions"]
    assert "Завершить невыполненные" not in draft["recommendations"]


@needs_poppler
def test_a_queued_file_renders_the_document_of_the_click(roadmap, operator, settings, tmp_path):
    settings.REPORT_INLINE_MAX_ROWS = 0  # every file goes to the worker
    report = services.report_create(
        report=resolve(operator, Kind.ROADMAP_NOTE, roadmap=str(roadmap.pk)), user=operator
    )
    job = services.report_file_request(report=report, fmt="pdf", user=operator)
    assert job.status == ReportFile.Status.QUEUED and job.document is not None
    # The registry changes before the worker runs: the file still shows what was clicked.
    RoadMapEvent.objects.filter(roadmap=roadmap, number="2").update(title="Переименованное мероприятие")
    job = services.report_file_run(job_id=job.pk)
    assert job.status == ReportFile.Status.DONE and job.document is None
    text = text_of(bytes(job.content), tmp_path)
    assert "Семинар для кураторов" in text and "Переименованное" not in text
    assert job.file_name.startswith("Аналитическая справка") and job.file_name.endswith(".pdf")


def test_too_large_is_refused_with_a_russian_message(roadmap, settings):
    settings.REPORT_MAX_TABLE_ROWS = 2
    report = resolve(None, Kind.ROADMAP_NOTE, roadmap=str(roadmap.pk))
    with pytest.raises(services.TooLarge, match="Сузьте территорию"):
        services.report_check_size(document=services.report_document(report=report))


def test_build_report_command_writes_each_format(roadmap, tmp_path):
    for fmt in ("html", "docx"):
        out = tmp_path / f"note.{fmt}"
        call_command("build_report", "roadmap-note", "--roadmap", str(roadmap.pk), "--output", str(out))
        content = out.read_bytes()
        if fmt == "html":
            assert "Семинар для кураторов" in content.decode()
        else:
            assert zipfile.is_zipfile(io.BytesIO(content))
    with pytest.raises(CommandError, match="Муниципалитет с таким кодом"):
        call_command(
            "build_report", "roadmap-note", "--municipality", "NOPE", "--output", str(tmp_path / "x.pdf")
        )
    with pytest.raises(CommandError, match="не дата"):
        call_command(
            "build_report", "school-note", "--as-of", "31.02.2020", "--output", str(tmp_path / "x.pdf")
        )


def test_document_shares_come_from_counts():
    data_indicator = {"numerator": 228, "denominator": 340}
    assert documents.indicator_text(data_indicator) == "67,1\xa0% (228 из 340)"
    assert documents.pct(254, 340) == pytest.approx(74.70588, rel=1e-4)


def test_a_source_chosen_in_the_form_must_belong_to_the_territory(
    operator, roadmap, other_municipality, school
):
    """A model instance from the form is looked up again within the report's territory."""
    with pytest.raises(ReportError, match="не относится к этой территории"):
        resolve(operator, Kind.ROADMAP_NOTE, municipality=other_municipality, roadmap=roadmap)
    # Campaign and contest figures are a municipality's: not offered under a school's name.
    with pytest.raises(ReportError, match="справка ОО"):
        resolve(operator, Kind.ROADMAP_REPORT, organization=school.code, roadmap=str(roadmap.pk))


def test_a_file_no_worker_took_up_is_interrupted_and_can_be_requested_again(roadmap, operator, settings):
    settings.REPORT_INLINE_MAX_ROWS = 0
    report = services.report_create(
        report=resolve(operator, Kind.ROADMAP_NOTE, roadmap=str(roadmap.pk)), user=operator
    )
    version = services.report_publish(report=report, user=operator)
    job = services.report_file_request(report=report, fmt="docx", user=operator, version=version)
    assert job.status == ReportFile.Status.QUEUED
    # Asked again while queued: the same job, not a second rendering.
    assert (
        services.report_file_request(report=report, fmt="docx", user=operator, version=version).pk == job.pk
    )
    ReportFile.objects.filter(pk=job.pk).update(
        created_at=job.created_at - datetime.timedelta(seconds=settings.REPORT_QUEUE_TIMEOUT_SECONDS + 1)
    )
    again = services.report_file_request(report=report, fmt="docx", user=operator, version=version)
    job.refresh_from_db()
    assert job.status == ReportFile.Status.INTERRUPTED and again.pk != job.pk
    assert (
        services.report_file_run(job_id=job.pk).status == ReportFile.Status.INTERRUPTED
    )  # a late worker leaves it
    assert services.report_file_run(job_id=again.pk).status == ReportFile.Status.DONE


def test_a_file_that_ends_after_the_reaper_keeps_interrupted(roadmap, operator, settings, monkeypatch):
    """The reaper gave up on a silent worker; the worker ends after all: «прерван» stays, no file."""
    settings.REPORT_INLINE_MAX_ROWS = 0
    report = services.report_create(
        report=resolve(operator, Kind.ROADMAP_NOTE, roadmap=str(roadmap.pk)), user=operator
    )
    job = services.report_file_request(report=report, fmt="docx", user=operator)
    real_render = render.render

    def slow_render(*args, **kwargs):
        result = real_render(*args, **kwargs)
        ReportFile.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - datetime.timedelta(hours=1))
        assert services.report_files_reap() == 1
        return result

    monkeypatch.setattr(render, "render", slow_render)
    job = services.report_file_run(job_id=job.pk)
    assert (job.status, job.get_status_display(), job.content) == ("interrupted", "прерван", None)
    assert job.error == "Прерван: обработчик не ответил. Запросите файл ещё раз."


def test_publishing_twice_gives_two_versions_with_the_text_saved_at_each(roadmap, operator):
    source = resolve(operator, Kind.ROADMAP_NOTE, roadmap=str(roadmap.pk))
    report = services.report_create(report=source, user=operator)
    stale = Report.objects.get(pk=report.pk)
    Report.objects.filter(pk=report.pk).update(conclusions="Исправленные выводы.")
    first = services.report_publish(
        report=stale, user=operator
    )  # the caller's copy is old; the saved text wins
    second = services.report_publish(report=report, user=operator)
    assert (first.number, second.number) == (1, 2)
    assert "Исправленные выводы." in json.dumps(first.document, ensure_ascii=False)


def test_two_editors_of_the_text_lose_nothing_silently(roadmap, operator, coordinator):
    report = services.report_create(
        report=resolve(operator, Kind.ROADMAP_NOTE, roadmap=str(roadmap.pk)), user=operator
    )
    values = {name: getattr(report, name) for name in services.NARRATIVE_FIELDS}
    first = services.report_save_text(
        report=report, expected_version=1, **{**values, "conclusions": "Выводы оператора."}
    )
    assert first.version == 2
    with pytest.raises(services.StaleText, match="изменил другой пользователь"):
        services.report_save_text(
            report=report, expected_version=1, **{**values, "conclusions": "Выводы координатора."}
        )
    report.refresh_from_db()
    assert report.conclusions == "Выводы оператора." and report.history.count() == 2


def test_a_redraft_moves_the_text_version_on_from_the_saved_row_not_from_a_stale_copy(roadmap, operator):
    source = resolve(operator, Kind.ROADMAP_NOTE, roadmap=str(roadmap.pk))
    report = services.report_create(report=source, user=operator)
    stale = Report.objects.get(pk=report.pk)  # the redraft request loaded the report at version 1
    values = {name: getattr(report, name) for name in services.NARRATIVE_FIELDS}
    services.report_save_text(
        report=report, expected_version=1, **{**values, "conclusions": "Выводы оператора."}
    )
    redrafted = services.report_redraft(report=stale)
    assert redrafted.version == 3
    # A form opened at version 2, before the redraft, cannot save over it unnoticed.
    with pytest.raises(services.StaleText):
        services.report_save_text(
            report=report, expected_version=2, **{**values, "conclusions": "Старый текст."}
        )
    report.refresh_from_db()
    assert report.version == 3 and report.conclusions == redrafted.conclusions != "Выводы оператора."


def test_old_draft_files_are_purged_and_a_versions_files_kept(roadmap, operator, settings):
    source = resolve(operator, Kind.ROADMAP_NOTE, roadmap=str(roadmap.pk))
    report = services.report_create(report=source, user=operator)
    version = services.report_publish(report=report, user=operator)
    draft = services.report_file_request(report=report, fmt="html", user=operator)
    kept = services.report_file_request(report=report, fmt="html", user=operator, version=version)
    old = timezone.now() - datetime.timedelta(days=settings.REPORT_DRAFT_FILE_DAYS + 1)
    ReportFile.objects.filter(pk__in=[draft.pk, kept.pk]).update(created_at=old)
    services.report_file_request(report=report, fmt="docx", user=operator)  # any request tidies up
    assert not ReportFile.objects.filter(pk=draft.pk).exists()
    assert ReportFile.objects.filter(pk=kept.pk).exists()
