"""The read-only API under /api/v1/ (docs/architecture.md §13), built with django-ninja.

Every answer is an aggregate of a territory inside the key's (``tokens.territory_in_scope``), never
a person. Lists are paged (``limit``/``offset``, ``next``/``previous`` links) and come as CSV with
``?format=csv`` (the same rows). Errors are JSON ``{"error": {"ru": …, "en": …, "parameter": …}}``:
401 without a valid key, 429 beyond ``API_RATE_LIMIT`` calls a minute, 400 for a malformed
parameter, 404 for a territory or a campaign the key does not reach (unknown and foreign alike).
The access log gets one row per call (``mentoring_portal.audit``, from ``request.api_token``).
"""

import csv
import datetime
import io
import time
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from ninja import NinjaAPI, Query
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import HttpBearer

from monitoring import live
from monitoring import selectors as monitoring_selectors
from monitoring.models import Campaign, Submission
from registry.models import Municipality, Region

from . import tokens

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_OFFSET = 10**7
RATE_WINDOW = 60  # seconds: API_RATE_LIMIT is calls a minute
LAST_USED_STEP = datetime.timedelta(minutes=1)  # last_used_at is written at most once a minute


class ApiError(Exception):
    def __init__(self, status: int, ru: str, en: str, parameter: str = "", headers=None):
        super().__init__(en)
        self.status, self.ru, self.en, self.parameter = status, ru, en, parameter
        self.headers = headers or {}


def _error(status, ru, en, parameter="", headers=None) -> JsonResponse:
    body = {"ru": ru, "en": en}
    if parameter:
        body["parameter"] = parameter
    response = JsonResponse({"error": body}, status=status, json_dumps_params={"ensure_ascii": False})
    for key, value in (headers or {}).items():
        response[key] = value
    return response


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <key>``: an active key, within its rate limit."""

    def authenticate(self, request, token):
        found = tokens.token_for_secret(secret=token.strip())
        if found is None:
            raise ApiError(401, "Неизвестный ключ доступа.", "Unknown access token.")
        request.api_token = found  # the access log names the key even when it is refused
        now = timezone.now()
        if found.revoked_at is not None:
            raise ApiError(401, "Ключ доступа отозван.", "The access token has been revoked.")
        if found.expires_at is not None and found.expires_at <= now:
            raise ApiError(401, "Срок действия ключа доступа истёк.", "The access token has expired.")
        _count_call(found)
        if found.last_used_at is None or now - found.last_used_at >= LAST_USED_STEP:
            type(found).objects.filter(pk=found.pk).update(last_used_at=now)
        return found


def _count_call(token) -> None:
    """A fixed one-minute window per key in the cache; beyond the limit 429 with Retry-After."""
    now = time.time()
    window = int(now // RATE_WINDOW)
    key = f"api-rate:{token.secret_hash[:32]}:{window}"  # not the pk: a new key may reuse an old one's
    cache.add(key, 0, RATE_WINDOW + 5)
    try:
        calls = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, RATE_WINDOW + 5)
        calls = 1
    if calls > settings.API_RATE_LIMIT:
        retry_after = max(1, int((window + 1) * RATE_WINDOW - now) + 1)
        raise ApiError(
            429,
            f"Слишком много запросов: не более {settings.API_RATE_LIMIT} в минуту. "
            f"Повторите через {retry_after} с.",
            f"Too many requests: at most {settings.API_RATE_LIMIT} a minute. Retry in {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
        )


api = NinjaAPI(
    title="Наставничество: данные для внешних систем",
    version="1",
    description=(
        "Read-only API: indicators and monitoring campaigns of the territories a key reaches, "
        "aggregates only. Key: `Authorization: Bearer <token>`."
    ),
    urls_namespace="api",
    openapi_url="/schema/",
    docs_url=None,  # no docs UI: it would load its scripts from a CDN; the schema is enough
    auth=TokenAuth(),
)


@api.exception_handler(ApiError)
def _api_error(request, exc):
    return _error(exc.status, exc.ru, exc.en, exc.parameter, exc.headers)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return _error(
        401,
        "Нужен ключ доступа: заголовок «Authorization: Bearer <ключ>».",
        "An access token is required: the header 'Authorization: Bearer <token>'.",
        headers={"WWW-Authenticate": "Bearer"},
    )


@api.exception_handler(ValidationError)
def _invalid(request, exc):
    return _error(400, "Неверные параметры запроса.", "Invalid request parameters.")


# ---------------------------------------------------------------- parameters


def _territory(request, code: str | None) -> tokens.Territory:
    token = request.auth
    if code is None or code == "":
        return tokens.own_territory(token=token)
    try:
        return tokens.territory_in_scope(token=token, code=code)
    except tokens.TerritoryNotFound:
        raise ApiError(
            404,
            f"Территория с кодом «{code[:40]}» не найдена среди доступных ключу.",
            f"No territory with code '{code[:40]}' within the token's reach.",
            "territory",
        ) from None


def _as_of(value: str | None) -> datetime.date:
    today = timezone.localdate()
    if value is None or value == "":
        return today
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        raise ApiError(
            400,
            "Параметр as_of: дата в виде ГГГГ-ММ-ДД, например 2025-12-16.",
            "Parameter as_of: a date as YYYY-MM-DD, e.g. 2025-12-16.",
            "as_of",
        ) from None
    if day > today:
        raise ApiError(
            400,
            f"Параметр as_of: дата {day:%d.%m.%Y} ещё не наступила.",
            f"Parameter as_of: {day.isoformat()} is in the future.",
            "as_of",
        )
    return day


def _integer(value: str | None, name: str, default: int, low: int, high: int) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        raise ApiError(
            400,
            f"Параметр {name}: целое число от {low} до {high}.",
            f"Parameter {name}: an integer from {low} to {high}.",
            name,
        )
    return number


def _format(value: str | None) -> str:
    if value in (None, "", "json", "csv"):
        return value or "json"
    raise ApiError(400, "Параметр format: json или csv.", "Parameter format: json or csv.", "format")


def _listing(request, rows: list[dict], columns: list[str], filename: str, limit, offset, fmt):
    """One page of ``rows`` as JSON (with ``count``, ``next``, ``previous``) or CSV (``Link`` header)."""
    fmt = _format(fmt)
    limit = _integer(limit, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = _integer(offset, "offset", 0, 0, MAX_OFFSET)
    page = rows[offset : offset + limit]

    def link(start):
        params = request.GET.copy()
        params["limit"], params["offset"] = str(limit), str(start)
        return request.build_absolute_uri(f"{request.path}?{urlencode(sorted(params.items()))}")

    following = link(offset + limit) if offset + limit < len(rows) else None
    preceding = link(max(0, offset - limit)) if offset > 0 else None
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(page)
        response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        response["X-Total-Count"] = str(len(rows))
        if following:
            response["Link"] = f'<{following}>; rel="next"'
        return response
    return JsonResponse(
        {"count": len(rows), "next": following, "previous": preceding, "results": page},
        json_dumps_params={"ensure_ascii": False},
    )


# ---------------------------------------------------------------- territories

TERRITORY_COLUMNS = ["code", "name", "level", "parent"]


@api.get("/territories/", url_name="territories", summary="The token's territory tree with codes")
def territories(
    request,
    limit: str | None = None,
    offset: str | None = None,
    fmt: str | None = Query(None, alias="format"),
):
    own = tokens.own_territory(token=request.auth)
    rows = []
    if own.level == "country":
        rows.append({"code": own.code, "name": own.name, "level": "country", "parent": None})
        regions = Region.objects.order_by("name").values_list("pk", "code", "name")
        municipalities = Municipality.objects.order_by("name").values_list("region", "code", "name")
    elif own.level == "region":
        regions = [(own.region.pk, own.region.code, own.region.name)]
        municipalities = (
            Municipality.objects.filter(region=own.region)
            .order_by("name")
            .values_list("region", "code", "name")
        )
    else:
        regions = []
        m = own.municipality
        municipalities = [(m.region_id, m.code, m.name)]
    by_region: dict[int, list] = {}
    for region_id, code, name in municipalities:
        by_region.setdefault(region_id, []).append((code, name))
    parent = own.code if own.level == "country" else None
    for region_id, code, name in regions:
        rows.append({"code": code, "name": name, "level": "region", "parent": parent})
        for m_code, m_name in by_region.get(region_id, []):
            rows.append({"code": m_code, "name": m_name, "level": "municipality", "parent": code})
    if own.level == "municipality":
        rows.append({"code": own.code, "name": own.name, "level": "municipality", "parent": own.region.code})
    return _listing(request, rows, TERRITORY_COLUMNS, "territories", limit, offset, fmt)


# ---------------------------------------------------------------- live indicators

INDICATOR_COLUMNS = [
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


@api.get("/indicators/", url_name="indicators", summary="Live-registry indicators per territory")
def live_indicators(
    request,
    territory: str | None = None,
    as_of: str | None = None,
    limit: str | None = None,
    offset: str | None = None,
    fmt: str | None = Query(None, alias="format"),
):
    place = _territory(request, territory)
    day = _as_of(as_of)
    _format(fmt)  # every parameter checked before the figures are computed
    _integer(limit, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    _integer(offset, "offset", 0, 0, MAX_OFFSET)
    rows = _live_rows(place, day)
    return _listing(request, rows, INDICATOR_COLUMNS, "indicators", limit, offset, fmt)


def _live_rows(place: tokens.Territory, day: datetime.date) -> list[dict]:
    """``monitoring.live``: the territory's row, then one per territory (a municipality: one per
    school) directly under it, each with the indicators that apply at its level."""
    report = live.live_indicators(
        region=place.region if place.level == "region" else None,
        municipality=place.municipality if place.level == "municipality" else None,
        as_of=day,
    )
    return [
        {
            "indicator": value.code,
            "name": value.name,
            "territory": row.code or tokens.COUNTRY_CODE,
            "territory_name": row.name,
            "level": row.level,
            "numerator": value.numerator,
            "denominator": value.denominator,
            "value": float(value.value) if value.value is not None else None,
            "unit": value.unit,
            "as_of": value.as_of.isoformat(),
        }
        for row in report.all_rows()
        for value in row.values.values()
    ]


# ---------------------------------------------------------------- campaigns

CAMPAIGN_COLUMNS = [
    "id",
    "title",
    "level",
    "region",
    "municipality",
    "status",
    "as_of_date",
    "period_start",
    "period_end",
    "deadline",
    "indicators_url",
]


def _campaigns(token):
    rows = Campaign.objects.exclude(status=Campaign.Status.DRAFT).select_related("region", "municipality")
    if token.municipality_id is not None:
        return rows.filter(
            Q(municipality=token.municipality_id)
            | Q(municipality__isnull=True, target_municipalities=token.municipality_id)
        ).distinct()
    if token.region_id is not None:
        return rows.filter(region=token.region_id)
    return rows


def _campaign(request, campaign_id: int) -> Campaign:
    campaign = _campaigns(request.auth).filter(pk=campaign_id).first()
    if campaign is None:
        raise ApiError(
            404,
            f"Мониторинг №\xa0{campaign_id} не найден среди доступных ключу.",
            f"No campaign {campaign_id} within the token's reach.",
            "id",
        )
    return campaign


@api.get("/campaigns/", url_name="campaigns", summary="Monitoring campaigns the token's territory sees")
def campaigns(
    request,
    limit: str | None = None,
    offset: str | None = None,
    fmt: str | None = Query(None, alias="format"),
):
    rows = [
        {
            "id": c.pk,
            "title": c.title,
            "level": "municipality" if c.municipality_id else "region",
            "region": c.region.code,
            "municipality": c.municipality.code if c.municipality_id else None,
            "status": c.status,
            "as_of_date": c.as_of_date.isoformat(),
            "period_start": c.period_start.isoformat(),
            "period_end": c.period_end.isoformat(),
            "deadline": c.deadline.isoformat(),
            "indicators_url": request.build_absolute_uri(f"{request.path}{c.pk}/indicators/"),
        }
        for c in _campaigns(request.auth).order_by("-as_of_date", "-pk")
    ]
    return _listing(request, rows, CAMPAIGN_COLUMNS, "campaigns", limit, offset, fmt)


CAMPAIGN_INDICATOR_COLUMNS = [*INDICATOR_COLUMNS, "expected", "responded", "accepted"]


def _value(value) -> dict:
    if value is None:
        return {"numerator": None, "denominator": None, "value": None}
    percent = value.percent if value.denominator is not None else value.numerator
    return {
        "numerator": value.numerator,
        "denominator": value.denominator,
        "value": float(percent) if percent is not None else None,
    }


@api.get(
    "/campaigns/{int:campaign_id}/indicators/",
    url_name="campaign-indicators",
    summary="A campaign's indicators per territory (sent and accepted submissions), with completeness",
)
def campaign_indicators(
    request,
    campaign_id: int,
    territory: str | None = None,
    limit: str | None = None,
    offset: str | None = None,
    fmt: str | None = Query(None, alias="format"),
):
    campaign = _campaign(request, campaign_id)
    # By default the campaign's whole territory, or the key's municipality in a regional campaign.
    if territory:
        place = _territory(request, territory)
    elif request.auth.municipality_id is not None:
        place = tokens.own_territory(token=request.auth)
    else:
        place = tokens.Territory("country", "", "")
    # The territory must lie inside the campaign too: the whole campaign, or one of its municipalities.
    if place.level == "country":
        place = tokens.Territory(
            "region" if campaign.municipality_id is None else "municipality",
            campaign.territory.code,
            campaign.territory.name,
            campaign.region,
            campaign.municipality,
        )
    whole = (
        place.level == "region" and campaign.municipality_id is None and place.region == campaign.region
    ) or (
        place.level == "municipality" and campaign.municipality_id == getattr(place.municipality, "pk", None)
    )
    in_campaign = whole or (
        place.level == "municipality"
        and campaign.municipality_id is None
        and campaign.target_municipalities.filter(pk=place.municipality.pk).exists()
    )
    if not in_campaign:
        raise ApiError(
            404,
            f"Территория с кодом «{place.code}» не входит в мониторинг №\xa0{campaign.pk}.",
            f"Territory '{place.code}' is not part of campaign {campaign.pk}.",
            "territory",
        )
    organizations = None
    if not whole:
        organizations = Submission.objects.filter(campaign=campaign, municipality=place.municipality).values(
            "organization"
        )
    report = monitoring_selectors.indicator_report(campaign, organizations=organizations)
    accepted = {
        row.municipality_id: row.accepted
        for row in monitoring_selectors.completeness(campaign, with_missing=False).by_municipality
    }
    codes = dict(
        Municipality.objects.filter(pk__in=[t.municipality_id for t in report.municipalities]).values_list(
            "pk", "code"
        )
    )
    territories = []
    if place.level == "region":
        territories.append((report.total, place.code, place.name, "region", sum(accepted.values())))
    territories += [
        (t, codes[t.municipality_id], t.name, "municipality", accepted.get(t.municipality_id, 0))
        for t in report.municipalities
    ]
    rows = [
        {
            "indicator": indicator.code,
            "name": indicator.name,
            "territory": code,
            "territory_name": name,
            "level": level,
            **_value(figures.values.get(indicator.code)),
            "unit": indicator.unit,
            "as_of": campaign.as_of_date.isoformat(),
            "expected": figures.expected,
            "responded": figures.responded,
            "accepted": n_accepted,
        }
        for figures, code, name, level, n_accepted in territories
        for indicator in report.indicators
    ]
    return _listing(request, rows, CAMPAIGN_INDICATOR_COLUMNS, f"campaign-{campaign.pk}", limit, offset, fmt)
