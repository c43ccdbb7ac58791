"""The pages and checks behind docs/reliability.md #49 and #50, in process: the 503 page is Russian,
standalone and CSP-clean; real errors (a failed query, a write to ``/dev/full``, a SQLite
database at its size limit) are recognised for what they are."""

import os
import sqlite3

import pytest
from django.db import OperationalError, connection
from django.template.loader import render_to_string
from django.test import RequestFactory

from common import faults


def real_operational_error() -> OperationalError:
    """SQLite: a missing table; PostgreSQL: a statement cancelled by its timeout (QueryCanceled)."""
    try:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET LOCAL statement_timeout = 1")
                cursor.execute("SELECT pg_sleep(1)")
            else:
                cursor.execute("SELECT * FROM no_such_table_of_the_portal")
    except OperationalError as error:
        return error
    raise AssertionError("the query did not fail")


def test_503_page_is_russian_standalone_and_needs_no_inline_style_or_script():
    html = render_to_string("503.html", {"title": faults.UNAVAILABLE_TITLE, "message": faults.UNAVAILABLE})
    assert "Сервис временно недоступен, повторите через минуту." in html
    assert 'lang="ru"' in html
    assert "style=" not in html and "<style" not in html and "<script" not in html
    assert "{%" not in html and "{{" not in html


@pytest.mark.django_db
def test_a_database_error_in_a_view_becomes_a_generic_503(caplog):
    error = real_operational_error()
    request = RequestFactory().get("/organizations/")
    middleware = faults.FaultsMiddleware(lambda request: None)
    with caplog.at_level("WARNING", logger="common.faults"):
        response = middleware.process_exception(request, error)
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    body = response.content.decode()
    assert faults.UNAVAILABLE in body
    assert "no_such_table" not in body and "statement" not in body
    assert "SELECT" not in body and "Traceback" not in body
    assert "database unavailable: GET /organizations/: OperationalError" in caplog.text


def test_other_errors_are_left_to_django():
    middleware = faults.FaultsMiddleware(lambda request: None)
    assert middleware.process_exception(RequestFactory().get("/"), ValueError("x")) is None


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="/dev/full absent")
def test_a_write_to_a_full_device_is_recognised_as_a_full_disk():
    with pytest.raises(OSError) as caught, open("/dev/full", "wb") as device:  # noqa: PT012
        device.write(b"x" * 8192)
        device.flush()
    assert faults.is_disk_full(caught.value)
    assert not faults.is_disk_full(FileNotFoundError(2, "absent"))


def test_a_sqlite_database_at_its_size_limit_is_recognised_as_full():
    database = sqlite3.connect(":memory:")
    database.execute("CREATE TABLE blob (content BLOB)")
    (pages,) = database.execute("PRAGMA page_count").fetchone()
    database.execute(f"PRAGMA max_page_count = {pages + 2}")
    with pytest.raises(sqlite3.OperationalError) as caught:
        database.execute("INSERT INTO blob VALUES (zeroblob(1000000))")
    assert faults.is_database_full(caught.value)
    assert not faults.is_database_full(sqlite3.OperationalError("no such table: x"))
