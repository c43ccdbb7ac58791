"""Time whole pages, end to end through Django's test Client, on the benchmark database.

    .venv/bin/python bench/bench_pages.py [--database mentoring_bench] [--runs 30] [--warmups 5]
                                          [--as-of 2025-03-01] [--size median|largest]
                                          [--explain PAGE ...]

No network: each request goes through the middleware (sessions, auth, CSRF, WhiteNoise,
history), the view, its queries and the template rendering, as under gunicorn minus the socket
and the HTTP parsing. Requests are made with ``secure=True``, as behind nginx (with DEBUG=0 the
settings redirect plain http). The pages:

- a curator's list of pairs ``/pairs/``: page 1, ``?status=active`` and the export ``?format=xlsx``;
- the operator's dashboard ``/`` for the median region (by number of organizations);
- the coordinator's dashboard ``/`` for the median municipality, and the curator's dashboard;
- extra, beyond the targets: the operator's ``/pairs/`` page 1 (a whole region's pairs).

The curator's school is the median school by number of pairs, the coordinator's municipality
and the operator's region the median ones by number of organizations (``--size largest``: the
largest of each). The users ``bench_curator``, ``bench_coordinator`` and ``bench_operator``
and their ``UserScope`` rows are created in the bench database if missing, and re-pointed at
the chosen territory otherwise; they have no usable password (``force_login``).

Each page gets ``--warmups`` untimed requests, then one request under
``CaptureQueriesContext`` (the SQL query count), then ``--runs`` timed ones. Printed per page:
median, nearest-rank p95 and max in ms, the queries per request, the median time spent inside
``cursor.execute`` per request (an ``execute_wrapper``; for the export, which streams with a
server-side cursor, it misses the fetches), and the ratio of the median to a baseline measured
the same way in the same process: an anonymous GET of the login page (no query). Target of the
issue: p95 ≤ 200 ms for the curator's list of pairs and the operator's dashboard.

"Today" is pinned to ``--as-of`` (the dataset describes the school year 2024/2025; the real
date leaves the alerts meaningless); ``--as-of today`` keeps the clock.

Django runs with DEBUG=0 (no query log) and the plain static files storage (no
``collectstatic`` manifest is needed). ``--explain PAGE`` prints EXPLAIN (ANALYZE, BUFFERS) of
every SELECT of that page's captured request; PAGE is a page name with hyphens
(``operator-dashboard``, ``curator-pairs-xlsx``…) or ``all``. Exit status 0 whatever the figures; 3 if the
database is missing, 4 if its schema lags the code's migrations.
"""

import argparse
import datetime
import math
import os
import statistics
import sys
import time
import warnings
from dataclasses import dataclass, field

from benchdb import DEFAULT_DATABASE, EXIT_NO_DATABASE, database_exists, setup_django

EXIT_UNMIGRATED = 4
TARGET_MS = 200.0  # p95 of one request
TARGET_PAGES = ("curator pairs", "curator pairs active", "operator dashboard")
PAGE_KEYS = (  # --explain names: the page names of the table with hyphens
    "login",
    "curator-pairs",
    "curator-pairs-active",
    "curator-pairs-xlsx",
    "operator-dashboard",
    "coordinator-dashboard",
    "curator-dashboard",
    "operator-pairs",
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Page:
    key: str
    user: str | None  # None: anonymous
    url: str
    label: str
    marker: str = ""  # text the page must contain (a smoke check that the right page rendered)
    samples: list[float] = field(default_factory=list)
    sql_samples: list[float] = field(default_factory=list)
    queries: int = 0
    captured: list[dict] = field(default_factory=list)
    size: int = 0


def p95(samples: list[float]) -> float:
    """Nearest-rank 95th percentile."""
    ordered = sorted(samples)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]


# ---------------------------------------------------------------- setup


def pending_migrations() -> list[str]:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _ in plan]


def pick_territories(size: str):
    """(school, n pairs), (municipality, n orgs), (region, n orgs).

    ``median``: the median school by pairs, and the median municipality and region by
    organizations, as bench_selectors.py picks them; ``largest``: the largest of each.
    """
    from django.db.models import Count

    from registry.models import Municipality, Organization, Region

    schools = list(
        Organization.objects.filter(org_type=Organization.OrgType.SCHOOL)
        .annotate(n=Count("mentorships"))
        .order_by("n", "code")
        .values_list("pk", "n")
    )
    regions = list(Region.objects.annotate(n=Count("municipalities__organizations")).order_by("n", "code"))
    municipalities = list(Municipality.objects.annotate(n=Count("organizations")).order_by("n", "code"))
    if not schools or not regions or not municipalities:
        sys.exit("the benchmark database is empty: run bench/generate.py")
    pick = (lambda rows: rows[-1]) if size == "largest" else (lambda rows: rows[len(rows) // 2])
    pk, n_pairs = pick(schools)
    return (Organization.objects.get(pk=pk), n_pairs), pick(municipalities), pick(regions)


def bench_users(organization, municipality, region) -> None:
    """bench_curator, bench_coordinator and bench_operator with their scopes, created if missing."""
    from django.contrib.auth import get_user_model

    from registry.models import UserScope

    Role = UserScope.Role
    wanted = {
        "bench_curator": {"role": Role.CURATOR, "organization": organization},
        "bench_coordinator": {"role": Role.COORDINATOR, "municipality": municipality},
        "bench_operator": {"role": Role.OPERATOR, "region": region},
    }
    User = get_user_model()
    for username, scope in wanted.items():
        user, created = User.objects.get_or_create(username=username)
        if created:
            user.set_unusable_password()
            user.save()
        defaults = {"organization": None, "municipality": None, "region": None, **scope}
        UserScope.objects.update_or_create(user=user, defaults=defaults)


def pin_today(as_of: datetime.date | None) -> None:
    """Make ``timezone.localdate()`` (no argument) return ``as_of``: the views' "today"."""
    if as_of is None:
        return
    from django.utils import timezone

    real = timezone.localdate

    def localdate(value=None, timezone=None):
        return as_of if value is None else real(value, timezone)

    timezone.localdate = localdate


# ---------------------------------------------------------------- measuring


class SqlTimer:
    """An execute_wrapper adding up the time spent in cursor.execute()."""

    def __init__(self):
        self.ms = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.ms += (time.perf_counter() - started) * 1000


def request(client, page: Page) -> int:
    from django.utils.html import escape

    response = client.get(page.url, secure=True)  # as behind nginx: DEBUG=0 redirects http to https
    if response.status_code != 200:
        raise SystemExit(f"{page.key}: GET {page.url} answered {response.status_code}")
    content = response.content
    if page.url.endswith("format=xlsx"):
        if response["Content-Type"] != XLSX:
            raise SystemExit(f"{page.key}: not an xlsx: {response['Content-Type']}")
    elif page.marker and escape(page.marker) not in content.decode():
        raise SystemExit(f"{page.key}: {page.marker!r} is not on the page")
    return len(content)


def measure(clients: dict, page: Page, runs: int, warmups: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = clients[page.user]
    for _ in range(warmups):
        request(client, page)
    with CaptureQueriesContext(connection) as captured:  # apart from the timed runs: it adds overhead
        page.size = request(client, page)
    page.queries = len(captured)
    page.captured = captured.captured_queries
    for _ in range(runs):
        timer = SqlTimer()
        with connection.execute_wrapper(timer):
            started = time.perf_counter()
            request(client, page)
            page.samples.append((time.perf_counter() - started) * 1000)
        page.sql_samples.append(timer.ms)


def explain(page: Page) -> None:
    from django.db import connection

    print(f"\n==== EXPLAIN (ANALYZE, BUFFERS): {page.key} ({page.label}), {page.queries} queries")
    with connection.cursor() as cursor:
        for n, query in enumerate(page.captured, 1):
            sql = query["sql"]
            print(f"\n-- query {n}, {float(query['time']) * 1000:.0f} ms when captured\n{sql}")
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            print("\n".join(row[0] for row in cursor.fetchall()))


def server_facts() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        facts = [f"PostgreSQL {cursor.fetchone()[0]}"]
        for setting in ("shared_buffers", "work_mem", "jit", "max_parallel_workers_per_gather"):
            cursor.execute(f"SHOW {setting}")
            facts.append(f"{setting}={cursor.fetchone()[0]}")
    return ", ".join(facts)


# ---------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmups", type=int, default=5)
    parser.add_argument(
        "--as-of",
        type=lambda s: None if s == "today" else datetime.date.fromisoformat(s),
        default=datetime.date(2025, 3, 1),
        help="the views' today (default 2025-03-01; 'today' keeps the real date)",
    )
    parser.add_argument(
        "--size",
        choices=["median", "largest"],
        default="median",
        help="which school, municipality and region (default: the median ones)",
    )
    parser.add_argument("--explain", nargs="+", default=[], metavar="PAGE", help="page keys, or 'all'")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.warmups < 0:
        parser.error("--runs must be ≥ 1 and --warmups ≥ 0")
    unknown = set(args.explain) - {*PAGE_KEYS, "all"}
    if unknown:
        parser.error(
            f"unknown --explain page(s) {', '.join(sorted(unknown))}; choose from all, {', '.join(PAGE_KEYS)}"
        )
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not database_exists(args.database):
        print(f"database {args.database} does not exist: run .venv/bin/python bench/generate.py first")
        return EXIT_NO_DATABASE
    os.environ["ALLOWED_HOSTS"] = "testserver"
    warnings.filterwarnings("ignore", message="No directory at")  # WhiteNoise: no collectstatic here
    setup_django(args.database)  # DEBUG=0

    from django.conf import settings
    from django.test import Client, override_settings

    pending = pending_migrations()
    if pending:
        print(
            f"the schema of {args.database} lags the code: {', '.join(pending)} not applied.\n"
            f"Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/{args.database} "
            ".venv/bin/python manage.py migrate"
        )
        return EXIT_UNMIGRATED
    # No collectstatic manifest here: the plain storage renders {% static %} the same way.
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    override_settings(STORAGES=storages).enable()
    pin_today(args.as_of)

    from django.contrib.auth import get_user_model

    (school, n_pairs), municipality, region = pick_territories(args.size)
    bench_users(school, municipality, region)
    clients = {None: Client()}
    for username in ("bench_curator", "bench_coordinator", "bench_operator"):
        clients[username] = Client()  # logged in below, inside the try that logs them out

    school_label = f"{args.size} school {school.code}, {n_pairs} pairs"
    pages = [  # the keys, hyphenated, are PAGE_KEYS
        Page("login", None, "/login/", "baseline: anonymous GET /login/, no query"),
        Page("curator pairs", "bench_curator", "/pairs/", school_label, "Наставнические пары"),
        Page("curator pairs active", "bench_curator", "/pairs/?status=active", school_label, "Найдено"),
        Page("curator pairs xlsx", "bench_curator", "/pairs/?format=xlsx", school_label),
        Page(
            "operator dashboard",
            "bench_operator",
            "/",
            f"{args.size} region {region.code}, {region.n} organizations",
            region.name,
        ),
        Page(
            "coordinator dashboard",
            "bench_coordinator",
            "/",
            f"{args.size} municipality {municipality.code}, {municipality.n} organizations",
            municipality.name,
        ),
        Page("curator dashboard", "bench_curator", "/", school_label, "По формам наставничества"),
        Page(
            "operator pairs",
            "bench_operator",
            "/pairs/",
            f"extra, beyond the targets: {args.size} region {region.code}",
            "Найдено",
        ),
    ]

    as_of = args.as_of.isoformat() if args.as_of else "the real date"
    print(
        f"database {args.database}, today pinned to {as_of}, {args.runs} timed requests "
        f"after {args.warmups} warm-ups per page\n{server_facts()}"
    )
    try:
        for username, client in clients.items():
            if username:
                client.force_login(get_user_model().objects.get(username=username))
        for page in pages:
            measure(clients, page, args.runs, args.warmups)
    finally:
        for client in clients.values():
            client.logout()  # deletes the session rows force_login wrote

    baseline = statistics.median(pages[0].samples)
    header = (
        f"{'page':<22} {'median ms':>9} {'p95 ms':>8} {'max ms':>8} {'queries':>7} {'SQL ms':>7} "
        f"{'× login':>8} {'KB':>6}  target"
    )
    print("\n" + header + "\n" + "-" * len(header))
    verdicts = []
    for page in pages:
        median, top = statistics.median(page.samples), p95(page.samples)
        verdict = ""
        if page.key in TARGET_PAGES:
            verdict = f"{'PASS' if top <= TARGET_MS else 'FAIL'} (p95 ≤ {TARGET_MS:g} ms)"
            verdicts.append(f"{page.key}: p95 {top:.1f} ms, {verdict}")
        print(
            f"{page.key:<22} {median:>9.1f} {top:>8.1f} {max(page.samples):>8.1f} {page.queries:>7} "
            f"{statistics.median(page.sql_samples):>7.1f} {median / baseline:>8.1f} "
            f"{page.size / 1024:>6.0f}  {verdict}"
        )
        print(f"{'':<22} {page.url} as {page.user or 'anonymous'}: {page.label}")
    print("\n" + "\n".join(verdicts))

    for page in pages:
        if "all" in args.explain or page.key.replace(" ", "-") in args.explain:
            explain(page)
    return 0


if __name__ == "__main__":
    sys.exit(main())
