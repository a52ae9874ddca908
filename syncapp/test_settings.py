"""Test settings: the real settings, with fast password hashing and plain static storage."""

import os
import tempfile
from pathlib import Path

# Each test session (and the workers it starts, which inherit the environment) keeps its files apart
# from a running `make run` and from other sessions: its own broker folder, cache, keys and database.
os.environ.setdefault(
    "SYNCAPP_DATA_DIR",
    str(Path(__file__).resolve().parent.parent / "var" / "test" / f"session-{os.getpid()}"),
)

from syncapp.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
SECURE_SSL_REDIRECT = False
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405

# A file, not memory, for the SQLite test database: the Celery workers that integration tests start
# must open the very database the test writes to.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test_db.sqlite3")}  # noqa: F405
    if os.environ.get("SYNCAPP_TEST_WORKER"):  # a worker started by a test uses the test database
        DATABASES["default"]["NAME"] = DATABASES["default"]["TEST"]["NAME"]  # noqa: F405

# Tests build their warehouses in temporary directories.
FILE_SOURCES_DIRS = [*FILE_SOURCES_DIRS, tempfile.gettempdir()]  # noqa: F405

# Each test session has cache keys of its own: Redis outlives a session, and a new test database
# reuses primary keys, so a key written by an earlier session could otherwise be read as current.
CACHES["default"]["KEY_PREFIX"] = DATA_DIR.name  # noqa: F405 - shared with the workers it starts
LIMITER_KEY_PREFIX = f"syncapp-{DATA_DIR.name}"  # noqa: F405 - leases left by killed processes stay behind
