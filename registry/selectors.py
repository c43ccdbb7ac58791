"""Counting selectors: the figures every report is built from.

Counts, never shares: a share is a numerator and a denominator summed over the scope,
then divided once (``common.formats.share``). Each figure family is one SQL
query with GROUP BY; nothing loops over rows in Python.

A scope is a Region, a Municipality or an Organization. "As of a date" counts a
mentorship that is not a draft, started on or before the date and did not end before it
(docs/domain.md §4).
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from .models import (
    COUNTED_STATUSES,
    YOUNG_SPECIALIST_MAX_YEARS,
    Category,
    Headcount,
    MentoringForm,
    Mentorship,
    MentorshipLink,
    Municipality,
    Organization,
    Region,
    school_year_of,
)

Scope = Region | Municipality | Organization


def organization_filter(scope: Scope, path: str = "organization") -> Q:
    """Q selecting rows whose organization (reached by ``path``) lies in ``scope``."""
    prefix = f"{path}__" if path else ""
    if isinstance(scope, Organization):
        return Q(**{f"{prefix}pk" if path == "" else path: scope.pk})
    if isinstance(scope, Municipality):
        return Q(**{f"{prefix}municipality": scope.pk})
    if isinstance(scope, Region):
        return Q(**{f"{prefix}municipality__region": scope.pk})
    raise TypeError(f"not a scope: {scope!r}")


def scope_organizations(scope: Scope) -> QuerySet:
    return Organization.objects.filter(organization_filter(scope, path=""))


def links_as_of(scope: Scope | None, as_of: datetime.date, active_only: bool = False) -> QuerySet:
    """Mentor–mentee links of mentorships counted on ``as_of`` (None: the whole country).

    Reports use the as-of rule of docs/domain.md §4. ``active_only`` is the live view of the
    dashboards: pairs in status «действует» that have started, the same rows as the lists
    behind the figures (a pair completed today leaves the dashboard today, not tomorrow).
    """
    if active_only:
        return _in_scope(
            MentorshipLink.objects.filter(status=Mentorship.Status.ACTIVE, start_date__lte=as_of), scope
        )
    links = MentorshipLink.objects.filter(status__in=COUNTED_STATUSES, start_date__lte=as_of).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=as_of)
    )
    return _in_scope(links, scope)


def _in_scope(links: QuerySet, scope: Scope | None) -> QuerySet:
    if scope is not None:
        links = links.filter(organization_filter(scope))
    return links


@dataclass(frozen=True)
class FormCounts:
    """Distinct participants of one form of mentoring in a scope on a date."""

    form_code: str
    form_name: str
    mentors: int  # distinct people
    mentees: int
    mentor_organizations: int
    mentee_organizations: int
    mentorships: int
    young_specialist_mentees: int
    student_mentees_10_plus: int


# Links whose mentee is a young specialist: the links carry copies of the mentee's category and
# experience, so no join with people.
YOUNG_SPECIALIST_MENTEE = Q(
    mentee_category=Category.TEACHER, mentee_teaching_experience__lt=YOUNG_SPECIALIST_MAX_YEARS
)


def student_mentee_aged_at_least(years: int, as_of: datetime.date) -> Q:
    """Links whose mentee is a pupil at least ``years`` old on ``as_of`` (born 29 February: the 28th)."""
    try:
        born_before = as_of.replace(year=as_of.year - years)
    except ValueError:  # 29 February
        born_before = as_of.replace(year=as_of.year - years, day=28)
    return Q(mentee_category=Category.STUDENT, mentee_birth_date__lte=born_before)


def form_counts(
    *, scope: Scope | None, as_of: datetime.date, active_only: bool = False
) -> dict[str, FormCounts]:
    """Per form of mentoring: distinct mentors, mentees and mentorships. One query."""
    rows = (
        links_as_of(scope, as_of, active_only)
        .values("mentoring_form")
        .annotate(
            mentors=Count("mentor_person", distinct=True),
            mentees=Count("mentee_person", distinct=True),
            mentor_organizations=Count("mentor_organization", distinct=True),
            mentee_organizations=Count("mentee_organization", distinct=True),
            mentorships=Count("mentorship", distinct=True),
            young_specialist_mentees=Count("mentee_person", distinct=True, filter=YOUNG_SPECIALIST_MENTEE),
            student_mentees_10_plus=Count(
                "mentee_person", distinct=True, filter=student_mentee_aged_at_least(10, as_of)
            ),
        )
        .order_by()
    )
    forms = {f.pk: f for f in MentoringForm.objects.all()}
    result = {}
    for row in rows:
        form = forms[row.pop("mentoring_form")]
        result[form.code] = FormCounts(form_code=form.code, form_name=form.name, **row)
    return result


def category_counts(*, scope: Scope | None, as_of: datetime.date) -> dict[tuple[str, str, str], int]:
    """Distinct participants per (form code, side, category); side is "mentor" or "mentee".

    Two queries: one per side, each grouped by form and the participant's category.
    """
    links = links_as_of(scope, as_of)
    codes = dict(MentoringForm.objects.values_list("pk", "code"))
    result: dict[tuple[str, str, str], int] = {}
    for side, column in (("mentor", "mentor_person"), ("mentee", "mentee_person")):
        rows = (
            links.filter(**{f"{column}__isnull": False})
            .values("mentoring_form", f"{side}_category")
            .annotate(n=Count(column, distinct=True))
            .order_by()
        )
        for row in rows:
            result[(codes[row["mentoring_form"]], side, row[f"{side}_category"])] = row["n"]
    return result


@dataclass(frozen=True)
class Totals:
    """Distinct participants in any form (a person in two forms counts once)."""

    mentors: int
    mentees: int
    mentorships: int
    organizations_with_mentoring: int


def totals(*, scope: Scope | None, as_of: datetime.date, active_only: bool = False) -> Totals:
    row = links_as_of(scope, as_of, active_only).aggregate(
        mentors=Count("mentor_person", distinct=True),
        mentees=Count("mentee_person", distinct=True),
        mentorships=Count("mentorship", distinct=True),
        organizations_with_mentoring=Count("organization", distinct=True),
    )
    return Totals(**row)


@dataclass(frozen=True)
class HeadcountTotals:
    """The denominators: summed headcounts of the scope for the school year of a date."""

    school_year: int
    organizations: int  # organizations that reported a headcount for that year
    teachers: int = 0
    young_specialists: int = 0
    students: int = 0
    students_10_plus: int = 0
    extra: dict = field(default_factory=dict)


def headcount_totals(*, scope: Scope | None, as_of: datetime.date) -> HeadcountTotals:
    year = school_year_of(as_of)
    rows = Headcount.objects.filter(school_year=year)
    if scope is not None:
        rows = rows.filter(organization_filter(scope))
    row = rows.aggregate(
        organizations=Count("organization", distinct=True),
        teachers=Sum("teachers"),
        young_specialists=Sum("young_specialists"),
        students=Sum("students"),
        students_10_plus=Sum("students_10_plus"),
    )
    return HeadcountTotals(school_year=year, **{k: v or 0 for k, v in row.items()})


def form_counts_by_organization(
    *, scope: Scope | None, as_of: datetime.date
) -> dict[tuple[int, str], dict[str, int]]:
    """Per (organization id, form code): distinct mentors and mentees. One query.

    Used where a table lists the organizations of a municipality or the municipalities of a
    region; sums of these are *not* the scope's distinct totals when a person mentors in
    two organizations, so scope totals come from ``form_counts``.
    """
    codes = dict(MentoringForm.objects.values_list("pk", "code"))
    rows = (
        links_as_of(scope, as_of)
        .values("organization", "mentoring_form")
        .annotate(
            mentors=Count("mentor_person", distinct=True) + Count("mentor_organization", distinct=True),
            mentees=Count("mentee_person", distinct=True) + Count("mentee_organization", distinct=True),
            mentorships=Count("mentorship", distinct=True),
        )
        .order_by()
    )
    return {
        (row["organization"], codes[row["mentoring_form"]]): {
            "mentors": row["mentors"],
            "mentees": row["mentees"],
            "mentorships": row["mentorships"],
        }
        for row in rows
    }


def totals_by(
    *, scope: Scope | None, as_of: datetime.date, group: str, active_only: bool = False
) -> dict[int, dict[str, int]]:
    """Distinct mentors, mentees and mentorships per organization or per municipality. One query.

    ``group`` is "organization" or "municipality".
    """
    column = {"organization": "organization", "municipality": "organization__municipality"}[group]
    rows = (
        links_as_of(scope, as_of, active_only)
        .values(column)
        .annotate(
            mentors=Count("mentor_person", distinct=True) + Count("mentor_organization", distinct=True),
            mentees=Count("mentee_person", distinct=True) + Count("mentee_organization", distinct=True),
            mentorships=Count("mentorship", distinct=True),
        )
        .order_by()
    )
    return {row.pop(column): row for row in rows}


def organizations_with_document(
    *, scope: Scope | None, doc_type: str, as_of: datetime.date, org_type: str = "school"
) -> tuple[int, int]:
    """(organizations of ``org_type`` with a ``doc_type`` document published on their site by
    ``as_of``, all organizations of that type in scope): Smolensk's 254 of 340."""
    from .models import NormativeDocument

    organizations = Organization.objects.filter(org_type=org_type)
    if scope is not None:
        organizations = organizations.filter(organization_filter(scope, path=""))
    published = NormativeDocument.objects.filter(
        organization__in=organizations, doc_type=doc_type, published_on_site=True, date__lte=as_of
    )
    return published.values("organization").distinct().count(), organizations.count()


# The dashboard's counts by the rule each stands for (models.PAIR_ALERTS), one FILTER each.
ALERT_COUNTS = {
    "ending_soon": "ending",
    "overdue": "overdue",
    "no_agreement": "no_agreement",
    "no_result": "no_result",
    "drafts": "draft",
    "silent": "silent",
}


def _alert_aggregates(today: datetime.date) -> dict:
    from .models import PAIR_ALERTS

    return {
        name: Count("pk", filter=PAIR_ALERTS[code].condition(today)) for name, code in ALERT_COUNTS.items()
    }


def mentorship_alerts(*, scope: Scope | None, today: datetime.date) -> dict[str, int]:
    """What a curator must act on: pairs ending soon, overdue, without agreement or result. One query."""
    from .models import Mentorship

    rows = Mentorship.objects.all()
    if scope is not None:
        rows = rows.filter(organization_filter(scope))
    return rows.aggregate(**_alert_aggregates(today))


def mentorship_alerts_by_organization(*, scope: Scope, today: datetime.date) -> dict[int, dict[str, int]]:
    from .models import Mentorship

    rows = (
        Mentorship.objects.filter(organization_filter(scope))
        .values("organization")
        .annotate(**_alert_aggregates(today))
        .order_by()
    )
    return {row.pop("organization"): row for row in rows}


def active_mentees_count(mentor: str = "pk") -> Coalesce:
    """Distinct mentees the person at ``mentor`` (an outer reference) carries in active pairs.

    One correlated subquery, so a list annotates every row in its own query. It counts the
    mentor's pairs in every organization: it is the mentor's load, and only a number is shown.
    """
    return Coalesce(
        Subquery(
            MentorshipLink.objects.filter(status=Mentorship.Status.ACTIVE, mentor_person=OuterRef(mentor))
            .order_by()
            .values("mentor_person")
            .annotate(n=Count("mentee_person", distinct=True))
            .values("n")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


# ---------------------------------------------------------------- the dashboards' coverage
#
# The dashboards' shares (docs/architecture.md §12): numerators from the links, denominators
# from the headcounts, each grouped by the rows of the table under the territory shown.

GROUP_COLUMNS = {
    None: None,
    "region": "organization__municipality__region",
    "municipality": "organization__municipality",
    "organization": "organization",
}
ORGANIZATION_GROUP_COLUMNS = {
    None: None,
    "region": "municipality__region",
    "municipality": "municipality",
    "organization": "pk",
}
IMPLEMENTED_MODEL = (Organization.ModelStatus.IMPLEMENTATION, Organization.ModelStatus.COMPLETED)
NOT_EDUCATIONAL = (
    Organization.OrgType.METHODICAL_SERVICE,
    Organization.OrgType.AUTHORITY,
    Organization.OrgType.DPO,
    Organization.OrgType.EMPLOYER,
)
EMPTY_COVERAGE = {
    "mentors": 0,
    "mentees": 0,
    "mentorships": 0,
    "student_mentees_10_plus": 0,
    "young_specialist_mentees": 0,
    "teacher_mentors": 0,
}


def _grouped(rows: QuerySet, column: str | None, aggregates: dict) -> dict:
    """``aggregates`` over ``rows``: one dict (no ``column``) or a dict per value of ``column``."""
    if column is None:
        return {None: rows.aggregate(**aggregates)}
    return {row.pop(column): row for row in rows.values(column).annotate(**aggregates).order_by()}


def coverage_by(
    *, scope: Scope | None, as_of: datetime.date, group: str | None = None, active_only: bool = False
) -> dict[int | None, dict[str, int]]:
    """The numerators of the coverage shares per row of ``group`` (None: the scope as one row). One query.

    Mentors and mentees are distinct people or organizations (as ``totals_by``); pupils from 10
    and young specialists in the role of mentee and teachers in the role of mentor are distinct
    people (as ``form_counts``).
    """
    aggregates = {
        "mentors": Count("mentor_person", distinct=True) + Count("mentor_organization", distinct=True),
        "mentees": Count("mentee_person", distinct=True) + Count("mentee_organization", distinct=True),
        "mentorships": Count("mentorship", distinct=True),
        "student_mentees_10_plus": Count(
            "mentee_person", distinct=True, filter=student_mentee_aged_at_least(10, as_of)
        ),
        "young_specialist_mentees": Count("mentee_person", distinct=True, filter=YOUNG_SPECIALIST_MENTEE),
        "teacher_mentors": Count("mentor_person", distinct=True, filter=Q(mentor_category=Category.TEACHER)),
    }
    if group is None:
        # The scope's own row also gives the tiles' ``Totals`` (distinct people only), in the same scan.
        aggregates |= {
            "mentor_people": Count("mentor_person", distinct=True),
            "mentee_people": Count("mentee_person", distinct=True),
            "organizations_with_mentoring": Count("organization", distinct=True),
        }
    return _grouped(links_as_of(scope, as_of, active_only), GROUP_COLUMNS[group], aggregates)


def headcount_by(
    *, scope: Scope | None, as_of: datetime.date, group: str | None = None
) -> dict[int | None, dict[str, int]]:
    """The denominators: summed headcounts of the school year of ``as_of`` per row of ``group``. One query."""
    rows = Headcount.objects.filter(school_year=school_year_of(as_of))
    if scope is not None:
        rows = rows.filter(organization_filter(scope))
    aggregates = {
        "reported": Count("organization", distinct=True),
        "teachers": Coalesce(Sum("teachers"), 0),
        "young_specialists": Coalesce(Sum("young_specialists"), 0),
        "students": Coalesce(Sum("students"), 0),
        "students_10_plus": Coalesce(Sum("students_10_plus"), 0),
    }
    return _grouped(rows, GROUP_COLUMNS[group], aggregates)


def organizations_by(
    *, scope: Scope | None, as_of: datetime.date, group: str | None = None, active_only: bool = False
) -> dict[int | None, dict[str, int]]:
    """Educational organizations per row of ``group``: all, without a pair counted on ``as_of``
    (a subquery, no id list), with the target model implemented. One query."""
    rows = Organization.objects.exclude(org_type__in=NOT_EDUCATIONAL)
    if scope is not None:
        rows = rows.filter(organization_filter(scope, path=""))
    # NOT EXISTS, an anti-join: a NOT IN over the country's links outgrows work_mem and is then
    # probed row by row (minutes at national scale).
    with_pairs = Exists(links_as_of(scope, as_of, active_only).filter(organization=OuterRef("pk")))
    aggregates = {
        "organizations": Count("pk"),
        "without_pairs": Count("pk", filter=~with_pairs),
        "target_model": Count("pk", filter=Q(model_status__in=IMPLEMENTED_MODEL)),
    }
    column = {
        None: None,
        "region": "municipality__region",
        "municipality": "municipality",
        "organization": "pk",
    }
    return _grouped(rows, column[group], aggregates)


def ran_between(start: datetime.date, end: datetime.date) -> Q:
    """A counted mentorship that ran at some time from ``start`` to ``end``: started by the end, not
    ended before the start. With ``start == end`` it is the as-of rule of one date (docs/domain.md §4);
    the trends count by it and the pairs list filters by it (``?as_of=``, ``?year=``), so a point of a
    chart and the list it links to hold the same pairs."""
    return (
        Q(status__in=COUNTED_STATUSES)
        & Q(start_date__lte=end)
        & (Q(end_date__isnull=True) | Q(end_date__gte=start))
    )


def mentorships_over_time(
    *,
    scope: Scope | None,
    dates: list[datetime.date],
    periods: list[tuple[datetime.date, datetime.date]],
) -> tuple[list[int], list[int]]:
    """The trends: mentorships counted on each of ``dates`` by the as-of rule (docs/domain.md §4),
    and those that ran at some time within each of ``periods`` (started by its end, not ended
    before its start). One query: a filtered count per date and per period over the scope's
    mentorships (no DISTINCT: a mentorship is one row)."""
    rows = Mentorship.objects.filter(status__in=COUNTED_STATUSES)
    if scope is not None:
        rows = rows.filter(organization_filter(scope))
    aggregates = {
        **{f"d{index}": Count("pk", filter=ran_between(day, day)) for index, day in enumerate(dates)},
        **{
            f"p{index}": Count("pk", filter=ran_between(start, end))
            for index, (start, end) in enumerate(periods)
        },
    }
    row = rows.aggregate(**aggregates) if aggregates else {}
    return [row[f"d{i}"] for i in range(len(dates))], [row[f"p{i}"] for i in range(len(periods))]


@dataclass(frozen=True)
class FormMentorships:
    form_code: str
    form_name: str
    mentorships: int


def mentorships_by_form(
    *, scope: Scope | None, as_of: datetime.date, active_only: bool = False
) -> list[FormMentorships]:
    """Mentorships per form of mentoring on ``as_of``, by name: the rule of ``links_as_of`` on the
    mentorships themselves (a mentorship is one row: no DISTINCT), the forms in the same query."""
    if active_only:
        rows = Mentorship.objects.filter(status=Mentorship.Status.ACTIVE, start_date__lte=as_of)
    else:
        rows = Mentorship.objects.filter(status__in=COUNTED_STATUSES, start_date__lte=as_of).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=as_of)
        )
    if scope is not None:
        rows = rows.filter(organization_filter(scope))
    grouped = (
        rows.values("mentoring_form__code", "mentoring_form__name")
        .annotate(n=Count("pk"))
        .order_by("mentoring_form__name")
    )
    return [
        FormMentorships(row["mentoring_form__code"], row["mentoring_form__name"], row["n"]) for row in grouped
    ]
