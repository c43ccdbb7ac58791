"""The access log (docs/reliability.md #60, #61, #1's «authz_denied logged»): what is written, what is not,
and
that nobody can change it afterwards.

Actors (tests/conftest.py): ``curator`` of ``school``, ``other_curator`` of ``other_school``,
``coordinator`` of ``school``'s municipality, ``admin_user``.
"""

import datetime
import inspect
import logging
import re
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import include, path, reverse
from django.utils import timezone

from mentoring_portal import audit
from mentoring_portal import client as client_address
from mentoring_portal.models import AccessLogEntry, AppendOnlyError
from registry.models import Category, ImportJob, Person
from reports import services as report_services
from reports.models import Kind, ReportFile
from reports.sources import resolve as report_source
from tests import factories as f
from tests.portal_urls import url_patterns
from tests.registry.test_workbook_views import workbook

pytestmark = pytest.mark.django_db

Action = AccessLogEntry.Action
TABLE = AccessLogEntry._meta.db_table


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def pupil(school):
    return f.make_person(
        organization=school,
        category=Category.STUDENT,
        full_name="Кузнецова Алиса Романовна",
        birth_date=datetime.date(2012, 3, 17),
    )


def entries(**filters) -> list[AccessLogEntry]:
    """Entries in the order written; sign-ins (``client_for`` logs in) only when asked for."""
    rows = AccessLogEntry.objects.filter(**filters).order_by("id")
    if "action" not in filters:
        rows = rows.exclude(action__in=[Action.LOGIN, Action.LOGOUT, Action.LOGIN_FAILED])
    return list(rows)


def only_entry(**filters) -> AccessLogEntry:
    found = entries(**filters)
    assert len(found) == 1, found
    return found[0]


def columns(entry) -> dict:
    return {field.attname: getattr(entry, field.attname) for field in AccessLogEntry._meta.fields}


def personal_values(person: Person) -> list[str]:
    values = [person.full_name, *(word for word in person.full_name.split() if word.isalpha())]
    if person.birth_date:
        values += [person.birth_date.isoformat(), person.birth_date.strftime("%d.%m.%Y")]
    return values


def assert_no_personal_values(person: Person) -> None:
    """ASVS 16.2.5: not one column of any entry holds the person's name or birth date."""
    for entry in AccessLogEntry.objects.all():
        for column, value in columns(entry).items():
            for personal in personal_values(person):
                assert personal not in str(value), (column, value)


def assert_who_when_where(entry, user, response, *, role) -> None:
    assert entry.user_id == user.pk and entry.username == user.username and entry.role == role
    assert abs(timezone.now() - entry.timestamp) < datetime.timedelta(minutes=1)
    assert entry.ip == "127.0.0.1"
    assert entry.request_id == response["X-Request-ID"] and len(entry.request_id) == 32
    assert entry.status == response.status_code


# ---------------------------------------------------------------- #60: each kind of entry


def test_a_card_view_writes_who_when_what_and_where_with_ids_only(client_for, curator, pupil):
    response = client_for(curator).get(reverse("registry:person-detail", args=[pupil.pk]))
    assert response.status_code == 200
    assert pupil.full_name in response.content.decode()  # the page shows it; the log does not
    entry = only_entry(action=Action.VIEW)
    assert_who_when_where(entry, curator, response, role="curator")
    assert (entry.object_type, entry.object_id) == ("registry.person", str(pupil.pk))
    assert (entry.url_name, entry.method) == ("registry:person-detail", "GET")
    assert_no_personal_values(pupil)


def test_pair_and_organization_cards_are_logged(client_for, curator, school):
    pair = f.make_mentorship(organization=school)
    client = client_for(curator)
    assert client.get(reverse("registry:mentorship-detail", args=[pair.pk])).status_code == 200
    assert client.get(reverse("registry:organization-detail", args=[school.code])).status_code == 200
    assert [(e.object_type, e.object_id) for e in entries(action=Action.VIEW)] == [
        ("registry.mentorship", str(pair.pk)),
        ("registry.organization", school.code),
    ]
    assert_no_personal_values(pair.mentor_person)


def test_exports_are_logged(client_for, curator, pupil):
    client = client_for(curator)
    listed = client.get(reverse("registry:mentee-list"), {"format": "xlsx"})
    book = client.get(reverse("registry:workbook-export"))
    template = client.get(reverse("registry:workbook-template"))
    for response in (listed, book, template):
        assert response.status_code == 200 and response.has_header("Content-Disposition")
    exports = entries(action=Action.EXPORT)
    assert [e.url_name for e in exports] == [
        "registry:mentee-list",
        "registry:workbook-export",
        "registry:workbook-template",
    ]
    assert [e.request_id for e in exports] == [r["X-Request-ID"] for r in (listed, book, template)]
    assert_who_when_where(exports[1], curator, book, role="curator")
    assert_no_personal_values(pupil)


def test_a_list_page_without_export_is_not_logged(client_for, curator, pupil):
    assert client_for(curator).get(reverse("registry:mentee-list")).status_code == 200
    assert entries() == []


def test_a_report_download_is_logged(client_for, curator):
    report = report_services.report_create(report=report_source(curator, Kind.SCHOOL_NOTE), user=curator)
    job = ReportFile.objects.create(
        report=report,
        format="html",
        status=ReportFile.Status.DONE,
        content=b"<p>report</p>",
        size=13,
        file_name="report.html",
    )
    response = client_for(curator).get(reverse("reports:file-download", args=[job.pk]))
    assert response.status_code == 200 and response.has_header("Content-Disposition")
    entry = only_entry(action=Action.DOWNLOAD)
    assert_who_when_where(entry, curator, response, role="curator")
    assert (entry.object_type, entry.object_id, entry.url_name) == (
        "reports.reportfile",
        str(job.pk),
        "reports:file-download",
    )


def test_an_import_upload_and_its_confirmation_are_logged(client_for, admin_user, school):
    client = client_for(admin_user)
    upload = client.post(reverse("registry:workbook"), {"file": workbook(school)})
    assert upload.status_code == 302
    job = ImportJob.objects.get()
    confirm = client.post(reverse("registry:import-job-confirm", args=[job.pk]))
    assert confirm.status_code == 302
    assert Person.objects.filter(full_name="Иванова Мария Петровна").exists()
    imported = entries(action=Action.IMPORT)
    assert [(e.url_name, e.method, e.object_type, e.object_id) for e in imported] == [
        ("registry:workbook", "POST", "registry.importjob", str(job.pk)),
        ("registry:import-job-confirm", "POST", "registry.importjob", str(job.pk)),
    ]
    assert_who_when_where(imported[0], admin_user, upload, role="admin")
    for person in Person.objects.all():
        assert_no_personal_values(person)


# ---------------------------------------------------------------- #1, #60: refused access


def test_a_curator_of_another_school_gets_404_and_authz_denied_is_logged(client_for, other_curator, pupil):
    client = client_for(other_curator)
    detail = client.get(reverse("registry:person-detail", args=[pupil.pk]))
    edit = client.post(reverse("registry:person-edit", args=[pupil.pk]), {"full_name": "Чужой"})
    assert (detail.status_code, edit.status_code) == (404, 404)
    pupil.refresh_from_db()
    assert pupil.full_name == "Кузнецова Алиса Романовна"
    denied = entries(action=Action.DENIED)
    assert [(e.url_name, e.method, e.object_type, e.object_id, e.status) for e in denied] == [
        ("registry:person-detail", "GET", "registry.person", str(pupil.pk), 404),
        ("registry:person-edit", "POST", "registry.person", str(pupil.pk), 404),
    ]
    assert_who_when_where(denied[0], other_curator, detail, role="curator")
    assert entries(action=Action.VIEW) == []
    assert_no_personal_values(pupil)


def test_an_unknown_id_is_a_refusal_too(client_for, curator):
    """Enumerating ids (docs/reliability.md #12) leaves a trail: the scope check cannot tell missing from
    foreign."""
    missing = uuid.uuid4()
    assert client_for(curator).get(reverse("registry:person-detail", args=[missing])).status_code == 404
    assert only_entry(action=Action.DENIED).object_id == str(missing)


def test_a_403_and_a_csrf_failure_are_logged(curator, coordinator, pupil):
    client = Client()
    client.force_login(coordinator)
    refused = client.get(reverse("registry:workbook-export"))
    assert refused.status_code == 403
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(curator)
    forged = strict.post(reverse("registry:person-archive", args=[pupil.pk]))
    assert forged.status_code == 403
    denied = entries(action=Action.DENIED)
    assert [(e.username, e.role, e.url_name, e.method, e.object_id, e.status) for e in denied] == [
        ("coordinator1", "coordinator", "registry:workbook-export", "GET", "", 403),
        ("curator1", "curator", "registry:person-archive", "POST", str(pupil.pk), 403),
    ]


def test_a_code_with_control_characters_is_stored_escaped(client_for, curator):
    response = client_for(curator).get("/organizations/%1B[31mX%0D%0AY/")
    assert response.status_code == 404
    assert only_entry(action=Action.DENIED).object_id == "\\x1b[31mX\\r\\nY"


# ---------------------------------------------------------------- sign-in events


def test_login_failed_login_and_logout_are_logged(client, curator):
    assert (
        client.post(reverse("login"), {"username": "curator1", "password": "wrong-secret"}).status_code == 200
    )
    assert client.post(reverse("login"), {"username": "curator1", "password": "pass"}).status_code == 302
    assert client.post(reverse("logout")).status_code == 302
    logged = list(AccessLogEntry.objects.order_by("id"))
    assert [(e.action, e.user_id, e.username) for e in logged] == [
        (Action.LOGIN_FAILED, None, "curator1"),
        (Action.LOGIN, curator.pk, "curator1"),
        (Action.LOGOUT, curator.pk, "curator1"),
    ]
    assert all(e.url_name in ("login", "logout") and e.ip == "127.0.0.1" for e in logged)
    for entry in logged:
        assert not any("wrong-secret" in str(value) for value in columns(entry).values())


def test_a_failed_login_keeps_the_typed_name_short_and_escaped(client, db):
    client.post(reverse("login"), {"username": "x\r\n" + "y" * 300, "password": "p"})
    entry = only_entry(action=Action.LOGIN_FAILED)
    assert entry.username.startswith("x\\r\\nyyy") and len(entry.username) == 150


# ---------------------------------------------------------------- client address and request id


def test_the_client_address_header_is_used_only_when_configured(settings, client_for, curator, pupil):
    url = reverse("registry:person-detail", args=[pupil.pk])
    client = client_for(curator)
    client.get(url, REMOTE_ADDR="10.0.0.5", HTTP_X_REAL_IP="203.0.113.9")
    settings.CLIENT_IP_HEADER = "X-Real-IP"
    client.get(url, REMOTE_ADDR="10.0.0.5", HTTP_X_REAL_IP="203.0.113.9")
    client.get(url, REMOTE_ADDR="10.0.0.5", HTTP_X_REAL_IP="not an address")
    client.get(url, REMOTE_ADDR="10.0.0.5")
    assert [e.ip for e in entries(action=Action.VIEW)] == ["10.0.0.5", "203.0.113.9", None, "10.0.0.5"]


def test_a_safe_request_id_is_kept_and_an_unsafe_one_replaced(client_for, curator, pupil):
    url = reverse("registry:person-detail", args=[pupil.pk])
    client = client_for(curator)
    kept = client.get(url, HTTP_X_REQUEST_ID="edge-42.abc")
    replaced = client.get(url, HTTP_X_REQUEST_ID="bad\x1b[31m id")
    assert kept["X-Request-ID"] == "edge-42.abc"
    assert re.fullmatch(r"[0-9a-f]{32}", replaced["X-Request-ID"])
    assert [e.request_id for e in entries()] == ["edge-42.abc", replaced["X-Request-ID"]]


# ---------------------------------------------------------------- cost and failure


def test_a_logged_view_costs_one_insert(settings, client_for, curator, pupil):
    url = reverse("registry:person-detail", args=[pupil.pk])
    client = client_for(curator)
    client.get(url)  # warm caches (mentoring forms, content types) on both runs alike
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    logged = [q["sql"] for q in captured.captured_queries]  # read now: the capture is a lazy slice
    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE if m != "mentoring_portal.audit.AccessLogMiddleware"
    ]
    plain_client = Client()  # a client builds its middleware chain once
    plain_client.force_login(curator)
    plain_client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert plain_client.get(url).status_code == 200
    plain = [q["sql"] for q in captured.captured_queries]
    assert len(logged) == len(plain) + 1
    assert [sql for sql in logged if TABLE in sql] == [logged[-1]]
    assert logged[-1].startswith(f'INSERT INTO "{TABLE}"')


def test_a_failing_entry_never_breaks_the_page_and_is_logged_as_an_error(
    client_for, curator, pupil, monkeypatch, caplog
):
    def broken(request):
        raise RuntimeError("address lookup failed")

    client = client_for(curator)
    monkeypatch.setattr(client_address, "client_ip", broken)
    with caplog.at_level(logging.ERROR, logger="mentoring_portal.audit"):
        response = client.get(reverse("registry:person-detail", args=[pupil.pk]))
    assert response.status_code == 200
    assert entries() == []
    [error] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert error.levelno == logging.ERROR and error.exc_info[0] is RuntimeError


# ---------------------------------------------------------------- #61: append-only


@pytest.fixture
def entry(client_for, curator, pupil) -> AccessLogEntry:
    client_for(curator).get(reverse("registry:person-detail", args=[pupil.pk]))
    return only_entry(action=Action.VIEW)


def refused(sql: str, params=()) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def test_the_database_refuses_update_and_delete_of_log_rows(entry):
    before = columns(entry)
    refused("UPDATE mentoring_portal_accesslogentry SET object_id = %s WHERE id = %s", ["forged", entry.pk])
    refused(
        "UPDATE mentoring_portal_accesslogentry SET user_id = NULL, username = %s WHERE id = %s",
        ["", entry.pk],
    )
    refused("DELETE FROM mentoring_portal_accesslogentry WHERE id = %s", [entry.pk])
    refused("DELETE FROM mentoring_portal_accesslogentry")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccessLogEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccessLogEntry.objects.filter(pk=entry.pk).update(status=200)
    with pytest.raises(AppendOnlyError):
        entry.delete()
    entry.object_id = "forged"
    with pytest.raises(AppendOnlyError):
        entry.save()
    assert columns(AccessLogEntry.objects.get(pk=entry.pk)) == before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's")
def test_postgresql_refuses_truncate_of_the_log(entry):
    with connection.cursor() as cursor:
        # The test's transaction still holds the deferred foreign-key checks of the new rows,
        # which PostgreSQL would name instead of the trigger.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    refused("TRUNCATE mentoring_portal_accesslogentry")
    assert AccessLogEntry.objects.filter(pk=entry.pk).exists()


# The lines the deployment gives the portal's own database role (the migration role owns the table).
LEAST_PRIVILEGE_GRANTS = [
    "GRANT SELECT, INSERT ON mentoring_portal_accesslogentry TO {role}",
    # Django's ON DELETE SET NULL when a user account is deleted; the trigger allows nothing more.
    "GRANT UPDATE (user_id) ON mentoring_portal_accesslogentry TO {role}",
    "GRANT USAGE ON SEQUENCE {sequence} TO {role}",
]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="database roles are PostgreSQL's")
def test_the_apps_least_privilege_role_gets_permission_denied(entry):
    """#61 as deployed: the app's role holds SELECT and INSERT; UPDATE or DELETE → permission denied.

    The role is created inside the test's transaction, so it disappears with the rollback.
    """
    role = f"audit_test_{uuid.uuid4().hex[:12]}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence('mentoring_portal_accesslogentry', 'id')")
        [sequence] = cursor.fetchone()
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")
        for grant in LEAST_PRIVILEGE_GRANTS:
            cursor.execute(grant.format(role=role, sequence=sequence))
        cursor.execute(f"SET LOCAL ROLE {role}")
        cursor.execute(
            "INSERT INTO mentoring_portal_accesslogentry (timestamp, username, role, action, object_type,"
            " object_id, details, url_name, method, request_id)"
            " VALUES (now(), '', '', 'view', '', '', '', '', '', '')"
        )
        cursor.execute("SELECT count(*) FROM mentoring_portal_accesslogentry")
        assert cursor.fetchone()[0] >= 2
    for sql in (
        "UPDATE mentoring_portal_accesslogentry SET object_id = 'forged'",
        "DELETE FROM mentoring_portal_accesslogentry",
        "TRUNCATE mentoring_portal_accesslogentry",
    ):
        with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql)
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")
    assert AccessLogEntry.objects.get(pk=entry.pk).object_id == entry.object_id


def test_deleting_a_user_keeps_the_entries_and_their_username(entry, curator):
    get_user_model().objects.filter(pk=curator.pk).delete()
    kept = AccessLogEntry.objects.get(pk=entry.pk)
    assert (kept.user_id, kept.username, kept.object_id) == (None, "curator1", entry.object_id)


# serialized_rollback: the flush after this test leaves the database empty for the next transactional
# test to restore the migrations' rows, whatever test follows on this worker (docs/architecture.md §11).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_flush_empties_the_log_and_puts_the_guard_back(school):
    """The test suite's flush between transactional tests (browser tests) must not be refused."""
    curator = f.make_user("curator1", role="curator", organization=school)
    person = f.make_person(organization=school)
    client = Client()
    client.force_login(curator)
    client.get(reverse("registry:person-detail", args=[person.pk]))
    assert AccessLogEntry.objects.count() == 2  # the login and the card
    call_command("flush", interactive=False, verbosity=0)
    assert AccessLogEntry.objects.count() == 0
    AccessLogEntry.objects.create(action=Action.VIEW)
    refused("DELETE FROM mentoring_portal_accesslogentry")


# ---------------------------------------------------------------- every file view is in the table

FILE_MARKERS = (
    "Content-Disposition",
    "content_disposition",
    "FileResponse",
    "xlsx_response",
    "as_attachment",
)
LIST_EXPORT = re.compile(r'_wants_xlsx\(request\)|GET\.get\("format"\) == "xlsx"')


def _source_with_helpers(view) -> str:
    """The view's source and that of the same module's functions it calls (``_xlsx``, ``_export``)."""
    function = inspect.unwrap(view)
    function = getattr(function, "view_class", function)
    try:
        text, module = inspect.getsource(function), inspect.getmodule(function)
    except (OSError, TypeError):
        return ""
    for name in set(re.findall(r"\b(\w+)\(", text)):
        helper = getattr(module, name, None)
        if inspect.isfunction(helper) and helper.__module__ == module.__name__ and helper is not function:
            text += inspect.getsource(helper)
    return text


def test_every_view_that_answers_with_a_file_is_audited():
    """A new download fails here until it is in ``audit.AUDITED`` (or, with a reason, ``audit.EXEMPT``)."""
    found = {}
    for name, view in ((name, pattern.callback) for name, pattern in url_patterns(admin=True)):
        text = _source_with_helpers(view)
        if any(marker in text for marker in FILE_MARKERS):
            found[name] = "list export" if LIST_EXPORT.search(text) else "file"
    files = {name for name, kind in found.items() if kind == "file"}
    assert {"registry:workbook-export", "reports:file-download", "registry:document-file"} <= files
    assert files - set(audit.AUDITED) - set(audit.EXEMPT) == set()
    # a list export is logged by the ?format=xlsx rule
    assert "registry:organization-list" in found and found["registry:organization-list"] == "list export"


def unlisted_file(request):
    response = HttpResponse(b"x", content_type="text/plain")
    response["Content-Disposition"] = 'attachment; filename="x.txt"'
    return response


urlpatterns = [
    path("unlisted.txt", unlisted_file, name="unlisted-file"),
    path("", include("mentoring_portal.urls")),
]


@pytest.mark.urls("tests.test_audit")
def test_a_file_from_a_view_missing_in_the_table_is_still_logged_and_warned_about(
    client_for, curator, caplog
):
    with caplog.at_level(logging.WARNING, logger="mentoring_portal.audit"):
        assert client_for(curator).get("/unlisted.txt").status_code == 200
    assert only_entry(action=Action.EXPORT).url_name == "unlisted-file"
    assert any("unlisted-file" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)


# ---------------------------------------------------------------- the admin's view of the log


def test_admins_read_the_log_with_filters_and_nobody_edits_it(client_for, admin_user, entry, curator):
    client = client_for(admin_user)
    changelist = reverse("admin:mentoring_portal_accesslogentry_changelist")
    page = client.get(changelist, {"action__exact": "view", "role__exact": "curator"})
    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == [entry]
    assert {spec.title for spec in page.context["cl"].filter_specs} == {
        "действие",
        "роль",
        "когда",
        "пользователь",
    }
    assert list(client.get(changelist, {"q": entry.object_id}).context["cl"].result_list) == [entry]
    assert list(client.get(changelist, {"action__exact": "export"}).context["cl"].result_list) == []
    assert client.get(reverse("admin:mentoring_portal_accesslogentry_add")).status_code == 403
    change = client.post(
        reverse("admin:mentoring_portal_accesslogentry_change", args=[entry.pk]), {"object_id": "x"}
    )
    assert change.status_code == 403
    delete = client.post(
        reverse("admin:mentoring_portal_accesslogentry_delete", args=[entry.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    assert only_entry(action=Action.VIEW).object_id == entry.object_id


def test_a_curator_cannot_read_the_log(client_for, curator, entry):
    changelist = reverse("admin:mentoring_portal_accesslogentry_changelist")
    assert client_for(curator).get(changelist).status_code == 302  # no staff status: the admin's login
    curator.is_staff = True
    curator.save()
    assert client_for(curator).get(changelist).status_code == 403


def test_admin_exports_and_imports_through_django_import_export_are_logged(client_for, admin_user, pupil):
    client = client_for(admin_user)
    url = reverse("admin:registry_person_export")
    form = client.get(url).context["form"]
    data = {name: "on" for name in form.fields if name.startswith("personresource_")}
    data.update({"format": "0", "resource": "0"})
    response = client.post(url, data)
    assert response.has_header("Content-Disposition"), response.context["form"].errors
    upload = client.post(reverse("admin:registry_organization_import"), {"format": "0", "resource": "0"})
    assert upload.status_code == 200  # no file: the form answers with its error, the attempt is logged
    assert [(e.action, e.object_type, e.url_name) for e in entries()] == [
        (Action.EXPORT, "registry.person", "admin:registry_person_export"),
        (Action.IMPORT, "registry.organization", "admin:registry_organization_import"),
    ]
    assert_no_personal_values(pupil)


def test_the_admins_person_page_is_a_card_view(client_for, admin_user, pupil):
    response = client_for(admin_user).get(reverse("admin:registry_person_change", args=[pupil.pk]))
    assert response.status_code == 200
    entry = only_entry(action=Action.VIEW)
    assert (entry.object_type, entry.object_id, entry.role) == ("registry.person", str(pupil.pk), "admin")
    assert_no_personal_values(pupil)


def test_a_destruction_is_logged_when_it_happened_and_not_when_the_form_came_back(client_for, curator, pupil):
    url = reverse("registry:person-destroy", args=[pupil.pk])
    client = client_for(curator)
    assert client.post(url, {"reason": "consent_withdrawn", "act_number": ""}).status_code == 200
    assert entries(action=Action.DESTROY) == []
    done = client.post(
        url,
        {
            "reason": "consent_withdrawn",
            "act_number": "5/ПД",
            "act_date": timezone.localdate().isoformat(),
            "confirm": "on",
        },
    )
    assert done.status_code == 302
    entry = only_entry(action=Action.DESTROY)
    assert (entry.object_type, entry.object_id, entry.user) == ("registry.person", str(pupil.pk), curator)


def test_flush_refuses_to_wipe_a_production_databases_log(monkeypatch, entry):
    """Outside the test suite's own database the log is evidence: ``flush`` refuses, nothing goes."""
    monkeypatch.setitem(connection.settings_dict, "NAME", "mentoring")
    monkeypatch.setitem(connection.settings_dict, "TEST", {})
    with pytest.raises(CommandError, match="ALLOW_ACCESS_LOG_WIPE=1"):
        call_command("flush", "--noinput")
    assert AccessLogEntry.objects.filter(pk=entry.pk).exists()
