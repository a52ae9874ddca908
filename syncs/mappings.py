"""Field mappings: which model columns a sync reads, and turning a row into a destination record.

A mapping is one of
    {"from": "<column>", "to": "<field>"}            a column's value
    {"constant": <value>, "to": "<field>"}           the same value for every row
    {"template": "<liquid template>", "to": "<field>"} text rendered from the row (python-liquid)
A select field may add "by": "external_id" (the value is the referenced record's external ID) or
"internal_id" (the default).
Values are cast to the destination field's type; a value that cannot be cast rejects its row with a
message naming the column and the value.
"""

import datetime
import functools
import hashlib
import json
import math
from decimal import Decimal, InvalidOperation
from typing import Any

from liquid import Environment

from destinations.adapters import FieldSpec, OutgoingRecord, Reference

_TRUE = {"true", "t", "yes", "y", "1", "on"}
_FALSE = {"false", "f", "no", "n", "0", "off", ""}
_liquid = Environment()


class CastError(ValueError):
    """A row's value that cannot become its field's type; the message is shown on the rejected row."""


@functools.cache
def _template(source: str):
    return _liquid.from_string(source)


def template_columns(source: str) -> set[str]:
    return {name.split(".")[0] for name in _template(source).analyze().variables}


def mapped_columns(mappings: list[dict]) -> list[str]:
    """The model columns the mappings read, in a stable order: the only columns a row's hash covers."""
    columns: set[str] = set()
    for mapping in mappings:
        if "from" in mapping:
            columns.add(mapping["from"])
        elif "template" in mapping:
            columns |= template_columns(mapping["template"])
    return sorted(columns)


def mappings_fingerprint(config: dict) -> bytes:
    """Changes when what a row turns into changes: object, mappings (and so every row's hash)."""
    relevant = {"object": config.get("object"), "mappings": config.get("mappings")}
    return hashlib.blake2b(
        json.dumps(relevant, sort_keys=True, default=str).encode(), digest_size=16
    ).digest()


def row_hash(values: tuple, fingerprint: bytes) -> str:
    return hashlib.blake2b(repr(values).encode(), digest_size=16, key=fingerprint).hexdigest()


_JSON_NATIVE = (str, int, float, bool, type(None))


def to_json_value(value: Any) -> Any:
    """A column value as it is kept between planning and writing (JSON, losing no information)."""
    if type(value) in _JSON_NATIVE:  # the common case first: the planner calls this for every value
        if type(value) is float and not math.isfinite(value):
            return {"$float": repr(value)}  # NaN and infinities are not JSON
        return value
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, datetime.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"$date": value.isoformat()}
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$bytes": bytes(value).hex()}
    if isinstance(value, dict | list | tuple):  # a JSON document, an array, a struct
        return {"$json": _plain(value)}
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)


def _plain(value: Any) -> Any:
    """A structure's items as JSON values: what a destination's text field would show of them."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if type(value) is float and not math.isfinite(value):
        return repr(value)
    if type(value) in _JSON_NATIVE:
        return value
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value)


def from_json_value(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        ((tag, raw),) = value.items()
        if tag == "$decimal":
            return Decimal(raw)
        if tag == "$datetime":
            return datetime.datetime.fromisoformat(raw)
        if tag == "$date":
            return datetime.date.fromisoformat(raw)
        if tag == "$bytes":
            return bytes.fromhex(raw)
        if tag == "$float":
            return float(raw)
        if tag == "$json":
            return raw
    return value


def _cast(value: Any, spec: FieldSpec, by: str) -> Any:  # noqa: C901 - one branch per field type
    if value is None:
        return None
    kind = spec.type
    if kind == "text":
        if isinstance(value, dict | list):
            return json.dumps(value, ensure_ascii=False)
        return value.isoformat() if isinstance(value, datetime.date) else str(value)
    if kind == "checkbox":
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float | Decimal) and value in (0, 1):
            return bool(value)
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise CastError("is not true or false")
    if kind == "date":
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        try:
            return datetime.date.fromisoformat(str(value).strip()[:10])
        except ValueError:
            raise CastError("is not a date (YYYY-MM-DD)") from None
    if kind in ("number", "currency"):
        if isinstance(value, bool):
            raise CastError(f"is not a {kind}")
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise CastError(f"is not a {kind}") from None
        if not number.is_finite():
            raise CastError(f"is not a finite {kind}")
        if kind == "number" and number == number.to_integral_value() and not isinstance(value, float):
            return int(number)
        return number
    if kind == "select":
        text = str(value).strip()
        if not text:
            return None
        return Reference(external_id=text) if by == "external_id" else Reference(internal_id=text)
    raise CastError(f"cannot be written to a field of type {kind}")


def build_record(
    *,
    external_id: str,
    row: dict[str, Any],
    mappings: list[dict],
    fields: dict[str, FieldSpec],
    record_id: str = "",
) -> OutgoingRecord:
    """The destination record for one row; raises CastError naming the column and the value."""
    values: dict[str, Any] = {}
    for mapping in mappings:
        target = mapping["to"]
        spec = fields[target]
        if "from" in mapping:
            raw, origin = row.get(mapping["from"]), f"column {mapping['from']!r}"
        elif "constant" in mapping:
            raw, origin = mapping["constant"], "constant"
        else:
            raw, origin = _template(mapping["template"]).render(**row), "template"
        try:
            values[target] = _cast(raw, spec, mapping.get("by", "internal_id"))
        except CastError as exc:
            raise CastError(f"{origin} value {raw!r} {exc} (field {target}, type {spec.type})") from None
    return OutgoingRecord(external_id=external_id, fields=values, record_id=record_id)


def validate_mappings(*, config: dict, fields: dict[str, FieldSpec], columns: list[str] | None) -> list[str]:
    """Problems that must stop a run before anything is written, each naming what is wrong."""
    problems = []
    mapped_targets = set()
    for mapping in config.get("mappings", []):
        target = mapping.get("to")
        mapped_targets.add(target)
        if target not in fields:
            problems.append(f"{config.get('object')} has no field {target!r}")
        if columns is not None and "from" in mapping and mapping["from"] not in columns:
            problems.append(f"the model has no column {mapping['from']!r} (mapped to {target})")
        if "template" in mapping:
            try:
                needed = template_columns(mapping["template"])
            except Exception as exc:  # noqa: BLE001 - any template syntax error is the user's to fix
                problems.append(f"the template for {target} is invalid: {exc}")
                continue
            if columns is not None:
                problems.extend(
                    f"the template for {target} reads column {name!r}, which the model does not have"
                    for name in sorted(needed - set(columns))
                )
    missing = [name for name, spec in fields.items() if spec.required and name not in mapped_targets]
    problems.extend(
        f"the required field {name!r} of {config.get('object')} is not mapped" for name in missing
    )
    return problems
