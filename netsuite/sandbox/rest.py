"""The REST record service (`/services/rest/record/v1`) and its metadata catalog.

Writes answer 204 with a `Location` header naming the record; errors answer NetSuite's JSON error
body (`type`, `title`, `status`, `o:errorDetails`). Authentication, concurrency and injected
faults are the application's (app.py); this module does one authenticated call's work.
"""

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from netsuite.sandbox.accounts import Account
from netsuite.sandbox.operations import (
    ADD,
    UPDATE,
    UPSERT,
    Operations,
    Outcome,
    Ref,
    incoming_from_json,
)
from netsuite.sandbox.records import (
    CHECKBOX,
    CURRENCY,
    DATE,
    INTEGER,
    NUMBER,
    SELECT,
    TEXT,
    Field,
    RecordType,
    required_fields,
)
from netsuite.sandbox.store import StoredRecord

PREFIX = "/services/rest/record/v1"
ERROR_TYPE = "application/vnd.oracle.resource+json; type=error; charset=UTF-8"
RESOURCE_TYPE = "application/vnd.oracle.resource+json; type=singular-resource; charset=UTF-8"
COLLECTION_TYPE = "application/vnd.oracle.resource+json; type=collection; charset=UTF-8"
SCHEMA_TYPE = "application/schema+json; charset=UTF-8"
LOGIN_DETAIL = (
    "Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at "
    "Setup > Users/Roles > User Management > View Login Audit Trail."
)
STATUS_TITLES = {
    400: ("Bad Request", "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.1"),
    401: ("Unauthorized", "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.2"),
    403: ("Forbidden", "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.4"),
    404: ("Not Found", "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.5"),
    405: ("Method Not Allowed", "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.6"),
    429: ("Too Many Requests", "https://www.rfc-editor.org/rfc/rfc6585.html#section-4"),
}
CODE_STATUS = {"RCRD_DSNT_EXIST": 404, "INSUFFICIENT_PERMISSION": 403, "INVALID_RCRD_TYPE": 404}
JSON_TYPES = {
    TEXT: "string",
    CHECKBOX: "boolean",
    DATE: "string",
    NUMBER: "number",
    CURRENCY: "number",
    INTEGER: "integer",
    SELECT: "object",
}


def error_response(
    status: int, code: str, detail: str, path: str | None = None, headers: dict[str, str] | None = None
) -> web.Response:
    title, kind = STATUS_TITLES[status]
    error: dict[str, Any] = {"detail": detail, "o:errorCode": code}
    if path:
        error["o:errorPath"] = path
    body = {"type": kind, "title": title, "status": status, "o:errorDetails": [error]}
    return web.Response(
        status=status,
        text=json.dumps(body),
        content_type=None,
        headers={"Content-Type": ERROR_TYPE, **(headers or {})},
    )


def login_refused() -> web.Response:
    return error_response(401, "INVALID_LOGIN", LOGIN_DETAIL)


def concurrency_refused() -> web.Response:
    return error_response(
        429,
        "CONCURRENCY_LIMIT_EXCEEDED",
        "Concurrent request limit exceeded. Request blocked.",
        headers={"Retry-After": "1"},
    )


def outcome_error(outcome: Outcome) -> web.Response:
    assert outcome.code is not None and outcome.message is not None
    return error_response(CODE_STATUS.get(outcome.code, 400), outcome.code, outcome.message, outcome.path)


def find_type(account: Account, name: str) -> RecordType | None:
    """REST record type names are matched without regard to case (inventoryitem, inventoryItem)."""
    lowered = name.lower()
    for key, rtype in account.record_types.items():
        if key.lower() == lowered:
            return rtype
    return None


@dataclass
class RestCall:
    method: str
    base_url: str  # scheme://host of the request, for Location and links
    type_name: str
    record_id: str | None  # "123", "eid:abc" or None
    body: bytes
    query: dict[str, str]


def handle(call: RestCall, account: Account, ops: Operations) -> web.Response:
    rtype = find_type(account, call.type_name)
    if rtype is None:
        return error_response(404, "INVALID_RCRD_TYPE", f"Record type '{call.type_name}' does not exist.")
    ref = _ref(call.record_id)
    if call.method == "GET":
        return _read(call, rtype, ref, ops)
    if call.method == "DELETE":
        if ref is None:
            return error_response(405, "METHOD_NOT_ALLOWED", "DELETE needs a record: /{type}/{id}.")
        outcome = ops.delete(rtype, ref)
        return web.Response(status=204) if outcome.ok else outcome_error(outcome)
    body = _json_body(call.body)
    if isinstance(body, web.Response):
        return body
    if call.method == "POST":
        if ref is not None:
            return error_response(405, "METHOD_NOT_ALLOWED", "POST creates a record: /{type}.")
        inc = incoming_from_json(rtype, account, body)
        outcome = ops.write(ADD, inc)
    elif call.method == "PUT":
        if ref is None or ref.external_id is None:
            return error_response(
                405, "METHOD_NOT_ALLOWED", "PUT upserts by external ID: /{type}/eid:{externalId}."
            )
        inc = incoming_from_json(rtype, account, {**body, "externalId": None}, ref.external_id)
        outcome = ops.write(UPSERT, inc)
    elif call.method == "PATCH":
        if ref is None:
            return error_response(405, "METHOD_NOT_ALLOWED", "PATCH updates a record: /{type}/{id}.")
        inc = incoming_from_json(rtype, account, body)
        new_external_id = inc.external_id
        inc.internal_id, inc.external_id = ref.internal_id, ref.external_id
        if ref.internal_id and new_external_id:
            inc.external_id = new_external_id
        outcome = ops.write(UPDATE, inc)
    else:
        return error_response(405, "METHOD_NOT_ALLOWED", f"{call.method} is not allowed here.")
    if not outcome.ok:
        return outcome_error(outcome)
    assert outcome.record is not None
    location = f"{call.base_url}{PREFIX}/{rtype.key}/{outcome.record.internal_id}"
    return web.Response(status=204, headers={"Location": location})


def _ref(record_id: str | None) -> Ref | None:
    if record_id is None:
        return None
    if record_id.startswith("eid:"):
        return Ref(external_id=record_id[4:])
    return Ref(internal_id=record_id)


def _json_body(raw: bytes) -> dict[str, Any] | web.Response:
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        return error_response(400, "INVALID_CONTENT", "Invalid content in the request body: it is not JSON.")
    if not isinstance(body, dict):
        return error_response(
            400, "INVALID_CONTENT", "Invalid content in the request body: expected a JSON object."
        )
    return body


def _read(call: RestCall, rtype: RecordType, ref: Ref | None, ops: Operations) -> web.Response:
    if ref is None:
        return _collection(call, rtype, ops)
    outcome = ops.get(rtype, ref)
    if not outcome.ok:
        return outcome_error(outcome)
    assert outcome.record is not None
    body = record_json(outcome.record, rtype, ops, call.base_url)
    return web.Response(text=json.dumps(body), content_type=None, headers={"Content-Type": RESOURCE_TYPE})


def _collection(call: RestCall, rtype: RecordType, ops: Operations) -> web.Response:
    refused = ops.refuse(rtype)
    if refused:
        return outcome_error(refused)
    try:
        limit = min(max(int(call.query.get("limit", 1000)), 1), 1000)
        offset = max(int(call.query.get("offset", 0)), 0)
    except ValueError:
        return error_response(400, "INVALID_PARAMETER", "limit and offset must be whole numbers.")
    account_id = ops.account.account_id
    total = ops.store.count(account_id, rtype.key)
    records = ops.store.list(account_id, rtype.key, limit=limit, offset=offset)
    href = f"{call.base_url}{PREFIX}/{rtype.key}"
    body = {
        "links": [{"rel": "self", "href": f"{href}?limit={limit}&offset={offset}"}],
        "count": len(records),
        "hasMore": offset + len(records) < total,
        "items": [
            {"links": [{"rel": "self", "href": f"{href}/{r.internal_id}"}], "id": r.internal_id}
            for r in records
        ],
        "offset": offset,
        "totalResults": total,
    }
    return web.Response(text=json.dumps(body), content_type=None, headers={"Content-Type": COLLECTION_TYPE})


def record_json(record: StoredRecord, rtype: RecordType, ops: Operations, base_url: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "links": [{"rel": "self", "href": f"{base_url}{PREFIX}/{rtype.key}/{record.internal_id}"}],
        "id": record.internal_id,
    }
    if record.external_id:
        body["externalId"] = record.external_id
    for spec in ops.fields_of(rtype):
        value = record.fields.get(spec.name)
        if value is None:
            continue
        if spec.kind == SELECT:
            ref: dict[str, Any] = {"id": value.get("internalId")}
            name = ops.ref_name(value, spec)
            if name:
                ref["refName"] = name
            body[spec.name] = ref
        else:
            body[spec.name] = value
    return body


# Metadata catalog


def catalog(account: Account, base_url: str) -> dict[str, Any]:
    items = []
    for key in account.record_types:
        href = f"{base_url}{PREFIX}/metadata-catalog/{key}"
        items.append(
            {
                "name": key,
                "links": [
                    {"rel": "canonical", "href": href},
                    {"rel": "alternate", "href": href, "mediaType": "application/swagger+json"},
                    {"rel": "describes", "href": href, "mediaType": "application/schema+json"},
                ],
            }
        )
    return {"links": [{"rel": "self", "href": f"{base_url}{PREFIX}/metadata-catalog"}], "items": items}


def describe(account: Account, rtype: RecordType) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "id": {"title": "Internal ID", "type": "string", "x-ns-field-type": "text"},
        "externalId": {"title": "External ID", "type": "string", "x-ns-field-type": "text"},
    }
    for spec in rtype.fields:
        properties[spec.name] = _property(spec)
    # A contact needs a first or a last name, which JSON Schema's list cannot say: neither is listed.
    required = [
        name
        for name in required_fields(rtype, {}, oneworld=account.oneworld)
        if not (rtype.key == "contact" and name == "lastName")
    ]
    for definition in account.custom_fields_for(rtype.key).values():
        prop = _property(definition.as_field())
        prop["x-ns-custom-field"] = True
        if definition.references:
            prop["x-ns-references"] = definition.references
        properties[definition.script_id] = prop
        if definition.required:
            required.append(definition.script_id)
    return {"type": "object", "title": rtype.label, "properties": properties, "required": required}


def _property(spec: Field) -> dict[str, Any]:
    prop: dict[str, Any] = {"title": spec.label, "type": JSON_TYPES[spec.kind]}
    if spec.kind == DATE:
        prop["format"] = "date"
    if spec.email:
        prop["format"] = "email"
    if spec.kind == SELECT:
        prop["properties"] = {
            "id": {"type": "string"},
            "externalId": {"type": "string"},
            "refName": {"type": "string"},
        }
        if len(spec.references) == 1 and not spec.custom:
            prop["x-ns-references"] = spec.references[0]
    prop["x-ns-field-type"] = "number" if spec.kind == INTEGER else spec.kind
    return prop
