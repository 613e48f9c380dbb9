"""The Gospabliki stub's own SQLite file: reports, notices and idempotency keys.

Why its own file and not the hub's database: the stub stands in for a remote
service, so nothing it stores may be visible to the hub except through the API.
One connection serves every request thread behind a lock, and each filed report is
one ``BEGIN IMMEDIATE`` transaction that looks the key up and writes the report, its
notices and the key together: two concurrent retries of the same report (or two
stub processes on one file) can neither both store it nor store half of it. WAL
keeps the read endpoints and ``sqlite3`` in a terminal from blocking a write.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar

from hub.gospabliki.schema import canonical_json, report_counts

SCHEMA_VERSION = 1
T = TypeVar("T")
Outcome = Literal["stored", "replayed", "conflict"]

_TABLES = """
CREATE TABLE IF NOT EXISTS reports (
    receipt       TEXT PRIMARY KEY,
    municipality  TEXT NOT NULL,
    generated_at  TEXT NOT NULL,
    received_at   TEXT NOT NULL,
    organizations INTEGER NOT NULL,
    accounts      INTEGER NOT NULL,
    statistics    INTEGER NOT NULL,
    notices       INTEGER NOT NULL,
    body          TEXT NOT NULL  -- the report as received (canonical JSON)
);
CREATE INDEX IF NOT EXISTS reports_by_municipality ON reports (municipality, received_at);
CREATE TABLE IF NOT EXISTS notices (
    municipality TEXT NOT NULL,
    id           TEXT NOT NULL,
    kind         TEXT NOT NULL,
    organization TEXT NOT NULL,
    account      TEXT,
    occurred_at  TEXT NOT NULL,
    due          TEXT NOT NULL,
    details      TEXT NOT NULL,
    receipt      TEXT NOT NULL REFERENCES reports (receipt),  -- the first that acknowledged it
    received_at  TEXT NOT NULL,
    PRIMARY KEY (municipality, id)
);
CREATE TABLE IF NOT EXISTS idempotency (
    key          TEXT PRIMARY KEY,
    body_sha256  TEXT NOT NULL,
    receipt      TEXT NOT NULL REFERENCES reports (receipt),
    response     TEXT NOT NULL,  -- the 201 body, answered again verbatim on a replay
    created_at   TEXT NOT NULL
);
"""


class StubStoreError(Exception):
    """The file is not a stub database this version can use."""


class StubStore:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self.open()

    def open(self) -> None:
        """Open (again, after :meth:`close`) and create or check the tables."""
        if self._conn is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=10)
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StubStoreError(
                    f"{self.path} was written by a newer Gospabliki stub (schema {version})"
                )
            if version < SCHEMA_VERSION:
                conn.executescript(_TABLES + f"PRAGMA user_version = {SCHEMA_VERSION};")
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StubStoreError(f"{self.path} is not a usable SQLite database ({exc})") from None
        except BaseException:
            conn.close()
            raise
        self._conn = conn

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _run(self, work: Callable[[sqlite3.Connection], T], *, write: bool = False) -> T:
        with self._lock:
            if self._conn is None:
                raise StubStoreError("the stub database is closed")
            conn = self._conn
            if not write:
                return work(conn)
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = work(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return result

    # ------------------------------------------------------------------ writes

    def file_report(
        self,
        *,
        key: str,
        body_sha256: str,
        report: dict[str, Any],
        receipt: str,
        received_at: str,
    ) -> tuple[Outcome, dict[str, Any] | None]:
        """Store a report under an idempotency key, or say why not, in one transaction.

        A known key with the same body hash answers the first response again
        (``replayed``); with another hash, ``conflict`` and nothing changes.
        A notice already acknowledged keeps its first receipt, yet is acknowledged
        again, so a client that lost the first answer still marks it sent.
        """

        def work(conn: sqlite3.Connection) -> tuple[Outcome, dict[str, Any] | None]:
            row = conn.execute(
                "SELECT body_sha256, response FROM idempotency WHERE key = ?", [key]
            ).fetchone()
            if row is not None:
                if row["body_sha256"] != body_sha256:
                    return "conflict", None
                return "replayed", json.loads(row["response"])
            counts = report_counts(report)
            conn.execute(
                "INSERT INTO reports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    receipt,
                    report["municipality"],
                    report["generated_at"],
                    received_at,
                    counts["organizations"],
                    counts["accounts"],
                    counts["statistics"],
                    counts["notices"],
                    canonical_json(report),
                ],
            )
            conn.executemany(
                "INSERT OR IGNORE INTO notices VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    [
                        report["municipality"],
                        notice["id"],
                        notice["kind"],
                        notice["organization"],
                        notice.get("account"),
                        notice["occurred_at"],
                        notice["due"],
                        canonical_json(notice.get("details") or {}),
                        receipt,
                        received_at,
                    ]
                    for notice in report["notices"]
                ],
            )
            response = {
                "receipt": receipt,
                "received_at": received_at,
                "notices_acknowledged": [notice["id"] for notice in report["notices"]],
            }
            conn.execute(
                "INSERT INTO idempotency VALUES (?, ?, ?, ?, ?)",
                [key, body_sha256, receipt, canonical_json(response), received_at],
            )
            return "stored", response

        return self._run(work, write=True)

    # ------------------------------------------------------------------ reads

    def list_reports(self, *, municipality: str | None, limit: int) -> list[dict[str, Any]]:
        """Newest first: what ``GET /reports`` lists."""
        sql = "SELECT * FROM reports"
        params: list[Any] = []
        if municipality is not None:
            sql += " WHERE municipality = ?"
            params.append(municipality)
        sql += " ORDER BY received_at DESC, rowid DESC LIMIT ?"
        params.append(limit)
        rows = self._run(lambda conn: conn.execute(sql, params).fetchall())
        return [
            {
                "receipt": row["receipt"],
                "municipality": row["municipality"],
                "generated_at": row["generated_at"],
                "received_at": row["received_at"],
                "counts": {
                    name: row[name]
                    for name in ("organizations", "accounts", "statistics", "notices")
                },
            }
            for row in rows
        ]

    def get_report(self, receipt: str) -> dict[str, Any] | None:
        def work(conn: sqlite3.Connection) -> tuple[Any, Any]:
            row = conn.execute("SELECT * FROM reports WHERE receipt = ?", [receipt]).fetchone()
            key = conn.execute(
                "SELECT key FROM idempotency WHERE receipt = ?", [receipt]
            ).fetchone()
            return row, key

        row, key = self._run(work)
        if row is None:
            return None
        return {
            "receipt": row["receipt"],
            "municipality": row["municipality"],
            "received_at": row["received_at"],
            "idempotency_key": key["key"] if key is not None else None,
            "report": json.loads(row["body"]),
        }

    def list_notices(self, *, municipality: str | None) -> list[dict[str, Any]]:
        """Oldest first, as the regional centre works through them."""
        sql = "SELECT * FROM notices"
        params: list[Any] = []
        if municipality is not None:
            sql += " WHERE municipality = ?"
            params.append(municipality)
        sql += " ORDER BY received_at, rowid"
        rows = self._run(lambda conn: conn.execute(sql, params).fetchall())
        return [
            {
                "id": row["id"],
                "municipality": row["municipality"],
                "kind": row["kind"],
                "organization": row["organization"],
                "account": row["account"],
                "occurred_at": row["occurred_at"],
                "due": row["due"],
                "details": json.loads(row["details"]),
                "receipt": row["receipt"],
                "received_at": row["received_at"],
            }
            for row in rows
        ]

    def counts(self) -> dict[str, int]:
        def work(conn: sqlite3.Connection) -> dict[str, int]:
            return {
                table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("reports", "notices", "idempotency")
            }

        return self._run(work)
