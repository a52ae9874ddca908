"""The sandbox refuses bad token-based logins as NetSuite does, over SOAP and REST."""

import time

import pytest

GET_ONE_CUSTOMER = '<msgs:baseRef xsi:type="core:RecordRef" type="customer" internalId="0"/>'
REST_LOGIN_DETAIL = (
    "Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at "
    "Setup > Users/Roles > User Management > View Login Audit Trail."
)


def at_run_time(overrides: dict) -> dict:
    """A timestamp given as an offset becomes now + offset when the test runs, not when it is collected."""
    if isinstance(overrides.get("timestamp"), int):
        return {**overrides, "timestamp": str(int(time.time()) + overrides["timestamp"])}
    return overrides


def assert_soap_fault(answer, element: str, code: str, faultstring: str | None = None) -> None:
    fault = answer.fault()
    assert answer.status_code == 500
    assert fault["faultcode"] == "soapenv:Server.userException"
    assert fault["namespace"] == "urn:faults_2023_2.platform.webservices.netsuite.com"
    assert (fault["element"], fault["code"]) == (element, code)
    if faultstring:
        assert fault["faultstring"] == faultstring
        assert fault["message"] == faultstring


def assert_rest_login_refused(response) -> None:
    assert response.status_code == 401
    assert response.json() == {
        "type": "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.2",
        "title": "Unauthorized",
        "status": 401,
        "o:errorDetails": [{"detail": REST_LOGIN_DETAIL, "o:errorCode": "INVALID_LOGIN"}],
    }


def test_a_correctly_signed_passport_is_let_in(sandbox_soap):
    answer = sandbox_soap.call("getList", GET_ONE_CUSTOMER)

    assert answer.status_code == 200
    [status] = answer.statuses()
    assert (status["ok"], status["code"]) == (False, "RCRD_DSNT_EXIST")
    assert answer.find("soapenv:Header/msgs:documentInfo/msgs:nsId").text.startswith(
        "WEBSERVICES_1234567_SB1_"
    )


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"token_secret": "not-the-secret"}, id="bad signature"),
        pytest.param({"token": "unknown-token"}, id="unknown token"),
        pytest.param({"consumer_key": "unknown-consumer"}, id="unknown consumer key"),
        pytest.param({"timestamp": -301}, id="stale timestamp"),
        pytest.param({"timestamp": +400}, id="timestamp in the future"),
        pytest.param({"algorithm": "HMAC-SHA1"}, id="HMAC-SHA1"),
        pytest.param({"nonce": "abc"}, id="nonce too short"),
    ],
)
def test_soap_refuses_bad_credentials_with_invalid_credentials_fault(sandbox_soap, overrides):
    overrides = at_run_time(overrides)
    answer = sandbox_soap.call("getList", GET_ONE_CUSTOMER, header=sandbox_soap.passport(**overrides))

    assert_soap_fault(
        answer, "invalidCredentialsFault", "INVALID_LOGIN_CREDENTIALS", "Invalid login attempt."
    )


def test_soap_refuses_a_reused_nonce(sandbox_soap):
    header = sandbox_soap.passport(nonce="sameNonce1234")
    first = sandbox_soap.call("getList", GET_ONE_CUSTOMER, header=header)
    replay = sandbox_soap.call("getList", GET_ONE_CUSTOMER, header=header)

    assert first.status_code == 200
    assert_soap_fault(
        replay, "invalidCredentialsFault", "INVALID_LOGIN_CREDENTIALS", "Invalid login attempt."
    )


def test_soap_accepts_the_same_nonce_from_another_token(netsuite_sandbox, sandbox_soap):
    other = {"consumer_key": "ck2", "consumer_secret": "cs2", "token_id": "tk2", "token_secret": "ts2"}
    netsuite_sandbox.create_account(account_id="7654321", tokens=[{**other, "permissions": "all"}])
    sandbox_soap.call("getList", GET_ONE_CUSTOMER, header=sandbox_soap.passport(nonce="sharedNonce1"))

    answer = sandbox_soap.call(
        "getList",
        GET_ONE_CUSTOMER,
        header=sandbox_soap.passport(
            account="7654321",
            consumer_key="ck2",
            consumer_secret="cs2",
            token="tk2",
            token_secret="ts2",
            nonce="sharedNonce1",
        ),
    )

    assert answer.status_code == 200


def test_soap_answers_an_unknown_account_with_invalid_account_fault(sandbox_soap):
    answer = sandbox_soap.call("getList", GET_ONE_CUSTOMER, header=sandbox_soap.passport(account="9999999"))

    assert_soap_fault(answer, "invalidAccountFault", "INVALID_ACCT")
    assert "9999999" in answer.fault()["faultstring"]


def test_soap_finds_the_account_whatever_its_case(sandbox_soap):
    answer = sandbox_soap.call(
        "getList", GET_ONE_CUSTOMER, header=sandbox_soap.passport(account="1234567_sb1")
    )

    assert answer.status_code == 200


def test_soap_without_a_passport_asks_to_log_in(sandbox_soap):
    answer = sandbox_soap.call("getList", GET_ONE_CUSTOMER, header="")

    assert_soap_fault(answer, "invalidSessionFault", "WS_LOG_IN_REQD")


def test_soap_refuses_an_application_info_header_next_to_a_token_passport(sandbox_soap):
    application_info = (
        "<platformMsgs:applicationInfo "
        'xmlns:platformMsgs="urn:messages_2023_2.platform.webservices.netsuite.com">'
        "<platformMsgs:applicationId>ABC</platformMsgs:applicationId></platformMsgs:applicationInfo>"
    )
    answer = sandbox_soap.call("getList", GET_ONE_CUSTOMER, header=sandbox_soap.passport() + application_info)

    assert_soap_fault(answer, "invalidCredentialsFault", "USER_ERROR")


def test_soap_refuses_an_unsupported_endpoint_version(sandbox_soap):
    answer = sandbox_soap.call("getList", GET_ONE_CUSTOMER, version="2019_1")

    assert_soap_fault(answer, "invalidVersionFault", "UNSUPPORTED_WS_VERSION")


def test_a_role_without_the_record_types_permission_gets_a_per_record_permission_violation(
    netsuite_sandbox, sandbox_soap, netsuite_account
):
    token = {k: netsuite_account[k] for k in ("consumer_key", "consumer_secret", "token_id", "token_secret")}
    netsuite_sandbox.create_account(account_id="1234567_SB1", tokens=[{**token, "permissions": ["contact"]}])

    answer = sandbox_soap.call("getList", GET_ONE_CUSTOMER)

    [status] = answer.statuses()
    assert (status["ok"], status["code"]) == (False, "INSUFFICIENT_PERMISSION")
    assert status["message"] == (
        "Permission Violation: You need  the 'Lists -> Customers' permission to access this page. "
        "Please contact your account administrator."
    )


def test_a_role_without_any_permission_gets_insufficient_permission_fault(
    netsuite_sandbox, sandbox_soap, netsuite_account
):
    token = {k: netsuite_account[k] for k in ("consumer_key", "consumer_secret", "token_id", "token_secret")}
    netsuite_sandbox.create_account(account_id="1234567_SB1", tokens=[{**token, "permissions": []}])

    answer = sandbox_soap.call("getList", GET_ONE_CUSTOMER)

    assert_soap_fault(answer, "insufficientPermissionFault", "INSUFFICIENT_PERMISSION")
    assert "'SOAP Web Services'" in answer.fault()["faultstring"]


def test_rest_lets_a_correctly_signed_request_in(sandbox_rest):
    response = sandbox_rest.request("GET", "customer/0")

    assert response.status_code == 404
    assert response.json()["o:errorDetails"][0]["o:errorCode"] == "RCRD_DSNT_EXIST"


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"resource_owner_secret": "not-the-secret"}, id="bad signature"),
        pytest.param({"resource_owner_key": "unknown-token"}, id="unknown token"),
        pytest.param({"client_key": "unknown-consumer"}, id="unknown consumer key"),
        pytest.param({"realm": "9999999"}, id="unknown account"),
        pytest.param({"realm": "1234567_sb1"}, id="realm not written as NetSuite writes it"),
        pytest.param({"timestamp": -301}, id="stale timestamp"),
    ],
)
def test_rest_refuses_bad_credentials_with_invalid_login(sandbox_rest, overrides):
    overrides = at_run_time(overrides)
    response = sandbox_rest.request("GET", "customer/0", auth=sandbox_rest.auth(**overrides))

    assert_rest_login_refused(response)


def test_rest_refuses_a_request_without_oauth(sandbox_rest, netsuite_account):
    response = sandbox_rest.http.get(sandbox_rest.url("customer/0"), timeout=10)

    assert_rest_login_refused(response)


def test_rest_refuses_a_reused_nonce(sandbox_rest):
    auth = sandbox_rest.auth(nonce="12345678901234567890")
    first = sandbox_rest.request("GET", "customer/0", auth=auth)
    replay = sandbox_rest.request("GET", "customer/0", auth=auth)

    assert first.status_code == 404
    assert_rest_login_refused(replay)


def test_rest_signs_the_query_string(sandbox_rest):
    response = sandbox_rest.request("GET", "customer", params={"limit": "5", "offset": "0"})

    assert response.status_code == 200


def test_rest_refuses_a_record_type_the_role_may_not_use(netsuite_sandbox, sandbox_rest, netsuite_account):
    token = {k: netsuite_account[k] for k in ("consumer_key", "consumer_secret", "token_id", "token_secret")}
    netsuite_sandbox.create_account(account_id="1234567_SB1", tokens=[{**token, "permissions": ["contact"]}])

    response = sandbox_rest.request("PUT", "customer/eid:c1", json={"companyName": "Acme"})

    assert response.status_code == 403
    [detail] = response.json()["o:errorDetails"]
    assert detail["o:errorCode"] == "INSUFFICIENT_PERMISSION"
    assert "'Lists -> Customers'" in detail["detail"]
    assert netsuite_sandbox.count("1234567_SB1", "customer") == 0
