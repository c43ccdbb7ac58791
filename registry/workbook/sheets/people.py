"""«Наставники», «Наставляемые»: people by organization, ФИО and date of birth, and their base.

A person on both sheets is one person in two bases; the two rows must agree on the category
and the experience.
"""

import uuid
from collections.abc import Iterable
from operator import itemgetter

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from registry import services
from registry.models import ADULT_AGE, BaseMembership, Category, MentorshipLink, Person
from registry.people import MAX_STUDENT_AGE, MIN_STUDENT_AGE, PERSON_FIELDS, age_on

from .. import schema
from ..engine import ImportContext, Row, SheetHandler
from ..schema import CATEGORY_LABELS
from .common import BATCH, chunks, duplicate, fold, insert, unknown_org, update
from .refs import (
    CATEGORY,
    EXPERIENCE,
    PersonRef,
    ambiguous_message,
    ambiguous_people,
    load_people,
    org_id,
    people,
    person_key,
    resolve_organizations,
)


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
        for batch in chunks(org_ids):
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
                    ctx.row_error(spec, row, "organization", unknown_org(v["organization"]))
                    continue
                key = person_key(v["organization"], v["full_name"], v["birth_date"])
                if duplicate(
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
                        spec,
                        row,
                        "full_name",
                        ambiguous_message(v["organization"], v["full_name"], v["birth_date"]),
                    )
                    continue
                if not self._check(v, row, ctx):
                    continue
                values = pick(v)
                person = known.get(key)
                person_changed = membership_changed = False
                if person is not None and person.sheet not in (None, spec.name):
                    # Defined earlier in this file (the other people sheet): the two rows must agree.
                    if (person.category, person.teaching_experience) != (
                        v["category"],
                        v.get("teaching_experience"),
                    ):
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
                    person.category, person.teaching_experience = stored[CATEGORY], stored[EXPERIENCE]
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
        name = present.index("full_name")
        # Bulk writes call no save(): the folded name (Person.search_name) is written here.
        insert(
            Person,
            ("id", "organization_id", "search_name", *present),
            [(person.id, org_id(ref), fold(values[name]), *values) for person, ref, values in new_people],
            ctx,
        )
        diffs = {person.id: diff for person, diff in changed_people}
        for diff in diffs.values():
            if "full_name" in diff:
                diff["search_name"] = fold(diff["full_name"])
        fields = set().union(*diffs.values()) if diffs else set()
        now = timezone.now()
        for batch in chunks(list(diffs)):
            # The history row copies the whole record: update fetched instances, not stubs.
            updated = list(Person.objects.filter(id__in=batch))
            for obj in updated:
                for field, value in diffs[obj.id].items():
                    setattr(obj, field, value)
                obj.version += 1
                obj.updated_at = now
            update(Person, updated, sorted(fields | {"version", "updated_at"}), ctx)
        insert(
            BaseMembership,
            ("organization_id", "person_id", "base", "trained_as_mentor", "included_on"),
            [(org_id(ref), person.id, self.base, trained, ctx.today) for person, ref, trained in new_members],
            ctx,
        )
        for batch in chunks(list(changed_members)):
            updated = list(BaseMembership.objects.filter(id__in=batch))
            for obj in updated:
                for field, value in changed_members[obj.id].items():
                    setattr(obj, field, value)
            update(BaseMembership, updated, ["archived_on", "trained_as_mentor"], ctx)
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

    for batch in chunks(person_ids):
        MentorshipLink.objects.filter(mentor_person_id__in=batch).update(
            **{copy: of("mentor_person_id", field) for copy, field in services.MENTOR_COPIES.items()}
        )
        MentorshipLink.objects.filter(mentee_person_id__in=batch).update(
            **{copy: of("mentee_person_id", field) for copy, field in services.MENTEE_COPIES.items()}
        )


class MentorsSheet(PeopleSheet):
    spec = schema.MENTORS
    order = 40
    base = BaseMembership.Base.MENTORS


class MenteesSheet(PeopleSheet):
    spec = schema.MENTEES
    order = 50
    base = BaseMembership.Base.MENTEES
