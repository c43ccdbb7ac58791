"""«Муниципалитеты»: municipalities by code, each in its region (a fresh installation creates the region)."""

from collections.abc import Iterable

from registry.models import Municipality, Region

from .. import schema
from ..engine import ImportContext, Row, SheetHandler
from .common import BATCH, duplicate, fold


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
            if duplicate(ctx, spec, row, "code", seen, v["code"], "один и тот же муниципалитет"):
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
            municipalities[fold(m.code)] = m
            municipalities[fold(m.name)] = m
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
            if fold(text) in (fold(region.code), fold(region.name)):
                return region
        if regions:
            names = ", ".join(f"«{r.name}»" for r in regions)
            ctx.row_error(self.spec, row, "region", f"регион «{text}» не найден; в реестре: {names}")
            return False
        # A fresh installation: the first workbook brings its region.
        region = Region(code=f"R{len(new_regions) + 1}", name=text)
        new_regions[fold(text)] = region
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
