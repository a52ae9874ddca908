"""SuiteTalk SOAP through zeep: the WSDL cache, typed records, list operations and their answers.

- The parsed WSDL is loaded once per process and kept in `_schemas`, keyed by WSDL URL (NetSuite's
  full 2023.2 WSDL takes about a second and ~70 MB). zeep runs without a file cache.
- Types are looked up by namespace URI derived from the version string
  (`urn:relationships_2023_2.lists.webservices.netsuite.com`), never by zeep's ns0… prefixes.
- A NetSuite record type has ~150 optional elements and zeep visits every one of them for each
  record it builds and renders. A batch writes the same few fields on every record, so records are
  built from a trimmed copy of the type holding only those elements, in the schema's order, under
  the type's own QName (the xsi:type NetSuite sees is unchanged). The trimmed type also skips
  zeep's per-record re-checks of names and types the batch already checked against the schema.
  Together that makes a batch of 100 customers about eight times cheaper to build and render,
  which the throughput of several writer threads depends on (they share one interpreter lock).
- zeep builds the envelope (client.create_message, so client plugins such as HistoryPlugin see it);
  the HTTP exchange is ours (pooled session, the account's concurrency slot, Retry-After) and the
  answer is read with lxml by namespace URI.
"""

import datetime
import functools
import logging
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

import requests
import zeep
from lxml import etree
from zeep import xsd
from zeep.exceptions import Error as ZeepError
from zeep.plugins import apply_ingress
from zeep.transports import Transport
from zeep.xsd.types.simple import AnySimpleType

from destinations.adapters import (
    DestinationError,
    OutgoingRecord,
    PermanentError,
    Reference,
    RowResult,
    TemporaryError,
)
from netsuite import auth
from netsuite.records import DUPLICATE_CODES, STANDARD_TYPES, RecordType, is_custom_field
from netsuite.retry import Outcome, RetryPolicy, with_retries
from netsuite.transport import Endpoint, network_error, retry_after, send

logger = logging.getLogger(__name__)
T = TypeVar("T")

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
WSDL_LOAD_TIMEOUT = 120.0
# Faults worth retrying; every other fault is permanent (retrying cannot change the answer).
TEMPORARY_FAULT_CODES = frozenset({"WS_REQUEST_BLOCKED", "UNEXPECTED_ERROR", "WS_CONCUR_SESSION_DISALLWD"})
TEMPORARY_FAULTS = frozenset(
    {"exceededConcurrentRequestLimitFault", "exceededRequestLimitFault", "exceededUsageLimitFault"}
)


def namespace(version: str, name: str, group: str) -> str:
    """urn:{name}_{version}.{group}.webservices.netsuite.com, e.g. urn:core_2023_2.platform…"""
    return f"urn:{name}_{version}.{group}.webservices.netsuite.com"


# ---------------------------------------------------------------------------------------------
# The schema: the parsed WSDL and the types built from it, once per process.


class SoapSchema:
    """One parsed WSDL and lookups into it by namespace URI. Shared by every thread and adapter."""

    def __init__(self, client: zeep.Client, version: str) -> None:
        self.client = client
        self.version = version
        self.messages = namespace(version, "messages", "platform")
        self.core = namespace(version, "core", "platform")
        self.binding = f"{{urn:platform_{version}.webservices.netsuite.com}}NetSuiteBinding"
        self.record_ref = self.type("core.platform", "RecordRef")
        self.custom_record_ref = self.type("core.platform", "CustomRecordRef")
        self.null_field = self.type("core.platform", "NullField")
        self.custom_field_list = self.type("core.platform", "CustomFieldList")
        self.list_or_record_ref = self.type("core.platform", "ListOrRecordRef")
        try:
            self.passport_element = client.get_element(f"{{{self.messages}}}tokenPassport")
        except ZeepError:
            raise PermanentError(
                f"The WSDL has no SuiteTalk {version} tokenPassport header. Check the WSDL URL and WSDL "
                f"version settings."
            ) from None
        self.passport_signature = self.type("core.platform", "TokenPassportSignature")

    @functools.cache  # noqa: B019 — schemas live for the whole process
    def type(self, schema: str, local_name: str) -> Any:
        name, group = schema.split(".")
        qname = f"{{{namespace(self.version, name, group)}}}{local_name}"
        try:
            return self.client.get_type(qname)
        except ZeepError:
            raise PermanentError(
                f"The WSDL has no type {qname}: it is not NetSuite's SuiteTalk {self.version} WSDL, or "
                f"lacks that record type. Check the WSDL URL and WSDL version settings."
            ) from None

    def custom_field_type(self, kind: str) -> Any:
        return self.type("core.platform", f"{kind}CustomFieldRef")

    def record_elements(self, record_type: RecordType) -> dict[str, Any]:
        """The record type's elements by name, in schema order (base Record's nullFieldList first)."""
        return _elements(self.type(record_type.soap_namespace, record_type.soap_type))

    def trimmed(self, record_type: RecordType, names: frozenset[str]) -> Any:
        """The record type restricted to `names`, same QName and attributes (see the module doc)."""
        return self._trimmed(record_type.soap_namespace, record_type.soap_type, names)

    @functools.lru_cache(maxsize=512)  # noqa: B019 — bounded; one entry per record type and field set
    def _trimmed(self, soap_namespace: str, soap_type: str, names: frozenset[str]) -> "TrimmedRecordType":
        full = self.type(soap_namespace, soap_type)
        elements = [element for name, element in full.elements if name in names]
        return TrimmedRecordType(
            xsd.Sequence(elements),
            attributes=[attribute for _name, attribute in full.attributes],
            qname=full.qname,
        )


class TrimmedRecordType(xsd.ComplexType):
    """A record type restricted to the elements one batch writes (see the module doc).

    Its values are zeep CompoundValues made without zeep's keyword parsing and rendered without its
    per-element validation: RecordBuilder has checked every name against the schema already, and
    nested values (RecordRef, customFieldList, nullFieldList) are rendered by zeep itself. A test
    renders every kind of field both ways and compares the XML.
    """

    def value(self, values: dict[str, Any]) -> Any:
        record = self._value_class.__new__(self._value_class)
        record.__values__ = values
        return record

    def render(self, node: etree._Element, value: Any, xsd_type: Any = None, render_path: Any = None) -> None:
        values = value.__values__
        for name, attribute in self.attributes:
            if values.get(name) is not None:
                node.set(attribute.qname, attribute.type.xmlvalue(values[name]))
        for name, element in self.elements:
            item = values.get(name)
            if item is None:
                continue
            if isinstance(element.type, AnySimpleType):
                etree.SubElement(node, element.qname).text = element.type.xmlvalue(item)
            else:
                element.render(node, item, [name])
        if xsd_type is not None:
            node.set(XSI_TYPE, self.qname)


@functools.cache
def _elements(full_type: Any) -> dict[str, Any]:
    return dict(full_type.elements)


_schemas: dict[tuple[str, str], SoapSchema] = {}
ONE_ATTEMPT = RetryPolicy(max_attempts=1)
_schemas_lock = threading.Lock()


def schema_for(
    wsdl_url: str, version: str, endpoint: Endpoint, policy: RetryPolicy = ONE_ATTEMPT
) -> SoapSchema:
    """The parsed WSDL for `wsdl_url`, loading it on first use (once per process, under a lock)."""
    key = (wsdl_url, version)
    if key in _schemas:
        return _schemas[key]
    with _schemas_lock:
        if key not in _schemas:
            load = with_retries(lambda: _load_wsdl(wsdl_url, endpoint), policy=policy, what="WSDL load")
            _schemas[key] = SoapSchema(load.value, version)
        return _schemas[key]


def _load_wsdl(wsdl_url: str, endpoint: Endpoint) -> zeep.Client:
    remote = wsdl_url.startswith(("http://", "https://"))
    transport = Transport(session=requests.Session(), cache=None, timeout=WSDL_LOAD_TIMEOUT)
    try:
        if not remote:
            return zeep.Client(wsdl_url, transport=transport)
        with endpoint.slot():
            return zeep.Client(wsdl_url, transport=transport)
    except requests.HTTPError as error:
        status = error.response.status_code if error.response is not None else 0
        problem = TemporaryError if status >= 500 else PermanentError
        raise problem(
            f"Cannot load NetSuite's WSDL from {wsdl_url}: HTTP {status}. Check the base URL, WSDL URL and "
            f"WSDL version settings.",
            code=f"HTTP_{status}",
        ) from None
    except requests.RequestException as error:
        raise network_error(error, endpoint) from None
    except (ZeepError, etree.XMLSyntaxError, OSError) as error:
        raise PermanentError(
            f"Cannot load NetSuite's WSDL from {wsdl_url}: {type(error).__name__}: {error}. "
            f"Check the WSDL URL and WSDL version settings."
        ) from None


# ---------------------------------------------------------------------------------------------
# Building records and references.


@dataclass(frozen=True)
class RecordKey:
    """How a record is addressed: NetSuite's internal ID when known (update), else the external ID."""

    external_id: str
    internal_id: str = ""


class RecordBuilder:
    """Typed zeep records of one record type for one batch.

    `type_id` is the custom record type's internal ID (custom records only; "" when unknown).
    """

    def __init__(self, schema: SoapSchema, record_type: RecordType, type_id: str = "") -> None:
        self.schema = schema
        self.record_type = record_type
        self.type_id = type_id
        self.elements = schema.record_elements(record_type)

    def records(
        self, records: Sequence[OutgoingRecord], *, by_internal_id: bool = False, nulls: bool = True
    ) -> list[Any]:
        """One typed record per OutgoingRecord. None values go to nullFieldList when `nulls`."""
        names = self._element_names(records, nulls)
        trimmed = self.schema.trimmed(self.record_type, names)
        return [trimmed.value(self._values(record, by_internal_id, nulls)) for record in records]

    def refs(self, keys: Iterable[RecordKey]) -> list[Any]:
        """RecordRefs (CustomRecordRefs for custom records) for getList/deleteList."""
        if self.record_type.is_custom_record:
            return [
                self.schema.custom_record_ref(
                    typeId=self.type_id or None,
                    scriptId=self.record_type.name,
                    internalId=key.internal_id or None,
                    externalId=_external(key),
                )
                for key in keys
            ]
        return [
            self.schema.record_ref(
                type=self.record_type.ref_type, internalId=key.internal_id or None, externalId=_external(key)
            )
            for key in keys
        ]

    def _element_names(self, records: Sequence[OutgoingRecord], nulls: bool) -> frozenset[str]:
        names: set[str] = set()
        for record in records:
            for name, value in record.fields.items():
                custom = is_custom_field(name) and name not in self.elements
                if not custom:
                    self._check_standard(name)
                if value is None:
                    if nulls:
                        names.add("nullFieldList")
                else:
                    names.add("customFieldList" if custom else name)
        if self.record_type.is_custom_record:
            names.add("recType")
        return frozenset(names)

    def _check_standard(self, name: str) -> None:
        if name not in self.elements or name in ("nullFieldList", "customFieldList"):
            raise PermanentError(
                f"NetSuite's {self.record_type.soap_type} record has no field {name!r}. Map the column to "
                f"one of its fields (custom fields start with {self.record_type.custom_field_prefix}_)."
            )

    def _values(self, record: OutgoingRecord, by_internal_id: bool, nulls: bool) -> dict[str, Any]:
        values: dict[str, Any] = {}
        custom: list[Any] = []
        null_names: list[str] = []
        for name, value in record.fields.items():
            if value is None:
                null_names.append(name)
            elif is_custom_field(name) and name not in self.elements:
                custom.append(self._custom_field(name, value))
            else:
                values[name] = self._standard_value(name, value)
        if custom:
            values["customFieldList"] = self.schema.custom_field_list(customField=custom)
        if null_names and nulls:
            values["nullFieldList"] = self.schema.null_field(name=null_names)
        if self.record_type.is_custom_record:
            # NetSuite wants the type's internal ID; when it could not be looked up, the script ID.
            values["recType"] = self.schema.record_ref(internalId=self.type_id or self.record_type.name)
        if by_internal_id and record.record_id:
            values["internalId"] = record.record_id
        else:
            values["externalId"] = record.external_id
        return values

    def _standard_value(self, name: str, value: Any) -> Any:
        element_type = self.elements[name].type
        if isinstance(value, Reference):
            if element_type.qname != self.schema.record_ref.qname:
                raise PermanentError(
                    f"{self.record_type.label} field {name!r} is not a select field; it cannot take a "
                    f"reference to another record."
                )
            return self.schema.record_ref(
                internalId=value.internal_id or None, externalId=value.external_id or None
            )
        if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
            return datetime.datetime.combine(value, datetime.time())
        return value

    def _custom_field(self, script_id: str, value: Any) -> Any:
        kind, soap_value = custom_field_value(value, self.schema)
        return self.schema.custom_field_type(kind)(scriptId=script_id, value=soap_value)


def custom_field_value(value: Any, schema: SoapSchema) -> tuple[str, Any]:
    """The CustomFieldRef kind for a value of one of syncapp's field types, and the value to send.

    Integers go as LongCustomFieldRef (NetSuite's integer fields), other numbers as Double.
    """
    if isinstance(value, bool):
        return "Boolean", value
    if isinstance(value, Reference):
        ref = schema.list_or_record_ref(
            internalId=value.internal_id or None, externalId=value.external_id or None
        )
        return "Select", ref
    if isinstance(value, datetime.datetime):
        return "Date", value
    if isinstance(value, datetime.date):
        return "Date", datetime.datetime.combine(value, datetime.time())
    if isinstance(value, int):
        return "Long", value
    if isinstance(value, (float, Decimal)):
        return "Double", value
    return "String", str(value)


def _external(key: RecordKey) -> str | None:
    return None if key.internal_id else key.external_id


# ---------------------------------------------------------------------------------------------
# Reading answers: faults, writeResponseList, readResponseList.


@dataclass(frozen=True)
class Fault:
    name: str  # the detail element's local name: invalidCredentialsFault, …
    code: str
    message: str
    faultcode: str
    faultstring: str


def parse_envelope(content: bytes) -> etree._Element | None:
    """The envelope of an XML answer, or None when the body is not XML (an HTML error page)."""
    if not content or not content.lstrip().startswith(b"<"):
        return None
    try:
        root = etree.fromstring(content, parser=_parser())
    except etree.XMLSyntaxError:
        return None
    return root if root.tag == f"{{{SOAP_ENV}}}Envelope" else None


_parsers = threading.local()


def _parser() -> etree.XMLParser:
    # lxml parsers must not be shared between threads; no entities, no network, for untrusted input.
    if not hasattr(_parsers, "parser"):
        _parsers.parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return _parsers.parser


def find_fault(envelope: etree._Element) -> Fault | None:
    fault = envelope.find(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault")
    if fault is None:
        return None
    detail = fault.find("detail")
    entry = _first_element(detail)
    return Fault(
        name=etree.QName(entry).localname if entry is not None else "",
        code=_child_text(entry, "code"),
        message=_child_text(entry, "message"),
        faultcode=fault.findtext("faultcode", "").strip(),
        faultstring=fault.findtext("faultstring", "").strip(),
    )


def _first_element(parent: etree._Element | None) -> etree._Element | None:
    """The first child element, skipping comments and processing instructions."""
    if parent is None:
        return None
    return next((child for child in parent if isinstance(child.tag, str)), None)


def _child_text(element: etree._Element | None, local_name: str) -> str:
    if element is None:
        return ""
    for child in element:
        if isinstance(child.tag, str) and etree.QName(child).localname == local_name:
            return (child.text or "").strip()
    return ""


def fault_error(fault: Fault, account_id: str, retry_after_seconds: float | None = None) -> DestinationError:
    """The DestinationError for a SOAP fault; messages say what to fix. No secrets reach here."""
    said = fault.message or fault.faultstring
    code = fault.code or fault.faultcode
    if fault.name == "invalidAccountFault" or code == "INVALID_ACCT":
        return PermanentError(
            f"NetSuite does not know the account ID {account_id!r} ({code}: {said}). Check the Account ID "
            f"setting: it is in NetSuite at Setup > Company > Company Information, e.g. 1234567 or "
            f"1234567_SB1 for a sandbox.",
            code=code,
        )
    if fault.name in ("invalidCredentialsFault", "invalidSessionFault"):
        return PermanentError(
            f"NetSuite refused the token-based login ({code}: {said}). Check the consumer key and secret "
            f"(the integration record) and the token ID and secret (the access token), that the token "
            f"belongs to account {account_id} and is not revoked, and that this server's clock is right. "
            f"NetSuite's Login Audit Trail (Setup > Users/Roles > User Management) gives the reason.",
            code=code,
        )
    if fault.name == "insufficientPermissionFault" or code == "INSUFFICIENT_PERMISSION":
        return PermanentError(
            f"The access token's role is missing a permission: {said} Give the role that permission in "
            f"NetSuite (Setup > Users/Roles > Manage Roles).",
            code=code,
        )
    if fault.name == "invalidVersionFault" or code == "UNSUPPORTED_WS_VERSION":
        return PermanentError(
            f"NetSuite does not support this SuiteTalk version ({code}: {said}). Set the WSDL version "
            f"setting to a supported one, e.g. 2023_2.",
            code=code,
        )
    if fault.name in TEMPORARY_FAULTS or code in TEMPORARY_FAULT_CODES:
        return TemporaryError(
            f"NetSuite is busy ({code}: {said}).", code=code, retry_after=retry_after_seconds
        )
    return PermanentError(f"NetSuite refused the request ({code}: {said}).", code=code)


def write_results(operation_response: etree._Element, core: str, messages: str) -> list[RowResult]:
    """One RowResult per writeResponse of a *ListResponse, in order; success carries baseRef's internalId."""
    return _list_results(
        operation_response, core, messages, ("writeResponseList", "writeResponse", "baseRef")
    )


def read_results(operation_response: etree._Element, core: str, messages: str) -> list[RowResult]:
    """One RowResult per readResponse of a getListResponse; success carries the record's internalId."""
    return _list_results(operation_response, core, messages, ("readResponseList", "readResponse", "record"))


def _list_results(
    operation_response: etree._Element, core: str, messages: str, names: tuple[str, str, str]
) -> list[RowResult]:
    list_tag, item_tag, ref_tag = (f"{{{messages}}}{name}" for name in names)
    status_tag = f"{{{core}}}status"
    response_list = operation_response.find(list_tag)
    if response_list is None:
        raise TemporaryError(f"NetSuite's answer has no {names[0]}.", code="BAD_RESPONSE")
    results = []
    for item in response_list.iterfind(item_tag):
        status = item.find(status_tag)
        if status is not None and status.get("isSuccess") == "true":
            ref = item.find(ref_tag)
            results.append(RowResult(ok=True, record_id="" if ref is None else ref.get("internalId", "")))
        else:
            results.append(_rejection(status, core))
    return results


def _rejection(status: etree._Element | None, core: str) -> RowResult:
    details = [] if status is None else status.findall(f"{{{core}}}statusDetail")
    errors = [detail for detail in details if detail.get("type", "ERROR") == "ERROR"] or details
    if not errors:
        return RowResult(ok=False, error_code="UNKNOWN_ERROR", error_message="NetSuite gave no reason.")
    code = errors[0].findtext(f"{{{core}}}code", "").strip()
    message = " ".join(detail.findtext(f"{{{core}}}message", "").strip() for detail in errors)
    return RowResult(ok=False, error_code=code or "UNKNOWN_ERROR", error_message=message.strip())


# ---------------------------------------------------------------------------------------------
# The connection: one per adapter, sharing the process's schema and session.


class SoapConnection:
    def __init__(
        self, schema: SoapSchema, endpoint: Endpoint, credentials: auth.Credentials, version: str
    ) -> None:
        self.schema = schema
        self.endpoint = endpoint
        self.credentials = credentials
        self.address = f"{endpoint.base_url}/services/NetSuitePort_{version}"
        self.service = schema.client.create_service(schema.binding, self.address)

    def call(self, operation: str, **body: Any) -> etree._Element:
        """One request; returns the body's answer element (e.g. upsertListResponse).

        Raises TemporaryError/PermanentError for faults, HTTP errors and network failures.
        """
        # create_message also hands the envelope to the client's plugins (egress).
        envelope = self.schema.client.create_message(
            self.service, operation, _soapheaders=[self._passport()], **body
        )
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{operation}"'}
        payload = etree.tostring(envelope, xml_declaration=True, encoding="utf-8")
        response = send(self.endpoint, "POST", self.address, data=payload, headers=headers)
        answer = parse_envelope(response.content)
        if answer is not None and self.schema.client.plugins:
            operation_info = self.service._binding.get(operation)
            answer, _ = apply_ingress(self.schema.client, answer, dict(response.headers), operation_info)
        return self._body(operation, response, answer)

    def _passport(self) -> Any:
        passport = auth.passport(self.credentials)
        return self.schema.passport_element(
            account=passport.account,
            consumerKey=passport.consumer_key,
            token=passport.token,
            nonce=passport.nonce,
            timestamp=passport.timestamp,
            signature=self.schema.passport_signature(passport.signature, algorithm="HMAC-SHA256"),
        )

    def _body(self, operation: str, response: requests.Response, envelope: etree._Element | None) -> Any:
        if envelope is not None and (fault := find_fault(envelope)) is not None:
            raise fault_error(fault, self.credentials.account_id, retry_after(response))
        if response.status_code != 200 or envelope is None:
            raise http_error(response, f"SOAP {operation}", self.endpoint)
        body = envelope.find(f"{{{SOAP_ENV}}}Body")
        answer = _first_element(body)
        if answer is None:
            raise TemporaryError(f"NetSuite's answer to {operation} has an empty body.", code="BAD_RESPONSE")
        return answer


def http_error(response: requests.Response, what: str, endpoint: Endpoint) -> DestinationError:
    """An HTTP answer that is not NetSuite's (an error page, an empty body, a proxy's answer)."""
    status = response.status_code
    where = f"{endpoint.host}{requests.utils.urlparse(response.url).path}"
    if status == 429 or status >= 500:
        return TemporaryError(
            f"NetSuite answered {what} with HTTP {status}; it may be overloaded or down.",
            code=f"HTTP_{status}",
            retry_after=retry_after(response),
        )
    if status == 404:
        return PermanentError(
            f"NetSuite answered {what} with HTTP 404 Not Found at {where}. Check the base URL and the WSDL "
            f"version settings.",
            code="HTTP_404",
        )
    return PermanentError(f"NetSuite answered {what} with HTTP {status} at {where}.", code=f"HTTP_{status}")


# ---------------------------------------------------------------------------------------------
# The writer: operations as list requests, retried, with retried adds and deletes settled.

# Records per request (NetSuite help, section N3418637).
LIST_LIMITS = {"upsert": 100, "insert": 200, "update": 100, "archive": 100, "delete": 200}
GET_LIST_LIMIT = 1000


class SoapWriter:
    """Writes batches with upsertList, addList, updateList and deleteList.

    `type_id` gives a custom record type's internal ID from its script ID.
    """

    def __init__(
        self, connection: SoapConnection, policy: RetryPolicy, type_id: Callable[[str], str]
    ) -> None:
        self.connection = connection
        self.policy = policy
        self.type_id = type_id

    def write(
        self, record_type: RecordType, operation: str, records: Sequence[OutgoingRecord]
    ) -> list[RowResult]:
        """Results in the order given. A record XML cannot carry is rejected here, the rest sent."""
        builder = self._builder(record_type)
        results: list[RowResult | None] = [xml_problem(record) for record in records]
        sendable = [index for index, problem in enumerate(results) if problem is None]
        for indexes in _chunks(sendable, LIST_LIMITS[operation]):
            written = self._write_chunk(builder, operation, [records[index] for index in indexes])
            for index, result in zip(indexes, written, strict=True):
                results[index] = result
        return results  # every slot is filled by now

    def lookup(self, record_type: RecordType, keys: Sequence[RecordKey]) -> list[RowResult]:
        """getList by internal or external ID: success carries the internalId, else RCRD_DSNT_EXIST."""
        builder = self._builder(record_type)
        results: list[RowResult] = []
        for chunk in _chunks(keys, GET_LIST_LIMIT):
            refs = builder.refs(chunk)
            results.extend(self._call("getList", {"baseRef": refs}, len(chunk), reads=True).value)
        return results

    def _builder(self, record_type: RecordType) -> RecordBuilder:
        type_id = self.type_id(record_type.name) if record_type.is_custom_record else ""
        return RecordBuilder(self.connection.schema, record_type, type_id)

    def _write_chunk(
        self, builder: RecordBuilder, operation: str, chunk: Sequence[OutgoingRecord]
    ) -> list[RowResult]:
        soap_operation, body = _request(builder, operation, chunk)
        outcome = self._call(soap_operation, body, len(chunk))
        if outcome.attempts == 1:
            return outcome.value
        return self._settle_retried(builder.record_type, operation, chunk, outcome.value)

    def _call(self, operation: str, body: dict[str, Any], count: int, reads: bool = False) -> Outcome:
        schema = self.connection.schema

        def attempt() -> list[RowResult]:
            answer = self.connection.call(operation, **body)
            parse = read_results if reads else write_results
            results = parse(answer, schema.core, schema.messages)
            if len(results) != count:
                raise TemporaryError(
                    f"NetSuite answered {operation} of {count} records with {len(results)} results.",
                    code="BAD_RESPONSE",
                )
            return results

        return with_retries(attempt, policy=self.policy, what=f"{operation} of {count} records")

    def _settle_retried(
        self,
        record_type: RecordType,
        operation: str,
        chunk: Sequence[OutgoingRecord],
        results: list[RowResult],
    ) -> list[RowResult]:
        """An earlier attempt may have landed: duplicates of a retried add are our own records, and a
        record a retried delete cannot find was deleted by it."""
        if operation == "insert":
            return self._resolve_duplicates(record_type, chunk, results)
        if operation == "delete":
            return [
                RowResult(ok=True, record_id=record.record_id)
                if result.error_code == "RCRD_DSNT_EXIST"
                else result
                for record, result in zip(chunk, results, strict=True)
            ]
        return results

    def _resolve_duplicates(
        self, record_type: RecordType, chunk: Sequence[OutgoingRecord], results: list[RowResult]
    ) -> list[RowResult]:
        duplicates = [index for index, result in enumerate(results) if result.error_code in DUPLICATE_CODES]
        if not duplicates:
            return results
        found = self.lookup(record_type, [RecordKey(chunk[index].external_id) for index in duplicates])
        settled = list(results)
        for index, lookup in zip(duplicates, found, strict=True):
            if lookup.ok:
                settled[index] = lookup
        logger.info("resolved %d duplicate(s) of a retried addList by external ID", sum(r.ok for r in found))
        return settled

    def ping(self) -> None:
        """getList of customer internalId 0: tells a wrong account, wrong keys and a missing permission
        apart (faults raise); RCRD_DSNT_EXIST means the login works."""
        builder = self._builder(STANDARD_TYPES["customer"])
        outcome = self._call("getList", {"baseRef": builder.refs([RecordKey("", "0")])}, 1, reads=True)
        result = outcome.value[0]
        if result.error_code == "INSUFFICIENT_PERMISSION":
            raise PermanentError(
                f"The access token's role is missing a permission: {result.error_message} Give the role that "
                f"permission in NetSuite (Setup > Users/Roles > Manage Roles).",
                code=result.error_code,
            )


# XML 1.0 cannot carry these characters; lxml refuses to write them.
XML_INCOMPATIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_problem(record: OutgoingRecord) -> RowResult | None:
    """A rejection for a record holding a character SOAP cannot carry (a control character)."""
    texts = [("externalId", record.external_id)]
    for name, value in record.fields.items():
        if isinstance(value, str):
            texts.append((name, value))
        elif isinstance(value, Reference):
            texts += [(name, value.internal_id), (name, value.external_id)]
    for name, text in texts:
        if XML_INCOMPATIBLE.search(text):
            return RowResult(
                ok=False,
                error_code="INVALID_FLD_VALUE",
                error_message=f"The value for {name} holds a control character that NetSuite's SOAP API "
                f"cannot carry; remove it from the source data.",
            )
    return None


def _request(
    builder: RecordBuilder, operation: str, chunk: Sequence[OutgoingRecord]
) -> tuple[str, dict[str, Any]]:
    if operation == "upsert":
        return "upsertList", {"record": builder.records(chunk)}
    if operation == "insert":
        return "addList", {"record": builder.records(chunk, nulls=False)}
    if operation == "update":
        return "updateList", {"record": builder.records(chunk, by_internal_id=True)}
    if operation == "archive":
        inactive = [OutgoingRecord(r.external_id, {"isInactive": True}, r.record_id) for r in chunk]
        return "updateList", {"record": builder.records(inactive, by_internal_id=True)}
    if operation == "delete":
        return "deleteList", {"baseRef": builder.refs(RecordKey(r.external_id, r.record_id) for r in chunk)}
    raise PermanentError(
        f"NetSuite cannot {operation!r} records; use upsert, insert, update, delete or archive."
    )


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
