from django import forms
from django.contrib import admin

from destinations import registry
from destinations.models import Destination
from syncapp.admin import WorkspaceScopedAdmin


def _secret_field_name(kind: str, setting_name: str) -> str:
    return f"secret__{kind}__{setting_name}"


class DestinationAdminForm(forms.ModelForm):
    """Secret settings are write-only fields: never shown back, kept when left blank."""

    class Meta:
        model = Destination
        fields = ["workspace", "name", "kind", "config"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for kind, (label, _path) in registry.ADAPTERS.items():
            for setting in registry.adapter_class(kind).settings:
                if setting.secret:
                    self.fields[_secret_field_name(kind, setting.name)] = forms.CharField(
                        label=f"{label}: {setting.label}",
                        required=False,
                        strip=False,
                        widget=forms.PasswordInput(render_value=False),
                        help_text="Write-only. Leave blank to keep the saved value.",
                    )

    def clean(self) -> dict:
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind in registry.ADAPTERS:
            # Before the model's own validation, which checks that every required secret is saved.
            self.instance.set_credentials(
                {
                    setting.name: cleaned.get(_secret_field_name(kind, setting.name))
                    for setting in registry.adapter_class(kind).settings
                    if setting.secret
                }
            )
        return cleaned


@admin.register(Destination)
class DestinationAdmin(WorkspaceScopedAdmin):
    form = DestinationAdminForm
    list_display = ["name", "workspace", "kind", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name"]
    readonly_fields = ["saved_credentials"]

    @admin.display(description="Saved credentials")
    def saved_credentials(self, obj: Destination) -> str:
        names = obj.credential_names() if obj.pk else []
        return ", ".join(names) + " (values hidden)" if names else "none"
