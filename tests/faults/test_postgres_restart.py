"""docs/reliability.md #50: PostgreSQL restarted while a signed-in user browses. Requests made while the
server is down get a generic 503 page in Russian (no stack trace, no SQL); once it is back the
same web process answers again by itself (``CONN_HEALTH_CHECKS``): no restart of gunicorn.

The shared server (127.0.0.1:5432) is never touched: the test creates a private cluster on a
free port (``pg_createcluster``, as root), runs the portal on it under gunicorn with DEBUG=0 and
persistent connections (``CONN_MAX_AGE``), stops and starts that cluster, and drops it at the end.
A thread requests the dashboard every ``EVERY`` seconds throughout and records every answer.
"""

import contextlib
import os
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.stack import free_port, open_stack, session_database, wait_for

PG_VERSION = "15"
EVERY = 0.05  # seconds between two requests of the browsing thread
OUTAGE_503S = 5  # answers seen while the server is down before it is started again
UNAVAILABLE = "Сервис временно недоступен, повторите через минуту"
LEAKS = ("Traceback", "OperationalError", "psycopg", "SELECT", "django_session", "connection")

pytestmark = [
    pytest.mark.stack,
    pytest.mark.skipif(
        session_database()["ENGINE"] != "django.db.backends.postgresql",
        reason="a PostgreSQL restart: SQLite is a file, not a server that restarts",
    ),
    pytest.mark.skipif(
        shutil.which("pg_createcluster") is None, reason="pg_createcluster (postgresql-common) absent"
    ),
    pytest.mark.skipif(os.geteuid() != 0, reason="pg_createcluster needs root"),
]


def pg(*args) -> None:
    subprocess.run([*args], check=True, capture_output=True, text=True, timeout=60)  # noqa: S603


@pytest.fixture
def cluster():
    """A private PostgreSQL cluster on a free port, trust authentication; dropped at the end."""
    name, port = f"faults_{uuid.uuid4().hex[:8]}", free_port()
    pg("pg_createcluster", PG_VERSION, name, "--port", str(port), "--", "--auth=trust")
    try:
        pg("pg_ctlcluster", PG_VERSION, name, "start")
        yield {"name": name, "port": port}
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            pg("pg_dropcluster", PG_VERSION, name, "--stop")


@pytest.fixture
def stack(tmp_path, cluster):
    with open_stack(
        tmp_path, server={"host": "127.0.0.1", "port": cluster["port"], "user": "postgres"}
    ) as stack:
        yield stack


class Browser(threading.Thread):
    """Requests ``url`` with the session cookie every ``EVERY`` s; keeps (time, status, body) of each."""

    def __init__(self, url: str, cookie: str):
        super().__init__(daemon=True)
        self.url, self.cookie = url, cookie
        self.answers: list[tuple[float, int, str]] = []
        self.running = True

    def get(self) -> tuple[int, str]:
        request = urllib.request.Request(self.url, headers={"Cookie": self.cookie})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def run(self):
        while self.running:
            status, body = self.get()
            self.answers.append((time.monotonic(), status, body))
            time.sleep(EVERY)

    def since(self, moment: float) -> list[tuple[float, int, str]]:
        return [a for a in list(self.answers) if a[0] > moment]


def gunicorn_workers(master: int) -> set[int]:
    workers = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == master:
                workers.add(int(stat.parent.name))
    return workers


def test_postgres_restart_gives_a_russian_503_and_the_portal_recovers_by_itself(stack, cluster, tmp_path):
    production = {
        "DEBUG": "0",
        "SECRET_KEY": "faults-test-" + uuid.uuid4().hex * 2,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "CONN_MAX_AGE": "600",
        "STATIC_ROOT": str(tmp_path / "static"),
    }
    stack.manage("collectstatic", "--noinput", "-v", "0", env=production)
    session = stack.shell(
        """
from django.contrib.auth import get_user_model
from django.test import Client
client = Client()
# A curator-like user: an admin would first be sent to the second factor (docs/reliability.md #16).
client.force_login(get_user_model().objects.create_user("browser", password="x-unused-x"))
print(client.cookies["sessionid"].value)
""",
        env=production,
    ).strip()
    url = stack.start_gunicorn(env=production)
    master = stack.processes[-1].pid
    workers = gunicorn_workers(master)
    assert len(workers) == 1, workers

    browser = Browser(url + "/", f"sessionid={session}")
    status, body = browser.get()
    assert status == 200 and "Наставничество" in body, (status, body[:500])
    browser.start()
    try:
        wait_for(lambda: len(browser.answers) >= 5, timeout=20, what="browsing before the restart")
        assert {s for _, s, _ in browser.answers} == {200}

        stopped = time.monotonic()
        pg("pg_ctlcluster", PG_VERSION, cluster["name"], "stop", "-m", "fast")
        wait_for(
            lambda: sum(s == 503 for _, s, _ in browser.since(stopped)) >= OUTAGE_503S,
            timeout=20,
            what="503s while the server is down",
            stack=stack,
        )
        pg("pg_ctlcluster", PG_VERSION, cluster["name"], "start")
        started = time.monotonic()
        wait_for(
            lambda: [a for a in browser.since(started) if a[1] == 200][-3:][2:],
            timeout=20,
            what="three answers after the server is back",
            stack=stack,
        )
    finally:
        browser.running = False
        browser.join(timeout=15)

    during = browser.since(stopped)
    first_ok = next(t for t, s, _ in during if s == 200 and t > started)
    failed = [(t, s, body) for t, s, body in during if s != 200]
    print(
        f"PostgreSQL down {started - stopped:.2f} s: {len(failed)} of {len(during)} requests answered 503; "
        f"first 200 {first_ok - started:.2f} s after the server was back"
    )
    assert failed, "requests during the outage"
    assert {s for _, s, _ in failed} == {503}, sorted({s for _, s, _ in failed})
    for _, _, body in failed:
        assert UNAVAILABLE in body
        assert not [leak for leak in LEAKS if leak in body], body
    assert all(s == 200 for t, s, _ in during if t > first_ok), "no failure once recovered"
    # The same gunicorn master and worker: the portal recovered without a restart.
    assert stack.processes[-1].poll() is None
    assert gunicorn_workers(master) == workers
    log = Path(stack.processes[-1].log).read_text(errors="replace")
    assert "database unavailable: GET /" in log, "the outage is logged"
