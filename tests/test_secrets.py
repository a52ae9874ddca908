"""A saved secret appears in no page, form, admin page, log line or error message."""

import logging

import pytest
from django.db import connection
from django.urls import reverse

from destinations.models import Destination
from models_catalog.models import Source, SourceKind
from models_catalog.services import source_test_connection
from syncapp.crypto import Secret

SOURCE_PASSWORD = "pw-7f3a-source-never-shown"
NETSUITE_SECRETS = {
    "consumer_key": "ck-81bd-never-shown",
    "consumer_secret": "cs-92ce-never-shown",
    "token_id": "tk-a3df-never-shown",
    "token_secret": "ts-b4e0-never-shown",
}
ALL_SECRETS = [SOURCE_PASSWORD, *NETSUITE_SECRETS.values()]


@pytest.fixture
def sql_and_logs(caplog):
    """Log every SQL statement with its parameters, and capture every log line at DEBUG."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django.db.backends")
    connection.force_debug_cursor = True
    yield caplog
    connection.force_debug_cursor = False


def assert_no_secret(text: str, where: str) -> None:
    for secret in ALL_SECRETS:
        assert secret not in text, f"a secret appears in {where}"


def save_through_admin(client, world) -> tuple[Source, Destination]:
    client.force_login(world.alice)
    response = client.post(
        reverse("admin:models_catalog_source_add"),
        {
            "workspace": world.acme.pk,
            "name": "Warehouse",
            "kind": SourceKind.POSTGRESQL,
            "host": "127.0.0.1",
            "port": "1",
            "database": "analytics",
            "username": "reader",
            "password": SOURCE_PASSWORD,
            "options": "{}",
        },
    )
    assert response.status_code == 302, response.content.decode()
    form = {
        "workspace": world.acme.pk,
        "name": "NetSuite",
        "kind": "netsuite",
        "config": '{"account_id": "1234567"}',
    }
    form |= {f"secret__netsuite__{name}": value for name, value in NETSUITE_SECRETS.items()}
    response = client.post(reverse("admin:destinations_destination_add"), form)
    assert response.status_code == 302, response.content.decode()
    return Source.objects.get(name="Warehouse"), Destination.objects.get(name="NetSuite")


def test_secrets_saved_through_the_admin_are_encrypted_at_rest(client, world, sql_and_logs):
    source, destination = save_through_admin(client, world)
    assert source.password.reveal() == SOURCE_PASSWORD
    assert destination.credentials_dict() == NETSUITE_SECRETS
    with connection.cursor() as cursor:
        cursor.execute("SELECT password FROM models_catalog_source WHERE id = %s", [source.pk])
        stored_password = cursor.fetchone()[0]
        cursor.execute("SELECT credentials FROM destinations_destination WHERE id = %s", [destination.pk])
        stored_credentials = cursor.fetchone()[0]
    assert_no_secret(stored_password + stored_credentials, "the database")
    assert 'INSERT INTO "models_catalog_source"' in sql_and_logs.text  # the statements were logged
    assert_no_secret(sql_and_logs.text, "the log, SQL statements included")


def test_no_page_form_or_admin_page_shows_a_saved_secret(client, world, sql_and_logs):
    source, destination = save_through_admin(client, world)
    pages = [
        reverse("workspace_home", args=[world.acme.slug]),
        reverse("admin:index"),
        reverse("admin:models_catalog_source_changelist"),
        reverse("admin:models_catalog_source_change", args=[source.pk]),
        reverse("admin:models_catalog_source_delete", args=[source.pk]),
        reverse("admin:models_catalog_source_history", args=[source.pk]),
        reverse("admin:destinations_destination_changelist"),
        reverse("admin:destinations_destination_change", args=[destination.pk]),
        reverse("admin:destinations_destination_history", args=[destination.pk]),
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        assert_no_secret(response.content.decode(), page)
    change_page = client.get(reverse("admin:destinations_destination_change", args=[destination.pk]))
    assert (
        "consumer_key, consumer_secret, token_id, token_secret (values hidden)"
        in change_page.content.decode()
    )
    assert_no_secret(sql_and_logs.text, "the log")


def test_a_blank_secret_on_edit_keeps_the_saved_one(client, world):
    source, destination = save_through_admin(client, world)
    response = client.post(
        reverse("admin:models_catalog_source_change", args=[source.pk]),
        {
            "workspace": world.acme.pk,
            "name": "Warehouse renamed",
            "kind": SourceKind.POSTGRESQL,
            "host": "127.0.0.1",
            "port": "1",
            "database": "analytics",
            "username": "reader",
            "password": "",
            "options": "{}",
        },
    )
    assert response.status_code == 302
    source.refresh_from_db()
    assert source.name == "Warehouse renamed"
    assert source.password.reveal() == SOURCE_PASSWORD
    response = client.post(
        reverse("admin:destinations_destination_change", args=[destination.pk]),
        {
            "workspace": world.acme.pk,
            "name": "NetSuite",
            "kind": "netsuite",
            "config": '{"account_id": "1234567"}',
            "secret__netsuite__token_secret": "ts-rotated",
        },
    )
    assert response.status_code == 302, response.content.decode()
    destination.refresh_from_db()
    assert destination.credentials_dict() == NETSUITE_SECRETS | {"token_secret": "ts-rotated"}


def test_a_failed_connection_names_the_problem_but_not_the_password(world, sql_and_logs):
    source = Source(
        workspace=world.acme,
        name="Down",
        kind=SourceKind.POSTGRESQL,
        host="127.0.0.1",
        port=1,
        database="analytics",
        username="reader",
        password=SOURCE_PASSWORD,
    )
    result = source_test_connection(source=source)
    assert not result.ok
    assert "Could not connect" in result.message and "127.0.0.1" in result.message
    assert_no_secret(result.message, "the error message")
    assert_no_secret(sql_and_logs.text, "the log")


def test_a_secret_in_a_string_or_repr_shows_as_a_mask():
    secret = Secret(SOURCE_PASSWORD)
    assert SOURCE_PASSWORD not in f"{secret} {secret!r} {[secret]}"
    assert secret.reveal() == SOURCE_PASSWORD
