"""SQL queries per page of the load test's mix, for the smallest and the largest school of the
prepared region: the count must not grow with the school (docs/reliability.md #56, «constant query count»).

    .venv/bin/python bench/load/queries.py [--database mentoring_bench]

Requests go through Django's test Client (``force_login``, ``secure=True`` as behind nginx) with
DEBUG=0, the plain static storage (no collectstatic manifest needed); the queries are counted with
``CaptureQueriesContext``. A difference is flagged; it may come from the content (a search without
a hit skips the query of the hits' forms; a group's card differs from a pair's), so read it.
"""

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchdb import DEFAULT_DATABASE, setup_django  # noqa: E402


def pages(account: dict) -> dict[str, str]:
    person, pair, submission = account["people"][0], account["pairs"][0], account["submission"]
    return {
        "dashboard": "/",
        "list: mentors": "/mentors/",
        "list: mentees": "/mentees/",
        "list: pairs": "/pairs/",
        "list: search": "/mentors/?q=Иван",
        "list: page 2": "/mentees/?page=2",
        "card: person": f"/people/{person}/",
        "card: pair": f"/pairs/{pair}/",
        "save: person: form": f"/people/{person}/edit/",
        "save: pair: form": f"/pairs/{pair}/edit/",
        "monitoring: submission": f"/monitoring/submissions/{submission}/edit/",
        "export: mentors xlsx": "/mentors/?format=xlsx",
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--users", type=Path, default=HERE / ".users.json")
    args = parser.parse_args(argv)
    setup_django(args.database)

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from registry.models import BaseMembership

    settings.STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
    settings.ALLOWED_HOSTS = ["testserver"]
    data = json.loads(args.users.read_text(encoding="utf-8"))
    User = get_user_model()
    curators = {a["username"]: a for a in data["curators"]}
    users = User.objects.filter(username__in=curators).select_related("scope")
    sizes = dict(
        BaseMembership.objects.filter(organization__in=[u.scope.organization_id for u in users])
        .values_list("organization_id")
        .annotate(n=Count("pk"))
    )
    ordered = sorted(users, key=lambda u: sizes.get(u.scope.organization_id, 0))
    chosen = [ordered[0], ordered[-1]]
    counts: dict[str, list[int]] = {}
    for user in chosen:
        client = Client()
        client.force_login(user)
        for name, url in pages(curators[user.username]).items():
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(url, secure=True)
                if response.streaming:
                    b"".join(response.streaming_content)
            assert response.status_code == 200, (url, response.status_code)
            counts.setdefault(name, []).append(len(ctx.captured_queries))
    heads = [f"{sizes.get(u.scope.organization_id, 0)} in bases" for u in chosen]
    print(f"{'page':<26} {heads[0]:>16} {heads[1]:>16}")
    for name, (small, large) in counts.items():
        print(f"{name:<26} {small:>16} {large:>16}{'' if small == large else '   differs'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
