"""The dashboards (docs/architecture.md §12): shares as of a date, drill-down within the scope,
sorted tables, charts whose bars lead to lists of the same number, a fixed number of queries."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from mentoring_portal import dashboards
from registry import selectors
from registry.models import Category, Organization, school_year_of
from tests import factories as f

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()  # the portal's today (Moscow), not the machine's
YEAR = school_year_of(TODAY)
START = TODAY - datetime.timedelta(days=30)
DASHBOARD_QUERIES = 26


def pupil(organization, **kw):
    return f.make_person(
        organization=organization, category=Category.STUDENT, birth_date=datetime.date(2012, 5, 1), **kw
    )


@pytest.fixture
def data(school, neighbour_school, other_school):
    """school: 2 pairs of young teachers, a pupil pair; neighbour: 1 pair; other municipality: 1 pair."""
    f.make_mentorship(organization=school, start_date=START)
    f.make_mentorship(organization=school, start_date=START)
    f.make_mentorship(
        organization=school,
        mentoring_form=f.form("student_student"),
        mentor_person=pupil(school),
        mentees=[pupil(school), pupil(school)],
        start_date=START,
    )
    f.make_mentorship(organization=neighbour_school, start_date=START)
    f.make_mentorship(organization=other_school, start_date=START)
    for organization in (school, neighbour_school, other_school):
        f.make_headcount(organization=organization, school_year=YEAR, teachers=40, young_specialists=4)


def share_row(body: str, code: str) -> str:
    return re.search(rf'<tr data-share="{code}">(.*?)</tr>', body, re.S).group(1)


def test_shares_equal_the_selectors_counts_with_target_and_a_light_in_words(
    client_for, coordinator, municipality, data
):
    response = client_for(coordinator).get(reverse("dashboard"))
    body = response.content.decode()
    headcount = selectors.headcount_totals(scope=municipality, as_of=TODAY)
    forms = selectors.form_counts(scope=municipality, as_of=TODAY, active_only=True)
    young = sum(c.young_specialist_mentees for c in forms.values())  # one person per form here
    assert (young, headcount.young_specialists) == (3, 8)
    row = share_row(body, "young")
    assert "3 из 8, 38\xa0%" in row  # F3: 3 young mentees of 8 young specialists
    assert "≥ 70\xa0%" in row and 'data-light="red">ниже целевого<' in row
    pupils = forms["student_student"].student_mentees_10_plus
    assert pupils == 2
    assert f"{pupils} из {headcount.students_10_plus}" in share_row(body, "pupils")
    assert response.context["totals"] == selectors.totals(scope=municipality, as_of=TODAY, active_only=True)


def test_the_light_turns_green_when_the_target_is_met(client_for, curator, school):
    f.make_headcount(organization=school, school_year=YEAR, teachers=10, young_specialists=1)
    f.make_mentorship(organization=school, start_date=START)
    body = client_for(curator).get(reverse("dashboard")).content.decode()
    row = share_row(body, "young")
    assert "1 из 1, 100\xa0%" in row and 'data-light="green">целевое значение достигнуто<' in row


def test_as_of_date_changes_the_figures_and_a_bad_date_is_refused_in_russian(client_for, curator, school):
    f.make_mentorship(organization=school, start_date=datetime.date(2023, 1, 10))
    client = client_for(curator)
    before = client.get(reverse("dashboard"), {"as_of": "01.12.2022"})
    assert before.context["as_of"] == datetime.date(2022, 12, 1)
    assert 'data-figure="mentorships">0<' in before.content.decode()
    after = client.get(reverse("dashboard"), {"as_of": "2023-02-01"})
    assert 'data-figure="mentorships">1<' in after.content.decode()
    bad = client.get(reverse("dashboard"), {"as_of": "31.02.2023"})
    assert bad.context["as_of"] == TODAY
    assert "«31.02.2023» не дата: ожидается ДД.ММ.ГГГГ" in bad.content.decode()
    assert 'data-figure="mentorships">1<' in bad.content.decode()


def test_month_trend_counts_the_pairs_on_each_month_end():
    days = dashboards.month_ends(datetime.date(2024, 3, 15))
    assert days[0] == datetime.date(2023, 4, 30) and days[-2:] == [
        datetime.date(2024, 2, 29),
        datetime.date(2024, 3, 15),
    ]
    assert len(days) == 12


def test_trends_by_month_and_school_year(client_for, curator, school):
    f.make_mentorship(organization=school, start_date=TODAY - datetime.timedelta(days=100))
    context = client_for(curator).get(reverse("dashboard")).context
    months = [int(p.text) for p in context["charts"]["months"].points]
    assert months[-1] == 1 and months[0] == 0
    years = context["charts"]["years"].bars
    assert [b.text for b in years][-1] == "1" and years[0].text == "0"
    assert years[-1].label == f"{YEAR}/{YEAR + 1}"


def test_each_trend_point_links_to_the_pairs_it_counts(client_for, curator, school, other_school):
    """A month's point and a school year's bar lead to the pairs list holding exactly the pairs
    they count (the as-of rule of ``selectors.ran_between``), in the same scope."""
    day = datetime.timedelta(days=1)
    f.make_mentorship(organization=school, start_date=TODAY - 100 * day)
    f.make_mentorship(
        organization=school, start_date=TODAY - 700 * day, status="completed", end_date=TODAY - 200 * day
    )
    f.make_mentorship(organization=school, start_date=TODAY - 40 * day)
    f.make_mentorship(organization=other_school, start_date=TODAY - 100 * day)  # another school's
    client = client_for(curator)
    charts = client.get(reverse("dashboard")).context["charts"]
    points = charts["months"].points
    assert [int(p.text) for p in points] != [int(points[0].text)] * len(points)  # the trend moves
    for point in [*points, *charts["years"].bars]:
        assert point.href.startswith(reverse("registry:mentorship-list") + "?")
        listed = client.get(point.href).context["page"].paginator.count
        assert listed == int(point.text), (point.label, point.href)


def test_the_pairs_list_as_of_a_date_and_in_a_school_year(client_for, curator, school):
    early = f.make_mentorship(
        organization=school,
        start_date=datetime.date(YEAR - 2, 10, 1),
        status="completed",
        end_date=datetime.date(YEAR - 1, 9, 30),
    )
    late = f.make_mentorship(organization=school, start_date=datetime.date(YEAR - 1, 10, 1))
    client = client_for(curator)

    def listed(query):
        return {p.pk for p in client.get(reverse("registry:mentorship-list") + query).context["page"]}

    assert listed(f"?as_of=01.01.{YEAR - 1}") == {early.pk}
    assert listed(f"?as_of=01.01.{YEAR}") == {late.pk}
    assert listed(f"?year={YEAR - 2}") == {early.pk}
    assert listed(f"?year={YEAR - 1}") == {early.pk, late.pk}
    assert listed(f"?year={YEAR - 1}&as_of=15.09.{YEAR - 1}") == {early.pk}
    body = client.get(reverse("registry:mentorship-list") + "?as_of=31.02.2024").content.decode()
    assert "Действовали на дату: Введите правильную дату." in body


# ---------------------------------------------------------------- drill-down and scope


def test_operator_drills_down_to_a_municipality_and_a_school_with_breadcrumbs(
    client_for, operator, region, municipality, school, data
):
    client = client_for(operator)
    top = client.get(reverse("dashboard"))
    assert top.context["level"] == "region"
    row = next(r for r in top.context["rows"] if r.obj == municipality)
    assert row.href == f"/?municipality={municipality.code}"
    assert f'href="{row.href}">{municipality.name}</a>' in top.content.decode()
    middle = client.get(row.href)
    assert middle.context["level"] == "municipality"
    assert {r.obj for r in middle.context["rows"]} >= {school}
    body = middle.content.decode()
    assert '<nav class="crumbs"' in body and f'<a href="/">{region.name}</a>' in body
    assert 'data-figure="mentorships">4<' in body  # the municipality's four pairs, not the region's five
    # The date form and the sort links stay on this municipality.
    assert f'<input type="hidden" name="municipality" value="{municipality.code}">' in body
    assert f'href="?municipality={municipality.code}&amp;o=name"' in body
    bottom = client.get(reverse("dashboard"), {"organization": school.code})
    assert bottom.context["level"] == "organization"
    assert [c.label for c in bottom.context["territory"].crumbs] == [
        region.name,
        municipality.name,
        school.full_name,
    ]
    assert 'data-figure="mentorships">3<' in bottom.content.decode()


def test_drill_down_stays_within_the_scope(
    client_for, coordinator, curator, operator, school, neighbour_school, other_school, other_municipality
):
    coordinator_client = client_for(coordinator)
    assert (
        coordinator_client.get(reverse("dashboard"), {"municipality": other_municipality.code}).status_code
        == 404
    )
    assert (
        coordinator_client.get(reverse("dashboard"), {"organization": other_school.code}).status_code == 404
    )
    assert (
        coordinator_client.get(reverse("dashboard"), {"region": other_municipality.region.code}).status_code
        == 404
    )
    assert (
        coordinator_client.get(reverse("dashboard"), {"organization": neighbour_school.code}).status_code
        == 200
    )
    curator_client = client_for(curator)
    assert (
        curator_client.get(reverse("dashboard"), {"organization": neighbour_school.code}).status_code == 404
    )
    assert curator_client.get(reverse("dashboard"), {"organization": school.code}).status_code == 200
    stranger_region = f.make_region()
    assert client_for(operator).get(reverse("dashboard"), {"region": stranger_region.code}).status_code == 404


def test_admin_sees_the_country_with_regions_as_rows(client_for, admin_user, region, data):
    f.make_region(name="Пустая область")
    response = client_for(admin_user).get(reverse("dashboard"))
    assert response.context["level"] == "country"
    rows = {r.obj: r for r in response.context["rows"]}
    assert rows[region].figures["mentorships"] == 5
    assert rows[region].href == f"/?region={region.code}"
    narrowed = client_for(admin_user).get(rows[region].href)
    assert narrowed.context["level"] == "region"
    assert [c.label for c in narrowed.context["territory"].crumbs] == ["Все регионы", region.name]


# ---------------------------------------------------------------- tables


def test_schools_sorted_by_name_in_natural_order_and_by_share_with_the_weakest_marked(client_for, region):
    municipality = f.make_municipality(region=region)
    coordinator = f.make_user("coord-sort", role="coordinator", municipality=municipality)
    schools = {}
    for number, young_mentees in ((10, 1), (2, 4), (3, 3), (1, 2)):
        school = f.make_organization(municipality=municipality, full_name=f"МБОУ «СОШ № {number}»")
        f.make_headcount(organization=school, school_year=YEAR, young_specialists=4)
        for _ in range(young_mentees):
            f.make_mentorship(organization=school, start_date=START)
        schools[number] = school
    client = client_for(coordinator)
    by_name = client.get(reverse("dashboard"), {"o": "name"}).context["rows"]
    assert [r.name for r in by_name] == [f"МБОУ «СОШ № {n}»" for n in (1, 2, 3, 10)]
    response = client.get(reverse("dashboard"), {"o": "young"})
    rows = response.context["rows"]
    assert [r.obj for r in rows] == [schools[10], schools[1], schools[3], schools[2]]  # weakest first
    assert [r.weak for r in rows] == [True, False, False, False]
    assert f'<tr class="weak" data-row="{schools[10].code}">' in response.content.decode()
    descending = client.get(reverse("dashboard"), {"o": "-young"}).context["rows"]
    assert descending[0].obj == schools[2]


def test_query_count_does_not_grow_with_municipalities_and_schools(client_for, region, operator, settings):
    settings.DASHBOARD_CACHE_SECONDS = 0  # counted every time

    def add_municipality():
        municipality = f.make_municipality(region=region)
        school = f.make_organization(municipality=municipality)
        f.make_headcount(organization=school, school_year=YEAR)
        f.make_mentorship(organization=school, start_date=START)

    client = client_for(operator)
    add_municipality()
    client.get(reverse("dashboard"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("dashboard"))
    for _ in range(12):
        add_municipality()
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("dashboard"))
    assert len(response.context["rows"]) == 13
    assert len(many) == len(few) <= DASHBOARD_QUERIES


def test_coordinator_and_curator_dashboards_have_a_fixed_query_count(
    client_for, coordinator, curator, data, django_assert_max_num_queries
):
    for user in (coordinator, curator):
        client = client_for(user)
        with django_assert_max_num_queries(DASHBOARD_QUERIES):
            assert client.get(reverse("dashboard")).status_code == 200


# ---------------------------------------------------------------- charts


def test_charts_are_inline_svg_with_caption_title_and_the_table_behind(client_for, operator, data):
    body = client_for(operator).get(reverse("dashboard")).content.decode()
    for ident in ("chart-shares", "chart-forms", "chart-months", "chart-years", "chart-rows"):
        figure = re.search(rf'<figure class="chart" id="{ident}">(.*?)</figure>', body, re.S).group(1)
        assert "<figcaption>" in figure and "<svg" in figure
        assert f'aria-labelledby="{ident}-title"' in figure and f'<title id="{ident}-title">' in figure
        assert "<details>" in figure and "<table" in figure
    assert "<script" not in body.split("<main", 1)[-1] and ' style="' not in body


def test_bars_lead_to_lists_that_show_the_same_number(client_for, operator, municipality, data):
    client = client_for(operator)
    context = client.get(reverse("dashboard")).context
    bars = context["charts"]["forms"].bars + context["charts"]["rows"].bars
    assert {b.label for b in bars} >= {"учитель – учитель", municipality.name}
    for bar in bars:
        listed = client.get(bar.href).context["page"].paginator.count
        assert listed == int(bar.text), bar.label


def test_curator_sees_a_returned_submission_with_the_coordinators_comment(
    client_for, curator, coordinator, municipality, school
):
    from monitoring import campaigns
    from monitoring.models import Submission

    campaign = campaigns.campaign_create(
        user=coordinator,
        municipality=municipality,
        indicators=["R1"],
        title="Мониторинг, весна",
        goal="Сбор данных",
        period_start=TODAY,
        period_end=TODAY + datetime.timedelta(days=14),
        as_of_date=TODAY,
        deadline=TODAY + datetime.timedelta(days=7),
    )
    campaigns.campaign_open(user=coordinator, campaign=campaign)
    submission = campaign.submissions.get(organization=school)
    coordinator_body = client_for(coordinator).get(reverse("dashboard")).content.decode()
    expected = campaign.submissions.count()
    assert f'data-figure="campaign-{campaign.pk}">собрано 0 из {expected}<' in coordinator_body
    # As if sent (the return is what is under test).
    Submission.objects.filter(pk=submission.pk).update(
        status=Submission.Status.SUBMITTED,
        submitted_at=timezone.now(),
        first_submitted_at=timezone.now(),
        on_time=True,
    )
    submission.refresh_from_db()
    campaigns.submission_return(user=coordinator, submission=submission, comment="Уточните число педагогов")
    body = client_for(curator).get(reverse("dashboard")).content.decode()
    assert "(возвращён на доработку)" in body
    assert "Комментарий координатора: Уточните число педагогов" in body


def test_road_map_execution_done_of_planned(client_for, coordinator, municipality):
    from monitoring.models import RoadMap, RoadMapEvent

    roadmap = RoadMap.objects.create(
        title="План муниципалитета",
        level=RoadMap.Level.MUNICIPALITY,
        region=municipality.region,
        municipality=municipality,
    )
    for status in ("done", "done", "planned", "cancelled"):
        RoadMapEvent.objects.create(roadmap=roadmap, title="Семинар", status=status, sort_order=1)
    body = client_for(coordinator).get(reverse("dashboard")).content.decode()
    assert f'data-figure="roadmap-{roadmap.pk}">2 из 3<' in body


def test_organizations_without_pairs_are_counted(client_for, coordinator, municipality, data):
    f.make_organization(municipality=municipality, org_type=Organization.OrgType.AUTHORITY)  # not educational
    f.make_organization(municipality=municipality)  # no pair
    response = client_for(coordinator).get(reverse("dashboard"))
    assert (response.context["figures"]["organizations"], response.context["figures"]["without_pairs"]) == (
        3,
        1,
    )


def test_coordinators_schools_keep_their_alerts(client_for, coordinator, school, neighbour_school):
    f.make_mentorship(
        organization=school,
        start_date=TODAY - datetime.timedelta(days=100),
        planned_end_date=TODAY + datetime.timedelta(days=10),
    )
    rows = {r.obj: r for r in client_for(coordinator).get(reverse("dashboard")).context["rows"]}
    expected = selectors.mentorship_alerts_by_organization(scope=school.municipality, today=TODAY)[school.pk]
    assert rows[school].figures["ending_soon"] == expected["ending_soon"] == 1
    assert rows[neighbour_school].figures["ending_soon"] == 0


def test_a_future_date_is_refused():
    day, error = dashboards.parse_as_of("01.01.2999", TODAY)
    assert day == TODAY and error == "Дата «01.01.2999» ещё не наступила: показаны данные на сегодня."


def test_a_territory_code_with_a_nul_or_too_long_is_not_found(client_for, admin_user):
    """PostgreSQL refuses a NUL in a query: the dashboard answers 404, never a 500."""
    client = client_for(admin_user)
    for key in ("region", "municipality", "organization"):
        assert client.get(reverse("dashboard"), {key: "80\x00"}).status_code == 404
        assert client.get(reverse("dashboard"), {key: "8" * 65}).status_code == 404


def test_a_date_before_any_registry_is_refused_not_a_server_error(client):
    """The trends count years back from the date: year 1 would go below the calendar."""
    day, error = dashboards.parse_as_of("01.01.0001", TODAY)
    assert day == TODAY and error == "Дата «01.01.0001» раньше 01.01.2000: показаны данные на сегодня."


def test_the_weakest_quarter_never_holds_the_best_value():
    def row(numerator):
        return dashboards.Row(
            obj=None,
            name=f"СОШ № {numerator}",
            href="",
            pairs_href="",
            figures={"mentorships": 0},
            shares={key: dashboards.indicators.Value(numerator, 4) for key in dashboards.SHARE_KEYS},
        )

    rows, _ = dashboards.sort_rows([row(2), *[row(4) for _ in range(6)]], "young")
    assert [r.weak for r in rows] == [True] + [False] * 6
    rows, _ = dashboards.sort_rows([row(4) for _ in range(5)], "young")
    assert not any(r.weak for r in rows)


def test_pairs_per_form_on_the_mentorships_equal_the_counts_on_the_links(region, data, school):
    f.make_mentorship(
        organization=school,
        start_date=datetime.date(2022, 1, 10),
        status="completed",
        end_date=datetime.date(2023, 5, 1),
    )
    for as_of, live in ((TODAY, True), (datetime.date(2023, 3, 1), False), (START, False)):
        by_form = {
            c.form_code: c.mentorships
            for c in selectors.mentorships_by_form(scope=region, as_of=as_of, active_only=live)
        }
        on_links = {
            code: c.mentorships
            for code, c in selectors.form_counts(scope=region, as_of=as_of, active_only=live).items()
        }
        assert by_form == on_links, as_of


def test_a_regions_figures_come_from_the_cache_until_a_counted_row_changes(
    client_for, operator, school, settings, django_assert_max_num_queries
):
    settings.DASHBOARD_CACHE_SECONDS = 600
    client = client_for(operator)
    with CaptureQueriesContext(connection) as counted:
        first = client.get(reverse("dashboard"))
    with CaptureQueriesContext(connection) as cached:
        again = client.get(reverse("dashboard"))
    assert len(cached) < len(counted) - 8
    assert again.context["totals"] == first.context["totals"]
    f.make_mentorship(organization=school, start_date=START)  # written with its history
    fresh = client.get(reverse("dashboard"))
    assert fresh.context["totals"].mentorships == first.context["totals"].mentorships + 1
