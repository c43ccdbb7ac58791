"""F2 and F4 counted from the registry, targets shown with their sources (docs/domain.md §6), and
normative documents found folded in the header search (docs/architecture.md §4.1)."""

import datetime
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from monitoring import campaigns as svc
from monitoring import indicators as ind
from monitoring.indicators import FigureSums
from monitoring.models import Indicator
from registry.models import Category, NormativeDocument, Organization, school_year_of
from reports import services as report_services
from reports.models import Kind
from reports.sources import resolve
from tests import factories as f

pytestmark = pytest.mark.django_db

D = datetime.date
AS_OF = D(2022, 12, 16)  # a date in the past: what the registry said then
LATER = D(2023, 3, 1)


def years_before(day: D, years: int) -> D:
    return day.replace(year=day.year - years)


def pupil(org, birth_date):
    return f.make_person(organization=org, category=Category.STUDENT, birth_date=birth_date)


def pupil_pair(org, mentor, **kw):
    return f.make_mentorship(
        organization=org,
        mentoring_form=f.form("student_student"),
        mentor_person=mentor,
        mentees=[pupil(org, D(2012, 3, 1))],
        **kw,
    )


def employer_pair(school, employer, **kw):
    mentor = f.make_person(organization=employer, category=Category.EMPLOYER_REP)
    return f.make_mentorship(
        organization=school,
        mentoring_form=f.form("employer_student"),
        mentor_person=mentor,
        mentees=[pupil(school, D(2008, 3, 1))],
        **kw,
    )


def region_totals(region, as_of: D) -> dict[str, FigureSums]:
    """The catalogue's F2 and F4 figures summed over the region's organizations, as a campaign sums them."""
    figures = ind.catalogue()
    organizations = Organization.objects.filter(municipality__region=region).values("pk")
    codes = ["student_mentors_15_19", "students_10_plus", "employers_with_mentors", "employers"]
    known = ind.registry_values(as_of=as_of, organizations=organizations, codes=codes, figures=figures)
    sums = {}
    for (_org, code), (value, _url) in known.items():
        total = sums.get(code, 0) + (value or 0)
        sums[code] = total
    return {code: FigureSums(respondents=n, targets=n) for code, n in sums.items()}


def value_of(code: str, sums, responded: int):
    indicator = Indicator.objects.get(code=code)
    return ind.aggregate_value(indicator, sums, responded=responded, expected=responded)


@pytest.fixture
def built_region(region, municipality, other_municipality, school, other_school):
    """Pupil mentors of every age around 15–19, employers with and without mentors, in two municipalities."""
    f.make_headcount(organization=school, school_year=2022, students=500, students_10_plus=300)
    f.make_headcount(organization=other_school, school_year=2022, students=200, students_10_plus=100)
    aged_15 = pupil(school, years_before(AS_OF, 15))  # 15 on the date
    aged_19 = pupil(school, years_before(AS_OF, 20) + datetime.timedelta(days=1))  # 19, a day before 20
    aged_20 = pupil(school, years_before(AS_OF, 20))  # 20 on the date: out
    aged_14 = pupil(school, years_before(AS_OF, 15) + datetime.timedelta(days=1))  # 14: out
    for mentor in (aged_15, aged_19, aged_20, aged_14):
        pupil_pair(school, mentor)
    pupil_pair(school, aged_15)  # the same mentor twice: one person
    pupil_pair(other_school, pupil(other_school, D(2006, 5, 1)))  # 16, the other municipality
    pupil_pair(school, pupil(school, D(2006, 6, 1)), start_date=D(2023, 1, 10))  # starts later
    ended = pupil(school, D(2006, 7, 1))
    pupil_pair(school, ended, status="completed", start_date=D(2022, 9, 1), end_date=D(2022, 12, 1))

    employers = [
        f.make_organization(
            municipality=m, org_type=Organization.OrgType.EMPLOYER, full_name=f"ООО «Завод {i}»"
        )
        for i, m in enumerate((municipality, municipality, other_municipality))
    ]
    employer_pair(school, employers[0])  # mentors on the date
    employer_pair(other_school, employers[1], start_date=D(2023, 2, 1))  # only later
    # employers[2] provides none; a school's own teachers are not an employer's mentors
    f.make_mentorship(organization=school)
    # Another region's employer with a mentor in our school does not enter our denominator.
    stranger = f.make_organization(org_type=Organization.OrgType.EMPLOYER)
    employer_pair(school, stranger)
    return employers


def test_f2_counts_pupil_mentors_aged_15_to_19_over_the_headcounts_pupils_from_10(region, built_region):
    sums = region_totals(region, AS_OF)
    value = value_of("F2", sums, responded=2)
    # aged 15 (twice), aged 19, the 16-year-old of the other municipality; not 14, not 20, not the
    # pair that starts later, not the one that ended; 300 + 100 pupils from 10.
    assert (value.numerator, value.denominator) == (3, 400)
    assert value.share() == "0,8\xa0%"
    # On a later date: the 14-year-old has turned 15, the 19-year-old 20, the later pair has started.
    assert (value_of("F2", region_totals(region, LATER), responded=2).numerator) == 4


def test_f4_counts_employers_that_provide_mentors_on_the_date(region, built_region):
    value = value_of("F4", region_totals(region, AS_OF), responded=5)
    assert (value.numerator, value.denominator) == (1, 3)
    value = value_of("F4", region_totals(region, LATER), responded=5)
    assert (value.numerator, value.denominator) == (2, 3)


def test_f2_f4_are_sound_in_the_catalogue_and_absent_figures_are_zero():
    figures = ind.catalogue()
    for code in ("F2", "F4"):
        indicator = Indicator.objects.get(code=code)
        assert indicator.is_federal and ind.check_definition(indicator, figures) == {}
        assert "[K]" in indicator.description
    assert "столбца «15–19 лет» в контингенте нет" in Indicator.objects.get(code="F2").description
    for code in ("student_mentors_15_19", "employers", "employers_with_mentors"):
        assert ind.registry_default(code, figures[code]) == 0
    assert figures["employers_with_mentors"].bound == "employers"


def test_the_target_is_written_with_its_comparison_and_unit():
    assert Indicator.objects.get(code="F1").target_text == "не менее 70\xa0%"
    assert Indicator(
        code="X", name="X", unit="count", target_value=5, target_comparison="lte"
    ).target_text == ("не более 5")
    assert Indicator(code="X", name="X").target_text == ""


# ---------------------------------------------------------------- targets with their sources on the pages

TODAY = timezone.localdate()


def test_the_dashboards_target_line_names_its_source(client_for, coordinator, school):
    f.make_headcount(organization=school, school_year=school_year_of(TODAY), teachers=10, young_specialists=2)
    body = client_for(coordinator).get(reverse("dashboard")).content.decode()
    young = re.search(r'<tr data-share="young">(.*?)</tr>', body, re.S).group(1)
    assert "≥ 70\xa0%" in young and 'data-figure="target-source">(целевое значение региона)<' in young
    pupils = re.search(r'<tr data-share="pupils">(.*?)</tr>', body, re.S).group(1)
    assert "Федеральный проект «Современная школа»" in pupils


@pytest.fixture
def closed_campaign(coordinator, curator, municipality, school, neighbour_school):
    as_of = TODAY - datetime.timedelta(days=7)
    for org in (school, neighbour_school):
        f.make_headcount(
            organization=org, school_year=school_year_of(as_of), teachers=40, young_specialists=4
        )
        f.make_mentorship(organization=org, start_date=as_of - datetime.timedelta(days=60))
    campaign = svc.campaign_create(
        user=coordinator,
        municipality=municipality,
        indicators=["F3", "R6", "R1"],
        title="Мониторинг района",
        period_start=as_of,
        period_end=TODAY + datetime.timedelta(days=14),
        as_of_date=as_of,
        deadline=TODAY + datetime.timedelta(days=7),
    )
    campaign = svc.campaign_open(user=coordinator, campaign=campaign)
    svc.submission_submit(user=curator, submission=campaign.submissions.get(organization=school), values={})
    return svc.campaign_close(user=coordinator, campaign=campaign)


def test_the_campaign_forms_catalogue_names_targets_with_their_sources(client_for, coordinator):
    body = client_for(coordinator).get(reverse("monitoring:campaign-create")).content.decode()
    assert (
        "F3. Доля учителей — молодых специалистов (стаж до 3 лет), вошедших в программы наставничества "
        "в роли наставляемого — целевое значение не менее 70\xa0% (целевое значение региона)"
    ) in body.replace("&nbsp;", "\xa0")
    assert "F2. Доля обучающихся в возрасте 15–19 лет" in body and "F4. Доля предприятий" in body


def test_the_campaign_page_shows_target_and_source(client_for, coordinator, closed_campaign):
    body = client_for(coordinator).get(reverse("monitoring:campaign-detail", args=[closed_campaign.pk]))
    body = body.content.decode()
    row = re.search(r'<tr data-indicator="R6">(.*?)</tr>', body, re.S).group(1)
    assert "не менее 100\xa0%" in row and "(целевое значение региона)" in row
    row = re.search(r'<tr data-indicator="R1">(.*?)</tr>', body, re.S).group(1)
    assert "target-source" not in row  # no target, no source


def test_the_monitoring_reports_indicators_carry_target_and_source(coordinator, closed_campaign):
    report = report_services.report_create(
        report=resolve(coordinator, Kind.MONITORING_REPORT, campaign=closed_campaign), user=coordinator
    )
    text = json.dumps(report_services.report_document(report=report), ensure_ascii=False)
    assert "; целевое значение — не менее 70\xa0% (целевое значение региона)" in text.replace(
        "\\u00a0", "\xa0"
    )
    assert "; целевое значение — не менее 100\xa0% (целевое значение региона)" in text.replace(
        "\\u00a0", "\xa0"
    )


# ---------------------------------------------------------------- documents in the header search


def test_the_header_search_finds_a_document_title_folded(client_for, coordinator, region, school):
    document = NormativeDocument.objects.create(
        region=region,
        municipality=school.municipality,
        organization=school,
        doc_type=NormativeDocument.DocType.ORDER,
        level=NormativeDocument.Level.ORGANIZATION,
        date=D(2022, 12, 1),
        title="Ёлка наставников: о новогоднем мероприятии",
    )
    assert document.search_name == "елка наставников: о новогоднем мероприятии"
    client = client_for(coordinator)
    for typed in ("ёлка", "Елка", "ЕЛКА", "ёЛкА НАСТАВНИКОВ"):
        body = client.get(reverse("search"), {"q": typed}).content.decode()
        assert "Ёлка наставников" in body, typed
    document.title = "Положение о наставничестве"
    document.save(update_fields=["title"])
    document.refresh_from_db()
    assert document.search_name == "положение о наставничестве"
    assert "Положение о наставничестве" not in client.get(reverse("search"), {"q": "ёлка"}).content.decode()
