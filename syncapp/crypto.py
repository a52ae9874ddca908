"""Encryption of secrets at rest: Fernet with several keys, so that a key can be rotated.

The first key of SYNCAPP_ENCRYPTION_KEYS encrypts; every key decrypts. A decrypted value is held
in a `Secret`, whose str() and repr() are masked, so that a secret that slips into a template,
a log line or an exception message shows as a mask, not as itself.
"""

import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django import forms
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models.query_utils import DeferredAttribute

MASK = "••••••••"


class Secret:
    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __str__(self) -> str:
        return MASK if self._value else ""

    def __repr__(self) -> str:
        return "Secret(••••••••)" if self._value else "Secret('')"


@functools.cache
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("SYNCAPP_ENCRYPTION_KEYS holds no key")
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError:
        raise ImproperlyConfigured(
            "SYNCAPP_ENCRYPTION_KEYS must be comma-separated Fernet keys "
            "(32 url-safe base64-encoded bytes each: `python manage.py generate_encryption_key` makes one)"
        ) from None


def fernet() -> MultiFernet:
    return _fernet_for(tuple(settings.ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(
            "A stored secret cannot be decrypted with any key in SYNCAPP_ENCRYPTION_KEYS: "
            "was a key removed before `manage.py rotate_secrets` ran?"
        ) from None


def rotate(token: str) -> str:
    """Re-encrypt `token` with the first (newest) key."""
    return fernet().rotate(token.encode()).decode()


class _SecretAttribute(DeferredAttribute):
    """Whatever is assigned (a str, a Secret, None), the attribute holds a Secret or None."""

    def __set__(self, instance, value) -> None:
        instance.__dict__[self.field.attname] = self.field.to_python(value)


class EncryptedField(models.TextField):
    """A text secret stored as a Fernet token; in Python it is a `Secret` (or None).

    Forms never render its value back, and a blank form value leaves the stored secret as it is.
    """

    descriptor_class = _SecretAttribute

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return None if value is None else Secret("")
        return Secret(decrypt(value))

    def to_python(self, value):
        if value is None or isinstance(value, Secret):
            return value
        return Secret(str(value))

    def get_prep_value(self, value):
        value = self.to_python(value)
        if value is None:
            return None
        if not value:
            return ""
        return encrypt(value.reveal())

    def value_to_string(self, obj) -> str:
        # Serialisation (dumpdata) carries the ciphertext, never the plaintext.
        return self.get_prep_value(self.value_from_object(obj)) or ""

    def save_form_data(self, instance, data) -> None:
        if data in (None, "") or (isinstance(data, Secret) and not data):
            return
        super().save_form_data(instance, data)

    def formfield(self, **kwargs):
        return super().formfield(
            **{**kwargs, "form_class": SecretFormField, "widget": SecretFormField.widget}
        )


class SecretFormField(forms.CharField):
    """A write-only form field: the page never carries the saved value, and blank means "keep it"."""

    widget = forms.PasswordInput(render_value=False)

    def __init__(self, **kwargs) -> None:
        kwargs.pop("max_length", None)
        kwargs["required"] = False
        kwargs.setdefault("help_text", "Write-only: never shown again. Leave blank to keep the saved value.")
        super().__init__(strip=False, **kwargs)

    def prepare_value(self, value) -> str:
        return ""
