"""Django settings for Yimen.

Everything that differs between a laptop and production comes from the environment:
DATABASE_URL, YIMEN_SECRET_KEY, YIMEN_DEBUG, YIMEN_ALLOWED_HOSTS, YIMEN_REQUIRE_TOTP.
"""
import os
import tempfile
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = BASE_DIR / "data"

DEBUG = os.environ.get("YIMEN_DEBUG", "1") == "1"
SECRET_KEY = os.environ.get("YIMEN_SECRET_KEY") or "dev-only-insecure-key-set-YIMEN_SECRET_KEY-in-production"
ALLOWED_HOSTS = [h for h in os.environ.get("YIMEN_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("YIMEN_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "yimen.core",
    "yimen.catalog",
    "yimen.outlets",
    "yimen.staff",
    "yimen.queueing",
    "yimen.cases",
    "yimen.feedback",
    "yimen.guide",
    "yimen.portal",
    "yimen.insight",
]

MIDDLEWARE = [
    "yimen.core.middleware.ApiJsonErrorsMiddleware",  # every /api/ error is JSON {"code", "message"}
    "django.middleware.security.SecurityMiddleware",
    "yimen.core.middleware.InputGuardMiddleware",  # NUL / lone surrogates → 400, bad multipart, 413
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "yimen.core.middleware.DomainErrorMiddleware",
]

ROOT_URLCONF = "yimen.urls"
ASGI_APPLICATION = "yimen.asgi.application"

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
                "yimen.core.context_processors.yimen",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# Default: a SQLite file in the working directory (zero set-up). DATABASE_URL=postgres://… for
# production. SQLite runs in WAL mode with IMMEDIATE transactions so concurrent kiosks and windows
# queue for the write lock instead of failing with "database is locked".
DEFAULT_SQLITE = f"sqlite:///{Path.cwd() / 'yimen.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", DEFAULT_SQLITE))}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    _db["CONN_MAX_AGE"] = None  # persistent connections
    # Tests use a real file (not :memory:) so WAL, locking and threads behave as in production;
    # the pid keeps parallel test runs on one machine apart.
    _db["TEST"] = {"NAME": str(Path(tempfile.gettempdir()) / f"yimen-test-{os.getpid()}.sqlite3")}
else:
    # Under ASGI, Django runs sync code in worker threads; persistent connections would pile up
    # one per thread ("too many clients"). Default: a fresh connection per request (cheap on a
    # local network); put PgBouncer in front or raise YIMEN_CONN_MAX_AGE only with care.
    _db["CONN_MAX_AGE"] = int(os.environ.get("YIMEN_CONN_MAX_AGE", "0"))
    _db["CONN_HEALTH_CHECKS"] = True
    suffix = os.environ.get("YIMEN_TEST_DB_SUFFIX", "")
    _db["TEST"] = {"NAME": f"test_{_db.get('NAME') or 'yimen'}{('_' + suffix) if suffix else ''}"}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# PostgreSQL: each process LISTENs for other processes' changes so its caches stay exact
# (yimen/core/changes.py). Off: caches fall back to short lifetimes (1 s for the hall).
YIMEN_CHANGE_LISTENER = os.environ.get("YIMEN_CHANGE_LISTENER", "1") != "0"
# One thread per process keeps the hall's hot cache entries current after every change, so the
# ASGI fast lane keeps answering idle windows and boards under load (yimen/core/refresher.py).
YIMEN_BACKGROUND_REFRESH = os.environ.get("YIMEN_BACKGROUND_REFRESH", "1") != "0"
# Each server process fills the network's configuration cache (outlets, hours, queues and what
# their windows take) when it starts, before its first request (yimen/asgi.py).
YIMEN_WARM_UP = os.environ.get("YIMEN_WARM_UP", "1") != "0"

# --- Auth and security ----------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if os.environ.get("YIMEN_TESTING") == "1":
    # Tests create many accounts; a fast hasher keeps the suite quick. Never set in production.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTHENTICATION_BACKENDS = ["yimen.staff.backends.LockoutBackend"]  # lockout on every sign-in (staff)
LOGIN_URL = "/staff/login/"
LOGIN_REDIRECT_URL = "/staff/"
SESSION_COOKIE_AGE = int(os.environ.get("YIMEN_SESSION_IDLE_SECONDS", str(30 * 60)))  # idle timeout
SESSION_SAVE_EVERY_REQUEST = True  # sliding expiry = idle timeout
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
X_FRAME_OPTIONS = "SAMEORIGIN"
CSRF_FAILURE_VIEW = "yimen.core.http_errors.csrf_failure"  # Chinese page; JSON under /api/

# --- I18N -----------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("YIMEN_STATIC_ROOT", Path.cwd() / "staticfiles"))
# WhiteNoise serves app static files straight from the package (no collectstatic needed to run).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = Path(os.environ.get("YIMEN_MEDIA_ROOT", Path.cwd() / "media"))
MEDIA_URL = "/media/"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_personal_data": {"()": "yimen.core.masking.RedactingFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact_personal_data"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("YIMEN_LOG_LEVEL", "WARNING")},
}

# --- Yimen ----------------------------------------------------------------------------------
YIMEN = {
    # Second factor: required for 管理员 and 中心主任 in production; the demo may switch it off.
    "REQUIRE_TOTP": os.environ.get("YIMEN_REQUIRE_TOTP", "0" if DEBUG else "1") == "1",
    "LOCKOUT_FAILURES": 5,
    "LOCKOUT_WINDOW_MINUTES": 15,
    "LOCKOUT_MINUTES": 30,
    "TIME_LIMIT_WARNING_WORKDAYS": 1,
    "SMS_BACKEND": "yimen.core.notify.LoggingSender",
    "TOTP_ROLES": ["admin", "director"],  # roles that must use TOTP when REQUIRE_TOTP (staff)
    # Dates accepted from requests (API and forms, core.validators.date_window): from FIRST_DATE to
    # today + SCHEDULE_YEARS_AHEAD for days to schedule or look at (slots, rota, reports), and to
    # today + RECORD_YEARS_AHEAD for dates of records (a licence's validity).
    "FIRST_DATE": os.environ.get("YIMEN_FIRST_DATE", "2000-01-01"),
    "SCHEDULE_YEARS_AHEAD": int(os.environ.get("YIMEN_SCHEDULE_YEARS_AHEAD", "2")),
    "RECORD_YEARS_AHEAD": 100,
}

# Demo loaders run in this order by `yimen demo`; each app adds its own (a callable taking
# stdout=, returning a one-line summary; `yimen demo --reset` flushes the database first).
YIMEN_DEMO_LOADERS = [
    "yimen.core.demo.load",
    "yimen.catalog.demo.load",
    "yimen.outlets.demo.load",
    "yimen.queueing.demo.load",
    "yimen.staff.demo.load",
]
# Sample activity for `yimen demo` only (not loaded into test databases): a few cases in every
# state and a few 办不成事 grievances, made through the services by the demo staff.
YIMEN_DEMO_EXTRAS = [
    "yimen.cases.demo.load",
    "yimen.feedback.demo.load",
]
