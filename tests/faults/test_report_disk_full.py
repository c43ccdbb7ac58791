"""docs/reliability.md #49 for report files written by the worker: a finished PDF is stored in the
database (``ReportFile.content``), so a full disk there is a full database volume. The worker's
write fails, the file is «сбой» with «Недостаточно места на диске сервера: файл не сохранён…»
(not left «формируется»), nothing of it is stored, the event is logged, the worker goes on, and
with room again the same request succeeds.

A real ENOSPC: the stack's SQLite database is moved onto a tmpfs, which is filled (all but
``LEFT`` bytes) while the worker lays the PDF out. PostgreSQL's data volume is the shared
server's and is not filled; there the same code path handles ``DiskFull`` (SQLSTATE 53100).
"""

import os
import subprocess

import pytest

from tests.faults.test_disk_full import can_mount, mount_tmpfs
from tests.faults.test_report_worker_killed import EVENTS, file_row
from tests.stack import open_stack, seed_region_roadmap_report, session_database, wait_for

pytestmark = [
    pytest.mark.stack,
    pytest.mark.skipif(
        session_database()["ENGINE"] != "django.db.backends.sqlite3",
        reason="fills the database's disk: only a SQLite file can be put on a small filesystem here",
    ),
]
# Room left on the disk while the worker lays the PDF out: the last heartbeat (a few pages of
# write-ahead log) fits, the file (≈ 150 KB) does not.
LEFT = 48 * 1024
DISK_FULL = "Недостаточно места на диске сервера: файл не сохранён"

REQUEST = """
from django.contrib.auth import get_user_model
from reports import services
from reports.models import Report
report = Report.objects.get(pk={report})
operator = get_user_model().objects.get(username="operator")
{version}
job = services.report_file_request(report=report, fmt="pdf", user=operator, version=version)
print(job.pk, job.status)
"""
PUBLISH = "version = services.report_publish(report=report, user=operator)"
LAST_VERSION = "version = report.versions.get()"


@pytest.fixture
def disk(tmp_path):
    reason = can_mount(tmp_path)
    if reason:
        pytest.skip(reason)
    path = tmp_path / "db-disk"
    mount_tmpfs(path, "64m")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False, timeout=10)  # noqa: S603, S607


@pytest.fixture
def stack(tmp_path, disk):
    with open_stack(tmp_path) as stack:
        stack.report_id = seed_region_roadmap_report(stack, events=EVENTS)
        yield stack


def fill(path, left: int) -> None:
    """Write ``path`` until ``left`` bytes remain free on its filesystem."""
    stats = os.statvfs(path.parent)
    size = stats.f_bavail * stats.f_frsize - left
    with open(path, "wb") as filler:
        filler.write(b"\0" * size)


def request_pdf(stack, version: str) -> str:
    pk, status = stack.shell(REQUEST.format(report=stack.report_id, version=version)).split()
    assert status == "queued"
    return pk


def rendered(stack, pk: str) -> dict:
    wait_for(
        lambda: file_row(stack, pk)["status"] not in ("queued", "running"),
        timeout=90,
        what="the worker's rendering",
        stack=stack,
    )
    return file_row(stack, pk)


def test_a_report_file_that_does_not_fit_on_the_disk_fails_cleanly(stack, disk):
    # With room: the version is published, its PDF rendered once to learn its size.
    first = request_pdf(stack, PUBLISH)
    worker = stack.start_worker()
    healthy = rendered(stack, first)
    assert healthy["status"] == "done", healthy
    pdf_size = healthy["size"]
    stack.stop(worker)

    # The database onto the tmpfs; once the worker lays the next PDF out, the disk is filled up to
    # LEFT bytes: the last heartbeat fits, the file does not.
    stack.move_sqlite(disk)
    stack.query("DELETE FROM reports_reportfile")  # the next request renders the version afresh
    second = request_pdf(stack, LAST_VERSION)
    worker = stack.start_worker()
    wait_for(
        lambda: file_row(stack, second)["stage"] == "Вёрстка страниц", timeout=60, what="layout", stack=stack
    )
    filler = disk / "filler"
    fill(filler, LEFT)
    row = rendered(stack, second)
    print(f"PDF of {pdf_size} bytes, {LEFT} bytes left on the disk: {row['status']}, «{row['error']}»")
    assert row["status"] == "failed", (row, stack.outputs())
    assert row["error"].startswith(DISK_FULL), row
    assert row["empty"] and row["size"] == 0
    assert stack.query("SELECT COUNT(*) FROM reports_reportfile WHERE status = 'done'")[0][0] == 0
    assert "the file could not be stored" in worker.log.read_text()
    assert worker.poll() is None, "the worker goes on"

    # Room again: the same request succeeds with the running worker.
    filler.unlink()
    third = request_pdf(stack, LAST_VERSION)
    row = rendered(stack, third)
    assert row["status"] == "done" and row["size"] == pdf_size, row
