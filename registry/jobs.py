"""One job lifecycle for every kind of background work: workbook imports, list exports, report files.

A job is a row (a model derived from ``Job``) that goes queued → working → finished. This module is
the only place that moves it (docs/architecture.md §6):

- ``claim`` takes a queued job up for a worker (or for the request, when it runs inline): one
  conditional UPDATE, so a job taken twice, or reaped while it waited, is left alone;
- ``Progress`` reports progress and a heartbeat at most twice a second, visible to other
  connections even while the job's own transaction is open (PostgreSQL, through a second
  connection);
- ``finish`` and ``fail`` end a working job, each with a conditional UPDATE: a worker that ends
  after the reaper marked its job «прерван» does not overwrite that status;
- ``reap`` marks «прерван» every job whose worker went silent, and every job no worker took up in
  time;
- ``run`` dispatches by kind: the task entry point (``registry.tasks.run_job``) names a job by its
  model's label, and the model's ``JOB_RUNNER`` (a dotted path) is the function that does the work.

Statuses differ by kind (an import is checked, confirmed, then imported), so each model keeps its
own ``Status`` choices and labels and names which of them are ``QUEUED_STATES`` and
``WORKING_STATES``; every kind has ``QUEUED``, ``FAILED`` and ``INTERRUPTED``.
"""

import datetime
import logging
import time

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, connection, connections, models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)

PROGRESS_EVERY = 0.5  # seconds between two progress writes of one job


class Job(models.Model):
    """What every background job records: its state, stage, progress, error and the worker's times.

    A concrete kind declares ``status`` with its own choices (the Russian labels users see),
    ``QUEUED_STATES``, ``WORKING_STATES``, ``STALE_AFTER_SETTING`` and ``QUEUE_TIMEOUT_SETTING``
    (names of settings, in seconds), ``REAPED_MESSAGE`` and ``JOB_RUNNER`` (the dotted path of a
    service called as ``runner(job_id=…, **options)``).
    """

    QUEUED = "queued"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    QUEUED_STATES: tuple = (QUEUED,)
    WORKING_STATES: tuple = ("running",)
    STALE_AFTER_SETTING = ""
    QUEUE_TIMEOUT_SETTING = ""
    REAPED_MESSAGE = "Прерван: обработчик не ответил."
    JOB_RUNNER = ""

    status = models.CharField("состояние", max_length=12, default=QUEUED)
    stage = models.CharField("этап", max_length=200, blank=True)
    progress = models.PositiveSmallIntegerField("готовность, %", default=0)
    error = models.TextField("ошибка", blank=True)
    created_at = models.DateTimeField("создан", auto_now_add=True)
    # When the job was (last) put in the queue, if not at its creation: an import waits for its
    # admin's confirmation between its check and its import.
    queued_at = models.DateTimeField("поставлен в очередь", null=True, blank=True)
    started_at = models.DateTimeField("начат", null=True, blank=True)
    heartbeat_at = models.DateTimeField("последний отчёт обработчика", null=True, blank=True)
    finished_at = models.DateTimeField("завершён", null=True, blank=True)

    class Meta:
        abstract = True

    @classmethod
    def active_states(cls) -> tuple:
        return (*cls.QUEUED_STATES, *cls.WORKING_STATES)

    @property
    def is_running(self) -> bool:
        """Not finished yet: queued or working."""
        return self.status in self.active_states()

    @property
    def kind(self) -> str:
        return self._meta.label_lower

    @property
    def percent(self) -> int:
        return self.progress

    def status_payload(self) -> dict:
        """What a job's page polls (its JSON status view): state, label, progress and stage; a kind
        that counts rows adds ``done`` and ``total``."""
        return {
            "status": self.status,
            "label": self.get_status_display(),
            "running": self.is_running,
            "percent": self.percent,
            "phase": self.stage,
        }


def _rows(job: Job, states) -> models.QuerySet:
    return type(job)._default_manager.filter(pk=job.pk, status__in=list(states))


def queue(job: Job, **values) -> None:
    """Put ``job`` (back) in the queue now, with ``values`` written on it as well."""
    values = {"status": job.QUEUED, "queued_at": timezone.now(), "error": "", **values}
    for name, value in values.items():
        setattr(job, name, value)
    job.save(update_fields=list(values))


def claim(job: Job, status: str, **values) -> bool:
    """Take a queued job up: it becomes ``status`` (a working state). False when it is not queued any
    more (reaped while it waited, or taken up twice): then the caller leaves it alone."""
    now = timezone.now()
    values = {"status": status, "started_at": now, "heartbeat_at": now, **values}
    if not _rows(job, job.QUEUED_STATES).update(**values):
        job.refresh_from_db()
        return False
    for name, value in values.items():
        setattr(job, name, value)
    return True


def finish(job: Job, **values) -> bool:
    """End a working job with ``values`` (its final status among them) in one UPDATE.

    False, and nothing written, when the job is no longer working: the reaper marked it «прерван»
    meanwhile, and that status stays.
    """
    values = {"finished_at": timezone.now(), **values}
    if not _rows(job, job.WORKING_STATES).update(**values):
        log.warning("%s %s: finished after it was no longer running; its status is kept", job.kind, job.pk)
        job.refresh_from_db()
        return False
    for name, value in values.items():
        setattr(job, name, value)
    return True


def fail(job: Job, message: str):
    """End a working job as «сбой» with ``message``; a job reaped meanwhile keeps «прерван».

    Even a database that cannot take this write (full, lost) does not raise: the reaper marks the
    job later.
    """
    values = {"status": job.FAILED, "error": message, "stage": "", "progress": 0}
    values["finished_at"] = timezone.now()
    try:
        if _rows(job, job.active_states()).update(**values):
            for name, value in values.items():
                setattr(job, name, value)
            return job
        job.refresh_from_db()
    except DatabaseError:
        log.exception("%s %s: could not be marked failed", job.kind, job.pk)
        for name, value in values.items():
            setattr(job, name, value)
    return job


class Progress:
    """Writes a working job's progress and heartbeat to its row, at most every ``every`` seconds.

    A plain UPDATE, unless ``in_transaction``: a job that works inside a transaction of its own (an
    import) writes its progress through a second connection on PostgreSQL, so other connections see
    the bar move before the commit; on SQLite (one writer) the bar then waits for the commit. A job
    no longer working (reaped) is not touched.
    """

    def __init__(self, job: Job, *, every: float | None = None, in_transaction: bool = False):
        self.job = job
        self.every = PROGRESS_EVERY if every is None else every
        self.in_transaction = in_transaction
        self.last = 0.0
        self.side = None
        self.closed = False

    def __call__(self, *, force: bool = False, **values) -> None:
        now = time.monotonic()
        if self.closed or (not force and now - self.last < self.every):
            return
        self.last = now
        values = {**values, "heartbeat_at": timezone.now()}
        if not (self.in_transaction and connection.in_atomic_block):
            _rows(self.job, self.job.WORKING_STATES).update(**values)
        elif connection.vendor == "postgresql":
            self._side_update(values)

    def _side_update(self, values: dict) -> None:
        if self.side is None:
            self.side = connections.create_connection("default")
        model = type(self.job)
        quote = self.side.ops.quote_name
        fields = [model._meta.get_field(name) for name in values]
        columns = ", ".join(f"{quote(field.column)} = %s" for field in fields)
        params = [field.get_db_prep_save(values[field.name], self.side) for field in fields]
        states = ", ".join(["%s"] * len(self.job.WORKING_STATES))
        with self.side.cursor() as cursor:
            cursor.execute(
                # Table and column names come from the model, never from input.
                f"UPDATE {quote(model._meta.db_table)} SET {columns} "  # noqa: S608
                f"WHERE {quote(model._meta.pk.column)} = %s AND {quote('status')} IN ({states})",
                [*params, model._meta.pk.get_db_prep_value(self.job.pk, self.side), *self.job.WORKING_STATES],
            )

    def close(self) -> None:
        """No more writes: the side connection (if any) is closed."""
        self.closed = True
        if self.side is not None:
            self.side.close()
            self.side = None


def reap(model: type[Job]) -> int:
    """Mark «прерван» the jobs of ``model`` whose worker went silent or that no worker took up.

    Working and silent for ``STALE_AFTER_SETTING`` seconds: the worker was killed (its transaction
    died with it). Queued for ``QUEUE_TIMEOUT_SETTING`` seconds: no worker runs, or the queue lost
    the task. Either can be started again; a worker that takes a reaped job up later leaves it alone
    (``claim``), and one that finishes late keeps «прерван» (``finish``).
    """
    now = timezone.now()
    silent = now - datetime.timedelta(seconds=getattr(settings, model.STALE_AFTER_SETTING))
    waiting = now - datetime.timedelta(seconds=getattr(settings, model.QUEUE_TIMEOUT_SETTING))
    return (
        model._default_manager.alias(waiting_since=Coalesce("queued_at", "created_at"))
        .filter(
            Q(status__in=list(model.WORKING_STATES), heartbeat_at__lt=silent)
            | Q(status__in=list(model.QUEUED_STATES), waiting_since__lt=waiting)
        )
        .update(status=model.INTERRUPTED, error=model.REAPED_MESSAGE, stage="", finished_at=now)
    )


def refreshed(job: Job) -> Job:
    """``job`` as a page should show it: a running one is read again if the reaper just ended it."""
    if job.is_running and reap(type(job)):
        job.refresh_from_db()
    return job


def run(kind: str, job_id, **options):
    """Run one job of ``kind`` (a model label such as ``registry.importjob``) by its model's runner."""
    model = apps.get_model(kind)
    if not (isinstance(model, type) and issubclass(model, Job)) or not model.JOB_RUNNER:
        raise LookupError(f"not a job kind: {kind}")
    return import_string(model.JOB_RUNNER)(job_id=job_id, **options)
