"""The personal calendar feed (.ics) at a secret URL, and its «Календарь» page (docs/architecture.md §4,
docs/reliability.md, secret URLs).

A calendar application cannot sign in, so the feed's URL is its only key: ``/calendar/<secret>.ics``,
the secret 256 random bits (``secrets.token_urlsafe``). The portal keeps only its SHA-256
(``UserScope.calendar_secret_hash``); a new secret replaces the old, whose URL answers 404 from then
on, as does any unknown or malformed secret, and the feed of an account turned off.

What the feed holds, always within the user's scope (``registry.access.scoped``), dated from
``FEED_PAST_DAYS`` ago on:

- the deadlines of the open campaigns the user answers or runs (a curator: those its school is a
  target of; a coordinator: its municipality's and the regional ones covering it; the operator:
  its region's);
- the dated events of the road maps the user sees (a curator: its school's map; a coordinator: its
  municipality's and its schools'; the operator: the region's all);
- the planned ends of the active pairs: by name for the curator of the school (who sees the
  names anyway) and for a mentor its own pairs without the mentees' names; for a coordinator one
  entry per school and day with the number of pairs, no names; nothing for the operator and the
  admin (a region's pairs are a count, not a calendar).
"""

import datetime
import hashlib
import secrets
from collections import Counter

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from monitoring import calendars
from monitoring.models import Campaign, RoadMapEvent
from registry import access
from registry.models import Mentorship, MentorshipLink, UserScope

from . import audit
from .models import AccessLogEntry

Role = UserScope.Role
FEED_PAST_DAYS = 30
SECRET_BYTES = 32
MAX_SECRET = 100  # a token_urlsafe(32) is 43 characters; anything much longer is not one of ours


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def calendar_secret_issue(*, user) -> str:
    """A new secret for ``user``'s feed; the old URL stops working. The secret is shown once."""
    scope = access.user_scope(user)
    if scope is None:
        raise PermissionDenied("Календарь доступен пользователю с ролью в портале.")
    secret = secrets.token_urlsafe(SECRET_BYTES)
    UserScope.objects.filter(pk=scope.pk).update(calendar_secret_hash=_hash(secret))
    scope.calendar_secret_hash = _hash(secret)
    return secret


def calendar_user(*, secret: str):
    """The active user whose feed ``secret`` opens, or None."""
    if not secret or len(secret) > MAX_SECRET or "\x00" in secret:
        return None
    scope = (
        UserScope.objects.select_related("user")
        .filter(calendar_secret_hash=_hash(secret), deactivated_at=None, user__is_active=True)
        .first()
    )
    return scope.user if scope is not None else None


def _campaigns(user, since):
    rows = Campaign.objects.filter(status=Campaign.Status.OPEN, deadline__gte=since)
    return access.scoped(user, rows).distinct().order_by("deadline", "pk")


def _roadmap_events(user, since):
    rows = (
        RoadMapEvent.objects.select_related("roadmap")
        .exclude(timing_start=None)
        .exclude(status=RoadMapEvent.Status.CANCELLED)
        .filter(timing_end__gte=since)
    )
    return access.scoped(user, rows).order_by("timing_start", "pk")


def _pairs(user, since):
    rows = Mentorship.objects.filter(status=Mentorship.Status.ACTIVE, planned_end_date__gte=since)
    return access.scoped(user, rows).select_related("organization").order_by("planned_end_date", "pk")


def _pair_entries(user, role, since, host, absolute):
    if role == Role.CURATOR:
        pairs = list(_pairs(user, since).select_related("mentor_person", "mentor_organization"))
        mentees: dict = {}
        links = MentorshipLink.objects.filter(mentorship__in=[pair.pk for pair in pairs]).select_related(
            "mentee_person", "mentee_organization"
        )
        for link in links.order_by("pk"):
            mentee = link.mentee_person or link.mentee_organization
            mentees.setdefault(link.mentorship_id, []).append(
                getattr(mentee, "full_name", None) or str(mentee)
            )
        for pair in pairs:
            mentor = (
                pair.mentor_person.full_name if pair.mentor_person else str(pair.mentor_organization or "")
            )
            names = ", ".join(mentees.get(pair.pk, [])) or "—"
            yield calendars.all_day_event(
                uid=f"pair-{pair.pk}@{host}",
                summary=f"Плановое окончание пары: {mentor} — {names}",
                start=pair.planned_end_date,
                description=f"Организация: {pair.organization}",
                url=absolute(reverse("registry:mentorship-detail", args=[pair.pk])),
            )
    elif role == Role.MENTOR:
        for pair in _pairs(user, since):
            yield calendars.all_day_event(
                uid=f"pair-{pair.pk}@{host}",
                summary="Плановое окончание пары наставничества",
                start=pair.planned_end_date,
                description=f"Организация: {pair.organization}",
                url=absolute(reverse("registry:mentorship-detail", args=[pair.pk])),
            )
    elif role == Role.COORDINATOR:
        counts = Counter(
            (row["organization"], row["planned_end_date"])
            for row in _pairs(user, since).values("organization", "planned_end_date")
        )
        schools = access.scope_organizations(user).filter(pk__in={org for org, _ in counts})
        names = {
            pk: short or full for pk, short, full in schools.values_list("pk", "short_name", "full_name")
        }
        for (org, day), number in sorted(counts.items(), key=lambda item: (item[0][1], item[0][0])):
            school = names.get(org, "")
            yield calendars.all_day_event(
                uid=f"pairs-{org}-{day:%Y%m%d}@{host}",
                summary=f"Плановое окончание пар: {school} — {number}",
                start=day,
                description="Число пар организации, которые по плану заканчиваются в этот день.",
            )


def user_feed(*, user, host: str, absolute=lambda path: path) -> bytes:
    """``user``'s feed as .ics (``absolute`` makes a portal path an absolute URL)."""
    role = access.role_of(user)
    since = timezone.localdate() - datetime.timedelta(days=FEED_PAST_DAYS)
    calendar = calendars.new_calendar(name="Наставничество")
    if role != Role.MENTOR:
        for campaign in _campaigns(user, since):
            calendar.add_component(
                calendars.all_day_event(
                    uid=f"campaign-{campaign.pk}@{host}",
                    summary=f"Срок сдачи отчётов: {campaign.title}",
                    start=campaign.deadline,
                    url=absolute(reverse("monitoring:campaign-detail", args=[campaign.pk])),
                )
            )
        for event in _roadmap_events(user, since):
            url = absolute(reverse("monitoring:roadmap-detail", args=[event.roadmap_id]))
            calendar.add_component(calendars.roadmap_event_entry(event=event, host=host, url=url))
    for entry in _pair_entries(user, role, since, host, absolute):
        calendar.add_component(entry)
    return calendar.to_ical()


# ---------------------------------------------------------------- views


@never_cache
@login_required
def calendar_page(request):
    """«Календарь»: the feed's address (shown once, when made) and the button that makes a new one."""
    if access.role_of(request.user) is None:
        raise PermissionDenied("Календарь доступен пользователю с ролью в портале.")
    scope = access.user_scope(request.user)
    secret = None
    if request.method == "POST":
        if scope is None:
            raise PermissionDenied("Календарь доступен пользователю с ролью в портале.")
        with transaction.atomic():
            secret = calendar_secret_issue(user=request.user)
            audit.write(request, AccessLogEntry.Action.CALENDAR_RESET, user=request.user, status=200)
    context = {
        "has_scope": scope is not None,
        "has_feed": bool(scope and scope.calendar_secret_hash),
        "feed_url": request.build_absolute_uri(reverse("calendar-feed", args=[secret])) if secret else "",
    }
    return render(request, "portal/calendar.html", context)


@require_GET
def calendar_feed(request, token):
    """The feed itself: no login (calendar applications cannot), the secret is the key; the access
    log never records it (``audit.SECRET_KWARGS``)."""
    user = calendar_user(secret=token)
    if user is None:
        raise Http404("Нет такого календаря: ссылка неверна или заменена новой.")
    body = user_feed(user=user, host=request.get_host(), absolute=request.build_absolute_uri)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    return response
