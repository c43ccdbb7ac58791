"""Time the sorted list of pairs of the largest region, every sortable column both ways.

    .venv/bin/python bench/bench_lists.py [--database mentoring_bench] [--runs 20] [--warmups 3]
                                          [--as-of 2025-03-01] [--page 1] [--explain KEY ...]

The region's operator opens «Наставнические пары» (``/pairs/``): the region's whole set of pairs,
sorted by ``?o=<column>`` and ``?o=-<column>`` for every column of
``registry.views.mentorships.PAIR_COLUMNS``, page ``--page`` (``--page last`` for the last one). The
baseline, measured the same way in the same run, is the list in its own order (no ``?o=``).

Nothing is written to the database: the operator is an unsaved user holding an unsaved scope of
the largest region (by number of pairs), and each request is a ``RequestFactory`` GET handed to the
view with an in-memory session, so the figures are the view's queries and the template's rendering
without the middleware (about a millisecond more, bench/README.md). Printed per sort: median,
nearest-rank p95 and max in ms, the SQL queries of one request, the median time inside
``cursor.execute`` and the ratio to the baseline's median. Target of the issue: p95 ≤ 200 ms for
every column. Exit status 0 whatever the figures; 3 if the database is missing, 4 if its schema
lags the code's migrations.
"""

import argparse
import datetime
import os
import statistics
import sys
import time
import warnings

from bench_pages import EXIT_UNMIGRATED, SqlTimer, p95, pending_migrations, pin_today, server_facts
from benchdb import DEFAULT_DATABASE, EXIT_NO_DATABASE, database_exists, setup_django

TARGET_MS = 200.0


def largest_region():
    from django.db.models import Count

    from registry.models import Region

    return Region.objects.annotate(n=Count("municipalities__organizations__mentorships")).order_by(
        "-n", "code"
    )[0]


def operator_of(region):
    """An unsaved operator of ``region``: ``access.user_scope`` reads ``user.scope``, cached here."""
    from django.contrib.auth import get_user_model

    from registry.models import UserScope

    user = get_user_model()(username="bench_lists_operator", is_active=True)
    scope = UserScope(role=UserScope.Role.OPERATOR, region=region)
    user.scope = scope  # the reverse one-to-one's cache: no query, no row
    return user


def get(user, query: str):
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.base import SessionBase
    from django.test import RequestFactory
    from django.urls import resolve

    from registry.views.mentorships import mentorship_list

    request = RequestFactory().get("/pairs/" + query, secure=True)
    request.user = user
    request.session = SessionBase()  # in memory; never saved
    request._messages = FallbackStorage(request)
    request.resolver_match = resolve("/pairs/")
    response = mentorship_list(request)
    if response.status_code != 200:
        raise SystemExit(f"GET /pairs/{query} answered {response.status_code}")
    return response


def measure(user, query: str, runs: int, warmups: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmups):
        get(user, query)
    with CaptureQueriesContext(connection) as captured:
        response = get(user, query)
    samples, sql = [], []
    for _ in range(runs):
        timer = SqlTimer()
        with connection.execute_wrapper(timer):
            started = time.perf_counter()
            get(user, query)
            samples.append((time.perf_counter() - started) * 1000)
        sql.append(timer.ms)
    return {
        "query": query,
        "samples": samples,
        "sql": statistics.median(sql),
        "queries": len(captured),
        "captured": captured.captured_queries,
        "size": len(response.content),
    }


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmups", type=int, default=3)
    parser.add_argument(
        "--as-of",
        type=lambda s: None if s == "today" else datetime.date.fromisoformat(s),
        default=datetime.date(2025, 3, 1),
    )
    parser.add_argument("--page", default="1", help="a page number, or 'last'")
    parser.add_argument(
        "--explain", nargs="+", default=[], metavar="KEY", help="?o= values to EXPLAIN, or 'all'"
    )
    args = parser.parse_args(argv)
    if args.runs < 1 or args.warmups < 0:
        parser.error("--runs must be ≥ 1 and --warmups ≥ 0")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if not database_exists(args.database):
        print(f"database {args.database} does not exist: run .venv/bin/python bench/generate.py first")
        return EXIT_NO_DATABASE
    os.environ["ALLOWED_HOSTS"] = "testserver"
    warnings.filterwarnings("ignore", message="No directory at")
    setup_django(args.database)
    from django.conf import settings
    from django.db import connection
    from django.test import override_settings

    pending = pending_migrations()
    if pending:
        print(f"the schema of {args.database} lags the code: {', '.join(pending)} not applied.")
        return EXIT_UNMIGRATED
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    override_settings(STORAGES=storages).enable()
    pin_today(args.as_of)

    from registry.views.mentorships import PAIR_COLUMNS

    region = largest_region()
    user = operator_of(region)
    page = f"&page={args.page}" if args.page != "1" else ""
    if args.page == "last":
        page = "&page=999999"  # get_page answers the last page
    keys = [""] + [f"{sign}{c.key}" for c in PAIR_COLUMNS for sign in ("", "-")]
    print(
        f"database {args.database}, largest region {region.code} «{region.name}», {region.n} pairs; "
        f"page {args.page}; {args.runs} timed requests after {args.warmups} warm-ups each\n{server_facts()}"
    )
    results = [
        measure(user, f"?o={key}{page}" if key else f"?{page.lstrip('&')}", args.runs, args.warmups)
        for key in keys
    ]
    baseline = statistics.median(results[0]["samples"])
    header = (
        f"{'sort':<16} {'median ms':>9} {'p95 ms':>8} {'max ms':>8} {'queries':>7} {'SQL ms':>7} {'× own':>6}"
        "  target"
    )
    print("\n" + header + "\n" + "-" * len(header))
    failed = []
    for key, result in zip(keys, results, strict=True):
        median, top = statistics.median(result["samples"]), p95(result["samples"])
        verdict = "PASS" if top <= TARGET_MS else "FAIL"
        if verdict == "FAIL":
            failed.append(key or "(own order)")
        print(
            f"{key or '(own order)':<16} {median:>9.1f} {top:>8.1f} {max(result['samples']):>8.1f} "
            f"{result['queries']:>7} {result['sql']:>7.1f} {median / baseline:>6.2f}"
            f"  {verdict} (p95 ≤ {TARGET_MS:g} ms)"
        )
    print("\nall sorts p95 ≤ 200 ms" if not failed else f"\nover the target: {', '.join(failed)}")
    for key, result in zip(keys, results, strict=True):
        if "all" in args.explain or key in args.explain:
            print(f"\n==== EXPLAIN (ANALYZE, BUFFERS): ?o={key}")
            with connection.cursor() as cursor:
                for query in result["captured"]:
                    sql = query["sql"]
                    if sql.lstrip().upper().startswith("SELECT"):
                        print(f"\n-- {sql[:300]}")
                        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                        print("\n".join(row[0] for row in cursor.fetchall()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
