"""The one place a request's workspace, membership and workspace-owned objects are resolved.

Every URL of a workspace carries its slug (`/w/<workspace_slug>/...`). `workspace_view` resolves
the slug and the user's membership and fails closed: a non-member gets 404, never 403, so that
workspaces cannot be discovered by probing. Object lookups go through `get_object_in_workspace`,
which filters by the workspace before the primary key: another workspace's object is a 404 too.
"""

from collections.abc import Callable
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from syncapp.models import Membership, Workspace

ViewFunc = Callable[..., HttpResponse]


def membership_for(user, workspace_slug: str) -> Membership:
    try:
        return Membership.objects.select_related("workspace").get(
            user_id=user.pk, workspace__slug=workspace_slug
        )
    except Membership.DoesNotExist:
        raise Http404("No such workspace.") from None


def workspace_view(*, write: bool = False) -> Callable[[ViewFunc], ViewFunc]:
    """Resolve `workspace_slug` into `request.workspace` and `request.membership`.

    With write=True, members who may only read (viewers) are refused with 403.
    """

    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapper(request: HttpRequest, workspace_slug: str, *args, **kwargs) -> HttpResponse:
            membership = membership_for(request.user, workspace_slug)
            if write and not membership.can_write:
                raise PermissionDenied("Your role in this workspace can only view.")
            request.workspace = membership.workspace
            request.membership = membership
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def get_object_in_workspace(
    queryset: type[models.Model] | models.QuerySet, workspace: Workspace, **lookup
) -> models.Model:
    """The object matching `lookup` inside `workspace`, or 404."""
    if isinstance(queryset, type):
        queryset = queryset.objects.all()
    return get_object_or_404(queryset.in_workspace(workspace), **lookup)


def admin_workspace_ids(user) -> set[int]:
    """The workspaces whose rows this user may manage in the admin site."""
    if not user.is_authenticated or not user.is_active:
        return set()
    return set(
        Membership.objects.filter(user_id=user.pk, role="admin").values_list("workspace_id", flat=True)
    )
