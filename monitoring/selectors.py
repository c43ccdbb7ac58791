"""Figures of road maps, each computed by the database (GROUP BY), never row by row in Python."""

import dataclasses
import datetime

from django.db.models import Count, Min, Q, QuerySet
from django.db.models.functions import TruncMonth

from .models import RoadMap, RoadMapEvent

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
