"""Reads of syncs and runs shared by the pages and the API: a sync's status as users see it."""

from django.db import models
from django.db.models import OuterRef, Subquery

from syncs.models import RunStatus, Sync, SyncRun


class SyncStatus(models.TextChoices):
    """A sync's status, derived from whether it is enabled and from its latest run."""

    DISABLED = "disabled", "Disabled"
    PENDING = "pending", "Pending"
    QUERYING = "querying", "Querying"
    PREPARING = "preparing", "Preparing"
    QUEUED = "queued", "Queued"
    IN_PROGRESS = "in_progress", "In progress"
    HEALTHY = "healthy", "Healthy"
    INCOMPLETE = "incomplete", "Incomplete"
    FAILED = "failed", "Failed"
    ABORTED = "aborted", "Aborted"


STATUS_DESCRIPTIONS = {
    SyncStatus.DISABLED: "The sync is turned off: it neither runs on its schedule nor by hand.",
    SyncStatus.PENDING: "The sync has not run yet.",
    SyncStatus.QUERYING: "Running the model's query on the source.",
    SyncStatus.PREPARING: "Finding the rows added, changed and removed since the last run.",
    SyncStatus.QUEUED: "The changes are planned and waiting for a worker to write them.",
    SyncStatus.IN_PROGRESS: "Writing the changes to the destination.",
    SyncStatus.HEALTHY: "The last run completed. Rows the destination rejected are shown as warnings.",
    SyncStatus.INCOMPLETE: (
        "The last run was interrupted (destination unavailable, a worker lost); the next run finishes it."
    ),
    SyncStatus.FAILED: "The last run failed (bad SQL, bad credentials, an invalid mapping): see its error.",
    SyncStatus.ABORTED: "The last run was cancelled by a user.",
}
RUN_TO_SYNC_STATUS = {
    RunStatus.PENDING: SyncStatus.QUEUED,  # waiting for a worker, or for the active run to end
    RunStatus.QUERYING: SyncStatus.QUERYING,
    RunStatus.PREPARING: SyncStatus.PREPARING,
    RunStatus.QUEUED: SyncStatus.QUEUED,
    RunStatus.IN_PROGRESS: SyncStatus.IN_PROGRESS,
    RunStatus.SUCCESS: SyncStatus.HEALTHY,
    RunStatus.WARNING: SyncStatus.HEALTHY,
    RunStatus.INCOMPLETE: SyncStatus.INCOMPLETE,
    RunStatus.FAILED: SyncStatus.FAILED,
    RunStatus.CANCELLED: SyncStatus.ABORTED,
}


def sync_status(*, enabled: bool, last_run_status: str | None) -> SyncStatus:
    if not enabled:
        return SyncStatus.DISABLED
    if last_run_status is None:
        return SyncStatus.PENDING
    return RUN_TO_SYNC_STATUS[last_run_status]


def syncs_with_last_run(queryset: models.QuerySet[Sync]) -> models.QuerySet[Sync]:
    """Annotate each sync with its latest run's id, status, times and failed count, in one query.

    Each sync then has `.status` (a SyncStatus) through `sync_status_of(sync)`.
    """
    latest = SyncRun.objects.filter(sync=OuterRef("pk")).order_by("-created_at", "-id")
    return queryset.annotate(
        last_run_id=Subquery(latest.values("id")[:1]),
        last_run_status=Subquery(latest.values("status")[:1]),
        last_run_created_at=Subquery(latest.values("created_at")[:1]),
        last_run_started_at=Subquery(latest.values("started_at")[:1]),
        last_run_finished_at=Subquery(latest.values("finished_at")[:1]),
        last_run_failed=Subquery(
            latest.annotate(
                total=models.F("failed_added") + models.F("failed_changed") + models.F("failed_removed")
            ).values("total")[:1]
        ),
    )


def sync_status_of(sync: Sync) -> SyncStatus:
    """The status of a sync from `syncs_with_last_run` (or, unannotated, with one query)."""
    if not hasattr(sync, "last_run_status"):
        sync.last_run_status = (
            SyncRun.objects.filter(sync=sync)
            .order_by("-created_at", "-id")
            .values_list("status", flat=True)
            .first()
        )
    return sync_status(enabled=sync.enabled, last_run_status=sync.last_run_status)
