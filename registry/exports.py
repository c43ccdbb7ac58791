"""Every list of the portal exports to .xlsx through here: same scope, same filters as on screen.

Exports are copies of personal data (docs/reliability.md §3.8): the sheet says who exported it and
when, the response is never cached, and text that Excel would take for a formula is
written with a leading apostrophe (docs/reliability.md #44). Control and invisible characters stored
by some way round the forms are left out of the cell, with a warning (docs/reliability.md #39):
openpyxl refuses C0 controls, so one such character made the whole download fail.
"""

import datetime
import functools
import io
import re
from collections.abc import Iterable, Sequence

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from common.text import printable

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PERSONAL_DATA_NOTICE = (
    "Файл содержит персональные данные (152-ФЗ). Храните его только на рабочем компьютере, "
    "не пересылайте по открытым каналам и удалите, когда он станет не нужен."
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value, *, source=None):
    """A value as it goes into a cell: dates as dates, text never as a formula, nothing hidden.

    ``source`` says where the value was stored (a string, or a callable giving one), for the
    warning logged when hidden characters are left out (``common.text.printable``).
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, (int, float, datetime.date)):
        return value
    text = printable(str(value), source)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def _where(sheet: str, columns: Sequence[str], index: int, number: int) -> str:
    column = columns[index] if index < len(columns) else index + 1
    return f"export sheet «{sheet}», column «{column}», table row {number}"


def append_table(worksheet, columns: Sequence[str], rows: Iterable[Sequence], bold: Font) -> None:
    """A bold header row, then the rows: dates as dates, text never as a formula."""
    header = []
    for name in columns:
        cell = WriteOnlyCell(worksheet, value=name)
        cell.font = bold
        header.append(cell)
    worksheet.append(header)
    for number, row in enumerate(rows, start=1):
        cells = []
        for index, value in enumerate(row):
            # The rows are plain values: the warning names the sheet, the column and the row.
            where = functools.partial(_where, worksheet.title, columns, index, number)
            cell = WriteOnlyCell(worksheet, value=safe_cell(value, source=where))
            if isinstance(cell.value, datetime.date):
                cell.number_format = "DD.MM.YYYY"
            cells.append(cell)
        worksheet.append(cells)


def workbook_bytes(
    *, title: str, columns: Sequence[str], rows: Iterable[Sequence], user=None, sheet: str | None = None
) -> bytes:
    workbook = Workbook(write_only=True)
    # Excel refuses : \ / ? * [ ] in a sheet's name.
    worksheet = workbook.create_sheet(re.sub(r"[:\\/?*\[\]]", " ", sheet or title)[:31].strip())
    bold = Font(bold=True)
    heading = WriteOnlyCell(worksheet, value=safe_cell(title))
    heading.font = bold
    worksheet.append([heading])
    if user is not None:
        moment = timezone.localtime().strftime("%d.%m.%Y %H:%M")
        worksheet.append([f"Выгрузил: {user.get_username()}, {moment}. {PERSONAL_DATA_NOTICE}"])
    worksheet.append([])
    append_table(worksheet, columns, rows, bold)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
