from django.contrib.admin.apps import AdminConfig


class SyncappAdminConfig(AdminConfig):
    """Django's admin, with the workspace-scoped site as `admin.site`."""

    default_site = "syncapp.adminsite.WorkspaceAdminSite"
