"""The role-aware dashboard: each role sees its own territory at a glance."""

import datetime

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import render
from django.utils import timezone

from monitoring.selectors import open_tasks_for
from registry import access
from registry.models import (
    Mentorship,
    MentorshipLink,
    PlanItem,
    UserScope,
    silent_holds,
    silent_weeks_label,
)

from . import dashboards


@login_required
def dashboard(request):
    """Each role's dashboard (docs/architecture.md §12): its territory as of ``?as_of=``, narrowed by
    ``?region=``, ``?municipality=``, ``?organization=`` within its scope, rows sorted by ``?o=``."""
    today = timezone.localdate()
    role = access.role_of(request.user)
    scope = access.user_scope(request.user)
    as_of, date_error = dashboards.parse_as_of(request.GET.get("as_of", ""), today)
    context = {
        "today": today,
        "role": role,
        "role_label": UserScope.Role(role).label if role else "",
        "territory_label": access.territory_label(request.user),
        "silent_weeks": silent_weeks_label(),
        "date_error": date_error,
    }
    if role == UserScope.Role.MENTOR:
        context.update(_mentor(request.user, scope, today))
    else:
        territory = dashboards.territory_for(request.user, request.GET)
        if territory is not None:
            context.update(
                dashboards.build(
                    user=request.user,
                    territory=territory,
                    as_of=as_of,
                    today=today,
                    order=request.GET.get("o", ""),
                )
            )
    if role == UserScope.Role.CURATOR:
        # Monitoring campaigns waiting for this school's answer, earliest deadline first; a returned
        # submission with the coordinator's comment.
        context["campaign_tasks"] = list(open_tasks_for(request.user)[:10])
    return render(request, "portal/dashboard.html", context)


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
