"""Forms that build sources (warehouse connections) and models (SQL queries) in a workspace."""

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import ErrorDict

from models_catalog.models import Model, Source
from syncapp.models import Workspace
from syncs.selectors import Preview, model_preview
from syncs.sync_services import unique_slug


class WorkspaceModelForm(forms.ModelForm):
    """A ModelForm for a workspace-owned row, which checks the names unique in the workspace.

    ModelForm skips unique constraints over fields it does not show (the workspace), so the
    database would refuse a duplicate with an error instead of a message beside the field.
    """

    unique_in_workspace: tuple[str, ...] = ("name",)

    def __init__(self, *args, workspace: Workspace, validate: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        self.instance.workspace = workspace
        self.validate = validate

    def full_clean(self) -> None:
        """Validate only when asked to: a preview or a connection test is not a save."""
        if not self.validate:
            self._errors, self.cleaned_data = ErrorDict(), {}
            return
        super().full_clean()

    def _update_errors(self, errors: ValidationError) -> None:
        # A field's first error is enough: the model's own check of a field that already failed
        # (an empty SQL, say) would only say it again in other words.
        if hasattr(errors, "error_dict"):
            errors = ValidationError({f: e for f, e in errors.error_dict.items() if f not in self._errors})
            if not errors.error_dict:
                return
        super()._update_errors(errors)

    def clean(self) -> dict:
        cleaned = super().clean()
        siblings = type(self.instance).objects.in_workspace(self.workspace).exclude(pk=self.instance.pk)
        for name in self.unique_in_workspace:
            value = cleaned.get(name)
            if value and siblings.filter(**{f"{name}__iexact": value}).exists():
                self.add_error(
                    name, f"Another {self.instance._meta.verbose_name} is already named {value!r}."
                )
        return cleaned


class SourceForm(WorkspaceModelForm):
    class Meta:
        model = Source
        fields = ["name", "kind", "host", "port", "database", "username", "password", "url", "options"]
        help_texts = {
            "host": "The warehouse server's host name (PostgreSQL, MySQL).",
            "options": 'Extra driver parameters as JSON, for example {"sslmode": "require"}.',
        }
        widgets = {"options": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["options"].required = False
        self.fields["password"].label = "Password"
        if self.instance.pk and self.instance.password:
            self.fields["password"].help_text = "A password is saved (never shown). Leave blank to keep it."

    def clean_options(self):
        return self.cleaned_data.get("options") or {}


class ModelEditForm(WorkspaceModelForm):
    """The model's SQL and its primary key, which is chosen among the preview's columns.

    Saving runs the preview once more: the query must run and the key must be one of its columns.
    """

    preview: Preview | None = None

    primary_key = forms.ChoiceField(
        choices=(), help_text="The column that identifies each row: run Preview to list the columns."
    )

    class Meta:
        model = Model
        fields = ["name", "source", "sql", "primary_key"]
        widgets = {
            "sql": forms.Textarea(
                attrs={"rows": 12, "spellcheck": "false", "class": "code", "autocapitalize": "off"}
            )
        }
        help_texts = {"sql": "One SELECT query, run read-only against the source."}

    def __init__(self, *args, columns: list[str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = Source.objects.in_workspace(self.workspace)
        self.fields["source"].empty_label = "Choose a source"
        self.set_columns(columns or [])

    def set_columns(self, columns: list[str]) -> None:
        """Offer these columns as the primary key (and keep the chosen one, if any, offered)."""
        chosen = (
            self.data.get(self.add_prefix("primary_key"))
            if self.is_bound
            else self.initial.get("primary_key", self.instance.primary_key)
        )
        names = list(columns)
        if chosen and chosen not in names:
            names.append(chosen)
        self.fields["primary_key"].choices = [("", "Choose a column")] + [(name, name) for name in names]

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.errors or not cleaned.get("source"):
            return cleaned
        self.preview = model_preview(
            Model(workspace=self.workspace, source=cleaned["source"], sql=cleaned["sql"])
        )
        self.set_columns(self.preview.columns)
        if self.preview.error:
            self.add_error("sql", self.preview.error)
        elif cleaned.get("primary_key") not in self.preview.columns:
            self.add_error(
                "primary_key",
                f"The query has no column {cleaned.get('primary_key')!r}; "
                f"its columns are {', '.join(self.preview.columns)}.",
            )
        return cleaned

    def save(self, commit: bool = True) -> Model:
        model = super().save(commit=False)
        if not model.slug:
            model.slug = unique_slug(Model.objects.in_workspace(self.workspace), model.name)
        if commit:
            model.save()
        return model

    def unsaved_model(self) -> Model | None:
        """The model as the form describes it, for a preview; None until a source and SQL are given."""
        source_id = self.data.get(self.add_prefix("source"))
        sql = self.data.get(self.add_prefix("sql"), "")
        if not source_id or not sql.strip():
            return None
        source = (
            Source.objects.in_workspace(self.workspace).filter(pk=source_id).first()
            if source_id.isdigit()
            else None
        )
        if source is None:
            return None
        return Model(workspace=self.workspace, source=source, sql=sql)
