"""Sources connect through SQLAlchemy; bad configuration is refused with a message naming the problem."""

import sqlite3

import duckdb
import pytest
from django.core.exceptions import ValidationError

from models_catalog.models import Source, SourceKind
from models_catalog.services import source_test_connection
from syncs.models import ScheduleKind
from tests import factories


def test_a_sqlite_source_connects(world, tmp_path):
    path = tmp_path / "warehouse.sqlite3"
    sqlite3.connect(path).close()
    source = Source(workspace=world.acme, name="Local", kind=SourceKind.SQLITE, database=str(path))
    source.full_clean()
    assert source_test_connection(source=source).ok


def test_a_duckdb_source_connects(world, tmp_path):
    path = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(path)).close()
    source = Source(workspace=world.acme, name="Duck", kind=SourceKind.DUCKDB, database=str(path))
    assert source_test_connection(source=source).ok


def test_a_postgresql_source_connects(world, postgres_database):
    source = Source(
        workspace=world.acme,
        name="PG",
        kind=SourceKind.POSTGRESQL,
        host=postgres_database["HOST"] or "127.0.0.1",
        port=int(postgres_database["PORT"] or 5432),
        database=postgres_database["NAME"].removeprefix("test_"),
        username=postgres_database["USER"],
        password=postgres_database["PASSWORD"] or "",
    )
    result = source_test_connection(source=source)
    assert result.ok, result.message


def test_a_source_url_with_a_password_is_refused(world):
    source = Source(
        workspace=world.acme, name="S", kind=SourceKind.SQLALCHEMY, url="postgresql://u:hunter2@h/db"
    )
    with pytest.raises(ValidationError, match="Put the password in the password field"):
        source.full_clean()


def test_a_sqlalchemy_url_source_gets_its_password_from_the_encrypted_field(world):
    source = Source(
        workspace=world.acme,
        name="S",
        kind=SourceKind.SQLALCHEMY,
        url="postgresql+psycopg://u@h/db",
        password="pw",
    )
    source.full_clean()
    assert source.sqlalchemy_url().password == "pw"
    assert "pw" not in repr(source.sqlalchemy_url())


def test_a_server_source_needs_a_host_and_database(world):
    with pytest.raises(ValidationError) as caught:
        Source(workspace=world.acme, name="S", kind=SourceKind.POSTGRESQL).full_clean()
    assert caught.value.message_dict["host"] == ["Enter the warehouse's host name."]
    assert caught.value.message_dict["database"] == ["Enter the database name."]


def test_a_missing_driver_is_named(world):
    source = Source(
        workspace=world.acme, name="S", kind=SourceKind.SQLALCHEMY, url="snowflake://u@account/db"
    )
    result = source_test_connection(source=source)
    assert not result.ok
    assert "needs a driver that is not installed" in result.message


def test_a_sync_schedule_is_validated(world):
    sync = factories.SyncFactory(workspace=world.acme)
    sync.schedule_kind = ScheduleKind.CRON
    sync.cron_expression = "every tuesday"
    with pytest.raises(ValidationError, match="'every tuesday' is not a cron expression"):
        sync.full_clean()
    sync.cron_expression = "*/15 * * * 1-5"
    sync.full_clean()
    sync.schedule_kind = ScheduleKind.INTERVAL
    with pytest.raises(ValidationError) as caught:
        sync.full_clean()
    assert set(caught.value.message_dict) == {"interval_every", "interval_unit"}


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"object": "customer", "mode": "sideways", "mappings": [{"from": "a", "to": "b"}]},
            "mode: The mode must be",
        ),
        (
            {"object": "", "mode": "upsert", "mappings": [{"from": "a", "to": "b"}]},
            "object: Choose the destination",
        ),
        ({"object": "customer", "mode": "upsert", "mappings": []}, "mappings: Map at least one column"),
        (
            {"object": "customer", "mode": "upsert", "mappings": [{"from": "a", "constant": 1, "to": "b"}]},
            "Mapping 1: give exactly one of",
        ),
    ],
)
def test_a_sync_configuration_is_validated_by_the_destination_adapter(world, config, message):
    sync = factories.SyncFactory(workspace=world.acme)
    sync.config = config
    with pytest.raises(ValidationError, match=message):
        sync.full_clean()


def test_a_folder_cannot_be_inside_itself(world):
    parent = factories.FolderFactory(workspace=world.acme, name="Parent")
    child = factories.FolderFactory(workspace=world.acme, name="Child", parent=parent)
    parent.parent = child
    with pytest.raises(ValidationError, match="A folder cannot be inside itself"):
        parent.full_clean()


def test_a_label_colour_must_be_a_hex_colour(world):
    label = factories.LabelFactory.build(workspace=world.acme, colour="blue")
    with pytest.raises(ValidationError, match="Enter a colour as #rrggbb"):
        label.full_clean()


@pytest.mark.parametrize(
    ("config", "field", "message"),
    [
        ({"account_id": "12 34"}, "account_id", "is not a NetSuite account ID"),
        ({"account_id": "1234567", "concurrency_limit": 0}, "concurrency_limit", "from 1 to 100"),
        ({"account_id": "1234567", "api": "graphql"}, "api", "soap or rest"),
        ({"account_id": "1234567", "colour": "red"}, "colour", "is not a setting of NetSuite"),
    ],
)
def test_a_netsuite_destination_configuration_is_validated(world, config, field, message):
    destination = factories.DestinationFactory(workspace=world.acme)
    destination.config = config
    with pytest.raises(ValidationError, match=message):
        destination.full_clean()


def test_netsuite_hosts_follow_the_account_id(world):
    adapter = factories.DestinationFactory(
        workspace=world.acme, config={"account_id": "1234567_SB1"}
    ).adapter()
    assert adapter.base_url() == "https://1234567-sb1.suitetalk.api.netsuite.com"
    assert adapter.credentials["token_secret"] == "ts-do-not-leak"


def test_deleting_a_workspace_deletes_everything_in_it(world):
    from tests.conftest import populate

    rows = populate(world.globex)
    world.globex.delete()
    for obj in rows.values():
        assert not type(obj).objects.filter(pk=obj.pk).exists()


def test_a_model_or_destination_in_use_by_a_sync_cannot_be_deleted(world):
    from django.db.models import RestrictedError

    sync = factories.SyncFactory(workspace=world.acme)
    with pytest.raises(RestrictedError):
        sync.model.delete()
    with pytest.raises(RestrictedError):
        sync.destination.delete()


@pytest.mark.parametrize("where", ["/etc/passwd", "app-database"])
def test_a_file_source_outside_the_allowed_directories_is_refused(world, settings, where):
    path = str(settings.DATABASES["default"]["NAME"]) if where == "app-database" else where
    source = Source(workspace=world.acme, name="Sneaky", kind=SourceKind.SQLITE, database=path)
    with pytest.raises(ValidationError, match="must be inside .* \\(SYNCAPP_FILE_SOURCES_DIRS\\)"):
        source.full_clean()
    result = source_test_connection(source=source)  # a row saved some other way is refused too
    assert not result.ok and "SYNCAPP_FILE_SOURCES_DIRS" in result.message
