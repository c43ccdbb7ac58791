"""PostgreSQL COPY for the import's big creates, with the history rows simple-history would write.

``bulk_create_with_history`` builds a model instance and a historical instance per row and
has Django render an INSERT of thousands of parameters per batch: three quarters of a fresh
import went there. Here the rows come as plain tuples of column values and go to the server
with COPY (binary format), then the same rows, with the history columns, to the history table:
``history_type`` «+», one ``history_date``, the change reason and user of the import, every
tracked field (a model's ``excluded_fields`` are left out, as simple-history leaves them out).

The COPY runs on the psycopg connection under Django's ``connection``, inside the import's
transaction: a failed import still leaves nothing. Database errors come out as Django's
(``IntegrityError`` …), as from the ORM. SQLite has no COPY: ``available()`` is False there
and the sheets keep to ``bulk_create_with_history``.
"""

import datetime
from collections.abc import Sequence
from operator import itemgetter

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models
from django.utils import timezone
from psycopg import sql
from simple_history.models import HistoricalRecords
from simple_history.utils import get_history_model_for_model

HISTORY_STAMP = ("history_date", "history_change_reason", "history_type", "history_user_id")
CREATED = "+"


def available() -> bool:
    return connection.vendor == "postgresql"


def history_user_id(user) -> int | None:
    """The user simple-history would record: the import's, else the request's (its middleware)."""
    if user is None:
        request = getattr(HistoricalRecords.context, "request", None)
        user = getattr(request, "user", None)
        if user is not None and not user.is_authenticated:
            user = None
    return user.pk if user is not None else None


def _constant(field: models.Field, now: datetime.datetime):
    """The value every created row gets for a field the caller does not give."""
    if isinstance(field, models.DateField) and (field.auto_now or field.auto_now_add):
        return now if isinstance(field, models.DateTimeField) else timezone.localdate()
    if isinstance(field, models.DateField) and field.default is datetime.date.today:
        return timezone.localdate()
    # uuid4 and the like: one value per row, which the caller gives.
    if field.has_default() and callable(field.default) and field.default not in (list, dict):
        raise ImproperlyConfigured(f"{field.model.__name__}.{field.name}: give its value in every row")
    return field.get_default()


class Table:
    """COPY into one model's table (and its history table) rows that give ``columns``, in this order.

    The other concrete fields take their defaults (``auto_now`` ones: ``now``); an auto-increment
    primary key not among ``columns`` is drawn from its sequence beforehand.
    """

    def __init__(self, model, columns: Sequence[str], *, user=None, reason: str = "", now=None):
        meta = model._meta
        self.model = model
        self.now = now or timezone.now()
        by_attname = {f.attname: f for f in meta.concrete_fields}
        unknown = [c for c in columns if c not in by_attname]
        if unknown:
            raise ImproperlyConfigured(f"{model.__name__} has no columns {unknown}")
        self.allocate = meta.pk.attname not in columns
        if self.allocate and not isinstance(meta.pk, models.AutoField):
            raise ImproperlyConfigured(f"{model.__name__}: give the primary key of every row")
        given = ([meta.pk.attname] if self.allocate else []) + list(columns)
        rest = [f for f in meta.concrete_fields if f.attname not in given]
        self.columns = given + [f.attname for f in rest]
        self.constants = tuple(_constant(f, self.now) for f in rest)
        self.types = _column_types(meta.db_table, [by_attname[c].column for c in self.columns])
        self.statement = _copy_statement(meta.db_table, [by_attname[c].column for c in self.columns])

        self.history = None
        if getattr(settings, "SIMPLE_HISTORY_ENABLED", True) and hasattr(
            meta, "simple_history_manager_attribute"
        ):
            self.history = _History(get_history_model_for_model(model), self, user, reason)

    def write(self, rows: Sequence[tuple]) -> None:
        """COPY ``rows`` (tuples of the ``columns`` values), then their history rows."""
        if not rows:
            return
        if self.allocate:
            ids = allocate_ids(self.model, len(rows))
            rows = [(pk, *row) for pk, row in zip(ids, rows, strict=True)]
        constants = self.constants
        with connection.wrap_database_errors, connection.cursor() as wrapper:
            cursor = wrapper.cursor  # psycopg's, on the connection of the open transaction
            with cursor.copy(self.statement) as copy:
                copy.set_types(self.types)
                for row in rows:
                    copy.write_row(row + constants)
            if self.history is not None:
                self.history.write(cursor, rows)


class _History:
    """The historical twin of a ``Table``: its tracked columns, then the stamp of the import."""

    def __init__(self, history_model, table: Table, user, reason: str):
        meta = history_model._meta
        tracked = {f.attname for f in history_model.tracked_fields}
        by_attname = {f.attname: f for f in meta.concrete_fields}
        picks, columns = [], []
        for index, attname in enumerate(table.columns):
            if attname in tracked:
                picks.append(index)
                columns.append(by_attname[attname].column)
        relation = getattr(history_model, "history_relation", None)
        if relation is not None:  # HistoricalRecords(related_name=…): the row points to its object
            picks.append(table.columns.index(table.model._meta.pk.attname))
            columns.append(meta.get_field("history_relation").column)
        stamp_columns = [meta.get_field(name.removesuffix("_id")).column for name in HISTORY_STAMP]
        covered = set(columns) | set(stamp_columns) | {meta.pk.column}
        missing = [f.column for f in meta.concrete_fields if f.column not in covered]
        if missing:
            raise ImproperlyConfigured(f"{history_model.__name__}: no value for {missing}")
        self.stamp = (table.now, reason, CREATED, history_user_id(user))
        everything = picks == list(range(len(table.columns)))
        self.pick = None if everything else itemgetter(*picks)
        self.constants = table.constants
        self.types = _column_types(meta.db_table, columns + stamp_columns)
        self.statement = _copy_statement(meta.db_table, columns + stamp_columns)

    def write(self, cursor, rows: Sequence[tuple]) -> None:
        constants, stamp, pick = self.constants, self.stamp, self.pick
        with cursor.copy(self.statement) as copy:
            copy.set_types(self.types)
            if pick is None:
                for row in rows:
                    copy.write_row(row + constants + stamp)
            else:
                for row in rows:
                    copy.write_row(pick(row + constants) + stamp)


def allocate_ids(model, count: int) -> list[int]:
    """``count`` values of the primary key's sequence, in increasing order (as an INSERT would take them)."""
    meta = model._meta
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [meta.db_table, meta.pk.column])
        (sequence,) = cursor.fetchone()
        # The sequence as a constant: pg_get_serial_sequence() per row would cost 5 µs a row.
        cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, count])
        return sorted(pk for (pk,) in cursor.fetchall())


def _copy_statement(table: str, columns: list[str]) -> sql.Composed:
    return sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )


_TYPES: dict[tuple[str, str], int] = {}  # (table, column) → type oid, for binary COPY


def _column_types(table: str, columns: list[str]) -> list[int]:
    if any((table, c) not in _TYPES for c in columns):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT attname, atttypid FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0",
                [connection.ops.quote_name(table)],
            )
            _TYPES.update({(table, name): oid for name, oid in cursor.fetchall()})
    return [_TYPES[(table, c)] for c in columns]
