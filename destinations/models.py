import json

from django.core.exceptions import ValidationError
from django.db import models

from destinations import registry
from syncapp.crypto import EncryptedField
from syncapp.models import WorkspaceOwned


class Destination(WorkspaceOwned):
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=30, choices=registry.kind_choices)
    config = models.JSONField(default=dict, blank=True)
    # A JSON object of the adapter's secret settings, encrypted as one value.
    credentials = EncryptedField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="unique_destination_name")]

    def __str__(self) -> str:
        return self.name

    def credentials_dict(self) -> dict:
        return json.loads(self.credentials.reveal()) if self.credentials else {}

    def set_credentials(self, values: dict) -> None:
        """Merge `values` into the stored credentials; blank values leave the stored ones unchanged."""
        merged = self.credentials_dict() | {k: v for k, v in values.items() if v not in (None, "")}
        self.credentials = json.dumps(merged)

    def credential_names(self) -> list[str]:
        return sorted(self.credentials_dict())

    def adapter_class(self):
        return registry.adapter_class(self.kind)

    def adapter(self):
        return self.adapter_class()(self.config, self.credentials_dict())

    def clean(self) -> None:
        if self.kind not in registry.ADAPTERS:
            raise ValidationError({"kind": f"Unknown destination kind {self.kind!r}."})
        if not isinstance(self.config, dict):
            raise ValidationError({"config": "The configuration must be a JSON object."})
        errors = self.adapter_class().validate_config(self.config, self.credentials_dict())
        if errors:
            raise ValidationError({"config": [f"{message}" for message in errors.values()]})
