"""Settings for syncapp, all read from environment variables (each one is listed in README.md).

With nothing set, syncapp runs embedded: SQLite for its own database, a filesystem Celery broker,
and generated keys kept in the data directory. Production sets DATABASE_URL (PostgreSQL) and
REDIS_URL, and then must also set SYNCAPP_SECRET_KEY and SYNCAPP_ENCRYPTION_KEYS explicitly.
"""

import secrets
from pathlib import Path

import dj_database_url
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from syncapp.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("SYNCAPP_DATA_DIR") or BASE_DIR / "var")
DATA_DIR.mkdir(parents=True, exist_ok=True)

DATABASE_URL = env_str("DATABASE_URL")
REDIS_URL = env_str("REDIS_URL")
EMBEDDED = not DATABASE_URL


def _key_from_env_or_file(variable: str, filename: str, generate) -> str:
    """A key from the environment; in embedded mode only, one generated once into the data dir.

    A server deployment (DATABASE_URL set) must set the key itself: processes on several machines
    generating their own keys would not read each other's sessions or secrets.
    """
    value = env_str(variable)
    if value:
        return value
    if not EMBEDDED:
        raise ImproperlyConfigured(f"{variable} must be set when DATABASE_URL is set")
    path = DATA_DIR / filename
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(generate())
    return path.read_text().strip()


SECRET_KEY = _key_from_env_or_file("SYNCAPP_SECRET_KEY", "secret_key", lambda: secrets.token_urlsafe(50))
# Comma-separated Fernet keys; the first encrypts, all decrypt (rotation: prepend a new key,
# run `manage.py rotate_secrets`, then drop the old one).
ENCRYPTION_KEYS = [
    key.strip()
    for key in _key_from_env_or_file(
        "SYNCAPP_ENCRYPTION_KEYS", "encryption_key", lambda: Fernet.generate_key().decode()
    ).split(",")
    if key.strip()
]

# SQLite and DuckDB sources may only be files under these directories.
FILE_SOURCES_DIRS = env_list("SYNCAPP_FILE_SOURCES_DIRS", [str(DATA_DIR / "warehouses")])

DEBUG = env_bool("SYNCAPP_DEBUG", False)
ALLOWED_HOSTS = env_list("SYNCAPP_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("SYNCAPP_CSRF_TRUSTED_ORIGINS", [])

# HTTPS is on unless turned off for a local, plain-HTTP run (`make run` turns it off).
HTTPS = env_bool("SYNCAPP_HTTPS", True)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("SYNCAPP_HSTS_SECONDS", 31536000 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SYNCAPP_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
SECURE_HSTS_PRELOAD = env_bool("SYNCAPP_HSTS_PRELOAD", HTTPS)
if env_bool("SYNCAPP_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie; harmless either way
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

INSTALLED_APPS = [
    "syncapp.admin_config.SyncappAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "syncapp",
    "models_catalog",
    "destinations",
    "netsuite",
    "syncs",
    "syncapp.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "syncapp.middleware.UserTimezoneMiddleware",
]

ROOT_URLCONF = "syncapp.urls"
WSGI_APPLICATION = "syncapp.wsgi.application"

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
                "syncapp.context_processors.workspaces",
            ],
        },
    },
]

if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=600, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "syncapp.sqlite3",
            # Web, worker and scheduler share the file: WAL lets readers run beside one writer, and
            # IMMEDIATE transactions wait for the write lock instead of failing half-way.
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": DATA_DIR / "cache",
        }
    }

AUTH_USER_MODEL = "syncapp.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("SYNCAPP_STATIC_ROOT") or DATA_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Celery: Redis when REDIS_URL is set; otherwise kombu's filesystem transport, which needs no server.
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
else:
    _broker_dir = DATA_DIR / "broker"
    (_broker_dir / "queue").mkdir(parents=True, exist_ok=True)
    (_broker_dir / "control").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        "polling_interval": 0.2,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "enqueue-due-syncs": {"task": "syncs.tasks.enqueue_due_syncs", "schedule": 20.0},
    "reap-stalled-runs": {"task": "syncs.tasks.reap_stalled_runs", "schedule": 30.0},
}
# Redis keys of the per-account concurrency limiter start with this.
LIMITER_KEY_PREFIX = "syncapp"
# A run with no sign of progress for this long is marked incomplete by the reaper.
SYNCAPP_RUN_STALL_SECONDS = env_int("SYNCAPP_RUN_STALL_SECONDS", 600, minimum=5)

LOG_LEVEL = env_str("SYNCAPP_LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
