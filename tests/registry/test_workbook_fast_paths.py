"""The workbook import's fast paths give what the slow ones gave.

* PostgreSQL writes the created people, bases, pairs and links with COPY (registry/workbook/copy.py):
  the rows and the history rows must be those that ``bulk_create_with_history`` writes for
  the same file, field by field (ids and timestamps aside).
* Text cells are cleaned in fewer passes and names checked for mixed alphabets only when
  they hold letters of both: the results and the refusals are those of the old code.
* Each column parses a repeated cell once: every bad cell is still reported on its own row.
"""

import datetime
import io
import random
import re
import sys
import unicodedata

import pytest
from django.db import IntegrityError, connection, transaction
from openpyxl import load_workbook

from common import text as text_module
from registry import services
from registry.models import (
    BaseMembership,
    HistoricalBaseMembership,
    HistoricalMentorship,
    HistoricalMentorshipLink,
    HistoricalPerson,
    Mentorship,
    MentorshipLink,
    Organization,
    Person,
)
from registry.resources import LabelWidget
from registry.workbook import copy, schema
from registry.workbook.engine import import_workbook
from registry.workbook.export import export_workbook
from tests import factories as f
from tests.registry.workbook_files import (
    MENTEES,
    MENTORS,
    ORGANIZATIONS,
    PAIRS,
    mentee,
    mentor,
    pair,
    write_workbook,
)

D = datetime.date
START = D(2022, 9, 1)
MARIA = ("Иванова Мария Петровна", D(1975, 4, 12))
PAVEL = ("Сидоров Павел Ильич", D(1970, 5, 5))
PETYA = ("Кузнецов Пётр Ильич", D(2008, 2, 2))
OLEG = ("Смирнов Олег Игоревич", D(1999, 9, 1))
ANTON = ("Аверин Антон Андреевич", D(2011, 3, 5))
VERA = ("Белова Вера Викторовна", D(2011, 7, 9))

# ---------------------------------------------------------------- COPY = bulk_create_with_history


def _sheets() -> dict:
    """People and pairs of every shape: a group, «ОО – ОО», a mentor of another school, a closed pair."""
    return {
        "Организации": [
            ORGANIZATIONS,
            ["D0117", "МБОУ «СОШ № 17»", "СОШ № 17", "M01", "СПО", "нет", None],
        ],
        "Наставники": [
            MENTORS,
            mentor("D0116", *MARIA, Обучен="да", Должность="учитель математики", Email="m@example.ru"),
            mentor("D0116", *PETYA, "обучающийся", Класс="10А", Обучен="нет"),
            mentor("D0117", *PAVEL, Телефон="+7 900 000-00-02"),
        ],
        "Наставляемые": [
            MENTEES,
            mentee("D0116", *OLEG, Телефон="+7 900 000-00-01"),
            mentee("D0116", *ANTON, "обучающийся", Класс="8Б"),
            mentee("D0116", *VERA, "обучающийся", Класс="8Б"),
        ],
        "Наставнические пары": [
            PAIRS,
            pair("D0116", "учитель – учитель", START, mentor=MARIA, mentee=OLEG),
            pair("D0116", "ученик – ученик", START, mentor=PETYA, mentee=ANTON),
            pair("D0116", "учитель – ученик", START, mentor=MARIA, mentee=ANTON, Группа="Группа 8Б"),
            pair("D0116", "учитель – ученик", START, mentor=MARIA, mentee=VERA, Группа="Группа 8Б"),
            pair("D0116", "ОО – ОО", START, **{"ОО-наставник код": "D0116", "ОО-наставляемая код": "D0117"}),
            pair(
                "D0116",
                "учитель – учитель",
                D(2021, 9, 1),
                mentor=PAVEL,
                mentee=OLEG,
                **{
                    "Наставник код ОО": "D0117",
                    "Дата окончания": D(2022, 5, 31),
                    "Статус": "прекращена досрочно",
                },
            ),
        ],
    }


MODELS = [
    Person,
    HistoricalPerson,
    BaseMembership,
    HistoricalBaseMembership,
    Mentorship,
    HistoricalMentorship,
    MentorshipLink,
    HistoricalMentorshipLink,
]
MOMENTS = {"history_id", "history_date", "created_at", "updated_at"}


def _snapshot() -> dict[str, list]:
    """Every row the import wrote, ids replaced by what they stand for (codes, names, pairs' keys)."""
    orgs = {pk: ("ОО", code) for pk, code in Organization.objects.values_list("id", "code")}
    persons = {
        p.id: ("участник", orgs[p.organization_id], p.full_name, p.birth_date) for p in Person.objects.all()
    }
    members = {m.id: ("база", persons[m.person_id], m.base) for m in BaseMembership.objects.all()}
    mentees: dict = {}
    for link in MentorshipLink.objects.all():
        who = persons.get(link.mentee_person_id) or orgs.get(link.mentee_organization_id)
        mentees.setdefault(link.mentorship_id, set()).add(who)
    pairs = {
        ms.id: (
            "пара",
            orgs[ms.organization_id],
            ms.mentoring_form_id,
            persons.get(ms.mentor_person_id) or orgs.get(ms.mentor_organization_id),
            ms.start_date,
            ms.group_name,
            tuple(sorted(mentees[ms.id], key=repr)),
        )
        for ms in Mentorship.objects.all()
    }
    links = {
        link.id: (
            "связь",
            pairs[link.mentorship_id],
            persons.get(link.mentee_person_id) or orgs.get(link.mentee_organization_id),
        )
        for link in MentorshipLink.objects.all()
    }
    by_field = {
        "organization_id": orgs,
        "mentor_organization_id": orgs,
        "mentee_organization_id": orgs,
        "person_id": persons,
        "mentor_person_id": persons,
        "mentee_person_id": persons,
        "mentorship_id": pairs,
    }
    own_ids = {
        "Person": persons,
        "BaseMembership": members,
        "Mentorship": pairs,
        "MentorshipLink": links,
    }
    snapshot = {}
    for model in MODELS:
        ids = own_ids[model.__name__.removeprefix("Historical")]
        rows = []
        for values in model.objects.values():
            row = {}
            for field, value in values.items():
                if field in MOMENTS:
                    continue
                names = ids if field == "id" else by_field.get(field)
                row[field] = names.get(value, value) if names is not None and value is not None else value
            rows.append(tuple(sorted(row.items())))
        snapshot[model.__name__] = sorted(rows, key=repr)
    return snapshot


class _Rollback(Exception):
    pass


def _check_rows_against_the_file() -> None:
    """What both paths share (the values they write), against the file and services' definitions."""
    for link in MentorshipLink.objects.select_related("mentorship__mentor_person", "mentee_person"):
        wanted = {
            **services.mentorship_link_fields(mentorship=link.mentorship),
            **services.mentee_link_fields(mentee=link.mentee_person),
        }
        assert {name: getattr(link, name) for name in wanted} == wanted
    maria = Person.objects.get(full_name=MARIA[0])
    assert (maria.position, maria.email, maria.teaching_experience, maria.version) == (
        "учитель математики",
        "m@example.ru",
        15,
        1,
    )
    assert Person.objects.get(full_name=PAVEL[0]).phone == "+7 900 000-00-02"
    trained = dict(
        BaseMembership.objects.filter(base="mentors").values_list("person__full_name", "trained_as_mentor")
    )
    assert trained == {MARIA[0]: True, PETYA[0]: False, PAVEL[0]: False}
    assert set(BaseMembership.objects.values_list("included_on", flat=True)) == {datetime.date.today()}
    group = Mentorship.objects.get(group_name="Группа 8Б")
    assert group.mode == Mentorship.Mode.GROUP and group.links.count() == 2
    assert set(Mentorship.objects.exclude(pk=group.pk).values_list("mode", flat=True)) == {"individual"}


def _import_and_rollback(path, user) -> dict[str, list]:
    try:
        with transaction.atomic():
            report = import_workbook(path, user=user)
            assert report.errors == [] and report.committed
            _check_rows_against_the_file()
            snapshot = _snapshot()
            raise _Rollback
    except _Rollback:
        pass
    assert not Person.objects.exists()
    return snapshot


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_copy_writes_the_rows_and_history_rows_that_the_orm_writes(region, admin_user, tmp_path, monkeypatch):
    municipality = f.make_municipality(region=region, code="M01", name="Октябрьский район")
    f.make_organization(municipality=municipality, code="D0116")
    path = write_workbook(tmp_path / "book.xlsx", _sheets())

    copied = []
    write = copy.Table.write
    monkeypatch.setattr(
        copy.Table, "write", lambda table, rows: copied.append(len(rows)) or write(table, rows)
    )
    with_copy = _import_and_rollback(path, admin_user)
    assert len(copied) == 6, "people, bases (two sheets), pairs and links went through COPY"

    monkeypatch.setattr(copy, "available", lambda: False)  # bulk_create_with_history, as on SQLite
    copied.clear()
    with_orm = _import_and_rollback(path, admin_user)
    assert copied == []

    assert with_copy.keys() == with_orm.keys()
    for table in with_orm:
        assert with_copy[table] == with_orm[table], table
    history = dict(with_copy["HistoricalMentorshipLink"][0])
    assert history["history_type"] == "+"
    assert history["history_change_reason"] == "Импорт из Excel"
    assert history["history_user_id"] == admin_user.pk
    assert "mentee_category" not in history  # excluded from the links' history
    counts = {table: len(rows) for table, rows in with_copy.items()}
    assert counts == {
        "Person": 6,
        "HistoricalPerson": 6,
        "BaseMembership": 6,
        "HistoricalBaseMembership": 6,
        "Mentorship": 5,
        "HistoricalMentorship": 5,
        "MentorshipLink": 6,
        "HistoricalMentorshipLink": 6,
    }
    terminated = [dict(r) for r in with_copy["Mentorship"] if dict(r)["status"] == "terminated"]
    assert terminated[0]["termination_reason"] == "Указано в загруженном файле"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_a_copy_that_breaks_a_constraint_leaves_nothing(region, tmp_path, monkeypatch):
    """A duplicate slipping past the checks is refused by the database, inside the import's transaction."""
    municipality = f.make_municipality(region=region, code="M01", name="Октябрьский район")
    school = f.make_organization(municipality=municipality, code="D0116")
    f.make_person(organization=school, full_name=OLEG[0], birth_date=OLEG[1])
    path = write_workbook(tmp_path / "book.xlsx", {"Наставляемые": [MENTEES, mentee("D0116", *OLEG)]})
    # The plan thinks the stored Олег is a stranger: the COPY meets the natural-key constraint.
    monkeypatch.setattr("registry.workbook.sheets.people.load_people", lambda ctx, refs: None)
    with pytest.raises(IntegrityError):
        import_workbook(path)
    assert Person.objects.count() == 1 and not BaseMembership.objects.exists()
    assert not HistoricalBaseMembership.objects.exists()


# ---------------------------------------------------------------- text cells


def _old_clean_text(value) -> str:
    """clean_text as it was: several regular expressions per cell."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFC", str(value))
    match = text_module.INVISIBLE.search(text)
    if match:
        raise schema.CellError(
            f"невидимый символ U+{ord(match.group()):04X} в позиции {match.start() + 1}; удалите его"
        )
    if text_module.CONTROL.search(text):
        raise schema.CellError("управляющий символ в тексте; удалите его")
    text = re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()
    text = schema.FORMULA_ESCAPE.sub("", text, count=1) if text.startswith("'") else text
    if len(text) > schema.MAX_CELL_TEXT:
        raise schema.CellError(f"текст длиннее {schema.MAX_CELL_TEXT} символов")
    return text


def _outcome(function, value):
    try:
        return ("ok", function(value))
    except schema.CellError as error:
        return ("refused", str(error))


def test_clean_text_gives_what_the_regex_version_gave():
    pool = list("Ивaнов Ёжик Cмирнова ABC abc 123 '=+-@.,") + [
        " ",
        "\t",
        "\n",
        "\r",
        "\u00a0",
        "\u2009",
        "\u3000",
        "\x1c",
        "\x1f",
        "\x00",
        "\x7f",
        "\u200b",
        "\ufeff",
        "\u202e",
        "\u00ad",
        "е\u0308",  # е + combining diaeresis: NFC makes it ё
        "\u0301",
    ]
    rng = random.Random(4)
    values = [None, 1.0, 2.5, 7, True, "", "   ", "'=A1", "''=A1", "a '=b", "x" * 2001, " x " * 700]
    values += ["".join(rng.choice(pool) for _ in range(rng.randint(0, 12))) for _ in range(5000)]
    for value in values:
        assert _outcome(schema.clean_text, value) == _outcome(_old_clean_text, value), repr(value)


def test_the_alphabet_blocks_hold_every_latin_and_cyrillic_letter():
    """check_one_script's fast path skips a text without letters of both: its blocks must miss none."""
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        script = schema._script(char)
        if script == "латиница":
            assert schema.MAYBE_LATIN.match(char), f"U+{code:04X}"
        elif script == "кириллица":
            assert schema.MAYBE_CYRILLIC.match(char), f"U+{code:04X}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Иванов Иван", None),
        ("Smith John", None),
        ("Иванов John Ёжиков", None),
        ("Ivanov Ё", None),
        ("Ивaнова", "в слове «Ивaнова» смешаны кириллица и латиница (латиница в позиции 3)"),
        ("Петров Cмирнова", "в слове «Cмирнова» смешаны кириллица и латиница (латиница в позиции 8)"),
        ("Jоhn Smith", "в слове «Jоhn» смешаны кириллица и латиница (кириллица в позиции 2)"),
        ("Мüller Ёж", "в слове «Мüller» смешаны кириллица и латиница (кириллица в позиции 1)"),
    ],
)
def test_mixed_alphabets_are_found_within_a_word(text, message):
    if message is None:
        schema.check_one_script(text)
    else:
        with pytest.raises(schema.CellError) as refused:
            schema.check_one_script(text)
        assert str(refused.value).startswith(message)


def test_a_code_with_a_cyrillic_letter_names_it():
    with pytest.raises(schema.CellError) as refused:
        schema.parse_code("D01С6")  # a Cyrillic «С»
    assert str(refused.value) == (
        "в коде «D01С6» кириллическая буква «С» в позиции 4; коды пишутся латиницей и цифрами"
    )
    assert schema.parse_code("D0116") == "D0116"


def test_a_repeated_bad_cell_is_reported_on_every_row(db, tmp_path):
    f.make_organization(code="D0116")
    rows = [MENTORS] + [mentor("D0116", f"Учитель Номер {n}", "31.02.1975") for n in range(3)]
    report = import_workbook(write_workbook(tmp_path / "book.xlsx", {"Наставники": rows}))
    assert report.errors == [
        f"Лист «Наставники», строка {n}, столбец «Дата рождения»: «31.02.1975» — такой даты нет в календаре"
        for n in (2, 3, 4)
    ]
    assert not Person.objects.exists()


# ---------------------------------------------------------------- labels and examples


def test_organization_types_are_written_as_design_spells_them_and_read_in_any_case(db):
    assert "СПО" in schema.ORG_TYPE_LABELS and "ДПО" in schema.ORG_TYPE_LABELS
    for text in ("СПО", "спо", "Спо", " спо "):
        assert schema.parse_org_type(text) == Organization.OrgType.COLLEGE
    assert schema.parse_org_type("дпо") == Organization.OrgType.DPO
    assert LabelWidget(schema.ORG_TYPE_LABELS).clean("СПО") == Organization.OrgType.COLLEGE  # the admin's
    college = f.make_organization(code="C0001", org_type=Organization.OrgType.COLLEGE)
    content = export_workbook(Organization.objects.filter(pk=college.pk))
    sheet = load_workbook(io.BytesIO(content), read_only=True)["Организации"]
    assert [row[4] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["СПО"]


def test_the_mentees_sheet_has_its_own_example_the_pairs_mentee():
    example = {c.field: c.example for c in schema.MENTEES.columns}
    pairs = schema.MENTORSHIPS
    assert example["full_name"] == pairs.column("mentee_name").example == "Смирнов Олег Игоревич"
    assert example["birth_date"] == pairs.column("mentee_birth_date").example == D(1999, 9, 1)
    assert example["category"] == "педагог" and example["teaching_experience"] == 1
    mentors = {c.field: c.example for c in schema.MENTORS.columns}
    assert mentors["full_name"] == pairs.column("mentor_name").example
