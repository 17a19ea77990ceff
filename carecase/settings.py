"""CareCase settings, read from the environment (see .env.example).

Embedded defaults (no variables set, DEBUG=1) run on SQLite with a Celery broker that needs no
server; production sets DATABASE_URL, REDIS_URL and SECRET_KEY.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import django_stubs_ext
import environ
from botocore.config import Config as BotoConfig
from celery.schedules import crontab
from csp import constants as csp
from django.core.exceptions import ImproperlyConfigured
from kombu import Exchange, Queue

from core.env import env_bool, env_int, env_list, env_str

# Django's generic classes (ModelAdmin[Region], ModelForm[Visit], ...) subscriptable at run time.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("CARECASE_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)
# Under DEBUG, pages that are not found or fail still answer with CareCase's Chinese pages
# (`make run` is where people first see it: issue 15); DEBUG_TECHNICAL_ERRORS=1 shows
# Django's technical 404 and 500 pages instead (carecase.middleware.FriendlyErrorsMiddleware).
DEBUG_TECHNICAL_ERRORS = env_bool("DEBUG_TECHNICAL_ERRORS", False)

SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is required when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-used-with-DEBUG-on"  # noqa: S105
elif len(SECRET_KEY) < 32 and not DEBUG:
    raise ImproperlyConfigured("SECRET_KEY must be at least 32 characters long.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "carecase.apps.CareCaseAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_htmx",
    "csp",
    "carecase.apps.CareCaseConfig",
    "simple_history",
    "org",
    "children",
    "training",
    "visits",
    "notifications",
    "reports",
    "matching",
    "providers",
    "caseplans",
    "activities",
    "transfers",
    "stats",
    "exports",
    "supervision",
    "duplicates",
    "casefile",
    "fieldapp",
    "demo",
]

MIDDLEWARE = [
    # The request's id on every log line and task it queues; its time by view (core.metrics).
    "carecase.middleware.RequestIdMiddleware",
    "carecase.middleware.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "carecase.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # gzip for HTML, JSON and CSV responses (static files are answered above, pre-compressed).
    # Compressing here rather than in a reverse proxy: it is the same in every deployment and
    # in the page-weight test, and a proxy would not lessen BREACH, which is about compression
    # of secrets beside reflected input, wherever it happens. Against BREACH: the CSRF token
    # is masked anew in every response; Django's gzip adds up to 100 random bytes to each
    # response ("Heal the Breach"); the other secrets a page shows (names, phone numbers, a
    # full ID number for those allowed) can be reached only with the session cookie, which is
    # SameSite=Lax, so a cross-site page cannot make the browser send the thousands of
    # credentialed requests with chosen input (`?q=`) that the attack needs; API tokens travel
    # in a header no other site can set. See README, "Deployment and page weight".
    "carecase.middleware.CompressTextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # A signed-in user's writes, so that their reads stay on the primary (core/replica.py).
    "core.replica.ReadYourWritesMiddleware",
    "carecase.middleware.LoginRequiredMiddleware",
    "carecase.middleware.NoStoreMiddleware",
    "carecase.middleware.BreakGlassAuditMiddleware",
    "carecase.middleware.FriendlyErrorsMiddleware",
    # Axes: it turns a lockout into the Chinese lockout page.
    "axes.middleware.AxesMiddleware",
    # Last, so that it sees a view's exception first: the database not answering is a 503.
    "carecase.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "carecase.urls"
WSGI_APPLICATION = "carecase.wsgi.application"
AUTH_USER_MODEL = "org.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "carecase.context_processors.scope",
                "notifications.context_processors.unread",
            ],
        },
    },
]

# --- Database ------------------------------------------------------------------------------
_env = environ.Env()
DATABASES = {
    "default": _env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'carecase.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", 60, minimum=0)
# A kept connection is checked before a request (or task) reuses it: after a restart of
# PostgreSQL, or a connection ended by it, the next request connects anew instead of failing
# (README, "Faults").
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=5000;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (Redis when configured, else per-process memory) --------------------------------
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    # Redis stopped: every cache read answers "nothing there" and every write is dropped
    # (core.cache), within CACHE_TIMEOUT_MS, so pages still render (README, "Faults").
    CACHES = {
        "default": {
            "BACKEND": "core.cache.DegradingRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "socket_connect_timeout": env_int("CACHE_TIMEOUT_MS", 500, minimum=10) / 1000,
                "socket_timeout": env_int("CACHE_TIMEOUT_MS", 500, minimum=10) / 1000,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Read replica (core/replica.py) ---------------------------------------------------------
# A streaming replica of the primary for the reads of dashboards, statistics, lists and
# exports. Without it every read goes to the primary. A user's reads stay on the primary
# READ_YOUR_WRITES_SECONDS after each write (noted in the cache: Redis, shared by every web
# process); a replica lagging more than REPLICA_MAX_LAG_SECONDS, or not answering (measured
# every REPLICA_CHECK_SECONDS in each process), is left for the primary.
REPLICA_DATABASE_URL = env_str("REPLICA_DATABASE_URL", "")
READ_YOUR_WRITES_SECONDS = env_int("READ_YOUR_WRITES_SECONDS", 15, minimum=1)
REPLICA_MAX_LAG_SECONDS = env_int("REPLICA_MAX_LAG_SECONDS", 10, minimum=1)
REPLICA_CHECK_SECONDS = env_int("REPLICA_CHECK_SECONDS", 5, minimum=1)
if READ_YOUR_WRITES_SECONDS < REPLICA_MAX_LAG_SECONDS:
    # A write older than READ_YOUR_WRITES_SECONDS must be on any replica the router uses.
    raise ImproperlyConfigured("READ_YOUR_WRITES_SECONDS must be at least REPLICA_MAX_LAG_SECONDS.")
if REPLICA_DATABASE_URL:
    if not REDIS_URL:
        raise ImproperlyConfigured(
            "REPLICA_DATABASE_URL needs REDIS_URL: every web process must see a user's writes."
        )
    DATABASES["replica"] = {
        **_env.db_url_config(REPLICA_DATABASE_URL),
        "ATOMIC_REQUESTS": False,
        "CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"],
        "CONN_HEALTH_CHECKS": True,
        "TEST": {"MIRROR": "default"},
    }
    if DATABASES["replica"]["ENGINE"] == "django.db.backends.postgresql":
        # A replica that does not answer costs a request at most this long, then is left
        # alone for REPLICA_CHECK_SECONDS.
        DATABASES["replica"]["OPTIONS"] = {"connect_timeout": 3}
DATABASE_ROUTERS = ["core.replica.ReplicaRouter"]

# --- Authentication and security -----------------------------------------------------------
# The certification gate every write permission asks (core.permissions.work_refusal).
WORK_GATE = "training.gate.work_refusal"
# A director's tasks owned by apps above visits that her phone keeps (visits.offline).
OFFLINE_TASKS = ["matching.offline.phone_findings"]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
    "core.permissions.SystemAdminBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "carecase.passwords.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # None of the person's last PASSWORD_HISTORY passwords again (org.models.PasswordRecord).
    {"NAME": "carecase.passwords.PasswordReuseValidator"},
]
# 等保2.0 三级 (issue 19 §3): the last passwords a person may not use again, and the age after
# which an administrator's password must be changed before any other page opens.
PASSWORD_HISTORY = env_int("PASSWORD_HISTORY", 5, minimum=1, maximum=24)
PASSWORD_MAX_AGE_DAYS = env_int("PASSWORD_MAX_AGE_DAYS", 90, minimum=1)
# Two factors (django-otp): a TOTP app on the person's phone, and recovery codes. Required for
# the three administrators and district staff (core.permissions.needs_two_factor), optional
# for the others; enrolled only under a permit of the security administrator, valid this long.
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "CareCase")
TWO_FACTOR_PERMIT_HOURS = env_int("TWO_FACTOR_PERMIT_HOURS", 24, minimum=1, maximum=720)
# Minutes between the password and the code of one sign-in.
TWO_FACTOR_STEP_MINUTES = env_int("TWO_FACTOR_STEP_MINUTES", 5, minimum=1, maximum=30)
TWO_FACTOR_RECOVERY_CODES = 10
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 30 * 60, minimum=60)
SESSION_SAVE_EVERY_REQUEST = True  # the age above is an idle timeout
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# django-axes: 5 failures for the same account from the same IP lock both for 15 minutes.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_PROXY_COUNT = env_int("AXES_PROXY_COUNT", 0, minimum=0)
AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

GUARDIAN_RAISE_403 = False
GUARDIAN_RENDER_403 = False
ANONYMOUS_USER_NAME = None  # no guardian anonymous user: nothing is ever shared with anonymous

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): only this site's own files run or style a page. No
# 'unsafe-inline' and no 'unsafe-eval': no page has an inline script, event handler or style
# attribute (their rules are in static files; the progress bars step in classes), htmx adds no
# style of its own (its htmx-config is written before it: carecase/templatetags/page_scripts),
# and the one <style> left, the API documentation's, carries the response's nonce. Images may
# be data: URIs (Bootstrap's icons) and blob: URLs (a photo's preview before upload); the
# service worker and the manifest come from here; no page may be framed, nor post a form
# elsewhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF],
        "style-src": [csp.SELF, csp.NONCE],
        "img-src": [csp.SELF, "data:", "blob:"],
        "font-src": [csp.SELF],
        "connect-src": [csp.SELF],
        "worker-src": [csp.SELF],
        "manifest-src": [csp.SELF],
        "object-src": [csp.NONE],
        "base-uri": [csp.SELF],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
    }
}
# The browser features no page uses, refused for every page and anything it could embed.
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), "
    "gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), usb=()"
)
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 30, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    # `check --deploy` (CI runs it on these settings, and fails on a warning) asks for both.
    # They are the deployment's to set, not ours: the other subdomains of a civil-affairs
    # bureau's domain may not all serve HTTPS, and preloading commits the whole domain to the
    # browsers' lists. So their two warnings are silenced while they are off.
    SILENCED_SYSTEM_CHECKS = [
        check
        for check, on in (
            ("security.W005", SECURE_HSTS_INCLUDE_SUBDOMAINS),
            ("security.W021", SECURE_HSTS_PRELOAD),
        )
        if not on
    ]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^health/$", r"^ready/$"]  # healthchecks over plain HTTP

# --- Internationalisation ------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# One format for dates and one for date-times on every page (issue 15): carecase/formats/.
FORMAT_MODULE_PATH = ["carecase.formats"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

# --- Static files --------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
# Outside DEBUG: hashed names (bootstrap.min.4bc73c7ba870.css) and a .gz and a .br beside
# each file (whitenoise compresses with Brotli when the Brotli package is installed: a
# dependency). whitenoise serves the hashed names with `Cache-Control: max-age=315360000,
# public, immutable`, so a warm page fetches only its HTML; files asked for by their plain
# name (a service worker must keep a fixed URL: serve it from a view with no-cache) get
# WHITENOISE_MAX_AGE seconds only.
WHITENOISE_MAX_AGE = env_int("WHITENOISE_MAX_AGE", 0 if DEBUG else 60, minimum=0)
# Uploaded and generated files (core/storage.py): the local filesystem at MEDIA_ROOT, the
# embedded default; an S3-compatible object store (MinIO in docker-compose.yml) when
# STORAGE_BUCKET is set. The bucket is private: objects are written with the private ACL,
# never under an existing name, and served only through the scoped views (streamed through
# Django, which logs the access); a URL, were one ever made, is signed and lives
# STORAGE_URL_SECONDS. STORAGE_ENCRYPTION asks the store to encrypt objects at rest
# ("AES256" or "aws:kms"; MinIO needs a KMS for it).
STORAGE_BUCKET = env_str("STORAGE_BUCKET", "")
_file_storage: dict[str, Any] = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
if STORAGE_BUCKET:
    _encryption = env_str("STORAGE_ENCRYPTION", "")
    _file_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": STORAGE_BUCKET,
            "endpoint_url": env_str("STORAGE_ENDPOINT_URL", "") or None,
            "access_key": env_str("STORAGE_ACCESS_KEY", "") or None,
            "secret_key": env_str("STORAGE_SECRET_KEY", "") or None,
            "region_name": env_str("STORAGE_REGION", "") or None,
            "location": env_str("STORAGE_PREFIX", ""),
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": env_int("STORAGE_URL_SECONDS", 300, minimum=1, maximum=900),
            "file_overwrite": False,
            "object_parameters": {"ServerSideEncryption": _encryption} if _encryption else {},
            # A file read back (a download, a kept import) spills past 8 MiB to the system's
            # temporary directory instead of memory.
            "max_memory_size": 8 * 1024 * 1024,
            # An unreachable store fails an upload within seconds, not minutes.
            "client_config": BotoConfig(
                connect_timeout=env_int("STORAGE_CONNECT_TIMEOUT", 5, minimum=1),
                read_timeout=env_int("STORAGE_READ_TIMEOUT", 60, minimum=1),
                retries={
                    "max_attempts": env_int("STORAGE_ATTEMPTS", 3, minimum=1),
                    "mode": "standard",
                },
                signature_version="s3v4",
                s3={"addressing_style": "path" if env_bool("STORAGE_PATH_STYLE", True) else "auto"},
            ),
        },
    }
STORAGES = {
    "default": _file_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploaded files (photos, scans) are private: no MEDIA_URL, served only through scoped views.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_MB", 10, minimum=1) * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o600

# --- Identity numbers: encrypted at rest with keys separate from SECRET_KEY -------------------
# IDENTIFIER_KEYS: comma-separated Fernet keys, newest first (see children/crypto.py and the
# README for rotation). IDENTIFIER_HASH_KEY: HMAC key of the exact-lookup hash.
_DEV_IDENTIFIER_KEY = "yW2B4820ftASbc5SgtoztJiSJuyWAa1Qr6B8FM-Y1yI="
IDENTIFIER_KEYS = env_list("IDENTIFIER_KEYS", [_DEV_IDENTIFIER_KEY] if DEBUG else [])
IDENTIFIER_HASH_KEY = env_str("IDENTIFIER_HASH_KEY", "development-hash-key" if DEBUG else "")
if not IDENTIFIER_KEYS or not IDENTIFIER_HASH_KEY:
    raise ImproperlyConfigured(
        "IDENTIFIER_KEYS and IDENTIFIER_HASH_KEY are required when DEBUG is off."
    )
if IDENTIFIER_HASH_KEY == SECRET_KEY or SECRET_KEY in IDENTIFIER_KEYS:
    raise ImproperlyConfigured("Identity-number keys must differ from SECRET_KEY.")

# --- Email ---------------------------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "carecase@localhost")
# Reminders by SMS: a notifications.channels.SmsProvider subclass (dotted path); the default
# only logs. SITE_URL makes links in email absolute.
SMS_PROVIDER = env_str("SMS_PROVIDER", "notifications.channels.ConsoleSmsProvider")
SITE_URL = env_str("SITE_URL", "")
# Delivery: a failed send is retried after NOTIFICATIONS_RETRY_BASE_SECONDS, doubling each
# time, and marked failed after NOTIFICATIONS_MAX_ATTEMPTS attempts.
NOTIFICATIONS_MAX_ATTEMPTS = env_int("NOTIFICATIONS_MAX_ATTEMPTS", 5, minimum=1)
NOTIFICATIONS_RETRY_BASE_SECONDS = env_int("NOTIFICATIONS_RETRY_BASE_SECONDS", 300, minimum=1)
# The default number of days before a quarter's last day a supervisor is reminded of the
# villages not yet inspected (a district may set its own, 1 to 60).
NOTIFICATIONS_INSPECTION_REMINDER_DAYS = env_int(
    "NOTIFICATIONS_INSPECTION_REMINDER_DAYS", 14, minimum=1
)
# A delivery or reminder claimed by a worker that has not finished it after this long is
# taken to belong to a worker that died, and is claimed again (README, "Faults").
NOTIFICATIONS_CLAIM_LEASE_SECONDS = env_int("NOTIFICATIONS_CLAIM_LEASE_SECONDS", 900, minimum=1)
# Database connections the reminder sweep uses at once on PostgreSQL.
NOTIFICATIONS_SWEEP_WORKERS = env_int("NOTIFICATIONS_SWEEP_WORKERS", 2, minimum=1)
if env_str("EMAIL_URL", ""):
    _email = _env.email_url("EMAIL_URL")
    EMAIL_BACKEND = _email["EMAIL_BACKEND"]
    EMAIL_HOST = _email.get("EMAIL_HOST", "")
    EMAIL_PORT = _email.get("EMAIL_PORT") or 25
    EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS", False))
    EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL", False))

# --- REST API ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so a bad or missing token is a 401 with WWW-Authenticate.
        "org.tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "carecase.api_schema.StrictPageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PARSER_CLASSES": [
        "carecase.api_parsers.CareCaseJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # Counted in the cache (Redis in production): a signed-in user's requests (a director's
    # phone syncing sends a burst), anonymous requests per address, and the token endpoint per
    # address and account name (core.throttles). Over the rate: 429 with Retry-After.
    "DEFAULT_THROTTLE_CLASSES": ["core.throttles.AnonThrottle", "core.throttles.UserThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "user": env_str("API_THROTTLE_USER", "600/min"),
        "anon": env_str("API_THROTTLE_ANON", "60/min"),
        "token": env_str("API_THROTTLE_TOKEN", "10/min"),
    },
    # The client address behind the proxies in front (the one X-Forwarded-For entry they
    # vouch for), as for sign-in lockouts: without proxies, REMOTE_ADDR.
    "NUM_PROXIES": AXES_IPWARE_PROXY_COUNT,
}
# API tokens (django-rest-knox): stored as hashes, one per device, expiring after
# API_TOKEN_TTL_HOURS (1 hour to 30 days), revoked on password change, deactivation and the end
# of an assignment (org/tokens.py).
KNOX_TOKEN_MODEL = "org.ApiToken"  # noqa: S105 - a model name
# knox's own migrations would create its default token table even though the model is
# swapped for org.ApiToken (and PostgreSQL's test flush then trips over its foreign key).
MIGRATION_MODULES = {"knox": None}
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=env_int("API_TOKEN_TTL_HOURS", 72, minimum=1, maximum=720)),
    "TOKEN_LIMIT_PER_USER": env_int("API_TOKENS_PER_USER", 5, minimum=1, maximum=50),
    "AUTO_REFRESH": False,
    "AUTH_HEADER_PREFIX": "Token",
}
# The copy a director's phone keeps for work without a network (GET /api/v1/offline/) is
# hidden this many days after its last successful contact with the server, until she signs in.
OFFLINE_MAX_AGE_DAYS = env_int("OFFLINE_MAX_AGE_DAYS", 7, minimum=1, maximum=90)
# The API documentation in the menu for everyone (by default: those who hold an API token).
API_DOCS_IN_MENU = env_bool("API_DOCS_IN_MENU", False)

SPECTACULAR_SETTINGS = {
    "TITLE": "CareCase API",
    "DESCRIPTION": "关爱服务个案管理系统 API. Every list is scoped to the caller's regions.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "carecase.api_schema.add_error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "StaffStatusEnum": "org.models.StaffStatus",
        "ChildStatusEnum": "children.choices.Status",
        "AssistanceStatusEnum": "children.choices.AssistanceStatus",
        "ParentStatusEnum": "children.choices.ParentStatus",
        "RiskLevelEnum": "children.risk.LEVEL_KEY_CHOICES",
        "RiskSourceEnum": "children.models_risk.RiskSource",
        "ActivityKindEnum": "activities.models.ActivityKind",
        "SafetyTopicEnum": "activities.models.SafetyTopic",
        "ProviderKindEnum": "providers.models.ProviderKind",
        "ServiceKindEnum": "providers.models.ServiceKind",
        "ReferralStatusEnum": "providers.models.ReferralStatus",
        "ReferralOutcomeEnum": "providers.models.ReferralOutcome",
        "ReferralConsentEnum": "providers.models.Consent",
        "CapacityRatingEnum": "children.models_household.ItemRating",
        "CapacityResultEnum": "children.models_household.CapacityResult",
        "VisitKindEnum": "visits.models.VisitKind",
        "VisitFindingEnum": "visits.models.Finding",
        "CasePlanStatusEnum": "caseplans.models.PlanStatus",
        "CasePlanReviewOutcomeEnum": "caseplans.models.ReviewOutcome",
        "FindingOutcomeEnum": "matching.models.Outcome",
        "ChildSchoolingEnum": "children.choices.Schooling",
        "ChildHealthEnum": "children.choices.Health",
        "ReportStageEnum": "reports.models.Stage",
    },
}

# --- Celery --------------------------------------------------------------------------------
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
# Queues, so that a district workbook or a sweep never delays an alert: "alerts" (the sending
# of notifications' email and SMS copies and the escalation of overdue reports: short, urgent),
# "sweeps" (the daily and periodic set-based tasks), "exports" (long jobs a user waits for:
# export files, duplicate lists), "imports" (a long department list confirmed for import) and
# "default" (heartbeats). A worker started without -Q
# consumes them all (the embedded run); production runs a worker per group (docker-compose).
CELERY_QUEUE_NAMES = ("alerts", "sweeps", "exports", "imports", "default")
# Each queue bound by its own name (explicit, so that any broker routes it alike).
CELERY_TASK_QUEUES = tuple(
    Queue(name, Exchange(name, type="direct"), routing_key=name) for name in CELERY_QUEUE_NAMES
)
CELERY_TASK_DEFAULT_QUEUE = "default"
_QUEUED_TASKS = {
    "alerts": (
        "notifications.tasks.send_deliveries",
        "notifications.tasks.retry_deliveries",
        "reports.tasks.escalate_overdue_reports",
    ),
    "exports": ("exports.tasks.run_export_job", "duplicates.tasks.run_duplicate_list"),
    "imports": ("matching.tasks.import_list",),
    # Every other task of these apps (the sweeps, reminders, snapshots and purges); an exact
    # name above wins over a pattern.
    "sweeps": (
        "carecase.tasks.archive_logs",
        "carecase.tasks.create_log_partitions",
        *(
            f"{app}.tasks.*"
            for app in (
                "activities",
                "caseplans",
                "children",
                "exports",
                "matching",
                "notifications",
                "providers",
                "stats",
                "training",
            )
        ),
    ),
}
CELERY_TASK_ROUTES = {
    task: {"queue": queue} for queue, tasks in _QUEUED_TASKS.items() for task in tasks
}
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    # A worker killed with a task in hand (SIGKILL, a lost host) never acknowledges it
    # (CELERY_TASK_ACKS_LATE): Redis gives the message to another worker once it has been
    # unacknowledged BROKER_VISIBILITY_SECONDS, a sweep every BROKER_RESTORE_SECONDS looking for
    # such messages. A task running longer than the visibility timeout is delivered a second
    # time while it runs: every task of the queues is idempotent (claims, dedupe keys), so the
    # second finds nothing to do. README, "Faults".
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "visibility_timeout": env_int("BROKER_VISIBILITY_SECONDS", 3600, minimum=1),
        "unacked_restore_interval": env_int("BROKER_RESTORE_SECONDS", 10, minimum=1),
        "unacked_restore_throttle": 1,
    }
else:
    # Embedded default: kombu's filesystem transport needs no server; worker and web share
    # these folders on one machine.
    _broker_dir = VAR_DIR / "celery" / "broker"
    _broker_dir.mkdir(parents=True, exist_ok=True)
    (VAR_DIR / "celery" / "results").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "store_processed": False,
        # Broadcast exchanges (celery's control commands); kombu's default is ./control.
        "control_folder": str(VAR_DIR / "celery" / "control"),
    }
    CELERY_RESULT_BACKEND = f"file://{VAR_DIR / 'celery' / 'results'}"
REPORT_ESCALATION_DELAY_HOURS = env_int("REPORT_ESCALATION_DELAY_HOURS", 24, minimum=1)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celery" / "beat-schedule")
# One scheduler, however many beat processes run (a standby beside the active one, or two
# hosts started alike): with Redis, celery-redbeat keeps the schedule and the time of each
# entry's last run in Redis, and the beat that holds its lock is the only one that sends; the
# others wait for the lock. The holder renews it on every tick (at most BEAT_MAX_INTERVAL_SECONDS
# apart); if it dies, a standby takes over within BEAT_LOCK_SECONDS + BEAT_MAX_INTERVAL_SECONDS,
# inside the window /ready/ allows a heartbeat (READY_HEARTBEAT_FACTOR x HEARTBEAT_SECONDS).
# The embedded run (no Redis) keeps Celery's file scheduler: one beat, inside its one worker.
CELERY_BEAT_MAX_LOOP_INTERVAL = env_int("BEAT_MAX_INTERVAL_SECONDS", 10, minimum=1)
if REDIS_URL:
    CELERY_BEAT_SCHEDULER = "redbeat.RedBeatScheduler"
    CELERY_REDBEAT_REDIS_URL = REDIS_URL
    CELERY_REDBEAT_KEY_PREFIX = env_str("BEAT_KEY_PREFIX", "carecase:beat")
    CELERY_REDBEAT_LOCK_TIMEOUT = env_int(
        "BEAT_LOCK_SECONDS",
        max(60, CELERY_BEAT_MAX_LOOP_INTERVAL * 5),
        minimum=CELERY_BEAT_MAX_LOOP_INTERVAL * 2,
    )
# Minutes between two snapshots of the dashboard figures (stats.tasks.snapshot_regions); a
# divisor of 60. Town and district dashboards use a snapshot up to twice this old, else live.
STATS_SNAPSHOT_MINUTES = env_int("STATS_SNAPSHOT_MINUTES", 15, minimum=5)
# Department lists (issue 16): uploaded files are deleted this many days after upload (the
# staged rows keep only hashed and masked ID numbers); a name match scoring at least
# MATCHING_AUTO_CONFIDENCE is kept, from MATCHING_REVIEW_CONFIDENCE it is reviewed.
MATCHING_FILE_DAYS = env_int("MATCHING_FILE_DAYS", 7, minimum=1, maximum=365)
MATCHING_AUTO_CONFIDENCE = env_int("MATCHING_AUTO_CONFIDENCE", 90, minimum=50, maximum=100)
MATCHING_REVIEW_CONFIDENCE = env_int("MATCHING_REVIEW_CONFIDENCE", 45, minimum=1, maximum=100)
# A confirmed list of more rows than this is imported by a worker on the "imports" queue, its
# page following the import; a shorter one within the request.
MATCHING_INLINE_ROWS = env_int("MATCHING_INLINE_ROWS", 5000, minimum=0)
# A list still importing this many minutes after it was queued, no worker holding it, is
# marked failed (its worker died) by matching.tasks.fail_stuck_imports, run every
# MATCHING_STUCK_CHECK_MINUTES. Far above the longest import (about a minute at 200,000 rows).
MATCHING_STUCK_MINUTES = env_int("MATCHING_STUCK_MINUTES", 30, minimum=5)
MATCHING_STUCK_CHECK_MINUTES = env_int("MATCHING_STUCK_CHECK_MINUTES", 10, minimum=1, maximum=60)
HEARTBEAT_SECONDS = env_int("HEARTBEAT_SECONDS", 60, minimum=5)
# /ready/ (carecase.readiness): a queue's heartbeat older than this many intervals, or a
# daily sweep's last success older than these hours, makes the process not ready.
READY_HEARTBEAT_FACTOR = env_int("READY_HEARTBEAT_FACTOR", 3, minimum=2)
READY_SWEEP_HOURS = env_int("READY_SWEEP_HOURS", 26, minimum=25)
# Export jobs (exports.jobs.fail_stalled): one still running this long after it started lost
# its worker and is marked failed; one still queued this long is queued again.
EXPORT_RUNNING_TIMEOUT_SECONDS = env_int("EXPORT_RUNNING_TIMEOUT_SECONDS", 2 * 3600, minimum=1)
EXPORT_REQUEUE_SECONDS = env_int("EXPORT_REQUEUE_SECONDS", 1800, minimum=1)

# Log retention (等保2.0 三级, issue 19): the access log and the administrators' log are kept
# at least LOG_RETENTION_DAYS (180 at the least: a system check refuses less, carecase.checks);
# a whole month older than that is archived to the file storage, read back and verified, then
# purged (carecase.log_archive). On PostgreSQL the logs are monthly partitions, created ahead.
LOG_RETENTION_DAYS = env_int("LOG_RETENTION_DAYS", 180)

# /ready/'s storage check gives the file storage this many seconds to answer a lookup.
READY_STORAGE_SECONDS = env_int("READY_STORAGE_SECONDS", 3, minimum=1, maximum=30)
CELERY_BEAT_SCHEDULE = {
    "carecase-create-log-partitions": {
        "task": "carecase.tasks.create_log_partitions",
        "schedule": crontab(hour=2, minute=40),
    },
    "carecase-archive-logs": {
        "task": "carecase.tasks.archive_logs",
        "schedule": crontab(hour=2, minute=50),
    },
    "children-purge-roster-uploads": {
        "task": "children.tasks.purge_roster_uploads",
        "schedule": crontab(hour=3, minute=15),
    },
    "children-age-reviews": {
        "task": "children.tasks.mark_age_reviews",
        "schedule": crontab(hour=6, minute=30),
    },
    "training-rotation": {
        "task": "training.tasks.flag_rotation",
        "schedule": crontab(hour=6, minute=45),
    },
    # The day's dashboard figures of every village, town and district, rewritten every
    # STATS_SNAPSHOT_MINUTES: town and district dashboards read them ("figures as of HH:MM"),
    # and the day's last run (23:45 by default) is the day's point of the 12-month trends.
    "stats-snapshot-regions": {
        "task": "stats.tasks.snapshot_regions",
        "schedule": crontab(minute=f"*/{STATS_SNAPSHOT_MINUTES}"),
    },
    # Reminders: the daily sweep (REMINDER_SWEEP_HOUR:REMINDER_SWEEP_MINUTE, Asia/Shanghai) and
    # the retry of deliveries waiting out a backoff.
    "notifications-send-reminders": {
        "task": "notifications.tasks.send_reminders",
        "schedule": crontab(
            hour=env_int("REMINDER_SWEEP_HOUR", 8, minimum=0),
            minute=env_int("REMINDER_SWEEP_MINUTE", 0, minimum=0),
        ),
    },
    "notifications-retry-deliveries": {
        "task": "notifications.tasks.retry_deliveries",
        "schedule": env_int("REMINDER_RETRY_SECONDS", 300, minimum=30),
    },
    # Overdue steps of mandatory reports escalate (supervisor, then district after
    # REPORT_ESCALATION_DELAY_HOURS); idempotent, so the hourly run never sends twice.
    "reports-escalate-overdue": {
        "task": "reports.tasks.escalate_overdue_reports",
        "schedule": crontab(minute=env_int("REPORT_ESCALATION_MINUTE", 5, minimum=0)),
    },
    # Export files (statistics workbooks) are deleted 7 days after they are ready.
    "exports-purge-expired": {
        "task": "exports.tasks.purge_expired_exports",
        "schedule": crontab(hour=3, minute=30),
    },
    # Export jobs whose worker was lost fail with the reason; queued ones whose message was
    # lost are queued again (exports.jobs.fail_stalled; README, "Faults").
    "exports-requeue-stalled": {
        "task": "exports.tasks.requeue_stalled_exports",
        "schedule": env_int("EXPORT_STALL_CHECK_SECONDS", 600, minimum=10),
    },
    # Department lists (issue 16): findings reminded and escalated like overdue visits, and
    # the uploaded files purged after MATCHING_FILE_DAYS.
    "matching-remind-findings": {
        "task": "matching.tasks.remind_findings",
        "schedule": crontab(hour=8, minute=10),
    },
    # R19's six-month clock: a parent reported missing over six months ago (matching.clocks).
    "matching-raise-missing-parents": {
        "task": "matching.tasks.raise_missing_parents",
        "schedule": crontab(hour=6, minute=50),
    },
    # Referrals to service providers (issue 17): overdue answers and outcomes reminded and
    # escalated like findings.
    "providers-remind-referrals": {
        "task": "providers.tasks.remind_referrals",
        "schedule": crontab(hour=8, minute=15),
    },
    # Department lists left importing by a worker that died: failed, with a message on the
    # list's page, so the uploader uploads them again (matching.importing.lists_stuck_fail).
    "matching-fail-stuck-imports": {
        "task": "matching.tasks.fail_stuck_imports",
        "schedule": crontab(minute=f"*/{MATCHING_STUCK_CHECK_MINUTES}"),
    },
    "matching-purge-list-files": {
        "task": "matching.tasks.purge_list_files",
        "schedule": crontab(hour=3, minute=25),
    },
    # Care activities (issue 17): villages without a safety-education activity this year,
    # told to the town's supervisor from the day of the last quarter the district's rule sets.
    "activities-remind-safety-education": {
        "task": "activities.tasks.remind_safety_education",
        "schedule": crontab(hour=8, minute=20),
    },
    # Case plans (issue 17): approved plans' actions reminded and escalated like findings.
    "caseplans-remind-actions": {
        "task": "caseplans.tasks.remind_actions",
        "schedule": crontab(hour=8, minute=15),
    },
    "caseplans-remind-reviews": {
        "task": "caseplans.tasks.remind_reviews",
        "schedule": crontab(hour=8, minute=25),
    },
    # A heartbeat on each queue (carecase.tasks.heartbeat, named after it): the readiness
    # endpoint knows a worker serves every queue, and that beat runs.
    **{
        f"worker-heartbeat-{queue}": {
            "task": "carecase.tasks.heartbeat",
            "schedule": HEARTBEAT_SECONDS,
            "args": (queue,),
            "options": {"queue": queue, "expires": HEARTBEAT_SECONDS},
        }
        for queue in CELERY_QUEUE_NAMES
    },
}

# --- Logging: errors are logged, never shown -----------------------------------------------
# One JSON object a line (time, level, logger, message, request_id, user_id, and task_name and
# task_id in a worker) unless LOG_FORMAT=plain; plain text by default under DEBUG.
LOG_FORMAT = env_str("LOG_FORMAT", "plain" if DEBUG else "json")
if LOG_FORMAT not in ("json", "plain"):
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r} must be json or plain.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "carecase.logfilters.JsonFormatter"},
    },
    # ID numbers are masked in every log line (a search URL may carry one); each line carries
    # the request's id and the user's id (never a name), and the task's in a worker.
    "filters": {
        "mask_ids": {"()": "carecase.logfilters.MaskIdentifiers"},
        "context": {"()": "carecase.logfilters.LogContext"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["mask_ids", "context"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
# Workers log through LOGGING above (JSON, with the task and the request that queued it),
# not through Celery's own handler.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Metrics (core.metrics, /metrics/) --------------------------------------------------------
# /metrics/ answers only `Authorization: Bearer <METRICS_TOKEN>`; without it, 404. METRICS_DIR
# (core.metrics) is read where the processes start, before the settings.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
if METRICS_TOKEN and len(METRICS_TOKEN) < 32:
    raise ImproperlyConfigured("METRICS_TOKEN must be at least 32 characters.")
