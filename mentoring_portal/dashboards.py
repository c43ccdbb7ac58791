"""The dashboards: a territory (the country, a region, a municipality, a school) as of a date.

Every role opens the same dashboard at its own level and drills down inside its scope
(docs/architecture.md §12): coverage shares against the headcount, the federal indicators with
their targets and traffic lights, the trend by month and by school year, the open campaigns'
completeness, the road maps' execution and the table of the level below. Each figure family is one
GROUP BY query over the territory, so the number of queries does not grow with the rows.
"""

import dataclasses
import datetime
import hashlib
import math
import re
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Q
from django.urls import reverse

from common import formats
from monitoring import indicators
from monitoring.models import Campaign, Indicator, RoadMap, RoadMapEvent, Submission
from monitoring.selectors import RESPONDED, campaigns_for
from registry import access, selectors
from registry.models import (
    Headcount,
    Meeting,
    Mentorship,
    MentorshipLink,
    Municipality,
    Organization,
    Person,
    Region,
    UserScope,
    school_year_label,
    school_year_of,
)

from . import charts

COUNTRY, REGION, MUNICIPALITY, ORGANIZATION = "country", "region", "municipality", "organization"
LEVELS = [COUNTRY, REGION, MUNICIPALITY, ORGANIZATION]
CHILD = {COUNTRY: REGION, REGION: MUNICIPALITY, MUNICIPALITY: ORGANIZATION, ORGANIZATION: None}
CHILD_TITLE = {REGION: "Регион", MUNICIPALITY: "Муниципалитет", ORGANIZATION: "Организация"}
ROLE_ROOT = {
    UserScope.Role.ADMIN: COUNTRY,
    UserScope.Role.OPERATOR: REGION,
    UserScope.Role.COORDINATOR: MUNICIPALITY,
    UserScope.Role.CURATOR: ORGANIZATION,
}
MONTHS = 12
SCHOOL_YEARS = 5
CODE_MAX = 64  # longer than any territory's code
EARLIEST = datetime.date(2000, 1, 1)  # no registry holds pairs before; the trends count back from the date
CHART_ROWS = 30  # the table's first rows drawn in its chart


# ---------------------------------------------------------------- the date


def parse_as_of(text: str, today: datetime.date) -> tuple[datetime.date, str]:
    """``?as_of=`` as ДД.ММ.ГГГГ or ISO: (the date, "") or (today, a Russian message)."""
    text = (text or "").strip()
    if not text:
        return today, ""
    for pattern in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            day = datetime.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        if day > today:
            return today, f"Дата «{text}» ещё не наступила: показаны данные на сегодня."
        if day < EARLIEST:  # the trends count back years and months from the date
            return today, f"Дата «{text}» раньше {EARLIEST:%d.%m.%Y}: показаны данные на сегодня."
        return day, ""
    return today, f"«{text}» не дата: ожидается ДД.ММ.ГГГГ. Показаны данные на сегодня."


# ---------------------------------------------------------------- the territory


@dataclasses.dataclass(frozen=True)
class Crumb:
    label: str
    query: dict  # the dashboard's query string of this level ({} at the root)

    @property
    def href(self) -> str:
        return dashboard_url(self.query)


@dataclasses.dataclass(frozen=True)
class Territory:
    level: str
    obj: Region | Municipality | Organization | None  # None: the country
    crumbs: list[Crumb]

    @property
    def name(self) -> str:
        if self.obj is None:
            return "Все регионы"
        return self.obj.full_name if self.level == ORGANIZATION else self.obj.name

    @property
    def filters(self) -> dict:
        """The lists' filter of this territory (the pairs, mentors and mentees lists take these)."""
        if self.level in (MUNICIPALITY, ORGANIZATION):
            return {self.level: self.obj.code}
        return {}


def territory_for(user, params) -> Territory | None:
    """The territory asked by ``?region=``, ``?municipality=``, ``?organization=`` (codes), within
    the user's scope (else a 404 logged as refused access); without one, the user's own. None for
    a user without a territory (a mentor, no scope)."""
    role = access.role_of(user)
    root = ROLE_ROOT.get(role)
    if root is None:
        return None
    for key, model in (("region", Region), ("municipality", Municipality), ("organization", Organization)):
        # PostgreSQL refuses a NUL in a query, and no code is that long: no such territory
        if "\x00" in params.get(key, "") or len(params.get(key, "")) > CODE_MAX:
            raise access.ScopeDenied(model)
    scope = access.user_scope(user)
    own = {
        COUNTRY: None,
        REGION: scope.region if scope else None,
        MUNICIPALITY: scope.municipality if scope else None,
        ORGANIZATION: scope.organization if scope else None,
    }[root]
    obj, level = own, root
    if params.get("organization"):
        obj = access.get_scoped_or_404(
            user, Organization.objects.select_related("municipality__region"), code=params["organization"]
        )
        level = ORGANIZATION
    elif params.get("municipality") and root in (COUNTRY, REGION, MUNICIPALITY):
        obj = access.get_scoped_or_404(
            user, Municipality.objects.select_related("region"), code=params["municipality"]
        )
        level = MUNICIPALITY
    elif params.get("region") and root in (COUNTRY, REGION):
        obj = access.get_scoped_or_404(user, Region.objects.all(), code=params["region"])
        level = REGION
    elif any(params.get(key) for key in ("region", "municipality")):
        raise access.ScopeDenied(Region if params.get("region") else Municipality)
    return Territory(level=level, obj=obj, crumbs=_crumbs(root, level, obj))


def _crumbs(root: str, level: str, obj) -> list[Crumb]:
    """From the user's own level down to ``level``: each parent of ``obj`` on the way."""
    chain: list[tuple[str, object]] = []
    if level == ORGANIZATION:
        chain = [(REGION, obj.municipality.region), (MUNICIPALITY, obj.municipality), (ORGANIZATION, obj)]
    elif level == MUNICIPALITY:
        chain = [(REGION, obj.region), (MUNICIPALITY, obj)]
    elif level == REGION:
        chain = [(REGION, obj)]
    chain = [(COUNTRY, None), *chain][LEVELS.index(root) :]
    return [
        Crumb(
            "Все регионы" if item is None else getattr(item, "full_name", None) or item.name,
            {} if index == 0 else {step: item.code},
        )
        for index, (step, item) in enumerate(chain)
    ]


def dashboard_url(query: dict, **extra) -> str:
    params = {**query, **{k: v for k, v in extra.items() if v}}
    return reverse("dashboard") + (f"?{urlencode(params)}" if params else "")


def list_url(name: str, filters: dict, **extra) -> str:
    params = {**filters, **extra}
    return reverse(name) + (f"?{urlencode(params)}" if params else "")


# ---------------------------------------------------------------- shares


@dataclasses.dataclass(frozen=True)
class Share:
    code: str
    label: str
    value: indicators.Value
    href: str
    indicator: Indicator | None = None
    light: str | None = None

    @property
    def light_label(self) -> str:
        return indicators.LIGHT_LABELS.get(self.light, "") if self.light else ""

    @property
    def target_text(self) -> str:
        if self.indicator is None or self.indicator.target_value is None:
            return ""
        sign = "≤" if self.indicator.target_comparison == "lte" else "≥"
        return f"{sign} {formats.share(int(self.indicator.target_value), 100, 0)}"

    @property
    def target_source(self) -> str:
        """Where the target comes from (docs/domain.md §6): shown beside it."""
        if self.indicator is None or self.indicator.target_value is None:
            return ""
        return self.indicator.target_source


# What each share counts: (key, label, numerator, denominator, indicator code, list, list filter).
SHARES = [
    (
        "pupils",
        "Обучающиеся от 10 лет в роли наставляемого",
        "student_mentees_10_plus",
        "students_10_plus",
        "F1",
        "registry:mentee-list",
        {"paired": "paired", "category": "student"},
    ),
    (
        "young",
        "Молодые специалисты в роли наставляемого",
        "young_specialist_mentees",
        "young_specialists",
        "F3",
        "registry:mentee-list",
        {"paired": "paired", "category": "teacher"},
    ),
    (
        "teachers",
        "Педагоги в роли наставника",
        "teacher_mentors",
        "teachers",
        None,
        "registry:mentor-list",
        {"paired": "paired", "category": "teacher"},
    ),
    (
        "model",
        "Организации, внедрившие целевую модель",
        "target_model",
        "organizations",
        "F7",
        "registry:organization-list",
        {},
    ),
]
SHARE_KEYS = [key for key, *_ in SHARES]


def _shares(figures: dict, catalogue: dict, filters: dict) -> list[Share]:
    result = []
    for key, label, numerator, denominator, code, list_name, list_filter in SHARES:
        value = indicators.Value(figures.get(numerator, 0), figures.get(denominator, 0))
        indicator = catalogue.get(code)
        light = indicators.traffic_light(indicator, value) if indicator and value.denominator else None
        result.append(Share(key, label, value, list_url(list_name, filters, **list_filter), indicator, light))
    return result


def _natural(text: str) -> list:
    """«СОШ № 2» before «СОШ № 10»: digits compare as numbers."""
    return [int(part) if part.isdigit() else part.casefold() for part in re.split(r"(\d+)", text)]


# ---------------------------------------------------------------- the rows of the level below


@dataclasses.dataclass
class Row:
    obj: Region | Municipality | Organization
    name: str
    href: str  # the narrowed dashboard
    pairs_href: str  # the pairs list behind the row's count of pairs
    figures: dict
    shares: dict  # key → indicators.Value
    weak: bool = False


def _children(territory: Territory, as_of: datetime.date, today: datetime.date, live: bool) -> list[Row]:
    child = CHILD[territory.level]
    if child is None:
        return []
    scope = territory.obj
    if child == REGION:
        objects = Region.objects.order_by("name")
    elif child == MUNICIPALITY:
        objects = Municipality.objects.filter(region=scope).order_by("name")
    else:
        objects = (
            Organization.objects.filter(municipality=scope)
            .exclude(org_type__in=selectors.NOT_EDUCATIONAL)
            .order_by("code")
        )
    coverage = selectors.coverage_by(scope=scope, as_of=as_of, group=child, active_only=live)
    # A municipality's schools also carry their alerts (what the coordinator chases), one query.
    alerts = (
        selectors.mentorship_alerts_by_organization(scope=scope, today=today) if child == ORGANIZATION else {}
    )
    headcount = selectors.headcount_by(scope=scope, as_of=as_of, group=child)
    organizations = selectors.organizations_by(scope=scope, as_of=as_of, group=child, active_only=live)
    rows = []
    for obj in objects:
        figures = {
            **selectors.EMPTY_COVERAGE,
            **coverage.get(obj.pk, {}),
            **headcount.get(obj.pk, {}),
            **organizations.get(obj.pk, {}),
        }
        if child == ORGANIZATION:
            figures.update({name: 0 for name in selectors.ALERT_COUNTS} | alerts.get(obj.pk, {}))
        name = obj.full_name if child == ORGANIZATION else obj.name
        query = {child: obj.code}
        rows.append(
            Row(
                obj=obj,
                name=name,
                href=dashboard_url(query),
                # The pairs list has no region filter: a region's bar opens the region's dashboard.
                pairs_href=(
                    dashboard_url(query)
                    if child == REGION
                    else list_url("registry:mentorship-list", query, status="active")
                ),
                figures=figures,
                shares={
                    key: indicators.Value(figures.get(numerator, 0), figures.get(denominator, 0))
                    for key, _, numerator, denominator, *_ in SHARES
                },
            )
        )
    return rows


ORDERS = {"name": "по названию", "mentorships": "по числу пар", **{key: "по доле" for key in SHARE_KEYS}}


def sort_rows(rows: list[Row], order: str) -> tuple[list[Row], str]:
    """Rows by ``order`` («name», «-young», «mentorships»…; default the young specialists' share,
    weakest first), the weakest quarter of that share marked. Unknown orders fall back to it."""
    key = order.lstrip("-")
    if key not in ORDERS:
        order, key = "young", "young"
    descending = order.startswith("-")
    if key == "name":
        rows = sorted(rows, key=lambda row: _natural(row.name), reverse=descending)
    elif key == "mentorships":
        rows = sorted(
            rows, key=lambda row: (row.figures["mentorships"], _natural(row.name)), reverse=descending
        )
    else:
        known = [row for row in rows if row.shares[key].percent is not None]
        unknown = [row for row in rows if row.shares[key].percent is None]
        known.sort(key=lambda row: row.shares[key].percent, reverse=descending)
        rows = known + sorted(unknown, key=lambda row: _natural(row.name))
    share_key = key if key in SHARE_KEYS else "young"
    measured = sorted(
        row.shares[share_key].percent for row in rows if row.shares[share_key].percent is not None
    )
    if len(measured) >= 4:
        # The bottom quarter by rank (ties of its last one with it), never the best value: when
        # most rows share the top value, only those below it are weak.
        cutoff = measured[math.ceil(len(measured) / 4) - 1]
        for row in rows:
            percent = row.shares[share_key].percent
            row.weak = percent is not None and percent <= cutoff and percent < measured[-1]
    return rows, order


# ---------------------------------------------------------------- trends


def month_ends(as_of: datetime.date, months: int = MONTHS) -> list[datetime.date]:
    """The last day of each of the ``months`` months up to ``as_of`` (the last one is ``as_of``)."""
    days = [as_of]
    first = as_of.replace(day=1)
    for _ in range(months - 1):
        first_previous_end = first - datetime.timedelta(days=1)
        days.append(first_previous_end)
        first = first_previous_end.replace(day=1)
    return days[::-1]


def school_years(
    as_of: datetime.date, count: int = SCHOOL_YEARS
) -> list[tuple[int, datetime.date, datetime.date]]:
    last = school_year_of(as_of)
    return [
        (year, datetime.date(year, 9, 1), min(datetime.date(year + 1, 8, 31), as_of))
        for year in range(last - count + 1, last + 1)
    ]


# ---------------------------------------------------------------- campaigns and road maps


@dataclasses.dataclass(frozen=True)
class CampaignProgress:
    campaign: Campaign
    expected: int
    submitted: int

    @property
    def text(self) -> str:
        return f"собрано {self.submitted} из {self.expected}"

    @property
    def value(self) -> indicators.Value:
        return indicators.Value(self.submitted, self.expected)


def _campaigns(user, territory: Territory) -> list[CampaignProgress]:
    """The open campaigns the user sees, with submitted / expected of the territory. Two queries."""
    open_campaigns = list(
        campaigns_for(user).filter(status=Campaign.Status.OPEN).order_by("deadline", "pk")[:5]
    )
    if not open_campaigns:
        return []
    submissions = access.scoped(user, Submission.objects.filter(campaign__in=open_campaigns))
    if territory.level == REGION:
        submissions = submissions.filter(municipality__region=territory.obj)
    elif territory.level == MUNICIPALITY:
        submissions = submissions.filter(municipality=territory.obj)
    elif territory.level == ORGANIZATION:
        submissions = submissions.filter(organization=territory.obj)
    counts = {
        row["campaign"]: row
        for row in submissions.values("campaign")
        .annotate(expected=Count("pk"), submitted=Count("pk", filter=RESPONDED))
        .order_by()
    }
    return [
        CampaignProgress(c, counts.get(c.pk, {}).get("expected", 0), counts.get(c.pk, {}).get("submitted", 0))
        for c in open_campaigns
        if c.pk in counts
    ]


def _roadmaps(user, territory: Territory, as_of: datetime.date) -> list[dict]:
    """The territory's own road maps whose period holds ``as_of`` (or has no period): events done /
    planned (a cancelled event is out of the plan, as R12), and those due by ``as_of``. One query."""
    if territory.level == COUNTRY:
        return []
    own = {
        REGION: Q(level=RoadMap.Level.REGION, region=territory.obj),
        MUNICIPALITY: Q(level=RoadMap.Level.MUNICIPALITY, municipality=territory.obj),
        ORGANIZATION: Q(level=RoadMap.Level.ORGANIZATION, organization=territory.obj),
    }[territory.level]
    current = (Q(roadmap__period_start__isnull=True) | Q(roadmap__period_start__lte=as_of)) & (
        Q(roadmap__period_end__isnull=True) | Q(roadmap__period_end__gte=as_of)
    )
    roadmaps = access.scoped(user, RoadMap.objects.filter(own)).values("pk")
    planned = ~Q(status=RoadMapEvent.Status.CANCELLED)
    rows = (
        RoadMapEvent.objects.filter(current, roadmap__in=roadmaps)
        .values("roadmap", "roadmap__title")
        .annotate(
            planned=Count("pk", filter=planned),
            done=Count("pk", filter=Q(status=RoadMapEvent.Status.DONE)),
            due=Count("pk", filter=planned & Q(timing_end__lte=as_of)),
        )
        .order_by("roadmap__title", "roadmap")
    )
    return [
        {
            "pk": row["roadmap"],
            "title": row["roadmap__title"],
            "planned": row["planned"],
            "done": row["done"],
            "due": row["due"],
            "value": indicators.Value(row["done"], row["planned"]),
        }
        for row in rows
    ]


# ---------------------------------------------------------------- the page


def territory_figures(*, territory: Territory, as_of: datetime.date, today: datetime.date) -> dict:
    """The figures of ``territory`` on ``as_of``, the same for every user who reaches it: one query
    per figure family. A region's and the country's are kept in the cache (``cached_figures``)."""
    live = as_of == today  # today: the live view, pairs «действует» (the lists behind the figures)
    scope = territory.obj
    coverage = selectors.coverage_by(scope=scope, as_of=as_of, active_only=live)[None]
    headcount = selectors.headcount_by(scope=scope, as_of=as_of)[None]
    organizations = selectors.organizations_by(scope=scope, as_of=as_of, active_only=live)[None]
    if territory.level == ORGANIZATION:
        # A school's table of forms: distinct mentors and mentees of each form.
        forms = sorted(
            selectors.form_counts(scope=scope, as_of=as_of, active_only=live).values(),
            key=lambda c: c.form_name,
        )
    else:
        # Above a school only the chart of pairs per form: counted on the mentorships, no DISTINCT.
        forms = selectors.mentorships_by_form(scope=scope, as_of=as_of, active_only=live)
    days = month_ends(as_of)
    years = school_years(as_of)
    by_month, by_year = selectors.mentorships_over_time(
        scope=scope, dates=days, periods=[(start, end) for _, start, end in years]
    )
    return {
        "coverage": coverage,
        "figures": {**coverage, **headcount, **organizations},
        "forms": forms,
        "days": days,
        "by_month": by_month,
        "years": years,
        "by_year": by_year,
        "rows": _children(territory, as_of, today, live),
        "alerts": selectors.mentorship_alerts(scope=scope, today=today),
    }


# The history tables whose latest entry marks a change of what the figures count: every change of
# these rows is in the history (docs/reliability.md), so a new entry means new figures.
CHANGE_MARKERS = (Organization, Headcount, Person, Mentorship, MentorshipLink, Meeting)


def change_marker() -> str:
    """The latest history date of each table the figures read, in one query (each an index's last
    entry)."""
    # Table names from the models' own metadata, quoted: no outside text reaches the SQL.
    tables = [connection.ops.quote_name(model.history.model._meta.db_table) for model in CHANGE_MARKERS]
    sql = "SELECT " + ", ".join(f"(SELECT MAX(history_date) FROM {table})" for table in tables)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return "|".join(str(value) for value in cursor.fetchone())


def cached_figures(*, territory: Territory, as_of: datetime.date, today: datetime.date) -> dict:
    """``territory_figures``, kept for ``DASHBOARD_CACHE_SECONDS`` for a region or the country (the
    country's figures cost seconds to count, docs/architecture.md §12) under a key that holds the
    change marker: any change of the counted rows makes a new key, so the page is never stale."""
    seconds = settings.DASHBOARD_CACHE_SECONDS
    if territory.level not in (COUNTRY, REGION) or seconds <= 0:
        return territory_figures(territory=territory, as_of=as_of, today=today)
    code = territory.obj.code if territory.obj is not None else ""
    marker = hashlib.sha256(change_marker().encode()).hexdigest()[:32]
    key = f"dashboard:{territory.level}:{code}:{as_of.isoformat()}:{today.isoformat()}:{marker}"
    found = cache.get(key)
    if found is None:
        found = territory_figures(territory=territory, as_of=as_of, today=today)
        cache.set(key, found, seconds)
    return found


def build(*, user, territory: Territory, as_of: datetime.date, today: datetime.date, order: str = "") -> dict:
    """Everything the dashboard shows for ``territory`` on ``as_of``. A fixed number of queries."""
    live = as_of == today
    filters = territory.filters
    catalogue = {i.code: i for i in Indicator.objects.filter(code__in=[s[4] for s in SHARES if s[4]])}
    counted = cached_figures(territory=territory, as_of=as_of, today=today)
    coverage, figures, forms = counted["coverage"], counted["figures"], counted["forms"]
    days, by_month, years, by_year = (
        counted["days"],
        counted["by_month"],
        counted["years"],
        counted["by_year"],
    )
    shares = _shares(figures, catalogue, filters)
    rows, order = sort_rows(counted["rows"], order)
    pairs_url = list_url("registry:mentorship-list", filters)
    context = {
        "territory": territory,
        "level": territory.level,
        "as_of": as_of,
        "live": live,
        "totals": selectors.Totals(
            mentors=coverage["mentor_people"],
            mentees=coverage["mentee_people"],
            mentorships=coverage["mentorships"],
            organizations_with_mentoring=coverage["organizations_with_mentoring"],
        ),
        "alerts": counted["alerts"],
        "figures": figures,
        "shares": shares,
        "forms": forms,
        "rows": rows,
        "order": order,
        "child_title": CHILD_TITLE.get(CHILD[territory.level] or "", ""),
        "orders": [(key, label) for key, label in _order_choices()],
        "campaigns": _campaigns(user, territory),
        "roadmaps": _roadmaps(user, territory, as_of),
        "pairs_url": pairs_url,
        "filters_query": urlencode(filters),
        # This dashboard's own parameters (none at the user's own level): kept by the date form
        # and the sort links.
        "here": territory.crumbs[-1].query,
        "here_query": urlencode(territory.crumbs[-1].query),
    }
    context["charts"] = _charts(context, days, by_month, years, by_year, filters)
    return context


def _order_choices():
    yield "name", "Название"
    yield "mentorships", "Пар и групп"
    for key, label, *_ in SHARES:
        yield key, label


def _charts(context, days, by_month, years, by_year, filters) -> dict:
    territory = context["territory"]
    shares = context["shares"]
    result = {
        "shares": charts.bar_chart(
            ident="chart-shares",
            title=f"Охват наставничеством: {territory.name}",
            caption=(
                f"Доли от контингента на {formats.ru_date(context['as_of'])}; "
                "линия — целевое значение 70 % федеральных показателей"
            ),
            columns=("Показатель", "Доля"),
            maximum=100,
            target=70,
            rows=[
                {
                    "label": share.label,
                    "value": share.value.percent or 0,
                    "text": f"{share.value.share()} ({share.value.numerator} из {share.value.denominator})",
                    "href": share.href,
                    "tone": share.light or "",
                    "note": share.light_label,
                }
                for share in shares
            ],
        ),
        "forms": charts.bar_chart(
            ident="chart-forms",
            title="Пары и группы по формам наставничества",
            caption=f"На {formats.ru_date(context['as_of'])}; столбец ведёт к списку пар этой формы",
            columns=("Форма наставничества", "Пар и групп"),
            rows=[
                {
                    "label": c.form_name,
                    "value": c.mentorships,
                    "text": str(c.mentorships),
                    "href": list_url("registry:mentorship-list", filters, form=c.form_code, status="active"),
                }
                for c in context["forms"]
            ],
        ),
        "months": charts.line_chart(
            ident="chart-months",
            title="Пары и группы по месяцам",
            caption=(
                "Число пар и групп на последний день каждого из 12 месяцев (последняя точка — на дату отчёта)"
            ),
            href=context["pairs_url"],
            columns=("Дата", "Пар и групп"),
            points=[
                (
                    formats.ru_date(day),
                    n,
                    str(n),
                    list_url("registry:mentorship-list", filters, as_of=formats.ru_date(day)),
                )
                for day, n in zip(days, by_month, strict=True)
            ],
        ),
        "years": charts.bar_chart(
            ident="chart-years",
            title="Пары и группы по учебным годам",
            caption="Пары и группы, действовавшие в учебном году (текущий — по дату отчёта)",
            columns=("Учебный год", "Пар и групп"),
            rows=[
                {
                    "label": school_year_label(year),
                    "value": n,
                    "text": str(n),
                    "href": list_url(
                        "registry:mentorship-list",
                        filters,
                        year=year,
                        **({"as_of": formats.ru_date(end)} if end < datetime.date(year + 1, 8, 31) else {}),
                    ),
                }
                for (year, _, end), n in zip(years, by_year, strict=True)
            ],
        ),
    }
    rows = context["rows"]
    if rows:
        result["rows"] = charts.bar_chart(
            ident="chart-rows",
            title=f"Действующие пары и группы: {context['child_title'].lower()}",
            caption=(
                "В порядке таблицы ниже"
                + (f", первые {CHART_ROWS} из {len(rows)}" if len(rows) > CHART_ROWS else "")
                + "; столбец ведёт к списку пар"
            ),
            columns=(context["child_title"], "Пар и групп"),
            rows=[
                {
                    "label": row.name,
                    "value": row.figures["mentorships"],
                    "text": str(row.figures["mentorships"]),
                    "href": row.pairs_href,
                    "tone": "weak" if row.weak else "",
                    "note": "нижняя четверть" if row.weak else "",
                }
                for row in rows[:CHART_ROWS]
            ],
        )
    return result
