"""Error pages and log lines (docs/reliability.md #62, #64): with DEBUG off a 500, 404, 403 or 400 shows no
stack
trace, SQL or personal data, only a request id the user can quote; the 500 is logged with that id; a
request path with CR/LF or ANSI escapes cannot split or colour a log line (CVE-2025-48432, ASVS 16.4.1).

The log is read where production writes it: the output of the handler configured in ``LOGGING``.
"""

import datetime
import io
import logging
import re

import pytest
from django.urls import include, path, reverse

from mentoring_portal.logs import SingleLineFormatter
from mentoring_portal.models import AccessLogEntry
from registry.models import Category, Person
from tests import factories as f

pytestmark = pytest.mark.django_db

RECORD = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ \[[^\]]+\] [\w.]+: ")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def boom(request):
    """A view that fails with personal data and SQL in its exception, as a real bug might."""
    person = Person.objects.get()
    raise RuntimeError(
        f"SELECT * FROM registry_person WHERE full_name = '{person.full_name}' -- {person.birth_date}"  # noqa: S608
    )


urlpatterns = [
    path("boom/", boom, name="boom"),
    path("", include("mentoring_portal.urls")),
]


@pytest.fixture
def production(settings, client):
    settings.DEBUG = False
    client.raise_request_exception = False
    return client


@pytest.fixture
def log_output():
    """What the configured console handler writes, captured for the test."""
    [handler] = [
        h for h in logging.getLogger("django").handlers if isinstance(h.formatter, SingleLineFormatter)
    ]
    assert handler in logging.getLogger().handlers  # the root's too: the portal's own loggers
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        yield stream
    finally:
        handler.setStream(previous)


@pytest.fixture
def pupil(school):
    return f.make_person(
        organization=school,
        category=Category.STUDENT,
        full_name="Кузнецова Алиса Романовна",
        birth_date=datetime.date(2012, 3, 17),
    )


def lines(stream) -> list[str]:
    return stream.getvalue().splitlines()


def assert_single_line_records(stream) -> None:
    """Each line is a record of its own or an indented traceback line; no raw control character."""
    text = stream.getvalue()
    assert "\r" not in text and not CONTROL.search(text)
    for line in lines(stream):
        assert RECORD.match(line) or line.startswith("    "), line


def assert_nothing_internal(body: str, *personal: str) -> None:
    for leak in ("Traceback", "SELECT", "registry_person", 'File "', "RuntimeError", *personal):
        assert leak not in body, leak


# ---------------------------------------------------------------- #64: error pages


@pytest.mark.urls("tests.test_error_pages")
def test_a_500_shows_a_request_id_and_nothing_internal_and_is_logged_with_it(production, pupil, log_output):
    response = production.get("/boom/")
    assert response.status_code == 500
    body = response.content.decode()
    request_id = response["X-Request-ID"]
    assert "Ошибка сервера" in body
    assert f"Код обращения: <strong data-request-id>{request_id}</strong>" in body
    assert_nothing_internal(body, pupil.full_name, "Кузнецова", "2012-03-17", "17.03.2012")
    assert "style=" not in body and "<style" not in body and "<script" not in body
    [record] = [line for line in lines(log_output) if "Internal Server Error" in line]
    assert f"ERROR [{request_id}] django.request: Internal Server Error: /boom/" in record
    assert any(line.startswith(f"    [{request_id}] RuntimeError: SELECT") for line in lines(log_output))
    assert_single_line_records(log_output)


def test_a_404_out_of_scope_shows_no_personal_data(production, other_curator, pupil):
    production.force_login(other_curator)
    response = production.get(reverse("registry:person-detail", args=[pupil.pk]))
    assert response.status_code == 404
    body = response.content.decode()
    assert "Страница не найдена" in body
    assert f"Код обращения: <span data-request-id>{response['X-Request-ID']}</span>" in body
    assert_nothing_internal(
        body, pupil.full_name, "Кузнецова", "2012-03-17", "17.03.2012", "Объект не найден"
    )


def test_a_403_shows_the_russian_page_and_no_internals(production, coordinator):
    production.force_login(coordinator)
    response = production.get(reverse("registry:workbook-export"))
    assert response.status_code == 403
    body = response.content.decode()
    assert "Нет доступа" in body and response["X-Request-ID"] in body
    assert_nothing_internal(body)


def test_a_400_shows_the_russian_page_and_logs_the_bad_host_on_one_line(production, log_output):
    response = production.get("/", HTTP_HOST="evil.example\r\n\x1b[31mforged")
    assert response.status_code == 400
    body = response.content.decode()
    assert "Неверный запрос" in body and response["X-Request-ID"] in body
    assert_nothing_internal(body)
    assert "evil.example" not in body
    [record] = [line for line in lines(log_output) if "django.security.DisallowedHost" in line]
    assert "evil.example\\r\\n\\x1b[31mforged" in record
    assert_single_line_records(log_output)


# ---------------------------------------------------------------- #62: log injection


@pytest.mark.parametrize(
    "path",
    [
        "/nowhere/%0D%0A2026-01-01 00:00:00,000 ERROR [x] django.request: forged/",
        "/nowhere/%1B[31mred%1B[0m/",
        "/nowhere/%E2%80%A8line-separator/",
    ],
)
def test_a_path_with_control_characters_stays_on_one_encoded_line(production, path, log_output):
    response = production.get(path)
    assert response.status_code == 404
    [record] = [line for line in lines(log_output) if "Not Found" in line]
    assert f"WARNING [{response['X-Request-ID']}] django.request: Not Found: /nowhere/" in record
    if "forged" in path:
        assert "/nowhere/\\r\\n2026-01-01 00:00:00,000 ERROR [x] django.request: forged/" in record
    assert_single_line_records(log_output)


def test_an_audit_entry_for_a_forged_code_is_one_line_too(production, curator, log_output):
    production.force_login(curator)
    response = production.get("/organizations/%1B[31mX%0D%0AY/")
    assert response.status_code == 404
    [record] = [line for line in lines(log_output) if "authz_denied" in line]
    assert "object=registry.organization:\\x1b[31mX\\r\\nY" in record
    assert AccessLogEntry.objects.get(action="authz_denied").object_id == "\\x1b[31mX\\r\\nY"
    assert_single_line_records(log_output)


def test_the_development_server_lines_go_through_the_same_formatter(log_output):
    logging.getLogger("django.server").warning('"%s" %s %s', "GET /\r\n\x1b[2Jfake HTTP/1.1", 404, 0)
    [record] = lines(log_output)
    assert record.endswith('django.server: "GET /\\r\\n\\x1b[2Jfake HTTP/1.1" 404 0')
    assert_single_line_records(log_output)


# ---------------------------------------------------------------- #64: request id on every answer


def test_every_answer_carries_a_request_id_and_logs_outside_a_request_say_so(client, log_output):
    first, second = client.get(reverse("login")), client.get("/nowhere/")
    assert re.fullmatch(r"[0-9a-f]{32}", first["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]
    logging.getLogger("mentoring_portal").warning("outside")
    assert lines(log_output)[-1].endswith("WARNING [-] mentoring_portal: outside")


# ---------------------------------------------------------------- the demo (DEBUG on) too


@pytest.fixture
def demo(settings, client):
    """`make run` serves the demo with DEBUG on."""
    settings.DEBUG = True
    settings.TECHNICAL_ERROR_PAGES = False
    client.raise_request_exception = False
    return client


def test_with_debug_on_an_unknown_address_shows_the_russian_404(demo, curator):
    demo.force_login(curator)
    response = demo.get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Страница не найдена" in body and "DEBUG = True" not in body and "Page not found" not in body
    assert response["X-Request-ID"] in body


def test_with_debug_on_an_out_of_scope_object_shows_the_russian_404(demo, other_curator, pupil):
    demo.force_login(other_curator)
    response = demo.get(reverse("registry:person-detail", args=[pupil.pk]))
    assert response.status_code == 404
    body = response.content.decode()
    assert "Страница не найдена" in body and "DEBUG = True" not in body
    assert_nothing_internal(body, pupil.full_name)


@pytest.mark.urls("tests.test_error_pages")
def test_with_debug_on_a_500_shows_the_russian_page_and_is_still_logged(demo, pupil, log_output):
    response = demo.get("/boom/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Ошибка сервера" in body
    assert_nothing_internal(body, pupil.full_name)
    assert any("Internal Server Error: /boom/" in line for line in lines(log_output))


def test_with_debug_on_a_bad_host_shows_the_russian_400(demo):
    response = demo.get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    body = response.content.decode()
    assert "Неверный запрос" in body and "DEBUG = True" not in body


def test_a_developer_can_ask_for_the_technical_pages(demo, settings):
    settings.TECHNICAL_ERROR_PAGES = True
    response = demo.get("/no-such-page/")
    assert response.status_code == 404
    assert "DEBUG = True" in response.content.decode()
