"""The one task the django-tasks worker (`manage.py db_worker`) runs: a job of any kind.

A job is named by its kind (its model's label) and id; ``registry.jobs.run`` finds the kind's
runner (docs/architecture.md §6). ``start`` is the one decision between running a job in the
request and queueing it for the worker.
"""

import gc

from django_tasks import task

from . import jobs


@task()
def run_job(kind: str, job_id: str) -> str:
    """Run one job in the worker; returns its status."""
    status = jobs.run(kind, job_id).status
    # A job (a PDF's layout above all) leaves a large graph of cyclic garbage: collected now, once
    # its result is saved, rather than in the middle of the next job.
    gc.collect()
    return status


def start(job: jobs.Job, *, inline: bool, **options):
    """Run ``job`` here and now when ``inline`` (with the runner's ``options``), else queue it for
    the worker; returns the job."""
    if inline:
        return jobs.run(job.kind, job.pk, **options)
    run_job.enqueue(job.kind, str(job.pk))
    return job
