"""A list export written by the task worker: its page (progress bar), its status and its download.

Every one of them is its owner's only: anybody else, whatever their role, gets a 404.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path

from common.downloads import attachment
from registry import jobs
from registry.exports import XLSX
from registry.models import ExportJob


def _own_job(request, pk, *, content: bool = False) -> ExportJob:
    """The user's own job, its state current: a job whose worker died is shown as interrupted."""
    own = ExportJob.objects.filter(created_by=request.user)
    if not content:
        own = own.defer("content")
    job = get_object_or_404(own, pk=pk)
    return jobs.refreshed(job)


@login_required
def export_job(request, pk):
    job = _own_job(request, pk)
    # Back to the list with its filters, without ``format=xlsx`` (which would export it again).
    filters = QueryDict(job.query, mutable=True)
    filters.pop("format", None)
    back = job.path + (f"?{filters.urlencode()}" if filters else "")
    context = {"job": job, "hours": settings.EXPORT_FILE_HOURS, "back": back}
    response = render(request, "registry/exports/job.html", context)
    response["Cache-Control"] = "no-store"
    return response


@login_required
def export_job_status(request, pk):
    job = _own_job(request, pk)  # the page polls only this: it learns here that the worker stopped
    payload = {**job.status_payload(), "done": job.rows_done, "total": job.rows_total}
    return JsonResponse(payload, headers={"Cache-Control": "no-store"})


@login_required
def export_job_download(request, pk):
    job = _own_job(request, pk, content=True)
    if job.status != ExportJob.Status.DONE or job.content is None:
        return redirect("registry:export-job", job.pk)
    response = HttpResponse(bytes(job.content), content_type=XLSX)
    response["Content-Disposition"] = attachment(job.file_name)
    response["Content-Length"] = str(job.size)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


urlpatterns = [
    path("exports/<uuid:pk>/", export_job, name="export-job"),
    path("exports/<uuid:pk>/status/", export_job_status, name="export-job-status"),
    path("exports/<uuid:pk>/download/", export_job_download, name="export-job-download"),
]
