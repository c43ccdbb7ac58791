"""«Организации»: the list with its filters and export, the card, and the card's own writes.

Reads go through ``access.scoped``, writes through ``access.get_writable_or_404`` (the rules of
``access.WRITE_RULES``): an organization or document outside the user's scope answers 404; a role
that only reads (coordinator, operator on the card) gets 403.
A curator writes its school's card, documents and headcount; statuses are given and ended by
the region's operator. The organization of a new record always comes from the URL.
"""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from common import tables
from common.downloads import shorten_file_name
from common.filters import int_param
from common.natural import natural
from registry import access, export_jobs, selectors
from registry import organizations as services
from registry.forms.organizations import (
    DocumentForm,
    HeadcountForm,
    OrganizationCardForm,
    OrganizationFilter,
    StatusEndForm,
    StatusForm,
)
from registry.models import (
    Headcount,
    NormativeDocument,
    Organization,
    OrganizationStatus,
    UserScope,
    school_year_of,
)

Role = UserScope.Role
EXPORT_COLUMNS = ["Код ОО", "Наименование", "Муниципалитет", "Тип ОО", "Сайт", "Этап внедрения", "ШНОР"]

GET_POST = require_http_methods(["GET", "POST"])


def _organization(request, code: str) -> Organization:
    return access.get_scoped_or_404(
        request.user, Organization.objects.select_related("municipality__region"), code=code
    )


def _writable_organization(request, code: str, action: str = access.CARD) -> Organization:
    return access.get_writable_or_404(
        request.user, Organization.objects.select_related("municipality__region"), action, code=code
    )


def _writable_document(request, pk: int) -> NormativeDocument:
    # Only a school's own documents are written here; the regional ones it reads are not its to change.
    document = access.get_scoped_or_404(
        request.user,
        NormativeDocument.objects.filter(
            level=NormativeDocument.Level.ORGANIZATION, organization__isnull=False
        ).select_related("organization__municipality__region"),
        pk=pk,
    )
    access.require_write(request.user, document)
    return document


def _add_errors(form, exc: ValidationError) -> None:
    """Put a service's errors next to the form's fields; the rest above the form."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        form.add_error(field if field in form.fields and field != NON_FIELD_ERRORS else None, errors)


def _card_url(organization: Organization, anchor: str = "") -> str:
    url = reverse("registry:organization-detail", args=[organization.code])
    return f"{url}#{anchor}" if anchor else url


# ---------------------------------------------------------------- list and export

ORGANIZATION_COLUMNS = [  # common/tables.py
    tables.Column("code", "Код ОО", ("code",)),
    tables.Column("name", "Наименование", (natural("full_name"),)),
    tables.Column("municipality", "Муниципалитет", (natural("municipality__name"),)),
    tables.Column("type", "Тип", ("org_type",)),
    tables.Column("low_results", "ШНОР", ("is_low_results",)),
    tables.Column("regulation", "Положение на сайте", ("regulation_published",)),
]


@login_required
def organization_list(request):
    today = timezone.localdate()
    organizations = services.organizations_with_flags(
        queryset=access.scoped(request.user, Organization.objects.select_related("municipality")), today=today
    ).order_by(natural("municipality__name"), natural("full_name"), "pk")
    filterset = OrganizationFilter(request.GET, organizations, user=request.user)
    if request.GET.get("format") == "xlsx":
        return _export(
            request,
            tables.sorted_queryset(request=request, queryset=filterset.qs, columns=ORGANIZATION_COLUMNS),
        )
    table = tables.sorted_page(
        request=request,
        queryset=filterset.qs,
        columns=ORGANIZATION_COLUMNS,
        page_size=50,
        list_name="registry:organization-list",
    )
    page = table.page
    context = {
        "page": page,
        "table": table,
        "filter": filterset,
        "query": request.GET.get("q", "").strip(),
        "today": today,
    }
    return render(request, "registry/organization_list.html", context)


def _export(request, organizations):
    types = dict(Organization.OrgType.choices)
    stages = dict(Organization.ModelStatus.choices)
    rows = (
        [
            code,
            full_name,
            municipality,
            types.get(org_type, org_type),
            site_url,
            stages.get(model_status, model_status),
            is_low_results,
        ]
        for code, full_name, municipality, org_type, site_url, model_status, is_low_results in (
            organizations.values_list(
                "code",
                "full_name",
                "municipality__name",
                "org_type",
                "site_url",
                "model_status",
                "is_low_results",
            ).iterator(chunk_size=2000)
        )
    )
    return export_jobs.xlsx_response(
        filename="Организации.xlsx", title="Организации", columns=EXPORT_COLUMNS, rows=rows, user=request.user
    )


# ---------------------------------------------------------------- the card


@login_required
def organization_detail(request, code):
    organization = _organization(request, code)
    today = timezone.localdate()
    context = {
        "organization": organization,
        "statuses": organization.statuses.order_by("kind", "start_date"),
        "headcounts": organization.headcounts.order_by("-school_year")[:5],
        "documents": access.scoped(
            request.user, NormativeDocument.objects.filter(organization=organization)
        ).order_by("-date", "-pk"),
        "totals": selectors.totals(scope=organization, as_of=today, active_only=True),
        "forms": sorted(
            selectors.form_counts(scope=organization, as_of=today, active_only=True).values(),
            key=lambda c: c.form_name,
        ),
        "today": today,
        "current_school_year": school_year_of(today),
        "can_edit": access.can_write(request.user, organization, access.CARD),
        "can_manage_statuses": access.can_write(request.user, organization, access.STATUS),
    }
    return render(request, "registry/organization_detail.html", context)


@login_required
@GET_POST
def organization_edit(request, code):
    organization = _writable_organization(request, code)
    form = OrganizationCardForm(request.POST or None, initial=OrganizationCardForm.initial_for(organization))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.organization_update(
                organization=organization, expected_version=data.pop("version"), **data
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, "Данные организации сохранены.")
            return redirect(_card_url(organization))
    return render(
        request, "registry/organizations/organization_form.html", {"organization": organization, "form": form}
    )


# ---------------------------------------------------------------- documents


@login_required
@GET_POST
def document_create(request, code):
    organization = _writable_organization(request, code)
    form = DocumentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("remove_file", None)
        try:
            services.document_create(organization=organization, **data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, "Документ добавлен.")
            return redirect(_card_url(organization, "documents"))
    context = {"organization": organization, "form": form, "document": None}
    return render(request, "registry/organizations/document_form.html", context)


@login_required
@GET_POST
def document_edit(request, pk):
    document = _writable_document(request, pk)
    organization = document.organization
    form = DocumentForm(request.POST or None, request.FILES or None, document=document)
    if request.method == "POST" and form.is_valid():
        try:
            services.document_update(document=document, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, "Документ сохранён.")
            return redirect(_card_url(organization, "documents"))
    context = {"organization": organization, "form": form, "document": document}
    return render(request, "registry/organizations/document_form.html", context)


@login_required
@GET_POST
def document_delete(request, pk):
    document = _writable_document(request, pk)
    organization = document.organization
    if request.method == "POST":
        services.document_delete(document=document)
        messages.success(request, "Документ удалён.")
        return redirect(_card_url(organization, "documents"))
    context = {"organization": organization, "document": document}
    return render(request, "registry/organizations/document_confirm_delete.html", context)


def download_name(document: NormativeDocument) -> str:
    """«Положение № 12-3 от 01.09.2023.pdf»: the document's own Russian name, not the uploaded one."""
    number = re.sub(r'[\\/:*?"<>|\s]+', " ", document.number).strip()
    number = f" № {number}" if number else ""
    ext = document.file.name.rsplit(".", 1)[-1].lower() if "." in document.file.name else "bin"
    label = document.get_doc_type_display()
    return f"{label[:1].upper()}{label[1:]}{number} от {document.date:%d.%m.%Y}.{ext}"


@login_required
@require_http_methods(["GET"])
def document_file(request, pk):
    # Files live outside any public URL: each download passes the same scope check as the card.
    document = access.get_scoped_or_404(request.user, NormativeDocument.objects.exclude(file=""), pk=pk)
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("Файл не найден") from exc
    response = FileResponse(handle, as_attachment=True, filename=shorten_file_name(download_name(document)))
    response["Cache-Control"] = "private, no-store"
    return response


# ---------------------------------------------------------------- headcount


@login_required
@GET_POST
def headcount_edit(request, code):
    organization = _writable_organization(request, code)
    today = timezone.localdate()
    if request.method == "POST":
        form = HeadcountForm(request.POST, today=today)
    else:
        form = HeadcountForm(
            today=today, initial=_headcount_initial(organization, request.GET.get("year"), today)
        )
    if request.method == "POST" and form.is_valid():
        try:
            headcount = services.headcount_save(organization=organization, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"Контингент на {headcount.school_year_label} учебный год сохранён.")
            return redirect(_card_url(organization, "headcount"))
    context = {"organization": organization, "form": form}
    return render(request, "registry/organizations/headcount_form.html", context)


def _headcount_initial(organization: Organization, year: str | None, today) -> dict:
    """The stored figures of the chosen year (the current one by default), to be corrected."""
    allowed = {choice for choice, _ in HeadcountForm(today=today).fields["school_year"].choices}
    school_year = int_param(year)
    if school_year not in allowed:
        school_year = school_year_of(today)
    headcount = Headcount.objects.filter(organization=organization, school_year=school_year).first()
    initial = {"school_year": school_year}
    if headcount is not None:
        for name in ("teachers", "young_specialists", "students", "students_10_plus"):
            initial[name] = getattr(headcount, name)
    return initial


# ---------------------------------------------------------------- statuses


@login_required
@GET_POST
def status_create(request, code):
    organization = _writable_organization(request, code, access.STATUS)
    form = StatusForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.status_create(organization=organization, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, "Статус добавлен.")
            return redirect(_card_url(organization, "statuses"))
    context = {"organization": organization, "form": form}
    return render(request, "registry/organizations/status_form.html", context)


@login_required
@GET_POST
def status_end(request, code, pk):
    organization = _writable_organization(request, code, access.STATUS)
    status = access.get_scoped_or_404(
        request.user, OrganizationStatus.objects.filter(organization=organization), pk=pk
    )
    form = StatusEndForm(request.POST or None, initial={"end_date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.status_end(status=status, end_date=form.cleaned_data["end_date"])
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, "Статус завершён.")
            return redirect(_card_url(organization, "statuses"))
    context = {"organization": organization, "status": status, "form": form}
    return render(request, "registry/organizations/status_end_form.html", context)


urlpatterns = [
    path("organizations/", organization_list, name="organization-list"),
    path("organizations/<str:code>/", organization_detail, name="organization-detail"),
    path("organizations/<str:code>/edit/", organization_edit, name="organization-edit"),
    path("organizations/<str:code>/documents/new/", document_create, name="document-create"),
    path("organizations/<str:code>/headcount/", headcount_edit, name="headcount-edit"),
    path("organizations/<str:code>/statuses/new/", status_create, name="status-create"),
    path("organizations/<str:code>/statuses/<int:pk>/end/", status_end, name="status-end"),
    path("documents/<int:pk>/edit/", document_edit, name="document-edit"),
    path("documents/<int:pk>/delete/", document_delete, name="document-delete"),
    path("documents/<int:pk>/file/", document_file, name="document-file"),
]
