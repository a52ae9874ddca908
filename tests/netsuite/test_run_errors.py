"""Bad input ends a run with a clear message on the run, and loses nothing."""

import sqlite3

import pytest

from models_catalog.models import SourceKind
from syncs import services
from syncs.models import RejectedRow, RunStatus, SyncRun
from tests import factories
from tests.netsuite.adapter_helpers import sandbox_destination


@pytest.fixture
def make_sync(world, tmp_path, netsuite_account):
    path = tmp_path / "warehouse.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE customers (id INTEGER, name TEXT, inactive TEXT)")
        db.executemany("INSERT INTO customers VALUES (?, ?, ?)", [(1, "Acme", "no"), (2, "Globex", "maybe")])

    def make(sql="SELECT * FROM customers", mappings=None):
        source = factories.SourceFactory(
            workspace=world.acme, kind=SourceKind.SQLITE, database=str(path), host="", password=""
        )
        return factories.SyncFactory(
            workspace=world.acme,
            model=factories.ModelFactory(workspace=world.acme, source=source, sql=sql),
            destination=sandbox_destination(world.acme, netsuite_account),
            config={
                "object": "customer",
                "mode": "upsert",
                "mappings": mappings or [{"from": "name", "to": "companyName"}],
            },
        )

    return make


def run_in_process(sync) -> SyncRun:
    run = SyncRun.objects.create(sync=sync, trigger="manual")
    services.run_execute(
        run_id=run.pk, enqueue_batch=lambda batch_id: services.batch_write(batch_id=batch_id)
    )
    run.refresh_from_db()
    return run


@pytest.mark.parametrize(
    ("sql", "code", "message"),
    [
        ("SELECT * FROM customer", "QUERY_ERROR", "The model's query failed: no such table: customer"),
        ("DELETE FROM customers", "QUERY_ERROR", "must be a SELECT query; it is a DELETE statement"),
        ("SELECT name FROM customers", "QUERY_ERROR", "The model has no column 'id'; its columns are name"),
    ],
)
def test_bad_sql_fails_the_run_with_a_clear_message(
    make_sync, netsuite_sandbox, netsuite_account, sql, code, message
):
    run = run_in_process(make_sync(sql=sql))
    assert run.status == RunStatus.FAILED
    assert run.error_code == code and message in run.error_message
    assert run.finished_at is not None
    assert netsuite_sandbox.count(netsuite_account["account_id"], "customer") == 0


def test_an_invalid_mapping_fails_the_run_before_anything_is_written(
    make_sync, netsuite_sandbox, netsuite_account
):
    run = run_in_process(make_sync(mappings=[{"from": "name", "to": "companyNickname"}]))
    assert run.status == RunStatus.FAILED and run.error_code == "INVALID_CONFIG"
    assert "customer has no field 'companyNickname'" in run.error_message
    assert netsuite_sandbox.count(netsuite_account["account_id"], "customer") == 0


def test_a_value_that_cannot_be_cast_rejects_its_row_naming_the_column_and_the_value(
    make_sync, netsuite_sandbox, netsuite_account
):
    sync = make_sync(
        mappings=[{"from": "name", "to": "companyName"}, {"from": "inactive", "to": "isInactive"}]
    )
    run = run_in_process(sync)
    assert run.status == RunStatus.WARNING
    assert (run.successful_added, run.failed_added) == (1, 1)
    rejected = RejectedRow.objects.get(run=run)
    assert rejected.primary_key == "2" and rejected.error_code == "INVALID_VALUE"
    assert "column 'inactive' value 'maybe' is not true or false" in rejected.error_message
    assert [
        r["externalId"] for r in netsuite_sandbox.records(netsuite_account["account_id"], "customer")
    ] == ["1"]
