"""Time the workbook import and export end to end on PostgreSQL, against fixed baselines.

    .venv/bin/python bench/bench_workbook.py [--rows 100000] [--organizations 200]
        [--database postgres://postgres@127.0.0.1:5432/mentoring_bench_wb] [--baseline-rows 5000]
        [--seed 2024] [--keep FILE] [--profile]

Drops and recreates the database, migrates it, and writes a seeded workbook of ``--rows`` data
rows in the import format (docs/workbook.md §2): a few «Муниципалитеты», ``--organizations``
«Организации», then about 30 % «Наставники», 35 % «Наставляемые» and 35 % «Наставнические
пары» (groups by «Группа», mentors from another organization, «ОО – ОО» pairs). Then, in one run:

1. python-calamine reads every sheet of the file;
2. openpyxl (read-only) reads it;
3. psycopg COPY writes the same number of rows into a scratch table (dropped afterwards);
4. ``registry.workbook.engine.import_workbook`` imports the file into the empty database
   (one transaction, committed), in a child process whose peak RSS is reported;
5. the same file is imported again (every row unchanged);
6. django-import-export's ``PersonResource().import_data`` (the defaults, in a transaction)
   imports a ``--baseline-rows`` slice of «Наставники» into organizations that exist; it runs
   before step 4 inside a transaction that is rolled back, so that step 4 starts empty;
7. ``registry.workbook.export.export_workbook(Organization.objects.all())`` exports the
   imported registry, in a child process.

Prints rows per second for each, the ratio of ours to django-import-export, and PASS/FAIL
against the targets: import ≥ 20,000 rows/s with peak RSS ≤ 300 MB, export ≥ 15,000 rows/s.
``--profile`` runs step 4 under cProfile (its time is then inflated) and prints the top 15
functions by cumulative time.

Exit status 0 whatever the figures (a benchmark, not a test); 1 if an import or the export
reports errors; 2 if the server is unreachable.
"""

import argparse
import datetime
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/mentoring_bench_wb"
START_SERVER = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
EXIT_ERRORS, EXIT_NO_SERVER = 1, 2

TARGET_IMPORT_ROWS_S = 20_000
TARGET_IMPORT_RSS_MB = 300
TARGET_EXPORT_ROWS_S = 15_000
ANCHORS = {  # rows/s measured on this kind of machine (bench/README.md, the workbook benchmark)
    "calamine": 144_000,
    "openpyxl": 9_800,
    "copy": 91_000,
    "django-import-export": 700,
}
RESULT_PREFIX = "BENCH-RESULT "

# ---------------------------------------------------------------- the workbook format (docs/workbook.md §2)

MUNICIPALITY_HEADERS = ["Код", "Наименование", "Регион"]
ORGANIZATION_HEADERS = [
    "Код ОО",
    "Наименование",
    "Краткое наименование",
    "Муниципалитет",
    "Тип ОО",
    "ШНОР",
    "Сайт",
]
PERSON_HEADERS = [
    "Код ОО",
    "ФИО",
    "Дата рождения",
    "Категория",
    "Должность",
    "Предмет",
    "Класс",
    "Педагогический стаж",
]
CONSENT_HEADERS = ["Дата согласия", "Законный представитель", "Версия согласия"]
MENTOR_HEADERS = [*PERSON_HEADERS, "Обучен", "Email", "Телефон", *CONSENT_HEADERS]
MENTEE_HEADERS = [*PERSON_HEADERS, "Email", "Телефон", *CONSENT_HEADERS]
PAIR_HEADERS = [
    "Код ОО",
    "Форма наставничества",
    "Группа",
    "Наставник ФИО",
    "Наставник дата рождения",
    "Наставник код ОО",
    "Наставляемый ФИО",
    "Наставляемый дата рождения",
    "ОО-наставник код",
    "ОО-наставляемая код",
    "Дата начала",
    "Дата окончания",
    "Статус",
]
# PersonResource's columns (registry/resources.py): «Наставники» without «Обучен».
BASELINE_HEADERS = [*PERSON_HEADERS, "Email", "Телефон"]

REGION_NAME = "Демонстрационная область"
MUNICIPALITY_NAMES = [
    "Октябрьский муниципальный район",
    "Заречный городской округ",
    "Каменский муниципальный округ",
    "Городской округ Северный",
    "Приозёрный муниципальный район",
    "Сосновский муниципальный район",
    "Городской округ Лесной",
    "Берёзовский муниципальный округ",
    "Светлогорский муниципальный район",
    "Городской округ Южный",
]
SURNAMES = (
    "Иванов Смирнов Кузнецов Попов Васильев Петров Соколов Михайлов Новиков Фёдоров Морозов Волков "
    "Алексеев Лебедев Семёнов Егоров Павлов Козлов Степанов Николаев Орлов Андреев Макаров Никитин "
    "Захаров Зайцев Соловьёв Борисов Яковлев Григорьев Романов Воробьёв Сергеев Кузьмин Фролов "
    "Александров Дмитриев Королёв Гусев Киселёв Ильин Максимов Поляков Сорокин Виноградов Ковалёв"
).split()
FIRST_NAMES = (
    "Александр Дмитрий Максим Сергей Андрей Алексей Артём Илья Кирилл Михаил Никита Матвей Роман "
    "Егор Арсений Иван Денис Евгений Даниил Тимофей Владимир Павел Николай Глеб".split(),
    "Анна Мария Елена Дарья Алина Ирина Екатерина Арина Полина Ольга Юлия Татьяна Наталья Виктория "
    "Елизавета Анастасия Марина Светлана Ксения Вера Софья Алиса Валерия Людмила".split(),
)
PATRONYMICS = (
    "Александров Дмитриев Сергеев Андреев Алексеев Михайлов Николаев Иванов Викторов Владимиров "
    "Петров Юрьев Олегов Игорев Павлов Евгеньев Васильев Борисов Анатольев Геннадьев"
).split()
SUBJECTS = {  # subject → position
    "математика": "учитель математики",
    "русский язык": "учитель русского языка",
    "физика": "учитель физики",
    "химия": "учитель химии",
    "биология": "учитель биологии",
    "история": "учитель истории",
    "информатика": "учитель информатики",
    "английский язык": "учитель английского языка",
    "начальные классы": "учитель начальных классов",
}
# Forms as the sheet names them; a few are written with a plain hyphen, which the import normalises.
TEACHER_FORMS = [  # (form, mentor category, weight) for a teacher mentee
    ("учитель – учитель", "teacher", 55),
    ("опытный педагог – молодой специалист", "teacher", 25),
    ("руководитель ОО – педагог", "head", 10),
    ("педагог – педагог", "teacher", 10),
]
STUDENT_FORMS = [("ученик – ученик", "student", 50), ("учитель – ученик", "teacher", 50)]
COLLEGE_FORMS = [("студент – студент", "college_student", 100)]
ORG_ORG_FORM = "ОО – ОО"
STATUSES = [("действует", 80), ("завершена", 12), ("черновик", 5), ("прекращена досрочно", 3)]
CATEGORY_LABEL = {
    "teacher": "педагог",
    "head": "руководитель",
    "student": "обучающийся",
    "college_student": "студент",
}
COLLEGE_SHARE = 0.1
GROUP_SHARE = 0.25  # share of student mentees who start a group of 2-4
OTHER_ORG_MENTOR_SHARE = 0.03  # teacher pairs whose mentor works in another organization
TEXT_DATE_SHARE = 0.1  # dates written as ДД.ММ.ГГГГ text rather than Excel dates


class Person:
    __slots__ = ("org", "name", "birth", "category")

    def __init__(self, org: str, name: str, birth: datetime.date, category: str):
        self.org, self.name, self.birth, self.category = org, name, birth, category


class WorkbookGenerator:
    """Seeded rows of the five sheets, consistent with each other and with the import's rules."""

    def __init__(self, rows: int, n_orgs: int, seed: int, today: datetime.date):
        self.rng = random.Random(seed)
        self.today = today
        self.n_munis = max(1, min(len(MUNICIPALITY_NAMES), n_orgs // 40))
        self.n_orgs = n_orgs
        data = rows - self.n_munis - n_orgs
        if data < 10 * n_orgs:
            raise SystemExit(f"--rows {rows} is too small for {n_orgs} organizations (≥ {11 * n_orgs + 10})")
        self.n_mentors = round(data * 0.30)
        self.n_org_org = n_orgs // 2
        # every mentee gets one pair row; «ОО – ОО» rows come on top of those
        self.n_mentees = (data - self.n_mentors - self.n_org_org) // 2
        self.n_pairs = data - self.n_mentors - self.n_mentees
        self.names: dict[str, set] = {}

    # -- values
    def date_cell(self, value: datetime.date):
        return value.strftime("%d.%m.%Y") if self.rng.random() < TEXT_DATE_SHARE else value

    def birth_for_age(self, low: int, high: int) -> datetime.date:
        """A birth date whose age today is between ``low`` and ``high`` inclusive."""
        age = self.rng.randint(low, high)
        anchor = datetime.date(self.today.year - age, self.today.month, min(self.today.day, 28))
        return anchor - datetime.timedelta(days=self.rng.randrange(364))

    def full_name(self, org: str) -> str:
        taken = self.names.setdefault(org, set())
        while True:
            female = self.rng.getrandbits(1)
            name = (
                f"{self.rng.choice(SURNAMES)}{'а' if female else ''} {self.rng.choice(FIRST_NAMES[female])} "
                f"{self.rng.choice(PATRONYMICS)}{'на' if female else 'ич'}"
            )
            if name not in taken:
                taken.add(name)
                return name

    def phone(self) -> str:
        r = self.rng
        digits = f"{r.randrange(10**9):09d}"
        return f"+7 (9{digits[:2]}) {digits[2:5]}-{digits[5:7]}-{digits[7:]}"

    @staticmethod
    def split(total: int, parts: int) -> list[int]:
        base, extra = divmod(total, parts)
        return [base + (1 if i < extra else 0) for i in range(parts)]

    # -- sheets
    def territory(self):
        self.munis = [(f"M{i + 1:02d}", MUNICIPALITY_NAMES[i]) for i in range(self.n_munis)]
        self.orgs = []  # (code, municipality code, kind)
        n_colleges = max(1, round(self.n_orgs * COLLEGE_SHARE))
        for n in range(1, self.n_orgs + 1):
            muni = self.munis[(n - 1) % self.n_munis][0]
            kind = "college" if n % (self.n_orgs // n_colleges) == 0 else "school"
            self.orgs.append((f"D{n:04d}", muni, kind))
        muni_rows = [(code, name, REGION_NAME) for code, name in self.munis]
        org_rows = []
        for code, muni, kind in self.orgs:
            n = int(code[1:])
            if kind == "school":
                full, short, org_type = (
                    f"МБОУ «Средняя общеобразовательная школа № {n}»",
                    f"СОШ № {n}",
                    "общеобразовательная",
                )
            else:
                full, short, org_type = f"ГБПОУ «Колледж № {n}»", f"Колледж № {n}", "СПО"
            low = "да" if self.rng.random() < 0.08 else "нет"
            org_rows.append((code, full, short, muni, org_type, low, f"https://oo{n}.example.ru"))
        return muni_rows, org_rows

    def people(self):
        """Rows of «Наставники» and «Наставляемые»; keeps each organization's people by category."""
        self.mentors: dict[str, dict[str, list[Person]]] = {}
        self.mentees: dict[str, list[Person]] = {}
        mentor_rows, mentee_rows = [], []
        mentor_sizes = self.split(self.n_mentors, self.n_orgs)
        mentee_sizes = self.split(self.n_mentees, self.n_orgs)
        for (code, _, kind), n_mentors, n_mentees in zip(self.orgs, mentor_sizes, mentee_sizes, strict=True):
            learner = "student" if kind == "school" else "college_student"
            n_teachers = max(2, round((n_mentors - 1) * 0.4))
            plan = [("head", 1), ("teacher", n_teachers), (learner, n_mentors - 1 - n_teachers)]
            by_category = self.mentors.setdefault(code, {})
            for category, count in plan:
                for _ in range(count):
                    person, row = self.person_row(code, category, mentor=True)
                    by_category.setdefault(category, []).append(person)
                    mentor_rows.append(row)
            n_young = max(1, round(n_mentees * 0.25))
            for category, count in (("teacher", n_young), (learner, n_mentees - n_young)):
                for _ in range(count):
                    person, row = self.person_row(code, category, mentor=False)
                    self.mentees.setdefault(code, []).append(person)
                    mentee_rows.append(row)
        return mentor_rows, mentee_rows

    def person_row(self, org: str, category: str, *, mentor: bool):
        r = self.rng
        name = self.full_name(org)
        position = subject = grade = email = phone = ""
        experience = None
        if category == "head":
            birth = self.birth_for_age(38, 64)
            position, experience = "директор", r.randint(12, 35)
        elif category == "teacher" and mentor:
            birth = self.birth_for_age(27, 64)
            subject = r.choice(list(SUBJECTS))
            position = SUBJECTS[subject]
            age = self.today.year - birth.year - 1
            experience = r.randint(3, max(3, min(40, age - 23)))
        elif category == "teacher":  # a young specialist
            birth = self.birth_for_age(22, 29)
            subject = r.choice(list(SUBJECTS))
            position, experience = SUBJECTS[subject], r.randint(0, 2)
        elif category == "student":
            age_range = (14, 17) if mentor else (11, 16)
            birth = self.birth_for_age(*age_range)
            age = self.today.year - birth.year
            grade = f"{min(11, max(5, age - 6))}{r.choice('АБВ')}"
        else:  # college student
            birth = self.birth_for_age(17, 21) if mentor else self.birth_for_age(16, 19)
            grade = f"{r.randint(1, 4)} курс"
        if category in ("teacher", "head"):
            email = f"t{r.randrange(10**6):06d}@{org.lower()}.example.ru"
            phone = self.phone() if r.random() < 0.6 else ""
        person = Person(org, name, birth, category)
        cells = [
            org,
            name,
            self.date_cell(birth),
            CATEGORY_LABEL[category],
            position,
            subject,
            grade,
            experience,
        ]
        if mentor:
            cells.append("да" if category in ("teacher", "head") and r.random() < 0.7 else "нет")
        # Consent (152-ФЗ): a month ago; pupils and college students through a parent.
        giver = self.full_name(org) if category in ("student", "college_student") else ""
        consent = (self.date_cell(self.today - datetime.timedelta(days=30)), giver, "2026-1")
        return person, (*cells, email, phone, *consent)

    def mentorship_fields(self):
        r = self.rng
        first = datetime.date(2023, 9, 1)
        last = max(first, self.today - datetime.timedelta(days=30))
        start = first + datetime.timedelta(days=r.randrange((last - first).days + 1))
        status = r.choices([s for s, _ in STATUSES], [w for _, w in STATUSES])[0]
        end = None
        if status in ("завершена", "прекращена досрочно"):
            end = min(
                start + datetime.timedelta(days=r.randint(60, 400)), self.today - datetime.timedelta(days=1)
            )
            end = max(end, start)
        return start, end, status

    def pairs(self):
        """Rows of «Наставнические пары»: one per mentee, groups of 2-4 students, then «ОО – ОО» rows."""
        r = self.rng
        rows = []
        teachers_by_muni: dict[str, list[Person]] = {}
        for code, muni, _ in self.orgs:
            teachers_by_muni.setdefault(muni, []).extend(self.mentors[code]["teacher"])

        def row(org, form, group, mentor, mentee, start, end, status, mentor_org=""):
            hyphenated = form.replace(" – ", "-") if r.random() < 0.1 and "ОО" not in form else form
            return (
                org,
                hyphenated,
                group,
                mentor.name,
                self.date_cell(mentor.birth),
                mentor_org,
                mentee.name,
                self.date_cell(mentee.birth),
                "",
                "",
                self.date_cell(start),
                self.date_cell(end) if end else None,
                status,
            )

        for code, muni, kind in self.orgs:
            staff = self.mentors[code]
            mentees = self.mentees[code]
            groups = 0
            i = 0
            while i < len(mentees):
                mentee = mentees[i]
                if mentee.category == "teacher":
                    form, mentor_category = self.pick(TEACHER_FORMS)
                    mentor_org = ""
                    if mentor_category == "teacher" and r.random() < OTHER_ORG_MENTOR_SHARE:
                        mentor = r.choice(teachers_by_muni[muni])
                        mentor_org = mentor.org if mentor.org != code else ""
                    else:
                        mentor = r.choice(staff[mentor_category])
                    rows.append(row(code, form, "", mentor, mentee, *self.mentorship_fields(), mentor_org))
                    i += 1
                    continue
                form, mentor_category = self.pick(STUDENT_FORMS if kind == "school" else COLLEGE_FORMS)
                mentor = r.choice(staff[mentor_category])
                start, end, status = self.mentorship_fields()
                size = r.randint(2, 4) if r.random() < GROUP_SHARE else 1
                members = [m for m in mentees[i : i + size] if m.category == mentee.category]
                group = ""
                if len(members) > 1:
                    groups += 1
                    group = f"Группа {groups}"
                for member in members:
                    rows.append(row(code, form, group, mentor, member, start, end, status))
                i += len(members)
        # «ОО – ОО»: a school and the next school of its municipality
        schools_by_muni: dict[str, list[str]] = {}
        for code, muni, kind in self.orgs:
            if kind == "school":
                schools_by_muni.setdefault(muni, []).append(code)
        org_pairs = []
        for codes in schools_by_muni.values():
            if len(codes) > 1:
                org_pairs += [(codes[k], codes[(k + 1) % len(codes)]) for k in range(len(codes))]
        for mentor_code, mentee_code in org_pairs[: self.n_pairs - len(rows)]:
            start, end, status = self.mentorship_fields()
            rows.append(
                (
                    mentor_code,
                    ORG_ORG_FORM,
                    "",
                    "",
                    None,
                    "",
                    "",
                    None,
                    mentor_code,
                    mentee_code,
                    self.date_cell(start),
                    self.date_cell(end) if end else None,
                    status,
                )
            )
        return rows

    def pick(self, choices):
        form, category, _ = self.rng.choices(choices, [w for *_, w in choices])[0]
        return form, category


def write_workbook_file(path: Path, sheets: list[tuple[str, list[str], list[tuple]]]) -> None:
    """Write with XlsxWriter's default mode: shared strings, as Excel itself saves a workbook."""
    import xlsxwriter

    book = xlsxwriter.Workbook(
        str(path), {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}
    )
    bold = book.add_format({"bold": True})
    date_format = book.add_format({"num_format": "DD.MM.YYYY"})
    text_format = book.add_format({"num_format": "@"})
    for name, headers, rows in sheets:
        sheet = book.add_worksheet(name)
        for index, header in enumerate(headers):
            sheet.write_string(0, index, header, bold)
            if header.startswith("Код") or header.endswith("код") or header.endswith("код ОО"):
                sheet.set_column(index, index, 12, text_format)
        for number, values in enumerate(rows, start=1):
            for index, value in enumerate(values):
                if value is None or value == "":
                    continue
                if isinstance(value, str):
                    sheet.write_string(number, index, value)
                elif isinstance(value, datetime.date):
                    sheet.write_datetime(number, index, value, date_format)
                else:
                    sheet.write_number(number, index, value)
    book.close()


def generate(path: Path, rows: int, n_orgs: int, seed: int) -> dict[str, int]:
    gen = WorkbookGenerator(rows, n_orgs, seed, datetime.date.today())
    municipalities, organizations = gen.territory()
    mentors, mentees = gen.people()
    pairs = gen.pairs()
    sheets = [
        ("Муниципалитеты", MUNICIPALITY_HEADERS, municipalities),
        ("Организации", ORGANIZATION_HEADERS, organizations),
        ("Наставники", MENTOR_HEADERS, mentors),
        ("Наставляемые", MENTEE_HEADERS, mentees),
        ("Наставнические пары", PAIR_HEADERS, pairs),
    ]
    write_workbook_file(path, sheets)
    return {name: len(data) for name, _, data in sheets}


# ---------------------------------------------------------------- the database


def server_url(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + database))


def database_name(url: str) -> str:
    name = urlsplit(url).path.lstrip("/")
    if not name:
        raise SystemExit(f"--database {url}: the URL names no database")
    return name


def recreate_database(url: str) -> None:
    name = database_name(url)
    try:
        conn = psycopg.connect(server_url(url, "postgres"), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        print(f"PostgreSQL is not reachable ({str(exc).strip()}).\nStart it with:\n    {START_SERVER}")
        sys.exit(EXIT_NO_SERVER)
    with conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def django_environment(url: str) -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="mentoring_portal.settings",
        DEBUG="0",  # no query log, as in production
    )
    env.setdefault("SECRET_KEY", "bench-only-not-a-secret")
    return env


def setup_django(url: str) -> None:
    os.environ.update(django_environment(url))
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# ---------------------------------------------------------------- the measurements


def read_calamine(path: Path) -> tuple[int, dict[str, list]]:
    """Every data row of every sheet, as python-calamine gives them (also used by steps 3 and 6)."""
    import python_calamine

    book = python_calamine.CalamineWorkbook.from_path(str(path))
    sheets = {}
    for name in book.sheet_names:
        rows = list(book.get_sheet_by_name(name).iter_rows())
        sheets[name] = rows
    book.close()
    return sum(max(len(rows) - 1, 0) for rows in sheets.values()), sheets


def read_openpyxl(path: Path) -> int:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    count = 0
    for sheet in book.worksheets:
        for count_in_sheet, _ in enumerate(sheet.iter_rows(values_only=True)):
            count += 1 if count_in_sheet else 0
    book.close()
    return count


def copy_rows(url: str, sheets: dict[str, list]) -> tuple[int, float]:
    """COPY every data row (sheet, row number, up to 13 cells as text) into a scratch table; commit."""
    width = max(len(rows[0]) for rows in sheets.values() if rows)
    columns = [f"c{i}" for i in range(1, width + 1)]
    with psycopg.connect(url) as conn:
        conn.execute(
            sql.SQL("CREATE TABLE bench_copy_scratch (sheet text, row integer, {})").format(
                sql.SQL(", ").join(sql.SQL("{} text").format(sql.Identifier(c)) for c in columns)
            )
        )
        conn.commit()
        statement = sql.SQL("COPY bench_copy_scratch (sheet, row, {}) FROM STDIN").format(
            sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        count = 0
        padding = [None] * width
        started = time.perf_counter()
        with conn.cursor() as cursor, cursor.copy(statement) as copy:
            for name, rows in sheets.items():
                for number, cells in enumerate(rows[1:], start=2):
                    values = [None if v == "" else str(v) for v in cells] + padding[len(cells) :]
                    copy.write_row((name, number, *values))
                    count += 1
        conn.commit()
        elapsed = time.perf_counter() - started
        conn.execute("DROP TABLE bench_copy_scratch")
        conn.commit()
    return count, elapsed


def baseline_import(sheets: dict[str, list], n_rows: int) -> dict:
    """django-import-export's defaults on a slice of «Наставники», rolled back afterwards.

    Timed: ``import_data`` and the deferred foreign-key checks its commit would run; not timed:
    the region, municipalities and organizations it needs, written first in the same transaction.
    """
    import tablib
    from django.db import connection, transaction

    from registry.models import Municipality, Organization, Region
    from registry.resources import PersonResource

    class Rollback(Exception):
        pass

    mentors = sheets["Наставники"]
    headers = [str(h) for h in mentors[0]]
    keep = [headers.index(h) for h in BASELINE_HEADERS]
    dataset = tablib.Dataset(headers=BASELINE_HEADERS)
    for cells in mentors[1 : n_rows + 1]:
        dataset.append([cells[i] for i in keep])  # calamine gives "" for a blank cell, as a CSV would

    outcome = {}
    try:
        with transaction.atomic():
            # the organizations the slice refers to, written the plain ORM way (not timed)
            region = Region.objects.create(code="R1", name=REGION_NAME)
            munis = {
                code: Municipality.objects.create(code=code, name=name, region=region)
                for code, name, *_ in sheets["Муниципалитеты"][1:]
            }
            Organization.objects.bulk_create(
                Organization(code=code, full_name=full, short_name=short, municipality=munis[muni])
                for code, full, short, muni, *_ in sheets["Организации"][1:]
            )
            started = time.perf_counter()
            result = PersonResource().import_data(dataset, dry_run=False, use_transactions=True)
            with connection.cursor() as cursor:  # the deferred FK checks its commit would run
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            outcome["seconds"] = time.perf_counter() - started
            outcome["rows"] = len(dataset)
            outcome["totals"] = {k: v for k, v in result.totals.items() if v}
            outcome["errors"] = result.has_errors() or result.has_validation_errors()
            if outcome["errors"]:
                first = (result.invalid_rows or [None])[0]
                outcome["first_error"] = str(
                    first.error_dict if first else result.base_errors or result.row_errors()[0]
                )[:500]
            raise Rollback
    except Rollback:
        pass
    return outcome


def run_child(
    mode: str, url: str, path: Path, *, profile: bool = False, env_extra: dict | None = None
) -> dict:
    """Run one import or export in a fresh interpreter; its result and its peak RSS (RUSAGE_CHILDREN)."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", mode, "--file", str(path)]
    command += ["--database", url] + (["--profile"] if profile else [])
    env = django_environment(url) | (env_extra or {})
    started = time.perf_counter()
    completed = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - started
    result = None
    for line in completed.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            result = json.loads(line[len(RESULT_PREFIX) :])
        else:
            print(line)
    if completed.returncode != 0 or result is None:
        sys.stderr.write(completed.stderr)
        raise SystemExit(f"the {mode} child failed (exit {completed.returncode})")
    result["wall"] = wall
    # ru_maxrss of the largest child so far (KiB on Linux). Linux folds the memory the child had
    # between fork and exec, i.e. this process's RSS, into it: see peak_rss_mb() for the child's own.
    result["children_maxrss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return result


def peak_rss_mb() -> float:
    """This process's peak RSS since its exec (VmHWM), in MB.

    ``getrusage(RUSAGE_SELF or RUSAGE_CHILDREN).ru_maxrss`` is no use here: Linux carries into it
    the RSS of the address space the child had between fork and exec, i.e. the parent's whole RSS
    (the generator's rows included). VmHWM belongs to the memory map made by exec.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase_times(marks: list[tuple[str, float]], started: float, finished: float) -> list[tuple[str, float]]:
    """Seconds per step, from the engine's progress calls: the file check and opening, each sheet's
    read and check (parse cells, plan against the database) and its write, then the commit."""
    steps = {"чтение и проверка": "read + check", "проверен": "write", "записан": None}
    phases = []
    label, previous = "file check (safety scan) + open", started
    for phase, moment in [*marks, ("end", finished)]:
        if label is not None:
            phases.append((label, moment - previous))
        elif phase == "end":
            phases.append(("commit", moment - previous))
        sheet, _, step = phase.partition(": ")
        label = f"{sheet.removeprefix('Лист ')}: {steps[step]}" if steps.get(step) else None
        previous = moment
    return phases


def child(mode: str, path: Path, profile: bool) -> int:
    """In the child process: Django is set up by the environment; time one call; print the result."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection

    connection.ensure_connection()  # the connection is not part of the import's time
    result: dict = {"rss_before_mb": peak_rss_mb()}
    if mode in ("import", "reimport"):
        from registry.workbook.engine import import_workbook

        marks = []  # (phase, time) at each progress call that opens or closes a step of a sheet

        def progress(done, total, phase):
            if "«" in phase:
                marks.append((phase, time.perf_counter()))

        if profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            started = time.perf_counter()
            report = profiler.runcall(import_workbook, path, progress=progress)
            result["seconds"] = time.perf_counter() - started
            stats = pstats.Stats(profiler, stream=sys.stdout)
            print("\ncProfile of import_workbook (sorted by cumulative time, top 15):")
            stats.sort_stats("cumulative").print_stats(15)
            print("cProfile, top 15 by own time:")
            stats.sort_stats("tottime").print_stats(15)
        else:
            started = time.perf_counter()
            report = import_workbook(path, progress=progress)
            result["seconds"] = time.perf_counter() - started
        result["phases"] = phase_times(marks, started, started + result["seconds"])
        result.update(
            rows=report.rows,
            committed=report.committed,
            errors=report.errors[:20],
            error_count=len(report.errors),
            warnings=report.warnings,
            sheets=[[s.sheet, s.created, s.updated, s.unchanged] for s in report.sheets],
        )
    else:
        from registry.models import Organization
        from registry.workbook.export import export_workbook

        started = time.perf_counter()
        data = export_workbook(Organization.objects.all())
        result["seconds"] = time.perf_counter() - started
        path.write_bytes(data)
        result["bytes"] = len(data)
    result["rss_peak_mb"] = peak_rss_mb()
    print(RESULT_PREFIX + json.dumps(result, ensure_ascii=False))
    return 0


def count_export_rows(path: Path, sheet_names: list[str]) -> dict[str, int]:
    import python_calamine

    book = python_calamine.CalamineWorkbook.from_path(str(path))
    counts = {}
    for name in book.sheet_names:
        if name in sheet_names:
            counts[name] = max(sum(1 for _ in book.get_sheet_by_name(name).iter_rows()) - 1, 0)
    book.close()
    return counts


def analyze(url: str) -> None:
    """What autovacuum would do after 100,000 inserts (it is off on this server)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")


def written_tables() -> list[str]:
    """The tables an import of people and mentorships fills, parents first, then their history."""
    from registry.models import BaseMembership, Mentorship, MentorshipLink, Person

    models = [Person, BaseMembership, Mentorship, MentorshipLink]
    return [m._meta.db_table for m in models] + [m.history.model._meta.db_table for m in models]


def write_floor(url: str, tables: list[str]) -> dict:
    """COPY the rows the import wrote back into their tables, with every index and constraint live.

    In one transaction: read the tables out (COPY TO), TRUNCATE them, COPY the same bytes in,
    then ``SET CONSTRAINTS ALL IMMEDIATE`` runs the deferred foreign-key checks a commit would
    run; then ROLLBACK, so the database is as the import left it. No import that writes these
    rows can be faster than this.
    """
    with psycopg.connect(url) as conn:
        data = {}
        for table in tables:
            chunks = []
            with conn.cursor() as cursor:
                with cursor.copy(sql.SQL("COPY {} TO STDOUT").format(sql.Identifier(table))) as copy:
                    chunks.extend(bytes(chunk) for chunk in copy)
            data[table] = b"".join(chunks)
        rows = sum(chunk.count(b"\n") for chunk in data.values())
        conn.execute(sql.SQL("TRUNCATE {} CASCADE").format(sql.SQL(", ").join(map(sql.Identifier, tables))))
        started = time.perf_counter()
        with conn.cursor() as cursor:
            for table in tables:
                with cursor.copy(sql.SQL("COPY {} FROM STDIN").format(sql.Identifier(table))) as copy:
                    copy.write(data[table])
        copied = time.perf_counter()
        conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
        checked = time.perf_counter()
        conn.rollback()
    return {"rows": rows, "copy": copied - started, "checks": checked - copied}


# ---------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="data rows of the workbook, all sheets")
    parser.add_argument("--organizations", type=int, default=200)
    parser.add_argument("--database", default=DEFAULT_URL, help="dropped and recreated")
    parser.add_argument("--baseline-rows", type=int, default=5_000, help="django-import-export's slice")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--keep", type=Path, help="also copy the generated workbook here")
    parser.add_argument("--profile", action="store_true", help="run the first import under cProfile")
    parser.add_argument("--child", choices=["import", "reimport", "export"], help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.organizations < 2 or args.baseline_rows < 1:
        parser.error("--organizations must be ≥ 2 and --baseline-rows ≥ 1")
    return args


def rate(rows: int, seconds: float) -> float:
    return rows / seconds if seconds > 0 else float("inf")


def check_report(step: str, result: dict) -> None:
    if result.get("error_count"):
        print(f"\n{step}: {result['error_count']} errors, nothing written. The first ones:")
        print("\n".join(result["errors"]))
        sys.exit(EXIT_ERRORS)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        return child(args.child, args.file, args.profile)

    t0 = time.perf_counter()
    load_at_start = os.getloadavg()[0]  # other work on the machine shows in every figure
    recreate_database(args.database)
    setup_django(args.database)
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrate_s = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]

    workdir = Path(tempfile.mkdtemp(prefix="bench_workbook_"))
    path = workdir / "workbook.xlsx"
    started = time.perf_counter()
    counts = generate(path, args.rows, args.organizations, args.seed)
    generate_s = time.perf_counter() - started
    total = sum(counts.values())
    size = path.stat().st_size
    if args.keep:
        args.keep.write_bytes(path.read_bytes())
    print(
        f"database {database_name(args.database)} (PostgreSQL {server}), migrate {migrate_s:.1f} s; "
        f"workbook {size / 1e6:.1f} MB, {total:,} data rows in {generate_s:.1f} s: "
        + ", ".join(f"{name} {n:,}" for name, n in counts.items())
    )
    env_extra = {}
    if size > settings.IMPORT_MAX_UPLOAD_BYTES:
        limit = settings.IMPORT_MAX_UPLOAD_BYTES
        print(f"note: the file is over IMPORT_MAX_UPLOAD_BYTES ({limit:,}); raised for the bench")
        env_extra["IMPORT_MAX_UPLOAD_BYTES"] = str(size + 1)
    if max(counts.values()) > settings.IMPORT_MAX_ROWS:
        env_extra["IMPORT_MAX_ROWS"] = str(max(counts.values()))
        print(f"note: a sheet is over IMPORT_MAX_ROWS ({settings.IMPORT_MAX_ROWS:,}); raised for the bench")

    figures = []  # (step, rows, seconds, anchor, note)

    # 1-2: readers
    started = time.perf_counter()
    read_rows, sheets = read_calamine(path)
    figures.append(("1 calamine read (all sheets)", read_rows, time.perf_counter() - started, "calamine", ""))
    started = time.perf_counter()
    openpyxl_rows = read_openpyxl(path)
    figures.append(("2 openpyxl read-only", openpyxl_rows, time.perf_counter() - started, "openpyxl", ""))

    # 3: COPY
    copied, copy_s = copy_rows(args.database, sheets)
    figures.append(("3 psycopg COPY, scratch table", copied, copy_s, "copy", "text columns, one commit"))

    # 6 (run now, rolled back, so that step 4 finds an empty database)
    baseline = baseline_import(sheets, args.baseline_rows)
    if baseline["errors"]:
        print(f"django-import-export reported errors: {baseline.get('first_error')}")
        return EXIT_ERRORS
    del sheets
    connection.close()

    # 4: our import into the empty database, in a child process
    first = run_child("import", args.database, path, profile=args.profile, env_extra=env_extra)
    check_report("import", first)
    if not first["committed"]:
        print("the import did not commit:", first["warnings"])
        return EXIT_ERRORS
    analyze(args.database)
    # 5: the same file again
    second = run_child("reimport", args.database, path, env_extra=env_extra)
    check_report("re-import", second)
    changed = [s for s in second["sheets"] if s[1] or s[2]]
    # 7: the export
    export_path = workdir / "export.xlsx"
    exported = run_child("export", args.database, export_path)
    export_counts = count_export_rows(export_path, list(counts))
    export_rows = sum(export_counts.values())
    # 8: the floor for writing what the import wrote
    floor = write_floor(args.database, written_tables())

    ours = rate(first["rows"], first["seconds"])
    theirs = rate(baseline["rows"], baseline["seconds"])
    note_first = f"peak RSS {first['rss_peak_mb']:.0f} MB (after setup {first['rss_before_mb']:.0f} MB)"
    if args.profile:
        note_first += ", UNDER cProfile"
    figures.append(("4 our import, empty database", first["rows"], first["seconds"], None, note_first))
    figures.append(
        (
            "5 our re-import, same file",
            second["rows"],
            second["seconds"],
            None,
            f"peak RSS {second['rss_peak_mb']:.0f} MB; "
            + ("all unchanged" if not changed else f"CHANGED: {changed}"),
        )
    )
    figures.append(
        (
            f"6 django-import-export, {baseline['rows']:,} rows",
            baseline["rows"],
            baseline["seconds"],
            "django-import-export",
            f"PersonResource defaults; {baseline['totals']}; {total:,} rows ≈ {total / theirs / 60:.1f} min",
        )
    )
    figures.append(
        (
            "7 export_workbook (all organizations)",
            export_rows,
            exported["seconds"],
            None,
            f"{exported['bytes'] / 1e6:.1f} MB, peak RSS {exported['rss_peak_mb']:.0f} MB",
        )
    )
    figures.append(
        (
            "8 write floor: COPY what 4 wrote",
            first["rows"],
            floor["copy"] + floor["checks"],
            None,
            f"{floor['rows']:,} table rows: COPY {floor['copy']:.2f} s + FK checks {floor['checks']:.2f} s",
        )
    )

    print()
    header = f"{'step':<40} {'rows':>8} {'seconds':>8} {'rows/s':>9} {'anchor':>8}  notes"
    print(header + "\n" + "-" * len(header))
    for step, rows, seconds, anchor, note in figures:
        anchor_text = f"{ANCHORS[anchor]:,}" if anchor else ""
        print(f"{step:<40} {rows:>8,} {seconds:>8.2f} {rate(rows, seconds):>9,.0f} {anchor_text:>8}  {note}")

    print("\nper sheet, first import: created / updated / unchanged")
    for name, created, updated, unchanged in first["sheets"]:
        print(f"  {name:<22} {created:>7,} {updated:>7,} {unchanged:>7,}")
    print("\nwhere the time goes (s):                import  re-import")
    again = dict(second["phases"])
    for name, seconds in first["phases"]:
        print(f"  {name:<38} {seconds:>6.2f} {again.get(name, 0.0):>10.2f}")
    print(
        f"export rows per sheet: {export_counts}"
        + ("" if export_counts == counts else f" (the workbook had {counts})")
    )
    print(
        f"\nours / django-import-export: {ours / theirs:.1f}× "
        f"({ours:,.0f} vs {theirs:,.0f} rows/s; {total:,} rows: {total / ours:.1f} s "
        f"vs {total / theirs / 60:.1f} min)"
    )
    print(
        f"COPY is {rate(copied, copy_s) / ours:.0f}× and the calamine read "
        f"{rate(read_rows, figures[0][2]) / ours:.0f}× our import's rows/s"
    )
    peak = first["rss_peak_mb"]
    verdicts = [
        ("import rows/s", ours >= TARGET_IMPORT_ROWS_S, f"{ours:,.0f} (≥ {TARGET_IMPORT_ROWS_S:,})"),
        ("import peak RSS", peak <= TARGET_IMPORT_RSS_MB, f"{peak:.0f} MB (≤ {TARGET_IMPORT_RSS_MB} MB)"),
        (
            "export rows/s",
            rate(export_rows, exported["seconds"]) >= TARGET_EXPORT_ROWS_S,
            f"{rate(export_rows, exported['seconds']):,.0f} (≥ {TARGET_EXPORT_ROWS_S:,})",
        ),
    ]
    for what, ok, text in verdicts:
        print(f"{'PASS' if ok else 'FAIL'}  {what}: {text}")
    print(
        f"(peak RSS is the import child's VmHWM; getrusage(RUSAGE_CHILDREN).ru_maxrss says "
        f"{first['children_maxrss_mb']:.0f} MB, which counts this process's "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB peak as well)"
    )
    if args.profile:
        print("note: the import ran under cProfile; its rows/s and PASS/FAIL are not representative")
    print(
        f"\ntotal {time.perf_counter() - t0:.0f} s on {os.cpu_count()} CPUs; load average (1 min) "
        f"{load_at_start:.1f} at the start, {os.getloadavg()[0]:.1f} now; files in {workdir} removed"
    )
    for file in (path, export_path):
        file.unlink(missing_ok=True)
    workdir.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())
