"""Bulk actions of the lists (docs/architecture.md §4.2): activate or complete several pairs,
archive several base rows. A confirmation page first; then each row through the card's own service
and checks, each succeeding or refused with its reason; a row out of scope refuses the whole request
(404) and a read-only role gets 403, nothing written."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from registry.models import BaseMembership, Mentorship
from tests import factories as f
from tests.registry import factories_mentorships as fm
from tests.registry.factories_people import make_member

pytestmark = pytest.mark.django_db

BULK = reverse("registry:mentorship-bulk")
ARCHIVE = reverse("registry:person-bulk-archive")


def notes(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def drafts(school):
    staff = fm.staff(school)
    return [
        f.make_mentorship(organization=school, mentor_person=staff["mentor"], mentees=[young], status="draft")
        for young in staff["young"][:2]
    ]


@pytest.fixture
def stranger_pair(other_school):
    staff = fm.staff(other_school, prefix="Чужой ")
    return f.make_mentorship(
        organization=other_school, mentor_person=staff["mentor"], mentees=[staff["young"][0]], status="draft"
    )


def confirm_post(pairs, **extra) -> dict:
    data = {"pk": [str(p.pk) for p in pairs], "confirm": "1", **extra}
    for p in pairs:
        data[f"version-{p.pk}"] = str(p.version)
    return data


def test_the_list_offers_labelled_checkboxes_to_the_curator_only(client_for, curator, coordinator, drafts):
    body = client_for(curator).get(reverse("registry:mentorship-list")).content.decode()
    assert 'form="bulk"' in body and f'<label for="pick-{drafts[0].pk}" class="sr-only">' in body
    assert 'id="bulk-action"' in body
    body = client_for(coordinator).get(reverse("registry:mentorship-list")).content.decode()
    assert 'form="bulk"' not in body


def test_activating_several_pairs_confirms_then_goes_through_the_service(client_for, curator, drafts):
    client = client_for(curator)
    page = client.post(BULK, {"action": "activate", "pk": [str(p.pk) for p in drafts]})
    assert page.status_code == 200
    body = page.content.decode()
    assert "Перевести пары в статус «действует»" in body and body.count("data-row=") == 2
    assert Mentorship.objects.filter(status="draft").count() == 2  # nothing written yet
    history_before = Mentorship.history.count()
    done = client.post(BULK, confirm_post(drafts, action="activate"))
    assert done.status_code == 302 and done.url == reverse("registry:mentorship-list")
    assert set(Mentorship.objects.filter(pk__in=[p.pk for p in drafts]).values_list("status", flat=True)) == {
        "active"
    }
    assert Mentorship.history.count() == history_before + 2  # one history row per pair
    assert any("Переведено в статус «действует»: 2 из 2" in n for n in notes(done))


def test_a_refused_row_is_named_and_the_others_done(client_for, curator, drafts, school):
    staff = fm.staff(school, prefix="Ещё ")
    active = f.make_mentorship(
        organization=school, mentor_person=staff["mentor"], mentees=[staff["young"][0]]
    )
    stale = drafts[1]
    data = confirm_post([drafts[0], stale, active], action="activate")
    data[f"version-{stale.pk}"] = str(stale.version + 5)  # changed by someone since the confirmation
    response = client_for(curator).post(BULK, data)
    assert response.status_code == 302
    statuses = dict(Mentorship.objects.values_list("pk", "status"))
    assert statuses[drafts[0].pk] == "active"
    assert statuses[stale.pk] == "draft" and statuses[active.pk] == "active"
    messages = notes(response)
    assert any("1 из 3" in n for n in messages)
    refused = [n for n in messages if n.startswith("«")]
    assert len(refused) == 2 and all(":" in n for n in refused)


def test_a_pair_of_another_school_refuses_the_whole_request(client_for, curator, drafts, stranger_pair):
    client = client_for(curator)
    for data in (
        {"action": "activate", "pk": [str(drafts[0].pk), str(stranger_pair.pk)]},
        confirm_post([drafts[0], stranger_pair], action="activate"),
        {"action": "activate", "pk": ["not-a-uuid"]},
    ):
        assert client.post(BULK, data).status_code == 404
    assert Mentorship.objects.filter(status="draft").count() == 3


def test_read_only_roles_get_403_and_nothing_is_written(client_for, coordinator, drafts):
    response = client_for(coordinator).post(BULK, confirm_post(drafts, action="activate"))
    assert response.status_code == 403
    assert Mentorship.objects.filter(status="draft").count() == 2


def test_get_is_refused_and_post_needs_the_csrf_token(curator, drafts):
    client = Client(enforce_csrf_checks=True)
    client.force_login(curator)
    assert client.get(BULK).status_code == 405
    assert client.post(BULK, confirm_post(drafts, action="activate")).status_code == 403
    assert Mentorship.objects.filter(status="draft").count() == 2


def test_no_row_or_no_action_sends_back_with_a_note(client_for, curator, drafts):
    client = client_for(curator)
    response = client.post(BULK, {"action": "activate"})
    assert response.status_code == 302 and any("Отметьте" in n for n in notes(response))
    response = client.post(BULK, {"action": "drop", "pk": [str(drafts[0].pk)]})
    assert response.status_code == 302 and any("Выберите действие" in n for n in notes(response))


def test_bulk_completion_asks_the_result_once_and_writes_it_into_each_pair(client_for, curator, school):
    staff = fm.staff(school)
    pairs = [
        f.make_mentorship(organization=school, mentor_person=staff["mentor"], mentees=[young])
        for young in staff["young"][:2]
    ]
    client = client_for(curator)
    page = client.post(BULK, {"action": "complete", "pk": [str(p.pk) for p in pairs]}).content.decode()
    for field in ("end_date", "goal_reached", "effect_comment", "result"):
        assert f'id="field-{field}"' in page
    assert 'id="field-mentee_assessment"' not in page
    # The result missing: the page again with the field's error, nothing written.
    missing = client.post(
        BULK, confirm_post(pairs, action="complete", end_date="01.03.2025", goal_reached="yes")
    )
    assert missing.status_code == 200 and 'id="field-result"' in missing.content.decode()
    assert "has-error" in missing.content.decode()
    assert Mentorship.objects.filter(status="completed").count() == 0
    done = client.post(
        BULK,
        confirm_post(
            pairs, action="complete", end_date="01.03.2025", goal_reached="yes", result="Аттестованы"
        ),
    )
    assert done.status_code == 302
    for pair in Mentorship.objects.filter(pk__in=[p.pk for p in pairs]):
        assert (pair.status, pair.result, pair.goal_reached, pair.end_date) == (
            "completed",
            "Аттестованы",
            "yes",
            datetime.date(2025, 3, 1),
        )
        assert pair.mentee_assessment is None
        assert pair.history.first().history_type == "~"


# ---------------------------------------------------------------- the bases


def test_archiving_several_base_rows(client_for, curator, school):
    free = [make_member(organization=school, full_name=f"Свободная {i}") for i in range(2)]
    busy_person = make_member(organization=school, full_name="Занятая Наставница")
    staff = fm.staff(school, prefix="Занят ")
    f.make_mentorship(
        organization=school,
        mentor_person=busy_person,
        mentees=[staff["young"][0]],
        start_date=datetime.date.today() - datetime.timedelta(days=30),
    )
    rows = [BaseMembership.objects.get(person=p, base="mentors") for p in [*free, busy_person]]
    client = client_for(curator)
    listed = client.get(reverse("registry:mentor-list")).content.decode()
    assert f'<label for="pick-{rows[0].pk}" class="sr-only">' in listed
    page = client.post(ARCHIVE, {"base": "mentors", "pk": [r.pk for r in rows]})
    assert page.status_code == 200 and page.content.decode().count("data-row=") == 3
    assert BaseMembership.objects.filter(pk__in=[r.pk for r in rows], archived_on__isnull=False).count() == 0
    history_before = BaseMembership.history.count()
    done = client.post(ARCHIVE, {"base": "mentors", "pk": [r.pk for r in rows], "confirm": "1"})
    assert done.status_code == 302 and done.url == reverse("registry:mentor-list")
    archived = set(
        BaseMembership.objects.filter(pk__in=[r.pk for r in rows], archived_on__isnull=False).values_list(
            "pk", flat=True
        )
    )
    assert archived == {rows[0].pk, rows[1].pk}
    assert BaseMembership.history.count() == history_before + 2
    messages = notes(done)
    assert any("2 из 3" in n for n in messages)
    assert any(n.startswith(f"«{busy_person.full_name}»") for n in messages)


def test_archiving_a_row_of_another_school_refuses_the_whole_request(
    client_for, curator, coordinator, school, other_school
):
    mine = make_member(organization=school, full_name="Своя")
    theirs = make_member(organization=other_school, full_name="Чужая")
    rows = [BaseMembership.objects.get(person=p) for p in (mine, theirs)]
    client = client_for(curator)
    data = {"base": "mentors", "pk": [r.pk for r in rows], "confirm": "1"}
    assert client.post(ARCHIVE, data).status_code == 404
    assert client.post(ARCHIVE, {**data, "pk": ["1x"]}).status_code == 404
    assert client.post(ARCHIVE, {**data, "base": "nope"}).status_code == 404
    assert client_for(coordinator).post(ARCHIVE, {**data, "pk": [rows[0].pk]}).status_code == 403
    assert BaseMembership.objects.filter(archived_on__isnull=False).count() == 0
