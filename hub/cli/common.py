"""What every command shares: the run's context, who runs it, the database, failures.

A command that only reads (:data:`READ_ONLY_COMMANDS`) works for a user who may only
read the database — an operator in the hub's group on the server: it opens it
read-only and writes nothing, not even at start-up, so it cannot fail with "attempt to
write a readonly database". Run by a user who can write it (the hub's own user), the
same command opens it as before: the schema is upgraded and the config synced into it,
so what it shows is never behind the config. Read-only, it shows what the hub last
synced (the daemon, as the hub's user, brings config changes into it as it runs).

Expected failures (a broken config, a bad token, an unknown account) print one line
``hub: error: ...`` and exit non-zero (:func:`run`); no traceback reaches the user.
"""

from __future__ import annotations

import getpass
import json
import os
import sqlite3
import sys
from pathlib import Path
from typing import Any

import click

from .. import plugins
from .. import store as store_module
from ..actions.unfinished import stuck_warning
from ..appeals.service import overdue_warning as appeals_warning
from ..config import Config, load_config
from ..db_lock import is_locked, locked_message
from ..errors import HubError
from ..i18n import _
from ..registry import overdue_warning
from ..safe_text import terminal_text
from ..secrets import redact
from ..store import Store

#: commands (their path under ``hub``) that never write the database
READ_ONLY_COMMANDS = frozenset(
    {
        "accounts list",
        "comments list",
        "moderation queue",
        "moderation log",
        "moderation stuck",
        "appeals list",
        "appeals show",
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


class Context:
    """``ctx.obj`` of every command: the global options, the config and plugins on demand."""

    def __init__(self, config: str | None, db: str | None):
        self.config_option = config
        self.db_option = db
        self._pm = None

    @property
    def pm(self):
        if self._pm is None:
            self._pm = plugins.make_plugin_manager()
        return self._pm

    def config(self) -> Config:
        return load_config(self.config_option, self.db_option)

    def store(self, config: Config, *, create: bool = True, readonly: bool | None = None) -> Store:
        """Read-only for a command that only reads, run by a user who cannot write the file."""
        return open_store(config.db_path, create=create, readonly=readonly)


pass_ctx = click.make_pass_decorator(Context)


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


def warn_overdue(store: Store) -> None:
    """Every run's summary ends with overdue notices and stuck actions, if any."""
    for warning in (overdue_warning(store), stuck_warning(store), appeals_warning(store)):
        if warning:
            click.echo(_("warning: {message}").format(message=warning), err=True)


def run(command: click.Command, argv: list[str] | None) -> None:
    """Run ``command`` as ``hub``: an expected failure is one line and an exit code."""
    try:
        command.main(args=argv, prog_name="hub", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo(_("hub: interrupted"), err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except HubError as exc:
        click.echo(
            _("hub: error: {message}").format(message=terminal_text(redact(str(exc)))), err=True
        )
        sys.exit(exc.exit_code)
    except sqlite3.Error as exc:
        if is_locked(exc) and OPENED:  # waited out the busy timeout: say who holds it
            line = redact(database_error_line(exc))
            click.echo(_("hub: error: {message}").format(message=line), err=True)
            sys.exit(1)
        click.echo(
            _(
                "hub: error: database: {message} (is another hub writing to it, "
                "or is the file read-only?)"
            ).format(message=redact(str(exc))),
            err=True,
        )
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo(_("hub: interrupted"), err=True)
        sys.exit(130)


def echo_json(value: Any) -> None:
    """JSON for a terminal: control and bidi characters as JSON's own \\u escapes."""
    click.echo(terminal_text(json.dumps(value, ensure_ascii=False, indent=2, default=str)))
