"""docs/reliability.md #47: the database connection of a 20,000-row import is lost halfway (its backend
terminated with ``pg_terminate_backend``): the job is «сбой» with «Импорт прерван: …, ничего не
сохранено», no row of the import is committed, and a re-run imports exactly the expected rows.

PostgreSQL only. The import's backend is the one holding the import's advisory lock
(``registry.workbook.engine.IMPORT_LOCK_ID``), terminated once its transaction has written.
"""

import json
import time

import pytest

from registry.workbook.engine import IMPORT_LOCK_ID
from tests.registry.test_import_worker import (
    EXPECTED,
    MENTORS_PER_ORGANIZATION,
    MUNICIPALITIES,
    ORGANIZATIONS,
    checked_and_confirmed,
    job_row,
    wait_until_import_has_written,
)
from tests.stack import open_stack, people_workbook, session_database, wait_for

pytestmark = [
    pytest.mark.stack,
    pytest.mark.skipif(
        session_database()["ENGINE"] != "django.db.backends.postgresql",
        reason="pg_terminate_backend: a PostgreSQL server (SQLite has no server connection to lose)",
    ),
]


@pytest.fixture
def stack(tmp_path):
    with open_stack(tmp_path) as stack:
        yield stack


def lock_holders(stack) -> list[int]:
    return [
        pid
        for (pid,) in stack.query(
            "SELECT l.pid FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objid = %s "
            "AND d.datname = current_database()",
            [IMPORT_LOCK_ID],
        )
    ]


def test_connection_lost_mid_import_fails_the_job_saves_nothing_and_a_rerun_succeeds(stack, tmp_path):
    book = people_workbook(
        tmp_path / "область.xlsx",
        municipalities=MUNICIPALITIES,
        organizations=ORGANIZATIONS,
        mentors_per_organization=MENTORS_PER_ORGANIZATION,
    )
    job = checked_and_confirmed(stack, book.path)
    assert (job["checked"], job["status"]) == ("checked", "queued"), job
    data_tables = [t for t in stack.tables("registry_") if t != "registry_importjob"]
    before = stack.counts(data_tables)

    worker = stack.start_worker()
    seen = wait_until_import_has_written(stack)
    (pid,) = lock_holders(stack)
    assert stack.query("SELECT pg_terminate_backend(%s)", [pid]) == [(True,)]
    terminated = time.monotonic()

    wait_for(lambda: job_row(stack)[0] != "importing", timeout=30, what="the job to end", stack=stack)
    status, done, total, phase, stored = job_row(stack)
    noticed = time.monotonic() - terminated
    print(f"backend {pid} terminated after {seen}; job «{status}» {noticed:.2f} s later: {phase}")
    assert status == "failed", (status, phase)
    assert phase.startswith("Импорт прерван:") and "ничего не сохранено" in phase, phase
    assert stack.counts(data_tables) == before, "rows of a lost transaction were committed"
    assert stored, "the file of a failed job is kept for a retry"
    assert worker.poll() is None, "the worker survives a lost connection and takes the next job"

    # The admin's «Повторить» (registry.views.workbook.import_job_retry does the same).
    assert (
        stack.shell(
            f"""
from registry import imports
from registry.models import ImportJob
job = ImportJob.objects.get(pk={job["id"]!r})
imports.start(job=job, commit=True)
print(job.status)
"""
        ).strip()
        == "queued"
    )
    wait_for(
        lambda: job_row(stack)[0] not in ("queued", "importing"), timeout=90, what="the re-run", stack=stack
    )
    status, *_, phase, _ = job_row(stack)
    assert status == "done", (status, phase, stack.outputs())
    after = stack.counts(data_tables)
    assert {t: after[t] for t in EXPECTED} == EXPECTED
    assert {t: n for t, n in after.items() if t not in EXPECTED} == {
        t: n for t, n in before.items() if t not in EXPECTED
    }
    figures = json.loads(
        stack.shell(
            f"""
import json
from registry.models import ImportJob
job = ImportJob.objects.get(pk={job["id"]!r})
print(json.dumps({{"seconds": (job.finished_at - job.started_at).total_seconds(), "rows": job.rows,
                  "created": {{s["sheet"]: s["created"] for s in job.report["sheets"]}}}}))
"""
        ).splitlines()[-1]
    )
    assert figures["created"] == {
        "Муниципалитеты": MUNICIPALITIES,
        "Организации": ORGANIZATIONS,
        "Наставники": book.mentors,
    }
    print(
        f"re-run: {figures['rows']} rows in {figures['seconds']:.1f} s, "
        f"{figures['rows'] / figures['seconds']:.0f} rows/s"
    )
