"""Settings shared by every environment; values come from the environment (django-environ)."""

from pathlib import Path

import environ
from celery.schedules import crontab
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
env_file = BASE_DIR / ".env"
if env_file.exists():
    env.read_env(str(env_file))

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "core",
    "rma",
    "diagnostics",
]

MIDDLEWARE = [
    "core.requests.RequestIdMiddleware",
    "core.metrics.MetricsMiddleware",
    "core.replica.PrimaryAfterWriteMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "rma.context_processors.languages",
            ],
        },
    },
]

# Database: the embedded default is a SQLite file under var/; production sets DATABASE_URL.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A PostgreSQL streaming replica, when given, serves the reports, their exports and the detection scan's
# counting (core.replica); writes and everything else use the primary above.
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL", default="")
RMA_READ_REPLICA = ""
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    RMA_READ_REPLICA = "replica"
DATABASE_ROUTERS = ["core.replica.ReplicaRouter"]
# Past this replay lag (or when it does not answer) the replica is passed over for the primary.
RMA_REPLICA_MAX_LAG_SECONDS = env.float("RMA_REPLICA_MAX_LAG_SECONDS", default=300.0)
# After a request that wrote, the same browser reads the primary for this long (it sees its own change).
RMA_REPLICA_PIN_SECONDS = env.int("RMA_REPLICA_PIN_SECONDS", default=15)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env("DJANGO_TIME_ZONE", default="Europe/London")
USE_I18N = True
# The customers' languages (SPEC §14), each named in itself for the switcher. README "Adding a language".
LANGUAGES = [
    ("en-gb", "English"),
    ("fr", "Français"),
    ("es", "Español"),
    ("pt-br", "Português (Brasil)"),
    ("ar", "العربية"),
]
LANGUAGES_BIDI = ["ar"]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates as customers write them, per language (config/formats/<locale>/formats.py, over Django's own).
FORMAT_MODULE_PATH = ["config.formats"]
LANGUAGE_COOKIE_NAME = "language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_SAMESITE = "Lax"
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env("DJANGO_STATIC_ROOT", default=str(VAR_DIR / "staticfiles"))
MEDIA_URL = "media/"
MEDIA_ROOT = env("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "media"))

LOGIN_URL = "admin:login"

# Cache: also the shared counter store for rate limits (Redis in production). A Redis that does not answer
# is given up on within half a second, and rate limits then count in the database for RMA_CACHE_RETRY_SECONDS.
CACHE_URL = env("CACHE_URL", default="")
if CACHE_URL:
    CACHES = {"default": env.cache_url("CACHE_URL")}
    if CACHES["default"]["BACKEND"].endswith("RedisCache"):
        CACHES["default"].setdefault("OPTIONS", {}).update(
            {
                "socket_connect_timeout": env.float("CACHE_CONNECT_TIMEOUT", default=0.5),
                "socket_timeout": env.float("CACHE_TIMEOUT", default=0.5),
            }
        )
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Rendered status pages, in each process's memory: their keys carry the return's version, so a
# process never serves a page older than the return (rma.views.return_track).
CACHES["status_pages"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "status-pages",
    "OPTIONS": {"MAX_ENTRIES": env.int("RMA_STATUS_PAGE_CACHE_ENTRIES", default=2000)},
}

# E-mail
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="Returns <returns@example.com>")
EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_FILE_PATH = str(VAR_DIR / "mail")

# Celery: eager when no broker is configured (the embedded default).
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://localhost/"  # a host named, or kombu warns on every connection
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Publishing gives up quickly when the broker is down: the outbox sweep delivers what could not be queued,
# and a web request never waits seconds for a broker that is not there.
CELERY_BROKER_TRANSPORT_OPTIONS = env.json(
    "CELERY_BROKER_TRANSPORT_OPTIONS",
    default={"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5},
)
CELERY_TIMEZONE = TIME_ZONE
# Queues (README "Production"): customer e-mails, bulk mail (follow-ups, advisories, programme notices),
# webhooks, the detection scan, and the default queue for the rest (sweeps, nightly jobs). A worker started
# without -Q consumes every one; a worker of its own on customer-mail keeps customer mail from ever
# waiting behind bulk mail.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = [
    Queue(name) for name in ("customer-mail", "bulk-mail", "webhooks", "detection", CELERY_TASK_DEFAULT_QUEUE)
]
CELERY_TASK_ROUTES = {
    "rma.tasks.outbox_deliver": {"queue": "customer-mail"},
    "rma.tasks.outbox_drain_customer": {"queue": "customer-mail"},
    "rma.tasks.outbox_drain_bulk": {"queue": "bulk-mail"},
    "diagnostics.tasks.advisory_notify_owners": {"queue": "bulk-mail"},
    "*.programme*": {"queue": "bulk-mail"},
    "*webhook*": {"queue": "webhooks"},
    "diagnostics.tasks.detect_faults": {"queue": "detection"},
}
# Every task has a time limit: these unless the task sets its own (soft: raised inside the task; hard: killed).
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "rma-expire-stale-authorizations": {
        "task": "rma.tasks.expire_stale_authorizations",
        "schedule": crontab(hour=2, minute=15),
    },
    "rma-outbox-sweep": {"task": "rma.tasks.outbox_sweep", "schedule": 60.0},
    "core-webhook-sweep": {"task": "core.integration_tasks.webhook_sweep", "schedule": 60.0},
    "core-idempotency-keys-expire": {"task": "core.integration_tasks.idempotency_keys_expire", "schedule": 3600.0},
    "rma-follow-ups": {"task": "rma.tasks.follow_ups_send", "schedule": crontab(minute=30)},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # JSON bodies only: the schema offers application/json alone, and a form or multipart body is refused (415).
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.Pagination",
    # per user and scope (reads, writes, reports): API_THROTTLE_RATES below
    "DEFAULT_THROTTLE_CLASSES": ["core.api.throttling.ScopedUserThrottle"],
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "core.api.errors.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}

# The API's OpenAPI schema (/api/schema/) and its docs (/api/docs/), served from local static files.
SPECTACULAR_SETTINGS = {
    "TITLE": "Returns and root cause API",
    "DESCRIPTION": (
        "Devices, returns and their lifecycle, diagnoses, failure patterns, root-cause cases and failure reports. "
        "Authenticate with `Authorization: Bearer <key>` or `Authorization: Token <key>` (the key from "
        "`POST /api/v1/auth/token/`), or a staff session. Request bodies are JSON. "
        'Errors are `{"code", "message"}`: 400 bad input, 401 no credentials, 403 not allowed, 404 unknown, '
        "409 refused by the lifecycle or the policy."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.document_errors",
    ],
    "ENUM_NAME_OVERRIDES": {
        "RMAStatusEnum": "rma.models.RMAStatus",
        "PatternStatusEnum": "diagnostics.models.PatternStatus",
        "CaseStatusEnum": "diagnostics.models.CaseStatus",
        "FaultSignalStatusEnum": "diagnostics.models.FaultSignalStatus",
    },
}

# Integrations (docs/api.md). API tokens: issued to active staff in one of these groups (or superusers), valid this
# many days unless the issuer says otherwise.
API_TOKEN_ROLES = env.list("API_TOKEN_ROLES", default=["technician", "supervisor", "engineer"])
API_TOKEN_DAYS = env.int("API_TOKEN_DAYS", default=90)
# API requests per user ("count/seconds", fixed windows) by scope: reads (GET), writes (POST, PATCH ...), reports.
API_THROTTLE_RATES = {
    "reads": env("API_THROTTLE_READS", default="1200/60"),
    "writes": env("API_THROTTLE_WRITES", default="300/60"),
    "reports": env("API_THROTTLE_REPORTS", default="120/60"),
}
# A creating POST's Idempotency-Key answers with the first answer for this long.
API_IDEMPOTENCY_HOURS = env.int("API_IDEMPOTENCY_HOURS", default=24)
# Incremental sync (?updated_since, ?cursor): rows changed in the last seconds are served on a later page,
# so a transaction that commits late with an earlier timestamp is not skipped by a cursor already past it.
API_SYNC_SETTLE_SECONDS = env.float("API_SYNC_SETTLE_SECONDS", default=2.0)
# Webhooks (SPEC §12): deliveries time out after this many seconds; private, loopback and link-local targets are
# refused unless allowed (the embedded default allows them; production refuses them unless set).
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=True)

# Service levels: how long an RMA may stay in each status before it is overdue.
# Each value is {"business_days": n} or {"days": n}.
RMA_SERVICE_LEVELS = env.json(
    "RMA_SERVICE_LEVELS",
    default={
        "submitted": {"business_days": 1},
        "authorized": {"days": 21},
        "received": {"business_days": 1},
        "diagnosing": {"business_days": 3},
        "awaiting_customer": {"days": 14},
        "repairing": {"business_days": 5},
        "replacing": {"business_days": 3},
        "shipped": {"days": 10},
    },
)
# An authorized return whose unit never arrives is cancelled after this many days.
RMA_AUTHORIZATION_EXPIRY_DAYS = env.int("RMA_AUTHORIZATION_EXPIRY_DAYS", default=30)
# What we promise the customer: the unit is on its way back this many business days after receipt.
RMA_TURNAROUND_BUSINESS_DAYS = env.int("RMA_TURNAROUND_BUSINESS_DAYS", default=7)
# Goodwill: a customer gets at most one goodwill replacement within this many months.
GOODWILL_LOOKBACK_MONTHS = env.int("GOODWILL_LOOKBACK_MONTHS", default=12)
# A unit back with the same fault within this many days of being shipped is a repeat failure.
REPEAT_FAILURE_DAYS = env.int("REPEAT_FAILURE_DAYS", default=90)

# Customers' pages and e-mails.
# Where e-mailed links point (the public address of the site).
RMA_PUBLIC_BASE_URL = env("RMA_PUBLIC_BASE_URL", default="http://127.0.0.1:8000")
# A secret status link works this many days after it is issued, and at most this long after the return closes.
RMA_STATUS_LINK_DAYS = env.int("RMA_STATUS_LINK_DAYS", default=365)
RMA_STATUS_LINK_DAYS_AFTER_CLOSE = env.int("RMA_STATUS_LINK_DAYS_AFTER_CLOSE", default=180)
# A status page without a form is kept rendered (in the cache) until its return changes, and at most this long.
RMA_STATUS_PAGE_CACHE_SECONDS = env.int("RMA_STATUS_PAGE_CACHE_SECONDS", default=60)
# Failed look-ups by RMA number and e-mail ("count/seconds", fixed windows): per client IP, per RMA number
# from one IP, and per RMA number from all IPs together (a higher ceiling that one IP alone cannot reach).
RMA_LOOKUP_RATE_PER_IP = env("RMA_LOOKUP_RATE_PER_IP", default="20/900")
RMA_LOOKUP_RATE_PER_NUMBER_AND_IP = env("RMA_LOOKUP_RATE_PER_NUMBER_AND_IP", default="5/900")
RMA_LOOKUP_RATE_PER_NUMBER = env("RMA_LOOKUP_RATE_PER_NUMBER", default="50/3600")
# The public service-programme checker (/programmes/check/), per address.
PROGRAMME_CHECK_RATE_PER_IP = env("PROGRAMME_CHECK_RATE_PER_IP", default="30/900")
# Mounts a bare view for load comparisons (benchmarks/load/); never in a real deployment.
RMA_BENCHMARK_VIEWS = env.bool("RMA_BENCHMARK_VIEWS", default=False)
# Failed staff sign-ins (admin and API token), "count/seconds": per client IP, per username from one IP, and
# per username from all IPs together (a higher ceiling that one IP alone cannot reach); see core/login_limits.py.
RMA_LOGIN_RATE_PER_IP = env("RMA_LOGIN_RATE_PER_IP", default="30/900")
RMA_LOGIN_RATE_PER_USERNAME_AND_IP = env("RMA_LOGIN_RATE_PER_USERNAME_AND_IP", default="10/900")
RMA_LOGIN_RATE_PER_USERNAME = env("RMA_LOGIN_RATE_PER_USERNAME", default="100/3600")
# After the cache failed, rate limits count in the database for this many seconds before trying it again.
RMA_CACHE_RETRY_SECONDS = env.int("RMA_CACHE_RETRY_SECONDS", default=10)
# New returns from the public form, per client IP.
RMA_START_RATE_PER_IP = env("RMA_START_RATE_PER_IP", default="20/3600")
# The request header with the client's address when behind a proxy (e.g. HTTP_X_REAL_IP); REMOTE_ADDR if empty.
RMA_CLIENT_IP_HEADER = env("RMA_CLIENT_IP_HEADER", default="")
# The outbox: a claimed send is taken over after the lease; a row is given up after so many attempts.
RMA_OUTBOX_LEASE_SECONDS = env.int("RMA_OUTBOX_LEASE_SECONDS", default=300)
RMA_OUTBOX_MAX_ATTEMPTS = env.int("RMA_OUTBOX_MAX_ATTEMPTS", default=12)
RMA_OUTBOX_SWEEP_GRACE_SECONDS = env.int("RMA_OUTBOX_SWEEP_GRACE_SECONDS", default=60)
RMA_OUTBOX_BROKER_PAUSE_SECONDS = env.int("RMA_OUTBOX_BROKER_PAUSE_SECONDS", default=30)
# Drains: rows claimed (and sent over one connection) at a time, how long one drain task runs before handing
# over to a successor, and how many drains a sweep keeps running per queue for a large backlog (one per batch).
RMA_OUTBOX_BATCH = env.int("RMA_OUTBOX_BATCH", default=100)
RMA_OUTBOX_DRAIN_SECONDS = env.int("RMA_OUTBOX_DRAIN_SECONDS", default=20)
RMA_OUTBOX_DRAINS = env.int("RMA_OUTBOX_DRAINS", default=8)
# The "is your device still working?" e-mail, this many days after a return closes (at most a week late).
# An import that brings at least this many devices, and at least as many as are stored, rebuilds the
# devices' secondary indexes and foreign keys once instead of row by row (0: never).
RMA_IMPORT_BULK_LOAD_ROWS = env.int("RMA_IMPORT_BULK_LOAD_ROWS", default=100_000)

RMA_FOLLOW_UP_DAYS = env.int("RMA_FOLLOW_UP_DAYS", default=14)
RMA_FOLLOW_UP_SLACK_DAYS = env.int("RMA_FOLLOW_UP_SLACK_DAYS", default=7)
# A paid-repair quote below this amount needs a supervisor (rma.approve_quote).
RMA_QUOTE_MINIMUM = env("RMA_QUOTE_MINIMUM", default="10.00")
RMA_QUOTE_CURRENCY = env("RMA_QUOTE_CURRENCY", default="EUR")  # ISO 4217: what quotes (and so paid repairs) are in
# Compensation suggested for late returns and repeat failures (rma.policy.CompensationRule).
RMA_COMPENSATION = env.json(
    "RMA_COMPENSATION",
    default={
        "kind": "extended_warranty",
        "months_per_week": 1,
        "max_months": 6,
        "credit_per_week": "10.00",
        "max_credit": "60.00",
        "grace_days": 0,
    },
)
EMAIL_TIMEOUT = env.int("DJANGO_EMAIL_TIMEOUT", default=30)

# /metrics (Prometheus) is readable from these addresses or networks without a staff token (e.g. the scraper's).
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=[])

# Log lines: JSON (one object a line, for a log collector) or plain text for a person at a terminal.
LOG_FORMAT = env("DJANGO_LOG_FORMAT", default="json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Secret status links never reach the logs (request lines, 404 warnings).
    "filters": {
        "redact_secret_links": {"()": "core.logging.RedactSecretLinks"},
        "request_id": {"()": "core.logging.RequestId"},
    },
    "formatters": {
        "json": {"()": "core.logging.JsonLines"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["redact_secret_links", "request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # In eager mode every task would log its success.
        "celery.app.trace": {"level": "WARNING"},
        "django.request": {"filters": ["redact_secret_links"]},
        "django.server": {
            "handlers": ["console"],
            "level": "INFO",
            "propagate": False,
            "filters": ["redact_secret_links", "request_id"],
        },
    },
}

# Errors to Sentry (core/sentry.py), only when SENTRY_DSN is set; events are scrubbed of personal data and links.
SENTRY_DSN = env("SENTRY_DSN", default="")
if SENTRY_DSN:
    from core.sentry import sentry_init

    sentry_init(
        SENTRY_DSN,
        environment=env("SENTRY_ENVIRONMENT", default=""),
        release=env("SENTRY_RELEASE", default=""),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Diagnostics: photos, logs and reports attached to diagnoses and root-cause cases.
DIAGNOSTICS_ATTACHMENT_MAX_BYTES = env.int("DIAGNOSTICS_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
# The largest picture accepted, in pixels (width × height): a small file can declare a huge picture.
DIAGNOSTICS_ATTACHMENT_MAX_PIXELS = env.int("DIAGNOSTICS_ATTACHMENT_MAX_PIXELS", default=50_000_000)
# Proofs of purchase uploaded on a return's status page when ownership is to confirm (SPEC §8):
# their size, and how many one return may have (the same pixel limit as above applies).
RMA_PROOF_MAX_BYTES = env.int("RMA_PROOF_MAX_BYTES", default=10 * 1024 * 1024)
RMA_PROOF_MAX_FILES = env.int("RMA_PROOF_MAX_FILES", default=5)

# Recurring-fault detection (SPEC §7): the nightly scan, its false-alarm budget (false alarms a year over
# all cells), the reporting-lag weeks left out of the baseline fit, and the fewest failures that can alarm.
DETECTION_FALSE_ALARMS_PER_YEAR = env.float("DETECTION_FALSE_ALARMS_PER_YEAR", default=4.0)
DETECTION_LAG_WEEKS = env.int("DETECTION_LAG_WEEKS", default=3)
DETECTION_MIN_OBSERVED = env.int("DETECTION_MIN_OBSERVED", default=3)
# Reports (SPEC §8): a Weibull fit on fewer failures than this is not shown as a fit, but says why.
RELIABILITY_MIN_FAILURES = env.int("RELIABILITY_MIN_FAILURES", default=5)
CELERY_BEAT_SCHEDULE["diagnostics-detect-faults"] = {
    "task": "diagnostics.tasks.detect_faults",
    "schedule": crontab(hour=3, minute=30),
}
