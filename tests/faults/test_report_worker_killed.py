"""docs/reliability.md #48 for reports: the task worker SIGKILLed while WeasyPrint lays out a region's PDF
leaves no file behind (no row «готов», no content, nothing in MEDIA_ROOT or the temporary
directory); the reaper marks the file «прерван» once it has been silent for
``REPORT_STALE_AFTER_SECONDS``; asked for again, a fresh worker renders it.

Black box: a fresh database of the session's vendor, ``manage.py`` commands and real
``manage.py db_worker`` processes (``tests/stack.py``). The report is a region's road-map note
with ``EVENTS`` events, which takes the worker seconds to lay out (≈ 4.4 ms a table row).
"""

import json
import signal
import time

import pytest

from tests.stack import open_stack, seed_region_roadmap_report, wait_for

pytestmark = pytest.mark.stack

EVENTS = 400
STALE_AFTER = 2  # seconds: REPORT_STALE_AFTER_SECONDS of the reaping process


REQUEST = """
from django.contrib.auth import get_user_model
from reports import services
from reports.models import Report
report = Report.objects.get(pk={report})
operator = get_user_model().objects.get(username="operator")
job = services.report_file_request(report=report, fmt="pdf", user=operator)
print(job.pk, job.status)
"""


@pytest.fixture
def stack(tmp_path):
    with open_stack(tmp_path) as stack:
        stack.report_id = seed_region_roadmap_report(stack, events=EVENTS)
        yield stack


def file_row(stack, pk) -> dict:
    rows = stack.query(
        "SELECT status, stage, content IS NULL, size, error FROM reports_reportfile WHERE id = %s",
        [pk if stack.vendor == "postgresql" else pk.replace("-", "")],
    )
    assert len(rows) == 1, rows
    status, stage, empty, size, error = rows[0]
    return {"status": status, "stage": stage, "empty": bool(empty), "size": size, "error": error}


def files_under(*roots) -> list[str]:
    return sorted(str(p) for root in roots if root.exists() for p in root.rglob("*") if p.is_file())


def request_pdf(stack) -> str:
    pk, status = stack.shell(REQUEST.format(report=stack.report_id)).split()
    assert status == "queued", "a region's report is rendered by the worker"
    return pk


def test_worker_killed_mid_report_leaves_nothing_and_the_file_is_rendered_again(stack):
    first = request_pdf(stack)
    worker = stack.start_worker()
    wait_for(
        lambda: file_row(stack, first)["stage"] == "Вёрстка страниц",
        timeout=60,
        what="the worker laying the PDF out",
        stack=stack,
    )
    stack.kill(worker, signal.SIGKILL)
    killed_at = time.time()
    assert worker.returncode == -signal.SIGKILL

    row = file_row(stack, first)
    assert row["status"] == "running", row
    assert row["empty"] and row["size"] == 0, f"a killed rendering stored content: {row}"
    assert stack.count("reports_reportfile") == 1
    assert stack.query("SELECT COUNT(*) FROM reports_reportfile WHERE status = 'done'")[0][0] == 0
    assert files_under(stack.media_root, stack.tmp_dir) == [], "no stray file in media or temp"

    # The reaper, in a process whose limit is STALE_AFTER seconds, polled until it marks the file.
    reaped = json.loads(
        stack.shell(
            f"""
import json, time
from reports.services import report_files_reap
while not (n := report_files_reap()):
    time.sleep(0.1)
print(json.dumps({{"reaped": n, "after": time.time() - {killed_at}}}))
""",
            env={"REPORT_STALE_AFTER_SECONDS": STALE_AFTER},
        ).splitlines()[-1]
    )
    print(f"report file reaped {reaped['after']:.1f} s after the SIGKILL (limit {STALE_AFTER} s)")
    assert reaped["reaped"] == 1
    row = file_row(stack, first)
    assert row["status"] == "interrupted", row
    assert "Запросите файл ещё раз" in row["error"]
    assert row["empty"]

    # Asked for again: a new file, rendered by a fresh worker; the interrupted one stays as it was.
    second = request_pdf(stack)
    assert second != first
    stack.start_worker()
    wait_for(
        lambda: file_row(stack, second)["status"] not in ("queued", "running"),
        timeout=90,
        what="the second rendering",
        stack=stack,
    )
    row = file_row(stack, second)
    assert row["status"] == "done", (row, stack.outputs())
    assert not row["empty"] and row["size"] > 10_000
    content = stack.query(
        "SELECT content FROM reports_reportfile WHERE id = %s",
        [second if stack.vendor == "postgresql" else second.replace("-", "")],
    )[0][0]
    assert bytes(content[:5]) == b"%PDF-"
    assert file_row(stack, first)["status"] == "interrupted"
    assert files_under(stack.media_root, stack.tmp_dir) == []
