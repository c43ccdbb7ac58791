"""What generate.py and bench_selectors.py share: the server, the database name, Django's setup."""

import os
import sys
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
