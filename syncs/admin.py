from django.contrib import admin

from syncapp.admin import WorkspaceScopedAdmin
from syncs.models import Folder, Label, Sync, SyncRun


@admin.register(Folder)
class FolderAdmin(WorkspaceScopedAdmin):
    list_display = ["name", "workspace", "parent"]
    search_fields = ["name"]


@admin.register(Label)
class LabelAdmin(WorkspaceScopedAdmin):
    list_display = ["name", "workspace", "colour"]
    search_fields = ["name"]


@admin.register(Sync)
class SyncAdmin(WorkspaceScopedAdmin):
    list_display = ["name", "workspace", "model", "destination", "enabled", "schedule_kind", "created_at"]
    list_filter = ["enabled", "schedule_kind"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["labels"]
    readonly_fields = ["created_by", "created_at", "updated_at"]


@admin.register(SyncRun)
class SyncRunAdmin(WorkspaceScopedAdmin):
    """Runs are written by the sync engine only: the admin shows them read-only."""

    list_display = ["id", "sync", "status", "trigger", "created_at", "finished_at"]
    list_filter = ["status", "trigger"]
    list_select_related = ["sync"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
