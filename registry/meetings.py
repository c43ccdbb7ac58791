"""The pair's meetings: their writes and what the pair's card shows of them (docs/domain.md §4.2).

A meeting (``Meeting``) has a date, a format (очно / дистанционно), a duration in minutes, a topic,
what was agreed and the tasks of the pair's own plan it touched. Its date is not in the future and
lies in the pair's period: not before the start, and for a closed pair not after its end. Meetings
are recorded for a running pair (``active``) and, afterwards, for a closed one (``completed`` or
``terminated``) inside its period; a draft has not started, so it has no meetings. Rights:
``access.WRITE_RULES`` (the pair's school curator and the admin). An active pair without a meeting
for more than ``settings.SILENT_PAIR_WEEKS`` weeks is the alert «silent» (``models.PAIR_ALERTS``).

The pair keeps the date of its latest meeting (``Mentorship.last_meeting_on``), which the alert
reads: every write here (a record, a change of date) sets it again from the meetings with an
UPDATE in the same transaction (``_refresh_last_meeting``), not a save: no history row of the pair
per meeting (the field is left out of the pair's history; the meeting's own history has the date).
Meetings are not deleted one by one; they go only with their pair (``on_delete=CASCADE``).
"""

import datetime
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .models import MEETING_IN_FUTURE, Meeting, Mentorship, PlanItem, last_meeting_subquery

FIELDS = ("date", "format", "duration_minutes", "topic", "agreed", "plan_items")
DRAFT_PAIR = "Встречи записываются у действующей пары (или у закрытой — в её сроках), а не у черновика."


def accepts_meetings(*, mentorship: Mentorship) -> bool:
    """A draft has not started: it has no meetings yet; every other status has a period."""
    return mentorship.status != Mentorship.Status.DRAFT


def date_errors(*, mentorship: Mentorship, day: datetime.date, today: datetime.date | None = None) -> dict:
    """The meeting's date: not after today, not before the pair's start, not after its end."""
    today = today or timezone.localdate()
    if day > today:
        return {"date": MEETING_IN_FUTURE}
    if day < mentorship.start_date:
        return {
            "date": "Дата встречи не может быть раньше начала наставничества "
            f"({mentorship.start_date:%d.%m.%Y})."
        }
    if mentorship.end_date and day > mentorship.end_date:
        return {
            "date": "Дата встречи не может быть позже окончания наставничества "
            f"({mentorship.end_date:%d.%m.%Y})."
        }
    return {}


def _check(meeting: Meeting, plan_items: list[PlanItem], today: datetime.date | None) -> None:
    mentorship = meeting.mentorship
    errors = {}
    if not accepts_meetings(mentorship=mentorship):
        errors["__all__"] = [DRAFT_PAIR]
    try:
        meeting.full_clean(exclude=["mentorship"])
    except ValidationError as error:
        errors.update(error.message_dict)
    if meeting.date and "date" not in errors:
        errors.update(date_errors(mentorship=mentorship, day=meeting.date, today=today))
    strangers = [item for item in plan_items if item.plan.mentorship_id != mentorship.pk]
    if strangers:
        errors["plan_items"] = [f"Задача «{item.task}» — из плана другой пары." for item in strangers]
    if errors:
        raise ValidationError(errors)


def _refresh_last_meeting(mentorship: Mentorship) -> None:
    """Set the pair's ``last_meeting_on`` from its meetings, in the database and on ``mentorship``.

    The pair's row is locked first: a meeting of the same pair written at the same moment waits,
    and the UPDATE (a statement of its own, so a fresh snapshot) then sees the other's meeting."""
    pair = Mentorship.objects.filter(pk=mentorship.pk)
    list(pair.select_for_update().values_list("pk", flat=True))
    Mentorship.objects.filter(pk=mentorship.pk).update(last_meeting_on=last_meeting_subquery("pk"))
    mentorship.last_meeting_on = pair.values_list("last_meeting_on", flat=True).get()


def _items(plan_items: Iterable[PlanItem]) -> list[PlanItem]:
    """The tasks with their plan's pair, in one query (the check reads ``plan.mentorship_id``)."""
    pks = [item.pk for item in plan_items]
    return list(PlanItem.objects.select_related("plan").filter(pk__in=pks))


@transaction.atomic
def meeting_record(
    *,
    mentorship: Mentorship,
    date: datetime.date,
    duration_minutes: int,
    topic: str,
    format: str = Meeting.Format.IN_PERSON,
    agreed: str = "",
    plan_items: Iterable[PlanItem] = (),
    created_by: AbstractBaseUser | None = None,
    today: datetime.date | None = None,
) -> Meeting:
    """A new meeting of ``mentorship``; refused (nothing stored) with the field's Russian message."""
    meeting = Meeting(
        mentorship=mentorship,
        date=date,
        format=format,
        duration_minutes=duration_minutes,
        topic=topic,
        agreed=agreed,
        created_by=created_by,
    )
    items = _items(plan_items)
    _check(meeting, items, today)
    meeting.save()
    meeting.plan_items.set(items)
    _refresh_last_meeting(mentorship)
    return meeting


@transaction.atomic
def meeting_update(*, meeting: Meeting, today: datetime.date | None = None, **fields) -> Meeting:
    """Change a meeting's fields (``FIELDS``); a change of nothing writes no history row."""
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise TypeError(f"meeting_update() got unexpected fields: {sorted(unknown)}")
    meeting = Meeting.objects.select_for_update().select_related("mentorship").get(pk=meeting.pk)
    current = list(meeting.plan_items.all())
    items = _items(fields.pop("plan_items")) if "plan_items" in fields else current
    items_changed = {item.pk for item in items} != {item.pk for item in current}
    fields_changed = any(getattr(meeting, name) != value for name, value in fields.items())
    if not (items_changed or fields_changed):
        return meeting
    date_before = meeting.date
    for name, value in fields.items():
        setattr(meeting, name, value)
    _check(meeting, items, today)
    if fields_changed:
        meeting.save()
        if meeting.date != date_before:
            _refresh_last_meeting(meeting.mentorship)
    if items_changed:
        meeting.plan_items.set(items)
    return meeting


# ---------------------------------------------------------------- reading


def meetings_of(*, mentorship: Mentorship) -> list[Meeting]:
    """The pair's meetings, newest first, with their tasks: two queries whatever their number."""
    return list(
        Meeting.objects.filter(mentorship=mentorship).prefetch_related("plan_items").order_by("-date", "-pk")
    )
