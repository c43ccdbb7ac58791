"""What a report covers and what it is built from (DESIGN §5): the scope (organization, municipality or
region) and the source (a closed campaign, a road map, or the live registry as of a date).

``resolve`` is shared by ``manage.py build_report`` and the «Отчеты» page. With a user, every lookup
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
FINISHED = (Campaign.Status.CLOSED, Campaign.Status.PUBLISHED)


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
    if user is not None and not access.is_admin(user):
        scope = access.user_scope(user)
        if scope is None:
            raise ReportError("У пользователя нет территории: отчёты недоступны.")
        if scope.region_id:
            return scope.region
        if scope.municipality_id:
            return scope.municipality.region
        return scope.organization.municipality.region
    regions = list(Region.objects.order_by("pk")[:2])
    if len(regions) != 1:
        raise ReportError(
            "В портале несколько регионов (или ни одного): укажите муниципалитет или организацию."
        )
    return regions[0]


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

    Codes and ids (strings) come from the command line or a form; model instances from the pages.
    """
    if kind not in Kind.values:
        raise ReportError(f"Неизвестный вид отчёта «{kind}». Возможные: {', '.join(Kind.values)}.")
    if sum(x is not None and x != "" for x in (campaign, roadmap, as_of)) > 1:
        raise ReportError("Укажите один источник: мониторинг, дорожную карту или дату.")
    if municipality and organization:
        raise ReportError("Укажите одну территорию: муниципалитет или организацию.")

    report = Report(kind=kind)
    if user is not None and not municipality and not organization and not roadmap:
        # A coordinator's and a curator's reports cover their own territory unless told otherwise.
        scope = access.user_scope(user)
        if scope is not None and not access.is_admin(user):
            organization = scope.organization
            municipality = scope.municipality
    if organization:
        if not isinstance(organization, Organization):
            found = _visible(user, Organization.objects.select_related("municipality__region")).filter(
                code=str(organization).strip()
            )
            organization = found.first()
            if organization is None:
                raise ReportError("Организация с таким кодом не найдена или недоступна.")
        report.organization = organization
        report.municipality = organization.municipality
        report.region = organization.municipality.region
    elif municipality:
        if not isinstance(municipality, Municipality):
            found = _visible(user, Municipality.objects.select_related("region")).filter(
                code=str(municipality).strip()
            )
            municipality = found.first()
            if municipality is None:
                raise ReportError("Муниципалитет с таким кодом не найден или недоступен.")
        report.municipality = municipality
        report.region = municipality.region
    if kind == Kind.SCHOOL_NOTE and not report.organization_id:
        raise ReportError(
            "Справка ОО составляется по одной организации: укажите организацию (--organization)."
        )

    if kind in CAMPAIGN_KINDS:
        report.campaign = _campaign(user, report, campaign)
    elif campaign:
        raise ReportError("Этот вид отчёта строится не по мониторингу: укажите дорожную карту или дату.")
    if kind in ROADMAP_KINDS:
        report.roadmap = _roadmap(user, report, roadmap)
    elif roadmap and kind != Kind.SCHOOL_NOTE:
        raise ReportError("Этот вид отчёта строится не по дорожной карте.")
    elif roadmap:
        report.roadmap = _roadmap(user, report, roadmap)
    if report.campaign_id is None and report.roadmap_id is None:
        report.as_of = as_of or timezone.localdate()
    if not report.region_id:
        report.region = _region_of(user)
    if user is not None and not access.is_admin(user):
        _check_territory(user, report)
    return report


def _campaign(user, report: Report, value) -> Campaign:
    campaigns = _visible(user, Campaign.objects.select_related("region", "municipality"))
    if report.municipality_id:
        campaigns = campaigns.filter(Q(municipality=report.municipality) | Q(municipality__isnull=True))
        campaigns = campaigns.filter(target_municipalities=report.municipality)
    elif report.region_id:
        campaigns = campaigns.filter(region=report.region)
    if value is None or value == "":
        finished = campaigns.filter(status__in=FINISHED)
        if report.municipality_id:
            # A municipality's own campaigns first, then the regional ones covering it.
            own = finished.filter(municipality=report.municipality).order_by("-as_of_date", "-pk").first()
            found = own or finished.order_by("-as_of_date", "-pk").first()
        else:
            found = finished.order_by("-as_of_date", "-pk").first()
        if found is None:
            raise ReportError("Нет завершённого мониторинга для этой территории: укажите мониторинг.")
        campaign = found
    elif isinstance(value, Campaign):
        campaign = value
    else:
        campaign = _by_id_or_title(campaigns.distinct(), value, "Мониторинг")
    if campaign.status not in FINISHED:
        raise ReportError(
            f"Мониторинг «{campaign.title}» ещё не завершён ({campaign.get_status_display()}): "
            "отчёт строится по завершённому сбору."
        )
    if not report.municipality_id and campaign.municipality_id:
        report.municipality = campaign.municipality
    if not report.region_id:
        report.region = campaign.region
    return campaign


def _roadmap(user, report: Report, value) -> RoadMap:
    roadmaps = _visible(user, RoadMap.objects.select_related("region", "municipality", "organization"))
    if report.organization_id:
        owners = roadmaps.filter(organization=report.organization)
    elif report.municipality_id:
        owners = roadmaps.filter(municipality=report.municipality, organization__isnull=True)
    elif report.region_id:
        owners = roadmaps.filter(region=report.region, municipality__isnull=True, organization__isnull=True)
    else:
        owners = roadmaps.filter(level=RoadMap.Level.REGION)
    if value is None or value == "":
        found = owners.order_by("-period_start", "-pk").first()
        if found is None:
            raise ReportError("Нет дорожной карты для этой территории: укажите дорожную карту.")
        roadmap = found
    elif isinstance(value, RoadMap):
        roadmap = value
    else:
        roadmap = _by_id_or_title(roadmaps, value, "Дорожная карта")
    # The scope is the road map's owner unless a narrower one was asked for.
    if not report.organization_id and not report.municipality_id:
        report.organization = roadmap.organization
        report.municipality = roadmap.municipality
    elif report.organization_id and roadmap.organization_id not in (None, report.organization_id):
        raise ReportError("Дорожная карта принадлежит другой организации.")
    elif report.municipality_id and roadmap.municipality_id not in (None, report.municipality_id):
        raise ReportError("Дорожная карта принадлежит другому муниципалитету.")
    report.region = roadmap.region
    return roadmap


def _check_territory(user, report: Report) -> None:
    """The report's territory must lie in the user's scope (a coordinator cannot build the region's)."""
    scope = access.user_scope(user)
    role = scope.role if scope else None
    if role == access.Role.OPERATOR and report.region_id == scope.region_id:
        return
    if role == access.Role.COORDINATOR and report.municipality_id == scope.municipality_id:
        return
    if role == access.Role.CURATOR and report.organization_id == scope.organization_id:
        return
    raise ReportError("Отчёт по этой территории вам недоступен: выберите свою территорию.")
