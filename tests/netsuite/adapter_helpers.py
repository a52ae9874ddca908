"""Shared set-up for the adapter's tests: an account with custom fields of every type and a custom
record type, and NetSuiteAdapters for it over SOAP or REST."""

import json
import sqlite3
import time
from collections.abc import Callable

from destinations.adapters import OutgoingRecord
from netsuite.adapter import NetSuiteAdapter
from netsuite.retry import RetryPolicy

CREDENTIAL_NAMES = ("consumer_key", "consumer_secret", "token_id", "token_secret")
# Quick retries, so that tests with injected faults finish fast; still bounded.
FAST_RETRIES = RetryPolicy(max_attempts=12, base_delay=0.02, max_delay=0.2, max_elapsed=30)

CUSTOM_FIELDS = [
    {"record_type": "customer", "script_id": "custentity_note", "label": "Note", "type": "text"},
    {"record_type": "customer", "script_id": "custentity_vip", "label": "VIP", "type": "checkbox"},
    {"record_type": "customer", "script_id": "custentity_since", "label": "Since", "type": "date"},
    {"record_type": "customer", "script_id": "custentity_visits", "label": "Visits", "type": "integer"},
    {"record_type": "customer", "script_id": "custentity_score", "label": "Score", "type": "number"},
    {"record_type": "customer", "script_id": "custentity_spend", "label": "Spend", "type": "currency"},
    {
        "record_type": "customer",
        "script_id": "custentity_tier",
        "label": "Tier",
        "type": "select",
        "references": "customrecord_tier",
    },
    {"record_type": "customrecord_tier", "script_id": "custrecord_rank", "label": "Rank", "type": "integer"},
    {"record_type": "inventoryItem", "script_id": "custitem_colour", "label": "Colour", "type": "text"},
]
CUSTOM_RECORD_TYPES = [{"script_id": "customrecord_tier", "internal_id": "11", "label": "Tier"}]
TIERS = [
    {"type": "customrecord_tier", "external_id": name, "fields": {"name": name.title()}}
    for name in ("gold", "silver")
]


def token_of(account: dict) -> dict:
    return {name: account[name] for name in CREDENTIAL_NAMES}


def set_up_account(sandbox, account: dict, *, permissions: object = "all", **body) -> None:
    """(Re)configure the fixture's account with the custom fields and tiers above."""
    sandbox.create_account(
        **{
            "account_id": account["account_id"],
            "concurrency_limit": 5,
            "tokens": [token_of(account) | {"permissions": permissions}],
            "custom_fields": CUSTOM_FIELDS,
            "custom_record_types": CUSTOM_RECORD_TYPES,
            "records": TIERS,
        }
        | body
    )


def adapter_for(
    account: dict,
    api: str = "soap",
    *,
    credentials: dict | None = None,
    retry_policy: RetryPolicy = FAST_RETRIES,
    timeout: tuple[float, float] = (5.0, 30.0),
    **config,
) -> NetSuiteAdapter:
    settings = {"account_id": account["account_id"], "api": api, "base_url": account["base_url"]} | config
    return NetSuiteAdapter(
        settings, credentials or token_of(account), retry_policy=retry_policy, timeout=timeout
    )


def stored(sandbox, account: dict, record_type: str) -> dict[str, dict]:
    """The account's records of a type by external ID."""
    return {r["externalId"]: r for r in sandbox.records(account["account_id"], record_type, limit=1000)}


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition did not come true in time"
        time.sleep(0.01)


def customer(n: int, **fields) -> OutgoingRecord:
    return OutgoingRecord(
        external_id=f"c-{n}",
        fields={"companyName": f"Company {n}", "email": f"c{n}@example.com", **fields},
    )


def sandbox_destination(workspace, account: dict, *, name: str | None = None, **config):
    """A NetSuite destination on the sandbox account `account` (the netsuite_account fixture's)."""
    from tests import factories

    return factories.DestinationFactory(
        workspace=workspace,
        **({"name": name} if name else {}),
        config={"account_id": account["account_id"], "base_url": account["base_url"]} | config,
        credentials=json.dumps(token_of(account)),
    )


class Warehouse:
    """A SQLite warehouse file with one `customers` table that tests edit between runs."""

    def __init__(self, path) -> None:
        self.path = path
        self.sql("CREATE TABLE customers (id INTEGER, name TEXT, email TEXT, city TEXT, note TEXT)")

    def sql(self, statement: str, *params) -> None:
        with sqlite3.connect(self.path) as db:
            db.execute(statement, params)

    def add(self, first: int, last: int) -> None:
        with sqlite3.connect(self.path) as db:
            db.executemany(
                "INSERT INTO customers VALUES (?, ?, ?, ?, ?)",
                [(n, f"Company {n}", f"c{n}@example.com", "paris", "") for n in range(first, last + 1)],
            )
