"""R15 from the pairs' plans: plans with a regional methodist and their hours (docs/domain.md §4.1, §6)."""

import datetime

import pytest
from django.utils import timezone

from monitoring import campaigns as svc
from monitoring import indicators as ind
from monitoring import selectors
from monitoring.indicators import Value
from monitoring.models import Campaign, Indicator, Submission
from registry.models import Organization
from tests import factories as f
from tests.registry import factories_regional as fr

pytestmark = pytest.mark.django_db

D = datetime.date
AS_OF = D(2023, 3, 1)


def at(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


def plan(org, methodist=None, hours=None, **pair):
    mentorship = f.make_mentorship(organization=org, **pair)
    return f.make_plan(mentorship, methodist=methodist, support_hours=hours)


@pytest.fixture
def methodist(school):
    return fr.make_methodist(person=f.make_person(organization=school, full_name="Смирнова Ольга Ивановна"))


def plan_values(organizations, figures):
    known = ind.registry_values(
        as_of=AS_OF,
        organizations=Organization.objects.filter(pk__in=[o.pk for o in organizations]).values("pk"),
        codes=["plans_high_deficits", "plan_support_hours"],
        figures=figures,
    )
    return {(org, code): value for (org, code), (value, _url) in known.items()}


def test_plans_with_a_methodist_and_their_hours(
    school, neighbour_school, methodist, django_assert_num_queries
):
    plan(school, methodist, 8)
    plan(school, methodist)  # hours not filled: the seed's 5
    plan(school)  # no methodist: not a plan «с высоким уровнем дефицитов»
    plan(school, methodist, 12, status="draft")  # a draft pair is not counted
    plan(school, methodist, 7, status="completed", end_date=D(2023, 2, 28))  # ended before the date
    plan(school, methodist, 3, status="completed", end_date=AS_OF)  # ends on the date: counted
    plan(neighbour_school)  # plans, none accompanied
    figures = ind.catalogue()
    with django_assert_num_queries(1):  # one GROUP BY for both figures
        values = plan_values([school, neighbour_school], figures)
    assert values == {
        (school.pk, "plans_high_deficits"): 3,
        (school.pk, "plan_support_hours"): 8 + ind.PLAN_HOURS_DEFAULT + 3,
    }
    # The neighbour is absent: the registry knows of no such plan, the campaign takes 0.
    assert ind.registry_default("plans_high_deficits", figures["plans_high_deficits"]) == 0
    assert ind.registry_default("plan_support_hours", figures["plan_support_hours"]) == 0


def test_r15_in_the_catalogue():
    r15 = Indicator.objects.get(code="R15")
    assert (r15.unit, r15.level, r15.numerator, r15.denominator) == (
        "count",
        "region",
        "plans_high_deficits",
        "",
    )
    assert ind.check_definition(r15) == {}
    assert ind.PLAN_HOURS_DEFAULT == 5


def test_r15_summed_over_a_municipality(coordinator, municipality, school, neighbour_school, methodist):
    plan(school, methodist, 10)
    plan(school, methodist)
    plan(neighbour_school, methodist, 6)
    plan(neighbour_school)
    campaign = svc.campaign_create(
        user=coordinator,
        municipality=municipality,
        indicators=["R15"],
        title="Мониторинг ИПН",
        period_start=D(2023, 3, 1),
        period_end=D(2023, 3, 15),
        as_of_date=AS_OF,
        deadline=D(2023, 3, 15),
    )
    campaign = svc.campaign_open(user=coordinator, campaign=campaign, at=at(D(2023, 3, 1)))
    prefilled = {
        (v.submission.organization_id, v.figure): v.value
        for s in campaign.submissions.all()
        for v in s.values.select_related("submission")
    }
    assert prefilled == {
        (school.pk, "plans_high_deficits"): 2,
        (neighbour_school.pk, "plans_high_deficits"): 1,
    }
    Submission.objects.filter(campaign=campaign).update(
        status=Submission.Status.SUBMITTED,
        submitted_at=at(D(2023, 3, 2)),
        first_submitted_at=at(D(2023, 3, 2)),
        on_time=True,
    )
    campaign = Campaign.objects.select_related("region", "municipality").get(pk=campaign.pk)
    report = selectors.indicator_report(campaign)
    assert report.total.values["R15"] == Value(3)
    assert report.total.values["R15"].text() == "3"
