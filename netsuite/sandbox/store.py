"""The sandbox's SQLite store: account configurations and records, one JSON document per record.

One connection, used from the event loop's thread only. Each SOAP or REST call runs in one
transaction (`with store.transaction():`), so a list operation's records land together.
"""

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    account_id TEXT PRIMARY KEY,
    config TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS records (
    account TEXT NOT NULL,
    type TEXT NOT NULL,
    internal_id INTEGER NOT NULL,
    external_id TEXT,
    fields TEXT NOT NULL,
    PRIMARY KEY (account, internal_id)
);
CREATE UNIQUE INDEX IF NOT EXISTS records_by_external_id ON records (account, type, external_id);
CREATE INDEX IF NOT EXISTS records_by_type ON records (account, type, internal_id);
"""
FIRST_INTERNAL_ID = 100


@dataclass
class StoredRecord:
    type: str
    internal_id: str
    external_id: str | None
    fields: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {"internalId": self.internal_id, "externalId": self.external_id, "fields": self.fields}


class Store:
    def __init__(self, path: str | Path) -> None:
        self.db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=True)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        self._next_ids: dict[str, int] = {}
        self._depth = 0

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self.db.execute("BEGIN")
        self._depth = 1
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            self._next_ids.clear()  # ids handed out in the rolled-back transaction are free again
            raise
        else:
            self.db.execute("COMMIT")
        finally:
            self._depth = 0

    # Accounts

    def save_account(self, account_id: str, config: dict[str, Any]) -> None:
        self.db.execute(
            "INSERT INTO accounts (account_id, config) VALUES (?, ?) "
            "ON CONFLICT (account_id) DO UPDATE SET config = excluded.config",
            (account_id, json.dumps(config)),
        )

    def account_configs(self) -> list[dict[str, Any]]:
        return [
            json.loads(row[0]) for row in self.db.execute("SELECT config FROM accounts ORDER BY account_id")
        ]

    def delete_accounts(self) -> None:
        self.db.execute("DELETE FROM accounts")

    # Records

    def find(
        self, account: str, rtype: str, *, internal_id: str | None = None, external_id: str | None = None
    ) -> StoredRecord | None:
        if internal_id is not None:
            if not internal_id.isdigit():
                return None
            row = self.db.execute(
                "SELECT internal_id, external_id, fields FROM records WHERE account = ? AND internal_id = ? "
                "AND type = ?",
                (account, int(internal_id), rtype),
            ).fetchone()
        elif external_id is not None:
            row = self.db.execute(
                "SELECT internal_id, external_id, fields FROM records WHERE account = ? AND type = ? "
                "AND external_id = ?",
                (account, rtype, external_id),
            ).fetchone()
        else:
            return None
        if row is None:
            return None
        return StoredRecord(rtype, str(row[0]), row[1], json.loads(row[2]))

    def internal_id_taken(self, account: str, internal_id: str) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM records WHERE account = ? AND internal_id = ?", (account, int(internal_id))
        ).fetchone()
        return row is not None

    def insert(
        self,
        account: str,
        rtype: str,
        external_id: str | None,
        fields: dict[str, Any],
        internal_id: str | None = None,
    ) -> StoredRecord:
        new_id = int(internal_id) if internal_id is not None else self._next_id(account)
        self.db.execute(
            "INSERT INTO records (account, type, internal_id, external_id, fields) VALUES (?, ?, ?, ?, ?)",
            (account, rtype, new_id, external_id, json.dumps(fields)),
        )
        return StoredRecord(rtype, str(new_id), external_id, fields)

    def update(self, account: str, record: StoredRecord) -> None:
        self.db.execute(
            "UPDATE records SET external_id = ?, fields = ? WHERE account = ? AND internal_id = ?",
            (record.external_id, json.dumps(record.fields), account, int(record.internal_id)),
        )

    def delete(self, account: str, internal_id: str) -> None:
        self.db.execute(
            "DELETE FROM records WHERE account = ? AND internal_id = ?", (account, int(internal_id))
        )

    def list(
        self, account: str, rtype: str, *, limit: int | None = None, offset: int = 0
    ) -> list[StoredRecord]:
        rows = self.db.execute(
            "SELECT internal_id, external_id, fields FROM records WHERE account = ? AND type = ? "
            "ORDER BY internal_id LIMIT ? OFFSET ?",
            (account, rtype, -1 if limit is None else limit, offset),
        )
        return [StoredRecord(rtype, str(row[0]), row[1], json.loads(row[2])) for row in rows]

    def count(self, account: str, rtype: str) -> int:
        return self.db.execute(
            "SELECT count(*) FROM records WHERE account = ? AND type = ?", (account, rtype)
        ).fetchone()[0]

    def clear_records(self, account: str | None = None) -> None:
        if account is None:
            self.db.execute("DELETE FROM records")
            self._next_ids.clear()
        else:
            self.db.execute("DELETE FROM records WHERE account = ?", (account,))
            self._next_ids.pop(account, None)

    def _next_id(self, account: str) -> int:
        if account not in self._next_ids:
            row = self.db.execute(
                "SELECT max(internal_id) FROM records WHERE account = ?", (account,)
            ).fetchone()
            self._next_ids[account] = max(FIRST_INTERNAL_ID, (row[0] or 0) + 1)
        new_id = self._next_ids[account]
        self._next_ids[account] = new_id + 1
        return new_id
