"""The record types the sandbox serves, their standard fields, and how field values are checked.

Field ids are NetSuite's (the XSD element names, which REST uses too), listed in the XSD's order
because SOAP records must be written in that order. A stored value is JSON: text and dates as
strings (dates ISO `YYYY-MM-DD`), checkboxes as booleans, numbers as numbers, selects as
`{"internalId": ..., "externalId": ...}`.
"""

import math
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

TEXT, CHECKBOX, DATE, NUMBER, CURRENCY, INTEGER, SELECT = (
    "text",
    "checkbox",
    "date",
    "number",
    "currency",
    "integer",
    "select",
)
FIELD_KINDS = (TEXT, CHECKBOX, DATE, NUMBER, CURRENCY, INTEGER, SELECT)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ISO_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(T[0-9:.]+(Z|[+-]\d{2}:\d{2})?)?$")


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str
    # Record types a select may point at; empty: the sandbox does not check the reference.
    references: tuple[str, ...] = ()
    email: bool = False
    custom: bool = False


@dataclass(frozen=True)
class RecordType:
    key: str  # the type's name in RecordRef@type, REST paths and the inspection API
    soap_group: str  # relationships | accounting | customization
    soap_type: str
    label: str
    permission: str  # as NetSuite names it in "Permission Violation" messages
    entity: bool  # entities answer DUP_ENTITY on a duplicate, other records DUP_RCRD
    custom_prefix: str
    fields: tuple[Field, ...]
    custom_record_type_id: str | None = None  # the custom record type's internal id
    by_name: dict[str, Field] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {f.name: f for f in self.fields})

    @property
    def is_custom_record(self) -> bool:
        return self.custom_record_type_id is not None


def _text(name: str, label: str, **kw: Any) -> Field:
    return Field(name, label, TEXT, **kw)


def _checkbox(name: str, label: str) -> Field:
    return Field(name, label, CHECKBOX)


def _select(name: str, label: str, *references: str) -> Field:
    return Field(name, label, SELECT, references)


ENTITY_ID = _text("entityId", "ID")
IS_INACTIVE = _checkbox("isInactive", "Inactive")
SUBSIDIARY = _select("subsidiary", "Primary Subsidiary", "subsidiary")

CUSTOMER = RecordType(
    key="customer",
    soap_group="relationships",
    soap_type="Customer",
    label="Customer",
    permission="Lists -> Customers",
    entity=True,
    custom_prefix="custentity",
    fields=(
        ENTITY_ID,
        _checkbox("isPerson", "Individual"),
        _text("firstName", "First Name"),
        _text("lastName", "Last Name"),
        _text("companyName", "Company Name"),
        _text("phone", "Phone"),
        _text("fax", "Fax"),
        _text("email", "Email", email=True),
        _text("url", "Web Address"),
        IS_INACTIVE,
        _select("category", "Category"),
        _text("altPhone", "Alt. Phone"),
        _text("comments", "Comments"),
        SUBSIDIARY,
        _select("salesRep", "Sales Rep"),
        _select("terms", "Terms"),
        Field("creditLimit", "Credit Limit", CURRENCY),
        _select("currency", "Currency"),
    ),
)
CONTACT = RecordType(
    key="contact",
    soap_group="relationships",
    soap_type="Contact",
    label="Contact",
    permission="Lists -> Contacts",
    entity=True,
    custom_prefix="custentity",
    fields=(
        ENTITY_ID,
        _select("company", "Company", "customer", "vendor"),
        _text("firstName", "First Name"),
        _text("lastName", "Last Name"),
        _text("title", "Job Title"),
        _text("phone", "Phone"),
        _text("email", "Email", email=True),
        IS_INACTIVE,
        _select("subsidiary", "Subsidiary", "subsidiary"),
    ),
)
VENDOR = RecordType(
    key="vendor",
    soap_group="relationships",
    soap_type="Vendor",
    label="Vendor",
    permission="Lists -> Vendors",
    entity=True,
    custom_prefix="custentity",
    fields=(
        ENTITY_ID,
        _checkbox("isPerson", "Individual"),
        _text("firstName", "First Name"),
        _text("lastName", "Last Name"),
        _text("companyName", "Company Name"),
        _text("phone", "Phone"),
        _text("email", "Email", email=True),
        IS_INACTIVE,
        SUBSIDIARY,
        Field("creditLimit", "Credit Limit", CURRENCY),
    ),
)
INVENTORY_ITEM = RecordType(
    key="inventoryItem",
    soap_group="accounting",
    soap_type="InventoryItem",
    label="Inventory Item",
    permission="Lists -> Items",
    entity=False,
    custom_prefix="custitem",
    fields=(
        _text("salesDescription", "Sales Description"),
        Field("cost", "Purchase Price", CURRENCY),
        _text("itemId", "Item Name/Number"),
        _text("upcCode", "UPC Code"),
        _text("displayName", "Display Name/Code"),
        IS_INACTIVE,
    ),
)
NON_INVENTORY_SALE_ITEM = RecordType(
    key="nonInventorySaleItem",
    soap_group="accounting",
    soap_type="NonInventorySaleItem",
    label="Non-inventory Item for Sale",
    permission="Lists -> Items",
    entity=False,
    custom_prefix="custitem",
    fields=(
        _text("salesDescription", "Sales Description"),
        _text("itemId", "Item Name/Number"),
        _text("upcCode", "UPC Code"),
        _text("displayName", "Display Name/Code"),
        IS_INACTIVE,
    ),
)
# Not writable through the sandbox; seeded in every account so that `subsidiary` references resolve.
SUBSIDIARY_TYPE = RecordType(
    key="subsidiary",
    soap_group="",
    soap_type="Subsidiary",
    label="Subsidiary",
    permission="Setup -> Subsidiaries",
    entity=False,
    custom_prefix="",
    fields=(_text("name", "Name"), IS_INACTIVE),
)
STANDARD_TYPES: dict[str, RecordType] = {
    t.key: t for t in (CUSTOMER, CONTACT, VENDOR, INVENTORY_ITEM, NON_INVENTORY_SALE_ITEM)
}
CUSTOM_RECORD_FIELDS = (IS_INACTIVE, _text("name", "Name"))
SEEDED_SUBSIDIARY = {"internal_id": "1", "fields": {"name": "Parent Company", "isInactive": False}}


def custom_record_type(script_id: str, internal_id: str, label: str) -> RecordType:
    return RecordType(
        key=script_id,
        soap_group="customization",
        soap_type="CustomRecord",
        label=label,
        permission=f"Lists -> {label}",
        entity=False,
        custom_prefix="custrecord",
        fields=CUSTOM_RECORD_FIELDS,
        custom_record_type_id=internal_id,
    )


def required_fields(rtype: RecordType, values: dict[str, Any], *, oneworld: bool) -> list[str]:
    """The standard fields NetSuite insists on for a new record, given the values it would have."""
    if rtype.key in ("customer", "vendor"):
        required = ["firstName", "lastName"] if values.get("isPerson") is True else ["companyName"]
    elif rtype.key == "contact":
        # NetSuite needs a name for a contact: either part will do.
        required = [] if present(values.get("firstName")) or present(values.get("lastName")) else ["lastName"]
    elif rtype.key in ("inventoryItem", "nonInventorySaleItem"):
        required = ["itemId"]
    elif rtype.is_custom_record:
        required = ["name"]
    else:
        required = []
    # A contact attached to a company takes the company's subsidiary.
    takes_company_subsidiary = rtype.key == "contact" and present(values.get("company"))
    if oneworld and "subsidiary" in rtype.by_name and not takes_company_subsidiary:
        required.append("subsidiary")
    return required


def present(value: Any) -> bool:
    return value is not None and value != "" and value != {}


def display_name(rtype_key: str, fields: dict[str, Any]) -> str:
    """What NetSuite shows for a record in a select (refName / RecordRef name)."""
    person = " ".join(p for p in (fields.get("firstName"), fields.get("lastName")) if p)
    for candidate in (
        fields.get("entityId"),
        fields.get("companyName"),
        person,
        fields.get("itemId"),
        fields.get("name"),
    ):
        if candidate:
            return str(candidate)
    return ""


class FieldValueError(ValueError):
    """A value that does not fit its field: INVALID_FLD_VALUE."""

    def __init__(self, field_name: str, value: Any) -> None:
        super().__init__(
            f"You have entered an Invalid Field Value {value} for the following field: {field_name}"
        )
        self.field_name = field_name


def convert_scalar(spec: Field, value: Any) -> Any:
    """A SOAP text value or a REST JSON value, as the field stores it; FieldValueError if it does not fit.

    SOAP gives every simple value as text; REST gives JSON types. Both arrive here: text is parsed
    for checkboxes, dates and numbers, JSON types are taken as they are.
    """
    if spec.kind == TEXT:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise FieldValueError(spec.name, value)
        text = str(value)
        if spec.email and text and not EMAIL.match(text):
            raise FieldValueError(spec.name, text)
        return text
    if spec.kind == CHECKBOX:
        if isinstance(value, bool):
            return value
        if value in ("true", "1"):
            return True
        if value in ("false", "0"):
            return False
        raise FieldValueError(spec.name, value)
    if spec.kind == DATE:
        return _date(spec, value)
    if spec.kind in (NUMBER, CURRENCY, INTEGER):
        return _number(spec, value)
    raise FieldValueError(spec.name, value)


def _date(spec: Field, value: Any) -> str:
    match = ISO_DATE.match(value) if isinstance(value, str) else None
    if not match:
        raise FieldValueError(spec.name, value)
    try:
        return date.fromisoformat(match.group(1)).isoformat()
    except ValueError:
        raise FieldValueError(spec.name, value) from None


def _number(spec: Field, value: Any) -> int | float:
    if isinstance(value, bool):
        raise FieldValueError(spec.name, value)
    if isinstance(value, str):
        try:
            number: int | float = float(value.strip())
        except ValueError:
            raise FieldValueError(spec.name, value) from None
    elif isinstance(value, int | float):
        number = value
    else:
        raise FieldValueError(spec.name, value)
    if not math.isfinite(number):
        raise FieldValueError(spec.name, value)
    if spec.kind == INTEGER:
        if number != int(number):
            raise FieldValueError(spec.name, value)
        return int(number)
    return float(number)


def soap_text(kind: str, value: Any) -> str:
    """A stored scalar as SOAP writes it (xsd:boolean, xsd:double, xsd:dateTime, xsd:long)."""
    if kind == CHECKBOX:
        return "true" if value else "false"
    if kind == DATE:
        # NetSuite answers dates as midnight in the account's time zone (Pacific by default).
        return f"{value}T00:00:00.000-08:00"
    if kind in (NUMBER, CURRENCY):
        return repr(float(value))
    return str(value)
