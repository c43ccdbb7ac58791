"""Time the completeness and indicator tables of monitoring campaigns on the national bench data.

    .venv/bin/python bench/bench_campaigns.py [--database NAME] [--runs 15] [--warmups 2]
                                              [--page-runs 30] [--page-warmups 5] [--sent 0.67]
                                              [--explain median|largest|national] [--remove]

Campaigns, made once and reused by later runs (found by title; remade when their parameters
changed, e.g. another ``--sent``), over the schools of:

- **median**: the median region by number of organizations (as bench_selectors.py picks it);
- **largest**: the largest region;
- each of the two also gets a closed campaign as of an earlier date (autumn), so that its page
  computes the change against the previous campaign, as it does from the second campaign on;
- **national**: every school of the country (30,343 at scale 1) in one campaign. The model ties
  a campaign to a region and ``campaign_open`` freezes that region's organizations, so this one
  is created through ``campaign_create`` (region: the largest) and then opened by direct bulk
  inserts doing what ``campaign_open`` does: targets and submissions with ``bulk_create``, the
  registry's figures with ``monitoring.indicators.registry_values``, the values with ``COPY``.

The regional campaigns go through the services: ``campaign_create`` then ``campaign_open``
(timed: freezing the targets and pre-filling every submission from the registry). Every campaign
uses all active indicators of the catalogue. Then ``--sent`` of the submissions (Smolensk's
228 of 340 = 67 % by default) are marked as sent by direct SQL updates, not through ``submit``:
4/5 of them accepted, 1/5 waiting for review, 85 % on time; another 5 % of the targets were
returned for rework; the rest are drafts. The sent ones get the figures a school enters (yes/no
answers with their link, survey counts). Each school of the two regional campaigns gets a
curator (users ``bench_campaign_curator_<code>``, unusable password) whose contacts the
"missing" list shows. The monitoring tables are then ``VACUUM (ANALYZE)``-ed (autovacuum is off
on this server).

Measured, per campaign: ``--warmups`` untimed, then ``--runs`` timed runs of
``monitoring.selectors.completeness(campaign)`` (with the list of missing organizations, as the
page shows it, and without), ``indicator_report(campaign)`` and, for the regions,
``organization_indicators(campaign)`` (the per-school table; the page paginates it, its export
reads it whole), all with ``user=None`` (the whole campaign). Printed: median and nearest-rank
p90 ms, SQL queries (counted once apart from the timed runs), and the ratio to a baseline
measured the same way in the same run: ``SELECT count(*)`` of the campaign's targets. Targets of
the target: each table of a region campaign ≤ 50 ms, of a national one ≤ 1 s (median); the two
tables together are judged as well.

Then the campaign page ``/monitoring/campaigns/<pk>/`` of the largest region, end to end through
Django's test ``Client`` as the region's operator (``bench_operator``, as bench_pages.py; logged
in with ``force_login``), DEBUG off, today pinned to 2025-03-12 (collection still open, deadline
passed): median, p95, queries. The query count of one request of the median, the largest and the
national campaign's page (as ``bench_admin``) follows, to show it does not grow with the campaign.

``--remove`` deletes the campaigns and curators this script made, and exits. ``--explain`` prints
EXPLAIN (ANALYZE, BUFFERS) of the queries of that campaign's tables.

Exit status 0 whatever the figures (a benchmark, not a test); 3 if the database is missing, 4 if
its schema lags the code's migrations.
"""

import argparse
import datetime
import os
import random
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg
from bench_pages import EXIT_UNMIGRATED, SqlTimer, p95, pending_migrations, pin_today
from bench_selectors import p90
from benchdb import DEFAULT_DATABASE, EXIT_NO_DATABASE, database_exists, database_url, setup_django

# The databases that hold generate.py's national data, in order of preference.
CANDIDATES = (DEFAULT_DATABASE, "mentoring_helper_campaigns_bench")
TARGETS_MS = {"region": 50.0, "national": 1000.0}  # median of one table
TITLE = "Бенчмарк мониторинга"
ADMIN, OPERATOR, CURATOR_PREFIX = "bench_admin", "bench_operator", "bench_campaign_curator_"
SEED = 2025

CURRENT = {  # the campaign being collected
    "period_start": datetime.date(2025, 2, 20),
    "period_end": datetime.date(2025, 3, 14),
    "as_of_date": datetime.date(2025, 3, 1),
    "deadline": datetime.date(2025, 3, 10),
}
PREVIOUS = {  # the region's earlier campaign, closed
    "period_start": datetime.date(2024, 9, 20),
    "period_end": datetime.date(2024, 10, 31),
    "as_of_date": datetime.date(2024, 10, 1),
    "deadline": datetime.date(2024, 10, 15),
}
TODAY = datetime.date(2025, 3, 12)  # the page's today: after the deadline, collection still open


@dataclass
class Spec:
    key: str  # median, largest, national; "…, autumn": the region's earlier campaign
    title: str
    region: object
    dates: dict
    closed: bool = False
    national: bool = False
    expected: int = 0  # schools to target
    campaign: object = None
    setup: list[str] = field(default_factory=list)  # what was done to make it, for the printout


def at(day: datetime.date, hour: int = 12) -> datetime.datetime:
    from django.utils import timezone

    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def holds_data(name: str) -> bool:
    try:
        with psycopg.connect(database_url(name), connect_timeout=5) as conn:
            if conn.execute("SELECT to_regclass('registry_organization')").fetchone()[0] is None:
                return False
            return conn.execute("SELECT EXISTS (SELECT 1 FROM registry_organization)").fetchone()[0]
    except psycopg.OperationalError:
        return False


def default_database() -> str:
    for name in CANDIDATES:
        if database_exists(name) and holds_data(name):
            return name
    return CANDIDATES[0]


# ---------------------------------------------------------------- setup


def pick_regions():
    """The median and the largest region by number of organizations (annotated ``n``)."""
    from django.db.models import Count

    from registry.models import Region

    regions = list(Region.objects.annotate(n=Count("municipalities__organizations")).order_by("n", "code"))
    if not regions:
        sys.exit("the benchmark database is empty: run bench/generate.py")
    return regions[len(regions) // 2], regions[-1]


def schools():
    from registry.models import Organization

    return Organization.objects.filter(org_type=Organization.OrgType.SCHOOL)


def active_indicators() -> list[str]:
    from monitoring import indicators as ind
    from monitoring.models import Indicator

    figures = ind.catalogue()
    chosen = Indicator.objects.filter(is_active=True).order_by("sort_order", "code")
    return [i.code for i in chosen if not ind.check_definition(i, figures)]


def marker(spec: Spec, codes: list[str], sent: float) -> str:
    """Written into the campaign's goal: a campaign is reused only if it matches."""
    return (
        f"bench/bench_campaigns.py: {spec.key}, {spec.expected} schools, sent {sent:.2f}, seed {SEED}, "
        f"indicators {','.join(codes)}, as of {spec.dates['as_of_date']}"
    )


def users(largest):
    """bench_admin (superuser, creates the campaigns) and bench_operator (the largest region's operator)."""
    from django.contrib.auth import get_user_model

    from registry.models import UserScope

    User = get_user_model()
    admin, created = User.objects.get_or_create(
        username=ADMIN, defaults={"is_superuser": True, "is_staff": True}
    )
    if created or not admin.is_superuser:
        admin.is_superuser = admin.is_staff = True
        admin.set_unusable_password()
        admin.save()
    operator, created = User.objects.get_or_create(username=OPERATOR)
    if created:
        operator.set_unusable_password()
        operator.save()
    UserScope.objects.update_or_create(
        user=operator,
        defaults={
            "role": UserScope.Role.OPERATOR,
            "region": largest,
            "municipality": None,
            "organization": None,
        },
    )
    return admin, operator


def curators(regions) -> int:
    """One curator per school of ``regions`` (created if missing); returns how many were created."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from registry.models import UserScope

    User = get_user_model()
    wanted = {
        f"{CURATOR_PREFIX}{code}": pk
        for pk, code in schools().filter(municipality__region__in=regions).values_list("pk", "code")
    }
    have = set(User.objects.filter(username__in=wanted).values_list("username", flat=True))
    new = [name for name in wanted if name not in have]
    rng = random.Random(SEED)
    made = User.objects.bulk_create(
        [
            User(
                username=name,
                password=make_password(None),
                last_name=rng.choice(["Иванова", "Петрова", "Смирнова", "Кузнецова", "Соколова"]),
                first_name=rng.choice(["Анна", "Мария", "Елена", "Ольга", "Татьяна"]),
                email=f"{name.removeprefix(CURATOR_PREFIX)}@school.example.ru",
            )
            for name in new
        ],
        batch_size=2000,
    )
    UserScope.objects.bulk_create(
        [
            UserScope(user=user, role=UserScope.Role.CURATOR, organization_id=wanted[user.username])
            for user in made
        ],
        batch_size=2000,
    )
    return len(made)


def remove(campaign_ids: list[int]) -> None:
    """Delete campaigns with plain SQL: Django's cascade would write a history row per deleted value."""
    from django.db import connection, transaction

    if not campaign_ids:
        return
    statements = [
        "DELETE FROM monitoring_submissionvalue WHERE submission_id IN "
        "(SELECT id FROM monitoring_submission WHERE campaign_id = ANY(%s))",
        "DELETE FROM monitoring_historicalsubmissionvalue WHERE submission_id IN "
        "(SELECT id FROM monitoring_submission WHERE campaign_id = ANY(%s))",
        "DELETE FROM monitoring_submissionevent WHERE submission_id IN "
        "(SELECT id FROM monitoring_submission WHERE campaign_id = ANY(%s))",
        "DELETE FROM monitoring_historicalsubmission WHERE campaign_id = ANY(%s)",
        "DELETE FROM monitoring_submission WHERE campaign_id = ANY(%s)",
        "DELETE FROM monitoring_campaigntarget WHERE campaign_id = ANY(%s)",
        "DELETE FROM monitoring_campaign_indicators WHERE campaign_id = ANY(%s)",
        "DELETE FROM monitoring_campaign_target_municipalities WHERE campaign_id = ANY(%s)",
        "DELETE FROM monitoring_historicalcampaign WHERE id = ANY(%s)",
        "DELETE FROM monitoring_campaign WHERE id = ANY(%s)",
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql, [campaign_ids])


def remove_all() -> None:
    from django.contrib.auth import get_user_model

    from monitoring.models import Campaign

    ids = list(Campaign.objects.filter(title__startswith=TITLE).values_list("pk", flat=True))
    remove(ids)
    deleted, _ = get_user_model().objects.filter(username__startswith=CURATOR_PREFIX).delete()
    print(f"removed {len(ids)} campaigns «{TITLE}…» and the curators (rows deleted: {deleted})")


def open_nationally(admin, campaign, codes_chosen) -> list[str]:
    """What ``campaign_open`` does, for every school of the country; returns timing notes."""
    from django.db import connection, transaction
    from django.utils import timezone

    from monitoring import indicators as ind
    from monitoring.models import Campaign, CampaignTarget, Submission, SubmissionValue

    notes = []
    with transaction.atomic():
        started = time.perf_counter()
        targets = list(schools().values_list("pk", "municipality_id").order_by("pk"))
        CampaignTarget.objects.bulk_create(
            [CampaignTarget(campaign=campaign, organization_id=o, municipality_id=m) for o, m in targets],
            batch_size=5000,
        )
        submissions = Submission.objects.bulk_create(
            [Submission(campaign=campaign, organization_id=o, municipality_id=m) for o, m in targets],
            batch_size=5000,
        )
        notes.append(f"targets and submissions (bulk_create) {time.perf_counter() - started:.1f} s")

        started = time.perf_counter()
        figures = ind.catalogue()
        chosen = list(campaign.indicators.all())
        codes = ind.submission_figures(chosen, figures)
        known = ind.registry_values(
            as_of=campaign.as_of_date,
            organizations=CampaignTarget.objects.filter(campaign=campaign).values("organization"),
            codes=codes,
            figures=figures,
        )
        notes.append(f"registry_values for {len(targets):,} schools {time.perf_counter() - started:.1f} s")

        started = time.perf_counter()
        registry, entered = SubmissionValue.Source.REGISTRY, SubmissionValue.Source.ENTERED
        with connection.cursor() as cursor:
            copy_sql = (
                "COPY monitoring_submissionvalue "
                "(submission_id, figure, value, registry_value, source, comment, url) FROM STDIN"
            )
            with cursor.copy(copy_sql) as copy:
                for submission in submissions:
                    for code in codes:
                        default = ind.registry_default(code, figures[code])
                        value, url = known.get((submission.organization_id, code), (default, ""))
                        source = entered if value is None else registry
                        copy.write_row((submission.pk, code, value, value, source, "", url))
        notes.append(f"{len(submissions) * len(codes):,} values (COPY) {time.perf_counter() - started:.1f} s")
        Campaign.objects.filter(pk=campaign.pk).update(
            status=Campaign.Status.OPEN,
            opened_at=at(campaign.period_start),
            opened_by=admin,
            updated_at=timezone.now(),
        )
    return notes


def send(campaign, sent: float, admin) -> str:
    """Mark ``sent`` of the submissions as sent (4/5 accepted), 5 % returned; fill in what schools enter."""
    from django.db import connection, transaction

    from monitoring.models import Submission

    rng = random.Random(f"{SEED}:{campaign.title}")
    ids = list(Submission.objects.filter(campaign=campaign).order_by("pk").values_list("pk", flat=True))
    rows = {"id": [], "status": [], "at": [], "on_time": []}
    start, deadline = campaign.period_start, campaign.deadline
    for pk in ids:
        draw = rng.random()
        if draw < sent:
            status = "accepted" if draw < 0.8 * sent else "submitted"
        elif draw < sent + 0.05:
            status = "returned"
        else:
            continue
        on_time = rng.random() < 0.85
        if on_time:
            day = start + datetime.timedelta(days=rng.randint(1, (deadline - start).days))
        else:
            day = deadline + datetime.timedelta(days=rng.randint(1, 2))
        rows["id"].append(pk)
        rows["status"].append(status)
        rows["at"].append(at(day, rng.randint(8, 18)))
        rows["on_time"].append(on_time)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE monitoring_submission s SET
                status = v.status, first_submitted_at = v.at, submitted_at = v.at, on_time = v.on_time,
                accepted_at = CASE WHEN v.status = 'accepted' THEN v.at + interval '1 day' END,
                accepted_by_id = CASE WHEN v.status = 'accepted' THEN %s END,
                coordinator_comment = CASE WHEN v.status = 'returned'
                    THEN 'Уточните число наставляемых.' ELSE '' END,
                updated_at = v.at
            FROM unnest(%s::bigint[], %s::text[], %s::timestamptz[], %s::boolean[])
                AS v(id, status, at, on_time)
            WHERE s.id = v.id
            """,
            [admin.pk, rows["id"], rows["status"], rows["at"], rows["on_time"]],
        )
        # What a school enters (or confirms) before sending: yes/no answers with their link, survey counts.
        cursor.execute(
            """
            UPDATE monitoring_submissionvalue v SET
                value = CASE v.figure
                    WHEN 'target_model' THEN coalesce(v.value, (s.id %% 4 <> 0)::int)
                    WHEN 'regulation_on_site' THEN coalesce(v.value, (s.id %% 10 < 7)::int)
                    WHEN 'mentees_surveyed' THEN 10 + s.id %% 30
                    WHEN 'mentees_satisfied' THEN (10 + s.id %% 30) * 4 / 5
                    WHEN 'mentors_surveyed' THEN 4 + s.id %% 12
                    WHEN 'mentors_satisfied' THEN (4 + s.id %% 12) * 9 / 10
                    ELSE coalesce(v.value, 0) END,
                url = CASE WHEN v.figure = 'regulation_on_site' AND v.url = ''
                    AND coalesce(v.value, (s.id %% 10 < 7)::int) = 1
                    THEN 'https://school' || s.organization_id || '.example.ru/nastavnichestvo' ELSE v.url END
            FROM monitoring_submission s
            WHERE s.id = v.submission_id AND s.campaign_id = %s AND s.status <> 'draft'
            """,
            [campaign.pk],
        )
    statuses = {status: rows["status"].count(status) for status in ("accepted", "submitted", "returned")}
    responded = statuses["accepted"] + statuses["submitted"]
    late = sum(
        1
        for status, on_time in zip(rows["status"], rows["on_time"], strict=True)
        if status != "returned" and not on_time
    )
    return (
        f"sent {responded:,} of {len(ids):,} ({100 * responded / max(len(ids), 1):.0f} %: "
        f"{statuses['accepted']:,} accepted, {statuses['submitted']:,} waiting, {late:,} late), "
        f"{statuses['returned']:,} returned"
    )


def make(spec: Spec, admin, codes: list[str], sent: float) -> None:
    from django.db.models import Count

    from monitoring import campaigns as svc
    from monitoring.models import Campaign

    goal = marker(spec, codes, sent)
    status = Campaign.Status.CLOSED if spec.closed else Campaign.Status.OPEN
    found = list(Campaign.objects.filter(title=spec.title).annotate(n=Count("targets")))
    if (
        len(found) == 1
        and found[0].goal == goal
        and found[0].status == status
        and found[0].n == spec.expected
    ):
        spec.campaign = found[0]
        spec.setup.append("reused")
        return
    if found:
        started = time.perf_counter()
        remove([c.pk for c in found])
        spec.setup.append(f"stale one removed {time.perf_counter() - started:.1f} s")

    fields = {
        "title": spec.title,
        "goal": goal,
        "organizer": "Региональный наставнический центр",
        "basis_number": "бенч",
        "basis_date": spec.dates["period_start"] - datetime.timedelta(days=5),
        "basis_title": "О проведении мониторинга внедрения целевой модели наставничества",
        "target_org_types": ["school"],
        **spec.dates,
    }
    campaign = svc.campaign_create(user=admin, region=spec.region, indicators=codes, **fields)
    started = time.perf_counter()
    if spec.national:
        spec.setup += open_nationally(admin, campaign, codes)
        spec.setup.append(f"opened by direct bulk inserts in {time.perf_counter() - started:.1f} s")
    else:
        svc.campaign_open(user=admin, campaign=campaign, at=at(spec.dates["period_start"]))
        spec.setup.append(f"campaign_open (services) {time.perf_counter() - started:.1f} s")
    campaign.refresh_from_db()
    started = time.perf_counter()
    spec.setup.append(send(campaign, sent, admin) + f" in {time.perf_counter() - started:.1f} s")
    if spec.closed:
        svc.campaign_close(user=admin, campaign=campaign, at=at(spec.dates["period_end"], 18))
        spec.setup.append("closed")
    spec.campaign = campaign


def vacuum() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("campaign", "campaigntarget", "submission", "submissionvalue", "submissionevent"):
            cursor.execute(f"VACUUM (ANALYZE) monitoring_{table}")
        cursor.execute("VACUUM (ANALYZE) registry_userscope")
        cursor.execute("VACUUM (ANALYZE) auth_user")


# ---------------------------------------------------------------- measuring


def time_ms(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def measure(campaign, regional: bool, runs: int, warmups: int) -> dict[str, dict]:
    """Per table: timed samples (ms), queries and their SQL; ``both`` is completeness + indicators per run."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from monitoring import selectors

    def count_targets():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM monitoring_campaigntarget WHERE campaign_id = %s", [campaign.pk]
            )
            cursor.fetchall()

    calls = {
        "count(*) of targets": count_targets,
        "completeness": lambda: selectors.completeness(campaign),
        "completeness, no list": lambda: selectors.completeness(campaign, with_missing=False),
        "indicator_report": lambda: selectors.indicator_report(campaign),
    }
    if regional:
        calls["organization_indicators"] = lambda: selectors.organization_indicators(campaign)
    result = {name: {"samples": [], "queries": 0, "sql": []} for name in (*calls, "both tables")}
    for name, call in calls.items():  # counted apart from the timed runs: capturing adds overhead
        with CaptureQueriesContext(connection) as captured:
            call()
        result[name]["queries"] = len(captured)
        result[name]["sql"] = [q["sql"] for q in captured.captured_queries]
    result["both tables"]["queries"] = (
        result["completeness"]["queries"] + result["indicator_report"]["queries"]
    )
    for _ in range(warmups):
        for call in calls.values():
            call()
    for _ in range(runs):
        for name, call in calls.items():
            result[name]["samples"].append(time_ms(call))
        result["both tables"]["samples"].append(
            result["completeness"]["samples"][-1] + result["indicator_report"]["samples"][-1]
        )
    return result


def explain(sqls: list[str]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for sql in sqls:
            print("\n" + sql)
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            print("\n".join(row[0] for row in cursor.fetchall()))


def page(client, url: str, marker_text: str) -> None:
    from django.utils.html import escape

    response = client.get(url, secure=True)  # as behind nginx: DEBUG=0 redirects http to https
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}")
    if escape(marker_text) not in response.content.decode():
        raise SystemExit(f"{marker_text!r} is not on {url}")


def measure_page(client, url: str, marker_text: str, runs: int, warmups: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmups):
        page(client, url, marker_text)
    with CaptureQueriesContext(connection) as captured:
        page(client, url, marker_text)
    queries = len(captured)  # now: the next request's request_started signal empties the query log
    samples, sql = [], []
    for _ in range(runs):
        timer = SqlTimer()
        with connection.execute_wrapper(timer):
            samples.append(time_ms(lambda: page(client, url, marker_text)))
        sql.append(timer.ms)
    return {"samples": samples, "sql": sql, "queries": queries}


def count_page_queries(client, url: str, marker_text: str) -> tuple[int, float]:
    """(queries, ms) of one request after one untimed one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    page(client, url, marker_text)
    with CaptureQueriesContext(connection) as captured:
        ms = time_ms(lambda: page(client, url, marker_text))
    return len(captured), ms


def server_facts() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        facts = [f"PostgreSQL {cursor.fetchone()[0]}"]
        for setting in ("shared_buffers", "work_mem", "jit", "max_parallel_workers_per_gather"):
            cursor.execute(f"SHOW {setting}")
            facts.append(f"{setting}={cursor.fetchone()[0]}")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return ", ".join(facts) + f"; load average {load:.2f}"


def monitoring_facts() -> str:
    """The size of the monitoring tables: every campaign's rows weigh on the plans, not only ours."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM monitoring_campaign), "
            "(SELECT count(*) FROM monitoring_submission), pg_relation_size('monitoring_submission'), "
            "(SELECT count(*) FROM monitoring_submissionvalue), "
            "pg_relation_size('monitoring_submissionvalue')"
        )
        campaigns, submissions, submissions_size, values, values_size = cursor.fetchone()
    mb = 1024 * 1024
    return (
        f"monitoring tables: {campaigns} campaigns (all of them, not only this script's), "
        f"{submissions:,} submissions ({submissions_size / mb:.1f} MB), "
        f"{values:,} values ({values_size / mb:.0f} MB)"
    )


# ---------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database",
        help=f"default: the first of {', '.join(CANDIDATES)} that exists and holds the national data",
    )
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--warmups", type=int, default=2)
    parser.add_argument("--page-runs", type=int, default=30)
    parser.add_argument("--page-warmups", type=int, default=5)
    parser.add_argument(
        "--sent", type=float, default=0.67, help="share of the targets that sent (default 0.67)"
    )
    parser.add_argument("--explain", choices=["median", "largest", "national"])
    parser.add_argument("--remove", action="store_true", help="delete this script's campaigns and curators")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.warmups < 0 or args.page_runs < 1 or args.page_warmups < 0:
        parser.error("--runs and --page-runs must be ≥ 1, --warmups and --page-warmups ≥ 0")
    if not 0 <= args.sent <= 0.95:
        parser.error("--sent must be between 0 and 0.95")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    database = args.database or default_database()
    if not database_exists(database):
        print(f"database {database} does not exist: run .venv/bin/python bench/generate.py first")
        return EXIT_NO_DATABASE
    os.environ["ALLOWED_HOSTS"] = "testserver"
    warnings.filterwarnings("ignore", message="No directory at")  # WhiteNoise: no collectstatic here
    setup_django(database)  # DEBUG=0

    pending = pending_migrations()
    if pending:
        print(
            f"the schema of {database} lags the code: {', '.join(pending)} not applied.\n"
            f"Run: DATABASE_URL={database_url(database)} .venv/bin/python manage.py migrate"
        )
        return EXIT_UNMIGRATED
    if args.remove:
        remove_all()
        return 0

    from django.conf import settings
    from django.test import Client, override_settings

    started_all = time.perf_counter()
    median, largest = pick_regions()
    n_schools = {
        "median": schools().filter(municipality__region=median).count(),
        "largest": schools().filter(municipality__region=largest).count(),
        "national": schools().count(),
    }
    specs = [  # each region's earlier campaign first: its page compares with it
        Spec("median, autumn", f"{TITLE}: регион {median.code} (медианный), осень", median, PREVIOUS, True),
        Spec("median", f"{TITLE}: регион {median.code} (медианный)", median, CURRENT),
        Spec(
            "largest, autumn", f"{TITLE}: регион {largest.code} (крупнейший), осень", largest, PREVIOUS, True
        ),
        Spec("largest", f"{TITLE}: регион {largest.code} (крупнейший)", largest, CURRENT),
        Spec("national", f"{TITLE}: вся страна", largest, CURRENT, national=True),
    ]
    for spec in specs:
        spec.expected = n_schools[spec.key.removesuffix(", autumn")]
    print(
        f"database {database}, {args.runs} runs after {args.warmups} warm-ups; page: {args.page_runs} "
        f"requests after {args.page_warmups} warm-ups\n{server_facts()}"
    )

    admin, operator = users(largest)
    codes = active_indicators()
    made_curators = curators([median, largest])
    for spec in specs:
        make(spec, admin, codes, args.sent)
    vacuum()
    print(
        f"setup {time.perf_counter() - started_all:.1f} s; indicators: {', '.join(codes)}; "
        f"curators created: {made_curators:,}\n{monitoring_facts()}"
    )
    for spec in specs:
        print(
            f"  {spec.key:<15} #{spec.campaign.pk} «{spec.title}», {spec.expected:,} schools: "
            f"{'; '.join(spec.setup)}"
        )

    from monitoring.models import Campaign, SubmissionValue

    by_key = {
        spec.key: Campaign.objects.select_related("region", "municipality").get(pk=spec.campaign.pk)
        for spec in specs
    }
    labels = {
        "median": (f"region {median.code} (median, {n_schools['median']:,} schools)", "region"),
        "largest": (f"region {largest.code} (largest, {n_schools['largest']:,} schools)", "region"),
        "national": (f"national ({n_schools['national']:,} schools)", "national"),
    }
    header = f"{'table':<26} {'median ms':>10} {'p90 ms':>9} {'queries':>7} {'× count(*)':>10}  target"
    print("\n" + header + "\n" + "-" * len(header))
    verdicts, explained = [], []
    for key, (label, kind) in labels.items():
        campaign = by_key[key]
        n_values = SubmissionValue.objects.filter(submission__campaign=campaign).count()
        print(f"{label}: campaign #{campaign.pk}, {n_values:,} values")
        results = measure(campaign, kind == "region", args.runs, args.warmups)
        baseline = statistics.median(results["count(*) of targets"]["samples"])
        for name, result in results.items():
            median_ms = statistics.median(result["samples"])
            verdict = ""
            if name in ("completeness", "indicator_report", "both tables"):
                target = TARGETS_MS[kind]
                verdict = f"{'PASS' if median_ms <= target else 'FAIL'} (≤ {target:g} ms)"
                verdicts.append(f"{label}: {name} median {median_ms:.1f} ms, {verdict}")
            elif name == "count(*) of targets":
                verdict = "baseline"
            print(
                f"  {name:<24} {median_ms:>10.1f} {p90(result['samples']):>9.1f} {result['queries']:>7} "
                f"{median_ms / baseline:>10.1f}  {verdict}"
            )
            if key == args.explain and name in (
                "completeness",
                "indicator_report",
                "organization_indicators",
            ):
                explained += result["sql"]

    # The campaign page, end to end, as the largest region's operator.
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    override_settings(STORAGES=storages).enable()  # no collectstatic manifest here
    pin_today(TODAY)
    clients = {"operator": Client(), "admin": Client()}
    try:
        clients["operator"].force_login(operator)
        clients["admin"].force_login(admin)
        largest_url = f"/monitoring/campaigns/{by_key['largest'].pk}/"
        result = measure_page(
            clients["operator"], largest_url, by_key["largest"].title, args.page_runs, args.page_warmups
        )
        others = {
            key: count_page_queries(
                clients["admin"], f"/monitoring/campaigns/{by_key[key].pk}/", by_key[key].title
            )
            for key in ("median", "largest", "national")
        }
    finally:
        for client in clients.values():
            client.logout()  # deletes the session rows force_login wrote

    samples = result["samples"]
    median_ms, p95_ms, sql_ms = statistics.median(samples), p95(samples), statistics.median(result["sql"])
    print(
        f"\ncampaign page {largest_url} as {OPERATOR} ({labels['largest'][0]}, with the previous campaign's "
        f"change; today pinned to {TODAY}):\n"
        f"  median {median_ms:.1f} ms, p95 {p95_ms:.1f} ms, max {max(samples):.1f} ms, "
        f"{result['queries']} queries, SQL {sql_ms:.1f} ms per request"
    )
    print(
        f"  queries per page as {ADMIN}: "
        + ", ".join(f"{key} {n} ({ms:.0f} ms, one request)" for key, (n, ms) in others.items())
    )
    print("\n" + "\n".join(verdicts))
    print(f"total {time.perf_counter() - started_all:.0f} s")
    if args.explain:
        explain(explained)
    return 0


if __name__ == "__main__":
    sys.exit(main())
