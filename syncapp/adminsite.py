from django.contrib import admin
from django.http import HttpRequest
from django.shortcuts import redirect
from django.urls import reverse

from syncapp.tenancy import admin_workspace_ids


def managed_workspace_ids(request: HttpRequest) -> set[int]:
    if not hasattr(request, "_admin_workspace_ids"):
        request._admin_workspace_ids = admin_workspace_ids(request.user)
    return request._admin_workspace_ids


class WorkspaceAdminSite(admin.AdminSite):
    site_header = "syncapp administration"
    site_title = "syncapp admin"
    index_title = "Your workspaces' data"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return user.is_active and (user.is_superuser or bool(managed_workspace_ids(request)))

    def login(self, request: HttpRequest, extra_context=None):
        # One login page for the whole product: the admin's own would demand is_staff.
        return redirect(f"{reverse('login')}?next={request.get_full_path()}")

    def get_urls(self):
        # Drop the "view on site" shortcut (r/<content_type_id>/<object_id>/): it resolves any
        # object of any workspace by id, and our models do not use it.
        return [url for url in super().get_urls() if getattr(url, "name", None) != "view_on_site"]
