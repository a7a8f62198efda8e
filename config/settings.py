"""Doorstep settings: one module, driven by environment variables.

Embedded default: SQLite under var/, tasks run in-process.
Production: DATABASE_URL (PostgreSQL), CELERY_BROKER_URL (Redis), DOORSTEP_SECRET_KEY,
DOORSTEP_FIELD_KEY, DOORSTEP_DEBUG=0, DOORSTEP_ALLOWED_HOSTS.
"""

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("DOORSTEP_VAR_DIR", BASE_DIR / "var"))
SHARED_DIR = Path(os.environ.get("DOORSTEP_SHARED_DIR", BASE_DIR.parent / "shared"))


def env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


# DOORSTEP_PROFILE=demo (what `make demo` sets): DEBUG off over plain HTTP, with keys made
# on first run under var/ (config/demo_profile.py). Unset: development defaults, or
# production when DOORSTEP_DEBUG=0 (every key then must be given).
PROFILE = os.environ.get("DOORSTEP_PROFILE", "")
if PROFILE not in {"", "demo"}:
    raise RuntimeError(f"DOORSTEP_PROFILE must be empty or 'demo', not {PROFILE!r}")
DEMO = PROFILE == "demo"
DEBUG = env_bool("DOORSTEP_DEBUG", not DEMO)
_demo_keys: dict[str, str] = {}
if DEMO:
    from config import demo_profile

    _demo_keys = demo_profile.keys(VAR_DIR)
SECRET_KEY = os.environ.get("DOORSTEP_SECRET_KEY", "") or _demo_keys.get("secret_key", "")
if not SECRET_KEY:
    if not DEBUG:
        raise RuntimeError("DOORSTEP_SECRET_KEY must be set when DOORSTEP_DEBUG=0")
    SECRET_KEY = "insecure-demo-key-change-me-" + "x" * 32
# Key for field-level encryption of personal data (Fernet, urlsafe base64, 32 bytes) and
# for the keyed hashes that let us find an ID-card number without storing it in clear.
FIELD_ENCRYPTION_KEY = os.environ.get("DOORSTEP_FIELD_KEY", "") or _demo_keys.get("field_key", "")
# Key of the keyed hashes used to find a number (defaults to the oldest field key).
FIELD_LOOKUP_KEY = os.environ.get("DOORSTEP_LOOKUP_KEY", "")
if not FIELD_ENCRYPTION_KEY and not DEBUG:
    raise RuntimeError("DOORSTEP_FIELD_KEY must be set when DOORSTEP_DEBUG=0")
# The audit log proves itself with keys kept outside the database (core/auditkeys.py): MAC
# keys for the hash chain (comma-separated, the first writes, all verify) and an Ed25519
# private key (PEM file) that signs checkpoints, appended to a file outside the database.
AUDIT_MAC_KEY = os.environ.get("DOORSTEP_AUDIT_KEY", "") or _demo_keys.get("audit_key", "")
AUDIT_SIGNING_KEY_FILE = os.environ.get("DOORSTEP_AUDIT_SIGNING_KEY_FILE", "") or _demo_keys.get(
    "signing_key_file", ""
)
AUDIT_CHECKPOINT_FILE = os.environ.get(
    "DOORSTEP_AUDIT_CHECKPOINT_FILE", str(VAR_DIR / "audit-checkpoints.jsonl")
)
if not DEBUG and not (AUDIT_MAC_KEY and AUDIT_SIGNING_KEY_FILE):
    raise RuntimeError(
        "DOORSTEP_AUDIT_KEY and DOORSTEP_AUDIT_SIGNING_KEY_FILE must be set when DOORSTEP_DEBUG=0"
    )

ALLOWED_HOSTS = os.environ.get("DOORSTEP_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(
    ","
)
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("DOORSTEP_CSRF_TRUSTED_ORIGINS", "").split(",") if o
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",  # its bundled Swagger UI files, so /api/docs loads nothing from outside
    "doorstep.core",
    "doorstep.accounts",
    "doorstep.atlas.organisations",
    "doorstep.atlas.places",
    "doorstep.atlas.people",
    "doorstep.inbox",
    "doorstep.cases",
    "doorstep.nearby.sites",
    "doorstep.nearby.circle",
    "doorstep.nearby.activities",
    "doorstep.service",
    "doorstep.cogov",
    "doorstep.deliberation",
    "doorstep.atlas.web",
    "doorstep.cases.web",
    "doorstep.cases.open311",
    "doorstep.nearby.web",
    "doorstep.service.web",
    "doorstep.cogov.web",
    "doorstep.deliberation.web",
    "doorstep.cockpit",
    "doorstep.workbench.web",
    "doorstep.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "doorstep.core.middleware.BodyLimitMiddleware",
    "doorstep.core.middleware.NumbersOutOfUrlsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Inside the session's: renews a signed-in session every few minutes, not every request.
    "doorstep.accounts.middleware.SessionRenewalMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "doorstep.accounts.middleware.PasswordChangeRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After the session and user: its refusal page is a normal page of the site.
    "doorstep.core.middleware.ControlCharactersMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "doorstep.core.middleware.RequestContextMiddleware",
]

# Content-Security-Policy (django-csp): scripts from our own files only — no inline script,
# no on* attributes, no eval (static/js/doorstep.js does what markup asks with data-
# attributes). Styles may be inline: templates and the map and chart libraries set style
# attributes, which cannot run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

ROOT_URLCONF = "config.urls"
CSRF_FAILURE_VIEW = "doorstep.core.views.csrf_failure"
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
                "doorstep.accounts.preferences.context",
            ],
        },
    }
]

VAR_DIR.mkdir(parents=True, exist_ok=True)


def database(environ: Mapping[str, str]) -> dict[str, Any]:
    """The default database from the environment.

    No persistent connections by default (DOORSTEP_CONN_MAX_AGE=0): runserver opens a thread
    per request, and each thread's kept connection would stay open until PostgreSQL's
    max_connections ran out. Production sets DOORSTEP_DB_POOL_SIZE instead: each process
    keeps a pool of at most that many connections (psycopg_pool, Django's OPTIONS["pool"]),
    so gunicorn workers × pool size + Celery stays under the server's limit whatever the
    load (deploy/doorstep.env explains the sum)."""
    # The demo profile has its own file: its data is encrypted under its own keys.
    local = VAR_DIR / ("demo.sqlite3" if DEMO else "doorstep.sqlite3")
    url = environ.get("DATABASE_URL", f"sqlite:///{local}")
    db: dict[str, Any] = dict(
        dj_database_url.parse(url, conn_max_age=int(environ.get("DOORSTEP_CONN_MAX_AGE", "0")))
    )
    if db["ENGINE"] == "django.db.backends.sqlite3":
        db["CONN_MAX_AGE"] = 0
        db["OPTIONS"] = {
            # WAL lets readers work while one writer writes; IMMEDIATE takes the write lock
            # at BEGIN so two writers queue instead of failing with "database is locked".
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA busy_timeout=10000;",
            "transaction_mode": "IMMEDIATE",
        }
    elif int(environ.get("DOORSTEP_DB_POOL_SIZE", "0")) > 0:
        size = int(environ["DOORSTEP_DB_POOL_SIZE"])
        db["CONN_MAX_AGE"] = 0  # the pool keeps the connections; Django must not
        db.setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": size,
            "timeout": 10,  # seconds to wait for a free connection before an error
        }
    return db


DATABASES = {"default": database(os.environ)}
# A streaming read replica (docs/operations.md, "Scale out"): the cockpit and exports read
# from it (core/replica.py); everything else, and every write, uses the primary.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = {
        **database({**os.environ, "DATABASE_URL": os.environ["DATABASE_REPLICA_URL"]}),
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["doorstep.core.replica.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["doorstep.accounts.backends.RoleBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Login lockout: this many failures for one username from one IP within the window.
# The proxies (addresses or networks, comma-separated) whose X-Real-IP header names the
# client; from anyone else the header is ignored. Empty: no proxy in front (the demo).
TRUSTED_PROXIES = [
    p for p in os.environ.get("DOORSTEP_TRUSTED_PROXIES", "").split(",") if p.strip()
]
LOGIN_LOCKOUT_FAILURES = int(os.environ.get("DOORSTEP_LOCKOUT_FAILURES", "5"))
LOGIN_LOCKOUT_MINUTES = int(os.environ.get("DOORSTEP_LOCKOUT_MINUTES", "15"))
# Failures from one address, whatever the usernames, before it must wait as well.
LOGIN_LOCKOUT_IP_FAILURES = int(os.environ.get("DOORSTEP_LOCKOUT_IP_FAILURES", "30"))
# ID numbers someone may try in a day that turn out registered outside their scope (each
# goes to the staff queue); once spent, every write with an ID number waits until tomorrow.
IDENTITY_CONFLICT_DAILY_LIMIT = int(os.environ.get("DOORSTEP_ID_CONFLICTS_PER_DAY", "5"))

# A reset link works once, and for a day at most.
PASSWORD_RESET_TIMEOUT = 24 * 3600

SESSION_COOKIE_AGE = int(os.environ.get("DOORSTEP_SESSION_SECONDS", str(8 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Not every request: accounts.middleware.SessionRenewalMiddleware renews a session every few
# minutes, which keeps the idle timeout without a write per request.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True  # serve from app/vendor folders without collectstatic
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/htmx", BASE_DIR / "node_modules/htmx.org/dist"),
    ("vendor/leaflet", BASE_DIR / "node_modules/leaflet/dist"),
    ("vendor/echarts", BASE_DIR / "node_modules/echarts/dist"),
]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("DOORSTEP_MEDIA_ROOT", VAR_DIR / "media"))

# Uploads: spreadsheets only, and not huge.
IMPORT_MAX_BYTES = int(os.environ.get("DOORSTEP_IMPORT_MAX_BYTES", str(20 * 1024 * 1024)))
# Rows per committed batch of a ledger import (a crash keeps whole batches only).
IMPORT_BATCH_SIZE = int(os.environ.get("DOORSTEP_IMPORT_BATCH_SIZE", "2000"))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# A whole upload (multipart: ledger files, case photos) may be larger; anything above is
# answered 413 before it is read.
REQUEST_MAX_BYTES = int(os.environ.get("DOORSTEP_REQUEST_MAX_BYTES", str(50 * 1024 * 1024)))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Background jobs: in-process when no broker is configured (embedded default).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", "") or None
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
# Imports and big exports run off the request (core/background.py): on Celery when a
# broker is configured, else in a thread of the web process; the test suite runs them inline.
BACKGROUND_MODE = os.environ.get("DOORSTEP_BACKGROUND", "")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ROUTES = {
    "doorstep.atlas.people.tasks.*": {"queue": "imports"},
    "doorstep.cases.sweep_deadlines": {"queue": "deadlines"},
    "doorstep.inbox.*": {"queue": "notifications"},
    "doorstep.nearby.circle.*": {"queue": "geo"},
    "doorstep.service.credit_*": {"queue": "credits"},
}
# Production runs these from Celery beat; the embedded default runs them in a thread of
# the web process (see doorstep/core/jobs.py).
CASE_SWEEP_MINUTES = int(os.environ.get("DOORSTEP_CASE_SWEEP_MINUTES", "5"))
CELERY_BEAT_SCHEDULE = {
    "booking-no-shows": {"task": "doorstep.nearby.sites.mark_no_shows", "schedule": 300.0},
    # Idempotent (one grant per holder and month): daily is enough to catch the 1st.
    "post-duty-points": {"task": "doorstep.service.grant_post_duty", "schedule": 86400.0},
    # Catch-up runs of the event consumers (each also runs right after every commit that
    # appended to its log; see doorstep/core/events.py).
    "credit-cases": {"task": "doorstep.service.credit_cases", "schedule": 60.0},
    "credit-activities": {"task": "doorstep.service.credit_activities", "schedule": 60.0},
    "match-cases": {"task": "doorstep.cogov.follow_cases", "schedule": 60.0},
    "match-activities": {"task": "doorstep.cogov.follow_activities", "schedule": 60.0},
    "resolution-projects": {"task": "doorstep.deliberation.follow_projects", "schedule": 60.0},
    "resolution-cases": {"task": "doorstep.deliberation.follow_cases", "schedule": 60.0},
    # A signed checkpoint of the audit chain outside the database (core/checkpoints.py):
    # the interval bounds how much of a cut tail could go unseen.
    "audit-checkpoint": {
        "task": "doorstep.core.audit_checkpoint",
        "schedule": float(os.environ.get("DOORSTEP_AUDIT_CHECKPOINT_SECONDS", "600")),
    },
}
if CASE_SWEEP_MINUTES > 0:
    CELERY_BEAT_SCHEDULE["case-deadline-sweep"] = {
        "task": "doorstep.cases.sweep_deadlines",
        "schedule": CASE_SWEEP_MINUTES * 60.0,
    }
# What reads each domain's append-only event log: Celery task names, started after every
# commit that appended to it (doorstep/core/events.py). Lower domains name no consumer.
EVENT_CONSUMERS: dict[str, list[str]] = {
    "cases": [
        "doorstep.service.credit_cases",
        "doorstep.cogov.follow_cases",
        "doorstep.deliberation.follow_cases",
    ],
    "projects": ["doorstep.deliberation.follow_projects"],
    "activities": ["doorstep.service.credit_activities", "doorstep.cogov.follow_activities"],
}

# Cache (rate limits): per process in the embedded default; Redis when web nodes are many.
CACHE_URL = os.environ.get("DOORSTEP_CACHE_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "doorstep.core.redis_cache.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Figures (the cockpit's, the briefing's) kept until a table they read is written
# (core/figure_cache.py): on with the shared Redis cache; off on the embedded default, whose
# per-process cache a management command in another process could not renew.
FIGURE_CACHE = os.environ.get("DOORSTEP_FIGURE_CACHE", "1" if CACHE_URL else "0") == "1"

# Sessions: in the database by default; with the Redis cache (several web nodes), in Redis
# (deploy/redis keeps it on disk: appendonly). Every request renews its session for the
# idle timeout: a Redis SET instead of a database UPDATE and commit per request.
if CACHE_URL:
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"

# Cases
DISTRICT_CODE = os.environ.get("DOORSTEP_DISTRICT_CODE", "110108")  # in tracking numbers
CASE_PHOTO_MAX_BYTES = int(os.environ.get("DOORSTEP_CASE_PHOTO_MAX_BYTES", str(5 * 1024 * 1024)))
CASE_PHOTOS_PER_MOVE = 9

# Verified service hours a case credits to whoever led it to closure, by case kind.
SERVICE_HOURS_PER_CASE = {
    "default": os.environ.get("DOORSTEP_SERVICE_HOURS_PER_CASE", "1.0"),
}
CASE_RATING_DAYS = 7  # the resident has this long to rate, then it closes by itself
CASE_ARCHIVE_AFTER_DAYS = 30
CASE_WHISTLE_MINUTES = 30  # default report-by time of a whistle
CASE_WARN_RATIO = 0.8  # flag 将到期 once this share of the time limit has passed

# Notifications: the inbox always; email through EMAIL_BACKEND; add gateways here.
NOTIFY_CHANNELS = [
    "doorstep.inbox.channels.InboxChannel",
    "doorstep.inbox.channels.EmailChannel",
]
EMAIL_BACKEND = os.environ.get(
    "DOORSTEP_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG or DEMO  # the demo prints mail in its console: there is no mail server
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("DOORSTEP_EMAIL_HOST", "localhost")
DEFAULT_FROM_EMAIL = os.environ.get("DOORSTEP_EMAIL_FROM", "doorstep@localhost")
# Base of links that leave the page (QR codes, certificates, e-mails): empty means the
# host each request came to (core/links.py).
SITE_URL = os.environ.get("DOORSTEP_SITE_URL", "")

# Map tiles: none by default (vector layers on a blank background).
MAP_TILE_URL = os.environ.get("DOORSTEP_MAP_TILE_URL", "")

# Production is HTTPS only. The demo profile alone serves plain HTTP on one machine (no
# redirect, cookies without the Secure flag, no HSTS that would pin the host to HTTPS).
if not DEBUG and not DEMO:
    SECURE_SSL_REDIRECT = env_bool("DOORSTEP_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Every handler carries the redacting filter: no full ID or mobile number in any log line
# (core/redact.py). django.server is runserver's access log, which quotes query strings.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "doorstep.core.redact.RedactFilter"}},
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact"]},
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["redact"],
        },
    },
    "loggers": {
        # Django's own default handlers (a DEBUG console, mail to ADMINS) are replaced.
        "django": {"handlers": [], "level": os.environ.get("DOORSTEP_LOG_LEVEL", "WARNING")},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        "doorstep.audit": {"level": "INFO"},  # checkpoints, also to syslog in production
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DOORSTEP_LOG_LEVEL", "WARNING")},
}
