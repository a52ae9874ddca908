"""Call counts and per-account concurrency: what `GET /_sandbox/stats` reports.

The sandbox runs on one event loop, so admitting and releasing a request are exact: nothing else
runs between the check against the limit and the increment.
"""

from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class AccountStats:
    max_in_flight: int = 0
    in_flight: int = 0
    limit_violations: int = 0
    requests: int = 0


class Stats:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.faults: Counter[str] = Counter()
        self.accounts: dict[str, AccountStats] = {}

    def call(self, name: str) -> None:
        self.calls[name] += 1

    def fault(self, kind: str) -> None:
        self.faults[kind] += 1

    def admit(self, account_id: str, limit: int) -> bool:
        """Count a request in flight, or (over the limit) count a violation and refuse it."""
        stats = self.accounts.setdefault(account_id, AccountStats())
        stats.requests += 1
        if stats.in_flight >= limit:
            stats.limit_violations += 1
            return False
        stats.in_flight += 1
        stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
        return True

    def release(self, account_id: str) -> None:
        self.accounts[account_id].in_flight -= 1

    def reset(self, account_id: str | None = None) -> None:
        """Zero the counters; requests still in flight stay counted until they finish."""
        if account_id is None:
            self.calls.clear()
            self.faults.clear()
        for key, stats in self.accounts.items():
            if account_id in (None, key):
                self.accounts[key] = AccountStats(max_in_flight=stats.in_flight, in_flight=stats.in_flight)

    def as_json(self) -> dict[str, Any]:
        return {
            "calls": dict(self.calls),
            "faults": dict(self.faults),
            "accounts": {key: asdict(stats) for key, stats in self.accounts.items()},
        }
