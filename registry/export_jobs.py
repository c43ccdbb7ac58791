"""List exports in the task worker: a list too long for the request is written in the background.

``xlsx_response`` (below) answers a short list in the request, written by ``registry.exports``. A
longer one calls ``queue``: an ``ExportJob`` row keeps the list's address and query string (its
filters) — never rows, never a queryset — and the request answers with the job's page, where a
progress bar runs until the download appears. The worker (``run_job``) loads the owner again and
calls the list's own view as that user: the role, scope and filters are checked and applied there
and then, by the same code as on screen, so the file holds exactly what the owner would see now,
with the same «Выгрузил» line and personal-data notice.

Each user has at most ``EXPORT_MAX_CONCURRENT_PER_USER`` exports queued or running; a further
request is refused (429) and nothing is queued. The lifecycle (claim, progress, failure, the
reaper that marks «прерван» a job whose worker went silent or that no worker took up) is the common
one of ``registry.jobs`` (docs/architecture.md §6); finished files are deleted after
``EXPORT_FILE_HOURS`` (``purge_expired``, also ``manage.py purge_exports``).
"""

import contextvars
import datetime
import itertools
import logging
import re
import time
from collections.abc import Callable, Iterable, Sequence
from urllib.parse import unquote

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.messages.api import MessageFailure
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, transaction
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve
from django.utils import timezone

from common.downloads import attachment, shorten_file_name

from . import exports, jobs, tasks
from .models import ExportJob

log = logging.getLogger(__name__)

PROGRESS_EVERY = 0.5  # seconds
BUSY = (
    "У вас уже формируются выгрузки: {count} из {limit} возможных одновременно. "
    "Дождитесь, пока одна из них будет готова, и запросите выгрузку снова."
)
NO_ACCESS = "Выгрузка не сформирована: у вашей учётной записи больше нет доступа к этому списку."
NOT_A_FILE = (
    "Выгрузка не сформирована: список не удалось построить с этими фильтрами. Откройте его и повторите."
)
INTERNAL = "Внутренняя ошибка при формировании файла. Сообщите администратору портала."
NOT_SAVED = "Файл не сохранён: база данных недоступна или переполнена. Запросите выгрузку ещё раз позже."


def active_jobs(*, user):
    return ExportJob.objects.filter(created_by=user, status__in=ExportJob.ACTIVE)


def queue(*, request, title: str) -> HttpResponse:
    """Queue the export of the list ``request`` asks for, unless its user has enough running already.

    The user's row is locked while the running jobs are counted and the new one is written, so two
    requests at once cannot both take the last place.
    """
    user = request.user
    reap_stale_jobs()
    purge_expired()
    limit = settings.EXPORT_MAX_CONCURRENT_PER_USER
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk").first()
        running = list(active_jobs(user=user).order_by("created_at"))
        if len(running) >= limit:
            job = None
        else:
            job = ExportJob.objects.create(
                created_by=user,
                title=title[:255],
                path=request.path_info[:500],
                query=request.META.get("QUERY_STRING", ""),
                stage="Ожидает обработчика",
            )
    if job is None:
        context = {"message": BUSY.format(count=len(running), limit=limit), "jobs": running}
        response = render(request, "registry/exports/busy.html", context, status=429)
        response["Cache-Control"] = "no-store"
        response["Retry-After"] = "60"
        return response
    tasks.start(job, inline=False)
    return redirect("registry:export-job", job.pk)


def queue_if_too_long(*, request, rows: int, title: str) -> HttpResponse | None:
    """For an export that writes its own file (not through ``xlsx_response``): the job's page when
    ``rows`` is over the limit, or None to write the file now (it is short, or this is the worker)."""
    if _worker_run.get() is not None or rows <= settings.EXPORT_INLINE_MAX_ROWS:
        return None
    return queue(request=request, title=title)


class _Run:
    """The worker's side of ``xlsx_response``: the list's rows go into the job's file."""

    def __init__(self, job: ExportJob):
        self.job = job
        self.progress = jobs.Progress(job, every=PROGRESS_EVERY)
        self.file_name = ""

    def _report(self, done: int, total: int, *, force: bool = False) -> None:
        percent = min(99, round(100 * done / total)) if total else 0
        stage = f"Записано строк: {done}" + (f" из {total}" if total else "")
        self.progress(force=force, rows_done=done, rows_total=total, progress=percent, stage=stage)

    def write(self, *, filename, title, columns, rows, user, total) -> HttpResponse:
        total = total() if callable(total) else (total or 0)
        self._report(0, total, force=True)
        counted = {"done": 0}

        def counting():
            for row in rows:
                counted["done"] += 1
                self._report(counted["done"], total)
                yield row

        content = exports.workbook_bytes(title=title, columns=columns, rows=counting(), user=user)
        self.file_name = shorten_file_name(filename)
        self.job.rows_done = self.job.rows_total = counted["done"]
        return HttpResponse(content, content_type=exports.XLSX)


def _request_for(job: ExportJob, user) -> HttpRequest:
    """A GET of the list as its owner: what the view needs to build the same rows (no session)."""
    request = HttpRequest()
    request.method = "GET"
    request.path = request.path_info = job.path
    request.GET = QueryDict(job.query)
    request.META = {"QUERY_STRING": job.query, "SERVER_NAME": "localhost", "SERVER_PORT": "80"}
    request.user = user
    return request


def run_job(*, job_id) -> ExportJob:
    """Write one export (in the worker). Never raises: a failure is written on the job."""
    job = ExportJob.objects.select_related("created_by").get(pk=job_id)
    if not jobs.claim(job, ExportJob.Status.RUNNING, stage="Сбор данных"):
        return job  # reaped while it waited, or taken up twice
    # The owner read again now: a deactivated account or a changed role counts, not the one at the click.
    user = get_user_model().objects.filter(pk=job.created_by_id, is_active=True).first()
    if user is None:
        return jobs.fail(job, NO_ACCESS)
    run = _Run(job)
    token = _worker_run.set(run)
    started = time.monotonic()
    try:
        match = resolve(job.path)
        response = match.func(_request_for(job, user), *match.args, **match.kwargs)
    except (Http404, PermissionDenied, Resolver404):
        return jobs.fail(job, NO_ACCESS)
    except MessageFailure:
        # The view wanted to show the owner a message (a filter no longer valid): no file to keep.
        return jobs.fail(job, NOT_A_FILE)
    except Exception:
        log.exception("export job %s failed", job.pk)
        return jobs.fail(job, INTERNAL)
    finally:
        _worker_run.reset(token)
    if not run.file_name and response.status_code == 200:
        run.file_name = _attachment_name(response)  # a view that writes its own file
    if not run.file_name or response.status_code != 200:
        # The view answered with a page (a filter out of scope, a redirect), not with the file.
        return jobs.fail(job, NOT_A_FILE)
    content = response.content
    try:
        # One UPDATE: the content and «готов» are stored together or not at all (and not over «прерван»).
        finished = jobs.finish(
            job,
            file_name=run.file_name[:255],
            content=content,
            size=len(content),
            rows_done=job.rows_done,
            rows_total=job.rows_total,
            status=ExportJob.Status.DONE,
            stage="Готово",
            progress=100,
        )
    except DatabaseError as error:
        log.error("export job %s: the file could not be stored: %s", job.pk, error)
        return jobs.fail(job, NOT_SAVED)
    if finished:
        log.info("export job %s: %d rows, %d bytes in %.2f s", job.pk, job.rows_done, len(content),
                 time.monotonic() - started)  # fmt: skip
    job.refresh_from_db()
    return job


def _attachment_name(response: HttpResponse) -> str:
    """The file name of an .xlsx attachment (``filename*=utf-8''…``, RFC 6266/5987), else ""."""
    disposition = response.get("Content-Disposition", "")
    if response.get("Content-Type") != exports.XLSX or not disposition.startswith("attachment"):
        return ""
    match = re.search(r"filename\*=utf-8''([^;]+)", disposition)
    if match:
        return unquote(match.group(1))
    match = re.search(r'filename="([^"]+)"', disposition)
    return match.group(1) if match else "выгрузка.xlsx"


def reap_stale_jobs() -> int:
    """Jobs whose worker stopped reporting, or that no worker took up in time, become «прерван»."""
    return jobs.reap(ExportJob)


def purge_expired() -> int:
    """Delete finished exports older than ``EXPORT_FILE_HOURS``: a copy of personal data is not kept."""
    limit = timezone.now() - datetime.timedelta(hours=settings.EXPORT_FILE_HOURS)
    deleted, _ = ExportJob.objects.filter(created_at__lt=limit).exclude(status__in=ExportJob.ACTIVE).delete()
    return deleted


# The request being answered (set by ``ExportRequestMiddleware``): a list export too long for the
# request is queued with its address and filters. Outside a request (a view called directly, the
# worker itself) there is none and the export is answered here, as it always was.
_current_request: contextvars.ContextVar = contextvars.ContextVar("export_request", default=None)
# Set by the worker while it runs a list again for a job: ``xlsx_response`` writes the job's file.
_worker_run: contextvars.ContextVar = contextvars.ContextVar("export_worker_run", default=None)


class ExportRequestMiddleware:
    """Keeps the current request where ``xlsx_response`` finds it (after the authentication)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)


def xlsx_response(
    *,
    filename: str,
    title: str,
    columns: Sequence[str],
    rows: Iterable[Sequence],
    user,
    total: int | Callable[[], int] | None = None,
) -> HttpResponse:
    """An .xlsx download named in Russian (RFC 6266/5987), private and never cached.

    A list of more than ``EXPORT_INLINE_MAX_ROWS`` rows is not written here: the request queues an
    export job (``registry.export_jobs``) and answers with its page. ``total`` (the row count, or a
    callable giving it, e.g. ``queryset.count``) tells the length at the cost of one COUNT and feeds
    the worker's progress bar; without it the request reads at most that many rows plus one to find
    out, then writes them or drops them.
    """
    run = _worker_run.get()
    if run is not None:
        return run.write(filename=filename, title=title, columns=columns, rows=rows, user=user, total=total)
    request = _current_request.get()
    if request is not None and request.method in ("GET", "HEAD") and request.GET.get("format") == "xlsx":
        limit = settings.EXPORT_INLINE_MAX_ROWS
        if total is not None:
            too_long = (total() if callable(total) else total) > limit
        else:
            head = list(itertools.islice(iter(rows), limit + 1))
            too_long = len(head) > limit
            rows = head
        if too_long:
            return queue(request=request, title=title)
    content = exports.workbook_bytes(title=title, columns=columns, rows=rows, user=user)
    response = HttpResponse(content, content_type=exports.XLSX)
    response["Content-Disposition"] = attachment(filename)
    response["Cache-Control"] = "private, no-store"
    return response
