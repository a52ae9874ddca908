"""Syncs, their runs, and the folders and labels that organise them."""

from croniter import croniter
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models

from destinations.models import Destination
from models_catalog.models import Model
from syncapp.models import WorkspaceOwned, WorkspaceQuerySet


class Folder(WorkspaceOwned):
    name = models.CharField(max_length=100)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "parent", "name"], name="unique_folder_name"),
            models.UniqueConstraint(
                fields=["workspace", "name"], condition=models.Q(parent=None), name="unique_top_folder_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.parent_id is None:
            return
        self.check_same_workspace(parent=self.parent)
        ancestor, seen = self.parent, set()
        while ancestor is not None and ancestor.pk not in seen:
            if self.pk is not None and ancestor.pk == self.pk:
                raise ValidationError({"parent": "A folder cannot be inside itself."})
            seen.add(ancestor.pk)
            ancestor = ancestor.parent


class Label(WorkspaceOwned):
    name = models.CharField(max_length=50)
    colour = models.CharField(
        max_length=7,
        default="#6b7280",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", "Enter a colour as #rrggbb, for example #2563eb.")],
    )

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="unique_label_name")]

    def __str__(self) -> str:
        return self.name


class ScheduleKind(models.TextChoices):
    MANUAL = "manual", "Manual"
    INTERVAL = "interval", "Every N minutes, hours or days"
    CRON = "cron", "Cron expression"


class IntervalUnit(models.TextChoices):
    MINUTES = "minutes", "minutes"
    HOURS = "hours", "hours"
    DAYS = "days", "days"


class Sync(WorkspaceOwned):
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100)
    model = models.ForeignKey(Model, on_delete=models.RESTRICT, related_name="syncs")
    destination = models.ForeignKey(Destination, on_delete=models.RESTRICT, related_name="syncs")
    config = models.JSONField(
        default=dict, help_text="The destination object, the mode and the field mappings."
    )
    schedule_kind = models.CharField(max_length=10, choices=ScheduleKind.choices, default=ScheduleKind.MANUAL)
    interval_every = models.PositiveIntegerField(null=True, blank=True, validators=[MinValueValidator(1)])
    interval_unit = models.CharField(max_length=10, choices=IntervalUnit.choices, blank=True)
    cron_expression = models.CharField(max_length=100, blank=True)
    enabled = models.BooleanField(default=True)
    next_run_at = models.DateTimeField(null=True, blank=True, db_index=True)
    folder = models.ForeignKey(Folder, null=True, blank=True, on_delete=models.SET_NULL, related_name="syncs")
    labels = models.ManyToManyField(Label, blank=True, related_name="syncs")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "slug"], name="unique_sync_slug")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        related = {"model": self.model if self.model_id else None, "folder": self.folder}
        related["destination"] = self.destination if self.destination_id else None
        self.check_same_workspace(**related)
        errors: dict[str, str] = {}
        if self.schedule_kind == ScheduleKind.INTERVAL:
            if not self.interval_every:
                errors["interval_every"] = "Enter how many minutes, hours or days apart the runs are."
            if not self.interval_unit:
                errors["interval_unit"] = "Choose minutes, hours or days."
        elif self.schedule_kind == ScheduleKind.CRON and not croniter.is_valid(self.cron_expression or ""):
            errors["cron_expression"] = (
                f"{self.cron_expression!r} is not a cron expression (minute hour day-of-month month weekday)."
            )
        if self.destination_id:
            config_errors = self.destination.adapter_class().validate_sync_config(self.config)
            if config_errors:
                errors["config"] = "; ".join(f"{key}: {message}" for key, message in config_errors.items())
        if errors:
            raise ValidationError(errors)


class RunStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    QUERYING = "querying", "Querying"
    PREPARING = "preparing", "Preparing"
    QUEUED = "queued", "Queued"
    IN_PROGRESS = "in_progress", "In progress"
    SUCCESS = "success", "Success"
    WARNING = "warning", "Warning"
    FAILED = "failed", "Failed"
    INCOMPLETE = "incomplete", "Incomplete"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE_STATUSES = (
    RunStatus.PENDING,
    RunStatus.QUERYING,
    RunStatus.PREPARING,
    RunStatus.QUEUED,
    RunStatus.IN_PROGRESS,
)
# The run state machine, written down once: status -> the statuses it may move to.
RUN_TRANSITIONS: dict[str, set[str]] = {
    RunStatus.PENDING: {RunStatus.QUERYING, RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.INCOMPLETE},
    RunStatus.QUERYING: {RunStatus.PREPARING, RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.INCOMPLETE},
    RunStatus.PREPARING: {RunStatus.QUEUED, RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.INCOMPLETE},
    RunStatus.QUEUED: {
        RunStatus.IN_PROGRESS,
        RunStatus.SUCCESS,
        RunStatus.WARNING,
        RunStatus.FAILED,
        RunStatus.CANCELLED,
        RunStatus.INCOMPLETE,
    },
    RunStatus.IN_PROGRESS: {
        RunStatus.SUCCESS,
        RunStatus.WARNING,
        RunStatus.FAILED,
        RunStatus.CANCELLED,
        RunStatus.INCOMPLETE,
    },
}


class RunTrigger(models.TextChoices):
    MANUAL = "manual", "Manual"
    SCHEDULE = "schedule", "Schedule"
    API = "api", "API"


class SyncRun(models.Model):
    sync = models.ForeignKey(Sync, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(
        max_length=20, choices=RunStatus.choices, default=RunStatus.PENDING, db_index=True
    )
    trigger = models.CharField(max_length=10, choices=RunTrigger.choices)
    full_resync = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    querying_at = models.DateTimeField(null=True, blank=True)
    preparing_at = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    writing_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    query_size = models.PositiveBigIntegerField(null=True, blank=True)
    planned_added = models.PositiveBigIntegerField(default=0)
    planned_changed = models.PositiveBigIntegerField(default=0)
    planned_removed = models.PositiveBigIntegerField(default=0)
    successful_added = models.PositiveBigIntegerField(default=0)
    successful_changed = models.PositiveBigIntegerField(default=0)
    successful_removed = models.PositiveBigIntegerField(default=0)
    failed_added = models.PositiveBigIntegerField(default=0)
    failed_changed = models.PositiveBigIntegerField(default=0)
    failed_removed = models.PositiveBigIntegerField(default=0)
    completion_ratio = models.FloatField(default=0.0)

    error_code = models.CharField(max_length=100, blank=True)
    error_message = models.TextField(blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    # Runs belong to a workspace through their sync; scoping follows that path.
    objects = WorkspaceQuerySet.as_manager()
    workspace_lookup = "sync__workspace"

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["sync", "-created_at"], name="run_sync_created")]

    def __str__(self) -> str:
        return f"Run {self.pk} of {self.sync}"

    @property
    def workspace(self):
        return self.sync.workspace

    @property
    def workspace_id(self) -> int:
        return self.sync.workspace_id

    @property
    def planned_total(self) -> int:
        return self.planned_added + self.planned_changed + self.planned_removed

    @property
    def successful_total(self) -> int:
        return self.successful_added + self.successful_changed + self.successful_removed

    @property
    def failed_total(self) -> int:
        return self.failed_added + self.failed_changed + self.failed_removed


class SnapshotRow(models.Model):
    """What the destination is known to hold for one model row: the row's hash and the record's ID.

    Only rows the destination confirmed are here; a rejected or unsent row is absent (or keeps its
    previous hash), so the next run plans it again by itself.
    """

    sync = models.ForeignKey(Sync, on_delete=models.CASCADE, related_name="+")
    primary_key = models.CharField(max_length=255)
    row_hash = models.CharField(max_length=32)
    record_id = models.CharField(max_length=255, blank=True)

    objects = WorkspaceQuerySet.as_manager()
    workspace_lookup = "sync__workspace"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sync", "primary_key"], name="one_snapshot_row_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.primary_key} -> {self.record_id or '?'}"


class BatchStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    WRITING = "writing", "Writing"
    DONE = "done", "Done"


class RunBatch(models.Model):
    """One request's worth of planned rows. Its outcome is counted once: the writing -> done CAS."""

    run = models.ForeignKey(SyncRun, on_delete=models.CASCADE, related_name="batches")
    number = models.PositiveIntegerField()
    operation = models.CharField(max_length=10)  # destinations.adapters.Operation
    status = models.CharField(max_length=10, choices=BatchStatus.choices, default=BatchStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "number"], name="one_batch_number_per_run")]

    def __str__(self) -> str:
        return f"batch {self.number} of run {self.run_id} ({self.operation})"


class ChangeKind(models.TextChoices):
    ADDED = "added", "Added"
    CHANGED = "changed", "Changed"
    REMOVED = "removed", "Removed"


class PlannedRow(models.Model):
    """A row a run will write: its change, its hash and the column values the mappings read."""

    # Bulk-loaded by the planner only, a batch at a time: no per-row foreign-key check in the database.
    batch = models.ForeignKey(RunBatch, on_delete=models.CASCADE, related_name="rows", db_constraint=False)
    primary_key = models.CharField(max_length=255)
    change = models.CharField(max_length=10, choices=ChangeKind.choices)
    row_hash = models.CharField(max_length=32, blank=True)
    record_id = models.CharField(max_length=255, blank=True)
    values = models.JSONField(null=True)

    def __str__(self) -> str:
        return f"{self.change} {self.primary_key}"


class RejectedRow(models.Model):
    """A row a run could not write, and why. At most REJECTED_ROWS_KEPT per run are kept; the run's
    failed counts hold the total."""

    run = models.ForeignKey(SyncRun, on_delete=models.CASCADE, related_name="rejected_rows")
    primary_key = models.CharField(max_length=255, blank=True)
    change = models.CharField(max_length=10, choices=ChangeKind.choices)
    error_code = models.CharField(max_length=100)
    error_message = models.TextField()

    objects = WorkspaceQuerySet.as_manager()
    workspace_lookup = "run__sync__workspace"

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.primary_key}: {self.error_code}"
