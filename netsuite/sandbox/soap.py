"""SuiteTalk SOAP: reading requests and writing responses and faults.

Elements and `xsi:type` QNames are resolved by namespace URI (prefixes are whatever the client
chose). Namespaces derive from the endpoint's version, e.g. 2023_2 gives
`urn:messages_2023_2.platform.webservices.netsuite.com`. Responses follow NetSuite's shapes: a
`documentInfo` header, one writeResponse/readResponse per record in order, and faults with
`detail/platformFaults:<fault>` holding code and message.
"""

import itertools
import secrets
import time
from dataclasses import dataclass
from typing import Any

from lxml import etree

from netsuite.sandbox.accounts import Account
from netsuite.sandbox.auth import Passport
from netsuite.sandbox.operations import CustomValue, Incoming, Operations, Outcome, Ref, failure
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
    soap_text,
)

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XSD = "http://www.w3.org/2001/XMLSchema"
LIST_LIMITS = {"addList": 200, "updateList": 100, "upsertList": 100, "deleteList": 200, "getList": 1000}
OPERATIONS = {"add", "update", "upsert", "delete", "get", *LIST_LIMITS}
CUSTOM_REF_TYPES = {
    TEXT: "StringCustomFieldRef",
    CHECKBOX: "BooleanCustomFieldRef",
    DATE: "DateCustomFieldRef",
    INTEGER: "LongCustomFieldRef",
    NUMBER: "DoubleCustomFieldRef",
    CURRENCY: "DoubleCustomFieldRef",
    SELECT: "SelectCustomFieldRef",
}
SERVER_USER_EXCEPTION = "soapenv:Server.userException"
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True, huge_tree=True)
_document_counter = itertools.count(1)


class Namespaces:
    def __init__(self, version: str) -> None:
        self.version = version
        self.messages = f"urn:messages_{version}.platform.webservices.netsuite.com"
        self.core = f"urn:core_{version}.platform.webservices.netsuite.com"
        self.faults = f"urn:faults_{version}.platform.webservices.netsuite.com"
        self.groups = {
            "relationships": f"urn:relationships_{version}.lists.webservices.netsuite.com",
            "accounting": f"urn:accounting_{version}.lists.webservices.netsuite.com",
            "customization": f"urn:customization_{version}.setup.webservices.netsuite.com",
        }
        self.prefixes = {"relationships": "listRel", "accounting": "listAcct", "customization": "setupCustom"}

    def record_ns(self, rtype: RecordType) -> str:
        return self.groups[rtype.soap_group]


class SoapFault(Exception):
    """A request-level fault: faultcode, faultstring and a platformFaults detail element."""

    def __init__(
        self, element: str | None, code: str | None, message: str, faultcode: str = SERVER_USER_EXCEPTION
    ):
        super().__init__(message)
        self.element = element
        self.code = code
        self.message = message
        self.faultcode = faultcode


@dataclass
class SoapRequest:
    operation: str
    passport: Passport | None
    application_info: bool
    items: list[etree._Element]  # `record` or `baseRef` elements, in order


def parse_request(body: bytes, ns: Namespaces) -> SoapRequest:
    try:
        envelope = etree.fromstring(body, PARSER)
    except etree.XMLSyntaxError as error:
        raise SoapFault(None, None, f"org.xml.sax.SAXException: {error}", "soapenv:Client") from None
    if envelope.tag != f"{{{SOAP_ENV}}}Envelope":
        raise SoapFault(
            None, None, "org.xml.sax.SAXException: not a SOAP 1.1 envelope", "soapenv:VersionMismatch"
        )
    header = envelope.find(f"{{{SOAP_ENV}}}Header")
    body_element = envelope.find(f"{{{SOAP_ENV}}}Body")
    operation = body_element[0] if body_element is not None and len(body_element) else None
    if operation is None:
        raise SoapFault(None, None, "org.xml.sax.SAXException: the SOAP body is empty", "soapenv:Client")
    op_ns, op_name = split_tag(operation.tag)
    if op_ns != ns.messages:
        if op_ns and op_ns.startswith("urn:messages_"):
            raise SoapFault(
                "invalidVersionFault",
                "INVALID_WS_VERSION",
                f"The namespace {op_ns} does not match the endpoint's version {ns.version}.",
            )
        raise SoapFault(None, None, f"No such operation '{op_name}'", "soapenv:Client")
    if op_name not in OPERATIONS:
        raise SoapFault(
            "unexpectedErrorFault",
            "UNEXPECTED_ERROR",
            f"The NetSuite sandbox does not serve the {op_name} operation.",
        )
    passport, application_info = None, False
    if header is not None:
        passport_element = header.find(f"{{{ns.messages}}}tokenPassport")
        if passport_element is not None:
            passport = _passport(passport_element, ns)
        application_info = header.find(f"{{{ns.messages}}}applicationInfo") is not None
    child = "baseRef" if op_name.startswith(("delete", "get")) else "record"
    items = operation.findall(f"{{{ns.messages}}}{child}")
    return SoapRequest(op_name, passport, application_info, items)


def _passport(element: etree._Element, ns: Namespaces) -> Passport:
    def text(name: str) -> str:
        child = element.find(f"{{{ns.core}}}{name}")
        return (child.text or "").strip() if child is not None else ""

    signature = element.find(f"{{{ns.core}}}signature")
    return Passport(
        account=text("account"),
        consumer_key=text("consumerKey"),
        token=text("token"),
        nonce=text("nonce"),
        timestamp=text("timestamp"),
        signature=text("signature"),
        algorithm=signature.get("algorithm", "") if signature is not None else "",
    )


def split_tag(tag: str) -> tuple[str | None, str]:
    if tag.startswith("{"):
        uri, _, local = tag[1:].partition("}")
        return uri, local
    return None, tag


def xsi_type(element: etree._Element) -> tuple[str | None, str]:
    """The element's xsi:type as (namespace URI, local name), its prefix resolved in scope."""
    value = element.get(f"{{{XSI}}}type") or ""
    prefix, _, local = value.rpartition(":")
    return element.nsmap.get(prefix or None), local


# Requests


def record_type_of(element: etree._Element, ns: Namespaces, account: Account) -> RecordType | Outcome:
    uri, local = xsi_type(element)
    if uri == ns.groups["customization"] and local == "CustomRecord":
        rec_type = element.find(f"{{{uri}}}recType")
        ref = parse_ref(rec_type) if rec_type is not None else Ref()
        rtype = _custom_record_type(account, ref.internal_id, ref.external_id)
        if rtype is None:
            wanted = ref.internal_id or ref.external_id or "(none)"
            return failure(None, "INVALID_RCRD_TYPE", f"The custom record type {wanted} does not exist.")
        return rtype
    for rtype in account.record_types.values():
        if not rtype.is_custom_record and rtype.soap_type == local and ns.record_ns(rtype) == uri:
            return rtype
    return failure(None, "INVALID_RCRD_TYPE", f"The record type {local or '(none)'} is not supported.")


def _custom_record_type(
    account: Account, internal_id: str | None, script_id: str | None
) -> RecordType | None:
    if internal_id:
        return account.record_type_by_internal_id(internal_id) or _custom_by_script_id(account, internal_id)
    return _custom_by_script_id(account, script_id)


def _custom_by_script_id(account: Account, script_id: str | None) -> RecordType | None:
    rtype = account.record_type(script_id or "")
    return rtype if rtype is not None and rtype.is_custom_record else None


def parse_record(element: etree._Element, ns: Namespaces, account: Account) -> Incoming | Outcome:
    rtype = record_type_of(element, ns, account)
    if isinstance(rtype, Outcome):
        return rtype
    field_prefix = f"{{{ns.record_ns(rtype)}}}"
    null_field_list = f"{{{ns.core}}}nullFieldList"
    inc = Incoming(rtype, internal_id=element.get("internalId"), external_id=element.get("externalId"))
    for child in element:
        tag = child.tag
        name = tag[len(field_prefix) :] if tag.startswith(field_prefix) else None
        if tag == null_field_list:
            inc.nulls.update((n.text or "").strip() for n in child.findall(f"{{{ns.core}}}name") if n.text)
        elif name is None or name == "recType":
            continue  # not a field of this record (recType chose the custom record type above)
        elif name == "customFieldList":
            for custom in child.findall(f"{{{ns.core}}}customField"):
                _custom_field(custom, ns, inc)
        elif name in rtype.by_name:
            if child.get(f"{{{XSI}}}nil") in ("true", "1"):
                inc.nulls.add(name)
            elif rtype.by_name[name].kind == SELECT:
                inc.values[name] = parse_ref(child)
            else:
                inc.values[name] = child.text or ""
        # Other elements are fields of NetSuite's record the sandbox does not keep: ignored.
    return inc


def _custom_field(element: etree._Element, ns: Namespaces, inc: Incoming) -> None:
    script_id = element.get("scriptId") or element.get("internalId") or ""
    uri, ref_type = xsi_type(element)
    value = element.find(f"{{{ns.core}}}value")
    if value is None or value.get(f"{{{XSI}}}nil") in ("true", "1"):
        inc.nulls.add(script_id)
        return
    raw: Any = parse_ref(value) if ref_type == "SelectCustomFieldRef" else (value.text or "")
    inc.custom[script_id] = CustomValue(raw, ref_type if uri == ns.core else f"{{{uri}}}{ref_type}")


def parse_ref(element: etree._Element) -> Ref:
    return Ref(
        internal_id=element.get("internalId") or None,
        external_id=element.get("externalId") or None,
        type=element.get("type") or None,
        type_id=element.get("typeId") or None,
        script_id=element.get("scriptId") or None,
    )


def parse_base_ref(
    element: etree._Element, ns: Namespaces, account: Account
) -> tuple[RecordType | None, Ref]:
    """A deleteList/getList baseRef: RecordRef names its type; CustomRecordRef its custom record type."""
    ref = parse_ref(element)
    _, local = xsi_type(element)
    if local == "CustomRecordRef":
        rtype = _custom_record_type(account, ref.type_id, ref.script_id)
    else:
        rtype = account.record_type(ref.type or "")
        rtype = None if rtype is not None and rtype.is_custom_record else rtype
    return rtype, ref


# Responses


def document_id(account_id: str) -> str:
    serial = f"{time.strftime('%m%d%Y')}{next(_document_counter)}{secrets.randbelow(10**9)}"
    return f"WEBSERVICES_{account_id}_{serial}_{secrets.token_hex(4)}"


def _envelope(ns: Namespaces, account_id: str | None) -> tuple[etree._Element, etree._Element]:
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soapenv": SOAP_ENV, "xsd": XSD, "xsi": XSI})
    if account_id is not None:
        header = etree.SubElement(envelope, f"{{{SOAP_ENV}}}Header")
        info = etree.SubElement(header, f"{{{ns.messages}}}documentInfo", nsmap={"platformMsgs": ns.messages})
        etree.SubElement(info, f"{{{ns.messages}}}nsId").text = document_id(account_id)
    body = etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body")
    return envelope, body


def _serialize(envelope: etree._Element) -> bytes:
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def _status(parent: etree._Element, ns: Namespaces, outcome: Outcome | None) -> None:
    status = etree.SubElement(parent, f"{{{ns.core}}}status", nsmap={"platformCore": ns.core})
    status.set("isSuccess", "true" if outcome is None or outcome.ok else "false")
    if outcome is not None and not outcome.ok:
        detail = etree.SubElement(status, f"{{{ns.core}}}statusDetail", type="ERROR")
        etree.SubElement(detail, f"{{{ns.core}}}code").text = outcome.code
        etree.SubElement(detail, f"{{{ns.core}}}message").text = outcome.message


def _base_ref(parent: etree._Element, ns: Namespaces, outcome: Outcome) -> None:
    record, rtype = outcome.record, outcome.rtype
    assert record is not None and rtype is not None
    ref = etree.SubElement(parent, f"{{{ns.messages}}}baseRef", nsmap={"platformCore": ns.core})
    ref.set("internalId", record.internal_id)
    if record.external_id:
        ref.set("externalId", record.external_id)
    if rtype.is_custom_record:
        ref.set("typeId", rtype.custom_record_type_id or "")
        ref.set(f"{{{XSI}}}type", "platformCore:CustomRecordRef")
    else:
        ref.set("type", rtype.key)
        ref.set(f"{{{XSI}}}type", "platformCore:RecordRef")


def write_response(operation: str, outcomes: list[Outcome], ns: Namespaces, account_id: str) -> bytes:
    envelope, body = _envelope(ns, account_id)
    response = etree.SubElement(body, f"{{{ns.messages}}}{operation}Response", nsmap={None: ns.messages})
    parent = response
    if operation.endswith("List"):
        parent = etree.SubElement(response, f"{{{ns.messages}}}writeResponseList")
    for outcome in outcomes:
        write = etree.SubElement(parent, f"{{{ns.messages}}}writeResponse")
        _status(write, ns, outcome)
        if outcome.ok and outcome.record is not None:
            _base_ref(write, ns, outcome)
    return _serialize(envelope)


def read_response(
    operation: str, outcomes: list[Outcome], ns: Namespaces, account_id: str, ops: Operations
) -> bytes:
    envelope, body = _envelope(ns, account_id)
    response = etree.SubElement(body, f"{{{ns.messages}}}{operation}Response", nsmap={None: ns.messages})
    parent = response
    if operation.endswith("List"):
        parent = etree.SubElement(response, f"{{{ns.messages}}}readResponseList")
        _status(parent, ns, None)
    for outcome in outcomes:
        read = etree.SubElement(parent, f"{{{ns.messages}}}readResponse")
        _status(read, ns, outcome)
        if outcome.ok and outcome.record is not None:
            _record(read, ns, outcome, ops)
    return _serialize(envelope)


def _record(parent: etree._Element, ns: Namespaces, outcome: Outcome, ops: Operations) -> None:
    record, rtype = outcome.record, outcome.rtype
    assert record is not None and rtype is not None
    record_ns = ns.record_ns(rtype)
    prefix = ns.prefixes[rtype.soap_group]
    element = etree.SubElement(
        parent, f"{{{ns.messages}}}record", nsmap={prefix: record_ns, "platformCore": ns.core}
    )
    element.set("internalId", record.internal_id)
    if record.external_id:
        element.set("externalId", record.external_id)
    element.set(f"{{{XSI}}}type", f"{prefix}:{rtype.soap_type}")
    for spec in rtype.fields:
        value = record.fields.get(spec.name)
        if value is not None:
            _field(element, record_ns, ns, spec, value, ops)
    if rtype.is_custom_record:
        rec_type = etree.SubElement(element, f"{{{record_ns}}}recType")
        rec_type.set("internalId", rtype.custom_record_type_id or "")
        rec_type.set("type", "customRecordType")
        etree.SubElement(rec_type, f"{{{ns.core}}}name").text = rtype.label
    customs = [
        (cf, record.fields[cf.script_id])
        for cf in ops.account.custom_fields_for(rtype.key).values()
        if record.fields.get(cf.script_id) is not None
    ]
    if customs:
        custom_list = etree.SubElement(element, f"{{{record_ns}}}customFieldList")
        for definition, value in customs:
            custom = etree.SubElement(custom_list, f"{{{ns.core}}}customField")
            custom.set("scriptId", definition.script_id)
            custom.set(f"{{{XSI}}}type", f"platformCore:{CUSTOM_REF_TYPES[definition.kind]}")
            _field(custom, ns.core, ns, definition.as_field(), value, ops, element_name="value")


def _field(
    parent: etree._Element,
    uri: str,
    ns: Namespaces,
    spec: Field,
    value: Any,
    ops: Operations,
    element_name: str | None = None,
) -> None:
    element = etree.SubElement(parent, f"{{{uri}}}{element_name or spec.name}")
    if spec.kind != SELECT:
        element.text = soap_text(spec.kind, value)
        return
    name = ops.ref_name(value, spec)
    if name:
        etree.SubElement(element, f"{{{ns.core}}}name").text = name
    if value.get("internalId"):
        element.set("internalId", value["internalId"])
    if value.get("externalId"):
        element.set("externalId", value["externalId"])
    if spec.custom and spec.references:
        target = ops.account.record_type(spec.references[0])
        if target is not None and target.custom_record_type_id:
            element.set("typeId", target.custom_record_type_id)


def fault_response(fault: SoapFault, ns: Namespaces) -> bytes:
    envelope, body = _envelope(ns, None)
    element = etree.SubElement(body, f"{{{SOAP_ENV}}}Fault")
    etree.SubElement(element, "faultcode").text = fault.faultcode
    etree.SubElement(element, "faultstring").text = fault.message
    if fault.element:
        detail = etree.SubElement(element, "detail")
        specific = etree.SubElement(
            detail, f"{{{ns.faults}}}{fault.element}", nsmap={"platformFaults": ns.faults}
        )
        etree.SubElement(specific, f"{{{ns.faults}}}code").text = fault.code
        etree.SubElement(specific, f"{{{ns.faults}}}message").text = fault.message
    return _serialize(envelope)
