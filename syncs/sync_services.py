"""Edits of syncs as users make them on the pages: create, update, enable, file, label, delete.

The run state machine stays in syncs/services.py; runs are asked for only through its
`sync_trigger` and `run_cancel`. Every function here takes rows already resolved inside the
user's workspace (syncapp.tenancy) and keeps them inside it.
"""

import zlib
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.text import slugify

from syncapp.models import Workspace
from syncs import services
from syncs.models import ACTIVE_STATUSES, Folder, Label, Sync, SyncRun

SYNC_FIELDS = (
    "name",
    "model",
    "destination",
    "config",
    "schedule_kind",
    "interval_every",
    "interval_unit",
    "cron_expression",
)


def unique_slug(
    queryset: QuerySet, name: str, *, exclude_pk: int | None = None, max_length: int = 100
) -> str:
    """A slug for `name` not yet taken in `queryset` (which is already scoped to one workspace)."""
    base = (slugify(name) or "item")[: max_length - 6]
    taken = set(queryset.exclude(pk=exclude_pk).filter(slug__startswith=base).values_list("slug", flat=True))
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


def sync_create(*, workspace: Workspace, user, **values) -> Sync:
    """A new sync from the builder's values (see SYNC_FIELDS); raises ValidationError by field."""
    sync = Sync(workspace=workspace, created_by=user, **_known(values))
    sync.slug = unique_slug(Sync.objects.in_workspace(workspace), sync.name)
    sync.full_clean()
    sync.save()
    return sync


def sync_update(*, sync: Sync, **values) -> Sync:
    for name, value in _known(values).items():
        setattr(sync, name, value)
    sync.full_clean()
    sync.save()
    return sync


def _known(values: dict) -> dict:
    unknown = set(values) - set(SYNC_FIELDS)
    if unknown:
        raise TypeError(f"not sync fields: {', '.join(sorted(unknown))}")
    return values


def sync_set_enabled(*, sync: Sync, enabled: bool) -> None:
    Sync.objects.filter(pk=sync.pk).update(enabled=enabled)
    sync.enabled = enabled


def syncs_set_enabled(*, syncs: QuerySet[Sync], enabled: bool) -> int:
    """Enable or disable many syncs at once; the number whose state changed."""
    return syncs.exclude(enabled=enabled).update(enabled=enabled)


@dataclass(frozen=True)
class BulkRunResult:
    started: int
    skipped_disabled: int


def syncs_trigger(*, syncs: QuerySet[Sync], user) -> BulkRunResult:
    """Ask for a run of each sync; disabled syncs are skipped (and counted), never run."""
    started = skipped = 0
    for sync in syncs:
        try:
            services.sync_trigger(sync=sync, trigger="manual", user=user)
        except services.SyncDisabled:
            skipped += 1
        else:
            started += 1
    return BulkRunResult(started=started, skipped_disabled=skipped)


def sync_active_run(sync: Sync) -> SyncRun | None:
    """The run of this sync that is still going (the oldest, if a follow-up is waiting)."""
    return SyncRun.objects.filter(sync=sync, status__in=ACTIVE_STATUSES).order_by("created_at", "id").first()


def sync_move_to_folder(*, sync: Sync, folder: Folder | None) -> None:
    if folder is not None and folder.workspace_id != sync.workspace_id:
        raise ValidationError({"folder": "This folder belongs to another workspace."})
    Sync.objects.filter(pk=sync.pk).update(folder=folder)
    sync.folder = folder


def sync_set_labels(*, sync: Sync, labels: list[Label], new_names: list[str] = ()) -> list[Label]:
    """Give the sync exactly `labels`, plus labels named `new_names` (made when they do not exist)."""
    if any(label.workspace_id != sync.workspace_id for label in labels):
        raise ValidationError({"labels": "A label belongs to another workspace."})
    with transaction.atomic():
        chosen = list(labels)
        for name in new_names:
            label, _created = Label.objects.get_or_create(
                workspace_id=sync.workspace_id, name=name, defaults={"colour": label_colour(name)}
            )
            chosen.append(label)
        sync.labels.set(chosen)
    return chosen


LABEL_COLOURS = ("#2563eb", "#7c3aed", "#047857", "#b45309", "#be185d", "#0e7490", "#4d7c0f", "#b91c1c")


def label_colour(name: str) -> str:
    """A colour for a new label, the same for the same name (labels are told apart at a glance)."""
    return LABEL_COLOURS[zlib.crc32(name.lower().encode()) % len(LABEL_COLOURS)]


def sync_delete(*, sync: Sync) -> None:
    """Delete the sync and its run history. An active run is cancelled first, so that no worker
    goes on writing for a sync that no longer exists. Records already in the destination stay."""
    with transaction.atomic():
        for run in SyncRun.objects.filter(sync=sync, status__in=ACTIVE_STATUSES):
            services.run_cancel(run=run)
        sync.delete()


def folder_create(*, workspace: Workspace, name: str, parent: Folder | None = None) -> Folder:
    folder = Folder(workspace=workspace, name=name.strip(), parent=parent)
    folder.full_clean()
    folder.save()
    return folder


def folder_delete(*, folder: Folder) -> None:
    """Delete the folder and its subfolders; their syncs stay, outside any folder."""
    folder.delete()
