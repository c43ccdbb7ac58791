"""The pair's meetings, recorded and changed from the pair's card, and the pairs gone silent.

docs/domain.md §4.2: a meeting's date is not in the future and lies in the pair's period; the tasks
it touched are of the pair's own plan; an active pair whose last meeting (or, with none, its start)
is more than SILENT_PAIR_WEEKS weeks ago is «без встреч», alike in the list's filter, the
dashboard's count and the card's warning.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from registry import meetings
from registry.models import Meeting
from tests import factories as f

pytestmark = pytest.mark.django_db

START = datetime.date(2022, 9, 1)
END = datetime.date(2023, 5, 31)
DAY = datetime.timedelta(days=1)


@pytest.fixture
def pair(school):
    return f.make_mentorship(organization=school, start_date=START, planned_end_date=END)


def url(name, pair, *args):
    return reverse(f"registry:mentorship-{name}", args=[pair.pk, *args])


def card(client, pair):
    response = client.get(url("detail", pair))
    assert response.status_code == 200
    return response


def posted(**fields):
    data = {
        "date": "2022-10-05",
        "format": "in_person",
        "duration_minutes": "45",
        "topic": "Разбор урока",
        "agreed": "",
    }
    data.update(fields)
    return data


# ---------------------------------------------------------------- recording and changing, as the curator


def test_curator_records_a_meeting_with_tasks_and_changes_it(client_for, curator, pair):
    client = client_for(curator)
    body = card(client, pair).content.decode()
    assert "Встречи" in body and "Встреч не записано." in body and "Записать встречу" in body
    task = f.make_plan_item(pair, task="Посетить уроки наставника")
    f.make_plan_item(pair, task="Открытый урок")

    response = client.post(
        url("meeting-add", pair),
        posted(agreed="Посетить два урока", format="remote", plan_items=[task.pk]),
    )
    assert response.status_code == 302 and response["Location"].endswith("#meetings")
    meeting = Meeting.objects.get()
    assert (meeting.date, meeting.format, meeting.duration_minutes) == (
        datetime.date(2022, 10, 5),
        "remote",
        45,
    )
    assert list(meeting.plan_items.all()) == [task] and meeting.created_by == curator

    response = client.post(
        url("meeting-edit", pair, meeting.pk),
        posted(topic="Разбор открытого урока", duration_minutes="60", plan_items=[]),
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.topic, meeting.duration_minutes, meeting.format) == (
        "Разбор открытого урока",
        60,
        "in_person",
    )
    assert not meeting.plan_items.exists()


def test_the_card_lists_meetings_newest_first_with_their_tasks(client_for, curator, pair):
    task = f.make_plan_item(pair, task="Технологическая карта урока")
    f.make_meeting(pair, date=datetime.date(2022, 9, 10), topic="Знакомство")
    f.make_meeting(
        pair,
        date=datetime.date(2022, 11, 2),
        topic="Карта урока",
        format="remote",
        duration_minutes=30,
        agreed="Доработать карту",
        plan_items=[task],
    )
    response = card(client_for(curator), pair)
    assert [m.topic for m in response.context["meetings"]] == ["Карта урока", "Знакомство"]
    body = response.content.decode()
    assert (
        "02.11.2022" in body and "10.09.2022" in body and body.index("02.11.2022") < body.index("10.09.2022")
    )
    assert "дистанционно" in body and "очно" in body and "Доработать карту" in body
    assert body.count("Технологическая карта урока") == 2  # the plan's row and the meeting's tasks
    for meeting in response.context["meetings"]:
        assert f'href="{url("meeting-edit", pair, meeting.pk)}">Изменить</a>' in body


# ---------------------------------------------------------------- refusals: nothing stored


def test_a_meeting_in_the_future_is_refused_naming_the_field(client_for, curator, pair):
    tomorrow = timezone.localdate() + DAY
    response = client_for(curator).post(url("meeting-add", pair), posted(date=tomorrow.isoformat()))
    assert response.status_code == 200
    assert response.context["form"].errors["date"] == ["Дата встречи не может быть позже сегодняшнего дня."]
    assert "Дата встречи не может быть позже сегодняшнего дня." in response.content.decode()
    assert not Meeting.objects.exists()


def test_a_meeting_before_the_pair_started_is_refused(client_for, curator, pair):
    response = client_for(curator).post(url("meeting-add", pair), posted(date="2022-08-31"))
    assert response.status_code == 200
    assert response.context["form"].errors["date"] == [
        "Дата встречи не может быть раньше начала наставничества (01.09.2022)."
    ]
    assert not Meeting.objects.exists()


def test_a_task_of_another_pair_is_refused(client_for, curator, school, pair):
    f.make_plan_item(pair, task="Своя задача")
    strangers = f.make_plan_item(f.make_mentorship(organization=school), task="Чужая задача")
    response = client_for(curator).post(url("meeting-add", pair), posted(plan_items=[strangers.pk]))
    assert response.status_code == 200 and "plan_items" in response.context["form"].errors
    with pytest.raises(ValidationError) as error:
        meetings.meeting_record(
            mentorship=pair, date=START, duration_minutes=45, topic="x", plan_items=[strangers]
        )
    assert error.value.message_dict["plan_items"] == ["Задача «Чужая задача» — из плана другой пары."]
    assert not Meeting.objects.exists()


def test_the_services_refuse_what_the_forms_refuse(school, pair):
    closed = f.make_mentorship(
        organization=school, status="completed", end_date=datetime.date(2023, 5, 31), result="Аттестован"
    )
    cases = [
        (dict(mentorship=pair, date=timezone.localdate() + DAY), "date", "позже сегодняшнего дня"),
        (dict(mentorship=pair, date=datetime.date(2022, 8, 1)), "date", "раньше начала наставничества"),
        (dict(mentorship=closed, date=datetime.date(2023, 6, 1)), "date", "позже окончания наставничества"),
        (
            dict(mentorship=pair, date=START, duration_minutes=0),
            "duration_minutes",
            "положительное число минут",
        ),
        (
            dict(mentorship=f.make_mentorship(organization=school, status="draft"), date=START),
            "__all__",
            "не у черновика",
        ),
    ]
    for kw, field, text in cases:
        kw.setdefault("duration_minutes", 45)
        with pytest.raises(ValidationError) as error:
            meetings.meeting_record(topic="Урок", **kw)
        assert text in " ".join(error.value.message_dict[field]), (field, text)
    assert not Meeting.objects.exists()
    # a completed pair takes meetings inside its period
    assert meetings.meeting_record(
        mentorship=closed, date=datetime.date(2023, 5, 31), duration_minutes=45, topic="Итог"
    )
    meeting = f.make_meeting(pair)
    with pytest.raises(ValidationError):
        meetings.meeting_update(meeting=meeting, date=datetime.date(2022, 8, 1))
    meeting.refresh_from_db()
    assert meeting.date == START


def test_a_draft_pair_offers_no_meeting(client_for, curator, school):
    draft = f.make_mentorship(organization=school, status="draft")
    client = client_for(curator)
    assert "Записать встречу" not in card(client, draft).content.decode()
    response = client.post(url("meeting-add", draft), posted(date=draft.start_date.isoformat()))
    assert response.status_code == 302 and not Meeting.objects.exists()


# ---------------------------------------------------------------- access


def test_a_curator_of_another_school_gets_404_on_every_new_url(client_for, other_curator, pair):
    meeting = f.make_meeting(pair)
    client = client_for(other_curator)
    for target in (url("meeting-add", pair), url("meeting-edit", pair, meeting.pk)):
        assert client.get(target).status_code == 404, target
        assert client.post(target, posted(topic="x")).status_code == 404, target
    assert Meeting.objects.get().topic != "x"


def test_a_meeting_of_another_pair_is_not_found_under_this_pair(client_for, curator, school, pair):
    meeting = f.make_meeting(f.make_mentorship(organization=school))
    assert client_for(curator).get(url("meeting-edit", pair, meeting.pk)).status_code == 404


def test_a_coordinator_reads_the_meetings_and_gets_403_on_writes(client_for, coordinator, pair):
    meeting = f.make_meeting(pair, topic="Разбор урока наставника")
    client = client_for(coordinator)
    body = card(client, pair).content.decode()
    assert "Разбор урока наставника" in body and "Записать встречу" not in body
    for target in (url("meeting-add", pair), url("meeting-edit", pair, meeting.pk)):
        assert client.get(target).status_code == 403, target
        assert client.post(target, posted(topic="x")).status_code == 403, target
    assert Meeting.objects.count() == 1 and Meeting.objects.get().topic != "x"


# ---------------------------------------------------------------- history and query count


def test_history_rows_are_recorded_for_a_meeting(client_for, curator, pair):
    client = client_for(curator)
    client.post(url("meeting-add", pair), posted())
    meeting = Meeting.objects.get()
    client.post(url("meeting-edit", pair, meeting.pk), posted(topic="Разбор урока, уточнено"))
    client.post(url("meeting-edit", pair, meeting.pk), posted(topic="Разбор урока, уточнено"))  # no change
    rows = list(meeting.history.order_by("history_id").values_list("history_type", "topic", "history_user"))
    assert rows == [("+", "Разбор урока", curator.pk), ("~", "Разбор урока, уточнено", curator.pk)]


def test_the_cards_query_count_does_not_grow_with_the_meetings(
    client_for, curator, pair, django_assert_max_num_queries
):
    client = client_for(curator)
    task = f.make_plan_item(pair)
    f.make_meeting(pair, plan_items=[task])
    card(client, pair)  # warm up (sessions, content types)
    with CaptureQueriesContext(connection) as one:
        card(client, pair)
    for k in range(9):
        f.make_meeting(pair, date=START + (k + 1) * DAY, topic=f"встреча {k}", plan_items=[task])
    with django_assert_max_num_queries(16), CaptureQueriesContext(connection) as ten:
        response = card(client, pair)
    assert len(response.context["meetings"]) == 10
    assert len(ten) == len(one)


# ---------------------------------------------------------------- silent pairs


def test_silent_pairs_agree_in_the_list_the_dashboard_and_the_card(
    client_for, curator, school, other_school, settings
):
    settings.SILENT_PAIR_WEEKS = 4
    today = timezone.localdate()
    edge = today - datetime.timedelta(weeks=4)
    long_ago = today - 100 * DAY

    def pair(name, **kw):
        kw.setdefault("start_date", long_ago)
        made = f.make_mentorship(organization=kw.pop("organization", school), group_name=name, **kw)
        return made

    met_on_the_edge = pair("met exactly 4 weeks ago")
    f.make_meeting(met_on_the_edge, date=long_ago)
    f.make_meeting(met_on_the_edge, date=edge)
    met_a_day_before = pair("met 4 weeks and a day ago")
    f.make_meeting(met_a_day_before, date=edge - DAY)
    started_on_the_edge = pair("never met, started 4 weeks ago", start_date=edge)
    started_a_day_before = pair("never met, started 4 weeks and a day ago", start_date=edge - DAY)
    completed = pair("completed, never met", status="completed", end_date=today - 50 * DAY, result="Есть")
    pair("another school's silent pair", organization=other_school)
    silent = {met_a_day_before.pk, started_a_day_before.pk}

    client = client_for(curator)
    listed = client.get(reverse("registry:mentorship-list") + "?silent=1").context["rows"]
    assert {row.pair.pk for row in listed} == silent
    dashboard = client.get(reverse("dashboard"))
    assert dashboard.context["alerts"]["silent"] == 2
    assert (
        'href="/pairs/?silent=1" data-alert="silent">Без встреч более 4 недель: 2<'
        in dashboard.content.decode()
    )
    for each in (met_on_the_edge, met_a_day_before, started_on_the_edge, started_a_day_before, completed):
        response = card(client, each)
        warned = "silent" in {w.code for w in response.context["row"].warnings}
        assert warned == (each.pk in silent), each.group_name
    body = card(client, started_a_day_before).content.decode()
    assert (
        f"Без встреч более 4 недель: встреч не было с начала наставничества, {edge - DAY:%d.%m.%Y}." in body
    )
    body = card(client, met_a_day_before).content.decode()
    assert f"Без встреч более 4 недель: последняя встреча — {edge - DAY:%d.%m.%Y}." in body


def test_the_weeks_are_a_setting(client_for, curator, school, settings):
    today = timezone.localdate()
    f.make_mentorship(organization=school, start_date=today - 20 * DAY)
    client = client_for(curator)
    settings.SILENT_PAIR_WEEKS = 4
    assert client.get(reverse("dashboard")).context["alerts"]["silent"] == 0
    settings.SILENT_PAIR_WEEKS = 2
    response = client.get(reverse("dashboard"))
    assert response.context["alerts"]["silent"] == 1
    assert "Без встреч более 2 недель: 1<" in response.content.decode()
