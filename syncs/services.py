"""The sync engine's writes: triggering, the run state machine, planning, writing batches, reaping.

Only this module changes a run's status, and every change is a compare-and-set: an UPDATE filtered
on the status the caller expects. A count other than 1 means another worker got there first, and
the caller does nothing more.
"""

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from croniter import croniter
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from destinations.adapters import DestinationError, OutgoingRecord, PermanentError, RowResult, TemporaryError
from syncs.mappings import CastError, build_record, from_json_value, validate_mappings
from syncs.models import (
    ACTIVE_STATUSES,
    RUN_TRANSITIONS,
    BatchStatus,
    ChangeKind,
    IntervalUnit,
    PlannedRow,
    RejectedRow,
    RunBatch,
    RunStatus,
    RunTrigger,
    ScheduleKind,
    SnapshotRow,
    Sync,
    SyncRun,
)
from syncs.planner import REJECTED_ROWS_KEPT, ModelQueryError, plan_run

logger = logging.getLogger(__name__)

RUNNING_STATUSES = (RunStatus.QUERYING, RunStatus.PREPARING, RunStatus.QUEUED, RunStatus.IN_PROGRESS)
PHASE_TIMESTAMPS = {
    RunStatus.QUERYING: "querying_at",
    RunStatus.PREPARING: "preparing_at",
    RunStatus.QUEUED: "queued_at",
    RunStatus.IN_PROGRESS: "writing_at",
}
INTERVAL_SECONDS = {IntervalUnit.MINUTES: 60, IntervalUnit.HOURS: 3600, IntervalUnit.DAYS: 86400}


class SyncDisabled(Exception):
    """A disabled sync never runs."""


# ---------------------------------------------------------------------------------------- transitions


def run_transition(*, run_id: int, expected: str | Iterable[str], new: str, **changes) -> bool:
    """Move a run from one of `expected` to `new`; False when another worker moved it first."""
    expected = [expected] if isinstance(expected, str) else list(expected)
    for status in expected:
        if new not in RUN_TRANSITIONS.get(status, set()):
            raise ValueError(f"a run cannot go from {status} to {new}")
    now = timezone.now()
    stamps = {"heartbeat_at": now}
    if new in PHASE_TIMESTAMPS:
        stamps[PHASE_TIMESTAMPS[new]] = now
    if new == RunStatus.QUERYING:
        stamps["started_at"] = now
    if new not in ACTIVE_STATUSES:
        stamps["finished_at"] = now
    return SyncRun.objects.filter(id=run_id, status__in=expected).update(status=new, **stamps, **changes) == 1


def _fail(run: SyncRun, *, status: str, code: str, message: str) -> None:
    if run_transition(
        run_id=run.pk, expected=ACTIVE_STATUSES, new=status, error_code=code, error_message=message
    ):
        logger.info("run %s of sync %s ended %s: %s", run.pk, run.sync_id, status, code)
        _after_run(run.sync_id)


# ---------------------------------------------------------------------------------------- triggering


def sync_trigger(*, sync: Sync, trigger: str, user=None, full_resync: bool = False) -> SyncRun:
    """Ask for a run. While a run is active, this queues exactly one follow-up run (and returns it)."""
    if not sync.enabled:
        raise SyncDisabled(f"The sync {sync.name!r} is disabled: enable it to run it.")
    with transaction.atomic():
        Sync.objects.select_for_update().filter(pk=sync.pk).first()  # triggers of one sync take turns
        waiting = SyncRun.objects.filter(sync=sync, status=RunStatus.PENDING).first()
        if waiting is not None:
            if full_resync and not waiting.full_resync:
                SyncRun.objects.filter(pk=waiting.pk).update(full_resync=True)
                waiting.full_resync = True
            return waiting
        run = SyncRun.objects.create(sync=sync, trigger=trigger, full_resync=full_resync, created_by=user)
        transaction.on_commit(lambda: _start_when_free(sync.pk))
    return run


def _start_when_free(sync_id: int) -> None:
    from syncs import tasks

    if SyncRun.objects.filter(sync_id=sync_id, status__in=RUNNING_STATUSES).exists():
        return
    waiting = SyncRun.objects.filter(sync_id=sync_id, status=RunStatus.PENDING).order_by("id").first()
    if waiting is not None:
        tasks.execute_run.delay(waiting.pk)


def _after_run(sync_id: int) -> None:
    transaction.on_commit(lambda: _start_when_free(sync_id))


def run_cancel(*, run: SyncRun) -> bool:
    """Abort a run: it stops at the next batch boundary; batches already written are kept."""
    cancelled = run_transition(
        run_id=run.pk,
        expected=ACTIVE_STATUSES,
        new=RunStatus.CANCELLED,
        error_code="CANCELLED",
        error_message="Cancelled by a user.",
    )
    if cancelled:
        _after_run(run.sync_id)
    return cancelled


# ---------------------------------------------------------------------------------------- planning


def run_execute(*, run_id: int, enqueue_batch: Callable[[int], None]) -> None:
    """Query, plan and queue one run's batches (the `execute_run` task's body)."""
    run = SyncRun.objects.select_related("sync__model__source", "sync__destination").get(pk=run_id)
    if SyncRun.objects.filter(sync_id=run.sync_id, status__in=RUNNING_STATUSES).exists():
        return  # another run of this sync is active: this one starts when it ends
    if not run_transition(run_id=run_id, expected=RunStatus.PENDING, new=RunStatus.QUERYING):
        return
    adapter = run.sync.destination.adapter()
    try:
        fields = _object_fields(adapter, run.sync.config.get("object"), run_id=run.pk, fresh=True)
        problems = validate_mappings(config=run.sync.config, fields=fields, columns=None)
        if problems:
            raise PermanentError(
                "The sync's configuration is invalid: " + "; ".join(problems) + ".", code="INVALID_CONFIG"
            )
        sizes = {op: adapter.batch_size(op) for op in ("upsert", "insert", "update", "delete", "archive")}
        plan = plan_run(
            run,
            batch_sizes=sizes,
            on_progress=lambda: SyncRun.objects.filter(pk=run_id).update(heartbeat_at=timezone.now()),
            on_streamed=lambda: run_transition(
                run_id=run_id, expected=RunStatus.QUERYING, new=RunStatus.PREPARING
            ),
        )
    except ModelQueryError as exc:
        return _fail(run, status=RunStatus.FAILED, code="QUERY_ERROR", message=str(exc))
    except DestinationError as exc:
        status = RunStatus.FAILED if exc.permanent else RunStatus.INCOMPLETE
        return _fail(run, status=status, code=exc.code or "DESTINATION_ERROR", message=exc.message)
    _record_plan(run, plan)
    if not run_transition(run_id=run_id, expected=RunStatus.PREPARING, new=RunStatus.QUEUED):
        return  # cancelled while planning
    if plan.batches == 0:
        _finish_if_done(run_id)
        return
    for batch_id in RunBatch.objects.filter(run_id=run_id).order_by("number").values_list("id", flat=True):
        enqueue_batch(batch_id)


FIELDS_CACHE_SECONDS = 600


def _object_fields(adapter, object_type: str, *, run_id: int, fresh: bool = False) -> dict:
    """The destination object's fields. A run describes the destination once, when it starts; its
    batches reuse that description (shared through the cache, keyed by the run: a later run or a
    changed destination describes afresh) instead of asking again each time."""
    key = f"syncapp:object-fields:run-{run_id}:{object_type}"
    fields = None if fresh else cache.get(key)
    if fields is None:
        for spec in adapter.describe_objects():
            if spec.name == object_type:
                fields = {field.name: field for field in spec.fields}
                break
        else:
            raise PermanentError(f"The destination has no object {object_type!r}.", code="INVALID_CONFIG")
        cache.set(key, fields, FIELDS_CACHE_SECONDS)
    return fields


def _record_plan(run: SyncRun, plan) -> None:
    failed = {"added": 0, "changed": 0}
    for _key, change, _code, _message in plan.rejected:
        failed[change] = failed.get(change, 0) + 1
    extra = plan.rejected_total - len(plan.rejected)  # rejections beyond the cap still count
    SyncRun.objects.filter(pk=run.pk).update(
        query_size=plan.query_size,
        planned_added=plan.planned["added"] + failed["added"] + extra,
        planned_changed=plan.planned["changed"] + failed["changed"],
        planned_removed=plan.planned["removed"],
        failed_added=F("failed_added") + failed["added"] + extra,
        failed_changed=F("failed_changed") + failed["changed"],
    )
    RejectedRow.objects.bulk_create(
        RejectedRow(run=run, primary_key=key, change=change, error_code=code, error_message=message)
        for key, change, code, message in plan.rejected
    )


# ---------------------------------------------------------------------------------------- writing


def batch_write(*, batch_id: int) -> None:
    """Write one batch (the `write_batch` task's body). Temporary errors propagate for the task to retry."""
    batch = RunBatch.objects.select_related("run__sync__destination").get(pk=batch_id)
    run = batch.run
    if not SyncRun.objects.filter(pk=run.pk, status__in=(RunStatus.QUEUED, RunStatus.IN_PROGRESS)).exists():
        return  # cancelled, failed or reaped: stop at this batch boundary
    run_transition(run_id=run.pk, expected=RunStatus.QUEUED, new=RunStatus.IN_PROGRESS)
    # Record the attempt before calling out. A batch found "writing" was left by a lost worker.
    claimed = RunBatch.objects.filter(
        pk=batch_id, status__in=(BatchStatus.PENDING, BatchStatus.WRITING)
    ).update(status=BatchStatus.WRITING, attempts=F("attempts") + 1, started_at=timezone.now())
    if not claimed:
        return
    rows = list(PlannedRow.objects.filter(batch_id=batch_id).order_by("id"))
    adapter = run.sync.destination.adapter()
    try:
        outcomes = _send(adapter, run, batch, rows)
    except PermanentError as exc:
        _fail(run, status=RunStatus.FAILED, code=exc.code or "DESTINATION_ERROR", message=exc.message)
        return
    _apply_outcomes(run, batch, rows, outcomes)
    _finish_if_done(run.pk)


def _send(adapter, run: SyncRun, batch: RunBatch, rows: list[PlannedRow]) -> list[RowResult]:
    """Build the records (rows whose values cannot be cast are rejected here) and write them."""
    config = run.sync.config
    outcomes: list[RowResult | None] = [None] * len(rows)
    records: list[OutgoingRecord] = []
    sent_at: list[int] = []
    fields = None
    for index, row in enumerate(rows):
        if batch.operation in ("delete", "archive"):
            records.append(OutgoingRecord(external_id=row.primary_key, record_id=row.record_id))
            sent_at.append(index)
            continue
        if fields is None:
            fields = _object_fields(adapter, config["object"], run_id=run.pk)
        values = {name: from_json_value(value) for name, value in row.values.items()}
        try:
            record = build_record(
                external_id=row.primary_key,
                row=values,
                mappings=config["mappings"],
                fields=fields,
                record_id=row.record_id,
            )
        except CastError as exc:
            outcomes[index] = RowResult(ok=False, error_code="INVALID_VALUE", error_message=str(exc))
            continue
        records.append(record)
        sent_at.append(index)
    if records:
        results = adapter.write_batch(
            object_type=config["object"], operation=batch.operation, records=records
        )
        for index, result in zip(sent_at, results, strict=True):
            outcomes[index] = result
    return outcomes


def _apply_outcomes(run: SyncRun, batch: RunBatch, rows: list[PlannedRow], outcomes: list[RowResult]) -> None:
    """Count the batch once (the writing -> done CAS) and advance the snapshot for confirmed rows."""
    with transaction.atomic():
        done = RunBatch.objects.filter(pk=batch.pk, status=BatchStatus.WRITING).update(
            status=BatchStatus.DONE, finished_at=timezone.now()
        )
        if not done:
            return  # another attempt of this batch was counted already
        successful = {kind: 0 for kind in ChangeKind.values}
        failed = {kind: 0 for kind in ChangeKind.values}
        keep, gone, rejected = [], [], []
        for row, outcome in zip(rows, outcomes, strict=True):
            if outcome.ok:
                successful[row.change] += 1
                if row.change == ChangeKind.REMOVED:
                    gone.append(row.primary_key)
                else:
                    keep.append(
                        SnapshotRow(
                            sync_id=run.sync_id,
                            primary_key=row.primary_key,
                            row_hash=row.row_hash,
                            record_id=outcome.record_id or row.record_id,
                        )
                    )
            else:
                failed[row.change] += 1
                rejected.append(
                    RejectedRow(
                        run=run,
                        primary_key=row.primary_key,
                        change=row.change,
                        error_code=outcome.error_code or "REJECTED",
                        error_message=outcome.error_message,
                    )
                )
        SnapshotRow.objects.bulk_create(
            keep,
            update_conflicts=True,
            unique_fields=["sync", "primary_key"],
            update_fields=["row_hash", "record_id"],
        )
        SnapshotRow.objects.filter(sync_id=run.sync_id, primary_key__in=gone).delete()
        _keep_rejected(run, rejected)
        SyncRun.objects.filter(pk=run.pk).update(
            heartbeat_at=timezone.now(),
            **{f"successful_{kind}": F(f"successful_{kind}") + count for kind, count in successful.items()},
            **{f"failed_{kind}": F(f"failed_{kind}") + count for kind, count in failed.items()},
        )
        _update_completion(run.pk)


def _keep_rejected(run: SyncRun, rejected: list[RejectedRow]) -> None:
    room = REJECTED_ROWS_KEPT - RejectedRow.objects.filter(run=run).count()
    if room > 0:
        RejectedRow.objects.bulk_create(rejected[:room])


def _update_completion(run_id: int) -> None:
    run = SyncRun.objects.get(pk=run_id)
    planned = run.planned_total
    ratio = 1.0 if planned == 0 else min(1.0, (run.successful_total + run.failed_total) / planned)
    SyncRun.objects.filter(pk=run_id).update(completion_ratio=ratio)


def _finish_if_done(run_id: int) -> None:
    if RunBatch.objects.filter(run_id=run_id).exclude(status=BatchStatus.DONE).exists():
        return
    run = SyncRun.objects.get(pk=run_id)
    status = RunStatus.WARNING if run.failed_total else RunStatus.SUCCESS
    if run_transition(
        run_id=run_id, expected=(RunStatus.QUEUED, RunStatus.IN_PROGRESS), new=status, completion_ratio=1.0
    ):
        PlannedRow.objects.filter(batch__run_id=run_id).delete()
        _after_run(run.sync_id)


def run_crashed(*, run_id: int, error: Exception) -> None:
    """An unexpected error (a defect, or the app database gone): fail the run rather than leave it."""
    logger.exception("run %s crashed", run_id, exc_info=error)
    run = SyncRun.objects.get(pk=run_id)
    _fail(
        run,
        status=RunStatus.FAILED,
        code="INTERNAL_ERROR",
        message=f"syncapp hit an unexpected error ({type(error).__name__}); the log has the details.",
    )


def batch_gave_up(*, batch_id: int, error: TemporaryError) -> None:
    """The destination stayed unavailable through every retry: the run is incomplete; the next run
    plans whatever was not confirmed."""
    run = RunBatch.objects.select_related("run").get(pk=batch_id).run
    _fail(
        run, status=RunStatus.INCOMPLETE, code=error.code or "DESTINATION_UNAVAILABLE", message=error.message
    )


# ---------------------------------------------------------------------------------------- the clock


def runs_reap_stalled(*, now: datetime | None = None) -> int:
    """Mark incomplete every active run without a heartbeat for SYNCAPP_RUN_STALL_SECONDS.

    1. Find running runs whose heartbeat is older than the threshold;
    2. move each to incomplete with a compare-and-set (a run that moved on meanwhile is left alone);
    3. start the pending run of each freed sync.
    """
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.SYNCAPP_RUN_STALL_SECONDS)
    reaped = 0
    for run in SyncRun.objects.filter(status__in=RUNNING_STATUSES, heartbeat_at__lt=stale).only(
        "id", "sync_id"
    ):
        if run_transition(
            run_id=run.pk,
            expected=RUNNING_STATUSES,
            new=RunStatus.INCOMPLETE,
            error_code="STALLED",
            error_message="The run stopped making progress (a worker was lost); the next run finishes it.",
        ):
            reaped += 1
            _after_run(run.sync_id)
    return reaped


def next_run_time(sync: Sync, after: datetime) -> datetime | None:
    if sync.schedule_kind == ScheduleKind.INTERVAL:
        return after + timedelta(seconds=sync.interval_every * INTERVAL_SECONDS[sync.interval_unit])
    if sync.schedule_kind == ScheduleKind.CRON:
        return croniter(sync.cron_expression, after).get_next(datetime)
    return None


def syncs_enqueue_due(*, now: datetime | None = None) -> int:
    """Trigger every enabled scheduled sync whose time has come, and set its next time."""
    now = now or timezone.now()
    triggered = 0
    scheduled = Sync.objects.filter(enabled=True).exclude(schedule_kind=ScheduleKind.MANUAL)
    for sync in scheduled.filter(Q(next_run_at__lte=now) | Q(next_run_at=None)):
        due = sync.next_run_at is not None
        claimed = Sync.objects.filter(pk=sync.pk, next_run_at=sync.next_run_at).update(
            next_run_at=next_run_time(sync, now)
        )
        if claimed and due:
            sync_trigger(sync=sync, trigger=RunTrigger.SCHEDULE)
            triggered += 1
    return triggered
