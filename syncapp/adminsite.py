from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
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

    @login_not_required
    def login(self, request: HttpRequest, extra_context=None):
        # One login page for the whole product: the admin's own would demand is_staff.
        if request.user.is_authenticated:
            raise PermissionDenied("Only a workspace's admins can use the admin site.")
        return redirect_to_login(request.GET.get("next", self.index_url()), reverse("login"))

    def index_url(self) -> str:
        return reverse("admin:index", current_app=self.name)

    def get_urls(self):
        # Drop the "view on site" shortcut (r/<content_type_id>/<object_id>/): it resolves any
        # object of any workspace by id, and our models do not use it.
        return [url for url in super().get_urls() if getattr(url, "name", None) != "view_on_site"]
