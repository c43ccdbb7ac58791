"""Time the API's ``/api/v1/indicators/`` on the national-scale benchmark database.

    .venv/bin/python bench/bench_api.py [--database mentoring_bench] [--runs 20] [--warmups 3]
                                        [--as-of 2025-03-01]

Two calls (docs/architecture.md §13), each through the whole stack (middleware, the key's check,
the live indicators, the JSON, the access log's INSERT):

- the largest region (by organizations) with each of its municipalities, a region's key;
- the whole country with each region, a country-wide key.

Nothing stays in the database: the keys are unsaved ``ApiToken`` objects handed to the
authentication (the database needs no table of keys), and every request runs inside a transaction
rolled back at the end (the access-log rows go with it). The rate limit is lifted. Printed per
call: median, nearest-rank p95, max (ms), the SQL queries of one request, the rows. Targets: the
region p95 ≤ 100 ms, the country ≤ 1 s. Exit status 0 whatever the figures; 3 if the database is
missing.
"""

import argparse
import datetime
import logging
import os
import statistics
import sys
import warnings

from benchdb import DEFAULT_DATABASE, EXIT_NO_DATABASE, database_exists, p95, setup_django, timed

TARGETS_MS = {"region": 100.0, "country": 1000.0}
SECRET = "bench-api-key"


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
    from django.db import transaction
    from django.db.models import Count
    from django.test import Client, override_settings
    from django.utils import timezone

    from mentoring_portal.api import tokens
    from mentoring_portal.models import ApiToken
    from registry.models import Region

    override_settings(API_RATE_LIMIT=10**9).enable()
    logging.getLogger("mentoring_portal.audit").setLevel(logging.WARNING)  # a line a call otherwise
    region = Region.objects.annotate(n=Count("municipalities__organizations")).order_by("-n", "code").first()
    used = timezone.now() + datetime.timedelta(days=1)  # no «last used» UPDATE: the key is not saved
    keys = {
        "region": ApiToken(pk=1, name="bench region", region=region, prefix="bench", last_used_at=used),
        "country": ApiToken(pk=2, name="bench country", prefix="bench", last_used_at=used),
    }
    current = {}
    tokens.token_for_secret = lambda *, secret: current.get("key")
    client = Client()

    def call(name):
        def run():
            current["key"] = keys[name]
            with transaction.atomic():
                response = client.get(
                    "/api/v1/indicators/",
                    {"as_of": args.as_of.isoformat(), "limit": "1000"},
                    HTTP_AUTHORIZATION=f"Bearer {SECRET}",
                    secure=True,
                )
                transaction.set_rollback(True)
            assert response.status_code == 200, (response.status_code, response.content[:300])
            return response

        return run

    print(
        f"database {args.database}, as of {args.as_of}, "
        f"{args.runs} timed requests after {args.warmups} warm-ups"
    )
    header = f"{'call':<10} {'median ms':>9} {'p95 ms':>8} {'max ms':>8} {'queries':>7} {'rows':>6}  target"
    print("\n" + header + "\n" + "-" * len(header))
    labels = {
        "region": f"largest region {region.code}, {region.n} organizations",
        "country": f"the country, {Region.objects.count()} regions",
    }
    for name in ("region", "country"):
        run = call(name)
        samples, queries = timed(run, args.runs, args.warmups)
        rows = run().json()["count"]
        median, top, target = statistics.median(samples), p95(samples), TARGETS_MS[name]
        verdict = f"{'PASS' if top <= target else 'FAIL'} (p95 ≤ {target:g} ms)"
        print(f"{name:<10} {median:>9.1f} {top:>8.1f} {max(samples):>8.1f} {queries:>7} {rows:>6}  {verdict}")
        print(f"{'':<10} {labels[name]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
