"""Time a region's report from the click to the PDF against WeasyPrint alone on the same HTML (issue 6).

    .venv/bin/python bench/bench_reports.py [--runs 5] [--big-rows 2000]

Runs on the database of the environment (``DATABASE_URL``; the SQLite file of ``make run`` by default)
after ``seed_demo``: the demo region has 340 schools, so the monitoring report of the regional readiness
campaign (seed 003, 228 of 340) carries a 340-row appendix table plus its prose, tables and charts.

Measured, each ``--runs`` times after one warm-up, alternating, all in this process:

- **baseline**: ``weasyprint.HTML(string=html).write_pdf()`` on exactly the HTML our pipeline renders
  (stylesheet inlined, charts as data URIs), WeasyPrint's default fetcher — WeasyPrint alone;
- **ours**: what the worker does for the click: ``services.request_file`` (the report's data built by the
  builders, the draft composed, the ``ReportFile`` row) and ``services.run_file`` (HTML template, charts,
  WeasyPrint through the safe fetcher with metadata, the PDF stored in the database);
- the same two for a synthetic ``--big-rows`` table (the region's appendix repeated) — the size where a
  report goes to the worker.

Printed: median seconds, pages, and the ratio ours ÷ baseline. Target of the issue: ≤ 1.3.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mentoring_portal.settings")

import django  # noqa: E402

django.setup()

import weasyprint  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from monitoring.demo import SMOLENSK_READINESS  # noqa: E402
from reports import render, services  # noqa: E402
from reports.models import Kind, ReportFile  # noqa: E402
from reports.sources import resolve  # noqa: E402


def interleaved(baseline, ours, runs: int) -> tuple[float, float, object]:
    """Medians of ``runs`` timed calls of each, alternated so that a busy machine weighs on both alike."""
    baseline(), ours()  # warm-up: imports, fonts, caches
    base_times, our_times, result = [], [], None
    for _ in range(runs):
        started = time.perf_counter()
        baseline()
        base_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        result = ours()
        our_times.append(time.perf_counter() - started)
    return statistics.median(base_times), statistics.median(our_times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--big-rows", type=int, default=2000)
    args = parser.parse_args()

    operator = get_user_model().objects.get(username="operator")
    report = resolve(operator, Kind.MONITORING_REPORT, campaign=SMOLENSK_READINESS["title"])
    report = services.create(report, user=operator)
    try:
        document = services.document_of(report)
        rows = max(len(b["rows"]) for b in document["blocks"] if b["type"] == "table")
        print(f"Отчёт: {document['title']}")
        print(f"База данных: {connection.vendor}; строк в самой длинной таблице: {rows}")
        with CaptureQueriesContext(connection) as queries:
            services.document_of(report)
        print(f"Запросов для данных отчёта: {len(queries)}")

        def ours():
            render._chart_uri.cache_clear()  # a worker process draws the charts afresh
            job = services.request_file(report, "pdf", user=operator)
            job = services.run_file(job.pk)  # the worker's part (a region's report is queued)
            assert job.status == ReportFile.Status.DONE, job.error
            return job.pages

        html = render.to_html(document)

        def baseline():
            return weasyprint.HTML(string=html).write_pdf()

        t_base, t_ours, pages = interleaved(baseline, ours, args.runs)
        print(f"\n340 строк (регион): WeasyPrint отдельно {t_base:.2f} с;")
        print(f"  наш путь от запроса до PDF {t_ours:.2f} с;")
        print(f"  страниц {pages}; отношение {t_ours / t_base:.2f} (цель ≤ 1,3)")

        # A bigger table: the appendix repeated up to --big-rows rows, rendered by both paths.
        big = {**document, "blocks": []}
        for block in document["blocks"]:
            if block["type"] == "table" and len(block["rows"]) == rows:
                repeated = (block["rows"] * (args.big_rows // rows + 1))[: args.big_rows]
                block = {**block, "rows": repeated}
            big["blocks"].append(block)
        big_html = render.to_html(big)

        def big_baseline():
            return weasyprint.HTML(string=big_html).write_pdf()

        def big_ours():
            return render.to_pdf(big)

        t_big_base, t_big_ours, (_, big_pages) = interleaved(big_baseline, big_ours, max(1, args.runs // 2))
        print(
            f"\n{args.big_rows} строк: WeasyPrint отдельно {t_big_base:.2f} с; "
            f"наш рендер {t_big_ours:.2f} с; "
            f"страниц {big_pages}; отношение {t_big_ours / t_big_base:.2f}"
        )
    finally:
        report.delete()


if __name__ == "__main__":
    main()
