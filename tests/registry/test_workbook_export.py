"""The workbook out (docs/workbook.md §2, §6): export, blank template, ``manage.py export_workbook``.

The export must import back with the same engine: the round trip below exports a small
registry, empties the registry tables, imports the file and exports again, and the two
files must hold the same cells.
"""

import datetime
import io
import itertools
import re
import tempfile
import uuid
import zipfile

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from registry import services
from registry.models import (
    BaseMembership,
    Category,
    Headcount,
    MentoringForm,
    Mentorship,
    MentorshipLink,
    Municipality,
    Organization,
    OrganizationStatus,
    Person,
    Region,
)
from registry.workbook import schema
from registry.workbook.engine import handlers, import_workbook
from registry.workbook.export import (
    INFO_SHEET,
    INSTRUCTION_SHEET,
    LISTS_SHEET,
    blank_template,
    export_workbook,
    write_workbook,
)
from tests import factories as f

FORMULA_TEXTS = {
    "position": '=HYPERLINK("http://example.com","x")',
    "subject": "-1+2",
    "phone": "+7 900 000-00-00",
    "grade": "@7А",
}
# Text that already begins with an apostrophe before a formula character keeps it.
QUOTED_TEXT = "'=A1 уже с апострофом"


def _load(content: bytes, **kw):
    return load_workbook(io.BytesIO(content), **kw)


def _values(content: bytes, *, skip=(INFO_SHEET,)) -> dict[str, list[tuple]]:
    book = _load(content, read_only=True)
    return {
        sheet.title: [tuple(row) for row in sheet.iter_rows(values_only=True)]
        for sheet in book.worksheets
        if sheet.title not in skip
    }


def _sheet_xml(content: bytes) -> dict[str, str]:
    """Sheet name → the XML of that worksheet."""
    archive = zipfile.ZipFile(io.BytesIO(content))
    names = re.findall(r'<sheet name="([^"]+)" sheetId="(\d+)"', archive.read("xl/workbook.xml").decode())
    return {name: archive.read(f"xl/worksheets/sheet{number}.xml").decode() for name, number in names}


def _member(person: Person, base: str, **kw) -> Person:
    BaseMembership.objects.create(
        organization=person.organization,
        person=person,
        base=base,
        included_on=datetime.date(2022, 9, 1),
        **kw,
    )
    return person


def _teacher(org, name, birth, *, base="mentors", **kw) -> Person:
    kw.setdefault("teaching_experience", 12)
    person = f.make_person(
        organization=org, full_name=name, birth_date=birth, category=Category.TEACHER, **kw
    )
    return _member(person, base, trained_as_mentor=base == "mentors")


def _student(org, name, birth, **kw) -> Person:
    kw.setdefault("grade", "8Б")
    person = f.make_person(
        organization=org,
        full_name=name,
        birth_date=birth,
        category=Category.STUDENT,
        teaching_experience=None,
        **kw,
    )
    return _member(person, "mentees")


@pytest.fixture
def registry_data(db):
    """Two municipalities; in the first two schools with pairs of every shape, in the second one school."""
    region = f.make_region(code="R77", name="Тестовая область")
    north = f.make_municipality(region=region, code="MN", name="Северный район")
    south = f.make_municipality(region=region, code="MS", name="Южный район")
    a1 = f.make_organization(
        municipality=north,
        code="N001",
        full_name="МБОУ «СОШ № 1»",
        short_name="СОШ № 1",
        site_url="https://school1.example.ru",
    )
    a2 = f.make_organization(
        municipality=north, code="N002", full_name="МБОУ «СОШ № 2»", short_name="СОШ № 2"
    )
    b1 = f.make_organization(
        municipality=south, code="S001", full_name="МБОУ «СОШ № 9»", short_name="СОШ № 9"
    )
    OrganizationStatus.objects.create(
        organization=a2, kind=OrganizationStatus.Kind.LOW_RESULTS, start_date=datetime.date(2022, 1, 10)
    )
    f.make_headcount(organization=a1, school_year=2022, teachers=40, young_specialists=4, students=400)
    f.make_headcount(organization=a1, school_year=2023, teachers=41, young_specialists=5, students=410)
    f.make_headcount(organization=b1, school_year=2022, students_10_plus=None)

    mentor = _teacher(a1, "Иванова Мария Петровна", datetime.date(1975, 4, 12), email="ivanova@example.ru")
    young = _teacher(
        a1, "Смирнов Олег Игоревич", datetime.date(1999, 9, 1), base="mentees", teaching_experience=1
    )
    formula = _teacher(
        a1, "Формулова Анна Сергеевна", datetime.date(1990, 2, 3), base="mentees", **FORMULA_TEXTS
    )
    visiting = _teacher(a2, "Петров Пётр Петрович", datetime.date(1970, 1, 1), position=QUOTED_TEXT)
    pupils = [
        _student(a1, "Аверин Антон Андреевич", datetime.date(2011, 3, 5)),
        _student(a1, "Белова Вера Викторовна", datetime.date(2011, 7, 9)),
    ]
    start = datetime.date(2022, 9, 1)
    f.make_mentorship(
        organization=a1,
        mentoring_form=f.form("teacher_teacher"),
        mentor_person=mentor,
        mentees=[young],
        start_date=start,
    )
    group = f.make_mentorship(
        organization=a1,
        mentoring_form=f.form("teacher_student"),
        mentor_person=mentor,
        mentees=pupils,
        group_name="Группа 7А",
        mode=Mentorship.Mode.GROUP,
        start_date=start,
    )
    # A mentor from another school of the municipality, and a completed pair.
    f.make_mentorship(
        organization=a1,
        mentoring_form=f.form("experienced_young"),
        mentor_person=visiting,
        mentees=[formula],
        start_date=start,
    )
    done = f.make_mentorship(
        organization=a1,
        mentoring_form=f.form("peer_teachers"),
        mentor_person=mentor,
        mentees=[formula],
        start_date=datetime.date(2021, 9, 1),
    )
    services.mentorship_transition(mentorship=done, status="completed", end_date=datetime.date(2022, 5, 31))
    f.make_mentorship(
        organization=a1,
        mentoring_form=f.form("org_org"),
        mentor_organization=a1,
        mentees=[a2],
        start_date=start,
    )
    b_mentor = _teacher(b1, "Южная Юлия Юрьевна", datetime.date(1980, 6, 6))
    b_mentee = _teacher(
        b1, "Южный Юрий Юрьевич", datetime.date(2000, 6, 6), base="mentees", teaching_experience=2
    )
    f.make_mentorship(organization=b1, mentor_person=b_mentor, mentees=[b_mentee], start_date=start)
    return {"region": region, "north": north, "south": south, "a1": a1, "a2": a2, "b1": b1, "group": group}


def _flush_registry() -> None:
    """Empty the registry tables, dependants first; the forms of mentoring stay (installation data)."""
    for model in (
        MentorshipLink,
        Mentorship,
        BaseMembership,
        Person,
        Headcount,
        OrganizationStatus,
        Organization,
        Municipality,
        Region,
    ):
        model.objects.all().delete()


# ---------------------------------------------------------------- the export


def test_every_sheet_is_its_spec_headers_in_row_one_frozen(registry_data):
    content = export_workbook(Organization.objects.all())
    book = _load(content)
    specs = [h.spec for h in handlers()]
    assert book.sheetnames == [*[s.name for s in specs], INFO_SHEET]
    for spec in specs:
        sheet = book[spec.name]
        assert [c.value for c in sheet[1]] == [c.header for c in spec.columns]
        assert all(c.font.b for c in sheet[1])
        assert sheet.freeze_panes == "A2"
        assert all(sheet.column_dimensions[letter].width >= 8 for letter in "ABC")
    pairs = _values(content)[schema.MENTORSHIPS.name]
    assert len(pairs) == 1 + 7  # header + one row per mentee (the group has two)


def test_formula_looking_text_is_written_as_text_and_imports_back_as_it_was(registry_data, tmp_path):
    content = export_workbook(Organization.objects.all())
    for name, xml in _sheet_xml(content).items():
        assert "<f>" not in xml and "<f " not in xml, name
    mentees = _load(content)[schema.MENTEES.name]
    header = [c.value for c in mentees[1]]
    row = next(r for r in mentees.iter_rows(min_row=2) if r[1].value == "Формулова Анна Сергеевна")
    for field, text in FORMULA_TEXTS.items():
        cell = row[header.index(schema.MENTEES.column(field).header)]
        assert cell.data_type == "s"
        assert cell.value == "'" + text

    mentors = _load(content)[schema.MENTORS.name]
    position = next(r[4] for r in mentors.iter_rows(min_row=2) if r[1].value == "Петров Пётр Петрович")
    assert position.value == "'" + QUOTED_TEXT

    path = tmp_path / "export.xlsx"
    path.write_bytes(content)
    Person.objects.filter(full_name="Формулова Анна Сергеевна").update(
        position="", subject="", phone="", grade=""
    )
    Person.objects.filter(full_name="Петров Пётр Петрович").update(position="")
    report = import_workbook(path)
    assert report.errors == []
    person = Person.objects.get(full_name="Формулова Анна Сергеевна")
    assert {field: getattr(person, field) for field in FORMULA_TEXTS} == FORMULA_TEXTS
    assert Person.objects.get(full_name="Петров Пётр Петрович").position == QUOTED_TEXT


def test_dates_are_excel_dates_and_numbers_are_numbers(registry_data):
    book = _load(export_workbook(Organization.objects.all()))
    mentors = book[schema.MENTORS.name]
    birth = mentors.cell(row=2, column=3)
    assert birth.is_date and birth.number_format == "DD.MM.YYYY"
    assert birth.value.date() == datetime.date(1975, 4, 12)
    assert mentors.cell(row=2, column=8).value == 12 and mentors.cell(row=2, column=8).data_type == "n"
    headcount = book[schema.HEADCOUNT.name]
    assert [c.value for c in headcount[2]] == ["N001", "2022/2023", 40, 4, 400, 240]
    pairs = book[schema.MENTORSHIPS.name]
    starts = [r[10] for r in pairs.iter_rows(min_row=2)]
    assert all(c.is_date and c.number_format == "DD.MM.YYYY" for c in starts)


def test_the_watermark_is_in_the_properties_and_on_the_last_sheet(registry_data, django_user_model):
    user = django_user_model.objects.create_user("exporter", first_name="Ирина", last_name="Кураторова")
    book = _load(export_workbook(Organization.objects.all(), user=user))
    assert book.properties.creator == "Ирина Кураторова (exporter)"
    assert book.properties.description.startswith("Выгрузил: Ирина Кураторова (exporter), ")
    assert "персональные данные" in book.properties.description
    info = [r[0] for r in book[INFO_SHEET].iter_rows(values_only=True) if r[0]]
    assert re.fullmatch(r"Выгрузил: Ирина Кураторова \(exporter\), \d\d\.\d\d\.\d{4} \d\d:\d\d", info[1])
    assert any("персональные данные" in line for line in info)
    # The data sheets carry no watermark: their header stays in row 1.
    assert book[schema.MENTORS.name]["A1"].value == "Код ОО"


def test_one_municipality_exports_nothing_of_another(registry_data):
    north = registry_data["north"]
    sheets = _values(export_workbook(Organization.objects.filter(municipality=north), region_wide=False))
    text = repr(sheets)
    assert "S001" not in text and "Южн" not in text and "MS" not in [r[0] for r in sheets["Муниципалитеты"]]
    assert [r[0] for r in sheets["Организации"][1:]] == ["N001", "N002"]
    assert {r[0] for r in sheets["Наставники"][1:]} == {"N001", "N002"}
    assert {r[0] for r in sheets["Наставляемые"][1:]} == {"N001"}
    assert {r[0] for r in sheets["Наставнические пары"][1:]} == {"N001"}
    south = _values(export_workbook(Organization.objects.filter(municipality=registry_data["south"])))
    assert [r[1] for r in south["Наставники"][1:]] == ["Южная Юлия Юрьевна"]
    assert [r[6] for r in south["Наставнические пары"][1:]] == ["Южный Юрий Юрьевич"]


def test_write_workbook_writes_a_file_and_counts_rows(registry_data, tmp_path):
    path = tmp_path / "книга.xlsx"
    counts = write_workbook(path, Organization.objects.all())
    assert counts["Наставнические пары"] == 7
    assert counts["Организации"] == 3
    assert _values(path.read_bytes())["Организации"][1][0] == "N001"


def test_an_export_that_fails_halfway_leaves_no_file_and_no_temporary_rows(
    registry_data, tmp_path, monkeypatch
):
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    mentees = next(h for h in handlers() if h.spec.name == schema.MENTEES.name)

    def broken(organizations, ctx):
        yield from itertools.islice(type(mentees).export_rows(mentees, organizations, ctx), 1)
        raise RuntimeError("соединение с базой потеряно")

    monkeypatch.setattr(mentees, "export_rows", broken)
    path = tmp_path / "partial.xlsx"
    with pytest.raises(RuntimeError):
        write_workbook(path, Organization.objects.all())
    assert not path.exists()
    assert list(temporary.iterdir()) == []


# ---------------------------------------------------------------- the command


def _run(*args) -> str:
    out = io.StringIO()
    call_command("export_workbook", *args, stdout=out)
    return out.getvalue()


def test_command_exports_the_region_by_default(registry_data, tmp_path):
    path = tmp_path / "all.xlsx"
    output = _run(str(path))
    assert "Наставнические пары: записано строк 7" in output
    assert "Организации: записано строк 3" in output
    assert [r[0] for r in _values(path.read_bytes())["Организации"][1:]] == ["N001", "N002", "S001"]


def test_command_narrows_to_a_municipality_or_an_organization(registry_data, tmp_path):
    path = tmp_path / "north.xlsx"
    output = _run(str(path), "--municipality", "MN")
    assert "Организации: записано строк 2" in output
    assert [r[0] for r in _values(path.read_bytes())["Организации"][1:]] == ["N001", "N002"]
    path = tmp_path / "one.xlsx"
    output = _run(str(path), "--organization", "S001")
    assert "Наставнические пары: записано строк 1" in output
    assert [r[0] for r in _values(path.read_bytes())["Организации"][1:]] == ["S001"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--municipality", "NOPE"], "Муниципалитет с кодом «NOPE» не найден."),
        (["--organization", "NOPE"], "Организация с кодом «NOPE» не найдена."),
        (["--municipality", "MN", "--organization", "S001"], "не относится к муниципалитету «MN»"),
    ],
)
def test_command_refuses_an_unknown_code(registry_data, tmp_path, args, message):
    path = tmp_path / "x.xlsx"
    with pytest.raises(CommandError, match=re.escape(message)):
        _run(str(path), *args)
    assert not path.exists()


# ---------------------------------------------------------------- the blank template


def test_blank_template_has_instructions_marked_headers_examples_and_drop_downs(db):
    book = _load(blank_template())
    specs = [h.spec for h in handlers()]
    assert book.sheetnames[0] == INSTRUCTION_SHEET
    assert book.sheetnames[1 : 1 + len(specs)] == [s.name for s in specs]
    instructions = " ".join(str(r[1]) for r in book[INSTRUCTION_SHEET].iter_rows(values_only=True) if r[1])
    for phrase in ("ДД.ММ.ГГГГ", "текстом", "формулы", "объединённые ячейки", "Одна строка", "«Группа»"):
        assert phrase in instructions
    for spec in specs:
        sheet = book[spec.name]
        assert [c.value for c in sheet[1]] == [c.header + (" *" if c.required else "") for c in spec.columns]
        assert [c.value for c in sheet[2]] != [None] * len(spec.columns)
    mentors = book[schema.MENTORS.name]
    assert mentors["C2"].is_date and mentors["H2"].data_type == "n"

    def validation(sheet_name, header):
        sheet = book[sheet_name]
        letter = next(c.column_letter for c in sheet[1] if c.value.rstrip(" *") == header)
        found = [
            dv for dv in sheet.data_validations.dataValidation if f"{letter}2" in str(dv.sqref).split(":")[0]
        ]
        assert found, (sheet_name, header)
        assert found[0].type == "list"
        return found[0].formula1

    assert validation("Организации", "Тип ОО") == '"' + ",".join(schema.ORG_TYPE_LABELS) + '"'
    assert validation("Наставники", "Обучен") == '"да,нет"'
    assert "педагог" in validation("Наставляемые", "Категория")
    assert "действует" in validation("Наставнические пары", "Статус")
    source = validation("Наставнические пары", "Форма наставничества")
    assert source.startswith(f"'{LISTS_SHEET}'!$A$2:$A$")
    lists = book[LISTS_SHEET]
    assert lists.sheet_state == "hidden"
    active = list(MentoringForm.objects.filter(is_active=True).order_by("sort_order", "name"))
    assert [r[0] for r in lists.iter_rows(min_row=2, values_only=True)] == [x.name for x in active]
    assert source.endswith(f"${len(active) + 1}")


def test_blank_template_leaves_out_inactive_forms(db):
    MentoringForm.objects.filter(code="head_teacher").update(is_active=False)
    lists = _load(blank_template())[LISTS_SHEET]
    names = [r[0] for r in lists.iter_rows(min_row=2, values_only=True)]
    assert "руководитель ОО – педагог" not in names and "учитель – учитель" in names


def test_blank_template_examples_are_valid_once_their_codes_are_real(db, tmp_path):
    """The example pair is consistent across the sheets: with the example prefix taken off its codes it
    imports without a single error (one school, one mentor, one mentee, one pair)."""
    book = load_workbook(io.BytesIO(blank_template()))
    for sheet in book.worksheets:
        for row in sheet.iter_rows(min_row=2, max_row=2):
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith(schema.EXAMPLE_PREFIX):
                    cell.value = cell.value.removeprefix(schema.EXAMPLE_PREFIX)
    path = tmp_path / "template.xlsx"
    book.save(path)
    report = import_workbook(path, dry_run=True)
    assert report.errors == []
    counts = {s.sheet: s.created for s in report.sheets}
    assert counts["Наставнические пары"] == 1 and counts["Наставляемые"] == 1
    assert not Organization.objects.exists()  # a dry run


def test_blank_template_examples_never_change_real_data(db, tmp_path):
    """A template sent back with its example rows left in writes nothing for them, even where the
    registry holds an organization and a municipality like the example's."""
    area = f.make_municipality(code="M01", name="Настоящий район")
    school = f.make_organization(municipality=area, code="OO16", full_name="МБОУ «Настоящая школа»")
    path = tmp_path / "template.xlsx"
    path.write_bytes(blank_template())
    report = import_workbook(path)
    assert report.errors == []
    assert all(s.created == 0 and s.updated == 0 for s in report.sheets), report.sheets
    assert any("пример из шаблона" in w and "Наставнические пары" in w for w in report.warnings)
    area.refresh_from_db()
    school.refresh_from_db()
    assert (area.name, school.full_name) == ("Настоящий район", "МБОУ «Настоящая школа»")
    assert not Organization.objects.filter(code__startswith=schema.EXAMPLE_PREFIX).exists()


# ---------------------------------------------------------------- the round trip


def test_round_trip_export_import_export_gives_the_same_cells(registry_data, tmp_path):
    first = export_workbook(Organization.objects.all())
    path = tmp_path / "first.xlsx"
    path.write_bytes(first)

    _flush_registry()
    assert not Person.objects.exists() and not Organization.objects.exists()
    report = import_workbook(path)
    assert report.errors == []
    assert report.committed
    assert Mentorship.objects.count() == 6 and MentorshipLink.objects.count() == 7
    group = Mentorship.objects.get(group_name="Группа 7А")
    assert MentorshipLink.objects.filter(mentorship=group).count() == 2

    second = export_workbook(Organization.objects.all())
    before, after = _values(first), _values(second)
    assert list(before) == list(after)
    for name in before:
        assert after[name] == before[name], name


def test_pairs_of_one_school_and_date_come_in_the_order_of_their_people(db):
    school = f.make_organization(code="T001")
    mentor = _teacher(school, "Наставникова Нина Николаевна", datetime.date(1970, 1, 1))
    names = ["Андреев Андрей Андреевич", "Борисов Борис Борисович", "Васильев Василий Васильевич"]
    for number, name in enumerate(names):
        mentee = _teacher(school, name, datetime.date(1999, 1, 1), base="mentees", teaching_experience=1)
        # Ids in the opposite order to the names: an order by id shows at once.
        f.make_mentorship(
            id=uuid.UUID(int=100 - number), organization=school, mentor_person=mentor, mentees=[mentee]
        )
    rows = _values(export_workbook(Organization.objects.filter(pk=school.pk)))[schema.MENTORSHIPS.name]
    assert [r[6] for r in rows[1:]] == names
