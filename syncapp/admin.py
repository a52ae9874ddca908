"""The admin site, scoped to workspaces: a workspace admin manages only their workspaces' rows.

Editors and viewers have no admin access. Superusers (the installation's operators) see every row.
An object outside the user's workspaces is a 404, as everywhere else.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.http import Http404, HttpRequest

from syncapp.adminsite import managed_workspace_ids
from syncapp.models import Membership, User, Workspace


class NotFoundOutsideScope:
    """An object outside the admin's queryset is a 404 (Django's admin would redirect instead)."""

    view_on_site = False

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No such object in your workspaces.")
        return obj


class WorkspaceScopedAdmin(NotFoundOutsideScope, admin.ModelAdmin):
    """Base for the admin of every workspace-owned model."""

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.in_workspaces(managed_workspace_ids(request))

    def save_model(self, request, obj, form, change) -> None:
        if not change and hasattr(obj, "created_by_id") and obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def _may_manage(self, request: HttpRequest, obj=None) -> bool:
        if request.user.is_superuser:
            return True
        ids = managed_workspace_ids(request)
        return bool(ids) and (obj is None or obj.workspace_id in ids)

    def has_module_permission(self, request):
        return self._may_manage(request)

    def has_view_permission(self, request, obj=None):
        return self._may_manage(request, obj)

    def has_add_permission(self, request):
        return self._may_manage(request)

    def has_change_permission(self, request, obj=None):
        return self._may_manage(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_manage(request, obj)

    def _scoped_choices(self, db_field, request, kwargs) -> None:
        if request.user.is_superuser or "queryset" in kwargs:
            return
        related = db_field.related_model
        ids = managed_workspace_ids(request)
        if related is Workspace:
            kwargs["queryset"] = Workspace.objects.filter(id__in=ids)
        elif related is User:
            kwargs["queryset"] = User.objects.filter(memberships__workspace_id__in=ids).distinct()
        elif hasattr(related, "workspace_lookup"):
            kwargs["queryset"] = related.objects.in_workspaces(ids)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        self._scoped_choices(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        self._scoped_choices(db_field, request, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(Workspace)
class WorkspaceAdmin(WorkspaceScopedAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        queryset = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(id__in=managed_workspace_ids(request))

    def _may_manage(self, request, obj=None) -> bool:
        if request.user.is_superuser:
            return True
        ids = managed_workspace_ids(request)
        return bool(ids) and (obj is None or obj.pk in ids)

    # Creating and deleting whole workspaces is for the installation's operators.
    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Membership)
class MembershipAdmin(WorkspaceScopedAdmin):
    list_display = ["user", "workspace", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__email"]


@admin.register(User)
class SyncappUserAdmin(NotFoundOutsideScope, UserAdmin):
    """People are the installation's: only superusers manage accounts here."""

    fieldsets = (*UserAdmin.fieldsets, ("Preferences", {"fields": ["timezone"]}))

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else queryset.none()


# Roles are workspace memberships; Django's global groups are not used.
admin.site.unregister(Group)
