"""What users type comes back as text, and what they add to a URL changes nothing it should not.

#39: a name with ``<script>`` and a position with ``"><img onerror>`` typed into the web form are
stored as typed and shown escaped on the list, the card, the edit form and the admin's list,
change and history pages (report PDFs carry no person's name; hostile event titles in PDFs:
tests/reports/test_report_building.py). An RTL override in a name must not reach a page as an
active control character (expected failure until the forms refuse it).
#40: ``?_connector=OR`` and arbitrary ``field__lookup`` keys on every list are ignored: the rows
are those of the plain list (regression for CVE-2025-64459 and CVE-2025-57833).
#43: a region's report of 20,000 table rows is refused at once with the Russian "too large"
message; nothing is queued, the web process does not render it.
"""

import time

import pytest
from django.conf import settings
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from monitoring.models import RoadMap, RoadMapEvent
from registry.models import Category, Person
from reports import services
from reports.models import Kind, ReportFile
from reports.sources import resolve
from tests import factories as f
from tests.conftest import verify_second_factor
from tests.registry.factories_people import make_member

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script> Иванова Анна"
IMG = '"><img src=x onerror=alert(1)>'
RTL = "Петрова \u202eанна"


def _post_person(client, full_name, position):
    return client.post(
        reverse("registry:person-create") + "?base=mentors",
        {
            "full_name": full_name,
            "birth_date": "1985-03-02",
            "category": Category.TEACHER,
            "position": position,
            "subject": "история",
            "teaching_experience": "12",
            "email": "a@example.ru",
            "phone": "",
            "competences": "",
            "request": "",
            "consent_date": "2024-09-02",
            "consent_giver": "",
            "consent_text_version": "2026-1",
        },
    )


def _pages(client, admin_client, person):
    yield client.get(reverse("registry:mentor-list"))
    yield client.get(reverse("registry:person-detail", args=[person.pk]))
    yield client.get(reverse("registry:person-edit", args=[person.pk]))
    yield admin_client.get(reverse("admin:registry_person_changelist"))
    yield admin_client.get(reverse("admin:registry_person_change", args=[person.pk]))
    yield admin_client.get(reverse("admin:registry_person_history", args=[person.pk]))


def test_markup_typed_into_a_form_is_stored_as_text_and_shown_escaped(client, curator, admin_user, school):
    from django.test import Client

    client.force_login(curator)
    assert _post_person(client, SCRIPT, IMG).status_code == 302
    person = Person.objects.get(organization=school)
    assert (person.full_name, person.position) == (SCRIPT, IMG)
    admin_client = Client()
    admin_client.force_login(admin_user)
    verify_second_factor(admin_client, admin_user)
    for response in _pages(client, admin_client, person):
        assert response.status_code == 200
        body = response.content.decode()
        assert "<script>alert(1)" not in body and "<img src=x" not in body, response.request["PATH_INFO"]
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body, response.request["PATH_INFO"]


def test_an_rtl_override_typed_into_a_form_never_reaches_a_page_active(client, curator, admin_user, school):
    from django.test import Client

    client.force_login(curator)
    response = _post_person(client, RTL, "учитель")
    if response.status_code == 200:  # refused next to the field: fine, and nothing stored
        assert "full_name" in response.context["form"].errors
        assert not Person.objects.exists()
        return
    person = Person.objects.get(organization=school)
    admin_client = Client()
    admin_client.force_login(admin_user)
    verify_second_factor(admin_client, admin_user)
    for page in _pages(client, admin_client, person):
        body = page.content.decode().lower()
        assert "\u202e" not in body and "&#8238;" not in body and "&#x202e;" not in body


# ---------------------------------------------------------------- #40


LISTS = [
    "registry:organization-list",
    "registry:mentor-list",
    "registry:mentee-list",
    "registry:mentorship-list",
    "registry:practice-list",
    "registry:practice-public-list",
    "registry:contest-list",
    "registry:course-list",
    "registry:methodist-list",
    "monitoring:roadmap-list",
    "monitoring:campaign-list",
    "reports:list",
]


def test_orm_keyword_injection_in_the_query_string_is_ignored(
    client_for, curator, coordinator, school, other_school, region
):
    for organization in (school, other_school):
        make_member(organization=organization, base="mentors", full_name=f"Наставник {organization.code}")
        make_member(organization=organization, base="mentees", full_name=f"Наставляемый {organization.code}")
        f.make_mentorship(organization=organization)
    injected = (
        "?_connector=OR&_negated=1&pk__gte=0&organization__municipality__region="
        f"{region.pk}&organization__pk={other_school.pk}&organization__code__startswith={other_school.code[:2]}"
        "&person__full_name__regex=.*&id__in=1,2,3&municipality__region__code=zz"
    )
    for user in (curator, coordinator):
        client = client_for(user)
        for name in LISTS:
            plain = client.get(reverse(name))
            hostile = client.get(reverse(name) + injected)
            assert hostile.status_code == plain.status_code == 200, name
            rows = [getattr(row, "pk", row) for row in plain.context["page"]]
            assert [getattr(row, "pk", row) for row in hostile.context["page"]] == rows, name
            assert hostile.context["page"].paginator.count == plain.context["page"].paginator.count, name
    # The control: the lists do show rows, and a curator's never the other school's.
    page = client_for(curator).get(reverse("registry:mentor-list") + injected).context["page"]
    assert [row.person.full_name for row in page] == [f"Наставник {school.code}"]


# ---------------------------------------------------------------- #43


def test_a_region_report_of_twenty_thousand_rows_is_refused_at_once(client_for, operator, region):
    roadmap = RoadMap.objects.create(title="Региональный план", level=RoadMap.Level.REGION, region=region)
    RoadMapEvent.objects.bulk_create(
        RoadMapEvent(
            roadmap=roadmap,
            number=f"{i // 100 + 1}.{i % 100 + 1}",
            title=f"Мероприятие {i}",
            goal="Развитие наставничества",
            timing_text="Ноябрь 2020 года",
            responsible="ИМК",
            expected_result="Проведено",
            sort_order=i,
        )
        for i in range(20_000)
    )
    report = services.report_create(
        report=resolve(operator, Kind.ROADMAP_NOTE, roadmap=str(roadmap.pk)), user=operator
    )
    assert settings.REPORT_MAX_TABLE_ROWS < 20_000
    client = client_for(operator)
    started = time.perf_counter()
    response = client.post(reverse("reports:report-file", args=[report.pk, "pdf"]), follow=True)
    elapsed = time.perf_counter() - started
    assert response.redirect_chain == [(reverse("reports:detail", args=[report.pk]), 302)]
    body = response.content.decode()
    assert "Отчёт слишком большой: " in body and f"при пределе {settings.REPORT_MAX_TABLE_ROWS}." in body
    assert "Сузьте территорию" in body
    assert ReportFile.objects.count() == 0 and DBTaskResult.objects.count() == 0
    assert elapsed < 30
