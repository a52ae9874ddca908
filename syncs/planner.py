"""The planner: what changed in a model since the destination last confirmed it.

1. Stream the model's rows from the source (server-side cursor, read-only transaction, statement
   timeout), hashing each row over the columns the mappings read, and
2. bulk-load (position, primary key, hash) into PlanStage, while the read columns go to a local spill
   file in the same order: memory stays flat whatever the model's size;
3. diff against the sync's snapshot with set operations in the database (joins on the primary key);
4. read the spill file once more, in order, keeping the added and changed rows, and cut them (and the
   removed ones) into batches the destination accepts.
"""

import pickle
import tempfile
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
from syncs.models import ChangeKind, PlannedRow, PlanStage, RunBatch, SyncRun

CHUNK_ROWS = 5_000
STATEMENT_TIMEOUT_SECONDS = 30 * 60
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
def model_rows(
    model: Model, *, timeout: int = STATEMENT_TIMEOUT_SECONDS
) -> Iterator[tuple[list[str], Iterator]]:
    """The model's columns and its rows in chunks, streamed from a read-only transaction."""
    sql = check_is_query(model.sql)
    connect_args = {"read_only": True} if model.source.kind == "duckdb" else None
    engine = source_engine(source=model.source, extra_connect_args=connect_args)
    try:
        with engine.connect() as conn, conn.begin():
            _enter_read_only(conn, timeout)
            result = conn.execution_options(stream_results=True, yield_per=CHUNK_ROWS).execute(
                sqlalchemy.text(f"SELECT * FROM ({sql}) AS syncapp_model")  # noqa: S608 - the model's own query
            )
            yield list(result.keys()), result.partitions(CHUNK_ROWS)
    except DBAPIError as exc:
        raise ModelQueryError(f"The model's query failed: {str(exc.orig).strip()}") from None
    except SQLAlchemyError as exc:
        raise ModelQueryError(f"The model's query failed: {exc}") from None
    finally:
        engine.dispose()


def _load_stage(run: SyncRun, rows: list[tuple[int, str, str]]) -> None:
    """Bulk-load (position, key, hash) rows: COPY on PostgreSQL, a batched insert elsewhere."""
    table = PlanStage._meta.db_table
    columns = "run_id, position, primary_key, row_hash"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for position, key, digest in rows:
                    copy.write_row((run.pk, position, key, digest))
        else:
            insert = f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s)"  # noqa: S608 - our own table
            cursor.executemany(insert, [(run.pk, position, key, digest) for position, key, digest in rows])


def _stream_into_stage(run: SyncRun, plan: Plan, spill, pk_column: str, read: list[str], on_progress) -> None:
    """Read the model chunk by chunk: spill the read columns, stage the keys and hashes, report progress.

    Each chunk is its own COPY: the connection is free between chunks for the heartbeat."""
    fingerprint = mappings_fingerprint(run.sync.config)
    with model_rows(run.sync.model) as (columns, chunks):
        missing = [name for name in [pk_column, *read] if name not in columns]
        if missing:
            names = ", ".join(map(repr, missing))
            raise ModelQueryError(f"The model has no column {names}; its columns are {', '.join(columns)}.")
        key_at = columns.index(pk_column)
        read_at = [columns.index(name) for name in read]
        position = 0
        for chunk in chunks:
            kept = []
            for row in chunk:
                key = row[key_at]
                if key is None:
                    _reject(
                        plan,
                        "",
                        ChangeKind.ADDED,
                        "NULL_PRIMARY_KEY",
                        f"The primary key {pk_column} is null.",
                    )
                    continue
                kept.append((position, str(key), tuple(row[i] for i in read_at)))
                position += 1
            plan.query_size += len(chunk)
            pickle.dump(kept, spill, protocol=pickle.HIGHEST_PROTOCOL)
            _load_stage(run, [(p, key, row_hash(values, fingerprint)) for p, key, values in kept])
            on_progress()


def _reject(plan: Plan, key: str, change: str, code: str, message: str) -> None:
    plan.rejected_total += 1
    if len(plan.rejected) < REJECTED_ROWS_KEPT:
        plan.rejected.append((key, change, code, message))


REJECTED_ROWS_KEPT = 10_000
_CHANGES_SQL = """
    SELECT s.position, s.primary_key, s.row_hash, n.record_id, n.id
    FROM {stage} s LEFT JOIN {snapshot} n ON n.sync_id = %s AND n.primary_key = s.primary_key
    WHERE s.run_id = %s AND s.position > %s AND (n.id IS NULL OR n.row_hash <> s.row_hash OR %s)
    ORDER BY s.position LIMIT %s
"""
_REMOVED_SQL = """
    SELECT n.primary_key, n.record_id FROM {snapshot} n
    WHERE n.sync_id = %s AND n.primary_key > %s
      AND NOT EXISTS (SELECT 1 FROM {stage} s WHERE s.run_id = %s AND s.primary_key = n.primary_key)
    ORDER BY n.primary_key LIMIT %s
"""
_DUPLICATES_SQL = "SELECT primary_key FROM {stage} WHERE run_id = %s GROUP BY primary_key HAVING COUNT(*) > 1"


def _tables() -> dict[str, str]:
    from syncs.models import SnapshotRow

    return {"stage": PlanStage._meta.db_table, "snapshot": SnapshotRow._meta.db_table}


def _changed_rows(run: SyncRun) -> Iterator[tuple[int, str, str, str, bool]]:
    """(position, key, hash, record id, is new) of added and changed rows, in position order."""
    sql = _CHANGES_SQL.format(**_tables())
    last = -1
    with connection.cursor() as cursor:
        while True:
            cursor.execute(sql, [run.sync_id, run.pk, last, run.full_resync, CHUNK_ROWS])
            page = cursor.fetchall()
            for position, key, digest, record_id, snapshot_id in page:
                yield position, key, digest, record_id or "", snapshot_id is None or run.full_resync
            if len(page) < CHUNK_ROWS:
                return
            last = page[-1][0]


def _removed_rows(run: SyncRun) -> Iterator[tuple[str, str]]:
    sql = _REMOVED_SQL.format(**_tables())
    last = ""
    with connection.cursor() as cursor:
        while True:
            cursor.execute(sql, [run.sync_id, last, run.pk, CHUNK_ROWS])
            page = cursor.fetchall()
            yield from page
            if len(page) < CHUNK_ROWS:
                return
            last = page[-1][0]


def _spilled(spill) -> Iterator[tuple[int, str, tuple]]:
    spill.seek(0)
    while True:
        try:
            yield from pickle.load(spill)  # noqa: S301 - our own file, written by this run
        except EOFError:
            return


class _Batcher:
    """Cuts planned rows into RunBatch + PlannedRow rows, one operation and batch size at a time."""

    def __init__(self, run: SyncRun, sizes: dict[str, int]) -> None:
        self.run, self.sizes = run, sizes
        self.open: dict[str, list[PlannedRow]] = {}
        self.count = 0

    def add(self, operation: str, row: PlannedRow) -> None:
        rows = self.open.setdefault(operation, [])
        rows.append(row)
        if len(rows) >= self.sizes[operation]:
            self.flush(operation)

    def flush(self, operation: str) -> None:
        rows = self.open.pop(operation, [])
        if not rows:
            return
        self.count += 1
        batch = RunBatch.objects.create(run=self.run, number=self.count, operation=operation)
        for row in rows:
            row.batch = batch
        PlannedRow.objects.bulk_create(rows)

    def close(self) -> int:
        for operation in list(self.open):
            self.flush(operation)
        return self.count


def plan_run(
    run: SyncRun,
    *,
    batch_sizes: dict[str, int],
    on_progress: Callable[[], object] = lambda: None,
    on_streamed: Callable[[], object] = lambda: None,
) -> Plan:
    """Plan `run`: stage the model's rows, diff them with the snapshot, write the batches.

    `on_progress` is called after every chunk read; `on_streamed` once the source has been read."""
    plan = Plan()
    sync = run.sync
    operations = MODE_OPERATIONS[sync.config["mode"]]
    read = mapped_columns(sync.config["mappings"])
    with tempfile.TemporaryFile(prefix="syncapp-plan-") as spill:
        _stream_into_stage(run, plan, spill, sync.model.primary_key, read, on_progress)
        on_streamed()
        with transaction.atomic():
            duplicates = _duplicate_keys(run, plan)
            batcher = _Batcher(run, batch_sizes)
            _plan_changes(run, plan, spill, read, duplicates, operations, batcher)
            if operations["removed"] and not run.full_resync:
                for key, record_id in _removed_rows(run):
                    plan.planned["removed"] += 1
                    batcher.add(
                        operations["removed"],
                        PlannedRow(primary_key=key, change="removed", record_id=record_id),
                    )
            plan.batches = batcher.close()
        PlanStage.objects.filter(run=run).delete()
    return plan


def _duplicate_keys(run: SyncRun, plan: Plan) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(_DUPLICATES_SQL.format(**_tables()), [run.pk])
        duplicates = {key for (key,) in cursor.fetchall()}
    return duplicates


def _values_at(spilled: Iterator[tuple[int, str, tuple]], position: int) -> tuple:
    # The spill file and the changed rows both come in position order: one merge pass over both.
    for spill_position, _key, values in spilled:
        if spill_position == position:
            return values
    raise LookupError(f"row {position} is missing from the plan's spill file")


def _plan_changes(run, plan, spill, read, duplicates, operations, batcher) -> None:
    spilled = _spilled(spill)
    for position, key, digest, record_id, is_new in _changed_rows(run):
        values = _values_at(spilled, position)
        change = ChangeKind.ADDED if is_new else ChangeKind.CHANGED
        if key in duplicates:
            message = f"The primary key {key!r} appears on more than one row; none of them is sent."
            _reject(plan, key, change, "DUPLICATE_PRIMARY_KEY", message)
            continue
        operation = operations[change]
        if operation is None:
            continue
        plan.planned[change] += 1
        row_values = {name: to_json_value(value) for name, value in zip(read, values, strict=True)}
        batcher.add(
            operation,
            PlannedRow(
                primary_key=key, change=change, row_hash=digest, record_id=record_id, values=row_values
            ),
        )
