"""``hub sync``: a thin command over :func:`hub.sync.run_sync`, with live progress."""

from __future__ import annotations

import asyncio
import sys

import click

from ..errors import ConfigError, HubError
from ..i18n import ngettext
from ..live import interruptible, say
from ..progress import TerminalProgress
from ..registry import sync_registry
from ..safe_text import terminal_text
from ..sync import (
    check_networks,
    interrupted_line,
    not_synced_line,
    run_sync,
    select_accounts,
    without_tokens,
)
from .common import Context, pass_ctx, warn_overdue


@click.command()
@click.argument("account_ids", nargs=-1)
@click.option("--network", help="Only accounts of this network.")
@click.option("--full", is_flag=True, help="Re-read every post and comment, ignoring cursors.")
@pass_ctx
def sync(obj: Context, account_ids, network, full):
    """Sync posts and comments of ACCOUNT_IDS (default: every account)."""
    config = obj.config()
    accounts = select_accounts(config, account_ids, network)
    check_networks(obj.pm, config, accounts)
    ready, missing = without_tokens(accounts, config)  # skipped as the daemon parks them, all named
    if missing and not ready:  # nothing to sync: one line, and no database is written
        raise ConfigError(not_synced_line(missing))
    if missing:
        say(terminal_text(not_synced_line(missing)), err=True)
    store = obj.store(config)
    sync_registry(store, config)  # accounts new to the config open their notices
    runs = _sync_showing_progress(obj, store, config, ready, full)
    warn_overdue(store)
    failed = len([r for r in runs if not r.ok]) + len(missing)
    total = len(runs) + len(missing)
    if failed:
        raise HubError(
            ngettext(
                "{failed} of {total} account did not sync",
                "{failed} of {total} accounts did not sync",
                total,
            ).format(failed=failed, total=total)
        )


def _sync_showing_progress(obj: Context, store, config, ready, full: bool) -> list:
    """Sync ``ready``, printing each account's line as soon as it is recorded."""
    runs: list = []
    with (
        interruptible(lambda: interrupted_line(runs, len(ready))),
        TerminalProgress(sys.stderr) as progress,
    ):

        def done(run) -> None:
            runs.append(run)
            progress.say(terminal_text(run.summary()), sys.stdout)  # may quote a network

        returned = []
        if ready:
            returned = asyncio.run(
                run_sync(
                    store,
                    obj.pm,
                    config,
                    ready,
                    full=full,
                    progress=progress.update,
                    on_done=done,
                    waiting=progress.waiting,
                )
            )
        for run in returned:
            if not any(r is run for r in runs):
                done(run)
    return runs
