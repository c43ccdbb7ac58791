"""Time the daily notification job's creation phase on the national-scale benchmark database.

    .venv/bin/python bench/bench_notifications.py [--database mentoring_bench] [--as-of 2025-03-01]
                                                  [--keep]

For each kind (docs/architecture.md §14): the events and recipients found
(``mentoring_portal.notifications.KINDS``), then their notices inserted (``store``): rows, SQL
queries (the target: a constant few per kind, one INSERT per 2 000 rows) and milliseconds; then the
whole ``create_due`` run a second time, which must insert nothing (the unique key). Everything runs
in one transaction rolled back at the end, so the database is left as it was (``--keep`` commits).
"Today" is ``--as-of``. A database without curators (the generator makes no users) gets a curator per
school and a coordinator per municipality for the run, rolled back with it. The target: the whole
country ≤ 2 minutes. No letter is sent. Exit status 0
whatever the figures; 3 if the database is missing.
"""

import argparse
import datetime
import os
import sys
import time
import warnings

from benchdb import DEFAULT_DATABASE, EXIT_NO_DATABASE, database_exists, setup_django

TARGET_SECONDS = 120.0


class Rollback(Exception):
    pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--as-of", type=datetime.date.fromisoformat, default=datetime.date(2025, 3, 1))
    parser.add_argument("--keep", action="store_true", help="commit the notices instead of rolling back")
    args = parser.parse_args(argv)
    if not database_exists(args.database):
        print(f"database {args.database} does not exist: run .venv/bin/python bench/generate.py first")
        return EXIT_NO_DATABASE
    warnings.filterwarnings("ignore", message="No directory at")
    setup_django(args.database)
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from mentoring_portal import notifications
    from mentoring_portal.models import Notification

    print(f"database {args.database}, today {args.as_of}")
    header = f"{'kind':<36} {'notices':>9} {'find ms':>9} {'store ms':>9} {'queries':>7}"
    print("\n" + header + "\n" + "-" * len(header))
    total = 0.0
    try:
        with transaction.atomic():
            made_users = _staff(args.as_of)
            if made_users:
                print(f"(no curators in the database: {made_users} made for the run, rolled back with it)")
            before = Notification.objects.count()
            for kind, find in notifications.KINDS.items():
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    due = find(today=args.as_of)
                    found = time.perf_counter()
                    notifications.store(kind=kind, due=due)
                    stored = time.perf_counter()
                total += stored - started
                print(
                    f"{Notification.Kind(kind).label:<36} {len(due):>9} {(found - started) * 1000:>9.0f} "
                    f"{(stored - found) * 1000:>9.0f} {len(queries):>7}"
                )
            made = Notification.objects.count() - before
            started = time.perf_counter()
            notifications.create_due(today=args.as_of)
            again = time.perf_counter() - started
            twice = Notification.objects.count() - before - made
            verdict = "PASS" if total <= TARGET_SECONDS else "FAIL"
            print(f"\nnotices made: {made}; the whole creation {total:.1f} s")
            print(f"target: {verdict} (≤ {TARGET_SECONDS:g} s)")
            print(f"run again: {again:.1f} s, {twice} more notices (must be 0)")
            if not args.keep:
                raise Rollback
    except Rollback:
        print("rolled back: the database is unchanged")
    return 0


def _staff(today) -> int:
    """A curator per school and a coordinator per municipality when the database has none (the
    generator makes no users): the recipients the job looks up, as a region in production has them."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from registry.models import Municipality, Organization, UserScope

    if UserScope.objects.filter(role=UserScope.Role.CURATOR).exists():
        return 0
    User = get_user_model()
    orgs = list(Organization.objects.filter(org_type="school").values_list("pk", flat=True))
    municipalities = list(Municipality.objects.values_list("pk", flat=True))
    users = User.objects.bulk_create(
        [User(username=f"bench-curator-{pk}", email=f"c{pk}@example.ru") for pk in orgs]
        + [User(username=f"bench-coordinator-{pk}", email=f"m{pk}@example.ru") for pk in municipalities],
        batch_size=5000,
    )
    confirmed = timezone.now()
    scopes = [
        UserScope(user=user, role=UserScope.Role.CURATOR, organization_id=pk, email_confirmed_at=confirmed)
        for user, pk in zip(users[: len(orgs)], orgs, strict=True)
    ] + [
        UserScope(
            user=user, role=UserScope.Role.COORDINATOR, municipality_id=pk, email_confirmed_at=confirmed
        )
        for user, pk in zip(users[len(orgs) :], municipalities, strict=True)
    ]
    UserScope.objects.bulk_create(scopes, batch_size=5000)
    return len(users)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mentoring_portal.settings")
    sys.exit(main())
