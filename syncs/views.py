"""The sync pages: the overview, a sync, a run, the builder, and the actions on them.

Action URLs answer GET with a confirmation (a page, or a dialog for htmx) and act on POST.
Live parts of a page poll themselves with htmx every 2 s and get 286 once nothing runs.
"""

import csv
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import F
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django_htmx.http import HTMX_STOP_POLLING, HttpResponseClientRedirect

from syncapp.tenancy import get_object_in_workspace, workspace_view
from syncapp.views import confirm, form_page, next_url
from syncs import services, sync_services
from syncs.forms import (
    BULK_ACTIONS,
    SORTS,
    BulkActionForm,
    FolderForm,
    LabelsForm,
    MoveToFolderForm,
    OverviewFilterForm,
    SyncBuilderForm,
)
from syncs.models import ACTIVE_STATUSES, Folder, Label, RejectedRow, Sync, SyncRun
from syncs.selectors import (
    ACTIVE_SYNC_STATUSES,
    STATUS_DESCRIPTIONS,
    attach_labels,
    destination_objects,
    folder_and_descendant_ids,
    folder_tree,
    model_preview,
    page_of,
    sync_filter_choices,
    sync_status_of,
    syncs_in_status,
    syncs_with_last_run,
)

SYNCS_PER_PAGE = 50
RUNS_PER_PAGE = 20
REJECTED_PER_PAGE = 50
CHART_RUNS = 30


def _page_number(request: HttpRequest) -> int:
    try:
        return int(request.GET.get("page", 1))
    except ValueError:
        return 1


def _poll(response: HttpResponse, *, active: bool) -> HttpResponse:
    """Polling stops (286) once nothing on the page runs any more."""
    if not active:
        response.status_code = HTMX_STOP_POLLING
    return response


# ---------------------------------------------------------------------------------------- overview


@workspace_view()
def sync_list(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    model_choices, destination_choices = sync_filter_choices(workspace)
    labels = list(Label.objects.in_workspace(workspace))
    tree = folder_tree(workspace)
    form = OverviewFilterForm(
        request.GET, models=model_choices, destinations=destination_choices, labels=labels
    )
    form.is_valid()  # invalid filters are ignored, the valid ones apply
    filters = form.cleaned_data
    page = page_of(_filtered_syncs(workspace, filters, tree), _page_number(request), SYNCS_PER_PAGE)
    for sync in page.rows:
        sync.status = sync_status_of(sync)
    active = any(sync.status in ACTIVE_SYNC_STATUSES for sync in page.rows)
    context = {"page": page, "active": active, "descriptions": STATUS_DESCRIPTIONS}
    if request.htmx and request.htmx.target == "sync-statuses":
        return _poll(render(request, "syncs/sync_list.html#statuses", context), active=active)
    attach_labels(page.rows, labels)
    context |= {
        "form": form,
        "folders": tree,
        "filters": filters,
        "bulk_actions": BULK_ACTIONS,
        "filtered": any(filters.get(name) for name in ("q", "status", "model", "destination", "label")),
    }
    return render(request, "syncs/sync_list.html", context)


def _filtered_syncs(workspace, filters: dict, tree):
    syncs = syncs_with_last_run(
        Sync.objects.in_workspace(workspace).select_related("model", "destination", "created_by", "folder")
    )
    if filters.get("q"):
        syncs = syncs.filter(name__icontains=filters["q"])
    if filters.get("status"):
        syncs = syncs_in_status(syncs, filters["status"])
    for name in ("model", "destination"):
        if filters.get(name):
            syncs = syncs.filter(**{f"{name}_id": filters[name]})
    if filters.get("label"):
        syncs = syncs.filter(labels=filters["label"])
    if filters.get("folder") == "none":
        syncs = syncs.filter(folder__isnull=True)
    elif filters.get("folder"):
        syncs = syncs.filter(folder__in=folder_and_descendant_ids(tree, int(filters["folder"])))
    field, _label = SORTS.get(filters.get("sort") or "name", SORTS["name"])
    ordering = F(field.lstrip("-"))
    ordering = ordering.desc(nulls_last=True) if field.startswith("-") else ordering.asc(nulls_last=True)
    return syncs.order_by(ordering, "name", "pk")


@workspace_view(write=True)
def sync_bulk(request: HttpRequest) -> HttpResponse:
    back = next_url(request, reverse("sync_list", args=[request.workspace.slug]))
    if request.method != "POST":
        return confirm(
            request,
            back=back,
            title="Act on several syncs",
            explanation="Select syncs on the overview, then choose Enable, Disable or Run.",
            button="",
        )
    form = BulkActionForm(request.POST, workspace=request.workspace)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect(back)
    syncs, action = form.cleaned_data["syncs"], form.cleaned_data["action"]
    if action == "run":
        result = sync_services.syncs_trigger(syncs=syncs, user=request.user)
        text = f"{result.started} run{pluralize(result.started)} started."
        skipped = result.skipped_disabled
        if skipped:
            text += f" {skipped} disabled sync{pluralize(skipped, ' was,s were')} skipped."
        messages.success(request, text)
    else:
        changed = sync_services.syncs_set_enabled(syncs=syncs, enabled=action == "enable")
        messages.success(request, f"{changed} sync{pluralize(changed)} {action}d.")
    return redirect(back)


# ---------------------------------------------------------------------------------------- a sync


def _sync(request: HttpRequest, sync_id: int) -> Sync:
    return get_object_in_workspace(
        Sync.objects.select_related("model__source", "destination", "folder", "created_by"),
        request.workspace,
        pk=sync_id,
    )


def _sync_url(request: HttpRequest, sync: Sync) -> str:
    return reverse("sync_detail", args=[request.workspace.slug, sync.pk])


@workspace_view()
def sync_detail(request: HttpRequest, sync_id: int) -> HttpResponse:
    sync = _sync(request, sync_id)
    active_run = sync_services.sync_active_run(sync)
    page = page_of(SyncRun.objects.filter(sync=sync), _page_number(request), RUNS_PER_PAGE)
    context = {
        "sync": sync,
        "status": sync_status_of(sync),
        "descriptions": STATUS_DESCRIPTIONS,
        "active_run": active_run,
        "runs": page,
    }
    if request.htmx and request.htmx.target == "sync-live":
        return _poll(render(request, "syncs/sync_detail.html#live", context), active=active_run is not None)
    context |= {
        "labels": sync.labels.all(),
        "chart": run_chart(list(SyncRun.objects.filter(sync=sync)[:CHART_RUNS])[::-1]),
        "folder_form": MoveToFolderForm(workspace=request.workspace, initial={"folder": sync.folder_id}),
        "labels_form": LabelsForm(workspace=request.workspace, initial={"labels": sync.labels.all()}),
        "mappings": sync.config.get("mappings", []),
    }
    return render(request, "syncs/sync_detail.html", context)


@workspace_view(write=True)
def sync_run(request: HttpRequest, sync_id: int) -> HttpResponse:
    sync = _sync(request, sync_id)
    if request.method != "POST":
        return confirm(
            request,
            back=reverse("sync_detail", args=[request.workspace.slug, sync.pk]),
            title=f"Run {sync.name} now?",
            explanation="The run sends the rows added, changed and removed since the last run.",
            button="Run",
        )
    return _trigger(request, sync, full_resync=False)


@workspace_view(write=True)
def sync_resync(request: HttpRequest, sync_id: int) -> HttpResponse:
    sync = _sync(request, sync_id)
    if request.method != "POST":
        return confirm(
            request,
            back=reverse("sync_detail", args=[request.workspace.slug, sync.pk]),
            title="Resync full query results?",
            explanation=(
                f"The next run of {sync.name} forgets what it sent before and sends every row of the "
                f"model's query again, as if for the first time: each row is written to "
                f"{sync.destination.name} once more (records that exist are updated, not duplicated). "
                "It takes longer than a normal run and uses more of the destination's API limits. "
                "Use it when records were changed or deleted in the destination by hand."
            ),
            button="Resync all rows",
            danger=True,
        )
    return _trigger(request, sync, full_resync=True)


def _trigger(request: HttpRequest, sync: Sync, *, full_resync: bool) -> HttpResponse:
    try:
        services.sync_trigger(sync=sync, trigger="manual", user=request.user, full_resync=full_resync)
    except services.SyncDisabled as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "A full resync has started." if full_resync else "The run has started.")
    return redirect(next_url(request, reverse("sync_detail", args=[request.workspace.slug, sync.pk])))


@workspace_view(write=True)
def sync_set_enabled(request: HttpRequest, sync_id: int) -> HttpResponse:
    sync = _sync(request, sync_id)
    if request.method != "POST":
        verb = "Disable" if sync.enabled else "Enable"
        return confirm(
            request,
            back=reverse("sync_detail", args=[request.workspace.slug, sync.pk]),
            title=f"{verb} {sync.name}?",
            explanation=(
                "A disabled sync neither runs on its schedule nor by hand; its history is kept."
                if sync.enabled
                else "The sync runs again on its schedule, and can be run by hand."
            ),
            button=verb,
        )
    enabled = request.POST.get("enabled") == "true"
    sync_services.sync_set_enabled(sync=sync, enabled=enabled)
    messages.success(request, f"{sync.name} is {'enabled' if enabled else 'disabled'}.")
    return redirect(next_url(request, reverse("sync_detail", args=[request.workspace.slug, sync.pk])))


@workspace_view(write=True)
def sync_move(request: HttpRequest, sync_id: int) -> HttpResponse:
    sync = _sync(request, sync_id)
    form = MoveToFolderForm(
        request.POST or None, workspace=request.workspace, initial={"folder": sync.folder_id}
    )
    if request.method == "POST" and form.is_valid():
        folder = form.cleaned_data["folder"]
        sync_services.sync_move_to_folder(sync=sync, folder=folder)
        messages.success(
            request, f"{sync.name} moved to {folder.name}." if folder else f"{sync.name} is in no folder."
        )
        return redirect("sync_detail", request.workspace.slug, sync.pk)
    return form_page(
        request,
        title=f"Move {sync.name} to a folder",
        form=form,
        button="Move",
        cancel_url=_sync_url(request, sync),
    )


@workspace_view(write=True)
def sync_labels(request: HttpRequest, sync_id: int) -> HttpResponse:
    sync = _sync(request, sync_id)
    form = LabelsForm(
        request.POST or None, workspace=request.workspace, initial={"labels": sync.labels.all()}
    )
    if request.method == "POST" and form.is_valid():
        sync_services.sync_set_labels(
            sync=sync, labels=list(form.cleaned_data["labels"]), new_names=form.cleaned_data["new_labels"]
        )
        messages.success(request, f"The labels of {sync.name} are saved.")
        return redirect("sync_detail", request.workspace.slug, sync.pk)
    return form_page(
        request,
        title=f"Labels of {sync.name}",
        form=form,
        button="Save labels",
        cancel_url=_sync_url(request, sync),
    )


@workspace_view(write=True)
def sync_delete(request: HttpRequest, sync_id: int) -> HttpResponse:
    sync = _sync(request, sync_id)
    if request.method != "POST":
        return confirm(
            request,
            back=reverse("sync_detail", args=[request.workspace.slug, sync.pk]),
            title=f"Delete {sync.name}?",
            explanation=(
                "The sync and its run history are deleted; a run still going is cancelled. Records it "
                f"already wrote stay in {sync.destination.name}. This cannot be undone."
            ),
            button="Delete the sync",
            danger=True,
        )
    sync_services.sync_delete(sync=sync)
    messages.success(request, f"{sync.name} is deleted.")
    return redirect("sync_list", request.workspace.slug)


# ---------------------------------------------------------------------------------------- building


@workspace_view(write=True)
def sync_create(request: HttpRequest) -> HttpResponse:
    return _builder(request, sync=None)


@workspace_view(write=True)
def sync_edit(request: HttpRequest, sync_id: int) -> HttpResponse:
    return _builder(request, sync=_sync(request, sync_id))


def _builder(request: HttpRequest, *, sync: Sync | None) -> HttpResponse:
    initial = {"model": request.GET.get("model")} if sync is None and request.GET.get("model") else None
    saving = request.method == "POST" and request.POST.get("action") == "save"
    form = SyncBuilderForm(request.POST or None, workspace=request.workspace, sync=sync, validate=saving)
    if initial and not form.is_bound:
        form.initial |= initial
    model, destination = form.chosen("model"), form.chosen("destination")
    preview = model_preview(model, limit=0) if model else None
    objects, objects_error = destination_objects(destination) if destination else ([], "")
    form.set_catalog(
        columns=preview.columns if preview and not preview.error else None,
        columns_error=preview.error if preview else "",
        objects=objects,
        objects_error=objects_error,
    )
    if saving and form.is_valid():
        try:
            if sync is None:
                sync = sync_services.sync_create(
                    workspace=request.workspace, user=request.user, **form.sync_values()
                )
            else:
                sync_services.sync_update(sync=sync, **form.sync_values())
        except ValidationError as exc:
            form.add_model_errors(exc)
        else:
            messages.success(request, f"{sync.name} is saved.")
            url = reverse("sync_detail", args=[request.workspace.slug, sync.pk])
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    context = {"form": form, "sync": sync}
    template = "syncs/sync_form.html#builder" if request.htmx else "syncs/sync_form.html"
    return render(request, template, context)


# ---------------------------------------------------------------------------------------- runs


def _run(request: HttpRequest, run_id: int) -> SyncRun:
    return get_object_in_workspace(
        SyncRun.objects.select_related("sync__destination", "sync__model", "created_by"),
        request.workspace,
        pk=run_id,
    )


@dataclass(frozen=True)
class Phase:
    name: str
    at: object
    description: str


def run_phases(run: SyncRun) -> list[Phase]:
    return [
        Phase("Created", run.created_at, "The run was asked for."),
        Phase("Querying", run.querying_at, "Running the model's query on the source."),
        Phase("Preparing", run.preparing_at, "Finding the rows added, changed and removed."),
        Phase("Queued", run.queued_at, "Changes planned, waiting for a worker."),
        Phase("Writing", run.writing_at, "Writing the changes to the destination."),
        Phase("Finished", run.finished_at, "The run ended."),
    ]


@workspace_view()
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _run(request, run_id)
    active = run.status in ACTIVE_STATUSES
    context = {"run": run, "sync": run.sync, "active": active, "phases": run_phases(run)}
    if request.htmx and request.htmx.target == "run-live":
        return _poll(render(request, "syncs/run_detail.html#live", context), active=active)
    rejected = RejectedRow.objects.filter(run=run)
    context["rejected"] = page_of(rejected, _page_number(request), REJECTED_PER_PAGE)
    return render(request, "syncs/run_detail.html", context)


@workspace_view(write=True)
def run_cancel(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _run(request, run_id)
    if request.method != "POST":
        return confirm(
            request,
            back=reverse("run_detail", args=[request.workspace.slug, run.pk]),
            title=f"Cancel run {run.pk}?",
            explanation=(
                "The run stops at the next batch: rows already written stay written; the others are "
                "sent by the next run."
            ),
            button="Cancel the run",
            danger=True,
        )
    if services.run_cancel(run=run):
        messages.success(request, "The run is cancelled.")
    else:
        messages.error(request, "The run had already ended.")
    return redirect(next_url(request, reverse("run_detail", args=[request.workspace.slug, run.pk])))


CSV_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: str) -> str:
    # A spreadsheet would run a cell starting with these as a formula: keep it text.
    return f"'{value}" if value.startswith(CSV_FORMULA_PREFIXES) else value


class _Echo:
    def write(self, value: str) -> str:
        return value


@workspace_view()
def run_rejected_csv(request: HttpRequest, run_id: int) -> StreamingHttpResponse:
    run = _run(request, run_id)
    writer = csv.writer(_Echo())
    rows = RejectedRow.objects.filter(run=run).values_list(
        "primary_key", "change", "error_code", "error_message"
    )

    def lines():
        yield writer.writerow(["primary_key", "change", "error_code", "error_message"])
        for row in rows.iterator(chunk_size=2000):
            yield writer.writerow([_csv_cell(str(value)) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{run.sync.slug}-run-{run.pk}-rejected-rows.csv"'
    return response


# ---------------------------------------------------------------------------------------- folders


@workspace_view(write=True)
def folder_create(request: HttpRequest) -> HttpResponse:
    form = FolderForm(request.POST or None, workspace=request.workspace)
    if request.method == "POST" and form.is_valid():
        try:
            folder = sync_services.folder_create(
                workspace=request.workspace,
                name=form.cleaned_data["name"],
                parent=form.cleaned_data["parent"],
            )
        except ValidationError:
            form.add_error("name", "A folder of this name is already there.")
        else:
            messages.success(request, f"The folder {folder.name} is created.")
            return redirect(f"{reverse('sync_list', args=[request.workspace.slug])}?folder={folder.pk}")
    return form_page(
        request,
        title="New folder",
        form=form,
        button="Create",
        cancel_url=reverse("sync_list", args=[request.workspace.slug]),
    )


@workspace_view(write=True)
def folder_delete(request: HttpRequest, folder_id: int) -> HttpResponse:
    folder = get_object_in_workspace(Folder, request.workspace, pk=folder_id)
    if request.method != "POST":
        return confirm(
            request,
            back=reverse("sync_list", args=[request.workspace.slug]),
            title=f"Delete the folder {folder.name}?",
            explanation=(
                "The folder and the folders inside it are deleted. Their syncs are kept, outside any folder."
            ),
            button="Delete the folder",
            danger=True,
        )
    sync_services.folder_delete(folder=folder)
    messages.success(request, f"The folder {folder.name} is deleted.")
    return redirect("sync_list", request.workspace.slug)


# ---------------------------------------------------------------------------------------- the chart


@dataclass(frozen=True)
class ChartBar:
    x: float
    y: float
    height: float
    run: SyncRun
    duration: float | None


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bar_width: float
    bars: list[ChartBar]
    line: str  # the duration polyline's points
    dots: list[tuple[float, float]]
    max_rows: int
    max_seconds: float


def run_chart(runs: list[SyncRun], *, width: int = 480, height: int = 150) -> Chart | None:
    """Rows written (bars) and duration (line) per run, oldest first, scaled into an SVG box."""
    if not runs:
        return None
    slot = width / max(len(runs), 1)
    max_rows = max(max(run.successful_total for run in runs), 1)
    durations = [
        (run.finished_at - run.started_at).total_seconds() if run.finished_at and run.started_at else None
        for run in runs
    ]
    max_seconds = max([d for d in durations if d is not None] or [1.0]) or 1.0
    bars, dots = [], []
    for index, (run, seconds) in enumerate(zip(runs, durations, strict=True)):
        bar_height = run.successful_total / max_rows * (height - 10)
        x = index * slot
        bars.append(ChartBar(x + slot * 0.15, height - bar_height, bar_height, run, seconds))
        if seconds is not None:
            dots.append((round(x + slot / 2, 1), round(height - seconds / max_seconds * (height - 10), 1)))
    line = " ".join(f"{x},{y}" for x, y in dots)
    return Chart(width, height, slot * 0.7, bars, line, dots, max_rows, round(max_seconds, 1))
