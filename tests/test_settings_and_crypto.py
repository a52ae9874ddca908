"""Production settings pass Django's deployment checks; keys rotate; bad settings fail loudly."""

import io
import os
import secrets
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection

from models_catalog.models import Source
from syncapp import crypto
from syncapp.env import env_bool, env_int
from tests import factories

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SYNCAPP_", "DJANGO_"))}
    base.pop("DATABASE_URL", None)
    base.pop("REDIS_URL", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=base | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_env(tmp_path) -> dict:
    return {
        "DJANGO_SETTINGS_MODULE": "syncapp.settings",
        "DATABASE_URL": "postgres://syncapp@db.internal:5432/syncapp",
        "REDIS_URL": "redis://cache.internal:6379/0",
        "SYNCAPP_SECRET_KEY": secrets.token_urlsafe(50),
        "SYNCAPP_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "SYNCAPP_ALLOWED_HOSTS": "syncapp.example.com",
        "SYNCAPP_DATA_DIR": str(tmp_path),
    }


def test_check_deploy_prints_no_warning_with_production_settings(tmp_path):
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_a_server_deployment_without_its_keys_refuses_to_start(tmp_path):
    env = production_env(tmp_path)
    del env["SYNCAPP_ENCRYPTION_KEYS"]
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "SYNCAPP_ENCRYPTION_KEYS must be set when DATABASE_URL is set" in result.stderr


def test_a_bad_boolean_setting_names_the_variable(monkeypatch):
    monkeypatch.setenv("SYNCAPP_DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="SYNCAPP_DEBUG must be one of"):
        env_bool("SYNCAPP_DEBUG", False)
    monkeypatch.setenv("SYNCAPP_HSTS_SECONDS", "soon")
    with pytest.raises(ImproperlyConfigured, match="SYNCAPP_HSTS_SECONDS must be a whole number"):
        env_int("SYNCAPP_HSTS_SECONDS", 0)


def stored_ciphertext(source: Source) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT password FROM models_catalog_source WHERE id = %s", [source.pk])
        return cursor.fetchone()[0]


def test_keys_rotate_without_losing_a_secret(db, settings):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.ENCRYPTION_KEYS = [old_key]
    source = factories.SourceFactory(password="rotate-me")
    assert Fernet(old_key.encode()).decrypt(stored_ciphertext(source).encode()) == b"rotate-me"

    settings.ENCRYPTION_KEYS = [new_key, old_key]
    call_command("rotate_secrets", stdout=io.StringIO())
    assert Fernet(new_key.encode()).decrypt(stored_ciphertext(source).encode()) == b"rotate-me"

    settings.ENCRYPTION_KEYS = [new_key]
    assert Source.objects.get(pk=source.pk).password.reveal() == "rotate-me"


def test_a_secret_unreadable_with_the_configured_keys_is_a_clear_error(db, settings):
    source = factories.SourceFactory(password="lost")
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(ImproperlyConfigured, match="cannot be decrypted with any key"):
        Source.objects.get(pk=source.pk)


def test_a_malformed_key_is_a_clear_error(settings):
    settings.ENCRYPTION_KEYS = ["not-a-key"]
    with pytest.raises(ImproperlyConfigured, match="must be comma-separated Fernet keys"):
        crypto.encrypt("x")
