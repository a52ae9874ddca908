"""Every URL of the product and the admin keeps workspaces apart.

The URL patterns are enumerated, not listed by hand: a new URL whose parameters name an object is
covered as soon as it exists, and a parameter this test does not know fails it until it is taught.
"""

import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from syncapp.api.models import ApiKey
from syncapp.api.services import api_key_create
from syncapp.models import Membership, User, Workspace
from tests.conftest import populate

# Parameters that name no object: the value is the same for every workspace.
NON_OBJECT_PARAMETERS = {"app_label"}
# Page parameters and the model whose primary key they carry.
OBJECT_PARAMETERS = {
    "sync_id": "syncs.Sync",
    "run_id": "syncs.SyncRun",
    "folder_id": "syncs.Folder",
    "label_id": "syncs.Label",
    "model_id": "models_catalog.Model",
    "source_id": "models_catalog.Source",
    "destination_id": "destinations.Destination",
    "membership_id": "syncapp.Membership",
    "api_key_id": "api.ApiKey",
    # The Hightouch-compatible API names its path parameters as Hightouch does.
    "syncId": "syncs.Sync",
    "sourceId": "models_catalog.Source",
    "modelId": "models_catalog.Model",
    "destinationId": "destinations.Destination",
}
API_PREFIX = "/api/v1/"


def walk(patterns, namespace="", prefix="", params=()):
    """Yield (url name, parameter names, route prefix) for every named URL."""
    for entry in patterns:
        names = tuple(entry.pattern.regex.groupindex)
        if isinstance(entry, URLResolver):
            child_ns = f"{namespace}:{entry.namespace}" if entry.namespace else namespace
            yield from walk(entry.url_patterns, child_ns, prefix + str(entry.pattern), params + names)
        elif isinstance(entry, URLPattern) and entry.name:
            full_name = f"{namespace}:{entry.name}".lstrip(":")
            yield full_name, params + names, prefix


def admin_model_for(route_prefix: str):
    match = re.search(r"admin/(\w+)/(\w+)/", route_prefix)
    return apps.get_model(match.group(1), match.group(2)) if match else None


def objects_of(workspace: Workspace) -> dict:
    made = populate(workspace)
    objects = {type(obj): obj for obj in made.values()}
    objects[Workspace] = workspace
    objects[Membership] = Membership.objects.filter(workspace=workspace).first()
    objects[User] = objects[Membership].user
    objects[ApiKey], objects[ApiKey].token = api_key_create(
        workspace=workspace, user=None, name="Orchestrator"
    )
    return objects


def api_call(client, method: str, url: str, token: str | None):
    """An API request as orchestrators make it: a bearer key, no session, and a body every write
    endpoint accepts (so that what is answered is the object lookup, not the body's validation)."""
    body = "{}" if method in ("POST", "PATCH") else ""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.generic(method, url, body, content_type="application/json", headers=headers)


def concrete_urls(workspace: Workspace, objects: dict) -> list[tuple[str, type | None]]:
    """Every named URL filled in with `workspace` and its objects: (url, model the URL is about)."""
    urls = []
    for name, parameters, prefix in walk(get_resolver().url_patterns):
        kwargs, about = {}, None
        for parameter in parameters:
            if parameter == "workspace_slug":
                kwargs[parameter] = workspace.slug
                about = about or Workspace
            elif parameter in ("object_id", "id"):
                about = admin_model_for(prefix)
                assert about is not None, f"{name}: cannot tell which model {parameter} names"
                kwargs[parameter] = objects[about].pk
            elif parameter in OBJECT_PARAMETERS:
                about = apps.get_model(OBJECT_PARAMETERS[parameter])
                kwargs[parameter] = objects[about].pk
            elif parameter in NON_OBJECT_PARAMETERS:
                kwargs[parameter] = None
            else:
                pytest.fail(f"URL {name} has parameter {parameter!r}: teach test_tenancy what it names")
        if any(value is None for value in kwargs.values()):
            continue
        if about is not None:
            urls.append((reverse(name, kwargs=kwargs), about))
    return urls


@pytest.fixture
def both_sides(world):
    return objects_of(world.acme), objects_of(world.globex)


def test_a_member_of_one_workspace_gets_404_for_every_object_of_another(client, world, both_sides):
    acme_objects, globex_objects = both_sides
    client.force_login(world.alice)  # admin of Acme, so admin pages are open to her
    urls = concrete_urls(world.globex, globex_objects)
    covered = {about for _url, about in urls}
    assert set(admin.site._registry) <= covered, "the walk missed admin models"
    for url, _about in urls:
        if url.startswith(API_PREFIX):
            continue
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 404, f"{method.__name__.upper()} {url} -> {response.status_code}"
    # The API, with a key of Acme: 404 for Globex's objects with every method the URL serves (the
    # 405 of a method it does not serve depends on the route alone, never on the object).
    acme_urls = concrete_urls(world.acme, acme_objects)  # the same walk: the same URLs, in order
    api_urls = [
        (own, other)
        for (own, _), (other, _) in zip(acme_urls, urls, strict=True)
        if own.startswith(API_PREFIX)
    ]
    assert api_urls, "the walk found no API URL"
    for own_url, url in api_urls:
        for method in ("GET", "POST", "PATCH"):
            served = api_call(client, method, own_url, acme_objects[ApiKey].token).status_code != 405
            response = api_call(client, method, url, acme_objects[ApiKey].token)
            assert response.status_code == (404 if served else 405), (
                f"{method} {url} -> {response.status_code}"
            )
    for obj in globex_objects.values():
        assert type(obj).objects.filter(pk=obj.pk).exists(), f"{obj!r} was changed through another workspace"


def test_the_same_urls_open_for_a_member_of_the_objects_own_workspace(client, world, both_sides):
    acme_objects, _globex_objects = both_sides
    client.force_login(world.alice)
    for url, about in concrete_urls(world.acme, acme_objects):
        if about is User:
            continue  # people are managed by the installation's superusers only
        if url.startswith(API_PREFIX):
            method = "POST" if url.endswith("/trigger") else "GET"
            response = api_call(client, method, url, acme_objects[ApiKey].token)
            assert response.status_code == 200, f"{method} {url} -> {response.status_code}"
            continue
        response = client.get(url)
        # 200, or 403 where the admin refuses an action to everyone but superusers (deleting a
        # workspace, editing a run): never 404, which would make the other test vacuous.
        assert response.status_code in (200, 403), f"GET {url} -> {response.status_code}"
        if url.endswith("/change/") or not url.startswith("/admin/"):
            assert response.status_code == 200, f"GET {url} -> {response.status_code}"


def test_a_non_member_cannot_discover_a_workspace_by_its_slug(client, world):
    client.force_login(world.charlie)
    assert client.get(reverse("workspace_home", args=["acme"])).status_code == 404
    assert client.get(reverse("workspace_home", args=["no-such-workspace"])).status_code == 404


def test_every_page_but_login_requires_a_signed_in_user(client, world, both_sides):
    acme_objects, _ = both_sides
    open_pages = {reverse("login"), reverse("healthz")}
    for url, _about in concrete_urls(world.acme, acme_objects) + [(reverse("home"), None)]:
        if url in open_pages:
            continue
        if url.startswith(API_PREFIX):  # the API asks for a bearer key instead
            method = "POST" if url.endswith("/trigger") else "GET"
            response = api_call(client, method, url, token="")
            assert response.status_code == 401, f"{method} {url} -> {response.status_code} without a key"
            continue
        response = client.get(url)
        assert response.status_code == 302, f"GET {url} -> {response.status_code} without login"
        assert response["Location"].startswith(reverse("login")), response["Location"]


def test_scoped_querysets_return_only_the_workspaces_rows(world, both_sides):
    acme_objects, globex_objects = both_sides
    for model in (type(obj) for obj in acme_objects.values() if hasattr(type(obj), "workspace_lookup")):
        in_acme = set(model.objects.in_workspace(world.acme).values_list("pk", flat=True))
        assert acme_objects[model].pk in in_acme
        assert globex_objects[model].pk not in in_acme
