"""test_connection tells what is wrong; describe_objects lists what the account offers; no secret
ever reaches an error message or a log line."""

import logging
import socket

import pytest

from destinations.adapters import DestinationError, PermanentError, TemporaryError
from tests.netsuite.adapter_helpers import adapter_for, customer, set_up_account, token_of
from tests.netsuite.real_schema import real_wsdl_path

APIS = ["soap", "rest"]


@pytest.fixture
def account(netsuite_sandbox, netsuite_account):
    set_up_account(netsuite_sandbox, netsuite_account)
    return netsuite_account


@pytest.mark.parametrize("api", APIS)
def test_a_working_account_passes_the_connection_test(netsuite_sandbox, account, api):
    adapter_for(account, api).test_connection()

    calls = netsuite_sandbox.stats()["calls"]
    assert calls["soap:getList"] == 1
    assert calls.get("rest:GET", 0) == (1 if api == "rest" else 0)


@pytest.mark.parametrize("api", APIS)
def test_a_wrong_account_id_is_named(account, api):
    adapter = adapter_for(account | {"account_id": "7654321"}, api)

    with pytest.raises(PermanentError, match="NetSuite does not know the account ID '7654321'") as caught:
        adapter.test_connection()
    assert caught.value.code == "INVALID_ACCT"


@pytest.mark.parametrize(
    "wrong",
    [
        pytest.param({"token_secret": "not-the-token-secret"}, id="bad signature"),
        pytest.param({"consumer_key": "unknown-consumer-key"}, id="unknown consumer key"),
        pytest.param({"token_id": "unknown-token"}, id="unknown token"),
    ],
)
def test_wrong_keys_ask_to_check_the_consumer_key_and_token(account, wrong):
    adapter = adapter_for(account, credentials=token_of(account) | wrong)

    with pytest.raises(
        PermanentError, match="Check the consumer key and secret .* token ID and secret"
    ) as caught:
        adapter.test_connection()
    assert caught.value.code == "INVALID_LOGIN_CREDENTIALS"
    assert "Invalid login attempt." in caught.value.message


def test_wrong_keys_over_rest_are_reported_after_a_working_soap_login(netsuite_sandbox, account):
    """SOAP and REST share the token; a REST refusal still names what to check."""
    adapter = adapter_for(account, "rest")
    adapter.test_connection()
    broken = adapter_for(account, "rest", credentials=token_of(account) | {"token_secret": "wrong"})

    with pytest.raises(PermanentError, match="token-based login") as caught:
        broken.test_connection()
    assert caught.value.code == "INVALID_LOGIN_CREDENTIALS"


def test_a_role_without_the_customer_permission_is_told_which_permission_it_lacks(netsuite_sandbox, account):
    set_up_account(netsuite_sandbox, account, permissions=["contact"])

    with pytest.raises(PermanentError, match="'Lists -> Customers' permission") as caught:
        adapter_for(account).test_connection()
    assert caught.value.code == "INSUFFICIENT_PERMISSION"


def test_a_role_without_web_services_permission_is_told_so(netsuite_sandbox, account):
    set_up_account(netsuite_sandbox, account, permissions=[])

    with pytest.raises(PermanentError, match="missing a permission: .*SOAP Web Services") as caught:
        adapter_for(account).test_connection()
    assert caught.value.code == "INSUFFICIENT_PERMISSION"


def test_the_three_login_problems_have_three_different_messages(netsuite_sandbox, account):
    def message_of(adapter) -> str:
        with pytest.raises(PermanentError) as caught:
            adapter.test_connection()
        return caught.value.message

    wrong_account = message_of(adapter_for(account | {"account_id": "7654321"}))
    wrong_keys = message_of(adapter_for(account, credentials=token_of(account) | {"token_secret": "x"}))
    set_up_account(netsuite_sandbox, account, permissions=["vendor"])
    no_permission = message_of(adapter_for(account))

    assert len({wrong_account, wrong_keys, no_permission}) == 3
    assert "account ID" in wrong_account and "account ID" not in wrong_keys


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("api", APIS)
def test_an_unreachable_host_is_reported_as_such(account, api):
    adapter = adapter_for(account | {"base_url": f"http://127.0.0.1:{closed_port()}"}, api)

    with pytest.raises(
        TemporaryError, match=r"Cannot reach NetSuite at 127\.0\.0\.1:\d+ \(connection refused\)"
    ):
        adapter.test_connection()
    with pytest.raises(TemporaryError, match="Cannot reach NetSuite"):
        adapter.write_batch(object_type="customer", operation="upsert", records=[customer(1)])
    with pytest.raises(TemporaryError, match="Cannot reach NetSuite"):
        adapter.describe_objects()


def test_a_base_url_that_is_not_netsuite_is_a_permanent_error(netsuite_sandbox, account):
    adapter = adapter_for(account, base_url=f"{account['base_url']}/not-netsuite")

    with pytest.raises(PermanentError, match="Cannot load NetSuite's WSDL .*: HTTP 404. Check the base URL"):
        adapter.test_connection()


def test_describe_objects_merges_standard_fields_with_the_accounts_custom_ones(account):
    objects = {spec.name: spec for spec in adapter_for(account, "soap").describe_objects()}

    assert {
        "customer",
        "contact",
        "vendor",
        "inventoryItem",
        "nonInventorySaleItem",
        "customrecord_tier",
    } <= set(objects)
    customer = {field.name: field for field in objects["customer"].fields}
    assert (customer["companyName"].type, customer["companyName"].required) == ("text", True)
    assert (customer["subsidiary"].type, customer["subsidiary"].references) == ("select", "subsidiary")
    assert customer["creditLimit"].type == "currency"
    assert not customer["email"].custom
    assert {name: (f.type, f.custom) for name, f in customer.items() if name.startswith("custentity_")} == {
        "custentity_note": ("text", True),
        "custentity_vip": ("checkbox", True),
        "custentity_since": ("date", True),
        "custentity_visits": ("number", True),
        "custentity_score": ("number", True),
        "custentity_spend": ("currency", True),
        "custentity_tier": ("select", True),
    }
    assert customer["custentity_tier"].references == "customrecord_tier"
    tier = {field.name: field for field in objects["customrecord_tier"].fields}
    assert objects["customrecord_tier"].label == "Tier"
    assert tier["name"].required and tier["custrecord_rank"].custom
    item = {field.name for field in objects["inventoryItem"].fields}
    assert {"itemId", "displayName", "cost", "custitem_colour"} <= item
    assert objects["customer"].modes == ("upsert", "update", "insert", "mirror", "archive")


def test_no_secret_or_signature_reaches_an_error_or_a_log_line(netsuite_sandbox, account, caplog):
    caplog.set_level(logging.DEBUG)
    secrets = [account["consumer_secret"], account["token_secret"]]
    messages: list[str] = []
    for api in APIS:
        adapter_for(account, api).write_batch(object_type="customer", operation="upsert", records=[])
        adapter_for(account, api).describe_objects()
        for wrong in ({"token_secret": "wrong-secret-1"}, {"consumer_secret": "wrong-secret-2"}):
            try:
                adapter_for(account, api, credentials=token_of(account) | wrong).test_connection()
            except DestinationError as error:
                messages.append(f"{error} {error!r} {error.message}")
    netsuite_sandbox.set_behaviour(fault_rate=0.5, faults=["http_503", "drop"], seed=3)
    for api in APIS:
        adapter_for(account, api).write_batch(
            object_type="customer", operation="upsert", records=[customer(n) for n in range(4)]
        )

    shown = caplog.text + "\n".join(messages)
    assert len(messages) == 4 and "retrying" in caplog.text
    for secret in [*secrets, "wrong-secret-1", "wrong-secret-2"]:
        assert secret not in shown
    assert "oauth_signature" not in shown and "<ns6:signature" not in shown and "signature>" not in shown


def test_a_wsdl_of_another_version_than_configured_is_a_permanent_error(account):
    adapter = adapter_for(account, wsdl_url=str(real_wsdl_path()), wsdl_version="2022_1")

    with pytest.raises(PermanentError, match="not NetSuite's SuiteTalk 2022_1 WSDL.*Check the WSDL URL"):
        adapter.test_connection()
