"""The catalogue's indicators from the live registry as of a date (monitoring/live.py; docs/domain.md)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from monitoring import campaigns as svc
from monitoring import live, selectors
from monitoring.models import Campaign, Submission, SubmissionValue
from registry import services
from registry.models import NormativeDocument, Organization
from tests import factories as f

pytestmark = pytest.mark.django_db

D = datetime.date
AS_OF = D(2022, 12, 16)
CODES = ["F3", "F7", "R1", "R2", "R6", "R7", "R9"]


def at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


@pytest.fixture
def small_region(region, municipality, other_municipality):
    """Two municipalities, five schools (one without a headcount), a kindergarten that does not count."""
    schools = {
        "a2": f.make_organization(
            municipality=municipality, short_name="СОШ № 2", full_name="МБОУ «СОШ № 2»"
        ),
        "a10": f.make_organization(
            municipality=municipality, short_name="СОШ № 10", full_name="МБОУ «СОШ № 10»"
        ),
        "a3": f.make_organization(
            municipality=municipality,
            short_name="СОШ № 3",
            full_name="МБОУ «СОШ № 3»",
            model_status=Organization.ModelStatus.COMPLETED,
        ),
        "b1": f.make_organization(
            municipality=other_municipality,
            short_name="Гимназия № 1",
            model_status=Organization.ModelStatus.IMPLEMENTATION,
        ),
        "b5": f.make_organization(municipality=other_municipality, short_name="Лицей № 5"),
    }
    kindergarten = f.make_organization(
        municipality=municipality, short_name="Детский сад № 1", org_type=Organization.OrgType.PRESCHOOL
    )
    for key, teachers, young in (("a2", 30, 3), ("a10", 50, 6), ("a3", 20, 2), ("b1", 40, 4)):
        f.make_headcount(organization=schools[key], teachers=teachers, young_specialists=young)
    f.make_headcount(organization=kindergarten, teachers=25, young_specialists=5)
    # Pairs «учитель – учитель» with a young teacher: two at a2, one at a10, one at b1 and at the
    # kindergarten; one at b5 starts after the date; one at a3 ended before it.
    for key in ("a2", "a2", "a10", "b1"):
        f.make_mentorship(organization=schools[key])
    f.make_mentorship(organization=kindergarten)
    f.make_mentorship(organization=schools["b5"], start_date=D(2023, 1, 10))
    ended = f.make_mentorship(organization=schools["a3"])
    services.mentorship_transition(mentorship=ended, status="completed", end_date=D(2022, 11, 30))
    NormativeDocument.objects.create(
        region=region,
        organization=schools["a10"],
        doc_type=NormativeDocument.DocType.REGULATION,
        level=NormativeDocument.Level.ORGANIZATION,
        title="Положение о наставничестве",
        date=D(2022, 10, 1),
        published_on_site=True,
        site_url="https://school10.example.org/nastavnichestvo",
    )
    return schools


def test_a_region_row_and_its_municipalities(small_region, region, municipality, other_municipality):
    report = live.live_indicators(region=region, as_of=AS_OF, indicators=CODES)
    assert report.total.level == live.REGION and report.total.code == region.code
    assert [row.name for row in report.rows] == ["Октябрьский район", "Соседний район"]
    assert [row.organizations for row in report.all_rows()] == [5, 3, 2]  # the kindergarten is not counted
    total = report.total.values
    # Young teachers mentored: 2 + 1 at a2/a10 + 1 at b1 (the ended and the later pair do not count).
    assert (total["F3"].numerator, total["F3"].denominator) == (4, 15)
    assert total["F3"].value == Decimal("26.7") and total["F3"].target == 70
    assert (total["F7"].numerator, total["F7"].denominator) == (2, 5)
    assert (total["R6"].numerator, total["R6"].denominator) == (5, 5)
    assert (total["R7"].numerator, total["R7"].denominator) == (1, 5)
    assert total["R1"].counts.share() == "2,9\xa0%"  # 4 mentors of 140 teachers
    assert total["R9"].denominator is None and total["R9"].unit == "count"
    assert all(v.as_of == AS_OF for row in report.all_rows() for v in row.values.values())
    first = report.rows[0].values
    assert (first["F3"].numerator, first["F3"].denominator) == (3, 11)


def test_a_municipality_row_and_its_schools_in_natural_order(small_region, municipality):
    report = live.live_indicators(municipality=municipality, as_of=AS_OF, indicators=CODES)
    assert [row.name for row in report.rows] == ["СОШ № 2", "СОШ № 3", "СОШ № 10"]
    assert report.rows[0].level == live.ORGANIZATION
    # R6, R7 and F7 are municipalities' indicators: a school's row holds only those of its level.
    assert set(report.rows[0].values) == {"F3", "R1", "R2"}
    assert set(report.total.values) == set(CODES)
    assert report.rows[0].values["F3"].counts.text() == "2 из 3, 67\xa0%"


def test_the_default_catalogue_and_the_country(small_region, region):
    report = live.live_indicators(as_of=AS_OF)
    assert report.total.level == live.COUNTRY and report.total.pk is None
    assert [row.pk for row in report.rows] == [region.pk]
    codes = [i.code for i in report.indicators]
    assert {"F1", "F3", "F7", "R6", "R9"} <= set(codes)
    assert report.total.values["R6"].counts.text() == "5 из 5, 100\xa0%"


def test_a_past_date_excludes_pairs_started_later(small_region, region):
    f.make_mentorship(organization=small_region["a2"], start_date=D(2022, 12, 1))
    earlier = live.live_indicators(region=region, as_of=D(2022, 11, 20), indicators=["F3"])
    later = live.live_indicators(region=region, as_of=D(2023, 1, 20), indicators=["F3"])
    now = live.live_indicators(region=region, as_of=AS_OF, indicators=["F3"])
    # On 20.11.2022 the pair ended on 30.11 still counts, the pair of 01.12 not yet.
    assert earlier.total.values["F3"].numerator == 5
    assert now.total.values["F3"].numerator == 5
    assert later.total.values["F3"].numerator == 6  # b5's pair of 10.01.2023; a3's has ended


def test_at_most_one_territory(region, municipality):
    with pytest.raises(ValueError):
        live.live_indicators(region=region, municipality=municipality, as_of=AS_OF)


def test_a_constant_number_of_queries(region, municipality, django_assert_max_num_queries):
    def grow(count):
        for _ in range(count):
            place = f.make_municipality(region=region)
            for _ in range(2):
                school = f.make_organization(municipality=place)
                f.make_headcount(organization=school)
                f.make_mentorship(organization=school)

    grow(1)
    with django_assert_max_num_queries(12):
        small = live.live_indicators(region=region, as_of=AS_OF)
    grow(4)
    with django_assert_max_num_queries(12):
        big = live.live_indicators(region=region, as_of=AS_OF)
    with django_assert_max_num_queries(12):
        live.live_indicators(municipality=municipality, as_of=AS_OF)
    assert len(big.rows) == len(small.rows) + 4


def test_the_same_figures_as_a_campaign_whose_schools_all_report_the_registry(small_region, region, operator):
    """A regional campaign over the same registry: each school sends what the registry says (a
    blank «да / нет» answered «нет») and is accepted; its indicator report is the live one, territory
    by territory."""
    campaign = svc.campaign_create(
        user=operator,
        region=region,
        indicators=CODES,
        title="Мониторинг",
        period_start=AS_OF,
        period_end=D(2022, 12, 30),
        as_of_date=AS_OF,
        deadline=D(2022, 12, 30),
    )
    svc.campaign_open(user=operator, campaign=campaign, at=at(AS_OF))
    blanks = {}
    for row in SubmissionValue.objects.filter(submission__campaign=campaign, value__isnull=True):
        blanks.setdefault(row.submission_id, {})[row.figure] = {"value": 0, "comment": "нет"}
    for submission in Submission.objects.filter(campaign=campaign).select_related("organization"):
        curator = f.make_user(role="curator", organization=submission.organization)
        svc.submission_submit(
            user=curator, submission=submission, values=blanks.get(submission.pk), at=at(D(2022, 12, 20))
        )
        svc.submission_accept(user=operator, submission=submission, at=at(D(2022, 12, 21)))
    campaign = Campaign.objects.select_related("region", "municipality").get(pk=campaign.pk)
    by_campaign = selectors.indicator_report(campaign)
    by_registry = live.live_indicators(region=region, as_of=AS_OF, indicators=CODES)

    def counts(row):
        return {code: (v.numerator, v.denominator) for code, v in row.values.items()}

    assert counts(by_campaign.total) == {
        code: (v.numerator, v.denominator) for code, v in by_registry.total.counts.items()
    }
    assert [row.municipality_id for row in by_campaign.municipalities] == [row.pk for row in by_registry.rows]
    for campaign_row, live_row in zip(by_campaign.municipalities, by_registry.rows, strict=True):
        assert counts(campaign_row) == {
            code: (v.numerator, v.denominator) for code, v in live_row.counts.items()
        }
        assert {c: v.share() for c, v in campaign_row.values.items()} == {
            c: v.counts.share() for c, v in live_row.values.items()
        }

    # And school by school in a municipality: each school's own figures.
    schools = selectors.organization_indicators(campaign, municipality=small_region["a2"].municipality)
    by_school = live.live_indicators(
        municipality=small_region["a2"].municipality, as_of=AS_OF, indicators=CODES
    )
    assert [row.organization_id for row in schools] == [row.pk for row in by_school.rows]
    for school_row, live_row in zip(schools, by_school.rows, strict=True):
        for code, value in live_row.counts.items():
            assert school_row.values[code] == value, (school_row.name, code)
