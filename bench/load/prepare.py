"""Make the national-scale bench database ready for the load test: bases, users, an open campaign.

    .venv/bin/python bench/load/prepare.py [--database mentoring_bench] [--region median]
                                           [--out bench/load/.users.json]

Run it once after ``bench/generate.py`` (which writes people, pairs and links but no bases of
mentors and mentees, no users and no monitoring). It adds, idempotently:

- **bases**: every person who is a mentor of a link goes into his organization's base of mentors
  (marked as trained), every mentee into its base of mentees: one ``INSERT … SELECT`` for the
  whole country (≈ 1 M rows). No history rows, as for the rest of the generated data;
- **users** of one region (the median one by number of organizations, as in
  ``bench_selectors.py``), all with the password ``LOAD_PASSWORD``: a curator per school
  (``load_curator_<school code>``), a coordinator per municipality (``load_coordinator_<code>``),
  the region's operator ``load_operator``, and ``load_admin`` (superuser, unusable password)
  who runs the campaign;
- **a monitoring campaign** of that region, open now (its period runs from a week ago to a
  month ahead), opened through ``monitoring.campaigns.campaign_open``: a draft submission per
  school for the curators to fill.

It then writes ``--out``: for every user, the ids the load client needs (his submission, a
sample of people and pairs he may edit), so the locustfile does not have to scrape them.
"""

import argparse
import datetime
import json
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # bench/benchdb.py

from benchdb import DEFAULT_DATABASE, EXIT_NO_DATABASE, database_exists, setup_django  # noqa: E402

LOAD_PASSWORD = "Nagruzka-2026-load-test"  # known on purpose: the bench database holds no real data
PREFIX = "load_"
CAMPAIGN_TITLE = "Нагрузочный тест: мониторинг региона"
SAMPLE = 20  # people and pairs per curator written to --out

BASES_SQL = """
INSERT INTO registry_basemembership
    (organization_id, person_id, base, trained_as_mentor, competences, request, included_on, archived_on)
SELECT DISTINCT p.organization_id, p.id, %(base)s, %(trained)s, '', '', DATE '2024-09-02', NULL::date
FROM registry_mentorshiplink l JOIN registry_person p ON p.id = l.{side}
ON CONFLICT DO NOTHING
"""


def step(label: str, started: float) -> None:
    print(f"  {label:<48} {time.perf_counter() - started:7.1f} s", flush=True)


def bases() -> None:
    from django.db import connection, transaction

    from registry.models import BaseMembership

    if BaseMembership.objects.exists():
        print("  bases: already filled", flush=True)
        return
    for base, side, trained in (
        ("mentors", "mentor_person_id", True),
        ("mentees", "mentee_person_id", False),
    ):
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(BASES_SQL.format(side=side), {"base": base, "trained": trained})
            rows = cursor.rowcount
        step(f"base of {base}: {rows:,} rows", started)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) registry_basemembership")
    step("VACUUM (ANALYZE) registry_basemembership", started)


def pick_region(which: str):
    from django.db.models import Count

    from registry.models import Region

    regions = list(Region.objects.annotate(n=Count("municipalities__organizations")).order_by("n", "code"))
    if not regions:
        sys.exit("the benchmark database is empty: run bench/generate.py")
    return regions[-1] if which == "largest" else regions[len(regions) // 2]


def users(region) -> dict:
    """Users of ``region`` with the known password; returns {role: [(username, territory id)]}."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from registry.models import Municipality, Organization, UserScope

    User = get_user_model()
    Role = UserScope.Role
    password = make_password(LOAD_PASSWORD)  # one hash for all: PBKDF2 per user would take minutes
    schools = Organization.objects.filter(
        municipality__region=region, org_type=Organization.OrgType.SCHOOL
    ).order_by("code")
    wanted = [(f"{PREFIX}curator_{o.code}", Role.CURATOR, {"organization": o}) for o in schools]
    wanted += [
        (f"{PREFIX}coordinator_{m.code}", Role.COORDINATOR, {"municipality": m})
        for m in Municipality.objects.filter(region=region).order_by("code")
    ]
    wanted.append((f"{PREFIX}operator", Role.OPERATOR, {"region": region}))
    existing = set(User.objects.filter(username__startswith=PREFIX).values_list("username", flat=True))
    User.objects.bulk_create(
        [User(username=name, password=password) for name, _, _ in wanted if name not in existing]
    )
    by_name = {u.username: u for u in User.objects.filter(username__startswith=PREFIX)}
    User.objects.filter(username__startswith=PREFIX).update(password=password, is_active=True)
    scopes = UserScope.objects.filter(user__username__startswith=PREFIX)
    have = set(scopes.values_list("user__username", flat=True))
    UserScope.objects.bulk_create(
        [
            UserScope(user=by_name[name], role=role, **where)
            for name, role, where in wanted
            if name not in have
        ]
    )
    admin, created = User.objects.get_or_create(
        username=f"{PREFIX}admin", defaults={"is_superuser": True, "is_staff": True}
    )
    if created:
        admin.set_unusable_password()
        admin.save()
    result: dict = {"admin": admin}
    for name, role, where in wanted:
        result.setdefault(role.value, []).append((name, next(iter(where.values())).pk))
    return result


def campaign(region, admin):
    from monitoring import campaigns as svc
    from monitoring import indicators as ind
    from monitoring.models import Campaign, Indicator

    found = Campaign.objects.filter(title=f"{CAMPAIGN_TITLE} {region.code}", region=region).first()
    if found is not None and found.status == Campaign.Status.OPEN:
        print(f"  campaign #{found.pk}: already open", flush=True)
        return found
    if found is not None:
        sys.exit(f"campaign #{found.pk} «{found.title}» exists but is {found.status}: drop the database")
    today = datetime.date.today()
    figures = ind.catalogue()
    codes = [
        i.code
        for i in Indicator.objects.filter(is_active=True).order_by("sort_order", "code")
        if not ind.check_definition(i, figures)
    ]
    started = time.perf_counter()
    created = svc.campaign_create(
        user=admin,
        region=region,
        indicators=codes,
        title=f"{CAMPAIGN_TITLE} {region.code}",
        goal="Нагрузочное тестирование (bench/load)",
        organizer="Региональный наставнический центр",
        basis_number="нагр.",
        basis_date=today - datetime.timedelta(days=10),
        basis_title="О проведении мониторинга внедрения целевой модели наставничества",
        target_org_types=["school"],
        period_start=today - datetime.timedelta(days=7),
        period_end=today + datetime.timedelta(days=30),
        as_of_date=datetime.date(2025, 3, 1),  # the generated data describe the school year 2024/2025
        deadline=today + datetime.timedelta(days=21),
    )
    svc.campaign_open(user=admin, campaign=created)
    step(f"campaign #{created.pk} opened ({len(codes)} indicators)", started)
    return created


def samples(made: dict, opened, seed: int) -> dict:
    """What each user of the load test works on: his submission, people and pairs of his school."""
    from monitoring.models import Submission
    from registry.models import BaseMembership, Mentorship

    rng = random.Random(seed)
    submissions = dict(Submission.objects.filter(campaign=opened).values_list("organization_id", "pk"))
    out: dict = {"password": LOAD_PASSWORD, "campaign": opened.pk, "curators": [], "coordinators": []}
    for name, org_id in made["curator"]:
        # Adults only: generated pupils may be younger than the form's minimum age (a save would be refused).
        mentors = list(
            BaseMembership.objects.filter(
                organization_id=org_id,
                base="mentors",
                person__organization_id=org_id,
                person__category__in=["teacher", "head"],
            )
            .order_by("person_id")
            .values_list("person_id", flat=True)
        )
        pairs = list(
            Mentorship.objects.filter(organization_id=org_id, status__in=["active", "draft"])
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not mentors or not pairs or org_id not in submissions:
            continue  # a school with nobody to edit would only make 404s
        out["curators"].append(
            {
                "username": name,
                "submission": submissions[org_id],
                "people": [str(p) for p in rng.sample(mentors, min(SAMPLE, len(mentors)))],
                "pairs": [str(p) for p in rng.sample(pairs, min(SAMPLE, len(pairs)))],
            }
        )
    out["coordinators"] = [{"username": name} for name, _ in made["coordinator"]]
    out["operators"] = [{"username": name} for name, _ in made["operator"]]
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--region", choices=["median", "largest"], default="median")
    parser.add_argument("--out", type=Path, default=HERE / ".users.json")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args(argv)
    if not database_exists(args.database):
        print(f"database {args.database} does not exist: run bench/generate.py --database {args.database}")
        return EXIT_NO_DATABASE
    setup_django(args.database)

    print(f"preparing {args.database} for the load test", flush=True)
    bases()
    region = pick_region(args.region)
    started = time.perf_counter()
    made = users(region)
    step(f"users of region {region.code} «{region.name}»", started)
    opened = campaign(region, made["admin"])
    out = samples(made, opened, args.seed)
    args.out.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    print(
        f"  {len(out['curators'])} curators, {len(out['coordinators'])} coordinators, "
        f"{len(out['operators'])} operator(s); written to {args.out}",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
