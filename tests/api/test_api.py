"""The read-only API /api/v1/ (docs/architecture.md §13, docs/reliability.md §2 «API keys»).

Every endpoint is called with a key of the territory and with a neighbour's key (another
municipality, another region): the neighbour gets 404 for the foreign territory or campaign and
never its figures. Revoked, expired and missing keys get 401; a burst beyond API_RATE_LIMIT 429.
"""

import csv
import datetime
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from mentoring_portal.api import tokens
from mentoring_portal.models import AccessLogEntry, ApiToken
from monitoring import campaigns as svc
from monitoring.models import Submission, SubmissionValue
from tests import factories as f

pytestmark = pytest.mark.django_db

D = datetime.date
CAMPAIGN = {
    "title": "Мониторинг наставничества",
    "period_start": D(2022, 12, 16),
    "period_end": D(2022, 12, 30),
    "as_of_date": D(2022, 12, 16),
    "deadline": D(2022, 12, 30),
}


def at(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


def key(**territory):
    return tokens.token_create(name=f"Система {f.n()}", **territory)[1]


def get(client, url, secret=None, **params):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"} if secret else {}
    return client.get(url, params, **headers)


def accept(campaign, figures: dict):
    """Every submission of the campaign accepted with ``figures[organization] = (mentors, teachers)``."""
    now = at(D(2022, 12, 20))
    for submission in Submission.objects.filter(campaign=campaign).select_related("organization"):
        mentors, teachers = figures[submission.organization_id]
        for figure, value in (("mentors:teacher_teacher", mentors), ("teachers", teachers)):
            SubmissionValue.objects.update_or_create(
                submission=submission, figure=figure, defaults={"value": value, "registry_value": value}
            )
        Submission.objects.filter(pk=submission.pk).update(
            status=Submission.Status.ACCEPTED,
            submitted_at=now,
            first_submitted_at=now,
            on_time=True,
            accepted_at=now,
        )


@pytest.fixture
def world(
    region,
    municipality,
    other_municipality,
    school,
    neighbour_school,
    other_school,
    operator,
    other_coordinator,
):
    foreign_region = f.make_region(name="Соседняя область")
    foreign_municipality = f.make_municipality(region=foreign_region, name="Дальний район")
    foreign_school = f.make_organization(municipality=foreign_municipality)
    foreign_operator = f.make_user(role="operator", region=foreign_region)
    regional = svc.campaign_create(user=operator, region=region, indicators=["R1"], **CAMPAIGN)
    svc.campaign_open(user=operator, campaign=regional, at=at(D(2022, 12, 16)))
    municipal = svc.campaign_create(
        user=other_coordinator, municipality=other_municipality, indicators=["R1"], **CAMPAIGN
    )
    svc.campaign_open(user=other_coordinator, campaign=municipal, at=at(D(2022, 12, 16)))
    foreign = svc.campaign_create(user=foreign_operator, region=foreign_region, indicators=["R1"], **CAMPAIGN)
    svc.campaign_open(user=foreign_operator, campaign=foreign, at=at(D(2022, 12, 16)))
    figures = {
        school.pk: (2, 20),
        neighbour_school.pk: (1, 30),
        other_school.pk: (5, 10),
        foreign_school.pk: (9, 9),
    }
    for campaign in (regional, municipal, foreign):
        accept(campaign, figures)
    return {
        "region": region,
        "municipality": municipality,
        "other_municipality": other_municipality,
        "foreign_region": foreign_region,
        "foreign_municipality": foreign_municipality,
        "regional": regional,
        "municipal": municipal,
        "foreign": foreign,
    }


# ---------------------------------------------------------------- keys


def test_no_header_unknown_revoked_and_expired_keys_get_401_in_russian_and_english(client, world):
    url = "/api/v1/territories/"
    response = get(client, url)
    assert response.status_code == 401
    assert response.json()["error"]["ru"].startswith("Нужен ключ доступа")
    assert response["WWW-Authenticate"] == "Bearer"
    assert get(client, url, "garbage").json()["error"]["en"] == "Unknown access token."
    assert client.get(url, HTTP_AUTHORIZATION="Basic abc").status_code == 401

    revoked_token, revoked = tokens.token_create(name="Отозванный", region=world["region"])
    tokens.token_revoke(token=revoked_token)
    response = get(client, url, revoked)
    assert (response.status_code, response.json()["error"]["ru"]) == (401, "Ключ доступа отозван.")

    expired = tokens.token_create(
        name="Просроченный", region=world["region"], expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )[1]
    response = get(client, url, expired)
    assert (response.status_code, response.json()["error"]["ru"]) == (
        401,
        "Срок действия ключа доступа истёк.",
    )
    assert get(client, url, key(region=world["region"])).status_code == 200


def test_keys_are_stored_hashed_and_the_database_never_holds_the_secret(world):
    token, secret = tokens.token_create(name="Хеш", region=world["region"])
    token.refresh_from_db()
    assert token.secret_hash == tokens.hash_secret(secret) != secret
    assert token.prefix == secret[:8] and len(secret) >= 43
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM mentoring_portal_apitoken")
        stored = " ".join(str(value) for row in cursor.fetchall() for value in row)
    assert secret not in stored and token.secret_hash in stored


def test_the_command_prints_a_working_key_alone_on_its_last_line(client, world):
    out = io.StringIO()
    call_command(
        "create_api_token",
        "--name",
        "ФИС ФРДО",
        "--territory",
        world["municipality"].name,
        "--days",
        "30",
        stdout=out,
    )
    secret = out.getvalue().strip().splitlines()[-1]
    assert " " not in secret and len(secret) >= 43
    token = ApiToken.objects.get(name="ФИС ФРДО")
    assert token.municipality == world["municipality"] and token.region is None
    assert datetime.timedelta(days=29) < token.expires_at - timezone.now() <= datetime.timedelta(days=30)
    response = get(client, "/api/v1/territories/", secret)
    assert [row["code"] for row in response.json()["results"]] == [world["municipality"].code]

    out = io.StringIO()
    call_command(
        "create_api_token", "--name", "Минпросвещения", "--territory", "Российская Федерация", stdout=out
    )
    country = ApiToken.objects.get(name="Минпросвещения")
    assert country.region is None and country.municipality is None and country.expires_at is None
    call_command(
        "create_api_token", "--name", "Область", "--territory", world["region"].code, stdout=io.StringIO()
    )
    assert ApiToken.objects.get(name="Область").region == world["region"]


def test_the_command_refuses_an_unknown_or_ambiguous_territory_in_russian(world):
    with pytest.raises(CommandError, match="Территория «Нигде» не найдена"):
        call_command("create_api_token", "--name", "X", "--territory", "Нигде")
    f.make_municipality(region=world["foreign_region"], name=world["municipality"].name)
    with pytest.raises(CommandError, match="носят несколько территорий"):
        call_command("create_api_token", "--name", "X", "--territory", world["municipality"].name)
    with pytest.raises(CommandError, match="--days"):
        call_command("create_api_token", "--name", "X", "--territory", "RU", "--days", "0")
    assert not ApiToken.objects.exists()


def test_every_call_is_in_the_access_log_with_the_key_path_and_status(client, world):
    token, secret = tokens.token_create(name="Журнал", region=world["region"])
    get(client, "/api/v1/territories/", secret, limit="2")
    get(client, "/api/v1/indicators/", secret, territory=world["foreign_region"].code)
    get(client, "/api/v1/campaigns/")
    rows = list(AccessLogEntry.objects.filter(action=AccessLogEntry.Action.API).order_by("id"))
    assert [(r.username, r.object_id, r.status) for r in rows] == [
        ("API: Журнал", token.prefix, 200),
        ("API: Журнал", token.prefix, 404),
        ("", "", 401),
    ]
    assert rows[0].details == "/api/v1/territories/?limit=2" and rows[0].url_name == "api:territories"
    assert all(secret not in (r.details + r.username + r.object_id) for r in rows)
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_burst_beyond_the_rate_limit_gets_429_with_retry_after(client, world, settings):
    settings.API_RATE_LIMIT = 3
    secret = key(region=world["region"])
    other = key(region=world["region"])
    statuses = [get(client, "/api/v1/territories/", secret).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = get(client, "/api/v1/territories/", secret)
    assert 1 <= int(refused["Retry-After"]) <= 61
    assert "не более 3 в минуту" in refused.json()["error"]["ru"]
    assert get(client, "/api/v1/territories/", other).status_code == 200  # per key


# ---------------------------------------------------------------- territories


def test_territories_are_the_keys_tree_with_codes(client, world, django_assert_max_num_queries):
    region, m1, m2 = world["region"], world["municipality"], world["other_municipality"]
    secret = key(region=region)
    with django_assert_max_num_queries(4):  # the key, last use, municipalities, the log entry
        rows = get(client, "/api/v1/territories/", secret).json()["results"]
    assert rows == [
        {"code": region.code, "name": region.name, "level": "region", "parent": None},
        {"code": m1.code, "name": m1.name, "level": "municipality", "parent": region.code},
        {"code": m2.code, "name": m2.name, "level": "municipality", "parent": region.code},
    ]
    rows = get(client, "/api/v1/territories/", key(municipality=m2)).json()["results"]
    assert rows == [{"code": m2.code, "name": m2.name, "level": "municipality", "parent": region.code}]
    rows = get(client, "/api/v1/territories/", key()).json()["results"]
    assert rows[0] == {"code": "RU", "name": "Российская Федерация", "level": "country", "parent": None}
    assert {row["code"] for row in rows} >= {
        region.code,
        world["foreign_region"].code,
        world["foreign_municipality"].code,
    }
    assert world["foreign_region"].code not in json.dumps(
        get(client, "/api/v1/territories/", key(region=region)).json()
    )


def test_paging_with_next_and_previous_links_and_csv_of_the_same_rows(client, world):
    secret = key(region=world["region"])
    first = get(client, "/api/v1/territories/", secret, limit="2").json()
    assert first["count"] == 3 and len(first["results"]) == 2 and first["previous"] is None
    assert first["next"].startswith("http://testserver/api/v1/territories/?")
    second = client.get(first["next"], HTTP_AUTHORIZATION=f"Bearer {secret}").json()
    assert second["next"] is None and second["previous"] is not None
    assert [r["code"] for r in first["results"] + second["results"]] == [
        world["region"].code,
        world["municipality"].code,
        world["other_municipality"].code,
    ]
    response = get(client, "/api/v1/territories/", secret, format="csv", limit="2")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'rel="next"' in response["Link"] and response["X-Total-Count"] == "3"
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [dict(r) for r in rows] == [{k: v or "" for k, v in r.items()} for r in first["results"]]


@pytest.mark.parametrize(
    "params, parameter, message",
    [
        ({"limit": "abc"}, "limit", "Параметр limit: целое число от 1 до 1000."),
        ({"limit": "0"}, "limit", "Параметр limit: целое число от 1 до 1000."),
        ({"offset": "-1"}, "offset", "Параметр offset"),
        ({"format": "xlsx"}, "format", "Параметр format: json или csv."),
    ],
)
def test_bad_paging_parameters_are_400_naming_the_parameter(client, world, params, parameter, message):
    response = get(client, "/api/v1/campaigns/", key(region=world["region"]), **params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["parameter"] == parameter and error["ru"].startswith(message) and error["en"]


# ---------------------------------------------------------------- live indicators


@pytest.mark.parametrize(
    "params, status, parameter",
    [
        ({"as_of": "16.12.2022"}, 400, "as_of"),
        ({"as_of": "2022-02-30"}, 400, "as_of"),
        ({"as_of": "2999-01-01"}, 400, "as_of"),
        ({"territory": "NOPE"}, 404, "territory"),
        ({"territory": "M\x00"}, 404, "territory"),
        ({"territory": "x" * 300}, 404, "territory"),
    ],
)
def test_live_indicators_refuse_bad_parameters(client, world, params, status, parameter):
    response = get(client, "/api/v1/indicators/", key(region=world["region"]), **params)
    assert response.status_code == status
    assert response.json()["error"]["parameter"] == parameter
    assert response.json()["error"]["ru"]


def test_live_indicators_never_reach_a_neighbours_territory(client, world):
    m1, m2 = world["municipality"], world["other_municipality"]
    for secret, foreign in [
        (key(municipality=m1), m2.code),
        (key(municipality=m1), world["region"].code),
        (key(region=world["region"]), world["foreign_region"].code),
        (key(region=world["region"]), world["foreign_municipality"].code),
        (key(region=world["region"]), "RU"),
    ]:
        response = get(client, "/api/v1/indicators/", secret, territory=foreign)
        assert response.status_code == 404, foreign
        assert "не найдена среди доступных ключу" in response.json()["error"]["ru"]


@pytest.fixture
def registry(world, school, neighbour_school, other_school):
    """Teachers and «учитель – учитель» pairs on 16.12.2022: R1 = mentors ÷ teachers."""
    for org, teachers, pairs in ((school, 20, 2), (neighbour_school, 30, 1), (other_school, 10, 3)):
        f.make_headcount(organization=org, teachers=teachers, young_specialists=5)
        for _ in range(pairs):
            f.make_mentorship(organization=org)
    foreign_school = f.make_organization(municipality=world["foreign_municipality"])
    f.make_headcount(organization=foreign_school, teachers=7, young_specialists=1)
    for _ in range(4):
        f.make_mentorship(organization=foreign_school)
    return world


def _r1(rows):
    return {
        row["territory"]: (row["numerator"], row["denominator"]) for row in rows if row["indicator"] == "R1"
    }


def test_live_indicators_of_a_region_and_each_municipality(client, registry, django_assert_max_num_queries):
    region, m1, m2 = registry["region"], registry["municipality"], registry["other_municipality"]
    secret = key(region=region)
    with django_assert_max_num_queries(17):  # the key, last use, live_indicators' fixed set, the log
        response = get(client, "/api/v1/indicators/", secret, as_of="2022-12-16", limit="1000")
    rows = response.json()["results"]
    assert _r1(rows) == {region.code: (6, 60), m1.code: (3, 50), m2.code: (3, 10)}
    first = next(row for row in rows if row["indicator"] == "R1" and row["territory"] == region.code)
    assert first == {
        "indicator": "R1",
        "name": first["name"],
        "territory": region.code,
        "territory_name": region.name,
        "level": "region",
        "numerator": 6,
        "denominator": 60,
        "value": 10.0,
        "unit": "share",
        "as_of": "2022-12-16",
    }
    assert registry["foreign_region"].code not in response.content.decode()
    assert registry["foreign_municipality"].code not in response.content.decode()


def test_live_indicators_of_a_municipality_the_country_and_as_csv(client, registry, school, neighbour_school):
    m1 = registry["municipality"]
    rows = get(client, "/api/v1/indicators/", key(municipality=m1), as_of="2022-12-16", limit="1000").json()
    assert _r1(rows["results"]) == {m1.code: (3, 50), school.code: (2, 20), neighbour_school.code: (1, 30)}
    country = get(client, "/api/v1/indicators/", key(), territory="RU", as_of="2022-12-16", limit="1000")
    assert _r1(country.json()["results"]) == {
        "RU": (10, 67),
        registry["region"].code: (6, 60),
        registry["foreign_region"].code: (4, 7),
    }
    response = get(
        client, "/api/v1/indicators/", key(region=registry["region"]), as_of="2022-12-16", format="csv"
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert list(rows[0]) == [
        "indicator",
        "name",
        "territory",
        "territory_name",
        "level",
        "numerator",
        "denominator",
        "value",
        "unit",
        "as_of",
    ]
    assert {(r["territory"], r["numerator"], r["denominator"]) for r in rows if r["indicator"] == "R1"} == {
        (registry["region"].code, "6", "60"),
        (m1.code, "3", "50"),
        (registry["other_municipality"].code, "3", "10"),
    }


def test_live_indicators_default_to_the_keys_territory_and_today(client, registry):
    rows = get(client, "/api/v1/indicators/", key(municipality=registry["other_municipality"])).json()[
        "results"
    ]
    assert {row["as_of"] for row in rows} == {timezone.localdate().isoformat()}
    assert {row["territory"] for row in rows if row["level"] == "municipality"} == {
        registry["other_municipality"].code
    }


# ---------------------------------------------------------------- campaigns


def test_campaigns_visible_to_each_key(client, world, django_assert_max_num_queries):
    regional, municipal, foreign = world["regional"], world["municipal"], world["foreign"]

    def ids(secret):
        return {row["id"] for row in get(client, "/api/v1/campaigns/", secret).json()["results"]}

    secret = key(region=world["region"])
    with django_assert_max_num_queries(4):  # the key, last use, campaigns, the log entry
        assert ids(secret) == {regional.pk, municipal.pk}
    assert ids(key(municipality=world["municipality"])) == {regional.pk}
    assert ids(key(municipality=world["other_municipality"])) == {regional.pk, municipal.pk}
    assert ids(key(region=world["foreign_region"])) == {foreign.pk}
    assert ids(key()) == {regional.pk, municipal.pk, foreign.pk}
    row = get(client, "/api/v1/campaigns/", key(region=world["foreign_region"])).json()["results"][0]
    assert row["indicators_url"] == f"http://testserver/api/v1/campaigns/{foreign.pk}/indicators/"
    assert row["level"] == "region" and row["as_of_date"] == "2022-12-16"


def _by_territory(rows):
    return {row["territory"]: row for row in rows}


def test_campaign_indicators_of_the_region_and_each_municipality_with_completeness(
    client, world, django_assert_max_num_queries
):
    secret = key(region=world["region"])
    url = f"/api/v1/campaigns/{world['regional'].pk}/indicators/"
    with django_assert_max_num_queries(10):  # + the approval rows of a regional campaign
        rows = get(client, url, secret).json()["results"]
    rows = _by_territory(rows)
    region, m1, m2 = world["region"], world["municipality"], world["other_municipality"]
    assert rows[region.code] == {
        "indicator": "R1",
        "name": rows[region.code]["name"],
        "territory": region.code,
        "territory_name": region.name,
        "level": "region",
        "numerator": 8,
        "denominator": 60,
        "value": 13.3,
        "unit": "share",
        "as_of": "2022-12-16",
        "expected": 3,
        "responded": 3,
        "accepted": 3,
    }
    assert (rows[m1.code]["numerator"], rows[m1.code]["denominator"], rows[m1.code]["value"]) == (3, 50, 6.0)
    assert (rows[m2.code]["numerator"], rows[m2.code]["expected"], rows[m2.code]["accepted"]) == (5, 1, 1)

    only_m1 = get(client, url, secret, territory=m1.code).json()["results"]
    assert [(r["territory"], r["numerator"]) for r in only_m1] == [(m1.code, 3)]
    csv_rows = list(
        csv.DictReader(io.StringIO(get(client, url, secret, format="csv").content.decode("utf-8-sig")))
    )
    assert {(r["territory"], r["numerator"], r["accepted"]) for r in csv_rows} == {
        (region.code, "8", "3"),
        (m1.code, "3", "2"),
        (m2.code, "5", "1"),
    }


def test_a_municipalitys_key_reads_only_its_own_part_of_a_regional_campaign(client, world):
    m1, m2 = world["municipality"], world["other_municipality"]
    url = f"/api/v1/campaigns/{world['regional'].pk}/indicators/"
    secret = key(municipality=m1)
    rows = get(client, url, secret).json()["results"]
    assert [(r["territory"], r["numerator"], r["denominator"]) for r in rows] == [(m1.code, 3, 50)]
    for territory in (m2.code, world["region"].code):
        response = get(client, url, secret, territory=territory)
        assert response.status_code == 404 and "numerator" not in response.content.decode()


def test_a_neighbours_key_gets_404_for_foreign_campaigns_and_never_their_figures(client, world):
    m1 = world["municipality"]
    municipal = f"/api/v1/campaigns/{world['municipal'].pk}/indicators/"
    foreign = f"/api/v1/campaigns/{world['foreign'].pk}/indicators/"
    for secret, url in [
        (key(municipality=m1), municipal),
        (key(region=world["region"]), foreign),
        (key(region=world["foreign_region"]), municipal),
        (
            key(municipality=world["foreign_municipality"]),
            f"/api/v1/campaigns/{world['regional'].pk}/indicators/",
        ),
    ]:
        response = get(client, url, secret)
        assert response.status_code == 404
        assert response.json()["error"]["parameter"] == "id"
        assert "мониторинг" in response.json()["error"]["ru"].lower()
    # A municipality of the region that the regional campaign does not target: 404 by territory.
    secret = key(region=world["region"])
    response = get(client, municipal, secret, territory=world["municipality"].code)
    assert response.status_code == 404 and response.json()["error"]["parameter"] == "territory"
    assert get(client, "/api/v1/campaigns/999999/indicators/", secret).status_code == 404
    assert get(client, f"/api/v1/campaigns/{10**20}/indicators/", secret).status_code == 404
    assert (
        client.get("/api/v1/campaigns/abc/indicators/", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code
        == 404
    )


def test_a_country_key_reads_any_campaign_whole(client, world):
    rows = get(client, f"/api/v1/campaigns/{world['foreign'].pk}/indicators/", key()).json()["results"]
    assert {(r["territory"], r["numerator"]) for r in rows} == {
        (world["foreign_region"].code, 9),
        (world["foreign_municipality"].code, 9),
    }


# ---------------------------------------------------------------- the schema


def test_the_schema_is_json_listing_every_path_and_needs_no_key(client):
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert set(schema["paths"]) == {
        "/api/v1/territories/",
        "/api/v1/indicators/",
        "/api/v1/campaigns/",
        "/api/v1/campaigns/{campaign_id}/indicators/",
    }
    assert schema["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"
    parameters = {p["name"] for p in schema["paths"]["/api/v1/indicators/"]["get"]["parameters"]}
    assert {"territory", "as_of", "limit", "offset", "format"} <= parameters
    assert client.get("/api/v1/docs").status_code == 404  # no docs UI loading scripts from a CDN


# ---------------------------------------------------------------- the admin


def test_the_admin_lists_keys_with_expiry_and_revokes_them_never_showing_a_secret(
    client_for, admin_user, world
):
    expires = timezone.now() + datetime.timedelta(days=10)
    token, secret = tokens.token_create(
        name="Региональная система", region=world["region"], expires_at=expires
    )
    client = client_for(admin_user)
    page = client.get("/admin/mentoring_portal/apitoken/").content.decode()
    assert "Региональная система" in page and world["region"].name in page and "действует" in page
    assert timezone.localtime(expires).strftime("%d.%m.%Y") in page or str(expires.year) in page
    assert secret not in page and token.secret_hash not in page
    assert secret not in client.get(f"/admin/mentoring_portal/apitoken/{token.pk}/change/").content.decode()
    assert client.get("/admin/mentoring_portal/apitoken/add/").status_code == 403
    response = client.post(
        "/admin/mentoring_portal/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}, follow=True
    )
    assert "Отозвано ключей: 1." in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert get(client_for(admin_user), "/api/v1/territories/", secret).status_code == 401
