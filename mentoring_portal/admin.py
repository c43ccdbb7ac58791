"""The access log in the admin: read-only, for the portal's admins only (docs/reliability.md #60)."""

from django.contrib import admin
from django.utils import timezone

from registry import access

from .models import AccessLogEntry, ApiToken


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


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Keys of the API for other systems (docs/architecture.md §13): listed with their territory and
    expiry, revoked by an action. They are created by ``manage.py create_api_token``, which prints the
    secret once; the admin never shows it (only the hash is stored)."""

    list_display = (
        "name",
        "territory",
        "prefix",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
        "state",
    )
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "=prefix")
    fields = (
        "name",
        "territory",
        "prefix",
        "created_at",
        "created_by",
        "expires_at",
        "revoked_at",
        "last_used_at",
    )
    readonly_fields = ("territory", "prefix", "created_at", "created_by", "revoked_at", "last_used_at")
    list_select_related = ("region", "municipality")
    actions = ("revoke",)

    @admin.display(description="территория")
    def territory(self, obj):
        return obj.territory_label

    @admin.display(description="состояние")
    def state(self, obj):
        if obj.revoked_at is not None:
            return "отозван"
        return "действует" if obj.is_active() else "срок истёк"

    @admin.action(description="Отозвать выбранные ключи")
    def revoke(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"Отозвано ключей: {count}.")

    def has_view_permission(self, request, obj=None):
        return access.is_admin(request.user)

    def has_module_permission(self, request):
        return access.is_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return access.is_admin(request.user)

    def has_add_permission(self, request):
        return False  # manage.py create_api_token: the secret is printed once, never put in a page

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, not deleted: the access log names the key
