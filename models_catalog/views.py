"""Sources and models: their forms, the connection test and the model's preview.

Every member may open these pages; only those who may write (admins, editors) may post to them.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from models_catalog.forms import ModelEditForm, SourceForm
from models_catalog.models import Model, Source
from models_catalog.services import ConnectionResult, source_test_connection
from syncapp.tenancy import get_object_in_workspace, workspace_view
from syncs.models import Sync
from syncs.selectors import Preview, model_preview


def refuse_readers_posting(request: HttpRequest) -> None:
    if request.method == "POST" and not request.membership.can_write:
        raise PermissionDenied("Your role in this workspace can only view.")


def read_only(form) -> None:
    for field in form.fields.values():
        field.disabled = True


def saved_redirect(request: HttpRequest, url: str) -> HttpResponse:
    """After a save, go to the saved object's page (the whole page, also from an htmx form)."""
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def settings_to_fix(form) -> ConnectionResult:
    """A connection test that cannot start: what to fix first, field by field."""
    problems = [
        f"{form.fields[name].label if name in form.fields else 'Settings'}: {' '.join(errors)}"
        for name, errors in form.errors.items()
    ]
    return ConnectionResult(False, "Fix the settings first. " + " ".join(problems))


@workspace_view()
def source_create(request: HttpRequest) -> HttpResponse:
    if not request.membership.can_write:
        raise PermissionDenied("Your role in this workspace can only view.")
    return _source_form(request, Source(created_by=request.user))


@workspace_view()
def source_edit(request: HttpRequest, source_id: int) -> HttpResponse:
    refuse_readers_posting(request)
    return _source_form(request, get_object_in_workspace(Source, request.workspace, pk=source_id))


def _source_form(request: HttpRequest, source: Source) -> HttpResponse:
    form = SourceForm(request.POST or None, instance=source, workspace=request.workspace)
    if not request.membership.can_write:
        read_only(form)
    connection = None
    if request.method == "POST" and request.POST.get("action") == "test":
        connection = (
            source_test_connection(source=form.instance) if form.is_valid() else settings_to_fix(form)
        )
        if request.htmx:  # only the result: the password typed in the form stays where it is
            return render(request, "includes/connection_test.html#result", {"connection": connection})
    elif request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"The source {form.instance.name} is saved.")
        return saved_redirect(
            request, reverse("source_edit", args=[request.workspace.slug, form.instance.pk])
        )
    context = {"form": form, "source": source, "connection": connection}
    if source.pk:
        context["models"] = Model.objects.in_workspace(request.workspace).filter(source=source)
    template = "models_catalog/source_form.html#editor" if request.htmx else "models_catalog/source_form.html"
    return render(request, template, context)


@workspace_view()
def model_create(request: HttpRequest) -> HttpResponse:
    if not request.membership.can_write:
        raise PermissionDenied("Your role in this workspace can only view.")
    return _model_form(request, Model(created_by=request.user))


@workspace_view()
def model_edit(request: HttpRequest, model_id: int) -> HttpResponse:
    refuse_readers_posting(request)
    model = get_object_in_workspace(Model.objects.select_related("source"), request.workspace, pk=model_id)
    return _model_form(request, model)


def _model_form(request: HttpRequest, model: Model) -> HttpResponse:
    previewing = request.method == "POST" and request.POST.get("action") == "preview"
    form = ModelEditForm(
        request.POST or None, instance=model, workspace=request.workspace, validate=not previewing
    )
    if not request.membership.can_write:
        read_only(form)
    preview = None
    if previewing:
        unsaved = form.unsaved_model()
        preview = (
            model_preview(unsaved) if unsaved else Preview(error="Choose a source and write the query first.")
        )
        form.set_columns(preview.columns)
    elif request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"The model {form.instance.name} is saved.")
        return saved_redirect(request, reverse("model_edit", args=[request.workspace.slug, form.instance.pk]))
    elif request.method == "POST":
        preview = form.preview
    context = {"form": form, "model": model, "preview": preview}
    if model.pk:
        context["syncs"] = Sync.objects.in_workspace(request.workspace).filter(model=model)
    template = "models_catalog/model_form.html#editor" if request.htmx else "models_catalog/model_form.html"
    return render(request, template, context)
