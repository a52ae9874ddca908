"""What the account offers: the static catalog of standard fields merged with the account's custom
fields and custom record types, read from the REST metadata catalog.

`GET /metadata-catalog` lists the record types; `GET /metadata-catalog/{type}` (Accept:
application/schema+json) describes one, each property with `x-ns-field-type` and custom fields
marked `x-ns-custom-field`.
"""

import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from destinations.adapters import FIELD_TYPES, FieldSpec, ObjectSpec, PermanentError
from netsuite.records import CUSTOM_RECORD_PREFIX, STANDARD_TYPES, RecordType, custom_record_type
from netsuite.rest import SCHEMA_JSON, RestClient, parallel

logger = logging.getLogger(__name__)


def describe(client: RestClient, concurrency_limit: int, modes: Sequence[str]) -> list[ObjectSpec]:
    listed = [item.get("name", "") for item in client.get_json("/metadata-catalog").get("items", [])]
    custom_types = sorted(name for name in listed if name.startswith(f"{CUSTOM_RECORD_PREFIX}_"))
    described = [name for name in STANDARD_TYPES if name in listed] + custom_types
    schemas = dict(
        zip(
            described,
            parallel(lambda name: record_schema(client, name), described, concurrency_limit),
            strict=True,
        )
    )
    objects = [
        object_spec(record_type, schemas.get(name), modes) for name, record_type in STANDARD_TYPES.items()
    ]
    objects += [object_spec(custom_record_type(name), schemas[name], modes) for name in custom_types]
    return objects


def record_schema(client: RestClient, name: str) -> dict[str, Any] | None:
    """The type's JSON schema; None when NetSuite will not describe it (the role cannot see it),
    so that the other types are still described."""
    try:
        return client.get_json(f"/metadata-catalog/{name}", accept=SCHEMA_JSON)
    except PermanentError as error:
        logger.warning("NetSuite did not describe %s: %s", name, error.message)
        return None


def object_spec(record_type: RecordType, schema: dict[str, Any] | None, modes: Sequence[str]) -> ObjectSpec:
    """The static standard fields (required where the account requires them) plus custom fields."""
    schema = schema or {}
    properties = schema.get("properties", {})
    required = set(schema.get("required", []))
    standard = [replace(spec, required=spec.required or spec.name in required) for spec in record_type.fields]
    custom = [
        custom_field_spec(name, prop, name in required)
        for name, prop in properties.items()
        if isinstance(prop, dict) and prop.get("x-ns-custom-field")
    ]
    label = schema.get("title") or record_type.label
    return ObjectSpec(record_type.name, label, tuple(standard + custom), tuple(modes))


def custom_field_spec(name: str, prop: dict[str, Any], required: bool) -> FieldSpec:
    return FieldSpec(
        name=name,
        label=prop.get("title") or name,
        type=field_type(prop),
        required=required,
        custom=True,
        references=prop.get("x-ns-references", "") or "",
    )


def field_type(prop: dict[str, Any]) -> str:
    """syncapp's field type for a metadata property: x-ns-field-type, else the JSON schema type."""
    declared = prop.get("x-ns-field-type", "")
    if declared in FIELD_TYPES:
        return declared
    if declared == "integer" or prop.get("type") in ("integer", "number"):
        return "number"
    if prop.get("type") == "boolean":
        return "checkbox"
    if prop.get("type") == "object":
        return "select"
    if prop.get("format") == "date":
        return "date"
    return "text"


_type_ids: dict[tuple[str, str, str], str] = {}
_type_ids_lock = threading.Lock()


def custom_record_type_id(client: RestClient, script_id: str) -> str:
    """The internal ID of a custom record type, which SOAP's CustomRecord.recType takes, looked up
    once per process with SuiteQL. "" when the query service cannot tell (not enabled, not allowed)."""
    key = (client.endpoint.base_url, client.account_id, script_id)
    with _type_ids_lock:
        if key in _type_ids:
            return _type_ids[key]
    if not re.fullmatch(r"customrecord[a-z0-9_]*", script_id):
        raise PermanentError(f"{script_id!r} is not a custom record type's script ID.")
    # The script ID was checked against [a-z0-9_] above: it cannot break out of the quotes.
    sql = f"SELECT internalid FROM customrecordtype WHERE UPPER(scriptid) = '{script_id.upper()}'"  # noqa: S608
    rows = client.query(sql)
    type_id = str(rows[0].get("internalid", "")) if rows else ""
    with _type_ids_lock:
        _type_ids[key] = type_id
    return type_id
