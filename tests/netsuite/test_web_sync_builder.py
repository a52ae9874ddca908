"""The sync builder and the destination's connection test, against the NetSuite sandbox.

model → destination → object and mode → mappings → schedule → name, each step posted as the page
posts it; same-named columns are matched by themselves, every error shows beside its field.
"""

import json
import re
import sqlite3

import pytest
from django.urls import reverse

from models_catalog.models import SourceKind
from syncs.models import Sync
from tests import factories
from tests.netsuite.adapter_helpers import sandbox_destination

pytestmark = pytest.mark.django_db


def url(name: str, *args) -> str:
    return reverse(name, args=["acme", *args])


@pytest.fixture
def model(world, tmp_path):
    path = tmp_path / "warehouse.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE customers (id INTEGER, company_name TEXT, Email TEXT, country TEXT, tier TEXT)"
        )
    source = factories.SourceFactory(
        workspace=world.acme, kind=SourceKind.SQLITE, database=str(path), host="", password=""
    )
    return factories.ModelFactory(
        workspace=world.acme, name="Customers", source=source, sql="SELECT * FROM customers"
    )


@pytest.fixture
def destination(world, netsuite_sandbox, netsuite_account):
    netsuite_sandbox.reset(accounts=True)
    netsuite_sandbox.create_account(
        account_id=netsuite_account["account_id"],
        tokens=[
            {
                key: netsuite_account[key]
                for key in ("consumer_key", "consumer_secret", "token_id", "token_secret")
            }
            | {"permissions": "all"}
        ],
        custom_fields=[
            {"record_type": "customer", "script_id": "custentity_country", "label": "Country", "type": "text"}
        ],
    )
    return sandbox_destination(world.acme, netsuite_account, name="NetSuite sandbox")


def step(client, data: dict, *, action: str = "refresh", path: str | None = None):
    return client.post(path or url("sync_create"), data | {"action": action})


def rows_of(response) -> list[tuple[str, str]]:
    return [(row.to, row.source) for row in response.context["form"].mapping_rows]


def test_choosing_an_object_matches_same_named_columns_and_lists_required_fields(
    client, world, model, destination
):
    client.force_login(world.bob)
    first = step(client, {"model": model.pk, "destination": destination.pk})
    page = first.content.decode()
    assert '<option value="customer">Customer</option>' in page
    assert "Columns of the model:" in page and "<code>company_name</code>" in page
    assert "This field is required" not in page  # a step that only reveals the next shows no errors

    second = step(client, {"model": model.pk, "destination": destination.pk, "object": "customer"})

    assert rows_of(second) == [
        ("companyName", "column:company_name"),
        ("email", "column:Email"),
        ("custentity_country", "column:country"),  # a custom field, matched without its prefix
    ]
    page = second.content.decode()
    assert "Company Name · text · required" in page
    assert "Country · text · custom" in page
    assert 'value="Customers to Customer"' in page  # a name to start from


def test_a_sync_is_saved_with_column_constant_and_template_mappings_and_a_schedule(
    client, world, model, destination
):
    client.force_login(world.bob)
    data = {
        "model": model.pk,
        "destination": destination.pk,
        "object": "customer",
        "previous_object": "customer",
        "mode": "upsert",
        "mapping-count": "4",
        "mapping-0-to": "companyName",
        "mapping-0-source": "column:company_name",
        "mapping-1-to": "isInactive",
        "mapping-1-source": "constant",
        "mapping-1-value": "false",
        "mapping-2-to": "comments",
        "mapping-2-source": "template",
        "mapping-2-value": "Tier {{ tier | upcase }}",
        "mapping-3-to": "subsidiary",
        "mapping-3-source": "constant",
        "mapping-3-value": "SUB-1",
        "mapping-3-by": "external_id",
        "schedule_kind": "interval",
        "interval_every": "30",
        "interval_unit": "minutes",
        "name": "Customers to NetSuite",
    }

    response = step(client, data, action="save")

    sync = Sync.objects.get()
    assert response["Location"] == url("sync_detail", sync.pk)
    assert (sync.name, sync.slug, sync.model, sync.destination, sync.created_by) == (
        "Customers to NetSuite",
        "customers-to-netsuite",
        model,
        destination,
        world.bob,
    )
    assert sync.config == {
        "object": "customer",
        "mode": "upsert",
        "mappings": [
            {"from": "company_name", "to": "companyName"},
            {"constant": "false", "to": "isInactive"},
            {"template": "Tier {{ tier | upcase }}", "to": "comments"},
            {"constant": "SUB-1", "to": "subsidiary", "by": "external_id"},
        ],
    }
    assert (sync.schedule_kind, sync.interval_every, sync.interval_unit) == ("interval", 30, "minutes")


def test_every_builder_error_shows_beside_its_field_or_row(client, world, model, destination):
    client.force_login(world.alice)
    data = {
        "model": model.pk,
        "destination": destination.pk,
        "object": "customer",
        "previous_object": "customer",
        "mode": "upsert",
        "mapping-count": "5",
        "mapping-0-to": "email",
        "mapping-0-source": "column:no_such_column",
        "mapping-1-to": "isInactive",
        "mapping-1-source": "constant",
        "mapping-1-value": "perhaps",
        "mapping-2-to": "comments",
        "mapping-2-source": "template",
        "mapping-2-value": "{{ nickname }}",
        "mapping-3-to": "email",
        "mapping-3-source": "column:Email",
        "mapping-4-to": "phone",
        "mapping-4-source": "",
        "schedule_kind": "cron",
        "cron_expression": "every monday",
        "name": "",
    }

    response = step(client, data, action="save")

    page = response.content.decode()
    assert not Sync.objects.exists()
    assert "Row 1: The model has no column &#x27;no_such_column&#x27;." in page
    assert "Row 2: constant value &#x27;perhaps&#x27; is not true or false" in page
    assert "Row 3: The template reads nickname, which the model does not have." in page
    assert "Row 4: Email is mapped twice." in page
    assert "Row 5: Choose a column, a constant or a template." in page
    assert "Map the required field: Company Name." in page
    assert "&#x27;every monday&#x27; is not a cron expression" in page
    assert 'id="id_name"' in page and "This field is required." in page


def test_adding_and_removing_mapping_rows_keeps_the_others(client, world, model, destination):
    client.force_login(world.alice)
    data = {
        "model": model.pk,
        "destination": destination.pk,
        "object": "customer",
        "previous_object": "customer",
        "mapping-count": "2",
        "mapping-0-to": "companyName",
        "mapping-0-source": "column:company_name",
        "mapping-1-to": "email",
        "mapping-1-source": "column:Email",
    }
    added = step(client, data, action="add_mapping")
    assert rows_of(added) == [("companyName", "column:company_name"), ("email", "column:Email"), ("", "")]

    removed = client.post(url("sync_create"), data | {"remove_mapping": "0"})
    assert rows_of(removed) == [("email", "column:Email")]


def test_editing_a_sync_starts_from_its_configuration(client, world, model, destination):
    sync = factories.SyncFactory(
        workspace=world.acme,
        name="Customers",
        model=model,
        destination=destination,
        config={
            "object": "customer",
            "mode": "mirror",
            "mappings": [{"from": "company_name", "to": "companyName"}],
        },
    )
    client.force_login(world.alice)
    page = client.get(url("sync_edit", sync.pk))
    assert rows_of(page) == [("companyName", "column:company_name")]
    assert re.search(r'value="mirror"[^>]* checked', page.content.decode())

    data = {
        "model": model.pk,
        "destination": destination.pk,
        "object": "customer",
        "previous_object": "customer",
        "mode": "update",
        "mapping-count": "1",
        "mapping-0-to": "companyName",
        "mapping-0-source": "column:company_name",
        "schedule_kind": "manual",
        "name": "Customers, renamed",
    }
    response = step(client, data, action="save", path=url("sync_edit", sync.pk))

    assert response.status_code == 302
    sync.refresh_from_db()
    assert (sync.name, sync.config["mode"], sync.slug) == ("Customers, renamed", "update", sync.slug)


def test_a_destination_that_cannot_describe_itself_says_why_beside_the_field(
    client, world, model, destination
):
    Destination = type(destination)
    Destination.objects.filter(pk=destination.pk).update(
        credentials=json.dumps(
            {"consumer_key": "wrong", "consumer_secret": "x", "token_id": "y", "token_secret": "z"}
        )
    )
    client.force_login(world.alice)
    page = step(client, {"model": model.pk, "destination": destination.pk}).content.decode()
    assert '<option value="customer">' not in page
    assert '<span class="error" role="alert">NetSuite refused the token-based login' in page


def test_test_connection_tells_a_good_token_from_a_wrong_one(client, world, destination, netsuite_account):
    client.force_login(world.alice)
    form = {"name": "NetSuite sandbox", "account_id": netsuite_account["account_id"], "action": "test"}
    form["base_url"] = netsuite_account["base_url"]

    good = client.post(url("destination_edit", destination.pk), form).content.decode()
    wrong = client.post(
        url("destination_edit", destination.pk), form | {"token_secret": "not-the-secret"}
    ).content
    assert 'class="result result-ok" role="status">Connected to NetSuite.' in good
    assert 'class="result result-error"' in wrong.decode()
    assert "not-the-secret" not in wrong.decode()
    destination.refresh_from_db()
    assert (
        destination.credentials_dict()["token_secret"] == netsuite_account["token_secret"]
    )  # testing saves nothing
