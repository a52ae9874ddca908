"""Sandbox accounts: their tokens, role permissions, custom fields and custom record types.

An account is configured through `POST /_sandbox/accounts` (or the start-up config file) with the
body the contract describes; `Account.from_body` checks it and says what is wrong.
"""

import re
from dataclasses import dataclass, field
from typing import Any

from netsuite.sandbox.records import (
    FIELD_KINDS,
    SELECT,
    STANDARD_TYPES,
    SUBSIDIARY_TYPE,
    Field,
    RecordType,
    custom_record_type,
)

ACCOUNT_ID = re.compile(r"^\d+(_[A-Za-z]+\d*)?$")
SCRIPT_ID = re.compile(r"^[a-z0-9_]+$")
ALL = "all"


class ConfigError(ValueError):
    """A control API body the sandbox cannot use; the message says why."""


@dataclass(frozen=True)
class Token:
    consumer_key: str
    consumer_secret: str
    token_id: str
    token_secret: str
    permissions: frozenset[str] | None  # None: every record type

    def may_access(self, rtype: RecordType) -> bool:
        if self.permissions is None:
            return True
        return rtype.key in self.permissions or (
            rtype.is_custom_record and "customrecord" in self.permissions
        )


@dataclass(frozen=True)
class CustomField:
    record_type: str
    script_id: str
    label: str
    kind: str
    references: str | None
    required: bool

    def as_field(self) -> Field:
        references = (self.references,) if self.kind == SELECT and self.references else ()
        return Field(self.script_id, self.label, self.kind, references, custom=True)


@dataclass(frozen=True)
class CustomRecordTypeConfig:
    script_id: str
    internal_id: str
    label: str


@dataclass
class Account:
    account_id: str
    concurrency_limit: int
    oneworld: bool
    tokens: dict[str, Token]  # by token id
    custom_fields: tuple[CustomField, ...]
    custom_record_types: tuple[CustomRecordTypeConfig, ...]
    seed_records: tuple[dict[str, Any], ...]
    body: dict[str, Any]  # as posted, to persist and to show back
    record_types: dict[str, RecordType] = field(init=False)

    def __post_init__(self) -> None:
        types = dict(STANDARD_TYPES)
        for crt in self.custom_record_types:
            types[crt.script_id] = custom_record_type(crt.script_id, crt.internal_id, crt.label)
        self.record_types = types

    @classmethod
    def from_body(cls, body: Any) -> "Account":
        if not isinstance(body, dict):
            raise ConfigError("The account body must be a JSON object.")
        _no_unknown_keys(
            body,
            {
                "account_id",
                "concurrency_limit",
                "oneworld",
                "tokens",
                "custom_fields",
                "custom_record_types",
                "records",
            },
            "account",
        )
        account_id = body.get("account_id")
        if not isinstance(account_id, str) or not ACCOUNT_ID.match(account_id):
            raise ConfigError("account_id must be a NetSuite account ID such as 1234567 or 1234567_SB1.")
        limit = body.get("concurrency_limit", 5)
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise ConfigError("concurrency_limit must be a whole number of at least 1.")
        oneworld = body.get("oneworld", False)
        if not isinstance(oneworld, bool):
            raise ConfigError("oneworld must be true or false.")
        record_types = [_custom_record_type(item) for item in _list(body, "custom_record_types")]
        known_types = set(STANDARD_TYPES) | {crt.script_id for crt in record_types}
        tokens = [_token(item, known_types) for item in _list(body, "tokens")]
        custom_fields = [_custom_field(item, known_types) for item in _list(body, "custom_fields")]
        records = [_seed_record(item, known_types) for item in _list(body, "records")]
        return cls(
            account_id=account_id,
            concurrency_limit=limit,
            oneworld=oneworld,
            tokens={token.token_id: token for token in tokens},
            custom_fields=tuple(custom_fields),
            custom_record_types=tuple(record_types),
            seed_records=tuple(records),
            body=body,
        )

    def record_type(self, key: str) -> RecordType | None:
        return self.record_types.get(key)

    def record_type_by_internal_id(self, internal_id: str) -> RecordType | None:
        for rtype in self.record_types.values():
            if rtype.custom_record_type_id == internal_id:
                return rtype
        return None

    def custom_fields_for(self, rtype_key: str) -> dict[str, CustomField]:
        return {cf.script_id: cf for cf in self.custom_fields if cf.record_type == rtype_key}

    def lookup_type(self, key: str) -> RecordType | None:
        """A record type by name, subsidiaries included (the targets of select references)."""
        return SUBSIDIARY_TYPE if key == "subsidiary" else self.record_types.get(key)


def _list(body: dict, key: str) -> list:
    value = body.get(key, [])
    if not isinstance(value, list):
        raise ConfigError(f"{key} must be a list.")
    return value


def _no_unknown_keys(item: dict, allowed: set[str], what: str) -> None:
    unknown = sorted(set(item) - allowed)
    if unknown:
        raise ConfigError(f"Unknown {what} setting(s): {', '.join(unknown)}.")


def _string(item: dict, key: str, what: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{what} needs {key} (a non-empty string).")
    return value


def _token(item: Any, known_types: set[str]) -> Token:
    if not isinstance(item, dict):
        raise ConfigError("Each token must be an object.")
    _no_unknown_keys(
        item, {"consumer_key", "consumer_secret", "token_id", "token_secret", "permissions"}, "token"
    )
    permissions = item.get("permissions", ALL)
    if permissions == ALL:
        allowed = None
    elif isinstance(permissions, list) and all(p in known_types | {"customrecord"} for p in permissions):
        allowed = frozenset(permissions)
    else:
        raise ConfigError(
            'A token\'s permissions must be "all" or a list of record types '
            f"({', '.join(sorted(known_types))}, or customrecord for every custom record type)."
        )
    return Token(
        consumer_key=_string(item, "consumer_key", "A token"),
        consumer_secret=_string(item, "consumer_secret", "A token"),
        token_id=_string(item, "token_id", "A token"),
        token_secret=_string(item, "token_secret", "A token"),
        permissions=allowed,
    )


def _custom_record_type(item: Any) -> CustomRecordTypeConfig:
    if not isinstance(item, dict):
        raise ConfigError("Each custom record type must be an object.")
    _no_unknown_keys(item, {"script_id", "internal_id", "label"}, "custom record type")
    script_id = _string(item, "script_id", "A custom record type")
    if not script_id.startswith("customrecord") or not SCRIPT_ID.match(script_id):
        raise ConfigError(f"{script_id!r}: a custom record type's script id starts with customrecord.")
    internal_id = item.get("internal_id")
    if not isinstance(internal_id, str | int) or not str(internal_id).isdigit():
        raise ConfigError(f"{script_id}: internal_id must be a number (as a string).")
    return CustomRecordTypeConfig(script_id, str(internal_id), item.get("label") or script_id)


def _custom_field(item: Any, known_types: set[str]) -> CustomField:
    if not isinstance(item, dict):
        raise ConfigError("Each custom field must be an object.")
    _no_unknown_keys(
        item, {"record_type", "script_id", "label", "type", "references", "required"}, "custom field"
    )
    record_type = _string(item, "record_type", "A custom field")
    script_id = _string(item, "script_id", "A custom field")
    if record_type not in known_types:
        raise ConfigError(f"{script_id}: unknown record_type {record_type!r}.")
    prefix = (
        "custrecord" if record_type.startswith("customrecord") else STANDARD_TYPES[record_type].custom_prefix
    )
    if not script_id.startswith(prefix + "_") or not SCRIPT_ID.match(script_id):
        raise ConfigError(f"{script_id}: custom fields of {record_type} have script ids starting {prefix}_.")
    kind = item.get("type", "text")
    if kind not in FIELD_KINDS:
        raise ConfigError(f"{script_id}: type must be one of {', '.join(FIELD_KINDS)}.")
    references = item.get("references")
    if references is not None and (kind != SELECT or references not in known_types | {"subsidiary"}):
        raise ConfigError(f"{script_id}: references must name a record type, for select fields only.")
    required = item.get("required", False)
    if not isinstance(required, bool):
        raise ConfigError(f"{script_id}: required must be true or false.")
    return CustomField(record_type, script_id, item.get("label") or script_id, kind, references, required)


def _seed_record(item: Any, known_types: set[str]) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise ConfigError("Each seed record must be an object.")
    _no_unknown_keys(item, {"type", "external_id", "internal_id", "fields"}, "seed record")
    rtype = _string(item, "type", "A seed record")
    if rtype not in known_types:
        raise ConfigError(f"A seed record has an unknown type {rtype!r}.")
    if not item.get("external_id") and not item.get("internal_id"):
        raise ConfigError(f"A seed {rtype} needs an external_id (or an internal_id).")
    if not isinstance(item.get("fields", {}), dict):
        raise ConfigError(f"A seed {rtype}'s fields must be an object.")
    return item
