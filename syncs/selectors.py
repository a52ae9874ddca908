"""Reads of syncs and runs shared by the pages and the API: a sync's status as users see it."""

import dataclasses
import hashlib
import itertools
import json
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import models
from django.db.models import OuterRef, Subquery
from sqlalchemy.exc import SQLAlchemyError

from destinations.adapters import DestinationError, ObjectSpec
from destinations.models import Destination
from destinations.registry import ADAPTERS
from models_catalog.models import Model
from syncapp.crypto import MASK
from syncs.models import ACTIVE_STATUSES, Folder, Label, RunStatus, Sync, SyncRun
from syncs.planner import ModelQueryError, check_is_query, model_rows


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


# ---------------------------------------------------------------------------------------- overview

# A sync status as a filter over `syncs_with_last_run`: the inverse of RUN_TO_SYNC_STATUS.
STATUS_FILTERS: dict[str, models.Q] = {
    SyncStatus.DISABLED: models.Q(enabled=False),
    SyncStatus.PENDING: models.Q(enabled=True, last_run_status__isnull=True),
} | {
    status: models.Q(
        enabled=True,
        last_run_status__in=[run for run, sync in RUN_TO_SYNC_STATUS.items() if sync == status],
    )
    for status in set(RUN_TO_SYNC_STATUS.values())
}
ACTIVE_SYNC_STATUSES = frozenset(RUN_TO_SYNC_STATUS[status] for status in ACTIVE_STATUSES)


def syncs_in_status(queryset: models.QuerySet[Sync], status: str) -> models.QuerySet[Sync]:
    """Syncs (annotated by `syncs_with_last_run`) whose status is `status`."""
    return queryset.filter(STATUS_FILTERS[status])


def sync_is_active(sync: Sync) -> bool:
    return sync_status_of(sync) in ACTIVE_SYNC_STATUSES


# ---------------------------------------------------------------------------------------- building

PREVIEW_ROWS = 100
PREVIEW_TIMEOUT_SECONDS = 15


@dataclass(frozen=True)
class Preview:
    """The first rows of a model's query, or the message saying why it could not run."""

    columns: list[str] = field(default_factory=list)
    rows: list[tuple] = field(default_factory=list)
    error: str = ""


def model_preview(
    model: Model, *, limit: int = PREVIEW_ROWS, timeout: int = PREVIEW_TIMEOUT_SECONDS
) -> Preview:
    """Run the model's query (saved or not) with a LIMIT, read-only and with a statement timeout."""
    try:
        sql = check_is_query(model.sql)
        limited = Model(
            source=model.source,
            sql=f"SELECT * FROM ({sql}) AS syncapp_preview LIMIT {int(limit)}",  # noqa: S608 - the user's own query
        )
        with model_rows(limited, timeout=timeout) as (columns, chunks):
            rows = [tuple(row) for row in itertools.islice(itertools.chain.from_iterable(chunks), limit)]
    except ModelQueryError as exc:
        return Preview(error=_without_password(str(exc), model))
    except (SQLAlchemyError, ValueError, ImportError, OSError) as exc:
        return Preview(error=_without_password(f"The model's query failed: {exc}", model))
    return Preview(columns=columns, rows=rows)


def _without_password(message: str, model: Model) -> str:
    password = model.source.password
    return message.replace(password.reveal(), MASK) if password else message


DESCRIBE_CACHE_SECONDS = 300
INTERACTIVE_RETRIES = {"max_attempts": 2, "max_elapsed": 10.0}


def _interactive(adapter):
    """The adapter, retrying little: a person is waiting for the page. An adapter that retries by a
    policy dataclass (NetSuite's `retry_policy`) would otherwise retry an unreachable host for
    minutes; the interface has no word for this yet, so it is set here when the attribute exists."""
    policy = getattr(adapter, "retry_policy", None)
    if dataclasses.is_dataclass(policy) and all(hasattr(policy, name) for name in INTERACTIVE_RETRIES):
        adapter.retry_policy = dataclasses.replace(policy, **INTERACTIVE_RETRIES)
    return adapter


def destination_objects(destination: Destination) -> tuple[list[ObjectSpec], str]:
    """The objects the destination offers (with their fields), or the message saying why not.

    A description is kept for a few minutes: the sync builder asks for it at every step, and a
    destination such as NetSuite answers it with several requests. A change of the destination's
    settings or credentials is a new key, so it is described afresh.
    """
    settings_digest = hashlib.blake2b(
        json.dumps(
            [destination.kind, destination.config, destination.credentials_dict()], sort_keys=True
        ).encode(),
        digest_size=12,
    ).hexdigest()
    key = f"destination-objects:{destination.pk}:{settings_digest}"
    objects = cache.get(key)
    if objects is not None:
        return objects, ""
    try:
        objects = _interactive(destination.adapter()).describe_objects()
    except DestinationError as exc:
        return [], exc.message
    cache.set(key, objects, DESCRIBE_CACHE_SECONDS)
    return objects, ""


# ---------------------------------------------------------------------------------------- overview pages


def sync_filter_choices(workspace) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """The models and the destinations that syncs use, for the overview's filters: one query."""
    pairs = (
        Sync.objects.in_workspace(workspace)
        .order_by()
        .values_list("model_id", "model__name", "destination_id", "destination__name", "destination__kind")
        .distinct()
    )
    models_, destinations = {}, {}
    for model_id, model_name, destination_id, destination_name, kind in pairs:
        models_[model_id] = model_name
        label = ADAPTERS[kind][0] if kind in ADAPTERS else kind
        destinations[destination_id] = f"{destination_name} ({label})"
    return (
        sorted(models_.items(), key=lambda item: item[1].lower()),
        sorted(destinations.items(), key=lambda item: item[1].lower()),
    )


@dataclass(frozen=True)
class FolderNode:
    folder: Folder
    depth: int
    sync_count: int  # in this folder and the folders inside it


def folder_tree(workspace) -> list[FolderNode]:
    """Every folder, depth first, with the syncs each holds (its subfolders' included): one query."""
    folders = list(Folder.objects.in_workspace(workspace).annotate(own=models.Count("syncs")))
    children: dict[int | None, list[Folder]] = {}
    for folder in folders:
        children.setdefault(folder.parent_id, []).append(folder)
    nodes: list[FolderNode] = []

    def visit(folder: Folder, depth: int, seen: frozenset) -> int:
        index = len(nodes)
        nodes.append(None)  # placeholder until the subtree's count is known
        total = folder.own
        for child in sorted(children.get(folder.pk, []), key=lambda f: f.name.lower()):
            if child.pk not in seen:
                total += visit(child, depth + 1, seen | {child.pk})
        nodes[index] = FolderNode(folder, depth, total)
        return total

    for top in sorted(children.get(None, []), key=lambda f: f.name.lower()):
        visit(top, 0, frozenset({top.pk}))
    return nodes


def folder_and_descendant_ids(tree: list[FolderNode], folder_id: int) -> set[int]:
    ids, inside = set(), None
    for node in tree:
        if inside is not None and node.depth <= inside:
            break
        if node.folder.pk == folder_id:
            inside = node.depth
        if inside is not None:
            ids.add(node.folder.pk)
    return ids


@dataclass
class Page:
    """A page of rows and the total, counted in the page's own query (COUNT(*) OVER ())."""

    rows: list
    number: int
    per_page: int
    total: int

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.rows else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.per_page + len(self.rows)


def page_of(queryset: models.QuerySet, number: int, per_page: int) -> Page:
    """One page of `queryset`; a number past the end gives the last page."""
    number = max(1, number)
    counted = queryset.annotate(total_rows=models.Window(models.Count("pk")))
    rows = list(counted[(number - 1) * per_page : number * per_page])
    if rows:
        return Page(rows, number, per_page, rows[0].total_rows)
    total = queryset.count() if number > 1 else 0
    if total == 0:
        return Page([], 1, per_page, 0)
    last = -(-total // per_page)
    return Page(list(queryset[(last - 1) * per_page : last * per_page]), last, per_page, total)


def attach_labels(syncs: list[Sync], labels: list[Label]) -> None:
    """Set `sync.label_list` for each sync from the workspace's labels: one query for the page."""
    by_id = {label.pk: label for label in labels}
    pairs = Sync.labels.through.objects.filter(sync_id__in=[sync.pk for sync in syncs]).values_list(
        "sync_id", "label_id"
    )
    found: dict[int, list[Label]] = {}
    for sync_id, label_id in pairs:
        if label_id in by_id:
            found.setdefault(sync_id, []).append(by_id[label_id])
    for sync in syncs:
        sync.label_list = sorted(found.get(sync.pk, []), key=lambda label: label.name.lower())


def sync_status_counts(queryset: models.QuerySet[Sync]) -> dict[SyncStatus, int]:
    """How many syncs are in each status (the statuses with none left out): one query."""
    counts: dict[SyncStatus, int] = {}
    grouped = (
        syncs_with_last_run(queryset.order_by())
        .values("enabled", "last_run_status")
        .annotate(number=models.Count("pk"))
    )
    for row in grouped:
        status = sync_status(enabled=row["enabled"], last_run_status=row["last_run_status"])
        counts[status] = counts.get(status, 0) + row["number"]
    return {status: counts[status] for status in SyncStatus if status in counts}
