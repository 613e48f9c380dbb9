"""``hub db backup|check|migrate``: thin commands over hub.maintenance and the store."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import HubError
from ..i18n import _, ngettext
from ..maintenance import backup_database, check_database
from .common import Context, pass_ctx


@click.group()
def db():
    """The database: an online backup and an integrity check."""


@db.command(name="backup")
@click.argument("target", type=click.Path(dir_okay=False))
@pass_ctx
def db_backup(obj: Context, target):
    """Write a consistent copy of the database to TARGET while the hub keeps running."""
    config = obj.config()
    store = obj.store(config, create=False)
    pages = backup_database(store, Path(target))
    click.echo(
        ngettext(
            "backed up {db} to {target} ({n} page)",
            "backed up {db} to {target} ({n} pages)",
            pages,
        ).format(db=config.db_path, target=target, n=pages)
    )


@db.command(name="check")
@pass_ctx
def db_check(obj: Context):
    """Check the database's integrity and its foreign keys."""
    config = obj.config()
    problems = check_database(obj.store(config, create=False))
    if problems:
        for problem in problems:
            click.echo(_("PROBLEM: {problem}").format(problem=problem))
        raise HubError(
            ngettext(
                "{db} has {n} problem, listed above",
                "{db} has {n} problems, listed above",
                len(problems),
            ).format(db=config.db_path, n=len(problems))
        )
    click.echo(_("{db}: integrity ok, foreign keys ok").format(db=config.db_path))


@db.command(name="migrate")
@pass_ctx
def db_migrate(obj: Context):
    """Bring the database's schema up to this version (any command that writes does it too)."""
    config = obj.config()
    store = obj.store(config, create=False, readonly=False)
    done = store.db.execute("SELECT COUNT(*) FROM _hub_migrations").fetchone()[0]
    click.echo(
        ngettext(
            "{db}: the schema is up to date ({n} migration)",
            "{db}: the schema is up to date ({n} migrations)",
            done,
        ).format(db=config.db_path, n=done)
    )
