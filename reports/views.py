"""«Отчёты»: the reports of the user's territory, one report with its preview, narrative, files and
published versions, and the file downloads.

Who reads: whoever's scope holds the report's territory (``registry.access``); out of scope → 404.
Who writes (creates, edits the narrative, publishes): the operator (region), coordinators (their
municipality and its schools), admins; a curator prepares its own school's note but does not publish
(``access.can_write`` with the rules of ``reports.rights``).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Max
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from registry import access
from registry.models import UserScope

from . import agreement, rights, services
from . import render as rendering
from .forms import KindForm, NarrativeForm, NewReportForm, chosen_kind, kind_choices
from .models import Format, Report, ReportFile, ReportVersion
from .pdf import content_disposition

Role = UserScope.Role
PAGE_SIZE = 50


def _reports(user):
    return access.scoped(
        user,
        Report.objects.select_related("region", "municipality", "organization", "campaign", "roadmap"),
    )


def _report(request, pk) -> Report:
    return access.get_scoped_or_404(
        request.user,
        Report.objects.select_related("region", "municipality", "organization", "campaign", "roadmap"),
        pk=pk,
    )


@login_required
def report_list(request):
    user = request.user
    if access.role_of(user) is None:
        raise PermissionDenied("Отчёты доступны пользователям с территорией.")
    # A new report in two steps, both on this page: its kind (a GET form), then that kind's fields.
    kind = chosen_kind(
        user, request.POST.get("kind") if request.method == "POST" else request.GET.get("kind")
    )
    form = NewReportForm(request.POST or None, user=user, kind=kind) if kind else None
    kind_form = KindForm(initial={"kind": kind}, choices=kind_choices(user))
    if request.method == "POST":
        if form is None:
            messages.error(request, "Выберите вид отчёта.")
            return redirect("reports:list")
        if form.is_valid():
            if not access.can_write(user, form.report, rights.EDIT):
                raise PermissionDenied("Этот вид отчёта вам недоступен.")
            report = services.report_create(report=form.report, user=user)
            messages.success(
                request, "Отчёт создан: выводы и рекомендации составлены по цифрам, отредактируйте их."
            )
            return redirect("reports:detail", report.pk)
    reports = (
        _reports(user)
        .annotate(n_versions=Count("versions"), last_published=Max("versions__published_at"))
        .order_by("-updated_at", "-pk")
    )
    page = Paginator(reports, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "reports/report_list.html",
        {
            "form": form,
            "kind_form": kind_form,
            "page": page,
            "reports": page.object_list,
            "territory": access.territory_label(user),
        },
    )


@login_required
def report_detail(request, pk):
    report = _report(request, pk)
    can_edit = access.can_write(request.user, report, rights.EDIT)
    form = NarrativeForm(request.POST or None, instance=report)
    if request.method == "POST":
        access.require_write(request.user, report, rights.EDIT)
        if form.is_valid():
            values = {name: form.cleaned_data[name] for name in services.NARRATIVE_FIELDS}
            try:
                services.report_save_text(
                    report=report, expected_version=form.cleaned_data["version"], **values
                )
            except services.StaleText as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Текст отчёта сохранён.")
                if "publish" in request.POST and access.can_write(request.user, report, rights.PUBLISH):
                    # «Сохранить и опубликовать…»: the typed text is saved first, then confirmed.
                    return redirect("reports:publish", report.pk)
                return redirect("reports:detail", report.pk)
    document = services.report_document(
        report=report if not form.is_bound else Report.objects.get(pk=report.pk)
    )
    versions = report.versions.select_related("published_by").order_by("-number")
    return render(
        request,
        "reports/report_detail.html",
        {
            "report": report,
            "form": form,
            "can_edit": can_edit,
            "can_publish": access.can_write(request.user, report, rights.PUBLISH),
            "preview": rendering.blocks_html(document),
            "rows": services.documents.table_rows(document),
            "versions": versions,
            "formats": Format.choices,
            "report_runs_inline": services.report_runs_inline(report=report, document=document),
        },
    )


@login_required
@require_POST
def report_redraft(request, pk):
    report = _report(request, pk)
    access.require_write(request.user, report, rights.EDIT)
    services.report_redraft(report=report)
    messages.success(request, "Выводы и рекомендации составлены заново по сегодняшним цифрам.")
    return redirect("reports:detail", report.pk)


@login_required
@require_http_methods(["GET", "POST"])
def report_publish(request, pk):
    """GET: «Опубликовать отчёт?» with what publishing freezes; POST publishes. The narrative's own
    «Сохранить и опубликовать…» saves the typed text before coming here, so nothing typed is lost."""
    report = _report(request, pk)
    access.require_write(request.user, report, rights.PUBLISH)
    if request.method == "GET":
        number = (report.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        return render(request, "reports/report_publish.html", {"report": report, "number": number})
    try:
        version = services.report_publish(report=report, user=request.user)
    except services.TooLarge as exc:
        messages.error(request, str(exc))
        return redirect("reports:detail", report.pk)
    messages.success(request, f"Опубликована версия {version.number}: её данные и текст больше не изменятся.")
    return redirect("reports:version", report.pk, version.number)


@login_required
def report_version(request, pk, number):
    report = _report(request, pk)
    version = _version(report, number)
    return render(
        request,
        "reports/version_detail.html",
        {
            "report": report,
            "version": version,
            "preview": rendering.blocks_html(version.document),
            "formats": Format.choices,
        },
    )


def _version(report: Report, number) -> ReportVersion:
    version = report.versions.select_related("published_by").filter(number=number).first()
    if version is None:
        raise Http404("Версия не найдена")
    return version


def _too_many(request, report: Report, exc: services.TooManyRenders, back: str):
    """429 with the Russian reason and when to try again; nothing was rendered or queued."""
    response = render(
        request,
        "reports/too_many_renders.html",
        {"report": report, "message": str(exc), "back": back},
        status=429,
    )
    response["Retry-After"] = str(exc.retry_after)
    response["Cache-Control"] = "no-store"
    return response


def _file_response(request, job: ReportFile):
    if job.status == ReportFile.Status.DONE:
        return redirect("reports:file-download", job.pk)
    if job.status == ReportFile.Status.FAILED:
        messages.error(request, job.error)
        return redirect("reports:detail", job.report_id)
    return redirect("reports:file", job.pk)


@login_required
@require_POST
def report_file(request, pk, fmt):
    report = _report(request, pk)
    if fmt not in Format.values:
        raise Http404("Неизвестный формат")
    try:
        job = services.report_file_request(report=report, fmt=fmt, user=request.user)
    except services.TooLarge as exc:
        messages.error(request, str(exc))
        return redirect("reports:detail", report.pk)
    except services.TooManyRenders as exc:
        return _too_many(request, report, exc, reverse("reports:detail", args=[report.pk]))
    return _file_response(request, job)


@login_required
@require_POST
def version_file(request, pk, number, fmt):
    report = _report(request, pk)
    version = _version(report, number)
    if fmt not in Format.values:
        raise Http404("Неизвестный формат")
    try:
        job = services.report_file_request(report=report, fmt=fmt, user=request.user, version=version)
    except services.TooLarge as exc:
        messages.error(request, str(exc))
        return redirect("reports:version", report.pk, version.number)
    except services.TooManyRenders as exc:
        return _too_many(request, report, exc, reverse("reports:version", args=[report.pk, version.number]))
    return _file_response(request, job)


def _job(request, pk) -> ReportFile:
    return access.get_scoped_or_404(
        request.user, ReportFile.objects.select_related("report", "version").defer("content"), pk=pk
    )


def _fresh_job(request, pk) -> ReportFile:
    """The file in scope, marked interrupted first if its worker stopped (the pages poll for this)."""
    job = _job(request, pk)
    if job.is_running:
        services.report_files_reap()
        job.refresh_from_db(fields=["status", "stage", "progress", "error", "finished_at"])
    return job


@login_required
def file_page(request, pk):
    job = _fresh_job(request, pk)
    return render(request, "reports/file.html", {"job": job})


@login_required
def file_status(request, pk):
    job = _fresh_job(request, pk)  # the page polls only this: it learns here that the worker stopped
    return JsonResponse(job.status_payload(), headers={"Cache-Control": "no-store"})


@login_required
def file_download(request, pk):
    job = access.get_scoped_or_404(request.user, ReportFile.objects.select_related("report"), pk=pk)
    if job.status != ReportFile.Status.DONE:
        return redirect("reports:file", job.pk)
    response = HttpResponse(bytes(job.content), content_type=rendering.CONTENT_TYPES[job.format])
    response["Content-Disposition"] = content_disposition(job.file_name)
    response["Content-Length"] = str(job.size)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# ---------------------------------------------------------------- the pair's agreement


AGREEMENT_FORMATS = {"docx": Format.DOCX, "pdf": Format.PDF}


def _agreement(request, pk, fmt):
    """«Соглашение о наставничестве» of a pair in the user's scope (404 outside), rendered inline: an
    agreement is one to three pages, no job is queued (``reports.agreement``)."""
    pair = agreement.agreement_pair(user=request.user, pk=pk)
    document = agreement.agreement_document(
        mentorship=pair,
        show_minor_names=access.sees_minor_names(request.user),
        show_personal_data=not access.is_mentor(request.user),
    )
    content, _pages = rendering.render(document, AGREEMENT_FORMATS[fmt])
    name = rendering.file_name(agreement.TITLE, AGREEMENT_FORMATS[fmt], on=timezone.localdate())
    response = HttpResponse(content, content_type=rendering.CONTENT_TYPES[AGREEMENT_FORMATS[fmt]])
    response["Content-Disposition"] = content_disposition(name)
    response["Content-Length"] = str(len(content))
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def agreement_docx(request, pk):
    return _agreement(request, pk, "docx")


@login_required
def agreement_pdf(request, pk):
    return _agreement(request, pk, "pdf")
