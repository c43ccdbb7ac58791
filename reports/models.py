"""Analytical reports (docs/architecture.md §1, §8): a report is a kind, a scope and a source; its draft
narrative
is edited by the operator; publishing freezes a version (data, text and document) that never changes
again; files are rendered by jobs, in the request when small and by the task worker otherwise."""

import uuid

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from monitoring.models import Campaign, RoadMap
from registry.jobs import Job
from registry.models import Municipality, Organization, Region


class Kind(models.TextChoices):
    ROADMAP_NOTE = "roadmap-note", "Аналитическая справка по реализации мероприятий"
    MONITORING_REPORT = "monitoring-report", "Аналитический отчёт о результатах мониторинга"
    ROADMAP_REPORT = "roadmap-report", "Отчёт об организационно-методическом сопровождении"
    SCHOOL_NOTE = "school-note", "Информационно-аналитическая справка ОО"


class Format(models.TextChoices):
    PDF = "pdf", "PDF"
    DOCX = "docx", "DOCX (Word)"
    HTML = "html", "HTML"


class Report(models.Model):
    """A report being prepared: what it covers, from what, and its editable narrative."""

    kind = models.CharField("вид", max_length=20, choices=Kind.choices)
    title = models.CharField("наименование", max_length=500, blank=True)
    region = models.ForeignKey(Region, models.PROTECT, related_name="reports", verbose_name="регион")
    municipality = models.ForeignKey(
        Municipality,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name="муниципалитет",
    )
    organization = models.ForeignKey(
        Organization,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name="организация",
    )
    campaign = models.ForeignKey(
        Campaign, models.PROTECT, null=True, blank=True, related_name="reports", verbose_name="мониторинг"
    )
    roadmap = models.ForeignKey(
        RoadMap, models.PROTECT, null=True, blank=True, related_name="reports", verbose_name="дорожная карта"
    )
    as_of = models.DateField("по состоянию на", null=True, blank=True)
    conclusions = models.TextField(
        "выводы", blank=True, help_text="Абзацы разделяются пустой строкой. Черновик составлен по цифрам."
    )
    recommendations = models.TextField(
        "рекомендации", blank=True, help_text="Каждая рекомендация с новой строки."
    )
    signature_position = models.CharField("исполнитель: должность", max_length=300, blank=True)
    signature_name = models.CharField("исполнитель: ФИО", max_length=200, blank=True)
    version = models.PositiveIntegerField("версия текста", default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="создал",
    )
    created_at = models.DateTimeField("создан", auto_now_add=True)
    updated_at = models.DateTimeField("изменён", auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "отчёт"
        verbose_name_plural = "отчёты"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(organization__isnull=True) | models.Q(municipality__isnull=False),
                name="report_organization_has_municipality",
            ),
        ]

    def __str__(self):
        return self.title or self.get_kind_display()

    @property
    def territory(self):
        return self.organization or self.municipality or self.region

    @property
    def level(self) -> str:
        if self.organization_id:
            return "organization"
        return "municipality" if self.municipality_id else "region"

    def source_label(self) -> str:
        if self.campaign_id:
            return f"мониторинг «{self.campaign.title}»"
        if self.roadmap_id:
            return f"дорожная карта «{self.roadmap.title}»"
        return f"реестр на {self.as_of:%d.%m.%Y}" if self.as_of else "реестр на сегодня"


class ReportVersion(models.Model):
    """A published version: frozen data, narrative and document; its files once rendered are kept."""

    report = models.ForeignKey(Report, models.CASCADE, related_name="versions", verbose_name="отчёт")
    number = models.PositiveIntegerField("версия")
    title = models.CharField("наименование", max_length=500)
    data = models.JSONField("данные")
    document = models.JSONField("документ")
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="опубликовал",
    )
    published_at = models.DateTimeField("опубликован")

    class Meta:
        verbose_name = "опубликованная версия отчёта"
        verbose_name_plural = "опубликованные версии отчётов"
        ordering = ["report", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["report", "number"], name="report_version_number_unique"),
        ]

    def __str__(self):
        return f"{self.title}, версия {self.number}"


class ReportFile(Job):
    """One rendering of a report (its draft) or of a published version into a file.

    Rendered in the request when small, otherwise by the task worker with its progress on this row.
    A version's file is rendered once and kept: downloading it again gives the same bytes.
    A draft's file is rendered again only when what it is rendered from changed: ``content_hash``
    fingerprints the document (data and text), the format, the file's date and the renderer, and at
    most one queued, running or finished file of a report holds a given fingerprint. Its lifecycle is
    the common one of ``registry.jobs`` (docs/architecture.md §6).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "в очереди"
        RUNNING = "running", "формируется"
        DONE = "done", "готов"
        FAILED = "failed", "сбой"
        INTERRUPTED = "interrupted", "прерван"

    WORKING_STATES = (Status.RUNNING,)
    ACTIVE = (Status.QUEUED, Status.RUNNING)  # not finished yet
    STALE_AFTER_SETTING = "REPORT_STALE_AFTER_SECONDS"
    QUEUE_TIMEOUT_SETTING = "REPORT_QUEUE_TIMEOUT_SECONDS"
    REAPED_MESSAGE = "Прерван: обработчик не ответил. Запросите файл ещё раз."
    JOB_RUNNER = "reports.services.report_file_run"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    report = models.ForeignKey(Report, models.CASCADE, related_name="files", verbose_name="отчёт")
    version = models.ForeignKey(
        ReportVersion,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="files",
        verbose_name="версия",
    )
    format = models.CharField("формат", max_length=4, choices=Format.choices)
    # The draft's document as it stood at the click (the worker renders exactly that, without
    # building it again); emptied when the file is done. A version's file reads the version.
    document = models.JSONField("документ на момент запроса", null=True, blank=True, editable=False)
    content_hash = models.CharField("отпечаток содержимого", max_length=64, blank=True, editable=False)
    status = models.CharField("состояние", max_length=12, choices=Status.choices, default=Status.QUEUED)
    file_name = models.CharField("имя файла", max_length=255, blank=True)
    content = models.BinaryField("содержимое", null=True, blank=True, editable=False)
    size = models.PositiveBigIntegerField("размер, байт", default=0)
    pages = models.PositiveIntegerField("страниц", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="кто",
    )

    class Meta:
        verbose_name = "файл отчёта"
        verbose_name_plural = "файлы отчётов"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "heartbeat_at"], name="report_file_running_idx"),
            # The renders of one user in the last minute (the per-user render limit).
            models.Index(fields=["created_by", "created_at"], name="report_file_user_recent_idx"),
        ]
        constraints = [
            # Two identical clicks at once: the second insert fails and that request takes the first
            # one's file. A failed or interrupted file does not count, so it may be requested again.
            models.UniqueConstraint(
                fields=["report", "content_hash"],
                condition=models.Q(status__in=["queued", "running", "done"]) & ~models.Q(content_hash=""),
                name="report_file_content_unique",
            ),
        ]

    def __str__(self):
        return self.file_name or f"{self.report} ({self.format})"
