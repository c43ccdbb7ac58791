"""«Дорожные карты» screens: list, detail with execution figures and export,
the forms of a road map and its events, and who may do what.

Actors (tests/conftest.py): ``curator`` of ``school``, ``coordinator`` of its municipality,
``other_curator``/``other_coordinator`` of the other municipality of the same region, ``operator``
of the region, ``admin_user``; ``other_operator`` (below) of another region.
"""

import datetime
import html
import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from monitoring.models import RoadMap, RoadMapEvent
from tests import factories as f

pytestmark = pytest.mark.django_db

D = datetime.date
Level = RoadMap.Level
Status = RoadMapEvent.Status


# ---------------------------------------------------------------- data


def make_map(level, *, region=None, municipality=None, organization=None, title="План мероприятий", **kw):
    if organization is not None:
        municipality = organization.municipality
    if municipality is not None:
        region = municipality.region
    return RoadMap.objects.create(
        title=title, level=level, region=region, municipality=municipality, organization=organization, **kw
    )


def make_event(roadmap, title="Совещание", **kw):
    kw.setdefault("timing_text", "Январь 2021 года")
    kw.setdefault("sort_order", roadmap.events.count() + 1)
    return RoadMapEvent.objects.create(roadmap=roadmap, title=title, **kw)


@pytest.fixture
def other_operator(db):
    return f.make_user("operator2", role="operator", region=f.make_region(name="Другая область"))


@pytest.fixture
def maps(region, municipality, other_municipality, school, neighbour_school, other_school):
    result = {
        "region": make_map(Level.REGION, region=region, title="Региональный план"),
        "municipality": make_map(Level.MUNICIPALITY, municipality=municipality, title="План района"),
        "other municipality": make_map(
            Level.MUNICIPALITY, municipality=other_municipality, title="План соседей"
        ),
        "school": make_map(Level.ORGANIZATION, organization=school, title="План школы"),
        "neighbour": make_map(Level.ORGANIZATION, organization=neighbour_school, title="План школы № 2"),
        "other school": make_map(Level.ORGANIZATION, organization=other_school, title="План школы № 9"),
    }
    for name, roadmap in result.items():
        make_event(roadmap, title=f"Мероприятие: {name}")
    return result


EVERY_MAP = {"region", "municipality", "other municipality", "school", "neighbour", "other school"}
# Who reads which map, and who writes it (the rest of what it reads is read-only: 403).
READS = {
    "operator": EVERY_MAP,
    "coordinator": {"municipality", "school", "neighbour"},
    "other_coordinator": {"other municipality", "other school"},
    "curator": {"school"},
    "other_curator": {"other school"},
    "admin_user": EVERY_MAP,
    "other_operator": set(),
}
WRITES = {
    "operator": {"region"},
    "coordinator": {"municipality"},
    "other_coordinator": {"other municipality"},
    "curator": {"school"},
    "other_curator": {"other school"},
    "admin_user": EVERY_MAP,
    "other_operator": set(),
}


def expected_status(who, name, *, write):
    if name not in READS[who]:
        return 404
    if write and name not in WRITES[who]:
        return 403
    return 200


def cells(fragment: str) -> list[str]:
    return [
        " ".join(html.unescape(re.sub(r"<[^>]+>", " ", cell)).split())
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", fragment, re.S)
    ]


def table(body: str, name: str) -> list[list[str]]:
    """The body rows of ``<table data-table="name">`` as cell texts."""
    block = re.search(rf'<table[^>]*data-table="{name}"[^>]*>(.*?)</table>', body, re.S)
    assert block, f"no table {name}"
    return [cells(row) for row in re.findall(r"<tr[^>]*>(.*?)</tr>", block.group(1), re.S) if "<td" in row]


def event_row(body: str, event) -> list[str]:
    row = re.search(rf'<tr id="event-{event.pk}">(.*?)</tr>', body, re.S)
    assert row, f"no row for {event}"
    return cells(row.group(1))


def field_errors(response, name) -> list[str]:
    return response.context["form"].errors.get(name, [])


def detail_url(roadmap, query=""):
    return reverse("monitoring:roadmap-detail", args=[roadmap.pk]) + query


# ---------------------------------------------------------------- who reads, who writes


@pytest.mark.parametrize("who", list(READS))
def test_the_list_shows_exactly_the_maps_of_the_users_territory(request, client_for, maps, who):
    user = request.getfixturevalue(who)
    response = client_for(user).get(reverse("monitoring:roadmap-list"))
    assert response.status_code == 200
    listed = {roadmap.pk for roadmap in response.context["page"]}
    assert listed == {maps[name].pk for name in READS[who]}
    body = response.content.decode()
    for name, roadmap in maps.items():
        assert (f'data-roadmap="{roadmap.pk}"' in body) == (name in READS[who])


@pytest.mark.parametrize("who", list(READS))
def test_a_map_opens_within_the_territory_and_is_404_outside(request, client_for, maps, who):
    client = client_for(request.getfixturevalue(who))
    for name, roadmap in maps.items():
        response = client.get(detail_url(roadmap))
        assert response.status_code == expected_status(who, name, write=False), name
        if response.status_code == 404:
            assert roadmap.title not in response.content.decode()
        else:
            # Write links only for the owner's own level.
            assert (reverse("monitoring:roadmap-edit", args=[roadmap.pk]) in response.content.decode()) == (
                name in WRITES[who]
            )
        export = client.get(detail_url(roadmap, "?format=xlsx"))
        assert export.status_code == expected_status(who, name, write=False), name


@pytest.mark.parametrize("who", list(WRITES))
def test_edit_pages_are_for_the_owners_level_read_only_is_403(request, client_for, maps, who):
    client = client_for(request.getfixturevalue(who))
    for name, roadmap in maps.items():
        event = roadmap.events.get()
        expected = expected_status(who, name, write=True)
        for url in (
            reverse("monitoring:roadmap-edit", args=[roadmap.pk]),
            reverse("monitoring:roadmap-event-create", args=[roadmap.pk]),
            reverse("monitoring:roadmap-event-edit", args=[roadmap.pk, event.pk]),
        ):
            assert client.get(url).status_code == expected, (name, url)
        status_url = reverse("monitoring:roadmap-event-status", args=[roadmap.pk, event.pk])
        assert client.post(status_url, {"status": Status.DONE}).status_code == (
            302 if expected == 200 else expected
        ), name
        event.refresh_from_db()
        assert (event.status == Status.DONE) == (expected == 200), name


@pytest.mark.parametrize(
    ("who", "name"), [("operator", "school"), ("coordinator", "school"), ("curator", "region")]
)
def test_a_refused_write_changes_nothing(request, client_for, maps, who, name):
    roadmap = maps[name]
    event = roadmap.events.get()
    client = client_for(request.getfixturevalue(who))
    expected = expected_status(who, name, write=True)
    assert expected in (403, 404)
    edit = client.post(
        reverse("monitoring:roadmap-edit", args=[roadmap.pk]), {"title": "Чужой план", "basis_date": ""}
    )
    created = client.post(
        reverse("monitoring:roadmap-event-create", args=[roadmap.pk]),
        {"title": "Лишнее", "timing_text": "Май 2021", "status": Status.PLANNED},
    )
    changed = client.post(
        reverse("monitoring:roadmap-event-edit", args=[roadmap.pk, event.pk]),
        {"title": "Другое", "timing_text": "Май 2021", "status": Status.DONE},
    )
    assert {edit.status_code, created.status_code, changed.status_code} == {expected}
    roadmap.refresh_from_db()
    event.refresh_from_db()
    assert roadmap.title != "Чужой план"
    assert roadmap.events.count() == 1
    assert (event.title, event.status) == (f"Мероприятие: {name}", Status.PLANNED)


def test_an_event_of_another_map_is_404(client_for, admin_user, maps):
    foreign = maps["other school"].events.get()
    client = client_for(admin_user)
    url = reverse("monitoring:roadmap-event-edit", args=[maps["school"].pk, foreign.pk])
    assert client.get(url).status_code == 404
    status_url = reverse("monitoring:roadmap-event-status", args=[maps["school"].pk, foreign.pk])
    assert client.post(status_url, {"status": Status.DONE}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == Status.PLANNED


def test_anonymous_goes_to_login(client, maps):
    roadmap = maps["school"]
    event = roadmap.events.get()
    for url in (
        reverse("monitoring:roadmap-list"),
        reverse("monitoring:roadmap-create"),
        detail_url(roadmap),
        reverse("monitoring:roadmap-edit", args=[roadmap.pk]),
        reverse("monitoring:roadmap-event-create", args=[roadmap.pk]),
        reverse("monitoring:roadmap-event-edit", args=[roadmap.pk, event.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url


def test_the_status_change_is_post_only(client_for, curator, maps):
    event = maps["school"].events.get()
    url = reverse("monitoring:roadmap-event-status", args=[maps["school"].pk, event.pk])
    assert client_for(curator).get(url).status_code == 405


def test_a_user_without_a_role_reads_nothing_and_creates_nothing(client_for, maps):
    client = client_for(f.make_user("noscope"))
    response = client.get(reverse("monitoring:roadmap-list"))
    assert response.status_code == 200 and list(response.context["page"]) == []
    assert "Новая дорожная карта" not in response.content.decode()
    assert client.get(reverse("monitoring:roadmap-create")).status_code == 403
    assert client.post(reverse("monitoring:roadmap-create"), {"title": "План"}).status_code == 403
    assert client.get(detail_url(maps["school"])).status_code == 404
    assert RoadMap.objects.count() == 6


# ---------------------------------------------------------------- creating a map and its events


def map_data(**kw):
    data = {
        "title": "План мероприятий по внедрению наставничества на 2022–2024 годы",
        "basis_title": "Приказ управления образования «Об утверждении дорожной карты»",
        "basis_number": "1479/1",
        "basis_date": "16.12.2022",
        "period_start": "01.01.2022",
        "period_end": "31.12.2024",
    }
    data.update(kw)
    return data


def event_data(**kw):
    data = {
        "direction": "Направление 1. Нормативное обеспечение",
        "number": "1.1",
        "title": "Совещание с кураторами наставничества",
        "goal": "Согласование плана",
        "audience": "кураторы ОО",
        "timing_text": "Ноябрь 2022",
        "responsible": "Иванова И.И.",
        "expected_result": "План утверждён",
        "result": "",
        "participants": "",
        "links": "",
        "status": Status.PLANNED,
    }
    data.update(kw)
    return data


@pytest.mark.parametrize(
    ("who", "level", "owner"),
    [
        ("operator", Level.REGION, "region"),
        ("coordinator", Level.MUNICIPALITY, "municipality"),
        ("curator", Level.ORGANIZATION, "school"),
    ],
)
def test_a_map_is_created_for_the_users_own_territory(request, client_for, who, level, owner):
    client = client_for(request.getfixturevalue(who))
    form = client.get(reverse("monitoring:roadmap-create"))
    assert form.status_code == 200
    body = form.content.decode()
    assert "Новая дорожная карта" in body and "Наименование" in body and "Утверждающий документ" in body
    # An owner posted by hand is ignored: the scope decides.
    response = client.post(
        reverse("monitoring:roadmap-create"),
        map_data(level=Level.REGION, region=f.make_region().pk, organization_code="XYZ"),
    )
    roadmap = RoadMap.objects.get()
    assert response.status_code == 302 and response.url == detail_url(roadmap)
    assert roadmap.level == level
    assert roadmap.owner == request.getfixturevalue(owner)
    assert (roadmap.basis_number, roadmap.basis_date) == ("1479/1", D(2022, 12, 16))
    assert (roadmap.period_start, roadmap.period_end) == (D(2022, 1, 1), D(2024, 12, 31))
    page = client.get(response.url).content.decode()
    assert "Дорожная карта создана." in page
    assert "№\xa01479/1 от 16.12.2022" in page and "01.01.2022 – 31.12.2024" in page


def test_the_map_form_shows_its_errors_at_the_fields(client_for, coordinator, municipality):
    client = client_for(coordinator)
    url = reverse("monitoring:roadmap-create")
    response = client.post(url, map_data(title="", basis_date="31.02.2022", period_end="31.12.2021"))
    assert response.status_code == 200
    assert field_errors(response, "title") == ["Обязательное поле."]
    assert field_errors(response, "basis_date") == ["Введите дату в виде ДД.ММ.ГГГГ, например 16.12.2022."]
    assert field_errors(response, "period_end") == ["Окончание периода не может быть раньше его начала."]
    body = response.content.decode()
    assert '<div class="field invalid">' in body and "Обязательное поле." in body
    assert RoadMap.objects.count() == 0
    # The title is unique per owner: said at the title.
    make_map(Level.MUNICIPALITY, municipality=municipality, title="План района")
    response = client.post(url, map_data(title="План района"))
    assert field_errors(response, "title") == [
        "У муниципалитета уже есть дорожная карта с таким наименованием."
    ]
    assert RoadMap.objects.count() == 1


def test_an_admin_chooses_the_level_and_the_owner(client_for, admin_user, region, municipality, school):
    client = client_for(admin_user)
    url = reverse("monitoring:roadmap-create")
    body = client.get(url).content.decode()
    assert "Уровень" in body and "Код ОО" in body
    response = client.post(url, map_data(level=Level.MUNICIPALITY, region=region.pk))
    assert field_errors(response, "municipality") == ["Выберите муниципалитет."]
    response = client.post(url, map_data(level=Level.ORGANIZATION, region=region.pk, organization_code="НЕТ"))
    assert field_errors(response, "organization_code") == ["Организации с кодом «НЕТ» нет."]
    elsewhere = f.make_organization()
    response = client.post(
        url, map_data(level=Level.ORGANIZATION, region=region.pk, organization_code=elsewhere.code)
    )
    assert field_errors(response, "organization_code") == ["Организация относится к другому региону."]
    assert RoadMap.objects.count() == 0
    response = client.post(
        url, map_data(level=Level.ORGANIZATION, region=region.pk, organization_code=school.code)
    )
    roadmap = RoadMap.objects.get()
    assert response.url == detail_url(roadmap)
    assert (roadmap.level, roadmap.organization, roadmap.municipality, roadmap.region) == (
        Level.ORGANIZATION,
        school,
        municipality,
        region,
    )


def test_a_map_is_edited_by_its_owner(client_for, coordinator, municipality):
    roadmap = make_map(Level.MUNICIPALITY, municipality=municipality, title="План")
    client = client_for(coordinator)
    url = reverse("monitoring:roadmap-edit", args=[roadmap.pk])
    form = client.get(url).content.decode()
    assert "муниципальная дорожная карта: октябрьский район" in form.casefold()
    response = client.post(
        url, map_data(title="План на 2023 год", basis_number="16", basis_date="16.12.2022")
    )
    assert response.status_code == 302
    roadmap.refresh_from_db()
    assert (roadmap.title, roadmap.basis_number, roadmap.level) == (
        "План на 2023 год",
        "16",
        Level.MUNICIPALITY,
    )
    assert roadmap.history.count() == 2


def test_events_are_added_and_edited_through_the_form(client_for, coordinator, municipality):
    roadmap = make_map(Level.MUNICIPALITY, municipality=municipality)
    client = client_for(coordinator)
    url = reverse("monitoring:roadmap-event-create", args=[roadmap.pk])
    form = client.get(url).content.decode()
    for label in ("Направление", "№", "Мероприятие", "Цель", "Целевая аудитория", "Сроки", "Ответственный",
                  "Ожидаемый результат", "Результат", "Участников", "Ссылки", "Статус"):  # fmt: skip
        assert f">{label}" in form, label

    response = client.post(url, event_data(timing_text="27.03 – 04.04.2023", participants="35"), follow=True)
    first = roadmap.events.get()
    assert response.redirect_chain[-1][0] == detail_url(roadmap) + f"#event-{first.pk}"
    assert (first.timing_text, first.timing_start, first.timing_end) == (
        "27.03 – 04.04.2023",
        D(2023, 3, 27),
        D(2023, 4, 4),
    )
    assert (first.participants, first.sort_order, first.status) == (35, 1, Status.PLANNED)
    body = response.content.decode()
    assert "Мероприятие добавлено. Сроки прочитаны как 27.03.2023 – 04.04.2023." in body
    assert event_row(body, first)[4] == "27.03 – 04.04.2023 27.03.2023 – 04.04.2023"

    response = client.post(
        url, event_data(number="1.2", title="Консультации", timing_text="По запросу"), follow=True
    )
    second = roadmap.events.get(number="1.2")
    assert (second.timing_start, second.timing_end, second.sort_order) == (None, None, 2)
    assert "Сроки «По запросу» не прочитаны как даты" in response.content.decode()

    edit = reverse("monitoring:roadmap-event-edit", args=[roadmap.pk, first.pk])
    form = client.get(edit).content.decode()
    assert "Сроки по датам: 27.03.2023 – 04.04.2023" in form
    assert '<option value="Направление 1. Нормативное обеспечение">' in form  # the map's directions offered
    response = client.post(
        edit, event_data(timing_text="Апрель 2023", status=Status.DONE, result="Проведено")
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert (first.timing_start, first.timing_end, first.status, first.result) == (
        D(2023, 4, 1),
        D(2023, 4, 30),
        Status.DONE,
        "Проведено",
    )
    assert "Сроки по датам: 01.04.2023 – 30.04.2023" in client.get(edit).content.decode()
    assert first.history.count() == 2


def test_the_event_form_shows_its_errors(client_for, curator, school):
    roadmap = make_map(Level.ORGANIZATION, organization=school)
    make_event(roadmap, direction="Направление 1. Нормативное обеспечение", number="1.1", title="Совещание")
    client = client_for(curator)
    url = reverse("monitoring:roadmap-event-create", args=[roadmap.pk])
    response = client.post(url, event_data(title="", participants="много", status="unknown"))
    assert response.status_code == 200
    assert field_errors(response, "title") == ["Обязательное поле."]
    assert field_errors(response, "participants") == ["Введите целое число."]
    assert field_errors(response, "status")
    response = client.post(url, event_data(participants="-3"))
    assert field_errors(response, "participants") == ["Число не может быть меньше 0."]
    # The same direction, № and title (compared as text: case, ё, spaces) is refused.
    response = client.post(
        url, event_data(direction="направление 1.  нормативное обеспечение", title="СОВЕЩАНИЕ")
    )
    assert response.context["form"].non_field_errors() == [
        "В дорожной карте уже есть мероприятие с таким направлением, номером и названием."
    ]
    assert roadmap.events.count() == 1


def test_the_status_is_changed_from_the_map_keeping_the_period(client_for, curator, school):
    roadmap = make_map(Level.ORGANIZATION, organization=school)
    event = make_event(roadmap, timing_text="Март 2021 года")
    client = client_for(curator)
    page = client.get(detail_url(roadmap)).content.decode()
    assert reverse("monitoring:roadmap-event-status", args=[roadmap.pk, event.pk]) in page
    url = reverse("monitoring:roadmap-event-status", args=[roadmap.pk, event.pk])
    response = client.post(url, {"status": Status.DONE, "date_from": "01.03.2021", "date_to": "31.03.2021"})
    assert response.url == detail_url(roadmap, f"?date_from=01.03.2021&date_to=31.03.2021#event-{event.pk}")
    event.refresh_from_db()
    assert (event.status, event.timing_start) == (Status.DONE, D(2021, 3, 1))
    assert event.history.count() == 2
    response = client.post(url, {"status": "finished"}, follow=True)
    assert "Выберите статус из списка." in response.content.decode()
    event.refresh_from_db()
    assert event.status == Status.DONE


# ---------------------------------------------------------------- Bryansk (seed 000) through the screens

BRYANSK_BASIS = (
    "Приказ департамента образования и науки Брянской области «Об утверждении программы, плана "
    "мониторинга системы методического сопровождения общеобразовательных организаций, имеющих низкие "
    "образовательные результаты обучающихся, на 2020 - 2022 гг»"
)
KPK = "«Наставничество как универсальная технология передачи опыта»"
# №, Мероприятия, Цель, Сроки, Ответственный, Ожидаемый результат (the cells joined across lines).
BRYANSK = [
    ("1", "Региональный конкурс среди ОО на присвоение статуса инновационных площадок",
     "Структурное и содержательное обновление системы образования области", "Ноябрь 2020 года",
     "О.Г.Викульева", "Распространение инновационного опыта"),
    ("2", "Организация сетевого взаимодействия",
     "Закрепление за ШНОР образовательных организаций-наставников", "Январь 2021 года",
     "О.Г.Викульева", "Оказание адресной методической помощи"),
    ("3", f"Командные (учитель-наставник и наставляемый) курсы повышения квалификации по теме {KPK}",
     "Создание наставнических пар учителей Советского района Брянской области", "Январь 2021 года",
     "Т.В.Украинцева", "Раскрытие потенциала личности молодого педагога, необходимое для профессиональной "
     "самореализации. Развитие системы наставничества"),
    ("4", "Отбор ОО, демонстрирующих высокие результаты, в качестве школ-наставников "
     "(стажировочные площадки)",
     "Изучение опыта ОО по повышению качества образовательных результатов", "Январь 2021 года",
     "О.Г.Викульева", "Оказание адресной методической помощи"),
    ("5", "Организация методической помощи профессиональным сообществам",
     "Создание регионального учебно-методического объединения", "Январь 2021 года", "М.В.Захарова",
     "Развитие сетевых сообществ"),
    ("6", "Организация курсов повышения квалификации по теме «Старт в профессию» для молодых учителей "
     "начальных классов", "Оказание методической помощи молодым учителям начальных классов", "Март 2021 года",
     "И.П.Мураль", "Раскрытие потенциала личности молодого педагога, необходимое для профессиональной "
     "самореализации"),
    ("7", f"Курсы повышения квалификации для учителей-наставников (русский язык) по теме {KPK}",
     "Повышение компетенции учителей по выполнению функции наставника в образовательной организации",
     "Апрель 2021 года", "Т.В.Украинцева", "Развитие системы наставничества"),
    ("8", "Организация методической помощи педагогам на основе оценочных процедур",
     "Разработка индивидуального образовательного маршрута", "Март 2021 года", "О.Г.Викульева",
     "Обеспечение повышения компетенций педагогических работников"),
]  # fmt: skip
BRYANSK_MONTHS = [
    ["ноябрь 2020", "1", "1", "100 %"],
    ["январь 2021", "4", "4", "100 %"],
    ["март 2021", "2", "2", "100 %"],
    ["апрель 2021", "1", "1", "100 %"],
]
BRYANSK_RESPONSIBLE = [
    ["О.Г.Викульева", "4", "4", "100 %"],
    ["Т.В.Украинцева", "2", "2", "100 %"],
    ["И.П.Мураль", "1", "1", "100 %"],
    ["М.В.Захарова", "1", "1", "100 %"],
]


@pytest.fixture
def bryansk(client_for, operator):
    """The operator types the note's programme and its eight events in through the forms, all done."""
    client = client_for(operator)
    response = client.post(
        reverse("monitoring:roadmap-create"),
        map_data(
            title="Программа методического сопровождения ОО, имеющих низкие образовательные результаты, "
            "на 2020–2022 гг.",
            basis_title=BRYANSK_BASIS,
            basis_number="",
            basis_date="",
            period_start="01.01.2020",
            period_end="31.12.2022",
        ),
    )
    assert response.status_code == 302
    roadmap = RoadMap.objects.get()
    for number, title, goal, timing, responsible, expected in BRYANSK:
        response = client.post(
            reverse("monitoring:roadmap-event-create", args=[roadmap.pk]),
            event_data(
                direction="",
                number=number,
                title=title,
                goal=goal,
                audience="",
                timing_text=timing,
                responsible=responsible,
                expected_result=expected,
                status=Status.DONE,
            ),
        )
        assert response.status_code == 302, response.context["form"].errors
    return roadmap


def test_bryansk_detail_shows_the_eight_events_by_month_and_responsible(client_for, operator, bryansk):
    body = client_for(operator).get(detail_url(bryansk)).content.decode()
    assert 'data-figure="done">8<' in body and 'data-figure="planned">8<' in body
    assert table(body, "by-month") == BRYANSK_MONTHS
    assert table(body, "by-responsible") == BRYANSK_RESPONSIBLE
    assert table(body, "by-direction") == [["Без направления", "8", "8", "100 %"]]
    assert html.escape(BRYANSK_BASIS, quote=False) in body
    assert "01.01.2020 – 31.12.2022" in body
    events = list(bryansk.events.order_by("sort_order"))
    assert [e.number for e in events] == [row[0] for row in BRYANSK]
    for event, (number, title, goal, timing, responsible, expected) in zip(events, BRYANSK, strict=True):
        row = event_row(body, event)
        assert row[:4] == [number, title, goal, ""]
        assert row[4].startswith(timing)
        assert row[5:7] == [responsible, expected]
    # The events table in the document's order.
    positions = [body.index(f'id="event-{e.pk}"') for e in events]
    assert positions == sorted(positions)


def test_the_period_filter_narrows_figures_events_and_export(client_for, operator, bryansk):
    client = client_for(operator)
    events = {e.number: e for e in bryansk.events.all()}
    events["7"].status = Status.NOT_DONE
    events["7"].save()
    make_event(bryansk, title="Консультации", number="9", timing_text="По запросу")
    body = client.get(detail_url(bryansk, "?date_from=01.03.2021&date_to=31.05.2021")).content.decode()
    assert 'data-figure="done">2<' in body and 'data-figure="planned">3<' in body
    assert table(body, "by-month") == [["март 2021", "2", "2", "100 %"], ["апрель 2021", "0", "1", "0 %"]]
    shown = set(re.findall(r'<tr id="event-(\d+)">', body))
    assert shown == {str(events[n].pk) for n in ("6", "7", "8")}
    export = client.get(detail_url(bryansk, "?date_from=01.03.2021&date_to=31.05.2021&format=xlsx"))
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert [row[1] for row in sheet.iter_rows(min_row=5, values_only=True)] == ["6", "7", "8"]

    everything = client.get(detail_url(bryansk)).content.decode()
    assert 'data-figure="done">7<' in everything and 'data-figure="planned">9<' in everything
    assert table(everything, "by-month")[-1] == ["без срока", "0", "1", "0 %"]

    wrong = client.get(detail_url(bryansk, "?date_from=31.13.2021&date_to=01.01.2021"))
    assert wrong.context["period_form"].errors["date_from"] == [
        "Введите дату в виде ДД.ММ.ГГГГ, например 16.12.2022."
    ]
    assert 'data-figure="planned">9<' in wrong.content.decode()  # unfiltered while the period is wrong
    backwards = client.get(detail_url(bryansk, "?date_from=01.05.2021&date_to=01.03.2021"))
    assert backwards.context["period_form"].errors["date_to"] == [
        "Окончание периода не может быть раньше его начала."
    ]


def test_the_events_export(client_for, coordinator, municipality):
    roadmap = make_map(Level.MUNICIPALITY, municipality=municipality, title="План района")
    make_event(
        roadmap,
        direction="Направление 2. Организационные меры",
        number="2.1",
        title="=Совещание",  # never a formula in Excel
        goal="Цель",
        audience="кураторы",
        timing_text="16.12.2022-25.12.2022 год",
        responsible="ИМК",
        expected_result="План",
        result="Проведено",
        participants=40,
        links="https://example.org/news/1",
        status=Status.DONE,
    )
    make_event(roadmap, direction="Направление 1. Нормативное обеспечение", number="1.1", title="Приказ")
    response = client_for(coordinator).get(detail_url(roadmap, "?format=xlsx"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Cache-Control"] == "private, no-store"
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "Мероприятия дорожной карты «План района»"
    assert rows[1][0].startswith("Выгрузил: coordinator1")
    assert list(rows[3]) == [
        "Направление", "№", "Мероприятие", "Цель", "Целевая аудитория", "Сроки", "Начало (по срокам)",
        "Окончание (по срокам)", "Ответственный", "Ожидаемый результат", "Результат", "Участников",
        "Ссылки", "Статус",
    ]  # fmt: skip
    assert list(rows[4]) == [
        "Направление 2. Организационные меры", "2.1", "'=Совещание", "Цель", "кураторы",
        "16.12.2022-25.12.2022 год", datetime.datetime(2022, 12, 16), datetime.datetime(2022, 12, 25),
        "ИМК", "План", "Проведено", 40, "https://example.org/news/1", "выполнено",
    ]  # fmt: skip
    assert rows[5][:3] == ("Направление 1. Нормативное обеспечение", "1.1", "Приказ")
    assert rows[5][6:8] == (datetime.datetime(2021, 1, 1), datetime.datetime(2021, 1, 31))
    assert len(rows) == 6


def test_the_list_export_and_filter(client_for, operator, maps):
    client = client_for(operator)
    maps["school"].events.update(status=Status.DONE)
    response = client.get(reverse("monitoring:roadmap-list") + "?level=organization&format=xlsx")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(min_row=5, values_only=True))
    assert sorted((r[0], r[1], r[9], r[10]) for r in rows) == [
        ("План школы", "образовательной организации", 1, 1),
        ("План школы № 2", "образовательной организации", 0, 1),
        ("План школы № 9", "образовательной организации", 0, 1),
    ]
    page = client.get(reverse("monitoring:roadmap-list") + "?q=района").context["page"]
    assert [r.title for r in page] == ["План района"]


# ---------------------------------------------------------------- directions, links, escaping


def test_events_are_grouped_by_direction_in_the_maps_order(client_for, curator, school):
    roadmap = make_map(Level.ORGANIZATION, organization=school)
    for direction, number in [("Направление 1", "1.1"), ("Направление 2", "2.1"), ("Направление 1", "1.2")]:
        make_event(roadmap, direction=direction, number=number, title=f"Мероприятие {number}")
    body = client_for(curator).get(detail_url(roadmap)).content.decode()
    order = [body.index(text) for text in ("<h3>Направление 1</h3>", "Мероприятие 1.1", "Мероприятие 1.2",
                                           "<h3>Направление 2</h3>", "Мероприятие 2.1")]  # fmt: skip
    assert order == sorted(order)
    assert table(body, "by-direction") == [
        ["Направление 1", "0", "2", "0 %"],
        ["Направление 2", "0", "1", "0 %"],
    ]


def test_links_are_http_only_and_open_without_the_opener(client_for, curator, school):
    roadmap = make_map(Level.ORGANIZATION, organization=school)
    event = make_event(
        roadmap,
        links="Новость: https://school.example.ru/news?id=1&x=2, javascript:alert(1)\n"
        'ftp://files.example.ru/a http://example.org/"onmouseover=alert(1)',
    )
    body = client_for(curator).get(detail_url(roadmap)).content.decode()
    anchors = re.findall(r"<a [^>]*>", body[body.index(f'id="event-{event.pk}"') :])
    links = [a for a in anchors if 'rel="noopener"' in a]
    assert links == [
        '<a href="https://school.example.ru/news?id=1&amp;x=2" rel="noopener" target="_blank">',
        '<a href="http://example.org/" rel="noopener" target="_blank">',
    ]
    assert 'href="javascript' not in body and 'href="ftp' not in body
    assert "javascript:alert(1)" in body and "ftp://files.example.ru/a" in body  # kept as text
    assert "onmouseover=alert(1)" in body and "&quot;onmouseover" in body


def test_text_is_escaped(client_for, coordinator, municipality):
    roadmap = make_map(Level.MUNICIPALITY, municipality=municipality, title="<b>План</b>")
    make_event(
        roadmap,
        direction="<i>Направление</i>",
        title="<script>alert(1)</script> Совещание",
        responsible="<img src=x onerror=alert(2)>",
    )
    client = client_for(coordinator)
    body = client.get(detail_url(roadmap)).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Совещание" in body
    assert "<img src=x" not in body and "&lt;img src=x onerror=alert(2)&gt;" in body
    assert "<i>Направление</i>" not in body and "&lt;i&gt;Направление&lt;/i&gt;" in body
    assert "<b>План</b>" not in body and "&lt;b&gt;План&lt;/b&gt;" in body
    listing = client.get(reverse("monitoring:roadmap-list")).content.decode()
    assert "<b>План</b>" not in listing and "&lt;b&gt;План&lt;/b&gt;" in listing


# ---------------------------------------------------------------- a fixed number of queries


def fill(roadmap, count):
    RoadMapEvent.objects.bulk_create(
        RoadMapEvent(
            roadmap=roadmap,
            direction=f"Направление {i % 4 + 1}",
            number=str(i),
            title=f"Мероприятие {i}",
            timing_text="",
            timing_start=D(2021, i % 12 + 1, 1),
            timing_end=D(2021, i % 12 + 1, 28),
            responsible=f"Ответственный {i % 5}",
            links=f"https://example.org/{i}",
            status=Status.DONE if i % 2 else Status.PLANNED,
            sort_order=i,
        )
        for i in range(count)
    )


@pytest.mark.parametrize("count", [3, 30])
@pytest.mark.parametrize("who", ["curator", "coordinator", "operator"])
def test_the_detail_page_takes_a_fixed_number_of_queries(
    request, client_for, school, who, count, django_assert_max_num_queries
):
    roadmap = make_map(Level.ORGANIZATION, organization=school)
    fill(roadmap, count)
    client = client_for(request.getfixturevalue(who))
    with django_assert_max_num_queries(
        11
    ):  # + the header's unread notices (the bell, docs/architecture.md §14)
        response = client.get(detail_url(roadmap, "?date_from=01.01.2021&date_to=31.12.2021"))
    assert response.status_code == 200
    assert response.context["n_events"] == count
    with django_assert_max_num_queries(7):  # + the access-log INSERT of the export
        assert client.get(detail_url(roadmap, "?format=xlsx")).status_code == 200


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_takes_a_fixed_number_of_queries(
    client_for, coordinator, municipality, count, django_assert_max_num_queries
):
    for i in range(count):
        organization = f.make_organization(municipality=municipality)
        fill(make_map(Level.ORGANIZATION, organization=organization, title=f"План {i}"), 3)
    client = client_for(coordinator)
    with django_assert_max_num_queries(
        7
    ):  # + the header's unread notices (the bell, docs/architecture.md §14)
        response = client.get(reverse("monitoring:roadmap-list"))
    assert len(response.context["rows"]) == count
