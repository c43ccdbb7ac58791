"""The pair's stored last meeting date (``Mentorship.last_meeting_on``, docs/domain.md §4.2).

The meetings' service keeps it with an UPDATE in the meeting's own transaction: a meeting recorded,
a date moved later or earlier; the alert «silent» reads the stored date, not the meetings; a copy
of the pair in memory saved afterwards does not take it back; no history row of the pair per
meeting; the migration fills it for the pairs that already had meetings.
"""

import datetime
import importlib

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError

from registry import meetings
from registry.models import Mentorship
from tests import factories as f

pytestmark = pytest.mark.django_db

START = datetime.date(2022, 9, 1)
TODAY = datetime.date(2023, 3, 1)  # silent: the last meeting (or start) before 01.02.2023


@pytest.fixture
def pair(school, settings):
    settings.SILENT_PAIR_WEEKS = 4
    return f.make_mentorship(organization=school, start_date=START)


def stored(pair) -> datetime.date | None:
    return Mentorship.objects.values_list("last_meeting_on", flat=True).get(pk=pair.pk)


def silent(pair) -> bool:
    return Mentorship.objects.silent(TODAY).filter(pk=pair.pk).exists()


def record(pair, day):
    return meetings.meeting_record(mentorship=pair, date=day, duration_minutes=45, topic="Урок", today=TODAY)


def test_recording_and_moving_meetings_keeps_the_pairs_date(pair):
    assert stored(pair) is None and silent(pair)  # started long ago, never met
    history = Mentorship.history.filter(id=pair.pk).count()
    first = record(pair, datetime.date(2023, 2, 20))
    assert stored(pair) == pair.last_meeting_on == datetime.date(2023, 2, 20) and not silent(pair)
    record(pair, datetime.date(2022, 12, 1))  # an older meeting written afterwards: the date stays
    assert stored(pair) == datetime.date(2023, 2, 20)
    meetings.meeting_update(meeting=first, date=datetime.date(2023, 2, 25), today=TODAY)  # later
    assert stored(pair) == datetime.date(2023, 2, 25)
    meetings.meeting_update(meeting=first, date=datetime.date(2022, 11, 1), today=TODAY)  # earlier
    assert stored(pair) == datetime.date(2022, 12, 1) and silent(pair)  # the other one is now the last
    meetings.meeting_update(meeting=first, topic="Другая тема", today=TODAY)  # not the date: unchanged
    assert stored(pair) == datetime.date(2022, 12, 1)
    # no history row of the pair per meeting; the field is not in its history at all
    assert Mentorship.history.filter(id=pair.pk).count() == history
    assert "last_meeting_on" not in {field.name for field in Mentorship.history.model._meta.fields}


def test_a_refused_meeting_leaves_the_date(pair):
    record(pair, datetime.date(2023, 2, 20))
    with pytest.raises(ValidationError):
        record(pair, TODAY + datetime.timedelta(days=1))
    assert stored(pair) == datetime.date(2023, 2, 20)


def test_the_silent_rule_reads_the_stored_date(pair):
    """The rule, the list's filter and the card read the column: a stored date decides alone."""
    from registry.models import PAIR_ALERTS

    Mentorship.objects.filter(pk=pair.pk).update(last_meeting_on=datetime.date(2023, 2, 1))
    fresh = Mentorship.objects.with_last_meeting().get(pk=pair.pk)
    assert not silent(pair) and not PAIR_ALERTS["silent"].holds(fresh, TODAY)  # exactly 4 weeks: not yet
    Mentorship.objects.filter(pk=pair.pk).update(last_meeting_on=datetime.date(2023, 1, 31))
    fresh = Mentorship.objects.with_last_meeting().get(pk=pair.pk)
    assert silent(pair) and PAIR_ALERTS["silent"].holds(fresh, TODAY)


def test_an_older_copy_of_the_pair_saved_later_keeps_the_date(pair):
    copy = Mentorship.objects.get(pk=pair.pk)  # loaded before the meeting
    record(pair, datetime.date(2023, 2, 20))
    copy.goal = "Освоить формирующее оценивание"
    copy.save()
    assert stored(pair) == datetime.date(2023, 2, 20)
    assert Mentorship.objects.get(pk=pair.pk).goal == "Освоить формирующее оценивание"


def test_the_migration_fills_the_pairs_that_have_meetings(pair, school):
    other = f.make_mentorship(organization=school, start_date=START)
    record(pair, datetime.date(2022, 10, 1))
    record(pair, datetime.date(2023, 1, 15))
    Mentorship.objects.update(last_meeting_on=None)  # as before the column existed
    migration = importlib.import_module("registry.migrations.0014_mentorship_last_meeting_on")
    migration.fill_last_meeting_on(django_apps, None)
    assert stored(pair) == datetime.date(2023, 1, 15)
    assert stored(other) is None
