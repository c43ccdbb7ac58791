"""Import jobs: an uploaded workbook is checked (dry run), confirmed, then imported — inline or in the worker.

The same ``run_job`` runs in a request (small workbooks), in the django-tasks worker (large
ones) and behind ``manage.py import_workbook``. A job reports its progress to its own row;
while the import's transaction is open on PostgreSQL it does so through a second
connection, so the page sees the bar move although nothing of the import is visible yet.
A job whose worker died stops reporting and is marked «прерван» (``reap_stale_jobs``):
the transaction died with the worker, so nothing was written.
"""

import datetime
import hashlib
import logging
import time
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import InterfaceError, OperationalError, connection, connections
from django.utils import timezone

from common.uploads import save_file

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
PROGRESS_EVERY = 0.5  # seconds


def size_label(size: int) -> str:
    if size < 1024 * 1024:
        return f"{max(size // 1024, 1)} КБ"
    return f"{size / 1024 / 1024:.0f} МБ"


def too_large_message() -> str:
    return TOO_LARGE.format(limit=size_label(settings.IMPORT_MAX_UPLOAD_BYTES))


def _sha256(file) -> str:
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in iter(lambda: file.read(1024 * 1024), b""):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def create_job(upload, *, user, file_name: str | None = None) -> ImportJob:
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


def is_inline(job: ImportJob) -> bool:
    return job.rows <= settings.IMPORT_INLINE_MAX_ROWS


def start(job: ImportJob, *, commit: bool) -> None:
    """Run the dry run (or, once confirmed, the import) now if the file is small, else queue it."""
    job.status = ImportJob.Status.QUEUED
    job.commit_requested = commit
    job.phase = "Ожидает обработчика"
    job.progress_done, job.progress_total = 0, max(job.rows, 1)
    job.save(update_fields=["status", "commit_requested", "phase", "progress_done", "progress_total"])
    if is_inline(job):
        run_job(job.pk)
    else:
        from .tasks import run_import_job

        run_import_job.enqueue(str(job.pk))


def confirm(job: ImportJob) -> str | None:
    """The admin confirms a checked job: returns an error message, or None when the import started."""
    if job.status != ImportJob.Status.CHECKED or not job.file:
        return NOT_CHECKED
    with job.file.open("rb") as stored:
        if _sha256(stored) != job.file_sha256:
            return CHANGED
    start(job, commit=True)
    return None


class _Progress:
    """Writes a job's progress to its row at most twice a second, visible to other connections."""

    def __init__(self, job: ImportJob):
        self.job = job
        self.last = 0.0
        self.side = None

    def __call__(self, done: int, total: int, phase: str) -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_EVERY:
            return
        self.last = now
        values = {
            "progress_done": done,
            "progress_total": total,
            "phase": phase[:200],
            "heartbeat_at": timezone.now(),
        }
        if not connection.in_atomic_block:
            ImportJob.objects.filter(pk=self.job.pk).update(**values)
        elif connection.vendor == "postgresql":
            self._side_update(values)
        # SQLite inside the import's transaction: one writer only, the bar waits for the commit.

    def _side_update(self, values: dict) -> None:
        if self.side is None:
            self.side = connections.create_connection("default")
        table = self.side.ops.quote_name(ImportJob._meta.db_table)
        columns = ", ".join(f"{self.side.ops.quote_name(k)} = %s" for k in values)
        with self.side.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET {columns} WHERE id = %s",  # noqa: S608 — names from the model
                [*values.values(), self.job.pk],
            )

    def close(self) -> None:
        if self.side is not None:
            self.side.close()


def run_job(job_id, *, file_path: str | None = None) -> ImportJob:
    """Check (or import, when the job is confirmed) the job's workbook. Never raises for bad input."""
    job = ImportJob.objects.get(pk=job_id)
    commit = job.commit_requested
    job.status = ImportJob.Status.IMPORTING if commit else ImportJob.Status.CHECKING
    job.started_at = job.heartbeat_at = timezone.now()
    job.phase = "Загрузка в реестр" if commit else "Проверка файла"
    job.save(update_fields=["status", "started_at", "heartbeat_at", "phase"])
    progress = _Progress(job)
    try:
        path = file_path or job.file.path
        report = import_workbook(path, user=job.created_by, dry_run=not commit, progress=progress)
    except (OperationalError, InterfaceError) as error:
        # The connection died (server restarted, backend terminated): its transaction went with it.
        # ``atomic`` closed the broken connection, so the job's row is written on a new one.
        log.error("import job %s: database connection lost: %s", job.pk, error)
        return _fail(job, DATABASE_LOST if commit else CHECK_DATABASE_LOST)
    except Exception:
        log.exception("import job %s failed", job.pk)
        return _fail(job, "Внутренняя ошибка: ничего не записано. Сообщите администратору портала.")
    finally:
        progress.close()
    if commit:
        job.report = report.as_dict()
        job.status = ImportJob.Status.DONE if report.committed else ImportJob.Status.REJECTED
    else:
        job.check_report = report.as_dict()
        job.status = ImportJob.Status.CHECKED if report.ok else ImportJob.Status.REJECTED
    job.phase = ""
    job.progress_done = job.progress_total
    job.finished_at = timezone.now()
    if job.status in (ImportJob.Status.DONE, ImportJob.Status.REJECTED) and job.file:
        # Keep the checksum, not the personal data: the file goes with the same save that
        # finishes the job, so no finished job is left holding its workbook.
        job.file.delete(save=False)
    job.save()
    return job


def _fail(job: ImportJob, message: str) -> ImportJob:
    """A job that ended without a result: «сбой», its file kept for a retry."""
    job.status = ImportJob.Status.FAILED
    job.phase = message[:200]
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "phase", "finished_at"])
    return job


def import_path(path: str, *, user=None, dry_run: bool = False) -> ImportJob:
    """``manage.py import_workbook``: the same job record and code as the web page, run here and now."""
    with open(path, "rb") as handle:
        job = create_job(handle, user=user, file_name=Path(path).name)
    if job.status == ImportJob.Status.REJECTED:
        return job
    job.commit_requested = not dry_run
    job.save(update_fields=["commit_requested"])
    job = run_job(job.pk)
    return job


def reap_stale_jobs() -> int:
    """Jobs whose worker stopped reporting (killed, host lost) are marked «прерван»."""
    limit = timezone.now() - datetime.timedelta(seconds=settings.IMPORT_STALE_AFTER_SECONDS)
    stale = ImportJob.objects.filter(
        status__in=[ImportJob.Status.CHECKING, ImportJob.Status.IMPORTING], heartbeat_at__lt=limit
    )
    count = 0
    for job in stale:
        job.status = ImportJob.Status.INTERRUPTED
        job.phase = "Обработчик перестал отвечать; ничего не записано. Запустите загрузку снова."
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "phase", "finished_at"])
        count += 1
    return count


def job_report(job: ImportJob) -> dict | None:
    return job.report if job.commit_requested and job.report else job.check_report
