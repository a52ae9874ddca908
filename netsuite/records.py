"""The record types syncapp writes, with their standard fields (a static catalog).

Field names are the SOAP XSD element names, which the REST record service uses as well. Custom
fields and custom record types are the account's own; describe_objects reads them from the REST
metadata catalog and merges them in.
"""

from dataclasses import dataclass

from destinations.adapters import FieldSpec

CUSTOM_RECORD_PREFIX = "customrecord"


@dataclass(frozen=True)
class RecordType:
    name: str  # the REST record type and the RecordRef `type` (customer, inventoryItem, ...)
    label: str
    soap_type: str  # the XSD complex type: Customer, InventoryItem, CustomRecord
    soap_namespace: str  # the schema holding it: "relationships.lists", "customization.setup"
    custom_field_prefix: str  # custentity, custitem, custrecord (script IDs go on with "_")
    duplicate_code: str  # what NetSuite answers an add of an existing external ID with
    fields: tuple[FieldSpec, ...]

    @property
    def is_custom_record(self) -> bool:
        return self.name.startswith(CUSTOM_RECORD_PREFIX)

    @property
    def ref_type(self) -> str:
        """The RecordType enumeration value used in RecordRef/getList/deleteList."""
        return "customRecord" if self.is_custom_record else self.name


def _text(name: str, label: str, required: bool = False) -> FieldSpec:
    return FieldSpec(name, label, "text", required=required)


def _checkbox(name: str, label: str) -> FieldSpec:
    return FieldSpec(name, label, "checkbox")


def _select(name: str, label: str, references: str = "") -> FieldSpec:
    return FieldSpec(name, label, "select", references=references)


def _currency(name: str, label: str) -> FieldSpec:
    return FieldSpec(name, label, "currency")


# companyName is required for companies and firstName/lastName for people (isPerson); the
# flags below are the unconditional ones. Subsidiary is required in OneWorld accounts, which the
# metadata catalog reports per account.
CUSTOMER_FIELDS = (
    _text("entityId", "Customer ID"),
    _checkbox("isPerson", "Is Individual"),
    _text("companyName", "Company Name"),
    _text("firstName", "First Name"),
    _text("lastName", "Last Name"),
    _text("email", "Email"),
    _text("phone", "Phone"),
    _text("altPhone", "Alt. Phone"),
    _text("fax", "Fax"),
    _text("url", "Web Address"),
    _text("comments", "Comments"),
    _checkbox("isInactive", "Inactive"),
    _select("subsidiary", "Primary Subsidiary", "subsidiary"),
    _select("category", "Category", "customerCategory"),
    _select("currency", "Currency", "currency"),
    _select("terms", "Terms", "term"),
    _currency("creditLimit", "Credit Limit"),
    _select("salesRep", "Sales Rep", "employee"),
)
CONTACT_FIELDS = (
    _text("entityId", "Contact"),
    _select("company", "Company", "customer"),
    _text("firstName", "First Name"),
    _text("lastName", "Last Name"),
    _text("title", "Job Title"),
    _text("email", "Email"),
    _text("phone", "Phone"),
    _select("subsidiary", "Subsidiary", "subsidiary"),
    _checkbox("isInactive", "Inactive"),
)
VENDOR_FIELDS = (
    _text("entityId", "Vendor ID"),
    _checkbox("isPerson", "Is Individual"),
    _text("companyName", "Company Name"),
    _text("firstName", "First Name"),
    _text("lastName", "Last Name"),
    _text("email", "Email"),
    _text("phone", "Phone"),
    _select("subsidiary", "Primary Subsidiary", "subsidiary"),
    _checkbox("isInactive", "Inactive"),
    _currency("creditLimit", "Credit Limit"),
)
ITEM_FIELDS = (
    _text("itemId", "Item Name/Number", required=True),
    _text("displayName", "Display Name/Code"),
    _text("salesDescription", "Sales Description"),
    _text("upcCode", "UPC Code"),
    _checkbox("isInactive", "Inactive"),
)
CUSTOM_RECORD_FIELDS = (
    _text("name", "Name", required=True),
    _checkbox("isInactive", "Inactive"),
)

STANDARD_TYPES: dict[str, RecordType] = {
    record_type.name: record_type
    for record_type in (
        RecordType(
            "customer",
            "Customer",
            "Customer",
            "relationships.lists",
            "custentity",
            "DUP_ENTITY",
            CUSTOMER_FIELDS,
        ),
        RecordType(
            "contact", "Contact", "Contact", "relationships.lists", "custentity", "DUP_ENTITY", CONTACT_FIELDS
        ),
        RecordType(
            "vendor", "Vendor", "Vendor", "relationships.lists", "custentity", "DUP_ENTITY", VENDOR_FIELDS
        ),
        RecordType(
            "inventoryItem",
            "Inventory Item",
            "InventoryItem",
            "accounting.lists",
            "custitem",
            "DUP_RCRD",
            (*ITEM_FIELDS, _currency("cost", "Purchase Price")),
        ),
        RecordType(
            "nonInventorySaleItem",
            "Non-inventory Item for Sale",
            "NonInventorySaleItem",
            "accounting.lists",
            "custitem",
            "DUP_RCRD",
            ITEM_FIELDS,
        ),
    )
}
DUPLICATE_CODES = frozenset({"DUP_ENTITY", "DUP_RCRD"})


def custom_record_type(script_id: str, label: str = "") -> RecordType:
    return RecordType(
        script_id,
        label or script_id,
        "CustomRecord",
        "customization.setup",
        "custrecord",
        "DUP_RCRD",
        CUSTOM_RECORD_FIELDS,
    )


def record_type(name: str) -> RecordType:
    """The record type named `name`; raises LookupError for one syncapp does not write."""
    if name in STANDARD_TYPES:
        return STANDARD_TYPES[name]
    if name.startswith(f"{CUSTOM_RECORD_PREFIX}_"):
        return custom_record_type(name)
    known = ", ".join([*STANDARD_TYPES, "customrecord_…"])
    raise LookupError(f"syncapp cannot write NetSuite {name!r} records; it writes {known}.")


def is_custom_field(name: str) -> bool:
    """Custom field script IDs: custentity_…, custitem_…, custrecord_… (and NetSuite's other cust…_)."""
    head, sep, _rest = name.partition("_")
    return bool(sep) and head.startswith("cust") and head.isalpha()
