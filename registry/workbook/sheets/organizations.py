"""«Организации»: organizations by code, their municipality and the «низкие результаты» status."""

from collections.abc import Iterable

from django.db.models import F

from registry.models import Organization, OrganizationStatus, organization_search_name

from .. import schema
from ..engine import CHANGE_REASON, ImportContext, Row, SheetHandler
from ..schema import ORG_TYPE_LABELS, label_of
from .common import BATCH, chunks, create, duplicate, fold, update
from .refs import OrgRef, municipality_lookup, organizations

ORG_FIELDS = ("full_name", "short_name", "municipality_id", "org_type", "site_url")


class OrganizationsSheet(SheetHandler):
    spec = schema.ORGANIZATIONS
    order = 20

    def plan(self, rows: list[Row], ctx: ImportContext):
        spec = self.spec
        municipalities = municipality_lookup(ctx)
        codes = [r.values["code"] for r in rows]
        existing = {}
        for batch in chunks(codes):
            existing.update({o.code: o for o in Organization.objects.filter(code__in=batch)})
        low_results = set()
        for batch in chunks([o.pk for o in existing.values()]):
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
            if duplicate(ctx, spec, row, "code", seen, v["code"], "одна и та же организация"):
                continue
            municipality = municipalities.get(fold(v["municipality"]))
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
        for obj in (*creates, *updates):  # bulk writes call no save(): the folded names here
            obj.search_name = organization_search_name(obj.short_name, obj.full_name)
        create(Organization, creates, ctx)
        for obj in creates:
            organizations(ctx)[obj.code].id = obj.pk
        update(Organization, updates, [*ORG_FIELDS, "search_name", "version"], ctx)
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
        for batch in chunks([o.pk for o in close_statuses]):
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
