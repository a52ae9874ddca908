"""zeep against the sandbox: requests built from NetSuite's real WSDL are accepted, and the sandbox's
own subset WSDL loads in zeep and builds messages that NetSuite's real schemas accept."""

import base64
import hashlib
import hmac
import secrets
import time

import pytest
import requests
import zeep
from lxml import etree
from zeep.plugins import HistoryPlugin

from tests.netsuite.real_schema import real_wsdl_path, validate_soap_message

VERSION = "2023_2"
CORE = f"urn:core_{VERSION}.platform.webservices.netsuite.com"
RELATIONSHIPS = f"urn:relationships_{VERSION}.lists.webservices.netsuite.com"
BINDING = f"{{urn:platform_{VERSION}.webservices.netsuite.com}}NetSuiteBinding"
ACCOUNT = "1234567_SB1"


@pytest.fixture(scope="module")
def real_client() -> tuple[zeep.Client, HistoryPlugin]:
    history = HistoryPlugin()
    return zeep.Client(str(real_wsdl_path()), plugins=[history]), history


def token_passport(client: zeep.Client, account: dict, **overrides: str):
    values = {
        "account": account["account_id"],
        "consumerKey": account["consumer_key"],
        "token": account["token_id"],
        "nonce": secrets.token_hex(10),
        "timestamp": str(int(time.time())),
    }
    values.update(overrides)
    message = "&".join(values[k] for k in ("account", "consumerKey", "token", "nonce", "timestamp"))
    key = f"{account['consumer_secret']}&{account['token_secret']}".encode()
    signature = base64.b64encode(hmac.new(key, message.encode(), hashlib.sha256).digest()).decode()
    passport_type = client.get_type(f"{{{CORE}}}TokenPassport")
    signature_type = client.get_type(f"{{{CORE}}}TokenPassportSignature")
    return passport_type(
        account=values["account"],
        consumerKey=values["consumerKey"],
        token=values["token"],
        nonce=values["nonce"],
        timestamp=int(values["timestamp"]),
        signature=signature_type(signature, algorithm="HMAC-SHA256"),
    )


def customers(client: zeep.Client) -> list:
    def typed(namespace: str, name: str):
        return client.get_type(f"{{{namespace}}}{name}")

    tier = typed(CORE, "SelectCustomFieldRef")(
        scriptId="custentity_tier", value=typed(CORE, "ListOrRecordRef")(externalId="gold")
    )
    since = typed(CORE, "DateCustomFieldRef")(scriptId="custentity_since", value="2024-01-31T00:00:00")
    acme = typed(RELATIONSHIPS, "Customer")(
        externalId="c1",
        companyName="Acme",
        email="ap@acme.example",
        isInactive=False,
        subsidiary=typed(CORE, "RecordRef")(internalId="1"),
        creditLimit=1500.0,
        customFieldList=typed(CORE, "CustomFieldList")(customField=[tier, since]),
    )
    broken = typed(RELATIONSHIPS, "Customer")(externalId="c2", email="not-an-email")
    return [acme, broken]


def test_an_upsert_list_built_by_zeep_from_the_real_wsdl_is_accepted(
    netsuite_sandbox, customized, real_client
):
    client, history = real_client
    service = client.create_service(BINDING, f"{customized['base_url']}/services/NetSuitePort_{VERSION}")

    result = service.upsertList(
        record=customers(client), _soapheaders={"tokenPassport": token_passport(client, customized)}
    )

    responses = result.body.writeResponseList.writeResponse
    assert [r.status.isSuccess for r in responses] == [True, False]
    assert responses[0].baseRef.externalId == "c1" and responses[0].baseRef.type == "customer"
    assert responses[1].status.statusDetail[0].code == "INVALID_FLD_VALUE"
    validate_soap_message(etree.tostring(history.last_received["envelope"]))
    [stored] = netsuite_sandbox.records(ACCOUNT, "customer")
    assert stored["internalId"] == responses[0].baseRef.internalId
    assert stored["fields"]["custentity_since"] == "2024-01-31"
    assert stored["fields"]["custentity_tier"]["externalId"] == "gold"
    assert stored["fields"]["creditLimit"] == 1500.0


def test_zeep_with_the_real_wsdl_reads_back_what_it_wrote(customized, real_client):
    client, history = real_client
    service = client.create_service(BINDING, f"{customized['base_url']}/services/NetSuitePort_{VERSION}")
    service.upsertList(
        record=customers(client)[:1], _soapheaders={"tokenPassport": token_passport(client, customized)}
    )
    record_ref = client.get_type(f"{{{CORE}}}RecordRef")

    result = service.getList(
        baseRef=[record_ref(type="customer", externalId="c1")],
        _soapheaders={"tokenPassport": token_passport(client, customized)},
    )

    [read] = result.body.readResponseList.readResponse
    assert read.status.isSuccess is True
    assert (read.record.companyName, read.record.subsidiary.name) == ("Acme", "Parent Company")
    by_script_id = {field.scriptId: field.value for field in read.record.customFieldList.customField}
    assert by_script_id["custentity_tier"].name == "Gold"
    assert by_script_id["custentity_since"].date().isoformat() == "2024-01-31"
    validate_soap_message(etree.tostring(history.last_received["envelope"]))


def test_zeep_sees_a_refused_login_as_a_fault_with_netsuites_detail(customized, real_client):
    client, _ = real_client
    service = client.create_service(BINDING, f"{customized['base_url']}/services/NetSuitePort_{VERSION}")

    with pytest.raises(zeep.exceptions.Fault) as raised:
        service.getList(
            baseRef=[client.get_type(f"{{{CORE}}}RecordRef")(type="customer", internalId="0")],
            _soapheaders={"tokenPassport": token_passport(client, customized, token="wrong")},
        )

    assert raised.value.message == "Invalid login attempt."
    [detail] = raised.value.detail
    assert etree.QName(detail).localname == "invalidCredentialsFault"
    assert detail.findtext(f"{{urn:faults_{VERSION}.platform.webservices.netsuite.com}}code") == (
        "INVALID_LOGIN_CREDENTIALS"
    )


def test_zeep_loads_the_sandboxs_own_wsdl_and_its_messages_are_valid_netsuite_messages(
    netsuite_sandbox, customized
):
    history = HistoryPlugin()
    client = zeep.Client(f"{customized['base_url']}/wsdl/v{VERSION}_0/netsuite.wsdl", plugins=[history])
    service = client.create_service(BINDING, f"{customized['base_url']}/services/NetSuitePort_{VERSION}")
    records = customers(client)
    headers = {"tokenPassport": token_passport(client, customized)}

    message = client.create_message(service, "upsertList", record=records, _soapheaders=headers)
    validate_soap_message(etree.tostring(message))
    result = service.upsertList(
        record=records, _soapheaders={"tokenPassport": token_passport(client, customized)}
    )

    assert [r.status.isSuccess for r in result.body.writeResponseList.writeResponse] == [True, False]
    assert netsuite_sandbox.count(ACCOUNT, "customer") == 1
    read = service.getList(
        baseRef=[client.get_type(f"{{{CORE}}}RecordRef")(type="customer", externalId="c1")],
        _soapheaders={"tokenPassport": token_passport(client, customized)},
    )
    assert read.body.readResponseList.readResponse[0].record.companyName == "Acme"


@pytest.mark.parametrize(
    "operation",
    [
        "add",
        "addList",
        "update",
        "updateList",
        "upsert",
        "upsertList",
        "delete",
        "deleteList",
        "get",
        "getList",
    ],
)
def test_the_sandboxs_wsdl_declares_the_record_operations(netsuite_sandbox, operation):
    client = zeep.Client(f"{netsuite_sandbox.base_url}/wsdl/v{VERSION}_0/netsuite.wsdl")

    assert operation in client.wsdl.bindings[BINDING]._operations


def test_the_sandbox_serves_its_schemas_only_for_the_versions_it_speaks(netsuite_sandbox):
    base = netsuite_sandbox.base_url

    assert requests.get(f"{base}/xsd/platform/v{VERSION}_0/core.xsd", timeout=10).status_code == 200
    assert requests.get(f"{base}/xsd/lists/v{VERSION}_0/relationships.xsd", timeout=10).status_code == 200
    assert requests.get(f"{base}/wsdl/v2019_1_0/netsuite.wsdl", timeout=10).status_code == 404
    assert requests.get(f"{base}/xsd/platform/v{VERSION}_0/nothing.xsd", timeout=10).status_code == 404
