"""The destination form, built from the adapter's settings: secret ones are write-only."""

from django import forms

from destinations import registry
from destinations.adapters import Setting
from destinations.models import Destination
from syncapp.models import Workspace

WRITE_ONLY_HELP = "Write-only: never shown again. Leave blank to keep the saved value."


class DestinationForm(forms.ModelForm):
    """Name, kind, and one field per setting of the kind's adapter.

    Plain settings go to `config`; secret ones to the encrypted `credentials`, through
    `set_credentials`, which keeps a saved secret when its field is left blank.
    """

    class Meta:
        model = Destination
        fields = ["name", "kind"]

    def __init__(self, *args, workspace: Workspace, kind: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        self.instance.workspace = workspace
        if self.instance.pk:
            self.kind = self.instance.kind
            del self.fields["kind"]  # a destination's kind is fixed: its syncs' mappings depend on it
        else:
            self.kind = self.data.get("kind") or kind or next(iter(registry.ADAPTERS))
            if self.kind not in registry.ADAPTERS:
                self.kind = next(iter(registry.ADAPTERS))
            self.fields["kind"].choices = registry.kind_choices()
            self.initial["kind"] = self.kind
            self.instance.kind = self.kind
        saved = self.instance.credential_names() if self.instance.pk else []
        for setting in self.settings():
            assert setting.name not in ("name", "kind"), setting.name
            self.fields[setting.name] = self._field_for(setting, saved=setting.name in saved)

    def settings(self) -> tuple[Setting, ...]:
        return registry.adapter_class(self.kind).settings

    def _field_for(self, setting: Setting, *, saved: bool) -> forms.Field:
        if setting.secret:
            return forms.CharField(
                label=setting.label,
                required=setting.required and not saved,  # once saved, blank keeps the saved value
                error_messages={"required": f"{setting.label} is required."},
                strip=False,
                widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
                help_text=WRITE_ONLY_HELP if saved else setting.help_text or "Write-only: never shown again.",
            )
        field_class = forms.IntegerField if isinstance(setting.default, int) else forms.CharField
        initial = (
            self.instance.config.get(setting.name, setting.default) if self.instance.pk else setting.default
        )
        return field_class(
            label=setting.label, required=setting.required, help_text=setting.help_text, initial=initial
        )

    def secret_fields(self) -> list[forms.BoundField]:
        return [self[setting.name] for setting in self.settings() if setting.secret]

    def plain_fields(self) -> list[forms.BoundField]:
        return [self[setting.name] for setting in self.settings() if not setting.secret]

    def _post_clean(self) -> None:
        # The model's own validation repeats the adapter's, under `config`, which is no field here:
        # when the form already says what is wrong beside each field, it is not asked again.
        if self._errors:
            return
        super()._post_clean()

    def advanced_has_errors(self) -> bool:
        """Whether an optional setting (shown folded away) has an error to show."""
        return any(field.errors for field in self.plain_fields() if not field.field.required)

    def clean(self) -> dict:
        cleaned = super().clean()
        name = cleaned.get("name")
        siblings = Destination.objects.in_workspace(self.workspace).exclude(pk=self.instance.pk)
        if name and siblings.filter(name__iexact=name).exists():
            self.add_error("name", f"Another destination is already named {name!r}.")
        config = {
            setting.name: cleaned[setting.name]
            for setting in self.settings()
            if not setting.secret and cleaned.get(setting.name) not in (None, "")
        }
        self.instance.config = config
        self.instance.set_credentials(
            {setting.name: cleaned.get(setting.name) for setting in self.settings() if setting.secret}
        )
        problems = registry.adapter_class(self.kind).validate_config(config, self.instance.credentials_dict())
        for setting_name, message in problems.items():
            if setting_name in self.fields and setting_name not in self.errors:
                self.add_error(setting_name, message)
            elif setting_name not in self.fields:
                self.add_error(None, message)
        return cleaned
