"""The access log (docs/reliability.md #60–61): who opened, exported, downloaded, imported or was
refused what, and when, from where.

Changes are in django-simple-history; this table records reads and refusals. It holds ids only,
never names, birth dates or other personal values (ASVS 16.2.5): a row says «person 7f3a… was
opened by user 12», the registry says who person 7f3a… is.

Rows are append-only. ``mentoring_portal.audit`` only inserts them, the model refuses ``save()``
of an existing row and ``delete()``, and database triggers (``append_only``) refuse UPDATE and
DELETE for everybody, raw SQL included. The one UPDATE let through is the database's own
``SET NULL`` when a user account is deleted: the copied username keeps saying who it was.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from registry.models import Municipality, Region, UserScope


class AppendOnlyError(Exception):
    """Raised by the model when code tries to change or remove an access-log row."""


class AccessLogEntry(models.Model):
    class Action(models.TextChoices):
        VIEW = "view", "просмотр карточки"
        EXPORT = "export", "выгрузка"
        DOWNLOAD = "download", "скачивание отчёта"
        FILE = "file", "скачивание документа"
        IMPORT = "import", "импорт"
        DESTROY = "destroy", "уничтожение данных"
        DENIED = "authz_denied", "отказ в доступе"
        LOGIN = "login", "вход"
        LOGIN_FAILED = "login_failed", "неудачный вход"
        LOGOUT = "logout", "выход"
        # The per-address login throttle (mentoring_portal.throttle): an attempt refused without
        # checking the password, during the slowdown or the address lock.
        IP_THROTTLED = "ip_throttled", "замедление входа с адреса"
        IP_LOCKED = "ip_locked", "блокировка адреса"
        # A call of the read-only API (mentoring_portal.api): the key's name, the path, the status.
        API = "api", "обращение внешней системы"
        # Mail sent on request (mentoring_portal.accounts_mail): the password reset and the
        # e-mail confirmation, and their refusals by the per-hour limits.
        RESET_REQUESTED = "reset_requested", "запрос сброса пароля"
        RESET_DONE = "reset_done", "пароль изменён по письму"
        MAIL_THROTTLED = "mail_throttled", "отказ: слишком много писем"
        EMAIL_CONFIRM_SENT = "email_confirm_sent", "письмо для подтверждения адреса"
        EMAIL_CONFIRMED = "email_confirmed", "адрес эл. почты подтверждён"
        CALENDAR_RESET = "calendar_reset", "новая ссылка на календарь"

    timestamp = models.DateTimeField("когда", default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="пользователь",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # covered by the (user, timestamp) index
    )
    username = models.CharField("имя пользователя", max_length=150, blank=True)
    role = models.CharField("роль", max_length=20, choices=UserScope.Role.choices, blank=True)
    action = models.CharField("действие", max_length=20, choices=Action.choices)
    object_type = models.CharField("тип объекта", max_length=100, blank=True)
    object_id = models.CharField("идентификатор объекта", max_length=100, blank=True)
    details = models.CharField("прочие идентификаторы", max_length=200, blank=True)
    url_name = models.CharField("адрес (имя)", max_length=100, blank=True)
    method = models.CharField("метод", max_length=10, blank=True)
    ip = models.GenericIPAddressField("IP-адрес", null=True, blank=True)
    request_id = models.CharField("код обращения", max_length=64, blank=True)
    status = models.PositiveSmallIntegerField("код ответа", null=True, blank=True)

    class Meta:
        verbose_name = "запись журнала доступа"
        verbose_name_plural = "журнал доступа"
        ordering = ["-timestamp", "-id"]
        indexes = [
            models.Index(fields=["-timestamp"], name="accesslog_time"),
            models.Index(fields=["action", "-timestamp"], name="accesslog_action_time"),
            models.Index(fields=["role", "-timestamp"], name="accesslog_role_time"),
            models.Index(fields=["user", "-timestamp"], name="accesslog_user_time"),
            models.Index(fields=["object_id"], name="accesslog_object"),
            models.Index(fields=["url_name"], name="accesslog_url"),
        ]

    def __str__(self):
        return f"{self.get_action_display()} · {self.username or '—'} · {self.url_name or '—'}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Записи журнала доступа не изменяются.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Записи журнала доступа не удаляются.")


class LoginFailure(models.Model):
    """One failed password or second-factor code, by the address it came from: what the per-address
    login throttle (``mentoring_portal.throttle``) counts.

    Unlike django-axes' attempts these rows are not deleted by a successful login (one person
    signing in must not wipe the failures against every other name from the same address); rows
    older than the throttle's windows are deleted as new failures arrive.
    """

    # The client's address, an IPv6 client's /64 network (one subscriber's whole prefix).
    address = models.CharField("адрес", max_length=64)
    # The typed name, trimmed and case-folded: «Ivanova» and «ivanova » are one name.
    name = models.CharField("имя пользователя", max_length=150, blank=True)
    at = models.DateTimeField("когда", default=timezone.now)

    class Meta:
        verbose_name = "неудачная попытка входа с адреса"
        verbose_name_plural = "неудачные попытки входа с адресов"
        indexes = [
            models.Index(fields=["address", "at"], name="loginfailure_address_at"),
            models.Index(fields=["at"], name="loginfailure_at"),
        ]

    def __str__(self):
        return f"{self.address} · {self.name or '—'} · {self.at:%Y-%m-%d %H:%M:%S}"


class ApiToken(models.Model):
    """A key of the read-only API (``mentoring_portal.api``, docs/architecture.md §13).

    It belongs to a territory: a region, a municipality, or neither (a federal system's key that sees
    the whole country). Only the sha256 of the secret is stored; the secret itself is printed once by
    ``create_api_token`` and never again. ``prefix`` (the secret's first characters) tells keys apart
    in the admin and the access log.
    """

    PREFIX_LENGTH = 8

    name = models.CharField("название", max_length=100, unique=True, help_text="Кто пользуется ключом")
    region = models.ForeignKey(
        Region, models.PROTECT, null=True, blank=True, related_name="+", verbose_name="регион"
    )
    municipality = models.ForeignKey(
        Municipality,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="муниципалитет",
    )
    prefix = models.CharField("начало ключа", max_length=PREFIX_LENGTH, editable=False)
    secret_hash = models.CharField("хеш ключа (sha256)", max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField("создан", default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="кем создан",
        editable=False,
    )
    expires_at = models.DateTimeField("действует до", null=True, blank=True, help_text="Пусто — бессрочно")
    revoked_at = models.DateTimeField("отозван", null=True, blank=True)
    last_used_at = models.DateTimeField("последнее обращение", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "ключ доступа внешней системы"
        verbose_name_plural = "ключи доступа внешних систем"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(region__isnull=True) | Q(municipality__isnull=True),
                name="apitoken_one_territory",
                violation_error_message="Ключ принадлежит региону или муниципалитету, не обоим сразу.",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def territory_label(self) -> str:
        return str(self.municipality or self.region or "Российская Федерация")

    def is_active(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class MailRequest(models.Model):
    """One mail sent on a user's request (a password reset, an address confirmation): what the
    per-hour limits of ``mentoring_portal.accounts_mail`` count, by address and by e-mail.

    The e-mail is kept as its SHA-256 (``email_key``), never in clear: the table says how often an
    address was asked for, not who has an account. Rows older than a day are deleted as new ones come.
    """

    class Kind(models.TextChoices):
        RESET = "reset", "сброс пароля"
        CONFIRM = "confirm", "подтверждение адреса"

    kind = models.CharField("вид", max_length=10, choices=Kind.choices)
    address = models.CharField("адрес", max_length=64)
    email_key = models.CharField("хеш адреса эл. почты", max_length=64)
    at = models.DateTimeField("когда", default=timezone.now)

    class Meta:
        verbose_name = "письмо по запросу"
        verbose_name_plural = "письма по запросу"
        indexes = [
            models.Index(fields=["kind", "email_key", "at"], name="mailrequest_email_at"),
            models.Index(fields=["kind", "address", "at"], name="mailrequest_address_at"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.address} · {self.at:%Y-%m-%d %H:%M:%S}"


# ---------------------------------------------------------------- notifications (notifications.py)


class Notification(models.Model):
    """One notice to one user about one event: shown in the portal (the bell) and, unless the user
    turned its kind off, e-mailed. ``(recipient, kind, key)`` is unique: the daily job inserts with
    ``ignore_conflicts``, so an event is never told twice (docs/reliability.md, notifications)."""

    class Kind(models.TextChoices):
        DEADLINE_SOON = "deadline_soon", "срок сдачи отчёта через 3 дня"
        DEADLINE_PASSED = "deadline_passed", "срок сдачи отчёта прошёл"
        SUBMISSION_RETURNED = "returned", "отчёт возвращён на доработку"
        SUBMISSION_WAITING = "waiting", "отчёт ждёт проверки"
        PAIR_ENDING = "pair_ending", "пара заканчивается через 14 дней"
        PAIR_SILENT = "pair_silent", "пара без встреч"

    class EmailStatus(models.TextChoices):
        PENDING = "pending", "ждёт отправки"
        SENT = "sent", "отправлено"
        FAILED = "failed", "не отправлено"
        OFF = "off", "не отправляется"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="notifications", verbose_name="получатель"
    )
    kind = models.CharField("вид", max_length=20, choices=Kind.choices)
    key = models.CharField("событие", max_length=100)
    subject = models.CharField("тема", max_length=300)
    text = models.TextField("текст")
    link = models.CharField("страница", max_length=300)
    created_at = models.DateTimeField("создано", default=timezone.now)
    read_at = models.DateTimeField("прочитано", null=True, blank=True)
    email_status = models.CharField(
        "письмо", max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    email_attempts = models.PositiveSmallIntegerField("попыток отправки", default=0)
    email_error = models.CharField("ошибка отправки", max_length=500, blank=True)
    emailed_at = models.DateTimeField("отправлено письмом", null=True, blank=True)

    class Meta:
        verbose_name = "уведомление"
        verbose_name_plural = "уведомления"
        constraints = [
            models.UniqueConstraint(fields=["recipient", "kind", "key"], name="portal_notification_once"),
        ]
        indexes = [
            models.Index(
                fields=["recipient"],
                condition=models.Q(read_at__isnull=True),
                name="portal_notification_unread",
            ),
            models.Index(
                fields=["email_status"],
                condition=models.Q(email_status="pending"),
                name="portal_notification_pending",
            ),
        ]

    def __str__(self):
        return self.subject


class NotificationPreference(models.Model):
    """A user's choice for one kind of notice: e-mail on or off (no row: on)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        related_name="notification_preferences",
        verbose_name="пользователь",
    )
    kind = models.CharField("вид", max_length=20, choices=Notification.Kind.choices)
    email = models.BooleanField("присылать письмом", default=True)

    class Meta:
        verbose_name = "настройка уведомлений"
        verbose_name_plural = "настройки уведомлений"
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="portal_notification_preference_once"),
        ]

    def __str__(self):
        return f"{self.user}: {self.get_kind_display()} — {'письмом' if self.email else 'только на портале'}"
