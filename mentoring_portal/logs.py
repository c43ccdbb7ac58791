"""Request ids and single-line log records (docs/reliability.md #62, #64).

- ``RequestIdMiddleware`` gives every request an id: the caller's ``X-Request-ID`` when it is a
  short safe token (nginx or a load balancer may set one), else a new uuid4. It is returned in the
  ``X-Request-ID`` header, put on every log record by ``RequestIdFilter``, stored in the access
  log and shown on the error pages («Код обращения»), so a user's complaint finds its log lines.
- ``SingleLineFormatter`` escapes control characters (CR, LF, ANSI escapes…) in the message, so a
  request path such as ``/%0D%0Afake record`` or ``/%1B[31m`` cannot forge or colour log lines
  (CVE-2025-48432 for Django's own messages, ASVS 16.4.1 for everything else). A traceback keeps
  its lines, each indented and escaped (no line of it can pass for a record of its own) and each
  led by the record's request id: journald stores every line as an entry of its own and mixes the
  lines of the nine web workers, so ``journalctl --grep <код обращения>`` must find the traceback's
  lines as well as the record's, in their order. One line per record with the traceback's line
  breaks escaped was the other choice; it was left because a long traceback then becomes one
  line that journald cuts at its LineMax and nobody can read without unescaping it.
"""

import contextvars
import logging
import re
import uuid

HEADER = "X-Request-ID"
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
NO_REQUEST = "-"

_current = contextvars.ContextVar("request_id", default=NO_REQUEST)


def current_request_id() -> str:
    return _current.get()


def new_request_id(incoming: str) -> str:
    return incoming if _SAFE_ID.fullmatch(incoming or "") else uuid.uuid4().hex


def escape_controls(text: str) -> str:
    """``\\n``, ``\\r``, ``\\x1b``… instead of the characters themselves."""
    return _CONTROL.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), text)


class RequestIdMiddleware:
    """First in MIDDLEWARE: the id exists before anything else can log or fail."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = new_request_id(request.META.get("HTTP_X_REQUEST_ID", ""))
        request.request_id = request_id
        token = _current.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response[HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record the handler writes ("-" outside a request).

    Django logs a 4xx answer («Not Found: …») after the middleware has returned; that record
    carries the request itself, and the id is taken from it.
    """

    def filter(self, record):
        request_id = _current.get()
        if request_id == NO_REQUEST:
            request_id = getattr(getattr(record, "request", None), "request_id", NO_REQUEST)
        record.request_id = request_id
        return True


class SingleLineFormatter(logging.Formatter):
    """``logging.Formatter`` with the message escaped and the traceback's lines indented, escaped
    and tagged with the request id (``    [<id>] File "…", line 12, in view``).

    The traceback is formatted here every time rather than taken from ``record.exc_text``, which
    another handler may have cached unescaped.
    """

    def format(self, record):
        record.message = escape_controls(record.getMessage())
        if self.usesTime():
            record.asctime = self.formatTime(record, self.datefmt)
        text = self.formatMessage(record)
        # RequestIdFilter has set it on the records of the portal's handler; another handler's
        # record takes the id of the request being served.
        tag = f"[{getattr(record, 'request_id', None) or current_request_id()}] "
        if record.exc_info:
            text += "\n" + _continued(super().formatException(record.exc_info), tag)
        elif record.exc_text:
            text += "\n" + _continued(record.exc_text, tag)
        if record.stack_info:
            text += "\n" + _continued(super().formatStack(record.stack_info), tag)
        return text

    def formatException(self, ei):
        return _continued(super().formatException(ei), f"[{current_request_id()}] ")

    def formatStack(self, stack_info):
        return _continued(super().formatStack(stack_info), f"[{current_request_id()}] ")


def _continued(text: str, tag: str) -> str:
    """Continuation lines: four spaces (never a record's start), the request id, the escaped line."""
    return "\n".join("    " + tag + escape_controls(line) for line in text.splitlines())
