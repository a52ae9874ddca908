"""A key of one workspace never reaches another's rows, whether they are named in the path (see
also tests/test_tenancy.py, which walks every URL), in a query parameter or in a request body."""

import json

import pytest

from destinations.models import Destination
from models_catalog.models import Model, Source
from syncs.models import Sync, SyncRun
from tests.api_support import api_client_for
from tests.conftest import populate


@pytest.fixture
def sides(world):
    return populate(world.acme), populate(world.globex)


@pytest.fixture
def acme_api(world):
    return api_client_for(world.acme, world.alice)


def test_every_operation_with_an_id_in_its_path_answers_404_for_the_other_workspace(
    world, sides, acme_api, client
):
    """Walk the OpenAPI document, so that an operation added later is covered as soon as it exists."""
    _acme, globex = sides
    ids = {
        "syncId": globex["sync"].pk,
        "sourceId": globex["source"].pk,
        "modelId": globex["model"].pk,
        "destinationId": globex["destination"].pk,
    }
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    checked = 0
    for template, operations in paths.items():
        if "{" not in template:
            continue
        url = template.format(**ids)
        for method in operations:
            response = acme_api.client.generic(
                method.upper(), url, "{}", content_type="application/json", headers=acme_api.headers()
            )
            assert response.status_code == 404, f"{method.upper()} {url} -> {response.status_code}"
            assert response.json() == {"message": "Not found"}
            checked += 1
    assert checked >= 9
    assert not SyncRun.objects.filter(sync=globex["sync"]).exclude(pk=globex["run"].pk).exists()


def test_lists_hold_only_the_keys_workspace(world, sides, acme_api):
    acme, globex = sides
    for path, made in (
        ("sources", "source"),
        ("models", "model"),
        ("destinations", "destination"),
        ("syncs", "sync"),
    ):
        ids = [row["id"] for row in acme_api.get(path).json()["data"]]
        assert ids == [str(acme[made].pk)], path
    by_slug = acme_api.get("syncs", slug=globex["sync"].slug).json()["data"]
    assert by_slug == []
    assert acme_api.get("syncs", modelId=globex["model"].pk).json()["data"] == []
    assert acme_api.get("models", slug=globex["model"].slug).json()["data"] == []


def test_a_run_of_another_workspace_is_not_read_through_ones_own_sync(world, sides, acme_api):
    acme, globex = sides
    response = acme_api.get(f"syncs/{acme['sync'].pk}/runs", runId=globex["run"].pk)
    assert response.status_code == 200 and response.json()["data"] == []


def test_triggers_by_id_or_slug_do_not_reach_the_other_workspace(world, sides, acme_api):
    _acme, globex = sides
    assert acme_api.post("syncs/trigger", {"syncId": str(globex["sync"].pk)}).status_code == 404
    assert acme_api.post("syncs/trigger", {"syncSlug": globex["sync"].slug}).status_code == 404
    assert acme_api.post_form("syncs/trigger", {"syncId": str(globex["sync"].pk)}).status_code == 404
    assert SyncRun.objects.filter(sync=globex["sync"]).count() == 1


def test_bodies_cannot_attach_the_other_workspaces_rows(world, sides, acme_api):
    acme, globex = sides
    model = {
        "name": "Stolen",
        "slug": "stolen",
        "sourceId": globex["source"].pk,
        "queryType": "raw_sql",
        "primaryKey": "id",
        "raw": {"sql": "SELECT 1 AS id"},
    }
    response = acme_api.post("models", model)
    assert response.status_code == 422 and "sourceId" in response.json()["details"]
    sync = {
        "slug": "stolen",
        "modelId": globex["model"].pk,
        "destinationId": globex["destination"].pk,
        "configuration": acme["sync"].config,
        "disabled": False,
    }
    response = acme_api.post("syncs", sync)
    assert response.status_code == 422
    assert {"modelId"} <= set(response.json()["details"])
    response = acme_api.post("syncs", sync | {"modelId": acme["model"].pk})
    assert response.status_code == 422 and "destinationId" in response.json()["details"]
    assert (
        not Model.objects.filter(slug="stolen").exists() and not Sync.objects.filter(slug="stolen").exists()
    )


def test_the_other_workspace_cannot_see_what_one_makes(world, sides, acme_api, tmp_path):
    warehouse = str(tmp_path / "warehouse.sqlite3")  # file sources live under SYNCAPP_FILE_SOURCES_DIRS
    created = acme_api.post(
        "sources", {"name": "Mine", "type": "sqlite", "configuration": {"database": warehouse}}
    )
    assert created.status_code == 200
    globex_api = api_client_for(world.globex)
    assert globex_api.get(f"sources/{created.json()['id']}").status_code == 404
    assert "Mine" not in json.dumps(globex_api.get("sources").json())
    assert Source.objects.get(name="Mine").workspace == world.acme
    assert Destination.objects.in_workspace(world.globex).count() == 1
