"""Test settings: the real settings, with fast password hashing and plain static storage."""

import os
from pathlib import Path

# Tests (and the workers they start, which inherit the environment) keep their files apart from
# a running `make run`: their own broker folder, cache and generated keys.
os.environ.setdefault("SYNCAPP_DATA_DIR", str(Path(__file__).resolve().parent.parent / "var" / "test"))

from syncapp.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
SECURE_SSL_REDIRECT = False
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
