"""Monitoring: road maps (plans of events) of a region, a municipality or an organization.

A road map belongs to exactly one owner, named by its ``level``: the region, a municipality
or an organization. ``region`` is always set; an organization's map also carries the
organization's municipality, so that one lookup (``municipality``) finds every map a
coordinator oversees (``registry.access`` scopes by single lookups). Rules that SQL can
state are named database constraints (``monitoring_<model>_<rule>``).
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from registry.models import Municipality, Organization, Region

from .timing import parse_timing


def fold(text: str) -> str:
    """Text as compared (not as stored): case-folded, ё = е, spaces collapsed."""
    return " ".join((text or "").casefold().replace("ё", "е").split())


class RoadMap(models.Model):
    """«Дорожная карта» (план мероприятий) of one owner; its title is unique for that owner."""

    class Level(models.TextChoices):
        REGION = "region", "региональная"
        MUNICIPALITY = "municipality", "муниципальная"
        ORGANIZATION = "organization", "образовательной организации"

    title = models.CharField("наименование", max_length=500)
    level = models.CharField("уровень", max_length=20, choices=Level.choices)
    region = models.ForeignKey(Region, models.CASCADE, related_name="roadmaps", verbose_name="регион")
    municipality = models.ForeignKey(
        Municipality,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="roadmaps",
        verbose_name="муниципалитет",
        help_text="Для дорожной карты ОО — муниципалитет этой организации",
    )
    organization = models.ForeignKey(
        Organization,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="roadmaps",
        verbose_name="организация",
    )
    basis_number = models.CharField("номер утверждающего документа", max_length=50, blank=True)
    basis_date = models.DateField("дата утверждающего документа", null=True, blank=True)
    basis_title = models.CharField(
        "утверждающий документ",
        max_length=1000,
        blank=True,
        help_text="Например: приказ Департамента по образованию и науке «Об утверждении плана мероприятий…»",
    )
    period_start = models.DateField("период: начало", null=True, blank=True)
    period_end = models.DateField("период: окончание", null=True, blank=True)
    created_at = models.DateTimeField("создана", auto_now_add=True)
    updated_at = models.DateTimeField("изменена", auto_now=True)
    history = HistoricalRecords(verbose_name="история дорожной карты")

    class Meta:
        verbose_name = "дорожная карта"
        verbose_name_plural = "дорожные карты"
        ordering = ["region__name", "level", "title"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(level="region", municipality__isnull=True, organization__isnull=True)
                    | Q(level="municipality", municipality__isnull=False, organization__isnull=True)
                    | Q(level="organization", municipality__isnull=False, organization__isnull=False)
                ),
                name="monitoring_roadmap_owner_matches_level",
                violation_error_message=(
                    "Владелец не соответствует уровню: у региональной дорожной карты нет муниципалитета "
                    "и организации, у муниципальной — только муниципалитет, у карты ОО — организация "
                    "и её муниципалитет."
                ),
            ),
            models.CheckConstraint(
                condition=Q(period_start__isnull=True)
                | Q(period_end__isnull=True)
                | Q(period_end__gte=F("period_start")),
                name="monitoring_roadmap_period_end_after_start",
                violation_error_message="Окончание периода не может быть раньше его начала.",
            ),
            # One title per owner. NULLs are distinct in SQL unique indexes (SQLite has no
            # NULLS NOT DISTINCT), so each level has its own partial unique index.
            models.UniqueConstraint(
                fields=["region", "title"],
                condition=Q(level="region"),
                name="monitoring_roadmap_unique_region_title",
                violation_error_message="У региона уже есть дорожная карта с таким наименованием.",
            ),
            models.UniqueConstraint(
                fields=["municipality", "title"],
                condition=Q(level="municipality"),
                name="monitoring_roadmap_unique_municipality_title",
                violation_error_message="У муниципалитета уже есть дорожная карта с таким наименованием.",
            ),
            models.UniqueConstraint(
                fields=["organization", "title"],
                condition=Q(level="organization"),
                name="monitoring_roadmap_unique_organization_title",
                violation_error_message="У организации уже есть дорожная карта с таким наименованием.",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def owner(self) -> Region | Municipality | Organization:
        if self.level == self.Level.ORGANIZATION:
            return self.organization
        if self.level == self.Level.MUNICIPALITY:
            return self.municipality
        return self.region

    def clean(self):
        errors = {}
        if self.organization_id and not self.municipality_id:
            self.municipality_id = self.organization.municipality_id  # an organization's map carries it
        if self.organization_id and self.municipality_id:
            if self.organization.municipality_id != self.municipality_id:
                errors["municipality"] = "Организация относится к другому муниципалитету."
        if self.municipality_id and self.region_id and self.municipality.region_id != self.region_id:
            errors["region"] = "Муниципалитет относится к другому региону."
        if errors:
            raise ValidationError(errors)


class RoadMapEvent(models.Model):
    """One event («мероприятие») of a road map, its columns kept as written.

    Natural key (the workbook's upsert): ``(roadmap, direction, number, title)``, the three
    texts compared case-insensitively with ё = е and spaces collapsed (``fold``). It is not a
    database constraint: a title may be longer than an index entry allows; ``clean()`` and
    the workbook import refuse duplicates instead.
    """

    class Status(models.TextChoices):
        PLANNED = "planned", "запланировано"
        DONE = "done", "выполнено"
        PARTIAL = "partial", "выполнено частично"
        NOT_DONE = "not_done", "не выполнено"
        POSTPONED = "postponed", "перенесено"
        CANCELLED = "cancelled", "отменено"

    roadmap = models.ForeignKey(RoadMap, models.CASCADE, related_name="events", verbose_name="дорожная карта")
    direction = models.CharField(
        "направление", max_length=300, blank=True, help_text="Заголовок группы мероприятий, как в документе"
    )
    number = models.CharField("№", max_length=20, blank=True, help_text="Как в документе: «1.2», «3.11»")
    title = models.TextField("мероприятие")
    goal = models.TextField("цель", blank=True)
    audience = models.TextField("целевая аудитория", blank=True)
    timing_text = models.CharField(
        "сроки", max_length=200, blank=True, help_text="Как в документе: «Ноябрь 2020 года», «По запросу»"
    )
    timing_start = models.DateField("начало (по срокам)", null=True, blank=True)
    timing_end = models.DateField("окончание (по срокам)", null=True, blank=True)
    responsible = models.TextField("ответственный", blank=True)
    expected_result = models.TextField("ожидаемый результат", blank=True)
    result = models.TextField("результат", blank=True)
    participants = models.PositiveIntegerField("участников", null=True, blank=True)
    links = models.TextField("ссылки", blank=True)
    status = models.CharField("статус", max_length=12, choices=Status.choices, default=Status.PLANNED)
    sort_order = models.PositiveIntegerField("порядок", default=0)
    history = HistoricalRecords(verbose_name="история мероприятия")

    class Meta:
        verbose_name = "мероприятие дорожной карты"
        verbose_name_plural = "мероприятия дорожных карт"
        ordering = ["roadmap", "sort_order", "id"]
        indexes = [models.Index(fields=["roadmap", "sort_order"], name="monitoring_event_order")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(timing_start__isnull=True, timing_end__isnull=True)
                    | Q(
                        timing_start__isnull=False,
                        timing_end__isnull=False,
                        timing_end__gte=F("timing_start"),
                    )
                ),
                name="monitoring_roadmapevent_timing_range",
                violation_error_message=(
                    "Сроки: укажите и начало, и окончание (окончание не раньше начала) или ни одного."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.title}".strip()

    def save(self, *args, **kwargs):
        # The dates are always read from «Сроки» as written (the workbook import does the same).
        self.timing_start, self.timing_end = parse_timing(self.timing_text)
        super().save(*args, **kwargs)

    @property
    def natural_key(self) -> tuple:
        return (self.roadmap_id, fold(self.direction), fold(self.number), fold(self.title))

    def clean(self):
        if not self.roadmap_id:
            return
        others = RoadMapEvent.objects.filter(roadmap_id=self.roadmap_id).exclude(pk=self.pk)
        if any(
            e.natural_key == self.natural_key for e in others.only("roadmap", "direction", "number", "title")
        ):
            raise ValidationError(
                "В дорожной карте уже есть мероприятие с таким направлением, номером и названием."
            )
