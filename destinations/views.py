"""Destinations: the form built from the adapter's settings, and the connection test.

Every member may open these pages; only those who may write (admins, editors) may post to them.
Secrets are write-only: the page never carries a saved one.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from destinations.forms import DestinationForm
from destinations.models import Destination
from destinations.services import destination_test_connection
from models_catalog.views import read_only, refuse_readers_posting, saved_redirect, settings_to_fix
from syncapp.tenancy import get_object_in_workspace, workspace_view
from syncs.models import Sync


@workspace_view()
def destination_create(request: HttpRequest) -> HttpResponse:
    if not request.membership.can_write:
        raise PermissionDenied("Your role in this workspace can only view.")
    return _destination_form(request, Destination())


@workspace_view()
def destination_edit(request: HttpRequest, destination_id: int) -> HttpResponse:
    refuse_readers_posting(request)
    destination = get_object_in_workspace(Destination, request.workspace, pk=destination_id)
    return _destination_form(request, destination)


def _destination_form(request: HttpRequest, destination: Destination) -> HttpResponse:
    form = DestinationForm(
        request.POST or None, instance=destination, workspace=request.workspace, kind=request.GET.get("kind")
    )
    if not request.membership.can_write:
        read_only(form)
    connection = None
    action = request.POST.get("action")
    if request.method == "POST" and action == "test":
        connection = (
            destination_test_connection(destination=form.instance)
            if form.is_valid()
            else settings_to_fix(form)
        )
        if request.htmx:  # only the result: the secrets typed in the form stay where they are
            return render(
                request, "includes/connection_test.html#result", {"connection": connection}
            )
    elif request.method == "POST" and action != "change_kind" and form.is_valid():
        form.save()
        messages.success(request, f"The destination {form.instance.name} is saved.")
        return saved_redirect(
            request, reverse("destination_edit", args=[request.workspace.slug, form.instance.pk])
        )
    context = {"form": form, "destination": destination, "connection": connection}
    if destination.pk:
        context["syncs"] = Sync.objects.in_workspace(request.workspace).filter(destination=destination)
    template = (
        "destinations/destination_form.html#editor" if request.htmx else "destinations/destination_form.html"
    )
    return render(request, template, context)
