"""The NetSuite destination, end to end against the sandbox over HTTP, at the scale a sync writes."""

import datetime
import multiprocessing
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from destinations.adapters import OutgoingRecord, Reference
from netsuite.adapter import NetSuiteAdapter

CUSTOM_FIELDS = [
    {"record_type": "customer", "script_id": "custentity_signup", "label": "Signup", "type": "date"},
    {"record_type": "customer", "script_id": "custentity_vip", "label": "VIP", "type": "checkbox"},
    {"record_type": "customer", "script_id": "custentity_score", "label": "Score", "type": "integer"},
    {"record_type": "customer", "script_id": "custentity_note", "label": "Note", "type": "text"},
    {
        "record_type": "customer",
        "script_id": "custentity_tier",
        "label": "Tier",
        "type": "select",
        "references": "customrecord_tier",
    },
]
TIERS = [
    {"type": "customrecord_tier", "external_id": name, "fields": {"name": name.title()}}
    for name in ("gold", "silver")
]


@pytest.fixture
def account(netsuite_sandbox, netsuite_account):
    """The fixture's account, with custom fields, a custom record type and its records."""
    token = {
        key: netsuite_account[key] for key in ("consumer_key", "consumer_secret", "token_id", "token_secret")
    }
    netsuite_sandbox.create_account(
        account_id=netsuite_account["account_id"],
        concurrency_limit=5,
        tokens=[token | {"permissions": "all"}],
        custom_fields=CUSTOM_FIELDS,
        custom_record_types=[{"script_id": "customrecord_tier", "internal_id": "11", "label": "Tier"}],
        records=TIERS,
    )
    return netsuite_account


def adapter_for(account: dict, api: str, **config) -> NetSuiteAdapter:
    settings = {"account_id": account["account_id"], "api": api, "base_url": account["base_url"]} | config
    credentials = {
        key: account[key] for key in ("consumer_key", "consumer_secret", "token_id", "token_secret")
    }
    return NetSuiteAdapter(settings, credentials)


def customer(n: int) -> OutgoingRecord:
    return OutgoingRecord(
        external_id=f"cust-{n}",
        fields={
            "companyName": f"Company {n} & Søns <Ltd>",
            "email": f"contact{n}@example.com",
            "phone": f"+1 555 {n:07d}",
            "isInactive": n % 7 == 0,
            "creditLimit": Decimal(n % 1000) + Decimal("0.25"),
            "subsidiary": Reference(internal_id="1"),
            "custentity_signup": datetime.date(2024, 1, 1) + datetime.timedelta(days=n % 365),
            "custentity_vip": n % 2 == 0,
            "custentity_score": n,
            "custentity_note": f"note {n}",
            "custentity_tier": Reference(external_id="gold" if n % 3 else "silver"),
        },
    )


def write_all(adapter: NetSuiteAdapter, records: list[OutgoingRecord], operation: str = "upsert") -> list:
    size = adapter.batch_size(operation)
    batches = [records[i : i + size] for i in range(0, len(records), size)]
    with ThreadPoolExecutor(max_workers=adapter.concurrency_limit()) as pool:
        results = pool.map(
            lambda batch: adapter.write_batch(object_type="customer", operation=operation, records=batch),
            batches,
        )
        return [result for batch_results in results for result in batch_results]


def assert_arrived_exactly(stored: list[dict], sent: list[OutgoingRecord]) -> None:
    by_external_id = {record["externalId"]: record for record in stored}
    assert len(stored) == len(sent) == len(by_external_id)
    for record in sent:
        fields = by_external_id[record.external_id]["fields"]
        n = int(record.external_id.removeprefix("cust-"))
        assert fields["companyName"] == record.fields["companyName"]
        assert fields["email"] == record.fields["email"]
        assert fields["phone"] == record.fields["phone"]
        assert fields["isInactive"] is record.fields["isInactive"]
        assert Decimal(str(fields["creditLimit"])) == record.fields["creditLimit"]
        assert fields["subsidiary"]["internalId"] == "1"
        assert fields["custentity_signup"][:10] == record.fields["custentity_signup"].isoformat()
        assert fields["custentity_vip"] is (n % 2 == 0)
        assert int(fields["custentity_score"]) == n
        assert fields["custentity_note"] == f"note {n}"
        assert fields["custentity_tier"]["externalId"] == ("gold" if n % 3 else "silver")


@pytest.mark.parametrize("api", ["soap", "rest"])
def test_ten_thousand_customers_arrive_exactly_and_a_second_write_changes_nothing(
    netsuite_sandbox, account, api
):
    adapter = adapter_for(account, api)
    sent = [customer(n) for n in range(10_000)]

    results = write_all(adapter, sent)
    assert all(result.ok for result in results), next(r for r in results if not r.ok)
    stored = netsuite_sandbox.records(account["account_id"], "customer")
    assert_arrived_exactly(stored, sent)
    assert {result.record_id for result in results} == {record["internalId"] for record in stored}

    again = write_all(adapter, sent)
    assert [result.record_id for result in again] == [result.record_id for result in results]
    assert netsuite_sandbox.records(account["account_id"], "customer") == stored


@pytest.mark.parametrize("api", ["soap", "rest"])
def test_rejected_rows_come_back_with_netsuites_code_and_message_in_order(netsuite_sandbox, account, api):
    adapter = adapter_for(account, api)
    good, no_name, bad_email, bad_tier = customer(1), customer(2), customer(3), customer(4)
    no_name.fields.pop("companyName")
    bad_email.fields["email"] = "not-an-email"
    bad_tier.fields["custentity_tier"] = Reference(external_id="platinum")

    results = adapter.write_batch(
        object_type="customer", operation="upsert", records=[good, no_name, bad_email, bad_tier]
    )
    assert [result.ok for result in results] == [True, False, False, False]
    assert [result.error_code for result in results[1:]] == [
        "USER_ERROR",
        "INVALID_FLD_VALUE",
        "INVALID_KEY_OR_REF",
    ]
    assert "Company Name" in results[1].error_message
    assert "not-an-email" in results[2].error_message
    assert netsuite_sandbox.count(account["account_id"], "customer") == 1


@pytest.mark.parametrize("api", ["soap", "rest"])
def test_every_row_arrives_despite_twenty_percent_temporary_faults(netsuite_sandbox, account, api):
    adapter = adapter_for(account, api)
    netsuite_sandbox.set_behaviour(
        fault_rate=0.2,
        faults=["http_503", "concurrency", "timeout", "drop", "answer_lost"],
        timeout_hold_seconds=0.5,
        seed=20232,  # the same faults every time: a few of the calls fail, and this test sees them
    )
    sent = [customer(n) for n in range(1_000 if api == "soap" else 300)]
    results = write_all(adapter, sent)
    assert all(result.ok for result in results)
    netsuite_sandbox.set_behaviour()
    assert_arrived_exactly(netsuite_sandbox.records(account["account_id"], "customer"), sent)
    assert sum(netsuite_sandbox.stats()["calls"].values()) > len(sent) / adapter.batch_size("upsert")


def writer_process(account: dict, first: int, count: int, failures) -> None:
    """One of several writer processes, each with more threads than the account allows."""
    import django

    django.setup()
    adapter = adapter_for(account, "soap")
    batches = [
        [customer(n) for n in range(start, min(start + 20, first + count))]
        for start in range(first, first + count, 20)
    ]
    with ThreadPoolExecutor(max_workers=4) as pool:
        for results in pool.map(
            lambda batch: adapter.write_batch(object_type="customer", operation="upsert", records=batch),
            batches,
        ):
            if not all(result.ok for result in results):
                failures.value += 1


def test_four_writer_processes_sharing_a_limit_of_five_never_exceed_it(netsuite_sandbox, account):
    # The limiter is the one the settings choose: Redis leases in CI, lock files in the embedded default.
    netsuite_sandbox.set_behaviour(latency_ms=50)
    context = multiprocessing.get_context("fork")
    failures = context.Value("i", 0)
    processes = [
        context.Process(target=writer_process, args=(account, index * 400, 400, failures))
        for index in range(4)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=300)
        assert process.exitcode == 0
    assert failures.value == 0
    stats = netsuite_sandbox.stats()["accounts"][account["account_id"]]
    assert stats["limit_violations"] == 0
    assert stats["max_in_flight"] == 5  # the limit was reached, and never passed
    assert netsuite_sandbox.count(account["account_id"], "customer") == 1_600
