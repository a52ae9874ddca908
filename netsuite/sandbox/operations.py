"""What a write, delete or read does to an account's records, whichever protocol asked for it.

SOAP and REST turn their requests into `Incoming` records and `Ref`s; the answers are `Outcome`s
carrying NetSuite's per-record status code and message, which each protocol writes in its shape.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from netsuite.sandbox.accounts import Account, Token
from netsuite.sandbox.records import (
    CHECKBOX,
    CURRENCY,
    DATE,
    INTEGER,
    NUMBER,
    SEEDED_SUBSIDIARY,
    SELECT,
    SUBSIDIARY_TYPE,
    TEXT,
    Field,
    FieldValueError,
    RecordType,
    convert_scalar,
    display_name,
    present,
    required_fields,
)
from netsuite.sandbox.store import Store, StoredRecord

# Which SOAP custom field reference types may carry a value for each kind of custom field.
SOAP_CUSTOM_REF_KINDS = {
    TEXT: {"StringCustomFieldRef"},
    CHECKBOX: {"BooleanCustomFieldRef"},
    DATE: {"DateCustomFieldRef"},
    INTEGER: {"LongCustomFieldRef"},
    NUMBER: {"DoubleCustomFieldRef", "LongCustomFieldRef"},
    CURRENCY: {"DoubleCustomFieldRef", "LongCustomFieldRef"},
    SELECT: {"SelectCustomFieldRef"},
}
ADD, UPDATE, UPSERT = "add", "update", "upsert"

# A rejection rule check: (record type key, external id, converted values) -> (code, message) or None.
RejectionCheck = Callable[[str, str | None, dict[str, Any]], tuple[str, str] | None]


@dataclass
class Ref:
    """A reference as sent: RecordRef, CustomRecordRef, ListOrRecordRef or a REST {"id"} object."""

    internal_id: str | None = None
    external_id: str | None = None
    type: str | None = None
    type_id: str | None = None
    script_id: str | None = None


@dataclass
class CustomValue:
    value: Any
    soap_ref_type: str | None = None  # the SOAP xsi:type's local name; None from REST


@dataclass
class Incoming:
    rtype: RecordType
    internal_id: str | None = None
    external_id: str | None = None
    values: dict[str, Any] = field(default_factory=dict)  # standard fields: text, JSON value or Ref
    custom: dict[str, CustomValue] = field(default_factory=dict)
    nulls: set[str] = field(default_factory=set)
    unknown: list[str] = field(default_factory=list)  # REST properties that are no field of the type


@dataclass
class Outcome:
    rtype: RecordType | None
    record: StoredRecord | None = None
    code: str | None = None
    message: str | None = None
    path: str | None = None  # the field at fault, for REST's o:errorPath

    @property
    def ok(self) -> bool:
        return self.code is None


class ReferenceKeyError(ValueError):
    def __init__(self, field_name: str, value: str) -> None:
        super().__init__(f"Invalid {field_name} reference key {value}.")
        self.field_name = field_name


def permission_message(permission: str) -> str:
    # NetSuite's own wording, double space included.
    return (
        f"Permission Violation: You need  the '{permission}' permission to access this page. "
        "Please contact your account administrator."
    )


def failure(rtype: RecordType | None, code: str, message: str, path: str | None = None) -> Outcome:
    return Outcome(rtype, code=code, message=message, path=path)


def duplicate(rtype: RecordType) -> Outcome:
    if rtype.entity:
        return failure(rtype, "DUP_ENTITY", "This entity already exists.")
    return failure(rtype, "DUP_RCRD", "This record already exists.")


def missing_record(rtype: RecordType | None) -> Outcome:
    return failure(rtype, "RCRD_DSNT_EXIST", "That record does not exist.")


class Operations:
    """One call's work on one account, inside the store transaction the caller opened."""

    def __init__(
        self,
        store: Store,
        account: Account,
        token: Token | None,
        rejection: RejectionCheck | None = None,
    ) -> None:
        self.store = store
        self.account = account
        self.token = token
        self.rejection = rejection
        self._names: dict[tuple[str, str], str] = {}
        # References resolved during this call (a list often points at the same subsidiary or
        # tier on every record); only found ones, so records added later in the list still resolve.
        self._refs: dict[tuple[Any, ...], dict[str, Any]] = {}

    # Writes

    def write(self, op: str, inc: Incoming, *, new_internal_id: str | None = None) -> Outcome:
        rtype = inc.rtype
        refused = self.refuse(rtype)
        if refused:
            return refused
        account_id = self.account.account_id
        existing: StoredRecord | None = None
        if op == ADD:
            if inc.external_id and self.store.find(account_id, rtype.key, external_id=inc.external_id):
                return duplicate(rtype)
        elif op == UPDATE:
            if inc.internal_id:
                existing = self.store.find(account_id, rtype.key, internal_id=inc.internal_id)
            elif inc.external_id:
                existing = self.store.find(account_id, rtype.key, external_id=inc.external_id)
            else:
                return failure(rtype, "USER_ERROR", "You must specify an internalId or an externalId.")
            if existing is None:
                return missing_record(rtype)
            renaming = inc.internal_id and inc.external_id and inc.external_id != existing.external_id
            if renaming and self.store.find(account_id, rtype.key, external_id=inc.external_id):
                return duplicate(rtype)
        elif op == UPSERT:
            if not inc.external_id:
                return failure(
                    rtype,
                    "EXTERNALID_REQD",
                    "You must specify an external ID in order to use the upsert operation.",
                )
            existing = self.store.find(account_id, rtype.key, external_id=inc.external_id)
        else:
            raise ValueError(op)
        if inc.unknown:
            name = inc.unknown[0]
            return failure(
                rtype,
                "INVALID_CONTENT",
                f"Invalid content in the request body: {name} is not a field of the {rtype.key} record.",
                name,
            )
        try:
            values = self._convert(inc)
        except FieldValueError as error:
            return failure(rtype, "INVALID_FLD_VALUE", str(error), error.field_name)
        except ReferenceKeyError as error:
            return failure(rtype, "INVALID_KEY_OR_REF", str(error), error.field_name)
        merged = dict(existing.fields) if existing else {}
        merged.update(values)
        for name in inc.nulls:
            merged.pop(name, None)
        missing = self._missing(rtype, merged, existing is None, set(values) | inc.nulls)
        if missing:
            return failure(rtype, "USER_ERROR", f"Please enter value(s) for: {', '.join(missing)}", None)
        if self.rejection:
            rejected = self.rejection(rtype.key, inc.external_id, values)
            if rejected:
                return failure(rtype, rejected[0], rejected[1])
        merged = {name: value for name, value in merged.items() if value is not None}
        if existing is None:
            record = self.store.insert(account_id, rtype.key, inc.external_id, merged, new_internal_id)
        else:
            existing.fields = merged
            if inc.external_id and inc.external_id != existing.external_id:
                existing.external_id = inc.external_id
                self._refs.clear()  # a reference by the old external ID no longer holds
            self.store.update(account_id, existing)
            record = existing
        return Outcome(rtype, record)

    def delete(self, rtype: RecordType | None, ref: Ref) -> Outcome:
        found = self.locate(rtype, ref)
        if found.ok and found.record:
            self.store.delete(self.account.account_id, found.record.internal_id)
        return found

    def get(self, rtype: RecordType | None, ref: Ref) -> Outcome:
        return self.locate(rtype, ref)

    def locate(self, rtype: RecordType | None, ref: Ref) -> Outcome:
        if rtype is None:
            return failure(
                None, "INVALID_RCRD_TYPE", f"The record type {ref.type or ref.type_id or ''} is invalid."
            )
        refused = self.refuse(rtype)
        if refused:
            return refused
        if not ref.internal_id and not ref.external_id:
            return missing_record(rtype)
        if ref.internal_id:
            record = self.store.find(self.account.account_id, rtype.key, internal_id=ref.internal_id)
        else:
            record = self.store.find(self.account.account_id, rtype.key, external_id=ref.external_id)
        return Outcome(rtype, record) if record else missing_record(rtype)

    def refuse(self, rtype: RecordType) -> Outcome | None:
        if self.token is None or self.token.may_access(rtype):
            return None
        return failure(rtype, "INSUFFICIENT_PERMISSION", permission_message(rtype.permission))

    # Reads

    def ref_name(self, value: dict[str, Any], spec: Field) -> str:
        """The display name of the record a stored select value points at ('' when unchecked)."""
        internal_id = value.get("internalId")
        if not internal_id or not spec.references:
            return ""
        key = (spec.name, internal_id)
        if key not in self._names:
            self._names[key] = ""
            for target in spec.references:
                found = self.store.find(self.account.account_id, target, internal_id=internal_id)
                if found:
                    self._names[key] = display_name(target, found.fields)
                    break
        return self._names[key]

    def fields_of(self, rtype: RecordType) -> list[Field]:
        """Standard then custom fields of a record type, in the order SOAP writes them."""
        custom = [cf.as_field() for cf in self.account.custom_fields_for(rtype.key).values()]
        return [*rtype.fields, *custom]

    # Helpers

    def _convert(self, inc: Incoming) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, raw in inc.values.items():
            values[name] = self._value(inc.rtype.by_name[name], raw)
        definitions = self.account.custom_fields_for(inc.rtype.key)
        for script_id, custom in inc.custom.items():
            definition = definitions.get(script_id)
            shown = (
                custom.value.internal_id or custom.value.external_id
                if isinstance(custom.value, Ref)
                else custom.value
            )
            if definition is None:
                raise FieldValueError(script_id, shown)
            if custom.soap_ref_type and custom.soap_ref_type not in SOAP_CUSTOM_REF_KINDS[definition.kind]:
                raise FieldValueError(script_id, shown)
            values[script_id] = self._value(definition.as_field(), custom.value)
        return values

    def _value(self, spec: Field, raw: Any) -> Any:
        if raw is None:
            return None
        if spec.kind == SELECT:
            if not isinstance(raw, Ref):
                raise FieldValueError(spec.name, raw)
            return self._resolve(spec, raw)
        if isinstance(raw, Ref):
            raise FieldValueError(spec.name, raw.internal_id or raw.external_id)
        return convert_scalar(spec, raw)

    def _resolve(self, spec: Field, ref: Ref) -> dict[str, Any]:
        if not ref.internal_id and not ref.external_id:
            raise ReferenceKeyError(spec.name, "")
        if not spec.references:
            return {"internalId": ref.internal_id, "externalId": ref.external_id}
        key = (spec.references, ref.internal_id, None if ref.internal_id else ref.external_id)
        if key in self._refs:
            return dict(self._refs[key])
        for target in spec.references:
            if ref.internal_id:
                found = self.store.find(self.account.account_id, target, internal_id=ref.internal_id)
            else:
                found = self.store.find(self.account.account_id, target, external_id=ref.external_id)
            if found:
                self._refs[key] = {"internalId": found.internal_id, "externalId": found.external_id}
                return dict(self._refs[key])
        raise ReferenceKeyError(spec.name, ref.internal_id or ref.external_id or "")

    def _missing(
        self, rtype: RecordType, merged: dict[str, Any], creating: bool, touched: set[str]
    ) -> list[str]:
        """Labels of required fields left empty: all of them for a new record, those this call cleared
        for an existing one."""
        names = required_fields(rtype, merged, oneworld=self.account.oneworld)
        labels = {f.name: f.label for f in rtype.fields}
        for definition in self.account.custom_fields_for(rtype.key).values():
            if definition.required:
                names.append(definition.script_id)
                labels[definition.script_id] = definition.label
        return [
            labels[name] for name in names if not present(merged.get(name)) and (creating or name in touched)
        ]


def incoming_from_json(
    rtype: RecordType, account: Account, body: dict[str, Any], external_id: str | None = None
) -> Incoming:
    """A REST body (or a seed record's fields) as an Incoming record.

    Selects are {"id": ...} or {"externalId": ...} ({"internalId": ...} is taken too); null clears a
    field; properties NetSuite answers with (links, id, refName) are ignored.
    """
    inc = Incoming(rtype, external_id=external_id)
    custom_fields = account.custom_fields_for(rtype.key)
    for name, value in body.items():
        if name in ("links", "id", "refName"):
            continue
        if name == "externalId":
            if inc.external_id is None and value is not None:
                inc.external_id = str(value)
            continue
        if value is None:
            inc.nulls.add(name)
            continue
        spec = rtype.by_name.get(name)
        custom = custom_fields.get(name)
        kind = spec.kind if spec else custom.kind if custom else None
        converted = _json_ref(value) if kind == SELECT and isinstance(value, dict) else value
        if spec:
            inc.values[name] = converted
        elif custom or name.startswith(rtype.custom_prefix + "_"):
            inc.custom[name] = CustomValue(converted)
        else:
            inc.unknown.append(name)
    return inc


def _json_ref(value: dict[str, Any]) -> Ref:
    internal_id = value.get("id", value.get("internalId"))
    external_id = value.get("externalId")
    return Ref(
        internal_id=None if internal_id is None else str(internal_id),
        external_id=None if external_id is None else str(external_id),
    )


def seed_account(store: Store, account: Account) -> None:
    """The records every account starts with: the parent subsidiary, then the configured seeds.

    Seeds already there (same external id, or internal id) are left as they are.
    """
    account_id = account.account_id
    if not store.find(account_id, SUBSIDIARY_TYPE.key, internal_id=SEEDED_SUBSIDIARY["internal_id"]):
        store.insert(
            account_id,
            SUBSIDIARY_TYPE.key,
            None,
            dict(SEEDED_SUBSIDIARY["fields"]),
            SEEDED_SUBSIDIARY["internal_id"],
        )
    ops = Operations(store, account, token=None)
    for seed in account.seed_records:
        rtype = account.record_type(seed["type"])
        assert rtype is not None  # Account.from_body checked the type
        external_id = seed.get("external_id")
        internal_id = str(seed["internal_id"]) if seed.get("internal_id") else None
        if external_id and store.find(account_id, rtype.key, external_id=str(external_id)):
            continue
        if internal_id and store.internal_id_taken(account_id, internal_id):
            continue
        inc = incoming_from_json(
            rtype, account, seed.get("fields", {}), str(external_id) if external_id else None
        )
        outcome = ops.write(ADD, inc, new_internal_id=internal_id)
        if not outcome.ok:
            raise ValueError(
                f"Seed {rtype.key} {external_id or internal_id}: {outcome.code} {outcome.message}"
            )
