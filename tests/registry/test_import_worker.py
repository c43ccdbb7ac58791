"""docs/reliability.md #48: the task worker SIGKILLed halfway through an import commits nothing; the job
stays «загружается» until the reaper marks it «прерван»; a retry imports every row exactly once.

Black box: a fresh database of the session's vendor, ``manage.py`` commands and a real
``manage.py db_worker`` process (``tests/stack.py``). The kill waits until the import's
transaction is open and has written rows that nobody else can see yet:

- PostgreSQL: a backend of the stack's database holds a transaction id (it wrote) across polls,
  and the people table's heap has grown past ``WRITTEN_BYTES`` (uncommitted rows take room);
- SQLite: the database is write-locked (``BEGIN IMMEDIATE`` with no wait fails) while the job
  is «загружается», and the write-ahead log has grown by ``WRITTEN_BYTES`` since (the import's
  uncommitted pages spilling into it; only the lock holder writes there).
"""

import json
import signal
import time
from pathlib import Path

import pytest

from tests.stack import open_stack, people_workbook, wait_for

pytestmark = pytest.mark.stack

MUNICIPALITIES, ORGANIZATIONS, MENTORS_PER_ORGANIZATION = 10, 200, 100  # 20,000 people
WRITTEN_BYTES = 1024 * 1024  # about a third of the people's rows on either vendor
# Tables the import writes, with the rows one import of the workbook leaves in them.
EXPECTED = {
    "registry_region": 1,
    "registry_municipality": MUNICIPALITIES,
    "registry_organization": ORGANIZATIONS,
    "registry_historicalorganization": ORGANIZATIONS,
    "registry_person": ORGANIZATIONS * MENTORS_PER_ORGANIZATION,
    "registry_historicalperson": ORGANIZATIONS * MENTORS_PER_ORGANIZATION,
    "registry_basemembership": ORGANIZATIONS * MENTORS_PER_ORGANIZATION,
    "registry_historicalbasemembership": ORGANIZATIONS * MENTORS_PER_ORGANIZATION,
}


@pytest.fixture
def stack(tmp_path):
    with open_stack(tmp_path) as stack:
        yield stack


def job_row(stack) -> tuple:
    """status, rows done, rows total, what the page says (the error of an ended job, else its stage), file."""
    rows = stack.query(
        "SELECT status, progress_done, progress_total, CASE WHEN error <> '' THEN error ELSE stage END, file "
        "FROM registry_importjob"
    )
    assert len(rows) == 1, rows
    return rows[0]


def checked_and_confirmed(stack, path: Path) -> dict:
    """An admin's upload, checked (the dry run the worker would run) and confirmed: queued for the worker."""
    out = stack.shell(
        f"""
import json
from django.contrib.auth import get_user_model
from registry import imports
admin = get_user_model().objects.create_superuser("admin", password="pass")
with open({str(path)!r}, "rb") as upload:
    job = imports.create_job(upload=upload, user=admin, file_name="область.xlsx")
job = imports.run_job(job_id=job.pk)
checked = job.status
error = imports.confirm(job=job)
job.refresh_from_db()
print(json.dumps({{"id": str(job.pk), "checked": checked, "error": error, "rows": job.rows,
                  "status": job.status, "commit": job.commit_requested}}))
"""
    )
    return json.loads(out.strip().splitlines()[-1])


def still_running(stack) -> str:
    status, done, total, phase, _ = job_row(stack)
    if status not in ("queued", "importing"):
        pytest.fail(
            f"the import ended ({status}: {phase}, {done}/{total}) before a transaction open across polls "
            f"was seen; rows now: {stack.counts(EXPECTED)}\n{stack.outputs()}"
        )
    return status


def wait_until_import_has_written(stack, timeout: float = 60) -> str:
    """Block until the import's transaction is open and has written; returns what was seen."""
    if stack.vendor == "postgresql":
        seen = {}

        def writing():
            status = still_running(stack)
            current = set(stack.writing_transactions())
            # The same transaction across polls: the import's, not a one-statement progress update.
            lasting = current & seen.get("previous", set())
            seen["previous"] = current
            heap = stack.query("SELECT pg_relation_size('registry_person')")[0][0]
            if status == "importing" and lasting and heap >= WRITTEN_BYTES:
                return f"backend/xid {sorted(lasting)}, registry_person heap {heap} bytes"
            return None

        return wait_for(writing, timeout=timeout, what="the import's writing transaction", stack=stack)

    wal = Path(stack.sqlite_path + "-wal")
    seen = {}

    def writing():
        if still_running(stack) != "importing" or not stack.write_locked():
            seen.clear()  # the lock must be the import's, held from the first sighting on
            return None
        size = wal.stat().st_size if wal.exists() else 0
        seen.setdefault("start", size)
        if size - seen["start"] >= WRITTEN_BYTES:
            return f"write lock held, WAL {seen['start']} → {size} bytes"
        return None

    return wait_for(writing, timeout=timeout, what="the import's write lock and WAL growth", stack=stack)


def test_worker_killed_mid_import_commits_nothing_and_a_retry_imports_every_row_once(stack, tmp_path):
    started = time.monotonic()
    book = people_workbook(
        tmp_path / "область.xlsx",
        municipalities=MUNICIPALITIES,
        organizations=ORGANIZATIONS,
        mentors_per_organization=MENTORS_PER_ORGANIZATION,
    )
    job = checked_and_confirmed(stack, book.path)
    assert job["checked"] == "checked", job
    assert job["error"] is None, job
    assert (job["status"], job["commit"]) == ("queued", True), "with IMPORT_INLINE_MAX_ROWS=0 it is queued"
    assert job["rows"] == MUNICIPALITIES + ORGANIZATIONS + book.mentors
    data_tables = [t for t in stack.tables("registry_") if t != "registry_importjob"]
    assert set(EXPECTED) <= set(data_tables)
    before = stack.counts(data_tables)
    assert all(before[t] == 0 for t in EXPECTED), before

    worker = stack.start_worker()
    seen = wait_until_import_has_written(stack)
    stack.kill(worker, signal.SIGKILL)
    assert worker.returncode == -signal.SIGKILL
    killed_at = time.monotonic() - started

    status, done, total, phase, stored = job_row(stack)
    print(f"SIGKILL {killed_at:.1f} s into the test: {seen}; job {status} {done}/{total} «{phase}»")
    assert stack.counts(data_tables) == before, f"rows committed by a killed import ({seen})"
    assert status == "importing", (status, phase)
    assert stored, "the file of an unfinished job is kept for a retry"

    # Not stale yet under the default limit (five minutes): the reaper leaves it alone.
    assert (
        stack.shell("from registry.imports import reap_stale_jobs; print(reap_stale_jobs())").strip() == "0"
    )
    assert job_row(stack)[0] == "importing"
    reaped = stack.shell(
        "from registry.imports import reap_stale_jobs; print(reap_stale_jobs())",
        env={"IMPORT_STALE_AFTER_SECONDS": 0},
    )
    assert reaped.strip() == "1"
    status, *_, phase, stored = job_row(stack)
    assert status == "interrupted", (status, phase)
    assert "ничего не записано" in phase
    assert stack.counts(data_tables) == before

    retried = stack.shell(
        f"""
from registry import imports
from registry.models import ImportJob
job = ImportJob.objects.get(pk={job["id"]!r})
assert job.status == "interrupted" and job.file, (job.status, job.file)
imports.start(job=job, commit=True)
print(job.status)
"""
    )
    assert retried.strip() == "queued"
    stack.start_worker()
    wait_for(
        lambda: job_row(stack)[0] not in ("queued", "importing"), timeout=90, what="the retry", stack=stack
    )
    status, *_, phase, stored = job_row(stack)
    assert status == "done", (status, phase, stack.outputs())
    # The file goes right after the status is saved: the personal data of a finished import is not kept.
    wait_for(lambda: not job_row(stack)[4], timeout=10, what="the stored file's removal", stack=stack)

    after = stack.counts(data_tables)
    assert {t: after[t] for t in EXPECTED} == EXPECTED, f"killed at {killed_at:.1f} s after {seen}"
    assert {t: n for t, n in after.items() if t not in EXPECTED} == {
        t: n for t, n in before.items() if t not in EXPECTED
    }
    report = json.loads(
        stack.shell(
            "import json; from registry.models import ImportJob; "
            f"print(json.dumps(ImportJob.objects.get(pk={job['id']!r}).report))"
        )
    )
    created = {sheet["sheet"]: sheet["created"] for sheet in report["sheets"]}
    assert created == {
        "Муниципалитеты": MUNICIPALITIES,
        "Организации": ORGANIZATIONS,
        "Наставники": book.mentors,
    }
    assert report["committed"] is True
    assert report["errors"] == []
