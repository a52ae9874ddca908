"""The interface every destination adapter implements, and the errors it raises.

The sync engine decides between retrying and failing from `DestinationError.permanent` alone;
nothing outside an adapter's package knows its wire format.
"""

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

SYNC_MODES = ("upsert", "update", "insert", "mirror", "archive")
# What the engine asks of a destination for one batch. Mirror mode is upsert + delete; archive mode
# is upsert + archive (mark the records of removed rows inactive).
Operation = Literal["upsert", "insert", "update", "delete", "archive"]
FIELD_TYPES = ("text", "checkbox", "date", "number", "currency", "select")


class DestinationError(Exception):
    """A whole request failed. `code` is the destination's own code; `message` is safe to show."""

    permanent: ClassVar[bool] = True

    def __init__(self, message: str, *, code: str = "", retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.retry_after = retry_after


class PermanentError(DestinationError):
    """Retrying cannot help: bad credentials, a missing permission, an invalid configuration."""


class TemporaryError(DestinationError):
    """Retrying later may help: a rate or concurrency limit, a 5xx, a timeout, a dropped connection."""

    permanent = False


@dataclass(frozen=True)
class Setting:
    """One configuration value a destination needs; secret ones are stored encrypted, write-only."""

    name: str
    label: str
    secret: bool = False
    required: bool = True
    help_text: str = ""
    default: Any = None


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    type: str  # one of FIELD_TYPES
    required: bool = False
    custom: bool = False
    references: str = ""  # for select fields: the object type the value points at, when known


@dataclass(frozen=True)
class Reference:
    """The value of a select field: a destination record by its internal ID or its external ID."""

    internal_id: str = ""
    external_id: str = ""


@dataclass(frozen=True)
class OutgoingRecord:
    """One row to write. Field values are already cast to their field's type: text str, checkbox
    bool, date datetime.date or datetime.datetime, number int/float/Decimal, currency Decimal,
    select Reference. `record_id` is the destination's own ID when a previous write returned it."""

    external_id: str
    fields: dict[str, Any] = field(default_factory=dict)
    record_id: str = ""


@dataclass(frozen=True)
class ObjectSpec:
    name: str
    label: str
    fields: tuple[FieldSpec, ...] = field(default_factory=tuple)
    modes: tuple[str, ...] = SYNC_MODES


@dataclass(frozen=True)
class RowResult:
    """The outcome of one row of a batch, in the order the rows were sent."""

    ok: bool
    record_id: str = ""
    error_code: str = ""
    error_message: str = ""


class Adapter:
    """Base of destination adapters. Subclasses declare `settings` and implement the methods."""

    label: ClassVar[str] = ""
    settings: ClassVar[tuple[Setting, ...]] = ()

    def __init__(self, config: dict, credentials: dict) -> None:
        self.config = config
        self.credentials = credentials

    @classmethod
    def validate_config(cls, config: dict, credentials: dict) -> dict[str, str]:
        """Errors by setting name; required settings must be present."""
        errors = {}
        for setting in cls.settings:
            value = (credentials if setting.secret else config).get(setting.name)
            if setting.required and value in (None, ""):
                errors[setting.name] = f"{setting.label} is required."
        unknown = set(config) - {s.name for s in cls.settings if not s.secret}
        for name in sorted(unknown):
            errors[name] = f"{name!r} is not a setting of {cls.label}."
        return errors

    @classmethod
    def validate_sync_config(cls, config: dict) -> dict[str, str]:
        """Errors by key for a sync's configuration: object, mode and field mappings.

        This checks the shape; adapters that can describe their objects check fields as well.
        """
        errors: dict[str, str] = {}
        if not isinstance(config, dict):
            return {"config": "The configuration must be a JSON object with object, mode and mappings."}
        if not isinstance(config.get("object"), str) or not config["object"]:
            errors["object"] = "Choose the destination object to write to."
        if config.get("mode") not in SYNC_MODES:
            errors["mode"] = f"The mode must be one of {', '.join(SYNC_MODES)}."
        mappings = config.get("mappings")
        if not isinstance(mappings, list) or not mappings:
            errors["mappings"] = "Map at least one column to a destination field."
        else:
            for index, mapping in enumerate(mappings, start=1):
                problem = _mapping_problem(mapping)
                if problem:
                    errors["mappings"] = f"Mapping {index}: {problem}"
                    break
        return errors

    def test_connection(self) -> None:
        """Raise a DestinationError that names what is wrong, or return when all is well."""
        raise NotImplementedError

    def describe_objects(self) -> list[ObjectSpec]:
        raise NotImplementedError

    def batch_size(self, operation: Operation) -> int:
        """The most records one write_batch call may carry for this operation."""
        raise NotImplementedError

    def concurrency_limit(self) -> int:
        """The most requests this destination account may have in flight, across all processes."""
        raise NotImplementedError

    def write_batch(
        self, *, object_type: str, operation: Operation, records: list[OutgoingRecord]
    ) -> list[RowResult]:
        """Write the records; one RowResult per record, in the order given.

        Temporary failures are retried inside; a whole-batch failure that remains raises
        TemporaryError or PermanentError. Writing the same batch again must not duplicate records.
        """
        raise NotImplementedError


def _mapping_problem(mapping: object) -> str:
    if not isinstance(mapping, dict):
        return "each mapping must be an object with a destination field 'to'."
    if not isinstance(mapping.get("to"), str) or not mapping["to"]:
        return "name the destination field in 'to'."
    sources = [key for key in ("from", "constant", "template") if key in mapping]
    if len(sources) != 1:
        return "give exactly one of 'from' (a column), 'constant' or 'template'."
    return ""
