"""Drive syncapp with the Hightouch Python SDK, as an orchestrator would; print what it saw as JSON.

Run by tests/netsuite/test_api_orchestrators.py with the SDK environment's Python (var/hightouch-sdk),
so it imports the SDK and nothing of syncapp. Usage: client.py <base URL> <sync slug>, the API key in
SYNCAPP_API_KEY. The SDK types ids and counts as floats: they are passed as floats, as its users do.
"""

import json
import os
import sys
import time

from hightouch import Hightouch
from hightouch.models import operations, shared

TERMINAL = {"success", "warning", "failed", "cancelled", "interrupted"}


def main(base_url: str, slug: str) -> dict:
    sdk = Hightouch(server_url=base_url)
    token = os.environ["SYNCAPP_API_KEY"]

    listed = sdk.list_sync(
        operations.ListSyncRequest(slug=slug, limit=10.0), operations.ListSyncSecurity(token)
    )
    assert listed.status_code == 200, listed.raw_response.text
    syncs = listed.list_sync_200_application_json_object.data
    sync = syncs[0]

    triggered = sdk.trigger_run(
        operations.TriggerRunRequest(sync_id=sync.id, trigger_run_input=None),
        operations.TriggerRunSecurity(token),
    )
    assert triggered.status_code == 200, triggered.raw_response.text
    run_id = triggered.trigger_run_output.id

    statuses = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        request = operations.ListSyncRunsRequest(sync_id=float(sync.id), run_id=float(run_id))
        runs = sdk.list_sync_runs(request, operations.ListSyncRunsSecurity(token))
        assert runs.status_code == 200, runs.raw_response.text
        run = runs.list_sync_runs_200_application_json_object.data[0]
        statuses.append(run.status.value)
        if run.status.value in TERMINAL:
            break
        time.sleep(0.2)

    again = sdk.trigger_run_custom(
        shared.TriggerRunCustomInput(sync_slug=slug, full_resync=True),
        operations.TriggerRunCustomSecurity(token),
    )
    assert again.status_code == 200, again.raw_response.text
    every_run = sdk.list_sync_runs(
        operations.ListSyncRunsRequest(sync_id=float(sync.id), limit=5.0),
        operations.ListSyncRunsSecurity(token),
    ).list_sync_runs_200_application_json_object.data
    got = sdk.get_sync(
        operations.GetSyncRequest(sync_id=float(sync.id)), operations.GetSyncSecurity(token)
    ).sync
    return {
        "listed": [s.slug for s in syncs],
        "sync_id": sync.id,
        "run_id": run_id,
        "statuses": statuses,
        "planned_added": run.planned_rows.added_count,
        "successful_added": run.successful_rows.added_count,
        "query_size": run.query_size,
        "second_run_id": again.raw_response.json()["id"],
        "runs": [r.id for r in every_run],
        "sync_status": got.status.value,
        "last_run_at": got.last_run_at.isoformat() if got.last_run_at else None,
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2])))
