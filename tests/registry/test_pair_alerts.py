"""A pair's alerts are one set of rules (models.PAIR_ALERTS): the database's filter of each rule,
its check of one loaded pair, the card's warnings, the list's filters and the dashboard's counts
agree on every pair of a table that sits on each rule's edges.

Every active pair of the table met on 20.02.2023 unless it says ``meetings``: the rule «silent» (no meeting
for more than SILENT_PAIR_WEEKS = 4 weeks, docs/domain.md §4.2) has rows of its own."""

import datetime

import pytest

from registry import meetings, selectors
from registry.models import PAIR_ALERTS, Mentorship
from registry.views.mentorships import pair_warnings
from tests import factories as f

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2023, 3, 1)
AGREED = D(2022, 9, 1)
RECENTLY = [D(2023, 2, 20)]
FOUR_WEEKS_AGO = D(2023, 2, 1)  # TODAY − 28 days: on the edge, not silent

# name: (fields of the pair, the alerts it must raise)
TABLE = {
    "ends today": (dict(planned_end_date=TODAY, agreement_date=AGREED), {"ending"}),
    "ends on the 30th day": (dict(planned_end_date=D(2023, 3, 31), agreement_date=AGREED), {"ending"}),
    "ends on the 31st day": (dict(planned_end_date=D(2023, 4, 1), agreement_date=AGREED), set()),
    "ended yesterday": (dict(planned_end_date=D(2023, 2, 28), agreement_date=AGREED), {"overdue"}),
    "overdue, no agreement": (dict(planned_end_date=D(2023, 1, 1)), {"overdue", "no_agreement"}),
    "no planned end, no agreement": (dict(), {"no_agreement"}),
    "completed without result": (dict(status="completed", end_date=D(2023, 1, 1)), {"no_result"}),
    "completed with result": (
        dict(status="completed", end_date=D(2023, 1, 1), result="Аттестован"),
        set(),
    ),
    "completed after its planned end": (
        dict(status="completed", end_date=D(2023, 2, 1), planned_end_date=D(2023, 1, 1), result="Есть"),
        set(),
    ),
    "terminated": (
        dict(status="terminated", end_date=D(2023, 1, 1), termination_reason="Переезд"),
        set(),
    ),
    "draft past its planned end": (
        dict(status="draft", planned_end_date=D(2023, 1, 1), meetings=[]),
        {"draft"},
    ),
    # the rule «silent»: the last meeting, or the start when there is none, before TODAY − 4 weeks
    "met exactly 4 weeks ago": (dict(agreement_date=AGREED, meetings=[FOUR_WEEKS_AGO]), set()),
    "met 4 weeks and a day ago": (
        dict(agreement_date=AGREED, meetings=[D(2022, 10, 1), D(2023, 1, 31)]),
        {"silent"},
    ),
    "met long ago and lately": (
        dict(agreement_date=AGREED, meetings=[D(2023, 2, 28), D(2022, 10, 1)]),
        set(),
    ),
    "never met, started exactly 4 weeks ago": (
        dict(agreement_date=AGREED, start_date=FOUR_WEEKS_AGO, meetings=[]),
        set(),
    ),
    "never met, started 4 weeks and a day ago": (
        dict(agreement_date=AGREED, start_date=D(2023, 1, 31), meetings=[]),
        {"silent"},
    ),
    "completed, never met": (
        dict(status="completed", end_date=D(2023, 1, 1), result="Аттестован", meetings=[]),
        set(),
    ),
}


@pytest.fixture
def pairs(school, settings) -> dict[str, Mentorship]:
    settings.SILENT_PAIR_WEEKS = 4
    made = {}
    for name, (fields, _) in TABLE.items():
        fields = dict(fields)
        dates = fields.pop("meetings", RECENTLY if fields.get("status", "active") == "active" else [])
        made[name] = pair = f.make_mentorship(organization=school, **fields)
        for day in dates:
            meetings.meeting_record(mentorship=pair, date=day, duration_minutes=45, topic="Урок", today=TODAY)
    # As the list and the card read them: fresh from the database, with the last meeting's date.
    return {name: Mentorship.objects.with_last_meeting().get(pk=pair.pk) for name, pair in made.items()}


def test_each_rule_selects_in_the_database_the_pairs_it_holds_for(pairs):
    names = {pair.pk: name for name, pair in pairs.items()}
    for code, alert in PAIR_ALERTS.items():
        selected = {names[pk] for pk in Mentorship.objects.alert(code, TODAY).values_list("pk", flat=True)}
        held = {name for name, pair in pairs.items() if alert.holds(pair, TODAY)}
        expected = {name for name, (_, codes) in TABLE.items() if code in codes}
        assert selected == held == expected, code


def test_the_named_querysets_are_the_rules(pairs):
    def names(rows):
        return {name for name, pair in pairs.items() if pair.pk in set(rows.values_list("pk", flat=True))}

    rows = Mentorship.objects.all()
    assert names(rows.ending_soon(TODAY)) == {"ends today", "ends on the 30th day"}
    assert names(rows.overdue(TODAY)) == {"ended yesterday", "overdue, no agreement"}
    assert names(rows.without_agreement()) == {"overdue, no agreement", "no planned end, no agreement"}
    assert names(rows.completed_without_result()) == {"completed without result"}
    assert names(rows.drafts()) == {"draft past its planned end"}
    assert names(rows.silent(TODAY)) == {
        "met 4 weeks and a day ago",
        "never met, started 4 weeks and a day ago",
    }
    # the weeks may be given: two weeks back from TODAY is 15.02.2023
    assert names(rows.silent(TODAY, weeks=2)) == names(rows.silent(TODAY)) | {
        "met exactly 4 weeks ago",
        "never met, started exactly 4 weeks ago",
    }


def test_the_cards_warnings_are_the_rules(pairs):
    for name, pair in pairs.items():
        warned = {w.code for w in pair_warnings(pair, TODAY)}
        assert warned == TABLE[name][1] - {"draft"}, name


def test_the_list_filters_and_the_dashboard_count_by_the_same_rules(pairs, school, curator):
    from registry.forms.mentorships import MentorshipFilter

    counts = selectors.mentorship_alerts(scope=school, today=TODAY)
    for name, code in selectors.ALERT_COUNTS.items():
        assert counts[name] == Mentorship.objects.alert(code, TODAY).count(), name
    for code in MentorshipFilter.CHECKBOXES:
        value = "soon" if code == "ending" else "1"
        listed = MentorshipFilter(
            {code: value}, queryset=Mentorship.objects.all(), user=curator, today=TODAY
        ).qs
        assert set(listed) == set(Mentorship.objects.alert(code, TODAY)), code
