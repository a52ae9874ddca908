"""Members and roles: admins manage them, others read; the workspace switcher and the home page."""

import pytest
from django.urls import reverse

from syncapp.models import Membership, Role
from tests import factories

pytestmark = pytest.mark.django_db


def people(workspace: str = "acme") -> str:
    return reverse("people", args=[workspace])


def membership_of(world, username: str) -> Membership:
    return Membership.objects.get(workspace=world.acme, user__username=username)


def test_the_people_page_lists_the_members_and_their_roles(client, world):
    client.force_login(world.bob)
    page = client.get(people()).content.decode()
    for name, role in (("alice", "Admin"), ("bob", "Editor"), ("vera", "Viewer")):
        assert f"<td>{name}" in page and f"<td>{role}</td>" in page
    assert "charlie" not in page
    assert "Add a member" not in page and "Change role" not in page  # bob is an editor


def test_an_admin_adds_a_person_by_username_or_email_with_a_role(client, world):
    factories.UserFactory(username="dora", email="dora@example.com")
    client.force_login(world.alice)

    response = client.post(people(), {"username": "DORA@example.com", "role": "viewer"}, follow=True)

    assert Membership.objects.get(workspace=world.acme, user__username="dora").role == Role.VIEWER
    assert "dora is now a member." in response.content.decode()


def test_adding_an_unknown_person_or_a_member_again_is_refused_beside_the_field(client, world):
    client.force_login(world.alice)
    unknown = client.post(people(), {"username": "nobody", "role": "editor"}).content.decode()
    again = client.post(people(), {"username": "bob", "role": "editor"}).content.decode()
    assert "No single account has the username or email" in unknown
    assert "bob is already a member of Acme." in again


def test_an_admin_changes_a_role_but_never_leaves_the_workspace_without_an_admin(client, world):
    client.force_login(world.alice)
    client.post(reverse("membership_edit", args=["acme", membership_of(world, "bob").pk]), {"role": "admin"})
    assert membership_of(world, "bob").role == Role.ADMIN

    client.post(reverse("membership_edit", args=["acme", membership_of(world, "bob").pk]), {"role": "viewer"})
    response = client.post(
        reverse("membership_edit", args=["acme", membership_of(world, "alice").pk]), {"role": "editor"}
    )
    assert "A workspace needs at least one admin" in response.content.decode()
    assert membership_of(world, "alice").role == Role.ADMIN


def test_an_admin_removes_a_member_after_confirming(client, world):
    client.force_login(world.alice)
    target = reverse("membership_remove", args=["acme", membership_of(world, "vera").pk])
    assert "Remove vera from Acme?" in client.get(target).content.decode()
    client.post(target)
    assert not Membership.objects.filter(workspace=world.acme, user=world.vera).exists()
    last_admin = reverse("membership_remove", args=["acme", membership_of(world, "alice").pk])
    response = client.post(last_admin, follow=True)
    assert "A workspace needs at least one admin" in response.content.decode()


@pytest.mark.parametrize("persona", ["bob", "vera"])
def test_members_who_are_not_admins_are_refused_managing_members(client, world, persona):
    client.force_login(getattr(world, persona))
    bob = membership_of(world, "bob")
    assert client.post(people(), {"username": "charlie", "role": "admin"}).status_code == 403
    assert (
        client.post(reverse("membership_edit", args=["acme", bob.pk]), {"role": "admin"}).status_code == 403
    )
    assert client.post(reverse("membership_remove", args=["acme", bob.pk])).status_code == 403
    assert membership_of(world, "bob").role == Role.EDITOR
    assert not Membership.objects.filter(workspace=world.acme, user=world.charlie).exists()


def test_charlie_gets_404_for_acmes_people(client, world):
    client.force_login(world.charlie)
    assert client.get(people()).status_code == 404
    bob = membership_of(world, "bob")
    assert (
        client.post(reverse("membership_edit", args=["acme", bob.pk]), {"role": "viewer"}).status_code == 404
    )


def test_the_switcher_marks_the_current_workspace_and_the_sections_link_inside_it(client, world):
    factories.MembershipFactory(user=world.alice, workspace=world.globex, role=Role.VIEWER)
    client.force_login(world.alice)
    page = client.get(reverse("sync_list", args=["acme"])).content.decode()
    assert f'<a href="{reverse("workspace_home", args=["acme"])}" aria-current="page">Acme' in page
    assert f'<a href="{reverse("workspace_home", args=["globex"])}">Globex <span class="muted">Viewer' in page
    assert f'<a href="{reverse("sync_list", args=["acme"])}" aria-current="page">Syncs</a>' in page
    assert f'href="{people()}"' in page


def test_the_home_page_counts_syncs_by_status_and_links_to_the_filtered_overview(client, world):
    factories.SyncFactory(workspace=world.acme, enabled=False)
    factories.SyncRunFactory(sync=factories.SyncFactory(workspace=world.acme), status="failed")
    factories.SyncRunFactory(sync=factories.SyncFactory(workspace=world.acme), status="failed")
    client.force_login(world.vera)

    page = client.get(reverse("workspace_home", args=["acme"])).content.decode()

    overview = reverse("sync_list", args=["acme"])
    assert f'href="{overview}?status=failed"' in page and "Failed</span> <strong>2</strong>" in page
    assert f'href="{overview}?status=disabled"' in page and "Disabled</span> <strong>1</strong>" in page
    assert "New sync" not in page and "New model" not in page  # vera only reads
