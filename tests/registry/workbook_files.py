"""Building real .xlsx workbooks of the registry's format (DESIGN §4) with openpyxl, for import tests.

A workbook is given as ``{sheet name: [header row, data row, …]}``; ``None`` as a row leaves
that Excel row blank, so that row numbers in messages can be checked against Excel's own.
Every row is written at its position: the header on row 1, the n-th list item on row n.
"""

import datetime
from pathlib import Path

import openpyxl

from registry.workbook import schema

MUNICIPALITIES = [c.header for c in schema.MUNICIPALITIES.columns]
ORGANIZATIONS = [c.header for c in schema.ORGANIZATIONS.columns]
HEADCOUNT = [c.header for c in schema.HEADCOUNT.columns]
MENTORS = [c.header for c in schema.MENTORS.columns]
MENTEES = [c.header for c in schema.MENTEES.columns]
PAIRS = [c.header for c in schema.MENTORSHIPS.columns]


def write_workbook(path: Path, sheets: dict[str, list], *, epoch=None, tweak=None) -> Path:
    """Save ``sheets`` to ``path``; ``tweak(workbook)`` may change the openpyxl workbook before saving."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    if epoch is not None:
        book.epoch = epoch
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for number, row in enumerate(rows, start=1):
            if row is None:
                continue
            for column, value in enumerate(row, start=1):
                if value is not None:
                    cell = sheet.cell(number, column, value)
                    if isinstance(value, datetime.date):
                        cell.number_format = "DD.MM.YYYY"
    if tweak is not None:
        tweak(book)
    book.save(path)
    return path


def row(headers: list[str], **values) -> list:
    """A data row in the order of ``headers``, given by header: ``row(MENTORS, **{"ФИО": "…"})``."""
    unknown = set(values) - set(headers)
    assert not unknown, f"no such columns: {unknown}"
    return [values.get(h) for h in headers]


def mentor(code: str, name: str, birth: datetime.date, category: str = "педагог", **more) -> list:
    values = {"Код ОО": code, "ФИО": name, "Дата рождения": birth, "Категория": category, **more}
    if category == "педагог":
        values.setdefault("Педагогический стаж", 15)
    return row(MENTORS, **values)


def mentee(code: str, name: str, birth: datetime.date, category: str = "педагог", **more) -> list:
    values = {"Код ОО": code, "ФИО": name, "Дата рождения": birth, "Категория": category, **more}
    if category == "педагог":
        values.setdefault("Педагогический стаж", 1)
    return row(MENTEES, **values)


def pair(code: str, form: str, start: datetime.date, **more) -> list:
    """A row of «Наставнические пары»; ``mentor``/``mentee`` are (ФИО, date of birth) tuples."""
    values = {"Код ОО": code, "Форма наставничества": form, "Дата начала": start}
    if "mentor" in more:
        values["Наставник ФИО"], values["Наставник дата рождения"] = more.pop("mentor")
    if "mentee" in more:
        values["Наставляемый ФИО"], values["Наставляемый дата рождения"] = more.pop("mentee")
    values.update(more)
    return row(PAIRS, **values)
