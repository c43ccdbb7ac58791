"""Restore drill (docs/reliability.md #51): a backup made by ``deploy/backup.sh`` restores with
``deploy/restore.sh`` into an empty database, with the same schema, rows and contents.

PostgreSQL only: the backup is ``pg_dump -Fc``. A fresh database with real rows (``open_stack``,
filled through the factories in a ``manage.py shell``, so history rows exist too), the two
scripts run as an operator runs them, then the restored copy is compared with the original:
``migrate --check`` (inside restore.sh), the row count of every table, an md5 checksum of the
key tables' contents, and a smoke test of the portal's own queries on the copy. The restore time
is recorded (printed, and held against the RTO of 4 h).
"""

import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.stack import BASE_DIR, open_stack, session_database

pytestmark = pytest.mark.stack

BACKUP = BASE_DIR / "deploy" / "backup.sh"
RESTORE = BASE_DIR / "deploy" / "restore.sh"
RTO_SECONDS = 4 * 3600
KEY_TABLES = (
    "registry_organization",
    "registry_person",
    "registry_mentorship",
    "registry_mentorshiplink",
    "registry_historicalperson",
    "auth_user",
    "django_migrations",
)

FILL = """
import datetime
from registry.models import Category, UserScope
from tests import factories as f

region = f.make_region()
municipality = f.make_municipality(region=region)
for s in range(4):
    school = f.make_organization(municipality=municipality)
    f.make_headcount(organization=school)
    for p in range(3):
        mentor = f.make_person(organization=school, category=Category.TEACHER, full_name=f"Наставник {s}-{p}")
        f.make_mentorship(mentor_person=mentor, organization=school)
    f.make_user(f"curator{s}", role=UserScope.Role.CURATOR, organization=school)
f.make_user("operator", role=UserScope.Role.OPERATOR, region=region)
print("filled")
"""

SMOKE = """
from django.contrib.auth import get_user_model
from registry import access
from registry.models import Mentorship, Person
user = get_user_model().objects.get(username="curator0")
people = access.scoped(user, Person.objects.all())
print(people.count(), access.scoped(user, Mentorship.objects.all()).count())
"""

SHELL_SMOKE = [sys.executable, "manage.py", "shell", "--no-imports", "-v", "0", "-c", SMOKE]


@pytest.fixture
def postgres_only():
    if session_database()["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("the restore drill needs PostgreSQL: the backup is pg_dump -Fc (set DATABASE_URL)")


def run(args, *, env=None, timeout=300) -> subprocess.CompletedProcess:
    result = subprocess.run(  # noqa: S603 — our own scripts
        [str(a) for a in args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, f"{args[0]} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def tables(stack) -> list[str]:
    rows = stack.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    return [name for (name,) in rows]


def fingerprint(stack) -> dict[str, tuple[int, str | None]]:
    """Every table's row count; for the key tables also an md5 of all their rows in key order."""
    result = {}
    for table in tables(stack):
        (count,) = stack.query(f'SELECT count(*) FROM "{table}"')[0]  # noqa: S608 — catalogue names
        digest = None
        if table in KEY_TABLES:
            (digest,) = stack.query(
                f"SELECT md5(coalesce(string_agg(t::text, chr(10) ORDER BY t::text), '')) FROM \"{table}\" t"  # noqa: S608
            )[0]
        result[table] = (count, digest)
    return result


def scratch_database(stack) -> tuple[str, callable]:
    """An empty database next to the stack's; returns its URL and a function that drops it."""
    import psycopg
    from psycopg import sql

    server = {k: v for k, v in stack.pg_params.items() if k != "dbname"}
    name = f"mentoring_restore_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(**server, dbname="postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def drop():
        with psycopg.connect(**server, dbname="postgres", autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    return stack.database_url.rsplit("/", 1)[0] + "/" + name, drop


class Copy:
    """The restored database, read like the stack's (``query``)."""

    def __init__(self, url: str):
        import psycopg

        self.connection = psycopg.connect(url, autocommit=True)

    def query(self, statement: str):
        return self.connection.execute(statement).fetchall()


def script_env(stack, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MEDIA_ROOT")}
    env.update(PYTHON=sys.executable, **extra)
    return env | {"DATABASE_URL": stack.database_url}


def test_backup_restores_into_an_empty_database_with_the_same_rows_and_contents(postgres_only, tmp_path):
    with open_stack(tmp_path) as stack:
        assert stack.shell(FILL, env={"PYTHONPATH": str(BASE_DIR)}).strip() == "filled"
        media = stack.media_root / "documents"
        media.mkdir(parents=True)
        (media / "order.pdf").write_bytes(b"%PDF-1.4 test")
        original = fingerprint(stack)
        people = original["registry_person"][0]
        assert people >= 4 * 3 * 2  # at least the mentors and their mentees
        assert original["registry_historicalperson"][0] >= people
        smoke_before = run(SHELL_SMOKE, env=script_env(stack)).stdout.split()
        assert smoke_before[1] == "3"  # curator0's school's pairs

        backups = tmp_path / "backups"
        env = script_env(stack, BACKUP_DIR=str(backups), BACKUP_ENCRYPT="0", MEDIA_ROOT=str(stack.media_root))
        made = run([BACKUP], env=env)
        dump = Path(made.stdout.strip().splitlines()[-1])
        assert dump.exists() and dump.suffix == ".dump" and dump.parent == backups
        assert Path(f"{dump}.sha256").exists()
        media_archive = next(backups.glob("*.media.tar.gz"))
        listing = run(["tar", "-tzf", media_archive]).stdout
        assert "./documents/order.pdf" in listing
        assert not list(backups.glob("*.partial")), "a finished backup leaves no .partial file"

        target, drop = scratch_database(stack)
        try:
            started = time.monotonic()
            restored = run([RESTORE, dump, target], env=script_env(stack))
            seconds = time.monotonic() - started
            copy = Copy(target)
            try:
                assert fingerprint(copy) == original
                smoke = run(SHELL_SMOKE, env=script_env(stack) | {"DATABASE_URL": target})
                assert smoke.stdout.split() == smoke_before  # the curator's scope reads the same

                # Restoring over data is refused: the target must be empty.
                refused = subprocess.run(  # noqa: S603
                    [str(RESTORE), str(dump), target], env=script_env(stack), capture_output=True, text=True
                )
                assert refused.returncode == 3
                assert "not empty" in refused.stderr
                assert fingerprint(copy) == original
            finally:
                copy.connection.close()
        finally:
            drop()
    assert "manage.py migrate --check" in restored.stdout
    assert re.search(rf"registry_person\s+{people}\n", restored.stdout)
    rows = sum(count for count, _ in original.values())
    print(f"restore drill: {seconds:.1f} s for {rows} rows (RTO {RTO_SECONDS} s)")
    assert seconds < RTO_SECONDS


def test_a_damaged_backup_is_refused_before_anything_is_restored(postgres_only, tmp_path):
    with open_stack(tmp_path) as stack:
        backups = tmp_path / "backups"
        env = script_env(stack, BACKUP_DIR=str(backups), BACKUP_ENCRYPT="0", BACKUP_MEDIA="0")
        made = run([BACKUP], env=env)
        dump = Path(made.stdout.strip().splitlines()[-1])
        data = bytearray(dump.read_bytes())
        data[len(data) // 2] ^= 0xFF
        dump.write_bytes(bytes(data))
        target, drop = scratch_database(stack)
        try:
            refused = subprocess.run(  # noqa: S603
                [str(RESTORE), str(dump), target], env=script_env(stack), capture_output=True, text=True
            )
            copy = Copy(target)
            try:
                assert refused.returncode == 4
                assert "checksum mismatch" in refused.stderr
                assert copy.query("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [(0,)]
            finally:
                copy.connection.close()
        finally:
            drop()


def test_backup_refuses_to_write_an_unencrypted_copy_unless_told(postgres_only, tmp_path):
    with open_stack(tmp_path) as stack:
        env = script_env(stack, BACKUP_DIR=str(tmp_path / "backups"))
        env.pop("BACKUP_GPG_RECIPIENT", None)
        env.pop("BACKUP_ENCRYPT", None)
        result = subprocess.run([str(BACKUP)], env=env, capture_output=True, text=True)  # noqa: S603
        assert result.returncode == 2
        assert "BACKUP_GPG_RECIPIENT" in result.stderr
        assert not (tmp_path / "backups").exists() or not list((tmp_path / "backups").iterdir())
