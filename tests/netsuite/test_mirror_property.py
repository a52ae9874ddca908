"""For any sequence of model states, after each mirror-mode run the sandbox holds exactly the model's rows.

The runs go through the engine's services in this process (planning, batches, snapshot), against the
sandbox over HTTP; the Celery plumbing around them is covered by test_sync_engine.
"""

import sqlite3

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models_catalog.models import SourceKind
from syncs import services
from syncs.models import RunStatus, SyncRun
from tests import factories
from tests.netsuite.adapter_helpers import sandbox_destination

KEYS = st.integers(min_value=1, max_value=40)
NAMES = st.sampled_from(["Acme", "Globex", "Initech", "Umbrella"])
STATES = st.lists(st.dictionaries(KEYS, NAMES, max_size=25), min_size=1, max_size=4)


def write_state(path, state: dict[int, str]) -> None:
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE IF EXISTS customers")
        db.execute("CREATE TABLE customers (id INTEGER, name TEXT)")
        db.executemany("INSERT INTO customers VALUES (?, ?)", sorted(state.items()))


def run_in_process(sync) -> SyncRun:
    run = SyncRun.objects.create(sync=sync, trigger="manual")
    services.run_execute(
        run_id=run.pk, enqueue_batch=lambda batch_id: services.batch_write(batch_id=batch_id)
    )
    run.refresh_from_db()
    return run


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(states=STATES)
def test_mirror_mode_leaves_the_sandbox_holding_exactly_the_models_rows(
    states, world, netsuite_sandbox, netsuite_account, tmp_path_factory
):
    netsuite_sandbox.reset()
    warehouse = tmp_path_factory.mktemp("warehouse") / "w.sqlite3"
    write_state(warehouse, {})
    source = factories.SourceFactory(
        workspace=world.acme, kind=SourceKind.SQLITE, database=str(warehouse), host="", password=""
    )
    sync = factories.SyncFactory(
        workspace=world.acme,
        model=factories.ModelFactory(workspace=world.acme, source=source, sql="SELECT * FROM customers"),
        destination=sandbox_destination(world.acme, netsuite_account),
        config={"object": "customer", "mode": "mirror", "mappings": [{"from": "name", "to": "companyName"}]},
    )
    for state in states:
        write_state(warehouse, state)
        run = run_in_process(sync)
        assert run.status == RunStatus.SUCCESS, run.error_message
        stored = netsuite_sandbox.records(netsuite_account["account_id"], "customer")
        assert {record["externalId"]: record["fields"]["companyName"] for record in stored} == {
            str(key): name for key, name in state.items()
        }
