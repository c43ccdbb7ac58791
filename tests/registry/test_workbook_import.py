"""Importing the registry's workbook (docs/domain.md §4, docs/workbook.md §2; docs/reliability.md §2
«Import», §4 B 18–37, A9/A10, E54).

Every case builds a real .xlsx with openpyxl in ``tmp_path`` and imports it through
``import_workbook``. A refused file is checked by its exact Russian message (sheet, Excel's
own row number, column) and by the row count of every table of the registry and monitoring
apps, history tables included: nothing is written. File-level refusals (zip bombs, .xls,
macros, size limits) are tests/registry/test_workbook_safety.py's.
"""

import datetime
import io
import zipfile

import openpyxl
import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from registry import selectors, services
from registry.models import (
    BaseMembership,
    Category,
    Headcount,
    Mentorship,
    MentorshipLink,
    Municipality,
    Organization,
    OrganizationStatus,
    Person,
    Region,
)
from registry.workbook import schema
from registry.workbook.engine import import_workbook
from registry.workbook.export import export_workbook
from registry.workbook.sheets.mentorships import TERMINATED_REASON
from tests import factories as f
from tests.registry.workbook_files import (
    HEADCOUNT,
    MENTEES,
    MENTORS,
    MUNICIPALITIES,
    ORGANIZATIONS,
    PAIRS,
    mentee,
    mentor,
    pair,
    row,
    write_workbook,
)

D = datetime.date
# The portal's date (Europe/Moscow), whatever the process's time zone was when this module was imported:
# between 21:00 and 24:00 UTC it is already tomorrow there.
TODAY = timezone.localdate()
START = D(2022, 9, 1)

MARIA = ("Иванова Мария Петровна", D(1975, 4, 12))  # a teacher, mentor
PAVEL = ("Сидоров Павел Ильич", D(1970, 5, 5))  # a teacher, mentor
PETYA = ("Кузнецов Пётр Ильич", D(2008, 2, 2))  # a student, mentor in «ученик – ученик»
OLEG = ("Смирнов Олег Игоревич", D(1999, 9, 1))  # a young teacher, mentee
ANTON = ("Аверин Антон Андреевич", D(2011, 3, 5))  # students, mentees
VERA = ("Белова Вера Викторовна", D(2011, 7, 9))

REGISTRY_TABLES = {
    "registry.Region",
    "registry.Municipality",
    "registry.Organization",
    "registry.HistoricalOrganization",
    "registry.OrganizationStatus",
    "registry.Headcount",
    "registry.HistoricalHeadcount",
    "registry.Person",
    "registry.HistoricalPerson",
    "registry.BaseMembership",
    "registry.HistoricalBaseMembership",
    "registry.Mentorship",
    "registry.HistoricalMentorship",
    "registry.MentorshipLink",
    "registry.HistoricalMentorshipLink",
    "monitoring.RoadMap",
    "monitoring.HistoricalRoadMap",
    "monitoring.RoadMapEvent",
    "monitoring.HistoricalRoadMapEvent",
}


def table_counts() -> dict[str, int]:
    """Rows in every table of the registry and monitoring apps, history tables included."""
    models = [*apps.get_app_config("registry").get_models(), *apps.get_app_config("monitoring").get_models()]
    counts = {model._meta.label: model._default_manager.count() for model in models}
    assert REGISTRY_TABLES <= counts.keys()
    return counts


def refused(path, **kwargs) -> list[str]:
    """Import ``path``; it must be refused with nothing written. Returns the error messages."""
    before = table_counts()
    report = import_workbook(path, **kwargs)
    assert report.errors, "the workbook was expected to be refused"
    assert not report.committed
    assert table_counts() == before
    return report.errors


def imported(path, **kwargs):
    report = import_workbook(path, **kwargs)
    assert report.errors == []
    assert report.committed
    return report


def counts(report) -> dict[str, tuple[int, int, int]]:
    """Per sheet: (created, updated, unchanged)."""
    return {s.sheet: (s.created, s.updated, s.unchanged) for s in report.sheets}


def all_columns(spec) -> str:
    return ", ".join(f"«{c.header}»" for c in spec.columns)


@pytest.fixture
def book(tmp_path):
    """``book(sheets, name=…, **options)`` → the path of a workbook written in ``tmp_path``."""
    numbers = iter(range(1, 1000))

    def build(sheets: dict, *, name: str | None = None, **options):
        return write_workbook(tmp_path / (name or f"book{next(numbers)}.xlsx"), sheets, **options)

    return build


@pytest.fixture
def area(region):
    """One municipality «M01» in the installation's one region, and a school «D0116» in it."""
    municipality = f.make_municipality(region=region, code="M01", name="Октябрьский район")
    school = f.make_organization(
        municipality=municipality, code="D0116", full_name="МБОУ «СОШ № 16»", short_name="СОШ № 16"
    )
    return {"region": region, "municipality": municipality, "school": school}


def full_sheets(code: str = "D0116", partner: str = "D0117") -> dict:
    """A whole workbook: the territory, two schools, headcount, people and pairs of every shape."""
    return {
        "Муниципалитеты": [MUNICIPALITIES, ["M01", "Октябрьский район", None]],
        "Организации": [
            ORGANIZATIONS,
            [code, "МБОУ «СОШ № 16»", "СОШ № 16", "M01", "общеобразовательная", "нет", None],
            [partner, "МБОУ «СОШ № 17»", "СОШ № 17", "Октябрьский район", "общеобразовательная", "да", None],
        ],
        "Контингент": [HEADCOUNT, [code, "2022/2023", 40, 4, 400, 250]],
        "Наставники": [
            MENTORS,
            mentor(code, *MARIA, Обучен="да", Должность="учитель математики"),
            mentor(code, *PETYA, "обучающийся", Класс="10А"),
        ],
        "Наставляемые": [
            MENTEES,
            mentee(code, *OLEG, Телефон="+7 900 000-00-01"),
            mentee(code, *ANTON, "обучающийся", Класс="8Б"),
            mentee(code, *VERA, "обучающийся", Класс="8Б"),
        ],
        "Наставнические пары": [
            PAIRS,
            pair(code, "учитель – учитель", START, mentor=MARIA, mentee=OLEG),
            pair(code, "ученик – ученик", START, mentor=PETYA, mentee=ANTON),
            pair(code, "учитель – ученик", START, mentor=MARIA, mentee=ANTON, Группа="Группа 8Б"),
            pair(code, "учитель – ученик", START, mentor=MARIA, mentee=VERA, Группа="Группа 8Б"),
            pair(code, "ОО – ОО", START, **{"ОО-наставник код": code, "ОО-наставляемая код": partner}),
        ],
    }


FULL_COUNTS = {
    "Муниципалитеты": (0, 0, 1),
    "Организации": (1, 0, 1),
    "Контингент": (1, 0, 0),
    "Наставники": (2, 0, 0),
    "Наставляемые": (3, 0, 0),
    "Наставнические пары": (4, 0, 0),
}


# ---------------------------------------------------------------- headers (B 18)


def test_a_missing_required_header_is_named(area, book):
    headers = [h for h in MENTORS if h != "Категория"]
    path = book({"Наставники": [headers, row(headers, **{"Код ОО": "D0116", "ФИО": MARIA[0]})]})
    assert refused(path) == ["Лист «Наставники», строка 1, столбец «Категория»: нет обязательного столбца"]


def test_a_misspelt_header_is_named_with_a_suggestion(area, book):
    headers = ["Код ОО", "ФИО", "Дата рожденя", "Категория", "Дата согласия", "Версия согласия"]
    path = book({"Наставники": [headers, ["D0116", MARIA[0], MARIA[1], "педагог", D(2024, 9, 2), "2026-1"]]})
    assert refused(path) == [
        "Лист «Наставники», строка 1, столбец «Дата рожденя»: неизвестный столбец (ячейка C1); "
        f"возможно, имелся в виду «Дата рождения»; столбцы листа: {all_columns(schema.MENTORS)}",
        "Лист «Наставники», строка 1, столбец «Дата рождения»: нет обязательного столбца",
    ]


def test_an_unknown_column_is_refused(area, book):
    headers = [*MENTORS, "СНИЛС"]
    path = book({"Наставники": [headers, [*mentor("D0116", *MARIA), "123-456-789 01"]]})
    assert refused(path) == [
        "Лист «Наставники», строка 1, столбец «СНИЛС»: неизвестный столбец (ячейка O1); "
        f"столбцы листа: {all_columns(schema.MENTORS)}"
    ]


def test_a_header_on_row_3_is_refused(area, book):
    path = book({"Наставники": [None, None, MENTORS, mentor("D0116", *MARIA)]})
    assert refused(path) == [
        "Лист «Наставники», строка 3: заголовки столбцов должны быть в первой строке листа"
    ]


def test_a_title_above_the_header_is_refused(area, book):
    path = book({"Наставники": [["Список наставников"], None, MENTORS, mentor("D0116", *MARIA)]})
    assert refused(path) == [
        "Лист «Наставники», строка 1, столбец «Список наставников»: неизвестный столбец (ячейка A1); "
        f"столбцы листа: {all_columns(schema.MENTORS)}",
        *(
            f"Лист «Наставники», строка 1, столбец «{header}»: нет обязательного столбца"
            for header in ("Код ОО", "ФИО", "Дата рождения", "Категория", "Дата согласия", "Версия согласия")
        ),
    ]


def test_reordered_headers_in_any_case_and_spacing_are_accepted(area, book):
    headers = [
        "Категория",
        "  код оо ",
        "ДАТА  РОЖДЕНИЯ",
        "фио",
        "Педагогический стаж*",
        "версия  СОГЛАСИЯ",
        "Дата согласия*",
    ]
    path = book(
        {"Наставники": [headers, ["педагог", "D0116", MARIA[1], MARIA[0], 20, "2026-1", D(2024, 9, 2)]]}
    )
    report = imported(path)
    assert counts(report) == {"Наставники": (1, 0, 0)}
    person = Person.objects.get()
    assert (person.organization.code, person.full_name, person.birth_date) == ("D0116", *MARIA)
    assert (person.category, person.teaching_experience) == (Category.TEACHER, 20)


# ---------------------------------------------------------------- dates (B 23, B 24)


def test_an_impossible_date_is_refused(area, book):
    path = book({"Наставники": [MENTORS, mentor("D0116", MARIA[0], "31.02.1975")]})
    assert refused(path) == [
        "Лист «Наставники», строка 2, столбец «Дата рождения»: «31.02.1975» — такой даты нет в календаре"
    ]


def test_text_dates_and_real_excel_dates_are_both_accepted(area, book):
    path = book(
        {
            "Наставники": [
                MENTORS,
                mentor("D0116", MARIA[0], "12.04.1975"),
                mentor("D0116", PAVEL[0], PAVEL[1]),
                mentor("D0116", "Орлова Анна Юрьевна", " 1.2.1980 "),
            ]
        }
    )
    imported(path)
    births = dict(Person.objects.values_list("full_name", "birth_date"))
    assert births == {MARIA[0]: MARIA[1], PAVEL[0]: PAVEL[1], "Орлова Анна Юрьевна": D(1980, 2, 1)}


@pytest.mark.parametrize(
    "text", ["2020-11", "Ноябрь 2020 года", "11.2020", "01.13.2020", "2020-11-05", "05/11/2020"]
)
def test_a_date_that_is_not_dd_mm_yyyy_is_refused_never_guessed(area, book, text):
    path = book({"Наставнические пары": [PAIRS, pair("D0116", "учитель – учитель", text)]})
    errors = refused(path)
    start = f"Лист «Наставнические пары», строка 2, столбец «Дата начала»: «{text}» — "
    expected = "такой даты нет в календаре" if text == "01.13.2020" else "не дата; ожидается ДД.ММ.ГГГГ"
    assert errors[0] == start + expected


def test_a_number_in_a_date_column_is_refused(area, book):
    path = book({"Наставники": [MENTORS, mentor("D0116", MARIA[0], 27496)]})
    assert refused(path) == [
        "Лист «Наставники», строка 2, столбец «Дата рождения»: 27496 — число, а не дата; "
        "введите дату как ДД.ММ.ГГГГ"
    ]


def test_a_1904_date_system_workbook_gives_the_right_dates(area, book):
    sheets = {
        "Наставники": [MENTORS, mentor("D0116", *MARIA)],
        "Наставляемые": [MENTEES, mentee("D0116", *OLEG)],
        "Наставнические пары": [
            PAIRS,
            pair(
                "D0116",
                "учитель – учитель",
                START,
                mentor=MARIA,
                mentee=OLEG,
                **{"Дата окончания": D(2023, 5, 31)},
            ),
        ],
    }
    path = book(sheets, epoch=CALENDAR_MAC_1904)
    assert 'date1904="1"' in _workbook_xml(path)  # really a 1904-system file
    imported(path)
    assert dict(Person.objects.values_list("full_name", "birth_date")) == {
        MARIA[0]: MARIA[1],
        OLEG[0]: OLEG[1],
    }
    mentorship = Mentorship.objects.get()
    assert (mentorship.start_date, mentorship.end_date, mentorship.status) == (
        START,
        D(2023, 5, 31),
        "completed",
    )


def _workbook_xml(path) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read("xl/workbook.xml").decode()


def test_a_birth_date_in_the_future_is_refused(area, book):
    future = TODAY + datetime.timedelta(days=1)
    path = book({"Наставляемые": [MENTEES, mentee("D0116", OLEG[0], future)]})
    assert refused(path) == [
        "Лист «Наставляемые», строка 2, столбец «Дата рождения»: дата рождения в будущем"
    ]


def test_a_student_younger_than_10_is_refused(area, book):
    nine = D(TODAY.year - 10, TODAY.month, 1) + datetime.timedelta(days=40)  # turns 10 in about a month
    path = book(
        {
            "Наставляемые": [
                MENTEES,
                mentee("D0116", *ANTON, "обучающийся"),
                mentee("D0116", "Малышев Миша Михайлович", nine, "обучающийся"),
            ]
        }
    )
    assert refused(path) == [
        "Лист «Наставляемые», строка 3, столбец «Дата рождения»: обучающемуся меньше 10 лет: "
        "целевая модель охватывает обучающихся с 10 лет"
    ]


def test_a_pupil_older_than_19_on_the_consent_date_is_refused(area, book):
    """docs/reliability.md #24, docs/domain.md F1 (pupils of 10–19): measured on the consent date, so
    that a pupil entered in 2021 at 17 is not refused later for having grown up."""
    grown = D(TODAY.year - 21, 1, 15)
    now = {"Дата согласия": TODAY}
    then = {"Дата согласия": D(TODAY.year - 4, 1, 10)}
    path = book(
        {
            "Наставляемые": [
                MENTEES,
                mentee("D0116", "Взрослый Ученик Петрович", grown, "обучающийся", **now),
                mentee("D0116", "Давний Ученик Петрович", grown, "обучающийся", **then),
            ]
        }
    )
    assert refused(path) == [
        "Лист «Наставляемые», строка 2, столбец «Дата рождения»: обучающемуся на дату согласия больше "
        "19 лет; проверьте дату рождения или категорию («студент», «выпускник»)"
    ]


# ---------------------------------------------------------------- people: natural keys (B 25, A10)


def test_a_duplicate_person_within_a_sheet_names_both_excel_rows(area, book):
    rows = [MENTEES] + [None] * 86
    rows[13] = mentee("D0116", *OLEG)  # Excel row 14
    rows[40] = mentee("D0116", *ANTON, "обучающийся")  # Excel row 41
    rows[86] = mentee("D0116", "смирнов  олег игоревич", OLEG[1])  # row 87: the same, other spelling
    path = book({"Наставляемые": rows})
    assert refused(path) == [
        "Лист «Наставляемые», строка 87, столбец «ФИО»: строки 14 и 87 — один и тот же участник "
        "(совпадают ФИО и дата рождения)"
    ]


def test_the_same_natural_key_in_another_school_is_another_person(area, book):
    other = f.make_organization(municipality=area["municipality"], code="D0200")
    stranger = f.make_person(organization=other, full_name=MARIA[0], birth_date=MARIA[1], position="завуч")
    path = book(
        {
            "Наставники": [MENTORS, mentor("D0116", *MARIA, Должность="учитель")],
            "Наставляемые": [MENTEES, mentee("D0116", *OLEG)],
            "Наставнические пары": [
                PAIRS,
                pair("D0116", "учитель – учитель", START, mentor=MARIA, mentee=OLEG),
            ],
        }
    )
    report = imported(path)
    assert counts(report)["Наставники"] == (1, 0, 0)
    ours = Person.objects.get(organization=area["school"], full_name=MARIA[0])
    assert ours.pk != stranger.pk
    stranger.refresh_from_db()
    assert (stranger.organization_id, stranger.position, stranger.version) == (other.pk, "завуч", 1)
    assert Mentorship.objects.get().mentor_person_id == ours.pk
    assert not BaseMembership.objects.filter(person=stranger).exists()


# ---------------------------------------------------------------- references (B: not in file or DB)


def test_an_organization_referenced_but_absent_is_refused(area, book):
    path = book(
        {
            "Наставники": [MENTORS, mentor("D0999", *MARIA)],
            "Организации": [ORGANIZATIONS, ["D0300", "МБОУ «СОШ № 30»", None, "M77", "общеобразовательная"]],
        }
    )
    assert refused(path) == [
        "Лист «Организации», строка 2, столбец «Муниципалитет»: муниципалитет «M77» не найден "
        "ни в листе «Муниципалитеты», ни в реестре",
        "Лист «Наставники», строка 2, столбец «Код ОО»: организация с кодом «D0999» не найдена "
        "ни в листе «Организации», ни в реестре",
    ]


def test_a_person_referenced_but_absent_is_refused(area, book):
    f.make_person(organization=area["school"], full_name=OLEG[0], birth_date=OLEG[1], teaching_experience=1)
    path = book(
        {
            "Наставнические пары": [
                PAIRS,
                pair("D0116", "учитель – учитель", START, mentor=MARIA, mentee=OLEG),
                pair("D0116", "учитель – учитель", START, mentor=OLEG, mentee=("Нет Такого", D(1990, 1, 1))),
            ]
        }
    )
    assert refused(path) == [
        "Лист «Наставнические пары», строка 2, столбец «Наставник ФИО»: «Иванова Мария Петровна», "
        "12.04.1975, не найден(а) ни в листе «Наставники», ни в реестре организации D0116",
        "Лист «Наставнические пары», строка 3, столбец «Наставляемый ФИО»: «Нет Такого», 01.01.1990, "
        "не найден(а) ни в листе «Наставляемые», ни в реестре организации D0116",
    ]


def test_a_teacher_as_mentor_in_student_student_is_refused(area, book):
    path = book(
        {
            "Наставники": [MENTORS, mentor("D0116", *MARIA)],
            "Наставляемые": [MENTEES, mentee("D0116", *ANTON, "обучающийся")],
            "Наставнические пары": [
                PAIRS,
                pair("D0116", "ученик – ученик", START, mentor=MARIA, mentee=ANTON),
            ],
        }
    )
    assert refused(path) == [
        "Лист «Наставнические пары», строка 2, столбец «Наставник ФИО»: в форме «ученик – ученик» "
        "наставником не может быть педагог"
    ]


@pytest.mark.parametrize(
    "spelling", ["Ученик-ученик", "ученик —  ученик", " УЧЕНИК–УЧЕНИК ", "ученик - ученик"]
)
def test_forms_are_matched_whatever_dash_or_spacing(area, book, spelling):
    path = book(
        {
            "Наставники": [MENTORS, mentor("D0116", *PETYA, "обучающийся")],
            "Наставляемые": [MENTEES, mentee("D0116", *ANTON, "обучающийся")],
            "Наставнические пары": [PAIRS, pair("D0116", spelling, START, mentor=PETYA, mentee=ANTON)],
        }
    )
    imported(path)
    assert Mentorship.objects.get().mentoring_form.code == "student_student"


def test_an_unknown_form_is_refused_with_the_list(area, book):
    path = book({"Наставнические пары": [PAIRS, pair("D0116", "ученик – учитель", START)]})
    errors = refused(path)
    assert errors[0].startswith(
        "Лист «Наставнические пары», строка 2, столбец «Форма наставничества»: неизвестная форма "
        "«ученик – учитель»; допустимо: «ученик – ученик»; «учитель – учитель»"
    )


# ---------------------------------------------------------------- cells (B 19, 20, 34, 35, 37)


def test_formula_cells_are_refused_with_their_cell(area, book):
    sheets = {
        "Наставники": [
            MENTORS,
            mentor("D0116", "=A1&B1", MARIA[1]),
            mentor("D0116", *PAVEL, Должность='=HYPERLINK("http://example.ru","учитель")'),
            mentor("D0116", "Орлова Анна Юрьевна", D(1980, 2, 1), Телефон="=cmd|' /C calc'!A0"),
        ]
    }
    assert refused(book(sheets)) == [
        "Лист «Наставники», строка 2, столбец «ФИО»: в ячейке B2 формула; вставьте вместо неё значение "
        "(Специальная вставка → Значения)",
        "Лист «Наставники», строка 3, столбец «Должность»: в ячейке E3 формула; вставьте вместо неё "
        "значение (Специальная вставка → Значения)",
        "Лист «Наставники», строка 4, столбец «Телефон»: в ячейке K4 формула; вставьте вместо неё "
        "значение (Специальная вставка → Значения)",
    ]


def test_merged_cells_in_the_data_area_are_refused(area, book):
    sheets = {
        "Наставники": [
            MENTORS,
            mentor("D0116", *MARIA),
            mentor("D0116", *PAVEL),
            mentor("D0116", "Орлова Анна Юрьевна", D(1980, 2, 1)),
        ]
    }

    def merge(workbook):
        workbook["Наставники"].merge_cells("A2:A4")

    assert refused(book(sheets, tweak=merge)) == [
        "Лист «Наставники», строка 2, столбец «Код ОО»: объединённые ячейки A2:A4 не допускаются: "
        "разъедините их и заполните каждую строку",
        # The cells under a merge are empty for every reader: each row says so too.
        "Лист «Наставники», строка 3, столбец «Код ОО»: обязательное поле не заполнено",
        "Лист «Наставники», строка 4, столбец «Код ОО»: обязательное поле не заполнено",
    ]


def test_a_cyrillic_look_alike_in_a_code_is_refused(area, book):
    path = book({"Наставники": [MENTORS, mentor("D01\u04291", *MARIA), mentor("\u0421O116", *PAVEL)]})
    assert refused(path) == [
        "Лист «Наставники», строка 2, столбец «Код ОО»: в коде «D01Щ1» кириллическая буква «Щ» "
        "в позиции 4; коды пишутся латиницей и цифрами",
        "Лист «Наставники», строка 3, столбец «Код ОО»: в коде «СO116» кириллическая буква «С» "
        "в позиции 1; коды пишутся латиницей и цифрами",
    ]


def test_a_latin_letter_inside_a_cyrillic_name_is_refused(area, book):
    path = book(
        {
            "Наставники": [
                MENTORS,
                mentor("D0116", "Ивaнова Мария Петровна", MARIA[1]),  # Latin «a» in position 3
                mentor("D0116", "Сидоров Пaвел Ильич", PAVEL[1]),  # Latin «a» in the second word
                mentor("D0116", "Cмирнова Анна Юрьевна", D(1980, 2, 1)),  # Latin «C» first
            ]
        }
    )
    assert refused(path) == [
        "Лист «Наставники», строка 2, столбец «ФИО»: в слове «Ивaнова» смешаны кириллица и латиница "
        "(латиница в позиции 3); перепечатайте его одной раскладкой",
        "Лист «Наставники», строка 3, столбец «ФИО»: в слове «Пaвел» смешаны кириллица и латиница "
        "(латиница в позиции 10); перепечатайте его одной раскладкой",
        "Лист «Наставники», строка 4, столбец «ФИО»: в слове «Cмирнова» смешаны кириллица и латиница "
        "(латиница в позиции 1); перепечатайте его одной раскладкой",
    ]


def test_a_zero_width_space_is_refused(area, book):
    path = book({"Наставники": [MENTORS, mentor("D0116", "Иванова\u200b Мария Петровна", MARIA[1])]})
    assert refused(path) == [
        "Лист «Наставники», строка 2, столбец «ФИО»: невидимый символ U+200B в позиции 8; удалите его"
    ]


def test_nbsp_and_double_spaces_are_normalised(area, book):
    path = book({"Наставники": [MENTORS, mentor("D0116", " Иванова\u00a0Мария  Петровна ", MARIA[1])]})
    imported(path)
    assert Person.objects.get().full_name == MARIA[0]


def test_a_code_stored_as_a_number_is_refused(area, book):
    path = book({"Наставники": [MENTORS, mentor(116, *MARIA)]})
    assert refused(path) == [
        "Лист «Наставники», строка 2, столбец «Код ОО»: код записан числом; задайте ячейкам формат "
        "«Текстовый», иначе Excel теряет ведущие нули"
    ]


def test_a_phone_stored_as_a_number_is_refused_and_a_typed_one_kept(area, book):
    """docs/reliability.md #35: 7.9E+10 has lost its «+»; a phone must be text, and look like one."""
    path = book(
        {
            "Наставники": [
                MENTORS,
                mentor("D0116", *MARIA, Телефон=79001234567),
                mentor("D0116", *PAVEL, Телефон="звонить вечером"),
            ]
        }
    )
    assert refused(path) == [
        "Лист «Наставники», строка 2, столбец «Телефон»: телефон записан числом; задайте ячейке формат "
        "«Текстовый» и введите номер как +7 900 000-00-00",
        "Лист «Наставники», строка 3, столбец «Телефон»: «звонить вечером» не похоже на телефон: цифры, "
        "пробелы, скобки, дефисы и «+» в начале",
    ]
    path = book({"Наставники": [MENTORS, mentor("D0116", *MARIA, Телефон="+7 (900) 123-45-67")]})
    import_workbook(path)
    assert Person.objects.get().phone == "+7 (900) 123-45-67"


def test_a_32767_character_cell_is_refused(area, book):
    path = book({"Наставники": [MENTORS, mentor("D0116", *MARIA, Должность="ж" * 32767)]})
    assert refused(path) == ["Лист «Наставники», строка 2, столбец «Должность»: текст длиннее 2000 символов"]


def test_a_text_over_the_column_limit_is_refused(area, book):
    path = book({"Наставники": [MENTORS, mentor("D0116", *MARIA, Класс="10 А (профиль)")]})
    assert refused(path) == ["Лист «Наставники», строка 2, столбец «Класс»: не более 10 символов, а здесь 14"]


# ---------------------------------------------------------------- rows (B 21, B 22)


def test_rows_hidden_in_excel_are_imported(area, book):
    sheets = {"Наставники": [MENTORS, mentor("D0116", *MARIA), mentor("D0116", *PAVEL)]}

    def hide(workbook):
        workbook["Наставники"].row_dimensions[3].hidden = True

    report = imported(book(sheets, tweak=hide))
    assert counts(report) == {"Наставники": (2, 0, 0)}
    assert set(Person.objects.values_list("full_name", flat=True)) == {MARIA[0], PAVEL[0]}


def test_blank_rows_are_skipped_and_error_rows_still_match_excel(area, book):
    sheets = {
        "Наставники": [
            MENTORS,
            mentor("D0116", *MARIA),
            None,
            None,
            ["   ", None, None],  # spaces only: blank too
            mentor("D0116", *PAVEL),
            None,
            mentor("D0116", "Орлова Анна Юрьевна", "30.02.1980"),
        ]
    }
    path = book(sheets)
    assert refused(path) == [
        "Лист «Наставники», строка 8, столбец «Дата рождения»: «30.02.1980» — такой даты нет в календаре"
    ]
    sheets["Наставники"][-1] = mentor("D0116", "Орлова Анна Юрьевна", "29.02.1980")
    report = imported(book(sheets))
    assert counts(report) == {"Наставники": (3, 0, 0)}


# ---------------------------------------------------------------- upserts and history (B 26, B 27)


def test_the_whole_workbook_is_imported(region, book, admin_user):
    Municipality.objects.create(region=region, code="M01", name="Октябрьский район")
    f.make_organization(
        municipality=Municipality.objects.get(),
        code="D0116",
        full_name="МБОУ «СОШ № 16»",
        short_name="СОШ № 16",
    )
    report = imported(book(full_sheets()), user=admin_user)
    assert counts(report) == FULL_COUNTS
    assert report.rows == 14
    partner = Organization.objects.get(code="D0117")
    assert OrganizationStatus.objects.get().organization == partner  # ШНОР «да»
    assert Person.objects.count() == 5
    assert BaseMembership.objects.filter(base="mentors").count() == 2
    assert BaseMembership.objects.get(person__full_name=MARIA[0]).trained_as_mentor
    assert Mentorship.objects.count() == 4 and MentorshipLink.objects.count() == 5
    # Every created record has its one history row, marked as the import's.
    maria = Person.objects.get(full_name=MARIA[0])
    assert [(h.history_change_reason, h.history_user) for h in maria.history.all()] == [
        ("Импорт из Excel", admin_user)
    ]
    assert Mentorship.history.filter(history_user=admin_user).count() == 4


def test_reimporting_the_same_file_changes_nothing(area, book):
    path = book(full_sheets())
    imported(path)
    before = table_counts()
    versions = sorted(Person.objects.values_list("version", flat=True))
    report = imported(path)
    assert counts(report) == {
        "Муниципалитеты": (0, 0, 1),
        "Организации": (0, 0, 2),
        "Контингент": (0, 0, 1),
        "Наставники": (0, 0, 2),
        "Наставляемые": (0, 0, 3),
        "Наставнические пары": (0, 0, 4),
    }
    assert table_counts() == before
    assert sorted(Person.objects.values_list("version", flat=True)) == versions


def test_three_corrected_values_are_three_updates_and_three_history_rows(area, book):
    imported(book(full_sheets()))
    before = table_counts()
    sheets = full_sheets()
    sheets["Контингент"][1][2] = 42  # Педагогов всего
    sheets["Наставники"][1] = mentor("D0116", *MARIA, Обучен="да", Должность="заместитель директора")
    sheets["Наставляемые"][1] = mentee(
        "D0116", *OLEG, Телефон="+7 900 000-00-01", **{"Педагогический стаж": 2}
    )
    report = imported(book(sheets))
    assert counts(report) == {
        "Муниципалитеты": (0, 0, 1),
        "Организации": (0, 0, 2),
        "Контингент": (0, 1, 0),
        "Наставники": (0, 1, 1),
        "Наставляемые": (0, 1, 2),
        "Наставнические пары": (0, 0, 4),
    }
    after = table_counts()
    changed = {label: after[label] - before[label] for label in after if after[label] != before[label]}
    assert changed == {"registry.HistoricalHeadcount": 1, "registry.HistoricalPerson": 2}
    assert Headcount.objects.get().teachers == 42
    maria = Person.objects.get(full_name=MARIA[0])
    assert (maria.position, maria.version) == ("заместитель директора", 2)
    assert maria.history.first().position == "заместитель директора"
    oleg = Person.objects.get(full_name=OLEG[0])
    assert (oleg.teaching_experience, oleg.version) == (2, 2)
    # The links keep their copies of the mentee's experience in step.
    assert MentorshipLink.objects.get(mentee_person=oleg).mentee_teaching_experience == 2


def test_a_changed_pair_status_updates_its_record_and_history(area, book):
    imported(book(full_sheets()))
    before = table_counts()
    sheets = full_sheets()
    sheets["Наставнические пары"][1] = pair(
        "D0116",
        "учитель – учитель",
        START,
        mentor=MARIA,
        mentee=OLEG,
        **{"Дата окончания": D(2023, 5, 31), "Статус": "завершена"},
    )
    report = imported(book(sheets))
    assert counts(report)["Наставнические пары"] == (0, 1, 3)
    after = table_counts()
    changed = {label: after[label] - before[label] for label in after if after[label] != before[label]}
    assert changed == {"registry.HistoricalMentorship": 1, "registry.HistoricalMentorshipLink": 1}
    link = MentorshipLink.objects.get(mentee_person__full_name=OLEG[0])
    assert (link.status, link.end_date) == ("completed", D(2023, 5, 31))
    assert (link.mentorship.status, link.mentorship.end_date) == ("completed", D(2023, 5, 31))


# ---------------------------------------------------------------- a pair's status: the card's transitions


def _oleg(**more) -> list:
    """The row of Maria's pair with Oleg (row 2 of ``full_sheets``), with other cells."""
    return pair("D0116", "учитель – учитель", START, mentor=MARIA, mentee=OLEG, **more)


FORWARD_ONLY = (
    ": статус пары меняется только вперёд (черновик → действует → завершена или прекращена досрочно)"
)


@pytest.mark.parametrize(
    ("stored", "written", "cells"),
    [
        ("действует", "черновик", {}),  # backwards
        ("завершена", "действует", {}),  # a closed pair reopened (an empty status means «действует»)
        ("завершена", "прекращена досрочно", {"Дата окончания": D(2023, 5, 31)}),  # sideways
        ("черновик", "завершена", {"Дата окончания": D(2023, 5, 31)}),  # skipping «действует»
    ],
)
def test_a_stored_pair_moved_against_the_transitions_is_refused_at_its_status_cell(
    area, book, stored, written, cells
):
    sheets = full_sheets()
    closed = {"Дата окончания": D(2023, 5, 31)} if stored == "завершена" else {}
    sheets["Наставнические пары"][1] = _oleg(Статус=stored, **closed)
    imported(book(sheets))
    sheets["Наставнические пары"][1] = _oleg(
        **({"Статус": written} if written != "действует" else {}), **cells
    )
    assert refused(book(sheets)) == [
        f"Лист «Наставнические пары», строка 2, столбец «Статус»: пару в статусе «{stored}» нельзя "
        f"перевести в статус «{written}»" + FORWARD_ONLY
    ]
    # The form refuses the same move with the same sentence: one table, services.ALLOWED_TRANSITIONS.
    ms = Mentorship.objects.get(links__mentee_person__full_name=OLEG[0])
    with pytest.raises(ValidationError) as excinfo:
        services.mentorship_check_transition(
            mentorship=ms, status={s.label: s for s in Mentorship.Status}[written]
        )
    assert excinfo.value.messages == [f"Пару в статусе «{stored}» нельзя перевести в статус «{written}»."]


def test_forward_moves_are_applied_one_file_after_another_with_their_history(area, book):
    sheets = full_sheets()
    sheets["Наставнические пары"][1] = _oleg(Статус="черновик")
    imported(book(sheets))
    sheets["Наставнические пары"][1] = _oleg(Статус="действует")
    assert counts(imported(book(sheets)))["Наставнические пары"] == (0, 1, 3)
    sheets["Наставнические пары"][1] = _oleg(
        Статус="прекращена досрочно", **{"Дата окончания": D(2023, 2, 1)}
    )
    assert counts(imported(book(sheets)))["Наставнические пары"] == (0, 1, 3)
    ms = Mentorship.objects.get(links__mentee_person__full_name=OLEG[0])
    assert (ms.status, ms.end_date, ms.termination_reason) == ("terminated", D(2023, 2, 1), TERMINATED_REASON)
    assert [h.status for h in ms.history.order_by("history_date")] == ["draft", "active", "terminated"]
    assert {h.history_change_reason for h in ms.history.all()[:2]} == {"Импорт из Excel"}
    link = ms.links.get()
    assert [h.status for h in link.history.order_by("history_date")] == ["draft", "active", "terminated"]


def test_a_new_pair_arrives_in_any_status_with_what_that_status_needs(area, book):
    """History loaded from a file: a new pair may be closed already. Completed needs its end date
    (as ``mentorship_complete``), not a result: it is then listed as «завершена без результата»;
    terminated gets the file's reason, which the services require."""
    sheets = full_sheets()
    sheets["Наставнические пары"][1] = _oleg(Статус="завершена")
    sheets["Наставнические пары"][2] = pair(
        "D0116", "ученик – ученик", START, mentor=PETYA, mentee=ANTON, Статус="прекращена досрочно"
    )
    assert refused(book(sheets)) == [
        "Лист «Наставнические пары», строка 2, столбец «Дата окончания»: у завершённой или прекращённой "
        "пары укажите дату окончания",
        "Лист «Наставнические пары», строка 3, столбец «Дата окончания»: у завершённой или прекращённой "
        "пары укажите дату окончания",
    ]
    sheets["Наставнические пары"][1] = _oleg(Статус="завершена", **{"Дата окончания": D(2022, 8, 1)})
    sheets["Наставнические пары"][2] = pair(
        "D0116",
        "ученик – ученик",
        START,
        mentor=PETYA,
        mentee=ANTON,
        Статус="прекращена досрочно",
        **{"Дата окончания": D(2023, 1, 20)},
    )
    assert refused(book(sheets)) == [
        "Лист «Наставнические пары», строка 2, столбец «Дата окончания»: дата окончания не может быть "
        "раньше даты начала"
    ]
    sheets["Наставнические пары"][1] = _oleg(Статус="завершена", **{"Дата окончания": D(2023, 5, 31)})
    imported(book(sheets))
    completed = Mentorship.objects.get(links__mentee_person__full_name=OLEG[0])
    assert (completed.status, completed.end_date, completed.result) == ("completed", D(2023, 5, 31), "")
    assert list(Mentorship.objects.completed_without_result()) == [completed]
    terminated = Mentorship.objects.get(mentor_person__full_name=PETYA[0])
    assert (terminated.status, terminated.termination_reason) == ("terminated", TERMINATED_REASON)


def test_a_closed_pair_keeps_its_status_while_the_file_corrects_its_end_date(area, book):
    """No transition, as on the card's edit form: a closed pair's end date may be corrected."""
    sheets = full_sheets()
    sheets["Наставнические пары"][1] = _oleg(Статус="завершена", **{"Дата окончания": D(2023, 5, 31)})
    imported(book(sheets))
    sheets["Наставнические пары"][1] = _oleg(Статус="завершена", **{"Дата окончания": D(2023, 6, 15)})
    assert counts(imported(book(sheets)))["Наставнические пары"] == (0, 1, 3)
    assert Mentorship.objects.get(links__mentee_person__full_name=OLEG[0]).end_date == D(2023, 6, 15)


def test_an_export_of_pairs_in_every_status_imports_back_changing_nothing(area, book, tmp_path):
    """Every status against its own stored pair: no transition is asked of a pair the file leaves as it is."""
    sheets = full_sheets()
    sheets["Наставнические пары"][1] = _oleg(Статус="черновик")
    sheets["Наставнические пары"][2] = pair(
        "D0116",
        "ученик – ученик",
        START,
        mentor=PETYA,
        mentee=ANTON,
        Статус="прекращена досрочно",
        **{"Дата окончания": D(2023, 1, 20)},
    )
    sheets["Наставнические пары"][5] = pair(
        "D0116",
        "ОО – ОО",
        START,
        Статус="завершена",
        **{"ОО-наставник код": "D0116", "ОО-наставляемая код": "D0117", "Дата окончания": D(2023, 5, 31)},
    )
    imported(book(sheets))
    assert set(Mentorship.objects.values_list("status", flat=True)) == {
        "draft",
        "active",
        "terminated",
        "completed",
    }
    path = tmp_path / "export.xlsx"
    path.write_bytes(export_workbook(Organization.objects.all()))
    before = table_counts()
    report = imported(path)
    assert counts(report)["Наставнические пары"] == (0, 0, 4)
    assert table_counts() == before


# ---------------------------------------------------------------- mentorships of every shape


def test_rows_of_one_group_are_one_mentorship_with_two_links(area, book):
    imported(book(full_sheets()))
    group = Mentorship.objects.get(group_name="Группа 8Б")
    assert group.mode == Mentorship.Mode.GROUP
    assert group.mentoring_form.code == "teacher_student"
    assert group.mentor_person.full_name == MARIA[0]
    assert sorted(group.links.values_list("mentee_person__full_name", flat=True)) == [ANTON[0], VERA[0]]


def test_org_org_pairs_go_by_organization_codes(area, book):
    imported(book(full_sheets()))
    mentorship = Mentorship.objects.get(mentoring_form__code="org_org")
    assert (mentorship.organization.code, mentorship.mentor_organization.code) == ("D0116", "D0116")
    assert mentorship.mentor_person is None
    link = mentorship.links.get()
    assert (link.mentee_organization.code, link.mentee_person) == ("D0117", None)
    assert (link.mentor_organization_id, link.mentor_category, link.mentee_category) == (
        area["school"].pk,
        "",
        "",
    )


def test_a_mentor_from_another_organization_by_its_code(area, book):
    f.make_organization(municipality=area["municipality"], code="D0200")
    path = book(
        {
            "Наставники": [MENTORS, mentor("D0200", *PAVEL)],
            "Наставляемые": [MENTEES, mentee("D0116", *OLEG)],
            "Наставнические пары": [
                PAIRS,
                pair(
                    "D0116",
                    "опытный педагог – молодой специалист",
                    START,
                    mentor=PAVEL,
                    mentee=OLEG,
                    **{"Наставник код ОО": "D0200"},
                ),
            ],
        }
    )
    imported(path)
    mentorship = Mentorship.objects.get()
    assert (mentorship.organization.code, mentorship.mentor_person.organization.code) == ("D0116", "D0200")
    # Without «Наставник код ОО» the mentor is looked for in the pair's own school.
    sheets = {
        "Наставнические пары": [PAIRS, pair("D0116", "педагог – педагог", START, mentor=PAVEL, mentee=OLEG)]
    }
    assert refused(book(sheets)) == [
        "Лист «Наставнические пары», строка 2, столбец «Наставник ФИО»: «Сидоров Павел Ильич», 05.05.1970, "
        "не найден(а) ни в листе «Наставники», ни в реестре организации D0116"
    ]


def test_a_second_active_pair_in_the_file_is_refused(area, book):
    sheets = full_sheets()
    sheets["Наставнические пары"].append(
        pair("D0116", "Учитель-учитель", D(2023, 9, 1), mentor=MARIA, mentee=OLEG)
    )
    assert refused(book(sheets)) == [
        "Лист «Наставнические пары», строка 7, столбец «Наставляемый ФИО»: строки 2 и 7 — две действующие "
        "пары одного наставника с одним наставляемым в одной форме"
    ]


def test_a_second_active_pair_against_the_database_is_refused(area, book):
    school = area["school"]
    maria = f.make_person(organization=school, full_name=MARIA[0], birth_date=MARIA[1])
    oleg = f.make_person(organization=school, full_name=OLEG[0], birth_date=OLEG[1], teaching_experience=1)
    f.make_mentorship(organization=school, mentor_person=maria, mentees=[oleg], start_date=START)
    sheets = {
        "Наставнические пары": [
            PAIRS,
            pair("D0116", "учитель – учитель", D(2023, 9, 1), mentor=MARIA, mentee=OLEG),
        ]
    }
    assert refused(book(sheets)) == [
        "Лист «Наставнические пары», строка 2, столбец «Наставляемый ФИО»: у этого наставника уже есть "
        "действующая пара с этим наставляемым в форме «учитель – учитель»; завершите её или исправьте строку"
    ]
    # The same pair with its stored start date is that pair: unchanged.
    sheets["Наставнические пары"][1] = pair("D0116", "учитель – учитель", START, mentor=MARIA, mentee=OLEG)
    assert counts(imported(book(sheets))) == {"Наставнические пары": (0, 0, 1)}


def test_a_completed_pair_then_a_new_active_one_are_both_taken(area, book):
    sheets = full_sheets()
    sheets["Наставнические пары"][1] = pair(
        "D0116",
        "учитель – учитель",
        START,
        mentor=MARIA,
        mentee=OLEG,
        **{"Дата окончания": D(2023, 5, 31), "Статус": "завершена"},
    )
    sheets["Наставнические пары"].append(
        pair("D0116", "учитель – учитель", D(2023, 9, 1), mentor=MARIA, mentee=OLEG)
    )
    report = imported(book(sheets))
    assert counts(report)["Наставнические пары"] == (5, 0, 0)


# ---------------------------------------------------------------- the whole import


def test_errors_of_several_sheets_are_all_listed_at_once(area, book):
    sheets = full_sheets()
    sheets["Организации"][2][4] = "гимназия"
    sheets["Наставники"][2] = mentor("D0116", PETYA[0], "2008-02-02", "обучающийся")
    sheets["Наставляемые"].append(
        mentee("D0116", "Новикова Нина Ниловна", TODAY + datetime.timedelta(days=3))
    )
    sheets["Наставнические пары"][5][1] = "школа – школа"
    errors = refused(book(sheets))
    assert errors[:4] == [
        "Лист «Организации», строка 3, столбец «Тип ОО»: «гимназия» — неизвестный тип ОО; допустимо: "
        + ", ".join(schema.ORG_TYPE_LABELS),
        "Лист «Наставники», строка 3, столбец «Дата рождения»: «2008-02-02» — не дата; ожидается ДД.ММ.ГГГГ",
        "Лист «Наставляемые», строка 5, столбец «Дата рождения»: дата рождения в будущем",
        "Лист «Наставнические пары», строка 3, столбец «Наставник ФИО»: «Кузнецов Пётр Ильич», 02.02.2008, "
        "не найден(а) ни в листе «Наставники», ни в реестре организации D0116",
    ]
    assert errors[4].startswith(
        "Лист «Наставнические пары», строка 6, столбец «Форма наставничества»: "
        "неизвестная форма «школа – школа»"
    )
    assert len(errors) == 5


def test_a_dry_run_writes_nothing_but_reports_the_counts(area, book):
    before = table_counts()
    report = import_workbook(book(full_sheets()), dry_run=True)
    assert report.errors == [] and not report.committed
    assert counts(report) == FULL_COUNTS
    assert table_counts() == before


def test_a_dry_run_of_a_refused_file_reports_its_errors(area, book):
    sheets = full_sheets()
    sheets["Наставники"][1] = mentor("D0116", MARIA[0], "31.02.1975")
    before = table_counts()
    report = import_workbook(book(sheets), dry_run=True)
    assert report.errors[0] == (
        "Лист «Наставники», строка 2, столбец «Дата рождения»: «31.02.1975» — такой даты нет в календаре"
    )
    assert table_counts() == before


def test_the_links_carry_right_copies_and_the_figures_count_the_pairs(area, book):
    sheets = full_sheets()
    sheets["Наставнические пары"].append(
        pair(
            "D0116",
            "педагог – педагог",
            START,
            mentor=MARIA,
            mentee=OLEG,
            **{"Дата окончания": D(2023, 6, 30), "Статус": "прекращена досрочно"},
        )
    )
    imported(book(sheets))
    oleg = Person.objects.get(full_name=OLEG[0])
    link = MentorshipLink.objects.get(mentee_person=oleg, mentoring_form__code="teacher_teacher")
    assert (link.mentor_category, link.mentee_category) == (Category.TEACHER, Category.TEACHER)
    assert (link.mentee_birth_date, link.mentee_teaching_experience) == (OLEG[1], 1)
    assert (link.status, link.start_date, link.end_date) == ("active", START, None)
    assert link.organization.code == "D0116"
    ended = MentorshipLink.objects.get(mentee_person=oleg, mentoring_form__code="peer_teachers")
    assert (ended.status, ended.end_date) == ("terminated", D(2023, 6, 30))
    assert ended.mentorship.termination_reason
    pupil = MentorshipLink.objects.get(mentoring_form__code="student_student")
    assert (pupil.mentor_category, pupil.mentee_category) == (Category.STUDENT, Category.STUDENT)
    assert (pupil.mentee_birth_date, pupil.mentee_teaching_experience) == (ANTON[1], None)

    figures = selectors.form_counts(scope=None, as_of=D(2023, 1, 15))
    assert (figures["teacher_teacher"].mentors, figures["teacher_teacher"].mentees) == (1, 1)
    assert figures["teacher_teacher"].young_specialist_mentees == 1
    assert (figures["teacher_student"].mentorships, figures["teacher_student"].mentees) == (1, 2)
    assert figures["teacher_student"].student_mentees_10_plus == 2
    assert (figures["student_student"].mentors, figures["student_student"].mentees) == (1, 1)
    assert (figures["org_org"].mentor_organizations, figures["org_org"].mentee_organizations) == (1, 1)
    assert figures["peer_teachers"].mentorships == 1  # ended after the date: still counted
    assert "peer_teachers" not in selectors.form_counts(scope=None, as_of=D(2023, 7, 1))


# ---------------------------------------------------------------- E54: overlapping files


def test_overlapping_files_imported_one_after_the_other_make_no_duplicates(area, book):
    first = {
        "Организации": [
            ORGANIZATIONS,
            ["D0116", "МБОУ «СОШ № 16»", None, "M01", "общеобразовательная"],
            ["D0117", "МБОУ «СОШ № 17»", None, "M01", "общеобразовательная"],
        ],
        "Наставники": [MENTORS, mentor("D0116", *MARIA), mentor("D0117", *PAVEL)],
        "Наставляемые": [MENTEES, mentee("D0116", *OLEG), mentee("D0117", *OLEG)],
        "Наставнические пары": [
            PAIRS,
            pair("D0116", "учитель – учитель", START, mentor=MARIA, mentee=OLEG),
            pair("D0117", "учитель – учитель", START, mentor=PAVEL, mentee=OLEG),
        ],
    }
    second = {
        "Организации": [
            ORGANIZATIONS,
            ["D0117", "МБОУ «СОШ № 17»", None, "M01", "общеобразовательная"],
            ["D0118", "МБОУ «СОШ № 18»", None, "M01", "общеобразовательная"],
        ],
        "Наставники": [MENTORS, mentor("D0117", *PAVEL), mentor("D0118", *MARIA)],
        "Наставляемые": [MENTEES, mentee("D0117", *OLEG), mentee("D0118", *VERA, "обучающийся")],
        "Наставнические пары": [
            PAIRS,
            pair("D0117", "учитель – учитель", START, mentor=PAVEL, mentee=OLEG),
            pair("D0118", "учитель – ученик", START, mentor=MARIA, mentee=VERA),
        ],
    }
    imported(book(first))
    report = imported(book(second))
    assert counts(report) == {
        "Организации": (1, 0, 1),
        "Наставники": (1, 0, 1),
        "Наставляемые": (1, 0, 1),
        "Наставнические пары": (1, 0, 1),
    }
    assert sorted(Organization.objects.values_list("code", flat=True)) == ["D0116", "D0117", "D0118"]
    assert Person.objects.count() == 6  # Мария and Олег twice (two schools), Павел, Вера
    assert BaseMembership.objects.count() == 6
    assert Mentorship.objects.count() == 3 and MentorshipLink.objects.count() == 3
    assert Region.objects.count() == 1 and Municipality.objects.count() == 1


def test_an_import_of_a_fresh_installation_brings_its_region(db, book):
    sheets = full_sheets()
    sheets["Муниципалитеты"][1][2] = "Демонстрационная область"
    report = imported(book(sheets))
    assert counts(report)["Муниципалитеты"] == (1, 0, 0)
    assert Region.objects.get().name == "Демонстрационная область"
    assert Organization.objects.count() == 2


def test_the_people_of_a_refused_pair_are_not_left_behind(area, book):
    """All or nothing: a late error on the last sheet leaves no person of the earlier sheets."""
    sheets = full_sheets()
    sheets["Наставнические пары"][2] = pair("D0116", "ученик – ученик", START, mentor=MARIA, mentee=ANTON)
    errors = refused(book(sheets))
    assert errors == [
        "Лист «Наставнические пары», строка 3, столбец «Наставник ФИО»: в форме «ученик – ученик» "
        "наставником не может быть педагог"
    ]
    assert not Person.objects.exists()


def test_the_helper_writes_the_rows_where_the_tests_say(book):
    """A guard against testing a different file: header on row 1, ``None`` rows left blank."""
    path = book({"Наставники": [MENTORS, None, mentor("D0116", *MARIA)]})
    sheet = openpyxl.load_workbook(path)["Наставники"]
    assert [c.value for c in sheet[1]] == MENTORS
    assert all(c.value is None for c in sheet[2])
    assert (sheet["B3"].value, sheet["C3"].value.date(), sheet["C3"].number_format) == (
        MARIA[0],
        MARIA[1],
        "DD.MM.YYYY",
    )


# ---------------------------------------------------------------- more shapes of pairs and rows


def test_a_second_active_pair_of_a_group_member_names_that_members_row(area, book):
    sheets = full_sheets()
    sheets["Наставнические пары"].append(
        pair("D0116", "учитель – ученик", D(2023, 9, 1), mentor=MARIA, mentee=VERA)
    )
    assert refused(book(sheets)) == [
        "Лист «Наставнические пары», строка 7, столбец «Наставляемый ФИО»: строки 5 и 7 — две действующие "
        "пары одного наставника с одним наставляемым в одной форме"
    ]


def test_a_second_active_org_org_pair_is_refused_in_the_organizations_column(area, book):
    sheets = full_sheets()
    sheets["Наставнические пары"].append(
        pair("D0116", "ОО-ОО", D(2023, 9, 1), **{"ОО-наставник код": "D0116", "ОО-наставляемая код": "D0117"})
    )
    assert refused(book(sheets)) == [
        "Лист «Наставнические пары», строка 7, столбец «ОО-наставляемая код»: строки 6 и 7 — две "
        "действующие пары одного наставника с одним наставляемым в одной форме"
    ]


def test_a_stored_pair_completed_by_the_file_makes_room_for_its_successor(area, book):
    imported(book(full_sheets()))
    sheets = full_sheets()
    sheets["Наставнические пары"][1] = pair(
        "D0116",
        "учитель – учитель",
        START,
        mentor=MARIA,
        mentee=OLEG,
        **{"Дата окончания": D(2023, 5, 31), "Статус": "завершена"},
    )
    sheets["Наставнические пары"].append(
        pair("D0116", "учитель – учитель", D(2023, 9, 1), mentor=MARIA, mentee=OLEG)
    )
    report = imported(book(sheets))
    assert counts(report)["Наставнические пары"] == (1, 1, 3)
    statuses = MentorshipLink.objects.filter(mentee_person__full_name=OLEG[0]).order_by("start_date")
    assert [(link.status, link.start_date) for link in statuses] == [
        ("completed", START),
        ("active", D(2023, 9, 1)),
    ]


def test_a_group_whose_members_changed_is_updated(area, book):
    imported(book(full_sheets()))
    before = table_counts()
    sheets = full_sheets()
    sheets["Наставляемые"].append(mentee("D0116", "Громов Глеб Глебович", D(2011, 1, 1), "обучающийся"))
    sheets["Наставнические пары"][4] = pair(  # Вера leaves the group, Глеб joins it
        "D0116",
        "учитель – ученик",
        START,
        mentor=MARIA,
        mentee=("Громов Глеб Глебович", D(2011, 1, 1)),
        Группа="Группа 8Б",
    )
    report = imported(book(sheets))
    assert counts(report)["Наставнические пары"] == (0, 1, 3)
    group = Mentorship.objects.get(group_name="Группа 8Б")
    assert sorted(group.links.values_list("mentee_person__full_name", flat=True)) == [
        ANTON[0],
        "Громов Глеб Глебович",
    ]
    after = table_counts()
    assert after["registry.MentorshipLink"] == before["registry.MentorshipLink"]
    # The group's own history row, Вера's link removed and Глеб's added: each in the links' history.
    assert after["registry.HistoricalMentorship"] - before["registry.HistoricalMentorship"] == 1
    assert after["registry.HistoricalMentorshipLink"] - before["registry.HistoricalMentorshipLink"] == 2
    removed = MentorshipLink.history.filter(history_type="-").get()
    assert (removed.mentee_person.full_name, removed.history_change_reason) == (VERA[0], "Импорт из Excel")


def test_an_org_org_pair_with_an_unknown_organization_is_refused(area, book):
    sheets = {
        "Наставнические пары": [
            PAIRS,
            pair("D0116", "ОО – ОО", START, **{"ОО-наставник код": "D0116", "ОО-наставляемая код": "D0999"}),
            pair("D0116", "ОО – ОО", START, **{"ОО-наставник код": "D0116"}),
        ]
    }
    assert refused(book(sheets)) == [
        "Лист «Наставнические пары», строка 2, столбец «ОО-наставляемая код»: организация с кодом «D0999» "
        "не найдена ни в листе «Организации», ни в реестре",
        "Лист «Наставнические пары», строка 3, столбец «ОО-наставляемая код»: для формы «ОО – ОО» "
        "заполните «ОО-наставляемая код»",
    ]


def test_a_person_on_both_people_sheets_is_one_person_in_two_bases(area, book):
    sheets = full_sheets()
    sheets["Наставляемые"].append(mentee("D0116", *MARIA, **{"Педагогический стаж": 15}))
    report = imported(book(sheets))
    assert counts(report)["Наставляемые"] == (4, 0, 0)
    maria = Person.objects.get(full_name=MARIA[0])
    assert sorted(maria.base_memberships.values_list("base", flat=True)) == ["mentees", "mentors"]
    # The two rows must agree on what defines the person.
    sheets["Наставляемые"][-1] = mentee("D0116", *MARIA, **{"Педагогический стаж": 16})
    assert refused(book(sheets)) == [
        "Лист «Наставляемые», строка 5, столбец «Категория»: категория или стаж расходятся с листом "
        "«Наставники», строка 2"
    ]


def test_a_value_in_a_column_without_a_header_is_refused(area, book):
    path = book({"Наставники": [MENTORS, [*mentor("D0116", *MARIA), None, "забыли заголовок"]]})
    assert refused(path) == ["Лист «Наставники», строка 2, столбец «P»: значение в столбце без заголовка"]


def test_the_errors_stop_at_500_with_a_warning(area, book):
    rows = [MENTORS] + [mentor("D0116", f"Участник Номер {i}", "31.02.1980") for i in range(600)]
    before = table_counts()
    report = import_workbook(book({"Наставники": rows}))
    assert len(report.errors) == 500 and not report.committed
    assert report.errors[-1] == (
        "Лист «Наставники», строка 501, столбец «Дата рождения»: «31.02.1980» — такой даты нет в календаре"
    )
    assert "Показаны первые 500 ошибок; исправьте их и загрузите файл снова." in report.warnings
    assert table_counts() == before


# ---------------------------------------------------------------- no query per row


def _school_sheets(codes: tuple[str, str], n: int, *, experience: int = 1, ended: bool = False) -> dict:
    """In each school: ``n`` mentors, ``n`` mentees and ``n`` pairs; one of them «ОО – ОО»."""
    sheets = {"Наставники": [MENTORS], "Наставляемые": [MENTEES], "Наставнические пары": [PAIRS]}
    ending = {"Дата окончания": D(2023, 5, 31), "Статус": "завершена"} if ended else {}
    for code in codes:
        for i in range(n):
            who = (f"Наставник Номер {code} {i}", D(1970, 1, 1) + datetime.timedelta(days=i))
            whom = (f"Наставляемый Номер {code} {i}", D(1999, 1, 1) + datetime.timedelta(days=i))
            sheets["Наставники"].append(mentor(code, *who))
            sheets["Наставляемые"].append(mentee(code, *whom, **{"Педагогический стаж": experience}))
            if i == 0 and code == codes[0]:
                more = {"ОО-наставник код": codes[0], "ОО-наставляемая код": codes[1]}
                sheets["Наставнические пары"].append(pair(code, "ОО – ОО", START, **more, **ending))
            else:
                more = {"mentor": who, "mentee": whom}
                sheets["Наставнические пары"].append(pair(code, "учитель – учитель", START, **more, **ending))
    return sheets


def test_the_number_of_queries_does_not_grow_with_the_rows(area, book):
    """Rows created, then changed (people's experience, pairs' status), then unchanged: for 3 or 12
    rows per school the same queries, so no query is made per row."""
    queries = {}
    for n, codes in ((3, ("D0201", "D0202")), (12, ("D0301", "D0302"))):
        for code in codes:
            f.make_organization(municipality=area["municipality"], code=code)
        queries[n] = []
        changed = _school_sheets(codes, n, experience=2, ended=True)
        for sheets in (_school_sheets(codes, n), changed, changed):
            path = book(sheets)
            with CaptureQueriesContext(connection) as captured:
                imported(path)
            queries[n].append(len(captured))
        links = MentorshipLink.objects.filter(organization__code__in=codes)
        assert links.count() == 2 * n
        assert set(links.values_list("status", flat=True)) == {"completed"}
        copies = links.exclude(mentee_person=None).values_list("mentee_teaching_experience", flat=True)
        assert set(copies) == {2}
    assert queries[3] == queries[12]


def test_two_stored_people_the_import_cannot_tell_apart_are_named_not_guessed(area, book):
    """The web form keeps «Пётр» and «Петр» apart; the import folds ё and case: it refuses to guess."""
    school = area["school"]
    birth = D(1970, 1, 1)
    f.make_person(organization=school, full_name="Петров Пётр Петрович", birth_date=birth)
    f.make_person(organization=school, full_name="Петров Петр Петрович", birth_date=birth)
    f.make_person(organization=school, full_name=OLEG[0], birth_date=OLEG[1], teaching_experience=1)
    ambiguous = (
        "в реестре организации D0116 несколько участников с ФИО «Петров Пётр Петрович» и датой рождения "
        "01.01.1970, различающихся только регистром букв или е/ё; объедините их в реестре"
    )
    sheets = {
        "Наставники": [MENTORS, mentor("D0116", "Петров Пётр Петрович", birth, Должность="учитель")],
        "Наставнические пары": [
            PAIRS,
            pair("D0116", "учитель – учитель", START, mentor=("Петров Пётр Петрович", birth), mentee=OLEG),
        ],
    }
    assert refused(book(sheets)) == [
        f"Лист «Наставники», строка 2, столбец «ФИО»: {ambiguous}",
        f"Лист «Наставнические пары», строка 2, столбец «Наставник ФИО»: {ambiguous}",
    ]


# ---------------------------------------------------------------- consent (docs/reliability.md §3.1)


def test_a_people_row_without_consent_is_refused_naming_sheet_row_and_column(area, book):
    path = book(
        {
            "Наставники": [MENTORS, mentor("D0116", *MARIA, **{"Дата согласия": "", "Версия согласия": ""})],
            "Наставляемые": [MENTEES, None, mentee("D0116", *OLEG, **{"Версия согласия": "2019-7"})],
        }
    )
    assert refused(path) == [
        "Лист «Наставники», строка 2, столбец «Дата согласия»: обязательное поле не заполнено",
        "Лист «Наставники», строка 2, столбец «Версия согласия»: обязательное поле не заполнено",
        "Лист «Наставляемые», строка 3, столбец «Версия согласия»: «2019-7» — неизвестная версия текста "
        "согласия; допустимо: 2026-1",
    ]


def test_a_pupil_row_without_the_legal_representative_is_refused(area, book):
    pupil = ("Кузнецова Дарья Ильинична", D(2011, 3, 14))
    teen = ("Орлов Артём Сергеевич", D(2007, 6, 1))  # a college student, 17 on the consent date
    path = book(
        {
            "Наставляемые": [
                MENTEES,
                mentee("D0116", *pupil, category="обучающийся", **{"Законный представитель": ""}),
                mentee(
                    "D0116",
                    *teen,
                    category="студент",
                    **{"Дата согласия": D(2024, 5, 31), "Законный представитель": ""},
                ),
                mentee("D0116", *OLEG, **{"Дата согласия": D(1999, 8, 31)}),
            ]
        }
    )
    assert refused(path) == [
        "Лист «Наставляемые», строка 2, столбец «Законный представитель»: участник несовершеннолетний: "
        "укажите законного представителя, давшего согласие",
        "Лист «Наставляемые», строка 3, столбец «Законный представитель»: участник несовершеннолетний: "
        "укажите законного представителя, давшего согласие",
        "Лист «Наставляемые», строка 4, столбец «Дата согласия»: дата согласия раньше даты рождения",
    ]


def test_consent_is_imported_and_exported_back(area, book):
    pupil = ("Кузнецова Дарья Ильинична", D(2011, 3, 14))
    path = book(
        {
            "Наставляемые": [
                MENTEES,
                mentee(
                    "D0116",
                    *pupil,
                    category="обучающийся",
                    **{"Дата согласия": "02.09.2024", "Законный представитель": "Кузнецов Илья Петрович"},
                ),
            ]
        }
    )
    imported(path)
    person = Person.objects.get(full_name=pupil[0])
    assert (person.consent_date, person.consent_giver, person.consent_text_version) == (
        D(2024, 9, 2),
        "Кузнецов Илья Петрович",
        "2026-1",
    )
    from registry.workbook.export import export_workbook

    content = export_workbook(Organization.objects.filter(code="D0116"))
    rows = list(
        openpyxl.load_workbook(io.BytesIO(content), read_only=True)["Наставляемые"].iter_rows(
            values_only=True
        )
    )
    exported = dict(zip(rows[0], rows[1], strict=True))
    assert exported["Законный представитель"] == "Кузнецов Илья Петрович"
    assert exported["Версия согласия"] == "2026-1"
    assert exported["Дата согласия"].date() == D(2024, 9, 2)
