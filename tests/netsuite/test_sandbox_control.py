"""The sandbox's control and inspection API (/_sandbox/), and its start command."""

import json

import pytest
import requests

from tests.netsuite.conftest import CREDENTIALS, SoapClient, start_sandbox, stop_sandbox

ACCOUNT = "1234567_SB1"
CUSTOMER = (
    '<msgs:record xsi:type="rel:Customer" externalId="{eid}">'
    "<rel:companyName>Acme</rel:companyName></msgs:record>"
)
GET_ONE = '<msgs:baseRef xsi:type="core:RecordRef" type="customer" internalId="0"/>'


def add_customers(client: SoapClient, *external_ids: str) -> None:
    answer = client.call("upsertList", "".join(CUSTOMER.format(eid=eid) for eid in external_ids))
    assert all(status["ok"] for status in answer.statuses())


@pytest.mark.parametrize(
    "body",
    [
        {"account_id": "acme"},
        {"account_id": ACCOUNT, "concurrency_limit": 0},
        {"account_id": ACCOUNT, "tokens": [{"consumer_key": "only"}]},
        {"account_id": ACCOUNT, "custom_fields": [{"record_type": "customer", "script_id": "custitem_x"}]},
        {"account_id": ACCOUNT, "custom_fields": [{"record_type": "order", "script_id": "custbody_x"}]},
        {"account_id": ACCOUNT, "custom_record_types": [{"script_id": "tier", "internal_id": "1"}]},
        {"account_id": ACCOUNT, "records": [{"type": "customer", "fields": {"companyName": "No id"}}]},
        {"account_id": ACCOUNT, "records": [{"type": "customer", "external_id": "x", "fields": {}}]},
        {"account_id": ACCOUNT, "tokens": [{**CREDENTIALS, "permissions": ["customers"]}]},
        {"account_id": ACCOUNT, "colour": "blue"},
    ],
)
def test_an_account_the_sandbox_cannot_set_up_is_refused_with_the_reason(netsuite_sandbox, body):
    response = requests.post(f"{netsuite_sandbox.base_url}/_sandbox/accounts", json=body, timeout=10)

    assert response.status_code == 400
    assert response.json()["error"]


def test_creating_an_account_answers_201_with_its_id_and_seeds_the_parent_subsidiary(netsuite_sandbox):
    response = requests.post(
        f"{netsuite_sandbox.base_url}/_sandbox/accounts", json={"account_id": "7654321"}, timeout=10
    )

    assert (response.status_code, response.json()) == (201, {"account_id": "7654321"})
    assert netsuite_sandbox.records("7654321", "subsidiary") == [
        {"internalId": "1", "externalId": None, "fields": {"name": "Parent Company", "isInactive": False}}
    ]


def test_records_are_listed_a_page_at_a_time_and_counted(netsuite_sandbox, sandbox_soap):
    add_customers(sandbox_soap, "a", "b", "c")

    page = netsuite_sandbox.records(ACCOUNT, "customer", limit=2, offset=1)

    assert [r["externalId"] for r in page] == ["b", "c"]
    assert netsuite_sandbox.count(ACCOUNT, "customer") == 3
    assert netsuite_sandbox.count(ACCOUNT, "vendor") == 0


def test_inspecting_an_unknown_account_or_type_is_not_found(netsuite_sandbox, netsuite_account):
    base = netsuite_sandbox.base_url

    assert requests.get(f"{base}/_sandbox/accounts/999/records/customer", timeout=10).status_code == 404
    assert (
        requests.get(f"{base}/_sandbox/accounts/{ACCOUNT}/records/order/count", timeout=10).status_code == 404
    )


def test_reposting_an_account_replaces_its_configuration_and_keeps_its_records(
    netsuite_sandbox, sandbox_soap
):
    add_customers(sandbox_soap, "a")
    new_token = {**CREDENTIALS, "token_id": "rotated", "permissions": "all"}

    netsuite_sandbox.create_account(account_id=ACCOUNT, tokens=[new_token])

    assert sandbox_soap.call("getList", GET_ONE).fault()["code"] == "INVALID_LOGIN_CREDENTIALS"
    assert netsuite_sandbox.count(ACCOUNT, "customer") == 1


def test_reset_clears_records_stats_and_behaviour_but_keeps_and_reseeds_accounts(
    netsuite_sandbox, sandbox_soap
):
    add_customers(sandbox_soap, "a")
    netsuite_sandbox.set_behaviour(latency_ms=50)

    netsuite_sandbox.reset()

    assert netsuite_sandbox.count(ACCOUNT, "customer") == 0
    assert netsuite_sandbox.count(ACCOUNT, "subsidiary") == 1
    assert netsuite_sandbox.stats()["calls"] == {}
    assert requests.get(f"{netsuite_sandbox.base_url}/_sandbox/behaviour", timeout=10).json() == {}
    assert sandbox_soap.call("getList", GET_ONE).status_code == 200


def test_reset_of_one_account_leaves_the_others_alone(netsuite_sandbox, sandbox_soap):
    netsuite_sandbox.create_account(
        account_id="7654321",
        records=[{"type": "customer", "external_id": "x", "fields": {"companyName": "X"}}],
    )
    add_customers(sandbox_soap, "a")

    netsuite_sandbox.reset(account_id=ACCOUNT)

    assert netsuite_sandbox.count(ACCOUNT, "customer") == 0
    assert netsuite_sandbox.count("7654321", "customer") == 1


def test_reset_with_accounts_forgets_them(netsuite_sandbox, sandbox_soap):
    netsuite_sandbox.reset(accounts=True)

    assert sandbox_soap.call("getList", GET_ONE).fault()["code"] == "INVALID_ACCT"
    assert requests.get(f"{netsuite_sandbox.base_url}/_sandbox/accounts", timeout=10).json() == {
        "accounts": []
    }


def test_reset_clears_the_nonces_seen(netsuite_sandbox, sandbox_soap):
    header = sandbox_soap.passport(nonce="onceOnly1234")
    sandbox_soap.call("getList", GET_ONE, header=header)

    netsuite_sandbox.reset()

    assert sandbox_soap.call("getList", GET_ONE, header=header).status_code == 200


def test_the_start_command_reads_a_config_file_and_keeps_records_across_restarts(tmp_path):
    token = {"consumer_key": "ck", "consumer_secret": "cs", "token_id": "tk", "token_secret": "ts"}
    config = tmp_path / "sandbox.json"
    config.write_text(
        json.dumps(
            {
                "accounts": [{"account_id": "555_SB2", "tokens": [{**token, "permissions": "all"}]}],
                "behaviour": {"latency_ms": 10},
            }
        )
    )
    db = tmp_path / "records.sqlite3"
    process, base_url, log = start_sandbox(tmp_path, "--config", str(config), db=db)
    try:
        client = SoapClient({"account_id": "555_SB2", **token, "base_url": base_url})
        add_customers(client, "kept")
        assert requests.get(f"{base_url}/_sandbox/behaviour", timeout=10).json() == {"latency_ms": 10}
    finally:
        stop_sandbox(process)
    assert f"NetSuite sandbox listening on {base_url}" in log.read_text()

    process, base_url, _ = start_sandbox(tmp_path, db=db)
    try:
        response = requests.get(f"{base_url}/_sandbox/accounts/555_SB2/records/customer/count", timeout=10)
        assert response.json() == {"count": 1}
    finally:
        stop_sandbox(process)
