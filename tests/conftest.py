"""Personas and service fixtures.

alice is an admin of the Acme workspace, bob an editor there, vera a viewer there; charlie is an
admin of Globex, another workspace. Services (PostgreSQL, Redis) come from DATABASE_URL and
REDIS_URL; in CI (CI=true) a test that needs a missing service fails instead of skipping.
"""

import os
from dataclasses import dataclass

import pytest
from django.conf import settings

from syncapp.models import Role
from tests import factories


def needs_service(name: str, available: bool) -> None:
    if available:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{name} is required in CI but is not configured")
    pytest.skip(f"{name} is not configured (set it to run this test)")


@pytest.fixture
def redis_url() -> str:
    needs_service("REDIS_URL", bool(settings.REDIS_URL))
    return settings.REDIS_URL


@pytest.fixture
def postgres_database() -> dict:
    is_postgres = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    needs_service("DATABASE_URL (PostgreSQL)", is_postgres)
    return settings.DATABASES["default"]


@dataclass
class World:
    """Two workspaces and their people, each workspace with one of every object."""

    acme: object
    globex: object
    alice: object
    bob: object
    vera: object
    charlie: object


def populate(workspace) -> dict:
    folder = factories.FolderFactory(workspace=workspace)
    sync = factories.SyncFactory(workspace=workspace, folder=folder)
    label = factories.LabelFactory(workspace=workspace)
    sync.labels.add(label)
    run = factories.SyncRunFactory(sync=sync)
    return {
        "sync": sync,
        "model": sync.model,
        "source": sync.model.source,
        "destination": sync.destination,
        "folder": folder,
        "label": label,
        "run": run,
    }


@pytest.fixture
def world(db) -> World:
    acme = factories.WorkspaceFactory(name="Acme", slug="acme")
    globex = factories.WorkspaceFactory(name="Globex", slug="globex")
    alice = factories.MembershipFactory(user__username="alice", workspace=acme, role=Role.ADMIN).user
    bob = factories.MembershipFactory(user__username="bob", workspace=acme, role=Role.EDITOR).user
    vera = factories.MembershipFactory(user__username="vera", workspace=acme, role=Role.VIEWER).user
    charlie = factories.MembershipFactory(user__username="charlie", workspace=globex, role=Role.ADMIN).user
    return World(acme=acme, globex=globex, alice=alice, bob=bob, vera=vera, charlie=charlie)
