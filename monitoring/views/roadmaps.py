"""«Дорожные карты»: the road maps in the user's scope, one map with its events and execution
figures, and the forms that write them.

Who reads: whoever's scope holds the map's owner (``registry.access``: the operator every map of
its region, a coordinator its municipality's map and its schools', a curator its school's).
Who writes: the owner's own level only — the operator the region's map, a coordinator its
municipality's, a curator its school's; an admin every map. A map out of scope answers 404, a
write on a map read only 403.
"""

import re
import urllib.parse
from collections.abc import Iterable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q, UniqueConstraint
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from common import tables
from monitoring import calendars, rights
from monitoring import roadmap_forms as forms
from monitoring.models import RoadMap, RoadMapEvent
from monitoring.selectors import roadmap_events, roadmap_execution
from monitoring.timing import month_label
from registry import access
from registry.export_jobs import xlsx_response
from registry.models import UserScope

Role = UserScope.Role
Level = RoadMap.Level
Status = RoadMapEvent.Status
PAGE_SIZE = 50
ROADMAP_COLUMNS = [  # common/tables.py; the owner is not sortable
    tables.Column("title", "Дорожная карта", ("title",)),
    tables.Column("level", "Уровень", ("level",)),
    tables.Column("basis", "Утверждающий документ", ("basis_title", "basis_date")),
    tables.Column("period", "Период", ("period_start", "period_end")),
    tables.Column("done", "Выполнено / запланировано", ("n_done", "n_planned")),
]
# «У региона уже есть дорожная карта с таким наименованием.» and its kin: shown at the title.
UNIQUE_TITLE = frozenset(
    str(c.violation_error_message) for c in RoadMap._meta.constraints if isinstance(c, UniqueConstraint)
)

# The events table, on the page and in the export.
EVENT_COLUMNS = [
    "Направление",
    "№",
    "Мероприятие",
    "Цель",
    "Целевая аудитория",
    "Сроки",
    "Начало (по срокам)",
    "Окончание (по срокам)",
    "Ответственный",
    "Ожидаемый результат",
    "Результат",
    "Участников",
    "Ссылки",
    "Статус",
]

# http(s) addresses inside the free text of «Ссылки»; anything else stays text.
URL = re.compile(r"https?://[^\s<>\"'«»,;]+", re.IGNORECASE)
TRAILING = ".:!?)]"


# ---------------------------------------------------------------- helpers


def _require_writer(user, roadmap: RoadMap) -> None:
    """The owner's own level writes its map (the map is already in the user's scope): access.WRITE_RULES."""
    access.require_write(user, roadmap)


def _new_roadmap(user) -> RoadMap | None:
    """A new map owned by the user's own territory; None for an admin, who chooses; 403 without a role.

    Both questions go to access.WRITE_RULES (``rights.CREATE``): the role first, then the new map.
    """
    access.require_write(user, RoadMap, rights.CREATE)
    role = access.role_of(user)
    if role == Role.ADMIN:
        return None
    scope = access.user_scope(user)
    if role == Role.OPERATOR:
        roadmap = RoadMap(level=Level.REGION, region_id=scope.region_id)
    elif role == Role.COORDINATOR:
        municipality = scope.municipality
        roadmap = RoadMap(
            level=Level.MUNICIPALITY, region_id=municipality.region_id, municipality=municipality
        )
    else:
        organization = scope.organization
        roadmap = RoadMap(
            level=Level.ORGANIZATION,
            region_id=organization.municipality.region_id,
            municipality_id=organization.municipality_id,
            organization=organization,
        )
    access.require_write(user, roadmap, rights.CREATE)
    return roadmap


def _roadmaps(user):
    return access.scoped(user, RoadMap.objects.select_related("region", "municipality", "organization"))


def _get_roadmap(user, pk) -> RoadMap:
    return access.get_scoped_or_404(user, _roadmaps(user), pk=pk)


def _get_event(user, roadmap: RoadMap, pk) -> RoadMapEvent:
    return access.get_scoped_or_404(user, RoadMapEvent.objects.filter(roadmap=roadmap), pk=pk)


def _add_errors(form, exc: ValidationError, *, to_title: frozenset = frozenset()) -> None:
    """A model's error onto the form: next to its field when the form has it, else on top.

    The messages in ``to_title`` (a repeated title) are shown at «Наименование».
    """
    errors = exc.error_dict if hasattr(exc, "error_dict") else {None: exc.error_list}
    for field, field_errors in errors.items():
        for error in field_errors:
            text = " ".join(error.messages)
            if text in to_title:
                form.add_error("title", text)
            else:
                form.add_error(field if field in form.fields else None, error)


def _save(obj) -> None:
    """Every rule of the model (owner, unique title, natural key of an event), then the row."""
    with transaction.atomic():
        obj.full_clean()
        obj.save()


def owner_label(roadmap: RoadMap) -> str:
    owner = roadmap.owner
    if roadmap.level == Level.ORGANIZATION:
        return f"{owner} ({roadmap.municipality.name})"
    return str(owner)


def basis_label(roadmap: RoadMap) -> str:
    """«№ 1479/1 от 16.12.2022»."""
    parts = []
    if roadmap.basis_number:
        parts.append(f"№\u00a0{roadmap.basis_number}")
    if roadmap.basis_date:
        parts.append(f"от {roadmap.basis_date:%d.%m.%Y}")
    return " ".join(parts)


def dates_label(start, end) -> str:
    """«01.11.2020 – 30.11.2020», «16.12.2022» (one day), «с 01.09.2022», «по 31.05.2023», «»."""
    if start and end:
        return f"{start:%d.%m.%Y}" if start == end else f"{start:%d.%m.%Y} – {end:%d.%m.%Y}"
    if start:
        return f"с {start:%d.%m.%Y}"
    if end:
        return f"по {end:%d.%m.%Y}"
    return ""


def link_parts(text: str) -> list[dict]:
    """«Ссылки» as written, cut into text and http(s) addresses: ``{"text": …, "url": … or None}``."""
    parts, position = [], 0
    for match in URL.finditer(text or ""):
        url = match.group().rstrip(TRAILING)
        if not urllib.parse.urlsplit(url).netloc:
            continue
        if match.start() > position:
            parts.append({"text": text[position : match.start()], "url": None})
        parts.append({"text": url, "url": url})
        position = match.start() + len(url)
    if position < len(text or ""):
        parts.append({"text": text[position:], "url": None})
    return parts


def _period_query(data) -> str:
    """The period filter to keep across a redirect (only its two dates, re-encoded)."""
    kept = {name: data.get(name, "") for name in ("date_from", "date_to") if data.get(name)}
    return f"?{urllib.parse.urlencode(kept)}" if kept else ""


# ---------------------------------------------------------------- the list


def _with_counts(queryset):
    # A cancelled event has left the plan: it counts in neither figure (as in ``roadmap_execution``).
    return queryset.annotate(
        n_planned=Count("events", filter=~Q(events__status=Status.CANCELLED)),
        n_done=Count("events", filter=Q(events__status=Status.DONE)),
    )


@login_required
def roadmap_list(request):
    roadmaps = _with_counts(_roadmaps(request.user)).order_by("level", "region__name", "title", "pk")
    filterset = forms.RoadMapFilter(request.GET, queryset=roadmaps, request=request)
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            filename="Дорожные карты.xlsx",
            title="Дорожные карты",
            columns=[
                "Дорожная карта",
                "Уровень",
                "Владелец",
                "Код ОО",
                "Утверждающий документ",
                "Номер документа",
                "Дата документа",
                "Период: начало",
                "Период: окончание",
                "Выполнено",
                "Запланировано",
            ],
            rows=(
                [
                    r.title,
                    r.get_level_display(),
                    owner_label(r),
                    r.organization.code if r.organization_id else "",
                    r.basis_title,
                    r.basis_number,
                    r.basis_date,
                    r.period_start,
                    r.period_end,
                    r.n_done,
                    r.n_planned,
                ]
                for r in filterset.qs
            ),
            user=request.user,
        )
    table = tables.sorted_page(
        request=request,
        queryset=filterset.qs,
        columns=ROADMAP_COLUMNS,
        page_size=PAGE_SIZE,
        list_name="monitoring:roadmap-list",
    )
    page = table.page
    context = {
        "filter": filterset,
        "page": page,
        "table": table,
        "rows": [(r, owner_label(r), basis_label(r)) for r in page],
        "can_create": access.can_write(request.user, RoadMap, rights.CREATE),
        "territory": access.territory_label(request.user),
    }
    return render(request, "monitoring/roadmaps/roadmap_list.html", context)


# ---------------------------------------------------------------- one road map


def _event_groups(events: Iterable[RoadMapEvent]) -> list[dict]:
    """Events grouped by direction, each direction where its first event stands (as in the figures)."""
    groups: dict[str, list] = {}
    for event in events:
        event.link_parts = link_parts(event.links)
        event.dates = dates_label(event.timing_start, event.timing_end)
        groups.setdefault(event.direction, []).append(event)
    return [{"direction": direction, "events": rows} for direction, rows in groups.items()]


def _events_xlsx(request, roadmap: RoadMap, events: list[RoadMapEvent]):
    return xlsx_response(
        filename="Мероприятия дорожной карты.xlsx",
        title=f"Мероприятия дорожной карты «{roadmap.title}»",
        columns=EVENT_COLUMNS,
        rows=(
            [
                e.direction,
                e.number,
                e.title,
                e.goal,
                e.audience,
                e.timing_text,
                e.timing_start,
                e.timing_end,
                e.responsible,
                e.expected_result,
                e.result,
                e.participants,
                e.links,
                e.get_status_display(),
            ]
            for e in events
        ),
        user=request.user,
    )


@login_required
def roadmap_detail(request, pk):
    roadmap = _get_roadmap(request.user, pk)
    period_form = forms.PeriodForm(request.GET if {"date_from", "date_to"} & set(request.GET) else None)
    period = period_form.period()
    groups = _event_groups(roadmap_events(roadmap, **period).order_by("sort_order", "pk"))
    if request.GET.get("format") == "xlsx":
        return _events_xlsx(request, roadmap, [event for group in groups for event in group["events"]])
    execution = roadmap_execution(roadmap, **period)
    can_write = access.can_write(request.user, roadmap)
    context = {
        "roadmap": roadmap,
        "owner": owner_label(roadmap),
        "basis": basis_label(roadmap),
        "period_label": dates_label(roadmap.period_start, roadmap.period_end),
        "period_form": period_form,
        "filtered": bool(period),
        "execution": execution,
        "by_month": [(month_label(month), month, figure) for month, figure in execution.by_month],
        "groups": groups,
        "n_events": sum(len(group["events"]) for group in groups),
        "can_write": can_write,
        "status_choices": Status.choices if can_write else [],
        "back_query": _period_query(request.GET) if period else "",
    }
    return render(request, "monitoring/roadmaps/roadmap_detail.html", context)


def _roadmap_form(request, roadmap: RoadMap | None):
    created = roadmap is None or roadmap.pk is None
    if roadmap is None:  # an admin chooses the level and the owner
        form = forms.AdminRoadMapForm(request.POST or None, user=request.user)
    else:
        form = forms.RoadMapForm(request.POST or None, instance=roadmap)
    if request.method == "POST" and form.is_valid():
        roadmap = form.save(commit=False)
        if isinstance(form, forms.AdminRoadMapForm):
            form.apply_owner(roadmap)
        try:
            _save(roadmap)
        except ValidationError as exc:
            _add_errors(form, exc, to_title=UNIQUE_TITLE)
        else:
            messages.success(request, "Дорожная карта создана." if created else "Дорожная карта сохранена.")
            return redirect("monitoring:roadmap-detail", roadmap.pk)
    context = {
        "form": form,
        "roadmap": roadmap if roadmap is not None and roadmap.pk else None,
        "owner": owner_label(roadmap) if roadmap is not None and roadmap.region_id else "",
        "level": roadmap.get_level_display() if roadmap is not None and roadmap.level else "",
        "title": "Новая дорожная карта" if created else f"Дорожная карта «{roadmap.title}»",
    }
    return render(request, "monitoring/roadmaps/roadmap_form.html", context)


@login_required
def roadmap_create(request):
    return _roadmap_form(request, _new_roadmap(request.user))


@login_required
def roadmap_edit(request, pk):
    roadmap = _get_roadmap(request.user, pk)
    _require_writer(request.user, roadmap)
    return _roadmap_form(request, roadmap)


# ---------------------------------------------------------------- events


def _saved_message(event: RoadMapEvent, created: bool) -> str:
    done = "Мероприятие добавлено." if created else "Мероприятие сохранено."
    dates = dates_label(event.timing_start, event.timing_end)
    if dates:
        return f"{done} Сроки прочитаны как {dates}."
    if event.timing_text.strip():
        return (
            f"{done} Сроки «{event.timing_text}» не прочитаны как даты: "
            "в отбор по периоду мероприятие не попадёт."
        )
    return done


def _event_form(request, roadmap: RoadMap, event: RoadMapEvent):
    created = event.pk is None
    form = forms.EventForm(request.POST or None, instance=event)
    if request.method == "POST" and form.is_valid():
        event = form.save(commit=False)
        if created:
            last = roadmap.events.aggregate(last=Max("sort_order"))["last"]
            event.sort_order = 1 if last is None else last + 1
        try:
            _save(event)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _saved_message(event, created))
            return redirect(reverse("monitoring:roadmap-detail", args=[roadmap.pk]) + f"#event-{event.pk}")
    directions = list(
        roadmap.events.exclude(direction="").order_by().values_list("direction", flat=True).distinct()
    )
    context = {
        "form": form,
        "roadmap": roadmap,
        "event": event if event.pk else None,
        "dates": dates_label(event.timing_start, event.timing_end) if event.pk else "",
        "directions": sorted(directions),
        "title": "Новое мероприятие" if created else f"Мероприятие {event.number}".strip(),
    }
    return render(request, "monitoring/roadmaps/event_form.html", context)


@login_required
def event_create(request, pk):
    roadmap = _get_roadmap(request.user, pk)
    _require_writer(request.user, roadmap)
    return _event_form(request, roadmap, RoadMapEvent(roadmap=roadmap))


@login_required
def event_edit(request, pk, event_pk):
    roadmap = _get_roadmap(request.user, pk)
    event = _get_event(request.user, roadmap, event_pk)
    _require_writer(request.user, roadmap)
    return _event_form(request, roadmap, event)


@login_required
@require_POST
def event_status(request, pk, event_pk):
    roadmap = _get_roadmap(request.user, pk)
    event = _get_event(request.user, roadmap, event_pk)
    _require_writer(request.user, roadmap)
    form = forms.EventStatusForm(request.POST)
    if form.is_valid():
        event.status = form.cleaned_data["status"]
        event.save(update_fields=["status", "timing_start", "timing_end"])
        title = event.title if len(event.title) <= 80 else event.title[:79] + "…"
        messages.success(request, f"Мероприятие «{title}»: {event.get_status_display()}.")
    else:
        messages.error(request, "Выберите статус из списка.")
    url = reverse("monitoring:roadmap-detail", args=[roadmap.pk])
    return redirect(f"{url}{_period_query(request.POST)}#event-{event.pk}")


@login_required
def roadmap_calendar(request, pk):
    """The road map's dated events as an .ics file, for whoever sees the map (docs/architecture.md §4)."""
    roadmap = _get_roadmap(request.user, pk)
    url = request.build_absolute_uri(reverse("monitoring:roadmap-detail", args=[roadmap.pk]))
    body = calendars.roadmap_calendar(roadmap=roadmap, host=request.get_host(), url=url)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    name = urllib.parse.quote("Мероприятия дорожной карты.ics")
    response["Content-Disposition"] = (
        f"attachment; filename=\"roadmap-{roadmap.pk}.ics\"; filename*=UTF-8''{name}"
    )
    return response


urlpatterns = [
    path("roadmaps/", roadmap_list, name="roadmap-list"),
    path("roadmaps/new/", roadmap_create, name="roadmap-create"),
    path("roadmaps/<int:pk>/", roadmap_detail, name="roadmap-detail"),
    path("roadmaps/<int:pk>/edit/", roadmap_edit, name="roadmap-edit"),
    path("roadmaps/<int:pk>/calendar.ics", roadmap_calendar, name="roadmap-calendar"),
    path("roadmaps/<int:pk>/events/new/", event_create, name="roadmap-event-create"),
    path("roadmaps/<int:pk>/events/<int:event_pk>/edit/", event_edit, name="roadmap-event-edit"),
    path("roadmaps/<int:pk>/events/<int:event_pk>/status/", event_status, name="roadmap-event-status"),
]
