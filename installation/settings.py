"""Settings, all read from the environment here and nowhere else.

Unset optional integrations are off, not a crash: no REDIS_URL means the in-memory
channel layer, no DATABASE_URL means SQLite. Production (DJANGO_DEBUG off) fails
loudly when DJANGO_SECRET_KEY is missing.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG")

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off. "
            "Set it to a long random string, or set DJANGO_DEBUG=1 for local use."
        )
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

# The address phones use (what the QR code shows). Its host is always allowed and
# its origin trusted for CSRF.
PUBLIC_URL = os.environ.get("PUBLIC_URL", "").rstrip("/")
_public = urlsplit(PUBLIC_URL) if PUBLIC_URL else None

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
# The hosts the platform gives the app: <app>.fly.dev on fly.io, Render's own name.
_platform_hosts = [
    f"{os.environ['FLY_APP_NAME']}.fly.dev" if os.environ.get("FLY_APP_NAME") else "",
    os.environ.get("RENDER_EXTERNAL_HOSTNAME", ""),
    _public.hostname if _public and _public.hostname else "",
]
ALLOWED_HOSTS += [host for host in _platform_hosts if host and host not in ALLOWED_HOSTS]
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "DJANGO_ALLOWED_HOSTS (or PUBLIC_URL) is required when DJANGO_DEBUG is off: "
        "every request and every WebSocket would be refused. Set it to the public host name."
    )

CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
if _public and _public.scheme and _public.netloc:
    CSRF_TRUSTED_ORIGINS.append(f"{_public.scheme}://{_public.netloc}")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "core",
    "controller",
    "projector",
    "curator",
]

MIDDLEWARE = [
    # First: the platform's health checks come with the machine's address as Host.
    "installation.health_middleware.HealthBeforeHostCheck",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "installation.urls"
ASGI_APPLICATION = "installation.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "installation" / "templates"],
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

# SQLite by default; DATABASE_URL (postgres://…) switches. SQLite gets WAL and a
# busy timeout so the stroke writer thread and admin requests do not trip over
# each other.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
# A fly Machine's root file system is reset from the image on every start, and
# machines stop when idle: SQLite there would lose the picture.
_on_fly = bool(os.environ.get("FLY_APP_NAME"))
if not DEBUG and _on_fly and not DATABASE_URL and not os.environ.get("SQLITE_PATH"):
    raise ImproperlyConfigured(
        "On fly.io set DATABASE_URL (fly postgres attach), or SQLITE_PATH on a volume."
    )
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Channel layer: in-memory unless REDIS_URL is set. See docs/decisions.md for why
# the PubSub layer is the default for Redis (REDIS_LAYER=core selects the other).
REDIS_URL = os.environ.get("REDIS_URL", "")
# TLS options travel in the URL's query (rediss://…?ssl_cert_reqs=none), which every
# redis client here parses. Hosts that attach an uneditable REDIS_URL with a
# self-signed certificate (Heroku) set REDIS_SSL_CERT_REQS=none instead.
if REDIS_URL and os.environ.get("REDIS_SSL_CERT_REQS"):
    _separator = "&" if "?" in REDIS_URL else "?"
    REDIS_URL += f"{_separator}ssl_cert_reqs={os.environ['REDIS_SSL_CERT_REQS']}"
REDIS_LAYER = os.environ.get("REDIS_LAYER", "pubsub")
# Several worker processes only share one wall through Redis (each has its own Mixer
# and in-memory layer). Some hosts set WEB_CONCURRENCY on their own (Heroku does).
WEB_CONCURRENCY = int(os.environ.get("WEB_CONCURRENCY") or "1")
if not DEBUG and WEB_CONCURRENCY > 1 and not REDIS_URL:
    raise ImproperlyConfigured(
        f"WEB_CONCURRENCY={WEB_CONCURRENCY} needs REDIS_URL: worker processes without a "
        "shared channel layer would each show only their own phones. Set REDIS_URL, "
        "or WEB_CONCURRENCY=1."
    )
CHANNEL_LAYERS: dict[str, dict[str, object]]
if REDIS_URL:
    _core = REDIS_LAYER == "core"
    _layer_config: dict[str, object] = {"hosts": [REDIS_URL]}
    if _core:
        _layer_config.update(capacity=500, expiry=10)
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": (
                "channels_redis.core.RedisChannelLayer"
                if _core
                else "channels_redis.pubsub.RedisPubSubChannelLayer"
            ),
            "CONFIG": _layer_config,
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 500}}
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "installation.static_storage.HashedModulesStorage"
        )
    },
}
WHITENOISE_MAX_AGE = 3600

# Production hardening: on whenever debug is off. The proxy (fly.io, any PaaS)
# terminates TLS and says so in X-Forwarded-Proto (uvicorn runs with --proxy-headers).
# DJANGO_HTTPS=0 is for a laptop serving a venue's LAN over plain http: no redirect,
# no HSTS, cookies without the Secure flag (installation.serve sets it).
HTTPS = env_bool("DJANGO_HTTPS", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", HTTPS)
    # The platform's checks speak plain http inside its network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000")) if HTTPS else 0
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = HTTPS
    CSRF_COOKIE_SECURE = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# The wall's own knobs that are not curator settings (those live in the database).
TICK_MS = int(os.environ.get("WALL_TICK_MS", "25"))
STORE_FLUSH_MS = int(os.environ.get("WALL_STORE_FLUSH_MS", "200"))
# Strokes are written by a child process of each server process (projector/archiver.py);
# 0 writes them from a thread of the server process instead.
STORE_PROCESS = os.environ.get("WALL_STORE_PROCESS", "1") != "0"
# Segments accepted and not yet committed, at most: while the database is away, the
# server holds this many (about 1 KB each, twice: server and archiver) and refuses
# points past it, telling the phone (docs/protocol.md, "storage_full").
STORE_BACKLOG_MAX = int(os.environ.get("WALL_STORE_BACKLOG_MAX", "50000"))
# A connection that has not said hello by then is closed (4001, docs/protocol.md).
HELLO_TIMEOUT = float(os.environ.get("WALL_HELLO_TIMEOUT", "10"))
# Messages a second a process takes at phones' own pace; past it phones are asked to
# send fewer, fuller messages (controller/pace.py). 0: never ask.
MESSAGE_BUDGET = int(os.environ.get("WALL_MESSAGE_BUDGET", "1500"))
DEVICE_COOKIE = "wall_device"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.channels.server": {"level": "WARNING"}},
}
