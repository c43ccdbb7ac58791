"""The Django admin of road maps, scoped like the registry's (``registry.admin.ScopedAdminMixin``)."""

from django.contrib import admin

from registry.admin import ONLY_SCOPED, ScopedAdminMixin, ScopedHistoryAdmin

from .models import RoadMap, RoadMapEvent


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
