"""API keys: each belongs to one workspace and sees only that workspace's rows."""

from django.conf import settings
from django.db import models

from syncapp.models import WorkspaceOwned


class ApiKey(WorkspaceOwned):
    """A bearer token's stored half: the prefix that finds it and a hash of its secret.

    The token itself (`sa_<prefix>_<secret>`) is shown once, when the key is made, and never stored.
    """

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    hashed_secret = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} (sa_{self.prefix}_…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
