"""The planner finds added, changed and removed rows with set operations against the snapshot."""

from dataclasses import dataclass

import pytest
import sqlalchemy

from destinations.adapters import RowResult
from models_catalog.models import SourceKind
from syncs import planner, services
from syncs.models import BatchStatus, PlannedRow, RunBatch, SyncRun
from syncs.planner import ModelQueryError, plan_run
from tests import factories

SIZES = {"upsert": 2, "insert": 3, "update": 2, "delete": 3, "archive": 2}
MAPPINGS = [{"from": "name", "to": "companyName"}, {"template": "{{ city | upcase }}", "to": "comments"}]


@dataclass
class Warehouse:
    engine: sqlalchemy.Engine
    source: dict

    def execute(self, sql: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(sqlalchemy.text(sql))

    def count(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(sqlalchemy.text("SELECT count(*) FROM customers")).scalar()


@pytest.fixture(params=["sqlite", "postgresql"])
def warehouse(request, tmp_path):
    """The same table in a SQLite file (Python hashing) and in PostgreSQL (hashing in the source)."""
    if request.param == "sqlite":
        path = tmp_path / "warehouse.sqlite3"
        engine = sqlalchemy.create_engine(f"sqlite:///{path}")
        source = {"kind": SourceKind.SQLITE, "database": str(path), "host": ""}
    else:
        db = request.getfixturevalue("postgres_database")
        host, port = db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)
        engine = sqlalchemy.create_engine(
            f"postgresql+psycopg://{db['USER']}:{db['PASSWORD'] or ''}@{host}:{port}/{db['NAME']}"
        )
        source = {
            "kind": SourceKind.POSTGRESQL,
            "host": host,
            "port": port,
            "database": db["NAME"],
            "username": db["USER"],
            "password": db["PASSWORD"] or "",
        }
    warehouse = Warehouse(engine, source)
    warehouse.execute("DROP TABLE IF EXISTS customers")
    warehouse.execute("CREATE TABLE customers (id INTEGER, name TEXT, city TEXT, unmapped TEXT)")
    warehouse.execute(
        "INSERT INTO customers VALUES "
        + ", ".join(f"({n}, 'Company {n}', 'paris', 'x')" for n in range(1, 6))
    )
    yield warehouse
    warehouse.execute("DROP TABLE IF EXISTS customers")
    engine.dispose()


def execute(warehouse, sql):
    warehouse.execute(sql)


@pytest.fixture
def sync(world, warehouse):
    def make(mode="mirror", mappings=MAPPINGS):
        source = factories.SourceFactory(workspace=world.acme, **({"password": ""} | warehouse.source))
        model = factories.ModelFactory(workspace=world.acme, source=source, sql="SELECT * FROM customers")
        return factories.SyncFactory(
            workspace=world.acme,
            model=model,
            config={"object": "customer", "mode": mode, "mappings": mappings},
        )

    return make


def plan(sync, full_resync=False):
    run = SyncRun.objects.create(sync=sync, trigger="manual", full_resync=full_resync)
    result = plan_run(run, batch_sizes=SIZES)
    rows = PlannedRow.objects.filter(batch__run=run).select_related("batch")
    return run, result, {(row.change, row.primary_key, row.batch.operation) for row in rows}


def confirm_everything(run):
    """Play the destination confirming every planned row (the write path's own bookkeeping)."""
    for batch in RunBatch.objects.filter(run=run):
        rows = list(PlannedRow.objects.filter(batch=batch).order_by("id"))
        RunBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.WRITING)
        services._apply_outcomes(
            run, batch, rows, [RowResult(ok=True, record_id=f"ns-{r.primary_key}") for r in rows]
        )


def test_a_first_run_plans_every_row_as_added_in_batches_of_the_destinations_size(sync):
    run, result, rows = plan(sync())
    assert result.query_size == 5
    assert result.planned == {"added": 5, "changed": 0, "removed": 0}
    assert rows == {("added", str(n), "upsert") for n in range(1, 6)}
    assert sorted(RunBatch.objects.filter(run=run).values_list("number", flat=True)) == [1, 2, 3]
    values = PlannedRow.objects.get(batch__run=run, primary_key="1").values
    assert values == {"city": "paris", "name": "Company 1"}  # only the columns the mappings read


def test_a_run_with_no_change_plans_nothing(sync):
    s = sync()
    run, _, _ = plan(s)
    confirm_everything(run)
    _, result, rows = plan(s)
    assert result.planned == {"added": 0, "changed": 0, "removed": 0} and rows == set()


def test_changed_and_removed_rows_are_found_and_unmapped_columns_are_ignored(sync, warehouse):
    s = sync()
    confirm_everything(plan(s)[0])
    execute(warehouse, "UPDATE customers SET name = 'Renamed' WHERE id = 2")
    execute(warehouse, "UPDATE customers SET city = 'lyon' WHERE id = 3")  # read by the template
    execute(warehouse, "UPDATE customers SET unmapped = 'y' WHERE id = 4")  # read by no mapping
    execute(warehouse, "DELETE FROM customers WHERE id = 5")
    execute(warehouse, "INSERT INTO customers VALUES (6, 'New', 'paris', 'x')")
    _, result, rows = plan(s)
    assert rows == {
        ("changed", "2", "upsert"),
        ("changed", "3", "upsert"),
        ("added", "6", "upsert"),
        ("removed", "5", "delete"),
    }
    assert result.planned == {"added": 1, "changed": 2, "removed": 1}


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("upsert", {("changed", "2", "upsert")}),
        ("update", {("changed", "2", "update")}),
        ("insert", set()),
        ("archive", {("changed", "2", "upsert"), ("removed", "5", "archive")}),
    ],
)
def test_each_mode_sends_its_own_operations(sync, warehouse, mode, expected):
    s = sync(mode)
    confirm_everything(plan(s)[0])
    execute(warehouse, "UPDATE customers SET name = 'Renamed' WHERE id = 2")
    execute(warehouse, "DELETE FROM customers WHERE id = 5")
    assert plan(s)[2] == expected


def test_removed_rows_keep_their_record_id_for_the_delete(sync, warehouse):
    s = sync()
    confirm_everything(plan(s)[0])
    execute(warehouse, "DELETE FROM customers WHERE id = 5")
    run, _, _ = plan(s)
    assert PlannedRow.objects.get(batch__run=run, change="removed").record_id == "ns-5"


def test_null_and_duplicated_primary_keys_are_rejected_and_the_rest_goes_on(sync, warehouse):
    execute(warehouse, "INSERT INTO customers VALUES (NULL, 'No key', 'paris', 'x')")
    execute(warehouse, "INSERT INTO customers VALUES (2, 'Twin', 'paris', 'x')")
    _, result, rows = plan(sync())
    assert {key for _change, key, _op in rows} == {"1", "3", "4", "5"}
    codes = sorted((key, code) for key, _change, code, _message in result.rejected)
    assert codes == [("", "NULL_PRIMARY_KEY"), ("2", "DUPLICATE_PRIMARY_KEY"), ("2", "DUPLICATE_PRIMARY_KEY")]
    assert "appears on more than one row" in result.rejected[-1][3]


def test_a_full_resync_treats_every_row_as_added_and_ignores_removals(sync, warehouse):
    s = sync()
    confirm_everything(plan(s)[0])
    execute(warehouse, "DELETE FROM customers WHERE id = 5")
    _, result, rows = plan(s, full_resync=True)
    assert result.planned == {"added": 4, "changed": 0, "removed": 0}
    assert {change for change, _key, _op in rows} == {"added"}


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT * FROM no_such_table", "The model's query failed: .*no_such_table"),
        ("DELETE FROM customers", "must be a SELECT query; it is a DELETE statement"),
        ("SELECT 1; SELECT 2", "must be one query; it holds 2 statements"),
        ("SELECT name FROM customers", "The model has no column 'id'"),
    ],
)
def test_bad_sql_is_a_clear_message(sync, warehouse, sql, message):
    s = sync()
    s.model.sql = sql
    s.model.save()
    with pytest.raises(ModelQueryError, match=message):
        plan(s)
    assert warehouse.count() == 5  # nothing lost


@pytest.mark.parametrize("warehouse", ["postgresql"], indirect=True)
def test_a_query_failing_midway_through_the_stream_is_a_clear_message_and_a_clean_stop(sync, warehouse):
    s = sync()
    confirm_everything(plan(s)[0])
    s.model.sql = "SELECT * FROM customers WHERE 10 / (id - 3) <> 0"  # fails on the third row
    s.model.save()
    with pytest.raises(ModelQueryError, match="The model's query failed: division by zero"):
        plan(s)
    s.model.sql = "SELECT * FROM customers"
    s.model.save()
    assert plan(s)[2] == set()  # the snapshot is whole, and the app database's session still works


@pytest.mark.parametrize("warehouse", ["postgresql"], indirect=True)
@pytest.mark.parametrize(
    ("key_type", "keys"),
    [
        ("BIGINT", ["1", "2", "3"]),
        ("VARCHAR(40)", ["a-1", "b 2", "c\t3"]),
        (
            "UUID",
            [
                "0b6f8a1e-0000-4000-8000-000000000001",
                "0b6f8a1e-0000-4000-8000-000000000002",
                "0b6f8a1e-0000-4000-8000-000000000003",
            ],
        ),
        ("NUMERIC(12, 2)", ["1.50", "2.00", "3.25"]),
    ],
)
def test_postgresql_hashes_columns_of_every_type_and_reads_rows_back_by_any_key_type(
    sync, warehouse, key_type, keys
):
    """PostgreSQL hashes in the source: a change in a column of a type it cannot hash as such (json,
    arrays) or in the case of a text under a case-blind collation is still a change; the changed
    rows' values come back by key whatever the key's type; keys are kept as PostgreSQL writes them."""
    warehouse.execute("DROP TABLE customers")
    warehouse.execute(
        "CREATE COLLATION IF NOT EXISTS case_blind "
        "(provider = icu, locale = 'und-u-ks-level2', deterministic = false)"
    )
    warehouse.execute(
        f"CREATE TABLE customers (id {key_type}, name TEXT COLLATE case_blind, doc JSON, tags TEXT[], "
        "seen TIMESTAMPTZ, amount NUMERIC, unmapped TEXT)"
    )
    for n, key in enumerate(keys, start=1):
        warehouse.execute(
            f"INSERT INTO customers VALUES ('{key}', 'Acme {n}', '{{\"tier\": {n}}}', ARRAY['a', 'b'], "
            f"'2026-01-0{n} 10:00:00+00', {n}.5, 'x')"
        )
    mappings = [{"from": column, "to": f"custentity_{column}"} for column in ("name", "doc", "tags", "seen")]
    s = sync(mappings=[*mappings, {"from": "amount", "to": "custentity_amount"}])
    run, result, rows = plan(s)
    assert rows == {("added", key, "upsert") for key in keys}
    confirm_everything(run)
    assert plan(s)[2] == set()

    execute(warehouse, f"UPDATE customers SET doc = '{{\"tier\": 9}}' WHERE id = '{keys[0]}'")
    execute(warehouse, f"UPDATE customers SET tags = ARRAY['a', 'c'] WHERE id = '{keys[1]}'")
    execute(warehouse, f"UPDATE customers SET name = 'ACME 3' WHERE id = '{keys[2]}'")
    execute(warehouse, "UPDATE customers SET unmapped = 'y'")
    run, result, rows = plan(s)
    assert rows == {("changed", key, "upsert") for key in keys}
    values = {row.primary_key: row.values for row in PlannedRow.objects.filter(batch__run=run)}
    assert values[keys[0]]["doc"] == {"$json": {"tier": 9}}
    assert values[keys[1]]["tags"] == {"$json": ["a", "c"]}
    assert values[keys[2]]["name"] == "ACME 3"


@pytest.mark.parametrize("lookup_rows", [planner.LOOKUP_ROWS, 0], ids=["by-key", "merged"])
def test_changed_rows_values_come_from_the_source_by_key_or_by_a_sorted_pass(
    sync, warehouse, monkeypatch, lookup_rows
):
    """Few changes are read back by key; many (here: any, with no lookup allowed) by one more pass of
    the source merged with the diff. Both give the same plan, with null and duplicated keys rejected."""
    monkeypatch.setattr(planner, "LOOKUP_ROWS", lookup_rows)
    s = sync()
    confirm_everything(plan(s)[0])
    execute(warehouse, "UPDATE customers SET name = 'Renamed ' || id WHERE id IN (2, 4)")
    execute(warehouse, "INSERT INTO customers VALUES (10, 'Ten', 'rome', 'x'), (7, 'Seven', 'oslo', 'x')")
    execute(warehouse, "INSERT INTO customers VALUES (NULL, 'No key', 'paris', 'x')")
    execute(warehouse, "INSERT INTO customers VALUES (3, 'Twin', 'nice', 'x')")
    run, result, rows = plan(s)
    assert rows == {("changed", "2", "upsert"), ("changed", "4", "upsert")} | {
        ("added", "7", "upsert"),
        ("added", "10", "upsert"),
    }
    values = {row.primary_key: row.values for row in PlannedRow.objects.filter(batch__run=run)}
    assert values == {
        "2": {"name": "Renamed 2", "city": "paris"},
        "4": {"name": "Renamed 4", "city": "paris"},
        "7": {"name": "Seven", "city": "oslo"},
        "10": {"name": "Ten", "city": "rome"},
    }
    # Key 3's new twin is refused; its unchanged sibling is what the destination holds already.
    assert sorted((key, code) for key, _change, code, _message in result.rejected) == [
        ("", "NULL_PRIMARY_KEY"),
        ("3", "DUPLICATE_PRIMARY_KEY"),
    ]
