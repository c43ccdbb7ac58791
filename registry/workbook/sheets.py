"""The registry's sheets of the workbook: municipalities, organizations, headcount, people, mentorships.

Each handler plans its rows against the file and the database in a few set-based queries
(never one query per row), keeps what later sheets refer to in ``ctx.shared``, and writes
in batches with simple-history's bulk helpers so that every created or changed record has
its history row (RELIABILITY A13: plain ``bulk_*`` would leave none). On PostgreSQL the big
creates (people, bases, pairs, links) go by COPY with the same history rows (copy.py).

Natural keys (DESIGN §3): municipalities and organizations by code; headcount by
organization and school year; people by organization code, ФИО and date of birth — ФИО
compared case-insensitively and with ё = е, the file's spelling is what is stored; a
mentorship by organization, form, mentor, start date and either its «Группа» or its one mentee.
"""

import dataclasses
import datetime
import uuid
from collections.abc import Iterable, Sequence
from operator import itemgetter

from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from registry.models import (
    ADULT_AGE,
    BaseMembership,
    Category,
    Headcount,
    MentoringForm,
    Mentorship,
    MentorshipLink,
    Municipality,
    Organization,
    OrganizationStatus,
    Person,
    Region,
    normalize_form_name,
    school_year_label,
)
from registry.people import MAX_STUDENT_AGE, MIN_STUDENT_AGE, age_on

from . import copy, schema
from .engine import CHANGE_REASON, ImportContext, Row, SheetHandler, register
from .schema import CATEGORY_LABELS, ORG_TYPE_LABELS, STATUS_LABELS, label_of

BATCH = 2000
COPY_BATCH = 20_000  # rows per COPY (and per progress step) on PostgreSQL
CHUNK = 2000  # ids per IN (...) lookup


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _fold(text: str) -> str:
    return " ".join(text.casefold().replace("ё", "е").split())


def _history_kwargs(ctx: ImportContext) -> dict:
    return {"default_user": ctx.user, "default_change_reason": CHANGE_REASON, "batch_size": BATCH}


def _create(model, objs: list, ctx: ImportContext, *, history: bool = True) -> None:
    for batch in _chunks(objs, BATCH):
        if history:
            bulk_create_with_history(batch, model, **_history_kwargs(ctx))
        else:
            model.objects.bulk_create(batch, batch_size=BATCH)
        ctx.progress("Запись", 0)


def _insert(model, columns: Sequence[str], rows: list[tuple], ctx: ImportContext) -> None:
    """Create ``rows`` (tuples of the ``columns`` values, by attname), each with its history row.

    PostgreSQL: COPY, in the import's transaction (copy.py). SQLite: model instances through
    ``bulk_create_with_history``, as ever.
    """
    if not copy.available():
        _create(model, [model(**dict(zip(columns, row, strict=True))) for row in rows], ctx)
        return
    table = copy.Table(model, columns, user=ctx.user, reason=CHANGE_REASON)
    for batch in _chunks(rows, COPY_BATCH):
        table.write(batch)
        ctx.progress("Запись", 0)


def _update(model, objs: list, fields: list[str], ctx: ImportContext, *, history: bool = True) -> None:
    for batch in _chunks(objs, BATCH):
        if history:
            bulk_update_with_history(batch, model, fields, **_history_kwargs(ctx))
        else:
            model.objects.bulk_update(batch, fields, batch_size=BATCH)


def _duplicate(ctx, spec, row, field, seen: dict, key, what: str) -> bool:
    first = seen.get(key)
    if first is not None:
        ctx.row_error(spec, row, field, f"строки {first} и {row.number} — {what}")
        return True
    seen[key] = row.number
    return False


# ---------------------------------------------------------------- shared references


@dataclasses.dataclass(slots=True)
class OrgRef:
    code: str
    id: int | None  # None while the organization exists only in the file (dry run)
    obj: Organization | None = None  # the instance, when this import creates it


def organizations(ctx: ImportContext) -> dict[str, OrgRef]:
    return ctx.shared.setdefault("organizations", {})


def resolve_organizations(ctx: ImportContext, codes: Iterable[str]) -> dict[str, OrgRef]:
    """code → OrgRef for the codes known to the file or the database."""
    known = organizations(ctx)
    missing = sorted({c for c in codes if c and c not in known})
    for batch in _chunks(missing):
        for code, pk in Organization.objects.filter(code__in=batch).values_list("code", "id"):
            known[code] = OrgRef(code, pk)
    return known


def org_id(ref: OrgRef) -> int | None:
    if ref.id is None and ref.obj is not None:
        ref.id = ref.obj.pk
    return ref.id


@dataclasses.dataclass(slots=True)
class PersonRef:
    id: uuid.UUID
    org_code: str
    full_name: str
    birth_date: datetime.date
    category: str
    values: tuple | None  # stored values of PERSON_FIELDS (from the database); None: new in this file
    sheet: str | None = None  # the sheet and row of the file that defines them
    row: int | None = None
    experience: int | None = None


PERSON_FIELDS = (
    "full_name",
    "birth_date",
    "category",
    "position",
    "subject",
    "grade",
    "teaching_experience",
    "email",
    "phone",
    "consent_date",
    "consent_giver",
    "consent_text_version",
)
CATEGORY, EXPERIENCE = PERSON_FIELDS.index("category"), PERSON_FIELDS.index("teaching_experience")


def people(ctx: ImportContext) -> dict[tuple, PersonRef]:
    return ctx.shared.setdefault("persons", {})


def person_key(org_code: str, full_name: str, birth_date) -> tuple:
    return (org_code, _fold(full_name), birth_date)


def load_people(ctx: ImportContext, refs: Iterable[OrgRef]) -> None:
    """Put the stored people of these organizations into ``ctx.shared['persons']`` (once per organization)."""
    loaded = ctx.shared.setdefault("people_loaded", set())
    by_id = {org_id(r): r.code for r in refs if org_id(r) is not None and org_id(r) not in loaded}
    if not by_id:
        return
    known = people(ctx)
    ambiguous = ambiguous_people(ctx)
    ids = list(by_id)
    for batch in _chunks(ids):
        rows = Person.objects.filter(organization_id__in=batch).values_list(
            "id", "organization_id", *PERSON_FIELDS
        )
        for row in rows.iterator(chunk_size=BATCH):  # a whole region: in chunks
            pk, organization_id, stored = row[0], row[1], row[2:]
            full_name, birth_date, category = stored[0], stored[1], stored[2]
            code = by_id[organization_id]
            key = person_key(code, full_name, birth_date)
            if key in known:  # «Пётр» and «Петр»: two people to the database, one to the import
                ambiguous.add(key)
                continue
            known[key] = PersonRef(
                pk, code, full_name, birth_date, category, stored, experience=stored[EXPERIENCE]
            )
    loaded.update(ids)


def ambiguous_people(ctx: ImportContext) -> set[tuple]:
    """Keys of stored people who differ only in case or е/ё: the import cannot tell which is meant."""
    return ctx.shared.setdefault("people_ambiguous", set())


def _ambiguous(org_code: str, full_name: str, birth_date: datetime.date) -> str:
    return (
        f"в реестре организации {org_code} несколько участников с ФИО «{full_name}» и датой рождения "
        f"{birth_date:%d.%m.%Y}, различающихся только регистром букв или е/ё; объедините их в реестре"
    )


def forms(ctx: ImportContext) -> dict[str, MentoringForm]:
    if "forms" not in ctx.shared:
        ctx.shared["forms"] = {f.normalized_name: f for f in MentoringForm.objects.all()}
    return ctx.shared["forms"]


def form_named(ctx: ImportContext, text: str) -> MentoringForm | None:
    """The form a cell names, whatever dash or spacing; each spelling normalized once per import."""
    spellings = ctx.shared.setdefault("form_spellings", {})
    if text not in spellings:
        spellings[text] = forms(ctx).get(normalize_form_name(text))
    return spellings[text]


# ---------------------------------------------------------------- «Муниципалитеты»


class MunicipalitiesSheet(SheetHandler):
    spec = schema.MUNICIPALITIES
    order = 10

    def plan(self, rows: list[Row], ctx: ImportContext):
        spec = self.spec
        regions = list(Region.objects.all())
        existing = {m.code: m for m in Municipality.objects.filter(code__in=[r.values["code"] for r in rows])}
        seen = {}
        new_regions = {}
        creates, updates = [], []
        for row in rows:
            v = row.values
            if _duplicate(ctx, spec, row, "code", seen, v["code"], "один и тот же муниципалитет"):
                continue
            region = self._region(v.get("region") or "", regions, new_regions, ctx, row)
            if region is False:
                continue
            current = existing.get(v["code"])
            if current is None:
                creates.append(Municipality(code=v["code"], name=v["name"], region=region))
                ctx.count(spec, "created")
            elif current.name != v["name"] or (region.pk is not None and current.region_id != region.pk):
                current.name, current.region = v["name"], region
                updates.append(current)
                ctx.count(spec, "updated")
            else:
                ctx.count(spec, "unchanged")
        municipalities = ctx.shared.setdefault("municipalities", {})
        for m in [*existing.values(), *creates]:
            municipalities[_fold(m.code)] = m
            municipalities[_fold(m.name)] = m
        return list(new_regions.values()), creates, updates

    def _region(self, text, regions, new_regions, ctx, row):
        if not text:
            if len(regions) == 1:
                return regions[0]
            if not regions and len(new_regions) == 1:
                return next(iter(new_regions.values()))
            ctx.row_error(self.spec, row, "region", "укажите регион: в реестре их несколько или ни одного")
            return False
        for region in [*regions, *new_regions.values()]:
            if _fold(text) in (_fold(region.code), _fold(region.name)):
                return region
        if regions:
            names = ", ".join(f"«{r.name}»" for r in regions)
            ctx.row_error(self.spec, row, "region", f"регион «{text}» не найден; в реестре: {names}")
            return False
        # A fresh installation: the first workbook brings its region.
        region = Region(code=f"R{len(new_regions) + 1}", name=text)
        new_regions[_fold(text)] = region
        return region

    def apply(self, plan, ctx: ImportContext) -> None:
        new_regions, creates, updates = plan
        for region in new_regions:
            region.save()
        Municipality.objects.bulk_create(creates, batch_size=BATCH)
        Municipality.objects.bulk_update(updates, ["name", "region"], batch_size=BATCH)

    def export_rows(self, orgs, ctx) -> Iterable[tuple]:
        municipalities = (
            Municipality.objects.filter(organizations__in=orgs).distinct().select_related("region")
        )
        for m in municipalities.order_by("code"):
            yield (m.code, m.name, m.region.name)


# ---------------------------------------------------------------- «Организации»


def municipality_lookup(ctx: ImportContext) -> dict:
    lookup = ctx.shared.setdefault("municipalities", {})
    if not ctx.shared.get("municipalities_loaded"):
        for m in Municipality.objects.all():
            lookup.setdefault(_fold(m.code), m)
            lookup.setdefault(_fold(m.name), m)
        ctx.shared["municipalities_loaded"] = True
    return lookup


ORG_FIELDS = ("full_name", "short_name", "municipality_id", "org_type", "site_url")


class OrganizationsSheet(SheetHandler):
    spec = schema.ORGANIZATIONS
    order = 20

    def plan(self, rows: list[Row], ctx: ImportContext):
        spec = self.spec
        municipalities = municipality_lookup(ctx)
        codes = [r.values["code"] for r in rows]
        existing = {}
        for batch in _chunks(codes):
            existing.update({o.code: o for o in Organization.objects.filter(code__in=batch)})
        low_results = set()
        for batch in _chunks([o.pk for o in existing.values()]):
            low_results.update(
                OrganizationStatus.objects.filter(
                    organization_id__in=batch, kind=OrganizationStatus.Kind.LOW_RESULTS, end_date__isnull=True
                ).values_list("organization_id", flat=True)
            )
        seen = {}
        creates, updates, open_statuses, close_statuses = [], [], [], []
        refs = organizations(ctx)
        for row in rows:
            v = row.values
            if _duplicate(ctx, spec, row, "code", seen, v["code"], "одна и та же организация"):
                continue
            municipality = municipalities.get(_fold(v["municipality"]))
            if municipality is None:
                ctx.row_error(
                    spec,
                    row,
                    "municipality",
                    f"муниципалитет «{v['municipality']}» не найден "
                    "ни в листе «Муниципалитеты», ни в реестре",
                )
                continue
            wanted = {
                "full_name": v["full_name"],
                "short_name": v.get("short_name", ""),
                "municipality": municipality,
                "org_type": v["org_type"],
                "site_url": v.get("site_url", ""),
            }
            current = existing.get(v["code"])
            low = v.get("low_results")
            if current is None:
                obj = Organization(
                    code=v["code"], **{k: w for k, w in wanted.items() if k in v or k == "municipality"}
                )
                creates.append(obj)
                refs[obj.code] = OrgRef(obj.code, None, obj)
                if low:
                    open_statuses.append(obj)
                ctx.count(spec, "created")
                continue
            refs[current.code] = OrgRef(current.code, current.pk)
            changed = False
            for field, value in wanted.items():
                if field not in v and field != "municipality":
                    continue
                attr = "municipality_id" if field == "municipality" else field
                new = value.pk if field == "municipality" else value
                if getattr(current, attr) != new:
                    setattr(current, field, value)
                    changed = True
            status_change = low is not None and (low != (current.pk in low_results))
            if status_change:
                (open_statuses if low else close_statuses).append(current)
            if changed:
                current.version += 1
                updates.append(current)
            ctx.count(spec, "updated" if changed or status_change else "unchanged")
        return creates, updates, open_statuses, close_statuses

    def apply(self, plan, ctx: ImportContext) -> None:
        creates, updates, open_statuses, close_statuses = plan
        _create(Organization, creates, ctx)
        for obj in creates:
            organizations(ctx)[obj.code].id = obj.pk
        _update(Organization, updates, [*ORG_FIELDS, "version"], ctx)
        OrganizationStatus.objects.bulk_create(
            [
                OrganizationStatus(
                    organization=o,
                    kind=OrganizationStatus.Kind.LOW_RESULTS,
                    start_date=ctx.today,
                    basis=CHANGE_REASON,
                )
                for o in open_statuses
            ],
            batch_size=BATCH,
        )
        for batch in _chunks([o.pk for o in close_statuses]):
            open_ones = OrganizationStatus.objects.filter(
                organization_id__in=batch, kind=OrganizationStatus.Kind.LOW_RESULTS, end_date__isnull=True
            )
            # Ends today, or on its start date when it starts later (end ≥ start).
            open_ones.filter(start_date__gt=ctx.today).update(end_date=F("start_date"))
            open_ones.filter(start_date__lte=ctx.today).update(end_date=ctx.today)

    def export_rows(self, orgs, ctx) -> Iterable[tuple]:
        low = set(
            OrganizationStatus.objects.filter(
                organization__in=orgs, kind=OrganizationStatus.Kind.LOW_RESULTS, end_date__isnull=True
            ).values_list("organization_id", flat=True)
        )
        for o in orgs.select_related("municipality").order_by("code"):
            yield (
                o.code,
                o.full_name,
                o.short_name,
                o.municipality.code,
                label_of(ORG_TYPE_LABELS, o.org_type),
                "да" if o.pk in low else "нет",
                o.site_url,
            )


# ---------------------------------------------------------------- «Контингент»

HEADCOUNT_FIELDS = ("teachers", "young_specialists", "students", "students_10_plus")


class HeadcountSheet(SheetHandler):
    spec = schema.HEADCOUNT
    order = 30

    def plan(self, rows: list[Row], ctx: ImportContext):
        spec = self.spec
        refs = resolve_organizations(ctx, [r.values["organization"] for r in rows])
        ids = [org_id(r) for r in refs.values() if org_id(r)]
        existing = {}
        for batch in _chunks(ids):
            for h in Headcount.objects.filter(organization_id__in=batch):
                existing[(h.organization_id, h.school_year)] = h
        seen = {}
        creates, updates = [], []
        for row in rows:
            v = row.values
            ref = refs.get(v["organization"])
            if ref is None:
                ctx.row_error(spec, row, "organization", _unknown_org(v["organization"]))
                continue
            key = (v["organization"], v["school_year"])
            year = school_year_label(v["school_year"])
            if _duplicate(ctx, spec, row, "school_year", seen, key, f"контингент одной ОО за {year}"):
                continue
            if v["young_specialists"] > v["teachers"]:
                ctx.row_error(spec, row, "young_specialists", "молодых специалистов больше, чем педагогов")
                continue
            if v.get("students_10_plus") is not None and v["students_10_plus"] > v["students"]:
                ctx.row_error(spec, row, "students_10_plus", "обучающихся от 10 лет больше, чем обучающихся")
                continue
            values = {f: v[f] for f in HEADCOUNT_FIELDS if f in v}
            current = existing.get((org_id(ref), v["school_year"])) if org_id(ref) else None
            if current is None:
                creates.append((ref, v["school_year"], values))
                ctx.count(spec, "created")
            elif any(getattr(current, f) != value for f, value in values.items()):
                for f, value in values.items():
                    setattr(current, f, value)
                updates.append(current)
                ctx.count(spec, "updated")
            else:
                ctx.count(spec, "unchanged")
        return creates, updates

    def apply(self, plan, ctx: ImportContext) -> None:
        creates, updates = plan
        objs = [
            Headcount(organization_id=org_id(ref), school_year=year, **values)
            for ref, year, values in creates
        ]
        _create(Headcount, objs, ctx)
        _update(Headcount, updates, list(HEADCOUNT_FIELDS), ctx)

    def export_rows(self, orgs, ctx) -> Iterable[tuple]:
        rows = Headcount.objects.filter(organization__in=orgs).select_related("organization")
        for h in rows.order_by("organization__code", "school_year"):
            yield (
                h.organization.code,
                school_year_label(h.school_year),
                h.teachers,
                h.young_specialists,
                h.students,
                h.students_10_plus,
            )


def _unknown_org(code: str) -> str:
    return f"организация с кодом «{code}» не найдена ни в листе «Организации», ни в реестре"


# ---------------------------------------------------------------- «Наставники», «Наставляемые»


class PeopleSheet(SheetHandler):
    base: str

    def plan(self, rows: list[Row], ctx: ImportContext):
        spec = self.spec
        codes = {r.values["organization"] for r in rows}
        refs = resolve_organizations(ctx, codes)
        load_people(ctx, [refs[c] for c in codes if c in refs])
        known = people(ctx)
        memberships = {}  # (person, organization) → (id, archived_on, trained_as_mentor)
        org_ids = sorted({org_id(refs[c]) for c in codes if c in refs and org_id(refs[c]) is not None})
        for batch in _chunks(org_ids):
            stored = BaseMembership.objects.filter(organization_id__in=batch, base=self.base)
            for pk, person_id, organization_id, archived_on, trained in stored.values_list(
                "id", "person_id", "organization_id", "archived_on", "trained_as_mentor"
            ).iterator(chunk_size=BATCH):
                memberships[(person_id, organization_id)] = (pk, archived_on, trained)

        # The person fields the sheet has, in PERSON_FIELDS order; at least its three required ones.
        present = tuple(f for f in PERSON_FIELDS if f in (rows[0].values if rows else PERSON_FIELDS))
        pick = itemgetter(*present)  # from a row's values
        pick_stored = itemgetter(*(PERSON_FIELDS.index(f) for f in present))  # from PersonRef.values
        mentors = self.base == BaseMembership.Base.MENTORS
        ambiguous = ambiguous_people(ctx)
        seen = {}
        new_people, changed_people, new_members, changed_members = [], [], [], {}
        relinked = []
        tally = dict.fromkeys(("created", "updated", "unchanged"), 0)
        try:
            for row in rows:
                v = row.values
                ref = refs.get(v["organization"])
                if ref is None:
                    ctx.row_error(spec, row, "organization", _unknown_org(v["organization"]))
                    continue
                key = person_key(v["organization"], v["full_name"], v["birth_date"])
                if _duplicate(
                    ctx,
                    spec,
                    row,
                    "full_name",
                    seen,
                    key,
                    "один и тот же участник (совпадают ФИО и дата рождения)",
                ):
                    continue
                if key in ambiguous:
                    ctx.row_error(
                        spec, row, "full_name", _ambiguous(v["organization"], v["full_name"], v["birth_date"])
                    )
                    continue
                if not self._check(v, row, ctx):
                    continue
                values = pick(v)
                person = known.get(key)
                person_changed = membership_changed = False
                if person is not None and person.sheet not in (None, spec.name):
                    # Defined earlier in this file (the other people sheet): the two rows must agree.
                    if (person.category, person.experience) != (v["category"], v.get("teaching_experience")):
                        ctx.row_error(
                            spec,
                            row,
                            "category",
                            f"категория или стаж расходятся с листом «{person.sheet}», строка {person.row}",
                        )
                        continue
                elif person is None:
                    person = PersonRef(
                        uuid.uuid4(),
                        v["organization"],
                        v["full_name"],
                        v["birth_date"],
                        v["category"],
                        None,
                        spec.name,
                        row.number,
                        v.get("teaching_experience"),
                    )
                    known[key] = person
                    new_people.append((person, ref, values))
                else:
                    stored = person.values
                    old = pick_stored(stored)
                    if old != values:
                        diff = {
                            f: new for f, new, was in zip(present, values, old, strict=True) if was != new
                        }
                        person.values = stored = tuple(
                            diff.get(f, value) for f, value in zip(PERSON_FIELDS, stored, strict=True)
                        )
                        changed_people.append((person, diff))
                        person_changed = True
                        if {"category", "birth_date", "teaching_experience"} & diff.keys():
                            relinked.append(person.id)
                    person.category, person.experience = stored[CATEGORY], stored[EXPERIENCE]
                    person.sheet, person.row = spec.name, row.number
                current = memberships.get((person.id, org_id(ref))) if person.values is not None else None
                trained = v.get("trained_as_mentor") if mentors else None
                if current is None:
                    new_members.append((person, ref, bool(trained)))
                    tally["created"] += 1  # a new person, or a stored one entering this base
                    continue
                pk, archived_on, was_trained = current
                change = {}
                if archived_on is not None:
                    change["archived_on"] = None
                if trained is not None and was_trained != trained:
                    change["trained_as_mentor"] = trained
                if change:
                    changed_members[pk] = change
                    membership_changed = True
                tally["updated" if person_changed or membership_changed else "unchanged"] += 1
        finally:
            for what, n in tally.items():
                ctx.count(spec, what, n)
        return present, new_people, changed_people, new_members, changed_members, relinked

    def _check(self, v: dict, row: Row, ctx: ImportContext) -> bool:
        spec = self.spec
        ok = True
        if v["birth_date"] > ctx.today:
            ctx.row_error(spec, row, "birth_date", "дата рождения в будущем")
            ok = False
        elif v["category"] == Category.STUDENT and age_on(v["birth_date"], ctx.today) < MIN_STUDENT_AGE:
            ctx.row_error(
                spec,
                row,
                "birth_date",
                f"обучающемуся меньше {MIN_STUDENT_AGE} лет: целевая модель охватывает обучающихся с 10 лет",
            )
            ok = False
        elif (
            v["category"] == Category.STUDENT
            and age_on(v["birth_date"], v.get("consent_date") or ctx.today) > MAX_STUDENT_AGE
        ):
            ctx.row_error(
                spec,
                row,
                "birth_date",
                f"обучающемуся на дату согласия больше {MAX_STUDENT_AGE} лет; "
                "проверьте дату рождения или категорию («студент», «выпускник»)",
            )
            ok = False
        if v["category"] == Category.STUDENT and v.get("teaching_experience"):
            ctx.row_error(
                spec, row, "teaching_experience", "у обучающегося не может быть педагогического стажа"
            )
            ok = False
        if (v.get("teaching_experience") or 0) > 70:
            ctx.row_error(spec, row, "teaching_experience", "стаж больше 70 лет")
            ok = False
        return self._check_consent(v, row, ctx) and ok

    def _check_consent(self, v: dict, row: Row, ctx: ImportContext) -> bool:
        """The rules of ``models.consent_errors``, worded for a row (the required cells are checked
        by the engine: a row without the date or the version never gets here)."""
        spec, consented, birth = self.spec, v.get("consent_date"), v["birth_date"]
        if consented is None:
            return True  # the sheet lacks the column: the engine has refused the file
        ok = True
        if consented > ctx.today:
            ctx.row_error(spec, row, "consent_date", "дата согласия в будущем")
            ok = False
        elif consented < birth <= ctx.today:  # a birth date in the future is reported on its own
            ctx.row_error(spec, row, "consent_date", "дата согласия раньше даты рождения")
            ok = False
        minor = v["category"] == Category.STUDENT or age_on(birth, consented) < ADULT_AGE
        if minor and not v.get("consent_giver"):
            ctx.row_error(
                spec,
                row,
                "consent_giver",
                "участник несовершеннолетний: укажите законного представителя, давшего согласие",
            )
            ok = False
        return ok

    def apply(self, plan, ctx: ImportContext) -> None:
        present, new_people, changed_people, new_members, changed_members, relinked = plan
        _insert(
            Person,
            ("id", "organization_id", *present),
            [(person.id, org_id(ref), *values) for person, ref, values in new_people],
            ctx,
        )
        diffs = {person.id: diff for person, diff in changed_people}
        fields = set().union(*diffs.values()) if diffs else set()
        now = timezone.now()
        for batch in _chunks(list(diffs)):
            # The history row copies the whole record: update fetched instances, not stubs.
            updated = list(Person.objects.filter(id__in=batch))
            for obj in updated:
                for field, value in diffs[obj.id].items():
                    setattr(obj, field, value)
                obj.version += 1
                obj.updated_at = now
            _update(Person, updated, sorted(fields | {"version", "updated_at"}), ctx)
        _insert(
            BaseMembership,
            ("organization_id", "person_id", "base", "trained_as_mentor", "included_on"),
            [(org_id(ref), person.id, self.base, trained, ctx.today) for person, ref, trained in new_members],
            ctx,
        )
        for batch in _chunks(list(changed_members)):
            updated = list(BaseMembership.objects.filter(id__in=batch))
            for obj in updated:
                for field, value in changed_members[obj.id].items():
                    setattr(obj, field, value)
            _update(BaseMembership, updated, ["archived_on", "trained_as_mentor"], ctx)
        if relinked:
            _refresh_link_copies(relinked)

    def export_rows(self, orgs, ctx) -> Iterable[tuple]:
        categories = {stored: label for label, stored in reversed(CATEGORY_LABELS.items())}
        mentors = self.base == BaseMembership.Base.MENTORS
        entries = (
            BaseMembership.objects.filter(organization__in=orgs, base=self.base, archived_on__isnull=True)
            .order_by("organization__code", "person__full_name", "person__birth_date")
            .values_list(
                "organization__code",
                "person__full_name",
                "person__birth_date",
                "person__category",
                "person__position",
                "person__subject",
                "person__grade",
                "person__teaching_experience",
                "trained_as_mentor",
                "person__email",
                "person__phone",
                "person__consent_date",
                "person__consent_giver",
                "person__consent_text_version",
            )
        )
        for (
            code,
            name,
            birth,
            category,
            position,
            subject,
            grade,
            experience,
            trained,
            email,
            phone,
            consent_date,
            consent_giver,
            consent_version,
        ) in entries.iterator(chunk_size=BATCH):
            common = (
                code,
                name,
                birth,
                categories.get(category, category),
                position,
                subject,
                grade,
                experience,
            )
            consent = (consent_date, consent_giver, consent_version)
            if mentors:
                yield (*common, "да" if trained else "нет", email, phone, *consent)
            else:
                yield (*common, email, phone, *consent)


def _refresh_link_copies(person_ids: list) -> None:
    """The links carry copies of their participants' attributes (MentorshipLink's docstring).

    Set-based, like ``services.person_sync_links`` for one person: two UPDATEs per batch of
    people. The copies are excluded from the links' history, so ``update()`` loses nothing.
    """

    def of(column: str, field: str) -> Subquery:
        return Subquery(Person.objects.filter(pk=OuterRef(column)).values(field)[:1])

    # The fields of services.mentee_link_fields, each from the person's field of the same name.
    mentee_copies = {f"mentee_{field}": field for field in ("category", "teaching_experience", "birth_date")}
    for batch in _chunks(person_ids):
        MentorshipLink.objects.filter(mentor_person_id__in=batch).update(
            mentor_category=of("mentor_person_id", "category")
        )
        MentorshipLink.objects.filter(mentee_person_id__in=batch).update(
            **{copy: of("mentee_person_id", field) for copy, field in mentee_copies.items()}
        )


class MentorsSheet(PeopleSheet):
    spec = schema.MENTORS
    order = 40
    base = BaseMembership.Base.MENTORS


class MenteesSheet(PeopleSheet):
    spec = schema.MENTEES
    order = 50
    base = BaseMembership.Base.MENTEES


# ---------------------------------------------------------------- «Наставнические пары»


@dataclasses.dataclass
class PlannedMentorship:
    row: int
    org: OrgRef
    form: MentoringForm
    group_name: str
    mentor: PersonRef | OrgRef
    start_date: datetime.date
    end_date: datetime.date | None
    status: str
    mentees: list  # PersonRef | OrgRef
    mentee_rows: list  # the Excel row of each mentee
    existing: dict | None = None  # the stored mentorship: id, status, end_date, mentees, version


TERMINATED_REASON = "Указано в загруженном файле"
# The columns of a created mentorship and of its links, as MentorshipsSheet.apply gives them.
MENTORSHIP_COLUMNS = (
    "id",
    "organization_id",
    "mentoring_form_id",
    "group_name",
    "mode",
    "mentor_person_id",
    "mentor_organization_id",
    "status",
    "start_date",
    "end_date",
    "termination_reason",
)
LINK_COLUMNS = (
    "mentorship_id",
    "organization_id",
    "mentoring_form_id",
    "mentor_person_id",
    "mentor_organization_id",
    "mentor_category",
    "status",
    "start_date",
    "end_date",
    "mentee_person_id",
    "mentee_organization_id",
    "mentee_category",
    "mentee_birth_date",
    "mentee_teaching_experience",
)


class MentorshipsSheet(SheetHandler):
    spec = schema.MENTORSHIPS
    order = 60

    def plan(self, rows: list[Row], ctx: ImportContext):
        spec = self.spec
        codes = set()
        for row in rows:
            v = row.values
            codes.update(
                c
                for c in (
                    v["organization"],
                    v.get("mentor_organization"),
                    v.get("mentor_org_code"),
                    v.get("mentee_org_code"),
                )
                if c
            )
        refs = resolve_organizations(ctx, codes)
        load_people(ctx, [refs[c] for c in codes if c in refs])
        known = people(ctx)
        all_forms = forms(ctx)
        stored = self._stored(ctx, [org_id(refs[c]) for c in codes if c in refs and org_id(refs[c])])

        planned: dict[tuple, PlannedMentorship] = {}
        seen_rows = {}
        for row in rows:
            v = row.values
            item = self._row(row, v, refs, known, all_forms, ctx)
            if item is None:
                continue
            form, org, mentor, mentee, status = item
            mentor_key, mentee_key = _ref_key(mentor), _ref_key(mentee)
            group = v.get("group_name") or ""
            key = (org.code, form.pk, mentor_key, group or mentee_key, v["start_date"])
            if _duplicate(
                ctx,
                spec,
                row,
                "mentee_name" if not form.links_organizations else "mentee_org_code",
                seen_rows,
                (key, mentee_key),
                "одна и та же пара (наставник, наставляемый, форма, дата)",
            ):
                continue
            current = planned.get(key)
            if current is None:
                planned[key] = PlannedMentorship(
                    row.number,
                    org,
                    form,
                    group,
                    mentor,
                    v["start_date"],
                    v.get("end_date"),
                    status,
                    [mentee],
                    [row.number],
                )
            elif (current.status, current.end_date) != (status, v.get("end_date")):
                ctx.row_error(
                    spec,
                    row,
                    "status",
                    f"в группе «{group}» статус и дата окончания должны совпадать со строкой {current.row}",
                )
            else:
                current.mentees.append(mentee)
                current.mentee_rows.append(row.number)

        # Match the stored mentorships, then look for a second active pair (DESIGN §3). A stored
        # mentorship that the file lists is checked as the file has it: completing it there makes
        # room for its successor in the same file.
        for key, item in planned.items():
            item.existing = stored["by_key"].get(key)
        listed = {item.existing["id"] for item in planned.values() if item.existing}
        active_pairs = {}
        creates, updates, unchanged = [], [], 0
        for item in planned.values():
            found = item.existing
            if item.status == Mentorship.Status.ACTIVE:
                column = "Наставляемый ФИО"
                if item.form.links_organizations:
                    column = spec.column("mentee_org_code").header
                for mentee, number in zip(item.mentees, item.mentee_rows, strict=True):
                    pair = (_ref_key(item.mentor), _ref_key(mentee), item.form.pk)
                    other = active_pairs.get(pair)
                    if other is not None:
                        ctx.error(
                            spec,
                            number,
                            column,
                            f"строки {other} и {number} — две действующие пары одного наставника "
                            "с одним наставляемым в одной форме",
                        )
                    active_pairs[pair] = number
                    clash = stored["active"].get(pair)
                    if clash is not None and clash not in listed:
                        ctx.error(
                            spec,
                            number,
                            column,
                            "у этого наставника уже есть действующая пара с этим наставляемым "
                            f"в форме «{item.form.name}»; завершите её или исправьте строку",
                        )
            if found is None:
                creates.append(item)
                continue
            wanted = {_ref_key(m) for m in item.mentees}
            if (found["status"], found["end_date"]) != (item.status, item.end_date) or (
                found["mentees"] != wanted
            ):
                updates.append(item)
            else:
                unchanged += 1
        ctx.count(spec, "created", len(creates))
        ctx.count(spec, "updated", len(updates))
        ctx.count(spec, "unchanged", unchanged)
        return creates, updates

    def _row(self, row, v, refs, known, all_forms, ctx):
        spec = self.spec
        org = refs.get(v["organization"])
        if org is None:
            ctx.row_error(spec, row, "organization", _unknown_org(v["organization"]))
            return None
        form = form_named(ctx, v["form"])
        if form is None:
            names = "; ".join(f"«{f.name}»" for f in sorted(all_forms.values(), key=lambda f: f.sort_order))
            ctx.row_error(spec, row, "form", f"неизвестная форма «{v['form']}»; допустимо: {names}")
            return None
        ok = True
        end, start = v.get("end_date"), v["start_date"]
        status = v.get("status") or (Mentorship.Status.COMPLETED if end else Mentorship.Status.ACTIVE)
        if end and end < start:
            ctx.row_error(spec, row, "end_date", "дата окончания раньше даты начала")
            ok = False
        if status in (Mentorship.Status.COMPLETED, Mentorship.Status.TERMINATED) and not end:
            ctx.row_error(spec, row, "end_date", "у завершённой или прекращённой пары укажите дату окончания")
            ok = False
        if start > ctx.today and status != Mentorship.Status.DRAFT:
            ctx.row_error(
                spec, row, "start_date", "дата начала в будущем; такую пару заведите черновиком позже"
            )
            ok = False
        if form.links_organizations:
            for field in ("mentor_name", "mentee_name", "mentor_birth_date", "mentee_birth_date"):
                if v.get(field):
                    ctx.row_error(spec, row, field, f"в форме «{form.name}» участвуют организации, а не люди")
                    ok = False
            mentor = self._org(row, v, "mentor_org_code", refs, ctx)
            mentee = self._org(row, v, "mentee_org_code", refs, ctx)
            if mentor and mentee and mentor.code == mentee.code:
                ctx.row_error(
                    spec, row, "mentee_org_code", "организация не может быть наставником самой себе"
                )
                ok = False
        else:
            for field in ("mentor_org_code", "mentee_org_code"):
                if v.get(field):
                    ctx.row_error(spec, row, field, f"в форме «{form.name}» участвуют люди, а не организации")
                    ok = False
            mentor_org = v.get("mentor_organization") or v["organization"]
            if mentor_org not in refs:
                ctx.row_error(spec, row, "mentor_organization", _unknown_org(mentor_org))
                return None
            mentor = self._person(row, v, "mentor", mentor_org, known, form.mentor_categories, form, ctx)
            mentee = self._person(
                row, v, "mentee", v["organization"], known, form.mentee_categories, form, ctx
            )
            if mentor and mentee and mentor.id == mentee.id:
                ctx.row_error(spec, row, "mentee_name", "наставник не может быть своим наставляемым")
                ok = False
        if not (ok and mentor and mentee):
            return None
        return form, org, mentor, mentee, status

    def _org(self, row, v, field, refs, ctx):
        code = v.get(field)
        if not code:
            self_column = self.spec.column(field).header
            ctx.row_error(self.spec, row, field, f"для формы «ОО – ОО» заполните «{self_column}»")
            return None
        ref = refs.get(code)
        if ref is None:
            ctx.row_error(self.spec, row, field, _unknown_org(code))
        return ref

    def _person(self, row, v, side, org_code, known, categories, form, ctx):
        spec = self.spec
        name, birth = v.get(f"{side}_name"), v.get(f"{side}_birth_date")
        who = "наставника" if side == "mentor" else "наставляемого"
        if not name:
            ctx.row_error(spec, row, f"{side}_name", f"укажите ФИО {who}")
            return None
        if not birth:
            ctx.row_error(spec, row, f"{side}_birth_date", f"укажите дату рождения {who}")
            return None
        key = person_key(org_code, name, birth)
        if key in ambiguous_people(ctx):
            ctx.row_error(spec, row, f"{side}_name", _ambiguous(org_code, name, birth))
            return None
        person = known.get(key)
        if person is None:
            sheet = "Наставники" if side == "mentor" else "Наставляемые"
            ctx.row_error(
                spec,
                row,
                f"{side}_name",
                f"«{name}», {birth:%d.%m.%Y}, не найден(а) ни в листе «{sheet}», "
                f"ни в реестре организации {org_code}",
            )
            return None
        if person.category not in categories:
            role = "наставником" if side == "mentor" else "наставляемым"
            label = label_of(CATEGORY_LABELS, person.category)
            ctx.row_error(spec, row, f"{side}_name", f"в форме «{form.name}» {role} не может быть {label}")
            return None
        return person

    def _stored(self, ctx, ids: list[int]) -> dict:
        """The stored mentorships of these organizations, keyed like the planned ones."""
        rows = []
        for batch in _chunks(ids):
            rows.extend(
                MentorshipLink.objects.filter(
                    Q(organization_id__in=batch) | Q(mentor_organization_id__in=batch)
                )
                .values_list(
                    "mentorship_id",
                    "organization_id",
                    "mentorship__group_name",
                    "mentoring_form_id",
                    "mentor_person_id",
                    "mentor_organization_id",
                    "mentee_person_id",
                    "mentee_organization_id",
                    "start_date",
                    "status",
                    "end_date",
                    "mentorship__version",
                )
                .iterator(chunk_size=BATCH)
            )
        # The codes of every organization these links name, in a few queries.
        codes = {org_id(r): r.code for r in organizations(ctx).values() if org_id(r)}
        named = {pk for row in rows for pk in (row[1], row[5], row[7]) if pk is not None}
        for batch in _chunks(sorted(named - codes.keys())):
            codes.update(Organization.objects.filter(id__in=batch).values_list("id", "code"))
        by_id: dict = {}
        active = {}
        for ms, org, group, form, mentor_p, mentor_o, mentee_p, mentee_o, start, status, end, version in rows:
            mentor = ("p", mentor_p.int) if mentor_p else ("o", codes[mentor_o])
            mentee = ("p", mentee_p.int) if mentee_p else ("o", codes[mentee_o])
            entry = by_id.setdefault(
                ms,
                {
                    "id": ms,
                    "org": codes[org],
                    "group": group,
                    "form": form,
                    "mentor": mentor,
                    "start": start,
                    "status": status,
                    "end_date": end,
                    "mentees": set(),
                    "version": version,
                },
            )
            entry["mentees"].add(mentee)
            if status == Mentorship.Status.ACTIVE:
                active[(mentor, mentee, form)] = ms
        by_key = {}
        for entry in by_id.values():
            if entry["group"]:
                by_key[(entry["org"], entry["form"], entry["mentor"], entry["group"], entry["start"])] = entry
            elif len(entry["mentees"]) == 1:
                mentee = next(iter(entry["mentees"]))
                by_key[(entry["org"], entry["form"], entry["mentor"], mentee, entry["start"])] = entry
        return {"by_key": by_key, "active": active}

    def apply(self, plan, ctx: ImportContext) -> None:
        creates, updates = plan
        mentorships, links = [], []
        group, individual = Mentorship.Mode.GROUP, Mentorship.Mode.INDIVIDUAL
        for item in creates:
            pk, organization = uuid.uuid4(), org_id(item.org)
            if isinstance(item.mentor, PersonRef):
                mentor_person, mentor_org, mentor_category = item.mentor.id, None, item.mentor.category
            else:
                mentor_person, mentor_org, mentor_category = None, org_id(item.mentor), ""
            mentorships.append(
                (
                    pk,
                    organization,
                    item.form.pk,
                    item.group_name,
                    group if len(item.mentees) > 1 else individual,
                    mentor_person,
                    mentor_org,
                    item.status,
                    item.start_date,
                    item.end_date,
                    TERMINATED_REASON if item.status == Mentorship.Status.TERMINATED else "",
                )
            )
            common = (pk, organization, item.form.pk, mentor_person, mentor_org, mentor_category, item.status)
            dates = (item.start_date, item.end_date)
            for mentee in item.mentees:
                if isinstance(mentee, PersonRef):
                    links.append(
                        (
                            *common,
                            *dates,
                            mentee.id,
                            None,
                            mentee.category,
                            mentee.birth_date,
                            mentee.experience,
                        )
                    )
                else:
                    links.append((*common, *dates, None, org_id(mentee), "", None, None))
        if updates:  # first: a stored pair that the file completes makes room for its successor
            self._apply_updates(updates, ctx)
        _insert(Mentorship, MENTORSHIP_COLUMNS, mentorships, ctx)
        _insert(MentorshipLink, LINK_COLUMNS, links, ctx)

    def _apply_updates(self, updates: list[PlannedMentorship], ctx: ImportContext) -> None:
        by_id = {item.existing["id"]: item for item in updates}
        now = timezone.now()
        changed, removed, new_links, changed_links = [], [], [], []
        for batch in _chunks(list(by_id)):
            stored_links: dict = {}
            for link in MentorshipLink.objects.filter(mentorship_id__in=batch):
                stored_links.setdefault(link.mentorship_id, []).append(link)
            for ms in Mentorship.objects.filter(id__in=batch):
                item = by_id[ms.id]
                ms.status, ms.end_date = item.status, item.end_date
                if ms.status == Mentorship.Status.TERMINATED and not ms.termination_reason:
                    ms.termination_reason = TERMINATED_REASON
                ms.version += 1
                ms.updated_at = now
                changed.append(ms)
                wanted = {_mentee_id(m): m for m in item.mentees}
                for link in stored_links.get(ms.id, []):
                    key = (
                        ("p", link.mentee_person_id)
                        if link.mentee_person_id
                        else ("o", link.mentee_organization_id)
                    )
                    if key not in wanted:
                        removed.append(link)
                        continue
                    del wanted[key]
                    if (link.status, link.end_date) != (ms.status, ms.end_date):
                        link.status, link.end_date = ms.status, ms.end_date
                        changed_links.append(link)
                new_links.extend(_link(ms, item.mentor, mentee) for mentee in wanted.values())
        # A member who left a group: deleted one by one so that each deletion is in the history
        # with its reason (rare: only when a group's composition changed).
        for link in removed:
            link._change_reason, link._history_user = CHANGE_REASON, ctx.user
            link.delete()
        _update(
            Mentorship, changed, ["status", "end_date", "termination_reason", "version", "updated_at"], ctx
        )
        _update(MentorshipLink, changed_links, ["status", "end_date"], ctx)
        _create(MentorshipLink, new_links, ctx)

    def export_rows(self, orgs, ctx) -> Iterable[tuple]:
        statuses = {stored: label for label, stored in reversed(STATUS_LABELS.items())}
        links = (
            MentorshipLink.objects.filter(mentorship__organization__in=orgs)
            .order_by(
                "mentorship__organization__code",
                "mentorship__start_date",
                "mentoring_form__sort_order",
                "mentorship__group_name",
                "mentor_person__full_name",
                "mentor_person__birth_date",
                "mentor_organization__code",
                "mentee_person__full_name",
                "mentee_person__birth_date",
                "mentee_organization__code",
                "mentorship_id",
                "id",
            )
            .values_list(
                "mentorship__organization__code",
                "mentoring_form__name",
                "mentorship__group_name",
                "mentor_person__full_name",
                "mentor_person__birth_date",
                "mentor_person__organization__code",
                "mentee_person__full_name",
                "mentee_person__birth_date",
                "mentor_organization__code",
                "mentee_organization__code",
                "mentorship__start_date",
                "mentorship__end_date",
                "mentorship__status",
            )
        )
        for (
            org,
            form,
            group,
            mentor,
            mentor_birth,
            mentor_org,
            mentee,
            mentee_birth,
            org_mentor,
            org_mentee,
            start,
            end,
            status,
        ) in links.iterator(chunk_size=BATCH):
            yield (
                org,
                form,
                group,
                mentor or "",
                mentor_birth,
                "" if mentor_org is None or mentor_org == org else mentor_org,
                mentee or "",
                mentee_birth,
                org_mentor or "",
                org_mentee or "",
                start,
                end,
                statuses.get(status, status),
            )


def _ref_key(ref) -> tuple:
    """A participant in the keys of the plan: ("p", the person's id as an int) or ("o", a code).

    The int, not the UUID: a UUID hashes in Python code, and these keys are hashed a million times.
    """
    return ("p", ref.id.int) if isinstance(ref, PersonRef) else ("o", ref.code)


def _mentee_id(ref) -> tuple:
    """A mentee as its link stores it: ("p", person id) or ("o", organization id)."""
    return ("p", ref.id) if isinstance(ref, PersonRef) else ("o", org_id(ref))


def _link(ms: Mentorship, mentor, mentee) -> MentorshipLink:
    link = MentorshipLink(
        mentorship=ms,
        organization_id=ms.organization_id,
        mentoring_form_id=ms.mentoring_form_id,
        mentor_person_id=ms.mentor_person_id,
        mentor_organization_id=ms.mentor_organization_id,
        mentor_category=mentor.category if isinstance(mentor, PersonRef) else "",
        status=ms.status,
        start_date=ms.start_date,
        end_date=ms.end_date,
    )
    if isinstance(mentee, PersonRef):
        link.mentee_person_id = mentee.id
        link.mentee_category = mentee.category
        link.mentee_birth_date = mentee.birth_date
        link.mentee_teaching_experience = mentee.experience
    else:
        link.mentee_organization_id = org_id(mentee)
    return link


for _handler in (
    MunicipalitiesSheet(),
    OrganizationsSheet(),
    HeadcountSheet(),
    MentorsSheet(),
    MenteesSheet(),
    MentorshipsSheet(),
):
    register(_handler)
