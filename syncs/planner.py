"""The planner: what changed in a model since the destination last confirmed it.

All reads of the model happen in one read-only transaction with a statement timeout (on PostgreSQL
a REPEATABLE READ snapshot, so that every read sees the same rows), through server-side cursors.

1. Stage: stream (primary key, hash over the mapped columns) into a temporary table of the run's
   own, with bulk loads (a temporary table: no bloat left behind, no write-ahead log).
   On PostgreSQL the source computes the hashes (md5 of the row), so only two columns travel; on
   other sources Python hashes each row and spills the mapped columns to a local file, in order.
2. Diff: added, changed and removed keys come from joins of the stage with the sync's snapshot.
3. Values: the mapped columns of the added and changed rows come from the spill file (one merge
   pass), or on PostgreSQL from the source again: by primary key for the changed rows, or in one
   more stream for a first run, when every row is added.
4. Batches: rows are cut into batches of the sizes the destination accepts.
Memory stays flat whatever the model's size: everything moves in chunks of CHUNK_ROWS.
"""

import json
import pickle
import queue
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import sqlalchemy
import sqlparse
from django.db import connection, transaction
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from models_catalog.models import Model
from models_catalog.services import source_engine
from syncs.mappings import mapped_columns, mappings_fingerprint, row_hash, to_json_value
from syncs.models import ChangeKind, PlannedRow, RunBatch, SnapshotRow, SyncRun

CHUNK_ROWS = 5_000
STATEMENT_TIMEOUT_SECONDS = 30 * 60
REJECTED_ROWS_KEPT = 10_000
# What each sync mode does with a change kind: the destination operation, or None (nothing sent).
MODE_OPERATIONS: dict[str, dict[str, str | None]] = {
    "upsert": {"added": "upsert", "changed": "upsert", "removed": None},
    "update": {"added": "update", "changed": "update", "removed": None},
    "insert": {"added": "insert", "changed": None, "removed": None},
    "mirror": {"added": "upsert", "changed": "upsert", "removed": "delete"},
    "archive": {"added": "upsert", "changed": "upsert", "removed": "archive"},
}


class ModelQueryError(Exception):
    """The model's query cannot be run as it is: the message says why, for the run's page."""


@dataclass
class Plan:
    query_size: int = 0
    planned: dict[str, int] = field(default_factory=lambda: {"added": 0, "changed": 0, "removed": 0})
    rejected: list[tuple[str, str, str, str]] = field(default_factory=list)  # key, change, code, message
    rejected_total: int = 0
    batches: int = 0

    def reject(self, key: str, change: str, code: str, message: str) -> None:
        self.rejected_total += 1
        if len(self.rejected) < REJECTED_ROWS_KEPT:
            self.rejected.append((key, change, code, message))


# ------------------------------------------------------------------------------------ reading the source


def check_is_query(sql: str) -> str:
    """The model's SQL without trailing semicolons, if it is one SELECT statement."""
    statements = [s for s in sqlparse.parse(sql) if s.token_first(skip_cm=True, skip_ws=True) is not None]
    if len(statements) != 1:
        raise ModelQueryError(f"The model's SQL must be one query; it holds {len(statements)} statements.")
    kind = statements[0].get_type()
    if kind != "SELECT":
        raise ModelQueryError(f"The model's SQL must be a SELECT query; it is a {kind} statement.")
    return str(statements[0]).strip().rstrip(";").strip()


def _enter_read_only(conn: sqlalchemy.Connection, timeout: int) -> None:
    dialect = conn.dialect.name
    if dialect == "postgresql":
        conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        conn.exec_driver_sql(f"SET LOCAL statement_timeout = {int(timeout * 1000)}")
    elif dialect == "sqlite":
        conn.exec_driver_sql("PRAGMA query_only = ON")
    elif dialect in ("mysql", "mariadb"):
        conn.exec_driver_sql(f"SET SESSION MAX_EXECUTION_TIME = {int(timeout * 1000)}")
        conn.exec_driver_sql("SET TRANSACTION READ ONLY")


@contextmanager
def source_connection(model: Model, *, timeout: int = STATEMENT_TIMEOUT_SECONDS) -> Iterator["ModelReader"]:
    """A reader of the model inside one read-only transaction; query errors become ModelQueryError."""
    sql = check_is_query(model.sql)
    connect_args = {"read_only": True} if model.source.kind == "duckdb" else None
    engine = source_engine(source=model.source, extra_connect_args=connect_args)
    try:
        with engine.connect() as conn, conn.begin():
            _enter_read_only(conn, timeout)
            yield ModelReader(conn, sql)
    except DBAPIError as exc:
        raise ModelQueryError(f"The model's query failed: {str(exc.orig).strip()}") from None
    except SQLAlchemyError as exc:
        raise ModelQueryError(f"The model's query failed: {exc}") from None
    finally:
        engine.dispose()


class ModelReader:
    def __init__(self, conn: sqlalchemy.Connection, sql: str) -> None:
        self.conn, self.sql = conn, sql
        self.quote = conn.dialect.identifier_preparer.quote
        # PostgreSQL hashes rows itself: only keys and hashes travel, and values are read by key.
        self.hashes_in_source = conn.dialect.name == "postgresql"

    def stream(self, select: str = "*", where: str = "", **params) -> tuple[list[str], Iterator]:
        statement = f"SELECT {select} FROM ({self.sql}) AS syncapp_model {where}"  # noqa: S608 - the model's query
        result = self.conn.execution_options(stream_results=True, yield_per=CHUNK_ROWS).execute(
            sqlalchemy.text(statement), params
        )
        return list(result.keys()), result.partitions(CHUNK_ROWS)

    def columns(self) -> list[str]:
        columns, chunks = self.stream(where="LIMIT 0")
        for _ in chunks:
            pass
        return columns

    def column_list(self, names: list[str]) -> str:
        return ", ".join(f"syncapp_model.{self.quote(name)}" for name in names)

    def hash_expression(self, names: list[str]) -> str:
        row = f"ROW({self.column_list(names)})::text" if names else "''"
        return f"md5({row} || :fingerprint)"


@contextmanager
def model_rows(
    model: Model, *, timeout: int = STATEMENT_TIMEOUT_SECONDS
) -> Iterator[tuple[list[str], Iterator]]:
    """The model's columns and its rows in chunks, streamed from a read-only transaction."""
    with source_connection(model, timeout=timeout) as reader:
        yield reader.stream()


# ------------------------------------------------------------------------------------ staging and diffing

_CHANGES_SQL = """
    SELECT s.position, s.primary_key, s.row_hash, n.record_id, n.id
    FROM {stage} s LEFT JOIN {snapshot} n ON n.sync_id = %s AND n.primary_key = s.primary_key
    WHERE n.id IS NULL OR n.row_hash <> s.row_hash OR %s
    ORDER BY s.position
"""
_REMOVED_SQL = """
    SELECT n.primary_key, n.record_id FROM {snapshot} n
    WHERE n.sync_id = %s AND NOT EXISTS (SELECT 1 FROM {stage} s WHERE s.primary_key = n.primary_key)
"""
_DUPLICATES_SQL = "SELECT primary_key FROM {stage} GROUP BY primary_key HAVING COUNT(*) > 1"


def _tables(run: SyncRun) -> dict[str, str]:
    return {"stage": f"syncapp_stage_{run.pk}", "snapshot": SnapshotRow._meta.db_table}


@contextmanager
def _stage_table(run: SyncRun) -> Iterator[None]:
    """The run's stage: a temporary table of this database session, dropped when the plan is done."""
    stage = _tables(run)["stage"]
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {stage}")
        cursor.execute(f"CREATE TEMPORARY TABLE {stage} (position BIGINT, primary_key TEXT, row_hash TEXT)")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {stage}")


def _copy_rows(table: str, columns: list[str], rows: list[tuple]) -> None:
    """Bulk-load rows: COPY on PostgreSQL, one batched insert elsewhere."""
    names = ", ".join(connection.ops.quote_name(name) for name in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608 - ours


def _stage(run: SyncRun, rows: list[tuple[int, str, str]]) -> None:
    _copy_rows(_tables(run)["stage"], ["position", "primary_key", "row_hash"], rows)


def _stage_python(run, plan, reader, pk_column, read, spill, on_progress) -> None:
    """Any source: Python hashes each row; the mapped columns go to the spill file in order."""
    fingerprint = mappings_fingerprint(run.sync.config)
    columns, chunks = reader.stream()
    key_at, read_at = columns.index(pk_column), [columns.index(name) for name in read]
    position = 0
    for chunk in chunks:
        kept = []
        for row in chunk:
            if row[key_at] is None:
                plan.reject("", ChangeKind.ADDED, "NULL_PRIMARY_KEY", f"The primary key {pk_column} is null.")
                continue
            kept.append((position, str(row[key_at]), tuple(row[i] for i in read_at)))
            position += 1
        plan.query_size += len(chunk)
        pickle.dump(kept, spill, protocol=pickle.HIGHEST_PROTOCOL)
        _stage(run, [(p, key, row_hash(values, fingerprint)) for p, key, values in kept])
        on_progress()


def _stage_in_source(run, plan, reader, pk_column, read, on_progress) -> type | None:
    """PostgreSQL: the source sends keys and md5 hashes only. Returns the primary key's Python type."""
    fingerprint = mappings_fingerprint(run.sync.config).hex()
    select = f"syncapp_model.{reader.quote(pk_column)}, {reader.hash_expression(read)}"
    _columns, chunks = reader.stream(select, fingerprint=fingerprint)
    position, key_type = 0, None
    for chunk in _read_ahead(chunks):
        staged = []
        for key, digest in chunk:
            if key is None:
                plan.reject("", ChangeKind.ADDED, "NULL_PRIMARY_KEY", f"The primary key {pk_column} is null.")
                continue
            key_type = key_type or type(key)
            staged.append((position, str(key), digest))
            position += 1
        plan.query_size += len(chunk)
        _stage(run, staged)
        on_progress()
    return key_type


def _read_ahead(chunks: Iterator[list], depth: int = 4) -> Iterator[list]:
    """Fetch the next chunks from the source in a thread while this one loads the previous ones into
    the stage: both mostly wait on their database servers, so the waits overlap. If the consumer stops
    early, the fetching thread stops too, and is waited for before the source connection closes."""
    ahead: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def hand_over(item) -> None:
        while not stop.is_set():
            try:
                ahead.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def fetch() -> None:
        try:
            for chunk in chunks:
                if stop.is_set():
                    return
                hand_over(chunk)
        except BaseException as exc:  # noqa: BLE001 - handed over to the consuming thread, which raises it
            hand_over(exc)
        finally:
            hand_over(done)

    fetcher = threading.Thread(target=fetch, name="syncapp-plan-read-ahead", daemon=True)
    fetcher.start()
    try:
        while (item := ahead.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        fetcher.join()


@contextmanager
def _streaming_cursor() -> Iterator:
    """A cursor that streams its result: server-side on PostgreSQL (inside the caller's transaction)."""
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        with connection.connection.cursor(name="syncapp_plan") as cursor:
            yield cursor
    else:
        with connection.cursor() as cursor:
            yield cursor


def _streamed(sql: str, params: list) -> Iterator[tuple]:
    with _streaming_cursor() as cursor:
        cursor.execute(sql, params)
        while page := cursor.fetchmany(CHUNK_ROWS):
            yield from page


def _changed_rows(run: SyncRun) -> Iterator[tuple[int, str, str, str, bool]]:
    """(position, key, hash, record id, is new) of added and changed rows, in position order."""
    for position, key, digest, record_id, snapshot_id in _streamed(
        _CHANGES_SQL.format(**_tables(run)), [run.sync_id, run.full_resync]
    ):
        yield position, key, digest, record_id or "", snapshot_id is None or run.full_resync


def _removed_rows(run: SyncRun) -> Iterator[tuple[str, str]]:
    return _streamed(_REMOVED_SQL.format(**_tables(run)), [run.sync_id])


def _prepare_stage_for_joins(run: SyncRun) -> None:
    stage = _tables(run)["stage"]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Freshly loaded: without statistics PostgreSQL may choose nested loops over the stage.
            cursor.execute(f"ANALYZE {stage}")
        else:
            cursor.execute(f"CREATE INDEX {stage}_key ON {stage} (primary_key)")


def _duplicate_keys(run: SyncRun) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(_DUPLICATES_SQL.format(**_tables(run)))
        return {key for (key,) in cursor.fetchall()}


# ------------------------------------------------------------------------------------ values of changed rows


def _values_from_spill(spill) -> Callable[[list[tuple]], list[tuple]]:
    """The spill file and the changed rows both come in position order: one merge pass over both."""
    spill.seek(0)

    def spilled() -> Iterator[tuple[int, str, tuple]]:
        while True:
            try:
                yield from pickle.load(spill)  # noqa: S301 - our own file, written by this run
            except EOFError:
                return

    rows = spilled()

    def values_for(page: list[tuple]) -> list[tuple]:
        found = []
        for position, *_ in page:
            for spill_position, _key, values in rows:
                if spill_position == position:
                    found.append(values)
                    break
            else:
                raise LookupError(f"row {position} is missing from the plan's spill file")
        return found

    return values_for


def _values_by_key(reader: ModelReader, pk_column: str, read: list[str], key_type: type | None):
    """PostgreSQL: read the changed rows' mapped columns again, by primary key, in the same snapshot."""
    key = f"syncapp_model.{reader.quote(pk_column)}"
    native = key_type in (int, str)
    where = f"WHERE {key} = ANY(:keys)" if native else f"WHERE CAST({key} AS TEXT) = ANY(:keys)"
    select = f"{key}, {reader.column_list(read)}" if read else key

    def values_for(page: list[tuple]) -> list[tuple]:
        keys = [row[1] for row in page]
        wanted = [key_type(k) for k in keys] if native else keys
        found: dict[str, tuple] = {}
        _columns, chunks = reader.stream(select, where, keys=wanted)
        for chunk in chunks:
            for row in chunk:
                found[str(row[0])] = tuple(row[1:])
        return [found[k] for k in keys]

    return values_for


# ------------------------------------------------------------------------------------ batches


class _Batcher:
    """Cuts planned rows into batches (RunBatch) of the destination's sizes, one operation at a time,
    and bulk-loads the planned rows."""

    def __init__(self, run: SyncRun, sizes: dict[str, int]) -> None:
        self.run, self.sizes = run, sizes
        self.open: dict[str, list[tuple]] = {}
        self.ready: list[tuple] = []
        self.count = 0

    def add(self, operation: str, key: str, change: str, digest: str = "", record_id: str = "", values=None):
        rows = self.open.setdefault(operation, [])
        rows.append((key, change, digest, record_id, values))
        if len(rows) >= self.sizes[operation]:
            self._close_batch(operation)

    def _close_batch(self, operation: str) -> None:
        rows = self.open.pop(operation, [])
        if not rows:
            return
        self.count += 1
        batch = RunBatch.objects.create(run=self.run, number=self.count, operation=operation)
        self.ready.extend((batch.pk, *row) for row in rows)
        if len(self.ready) >= CHUNK_ROWS:
            self._flush()

    def _flush(self) -> None:
        rows = [
            (batch_id, key, change, digest, record_id, None if values is None else json.dumps(values))
            for batch_id, key, change, digest, record_id, values in self.ready
        ]
        _copy_rows(
            PlannedRow._meta.db_table,
            ["batch_id", "primary_key", "change", "row_hash", "record_id", "values"],
            rows,
        )
        self.ready = []

    def close(self) -> int:
        for operation in list(self.open):
            self._close_batch(operation)
        self._flush()
        return self.count


# ------------------------------------------------------------------------------------ the plan


def plan_run(
    run: SyncRun,
    *,
    batch_sizes: dict[str, int],
    on_progress: Callable[[], object] = lambda: None,
    on_streamed: Callable[[], object] = lambda: None,
) -> Plan:
    """Plan `run`: stage the model's rows, diff them with the snapshot, write the batches.

    `on_progress` is called after every chunk read; `on_streamed` once the rows are staged."""
    plan = Plan()
    sync = run.sync
    operations = MODE_OPERATIONS[sync.config["mode"]]
    pk_column = sync.model.primary_key
    read = mapped_columns(sync.config["mappings"])
    with (
        tempfile.TemporaryFile(prefix="syncapp-plan-") as spill,
        source_connection(sync.model) as reader,
        _stage_table(run),
    ):
        columns = reader.columns()
        missing = [name for name in [pk_column, *read] if name not in columns]
        if missing:
            names = ", ".join(map(repr, missing))
            raise ModelQueryError(f"The model has no column {names}; its columns are {', '.join(columns)}.")
        if reader.hashes_in_source:
            key_type = _stage_in_source(run, plan, reader, pk_column, read, on_progress)
            first_run = run.full_resync or not SnapshotRow.objects.filter(sync_id=run.sync_id).exists()
            values_for = None if first_run else _values_by_key(reader, pk_column, read, key_type)
        else:
            _stage_python(run, plan, reader, pk_column, read, spill, on_progress)
            values_for = _values_from_spill(spill)
        _prepare_stage_for_joins(run)
        on_streamed()
        with transaction.atomic():
            batcher = _Batcher(run, batch_sizes)
            duplicates = _duplicate_keys(run)
            if values_for is None:  # PostgreSQL, first run: every row is added
                _plan_all_added(run, plan, reader, pk_column, read, duplicates, operations, batcher)
            else:
                _plan_changes(run, plan, read, duplicates, operations, batcher, values_for)
            if operations["removed"] and not run.full_resync:
                for key, record_id in _removed_rows(run):
                    plan.planned["removed"] += 1
                    batcher.add(operations["removed"], key, ChangeKind.REMOVED, record_id=record_id)
            plan.batches = batcher.close()
    return plan


def _plan_all_added(run, plan, reader, pk_column, read, duplicates, operations, batcher) -> None:
    """PostgreSQL, first run (or full resync): one more stream of the source brings every row's values
    with its hash, in the same snapshot as the staged keys; nothing needs looking up."""
    fingerprint = mappings_fingerprint(run.sync.config).hex()
    select = f"syncapp_model.{reader.quote(pk_column)}, {reader.hash_expression(read)}"
    if read:
        select += f", {reader.column_list(read)}"
    _columns, chunks = reader.stream(select, fingerprint=fingerprint)
    operation = operations[ChangeKind.ADDED]
    for chunk in chunks:
        for key, digest, *values in chunk:
            if key is None:
                continue  # rejected while staging
            key = str(key)
            if key in duplicates:
                message = f"The primary key {key!r} appears on more than one row; none of them is sent."
                plan.reject(key, ChangeKind.ADDED, "DUPLICATE_PRIMARY_KEY", message)
                continue
            plan.planned[ChangeKind.ADDED] += 1
            columns = {name: to_json_value(value) for name, value in zip(read, values, strict=True)}
            batcher.add(operation, key, ChangeKind.ADDED, digest, "", columns)


def _plan_changes(run, plan, read, duplicates, operations, batcher, values_for) -> None:
    page: list[tuple] = []
    for changed in _changed_rows(run):
        page.append(changed)
        if len(page) == CHUNK_ROWS:
            _plan_page(plan, read, duplicates, operations, batcher, page, values_for)
            page = []
    _plan_page(plan, read, duplicates, operations, batcher, page, values_for)


def _plan_page(plan, read, duplicates, operations, batcher, page, values_for) -> None:
    wanted = []
    for row in page:
        position, key, digest, record_id, is_new = row
        change = ChangeKind.ADDED if is_new else ChangeKind.CHANGED
        if key in duplicates:
            message = f"The primary key {key!r} appears on more than one row; none of them is sent."
            plan.reject(key, change, "DUPLICATE_PRIMARY_KEY", message)
        elif operations[change] is not None:
            wanted.append((row, change))
    values = values_for([row for row, _change in wanted]) if wanted else []
    for ((_position, key, digest, record_id, _is_new), change), row_values in zip(
        wanted, values, strict=True
    ):
        plan.planned[change] += 1
        columns = {name: to_json_value(value) for name, value in zip(read, row_values, strict=True)}
        batcher.add(operations[change], key, change, digest, record_id, columns)
