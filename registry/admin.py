"""The Django admin of the registry, scoped like every other screen (docs/architecture.md §7,
docs/reliability.md A8).

Every admin of a territorial model uses ``ScopedAdminMixin``: its lists, its change pages,
its inlines, its choice lists and its autocompletes all go through ``access.scoped``, and
an object outside the user's scope answers 404 rather than Django's usual redirect.
Mentorships are saved with their links kept in sync by ``services`` (see ``MentorshipAdmin``).
"""

from django import forms
from django.contrib import admin
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.http import Http404
from import_export.admin import ImportExportMixin
from import_export.formats import base_formats
from simple_history.admin import SimpleHistoryAdmin

from . import access, resources, services, users
from .models import (
    AccountEvent,
    BaseMembership,
    Contest,
    ContestEntry,
    Headcount,
    MentoringForm,
    Mentorship,
    MentorshipLink,
    MethodistRegistryEntry,
    Municipality,
    NormativeDocument,
    Organization,
    OrganizationStatus,
    Person,
    PersonalDataDestruction,
    PlanTemplate,
    PlanTemplateItem,
    PracticeBankEntry,
    Region,
    TrainingCompletion,
    TrainingCourse,
    UserScope,
)
from .workbook.admin_format import CheckedXLSX
from .workbook.safety import WorkbookRejected

admin.site.site_header = "Наставничество — администрирование"
admin.site.site_title = "Наставничество"
admin.site.index_title = "Реестр наставничества: администрирование"

NOT_FOUND = "Объект не найден"
DUPLICATE_MENTEE = "Этот наставляемый уже указан в паре."

# Sidebar filters that list related rows show only those reachable from the user's scoped
# rows (RelatedOnlyFieldListFilter), so that other territories' names never appear.
ONLY_SCOPED = RelatedOnlyFieldListFilter


# ---------------------------------------------------------------- scoping


class ScopedAdminMixin:
    """Scope a ModelAdmin or an inline to ``request.user`` through ``registry.access``."""

    # Schools type "school16.ru": read it as https://, as Django 6 will.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_queryset(self, request):
        # The changelist, change/delete pages, inlines, actions and the autocomplete
        # (``get_search_results`` receives this queryset) all start here.
        return access.scoped(request.user, super().get_queryset(request))

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            # Django would redirect to the changelist saying the object does not exist; a 404
            # does not tell another school's record apart from a missing one (docs/reliability.md A1).
            raise Http404(NOT_FOUND)
        return obj

    def _scoped_choices(self, db_field, request, kwargs):
        model = db_field.remote_field.model
        if "queryset" not in kwargs and model in access.SCOPE_PATHS:
            queryset = self.get_field_queryset(kwargs.get("using"), db_field, request)
            if queryset is None:
                queryset = model._default_manager.using(kwargs.get("using")).all()
            kwargs["queryset"] = access.scoped(request.user, queryset)
        return kwargs

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kwargs = self._scoped_choices(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs = self._scoped_choices(db_field, request, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ScopedAdmin(ScopedAdminMixin, admin.ModelAdmin):
    pass


class ScopedHistoryAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    """A scoped admin of a model with ``history``; bumps ``version`` on every change."""

    def _require_in_scope(self, request, object_id):
        # simple_history's views fetch the object unscoped (and show a deleted object's history
        # from its last historical row); only admins may see what the scope does not reach.
        if not access.is_admin(request.user):
            self.get_object(request, unquote(object_id))

    def history_view(self, request, object_id, extra_context=None):
        self._require_in_scope(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._require_in_scope(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def save_model(self, request, obj, form, change):
        if change and hasattr(obj, "version"):
            # Screens that save with "WHERE version = ?" then see that the admin changed the row.
            obj.version += 1
        super().save_model(request, obj, form, change)


class AdminOnlyWriteMixin:
    """Rows without a territory (regions, the vocabulary of forms): only admins add or change them."""

    def has_add_permission(self, request, *args):
        return access.is_admin(request.user) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return access.is_admin(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return access.is_admin(request.user) and super().has_delete_permission(request, obj)


class WorkbookAdminMixin(ImportExportMixin):
    """django-import-export in the admin, with the workbook's headers, for admins only.

    Imports there cannot be scoped row by row (docs/reliability.md #9), so curators, coordinators and
    operators with staff status get neither button; whole workbooks go through «Импорт и экспорт».
    """

    # The .xlsx goes through the portal's pre-check and is read by its own cells, not its declared size.
    import_formats = [CheckedXLSX if f is base_formats.XLSX else f for f in base_formats.DEFAULT_FORMATS]

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, WorkbookRejected):
            form.add_error("import_file", e.message)
        else:
            super().add_data_read_fail_error_to_form(form, e)

    def has_import_permission(self, request):
        return access.is_admin(request.user)

    def has_export_permission(self, request):
        return access.is_admin(request.user)


class AdminOnlyMixin(AdminOnlyWriteMixin):
    """Users and their scopes are not territorial rows: admins manage them, nobody else sees them."""

    def has_view_permission(self, request, obj=None):
        return access.is_admin(request.user) and super().has_view_permission(request, obj)

    def has_module_permission(self, request):
        return access.is_admin(request.user) and super().has_module_permission(request)


# ---------------------------------------------------------------- territory


@admin.register(Region)
class RegionAdmin(AdminOnlyWriteMixin, ScopedAdmin):
    list_display = ["name", "code", "education_authority"]
    search_fields = ["name", "code"]


@admin.register(Municipality)
class MunicipalityAdmin(ScopedAdmin):
    list_display = ["name", "code", "region", "education_authority", "methodical_service"]
    list_filter = [("region", ONLY_SCOPED)]
    search_fields = ["name", "code"]
    list_select_related = ["region"]
    autocomplete_fields = ["region"]


class OrganizationStatusInline(ScopedAdminMixin, admin.TabularInline):
    model = OrganizationStatus
    extra = 0
    fields = ["kind", "start_date", "end_date", "basis"]


class HeadcountInline(ScopedAdminMixin, admin.TabularInline):
    model = Headcount
    extra = 0
    fields = ["school_year", "teachers", "young_specialists", "students", "students_10_plus"]


@admin.register(Organization)
class OrganizationAdmin(WorkbookAdminMixin, ScopedHistoryAdmin):
    resource_classes = [resources.OrganizationResource]
    list_display = ["code", "full_name", "short_name", "municipality", "org_type", "model_status"]
    list_display_links = ["code", "full_name"]
    list_filter = ["org_type", "model_status", ("municipality", ONLY_SCOPED)]
    search_fields = ["code", "full_name", "short_name"]
    list_select_related = ["municipality"]
    autocomplete_fields = ["municipality"]
    readonly_fields = ["version"]
    inlines = [OrganizationStatusInline, HeadcountInline]


@admin.register(Headcount)
class HeadcountAdmin(WorkbookAdminMixin, ScopedHistoryAdmin):
    resource_classes = [resources.HeadcountResource]
    list_display = [
        "organization",
        "school_year_label",
        "teachers",
        "young_specialists",
        "students",
        "students_10_plus",
    ]
    list_filter = ["school_year", ("organization__municipality", ONLY_SCOPED)]
    search_fields = ["organization__code", "organization__full_name", "organization__short_name"]
    list_select_related = ["organization"]
    autocomplete_fields = ["organization"]

    @admin.display(description="учебный год", ordering="school_year")
    def school_year_label(self, obj):
        return obj.school_year_label


# ---------------------------------------------------------------- people and bases


PERSONAL_DATA_FIELDS = ["birth_date", "email", "phone", "consent_giver"]


@admin.register(Person)
class PersonAdmin(WorkbookAdminMixin, ScopedHistoryAdmin):
    resource_classes = [resources.PersonResource]
    # No birth date or contacts in the list: above the school people appear as names (docs/architecture.md
    # §7).
    list_display = ["full_name", "category", "organization", "position", "subject", "grade"]
    list_filter = ["category", ("organization__municipality", ONLY_SCOPED)]
    search_fields = ["full_name", "organization__code", "organization__short_name", "organization__full_name"]
    list_select_related = ["organization"]
    autocomplete_fields = ["organization"]
    readonly_fields = ["version", "created_at", "updated_at"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "organization",
                    "full_name",
                    "birth_date",
                    "category",
                    "position",
                    "subject",
                    "grade",
                    "teaching_experience",
                    "email",
                    "phone",
                ]
            },
        ),
        (
            "Согласие на обработку персональных данных",
            {"fields": ["consent_date", "consent_giver", "consent_text_version"]},
        ),
        (None, {"fields": ["version", "created_at", "updated_at"]}),
    ]

    def get_fieldsets(self, request, obj=None):
        # Fields excluded below (no personal data for this user) leave the fieldsets too.
        excluded = set(self.get_exclude(request, obj) or [])
        return [
            (title, {**options, "fields": [f for f in options["fields"] if f not in excluded]})
            for title, options in self.fieldsets
        ]

    def get_exclude(self, request, obj=None):
        # Birth date and contacts only for the curator of the person's own school and admins
        # (docs/architecture.md §7), in the admin as on the card (registry.people.can_see_personal_data).
        from registry import people

        excluded = list(super().get_exclude(request, obj) or [])
        if obj is not None and not people.can_see_personal_data(user=request.user, person=obj):
            excluded += PERSONAL_DATA_FIELDS
        return excluded

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and {"category", "teaching_experience", "birth_date"} & set(form.changed_data):
            # The links carry copies of these for the counting selectors.
            services.person_sync_links(person=obj)


@admin.register(BaseMembership)
class BaseMembershipAdmin(ScopedHistoryAdmin):
    list_display = ["person", "organization", "base", "trained_as_mentor", "included_on", "archived_on"]
    list_filter = ["base", "trained_as_mentor", ("organization__municipality", ONLY_SCOPED)]
    search_fields = ["person__full_name", "organization__code", "organization__short_name"]
    list_select_related = ["person", "organization"]
    autocomplete_fields = ["organization", "person"]
    date_hierarchy = "included_on"


# ---------------------------------------------------------------- forms of mentoring and mentorships


@admin.register(MentoringForm)
class MentoringFormAdmin(AdminOnlyWriteMixin, ScopedAdmin):
    list_display = ["name", "code", "system", "is_federal", "is_active", "sort_order"]
    list_filter = ["system", "is_federal", "is_active"]
    search_fields = ["name", "code"]


def check_mentee_forms(mentorship: Mentorship, forms_: list) -> list:
    """Check each inline form's mentee with the services' rules; errors go next to the field.

    Returns the mentees of the forms that passed; raises the formset's error «укажите хотя
    бы одного наставляемого» when no form names one.
    """
    mentees, seen = [], set()
    for form in forms_:
        data = getattr(form, "cleaned_data", None) or {}
        field = "mentee_person" if data.get("mentee_person") else "mentee_organization"
        mentee = data.get(field)
        if mentee is None:
            continue
        key = (type(mentee), mentee.pk)
        if key in seen:
            form.add_error(field, DUPLICATE_MENTEE)
            continue
        seen.add(key)
        if mentorship.mentoring_form_id:
            try:
                services.mentorship_check_mentees(mentorship=mentorship, mentees=[mentee])
            except ValidationError as exc:
                form.add_error(field, exc.message_dict["mentees"])
                continue
        mentees.append(mentee)
    if not seen and not any(form.errors for form in forms_):
        raise ValidationError(services.MENTEE_REQUIRED)
    return mentees


class MentorshipLinkFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        # The parent form has already been validated: ``self.instance`` holds its form of
        # mentoring, mentor and status, so the rules see the pair as it is about to be saved.
        kept = [form for form in self.forms if not (self.can_delete and self._should_delete_form(form))]
        mentees = check_mentee_forms(self.instance, kept)
        if mentees and self.instance.mentoring_form_id:
            services.mentorship_check_no_duplicate_active(mentorship=self.instance, mentees=mentees)


class MentorshipLinkInline(ScopedAdminMixin, admin.TabularInline):
    model = MentorshipLink
    formset = MentorshipLinkFormSet
    fields = ["mentee_person", "mentee_organization"]  # the rest are copies of the pair
    autocomplete_fields = ["mentee_person", "mentee_organization"]
    extra = 1


class MentorshipAdminForm(forms.ModelForm):
    # No Meta: ModelAdmin.get_form builds it from the admin's fields.

    def clean(self):
        cleaned = super().clean()
        status = cleaned.get("status")
        old = self.instance.status  # _post_clean has not copied the form onto the instance yet
        if not self.instance._state.adding and status and status != old:
            # The card's and the workbook's check (docs/domain.md §4), asked of the stored status.
            try:
                services.mentorship_check_transition(mentorship=Mentorship(status=old), status=status)
            except ValidationError as error:
                self.add_error("status", error.messages)
        return cleaned


class MentorshipChangeList(ChangeList):
    # Prefetch the mentees for the list only: a change form's instance must read its links
    # fresh, or syncing them after the inline is saved would use a stale cache.
    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        return queryset.prefetch_related("links__mentee_person", "links__mentee_organization")


@admin.register(Mentorship)
class MentorshipAdmin(ScopedHistoryAdmin):
    form = MentorshipAdminForm
    list_display = [
        "__str__",
        "organization",
        "mentoring_form",
        "mentees",
        "status",
        "start_date",
        "end_date",
    ]
    list_filter = ["status", "mentoring_form", "mode", ("organization__municipality", ONLY_SCOPED)]
    search_fields = [
        "mentor_person__full_name",
        "mentor_organization__short_name",
        "links__mentee_person__full_name",
        "links__mentee_organization__short_name",
        "organization__code",
        "organization__short_name",
    ]
    list_select_related = ["organization", "mentoring_form", "mentor_person", "mentor_organization"]
    autocomplete_fields = ["organization", "mentor_person", "mentor_organization"]
    readonly_fields = ["version", "created_at", "updated_at"]
    date_hierarchy = "start_date"
    inlines = [MentorshipLinkInline]

    def get_changelist(self, request, **kwargs):
        return MentorshipChangeList

    @admin.display(description="наставляемые")
    def mentees(self, obj):
        return ", ".join(str(link) for link in obj.links.all())

    def save_formset(self, request, form, formset, change):
        if formset.model is not MentorshipLink:
            return super().save_formset(request, form, formset, change)
        links = formset.save(commit=False)
        for link in formset.deleted_objects:
            link.delete()
        copied = services.mentorship_link_fields(mentorship=form.instance)
        for link in links:
            for name, value in copied.items():
                setattr(link, name, value)
            link.save()
        formset.save_m2m()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Links kept from before still carry the old mentor, status and dates.
        services.mentorship_sync_links(mentorship=form.instance)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # Reverting saves the pair alone: its links would go out of sync and the mentee rules
        # would not run. Old versions can be read, not restored.
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def revert_disabled(self, request, obj=None):
        return True


# ---------------------------------------------------------------- documents, courses, contests, practices


@admin.register(NormativeDocument)
class NormativeDocumentAdmin(ScopedAdmin):
    list_display = [
        "title",
        "doc_type",
        "level",
        "number",
        "date",
        "issuer",
        "organization",
        "published_on_site",
    ]
    list_filter = ["level", "doc_type", "published_on_site", ("municipality", ONLY_SCOPED)]
    search_fields = ["title", "number", "issuer", "organization__short_name"]
    list_select_related = ["organization"]
    autocomplete_fields = ["region", "municipality", "organization"]
    date_hierarchy = "date"


class TrainingCompletionInline(ScopedAdminMixin, admin.TabularInline):
    model = TrainingCompletion
    fields = ["person", "completed_on", "certificate_number"]
    autocomplete_fields = ["person"]
    extra = 0


@admin.register(TrainingCourse)
class TrainingCourseAdmin(ScopedAdmin):
    list_display = [
        "title",
        "provider",
        "hours",
        "start_date",
        "end_date",
        "reported_trained_count",
        "region",
    ]
    list_filter = [("region", ONLY_SCOPED)]
    search_fields = ["title", "provider", "audience"]
    list_select_related = ["region"]
    autocomplete_fields = ["region"]
    date_hierarchy = "start_date"
    inlines = [TrainingCompletionInline]


class ContestEntryInline(ScopedAdminMixin, admin.TabularInline):
    model = ContestEntry
    fields = ["organization", "mentorship", "title", "nomination", "result"]
    autocomplete_fields = ["organization", "mentorship"]
    extra = 0


@admin.register(Contest)
class ContestAdmin(ScopedAdmin):
    list_display = ["title", "level", "start_date", "end_date", "region"]
    list_filter = ["level", ("region", ONLY_SCOPED)]
    search_fields = ["title", "nominations"]
    list_select_related = ["region"]
    autocomplete_fields = ["region"]
    date_hierarchy = "start_date"
    inlines = [ContestEntryInline]


@admin.register(PracticeBankEntry)
class PracticeBankEntryAdmin(ScopedAdmin):
    list_display = ["title", "organization", "mentoring_form", "status", "submitted_on", "submitted_by"]
    list_filter = ["status", "mentoring_form", ("organization__municipality", ONLY_SCOPED)]
    search_fields = ["title", "description", "organization__code", "organization__short_name"]
    list_select_related = ["organization", "mentoring_form", "submitted_by"]
    autocomplete_fields = ["region", "organization", "mentorship"]
    date_hierarchy = "submitted_on"

    def get_readonly_fields(self, request, obj=None):
        # Users are not territorial rows: only an admin may pick who submitted a practice.
        fields = list(super().get_readonly_fields(request, obj))
        return fields if access.is_admin(request.user) else [*fields, "submitted_by"]

    def save_model(self, request, obj, form, change):
        if not change and obj.submitted_by_id is None:
            obj.submitted_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(MethodistRegistryEntry)
class MethodistRegistryEntryAdmin(ScopedAdmin):
    list_display = ["person", "status", "specialization", "contract_start", "contract_end", "region"]
    list_filter = ["status", ("region", ONLY_SCOPED)]
    search_fields = ["person__full_name", "specialization"]
    list_select_related = ["person", "region"]
    autocomplete_fields = ["region", "person"]


class PlanTemplateItemInline(ScopedAdminMixin, admin.TabularInline):
    model = PlanTemplateItem
    fields = ["task", "expected_result", "deadline_days"]
    extra = 1


@admin.register(PlanTemplate)
class PlanTemplateAdmin(ScopedAdmin):
    """The region's plan templates (docs/domain.md §4.1): the operator of the region keeps them."""

    list_display = ["title", "mentoring_form", "region", "tasks"]
    list_filter = ["mentoring_form", ("region", ONLY_SCOPED)]
    search_fields = ["title"]
    list_select_related = ["mentoring_form", "region"]
    autocomplete_fields = ["region"]
    inlines = [PlanTemplateItemInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(task_count=models.Count("items"))

    @admin.display(description="задач", ordering="task_count")
    def tasks(self, obj):
        return obj.task_count


# ---------------------------------------------------------------- users and their scopes


# ---------------------------------------------------------------- personal data


class ReadOnlyLogMixin:
    """A log written by the portal's services only: every field read only, nothing added, changed or
    deleted here (the destruction log, the accounts' history)."""

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PersonalDataDestruction)
class PersonalDataDestructionAdmin(ReadOnlyLogMixin, AdminOnlyMixin, admin.ModelAdmin):
    """The event log of destroyed personal data (RKN order 179): admins read it, nobody edits it;
    records are written by ``registry.privacy.destroy_personal_data`` only."""

    list_display = [
        "destroyed_at",
        "act_number",
        "act_date",
        "reason",
        "organization",
        "person_id",
        "destroyed_by",
    ]
    list_filter = ["reason", "act_date"]
    search_fields = ["act_number", "person__id"]
    list_select_related = ["organization", "destroyed_by"]
    date_hierarchy = "destroyed_at"


class AccountHistoryMixin:
    """A change of an account's role, territory or activity made here is written to its history
    (``AccountEvent``, shown on the portal's «Пользователи» page) as the portal's own screen writes it."""

    account_user_field = "pk"

    def save_model(self, request, obj, form, change):
        user_id = getattr(obj, self.account_user_field)
        request._account_before = users.user_snapshot(user_id=user_id) if change and user_id else None
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change:
            users.user_change_record(
                user_id=getattr(form.instance, self.account_user_field),
                by=request.user,
                before=getattr(request, "_account_before", None),
            )


@admin.register(UserScope)
class UserScopeAdmin(AccountHistoryMixin, AdminOnlyMixin, admin.ModelAdmin):
    account_user_field = "user_id"
    list_display = ["user", "role", "organization", "municipality", "region", "person"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__last_name", "organization__short_name", "municipality__name"]
    list_select_related = ["user", "organization", "municipality", "region", "person"]
    autocomplete_fields = ["user", "organization", "municipality", "region"]
    raw_id_fields = ["person"]  # a mentor's own account (usually made by the curator's invitation)
    readonly_fields = ["deactivated_at"]  # set by turning the account off on «Пользователи»


@admin.register(AccountEvent)
class AccountEventAdmin(ReadOnlyLogMixin, AdminOnlyMixin, admin.ModelAdmin):
    """The accounts' history: read only, as the portal's «Пользователи» page shows it."""

    list_display = ["at", "username", "action", "details", "actor_name"]
    list_filter = ["action"]
    search_fields = ["username", "actor_name"]
    date_hierarchy = "at"


class UserScopeInline(admin.StackedInline):
    model = UserScope
    fields = ["role", "organization", "municipality", "region", "person"]
    autocomplete_fields = ["organization", "municipality", "region"]
    raw_id_fields = ["person"]
    can_delete = True
    max_num = 1
    extra = 1


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class UserAdmin(AccountHistoryMixin, AdminOnlyMixin, DjangoUserAdmin):
    """Django's user admin with the user's role and territory on the same page."""

    inlines = [UserScopeInline]
    list_display = ["username", "last_name", "first_name", "role", "territory", "is_staff", "is_active"]
    list_filter = ["scope__role", "is_staff", "is_superuser", "is_active"]
    list_select_related = ["scope__organization", "scope__municipality", "scope__region", "scope__person"]

    @admin.display(description="роль", ordering="scope__role")
    def role(self, obj):
        scope = getattr(obj, "scope", None)
        return scope.get_role_display() if scope else "—"

    @admin.display(description="территория")
    def territory(self, obj):
        scope = getattr(obj, "scope", None)
        if scope is None:
            return "—"
        return scope.organization or scope.municipality or scope.region or scope.person or "все"
