"""«Импорт и экспорт»: the regional workbook (docs/workbook.md §2) in and out.

- Everyone signed in downloads the blank template.
- Export: an admin exports the whole registry or a municipality / organization of it; a
  curator its own school. Coordinators and operators do not: the workbook names pupils
  with their birth dates, and above the school pupils appear only as counts (docs/architecture.md §7).
- Import: admins only. Upload → dry run (every error located) → confirm → import, inline for
  small files, in the task worker with a progress bar for large ones.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST

from common.downloads import attachment
from common.uploads import DiskFull
from registry import access, export_jobs, imports, jobs
from registry.exports import XLSX
from registry.models import ImportJob, Mentorship, Municipality, Organization, Person

RECENT_JOBS = 20


class UploadForm(forms.Form):
    file = forms.FileField(label="Книга Excel (.xlsx)")


class ExportForm(forms.Form):
    municipality = forms.ModelChoiceField(
        Municipality.objects.none(),
        label="Муниципалитет",
        required=False,
        empty_label="все",
        to_field_name="code",
    )
    organization = forms.CharField(label="Код ОО", required=False, max_length=20)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["municipality"].queryset = access.scoped(user, Municipality.objects.order_by("name"))

    def clean_organization(self):
        code = self.cleaned_data["organization"].strip()
        if code and not access.scoped(self.user, Organization.objects.filter(code=code)).exists():
            raise forms.ValidationError(f"Организация с кодом «{code}» не найдена.")
        return code


def _can_export(user) -> bool:
    """The workbook names people with their personal data: a curator (its school), an admin (any)."""
    return access.can_write(user, Organization, access.WORKBOOK)


def _require_importer(user) -> None:
    """403 unless the user may import a workbook (the admin): access.WRITE_RULES."""
    access.require_write(user, ImportJob, access.IMPORT)


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = attachment(filename)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def workbook_page(request):
    user = request.user
    is_admin = access.is_admin(user)  # chooses the export's territory
    can_import = access.can_write(user, ImportJob, access.IMPORT)
    upload_form = UploadForm()
    upload_error = ""
    status = 200
    if request.method == "POST":
        _require_importer(user)
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        limit = request_limit()
        if length > limit:
            # Refused before the body is read: the upload never reaches the disk.
            upload_error = imports.too_large_message()
            status = 413
        else:
            upload_form = UploadForm(request.POST, request.FILES)
            if upload_form.is_valid():
                try:
                    job = imports.create_job(upload=upload_form.cleaned_data["file"], user=user)
                except DiskFull as full:
                    # Nothing stored, no job recorded: the admin uploads again once there is room.
                    upload_error = full.message
                    status = 507
                else:
                    if job.status != ImportJob.Status.REJECTED:
                        imports.start(job=job, commit=False)
                    return redirect("registry:import-job", job.pk)
            else:
                status = 400
    jobs = []
    if can_import:
        imports.reap_stale_jobs()
        jobs = ImportJob.objects.select_related("created_by")[:RECENT_JOBS]
    return render(
        request,
        "registry/workbook/page.html",
        {
            "can_import": can_import,
            "can_export": _can_export(user),
            "upload_form": upload_form,
            "upload_error": upload_error,
            "export_form": ExportForm(user=user) if is_admin else None,
            "jobs": jobs,
            "max_upload": imports.size_label(size=settings.IMPORT_MAX_UPLOAD_BYTES),
        },
        status=status,
    )


def request_limit() -> int:
    # The file plus the form's other fields and multipart boundaries.
    return settings.IMPORT_MAX_UPLOAD_BYTES + 64 * 1024


@login_required
def template_download(request):
    from registry.workbook.export import blank_template

    return _xlsx(blank_template(), "Шаблон книги реестра наставничества.xlsx")


@login_required
def export_download(request):
    from registry.workbook.export import export_workbook

    user = request.user
    access.require_write(user, Organization, access.WORKBOOK)
    organizations = access.scoped(user, Organization.objects.all())
    label = "все организации"
    region_wide = False
    if access.is_admin(user):
        form = ExportForm(request.GET, user=user)
        if not form.is_valid():
            messages.error(request, "; ".join(e for errors in form.errors.values() for e in errors))
            return redirect("registry:workbook")
        if form.cleaned_data["municipality"]:
            organizations = organizations.filter(municipality=form.cleaned_data["municipality"])
            label = form.cleaned_data["municipality"].name
        if form.cleaned_data["organization"]:
            organizations = organizations.filter(code=form.cleaned_data["organization"])
            label = form.cleaned_data["organization"]
        region_wide = label == "все организации"
    else:
        label = access.territory_label(user)
    # A large book is written by the task worker: its page answers now, the download appears there.
    rows = Person.objects.filter(organization__in=organizations).count()
    rows += Mentorship.objects.filter(organization__in=organizations).count()
    queued = export_jobs.queue_if_too_long(
        request=request, rows=rows, title=f"Реестр наставничества — {label}"
    )
    if queued is not None:
        return queued
    content = export_workbook(organizations, user=user, region_wide=region_wide)
    stamp = timezone.localtime().strftime("%d.%m.%Y")
    return _xlsx(content, f"Реестр наставничества — {label} — {stamp}.xlsx")


def _job_or_404(request, pk) -> ImportJob:
    """The job for an admin, its state current: a job whose worker died is shown as interrupted."""
    _require_importer(request.user)
    job = get_object_or_404(ImportJob.objects.select_related("created_by"), pk=pk)
    return jobs.refreshed(job)


@login_required
def import_job(request, pk):
    job = _job_or_404(request, pk)
    report = imports.job_report(job=job)
    return render(
        request,
        "registry/workbook/job.html",
        {"job": job, "report": report, "committed": bool(job.commit_requested and job.report)},
    )


@login_required
def import_job_status(request, pk):
    job = _job_or_404(request, pk)
    payload = {**job.status_payload(), "done": job.progress_done, "total": job.progress_total}
    return JsonResponse(payload, headers={"Cache-Control": "no-store"})


@login_required
@require_POST
def import_job_confirm(request, pk):
    job = _job_or_404(request, pk)
    error = imports.confirm(job=job)
    if error:
        messages.error(request, error)
    return redirect("registry:import-job", job.pk)


@login_required
@require_POST
def import_job_retry(request, pk):
    job = _job_or_404(request, pk)
    if job.status not in (ImportJob.Status.INTERRUPTED, ImportJob.Status.FAILED) or not job.file:
        messages.error(request, "Повторить можно прерванную загрузку, пока её файл хранится.")
    else:
        imports.start(job=job, commit=job.commit_requested)
    return redirect("registry:import-job", job.pk)


urlpatterns = [
    path("workbook/", workbook_page, name="workbook"),
    path("workbook/template.xlsx", template_download, name="workbook-template"),
    path("workbook/export.xlsx", export_download, name="workbook-export"),
    path("workbook/imports/<uuid:pk>/", import_job, name="import-job"),
    path("workbook/imports/<uuid:pk>/status/", import_job_status, name="import-job-status"),
    path("workbook/imports/<uuid:pk>/confirm/", import_job_confirm, name="import-job-confirm"),
    path("workbook/imports/<uuid:pk>/retry/", import_job_retry, name="import-job-retry"),
]
