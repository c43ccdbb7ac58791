"""The personal calendar feed at a secret URL and a road map's .ics (mentoring_portal.calendar,
monitoring.calendars; docs/architecture.md §4, docs/reliability.md, secret URLs)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from mentoring_portal.calendar import calendar_secret_issue
from mentoring_portal.models import AccessLogEntry
from monitoring import campaigns as svc
from monitoring.models import RoadMap, RoadMapEvent
from registry.models import Category, UserScope
from tests import factories as f
from tests.monitoring.test_campaign_views import make_campaign
from tests.monitoring.test_roadmap_views import make_event, make_map

pytestmark = pytest.mark.django_db

Level = RoadMap.Level


def today():
    return timezone.localdate()


def parse(response) -> dict:
    """UID → (summary, start date, description) of the .ics answer, after icalendar has read it."""
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(b"".join(response) if response.streaming else response.content)
    events = {}
    for event in calendar.walk("VEVENT"):
        assert event.get("dtstamp") is not None
        start = event.decoded("dtstart")
        assert isinstance(start, datetime.date) and not isinstance(start, datetime.datetime)  # all day
        assert event.decoded("dtend") > start
        events[str(event["uid"])] = (str(event["summary"]), start, str(event.get("description", "")))
    return events


def feed_url(user) -> str:
    return reverse("calendar-feed", args=[calendar_secret_issue(user=user)])


@pytest.fixture
def world(region, municipality, other_municipality, school, neighbour_school, other_school, coordinator):
    soon = today() + datetime.timedelta(days=10)  # «Сроки» are read into dates when saved
    campaign = svc.campaign_open(user=coordinator, campaign=make_campaign(coordinator, municipality))
    other_coordinator = f.make_user("coord-other", role="coordinator", municipality=other_municipality)
    foreign_campaign = svc.campaign_open(
        user=other_coordinator, campaign=make_campaign(other_coordinator, other_municipality, title="Чужой")
    )
    own_map = make_map(Level.ORGANIZATION, organization=school, title="План школы")
    district_map = make_map(Level.MUNICIPALITY, municipality=municipality, title="План района")
    foreign_map = make_map(Level.MUNICIPALITY, municipality=other_municipality, title="План соседей")
    other_region_map = make_map(
        Level.REGION, region=f.make_region(name="Другая область"), title="Чужой регион"
    )
    events = {
        "school": make_event(own_map, "Школьный семинар", timing_text=soon.strftime("%d.%m.%Y")),
        "district": make_event(district_map, "Районное совещание", timing_text=soon.strftime("%d.%m.%Y")),
        "foreign": make_event(foreign_map, "Соседское совещание", timing_text=soon.strftime("%d.%m.%Y")),
        "region": make_event(other_region_map, "Чужой форум", timing_text=soon.strftime("%d.%m.%Y")),
        "undated": make_event(own_map, "По запросу", timing_text="По запросу"),
    }
    mentor = f.make_person(organization=school, full_name="Петрова Анна Ивановна", category=Category.TEACHER)
    pupil = f.make_person(organization=school, full_name="Сидоров Пётр", category=Category.TEACHER)
    pair = f.make_mentorship(
        organization=school, mentor_person=mentor, mentees=[pupil], planned_end_date=soon
    )
    foreign_pair = f.make_mentorship(organization=other_school, planned_end_date=soon)
    neighbour_pair = f.make_mentorship(organization=neighbour_school, planned_end_date=soon)
    return dict(
        campaign=campaign,
        foreign_campaign=foreign_campaign,
        events=events,
        pair=pair,
        foreign_pair=foreign_pair,
        neighbour_pair=neighbour_pair,
        soon=soon,
        own_map=own_map,
    )


def test_curator_feed_holds_its_school_only_with_names(client, curator, world):
    events = parse(client.get(feed_url(curator)))  # no login: the secret is the key
    host = "testserver"
    campaign, pair = world["campaign"], world["pair"]
    assert events[f"campaign-{campaign.pk}@{host}"][:2] == (
        f"Срок сдачи отчётов: {campaign.title}",
        campaign.deadline,
    )
    school_event = world["events"]["school"]
    summary, start, description = events[f"roadmap-event-{school_event.pk}@{host}"]
    assert (summary, start) == ("Школьный семинар", world["soon"]) and "План школы" in description
    summary, start, _ = events[f"pair-{pair.pk}@{host}"]
    assert (
        summary == "Плановое окончание пары: Петрова Анна Ивановна — Сидоров Пётр" and start == world["soon"]
    )
    # Nothing of another school, municipality or region; no undated event.
    assert f"campaign-{world['foreign_campaign'].pk}@{host}" not in events
    for key in ("district", "foreign", "region", "undated"):
        assert f"roadmap-event-{world['events'][key].pk}@{host}" not in events
    assert f"pair-{world['foreign_pair'].pk}@{host}" not in events
    assert f"pair-{world['neighbour_pair'].pk}@{host}" not in events
    assert len(events) == 3
    # The same UIDs when read again (a calendar application updates, never doubles).
    assert set(
        parse(client.get(reverse("calendar-feed", args=[calendar_secret_issue(user=curator)])))
    ) == set(events)


def test_coordinator_feed_counts_pairs_without_names(client, coordinator, school, neighbour_school, world):
    events = parse(client.get(feed_url(coordinator)))
    text = " ".join(summary + description for summary, _, description in events.values())
    assert "Петрова" not in text and "Сидоров" not in text
    day = world["soon"].strftime("%Y%m%d")
    assert events[f"pairs-{school.pk}-{day}@testserver"][0] == f"Плановое окончание пар: {school} — 1"
    assert f"pairs-{neighbour_school.pk}-{day}@testserver" in events
    assert not any(uid.startswith(f"pairs-{world['foreign_pair'].organization_id}-") for uid in events)
    for key in ("school", "district"):
        assert f"roadmap-event-{world['events'][key].pk}@testserver" in events
    for key in ("foreign", "region"):
        assert f"roadmap-event-{world['events'][key].pk}@testserver" not in events
    assert f"campaign-{world['campaign'].pk}@testserver" in events
    assert f"campaign-{world['foreign_campaign'].pk}@testserver" not in events


def test_operator_and_mentor_feeds(client, operator, school, world):
    events = parse(client.get(feed_url(operator)))
    assert not any(uid.startswith(("pair-", "pairs-")) for uid in events)  # a region's pairs are counts
    assert f"roadmap-event-{world['events']['foreign'].pk}@testserver" in events  # the whole region
    assert f"roadmap-event-{world['events']['region'].pk}@testserver" not in events  # not another region
    mentor = f.make_user("mentor-cal", role="mentor", person=world["pair"].mentor_person)
    events = parse(client.get(feed_url(mentor)))
    assert list(events) == [f"pair-{world['pair'].pk}@testserver"]
    assert events[f"pair-{world['pair'].pk}@testserver"][0] == "Плановое окончание пары наставничества"


def test_new_secret_kills_the_old_url_and_garbage_is_404(client, client_for, curator, world):
    first = feed_url(curator)
    assert client.get(first).status_code == 200
    scope = UserScope.objects.get(user=curator)
    assert scope.calendar_secret_hash and scope.calendar_secret_hash not in first  # only its hash is kept
    second = feed_url(curator)
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200
    for bad in ("x", "%00", "a" * 500, "..", first.rsplit("/", 1)[1][:-4] + "x"):
        assert client.get(f"/calendar/{bad}.ics").status_code == 404, bad
    # An account turned off: its feed is gone too.
    UserScope.objects.filter(user=curator).update(deactivated_at=timezone.now())
    assert client.get(second).status_code == 404


def test_calendar_page_makes_and_resets_the_secret(client_for, curator, world):
    client = client_for(curator)
    page = client.get(reverse("calendar"))
    assert page.status_code == 200 and "Создать ссылку на календарь" in page.content.decode()
    made = client.post(reverse("calendar"))
    url = made.context["feed_url"]
    assert url.startswith("http://testserver/calendar/") and url.endswith(".ics")
    assert (
        AccessLogEntry.objects.filter(action=AccessLogEntry.Action.CALENDAR_RESET, user=curator).count() == 1
    )
    assert url.split("/calendar/")[1][:-4] not in "".join(
        AccessLogEntry.objects.values_list("details", flat=True)
    )
    again = client.post(reverse("calendar")).context["feed_url"]
    assert again != url
    anonymous = client.__class__()
    assert anonymous.get(url.replace("http://testserver", "")).status_code == 404
    assert anonymous.get(again.replace("http://testserver", "")).status_code == 200
    # A signed-in user without a role has no calendar.
    assert client_for(f.make_user()).get(reverse("calendar")).status_code == 403


def test_roadmap_ics_download_for_whoever_sees_the_map(
    client_for, curator, other_curator, coordinator, world
):
    own_map = world["own_map"]
    url = reverse("monitoring:roadmap-calendar", args=[own_map.pk])
    response = client_for(curator).get(url)
    events = parse(response)
    assert "attachment" in response["Content-Disposition"]
    assert list(events) == [f"roadmap-event-{world['events']['school'].pk}@testserver"]  # dated only
    assert parse(client_for(coordinator).get(url)) == events
    assert client_for(other_curator).get(url).status_code == 404
    assert (
        client_for(curator).get("/monitoring/roadmaps/99999999999999999999/calendar.ics").status_code == 404
    )
    entries = AccessLogEntry.objects.filter(url_name="monitoring:roadmap-calendar", user=curator, status=200)
    assert list(entries.values_list("action", "object_id")) == [("export", str(own_map.pk))]
    page = client_for(curator).get(reverse("monitoring:roadmap-detail", args=[own_map.pk]))
    assert url in page.content.decode()


def test_cancelled_event_is_left_out(client, curator, world):
    event = world["events"]["school"]
    RoadMapEvent.objects.filter(pk=event.pk).update(status=RoadMapEvent.Status.CANCELLED)
    assert f"roadmap-event-{event.pk}@testserver" not in parse(client.get(feed_url(curator)))
