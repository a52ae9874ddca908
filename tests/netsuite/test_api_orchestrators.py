"""Orchestrators drive syncapp through its Hightouch-compatible API, end to end.

A live server answers the API; a real Celery worker runs the syncs, from a SQLite warehouse to the
NetSuite sandbox. The requests are the ones the orchestrator packages send: the Airflow provider
posts its trigger form-encoded, polls the run by `runId` until a terminal status, then reads the
sync; dagster-hightouch posts the trigger with no body; the Hightouch Python SDK (PyPI `hightouch`,
in its own environment) lists syncs, triggers one and reads its runs.
"""

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
import requests

from models_catalog.models import SourceKind
from syncapp.api.services import api_key_create
from syncs.models import RunTrigger, SyncRun
from tests import factories
from tests.api_support import TERMINAL
from tests.conftest import needs_service
from tests.netsuite.adapter_helpers import Warehouse, sandbox_destination

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
SDK_PYTHON = ROOT / "var" / "hightouch-sdk" / "bin" / "python"
# What the Airflow provider (and dagster-hightouch) keep polling on, and what ends their wait.
PENDING = {"queued", "querying", "processing", "reporting", "pending"}


@pytest.fixture
def sync(world, tmp_path, netsuite_account):
    """A sync of 30 customers to the sandbox, on a schedule of its own: manual (the orchestrator's)."""
    warehouse = Warehouse(tmp_path / "warehouse.sqlite3")
    warehouse.add(1, 30)
    source = factories.SourceFactory(
        workspace=world.acme, kind=SourceKind.SQLITE, database=str(warehouse.path), host="", password=""
    )
    model = factories.ModelFactory(workspace=world.acme, source=source, sql="SELECT * FROM customers")
    destination = sandbox_destination(world.acme, netsuite_account)
    made = factories.SyncFactory(
        workspace=world.acme,
        slug="customers-to-netsuite",
        model=model,
        destination=destination,
        config={
            "object": "customer",
            "mode": "upsert",
            "mappings": [{"from": "name", "to": "companyName"}, {"from": "email", "to": "email"}],
        },
    )
    made.warehouse = warehouse
    return made


@pytest.fixture
def token(world) -> str:
    return api_key_create(workspace=world.acme, user=world.alice, name="Airflow")[1]


class AirflowLikeClient:
    """The Airflow provider's requests: HttpHook.run with `data=` (a form for POST, the query for
    GET), JSON answers unwrapped from "data" when they have it, a poll every few seconds."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base = f"{base_url}/api/v1/"
        self.http = requests.Session()
        self.http.headers.update(
            {
                "accept": "application/json",
                "Authorization": f"Bearer {token}",
                "User-Agent": "AirflowHightouchOperator/4",
            }
        )

    def request(self, method: str, endpoint: str, data: dict | None = None):
        if method == "GET":
            response = self.http.get(self.base + endpoint, params=data, timeout=30)
        else:
            response = self.http.request(method, self.base + endpoint, data=data, timeout=30)
        assert response.status_code == 200, f"{method} {endpoint} -> {response.status_code}: {response.text}"
        body = response.json()
        return body.get("data", body)

    def sync_and_poll(
        self, *, sync_id: str | None = None, sync_slug: str | None = None, timeout: float = 120
    ):
        """Trigger, poll the run by runId until it ends, read the sync: the provider's sync_and_poll."""
        form = {"syncId": sync_id} if sync_id else {"syncSlug": sync_slug}
        run_id = self.request("POST", "syncs/trigger", form)["id"]
        if not sync_id:
            sync_id = self.request("GET", "syncs", {"slug": sync_slug})[0]["id"]
        seen = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = self.request("GET", f"syncs/{sync_id}/runs", {"runId": run_id})[0]
            seen.append(run["status"])
            if run["status"] in TERMINAL:
                return run, self.request("GET", f"syncs/{sync_id}"), seen
            assert run["status"] in PENDING, f"a status the provider does not know: {run['status']}"
            time.sleep(0.2)
        raise AssertionError(f"run {run_id} still {seen[-1]} after {timeout}s")


def test_the_airflow_providers_trigger_poll_and_read_drive_real_runs(
    live_server, celery_worker_factory, sync, token, netsuite_sandbox, netsuite_account
):
    celery_worker_factory(concurrency=2)
    airflow = AirflowLikeClient(live_server.url, token)

    run, details, seen = airflow.sync_and_poll(sync_id=str(sync.pk))
    assert run["status"] == "success", run
    assert run["error"] is None and run["completionRatio"] == 1.0 and run["querySize"] == 30
    assert run["plannedRows"] == {"addedCount": 30, "changedCount": 0, "removedCount": 0}
    assert run["successfulRows"] == run["plannedRows"]
    assert run["failedRows"] == {"addedCount": 0, "changedCount": 0, "removedCount": 0}
    assert run["startedAt"] <= run["finishedAt"]
    assert set(seen) <= PENDING | {"success"}
    assert details["status"] == "success" and details["lastRunAt"] is not None
    assert details["id"] == str(sync.pk) and details["slug"] == "customers-to-netsuite"
    assert len(netsuite_sandbox.records(netsuite_account["account_id"], "customer")) == 30
    assert SyncRun.objects.get(pk=run["id"]).trigger == RunTrigger.API

    # Rows the destination rejects: the run ends in warning, which the provider accepts by default.
    sync.warehouse.sql("UPDATE customers SET email = 'broken' WHERE id IN (3, 4)")
    sync.warehouse.sql("UPDATE customers SET name = 'Renamed' WHERE id = 5")
    run, details, _seen = airflow.sync_and_poll(sync_slug="customers-to-netsuite")
    assert run["status"] == "warning" and details["status"] == "warning"
    assert run["plannedRows"]["changedCount"] == 3 and run["failedRows"]["changedCount"] == 2
    assert run["successfulRows"]["changedCount"] == 1


def test_dagster_triggers_without_a_body_and_a_failed_run_reads_failed_with_its_error(
    live_server, celery_worker_factory, sync, token, netsuite_sandbox
):
    celery_worker_factory(concurrency=1)
    sync.destination.set_credentials({"token_secret": "not-the-secret"})
    sync.destination.save()
    headers = {"Authorization": f"Bearer {token}"}
    response = requests.post(f"{live_server.url}/api/v1/syncs/{sync.pk}/trigger", headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    run_id = response.json()["id"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        runs = requests.get(
            f"{live_server.url}/api/v1/syncs/{sync.pk}/runs",
            params={"runId": run_id},
            headers=headers,
            timeout=30,
        ).json()["data"]
        if runs[0]["status"] in TERMINAL:
            break
        time.sleep(0.2)
    assert runs[0]["status"] == "failed", runs
    assert runs[0]["error"]  # the reason, as the orchestrator logs it
    assert "not-the-secret" not in json.dumps(runs)
    sync_body = requests.get(f"{live_server.url}/api/v1/syncs/{sync.pk}", headers=headers, timeout=30).json()
    assert sync_body["status"] == "failed"


def test_the_hightouch_python_sdk_lists_triggers_and_reads_runs(
    live_server, celery_worker_factory, sync, token, netsuite_sandbox
):
    needs_service("the Hightouch SDK environment (make test makes var/hightouch-sdk)", SDK_PYTHON.exists())
    celery_worker_factory(concurrency=2)
    result = subprocess.run(
        [
            str(SDK_PYTHON),
            str(ROOT / "tests" / "hightouch_sdk" / "client.py"),
            f"{live_server.url}/api/v1",
            sync.slug,
        ],
        env={"PATH": os.environ.get("PATH", ""), "SYNCAPP_API_KEY": token},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["listed"] == ["customers-to-netsuite"] and seen["sync_id"] == str(sync.pk)
    assert seen["statuses"][-1] == "success" and set(seen["statuses"]) <= PENDING | {"success"}
    assert (seen["planned_added"], seen["successful_added"], seen["query_size"]) == (30, 30, 30)
    assert seen["runs"][:2] == [seen["second_run_id"], seen["run_id"]]  # newest first
    assert SyncRun.objects.get(pk=seen["second_run_id"]).full_resync is True
    assert seen["sync_status"] in PENDING | {"success"} and seen["last_run_at"]
