"""Keeping the database healthy: a consistent online backup, and an integrity check."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from .errors import ConfigError
from .store import Store


def backup_database(store: Store, target: Path) -> int:
    """A consistent online copy (SQLite's backup API), written beside and then moved in place."""
    if target.exists() and target.is_dir():
        raise ConfigError(f"{target} is a folder; give a file name for the backup")
    partial = target.with_name(target.name + ".partial")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        copy = sqlite3.connect(str(partial))
        with copy:
            store.db.conn.backup(copy)
        pages = copy.execute("PRAGMA page_count").fetchone()[0]
        copy.close()
        partial.replace(target)
    except (OSError, sqlite3.Error) as exc:
        partial.unlink(missing_ok=True)
        raise ConfigError(f"cannot write the backup to {target}: {exc}") from None
    return pages


def check_database(store: Store) -> list[str]:
    """Problems found by SQLite's integrity and foreign-key checks (empty: all is well)."""
    problems = [r[0] for r in store.db.execute("PRAGMA integrity_check") if r[0] != "ok"]
    for table, rowid, parent, _fk in store.db.execute("PRAGMA foreign_key_check"):
        problems.append(f"{table} row {rowid} points at a missing {parent} row")
    return problems
