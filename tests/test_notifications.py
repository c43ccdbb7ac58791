"""Notifications that run by themselves (mentoring_portal.notifications, docs/reliability.md).

Each kind reaches the right people only; running the job twice makes nothing twice; its queries do not
grow with the country; a mail server that is down leaves the letter pending with its error and it is
sent on the next run; a kind turned off stays in the portal only; HTML in a comment is escaped; the
bell counts; a notice is marked read; another user's notice is a 404; «Напомнить» asks first and its
letters carry the link.
"""

import datetime
import logging
import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from mentoring_portal import notifications as svc
from mentoring_portal.models import Notification, NotificationPreference
from monitoring import campaigns as campaigns_svc
from monitoring.models import Submission
from tests import factories as f
from tests.monitoring.test_campaigns import make_campaign

pytestmark = pytest.mark.django_db

D = datetime.date
K = Notification.Kind
BASE = "https://nastavnik.example.ru"
BEFORE_DEADLINE = D(2022, 12, 27)  # the campaign's deadline (30.12.2022) in 3 days
AFTER_DEADLINE = D(2023, 1, 2)


def at(day: datetime.date, hour: int = 12) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


class DownBackend(BaseEmailBackend):
    """A mail server that is down: every letter is refused, as smtplib refuses it."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


DOWN = "tests.test_notifications.DownBackend"


@pytest.fixture(autouse=True)
def portal_address(settings):
    settings.PORTAL_BASE_URL = BASE
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def people(curator, other_curator, coordinator, other_coordinator, neighbour_school):
    with_email(curator, "soh1@example.ru")
    with_email(coordinator, "imk@example.ru")
    return {
        "curator": curator,
        "neighbour": with_email(
            f.make_user("curator2", role="curator", organization=neighbour_school), "soh2@example.ru"
        ),
        "other curator": other_curator,
        "coordinator": coordinator,
        "other coordinator": other_coordinator,
    }


@pytest.fixture
def campaign(people, coordinator, municipality):
    """An open municipal campaign (deadline 30.12.2022) over ``school`` and ``neighbour_school``."""
    return campaigns_svc.campaign_open(
        user=coordinator, campaign=make_campaign(coordinator, municipality), at=at(D(2022, 12, 16))
    )


def with_email(user, email):
    user.email = email
    user.save()
    return user


def submission_of(campaign, org) -> Submission:
    return Submission.objects.get(campaign=campaign, organization=org)


def send(submission, day):
    """The school has sent its submission (the form's own path is tested in tests/monitoring)."""
    Submission.objects.filter(pk=submission.pk).update(
        status=Submission.Status.SUBMITTED, submitted_at=at(day), first_submitted_at=at(day), on_time=True
    )


def notices(**kw) -> set[tuple]:
    return set(Notification.objects.filter(**kw).values_list("recipient__username", "kind"))


def pair(org, **kw):
    kw.setdefault("planned_end_date", D(2023, 1, 5))  # within 14 days of 27.12.2022
    return f.make_mentorship(organization=org, start_date=D(2022, 9, 1), **kw)  # no meeting: silent


# ---------------------------------------------------------------- who gets what


def test_each_kind_reaches_the_right_people_only(
    people, campaign, school, neighbour_school, other_school, municipality
):
    send(submission_of(campaign, neighbour_school), D(2022, 12, 20))
    school_pair = pair(school)
    pair(other_school, planned_end_date=D(2023, 6, 1))  # silent, not ending: its own curator only
    svc.create_due(today=BEFORE_DEADLINE)
    assert notices(kind=K.DEADLINE_SOON) == {("curator1", K.DEADLINE_SOON)}  # the neighbour has sent
    assert notices(kind=K.SUBMISSION_WAITING) == {("coordinator1", K.SUBMISSION_WAITING)}
    assert notices(kind=K.PAIR_ENDING) == {("curator1", K.PAIR_ENDING)}
    assert notices(kind=K.PAIR_SILENT) == {("curator1", K.PAIR_SILENT), ("curator9", K.PAIR_SILENT)}
    assert notices(kind__in=[K.DEADLINE_PASSED, K.SUBMISSION_RETURNED]) == set()
    # Nothing for the other municipality's coordinator, nor for the neighbour's curator about pairs.
    assert notices(recipient=people["other coordinator"]) == set()
    assert notices(recipient=people["neighbour"]) == set()

    silent = Notification.objects.get(kind=K.PAIR_SILENT, recipient=people["curator"])
    assert "без встреч более 4 недель: встреч не было с начала наставничества, 01.09.2022" in silent.text
    assert silent.link == reverse("registry:mentorship-detail", args=[school_pair.pk])
    soon = Notification.objects.get(kind=K.DEADLINE_SOON)
    assert "срок сдачи — 30.12.2022" in soon.text
    assert soon.link == reverse("monitoring:submission-detail", args=[submission_of(campaign, school).pk])


def test_after_the_deadline_and_a_return_with_the_comment(
    people, campaign, school, neighbour_school, coordinator
):
    returned = campaigns_svc.submission_return(
        user=coordinator,
        submission=submission_of(campaign, school),
        comment="Уточните число наставников",
        at=at(D(2022, 12, 31)),
    )
    svc.create_due(today=AFTER_DEADLINE)
    assert notices(kind=K.DEADLINE_PASSED) == {
        ("curator1", K.DEADLINE_PASSED),
        ("curator2", K.DEADLINE_PASSED),
    }
    assert notices(kind=K.SUBMISSION_RETURNED) == {("curator1", K.SUBMISSION_RETURNED)}
    notice = Notification.objects.get(kind=K.SUBMISSION_RETURNED)
    assert "Комментарий координатора: Уточните число наставников" in notice.text
    assert notice.link == reverse("monitoring:submission-detail", args=[returned.pk])


def test_a_return_tells_the_curator_at_once_and_the_job_adds_nothing(
    people, campaign, school, coordinator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        campaigns_svc.submission_return(
            user=coordinator,
            submission=submission_of(campaign, school),
            comment="Исправьте",
            at=at(D(2022, 12, 31)),
        )
    assert notices() == {("curator1", K.SUBMISSION_RETURNED)}
    svc.create_due(today=AFTER_DEADLINE, kinds=[K.SUBMISSION_RETURNED])
    assert Notification.objects.count() == 1


def test_the_job_twice_makes_nothing_twice(people, campaign, school, neighbour_school):
    send(submission_of(campaign, neighbour_school), D(2022, 12, 20))
    pair(school)
    call_command("send_notifications", "--date", "27.12.2022", stdout=open("/dev/null", "w"))
    first = list(Notification.objects.order_by("pk").values_list("pk", "recipient", "kind", "key"))
    assert len(first) == 4 and len(mail.outbox) == 4  # soon, waiting, ending, silent
    call_command("send_notifications", "--date", "27.12.2022", stdout=open("/dev/null", "w"))
    svc.create_due(today=D(2022, 12, 28))  # the next day: the same events
    assert list(Notification.objects.order_by("pk").values_list("pk", "recipient", "kind", "key")) == first
    assert len(mail.outbox) == 4


def test_a_pair_that_meets_and_falls_silent_again_is_told_again(people, school):
    silent = pair(school)
    svc.create_due(today=BEFORE_DEADLINE, kinds=[K.PAIR_SILENT])
    f.make_meeting(silent, date=D(2022, 12, 1))
    svc.create_due(today=D(2023, 2, 1), kinds=[K.PAIR_SILENT])
    assert Notification.objects.filter(kind=K.PAIR_SILENT).count() == 2


# ---------------------------------------------------------------- constant queries


def world(municipality, size: int, tag: str):
    """``size`` schools, each with a curator, a pair ending and silent; an open campaign over them
    with one submission sent, one returned (and the others missing)."""
    coordinator = f.make_user(f"coord-{tag}", role="coordinator", municipality=municipality)
    schools = [f.make_organization(municipality=municipality) for _ in range(size)]
    for school in schools:
        with_email(f.make_user(role="curator", organization=school), f"{school.pk}@example.ru")
        pair(school)
    opened = campaigns_svc.campaign_open(
        user=coordinator, campaign=make_campaign(coordinator, municipality), at=at(D(2022, 12, 16))
    )
    rows = list(Submission.objects.filter(campaign=opened).order_by("pk"))
    send(rows[0], D(2022, 12, 20))
    campaigns_svc.submission_return(
        user=coordinator, submission=rows[1], comment="Исправьте", at=at(D(2022, 12, 31))
    )


@pytest.mark.parametrize("day", [BEFORE_DEADLINE, AFTER_DEADLINE])
def test_the_job_counts_the_same_queries_for_2_or_8_schools(day, region, django_assert_num_queries):
    world(f.make_municipality(region=region), 2, "small")
    with CaptureQueriesContext(connection) as queries:
        small = svc.create_due(today=day)
    Notification.objects.all().delete()
    world(f.make_municipality(region=region), 6, "large")  # 8 schools in all
    with django_assert_num_queries(len(queries)):
        large = svc.create_due(today=day)
    assert sum(large.values()) > 3 * sum(small.values()) > 0
    assert {k for k, n in small.items() if n} == {k for k, n in large.items() if n}


def test_queries_per_kind(region, django_assert_num_queries):
    world(f.make_municipality(region=region), 5, "5")
    # events, recipients, the e-mail-off users, the insert (and its savepoint pair in a transaction)
    # (no event: the two reads only)
    for kind in svc.KINDS:
        with CaptureQueriesContext(connection) as queries:
            made = svc.create_due(today=AFTER_DEADLINE, kinds=[kind])
        assert len([q for q in queries if "SAVEPOINT" not in q["sql"]]) == (4 if made[kind] else 2), kind
    assert [kind for kind, n in svc.create_due(today=AFTER_DEADLINE).items() if not n] == [K.DEADLINE_SOON]


# ---------------------------------------------------------------- mailing


def test_a_mail_server_down_keeps_the_letter_pending_then_sends_it(people, campaign, settings, caplog):
    svc.create_due(today=BEFORE_DEADLINE, kinds=[K.DEADLINE_SOON])
    notice = Notification.objects.get(recipient=people["curator"])
    settings.EMAIL_BACKEND = DOWN
    with caplog.at_level(logging.WARNING, logger="mentoring_portal.notifications"):
        result = svc.send_pending()
    notice.refresh_from_db()
    assert (notice.email_status, notice.email_attempts) == (Notification.EmailStatus.PENDING, 1)
    assert "SMTPServerDisconnected" in notice.email_error and result.retry == 2  # and the neighbour's
    assert "retried on the next run" in caplog.text
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert svc.send_pending().sent == 2
    notice.refresh_from_db()
    assert (notice.email_status, notice.email_error) == (Notification.EmailStatus.SENT, "")
    assert sorted(m.to[0] for m in mail.outbox) == ["soh1@example.ru", "soh2@example.ru"]


def test_given_up_after_the_last_attempt_and_said_in_the_log(people, campaign, settings, caplog):
    svc.create_due(today=BEFORE_DEADLINE, kinds=[K.DEADLINE_SOON])
    settings.EMAIL_BACKEND = DOWN
    with caplog.at_level(logging.ERROR, logger="mentoring_portal.notifications"):
        for _ in range(svc.MAX_EMAIL_ATTEMPTS):
            svc.send_pending()
    notice = Notification.objects.get(recipient=people["curator"])
    assert (notice.email_status, notice.email_attempts) == (
        Notification.EmailStatus.FAILED,
        svc.MAX_EMAIL_ATTEMPTS,
    )
    assert "gave up after 5 attempts" in caplog.text
    assert svc.send_pending().sent == 0  # not retried any more; still in the portal
    assert Notification.objects.filter(recipient=people["curator"], read_at__isnull=True).count() == 1


def test_a_server_down_stops_the_run_and_leaves_the_rest_untried(people, region, settings, caplog):
    world(f.make_municipality(region=region), 6, "6")
    svc.create_due(today=BEFORE_DEADLINE, kinds=[K.PAIR_SILENT])
    settings.EMAIL_BACKEND = DOWN
    result = svc.send_pending()
    assert (result.retry, result.left) == (
        svc.CONSECUTIVE_FAILURES_TO_STOP,
        6 - svc.CONSECUTIVE_FAILURES_TO_STOP,
    )
    assert Notification.objects.filter(email_status="pending").count() == 6
    assert Notification.objects.filter(email_attempts=0).count() == 3


def test_the_letter_links_to_the_page_and_escapes_html(people, campaign, school, coordinator):
    campaigns_svc.submission_return(
        user=coordinator,
        submission=submission_of(campaign, school),
        comment='<script>alert("x")</script> & <b>жирный</b>',
        at=at(D(2022, 12, 31)),
    )
    svc.create_due(today=AFTER_DEADLINE, kinds=[K.SUBMISSION_RETURNED])
    svc.send_pending()
    (letter,) = mail.outbox
    link = BASE + reverse("monitoring:submission-detail", args=[submission_of(campaign, school).pk])
    assert link in letter.body
    html, mimetype = letter.alternatives[0]
    assert mimetype == "text/html"
    assert (
        "<script>" not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;" in html
    )
    assert link in html
    # and the portal's list escapes it too
    page = _client(people["curator"]).get(reverse("notification-list")).content.decode()
    assert "&lt;script&gt;" in page and '<script>alert("x")' not in page


def _client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


# ---------------------------------------------------------------- preferences


def test_a_kind_turned_off_is_in_the_portal_only(people, campaign, client_for):
    client = client_for(people["curator"])
    wanted = [kind for kind in K.values if kind != K.DEADLINE_SOON]
    response = client.post(reverse("notification-settings"), {"email_kinds": wanted})
    assert response.status_code == 302
    assert NotificationPreference.objects.get(user=people["curator"], kind=K.DEADLINE_SOON).email is False
    svc.create_due(today=BEFORE_DEADLINE)
    svc.send_pending()
    assert [m.to for m in mail.outbox] == [["soh2@example.ru"]]  # the neighbour's curator only
    notice = Notification.objects.get(recipient=people["curator"], kind=K.DEADLINE_SOON)
    assert notice.email_status == Notification.EmailStatus.OFF
    assert notice.subject in client.get(reverse("notification-list")).content.decode()
    page = client.get(reverse("notification-settings")).content.decode()
    assert f'value="{K.DEADLINE_SOON}"' in page and f'value="{K.DEADLINE_SOON}" checked' not in page


def test_a_bad_setting_is_refused_with_a_message_and_nothing_written(people, client_for):
    client = client_for(people["curator"])
    response = client.post(reverse("notification-settings"), {"email_kinds": ["deadline_soon", "spam"]})
    assert response.status_code == 200
    assert "Присылать письмом: неизвестный вид уведомлений «spam»." in response.content.decode()
    assert not NotificationPreference.objects.exists()


# ---------------------------------------------------------------- the portal: bell, list, read, 404


def test_the_bell_counts_the_unread_and_opening_marks_read(people, campaign, school, client_for):
    pair(school)
    svc.create_due(today=BEFORE_DEADLINE)  # soon, ending, silent for the school's curator
    client = client_for(people["curator"])
    assert 'data-unread="3"' in client.get(reverse("dashboard")).content.decode()
    notice = Notification.objects.get(recipient=people["curator"], kind=K.PAIR_ENDING)
    response = client.get(reverse("notification-open", args=[notice.pk]))
    assert response.status_code == 302 and response.url == notice.link
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert 'data-unread="2"' in client.get(reverse("notification-list")).content.decode()
    assert client.post(reverse("notification-read-all")).status_code == 302
    assert 'data-unread="0"' in client.get(reverse("dashboard")).content.decode()
    # the neighbour's curator's notice is untouched
    assert Notification.objects.filter(recipient=people["neighbour"], read_at__isnull=True).count() == 1


def test_the_list_is_newest_first_and_paged(people, client_for):
    for i in range(35):
        Notification.objects.create(
            recipient=people["curator"],
            kind=K.PAIR_SILENT,
            key=f"k{i}",
            subject=f"Тема {i:02d}",
            text="т",
            link="/",
        )
    page = client_for(people["curator"]).get(reverse("notification-list")).content.decode()
    assert page.index("Тема 34") < page.index("Тема 33") and "Тема 04" not in page
    assert "Всего: 35" in page


def test_another_users_notice_is_a_404(people, campaign, client_for):
    svc.create_due(today=BEFORE_DEADLINE, kinds=[K.DEADLINE_SOON])
    foreign = Notification.objects.get(recipient=people["neighbour"])
    client = client_for(people["curator"])
    assert client.get(reverse("notification-open", args=[foreign.pk])).status_code == 404
    assert client.get(reverse("notification-open", args=[10**9])).status_code == 404
    client.post(reverse("notification-read-all"))
    foreign.refresh_from_db()
    assert foreign.read_at is None
    assert foreign.subject not in client.get(reverse("notification-list")).content.decode() or (
        Notification.objects.filter(recipient=people["curator"], subject=foreign.subject).exists()
    )


# ---------------------------------------------------------------- «Напомнить»


def test_remind_asks_first_then_mails_the_link(people, campaign, school, coordinator, client_for):
    client = client_for(coordinator)
    url = reverse("monitoring:campaign-remind", args=[campaign.pk])
    page = client.post(url)
    assert page.status_code == 200
    assert "Будет отправлено 2 письмам кураторов 2 организаций. Отправить?" in page.content.decode()
    assert mail.outbox == []
    assert client.post(url, {"confirm": "1"}).status_code == 302
    letters = {m.to[0]: m.body for m in mail.outbox}
    link = BASE + reverse("monitoring:submission-detail", args=[submission_of(campaign, school).pk])
    assert f"Отчёт организации: {link}" in letters["soh1@example.ru"]
    assert link not in letters["soh2@example.ru"]


def test_the_command_refuses_a_date_that_is_not_a_date(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--date"):
        call_command("send_notifications", "--date", "31.02.2024")
    assert not Notification.objects.exists()
