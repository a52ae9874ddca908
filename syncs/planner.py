"""The planner: what changed in a model since the destination last confirmed it.

All reads of the model happen in one read-only transaction with a statement timeout (on PostgreSQL
a REPEATABLE READ snapshot, so that every read sees the same rows), through server-side cursors.

1. Stage: stream (primary key, hash over the mapped columns) into a temporary table of the run's
   own, with bulk loads (a temporary table: no bloat left behind, no write-ahead log).
   On PostgreSQL the source computes the hashes (hash_record_extended from version 14, md5 of the
   row's text before) and writes the keys as text, so only two columns travel; on other sources
   Python hashes each row and spills the mapped columns to a local file, in order.
2. Diff: added, changed and removed rows come from one join of the stage with the sync's snapshot
   (a full join on PostgreSQL), kept in a temporary table of the run's own.
3. Values: the mapped columns of the added and changed rows come from the spill file (one merge
   pass), or on PostgreSQL from the source again, in the same snapshot: by primary key in one lookup
   for up to LOOKUP_ROWS changes; in one more pass sorted by key and merged with the diff for more;
   in one more stream of every row for a first run, when every row is added.
4. Batches: rows are cut into batches of the sizes the destination accepts.
Memory stays flat whatever the model's size: everything moves in chunks of CHUNK_ROWS.
"""

import json
import pickle
import queue
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import psycopg
import sqlalchemy
import sqlparse
from django.db import connection, transaction
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from models_catalog.models import Model
from models_catalog.services import source_engine
from syncs.mappings import mapped_columns, mappings_fingerprint, row_hash, to_json_value
from syncs.models import ChangeKind, PlannedRow, RunBatch, SnapshotRow, SyncRun

CHUNK_ROWS = 5_000
PROGRESS_SECONDS = 2.0  # how often a plan that streams a model beats the run's heartbeat, at least
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


# PostgreSQL's built-in types (their OIDs are fixed) whose values hash_record_extended hashes as
# they are; a column of any other type (json, arrays, geometry, a domain, ...) is hashed as its text.
_HASHABLE_TYPES = frozenset({16, 17, 18, 19, 20, 21, 23, 25, 26, 700, 701, 869, 1042, 1043, 1082, 1083})
_HASHABLE_TYPES |= {1114, 1184, 1186, 1700, 2950, 3802}
_TEXT_TYPES = frozenset({25, 1042, 1043})  # hashed under the "C" collation: byte for byte
_KEY_TYPES = {20: int, 21: int, 23: int, 25: str, 1043: str}  # keys looked up as they are


class ModelReader:
    def __init__(self, conn: sqlalchemy.Connection, sql: str) -> None:
        self.conn, self.sql = conn, sql
        self.quote = conn.dialect.identifier_preparer.quote
        # PostgreSQL hashes rows itself: only keys and hashes travel, and values are read by key.
        self.hashes_in_source = conn.dialect.name == "postgresql"
        self._type_codes: dict[str, object] = {}
        self._cursors = 0

    def stream(self, select: str = "*", where: str = "", **params) -> tuple[list[str], Iterator]:
        statement = f"SELECT {select} FROM ({self.sql}) AS syncapp_model {where}"  # noqa: S608 - the model's query
        if self.hashes_in_source and not params:
            return self._stream_from_driver(statement)
        result = self.conn.execution_options(stream_results=True, yield_per=CHUNK_ROWS).execute(
            sqlalchemy.text(statement), params
        )
        return list(result.keys()), result.partitions(CHUNK_ROWS)

    def _stream_from_driver(self, statement: str) -> tuple[list[str], Iterator]:
        """PostgreSQL: a server-side cursor of psycopg itself, in the reader's transaction. The
        planner's big streams (a key and a hash a row, or rows sorted by key) skip SQLAlchemy's rows."""
        self._cursors += 1
        cursor = self.conn.connection.driver_connection.cursor(name=f"syncapp_model_{self._cursors}")
        try:
            cursor.execute(statement)
        except psycopg.Error as exc:
            cursor.close()
            raise ModelQueryError(f"The model's query failed: {str(exc).strip()}") from None
        return [column.name for column in cursor.description], self._chunks(cursor)

    @staticmethod
    def _chunks(cursor) -> Iterator[list[tuple]]:
        try:
            while chunk := cursor.fetchmany(CHUNK_ROWS):
                yield chunk
        except psycopg.Error as exc:
            raise ModelQueryError(f"The model's query failed: {str(exc).strip()}") from None
        finally:
            cursor.close()

    def columns(self) -> list[str]:
        statement = f"SELECT * FROM ({self.sql}) AS syncapp_model LIMIT 0"  # noqa: S608 - the model's query
        with self.conn.execute(sqlalchemy.text(statement)) as result:
            self._type_codes = {column[0]: column[1] for column in result.cursor.description or ()}
            return list(result.keys())

    def column(self, name: str) -> str:
        return f"syncapp_model.{self.quote(name)}"

    def column_list(self, names: list[str]) -> str:
        return ", ".join(map(self.column, names))

    def keyed(self, key: str, *expressions: str, columns: list[str] = ()) -> str:
        """PostgreSQL: a select list of the key as text, then `expressions`, then `columns`."""
        return ", ".join([self.key_expression(key), *expressions, *map(self.column, columns)])

    def key_expression(self, name: str) -> str:
        """PostgreSQL: the primary key as text, written by the source (as the snapshot keeps it)."""
        return f"CAST({self.column(name)} AS TEXT)"

    def key_type(self, name: str) -> type | None:
        """PostgreSQL: the Python type the key is looked up by, or None to compare it as text."""
        return _KEY_TYPES.get(self._type_codes.get(name))

    def hash_expression(self, names: list[str], fingerprint: bytes) -> str:
        """PostgreSQL: the row's hash over `names`, seeded by the mappings' fingerprint, as text.

        From PostgreSQL 14, hash_record_extended hashes the values themselves (a 64-bit hash, three
        times faster than md5 of the row's text); before it, md5 of the row's text."""
        if self.conn.dialect.server_version_info < (14,):
            row = f"ROW({self.column_list(names)})::text" if names else "''"
            return f"md5({row} || '{fingerprint.hex()}')"
        seed = int.from_bytes(fingerprint[:8], "big", signed=True)
        if not names:
            return f"'{seed}'"
        values = []
        for name in names:
            type_code = self._type_codes.get(name)
            if type_code in _TEXT_TYPES:
                values.append(f'{self.column(name)} COLLATE "C"')
            elif type_code in _HASHABLE_TYPES:
                values.append(self.column(name))
            else:
                values.append(f"CAST({self.column(name)} AS TEXT)")
        return f"CAST(hash_record_extended(ROW({', '.join(values)}), {seed}) AS TEXT)"


@contextmanager
def model_rows(
    model: Model, *, timeout: int = STATEMENT_TIMEOUT_SECONDS
) -> Iterator[tuple[list[str], Iterator]]:
    """The model's columns and its rows in chunks, streamed from a read-only transaction."""
    with source_connection(model, timeout=timeout) as reader:
        yield reader.stream()


# ------------------------------------------------------------------------------------ staging and diffing

# The diff: every added or changed row of the stage (with its snapshot row, if any), and every
# snapshot row whose key is no longer staged (row_hash NULL: removed). Parameters: sync, full resync.
_DIFF_SQL = {
    # One pass: a full join of the stage with the sync's snapshot.
    "postgresql": """
        CREATE TEMPORARY TABLE {diff} AS
        SELECT s.position, COALESCE(s.primary_key, n.primary_key) AS primary_key, s.row_hash, n.record_id,
               n.id AS snapshot_id
        FROM {stage} s FULL JOIN (SELECT * FROM {snapshot} WHERE sync_id = %s) n
            ON n.primary_key = s.primary_key
        WHERE n.id IS NULL OR s.row_hash IS NULL OR n.row_hash <> s.row_hash OR %s
    """,
    # SQLite: the added and changed rows, then the removed ones.
    "sqlite": """
        CREATE TEMPORARY TABLE {diff} AS
        SELECT s.position, s.primary_key, s.row_hash, n.record_id, n.id AS snapshot_id
        FROM {stage} s LEFT JOIN {snapshot} n ON n.sync_id = %s AND n.primary_key = s.primary_key
        WHERE n.id IS NULL OR n.row_hash <> s.row_hash OR %s
        UNION ALL
        SELECT NULL, n.primary_key, NULL, n.record_id, n.id FROM {snapshot} n
        WHERE n.sync_id = %s AND NOT EXISTS (SELECT 1 FROM {stage} s WHERE s.primary_key = n.primary_key)
    """,
}
_DUPLICATES_SQL = "SELECT primary_key FROM {stage} GROUP BY primary_key HAVING COUNT(*) > 1"
# Changed rows' values are read back from a PostgreSQL source by key, in one lookup, when there are
# at most this many; a lookup may cost the source a whole scan, so more changes than that are read
# in one more pass of the source, sorted by key and merged with the diff.
LOOKUP_ROWS = 20_000


def _tables(run: SyncRun) -> dict[str, str]:
    return {
        "stage": f"syncapp_stage_{run.pk}",
        "diff": f"syncapp_diff_{run.pk}",
        "snapshot": SnapshotRow._meta.db_table,
    }


@contextmanager
def _stage_table(run: SyncRun) -> Iterator[None]:
    """The run's stage and diff: temporary tables of this database session, dropped when the plan is
    done. Rows staged from a PostgreSQL source are matched by key: they have no positions."""
    tables = _tables(run)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {tables['stage']}")
        cursor.execute(f"DROP TABLE IF EXISTS {tables['diff']}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {tables['stage']} (position BIGINT, primary_key TEXT, row_hash TEXT)"
        )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {tables['stage']}")
            cursor.execute(f"DROP TABLE IF EXISTS {tables['diff']}")


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
        for row in _without_null_keys(plan, pk_column, chunk, key_at):
            kept.append((position, str(row[key_at]), tuple(row[i] for i in read_at)))
            position += 1
        plan.query_size += len(chunk)
        pickle.dump(kept, spill, protocol=pickle.HIGHEST_PROTOCOL)
        _stage(run, [(p, key, row_hash(values, fingerprint)) for p, key, values in kept])
        on_progress()


def _stage_in_source(run, plan, reader, pk_column, read, on_progress) -> None:
    """PostgreSQL: the source sends keys and hashes only, both as text.

    Into a PostgreSQL stage they go through one COPY at a time for PROGRESS_SECONDS (the run's
    heartbeat in between), mostly as text built in bulk; elsewhere chunk by chunk."""
    fingerprint = mappings_fingerprint(run.sync.config)
    _columns, chunks = reader.stream(reader.keyed(pk_column, reader.hash_expression(read, fingerprint)))
    chunks = _read_ahead(chunks)
    stage = _tables(run)["stage"]
    if connection.vendor != "postgresql":
        for chunk in chunks:
            plan.query_size += len(chunk)
            _copy_rows(stage, ["primary_key", "row_hash"], _without_null_keys(plan, pk_column, chunk))
            on_progress()
        return
    copy_sql = f"COPY {stage} (primary_key, row_hash) FROM STDIN"
    more = True
    while more:
        more, deadline = False, time.monotonic() + PROGRESS_SECONDS
        # Its own transaction (or savepoint): a model failing mid-stream aborts the COPY, not the
        # caller's transaction.
        with transaction.atomic(), connection.cursor() as cursor, cursor.copy(copy_sql) as copy:
            for chunk in chunks:
                plan.query_size += len(chunk)
                if (text := _copy_text(chunk)) is not None:
                    copy.write(text)
                else:
                    for row in _without_null_keys(plan, pk_column, chunk):
                        copy.write_row(row)
                if time.monotonic() > deadline:
                    more = True
                    break
        on_progress()


def _without_null_keys(plan: Plan, pk_column: str, rows: list[tuple], key_at: int = 0) -> list[tuple]:
    """The rows whose key (the value at `key_at`) is not null; the others are rejected."""
    kept = []
    for row in rows:
        if row[key_at] is None:
            plan.reject("", ChangeKind.ADDED, "NULL_PRIMARY_KEY", f"The primary key {pk_column} is null.")
        else:
            kept.append(row)
    return kept


def _copy_text(rows: list[tuple[str, str]]) -> str | None:
    """Pairs of texts in COPY's text format, built at C speed; None when a value is null or holds a
    character COPY would need escaped (a tab, a newline, a backslash): those rows go one by one."""
    try:
        text = "\n".join(map("\t".join, rows))
    except TypeError:  # a null
        return None
    if text.count("\t") != len(rows) or text.count("\n") != len(rows) - 1 or "\\" in text or "\r" in text:
        return None
    return text + "\n"


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


def _make_diff(run: SyncRun) -> int:
    """Diff the stage with the snapshot into the run's diff table; the number of added and changed
    rows."""
    tables = _tables(run)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_DIFF_SQL["postgresql"].format(**tables), [run.sync_id, run.full_resync])
        else:
            cursor.execute(_DIFF_SQL["sqlite"].format(**tables), [run.sync_id, run.full_resync, run.sync_id])
        cursor.execute(f"SELECT COUNT(*) FROM {tables['diff']} WHERE row_hash IS NOT NULL")  # noqa: S608
        return cursor.fetchone()[0]


def _changed_rows(run: SyncRun, *, by_key: bool) -> Iterator[tuple[int, str, str, str, bool]]:
    """(position, key, hash, record id, is new) of added and changed rows, in position order, or in
    key order (byte by byte) with `by_key`."""
    order = "position"
    if by_key:
        order = 'primary_key COLLATE "C"' if connection.vendor == "postgresql" else "primary_key"
    sql = f"""SELECT position, primary_key, row_hash, record_id, snapshot_id FROM {_tables(run)["diff"]}
              WHERE row_hash IS NOT NULL ORDER BY {order}"""  # noqa: S608 - ours
    for position, key, digest, record_id, snapshot_id in _streamed(sql, []):
        yield position, key, digest, record_id or "", snapshot_id is None or run.full_resync


def _removed_rows(run: SyncRun) -> Iterator[tuple[str, str]]:
    sql = f"SELECT primary_key, record_id FROM {_tables(run)['diff']} WHERE row_hash IS NULL"  # noqa: S608
    return _streamed(sql, [])


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


def _values_by_key(reader: ModelReader, pk_column: str, read: list[str]):
    """PostgreSQL: read the changed rows' mapped columns again, by primary key, in the same snapshot.
    An integer or text key is compared as it is (an index on it serves); others as their text."""
    key_type = reader.key_type(pk_column)
    where = f"WHERE {reader.column(pk_column) if key_type else reader.key_expression(pk_column)} = ANY(:keys)"
    select = reader.keyed(pk_column, columns=read)

    def values_for(page: list[tuple]) -> list[tuple]:
        keys = [row[1] for row in page]
        wanted = [key_type(k) for k in keys] if key_type else keys
        found: dict[str, tuple] = {}
        _columns, chunks = reader.stream(select, where, keys=wanted)
        for chunk in chunks:
            for key, *values in chunk:
                found[key] = tuple(values)
        return [found[k] for k in keys]

    return values_for


def _values_by_merge(reader: ModelReader, pk_column: str, read: list[str]):
    """PostgreSQL, many changes: one more pass of the source, sorted by key as the changed rows are
    (byte by byte), merged with them; memory stays flat however many rows changed."""
    order = f'ORDER BY {reader.key_expression(pk_column)} COLLATE "C"'
    _columns, chunks = reader.stream(reader.keyed(pk_column, columns=read), order)
    rows = (row for chunk in chunks for row in chunk)
    current = next(rows, None)

    def values_for(page: list[tuple]) -> list[tuple]:
        nonlocal current
        found = []
        for _position, key, *_ in page:
            while current is not None and (current[0] is None or current[0] < key):
                current = next(rows, None)
            if current is None or current[0] != key:
                raise LookupError(f"row {key!r} is missing from the model's second pass")
            found.append(tuple(current[1:]))
        return found

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
            _stage_in_source(run, plan, reader, pk_column, read, on_progress)
        else:
            _stage_python(run, plan, reader, pk_column, read, spill, on_progress)
        _prepare_stage_for_joins(run)
        on_streamed()
        with transaction.atomic():
            batcher = _Batcher(run, batch_sizes)
            duplicates = _duplicate_keys(run)
            first_run = run.full_resync or not SnapshotRow.objects.filter(sync_id=run.sync_id).exists()
            if reader.hashes_in_source and first_run:  # every row is added: no diff, no lookups
                _plan_all_added(run, plan, reader, pk_column, read, duplicates, operations, batcher)
            else:
                wanted, page_size = _make_diff(run), CHUNK_ROWS
                if not reader.hashes_in_source:
                    values_for = _values_from_spill(spill)
                elif wanted > LOOKUP_ROWS:
                    values_for = _values_by_merge(reader, pk_column, read)
                else:
                    values_for, page_size = _values_by_key(reader, pk_column, read), LOOKUP_ROWS
                changed = _changed_rows(run, by_key=reader.hashes_in_source)
                _plan_changes(plan, read, duplicates, operations, batcher, changed, values_for, page_size)
                if operations["removed"] and not run.full_resync:
                    for key, record_id in _removed_rows(run):
                        plan.planned["removed"] += 1
                        batcher.add(operations["removed"], key, ChangeKind.REMOVED, record_id=record_id)
            plan.batches = batcher.close()
    return plan


def _plan_all_added(run, plan, reader, pk_column, read, duplicates, operations, batcher) -> None:
    """PostgreSQL, first run (or full resync): one more stream of the source brings every row's values
    with its hash, in the same snapshot as the staged keys; nothing needs looking up."""
    fingerprint = mappings_fingerprint(run.sync.config)
    select = reader.keyed(pk_column, reader.hash_expression(read, fingerprint), columns=read)
    _columns, chunks = reader.stream(select)
    operation = operations[ChangeKind.ADDED]
    for chunk in chunks:
        for key, digest, *values in chunk:
            if key is None:
                continue  # rejected while staging
            if key in duplicates:
                message = f"The primary key {key!r} appears on more than one row; none of them is sent."
                plan.reject(key, ChangeKind.ADDED, "DUPLICATE_PRIMARY_KEY", message)
                continue
            plan.planned[ChangeKind.ADDED] += 1
            columns = {name: to_json_value(value) for name, value in zip(read, values, strict=True)}
            batcher.add(operation, key, ChangeKind.ADDED, digest, "", columns)


def _plan_changes(plan, read, duplicates, operations, batcher, changed_rows, values_for, page_size) -> None:
    page: list[tuple] = []
    for changed in changed_rows:
        page.append(changed)
        if len(page) == page_size:
            _plan_page(plan, read, duplicates, operations, batcher, page, values_for)
            page = []
    _plan_page(plan, read, duplicates, operations, batcher, page, values_for)


def _plan_page(plan, read, duplicates, operations, batcher, page, values_for) -> None:
    wanted = []
    for row in page:
        _position, key, _digest, _record_id, is_new = row
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
