"""The workbook's «Мероприятия» sheet (docs/workbook.md §2): road-map events, imported, exported, in the
template.

Each row names its road map by title and owner: «Код ОО» (an organization's map),
otherwise «Муниципалитет» (a municipality's map), otherwise the region's map. A road map
missing from the database is created with its first row. Events are matched by their
natural key (road map, «Направление», «№», «Мероприятие»; see ``RoadMapEvent``) and
created, updated or left alone; an event absent from the file is left as it is.

Owners are looked up in what this workbook defines first, then in the database. The
registry's sheets (processed before this one) leave in ``ctx.shared``:

- ``"organizations"``: «Код ОО» → a reference with ``id`` (None until the organization is
  written) and ``obj`` (the unsaved ``Organization`` when this import creates it);
- ``"municipalities"``: a folded code or name → a ``Municipality`` (``pk`` None until written).

A dry run plans against both; a real import plans after the registry's sheets have been
written, so its owners are in the database when the road maps are.
"""

import dataclasses
from collections.abc import Iterable

from django.db.models import Case, Count, Q, Value, When
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from registry import access
from registry.models import Municipality, Organization, Region
from registry.workbook import schema
from registry.workbook.engine import CHANGE_REASON, ImportContext, Row, SheetHandler
from registry.workbook.schema import Column, SheetSpec, choice_parser, parse_code, parse_int, text

from .models import RoadMap, RoadMapEvent, fold
from .timing import parse_timing

BATCH = 2000

Status = RoadMapEvent.Status
Level = RoadMap.Level

# The status as the workbook writes it (its model label) and the spellings it also accepts.
STATUS_LABELS = {
    "запланировано": Status.PLANNED,
    "выполнено": Status.DONE,
    "выполнено частично": Status.PARTIAL,
    "частично": Status.PARTIAL,
    "не выполнено": Status.NOT_DONE,
    "перенесено": Status.POSTPONED,
    "отменено": Status.CANCELLED,
}

EVENTS = SheetSpec(
    "Мероприятия",
    (
        Column(
            "Дорожная карта",
            "roadmap",
            text(500),
            required=True,
            example="План мероприятий по внедрению системы наставничества на 2022–2024 годы",
        ),
        Column("Муниципалитет", "municipality", text(200), example=schema.EXAMPLE_MUNICIPALITY),
        Column("Код ОО", "organization", parse_code),
        Column("Направление", "direction", text(300), example="Направление 1. Нормативное обеспечение"),
        Column("№", "number", text(20), example="1.1"),
        Column(
            "Мероприятие",
            "title",
            text(2000),
            required=True,
            example="Координационное совещание с кураторами наставничества",
        ),
        Column("Цель", "goal", text(2000)),
        Column("Целевая аудитория", "audience", text(2000), example="кураторы ОО"),
        Column("Сроки", "timing_text", text(200), required=True, example="Ноябрь 2022"),
        Column("Ответственный", "responsible", text(2000)),
        Column("Ожидаемый результат", "expected_result", text(2000)),
        Column("Результат", "result", text(2000)),
        Column("Участников", "participants", parse_int),
        Column("Ссылки", "links", text(2000)),
        Column(
            "Статус",
            "status",
            choice_parser(STATUS_LABELS, "ый статус"),
            choices=tuple(label for label in STATUS_LABELS if label != "частично"),
            example="запланировано",
        ),
    ),
)

# Fields of an event the sheet writes as given (when their column is present).
TEXT_FIELDS = (
    "direction", "number", "title", "goal", "audience", "timing_text",
    "responsible", "expected_result", "result", "links",
)  # fmt: skip


@dataclasses.dataclass(frozen=True, slots=True)
class Owner:
    """Whose road map a row names; ids are None while the owner exists only in the file."""

    level: str
    code: str  # the region's, the municipality's or the organization's code
    region_id: int | None = None
    municipality_id: int | None = None
    organization_id: int | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.level, self.code)

    @property
    def stored(self) -> bool:
        return {
            Level.REGION: self.region_id,
            Level.MUNICIPALITY: self.municipality_id,
            Level.ORGANIZATION: self.organization_id,
        }[self.level] is not None


@dataclasses.dataclass
class PlannedRoadMap:
    owner: Owner
    title: str
    roadmap: RoadMap | None  # the stored one; None: created by this import
    position: int = 0  # events of this map in the file so far (their sort_order)


@dataclasses.dataclass
class Plan:
    new_maps: list[PlannedRoadMap]
    creates: list[tuple[PlannedRoadMap, RoadMapEvent]]
    updates: list[RoadMapEvent]
    update_fields: set[str]


# ---------------------------------------------------------------- owners


class _Territory:
    """The municipalities and organizations rows refer to: the file's (``ctx.shared``), then the database."""

    def __init__(self, rows: list[Row], ctx: ImportContext):
        self.ctx = ctx
        self.shared_municipalities = ctx.shared.get("municipalities", {})
        codes = sorted({r.values.get("organization") for r in rows if r.values.get("organization")})
        self.stored_organizations = {}
        for start in range(0, len(codes), BATCH):
            for org in Organization.objects.filter(code__in=codes[start : start + BATCH]).select_related(
                "municipality"
            ):
                self.stored_organizations[org.code] = org
        self._municipalities = None
        self.regions = list(Region.objects.all())
        if not self.regions:
            # A fresh installation: the region comes with this file's «Муниципалитеты».
            distinct = {}
            for m in self.shared_municipalities.values():
                region = getattr(m, "region", None)
                if region is not None:
                    distinct[fold(region.name)] = region
            self.regions = list(distinct.values())

    def municipalities(self) -> dict[str, list]:
        """Folded code or name → the stored municipalities so named (a name may repeat across regions)."""
        if self._municipalities is None:
            self._municipalities = {}
            for m in Municipality.objects.only("id", "code", "name", "region_id"):
                for key in {fold(m.code), fold(m.name)}:
                    self._municipalities.setdefault(key, []).append(m)
        return self._municipalities

    def find_municipality(self, value: str) -> Municipality | None | list:
        """The municipality named by code or name; a list when the name is ambiguous."""
        key = fold(value)
        found = self.shared_municipalities.get(key)
        if found is not None:
            return found
        candidates = self.municipalities().get(key, [])
        if len(candidates) > 1:
            return candidates
        return candidates[0] if candidates else None

    def find_organization(self, code: str):
        return _find_organization(code, self.ctx, self.stored_organizations)


def _find_organization(code: str, ctx: ImportContext, stored: dict | None = None) -> Organization | None:
    """The organization with this «Код ОО»: this workbook's «Организации» first, then the database.

    ``ctx.shared["organizations"]`` maps a code to a reference with ``id`` (None until the
    organization is written) and ``obj`` (its unsaved instance when this import creates it).
    Returns an ``Organization`` (unsaved, ``pk`` None, for one that exists only in the file)
    or None.
    """
    ref = ctx.shared.get("organizations", {}).get(code)
    if ref is not None and getattr(ref, "id", None) is None and getattr(ref, "obj", None) is not None:
        return ref.obj
    if stored is not None:  # the stored organizations of every code of the sheet, fetched at once
        return stored.get(code)
    return Organization.objects.select_related("municipality").filter(code=code).first()


def _owner(spec: SheetSpec, row: Row, territory: _Territory, ctx: ImportContext) -> Owner | None:
    """The owner the row names, or None after reporting why it cannot be found."""
    values = row.values
    municipality_text = values.get("municipality") or ""
    code = values.get("organization") or ""
    municipality = None
    if municipality_text:
        municipality = territory.find_municipality(municipality_text)
        if isinstance(municipality, list):
            names = {r.pk: r.name for r in territory.regions}
            regions = ", ".join(sorted({f"«{names.get(m.region_id, m.region_id)}»" for m in municipality}))
            ctx.row_error(
                spec, row, "municipality",
                f"муниципалитетов с наименованием «{municipality_text}» несколько (в регионах {regions}); "
                "укажите код муниципалитета",
            )  # fmt: skip
            return None
        if municipality is None:
            ctx.row_error(
                spec, row, "municipality",
                f"муниципалитет «{municipality_text}» не найден ни в листе «Муниципалитеты», ни в реестре",
            )  # fmt: skip
            return None
    if code:
        organization = territory.find_organization(code)
        if organization is None:
            ctx.row_error(
                spec, row, "organization",
                f"организация с кодом «{code}» не найдена ни в листе «Организации», ни в реестре",
            )  # fmt: skip
            return None
        own = organization.municipality
        if municipality is not None and fold(own.code) != fold(municipality.code):
            ctx.row_error(
                spec, row, "municipality",
                f"организация «{code}» относится к муниципалитету «{own.name}», а не «{municipality.name}»; "
                "исправьте муниципалитет или оставьте его пустым",
            )  # fmt: skip
            return None
        return Owner(
            Level.ORGANIZATION,
            organization.code,
            region_id=own.region_id,
            municipality_id=own.pk,
            organization_id=organization.pk,
        )
    if municipality is not None:
        return Owner(
            Level.MUNICIPALITY,
            municipality.code,
            region_id=municipality.region_id,
            municipality_id=municipality.pk,
        )
    regions = territory.regions
    if len(regions) == 1:
        return Owner(Level.REGION, regions[0].code, region_id=regions[0].pk)
    if not regions:
        ctx.row_error(
            spec, row, "roadmap",
            "в реестре нет ни одного региона: добавьте лист «Муниципалитеты» с регионом или укажите «Код ОО»",
        )  # fmt: skip
    else:
        ctx.row_error(
            spec, row, "municipality",
            "в реестре несколько регионов, и без муниципалитета не понять, чья это дорожная карта; "
            "укажите муниципалитет (или «Код ОО»), а региональную дорожную карту ведите в портале",
        )  # fmt: skip
    return None


# ---------------------------------------------------------------- the sheet


class EventsSheet(SheetHandler):
    spec = EVENTS
    order = 70

    def plan(self, rows: list[Row], ctx: ImportContext) -> Plan:
        spec = self.spec
        territory = _Territory(rows, ctx)
        owners: dict[int, Owner] = {}
        for row in rows:
            owner = _owner(spec, row, territory, ctx)
            if owner is not None:
                owners[row.number] = owner

        maps = self._road_maps(rows, owners)
        stored_ids = [m.roadmap.pk for m in maps.values() if m.roadmap is not None]
        stored_events: dict[tuple, list[RoadMapEvent]] = {}
        for start in range(0, len(stored_ids), BATCH):
            for event in RoadMapEvent.objects.filter(roadmap_id__in=stored_ids[start : start + BATCH]):
                stored_events.setdefault(event.natural_key, []).append(event)

        plan = Plan([m for m in maps.values() if m.roadmap is None], [], [], set())
        seen: dict[tuple, int] = {}
        for row in rows:
            owner = owners.get(row.number)
            if owner is None:
                continue
            v = row.values
            planned = maps[(owner.key, fold(v["roadmap"]))]
            key = (id(planned), fold(v.get("direction", "")), fold(v.get("number", "")), fold(v["title"]))
            first = seen.setdefault(key, row.number)
            if first != row.number:
                ctx.row_error(
                    spec, row, "title",
                    f"строки {first} и {row.number} — одно и то же мероприятие "
                    "(та же дорожная карта, направление, № и название)",
                )  # fmt: skip
                continue
            planned.position += 1
            wanted = self._values(v, planned.position)
            if planned.roadmap is None:
                plan.creates.append((planned, RoadMapEvent(**_defaults(wanted))))
                ctx.count(spec, "created")
                continue
            matches = stored_events.get((planned.roadmap.pk, *key[1:]), [])
            if len(matches) > 1:
                ctx.row_error(
                    spec, row, "title",
                    f"в дорожной карте «{planned.roadmap.title}» уже {len(matches)} таких мероприятия "
                    "(то же направление, № и название); оставьте одно в портале и загрузите файл снова",
                )  # fmt: skip
                continue
            if not matches:
                plan.creates.append((planned, RoadMapEvent(roadmap=planned.roadmap, **_defaults(wanted))))
                ctx.count(spec, "created")
                continue
            event = matches[0]
            changed = [f for f, value in wanted.items() if getattr(event, f) != value]
            if changed:
                for f in changed:
                    setattr(event, f, wanted[f])
                plan.updates.append(event)
                plan.update_fields.update(changed)
                ctx.count(spec, "updated")
            else:
                ctx.count(spec, "unchanged")
        return plan

    def _road_maps(self, rows: list[Row], owners: dict[int, Owner]) -> dict[tuple, PlannedRoadMap]:
        """(owner key, folded title) → the road map, stored or to be created; a few queries in all."""
        wanted: dict[tuple, PlannedRoadMap] = {}
        for row in rows:
            owner = owners.get(row.number)
            if owner is not None:
                title = row.values["roadmap"]
                wanted.setdefault((owner.key, fold(title)), PlannedRoadMap(owner, title, None))
        by_level: dict[str, set] = {}
        for planned in wanted.values():
            owner = planned.owner
            if owner.stored:
                field = {Level.REGION: "region_id", Level.MUNICIPALITY: "municipality_id"}.get(
                    owner.level, "organization_id"
                )
                by_level.setdefault(owner.level, set()).add(getattr(owner, field))
        stored: dict[tuple, RoadMap] = {}
        for level, ids in by_level.items():
            field = {Level.REGION: "region", Level.MUNICIPALITY: "municipality"}.get(level, "organization")
            ids = sorted(ids)
            for start in range(0, len(ids), BATCH):
                maps = RoadMap.objects.filter(level=level, **{f"{field}_id__in": ids[start : start + BATCH]})
                for roadmap in maps:
                    stored[(level, getattr(roadmap, f"{field}_id"), fold(roadmap.title))] = roadmap
        for (_, title), planned in wanted.items():
            owner = planned.owner
            if owner.stored:
                owner_id = {Level.REGION: owner.region_id, Level.MUNICIPALITY: owner.municipality_id}.get(
                    owner.level, owner.organization_id
                )
                planned.roadmap = stored.get((owner.level, owner_id, title))
        return wanted

    @staticmethod
    def _values(v: dict, position: int) -> dict:
        """The event's fields as the row gives them (a column left out of the sheet is not touched)."""
        values = {f: v[f] for f in TEXT_FIELDS if f in v}
        if "timing_text" in v:
            values["timing_start"], values["timing_end"] = parse_timing(v["timing_text"])
        if "participants" in v:
            values["participants"] = v["participants"]
        if "status" in v:
            values["status"] = v["status"] or Status.PLANNED
        values["sort_order"] = position
        return values

    def apply(self, plan: Plan, ctx: ImportContext) -> None:
        if not ctx.writing:
            return
        history = {"default_user": ctx.user, "default_change_reason": CHANGE_REASON, "batch_size": BATCH}
        new_maps = [self._new_road_map(planned, ctx) for planned in plan.new_maps]
        if ctx.has_errors:
            return
        if new_maps:
            created = bulk_create_with_history(new_maps, RoadMap, **history)
            for planned, roadmap in zip(plan.new_maps, created, strict=True):
                planned.roadmap = roadmap
        events = []
        for planned, event in plan.creates:
            event.roadmap = planned.roadmap
            events.append(event)
        if events:
            bulk_create_with_history(events, RoadMapEvent, **history)
        if plan.updates:
            bulk_update_with_history(plan.updates, RoadMapEvent, sorted(plan.update_fields), **history)

    def _new_road_map(self, planned: PlannedRoadMap, ctx: ImportContext) -> RoadMap:
        """The road map to create; its owner is written by now (the registry's sheets come first)."""
        owner = planned.owner
        roadmap = RoadMap(title=planned.title, level=owner.level)
        if owner.level == Level.ORGANIZATION:
            org = Organization.objects.select_related("municipality").filter(code=owner.code).first()
            if org is not None:
                roadmap.organization = org
                roadmap.municipality_id = org.municipality_id
                roadmap.region_id = org.municipality.region_id
        elif owner.level == Level.MUNICIPALITY:
            municipality = Municipality.objects.filter(code=owner.code).first()
            if municipality is not None:
                roadmap.municipality = municipality
                roadmap.region_id = municipality.region_id
        else:
            roadmap.region = Region.objects.filter(code=owner.code).first()
        if roadmap.region_id is None:
            ctx.error(self.spec, None, None, f"не удалось найти владельца дорожной карты «{planned.title}»")
        return roadmap

    # ---------------------------------------------------------------- export

    def export_rows(self, organizations, ctx) -> Iterable[tuple]:
        """Events of the road maps whose owner lies within ``organizations`` (a scoped queryset).

        An organization's map goes with its organization; a municipality's map with an export
        that holds all of that municipality's organizations; the region's maps only with a
        region-wide export (``ctx.region_wide``, True when the context does not say). When the
        context names a user, their scope applies as well.
        """
        q = Q(roadmap__level=Level.ORGANIZATION, roadmap__organization__in=organizations)
        covered = self._whole_municipalities(organizations)
        if covered:
            q |= Q(roadmap__level=Level.MUNICIPALITY, roadmap__municipality__in=covered)
        if getattr(ctx, "region_wide", True):
            regions = organizations.values("municipality__region_id")
            q |= Q(roadmap__level=Level.REGION, roadmap__region__in=regions)
        events = RoadMapEvent.objects.filter(q)
        user = getattr(ctx, "user", None)
        if user is not None:
            events = access.scoped(user, events)
        level_order = Case(
            When(roadmap__level=Level.REGION, then=Value(0)),
            When(roadmap__level=Level.MUNICIPALITY, then=Value(1)),
            default=Value(2),
        )
        events = events.select_related("roadmap", "roadmap__municipality", "roadmap__organization").order_by(
            "roadmap__region__name", level_order, "roadmap__municipality__code",
            "roadmap__organization__code", "roadmap__title", "roadmap_id", "sort_order", "id",
        )  # fmt: skip
        labels = {stored: label for label, stored in STATUS_LABELS.items() if label != "частично"}
        for event in events.iterator(chunk_size=BATCH):
            roadmap = event.roadmap
            yield (
                roadmap.title,
                roadmap.municipality.code if roadmap.municipality_id else "",
                roadmap.organization.code if roadmap.organization_id else "",
                event.direction,
                event.number,
                event.title,
                event.goal,
                event.audience,
                event.timing_text,
                event.responsible,
                event.expected_result,
                event.result,
                event.participants,
                event.links,
                labels[event.status],
            )

    @staticmethod
    def _whole_municipalities(organizations) -> list[int]:
        """Municipalities all of whose organizations are in ``organizations`` (two GROUP BY queries)."""
        chosen = dict(
            organizations.order_by()
            .values_list("municipality_id")
            .annotate(n=Count("id"))
            .values_list("municipality_id", "n")
        )
        if not chosen:
            return []
        totals = (
            Organization.objects.filter(municipality_id__in=list(chosen))
            .order_by()
            .values_list("municipality_id")
            .annotate(n=Count("id"))
            .values_list("municipality_id", "n")
        )
        return [pk for pk, n in totals if chosen.get(pk) == n]


def _defaults(values: dict) -> dict:
    """A new event: the row's values over the model's defaults."""
    return {"status": Status.PLANNED, **values}
