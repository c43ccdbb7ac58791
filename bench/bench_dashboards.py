"""Time the dashboards on the national-scale benchmark database.

    .venv/bin/python bench/bench_dashboards.py [--database mentoring_bench] [--runs 20] [--warmups 3]
                                               [--as-of 2025-03-01]

The pages (docs/architecture.md §12), each through the view and its template:

- the operator's dashboard ``/`` of the largest region (by organizations), with its charts;
- the same region's largest municipality, drilled down (``/?municipality=CODE``);
- the same dashboard as of a past date (``?as_of=`` 01.12.2024: the reports' as-of rule);
- the admin's national dashboard ``/`` (every region as a row).

Nothing is written to the database: the users are unsaved ``User`` objects carrying an unsaved
``UserScope`` (the operator's region, or a superuser), and each request is made by
``RequestFactory`` and handed to the view (no middleware, no session row). "Today" is pinned to
``--as-of`` as in bench_pages.py. The baseline, measured in the same run, is the one query the
old dashboard was built on: ``registry.selectors.totals`` of the same territory. Printed per page:
median, nearest-rank p95, max (ms), the SQL queries of one request and the ratio of the median to
the baseline's. Targets: the operator's dashboard p95 ≤ 200 ms, the national one ≤ 1 s. Exit
status 0 whatever the figures; 3 if the database is missing.
"""

import argparse
import datetime
import os
import statistics
import sys
import warnings

from benchdb import DEFAULT_DATABASE, EXIT_NO_DATABASE, database_exists, p95, setup_django, timed

TARGETS_MS = {"operator dashboard": 200.0, "national dashboard": 1000.0}


def pin_today(as_of: datetime.date) -> None:
    from django.utils import timezone

    real = timezone.localdate

    def localdate(value=None, timezone=None):
        return as_of if value is None else real(value, timezone)

    timezone.localdate = localdate


def unsaved_user(**scope):
    """A signed-in user that exists only in memory: its scope is attached, not saved."""
    from django.contrib.auth import get_user_model

    from registry.models import UserScope

    user = get_user_model()(username="bench_dashboards", is_active=True, is_superuser=not scope)
    if scope:
        user.scope = UserScope(**scope)
    return user


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmups", type=int, default=3)
    parser.add_argument("--as-of", type=datetime.date.fromisoformat, default=datetime.date(2025, 3, 1))
    args = parser.parse_args(argv)
    if not database_exists(args.database):
        print(f"database {args.database} does not exist: run .venv/bin/python bench/generate.py first")
        return EXIT_NO_DATABASE
    os.environ["ALLOWED_HOSTS"] = "testserver"
    warnings.filterwarnings("ignore", message="No directory at")
    setup_django(args.database)
    from django.conf import settings
    from django.test import RequestFactory, override_settings

    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    override_settings(STORAGES=storages).enable()
    pin_today(args.as_of)

    from django.db.models import Count

    from mentoring_portal.views import dashboard
    from registry import selectors
    from registry.models import Municipality, Region, UserScope

    region = Region.objects.annotate(n=Count("municipalities__organizations")).order_by("-n", "code").first()
    municipality = (
        Municipality.objects.filter(region=region)
        .annotate(n=Count("organizations"))
        .order_by("-n", "code")
        .first()
    )
    operator = unsaved_user(role=UserScope.Role.OPERATOR, region=region)
    admin = unsaved_user()
    factory = RequestFactory()

    def page(user, query: str = ""):
        def call():
            request = factory.get("/" + query, secure=True)
            request.user = user
            response = dashboard(request)
            assert response.status_code == 200, response.status_code
            return response

        return call

    def baseline(scope):
        return lambda: selectors.totals(scope=scope, as_of=args.as_of, active_only=True)

    pages = [
        (
            "operator dashboard",
            page(operator),
            baseline(region),
            f"largest region {region.code}, {region.n} organizations",
        ),
        (
            "municipality drill-down",
            page(operator, f"?municipality={municipality.code}"),
            baseline(municipality),
            f"its largest municipality {municipality.code}, {municipality.n} organizations",
        ),
        (
            "operator, past date",
            page(operator, "?as_of=01.12.2024"),
            baseline(region),
            "the region as of 01.12.2024",
        ),
        ("national dashboard", page(admin), baseline(None), f"{Region.objects.count()} regions"),
    ]
    print(
        f"database {args.database}, today pinned to {args.as_of}, "
        f"{args.runs} timed requests after {args.warmups} warm-ups"
    )
    header = (
        f"{'page':<32} {'median ms':>9} {'p95 ms':>8} {'max ms':>8} {'queries':>7} "
        f"{'base ms':>8} {'× base':>7}  target"
    )
    print("\n" + header + "\n" + "-" * len(header))
    rows = []
    for name, call, base, label in pages:
        rows.append((name, call, base, label, 0))
        if name in ("operator dashboard", "national dashboard"):
            rows.append((f"{name}, cached", call, base, "the same, its figures from the cache", 600))
    for name, call, base, label, cache_seconds in rows:
        with override_settings(DASHBOARD_CACHE_SECONDS=cache_seconds):
            samples, queries = timed(call, args.runs, args.warmups)
        base_samples, _ = timed(base, max(args.runs // 2, 3), 1)
        median, top, base_median = statistics.median(samples), p95(samples), statistics.median(base_samples)
        target = TARGETS_MS.get(name.removesuffix(", cached"))
        verdict = f"{'PASS' if top <= target else 'FAIL'} (p95 ≤ {target:g} ms)" if target else ""
        print(
            f"{name:<32} {median:>9.1f} {top:>8.1f} {max(samples):>8.1f} {queries:>7} {base_median:>8.1f} "
            f"{median / base_median:>7.1f}  {verdict}"
        )
        print(f"{'':<32} {label}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
