"""«Наставнические пары»: mentorships and their links, one row per mentee.

A mentorship is found by organization, form, mentor, start date and either its «Группа» or
its one mentee; the rows of a group share its status and end date.
"""

import dataclasses
import datetime
import uuid
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from registry import services
from registry.models import MentoringForm, Mentorship, MentorshipLink, Organization

from .. import schema
from ..engine import CHANGE_REASON, ImportContext, Row, SheetHandler
from ..schema import CATEGORY_LABELS, STATUS_LABELS, label_of
from .common import BATCH, chunks, create, duplicate, insert, unknown_org, update
from .refs import (
    OrgRef,
    PersonRef,
    ambiguous_message,
    ambiguous_people,
    form_named,
    forms,
    load_people,
    org_id,
    organizations,
    people,
    person_key,
    resolve_organizations,
)


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
# What a link copies is services' (LINK_MENTORSHIP_FIELDS, MENTOR_COPIES, MENTEE_COPIES).
LINK_COLUMNS = (
    "mentorship_id",
    *services.LINK_MENTORSHIP_FIELDS,
    *services.MENTOR_COPIES,
    "mentee_person_id",
    "mentee_organization_id",
    *services.MENTEE_COPIES,
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
        stored = stored_mentorships(ctx, [org_id(refs[c]) for c in codes if c in refs and org_id(refs[c])])

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
            if duplicate(
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

        # Match the stored mentorships, then look for a second active pair (docs/domain.md §4). A stored
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
            if found["status"] != item.status:
                # A stored pair moves only as the card moves it (docs/workbook.md §2): forward along
                # ALLOWED_TRANSITIONS, never back or sideways.
                try:
                    services.mentorship_check_transition(
                        mentorship=Mentorship(status=found["status"]), status=item.status
                    )
                except ValidationError as error:
                    ctx.error(spec, item.row, spec.column("status").header, _transition_message(error))
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
            ctx.row_error(spec, row, "organization", unknown_org(v["organization"]))
            return None
        form = form_named(ctx, v["form"])
        if form is None:
            names = "; ".join(f"«{f.name}»" for f in sorted(all_forms.values(), key=lambda f: f.sort_order))
            ctx.row_error(spec, row, "form", f"неизвестная форма «{v['form']}»; допустимо: {names}")
            return None
        ok = True
        end, start = v.get("end_date"), v["start_date"]
        status = v.get("status") or (Mentorship.Status.COMPLETED if end else Mentorship.Status.ACTIVE)
        # What the services require of a pair in this status (docs/domain.md §4), asked of the
        # same function; the file has no reason column, so a terminated pair gets TERMINATED_REASON.
        try:
            services.mentorship_check_status(
                status=status, start_date=start, end_date=end, termination_reason=_reason(status)
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                column = "end_date" if field == "end_date" else "status"
                for message in messages:
                    ctx.row_error(spec, row, column, _cell_message(message))
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
                ctx.row_error(spec, row, "mentor_organization", unknown_org(mentor_org))
                return None
            mentor = self._person(row, v, "mentor", mentor_org, known, form, ctx)
            mentee = self._person(row, v, "mentee", v["organization"], known, form, ctx)
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
            ctx.row_error(self.spec, row, field, unknown_org(code))
        return ref

    def _person(self, row, v, side, org_code, known, form, ctx):
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
            ctx.row_error(spec, row, f"{side}_name", ambiguous_message(org_code, name, birth))
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
        if not form.admits(side, person.category):
            role = "наставником" if side == "mentor" else "наставляемым"
            label = label_of(CATEGORY_LABELS, person.category)
            ctx.row_error(spec, row, f"{side}_name", f"в форме «{form.name}» {role} не может быть {label}")
            return None
        return person

    def apply(self, plan, ctx: ImportContext) -> None:
        creates, updates = plan
        mentorships, links = [], []
        group, individual = Mentorship.Mode.GROUP, Mentorship.Mode.INDIVIDUAL
        for item in creates:
            pk, organization = uuid.uuid4(), org_id(item.org)
            mentor = item.mentor if isinstance(item.mentor, PersonRef) else None
            mentor_person, mentor_org = (mentor.id, None) if mentor else (None, org_id(item.mentor))
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
                    _reason(item.status),
                )
            )
            own = {
                "organization_id": organization,
                "mentoring_form_id": item.form.pk,
                "mentor_person_id": mentor_person,
                "mentor_organization_id": mentor_org,
                "status": item.status,
                "start_date": item.start_date,
                "end_date": item.end_date,
            }
            common = (
                pk,
                *(own[name] for name in services.LINK_MENTORSHIP_FIELDS),
                *services.mentor_link_fields(mentor=mentor).values(),
            )
            for mentee in item.mentees:
                person = mentee if isinstance(mentee, PersonRef) else None
                ids = (person.id, None) if person else (None, org_id(mentee))
                links.append((*common, *ids, *services.mentee_link_fields(mentee=person).values()))
        if updates:  # first: a stored pair that the file completes makes room for its successor
            self._apply_updates(updates, ctx)
        insert(Mentorship, MENTORSHIP_COLUMNS, mentorships, ctx)
        insert(MentorshipLink, LINK_COLUMNS, links, ctx)

    def _apply_updates(self, updates: list[PlannedMentorship], ctx: ImportContext) -> None:
        by_id = {item.existing["id"]: item for item in updates}
        now = timezone.now()
        changed, removed, new_links, changed_links = [], [], [], []
        for batch in chunks(list(by_id)):
            stored_links: dict = {}
            for link in MentorshipLink.objects.filter(mentorship_id__in=batch):
                stored_links.setdefault(link.mentorship_id, []).append(link)
            for ms in Mentorship.objects.filter(id__in=batch):
                item = by_id[ms.id]
                ms.status, ms.end_date = item.status, item.end_date
                if not ms.termination_reason:
                    ms.termination_reason = _reason(ms.status)
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
        update(
            Mentorship, changed, ["status", "end_date", "termination_reason", "version", "updated_at"], ctx
        )
        update(MentorshipLink, changed_links, ["status", "end_date"], ctx)
        create(MentorshipLink, new_links, ctx)

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


def stored_mentorships(ctx: ImportContext, ids: list[int]) -> dict:
    """The stored mentorships of these organizations, keyed like the planned ones (``by_key``), and
    the active (mentor, mentee, form) links (``active``), read from the links in a few queries."""
    rows = []
    for batch in chunks(ids):
        rows.extend(
            MentorshipLink.objects.filter(Q(organization_id__in=batch) | Q(mentor_organization_id__in=batch))
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
    for batch in chunks(sorted(named - codes.keys())):
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


def _reason(status: str) -> str:
    """The reason a pair the file terminates is written with: the file has no column for it."""
    return TERMINATED_REASON if status == Mentorship.Status.TERMINATED else ""


def _cell_message(message: str) -> str:
    """A service's sentence as a workbook error's tail: «Лист «…», строка N, столбец «…»: …»."""
    return message[:1].lower() + message[1:].rstrip(".")


def _transition_message(error: ValidationError) -> str:
    return (
        f"{_cell_message(error.messages[0])}: статус пары меняется только вперёд "
        "(черновик → действует → завершена или прекращена досрочно)"
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
    person = mentee if isinstance(mentee, PersonRef) else None
    return MentorshipLink(
        mentorship=ms,
        mentee_person_id=person.id if person else None,
        mentee_organization_id=None if person else org_id(mentee),
        **services.mentorship_link_fields(
            mentorship=ms, mentor=mentor if isinstance(mentor, PersonRef) else None
        ),
        **services.mentee_link_fields(mentee=person),
    )
