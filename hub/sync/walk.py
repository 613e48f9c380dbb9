"""Incremental sync of posts and comments, network-neutral.

For each network the :class:`Syncer` runs three phases over all selected
accounts at once, so that a plugin can batch requests across accounts:

1. page metadata;
2. the wall, newest first, down to the stored high-water mark (and through the
   recent window, whose posts' counters tell which comments changed);
3. the comments of posts that are new or whose comment count or edit mark moved
   (whatever their age), and the reconcile's share of the window's posts whose
   counters did not move (:mod:`hub.sync.reconcile`).

Crash safety (the Singer rule): a page of posts is committed on its own, but the
high-water mark moves only once the walk reached it, in the same transaction
that marks vanished posts deleted; a post's comments are committed together with
the marker saying which counters they match. An interrupted sync therefore
re-reads what it had not finished and never skips anything.

Isolation: an unexpected exception (a malformed answer a plugin trips on, a
bug) fails only the account it belongs to — a batch that raised is asked again
item by item to find it — and is logged with the account and its type. Only
cancellation and interrupts go through.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from ..errors import ApiError, AuthError, RateLimitedError
from ..log import get_logger
from ..models import Account
from ..network import CommentsRequest, Network, PostPage, PostPageRequest
from ..networks import describe_error
from ..secrets import redact
from ..store import Store, utcnow
from .comments import CommentPhase
from .runs import AccountRun, Progress

log = get_logger("hub.sync")
Item = PostPageRequest | CommentsRequest | Account


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


class Syncer(CommentPhase):
    #: called with each account's run as soon as it is recorded (the CLI prints it then)
    on_done: Callable[[AccountRun], None] | None = None
    #: called with the account ids a network call waits on, True before and False after
    waiting: Callable[[Sequence[str], bool], None] | None = None

    def __init__(
        self,
        store: Store,
        network: Network,
        *,
        window_days: int,
        full: bool = False,
        progress: Progress | None = None,
        reconcile_hours: float = 0,
        now: datetime | None = None,
    ):
        self.store = store
        self.network = network
        self.full = full
        #: the sync's clock (a benchmark passes a day's worth of times)
        self.now = now or datetime.now(UTC)
        self.window_start = self.now - timedelta(days=window_days)
        self.reconcile_period = timedelta(hours=reconcile_hours) if reconcile_hours else None
        self.progress = progress or (lambda _stage, _n: None)
        self.runs: dict[str, AccountRun] = {}
        self._slices: dict = {}  # account id → its reconcile slice (hub.reconcile.Slice)
        self._reconcile_stuck: set[str] = set()  # a slice post not stored: the round waits
        self._recorded: set[str] = set()  # accounts whose run is in sync_runs already

    # -- driver --------------------------------------------------------------
    async def run(self, accounts: Sequence[Account]) -> list[AccountRun]:
        started = time.monotonic()
        active = self._start(accounts)
        self._finish_dropped(accounts, active, started)
        ready = await self._sync_meta(active)
        self._finish_dropped(active, ready, started)
        walked = await self._walk_posts(ready)
        self._finish_dropped(ready, walked, started)
        await self._sync_comments(walked)
        for account in accounts:
            if account.id not in self._recorded:
                self._finish(self.runs[account.id], time.monotonic() - started)
        return [self.runs[a.id] for a in accounts]

    def _finish_dropped(self, before: Sequence[Account], after: Sequence[Account], started):
        """An account a phase stopped (paused, failed) is done: recorded and said at once."""
        alive = {a.id for a in after}
        for account in before:
            if account.id not in alive and account.id not in self._recorded:
                self._finish(self.runs[account.id], time.monotonic() - started)

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

    def _fail(self, account: Account, exc: Exception) -> None:
        run = self.runs[account.id]
        if not isinstance(exc, ApiError):
            run.status, run.error = "failed", describe_error(account, exc)
            run.unexpected = type(exc).__name__
            log.error(
                "account sync failed unexpectedly",
                account=account.id,
                network=account.network,
                error_type=run.unexpected,
                error=redact(str(exc)),
            )
            log.debug("the traceback, for a bug report", account=account.id, exc_info=exc)
        elif isinstance(exc, RateLimitedError):
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

    def crashed(self, accounts: Sequence[Account], exc: Exception) -> list[AccountRun]:
        """The network's whole run raised: each of its accounts still open fails with it."""
        for account in accounts:
            run = self.runs.setdefault(account.id, AccountRun(account))
            if account.id in self._recorded:  # finished before the crash: as it was
                continue
            if run.ok:
                self._fail(account, exc)
            try:
                self._finish(run, 0.0)
            except Exception as again:  # a locked database: the log still names the account
                log.error("sync run not recorded", account=account.id, error=redact(repr(again)))
        return [self.runs[a.id] for a in accounts]

    async def _ask(
        self, method: Callable[[list], Awaitable[list]], requests: Sequence[Item]
    ) -> list:
        """Call a batched network method; an unexpected exception stops only its own item.

        A malformed answer raises out of the whole batch (VK maps every
        community of an ``execute`` together), so a batch that raised is asked
        again in halves until the item that still raises is alone; it gets its
        exception as its outcome (one bad item of 100 costs about 14 more calls,
        not 100). Cancellation is not an ``Exception``: it passes.
        """
        ids = list(dict.fromkeys(_account_of(r).id for r in requests))
        if self.waiting:
            self.waiting(ids, True)
        try:
            outcomes = await method(list(requests))
            if len(outcomes) != len(requests):
                raise ValueError(f"{len(outcomes)} answers for {len(requests)} requests")
            return outcomes
        except Exception as exc:
            if len(requests) == 1:
                return [exc]
        finally:
            if self.waiting:
                self.waiting(ids, False)
        half = len(requests) // 2
        return [
            *await self._ask(method, requests[:half]),
            *await self._ask(method, requests[half:]),
        ]

    def _guard(self, account: Account, step: Callable[..., object], *args) -> None:
        """Run one account's step of a phase; whatever it raises fails only that account."""
        try:
            step(*args)
        except Exception as exc:
            self._fail(account, exc)

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
        outcomes = await self._ask(self.network.fetch_account_meta, accounts)
        for account, outcome in zip(accounts, outcomes, strict=True):
            if isinstance(outcome, Exception):
                self._fail(account, outcome)
            else:
                self._guard(account, self._save_meta, account, outcome)
        return self._alive(accounts)

    def _save_meta(self, account: Account, meta) -> None:
        with self.store.transaction():
            self.store.save_account_meta(account, meta)

    # -- phase 2: posts ------------------------------------------------------
    async def _walk_posts(self, accounts: list[Account]) -> list[Account]:
        hwm = {a.id: self.store.sync_state(a.id).get("posts_high_water") for a in accounts}
        walks = {a.id: _Walk() for a in accounts}
        pending = [PostPageRequest(a) for a in accounts]
        while pending:
            outcomes = await self._ask(self.network.fetch_post_pages, pending)
            next_round = []
            for request, outcome in zip(pending, outcomes, strict=True):
                account = request.account
                if isinstance(outcome, Exception):
                    self._fail(account, outcome)
                    continue
                walk, mark = walks[account.id], hwm[account.id]
                self._guard(account, self._take_page, account, outcome, walk, mark, next_round)
            pending = [r for r in next_round if self.runs[r.account.id].ok]
        for account in self._alive(accounts):
            self._guard(account, self._close_walk, account, walks[account.id], hwm[account.id])
        return self._alive(accounts)

    def _take_page(
        self, account: Account, page: PostPage, walk: _Walk, high_water, next_round: list
    ) -> None:
        """Store one page; queue the next one while the walk goes on."""
        self._store_page(account, page)
        walk.add(page)
        self.progress("posts", len(page.posts))
        if self._walk_goes_on(page, high_water):
            next_round.append(PostPageRequest(account, page.next_cursor))

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
                    # sync_runs has no posts_deleted column (m001): the log line carries it
                    **{k: v for k, v in run.counts().items() if k != "posts_deleted"},
                    "error": run.error,
                }
            )
        log.info(
            "account sync",
            account=run.account.id,
            network=run.account.network,
            status=run.status,
            error=run.error,
            **run.counts(),
            posts_reconciled=run.posts_reconciled,
            seconds=round(seconds, 3),
        )
        self._recorded.add(run.account.id)
        if self.on_done:
            self.on_done(run)


def _account_of(item: Item) -> Account:
    return item if isinstance(item, Account) else item.account
