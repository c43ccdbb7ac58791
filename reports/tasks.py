"""Background work of the reports app, run by the django-tasks worker (`manage.py db_worker`)."""

import gc

from django_tasks import task


@task()
def run_report_file(file_id: str) -> str:
    """Render one requested report file (``reports.services.run_file``); returns its status."""
    from .services import run_file

    status = run_file(file_id).status
    # A rendering leaves a large graph of cyclic garbage (boxes, styles, fonts): collected now, once the
    # file is saved, rather than in the middle of the next job's layout.
    gc.collect()
    return status
