"""Building real .xlsx workbooks of the registry's format (docs/workbook.md §2) with openpyxl, for import
tests.

A workbook is given as ``{sheet name: [header row, data row, …]}``; ``None`` as a row leaves
that Excel row blank, so that row numbers in messages can be checked against Excel's own.
Every row is written at its position: the header on row 1, the n-th list item on row n.
"""

import datetime
from pathlib import Path

import openpyxl

from registry.models import ADULT_AGE, CURRENT_CONSENT_TEXT_VERSION, age_on
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


CONSENT_DAY = datetime.date(2024, 9, 2)


def with_consent(values: dict) -> dict:
    """A row's consent as the rules want it (docs/reliability.md §3.1): dated, versioned, and for a pupil
    (or anyone under 18 on the consent date) the legal representative. Given values win."""
    birth = values.get("Дата рождения")
    dated = isinstance(birth, datetime.date)
    consented = values.setdefault(
        "Дата согласия", min(max(CONSENT_DAY, birth), datetime.date.today()) if dated else CONSENT_DAY
    )
    values.setdefault("Версия согласия", CURRENT_CONSENT_TEXT_VERSION)
    minor = values.get("Категория") == "обучающийся" or (
        isinstance(birth, datetime.date)
        and isinstance(consented, datetime.date)
        and age_on(birth, consented) < ADULT_AGE
    )
    if minor:
        values.setdefault("Законный представитель", "Законный Представитель Участника")
    return values


def mentor(code: str, name: str, birth: datetime.date, category: str = "педагог", **more) -> list:
    values = {"Код ОО": code, "ФИО": name, "Дата рождения": birth, "Категория": category, **more}
    if category == "педагог":
        values.setdefault("Педагогический стаж", 15)
    return row(MENTORS, **with_consent(values))


def mentee(code: str, name: str, birth: datetime.date, category: str = "педагог", **more) -> list:
    values = {"Код ОО": code, "ФИО": name, "Дата рождения": birth, "Категория": category, **more}
    if category == "педагог":
        values.setdefault("Педагогический стаж", 1)
    return row(MENTEES, **with_consent(values))


def pair(code: str, form: str, start: datetime.date, **more) -> list:
    """A row of «Наставнические пары»; ``mentor``/``mentee`` are (ФИО, date of birth) tuples."""
    values = {"Код ОО": code, "Форма наставничества": form, "Дата начала": start}
    if "mentor" in more:
        values["Наставник ФИО"], values["Наставник дата рождения"] = more.pop("mentor")
    if "mentee" in more:
        values["Наставляемый ФИО"], values["Наставляемый дата рождения"] = more.pop("mentee")
    values.update(more)
    return row(PAIRS, **values)
