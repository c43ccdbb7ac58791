"""«Импорт и экспорт»: upload → check → confirm → import, jobs, export and template downloads, roles."""

import datetime
import io

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from registry import imports
from registry.models import (
    CURRENT_CONSENT_TEXT_VERSION,
    BaseMembership,
    ImportJob,
    Mentorship,
    Organization,
    Person,
)
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def workbook(school, *, mentees=None, bad_date=False) -> io.BytesIO:
    """A small workbook for ``school``: two mentors, the mentees given, one pair."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Наставники"
    consent = ["Дата согласия", "Версия согласия"]
    consented = [datetime.date(2024, 9, 2), CURRENT_CONSENT_TEXT_VERSION]
    sheet.append(["Код ОО", "ФИО", "Дата рождения", "Категория", "Педагогический стаж", "Обучен", *consent])
    sheet.append(
        [
            school.code,
            "Иванова Мария Петровна",
            "31.02.1980" if bad_date else "02.01.1980",
            "педагог",
            20,
            "да",
            *consented,
        ]
    )
    sheet.append(
        [school.code, "Сидоров Павел Ильич", datetime.date(1975, 5, 5), "педагог", 25, "нет", *consented]
    )
    sheet = book.create_sheet("Наставляемые")
    sheet.append(["Код ОО", "ФИО", "Дата рождения", "Категория", "Педагогический стаж", *consent])
    for name in mentees or ["Смирнов Олег Игоревич"]:
        sheet.append([school.code, name, datetime.date(1999, 9, 1), "педагог", 1, *consented])
    sheet = book.create_sheet("Наставнические пары")
    sheet.append(
        [
            "Код ОО",
            "Форма наставничества",
            "Наставник ФИО",
            "Наставник дата рождения",
            "Наставляемый ФИО",
            "Наставляемый дата рождения",
            "Дата начала",
        ]
    )
    sheet.append(
        [
            school.code,
            "учитель-учитель",
            "Иванова Мария Петровна",
            datetime.date(1980, 1, 2),
            (mentees or ["Смирнов Олег Игоревич"])[0],
            datetime.date(1999, 9, 1),
            datetime.date(2024, 9, 2),
        ]
    )
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = "школа.xlsx"
    return buffer


def upload(client, file):
    return client.post(reverse("registry:workbook"), {"file": file})


# ---------------------------------------------------------------- access


def test_roles_see_what_their_role_allows(
    client_for, curator, coordinator, operator, other_curator, admin_user, school
):
    job = ImportJob.objects.create(created_by=admin_user, file_name="a.xlsx", file_sha256="0" * 64)
    urls = {
        "page": reverse("registry:workbook"),
        "template": reverse("registry:workbook-template"),
        "export": reverse("registry:workbook-export"),
        "job": reverse("registry:import-job", args=[job.pk]),
        "status": reverse("registry:import-job-status", args=[job.pk]),
    }
    expected = {
        "curator": {"page": 200, "template": 200, "export": 200, "job": 403, "status": 403},
        "other_curator": {"page": 200, "template": 200, "export": 200, "job": 403, "status": 403},
        "coordinator": {"page": 200, "template": 200, "export": 403, "job": 403, "status": 403},
        "operator": {"page": 200, "template": 200, "export": 403, "job": 403, "status": 403},
        "admin_user": {"page": 200, "template": 200, "export": 200, "job": 200, "status": 200},
    }
    actors = {
        "curator": curator,
        "other_curator": other_curator,
        "coordinator": coordinator,
        "operator": operator,
        "admin_user": admin_user,
    }
    for actor, codes in expected.items():
        client = client_for(actors[actor])
        for key, code in codes.items():
            assert client.get(urls[key]).status_code == code, (actor, key)
        for name in ("registry:import-job-confirm", "registry:import-job-retry"):
            response = client.post(reverse(name, args=[job.pk]))
            assert response.status_code == (302 if actor == "admin_user" else 403), (actor, name)


def test_only_admins_upload(client_for, coordinator, operator, curator, school):
    for user in (curator, coordinator, operator):
        response = upload(client_for(user), workbook(school))
        assert response.status_code == 403
    assert ImportJob.objects.count() == 0
    assert Person.objects.count() == 0


def test_anonymous_goes_to_login(client):
    response = client.get(reverse("registry:workbook"))
    assert response.status_code == 302 and reverse("login") in response.url


def test_the_page_shows_upload_and_recent_jobs_to_admins_only(
    client_for, admin_user, curator, django_assert_max_num_queries
):
    for i in range(3):
        ImportJob.objects.create(created_by=admin_user, file_name=f"файл{i}.xlsx", file_sha256="a" * 64)
    client = client_for(admin_user)
    with django_assert_max_num_queries(8):
        body = client.get(reverse("registry:workbook")).content.decode()
    assert "Проверить файл" in body and "файл2.xlsx" in body
    body = client_for(curator).get(reverse("registry:workbook")).content.decode()
    assert "Проверить файл" not in body and "файл2.xlsx" not in body
    assert "Скачать пустой шаблон" in body


# ---------------------------------------------------------------- upload → check → confirm


def test_upload_check_confirm_imports_the_workbook(client_for, admin_user, school, media):
    client = client_for(admin_user)
    response = upload(client, workbook(school))
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("registry:import-job", args=[job.pk])
    assert job.status == ImportJob.Status.CHECKED
    assert job.rows == 4 and len(job.file_sha256) == 64 and job.created_by == admin_user
    assert Person.objects.count() == 0  # the check writes nothing

    body = client.get(response.url).content.decode()
    assert "Проверка: что изменится" in body and "Будет создано" in body
    assert "Загрузить в реестр" in body

    response = client.post(reverse("registry:import-job-confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert Person.objects.filter(organization=school).count() == 3
    assert BaseMembership.objects.filter(base="mentors").count() == 2
    assert Mentorship.objects.filter(organization=school).count() == 1
    counts = {s["sheet"]: s for s in job.report["sheets"]}
    assert counts["Наставники"]["created"] == 2 and counts["Наставнические пары"]["created"] == 1
    assert stored_files(media) == []  # the file is not kept once imported: only its checksum
    body = client.get(reverse("registry:import-job", args=[job.pk])).content.decode()
    assert "Загружено" in body and "загружен" in body

    # The same file again: nothing to change, and the page says so through its counts.
    upload(client, workbook(school))
    again = ImportJob.objects.latest("created_at")
    assert again.status == ImportJob.Status.CHECKED
    assert [s["created"] + s["updated"] for s in again.check_report["sheets"]] == [0, 0, 0]


def test_a_workbook_with_errors_is_refused_with_located_messages(client_for, admin_user, school, media):
    client = client_for(admin_user)
    response = upload(client, workbook(school, bad_date=True))
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.REJECTED
    body = client.get(response.url).content.decode()
    assert "Лист «Наставники», строка 2, столбец «Дата рождения»: «31.02.1980» — такой даты нет" in body
    assert "Загрузить в реестр" not in body
    assert Person.objects.count() == 0
    assert stored_files(media) == []
    # Confirming a refused job does nothing.
    client.post(reverse("registry:import-job-confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.REJECTED and Person.objects.count() == 0


def test_a_file_that_is_not_a_workbook_is_refused_before_parsing(client_for, admin_user, media):
    fake = io.BytesIO(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    fake.name = "старый.xlsx"
    response = upload(client_for(admin_user), fake)
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.REJECTED
    assert ".xls" in job.check_report["errors"][0]
    assert stored_files(media) == []
    body = client_for(admin_user).get(response.url).content.decode()
    assert "старого формата .xls" in body


def test_an_upload_over_the_limit_is_refused_unread(client_for, admin_user, settings, media):
    settings.IMPORT_MAX_UPLOAD_BYTES = 1024
    big = io.BytesIO(b"PK\x03\x04" + b"\x00" * 200_000)
    big.name = "большой.xlsx"
    response = upload(client_for(admin_user), big)
    assert response.status_code == 413
    assert "Файл больше 0 МБ" not in response.content.decode()  # the limit is named sensibly
    assert "разделите книгу" in response.content.decode()
    assert ImportJob.objects.count() == 0 and stored_files(media) == []


def test_a_file_just_over_the_limit_is_recorded_as_refused(admin_user, settings, media):
    settings.IMPORT_MAX_UPLOAD_BYTES = 1000
    job = imports.create_job(
        upload=io.BytesIO(b"PK\x03\x04" + b"\x00" * 1200), user=admin_user, file_name="x.xlsx"
    )
    assert job.status == ImportJob.Status.REJECTED
    assert "разделите книгу" in job.check_report["errors"][0]
    assert stored_files(media) == []


def test_confirming_a_file_that_changed_after_the_check_is_refused(client_for, admin_user, school):
    client = client_for(admin_user)
    upload(client, workbook(school))
    job = ImportJob.objects.get()
    with job.file.open("ab") as stored:
        stored.write(b"tampered")
    response = client.post(reverse("registry:import-job-confirm", args=[job.pk]), follow=True)
    assert "Файл изменился после проверки" in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CHECKED and Person.objects.count() == 0


# ---------------------------------------------------------------- large files: the task worker


# The worker closes and reopens the connection between tasks; the rows it needs (the forms of
# mentoring seeded by a migration) are restored after other transactional tests flushed them.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_large_workbooks_go_to_the_worker_with_progress(client_for, admin_user, school, settings):
    settings.IMPORT_INLINE_MAX_ROWS = 0
    client = client_for(admin_user)
    upload(client, workbook(school))
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.QUEUED
    status = client.get(reverse("registry:import-job-status", args=[job.pk])).json()
    assert status["running"] is True and status["label"] == "в очереди"
    assert 'id="job-progress"' in client.get(reverse("registry:import-job", args=[job.pk])).content.decode()

    call_command("db_worker", "--batch", verbosity=0)  # django-tasks-db's worker, all queued tasks
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CHECKED and job.percent == 100
    assert Person.objects.count() == 0

    client.post(reverse("registry:import-job-confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.QUEUED and job.commit_requested
    call_command("db_worker", "--batch", verbosity=0)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert Person.objects.filter(organization=school).count() == 3
    status = client.get(reverse("registry:import-job-status", args=[job.pk])).json()
    assert status == {**status, "running": False, "percent": 100, "label": "загружен"}


def test_a_job_whose_worker_stopped_reporting_is_marked_interrupted(client_for, admin_user, settings):
    settings.IMPORT_STALE_AFTER_SECONDS = 60
    stale = ImportJob.objects.create(
        created_by=admin_user,
        file_name="a.xlsx",
        file_sha256="0" * 64,
        status=ImportJob.Status.IMPORTING,
        heartbeat_at=timezone.now() - datetime.timedelta(minutes=5),
        commit_requested=True,
    )
    alive = ImportJob.objects.create(
        created_by=admin_user,
        file_name="b.xlsx",
        file_sha256="0" * 64,
        status=ImportJob.Status.IMPORTING,
        heartbeat_at=timezone.now(),
        commit_requested=True,
    )
    body = client_for(admin_user).get(reverse("registry:import-job", args=[stale.pk])).content.decode()
    stale.refresh_from_db()
    alive.refresh_from_db()
    assert stale.status == ImportJob.Status.INTERRUPTED and alive.status == ImportJob.Status.IMPORTING
    assert "прерван" in body and "ничего не записано" in body


def test_an_import_no_worker_took_up_in_time_is_marked_interrupted(admin_user, school, settings):
    """A confirmed import waits in the queue; without a worker it was left «в очереди» for good."""
    settings.IMPORT_QUEUE_TIMEOUT_SECONDS = 60
    settings.IMPORT_INLINE_MAX_ROWS = 0  # every import goes to the worker
    long_ago = timezone.now() - datetime.timedelta(minutes=5)
    forgotten = imports.create_job(upload=workbook(school), user=admin_user)
    imports.start(job=forgotten, commit=False)
    ImportJob.objects.filter(pk=forgotten.pk).update(queued_at=long_ago)
    # Checked long ago, confirmed just now: it waits since the confirmation, not since the upload.
    confirmed = imports.create_job(upload=workbook(school), user=admin_user)
    ImportJob.objects.filter(pk=confirmed.pk).update(created_at=long_ago)
    imports.start(job=confirmed, commit=True)

    assert imports.reap_stale_jobs() == 1
    forgotten.refresh_from_db()
    confirmed.refresh_from_db()
    assert (forgotten.status, forgotten.get_status_display()) == (
        "interrupted",
        "прерван, ничего не записано",
    )
    assert "Запустите загрузку снова" in forgotten.error and forgotten.finished_at is not None
    assert confirmed.status == ImportJob.Status.QUEUED
    # The worker that takes the reaped job up at last leaves it alone.
    assert imports.run_job(job_id=forgotten.pk).status == ImportJob.Status.INTERRUPTED
    assert imports.run_job(job_id=confirmed.pk).status == ImportJob.Status.DONE
    assert Person.objects.filter(organization=school).count() == 3


def test_a_check_that_ends_after_the_reaper_keeps_interrupted(admin_user, school, monkeypatch):
    """The reaper gave up on a silent worker; the worker ends after all: «прерван» stays."""
    job = imports.create_job(upload=workbook(school), user=admin_user)
    engine_import = imports.import_workbook

    def slow_import(*args, **kwargs):
        report = engine_import(*args, **kwargs)
        ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - datetime.timedelta(hours=1))
        assert imports.reap_stale_jobs() == 1
        return report

    monkeypatch.setattr(imports, "import_workbook", slow_import)
    imports.start(job=job, commit=False)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.INTERRUPTED and job.check_report is None
    assert job.error.startswith("Обработчик перестал отвечать") and job.file


def test_an_import_refused_just_before_its_commit_writes_nothing(school):
    """An import whose job was reaped while it ran rolls back instead of committing (``before_commit``)."""
    from registry.workbook.engine import import_workbook

    report = import_workbook(workbook(school), before_commit=lambda: False)
    assert not report.committed and not report.errors
    assert not Person.objects.filter(organization=school).exists()
    assert import_workbook(workbook(school), before_commit=lambda: True).committed
    assert Person.objects.filter(organization=school).count() == 3


# ---------------------------------------------------------------- export and template


def test_a_curator_exports_only_its_own_school(client_for, curator, school, other_school):
    f.make_person(organization=school, full_name="Своя Учительница")
    f.make_mentorship(organization=school)
    f.make_mentorship(organization=other_school)
    f.make_person(organization=other_school, full_name="Чужая Учительница")
    response = client_for(curator).get(reverse("registry:workbook-export"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert "attachment" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    codes = {row[0] for row in book["Организации"].iter_rows(min_row=2, values_only=True)}
    assert codes == {school.code}
    pairs = {row[0] for row in book["Наставнические пары"].iter_rows(min_row=2, values_only=True)}
    assert pairs == {school.code}
    everything = " ".join(
        str(v) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for v in row if v
    )
    assert other_school.code not in everything and "Чужая Учительница" not in everything


def test_an_admin_exports_a_municipality(client_for, admin_user, school, other_school):
    url = reverse("registry:workbook-export") + f"?municipality={school.municipality.code}"
    response = client_for(admin_user).get(url)
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    codes = {row[0] for row in book["Организации"].iter_rows(min_row=2, values_only=True)}
    assert codes == set(
        Organization.objects.filter(municipality=school.municipality).values_list("code", flat=True)
    )
    assert other_school.code not in codes
    response = client_for(admin_user).get(
        reverse("registry:workbook-export") + "?organization=NOPE", follow=True
    )
    assert "Организация с кодом «NOPE» не найдена" in response.content.decode()


def test_everyone_downloads_the_blank_template(client_for, coordinator):
    response = client_for(coordinator).get(reverse("registry:workbook-template"))
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert {"Наставники", "Наставляемые", "Наставнические пары", "Организации"} <= set(book.sheetnames)


# ---------------------------------------------------------------- the command line


def test_the_command_imports_prints_counts_and_fails_on_errors(tmp_path, school, capsys):
    good = tmp_path / "good.xlsx"
    good.write_bytes(workbook(school).getvalue())
    call_command("import_workbook", str(good), "--dry-run")
    out = capsys.readouterr().out
    assert "Наставники: создано 2, обновлено 0, без изменений 0" in out
    assert Person.objects.count() == 0

    call_command("import_workbook", str(good))
    assert Person.objects.count() == 3
    job = ImportJob.objects.latest("created_at")
    assert job.status == ImportJob.Status.DONE and job.created_by is None

    call_command("import_workbook", str(good))
    assert "ничего не изменилось" in capsys.readouterr().out

    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(workbook(school, bad_date=True, mentees=["Новый Человек Тест"]).getvalue())
    with pytest.raises(CommandError) as error:
        call_command("import_workbook", str(bad))
    assert error.value.returncode == 1 and "Ничего не записано" in str(error.value)
    err = capsys.readouterr().err
    assert "Лист «Наставники», строка 2, столбец «Дата рождения»" in err
    assert not Person.objects.filter(full_name="Новый Человек Тест").exists()


# ---------------------------------------------------------------- the Django admin (django-import-export)


def test_the_admin_offers_the_workbook_resources_to_admins_only(client_for, admin_user, school, curator):
    url = reverse("admin:registry_organization_import")
    assert client_for(admin_user).get(url).status_code == 200
    assert client_for(admin_user).get(reverse("admin:registry_person_export")).status_code == 200
    curator.is_staff = True
    curator.save()
    assert client_for(curator).get(url).status_code == 403


def test_the_organization_resource_reads_the_workbook_headers(school):
    import tablib

    from registry.resources import OrganizationResource

    data = tablib.Dataset(
        headers=["Код ОО", "Наименование", "Краткое наименование", "Муниципалитет", "Тип ОО", "Сайт"]
    )
    data.append(["N0001", "МБДОУ «Детский сад № 5»", "Д/с № 5", school.municipality.code, "дошкольная", ""])
    result = OrganizationResource().import_data(data, dry_run=False, use_transactions=True)
    assert not result.has_errors() and not result.has_validation_errors()
    created = Organization.objects.get(code="N0001")
    assert created.org_type == Organization.OrgType.PRESCHOOL and created.municipality == school.municipality
    exported = OrganizationResource().export(Organization.objects.filter(code="N0001"))
    assert exported.headers[:2] == ["Код ОО", "Наименование"] and exported[0][4] == "дошкольная"


def test_the_import_page_is_styled_like_the_rest(client_for, admin_user):
    """Issue 19 §6: the portal's form styles (regional.css: .regform fields with labels, .card
    sections, .form-actions), not Django's bare ``as_p`` paragraphs."""
    page = client_for(admin_user).get(reverse("registry:workbook")).content.decode()
    assert "css/regional.css" in page
    assert page.count('<section class="card">') == 2
    assert '<form method="post" enctype="multipart/form-data" id="upload-form" class="regform">' in page
    assert '<div class="field' in page and '<div class="form-actions">' in page
    assert "<p><label" not in page  # no as_p
