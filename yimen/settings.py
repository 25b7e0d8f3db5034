"""Django settings for Yimen.

Everything that differs between a laptop and production comes from the environment:
DATABASE_URL, YIMEN_SECRET_KEY, YIMEN_DATA_KEY, YIMEN_DEBUG, YIMEN_ALLOWED_HOSTS,
YIMEN_TRUSTED_PROXIES, YIMEN_REQUIRE_TOTP.

Secure by default: DEBUG is off unless YIMEN_DEBUG=1 (`make run` turns it on for the demo and
says so). Off = production mode: `yimen` refuses to start without YIMEN_SECRET_KEY and
YIMEN_DATA_KEY (yimen/cli.py), and nothing falls back to a key written in this file. On = a
developer's machine: keys not given in the environment are random ones kept in a local file
(`.yimen-dev-keys.json` in the working directory, mode 0600), never a public default.
"""

import json
import os
import secrets
import tempfile
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = BASE_DIR / "data"

TESTING = os.environ.get("YIMEN_TESTING") == "1"
DEBUG = os.environ.get("YIMEN_DEBUG", "0") == "1"
SECRET_KEY = os.environ.get("YIMEN_SECRET_KEY", "")
# Master key of the personal data encrypted at rest (yimen/core/fields.py); old keys for reading.
YIMEN_DATA_KEY = os.environ.get("YIMEN_DATA_KEY", "")
YIMEN_DATA_KEYS_OLD = os.environ.get("YIMEN_DATA_KEYS_OLD", "")
# Before keys were required, a demo database's personal data was sealed with a key derived from
# this public development key. Only with DEBUG on is it still accepted, and only for *reading*
# such an old demo database (`yimen protect rekey` moves its rows to the local key).
LEGACY_DEV_SECRET = "dev-only-insecure-key-set-YIMEN_SECRET_KEY-in-production"
YIMEN_DATA_KEYS_READ_ONLY = []


def _local_dev_keys() -> dict:
    """Random keys of this development checkout, made once and kept in a file only its owner reads."""
    path = Path(os.environ.get("YIMEN_DEV_KEYS_FILE", Path.cwd() / ".yimen-dev-keys.json"))
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        keys = {"secret_key": secrets.token_urlsafe(50), "data_key": secrets.token_urlsafe(48)}
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                json.dump(keys, f)
        except FileExistsError:  # another process made it first: use theirs
            return json.loads(path.read_text())
        except OSError:
            pass  # read-only directory: keys for this process only
        return keys


if DEBUG and not (SECRET_KEY and YIMEN_DATA_KEY):
    _dev = _local_dev_keys()
    SECRET_KEY = SECRET_KEY or _dev["secret_key"]
    YIMEN_DATA_KEY = YIMEN_DATA_KEY or _dev["data_key"]
if DEBUG:
    YIMEN_DATA_KEYS_READ_ONLY = [LEGACY_DEV_SECRET]
# Production mode without its keys: yimen/cli.py stops every command that needs them with one line;
# anything that still reads SECRET_KEY (a server started another way) fails closed (empty key).
YIMEN_MISSING_KEYS = (
    []
    if DEBUG
    else [
        name
        for name, value in (("YIMEN_SECRET_KEY", SECRET_KEY), ("YIMEN_DATA_KEY", YIMEN_DATA_KEY))
        if not value
    ]
)

ALLOWED_HOSTS = [
    h
    for h in os.environ.get("YIMEN_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h
]
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
    "yimen.hall",
    "yimen.notify",
    "django_tasks",  # background tasks (the backport of Django 6's tasks framework) …
    "django_tasks_db",  # … with its database backend: run by `yimen worker`
    "yimen.outreach",
    "yimen.online",  # 网上申报, uploads, 网上预审 (issue #21)
    "yimen.exchange",  # 好差评 push, 12345, 电子证照, national item codes (docs/exchange.md)
    "yimen.ops",  # /metrics, /healthz, /readyz, `yimen backup verify` (docs/scaling.md)
]

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "chores"]}}

MIDDLEWARE = [
    "yimen.core.middleware.ApiJsonErrorsMiddleware",  # every /api/ error is JSON {"code", "message"}
    "yimen.core.security.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "yimen.core.security.ContentSecurityPolicyMiddleware",
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
                "yimen.outreach.context_processors.bell",
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
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    # Tests create many accounts; a fast hasher keeps the suite quick. Never set in production.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTHENTICATION_BACKENDS = [
    "yimen.staff.backends.LockoutBackend"
]  # lockout on every sign-in (staff)
LOGIN_URL = "/staff/login/"
LOGIN_REDIRECT_URL = "/staff/"
SESSION_COOKIE_AGE = int(os.environ.get("YIMEN_SESSION_IDLE_SECONDS", str(30 * 60)))  # idle timeout
SESSION_SAVE_EVERY_REQUEST = True  # sliding expiry = idle timeout
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
X_FRAME_OPTIONS = "SAMEORIGIN"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# HSTS in production (SecurityMiddleware sends it on HTTPS responses; behind a TLS proxy set
# YIMEN_TRUSTED_PROXIES so the proxy's X-Forwarded-Proto marks a request as HTTPS).
SECURE_HSTS_SECONDS = (
    0 if DEBUG else int(os.environ.get("YIMEN_HSTS_SECONDS", str(365 * 24 * 3600)))
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = os.environ.get("YIMEN_HSTS_INCLUDE_SUBDOMAINS", "0") == "1"
SECURE_HSTS_PRELOAD = False
# Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed: IPs or CIDRs, comma-separated
# (e.g. "127.0.0.1,10.0.0.0/24"). Empty: the peer's address is the client, whatever a header says
# (yimen/core/clientaddr.py). Rate limits, lockouts and the audit's source address use it.
# /metrics: only these client addresses (after YIMEN_TRUSTED_PROXIES) or this bearer token
YIMEN_METRICS_ALLOW = [
    p.strip()
    for p in os.environ.get("YIMEN_METRICS_ALLOW", "127.0.0.1,::1").split(",")
    if p.strip()
]
YIMEN_METRICS_TOKEN = os.environ.get("YIMEN_METRICS_TOKEN", "")
YIMEN_TRUSTED_PROXIES = [
    p.strip() for p in os.environ.get("YIMEN_TRUSTED_PROXIES", "").split(",") if p.strip()
]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_YIMEN_FORWARDED_PROTO", "https")  # set only for trusted proxies
# Content-Security-Policy on every response (yimen/core/security.py): scripts only from this site or
# inline ones carrying the request's nonce; no plugins, no framing by other sites.
YIMEN_CSP = os.environ.get("YIMEN_CSP", "1") != "0"
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
# 网上申报 uploads (yimen/online, docs/online.md): outside the web root, never under STATIC_ROOT or
# MEDIA_ROOT, served only through a view that asks the scope policy.
YIMEN_ONLINE_FILES_ROOT = Path(
    os.environ.get("YIMEN_ONLINE_FILES_ROOT", Path.cwd() / "private" / "online")
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_personal_data": {"()": "yimen.core.masking.RedactingFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact_personal_data"]}
    },
    "root": {"handlers": ["console"], "level": os.environ.get("YIMEN_LOG_LEVEL", "WARNING")},
    # one JSON line per request, personal data masked (yimen/ops/metrics.py): YIMEN_REQUEST_LOG=1
    "loggers": {
        "yimen.request": {
            "level": "INFO" if os.environ.get("YIMEN_REQUEST_LOG") == "1" else "WARNING"
        }
    },
}

# --- Yimen ----------------------------------------------------------------------------------
YIMEN = {
    # Second factor: required for 管理员 and 中心主任 in production; the demo may switch it off.
    "REQUIRE_TOTP": os.environ.get("YIMEN_REQUIRE_TOTP", "0" if DEBUG else "1") == "1",
    "LOCKOUT_FAILURES": 5,  # per username and client address (never per username alone)
    "LOCKOUT_FAILURES_PER_ADDRESS": 20,  # per client address across usernames
    "LOCKOUT_WINDOW_MINUTES": 15,
    "LOCKOUT_MINUTES": 30,
    "TIME_LIMIT_WARNING_WORKDAYS": 1,
    # The outbox and its worker (docs/notifications.md): the SMS provider (log, simulator, aliyun,
    # tencent), quiet hours (Asia/Shanghai; urgent templates are exempt), the per-phone daily
    # limit, attempts before a message is dead and the back-off between them.
    "SMS_BACKEND": os.environ.get("YIMEN_SMS_BACKEND", "log"),
    "SMS_QUIET_HOURS": os.environ.get("YIMEN_SMS_QUIET_HOURS", "21:00-08:00"),
    "SMS_DAILY_LIMIT": int(os.environ.get("YIMEN_SMS_DAILY_LIMIT", "10")),
    "OUTBOX_MAX_ATTEMPTS": int(os.environ.get("YIMEN_OUTBOX_MAX_ATTEMPTS", "6")),
    "OUTBOX_BACKOFF_SECONDS": float(os.environ.get("YIMEN_OUTBOX_BACKOFF_SECONDS", "30")),
    "OUTBOX_BACKOFF_MAX_SECONDS": float(os.environ.get("YIMEN_OUTBOX_BACKOFF_MAX_SECONDS", "3600")),
    "OUTBOX_BATCH": int(os.environ.get("YIMEN_OUTBOX_BATCH", "50")),
    "OUTBOX_LEASE_SECONDS": float(os.environ.get("YIMEN_OUTBOX_LEASE_SECONDS", "120")),
    "TOTP_ROLES": ["admin", "director"],  # roles that must use TOTP when REQUIRE_TOTP (staff)
    # Dates accepted from requests (API and forms, core.validators.date_window): from FIRST_DATE to
    # today + SCHEDULE_YEARS_AHEAD for days to schedule or look at (slots, rota, reports), and to
    # today + RECORD_YEARS_AHEAD for dates of records (a licence's validity).
    "FIRST_DATE": os.environ.get("YIMEN_FIRST_DATE", "2000-01-01"),
    "SCHEDULE_YEARS_AHEAD": int(os.environ.get("YIMEN_SCHEDULE_YEARS_AHEAD", "2")),
    "RECORD_YEARS_AHEAD": 100,
    # Exchange with the government platform (docs/exchange.md): nothing is pushed to a system
    # whose URL is unset. 好差评 push, 12345 hotline, 电子证照 library; each signs with its secret.
    "EXCHANGE_HCP_URL": os.environ.get("YIMEN_EXCHANGE_HCP_URL", ""),
    "EXCHANGE_HCP_SECRET": os.environ.get("YIMEN_EXCHANGE_HCP_SECRET", ""),
    "EXCHANGE_12345_URL": os.environ.get("YIMEN_EXCHANGE_12345_URL", ""),
    "EXCHANGE_12345_SECRET": os.environ.get("YIMEN_EXCHANGE_12345_SECRET", ""),
    "EXCHANGE_LICENCE_URL": os.environ.get("YIMEN_EXCHANGE_LICENCE_URL", ""),
    "EXCHANGE_LICENCE_SECRET": os.environ.get("YIMEN_EXCHANGE_LICENCE_SECRET", ""),
    "EXCHANGE_TIMEOUT": float(os.environ.get("YIMEN_EXCHANGE_TIMEOUT", "10")),
    "EXCHANGE_LOOKUP_TIMEOUT": float(os.environ.get("YIMEN_EXCHANGE_LOOKUP_TIMEOUT", "3")),
    "EXCHANGE_SOURCE": os.environ.get("YIMEN_EXCHANGE_SOURCE", "YIMEN"),
    # set by `make run` when it points the exchange at the local simulator: pages say so
    "EXCHANGE_SIMULATOR": os.environ.get("YIMEN_EXCHANGE_SIMULATOR_ON", "0") == "1",
}
# 网上申报 (yimen/online, docs/online.md): upload limits, the 预审 time limit, and the province's
# 统一身份认证 by OpenID Connect (off unless YIMEN_OIDC_ISSUER is set).
YIMEN["ONLINE"] = {
    "MAX_BYTES": int(os.environ.get("YIMEN_ONLINE_MAX_BYTES", str(10 * 1024 * 1024))),
    "MAX_TOTAL_BYTES": int(os.environ.get("YIMEN_ONLINE_MAX_TOTAL_BYTES", str(60 * 1024 * 1024))),
    "PRECHECK_WORKDAYS": int(os.environ.get("YIMEN_ONLINE_PRECHECK_WORKDAYS", "1")),
}
YIMEN["ONLINE_OIDC"] = {
    k: os.environ.get(f"YIMEN_OIDC_{k.upper()}", "")
    for k in ("issuer", "client_id", "client_secret", "authorize_url", "token_url", "jwks_url")
} | {
    "id_claim": os.environ.get("YIMEN_OIDC_ID_CLAIM", "id_number"),
    "phone_claim": os.environ.get("YIMEN_OIDC_PHONE_CLAIM", "phone_number"),
}

# Demo loaders run in this order by `yimen demo`; each app adds its own (a callable taking
# stdout=, returning a one-line summary; `yimen demo --reset` flushes the database first).
YIMEN_DEMO_LOADERS = [
    "yimen.core.demo.load",
    "yimen.catalog.demo.load",
    "yimen.catalog.demo.load_bundles",
    "yimen.outlets.demo.load",
    "yimen.queueing.demo.load",
    "yimen.staff.demo.load",
]
# Sample activity for `yimen demo` only (not loaded into test databases): a few cases in every
# state and a few 办不成事 grievances, made through the services by the demo staff.
YIMEN_DEMO_EXTRAS = [
    "yimen.online.demo.load",  # 网上办事大厅 (created on first use otherwise)
    "yimen.cases.demo.load",
    "yimen.feedback.demo.load",
    "yimen.insight.history.load",  # sample visit history: the waiting forecast reads it
]
