"""Import jobs: an uploaded workbook is checked (dry run), confirmed, then imported — inline or in the worker.

The same ``run_job`` runs in a request (small workbooks), in the django-tasks worker (large
ones) and behind ``manage.py import_workbook``. Its lifecycle (queue, progress, failure, reaper)
is the common one of ``registry.jobs`` (docs/architecture.md §6). While the import's transaction
is open on PostgreSQL the progress goes through a second connection, so the page sees the bar move
although nothing of the import is visible yet. A job whose worker died stops reporting and is
marked «прерван» (``reap_stale_jobs``): the transaction died with the worker, so nothing was
written; an import whose job was reaped while it ran rolls back instead of committing.
"""

import hashlib
import logging
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from common.uploads import save_file

from . import jobs, tasks
from .models import ImportJob
from .workbook.engine import import_workbook
from .workbook.safety import WorkbookRejected, inspect_workbook

log = logging.getLogger(__name__)

TOO_LARGE = "Файл больше {limit}: разделите книгу на несколько файлов (например, по муниципалитетам)."
NOT_CHECKED = "Загрузить можно только проверенный файл без ошибок."
CHANGED = "Файл изменился после проверки: загрузите его заново."
DATABASE_LOST = (
    "Импорт прерван: соединение с базой данных потеряно, ничего не сохранено. "
    "Запустите загрузку снова, когда база данных будет доступна."
)
CHECK_DATABASE_LOST = (
    "Проверка прервана: соединение с базой данных потеряно. "
    "Запустите проверку снова, когда база данных будет доступна."
)
INTERNAL = "Внутренняя ошибка: ничего не записано. Сообщите администратору портала."


def size_label(*, size: int) -> str:
    if size < 1024 * 1024:
        return f"{max(size // 1024, 1)} КБ"
    return f"{size / 1024 / 1024:.0f} МБ"


def too_large_message() -> str:
    return TOO_LARGE.format(limit=size_label(size=settings.IMPORT_MAX_UPLOAD_BYTES))


def _sha256(file) -> str:
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in iter(lambda: file.read(1024 * 1024), b""):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def create_job(*, upload, user, file_name: str | None = None) -> ImportJob:
    """Record an upload, refuse it at once if the file itself is wrong, else keep it for the dry run."""
    name = Path(file_name or getattr(upload, "name", "") or "книга.xlsx").name[:255]
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, 2)
        size = upload.tell()
        upload.seek(0)
    job = ImportJob(created_by=user, file_name=name, file_size=size, file_sha256="")
    if size > settings.IMPORT_MAX_UPLOAD_BYTES:
        return _reject(job, too_large_message())
    job.file_sha256 = _sha256(upload)
    try:
        scans = inspect_workbook(upload)
    except WorkbookRejected as rejected:
        return _reject(job, rejected.message)
    job.rows = sum(max(scan.last_data_row - 1, 0) for scan in scans.values())
    save_file(job.file, name, File(upload))  # DiskFull: nothing stored, no job recorded
    job.save()
    return job


def _reject(job: ImportJob, message: str) -> ImportJob:
    job.status = ImportJob.Status.REJECTED
    job.check_report = {"sheets": [], "errors": [message], "warnings": [], "committed": False, "rows": 0}
    job.finished_at = timezone.now()
    job.save()
    return job


def is_inline(*, job: ImportJob) -> bool:
    return job.rows <= settings.IMPORT_INLINE_MAX_ROWS


def start(*, job: ImportJob, commit: bool) -> None:
    """Run the dry run (or, once confirmed, the import) now if the file is small, else queue it."""
    jobs.queue(
        job,
        commit_requested=commit,
        stage="Ожидает обработчика",
        progress_done=0,
        progress_total=max(job.rows, 1),
    )
    tasks.start(job, inline=is_inline(job=job))


def confirm(*, job: ImportJob) -> str | None:
    """The admin confirms a checked job: returns an error message, or None when the import started."""
    if job.status != ImportJob.Status.CHECKED or not job.file:
        return NOT_CHECKED
    with job.file.open("rb") as stored:
        if _sha256(stored) != job.file_sha256:
            return CHANGED
    start(job=job, commit=True)
    return None


def _progress(job: ImportJob):
    """The engine's ``progress(done, total, phase)`` written on the job's row (``jobs.Progress``)."""
    write = jobs.Progress(job, in_transaction=True)

    def report(done: int, total: int, phase: str) -> None:
        percent = min(100, round(100 * done / total)) if total else 0
        write(progress_done=done, progress_total=total, progress=percent, stage=phase[:200])

    report.close = write.close
    return report


def run_job(*, job_id, file_path: str | None = None) -> ImportJob:
    """Check (or import, when the job is confirmed) the job's workbook. Never raises for bad input.

    A job that is not queued (reaped while it waited, or taken up twice) is left as it is.
    """
    job = ImportJob.objects.get(pk=job_id)
    commit = job.commit_requested
    working = ImportJob.Status.IMPORTING if commit else ImportJob.Status.CHECKING
    if not jobs.claim(job, working, stage="Загрузка в реестр" if commit else "Проверка файла"):
        return job
    progress = _progress(job)

    def still_ours() -> bool:
        # Inside the import's transaction, just before its commit: the job's row is touched (and so
        # locked until the commit) only if the reaper has not marked it «прерван» meanwhile; if it
        # has, the import rolls back, so «ничего не записано» stays true.
        progress.close()
        return bool(ImportJob.objects.filter(pk=job.pk, status=working).update(heartbeat_at=timezone.now()))

    try:
        path = file_path or job.file.path
        report = import_workbook(
            path, user=job.created_by, dry_run=not commit, progress=progress, before_commit=still_ours
        )
    except (OperationalError, InterfaceError) as error:
        # The connection died (server restarted, backend terminated): its transaction went with it.
        # ``atomic`` closed the broken connection, so the job's row is written on a new one.
        log.error("import job %s: database connection lost: %s", job.pk, error)
        return jobs.fail(job, DATABASE_LOST if commit else CHECK_DATABASE_LOST)
    except Exception:
        log.exception("import job %s failed", job.pk)
        return jobs.fail(job, INTERNAL)
    finally:
        progress.close()
    if commit:
        values = {
            "report": report.as_dict(),
            "status": ImportJob.Status.DONE if report.committed else ImportJob.Status.REJECTED,
        }
    else:
        values = {
            "check_report": report.as_dict(),
            "status": ImportJob.Status.CHECKED if report.ok else ImportJob.Status.REJECTED,
        }
    # The bar ends full: as many done as the job announced when it was queued.
    values.update(stage="", progress=100, progress_done=job.progress_total, progress_total=job.progress_total)
    stored = job.file.name if values["status"] in (ImportJob.Status.DONE, ImportJob.Status.REJECTED) else ""
    if stored:
        # Keep the checksum, not the personal data: the file goes with the same UPDATE that
        # finishes the job, so no finished job is left holding its workbook.
        values["file"] = ""
    if not jobs.finish(job, **values):
        return job  # reaped meanwhile: «прерван» stays, and its file is kept for a retry
    if stored:
        job.file.storage.delete(stored)
    return job


def import_path(*, path: str, user=None, dry_run: bool = False) -> ImportJob:
    """``manage.py import_workbook``: the same job record and code as the web page, run here and now."""
    with open(path, "rb") as handle:
        job = create_job(upload=handle, user=user, file_name=Path(path).name)
    if job.status == ImportJob.Status.REJECTED:
        return job
    job.commit_requested = not dry_run
    job.save(update_fields=["commit_requested"])
    job = run_job(job_id=job.pk)
    return job


def reap_stale_jobs() -> int:
    """Jobs whose worker stopped reporting, or that no worker took up in time, become «прерван»."""
    return jobs.reap(ImportJob)


def job_report(*, job: ImportJob) -> dict | None:
    return job.report if job.commit_requested and job.report else job.check_report
