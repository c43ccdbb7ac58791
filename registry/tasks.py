"""Background work of the registry, run by the django-tasks worker (`manage.py db_worker`)."""

from django_tasks import task


@task()
def run_import_job(job_id: str) -> str:
    """Check or import one uploaded workbook (``registry.imports.run_job``); returns the job's status."""
    from .imports import run_job

    return run_job(job_id).status


@task()
def run_export_job(job_id: str) -> str:
    """Write one list export too long for the request (``export_jobs.run_job``); returns its status."""
    from .export_jobs import run_job

    return run_job(job_id).status
