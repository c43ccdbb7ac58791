"""Figures of road maps and of monitoring campaigns, each computed by the database (GROUP BY),
never row by row in Python."""

import dataclasses
import datetime
from decimal import Decimal

from django.db.models import Case, Count, F, Min, Q, QuerySet, Sum, When
from django.db.models.functions import TruncMonth

from common.text import natural_key
from registry import access
from registry.models import Municipality, UserScope

from . import indicators
from .models import Campaign, MunicipalityApproval, RoadMap, RoadMapEvent, Submission, SubmissionValue

Status = RoadMapEvent.Status

# R12 «Доля выполненных мероприятий дорожной карты»: done ÷ planned. A cancelled event has
# been taken out of the plan and counts in neither; every other status is planned.
PLANNED = ~Q(status=Status.CANCELLED)
DONE = Q(status=Status.DONE)


@dataclasses.dataclass(frozen=True)
class Execution:
    """Events planned and done (stored as counts; the share is derived)."""

    planned: int
    done: int

    @property
    def percent(self) -> float | None:
        return 100 * self.done / self.planned if self.planned else None


@dataclasses.dataclass(frozen=True)
class RoadMapExecution:
    total: Execution
    by_direction: list[tuple[str, Execution]]  # in the road map's order
    by_month: list[tuple[datetime.date | None, Execution]]  # first day of the month; None: no date read
    by_responsible: list[tuple[str, Execution]]  # most events first


def _counts() -> dict:
    return {"planned": Count("id", filter=PLANNED), "done": Count("id", filter=DONE)}


def _figure(row: dict) -> Execution:
    return Execution(row["planned"], row["done"])


def roadmap_events(
    roadmap: RoadMap, *, date_from: datetime.date | None = None, date_to: datetime.date | None = None
) -> QuerySet:
    """The road map's events within the period: their «Сроки» overlap it.

    With a period, an event whose «Сроки» could not be read as dates («по запросу»,
    «в течение всего периода») is left out: it cannot be placed in the period.
    """
    events = RoadMapEvent.objects.filter(roadmap=roadmap)
    if date_from is not None:
        events = events.filter(timing_end__gte=date_from)
    if date_to is not None:
        events = events.filter(timing_start__lte=date_to)
    return events


def roadmap_execution(
    roadmap: RoadMap, *, date_from: datetime.date | None = None, date_to: datetime.date | None = None
) -> RoadMapExecution:
    """Planned and done events of ``roadmap``: in all, by direction, by month of start, by responsible."""
    events = roadmap_events(roadmap, date_from=date_from, date_to=date_to).order_by()
    total = events.aggregate(**_counts())
    by_direction = (
        events.values("direction")
        .annotate(first=Min("sort_order"), **_counts())
        .order_by("first", "direction")
    )
    by_month = (
        events.annotate(month=TruncMonth("timing_start"))
        .values("month")
        .annotate(**_counts())
        .order_by("month")
    )
    by_responsible = (
        events.values("responsible").annotate(all=Count("id"), **_counts()).order_by("-all", "responsible")
    )
    months = [(row["month"], _figure(row)) for row in by_month]
    # Undated events last (NULLs sort first on SQLite, last on PostgreSQL).
    months.sort(key=lambda item: (item[0] is None, item[0] or datetime.date.min))
    return RoadMapExecution(
        total=_figure(total),
        by_direction=[(row["direction"], _figure(row)) for row in by_direction],
        by_month=months,
        by_responsible=[(row["responsible"], _figure(row)) for row in by_responsible],
    )


# ---------------------------------------------------------------- monitoring campaigns
#
# Completeness and indicators of a campaign, each a fixed number of queries (GROUP BY in the
# database; Python only combines the grouped rows). ``user`` limits every figure to what the
# user's scope reaches (``registry.access``): a coordinator reading a regional campaign gets its
# own municipality's figures; None reads the whole campaign.


def campaigns_for(user) -> QuerySet:
    """The campaigns ``user`` sees: a curator those its organization answers, a coordinator its own and
    the regional ones covering its municipality, the operator the region's."""
    return access.scoped(user, Campaign.objects.select_related("region", "municipality"))


def _submissions(campaign: Campaign, user) -> QuerySet:
    rows = Submission.objects.filter(campaign=campaign)
    return access.scoped(user, rows) if user is not None else rows


def _values(campaign: Campaign, user, municipality: Municipality | None = None) -> QuerySet:
    """The campaign's submission values, joined once with their submission (no subquery)."""
    rows = SubmissionValue.objects.filter(submission__campaign=campaign)
    if municipality is not None:
        rows = rows.filter(submission__municipality=municipality)
    return access.scoped(user, rows) if user is not None else rows


RESPONDED = Q(status__in=Submission.RESPONDED)
AStatus = MunicipalityApproval.Status


def _natural_order(submission: Submission) -> tuple:
    """Municipality, then organization in natural order: «СОШ № 2» before «СОШ № 10» (common/text.py)."""
    return (
        natural_key(submission.municipality.name),
        natural_key(submission.organization.full_name),
        submission.pk,
    )


@dataclasses.dataclass(frozen=True)
class CompletenessRow:
    """Submitted / expected for a municipality (``municipality_id`` None: the total)."""

    municipality_id: int | None
    name: str
    expected: int
    submitted: int  # sent or accepted: their figures count
    accepted: int
    returned: int
    on_time: int  # of the submitted, first sent by the deadline
    late: int

    @property
    def not_submitted(self) -> int:
        return self.expected - self.submitted

    @property
    def value(self) -> indicators.Value:
        return indicators.Value(self.submitted, self.expected)

    @property
    def text(self) -> str:
        """«228 из 340, 67 %»."""
        return self.value.text()


@dataclasses.dataclass(frozen=True)
class Contact:
    name: str
    email: str


@dataclasses.dataclass(frozen=True)
class MissingOrganization:
    """A target that has not sent its submission (not yet, or returned for rework), with its curators."""

    submission_id: int
    organization_id: int
    code: str
    name: str
    municipality_id: int
    municipality_name: str
    status: str
    status_label: str
    coordinator_comment: str
    last_reminded_at: datetime.datetime | None
    curators: tuple[Contact, ...]


@dataclasses.dataclass(frozen=True)
class ApprovalCounts:
    """The second level of a regional campaign: municipalities signed off (or accepted) and accepted."""

    municipalities: int
    signed: int  # signed off by the coordinator, accepted by the operator included
    accepted: int

    @property
    def text(self) -> str:
        """«подписано 2 / принято 1 из 3»."""
        return f"подписано {self.signed} / принято {self.accepted} из {self.municipalities}"


@dataclasses.dataclass(frozen=True)
class Completeness:
    total: CompletenessRow
    by_municipality: list[CompletenessRow]  # by name
    missing: list[MissingOrganization]
    # A regional campaign's second level (None: a municipal campaign): the municipalities' approval
    # rows by municipality id (none yet: «открыт») and their counts over every municipality in scope.
    approvals: dict[int, MunicipalityApproval] = dataclasses.field(default_factory=dict)
    approval: ApprovalCounts | None = None
    every_municipality: list[CompletenessRow] = dataclasses.field(
        default_factory=list
    )  # ``accepted_only`` aside


COMPLETENESS_FIGURES = ("expected", "submitted", "accepted", "returned", "on_time", "late")


def _completeness_counts() -> dict:
    # Prefixed: an annotation may not take the name of a field («on_time») it filters on.
    counts = {
        "expected": Count("id"),
        "submitted": Count("id", filter=RESPONDED),
        "accepted": Count("id", filter=Q(status=Submission.Status.ACCEPTED)),
        "returned": Count("id", filter=Q(status=Submission.Status.RETURNED)),
        "on_time": Count("id", filter=RESPONDED & Q(on_time=True)),
        "late": Count("id", filter=RESPONDED & Q(on_time=False)),
    }
    return {f"n_{name}": count for name, count in counts.items()}


def municipality_approvals(campaign: Campaign, *, user=None) -> dict[int, MunicipalityApproval]:
    """A regional campaign's approval rows by municipality id, within ``user``'s scope. One query."""
    if not campaign.is_regional:
        return {}
    rows = MunicipalityApproval.objects.filter(campaign=campaign).select_related("signed_by", "decided_by")
    if user is not None:
        rows = access.scoped(user, rows)
    return {row.municipality_id: row for row in rows}


def accepted_municipalities(campaign: Campaign) -> QuerySet:
    """The ids of the municipalities the operator accepted, as a subquery."""
    return MunicipalityApproval.objects.filter(
        campaign=campaign, status=MunicipalityApproval.Status.ACCEPTED
    ).values("municipality")


def completeness(
    campaign: Campaign, *, user=None, with_missing: bool = True, accepted_only: bool = False
) -> Completeness:
    """Submitted / expected by municipality and in total, on time / late, and who is missing.

    A regional campaign also counts its second level (``approval``: municipalities signed off and
    accepted of those in scope, whatever ``accepted_only``). ``accepted_only``: the figures of the
    municipalities the operator accepted only. Three queries, four for a regional campaign (one
    less without ``with_missing``).
    """
    rows = (
        _submissions(campaign, user)
        .values("municipality", "municipality__name")
        .annotate(**_completeness_counts())
        .order_by("municipality__name")
    )
    by_municipality = [
        CompletenessRow(
            municipality_id=row["municipality"],
            name=row["municipality__name"],
            **{name: row[f"n_{name}"] for name in COMPLETENESS_FIGURES},
        )
        for row in rows
    ]
    approvals = municipality_approvals(campaign, user=user)
    every_municipality = by_municipality
    approval = None
    if campaign.is_regional:
        states = [
            approvals[row.municipality_id].status
            for row in by_municipality
            if row.municipality_id in approvals
        ]
        approval = ApprovalCounts(
            municipalities=len(by_municipality),
            signed=sum(state in (AStatus.SIGNED, AStatus.ACCEPTED) for state in states),
            accepted=sum(state == AStatus.ACCEPTED for state in states),
        )
    if accepted_only:
        by_municipality = [
            row
            for row in by_municipality
            if row.municipality_id in approvals and approvals[row.municipality_id].status == AStatus.ACCEPTED
        ]
    total = CompletenessRow(
        municipality_id=None,
        name=str(campaign.territory),
        **{name: sum(getattr(row, name) for row in by_municipality) for name in COMPLETENESS_FIGURES},
    )
    missing = missing_organizations(campaign, user=user) if with_missing else []
    if accepted_only:
        kept = {row.municipality_id for row in by_municipality}
        missing = [row for row in missing if row.municipality_id in kept]
    return Completeness(
        total=total,
        by_municipality=by_municipality,
        missing=missing,
        approvals=approvals,
        approval=approval,
        every_municipality=every_municipality,
    )


def missing_organizations(
    campaign: Campaign, *, user=None, municipality: Municipality | None = None
) -> list[MissingOrganization]:
    """Targets that have not sent their submission, with their curators' names and e-mails. Two queries."""
    rows = _submissions(campaign, user).exclude(RESPONDED)
    if municipality is not None:
        rows = rows.filter(municipality=municipality)
    rows = sorted(rows.select_related("organization", "municipality"), key=_natural_order)
    contacts: dict[int, list[Contact]] = {}
    curators = (
        UserScope.objects.filter(
            role=UserScope.Role.CURATOR,
            organization__in=[row.organization_id for row in rows],
            user__is_active=True,
        )
        .values_list("organization", "user__first_name", "user__last_name", "user__username", "user__email")
        .order_by("user__last_name", "user__username")
    )
    for organization, first, last, username, email in curators if rows else []:
        name = " ".join(part for part in (last, first) if part) or username
        contacts.setdefault(organization, []).append(Contact(name=name, email=email))
    return [
        MissingOrganization(
            submission_id=row.pk,
            organization_id=row.organization_id,
            code=row.organization.code,
            name=str(row.organization),
            municipality_id=row.municipality_id,
            municipality_name=row.municipality.name,
            status=row.status,
            status_label=row.get_status_display(),
            coordinator_comment=row.coordinator_comment,
            last_reminded_at=row.last_reminded_at,
            curators=tuple(contacts.get(row.organization_id, ())),
        )
        for row in rows
    ]


# ---------------------------------------------------------------- indicators


@dataclasses.dataclass(frozen=True)
class TerritoryIndicators:
    """A municipality's (``municipality_id`` None: the whole report's) indicator values, as counts."""

    municipality_id: int | None
    name: str
    expected: int
    responded: int
    values: dict[str, indicators.Value]  # by indicator code


@dataclasses.dataclass(frozen=True)
class Ranked:
    rank: int  # equal values share a rank: 1, 2, 2, 4
    municipality_id: int
    name: str
    value: indicators.Value


@dataclasses.dataclass(frozen=True)
class IndicatorReport:
    campaign: Campaign
    indicators: list  # Indicator rows, in the catalogue's order
    total: TerritoryIndicators
    municipalities: list[TerritoryIndicators]  # by name

    def indicator(self, code: str):
        return next(i for i in self.indicators if i.code == code)

    def light(self, code: str, row: TerritoryIndicators | None = None) -> str | None:
        """«green» / «yellow» / «red» against the indicator's target (None: no target)."""
        row = row or self.total
        return indicators.traffic_light(self.indicator(code), row.values.get(code))

    def ranking(self, code: str) -> list[Ranked]:
        """Municipalities best first (highest, or lowest for a «не более» target); no value last."""
        indicator = self.indicator(code)
        lower_is_better = indicator.target_comparison == "lte"
        measured = [(row, row.values[code].measure()) for row in self.municipalities]
        known = sorted(
            (item for item in measured if item[1] is not None),
            key=lambda item: (item[1] if lower_is_better else -item[1], item[0].name),
        )
        unknown = sorted((item for item in measured if item[1] is None), key=lambda item: item[0].name)
        result, previous, rank = [], object(), 0
        for position, (row, value) in enumerate([*known, *unknown], start=1):
            if value != previous:
                rank, previous = position, value
            result.append(Ranked(rank, row.municipality_id, row.name, row.values[code]))
        return result


def campaign_indicators(campaign: Campaign) -> list:
    return list(campaign.indicators.order_by("sort_order", "code"))


def indicator_report(
    campaign: Campaign, *, user=None, organizations: QuerySet | None = None, accepted_only: bool = False
) -> IndicatorReport:
    """Every indicator of the campaign per municipality and in total: counts summed, then divided.

    ``organizations`` (a queryset of organization ids) keeps only their submissions: the comparison
    with the previous campaign is made over the organizations that answered both
    (``answered_both``). ``accepted_only`` (a regional campaign): only the municipalities the
    operator accepted count (docs/domain.md §5). Three queries.
    """
    chosen = campaign_indicators(campaign)
    codes = {code for i in chosen for code in (i.numerator, i.denominator) if code}
    submissions = _submissions(campaign, user)
    values = _values(campaign, user)
    if accepted_only and campaign.is_regional:
        accepted = accepted_municipalities(campaign)
        submissions = submissions.filter(municipality__in=accepted)
        values = values.filter(submission__municipality__in=accepted)
    if organizations is not None:
        submissions = submissions.filter(organization__in=organizations)
        values = values.filter(submission__organization__in=organizations)
    counts = (
        submissions.values("municipality", "municipality__name")
        .annotate(expected=Count("id"), responded=Count("id", filter=RESPONDED))
        .order_by("municipality__name")
    )
    sums = (
        values.filter(figure__in=codes)
        .values("submission__municipality", "figure")
        .annotate(
            respondents=Sum("value", filter=Q(submission__status__in=Submission.RESPONDED)),
            targets=Sum(
                Case(
                    When(submission__status__in=Submission.RESPONDED, then=F("value")),
                    default=F("registry_value"),
                )
            ),
        )
        .order_by()
    )
    by_municipality: dict[int, dict[str, indicators.FigureSums]] = {}
    total_sums: dict[str, list[int]] = {}
    for row in sums:
        respondents, targets = row["respondents"] or 0, row["targets"] or 0
        by_municipality.setdefault(row["submission__municipality"], {})[row["figure"]] = (
            indicators.FigureSums(respondents, targets)
        )
        total = total_sums.setdefault(row["figure"], [0, 0])
        total[0] += respondents
        total[1] += targets

    def territory(municipality_id, name, expected, responded, figure_sums):
        values = {
            i.code: indicators.aggregate_value(i, figure_sums, responded=responded, expected=expected)
            for i in chosen
        }
        return TerritoryIndicators(municipality_id, name, expected, responded, values)

    municipalities = [
        territory(
            row["municipality"],
            row["municipality__name"],
            row["expected"],
            row["responded"],
            by_municipality.get(row["municipality"], {}),
        )
        for row in sorted(counts, key=lambda row: natural_key(row["municipality__name"]))
    ]
    total = territory(
        None,
        str(campaign.territory),
        sum(row.expected for row in municipalities),
        sum(row.responded for row in municipalities),
        {code: indicators.FigureSums(*pair) for code, pair in total_sums.items()},
    )
    return IndicatorReport(campaign=campaign, indicators=chosen, total=total, municipalities=municipalities)


def answered_both(campaign: Campaign, previous: Campaign) -> QuerySet:
    """The ids of the organizations that answered (sent or accepted) both campaigns, as a subquery."""
    earlier = Submission.objects.filter(RESPONDED, campaign=previous).values("organization")
    return Submission.objects.filter(RESPONDED, campaign=campaign, organization__in=earlier).values(
        "organization"
    )


def municipality_ranking(
    campaign: Campaign, code: str, *, user=None, accepted_only: bool = False
) -> list[Ranked]:
    return indicator_report(campaign, user=user, accepted_only=accepted_only).ranking(code)


@dataclasses.dataclass(frozen=True)
class OrganizationIndicators:
    submission_id: int
    organization_id: int
    code: str
    name: str
    municipality_id: int
    municipality_name: str
    status: str
    status_label: str
    responded: bool
    figures: dict[str, int | None]  # the submission's values by figure code
    values: dict[str, indicators.Value | None]  # by indicator code; None while a figure is missing


def organization_indicators(
    campaign: Campaign, *, user=None, municipality: Municipality | None = None
) -> list[OrganizationIndicators]:
    """Each organization's indicators from its own figures (whatever its status). Three queries."""
    chosen = campaign_indicators(campaign)
    submissions = _submissions(campaign, user)
    if municipality is not None:
        submissions = submissions.filter(municipality=municipality)
    rows = sorted(submissions.select_related("organization", "municipality"), key=_natural_order)
    figures: dict[int, dict[str, int | None]] = {}
    values = _values(campaign, user, municipality).values_list("submission", "figure", "value")
    for submission_id, figure, value in values if rows else []:
        figures.setdefault(submission_id, {})[figure] = value
    result = []
    for row in rows:
        own = figures.get(row.pk, {})
        responded = row.status in Submission.RESPONDED
        result.append(
            OrganizationIndicators(
                submission_id=row.pk,
                organization_id=row.organization_id,
                code=row.organization.code,
                name=str(row.organization),
                municipality_id=row.municipality_id,
                municipality_name=row.municipality.name,
                status=row.status,
                status_label=row.get_status_display(),
                responded=responded,
                figures=own,
                values={i.code: indicators.organization_value(i, own, responded=responded) for i in chosen},
            )
        )
    return result


def previous_campaign(campaign: Campaign) -> Campaign | None:
    """The latest earlier campaign of the same territory whose collection is over."""
    return (
        Campaign.objects.filter(
            region=campaign.region_id,
            municipality=campaign.municipality_id,
            status__in=Campaign.FINISHED,
            as_of_date__lt=campaign.as_of_date,
        )
        .exclude(pk=campaign.pk)
        .order_by("-as_of_date", "-pk")
        .first()
    )


@dataclasses.dataclass(frozen=True)
class IndicatorChange:
    indicator: object
    current: indicators.Value
    previous: indicators.Value | None
    delta: Decimal | None  # percentage points for a share, units for a count

    @property
    def delta_text(self) -> str:
        """«+2,5 п. п.», «−3»; «—» without a previous value."""
        if self.delta is None:
            return "—"
        sign = "+" if self.delta > 0 else "−" if self.delta < 0 else "±"
        number = f"{abs(self.delta):f}".replace(".", ",")
        if "," in number:
            number = number.rstrip("0").rstrip(",")
        unit = "\xa0п.\xa0п." if self.current.denominator is not None else ""
        return f"{sign}{number}{unit}"


def indicator_changes(
    campaign: Campaign, *, previous: Campaign | None = None, user=None
) -> list[IndicatorChange]:
    """Each indicator in total against the previous campaign of the territory (matched by indicator code)."""
    current = indicator_report(campaign, user=user)
    previous = previous or previous_campaign(campaign)
    before = indicator_report(previous, user=user).total.values if previous else {}
    changes = []
    for indicator in current.indicators:
        now, then = current.total.values[indicator.code], before.get(indicator.code)
        delta = None
        if then is not None and now.measure() is not None and then.measure() is not None:
            delta = now.measure() - then.measure()
        changes.append(IndicatorChange(indicator, now, then, delta))
    return changes


@dataclasses.dataclass(frozen=True)
class FigureRow:
    """One line of a submission's form: the figure, its value and where it came from."""

    code: str
    name: str
    kind: str  # "count" or "yes_no"
    needs_url: bool
    value: int | None
    registry_value: int | None
    source: str
    source_label: str
    comment: str
    url: str

    @property
    def differs_from_registry(self) -> bool:
        return (
            self.registry_value is not None and self.value is not None and self.value != self.registry_value
        )


def submission_figures(submission: Submission) -> list[FigureRow]:
    """The submission's values in the catalogue's order, for its form. Two queries."""
    figures = indicators.catalogue()
    order = {code: position for position, code in enumerate(figures)}
    rows = sorted(
        SubmissionValue.objects.filter(submission=submission),
        key=lambda row: order.get(row.figure, len(order)),
    )
    return [
        FigureRow(
            code=row.figure,
            name=figures[row.figure].name if row.figure in figures else row.figure,
            kind=figures[row.figure].kind if row.figure in figures else indicators.COUNT,
            needs_url=figures[row.figure].needs_url if row.figure in figures else False,
            value=row.value,
            registry_value=row.registry_value,
            source=row.source,
            source_label=row.get_source_display(),
            comment=row.comment,
            url=row.url,
        )
        for row in rows
    ]


def open_tasks_for(user) -> QuerySet:
    """The curator's submissions still to fill: not sent or returned, in open campaigns, earliest
    deadline first (for the dashboard's «Открытые мониторинги»). Other roles fill nothing: empty."""
    if access.role_of(user) != UserScope.Role.CURATOR:
        return Submission.objects.none()
    return (
        access.scoped(
            user,
            Submission.objects.filter(
                status__in=(Submission.Status.DRAFT, Submission.Status.RETURNED),
                campaign__status=Campaign.Status.OPEN,
            ),
        )
        .select_related("campaign", "organization")
        .order_by("campaign__deadline", "campaign__title", "pk")
    )
