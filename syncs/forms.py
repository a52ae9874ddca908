"""Forms of the sync pages: the sync builder (with its mapping rows), folders, labels, bulk actions."""

import re
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import ErrorDict

from destinations.adapters import SYNC_MODES, FieldSpec, ObjectSpec
from destinations.models import Destination
from models_catalog.models import Model
from syncapp.models import Workspace
from syncs.mappings import CastError, build_record, template_columns
from syncs.models import Folder, IntervalUnit, Label, ScheduleKind, Sync
from syncs.selectors import SyncStatus

MODE_DESCRIPTIONS = {
    "upsert": "Upsert: add new records and update existing ones.",
    "update": "Update: update existing records only; rows without a record are skipped.",
    "insert": "Insert: add new records only; changed rows are not sent again.",
    "mirror": "Mirror: add and update, and delete the records of rows removed from the model.",
    "archive": "Archive: add and update, and mark the records of removed rows inactive.",
}
COLUMN = "column:"
CONSTANT = "constant"
TEMPLATE = "template"
REFERENCE_CHOICES = [("internal_id", "by internal ID"), ("external_id", "by external ID")]
MAX_MAPPINGS = 200


def _normalised(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _match_keys(spec: FieldSpec) -> set[str]:
    """The names a column may have to be matched to this field: the field's own name and, for a
    custom field (custentity_country), the name after its prefix."""
    keys = {_normalised(spec.name), _normalised(spec.label)}
    head, sep, rest = spec.name.partition("_")
    if spec.custom and sep and head.startswith("cust"):
        keys.add(_normalised(rest))
    return keys


@dataclass
class MappingRow:
    """One line of the mapping table: a destination field and what fills it."""

    to: str = ""
    source: str = ""  # "column:<name>", CONSTANT or TEMPLATE
    value: str = ""  # the constant or the template
    by: str = "internal_id"
    error: str = ""

    @classmethod
    def from_mapping(cls, mapping: dict) -> "MappingRow":
        if "from" in mapping:
            row = cls(to=mapping.get("to", ""), source=COLUMN + str(mapping["from"]))
        elif "constant" in mapping:
            row = cls(to=mapping.get("to", ""), source=CONSTANT, value=str(mapping["constant"]))
        else:
            row = cls(to=mapping.get("to", ""), source=TEMPLATE, value=str(mapping.get("template", "")))
        row.by = mapping.get("by", "internal_id")
        return row

    @property
    def is_blank(self) -> bool:
        return not self.to and not self.source and not self.value

    @property
    def column(self) -> str:
        return self.source[len(COLUMN) :] if self.source.startswith(COLUMN) else ""

    def as_mapping(self, spec: FieldSpec | None) -> dict:
        if self.column:
            mapping = {"from": self.column, "to": self.to}
        elif self.source == CONSTANT:
            mapping = {"constant": self.value, "to": self.to}
        else:
            mapping = {"template": self.value, "to": self.to}
        if spec is not None and spec.type == "select" and self.by == "external_id":
            mapping["by"] = "external_id"
        return mapping


def auto_matched_rows(columns: list[str], fields: tuple[FieldSpec, ...]) -> list[MappingRow]:
    """Columns mapped to the same-named fields (case, underscores and custom prefixes aside), then
    an empty row for each required field no column matched."""
    by_key: dict[str, str] = {}
    for column in columns:
        by_key.setdefault(_normalised(column), column)
    rows, unmatched_required = [], []
    for spec in fields:
        column = next((by_key[key] for key in sorted(_match_keys(spec)) if key in by_key), None)
        if column is not None:
            rows.append(MappingRow(to=spec.name, source=COLUMN + column))
        elif spec.required:
            unmatched_required.append(MappingRow(to=spec.name))
    return unmatched_required + rows


class SyncBuilderForm(forms.Form):
    """Model → destination → object and mode → mappings → schedule → name.

    The form is re-rendered as choices are made: the model's columns and the destination's objects
    are given by the view (they come from the warehouse and the destination). Mapping rows are
    posted as mapping-<n>-to / -source / -value / -by, with mapping-count rows.
    """

    model = forms.ModelChoiceField(queryset=Model.objects.none(), empty_label="Choose a model")
    destination = forms.ModelChoiceField(
        queryset=Destination.objects.none(), empty_label="Choose a destination"
    )
    object = forms.ChoiceField(label="Destination object", choices=())
    mode = forms.ChoiceField(
        choices=[(mode, MODE_DESCRIPTIONS[mode]) for mode in SYNC_MODES], widget=forms.RadioSelect
    )
    schedule_kind = forms.ChoiceField(
        label="When it runs",
        choices=ScheduleKind.choices,
        initial=ScheduleKind.MANUAL,
        widget=forms.RadioSelect,
    )
    interval_every = forms.IntegerField(label="Every", min_value=1, required=False)
    interval_unit = forms.ChoiceField(
        label="Unit", choices=[("", "Choose a unit")] + IntervalUnit.choices, required=False
    )
    cron_expression = forms.CharField(
        label="Cron expression",
        required=False,
        help_text="minute hour day-of-month month weekday, in UTC; for example 0 6 * * 1-5.",
    )
    name = forms.CharField(max_length=100, help_text="How the sync is listed on the overview.")
    previous_object = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(
        self, data=None, *, workspace: Workspace, sync: Sync | None = None, validate: bool = True
    ) -> None:
        initial = {"mode": "upsert", "schedule_kind": ScheduleKind.MANUAL}
        if sync is not None:
            initial = {
                "model": sync.model_id,
                "destination": sync.destination_id,
                "object": sync.config.get("object", ""),
                "previous_object": sync.config.get("object", ""),
                "mode": sync.config.get("mode", "upsert"),
                "schedule_kind": sync.schedule_kind,
                "interval_every": sync.interval_every,
                "interval_unit": sync.interval_unit,
                "cron_expression": sync.cron_expression,
                "name": sync.name,
            }
        if data is not None:
            # Fields not shown yet were not posted: they start at their defaults.
            data = data.copy()
            for name in ("mode", "schedule_kind"):
                data.setdefault(name, initial[name])
        super().__init__(data, initial=initial)
        self.validate = validate
        self.workspace = workspace
        self.sync = sync
        self.fields["model"].queryset = Model.objects.in_workspace(workspace).select_related("source")
        self.fields["destination"].queryset = Destination.objects.in_workspace(workspace)
        self.columns: list[str] | None = None
        self.columns_error = ""
        self.objects: list[ObjectSpec] = []
        self.objects_error = ""
        self.mappings_error = ""
        self.mapping_rows: list[MappingRow] = []
        self._initial_rows = [
            MappingRow.from_mapping(m) for m in (sync.config.get("mappings", []) if sync else [])
        ]

    # ------------------------------------------------------------------ the choices made so far

    def chosen(self, name: str):
        """The model or destination chosen so far (posted, or the sync's), or None."""
        field = self.fields[name]
        raw = self.data.get(name) if self.is_bound else self.initial.get(name)
        try:
            return field.clean(raw) if raw not in (None, "") else None
        except ValidationError:
            return None

    def chosen_value(self, name: str) -> str:
        return str((self.data.get(name) if self.is_bound else self.initial.get(name)) or "")

    def chosen_object(self) -> ObjectSpec | None:
        name = self.chosen_value("object")
        return next((spec for spec in self.objects if spec.name == name), None)

    def field_specs(self) -> dict[str, FieldSpec]:
        spec = self.chosen_object()
        return {field.name: field for field in spec.fields} if spec else {}

    # ------------------------------------------------------------------ what the view supplies

    def set_catalog(
        self, *, columns: list[str] | None, columns_error: str, objects: list[ObjectSpec], objects_error: str
    ) -> None:
        self.columns, self.columns_error = columns, columns_error
        self.objects, self.objects_error = objects, objects_error
        self.fields["object"].choices = [("", "Choose an object")] + [(o.name, o.label) for o in objects]
        spec = self.chosen_object()
        if spec is not None:
            self.fields["mode"].choices = [(mode, MODE_DESCRIPTIONS[mode]) for mode in spec.modes]
        self.mapping_rows = self._rows()
        if spec is not None and self.is_bound and not self.data.get("name") and "name" not in self.data:
            model = self.chosen("model")
            self.data["name"] = f"{model.name} to {spec.label}" if model else ""

    def _rows(self) -> list[MappingRow]:
        spec = self.chosen_object()
        if spec is None:
            return []
        object_changed = self.is_bound and self.data.get("previous_object") != spec.name
        if not self.is_bound:
            rows = self._initial_rows
        elif object_changed or "mapping-count" not in self.data:
            rows = auto_matched_rows(self.columns or [], spec.fields)
        else:
            rows = self._posted_rows()
        if self.is_bound and self.data.get("action") == "add_mapping" and len(rows) < MAX_MAPPINGS:
            rows.append(MappingRow())
        return rows or [MappingRow()]

    def _posted_rows(self) -> list[MappingRow]:
        try:
            count = min(int(self.data.get("mapping-count", 0)), MAX_MAPPINGS)
        except ValueError:
            count = 0
        removed = self.data.get("remove_mapping")  # the Remove button clicked, if one was
        rows = []
        for index in range(count):
            if str(index) == removed:
                continue
            prefix = f"mapping-{index}-"
            rows.append(
                MappingRow(
                    to=self.data.get(prefix + "to", "").strip(),
                    source=self.data.get(prefix + "source", "").strip(),
                    value=self.data.get(prefix + "value", ""),
                    by=self.data.get(prefix + "by", "internal_id"),
                )
            )
        return rows

    # ------------------------------------------------------------------ validation

    def full_clean(self) -> None:
        """Validate only when asked to (saving): a step that only reveals the next shows no errors."""
        if not self.validate:
            self._errors, self.cleaned_data = ErrorDict(), {}
            return
        super().full_clean()

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.columns_error:
            self.add_error("model", self.columns_error)
        if self.objects_error:
            self.add_error("destination", self.objects_error)
        if cleaned.get("object") and cleaned.get("mode") not in {m for m, _ in self.fields["mode"].choices}:
            self.add_error("mode", "Choose how rows are written.")
        if self.chosen_object() is not None:
            self._check_rows()
        self._check_schedule(cleaned)
        return cleaned

    def _check_schedule(self, cleaned: dict) -> None:
        """The schedule's own rules (Sync.clean), beside their fields even when others are wrong."""
        probe = Sync(
            schedule_kind=cleaned.get("schedule_kind") or ScheduleKind.MANUAL,
            interval_every=cleaned.get("interval_every"),
            interval_unit=cleaned.get("interval_unit") or "",
            cron_expression=cleaned.get("cron_expression") or "",
        )
        try:
            probe.clean()
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                if field in self.fields and field not in self.errors:
                    self.add_error(field, messages)

    def _check_rows(self) -> None:
        fields, columns = self.field_specs(), self.columns or []
        seen: set[str] = set()
        for row in self.mapping_rows:
            if row.is_blank:
                continue
            row.error = self._row_problem(row, fields, columns, seen)
            seen.add(row.to)
        if not any(not row.is_blank for row in self.mapping_rows):
            self.mappings_error = "Map at least one column to a destination field."
        else:
            missing = [spec.label for name, spec in fields.items() if spec.required and name not in seen]
            if missing:
                self.mappings_error = (
                    f"Map the required field{'s' if len(missing) > 1 else ''}: {', '.join(missing)}."
                )
        if self.mappings_error or any(row.error for row in self.mapping_rows):
            self.add_error(None, "Some mappings need fixing: see the mappings below.")

    def _row_problem(
        self, row: MappingRow, fields: dict[str, FieldSpec], columns: list[str], seen: set
    ) -> str:
        spec = fields.get(row.to)
        if not row.to:
            return "Choose the destination field."
        if spec is None:
            return f"The object has no field {row.to!r}."
        if row.to in seen:
            return f"{spec.label} is mapped twice."
        if not row.source:
            return "Choose a column, a constant or a template."
        if row.source.startswith(COLUMN):
            if row.column not in columns:
                return f"The model has no column {row.column!r}."
            return ""
        if row.source == CONSTANT:
            try:
                build_record(external_id="", row={}, mappings=[row.as_mapping(spec)], fields=fields)
            except CastError as exc:
                return str(exc)
            return ""
        if row.source == TEMPLATE:
            if not row.value.strip():
                return "Write the template, for example {{ first_name }} {{ last_name }}."
            try:
                unknown = sorted(template_columns(row.value) - set(columns))
            except Exception as exc:  # noqa: BLE001 - any template syntax error is the user's to fix
                return f"The template is invalid: {exc}"
            if unknown:
                return f"The template reads {', '.join(unknown)}, which the model does not have."
            return ""
        return "Choose a column, a constant or a template."

    def sync_values(self) -> dict:
        """The sync's fields, for sync_create / sync_update (after is_valid())."""
        data, fields = self.cleaned_data, self.field_specs()
        unit = data.get("interval_unit") or ""
        interval = data.get("schedule_kind") == ScheduleKind.INTERVAL
        return {
            "name": data["name"],
            "model": data["model"],
            "destination": data["destination"],
            "config": {
                "object": data["object"],
                "mode": data["mode"],
                "mappings": [
                    row.as_mapping(fields.get(row.to)) for row in self.mapping_rows if not row.is_blank
                ],
            },
            "schedule_kind": data["schedule_kind"],
            "interval_every": data.get("interval_every") if interval else None,
            "interval_unit": unit if interval else "",
            "cron_expression": data.get("cron_expression", "")
            if data["schedule_kind"] == ScheduleKind.CRON
            else "",
        }

    def add_model_errors(self, error: ValidationError) -> None:
        """Errors of Sync.full_clean, each beside its field (the configuration's beside the mappings)."""
        for field, messages in error.message_dict.items():
            if field in self.fields and field != "object":
                for message in messages:
                    self.add_error(field, message)
            elif field in ("config", "object"):
                self.mappings_error = " ".join(messages)
                self.add_error(None, "Some mappings need fixing: see the mappings below.")
            else:
                for message in messages:
                    self.add_error(None, message)

    # ------------------------------------------------------------------ rendering

    def source_choices(self) -> list[tuple[str, list[tuple[str, str]]]]:
        columns = [(COLUMN + column, column) for column in self.columns or []]
        return [
            ("Model columns", columns),
            ("Other", [(CONSTANT, "A constant…"), (TEMPLATE, "A template…")]),
        ]


class MoveToFolderForm(forms.Form):
    folder = forms.ModelChoiceField(
        queryset=Folder.objects.none(), required=False, empty_label="No folder", label="Folder"
    )

    def __init__(self, *args, workspace: Workspace, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["folder"].queryset = Folder.objects.in_workspace(workspace).select_related("parent")


class LabelsForm(forms.Form):
    labels = forms.ModelMultipleChoiceField(
        queryset=Label.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    new_labels = forms.CharField(
        label="New labels", required=False, help_text="Comma-separated, for example: finance, nightly."
    )

    def __init__(self, *args, workspace: Workspace, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["labels"].queryset = Label.objects.in_workspace(workspace)

    def clean_new_labels(self) -> list[str]:
        names = [name.strip() for name in self.cleaned_data["new_labels"].split(",") if name.strip()]
        too_long = [name for name in names if len(name) > 50]
        if too_long:
            raise ValidationError(f"A label has at most 50 characters: {too_long[0]!r} is longer.")
        return list(dict.fromkeys(names))


class FolderForm(forms.Form):
    name = forms.CharField(max_length=100)
    parent = forms.ModelChoiceField(
        queryset=Folder.objects.none(), required=False, empty_label="Top level", label="Inside"
    )

    def __init__(self, *args, workspace: Workspace, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = Folder.objects.in_workspace(workspace)


BULK_ACTIONS = {"enable": "Enable", "disable": "Disable", "run": "Run"}


class BulkActionForm(forms.Form):
    action = forms.ChoiceField(choices=list(BULK_ACTIONS.items()))
    syncs = forms.ModelMultipleChoiceField(
        queryset=Sync.objects.none(), error_messages={"required": "Select one or more syncs first."}
    )

    def __init__(self, *args, workspace: Workspace, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["syncs"].queryset = Sync.objects.in_workspace(workspace)


SORTS = {
    "name": ("name", "Name"),
    "-name": ("-name", "Name, Z to A"),
    "last_run": ("-last_run_created_at", "Last run, latest first"),
    "-last_run": ("last_run_created_at", "Last run, oldest first"),
    "created": ("-created_at", "Created, newest first"),
    "-created": ("created_at", "Created, oldest first"),
    "model": ("model__name", "Model"),
    "destination": ("destination__name", "Destination"),
}


class OverviewFilterForm(forms.Form):
    """The overview's filters, search and sort, all from the query string."""

    q = forms.CharField(label="Search by name", required=False)
    status = forms.ChoiceField(choices=[("", "Any status")] + SyncStatus.choices, required=False)
    destination = forms.TypedChoiceField(coerce=int, required=False, choices=())
    model = forms.TypedChoiceField(coerce=int, required=False, choices=())
    label = forms.TypedChoiceField(coerce=int, required=False, choices=())
    folder = forms.CharField(required=False, widget=forms.HiddenInput)
    sort = forms.ChoiceField(choices=[(key, label) for key, (_order, label) in SORTS.items()], required=False)

    def __init__(self, data, *, models: list, destinations: list, labels: list) -> None:
        super().__init__(data)
        self.fields["model"].choices = [("", "Any model")] + models
        self.fields["destination"].choices = [("", "Any destination")] + destinations
        self.fields["label"].choices = [("", "Any label")] + [(label.pk, label.name) for label in labels]

    def clean_folder(self) -> str:
        """A folder's id, or "none" for the syncs outside any folder."""
        value = self.cleaned_data.get("folder", "")
        return value if value == "none" or value.isdigit() else ""
