"""The load test (docs/reliability.md #57): curators, coordinators and the operator of one region.

    locust -f bench/load/locustfile.py --host http://127.0.0.1:8001 --headless -u 200 -r 4 -t 120s

Run by ``bench/load/run.sh`` against ``deploy/stack.sh`` (gunicorn, DEBUG=0, PostgreSQL with the
national-scale data of ``bench/generate.py`` + ``bench/load/prepare.py``). Every simulated user logs
in through the login form once (django-axes counts logins per user and address: one good login
each is fine), then works:

- reads (≈ 80 %): his lists of mentors, mentees and pairs, their search and second page, a person's
  card, a pair's card, the dashboard, his monitoring submission;
- saves (≈ 15 %): a person's phone, a pair's goal, the submission's comment and figures, each
  posted from the edit form with its CSRF token and the record's ``version`` as the page gave them;
- exports (≈ 5 %): the list of mentors as xlsx.

Request names (the rows of the statistics) are the kinds, not the URLs. A save counts as failed
unless it redirects (the portal redirects after a successful save and re-shows the form on an
error). The stack runs without TLS on loopback: requests carry ``X-Forwarded-Proto: https`` as
nginx would add, POSTs an ``Origin`` (Django checks it for «https» requests), and the cookie
policy sends the Secure session and CSRF cookies over plain http.
"""

import itertools
import json
import os
import random
import re
from html.parser import HTMLParser
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path

import gevent
from locust import HttpUser, between, events, task

USERS_FILE = Path(os.environ.get("LOAD_USERS", Path(__file__).with_name(".users.json")))
DATA = json.loads(USERS_FILE.read_text(encoding="utf-8"))
CURATORS = itertools.cycle(DATA["curators"])
COORDINATORS = itertools.cycle(DATA["coordinators"])
OPERATORS = itertools.cycle(DATA["operators"])
# The search of pairs takes seconds at national scale (bench/load/README.md, «Why»): off unless asked.
PAIR_SEARCH = os.environ.get("LOAD_PAIR_SEARCH") == "1"
SEARCHES = ["Иван", "Петров", "Анна", "Смирнова", "Сергеевич", "Ольга", "Кузнецов", "Мария"]


def _secure_ok_over_loopback(self, cookie, request) -> bool:
    return True


# Send the Secure session and CSRF cookies over the loopback's plain http (nginx terminates TLS in
# production). Patched on the class: requests copies the session's cookies into a fresh jar with
# the default policy for every request, so a policy set on the session would be lost.
DefaultCookiePolicy.return_ok_secure = _secure_ok_over_loopback


class Forms(HTMLParser):
    """The fields of every <form> of a page, as a browser would submit them (without a button)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append(
                {"action": a.get("action") or "", "method": (a.get("method") or "get").lower(), "fields": []}
            )
        elif not self.forms:
            return
        fields = self.forms[-1]["fields"] if self.forms else []
        name = a.get("name")
        if tag == "input" and name and a.get("type", "text") not in ("submit", "button", "image", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            fields.append([name, a.get("value", "on" if a.get("type") == "checkbox" else "")])
        elif tag == "select" and name:
            self._select = [name, None, None]  # name, first option, selected option
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            if self._select[1] is None:
                self._select[1] = value
            if "selected" in a:
                self._select[2] = value
        elif tag == "textarea" and name:
            self._textarea = [name, ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "select" and self._select is not None:
            name, first, chosen = self._select
            self.forms[-1]["fields"].append([name, chosen if chosen is not None else (first or "")])
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            value = self._textarea[1]
            self.forms[-1]["fields"].append(
                [self._textarea[0], value[1:] if value.startswith("\n") else value]
            )
            self._textarea = None


def post_form(html: str, needs: str) -> list[list[str]] | None:
    """The fields of the page's POST form holding the field ``needs``."""
    parser = Forms()
    parser.feed(html)
    for form in parser.forms:
        if form["method"] == "post" and any(name == needs for name, _ in form["fields"]):
            return form["fields"]
    return None


# The measurement starts when every user has logged in: a login is ≈ 0.5 s of CPU (PBKDF2, 10⁶
# iterations), so the ramp is dominated by them. Statistics are reset then, and the test stops
# LOAD_MEASURE seconds later; the load average is sampled every 10 s meanwhile.
MEASURE = float(os.environ.get("LOAD_MEASURE", "0"))
LOADAVG_FILE = os.environ.get("LOAD_LOADAVG_FILE", "")
logged_in = 0


def sample_load(path: str) -> None:
    with open(path, "w", encoding="utf-8") as out:
        while True:
            out.write(Path("/proc/loadavg").read_text())
            out.flush()
            gevent.sleep(10)


# Server CPU per request: what gunicorn's workers and their PostgreSQL backends burn during the
# measurement, read from /proc (the machine is shared, so wall-clock latency alone says little).
GUNICORN_PID = int(os.environ.get("LOAD_GUNICORN_PID", "0") or 0)
DATABASE_URL = os.environ.get("LOAD_DATABASE_URL", "")
CPU_FILE = os.environ.get("LOAD_CPU_FILE", "")
TICKS = os.sysconf("SC_CLK_TCK")
cpu_start: dict[int, float] = {}


def cpu_of(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def server_processes() -> dict[int, str]:
    found = {GUNICORN_PID: "gunicorn"} if GUNICORN_PID else {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if GUNICORN_PID and ppid == GUNICORN_PID:
            found[int(stat.parent.name)] = "gunicorn"
    if DATABASE_URL:
        import psycopg

        with psycopg.connect(DATABASE_URL) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            found.update({pid: "postgres" for (pid,) in rows})
    return found


def cpu_snapshot() -> dict[int, tuple[str, float]]:
    return {pid: (kind, cpu_of(pid)) for pid, kind in server_processes().items()}


@events.quitting.add_listener
def _write_cpu(environment, **kwargs):
    if not (CPU_FILE and cpu_start):
        return
    used = {"gunicorn": 0.0, "postgres": 0.0}
    for pid, (kind, seconds) in cpu_snapshot().items():
        used[kind] += seconds - cpu_start.get(pid, (kind, 0.0))[1]
    used["locust"] = cpu_of(os.getpid()) - cpu_start.get(-1, ("locust", 0.0))[1]
    used["requests"] = environment.stats.total.num_requests
    Path(CPU_FILE).write_text(json.dumps(used), encoding="utf-8")


def start_measurement(environment) -> None:
    cpu_start.update(cpu_snapshot())
    cpu_start[-1] = ("locust", cpu_of(os.getpid()))
    environment.stats.reset_all()
    print(f"all {logged_in} users logged in: statistics reset, measuring for {MEASURE:.0f} s", flush=True)
    if LOADAVG_FILE:
        gevent.spawn(sample_load, LOADAVG_FILE)
    if MEASURE:
        gevent.spawn_later(MEASURE, environment.runner.quit)


@events.test_start.add_listener
def _reset_counter(environment, **kwargs):
    global logged_in
    logged_in = 0


class PortalUser(HttpUser):
    abstract = True
    wait_time = between(0.5, 2.5)
    account: dict

    def on_start(self):
        self.client.headers.update({"X-Forwarded-Proto": "https", "X-Real-IP": "127.0.0.1"})
        self.origin = "https://" + self.host.split("://", 1)[1].rstrip("/")
        self.login()
        global logged_in
        logged_in += 1
        if logged_in == self.environment.parsed_options.num_users:
            start_measurement(self.environment)

    def login(self):
        page = self.client.get("/login/", name="login form")
        fields = post_form(page.text, "username") or []
        data = dict(fields) | {"username": self.account["username"], "password": DATA["password"]}
        with self.client.post(
            "/login/",
            data=data,
            headers=self.post_headers("/login/"),
            name="login",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"login of {self.account['username']} refused ({response.status_code})")

    def post_headers(self, path: str) -> dict:
        return {"Origin": self.origin, "Referer": self.origin + path}

    def get(self, path: str, name: str, **kwargs):
        return self.client.get(path, name=name, **kwargs)

    def save(self, path: str, name: str, needs: str, change) -> None:
        """GET the edit form, change it with ``change(fields)``, POST it back; expect a redirect."""
        page = self.client.get(path, name=f"{name}: form")
        if page.status_code != 200:
            return
        fields = post_form(page.text, needs)
        with self.client.post(
            path,
            data=change(fields or []),
            headers=self.post_headers(path),
            name=name,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if fields is None:
                response.failure(f"no form with {needs} on {path}")
            elif response.status_code != 302:
                errors = re.findall(r'class="error"[^>]*>([^<]+)<', response.text)
                response.failure(f"not saved ({response.status_code}): {'; '.join(errors)[:200]}")


def replace(fields: list[list[str]], name: str, value: str) -> list[list[str]]:
    return [[n, value if n == name else v] for n, v in fields]


class Curator(PortalUser):
    """A school's curator: 80 % reads, 15 % saves, 5 % exports by weight (each save also reads its form)."""

    weight = 17

    def on_start(self):
        self.account = next(CURATORS)
        super().on_start()

    @task(8)
    def mentors(self):
        self.get("/mentors/", "list: mentors")

    @task(8)
    def mentees(self):
        self.get("/mentees/", "list: mentees")

    @task(8)
    def pairs(self):
        self.get("/pairs/", "list: pairs")

    @task(5)
    def search(self):
        bases = ["/mentors/", "/mentees/"] + (["/pairs/"] if PAIR_SEARCH else [])
        base = random.choice(bases)
        name = "list: search pairs" if base == "/pairs/" else "list: search"
        self.get(f"{base}?q={random.choice(SEARCHES)}", name)

    @task(4)
    def second_page(self):
        self.get(f"{random.choice(['/mentees/', '/pairs/'])}?page=2", "list: page 2")

    @task(6)
    def person(self):
        self.get(f"/people/{random.choice(self.account['people'])}/", "card: person")

    @task(6)
    def pair(self):
        self.get(f"/pairs/{random.choice(self.account['pairs'])}/", "card: pair")

    @task(4)
    def dashboard(self):
        self.get("/", "dashboard")

    @task(3)
    def submission(self):
        self.get(f"/monitoring/submissions/{self.account['submission']}/edit/", "monitoring: submission")

    @task(5)
    def save_person(self):
        phone = f"+7 9{random.randint(0, 99):02d} {random.randint(100, 999)}-{random.randint(10, 99)}-00"
        self.save(
            f"/people/{random.choice(self.account['people'])}/edit/",
            "save: person",
            "version",
            lambda fields: replace(fields, "phone", phone),
        )

    @task(4)
    def save_pair(self):
        goal = f"Цель пары, редакция {random.randint(1, 10**6)}"
        self.save(
            f"/pairs/{random.choice(self.account['pairs'])}/edit/",
            "save: pair",
            "version",
            lambda fields: replace(fields, "goal", goal),
        )

    @task(4)
    def save_submission(self):
        comment = f"Черновик {random.randint(1, 10**6)}"
        self.save(
            f"/monitoring/submissions/{self.account['submission']}/edit/",
            "save: submission",
            "curator_comment",
            lambda fields: replace(fields, "curator_comment", comment) + [["action", "save"]],
        )

    @task(4)
    def export(self):
        self.get("/mentors/?format=xlsx", "export: mentors xlsx")


class Coordinator(PortalUser):
    """A municipality's coordinator: reads his schools' lists and the campaign."""

    weight = 2

    def on_start(self):
        self.account = next(COORDINATORS)
        super().on_start()

    @task(3)
    def dashboard(self):
        self.get("/", "dashboard")

    @task(3)
    def mentors(self):
        self.get("/mentors/", "list: mentors")

    @task(3)
    def pairs(self):
        self.get("/pairs/", "list: pairs")

    @task(2)
    def campaign(self):
        self.get(f"/monitoring/campaigns/{DATA['campaign']}/", "monitoring: campaign")


class Operator(PortalUser):
    """The region's operator: the region's lists (paged) and the campaign's page."""

    weight = 1

    def on_start(self):
        self.account = next(OPERATORS)
        super().on_start()

    @task(2)
    def dashboard(self):
        self.get("/", "dashboard")

    @task(2)
    def pairs(self):
        self.get("/pairs/", "list: pairs")

    @task(1)
    def campaign(self):
        self.get(f"/monitoring/campaigns/{DATA['campaign']}/", "monitoring: campaign")
