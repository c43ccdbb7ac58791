"""Time a region's report from the click to the PDF against WeasyPrint alone on the same HTML.

    .venv/bin/python bench/bench_reports.py [--rounds 5] [--big-rows 2000]

Runs on the database of the environment (``DATABASE_URL``; the SQLite file of ``make run`` by default)
after ``seed_demo``: the demo region has 340 schools, so the monitoring report of the regional readiness
campaign (seed 003, 228 of 340) carries a 340-row appendix table plus its prose, tables and charts.

Two measurements, each in a fresh process of its own (as a task worker picks a job up), alternated
``--rounds`` times so that the machine's state weighs on both alike; every process renders once to
warm up (fonts, imports) and then once timed:

- **baseline**: ``weasyprint.HTML(string=html).write_pdf()`` on exactly the HTML our pipeline renders for
  the report (stylesheet inlined, charts as data URIs), WeasyPrint's default fetcher — WeasyPrint alone;
- **ours**: what happens for the click: ``services.report_file_request`` (the report's data built by the
  builders, the draft composed, the ``ReportFile`` row) and ``services.report_file_run`` (the worker's part:
  HTML template, the charts drawn by matplotlib, WeasyPrint through the safe fetcher with metadata, the
  PDF stored in the database);
- the same two for a synthetic ``--big-rows`` appendix (the region's rows repeated): renderer only.

(Timing both in one process, alternately, gave ratios from 1.1 to 1.5 depending on the order of the
runs: WeasyPrint's and the allocator's state carried over from one render to the next.)

Printed: each round, the medians, pages, and the ratio ours ÷ baseline. Target: ≤ 1.3.
"""

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def setup():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mentoring_portal.settings")
    os.environ.setdefault("REPORT_RENDERS_PER_MINUTE", "0")  # the bench renders on purpose, unlimited
    import django

    django.setup()


def the_report():
    from django.contrib.auth import get_user_model

    from monitoring.demo import SMOLENSK_READINESS
    from reports import services
    from reports.models import Kind, Report
    from reports.sources import resolve

    operator = get_user_model().objects.get(username="operator")
    report = resolve(operator, Kind.MONITORING_REPORT, campaign=SMOLENSK_READINESS["title"])
    existing = Report.objects.filter(kind=report.kind, campaign=report.campaign, municipality=None).first()
    return existing or services.report_create(report=report, user=operator), operator


def big_document(document: dict, rows: int) -> dict:
    longest = max(len(b["rows"]) for b in document["blocks"] if b["type"] == "table")
    big = {**document, "blocks": []}
    for block in document["blocks"]:
        if block["type"] == "table" and len(block["rows"]) == longest:
            block = {**block, "rows": (block["rows"] * (rows // longest + 1))[:rows]}
        big["blocks"].append(block)
    return big


def measure(what: str, big_rows: int) -> dict:
    """One fresh process: warm up once, time once."""
    setup()
    import weasyprint

    from reports import render, services
    from reports.models import ReportFile

    report, operator = the_report()
    document = services.report_document(report=report)
    phases = _time_phases() if what == "ours" else {}

    if what == "baseline":
        html = render.to_html(document)

        def run():
            rendered = weasyprint.HTML(string=html).render()
            rendered.write_pdf()
            return len(rendered.pages), None

    elif what == "ours":

        def run():
            render._chart_uri.cache_clear()  # the worker draws the charts afresh
            # The unchanged draft's file of the previous run would be given again: rendered afresh.
            ReportFile.objects.filter(report=report).delete()
            job = services.report_file_request(report=report, fmt="pdf", user=operator)
            job = services.report_file_run(job_id=job.pk)
            assert job.status == ReportFile.Status.DONE, job.error
            return job.pages, job.pk

    elif what == "big-baseline":
        html = render.to_html(big_document(document, big_rows))

        def run():
            rendered = weasyprint.HTML(string=html).render()
            rendered.write_pdf()
            return len(rendered.pages), None

    else:  # big-ours
        big = big_document(document, big_rows)

        def run():
            render._chart_uri.cache_clear()
            return render.to_pdf(big)[1], None

    run()
    gc.collect()  # the worker collects after each job (reports.tasks); so does the baseline here
    started = time.perf_counter()
    pages, job = run()
    seconds = time.perf_counter() - started
    if job is not None:
        ReportFile.objects.filter(report=report).delete()
    # The timed run's share of each phase (the warm-up counted too: halve).
    return {"seconds": seconds, "pages": pages, "phases": {k: v / 2 for k, v in phases.items()}}


def _time_phases() -> dict:
    """Wrap the pipeline's steps to see where the time goes (data, charts, HTML, WeasyPrint)."""
    import functools

    from reports import charts, pdf, render, services

    spent: dict[str, float] = {}

    def wrap(module, name, label):
        original = getattr(module, name)

        @functools.wraps(original)
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - started

        setattr(module, name, timed)

    wrap(services, "report_document", "данные и текст")
    wrap(charts, "svg_data_uri", "диаграммы")
    wrap(render, "to_html", "HTML (с диаграммами)")
    wrap(pdf, "render_document", "WeasyPrint")
    return spent


def spawn(what: str, big_rows: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--measure", what, "--big-rows", str(big_rows)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--big-rows", type=int, default=2000)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.big_rows)))
        return

    setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reports import services

    report, _ = the_report()
    document = services.report_document(report=report)
    with CaptureQueriesContext(connection) as queries:
        services.report_document(report=report)
    rows = max(len(b["rows"]) for b in document["blocks"] if b["type"] == "table")
    print(f"Отчёт: {document['title']}")
    print(f"База данных: {connection.vendor}; строк в самой длинной таблице: {rows}")
    print(f"Запросов для данных отчёта: {len(queries)}")

    for label, pair in (
        (f"{rows} строк (регион), от запроса до PDF", ("baseline", "ours")),
        (f"{args.big_rows} строк, рендер", ("big-baseline", "big-ours")),
    ):
        results: dict[str, list[dict]] = {name: [] for name in pair}
        for n in range(args.rounds):
            for name in pair if n % 2 == 0 else reversed(pair):
                results[name].append(spawn(name, args.big_rows))
            print(
                f"  раунд {n + 1}: "
                + ", ".join(f"{name} {results[name][-1]['seconds']:.2f} с" for name in pair)
            )
        base, ours = (statistics.median(r["seconds"] for r in results[name]) for name in pair)
        pages = results[pair[1]][-1]["pages"]
        phases = results[pair[1]][-1].get("phases") or {}
        if phases:
            print("  из них (последний раунд): " + ", ".join(f"{k} {v:.2f} с" for k, v in phases.items()))
        print(
            f"{label}: WeasyPrint отдельно {base:.2f} с, наш путь {ours:.2f} с, страниц {pages}, "
            f"отношение {ours / base:.2f} (цель ≤ 1,3)\n"
        )


if __name__ == "__main__":
    main()
