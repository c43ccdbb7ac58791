"""Settings of the mentoring portal: one module, everything from the environment.

The defaults make a fresh checkout run on SQLite with DEBUG on; production sets
DEBUG=0, SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL (PostgreSQL).
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

DEV_SECRET_KEY = "dev-only-not-secret-mentoring-portal"


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be 0 or 1, got {value!r}")


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", default=True)
# With DEBUG on the portal still shows its own Russian error pages (mentoring_portal/errors.py);
# TECHNICAL_ERROR_PAGES=1 brings back Django's pages with the traceback, for a developer.
TECHNICAL_ERROR_PAGES = env_bool("TECHNICAL_ERROR_PAGES", default=False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        # A production process with a guessable key would sign sessions anyone can forge.
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG=0")
    SECRET_KEY = DEV_SECRET_KEY
elif SECRET_KEY == DEV_SECRET_KEY and not DEBUG:
    raise ImproperlyConfigured("the development SECRET_KEY cannot be used with DEBUG=0")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    # The admin site asks for a second factor (mentoring_portal.security.PortalAdminSite).
    "mentoring_portal.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "simple_history",
    "django_filters",
    "import_export",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # The base package under the apps (docs/architecture.md §2), for its template tags only.
    "common",
    "registry",
    "monitoring",
    "reports",
    "mentoring_portal",
]

MIDDLEWARE = [
    "mentoring_portal.logs.RequestIdMiddleware",
    "mentoring_portal.errors.PortalErrorPagesMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "common.faults.FaultsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "registry.export_jobs.ExportRequestMiddleware",
    "mentoring_portal.audit.AccessLogMiddleware",
    "mentoring_portal.throttle.LoginThrottleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "mentoring_portal.security.IdleTimeoutMiddleware",
    "mentoring_portal.security.SecondFactorMiddleware",
    "mentoring_portal.security.MentorPagesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "mentoring_portal.urls"
WSGI_APPLICATION = "mentoring_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite is the single-writer embedded default: wait for a lock instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            # Take the write lock when a transaction begins, not halfway through it: two
            # imports (or an import and an edit) then wait for each other instead of one
            # failing with «database is locked» (docs/reliability.md #52).
            "transaction_mode": "IMMEDIATE",
        }
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    # A database host that stops answering fails a request in seconds (the Russian 503), not after
    # TCP's two minutes, by which time gunicorn has killed the worker and nginx shows a bare 502.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", int(os.environ.get("DB_CONNECT_TIMEOUT", "5"))
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "ru"
# One language: a browser asking for English still gets Django's messages in Russian.
LANGUAGES = [("ru", "Русский")]
USE_I18N = True
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Moscow")
USE_TZ = True
DATE_INPUT_FORMATS = ["%d.%m.%Y", "%Y-%m-%d"]
FORMAT_MODULE_PATH = ["common.formats"]

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    # FileSystemStorage that removes a half-written file when the disk fills (docs/reliability.md #49).
    "default": {"BACKEND": "common.storage.MediaStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

AUTHENTICATION_BACKENDS = [
    # Refuses a locked-out username+address before the password is even checked (docs/reliability.md #15).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# Upload caps (docs/reliability.md A2): requests larger than this never reach a view.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000

# Mentoring rules that a region may tune.
MENTOR_MENTEE_LIMIT = int(os.environ.get("MENTOR_MENTEE_LIMIT", "5"))
# An active pair whose last meeting (or, with none, its start) is more than this many weeks ago is
# «без встреч» (docs/domain.md §4.2).
SILENT_PAIR_WEEKS = int(os.environ.get("SILENT_PAIR_WEEKS", "4"))

# django-import-export: one transaction per import, formulae escaped on export (docs/reliability.md A8).
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"

SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# Background work (docs/architecture.md §10): django-tasks with the database-backed worker of django-tasks-db;
# `manage.py db_worker` runs it (make run starts one next to the web server).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# Workbook import (docs/workbook.md §2, docs/reliability.md §2 «Import»): limits checked before anything is
# parsed.
IMPORT_MAX_UPLOAD_BYTES = int(os.environ.get("IMPORT_MAX_UPLOAD_BYTES", str(10 * 1024 * 1024)))
IMPORT_MAX_UNPACKED_BYTES = int(os.environ.get("IMPORT_MAX_UNPACKED_BYTES", str(300 * 1024 * 1024)))
IMPORT_MAX_COMPRESSION_RATIO = 100
IMPORT_MAX_ZIP_ENTRIES = 200
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "100000"))  # per sheet
# Workbooks up to this many data rows are checked and imported inside the request; larger
# ones go to the task worker with a progress bar.
IMPORT_INLINE_MAX_ROWS = int(os.environ.get("IMPORT_INLINE_MAX_ROWS", "2000"))
# A running import whose worker has not reported for this long is marked «прерван»; so is one that
# waited in the queue this long without a worker taking it up (docs/architecture.md §6).
IMPORT_STALE_AFTER_SECONDS = int(os.environ.get("IMPORT_STALE_AFTER_SECONDS", "300"))
IMPORT_QUEUE_TIMEOUT_SECONDS = int(os.environ.get("IMPORT_QUEUE_TIMEOUT_SECONDS", "1800"))

# Reports (docs/architecture.md §8): a region's report, or one with more table rows than this, is rendered by
# the
# task worker with a progress bar; beyond the maximum the user is asked to narrow the territory.
# 300 rows lay out in about 1.5 s; 12,000 in about 55 s, under the worker's one-minute budget
# (docs/reliability.md #43; bench/bench_reports.py measures ≈ 4.4 ms a row).
REPORT_INLINE_MAX_ROWS = int(os.environ.get("REPORT_INLINE_MAX_ROWS", "300"))
REPORT_MAX_TABLE_ROWS = int(os.environ.get("REPORT_MAX_TABLE_ROWS", "12000"))
REPORT_STALE_AFTER_SECONDS = int(os.environ.get("REPORT_STALE_AFTER_SECONDS", "300"))
REPORT_QUEUE_TIMEOUT_SECONDS = int(os.environ.get("REPORT_QUEUE_TIMEOUT_SECONDS", "1800"))
REPORT_DRAFT_FILE_DAYS = int(os.environ.get("REPORT_DRAFT_FILE_DAYS", "7"))
# New renders one user may start in a minute, every format and report together (0: no limit); a file
# already rendered from the same content is given again without counting. Ten cover a person checking
# PDF, DOCX and HTML after each of three edits a minute; they bound one user to about 15 s of a web
# process's CPU a minute (a 300-row PDF lays out in ≈ 1.5 s) and the worker queue to ten of its jobs.
REPORT_RENDERS_PER_MINUTE = int(os.environ.get("REPORT_RENDERS_PER_MINUTE", "10"))

# List exports (?format=xlsx): a list of more rows than this is written by the task worker with a
# progress bar, the download appearing when ready; a shorter one is answered in the request as before.
# A region's pairs cost about 1 ms a row to export alone and 2-3 ms on a busy 2-core machine (the
# per-pair warnings and mentees; bench/bench_export_queue.py: two exports of 4,126 pairs took the
# workers 8 s, ten held two gunicorn workers 66 s), so 1,000 rows keep an inline export within
# 1-3 s, and a list that only learns its length by reading rows spends at most that before queuing.
# Each user may have this many exports queued or running at once; a finished file is kept this many
# hours, then deleted; a job whose worker went silent, or that no worker took up, is marked «прерван»
# after these many seconds.
EXPORT_INLINE_MAX_ROWS = int(os.environ.get("EXPORT_INLINE_MAX_ROWS", "1000"))
EXPORT_MAX_CONCURRENT_PER_USER = int(os.environ.get("EXPORT_MAX_CONCURRENT_PER_USER", "2"))
EXPORT_FILE_HOURS = int(os.environ.get("EXPORT_FILE_HOURS", "24"))
EXPORT_STALE_AFTER_SECONDS = int(os.environ.get("EXPORT_STALE_AFTER_SECONDS", "300"))
EXPORT_QUEUE_TIMEOUT_SECONDS = int(os.environ.get("EXPORT_QUEUE_TIMEOUT_SECONDS", "1800"))

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# The absolute limit of a session; the idle limits below end it earlier (docs/reliability.md #15, ASVS 3.3).
SESSION_COOKIE_AGE = 12 * 60 * 60
# A regional operator's or an admin's session ends after 30 minutes without a request, anyone
# else's after two hours (mentoring_portal.security.IdleTimeoutMiddleware).
SESSION_IDLE_TIMEOUT_PRIVILEGED = int(os.environ.get("SESSION_IDLE_TIMEOUT_PRIVILEGED", str(30 * 60)))
SESSION_IDLE_TIMEOUT = int(os.environ.get("SESSION_IDLE_TIMEOUT", str(2 * 60 * 60)))

# Login throttling (django-axes): ten failures for one username from one address lock that pair
# out for 30 minutes (older failures are forgotten); every attempt is logged in axes' tables.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_CALLABLE = "mentoring_portal.security.lockout_response"
AXES_CLIENT_IP_CALLABLE = "mentoring_portal.client.client_ip"
AXES_VERBOSE = False  # no «AXES: BEGIN …» line at every manage.py start
# Password spraying (one address, one password, many names): axes counts per name and address, so a
# second limit counts the failures of each address across names (mentoring_portal.throttle). An
# IPv6 client counts by its /64. Within LOGIN_IP_WINDOW_MINUTES:
# - after LOGIN_IP_SLOWDOWN_FAILURES failures (any names) each further attempt from the address
#   must wait LOGIN_IP_SLOWDOWN_SECONDS after its previous failure, or is refused unchecked (429);
# - LOGIN_IP_LOCKOUT_NAMES different names failing lock the address for LOGIN_IP_LOCKOUT_MINUTES.
# A school of 60 staff behind one NAT address, all signing in within the same quarter of an hour
# with one typo in five, makes about 12 failures under a dozen names: far below both limits.
LOGIN_IP_WINDOW = timedelta(minutes=int(os.environ.get("LOGIN_IP_WINDOW_MINUTES", "15")))
LOGIN_IP_SLOWDOWN_FAILURES = int(os.environ.get("LOGIN_IP_SLOWDOWN_FAILURES", "20"))
LOGIN_IP_SLOWDOWN_SECONDS = int(os.environ.get("LOGIN_IP_SLOWDOWN_SECONDS", "10"))
LOGIN_IP_LOCKOUT_NAMES = int(os.environ.get("LOGIN_IP_LOCKOUT_NAMES", "30"))
LOGIN_IP_LOCKOUT_TIME = timedelta(minutes=int(os.environ.get("LOGIN_IP_LOCKOUT_MINUTES", "30")))
LOGIN_IP_V6_PREFIX = 64
# Mail an account asks for (mentoring_portal.accounts_mail: password reset, address confirmation):
# at most ACCOUNT_MAILS_PER_EMAIL_HOUR of each kind per e-mail address and
# ACCOUNT_MAILS_PER_ADDRESS_HOUR per client address within an hour; the confirmation link lives
# EMAIL_CONFIRM_DAYS days, the reset link PASSWORD_RESET_TIMEOUT (Django's, 3 days).
ACCOUNT_MAILS_PER_EMAIL_HOUR = int(os.environ.get("ACCOUNT_MAILS_PER_EMAIL_HOUR", "3"))
ACCOUNT_MAILS_PER_ADDRESS_HOUR = int(os.environ.get("ACCOUNT_MAILS_PER_ADDRESS_HOUR", "10"))
EMAIL_CONFIRM_DAYS = int(os.environ.get("EMAIL_CONFIRM_DAYS", "3"))
# Behind nginx: the request header that carries the client's address, "X-Real-IP" (nginx sets it to
# $remote_addr) or "X-Forwarded-For" (its last entry is taken). Empty, the default, trusts only
# REMOTE_ADDR: a header is believed only when a proxy that sets it stands in front.
CLIENT_IP_HEADER = os.environ.get("CLIENT_IP_HEADER", "")

# The dashboards of a region and of the country are kept this long in the cache, under a key that
# changes with any change of the rows they count (docs/architecture.md §12); 0 counts every time.
DASHBOARD_CACHE_SECONDS = int(os.environ.get("DASHBOARD_CACHE_SECONDS", "600"))

# The read-only API (mentoring_portal.api): calls a minute one key may make; beyond it 429 with
# Retry-After (counted in the cache, per process with the default local-memory cache).
API_RATE_LIMIT = int(os.environ.get("API_RATE_LIMIT", "120"))

# Content-Security-Policy (django-csp): our own scripts, styles, images and fonts only; no inline
# script or style, no plugins, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
    }
}
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    # Behind nginx, which terminates TLS and sets X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "noreply@mentoring.local")
# The portal's address as people reach it: the links in e-mails (notifications, reminders) are
# absolute, built on it (docs/architecture.md, notifications).
PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Every line carries the request id; control characters in messages are escaped, so a path
    # with CR/LF or ANSI escapes stays one line (docs/reliability.md #62, #64).
    "filters": {"request_id": {"()": "mentoring_portal.logs.RequestIdFilter"}},
    "formatters": {
        "single_line": {
            "()": "mentoring_portal.logs.SingleLineFormatter",
            "format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "single_line",
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # WeasyPrint reports every layout step at INFO and every CSS declaration it skips at WARNING:
    # only its errors are worth a line in the portal's log.
    "loggers": {
        # Django's own records (django.request's 404s and 500s, runserver's lines) through the same
        # handler instead of Django's default ones.
        "django": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO"), "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # django-axes writes a line for every login it resets; lockouts come at WARNING.
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "ERROR"},
        "weasyprint.progress": {"level": "ERROR"},
        "fontTools": {"level": "WARNING"},
    },
}

# Audit and logging (docs/reliability.md §2): the access log takes the client's address as django-axes does
# (CLIENT_IP_HEADER above, mentoring_portal.client.client_ip).
