"""Time the pages of mentoring as it happens (plans, meetings, surveys) on the benchmark database.

    .venv/bin/python bench/bench_mentoring.py [--database mentoring_bench] [--runs 30] [--warmups 5]
                                              [--as-of 2025-03-01] [--explain PAGE ...]

Needs the data of ``generate.py`` with its activity (``activity.py``: every active pair with a
plan of 5 tasks and 10 meetings, a closed survey round per region). Requests go through Django's
test Client as in ``bench_pages.py`` (whose measuring it reuses: warm-ups, one request under
``CaptureQueriesContext`` for the query count, then the timed ones; median, nearest-rank p95,
max, SQL time). The pages:

- **the curator's pair card** ``/pairs/<id>/`` of an active pair of the median school (by pairs)
  with its plan and 10 meetings; the same card with its latest meeting only, with no meeting
  (the plan kept) and with the plan deleted too (the baseline), each inside a transaction
  rolled back after measuring;
- **the curator's dashboard** ``/`` of that school, and the same with all the school's meetings
  and plans deleted (rolled back): the baseline;
- **the silent pairs** ``/pairs/?silent=1`` of the largest region (by organizations) for its
  operator, against the plain ``/pairs/`` of the same operator (the baseline);
- **the survey aggregates**: the round page ``/monitoring/surveys/<id>/`` (rate and results by
  municipality and in all, read from the closed round's stored results) of that region's round for
  its operator, the same page for the region's largest municipality (``?municipality=CODE``: its
  schools), and the two services the region's page calls (``survey_round_rate`` and
  ``survey_round_results``) timed alone.

Targets: card and dashboard p95 ≤ 100 ms, silent list p95 ≤ 200 ms, survey aggregates p95 ≤ 50 ms.
The query counts of the card and the dashboard must not grow with the meetings: exit status 5
if the card with 10 meetings makes more queries than with 1, or more than with none plus the
one prefetch Django skips when there is no meeting, or the dashboard more than without any.
Otherwise exit status 0 whatever the times (it is a benchmark, not a test); 3 if the database is
missing, 4 if its schema lags the code's migrations. "Today" is pinned to ``--as-of``.
"""

import argparse
import datetime
import os
import statistics
import sys
import time
import warnings

from bench_pages import (
    EXIT_UNMIGRATED,
    Page,
    SqlTimer,
    bench_users,
    explain,
    measure,
    p95,
    pending_migrations,
    pin_today,
    server_facts,
)
from benchdb import DEFAULT_DATABASE, EXIT_NO_DATABASE, database_exists, setup_django

EXIT_QUERIES_GROW = 5
# page key: (target p95 ms, the key of its baseline page)
TARGETS = {
    "card": (100.0, "card-bare"),
    "dashboard": (100.0, "dashboard-bare"),
    "silent": (200.0, "operator-pairs"),
    "survey-page": (50.0, "login"),
    "survey-municipality": (50.0, "login"),
    "survey-services": (50.0, "login"),
}
PAGE_KEYS = (
    "login",
    "card",
    "card-1-meeting",
    "card-0-meetings",
    "card-bare",
    "dashboard",
    "dashboard-bare",
    "operator-pairs",
    "silent",
    "survey-page",
    "survey-municipality",
)


# ---------------------------------------------------------------- choosing


def pick(as_of: datetime.date):
    """(school, its pairs, the pair), (largest region, its organizations), the region's round."""
    from django.db.models import Count, Q

    from monitoring.models import SurveyRound
    from registry.models import Mentorship, Organization, Region

    schools = list(
        Organization.objects.filter(org_type=Organization.OrgType.SCHOOL)
        .annotate(
            n=Count("mentorships"),
            active=Count("mentorships", filter=Q(mentorships__status=Mentorship.Status.ACTIVE)),
        )
        .filter(active__gt=0)
        .order_by("n", "code")
        .values_list("pk", "n")
    )
    if not schools:
        sys.exit("the benchmark database is empty: run bench/generate.py")
    school_pk, n_pairs = schools[len(schools) // 2]
    school = Organization.objects.select_related("municipality").get(pk=school_pk)
    pair = (
        Mentorship.objects.filter(
            organization=school, status=Mentorship.Status.ACTIVE, start_date__lte=as_of, plan__isnull=False
        )
        .annotate(meetings_n=Count("meetings"))
        .filter(meetings_n=10)
        .order_by("pk")
        .first()
    )
    if pair is None:
        sys.exit(
            f"school {school.code} has no active pair with a plan and 10 meetings: run bench/generate.py"
        )
    region = Region.objects.annotate(n=Count("municipalities__organizations")).order_by("-n", "code").first()
    survey_round = SurveyRound.objects.filter(region=region).order_by("pk").first()
    if survey_round is None:
        sys.exit(f"region {region.code} has no survey round: run bench/generate.py (with its activity)")
    return school, n_pairs, pair, region, survey_round


def analyze_survey_results() -> None:
    """Statistics of the closed rounds' stored results: filled by a migration or by ``activity.py`` in
    bulk, and the benchmark server runs without autovacuum (as ``bench_campaigns.vacuum``)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE monitoring_surveyschoolresult, monitoring_surveyanswercount")


def delete_activity(mentorships) -> None:
    """Delete the meetings (and their task links) of ``mentorships``, a queryset of pairs.

    Raw SQL, no signals (no history rows). Table names come from the models and the pairs'
    subquery from the ORM with its parameters: nothing of the user's is interpolated.
    """
    from django.db import connection

    from registry.models import Meeting, Mentorship

    pairs_sql, params = mentorships.values("pk").query.sql_with_params()
    through = Meeting.plan_items.through._meta.db_table
    meetings = Meeting._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {through} WHERE meeting_id IN "  # noqa: S608
            f"(SELECT id FROM {meetings} WHERE mentorship_id IN ({pairs_sql}))",
            params,
        )
        cursor.execute(f"DELETE FROM {meetings} WHERE mentorship_id IN ({pairs_sql})", params)  # noqa: S608
        # the pairs' stored last meeting date goes with their meetings, as registry.meetings keeps it
        pairs = Mentorship._meta.db_table
        cursor.execute(
            f"UPDATE {pairs} SET last_meeting_on = NULL WHERE id IN ({pairs_sql})",  # noqa: S608
            params,
        )


def keep_latest_meeting(pair) -> None:
    """Delete all the pair's meetings but its latest (the card then lists one)."""
    from registry.models import Meeting

    latest = Meeting.objects.filter(mentorship=pair).order_by("-date", "-pk").values_list("pk", flat=True)[0]
    older = Meeting.objects.filter(mentorship=pair).exclude(pk=latest)
    Meeting.plan_items.through.objects.filter(meeting__in=older)._raw_delete(older.db)
    older._raw_delete(older.db)


def delete_plans(mentorships) -> None:
    """Delete the plans and their tasks of ``mentorships``, as ``delete_activity`` does the meetings."""
    from django.db import connection

    from registry.models import MentoringPlan, PlanItem

    pairs_sql, params = mentorships.values("pk").query.sql_with_params()
    plans, items = MentoringPlan._meta.db_table, PlanItem._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {items} WHERE plan_id IN "  # noqa: S608
            f"(SELECT id FROM {plans} WHERE mentorship_id IN ({pairs_sql}))",
            params,
        )
        cursor.execute(f"DELETE FROM {plans} WHERE mentorship_id IN ({pairs_sql})", params)  # noqa: S608


def measure_rolled_back(clients, page: Page, runs: int, warmups: int, *deletions) -> None:
    """Measure ``page`` inside a transaction where ``deletions`` ran, then roll it back."""
    from django.db import transaction

    with transaction.atomic():
        for deletion in deletions:
            deletion()
        measure(clients, page, runs, warmups)
        transaction.set_rollback(True)


def measure_services(user, survey_round, runs: int, warmups: int) -> Page:
    """``survey_round_rate`` and ``survey_round_results`` as the round page calls them, without the page."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from monitoring import surveys

    page = Page("survey-services", "bench_operator", "(no request)", "the round page's two services alone")

    def call():
        surveys.survey_round_rate(user=user, survey_round=survey_round)
        surveys.survey_round_results(user=user, survey_round=survey_round)

    for _ in range(warmups):
        call()
    with CaptureQueriesContext(connection) as captured:
        call()
    page.queries, page.captured = len(captured), captured.captured_queries
    for _ in range(runs):
        timer = SqlTimer()
        with connection.execute_wrapper(timer):
            started = time.perf_counter()
            call()
            page.samples.append((time.perf_counter() - started) * 1000)
        page.sql_samples.append(timer.ms)
    return page


# ---------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmups", type=int, default=5)
    parser.add_argument(
        "--as-of",
        type=datetime.date.fromisoformat,
        default=datetime.date(2025, 3, 1),
        help="the views' today (default 2025-03-01, the day the generated meetings lead up to)",
    )
    parser.add_argument("--explain", nargs="+", default=[], metavar="PAGE", help="page keys, or 'all'")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.warmups < 0:
        parser.error("--runs must be ≥ 1 and --warmups ≥ 0")
    unknown = set(args.explain) - {*PAGE_KEYS, "survey-services", "all"}
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
    from django.contrib.auth import get_user_model
    from django.db.models import Count
    from django.test import Client, override_settings

    from registry.models import Mentorship, Municipality

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

    analyze_survey_results()
    school, n_pairs, pair, region, survey_round = pick(args.as_of)
    largest = (
        Municipality.objects.filter(region=region)
        .annotate(n=Count("organizations"))
        .order_by("-n", "code")
        .first()
    )
    bench_users(school, school.municipality, region)
    clients = {None: Client(), "bench_curator": Client(), "bench_operator": Client()}
    one_pair = Mentorship.objects.filter(pk=pair.pk)
    school_pairs = Mentorship.objects.filter(organization=school)
    school_label = f"median school {school.code}, {n_pairs} pairs"
    region_label = f"largest region {region.code}, {region.n} organizations"
    card = f"/pairs/{pair.pk}/"
    pages = {
        "login": Page("login", None, "/login/", "anonymous GET /login/, no query"),
        "card": Page(
            "card", "bench_curator", card, f"{school_label}: plan of 5 tasks, 10 meetings", "Встречи"
        ),
        "card-1-meeting": Page(
            "card-1-meeting", "bench_curator", card, "the same pair, its latest meeting only", "Встречи"
        ),
        "card-0-meetings": Page(
            "card-0-meetings", "bench_curator", card, "the same pair, plan kept", "Встречи"
        ),
        "card-bare": Page(
            "card-bare", "bench_curator", card, "the same pair, no plan, no meeting", "Встречи"
        ),
        "dashboard": Page("dashboard", "bench_curator", "/", school_label, "По формам наставничества"),
        "dashboard-bare": Page(
            "dashboard-bare", "bench_curator", "/", "the same, the school's plans and meetings deleted"
        ),
        "operator-pairs": Page("operator-pairs", "bench_operator", "/pairs/", region_label, "Найдено"),
        "silent": Page("silent", "bench_operator", "/pairs/?silent=1", region_label, "Найдено"),
        "survey-page": Page(
            "survey-page",
            "bench_operator",
            f"/monitoring/surveys/{survey_round.pk}/",
            f"{region_label}: round {survey_round.pk}",
            "Результаты",
        ),
        "survey-municipality": Page(
            "survey-municipality",
            "bench_operator",
            f"/monitoring/surveys/{survey_round.pk}/?municipality={largest.code}",
            f"its largest municipality {largest.code}, {largest.n} organizations",
            "Результаты",
        ),
    }
    runs, warmups = args.runs, args.warmups
    print(
        f"database {args.database}, today pinned to {args.as_of.isoformat()}, {runs} timed requests "
        f"after {warmups} warm-ups per page\n{server_facts()}"
    )
    try:
        for username, client in clients.items():
            if username:
                client.force_login(get_user_model().objects.get(username=username))
        for key in (
            "login",
            "card",
            "dashboard",
            "operator-pairs",
            "silent",
            "survey-page",
            "survey-municipality",
        ):
            measure(clients, pages[key], runs, warmups)
        measure_rolled_back(
            clients, pages["card-1-meeting"], runs, warmups, lambda: keep_latest_meeting(pair)
        )
        measure_rolled_back(
            clients, pages["card-0-meetings"], runs, warmups, lambda: delete_activity(one_pair)
        )
        measure_rolled_back(
            clients,
            pages["card-bare"],
            runs,
            warmups,
            lambda: delete_activity(one_pair),
            lambda: delete_plans(one_pair),
        )
        measure_rolled_back(
            clients,
            pages["dashboard-bare"],
            runs,
            warmups,
            lambda: delete_activity(school_pairs),
            lambda: delete_plans(school_pairs),
        )
        operator = get_user_model().objects.get(username="bench_operator")
        pages["survey-services"] = measure_services(operator, survey_round, runs, warmups)
    finally:
        for client in clients.values():
            client.logout()  # deletes the session rows force_login wrote

    login = statistics.median(pages["login"].samples)
    header = (
        f"{'page':<16} {'median ms':>9} {'p95 ms':>8} {'max ms':>8} {'queries':>7} {'SQL ms':>7} "
        f"{'× base':>7} {'× login':>8}  target"
    )
    print("\n" + header + "\n" + "-" * len(header))
    verdicts = []
    for key, page in pages.items():
        median, top = statistics.median(page.samples), p95(page.samples)
        verdict, versus = "", ""
        if key in TARGETS:
            target, base = TARGETS[key]
            versus = f"{median / statistics.median(pages[base].samples):.2f}"
            verdict = f"{'PASS' if top <= target else 'FAIL'} (p95 ≤ {target:g} ms)"
            verdicts.append(f"{key}: p95 {top:.1f} ms, {verdict}; median × {base} {versus}")
        print(
            f"{key:<16} {median:>9.1f} {top:>8.1f} {max(page.samples):>8.1f} {page.queries:>7} "
            f"{statistics.median(page.sql_samples):>7.1f} {versus:>7} {median / login:>8.1f}  {verdict}"
        )
        print(f"{'':<16} {page.url} as {page.user or 'anonymous'}: {page.label}")
    print("\n" + "\n".join(verdicts))

    # The card lists the meetings with their tasks in two queries (registry.meetings.meetings_of); with
    # no meeting Django skips the tasks' prefetch: one query less. So 10 meetings = 1 meeting, and
    # at most 0 meetings + 1.
    grows = []
    for full, fewer, allowance in (
        ("card", "card-1-meeting", 0),
        ("card", "card-0-meetings", 1),
        ("dashboard", "dashboard-bare", 0),
    ):
        a, b = pages[full].queries, pages[fewer].queries
        fixed = a <= b + allowance
        note = f" (+{allowance}: the tasks' prefetch, skipped with no meeting)" if allowance else ""
        print(f"queries: {full} {a}, {fewer} {b}{note}: {'fixed' if fixed else 'GROWS with the meetings'}")
        if not fixed:
            grows.append(f"{full} vs {fewer}")

    for key, page in pages.items():
        if "all" in args.explain or key in args.explain:
            explain(page)
    if grows:
        print(f"the query count grows with the meetings: {', '.join(grows)}")
        return EXIT_QUERIES_GROW
    return 0


if __name__ == "__main__":
    sys.exit(main())
