"""Playwright (sync API) driving Debian's chromium against pytest-django's ``live_server``.

Never downloads a browser: ``/usr/bin/chromium`` is used as is. Without it the browser
tests are skipped, except in CI (``CI`` set), where a missing chromium is a failure.

Playwright's sync API keeps an asyncio loop running in the main thread for as long as
the browser lives. Two consequences for Django:

- the async-safety guard would refuse every ORM call made by a test (seeding, flushing),
  so ``DJANGO_ALLOW_ASYNC_UNSAFE`` is set, but only while a test of this directory sets
  up, runs and tears down: other tests keep the guard, and their subprocesses (such as
  ``manage.py check --deploy``, which warns about the variable) do not inherit it;
- with a running loop, asgiref keeps Django's connections in context-local storage
  instead of the thread's, so the tests would get fresh connection objects: without the
  state saved for ``serialized_rollback`` (the mentoring forms of the data migration would
  be lost after the first flush) and, on in-memory SQLite, not the connection handed to
  the live server. ``browser`` therefore carries the thread's connections into the loop's context.
"""

import contextlib
import io
import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}
SHOTS = Path("/tmp/shots")
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"
CSP_MARKER = "Content Security Policy"


@contextlib.contextmanager
def _async_unsafe_allowed():
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        yield
    finally:
        if previous is None:
            del os.environ[ASYNC_UNSAFE]
        else:
            os.environ[ASYNC_UNSAFE] = previous


# These hooks run for the items of this directory only (pytest calls them through item.ihook).
@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    with _async_unsafe_allowed():
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    with _async_unsafe_allowed():
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    with _async_unsafe_allowed():
        return (yield)


# Package scope: the browser, and with it Playwright's running loop, ends with this directory,
# so that transactional tests of other directories flush the database outside any loop.
@pytest.fixture(scope="package")
def browser(django_db_setup):
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: install Debian's chromium package to run the browser tests"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI must install it)", pytrace=False)
        pytest.skip(reason)
    from django.db import connections
    from playwright.sync_api import sync_playwright

    thread_connections = {alias: connections[alias] for alias in connections}
    with sync_playwright() as playwright:
        for alias, connection in thread_connections.items():
            connections[alias] = connection
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser):
    """``new_page(viewport=PHONE)``: a page in a fresh context (own cookies); closed after the test.

    Every response of 400 or more (but the favicon's) is recorded in ``page.failed_responses``.
    Every console message about the Content-Security-Policy (chromium reports each blocked
    script, style, image or frame there) fails the test at teardown: the portal's pages must
    work under the policy, not merely look as if they did (docs/reliability.md #15–17, CSP).
    """
    contexts = []
    violations = []

    def make(viewport=DESKTOP):
        context = browser.new_context(viewport=viewport, locale="ru-RU")
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.failed_responses = []

        def record(response):
            if response.status >= 400 and not response.url.endswith("/favicon.ico"):
                page.failed_responses.append((response.url, response.status))

        def console(message):
            if CSP_MARKER in message.text:
                violations.append(f"{page.url}: {message.text}")

        page.on("response", record)
        page.on("console", console)
        return page

    yield make
    for context in contexts:
        context.close()
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture(scope="module")
def demo_site(browser, django_db_setup, django_db_blocker):
    """The demo region seeded once for a test module and committed, and a live server of the module's
    own in front of it: seeding takes seconds, so once per module, not once per test.

    The module's tests share it. Each runs in a transaction rolled back at its end (a plain
    ``django_db`` test), but what the browser changes through the server may outlive it on
    PostgreSQL (the server commits on its own connection), so each test compares what it changes
    with what it found (counts before and after, people it names itself), never a figure another
    test of the module may move. The database is brought back to its migrated state before the
    seeding and after the module (docs/architecture.md §11).
    """
    from django.core.management import call_command
    from django.db import connections
    from pytest_django.live_server_helper import LiveServer

    def migrated():
        """Every table emptied and the migrations' rows (the mentoring forms) loaded back: the state
        after migrating, kept by pytest-django because these tests ask for ``serialized_rollback``.
        The sequences run on, as Django's own flush between tests leaves them: the rows loaded back
        keep their ids, and a sequence started again would hand those ids out a second time."""
        for alias in connections:
            call_command(
                "flush",
                database=alias,
                interactive=False,
                verbosity=0,
                inhibit_post_migrate=True,
                reset_sequences=False,
            )
            connection = connections[alias]
            connection.creation.deserialize_db_from_string(connection._test_serialized_contents)

    with django_db_blocker.unblock():
        migrated()
        call_command("seed_demo", stdout=io.StringIO())
        server = LiveServer("localhost")
        server._live_server_modified_settings.enable()
        try:
            yield server
        finally:
            server._live_server_modified_settings.disable()
            server.stop()
            migrated()


@pytest.fixture
def demo(demo_site, db):
    """The module's demo site: ``demo.url`` is its address."""
    return demo_site


@pytest.fixture
def shots():
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS
