"""The access log in the admin: read-only, for the portal's admins only (docs/reliability.md #60)."""

from django.contrib import admin

from registry import access

from .models import AccessLogEntry


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(admin.ModelAdmin):
    list_display = (
        "timestamp",
        "action",
        "username",
        "role",
        "object_type",
        "object_id",
        "url_name",
        "method",
        "status",
        "ip",
        "request_id",
    )
    list_filter = ("action", "role", ("timestamp", admin.DateFieldListFilter), "user")
    search_fields = ("=object_id", "url_name", "=request_id", "username")
    date_hierarchy = "timestamp"
    list_select_related = False
    show_full_result_count = False  # COUNT(*) of a large log on every page is not worth it
    list_per_page = 100
    readonly_fields = [field.name for field in AccessLogEntry._meta.fields]

    def has_view_permission(self, request, obj=None):
        return access.is_admin(request.user)

    def has_module_permission(self, request):
        return access.is_admin(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
