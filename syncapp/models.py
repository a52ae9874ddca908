"""The tenancy core: users, workspaces and memberships, and the base every workspace-owned row uses."""

import zoneinfo

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA timezone name (for example Europe/Paris).")


class User(AbstractUser):
    timezone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_timezone],
        help_text="Dates and times are shown in this timezone.",
    )


class Workspace(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=50, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    EDITOR = "editor", "Editor"
    VIEWER = "viewer", "Viewer"


class WorkspaceQuerySet(models.QuerySet):
    def in_workspace(self, workspace: "Workspace | int") -> "WorkspaceQuerySet":
        return self.filter(**{self.model.workspace_lookup: workspace})

    def in_workspaces(self, workspaces) -> "WorkspaceQuerySet":
        return self.filter(**{f"{self.model.workspace_lookup}__in": workspaces})


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WorkspaceQuerySet.as_manager()
    workspace_lookup = "workspace"

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "workspace"], name="one_membership_per_user")]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace} ({self.get_role_display()})"

    @property
    def can_write(self) -> bool:
        return self.role in (Role.ADMIN, Role.EDITOR)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


class WorkspaceOwned(models.Model):
    """Base of every workspace-owned row: an indexed workspace key and the scoped queryset.

    Pages, admin, API and tasks reach these rows only through `Model.objects.in_workspace(...)`
    (see syncapp.tenancy); rows owned through a parent override `workspace_lookup` instead.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, db_index=True)

    objects = WorkspaceQuerySet.as_manager()
    workspace_lookup = "workspace"

    class Meta:
        abstract = True

    def check_same_workspace(self, **related) -> None:
        """Raise a ValidationError naming each related row that belongs to another workspace."""
        errors = {
            field: f"This {obj._meta.verbose_name} belongs to another workspace."
            for field, obj in related.items()
            if obj is not None and obj.workspace_id != self.workspace_id
        }
        if errors:
            raise ValidationError(errors)
