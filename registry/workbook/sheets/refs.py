"""The references sheets share through ``ctx.shared``: organizations, people, forms, municipalities.

Each lookup loads what it needs in a few set-based queries (never one query per row) and keeps
it for the later sheets of the same import. Natural keys (docs/domain.md §4): organizations by code;
people by organization code, ФИО and date of birth — ФИО compared case-insensitively and with
ё = е (``person_key``).
"""

import dataclasses
import datetime
import uuid
from collections.abc import Iterable

from registry.models import MentoringForm, Municipality, Organization, Person, normalize_form_name
from registry.people import PERSON_FIELDS

from ..engine import ImportContext
from .common import BATCH, chunks, fold


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
    for batch in chunks(missing):
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
    teaching_experience: int | None = None


CATEGORY, EXPERIENCE = PERSON_FIELDS.index("category"), PERSON_FIELDS.index("teaching_experience")


def people(ctx: ImportContext) -> dict[tuple, PersonRef]:
    return ctx.shared.setdefault("persons", {})


def person_key(org_code: str, full_name: str, birth_date) -> tuple:
    return (org_code, fold(full_name), birth_date)


def load_people(ctx: ImportContext, refs: Iterable[OrgRef]) -> None:
    """Put the stored people of these organizations into ``ctx.shared['persons']`` (once per organization)."""
    loaded = ctx.shared.setdefault("people_loaded", set())
    by_id = {org_id(r): r.code for r in refs if org_id(r) is not None and org_id(r) not in loaded}
    if not by_id:
        return
    known = people(ctx)
    ambiguous = ambiguous_people(ctx)
    ids = list(by_id)
    for batch in chunks(ids):
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
                pk, code, full_name, birth_date, category, stored, teaching_experience=stored[EXPERIENCE]
            )
    loaded.update(ids)


def ambiguous_people(ctx: ImportContext) -> set[tuple]:
    """Keys of stored people who differ only in case or е/ё: the import cannot tell which is meant."""
    return ctx.shared.setdefault("people_ambiguous", set())


def ambiguous_message(org_code: str, full_name: str, birth_date: datetime.date) -> str:
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


def municipality_lookup(ctx: ImportContext) -> dict:
    lookup = ctx.shared.setdefault("municipalities", {})
    if not ctx.shared.get("municipalities_loaded"):
        for m in Municipality.objects.all():
            lookup.setdefault(fold(m.code), m)
            lookup.setdefault(fold(m.name), m)
        ctx.shared["municipalities_loaded"] = True
    return lookup
