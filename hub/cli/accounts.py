"""``hub accounts list|check``; the registry adds ``attest`` and ``adopt`` (:mod:`.registry`)."""

from __future__ import annotations

import asyncio

import click

from ..errors import HubError
from ..i18n import _, ngettext
from ..queries import account_rows
from ..safe_text import terminal_text
from ..secrets import redact
from ..sync import check_all, select_accounts
from ..sync.events import set_up_events
from .common import Context, echo_json, pass_ctx


@click.group()
def accounts():
    """Accounts declared in the config and what the last sync saw."""


@accounts.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@pass_ctx
def accounts_list(obj: Context, as_json):
    """List configured accounts with their synced names and last sync status."""
    config = obj.config()
    store = obj.store(config, create=False)
    if not store.readonly:  # read-only: the accounts as the hub last synced them
        store.sync_accounts_from_config(config.accounts)
    rows = account_rows(store, config)
    if as_json:  # page names come from the networks
        echo_json(rows)
        return
    for r in rows:
        click.echo(
            terminal_text(
                f"{r['id']:<20} {r['network']:<9} {r['external_id']:<12} "
                f"{r['posts']:>6} {ngettext('post', 'posts', r['posts'])} "
                f"{r['comments']:>7} {ngettext('comment', 'comments', r['comments'])}  "
                f"{r['last_status'] or _('never synced')}  {r['name'] or r['organization']}"
            )
        )


@accounts.command(name="check")
@click.argument("account_ids", nargs=-1)
@click.option(
    "--fix",
    is_flag=True,
    help="First switch on what the hub can itself (VK Long Poll and its events).",
)
@pass_ctx
def accounts_check(obj: Context, account_ids, fix):
    """Check every right the hub uses on ACCOUNT_IDS (default: every account).

    One line per right: ok, PROBLEM (with what to do) or not checked (the network
    cannot tell without doing it); exit 1 if any PROBLEM."""
    config = obj.config()
    chosen = select_accounts(config, account_ids)
    fixed = asyncio.run(set_up_events(obj.pm, config, chosen)) if fix else []
    results = asyncio.run(check_all(obj.pm, config, chosen))
    first = {a.id: [f for b, f in fixed if b.id == a.id] for a in chosen}  # what --fix did
    results = [(a, [*first[a.id], *findings]) for a, findings in results]
    statuses = {"ok": _("ok"), "PROBLEM": _("PROBLEM"), "not checked": _("not checked")}
    for account, findings in results:
        for finding in findings:
            line = f"{account.id}: {statuses[finding.status]}: {finding.text}"
            click.echo(terminal_text(redact(line)))
    bad = [a.id for a, findings in results if any(f.status == "PROBLEM" for f in findings)]
    problems = sum(f.status == "PROBLEM" for _a, findings in results for f in findings)
    if problems:
        raise HubError(
            ngettext(
                "{account}: {n} problem to fix, listed above",
                "{account}: {n} problems to fix, listed above",
                problems,
            ).format(account=", ".join(bad), n=problems)
        )
