"""Every list of the portal exports to .xlsx through here: same scope, same filters as on screen.

Exports are copies of personal data (RELIABILITY §3.8): the sheet says who exported it and
when, the response is never cached, and text that Excel would take for a formula is
written with a leading apostrophe (RELIABILITY #44).
"""

import datetime
import io
import re
from collections.abc import Iterable, Sequence

from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PERSONAL_DATA_NOTICE = (
    "Файл содержит персональные данные (152-ФЗ). Храните его только на рабочем компьютере, "
    "не пересылайте по открытым каналам и удалите, когда он станет не нужен."
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """A value as it goes into a cell: dates as dates, text never as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, (int, float, datetime.date)):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def append_table(worksheet, columns: Sequence[str], rows: Iterable[Sequence], bold: Font) -> None:
    """A bold header row, then the rows: dates as dates, text never as a formula."""
    header = []
    for name in columns:
        cell = WriteOnlyCell(worksheet, value=name)
        cell.font = bold
        header.append(cell)
    worksheet.append(header)
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(worksheet, value=safe_cell(value))
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


def xlsx_response(
    *, filename: str, title: str, columns: Sequence[str], rows: Iterable[Sequence], user
) -> HttpResponse:
    """An .xlsx download named in Russian (RFC 6266/5987), private and never cached."""
    content = workbook_bytes(title=title, columns=columns, rows=rows, user=user)
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    return response
