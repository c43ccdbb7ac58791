"""The whole portal as separate processes on a fresh database: ``manage.py`` commands, the task
worker and the web server, as an operator runs them.

Tests that kill a process (docs/reliability.md #48) or watch a real worker pick a job up cannot use
pytest-django's in-process database: ``open_stack(tmp_path)`` creates a new database of the
session's vendor instead (SQLite: a file under ``tmp_path``; PostgreSQL: a database
``mentoring_stack_<random>`` on the session's server, dropped at the end), migrates it in a
subprocess and hands out a ``Stack``:

- ``manage(...)`` / ``shell(code)`` run ``manage.py`` with the stack's environment,
- ``start_worker()`` / ``start_server()`` start ``db_worker`` / ``runserver``, each in its own
  process group, all SIGKILLed at the end whatever happened,
- ``count(table)`` / ``query(sql)`` read the database directly (sqlite3 / psycopg).

The environment sends every upload to the worker (``IMPORT_INLINE_MAX_ROWS=0``) and keeps
uploads under ``tmp_path`` (``MEDIA_ROOT``) and temporary files too (``TMPDIR``: Django's
temporary upload directory); a test may point either elsewhere (``stack.media_root``,
``stack.tmp_dir``) before it starts a process, e.g. onto a small full filesystem.
``open_stack(tmp_path, server=...)`` puts the database on another PostgreSQL server (a private
cluster a test may restart).
"""

import contextlib
import dataclasses
import datetime
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import quote

import openpyxl

BASE_DIR = Path(__file__).resolve().parent.parent
MANAGE = BASE_DIR / "manage.py"
# Not inherited by the stack's processes (set by tests/browser/conftest.py while a browser test runs).
DROPPED_ENV = (
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "DATABASE_URL",
    "MEDIA_ROOT",
    "IMPORT_STALE_AFTER_SECONDS",
    "REPORT_STALE_AFTER_SECONDS",
    "TMPDIR",
)


class StackError(AssertionError):
    pass


def wait_for(predicate, *, timeout: float, what: str, every: float = 0.02, stack=None):
    """Call ``predicate`` until it returns something truthy (returned); fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise StackError(
                f"timed out after {timeout} s waiting for {what}" + (f"\n{stack.outputs()}" if stack else "")
            )
        time.sleep(every)


# ---------------------------------------------------------------- workbooks

MENTOR_HEADERS = [
    *("Код ОО", "ФИО", "Дата рождения", "Категория", "Педагогический стаж", "Обучен"),
    *("Дата согласия", "Версия согласия"),
]
SURNAMES = ["Иванова", "Петрова", "Смирнова", "Кузнецова", "Соколова", "Попова", "Лебедева", "Козлова"]
GIVEN_NAMES = ["Мария Петровна", "Анна Сергеевна", "Ольга Ивановна", "Елена Викторовна", "Ирина Павловна"]


@dataclasses.dataclass
class Book:
    path: Path
    municipalities: int
    organizations: int
    mentors: int
    bad_row: int | None = None  # Excel row of «Наставники» with an impossible birth date


def people_workbook(
    path: Path,
    *,
    municipalities: int,
    organizations: int,
    mentors_per_organization: int,
    prefix: str = "S",
    bad_birth_date_at: int | None = None,
    first_mentor: int = 0,
) -> Book:
    """A registry workbook (docs/workbook.md §2) written with openpyxl's write-only mode: «Муниципалитеты»
    (one region, new in a fresh database), «Организации» and «Наставники», every row new.

    ``bad_birth_date_at``: the index of a mentor whose birth date is written «31.02.1980».
    ``first_mentor``: the first mentor's number within each organization (two books with
    overlapping ranges name the same people in the same organizations).
    """
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Муниципалитеты")
    sheet.append(["Код", "Наименование", "Регион"])
    for m in range(municipalities):
        sheet.append([f"{prefix}M{m:02d}", f"Район {prefix}-{m}", "Тестовая область"])
    sheet = book.create_sheet("Организации")
    sheet.append(["Код ОО", "Наименование", "Муниципалитет", "Тип ОО"])
    for o in range(organizations):
        sheet.append(
            [
                f"{prefix}{o:04d}",
                f"МБОУ «СОШ № {o + 1}»",
                f"{prefix}M{o % municipalities:02d}",
                "общеобразовательная",
            ]
        )
    sheet = book.create_sheet("Наставники")
    sheet.append(MENTOR_HEADERS)
    first = datetime.date(1960, 1, 1)
    index = 0
    bad_row = None
    for o in range(organizations):
        for i in range(first_mentor, first_mentor + mentors_per_organization):
            name = f"{SURNAMES[i % len(SURNAMES)]} {GIVEN_NAMES[(i // len(SURNAMES)) % len(GIVEN_NAMES)]}"
            born = first + datetime.timedelta(days=7 * i)  # unique within an organization
            if index == bad_birth_date_at:
                born = "31.02.1980"
                bad_row = index + 2  # under the header, Excel's numbering
            sheet.append(
                [
                    f"{prefix}{o:04d}",
                    name,
                    born,
                    "педагог",
                    5 + i % 30,
                    "да" if i % 2 else "нет",
                    datetime.date(2024, 9, 2),
                    "2026-1",
                ]
            )
            index += 1
    book.save(path)
    return Book(path, municipalities, organizations, organizations * mentors_per_organization, bad_row)


def session_database() -> dict:
    """The settings of the database this test session uses (its vendor, server and credentials)."""
    from django.conf import settings

    return settings.DATABASES["default"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return f"({path.name}: no output)"
    text = path.read_text(errors="replace").splitlines()[-lines:]
    return f"--- {path.name} (last {len(text)} lines)\n" + "\n".join(text)


class Stack:
    def __init__(self, root: Path, vendor: str, database_url: str, *, sqlite_path=None, pg_params=None):
        self.root = root
        self.vendor = vendor
        self.database_url = database_url
        self.sqlite_path = sqlite_path
        self.pg_params = pg_params
        self.media_root = root / "media"
        self.tmp_dir = root / "tmp"
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        self.logs = root / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.processes: list[subprocess.Popen] = []
        self._connection = None
        self._started = 0

    # ------------------------------------------------------------ environment and commands

    def env(self, **extra) -> dict:
        env = {k: v for k, v in os.environ.items() if k not in DROPPED_ENV}
        env.update(
            DATABASE_URL=self.database_url,
            MEDIA_ROOT=str(self.media_root),
            TMPDIR=str(self.tmp_dir),
            DEBUG="1",
            IMPORT_INLINE_MAX_ROWS="0",
            DJANGO_SETTINGS_MODULE="mentoring_portal.settings",
            PYTHONUNBUFFERED="1",
        )
        env.update({k: str(v) for k, v in extra.items()})
        return env

    def manage(self, *args, env: dict | None = None, timeout: float = 120) -> str:
        """Run ``manage.py args`` to completion; returns its stdout, raises with its output on failure."""
        result = subprocess.run(  # noqa: S603 — our own manage.py
            [sys.executable, str(MANAGE), *args],
            cwd=BASE_DIR,
            env=self.env(**(env or {})),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise StackError(
                f"manage.py {args[0]} exited with {result.returncode}\n"
                f"--- stdout\n{result.stdout[-3000:]}\n--- stderr\n{result.stderr[-3000:]}"
            )
        return result.stdout

    def shell(self, code: str, *, env: dict | None = None, timeout: float = 120) -> str:
        """``manage.py shell -c code`` (no automatic imports); returns what the code printed."""
        return self.manage("shell", "--no-imports", "-v", "0", "-c", code, env=env, timeout=timeout)

    def migrate(self) -> None:
        self.manage("migrate", "--noinput", "-v", "0", timeout=300)

    # ------------------------------------------------------------ long-running processes

    def _spawn(self, name: str, *args, env: dict | None = None, command=None) -> subprocess.Popen:
        """Start ``manage.py args`` (or ``command``, a whole argv) in its own process group."""
        self._started += 1
        log = self.logs / f"{self._started:02d}-{name}.log"
        with open(log, "wb") as out:
            process = subprocess.Popen(  # noqa: S603 — our own manage.py or gunicorn
                command or [sys.executable, str(MANAGE), *args],
                cwd=BASE_DIR,
                env=self.env(**(env or {})),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: killed as a whole
            )
        process.log = log
        self.processes.append(process)
        return process

    def start_worker(self, *, env: dict | None = None) -> subprocess.Popen:
        """``manage.py db_worker``: polls every 0.1 s, no autoreloader, no startup delay."""
        return self._spawn(
            "db_worker", "db_worker", "--interval", "0.1", "--no-reload", "--no-startup-delay", env=env
        )

    def start_server(self, *, timeout: float = 30, env: dict | None = None) -> str:
        """``manage.py runserver`` on a free port; returns its base URL once it answers."""
        port = free_port()
        process = self._spawn("runserver", "runserver", "--noreload", f"127.0.0.1:{port}", env=env)
        return self._answering(process, port, timeout)

    def start_gunicorn(self, *, workers: int = 1, timeout: float = 30, env: dict | None = None) -> str:
        """gunicorn (sync workers, as in production) on a free port; returns its base URL once it answers.

        A sync worker keeps its database connection from request to request (``CONN_MAX_AGE``), which
        is what a database restart breaks.
        """
        port = free_port()
        command = [
            sys.executable, "-m", "gunicorn", "mentoring_portal.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--access-logfile", "-",
        ]  # fmt: skip
        process = self._spawn("gunicorn", command=command, env=env)
        return self._answering(process, port, timeout)

    def _answering(self, process: subprocess.Popen, port: int, timeout: float) -> str:
        name = Path(process.log).stem
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise StackError(f"{name} exited with {process.returncode}\n{tail(process.log)}")
            try:
                with urllib.request.urlopen(url + "/login/", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return url
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise StackError(f"{name} did not answer within {timeout} s\n{tail(process.log)}")
            time.sleep(0.1)

    @staticmethod
    def kill(process: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
        """Send ``sig`` to the process's whole group and, for SIGKILL, reap it."""
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)
        if sig == signal.SIGKILL:
            process.wait(timeout=10)

    def stop(self, process: subprocess.Popen, timeout: float = 10) -> None:
        """A graceful stop (SIGTERM: an idle worker exits at once); SIGKILL if it does not."""
        self.kill(process, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill(process)

    def outputs(self) -> str:
        return "\n".join(tail(p.log) for p in self.processes)

    # ------------------------------------------------------------ direct database access

    def connect(self):
        """A new connection to the stack's database, in autocommit mode."""
        if self.vendor == "sqlite":
            return sqlite3.connect(self.sqlite_path, timeout=20, isolation_level=None)
        import psycopg

        return psycopg.connect(**self.pg_params, autocommit=True)

    @property
    def connection(self):
        if self._connection is None:
            self._connection = self.connect()
        return self._connection

    def query(self, sql: str, params=()) -> list[tuple]:
        """Run ``sql`` (``%s`` placeholders on both vendors) and return its rows."""
        if self.vendor == "sqlite":
            sql = sql.replace("%s", "?")
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else []
        finally:
            cursor.close()

    def count(self, table: str) -> int:
        if not table.replace("_", "").isalnum():
            raise ValueError(table)
        return self.query(f"SELECT COUNT(*) FROM {table}")[0][0]  # noqa: S608 — checked name

    def counts(self, tables) -> dict[str, int]:
        return {table: self.count(table) for table in tables}

    def tables(self, prefix: str) -> list[str]:
        """The database's tables whose names start with ``prefix``, sorted."""
        if self.vendor == "sqlite":
            rows = self.query("SELECT name FROM sqlite_master WHERE type = 'table'")
        else:
            rows = self.query(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
            )
        return sorted(name for (name,) in rows if name.startswith(prefix))

    def move_sqlite(self, directory: Path) -> Path:
        """SQLite: move the database file into ``directory`` (WAL checkpointed first); nothing may run."""
        if any(p.poll() is None for p in self.processes):
            raise StackError("stop the stack's processes before moving its database")
        self.query("PRAGMA wal_checkpoint(TRUNCATE)")
        self._connection.close()
        self._connection = None
        source = Path(self.sqlite_path)
        target = Path(directory) / source.name
        shutil.copyfile(source, target)
        for leftover in (source, Path(f"{source}-wal"), Path(f"{source}-shm")):
            leftover.unlink(missing_ok=True)
        self.sqlite_path, self.database_url = str(target), f"sqlite:///{target}"
        return target

    def write_locked(self) -> bool:
        """SQLite: whether another connection holds the write lock (an open write transaction)."""
        probe = sqlite3.connect(self.sqlite_path, timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            if "locked" in str(error):
                return True
            raise
        else:
            probe.execute("ROLLBACK")
            return False
        finally:
            probe.close()

    def writing_transactions(self) -> list[tuple]:
        """PostgreSQL: ``(pid, xid)`` of the other backends of this database in a writing transaction."""
        return self.query(
            "SELECT pid, backend_xid::text FROM pg_stat_activity "
            "WHERE datname = current_database() AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()"
        )

    # ------------------------------------------------------------ end

    def close(self) -> None:
        for process in self.processes:
            with contextlib.suppress(Exception):
                self.kill(process)
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.close()
            self._connection = None


@contextlib.contextmanager
def open_stack(tmp_path: Path, *, server: dict | None = None):
    """A migrated fresh database of the session's vendor and a ``Stack`` on it; everything undone after.

    ``server``: PostgreSQL connection parameters (host, port, user) of another server than the session's.
    """
    settings = session_database()
    engine = settings["ENGINE"]
    if server is not None:
        settings = {"ENGINE": "django.db.backends.postgresql", **{k.upper(): v for k, v in server.items()}}
    root = tmp_path / "stack"
    root.mkdir(parents=True, exist_ok=True)
    if engine == "django.db.backends.sqlite3":
        path = root / "stack.sqlite3"
        stack = Stack(root, "sqlite", f"sqlite:///{path}", sqlite_path=str(path))
        drop = None
    elif engine == "django.db.backends.postgresql":
        import psycopg
        from psycopg import sql

        name = f"mentoring_stack_{uuid.uuid4().hex[:12]}"
        server = {
            "host": settings.get("HOST") or "127.0.0.1",
            "port": int(settings.get("PORT") or 5432),
            "user": settings.get("USER") or "postgres",
        }
        if settings.get("PASSWORD"):
            server["password"] = settings["PASSWORD"]
        with psycopg.connect(**server, dbname="postgres", autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        credentials = quote(server["user"], safe="")
        if "password" in server:
            credentials += ":" + quote(server["password"], safe="")
        url = f"postgres://{credentials}@{server['host']}:{server['port']}/{name}"
        stack = Stack(root, "postgresql", url, pg_params={**server, "dbname": name})

        def drop():
            with psycopg.connect(**server, dbname="postgres", autocommit=True) as admin:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    else:
        raise StackError(f"no stack for the database engine {engine}")
    try:
        stack.migrate()
        yield stack
    finally:
        stack.close()
        if drop is not None:
            drop()


def seed_region_roadmap_report(stack: "Stack", *, events: int, password: str = "x-unused-x") -> int:
    """A region with an operator (``password``) and a road map of ``events`` events, and a draft
    road-map note of it: a report whose PDF takes the worker seconds to lay out (#48, #58). Its id."""
    code = f"""
from django.contrib.auth import get_user_model
from django.utils import timezone
from monitoring.models import RoadMap, RoadMapEvent
from registry.models import Municipality, Region, UserScope
from reports import services
from reports.models import Kind
from reports.sources import resolve

region = Region.objects.create(code="R32", name="Брянская область")
Municipality.objects.create(code="M01", name="Октябрьский район", region=region)
operator = get_user_model().objects.create_user("operator", password={password!r})
UserScope.objects.create(user=operator, role="operator", region=region, email_confirmed_at=timezone.now())
roadmap = RoadMap.objects.create(
    title="Мероприятия регионального плана наставничества", level="region", region=region,
    basis_number="1205", basis_title="Приказ департамента образования",
)
statuses = ["done", "postponed", "planned"]
RoadMapEvent.objects.bulk_create(
    RoadMapEvent(
        roadmap=roadmap, number=f"{{i // 10 + 1}}.{{i % 10 + 1}}",
        title=f"Семинар кураторов наставничества № {{i + 1}} «Наставничество в образовательной организации»",
        timing_text="Ноябрь 2025 года", status=statuses[i % 3], responsible="ИРО",
        goal="Развитие наставничества", expected_result="Проведено", sort_order=i,
    )
    for i in range({events})
)
report = services.report_create(report=resolve(operator, Kind.ROADMAP_NOTE, roadmap=roadmap), user=operator)
print(report.pk)
"""
    return int(stack.shell(code).strip())
