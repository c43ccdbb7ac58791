"""The Django admin of road maps and campaigns, scoped like the registry's (``ScopedAdminMixin``).

Campaigns and submissions move through their statuses only in ``monitoring.campaigns`` (which
records every transition): here their statuses, dates and values are read-only.
"""

from django.contrib import admin

from registry import access
from registry.admin import ONLY_SCOPED, AdminOnlyWriteMixin, ScopedAdmin, ScopedAdminMixin, ScopedHistoryAdmin

from .models import (
    Campaign,
    Indicator,
    MunicipalityApproval,
    Question,
    Questionnaire,
    RoadMap,
    RoadMapEvent,
    Submission,
    SubmissionEvent,
    SubmissionValue,
)


class RoadMapEventInline(ScopedAdminMixin, admin.StackedInline):
    model = RoadMapEvent
    fields = [
        ("sort_order", "number", "status"),
        "direction",
        "title",
        ("timing_text", "timing_start", "timing_end"),
        "responsible",
        ("participants", "result"),
    ]
    readonly_fields = ["timing_start", "timing_end"]
    show_change_link = True
    extra = 0


@admin.register(RoadMap)
class RoadMapAdmin(ScopedHistoryAdmin):
    list_display = ["title", "level", "region", "municipality", "organization", "period_start", "period_end"]
    list_filter = ["level", ("region", ONLY_SCOPED), ("municipality", ONLY_SCOPED)]
    search_fields = [
        "title",
        "basis_number",
        "organization__code",
        "organization__short_name",
        "municipality__name",
    ]
    list_select_related = ["region", "municipality", "organization"]
    autocomplete_fields = ["region", "municipality", "organization"]
    inlines = [RoadMapEventInline]


@admin.register(RoadMapEvent)
class RoadMapEventAdmin(ScopedHistoryAdmin):
    list_display = ["__str__", "roadmap", "direction", "timing_text", "responsible", "status"]
    list_filter = ["status", "roadmap__level", ("roadmap", ONLY_SCOPED)]
    search_fields = ["title", "number", "direction", "responsible", "roadmap__title"]
    list_select_related = ["roadmap"]
    autocomplete_fields = ["roadmap"]
    readonly_fields = ["timing_start", "timing_end"]


# ---------------------------------------------------------------- campaigns


@admin.register(Indicator)
class IndicatorAdmin(AdminOnlyWriteMixin, ScopedAdmin):
    list_display = [
        "code",
        "name",
        "unit",
        "level",
        "numerator",
        "denominator",
        "denominator_basis",
        "target_value",
        "target_source",
        "is_active",
    ]
    list_filter = ["unit", "level", "denominator_basis", "is_federal", "is_active"]
    search_fields = ["code", "name"]


CAMPAIGN_WORKFLOW_FIELDS = [
    "status",
    "created_by",
    "created_at",
    "opened_at",
    "opened_by",
    "closed_at",
    "closed_by",
    "published_at",
    "published_by",
]
# Frozen once the campaign is open: what defines the expected organizations and the figures.
CAMPAIGN_FROZEN_FIELDS = [
    "region",
    "municipality",
    "as_of_date",
    "period_start",
    "target_municipalities",
    "target_org_types",
    "indicators",
]


class MunicipalityApprovalInline(ScopedAdminMixin, admin.TabularInline):
    """A regional campaign's second level: moves only through ``monitoring.approval``, read here."""

    model = MunicipalityApproval
    fields = ["municipality", "status", "signed_at", "signed_by", "decided_at", "decided_by", "comment"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Campaign)
class CampaignAdmin(ScopedHistoryAdmin):
    list_display = ["title", "region", "municipality", "as_of_date", "deadline", "status"]
    list_filter = ["status", "method", ("region", ONLY_SCOPED), ("municipality", ONLY_SCOPED)]
    search_fields = ["title", "basis_number", "basis_title", "organizer"]
    list_select_related = ["region", "municipality"]
    autocomplete_fields = ["region", "municipality"]
    filter_horizontal = ["target_municipalities", "indicators"]
    date_hierarchy = "as_of_date"
    inlines = [MunicipalityApprovalInline]

    def get_readonly_fields(self, request, obj=None):
        frozen = CAMPAIGN_FROZEN_FIELDS if obj is not None and obj.status != Campaign.Status.DRAFT else []
        return [*CAMPAIGN_WORKFLOW_FIELDS, *frozen]


class SubmissionValueInline(ScopedAdminMixin, admin.TabularInline):
    model = SubmissionValue
    fields = ["figure", "value", "registry_value", "source", "comment", "url"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class SubmissionEventInline(ScopedAdminMixin, admin.TabularInline):
    model = SubmissionEvent
    fields = ["at", "user", "from_status", "to_status", "comment"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Submission)
class SubmissionAdmin(ScopedHistoryAdmin):
    list_display = ["organization", "campaign", "municipality", "status", "submitted_at", "on_time"]
    list_filter = ["status", "on_time", ("campaign", ONLY_SCOPED), ("municipality", ONLY_SCOPED)]
    search_fields = ["organization__code", "organization__short_name", "organization__full_name"]
    list_select_related = ["organization", "campaign", "municipality"]
    readonly_fields = [
        "status",
        "first_submitted_at",
        "submitted_at",
        "submitted_by",
        "on_time",
        "accepted_at",
        "accepted_by",
        "curator_comment",
        "coordinator_comment",
        "last_reminded_at",
    ]
    inlines = [SubmissionValueInline, SubmissionEventInline]

    def get_readonly_fields(self, request, obj=None):
        # Submissions are created when their campaign opens; only an admin may add one by hand.
        fixed = ["campaign", "organization", "municipality"] if obj is not None else []
        return [*fixed, *self.readonly_fields]

    def has_add_permission(self, request):
        return access.is_admin(request.user) and super().has_add_permission(request)


# ---------------------------------------------------------------- questionnaires of the surveys
# Rounds, links and responses are not in the admin: they move only through ``monitoring.surveys``
# (a link's token is never stored, a response must stay anonymous).


class QuestionInline(ScopedAdminMixin, admin.TabularInline):
    model = Question
    fields = ["order", "text", "kind", "choices", "required", "counts_satisfaction"]
    extra = 0


@admin.register(Questionnaire)
class QuestionnaireAdmin(ScopedHistoryAdmin):
    list_display = ["title", "audience", "anonymous", "region"]
    list_filter = ["audience", "anonymous", ("region", ONLY_SCOPED)]
    search_fields = ["title"]
    list_select_related = ["region"]
    autocomplete_fields = ["region"]
    inlines = [QuestionInline]
