"""The API's shapes, named and laid out as in Hightouch's public API (camelCase, ids as strings).

Request shapes refuse what no database would take, so that bad input is a 422 and never a 500: NUL
characters and unpaired surrogates in text, non-finite numbers in JSON, ids and offsets beyond 64
bits, timestamps that cannot be expressed in UTC.
"""

import math
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field

MAX_ID = 2**63 - 1
MAX_OFFSET = 2**31 - 1
MAX_LIMIT = 1000


def _storable_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("Text cannot contain NUL characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("Text must be valid Unicode (no unpaired surrogates).") from None
    return value


def _storable_json(value: dict) -> dict:
    """Walk the document without recursion; refuse what JSON columns cannot store."""
    pending: list[Any] = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                _storable_text(key)
                pending.append(child)
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str):
            _storable_text(item)
        elif isinstance(item, float) and not math.isfinite(item):
            raise ValueError("Numbers must be finite (no NaN or Infinity).")
    return value


def _in_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("The timestamp is out of range.") from None


def _digits(value: Any) -> Any:
    """Accept an id sent as a JSON number as well as the documented string of digits."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


Text = Annotated[str, AfterValidator(_storable_text)]
JsonObject = Annotated[dict[str, Any], AfterValidator(_storable_json)]
Timestamp = Annotated[datetime, AfterValidator(_in_utc)]
ObjectId = Annotated[int, Field(ge=1, le=MAX_ID)]
DigitsId = Annotated[str, BeforeValidator(_digits), Field(pattern=r"^[0-9]{1,18}$")]

SyncStatus = Literal[
    "disabled",
    "pending",
    "cancelled",
    "failed",
    "queued",
    "success",
    "warning",
    "querying",
    "processing",
    "reporting",
    "interrupted",
]
SyncRunStatus = Literal[
    "cancelled",
    "failed",
    "queued",
    "success",
    "warning",
    "querying",
    "processing",
    "reporting",
    "interrupted",
]


class Input(Schema):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------------------------------- errors


class Message(Schema):
    message: str


class ValidateErrorJSON(Schema):
    message: Literal["Validation failed"]
    details: dict[str, Any]


# ---------------------------------------------------------------------------------------- list queries


class ListQuery(Schema):
    limit: int = Field(100, ge=1, le=MAX_LIMIT, description="The most objects returned (default 100).")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Objects skipped, for pagination.")
    orderBy: Literal["id", "name", "slug", "createdAt", "updatedAt"] = Field(
        "id", description="The field to sort by, ascending."
    )


class NamedListQuery(ListQuery):
    name: Text | None = Field(None, description="Only objects with this name.")
    slug: Text | None = Field(None, description="Only objects with this slug.")


class SyncListQuery(ListQuery):
    slug: Text | None = Field(None, description="Only the sync with this slug.")
    modelId: ObjectId | None = Field(None, description="Only syncs of this model.")
    after: Timestamp | None = Field(None, description="Only syncs whose last run started after this time.")
    before: Timestamp | None = Field(None, description="Only syncs whose last run started before this time.")


class RunListQuery(Schema):
    runId: ObjectId | None = Field(None, description="Only this run.")
    after: Timestamp | None = Field(None, description="Only runs created after this time.")
    before: Timestamp | None = Field(None, description="Only runs created before this time.")
    within: float | None = Field(
        None, ge=0, le=10**8, allow_inf_nan=False, description="Only runs created within this many minutes."
    )
    limit: int = Field(100, ge=1, le=MAX_LIMIT, description="The most runs returned (default 100).")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Runs skipped, for pagination.")
    orderBy: Literal["id", "createdAt", "startedAt", "finishedAt"] = Field(
        "id", description="The field to sort by, newest first."
    )


# ---------------------------------------------------------------------------------------- sources


class SourceOut(Schema):
    id: str
    name: str
    slug: str
    workspaceId: str
    createdAt: datetime
    updatedAt: datetime
    type: str
    configuration: dict[str, Any]


class SourceList(Schema):
    data: list[SourceOut]
    hasMore: bool


class _ConnectionCreate(Input):
    """A source or a destination, as created: its kind (`type`) and its settings."""

    name: Text
    type: Text
    configuration: JsonObject


class _ConnectionUpdate(Input):
    name: Text | None = None
    configuration: JsonObject | None = None


class SourceCreate(_ConnectionCreate):
    slug: Text | None = Field(None, description="Ignored: a source's slug is derived from its name.")


class SourceUpdate(_ConnectionUpdate):
    pass


# ---------------------------------------------------------------------------------------- models


class RawQuery(Schema):
    sql: Text


class TableQuery(Schema):
    name: Text


class ModelOut(Schema):
    id: str
    name: str
    slug: str
    description: str
    workspaceId: str
    sourceId: str
    createdAt: datetime
    updatedAt: datetime
    queryType: Literal["raw_sql"]
    primaryKey: str
    isSchema: bool
    tags: dict[str, str]
    syncs: list[str]
    raw: RawQuery


class ModelList(Schema):
    data: list[ModelOut]
    hasMore: bool


class ModelCreate(Input):
    name: Text
    slug: Text
    sourceId: ObjectId
    queryType: Literal["raw_sql", "table"]
    isSchema: Literal[False] = False
    primaryKey: Text
    raw: RawQuery | None = None
    table: TableQuery | None = None


class ModelUpdate(Input):
    name: Text | None = None
    primaryKey: Text | None = None
    isSchema: Literal[False] | None = None
    raw: RawQuery | None = None
    table: TableQuery | None = None


# ---------------------------------------------------------------------------------------- destinations


class DestinationOut(Schema):
    id: str
    name: str
    slug: str
    workspaceId: str
    createdAt: datetime
    updatedAt: datetime
    type: str
    configuration: dict[str, Any]
    syncs: list[str]


class DestinationList(Schema):
    data: list[DestinationOut]
    hasMore: bool


class DestinationCreate(_ConnectionCreate):
    slug: Text | None = Field(None, description="Ignored: a destination's slug is derived from its name.")


class DestinationUpdate(_ConnectionUpdate):
    pass


# ---------------------------------------------------------------------------------------- syncs


class Interval(Input):
    unit: Literal["minute", "hour", "day", "week"]
    quantity: int = Field(ge=1, le=100_000)


class IntervalSchedule(Input):
    interval: Interval


class CronSchedule(Input):
    expression: Text


class Schedule(Input):
    type: Literal["interval", "cron"]
    schedule: IntervalSchedule | CronSchedule


class SyncOut(Schema):
    id: str
    slug: str
    workspaceId: str
    createdAt: datetime
    updatedAt: datetime
    destinationId: str
    modelId: str
    configuration: dict[str, Any]
    schedule: Schedule | None
    status: SyncStatus
    disabled: bool
    lastRunAt: datetime | None
    referencedColumns: list[str]
    primaryKey: str
    externalSegment: dict[str, str]
    tags: dict[str, str]


class SyncList(Schema):
    data: list[SyncOut]
    hasMore: bool


class SyncCreate(Input):
    slug: Text
    name: Text | None = Field(None, description="syncapp's own: the sync's name (default: its slug).")
    destinationId: ObjectId
    modelId: ObjectId
    configuration: JsonObject
    schedule: Schedule | None = None
    disabled: bool = False


class SyncUpdate(Input):
    configuration: JsonObject | None = None
    schedule: Schedule | None = None
    disabled: bool | None = None


class RowCounts(Schema):
    addedCount: int
    changedCount: int
    removedCount: int


class SyncRunOut(Schema):
    id: str
    createdAt: datetime
    startedAt: datetime = Field(description="Until the run starts: when it was asked for.")
    finishedAt: datetime = Field(description="Until the run ends (see status): its latest sign of progress.")
    querySize: int = Field(description="The number of rows in the query (0 until it has run).")
    status: SyncRunStatus
    completionRatio: float
    plannedRows: RowCounts
    successfulRows: RowCounts
    failedRows: RowCounts
    error: str | None


class SyncRunList(Schema):
    data: list[SyncRunOut]
    hasMore: bool


class TriggerRunInput(Input):
    fullResync: bool = Field(False, description="Send every row again, ignoring what earlier runs sent.")
    clearAndFill: Literal[False] = Field(False, description="Not supported by syncapp: only false.")
    resetCDC: Literal[False] = Field(False, description="Not supported by syncapp: only false.")


class TriggerRunCustomInput(TriggerRunInput):
    syncId: DigitsId | None = Field(None, description="The id of the sync to run.")
    syncSlug: Text | None = Field(None, description="The slug of the sync to run.")


class TriggerRunOutput(Schema):
    id: str
