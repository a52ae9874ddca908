"""The sync engine end to end: a real source database, real Celery workers, the NetSuite sandbox.

Runs are triggered the way the product triggers them and driven by worker processes; the test only
watches the run's status in the database and the records in the sandbox.
"""

import time

import pytest

from models_catalog.models import SourceKind
from syncs import services
from syncs.models import RejectedRow, RunStatus, SyncRun
from tests import factories
from tests.netsuite.adapter_helpers import Warehouse, sandbox_destination

pytestmark = pytest.mark.django_db(transaction=True)

MAPPINGS = [
    {"from": "name", "to": "companyName"},
    {"from": "email", "to": "email"},
    {"template": "{{ city | upcase }}", "to": "comments"},
]
TERMINAL = {RunStatus.SUCCESS, RunStatus.WARNING, RunStatus.FAILED, RunStatus.INCOMPLETE, RunStatus.CANCELLED}


@pytest.fixture
def warehouse(tmp_path) -> Warehouse:
    return Warehouse(tmp_path / "warehouse.sqlite3")


@pytest.fixture
def make_sync(world, warehouse, netsuite_account):
    def make(mode: str = "upsert", **destination_config):
        source = factories.SourceFactory(
            workspace=world.acme, kind=SourceKind.SQLITE, database=str(warehouse.path), host="", password=""
        )
        model = factories.ModelFactory(workspace=world.acme, source=source, sql="SELECT * FROM customers")
        destination = sandbox_destination(world.acme, netsuite_account, **destination_config)
        return factories.SyncFactory(
            workspace=world.acme,
            model=model,
            destination=destination,
            config={"object": "customer", "mode": mode, "mappings": MAPPINGS},
        )

    return make


def run_to_end(sync, *, full_resync: bool = False, timeout: float = 120) -> SyncRun:
    run = services.sync_trigger(sync=sync, trigger="manual", full_resync=full_resync)
    return wait_for(run, TERMINAL, timeout)


def wait_for(run: SyncRun, statuses: set, timeout: float = 120) -> SyncRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status in statuses:
            return run
        time.sleep(0.1)
    raise AssertionError(f"run {run.pk} still {run.status} after {timeout}s")


def counts(run: SyncRun) -> dict:
    return {
        kind: (
            getattr(run, f"planned_{kind}"),
            getattr(run, f"successful_{kind}"),
            getattr(run, f"failed_{kind}"),
        )
        for kind in ("added", "changed", "removed")
    }


def records(netsuite_sandbox, netsuite_account) -> dict[str, dict]:
    stored = netsuite_sandbox.records(netsuite_account["account_id"], "customer")
    return {record["externalId"]: record for record in stored}


def test_first_run_adds_every_row_and_a_run_with_no_change_sends_nothing(
    celery_worker_factory, make_sync, warehouse, netsuite_sandbox, netsuite_account
):
    celery_worker_factory(concurrency=2)
    warehouse.add(1, 250)
    sync = make_sync()

    first = run_to_end(sync)
    assert first.status == RunStatus.SUCCESS, first.error_message
    assert counts(first) == {"added": (250, 250, 0), "changed": (0, 0, 0), "removed": (0, 0, 0)}
    assert first.query_size == 250 and first.completion_ratio == 1.0
    assert first.started_at <= first.querying_at <= first.preparing_at <= first.queued_at <= first.writing_at
    assert first.writing_at <= first.finished_at
    stored = records(netsuite_sandbox, netsuite_account)
    assert len(stored) == 250
    assert stored["7"]["fields"]["companyName"] == "Company 7"
    assert stored["7"]["fields"]["comments"] == "PARIS"

    calls_before = netsuite_sandbox.stats()["calls"]
    second = run_to_end(sync)
    assert second.status == RunStatus.SUCCESS
    assert counts(second) == {"added": (0, 0, 0), "changed": (0, 0, 0), "removed": (0, 0, 0)}
    calls_after = netsuite_sandbox.stats()["calls"]
    assert calls_after.get("soap:upsertList") == calls_before.get("soap:upsertList")  # nothing sent


@pytest.mark.parametrize(
    ("mode", "after"),
    [
        # mode: what the sandbox holds for rows 2 (changed), 3 (removed) and 11 (added) afterwards
        ("upsert", {"2": "Renamed", "3": "Company 3", "11": "Company 11"}),
        ("update", {"2": "Renamed", "3": "Company 3", "11": None}),
        ("insert", {"2": "Company 2", "3": "Company 3", "11": "Company 11"}),
        ("mirror", {"2": "Renamed", "3": None, "11": "Company 11"}),
        ("archive", {"2": "Renamed", "3": "Company 3", "11": "Company 11"}),
    ],
)
def test_changed_and_removed_rows_in_every_mode(
    celery_worker_factory, make_sync, warehouse, netsuite_sandbox, netsuite_account, mode, after
):
    celery_worker_factory(concurrency=2)
    warehouse.add(1, 10)
    if mode == "update":  # update mode writes only records that exist already
        seed = make_sync("upsert")
        assert run_to_end(seed).status == RunStatus.SUCCESS
    sync = make_sync(mode)
    first = run_to_end(sync)
    assert first.status == RunStatus.SUCCESS, first.error_message

    warehouse.sql("UPDATE customers SET name = 'Renamed' WHERE id = 2")
    warehouse.sql("DELETE FROM customers WHERE id = 3")
    warehouse.add(11, 11)
    run = run_to_end(sync)
    stored = records(netsuite_sandbox, netsuite_account)
    for key, name in after.items():
        assert (stored[key]["fields"]["companyName"] if key in stored else None) == name, (mode, key)
    if mode == "archive":
        assert stored["3"]["fields"]["isInactive"] is True
    if mode == "update":
        assert run.failed_added == 1  # row 11 has no record to update
        assert RejectedRow.objects.get(run=run).error_code == "RCRD_DSNT_EXIST"


def test_rejected_rows_are_retried_by_the_next_run(
    celery_worker_factory, make_sync, warehouse, netsuite_sandbox, netsuite_account
):
    celery_worker_factory(concurrency=2)
    warehouse.add(1, 20)
    warehouse.sql("UPDATE customers SET email = 'broken' WHERE id IN (4, 9)")
    sync = make_sync()

    first = run_to_end(sync)
    assert first.status == RunStatus.WARNING
    assert counts(first)["added"] == (20, 18, 2)
    rejected = RejectedRow.objects.filter(run=first).order_by("primary_key")
    assert [(row.primary_key, row.error_code) for row in rejected] == [
        ("4", "INVALID_FLD_VALUE"),
        ("9", "INVALID_FLD_VALUE"),
    ]
    assert "broken" in rejected[0].error_message

    warehouse.sql("UPDATE customers SET email = 'fixed' || id || '@example.com' WHERE id IN (4, 9)")
    second = run_to_end(sync)
    assert second.status == RunStatus.SUCCESS
    assert counts(second)["added"] == (2, 2, 0)  # only the rows the destination never confirmed
    assert records(netsuite_sandbox, netsuite_account)["4"]["fields"]["email"] == "fixed4@example.com"


def test_resync_full_query_results_sends_every_row_again_and_keeps_removed_records(
    celery_worker_factory, make_sync, warehouse, netsuite_sandbox, netsuite_account
):
    celery_worker_factory(concurrency=2)
    warehouse.add(1, 30)
    sync = make_sync("mirror")
    run_to_end(sync)
    warehouse.sql("DELETE FROM customers WHERE id = 30")
    resync = run_to_end(sync, full_resync=True)
    assert resync.status == RunStatus.SUCCESS and resync.full_resync
    assert counts(resync) == {"added": (29, 29, 0), "changed": (0, 0, 0), "removed": (0, 0, 0)}
    assert "30" in records(netsuite_sandbox, netsuite_account)


def test_a_cancelled_run_stops_at_the_next_batch_boundary(
    celery_worker_factory, make_sync, warehouse, netsuite_sandbox, netsuite_account
):
    celery_worker_factory(concurrency=1)
    warehouse.add(1, 1000)
    netsuite_sandbox.set_behaviour(latency_ms=300)
    sync = make_sync()
    run = services.sync_trigger(sync=sync, trigger="manual")
    wait_for(run, {RunStatus.IN_PROGRESS}, timeout=60)
    assert services.run_cancel(run=run)
    time.sleep(1.5)  # the batch in flight finishes; no other starts
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED
    written = netsuite_sandbox.count(netsuite_account["account_id"], "customer")
    assert 0 < written < 1000
    time.sleep(1.0)
    assert netsuite_sandbox.count(netsuite_account["account_id"], "customer") == written
    run.refresh_from_db()
    assert run.successful_added == written  # the batches that were written are counted, once

    netsuite_sandbox.set_behaviour()
    after = run_to_end(sync)
    assert after.status == RunStatus.SUCCESS
    assert after.planned_added == 1000 - written
    assert netsuite_sandbox.count(netsuite_account["account_id"], "customer") == 1000


def test_a_worker_killed_mid_write_leaves_an_incomplete_run_the_next_run_finishes(
    celery_worker_factory, make_sync, warehouse, netsuite_sandbox, netsuite_account, settings
):
    worker = celery_worker_factory(concurrency=2)
    warehouse.add(1, 2000)
    netsuite_sandbox.set_behaviour(latency_ms=400)
    sync = make_sync()
    run = services.sync_trigger(sync=sync, trigger="manual")
    wait_for(run, {RunStatus.IN_PROGRESS}, timeout=60)
    while run.successful_added == 0:
        time.sleep(0.05)
        run = wait_for(run, {RunStatus.IN_PROGRESS})
    worker.kill()

    settings.SYNCAPP_RUN_STALL_SECONDS = 2
    deadline = time.monotonic() + 30
    while services.runs_reap_stalled() == 0:
        assert time.monotonic() < deadline, "the reaper never noticed the lost worker"
        time.sleep(0.5)
    run.refresh_from_db()
    assert run.status == RunStatus.INCOMPLETE and run.error_code == "STALLED"

    netsuite_sandbox.set_behaviour()
    celery_worker_factory(concurrency=2)
    after = run_to_end(sync)
    assert after.status == RunStatus.SUCCESS, after.error_message
    stored = netsuite_sandbox.records(netsuite_account["account_id"], "customer")
    assert sorted(int(record["externalId"]) for record in stored) == list(
        range(1, 2001)
    )  # none lost, none twice
