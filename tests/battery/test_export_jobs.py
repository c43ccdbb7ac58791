"""List exports too long for the request go to the task worker; the request stays short.

Fifty concurrent exports of a region's pairs ran in the request one after another and slowed
every other page. A list of more than ``EXPORT_INLINE_MAX_ROWS`` rows is queued (nothing written
in the request) and written by the worker as its owner, with the scope read there; its page shows
a progress bar and then the download, which only the owner gets. Each user has at most
``EXPORT_MAX_CONCURRENT_PER_USER`` exports waiting or running; a further one is refused with a
Russian 429 and nothing is queued. Abandoned jobs are reaped and finished files expire.

Second battery, #73 of docs/reliability.md §5.
"""

import datetime
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from mentoring_portal.models import AccessLogEntry
from registry import export_jobs
from registry.models import ExportJob, UserScope
from tests import factories as f
from tests.registry import factories_mentorships as fm
from tests.registry.factories_people import make_member

pytestmark = pytest.mark.django_db


PAIRS = reverse("registry:mentorship-list")
MENTORS = reverse("registry:mentor-list")


@pytest.fixture
def pairs(school, neighbour_school, other_school):
    """Five pairs in the coordinator's municipality (three of them active), one in another."""
    made = []
    for organization, status in [
        (school, "active"),
        (school, "active"),
        (school, "draft"),
        (neighbour_school, "active"),
        (neighbour_school, "draft"),
        (other_school, "active"),
    ]:
        mentor = fm.person(organization=organization)
        made.append(f.make_mentorship(organization=organization, mentor_person=mentor, status=status))
    return made


def sheet(content: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


def table(content: bytes) -> list[tuple]:
    """The header and the rows: what follows the title, «Выгрузил …» line and the empty row."""
    return sheet(content)[3:]


def queued(client, path) -> ExportJob:
    response = client.get(path)
    assert response.status_code == 302, response.status_code
    job = ExportJob.objects.get(pk=response["Location"].rstrip("/").split("/")[-1])
    assert response["Location"] == reverse("registry:export-job", args=[job.pk])
    return job


def test_a_long_list_is_queued_and_the_worker_writes_the_rows_of_the_inline_export(
    client_for, coordinator, pairs, settings
):
    query = "?status=active&format=xlsx"
    client = client_for(coordinator)
    settings.EXPORT_INLINE_MAX_ROWS = 100
    inline = client.get(PAIRS + query)
    assert inline.status_code == 200 and ExportJob.objects.count() == 0  # short lists: as before
    assert inline["Cache-Control"] == "private, no-store"

    settings.EXPORT_INLINE_MAX_ROWS = 2
    job = queued(client, PAIRS + query)
    # Nothing of the file in the request: the list's address and filters, the owner, a place in the queue.
    assert (job.status, job.content, job.size, job.created_by) == ("queued", None, 0, coordinator)
    assert (job.path, job.query, job.title) == (PAIRS, "status=active&format=xlsx", "Наставнические пары")
    page = client.get(reverse("registry:export-job", args=[job.pk]))
    assert page["Cache-Control"] == "no-store"
    assert 'id="job-progress"' in page.content.decode() and "Ожидает обработчика" in page.content.decode()
    assert f'<a id="export-back" href="{PAIRS}?status=active">' in page.content.decode()  # not exported again

    job = export_jobs.run_job(job_id=job.pk)
    assert job.status == "done" and job.rows_done == job.rows_total == 3 and job.progress == 100
    download = client.get(reverse("registry:export-job-download", args=[job.pk]))
    assert download.status_code == 200
    assert download["Cache-Control"] == "private, no-store"
    assert "filename*=utf-8''" in download["Content-Disposition"]
    assert table(download.content) == table(inline.content)
    assert len(table(download.content)) == 1 + 3  # the header and the municipality's three active pairs
    who = sheet(download.content)[1][0]
    assert who.startswith(f"Выгрузил: {coordinator.username}, ") and "152-ФЗ" in who
    assert AccessLogEntry.objects.filter(
        action=AccessLogEntry.Action.DOWNLOAD, object_type="registry.exportjob", object_id=str(job.pk)
    ).exists()
    body = client.get(reverse("registry:export-job", args=[job.pk])).content.decode()
    assert 'id="export-download"' in body and 'id="job-progress"' not in body


def test_the_people_list_goes_to_the_worker_too(client_for, curator, school, settings):
    for i in range(3):
        make_member(organization=school, base="mentors", full_name=f"Наставник {i}")
    client = client_for(curator)
    inline = client.get(MENTORS + "?format=xlsx")
    settings.EXPORT_INLINE_MAX_ROWS = 1
    job = export_jobs.run_job(job_id=queued(client, MENTORS + "?format=xlsx").pk)
    assert job.status == "done"
    download = client.get(reverse("registry:export-job-download", args=[job.pk]))
    assert table(download.content) == table(inline.content) and len(table(download.content)) == 4


def test_a_list_that_gives_no_count_is_measured_by_its_rows(client_for, coordinator, pairs, settings):
    """The organizations' export gives no ``total``: the request reads rows up to the limit plus one."""
    client = client_for(coordinator)
    organizations = reverse("registry:organization-list")
    inline = client.get(organizations + "?format=xlsx")
    assert len(table(inline.content)) == 1 + 2  # the header, the school and its neighbour
    settings.EXPORT_INLINE_MAX_ROWS = 2
    assert client.get(organizations + "?format=xlsx").status_code == 200  # exactly the limit: inline
    settings.EXPORT_INLINE_MAX_ROWS = 1
    job = export_jobs.run_job(job_id=queued(client, organizations + "?format=xlsx").pk)
    assert job.status == "done" and job.rows_done == 2 and job.title == "Организации"
    assert table(bytes(job.content)) == table(inline.content)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_task_worker_runs_the_queued_export(client_for, curator, pairs, settings):
    settings.EXPORT_INLINE_MAX_ROWS = 1
    client = client_for(curator)
    job = queued(client, PAIRS + "?format=xlsx")
    call_command("db_worker", "--batch", verbosity=0)  # django-tasks-db's worker, all queued tasks
    job.refresh_from_db()
    assert job.status == "done" and job.rows_done == 3
    status = client.get(reverse("registry:export-job-status", args=[job.pk])).json()
    assert status == {**status, "running": False, "percent": 100, "label": "готов", "done": 3, "total": 3}


def test_nobody_but_the_owner_sees_the_job_or_its_file(
    client_for, coordinator, other_coordinator, curator, operator, admin_user, pairs, settings
):
    settings.EXPORT_INLINE_MAX_ROWS = 1
    job = export_jobs.run_job(job_id=queued(client_for(coordinator), PAIRS + "?format=xlsx").pk)
    assert job.status == "done"
    for user in (other_coordinator, curator, operator, admin_user):
        client = client_for(user)
        for name in ("export-job", "export-job-status", "export-job-download"):
            assert client.get(reverse(f"registry:{name}", args=[job.pk])).status_code == 404, (user, name)
    client = client_for(coordinator)
    assert client.get(reverse("registry:export-job-download", args=[job.pk])).status_code == 200


def test_the_worker_reads_the_scope_again_not_the_one_at_the_click(
    client_for, coordinator, pairs, other_municipality, settings
):
    settings.EXPORT_INLINE_MAX_ROWS = 1
    job = queued(client_for(coordinator), PAIRS + "?format=xlsx")
    # While the job waits, the coordinator is moved to another municipality.
    UserScope.objects.filter(user=coordinator).update(municipality=other_municipality)
    job = export_jobs.run_job(job_id=job.pk)
    assert job.status == "done"
    rows = table(bytes(job.content))[1:]
    assert {row[1] for row in rows} == {pairs[5].organization.code}  # only the new municipality's pair


def test_a_job_of_a_deactivated_account_is_not_written(client_for, coordinator, pairs, settings):
    settings.EXPORT_INLINE_MAX_ROWS = 1
    job = queued(client_for(coordinator), PAIRS + "?format=xlsx")
    coordinator.is_active = False
    coordinator.save()
    job = export_jobs.run_job(job_id=job.pk)
    assert job.status == "failed" and job.content is None and "нет доступа" in job.error


def test_the_export_beyond_the_users_limit_is_refused_and_nothing_is_queued(
    client_for, coordinator, pairs, settings
):
    settings.EXPORT_INLINE_MAX_ROWS = 1
    settings.EXPORT_MAX_CONCURRENT_PER_USER = 2
    client = client_for(coordinator)
    first = queued(client, PAIRS + "?format=xlsx")
    queued(client, PAIRS + "?status=active&format=xlsx")
    refused = client.get(PAIRS + "?status=draft&format=xlsx")
    assert refused.status_code == 429
    assert refused["Cache-Control"] == "no-store"
    body = refused.content.decode()
    assert "У вас уже формируются выгрузки: 2 из 2 возможных одновременно" in body
    assert reverse("registry:export-job", args=[first.pk]) in body
    assert ExportJob.objects.count() == 2
    # A short list is still answered at once, and a finished job frees its place.
    assert client.get(PAIRS + "?format=xlsx&q=нет такого").status_code == 200
    export_jobs.run_job(job_id=first.pk)
    queued(client, PAIRS + "?status=draft&format=xlsx")
    assert ExportJob.objects.count() == 3


def test_abandoned_jobs_are_reaped_and_finished_files_expire(client_for, coordinator, pairs, settings):
    settings.EXPORT_INLINE_MAX_ROWS = 1
    client = client_for(coordinator)
    never_taken = queued(client, PAIRS + "?format=xlsx")
    worker_died = queued(client, PAIRS + "?status=active&format=xlsx")
    long_ago = timezone.now() - datetime.timedelta(hours=settings.EXPORT_FILE_HOURS + 1)
    ExportJob.objects.filter(pk=never_taken.pk).update(created_at=long_ago)
    ExportJob.objects.filter(pk=worker_died.pk).update(status="running", heartbeat_at=long_ago)
    status = client.get(reverse("registry:export-job-status", args=[worker_died.pk])).json()
    assert status["running"] is False and status["label"] == "прерван"
    never_taken.refresh_from_db()
    assert never_taken.status == "interrupted"
    assert export_jobs.run_job(job_id=never_taken.pk).status == "interrupted"  # a late worker leaves it alone
    done = export_jobs.run_job(job_id=queued(client, PAIRS + "?status=draft&format=xlsx").pk)
    assert done.status == "done"
    ExportJob.objects.filter(pk=done.pk).update(created_at=long_ago)
    call_command("purge_exports", verbosity=0)
    assert not ExportJob.objects.filter(pk__in=[done.pk, never_taken.pk]).exists()
    assert ExportJob.objects.filter(pk=worker_died.pk).exists()  # interrupted lately: still listed


def test_an_export_that_ends_after_the_reaper_keeps_interrupted(
    client_for, curator, pairs, settings, monkeypatch
):
    """The reaper gave up on a silent worker; the worker ends after all: «прерван» stays, no file."""
    settings.EXPORT_INLINE_MAX_ROWS = 1
    job = queued(client_for(curator), PAIRS + "?format=xlsx")
    write_workbook = export_jobs.exports.workbook_bytes

    def slow_write(**kwargs):
        content = write_workbook(**kwargs)
        ExportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - datetime.timedelta(hours=1))
        assert export_jobs.reap_stale_jobs() == 1
        return content

    monkeypatch.setattr(export_jobs.exports, "workbook_bytes", slow_write)
    job = export_jobs.run_job(job_id=job.pk)
    assert (job.status, job.get_status_display(), job.content) == ("interrupted", "прерван", None)
    assert job.error == "Прерван: обработчик не ответил. Запросите выгрузку ещё раз."


def test_the_worker_reports_its_progress_row_by_row(client_for, curator, pairs, settings, monkeypatch):
    settings.EXPORT_INLINE_MAX_ROWS = 1
    client = client_for(curator)
    job = queued(client, PAIRS + "?format=xlsx")
    status = client.get(reverse("registry:export-job-status", args=[job.pk])).json()
    assert status == {**status, "running": True, "label": "в очереди", "percent": 0}
    monkeypatch.setattr(export_jobs, "PROGRESS_EVERY", 0)  # every row, not twice a second
    with CaptureQueriesContext(connection) as queries:
        export_jobs.run_job(job_id=job.pk)
    stages = [
        stage
        for query in queries.captured_queries
        if query["sql"].startswith('UPDATE "registry_exportjob"')
        for stage in ("Записано строк: 0 из 3", "Записано строк: 1 из 3", "Записано строк: 2 из 3")
        if stage in query["sql"]
    ]
    # The bar moves while the rows are written (the page polls these), the total read beforehand.
    assert stages == ["Записано строк: 0 из 3", "Записано строк: 1 из 3", "Записано строк: 2 из 3"]


def workbook_sheets(content: bytes) -> dict[str, list[tuple]]:
    """Every data sheet of a registry workbook (the last one, «Сведения о выгрузке», holds the moment)."""
    book = load_workbook(io.BytesIO(content), read_only=True)
    return {
        sheet.title: list(sheet.iter_rows(values_only=True))
        for sheet in book.worksheets
        if sheet.title != "Сведения о выгрузке"
    }


def test_a_large_registry_workbook_is_written_by_the_worker_too(
    client_for, curator, other_curator, pairs, school, settings
):
    client = client_for(curator)
    url = reverse("registry:workbook-export")
    inline = client.get(url)
    assert inline.status_code == 200 and ExportJob.objects.count() == 0
    settings.EXPORT_INLINE_MAX_ROWS = 2  # the school has three pairs and six people
    job = queued(client, url)
    assert job.content is None and job.title.startswith("Реестр наставничества — ")
    job = export_jobs.run_job(job_id=job.pk)
    assert job.status == "done" and job.file_name.startswith("Реестр наставничества — ")
    download = client.get(reverse("registry:export-job-download", args=[job.pk]))
    assert download["Cache-Control"] == "private, no-store"
    sheets = workbook_sheets(download.content)
    assert sheets == workbook_sheets(inline.content)
    assert {row[0] for row in sheets["Наставнические пары"][1:]} == {school.code}
    assert (
        client_for(other_curator).get(reverse("registry:export-job-download", args=[job.pk])).status_code
        == 404
    )
