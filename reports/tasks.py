"""Background work of the reports app, run by the django-tasks worker (`manage.py db_worker`)."""

from django_tasks import task


@task()
def run_report_file(file_id: str) -> str:
    """Render one requested report file (``reports.services.run_file``); returns its status."""
    from .services import run_file

    return run_file(file_id).status
