"""A 500 keeps its traceback in the server's log, under its request id, and never on the page.

A process is started as production runs (DEBUG=0, the settings' LOGGING writing to stderr); it
serves a view, a middleware and a template that fail. For each 500 the page shows the request
id and nothing of the error; the log has the «Internal Server Error» record with that id and
then the traceback, every line of it indented and led by the same id, so that
``journalctl --grep <код обращения>`` finds the frames too (journald keeps each line apart).

Second battery, #75 of docs/reliability.md §5.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.http import HttpResponse
from django.template import engines
from django.template.response import TemplateResponse
from django.urls import include, path

ROOT = Path(__file__).resolve().parents[2]


def failing_view(request):
    raise RuntimeError("view failed: ledger out of balance")


class FailingMiddleware:
    """Fails on its own path, before any view, as a middleware's bug would."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/failing-middleware/":
            raise LookupError("middleware failed: no such tenant")
        return self.get_response(request)


class Card:
    @property
    def title(self):
        raise ValueError("template failed: title unreadable")


def failing_template(request):
    template = engines["django"].from_string("<h1>{{ card.title }}</h1>")
    return TemplateResponse(request, template, {"card": Card()})


def fine(request):
    return HttpResponse("ok")


urlpatterns = [
    path("failing-view/", failing_view),
    path("failing-middleware/", fine),
    path("failing-template/", failing_template),
    path("", include("mentoring_portal.urls")),
]

# Run by the child process: the requests, through Django's handler with the production settings.
CHILD = """
import json, sys
import django
django.setup()
from django.conf import settings
from django.test import Client
from django.test.utils import override_settings

with override_settings(
    ROOT_URLCONF="tests.battery.test_error_log",
    MIDDLEWARE=[*settings.MIDDLEWARE, "tests.battery.test_error_log.FailingMiddleware"],
):
    assert not settings.DEBUG
    client = Client(raise_request_exception=False)
    for path in sys.argv[1:]:
        response = client.get(path)
        print(json.dumps({
            "path": path,
            "status": response.status_code,
            "request_id": response["X-Request-ID"],
            "body": response.content.decode(),
        }))
"""

CASES = {
    # path: (the frame of ours that failed, the exception line)
    "/failing-view/": ("in failing_view", "RuntimeError: view failed: ledger out of balance"),
    "/failing-middleware/": ("in __call__", "LookupError: middleware failed: no such tenant"),
    "/failing-template/": ("in title", "ValueError: template failed: title unreadable"),
}


def serve_in_production(paths) -> tuple[list[dict], str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="mentoring_portal.settings",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(40),
        ALLOWED_HOSTS="testserver",
        SECURE_SSL_REDIRECT="0",
        LOG_LEVEL="INFO",
    )
    child = subprocess.run(
        [sys.executable, "-c", CHILD, *paths], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert child.returncode == 0, child.stderr
    return [json.loads(line) for line in child.stdout.splitlines()], child.stderr


def test_each_500_is_logged_with_its_traceback_under_its_request_id_and_the_page_shows_none():
    answers, log = serve_in_production(list(CASES))
    lines = log.splitlines()
    assert len(answers) == len(CASES)
    for answer in answers:
        frame, error = CASES[answer["path"]]
        request_id = answer["request_id"]
        assert answer["status"] == 500

        # The page: the request id to quote, nothing of the error.
        body = answer["body"]
        assert "Ошибка сервера" in body and request_id in body
        for leak in (
            "Traceback",
            'File "',
            frame,
            error.split(":")[0],
            error.split(": ", 1)[1],
            "test_error_log",
        ):
            assert leak not in body, (answer["path"], leak)

        # The log: the record, then the traceback right after it, every line under the same id.
        start = next(
            i for i, line in enumerate(lines)
            if f"ERROR [{request_id}] django.request: Internal Server Error: {answer['path']}" in line
        )  # fmt: skip
        tagged = f"    [{request_id}] "
        traceback = []
        for line in lines[start + 1 :]:
            if not line.startswith("    "):
                break
            assert line.startswith(tagged), line
            traceback.append(line[len(tagged) :])
        assert traceback[0] == "Traceback (most recent call last):"
        assert any("test_error_log.py" in line and frame in line for line in traceback), traceback
        assert traceback[-1] == error
