"""The role-aware dashboard: each role sees its own territory at a glance."""

import datetime

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import render
from django.utils import timezone

from common.text import natural_key
from monitoring.selectors import open_tasks_for
from registry import access, selectors
from registry.models import (
    Mentorship,
    MentorshipLink,
    Municipality,
    Organization,
    PlanItem,
    Region,
    UserScope,
    silent_holds,
    silent_weeks_label,
)

NOT_EDUCATIONAL = [
    Organization.OrgType.METHODICAL_SERVICE,
    Organization.OrgType.AUTHORITY,
    Organization.OrgType.DPO,
    Organization.OrgType.EMPLOYER,
]


EMPTY_FIGURES = {"mentors": 0, "mentees": 0, "mentorships": 0}
EMPTY_ALERTS = {"ending_soon": 0, "overdue": 0, "no_agreement": 0, "no_result": 0, "drafts": 0, "silent": 0}


def _rows(objects, figures, alerts=None):
    alerts = alerts or {}
    return [
        {"object": obj, **figures.get(obj.pk, EMPTY_FIGURES), **alerts.get(obj.pk, EMPTY_ALERTS)}
        for obj in objects
    ]


@login_required
def dashboard(request):
    today = timezone.localdate()
    role = access.role_of(request.user)
    scope = access.user_scope(request.user)
    context = {
        "today": today,
        "role": role,
        "role_label": UserScope.Role(role).label if role else "",
        "territory": access.territory_label(request.user),
        "silent_weeks": silent_weeks_label(),
    }
    if role == UserScope.Role.CURATOR:
        context.update(_curator(scope.organization, today))
        # Monitoring campaigns waiting for this school's answer, earliest deadline first.
        context["campaign_tasks"] = list(open_tasks_for(request.user)[:10])
    elif role == UserScope.Role.COORDINATOR:
        context.update(_coordinator(scope.municipality, today))
    elif role == UserScope.Role.OPERATOR:
        context.update(_operator(scope.region, today))
    elif role == UserScope.Role.ADMIN:
        context.update(_admin(today))
    elif role == UserScope.Role.MENTOR:
        context.update(_mentor(request.user, scope, today))
    return render(request, "portal/dashboard.html", context)


def _curator(organization: Organization, today: datetime.date) -> dict:
    return {
        "organization": organization,
        "totals": selectors.totals(scope=organization, as_of=today, active_only=True),
        "forms": sorted(
            selectors.form_counts(scope=organization, as_of=today, active_only=True).values(),
            key=lambda c: c.form_name,
        ),
        "headcount": selectors.headcount_totals(scope=organization, as_of=today),
        "alerts": selectors.mentorship_alerts(scope=organization, today=today),
    }


def _coordinator(municipality: Municipality, today: datetime.date) -> dict:
    figures = selectors.totals_by(scope=municipality, as_of=today, active_only=True, group="organization")
    alerts = selectors.mentorship_alerts_by_organization(scope=municipality, today=today)
    # The municipality's educational organizations; its methodical office and authority run no pairs.
    schools = municipality.organizations.exclude(org_type__in=NOT_EDUCATIONAL).order_by("code")
    rows = _rows(schools, figures, alerts)
    return {
        "municipality": municipality,
        "totals": selectors.totals(scope=municipality, as_of=today, active_only=True),
        "alerts": selectors.mentorship_alerts(scope=municipality, today=today),
        "rows": rows,
        "lagging": sum(1 for row in rows if not row["mentorships"]),
        "row_kind": "organization",
    }


def _operator(region: Region, today: datetime.date) -> dict:
    figures = selectors.totals_by(scope=region, as_of=today, active_only=True, group="municipality")
    # Organizations with a working pair, as a subquery: no id list grows with the region.
    with_pairs = selectors.links_as_of(region, today, active_only=True).values("organization")
    educational = ~Q(organizations__org_type__in=NOT_EDUCATIONAL)
    municipalities = region.municipalities.annotate(
        n_orgs=Count("organizations", filter=educational),
        n_lagging=Count("organizations", filter=educational & ~Q(organizations__in=with_pairs)),
    ).order_by("name")
    return {
        "region": region,
        "totals": selectors.totals(scope=region, as_of=today, active_only=True),
        "alerts": selectors.mentorship_alerts(scope=region, today=today),
        # A region's municipalities (tens): in natural order, «… № 2» before «… № 10» (common/text.py).
        "rows": _rows(sorted(municipalities, key=lambda m: natural_key(m.name)), figures),
        "row_kind": "municipality",
    }


def _admin(today: datetime.date) -> dict:
    return {
        "totals": selectors.totals(scope=None, as_of=today, active_only=True),
        "regions": Region.objects.annotate(n_municipalities=Count("municipalities")).order_by("name"),
    }


def _mentor(user, scope: UserScope, today: datetime.date) -> dict:
    """A mentor's own pairs (its scope holds no other), each with its two alerts: no meeting for the
    silent-pair weeks, and the plan's tasks past their deadline. Mentees by name only."""
    overdue = Count(
        "plan__items",
        filter=Q(plan__items__status=PlanItem.Status.PLANNED, plan__items__deadline__lt=today),
    )
    pairs = list(
        access.scoped(user, Mentorship.objects.with_last_meeting())
        .exclude(status__in=[Mentorship.Status.COMPLETED, Mentorship.Status.TERMINATED])
        .select_related("mentoring_form")
        .annotate(overdue_tasks=overdue)
        .order_by("-start_date", "pk")
    )
    mentees: dict = {}
    links = MentorshipLink.objects.filter(mentorship__in=[pair.pk for pair in pairs]).select_related(
        "mentee_person", "mentee_organization"
    )
    for link in links.order_by("mentee_person__full_name", "pk"):
        mentees.setdefault(link.mentorship_id, []).append(
            link.mentee_person.full_name if link.mentee_person else str(link.mentee_organization)
        )
    for pair in pairs:
        pair.mentee_names = mentees.get(pair.pk, [])
        pair.silent = silent_holds(pair, today)
    return {
        "mentor_person": scope.person,
        "my_pairs": pairs,
        "my_alerts": {
            "silent": sum(pair.silent for pair in pairs),
            "overdue_tasks": sum(pair.overdue_tasks for pair in pairs),
        },
    }
