"""Campaign figures that do not mislead (issue 19 §4): while a campaign is open its indicators say
«собрано N из M» and the change against the previous campaign is measured only over the
organizations that answered both; the municipal and school lists are in natural order."""

import datetime

import pytest
from django.urls import reverse

from common.text import natural_key
from monitoring import campaigns as svc
from monitoring import selectors
from tests import factories as f
from tests.monitoring.test_campaign_views import make_campaign, registry_for, row_of, submission_of, week_ago

pytestmark = pytest.mark.django_db
NBSP = "\xa0"


def test_natural_key_orders_numbers_as_numbers():
    names = ["СОШ № 19", "СОШ № 2", "сош № 1", "СОШ № 10", "Гимназия № 3", "СОШ № 2а"]
    assert sorted(names, key=natural_key) == [
        "Гимназия № 3",
        "сош № 1",
        "СОШ № 2",
        "СОШ № 2а",
        "СОШ № 10",
        "СОШ № 19",
    ]
    assert natural_key("Ёлочка № 5") == natural_key("елочка № 5")


def value(answer: str):
    return {"value": answer, "url": "https://school.example.ru/nast"} if answer == "да" else answer


@pytest.fixture
def area(region):
    """Four schools named so that text order differs from natural order; a closed campaign that schools
    1 and 2 answered, an open one that schools 1 and 3 answered so far."""
    municipality = f.make_municipality(region=region)
    schools = [
        f.make_organization(municipality=municipality, full_name=f"МБОУ «СОШ № {n}»", short_name=f"СОШ № {n}")
        for n in (10, 2, 19, 1)
    ]
    registry_for(*schools, as_of=week_ago())
    coordinator = f.make_user(role="coordinator", municipality=municipality)
    curators = [f.make_user(role="curator", organization=school) for school in schools]
    before = svc.campaign_open(
        user=coordinator,
        campaign=make_campaign(
            coordinator, municipality, title="Прошлый", as_of_date=week_ago() - datetime.timedelta(days=1)
        ),
    )
    for i, answer in ((0, "да"), (1, "нет")):
        svc.submission_submit(
            user=curators[i],
            submission=submission_of(before, schools[i]),
            values={"regulation_on_site": value(answer)},
        )
    svc.campaign_close(user=coordinator, campaign=before)
    campaign = svc.campaign_open(user=coordinator, campaign=make_campaign(coordinator, municipality))
    for i in (0, 2):
        svc.submission_submit(
            user=curators[i],
            submission=submission_of(campaign, schools[i]),
            values={"regulation_on_site": value("да")},
        )
    return {"coordinator": coordinator, "schools": schools, "campaign": campaign, "before": before}


def test_an_open_campaign_says_how_much_is_collected(client, area):
    client.force_login(area["coordinator"])
    response = client.get(reverse("monitoring:campaign-detail", args=[area["campaign"].pk]))
    body = response.content.decode()
    assert "собрано 2 из 4 отчётов, показатели предварительные" in body
    assert "собрано 2 из 4" in row_of(response, "indicators", "data-indicator", "R6")


def test_the_change_is_measured_over_the_organizations_that_answered_both(client, area):
    client.force_login(area["coordinator"])
    response = client.get(reverse("monitoring:campaign-detail", args=[area["campaign"].pk]))
    # Only school 1 («СОШ № 10») answered both: «да» then and now; school 2's «нет» of last time and
    # school 3's «да» of this time are not compared with anything.
    assert 'по организациям, ответившим в обоих мониторингах: <span data-figure="compared">1</span>' in (
        response.content.decode()
    )
    row = row_of(response, "indicators", "data-indicator", "R6")
    assert f"2 из 4, 50{NBSP}%" in row  # the value itself: every organization of the campaign
    assert f"1 из 1, 100{NBSP}%" in row  # the previous campaign over the same one organization
    assert "+" not in row.split("100")[-1]  # no rise made of schools that have not answered yet
    assert list(selectors.answered_both(area["campaign"], area["before"])) == [
        {"organization": area["schools"][0].pk}
    ]


def test_a_closed_campaign_is_compared_as_a_whole(client, area):
    svc.campaign_close(user=area["coordinator"], campaign=area["campaign"])
    client.force_login(area["coordinator"])
    response = client.get(reverse("monitoring:campaign-detail", args=[area["campaign"].pk]))
    body = response.content.decode()
    assert "собрано" not in body and "ответившим в обоих" not in body


def test_the_lists_of_schools_are_in_natural_order(area):
    schools = area["schools"]  # № 10, № 2, № 19, № 1
    rows = selectors.organization_indicators(area["campaign"])
    assert [row.organization_id for row in rows] == [schools[i].pk for i in (3, 1, 0, 2)]
    missing = selectors.missing_organizations(area["campaign"])
    assert [row.organization_id for row in missing] == [area["schools"][3].pk, area["schools"][1].pk]


def test_the_operators_dashboard_lists_municipalities_in_natural_order(client, region, operator):
    for n in (10, 2, 1):
        f.make_municipality(region=region, name=f"Городской округ № {n}")
    client.force_login(operator)
    body = client.get(reverse("dashboard")).content.decode()
    positions = [body.index(f"Городской округ №\xa0{n}</a>") for n in (1, 2, 10)]
    assert positions == sorted(positions)
