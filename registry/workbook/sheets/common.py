"""What every sheet's handler shares: batches, history-keeping writes, duplicate rows, folded text.

Writes go in batches with simple-history's bulk helpers so that every created or changed
record has its history row (docs/reliability.md A13: plain ``bulk_*`` would leave none). On
PostgreSQL the big creates (people, bases, pairs, links) go by COPY with the same history
rows (copy.py).
"""

from collections.abc import Iterable, Sequence

from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from common.text import fold  # noqa: F401 - the sheets' name key folds as the search does

from .. import copy
from ..engine import CHANGE_REASON, ImportContext

BATCH = 2000
COPY_BATCH = 20_000  # rows per COPY (and per progress step) on PostgreSQL
CHUNK = 2000  # ids per IN (...) lookup


def chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _history_kwargs(ctx: ImportContext) -> dict:
    return {"default_user": ctx.user, "default_change_reason": CHANGE_REASON, "batch_size": BATCH}


def create(model, objs: list, ctx: ImportContext, *, history: bool = True) -> None:
    for batch in chunks(objs, BATCH):
        if history:
            bulk_create_with_history(batch, model, **_history_kwargs(ctx))
        else:
            model.objects.bulk_create(batch, batch_size=BATCH)
        ctx.progress("Запись", 0)


def insert(model, columns: Sequence[str], rows: list[tuple], ctx: ImportContext) -> None:
    """Create ``rows`` (tuples of the ``columns`` values, by attname), each with its history row.

    PostgreSQL: COPY, in the import's transaction (copy.py). SQLite: model instances through
    ``bulk_create_with_history``, as ever.
    """
    if not copy.available():
        create(model, [model(**dict(zip(columns, row, strict=True))) for row in rows], ctx)
        return
    table = copy.Table(model, columns, user=ctx.user, reason=CHANGE_REASON)
    for batch in chunks(rows, COPY_BATCH):
        table.write(batch)
        ctx.progress("Запись", 0)


def update(model, objs: list, fields: list[str], ctx: ImportContext, *, history: bool = True) -> None:
    for batch in chunks(objs, BATCH):
        if history:
            bulk_update_with_history(batch, model, fields, **_history_kwargs(ctx))
        else:
            model.objects.bulk_update(batch, fields, batch_size=BATCH)


def duplicate(ctx, spec, row, field, seen: dict, key, what: str) -> bool:
    first = seen.get(key)
    if first is not None:
        ctx.row_error(spec, row, field, f"строки {first} и {row.number} — {what}")
        return True
    seen[key] = row.number
    return False


def unknown_org(code: str) -> str:
    return f"организация с кодом «{code}» не найдена ни в листе «Организации», ни в реестре"
