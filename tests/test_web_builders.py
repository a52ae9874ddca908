"""The forms that build sources, models and destinations: errors beside their fields, the
connection test, the model's preview and primary key, and secrets that are never shown back.

The sync builder and the destination's connection test need the NetSuite sandbox: they are in
tests/netsuite/test_web_sync_builder.py.
"""

import json
import sqlite3

import pytest
from django.urls import reverse

from destinations.models import Destination
from models_catalog.models import Model, Source, SourceKind
from tests import factories

pytestmark = pytest.mark.django_db


def url(name: str, *args) -> str:
    return reverse(name, args=["acme", *args])


@pytest.fixture
def warehouse(tmp_path) -> str:
    path = tmp_path / "warehouse.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE customers (id INTEGER, company TEXT, email TEXT)")
        db.executemany(
            "INSERT INTO customers VALUES (?, ?, ?)",
            [(n, f"Company {n}", f"c{n}@example.com") for n in range(150)],
        )
    return str(path)


@pytest.fixture
def source(world, warehouse) -> Source:
    return factories.SourceFactory(
        workspace=world.acme,
        name="Warehouse",
        kind=SourceKind.SQLITE,
        database=warehouse,
        host="",
        password="",
    )


# ---------------------------------------------------------------------------------------- sources


def test_a_source_is_created_on_a_warehouse_and_its_connection_tested(client, world, warehouse):
    client.force_login(world.bob)
    form = {"name": "Warehouse", "kind": "sqlite", "database": warehouse, "options": ""}

    tested = client.post(url("source_create"), form | {"action": "test"}).content.decode()
    assert 'class="result result-ok" role="status">Connected.' in tested
    assert not Source.objects.exists()  # testing saves nothing

    response = client.post(url("source_create"), form | {"action": "save"})
    source = Source.objects.get()
    assert response["Location"] == url("source_edit", source.pk)
    assert (source.workspace, source.created_by, source.database) == (world.acme, world.bob, warehouse)


def test_source_errors_show_beside_their_fields(client, world):
    factories.SourceFactory(workspace=world.acme, name="Taken")
    client.force_login(world.alice)
    page = client.post(
        url("source_create"), {"name": "taken", "kind": "postgresql", "action": "save"}
    ).content.decode()
    assert "Another source is already named &#x27;taken&#x27;." in page
    assert "Enter the warehouse&#x27;s host name." in page
    assert "Enter the database name." in page
    assert not Source.objects.filter(name="taken").exists()


def test_a_failed_connection_test_says_why_without_the_password(client, world):
    client.force_login(world.alice)
    page = client.post(
        url("source_create"),
        {
            "name": "Down",
            "kind": "postgresql",
            "host": "127.0.0.1",
            "port": "1",
            "database": "analytics",
            "username": "reader",
            "password": "s3cret-do-not-show",
            "action": "test",
        },
    ).content.decode()
    assert 'class="result result-error"' in page and "Could not connect" in page
    assert "s3cret-do-not-show" not in page


def test_a_source_password_is_never_shown_and_blank_keeps_it(client, world):
    source = factories.SourceFactory(workspace=world.acme, name="Warehouse")
    client.force_login(world.alice)
    page = client.get(url("source_edit", source.pk)).content.decode()
    assert "source-password-do-not-leak" not in page
    assert "A password is saved (never shown)" in page

    client.post(
        url("source_edit", source.pk),
        {"name": "Renamed", "kind": "postgresql", "host": "db", "database": "analytics", "password": ""},
    )
    source.refresh_from_db()
    assert source.name == "Renamed" and source.password.reveal() == "source-password-do-not-leak"


# ---------------------------------------------------------------------------------------- models


def test_the_preview_shows_the_first_hundred_rows_and_offers_the_columns_as_primary_key(
    client, world, source
):
    client.force_login(world.bob)
    response = client.post(
        url("model_create"),
        {
            "name": "Customers",
            "source": source.pk,
            "sql": "SELECT * FROM customers ORDER BY id;",
            "action": "preview",
        },
    )
    page = response.content.decode()
    assert "The first 100 rows of the query (3 columns)" in page
    assert "<td>Company 99</td>" in page and "Company 100" not in page
    for column in ("id", "company", "email"):
        assert f'<option value="{column}">{column}</option>' in page
    assert not Model.objects.exists()


def test_the_preview_shows_a_query_error_inline(client, world, source):
    client.force_login(world.alice)
    page = client.post(
        url("model_create"),
        {"name": "Broken", "source": source.pk, "sql": "SELECT * FROM nowhere", "action": "preview"},
    ).content.decode()
    assert '<p class="error" role="alert">The model&#x27;s query failed: no such table: nowhere</p>' in page


def test_the_preview_refuses_anything_but_one_select(client, world, source):
    client.force_login(world.alice)
    page = client.post(
        url("model_create"),
        {"name": "Sneaky", "source": source.pk, "sql": "DELETE FROM customers", "action": "preview"},
    ).content.decode()
    assert "must be a SELECT query; it is a DELETE statement" in page
    with sqlite3.connect(source.database) as db:
        assert db.execute("SELECT count(*) FROM customers").fetchone()[0] == 150


def test_a_model_is_saved_with_a_primary_key_among_its_columns(client, world, source):
    client.force_login(world.alice)
    form = {"name": "Customers", "source": source.pk, "sql": "SELECT * FROM customers", "action": "save"}

    wrong = client.post(url("model_create"), form | {"primary_key": "customer_id"}).content.decode()
    assert "The query has no column &#x27;customer_id&#x27;; its columns are id, company, email." in wrong
    assert not Model.objects.exists()

    response = client.post(url("model_create"), form | {"primary_key": "id"})
    model = Model.objects.get()
    assert response["Location"] == url("model_edit", model.pk)
    assert (model.slug, model.primary_key, model.created_by) == ("customers", "id", world.alice)


def test_a_model_whose_query_fails_is_not_saved_and_says_why_beside_the_sql(client, world, source):
    client.force_login(world.alice)
    page = client.post(
        url("model_create"),
        {
            "name": "Bad",
            "source": source.pk,
            "sql": "SELECT nope FROM customers",
            "primary_key": "nope",
            "action": "save",
        },
    ).content.decode()
    assert "no such column: nope" in page
    assert not Model.objects.exists()


def test_a_source_of_another_workspace_cannot_be_chosen(client, world):
    theirs = factories.SourceFactory(workspace=world.globex)
    client.force_login(world.alice)
    page = client.post(
        url("model_create"), {"name": "X", "source": theirs.pk, "sql": "SELECT 1 AS id", "primary_key": "id"}
    ).content.decode()
    assert "Select a valid choice" in page
    assert not Model.objects.exists()


# ---------------------------------------------------------------------------------------- destinations


DESTINATION = {
    "name": "NetSuite production",
    "kind": "netsuite",
    "account_id": "1234567",
    "consumer_key": "ck",
    "consumer_secret": "cs",
    "token_id": "tk",
    "token_secret": "ts",
    "api": "soap",
    "concurrency_limit": "5",
    "action": "save",
}


def test_a_netsuite_destination_is_created_with_its_account_and_token(client, world):
    client.force_login(world.bob)
    response = client.post(url("destination_create"), DESTINATION)
    destination = Destination.objects.get()
    assert response["Location"] == url("destination_edit", destination.pk)
    assert destination.config == {"account_id": "1234567", "api": "soap", "concurrency_limit": 5}
    assert destination.credentials_dict() == {
        "consumer_key": "ck",
        "consumer_secret": "cs",
        "token_id": "tk",
        "token_secret": "ts",
    }


def test_destination_errors_show_beside_their_fields(client, world):
    client.force_login(world.alice)
    form = DESTINATION | {"account_id": "acme corp", "token_secret": "", "concurrency_limit": "500"}
    page = client.post(url("destination_create"), form).content.decode()
    assert "&#x27;acme corp&#x27; is not a NetSuite account ID" in page
    assert "Token secret is required." in page
    assert "The concurrency limit must be a whole number from 1 to 100." in page
    assert not Destination.objects.exists()


def test_destination_secrets_are_never_shown_and_blank_keeps_them(client, world):
    destination = factories.DestinationFactory(workspace=world.acme, name="NetSuite")
    client.force_login(world.alice)
    page = client.get(url("destination_edit", destination.pk)).content.decode()
    for secret in ("ck-do-not-leak", "cs-do-not-leak", "tk-do-not-leak", "ts-do-not-leak"):
        assert secret not in page
    assert page.count("Leave blank to keep the saved value.") == 4

    form = {"name": "NetSuite", "account_id": "1234567_SB1", "token_secret": "rotated", "action": "save"}
    client.post(url("destination_edit", destination.pk), form)

    destination.refresh_from_db()
    assert destination.credentials_dict() == {
        "consumer_key": "ck-do-not-leak",
        "consumer_secret": "cs-do-not-leak",
        "token_id": "tk-do-not-leak",
        "token_secret": "rotated",
    }
    assert json.dumps(destination.config) == '{"account_id": "1234567_SB1"}'


# ---------------------------------------------------------------------------------------- who may build


@pytest.mark.parametrize("page", ["source_create", "model_create", "destination_create", "sync_create"])
def test_a_viewer_is_refused_the_new_forms(client, world, page):
    client.force_login(world.vera)
    assert client.get(url(page)).status_code == 403
    assert client.post(url(page), {"name": "x"}).status_code == 403


def test_a_viewer_reads_the_edit_forms_disabled_and_is_refused_saving(client, world, source):
    model = factories.ModelFactory(workspace=world.acme, source=source)
    destination = factories.DestinationFactory(workspace=world.acme)
    client.force_login(world.vera)
    for page, form in (
        (url("source_edit", source.pk), {"name": "Mine"}),
        (url("model_edit", model.pk), {"name": "Mine"}),
        (url("destination_edit", destination.pk), {"name": "Mine"}),
    ):
        html = client.get(page).content.decode()
        assert " disabled" in html and 'value="save"' not in html and "Test connection" not in html
        assert client.post(page, form).status_code == 403
    source.refresh_from_db()
    assert source.name == "Warehouse"


@pytest.mark.parametrize("page", ["source_edit", "model_edit", "destination_edit"])
def test_charlie_gets_404_for_acmes_catalog(client, world, page):
    made = {
        "source_edit": factories.SourceFactory(workspace=world.acme),
        "model_edit": factories.ModelFactory(workspace=world.acme),
        "destination_edit": factories.DestinationFactory(workspace=world.acme),
    }
    client.force_login(world.charlie)
    assert client.get(url(page, made[page].pk)).status_code == 404
    assert client.post(url(page, made[page].pk), {"name": "Mine"}).status_code == 404
