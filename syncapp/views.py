from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from destinations.models import Destination
from models_catalog.models import Model, Source
from syncapp.forms import ProfileForm
from syncapp.models import Membership
from syncapp.tenancy import workspace_view
from syncs.models import Sync


def home(request: HttpRequest) -> HttpResponse:
    """Send the user to their first workspace; there is no "last used workspace" fallback."""
    membership = (
        Membership.objects.filter(user=request.user)
        .select_related("workspace")
        .order_by("workspace__name")
        .first()
    )
    if membership is None:
        return render(request, "syncapp/no_workspace.html")
    return redirect("workspace_home", workspace_slug=membership.workspace.slug)


@workspace_view()
def workspace_home(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    context = {
        "syncs": Sync.objects.in_workspace(workspace).select_related(
            "model", "destination", "created_by", "folder"
        ),
        "models": Model.objects.in_workspace(workspace).select_related("source", "created_by"),
        "sources": Source.objects.in_workspace(workspace),
        "destinations": Destination.objects.in_workspace(workspace),
    }
    return render(request, "syncapp/workspace_home.html", context)


def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your profile is saved.")
        return redirect("profile")
    return render(request, "syncapp/profile.html", {"form": form})


@login_not_required
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
