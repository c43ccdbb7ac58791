"""«Контингент»: an organization's headcount by school year."""

from collections.abc import Iterable

from registry.models import Headcount, school_year_label

from .. import schema
from ..engine import ImportContext, Row, SheetHandler
from .common import chunks, create, duplicate, unknown_org, update
from .refs import org_id, resolve_organizations

HEADCOUNT_FIELDS = ("teachers", "young_specialists", "students", "students_10_plus")


class HeadcountSheet(SheetHandler):
    spec = schema.HEADCOUNT
    order = 30

    def plan(self, rows: list[Row], ctx: ImportContext):
        spec = self.spec
        refs = resolve_organizations(ctx, [r.values["organization"] for r in rows])
        ids = [org_id(r) for r in refs.values() if org_id(r)]
        existing = {}
        for batch in chunks(ids):
            for h in Headcount.objects.filter(organization_id__in=batch):
                existing[(h.organization_id, h.school_year)] = h
        seen = {}
        creates, updates = [], []
        for row in rows:
            v = row.values
            ref = refs.get(v["organization"])
            if ref is None:
                ctx.row_error(spec, row, "organization", unknown_org(v["organization"]))
                continue
            key = (v["organization"], v["school_year"])
            year = school_year_label(v["school_year"])
            if duplicate(ctx, spec, row, "school_year", seen, key, f"контингент одной ОО за {year}"):
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
        create(Headcount, objs, ctx)
        update(Headcount, updates, list(HEADCOUNT_FIELDS), ctx)

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
