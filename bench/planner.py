"""The planner against a PostgreSQL model of 1,000,000 rows × 10 columns.

Prints, for 100,000 and 1,000,000 rows: the time to merely read the rows with the same driver
(psycopg through SQLAlchemy, streamed), the time to plan a first run, the time to plan a run where
1% of the rows changed, then one where half of them changed, and each step's peak memory (its own
process's maximum RSS). Targets: the 1%-changed plan takes at most 2× the bare read; peak memory
stays under 300 MB and grows less than 25% from 100,000 to 1,000,000 rows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/planner.py

The app database (DATABASE_URL, PostgreSQL) holds the snapshot; the warehouse is the same server's
database unless --warehouse-url says otherwise. The bench's tables and rows are dropped at the end.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TABLE = "bench_planner_rows"


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "syncapp.settings")
    import django

    django.setup()


def warehouse_engine(url: str):
    import sqlalchemy

    return sqlalchemy.create_engine(url)


def make_table(url: str, rows: int) -> None:
    import sqlalchemy

    with warehouse_engine(url).begin() as conn:
        conn.execute(sqlalchemy.text(f"DROP TABLE IF EXISTS {TABLE}"))
        conn.execute(
            sqlalchemy.text(
                f"""CREATE TABLE {TABLE} AS SELECT n AS id, 'name ' || n AS c1, 'city ' || (n % 500) AS c2,
                n * 3 AS c3, (n % 1000) / 7.0 AS c4, n % 2 = 0 AS c5, DATE '2020-01-01' + (n % 1500) AS c6,
                md5(n::text) AS c7, 'x' AS c8, n % 97 AS c9 FROM generate_series(1, {rows}) AS n"""
            )
        )


def phase_read(url: str) -> dict:
    import sqlalchemy

    started = time.perf_counter()
    count = 0
    with warehouse_engine(url).connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=5000).execute(
            sqlalchemy.text(f"SELECT * FROM {TABLE}")
        )
        for chunk in result.partitions(5000):
            count += len(chunk)
    return {"rows": count, "seconds": time.perf_counter() - started}


def bench_sync(url: str):
    """The workspace, source, model, destination and sync the bench plans for (made once)."""
    from sqlalchemy.engine import make_url

    from destinations.models import Destination
    from models_catalog.models import Model, Source
    from syncapp.models import Workspace
    from syncs.models import Sync

    workspace, _ = Workspace.objects.get_or_create(slug="bench-planner", defaults={"name": "Bench"})
    parsed = make_url(url)
    source, _ = Source.objects.get_or_create(
        workspace=workspace,
        name="bench",
        defaults={
            "kind": "postgresql",
            "host": parsed.host,
            "port": parsed.port,
            "database": parsed.database,
            "username": parsed.username or "",
            "password": parsed.password or "",
        },
    )
    model, _ = Model.objects.get_or_create(
        workspace=workspace,
        slug="rows",
        defaults={"source": source, "name": "rows", "sql": f"SELECT * FROM {TABLE}", "primary_key": "id"},
    )
    destination, _ = Destination.objects.get_or_create(
        workspace=workspace, name="bench", defaults={"kind": "netsuite", "config": {"account_id": "1"}}
    )
    mappings = [{"from": f"c{n}", "to": f"field{n}"} for n in range(1, 10)]
    sync, _ = Sync.objects.get_or_create(
        workspace=workspace,
        slug="bench",
        defaults={
            "name": "bench",
            "model": model,
            "destination": destination,
            "config": {"object": "customer", "mode": "mirror", "mappings": mappings},
        },
    )
    return sync


def phase_plan(url: str) -> dict:
    setup_django()
    from syncs.models import SyncRun
    from syncs.planner import plan_run

    sync = bench_sync(url)
    run = SyncRun.objects.create(sync=sync, trigger="manual")
    started = time.perf_counter()
    plan = plan_run(run, batch_sizes={op: 100 for op in ("upsert", "insert", "update", "delete", "archive")})
    seconds = time.perf_counter() - started
    return {"rows": plan.query_size, "seconds": seconds, "planned": plan.planned, "run": run.pk}


def confirm(url: str, run_id: int) -> None:
    """Play the destination confirming every row of a run: its planned rows enter the snapshot."""
    setup_django()
    from django.db import connection

    from syncs.models import SyncRun

    sync_id = SyncRun.objects.get(pk=run_id).sync_id
    with connection.cursor() as cursor:
        cursor.execute(
            """DELETE FROM syncs_snapshotrow n USING syncs_plannedrow p, syncs_runbatch b
               WHERE n.sync_id = %s AND n.primary_key = p.primary_key
                 AND b.id = p.batch_id AND b.run_id = %s""",
            [sync_id, run_id],
        )
        cursor.execute(
            """INSERT INTO syncs_snapshotrow (sync_id, primary_key, row_hash, record_id)
               SELECT %s, p.primary_key, p.row_hash, p.primary_key FROM syncs_plannedrow p
               JOIN syncs_runbatch b ON b.id = p.batch_id WHERE b.run_id = %s""",
            [sync_id, run_id],
        )
        batches = "SELECT id FROM syncs_runbatch WHERE run_id = %s"
        cursor.execute(f"DELETE FROM syncs_plannedrow WHERE batch_id IN ({batches})", [run_id])
        cursor.execute("DELETE FROM syncs_runbatch WHERE run_id = %s", [run_id])


def forget(url: str) -> None:
    """Empty the bench sync's snapshot, so that its next plan is a first run."""
    setup_django()
    from syncs.models import SnapshotRow

    SnapshotRow.objects.filter(sync=bench_sync(url)).delete()


def cleanup(url: str) -> None:
    import sqlalchemy

    setup_django()
    from syncapp.models import Workspace

    Workspace.objects.filter(slug="bench-planner").delete()
    with warehouse_engine(url).begin() as conn:
        conn.execute(sqlalchemy.text(f"DROP TABLE IF EXISTS {TABLE}"))


def change_and_plan(url: str, where: str, expected: int) -> dict:
    """Change the rows matching `where`, plan, and confirm the plan."""
    import sqlalchemy

    with warehouse_engine(url).begin() as conn:
        conn.execute(sqlalchemy.text(f"UPDATE {TABLE} SET c1 = c1 || ' changed' WHERE {where}"))
    planned = in_subprocess("plan", url)
    in_subprocess("confirm", url, "--run", str(planned["run"]))
    assert planned["planned"]["changed"] == expected, planned["planned"]
    return planned


def in_subprocess(phase: str, url: str, *extra: str) -> dict:
    """Run one phase in a fresh process, so that its peak memory is its own."""
    output = subprocess.run(
        [sys.executable, __file__, "--phase", phase, "--warehouse-url", url, *extra],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
    parser.add_argument(
        "--warehouse-url", default=default_url.replace("postgres://", "postgresql+psycopg://", 1)
    )
    parser.add_argument("--phase", choices=["read", "plan", "confirm", "forget"], help=argparse.SUPPRESS)
    parser.add_argument("--run", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--sizes", default="100000,1000000")
    args = parser.parse_args()

    if args.phase:
        result = {
            "read": lambda: phase_read(args.warehouse_url),
            "plan": lambda: phase_plan(args.warehouse_url),
            "confirm": lambda: confirm(args.warehouse_url, args.run) or {},
            "forget": lambda: forget(args.warehouse_url) or {},
        }[args.phase]()
        result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return

    print(
        f"{'rows':>9} {'read s':>7} {'first plan s':>13} {'1% plan s':>10} {'1%/read':>8} {'50% plan s':>11} "
        f"{'read MB':>8} {'first MB':>9} {'1% MB':>7} {'50% MB':>7}"
    )
    peaks = {}
    try:
        for size in [int(n) for n in args.sizes.split(",")]:
            make_table(args.warehouse_url, size)
            read = in_subprocess("read", args.warehouse_url)
            in_subprocess("forget", args.warehouse_url)
            first = in_subprocess("plan", args.warehouse_url)
            in_subprocess("confirm", args.warehouse_url, "--run", str(first["run"]))
            changed = change_and_plan(args.warehouse_url, "id % 100 = 0", size // 100)
            half = change_and_plan(args.warehouse_url, "id % 2 = 0", size // 2)
            peaks[size] = max(first["peak_mb"], changed["peak_mb"], half["peak_mb"])
            print(
                f"{size:>9} {read['seconds']:>7.2f} {first['seconds']:>13.2f} {changed['seconds']:>10.2f} "
                f"{changed['seconds'] / read['seconds']:>7.2f}x {half['seconds']:>11.2f} "
                f"{read['peak_mb']:>8.0f} {first['peak_mb']:>9.0f} {changed['peak_mb']:>7.0f} "
                f"{half['peak_mb']:>7.0f}",
                flush=True,
            )
    finally:
        cleanup(args.warehouse_url)
    sizes = sorted(peaks)
    if len(sizes) > 1:
        growth = peaks[sizes[-1]] / peaks[sizes[0]] - 1
        print(f"peak memory growth from {sizes[0]:,} to {sizes[-1]:,} rows: {growth:.0%}")


if __name__ == "__main__":
    main()
