"""The catalogue's indicators computed from the live registry as of a date (docs/domain.md §6.1).

``live_indicators`` gives, for a territory and each territory directly under it, every indicator's
numerator, denominator and value as a campaign over the same registry would give them if every
organization it targets answered with the registry's figures and was accepted: the organizations
are those a campaign of that territory targets by default (``models.default_org_types``: the
general-education schools), the figures are ``indicators.registry_values`` as of the date with
``indicators.registry_default`` where the registry knows of nothing, and the shares are summed, then
divided once by ``indicators.aggregate_value`` with every organization both a target and a
respondent. A figure the registry cannot state (the surveys' without a closed round, a headcount not
entered) counts 0, as a blank cell adds nothing to a sum.

Used by the API (``/api/v1/indicators/``) and by the monitoring report built without a campaign.
A fixed number of queries whatever the territory's size: the catalogue, the forms, the territories,
the organizations, and ``registry_values``'s GROUP BY queries.
"""

import dataclasses
import datetime
from decimal import Decimal

from django.db.models import QuerySet

from common.text import natural_key
from registry.models import Municipality, Organization, Region

from . import indicators as ind
from .models import Indicator, default_org_types

COUNTRY = "country"
REGION = Indicator.Level.REGION.value
MUNICIPALITY = Indicator.Level.MUNICIPALITY.value
ORGANIZATION = Indicator.Level.ORGANIZATION.value

# A territory's rank: an indicator applies to a territory whose rank is at least its level's.
RANKS = {ORGANIZATION: 0, MUNICIPALITY: 1, REGION: 2, COUNTRY: 3}
COUNTRY_NAME = "Российская Федерация"


@dataclasses.dataclass(frozen=True)
class LiveValue:
    """One indicator over one territory (DHIS2's data value: indicator × territory × date)."""

    code: str
    name: str
    numerator: int
    denominator: int | None  # None for a count
    value: Decimal | None  # the percentage (one decimal) for a share, the count for a count
    unit: str
    as_of: datetime.date
    target: Decimal | None  # the catalogue's target, if any
    target_comparison: str  # «gte» / «lte»

    @property
    def counts(self) -> ind.Value:
        """The same as ``indicators.Value``: its ``share()`` / ``text()`` format it as the reports do."""
        return ind.Value(self.numerator, self.denominator)


@dataclasses.dataclass(frozen=True)
class LiveTerritory:
    level: str  # COUNTRY, REGION, MUNICIPALITY or ORGANIZATION
    pk: int | None  # None for the country
    code: str
    name: str
    organizations: int  # the organizations counted (1 for an organization's row)
    values: dict[str, LiveValue]  # by indicator code: those applicable at this level

    @property
    def counts(self) -> dict[str, ind.Value]:
        return {code: value.counts for code, value in self.values.items()}


@dataclasses.dataclass(frozen=True)
class LiveReport:
    as_of: datetime.date
    org_types: tuple[str, ...]
    indicators: list  # Indicator rows, in the catalogue's order
    total: LiveTerritory  # the territory asked for
    rows: list[LiveTerritory]  # each territory directly under it, in natural order of names

    def all_rows(self) -> list[LiveTerritory]:
        return [self.total, *self.rows]


def applies(indicator, level: str) -> bool:
    """Whether ``indicator`` makes sense for a territory of ``level`` (its level is the lowest one)."""
    return RANKS[level] >= RANKS[indicator.level]


def _value(indicator, sums: dict[str, ind.FigureSums], organizations: int, as_of) -> LiveValue:
    counts = ind.aggregate_value(indicator, sums, responded=organizations, expected=organizations)
    return LiveValue(
        code=indicator.code,
        name=indicator.name,
        numerator=counts.numerator,
        denominator=counts.denominator,
        value=counts.measure(),
        unit=indicator.unit,
        as_of=as_of,
        target=indicator.target_value,
        target_comparison=indicator.target_comparison,
    )


def live_indicators(
    *,
    region: Region | None = None,
    municipality: Municipality | None = None,
    as_of: datetime.date,
    indicators=None,
    org_types=None,
) -> LiveReport:
    """The indicators from the live registry on ``as_of`` for a territory and each one under it.

    At most one of ``region`` / ``municipality``. None: the country's row and one per region; a
    region: its row and one per municipality; a municipality: its row and one per organization
    counted. ``indicators``: Indicator rows or codes (default: the active catalogue applicable at
    the territory's level); each row holds only the indicators applicable at its own level.
    ``org_types``: the organizations counted (default: a campaign's, ``default_org_types``).
    """
    if region is not None and municipality is not None:
        raise ValueError("live_indicators(): give a region or a municipality, not both")
    org_types = tuple(org_types or default_org_types())
    top_level = MUNICIPALITY if municipality is not None else REGION if region is not None else COUNTRY
    chosen = _chosen(indicators, top_level)
    figures = ind.catalogue()
    codes = ind.submission_figures(chosen, figures)

    organizations = Organization.objects.filter(org_type__in=org_types)
    if municipality is not None:
        organizations = organizations.filter(municipality=municipality)
        top = (municipality.pk, municipality.code, municipality.name)
    elif region is not None:
        organizations = organizations.filter(municipality__region=region)
        top = (region.pk, region.code, region.name)
    else:
        top = (None, "", COUNTRY_NAME)

    known = ind.registry_values(
        as_of=as_of, organizations=organizations.values("pk"), codes=codes, figures=figures
    )
    # An organization the registry knows nothing of for a figure adds its ``registry_default``
    # (0 for the counts of pairs), or nothing when the registry cannot state it (a blank cell).
    by_org: dict[int, dict[str, int]] = {}
    for (pk, code), (value, _url) in known.items():
        if value:
            by_org.setdefault(pk, {})[code] = value
    if any(ind.registry_default(code, figures[code]) for code in codes):
        raise NotImplementedError("a non-zero registry default would be added per organization here")

    child_level, children, parent_of = _children(top_level, region, municipality, organizations)
    child_sums: dict[int, dict[str, int]] = {pk: dict.fromkeys(codes, 0) for pk, *_rest in children}
    child_orgs: dict[int, int] = dict.fromkeys(child_sums, 0)
    for pk, parent in parent_of:
        child_orgs[parent] += 1
        sums = child_sums[parent]
        for code, value in by_org.get(pk, {}).items():
            sums[code] += value

    def territory(level, pk, code, name, count, sums):
        figure_sums = {figure: ind.FigureSums(total, total) for figure, total in sums.items()}
        values = {i.code: _value(i, figure_sums, count, as_of) for i in chosen if applies(i, level)}
        return LiveTerritory(level, pk, code, name, count, values)

    rows = [
        territory(child_level, pk, code, name, child_orgs[pk], child_sums[pk])
        for pk, code, name, _sort in sorted(children, key=lambda c: (natural_key(c[3]), c[1]))
    ]
    total_sums = {code: sum(child_sums[pk][code] for pk in child_sums) for code in codes}
    total = territory(top_level, *top, sum(child_orgs.values()), total_sums)
    return LiveReport(as_of=as_of, org_types=org_types, indicators=chosen, total=total, rows=rows)


def _chosen(indicators, level: str) -> list:
    if indicators is None:
        rows = Indicator.objects.filter(is_active=True).order_by("sort_order", "code")
        return [i for i in rows if applies(i, level)]
    items = list(indicators)
    codes = [i for i in items if isinstance(i, str)]
    found = {i.code: i for i in Indicator.objects.filter(code__in=codes)} if codes else {}
    missing = [code for code in codes if code not in found]
    if missing:
        raise ValueError(f"Неизвестные показатели: {', '.join(missing)}.")
    chosen = [found[i] if isinstance(i, str) else i for i in items]
    return sorted(chosen, key=lambda i: (i.sort_order, i.code))


def _children(level: str, region, municipality, organizations: QuerySet):
    """The territories under the top one, as (pk, code, name, name sorted by), and (organization,
    child) pairs. Schools sort by their full name, as the campaigns' tables do (``selectors``)."""
    if level == MUNICIPALITY:
        rows = list(organizations.values_list("pk", "code", "short_name", "full_name"))
        children = [(pk, code, short or full, full) for pk, code, short, full in rows]
        return ORGANIZATION, children, [(pk, pk) for pk, *_rest in rows]
    if level == REGION:
        children = list(Municipality.objects.filter(region=region).values_list("pk", "code", "name", "name"))
        pairs = list(organizations.values_list("pk", "municipality_id"))
        return MUNICIPALITY, children, pairs
    children = list(Region.objects.values_list("pk", "code", "name", "name"))
    pairs = list(organizations.values_list("pk", "municipality__region_id"))
    return REGION, children, pairs
