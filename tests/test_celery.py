"""A real Celery worker answers through the configured broker (filesystem here, Redis in CI)."""

import os
import subprocess
import sys
import time
import uuid

import pytest

from syncapp.celery import app

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def worker():
    """Start a worker process like the one `make run` and docker-compose start; stop it after."""
    name = f"test-{uuid.uuid4().hex[:8]}@localhost"
    env = os.environ | {"DJANGO_SETTINGS_MODULE": "syncapp.test_settings"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "syncapp",
            "worker",
            "--concurrency",
            "1",
            "--loglevel",
            "INFO",
            "--hostname",
            name,
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield name, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def test_a_worker_answers_through_the_configured_broker(worker):
    name, process = worker
    deadline = time.monotonic() + 60
    replies = []
    while time.monotonic() < deadline and process.poll() is None:
        replies = app.control.ping(destination=[name], timeout=1.0)
        if replies:
            break
    assert process.poll() is None, process.stdout.read()
    assert replies == [{name: {"ok": "pong"}}]
