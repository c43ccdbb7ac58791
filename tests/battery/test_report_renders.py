"""Report files are rendered once per content, and one user's renders are limited.

- Twenty clicks on an unchanged draft's PDF (or DOCX, or HTML file) give one file, rendered once:
  one ``ReportFile`` row, one «report file …, N bytes» line of the renderer, the same bytes each time.
- A changed text renders anew; the text changed back is the first file again.
- Beyond ``REPORT_RENDERS_PER_MINUTE`` new renders a minute a user gets 429 in Russian with
  ``Retry-After``: no row, no render, nothing queued; an already rendered file is still given.
- Two identical requests at once (two threads, two database connections) render once; on PostgreSQL
  the unique content fingerprint makes the second insert wait for the first and take its file.
A file is shared only within its report: a stranger to the report's territory still gets 404 for the
render and the download (tests/reports/test_report_views.py, strangers).

Renders are counted by what they leave behind (rows, files, the renderer's log line), not by mocks.

Second battery, #74 of docs/reliability.md §5.
"""

import datetime
import logging
import re
import shutil
import subprocess
import threading

import pytest
from django.db import connection, connections
from django.db.models.signals import pre_save
from django.urls import resolve as resolve_url
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from monitoring.models import RoadMap, RoadMapEvent
from reports import services
from reports.models import Kind, Report, ReportFile
from reports.sources import resolve
from tests import factories as f

pytestmark = pytest.mark.django_db

RENDERED = re.compile(r"report file \S+: (pdf|docx|html), \d+ bytes")


def roadmap_of(municipality, title="Муниципальный план наставничества") -> RoadMap:
    roadmap = RoadMap.objects.create(
        title=title,
        level=RoadMap.Level.MUNICIPALITY,
        region=municipality.region,
        municipality=municipality,
        basis_number="16",
        basis_date=datetime.date(2020, 9, 1),
        basis_title="Приказ об утверждении дорожной карты",
    )
    for number, event in enumerate(["Совещание руководителей ОО", "Семинар наставников"], start=1):
        RoadMapEvent.objects.create(
            roadmap=roadmap,
            number=f"1.{number}",
            title=event,
            goal="Развитие наставничества",
            timing_text="Ноябрь 2020 года",
            responsible="ИМК",
            expected_result="Проведено",
            status=RoadMapEvent.Status.DONE,
            sort_order=number,
        )
    return roadmap


def note_of(user, roadmap) -> Report:
    return services.report_create(report=resolve(user, Kind.ROADMAP_NOTE, roadmap=str(roadmap.pk)), user=user)


@pytest.fixture
def report(coordinator, municipality):
    return note_of(coordinator, roadmap_of(municipality))


@pytest.fixture
def region_report(operator, region):
    roadmap = RoadMap.objects.create(title="Региональный план", level=RoadMap.Level.REGION, region=region)
    return services.report_create(
        report=resolve(operator, Kind.ROADMAP_NOTE, roadmap=str(roadmap.pk)), user=operator
    )


def file_url(report, fmt="pdf") -> str:
    return reverse("reports:report-file", args=[report.pk, fmt])


def narrative(report, **overrides) -> dict:
    data = {
        "version": Report.objects.get(pk=report.pk).version,
        "title": report.title,
        "conclusions": report.conclusions,
        "recommendations": report.recommendations,
        "signature_position": report.signature_position,
        "signature_name": report.signature_name,
    }
    data.update(overrides)
    return data


def renders(caplog) -> list[str]:
    """The formats of the files the renderer finished (its «report file …, N bytes» log lines)."""
    return [m.group(1) for r in caplog.records if (m := RENDERED.search(r.getMessage()))]


def downloaded(response) -> ReportFile:
    assert response.status_code == 302, response.status_code
    match = resolve_url(response.url)
    assert match.view_name == "reports:file-download", response.url
    return ReportFile.objects.get(pk=match.kwargs["pk"])


@pytest.mark.parametrize("fmt", ["pdf", "docx", "html"])
def test_twenty_clicks_on_an_unchanged_draft_render_it_once(client_for, report, coordinator, caplog, fmt):
    caplog.set_level(logging.INFO, logger="reports.services")
    client = client_for(coordinator)
    files = {downloaded(client.post(file_url(report, fmt))).pk for _ in range(20)}
    assert len(files) == 1
    assert ReportFile.objects.filter(report=report).count() == 1
    assert renders(caplog) == [fmt]
    first = client.get(reverse("reports:file-download", args=[files.pop()]))
    again = downloaded(client.post(file_url(report, fmt)))
    assert client.get(reverse("reports:file-download", args=[again.pk])).content == first.content


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils absent")
def test_a_changed_text_renders_anew_and_the_old_text_is_the_old_file(
    client_for, report, coordinator, caplog, tmp_path
):
    caplog.set_level(logging.INFO, logger="reports.services")
    client = client_for(coordinator)
    first = downloaded(client.post(file_url(report)))
    detail = reverse("reports:detail", args=[report.pk])
    original = narrative(report)
    client.post(detail, narrative(report, conclusions="Выводы пересмотрены после совещания."))
    second = downloaded(client.post(file_url(report)))
    assert second.pk != first.pk and renders(caplog) == ["pdf", "pdf"]
    pdf = tmp_path / "second.pdf"
    pdf.write_bytes(client.get(reverse("reports:file-download", args=[second.pk])).content)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True)
    assert "Выводы пересмотрены после совещания." in " ".join(text.stdout.decode().split())
    # Clicked again: the second file, not a third render.
    assert downloaded(client.post(file_url(report))).pk == second.pk
    # The text put back as it was: the same content as the first file, which is given again.
    client.post(detail, {**original, "version": Report.objects.get(pk=report.pk).version})
    assert downloaded(client.post(file_url(report))).pk == first.pk
    assert renders(caplog) == ["pdf", "pdf"]
    assert ReportFile.objects.filter(report=report).count() == 2


def test_over_the_render_limit_the_answer_is_429_in_russian_and_nothing_is_rendered(
    client_for, report, coordinator, caplog, settings
):
    settings.REPORT_RENDERS_PER_MINUTE = 3
    caplog.set_level(logging.INFO, logger="reports.services")
    client = client_for(coordinator)
    for fmt in ("pdf", "docx", "html"):
        downloaded(client.post(file_url(report, fmt)))
    client.post(reverse("reports:detail", args=[report.pk]), narrative(report, title="Новая справка"))

    response = client.post(file_url(report, "pdf"))
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    page = response.content.decode()
    assert "Слишком много запросов файлов отчётов: не более 3 формирований в минуту." in page
    assert f"Повторите запрос через {response['Retry-After']} с." in page
    assert ReportFile.objects.count() == 3 and renders(caplog) == ["pdf", "docx", "html"]
    # Another user is not held back by this one's limit.
    colleague = f.make_user("coordinator2", role="coordinator", municipality=report.municipality)
    assert downloaded(client_for(colleague).post(file_url(report, "pdf"))).created_by == colleague
    assert renders(caplog) == ["pdf", "docx", "html", "pdf"]


def test_a_file_already_rendered_is_given_beyond_the_limit(client_for, report, coordinator, settings):
    settings.REPORT_RENDERS_PER_MINUTE = 1
    client = client_for(coordinator)
    done = downloaded(client.post(file_url(report, "pdf")))
    assert client.post(file_url(report, "docx")).status_code == 429
    assert downloaded(client.post(file_url(report, "pdf"))).pk == done.pk


def test_over_the_limit_a_region_report_is_not_queued(client_for, region_report, operator, settings):
    settings.REPORT_RENDERS_PER_MINUTE = 1
    client = client_for(operator)
    assert client.post(file_url(region_report, "pdf")).status_code == 302
    assert DBTaskResult.objects.count() == 1
    response = client.post(file_url(region_report, "docx"))
    assert response.status_code == 429 and "Retry-After" in response
    assert DBTaskResult.objects.count() == 1 and ReportFile.objects.count() == 1
    # The queued PDF clicked again is the same queued file (its progress page), not a second job.
    again = client.post(file_url(region_report, "pdf"))
    assert again.url == reverse("reports:file", args=[ReportFile.objects.get().pk])
    assert DBTaskResult.objects.count() == 1


def test_a_published_versions_file_is_limited_too(client_for, report, coordinator, settings):
    settings.REPORT_RENDERS_PER_MINUTE = 1
    client = client_for(coordinator)
    client.post(reverse("reports:publish", args=[report.pk]))
    pdf = downloaded(client.post(reverse("reports:version-file", args=[report.pk, 1, "pdf"])))
    docx = client.post(reverse("reports:version-file", args=[report.pk, 1, "docx"]))
    assert docx.status_code == 429 and "Retry-After" in docx
    assert "не более 1 формирований в минуту" in docx.content.decode()
    again = client.post(reverse("reports:version-file", args=[report.pk, 1, "pdf"]))
    assert downloaded(again).pk == pdf.pk and ReportFile.objects.count() == 1


def _click_at_once(report, users, fmt="pdf"):
    """``report_file_request`` of ``report`` by each user in its own thread and database connection, the
    inserts of their file rows held at a barrier until every thread reaches it (or two seconds pass:
    a thread waiting on a lock never reaches it)."""
    barrier = threading.Barrier(len(users), timeout=2)
    arrived = threading.local()
    results, errors = [], []

    def hold(sender, instance, **kwargs):
        if instance._state.adding and not getattr(arrived, "done", False):
            arrived.done = True
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                pass

    def click(user):
        try:
            results.append(services.report_file_request(report=report, fmt=fmt, user=user))
        except Exception as error:  # reported by the test below
            errors.append(error)
        finally:
            connections.close_all()

    pre_save.connect(hold, sender=ReportFile, dispatch_uid="click-at-once")
    try:
        threads = [threading.Thread(target=click, args=(user,)) for user in users]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        pre_save.disconnect(sender=ReportFile, dispatch_uid="click-at-once")
    assert not errors, errors
    return results


# serialized_rollback: the flush after this test leaves the database empty for the next transactional
# test to restore the migrations' rows, whatever test follows on this worker (docs/architecture.md §11).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
@pytest.mark.parametrize("who", ["two users", "one user twice"])
def test_identical_clicks_at_once_render_once(report, coordinator, operator, caplog, who):
    caplog.set_level(logging.INFO, logger="reports.services")
    users = [coordinator, operator] if who == "two users" else [coordinator, coordinator]
    results = _click_at_once(report, users)
    assert len(results) == 2 and results[0].pk == results[1].pk
    assert ReportFile.objects.filter(report=report).count() == 1
    assert renders(caplog) == ["pdf"]
