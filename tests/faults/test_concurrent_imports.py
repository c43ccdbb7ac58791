"""docs/reliability.md #54 (PostgreSQL) and #52 (SQLite): two admins import overlapping workbooks at the
same moment, as two ``manage.py import_workbook`` processes started together.

Both books hold the same municipalities and organizations; in each organization book A names
mentors 0…A-1 and book B mentors OFFSET…OFFSET+A-1, so ``OVERLAP`` of them are in both. The
imports are serialized (PostgreSQL: the import's advisory lock, seen held by one and awaited by
the other; SQLite: the write lock, the other waiting under the busy timeout, never «database is
locked»). Afterwards every person is in the registry once (the union of the books), and the job
that finished second counts the shared rows as unchanged and creates only its own.
"""

import json
import subprocess
import sys
import threading
import time

import pytest

from registry.workbook.engine import IMPORT_LOCK_ID
from tests.stack import MANAGE, open_stack, people_workbook, session_database, wait_for

pytestmark = pytest.mark.stack

POSTGRESQL = session_database()["ENGINE"] == "django.db.backends.postgresql"
MUNICIPALITIES = 4
# Large enough on PostgreSQL (COPY) for the two imports to overlap by seconds; on SQLite small enough
# that the waiting one stays well inside the 20 s busy timeout.
ORGANIZATIONS, PER_ORGANIZATION, OFFSET = (100, 90, 30) if POSTGRESQL else (40, 60, 20)
OVERLAP = PER_ORGANIZATION - OFFSET
UNION = ORGANIZATIONS * (PER_ORGANIZATION + OFFSET)


@pytest.fixture
def stack(tmp_path):
    with open_stack(tmp_path) as stack:
        yield stack


def awaited_import_lock(stack) -> bool:
    """PostgreSQL: one backend of the stack's database holds the import lock and another waits for it."""
    rows = stack.query(
        "SELECT l.granted FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
        "WHERE l.locktype = 'advisory' AND l.classid = 0 AND l.objid = %s AND d.datname = current_database()",
        [IMPORT_LOCK_ID],
    )
    return sorted(granted for (granted,) in rows) == [False, True]


def test_two_overlapping_imports_at_once_leave_no_duplicates_and_count_right(stack, tmp_path):
    books = {
        name: people_workbook(
            tmp_path / f"{name}.xlsx",
            municipalities=MUNICIPALITIES,
            organizations=ORGANIZATIONS,
            mentors_per_organization=PER_ORGANIZATION,
            first_mentor=first,
        )
        for name, first in (("A", 0), ("B", OFFSET))
    }
    env = stack.env()
    started = time.monotonic()
    processes = {
        name: subprocess.Popen(  # noqa: S603 — our own manage.py
            [sys.executable, str(MANAGE), "import_workbook", str(book.path)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, book in books.items()
    }
    contention = {}
    if POSTGRESQL:

        def watch():
            with_lock = wait_for(
                lambda: awaited_import_lock(stack) or all(p.poll() is not None for p in processes.values()),
                timeout=120,
                every=0.01,
                what="the imports",
            )
            contention["seen"] = with_lock is True and any(p.poll() is None for p in processes.values())

        watcher = threading.Thread(target=watch)
        watcher.start()
    outputs = {name: p.communicate(timeout=120) for name, p in processes.items()}
    elapsed = time.monotonic() - started
    if POSTGRESQL:
        watcher.join(timeout=10)
    for name, p in processes.items():
        out, err = outputs[name]
        assert p.returncode == 0, f"import {name} failed ({p.returncode})\n{out}\n{err}"
        assert "locked" not in (out + err).lower()
    if POSTGRESQL:
        assert contention.get("seen"), "the two imports never ran at the same time (one awaiting the lock)"

    jobs = json.loads(
        stack.shell(
            """
import json
from registry.models import ImportJob
print(json.dumps([
    {"file": job.file_name, "status": job.status, "started": job.started_at.timestamp(),
     "finished": job.finished_at.timestamp(),
     "counts": {s["sheet"]: [s["created"], s["updated"], s["unchanged"]] for s in job.report["sheets"]}}
    for job in ImportJob.objects.order_by("finished_at")
]))
"""
        ).splitlines()[-1]
    )
    assert [job["status"] for job in jobs] == ["done", "done"], jobs
    first, second = jobs
    zero = first["started"]
    print(
        f"{stack.vendor}: two imports of {ORGANIZATIONS * PER_ORGANIZATION} mentors each "
        f"({ORGANIZATIONS * OVERLAP} shared), both processes done in {elapsed:.1f} s; jobs (s): "
        f"{first['file']} {0:.1f}–{first['finished'] - zero:.1f}, "
        f"{second['file']} {second['started'] - zero:.1f}–{second['finished'] - zero:.1f}"
    )
    assert first["counts"] == {
        "Муниципалитеты": [MUNICIPALITIES, 0, 0],
        "Организации": [ORGANIZATIONS, 0, 0],
        "Наставники": [ORGANIZATIONS * PER_ORGANIZATION, 0, 0],
    }
    assert second["counts"] == {
        "Муниципалитеты": [0, 0, MUNICIPALITIES],
        "Организации": [0, 0, ORGANIZATIONS],
        "Наставники": [ORGANIZATIONS * OFFSET, 0, ORGANIZATIONS * OVERLAP],
    }

    assert stack.counts(["registry_region", "registry_municipality", "registry_organization"]) == {
        "registry_region": 1,
        "registry_municipality": MUNICIPALITIES,
        "registry_organization": ORGANIZATIONS,
    }
    assert stack.count("registry_person") == UNION
    assert stack.count("registry_basemembership") == UNION
    assert stack.count("registry_historicalperson") == UNION, "a history row per created person, none more"
    duplicates = stack.query(
        "SELECT m.organization_id, p.full_name, p.birth_date, COUNT(*) FROM registry_person p "
        "JOIN registry_basemembership m ON m.person_id = p.id "
        "GROUP BY m.organization_id, p.full_name, p.birth_date HAVING COUNT(*) > 1"
    )
    assert duplicates == []
