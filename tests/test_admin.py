"""The admin site: a workspace admin manages their own workspaces' rows and nothing else."""

import json

import pytest
from django.urls import reverse

from syncs.models import Folder, Label
from tests import factories
from tests.conftest import populate

CONFIG = {"object": "customer", "mode": "upsert", "mappings": [{"from": "id", "to": "entityId"}]}


@pytest.fixture
def rows(world):
    return populate(world.acme), populate(world.globex)


def test_a_workspace_admin_lists_only_their_workspaces_rows(client, world, rows):
    acme, globex = rows
    client.force_login(world.alice)
    for model_name, key in [
        ("syncs/folder", "folder"),
        ("syncs/label", "label"),
        ("syncs/sync", "sync"),
        ("syncs/syncrun", "run"),
        ("models_catalog/model", "model"),
        ("models_catalog/source", "source"),
        ("destinations/destination", "destination"),
    ]:
        page = client.get(f"/admin/{model_name}/").content.decode()
        assert f"/{acme[key].pk}/change/" in page, model_name
        assert f"/{globex[key].pk}/change/" not in page, model_name


def test_a_workspace_admin_creates_folders_and_labels_in_their_workspace(client, world):
    client.force_login(world.alice)
    response = client.post(reverse("admin:syncs_folder_add"), {"workspace": world.acme.pk, "name": "Finance"})
    assert response.status_code == 302
    response = client.post(
        reverse("admin:syncs_label_add"), {"workspace": world.acme.pk, "name": "daily", "colour": "#16a34a"}
    )
    assert response.status_code == 302
    assert Folder.objects.in_workspace(world.acme).filter(name="Finance").exists()
    assert Label.objects.in_workspace(world.acme).get(name="daily").colour == "#16a34a"


def test_a_workspace_admin_cannot_create_rows_in_another_workspace(client, world):
    client.force_login(world.alice)
    response = client.post(
        reverse("admin:syncs_folder_add"), {"workspace": world.globex.pk, "name": "Sneaky"}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Folder.objects.filter(name="Sneaky").exists()


def test_choices_of_related_rows_come_from_the_admins_workspaces_only(client, world, rows):
    acme, globex = rows
    client.force_login(world.alice)
    page = client.get(reverse("admin:syncs_sync_add")).content.decode()
    assert f'value="{acme["model"].pk}"' in page
    assert globex["model"].name not in page
    assert globex["destination"].name not in page
    assert world.globex.name not in page


def test_a_sync_cannot_use_a_model_of_another_workspace(client, world, rows):
    acme, _globex = rows
    other = factories.MembershipFactory(user=world.alice, workspace=factories.WorkspaceFactory(name="Other"))
    foreign_model = factories.ModelFactory(workspace=other.workspace)
    client.force_login(world.alice)
    response = client.post(
        reverse("admin:syncs_sync_add"),
        {
            "workspace": world.acme.pk,
            "name": "Mixed",
            "slug": "mixed",
            "model": foreign_model.pk,
            "destination": acme["destination"].pk,
            "schedule_kind": "manual",
            "config": json.dumps(CONFIG),
        },
    )
    assert response.status_code == 200
    assert "This model belongs to another workspace." in response.content.decode()


@pytest.mark.parametrize("persona", ["bob", "vera"])
def test_editors_and_viewers_have_no_admin_access(client, world, rows, persona):
    acme, _ = rows
    client.force_login(getattr(world, persona))
    for url in (reverse("admin:index"), reverse("admin:syncs_folder_change", args=[acme["folder"].pk])):
        assert client.get(url, follow=True).status_code == 403


def test_the_admin_sends_anonymous_visitors_to_the_products_login_page(client, world):
    response = client.get(reverse("admin:index"), follow=True)
    assert response.redirect_chain[-1][0] == f"{reverse('login')}?next=/admin/"
    response = client.post(
        response.redirect_chain[-1][0],
        {"username": "alice", "password": factories.PASSWORD, "next": "/admin/"},
    )
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_only_superusers_manage_people(client, world, admin_user):
    client.force_login(world.alice)
    assert client.get(reverse("admin:syncapp_user_changelist")).status_code == 403
    client.force_login(admin_user)
    page = client.get(reverse("admin:syncapp_user_changelist")).content.decode()
    assert "alice" in page and "charlie" in page
