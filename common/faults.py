"""Faults of the environment shown to the user as a plain Russian page, never as a stack trace.

- The database is unreachable (PostgreSQL restarting, the network lost): Django raises
  ``OperationalError`` / ``InterfaceError``. The user gets a generic 503 «Сервис временно
  недоступен» with ``Retry-After``; the next request opens a new connection (the settings'
  ``CONN_HEALTH_CHECKS``), so the portal recovers by itself once the database is back
  (docs/reliability.md #50).
- The disk is full while an upload is received (the temporary upload directory): the multipart
  body is read here, before the CSRF check would read it and fail with a 500; the user is told
  the file was not saved (docs/reliability.md #49). Views that write files catch ``ENOSPC`` themselves.

A view's exception reaches ``process_exception``; one raised by another middleware (a session
saved on the way out) has already become a 500 response by the time it gets here, so the
``got_request_exception`` signal marks the request and ``__call__`` swaps that 500 for the 503.
"""

import contextlib
import errno
import logging
import os
import sys

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.dispatch import receiver
from django.http import HttpResponse
from django.template.loader import render_to_string

log = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 60
UNAVAILABLE_TITLE = "Сервис временно недоступен"
UNAVAILABLE = "Сервис временно недоступен, повторите через минуту."
DISK_FULL_TITLE = "Недостаточно места на диске"
DISK_FULL = (
    "Недостаточно места на диске сервера: файл не сохранён. "
    "Повторите загрузку позже и сообщите администратору портала."
)
_MARK = "_faults_database_unavailable"


def is_disk_full(error: BaseException) -> bool:
    return isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT)


def is_database_full(error: BaseException) -> bool:
    """The database could not write: PostgreSQL's «disk full» (SQLSTATE 53100), SQLite's SQLITE_FULL."""
    cause = error.__cause__ or error
    return getattr(cause, "sqlstate", None) == "53100" or getattr(cause, "sqlite_errorcode", None) == 13


def page(title: str, message: str, status: int) -> HttpResponse:
    """The standalone error page: no request context, so rendering it queries nothing."""
    response = HttpResponse(render_to_string("503.html", {"title": title, "message": message}), status=status)
    response["Cache-Control"] = "no-store"
    return response


def unavailable() -> HttpResponse:
    response = page(UNAVAILABLE_TITLE, UNAVAILABLE, 503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def disk_full() -> HttpResponse:
    return page(DISK_FULL_TITLE, DISK_FULL, 507)


@receiver(got_request_exception)
def _mark_database_error(sender, request=None, **kwargs):
    error = sys.exc_info()[1]
    if request is not None and isinstance(error, DATABASE_ERRORS):
        setattr(request, _MARK, True)


def _discard_partial_uploads(request) -> None:
    """Delete the temporary file an upload handler was writing when the disk filled up.

    The handler still holds it (``TemporaryFileUploadHandler.file``) and the request holds the
    handler, so it would stay on the full disk until the request is garbage-collected.
    """
    for handler in getattr(request, "_upload_handlers", None) or ():
        partial = getattr(handler, "file", None)
        if partial is None:
            continue
        path = getattr(partial, "temporary_file_path", lambda: None)()
        with contextlib.suppress(OSError):
            partial.close()  # a NamedTemporaryFile: closing deletes it
        if path:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)


class FaultsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, _MARK, False) and response.status_code == 500:
            # The database failed in a middleware (the session, the user, the second factor's
            # device), where process_exception does not see it: Django made a 500 of it.
            log.warning("database unavailable: %s %s: in a middleware", request.method, request.path)
            return unavailable()
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST" or not request.content_type.startswith("multipart/form-data"):
            return None
        try:
            request.FILES  # noqa: B018 — reads the body: large files go to the temporary upload directory
        except OSError as error:
            if not is_disk_full(error):
                raise
            log.error("upload refused, the disk is full: %s %s: %s", request.method, request.path, error)
            _discard_partial_uploads(request)
            return disk_full()
        return None

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_ERRORS):
            log.warning(
                "database unavailable: %s %s: %s: %s",
                request.method,
                request.path,
                type(exception).__name__,
                str(exception).strip().splitlines()[0] if str(exception).strip() else "",
            )
            return unavailable()
        if is_disk_full(exception):
            log.error("the disk is full: %s %s: %s", request.method, request.path, exception)
            return disk_full()
        return None
