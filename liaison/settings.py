"""Liaison settings, read from the environment.

Every setting a deployment may change comes from an environment variable, read through the
strict helpers below (a malformed value stops the start with a message naming the variable).
Defaults suit a laptop or a field tablet: SQLite in ``LIAISON_DATA_DIR``, debug off unless asked.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from liaison.datafolder import read_or_create_secret_file
from liaison.languages import discover_languages
from liaison.operations.startup import ensure_data_folder_usable

BASE_DIR = Path(__file__).resolve().parent
SOURCE_ROOT = BASE_DIR.parent


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def default_data_dir() -> Path:
    xdg = os.environ.get("XDG_DATA_HOME")
    root = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return root / "liaison"


DATA_DIR = Path(env_str("LIAISON_DATA_DIR", str(default_data_dir()))).expanduser().resolve()
# Checked before anything is written there: a missing or read-only folder stops every
# command with one line naming it (liaison.cli prints it), not with the traceback of a write.
ensure_data_folder_usable(DATA_DIR)
DEBUG = env_bool("LIAISON_DEBUG", False)
PRODUCTION = env_bool("LIAISON_PRODUCTION", False)


def _secret_key() -> str:
    key = os.environ.get("LIAISON_SECRET_KEY", "")
    if key:
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("LIAISON_SECRET_KEY must be set when LIAISON_PRODUCTION is on")
    # A laptop or tablet install keeps a generated key beside its database, so sessions survive
    # a restart without anyone having to invent a secret.
    key_file = DATA_DIR / "secret_key"
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    generated = read_or_create_secret_file(key_file, lambda: secrets.token_urlsafe(50).encode())
    return generated.decode("utf-8").strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("LIAISON_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("LIAISON_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "ninja",
    "django_countries",
    "liaison.audit",
    "liaison.registry",
    "liaison.reference",
    "liaison.surveys",
    "liaison.exchange",
    "liaison.training",
    "liaison.meetings",
    "liaison.pwa",
    "liaison.notifications",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # outside the API's error rewriting, so that its JSON answers carry the policy too
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # HTML compressed for weak links; Django's GZip pads each answer with random bytes
    # (BREACH). Outside everything that reads or rewrites a body.
    "django.middleware.gzip.GZipMiddleware",
    # record answers say no-store: no cache on a tablet keeps them (see liaison.pwa.offline)
    "liaison.pwa.offline.NoStoreRecordsMiddleware",
    "liaison.api_errors.JsonErrorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # after the language is chosen: a database fault while refreshing is shown in it
    "liaison.operations.sessions.IdleSessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # the reader's groups and paired posts read once per request, not once per list shown
    "liaison.caching.RequestMemoMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "liaison.registry.middleware.UserLanguageMiddleware",
    "liaison.registry.middleware.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "liaison.urls"
WSGI_APPLICATION = "liaison.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "liaison.registry.context.navigation",
            ],
        },
    }
]

# --- database -------------------------------------------------------------------------------
# A request is cut off by the server (gunicorn's --timeout in `liaison serve`) after this many
# seconds; the database gives up on a lock or a statement well before, so that a request whose
# client has given up never commits later (a "ghost write").
REQUEST_TIMEOUT_SECONDS = env_int("LIAISON_REQUEST_TIMEOUT_SECONDS", 60)
DATABASE_LOCK_TIMEOUT_SECONDS = max(1, REQUEST_TIMEOUT_SECONDS // 6)
DATABASE_STATEMENT_TIMEOUT_SECONDS = max(2, REQUEST_TIMEOUT_SECONDS // 2)
DATABASE_URL = env_str("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
            f"-c lock_timeout={DATABASE_LOCK_TIMEOUT_SECONDS * 1000}"
            f" -c statement_timeout={DATABASE_STATEMENT_TIMEOUT_SECONDS * 1000}"
        )
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "liaison.sqlite3"),
            "OPTIONS": {
                # WAL lets readers go on while one writer writes; IMMEDIATE takes the write lock
                # at the start of a transaction so two writers queue instead of deadlocking.
                # synchronous=FULL: a commit is on disk before the request is answered, so a
                # confirmed write survives a power cut too (NORMAL may lose the last commits).
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
                "transaction_mode": "IMMEDIATE",
                # busy timeout: writes are short transactions (imports included), so a writer
                # that waits this long is stuck and gets an answer before the server's timeout.
                "timeout": DATABASE_LOCK_TIMEOUT_SECONDS,
            },
            # Each server thread keeps its connection for a minute rather than opening one (and
            # running its PRAGMAs) for every request; checked before reuse, a broken one replaced.
            "CONN_MAX_AGE": env_int("LIAISON_SQLITE_CONN_MAX_AGE", 60),
            "CONN_HEALTH_CHECKS": True,
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- accounts -------------------------------------------------------------------------------
AUTH_USER_MODEL = "registry.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
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
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

SESSION_COOKIE_AGE = env_int("LIAISON_SESSION_SECONDS", 8 * 3600)
# Idle timeout without a session write after every request: IdleSessionMiddleware moves the
# expiry forward at most once every SESSION_REFRESH_SECONDS, before the view runs, so that no
# session write can fail a request after its view has committed.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_REFRESH_SECONDS = env_int("LIAISON_SESSION_REFRESH_SECONDS", 300)
MESSAGE_STORAGE = "django.contrib.messages.storage.cookie.CookieStorage"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

AXES_FAILURE_LIMIT = env_int("LIAISON_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("LIAISON_LOGIN_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registry/locked_out.html"
AXES_VERBOSE = False

OTP_TOTP_ISSUER = "Liaison"

# --- languages ------------------------------------------------------------------------------
LOCALE_PATHS = [BASE_DIR / "locale"] if (BASE_DIR / "locale").is_dir() else []
if (SOURCE_ROOT / "locale").is_dir():
    LOCALE_PATHS.insert(0, SOURCE_ROOT / "locale")
LANGUAGES = discover_languages(LOCALE_PATHS)
LANGUAGE_CODE = "vi"
USE_I18N = True
USE_TZ = True
TIME_ZONE = env_str("LIAISON_TIME_ZONE", "Asia/Ho_Chi_Minh")
LANGUAGE_COOKIE_NAME = "liaison_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600

# --- files ----------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]  # the project-wide CSS and icons (apps keep their own)
STATIC_ROOT = Path(env_str("LIAISON_STATIC_ROOT", str(DATA_DIR / "static")))
MEDIA_ROOT = DATA_DIR / "uploads"
CACHE_URL = env_str("LIAISON_CACHE_URL", "")
"""Redis (``redis://host:6379/0``) where a deployment has one; otherwise a file cache in the data
folder, which the server's workers on one machine share (a memory cache would keep one copy per
worker, and a write in one would leave the others' copies stale)."""
if CACHE_URL and not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured("LIAISON_CACHE_URL must be a redis://, rediss:// or unix:// URL.")
DEFAULT_CACHE: dict[str, object] = (
    {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    if CACHE_URL
    else {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(DATA_DIR / "cache" / "default"),
        # entries are small (counts, markers) and keyed per reader; stale ones expire
        "OPTIONS": {"MAX_ENTRIES": 5000},
    }
)
CACHES = {
    # Counts, map markers and labels (liaison.caching): keyed by reader and by the data
    # version, which every committed write turns over.
    "default": DEFAULT_CACHE,
    # Parts of pages that depend on the language alone (headings, links, column titles): kept
    # in each server process, since they change only with the code.
    "fragments": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "liaison-fragments",
        "TIMEOUT": 3600,
    },
    # Rendered survey reports: the full assessment report takes seconds to draw, and it is
    # keyed by everything it shows (see liaison.surveys.selectors.round_report), so a stored
    # copy is served until the round's answers, settings or questionnaire change.
    "reports": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(DATA_DIR / "cache" / "reports"),
        "TIMEOUT": 60 * 60 * 24 * 30,
        "OPTIONS": {"MAX_ENTRIES": 300},
    },
}
MEDIA_URL = "/media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
# Attachments of incidents, intelligence and requests (liaison.exchange.attachments): stored in
# the uploads folder above, served only through the permission layer. Types are sniffed from the
# bytes: JPEG, PNG and WebP photos, PDF documents.
ATTACHMENT_MAX_BYTES = env_int("LIAISON_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
ATTACHMENT_TYPES = env_list(
    "LIAISON_ATTACHMENT_TYPES", ["image/jpeg", "image/png", "image/webp", "application/pdf"]
)
ATTACHMENT_MAX_PER_RECORD = env_int("LIAISON_ATTACHMENT_MAX_PER_RECORD", 20)
# A photo of more pixels is refused before it is decoded (a decompression bomb's few bytes
# would otherwise take gigabytes of memory).
ATTACHMENT_MAX_PIXELS = env_int("LIAISON_ATTACHMENT_MAX_PIXELS", 50_000_000)
ATTACHMENT_THUMBNAIL_PIXELS = env_int("LIAISON_ATTACHMENT_THUMBNAIL_PIXELS", 320)
# The files answering a questionnaire's image, audio, video and file questions (photos taken on
# the form, recordings, documents), sent with the ODK instance: per file, and per submission.
SURVEY_MEDIA_MAX_BYTES = env_int("LIAISON_SURVEY_MEDIA_MAX_BYTES", 10 * 1024 * 1024)
SURVEY_MEDIA_MAX_TOTAL_BYTES = env_int("LIAISON_SURVEY_MEDIA_MAX_TOTAL_BYTES", 50 * 1024 * 1024)
STORAGES = {
    # uploads written whole (temporary name, fsync, link) or not at all: a full disk leaves
    # no truncated file behind
    "default": {"BACKEND": "liaison.operations.storage.WholeFileStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise serves from the finders here

# --- audit chain ----------------------------------------------------------------------------
# The keys that seal the audit chain live outside the database (see liaison.audit.keys): the
# MAC key from LIAISON_AUDIT_KEY or generated into AUDIT_DIR (0600), the Ed25519 key that signs
# checkpoints, and the append-only checkpoint file itself. Point LIAISON_AUDIT_DIR away from the
# database's folder (another disk, another owner) so that one stolen folder does not hold both.
AUDIT_KEY = env_str("LIAISON_AUDIT_KEY", "")
if AUDIT_KEY and len(AUDIT_KEY) < 32:
    raise ImproperlyConfigured("LIAISON_AUDIT_KEY must be at least 32 characters long")
AUDIT_DIR = Path(env_str("LIAISON_AUDIT_DIR", str(DATA_DIR / "audit"))).expanduser().resolve()
AUDIT_KEY_FILE = AUDIT_DIR / "chain.key"
AUDIT_SIGNING_KEY_FILE = AUDIT_DIR / "checkpoint-signing.key"
AUDIT_CHECKPOINT_FILE = AUDIT_DIR / "checkpoints.jsonl"

# --- backups and health -------------------------------------------------------------------
# Where `liaison backup --dir` writes by default, and whose newest archive /healthz reports.
BACKUP_DIR: Path | None = (
    Path(os.environ["LIAISON_BACKUP_DIR"]).expanduser().resolve()
    if os.environ.get("LIAISON_BACKUP_DIR")
    else None
)
# /healthz answers 503 when the data folder's disk has less free space than this.
DISK_MIN_FREE_MB = env_int("LIAISON_DISK_MIN_FREE_MB", 256)
# Dotted path of a function reporting on the background worker ("" = not configured).
HEALTH_WORKER_CHECK = "liaison.operations.tasks.worker_health"

# --- background tasks ---------------------------------------------------------------------
# Django's Tasks framework with the database backend: `liaison serve` and `liaison demo` start
# the worker (`liaison db_worker`) as a child process; LIAISON_TASKS_IMMEDIATE=1 runs each task
# inside the request that enqueues it (the tests' default).
TASKS_IMMEDIATE = env_bool("LIAISON_TASKS_IMMEDIATE", False)
TASKS = {
    "default": {
        "BACKEND": (
            "django.tasks.backends.immediate.ImmediateBackend"
            if TASKS_IMMEDIATE
            else "django_tasks_db.DatabaseBackend"
        ),
        "QUEUES": ["default"],
    }
}
# The worker's heartbeat file, touched by the supervising `liaison serve` while the worker lives.
WORKER_HEARTBEAT_FILE = DATA_DIR / "worker.heartbeat"
# Run before the worker starts: what a worker killed mid-task left behind is tidied up.
TASK_WORKER_STARTUP = [
    "liaison.exchange.tasks.discard_abandoned_imports",
    "liaison.surveys.tasks.fail_abandoned_drawings",
]

# --- notifications ------------------------------------------------------------------------
# Officers are told by e-mail and Web Push that something waits for them in Liaison (an alert, a
# request for information, an overdue request, a sharing approval); a message never carries a
# record's text or reference, only a link to the app (see liaison/notifications).
# The address the app is reached at, for the links in messages.
SITE_URL = env_str("LIAISON_SITE_URL", "http://localhost:8000").rstrip("/")
# SMTP (Django's mailers): no LIAISON_SMTP_HOST, no e-mail.
SMTP_HOST = env_str("LIAISON_SMTP_HOST", "")
MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": SMTP_HOST or "localhost",
            "port": env_int("LIAISON_SMTP_PORT", 587),
            "username": env_str("LIAISON_SMTP_USER", ""),
            "password": env_str("LIAISON_SMTP_PASSWORD", ""),
            "use_tls": env_bool("LIAISON_SMTP_TLS", True),  # STARTTLS
            "timeout": env_int("LIAISON_SMTP_TIMEOUT_SECONDS", 20),
        },
    }
}
DEFAULT_FROM_EMAIL = env_str("LIAISON_MAIL_FROM", "liaison@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Web Push (VAPID, RFC 8292): `liaison webpush keys` prints a new pair. No keys, no push.
VAPID_PUBLIC_KEY = env_str("LIAISON_VAPID_PUBLIC_KEY", "")
VAPID_PRIVATE_KEY = env_str("LIAISON_VAPID_PRIVATE_KEY", "")
VAPID_SUBJECT = env_str("LIAISON_VAPID_SUBJECT", f"mailto:{DEFAULT_FROM_EMAIL}")
if bool(VAPID_PUBLIC_KEY) != bool(VAPID_PRIVATE_KEY):
    raise ImproperlyConfigured(
        "LIAISON_VAPID_PUBLIC_KEY and LIAISON_VAPID_PRIVATE_KEY are set together or not at all"
    )
# How long the SOP gives a post to acknowledge an alert before it shows as overdue.
ALERT_ACKNOWLEDGE_HOURS = env_int("LIAISON_ALERT_ACKNOWLEDGE_HOURS", 24)

# --- security -------------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Every page: code and styles from the app itself only (an inline <script> or <style> needs the
# request's nonce; style="" attributes and onclick= handlers are refused), images also from
# data:/blob: (charts, previews), nothing embedded, no framing, forms post to the app only.
# A response that sets its own policy (the sandboxed lesson images) keeps it.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("LIAISON_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("LIAISON_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LIAISON_LOG_LEVEL", "WARNING")},
}
