"""The Hightouch-compatible API: shapes, lists, writes, triggers, runs, errors, auth and rate limits.

Runs here are triggered but not executed (the test transaction never commits, so no task is sent);
tests/netsuite/test_api_orchestrators.py drives runs to the end with a real worker.
"""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from destinations.models import Destination
from models_catalog.models import Model, Source
from syncapp.api.models import ApiKey
from syncapp.api.services import api_key_revoke
from syncs.models import RunStatus, RunTrigger, ScheduleKind, Sync, SyncRun
from tests import factories
from tests.api_support import api_client_for

SYNC_KEYS = {
    "id",
    "slug",
    "workspaceId",
    "createdAt",
    "updatedAt",
    "destinationId",
    "modelId",
    "configuration",
    "schedule",
    "status",
    "disabled",
    "lastRunAt",
    "referencedColumns",
    "primaryKey",
    "externalSegment",
    "tags",
}
RUN_KEYS = {
    "id",
    "createdAt",
    "startedAt",
    "finishedAt",
    "querySize",
    "status",
    "completionRatio",
    "plannedRows",
    "successfulRows",
    "failedRows",
    "error",
}
NETSUITE_CONFIGURATION = {
    "account_id": "1234567_SB1",
    "consumer_key": "ck-new-never-shown",
    "consumer_secret": "cs-new-never-shown",
    "token_id": "tk-new-never-shown",
    "token_secret": "ts-new-never-shown",
}


@pytest.fixture
def api(world):
    return api_client_for(world.acme, world.alice)


@pytest.fixture
def sync(world):
    return factories.SyncFactory(workspace=world.acme, slug="customers-to-netsuite")


def errors_of(response) -> dict:
    body = response.json()
    assert body["message"] == "Validation failed", body
    return body["details"]


# ---------------------------------------------------------------------------------------- access


def test_a_request_without_a_valid_key_is_refused_with_401(client, world, sync):
    assert client.get("/api/v1/syncs").status_code == 401
    for header in ("Bearer nope", "Bearer sa_0123456789ab_wrong", "Basic Zm9vOmJhcg==", "Bearer "):
        response = client.get("/api/v1/syncs", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.json() == {"message": "Unauthorized"}
        assert response["WWW-Authenticate"] == "Bearer"


def test_a_revoked_key_stops_working_at_once(world, api, sync):
    assert api.get("syncs").status_code == 200
    api_key_revoke(api_key=ApiKey.objects.get())
    assert api.get("syncs").status_code == 401


def test_using_a_key_records_when_it_was_last_used(world, api, sync):
    assert ApiKey.objects.get().last_used_at is None
    api.get("syncs")
    assert ApiKey.objects.get().last_used_at is not None


def test_a_key_over_its_rate_answers_429_with_retry_after(world, api, sync, settings):
    settings.SYNCAPP_API_RATE_LIMIT_PER_MINUTE = 3
    statuses = [api.get("syncs").status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200]
    assert statuses[3:] == [429, 429]
    response = api.get("syncs")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "retry" in response.json()["message"].lower()
    other = api_client_for(world.acme)  # limits are per key
    assert other.get("syncs").status_code == 200


def test_the_openapi_document_is_public_and_generated_from_the_code(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {
        "/api/v1/sources",
        "/api/v1/sources/{sourceId}",
        "/api/v1/models",
        "/api/v1/models/{modelId}",
        "/api/v1/destinations",
        "/api/v1/destinations/{destinationId}",
        "/api/v1/syncs",
        "/api/v1/syncs/{syncId}",
        "/api/v1/syncs/{syncId}/trigger",
        "/api/v1/syncs/trigger",
        "/api/v1/syncs/{syncId}/runs",
    } <= set(paths)
    assert set(paths["/api/v1/syncs/{syncId}"]) == {"get", "patch"}
    assert "Validation failed" in json.dumps(response.json()["components"]["schemas"]["ValidateErrorJSON"])


# ---------------------------------------------------------------------------------------- syncs


def test_a_sync_reads_in_hightouchs_shape(world, api, sync):
    sync.config["mappings"] = [{"from": "name", "to": "companyName"}, {"from": "email", "to": "email"}]
    sync.schedule_kind, sync.interval_every, sync.interval_unit = ScheduleKind.INTERVAL, 2, "hours"
    sync.save()
    body = api.get(f"syncs/{sync.pk}").json()
    assert set(body) == SYNC_KEYS
    assert body["id"] == str(sync.pk) and body["workspaceId"] == str(world.acme.pk)
    assert body["modelId"] == str(sync.model_id) and body["destinationId"] == str(sync.destination_id)
    assert body["slug"] == "customers-to-netsuite"
    assert body["status"] == "pending" and body["lastRunAt"] is None and body["disabled"] is False
    assert body["schedule"] == {"type": "interval", "schedule": {"interval": {"unit": "hour", "quantity": 2}}}
    assert body["referencedColumns"] == ["name", "email"]
    assert body["primaryKey"] == "id"
    assert body["configuration"] == sync.config


@pytest.mark.parametrize(
    ("run_status", "expected"),
    [
        (RunStatus.PENDING, "queued"),
        (RunStatus.QUERYING, "querying"),
        (RunStatus.PREPARING, "querying"),
        (RunStatus.QUEUED, "queued"),
        (RunStatus.IN_PROGRESS, "processing"),
        (RunStatus.SUCCESS, "success"),
        (RunStatus.WARNING, "warning"),
        (RunStatus.FAILED, "failed"),
        (RunStatus.INCOMPLETE, "interrupted"),
        (RunStatus.CANCELLED, "cancelled"),
    ],
)
def test_statuses_are_hightouchs(world, api, sync, run_status, expected):
    run = factories.SyncRunFactory(sync=sync, status=run_status)
    assert api.get(f"syncs/{sync.pk}").json()["status"] == expected
    assert api.get(f"syncs/{sync.pk}/runs", runId=run.pk).json()["data"][0]["status"] == expected
    Sync.objects.filter(pk=sync.pk).update(enabled=False)
    assert api.get(f"syncs/{sync.pk}").json()["status"] == "disabled"


def test_lists_page_with_limit_offset_order_and_has_more(world, api):
    made = [factories.SyncFactory(workspace=world.acme, slug=f"sync-{n}") for n in (3, 1, 2)]
    factories.SyncFactory(workspace=world.globex)
    body = api.get("syncs").json()
    assert set(body) == {"data", "hasMore"} and body["hasMore"] is False
    assert [row["id"] for row in body["data"]] == [str(s.pk) for s in made]  # by id
    by_slug = api.get("syncs", orderBy="slug", limit=2).json()
    assert [row["slug"] for row in by_slug["data"]] == ["sync-1", "sync-2"] and by_slug["hasMore"] is True
    rest = api.get("syncs", orderBy="slug", limit=2, offset=2).json()
    assert [row["slug"] for row in rest["data"]] == ["sync-3"] and rest["hasMore"] is False
    assert api.get("syncs", limit="2.0").status_code == 200  # the SDK writes numbers as floats


def test_syncs_filter_by_slug_model_and_last_run_time(world, api):
    old, recent, never = (factories.SyncFactory(workspace=world.acme) for _ in range(3))
    SyncRun.objects.filter(pk=factories.SyncRunFactory(sync=old).pk).update(
        created_at=timezone.now() - timedelta(days=2)
    )
    factories.SyncRunFactory(sync=recent)

    def ids(**params) -> list[str]:
        response = api.get("syncs", **params)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["data"]]

    assert ids(slug=recent.slug) == [str(recent.pk)]
    assert ids(modelId=never.model_id) == [str(never.pk)]
    yesterday = (timezone.now() - timedelta(days=1)).isoformat()
    assert ids(after=yesterday) == [str(recent.pk)]
    assert ids(before=yesterday) == [str(old.pk)]
    assert ids(slug="no-such-sync") == []


def test_a_sync_is_created_and_updated(world, api):
    model = factories.ModelFactory(workspace=world.acme)
    destination = factories.DestinationFactory(workspace=world.acme)
    configuration = {
        "object": "customer",
        "mode": "upsert",
        "mappings": [{"from": "name", "to": "companyName"}],
    }
    response = api.post(
        "syncs",
        {
            "slug": "new-sync",
            "modelId": str(model.pk),  # Hightouch's examples send ids as strings, its schema as numbers
            "destinationId": destination.pk,
            "configuration": configuration,
            "schedule": {"type": "cron", "schedule": {"expression": "0 6 * * *"}},
            "disabled": False,
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == SYNC_KEYS and body["status"] == "pending"
    sync = Sync.objects.get(pk=body["id"])
    assert (sync.workspace, sync.name, sync.schedule_kind, sync.cron_expression) == (
        world.acme,
        "new-sync",
        ScheduleKind.CRON,
        "0 6 * * *",
    )

    response = api.patch(
        f"syncs/{sync.pk}",
        {
            "disabled": True,
            "schedule": {"type": "interval", "schedule": {"interval": {"unit": "week", "quantity": 1}}},
        },
    )
    assert response.status_code == 200, response.content
    assert response.json()["disabled"] is True and response.json()["status"] == "disabled"
    sync.refresh_from_db()
    assert (sync.enabled, sync.schedule_kind, sync.interval_every, sync.interval_unit) == (
        False,
        ScheduleKind.INTERVAL,
        7,
        "days",
    )
    assert api.patch(f"syncs/{sync.pk}", {"schedule": None}).json()["schedule"] is None
    assert api.patch(f"syncs/{sync.pk}", {"disabled": False}).json()["schedule"] is None  # left alone


def test_invalid_syncs_are_refused_in_hightouchs_error_shape(world, api, sync):
    model = factories.ModelFactory(workspace=world.acme)
    destination = factories.DestinationFactory(workspace=world.acme)
    base = {"slug": "another", "modelId": model.pk, "destinationId": destination.pk, "disabled": False}

    response = api.post("syncs", base | {"configuration": {"object": "customer", "mode": "teleport"}})
    assert response.status_code == 422
    assert "mode" in errors_of(response)["configuration"]["message"]

    bad_cron = {"type": "cron", "schedule": {"expression": "every tuesday"}}
    response = api.post("syncs", base | {"configuration": sync.config, "schedule": bad_cron})
    assert "schedule.schedule.expression" in errors_of(response)

    response = api.post("syncs", base | {"slug": sync.slug, "configuration": sync.config})
    assert response.status_code == 409 and "slug" in errors_of(response)

    response = api.post("syncs", {"slug": "x", "configuration": {}, "surprise": 1})
    assert response.status_code == 422
    assert {"requestBody.modelId", "requestBody.destinationId", "requestBody.surprise"} <= set(
        errors_of(response)
    )

    response = api.post("syncs", base | {"configuration": {"object": "cust\u0000omer"}})
    assert response.status_code == 422  # PostgreSQL cannot store NUL: refused, never a 500

    response = api.get("syncs", limit="many")
    assert response.status_code == 422 and "limit" in errors_of(response)
    assert api.get("syncs/abc").status_code == 422
    assert api.get(f"syncs/{2**70}").status_code == 422


# ---------------------------------------------------------------------------------------- triggers and runs


def test_a_trigger_answers_the_new_runs_id(world, api, sync):
    response = api.post(f"syncs/{sync.pk}/trigger", {"fullResync": True})
    assert response.status_code == 200, response.content
    run = SyncRun.objects.get()
    assert response.json() == {"id": str(run.pk)}
    assert (run.sync, run.trigger, run.full_resync) == (sync, RunTrigger.API, True)


@pytest.mark.parametrize(
    "send",
    [
        pytest.param(
            lambda api, sync: api.post(f"syncs/{sync.pk}/trigger"), id="no body (dagster-hightouch)"
        ),
        pytest.param(lambda api, sync: api.post(f"syncs/{sync.pk}/trigger", None), id="empty body"),
        pytest.param(
            lambda api, sync: api.client.post(
                f"/api/v1/syncs/{sync.pk}/trigger",
                "null",
                content_type="application/json",
                headers=api.headers(),
            ),
            id="JSON null (the Python SDK without options)",
        ),
        pytest.param(
            lambda api, sync: api.post_form("syncs/trigger", {"syncId": str(sync.pk)}),
            id="form (Airflow provider)",
        ),
        pytest.param(lambda api, sync: api.post("syncs/trigger", {"syncId": str(sync.pk)}), id="syncId"),
        pytest.param(
            lambda api, sync: api.post("syncs/trigger", {"syncId": sync.pk}), id="syncId as a number"
        ),
        pytest.param(lambda api, sync: api.post("syncs/trigger", {"syncSlug": sync.slug}), id="syncSlug"),
    ],
)
def test_every_way_orchestrators_trigger_a_sync_works(world, api, sync, send):
    response = send(api, sync)
    assert response.status_code == 200, response.content
    run = SyncRun.objects.get()
    assert response.json() == {"id": str(run.pk)} and run.full_resync is False


def test_a_trigger_while_a_run_waits_answers_that_run(world, api, sync):
    first = api.post(f"syncs/{sync.pk}/trigger").json()["id"]
    again = api.post_form("syncs/trigger", {"syncSlug": sync.slug, "fullResync": "true"}).json()["id"]
    assert first == again
    assert SyncRun.objects.get().full_resync is True


def test_triggers_that_cannot_run_are_validation_errors(world, api, sync):
    Sync.objects.filter(pk=sync.pk).update(enabled=False)
    response = api.post(f"syncs/{sync.pk}/trigger")
    assert response.status_code == 422 and "disabled" in errors_of(response)["syncId"]["message"]
    assert "requestBody" in errors_of(api.post("syncs/trigger", {"fullResync": True}))
    assert api.post("syncs/trigger", {"syncId": "12x"}).status_code == 422
    assert api.post("syncs/trigger", {"syncId": str(sync.pk), "syncSlug": "other"}).status_code == 404
    assert api.post(f"syncs/{sync.pk}/trigger", {"clearAndFill": True}).status_code == 422
    bad_json = api.client.post(
        f"/api/v1/syncs/{sync.pk}/trigger",
        "{not json",
        content_type="application/json",
        headers=api.headers(),
    )
    assert bad_json.status_code == 400 and "message" in bad_json.json()
    assert not SyncRun.objects.exists()


def test_runs_read_in_hightouchs_shape_and_filter_by_run_id_and_time(world, api, sync):
    done = factories.SyncRunFactory(
        sync=sync,
        status=RunStatus.WARNING,
        query_size=20,
        planned_added=20,
        successful_added=18,
        failed_added=2,
        planned_changed=1,
        successful_changed=1,
        completion_ratio=1.0,
        error_message="2 rows were rejected",
    )
    now = timezone.now()
    SyncRun.objects.filter(pk=done.pk).update(
        created_at=now - timedelta(hours=2),
        started_at=now - timedelta(hours=2),
        finished_at=now - timedelta(hours=1),
    )
    waiting = factories.SyncRunFactory(sync=sync)

    body = api.get(f"syncs/{sync.pk}/runs", runId=done.pk).json()
    assert set(body) == {"data", "hasMore"} and len(body["data"]) == 1
    run = body["data"][0]
    assert set(run) == RUN_KEYS
    assert run["id"] == str(done.pk) and run["status"] == "warning" and run["querySize"] == 20
    assert run["plannedRows"] == {"addedCount": 20, "changedCount": 1, "removedCount": 0}
    assert run["successfulRows"] == {"addedCount": 18, "changedCount": 1, "removedCount": 0}
    assert run["failedRows"] == {"addedCount": 2, "changedCount": 0, "removedCount": 0}
    assert run["completionRatio"] == 1.0 and run["error"] == "2 rows were rejected"
    assert run["createdAt"].endswith("Z") and run["finishedAt"] is not None

    def ids(**params) -> list[str]:
        return [row["id"] for row in api.get(f"syncs/{sync.pk}/runs", **params).json()["data"]]

    assert ids() == [str(waiting.pk), str(done.pk)]  # newest first
    assert ids(within=30) == [str(waiting.pk)]
    assert ids(after=(now - timedelta(minutes=30)).isoformat()) == [str(waiting.pk)]
    assert ids(before=(now - timedelta(minutes=30)).isoformat()) == [str(done.pk)]
    assert ids(limit=1) == [str(waiting.pk)]
    assert ids(orderBy="finishedAt") == [
        str(done.pk),
        str(waiting.pk),
    ]  # unfinished runs last (by the column)
    # Never null (clients parse them unconditionally): until a run starts it reads as started when
    # asked for, and until it ends (its status says so) as finished at its latest progress.
    pending = api.get(f"syncs/{sync.pk}/runs", runId=waiting.pk).json()["data"][0]
    assert (pending["status"], pending["querySize"], pending["error"]) == ("queued", 0, None)
    assert pending["startedAt"] == pending["createdAt"] == pending["finishedAt"]


# ---------------------------------------------------------------------------------------- catalog


def test_sources_are_listed_created_and_updated_without_their_password(world, api):
    response = api.post(
        "sources",
        {
            "name": "Warehouse",
            "slug": "warehouse",
            "type": "postgres",
            "configuration": {
                "host": "db.internal",
                "port": "5432",
                "user": "reader",
                "database": "dw",
                "password": "pw-1",
            },
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["type"] == "postgres" and body["slug"] == "warehouse"
    assert body["configuration"] == {"host": "db.internal", "port": 5432, "user": "reader", "database": "dw"}
    source = Source.objects.get(pk=body["id"])
    assert source.password.reveal() == "pw-1"

    response = api.patch(f"sources/{source.pk}", {"name": "Main warehouse", "configuration": {"port": 6543}})
    assert response.status_code == 200, response.content
    source.refresh_from_db()
    assert (source.name, source.port, source.password.reveal()) == ("Main warehouse", 6543, "pw-1")
    assert api.get("sources", slug="main-warehouse").json()["data"][0]["id"] == str(source.pk)
    assert api.get("sources", name="Warehouse").json()["data"] == []
    assert "pw-1" not in json.dumps(api.get(f"sources/{source.pk}").json())

    duplicate = api.post(
        "sources", {"name": "Main warehouse", "type": "sqlite", "configuration": {"database": "x"}}
    )
    assert duplicate.status_code == 409
    unknown = api.post("sources", {"name": "S", "type": "snowflake", "configuration": {}})
    assert "type" in errors_of(unknown)
    unknown = api.post("sources", {"name": "S", "type": "postgres", "configuration": {"colour": "blue"}})
    assert set(errors_of(unknown)) == {"configuration.colour"}
    missing = api.post("sources", {"name": "S", "type": "postgres", "configuration": {}})
    assert {"configuration.host", "configuration.database"} <= set(errors_of(missing))


def test_models_are_listed_created_and_updated(world, api):
    source = factories.SourceFactory(workspace=world.acme)
    response = api.post(
        "models",
        {
            "name": "Customers",
            "slug": "customers",
            "sourceId": str(source.pk),
            "queryType": "raw_sql",
            "isSchema": False,
            "primaryKey": "id",
            "raw": {"sql": "SELECT * FROM customers"},
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["raw"] == {"sql": "SELECT * FROM customers"} and body["sourceId"] == str(source.pk)
    assert body["queryType"] == "raw_sql" and body["syncs"] == [] and body["isSchema"] is False
    model = Model.objects.get(pk=body["id"])
    sync = factories.SyncFactory(workspace=world.acme, model=model)

    response = api.patch(f"models/{model.pk}", {"table": {"name": "clients"}, "primaryKey": "client_id"})
    assert response.status_code == 200, response.content
    assert response.json()["raw"] == {"sql": 'SELECT * FROM "clients"'}
    assert response.json()["syncs"] == [str(sync.pk)]
    assert api.get("models", slug="customers").json()["data"][0]["primaryKey"] == "client_id"

    visual = api.post(
        "models", {"name": "V", "slug": "v", "sourceId": source.pk, "queryType": "visual", "primaryKey": "id"}
    )
    assert visual.status_code == 422
    no_sql = api.post(
        "models",
        {"name": "V", "slug": "v", "sourceId": source.pk, "queryType": "raw_sql", "primaryKey": "id"},
    )
    assert "raw_sql" in errors_of(no_sql)


def test_destinations_keep_their_credentials_write_only(world, api):
    response = api.post(
        "destinations",
        {"name": "NetSuite", "slug": "netsuite", "type": "netsuite", "configuration": NETSUITE_CONFIGURATION},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["configuration"] == {"account_id": "1234567_SB1"} and body["type"] == "netsuite"
    assert "never-shown" not in json.dumps(body)
    destination = Destination.objects.get(pk=body["id"])
    assert destination.credentials_dict()["token_secret"] == "ts-new-never-shown"

    response = api.patch(
        f"destinations/{destination.pk}", {"configuration": {"api": "rest", "token_secret": "ts-2"}}
    )
    assert response.status_code == 200, response.content
    destination.refresh_from_db()
    assert destination.config == {"account_id": "1234567_SB1", "api": "rest"}
    assert destination.credentials_dict()["token_secret"] == "ts-2"
    assert destination.credentials_dict()["token_id"] == "tk-new-never-shown"

    listed = api.get("destinations").json()["data"]
    assert [row["slug"] for row in listed] == ["netsuite"]
    assert "never-shown" not in json.dumps(listed)
    invalid = api.patch(f"destinations/{destination.pk}", {"configuration": {"api": "carrier-pigeon"}})
    assert "configuration" in errors_of(invalid)
    assert (
        api.post("destinations", {"name": "X", "type": "mailchimp", "configuration": {}}).status_code == 422
    )


def test_no_response_holds_a_secret(world, api):
    """The factories' secrets (source password, destination tokens) appear in no GET answer."""
    made = {"sync": factories.SyncFactory(workspace=world.acme)}
    factories.SyncRunFactory(sync=made["sync"])
    paths = [
        "sources",
        "models",
        "destinations",
        "syncs",
        f"sources/{made['sync'].model.source_id}",
        f"models/{made['sync'].model_id}",
        f"destinations/{made['sync'].destination_id}",
        f"syncs/{made['sync'].pk}",
        f"syncs/{made['sync'].pk}/runs",
    ]
    for path in paths:
        response = api.get(path)
        assert response.status_code == 200, path
        assert "do-not-leak" not in response.content.decode(), path
