"""Notifications that run by themselves (docs/architecture.md, notifications).

``create_due`` finds the events of the day — a campaign's deadline in 3 days or passed, a
submission returned or waiting for review, a pair ending in 14 days or silent — and makes one
``Notification`` per recipient and event. Each kind costs a constant number of queries whatever the
size of the country: one for the events, one for their recipients, one for the users who turned the
kind's e-mail off, and the insert (``bulk_create(ignore_conflicts=True)`` on the unique
``(recipient, kind, key)``, so an event already told is skipped by the database, not by Python).

``send_pending`` mails the notices still pending, each with a direct absolute link to its page.
A letter the mail server refuses stays pending with its error and the attempt counted; it is
retried on the next run, and after ``MAX_EMAIL_ATTEMPTS`` it is marked failed and said in the log
(error level). Nothing is dropped silently: a notice is always in the portal, whatever its letter.

``python manage.py send_notifications`` runs both (daily: deploy/systemd/mentoring-notify.timer).
"""

import dataclasses
import datetime
import logging
import smtplib
from collections import defaultdict
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, linebreaks

from common.formats import ru_date
from monitoring.models import Campaign, Submission, SubmissionEvent
from registry.models import Mentorship, UserScope, silent_condition, silent_weeks_label

from .models import Notification, NotificationPreference

logger = logging.getLogger("mentoring_portal.notifications")

Kind = Notification.Kind
EmailStatus = Notification.EmailStatus

DEADLINE_SOON_DAYS = 3  # «срок сдачи через 3 дня»
PAIR_ENDING_DAYS = 14  # «пара заканчивается через 14 дней»
# A returned submission is told if it was returned within this many days (a job missed for a few
# days catches up; a return of last year is not news).
LOOKBACK_DAYS = 7
MAX_EMAIL_ATTEMPTS = 5
# A mail server that refused this many letters in a row is down: the run stops mailing, the rest
# stay pending untouched (their attempts are not counted) and wait for the next run.
CONSECUTIVE_FAILURES_TO_STOP = 3
INSERT_BATCH = 2000


@dataclasses.dataclass(frozen=True)
class Due:
    """One notice to make: who, which event (its key), what to say and where to send."""

    recipient_id: int
    key: str
    subject: str
    text: str
    link: str


# ---------------------------------------------------------------- recipients (one query each)


def _active(scopes):
    return scopes.filter(user__is_active=True, deactivated_at__isnull=True)


def _curators_of(organizations) -> dict[int, list[int]]:
    """{organization id: [user ids of its curators]} for the organizations of the subquery."""
    found: dict[int, list[int]] = defaultdict(list)
    rows = _active(UserScope.objects.filter(role=UserScope.Role.CURATOR, organization__in=organizations))
    for organization, user in rows.values_list("organization_id", "user_id"):
        found[organization].append(user)
    return found


def _coordinators_of(municipalities) -> dict[int, list[int]]:
    found: dict[int, list[int]] = defaultdict(list)
    rows = _active(UserScope.objects.filter(role=UserScope.Role.COORDINATOR, municipality__in=municipalities))
    for municipality, user in rows.values_list("municipality_id", "user_id"):
        found[municipality].append(user)
    return found


# ---------------------------------------------------------------- the kinds: events and their texts


def _submission_link(pk: int) -> str:
    return reverse("monitoring:submission-detail", args=[pk])


def _pair_link(pk) -> str:
    return reverse("registry:mentorship-detail", args=[pk])


MISSING = (Submission.Status.DRAFT, Submission.Status.RETURNED)
SUBMISSION_FIELDS = ("pk", "organization_id", "campaign_id", "campaign__title", "campaign__deadline")


def _deadline(submissions) -> Iterable[Due]:
    rows = list(submissions.values(*SUBMISSION_FIELDS))
    curators = _curators_of(submissions.values("organization_id"))
    for row in rows:
        for user in curators.get(row["organization_id"], ()):
            yield row, user


def due_deadline_soon(*, today: datetime.date) -> list[Due]:
    """Curators of the schools that have not sent an open campaign's submission due within 3 days."""
    submissions = Submission.objects.filter(
        campaign__status=Campaign.Status.OPEN,
        campaign__deadline__gte=today,
        campaign__deadline__lte=today + datetime.timedelta(days=DEADLINE_SOON_DAYS),
        status__in=MISSING,
    )
    return [
        Due(
            user,
            f"campaign:{row['campaign_id']}:org:{row['organization_id']}",
            f"Срок сдачи отчёта — {ru_date(row['campaign__deadline'])}",
            f"Мониторинг «{row['campaign__title']}»: отчёт вашей организации ещё не отправлен, "
            f"срок сдачи — {ru_date(row['campaign__deadline'])}.",
            _submission_link(row["pk"]),
        )
        for row, user in _deadline(submissions)
    ]


def due_deadline_passed(*, today: datetime.date) -> list[Due]:
    """Curators of the schools that have not sent an open campaign's submission past its deadline."""
    submissions = Submission.objects.filter(
        campaign__status=Campaign.Status.OPEN, campaign__deadline__lt=today, status__in=MISSING
    )
    return [
        Due(
            user,
            f"campaign:{row['campaign_id']}:org:{row['organization_id']}",
            f"Срок сдачи отчёта прошёл ({ru_date(row['campaign__deadline'])})",
            f"Мониторинг «{row['campaign__title']}»: срок сдачи отчёта прошёл "
            f"{ru_date(row['campaign__deadline'])}, а отчёт вашей организации не отправлен. "
            "Отправьте его как можно скорее: он будет учтён как сданный с опозданием.",
            _submission_link(row["pk"]),
        )
        for row, user in _deadline(submissions)
    ]


def returned_text(*, campaign_title: str, comment: str) -> str:
    text = f"Мониторинг «{campaign_title}»: отчёт вашей организации возвращён на доработку."
    if comment:
        text += f"\nКомментарий координатора: {comment}"
    return text


def due_submission_returned(*, today: datetime.date) -> list[Due]:
    """The curators of a returned submission, once per return (a second return is a second event),
    with the coordinator's comment."""
    since = timezone.make_aware(
        datetime.datetime.combine(today - datetime.timedelta(days=LOOKBACK_DAYS), datetime.time())
    )
    events = SubmissionEvent.objects.filter(
        to_status=Submission.Status.RETURNED,
        at__gte=since,
        submission__status=Submission.Status.RETURNED,
        submission__campaign__status=Campaign.Status.OPEN,
    )
    rows = list(
        events.values(
            "pk", "comment", "submission_id", "submission__organization_id", "submission__campaign__title"
        )
    )
    curators = _curators_of(events.values("submission__organization_id"))
    return [
        Due(
            user,
            f"return:{row['pk']}",
            "Отчёт возвращён на доработку",
            returned_text(campaign_title=row["submission__campaign__title"], comment=row["comment"]),
            _submission_link(row["submission_id"]),
        )
        for row in rows
        for user in curators.get(row["submission__organization_id"], ())
    ]


def due_submission_waiting(*, today: datetime.date) -> list[Due]:
    """The coordinators of the municipality of each sent submission waiting for review (a submission
    sent again after a return is a new event)."""
    submissions = Submission.objects.filter(
        status=Submission.Status.SUBMITTED,
        campaign__status__in=(Campaign.Status.OPEN, Campaign.Status.CLOSED),
    )
    rows = list(
        submissions.values(
            "pk",
            "municipality_id",
            "submitted_at",
            "organization__short_name",
            "organization__full_name",
            "campaign__title",
        )
    )
    coordinators = _coordinators_of(submissions.values("municipality_id"))
    return [
        Due(
            user,
            f"submission:{row['pk']}:{row['submitted_at']:%Y%m%d%H%M%S}",
            "Отчёт ждёт проверки",
            f"Мониторинг «{row['campaign__title']}»: организация "
            f"«{row['organization__short_name'] or row['organization__full_name']}» отправила отчёт "
            f"{timezone.localtime(row['submitted_at']):%d.%m.%Y}. Примите его или верните на доработку.",
            _submission_link(row["pk"]),
        )
        for row in rows
        if row["submitted_at"] is not None
        for user in coordinators.get(row["municipality_id"], ())
    ]


PAIR_FIELDS = (
    "pk",
    "organization_id",
    "mentoring_form__name",
    "start_date",
    "planned_end_date",
    "last_meeting_on",
)


def _pair_label(row) -> str:
    # No names in a letter: the form and the start say which pair, the link opens it.
    return f"Пара «{row['mentoring_form__name']}», начата {ru_date(row['start_date'])}"


def due_pair_ending(*, today: datetime.date) -> list[Due]:
    """The curators of the school of each active pair whose planned end is within 14 days."""
    pairs = Mentorship.objects.filter(
        status=Mentorship.Status.ACTIVE,
        planned_end_date__gte=today,
        planned_end_date__lte=today + datetime.timedelta(days=PAIR_ENDING_DAYS),
    )
    rows = list(pairs.values(*PAIR_FIELDS))
    curators = _curators_of(pairs.values("organization_id"))
    return [
        Due(
            user,
            f"pair:{row['pk']}:end:{row['planned_end_date']:%Y%m%d}",
            f"Пара заканчивается {ru_date(row['planned_end_date'])}",
            f"{_pair_label(row)}: плановая дата окончания — {ru_date(row['planned_end_date'])}. "
            "Подведите итоги: результат, достижение цели, оценка наставляемого.",
            _pair_link(row["pk"]),
        )
        for row in rows
        for user in curators.get(row["organization_id"], ())
    ]


def silent_text(*, label: str, last_meeting_on, start_date) -> str:
    """The pair's «practice issue» as the pair's card words it (registry.views.mentorships)."""
    since = (
        f"последняя встреча — {ru_date(last_meeting_on)}"
        if last_meeting_on
        else f"встреч не было с начала наставничества, {ru_date(start_date)}"
    )
    return f"{label}: без встреч {silent_weeks_label()}: {since}."


def due_pair_silent(*, today: datetime.date) -> list[Due]:
    """The curators of the school of each silent pair (registry.models.PAIR_ALERTS["silent"]), once
    per silence: a pair that meets and falls silent again is told again."""
    pairs = Mentorship.objects.filter(silent_condition(today))
    rows = list(pairs.values(*PAIR_FIELDS))
    curators = _curators_of(pairs.values("organization_id"))
    return [
        Due(
            user,
            f"pair:{row['pk']}:silent:{(row['last_meeting_on'] or row['start_date']):%Y%m%d}",
            "Пара без встреч",
            silent_text(
                label=_pair_label(row), last_meeting_on=row["last_meeting_on"], start_date=row["start_date"]
            ),
            _pair_link(row["pk"]),
        )
        for row in rows
        for user in curators.get(row["organization_id"], ())
    ]


KINDS: dict[str, Callable[[datetime.date], list[Due]]] = {
    Kind.DEADLINE_SOON: due_deadline_soon,
    Kind.DEADLINE_PASSED: due_deadline_passed,
    Kind.SUBMISSION_RETURNED: due_submission_returned,
    Kind.SUBMISSION_WAITING: due_submission_waiting,
    Kind.PAIR_ENDING: due_pair_ending,
    Kind.PAIR_SILENT: due_pair_silent,
}


# ---------------------------------------------------------------- making them


def email_off_users(*, kind: str) -> set[int]:
    return set(
        NotificationPreference.objects.filter(kind=kind, email=False).values_list("user_id", flat=True)
    )


def store(*, kind: str, due: list[Due], at: datetime.datetime | None = None) -> int:
    """Inserts the notices of one kind; those already made for the same event are skipped by the
    unique key. Returns the number of candidates (made now or before)."""
    if not due:
        return 0
    at = at or timezone.now()
    off = email_off_users(kind=kind)
    Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=item.recipient_id,
                kind=kind,
                key=item.key[:100],
                subject=item.subject[:300],
                text=item.text,
                link=item.link,
                created_at=at,
                email_status=EmailStatus.OFF if item.recipient_id in off else EmailStatus.PENDING,
            )
            for item in due
        ],
        ignore_conflicts=True,
        batch_size=INSERT_BATCH,
    )
    return len(due)


def create_due(*, today: datetime.date | None = None, kinds: Iterable[str] | None = None) -> dict[str, int]:
    """Makes every kind's due notices; {kind: candidates}."""
    today = today or timezone.localdate()
    done = {}
    for kind in kinds or KINDS:
        done[kind] = store(kind=kind, due=KINDS[kind](today=today))
    return done


def notify_submission_returned(*, submission_event: SubmissionEvent) -> int:
    """At once, when a coordinator returns a submission: the same notice the daily job would make
    (same key, so the job skips it)."""
    submission = submission_event.submission
    curators = _curators_of([submission.organization_id])
    return store(
        kind=Kind.SUBMISSION_RETURNED,
        due=[
            Due(
                user,
                f"return:{submission_event.pk}",
                "Отчёт возвращён на доработку",
                returned_text(campaign_title=submission.campaign.title, comment=submission_event.comment),
                _submission_link(submission.pk),
            )
            for user in curators.get(submission.organization_id, ())
        ],
    )


def on_submission_event(*, sender, instance: SubmissionEvent, created: bool, **kwargs) -> None:
    """``post_save`` of a ``SubmissionEvent`` (wired in ``apps.py``): a return makes its notices once
    the return is committed; its letters go with the next ``send_notifications``."""
    if created and instance.to_status == Submission.Status.RETURNED:
        # robust: a failure here is logged by Django and never turns the committed return into an error
        transaction.on_commit(lambda: notify_submission_returned(submission_event=instance), robust=True)


# ---------------------------------------------------------------- mailing them


def absolute(*, path: str) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + path


def letter_body(*, notification: Notification) -> str:
    return (
        "Здравствуйте!\n\n"
        f"{notification.text}\n\n"
        f"Открыть страницу: {absolute(path=notification.link)}\n\n"
        "—\nПортал «Наставничество». Письма этого вида можно отключить в настройках уведомлений: "
        f"{absolute(path=reverse('notification-settings'))}\n"
    )


def letter(*, notification: Notification, connection=None) -> EmailMultiAlternatives:
    """Plain text, and the same escaped as HTML: whatever a comment holds is shown, never run."""
    body = letter_body(notification=notification)
    message = EmailMultiAlternatives(
        subject=f"Наставничество: {notification.subject}",
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient.email],
        connection=connection,
    )
    message.attach_alternative(linebreaks(escape(body)), "text/html")
    return message


@dataclasses.dataclass
class SendResult:
    sent: int = 0
    retry: int = 0  # refused now, pending for the next run
    failed: int = 0  # refused MAX_EMAIL_ATTEMPTS times: given up, in the log
    no_address: int = 0
    left: int = 0  # not tried: the mail server was down


def send_pending(*, limit: int | None = None, at: datetime.datetime | None = None) -> SendResult:
    """Mails the pending notices, oldest first. See the module's docstring for failures."""
    at = at or timezone.now()
    pending = list(
        Notification.objects.filter(email_status=EmailStatus.PENDING)
        .select_related("recipient")
        .order_by("pk")[:limit]
    )
    result = SendResult()
    if not pending:
        return result
    connection = get_connection(fail_silently=False)
    in_a_row = 0
    tried = []
    for notification in pending:
        if in_a_row >= CONSECUTIVE_FAILURES_TO_STOP:
            result.left += 1
            continue
        tried.append(notification)
        if not notification.recipient.email:
            notification.email_status = EmailStatus.OFF
            notification.email_error = "У пользователя не указан e-mail."
            result.no_address += 1
            continue
        notification.email_attempts += 1
        try:
            letter(notification=notification, connection=connection).send()
        except (smtplib.SMTPException, OSError) as error:
            in_a_row += 1
            notification.email_error = f"{type(error).__name__}: {error}"[:500]
            if notification.email_attempts >= MAX_EMAIL_ATTEMPTS:
                notification.email_status = EmailStatus.FAILED
                result.failed += 1
                logger.error(
                    "notification %s to user %s: gave up after %s attempts: %s",
                    notification.pk,
                    notification.recipient_id,
                    notification.email_attempts,
                    notification.email_error,
                )
            else:
                result.retry += 1
                logger.warning(
                    "notification %s to user %s: attempt %s failed, retried on the next run: %s",
                    notification.pk,
                    notification.recipient_id,
                    notification.email_attempts,
                    notification.email_error,
                )
        else:
            in_a_row = 0
            notification.email_status = EmailStatus.SENT
            notification.email_error = ""
            notification.emailed_at = at
            result.sent += 1
    Notification.objects.bulk_update(
        tried, ["email_status", "email_attempts", "email_error", "emailed_at"], batch_size=INSERT_BATCH
    )
    if result.left:
        logger.error(
            "mail server down: %s notifications not tried, left pending for the next run", result.left
        )
    return result


# ---------------------------------------------------------------- the portal's side


def unread_count(*, user) -> int:
    # By the id: an unsaved user (the benchmarks' pages, bench/bench_dashboards.py) has none and
    # counts nothing, in the same one query.
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


def mark_read(*, user, ids: Iterable[int] | None = None, at: datetime.datetime | None = None) -> int:
    """Marks the user's own notices read (all unread ones without ``ids``); another's are untouched."""
    rows = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    return rows.update(read_at=at or timezone.now())


def email_preferences(*, user) -> dict[str, bool]:
    """{kind: e-mail on} for every kind (no row: on)."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "email"))
    return {kind: chosen.get(kind, True) for kind in Kind.values}


def set_email_preferences(*, user, email_on: Iterable[str]) -> None:
    """E-mail on for the kinds of ``email_on``, off for the others; the pending letters of a kind
    turned off are not sent (they stay in the portal)."""
    email_on = set(email_on)
    unknown = email_on - set(Kind.values)
    if unknown:
        raise ValueError(f"Неизвестный вид уведомлений: {', '.join(sorted(unknown))}")
    for kind in Kind.values:
        NotificationPreference.objects.update_or_create(
            user=user, kind=kind, defaults={"email": kind in email_on}
        )
    Notification.objects.filter(
        Q(recipient=user, email_status=EmailStatus.PENDING) & ~Q(kind__in=email_on)
    ).update(email_status=EmailStatus.OFF)
