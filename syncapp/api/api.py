"""Hightouch's public REST API, served by syncapp under /api/v1/.

Orchestrator integrations written for Hightouch (its Python SDK, the Airflow, Dagster and Prefect
packages) work against syncapp by changing the base URL and the token. Shapes follow Hightouch:
camelCase names, ids as numbers written as strings, lists as {"data": [...], "hasMore": bool},
validation errors as {"message": "Validation failed", "details": {field: {"message": ...}}}.

The bearer key's workspace scopes every lookup, through `in_workspace`: another workspace's object
answers 404, exactly as an object that does not exist.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models import F, Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.text import slugify
from ninja import Body, NinjaAPI, Path, Query
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from destinations import registry
from destinations.models import Destination
from models_catalog.models import Model, Source, SourceKind
from syncapp.api import schemas as s
from syncapp.api.auth import ApiKeyAuth, RateLimited
from syncapp.api.services import (
    Conflict,
    destination_create,
    destination_update,
    model_create,
    model_update,
    source_create,
    source_update,
    sync_create,
    sync_update,
)
from syncapp.models import Workspace
from syncapp.tenancy import get_object_in_workspace
from syncs.models import IntervalUnit, RunStatus, ScheduleKind, Sync, SyncRun
from syncs.selectors import syncs_with_last_run
from syncs.services import SyncDisabled, sync_trigger


class HightouchParser(Parser):
    """JSON bodies, and form-encoded ones: the Airflow provider posts its trigger as a form."""

    def parse_body(self, request: HttpRequest) -> Any:
        if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            return request.POST.dict()
        return super().parse_body(request)


api = NinjaAPI(
    title="syncapp API",
    version="1",
    description="Hightouch's public REST API (https://api.hightouch.com/api/v1), served by syncapp.",
    urls_namespace="api_v1",
    auth=ApiKeyAuth(),
    parser=HightouchParser(),
    openapi_url="/openapi.json",
    docs_url=None,
)

READ_ERRORS: dict[int, Any] = {
    401: s.Message,
    404: s.Message,
    422: s.ValidateErrorJSON,
    429: s.Message,
}
WRITE_ERRORS: dict[int, Any] = READ_ERRORS | {400: s.Message, 409: s.ValidateErrorJSON}
ID = Path(..., ge=1, le=s.MAX_ID)
OPTIONAL_BODY = Body(None)

# Our run statuses as Hightouch names them. Preparing (finding the changes) writes nothing yet: it
# is part of Hightouch's "querying"; queued means planned and waiting for workers to write, as in
# Hightouch; a run waiting for its turn is queued too; incomplete is Hightouch's interrupted.
RUN_STATUSES = {
    RunStatus.PENDING: "queued",
    RunStatus.QUERYING: "querying",
    RunStatus.PREPARING: "querying",
    RunStatus.QUEUED: "queued",
    RunStatus.IN_PROGRESS: "processing",
    RunStatus.SUCCESS: "success",
    RunStatus.WARNING: "warning",
    RunStatus.FAILED: "failed",
    RunStatus.INCOMPLETE: "interrupted",
    RunStatus.CANCELLED: "cancelled",
}
SOURCE_TYPES = {
    "postgres": SourceKind.POSTGRESQL,
    "postgresql": SourceKind.POSTGRESQL,
    "mysql": SourceKind.MYSQL,
    "sqlite": SourceKind.SQLITE,
    "duckdb": SourceKind.DUCKDB,
    "sqlalchemy": SourceKind.SQLALCHEMY,
}
SOURCE_TYPE_NAMES = {SourceKind.POSTGRESQL: "postgres"}
# Hightouch's source configuration keys -> Source fields. The password is write-only.
SOURCE_SETTINGS = {
    "host": "host",
    "port": "port",
    "database": "database",
    "user": "username",
    "username": "username",
    "url": "url",
    "options": "options",
    "password": "password",
}
INTERVAL_UNITS = {"minute": IntervalUnit.MINUTES, "hour": IntervalUnit.HOURS, "day": IntervalUnit.DAYS}
CATALOG_ORDER = {
    "id": "id",
    "name": "name",
    "slug": "slug",
    "createdAt": "created_at",
    "updatedAt": "updated_at",
}
# Sources and destinations have no slug or update time of their own: the slug is the name's.
NAMED_ORDER = CATALOG_ORDER | {"slug": "name", "updatedAt": "created_at"}
RUN_ORDER = {"id": "id", "createdAt": "created_at", "startedAt": "started_at", "finishedAt": "finished_at"}


# ---------------------------------------------------------------------------------------- errors


class Invalid(Exception):
    """A validation error, by the API's own field names."""

    def __init__(self, details: dict[str, str]) -> None:
        super().__init__("; ".join(details.values()))
        self.details = details


def _validation_failed(request: HttpRequest, details: dict[str, str], status: int = 422) -> HttpResponse:
    body = {"message": "Validation failed", "details": {f: {"message": m} for f, m in details.items()}}
    return api.create_response(request, body, status=status)


@contextmanager
def model_errors(names: dict[str, str]) -> Iterator[None]:
    """Turn a model's ValidationError into Invalid, its field names into the API's."""
    try:
        yield
    except DjangoValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        fields = names | {"__all__": "requestBody"}
        raise Invalid(
            {fields.get(name, name): " ".join(messages) for name, messages in errors.items()}
        ) from None


@api.exception_handler(ValidationError)
def _on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    details: dict[str, str] = {}
    for error in exc.errors:
        source, *path = error["loc"]
        if source == "body":
            field = ".".join(["requestBody", *map(str, path[1:])])
        else:
            field = ".".join(map(str, path)) or source
        details[field] = f"{details[field]} {error['msg']}" if field in details else error["msg"]
    return _validation_failed(request, details)


@api.exception_handler(Invalid)
def _on_invalid(request: HttpRequest, exc: Invalid) -> HttpResponse:
    return _validation_failed(request, exc.details)


@api.exception_handler(Conflict)
def _on_conflict(request: HttpRequest, exc: Conflict) -> HttpResponse:
    return _validation_failed(request, {exc.field: exc.message}, status=409)


@api.exception_handler(Http404)
def _on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"message": "Not found"}, status=404)


@api.exception_handler(AuthenticationError)
def _on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(request, {"message": "Unauthorized"}, status=401)
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(RateLimited)
def _on_rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    response = api.create_response(request, {"message": str(exc)}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(HttpError)
def _on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(request, {"message": str(exc.message)}, status=exc.status_code)


# ---------------------------------------------------------------------------------------- helpers


def _workspace(request: HttpRequest) -> Workspace:
    return request.auth.workspace


def _page(queryset: models.QuerySet, limit: int, offset: int) -> tuple[list, bool]:
    rows = list(queryset[offset : offset + limit + 1])
    return rows[:limit], len(rows) > limit


def _ordered(queryset: models.QuerySet, field: str, *, newest_first: bool = False) -> models.QuerySet:
    if newest_first:
        return queryset.order_by(F(field).desc(nulls_last=True), "-id")
    return queryset.order_by(F(field).asc(nulls_first=True), "id")


def _with_slug(queryset: models.QuerySet, slug: str | None) -> models.QuerySet:
    """Filter sources or destinations by the slug of their name (they keep no slug of their own)."""
    if slug is None:
        return queryset
    ids = [pk for pk, name in queryset.values_list("pk", "name") if slugify(name) == slug]
    return queryset.filter(pk__in=ids)


def _in_workspace_or_invalid(model: type[models.Model], workspace: Workspace, pk: int, field: str):
    """A row a request body names: one outside the workspace is as unknown as a missing one."""
    found = model.objects.in_workspace(workspace).filter(pk=pk).first()
    if found is None:
        raise Invalid({field: f"There is no {model._meta.verbose_name} with id {pk}."})
    return found


def _ids(rows) -> list[str]:
    return [str(row.pk) for row in rows]


# ---------------------------------------------------------------------------------------- sources


def source_out(source: Source) -> dict:
    configuration = {
        "host": source.host,
        "port": source.port,
        "database": source.database,
        "user": source.username,
        "url": source.url,
        "options": source.options,
    }
    return {
        "id": str(source.pk),
        "name": source.name,
        "slug": slugify(source.name),
        "workspaceId": str(source.workspace_id),
        "createdAt": source.created_at,
        "updatedAt": source.created_at,
        "type": SOURCE_TYPE_NAMES.get(source.kind, source.kind),
        "configuration": {key: value for key, value in configuration.items() if value not in ("", None, {})},
    }


def source_fields(configuration: dict) -> dict:
    """Source fields from Hightouch's `configuration` object."""
    fields: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, value in configuration.items():
        name = SOURCE_SETTINGS.get(key)
        if name is None:
            errors[f"configuration.{key}"] = f"Unknown setting; known: {', '.join(sorted(SOURCE_SETTINGS))}."
        elif name == "port":
            if value in (None, ""):
                fields["port"] = None
            elif isinstance(value, int | str) and not isinstance(value, bool) and str(value).isdigit():
                fields["port"] = int(value) if len(str(value)) <= 5 else 0  # 0 fails the model's range check
            else:
                errors["configuration.port"] = "The port must be a number."
        elif name == "options":
            if not isinstance(value, dict):
                errors["configuration.options"] = "Options must be an object."
            fields["options"] = value
        elif value is None or isinstance(value, str):
            fields[name] = value or ""
        else:
            errors[f"configuration.{key}"] = "This setting must be a string."
    if errors:
        raise Invalid(errors)
    return fields


SOURCE_ERRORS = {"kind": "type"} | {field: f"configuration.{key}" for key, field in SOURCE_SETTINGS.items()}


@api.get("/sources", response={200: s.SourceList, **READ_ERRORS}, url_name="source_list", tags=["Sources"])
def list_sources(request: HttpRequest, query: Query[s.NamedListQuery]):
    """List the sources of the key's workspace."""
    sources = Source.objects.in_workspace(_workspace(request))
    if query.name is not None:
        sources = sources.filter(name=query.name)
    sources = _ordered(_with_slug(sources, query.slug), NAMED_ORDER[query.orderBy])
    rows, has_more = _page(sources, query.limit, query.offset)
    return {"data": [source_out(source) for source in rows], "hasMore": has_more}


@api.get(
    "/sources/{sourceId}", response={200: s.SourceOut, **READ_ERRORS}, url_name="source", tags=["Sources"]
)
def get_source(request: HttpRequest, sourceId: int = ID):
    return source_out(get_object_in_workspace(Source, _workspace(request), pk=sourceId))


@api.post("/sources", response={200: s.SourceOut, **WRITE_ERRORS}, url_name="source_create", tags=["Sources"])
def create_source(request: HttpRequest, payload: s.SourceCreate):
    kind = SOURCE_TYPES.get(payload.type.lower())
    if kind is None:
        raise Invalid({"type": f"Unknown source type; known: {', '.join(SOURCE_TYPES)}."})
    fields = source_fields(payload.configuration)
    with model_errors(SOURCE_ERRORS):
        source = source_create(
            workspace=_workspace(request), user=None, name=payload.name, kind=kind, **fields
        )
    return source_out(source)


@api.patch(
    "/sources/{sourceId}",
    response={200: s.SourceOut, **WRITE_ERRORS},
    url_name="source_update",
    tags=["Sources"],
)
def update_source(request: HttpRequest, payload: s.SourceUpdate, sourceId: int = ID):
    source = get_object_in_workspace(Source, _workspace(request), pk=sourceId)
    fields = source_fields(payload.configuration or {})
    if payload.name is not None:
        fields["name"] = payload.name
    with model_errors(SOURCE_ERRORS):
        source_update(source=source, **fields)
    return source_out(source)


# ---------------------------------------------------------------------------------------- models


def models_with_syncs(queryset: models.QuerySet[Model]) -> models.QuerySet[Model]:
    return queryset.prefetch_related(Prefetch("syncs", queryset=Sync.objects.only("id", "model_id")))


def model_out(model: Model) -> dict:
    return {
        "id": str(model.pk),
        "name": model.name,
        "slug": model.slug,
        "description": "",
        "workspaceId": str(model.workspace_id),
        "sourceId": str(model.source_id),
        "createdAt": model.created_at,
        "updatedAt": model.updated_at,
        "queryType": "raw_sql",
        "primaryKey": model.primary_key,
        "isSchema": False,
        "tags": {},
        "syncs": _ids(model.syncs.all()),
        "raw": {"sql": model.sql},
    }


def model_sql(payload: s.ModelCreate | s.ModelUpdate) -> str | None:
    """The SQL of a raw_sql or table model (a table is `SELECT *` from it)."""
    if payload.raw is not None:
        return payload.raw.sql
    if payload.table is not None:
        quoted = payload.table.name.replace('"', '""')
        return f'SELECT * FROM "{quoted}"'  # noqa: S608 (a quoted identifier in the user's own query)
    return None


MODEL_ERRORS = {"sql": "raw.sql", "primary_key": "primaryKey", "source": "sourceId"}


@api.get("/models", response={200: s.ModelList, **READ_ERRORS}, url_name="model_list", tags=["Models"])
def list_models(request: HttpRequest, query: Query[s.NamedListQuery]):
    """List the models of the key's workspace."""
    found = Model.objects.in_workspace(_workspace(request))
    if query.name is not None:
        found = found.filter(name=query.name)
    if query.slug is not None:
        found = found.filter(slug=query.slug)
    rows, has_more = _page(
        models_with_syncs(_ordered(found, CATALOG_ORDER[query.orderBy])), query.limit, query.offset
    )
    return {"data": [model_out(model) for model in rows], "hasMore": has_more}


@api.get("/models/{modelId}", response={200: s.ModelOut, **READ_ERRORS}, url_name="model", tags=["Models"])
def get_model(request: HttpRequest, modelId: int = ID):
    found = models_with_syncs(Model.objects.all())
    return model_out(get_object_in_workspace(found, _workspace(request), pk=modelId))


@api.post("/models", response={200: s.ModelOut, **WRITE_ERRORS}, url_name="model_create", tags=["Models"])
def create_model(request: HttpRequest, payload: s.ModelCreate):
    workspace = _workspace(request)
    source = _in_workspace_or_invalid(Source, workspace, payload.sourceId, "sourceId")
    sql = model_sql(payload)
    if sql is None:
        raise Invalid(
            {payload.queryType: f"A {payload.queryType} model needs its {payload.queryType} object."}
        )
    with model_errors(MODEL_ERRORS):
        model = model_create(
            workspace=workspace,
            user=None,
            source=source,
            name=payload.name,
            slug=payload.slug,
            sql=sql,
            primary_key=payload.primaryKey,
        )
    return model_out(model)


@api.patch(
    "/models/{modelId}", response={200: s.ModelOut, **WRITE_ERRORS}, url_name="model_update", tags=["Models"]
)
def update_model(request: HttpRequest, payload: s.ModelUpdate, modelId: int = ID):
    model = get_object_in_workspace(models_with_syncs(Model.objects.all()), _workspace(request), pk=modelId)
    fields = {"name": payload.name, "primary_key": payload.primaryKey, "sql": model_sql(payload)}
    with model_errors(MODEL_ERRORS):
        model_update(model=model, **{name: value for name, value in fields.items() if value is not None})
    return model_out(model)


# ---------------------------------------------------------------------------------------- destinations


def destinations_with_syncs(queryset: models.QuerySet[Destination]) -> models.QuerySet[Destination]:
    return queryset.prefetch_related(Prefetch("syncs", queryset=Sync.objects.only("id", "destination_id")))


def destination_out(destination: Destination) -> dict:
    """The destination's settings; its credentials are write-only and never leave."""
    return {
        "id": str(destination.pk),
        "name": destination.name,
        "slug": slugify(destination.name),
        "workspaceId": str(destination.workspace_id),
        "createdAt": destination.created_at,
        "updatedAt": destination.created_at,
        "type": destination.kind,
        "configuration": destination.config,
        "syncs": _ids(destination.syncs.all()),
    }


def destination_settings(kind: str, configuration: dict) -> tuple[dict, dict]:
    """Split Hightouch's one `configuration` object into our settings and our secret credentials."""
    secret = {setting.name for setting in registry.adapter_class(kind).settings if setting.secret}
    config = {key: value for key, value in configuration.items() if key not in secret}
    credentials = {key: value for key, value in configuration.items() if key in secret}
    bad = [key for key, value in credentials.items() if value is not None and not isinstance(value, str)]
    if bad:
        raise Invalid({f"configuration.{key}": "This secret must be a string." for key in bad})
    return config, credentials


DESTINATION_ERRORS = {"kind": "type", "config": "configuration"}


@api.get(
    "/destinations",
    response={200: s.DestinationList, **READ_ERRORS},
    url_name="destination_list",
    tags=["Destinations"],
)
def list_destinations(request: HttpRequest, query: Query[s.NamedListQuery]):
    """List the destinations of the key's workspace."""
    found = Destination.objects.in_workspace(_workspace(request))
    if query.name is not None:
        found = found.filter(name=query.name)
    found = destinations_with_syncs(_ordered(_with_slug(found, query.slug), NAMED_ORDER[query.orderBy]))
    rows, has_more = _page(found, query.limit, query.offset)
    return {"data": [destination_out(destination) for destination in rows], "hasMore": has_more}


@api.get(
    "/destinations/{destinationId}",
    response={200: s.DestinationOut, **READ_ERRORS},
    url_name="destination",
    tags=["Destinations"],
)
def get_destination(request: HttpRequest, destinationId: int = ID):
    found = destinations_with_syncs(Destination.objects.all())
    return destination_out(get_object_in_workspace(found, _workspace(request), pk=destinationId))


@api.post(
    "/destinations",
    response={200: s.DestinationOut, **WRITE_ERRORS},
    url_name="destination_create",
    tags=["Destinations"],
)
def create_destination(request: HttpRequest, payload: s.DestinationCreate):
    if payload.type not in registry.ADAPTERS:
        raise Invalid({"type": f"Unknown destination type; known: {', '.join(registry.ADAPTERS)}."})
    config, credentials = destination_settings(payload.type, payload.configuration)
    with model_errors(DESTINATION_ERRORS):
        destination = destination_create(
            workspace=_workspace(request),
            name=payload.name,
            kind=payload.type,
            config=config,
            credentials=credentials,
        )
    return destination_out(destination)


@api.patch(
    "/destinations/{destinationId}",
    response={200: s.DestinationOut, **WRITE_ERRORS},
    url_name="destination_update",
    tags=["Destinations"],
)
def update_destination(request: HttpRequest, payload: s.DestinationUpdate, destinationId: int = ID):
    found = destinations_with_syncs(Destination.objects.all())
    destination = get_object_in_workspace(found, _workspace(request), pk=destinationId)
    config, credentials = destination_settings(destination.kind, payload.configuration or {})
    with model_errors(DESTINATION_ERRORS):
        destination_update(destination=destination, name=payload.name, config=config, credentials=credentials)
    return destination_out(destination)


# ---------------------------------------------------------------------------------------- syncs


def hightouch_run_status(status: str) -> str:
    return RUN_STATUSES[status]


def hightouch_sync_status(sync: Sync) -> str:
    """disabled, pending (never run), or the status of the latest run (from `syncs_with_last_run`)."""
    if not sync.enabled:
        return "disabled"
    if sync.last_run_status is None:
        return "pending"
    return RUN_STATUSES[sync.last_run_status]


def schedule_out(sync: Sync) -> dict | None:
    if sync.schedule_kind == ScheduleKind.INTERVAL:
        unit = {value: name for name, value in INTERVAL_UNITS.items()}.get(sync.interval_unit, "minute")
        return {
            "type": "interval",
            "schedule": {"interval": {"unit": unit, "quantity": sync.interval_every or 1}},
        }
    if sync.schedule_kind == ScheduleKind.CRON:
        return {"type": "cron", "schedule": {"expression": sync.cron_expression}}
    return None


def schedule_fields(schedule: s.Schedule | None) -> dict:
    """Sync fields for Hightouch's schedule; null is a manual sync (runs only when triggered)."""
    manual = {
        "schedule_kind": ScheduleKind.MANUAL,
        "interval_every": None,
        "interval_unit": "",
        "cron_expression": "",
    }
    if schedule is None:
        return manual
    if schedule.type == "interval":
        if not isinstance(schedule.schedule, s.IntervalSchedule):
            raise Invalid(
                {"schedule.schedule": 'An interval schedule is {"interval": {"unit", "quantity"}}.'}
            )
        unit, quantity = schedule.schedule.interval.unit, schedule.schedule.interval.quantity
        if unit == "week":
            unit, quantity = "day", quantity * 7
        return manual | {
            "schedule_kind": ScheduleKind.INTERVAL,
            "interval_every": quantity,
            "interval_unit": INTERVAL_UNITS[unit],
        }
    if not isinstance(schedule.schedule, s.CronSchedule):
        raise Invalid(
            {"schedule.schedule": 'A cron schedule is {"expression": "<minute hour day month weekday>"}.'}
        )
    return manual | {"schedule_kind": ScheduleKind.CRON, "cron_expression": schedule.schedule.expression}


def referenced_columns(config: dict) -> list[str]:
    mappings = config.get("mappings") if isinstance(config, dict) else None
    columns = [m["from"] for m in mappings or [] if isinstance(m, dict) and isinstance(m.get("from"), str)]
    return list(dict.fromkeys(columns))


def sync_out(sync: Sync) -> dict:
    return {
        "id": str(sync.pk),
        "slug": sync.slug,
        "workspaceId": str(sync.workspace_id),
        "createdAt": sync.created_at,
        "updatedAt": sync.updated_at,
        "destinationId": str(sync.destination_id),
        "modelId": str(sync.model_id),
        "configuration": sync.config,
        "schedule": schedule_out(sync),
        "status": hightouch_sync_status(sync),
        "disabled": not sync.enabled,
        "lastRunAt": sync.last_run_created_at,
        "referencedColumns": referenced_columns(sync.config),
        "primaryKey": sync.model.primary_key,
        "externalSegment": {},
        "tags": {},
    }


def _syncs(workspace: Workspace) -> models.QuerySet[Sync]:
    return syncs_with_last_run(Sync.objects.in_workspace(workspace).select_related("model"))


def _sync(workspace: Workspace, pk: int) -> Sync:
    return get_object_in_workspace(_syncs(workspace), workspace, pk=pk)


SYNC_ERRORS = {
    "config": "configuration",
    "model": "modelId",
    "destination": "destinationId",
    "schedule_kind": "schedule",
    "interval_every": "schedule.schedule.interval.quantity",
    "interval_unit": "schedule.schedule.interval.unit",
    "cron_expression": "schedule.schedule.expression",
}


@api.get("/syncs", response={200: s.SyncList, **READ_ERRORS}, url_name="sync_list", tags=["Syncs"])
def list_syncs(request: HttpRequest, query: Query[s.SyncListQuery]):
    """List the syncs of the key's workspace; after and before filter on the latest run's time."""
    found = _syncs(_workspace(request))
    if query.slug is not None:
        found = found.filter(slug=query.slug)
    if query.modelId is not None:
        found = found.filter(model_id=query.modelId)
    if query.after is not None:
        found = found.filter(last_run_created_at__gt=query.after)
    if query.before is not None:
        found = found.filter(last_run_created_at__lt=query.before)
    rows, has_more = _page(_ordered(found, CATALOG_ORDER[query.orderBy]), query.limit, query.offset)
    return {"data": [sync_out(sync) for sync in rows], "hasMore": has_more}


@api.post(
    "/syncs/trigger",
    response={200: s.TriggerRunOutput, **WRITE_ERRORS},
    url_name="sync_trigger_by",
    tags=["Syncs"],
)
def trigger_sync_by_id_or_slug(request: HttpRequest, payload: s.TriggerRunCustomInput):
    """Run the sync named by syncId or syncSlug (both: they must name the same sync)."""
    if payload.syncId is None and payload.syncSlug is None:
        raise Invalid({"requestBody": "Give syncId or syncSlug."})
    lookup: dict[str, Any] = {}
    if payload.syncId is not None:
        lookup["pk"] = int(payload.syncId)
    if payload.syncSlug is not None:
        lookup["slug"] = payload.syncSlug
    return _trigger(get_object_in_workspace(Sync, _workspace(request), **lookup), payload)


@api.get("/syncs/{syncId}", response={200: s.SyncOut, **READ_ERRORS}, url_name="sync", tags=["Syncs"])
def get_sync(request: HttpRequest, syncId: int = ID):
    return sync_out(_sync(_workspace(request), syncId))


@api.post("/syncs", response={200: s.SyncOut, **WRITE_ERRORS}, url_name="sync_create", tags=["Syncs"])
def create_sync(request: HttpRequest, payload: s.SyncCreate):
    workspace = _workspace(request)
    model = _in_workspace_or_invalid(Model, workspace, payload.modelId, "modelId")
    destination = _in_workspace_or_invalid(Destination, workspace, payload.destinationId, "destinationId")
    with model_errors(SYNC_ERRORS):
        sync = sync_create(
            workspace=workspace,
            user=None,
            model=model,
            destination=destination,
            name=payload.name or payload.slug,
            slug=payload.slug,
            config=payload.configuration,
            enabled=not payload.disabled,
            **schedule_fields(payload.schedule),
        )
    return sync_out(_sync(workspace, sync.pk))


@api.patch(
    "/syncs/{syncId}", response={200: s.SyncOut, **WRITE_ERRORS}, url_name="sync_update", tags=["Syncs"]
)
def update_sync(request: HttpRequest, payload: s.SyncUpdate, syncId: int = ID):
    workspace = _workspace(request)
    sync = _sync(workspace, syncId)
    fields: dict[str, Any] = {}
    if payload.configuration is not None:
        fields["config"] = payload.configuration
    if payload.disabled is not None:
        fields["enabled"] = not payload.disabled
    if "schedule" in payload.model_fields_set:
        fields |= schedule_fields(payload.schedule)
    with model_errors(SYNC_ERRORS):
        sync_update(sync=sync, **fields)
    return sync_out(_sync(workspace, sync.pk))


def _trigger(sync: Sync, options: s.TriggerRunInput | None) -> dict:
    """Ask for a run; while one is active this answers the one follow-up run, as Hightouch does."""
    try:
        run = sync_trigger(sync=sync, trigger="api", full_resync=bool(options and options.fullResync))
    except SyncDisabled as exc:
        raise Invalid({"syncId": str(exc)}) from None
    return {"id": str(run.pk)}


@api.post(
    "/syncs/{syncId}/trigger",
    response={200: s.TriggerRunOutput, **WRITE_ERRORS},
    url_name="sync_trigger",
    tags=["Syncs"],
)
def trigger_sync(request: HttpRequest, syncId: int = ID, payload: s.TriggerRunInput | None = OPTIONAL_BODY):
    """Run the sync; with a run already going, the run is queued to follow it."""
    return _trigger(get_object_in_workspace(Sync, _workspace(request), pk=syncId), payload)


def run_out(run: SyncRun) -> dict:
    def counts(kind: str) -> dict:
        return {
            "addedCount": getattr(run, f"{kind}_added"),
            "changedCount": getattr(run, f"{kind}_changed"),
            "removedCount": getattr(run, f"{kind}_removed"),
        }

    # Hightouch never answers null here, and clients parse these unconditionally (prefect-hightouch
    # calls isoparse on both while it polls): a run not started yet reads as started when it was
    # asked for, and one not finished yet as finished at its latest sign of progress. `status`
    # tells whether a run has ended.
    started_at = run.started_at or run.created_at
    progress = [moment for moment in (run.heartbeat_at, run.started_at, run.created_at) if moment]
    return {
        "id": str(run.pk),
        "createdAt": run.created_at,
        "startedAt": started_at,
        "finishedAt": run.finished_at or max(progress),
        "querySize": run.query_size or 0,
        "status": hightouch_run_status(run.status),
        "completionRatio": run.completion_ratio,
        "plannedRows": counts("planned"),
        "successfulRows": counts("successful"),
        "failedRows": counts("failed"),
        "error": run.error_message or run.error_code or None,
    }


@api.get(
    "/syncs/{syncId}/runs", response={200: s.SyncRunList, **READ_ERRORS}, url_name="sync_runs", tags=["Syncs"]
)
def list_sync_runs(request: HttpRequest, query: Query[s.RunListQuery], syncId: int = ID):
    """The sync's runs, newest first; `runId` picks one (how orchestrators poll a triggered run)."""
    workspace = _workspace(request)
    sync = get_object_in_workspace(Sync, workspace, pk=syncId)
    runs = SyncRun.objects.in_workspace(workspace).filter(sync=sync)
    if query.runId is not None:
        runs = runs.filter(pk=query.runId)
    if query.after is not None:
        runs = runs.filter(created_at__gt=query.after)
    if query.before is not None:
        runs = runs.filter(created_at__lt=query.before)
    if query.within is not None:
        runs = runs.filter(created_at__gte=timezone.now() - timedelta(minutes=query.within))
    ordered = _ordered(runs, RUN_ORDER[query.orderBy], newest_first=True)
    rows, has_more = _page(ordered, query.limit, query.offset)
    return {"data": [run_out(run) for run in rows], "hasMore": has_more}
