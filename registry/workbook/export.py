"""The regional workbook out (docs/workbook.md §2): the export of the live registry and the blank template.

Both are written in the import's own format, from the same ``SheetSpec`` tables, so that an
exported file imports back unchanged: one sheet per registered handler, named as its spec,
the headers in row 1 and nothing above them.

An export is a copy of personal data (docs/reliability.md §3.8): who exported it and when is written
into the document properties and on a last sheet «Сведения о выгрузке» (the importer skips
unknown sheets), never into the data sheets. Text that Excel would take for a formula is
written as text with a leading apostrophe, which ``schema.clean_text`` removes on import
(docs/reliability.md #44); no cell is ever written as a formula.

The writer is XlsxWriter in ``constant_memory`` mode: rows go to a temporary file as they
come, so memory stays flat, and it writes about twice as fast as openpyxl's write-only mode.
"""

import contextlib
import dataclasses
import datetime
import decimal
import getpass
import io
import itertools
import os
import tempfile
from collections.abc import Iterable

import xlsxwriter
from django.conf import settings
from django.utils import timezone

from common.text import HIDDEN, printable
from registry.exports import FORMULA_STARTS, PERSONAL_DATA_NOTICE
from registry.models import MentoringForm, Region

from . import schema
from .engine import handlers
from .schema import Column, SheetSpec

INFO_SHEET = "Сведения о выгрузке"
INSTRUCTION_SHEET = "Инструкция"
LISTS_SHEET = "Справочники"
FORM_HEADER = "Форма наставничества"
REQUIRED_MARK = " *"
DATE_FORMAT = "DD.MM.YYYY"
DATETIME_FORMAT = "DD.MM.YYYY hh:mm"
TITLE = "Реестр наставничества"
WIDTH_SAMPLE_ROWS = 200
MIN_WIDTH, MAX_WIDTH = 8, 60
FORMULA_CHARS = ("=", "+", "-", "@")  # what ``schema.clean_text`` strips one apostrophe before
ESCAPE_FIRST = frozenset("".join(FORMULA_STARTS) + "'")
INLINE_LIST_LIMIT = 255  # Excel's limit for a list typed into a data validation
WRITER_OPTIONS = {
    "constant_memory": True,
    # Never turn a string into a formula, a hyperlink or a number: text stays text.
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}

INSTRUCTIONS = (
    "Листы можно заполнять не все: загружаются те, что есть в книге, в порядке: {sheets}.",
    "Первая строка каждого листа — заголовки столбцов. Не меняйте их и не вставляйте строки над ними. "
    "Столбцы, отмеченные «*», обязательны; порядок столбцов может быть любым.",
    "Вторая строка каждого листа — пример заполнения: замените её своими данными или удалите.",
    "Одна строка — один человек (на листах «Наставники» и «Наставляемые») или один наставляемый "
    "с его наставником (на листе «Наставнические пары»).",
    "Даты пишите как ДД.ММ.ГГГГ, например 16.12.2022 (подходит и дата Excel).",
    "Коды (код муниципалитета, «Код ОО») пишите текстом, латиницей и цифрами: столбцы кодов "
    "имеют формат «Текстовый», чтобы Excel не терял ведущие нули.",
    "Не используйте формулы и объединённые ячейки: такой файл не загрузится. Копируя из другой книги, "
    "вставляйте значения (Специальная вставка → Значения).",
    "Тип ОО, категорию, форму наставничества, статус и «да/нет» выбирайте из раскрывающегося списка.",
    "«Группа» — название группы при групповом наставничестве: строки листа «Наставнические пары» "
    "одной ОО с одним наставником, одной формой, одной датой начала и одним названием группы "
    "составляют одну группу, по строке на каждого наставляемого. Для индивидуальной пары оставьте "
    "столбец пустым.",
    "Наставник из другой ОО: укажите её код в столбце «Наставник код ОО». В форме «ОО – ОО» "
    "заполните «ОО-наставник код» и «ОО-наставляемая код», а ФИО и даты рождения оставьте пустыми.",
    "Согласие на обработку персональных данных (152-ФЗ) обязательно для каждого участника: заполните "
    "«Дата согласия» и «Версия согласия» (версия текста, который подписан). За обучающегося и за любого "
    "участника моложе 18 лет на дату согласия его даёт законный представитель: укажите его ФИО в столбце "
    "«Законный представитель». Строка без согласия не загрузится.",
    "Повторная загрузка того же файла ничего не меняет, изменённая строка обновляет запись. "
    "Ошибки показываются все сразу (лист, строка, столбец); при ошибках ничего не записывается.",
    PERSONAL_DATA_NOTICE,
)


@dataclasses.dataclass(frozen=True)
class ExportContext:
    """What ``SheetHandler.export_rows`` may look at besides the organizations."""

    user: object = None
    region_wide: bool = True


# ---------------------------------------------------------------- the writer


class _Book:
    """An XlsxWriter workbook with the formats every sheet of ours uses."""

    def __init__(self, target, tmpdir: str):
        self.book = xlsxwriter.Workbook(target, {**WRITER_OPTIONS, "tmpdir": tmpdir})
        self.bold = self.book.add_format({"bold": True})
        self.heading = self.book.add_format({"bold": True, "font_size": 13})
        self.date = self.book.add_format({"num_format": DATE_FORMAT})
        self.datetime = self.book.add_format({"num_format": DATETIME_FORMAT})
        self.text = self.book.add_format({"num_format": "@"})
        self.wrap = self.book.add_format({"text_wrap": True, "valign": "top"})

    def data_sheet(self, spec: SheetSpec, rows: Iterable[tuple], *, template: bool = False) -> tuple:
        """A sheet of the workbook format: headers in row 1 (frozen), then the rows. Returns (sheet, rows)."""
        sheet = self.book.add_worksheet(spec.name)
        columns = spec.columns
        width = len(columns)
        rows = iter(rows)
        sample = list(itertools.islice(rows, WIDTH_SAMPLE_ROWS))
        headers = [c.header + (REQUIRED_MARK if template and c.required else "") for c in columns]
        for index, column in enumerate(columns):
            sheet.set_column(
                index, index, _width(headers[index], (r[index] for r in sample)), self._column_format(column)
            )
        sheet.freeze_panes(1, 0)
        for index, header in enumerate(headers):
            sheet.write_string(0, index, header, self.bold)
        count = 0
        for count, row in enumerate(itertools.chain(sample, rows), start=1):
            if len(row) != width:
                raise ValueError(f"Лист «{spec.name}»: в строке {len(row)} значений, а столбцов {width}")
            self.write_row(sheet, count, row)
        return sheet, count

    def _column_format(self, column: Column):
        # Codes are text: a code typed into the sheet later keeps its leading zeros.
        return self.text if column.parse is schema.parse_code else None

    def write_row(self, sheet, number: int, row: Iterable) -> None:
        # XlsxWriter's undecorated writers (what its own write() calls) skip the A1-notation
        # check of the public ones: about 8 % of the export's time at 100,000 rows.
        write_string = getattr(sheet, "_write_string", sheet.write_string)
        write_number = getattr(sheet, "_write_number", sheet.write_number)
        write_datetime = getattr(sheet, "_write_datetime", sheet.write_datetime)
        for index, value in enumerate(row):
            kind = type(value)
            if kind is str:
                if value:
                    # isprintable() (C, no regex) is True for nearly every cell and for none
                    # with a hidden character: the search runs on the few that remain.
                    if not value.isprintable() and HIDDEN.search(value):
                        value = _printable(sheet, number, index, value)
                    write_string(number, index, escape_text(value) if value[0:1] in ESCAPE_FIRST else value)
            elif kind is int or kind is float:
                write_number(number, index, value)
            elif kind is datetime.date:
                write_datetime(number, index, value, self.date)
            elif value is not None:
                self._write_other(sheet, number, index, value)

    def _write_other(self, sheet, number: int, index: int, value) -> None:
        if isinstance(value, bool):
            sheet.write_string(number, index, "да" if value else "нет")
        elif isinstance(value, datetime.datetime):
            if timezone.is_aware(value):
                value = timezone.localtime(value).replace(tzinfo=None)
            sheet.write_datetime(number, index, value, self.datetime)
        elif isinstance(value, datetime.date):
            sheet.write_datetime(number, index, value, self.date)
        elif isinstance(value, (int, float, decimal.Decimal)):
            sheet.write_number(number, index, float(value) if isinstance(value, decimal.Decimal) else value)
        else:
            text = str(value)  # str subclasses (choices, lazy text), UUIDs
            if HIDDEN.search(text):
                text = _printable(sheet, number, index, text)
            if text:
                sheet.write_string(number, index, escape_text(text))

    def close(self) -> None:
        self.book.close()


def _printable(sheet, number: int, index: int, text: str) -> str:
    """Text stored with control or invisible characters (bypassing the forms), written without them.

    XlsxWriter would write a control character as ``_x0007_``, which Excel reads back as the
    character itself; the warning says where it was, never the text (docs/reliability.md #39).
    """
    return printable(text, lambda: f"workbook sheet «{sheet.name}», column {index + 1}, row {number + 1}")


@contextlib.contextmanager
def _open_book(target):
    """A workbook whose rows wait in a private temporary folder; the file is written on leaving.

    If the export fails halfway, nothing is written to ``target`` and the folder, which holds
    the rows written so far (personal data), is removed all the same.
    """
    with tempfile.TemporaryDirectory(prefix="registry-workbook-") as tmpdir:
        book = _Book(target, tmpdir)
        yield book
        book.close()


def escape_text(text: str) -> str:
    """Text as written to a cell: an apostrophe before what Excel would take for a formula.

    The importer removes exactly one apostrophe that stands before ``= + - @``; text that
    already begins with apostrophes before such a character gets one more, so that it
    imports back as it was.
    """
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    if text.startswith("'") and text.lstrip("'").startswith(FORMULA_CHARS):
        return "'" + text
    return text


def _width(header: str, values: Iterable) -> int:
    longest = len(header) + 2
    for value in values:
        if isinstance(value, datetime.date):
            longest = max(longest, 12)
        elif value is not None:
            longest = max(longest, len(str(value)) + 2)
    return max(MIN_WIDTH, min(MAX_WIDTH, longest))


# ---------------------------------------------------------------- the export


def _who(user) -> str:
    if user is None:
        try:
            return f"{getpass.getuser()} (командная строка)"
        except (KeyError, OSError):
            return "командная строка"
    full_name = user.get_full_name() if hasattr(user, "get_full_name") else ""
    username = user.get_username()
    return f"{full_name} ({username})" if full_name.strip() else username


def watermark(user, moment: datetime.datetime | None = None) -> str:
    moment = timezone.localtime(moment or timezone.now())
    return f"Выгрузил: {_who(user)}, {moment:%d.%m.%Y %H:%M}"


def write_workbook(target, organizations, *, user=None, region_wide: bool = True) -> dict[str, int]:
    """Write the workbook of ``organizations`` (already scoped) to a path or a binary file.

    Returns the number of data rows written per sheet, in sheet order.
    """
    if isinstance(target, os.PathLike):
        target = os.fspath(target)
    now = timezone.now()
    stamp = watermark(user, now)
    ctx = ExportContext(user=user, region_wide=region_wide)
    counts = {}
    with _open_book(target) as book:
        book.book.set_properties(
            {
                "title": TITLE,
                "subject": "Выгрузка реестра наставничества",
                "author": _who(user),
                "comments": f"{stamp}\n{PERSONAL_DATA_NOTICE}",
                "keywords": "персональные данные",
                "created": now,
            }
        )
        for handler in handlers():
            _, counts[handler.spec.name] = book.data_sheet(
                handler.spec, handler.export_rows(organizations, ctx)
            )
        _info_sheet(book, stamp, counts, region_wide)
    return counts


def export_workbook(organizations, *, user=None, region_wide: bool = True) -> bytes:
    """The workbook of ``organizations`` (already scoped) as the bytes of an .xlsx file."""
    buffer = io.BytesIO()
    write_workbook(buffer, organizations, user=user, region_wide=region_wide)
    return buffer.getvalue()


def _info_sheet(book: _Book, stamp: str, counts: dict[str, int], region_wide: bool) -> None:
    sheet = book.book.add_worksheet(INFO_SHEET)
    sheet.set_column(0, 0, 60)
    sheet.set_column(1, 1, 14)
    sheet.write_string(0, 0, TITLE, book.heading)
    sheet.write_string(1, 0, stamp)
    sheet.write_string(2, 0, PERSONAL_DATA_NOTICE)
    sheet.write_string(3, 0, "Охват: весь реестр" if region_wide else "Охват: выбранные организации")
    sheet.write_string(5, 0, "Лист", book.bold)
    sheet.write_string(5, 1, "Строк", book.bold)
    for number, (name, rows) in enumerate(counts.items(), start=6):
        sheet.write_string(number, 0, name)
        sheet.write_number(number, 1, rows)


# ---------------------------------------------------------------- the blank template


def _form_names() -> list[str]:
    return list(
        MentoringForm.objects.filter(is_active=True)
        .order_by("sort_order", "name")
        .values_list("name", flat=True)
    )


def _example_row(spec: SheetSpec, regions: list[str]) -> tuple:
    """The example row of a sheet, consistent with the other sheets' examples (one school, one pair)."""
    values = {c.field: c.example for c in spec.columns}
    if spec.name == schema.MUNICIPALITIES.name and len(regions) == 1:
        values["region"] = regions[0]  # the example then imports into this installation as it is
    return tuple(values[c.field] for c in spec.columns)


def blank_template() -> bytes:
    """The blank workbook: an instruction, every sheet with its headers, one example row and drop-downs."""
    buffer = io.BytesIO()
    specs = [h.spec for h in handlers()]
    forms = _form_names()
    regions = list(Region.objects.order_by("name").values_list("name", flat=True)[:2])
    lists: list[tuple[str, list[str]]] = []  # (title, values) for the hidden «Справочники»
    with _open_book(buffer) as book:
        book.book.set_properties({"title": f"{TITLE}: шаблон книги", "created": timezone.now()})
        _instruction_sheet(book, specs)
        for spec in specs:
            sheet, _ = book.data_sheet(spec, [_example_row(spec, regions)], template=True)
            for index, column in enumerate(spec.columns):
                choices = list(column.choices) or (forms if column.header == FORM_HEADER else [])
                if choices:
                    _drop_down(sheet, index, column.header, choices, lists)
        if lists:
            helper = book.book.add_worksheet(LISTS_SHEET)
            for index, (title, values) in enumerate(lists):
                helper.set_column(index, index, _width(title, values))
                helper.write_string(0, index, title, book.bold)
                for number, value in enumerate(values, start=1):
                    helper.write_string(number, index, value)
            helper.hide()
    return buffer.getvalue()


def _drop_down(sheet, index: int, header: str, choices: list[str], lists: list) -> None:
    """A list validation on a column below its header; long lists (and the forms) live on «Справочники»."""
    if header != FORM_HEADER and _fits_inline(choices):
        source = choices
    else:
        lists.append((header, choices))
        letter = xlsxwriter.utility.xl_col_to_name(len(lists) - 1)
        source = f"='{LISTS_SHEET}'!${letter}$2:${letter}${len(choices) + 1}"
    last_row = getattr(settings, "IMPORT_MAX_ROWS", 100_000)
    sheet.data_validation(
        1,
        index,
        last_row,
        index,
        {
            "validate": "list",
            "source": source,
            "error_type": "stop",
            "error_title": header[:32],
            "error_message": "Выберите значение из раскрывающегося списка.",
        },
    )


def _fits_inline(choices: list[str]) -> bool:
    return len(",".join(choices)) <= INLINE_LIST_LIMIT and not any("," in c or '"' in c for c in choices)


def _instruction_sheet(book: _Book, specs: list[SheetSpec]) -> None:
    sheet = book.book.add_worksheet(INSTRUCTION_SHEET)
    sheet.set_column(0, 0, 4)
    sheet.set_column(1, 1, 110, book.wrap)
    sheet.write_string(0, 1, f"{TITLE}: как заполнить книгу", book.heading)
    sheets = ", ".join(f"«{s.name}»" for s in specs)
    for number, line in enumerate(INSTRUCTIONS, start=1):
        sheet.write_number(number + 1, 0, number)
        sheet.write_string(number + 1, 1, line.format(sheets=sheets), book.wrap)
    sheet.activate()
