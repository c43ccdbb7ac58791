"""One builder per report kind (docs/architecture.md §8): a report's scope and source in, plain data out.

The data is JSON (strings, integers, lists, dicts): it is what a published version freezes. Figures
are counts — numerator and denominator — never percentages; ``reports.documents`` writes the shares.
Dates are written «16.12.2022». Every figure comes from the selectors of ``registry`` and
``monitoring`` (GROUP BY in the database): a builder runs a handful of queries whatever the size.
"""

import datetime

from django.db.models import Count, F, Q
from django.utils import timezone

from common.formats import ru_date
from common.text import natural_key
from monitoring import indicators as monitoring_indicators
from monitoring import live, timing
from monitoring import selectors as monitoring_selectors
from monitoring.models import Campaign, RoadMap, RoadMapEvent, Submission, SubmissionValue
from registry import selectors as registry_selectors
from registry.models import (
    BaseMembership,
    Category,
    ContestEntry,
    NormativeDocument,
    Organization,
    OrganizationStatus,
    PracticeBankEntry,
    TrainingCompletion,
    UserScope,
    school_year_label,
    school_year_of,
)
from registry.regional import entry_counts_by_org_type

from .models import Kind, Report


def month_label(day: datetime.date | None) -> str:
    """«Ноябрь 2020», «Без срока»: the road map page's label, capitalised as a table cell."""
    return timing.month_label(day).capitalize()


def territory_data(report: Report) -> dict:
    territory = report.territory
    return {
        "level": report.level,
        "code": getattr(territory, "code", ""),
        "name": getattr(territory, "full_name", None) or territory.name,
        "region": report.region.name,
    }


def build(report: Report) -> dict:
    """The data of ``report`` (unsaved or saved) as it stands in the registry now."""
    builder = BUILDERS[report.kind]
    data = builder(report)
    data["kind"] = report.kind
    data["territory"] = territory_data(report)
    data["built_at"] = timezone.localtime().strftime("%d.%m.%Y %H:%M")
    return data


# ---------------------------------------------------------------- road maps


def _roadmap_data(roadmap: RoadMap) -> dict:
    return {
        "id": roadmap.pk,
        "title": roadmap.title,
        "level": roadmap.level,
        "owner": str(roadmap.owner),
        "basis_number": roadmap.basis_number,
        "basis_date": ru_date(roadmap.basis_date),
        "basis_title": roadmap.basis_title,
        "period_start": ru_date(roadmap.period_start),
        "period_end": ru_date(roadmap.period_end),
    }


def _event_rows(events) -> list[dict]:
    return [
        {
            "direction": e.direction,
            "number": e.number,
            "title": e.title,
            "goal": e.goal,
            "audience": e.audience,
            "timing": e.timing_text,
            "month": month_label(e.timing_start),
            "responsible": e.responsible,
            "expected_result": e.expected_result,
            "result": e.result,
            "participants": e.participants,
            "links": e.links,
            "status": e.status,
            "status_label": e.get_status_display(),
        }
        for e in events
    ]


def _execution_data(roadmap: RoadMap) -> dict:
    execution = monitoring_selectors.roadmap_execution(roadmap)

    def rows(pairs, label=str):
        return [{"name": label(name), "planned": f.planned, "done": f.done} for name, f in pairs]

    return {
        "planned": execution.total.planned,
        "done": execution.total.done,
        "by_direction": rows(execution.by_direction, lambda d: d or "Без направления"),
        "by_month": rows(execution.by_month, month_label),
        "by_responsible": rows(execution.by_responsible, lambda r: r or "Не указан"),
    }


def _status_counts(roadmap: RoadMap) -> list[dict]:
    labels = dict(RoadMapEvent.Status.choices)
    rows = roadmap.events.values("status").annotate(n=Count("id")).order_by()
    counts = {row["status"]: row["n"] for row in rows}
    return [{"status": s, "label": labels[s], "count": counts[s]} for s in labels if counts.get(s)]


def build_roadmap_note(report: Report) -> dict:
    """Seed 000: the road map's events with goal, «Сроки», responsible and expected result."""
    roadmap = report.roadmap
    events = roadmap.events.order_by("sort_order", "pk")
    return {
        "roadmap": _roadmap_data(roadmap),
        "events": _event_rows(events),
        "execution": _execution_data(roadmap),
        "statuses": _status_counts(roadmap),
    }


def _campaign_figures(campaign: Campaign, report: Report) -> dict:
    """Completeness and indicator values of a finished campaign, narrowed to the report's territory."""
    completeness = monitoring_selectors.completeness(campaign, with_missing=False)
    indicator_report = monitoring_selectors.indicator_report(campaign)
    total_completeness, total_indicators = completeness.total, indicator_report.total
    by_municipality = completeness.by_municipality
    if report.municipality_id and campaign.is_regional:
        by_municipality = [r for r in by_municipality if r.municipality_id == report.municipality_id]
        total_completeness = by_municipality[0] if by_municipality else None
        total_indicators = next(
            (r for r in indicator_report.municipalities if r.municipality_id == report.municipality_id), None
        )
    indicators = []
    for indicator in indicator_report.indicators:
        value = total_indicators.values.get(indicator.code) if total_indicators else None
        indicators.append(
            {
                "code": indicator.code,
                "name": indicator.name,
                "unit": indicator.unit,
                "numerator": value.numerator if value else 0,
                "denominator": value.denominator if value else None,
                "target": str(indicator.target_value) if indicator.target_value is not None else None,
                "comparison": indicator.target_comparison,
                "target_source": indicator.target_source,
                "light": indicator_report.light(indicator.code, total_indicators)
                if total_indicators
                else None,
            }
        )
    ranking = {}
    if not report.municipality_id:
        for indicator in indicator_report.indicators:
            ranking[indicator.code] = [
                {
                    "name": r.name,
                    "numerator": r.value.numerator,
                    "denominator": r.value.denominator,
                }
                for r in indicator_report.ranking(indicator.code)
            ]
    return {
        "id": campaign.pk,
        "title": campaign.title,
        "organizer": campaign.organizer,
        "territory": str(campaign.territory),
        "is_regional": campaign.is_regional,
        "status_label": campaign.get_status_display(),
        "period_start": ru_date(campaign.period_start),
        "period_end": ru_date(campaign.period_end),
        "as_of": ru_date(campaign.as_of_date),
        "deadline": ru_date(campaign.deadline),
        "expected": total_completeness.expected if total_completeness else 0,
        "submitted": total_completeness.submitted if total_completeness else 0,
        "on_time": total_completeness.on_time if total_completeness else 0,
        "late": total_completeness.late if total_completeness else 0,
        "by_municipality": [
            {"name": r.name, "expected": r.expected, "submitted": r.submitted} for r in by_municipality
        ],
        "indicators": indicators,
        "ranking": ranking,
    }


def build_roadmap_report(report: Report) -> dict:
    """Seed 003: events by direction with their results, the period's monitoring figures, the contests."""
    roadmap = report.roadmap
    events = _event_rows(roadmap.events.order_by("sort_order", "pk"))
    directions: list[dict] = []
    for event in events:
        if not directions or directions[-1]["name"] != event["direction"]:
            directions.append({"name": event["direction"], "events": []})
        directions[-1]["events"].append(event)
    start = roadmap.period_start or datetime.date.min
    end = roadmap.period_end or datetime.date.max
    campaigns = Campaign.objects.filter(
        status__in=Campaign.FINISHED,
        as_of_date__gte=start,
        as_of_date__lte=end,
        region=report.region,
    ).select_related("region", "municipality")
    if report.municipality_id:
        campaigns = campaigns.filter(
            Q(municipality=report.municipality) | Q(municipality__isnull=True),
            target_municipalities=report.municipality,
        )
    else:
        campaigns = campaigns.filter(municipality__isnull=True)
    contests = []
    entries = ContestEntry.objects.filter(
        contest__region=report.region, contest__start_date__lte=end, contest__end_date__gte=start
    )
    if report.municipality_id:
        entries = entries.filter(organization__municipality=report.municipality)
    by_contest: dict[int, list] = {}
    for contest_id, title, start_date, end_date in (
        entries.values_list("contest", "contest__title", "contest__start_date", "contest__end_date")
        .distinct()
        .order_by("contest__start_date", "contest__title")
    ):
        by_contest[contest_id] = [title, start_date, end_date]
    for contest_id, (title, start_date, end_date) in by_contest.items():
        counts = entry_counts_by_org_type(entries=entries.filter(contest=contest_id))
        winners = list(
            entries.filter(contest=contest_id, result=ContestEntry.Result.WINNER)
            .order_by("title")
            .values_list("title", "organization__full_name")
        )
        contests.append(
            {
                "title": title,
                "start": ru_date(start_date),
                "end": ru_date(end_date),
                "total": counts.total,
                "by_type": [{"label": r.label, "count": r.count} for r in counts.rows],
                "winners": [{"title": t, "organization": o} for t, o in winners],
            }
        )
    practices = PracticeBankEntry.objects.filter(
        region=report.region,
        status__in=(PracticeBankEntry.Status.INCLUDED, PracticeBankEntry.Status.PUBLISHED),
        submitted_on__lte=end,
    )
    if report.municipality_id:
        practices = practices.filter(organization__municipality=report.municipality)
    return {
        "roadmap": _roadmap_data(roadmap),
        "directions": directions,
        "execution": _execution_data(roadmap),
        "campaigns": [_campaign_figures(c, report) for c in campaigns.order_by("as_of_date", "pk")],
        "contests": contests,
        "practices": practices.count(),
    }


# ---------------------------------------------------------------- monitoring


def registry_source(as_of: datetime.date) -> str:
    return f"по данным реестра на {ru_date(as_of)}"


def _registry_figures(report: Report) -> dict:
    """The catalogue from the live registry on the report's date (``monitoring.live``), shaped as a
    campaign's figures with ``registry`` set: every school of the territory counted, no completeness."""
    as_of = report.as_of or timezone.localdate()
    if report.municipality_id:
        live_report = live.live_indicators(municipality=report.municipality, as_of=as_of)
    else:
        live_report = live.live_indicators(region=report.region, as_of=as_of)
    total = live_report.total
    indicators = [
        {
            "code": i.code,
            "name": i.name,
            "unit": i.unit,
            "numerator": total.values[i.code].numerator,
            "denominator": total.values[i.code].denominator,
            "target": str(i.target_value) if i.target_value is not None else None,
            "comparison": i.target_comparison,
            "light": monitoring_indicators.traffic_light(i, total.values[i.code].counts),
        }
        for i in live_report.indicators
    ]
    rows = [
        {
            "code": row.code,
            "name": row.name,
            "organizations": row.organizations,
            "values": [
                [row.values[i.code].numerator, row.values[i.code].denominator]
                if i.code in row.values
                else None
                for i in live_report.indicators
            ],
        }
        for row in live_report.rows
    ]
    return {
        "registry": True,
        "source": registry_source(as_of),
        "title": "Мониторинг реализации целевой модели наставничества",
        "territory": total.name,
        "as_of": ru_date(as_of),
        "org_types": [Organization.OrgType(t).label for t in live_report.org_types],
        "expected": total.organizations,
        "submitted": total.organizations,
        "by_municipality": [] if report.municipality_id else rows,
        "schools": rows if report.municipality_id else [],
        "indicators": indicators,
        "ranking": {},
    }


def build_monitoring_report(report: Report) -> dict:
    """Seed 002: the order, basis, goal, methods, participants and the indicators with their counts;
    an appendix with every organization's answer (the region's 340 rows). Without a campaign: the
    live registry on the report's date (``_registry_figures``)."""
    campaign = report.campaign
    if campaign is None:
        return {"campaign": _registry_figures(report), "organizations": []}
    data = {
        "campaign": {
            **_campaign_figures(campaign, report),
            "basis_number": campaign.basis_number,
            "basis_date": ru_date(campaign.basis_date),
            "basis_title": campaign.basis_title,
            "basis_text": campaign.basis_text,
            "other_basis": campaign.other_basis,
            "goal": campaign.goal,
            "method_text": campaign.method_text or campaign.get_method_display(),
            "processing_text": campaign.processing_text,
            "use_of_results": campaign.use_of_results,
        },
    }
    chosen = [i["code"] for i in data["campaign"]["indicators"]]
    organizations = monitoring_selectors.organization_indicators(
        campaign, municipality=report.municipality if report.municipality_id else None
    )
    organizations = sorted(
        organizations, key=lambda o: (natural_key(o.municipality_name), natural_key(o.name))
    )
    data["reconciliation"] = _reconciliation(campaign, report)
    data["organizations"] = [
        {
            "code": o.code,
            "name": o.name,
            "municipality": o.municipality_name,
            "status": o.status_label,
            "responded": o.responded,
            "values": [
                None if o.values.get(code) is None else [o.values[code].numerator, o.values[code].denominator]
                for code in chosen
            ],
        }
        for o in organizations
    ]
    return data


def _reconciliation(campaign: Campaign, report: Report) -> list[dict]:
    """The figures a school reported otherwise than the registry said when the campaign opened
    (``SubmissionValue.registry_value``), with the difference and the school's comment: a school that
    reports 12 pairs and registered 9 is «+3». Only the schools that answered (sent or accepted). Two
    queries."""
    values = SubmissionValue.objects.filter(
        submission__campaign=campaign,
        submission__status__in=Submission.RESPONDED,
        registry_value__isnull=False,
        value__isnull=False,
    ).exclude(value=F("registry_value"))
    if report.municipality_id:
        values = values.filter(submission__municipality=report.municipality)
    rows = values.values_list(
        "submission__organization__short_name",
        "submission__organization__full_name",
        "submission__municipality__name",
        "figure",
        "value",
        "registry_value",
        "comment",
    )
    if not rows:
        return []
    figures = monitoring_indicators.catalogue()
    order = {code: n for n, code in enumerate(figures)}
    result = [
        {
            "organization": short or full,
            "municipality": municipality,
            "figure": figures[code].name if code in figures else code,
            "order": order.get(code, len(order)),
            "reported": value,
            "registry": registry,
            "difference": value - registry,
            "comment": comment.strip(),
        }
        for short, full, municipality, code, value, registry, comment in rows
    ]
    result.sort(key=lambda r: (natural_key(r["municipality"]), natural_key(r["organization"]), r["order"]))
    for row in result:
        del row["order"]
    return result


# ---------------------------------------------------------------- one school


def build_school_note(report: Report) -> dict:
    """Seed 001: the school's documents, curator, bases, pairs by form, training, events and contests
    in the school year of the report's date (or of its road map)."""
    organization: Organization = report.organization
    as_of = report.as_of or (report.roadmap.period_end if report.roadmap_id else None) or timezone.localdate()
    if report.roadmap_id and report.roadmap.period_end:
        as_of = min(as_of, report.roadmap.period_end)
    year = school_year_of(as_of)
    year_start, year_end = datetime.date(year, 9, 1), datetime.date(year + 1, 8, 31)
    documents = NormativeDocument.objects.filter(organization=organization, date__lte=as_of).order_by(
        "date", "pk"
    )
    statuses = OrganizationStatus.objects.filter(organization=organization, start_date__lte=as_of).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=as_of)
    )
    curators = list(
        UserScope.objects.filter(role=UserScope.Role.CURATOR, organization=organization, user__is_active=True)
        .order_by("user__last_name", "user__first_name")
        .values_list("user__last_name", "user__first_name")
    )
    bases = (
        BaseMembership.objects.filter(organization=organization, included_on__lte=as_of)
        .filter(Q(archived_on__isnull=True) | Q(archived_on__gte=as_of))
        .values("base", "person__category")
        .annotate(n=Count("person", distinct=True))
        .order_by()
    )
    base_counts: dict[str, dict[str, int]] = {}
    for row in bases:
        base_counts.setdefault(row["base"], {})[row["person__category"]] = row["n"]
    forms = registry_selectors.form_counts(scope=organization, as_of=as_of)
    trainings = (
        TrainingCompletion.objects.filter(person__organization=organization, completed_on__lte=as_of)
        .values("course__title", "course__provider")
        .annotate(n=Count("person", distinct=True))
        .order_by("course__title")
    )
    roadmap = report.roadmap or (
        RoadMap.objects.filter(organization=organization).order_by("-period_start", "-pk").first()
    )
    events = []
    if roadmap is not None:
        in_year = monitoring_selectors.roadmap_events(roadmap, date_from=year_start, date_to=year_end)
        events = _event_rows(in_year.order_by("sort_order", "pk"))
    contest_entries = (
        ContestEntry.objects.filter(organization=organization, contest__start_date__lte=year_end)
        .filter(contest__end_date__gte=year_start)
        .select_related("contest")
        .order_by("contest__start_date", "title")
    )
    categories = dict(Category.choices)
    return {
        "organization": {
            "code": organization.code,
            "name": organization.full_name,
            "short_name": organization.short_name,
            "municipality": organization.municipality.name,
            "site": organization.site_url,
            # The current stage, when it had begun by the report's date.
            "model_status": organization.get_model_status_display()
            if not organization.model_status_since or organization.model_status_since <= as_of
            else "",
            "model_status_since": ru_date(organization.model_status_since)
            if organization.model_status_since and organization.model_status_since <= as_of
            else "",
        },
        "as_of": ru_date(as_of),
        "school_year": school_year_label(year),
        "next_school_year": school_year_label(year + 1),
        "statuses": [
            {"label": s.get_kind_display(), "since": ru_date(s.start_date), "basis": s.basis}
            for s in statuses.order_by("start_date")
        ],
        "documents": [
            {
                "title": d.title,
                "type": d.get_doc_type_display(),
                "doc_type": d.doc_type,
                "date": ru_date(d.date),
                "number": d.number,
                "on_site": d.published_on_site,
            }
            for d in documents
        ],
        "curators": [f"{last} {first}".strip() for last, first in curators],
        "bases": {
            base: [{"category": categories.get(c, c), "count": n} for c, n in sorted(counts.items())]
            for base, counts in base_counts.items()
        },
        "forms": [
            {
                "name": counts.form_name,
                "mentors": counts.mentors,
                "mentees": counts.mentees,
                "mentorships": counts.mentorships,
            }
            for code, counts in sorted(forms.items(), key=lambda item: item[1].form_name)
        ],  # fmt: skip
        "trainings": [
            {"course": t["course__title"], "provider": t["course__provider"], "people": t["n"]}
            for t in trainings
        ],
        "roadmap": _roadmap_data(roadmap) if roadmap else None,
        "events": events,
        "contests": [
            {"contest": e.contest.title, "title": e.title, "result": e.get_result_display()}
            for e in contest_entries
        ],
    }


BUILDERS = {
    Kind.ROADMAP_NOTE: build_roadmap_note,
    Kind.MONITORING_REPORT: build_monitoring_report,
    Kind.ROADMAP_REPORT: build_roadmap_report,
    Kind.SCHOOL_NOTE: build_school_note,
}
