"""Writes to the tenancy core: who is a member of a workspace, with which role."""

from django.core.exceptions import ValidationError
from django.db import transaction

from syncapp.models import Membership, Role, User, Workspace


def membership_add(*, workspace: Workspace, user: User, role: str) -> Membership:
    if Membership.objects.filter(workspace=workspace, user=user).exists():
        raise ValidationError({"username": f"{user.get_username()} is already a member of {workspace.name}."})
    return Membership.objects.create(workspace=workspace, user=user, role=role)


def membership_set_role(*, membership: Membership, role: str) -> None:
    """Change a member's role; a workspace always keeps at least one admin."""
    with transaction.atomic():
        _keep_an_admin(membership, leaving=role != Role.ADMIN)
        Membership.objects.filter(pk=membership.pk).update(role=role)
        membership.role = role


def membership_remove(*, membership: Membership) -> None:
    with transaction.atomic():
        _keep_an_admin(membership, leaving=True)
        membership.delete()


def _keep_an_admin(membership: Membership, *, leaving: bool) -> None:
    if not leaving or membership.role != Role.ADMIN:
        return
    admins = Membership.objects.select_for_update().filter(
        workspace_id=membership.workspace_id, role=Role.ADMIN
    )
    if not admins.exclude(pk=membership.pk).exists():
        raise ValidationError("A workspace needs at least one admin: make someone else an admin first.")
