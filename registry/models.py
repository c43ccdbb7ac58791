"""The registry: territory, organizations, people, bases and mentorships.

Rules that SQL can state are named database constraints (``registry_<model>_<rule>``);
rules that span rows or tables live in ``clean()`` and in ``services.py``.
"""

import dataclasses
import datetime
import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.db.models.lookups import LessThan
from django.utils import timezone
from simple_history.models import HistoricalRecords

from common.formats import share
from common.text import fold

from .jobs import Job

YOUNG_SPECIALIST_MAX_YEARS = 3  # a teacher in the first three years of work (0, 1 or 2 full years)
ADULT_AGE = 18  # below it, consent to processing personal data is given by a legal representative
# Versions of the consent text (152-ФЗ art. 9): a new text gets a new version, old consents keep theirs.
CONSENT_TEXT_VERSIONS = ("2026-1",)
CURRENT_CONSENT_TEXT_VERSION = CONSENT_TEXT_VERSIONS[-1]


def school_year_of(day: datetime.date) -> int:
    """A school year runs 1 September – 31 August and is named by the year it starts."""
    return day.year if day.month >= 9 else day.year - 1


def school_year_label(start_year: int) -> str:
    return f"{start_year}/{start_year + 1}"


def normalize_form_name(text: str) -> str:
    """«Учитель-учитель», «учитель – учитель», «учитель —  учитель» → «учитель – учитель»."""
    text = re.sub(r"\s*[-‐‑‒–—―−]\s*", " – ", (text or "").strip().lower())
    return re.sub(r"\s+", " ", text).replace("ё", "е")


# ---------------------------------------------------------------- territory


class Region(models.Model):
    code = models.CharField("код", max_length=20, unique=True)
    name = models.CharField("наименование", max_length=200)
    education_authority = models.CharField("орган управления образованием", max_length=300, blank=True)

    class Meta:
        verbose_name = "регион"
        verbose_name_plural = "регионы"
        ordering = ["name"]

    def __str__(self):
        return self.name


class Municipality(models.Model):
    region = models.ForeignKey(Region, models.PROTECT, related_name="municipalities", verbose_name="регион")
    code = models.CharField("код", max_length=20, unique=True)
    name = models.CharField("наименование", max_length=200)
    education_authority = models.CharField("отдел (управление) образования", max_length=300, blank=True)
    methodical_service = models.CharField("методическая служба (ИМК)", max_length=300, blank=True)

    class Meta:
        verbose_name = "муниципалитет"
        verbose_name_plural = "муниципалитеты"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="registry_municipality_unique_name"),
        ]

    def __str__(self):
        return self.name


class Organization(models.Model):
    class OrgType(models.TextChoices):
        SCHOOL = "school", "общеобразовательная"
        PRESCHOOL = "preschool", "дошкольная"
        ADDITIONAL = "additional", "дополнительного образования"
        COLLEGE = "college", "СПО"
        UNIVERSITY = "university", "вуз"
        DPO = "dpo", "ДПО"
        METHODICAL_SERVICE = "methodical_service", "методическая служба"
        AUTHORITY = "authority", "орган управления"
        EMPLOYER = "employer", "работодатель"

    class ModelStatus(models.TextChoices):
        NOT_STARTED = "not_started", "не начато"
        PREPARATION = "preparation", "подготовительный этап"
        IMPLEMENTATION = "implementation", "реализация"
        COMPLETED = "completed", "завершено"

    code = models.CharField(
        "код ОО", max_length=20, unique=True, help_text="Код образовательной организации в регионе"
    )
    full_name = models.CharField("наименование", max_length=500)
    short_name = models.CharField("краткое наименование", max_length=200, blank=True)
    municipality = models.ForeignKey(
        Municipality, models.PROTECT, related_name="organizations", verbose_name="муниципалитет"
    )
    org_type = models.CharField("тип ОО", max_length=20, choices=OrgType.choices, default=OrgType.SCHOOL)
    site_url = models.URLField("сайт", blank=True)
    model_status = models.CharField(
        "этап внедрения целевой модели",
        max_length=20,
        choices=ModelStatus.choices,
        default=ModelStatus.NOT_STARTED,
    )
    model_status_since = models.DateField("этап с", null=True, blank=True)
    # The names folded for search (common.text.fold of the short and the full name), kept by save()
    # and by every bulk write (docs/architecture.md §4.1); a copy, so not history.
    search_name = models.CharField(
        "наименование для поиска", max_length=710, default="", db_default="", editable=False
    )
    version = models.PositiveIntegerField("версия", default=1, editable=False)
    history = HistoricalRecords(verbose_name="история организации", excluded_fields=["search_name"])

    class Meta:
        verbose_name = "организация"
        verbose_name_plural = "организации"
        ordering = ["municipality__name", "full_name"]

    def __str__(self):
        return self.short_name or self.full_name

    def save(self, *args, **kwargs):
        self.search_name = organization_search_name(self.short_name, self.full_name)
        kwargs["update_fields"] = with_search_name(kwargs.get("update_fields"), ("short_name", "full_name"))
        super().save(*args, **kwargs)


def organization_search_name(short_name: str, full_name: str) -> str:
    """``Organization.search_name`` of these names: every bulk write of organizations sets it so."""
    return fold(f"{short_name} {full_name}")


def with_search_name(update_fields, sources: tuple[str, ...]):
    """``update_fields`` with ``search_name`` added when it writes one of the names it is folded from."""
    if update_fields is None or not set(update_fields) & set(sources):
        return update_fields
    return [*update_fields, "search_name"]


class OrganizationStatus(models.Model):
    """A dated status such as ШНОР or «школа-наставник», backed by a document."""

    class Kind(models.TextChoices):
        LOW_RESULTS = "low_results", "ШНОР"
        MENTOR_SCHOOL = "mentor_school", "школа-наставник"
        INTERNSHIP_SITE = "internship_site", "стажировочная площадка"
        INNOVATION_SITE = "innovation_site", "инновационная площадка"
        REGIONAL_OPERATOR = "regional_operator", "региональный оператор"
        MINPROS_SCHOOL = "minpros_school", "«Школа Минпросвещения России»"

    organization = models.ForeignKey(
        Organization, models.CASCADE, related_name="statuses", verbose_name="организация"
    )
    kind = models.CharField("статус", max_length=20, choices=Kind.choices)
    start_date = models.DateField("с")
    end_date = models.DateField("по", null=True, blank=True)
    basis = models.CharField("основание (документ)", max_length=500, blank=True)

    class Meta:
        verbose_name = "статус организации"
        verbose_name_plural = "статусы организаций"
        ordering = ["organization", "kind", "start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="registry_organizationstatus_end_after_start",
            ),
            models.UniqueConstraint(
                fields=["organization", "kind", "start_date"], name="registry_organizationstatus_unique"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} с {self.start_date:%d.%m.%Y}"


class Headcount(models.Model):
    """Контингент: the denominators of every share, per organization and school year."""

    organization = models.ForeignKey(
        Organization, models.CASCADE, related_name="headcounts", verbose_name="организация"
    )
    school_year = models.PositiveSmallIntegerField(
        "учебный год",
        validators=[MinValueValidator(2000), MaxValueValidator(2100)],
        help_text="Год начала учебного года: 2022 означает 2022/2023",
    )
    teachers = models.PositiveIntegerField("педагогов всего")
    young_specialists = models.PositiveIntegerField("молодых специалистов")
    students = models.PositiveIntegerField("обучающихся всего")
    students_10_plus = models.PositiveIntegerField("обучающихся от 10 лет", null=True, blank=True)
    history = HistoricalRecords(verbose_name="история контингента")

    class Meta:
        verbose_name = "контингент"
        verbose_name_plural = "контингент"
        ordering = ["organization", "-school_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "school_year"], name="registry_headcount_one_per_year"
            ),
            models.CheckConstraint(
                condition=Q(young_specialists__lte=F("teachers")),
                name="registry_headcount_young_within_teachers",
                violation_error_message="Молодых специалистов не может быть больше, чем педагогов.",
            ),
            models.CheckConstraint(
                condition=Q(students_10_plus__isnull=True) | Q(students_10_plus__lte=F("students")),
                name="registry_headcount_10plus_within_students",
                violation_error_message="Обучающихся от 10 лет не может быть больше, чем обучающихся всего.",
            ),
        ]

    def __str__(self):
        return f"{self.organization}, {school_year_label(self.school_year)}"

    @property
    def school_year_label(self):
        return school_year_label(self.school_year)


# ---------------------------------------------------------------- people


class Category(models.TextChoices):
    STUDENT = "student", "обучающийся"
    COLLEGE_STUDENT = "college_student", "студент"
    TEACHER = "teacher", "педагог"
    HEAD = "head", "руководитель"
    EMPLOYER_REP = "employer_rep", "представитель работодателя"
    GRADUATE = "graduate", "выпускник"


ORGANIZATION_SIDE = "organization"  # a form whose side is an organization, as in «ОО – ОО»


def age_on(birth_date: datetime.date, day: datetime.date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


class Person(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, models.PROTECT, related_name="people", verbose_name="организация"
    )
    full_name = models.CharField("ФИО", max_length=300)
    # common.text.fold(full_name): what the searches compare (docs/architecture.md §4.1); kept
    # by save() and by every bulk write; a copy of the name, so not history.
    search_name = models.CharField(
        "ФИО для поиска", max_length=300, default="", db_default="", editable=False
    )
    birth_date = models.DateField("дата рождения")
    category = models.CharField("категория", max_length=20, choices=Category.choices)
    position = models.CharField("должность", max_length=200, blank=True)
    subject = models.CharField("предмет", max_length=200, blank=True)
    grade = models.CharField("класс", max_length=10, blank=True)
    teaching_experience = models.PositiveSmallIntegerField(
        "педагогический стаж, лет", null=True, blank=True, validators=[MaxValueValidator(70)]
    )
    email = models.EmailField("email", blank=True)
    phone = models.CharField("телефон", max_length=30, blank=True)
    # 152-ФЗ art. 9: no record without a consent; a minor's is given by a legal representative.
    consent_date = models.DateField("дата согласия на обработку персональных данных", null=True)
    consent_giver = models.CharField(
        "законный представитель, давший согласие",
        max_length=300,
        blank=True,
        help_text="ФИО родителя или иного законного представителя; для совершеннолетнего не заполняется",
    )
    consent_text_version = models.CharField(
        "версия текста согласия",
        max_length=20,
        choices=[(v, v) for v in CONSENT_TEXT_VERSIONS],
        default=CURRENT_CONSENT_TEXT_VERSION,
    )
    version = models.PositiveIntegerField("версия", default=1, editable=False)
    created_at = models.DateTimeField("создан", auto_now_add=True)
    updated_at = models.DateTimeField("изменён", auto_now=True)
    history = HistoricalRecords(verbose_name="история участника", excluded_fields=["search_name"])

    class Meta:
        verbose_name = "участник"
        verbose_name_plural = "участники"
        ordering = ["full_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "full_name", "birth_date"],
                name="registry_person_natural_key",
                violation_error_message="Участник с такими ФИО и датой рождения уже есть в этой организации.",
            ),
            models.CheckConstraint(
                condition=Q(consent_date__isnull=False) & ~Q(consent_text_version=""),
                name="registry_person_has_consent",
                violation_error_message=(
                    "Укажите дату согласия на обработку персональных данных и версию его текста."
                ),
            ),
        ]

    def __str__(self):
        return self.full_name

    def save(self, *args, **kwargs):
        self.search_name = fold(self.full_name)
        kwargs["update_fields"] = with_search_name(kwargs.get("update_fields"), ("full_name",))
        super().save(*args, **kwargs)

    @property
    def needs_representative(self) -> bool:
        """A pupil, or anyone under 18 on the day of the consent, cannot consent for himself."""
        if self.category == Category.STUDENT:
            return True
        return bool(
            self.birth_date and self.consent_date and age_on(self.birth_date, self.consent_date) < ADULT_AGE
        )

    @property
    def is_young_specialist(self) -> bool:
        return (
            self.category == Category.TEACHER
            and self.teaching_experience is not None
            and self.teaching_experience < YOUNG_SPECIALIST_MAX_YEARS
        )

    def clean(self):
        errors = {}
        if self.birth_date and self.birth_date > timezone.localdate():
            errors["birth_date"] = "Дата рождения не может быть в будущем."
        if self.category == Category.STUDENT and self.teaching_experience:
            errors["teaching_experience"] = "У обучающегося не может быть педагогического стажа."
        errors.update(consent_errors(self))
        if errors:
            raise ValidationError(errors)


CONSENT_DATE_MISSING = "Укажите дату согласия на обработку персональных данных."
CONSENT_VERSION_MISSING = "Укажите версию текста согласия."
CONSENT_IN_FUTURE = "Дата согласия не может быть в будущем."
CONSENT_BEFORE_BIRTH = "Дата согласия не может быть раньше даты рождения."
CONSENT_GIVER_MISSING = "Участник несовершеннолетний: укажите ФИО законного представителя, давшего согласие."


def consent_errors(person: "Person", today: datetime.date | None = None) -> dict:
    """{field: message} of the consent rules (docs/reliability.md §3.1); the import checks rows with it
    too."""
    today = today or timezone.localdate()
    errors = {}
    if not person.consent_date:
        errors["consent_date"] = CONSENT_DATE_MISSING
    elif person.consent_date > today:
        errors["consent_date"] = CONSENT_IN_FUTURE
    elif person.birth_date and person.consent_date < person.birth_date:
        errors["consent_date"] = CONSENT_BEFORE_BIRTH
    if not (person.consent_text_version or "").strip():
        errors["consent_text_version"] = CONSENT_VERSION_MISSING
    if person.needs_representative and not (person.consent_giver or "").strip():
        errors["consent_giver"] = CONSENT_GIVER_MISSING
    return errors


class BaseMembership(models.Model):
    """A person's entry in an organization's base of mentors or base of mentees."""

    class Base(models.TextChoices):
        MENTORS = "mentors", "база наставников"
        MENTEES = "mentees", "база наставляемых"

    organization = models.ForeignKey(
        Organization, models.CASCADE, related_name="base_memberships", verbose_name="организация"
    )
    person = models.ForeignKey(
        Person, models.CASCADE, related_name="base_memberships", verbose_name="участник"
    )
    base = models.CharField("база", max_length=10, choices=Base.choices)
    trained_as_mentor = models.BooleanField("обучен как наставник", default=False)
    competences = models.CharField("компетенции, интересы", max_length=500, blank=True)
    request = models.CharField("запрос наставляемого", max_length=500, blank=True)
    included_on = models.DateField("включён в базу", default=datetime.date.today)
    archived_on = models.DateField("исключён из базы", null=True, blank=True)
    history = HistoricalRecords(verbose_name="история баз")

    class Meta:
        verbose_name = "запись в базе наставников / наставляемых"
        verbose_name_plural = "базы наставников и наставляемых"
        ordering = ["organization", "base", "person__full_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "person", "base"], name="registry_basemembership_once_per_base"
            ),
            models.CheckConstraint(
                condition=Q(archived_on__isnull=True) | Q(archived_on__gte=F("included_on")),
                name="registry_basemembership_archived_after_included",
            ),
            models.CheckConstraint(
                condition=Q(base="mentors") | Q(trained_as_mentor=False),
                name="registry_basemembership_training_only_for_mentors",
            ),
        ]

    def __str__(self):
        return f"{self.person} — {self.get_base_display()}"


# ---------------------------------------------------------------- forms of mentoring


class MentoringForm(models.Model):
    """A form of mentoring as data: regions add their own (docs/domain.md §3)."""

    class System(models.TextChoices):
        STUDENTS = "students", "целевая модель наставничества обучающихся"
        TEACHERS = "teachers", "система наставничества педагогических работников"
        ORGANIZATIONS = "organizations", "сетевое взаимодействие организаций"

    code = models.SlugField("код", max_length=40, unique=True)
    name = models.CharField("наименование", max_length=200, unique=True)
    normalized_name = models.CharField("наименование для поиска", max_length=200, unique=True, editable=False)
    system = models.CharField("система", max_length=20, choices=System.choices)
    is_federal = models.BooleanField("федеральная форма", default=False)
    mentor_categories = models.JSONField(
        "кто может быть наставником",
        default=list,
        help_text="Коды категорий участников (teacher, student, …) или organization для организаций",
    )
    mentee_categories = models.JSONField("кто может быть наставляемым", default=list)
    sort_order = models.PositiveSmallIntegerField("порядок", default=100)
    is_active = models.BooleanField("используется", default=True)

    class Meta:
        verbose_name = "форма наставничества"
        verbose_name_plural = "формы наставничества"
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.normalized_name = normalize_form_name(self.name)
        super().save(*args, **kwargs)

    @property
    def links_organizations(self) -> bool:
        return ORGANIZATION_SIDE in self.mentor_categories

    def admits(self, role: str, category: str) -> bool:
        """Whether a participant of ``category`` (``ORGANIZATION_SIDE`` for an organization) may be
        the ``role``, "mentor" or "mentee", of a pair in this form. The one check of a pair's
        validation, the services, a person's edit and the workbook's import; the pair form offers
        the people of these same lists (``category__in``)."""
        return category in (self.mentor_categories if role == "mentor" else self.mentee_categories)

    def clean(self):
        allowed = set(Category.values) | {ORGANIZATION_SIDE}
        for field in ("mentor_categories", "mentee_categories"):
            value = getattr(self, field)
            if not isinstance(value, list) or not value or not set(value) <= allowed:
                raise ValidationError(
                    {field: "Укажите список категорий: " + ", ".join(sorted(allowed)) + "."}
                )
        if (ORGANIZATION_SIDE in self.mentor_categories) != (ORGANIZATION_SIDE in self.mentee_categories):
            raise ValidationError("Форма связывает либо людей, либо организации с обеих сторон.")


# ---------------------------------------------------------------- mentorships


class MentorshipQuerySet(models.QuerySet):
    """Pairs by what their curator must act on; each rule is written once, in ``PAIR_ALERTS``."""

    def alert(self, code: str, today: datetime.date | None = None) -> "MentorshipQuerySet":
        return self.filter(PAIR_ALERTS[code].condition(today))

    def ending_soon(self, today: datetime.date) -> "MentorshipQuerySet":
        return self.alert("ending", today)

    def overdue(self, today: datetime.date) -> "MentorshipQuerySet":
        return self.alert("overdue", today)

    def without_agreement(self) -> "MentorshipQuerySet":
        return self.alert("no_agreement")

    def completed_without_result(self) -> "MentorshipQuerySet":
        return self.alert("no_result")

    def drafts(self) -> "MentorshipQuerySet":
        return self.alert("draft")

    def silent(self, as_of: datetime.date, weeks: int | None = None) -> "MentorshipQuerySet":
        """Active pairs whose last meeting, or start without one, is more than ``weeks`` weeks
        (``settings.SILENT_PAIR_WEEKS``) before ``as_of`` (docs/domain.md §4.2)."""
        return self.filter(silent_condition(as_of, weeks))

    def with_last_meeting(self) -> "MentorshipQuerySet":
        """The pairs as they are: ``last_meeting_on`` is a column of the pair, kept by
        ``registry.meetings`` (no subquery any more). Kept so that the callers say what they read."""
        return self.all()


END_DATE_REQUIRED = "У завершённой или прекращённой пары укажите дату окончания."
END_BEFORE_START = "Дата окончания не может быть раньше даты начала."
TERMINATION_REASON_REQUIRED = "Укажите причину досрочного прекращения."


MENTEE_ASSESSMENT_RANGE = "Самооценка наставляемого — число от 1 до 5."


class GoalReached(models.TextChoices):
    """Whether the pair reached its goal, answered at completion."""

    YES = "yes", "да"
    PARTLY = "partly", "частично"
    NO = "no", "нет"


class Mentorship(models.Model):
    """A pair or a group: one mentor (person or organization), one or more mentees."""

    class Status(models.TextChoices):
        DRAFT = "draft", "черновик"
        ACTIVE = "active", "действует"
        COMPLETED = "completed", "завершена"
        TERMINATED = "terminated", "прекращена досрочно"

    class Mode(models.TextChoices):
        INDIVIDUAL = "individual", "индивидуальное"
        GROUP = "group", "групповое"
        VIRTUAL = "virtual", "виртуальное"
        REVERSE = "reverse", "реверсивное"
        SITUATIONAL = "situational", "ситуационное"
        SHORT_TERM = "short_term", "краткосрочное"
        SPEED = "speed", "скоростное"
        LONG_TERM = "long_term", "долгосрочное"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization,
        models.PROTECT,
        related_name="mentorships",
        verbose_name="организация",
        help_text="Организация, в которой сформирована пара или группа",
    )
    mentoring_form = models.ForeignKey(
        MentoringForm, models.PROTECT, related_name="mentorships", verbose_name="форма наставничества"
    )
    mode = models.CharField("вид наставничества", max_length=12, choices=Mode.choices, blank=True)
    group_name = models.CharField("группа", max_length=100, blank=True)
    mentor_person = models.ForeignKey(
        Person,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="mentorships_as_mentor",
        verbose_name="наставник",
    )
    mentor_organization = models.ForeignKey(
        Organization,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="mentorships_as_mentor",
        verbose_name="ОО-наставник",
    )
    status = models.CharField("статус", max_length=12, choices=Status.choices, default=Status.DRAFT)
    start_date = models.DateField("дата начала")
    planned_end_date = models.DateField("плановая дата окончания", null=True, blank=True)
    end_date = models.DateField("дата окончания", null=True, blank=True)
    agreement_date = models.DateField("дата соглашения", null=True, blank=True)
    # The signed agreement's scan (PDF, JPEG, PNG): stored under a random name, given only through the
    # pair's scope check (registry.agreements).
    agreement_file = models.FileField(
        "скан подписанного соглашения", upload_to="agreements/%Y/", blank=True, max_length=200
    )
    goal = models.TextField("цель", blank=True)
    mentee_request = models.TextField("запрос наставляемого", blank=True)
    result = models.TextField("результат", blank=True)
    termination_reason = models.TextField("причина досрочного прекращения", blank=True)
    # Effectiveness recorded at completion (docs/domain.md §4): the plan's figures copied then,
    # the goal, the mentee's own assessment. Portal-only: the workbook does not carry them.
    plan_items_done = models.PositiveSmallIntegerField(
        "задач плана выполнено на момент завершения", null=True, blank=True
    )
    plan_items_total = models.PositiveSmallIntegerField(
        "задач плана (запланировано и выполнено) на момент завершения", null=True, blank=True
    )
    goal_reached = models.CharField("цель достигнута", max_length=8, choices=GoalReached.choices, blank=True)
    mentee_assessment = models.PositiveSmallIntegerField(
        "самооценка наставляемого",
        null=True,
        blank=True,
        validators=[
            MinValueValidator(1, MENTEE_ASSESSMENT_RANGE),
            MaxValueValidator(5, MENTEE_ASSESSMENT_RANGE),
        ],
        help_text="От 1 до 5",
    )
    effect_comment = models.CharField("комментарий к результативности", max_length=500, blank=True)
    # The date of the pair's latest meeting (None without one), kept by registry.meetings with an
    # UPDATE in the meeting's own transaction: the alert «silent» reads it instead of a subquery per
    # pair (bench/README.md). A copy of the meetings' dates, so not history (the meetings have theirs).
    last_meeting_on = models.DateField("дата последней встречи", null=True, blank=True, editable=False)
    version = models.PositiveIntegerField("версия", default=1, editable=False)
    created_at = models.DateTimeField("создана", auto_now_add=True)
    updated_at = models.DateTimeField("изменена", auto_now=True)
    history = HistoricalRecords(verbose_name="история пары", excluded_fields=["last_meeting_on"])

    objects = MentorshipQuerySet.as_manager()

    class Meta:
        verbose_name = "наставническая пара"
        verbose_name_plural = "наставнические пары"
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="registry_mentorship_end_after_start",
                violation_error_message="Дата окончания не может быть раньше даты начала.",
            ),
            models.CheckConstraint(
                condition=Q(planned_end_date__isnull=True) | Q(planned_end_date__gte=F("start_date")),
                name="registry_mentorship_planned_end_after_start",
                violation_error_message="Плановая дата окончания не может быть раньше даты начала.",
            ),
            models.CheckConstraint(
                condition=(
                    Q(mentor_person__isnull=False, mentor_organization__isnull=True)
                    | Q(mentor_person__isnull=True, mentor_organization__isnull=False)
                ),
                name="registry_mentorship_one_mentor",
                violation_error_message="Укажите наставника: либо участника, либо организацию.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["completed", "terminated"], end_date__isnull=False)
                | Q(status__in=["draft", "active"]),
                name="registry_mentorship_closed_has_end_date",
                violation_error_message="У завершённой или прекращённой пары должна быть дата окончания.",
            ),
            models.CheckConstraint(
                condition=Q(mentee_assessment__isnull=True) | Q(mentee_assessment__range=(1, 5)),
                name="registry_mentorship_assessment_1_5",
                violation_error_message=MENTEE_ASSESSMENT_RANGE,
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "status"], name="registry_ms_org_status"),
            # The list of pairs (docs/architecture.md §4.2): a region's pairs are picked and sorted by
            # any of their own columns from this index alone (bench/README.md).
            models.Index(
                fields=["organization"],
                include=[
                    "id",
                    "start_date",
                    "status",
                    "mentoring_form",
                    "mentor_person",
                    "mentor_organization",
                ],
                name="registry_ms_org_list",
            ),
            # The alert «silent»: the active pairs of a school by their last meeting (or start).
            models.Index(
                F("organization"),
                Coalesce(F("last_meeting_on"), F("start_date")),
                condition=Q(status="active"),
                name="registry_ms_silent",
            ),
        ]

    def __str__(self):
        mentor = self.mentor_person or self.mentor_organization
        return f"{self.mentoring_form}: {mentor}"

    def save(self, *args, **kwargs):
        """A loaded pair saved whole writes every field but ``last_meeting_on``: that one belongs to
        ``registry.meetings``, and an older copy of the pair in memory must not take it back."""
        if not self._state.adding and not args and kwargs.get("update_fields") is None:
            if not kwargs.get("force_insert"):
                deferred = self.get_deferred_fields()  # as Django does: the loaded fields only
                kwargs["update_fields"] = [
                    f.name
                    for f in self._meta.concrete_fields
                    if not f.primary_key and f.attname not in deferred and f.name != "last_meeting_on"
                ]
        super().save(*args, **kwargs)

    @property
    def is_group(self) -> bool:
        return self.links.count() > 1

    GOAL_PHRASES = {
        "yes": "цель достигнута",
        "partly": "цель достигнута частично",
        "no": "цель не достигнута",
    }

    @property
    def effectiveness(self) -> str:
        """«задачи плана 4 из 5 (80 %), цель достигнута, самооценка наставляемого 5 из 5»;
        "" for a pair completed without it (before the fields existed, or imported)."""
        if not self.goal_reached:
            return ""
        total = self.plan_items_total or 0
        progress = PlanProgress(self.plan_items_done or 0, total)
        plan = f"задачи плана {progress}" if total else "задач плана не было"
        parts = [plan, self.GOAL_PHRASES[self.goal_reached]]
        if self.mentee_assessment:
            parts.append(f"самооценка наставляемого {self.mentee_assessment} из 5")
        return ", ".join(parts)

    @classmethod
    def status_errors(
        cls,
        status: str,
        start_date: datetime.date | None,
        end_date: datetime.date | None,
        termination_reason: str = "",
    ) -> dict[str, str]:
        """What a pair in ``status`` needs (docs/domain.md §4): a closed pair its end date, not
        before the start; a terminated one its reason. ``clean`` and the workbook import (through
        ``services.mentorship_check_status``) both ask here. A result is not required: a completed
        pair without one is the alert «no_result»."""
        errors = {}
        if status in (cls.Status.COMPLETED, cls.Status.TERMINATED) and not end_date:
            errors["end_date"] = END_DATE_REQUIRED
        if end_date and start_date and end_date < start_date:
            errors["end_date"] = END_BEFORE_START
        if status == cls.Status.TERMINATED and not termination_reason.strip():
            errors["termination_reason"] = TERMINATION_REASON_REQUIRED
        return errors

    def clean(self):
        errors = {}
        form = getattr(self, "mentoring_form", None) if self.mentoring_form_id else None
        if form is not None:
            if form.links_organizations:
                if self.mentor_person_id:
                    errors["mentor_person"] = (
                        f"В форме «{form.name}» наставником выступает организация, а не участник."
                    )
                elif not self.mentor_organization_id:
                    errors["mentor_organization"] = f"В форме «{form.name}» укажите ОО-наставника."
            else:
                if self.mentor_organization_id:
                    errors["mentor_organization"] = (
                        f"В форме «{form.name}» наставником выступает участник, а не организация."
                    )
                elif not self.mentor_person_id:
                    errors["mentor_person"] = "Укажите наставника."
                elif not form.admits("mentor", self.mentor_person.category):
                    errors["mentor_person"] = (
                        f"В форме «{form.name}» наставником не может быть "
                        f"{self.mentor_person.get_category_display()}."
                    )
        errors.update(
            self.status_errors(self.status, self.start_date, self.end_date, self.termination_reason)
        )
        if self.planned_end_date and self.start_date and self.planned_end_date < self.start_date:
            errors["planned_end_date"] = "Плановая дата окончания не может быть раньше даты начала."
        if errors:
            raise ValidationError(errors)


# ---------------------------------------------------------------- what a pair's curator must act on

ENDING_SOON_DAYS = 30  # «заканчиваются в ближайшие 30 дней»


@dataclasses.dataclass(frozen=True)
class PairAlert:
    """One rule, in its two forms side by side.

    ``condition`` selects the pairs in the database: ``Mentorship.objects.alert(code, today)``,
    the list's filters and the dashboard's counts (``Count(filter=condition)``). ``holds`` tells
    it of one loaded pair, without a query: the warnings of the list and the card. Change both
    together; tests/registry/test_pair_alerts.py holds them to agree on a table of pairs.
    """

    condition: Callable[[datetime.date | None], Q]
    holds: Callable[[Mentorship, datetime.date | None], bool]


def _ending_by(today: datetime.date) -> datetime.date:
    return today + datetime.timedelta(days=ENDING_SOON_DAYS)


_ACTIVE, _COMPLETED, _DRAFT = Mentorship.Status.ACTIVE, Mentorship.Status.COMPLETED, Mentorship.Status.DRAFT


def silent_since(today: datetime.date, weeks: int | None = None) -> datetime.date:
    """The day a pair's last meeting (or start) must not be before: ``weeks`` weeks before ``today``."""
    weeks = settings.SILENT_PAIR_WEEKS if weeks is None else weeks
    return today - datetime.timedelta(weeks=weeks)


def silent_weeks_label(weeks: int | None = None) -> str:
    """«более 4 недель», «более 1 недели»: how long a silent pair has had no meeting."""
    weeks = settings.SILENT_PAIR_WEEKS if weeks is None else weeks
    word = "недели" if weeks % 10 == 1 and weeks % 100 != 11 else "недель"
    return f"более {weeks} {word}"


def last_meeting_subquery(pair: str = "pk") -> Subquery:
    """The date of the latest meeting of the pair ``pair`` names (None without one): what
    ``Mentorship.last_meeting_on`` holds, computed (its writes and its migration)."""
    return Subquery(
        Meeting.objects.filter(mentorship=OuterRef(pair)).order_by("-date").values("date")[:1],
        output_field=models.DateField(),
    )


def silent_condition(today: datetime.date, weeks: int | None = None) -> Q:
    """Active, and the last meeting (or, with none, the start) is more than ``weeks`` weeks ago:
    the stored ``last_meeting_on``, in the expression of the partial index ``registry_ms_silent``."""
    last = Coalesce(F("last_meeting_on"), F("start_date"))
    return Q(status=_ACTIVE) & Q(LessThan(last, silent_since(today, weeks)))


def silent_holds(pair: "Mentorship", today: datetime.date, weeks: int | None = None) -> bool:
    """``silent_condition`` of one loaded pair (its stored ``last_meeting_on``)."""
    last = pair.last_meeting_on or pair.start_date
    return pair.status == _ACTIVE and last < silent_since(today, weeks)


# By the code the list's filters, the warnings and the dashboard's links share.
PAIR_ALERTS: dict[str, PairAlert] = {
    # Active, the planned end today or within ENDING_SOON_DAYS days.
    "ending": PairAlert(
        lambda today: Q(status=_ACTIVE, planned_end_date__gte=today, planned_end_date__lte=_ending_by(today)),
        lambda pair, today: (
            pair.status == _ACTIVE
            and pair.planned_end_date is not None
            and today <= pair.planned_end_date <= _ending_by(today)
        ),
    ),
    # Active, the planned end has passed.
    "overdue": PairAlert(
        lambda today: Q(status=_ACTIVE, planned_end_date__lt=today),
        lambda pair, today: (
            pair.status == _ACTIVE and pair.planned_end_date is not None and pair.planned_end_date < today
        ),
    ),
    # Active without the date of its agreement.
    "no_agreement": PairAlert(
        lambda today: Q(status=_ACTIVE, agreement_date__isnull=True),
        lambda pair, today: pair.status == _ACTIVE and pair.agreement_date is None,
    ),
    # Completed, its result not written (the field is never NULL).
    "no_result": PairAlert(
        lambda today: Q(status=_COMPLETED, result=""),
        lambda pair, today: pair.status == _COMPLETED and not pair.result,
    ),
    # Not started yet: a draft.
    "draft": PairAlert(lambda today: Q(status=_DRAFT), lambda pair, today: pair.status == _DRAFT),
    # Active, no meeting for more than settings.SILENT_PAIR_WEEKS weeks (the start when none):
    # both read the pair's stored ``last_meeting_on`` (registry.meetings keeps it).
    "silent": PairAlert(silent_condition, silent_holds),
}


COUNTED_STATUSES = [Mentorship.Status.ACTIVE, Mentorship.Status.COMPLETED, Mentorship.Status.TERMINATED]


class MentorshipLink(models.Model):
    """One mentor–mentee link of a mentorship: a pair has one, a group several.

    The mentorship's organization, form, mentor, status and dates are copied here by
    ``services.mentorship_sync_links`` so that (1) the database itself can refuse a second
    active mentorship for the same mentor, mentee and form, and (2) the counting selectors
    read one table with one GROUP BY instead of joining per row.
    """

    mentorship = models.ForeignKey(Mentorship, models.CASCADE, related_name="links", verbose_name="пара")
    mentee_person = models.ForeignKey(
        Person,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="links_as_mentee",
        verbose_name="наставляемый",
    )
    mentee_organization = models.ForeignKey(
        Organization,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="links_as_mentee",
        verbose_name="ОО-наставляемая",
    )
    # Copies of the mentorship's fields (see the docstring).
    organization = models.ForeignKey(
        Organization, models.PROTECT, related_name="+", editable=False, verbose_name="организация"
    )
    mentoring_form = models.ForeignKey(
        MentoringForm, models.PROTECT, related_name="+", editable=False, verbose_name="форма наставничества"
    )
    mentor_person = models.ForeignKey(
        Person, models.PROTECT, null=True, related_name="+", editable=False, verbose_name="наставник"
    )
    mentor_organization = models.ForeignKey(
        Organization, models.PROTECT, null=True, related_name="+", editable=False, verbose_name="ОО-наставник"
    )
    status = models.CharField("статус", max_length=12, choices=Mentorship.Status.choices, editable=False)
    start_date = models.DateField("дата начала", editable=False)
    end_date = models.DateField("дата окончания", null=True, editable=False)
    # Copies of the participants' attributes that the figures group and filter by, so that no
    # counting query joins the people table (bench/README.md: a region's report 99 → 19 ms).
    # Kept in step by services.mentorship_sync_links and services.person_sync_links.
    mentor_category = models.CharField(
        "категория наставника", max_length=20, choices=Category.choices, blank=True, editable=False
    )
    mentee_category = models.CharField(
        "категория наставляемого", max_length=20, choices=Category.choices, blank=True, editable=False
    )
    mentee_teaching_experience = models.PositiveSmallIntegerField(
        "педагогический стаж наставляемого", null=True, editable=False
    )
    mentee_birth_date = models.DateField("дата рождения наставляемого", null=True, editable=False)
    # The copies are not history: a person's own history keeps them, once.
    history = HistoricalRecords(
        verbose_name="история состава пар",
        excluded_fields=[
            "mentor_category",
            "mentee_category",
            "mentee_teaching_experience",
            "mentee_birth_date",
        ],
    )

    class Meta:
        verbose_name = "наставляемый в паре"
        verbose_name_plural = "наставляемые в парах"
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(mentee_person__isnull=False, mentee_organization__isnull=True)
                    | Q(mentee_person__isnull=True, mentee_organization__isnull=False)
                ),
                name="registry_mentorshiplink_one_mentee",
                violation_error_message="Укажите наставляемого: либо участника, либо организацию.",
            ),
            models.CheckConstraint(
                condition=~Q(mentee_person=F("mentor_person")),
                name="registry_mentorshiplink_not_own_mentor",
                violation_error_message="Наставник не может быть своим наставляемым.",
            ),
            models.CheckConstraint(
                condition=~Q(mentee_organization=F("mentor_organization")),
                name="registry_mentorshiplink_not_own_mentor_org",
                violation_error_message="Организация не может быть наставником самой себе.",
            ),
            models.UniqueConstraint(
                fields=["mentorship", "mentee_person"],
                condition=Q(mentee_person__isnull=False),
                name="registry_mentorshiplink_person_once",
                violation_error_message="Этот наставляемый уже есть в паре.",
            ),
            models.UniqueConstraint(
                fields=["mentorship", "mentee_organization"],
                condition=Q(mentee_organization__isnull=False),
                name="registry_mentorshiplink_org_once",
                violation_error_message="Эта организация уже есть в паре.",
            ),
            models.UniqueConstraint(
                fields=["mentor_person", "mentee_person", "mentoring_form"],
                condition=Q(status="active"),
                name="registry_mentorshiplink_one_active_person",
                violation_error_message=(
                    "У этого наставника уже есть действующая пара с этим наставляемым в этой форме."
                ),
            ),
            models.UniqueConstraint(
                fields=["mentor_organization", "mentee_organization", "mentoring_form"],
                condition=Q(status="active"),
                name="registry_mentorshiplink_one_active_org",
                violation_error_message=(
                    "У этой ОО-наставника уже есть действующее взаимодействие с этой ОО в этой форме."
                ),
            ),
        ]
        # The counting selectors read links by organization; on PostgreSQL a covering index
        # (migration 0004) lets them do it from the index alone. An index led by the form was
        # dropped: the planner walked it for the whole country and read ~1 M rows at random.

    def __str__(self):
        return str(self.mentee_person or self.mentee_organization)


# ---------------------------------------------------------------- documents, courses, contests, practices


def _region_id(organization: "Organization") -> int:
    return organization.municipality.region_id


class NormativeDocument(models.Model):
    class DocType(models.TextChoices):
        ORDER = "order", "приказ"
        DIRECTIVE = "directive", "распоряжение"
        LETTER = "letter", "письмо"
        REGULATION = "regulation", "положение"
        TARGET_MODEL = "target_model", "целевая модель"
        ROAD_MAP = "road_map", "дорожная карта / план"
        PROGRAM = "program", "программа наставничества"
        IPN = "ipn", "индивидуальная программа наставничества"
        GUIDELINES = "guidelines", "методические рекомендации"
        AGREEMENT = "agreement", "соглашение"

    class Level(models.TextChoices):
        FEDERAL = "federal", "федеральный"
        REGIONAL = "regional", "региональный"
        MUNICIPAL = "municipal", "муниципальный"
        ORGANIZATION = "organization", "ОО"

    region = models.ForeignKey(Region, models.CASCADE, related_name="documents", verbose_name="регион")
    municipality = models.ForeignKey(
        Municipality,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name="муниципалитет",
    )
    organization = models.ForeignKey(
        Organization,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name="организация",
    )
    doc_type = models.CharField("вид документа", max_length=20, choices=DocType.choices)
    level = models.CharField("уровень", max_length=20, choices=Level.choices)
    issuer = models.CharField("кем издан", max_length=300, blank=True)
    number = models.CharField("номер", max_length=50, blank=True)
    date = models.DateField("дата")
    title = models.CharField("наименование", max_length=1000)
    # common.text.fold(title): what the header search compares (docs/architecture.md §4.1), kept by
    # save() (documents are written one by one: the organization's page, the admin, the demo).
    search_name = models.CharField(
        "наименование для поиска", max_length=1000, default="", db_default="", editable=False
    )
    file = models.FileField("файл", upload_to="documents/%Y/", blank=True)
    site_url = models.URLField("ссылка на сайте", blank=True, max_length=500)
    published_on_site = models.BooleanField("размещён на сайте", default=False)

    class Meta:
        verbose_name = "нормативный документ"
        verbose_name_plural = "нормативные документы"
        ordering = ["-date"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(level="organization") | Q(organization__isnull=False),
                name="registry_normativedocument_org_level_has_org",
                violation_error_message="У документа уровня ОО укажите организацию.",
            ),
            models.CheckConstraint(
                condition=~Q(level="municipal") | Q(municipality__isnull=False),
                name="registry_normativedocument_mun_level_has_mun",
                violation_error_message="У муниципального документа укажите муниципалитет.",
            ),
            models.CheckConstraint(
                condition=Q(published_on_site=False) | ~Q(site_url=""),
                name="registry_normativedocument_published_has_url",
                violation_error_message="Для документа, размещённого на сайте, укажите ссылку.",
            ),
        ]

    def __str__(self):
        number = f" №\u00a0{self.number}" if self.number else ""
        return f"{self.get_doc_type_display()} от {self.date:%d.%m.%Y}{number} «{self.title}»"

    def save(self, *args, **kwargs):
        self.search_name = fold(self.title)
        kwargs["update_fields"] = with_search_name(kwargs.get("update_fields"), ("title",))
        super().save(*args, **kwargs)

    def clean(self):
        if (
            self.organization_id
            and self.municipality_id
            and self.organization.municipality_id != self.municipality_id
        ):
            raise ValidationError({"municipality": "Организация относится к другому муниципалитету."})


class TrainingCourse(models.Model):
    """КПК: a qualification course; completions name the people, reported_count covers the rest."""

    region = models.ForeignKey(Region, models.CASCADE, related_name="courses", verbose_name="регион")
    title = models.CharField("наименование", max_length=500)
    provider = models.CharField("кто проводит", max_length=300)
    hours = models.PositiveSmallIntegerField("объём, часов", null=True, blank=True)
    start_date = models.DateField("начало")
    end_date = models.DateField("окончание")
    schedule = models.CharField(
        "сроки проведения", max_length=300, blank=True, help_text="Например: 24.01–31.01 и 21.02–24.03.2023"
    )
    audience = models.CharField("целевая аудитория", max_length=300, blank=True)
    reported_trained_count = models.PositiveIntegerField(
        "обучено (по отчёту провайдера)",
        null=True,
        blank=True,
        help_text="Если слушатели не внесены поимённо, например курс Академии Минпросвещения",
    )

    class Meta:
        verbose_name = "курс повышения квалификации"
        verbose_name_plural = "курсы повышения квалификации"
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="registry_trainingcourse_end_after_start",
                violation_error_message="Дата окончания не может быть раньше даты начала.",
            ),
        ]

    def __str__(self):
        return self.title


class TrainingCompletion(models.Model):
    course = models.ForeignKey(
        TrainingCourse, models.CASCADE, related_name="completions", verbose_name="курс"
    )
    person = models.ForeignKey(Person, models.CASCADE, related_name="trainings", verbose_name="слушатель")
    completed_on = models.DateField("дата окончания обучения")
    certificate_number = models.CharField("номер удостоверения", max_length=50, blank=True)

    class Meta:
        verbose_name = "прохождение курса"
        verbose_name_plural = "прохождения курсов"
        constraints = [
            models.UniqueConstraint(fields=["course", "person"], name="registry_trainingcompletion_once"),
        ]

    def __str__(self):
        return f"{self.person} — {self.course}"


class Contest(models.Model):
    class Level(models.TextChoices):
        SCHOOL = "school", "школьный"
        MUNICIPAL = "municipal", "муниципальный"
        REGIONAL = "regional", "региональный"
        FEDERAL = "federal", "всероссийский"

    region = models.ForeignKey(Region, models.CASCADE, related_name="contests", verbose_name="регион")
    title = models.CharField("наименование", max_length=300)
    level = models.CharField("уровень", max_length=12, choices=Level.choices, default=Level.REGIONAL)
    start_date = models.DateField("начало")
    end_date = models.DateField("окончание")
    goal = models.TextField("цель", blank=True)
    nominations = models.TextField("номинации", blank=True)

    class Meta:
        verbose_name = "конкурс"
        verbose_name_plural = "конкурсы"
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="registry_contest_end_after_start",
                violation_error_message="Дата окончания не может быть раньше даты начала.",
            ),
        ]

    def __str__(self):
        return self.title


class ContestEntry(models.Model):
    class Result(models.TextChoices):
        PARTICIPANT = "participant", "участник"
        PRIZE = "prize", "призёр"
        WINNER = "winner", "победитель"

    contest = models.ForeignKey(Contest, models.CASCADE, related_name="entries", verbose_name="конкурс")
    organization = models.ForeignKey(
        Organization, models.PROTECT, related_name="contest_entries", verbose_name="организация"
    )
    mentorship = models.ForeignKey(
        Mentorship,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="contest_entries",
        verbose_name="пара",
    )
    title = models.CharField("участник (пара, педагог)", max_length=500)
    nomination = models.CharField("номинация", max_length=200, blank=True)
    result = models.CharField("результат", max_length=12, choices=Result.choices, default=Result.PARTICIPANT)

    class Meta:
        verbose_name = "заявка на конкурс"
        verbose_name_plural = "заявки на конкурсы"
        ordering = ["contest", "organization"]

    def __str__(self):
        return self.title

    def clean(self):
        if (
            self.contest_id
            and self.organization_id
            and _region_id(self.organization) != self.contest.region_id
        ):
            raise ValidationError({"organization": "Организация из другого региона, чем конкурс."})


class PracticeBankEntry(models.Model):
    class Status(models.TextChoices):
        REVIEW = "review", "на рассмотрении"
        INCLUDED = "included", "включена"
        PUBLISHED = "published", "опубликована"

    region = models.ForeignKey(Region, models.CASCADE, related_name="practices", verbose_name="регион")
    organization = models.ForeignKey(
        Organization, models.PROTECT, related_name="practices", verbose_name="организация"
    )
    mentorship = models.ForeignKey(
        Mentorship, models.SET_NULL, null=True, blank=True, related_name="practices", verbose_name="пара"
    )
    mentoring_form = models.ForeignKey(
        MentoringForm, models.PROTECT, related_name="practices", verbose_name="форма наставничества"
    )
    title = models.CharField("наименование практики", max_length=500)
    description = models.TextField("описание", blank=True)
    file = models.FileField("материалы", upload_to="practices/%Y/", blank=True)
    submitted_on = models.DateField("дата подачи")
    status = models.CharField("статус", max_length=10, choices=Status.choices, default=Status.REVIEW)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="подал",
    )

    class Meta:
        verbose_name = "практика в банке эффективных практик"
        verbose_name_plural = "банк эффективных практик"
        ordering = ["-submitted_on"]

    def __str__(self):
        return self.title

    def clean(self):
        if self.region_id and self.organization_id and _region_id(self.organization) != self.region_id:
            raise ValidationError({"organization": "Организация из другого региона."})


class MethodistRegistryEntry(models.Model):
    """Реестр региональных методистов (договоры ГПХ)."""

    class Status(models.TextChoices):
        REGIONAL_METHODIST = "regional_methodist", "региональный методист"
        MENTOR = "mentor", "наставник региона"

    region = models.ForeignKey(Region, models.CASCADE, related_name="methodists", verbose_name="регион")
    person = models.ForeignKey(
        Person, models.PROTECT, related_name="registry_entries", verbose_name="участник"
    )
    specialization = models.CharField("специализация", max_length=300, blank=True)
    status = models.CharField(
        "статус", max_length=20, choices=Status.choices, default=Status.REGIONAL_METHODIST
    )
    contract_start = models.DateField("договор ГПХ с", null=True, blank=True)
    contract_end = models.DateField("договор ГПХ по", null=True, blank=True)

    class Meta:
        verbose_name = "запись реестра методистов"
        verbose_name_plural = "реестр региональных методистов"
        ordering = ["person__full_name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "person", "status"], name="registry_methodist_once"),
            models.CheckConstraint(
                condition=Q(contract_end__isnull=True)
                | Q(contract_start__isnull=True)
                | Q(contract_end__gte=F("contract_start")),
                name="registry_methodist_contract_end_after_start",
                violation_error_message="Дата окончания договора не может быть раньше даты начала.",
            ),
        ]

    def __str__(self):
        return f"{self.person} — {self.get_status_display()}"


# ---------------------------------------------------------------- the individual mentoring plan (ИПН)

DONE_ON_REQUIRED = "Укажите дату выполнения задачи."
DONE_ON_ONLY_IF_DONE = "Дата выполнения указывается только у выполненной задачи."
DONE_ON_IN_FUTURE = "«Дата выполнения» не может быть позже сегодняшнего дня."
METHODIST_OTHER_REGION = "Методист из реестра другого региона."


class MentoringPlan(models.Model):
    """The pair's individual mentoring plan (ИПН): what the mentee needs and the tasks towards it.

    One per pair. Its progress and overdue tasks are defined in docs/domain.md §4.1.
    """

    mentorship = models.OneToOneField(Mentorship, models.CASCADE, related_name="plan", verbose_name="пара")
    deficits = models.TextField(
        "профессиональные дефициты, запрос наставляемого",
        help_text="Что наставляемому нужно освоить или в чём ему нужна помощь",
    )
    goals = models.TextField("цели и задачи наставничества")
    support_hours = models.PositiveSmallIntegerField(
        "объём сопровождения, часов",
        null=True,
        blank=True,
        validators=[MinValueValidator(1, "Объём сопровождения — положительное число часов.")],
    )
    methodist = models.ForeignKey(
        MethodistRegistryEntry,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="plans",
        verbose_name="курирующий методист",
    )
    history = HistoricalRecords(verbose_name="история плана наставничества")

    class Meta:
        verbose_name = "план наставничества"
        verbose_name_plural = "планы наставничества"
        constraints = [
            models.CheckConstraint(
                condition=Q(support_hours__isnull=True) | Q(support_hours__gte=1),
                name="registry_mentoringplan_hours_positive",
                violation_error_message="Объём сопровождения — положительное число часов.",
            ),
        ]

    def __str__(self):
        return f"План наставничества: {self.mentorship}"

    def clean(self):
        if self.methodist_id and self.mentorship_id:
            organization = self.mentorship.organization
            if self.methodist.region_id != organization.municipality.region_id:
                raise ValidationError({"methodist": METHODIST_OTHER_REGION})

    def progress(self, items=None) -> "PlanProgress":
        """Done ÷ (planned + done) over ``items`` (the plan's items when not given); cancelled not counted."""
        items = list(self.items.all()) if items is None else items
        done = sum(1 for item in items if item.status == PlanItem.Status.DONE)
        planned = sum(1 for item in items if item.status == PlanItem.Status.PLANNED)
        return PlanProgress(done, planned + done)


@dataclasses.dataclass(frozen=True)
class PlanProgress:
    done: int
    total: int  # planned + done: cancelled tasks are not counted

    def __str__(self):
        """«3 из 5 (60 %)»; «нет задач» when nothing is planned."""
        if not self.total:
            return "нет задач"
        return f"{self.done} из {self.total} ({share(self.done, self.total, 0)})"


PLAN_TEMPLATE_MAX_DAYS = 3650  # a template's task is due within ten years of the pair's start


class PlanTemplate(models.Model):
    """A region's template of a pair's plan for one form of mentoring (docs/domain.md §4.1), kept by
    the region's operator in the portal (``registry.plans``); «Заполнить из шаблона» on a pair's card
    copies it into the pair's plan. Plans keep a copy, never a link, so any template may be deleted."""

    region = models.ForeignKey(Region, models.CASCADE, related_name="plan_templates", verbose_name="регион")
    mentoring_form = models.ForeignKey(
        MentoringForm, models.PROTECT, related_name="plan_templates", verbose_name="форма наставничества"
    )
    title = models.CharField("название", max_length=200)
    deficits = models.TextField("профессиональные дефициты, запрос наставляемого")
    goals = models.TextField("цели и задачи наставничества")
    history = HistoricalRecords(verbose_name="история шаблона плана наставничества")

    class Meta:
        verbose_name = "шаблон плана наставничества"
        verbose_name_plural = "шаблоны планов наставничества"
        ordering = ["title", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "mentoring_form", "title"],
                name="registry_plantemplate_unique_title",
                violation_error_message="В регионе уже есть шаблон с таким названием для этой формы.",
            ),
        ]

    def __str__(self):
        return self.title


class PlanTemplateItem(models.Model):
    """A task of a plan template; its deadline is counted in days from the pair's start."""

    template = models.ForeignKey(PlanTemplate, models.CASCADE, related_name="items", verbose_name="шаблон")
    task = models.TextField("задача")
    expected_result = models.TextField("ожидаемый результат", blank=True)
    deadline_days = models.PositiveSmallIntegerField(
        "срок, дней от начала пары",
        validators=[MaxValueValidator(PLAN_TEMPLATE_MAX_DAYS)],
        help_text="Срок задачи = дата начала пары + столько дней",
    )
    history = HistoricalRecords(verbose_name="история задач шаблона плана")

    class Meta:
        verbose_name = "задача шаблона плана"
        verbose_name_plural = "задачи шаблона плана"
        ordering = ["deadline_days", "pk"]

    def __str__(self):
        return self.task


class PlanItem(models.Model):
    """One task of a pair's plan: what, by when, with what result, and whether it was done."""

    class Status(models.TextChoices):
        PLANNED = "planned", "запланировано"
        DONE = "done", "выполнено"
        CANCELLED = "cancelled", "отменено"

    plan = models.ForeignKey(MentoringPlan, models.CASCADE, related_name="items", verbose_name="план")
    task = models.TextField("задача")
    deadline = models.DateField("срок")
    expected_result = models.TextField("ожидаемый результат", blank=True)
    status = models.CharField("статус", max_length=10, choices=Status.choices, default=Status.PLANNED)
    done_on = models.DateField("дата выполнения", null=True, blank=True)
    history = HistoricalRecords(verbose_name="история задач плана наставничества")

    class Meta:
        verbose_name = "задача плана наставничества"
        verbose_name_plural = "задачи плана наставничества"
        ordering = ["deadline", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="done", done_on__isnull=False)
                | (~Q(status="done") & Q(done_on__isnull=True)),
                name="registry_planitem_done_on_iff_done",
                violation_error_message="Дата выполнения указывается у выполненной задачи, и только у неё.",
            ),
        ]

    def __str__(self):
        return self.task

    def clean(self):
        errors = self.done_on_errors(self.status, self.done_on)
        if errors:
            raise ValidationError(errors)

    @classmethod
    def done_on_errors(
        cls, status: str, done_on: datetime.date | None, today: datetime.date | None = None
    ) -> dict:
        """A done task needs its date, not after today; a task not done has none."""
        today = today or timezone.localdate()
        if status == cls.Status.DONE and done_on is None:
            return {"done_on": DONE_ON_REQUIRED}
        if status != cls.Status.DONE and done_on is not None:
            return {"done_on": DONE_ON_ONLY_IF_DONE}
        if done_on is not None and done_on > today:
            return {"done_on": DONE_ON_IN_FUTURE}
        return {}

    def is_overdue(self, today: datetime.date) -> bool:
        """Planned, and its deadline has passed."""
        return self.status == self.Status.PLANNED and self.deadline < today

    def outside_period(self, mentorship: Mentorship) -> bool:
        """The deadline is before the pair's start or after its end (actual, else planned)."""
        end = mentorship.end_date or mentorship.planned_end_date
        return self.deadline < mentorship.start_date or (end is not None and self.deadline > end)


# ---------------------------------------------------------------- the pair's meetings

MEETING_IN_FUTURE = "Дата встречи не может быть позже сегодняшнего дня."
DURATION_POSITIVE = "Продолжительность — положительное число минут."


class Meeting(models.Model):
    """One meeting of a pair: when, how, how long, about what, what was agreed, which plan tasks
    it touched (docs/domain.md §4.2). Written through ``registry.meetings``."""

    class Format(models.TextChoices):
        IN_PERSON = "in_person", "очно"
        REMOTE = "remote", "дистанционно"

    mentorship = models.ForeignKey(Mentorship, models.CASCADE, related_name="meetings", verbose_name="пара")
    date = models.DateField("дата встречи")
    format = models.CharField("формат", max_length=10, choices=Format.choices, default=Format.IN_PERSON)
    duration_minutes = models.PositiveSmallIntegerField(
        "продолжительность, минут", validators=[MinValueValidator(1, DURATION_POSITIVE)]
    )
    topic = models.CharField("тема", max_length=300)
    agreed = models.TextField("о чём договорились", blank=True)
    plan_items = models.ManyToManyField(
        PlanItem, blank=True, related_name="meetings", verbose_name="затронутые задачи плана"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name="кто записал",
    )
    history = HistoricalRecords(verbose_name="история встреч пары")

    class Meta:
        verbose_name = "встреча пары"
        verbose_name_plural = "встречи пар"
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["mentorship", "-date"], name="registry_meeting_pair_date")]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=1),
                name="registry_meeting_duration_positive",
                violation_error_message=DURATION_POSITIVE,
            ),
        ]

    def __str__(self):
        return f"{self.date:%d.%m.%Y} — {self.topic}"


# ---------------------------------------------------------------- users' scopes


class UserScope(models.Model):
    """Links a user to exactly one territory; ``registry.access`` turns it into querysets."""

    class Role(models.TextChoices):
        CURATOR = "curator", "куратор ОО"
        COORDINATOR = "coordinator", "муниципальный координатор"
        OPERATOR = "operator", "региональный оператор"
        ADMIN = "admin", "администратор"
        MENTOR = "mentor", "наставник"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="scope", verbose_name="пользователь"
    )
    role = models.CharField("роль", max_length=12, choices=Role.choices)
    organization = models.ForeignKey(
        Organization, models.CASCADE, null=True, blank=True, related_name="+", verbose_name="организация"
    )
    municipality = models.ForeignKey(
        Municipality, models.CASCADE, null=True, blank=True, related_name="+", verbose_name="муниципалитет"
    )
    region = models.ForeignKey(
        Region, models.CASCADE, null=True, blank=True, related_name="+", verbose_name="регион"
    )
    # A mentor's own account (an adult: a teacher, a college student's mentor...): the Person it
    # belongs to. The mentor sees only the pairs this person mentors (registry.access.scope_q).
    person = models.OneToOneField(
        Person,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="portal_scope",
        verbose_name="участник-наставник",
    )
    # Set when an admin turns the account off (registry.users): the user cannot sign in, and an
    # invitation link sent before no longer opens it; cleared when it is turned on again.
    deactivated_at = models.DateTimeField("отключена", null=True, blank=True)
    # The e-mail address confirmed by a signed link (mentoring_portal.accounts_mail); until then the
    # portal asks for it after the login and on every page (docs/architecture.md §7, accounts).
    email_confirmed_at = models.DateTimeField("адрес эл. почты подтверждён", null=True, blank=True)
    # The personal calendar feed's secret (mentoring_portal.calendar): its SHA-256 only, never the
    # secret itself; empty when the user has no feed. A new secret replaces the old one.
    calendar_secret_hash = models.CharField(
        "календарь: хеш секретной ссылки", max_length=64, blank=True, db_index=True
    )

    class Meta:
        verbose_name = "роль и область доступа"
        verbose_name_plural = "роли и области доступа"
        constraints = [
            models.CheckConstraint(
                condition=(
                    (
                        Q(
                            role="curator",
                            organization__isnull=False,
                            municipality__isnull=True,
                            region__isnull=True,
                        )
                        | Q(
                            role="coordinator",
                            organization__isnull=True,
                            municipality__isnull=False,
                            region__isnull=True,
                        )
                        | Q(
                            role="operator",
                            organization__isnull=True,
                            municipality__isnull=True,
                            region__isnull=False,
                        )
                        | Q(
                            role="admin",
                            organization__isnull=True,
                            municipality__isnull=True,
                            region__isnull=True,
                        )
                    )
                    & Q(person__isnull=True)
                )
                | Q(
                    role="mentor",
                    organization__isnull=True,
                    municipality__isnull=True,
                    region__isnull=True,
                    person__isnull=False,
                ),
                name="registry_userscope_territory_fits_role",
                violation_error_message=(
                    "Куратору укажите организацию, координатору — муниципалитет, оператору — регион, "
                    "наставнику — участника, администратору — ничего."
                ),
            ),
        ]

    def __str__(self):
        territory = self.organization or self.municipality or self.region or self.person or "все"
        return f"{self.user}: {self.get_role_display()} ({territory})"

    def territory_label(self) -> str:
        """«куратор ОО, СОШ № 1», «администратор»: the role and its territory, as the pages say it."""
        territory = self.organization or self.municipality or self.region or self.person
        role = self.get_role_display()
        return f"{role}, {territory}" if territory else role


class AccountEvent(models.Model):
    """One change to a portal account: who did it, when, what (docs/architecture.md §7, accounts).

    The users' screen (``registry.users``) and the mentor invitation (``registry.accounts``) write
    one row per action; nothing updates or deletes them. The names are copies, so that the row
    still says who it was after an account is removed in the Django admin.
    """

    class Action(models.TextChoices):
        INVITED = "invited", "приглашение отправлено"
        REINVITED = "reinvited", "приглашение отправлено повторно"
        PASSWORD_SET = "password_set", "пароль задан по приглашению"
        SCOPE_CHANGED = "scope_changed", "роль или территория изменены"
        DEACTIVATED = "deactivated", "учётная запись отключена"
        REACTIVATED = "reactivated", "учётная запись включена"
        SECOND_FACTOR_RESET = "second_factor_reset", "второй фактор сброшен"
        PASSWORD_RESET = "password_reset", "пароль изменён по письму"
        EMAIL_CONFIRMED = "email_confirmed", "адрес эл. почты подтверждён"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        related_name="account_events",
        verbose_name="учётная запись",
    )
    username = models.CharField("имя для входа", max_length=150)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+", verbose_name="кто"
    )
    actor_name = models.CharField("кто (имя)", max_length=150)
    at = models.DateTimeField("когда", default=timezone.now, db_index=True)
    action = models.CharField("действие", max_length=20, choices=Action.choices)
    details = models.TextField("что изменено", blank=True)

    class Meta:
        verbose_name = "событие учётной записи"
        verbose_name_plural = "история учётных записей"
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.username}: {self.get_action_display()} ({self.at:%d.%m.%Y %H:%M})"


# ---------------------------------------------------------------- workbook imports


def _import_file_name(instance, filename: str) -> str:
    # Never the uploader's name on disk: a random one, outside any public URL.
    return f"imports/{uuid.uuid4().hex}.xlsx"


class ImportJob(Job):
    """One upload of the regional workbook: who, when, which file, what it did (docs/reliability.md §2).

    Its lifecycle is the common one of ``registry.jobs`` (docs/architecture.md §6): queued, then
    checking (the dry run) or importing (once confirmed).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "в очереди"
        CHECKING = "checking", "проверяется"
        CHECKED = "checked", "проверен, ждёт подтверждения"
        REJECTED = "rejected", "есть ошибки, ничего не записано"
        IMPORTING = "importing", "загружается"
        DONE = "done", "загружен"
        FAILED = "failed", "сбой, ничего не записано"
        INTERRUPTED = "interrupted", "прерван, ничего не записано"

    WORKING_STATES = (Status.CHECKING, Status.IMPORTING)
    STALE_AFTER_SETTING = "IMPORT_STALE_AFTER_SECONDS"
    QUEUE_TIMEOUT_SETTING = "IMPORT_QUEUE_TIMEOUT_SECONDS"
    REAPED_MESSAGE = "Обработчик перестал отвечать; ничего не записано. Запустите загрузку снова."
    JOB_RUNNER = "registry.imports.run_job"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="кто"
    )
    file = models.FileField("файл", upload_to=_import_file_name, blank=True)
    file_name = models.CharField("имя файла", max_length=255)
    file_sha256 = models.CharField("контрольная сумма SHA-256", max_length=64)
    file_size = models.PositiveBigIntegerField("размер, байт", default=0)
    rows = models.PositiveIntegerField("строк данных", default=0)
    status = models.CharField("состояние", max_length=12, choices=Status.choices, default=Status.QUEUED)
    commit_requested = models.BooleanField("загрузка подтверждена", default=False)
    check_report = models.JSONField("итог проверки", null=True, blank=True)
    report = models.JSONField("итог загрузки", null=True, blank=True)
    progress_done = models.PositiveIntegerField("обработано строк", default=0)
    progress_total = models.PositiveIntegerField("всего строк", default=0)

    class Meta:
        verbose_name = "импорт книги Excel"
        verbose_name_plural = "импорт книг Excel"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.file_name} ({self.created_at:%d.%m.%Y %H:%M})"

    @property
    def percent(self) -> int:
        if self.status in (self.Status.DONE, self.Status.CHECKED):
            return 100
        return min(100, round(100 * self.progress_done / self.progress_total)) if self.progress_total else 0


class ExportJob(Job):
    """One list export too large for the request, written by the task worker (``registry.export_jobs``).

    The row keeps the list's address and filters, not its rows: the worker runs the list again as
    its owner, with the owner's scope as it stands then. The finished file is kept here until it
    expires (``EXPORT_FILE_HOURS``) and is downloaded only by its owner. Its lifecycle is the common
    one of ``registry.jobs`` (docs/architecture.md §6).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "в очереди"
        RUNNING = "running", "формируется"
        DONE = "done", "готов"
        FAILED = "failed", "сбой"
        INTERRUPTED = "interrupted", "прерван"

    WORKING_STATES = (Status.RUNNING,)
    ACTIVE = (Status.QUEUED, Status.RUNNING)  # not finished yet
    STALE_AFTER_SETTING = "EXPORT_STALE_AFTER_SECONDS"
    QUEUE_TIMEOUT_SETTING = "EXPORT_QUEUE_TIMEOUT_SECONDS"
    REAPED_MESSAGE = "Прерван: обработчик не ответил. Запросите выгрузку ещё раз."
    JOB_RUNNER = "registry.export_jobs.run_job"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The file is a copy of personal data: it goes with its owner's account.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="+", verbose_name="кто"
    )
    title = models.CharField("список", max_length=255)
    path = models.CharField("адрес списка", max_length=500)
    query = models.TextField("фильтры (строка запроса)", blank=True)
    status = models.CharField("состояние", max_length=12, choices=Status.choices, default=Status.QUEUED)
    rows_done = models.PositiveIntegerField("записано строк", default=0)
    rows_total = models.PositiveIntegerField("всего строк", default=0)
    file_name = models.CharField("имя файла", max_length=255, blank=True)
    content = models.BinaryField("содержимое", null=True, blank=True, editable=False)
    size = models.PositiveBigIntegerField("размер, байт", default=0)

    class Meta:
        verbose_name = "выгрузка списка"
        verbose_name_plural = "выгрузки списков"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["created_by", "status"], name="export_job_owner_idx")]

    def __str__(self):
        return f"{self.title} ({self.created_at:%d.%m.%Y %H:%M})"


# ---------------------------------------------------------------- personal data


class PersonalDataDestruction(models.Model):
    """The event log of destroyed personal data (152-ФЗ art. 21, RKN order 179): no personal data in it.

    The person's row stays (its pairs and the figures built on them stay whole), with ФИО,
    contacts and the representative wiped there and in its history: see ``registry.privacy``.
    """

    class Reason(models.TextChoices):
        CONSENT_WITHDRAWN = "consent_withdrawn", "отзыв согласия на обработку персональных данных"
        PURPOSE_REACHED = "purpose_reached", "достижение цели обработки"
        UNLAWFUL = "unlawful", "выявлена неправомерная обработка"

    person = models.OneToOneField(
        Person, models.PROTECT, related_name="destruction", verbose_name="участник (идентификатор)"
    )
    organization = models.ForeignKey(
        Organization, models.PROTECT, related_name="+", verbose_name="организация"
    )
    destroyed_at = models.DateTimeField("когда уничтожены", auto_now_add=True)
    destroyed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+", verbose_name="кто уничтожил"
    )
    reason = models.CharField("основание", max_length=20, choices=Reason.choices)
    act_number = models.CharField("номер акта об уничтожении", max_length=50)
    act_date = models.DateField("дата акта")
    records_anonymised = models.PositiveIntegerField("обезличено записей истории", default=0)

    class Meta:
        verbose_name = "уничтожение персональных данных"
        verbose_name_plural = "журнал уничтожения персональных данных"
        ordering = ["-destroyed_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(act_number=""),
                name="registry_personaldatadestruction_has_act",
                violation_error_message="Укажите номер акта об уничтожении.",
            ),
        ]

    def __str__(self):
        return f"Акт №\u00a0{self.act_number} от {self.act_date:%d.%m.%Y}"
