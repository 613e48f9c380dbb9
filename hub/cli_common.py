"""What several command groups share: who is running the command, and how it opens the database.

A command that only reads (:data:`READ_ONLY_COMMANDS`) works for a user who may only
read the database — an operator in the hub's group on the server: it opens it
read-only and writes nothing, not even at start-up, so it cannot fail with "attempt to
write a readonly database". Run by a user who can write it (the hub's own user), the
same command opens it as before: the schema is upgraded and the config synced into it,
so what it shows is never behind the config. Read-only, it shows what the hub last
synced (the daemon, as the hub's user, brings config changes into it as it runs).
"""

from __future__ import annotations

import getpass
import os
import sqlite3
from pathlib import Path

import click

from . import store as store_module
from .db_lock import is_locked, locked_message
from .errors import HubError
from .i18n import _
from .store import Store

#: commands (their path under ``hub``) that never write the database
READ_ONLY_COMMANDS = frozenset(
    {
        "accounts list",
        "comments list",
        "moderation queue",
        "moderation log",
        "moderation stuck",
        "notices",
        "orgs list",
        "responsible history",
        "registry export",
        "registry events",
        "compliance",
        "plan list",
        "plan show",
        "plan lint",
        "templates list",
        "db check",
        "db backup",
    }
)
#: the databases this process opened, newest last: a lock error names the one it waited on
OPENED: list[Path] = []


def command_path(ctx: click.Context | None = None) -> str:
    """``accounts list`` for ``hub --config x accounts list``."""
    ctx = ctx or click.get_current_context(silent=True)
    names = []
    while ctx is not None and ctx.parent is not None:
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    return " ".join(reversed(names))


def can_write(path: Path) -> bool:
    """This user may write the database and its folder (SQLite puts its -wal and -shm there)."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def open_store(path: Path, *, create: bool = True, readonly: bool | None = None) -> Store:
    """The database for the running command.

    ``readonly`` None: read-only if the command is in :data:`READ_ONLY_COMMANDS` and this
    user cannot write the database. True: read-only whoever runs it.
    """
    path = Path(path)
    if readonly is None:
        readonly = command_path() in READ_ONLY_COMMANDS and path.exists() and not can_write(path)
    store = Store.open(path, create=create, readonly=readonly)
    OPENED.append(path)
    return store


def database_error_line(exc: sqlite3.Error) -> str:
    """The one line for an SQLite error that reached the command line."""
    if is_locked(exc) and OPENED:
        return locked_message(OPENED[-1], store_module.BUSY_TIMEOUT_MS)
    return (
        f"database: {exc} (is another hub writing to it, or is the file read-only? "
        "commands that only read work on a read-only database)"
    )


def operator_name(by: str | None) -> str:
    """``--by``, else the login name: every approval, decision and attestation is signed."""
    try:
        return by or getpass.getuser()
    except (KeyError, OSError):  # no user name in a container: ask for --by
        raise HubError(_("cannot tell who you are; pass --by NAME")) from None
