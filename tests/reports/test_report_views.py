"""«Отчёты» through the client: who sees, creates, edits and publishes which report, the files with
their headers, the background files of a region's report, stale jobs and a fixed number of queries.

Actors (tests/conftest.py): ``curator`` of ``school``, ``coordinator`` of its municipality,
``other_curator`` / ``other_coordinator`` of ``other_municipality``, ``operator`` of the region.
The small region: a municipal road map of each municipality (three and two events), a road map of
``school``, a regional road map, and a closed municipal monitoring campaign.
"""

import datetime
import re
import uuid
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve as resolve_url
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from monitoring import campaigns as svc
from monitoring.models import RoadMap, RoadMapEvent
from registry.models import school_year_of
from reports import services
from reports.models import Kind, Report, ReportFile, ReportVersion
from reports.sources import resolve
from tests import factories as f

pytestmark = pytest.mark.django_db


D = datetime.date
Status = RoadMapEvent.Status
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XSS = "<script>alert(1)</script>"


# ---------------------------------------------------------------- the small region


def event(roadmap, number, title, status=Status.PLANNED, timing="Ноябрь 2020 года", responsible="ИМК"):
    return RoadMapEvent.objects.create(
        roadmap=roadmap,
        number=number,
        title=title,
        goal="Развитие наставничества",
        timing_text=timing,
        responsible=responsible,
        expected_result="Проведено",
        status=status,
        sort_order=int(number.replace(".", "")),
    )


def municipal_map(municipality, title):
    return RoadMap.objects.create(
        title=title,
        level=RoadMap.Level.MUNICIPALITY,
        region=municipality.region,
        municipality=municipality,
        basis_number="16",
        basis_date=D(2020, 9, 1),
        basis_title="Приказ об утверждении дорожной карты",
    )


@pytest.fixture
def area_map(municipality):
    roadmap = municipal_map(municipality, "Муниципальный план наставничества")
    event(roadmap, "1.1", "Совещание руководителей ОО", Status.DONE)
    event(roadmap, "1.2", "Семинар наставников", Status.DONE, timing="Декабрь 2020 года")
    event(roadmap, "1.3", "Конкурс «Наставник года»", responsible="Управление образования")
    return roadmap


@pytest.fixture
def other_map(other_municipality):
    roadmap = municipal_map(other_municipality, "План соседнего района")
    event(roadmap, "1.1", "Методический день", Status.DONE)
    event(roadmap, "1.2", "Форум наставников")
    return roadmap


@pytest.fixture
def region_map(region):
    roadmap = RoadMap.objects.create(title="Региональный план", level=RoadMap.Level.REGION, region=region)
    event(roadmap, "1.1", "Областная конференция", Status.DONE)
    event(roadmap, "1.2", "Курсы для кураторов")
    return roadmap


@pytest.fixture
def school_map(school):
    roadmap = RoadMap.objects.create(
        title="Дорожная карта ОО",
        level=RoadMap.Level.ORGANIZATION,
        region=school.municipality.region,
        municipality=school.municipality,
        organization=school,
    )
    event(roadmap, "1.1", "Педагогический совет", Status.DONE)
    return roadmap


def make_report(user, kind, **source) -> Report:
    return services.report_create(report=resolve(user, kind, **source), user=user)


@pytest.fixture
def closed_campaign(coordinator, curator, municipality, school, neighbour_school):
    as_of = timezone.localdate() - datetime.timedelta(days=7)
    for org in (school, neighbour_school):
        f.make_headcount(
            organization=org, school_year=school_year_of(as_of), teachers=40, young_specialists=4
        )
        f.make_mentorship(organization=org, start_date=as_of - datetime.timedelta(days=60))
    campaign = svc.campaign_create(
        user=coordinator,
        municipality=municipality,
        indicators=["R1", "R2"],
        title="Мониторинг района",
        period_start=as_of,
        period_end=timezone.localdate() + datetime.timedelta(days=14),
        as_of_date=as_of,
        deadline=timezone.localdate() + datetime.timedelta(days=7),
    )
    campaign = svc.campaign_open(user=coordinator, campaign=campaign)
    svc.submission_submit(user=curator, submission=campaign.submissions.get(organization=school), values={})
    return svc.campaign_close(user=coordinator, campaign=campaign)


@pytest.fixture
def reports(
    coordinator,
    other_coordinator,
    operator,
    curator,
    other_curator,
    area_map,
    other_map,
    region_map,
    school_map,
):
    """One report of each territory; the coordinator's road-map note is the municipal report."""
    return {
        "municipal": make_report(coordinator, Kind.ROADMAP_NOTE, roadmap=area_map),
        "foreign": make_report(other_coordinator, Kind.ROADMAP_NOTE, roadmap=other_map),
        "region": make_report(operator, Kind.ROADMAP_NOTE, roadmap=region_map),
        "school note": make_report(curator, Kind.SCHOOL_NOTE),
        "foreign school note": make_report(other_curator, Kind.SCHOOL_NOTE),
        "school map note": make_report(operator, Kind.ROADMAP_NOTE, roadmap=school_map),
    }


def body(response) -> str:
    return response.content.decode()


def listed(response) -> set[int]:
    return {int(pk) for pk in re.findall(r'<tr data-report="(\d+)"', body(response))}


def ids(reports, *names) -> set[int]:
    return {reports[name].pk for name in names}


def file_url(report, fmt="pdf") -> str:
    return reverse("reports:report-file", args=[report.pk, fmt])


def download(client, response):
    """The file a request redirected to (its download, done in the request) and the download's response."""
    assert response.status_code == 302
    match = resolve_url(response.url)
    assert match.view_name == "reports:file-download", response.url
    return ReportFile.objects.get(pk=match.kwargs["pk"]), client.get(response.url)


# ---------------------------------------------------------------- the list in scope


def test_the_list_shows_the_reports_of_the_users_territory(
    client_for, reports, coordinator, curator, other_curator, operator
):
    everything = {r.pk for r in reports.values()}
    assert listed(client_for(operator).get(reverse("reports:list"))) == everything
    coordinator_sees = listed(client_for(coordinator).get(reverse("reports:list")))
    assert coordinator_sees == ids(reports, "municipal", "school note", "school map note")
    assert listed(client_for(curator).get(reverse("reports:list"))) == ids(
        reports, "school note", "school map note"
    )
    assert listed(client_for(other_curator).get(reverse("reports:list"))) == ids(
        reports, "foreign school note"
    )


def test_the_list_shows_title_kind_territory_source_and_publication(
    client_for, reports, coordinator, municipality
):
    services.report_publish(report=reports["municipal"], user=coordinator)
    page = body(client_for(coordinator).get(reverse("reports:list")))
    row = re.search(rf'<tr data-report="{reports["municipal"].pk}">(.*?)</tr>', page, re.S).group(1)
    assert reports["municipal"].title in row
    assert "Аналитическая справка по реализации мероприятий" in row
    assert municipality.name in row
    assert "дорожная карта «Муниципальный план наставничества»" in row
    assert "версий: 1, последняя" in row
    row = re.search(rf'<tr data-report="{reports["school note"].pk}">(.*?)</tr>', page, re.S).group(1)
    assert "черновик" in row and "реестр на" in row


def test_the_list_is_paged_newest_first_and_no_report_is_lost(client_for, region, operator, monkeypatch):
    monkeypatch.setattr("reports.views.PAGE_SIZE", 3)
    made = [
        make_report(
            operator,
            Kind.SCHOOL_NOTE,
            organization=f.make_organization(municipality=f.make_municipality(region=region)),
        )
        for _ in range(5)
    ]
    client = client_for(operator)
    first, second = client.get(reverse("reports:list")), client.get(reverse("reports:list"), {"page": 2})
    assert listed(first) == {r.pk for r in made[2:]}
    assert listed(second) == {r.pk for r in made[:2]}
    assert "страница 1 из 2" in body(first) and "Всего: 5" in body(first)
    assert 'href="?page=2"' in body(first)
    assert listed(client.get(reverse("reports:list"), {"page": "x"})) == listed(first)


def test_anonymous_goes_to_login_and_a_user_without_territory_is_refused(client, client_for, reports):
    report, job = reports["municipal"], ReportFile.objects.create(report=reports["municipal"], format="pdf")
    for url in [
        reverse("reports:list"),
        reverse("reports:detail", args=[report.pk]),
        reverse("reports:version", args=[report.pk, 1]),
        reverse("reports:file", args=[job.pk]),
        reverse("reports:file-status", args=[job.pk]),
        reverse("reports:file-download", args=[job.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url
    for url in [
        reverse("reports:redraft", args=[report.pk]),
        reverse("reports:publish", args=[report.pk]),
        file_url(report),
        reverse("reports:version-file", args=[report.pk, 1, "pdf"]),
    ]:
        response = client.post(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url
    assert Report.objects.count() == 6 and ReportVersion.objects.count() == 0
    nobody = client_for(f.make_user("nobody"))
    assert nobody.get(reverse("reports:list")).status_code == 403
    assert nobody.get(reverse("reports:detail", args=[report.pk])).status_code == 404


# ---------------------------------------------------------------- creating through the form


def test_coordinator_creates_a_note_on_its_road_map(client_for, coordinator, municipality, area_map):
    client = client_for(coordinator)
    first = client.get(reverse("reports:list"))  # first the kind, then that kind's fields
    assert first.context["form"] is None and '<select name="kind"' in body(first)
    page = client.get(reverse("reports:list"), {"kind": Kind.ROADMAP_NOTE})
    assert list(page.context["form"].fields["roadmap"].queryset) == [area_map]
    assert '<input type="hidden" name="kind" value="roadmap-note"' in body(page)
    assert '<select name="roadmap"' in body(page)
    response = client.post(reverse("reports:list"), {"kind": Kind.ROADMAP_NOTE, "roadmap": area_map.pk})
    report = Report.objects.get()
    assert response.status_code == 302 and response.url == reverse("reports:detail", args=[report.pk])
    assert (report.kind, report.roadmap, report.municipality, report.organization, report.created_by) == (
        Kind.ROADMAP_NOTE,
        area_map,
        municipality,
        None,
        coordinator,
    )
    assert report.title == (
        "Аналитическая справка по результатам реализации дорожной карты «Муниципальный план наставничества»"
    )
    assert "2 из 3" in report.conclusions
    assert "Конкурс «Наставник года»" in report.recommendations  # the open event, by name
    detail = client.get(response.url)
    assert "Отчёт создан" in body(detail)
    assert report.title in body(detail)


def test_coordinator_cannot_name_another_municipality_or_its_road_map(
    client_for, coordinator, other_municipality, area_map, other_map
):
    client = client_for(coordinator)
    response = client.post(
        reverse("reports:list"), {"kind": Kind.ROADMAP_NOTE, "municipality": other_municipality.pk}
    )
    assert response.status_code == 200
    assert "Выберите корректный вариант" in response.context["form"].errors["municipality"][0]
    response = client.post(reverse("reports:list"), {"kind": Kind.ROADMAP_NOTE, "roadmap": other_map.pk})
    assert "Выберите корректный вариант" in response.context["form"].errors["roadmap"][0]
    assert Report.objects.count() == 0


def test_operator_creates_a_region_report_and_a_school_note_of_the_region(
    client_for, operator, region, school, region_map
):
    client = client_for(operator)
    response = client.post(reverse("reports:list"), {"kind": Kind.ROADMAP_NOTE, "roadmap": region_map.pk})
    report = Report.objects.get()
    assert response.url == reverse("reports:detail", args=[report.pk])
    assert (report.level, report.region, report.created_by) == ("region", region, operator)
    response = client.post(
        reverse("reports:list"),
        {"kind": Kind.SCHOOL_NOTE, "organization": school.code, "as_of": "31.05.2021"},
    )
    note = Report.objects.exclude(pk=report.pk).get()
    assert (note.organization, note.as_of) == (school, D(2021, 5, 31))
    assert note.conclusions


def test_a_source_error_comes_back_in_russian(client_for, coordinator, municipality):
    response = client_for(coordinator).post(reverse("reports:list"), {"kind": Kind.ROADMAP_NOTE})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Нет дорожной карты для этой территории: укажите дорожную карту."
    ]
    assert Report.objects.count() == 0


def test_curator_prepares_its_school_note_but_does_not_publish(client_for, curator, school, other_school):
    client = client_for(curator)
    response = client.post(
        reverse("reports:list"), {"kind": Kind.SCHOOL_NOTE, "organization": other_school.code}
    )
    assert response.context["form"].non_field_errors() == [
        "Организация с таким кодом не найдена или недоступна."
    ]
    # Only the school's note is offered to a curator.
    assert [value for value, _ in response.context["form"].fields["kind"].choices] == [Kind.SCHOOL_NOTE]
    response = client.post(reverse("reports:list"), {"kind": Kind.SCHOOL_NOTE})
    report = Report.objects.get()
    assert response.url == reverse("reports:detail", args=[report.pk])
    assert (report.organization, report.as_of, report.created_by) == (school, timezone.localdate(), curator)
    assert report.conclusions
    detail = body(client.get(response.url))
    assert reverse("reports:publish", args=[report.pk]) not in detail
    assert '<textarea name="conclusions"' in detail  # its own note: the narrative form
    assert client.post(reverse("reports:publish", args=[report.pk])).status_code == 403
    assert report.versions.count() == 0
    # Its own note's narrative it may edit.
    response = client.post(
        reverse("reports:detail", args=[report.pk]),
        {"title": "Справка СОШ № 1", "conclusions": "Выводы куратора.", "recommendations": "", "version": 1},
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.title, report.conclusions) == ("Справка СОШ № 1", "Выводы куратора.")


def test_a_note_on_a_schools_road_map_covers_the_school_whoever_makes_it(
    client_for, operator, coordinator, school, school_map
):
    """A school's road map is reached by the school's code (the form lists only the region's and the
    municipalities' maps); the note covers the school, whoever makes it."""
    for user in (operator, coordinator):
        form = client_for(user).get(reverse("reports:list"), {"kind": Kind.ROADMAP_NOTE}).context["form"]
        assert school_map not in form.fields["roadmap"].queryset
        response = client_for(user).post(
            reverse("reports:list"), {"kind": Kind.ROADMAP_NOTE, "organization": school.code}
        )
        report = Report.objects.get(pk=int(response.url.rstrip("/").rsplit("/", 1)[1]))
        assert (report.level, report.organization, report.roadmap) == ("organization", school, school_map), (
            user
        )


def test_curator_cannot_create_a_kind_it_may_not_edit(client_for, curator, school_map):
    response = client_for(curator).post(
        reverse("reports:list"), {"kind": Kind.ROADMAP_NOTE, "roadmap": school_map.pk}
    )
    assert response.status_code == 200 and "kind" in response.context["form"].errors
    assert Report.objects.count() == 0


# ---------------------------------------------------------------- out of scope: 404


def test_another_municipalitys_report_does_not_exist_for_strangers(
    client_for, reports, coordinator, other_curator, other_coordinator
):
    foreign = reports["foreign"]
    services.report_publish(report=foreign, user=other_coordinator)
    foreign_file = services.report_file_request(report=foreign, fmt="html", user=other_coordinator)
    own = reports["municipal"]
    own_file = services.report_file_request(report=own, fmt="html", user=coordinator)
    cases = [(coordinator, foreign, foreign_file), (other_curator, own, own_file)]
    for user, report, job in cases:
        client = client_for(user)
        for url in [
            reverse("reports:detail", args=[report.pk]),
            reverse("reports:version", args=[report.pk, 1]),
            reverse("reports:file", args=[job.pk]),
            reverse("reports:file-status", args=[job.pk]),
            reverse("reports:file-download", args=[job.pk]),
        ]:
            assert client.get(url).status_code == 404, (user, url)
        for url in [
            reverse("reports:detail", args=[report.pk]),
            reverse("reports:redraft", args=[report.pk]),
            reverse("reports:publish", args=[report.pk]),
            file_url(report, "pdf"),
            file_url(report, "html"),
            reverse("reports:version-file", args=[report.pk, 1, "pdf"]),
        ]:
            assert client.post(url, {"conclusions": "чужое"}).status_code == 404, (user, url)
    assert ReportFile.objects.count() == 2 and ReportVersion.objects.count() == 1
    assert not Report.objects.filter(conclusions="чужое").exists()
    # A made-up file id, a malformed one and an unknown version are as unknown as a foreign one.
    client = client_for(coordinator)
    assert client.get(reverse("reports:file", args=[uuid.uuid4()])).status_code == 404
    assert client.get(f"/reports/files/{'0' * 31}x/").status_code == 404
    assert client.get(reverse("reports:version", args=[own.pk, 7])).status_code == 404
    assert client.post(file_url(own, "exe")).status_code == 404


# ---------------------------------------------------------------- the narrative


def narrative(report, **overrides) -> dict:
    """The narrative form's data, built from the report's current text version (as the page is)."""
    data = {
        "version": Report.objects.get(pk=report.pk).version,
        "title": "Справка о реализации плана",
        "conclusions": "План выполнен частично.\n\nРабота продолжается.",
        "recommendations": "Провести конкурс.\nОбновить положение.",
        "signature_position": "Методист ИМК",
        "signature_name": "Иванова М. П.",
    }
    data.update(overrides)
    return data


def test_operator_edits_the_narrative_and_the_preview_shows_it(client_for, reports, operator):
    report = reports["municipal"]
    client = client_for(operator)
    response = client.post(reverse("reports:detail", args=[report.pk]), narrative(report))
    assert response.status_code == 302 and response.url == reverse("reports:detail", args=[report.pk])
    report.refresh_from_db()
    assert (report.title, report.conclusions, report.signature_name) == (
        "Справка о реализации плана",
        "План выполнен частично.\n\nРабота продолжается.",
        "Иванова М. П.",
    )
    page = body(client.get(response.url))
    assert "Текст отчёта сохранён." in page
    preview = page.split('id="report-preview"', 1)[1]
    assert "<h1>Справка о реализации плана</h1>" in preview
    assert "План выполнен частично." in preview and "Работа продолжается." in preview
    assert "<li>Обновить положение.</li>" in preview
    assert "Иванова М. П." in preview
    form = page.split('id="report-preview"', 1)[0]
    assert f'<input type="hidden" name="version" value="{report.version}"' in form
    assert '<label for="id_version">' not in form and "Version" not in form


def test_redraft_writes_the_narrative_again_from_the_figures(client_for, reports, coordinator):
    report = reports["municipal"]
    drafted = report.conclusions
    Report.objects.filter(pk=report.pk).update(conclusions="Устарело", recommendations="")
    response = client_for(coordinator).post(reverse("reports:redraft", args=[report.pk]))
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.conclusions == drafted and report.recommendations


def test_a_reader_who_may_not_edit_gets_403(client_for, reports, curator):
    """The curator reads the roadmap note of its school's road map but edits only school notes."""
    report = reports["school map note"]
    client = client_for(curator)
    page = client.get(reverse("reports:detail", args=[report.pk]))
    assert page.status_code == 200 and page.context["can_edit"] is False
    assert '<textarea name="conclusions"' not in body(page)
    assert reverse("reports:publish", args=[report.pk]) not in body(page)
    assert reverse("reports:redraft", args=[report.pk]) not in body(page)
    before = report.conclusions
    assert client.post(reverse("reports:detail", args=[report.pk]), narrative(report)).status_code == 403
    assert client.post(reverse("reports:redraft", args=[report.pk])).status_code == 403
    assert client.post(reverse("reports:publish", args=[report.pk])).status_code == 403
    report.refresh_from_db()
    assert report.conclusions == before and report.versions.count() == 0


def test_a_report_saved_without_a_title_still_has_a_name_on_the_list_and_its_page(
    client_for, reports, operator
):
    report = reports["municipal"]
    client = client_for(operator)
    response = client.post(reverse("reports:detail", args=[report.pk]), narrative(report, title=""))
    assert response.status_code in (200, 302)
    listing = body(client.get(reverse("reports:list")))
    row = rf'<tr data-report="{report.pk}"><td[^>]*><a href="[^"]+">(.*?)</a>'
    link = re.search(row, listing, re.S).group(1)
    assert link.strip(), "the list's link to the report has no text"
    page = body(client.get(reverse("reports:detail", args=[report.pk])))
    assert re.search(r"<h1>\s*\S", page), "the report page has an empty heading"


def test_a_script_in_the_conclusions_is_text_on_the_page_and_in_the_html_file(client_for, reports, operator):
    report = reports["municipal"]
    client = client_for(operator)
    client.post(reverse("reports:detail", args=[report.pk]), narrative(report, conclusions=XSS))
    page = body(client.get(reverse("reports:detail", args=[report.pk])))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.split('id="report-preview"', 1)[1]
    assert "<script>alert" not in page
    job, response = download(client, client.post(file_url(report, "html")))
    html = response.content.decode()
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert" not in html
    # The version keeps the text escaped as well.
    client.post(reverse("reports:publish", args=[report.pk]))
    version_page = body(client.get(reverse("reports:version", args=[report.pk, 1])))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in version_page and "<script>alert" not in version_page


# ---------------------------------------------------------------- publishing


def test_publishing_freezes_versions_listed_with_who_and_when(client_for, reports, coordinator, area_map):
    report = reports["municipal"]
    coordinator.last_name, coordinator.first_name = "Петрова", "Анна"
    coordinator.save()
    client = client_for(coordinator)
    client.post(
        reverse("reports:detail", args=[report.pk]), narrative(report, conclusions="Первая редакция выводов.")
    )

    response = client.post(reverse("reports:publish", args=[report.pk]))
    assert response.status_code == 302 and response.url == reverse("reports:version", args=[report.pk, 1])
    first = body(client.get(response.url))
    assert "Опубликована версия 1" in first and "Версия 1, опубликована" in first
    assert "Первая редакция выводов." in first

    # Afterwards the text is edited and the road map gets a new event: version 1 stays as it was.
    client.post(
        reverse("reports:detail", args=[report.pk]), narrative(report, conclusions="Вторая редакция выводов.")
    )
    event(area_map, "1.4", "Новое мероприятие после публикации")
    first = body(client.get(reverse("reports:version", args=[report.pk, 1])))
    assert "Первая редакция выводов." in first and "Вторая редакция" not in first
    assert "Новое мероприятие после публикации" not in first
    draft = body(client.get(reverse("reports:detail", args=[report.pk])))
    assert "Вторая редакция выводов." in draft and "Новое мероприятие после публикации" in draft

    response = client.post(reverse("reports:publish", args=[report.pk]))
    assert response.url == reverse("reports:version", args=[report.pk, 2])
    second = body(client.get(response.url))
    assert "Вторая редакция выводов." in second and "Новое мероприятие после публикации" in second

    versions = list(report.versions.order_by("number"))
    assert [(v.number, v.published_by) for v in versions] == [(1, coordinator), (2, coordinator)]
    page = body(client.get(reverse("reports:detail", args=[report.pk])))
    for version in versions:
        row = re.search(rf'<tr data-version="{version.number}">(.*?)</tr>', page, re.S).group(1)
        assert f"Версия {version.number}" in row
        assert "Анна Петрова" in row
        assert timezone.localtime(version.published_at).strftime("%d.%m.%Y %H:%M") in row
    assert page.index('data-version="2"') < page.index('data-version="1"')  # newest first


def test_a_versions_file_is_rendered_once_and_named_with_its_number(client_for, reports, coordinator):
    report = reports["municipal"]
    client = client_for(coordinator)
    client.post(reverse("reports:publish", args=[report.pk]))
    url = reverse("reports:version-file", args=[report.pk, 1, "pdf"])
    job, response = download(client, client.post(url))
    assert job.version.number == 1
    assert ", версия 1 " in job.file_name
    assert response.content.startswith(b"%PDF")
    client.post(reverse("reports:detail", args=[report.pk]), narrative(report))
    again = client.post(url)
    assert again.url == reverse("reports:file-download", args=[job.pk])
    assert ReportFile.objects.filter(version__isnull=False).count() == 1
    assert client.get(again.url).content == response.content


# ---------------------------------------------------------------- files


def test_a_municipal_reports_files_are_rendered_in_the_request(client_for, reports, coordinator):
    report = reports["municipal"]
    client = client_for(coordinator)

    job, response = download(client, client.post(file_url(report, "pdf")))
    today = timezone.localdate().strftime("%d.%m.%Y")
    assert job.file_name.startswith("Аналитическая справка по результатам реализации дорожной карты")
    assert job.file_name.endswith(f"{today}.pdf")
    assert (job.status, job.progress, job.created_by, job.version) == ("done", 100, coordinator, None)
    assert response.status_code == 200
    assert response["Content-Type"] == PDF
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="')
    assert f"filename*=UTF-8''{quote(job.file_name, safe='')}" in disposition
    assert "%D0%90%D0%BD%D0%B0%D0%BB%D0%B8%D1%82" in disposition  # «Аналит»
    cache = response["Cache-Control"]
    assert "private" in cache and "no-store" in cache
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content.startswith(b"%PDF") and int(response["Content-Length"]) == len(response.content)
    assert job.pages >= 1

    job, response = download(client, client.post(file_url(report, "docx")))
    assert response["Content-Type"] == DOCX
    assert response.content.startswith(b"PK\x03\x04")
    assert job.file_name.endswith(".docx") and "filename*=UTF-8''%D0%90" in response["Content-Disposition"]

    job, response = download(client, client.post(file_url(report, "html")))
    assert response["Content-Type"].startswith("text/html")
    assert report.title in response.content.decode()
    assert ReportFile.objects.filter(report=report, status="done").count() == 3


def test_a_region_report_is_rendered_by_the_worker_with_its_progress(
    client_for, reports, operator, django_capture_on_commit_callbacks
):
    report = reports["region"]
    client = client_for(operator)
    detail = body(client.get(reverse("reports:detail", args=[report.pk])))
    assert "файлы формируются в фоне" in detail

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(file_url(report, "pdf"))
    job = ReportFile.objects.get()
    assert response.status_code == 302 and response.url == reverse("reports:file", args=[job.pk])
    assert job.status == "queued" and not job.content
    task = DBTaskResult.objects.get()
    assert task.task_path == "registry.tasks.run_job"
    assert task.args_kwargs["args"] == ["reports.reportfile", str(job.pk)]

    page = body(client.get(response.url))
    assert 'id="job-progress"' in page and '<progress id="job-bar" max="100" value="0">' in page
    assert 'id="job-status" data-status="queued">в очереди<' in page
    assert 'id="file-download"' not in page
    assert "{#" not in page and "#}" not in page  # the include's own comment stays out of the page
    status_url = reverse("reports:file-status", args=[job.pk])
    status = client.get(status_url)
    assert status["Cache-Control"] == "no-store"
    assert status.json() == {
        "status": "queued",
        "label": "в очереди",
        "running": True,
        "percent": 0,
        "phase": "",
    }
    # Asked for the download too early: back to the progress page.
    early = client.get(reverse("reports:file-download", args=[job.pk]))
    assert early.status_code == 302 and early.url == reverse("reports:file", args=[job.pk])

    assert job.document["title"] == report.title  # the document of the click, for the worker
    services.report_file_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.document is None  # kept only while the file waits
    assert client.get(status_url).json() == {
        "status": "done",
        "label": "готов",
        "running": False,
        "percent": 100,
        "phase": "Готово",
    }
    page = body(client.get(response.url))
    assert 'id="job-progress"' not in page
    assert f'id="file-download" href="{reverse("reports:file-download", args=[job.pk])}"' in page
    response = client.get(reverse("reports:file-download", args=[job.pk]))
    assert response.status_code == 200 and response["Content-Type"] == PDF
    assert response.content.startswith(b"%PDF")
    assert "filename*=UTF-8''%D0%90" in response["Content-Disposition"]


def test_a_region_reports_html_is_rendered_in_the_request(client_for, reports, operator):
    client = client_for(operator)
    job, response = download(client, client.post(file_url(reports["region"], "html")))
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert "Областная конференция" in response.content.decode()


def test_a_report_too_large_for_a_file_is_refused_in_russian(client_for, reports, coordinator, settings):
    settings.REPORT_MAX_TABLE_ROWS = 2
    report = reports["municipal"]
    client = client_for(coordinator)
    for fmt in ("pdf", "docx", "html"):
        response = client.post(file_url(report, fmt), follow=True)
        assert response.redirect_chain == [(reverse("reports:detail", args=[report.pk]), 302)]
        assert "Отчёт слишком большой: 5 строк в таблицах при пределе 2." in body(response)
    # Nor is it published: a version that could never be downloaded is not frozen.
    response = client.post(reverse("reports:publish", args=[report.pk]), follow=True)
    assert response.redirect_chain == [(reverse("reports:detail", args=[report.pk]), 302)]
    assert "Сузьте территорию (муниципалитет или организация)." in body(response)
    assert ReportFile.objects.count() == 0 and not report.versions.exists()


def test_a_render_failure_is_said_and_the_file_marked_failed(client_for, reports, coordinator, caplog):
    """A document the renderer chokes on: the Russian message on the report, the job «сбой», no traceback."""
    report = reports["municipal"]
    ReportVersion.objects.create(
        report=report,
        number=1,
        title="Сломанная версия",
        data={},
        document={
            "title": "Сломанная версия",
            "running_header": "",
            "blocks": [{"type": "table", "rows": []}],
        },
        published_by=coordinator,
        published_at=timezone.now(),
    )
    client = client_for(coordinator)
    response = client.post(reverse("reports:version-file", args=[report.pk, 1, "html"]), follow=True)
    assert response.redirect_chain == [(reverse("reports:detail", args=[report.pk]), 302)]
    assert "Внутренняя ошибка при формировании файла. Сообщите администратору портала." in body(response)
    job = ReportFile.objects.get()
    assert (job.status, job.content, job.finished_at is not None) == ("failed", None, True)
    page = body(client.get(reverse("reports:file", args=[job.pk])))
    assert 'data-status="failed">сбой<' in page and "Внутренняя ошибка" in page and "KeyError" not in page
    assert "report file" in caplog.text  # logged with its traceback for the administrator


# ---------------------------------------------------------------- stale jobs


def test_a_running_file_whose_worker_stopped_is_marked_interrupted(client_for, reports, operator, settings):
    settings.REPORT_STALE_AFTER_SECONDS = 60
    report = reports["region"]
    now = timezone.now()
    stale = ReportFile.objects.create(
        report=report,
        format="pdf",
        status="running",
        progress=40,
        stage="Вёрстка страниц",
        started_at=now - datetime.timedelta(minutes=5),
        heartbeat_at=now - datetime.timedelta(seconds=61),
    )
    alive = ReportFile.objects.create(
        report=report, format="docx", status="running", started_at=now, heartbeat_at=now
    )
    client = client_for(operator)
    page = body(client.get(reverse("reports:file", args=[stale.pk])))
    assert 'id="job-status" data-status="interrupted">прерван<' in page
    assert "Прерван: обработчик не ответил. Запросите файл ещё раз." in page
    assert 'id="job-progress"' not in page
    stale.refresh_from_db()
    alive.refresh_from_db()
    assert (stale.status, stale.finished_at is not None) == ("interrupted", True)
    assert alive.status == "running"
    assert client.get(reverse("reports:file-status", args=[stale.pk])).json()["running"] is False
    page = body(client.get(reverse("reports:file", args=[alive.pk])))
    assert 'id="job-progress"' in page


def test_the_status_the_progress_page_polls_says_when_the_worker_stopped(
    client_for, reports, operator, settings
):
    """The open progress page only polls reports:file-status: a stale job must end there too, or the bar
    stays «формируется» until the user reloads."""
    settings.REPORT_STALE_AFTER_SECONDS = 60
    stale = ReportFile.objects.create(
        report=reports["region"],
        format="pdf",
        status="running",
        progress=40,
        heartbeat_at=timezone.now() - datetime.timedelta(seconds=61),
    )
    status = client_for(operator).get(reverse("reports:file-status", args=[stale.pk])).json()
    assert (status["status"], status["label"], status["running"]) == ("interrupted", "прерван", False)


# ---------------------------------------------------------------- queries


def many_reports(region, n: int, user):
    """``n`` reports of every source: road maps of several municipalities, a campaign, the registry."""
    made = []
    for i in range(n):
        area = f.make_municipality(region=region)
        org = f.make_organization(municipality=area)
        if i % 3 == 0:
            roadmap = municipal_map(area, f"План {i}")
            event(roadmap, "1.1", "Совещание")
            made.append(make_report(user, Kind.ROADMAP_NOTE, roadmap=roadmap))
        elif i % 3 == 1:
            made.append(make_report(user, Kind.SCHOOL_NOTE, organization=org, as_of=D(2021, 5, 31)))
        else:
            made.append(make_report(user, Kind.ROADMAP_NOTE, roadmap=region_map_of(region, i)))
        services.report_publish(report=made[-1], user=user)
    return made


def region_map_of(region, i):
    roadmap = RoadMap.objects.create(
        title=f"Региональный план {i}", level=RoadMap.Level.REGION, region=region
    )
    event(roadmap, "1.1", "Конференция")
    return roadmap


def list_queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("reports:list"))
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_list_takes_the_same_number_of_queries_for_3_and_10_reports(
    client_for, region, operator, closed_campaign, coordinator, municipality
):
    client = client_for(operator)
    campaign_report = make_report(coordinator, Kind.MONITORING_REPORT, campaign=closed_campaign)
    many_reports(region, 2, operator)
    assert len(listed(client.get(reverse("reports:list")))) == 3
    three = list_queries(client)
    many_reports(region, 7, operator)
    page = client.get(reverse("reports:list"))
    assert len(listed(page)) == 10 and campaign_report.pk in listed(page)
    assert "мониторинг «Мониторинг района»" in body(page)
    assert list_queries(client) == three


def test_a_monitoring_report_of_the_closed_campaign(client_for, coordinator, closed_campaign, municipality):
    client = client_for(coordinator)
    response = client.post(
        reverse("reports:list"), {"kind": Kind.MONITORING_REPORT, "campaign": closed_campaign.pk}
    )
    report = Report.objects.get()
    assert response.url == reverse("reports:detail", args=[report.pk])
    assert (report.campaign, report.municipality) == (closed_campaign, municipality)
    assert report.conclusions
    job, download_response = download(client, client.post(file_url(report, "docx")))
    assert download_response.content.startswith(b"PK\x03\x04")


def test_a_text_saved_meanwhile_by_somebody_else_is_not_overwritten(
    client_for, reports, operator, coordinator
):
    report = reports["municipal"]
    page_of_operator = narrative(report, conclusions="Выводы оператора.")
    page_of_coordinator = narrative(report, conclusions="Выводы координатора.")
    assert (
        client_for(operator).post(reverse("reports:detail", args=[report.pk]), page_of_operator).status_code
        == 302
    )
    response = client_for(coordinator).post(reverse("reports:detail", args=[report.pk]), page_of_coordinator)
    assert response.status_code == 200
    assert "Текст отчёта изменил другой пользователь" in body(response)
    report.refresh_from_db()
    assert report.conclusions == "Выводы оператора."


def test_publishing_asks_to_confirm_and_keeps_the_typed_text(client_for, reports, coordinator, curator):
    """«Сохранить и опубликовать…» saves what was typed, then asks; only the confirmation publishes."""
    report = reports["municipal"]
    client = client_for(coordinator)
    detail = body(client.get(reverse("reports:detail", args=[report.pk])))
    form = detail.split('<form method="post" novalidate class="regform">', 1)[1].split("</form>", 1)[0]
    assert 'name="publish"' in form and "Сохранить и опубликовать…" in form
    assert f'action="{reverse("reports:publish", args=[report.pk])}"' not in detail  # no bare publish

    response = client.post(
        reverse("reports:detail", args=[report.pk]),
        {**narrative(report, conclusions="Набранные перед публикацией выводы."), "publish": "1"},
    )
    assert response.status_code == 302 and response.url == reverse("reports:publish", args=[report.pk])
    report.refresh_from_db()
    assert report.conclusions == "Набранные перед публикацией выводы."
    assert not report.versions.exists()  # asked, not yet published

    confirm = body(client.get(response.url))
    assert confirm.count("<h1") == 1 and "Опубликовать отчёт?" in confirm
    assert "Опубликовать версию 1" in confirm and "уже сохранён" in confirm
    assert not report.versions.exists()

    published = client.post(reverse("reports:publish", args=[report.pk]))
    assert published.url == reverse("reports:version", args=[report.pk, 1])
    assert "Набранные перед публикацией выводы." in body(client.get(published.url))


def test_the_confirmation_is_refused_to_who_may_not_publish(client_for, reports, curator):
    report = reports["municipal"]
    assert client_for(curator).get(reverse("reports:publish", args=[report.pk])).status_code in (403, 404)


@pytest.mark.parametrize(
    "kind, shown",
    [
        (Kind.ROADMAP_NOTE, {"municipality", "organization", "roadmap"}),
        (Kind.MONITORING_REPORT, {"municipality", "campaign", "as_of"}),
        (Kind.ROADMAP_REPORT, {"municipality", "roadmap"}),
        (Kind.SCHOOL_NOTE, {"organization", "roadmap", "as_of"}),
    ],
)
def test_the_new_report_form_shows_only_the_fields_its_kind_uses(client_for, operator, kind, shown):
    page = body(client_for(operator).get(reverse("reports:list"), {"kind": kind}))
    form = page.split('<form method="post" novalidate class="regform"', 1)[1].split("</form>", 1)[0]
    names = set(re.findall(r'<(?:select|input|textarea)[^>]* name="(\w+)"', form)) - {
        "csrfmiddlewaretoken",
        "kind",
    }
    assert names == shown


def test_a_field_of_another_kind_sent_anyway_is_ignored(client_for, coordinator, area_map):
    """A monitoring campaign sent with a road-map note (another kind's field) is not read."""
    response = client_for(coordinator).post(
        reverse("reports:list"), {"kind": Kind.ROADMAP_NOTE, "roadmap": area_map.pk, "campaign": "999"}
    )
    assert response.status_code == 302
    assert Report.objects.get().campaign_id is None
