"""Lists people can work with (docs/architecture.md §4.2): every list sorts by its columns in the
database, pages with first / previous / numbered / next / last and a total, refuses an unknown
``?o=`` with a note, and a card's «Назад к списку» returns to the same filters, sort and page."""

import datetime
import re
from html import unescape

import pytest
from django.contrib.messages import get_messages
from django.core.paginator import Paginator
from django.test import RequestFactory
from django.urls import reverse

from common import tables
from common.templatetags.tables import pager_items
from common.text import natural_key
from monitoring.campaigns import campaign_open
from monitoring.models import Questionnaire, RoadMap, SurveyRound
from monitoring.views.campaigns import CAMPAIGN_COLUMNS
from monitoring.views.roadmaps import ROADMAP_COLUMNS
from monitoring.views.surveys import ROUND_COLUMNS
from registry.models import Category, Organization, PracticeBankEntry
from registry.views import regional
from registry.views.mentorships import PAIR_COLUMNS
from registry.views.organizations import ORGANIZATION_COLUMNS
from registry.views.people import BASE_COLUMNS, MENTOR_COLUMNS
from reports.views import REPORT_COLUMNS
from tests import factories as f
from tests.monitoring.test_campaign_views import make_campaign
from tests.registry import factories_regional as fr
from tests.registry.factories_people import make_member
from tests.reports.test_report_views import many_reports

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"


# ---------------------------------------------------------------- data: a few rows of every list


@pytest.fixture
def rows(region, municipality, neighbour_school, school, curator, operator):
    """Rows that differ in every sortable column (and some that tie), in the operator's region."""
    forms = ["teacher_teacher", "experienced_young", "peer_teachers"]
    statuses = ["active", "draft", "completed", "active"]
    for i, name in enumerate(["Яковлева Ирина", "Антонова Мария", "Кузнецов Павел", "Борисова Ольга"]):
        org = [school, neighbour_school][i % 2]
        mentor = make_member(
            organization=org,
            full_name=name,
            trained_as_mentor=i % 2 == 0,
            position=["учитель", "завуч", "педагог", ""][i],
            included_on=datetime.date(2022, 9, 1 + i),
        )
        mentee = make_member(organization=org, base="mentees", full_name=f"Наставляемый {3 - i}")
        status = statuses[i]
        f.make_mentorship(
            organization=org,
            mentoring_form=f.form(forms[i % 3]),
            mentor_person=mentor,
            mentees=[mentee],
            status=status,
            start_date=datetime.date(2024, 9, 1) + datetime.timedelta(days=7 * ((i * 5) % 4)),
            end_date=datetime.date(2025, 1, 1) if status == "completed" else None,
        )
    contest = fr.make_contest(region=region)
    course = fr.make_course(region=region)
    for k in range(4):
        organization = f.make_organization(
            municipality=municipality,
            full_name=f"МБОУ «Школа {'ВБГА'[k]}»",
            org_type=[Organization.OrgType.SCHOOL, Organization.OrgType.PRESCHOOL][k % 2],
        )
        person = f.make_person(organization=organization, full_name=f"Методист {'ГВАБ'[k]}")
        fr.make_practice(organization=organization, status=PracticeBankEntry.Status.PUBLISHED)
        fr.make_entry(contest=contest, organization=organization)
        fr.make_completion(course=course, person=person)
        fr.make_methodist(person=person)
        fr.make_contest(region=region)
        fr.make_course(region=region, reported_trained_count=k)
        RoadMap.objects.create(title=f"План {'БГВА'[k]}", level=RoadMap.Level.REGION, region=region)
        make_campaign(operator, title=f"Мониторинг {'ВАГБ'[k]}")
    q = Questionnaire.objects.create(region=region, title="Удовлетворённость", audience="mentees")
    for k in range(3):
        SurveyRound.objects.create(
            questionnaire=q,
            region=region,
            title=f"Опрос {'БВА'[k]}",
            period_start=datetime.date(2025, 1, 1 + k),
            period_end=datetime.date(2025, 2, 1),
        )
    many_reports(region, 3, operator)
    return {"contest": contest, "course": course}


def lists(data):
    """(URL, columns, the role that reads it) of every sortable list."""
    return [
        (reverse("registry:mentorship-list"), PAIR_COLUMNS),
        (reverse("registry:mentor-list"), BASE_COLUMNS + MENTOR_COLUMNS),
        (reverse("registry:mentee-list"), BASE_COLUMNS),
        (reverse("registry:organization-list"), ORGANIZATION_COLUMNS),
        (reverse("registry:practice-list"), regional.PRACTICE_COLUMNS),
        (reverse("registry:contest-list"), regional.CONTEST_COLUMNS),
        (reverse("registry:contest-detail", args=[data["contest"].pk]), regional.ENTRY_COLUMNS),
        (reverse("registry:course-list"), regional.COURSE_COLUMNS),
        (reverse("registry:course-detail", args=[data["course"].pk]), regional.COMPLETION_COLUMNS),
        (reverse("registry:methodist-list"), regional.METHODIST_COLUMNS),
        (reverse("monitoring:campaign-list"), CAMPAIGN_COLUMNS),
        (reverse("monitoring:roadmap-list"), ROADMAP_COLUMNS),
        (reverse("monitoring:survey-round-list"), ROUND_COLUMNS),
        (reverse("reports:list"), REPORT_COLUMNS),
    ]


def value(obj, path: str):
    for part in path.split("__"):
        if obj is None:
            return None
        obj = getattr(obj, part)
    return obj


def sort_key(obj, column):
    keys = []
    for field in column.fields:
        if isinstance(field, str):
            keys.append(value(obj, field))
        else:  # common.natural.natural(name): the name in natural order
            raw = value(obj, field.get_source_expressions()[0].name)
            keys.append(None if raw is None else natural_key(raw))
    return tuple(keys)


def assert_sorted(objects, column, *, descending):
    """Non-empty values in order (NULLs sit at one end, where the database puts them)."""
    keys = [sort_key(o, column) for o in objects]
    present = [k for k in keys if None not in k]
    assert present == sorted(present, reverse=descending), (column.key, keys)


def test_every_list_sorts_by_every_column_both_ways_in_the_database(client_for, admin_user, rows):
    client = client_for(admin_user)
    for url, columns in lists(rows):
        plain = client.get(url)
        assert plain.status_code == 200, url
        for column in columns:
            up = client.get(f"{url}?o={column.key}")
            down = client.get(f"{url}?o=-{column.key}")
            assert up.status_code == down.status_code == 200, (url, column.key)
            asc, desc = list(up.context["page"].object_list), list(down.context["page"].object_list)
            assert len(asc) >= 2, (url, column.key)
            assert_sorted(asc, column, descending=False)
            assert_sorted(desc, column, descending=True)
            # Ties broken by the primary key the same way: descending is ascending reversed.
            assert [o.pk for o in desc] == [o.pk for o in reversed(asc)], (url, column.key)
            assert up.context["table"].order == column.key and down.context["table"].order == f"-{column.key}"


def test_a_sort_that_differs_from_the_default_is_really_applied(client_for, admin_user, rows):
    client = client_for(admin_user)
    url = reverse("registry:mentor-list")
    names = [r.person.full_name for r in client.get(url + "?o=-name").context["page"]]
    assert names == ["Яковлева Ирина", "Кузнецов Павел", "Борисова Ольга", "Антонова Мария"]
    mentees = [r.active_mentees for r in client.get(url + "?o=mentees").context["page"]]
    assert mentees == sorted(mentees)
    pairs = client.get(reverse("registry:mentorship-list") + "?o=mentor").context["page"]
    assert [p.mentor_person.full_name for p in pairs] == [
        "Антонова Мария",
        "Борисова Ольга",
        "Кузнецов Павел",
        "Яковлева Ирина",
    ]


def test_the_header_is_a_link_with_aria_sort_and_an_arrow(client_for, admin_user, rows):
    client = client_for(admin_user)
    body = client.get(reverse("registry:mentorship-list") + "?status=active&o=mentor&page=1").content.decode()
    th = re.search(r'<th scope="col" aria-sort="ascending"><a class="sort" href="([^"]+)">Наставник', body)
    assert th, "the sorted column says so"
    link = unescape(th.group(1))
    assert "o=-mentor" in link and "status=active" in link and "page=" not in link  # back to page 1
    assert "▲" in body and body.count("aria-sort=") == 1
    down = client.get(reverse("registry:mentorship-list") + "?o=-mentor").content.decode()
    assert 'aria-sort="descending"' in down and "▼" in down
    assert re.search(r'href="\?o=form">Форма наставничества', down)


@pytest.mark.parametrize("bad", ["nonsense", "-", "--mentor", "mentor__password", "-pk", "\x00"])
def test_an_unknown_sort_is_ignored_with_a_note(client_for, admin_user, rows, bad):
    client = client_for(admin_user)
    url = reverse("registry:mentorship-list")
    plain = [p.pk for p in client.get(url).context["page"]]
    response = client.get(url, {"o": bad})
    assert response.status_code == 200
    assert [p.pk for p in response.context["page"]] == plain
    notes = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("Сортировка" in n and "не применена" in n for n in notes)
    assert response.context["table"].order == ""


# ---------------------------------------------------------------- the pager


def test_the_pager_window_elides_the_far_pages():
    page = Paginator(range(1000), 50).get_page(10)
    assert pager_items(page) == [1, None, 8, 9, 10, 11, 12, None, 20]
    assert pager_items(Paginator(range(100), 50).get_page(1)) == [1, 2]


def test_the_pager_has_first_previous_numbers_next_last_and_the_total(
    client_for, operator, municipality, django_assert_max_num_queries
):
    for _ in range(160):
        f.make_organization(municipality=municipality)
    client = client_for(operator)
    url = reverse("registry:organization-list") + "?o=code&page=2"
    client.get(url)  # the first visit of a state writes it to the session; the page's own count is fixed
    with django_assert_max_num_queries(8):
        response = client.get(url)
    body = response.content.decode()
    pager = body[body.index('<nav class="pages"') :]
    assert "Всего: 160" in pager.replace(NBSP, " ")
    for label, page in [
        ("Первая страница", 1),
        ("Предыдущая страница", 1),
        ("Страница 1", 1),
        ("Страница 3", 3),
        ("Страница 4", 4),
        ("Следующая страница", 3),
        ("Последняя страница", 4),
    ]:
        match = re.search(rf'<a href="([^"]+)" (?:rel="\w+" )?aria-label="{label}"', pager)
        assert match, label
        href = unescape(match.group(1))
        assert f"page={page}" in href and "o=code" in href, (label, href)
    assert '<span class="pages-current" aria-current="page">2</span>' in pager


def test_the_total_groups_thousands():
    assert tables.thousands(number=1234567) == f"1{NBSP}234{NBSP}567"
    assert tables.thousands(number=47) == "47"


# ---------------------------------------------------------------- the way back


def back_link(body: str, text: str) -> str:
    match = re.search(rf'<a href="([^"]*)">{re.escape(text)}', body)
    assert match, text
    return unescape(match.group(1))


def test_the_pair_card_returns_to_the_same_filters_sort_and_page(client_for, curator, school, rows):
    client = client_for(curator)
    state = "status=active&o=-start&page=1"
    listed = client.get(reverse("registry:mentorship-list") + "?" + state + "&format=")
    pair = listed.context["page"][0]
    card = client.get(reverse("registry:mentorship-detail", args=[pair.pk])).content.decode()
    back = back_link(card, "← к списку пар")
    assert back.startswith(reverse("registry:mentorship-list") + "?")
    assert "status=active" in back and "o=-start" in back and "page=1" in back and "format" not in back
    # The bare list again forgets the state.
    client.get(reverse("registry:mentorship-list"))
    card = client.get(reverse("registry:mentorship-detail", args=[pair.pk])).content.decode()
    assert back_link(card, "← к списку пар") == reverse("registry:mentorship-list")


def test_the_person_card_returns_to_its_base_list(client_for, curator, school, rows):
    client = client_for(curator)
    client.get(reverse("registry:mentor-list") + "?o=-name&q=а")
    row = client.get(reverse("registry:mentor-list") + "?o=-name&q=а").context["page"][0]
    card = client.get(reverse("registry:person-detail", args=[row.person_id])).content.decode()
    back = back_link(card, "← Назад к списку")
    assert back.startswith(reverse("registry:mentor-list") + "?") and "o=-name" in back and "q=" in back


def test_the_way_back_never_leaves_the_list(rf_session):
    request = rf_session
    request.session[tables.SESSION_KEY] = {
        "registry:mentorship-list": ["//evil.example/", "x=1"],
        "registry:organization-list": ["registry:organization-detail", "q=1"],
        "registry:mentor-list": ["registry:mentor-list", "next=//evil.example&q=%0d%0aSet-Cookie"],
    }
    assert tables.back_url(
        request=request, list_name="registry:mentorship-list", default="registry:mentorship-list"
    ) == reverse("registry:mentorship-list")
    assert tables.back_url(
        request=request, list_name="registry:organization-list", default="registry:organization-list"
    ) == reverse("registry:organization-list")
    back = tables.back_url(request=request, list_name="registry:mentor-list", default="registry:mentor-list")
    assert back.startswith(reverse("registry:mentor-list") + "?") and "\r" not in back and "\n" not in back


@pytest.fixture
def rf_session():
    request = RequestFactory().get("/")
    request.session = {}
    return request


def test_people_columns_cover_pupils_names_only_where_they_are_seen(client_for, coordinator, school, rows):
    """A coordinator's sort by name never brings a pupil's name onto the page."""
    make_member(organization=school, base="mentees", category=Category.STUDENT, full_name="Аааа Ученик")
    response = client_for(coordinator).get(reverse("registry:mentee-list") + "?o=name")
    assert "Аааа Ученик" not in response.content.decode()


def test_the_export_follows_the_sort(client_for, operator, municipality):
    from tests.registry.test_organization_views import export_rows

    for _ in range(4):
        f.make_organization(municipality=municipality)
    client = client_for(operator)
    codes = [
        row[0]
        for row in export_rows(client.get(reverse("registry:organization-list") + "?o=-code&format=xlsx"))
    ]
    assert len(codes) == 4 and codes == sorted(codes, reverse=True)
    codes = [
        row[0]
        for row in export_rows(client.get(reverse("registry:organization-list") + "?o=code&format=xlsx"))
    ]
    assert codes == sorted(codes)


NAMES = [
    "МБОУ «СОШ № 10»",
    "МБОУ «СОШ № 2»",
    "мбоу «СОШ № 1»",
    "МБОУ «Гимназия № 3»",
    "МБОУ «СОШ № 19»",
    "Ёлочка",
]


def test_organizations_and_submissions_are_in_natural_order_in_the_database(
    client_for, operator, coordinator, municipality
):
    """«СОШ № 2» before «СОШ № 10» on a paginated list, on SQLite and PostgreSQL alike (the order is
    cut into pages by the database, so Python's ``natural_key`` cannot sort it afterwards)."""
    for name in NAMES:
        f.make_organization(municipality=municipality, full_name=name)
    expected = sorted(NAMES, key=natural_key)
    assert expected[:2] == ["Ёлочка", "МБОУ «Гимназия № 3»"] and expected[-1] == "МБОУ «СОШ № 19»"
    client = client_for(operator)
    listed = [o.full_name for o in client.get(reverse("registry:organization-list")).context["page"]]
    assert listed == expected
    down = client.get(reverse("registry:organization-list") + "?o=-name").context["page"]
    assert [o.full_name for o in down] == expected[::-1]

    campaign = make_campaign(coordinator, municipality)
    campaign_open(user=coordinator, campaign=campaign)
    detail = reverse("monitoring:campaign-detail", args=[campaign.pk])
    page = client_for(coordinator).get(detail).context["page"]
    assert [s.organization.full_name for s in page] == expected
