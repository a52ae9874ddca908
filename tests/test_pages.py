"""Login, the workspace page, the profile and its timezone, and the demo seed."""

import io
import sqlite3
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.urls import reverse

from models_catalog.models import Model, Source
from models_catalog.services import source_test_connection
from syncapp.models import Membership, User, Workspace
from syncs.models import Sync
from tests import factories


def test_login_lands_on_the_users_workspace(client, world):
    response = client.post(
        reverse("login"), {"username": "alice", "password": factories.PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("workspace_home", args=["acme"])
    assert "<h1>Acme</h1>" in response.content.decode()


def test_a_wrong_password_is_refused_with_a_message(client, world):
    response = client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_a_user_without_a_workspace_is_told_so(client, db):
    client.force_login(factories.UserFactory(username="loner"))
    response = client.get(reverse("home"))
    assert "You are not in a workspace yet" in response.content.decode()


def test_the_workspace_switcher_lists_only_the_users_workspaces(client, world):
    factories.MembershipFactory(
        user=world.alice, workspace=factories.WorkspaceFactory(name="Initech", slug="initech")
    )
    client.force_login(world.alice)
    page = client.get(reverse("workspace_home", args=["acme"])).content.decode()
    assert reverse("workspace_home", args=["initech"]) in page
    assert reverse("workspace_home", args=["globex"]) not in page


def test_times_show_in_the_users_timezone(client, world):
    sync = factories.SyncFactory(workspace=world.acme, created_by=world.alice)
    Sync.objects.filter(pk=sync.pk).update(created_at=datetime(2026, 1, 15, 12, 30, tzinfo=UTC))
    client.force_login(world.alice)
    assert "2026-01-15 12:30 UTC" in client.get(reverse("workspace_home", args=["acme"])).content.decode()

    response = client.post(reverse("profile"), {"timezone": "Asia/Tokyo", "email": "alice@example.com"})
    assert response.status_code == 302
    page = client.get(reverse("workspace_home", args=["acme"])).content.decode()
    assert "2026-01-15 21:30 JST" in page
    assert "alice" in page  # the creator


def test_an_unknown_timezone_is_refused_with_a_message(client, world):
    client.force_login(world.alice)
    response = client.post(reverse("profile"), {"timezone": "Mars/Olympus_Mons"})
    assert response.status_code == 200
    assert (
        "Select a valid choice. Mars/Olympus_Mons is not one of the available choices."
        in response.content.decode()
    )
    world.alice.refresh_from_db()
    assert world.alice.timezone == "UTC"


def test_healthz_answers_without_login(client, db):
    assert client.get(reverse("healthz")).json() == {"status": "ok"}


def test_the_demo_seed_makes_a_workspace_the_demo_user_logs_into(client, db, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    output = io.StringIO()
    call_command("seed_demo", stdout=output)
    call_command("seed_demo", stdout=output)  # a second run changes nothing
    assert Workspace.objects.filter(slug="demo").count() == 1
    assert Membership.objects.get(user__username="demo").role == "admin"
    password = (tmp_path / "demo_password").read_text().strip()
    assert f"log in as demo / {password}" in output.getvalue()
    assert oct((tmp_path / "demo_password").stat().st_mode & 0o777) == "0o600"

    source = Source.objects.get(workspace__slug="demo")
    assert source_test_connection(source=source).ok

    with sqlite3.connect(source.database) as warehouse:
        assert warehouse.execute("SELECT count(*) FROM customers").fetchone()[0] == 5000
    assert Model.objects.get(workspace__slug="demo", slug="customers").primary_key == "id"
    syncs = Sync.objects.filter(workspace__slug="demo")
    assert syncs.count() == 3 and syncs.exclude(schedule_kind="manual").count() == 2
    for sync in syncs:
        sync.full_clean()  # valid configurations, schedules included

    response = client.post(reverse("login"), {"username": "demo", "password": password}, follow=True)
    page = response.content.decode()
    assert "<h1>Demo</h1>" in page and "Customers" in page and "Demo warehouse" in page
    assert User.objects.get(username="demo").check_password(password)


@pytest.mark.parametrize("persona", ["bob", "vera"])
def test_members_who_are_not_admins_see_no_admin_link(client, world, persona):
    client.force_login(getattr(world, persona))
    assert reverse("admin:index") not in client.get(reverse("workspace_home", args=["acme"])).content.decode()


def test_a_form_posted_without_its_csrf_token_is_refused(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.alice)
    response = client.post(reverse("profile"), {"timezone": "Asia/Tokyo"})
    assert response.status_code == 403
    world.alice.refresh_from_db()
    assert world.alice.timezone == "UTC"


@pytest.mark.parametrize(("persona", "shown"), [("alice", True), ("bob", False), ("vera", False)])
def test_only_admins_see_the_api_keys_link(client, world, persona, shown):
    client.force_login(getattr(world, persona))
    page = client.get(reverse("workspace_home", args=["acme"])).content.decode()
    assert (reverse("api_keys", args=["acme"]) in page) is shown
