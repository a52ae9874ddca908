"""With NetSuite's REAL 2023.2 WSDL loaded in zeep, every SOAP request the adapter sends to the
sandbox validates against the real XSDs: each operation, standard fields, every custom field
type, selects by internal and external ID, custom records. A zeep plugin captures the envelopes
as they leave."""

import datetime
from decimal import Decimal

import pytest
from lxml import etree
from zeep import Plugin, xsd

from destinations.adapters import OutgoingRecord, Reference
from netsuite import soap
from netsuite.records import record_type
from netsuite.transport import Endpoint
from tests.netsuite.adapter_helpers import adapter_for, customer, set_up_account
from tests.netsuite.real_schema import real_wsdl_path, validate_soap_message

VERSION = "2023_2"
MESSAGES = f"urn:messages_{VERSION}.platform.webservices.netsuite.com"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"


class Captured(Plugin):
    """Every envelope sent and received, serialized as it went over the wire."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []
        self.received: list[bytes] = []

    def egress(self, envelope, http_headers, operation, binding_options):
        self.sent.append(etree.tostring(envelope))
        return envelope, http_headers

    def ingress(self, envelope, http_headers, operation):
        self.received.append(etree.tostring(envelope))
        return envelope, http_headers

    def operations(self) -> list[str]:
        return [etree.QName(body_element(message)).localname for message in self.sent]


def body_element(message: bytes) -> etree._Element:
    return etree.fromstring(message).find(f"{{{SOAP_ENV}}}Body")[0]


@pytest.fixture
def account(netsuite_sandbox, netsuite_account):
    set_up_account(netsuite_sandbox, netsuite_account)
    return netsuite_account


@pytest.fixture
def real_wsdl() -> str:
    return str(real_wsdl_path())


@pytest.fixture
def captured(account, real_wsdl):
    schema = soap.schema_for(real_wsdl, VERSION, Endpoint(account["account_id"], account["base_url"], 5))
    plugin = Captured()
    schema.client.plugins.append(plugin)
    yield plugin
    schema.client.plugins.remove(plugin)


def every_field_type(n: int) -> OutgoingRecord:
    return customer(
        n,
        isPerson=False,
        phone=None,  # cleared: nullFieldList
        isInactive=False,
        creditLimit=Decimal("1500.25"),
        subsidiary=Reference(internal_id="1"),
        custentity_note="text",
        custentity_vip=True,
        custentity_since=datetime.date(2024, 5, 17),
        custentity_visits=12,
        custentity_score=Decimal("3.5"),
        custentity_spend=Decimal("10.10"),
        custentity_tier=Reference(external_id="gold"),
    )


def test_every_operation_sends_requests_valid_against_netsuites_real_schema(
    netsuite_sandbox, account, real_wsdl, captured
):
    adapter = adapter_for(account, "soap", wsdl_url=real_wsdl)
    write = adapter.write_batch

    upserted = write(
        object_type="customer", operation="upsert", records=[every_field_type(1), every_field_type(2)]
    )
    tier_by_internal_id = Reference(
        internal_id=netsuite_sandbox.records(account["account_id"], "customrecord_tier")[0]["internalId"]
    )
    write(
        object_type="customer", operation="upsert", records=[customer(3, custentity_tier=tier_by_internal_id)]
    )
    write(object_type="customer", operation="insert", records=[customer(4)])
    write(
        object_type="customer",
        operation="update",
        records=[
            OutgoingRecord("c-1", {"email": "new@example.com"}, upserted[0].record_id),
            OutgoingRecord("c-2", {"email": "new2@example.com"}),
        ],
    )
    write(object_type="customer", operation="archive", records=[OutgoingRecord("c-3")])
    write(
        object_type="customer",
        operation="delete",
        records=[OutgoingRecord("c-4"), OutgoingRecord("c-1", record_id=upserted[0].record_id)],
    )
    write(
        object_type="customrecord_tier",
        operation="upsert",
        records=[OutgoingRecord("bronze", {"name": "Bronze", "custrecord_rank": 3})],
    )
    write(object_type="customrecord_tier", operation="delete", records=[OutgoingRecord("bronze")])
    write(
        object_type="inventoryItem",
        operation="upsert",
        records=[OutgoingRecord("sku", {"itemId": "SKU", "cost": Decimal("1.25"), "custitem_colour": "red"})],
    )
    adapter.test_connection()  # getList

    assert captured.operations() == [
        "upsertList",
        "upsertList",
        "addList",
        "updateList",
        "updateList",
        "deleteList",
        "upsertList",
        "deleteList",
        "upsertList",
        "getList",
    ]
    for message in captured.sent + captured.received:
        validate_soap_message(message)


def test_the_upsert_carries_each_custom_field_type_and_both_kinds_of_select(account, real_wsdl, captured):
    tier = Reference(external_id="gold")
    subsidiary = Reference(internal_id="1")
    adapter_for(account, "soap", wsdl_url=real_wsdl).write_batch(
        object_type="customer", operation="upsert", records=[every_field_type(1)]
    )

    [message] = captured.sent
    validate_soap_message(message)
    record = body_element(message)[0]
    core = f"urn:core_{VERSION}.platform.webservices.netsuite.com"
    relationships = f"urn:relationships_{VERSION}.lists.webservices.netsuite.com"
    xsi_type = "{http://www.w3.org/2001/XMLSchema-instance}type"
    assert etree.QName(record).text == f"{{{MESSAGES}}}record"
    assert record.get("externalId") == "c-1"
    prefix, _, local = record.get(xsi_type).partition(":")
    assert (record.nsmap[prefix], local) == (relationships, "Customer")
    kinds = {
        field.get("scriptId"): field.get(xsi_type).partition(":")[2]
        for field in record.iterfind(f"{{{relationships}}}customFieldList/{{{core}}}customField")
    }
    assert kinds == {
        "custentity_note": "StringCustomFieldRef",
        "custentity_vip": "BooleanCustomFieldRef",
        "custentity_since": "DateCustomFieldRef",
        "custentity_visits": "LongCustomFieldRef",
        "custentity_score": "DoubleCustomFieldRef",
        "custentity_spend": "DoubleCustomFieldRef",
        "custentity_tier": "SelectCustomFieldRef",
    }
    tier_value = record.find(f".//{{{core}}}customField[@scriptId='custentity_tier']/{{{core}}}value")
    assert tier_value.get("externalId") == tier.external_id
    assert record.find(f"{{{relationships}}}subsidiary").get("internalId") == subsidiary.internal_id
    assert [n.text for n in record.iterfind(f"{{{core}}}nullFieldList/{{{core}}}name")] == ["phone"]


def test_the_passport_header_is_the_real_schemas_token_passport(account, real_wsdl, captured):
    adapter_for(account, "soap", wsdl_url=real_wsdl).test_connection()

    [message] = captured.sent
    envelope = validate_soap_message(message)
    [passport] = envelope.find(f"{{{SOAP_ENV}}}Header")
    assert etree.QName(passport).text == f"{{{MESSAGES}}}tokenPassport"
    assert [etree.QName(child).localname for child in passport] == [
        "account",
        "consumerKey",
        "token",
        "nonce",
        "timestamp",
        "signature",
    ]
    assert passport[-1].get("algorithm") == "HMAC-SHA256"
    assert passport[0].text == account["account_id"]


def canonical(element: etree._Element) -> tuple:
    """An element as namespace URIs and values, whatever prefixes zeep chose."""
    xsi_type = "{http://www.w3.org/2001/XMLSchema-instance}type"
    attributes = dict(element.attrib)
    if xsi_type in attributes:
        prefix, _, local = attributes[xsi_type].rpartition(":")
        attributes[xsi_type] = f"{{{element.nsmap[prefix or None]}}}{local}"
    return (
        element.tag,
        sorted(attributes.items()),
        (element.text or "").strip(),
        [canonical(c) for c in element],
    )


def test_trimmed_records_render_exactly_as_zeep_renders_the_same_values(real_wsdl):
    """The trimmed record type skips zeep's per-element checks; its XML must not differ."""
    schema = soap.schema_for(real_wsdl, VERSION, Endpoint("1234567_SB1", "http://127.0.0.1:9", 5))
    builder = soap.RecordBuilder(schema, record_type("customer"))
    batch = [
        every_field_type(1),
        customer(2, category=Reference(external_id="retail"), isInactive=True),
        OutgoingRecord("c-3", {"companyName": "Three", "custentity_note": None}, record_id="33"),
    ]
    trimmed_records = builder.records(batch, by_internal_id=True)
    zeep_type = xsd.ComplexType(
        xsd.Sequence([element for _name, element in trimmed_records[0]._xsd_type.elements]),
        attributes=[attribute for _name, attribute in trimmed_records[0]._xsd_type.attributes],
        qname=trimmed_records[0]._xsd_type.qname,
    )
    zeep_records = [
        zeep_type(**{k: v for k, v in r.__values__.items() if v is not None}) for r in trimmed_records
    ]
    service = schema.client.create_service(schema.binding, "http://127.0.0.1:9/services/NetSuitePort_2023_2")

    ours = schema.client.create_message(service, "upsertList", record=trimmed_records)
    zeeps = schema.client.create_message(service, "upsertList", record=zeep_records)

    assert canonical(ours) == canonical(zeeps)
    validate_soap_message(etree.tostring(ours))
    assert len(ours.find(f"{{{SOAP_ENV}}}Body")[0]) == 3
