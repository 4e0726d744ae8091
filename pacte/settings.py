"""Pacte's settings, driven by environment variables (documented in ``.env.example``).

With no environment at all Pacte runs on SQLite in ``var/``; background work runs in
``pacte worker`` processes (``make run`` starts one).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from pacte.encryption import development_key, parse_keys
from pacte.env import env_bool, env_choice, env_float, env_int, env_list, env_str
from pacte.logs import logging_config
from pacte.proxy import parse_networks

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("PACTE_VAR_DIR", str(BASE_DIR / "var")))

PACTE_ENV = env_choice("PACTE_ENV", ("development", "test", "production"), "development")
PRODUCTION = PACTE_ENV == "production"

DEBUG = env_bool("PACTE_DEBUG", default=False)
SECRET_KEY = env_str("PACTE_SECRET_KEY")
ALLOWED_HOSTS = env_list("PACTE_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])

if PRODUCTION:
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "PACTE_SECRET_KEY must be set to a random string of at least 50 characters "
            "when PACTE_ENV=production."
        )
    if not env_str("PACTE_ALLOWED_HOSTS"):
        raise ImproperlyConfigured("PACTE_ALLOWED_HOSTS must be set when PACTE_ENV=production.")
    if DEBUG:
        raise ImproperlyConfigured("PACTE_DEBUG must be off when PACTE_ENV=production.")
elif not SECRET_KEY:
    # Development only: a fixed, clearly marked key so sessions survive restarts.
    SECRET_KEY = "development-only-insecure-key-" + "x" * 40

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks_db",
    "pacte.accounts",
    "pacte.jobs",
    "pacte.org",
    "pacte.audit",
    "pacte.sales",
    "pacte.planning",
    "pacte.objectives",
    "pacte.pipeline",
    "pacte.insights",
    "pacte.sources",
    "pacte.partners",
    "pacte.samples",
    "pacte.webhooks",
]

MIDDLEWARE = [
    "pacte.proxy.TrustedProxyMiddleware",
    "pacte.logs.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "pacte.jobs.metrics.RequestMetricsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "pacte.accounts.middleware.MemberMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "pacte.accounts.sessions.SessionPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "pacte.urls"
WSGI_APPLICATION = "pacte.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "pacte.accounts.context_processors.member",
            ],
            "builtins": ["pacte.templatetags_builtin", "pacte.templatetags_pages"],
        },
    }
]


def _database_from_url(url: str) -> dict[str, object]:
    parsed = urlparse(url)
    if parsed.scheme in ("postgres", "postgresql"):
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parsed.path.lstrip("/")) or "pacte",
            "USER": unquote(parsed.username or "postgres"),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "127.0.0.1",
            "PORT": str(parsed.port or 5432),
            "CONN_MAX_AGE": env_int("PACTE_DB_CONN_MAX_AGE", 60),
            "CONN_HEALTH_CHECKS": True,
        }
    if parsed.scheme == "sqlite":
        path = (
            unquote(parsed.path) if parsed.path not in ("", "/") else str(VAR_DIR / "pacte.sqlite3")
        )
        return _sqlite(path)
    raise ImproperlyConfigured(
        f"DATABASE_URL must start with postgres:// or sqlite://, got {url!r}"
    )


def _sqlite(path: str) -> dict[str, object]:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": path,
        # Kept open like PostgreSQL's: a worker otherwise reconnects (and re-runs the PRAGMAs)
        # at every job, and is three times slower for small jobs.
        "CONN_MAX_AGE": env_int("PACTE_DB_CONN_MAX_AGE", 60),
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            ),
        },
    }


DATABASES = {
    "default": _database_from_url(env_str("DATABASE_URL"))
    if env_str("DATABASE_URL")
    else _sqlite(str(VAR_DIR / "pacte.sqlite3"))
}
# A PostgreSQL streaming replica that insights pages and exports may read from (pacte.replica):
# used only while it holds the workspace's latest cube version and lags less than
# PACTE_REPLICA_MAX_LAG seconds; otherwise, or when it does not answer, the primary.
if env_str("DATABASE_REPLICA_URL"):
    _replica = _database_from_url(env_str("DATABASE_REPLICA_URL"))
    if _replica["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_REPLICA_URL must be a postgres:// URL")
    DATABASES["replica"] = {
        **_replica,
        "OPTIONS": {"connect_timeout": env_int("PACTE_REPLICA_CONNECT_TIMEOUT", 2)},
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["pacte.replica.ReplicaRouter"]
PACTE_REPLICA_MAX_LAG = env_float("PACTE_REPLICA_MAX_LAG", 5.0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_HASHERS = (
    ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if PACTE_ENV == "test"
    else ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
)

# Login throttling (pacte.accounts.throttle): attempts allowed for one e-mail from one address,
# from one address for any e-mail, for one e-mail from anywhere; then the first wait in minutes,
# doubled at each new lockout.
PACTE_LOGIN_MAX_FAILURES = env_int("PACTE_LOGIN_MAX_FAILURES", 5)
PACTE_LOGIN_MAX_FAILURES_PER_ADDRESS = env_int("PACTE_LOGIN_MAX_FAILURES_PER_ADDRESS", 30)
PACTE_LOGIN_MAX_FAILURES_PER_ACCOUNT = env_int("PACTE_LOGIN_MAX_FAILURES_PER_ACCOUNT", 50)
PACTE_LOGIN_LOCKOUT_MINUTES = env_int("PACTE_LOGIN_LOCKOUT_MINUTES", 15)

# Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (addresses or networks).
PACTE_TRUSTED_PROXIES = env_list("PACTE_TRUSTED_PROXIES")
parse_networks(PACTE_TRUSTED_PROXIES)  # a malformed entry stops the start

# Keys encrypting stored secrets (Fernet, newest first). Required in production; elsewhere a
# key derived from the secret key is used.
PACTE_ENCRYPTION_KEYS = env_list("PACTE_ENCRYPTION_KEYS")
if PRODUCTION and not PACTE_ENCRYPTION_KEYS:
    raise ImproperlyConfigured(
        "PACTE_ENCRYPTION_KEYS must be set when PACTE_ENV=production "
        "(make one with `pacte generate_encryption_key`)."
    )
if not PACTE_ENCRYPTION_KEYS:
    PACTE_ENCRYPTION_KEYS = [development_key(SECRET_KEY)]
parse_keys(PACTE_ENCRYPTION_KEYS)

# Single sign-on: seconds to wait for an identity provider, SAML clock skew allowed, and the
# xmlsec1 program SAML signatures are checked with.
PACTE_SSO_TIMEOUT_SECONDS = env_int("PACTE_SSO_TIMEOUT_SECONDS", 10)
#: Pacte's public address (``https://pacte.example.com``): links in e-mails are absolute with
#: it. Empty: e-mails carry paths only.
PACTE_BASE_URL = env_str("PACTE_BASE_URL").rstrip("/")
PACTE_SAML_CLOCK_SKEW_SECONDS = env_int("PACTE_SAML_CLOCK_SKEW_SECONDS", 120)
PACTE_XMLSEC_BINARY = env_str("PACTE_XMLSEC_BINARY", "/usr/bin/xmlsec1")

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [Path(env_str("PACTE_LOCALE_DIR", str(BASE_DIR / "locale")))]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env_str("PACTE_TIME_ZONE", "Europe/Paris")

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = VAR_DIR / "media"
# Uploaded import files: a folder by default (shared by the processes of one machine, or mounted
# from a network share), an S3-compatible object store when PACTE_S3_BUCKET is set, so that a
# worker on any machine reads what any web process received. Keys and secrets come from the
# environment only (or boto3's own chain: instance roles, AWS_* variables).
PACTE_S3 = {
    "bucket": env_str("PACTE_S3_BUCKET"),
    "endpoint_url": env_str("PACTE_S3_ENDPOINT_URL"),
    "region": env_str("PACTE_S3_REGION"),
    "access_key_id": env_str("PACTE_S3_ACCESS_KEY_ID"),
    "secret_access_key": env_str("PACTE_S3_SECRET_ACCESS_KEY"),
    "prefix": env_str("PACTE_S3_PREFIX", "imports"),
    "addressing_style": env_choice(
        "PACTE_S3_ADDRESSING_STYLE", ("auto", "path", "virtual"), "auto"
    ),
}


def s3_storage(s3: dict[str, str]) -> dict[str, object]:
    """The ``STORAGES`` entry of an S3-compatible bucket described as ``PACTE_S3`` is."""
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": s3["bucket"],
            "location": s3.get("prefix", ""),
            "endpoint_url": s3.get("endpoint_url") or None,
            "region_name": s3.get("region") or None,
            "access_key": s3.get("access_key_id") or None,
            "secret_key": s3.get("secret_access_key") or None,
            "addressing_style": None
            if s3.get("addressing_style", "auto") == "auto"
            else s3["addressing_style"],
            "file_overwrite": False,
            "querystring_auth": False,
            # A file read back (by a worker) is spooled to disk past this size, never held whole.
            "max_memory_size": 8 * 1024 * 1024,
        },
    }


STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "imports": s3_storage(PACTE_S3)
    if PACTE_S3["bucket"]
    else {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": env_str("PACTE_IMPORTS_DIR", str(MEDIA_ROOT / "imports"))},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if PACTE_ENV == "test"
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Every uploaded file is spooled to a temporary file and refused (no more of it kept) as soon as
# it passes PACTE_MAX_UPLOAD_BYTES; DATA_UPLOAD_MAX_MEMORY_SIZE only bounds the other fields.
FILE_UPLOAD_HANDLERS = ["pacte.uploads.LimitedUploadHandler"]
FILE_UPLOAD_TEMP_DIR = env_str("PACTE_UPLOAD_TEMP_DIR") or None
PACTE_MAX_UPLOAD_BYTES = env_int("PACTE_MAX_UPLOAD_BYTES", 1024**3)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("PACTE_MAX_REQUEST_BYTES", 50 * 1024 * 1024)
# Widest file an import reads: a wider one is refused at its first line.
PACTE_MAX_IMPORT_COLUMNS = env_int("PACTE_MAX_IMPORT_COLUMNS", 500)
WHITENOISE_USE_FINDERS = PACTE_ENV != "production"

# Background work: the database backend of Django's tasks framework (django-tasks-db, which
# pacte.jobs.backend extends to wake idle workers at once on PostgreSQL), run by
# ``pacte worker`` processes on any machine that reaches the database (see docs/deployment.md).
# The test suite runs tasks immediately unless a test starts real workers.
TASKS = {
    "default": {
        "BACKEND": env_str(
            "PACTE_TASKS_BACKEND",
            "django.tasks.backends.immediate.ImmediateBackend"
            if PACTE_ENV == "test"
            else "pacte.jobs.backend.DatabaseBackend",
        )
    }
}
# A worker writes a heartbeat this often; a running job whose worker has not been seen for the
# lease is taken up again by another worker (a killed process, a lost machine).
PACTE_WORKER_HEARTBEAT_SECONDS = env_float("PACTE_WORKER_HEARTBEAT_SECONDS", 10.0)
PACTE_JOB_LEASE_SECONDS = env_float("PACTE_JOB_LEASE_SECONDS", 120.0)
# How often an idle worker looks for a new job.
PACTE_WORKER_POLL_SECONDS = env_float("PACTE_WORKER_POLL_SECONDS", 0.5)
# How much a worker lowers its CPU priority (Unix niceness, 0-19; 0 leaves it): on a machine it
# shares with web processes an import yields the processor to page requests.
PACTE_WORKER_NICE = env_int("PACTE_WORKER_NICE", 10)
if not 0 <= PACTE_WORKER_NICE <= 19:
    raise ImproperlyConfigured(f"PACTE_WORKER_NICE must be 0 to 19, got {PACTE_WORKER_NICE}")
# Attempts of a job (first run included) through transient errors and lost workers, and the
# wait before the first retry (doubled at each attempt, at most 10 minutes).
PACTE_JOB_MAX_ATTEMPTS = env_int("PACTE_JOB_MAX_ATTEMPTS", 5)
PACTE_JOB_RETRY_SECONDS = env_float("PACTE_JOB_RETRY_SECONDS", 10.0)

# Outbound webhooks: a delivery is tried up to MAX_ATTEMPTS times (the first retry after
# RETRY_SECONDS, ×4 each time, at most 6 hours apart); a webhook whose attempts fail
# DISABLE_AFTER times in a row is turned off and the admins told. Plain http:// addresses only
# where ALLOW_HTTP is set (a receiver on the same machine or network).
PACTE_WEBHOOK_MAX_ATTEMPTS = env_int("PACTE_WEBHOOK_MAX_ATTEMPTS", 8)
PACTE_WEBHOOK_RETRY_SECONDS = env_float("PACTE_WEBHOOK_RETRY_SECONDS", 60.0)
PACTE_WEBHOOK_DISABLE_AFTER = env_int("PACTE_WEBHOOK_DISABLE_AFTER", 20)
PACTE_WEBHOOK_TIMEOUT_SECONDS = env_float("PACTE_WEBHOOK_TIMEOUT_SECONDS", 10.0)
PACTE_WEBHOOK_ALLOW_HTTP = env_bool("PACTE_WEBHOOK_ALLOW_HTTP", PACTE_ENV != "production")
# How often the scheduler looks for due schedules.
PACTE_SCHEDULER_SECONDS = env_float("PACTE_SCHEDULER_SECONDS", 30.0)
# Work started by a member that runs on a worker, with a page to follow it, instead of in
# their request: a rule change when the workspace has more sales than this (it credits them
# again), a new cascade run when it has more active sellers than this. 0: always on a worker;
# -1: never (always in the request, as a small company expects).
PACTE_BACKGROUND_RECREDIT_SALES = env_int("PACTE_BACKGROUND_RECREDIT_SALES", 50_000)
PACTE_BACKGROUND_CASCADE_SELLERS = env_int("PACTE_BACKGROUND_CASCADE_SELLERS", 2_000)
# /healthz fails when a job has waited longer than this (or jobs wait and no worker is alive).
PACTE_HEALTH_MAX_WAIT_SECONDS = env_float("PACTE_HEALTH_MAX_WAIT_SECONDS", 600.0)
# /metrics answers only to "Authorization: Bearer <token>" (404 while unset).
PACTE_METRICS_TOKEN = env_str("PACTE_METRICS_TOKEN")
# Request metrics of the web processes of one machine are summed through this folder
# (prometheus_client's multiprocess mode); empty it when the web server starts.
PACTE_METRICS_DIR = Path(env_str("PACTE_METRICS_DIR", str(VAR_DIR / "metrics")))
PACTE_METRICS_DIR.mkdir(parents=True, exist_ok=True)
# prometheus_client picks its multiprocess mode from this variable when first imported.
os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(PACTE_METRICS_DIR)

# One process's memory by default; Redis, shared by every process, when PACTE_REDIS_URL is set.
# When Redis does not answer, pages compute their figures (a miss) and /healthz says "degraded".
PACTE_REDIS_URL = env_str("PACTE_REDIS_URL")
# Without Redis, each process keeps its own cache in memory. Django's default of 300 entries is
# too few for the insights pages (a frame, a sub-block and a version per page and filter): past
# it, a third of the entries is dropped at once and warm pages compute again.
CACHES: dict[str, dict[str, object]] = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "OPTIONS": {"MAX_ENTRIES": env_int("PACTE_LOCAL_CACHE_ENTRIES", 20_000)},
    }
}
if PACTE_REDIS_URL:
    _redis_timeout = env_int("PACTE_REDIS_TIMEOUT_MS", 500) / 1000
    CACHES = {
        "default": {
            "BACKEND": "pacte.cache_backend.ResilientRedisCache",
            "LOCATION": PACTE_REDIS_URL,
            "KEY_PREFIX": env_str("PACTE_CACHE_KEY_PREFIX", "pacte"),
            "OPTIONS": {
                "socket_connect_timeout": _redis_timeout,
                "socket_timeout": _redis_timeout,
                "retry_after": env_int("PACTE_REDIS_RETRY_AFTER", 5),
            },
        }
    }

MAILERS: dict[str, dict[str, Any]] = {
    "default": {
        "BACKEND": env_str("PACTE_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
    }
}
if MAILERS["default"]["BACKEND"] == "django.core.mail.backends.smtp.EmailBackend":
    # The relay: STARTTLS on 587 or TLS on 465 for a provider, plain port 25 for a local relay.
    _EMAIL_SECURITY = env_choice("PACTE_EMAIL_SECURITY", ("none", "starttls", "tls"), "none")
    MAILERS["default"]["OPTIONS"] = {
        "host": env_str("PACTE_EMAIL_HOST", "localhost"),
        "port": env_int("PACTE_EMAIL_PORT", 25),
        "username": env_str("PACTE_EMAIL_USER") or None,
        "password": env_str("PACTE_EMAIL_PASSWORD") or None,
        "use_tls": _EMAIL_SECURITY == "starttls",
        "use_ssl": _EMAIL_SECURITY == "tls",
        "timeout": env_int("PACTE_EMAIL_TIMEOUT", 30),
    }
DEFAULT_FROM_EMAIL = env_str("PACTE_FROM_EMAIL", "pacte@localhost")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("PACTE_SSL_REDIRECT", default=True)
    # The proxy's health checks and the metrics scraper reach the web processes over plain
    # HTTP inside the private network: answered, not redirected.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
    # X-Forwarded-Proto is applied by pacte.proxy, from PACTE_TRUSTED_PROXIES only.
    SECURE_HSTS_SECONDS = env_int("PACTE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    CSRF_TRUSTED_ORIGINS = env_list("PACTE_CSRF_TRUSTED_ORIGINS")

# Logs on standard error: text, or one JSON object per line (PACTE_LOG_FORMAT=json), each with
# the id of its request (taken from the header a trusted proxy sets, else made, and echoed in
# the response's X-Request-ID); one line per request when PACTE_ACCESS_LOG is on.
PACTE_LOG_FORMAT = env_choice("PACTE_LOG_FORMAT", ("text", "json"), "text")
PACTE_ACCESS_LOG = env_bool("PACTE_ACCESS_LOG", default=PACTE_LOG_FORMAT == "json")
PACTE_REQUEST_ID_HEADER = env_str("PACTE_REQUEST_ID_HEADER", "X-Request-ID")
PACTE_LOG_LEVEL = env_str("PACTE_LOG_LEVEL", "WARNING").upper()
if PACTE_LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
    raise ImproperlyConfigured(
        f"PACTE_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, got {PACTE_LOG_LEVEL!r}"
    )
LOGGING = logging_config(form=PACTE_LOG_FORMAT, level=PACTE_LOG_LEVEL, access=PACTE_ACCESS_LOG)
# A worker says what it does (started, jobs retried, lost, failed) at INFO; django-tasks-db's
# own lines are left to failures.
LOGGING["loggers"]["pacte.jobs"] = {"level": "INFO"}
LOGGING["loggers"]["django_tasks_db"] = {"level": "WARNING"}
if PACTE_LOG_FORMAT == "json":
    logging.captureWarnings(True)  # Python's warnings become log records (JSON) too

# Backups of a PostgreSQL database use pg_dump/pg_restore from this folder, else from the PATH or
# the newest /usr/lib/postgresql/*/bin (same major version as the server, or newer).
PACTE_PG_BIN_DIR = env_str("PACTE_PG_BIN_DIR")

NINJA_PAGINATION_PER_PAGE = 100
NINJA_PAGINATION_MAX_LIMIT = 1000
