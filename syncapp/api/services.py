"""API keys (make, find, revoke) and the catalog writes the API makes for a key's workspace.

A key's token is `sa_<prefix>_<secret>`: the prefix finds the key, and only a SHA-256 of the secret
is stored. The secret is 256 random bits, so a fast hash is the right one here: nothing can be
guessed, and a slow password hash would only slow every request. Hashes are compared in constant
time.

The writes take rows already resolved inside the key's workspace (syncapp.tenancy) and values
already translated from Hightouch's shapes; they validate with the models' own `full_clean`.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from destinations.models import Destination
from models_catalog.models import Model, Source
from syncapp.api.models import ApiKey
from syncapp.models import Workspace
from syncs.models import Sync

TOKEN_PREFIX = "sa"  # noqa: S105 (not a secret: the visible tag of every key)
# last_used_at is written at most this often per key, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class Conflict(Exception):
    """The value of `field` is already taken in the workspace."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


# ---------------------------------------------------------------------------------------- keys


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_key_create(*, workspace: Workspace, user, name: str) -> tuple[ApiKey, str]:
    """Make a key; returns it and its token, which is shown once and never stored."""
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    key = ApiKey(workspace=workspace, created_by=user, name=name.strip(), prefix=prefix)
    key.hashed_secret = _hash(secret)
    key.full_clean()
    key.save()
    return key, f"{TOKEN_PREFIX}_{prefix}_{secret}"


def api_key_revoke(*, api_key: ApiKey) -> bool:
    """Revoke the key for good; False when it was revoked already."""
    revoked = ApiKey.objects.filter(pk=api_key.pk, revoked_at=None).update(revoked_at=timezone.now())
    return revoked == 1


def api_key_for_token(token: str) -> ApiKey | None:
    """The active key this token belongs to, or None."""
    parts = token.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1].isalnum():
        return None
    _, prefix, secret = parts
    key = ApiKey.objects.select_related("workspace").filter(prefix=prefix, revoked_at=None).first()
    # Hash and compare even when no key has this prefix, so that both paths cost the same.
    expected = key.hashed_secret if key is not None else _hash(secrets.token_urlsafe(32))
    if not hmac.compare_digest(_hash(secret), expected) or key is None:
        return None
    return key


def api_key_record_use(*, api_key: ApiKey) -> None:
    now = timezone.now()
    stale = models.Q(last_used_at=None) | models.Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
    ApiKey.objects.filter(stale, pk=api_key.pk).update(last_used_at=now)


# ---------------------------------------------------------------------------------------- catalog


def _save(obj: models.Model, *, unique: str, label: str) -> None:
    """Validate and save `obj`, whose `unique` field must not be taken in its workspace."""
    value = getattr(obj, unique)
    taken = type(obj).objects.in_workspace(obj.workspace_id).filter(**{unique: value}).exclude(pk=obj.pk)
    if taken.exists():
        raise Conflict(unique, f"A {label} with {unique} {value!r} exists already in this workspace.")
    obj.full_clean()
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:  # a concurrent request took the value between the check and the save
        raise Conflict(
            unique, f"A {label} with {unique} {value!r} exists already in this workspace."
        ) from None


def source_create(*, workspace: Workspace, user, name: str, kind: str, **fields) -> Source:
    """A new source; `fields` are Source's connection fields (password included, stored encrypted)."""
    source = Source(workspace=workspace, created_by=user, name=name, kind=kind)
    return source_update(source=source, **fields)


def source_update(*, source: Source, **fields) -> Source:
    """Change the given fields. A blank password keeps the saved one (it is write-only)."""
    password = fields.pop("password", None)
    for name, value in fields.items():
        setattr(source, name, value)
    if password:
        source.password = password
    _save(source, unique="name", label="source")
    return source


def model_create(*, workspace: Workspace, user, source: Source, **fields) -> Model:
    model = Model(workspace=workspace, created_by=user, source=source)
    return model_update(model=model, **fields)


def model_update(*, model: Model, **fields) -> Model:
    for name, value in fields.items():
        setattr(model, name, value)
    _save(model, unique="slug", label="model")
    return model


def destination_create(
    *, workspace: Workspace, name: str, kind: str, config: dict, credentials: dict
) -> Destination:
    destination = Destination(workspace=workspace, name=name, kind=kind, config={})
    return destination_update(destination=destination, config=config, credentials=credentials)


def destination_update(
    *,
    destination: Destination,
    name: str | None = None,
    config: dict | None = None,
    credentials: dict | None = None,
) -> Destination:
    """Merge `config` into the settings (a None value removes one) and `credentials` into the encrypted
    credentials (a blank value keeps the saved one)."""
    if name is not None:
        destination.name = name
    if config:
        merged = {**destination.config, **config}
        destination.config = {key: value for key, value in merged.items() if value is not None}
    if credentials:
        destination.set_credentials(credentials)
    _save(destination, unique="name", label="destination")
    return destination


def sync_create(*, workspace: Workspace, user, model: Model, destination: Destination, **fields) -> Sync:
    sync = Sync(workspace=workspace, created_by=user, model=model, destination=destination)
    return sync_update(sync=sync, **fields)


def sync_update(*, sync: Sync, **fields) -> Sync:
    """Change the given fields; a new schedule takes effect from now (the scheduler sets the time)."""
    schedule_fields = {"schedule_kind", "interval_every", "interval_unit", "cron_expression"}
    if schedule_fields & set(fields):
        sync.next_run_at = None
    for name, value in fields.items():
        setattr(sync, name, value)
    _save(sync, unique="slug", label="sync")
    return sync
