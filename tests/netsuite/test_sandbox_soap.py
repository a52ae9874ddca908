"""SuiteTalk SOAP record operations against the sandbox: per-record results as NetSuite gives them.

Every answer read here is validated against NetSuite's real 2023.2 schemas by `sandbox_soap.call`.
"""

import pytest
from lxml import etree

from tests.netsuite.conftest import NS
from tests.netsuite.real_schema import validate_soap_message

ACCOUNT = "1234567_SB1"


def record(
    xsi_type: str, inner: str = "", *, external_id: str | None = None, internal_id: str | None = None
) -> str:
    ids = "".join(
        f' {name}="{value}"'
        for name, value in (("externalId", external_id), ("internalId", internal_id))
        if value
    )
    return f'<msgs:record xsi:type="{xsi_type}"{ids}>{inner}</msgs:record>'


def customer(
    external_id: str | None, inner: str = "<rel:companyName>Acme</rel:companyName>", **ids: str
) -> str:
    return record("rel:Customer", inner, external_id=external_id, **ids)


def custom_fields(*fields: str, prefix: str = "rel") -> str:
    return f"<{prefix}:customFieldList>{''.join(fields)}</{prefix}:customFieldList>"


def custom_field(script_id: str, ref_type: str, value: str) -> str:
    return f'<core:customField xsi:type="core:{ref_type}" scriptId="{script_id}">{value}</core:customField>'


def ref(kind: str = "RecordRef", **attributes: str) -> str:
    attrs = "".join(f' {name}="{value}"' for name, value in attributes.items())
    return f'<msgs:baseRef xsi:type="core:{kind}"{attrs}/>'


def outcome(status: dict) -> tuple:
    return (status["ok"], status["code"])


def test_upsert_list_creates_then_updates_by_external_id_answering_in_order(netsuite_sandbox, sandbox_soap):
    created = sandbox_soap.call("upsertList", customer("c1") + customer("c2"))
    updated = sandbox_soap.call(
        "upsertList", customer("c2", "<rel:companyName>Globex</rel:companyName>") + customer("c3")
    )

    assert [outcome(s) for s in created.statuses()] == [(True, None), (True, None)]
    first, second = (s["ref"] for s in created.statuses())
    assert first.get("externalId") == "c1" and first.get("type") == "customer"
    assert first.get("{http://www.w3.org/2001/XMLSchema-instance}type").endswith(":RecordRef")
    assert [s["ref"].get("internalId") for s in updated.statuses()][0] == second.get("internalId")
    stored = {r["externalId"]: r for r in netsuite_sandbox.records(ACCOUNT, "customer")}
    assert sorted(stored) == ["c1", "c2", "c3"]
    assert stored["c2"]["fields"]["companyName"] == "Globex"
    assert stored["c2"]["internalId"] == second.get("internalId")


def test_elements_and_types_are_resolved_by_namespace_not_prefix(netsuite_sandbox, sandbox_soap):
    body = (
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
        f"<soap:Header>{sandbox_soap.passport()}</soap:Header>"
        '<soap:Body><upsertList xmlns="urn:messages_2023_2.platform.webservices.netsuite.com">'
        '<record xmlns:q="urn:relationships_2023_2.lists.webservices.netsuite.com" '
        'xmlns:i="http://www.w3.org/2001/XMLSchema-instance" i:type="q:Customer" externalId="p1">'
        "<q:companyName>Prefixless</q:companyName>"
        '<q:subsidiary internalId="1"/></record>'
        '<record xmlns:i="http://www.w3.org/2001/XMLSchema-instance" i:type="Customer" externalId="p2">'
        "<companyName>Wrong namespace</companyName></record>"
        "</upsertList></soap:Body></soap:Envelope>"
    ).encode()

    response = sandbox_soap.post(body)
    envelope = validate_soap_message(response.content)

    statuses = envelope.findall(".//{urn:core_2023_2.platform.webservices.netsuite.com}status")
    assert [s.get("isSuccess") for s in statuses] == ["true", "false"]
    [stored] = netsuite_sandbox.records(ACCOUNT, "customer")
    assert stored["fields"] == {
        "companyName": "Prefixless",
        "subsidiary": {"internalId": "1", "externalId": None},
    }


def test_add_list_refuses_an_external_id_already_taken_by_the_same_record_type(sandbox_soap):
    item = record("acct:InventoryItem", "<acct:itemId>SKU-1</acct:itemId>", external_id="i1")
    sandbox_soap.call("addList", customer("c1") + item)
    vendor = record("rel:Vendor", "<rel:companyName>Vendor Co</rel:companyName>", external_id="c1")

    again = sandbox_soap.call("addList", customer("c1") + item + vendor + customer(None))

    assert [outcome(s) for s in again.statuses()] == [
        (False, "DUP_ENTITY"),
        (False, "DUP_RCRD"),
        (True, None),
        (True, None),
    ]
    assert again.statuses()[0]["message"] == "This entity already exists."
    assert again.statuses()[1]["message"] == "This record already exists."


def test_a_list_sees_the_records_written_earlier_in_the_same_list(netsuite_sandbox, sandbox_soap):
    contact = record(
        "rel:Contact",
        '<rel:company xsi:type="core:RecordRef" externalId="c1"/><rel:lastName>Lovelace</rel:lastName>',
        external_id="k1",
    )
    answer = sandbox_soap.call("addList", customer("c1") + contact + customer("c1"))

    assert [outcome(s) for s in answer.statuses()] == [(True, None), (True, None), (False, "DUP_ENTITY")]
    [stored] = netsuite_sandbox.records(ACCOUNT, "contact")
    assert stored["fields"]["company"]["externalId"] == "c1"


@pytest.mark.parametrize(
    ("xsi_type", "inner", "message"),
    [
        ("rel:Customer", "<rel:email>a@b.co</rel:email>", "Please enter value(s) for: Company Name"),
        (
            "rel:Customer",
            "<rel:isPerson>true</rel:isPerson><rel:firstName>Ada</rel:firstName>",
            "Please enter value(s) for: Last Name",
        ),
        ("rel:Vendor", "<rel:phone>555</rel:phone>", "Please enter value(s) for: Company Name"),
        ("rel:Contact", "<rel:title>CTO</rel:title>", "Please enter value(s) for: Last Name"),
        (
            "acct:InventoryItem",
            "<acct:displayName>Widget</acct:displayName>",
            "Please enter value(s) for: Item Name/Number",
        ),
        ("acct:NonInventorySaleItem", "", "Please enter value(s) for: Item Name/Number"),
    ],
)
def test_a_new_record_without_its_required_fields_is_a_user_error(sandbox_soap, xsi_type, inner, message):
    answer = sandbox_soap.call("upsertList", record(xsi_type, inner, external_id="x1"))

    [status] = answer.statuses()
    assert (status["ok"], status["code"], status["message"]) == (False, "USER_ERROR", message)


def test_a_person_customer_needs_first_and_last_name_but_no_company(sandbox_soap):
    person = (
        "<rel:isPerson>true</rel:isPerson><rel:firstName>Ada</rel:firstName><rel:lastName>L</rel:lastName>"
    )

    answer = sandbox_soap.call("addList", customer("p1", person))

    assert [outcome(s) for s in answer.statuses()] == [(True, None)]


def test_a_oneworld_account_requires_a_subsidiary(netsuite_sandbox, sandbox_soap, netsuite_account):
    token = {k: netsuite_account[k] for k in ("consumer_key", "consumer_secret", "token_id", "token_secret")}
    netsuite_sandbox.create_account(
        account_id=ACCOUNT, oneworld=True, tokens=[{**token, "permissions": "all"}]
    )
    with_subsidiary = '<rel:companyName>Acme</rel:companyName><rel:subsidiary internalId="1"/>'

    answer = sandbox_soap.call("addList", customer("c1") + customer("c2", with_subsidiary))

    assert [outcome(s) for s in answer.statuses()] == [(False, "USER_ERROR"), (True, None)]
    assert answer.statuses()[0]["message"] == "Please enter value(s) for: Primary Subsidiary"


def test_updates_need_no_required_fields_but_cannot_clear_them(netsuite_sandbox, sandbox_soap):
    sandbox_soap.call(
        "addList", customer("c1", "<rel:companyName>Acme</rel:companyName><rel:phone>1</rel:phone>")
    )
    clear_phone = (
        "<core:nullFieldList><core:name>phone</core:name></core:nullFieldList><rel:email>a@b.co</rel:email>"
    )
    clear_company = "<core:nullFieldList><core:name>companyName</core:name></core:nullFieldList>"

    answer = sandbox_soap.call("updateList", customer("c1", clear_phone) + customer("c1", clear_company))

    assert [outcome(s) for s in answer.statuses()] == [(True, None), (False, "USER_ERROR")]
    [stored] = netsuite_sandbox.records(ACCOUNT, "customer")
    assert stored["fields"] == {"companyName": "Acme", "email": "a@b.co"}


def test_update_and_delete_of_a_missing_record_answer_that_it_does_not_exist(sandbox_soap):
    created = sandbox_soap.call("addList", customer("c1"))
    internal_id = created.statuses()[0]["ref"].get("internalId")

    update = sandbox_soap.call(
        "updateList",
        customer("nope") + customer(None, internal_id="99999") + customer(None, internal_id=internal_id),
    )
    delete = sandbox_soap.call(
        "deleteList",
        ref(type="customer", externalId="nope") + ref(type="vendor", internalId=internal_id),
    )

    assert [outcome(s) for s in update.statuses()] == [
        (False, "RCRD_DSNT_EXIST"),
        (False, "RCRD_DSNT_EXIST"),
        (True, None),
    ]
    assert update.statuses()[0]["message"] == "That record does not exist."
    assert [outcome(s) for s in delete.statuses()] == [(False, "RCRD_DSNT_EXIST"), (False, "RCRD_DSNT_EXIST")]


def test_delete_list_removes_records_by_internal_or_external_id(netsuite_sandbox, sandbox_soap):
    created = sandbox_soap.call("addList", customer("c1") + customer("c2") + customer("c3"))
    first_id = created.statuses()[0]["ref"].get("internalId")

    answer = sandbox_soap.call(
        "deleteList", ref(type="customer", internalId=first_id) + ref(type="customer", externalId="c2")
    )

    assert [outcome(s) for s in answer.statuses()] == [(True, None), (True, None)]
    assert answer.statuses()[0]["ref"].get("internalId") == first_id
    assert [r["externalId"] for r in netsuite_sandbox.records(ACCOUNT, "customer")] == ["c3"]


def test_get_list_reads_records_with_their_fields_in_schema_order(customized, sandbox_soap):
    fields = (
        "<rel:isPerson>false</rel:isPerson><rel:companyName>Acme &amp; Co</rel:companyName>"
        '<rel:email>a@b.co</rel:email><rel:subsidiary internalId="1"/><rel:creditLimit>2500</rel:creditLimit>'
        + custom_fields(
            custom_field("custentity_tier", "SelectCustomFieldRef", '<core:value externalId="gold"/>'),
            custom_field(
                "custentity_since", "DateCustomFieldRef", "<core:value>2024-01-31T00:00:00Z</core:value>"
            ),
            custom_field("custentity_vip", "BooleanCustomFieldRef", "<core:value>true</core:value>"),
        )
    )
    sandbox_soap.call("upsertList", customer("c1", fields))

    answer = sandbox_soap.call(
        "getList", ref(type="customer", externalId="c1") + ref(type="customer", internalId="5")
    )

    found, missing = answer.statuses()
    assert outcome(missing) == (False, "RCRD_DSNT_EXIST") and missing["record"] is None
    got = found["record"]
    assert got.get("externalId") == "c1"
    assert got.findtext("rel:companyName", namespaces=sandbox_soap.ns) == "Acme & Co"
    assert got.find("rel:subsidiary", sandbox_soap.ns).findtext("core:name", namespaces=sandbox_soap.ns) == (
        "Parent Company"
    )
    assert float(got.findtext("rel:creditLimit", namespaces=sandbox_soap.ns)) == 2500
    customs = {
        c.get("scriptId"): c for c in got.findall("rel:customFieldList/core:customField", sandbox_soap.ns)
    }
    assert customs["custentity_tier"].find("core:value", sandbox_soap.ns).get("externalId") == "gold"
    assert customs["custentity_tier"].find("core:value", sandbox_soap.ns).get("typeId") == "11"
    assert (
        customs["custentity_since"]
        .findtext("core:value", namespaces=sandbox_soap.ns)
        .startswith("2024-01-31T")
    )
    assert customs["custentity_vip"].findtext("core:value", namespaces=sandbox_soap.ns) == "true"


def test_stored_fields_are_json_with_refs_and_iso_dates(netsuite_sandbox, customized, sandbox_soap):
    fields = "<rel:companyName>Acme</rel:companyName>" + custom_fields(
        custom_field("custentity_tier", "SelectCustomFieldRef", '<core:value externalId="gold"/>'),
        custom_field(
            "custentity_since", "DateCustomFieldRef", "<core:value>2024-01-31T09:30:00-05:00</core:value>"
        ),
        custom_field("custentity_score", "DoubleCustomFieldRef", "<core:value>4.5</core:value>"),
        custom_field("custentity_visits", "LongCustomFieldRef", "<core:value>12</core:value>"),
        custom_field("custentity_note", "StringCustomFieldRef", "<core:value>hello</core:value>"),
    )

    sandbox_soap.call("upsertList", customer("c1", fields))

    [gold] = netsuite_sandbox.records(ACCOUNT, "customrecord_tier")
    [stored] = netsuite_sandbox.records(ACCOUNT, "customer")
    assert stored["fields"] == {
        "companyName": "Acme",
        "custentity_tier": {"internalId": gold["internalId"], "externalId": "gold"},
        "custentity_since": "2024-01-31",
        "custentity_score": 4.5,
        "custentity_visits": 12,
        "custentity_note": "hello",
    }


@pytest.mark.parametrize(
    ("inner", "message"),
    [
        (
            "<rel:email>not-an-email</rel:email>",
            "You have entered an Invalid Field Value not-an-email for the following field: email",
        ),
        (
            "<rel:email>a@b@c.co</rel:email>",
            "You have entered an Invalid Field Value a@b@c.co for the following field: email",
        ),
        (
            "<rel:isInactive>yes</rel:isInactive>",
            "You have entered an Invalid Field Value yes for the following field: isInactive",
        ),
        (
            "<rel:creditLimit>lots</rel:creditLimit>",
            "You have entered an Invalid Field Value lots for the following field: creditLimit",
        ),
        (
            custom_fields(
                custom_field("custentity_since", "DateCustomFieldRef", "<core:value>31/01/2024</core:value>")
            ),
            "You have entered an Invalid Field Value 31/01/2024 for the following field: custentity_since",
        ),
        (
            custom_fields(
                custom_field("custentity_visits", "LongCustomFieldRef", "<core:value>1.5</core:value>")
            ),
            "You have entered an Invalid Field Value 1.5 for the following field: custentity_visits",
        ),
        (
            custom_fields(
                custom_field("custentity_vip", "StringCustomFieldRef", "<core:value>true</core:value>")
            ),
            "You have entered an Invalid Field Value true for the following field: custentity_vip",
        ),
        (
            custom_fields(
                custom_field("custentity_nope", "StringCustomFieldRef", "<core:value>x</core:value>")
            ),
            "You have entered an Invalid Field Value x for the following field: custentity_nope",
        ),
    ],
)
def test_a_value_that_does_not_fit_its_field_is_an_invalid_field_value(
    customized, sandbox_soap, inner, message
):
    answer = sandbox_soap.call(
        "upsertList", customer("c1", "<rel:companyName>Acme</rel:companyName>" + inner)
    )

    [status] = answer.statuses()
    assert (status["ok"], status["code"], status["message"]) == (False, "INVALID_FLD_VALUE", message)


@pytest.mark.parametrize(
    ("inner", "message"),
    [
        ('<rel:subsidiary internalId="99"/>', "Invalid subsidiary reference key 99."),
        ('<rel:subsidiary externalId="emea"/>', "Invalid subsidiary reference key emea."),
        (
            custom_fields(
                custom_field("custentity_tier", "SelectCustomFieldRef", '<core:value externalId="platinum"/>')
            ),
            "Invalid custentity_tier reference key platinum.",
        ),
    ],
)
def test_a_select_pointing_at_nothing_is_an_invalid_reference(customized, sandbox_soap, inner, message):
    answer = sandbox_soap.call(
        "upsertList", customer("c1", "<rel:companyName>Acme</rel:companyName>" + inner)
    )

    [status] = answer.statuses()
    assert (status["ok"], status["code"], status["message"]) == (False, "INVALID_KEY_OR_REF", message)


def test_a_contact_company_must_be_a_customer_or_vendor(sandbox_soap):
    vendor = record("rel:Vendor", "<rel:companyName>Supplies</rel:companyName>", external_id="v1")
    item = record("acct:InventoryItem", "<acct:itemId>SKU</acct:itemId>", external_id="i1")
    sandbox_soap.call("addList", vendor + item)

    def contact(company_external_id: str) -> str:
        company = f'<rel:company externalId="{company_external_id}"/><rel:firstName>Grace</rel:firstName>'
        return record("rel:Contact", company, external_id=f"k-{company_external_id}")

    answer = sandbox_soap.call("addList", contact("v1") + contact("i1"))

    assert [outcome(s) for s in answer.statuses()] == [(True, None), (False, "INVALID_KEY_OR_REF")]


def test_a_required_custom_field_is_required_on_a_new_record(customized, sandbox_soap):
    colour = custom_fields(
        custom_field("custitem_colour", "StringCustomFieldRef", "<core:value>red</core:value>"), prefix="acct"
    )
    answer = sandbox_soap.call(
        "addList",
        record("acct:InventoryItem", "<acct:itemId>A</acct:itemId>", external_id="i1")
        + record("acct:InventoryItem", "<acct:itemId>B</acct:itemId>" + colour, external_id="i2"),
    )

    assert [outcome(s) for s in answer.statuses()] == [(False, "USER_ERROR"), (True, None)]
    assert answer.statuses()[0]["message"] == "Please enter value(s) for: Colour"


def test_upsert_requires_an_external_id(sandbox_soap):
    answer = sandbox_soap.call("upsertList", customer(None))

    [status] = answer.statuses()
    assert outcome(status) == (False, "EXTERNALID_REQD")


def test_an_unsupported_record_type_is_refused_per_record(sandbox_soap):
    answer = sandbox_soap.call("upsertList", record("rel:Partner", "", external_id="x") + customer("c1"))

    assert [outcome(s) for s in answer.statuses()] == [(False, "INVALID_RCRD_TYPE"), (True, None)]


def test_custom_records_are_written_read_and_deleted_by_their_custom_record_type(
    netsuite_sandbox, customized, sandbox_soap
):
    rank = custom_fields(
        custom_field("custrecord_rank", "LongCustomFieldRef", "<core:value>2</core:value>"), prefix="custom"
    )
    silver = record(
        "custom:CustomRecord",
        f'<custom:name>Silver</custom:name><custom:recType internalId="11"/>{rank}',
        external_id="silver",
    )
    unknown_type = record(
        "custom:CustomRecord", '<custom:name>X</custom:name><custom:recType internalId="77"/>'
    )

    written = sandbox_soap.call("upsertList", silver + unknown_type)
    read = sandbox_soap.call("getList", ref("CustomRecordRef", typeId="11", externalId="silver"))
    deleted = sandbox_soap.call("deleteList", ref("CustomRecordRef", typeId="11", externalId="silver"))

    assert [outcome(s) for s in written.statuses()] == [(True, None), (False, "INVALID_RCRD_TYPE")]
    base_ref = written.statuses()[0]["ref"]
    assert base_ref.get("{http://www.w3.org/2001/XMLSchema-instance}type").endswith(":CustomRecordRef")
    assert base_ref.get("typeId") == "11"
    got = read.statuses()[0]["record"]
    assert got.findtext("custom:name", namespaces=sandbox_soap.ns) == "Silver"
    assert got.find("custom:recType", sandbox_soap.ns).get("internalId") == "11"
    assert outcome(deleted.statuses()[0]) == (True, None)
    assert [r["externalId"] for r in netsuite_sandbox.records(ACCOUNT, "customrecord_tier")] == ["gold"]


def test_items_live_in_the_accounting_namespace(netsuite_sandbox, sandbox_soap):
    items = record(
        "acct:InventoryItem",
        "<acct:salesDescription>Blue</acct:salesDescription><acct:cost>3.5</acct:cost><acct:itemId>W-1</acct:itemId>",
        external_id="w1",
    ) + record("acct:NonInventorySaleItem", "<acct:itemId>SVC</acct:itemId>", external_id="s1")

    answer = sandbox_soap.call("upsertList", items)

    assert [s["ref"].get("type") for s in answer.statuses()] == ["inventoryItem", "nonInventorySaleItem"]
    [widget] = netsuite_sandbox.records(ACCOUNT, "inventoryItem")
    assert widget["fields"] == {"salesDescription": "Blue", "cost": 3.5, "itemId": "W-1"}
    assert netsuite_sandbox.count(ACCOUNT, "nonInventorySaleItem") == 1


def test_single_record_operations_answer_one_write_or_read_response(sandbox_soap):
    added = sandbox_soap.call("add", customer("c1"))
    upserted = sandbox_soap.call("upsert", customer("c1", "<rel:companyName>New</rel:companyName>"))
    updated = sandbox_soap.call("update", customer("c1", "<rel:phone>5</rel:phone>"))
    got = sandbox_soap.call("get", ref(type="customer", externalId="c1"))
    deleted = sandbox_soap.call("delete", ref(type="customer", externalId="c1"))
    gone = sandbox_soap.call("get", ref(type="customer", externalId="c1"))

    assert added.find("soapenv:Body/msgs:addResponse/msgs:writeResponse") is not None
    assert [outcome(a.statuses()[0]) for a in (added, upserted, updated, got, deleted)] == [(True, None)] * 5
    assert got.find("soapenv:Body/msgs:getResponse/msgs:readResponse/msgs:record") is not None
    assert outcome(gone.statuses()[0]) == (False, "RCRD_DSNT_EXIST")


@pytest.mark.parametrize(
    ("operation", "limit"),
    [("upsertList", 100), ("updateList", 100), ("addList", 200), ("deleteList", 200)],
)
def test_a_list_over_netsuites_record_limit_is_refused_whole(
    netsuite_sandbox, sandbox_soap, operation, limit
):
    def items(count: int) -> str:
        if operation == "deleteList":
            return "".join(ref(type="customer", externalId=f"c{i}") for i in range(count))
        return "".join(customer(f"c{i}") for i in range(count))

    over = sandbox_soap.call(operation, items(limit + 1))
    at_limit = sandbox_soap.call(operation, items(limit))

    fault = over.fault()
    assert (fault["element"], fault["code"]) == ("exceededRecordCountFault", "MAX_RCRDS_EXCEEDED")
    assert over.status_code == 500
    assert at_limit.status_code == 200 and len(at_limit.statuses()) == limit
    if operation in ("upsertList", "addList"):
        assert netsuite_sandbox.count(ACCOUNT, "customer") == limit


def test_an_account_sees_only_its_own_records(netsuite_sandbox, sandbox_soap, netsuite_account):
    other = {"consumer_key": "ck2", "consumer_secret": "cs2", "token_id": "tk2", "token_secret": "ts2"}
    netsuite_sandbox.create_account(account_id="7654321", tokens=[{**other, "permissions": "all"}])
    sandbox_soap.call("addList", customer("c1"))
    other_passport = sandbox_soap.passport(
        account="7654321", consumer_key="ck2", consumer_secret="cs2", token="tk2", token_secret="ts2"
    )

    answer = sandbox_soap.call("getList", ref(type="customer", externalId="c1"), header=other_passport)

    assert outcome(answer.statuses()[0]) == (False, "RCRD_DSNT_EXIST")
    assert netsuite_sandbox.count("7654321", "customer") == 0


EVERY_FIELD = {
    "rel:Customer": (
        "<rel:entityId>C-1</rel:entityId><rel:isPerson>false</rel:isPerson><rel:firstName>Ada</rel:firstName>"
        "<rel:lastName>Lovelace</rel:lastName><rel:companyName>Acme</rel:companyName><rel:phone>1</rel:phone>"
        "<rel:fax>2</rel:fax><rel:email>a@b.co</rel:email><rel:url>https://acme.example</rel:url>"
        '<rel:isInactive>false</rel:isInactive><rel:category internalId="3"/><rel:altPhone>3</rel:altPhone>'
        '<rel:comments>Hello</rel:comments><rel:subsidiary internalId="1"/><rel:salesRep internalId="-5"/>'
        '<rel:terms internalId="2"/><rel:creditLimit>100.5</rel:creditLimit><rel:currency internalId="1"/>'
        + custom_fields(
            custom_field("custentity_tier", "SelectCustomFieldRef", '<core:value externalId="gold"/>'),
            custom_field(
                "custentity_since", "DateCustomFieldRef", "<core:value>2024-01-31T00:00:00Z</core:value>"
            ),
            custom_field("custentity_vip", "BooleanCustomFieldRef", "<core:value>true</core:value>"),
            custom_field("custentity_score", "DoubleCustomFieldRef", "<core:value>4.5</core:value>"),
            custom_field("custentity_visits", "LongCustomFieldRef", "<core:value>12</core:value>"),
            custom_field("custentity_note", "StringCustomFieldRef", "<core:value>n</core:value>"),
        )
    ),
    "rel:Contact": (
        '<rel:entityId>K-1</rel:entityId><rel:company externalId="base"/><rel:firstName>Grace</rel:firstName>'
        "<rel:lastName>Hopper</rel:lastName><rel:title>RADM</rel:title><rel:phone>1</rel:phone>"
        '<rel:email>g@h.co</rel:email><rel:isInactive>true</rel:isInactive><rel:subsidiary internalId="1"/>'
    ),
    "rel:Vendor": (
        "<rel:entityId>V-1</rel:entityId><rel:isPerson>true</rel:isPerson><rel:firstName>Alan</rel:firstName>"
        "<rel:lastName>Turing</rel:lastName><rel:companyName>Bletchley</rel:companyName><rel:phone>1</rel:phone>"
        '<rel:email>a@t.co</rel:email><rel:isInactive>false</rel:isInactive><rel:subsidiary internalId="1"/>'
        "<rel:creditLimit>10</rel:creditLimit>"
    ),
    "acct:InventoryItem": (
        "<acct:salesDescription>Blue widget</acct:salesDescription><acct:cost>2.25</acct:cost>"
        "<acct:itemId>W-1</acct:itemId><acct:upcCode>0123</acct:upcCode><acct:displayName>Widget</acct:displayName>"
        "<acct:isInactive>false</acct:isInactive>"
        + custom_fields(
            custom_field("custitem_colour", "StringCustomFieldRef", "<core:value>blue</core:value>"),
            prefix="acct",
        )
    ),
    "acct:NonInventorySaleItem": (
        "<acct:salesDescription>Setup</acct:salesDescription><acct:itemId>S-1</acct:itemId>"
        "<acct:upcCode>9</acct:upcCode><acct:displayName>Setup fee</acct:displayName>"
        "<acct:isInactive>true</acct:isInactive>"
    ),
    "custom:CustomRecord": (
        "<custom:isInactive>false</custom:isInactive><custom:name>Bronze</custom:name>"
        '<custom:recType internalId="11"/>'
        + custom_fields(
            custom_field("custrecord_rank", "LongCustomFieldRef", "<core:value>3</core:value>"),
            prefix="custom",
        )
    ),
}
REF_TYPES = {
    "rel:Customer": 'type="customer"',
    "rel:Contact": 'type="contact"',
    "rel:Vendor": 'type="vendor"',
    "acct:InventoryItem": 'type="inventoryItem"',
    "acct:NonInventorySaleItem": 'type="nonInventorySaleItem"',
    "custom:CustomRecord": 'typeId="11"',
}


@pytest.mark.parametrize("xsi_type", list(EVERY_FIELD))
def test_every_field_of_every_record_type_reads_back_in_netsuites_schema_order(
    customized, sandbox_soap, xsi_type
):
    sandbox_soap.call("addList", customer("base"))
    written = sandbox_soap.call("upsertList", record(xsi_type, EVERY_FIELD[xsi_type], external_id="full"))
    assert [outcome(s) for s in written.statuses()] == [(True, None)], written.statuses()[0]["message"]
    kind = "CustomRecordRef" if xsi_type.startswith("custom:") else "RecordRef"
    base_ref = f'<msgs:baseRef xsi:type="core:{kind}" {REF_TYPES[xsi_type]} externalId="full"/>'

    answer = sandbox_soap.call("getList", base_ref)  # validated against NetSuite's real schema

    sent = etree.fromstring(
        f"<r {' '.join(f'xmlns:{p}={u!r}' for p, u in NS.items())}>{EVERY_FIELD[xsi_type]}</r>"
    )
    got = answer.statuses()[0]["record"]
    assert [etree.QName(child).localname for child in got] == [etree.QName(child).localname for child in sent]


def test_a_request_that_is_not_xml_gets_a_soap_fault(sandbox_soap):
    response = sandbox_soap.post(b"<soapenv:Envelope>not xml")

    envelope = validate_soap_message(response.content)
    assert response.status_code == 500
    assert envelope.findtext(".//faultcode") == "soapenv:Client"


def test_an_operation_the_sandbox_does_not_serve_is_an_unexpected_error(sandbox_soap):
    answer = sandbox_soap.call("getAll", '<msgs:record recordType="currency"/>')

    fault = answer.fault()
    assert (fault["element"], fault["code"]) == ("unexpectedErrorFault", "UNEXPECTED_ERROR")
