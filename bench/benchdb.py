"""What generate.py and bench_selectors.py share: the server, the database name, Django's setup."""

import math
import os
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
SERVER = "postgres://postgres@127.0.0.1:5432"
DEFAULT_DATABASE = "mentoring_bench"
START_SERVER = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"

EXIT_NO_SERVER = 2
EXIT_NO_DATABASE = 3


def database_url(name: str) -> str:
    return f"{SERVER}/{name}"


def maintenance_connection() -> psycopg.Connection:
    """An autocommit connection to the ``postgres`` database; exits with advice if the server is down."""
    try:
        return psycopg.connect(database_url("postgres"), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        sys.exit(
            f"PostgreSQL is not reachable at {SERVER} ({str(exc).strip()}).\n"
            f"Start it with:\n    {START_SERVER}"
        )


def database_exists(name: str) -> bool:
    with maintenance_connection() as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def setup_django(name: str) -> None:
    """Point Django at the bench database, production-like (DEBUG off), and set it up."""
    os.environ["DATABASE_URL"] = database_url(name)
    os.environ["DJANGO_SETTINGS_MODULE"] = "mentoring_portal.settings"
    os.environ["DEBUG"] = "0"  # no query log, as in production
    os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from mentoring_portal.process import settle

    settle()  # as the web process does after loading (mentoring_portal/wsgi.py)


def p95(samples: list[float]) -> float:
    """The nearest-rank 95th percentile."""
    ordered = sorted(samples)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]


def timed(call, runs: int, warmups: int) -> tuple[list[float], int]:
    """``call`` run ``warmups`` times, once more counting its SQL queries, then ``runs`` times timed:
    (milliseconds per run, queries of one call). Counted by a wrapper, not ``connection.queries``,
    which a request resets when it starts."""
    from django.db import connection

    for _ in range(warmups):
        call()
    counted = []
    with connection.execute_wrapper(lambda execute, *a: counted.append(1) or execute(*a)):
        call()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples, len(counted)
