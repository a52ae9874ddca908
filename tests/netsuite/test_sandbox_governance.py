"""Concurrency limits, latency, injected faults and rejection rules, as the sandbox's clients see them."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.netsuite.conftest import SoapAnswer, SoapClient
from tests.netsuite.real_schema import validate_soap_message

ACCOUNT = "1234567_SB1"
CUSTOMER = (
    '<msgs:record xsi:type="rel:Customer" externalId="c1">'
    "<rel:companyName>Acme</rel:companyName></msgs:record>"
)
GET_ONE = '<msgs:baseRef xsi:type="core:RecordRef" type="customer" internalId="0"/>'


def limit_account(netsuite_sandbox, account: dict, limit: int) -> None:
    token = {k: account[k] for k in ("consumer_key", "consumer_secret", "token_id", "token_secret")}
    netsuite_sandbox.create_account(
        account_id=ACCOUNT, concurrency_limit=limit, tokens=[{**token, "permissions": "all"}]
    )


def wait_for(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition did not come true in time"
        time.sleep(0.02)


def test_calls_beyond_the_concurrency_limit_get_the_concurrency_fault(netsuite_sandbox, netsuite_account):
    limit_account(netsuite_sandbox, netsuite_account, limit=2)
    netsuite_sandbox.set_behaviour(latency_ms=1000)

    def get_one(_: int) -> requests.Response:
        client = SoapClient(netsuite_account)
        return client.post(client.envelope("getList", GET_ONE))

    with ThreadPoolExecutor(4) as pool:
        responses = list(pool.map(get_one, range(4)))

    # Validated here, not in the threads: the first validation loads NetSuite's schemas, once.
    answers = [SoapAnswer(r.status_code, validate_soap_message(r.content)) for r in responses]

    refused = [a.fault() for a in answers if a.status_code == 500]
    assert sorted(a.status_code for a in answers) == [200, 200, 500, 500]
    assert refused[0] == {
        "faultcode": "soapenv:Server.userException",
        "faultstring": "SuiteTalk concurrent request limit exceeded. Request blocked.",
        "element": "exceededConcurrentRequestLimitFault",
        "namespace": "urn:faults_2023_2.platform.webservices.netsuite.com",
        "code": "WS_REQUEST_BLOCKED",
        "message": "SuiteTalk concurrent request limit exceeded. Request blocked.",
    }
    stats = netsuite_sandbox.stats()["accounts"][ACCOUNT]
    assert stats == {"max_in_flight": 2, "in_flight": 0, "limit_violations": 2, "requests": 4}


def test_soap_and_rest_share_the_accounts_concurrency_limit(netsuite_sandbox, netsuite_account, sandbox_rest):
    limit_account(netsuite_sandbox, netsuite_account, limit=1)
    netsuite_sandbox.set_behaviour(latency_ms=1000)

    with ThreadPoolExecutor(1) as pool:
        soap = pool.submit(SoapClient(netsuite_account).call, "getList", GET_ONE)
        wait_for(lambda: netsuite_sandbox.stats()["accounts"].get(ACCOUNT, {}).get("in_flight") == 1)
        rest = sandbox_rest.request("GET", "customer/0")
        assert soap.result().status_code == 200

    assert rest.status_code == 429
    assert rest.headers["Retry-After"] == "1"
    [detail] = rest.json()["o:errorDetails"]
    assert detail["o:errorCode"] == "CONCURRENCY_LIMIT_EXCEEDED"
    assert netsuite_sandbox.stats()["accounts"][ACCOUNT]["limit_violations"] == 1


def test_a_call_whose_client_went_away_stops_counting_in_flight(netsuite_sandbox, netsuite_account):
    limit_account(netsuite_sandbox, netsuite_account, limit=1)
    netsuite_sandbox.set_behaviour(latency_ms=5000)
    client = SoapClient(netsuite_account)

    with pytest.raises(requests.exceptions.ReadTimeout):
        client.post(client.envelope("getList", GET_ONE), timeout=0.3)

    wait_for(lambda: netsuite_sandbox.stats()["accounts"][ACCOUNT]["in_flight"] == 0, timeout=2)
    netsuite_sandbox.set_behaviour()
    assert client.call("getList", GET_ONE).status_code == 200


def test_latency_delays_every_call(netsuite_sandbox, sandbox_soap, sandbox_rest):
    netsuite_sandbox.set_behaviour(latency_ms=300)

    started = time.monotonic()
    sandbox_soap.call("getList", GET_ONE)
    sandbox_rest.request("GET", "customer/0")

    assert time.monotonic() - started >= 0.6


def test_an_injected_503_answers_html_and_changes_nothing(netsuite_sandbox, sandbox_soap, sandbox_rest):
    netsuite_sandbox.set_behaviour(fault_rate=1.0, faults=["http_503"])

    soap = sandbox_soap.post(sandbox_soap.envelope("upsertList", CUSTOMER))
    rest = sandbox_rest.request("PUT", "customer/eid:c2", json={"companyName": "Acme"})

    assert (soap.status_code, rest.status_code) == (503, 503)
    assert soap.headers["Content-Type"].startswith("text/html")
    assert netsuite_sandbox.count(ACCOUNT, "customer") == 0
    assert netsuite_sandbox.stats()["faults"] == {"http_503": 2}


def test_an_injected_concurrency_fault_looks_like_the_real_one(netsuite_sandbox, sandbox_soap, sandbox_rest):
    netsuite_sandbox.set_behaviour(fault_rate=1.0, faults=["concurrency"])

    soap = sandbox_soap.call("upsertList", CUSTOMER)
    rest = sandbox_rest.request("PUT", "customer/eid:c2", json={"companyName": "Acme"})

    assert soap.fault()["code"] == "WS_REQUEST_BLOCKED"
    assert (rest.status_code, rest.headers["Retry-After"]) == (429, "1")
    assert netsuite_sandbox.count(ACCOUNT, "customer") == 0
    assert netsuite_sandbox.stats()["accounts"][ACCOUNT]["limit_violations"] == 0


def test_an_injected_timeout_holds_the_call_then_hangs_up(netsuite_sandbox, sandbox_soap, sandbox_rest):
    netsuite_sandbox.set_behaviour(fault_rate=1.0, faults=["timeout"], timeout_hold_seconds=0.5)

    started = time.monotonic()
    with pytest.raises(requests.exceptions.ConnectionError):
        sandbox_soap.post(sandbox_soap.envelope("upsertList", CUSTOMER), timeout=5)
    held = time.monotonic() - started
    with pytest.raises(requests.exceptions.ConnectionError):
        sandbox_rest.request("PUT", "customer/eid:c2", json={"companyName": "Acme"}, timeout=5)

    assert held >= 0.5
    assert netsuite_sandbox.count(ACCOUNT, "customer") == 0
    assert netsuite_sandbox.stats()["accounts"][ACCOUNT]["in_flight"] == 0


def test_an_injected_drop_hangs_up_at_once(netsuite_sandbox, sandbox_soap, sandbox_rest):
    netsuite_sandbox.set_behaviour(fault_rate=1.0, faults=["drop"], latency_ms=2000)

    started = time.monotonic()
    with pytest.raises(requests.exceptions.ConnectionError):
        sandbox_soap.post(sandbox_soap.envelope("upsertList", CUSTOMER), timeout=5)
    with pytest.raises(requests.exceptions.ConnectionError):
        sandbox_rest.request("PUT", "customer/eid:c2", json={"companyName": "Acme"}, timeout=5)

    assert time.monotonic() - started < 1.5
    assert netsuite_sandbox.count(ACCOUNT, "customer") == 0


def test_a_fault_rate_faults_about_that_share_of_calls(netsuite_sandbox, sandbox_rest):
    netsuite_sandbox.set_behaviour(fault_rate=0.5, faults=["http_503", "http_502"], seed=7)

    statuses = [sandbox_rest.request("GET", "customer/0").status_code for _ in range(60)]

    assert set(statuses) == {404, 502, 503}
    assert 15 <= statuses.count(404) <= 45


def test_rejection_rules_refuse_matching_records_with_their_code(
    netsuite_sandbox, sandbox_soap, sandbox_rest
):
    netsuite_sandbox.set_behaviour(
        reject=[
            {"record_type": "customer", "field": "email", "pattern": "^reject", "code": "INVALID_FLD_VALUE"},
            {
                "record_type": "*",
                "field": "externalId",
                "pattern": "^bad-",
                "code": "USER_ERROR",
                "message": "No.",
            },
        ]
    )

    def customer(external_id: str, email: str) -> str:
        return (
            f'<msgs:record xsi:type="rel:Customer" externalId="{external_id}">'
            f"<rel:companyName>Acme</rel:companyName><rel:email>{email}</rel:email></msgs:record>"
        )

    soap = sandbox_soap.call(
        "upsertList", customer("c1", "reject@x.io") + customer("c2", "ok@x.io") + customer("bad-3", "ok@x.io")
    )
    rest = sandbox_rest.request(
        "PUT", "customer/eid:c4", json={"companyName": "Acme", "email": "reject.me@x.io"}
    )

    assert [(s["ok"], s["code"], s["message"]) for s in soap.statuses()] == [
        (
            False,
            "INVALID_FLD_VALUE",
            "You have entered an Invalid Field Value reject@x.io for the following field: email",
        ),
        (True, None, None),
        (False, "USER_ERROR", "No."),
    ]
    assert rest.status_code == 400
    assert rest.json()["o:errorDetails"][0]["o:errorCode"] == "INVALID_FLD_VALUE"
    assert [r["externalId"] for r in netsuite_sandbox.records(ACCOUNT, "customer")] == ["c2"]


@pytest.mark.parametrize(
    "body",
    [
        {"faults": ["meteor"]},
        {"fault_rate": 2},
        {"latency_ms": -1},
        {"reject": [{"field": "email", "pattern": "(", "code": "INVALID_FLD_VALUE"}]},
        {"reject": [{"field": "email", "code": "NOT_A_NETSUITE_CODE"}]},
        {"lattency_ms": 5},
    ],
)
def test_a_behaviour_the_sandbox_cannot_follow_is_refused(netsuite_sandbox, body):
    response = requests.post(f"{netsuite_sandbox.base_url}/_sandbox/behaviour", json=body, timeout=10)

    assert response.status_code == 400
    assert response.json()["error"]


def test_stats_count_calls_by_protocol_and_operation(netsuite_sandbox, sandbox_soap, sandbox_rest):
    sandbox_soap.call("upsertList", CUSTOMER)
    sandbox_soap.call("getList", GET_ONE)
    sandbox_rest.request("PUT", "customer/eid:c2", json={"companyName": "Acme"})
    sandbox_rest.request("GET", "customer/eid:c2")

    stats = netsuite_sandbox.stats()

    assert stats["calls"] == {"soap:upsertList": 1, "soap:getList": 1, "rest:PUT": 1, "rest:GET": 1}
    assert stats["accounts"][ACCOUNT] == {
        "max_in_flight": 1,
        "in_flight": 0,
        "limit_violations": 0,
        "requests": 4,
    }


def test_every_soap_fault_the_behaviour_injects_is_valid_netsuite_xml(netsuite_sandbox, sandbox_soap):
    netsuite_sandbox.set_behaviour(fault_rate=1.0, faults=["concurrency"])

    response = sandbox_soap.post(sandbox_soap.envelope("getList", GET_ONE))

    assert response.status_code == 500
    validate_soap_message(response.content)


def test_an_answer_lost_fault_carries_the_call_out_then_hangs_up(
    netsuite_sandbox, sandbox_soap, sandbox_rest
):
    netsuite_sandbox.set_behaviour(fault_rate=1.0, faults=["answer_lost"])

    with pytest.raises(requests.exceptions.ConnectionError):
        sandbox_soap.post(sandbox_soap.envelope("addList", CUSTOMER), timeout=5)
    with pytest.raises(requests.exceptions.ConnectionError):
        sandbox_rest.request("PUT", "customer/eid:c2", json={"companyName": "Acme"}, timeout=5)
    netsuite_sandbox.set_behaviour()
    retried = sandbox_soap.call("addList", CUSTOMER)

    assert sorted(r["externalId"] for r in netsuite_sandbox.records(ACCOUNT, "customer")) == ["c1", "c2"]
    assert retried.statuses()[0]["code"] == "DUP_ENTITY"
