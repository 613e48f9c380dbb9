"""Incremental sync of posts and comments, network-neutral.

For each network the :class:`Syncer` runs three phases over all selected
accounts at once, so that a plugin can batch requests across accounts:

1. page metadata;
2. the wall, newest first, down to the stored high-water mark (and through the
   recent window, whose posts' counters tell which comments changed);
3. the comments of posts that are new or whose comment count or edit mark moved.

Crash safety (the Singer rule): a page of posts is committed on its own, but the
high-water mark moves only once the walk reached it, in the same transaction
that marks vanished posts deleted; a post's comments are committed together with
the marker saying which counters they match. An interrupted sync therefore
re-reads what it had not finished and never skips anything.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pluggy

from . import plugins
from .config import Config
from .errors import ApiError, AuthError, ConfigError, EntityGoneError, RateLimitedError
from .log import get_logger
from .models import Account
from .network import UPDATES, CommentsRequest, Network, PostPage, PostPageRequest
from .secrets import redact, token_from_env
from .store import Store, utcnow

log = get_logger("hub.sync")
#: progress(stage, n): "posts" and "comments" advance by n; "comments_total" adds to the total
Progress = Callable[[str, int], None]
COMMENTS_CHUNK = 100  # comment requests handed to a plugin at once (it batches further)


@dataclass
class AccountRun:
    account: Account
    status: str = "ok"  # ok | failed | paused
    error: str | None = None
    posts_new: int = 0
    posts_updated: int = 0
    posts_deleted: int = 0
    comments_new: int = 0
    comments_updated: int = 0
    comments_deleted: int = 0
    started_at: str = field(default_factory=utcnow)
    seconds: float = 0.0
    #: said with the summary: a possible loss, comments still waiting for their post
    warnings: list[str] = field(default_factory=list)
    note: str | None = None
    #: the network refused the token: retrying before someone changes it is pointless
    token_rejected: bool = False

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def summary(self) -> str:
        if self.status != "ok":
            return f"{self.account.id}: {self.status} — {self.error}"
        text = (
            f"{self.account.id}: ok — posts {self.posts_new} new, {self.posts_updated} "
            f"changed, {self.posts_deleted} gone; comments {self.comments_new} new, "
            f"{self.comments_updated} changed, {self.comments_deleted} deleted "
            f"({self.seconds:.1f}s)"
        )
        extras = [*self.warnings, *([self.note] if self.note else [])]
        return text + "".join(f"; {e}" for e in extras)


def describe_error(account: Account, exc: ApiError) -> str:
    text = redact(str(exc))
    if isinstance(exc, AuthError) and exc.fix:
        return f"{text}; {exc.fix} (the token is in ${account.token_env})"
    if isinstance(exc, AuthError):
        also = f" and {exc.also_check}" if exc.also_check else ""
        return (
            f"the network rejected the token in ${account.token_env} ({text}); "
            f"put a valid token for {account.id} in that variable{also}"
        )
    return text


@dataclass
class _Walk:
    """What one account's wall walk has read so far."""

    seen: set[int] = field(default_factory=set)
    regular: set[int] = field(default_factory=set)  # not pinned
    reached_end: bool = False

    def add(self, page: PostPage) -> None:
        self.seen.update(p.network_id for p in page.posts)
        self.regular.update(p.network_id for p in page.posts if not p.is_pinned)
        self.reached_end = page.next_cursor is None


class Syncer:
    def __init__(
        self,
        store: Store,
        network: Network,
        *,
        window_days: int,
        full: bool = False,
        progress: Progress | None = None,
    ):
        self.store = store
        self.network = network
        self.full = full
        self.window_start = datetime.now(UTC) - timedelta(days=window_days)
        self.progress = progress or (lambda _stage, _n: None)
        self.runs: dict[str, AccountRun] = {}

    # -- driver --------------------------------------------------------------
    async def run(self, accounts: Sequence[Account]) -> list[AccountRun]:
        started = time.monotonic()
        active = self._start(accounts)
        active = await self._sync_meta(active)
        active = await self._walk_posts(active)
        await self._sync_comments(active)
        for account in accounts:
            self._finish(self.runs[account.id], time.monotonic() - started)
        return [self.runs[a.id] for a in accounts]

    def _start(self, accounts: Sequence[Account]) -> list[Account]:
        """A run per account; the accounts not paused by an earlier rate limit go on."""
        active = []
        for account in accounts:
            run = self.runs[account.id] = AccountRun(account)
            paused = self._paused_until(account)
            if paused:
                run.status, run.error = "paused", paused
            else:
                active.append(account)
                self.store.update_sync_state(account.id, last_started_at=run.started_at)
        return active

    def _alive(self, accounts: Sequence[Account]) -> list[Account]:
        return [a for a in accounts if self.runs[a.id].status == "ok"]

    def _fail(self, account: Account, exc: ApiError) -> None:
        run = self.runs[account.id]
        if isinstance(exc, RateLimitedError):
            until = datetime.now(UTC) + timedelta(seconds=exc.retry_after)
            until_text = until.isoformat(timespec="seconds").replace("+00:00", "Z")
            run.status = "paused"
            run.error = f"{redact(str(exc))}; paused until {until_text}"
            self.store.update_sync_state(
                account.id, paused_until=until_text, pause_reason=redact(str(exc))
            )
        else:
            run.status, run.error = "failed", describe_error(account, exc)
            run.token_rejected = isinstance(exc, AuthError)

    def _paused_until(self, account: Account) -> str | None:
        state = self.store.sync_state(account.id)
        until = state.get("paused_until")
        if until and until > utcnow():
            return f"paused until {until} ({state.get('pause_reason')}); it will resume by itself"
        return None

    # -- phase 1: metadata ---------------------------------------------------
    async def _sync_meta(self, accounts: list[Account]) -> list[Account]:
        if not accounts:
            return accounts
        outcomes = await self.network.fetch_account_meta(accounts)
        with self.store.transaction():
            for account, outcome in zip(accounts, outcomes, strict=True):
                if isinstance(outcome, ApiError):
                    self._fail(account, outcome)
                else:
                    self.store.save_account_meta(account, outcome)
        return self._alive(accounts)

    # -- phase 2: posts ------------------------------------------------------
    async def _walk_posts(self, accounts: list[Account]) -> list[Account]:
        hwm = {a.id: self.store.sync_state(a.id).get("posts_high_water") for a in accounts}
        walks = {a.id: _Walk() for a in accounts}
        pending = [PostPageRequest(a) for a in accounts]
        while pending:
            outcomes = await self.network.fetch_post_pages(pending)
            next_round = []
            for request, outcome in zip(pending, outcomes, strict=True):
                account = request.account
                if isinstance(outcome, ApiError):
                    self._fail(account, outcome)
                    continue
                self._store_page(account, outcome)
                walks[account.id].add(outcome)
                self.progress("posts", len(outcome.posts))
                if self._walk_goes_on(outcome, hwm[account.id]):
                    next_round.append(PostPageRequest(account, outcome.next_cursor))
            pending = [r for r in next_round if self.runs[r.account.id].ok]
        for account in self._alive(accounts):
            self._close_walk(account, walks[account.id], hwm[account.id])
        return self._alive(accounts)

    def _store_page(self, account: Account, page: PostPage) -> None:
        with self.store.transaction():
            self.store.upsert_authors(self.network.name, page.authors)
            new, changed = self.store.upsert_posts(account, page.posts)
        run = self.runs[account.id]
        run.posts_new += new
        run.posts_updated += changed

    def _walk_goes_on(self, page: PostPage, high_water: int | None) -> bool:
        if page.next_cursor is None:
            return False
        if self.full or high_water is None:
            return True
        regular = [p for p in page.posts if not p.is_pinned]
        if not regular:
            return True
        oldest = min(regular, key=lambda p: p.network_id)
        below_mark = oldest.network_id <= high_water
        before_window = oldest.published_at < self.window_start.timestamp()
        return not (below_mark and before_window)

    def _close_walk(self, account: Account, walk: _Walk, high_water: int | None) -> None:
        """Mark posts gone inside the walked range; only then move the high-water mark.

        The range is that of the regular posts read: a pinned post comes first
        whatever its age, so it says nothing about the posts between it and the
        rest. When the walk reached the end of the wall, the range has no floor.
        """
        with self.store.transaction():
            if walk.regular:
                low = 0 if walk.reached_end else min(walk.regular)
                high = max(walk.regular)
                stored = self.store.live_post_ids_between(account, low, high)
                self.runs[account.id].posts_deleted += self.store.mark_posts_deleted(
                    account, stored - walk.seen
                )
            new_mark = max([*walk.seen, high_water or 0]) or None
            self.store.update_sync_state(account.id, posts_high_water=new_mark)

    # -- phase 3: comments ---------------------------------------------------
    async def _sync_comments(self, accounts: list[Account]) -> None:
        window = self.window_start.isoformat(timespec="seconds").replace("+00:00", "Z")
        work: list[tuple[Account, int, int, int, str | None]] = []
        for account in accounts:
            for local_id, net_id, count, edited, synced in self.store.posts_needing_comments(
                account, window, self.full
            ):
                if count == 0 and not synced and not self.full:
                    self.store.mark_comments_synced(local_id, 0, edited)
                else:
                    work.append((account, local_id, net_id, count, edited))
        self.progress("comments_total", len(work))
        for start in range(0, len(work), COMMENTS_CHUNK):
            chunk = [w for w in work[start : start + COMMENTS_CHUNK] if self.runs[w[0].id].ok]
            if not chunk:
                continue
            requests = [CommentsRequest(account, net_id) for account, _l, net_id, _c, _e in chunk]
            outcomes = await self.network.fetch_comments(requests)
            for (account, local_id, net_id, count, edited), outcome in zip(
                chunk, outcomes, strict=True
            ):
                if not self.runs[account.id].ok:
                    continue
                if isinstance(outcome, EntityGoneError):
                    self.store.mark_comments_synced(local_id, count, edited)
                    log.info(
                        "comments unavailable", account=account.id, post=net_id, reason=str(outcome)
                    )
                elif isinstance(outcome, ApiError):
                    self._fail(account, outcome)
                else:
                    self._store_comments(account, local_id, net_id, count, edited, outcome)
            self.progress("comments", len(chunk))

    def _store_comments(self, account, local_id, net_id, count, edited, result) -> None:
        with self.store.transaction():
            self.store.upsert_authors(self.network.name, result.authors)
            new, changed, deleted = self.store.replace_post_comments(
                account, local_id, net_id, result.comments, complete=result.complete
            )
            if result.complete:
                self.store.mark_comments_synced(local_id, count, edited)
        run = self.runs[account.id]
        run.comments_new += new
        run.comments_updated += changed
        run.comments_deleted += deleted

    # -- bookkeeping ---------------------------------------------------------
    def _finish(self, run: AccountRun, seconds: float) -> None:
        run.seconds = seconds
        finished = utcnow()
        with self.store.transaction():
            state = {
                "last_finished_at": finished,
                "last_status": run.status,
                "last_error": run.error,
            }
            if run.ok:
                state.update(paused_until=None, pause_reason=None)
            self.store.update_sync_state(run.account.id, **state)
            self.store.record_run(
                {
                    "account_id": run.account.id,
                    "started_at": run.started_at,
                    "finished_at": finished,
                    "status": run.status,
                    "posts_new": run.posts_new,
                    "posts_updated": run.posts_updated,
                    "comments_new": run.comments_new,
                    "comments_updated": run.comments_updated,
                    "comments_deleted": run.comments_deleted,
                    "error": run.error,
                }
            )
        log.info(
            "account sync",
            account=run.account.id,
            network=run.account.network,
            status=run.status,
            error=run.error,
            posts_new=run.posts_new,
            posts_updated=run.posts_updated,
            posts_deleted=run.posts_deleted,
            comments_new=run.comments_new,
            comments_updated=run.comments_updated,
            comments_deleted=run.comments_deleted,
            seconds=round(seconds, 3),
        )


def select_accounts(
    config: Config, names: Sequence[str] = (), network: str | None = None
) -> list[Account]:
    accounts = [config.account(n) for n in names] if names else list(config.accounts)
    if network:
        accounts = [a for a in accounts if a.network == network]
    if not accounts:
        what = f" on network {network!r}" if network else ""
        raise ConfigError(
            f"no accounts to sync{what}; declare them under [[accounts]] in the config"
        )
    return accounts


def check_accounts(
    pm: pluggy.PluginManager, config: Config, accounts: Sequence[Account]
) -> dict[str, type[Network]]:
    """Fail before anything is written on an unknown network or a missing token variable."""
    available = plugins.networks(pm)
    for account in accounts:
        if account.network not in available:
            installed = ", ".join(sorted(available)) or "none"
            raise ConfigError(
                f"account {account.id!r} uses network {account.network!r}, which no installed "
                f"plugin provides (installed: {installed}); see 'hub plugins'"
            )
        token_from_env(account)
    for name in {a.network for a in accounts}:
        available[name].checked_settings(config.network_settings(name))
    return available


def open_networks(
    pm: pluggy.PluginManager, config: Config, accounts: Sequence[Account]
) -> dict[str, Network]:
    """Instantiate each network the accounts need."""
    available = check_accounts(pm, config, accounts)
    return {
        name: available[name](config.network_settings(name), token_from_env)
        for name in sorted({a.network for a in accounts})
    }


class NetworkPool:
    """Networks opened once for a run of many calls (each makes an HTTP client: ~25 ms).

    ``get`` still checks each account's token variable, so one missing variable
    stops only that account. Close with :meth:`aclose`.
    """

    def __init__(self, pm: pluggy.PluginManager, config: Config):
        self.pm = pm
        self.config = config
        self._open: dict[str, Network] = {}

    def get(self, account: Account) -> Network:
        check_accounts(self.pm, self.config, [account])
        if account.network not in self._open:
            self._open.update(open_networks(self.pm, self.config, [account]))
        return self._open[account.network]

    async def aclose(self) -> None:
        for network in self._open.values():
            await network.aclose()
        self._open.clear()


async def check_account(pm: pluggy.PluginManager, config: Config, account: Account) -> list:
    """What ``hub accounts check`` prints: the network's own findings for the account."""
    network = open_networks(pm, config, [account])[account.network]
    try:
        return await network.check_account(account)
    except ApiError as exc:
        from .network import Finding

        return [Finding(False, describe_error(account, exc))]
    finally:
        await network.aclose()


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
        if (account.network, token_from_env(account)) in tokens:
            out.append(account)
    return out


async def run_sync(
    store: Store,
    pm: pluggy.PluginManager,
    config: Config,
    accounts: Sequence[Account],
    *,
    full: bool = False,
    progress: Progress | None = None,
) -> list[AccountRun]:
    networks = open_networks(pm, config, accounts)
    store.sync_accounts_from_config(config.accounts)
    from .updates import UpdateSyncer  # imports this module: a late import avoids the cycle

    accounts = _with_stream_siblings(config, networks, accounts)
    try:
        groups = [
            (UpdateSyncer if net.sync_mode == UPDATES else Syncer)(
                store, net, window_days=config.sync.recent_window_days, full=full, progress=progress
            ).run([a for a in accounts if a.network == name])
            for name, net in networks.items()
        ]
        results = await asyncio.gather(*groups)
    finally:
        for net in networks.values():
            await net.aclose()
    by_id = {run.account.id: run for group in results for run in group}
    return [by_id[a.id] for a in accounts]
