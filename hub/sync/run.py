"""A sync run: the accounts chosen, each network's syncer side by side, what is said after.

A network read by its wall uses the walk (:mod:`hub.sync.walk`), one read as an
update stream the stream (:mod:`hub.sync.stream`); one network's crash fails only
its own accounts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime

import pluggy

from ..config import Config
from ..errors import ConfigError
from ..i18n import _
from ..models import Account
from ..network import UPDATES, Network
from ..networks import close_networks, open_networks, without_tokens
from ..secrets import token_from_env
from ..store import Store
from .runs import AccountRun, Progress
from .stream import UpdateSyncer
from .walk import Syncer


def select_accounts(
    config: Config, names: Sequence[str] = (), network: str | None = None
) -> list[Account]:
    accounts = [config.account(n) for n in names] if names else list(config.accounts)
    if network:
        accounts = [a for a in accounts if a.network == network]
    if not accounts:
        if network:
            raise ConfigError(
                _(
                    "no accounts to sync on network {network!r}; "
                    "declare them under [[accounts]] in the config"
                ).format(network=network)
            )
        raise ConfigError(_("no accounts to sync; declare them under [[accounts]] in the config"))
    return accounts


def interrupted_line(runs: Sequence[AccountRun], total: int) -> str:
    """What a stopped ``hub sync`` says: the accounts finished, and that the rest resumes."""
    synced = [r.account.id for r in runs]
    names = f" ({', '.join(synced)})" if synced else ""
    return _(
        "interrupted: {done} of {total} accounts finished{names}; the others resume from "
        "their saved place on the next run"
    ).format(done=len(synced), total=max(total, len(synced)), names=names)


def not_synced_line(missing: Sequence[tuple[Account, str]]) -> str:
    """``not synced: acc-1 (HUB_VK_TOKEN_A is not set), acc-3 (...)``"""
    items = ", ".join(f"{account.id} ({why})" for account, why in missing)
    return _("not synced: {items}").format(items=items)


def _with_stream_siblings(
    config: Config, networks: dict[str, Network], accounts: Sequence[Account]
) -> list[Account]:
    """Add the accounts that share an update stream with a selected one.

    Reading a token's stream confirms the updates of every chat it sees; syncing
    one channel alone would confirm and so lose its siblings' posts and comments.
    """
    out = list(accounts)
    chosen = {a.id for a in out}
    tokens = {
        (a.network, token_from_env(a)) for a in out if networks[a.network].sync_mode == UPDATES
    }
    for account in config.accounts:
        if account.id in chosen or account.network not in networks:
            continue
        if networks[account.network].sync_mode != UPDATES:
            continue
        if not without_tokens([account], config)[0]:  # its variable is unset: it shares no token
            continue
        if (account.network, token_from_env(account)) in tokens:
            out.append(account)
    return out


async def _isolated(syncer: Syncer, accounts: list[Account]) -> list[AccountRun]:
    """One network's run; if it raises anyway, its accounts fail and the others go on."""
    try:
        return await syncer.run(accounts)
    except Exception as exc:
        return syncer.crashed(accounts, exc)


async def run_sync(
    store: Store,
    pm: pluggy.PluginManager,
    config: Config,
    accounts: Sequence[Account],
    *,
    full: bool = False,
    progress: Progress | None = None,
    now: datetime | None = None,
    on_done: Callable[[AccountRun], None] | None = None,
    waiting: Callable[[Sequence[str], bool], None] | None = None,
) -> list[AccountRun]:
    """Sync the accounts, each network side by side; one network's crash fails only its own.

    ``now`` is the sync's clock for the window and the reconcile's pacing
    (default: the current time). ``on_done`` hears each account's run as soon
    as it is recorded; ``waiting`` hears which accounts a network call waits on.
    """
    networks = open_networks(pm, config, accounts)
    store.sync_accounts_from_config(config.accounts)
    accounts = _with_stream_siblings(config, networks, accounts)
    try:
        groups = []
        for name, net in networks.items():
            syncer = (UpdateSyncer if net.sync_mode == UPDATES else Syncer)(
                store,
                net,
                window_days=config.sync.recent_window_days,
                reconcile_hours=config.sync.reconcile_hours,
                full=full,
                progress=progress,
                now=now,
            )
            syncer.on_done, syncer.waiting = on_done, waiting
            groups.append(_isolated(syncer, [a for a in accounts if a.network == name]))
        results = await asyncio.gather(*groups)
    finally:
        await close_networks(networks)
    by_id = {run.account.id: run for group in results for run in group}
    return [by_id[a.id] for a in accounts]
