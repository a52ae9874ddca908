"""The adapter writes every operation through SOAP and through REST, against the sandbox over HTTP."""

import datetime
import threading
from decimal import Decimal

import pytest

from destinations.adapters import OutgoingRecord, PermanentError, Reference, TemporaryError
from netsuite.retry import RetryPolicy
from tests.netsuite.adapter_helpers import adapter_for, customer, set_up_account, stored, wait_for

APIS = ["soap", "rest"]


@pytest.fixture
def account(netsuite_sandbox, netsuite_account):
    set_up_account(netsuite_sandbox, netsuite_account)
    return netsuite_account


@pytest.mark.parametrize("api", APIS)
def test_upsert_writes_standard_and_custom_fields_of_every_type(netsuite_sandbox, account, api):
    record = customer(
        1,
        phone="+1 555 0100",
        isInactive=False,
        creditLimit=Decimal("1234.50"),
        subsidiary=Reference(internal_id="1"),
        custentity_note="likes <b>bold</b> & tea",
        custentity_vip=True,
        custentity_since=datetime.date(2024, 2, 29),
        custentity_visits=42,
        custentity_score=Decimal("4.75"),
        custentity_spend=Decimal("99.95"),
        custentity_tier=Reference(external_id="gold"),
    )

    [result] = adapter_for(account, api).write_batch(
        object_type="customer", operation="upsert", records=[record]
    )

    fields = stored(netsuite_sandbox, account, "customer")["c-1"]["fields"]
    assert (
        result.ok and result.record_id == stored(netsuite_sandbox, account, "customer")["c-1"]["internalId"]
    )
    assert fields["companyName"] == "Company 1"
    assert fields["phone"] == "+1 555 0100"
    assert fields["isInactive"] is False
    assert fields["creditLimit"] == 1234.5
    assert fields["subsidiary"]["internalId"] == "1"
    assert fields["custentity_note"] == "likes <b>bold</b> & tea"
    assert fields["custentity_vip"] is True
    assert fields["custentity_since"][:10] == "2024-02-29"
    assert fields["custentity_visits"] == 42
    assert fields["custentity_score"] == 4.75
    assert fields["custentity_spend"] == 99.95
    assert fields["custentity_tier"]["externalId"] == "gold"


@pytest.mark.parametrize("api", APIS)
def test_a_select_can_point_at_a_record_by_its_internal_id(netsuite_sandbox, account, api):
    adapter = adapter_for(account, api)
    [company] = adapter.write_batch(object_type="customer", operation="upsert", records=[customer(1)])
    contact = OutgoingRecord("p-1", {"lastName": "Doe", "company": Reference(internal_id=company.record_id)})

    [result] = adapter.write_batch(object_type="contact", operation="upsert", records=[contact])

    assert result.ok
    assert (
        stored(netsuite_sandbox, account, "contact")["p-1"]["fields"]["company"]["internalId"]
        == company.record_id
    )


@pytest.mark.parametrize("api", APIS)
def test_a_second_upsert_updates_the_same_records_and_none_clears_a_field(netsuite_sandbox, account, api):
    adapter = adapter_for(account, api)
    first = adapter.write_batch(
        object_type="customer",
        operation="upsert",
        records=[customer(1, phone="111"), customer(2, phone="222")],
    )

    again = adapter.write_batch(
        object_type="customer",
        operation="upsert",
        records=[customer(1, phone=None), customer(2, companyName="Renamed", phone="222")],
    )

    assert [r.record_id for r in again] == [r.record_id for r in first]
    records = stored(netsuite_sandbox, account, "customer")
    assert len(records) == 2
    assert records["c-1"]["fields"].get("phone") in (None, "")
    assert records["c-2"]["fields"]["companyName"] == "Renamed"


@pytest.mark.parametrize("api", APIS)
def test_insert_creates_records_and_rejects_an_external_id_already_taken(netsuite_sandbox, account, api):
    adapter = adapter_for(account, api)
    adapter.write_batch(object_type="customer", operation="insert", records=[customer(1)])

    results = adapter.write_batch(
        object_type="customer", operation="insert", records=[customer(2), customer(1)]
    )

    assert results[0].ok and results[0].record_id
    assert (results[1].ok, results[1].error_code) == (False, "DUP_ENTITY")
    assert results[1].error_message == "This entity already exists."
    assert netsuite_sandbox.count(account["account_id"], "customer") == 2


@pytest.mark.parametrize("api", APIS)
def test_update_by_internal_or_external_id_and_a_missing_record_is_rejected(netsuite_sandbox, account, api):
    adapter = adapter_for(account, api)
    created = adapter.write_batch(
        object_type="customer", operation="upsert", records=[customer(1), customer(2)]
    )
    by_internal_id = OutgoingRecord("c-1", {"email": "new1@example.com"}, record_id=created[0].record_id)
    by_external_id = OutgoingRecord("c-2", {"email": "new2@example.com"})
    missing = OutgoingRecord("c-404", {"email": "nobody@example.com"})

    results = adapter.write_batch(
        object_type="customer", operation="update", records=[by_internal_id, by_external_id, missing]
    )

    assert [r.ok for r in results] == [True, True, False]
    assert [r.record_id for r in results[:2]] == [c.record_id for c in created]
    assert (results[2].error_code, results[2].error_message) == (
        "RCRD_DSNT_EXIST",
        "That record does not exist.",
    )
    records = stored(netsuite_sandbox, account, "customer")
    assert records["c-1"]["fields"]["email"] == "new1@example.com"
    assert records["c-2"]["fields"]["email"] == "new2@example.com"
    assert "c-404" not in records


@pytest.mark.parametrize("api", APIS)
def test_archive_marks_records_inactive_and_leaves_their_other_fields(netsuite_sandbox, account, api):
    adapter = adapter_for(account, api)
    created = adapter.write_batch(
        object_type="customer", operation="upsert", records=[customer(1), customer(2)]
    )

    results = adapter.write_batch(
        object_type="customer",
        operation="archive",
        records=[OutgoingRecord("c-1", record_id=created[0].record_id), OutgoingRecord("c-2")],
    )

    assert all(r.ok for r in results)
    records = stored(netsuite_sandbox, account, "customer")
    assert [records[k]["fields"]["isInactive"] for k in ("c-1", "c-2")] == [True, True]
    assert records["c-1"]["fields"]["companyName"] == "Company 1"


@pytest.mark.parametrize("api", APIS)
def test_delete_removes_records_by_internal_or_external_id(netsuite_sandbox, account, api):
    adapter = adapter_for(account, api)
    created = adapter.write_batch(
        object_type="customer", operation="upsert", records=[customer(1), customer(2), customer(3)]
    )

    results = adapter.write_batch(
        object_type="customer",
        operation="delete",
        records=[OutgoingRecord("c-1", record_id=created[0].record_id), OutgoingRecord("c-2"), customer(404)],
    )

    assert [r.ok for r in results] == [True, True, False]
    assert results[2].error_code == "RCRD_DSNT_EXIST"
    assert list(stored(netsuite_sandbox, account, "customer")) == ["c-3"]


@pytest.mark.parametrize("api", APIS)
def test_custom_records_are_written_and_deleted_by_their_script_id(netsuite_sandbox, account, api):
    adapter = adapter_for(account, api)
    platinum = OutgoingRecord("platinum", {"name": "Platinum", "custrecord_rank": 1})

    [upserted] = adapter.write_batch(object_type="customrecord_tier", operation="upsert", records=[platinum])
    tiers = stored(netsuite_sandbox, account, "customrecord_tier")
    [deleted] = adapter.write_batch(
        object_type="customrecord_tier", operation="delete", records=[OutgoingRecord("silver")]
    )

    assert upserted.ok and upserted.record_id == tiers["platinum"]["internalId"]
    assert tiers["platinum"]["fields"]["name"] == "Platinum"
    assert tiers["platinum"]["fields"]["custrecord_rank"] == 1
    assert deleted.ok
    assert set(stored(netsuite_sandbox, account, "customrecord_tier")) == {"gold", "platinum"}


@pytest.mark.parametrize("api", APIS)
def test_items_are_written_with_their_own_fields(netsuite_sandbox, account, api):
    item = OutgoingRecord(
        "sku-1",
        {"itemId": "SKU-1", "displayName": "Widget", "cost": Decimal("2.50"), "custitem_colour": "red"},
    )

    [result] = adapter_for(account, api).write_batch(
        object_type="inventoryItem", operation="upsert", records=[item]
    )

    assert result.ok
    fields = stored(netsuite_sandbox, account, "inventoryItem")["sku-1"]["fields"]
    assert (fields["itemId"], fields["cost"], fields["custitem_colour"]) == ("SKU-1", 2.5, "red")


@pytest.mark.parametrize("api", APIS)
def test_rows_rejected_by_netsuite_carry_its_code_and_message_in_the_order_sent(
    netsuite_sandbox, account, api
):
    netsuite_sandbox.set_behaviour(
        reject=[{"record_type": "customer", "field": "email", "pattern": "^blocked", "code": "INVALID_EMAIL"}]
    )
    records = [
        customer(1),
        customer(2, email="blocked@example.com"),
        customer(3),
        customer(4, custentity_tier=Reference(external_id="unobtainium")),
        customer(5, custentity_visits=Decimal("1.5")),
    ]

    results = adapter_for(account, api).write_batch(
        object_type="customer", operation="upsert", records=records
    )

    assert [r.ok for r in results] == [True, False, True, False, False]
    assert [r.error_code for r in results] == [
        "",
        "INVALID_EMAIL",
        "",
        "INVALID_KEY_OR_REF",
        "INVALID_FLD_VALUE",
    ]
    assert "blocked@example.com" in results[1].error_message
    assert "unobtainium" in results[3].error_message
    assert set(stored(netsuite_sandbox, account, "customer")) == {"c-1", "c-3"}


def test_soap_sends_at_most_netsuites_records_per_request(netsuite_sandbox, account):
    adapter = adapter_for(account, "soap")
    sizes = {op: adapter.batch_size(op) for op in ("upsert", "insert", "update", "delete", "archive")}

    results = adapter.write_batch(
        object_type="customer", operation="insert", records=[customer(n) for n in range(450)]
    )

    assert sizes == {"upsert": 100, "insert": 200, "update": 100, "delete": 200, "archive": 100}
    assert all(r.ok for r in results) and len({r.record_id for r in results}) == 450
    assert netsuite_sandbox.stats()["calls"]["soap:addList"] == 3  # 200 + 200 + 50
    assert netsuite_sandbox.count(account["account_id"], "customer") == 450


def test_rest_writes_one_record_per_request_within_the_concurrency_limit(netsuite_sandbox, account):
    netsuite_sandbox.set_behaviour(latency_ms=50)
    adapter = adapter_for(account, "rest", concurrency_limit=3)

    results = adapter.write_batch(
        object_type="customer", operation="upsert", records=[customer(n) for n in range(30)]
    )

    assert adapter.batch_size("upsert") == 100
    assert all(r.ok for r in results)
    stats = netsuite_sandbox.stats()
    assert stats["calls"]["rest:PUT"] == 30
    assert stats["accounts"][account["account_id"]]["max_in_flight"] == 3
    assert stats["accounts"][account["account_id"]]["limit_violations"] == 0


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("fault", ["http_503", "concurrency", "timeout", "drop", "answer_lost"])
def test_temporary_faults_are_retried_until_the_rows_arrive(netsuite_sandbox, account, api, fault):
    netsuite_sandbox.set_behaviour(fault_rate=0.5, faults=[fault], timeout_hold_seconds=0.2, seed=7)
    adapter = adapter_for(account, api)
    records = [customer(n) for n in range(8)]

    results = adapter.write_batch(object_type="customer", operation="upsert", records=records)

    assert all(r.ok for r in results)
    assert set(stored(netsuite_sandbox, account, "customer")) == {r.external_id for r in records}
    assert netsuite_sandbox.stats()["faults"][fault] > 0


@pytest.mark.parametrize("api", APIS)
def test_a_fault_that_does_not_clear_gives_up_with_a_temporary_error(netsuite_sandbox, account, api):
    netsuite_sandbox.set_behaviour(fault_rate=1.0, faults=["http_503"])
    adapter = adapter_for(
        account, api, retry_policy=RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.02)
    )

    with pytest.raises(TemporaryError, match=r"HTTP 503.*gave up after 3 attempts"):
        adapter.write_batch(object_type="customer", operation="upsert", records=[customer(1)])


def write_while_answers_are_lost(netsuite_sandbox, adapter, operation: str, records: list) -> list:
    """Write with every answer lost (NetSuite did the work, the answer never came) until every
    record's first request has landed; then let answers through, so that retries report the outcome."""
    first_attempts = len(records) if adapter.api() == "rest" else 1  # REST: one request per record
    netsuite_sandbox.set_behaviour(fault_rate=1.0, faults=["answer_lost"])
    outcome: dict = {}
    writer = threading.Thread(
        target=lambda: outcome.update(
            results=adapter.write_batch(object_type="customer", operation=operation, records=records)
        )
    )
    writer.start()
    wait_for(lambda: netsuite_sandbox.stats()["faults"].get("answer_lost", 0) >= first_attempts)
    netsuite_sandbox.set_behaviour()
    writer.join(timeout=30)
    return outcome["results"]


@pytest.mark.parametrize("api", APIS)
def test_an_insert_whose_answer_was_lost_is_not_written_twice_and_reports_the_records(
    netsuite_sandbox, account, api
):
    """The retry's DUP_ENTITY rows are the first attempt's records: looked up by external ID."""
    adapter = adapter_for(
        account, api, retry_policy=RetryPolicy(max_attempts=30, base_delay=0.1, max_delay=0.2)
    )

    results = write_while_answers_are_lost(netsuite_sandbox, adapter, "insert", [customer(1), customer(2)])

    records = stored(netsuite_sandbox, account, "customer")
    assert len(records) == 2
    assert [r.ok for r in results] == [True, True]
    assert [r.record_id for r in results] == [records["c-1"]["internalId"], records["c-2"]["internalId"]]


@pytest.mark.parametrize("api", APIS)
def test_a_delete_whose_answer_was_lost_reports_the_records_deleted(netsuite_sandbox, account, api):
    adapter = adapter_for(
        account, api, retry_policy=RetryPolicy(max_attempts=30, base_delay=0.1, max_delay=0.2)
    )
    adapter.write_batch(object_type="customer", operation="upsert", records=[customer(1), customer(2)])

    results = write_while_answers_are_lost(
        netsuite_sandbox, adapter, "delete", [OutgoingRecord("c-1"), OutgoingRecord("c-2")]
    )

    assert [r.ok for r in results] == [True, True]
    assert netsuite_sandbox.count(account["account_id"], "customer") == 0


@pytest.mark.parametrize("api", APIS)
def test_a_retried_insert_of_records_that_exist_already_reports_them(netsuite_sandbox, account, api):
    """From the adapter's side a failed first attempt may have landed; it cannot tell, so a retry's
    duplicates are looked up rather than reported as rejected."""
    adapter = adapter_for(
        account, api, retry_policy=RetryPolicy(max_attempts=20, base_delay=0.1, max_delay=0.2)
    )
    records = [customer(1), customer(2)]
    landed = adapter.write_batch(object_type="customer", operation="insert", records=records)
    netsuite_sandbox.set_behaviour(fault_rate=1.0, faults=["http_503"])
    calls_before = sum(netsuite_sandbox.stats()["calls"].values())
    outcome: dict = {}
    writer = threading.Thread(
        target=lambda: outcome.update(
            results=adapter.write_batch(object_type="customer", operation="insert", records=records)
        )
    )

    first_attempts = len(records) if api == "rest" else 1  # REST: one request per record

    writer.start()
    wait_for(lambda: sum(netsuite_sandbox.stats()["calls"].values()) >= calls_before + first_attempts)
    netsuite_sandbox.set_behaviour()
    writer.join(timeout=30)

    assert [r.ok for r in outcome["results"]] == [True, True]
    assert [r.record_id for r in outcome["results"]] == [r.record_id for r in landed]
    assert netsuite_sandbox.count(account["account_id"], "customer") == 2


@pytest.mark.parametrize("api", APIS)
def test_a_field_netsuite_does_not_have_or_an_unknown_record_type_is_a_permanent_error(account, api):
    adapter = adapter_for(account, api)

    with pytest.raises(PermanentError, match="cannot write NetSuite 'invoice' records"):
        adapter.write_batch(object_type="invoice", operation="upsert", records=[customer(1)])
    with pytest.raises(PermanentError, match="cannot 'merge' records"):
        adapter.write_batch(object_type="customer", operation="merge", records=[customer(1)])


def test_soap_refuses_a_field_the_record_type_does_not_have_before_sending(netsuite_sandbox, account):
    with pytest.raises(PermanentError, match="Customer record has no field 'favouriteColour'"):
        adapter_for(account, "soap").write_batch(
            object_type="customer", operation="upsert", records=[customer(1, favouriteColour="red")]
        )
    assert sum(netsuite_sandbox.stats()["calls"].values()) == 0


def test_rest_reports_a_field_the_record_type_does_not_have_per_row(account):
    [result] = adapter_for(account, "rest").write_batch(
        object_type="customer", operation="upsert", records=[customer(1, favouriteColour="red")]
    )

    assert (result.ok, result.error_code) == (False, "INVALID_CONTENT")


@pytest.mark.parametrize("api", APIS)
def test_an_empty_batch_writes_nothing(netsuite_sandbox, account, api):
    assert adapter_for(account, api).write_batch(object_type="customer", operation="upsert", records=[]) == []
    assert sum(netsuite_sandbox.stats()["calls"].values()) == 0


def test_soap_rejects_a_row_holding_a_character_xml_cannot_carry_and_writes_the_others(
    netsuite_sandbox, account
):
    results = adapter_for(account, "soap").write_batch(
        object_type="customer",
        operation="upsert",
        records=[customer(1), customer(2, companyName="Bell\x07 Ltd"), customer(3)],
    )

    assert [r.ok for r in results] == [True, False, True]
    assert results[1].error_code == "INVALID_FLD_VALUE" and "companyName" in results[1].error_message
    assert set(stored(netsuite_sandbox, account, "customer")) == {"c-1", "c-3"}
