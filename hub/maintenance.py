"""Keeping the database healthy: a consistent online backup, and an integrity check."""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import stat
import tempfile
from pathlib import Path

from .errors import ConfigError
from .store import Store

#: what SQLite may leave beside a half-written copy
SIDE_FILES = ("-journal", "-wal", "-shm")


def backup_database(store: Store, target: Path) -> int:
    """A consistent online copy (SQLite's backup API), written beside and then moved in place.

    The copy is written to ``.TARGET.PID.XXXX.partial`` in the target's folder (a rename
    within one file system is atomic) and given the database's own permissions. A
    backup killed midway (SIGKILL, a power cut) cannot clean up after itself, so each
    backup first removes the partial files that earlier backups to the same target
    left, those whose process is gone.
    """
    if target.exists() and target.is_dir():
        raise ConfigError(f"{target} is a folder; give a file name for the backup")
    partial: Path | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_partials(target)
        fd, name = tempfile.mkstemp(
            prefix=f".{target.name}.{os.getpid()}.", suffix=".partial", dir=target.parent
        )
        os.close(fd)
        partial = Path(name)
        copy = sqlite3.connect(str(partial))
        try:
            with copy:
                store.db.conn.backup(copy)
            pages = copy.execute("PRAGMA page_count").fetchone()[0]
        finally:
            copy.close()
        if store.path is not None:  # else mkstemp's 0600; after the copy, which a 0444
            with contextlib.suppress(OSError):  # database's mode would have refused
                partial.chmod(stat.S_IMODE(Path(store.path).stat().st_mode))
        os.replace(partial, target)
    except (OSError, sqlite3.Error) as exc:
        if partial is not None:
            _remove_with_side_files(partial)
        raise ConfigError(f"cannot write the backup to {target}: {exc}") from None
    return pages


def remove_stale_partials(target: Path) -> list[Path]:
    """Delete the partial copies of ``target`` whose backup process no longer runs.

    Only files this module names are touched: ``.TARGET.PID.*.partial`` (and the
    ``TARGET.partial`` of earlier versions), with their SQLite side files. A partial
    file of a backup still running (its process alive) is left alone.
    """
    own = re.compile(rf"\.{re.escape(target.name)}\.(\d+)\.[^/]*\.partial")
    removed = []
    for path in target.parent.iterdir():
        match = own.fullmatch(path.name)
        stale = match is not None and not _running(int(match.group(1)))
        if stale or path.name == f"{target.name}.partial":
            _remove_with_side_files(path)
            removed.append(path)
    return removed


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return False  # this process is not writing one yet: it is about to
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _remove_with_side_files(path: Path) -> None:
    for suffix in ("", *SIDE_FILES):
        with contextlib.suppress(FileNotFoundError):
            path.with_name(path.name + suffix).unlink()


def check_database(store: Store) -> list[str]:
    """Problems found by SQLite's integrity and foreign-key checks (empty: all is well)."""
    problems = [r[0] for r in store.db.execute("PRAGMA integrity_check") if r[0] != "ok"]
    for table, rowid, parent, _fk in store.db.execute("PRAGMA foreign_key_check"):
        problems.append(f"{table} row {rowid} points at a missing {parent} row")
    return problems
