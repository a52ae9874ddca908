"""Personas and service fixtures.

alice is an admin of the Acme workspace, bob an editor there, vera a viewer there; charlie is an
admin of Globex, another workspace. Services (PostgreSQL, Redis) come from DATABASE_URL and
REDIS_URL; in CI (CI=true) a test that needs a missing service fails instead of skipping.
"""

import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

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


ROOT = Path(__file__).resolve().parent.parent


class WorkerProcess:
    """A real `celery worker` process, on the test database and the configured broker."""

    def __init__(self, concurrency: int, extra_env: dict[str, str]) -> None:
        self.name = f"test-{uuid.uuid4().hex[:8]}@localhost"
        database = connection.settings_dict
        env = os.environ | {
            "DJANGO_SETTINGS_MODULE": "syncapp.test_settings",
            "SYNCAPP_SECRET_KEY": settings.SECRET_KEY,
            "SYNCAPP_ENCRYPTION_KEYS": ",".join(settings.ENCRYPTION_KEYS),
        }
        if database["ENGINE"] == "django.db.backends.postgresql":
            # pytest-django renamed the database to its test copy: point the worker at that copy.
            user, password = database["USER"], database["PASSWORD"] or ""
            host, port = database["HOST"] or "127.0.0.1", database["PORT"] or 5432
            env["DATABASE_URL"] = f"postgres://{user}:{password}@{host}:{port}/{database['NAME']}"
        env["SYNCAPP_TEST_WORKER"] = "1"
        self.log_path = Path(settings.DATA_DIR) / f"{self.name}.log"
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "syncapp",
                "worker",
                "--concurrency",
                str(concurrency),
                "--loglevel",
                "INFO",
                "--hostname",
                self.name,
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "--pool",
                "prefork",
            ],
            cwd=ROOT,
            env=env | extra_env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.wait_ready()

    def wait_ready(self, timeout: float = 60) -> None:
        from syncapp.celery import app

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"the worker exited:\n{self.output()}"
            if app.control.ping(destination=[self.name], timeout=0.5):
                return
        raise AssertionError(f"the worker did not answer within {timeout}s:\n{self.output()}")

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text()

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and pool children): a machine gone."""
        import signal

        children = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True)
        for pid in children.stdout.split():
            os.kill(int(pid), signal.SIGKILL)
        self.process.kill()
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


@pytest.fixture
def celery_worker_factory():
    """Start real Celery workers (stopped after the test): `celery_worker_factory(concurrency=2)`."""
    workers: list[WorkerProcess] = []

    def start(concurrency: int = 2, **extra_env: str) -> WorkerProcess:
        if not workers:
            from syncapp.celery import app

            app.control.purge()  # tasks left in the broker by earlier test sessions
        worker = WorkerProcess(concurrency, extra_env)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


def pytest_sessionfinish(session, exitstatus) -> None:
    """Remove this session's data directory (broker folder, test database, generated keys)."""
    import shutil

    data_dir = Path(settings.DATA_DIR)
    if data_dir.name.startswith("session-"):
        shutil.rmtree(data_dir, ignore_errors=True)
