"""The .xlsx reader of the admin's django-import-export import, behind the same pre-check as the portal's.

django-import-export reads the first sheet with openpyxl's read-only mode, which believes the sheet's
``<dimension ref=…>``: a small file declaring A1:XFD100000 made it pad every row to 16,384 cells and
add every row up to the declared last (gigabytes). Here the upload goes through ``inspect_workbook``
first (size, zip bomb, macros, links, active parts), the declared dimension is dropped, and only the
header's columns and the rows down to the last one holding a value are read.
"""

from io import BytesIO

import openpyxl
import tablib
from import_export.formats.base_formats import XLSX

from .safety import WorkbookRejected, inspect_workbook

MAX_COLUMNS = 64  # the widest resource has a few dozen fields


class CheckedXLSX(XLSX):
    def create_dataset(self, in_stream):
        scans = inspect_workbook(BytesIO(in_stream))
        book = openpyxl.load_workbook(BytesIO(in_stream), read_only=True, data_only=True)
        try:
            sheet = book.active
            scan = scans.get(sheet.title)
            sheet.reset_dimensions()  # cells' own coordinates only
            header = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
            width = len(header)
            while width and header[width - 1] is None:
                width -= 1
            if width > MAX_COLUMNS:
                raise WorkbookRejected(
                    f"Лист «{sheet.title}»: в строке заголовков более {MAX_COLUMNS} столбцов; "
                    "оставьте только столбцы формата."
                )
            dataset = tablib.Dataset(headers=list(header[:width]))
            last = scan.last_data_row if scan is not None else 1
            if width and last >= 2:
                for row in sheet.iter_rows(min_row=2, max_row=last, max_col=width, values_only=True):
                    dataset.append(list(row))
            return dataset
        finally:
            book.close()
