"""Celery tasks: thin. They take ids, call a service, and own the retries."""

import random

from celery import shared_task

from destinations.adapters import TemporaryError
from syncs import services

BATCH_RETRIES = 5


@shared_task(acks_late=True)
def execute_run(run_id: int) -> None:
    try:
        services.run_execute(run_id=run_id, enqueue_batch=lambda batch_id: write_batch.delay(batch_id))
    except Exception as exc:
        services.run_crashed(run_id=run_id, error=exc)
        raise


@shared_task(bind=True, acks_late=True, max_retries=BATCH_RETRIES)
def write_batch(self, batch_id: int) -> None:
    try:
        services.batch_write(batch_id=batch_id)
    except TemporaryError as exc:
        if self.request.retries >= self.max_retries:
            services.batch_gave_up(batch_id=batch_id, error=exc)
            return
        delay = exc.retry_after or min(60, 2**self.request.retries) * random.uniform(0.5, 1.0)
        raise self.retry(exc=exc, countdown=delay) from None


@shared_task
def enqueue_due_syncs() -> int:
    return services.syncs_enqueue_due()


@shared_task
def reap_stalled_runs() -> int:
    return services.runs_reap_stalled()
