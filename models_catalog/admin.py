from django.contrib import admin

from models_catalog.models import Model, Source
from syncapp.admin import WorkspaceScopedAdmin


@admin.register(Source)
class SourceAdmin(WorkspaceScopedAdmin):
    list_display = ["name", "workspace", "kind", "host", "database", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name"]
    readonly_fields = ["created_by", "created_at"]
    fields = [
        "workspace",
        "name",
        "kind",
        "host",
        "port",
        "database",
        "username",
        "password",
        "url",
        "options",
    ]


@admin.register(Model)
class ModelAdmin(WorkspaceScopedAdmin):
    list_display = ["name", "workspace", "source", "primary_key", "created_by", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    fields = ["workspace", "source", "name", "slug", "sql", "primary_key", "created_by", "created_at"]
    readonly_fields = ["created_by", "created_at"]
