"""The API keys page of a workspace: its admins make keys (each shown once) and revoke them."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from syncapp.api import services
from syncapp.api.forms import ApiKeyForm
from syncapp.api.models import ApiKey
from syncapp.tenancy import get_object_in_workspace, workspace_view


def _admin_only(request: HttpRequest) -> None:
    if not request.membership.is_admin:
        raise PermissionDenied("Only the workspace's admins manage its API keys.")


@never_cache
@workspace_view()
def api_keys(request: HttpRequest) -> HttpResponse:
    """List the keys; on POST make one and show its token, this once."""
    _admin_only(request)
    form = ApiKeyForm(request.POST or None)
    token = None
    if request.method == "POST" and form.is_valid():
        _key, token = services.api_key_create(
            workspace=request.workspace, user=request.user, name=form.cleaned_data["name"]
        )
        form = ApiKeyForm()
    keys = ApiKey.objects.in_workspace(request.workspace).select_related("created_by")
    base_url = request.build_absolute_uri("/api/v1")
    context = {"form": form, "keys": keys, "token": token, "base_url": base_url}
    return render(request, "api/api_keys.html", context)


@workspace_view()
def api_key_revoke(request: HttpRequest, api_key_id: int) -> HttpResponse:
    """Ask to confirm; on POST revoke the key (requests with it are refused from then on)."""
    _admin_only(request)
    key = get_object_in_workspace(ApiKey, request.workspace, pk=api_key_id)
    if request.method == "POST":
        if services.api_key_revoke(api_key=key):
            messages.success(request, f"The key “{key.name}” is revoked.")
        return redirect("api_keys", workspace_slug=request.workspace.slug)
    return render(request, "api/api_key_revoke.html", {"key": key})
