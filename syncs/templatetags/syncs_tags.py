"""Small helpers of the sync pages: status badges, durations, counts."""

from datetime import datetime

from django import template
from django.utils.html import format_html

from syncs.models import RunStatus
from syncs.selectors import STATUS_DESCRIPTIONS, SyncStatus

register = template.Library()

RUN_STATUS_DESCRIPTIONS = {
    RunStatus.PENDING: "Waiting for a worker, or for the sync's active run to end.",
    RunStatus.QUERYING: "Running the model's query on the source.",
    RunStatus.PREPARING: "Finding the rows added, changed and removed since the last run.",
    RunStatus.QUEUED: "The changes are planned and waiting for a worker to write them.",
    RunStatus.IN_PROGRESS: "Writing the changes to the destination.",
    RunStatus.SUCCESS: "Every planned row was written.",
    RunStatus.WARNING: "The run completed, but the destination rejected some rows: see them below.",
    RunStatus.FAILED: "The run failed: see its error.",
    RunStatus.INCOMPLETE: "The run was interrupted; the next run finishes it.",
    RunStatus.CANCELLED: "A user cancelled the run.",
}


@register.simple_tag
def status_badge(status: str) -> str:
    """A sync's status as a coloured badge, its meaning on hover."""
    status = SyncStatus(status)
    return format_html(
        '<span class="badge badge-{}" title="{}">{}</span>',
        status.value,
        STATUS_DESCRIPTIONS[status],
        status.label,
    )


@register.simple_tag
def run_badge(status: str) -> str:
    status = RunStatus(status)
    return format_html(
        '<span class="badge run-{}" title="{}">{}</span>',
        status.value,
        RUN_STATUS_DESCRIPTIONS[status],
        status.label,
    )


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())


@register.filter
def seconds_text(seconds: float | None) -> str:
    """1.4 s, 2 min 5 s, 1 h 3 min."""
    if seconds is None:
        return "—"
    if seconds < 10:
        return f"{seconds:.1f} s"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


@register.filter
def run_duration(run) -> str:
    return seconds_text(_seconds(run.started_at, run.finished_at))


@register.filter
def percent(ratio: float | None) -> int:
    return round((ratio or 0) * 100)
