"""Settings for the account-manager CRM, read from the environment (12-factor).

With no variables set this is a local, embedded setup: SQLite in the checkout,
Celery tasks run eagerly, e-mail goes to the console. DJANGO_ENV=production
switches on the hardened settings that pass ``manage.py check --deploy``.
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DJANGO_ENV = os.environ.get("DJANGO_ENV", "development").lower()
IS_PRODUCTION = DJANGO_ENV == "production"

if IS_PRODUCTION:
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("SECRET_KEY must be set (50+ random characters) in production.")
else:
    # A fixed key is fine for a local checkout; production refuses to start without its own.
    SECRET_KEY = os.environ.get("SECRET_KEY", "local-development-only-key-not-for-production-use-0123456789")

DEBUG = env_bool("DEBUG", default=not IS_PRODUCTION)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if IS_PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    "axes",
    "csp",
    # The project's apps, in the order of DESIGN.md's import chain (each imports only those above it).
    "core",  # leaf helpers; installed for its management commands (check_translations)
    "users",
    "notifications",
    "clients",
    "contracts",
    "interactions",
    "capture",
    "kpis",
    "health",
    "flags",
    "playbooks",
    "reviews",
    "sharing",
    "surveys",
    "dashboards",
]

MIDDLEWARE = [
    # First: the request id covers everything below, and every /api/ error leaves in the one JSON shape.
    "core.middleware.RequestIdMiddleware",
    "core.middleware.ApiErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The browser's Accept-Language picks the language until the user chooses one in their preferences.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A signed-in user's own language and time zone win over the browser's.
    "users.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Axes must be last: it turns a locked-out login into a clear 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "accounts_crm.urls"

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
                "users.context_processors.navigation",
                "notifications.context_processors.notifications",
            ],
        },
    },
]

WSGI_APPLICATION = "accounts_crm.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Several writers (runserver threads, eager tasks) share one file: wait instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "users.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboards:home"
LOGOUT_REDIRECT_URL = "login"

SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 60 * 60)))
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True

LANGUAGE_CODE = "en"
# The company's time zone: the day the morning run, due dates and the back-test count in. Each user may
# pick their own zone for reading times (users.middleware); their "today" on pages follows it.
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
LANGUAGES = [
    ("en", "English"),
    ("ru", "Русский"),
    ("zh-hans", "简体中文"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["accounts_crm.formats"]  # our few overrides of Django's formats (zh_Hans number grouping)
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if IS_PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Without collectstatic (local runs, tests) WhiteNoise serves straight from the app folders.
WHITENOISE_USE_FINDERS = not IS_PRODUCTION

# Uploads (CSV imports) are read in memory; keep them bounded.
MAX_IMPORT_UPLOAD_BYTES = int(os.environ.get("MAX_IMPORT_UPLOAD_BYTES", str(5 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("DATA_UPLOAD_MAX_MEMORY_SIZE", str(10 * 1024 * 1024)))

# E-mail: console locally; SMTP when EMAIL_HOST is given.
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "crm@localhost")
if os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))

# The outbox (notifications/services.py): a claimed message whose sender vanished is taken again after the
# lease (longer than EMAIL_TIMEOUT); transient SMTP errors are retried with back-off up to the attempt limit.
OUTBOX_LEASE_SECONDS = int(os.environ.get("OUTBOX_LEASE_SECONDS", "300"))
OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "8"))
OUTBOX_RETRY_BASE_SECONDS = int(os.environ.get("OUTBOX_RETRY_BASE_SECONDS", "60"))
OUTBOX_RETRY_MAX_SECONDS = int(os.environ.get("OUTBOX_RETRY_MAX_SECONDS", "3600"))

# Links in e-mails and webhook messages are absolute: the address people open the CRM at.
SITE_URL = os.environ.get("SITE_URL", "http://localhost:8000").rstrip("/")

# Outgoing webhooks (notifications/webhooks.py, README "Webhooks"). Each delivery is an outbox row sent by its own
# task with a short timeout, retried with back-off for WEBHOOK_RETRY_HOURS. Loopback, link-local and private
# addresses are refused (at registration and again at every send) unless WEBHOOK_ALLOW_PRIVATE_ADDRESSES is on:
# for tests and for a receiver that really sits on the company's own network.
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env_bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", False)
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "10"))
WEBHOOK_RETRY_HOURS = float(os.environ.get("WEBHOOK_RETRY_HOURS", "24"))

# Celery: a real broker when REDIS_URL is set, otherwise tasks run in-process.
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
# No result backend: no task's return value is ever read (core/tasks.py: ignore_result).
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "celery")
# Redelivery after a lost worker: unacknowledged tasks come back after this long (seconds).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600"))}
CELERY_TIMEZONE = TIME_ZONE
# The task policy (core/tasks.py, every task): time limits, retries of transient errors with back-off + jitter.
CELERY_TASK_SOFT_TIME_LIMIT = int(os.environ.get("CELERY_TASK_SOFT_TIME_LIMIT", "300"))
CELERY_TASK_TIME_LIMIT = int(os.environ.get("CELERY_TASK_TIME_LIMIT", "360"))
TASK_MAX_RETRIES = int(os.environ.get("TASK_MAX_RETRIES", "8"))
TASK_RETRY_BACKOFF_SECONDS = int(os.environ.get("TASK_RETRY_BACKOFF_SECONDS", "2"))
TASK_RETRY_BACKOFF_MAX_SECONDS = int(os.environ.get("TASK_RETRY_BACKOFF_MAX_SECONDS", "300"))

# Health scoring: clients per Celery task, and the pause before re-scoring after a KPI batch
# (so a backend sending many batches in a row triggers few re-scores).
HEALTH_CHUNK_SIZE = int(os.environ.get("HEALTH_CHUNK_SIZE", "1000"))
HEALTH_RESCORE_DELAY_SECONDS = int(os.environ.get("HEALTH_RESCORE_DELAY_SECONDS", "30"))
# A re-score still not done this long after it was due has lost its task: the next batch or the sweeper queues it.
HEALTH_RESCORE_LOST_AFTER_SECONDS = int(os.environ.get("HEALTH_RESCORE_LOST_AFTER_SECONDS", "300"))

# The weekly cap: at most this many new flags pushed to one AM per week (Monday to Sunday), chosen by expected value
# (rule precision x money at stake); the rest stay visible on the Flags page, held back. 0 turns the cap off.
FLAGS_WEEKLY_CAP = int(os.environ.get("FLAGS_WEEKLY_CAP", "10"))

# The morning run (Celery beat): scores for the day, then every active trigger rule.
EVALUATION_TIME = os.environ.get("EVALUATION_TIME", "06:00")
# A running evaluation without progress for this long has lost chunks (e.g. Redis restarted without
# persistence): the sweeper, every SWEEPER_INTERVAL_SECONDS, sends them again.
EVALUATION_STALL_MINUTES = int(os.environ.get("EVALUATION_STALL_MINUTES", "15"))
SWEEPER_INTERVAL_SECONDS = int(os.environ.get("SWEEPER_INTERVAL_SECONDS", "120"))
_evaluation_hour, _evaluation_minute = (int(part) for part in EVALUATION_TIME.split(":"))
CELERY_BEAT_SCHEDULE = {
    "daily-evaluation": {
        "task": "flags.tasks.run_daily_evaluation",
        "schedule": crontab(hour=_evaluation_hour, minute=_evaluation_minute),
    },
    "outbox-deliver-due": {"task": "notifications.tasks.outbox_deliver_due", "schedule": 60.0},
    # Lost work started again: evaluation chunks without progress, a morning run that never started,
    # outbox rows still pending, KPI re-scores whose task was lost (flags/tasks.py sweep_lost_work).
    "sweep-lost-work": {"task": "flags.tasks.sweep_lost_work", "schedule": float(SWEEPER_INTERVAL_SECONDS)},
    # Every rule's back-test figures for the rules page (flags.services.rule_scorecards_refresh).
    "rule-scorecards": {"task": "flags.tasks.refresh_rule_scorecards", "schedule": crontab(hour=3, minute=30)},
    # Contracts approaching their end get a renewal record (contracts/tasks.py; idempotent, so hourly is fine).
    "renewals-open-due": {"task": "contracts.tasks.renewals_open_due", "schedule": crontab(minute=15)},
    # Meetings learnt from invitations are logged once they have ended (capture/meetings.py).
    "capture-meetings-log-due": {"task": "capture.tasks.meetings_log_due", "schedule": 300.0},
    # Issued invoices past their due date become overdue (contracts/tasks.py; idempotent).
    "invoices-mark-overdue": {"task": "contracts.tasks.invoices_mark_overdue", "schedule": crontab(hour=5, minute=5)},
    # Renewal checkpoints 120/90/60 days out become the AM's follow-ups (interactions/tasks.py; idempotent).
    "renewal-checkpoints": {"task": "interactions.tasks.renewal_checkpoints", "schedule": crontab(hour=5, minute=20)},
    # Monthly partitions of the KPI values created ahead, old ones detached under KPI_RETENTION_MONTHS (kpis/tasks.py).
    "kpi-partitions": {"task": "kpis.tasks.metric_value_partitions_maintain", "schedule": crontab(hour=2, minute=10)},
    # Renewal playbooks start, waits end, steps due today are announced (playbooks.services.playbooks_daily).
    "playbooks-daily": {"task": "playbooks.tasks.run_playbooks_daily", "schedule": crontab(hour=6, minute=45)},
    # Scheduled client surveys go out, and who has not answered is reminded (surveys/tasks.py; idempotent).
    "surveys-daily": {"task": "surveys.tasks.surveys_daily", "schedule": crontab(hour=9, minute=0)},
}

# KPI storage (PostgreSQL, README "Storage"): monthly partitions kept this many months ahead; months older than
# KPI_RETENTION_MONTHS are detached by the daily upkeep (0, the default: keep everything).
KPI_PARTITIONS_AHEAD = int(os.environ.get("KPI_PARTITIONS_AHEAD", "3"))
KPI_RETENTION_MONTHS = int(os.environ.get("KPI_RETENTION_MONTHS", "0"))

# Money: every total converts to this currency with the rate of the day it describes (contracts.ExchangeRate).
BASE_CURRENCY = os.environ.get("BASE_CURRENCY", "EUR").strip().upper() or "EUR"
# Phone numbers written without a country code (030 1234567) are read as numbers of this country (ISO 3166
# code, e.g. DE) to store them in E.164 (+49301234567); empty: such numbers are kept by their digits only.
PHONE_DEFAULT_REGION = os.environ.get("PHONE_DEFAULT_REGION", "").strip().upper() or None
# Days before a contract's end when its renewal record opens.
RENEWAL_HORIZON_DAYS = int(os.environ.get("RENEWAL_HORIZON_DAYS", "120"))
# Days before a renewal's due date when its checkpoint follow-ups fall due (interactions.tasks).
RENEWAL_CHECKPOINT_DAYS = tuple(
    sorted({int(d) for d in env_list("RENEWAL_CHECKPOINT_DAYS") or ["120", "90", "60"]}, reverse=True)
)
# Documents (contracts.Document): kept in STORAGES["default"] under MEDIA_ROOT, never served by URL; downloaded
# through a view that checks the client. Bigger files and types outside the allow-list are refused.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", str(BASE_DIR / "media")))
DOCUMENT_MAX_BYTES = int(os.environ.get("DOCUMENT_MAX_BYTES", str(20 * 1024 * 1024)))

# E-mail capture (capture/, README "Capture"). Off until a way in is configured: IMAP_URL for the poller,
# CAPTURE_INBOUND_SECRET for the inbound-mail endpoint (uploading a .eml on a client page always works).
CAPTURE_MAX_MESSAGE_BYTES = int(os.environ.get("CAPTURE_MAX_MESSAGE_BYTES", str(25 * 1024 * 1024)))
CAPTURE_INBOUND_SECRET = os.environ.get("CAPTURE_INBOUND_SECRET", "")
# The company's own domains and the capture addresses themselves: never a client's.
CAPTURE_OWN_DOMAINS = env_list("CAPTURE_OWN_DOMAINS")
CAPTURE_IGNORE_ADDRESSES = env_list("CAPTURE_IGNORE_ADDRESSES")
CAPTURE_EXTRA_FREEMAIL_DOMAINS = env_list("CAPTURE_EXTRA_FREEMAIL_DOMAINS")
IMAP_URL = os.environ.get("IMAP_URL", "")
# Account managers may connect their own mailbox (capture/, "My mailbox"); its password is sealed with these
# Fernet keys (core/sealed.py; first seals, all open). Unset: a key derived from SECRET_KEY.
SEALING_KEYS = env_list("SEALING_KEYS")
# The shared plan page a client's contact opens without logging in (sharing/): requests per minute per address.
SHARING_REQUESTS_PER_MINUTE = int(os.environ.get("SHARING_REQUESTS_PER_MINUTE", "30"))
# Surveys (surveys/, README "Surveys"): days a survey stays open when a schedule sends it, days before the daily task
# reminds who has not answered, and the most reminders one contact gets for one survey.
SURVEY_OPEN_DAYS = int(os.environ.get("SURVEY_OPEN_DAYS", "21"))
SURVEY_REMIND_AFTER_DAYS = int(os.environ.get("SURVEY_REMIND_AFTER_DAYS", "7"))
SURVEY_MAX_REMINDERS = int(os.environ.get("SURVEY_MAX_REMINDERS", "2"))
CAPTURE_PERSONAL_MAILBOXES = env_bool("CAPTURE_PERSONAL_MAILBOXES", default=True)
# "Sign in with Google / Microsoft" for My mailbox (capture/oauth.py): a provider appears once its app's client id
# and secret are set. Redirect URI to register with the provider: https://<host>/my-mailbox/oauth/callback/
CAPTURE_OAUTH_PROVIDERS = {
    "google": {
        "label": "Google",
        "authorize_url": "https://accounts.google.com/o/oauth2/v2/auth",
        "token_url": "https://oauth2.googleapis.com/token",
        "scope": "https://mail.google.com/",
        "imap_host": "imap.gmail.com",
        "imap_port": 993,
        "client_id": os.environ.get("GOOGLE_OAUTH_CLIENT_ID", ""),
        "client_secret": os.environ.get("GOOGLE_OAUTH_CLIENT_SECRET", ""),
    },
    "microsoft": {
        "label": "Microsoft 365",
        "authorize_url": f"https://login.microsoftonline.com/{os.environ.get('MICROSOFT_OAUTH_TENANT', 'common')}"
        "/oauth2/v2.0/authorize",
        "token_url": f"https://login.microsoftonline.com/{os.environ.get('MICROSOFT_OAUTH_TENANT', 'common')}"
        "/oauth2/v2.0/token",
        "scope": "https://outlook.office.com/IMAP.AccessAsUser.All offline_access",
        "imap_host": "outlook.office365.com",
        "imap_port": 993,
        "client_id": os.environ.get("MICROSOFT_OAUTH_CLIENT_ID", ""),
        "client_secret": os.environ.get("MICROSOFT_OAUTH_CLIENT_SECRET", ""),
    },
}
IMAP_MAILBOXES = env_list("IMAP_MAILBOXES")
IMAP_TIMEOUT_SECONDS = int(os.environ.get("IMAP_TIMEOUT_SECONDS", "30"))
CAPTURE_IMAP_POLL_SECONDS = int(os.environ.get("CAPTURE_IMAP_POLL_SECONDS", "180"))
CAPTURE_IMAP_BATCH = int(os.environ.get("CAPTURE_IMAP_BATCH", "200"))
if IMAP_URL:
    CELERY_BEAT_SCHEDULE["capture-imap-poll"] = {
        "task": "capture.tasks.imap_poll",
        "schedule": float(CAPTURE_IMAP_POLL_SECONDS),
    }
if CAPTURE_PERSONAL_MAILBOXES:
    CELERY_BEAT_SCHEDULE["capture-personal-mailboxes"] = {
        "task": "capture.tasks.personal_mailboxes_poll",
        "schedule": float(CAPTURE_IMAP_POLL_SECONDS),
    }

CACHES = {
    "default": (
        {
            # Like Django's RedisCache, but a Redis outage means cache misses, not failed pages.
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: a bad token answers 401 with WWW-Authenticate, not a CSRF-flavoured 403.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["core.filters.StrictFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "core.api.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Account-manager CRM API",
    "DESCRIPTION": "Clients, contacts and sales-to-AM handoffs. Session or token authentication.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "LevelEnum": "clients.models.Level",
        "ClientStatusEnum": "clients.models.ClientStatus",
        "ChurnReasonEnum": "clients.models.ChurnReason",
        "NotificationChannelEnum": "notifications.kinds.Channel",
        "SurveyKindEnum": "surveys.models.SurveyKind",
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

SIMPLE_HISTORY_HISTORY_ID_USE_UUID = False

# django-axes: lock an account+IP pair after repeated failures.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "0.5"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# Content-Security-Policy: no inline scripts; every asset is vendored and served from 'self'.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

if IS_PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Logs on stderr; every line carries the request id (and in Celery tasks the task id and name).
# LOG_FORMAT=json: one JSON object per line for a log collector; text (default) for a terminal.
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").upper()
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text").lower()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured("LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL.")
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured("LOG_FORMAT must be text or json.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "core.logging.ContextFilter"}},
    "formatters": {"text": {"()": "core.logging.TextFormatter"}, "json": {"()": "core.logging.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["context"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"axes": {"level": "WARNING"}, "celery.app.trace": {"level": "WARNING"}},
}

# Error reports to Sentry only when SENTRY_DSN is set (otherwise sentry_sdk is not even imported).
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    from core.observability import init_sentry

    init_sentry(
        dsn=SENTRY_DSN,
        environment=os.environ.get("SENTRY_ENVIRONMENT", DJANGO_ENV),
        release=os.environ.get("SENTRY_RELEASE") or None,
        traces_sample_rate=float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0")),
    )
