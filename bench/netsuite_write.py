"""Write throughput of the NetSuite adapter against the NetSuite sandbox.

For SOAP (upsertList, 100 records a request) and REST (one record a request), at sandbox latencies
of 1 s and 100 ms, prints the rows per second achieved against the ceiling
(concurrency × records per request ÷ latency) and the writer's CPU time per 1,000 rows.

    .venv/bin/python bench/netsuite_write.py [--concurrency 5] [--seconds 20]

The writer is what a sync run uses: `concurrency` threads, each writing whole batches through
`NetSuiteAdapter.write_batch`, all sharing the account's concurrency limiter.
"""

import argparse
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "syncapp.settings")
os.environ.setdefault("SYNCAPP_DATA_DIR", tempfile.mkdtemp(prefix="syncapp-bench-"))

import django  # noqa: E402
import requests  # noqa: E402

django.setup()

from destinations.adapters import OutgoingRecord  # noqa: E402
from netsuite.adapter import NetSuiteAdapter  # noqa: E402

ACCOUNT = "7654321_SB1"
MAX_ROWS = 20_000
CREDENTIALS = {
    "consumer_key": "bench-consumer-key",
    "consumer_secret": "bench-consumer-secret",
    "token_id": "bench-token-id",
    "token_secret": "bench-token-secret",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def control(base_url: str, path: str, body: dict | None = None) -> dict:
    url = f"{base_url}/_sandbox/{path}"
    response = requests.get(url, timeout=30) if body is None else requests.post(url, json=body, timeout=30)
    response.raise_for_status()
    return response.json() if response.content else {}


def start_sandbox(workdir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "netsuite_sandbox",
            "--port",
            str(port),
            "--db",
            str(workdir / "ns.sqlite3"),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            control(base_url, "stats")
            return process, base_url
        except requests.ConnectionError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("the NetSuite sandbox did not start")


def customers(start: int, count: int) -> list[OutgoingRecord]:
    return [
        OutgoingRecord(
            external_id=f"bench-{n}",
            fields={"companyName": f"Company {n}", "email": f"c{n}@example.com", "phone": "+1 555 0100"},
        )
        for n in range(start, start + count)
    ]


def run(api: str, latency_ms: int, concurrency: int, seconds: float, base_url: str) -> dict:
    control(base_url, "reset", {})
    control(
        base_url,
        "accounts",
        {
            "account_id": ACCOUNT,
            "concurrency_limit": concurrency,
            "tokens": [CREDENTIALS | {"permissions": "all"}],
        },
    )
    config = {"account_id": ACCOUNT, "api": api, "concurrency_limit": concurrency, "base_url": base_url}
    adapter = NetSuiteAdapter(config, CREDENTIALS)
    batch = adapter.batch_size("upsert")
    per_request = batch if api == "soap" else 1
    ceiling = concurrency * per_request / (latency_ms / 1000)
    # Enough rows to keep the writers busy for about `seconds` at the ceiling (at most MAX_ROWS).
    total = min(MAX_ROWS, max(round(ceiling * seconds), concurrency * per_request * 4))
    batches = [(start, min(batch, total - start)) for start in range(0, total, batch)]
    writer_threads = concurrency if api == "soap" else 1  # REST parallelises inside a batch

    adapter.write_batch(
        object_type="customer", operation="upsert", records=customers(-batch, batch)
    )  # warm-up
    control(base_url, "behaviour", {"latency_ms": latency_ms})
    cpu_before, wall_before = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    with ThreadPoolExecutor(max_workers=writer_threads) as pool:
        results = pool.map(
            lambda span: adapter.write_batch(
                object_type="customer", operation="upsert", records=customers(*span)
            ),
            batches,
        )
        written = sum(result.ok for batch_results in results for result in batch_results)
    wall = time.perf_counter() - wall_before
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    stats = control(base_url, "stats")["accounts"][ACCOUNT]
    rate = written / wall
    return {
        "api": api,
        "latency_ms": latency_ms,
        "rows": written,
        "seconds": round(wall, 2),
        "rows_per_second": round(rate, 1),
        "ceiling": round(ceiling, 1),
        "of_ceiling": f"{rate / ceiling:.0%}",
        "cpu_ms_per_1000_rows": round(cpu / written * 1_000_000, 1),
        "max_in_flight": stats["max_in_flight"],
        "limit_violations": stats["limit_violations"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=20, help="target length of each measurement")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        sandbox, base_url = start_sandbox(Path(workdir))
        try:
            print(
                f"{'api':5} {'latency':>8} {'rows':>7} {'rows/s':>8} {'ceiling':>8} {'of ceil':>8} "
                f"{'cpu ms/1k rows':>15} {'max in flight':>14} {'violations':>11}"
            )
            for api in ("soap", "rest"):
                for latency_ms in (1000, 100):
                    r = run(api, latency_ms, args.concurrency, args.seconds, base_url)
                    print(
                        f"{r['api']:5} {r['latency_ms']:>6}ms {r['rows']:>7} {r['rows_per_second']:>8} "
                        f"{r['ceiling']:>8} {r['of_ceiling']:>8} {r['cpu_ms_per_1000_rows']:>15} "
                        f"{r['max_in_flight']:>14} {r['limit_violations']:>11}",
                        flush=True,
                    )
        finally:
            sandbox.terminate()
            sandbox.wait(timeout=10)


if __name__ == "__main__":
    main()
