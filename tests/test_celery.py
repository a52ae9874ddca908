"""A real Celery worker answers through the configured broker (filesystem here, Redis in CI)."""

from syncapp.celery import app


def test_a_worker_answers_through_the_configured_broker(celery_worker_factory):
    worker = celery_worker_factory(concurrency=1)
    assert app.control.ping(destination=[worker.name], timeout=2.0) == [{worker.name: {"ok": "pong"}}]
