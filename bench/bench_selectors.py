"""Time the counting selectors on the benchmark database made by bench/generate.py.

    .venv/bin/python bench/bench_selectors.py [--database mentoring_bench] [--runs 15] [--warmups 2]
                                              [--as-of 2025-03-01] [--explain]

For one median-sized region, one median-sized municipality and the whole country, runs the
four selectors of one report (form_counts, category_counts, totals, headcount_totals) in turn,
``--warmups`` times untimed and ``--runs`` times timed, and prints per selector and for the
report the median and p90 milliseconds, the SQL queries made, and the ratio to two baselines
measured in the same process: a ``SELECT 1`` round trip and ``SELECT count(*)`` of the links
table. Targets (report = the four selectors): one region ≤ 50 ms median, the country ≤ 1 s.
``--explain SCOPE`` (region, municipality or country) then prints EXPLAIN (ANALYZE, BUFFERS) of
every query of that scope's report.

Exit status 0 whatever the figures (a benchmark, not a test); 3 if the database is missing.
"""

import argparse
import datetime
import math
import statistics
import sys
import time
from collections.abc import Callable

from benchdb import DEFAULT_DATABASE, EXIT_NO_DATABASE, database_exists, setup_django

TARGETS_MS = {"region": 50.0, "country": 1000.0}  # median of one report (the four selectors)
SELECTOR_NAMES = ("form_counts", "category_counts", "totals", "headcount_totals")


def p90(samples: list[float]) -> float:
    """Nearest-rank 90th percentile."""
    ordered = sorted(samples)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def time_ms(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def baseline(sql: str, runs: int, warmups: int) -> list[float]:
    from django.db import connection

    def query():
        with connection.cursor() as cursor:
            cursor.execute(sql)
            cursor.fetchall()

    for _ in range(warmups):
        query()
    return [time_ms(query) for _ in range(runs)]


def pick_scopes() -> list[tuple[str, str, object]]:
    """(kind, label, scope): the median region and municipality by number of organizations."""
    from django.db.models import Count

    from registry.models import Municipality, Region

    regions = list(Region.objects.annotate(n=Count("municipalities__organizations")).order_by("n", "code"))
    municipalities = list(Municipality.objects.annotate(n=Count("organizations")).order_by("n", "code"))
    if not regions or not municipalities:
        sys.exit("the benchmark database is empty: run bench/generate.py")
    region = regions[len(regions) // 2]
    municipality = municipalities[len(municipalities) // 2]
    return [
        ("region", f"region {region.code} ({region.n} organizations)", region),
        ("municipality", f"municipality {municipality.code} ({municipality.n} organizations)", municipality),
        ("country", "country (scope=None)", None),
    ]


def measure(scope, as_of: datetime.date, runs: int, warmups: int) -> dict[str, dict]:
    """Per selector and for the report: samples (ms) and the number of queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from registry import selectors

    calls = {name: getattr(selectors, name) for name in SELECTOR_NAMES}
    result = {name: {"samples": [], "queries": 0, "sql": []} for name in (*SELECTOR_NAMES, "report")}
    for name, selector in calls.items():  # counted apart from the timed runs: capturing adds overhead
        with CaptureQueriesContext(connection) as captured:
            selector(scope=scope, as_of=as_of)
        result[name]["queries"] = len(captured)
        result[name]["sql"] = [q["sql"] for q in captured.captured_queries]
        result["report"]["queries"] += len(captured)
    for _ in range(warmups):
        for selector in calls.values():
            selector(scope=scope, as_of=as_of)
    for _ in range(runs):
        total = 0.0
        for name, selector in calls.items():
            ms = time_ms(lambda selector=selector: selector(scope=scope, as_of=as_of))
            result[name]["samples"].append(ms)
            total += ms
        result["report"]["samples"].append(total)
    return result


def server_facts() -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        facts = [f"PostgreSQL {cursor.fetchone()[0]}"]
        for setting in ("shared_buffers", "work_mem", "jit", "max_parallel_workers_per_gather"):
            cursor.execute(f"SHOW {setting}")
            facts.append(f"{setting}={cursor.fetchone()[0]}")
        cursor.execute(
            "SELECT relname, reltuples::bigint FROM pg_class WHERE relname IN "
            "('registry_person', 'registry_mentorship', 'registry_mentorshiplink', 'registry_organization') "
            "ORDER BY relname"
        )
        rows = ", ".join(f"{name.removeprefix('registry_')} ≈{n:,}" for name, n in cursor.fetchall())
    return [", ".join(facts), f"rows: {rows}"]


def explain(sqls: list[str]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for sql in sqls:
            print("\n" + sql)
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            print("\n".join(row[0] for row in cursor.fetchall()))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--warmups", type=int, default=2)
    parser.add_argument("--as-of", type=datetime.date.fromisoformat, default=datetime.date(2025, 3, 1))
    parser.add_argument(
        "--explain",
        choices=["region", "municipality", "country"],
        help="EXPLAIN ANALYZE this report's queries",
    )
    args = parser.parse_args(argv)
    if args.runs < 1 or args.warmups < 0:
        parser.error("--runs must be ≥ 1 and --warmups ≥ 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not database_exists(args.database):
        print(f"database {args.database} does not exist: run .venv/bin/python bench/generate.py first")
        return EXIT_NO_DATABASE
    setup_django(args.database)

    print(f"database {args.database}, as of {args.as_of}, {args.runs} runs after {args.warmups} warm-ups")
    print(*server_facts(), sep="\n")
    select_1 = statistics.median(baseline("SELECT 1", 200, 20))
    count_links = statistics.median(
        baseline("SELECT count(*) FROM registry_mentorshiplink", args.runs, args.warmups)
    )
    print(f"baselines: SELECT 1 round trip {select_1:.3f} ms, count(*) of the links {count_links:.1f} ms")

    header = (
        f"{'scope':<12} {'selector':<17} {'median ms':>10} {'p90 ms':>9} {'queries':>7} "
        f"{'× SELECT 1':>11} {'× count(*)':>10}  target"
    )
    print("\n" + header + "\n" + "-" * len(header))
    verdicts = []
    explained: list[str] = []
    for kind, label, scope in pick_scopes():
        results = measure(scope, args.as_of, args.runs, args.warmups)
        print(f"{kind:<12} {label}")
        for name, result in results.items():
            median = statistics.median(result["samples"])
            verdict = ""
            if name == "report" and kind in TARGETS_MS:
                target = TARGETS_MS[kind]
                verdict = f"{'PASS' if median <= target else 'FAIL'} (≤ {target:g} ms)"
                verdicts.append(f"{kind}: report median {median:.1f} ms, {verdict}")
            print(
                f"{'':<12} {name:<17} {median:>10.1f} {p90(result['samples']):>9.1f} {result['queries']:>7} "
                f"{median / select_1:>11.0f} {median / count_links:>10.2f}  {verdict}"
            )
            if kind == args.explain and name != "report":
                explained += result["sql"]
    print("\n" + "\n".join(verdicts))
    if args.explain:
        explain(explained)
    return 0


if __name__ == "__main__":
    sys.exit(main())
