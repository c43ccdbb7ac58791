"""The workbook's «Мероприятия» sheet through the real import engine: create, re-import, update, errors."""

import datetime

import pytest
from openpyxl import Workbook, load_workbook

from monitoring.models import RoadMap, RoadMapEvent
from monitoring.workbook import EVENTS
from registry.workbook.engine import CHANGE_REASON, handlers, import_workbook
from registry.workbook.export import ExportContext
from tests import factories as f

pytestmark = pytest.mark.django_db

D = datetime.date
Level = RoadMap.Level
Status = RoadMapEvent.Status

HEADERS = [
    "Дорожная карта", "Муниципалитет", "Код ОО", "Направление", "№", "Мероприятие", "Цель",
    "Целевая аудитория", "Сроки", "Ответственный", "Ожидаемый результат", "Результат", "Участников",
    "Ссылки", "Статус",
]  # fmt: skip

REGIONAL = "План мероприятий по внедрению системы наставничества на 2022–2024 годы"
MUNICIPAL = "Муниципальный план внедрения наставничества"
SCHOOL = "Дорожная карта реализации целевой модели наставничества"
DIR1 = "Направление 1. Нормативное обеспечение системы наставничества педагогических работников"
DIR2 = "Направление 2. Организационные и координационные меры"


def event(roadmap=REGIONAL, municipality="", org="", direction=DIR1, number="1.1", title="Мероприятие",
          timing="Ноябрь 2022", **extra):  # fmt: skip
    row = dict.fromkeys(HEADERS, "")
    row.update({
        "Дорожная карта": roadmap, "Муниципалитет": municipality, "Код ОО": org, "Направление": direction,
        "№": number, "Мероприятие": title, "Сроки": timing,
    })  # fmt: skip
    assert set(extra) <= set(HEADERS), set(extra) - set(HEADERS)
    row.update(extra)
    return row


def write(path, rows, *, sheet="Мероприятия", headers=HEADERS):
    book = Workbook()
    ws = book.active
    ws.title = sheet
    ws.append(headers)
    for row in rows:
        ws.append([row.get(h) if isinstance(row, dict) else row[i] for i, h in enumerate(headers)])
    book.save(path)
    return path


def counts(report):
    sheet = next(s for s in report.sheets if s.sheet == "Мероприятия")
    return sheet.created, sheet.updated, sheet.unchanged


@pytest.fixture
def rows(municipality, school):
    return [
        event(
            number="1.1",
            title="Назначение регионального оператора",
            timing="Ноябрь 2022",
            **{
                "Целевая аудитория": "ОМСУ, образовательные организации",
                "Ответственный": "ГАУ ДПО СОИРО",
                "Результат": "Региональным оператором назначен ГАУ ДПО СОИРО",
                "Статус": "выполнено",
            },
        ),
        event(
            direction=DIR2,
            number="2.1",
            title="Мониторинг готовности ОО",
            timing="16.12.2022-25.12.2022 год",
            **{
                "Результат": "Из 340 ОО в мониторинге приняли участие 228",
                "Участников": 228,
                "Статус": "Выполнено",
            },
        ),
        event(direction=DIR2, number="2.4", title="Консультации руководителей ОО", timing="По запросу"),
        event(
            roadmap=MUNICIPAL,
            municipality="октябрьский  район",
            direction="",
            number="1",
            title="Совещание кураторов",
            timing="Январь-июнь 2023",
            **{"Ссылки": "https://example.ru/news/1"},
        ),
        event(
            roadmap=SCHOOL,
            org=school.code,
            direction="",
            number="1",
            title="Утверждение положения о наставничестве",
            timing="сентябрь 2022",
            **{"Статус": "отменено"},
        ),
    ]


def test_the_sheet_is_registered_in_its_place():
    names = [h.spec.name for h in handlers()]
    assert names[-1] == "Мероприятия"
    assert [c.header for c in EVENTS.columns] == HEADERS
    assert [c.header for c in EVENTS.columns if c.required] == ["Дорожная карта", "Мероприятие", "Сроки"]


def test_a_new_file_creates_road_maps_and_events(tmp_path, rows, region, municipality, school, admin_user):
    path = write(tmp_path / "events.xlsx", rows)

    dry = import_workbook(path, dry_run=True)
    assert dry.errors == []
    assert counts(dry) == (5, 0, 0)
    assert not RoadMap.objects.exists() and not RoadMapEvent.objects.exists()

    report = import_workbook(path, user=admin_user)
    assert report.errors == [] and report.committed
    assert counts(report) == (5, 0, 0)

    regional = RoadMap.objects.get(title=REGIONAL)
    assert (regional.level, regional.region, regional.municipality, regional.organization) == (
        Level.REGION, region, None, None,
    )  # fmt: skip
    municipal = RoadMap.objects.get(title=MUNICIPAL)
    assert (municipal.level, municipal.municipality, municipal.organization) == (
        Level.MUNICIPALITY,
        municipality,
        None,
    )
    own = RoadMap.objects.get(title=SCHOOL)
    assert (own.level, own.organization, own.municipality, own.region) == (
        Level.ORGANIZATION, school, municipality, region,
    )  # fmt: skip

    events = list(regional.events.order_by("sort_order"))
    assert [(e.number, e.sort_order, e.status) for e in events] == [
        ("1.1", 1, Status.DONE), ("2.1", 2, Status.DONE), ("2.4", 3, Status.PLANNED),
    ]  # fmt: skip
    monitoring = events[1]
    assert (monitoring.direction, monitoring.participants) == (DIR2, 228)
    assert (monitoring.timing_text, monitoring.timing_start, monitoring.timing_end) == (
        "16.12.2022-25.12.2022 год", D(2022, 12, 16), D(2022, 12, 25),
    )  # fmt: skip
    assert (events[2].timing_text, events[2].timing_start) == ("По запросу", None)  # kept as written
    meeting = municipal.events.get()
    assert (meeting.timing_start, meeting.timing_end, meeting.links) == (
        D(2023, 1, 1), D(2023, 6, 30), "https://example.ru/news/1",
    )  # fmt: skip
    assert own.events.get().status == Status.CANCELLED

    history = monitoring.history.get()
    assert (history.history_type, history.history_user, history.history_change_reason) == (
        "+", admin_user, CHANGE_REASON,
    )  # fmt: skip
    assert regional.history.get().history_change_reason == CHANGE_REASON


def test_the_same_file_again_changes_nothing(tmp_path, rows):
    path = write(tmp_path / "events.xlsx", rows)
    assert import_workbook(path).committed
    histories = RoadMapEvent.history.count()

    again = import_workbook(path)
    assert again.errors == []
    assert counts(again) == (0, 0, 5)
    assert RoadMap.objects.count() == 3
    assert RoadMapEvent.objects.count() == 5
    assert RoadMapEvent.history.count() == histories


def test_a_changed_row_updates_its_event_and_adds_a_history_row(tmp_path, rows, operator):
    assert import_workbook(write(tmp_path / "first.xlsx", rows)).committed
    consult = RoadMapEvent.objects.get(number="2.4")
    rows[2].update(
        {"Статус": "выполнено", "Результат": "Проведено 46 консультаций", "Сроки": "Январь-июнь 2023"}
    )
    rows.append(
        event(direction=DIR2, number="2.5", title="Мониторинг сайтов ОО", timing="27.03 – 04.04.2023")
    )

    report = import_workbook(write(tmp_path / "second.xlsx", rows), user=operator)

    assert report.errors == []
    assert counts(report) == (1, 1, 4)
    consult.refresh_from_db()
    assert (consult.status, consult.result) == (Status.DONE, "Проведено 46 консультаций")
    assert (consult.timing_start, consult.timing_end) == (D(2023, 1, 1), D(2023, 6, 30))
    latest = consult.history.latest()
    assert consult.history.count() == 2
    assert (latest.history_type, latest.history_user, latest.status) == ("~", operator, Status.DONE)
    assert RoadMapEvent.objects.get(number="2.5").timing_start == D(2023, 3, 27)


def test_a_columns_absence_leaves_its_field_alone(tmp_path, rows):
    assert import_workbook(write(tmp_path / "full.xlsx", rows)).committed
    short = [h for h in HEADERS if h not in ("Результат", "Статус")]
    report = import_workbook(write(tmp_path / "short.xlsx", rows, headers=short))
    assert counts(report) == (0, 0, 5)
    assert RoadMapEvent.objects.get(number="2.1").result.startswith("Из 340 ОО")


def test_an_unknown_municipality_is_reported_and_nothing_is_written(tmp_path, rows):
    rows.insert(1, event(roadmap=MUNICIPAL, municipality="Неизвестный район", title="Совещание"))
    report = import_workbook(write(tmp_path / "events.xlsx", rows))
    assert report.errors == [
        "Лист «Мероприятия», строка 3, столбец «Муниципалитет»: муниципалитет «Неизвестный район» "
        "не найден ни в листе «Муниципалитеты», ни в реестре"
    ]
    assert not report.committed
    assert not RoadMap.objects.exists()
    assert not RoadMapEvent.objects.exists()
    assert not RoadMapEvent.history.exists()


def test_owner_errors(tmp_path, rows, other_school):
    rows += [
        event(roadmap=SCHOOL, org="ZZ999", title="Чужая"),
        event(roadmap=SCHOOL, municipality="Октябрьский район", org=other_school.code, title="Не та"),
    ]
    report = import_workbook(write(tmp_path / "events.xlsx", rows))
    assert report.errors == [
        "Лист «Мероприятия», строка 7, столбец «Код ОО»: организация с кодом «ZZ999» не найдена "
        "ни в листе «Организации», ни в реестре",
        f"Лист «Мероприятия», строка 8, столбец «Муниципалитет»: организация «{other_school.code}» относится "
        "к муниципалитету «Соседний район», а не «Октябрьский район»; "
        "исправьте муниципалитет или оставьте его пустым",
    ]
    assert not RoadMapEvent.objects.exists()


def test_a_repeated_event_names_both_rows(tmp_path, rows):
    rows.append(event(direction=DIR2.upper(), number="2.1", title="мониторинг  готовности ОО", timing="2023"))
    report = import_workbook(write(tmp_path / "events.xlsx", rows))
    assert report.errors == [
        "Лист «Мероприятия», строка 7, столбец «Мероприятие»: строки 3 и 7 — одно и то же мероприятие "
        "(та же дорожная карта, направление, № и название)"
    ]
    assert not RoadMapEvent.objects.exists()


def test_cell_errors_come_with_their_column(tmp_path, rows):
    rows[0]["Статус"] = "почти готово"
    rows[1]["Участников"] = "много"
    rows[2]["Сроки"] = ""
    report = import_workbook(write(tmp_path / "events.xlsx", rows))
    assert [e.split(":")[0] for e in report.errors] == [
        "Лист «Мероприятия», строка 2, столбец «Статус»",
        "Лист «Мероприятия», строка 3, столбец «Участников»",
        "Лист «Мероприятия», строка 4, столбец «Сроки»",
    ]
    assert not RoadMapEvent.objects.exists()


def test_a_region_map_needs_one_region(tmp_path, rows):
    f.make_region(name="Вторая область")
    report = import_workbook(write(tmp_path / "events.xlsx", rows))
    assert report.errors[:3] == [
        f"Лист «Мероприятия», строка {n}, столбец «Муниципалитет»: в реестре несколько регионов, и без "
        "муниципалитета не понять, чья это дорожная карта; укажите муниципалитет (или «Код ОО»), "
        "а региональную дорожную карту ведите в портале"
        for n in (2, 3, 4)
    ]
    assert len(report.errors) == 3  # the municipality's and the school's maps are found


def test_an_existing_road_map_is_reused(tmp_path, rows, region):
    existing = RoadMap.objects.create(title=REGIONAL.upper(), level=Level.REGION, region=region)
    report = import_workbook(write(tmp_path / "events.xlsx", rows))
    assert report.errors == []
    assert RoadMap.objects.count() == 3
    assert existing.events.count() == 3


def test_owners_defined_by_the_same_workbook(tmp_path, region):
    """«Муниципалитеты» and «Организации» of the same file: checked in a dry run, written in a real one."""
    path = tmp_path / "book.xlsx"
    book = Workbook()
    ws = book.active
    ws.title = "Муниципалитеты"
    ws.append(["Код", "Наименование"])
    ws.append(["M77", "Новый район"])
    ws = book.create_sheet("Организации")
    ws.append(["Код ОО", "Наименование", "Муниципалитет", "Тип ОО"])
    ws.append(["N0077", "МБОУ «Новая школа»", "Новый район", "общеобразовательная"])
    ws = book.create_sheet("Мероприятия")
    ws.append(HEADERS)
    for row in (
        event(roadmap=MUNICIPAL, municipality="Новый район", title="Совещание"),
        event(roadmap=SCHOOL, org="N0077", title="Положение"),
        event(roadmap=SCHOOL, municipality="M77", org="N0077", title="Приказ"),
    ):
        ws.append([row[h] for h in HEADERS])
    book.save(path)

    dry = import_workbook(path, dry_run=True)
    assert dry.errors == []
    assert counts(dry) == (3, 0, 0)
    report = import_workbook(path)
    assert report.errors == [] and report.committed
    own = RoadMap.objects.get(title=SCHOOL)
    assert (own.organization.code, own.municipality.code, own.region) == ("N0077", "M77", region)
    assert own.events.count() == 2
    assert RoadMap.objects.get(title=MUNICIPAL).municipality.code == "M77"


# ---------------------------------------------------------------- export


def exported(organizations, **ctx):
    handler = next(h for h in handlers() if h.spec is EVENTS)
    return list(handler.export_rows(organizations, ExportContext(**ctx)))


def test_the_export_imports_back_unchanged(tmp_path, rows):
    from registry.models import Organization

    assert import_workbook(write(tmp_path / "events.xlsx", rows)).committed
    out = exported(Organization.objects.all())
    assert len(out) == 5
    assert out[0] == (
        REGIONAL, "", "", DIR1, "1.1", "Назначение регионального оператора", "",
        "ОМСУ, образовательные организации", "Ноябрь 2022", "ГАУ ДПО СОИРО", "",
        "Региональным оператором назначен ГАУ ДПО СОИРО", None, "", "выполнено",
    )  # fmt: skip
    assert out[1][12] == 228  # an int, not text
    assert [r[0] for r in out] == [REGIONAL] * 3 + [MUNICIPAL, SCHOOL]

    again = import_workbook(write(tmp_path / "exported.xlsx", out))
    assert again.errors == []
    assert counts(again) == (0, 0, 5)


def test_the_export_follows_the_scope(tmp_path, rows, school, municipality, curator, coordinator):
    from registry.models import Organization

    assert import_workbook(write(tmp_path / "events.xlsx", rows)).committed
    one_school = Organization.objects.filter(pk=school.pk)
    municipality_orgs = Organization.objects.filter(municipality=municipality)
    f.make_organization(municipality=municipality)  # the municipality now has two schools

    assert {r[0] for r in exported(one_school, region_wide=False)} == {SCHOOL}
    assert {r[0] for r in exported(municipality_orgs, region_wide=False)} == {MUNICIPAL, SCHOOL}
    assert {r[0] for r in exported(Organization.objects.all())} == {REGIONAL, MUNICIPAL, SCHOOL}
    # The user's scope applies too: a curator never gets the region's or the municipality's map.
    assert {r[0] for r in exported(Organization.objects.all(), user=curator)} == {SCHOOL}
    assert {r[0] for r in exported(municipality_orgs, user=coordinator)} == {MUNICIPAL, SCHOOL}


def test_the_workbook_export_round_trips_through_the_real_writer(tmp_path, rows):
    from registry.models import Organization
    from registry.workbook.export import blank_template, write_workbook

    rows[2]["Сроки"] = "-"
    assert import_workbook(write(tmp_path / "events.xlsx", rows)).committed
    # Excel would take these for formulas: the export writes them as text, the import reads them as written.
    consult = RoadMapEvent.objects.get(number="2.4")
    consult.result = "=итого 46 консультаций"
    consult.save()
    path = tmp_path / "export.xlsx"
    written = write_workbook(path, Organization.objects.all())
    assert written["Мероприятия"] == 5

    again = import_workbook(path)
    assert again.errors == []
    assert counts(again) == (0, 0, 5)
    consult.refresh_from_db()
    assert (consult.timing_text, consult.result) == ("-", "=итого 46 консультаций")

    template = tmp_path / "template.xlsx"
    template.write_bytes(blank_template())
    sheet = load_workbook(template, read_only=True)["Мероприятия"]
    header, example = list(sheet.iter_rows(max_row=2, values_only=True))
    assert header[:3] == ("Дорожная карта *", "Муниципалитет", "Код ОО")
    assert example[8] == "Ноябрь 2022"
