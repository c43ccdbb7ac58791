"""Indicators of monitoring campaigns: the figures a submission states, and how indicators follow from them.

A *figure* is a count one organization reports: «Обучающихся всего», «Наставников, форма
«ученик – ученик»», or a «да / нет» answer stored as 1 / 0 («Положение о наставничестве
размещено на сайте», with its link). An *indicator* (``models.Indicator``, data) names its
numerator and its denominator by figure codes. Two figures belong to the campaign rather than
to a submission: ``organizations`` (the organizations of the indicator's basis: those that
answered, or all the campaign's targets) and ``submitted`` (those that answered).

Figure codes: the fixed ones below, and per form of mentoring (forms are data)
``mentors:<form code>``, ``mentees:<form code>``, ``young_specialist_mentees:<form code>``.

Aggregation (docs/domain.md §4): numerators and denominators are summed over the organizations, then
divided once; percentages are never averaged. The numerator always counts the organizations
that answered; the denominator counts them too (basis «respondents») or every target of the
campaign (basis «targets»: Smolensk's 254 of 340 counts all 340 schools), a target that did not
answer contributing what the registry said when the campaign opened.
"""

import dataclasses
import datetime
from decimal import Decimal

from django.db.models import Count, Exists, IntegerField, Max, OuterRef, Q, Sum
from django.db.models import Value as V
from django.db.models.functions import Coalesce

from common import formats
from registry.models import (
    COUNTED_STATUSES,
    Category,
    Headcount,
    MentoringForm,
    MentoringPlan,
    NormativeDocument,
    Organization,
    TrainingCompletion,
    school_year_of,
)
from registry.selectors import YOUNG_SPECIALIST_MENTEE, links_as_of, student_mentee_aged_at_least

from .surveys import survey_figures

COUNT = "count"
YES_NO = "yes_no"

REGISTRY = "registry"  # pre-filled from the registry where it knows the figure
ENTERED = "entered"  # only the organization knows it
CAMPAIGN = "campaign"  # a count of the campaign's organizations, not stored in submissions

ORGANIZATIONS = "organizations"
SUBMITTED = "submitted"

MENTORS = "mentors"
MENTEES = "mentees"
YOUNG_MENTEES = "young_specialist_mentees"


@dataclasses.dataclass(frozen=True)
class Figure:
    code: str
    name: str
    kind: str = COUNT
    source: str = REGISTRY
    bound: str | None = None  # the figure of the same submission this one cannot exceed
    needs_url: bool = False  # a «да» needs its link

    @property
    def is_yes_no(self) -> bool:
        return self.kind == YES_NO

    @property
    def per_organization(self) -> bool:
        return self.source != CAMPAIGN


FIXED = [
    Figure("students", "Обучающихся всего"),
    Figure("students_10_plus", "Обучающихся от 10 лет", bound="students"),
    Figure("teachers", "Педагогов всего"),
    Figure("young_specialists", "Молодых специалистов (педагогический стаж до 3 лет)", bound="teachers"),
    Figure(
        "student_mentees_10_plus",
        "Обучающихся от 10 лет в роли наставляемого (все формы)",
        bound="students_10_plus",
    ),
    Figure(YOUNG_MENTEES, "Молодых специалистов в роли наставляемого (все формы)", bound="young_specialists"),
    Figure("trained_teachers", "Педагогов, прошедших КПК по наставничеству", bound="teachers"),
    # F2 (docs/domain.md §6): pupils and college students aged 15–19 on the date who mentor; the
    # headcount has no 15–19 column, so they are divided by the pupils from 10.
    Figure(
        "student_mentors_15_19",
        "Обучающихся 15–19 лет в роли наставника (все формы)",
        bound="students_10_plus",
    ),
    # F4: an employer (organization of type «работодатель») counts 1 in ``employers`` and 1 in
    # ``employers_with_mentors`` when one of its people (or itself) mentors in a pair counted on the date.
    Figure("employers", "Работодателей (организаций типа «работодатель»)"),
    Figure(
        "employers_with_mentors",
        "Работодателей, предоставивших наставников",
        bound="employers",
    ),
    Figure("target_model", "Целевая модель наставничества внедрена", kind=YES_NO),
    Figure(
        "regulation_on_site",
        "Положение о наставничестве размещено на сайте ОО",
        kind=YES_NO,
        needs_url=True,
    ),
    # From the surveys of participants (docs/domain.md §7): the latest closed round covering the
    # organization; without one the organization types them (absent from ``registry_values``).
    Figure("mentees_surveyed", "Наставляемых, участвовавших в опросе"),
    Figure(
        "mentees_satisfied",
        "Наставляемых, удовлетворённых участием в программе",
        bound="mentees_surveyed",
    ),
    Figure("mentors_surveyed", "Наставников, участвовавших в опросе"),
    Figure(
        "mentors_satisfied",
        "Наставников, удовлетворённых участием в программе",
        bound="mentors_surveyed",
    ),
    # From the pairs' plans (docs/domain.md §4.1, R15): plans a regional methodist accompanies.
    Figure("plans_high_deficits", "ИПН педагогов с высоким уровнем профессиональных дефицитов"),
    Figure("plan_support_hours", "Часов сопровождения ИПН региональными методистами"),
    Figure(ORGANIZATIONS, "Организаций", source=CAMPAIGN),
    Figure(SUBMITTED, "Организаций, представивших отчёт", source=CAMPAIGN),
]

HEADCOUNT_FIGURES = ("students", "students_10_plus", "teachers", "young_specialists")
PLAN_FIGURES = frozenset({"plans_high_deficits", "plan_support_hours"})
# Seed 003, 1.3: a regional methodist is paid for accompanying a plan «из расчета 5 часов на 1
# программу»; a plan whose hours are not filled counts these five.
PLAN_HOURS_DEFAULT = 5
EMPLOYER_FIGURES = frozenset({"employers", "employers_with_mentors"})
# F2's ages: at least 15 and at most 19 years old on the date.
MENTOR_AGES = (15, 19)
STUDENT_CATEGORIES = (Category.STUDENT, Category.COLLEGE_STUDENT)
SURVEY_FIGURES = frozenset({"mentees_surveyed", "mentees_satisfied", "mentors_surveyed", "mentors_satisfied"})


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def student_mentor_aged(youngest: int, oldest: int, as_of: datetime.date) -> Q:
    """Links whose mentor is a pupil or a college student ``youngest``–``oldest`` years old on ``as_of``."""
    return Q(
        mentor_category__in=STUDENT_CATEGORIES,
        mentor_person__birth_date__lte=_years_before(as_of, youngest),
        mentor_person__birth_date__gt=_years_before(as_of, oldest + 1),
    )


def _bound_for(categories) -> str | None:
    categories = set(categories or [])
    if categories and categories <= {Category.STUDENT}:
        return "students"
    if categories and categories <= {Category.TEACHER, Category.HEAD}:
        return "teachers"
    return None


def form_figures(form: MentoringForm) -> list[Figure]:
    figures = [
        Figure(
            f"{MENTORS}:{form.code}",
            f"Наставников, форма «{form.name}»",
            bound=_bound_for(form.mentor_categories),
        ),
        Figure(
            f"{MENTEES}:{form.code}",
            f"Наставляемых, форма «{form.name}»",
            bound=_bound_for(form.mentee_categories),
        ),
    ]
    if Category.TEACHER in (form.mentee_categories or []):
        figures.append(
            Figure(
                f"{YOUNG_MENTEES}:{form.code}",
                f"Молодых специалистов в роли наставляемого, форма «{form.name}»",
                bound="young_specialists",
            )
        )
    return figures


def catalogue(forms=None) -> dict[str, Figure]:
    """Every known figure by code, in display order (fixed ones, then per form). One query for the forms."""
    if forms is None:
        forms = MentoringForm.objects.all()
    figures = {figure.code: figure for figure in FIXED}
    for form in forms:
        figures.update((figure.code, figure) for figure in form_figures(form))
    return figures


def check_definition(indicator, figures: dict[str, Figure] | None = None) -> dict[str, str]:
    """Errors of an indicator's formula, by field ({} when it is sound)."""
    figures = catalogue() if figures is None else figures
    errors = {}
    numerator = figures.get(indicator.numerator)
    denominator = figures.get(indicator.denominator) if indicator.denominator else None
    if numerator is None:
        errors["numerator"] = f"Неизвестная величина «{indicator.numerator}»."
    if indicator.denominator and denominator is None:
        errors["denominator"] = f"Неизвестная величина «{indicator.denominator}»."
    if errors:
        return errors
    if indicator.unit == COUNT:
        if indicator.denominator:
            errors["denominator"] = "У количества нет знаменателя."
        elif numerator.is_yes_no:
            errors["unit"] = "Ответ «да / нет» считается долей организаций, а не количеством."
        return errors
    if denominator is None:
        errors["denominator"] = "Укажите знаменатель."
    elif numerator.is_yes_no or numerator.code == SUBMITTED:
        if denominator.code != ORGANIZATIONS:
            errors["denominator"] = (
                f"Знаменатель ответа «да / нет» — величина «{ORGANIZATIONS}» (организации)."
            )
    elif denominator.code == ORGANIZATIONS:
        errors["numerator"] = (
            "Долю организаций считают по ответу «да / нет» или по числу представивших отчёт."
        )
    elif denominator.is_yes_no or not denominator.per_organization:
        errors["denominator"] = "Знаменатель доли — численность (обучающихся, педагогов…)."
    if indicator.unit == YES_NO and not numerator.is_yes_no and numerator.code != SUBMITTED:
        errors.setdefault("unit", "Единица «да / нет» — только для ответа «да / нет».")
    return errors


def submission_figures(indicators, figures: dict[str, Figure]) -> list[str]:
    """Codes a submission of a campaign with ``indicators`` holds: their figures and the bounds of these."""
    wanted = set()
    pending = [code for i in indicators for code in (i.numerator, i.denominator) if code]
    while pending:
        code = pending.pop()
        figure = figures.get(code)
        if figure is None or not figure.per_organization or code in wanted:
            continue
        wanted.add(code)
        if figure.bound:
            pending.append(figure.bound)
    return [code for code in figures if code in wanted]


# ---------------------------------------------------------------- values


@dataclasses.dataclass(frozen=True)
class Value:
    """An indicator's value as counts: numerator and denominator (None for a count)."""

    numerator: int
    denominator: int | None = None

    @property
    def percent(self) -> Decimal | None:
        if self.denominator is None:
            return None
        return formats.percent(self.numerator, self.denominator)

    def share(self, digits: int = 1) -> str:
        """«7,3 %»; for a count, the count."""
        if self.denominator is None:
            return str(self.numerator)
        return formats.share(self.numerator, self.denominator, digits)

    def text(self, digits: int = 0) -> str:
        """«228 из 340, 67 %»; for a count, the count."""
        if self.denominator is None:
            return str(self.numerator)
        return formats.share_of(self.numerator, self.denominator, digits)

    def measure(self) -> Decimal | None:
        """What is compared with a target: the percentage, or the count."""
        return self.percent if self.denominator is not None else Decimal(self.numerator)


@dataclasses.dataclass(frozen=True)
class FigureSums:
    """One figure summed over organizations: over those that answered, and over every target."""

    respondents: int = 0
    targets: int = 0


def aggregate_value(indicator, sums: dict[str, FigureSums], *, responded: int, expected: int) -> Value:
    """The indicator over a set of organizations: counts summed, then (later) divided once."""
    numerator = (
        responded
        if indicator.numerator == SUBMITTED
        else sums.get(indicator.numerator, FigureSums()).respondents
    )
    if not indicator.denominator:
        return Value(numerator)
    by_targets = indicator.denominator_basis == "targets"
    if indicator.denominator == ORGANIZATIONS:
        return Value(numerator, expected if by_targets else responded)
    denominator = sums.get(indicator.denominator, FigureSums())
    return Value(numerator, denominator.targets if by_targets else denominator.respondents)


def organization_value(indicator, values: dict[str, int | None], *, responded: bool) -> Value | None:
    """The indicator for one organization from its own figures; None while one of them is missing."""
    if indicator.numerator == SUBMITTED:
        numerator = int(responded)
    else:
        numerator = values.get(indicator.numerator)
    if numerator is None:
        return None
    if not indicator.denominator:
        return Value(numerator)
    if indicator.denominator == ORGANIZATIONS:
        return Value(numerator, 1)
    denominator = values.get(indicator.denominator)
    return None if denominator is None else Value(numerator, denominator)


GREEN, YELLOW, RED = "green", "yellow", "red"
LIGHT_LABELS = {GREEN: "целевое значение достигнуто", YELLOW: "близко к целевому", RED: "ниже целевого"}


def traffic_light(indicator, value: Value | None) -> str | None:
    """Green when the target is met, yellow within the margin, red otherwise; None without a target."""
    if indicator.target_value is None or value is None:
        return None
    measured = value.measure()
    if measured is None:
        return None
    target, margin = indicator.target_value, indicator.target_margin
    if indicator.target_comparison == "lte":
        if measured <= target:
            return GREEN
        return YELLOW if measured <= target + margin else RED
    if measured >= target:
        return GREEN
    return YELLOW if measured >= target - margin else RED


# ---------------------------------------------------------------- what the registry says


def registry_values(
    *,
    as_of: datetime.date,
    organizations,
    codes: list[str],
    figures: dict[str, Figure],
    period: tuple[datetime.date, datetime.date] | None = None,
) -> dict[tuple[int, str], tuple[int | None, str]]:
    """What the registry says on ``as_of`` for each (organization id, figure code): (value, link).

    ``organizations`` is a queryset of organization ids (a subquery). Mentors and mentees are
    distinct people (or organizations) of mentorships counted on the date (docs/domain.md §4); the
    headcount is that of the date's school year. A figure the registry cannot state is absent;
    a count of mentorships absent for an organization is 0 (the registry knows of none). The
    surveys' figures (F5, F6) come from the latest closed survey round covering the organization
    whose period meets ``period`` (the campaign's; by default the school year of ``as_of`` up to
    it); an organization no round covers is absent, and types them. The plans' figures (R15) count
    the plans of the pairs counted on the date that have a supervising methodist of the regional
    register, and their hours (``PLAN_HOURS_DEFAULT`` where not filled). F2's mentors aged 15–19
    are distinct pupils and college students mentoring in the organization's pairs; F4's employers
    are the organizations of type «работодатель» among ``organizations``, each providing mentors
    when a person of it (or itself) mentors in a pair counted on the date, in any organization.
    At most eleven queries, each one GROUP BY (or one row per employer) over all the organizations.
    """
    wanted = set(codes)
    result: dict[tuple[int, str], tuple[int | None, str]] = {}

    headcount = [code for code in HEADCOUNT_FIGURES if code in wanted]
    if headcount:
        rows = Headcount.objects.filter(school_year=school_year_of(as_of), organization__in=organizations)
        for row in rows.values("organization", *headcount):
            for code in headcount:
                result[(row["organization"], code)] = (row[code], "")

    links = links_as_of(None, as_of).filter(organization__in=organizations)
    by_form = [code for code in codes if ":" in code and figures[code].source == REGISTRY]
    if by_form:
        rows = (
            links.values("organization", "mentoring_form__code")
            .annotate(
                mentors=Count("mentor_person", distinct=True) + Count("mentor_organization", distinct=True),
                mentees=Count("mentee_person", distinct=True) + Count("mentee_organization", distinct=True),
                young=Count("mentee_person", distinct=True, filter=YOUNG_SPECIALIST_MENTEE),
            )
            .order_by()
        )
        columns = {MENTORS: "mentors", MENTEES: "mentees", YOUNG_MENTEES: "young"}
        for row in rows:
            for prefix, column in columns.items():
                code = f"{prefix}:{row['mentoring_form__code']}"
                if code in wanted:
                    result[(row["organization"], code)] = (row[column], "")

    across_forms = {"student_mentees_10_plus", YOUNG_MENTEES} & wanted
    if across_forms:
        rows = (
            links.values("organization")
            .annotate(
                student_mentees_10_plus=Count(
                    "mentee_person", distinct=True, filter=student_mentee_aged_at_least(10, as_of)
                ),
                young=Count("mentee_person", distinct=True, filter=YOUNG_SPECIALIST_MENTEE),
            )
            .order_by()
        )
        for row in rows:
            if "student_mentees_10_plus" in wanted:
                result[(row["organization"], "student_mentees_10_plus")] = (
                    row["student_mentees_10_plus"],
                    "",
                )
            if YOUNG_MENTEES in wanted:
                result[(row["organization"], YOUNG_MENTEES)] = (row["young"], "")

    if "student_mentors_15_19" in wanted:
        # A query of its own: the links carry no mentor's birth date, so only the pupils' links
        # (``mentor_category``, a copy) join the people; the query above stays without the join.
        rows = (
            links.filter(student_mentor_aged(*MENTOR_AGES, as_of))
            .values("organization")
            .annotate(n=Count("mentor_person", distinct=True))
            .order_by()
        )
        for row in rows:
            result[(row["organization"], "student_mentors_15_19")] = (row["n"], "")

    if wanted & EMPLOYER_FIGURES:
        mentoring = links_as_of(None, as_of).filter(
            Q(mentor_person__organization=OuterRef("pk")) | Q(mentor_organization=OuterRef("pk"))
        )
        employers = Organization.objects.filter(
            pk__in=organizations, org_type=Organization.OrgType.EMPLOYER
        ).annotate(provides=Exists(mentoring))
        for pk, provides in employers.values_list("pk", "provides"):
            if "employers" in wanted:
                result[(pk, "employers")] = (1, "")
            if "employers_with_mentors" in wanted:
                result[(pk, "employers_with_mentors")] = (int(provides), "")

    if "trained_teachers" in wanted:
        rows = (
            TrainingCompletion.objects.filter(completed_on__lte=as_of, person__organization__in=organizations)
            .values("person__organization")
            .annotate(n=Count("person", distinct=True))
            .order_by()
        )
        for row in rows:
            result[(row["person__organization"], "trained_teachers")] = (row["n"], "")

    if "regulation_on_site" in wanted:
        rows = (
            NormativeDocument.objects.filter(
                organization__in=organizations,
                doc_type=NormativeDocument.DocType.REGULATION,
                published_on_site=True,
                date__lte=as_of,
            )
            .values("organization")
            .annotate(url=Max("site_url"))
            .order_by()
        )
        for row in rows:
            result[(row["organization"], "regulation_on_site")] = (1, row["url"])

    if wanted & PLAN_FIGURES:
        rows = (
            MentoringPlan.objects.filter(
                mentorship__organization__in=organizations,
                mentorship__status__in=COUNTED_STATUSES,
                mentorship__start_date__lte=as_of,
                methodist__isnull=False,
            )
            .filter(Q(mentorship__end_date__isnull=True) | Q(mentorship__end_date__gte=as_of))
            .values("mentorship__organization")
            .annotate(
                plans=Count("pk"),
                hours=Sum(Coalesce("support_hours", V(PLAN_HOURS_DEFAULT), output_field=IntegerField())),
            )
            .order_by()
        )
        for row in rows:
            for code, column in (("plans_high_deficits", "plans"), ("plan_support_hours", "hours")):
                if code in wanted:
                    result[(row["mentorship__organization"], code)] = (row[column], "")

    if wanted & SURVEY_FIGURES:
        if period is None:
            period = (datetime.date(school_year_of(as_of), 9, 1), as_of)
        for (pk, code), value in survey_figures(organizations=organizations, period=period).items():
            if code in wanted:
                result[(pk, code)] = (value, "")

    if "target_model" in wanted:
        implemented = [Organization.ModelStatus.IMPLEMENTATION, Organization.ModelStatus.COMPLETED]
        ids = Organization.objects.filter(pk__in=organizations, model_status__in=implemented)
        for pk in ids.values_list("pk", flat=True):
            result[(pk, "target_model")] = (1, "")
    return result


# Figures whose absence in ``registry_values`` means 0: the registry knows of no such mentorship.
ZERO_WHEN_ABSENT_PREFIXES = (f"{MENTORS}:", f"{MENTEES}:", f"{YOUNG_MENTEES}:")
ZERO_WHEN_ABSENT = {
    "student_mentees_10_plus",
    YOUNG_MENTEES,
    "trained_teachers",
    *PLAN_FIGURES,
    "student_mentors_15_19",
    *EMPLOYER_FIGURES,  # an organization that is not an employer counts 0 of 0
}


def registry_default(code: str, figure: Figure) -> int | None:
    if figure.source != REGISTRY:
        return None
    if code in ZERO_WHEN_ABSENT or code.startswith(ZERO_WHEN_ABSENT_PREFIXES):
        return 0
    return None
