"""docs/reliability.md #59, the rows themselves: a create, update or delete through a form, the admin, an
import or a service writes a history row with the user, the time and the change. The paths not
already proven elsewhere (tests/registry/test_*: people and pairs through forms and imports):
the admin's change and delete of a person, a campaign's opening (its submissions and their
answers) and its reminders.
"""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from monitoring import campaigns as svc
from monitoring.models import Submission, SubmissionValue
from registry.models import Person
from tests import factories as f
from tests.registry.factories_people import make_member

pytestmark = pytest.mark.django_db


def test_the_admins_change_and_delete_of_a_person_write_history(client_for, admin_user, school):
    person = make_member(organization=school, base="mentors", full_name="Петрова Анна Сергеевна")
    client = client_for(admin_user)
    change = reverse("admin:registry_person_change", args=[person.pk])
    form = client.get(change).context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(full_name="Петрова Анна Сергеевна", position="завуч", birth_date="01.01.1980")
    response = client.post(change, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    client.post(reverse("admin:registry_person_delete", args=[person.pk]), {"post": "yes"})
    assert not Person.objects.filter(pk=person.pk).exists()
    rows = list(Person.history.filter(id=person.pk).order_by("history_date"))
    assert [r.history_type for r in rows][-2:] == ["~", "-"]
    assert rows[-2].position == "завуч" and rows[-2].prev_record.position != "завуч"
    assert all(r.history_user == admin_user for r in rows[-2:])


@pytest.fixture
def opened(coordinator, curator, municipality, school):
    curator.email = "curator@example.ru"
    curator.save()
    today = timezone.localdate()
    campaign = svc.campaign_create(
        user=coordinator,
        municipality=municipality,
        indicators=["R1"],
        title="Мониторинг наставничества",
        goal="Сбор данных",
        period_start=today,
        period_end=today + datetime.timedelta(days=14),
        deadline=today + datetime.timedelta(days=14),
        as_of_date=today,
    )
    f.make_mentorship(organization=school)
    return svc.campaign_open(user=coordinator, campaign=campaign)


def test_opening_a_campaign_writes_the_history_of_its_submissions_and_answers(opened, coordinator):
    submissions = Submission.objects.filter(campaign=opened)
    values = SubmissionValue.objects.filter(submission__campaign=opened)
    assert submissions.exists() and values.exists()
    for model, rows in ((Submission, submissions), (SubmissionValue, values)):
        history = model.history.filter(id__in=rows.values("pk"))
        assert history.count() == rows.count()
        assert set(history.values_list("history_type", "history_user")) == {("+", coordinator.pk)}


def test_a_reminder_writes_a_history_row(opened, coordinator):
    sent = svc.campaign_send_reminders(user=coordinator, campaign=opened)
    assert sent == len(mail.outbox) >= 1
    reminded = Submission.objects.filter(campaign=opened, last_reminded_at__isnull=False)
    assert reminded.exists()
    for submission in reminded:
        last = submission.history.latest("history_date")
        assert (last.history_type, last.history_user, last.last_reminded_at) == (
            "~",
            coordinator,
            submission.last_reminded_at,
        )
