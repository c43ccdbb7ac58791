"""What a report covers and what it is built from (docs/architecture.md §8): the scope (organization,
municipality or
region) and the source (a closed campaign, a road map, or the live registry as of a date).

``resolve`` is shared by ``manage.py build_report`` and the «Отчёты» page. With a user, every lookup
goes through ``registry.access``: a scope or source outside the user's territory is «не найден», exactly
as if it did not exist. Without a user (the command line) the whole installation is visible.
"""

import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from monitoring.models import Campaign, RoadMap
from registry import access
from registry.models import Municipality, Organization, Region

from .models import Kind, Report

CAMPAIGN_KINDS = {Kind.MONITORING_REPORT}
ROADMAP_KINDS = {Kind.ROADMAP_NOTE, Kind.ROADMAP_REPORT}


class ReportError(Exception):
    """A scope or source that does not exist or does not fit the report; the message is for people."""


def _visible(user, queryset: QuerySet) -> QuerySet:
    return queryset if user is None else access.scoped(user, queryset)


def _by_id_or_title(queryset: QuerySet, value: str, what: str):
    """An object by its id or by its exact title; several with that title is an error, not a guess."""
    value = str(value).strip()
    if value.isdigit():
        found = queryset.filter(pk=int(value)).first()
        if found is not None:
            return found
    matches = list(queryset.filter(title=value)[:2])
    if len(matches) > 1:
        raise ReportError(f"{what} «{value}»: найдено несколько с таким наименованием, укажите номер (id).")
    if not matches:
        raise ReportError(f"{what} «{value}» не найден(а) или недоступен(на).")
    return matches[0]


def _region_of(user) -> Region:
    """The region of a report without a narrower territory: the one the user sees (an admin's and the
    command line's only when the installation holds one region)."""
    regions = list(_visible(user, Region.objects.order_by("pk"))[:2])
    if len(regions) != 1:
        raise ReportError(
            "В портале несколько регионов (или ни одного): укажите муниципалитет или организацию."
        )
    return regions[0]


def _by_code(user, queryset: QuerySet, value, missing: str):
    """A territory given as a model instance (checked against the scope all the same) or its code."""
    if isinstance(value, queryset.model):
        found = _visible(user, queryset).filter(pk=value.pk).first()
    else:
        found = _visible(user, queryset).filter(code=str(value).strip()).first()
    if found is None:
        raise ReportError(missing)
    return found


def _in_scope(user, queryset: QuerySet, value, what: str):
    """A source given as a model instance (re-read through the allowed queryset) or its id or title."""
    if isinstance(value, queryset.model):
        found = queryset.filter(pk=value.pk).first()
        if found is None:
            raise ReportError(f"{what} «{value}» не относится к этой территории или недоступен(на).")
        return found
    return _by_id_or_title(queryset, value, what)


def resolve(
    user,
    kind: str,
    *,
    municipality: str | Municipality | None = None,
    organization: str | Organization | None = None,
    campaign: str | Campaign | None = None,
    roadmap: str | RoadMap | None = None,
    as_of: datetime.date | None = None,
) -> Report:
    """An unsaved ``Report`` for ``kind`` over the scope and source asked for; ``ReportError`` otherwise.

    Codes and ids (strings) come from the command line; model instances from the page's form — both
    are looked up again through the user's scope and checked against the report's territory.
    """
    if kind not in Kind.values:
        raise ReportError(f"Неизвестный вид отчёта «{kind}». Возможные: {', '.join(Kind.values)}.")
    if sum(x is not None and x != "" for x in (campaign, roadmap, as_of)) > 1:
        raise ReportError("Укажите один источник: мониторинг, дорожную карту или дату.")
    if municipality and organization:
        raise ReportError("Укажите одну территорию: муниципалитет или организацию.")
    if campaign and kind not in CAMPAIGN_KINDS:
        raise ReportError("Этот вид отчёта строится не по мониторингу: укажите дорожную карту или дату.")
    if roadmap and kind not in ROADMAP_KINDS and kind != Kind.SCHOOL_NOTE:
        raise ReportError("Этот вид отчёта строится не по дорожной карте.")

    if user is not None and not municipality and not organization and not roadmap:
        # A coordinator's and a curator's reports cover their own territory unless told otherwise
        # (a road map brings its owner as the territory).
        scope = access.user_scope(user)
        if scope is not None and not access.is_admin(user):
            organization = scope.organization
            municipality = scope.municipality

    report = Report(kind=kind)
    if organization:
        organization = _by_code(
            user,
            Organization.objects.select_related("municipality__region"),
            organization,
            "Организация с таким кодом не найдена или недоступна.",
        )
        report.organization = organization
        report.municipality = organization.municipality
        report.region = organization.municipality.region
    elif municipality:
        municipality = _by_code(
            user,
            Municipality.objects.select_related("region"),
            municipality,
            "Муниципалитет с таким кодом не найден или недоступен.",
        )
        report.municipality = municipality
        report.region = municipality.region

    _refuse_school_level(report)
    if kind in CAMPAIGN_KINDS and not as_of:
        # A date asks for the live registry; without one a finished campaign is the default, and the
        # registry as of today where the territory has none (docs/architecture.md §8).
        report.campaign = _campaign(user, report, campaign)
    if kind in ROADMAP_KINDS or (kind == Kind.SCHOOL_NOTE and roadmap):
        report.roadmap = _roadmap(user, report, roadmap)
    if report.campaign_id is None and report.roadmap_id is None:
        report.as_of = as_of or timezone.localdate()
    if not report.region_id:
        report.region = _region_of(user)
    _refuse_school_level(report)  # a school's road map brings the school as the territory

    if kind == Kind.SCHOOL_NOTE and not report.organization_id:
        raise ReportError(
            "Справка ОО составляется по одной организации: укажите организацию (--organization)."
        )
    if user is not None and not access.is_admin(user):
        _check_territory(user, report)
    return report


def _refuse_school_level(report: Report) -> None:
    """Campaign, contest and practice figures are a municipality's or a region's: a school's report of
    those kinds would show its municipality's totals under the school's name."""
    if report.kind in (Kind.MONITORING_REPORT, Kind.ROADMAP_REPORT) and report.organization_id:
        raise ReportError(
            "Этот вид отчёта составляется по муниципалитету или региону; для организации — справка ОО."
        )


def _campaign(user, report: Report, value) -> Campaign | None:
    """A finished campaign covering the report's territory (by default: its latest one; None when it
    has none, and the report reads the live registry)."""
    campaigns = _visible(user, Campaign.objects.select_related("region", "municipality"))
    if report.municipality_id:
        campaigns = campaigns.filter(
            Q(municipality=report.municipality) | Q(municipality__isnull=True),
            target_municipalities=report.municipality,
        )
    elif report.region_id:
        campaigns = campaigns.filter(region=report.region)
    campaigns = campaigns.distinct()
    if value is None or value == "":
        finished = campaigns.filter(status__in=Campaign.FINISHED)
        own = None
        if report.municipality_id:
            # A municipality's own campaigns first, then the regional ones covering it.
            own = finished.filter(municipality=report.municipality).order_by("-as_of_date", "-pk").first()
        campaign = own or finished.order_by("-as_of_date", "-pk").first()
        if campaign is None:
            return None
    else:
        campaign = _in_scope(user, campaigns, value, "Мониторинг")
    if campaign.status not in Campaign.FINISHED:
        raise ReportError(
            f"Мониторинг «{campaign.title}» ещё не завершён ({campaign.get_status_display()}): "
            "отчёт строится по завершённому сбору."
        )
    if not report.municipality_id and campaign.municipality_id:
        report.municipality = campaign.municipality
    report.region = campaign.region
    return campaign


def _roadmap(user, report: Report, value) -> RoadMap:
    """A road map of the report's territory or within it (by default: the territory's latest own map)."""
    roadmaps = _visible(user, RoadMap.objects.select_related("region", "municipality", "organization"))
    if report.organization_id:
        within = roadmaps.filter(organization=report.organization)
    elif report.municipality_id:
        within = roadmaps.filter(municipality=report.municipality)
    elif report.region_id:
        within = roadmaps.filter(region=report.region)
    else:
        within = roadmaps
    if value is None or value == "":
        own = within
        if report.municipality_id and not report.organization_id:
            own = within.filter(organization__isnull=True)
        elif not report.municipality_id:
            own = within.filter(level=RoadMap.Level.REGION)
        roadmap = own.order_by("-period_start", "-pk").first()
        if roadmap is None:
            raise ReportError("Нет дорожной карты для этой территории: укажите дорожную карту.")
    else:
        roadmap = _in_scope(user, within, value, "Дорожная карта")
    # The territory is the road map's owner unless a narrower one was asked for.
    if not report.organization_id and not report.municipality_id:
        report.organization = roadmap.organization
        report.municipality = roadmap.municipality
    report.region = roadmap.region
    return roadmap


def _check_territory(user, report: Report) -> None:
    """The report's territory must lie in the user's own (a coordinator cannot build the region's):
    ``access.in_territory``, the territory test of the write rules."""
    if not access.in_territory(user, report):
        raise ReportError("Отчёт по этой территории вам недоступен: выберите свою территорию.")
