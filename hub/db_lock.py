"""Who holds the database: the line a write that waited out SQLite's busy timeout prints.

SQLite says only "database is locked". The hub has one long-running writer, the
daemon, and an operator's command waiting 10 seconds behind it should say so, and
with the process's id, so a person knows whether to wait or to stop it. The holder is
found the way ``fuser`` does: the processes with the database (or its ``-wal``) open,
read from ``/proc``. Other users' processes are hidden from a non-root user, so when
none is visible the line still names the likely one.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from .errors import HubError

PROC = Path("/proc")


class DatabaseLockedError(HubError):
    """Another process held the write lock past the busy timeout; nothing was written."""


def is_locked(exc: BaseException) -> bool:
    """SQLite's "database is locked" (SQLITE_BUSY) or "database table is locked"."""
    return isinstance(exc, sqlite3.OperationalError) and "is locked" in str(exc)


def holders(db_path: Path) -> list[tuple[int, str]]:
    """(pid, command line) of the other processes that have the database open."""
    wanted = set()
    for suffix in ("", "-wal"):
        with contextlib.suppress(OSError):
            wanted.add(os.path.realpath(f"{db_path}{suffix}"))
    found = []
    try:
        pids = [int(p.name) for p in PROC.iterdir() if p.name.isdigit()]
    except OSError:  # no /proc (not Linux)
        return []
    for pid in sorted(pids):
        if pid == os.getpid():
            continue
        try:
            fds = list((PROC / str(pid) / "fd").iterdir())
        except OSError:  # gone, or another user's
            continue
        for fd in fds:
            with contextlib.suppress(OSError):
                if os.readlink(fd) in wanted:
                    found.append((pid, _command(pid)))
                    break
    return found


def _command(pid: int) -> str:
    """``hub daemon --metrics-port 9464`` (the program's name without its folder)."""
    try:
        raw = (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return "?"
    args = [a.decode("utf-8", "replace") for a in raw.split(b"\0") if a]
    if not args:
        return "?"
    args[0] = os.path.basename(args[0])
    if len(args) > 2 and args[0].startswith("python") and args[1] == "-m":
        args = args[2:]  # python -m hub daemon → hub daemon
    text = " ".join(" ".join(args).split())  # one line: a 'python -c' script has newlines
    return text if len(text) <= 60 else text[:59] + "…"


def locked_message(db_path: Path, timeout_ms: int) -> str:
    """One line: the database, who holds it, and what to do."""
    found = holders(db_path)
    if found:
        who = "it is open in " + ", ".join(f"pid {pid} ({cmd})" for pid, cmd in found[:3])
    else:
        who = "another hub process holds it (the daemon?)"
    return (
        f"database {db_path} is still locked after {timeout_ms / 1000:g} s: {who}; try again "
        "in a moment, or stop that process first (the daemon: systemctl stop hub)"
    )
