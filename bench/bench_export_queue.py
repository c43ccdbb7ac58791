"""How long the login page answers while a region's operator exports its pairs ten times at once.

    .venv/bin/python bench/generate.py --scale 0.1 --database mentoring_exports_bench
    .venv/bin/python bench/bench_export_queue.py --database mentoring_exports_bench

Two runs on the same data, each with gunicorn (sync workers, as in production; DEBUG=1 because
the production settings make the cookies Secure, which plain HTTP on loopback would not send back)
and, for the second, two ``db_worker`` processes as the deploy recipe runs them:

- ``inline``: ``EXPORT_INLINE_MAX_ROWS`` above the list's length, every export written in the request
  (the behaviour before the export jobs);
- ``queued``: the default limit, every export over it queued and written by the workers.

``--exports`` requests of ``/pairs/?format=xlsx`` start together (one thread each, the operator's
cookies); meanwhile another thread opens ``/login/`` every 0.15 s and times it, until every export
is answered (inline) or every job is «готов» (queued). Prints the login page's p50 / p95 / max and
how long the exports took. A benchmark, not a test: it exits 0 whatever the figures.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import requests
from benchdb import DEFAULT_DATABASE, ROOT, database_url, setup_django

PASSWORD = "Vygruzka-2026-bench"  # noqa: S105 — a throwaway account of a bench database
USERNAME = "bench_export_operator"
EVERY = 0.15


def prepare() -> tuple[str, int]:
    """The operator of the region with the most pairs (created once); the region's name and pair count."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count

    from registry.models import ExportJob, Mentorship, Region, UserScope

    region = (
        Region.objects.annotate(pairs=Count("municipalities__organizations__mentorships"))
        .order_by("-pairs")
        .first()
    )
    user, _ = get_user_model().objects.get_or_create(username=USERNAME)
    user.set_password(PASSWORD)
    user.save()
    UserScope.objects.update_or_create(
        user=user, defaults={"role": UserScope.Role.OPERATOR, "region": region}
    )
    ExportJob.objects.filter(created_by=user).delete()
    pairs = Mentorship.objects.filter(organization__municipality__region=region).count()
    return region.name, pairs


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    handle = open(log, "wb")  # noqa: SIM115 — closed with the process
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)  # noqa: S603


def wait_answering(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url + "/login/", timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.2)
    sys.exit(f"the server at {url} did not answer in {timeout} s")


def signed_in(url: str) -> requests.Session:
    browser = requests.Session()
    browser.get(url + "/login/", timeout=10)
    answer = browser.post(
        url + "/login/",
        data={
            "username": USERNAME,
            "password": PASSWORD,
            "csrfmiddlewaretoken": browser.cookies["csrftoken"],
        },
        timeout=10,
    )
    assert "/login/" not in answer.url, answer.text[:300]
    return browser


class LoginTimer(threading.Thread):
    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url = url
        self.stopping = threading.Event()
        self.samples: list[float] = []

    def run(self) -> None:
        session = requests.Session()
        while not self.stopping.is_set():
            began = time.monotonic()
            try:
                session.get(self.url + "/login/", timeout=120)
            except requests.RequestException:
                pass
            self.samples.append(time.monotonic() - began)
            self.stopping.wait(EVERY)


def figures(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"n={len(ordered):3d}  p50={statistics.median(ordered) * 1000:7.0f} ms  "
        f"p95={p95 * 1000:7.0f} ms  max={ordered[-1] * 1000:7.0f} ms"
    )


def run(mode: str, database: str, exports: int, workers: int, limit: int, logs: Path) -> None:
    from registry.models import ExportJob

    env = {
        **os.environ,
        "DATABASE_URL": database_url(database),
        "DEBUG": "1",
        "EXPORT_MAX_CONCURRENT_PER_USER": str(limit),
    }
    if mode == "inline":
        env["EXPORT_INLINE_MAX_ROWS"] = str(10**9)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    gunicorn = [sys.executable, "-m", "gunicorn", "mentoring_portal.wsgi:application", "--bind",
                f"127.0.0.1:{port}", "--workers", str(workers), "--timeout", "600"]  # fmt: skip
    processes = [start(gunicorn, env, logs / f"{mode}-gunicorn.log")]
    if mode == "queued":
        worker = [
            sys.executable,
            "manage.py",
            "db_worker",
            "--interval",
            "0.1",
            "--no-reload",
            "--no-startup-delay",
        ]
        processes += [start(worker, env, logs / f"{mode}-worker{i}.log") for i in (1, 2)]
    try:
        wait_answering(url)
        browser = signed_in(url)
        idle = LoginTimer(url)
        idle.start()
        time.sleep(3)
        idle.stopping.set()
        idle.join()
        timer = LoginTimer(url)
        barrier = threading.Barrier(exports)
        answers: list = [None] * exports

        def export(i: int) -> None:
            session = requests.Session()
            session.cookies.update(browser.cookies)
            barrier.wait()
            began = time.monotonic()
            answer = session.get(url + "/pairs/?format=xlsx", allow_redirects=False, timeout=600)
            answers[i] = (answer.status_code, time.monotonic() - began, len(answer.content))

        threads = [threading.Thread(target=export, args=(i,)) for i in range(exports)]
        began = time.monotonic()
        timer.start()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        answered = time.monotonic() - began
        while ExportJob.objects.filter(status__in=ExportJob.ACTIVE).exists():
            time.sleep(0.2)
        finished = time.monotonic() - began
        timer.stopping.set()
        timer.join()
        statuses = dict(sorted(Counter(status for status, _, _ in answers).items()))
        slowest = max(seconds for _, seconds, _ in answers)
        jobs = ExportJob.objects.filter(created_by__username=USERNAME)
        done = jobs.filter(status=ExportJob.Status.DONE)
        print(f"\n[{mode}] {exports} exports: HTTP {statuses}, slowest answer {slowest:.2f} s, "
              f"all answered in {answered:.1f} s, all files ready in {finished:.1f} s")  # fmt: skip
        if jobs.exists():
            rows = sorted(set(done.values_list("rows_done", flat=True)))
            print(f"  jobs: {jobs.count()}, done {done.count()}, rows {rows}")
        print(f"  /login/ idle before: {figures(idle.samples)}")
        print(f"  /login/ meanwhile:   {figures(timer.samples)}")
        jobs.delete()
    finally:
        for process in processes:
            process.kill()
            process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--exports", type=int, default=10)
    parser.add_argument("--gunicorn-workers", type=int, default=2)
    parser.add_argument("--modes", default="inline,queued")
    parser.add_argument("--limit", type=int, help="EXPORT_MAX_CONCURRENT_PER_USER (default: --exports)")
    args = parser.parse_args()
    setup_django(args.database)
    region, pairs = prepare()
    print(f"region «{region}»: {pairs} pairs, exported by {USERNAME} (operator)")
    with tempfile.TemporaryDirectory() as logs:
        for mode in args.modes.split(","):
            limit = args.limit or args.exports
            run(mode, args.database, args.exports, args.gunicorn_workers, limit, Path(logs))


if __name__ == "__main__":
    main()
