"""Calendars (.ics, RFC 5545) built with the icalendar library: a road map's events as a download,
and the pieces of the personal feed (``mentoring_portal.calendar``, docs/architecture.md §4).

Every entry is an all-day event (``DTSTART;VALUE=DATE``, ``DTEND`` the day after the last one, as
RFC 5545 wants), with a UID that stays the same when the feed is read again
(``roadmap-event-12@host``), so that a calendar application updates an entry rather than doubling it.
"""

import datetime

from django.utils import timezone
from icalendar import Calendar, Event

from .models import RoadMap, RoadMapEvent

PRODID = "-//Наставничество//Реестр наставничества//RU"
MAX_SUMMARY = 250  # a calendar shows a line; the event's page has the rest


def new_calendar(*, name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    return calendar


def all_day_event(
    *,
    uid: str,
    summary: str,
    start: datetime.date,
    end: datetime.date | None = None,
    description: str = "",
    url: str = "",
) -> Event:
    """One all-day event from ``start`` to ``end`` inclusive (one day without ``end``)."""
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", timezone.now())
    event.add("summary", summary if len(summary) <= MAX_SUMMARY else summary[: MAX_SUMMARY - 1] + "…")
    event.add("dtstart", start)
    event.add("dtend", (end or start) + datetime.timedelta(days=1))  # exclusive, RFC 5545 §3.6.1
    event.add("transp", "TRANSPARENT")  # a deadline does not make the day busy
    if description:
        event.add("description", description)
    if url:
        event.add("url", url)
    return event


def roadmap_event_entry(*, event: RoadMapEvent, host: str, url: str = "") -> Event | None:
    """The road-map event as a calendar entry, or None when its «Сроки» are not dates."""
    if event.timing_start is None:
        return None
    title = f"{event.number} {event.title}".strip() if event.number else event.title
    lines = [f"Дорожная карта: {event.roadmap.title}"]
    if event.timing_text:
        lines.append(f"Сроки: {event.timing_text}")
    if event.responsible:
        lines.append(f"Ответственный: {event.responsible}")
    lines.append(f"Статус: {event.get_status_display()}")
    return all_day_event(
        uid=f"roadmap-event-{event.pk}@{host}",
        summary=title,
        start=event.timing_start,
        end=event.timing_end,
        description="\n".join(lines),
        url=url,
    )


def roadmap_calendar(*, roadmap: RoadMap, host: str, url: str = "") -> bytes:
    """The road map's dated events as one .ics file (events without dates are left out)."""
    calendar = new_calendar(name=roadmap.title)
    events = (
        roadmap.events.select_related("roadmap").exclude(timing_start=None).order_by("timing_start", "pk")
    )
    for event in events:
        calendar.add_component(roadmap_event_entry(event=event, host=host, url=url))
    return calendar.to_ical()
