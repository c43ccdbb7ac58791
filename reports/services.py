"""Creating, publishing and rendering reports.

- ``create`` saves a resolved report with its title and a draft narrative written from the figures.
- ``publish`` freezes a version: the data as built now, the narrative and the document. Nothing that
  happens to the registry afterwards reaches it.
- ``report_file_request`` renders a draft or a version into PDF, DOCX or HTML: in the request when the
  report is
  small, by the task worker otherwise (a region's report, or more than ``REPORT_INLINE_MAX_ROWS`` table
  rows), with the progress on the ``ReportFile`` row; its lifecycle is the common one of ``registry.jobs``
  (docs/architecture.md §6). A version's file is rendered once and kept; a
  draft's file is rendered again only when its content fingerprint changed (``render.content_hash``),
  and one user renders at most ``REPORT_RENDERS_PER_MINUTE`` files a minute.
"""

import datetime
import logging
import math
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from common.faults import is_database_full, is_disk_full
from registry import jobs, tasks

from . import builders, documents, narrative, render
from .models import Format, Report, ReportFile, ReportVersion

log = logging.getLogger(__name__)


class TooLarge(Exception):
    """The report has more table rows than a file may hold; the message says how to narrow it."""


class TooManyRenders(Exception):
    """The user rendered ``REPORT_RENDERS_PER_MINUTE`` files in the last minute; nothing is rendered."""

    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        super().__init__(
            f"Слишком много запросов файлов отчётов: не более {settings.REPORT_RENDERS_PER_MINUTE} "
            f"формирований в минуту. Повторите запрос через {retry_after} с. "
            "Уже сформированный файл неизменённого отчёта выдаётся без ограничения."
        )


NARRATIVE_FIELDS = ("title", "conclusions", "recommendations", "signature_position", "signature_name")
DISK_FULL = (
    "Недостаточно места на диске сервера: файл не сохранён. "
    "Запросите его позже и сообщите администратору портала."
)
NOT_SAVED = "Файл не сохранён: база данных недоступна или переполнена. Запросите его ещё раз позже."
STALE_TEXT = (
    "Текст отчёта изменил другой пользователь, пока вы его редактировали. "
    "Обновите страницу и внесите изменения заново."
)


class StaleText(Exception):
    """The narrative was saved by somebody else since the form was built; nothing is written."""


def report_save_text(*, report: Report, expected_version: int, **values) -> Report:
    """Save the report's editable text if nobody saved it since ``expected_version`` (no silent loss)."""
    with transaction.atomic():
        current = Report.objects.select_for_update().get(pk=report.pk)
        if current.version != expected_version:
            raise StaleText(STALE_TEXT)
        if all(getattr(current, name) == values[name] for name in NARRATIVE_FIELDS):
            return current
        for name in NARRATIVE_FIELDS:
            setattr(current, name, values[name])
        current.version += 1
        current.save()
    return current


def report_fields(*, report: Report) -> dict:
    return {
        "title": report.title,
        "conclusions": report.conclusions,
        "recommendations": report.recommendations,
        "signature_position": report.signature_position,
        "signature_name": report.signature_name,
    }


def report_create(*, report: Report, user=None) -> Report:
    """Save a resolved report with its default title and the draft narrative of its figures."""
    data = builders.build(report)
    report.title = report.title or documents.default_title(report.kind, data)
    if not report.conclusions and not report.recommendations:
        draft = narrative.draft(report.kind, data)
        report.conclusions, report.recommendations = draft["conclusions"], draft["recommendations"]
    report.created_by = user
    report.save()
    return report


def report_redraft(*, report: Report) -> Report:
    """Replace the narrative with a fresh draft from today's figures.

    The figures are read first; then the row is locked and its text version moved on, so a form opened
    before the redraft cannot save over it unnoticed (``save_text`` sees the new version).
    """
    draft = narrative.draft(report.kind, builders.build(report))
    with transaction.atomic():
        current = Report.objects.select_for_update().get(pk=report.pk)
        current.conclusions, current.recommendations = draft["conclusions"], draft["recommendations"]
        current.version += 1
        current.save(update_fields=["conclusions", "recommendations", "version", "updated_at"])
    return current


def report_document(*, report: Report, data: dict | None = None) -> dict:
    data = data if data is not None else builders.build(report)
    return documents.compose(report.kind, data, report_fields(report=report))


@transaction.atomic
def report_publish(*, report: Report, user) -> ReportVersion:
    """Freeze the report as it stands: its data, narrative and document become version N+1.

    The row is locked and read again: two publishers get versions N+1 and N+2, each with the text
    saved when it was published. A report too large for a file is refused before it is frozen.
    """
    report = Report.objects.select_for_update().get(pk=report.pk)
    data = builders.build(report)
    document = documents.compose(report.kind, data, report_fields(report=report))
    report_check_size(document=document)
    number = (report.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    return ReportVersion.objects.create(
        report=report,
        number=number,
        title=document["title"],
        data=data,
        document=document,
        published_by=user,
        published_at=timezone.now(),
    )


# ---------------------------------------------------------------- files


def report_check_size(*, document: dict) -> int:
    rows = documents.table_rows(document)
    if rows > settings.REPORT_MAX_TABLE_ROWS:
        raise TooLarge(
            f"Отчёт слишком большой: {rows} строк в таблицах при пределе {settings.REPORT_MAX_TABLE_ROWS}. "
            "Сузьте территорию (муниципалитет или организация)."
        )
    return rows


def report_runs_inline(*, report: Report, document: dict) -> bool:
    """Small reports are rendered in the request; a region's, or a long one, by the worker."""
    if report.level == "region":
        return False
    return documents.table_rows(document) <= settings.REPORT_INLINE_MAX_ROWS


RENDER_WINDOW = datetime.timedelta(minutes=1)
REUSABLE = (ReportFile.Status.DONE, *ReportFile.ACTIVE)  # a file of these states is given again


def report_file_request(
    *, report: Report, fmt: str, user, version: ReportVersion | None = None
) -> ReportFile:
    """A file of the report's draft (or of ``version``): done now when small, else queued.

    The same content is never rendered twice: a draft's file whose fingerprint (document, format, date,
    renderer) matches a file queued, running or done is that file, and a version's file is rendered
    once and kept (every download of a published version gives the same bytes). Two identical requests
    at once meet on the unique fingerprint: the second takes the first one's file. A new render beyond
    the user's per-minute limit raises ``TooManyRenders`` with nothing created or queued. The render
    itself runs outside any transaction (it holds no lock while WeasyPrint works).
    """
    if fmt not in Format.values:
        raise ValueError(fmt)
    report_files_reap()
    report_files_purge_drafts()
    if version is None:
        # A draft's figures are read before the transaction: no lock is held while the builders run.
        document = report_document(report=report)
        on, number = timezone.localdate(), None
    else:
        document = version.document
        on, number = timezone.localdate(version.published_at), version.number
    report_check_size(document=document)
    fingerprint = render.content_hash(document, fmt, on=on, version=number)
    with transaction.atomic():
        if user is not None and user.pk is not None:
            # One user's requests are taken one at a time: the count of its renders below is exact.
            # FOR NO KEY UPDATE: rows of other tables may still refer to the user meanwhile.
            users = get_user_model().objects.select_for_update(no_key=True)
            users.filter(pk=user.pk).values_list("pk").first()
        if version is not None:
            # One rendering per version and format, however many click at once.
            ReportVersion.objects.select_for_update().filter(pk=version.pk).only("pk").first()
            existing = version.files.filter(format=fmt, status__in=REUSABLE).order_by("created_at").first()
            if existing is not None:
                return existing
        existing = _same_file(report, fingerprint)
        if existing is not None:
            return existing
        report_check_render_rate(user=user)
        try:
            with transaction.atomic():
                job = ReportFile.objects.create(
                    report=report,
                    version=version,
                    format=fmt,
                    content_hash=fingerprint,
                    created_by=user,
                    document=None if version is not None else document,
                )
        except IntegrityError:
            # Another request inserted the same fingerprint meanwhile (it waited for that one's commit).
            existing = _same_file(report, fingerprint)
            if existing is None:
                raise
            return existing
    return tasks.start(
        job,
        inline=fmt == Format.HTML or report_runs_inline(report=report, document=document),
        document=document,
    )


def _same_file(report: Report, fingerprint: str) -> ReportFile | None:
    return (
        report.files.filter(content_hash=fingerprint, status__in=REUSABLE)
        .defer("content", "document")
        .order_by("created_at")
        .first()
    )


def report_check_render_rate(*, user) -> None:
    """Refuse a new render when ``user`` started ``REPORT_RENDERS_PER_MINUTE`` of them in the last minute.

    Counted from the files themselves (every format, every report, whatever became of them), so the
    limit holds across the web processes; ``TooManyRenders`` says when the oldest leaves the minute.
    """
    limit = settings.REPORT_RENDERS_PER_MINUTE
    if user is None or user.pk is None or limit <= 0:
        return
    now = timezone.now()
    recent = ReportFile.objects.filter(created_by=user, created_at__gt=now - RENDER_WINDOW)
    times = list(recent.order_by("-created_at").values_list("created_at", flat=True)[:limit])
    if len(times) < limit:
        return
    wait = (times[-1] + RENDER_WINDOW - now).total_seconds()
    raise TooManyRenders(max(1, math.ceil(wait)))


class _Progress:
    def __init__(self, job: ReportFile):
        self.write = jobs.Progress(job)

    def __call__(self, stage: str, percent: int) -> None:
        labels = {
            "layout": "Вёрстка страниц",
            "write": "Запись файла",
            "done": "Готово",
        }
        self.write(force=True, stage=labels.get(stage, stage), progress=percent)


def report_file_run(*, job_id, document: dict | None = None) -> ReportFile:
    """Render one ``ReportFile`` (in the request or in the worker). Never raises for a render failure."""
    job = ReportFile.objects.select_related("report", "version").get(pk=job_id)
    if not jobs.claim(job, ReportFile.Status.RUNNING, stage="Сбор данных", progress=5):
        return job  # reaped while it waited, taken up twice, or already done
    progress = _Progress(job)
    started = time.monotonic()
    try:
        if document is None:
            document = (
                job.version.document if job.version_id else job.document or report_document(report=job.report)
            )
        created = job.version.published_at if job.version_id else None
        content, pages = render.render(document, job.format, created=created, progress=progress)
    except Exception as error:
        if is_disk_full(error) or is_database_full(error):
            log.error("report file %s: the disk is full: %s", job.pk, error)
            return jobs.fail(job, DISK_FULL)
        log.exception("report file %s failed", job.pk)
        return jobs.fail(job, "Внутренняя ошибка при формировании файла. Сообщите администратору портала.")
    on = timezone.localdate(job.version.published_at) if job.version_id else timezone.localdate()
    name = render.file_name(
        document["title"], job.format, on=on, version=job.version.number if job.version_id else None
    )
    try:
        # One UPDATE: the content and «готов» are stored together or not at all (and not over «прерван»).
        finished = jobs.finish(
            job,
            file_name=name,
            content=content,
            document=None,
            size=len(content),
            pages=pages,
            status=ReportFile.Status.DONE,
            stage="Готово",
            progress=100,
        )
    except DatabaseError as error:
        # A full database volume (PostgreSQL «could not extend file», SQLite «database or disk is full»)
        # or a lost connection: nothing of the file was stored; say so instead of leaving it «формируется».
        log.error("report file %s: the file could not be stored: %s", job.pk, error)
        return jobs.fail(job, DISK_FULL if is_database_full(error) else NOT_SAVED)
    if not finished:
        return job  # reaped meanwhile: «прерван» stays
    log.info(
        "report file %s: %s, %d bytes in %.2f s", job.pk, job.format, job.size, time.monotonic() - started
    )
    return job


def report_files_reap() -> int:
    """Mark «прерван» the files whose worker stopped reporting for ``REPORT_STALE_AFTER_SECONDS``, or
    that no worker took up in ``REPORT_QUEUE_TIMEOUT_SECONDS`` (the worker is down, or the queue lost
    it). Either can be requested again; a worker that takes an interrupted file up later leaves it
    alone (``registry.jobs.reap``)."""
    return jobs.reap(ReportFile)


def report_files_purge_drafts() -> int:
    """Delete finished draft files older than ``REPORT_DRAFT_FILE_DAYS``: a draft's file is a download
    of the moment, not a record (a published version's files are kept for good)."""
    limit = timezone.now() - datetime.timedelta(days=settings.REPORT_DRAFT_FILE_DAYS)
    deleted, _ = (
        ReportFile.objects.filter(version__isnull=True, created_at__lt=limit)
        .exclude(status__in=ReportFile.ACTIVE)
        .delete()
    )
    return deleted
