"""The API keys page: admins make keys (each shown once, stored hashed) and revoke them."""

import hashlib
import re

import pytest
from django.db import connection
from django.urls import reverse

from syncapp.api.models import ApiKey
from syncapp.api.services import api_key_create


def make_key(client, world, name: str = "Airflow production") -> str:
    client.force_login(world.alice)
    response = client.post(reverse("api_keys", args=["acme"]), {"name": name})
    assert response.status_code == 200
    return re.search(r'value="(sa_[0-9a-f]{12}_[^"]+)"', response.content.decode()).group(1)


def test_an_admin_makes_a_key_that_is_shown_once_and_stored_hashed(client, world):
    token = make_key(client, world)
    key = ApiKey.objects.get()
    assert (key.workspace, key.name, key.created_by) == (world.acme, "Airflow production", world.alice)
    assert token.startswith(f"sa_{key.prefix}_")
    secret = token.split("_", 2)[2]
    assert key.hashed_secret == hashlib.sha256(secret.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM api_apikey")
        assert secret not in repr(cursor.fetchall())  # nothing stored holds the secret

    page = client.get(reverse("api_keys", args=["acme"])).content.decode()
    assert "Airflow production" in page and f"sa_{key.prefix}_" in page
    assert secret not in page  # shown once: never again
    assert client.get("/api/v1/syncs", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_a_key_needs_a_name(client, world):
    client.force_login(world.alice)
    response = client.post(reverse("api_keys", args=["acme"]), {"name": ""})
    assert response.status_code == 200 and not ApiKey.objects.exists()
    assert "This field is required" in response.content.decode()


def test_revoking_asks_first_then_the_key_stops_working(client, world):
    token = make_key(client, world)
    key = ApiKey.objects.get()
    url = reverse("api_key_revoke", args=["acme", key.pk])
    assert "cannot be undone" in client.get(url).content.decode()
    assert ApiKey.objects.get().revoked_at is None  # a GET changes nothing

    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("api_keys", args=["acme"])
    assert ApiKey.objects.get().revoked_at is not None
    assert client.get("/api/v1/syncs", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert "Revoked" in client.get(reverse("api_keys", args=["acme"])).content.decode()


@pytest.mark.parametrize("persona", ["bob", "vera"])
def test_members_who_are_not_admins_cannot_manage_keys(client, world, persona):
    key, _token = api_key_create(workspace=world.acme, user=world.alice, name="Key")
    client.force_login(getattr(world, persona))
    assert client.get(reverse("api_keys", args=["acme"])).status_code == 403
    assert client.post(reverse("api_keys", args=["acme"]), {"name": "Mine"}).status_code == 403
    assert client.post(reverse("api_key_revoke", args=["acme", key.pk])).status_code == 403
    assert ApiKey.objects.get().revoked_at is None and ApiKey.objects.count() == 1


def test_charlie_cannot_see_or_revoke_another_workspaces_keys(client, world):
    key, _token = api_key_create(workspace=world.acme, user=world.alice, name="Key")
    client.force_login(world.charlie)
    assert client.get(reverse("api_keys", args=["acme"])).status_code == 404
    assert client.post(reverse("api_key_revoke", args=["acme", key.pk])).status_code == 404
    # Through his own workspace's URL, Acme's key is not found either.
    assert client.post(reverse("api_key_revoke", args=["globex", key.pk])).status_code == 404
    assert ApiKey.objects.get().revoked_at is None
