"""Monitoring: road maps (plans of events) of a region, a municipality or an organization,
and monitoring campaigns with their submissions and indicators (below).

A road map belongs to exactly one owner, named by its ``level``: the region, a municipality
or an organization. ``region`` is always set; an organization's map also carries the
organization's municipality, so that one lookup (``municipality``) finds every map a
coordinator oversees (``registry.access`` scopes by single lookups). Rules that SQL can
state are named database constraints (``monitoring_<model>_<rule>``).
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from registry.models import Municipality, Organization, Person, Region

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


# ---------------------------------------------------------------- monitoring campaigns
#
# A campaign («мониторинг») asks its target organizations for figures; each organization answers
# with one submission, pre-filled from the registry and confirmed by its curator. Indicators are
# data: a numerator and a denominator named by figure codes (``monitoring.indicators``). Nothing
# is stored as a percentage: submissions hold counts, indicators sum them, then divide once.
# Writes go through ``monitoring.campaigns``; figures are read by ``monitoring.selectors``.


class Indicator(models.Model):
    """An indicator of the catalogue (docs/domain.md §6): numerator ÷ denominator, both figure codes."""

    class Unit(models.TextChoices):
        SHARE = "share", "доля, %"
        COUNT = "count", "количество"
        YES_NO = "yes_no", "да / нет"

    class Level(models.TextChoices):
        ORGANIZATION = "organization", "образовательная организация"
        MUNICIPALITY = "municipality", "муниципалитет"
        REGION = "region", "регион"

    class Basis(models.TextChoices):
        RESPONDENTS = "respondents", "организации, представившие отчёт"
        TARGETS = "targets", "все организации мониторинга"

    class Comparison(models.TextChoices):
        AT_LEAST = "gte", "не менее"
        AT_MOST = "lte", "не более"

    code = models.CharField("код", max_length=20, unique=True, help_text="Например: F1, R6")
    name = models.CharField("наименование", max_length=500)
    description = models.TextField(
        "пояснение", blank=True, help_text="Источник формулировки, как считаются числитель и знаменатель"
    )
    unit = models.CharField("единица", max_length=10, choices=Unit.choices, default=Unit.SHARE)
    level = models.CharField(
        "уровень",
        max_length=20,
        choices=Level.choices,
        default=Level.ORGANIZATION,
        help_text="Самый нижний уровень, на котором показатель имеет смысл",
    )
    numerator = models.CharField(
        "числитель", max_length=80, help_text="Код величины: students, mentors:student_student, submitted…"
    )
    denominator = models.CharField(
        "знаменатель", max_length=80, blank=True, help_text="Код величины; пусто для количества"
    )
    denominator_basis = models.CharField(
        "база знаменателя",
        max_length=12,
        choices=Basis.choices,
        default=Basis.RESPONDENTS,
        help_text=(
            "По представившим отчёт или по всем организациям мониторинга (Смоленск: 254 из 340 — "
            "знаменатель все 340 ОО)"
        ),
    )
    is_federal = models.BooleanField("федеральный показатель", default=False)
    target_value = models.DecimalField(
        "целевое значение",
        max_digits=12,
        decimal_places=1,
        null=True,
        blank=True,
        help_text="Для доли — в процентах",
    )
    target_source = models.CharField(
        "источник целевого значения",
        max_length=500,
        blank=True,
        help_text=(
            "Документ, устанавливающий целевое значение: федеральный проект, распоряжение, региональная "
            "программа; «целевое значение региона», если документ не указан"
        ),
    )
    target_comparison = models.CharField(
        "целевое значение достигнуто, если значение",
        max_length=3,
        choices=Comparison.choices,
        default=Comparison.AT_LEAST,
    )
    target_margin = models.DecimalField(
        "допуск «жёлтой» зоны",
        max_digits=12,
        decimal_places=1,
        default=10,
        help_text="На сколько (процентных пунктов или единиц) значение может не дотягивать до цели",
    )
    sort_order = models.PositiveSmallIntegerField("порядок", default=100)
    is_active = models.BooleanField("используется", default=True)

    class Meta:
        verbose_name = "показатель мониторинга"
        verbose_name_plural = "показатели мониторинга"
        ordering = ["sort_order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(unit="count", denominator="") | (~Q(unit="count") & ~Q(denominator=""))),
                name="monitoring_indicator_denominator_fits_unit",
                violation_error_message="У доли и ответа «да / нет» есть знаменатель, у количества — нет.",
            ),
            models.CheckConstraint(
                condition=Q(target_margin__gte=0),
                name="monitoring_indicator_margin_not_negative",
                violation_error_message="Допуск не может быть отрицательным.",
            ),
        ]

    def __str__(self):
        return f"{self.code}. {self.name}"

    @property
    def target_text(self) -> str:
        """«не менее 70 %», «не более 5»; "" without a target."""
        return target_text(
            target=self.target_value, comparison=self.target_comparison, is_count=self.unit == self.Unit.COUNT
        )

    DEFINITION_FIELDS = ("unit", "numerator", "denominator", "denominator_basis")

    # The formula's check belongs to the indicator catalogue (``monitoring.indicators.check_definition``),
    # which reads the registry and the surveys, themselves reading these models: the app's ``ready``
    # sets it here, so that the models import nothing above them.
    definition_errors = None

    def clean(self):
        errors = self.definition_errors()
        if self.pk and not errors:
            before = Indicator.objects.filter(pk=self.pk).values(*self.DEFINITION_FIELDS).first()
            changed = before and any(before[name] != getattr(self, name) for name in self.DEFINITION_FIELDS)
            if changed and self.campaigns.exclude(status=Campaign.Status.DRAFT).exists():
                errors["numerator"] = (
                    "Показатель уже использован в открытом или завершённом мониторинге: формулу менять "
                    "нельзя, создайте новый показатель."
                )
        if errors:
            raise ValidationError(errors)


def target_text(*, target, comparison: str, is_count: bool) -> str:
    """An indicator's target in words (docs/domain.md §6): «не менее 70 %»; "" without one.

    Also for the reports' stored data, where the target is a string of the Decimal."""
    if target is None or target == "":
        return ""
    number = f"{Decimal(str(target)).normalize():f}".replace(".", ",")
    sign = Indicator.Comparison(comparison).label if comparison in Indicator.Comparison.values else ""
    return f"{sign} {number}" + ("" if is_count else "\u00a0%")


def default_org_types() -> list[str]:
    return [Organization.OrgType.SCHOOL]


class Campaign(models.Model):
    """A monitoring campaign: its order, goal, method, dates, targets and indicator set.

    ``municipality`` empty: a regional campaign run by the operator; set: a coordinator's
    municipal campaign. ``target_municipalities`` always lists the municipalities in scope (a
    municipal campaign: its own), so that ``registry.access`` scopes campaigns by one lookup.
    The expected set of organizations is frozen in ``CampaignTarget`` when the campaign opens.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "черновик"
        OPEN = "open", "открыт"
        CLOSED = "closed", "сбор завершён"
        PUBLISHED = "published", "опубликован"

    FINISHED = (Status.CLOSED, Status.PUBLISHED)  # the collection is over: reports read it

    class Method(models.TextChoices):
        SPREADSHEETS = "spreadsheets", "электронные таблицы"
        SITE_CHECK = "site_check", "контроль сайтов"
        SURVEY = "survey", "анкетирование"

    region = models.ForeignKey(Region, models.PROTECT, related_name="campaigns", verbose_name="регион")
    municipality = models.ForeignKey(
        Municipality,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="campaigns",
        verbose_name="муниципалитет",
        help_text="Пусто — региональный мониторинг",
    )
    title = models.CharField("наименование", max_length=500)
    organizer = models.CharField(
        "организатор", max_length=500, blank=True, help_text="Например: МАУ «ИМК» Октябрьского района"
    )
    basis_number = models.CharField("номер приказа", max_length=50, blank=True)
    basis_date = models.DateField("дата приказа", null=True, blank=True)
    basis_title = models.CharField(
        "наименование приказа",
        max_length=1000,
        blank=True,
        help_text="«О проведении мониторинга реализации «дорожной карты» работы педагогов-наставников»",
    )
    basis_text = models.TextField("текст приказа", blank=True)
    other_basis = models.TextField(
        "иные основания", blank=True, help_text="Например: приказ отдела образования № 195 «…»"
    )
    goal = models.TextField("цель мониторинга", blank=True)
    method = models.CharField(
        "метод сбора", max_length=20, choices=Method.choices, default=Method.SPREADSHEETS
    )
    method_text = models.TextField(
        "метод сбора информации (формулировка)",
        blank=True,
        help_text="«формализованный сбор статистических данных с применением электронных таблиц…»",
    )
    processing_text = models.TextField("методы обработки информации", blank=True)
    use_of_results = models.TextField("использование результатов", blank=True)
    period_start = models.DateField("период проведения: начало")
    period_end = models.DateField("период проведения: окончание")
    as_of_date = models.DateField(
        "дата, на которую берутся данные",
        help_text="Пары и наставники считаются на эту дату, контингент — за её учебный год",
    )
    deadline = models.DateField("срок сдачи отчётов")
    publish_by = models.DateField("опубликовать результаты до", null=True, blank=True)
    target_municipalities = models.ManyToManyField(
        Municipality, related_name="targeted_by_campaigns", verbose_name="муниципалитеты", blank=True
    )
    target_org_types = models.JSONField(
        "типы организаций", default=default_org_types, help_text="Коды типов ОО: school, preschool, …"
    )
    indicators = models.ManyToManyField(
        Indicator, related_name="campaigns", verbose_name="показатели", blank=True
    )
    status = models.CharField("статус", max_length=10, choices=Status.choices, default=Status.DRAFT)
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
    opened_at = models.DateTimeField("открыт", null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="открыл",
    )
    closed_at = models.DateTimeField("сбор завершён", null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="завершил сбор",
    )
    published_at = models.DateTimeField("опубликован", null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="опубликовал",
    )
    history = HistoricalRecords(verbose_name="история мониторинга")

    class Meta:
        verbose_name = "мониторинг"
        verbose_name_plural = "мониторинги"
        ordering = ["-as_of_date", "title"]
        indexes = [
            models.Index(
                fields=["region", "municipality", "as_of_date"], name="monitoring_campaign_territory"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")),
                name="monitoring_campaign_period_end_after_start",
                violation_error_message="Окончание периода не может быть раньше его начала.",
            ),
            models.CheckConstraint(
                condition=Q(deadline__gte=F("period_start")),
                name="monitoring_campaign_deadline_in_period",
                violation_error_message="Срок сдачи отчётов не может быть раньше начала мониторинга.",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(opened_at__isnull=False),
                name="monitoring_campaign_opened_has_date",
                violation_error_message="У открытого мониторинга должна быть дата открытия.",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_regional(self) -> bool:
        return self.municipality_id is None

    @property
    def territory(self) -> Region | Municipality:
        return self.municipality if self.municipality_id else self.region

    @property
    def basis(self) -> str:
        """«приказ от 16.12.2022 № 16 «О проведении мониторинга…»»."""
        parts = ["приказ"]
        if self.basis_date:
            parts.append(f"от {self.basis_date:%d.%m.%Y}")
        if self.basis_number:
            parts.append(f"№\u00a0{self.basis_number}")
        if self.basis_title:
            parts.append(f"«{self.basis_title.strip('«»')}»")
        return " ".join(parts) if len(parts) > 1 else ""

    def clean(self):
        errors = {}
        if self.municipality_id and self.region_id and self.municipality.region_id != self.region_id:
            errors["municipality"] = "Муниципалитет относится к другому региону."
        unknown = set(self.target_org_types or []) - set(Organization.OrgType.values)
        if unknown:
            errors["target_org_types"] = f"Неизвестные типы организаций: {', '.join(sorted(unknown))}."
        elif not self.target_org_types:
            errors["target_org_types"] = "Укажите хотя бы один тип организаций."
        if errors:
            raise ValidationError(errors)


class CampaignTarget(models.Model):
    """An organization expected to answer; frozen when the campaign opens (with its municipality then)."""

    campaign = models.ForeignKey(Campaign, models.CASCADE, related_name="targets", verbose_name="мониторинг")
    organization = models.ForeignKey(
        Organization, models.PROTECT, related_name="campaign_targets", verbose_name="организация"
    )
    municipality = models.ForeignKey(
        Municipality, models.PROTECT, related_name="+", verbose_name="муниципалитет (на дату открытия)"
    )

    class Meta:
        verbose_name = "организация мониторинга"
        verbose_name_plural = "организации мониторинга"
        constraints = [
            models.UniqueConstraint(fields=["campaign", "organization"], name="monitoring_target_once"),
        ]
        indexes = [models.Index(fields=["campaign", "municipality"], name="monitoring_target_mun")]

    def __str__(self):
        return f"{self.campaign}: {self.organization}"


class Submission(models.Model):
    """One organization's answer to a campaign: its values, its status and its workflow log."""

    class Status(models.TextChoices):
        DRAFT = "draft", "не отправлен"
        SUBMITTED = "submitted", "отправлен"
        RETURNED = "returned", "возвращён на доработку"
        ACCEPTED = "accepted", "принят"

    # The organizations that answered: their figures count in the indicators.
    RESPONDED = (Status.SUBMITTED, Status.ACCEPTED)

    campaign = models.ForeignKey(
        Campaign, models.CASCADE, related_name="submissions", verbose_name="мониторинг"
    )
    organization = models.ForeignKey(
        Organization, models.PROTECT, related_name="submissions", verbose_name="организация"
    )
    municipality = models.ForeignKey(
        Municipality, models.PROTECT, related_name="+", verbose_name="муниципалитет (на дату открытия)"
    )
    status = models.CharField("статус", max_length=10, choices=Status.choices, default=Status.DRAFT)
    first_submitted_at = models.DateTimeField("впервые отправлен", null=True, blank=True)
    submitted_at = models.DateTimeField("отправлен", null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="отправил",
    )
    on_time = models.BooleanField(
        "в срок", null=True, blank=True, help_text="Впервые отправлен не позже срока сдачи"
    )
    accepted_at = models.DateTimeField("принят", null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="принял",
    )
    curator_comment = models.TextField("комментарий куратора", blank=True)
    coordinator_comment = models.TextField("комментарий координатора", blank=True)
    last_reminded_at = models.DateTimeField("последнее напоминание", null=True, blank=True)
    updated_at = models.DateTimeField("изменён", auto_now=True)
    history = HistoricalRecords(verbose_name="история отчёта")

    class Meta:
        verbose_name = "отчёт организации"
        verbose_name_plural = "отчёты организаций"
        ordering = ["campaign", "municipality__name", "organization__full_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "organization"],
                name="monitoring_submission_once",
                violation_error_message="У организации уже есть отчёт в этом мониторинге.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "returned"])
                | Q(submitted_at__isnull=False, first_submitted_at__isnull=False, on_time__isnull=False),
                name="monitoring_submission_submitted_has_date",
                violation_error_message="У отправленного отчёта должны быть дата отправки и отметка о сроке.",
            ),
            models.CheckConstraint(
                condition=~Q(status="accepted") | Q(accepted_at__isnull=False),
                name="monitoring_submission_accepted_has_date",
                violation_error_message="У принятого отчёта должна быть дата принятия.",
            ),
        ]
        indexes = [
            models.Index(fields=["campaign", "municipality", "status"], name="monitoring_submission_mun"),
        ]

    def __str__(self):
        return f"{self.organization} — {self.campaign}"

    @property
    def responded(self) -> bool:
        return self.status in self.RESPONDED

    @property
    def is_locked(self) -> bool:
        return self.status == self.Status.ACCEPTED


class SubmissionValue(models.Model):
    """One figure of a submission: a count (or 1 / 0 for «да / нет»), never a percentage.

    ``registry_value`` is what the registry said when the campaign opened (None: it does not
    know); a value that differs from it needs a comment.
    """

    class Source(models.TextChoices):
        REGISTRY = "registry", "из реестра"
        ENTERED = "entered", "введено организацией"

    submission = models.ForeignKey(Submission, models.CASCADE, related_name="values", verbose_name="отчёт")
    figure = models.CharField("величина", max_length=80)
    value = models.PositiveIntegerField("значение", null=True, blank=True)
    registry_value = models.PositiveIntegerField("по данным реестра", null=True, blank=True)
    source = models.CharField("источник", max_length=10, choices=Source.choices, default=Source.ENTERED)
    comment = models.TextField("комментарий", blank=True)
    url = models.URLField("ссылка", max_length=500, blank=True)
    history = HistoricalRecords(verbose_name="история значений отчёта")

    class Meta:
        verbose_name = "значение отчёта"
        verbose_name_plural = "значения отчётов"
        ordering = ["submission", "id"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "figure"], name="monitoring_value_once"),
        ]

    def __str__(self):
        return f"{self.figure} = {self.value}"

    @property
    def differs_from_registry(self) -> bool:
        return (
            self.registry_value is not None and self.value is not None and self.value != self.registry_value
        )


class SubmissionEvent(models.Model):
    """One step of a submission's workflow: who moved it from which status to which, and why."""

    submission = models.ForeignKey(Submission, models.CASCADE, related_name="events", verbose_name="отчёт")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="кто"
    )
    at = models.DateTimeField("когда")
    from_status = models.CharField("из статуса", max_length=10, choices=Submission.Status.choices)
    to_status = models.CharField("в статус", max_length=10, choices=Submission.Status.choices)
    comment = models.TextField("комментарий", blank=True)

    class Meta:
        verbose_name = "шаг работы с отчётом"
        verbose_name_plural = "журнал работы с отчётами"
        ordering = ["submission", "at", "id"]

    def __str__(self):
        return f"{self.get_from_status_display()} → {self.get_to_status_display()}"


class MunicipalityApproval(models.Model):
    """The second level of a regional campaign (docs/domain.md §5): a municipality as a whole.

    The coordinator accepts the municipality's schools, then signs the municipality off
    («подписан координатором»); the region's operator accepts it or returns it with a comment,
    which reopens it for the coordinator. No row yet: «открыт». A municipal campaign has none.
    Writes go through ``monitoring.approval``; every step is a ``MunicipalityApprovalEvent``.
    """

    class Status(models.TextChoices):
        OPEN = "open", "открыт"
        SIGNED = "signed", "подписан координатором"
        ACCEPTED = "accepted", "принят оператором"
        RETURNED = "returned", "возвращён оператором"

    # The coordinator may sign off; the schools may be returned and accepted again.
    REOPENED = (Status.OPEN, Status.RETURNED)

    campaign = models.ForeignKey(
        Campaign, models.CASCADE, related_name="approvals", verbose_name="мониторинг"
    )
    municipality = models.ForeignKey(
        Municipality, models.PROTECT, related_name="+", verbose_name="муниципалитет"
    )
    status = models.CharField("статус", max_length=10, choices=Status.choices, default=Status.OPEN)
    signed_at = models.DateTimeField("подписан", null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="подписал",
    )
    decided_at = models.DateTimeField("решение оператора", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="оператор",
    )
    comment = models.TextField("комментарий оператора", blank=True)
    updated_at = models.DateTimeField("изменён", auto_now=True)

    class Meta:
        verbose_name = "приёмка муниципалитета"
        verbose_name_plural = "приёмка муниципалитетов"
        ordering = ["campaign", "municipality__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "municipality"],
                name="monitoring_approval_once",
                violation_error_message="У муниципалитета уже есть запись о приёмке в этом мониторинге.",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["signed", "accepted"]) | Q(signed_at__isnull=False),
                name="monitoring_approval_signed_has_date",
                violation_error_message="У подписанного муниципалитета должна быть дата подписания.",
            ),
        ]

    def __str__(self):
        return f"{self.municipality} — {self.campaign}"


class MunicipalityApprovalEvent(models.Model):
    """One step of a municipality's approval: who moved it from which status to which, and why."""

    approval = models.ForeignKey(
        MunicipalityApproval, models.CASCADE, related_name="events", verbose_name="приёмка"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="кто"
    )
    at = models.DateTimeField("когда")
    from_status = models.CharField("из статуса", max_length=10, choices=MunicipalityApproval.Status.choices)
    to_status = models.CharField("в статус", max_length=10, choices=MunicipalityApproval.Status.choices)
    comment = models.TextField("комментарий", blank=True)

    class Meta:
        verbose_name = "шаг приёмки муниципалитета"
        verbose_name_plural = "журнал приёмки муниципалитетов"
        ordering = ["approval", "at", "id"]

    def __str__(self):
        return f"{self.get_from_status_display()} → {self.get_to_status_display()}"


# ---------------------------------------------------------------- surveys of participants
#
# «Опросы участников» (docs/domain.md §7): the regional operator keeps questionnaires; a survey
# round sends one personal link to every mentor or mentee of the active pairs of its territory;
# responses are counted by school, municipality and region and feed F5/F6. Writes go through
# ``monitoring.surveys``. An anonymous questionnaire's responses carry nothing that leads back to
# the person or the link: no person, no user, no invitation, no time finer than the day, and
# random keys so that not even the order of the rows follows the order of the answers
# (docs/reliability.md §3.9).


class Questionnaire(models.Model):
    """«Анкета» of a region: its questions, its audience (mentors or mentees), anonymous or not."""

    class Audience(models.TextChoices):
        MENTORS = "mentors", "наставники"
        MENTEES = "mentees", "наставляемые"

    region = models.ForeignKey(Region, models.PROTECT, related_name="questionnaires", verbose_name="регион")
    title = models.CharField("наименование", max_length=500)
    audience = models.CharField("кого опрашивают", max_length=10, choices=Audience.choices)
    anonymous = models.BooleanField(
        "анонимная",
        default=True,
        help_text="Ответ анонимной анкеты не связан ни с участником, ни с его ссылкой",
    )
    description = models.TextField("вступительный текст", blank=True)
    created_at = models.DateTimeField("создана", auto_now_add=True)
    history = HistoricalRecords(verbose_name="история анкеты")

    class Meta:
        verbose_name = "анкета"
        verbose_name_plural = "анкеты"
        ordering = ["region__name", "title", "audience"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "title", "audience"],
                name="monitoring_questionnaire_unique_title",
                violation_error_message="В регионе уже есть такая анкета для этих участников.",
            ),
        ]

    def __str__(self):
        return f"{self.title} ({self.get_audience_display()})"


class Question(models.Model):
    """A question of a questionnaire: a 1–5 scale, a choice of given answers, or free text."""

    class Kind(models.TextChoices):
        SCALE = "scale", "оценка от 1 до 5"
        CHOICE = "choice", "выбор ответа"
        TEXT = "text", "свободный ответ"

    SCALE_MIN, SCALE_MAX = 1, 5
    SATISFIED_FROM = 4  # a satisfaction question answered 4 or 5 counts as «удовлетворён»

    questionnaire = models.ForeignKey(
        Questionnaire, models.CASCADE, related_name="questions", verbose_name="анкета"
    )
    order = models.PositiveSmallIntegerField("порядок", default=1)
    text = models.TextField("вопрос")
    kind = models.CharField("вид ответа", max_length=10, choices=Kind.choices, default=Kind.SCALE)
    choices = models.JSONField("варианты ответа", default=list, blank=True, help_text="Для выбора ответа")
    required = models.BooleanField("обязательный", default=True)
    counts_satisfaction = models.BooleanField(
        "вопрос об удовлетворённости",
        default=False,
        help_text="Ответ 4 или 5 считается «удовлетворён» (показатели F5 и F6)",
    )
    history = HistoricalRecords(verbose_name="история вопроса")

    class Meta:
        verbose_name = "вопрос анкеты"
        verbose_name_plural = "вопросы анкет"
        ordering = ["questionnaire", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["questionnaire"],
                condition=Q(counts_satisfaction=True),
                name="monitoring_question_one_satisfaction",
                violation_error_message="В анкете может быть только один вопрос об удовлетворённости.",
            ),
            models.CheckConstraint(
                condition=Q(counts_satisfaction=False) | Q(kind="scale"),
                name="monitoring_question_satisfaction_is_scale",
                violation_error_message="Вопрос об удовлетворённости — оценка от 1 до 5.",
            ),
        ]

    def __str__(self):
        return self.text

    def clean(self):
        if self.kind == self.Kind.CHOICE:
            options = [str(c).strip() for c in self.choices or [] if str(c).strip()]
            if len(options) < 2:
                raise ValidationError({"choices": "Укажите не менее двух вариантов ответа."})
            self.choices = options
        elif self.choices:
            raise ValidationError({"choices": "Варианты ответа бывают только у выбора ответа."})


class SurveyRound(models.Model):
    """One survey: a questionnaire sent over a period to the participants of a territory.

    The territory is the region, narrowed to a municipality or one organization. ``municipalities``
    lists the municipalities it covers (set on creation) and ``organizations`` the organizations
    whose participants got a link (set on opening), so that ``registry.access`` scopes rounds by
    one lookup, as campaigns. ``token_key`` is the round's random part of every link's token
    (``monitoring.surveys``); the tokens themselves are never stored.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "черновик"
        OPEN = "open", "идёт опрос"
        CLOSED = "closed", "завершён"

    questionnaire = models.ForeignKey(
        Questionnaire, models.PROTECT, related_name="rounds", verbose_name="анкета"
    )
    region = models.ForeignKey(Region, models.PROTECT, related_name="survey_rounds", verbose_name="регион")
    municipality = models.ForeignKey(
        Municipality,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="survey_rounds",
        verbose_name="муниципалитет",
        help_text="Пусто — весь регион",
    )
    organization = models.ForeignKey(
        Organization,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="survey_rounds",
        verbose_name="организация",
        help_text="Пусто — все организации территории",
    )
    title = models.CharField("наименование", max_length=500)
    period_start = models.DateField("период опроса: начало")
    period_end = models.DateField("период опроса: окончание", help_text="Ссылки действуют до этого дня")
    status = models.CharField("статус", max_length=10, choices=Status.choices, default=Status.DRAFT)
    opened_on = models.DateField("открыт", null=True, blank=True)
    closed_on = models.DateField("завершён", null=True, blank=True)
    skipped_minors = models.PositiveIntegerField("не приглашено несовершеннолетних без согласия", default=0)
    token_key = models.CharField("ключ ссылок", max_length=64, editable=False)
    municipalities = models.ManyToManyField(
        Municipality, related_name="covered_by_survey_rounds", verbose_name="муниципалитеты", blank=True
    )
    organizations = models.ManyToManyField(
        Organization, related_name="covered_by_survey_rounds", verbose_name="организации", blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="создал",
    )
    created_at = models.DateTimeField("создан", auto_now_add=True)
    history = HistoricalRecords(verbose_name="история опроса", excluded_fields=["token_key"])

    class Meta:
        verbose_name = "опрос участников"
        verbose_name_plural = "опросы участников"
        ordering = ["-period_end", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")),
                name="monitoring_surveyround_period_end_after_start",
                violation_error_message="Окончание периода не может быть раньше его начала.",
            ),
            models.CheckConstraint(
                condition=Q(organization__isnull=True) | Q(municipality__isnull=False),
                name="monitoring_surveyround_organization_has_municipality",
                violation_error_message="У опроса одной организации указывается и её муниципалитет.",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(opened_on__isnull=False),
                name="monitoring_surveyround_opened_has_date",
                violation_error_message="У открытого опроса должна быть дата открытия.",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def territory(self) -> Region | Municipality | Organization:
        return self.organization or self.municipality or self.region


class SurveyInvitation(models.Model):
    """One participant's personal link to a round: the SHA-256 of its token, never the token.

    ``person`` becomes empty when the person's personal data are destroyed; the organization and
    the role stay for the counts. ``answered_on`` (a day, nothing finer) is written by an UPDATE
    that leaves no history row: the history's timestamp would date the answer to the second.
    """

    class Role(models.TextChoices):
        MENTOR = "mentor", "наставник"
        MENTEE = "mentee", "наставляемый"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    round = models.ForeignKey(SurveyRound, models.CASCADE, related_name="invitations", verbose_name="опрос")
    person = models.ForeignKey(
        Person,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey_invitations",
        verbose_name="участник",
    )
    organization = models.ForeignKey(
        Organization, models.PROTECT, related_name="survey_invitations", verbose_name="организация"
    )
    role = models.CharField("роль", max_length=10, choices=Role.choices)
    token_hash = models.CharField("SHA-256 ссылки", max_length=64, unique=True, editable=False)
    expires_on = models.DateField("действует до")
    answered_on = models.DateField("ответ получен", null=True, blank=True)
    history = HistoricalRecords(
        verbose_name="история приглашения", excluded_fields=["token_hash", "answered_on"]
    )

    class Meta:
        verbose_name = "приглашение к опросу"
        verbose_name_plural = "приглашения к опросу"
        ordering = ["round", "organization", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "person"],
                name="monitoring_invitation_once",
                violation_error_message="Участник уже приглашён к этому опросу.",
            ),
        ]
        indexes = [models.Index(fields=["round", "organization", "role"], name="monitoring_invitation_org")]

    def __str__(self):
        return f"{self.round}: {self.get_role_display()}"


class SurveyResponse(models.Model):
    """One answered questionnaire: its round, school, role and day only.

    ``person`` only for a questionnaire that is not anonymous. No invitation, no user, no time:
    nothing leads from an anonymous response back to its link. The key is random, so the rows'
    order says nothing about who answered first. Not in simple-history: a history row would add
    the time of the answer to the second.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    round = models.ForeignKey(SurveyRound, models.CASCADE, related_name="responses", verbose_name="опрос")
    organization = models.ForeignKey(
        Organization, models.PROTECT, related_name="survey_responses", verbose_name="организация"
    )
    role = models.CharField("роль", max_length=10, choices=SurveyInvitation.Role.choices)
    answered_on = models.DateField("день ответа")
    person = models.ForeignKey(
        Person,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey_responses",
        verbose_name="участник (неанонимная анкета)",
    )

    class Meta:
        verbose_name = "ответ на анкету"
        verbose_name_plural = "ответы на анкеты"
        ordering = ["round", "organization", "role"]
        indexes = [models.Index(fields=["round", "organization", "role"], name="monitoring_response_org")]

    def __str__(self):
        return f"{self.round}: {self.get_role_display()}"


class SurveyAnswer(models.Model):
    """The answer to one question: a number (scale 1–5, or the choice's number from 1) or a text."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    response = models.ForeignKey(SurveyResponse, models.CASCADE, related_name="answers", verbose_name="ответ")
    question = models.ForeignKey(Question, models.PROTECT, related_name="answers", verbose_name="вопрос")
    value = models.PositiveSmallIntegerField("оценка или номер варианта", null=True, blank=True)
    text = models.TextField("текст ответа", blank=True)

    class Meta:
        verbose_name = "ответ на вопрос"
        verbose_name_plural = "ответы на вопросы"
        ordering = ["response", "question"]
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="monitoring_answer_once"),
        ]

    def __str__(self):
        return str(self.value if self.value is not None else self.text)


class SurveySchoolResult(models.Model):
    """A closed round's counts for one school whose participants got a link, stored when it closes.

    ``invited`` links, ``answered`` links, ``responses`` stored (the same as ``answered`` unless a
    response was lost). ``municipality`` is the school's on the closing day: the results of a closed
    round stay where they were counted. No person, no day: an anonymous aggregate
    (``monitoring.surveys.survey_round_store_results``, docs/domain.md §7). Deleted with the round.
    """

    round = models.ForeignKey(
        SurveyRound, models.CASCADE, related_name="school_results", verbose_name="опрос"
    )
    organization = models.ForeignKey(
        Organization, models.PROTECT, related_name="+", verbose_name="организация"
    )
    municipality = models.ForeignKey(
        Municipality, models.PROTECT, related_name="+", verbose_name="муниципалитет (на день завершения)"
    )
    role = models.CharField("роль", max_length=10, choices=SurveyInvitation.Role.choices)
    invited = models.PositiveIntegerField("приглашено")
    answered = models.PositiveIntegerField("ответили по ссылке")
    responses = models.PositiveIntegerField("ответов на анкету")

    class Meta:
        verbose_name = "итоги опроса по организации"
        verbose_name_plural = "итоги опросов по организациям"
        ordering = ["round_id", "organization_id"]  # the ids: no join to the rounds' own ordering
        constraints = [
            models.UniqueConstraint(fields=["round", "organization"], name="monitoring_school_result_once"),
        ]
        indexes = [models.Index(fields=["round", "municipality"], name="monitoring_school_result_mun")]

    def __str__(self):
        return f"{self.round}: {self.organization}"


class SurveyAnswerCount(models.Model):
    """A closed round's answers of one school to one question with one value (the scale's 1–5 or the
    option's number): ``answers`` of them. Stored with ``SurveySchoolResult``; text answers are not
    counted. The school's sums per question (responses, the scale's total, 4–5 answers, each
    option's count) are sums of these rows (docs/domain.md §7)."""

    round = models.ForeignKey(SurveyRound, models.CASCADE, related_name="answer_counts", verbose_name="опрос")
    organization = models.ForeignKey(
        Organization, models.PROTECT, related_name="+", verbose_name="организация"
    )
    municipality = models.ForeignKey(
        Municipality, models.PROTECT, related_name="+", verbose_name="муниципалитет (на день завершения)"
    )
    question = models.ForeignKey(Question, models.PROTECT, related_name="+", verbose_name="вопрос")
    value = models.PositiveSmallIntegerField("оценка или номер варианта")
    answers = models.PositiveIntegerField("ответов")

    class Meta:
        verbose_name = "число ответов опроса"
        verbose_name_plural = "числа ответов опросов"
        ordering = ["round_id", "organization_id", "question_id", "value"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "organization", "question", "value"], name="monitoring_answer_count_once"
            ),
        ]
        indexes = [models.Index(fields=["round", "municipality"], name="monitoring_answer_count_mun")]

    def __str__(self):
        return f"{self.round}: {self.organization}, {self.question_id} = {self.value}"
