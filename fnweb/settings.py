"""All of fnweb's configuration, read from the environment in this one place.

Every setting has a default that is safe for development. Production runs with DEBUG off
and must then be given a real SECRET_KEY.
"""

import ipaddress
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from fnweb.jsonlog import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (production). "
            "For development, set DEBUG=true or use `make run`."
        )
    SECRET_KEY = "development-only-insecure-key"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Readers and one writer at a time, as a threaded server and an ingest sender need: WAL
    # lets reads go on while a write commits, and IMMEDIATE transactions queue writers on the
    # timeout instead of failing with "database is locked" when two upgrade from reading.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.mysql":
    # PyMySQL stands in for mysqlclient, so MariaDB/MySQL need no C headers to install.
    import pymysql

    pymysql.install_as_MySQLdb()
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("charset", "utf8mb4")

# Each worker thread keeps its connection for DATABASE_CONN_MAX_AGE seconds rather than
# opening one per request: connecting cost more than a whole read of one call (a new
# PostgreSQL backend, or SQLite's pragmas). A connection is checked before a request reuses it,
# so one the database dropped (a restart) is replaced instead of failing the request.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=600)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# A database that does not answer must not hold a request (and its worker thread) for long:
# connecting gives up after DATABASE_CONNECT_TIMEOUT, a statement after
# DATABASE_STATEMENT_TIMEOUT (0: no limit, for migrations on big tables); the API then
# answers 503. A URL's own ?connect_timeout= wins.
DATABASE_CONNECT_TIMEOUT = env.int("DATABASE_CONNECT_TIMEOUT", default=5)
DATABASE_STATEMENT_TIMEOUT = env.float("DATABASE_STATEMENT_TIMEOUT", default=10)
# How long /readyz waits for the database before it answers 503 (probes often give up at 1 s).
READYZ_TIMEOUT = env.float("READYZ_TIMEOUT", default=1)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options.setdefault("connect_timeout", DATABASE_CONNECT_TIMEOUT)
    statement_ms = round(DATABASE_STATEMENT_TIMEOUT * 1000)
    options["options"] = f"{options.get('options', '')} -c statement_timeout={statement_ms}".strip()
if DATABASES["default"]["ENGINE"] == "django.db.backends.mysql":
    options = DATABASES["default"]["OPTIONS"]
    options.setdefault("connect_timeout", DATABASE_CONNECT_TIMEOUT)
    if DATABASE_STATEMENT_TIMEOUT:
        # The server stops a statement at its limit and says so; the client's own timeouts, a
        # second later, catch a server that stopped answering at all.
        options.setdefault("read_timeout", DATABASE_STATEMENT_TIMEOUT + 1)
        options.setdefault("write_timeout", DATABASE_STATEMENT_TIMEOUT + 1)
    # max_statement_time is MariaDB's; inside /*M! ... */ MySQL, which lacks it, skips it.
    options["init_command"] = (
        f"SET @fnweb = 0 /*M! , SESSION max_statement_time = {DATABASE_STATEMENT_TIMEOUT} */"
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "calls",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "fnweb.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise, so it times the views and not the static files.
    "calls.metrics.RequestMetricsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "fnweb.urls"
WSGI_APPLICATION = "fnweb.wsgi.application"

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

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")

# --- Access -------------------------------------------------------------------------------
# Reads (dashboard pages and GET on the API) are open unless this is on; writes always need
# authentication: an API token for machines, a staff session for people.
READ_REQUIRES_LOGIN = env.bool("READ_REQUIRES_LOGIN", default=False)
LOGIN_URL = "admin:login"

# --- Dashboard charts -----------------------------------------------------------------------
# Chart.js 4.6.1 from the CDN, pinned by its Subresource Integrity hash (the sha384 of npm's
# file, which jsDelivr serves byte for byte). Air-gapped sites self-host the copy shipped in
# static/: CHARTJS_URL=/static/vendor/chartjs/chart.umd.min.js (the same hash still holds).
CHARTJS_URL = env.str(
    "CHARTJS_URL",
    default="https://cdn.jsdelivr.net/npm/chart.js@4.6.1/dist/chart.umd.min.js",
)
CHARTJS_INTEGRITY = env.str(
    "CHARTJS_INTEGRITY",
    default="sha384-Emf5ZVIUiarAdhkgtqK+5/Z5qIvM6QoVrS+qAVtfyZVuD5lIHrac0me485+Antp0",
)

# --- API ------------------------------------------------------------------------------------
# Most calls one ingest request may carry, and the largest request body accepted (bytes).
INGEST_BATCH_SIZE = env.int("INGEST_BATCH_SIZE", default=500)
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("INGEST_MAX_BODY_BYTES", default=64 * 1024 * 1024)

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["calls.api.renderers.FnJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "calls.api.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["calls.api.auth.FnAccess"],
    "EXCEPTION_HANDLER": "calls.api.errors.fn_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Fn has no ?format=; the log's plain text is chosen by the Accept header alone.
    "URL_FORMAT_OVERRIDE": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "fnweb",
    "DESCRIPTION": "Fn's v1 calls API, wire-compatible, plus fnweb's ingest and summaries.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The docs page works offline: Swagger UI is served from our own static files.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Operations: metrics, retention, production security, logs -------------------------------
# /metrics is open unless restricted: to these client addresses or networks (REMOTE_ADDR, so
# the proxy's address when one is in front), and/or to requests sending this bearer token.
METRICS_ALLOWED_IPS = [
    ipaddress.ip_network(allowed, strict=False)
    for allowed in env.list("METRICS_ALLOWED_IPS", default=[])
]
METRICS_BEARER_TOKEN = env.str("METRICS_BEARER_TOKEN", default="")
# What `purge_calls` removes when run without --older-than; unset keeps calls forever.
CALLS_RETENTION_DAYS = env.int("CALLS_RETENTION_DAYS", default=None)
# What `purge_rollups` keeps: rollups are a few rows per path and minute, so they outlive calls.
ROLLUPS_RETENTION_DAYS = env.int(
    "ROLLUPS_RETENTION_DAYS", default=max(400, CALLS_RETENTION_DAYS or 0)
)

# With DEBUG off these default to what `check --deploy` asks for. Behind a proxy that
# terminates TLS, set SECURE_PROXY_SSL_HEADER=true if it sends `X-Forwarded-Proto: https`
# (and strips it from clients), or SECURE_SSL_REDIRECT=false to leave redirects to the proxy.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Probes and Prometheus often speak plain HTTP inside the cluster.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
# Preloading puts the domain in browsers' HTTPS-only list for good: an explicit choice.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = not DEBUG

# WhiteNoise serves the collected static files, compressed by `collectstatic`.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Production logs are JSON lines on stdout (fnweb/jsonlog.py); development keeps Django's own.
if not DEBUG:
    LOGGING = logging_config(env.str("LOG_LEVEL", default="INFO"))
