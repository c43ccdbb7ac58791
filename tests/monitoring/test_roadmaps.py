"""Road maps: owner rules in the database, scoping, «Сроки» as the seeds write them, execution figures."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.urls import reverse

from monitoring.models import RoadMap, RoadMapEvent
from monitoring.selectors import roadmap_execution
from monitoring.timing import month_label, month_of, parse_timing
from registry import access
from tests import factories as f

D = datetime.date
Level = RoadMap.Level
Status = RoadMapEvent.Status


def region_map(region, title="План мероприятий", **kw):
    return RoadMap.objects.create(title=title, level=Level.REGION, region=region, **kw)


def municipal_map(municipality, title="Муниципальный план", **kw):
    return RoadMap.objects.create(
        title=title, level=Level.MUNICIPALITY, region=municipality.region, municipality=municipality, **kw
    )


def school_map(org, title="Дорожная карта ОО", **kw):
    return RoadMap.objects.create(
        title=title,
        level=Level.ORGANIZATION,
        region=org.municipality.region,
        municipality=org.municipality,
        organization=org,
        **kw,
    )


def refused(**fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        RoadMap.objects.create(**fields)


# ---------------------------------------------------------------- the owner in the database


@pytest.mark.django_db
def test_the_level_must_match_the_owner(region, municipality, school):
    refused(title="A", level=Level.REGION, region=region, municipality=municipality)
    refused(title="B", level=Level.MUNICIPALITY, region=region)
    refused(
        title="C", level=Level.MUNICIPALITY, region=region, municipality=municipality, organization=school
    )
    refused(
        title="D", level=Level.ORGANIZATION, region=region, organization=school
    )  # without its municipality
    refused(title="E", level=Level.ORGANIZATION, region=region, municipality=municipality)
    assert RoadMap.objects.count() == 0
    region_map(region), municipal_map(municipality), school_map(school)
    assert RoadMap.objects.count() == 3


@pytest.mark.django_db
def test_a_title_is_unique_per_owner_on_every_level(
    region, municipality, other_municipality, school, other_school
):
    """NULL owners would make a plain unique index useless: each level has its own."""
    region_map(region, "План")
    municipal_map(municipality, "План")
    municipal_map(other_municipality, "План")
    school_map(school, "План")
    school_map(other_school, "План")
    refused(title="План", level=Level.REGION, region=region)
    refused(title="План", level=Level.MUNICIPALITY, region=region, municipality=municipality)
    refused(
        title="План", level=Level.ORGANIZATION, region=region, municipality=municipality, organization=school
    )
    assert RoadMap.objects.count() == 5


@pytest.mark.django_db
def test_the_owner_must_be_consistent(region, municipality, other_municipality, school):
    roadmap = RoadMap(
        title="Карта",
        level=Level.ORGANIZATION,
        region=region,
        municipality=other_municipality,
        organization=school,
    )
    with pytest.raises(ValidationError) as error:
        roadmap.full_clean()
    assert error.value.message_dict["municipality"] == ["Организация относится к другому муниципалитету."]
    elsewhere = f.make_municipality()  # in another region
    roadmap = RoadMap(title="Карта", level=Level.MUNICIPALITY, region=region, municipality=elsewhere)
    with pytest.raises(ValidationError) as error:
        roadmap.full_clean()
    assert "region" in error.value.message_dict
    # An organization's map takes its organization's municipality when none is given.
    roadmap = RoadMap(title="Карта", level=Level.ORGANIZATION, region=region, organization=school)
    roadmap.full_clean()
    assert roadmap.municipality == municipality


@pytest.mark.django_db
def test_an_event_reads_its_dates_from_the_text_and_keeps_history(region):
    roadmap = region_map(region)
    event = RoadMapEvent.objects.create(roadmap=roadmap, title="Совещание", timing_text="Ноябрь 2020 года")
    assert (event.timing_start, event.timing_end) == (D(2020, 11, 1), D(2020, 11, 30))
    assert event.status == Status.PLANNED
    event.timing_text = "По запросу"
    event.save()
    event.refresh_from_db()
    assert (event.timing_start, event.timing_end) == (None, None)
    assert event.history.count() == 2
    assert roadmap.history.count() == 1


@pytest.mark.django_db
def test_timing_dates_come_in_pairs(region):
    roadmap = region_map(region)
    with pytest.raises(IntegrityError), transaction.atomic():
        RoadMapEvent.objects.bulk_create(
            [RoadMapEvent(roadmap=roadmap, title="А", timing_start=D(2021, 1, 1))]
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        RoadMapEvent.objects.bulk_create(
            [RoadMapEvent(roadmap=roadmap, title="Б", timing_start=D(2021, 2, 1), timing_end=D(2021, 1, 1))]
        )


@pytest.mark.django_db
def test_an_event_natural_key_is_not_repeated(region):
    roadmap = region_map(region)
    RoadMapEvent.objects.create(roadmap=roadmap, direction="Направление 1", number="1.1", title="Вебинар")
    twin = RoadMapEvent(roadmap=roadmap, direction="направление  1", number="1.1", title="ВЕБИНАР")
    with pytest.raises(ValidationError):
        twin.full_clean()
    RoadMapEvent(roadmap=roadmap, direction="Направление 1", number="1.2", title="Вебинар").full_clean()


# ---------------------------------------------------------------- scope


@pytest.fixture
def maps(region, municipality, other_municipality, school, neighbour_school, other_school):
    result = {
        "region": region_map(region),
        "municipality": municipal_map(municipality),
        "other municipality": municipal_map(other_municipality),
        "school": school_map(school),
        "neighbour": school_map(neighbour_school),
        "other school": school_map(other_school),
    }
    for name, roadmap in result.items():
        RoadMapEvent.objects.create(roadmap=roadmap, title=name, timing_text="2021 год")
    return result


def seen(user, maps, model=RoadMap):
    rows = access.scoped(user, model.objects.all())
    if model is RoadMapEvent:
        return set(rows.values_list("title", flat=True))
    names = {roadmap.pk: name for name, roadmap in maps.items()}
    return {names[pk] for pk in rows.values_list("pk", flat=True)}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("operator", {"region", "municipality", "other municipality", "school", "neighbour", "other school"}),
        ("coordinator", {"municipality", "school", "neighbour"}),
        ("curator", {"school"}),
        ("other_curator", {"other school"}),
    ],
)
def test_a_road_map_is_seen_within_the_territory_of_its_owner(request, maps, who, expected):
    user = request.getfixturevalue(who)
    assert seen(user, maps) == expected
    assert seen(user, maps, RoadMapEvent) == expected
    for stranger in set(maps) - expected:
        with pytest.raises(Http404):
            access.get_scoped_or_404(user, RoadMap.objects.all(), pk=maps[stranger].pk)


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.mark.django_db
def test_the_admin_pages_open_for_a_superuser(client_for, admin_user, maps):
    client = client_for(admin_user)
    for model in (RoadMap, RoadMapEvent):
        obj = model.objects.first()
        for view, args in (("changelist", ()), ("add", ()), ("change", (obj.pk,)), ("history", (obj.pk,))):
            assert client.get(admin_url(model, view, *args)).status_code == 200, (model, view)


@pytest.mark.django_db
def test_the_admin_is_scoped(client_for, coordinator, maps):
    coordinator.is_staff = True
    coordinator.save()
    coordinator.user_permissions.set(Permission.objects.filter(content_type__app_label="monitoring"))
    client = client_for(coordinator)
    response = client.get(admin_url(RoadMap, "changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count == 3  # the municipality's map and its two schools'
    assert client.get(admin_url(RoadMap, "change", maps["school"].pk)).status_code == 200
    assert client.get(admin_url(RoadMap, "change", maps["region"].pk)).status_code == 404
    assert client.get(admin_url(RoadMap, "history", maps["other school"].pk)).status_code == 404
    event = maps["other municipality"].events.get()
    assert client.get(admin_url(RoadMapEvent, "change", event.pk)).status_code == 404


# ---------------------------------------------------------------- «Сроки»

# Every «Сроки» / «Дата проведения» of the seeds, as written (000's cells joined across lines).
SEED_TIMINGS = {
    # 000, Bryansk
    "Ноябрь 2020 года": (D(2020, 11, 1), D(2020, 11, 30)),
    "Январь 2021 года": (D(2021, 1, 1), D(2021, 1, 31)),
    "Март 2021 года": (D(2021, 3, 1), D(2021, 3, 31)),
    "Апрель 2021 года": (D(2021, 4, 1), D(2021, 4, 30)),
    # 003, Smolensk
    "Ноябрь 2022": (D(2022, 11, 1), D(2022, 11, 30)),
    "2022/2023 учебный год": (D(2022, 9, 1), D(2023, 8, 31)),
    "Февраль 2023": (D(2023, 2, 1), D(2023, 2, 28)),
    "16.12.2022-25.12.2022 год": (D(2022, 12, 16), D(2022, 12, 25)),
    "13.12 2022 год": (D(2022, 12, 13), D(2022, 12, 13)),
    "Январь-июнь 2023": (D(2023, 1, 1), D(2023, 6, 30)),
    "27.03 – 04.04.2023": (D(2023, 3, 27), D(2023, 4, 4)),
    "13.03.2023": (D(2023, 3, 13), D(2023, 3, 13)),
    "24.01-31.01.2023 21.02-24.03.2023": (D(2023, 1, 24), D(2023, 3, 24)),
    "-": (None, None),
    "По запросу": (None, None),
    "Май 2023": (D(2023, 5, 1), D(2023, 5, 31)),
    "Апрель 2023": (D(2023, 4, 1), D(2023, 4, 30)),
    "3.04-28.04.2023": (D(2023, 4, 3), D(2023, 4, 28)),
    "Февраль 2023 Апрель 2023": (D(2023, 2, 1), D(2023, 4, 30)),
    "В течение всего периода": (None, None),
    # 001, Emanzhelinsk («Решение»)
    "сентябрь – май 2020-2021 учебного года": (D(2020, 9, 1), D(2021, 5, 31)),
}

OTHER_TIMINGS = {
    "январь 2021 г.": (D(2021, 1, 1), D(2021, 1, 31)),
    "16.12.2022 – 25.12.2022": (D(2022, 12, 16), D(2022, 12, 25)),
    "16.12.2022": (D(2022, 12, 16), D(2022, 12, 16)),
    "в течение 2021 года": (D(2021, 1, 1), D(2021, 12, 31)),
    "2021 год": (D(2021, 1, 1), D(2021, 12, 31)),
    "I квартал 2021": (D(2021, 1, 1), D(2021, 3, 31)),
    "IV квартал 2021 г.": (D(2021, 10, 1), D(2021, 12, 31)),
    "2-й квартал 2022": (D(2022, 4, 1), D(2022, 6, 30)),
    "II полугодие 2023": (D(2023, 7, 1), D(2023, 12, 31)),
    "сентябрь–октябрь 2022": (D(2022, 9, 1), D(2022, 10, 31)),
    "сентябрь 2022 – май 2023": (D(2022, 9, 1), D(2023, 5, 31)),
    "в феврале 2024": (D(2024, 2, 1), D(2024, 2, 29)),
    "2022–2024 годы": (D(2022, 1, 1), D(2024, 12, 31)),
    "с 15.06 по 23.06.2023": (D(2023, 6, 15), D(2023, 6, 23)),
    "25.12-10.01.2023": (D(2022, 12, 25), D(2023, 1, 10)),
    "2020-2021 уч. г.": (D(2020, 9, 1), D(2021, 8, 31)),
    "декабрь 2022, январь 2023": (D(2022, 12, 1), D(2023, 1, 31)),
    "ежемесячно": (None, None),
    "по запросу": (None, None),
    "постоянно": (None, None),
    "": (None, None),
    "до 30.12.2022": (None, None),  # a deadline, not a period
    "с 01.09.2020": (None, None),  # no end
    "31.02.2023": (None, None),  # no such day
    "Нобярь 2020": (None, None),  # misspelt month
    "марафон 2023": (None, None),
    "январь": (None, None),  # no year anywhere
    "2022/2024 учебный год": (None, None),
    "27.03 – 04.04.2023 и далее": (None, None),
}


@pytest.mark.parametrize(("text", "expected"), SEED_TIMINGS.items())
def test_timing_as_the_seeds_write_it(text, expected):
    assert parse_timing(text) == expected


@pytest.mark.parametrize(("text", "expected"), OTHER_TIMINGS.items())
def test_timing_other_spellings_and_what_is_not_guessed(text, expected):
    assert parse_timing(text) == expected


def test_timing_split_across_lines_as_in_the_extract():
    assert parse_timing("Ноябрь\n2020 года") == (D(2020, 11, 1), D(2020, 11, 30))


def test_month_helpers():
    assert month_of(D(2021, 3, 17)) == D(2021, 3, 1)
    assert month_label(D(2020, 11, 1)) == "ноябрь 2020"
    assert month_label(None) == "без срока"


# ---------------------------------------------------------------- execution figures

# Seed 000 (Bryansk): №, Мероприятия, Сроки, Ответственный, as in the note.
KPK_TOPIC = "«Наставничество как универсальная технология передачи опыта»"
BRYANSK = [
    ("1", "Региональный конкурс среди ОО на присвоение статуса инновационных площадок", "Ноябрь 2020 года",
     "О.Г.Викульева"),
    ("2", "Организация сетевого взаимодействия", "Январь 2021 года", "О.Г.Викульева"),
    ("3", f"Командные (учитель-наставник и наставляемый) курсы повышения квалификации по теме {KPK_TOPIC}",
     "Январь 2021 года", "Т.В.Украинцева"),
    ("4", "Отбор ОО, демонстрирующих высокие результаты, в качестве школ-наставников "
          "(стажировочные площадки)", "Январь 2021 года", "О.Г.Викульева"),
    ("5", "Организация методической помощи профессиональным сообществам", "Январь 2021 года", "М.В.Захарова"),
    ("6", "Организация курсов повышения квалификации по теме «Старт в профессию» для молодых учителей "
          "начальных классов", "Март 2021 года", "И.П.Мураль"),
    ("7", f"Курсы повышения квалификации для учителей-наставников (русский язык) по теме {KPK_TOPIC}",
     "Апрель 2021 года", "Т.В.Украинцева"),
    ("8", "Организация методической помощи педагогам на основе оценочных процедур", "Март 2021 года",
     "О.Г.Викульева"),
]  # fmt: skip


@pytest.fixture
def bryansk(region):
    roadmap = region_map(
        region,
        "Программа методического сопровождения ОО, имеющих низкие образовательные результаты, "
        "на 2020–2022 гг.",
    )
    for order, (number, title, timing, responsible) in enumerate(BRYANSK, start=1):
        RoadMapEvent.objects.create(
            roadmap=roadmap,
            number=number,
            title=title,
            timing_text=timing,
            responsible=responsible,
            status=Status.DONE,
            sort_order=order,
        )
    return roadmap


def figures(pairs):
    return {key: (value.planned, value.done) for key, value in pairs}


@pytest.mark.django_db
def test_bryansk_eight_events_by_month_and_by_responsible(bryansk, django_assert_num_queries):
    with django_assert_num_queries(4):  # the total, and one GROUP BY per breakdown
        execution = roadmap_execution(bryansk)
    assert (execution.total.planned, execution.total.done, execution.total.percent) == (8, 8, 100)
    assert execution.by_month == sorted(execution.by_month, key=lambda item: item[0])
    assert figures(execution.by_month) == {
        D(2020, 11, 1): (1, 1),
        D(2021, 1, 1): (4, 4),
        D(2021, 3, 1): (2, 2),
        D(2021, 4, 1): (1, 1),
    }
    assert [name for name, _ in execution.by_responsible] == [
        "О.Г.Викульева", "Т.В.Украинцева", "И.П.Мураль", "М.В.Захарова",
    ]  # fmt: skip
    assert figures(execution.by_responsible) == {
        "О.Г.Викульева": (4, 4),
        "Т.В.Украинцева": (2, 2),
        "М.В.Захарова": (1, 1),
        "И.П.Мураль": (1, 1),
    }
    assert figures(execution.by_direction) == {"": (8, 8)}


@pytest.mark.django_db
def test_execution_in_a_period_counts_done_of_planned(bryansk):
    events = {e.number: e for e in bryansk.events.all()}
    events["7"].status = Status.NOT_DONE
    events["7"].save()
    events["8"].status = Status.CANCELLED  # taken out of the plan: in neither count
    events["8"].save()
    RoadMapEvent.objects.create(roadmap=bryansk, number="9", title="Консультации", timing_text="По запросу")

    spring = roadmap_execution(bryansk, date_from=D(2021, 3, 1), date_to=D(2021, 5, 31))
    assert (spring.total.planned, spring.total.done) == (2, 1)  # «Старт в профессию» done, № 7 not
    assert figures(spring.by_month) == {D(2021, 3, 1): (1, 1), D(2021, 4, 1): (1, 0)}

    everything = roadmap_execution(bryansk)
    assert (everything.total.planned, everything.total.done) == (8, 6)
    assert round(everything.total.percent, 1) == 75.0
    assert list(figures(everything.by_month))[-1] is None  # the undated event, last
    assert figures(everything.by_month)[None] == (1, 0)


@pytest.mark.django_db
def test_execution_by_direction_in_the_road_maps_order(region):
    roadmap = region_map(region)
    rows = [
        ("Направление 1. Нормативное обеспечение", "1.1", Status.DONE),
        ("Направление 1. Нормативное обеспечение", "1.2", Status.DONE),
        ("Направление 2. Организационные и координационные меры", "2.1", Status.DONE),
        ("Направление 2. Организационные и координационные меры", "2.4", Status.PLANNED),
        ("Направление 4. Информационное сопровождение", "4.1", Status.PARTIAL),
    ]
    for order, (direction, number, status) in enumerate(rows, start=1):
        RoadMapEvent.objects.create(
            roadmap=roadmap, direction=direction, number=number, title=f"Мероприятие {number}",
            timing_text="Февраль 2023", status=status, sort_order=order,
        )  # fmt: skip
    execution = roadmap_execution(roadmap)
    assert [(d[:13], (x.planned, x.done)) for d, x in execution.by_direction] == [
        ("Направление 1", (2, 2)),
        ("Направление 2", (2, 1)),
        ("Направление 4", (1, 0)),
    ]
    assert roadmap_execution(region_map(region, "Пустая")).total.percent is None
