"""Pacte's settings, driven by environment variables (documented in ``.env.example``).

With no environment at all Pacte runs on SQLite in ``var/`` with in-process tasks.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from pacte.env import env_bool, env_choice, env_int, env_list, env_str

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
    "pacte.accounts",
    "pacte.org",
    "pacte.audit",
    "pacte.sales",
    "pacte.planning",
    "pacte.objectives",
    "pacte.insights",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "pacte.accounts.middleware.MemberMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
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

# Login throttling: after this many failures for one e-mail address, wait this long.
PACTE_LOGIN_MAX_FAILURES = env_int("PACTE_LOGIN_MAX_FAILURES", 5)
PACTE_LOGIN_LOCKOUT_MINUTES = env_int("PACTE_LOGIN_LOCKOUT_MINUTES", 15)

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [Path(env_str("PACTE_LOCALE_DIR", str(BASE_DIR / "locale")))]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env_str("PACTE_TIME_ZONE", "Europe/Paris")

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if PACTE_ENV == "test"
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = VAR_DIR / "media"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("PACTE_MAX_REQUEST_BYTES", 50 * 1024 * 1024)
WHITENOISE_USE_FINDERS = PACTE_ENV != "production"

TASKS = {
    "default": {
        "BACKEND": env_str(
            "PACTE_TASKS_BACKEND",
            "django.tasks.backends.immediate.ImmediateBackend"
            if PACTE_ENV == "test"
            else "pacte.tasks_backend.ThreadBackend",
        )
    }
}

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if env_str("PACTE_REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env_str("PACTE_REDIS_URL"),
        }
    }

EMAIL_BACKEND = env_str("PACTE_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
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
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("PACTE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    CSRF_TRUSTED_ORIGINS = env_list("PACTE_CSRF_TRUSTED_ORIGINS")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("PACTE_LOG_LEVEL", "WARNING")},
    # The task framework logs every finished task at INFO; failures still come through.
    "loggers": {"django.tasks": {"level": "WARNING"}},
}

NINJA_PAGINATION_PER_PAGE = 100
NINJA_PAGINATION_MAX_LIMIT = 1000
