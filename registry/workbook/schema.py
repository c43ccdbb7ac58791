"""The workbook contract (docs/workbook.md §2): which sheets, which columns, and how one cell becomes a value.

A column knows its header as people write it, whether it is required, and its kind; the kind
turns a cell (as python-calamine gives it: str, float, int, bool, date, datetime) into a
Python value or a Russian message saying what is wrong with it. Export goes the other way
through ``Column.to_cell``, so the same table decides both directions.
"""

import dataclasses
import datetime
import re
import unicodedata
from collections.abc import Callable

from common.text import INVISIBLE, REFUSED
from registry.models import CONSENT_TEXT_VERSIONS, Category, Mentorship, Organization

BLANK = ""

YES = {"да", "+", "1", "yes", "true", "истина"}
NO = {"нет", "-", "0", "no", "false", "ложь", ""}


def fold_label(text: str) -> str:
    """A label as looked up: lower case, ё = е, single spaces."""
    return " ".join(text.lower().replace("ё", "е").split())


class Labels(dict):
    """Labels as the workbook writes them → stored values; looked up whatever the case.

    Iterating gives the labels as written («СПО»), so an export and a template's drop-down
    show them so; ``in``, ``[]`` and ``get`` fold the key, so «спо» and «Спо» import too
    (the admin's django-import-export widget looks labels up lower-cased).
    """

    def __init__(self, items: dict):
        super().__init__(items)
        self.folded = {fold_label(label): value for label, value in items.items()}

    def __contains__(self, key) -> bool:
        return isinstance(key, str) and fold_label(key) in self.folded

    def __getitem__(self, key):
        try:
            return self.folded[fold_label(key)]
        except (KeyError, AttributeError):
            raise KeyError(key) from None

    def get(self, key, default=None):
        return self[key] if key in self else default


# Organization types as the workbook names them (docs/workbook.md §2) → the model's choices.
ORG_TYPE_LABELS = Labels(
    {
        "общеобразовательная": Organization.OrgType.SCHOOL,
        "дошкольная": Organization.OrgType.PRESCHOOL,
        "дополнительного образования": Organization.OrgType.ADDITIONAL,
        "СПО": Organization.OrgType.COLLEGE,
        "вуз": Organization.OrgType.UNIVERSITY,
        "ДПО": Organization.OrgType.DPO,
        "работодатель": Organization.OrgType.EMPLOYER,
        "орган управления": Organization.OrgType.AUTHORITY,
        "методическая служба": Organization.OrgType.METHODICAL_SERVICE,
    }
)

CATEGORY_LABELS = {
    "педагог": Category.TEACHER,
    "обучающийся": Category.STUDENT,
    "студент": Category.COLLEGE_STUDENT,
    "руководитель": Category.HEAD,
    "представитель работодателя": Category.EMPLOYER_REP,
    "выпускник": Category.GRADUATE,
}

STATUS_LABELS = {
    "черновик": Mentorship.Status.DRAFT,
    "действует": Mentorship.Status.ACTIVE,
    "завершена": Mentorship.Status.COMPLETED,
    "прекращена досрочно": Mentorship.Status.TERMINATED,
}

# The blank template's example rows carry codes under this prefix (docs/workbook.md §7): the import
# skips every row whose code, organization or municipality begins with it, so an example left in a
# filled-in template never creates or changes anything, whatever the registry holds.
EXAMPLE_PREFIX = "EXAMPLE-"
EXAMPLE_MUNICIPALITY = EXAMPLE_PREFIX + "M01"
EXAMPLE_ORGANIZATION = EXAMPLE_PREFIX + "OO16"
CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-/]*\Z")
SCHOOL_YEAR_PATTERN = re.compile(r"(\d{4})\s*[/\-–]\s*(\d{4})\Z")
DATE_PATTERN = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})\Z")
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+\Z")
# Every letter that unicodedata names LATIN … or CYRILLIC … lies in these blocks (a test checks it
# against the whole of Unicode); a text without letters of both is written in one alphabet.
MAYBE_LATIN = re.compile(
    "[A-Za-z\u00c0-\u02af\u1d00-\u1dbf\u1e00-\u1eff\u2090-\u209c\u2184\u2c60-\u2c7f"
    "\ua720-\ua7ff\uab30-\uab6f\ufb00-\ufb06\U0001df00-\U0001dfff]"
)
MAYBE_CYRILLIC = re.compile("[\u0400-\u052f\u1c80-\u1c8f\u1d2b\u2de0-\u2dff\ua640-\ua69f]")
WORDS = re.compile(r"(\s+)")
FORMULA_ESCAPE = re.compile(r"'(?=[=+\-@])")
MAX_CELL_TEXT = 2000


class CellError(ValueError):
    """A cell's value cannot be taken; the message says why, in Russian, without the location."""


def _script(char: str) -> str | None:
    if not char.isalpha():
        return None
    name = unicodedata.name(char, "")
    if name.startswith("CYRILLIC"):
        return "кириллица"
    if name.startswith("LATIN"):
        return "латиница"
    return None


def clean_text(value) -> str:
    """A text cell as stored: NFC, no control characters, spaces collapsed, trimmed.

    Invisible characters (zero-width spaces, direction overrides) are refused rather than
    dropped, so that «Иванов» with a hidden character is never a second «Иванов».
    """
    if value is None:
        return BLANK
    if value.__class__ is str:
        text = value
    else:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = str(value)
    if not text.isascii():  # ASCII is NFC already
        text = unicodedata.normalize("NFC", text)
    if REFUSED.search(text):
        match = INVISIBLE.search(text)
        if match:
            raise CellError(
                f"невидимый символ U+{ord(match.group()):04X} в позиции {match.start() + 1}; удалите его"
            )
        raise CellError("управляющий символ в тексте; удалите его")
    # Whitespace (str.split() and the regex «\s» agree on what it is, U+00A0 included) → one space.
    text = " ".join(text.split())
    # An export writes text that Excel would take for a formula with a leading apostrophe.
    if text.startswith("'"):
        text = FORMULA_ESCAPE.sub("", text, count=1)
    if len(text) > MAX_CELL_TEXT:
        raise CellError(f"текст длиннее {MAX_CELL_TEXT} символов")
    return text


def check_one_script(text: str) -> None:
    """«Ивaнов» with a Latin «a» is refused: each word is written in one alphabet."""
    if not (MAYBE_CYRILLIC.search(text) and MAYBE_LATIN.search(text)):
        return  # the usual case: one alphabet in the whole text
    position = 0
    for word in WORDS.split(text):
        first, letters = {}, {}  # script → its first position in the text, its number of letters
        for offset, char in enumerate(word):
            script = _script(char)
            if script:
                first.setdefault(script, position + offset)
                letters[script] = letters.get(script, 0) + 1
        if len(first) > 1:
            # The odd letters are the fewer ones («Cмирнова»: the Latin «C»), wherever they stand.
            minority = min(first, key=lambda s: (letters[s], -first[s]))
            where = first[minority] + 1
            raise CellError(
                f"в слове «{word}» смешаны кириллица и латиница ({minority} в позиции {where}); "
                "перепечатайте его одной раскладкой"
            )
        position += len(word)


def parse_text(value, max_length: int) -> str:
    text = clean_text(value)
    if len(text) > max_length:
        raise CellError(f"не более {max_length} символов, а здесь {len(text)}")
    return text


def parse_name(value, max_length: int) -> str:
    text = parse_text(value, max_length)
    check_one_script(text)
    return text


def parse_code(value, max_length: int = 20) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise CellError(
            "код записан числом; задайте ячейкам формат «Текстовый», иначе Excel теряет ведущие нули"
        )
    text = clean_text(value)
    for position, char in enumerate(text if MAYBE_CYRILLIC.search(text) else "", start=1):
        if _script(char) == "кириллица":
            raise CellError(
                f"в коде «{text}» кириллическая буква «{char}» в позиции {position}; "
                "коды пишутся латиницей и цифрами"
            )
    if text and not CODE_PATTERN.match(text):
        raise CellError(f"«{text}» не похоже на код: латинские буквы, цифры, точка, дефис")
    if len(text) > max_length:
        raise CellError(f"код длиннее {max_length} символов")
    return text


def parse_date(value) -> datetime.date | None:
    if value is None or value == BLANK:
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise CellError(f"{value:g} — число, а не дата; введите дату как ДД.ММ.ГГГГ")
    text = clean_text(value)
    match = DATE_PATTERN.match(text)
    if not match:
        raise CellError(f"«{text}» — не дата; ожидается ДД.ММ.ГГГГ")
    day, month, year = (int(x) for x in match.groups())
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise CellError(f"«{text}» — такой даты нет в календаре") from None


def parse_int(value) -> int | None:
    if value is None or value == BLANK:
        return None
    if isinstance(value, bool):
        raise CellError("ожидается целое число")
    if isinstance(value, float):
        if not value.is_integer():
            raise CellError(f"{value:g} — ожидается целое число")
        value = int(value)
    if isinstance(value, str):
        text = clean_text(value).replace(" ", "")
        if not re.fullmatch(r"\d+", text):
            raise CellError(f"«{text}» — ожидается целое неотрицательное число")
        value = int(text)
    if not isinstance(value, int):
        raise CellError("ожидается целое число")
    if value < 0:
        raise CellError("число не может быть отрицательным")
    return value


def parse_bool(value) -> bool | None:
    if isinstance(value, bool):
        return value
    text = clean_text(value).lower()
    if text in YES:
        return True
    if text in NO:
        return None if text == "" else False
    raise CellError(f"«{text}» — ожидается «да» или «нет»")


def parse_school_year(value) -> int | None:
    text = clean_text(value)
    if not text:
        return None
    match = SCHOOL_YEAR_PATTERN.match(text)
    if not match or int(match.group(2)) != int(match.group(1)) + 1:
        raise CellError(f"«{text}» — учебный год пишется как 2022/2023")
    return int(match.group(1))


def parse_email(value) -> str:
    text = parse_text(value, 254)
    if text and not EMAIL_PATTERN.match(text):
        raise CellError(f"«{text}» — не адрес электронной почты")
    return text


PHONE_PATTERN = re.compile(r"\+?[0-9][0-9 ()\-]{4,28}\Z")


def parse_phone(value) -> str:
    """A phone as text: a number cell has lost its «+» and any leading zero, and a long one shows
    as 7.9E+10 in Excel (docs/reliability.md #35), so it is refused rather than guessed."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise CellError(
            "телефон записан числом; задайте ячейке формат «Текстовый» и введите номер как +7 900 000-00-00"
        )
    text = parse_text(value, 30)
    if text and not PHONE_PATTERN.match(text):
        raise CellError(f"«{text}» не похоже на телефон: цифры, пробелы, скобки, дефисы и «+» в начале")
    return text


def parse_url(value) -> str:
    text = parse_text(value, 200)
    if text and not re.match(r"https?://\S+\Z", text):
        raise CellError(f"«{text}» — адрес сайта начинается с http:// или https://")
    return text


def choice_parser(labels: dict, what: str) -> Callable:
    lookup = {fold_label(label): value for label, value in labels.items()}

    def parse(value):
        text = clean_text(value)
        if not text:
            return None
        found = lookup.get(fold_label(text))
        if found is not None:
            return found
        allowed = ", ".join(labels)
        raise CellError(f"«{text}» — неизвестн{what}; допустимо: {allowed}")

    return parse


def label_of(labels: dict, value) -> str:
    for label, stored in labels.items():
        if stored == value:
            return label
    return str(value or "")


@dataclasses.dataclass(frozen=True)
class Column:
    header: str
    field: str
    parse: Callable = parse_text
    required: bool = False
    # Values a blank template offers in a drop-down (data validation), if any.
    choices: tuple[str, ...] = ()
    example: object = ""

    @property
    def key(self) -> str:
        return header_key(self.header)


@dataclasses.dataclass(frozen=True)
class SheetSpec:
    name: str
    columns: tuple[Column, ...]

    def column(self, field: str) -> Column:
        return next(c for c in self.columns if c.field == field)


# The sheets of the format by header key, filled as the apps register their handlers
# (``registry.workbook.engine.register``): the file check bounds their columns before any reader runs.
REGISTERED_SPECS: dict[str, SheetSpec] = {}


def header_key(text) -> str:
    """Headers match after trimming, collapsing spaces and case-folding; the «*» of a template is ignored."""
    text = unicodedata.normalize("NFC", str(text or "")).replace("\u00a0", " ")
    return re.sub(r"\s+", " ", text.replace("*", "")).strip().casefold().replace("ё", "е")


def text(max_length: int) -> Callable:
    return lambda value: parse_text(value, max_length)


def name(max_length: int) -> Callable:
    return lambda value: parse_name(value, max_length)


parse_org_type = choice_parser(ORG_TYPE_LABELS, "ый тип ОО")
parse_category = choice_parser(CATEGORY_LABELS, "ая категория")
parse_status = choice_parser(STATUS_LABELS, "ый статус")
parse_consent_version = choice_parser({v: v for v in CONSENT_TEXT_VERSIONS}, "ая версия текста согласия")

MUNICIPALITIES = SheetSpec(
    "Муниципалитеты",
    (
        Column("Код", "code", parse_code, required=True, example=EXAMPLE_MUNICIPALITY),
        Column("Наименование", "name", name(200), required=True, example="Октябрьский район"),
        Column("Регион", "region", text(200), example="Демонстрационная область"),
    ),
)

ORGANIZATIONS = SheetSpec(
    "Организации",
    (
        Column("Код ОО", "code", parse_code, required=True, example=EXAMPLE_ORGANIZATION),
        Column("Наименование", "full_name", text(500), required=True, example="МБОУ «Средняя школа № 16»"),
        Column("Краткое наименование", "short_name", text(200), example="СОШ № 16"),
        Column("Муниципалитет", "municipality", text(200), required=True, example=EXAMPLE_MUNICIPALITY),
        Column(
            "Тип ОО",
            "org_type",
            parse_org_type,
            required=True,
            choices=tuple(ORG_TYPE_LABELS),
            example="общеобразовательная",
        ),
        Column("ШНОР", "low_results", parse_bool, choices=("да", "нет"), example="нет"),
        Column("Сайт", "site_url", parse_url, example="https://school16.example.ru"),
    ),
)

HEADCOUNT = SheetSpec(
    "Контингент",
    (
        Column("Код ОО", "organization", parse_code, required=True, example=EXAMPLE_ORGANIZATION),
        Column("Учебный год", "school_year", parse_school_year, required=True, example="2022/2023"),
        Column("Педагогов всего", "teachers", parse_int, required=True, example=42),
        Column("Молодых специалистов", "young_specialists", parse_int, required=True, example=5),
        Column("Обучающихся всего", "students", parse_int, required=True, example=610),
        Column("Обучающихся от 10 лет", "students_10_plus", parse_int, example=380),
    ),
)


def _person_columns(full_name: str, birth_date: datetime.date, experience: int) -> tuple[Column, ...]:
    """The person columns of «Наставники» and «Наставляемые»; each sheet has its own example person."""
    return (
        Column("Код ОО", "organization", parse_code, required=True, example=EXAMPLE_ORGANIZATION),
        Column("ФИО", "full_name", name(300), required=True, example=full_name),
        Column("Дата рождения", "birth_date", parse_date, required=True, example=birth_date),
        Column(
            "Категория",
            "category",
            parse_category,
            required=True,
            choices=tuple(label for label in CATEGORY_LABELS if label != "выпускник"),
            example="педагог",
        ),
        Column("Должность", "position", text(200), example="учитель математики"),
        Column("Предмет", "subject", text(200), example="математика"),
        Column("Класс", "grade", text(10)),
        Column("Педагогический стаж", "teaching_experience", parse_int, example=experience),
    )


def _consent_columns() -> tuple[Column, ...]:
    """Consent to processing personal data (docs/reliability.md §3.1): a row without it is refused;
    for a pupil, or anyone under 18 on the consent date, the legal representative too."""
    return (
        Column("Дата согласия", "consent_date", parse_date, required=True, example=datetime.date(2024, 9, 2)),
        Column("Законный представитель", "consent_giver", name(300)),
        Column(
            "Версия согласия",
            "consent_text_version",
            parse_consent_version,
            required=True,
            choices=CONSENT_TEXT_VERSIONS,
            example=CONSENT_TEXT_VERSIONS[-1],
        ),
    )


# The example mentor and mentee are the example pair's («Наставнические пары»).
MENTORS = SheetSpec(
    "Наставники",
    (
        *_person_columns("Иванова Мария Петровна", datetime.date(1985, 4, 12), 15),
        Column("Обучен", "trained_as_mentor", parse_bool, choices=("да", "нет"), example="да"),
        Column("Email", "email", parse_email, example="ivanova@example.ru"),
        Column("Телефон", "phone", parse_phone),
        *_consent_columns(),
    ),
)

MENTEES = SheetSpec(
    "Наставляемые",
    (
        *_person_columns("Смирнов Олег Игоревич", datetime.date(1999, 9, 1), 1),
        Column("Email", "email", parse_email),
        Column("Телефон", "phone", parse_phone),
        *_consent_columns(),
    ),
)

MENTORSHIPS = SheetSpec(
    "Наставнические пары",
    (
        Column("Код ОО", "organization", parse_code, required=True, example=EXAMPLE_ORGANIZATION),
        Column("Форма наставничества", "form", text(200), required=True, example="учитель – учитель"),
        Column("Группа", "group_name", text(100)),
        Column("Наставник ФИО", "mentor_name", name(300), example="Иванова Мария Петровна"),
        Column(
            "Наставник дата рождения", "mentor_birth_date", parse_date, example=datetime.date(1985, 4, 12)
        ),
        Column("Наставник код ОО", "mentor_organization", parse_code),
        Column("Наставляемый ФИО", "mentee_name", name(300), example="Смирнов Олег Игоревич"),
        Column(
            "Наставляемый дата рождения", "mentee_birth_date", parse_date, example=datetime.date(1999, 9, 1)
        ),
        Column("ОО-наставник код", "mentor_org_code", parse_code),
        Column("ОО-наставляемая код", "mentee_org_code", parse_code),
        Column("Дата начала", "start_date", parse_date, required=True, example=datetime.date(2022, 9, 1)),
        Column("Дата окончания", "end_date", parse_date),
        Column("Статус", "status", parse_status, choices=tuple(STATUS_LABELS), example="действует"),
    ),
)
