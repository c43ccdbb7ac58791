"""One import of one workbook: check the file, read the known sheets, plan every row, write all or nothing.

The same function serves the web page (inline or in the task worker), the command line and
the tests. A dry run plans and reports; a real run plans again inside one transaction under
an import lock (the database may have changed since the dry run) and writes only when no
sheet has an error.

Sheets are handled by ``SheetHandler`` objects registered per app (registry registers its
six sheets, monitoring its «Мероприятия»), in the order of docs/workbook.md §2.
"""

import dataclasses
import datetime
from collections.abc import Callable, Iterable
from difflib import get_close_matches
from pathlib import Path

import python_calamine
from django.db import connection, transaction
from django.utils import timezone

from .safety import SheetScan, WorkbookRejected, column_index, column_letters, inspect_workbook
from .schema import EXAMPLE_PREFIX, REGISTERED_SPECS, CellError, SheetSpec, header_key

IMPORT_LOCK_ID = 734_100  # pg_advisory_xact_lock key: one workbook import writes at a time
MAX_ERRORS = 500
CHANGE_REASON = "Импорт из Excel"


@dataclasses.dataclass(frozen=True)
class Problem:
    sheet: str | None
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.sheet:
            where.append(f"Лист «{self.sheet}»")
        if self.row:
            where.append(f"строка {self.row}")
        if self.column:
            where.append(f"столбец «{self.column}»")
        return (", ".join(where) + ": " if where else "") + self.message


@dataclasses.dataclass(slots=True)
class Row:
    number: int  # Excel's own row number
    values: dict


@dataclasses.dataclass
class SheetCounts:
    sheet: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def summary(self) -> str:
        return f"создано {self.created}, обновлено {self.updated}, без изменений {self.unchanged}"


@dataclasses.dataclass
class ImportReport:
    sheets: list[SheetCounts]
    errors: list[str]
    warnings: list[str]
    committed: bool
    rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict:
        return {
            "sheets": [dataclasses.asdict(s) for s in self.sheets],
            "errors": self.errors,
            "warnings": self.warnings,
            "committed": self.committed,
            "rows": self.rows,
        }


class TooManyErrors(Exception):
    pass


class ImportContext:
    """What the sheets of one import share: errors, counts, and the references already resolved."""

    def __init__(self, *, user=None, dry_run: bool, progress: Callable | None = None, total_rows: int = 0):
        self.user = user
        self.dry_run = dry_run
        self.today = timezone.localdate()  # the portal's date, not the process's
        self.problems: list[Problem] = []
        self.warnings: list[str] = []
        self.counts: dict[str, SheetCounts] = {}
        self._progress = progress
        self.total_rows = max(total_rows, 1)
        self.done_rows = 0
        # Shared registries that later sheets read (filled by the handlers).
        self.shared: dict = {}

    # -- errors
    def error(self, sheet: SheetSpec | str | None, row: int | None, column: str | None, message: str) -> None:
        name = sheet.name if isinstance(sheet, SheetSpec) else sheet
        self.problems.append(Problem(name, row, column, message))
        if len(self.problems) >= MAX_ERRORS:
            raise TooManyErrors

    def row_error(self, spec: SheetSpec, row: Row, field: str | None, message: str) -> None:
        column = spec.column(field).header if field else None
        self.error(spec, row.number, column, message)

    @property
    def has_errors(self) -> bool:
        return bool(self.problems)

    # -- counts
    def count(self, spec: SheetSpec, what: str, n: int = 1) -> None:
        counts = self.counts.setdefault(spec.name, SheetCounts(spec.name))
        setattr(counts, what, getattr(counts, what) + n)

    # -- progress
    def progress(self, phase: str, rows: int = 0) -> None:
        self.done_rows += rows
        if self._progress is not None:
            self._progress(min(self.done_rows, self.total_rows), self.total_rows, phase)

    @property
    def writing(self) -> bool:
        return not self.dry_run and not self.has_errors


class SheetHandler:
    """One sheet of the workbook: plan its rows against the file and the database, then write them."""

    spec: SheetSpec
    order: int

    def plan(self, rows: list[Row], ctx: ImportContext):
        raise NotImplementedError

    def apply(self, plan, ctx: ImportContext) -> None:
        raise NotImplementedError

    def export_rows(self, organizations, ctx) -> Iterable[tuple]:
        """Export rows as Python values in ``spec.columns`` order; ``organizations`` is already scoped."""
        raise NotImplementedError


_HANDLERS: dict[str, SheetHandler] = {}


def register(handler: SheetHandler) -> SheetHandler:
    _HANDLERS[header_key(handler.spec.name)] = handler
    REGISTERED_SPECS[header_key(handler.spec.name)] = handler.spec
    return handler


def handlers() -> list[SheetHandler]:
    return sorted(_HANDLERS.values(), key=lambda h: h.order)


# ---------------------------------------------------------------- reading


def _column_letter(index: int) -> str:
    """Excel's letters of the column numbered ``index`` from 0 (the reader's numbering)."""
    return column_letters(index + 1)


def _split_ref(ref: str) -> tuple[str, int]:
    letters = "".join(c for c in ref if c.isalpha())
    return letters, int(ref[len(letters) :])


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _blank_row(cells) -> bool:
    for value in cells:  # usually returns at the first cell
        if value is not None and not (isinstance(value, str) and (not value or value.isspace())):
            return False
    return True


_MISSING = object()
_HASHABLE = frozenset({int, float, bool, datetime.date, datetime.datetime, datetime.time, datetime.timedelta})
PARSED_CACHE = 20_000  # distinct values kept per column


def read_sheet(workbook, scan: SheetScan, spec: SheetSpec, ctx: ImportContext) -> list[Row] | None:
    """The sheet's data rows, each cell parsed; None when the header itself is wrong."""
    sheet = workbook.get_sheet_by_name(scan.name)
    start_row, start_col = sheet.start
    rows = sheet.iter_rows()
    header = next(rows, None)
    if header is None:
        ctx.warnings.append(f"Лист «{spec.name}» пуст — пропущен.")
        return []
    if start_row != 0:
        ctx.error(spec, start_row + 1, None, "заголовки столбцов должны быть в первой строке листа")
        return None

    columns = {}  # cell index → Column
    seen = {}
    known = {c.key: c for c in spec.columns}
    unreadable = False  # a required column is missing: the rows cannot be checked
    for index, title in enumerate(header):
        letter = _column_letter(start_col + index)
        if _is_blank(title):
            continue
        key = header_key(title)
        column = known.get(key)
        if column is None:
            hint = get_close_matches(key, known, n=1, cutoff=0.6)
            advice = f"; возможно, имелся в виду «{known[hint[0]].header}»" if hint else ""
            allowed = ", ".join(f"«{c.header}»" for c in spec.columns)
            ctx.error(
                spec,
                1,
                str(title).strip(),
                f"неизвестный столбец (ячейка {letter}1){advice}; столбцы листа: {allowed}",
            )
        elif key in seen:
            ctx.error(spec, 1, column.header, f"столбец повторяется (ячейки {seen[key]}1 и {letter}1)")
        else:
            seen[key] = letter
            columns[index] = column
    for column in spec.columns:
        if column.required and column.key not in seen:
            ctx.error(spec, 1, column.header, "нет обязательного столбца")
            unreadable = True

    header_by_letter = {_column_letter(start_col + i): c.header for i, c in columns.items()}
    formulas: dict[int, set[int]] = {}  # Excel row → cell indexes holding a formula (already an error)
    for ref in scan.formula_cells:
        letters, number = _split_ref(ref)
        formulas.setdefault(number, set()).add(column_index(letters.encode("ascii")) - 1 - start_col)
        ctx.error(
            spec,
            number,
            header_by_letter.get(letters, letters),
            f"в ячейке {ref} формула; вставьте вместо неё значение (Специальная вставка → Значения)",
        )
    if scan.has_more_formulas:
        ctx.error(spec, None, None, "в листе есть и другие формулы: замените все формулы значениями")
    for merged in scan.merged_ranges:
        first = merged.split(":")[0]
        letters, number = _split_ref(first)
        ctx.error(
            spec,
            number,
            header_by_letter.get(letters, letters),
            f"объединённые ячейки {merged} не допускаются: разъедините их и заполните каждую строку",
        )
    if unreadable:
        return None

    # Cells repeat (codes, categories, dates): each column parses a distinct value once. Parsing is
    # a function of the cell alone; refusals are not kept, so every bad cell is reported.
    parsers = [
        (index, column, column.parse, column.field, column.required, {}) for index, column in columns.items()
    ]
    headerless = [i for i, title in enumerate(header) if i not in columns and title in ("", None)]
    result = []
    examples = []
    for offset, cells in enumerate(rows, start=2):
        number = start_row + offset
        if _blank_row(cells):
            continue
        values = {}
        ok = number not in formulas
        skipped = formulas.get(number, ())
        size = len(cells)
        for index, column, parse, field, required, cache in parsers:
            if index in skipped:
                continue  # a formula's value is never read: its cell is reported above
            raw = cells[index] if index < size else None
            kind = raw.__class__
            key = raw if kind is str else (kind, raw) if kind in _HASHABLE else None
            value = cache.get(key, _MISSING) if key is not None else _MISSING
            if value is _MISSING:
                try:
                    value = parse(raw)
                except CellError as error:
                    ctx.error(spec, number, column.header, str(error))
                    ok = False
                    continue
                if key is not None and len(cache) < PARSED_CACHE:
                    cache[key] = value
            if required and (value is None or value == ""):
                ctx.error(spec, number, column.header, "обязательное поле не заполнено")
                ok = False
            values[field] = value
        for index in headerless:
            if index < size and not _is_blank(cells[index]):
                letter = _column_letter(start_col + index)
                ctx.error(spec, number, letter, "значение в столбце без заголовка")
                ok = False
        if ok and _is_example(values):
            examples.append(number)  # the blank template's example: never written
        elif ok:
            result.append(Row(number, values))
    if examples:
        rows_text = ", ".join(str(n) for n in examples[:5]) + (" …" if len(examples) > 5 else "")
        ctx.warnings.append(
            f"Лист «{spec.name}», строка {rows_text}: пример из шаблона (код {EXAMPLE_PREFIX}…) пропущен, "
            "в реестр не записан."
        )
    return result


EXAMPLE_FIELDS = ("code", "organization", "municipality")


def _is_example(values: dict) -> bool:
    """A row of the blank template's example (docs/workbook.md §7): its code says so."""
    return any(
        isinstance(values.get(field), str) and values[field].upper().startswith(EXAMPLE_PREFIX)
        for field in EXAMPLE_FIELDS
    )


# ---------------------------------------------------------------- the import


def import_workbook(
    file,
    *,
    user=None,
    dry_run: bool = False,
    progress: Callable | None = None,
    before_commit: Callable[[], bool] | None = None,
) -> ImportReport:
    """Import ``file`` (a path or a binary file object). Never raises for bad input: see ``report.errors``.

    ``before_commit``, called inside the import's transaction once every row is written, may refuse
    the commit by returning False: everything is rolled back (the job was reaped meanwhile,
    docs/architecture.md §6).
    """
    try:
        scans = inspect_workbook(file)
    except WorkbookRejected as rejected:
        return ImportReport([], [rejected.message], [], committed=False)

    known = {}
    warnings = []
    for name, scan in scans.items():
        handler = _HANDLERS.get(header_key(name))
        if handler is None:
            warnings.append(f"Лист «{name}» не входит в формат реестра — пропущен.")
        else:
            known[handler.spec.name] = (handler, scan)
    if not known:
        expected = ", ".join(f"«{h.spec.name}»" for h in handlers())
        return ImportReport(
            [], [f"В книге нет ни одного листа формата реестра: ожидаются {expected}."], warnings, False
        )

    total = sum(max(scan.last_data_row - 1, 0) for _, scan in known.values())
    ctx = ImportContext(
        user=user, dry_run=dry_run, progress=progress, total_rows=total * (1 if dry_run else 2)
    )
    ctx.warnings.extend(warnings)
    if isinstance(file, (str, Path)):
        workbook = python_calamine.CalamineWorkbook.from_path(str(file))
    else:
        file.seek(0)
        workbook = python_calamine.CalamineWorkbook.from_filelike(file)
    ordered = [known[h.spec.name] for h in handlers() if h.spec.name in known]

    committed = False
    try:
        if dry_run:
            _run(ordered, workbook, ctx)
        else:
            with transaction.atomic():
                _lock()
                _run(ordered, workbook, ctx)
                if ctx.has_errors or (before_commit is not None and not before_commit()):
                    transaction.set_rollback(True)
                else:
                    committed = True
    except TooManyErrors:
        ctx.warnings.append(f"Показаны первые {MAX_ERRORS} ошибок; исправьте их и загрузите файл снова.")
        committed = False
    finally:
        workbook.close()

    sheets = [ctx.counts.get(h.spec.name) or SheetCounts(h.spec.name) for h, _ in ordered]
    position = {h.spec.name: i for i, (h, _) in enumerate(ordered)}
    problems = sorted(ctx.problems, key=lambda p: (position.get(p.sheet, -1), p.row or 0))
    return ImportReport(sheets, [str(p) for p in problems], ctx.warnings, committed=committed, rows=total)


def _run(ordered, workbook, ctx: ImportContext) -> None:
    for handler, scan in ordered:
        spec = handler.spec
        ctx.counts.setdefault(spec.name, SheetCounts(spec.name))
        ctx.progress(f"Лист «{spec.name}»: чтение и проверка")
        rows = read_sheet(workbook, scan, spec, ctx)
        if rows is None:
            continue
        plan = handler.plan(rows, ctx)
        ctx.progress(f"Лист «{spec.name}»: проверен", len(rows))
        if ctx.writing:
            handler.apply(plan, ctx)
            ctx.progress(f"Лист «{spec.name}»: записан", len(rows))
        del rows, plan


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK_ID])
    # SQLite: the settings begin every transaction IMMEDIATE, which takes the write lock.
