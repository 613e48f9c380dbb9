"""Sync of networks read as an update stream (Telegram), one poller per token.

The stream of a token is read batch by batch. Each batch's posts, thread links
and comments are stored together with the offset after it in one transaction;
only the next read, which passes that offset, confirms the batch to the network.
A crash before the commit means the batch is delivered again (the upserts on
natural keys absorb it); a crash after it means the next run confirms it.

Only one process may poll a token: a lock file beside the database enforces it
here, and a conflict reported by the network (Telegram's 409) stops the poll with
a clear message. A pause longer than the network's retention (24 hours on
Telegram) is recorded in ``sync_gaps`` and reported as a possible loss.

A stream cannot be read again, so these networks have no reconcile
(:mod:`hub.sync.reconcile`): a bot sees an edit only as the update the network sends
for it, and a deletion never. One token's failure of any kind fails the
accounts it feeds; the other tokens are polled all the same.
"""

from __future__ import annotations

import contextlib
import fcntl
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ..batching import chunks_per_token
from ..errors import ConfigError
from ..models import Account
from ..network import Network
from ..store import Store, utcnow
from .runs import AccountRun, Progress
from .stream_store import orphans_waiting, poll_state, record_gap, save_poll_state, store_batch
from .walk import Syncer

MAX_BATCHES_PER_RUN = 10_000


class PollerBusyError(ConfigError):
    """Another process is polling the same token."""


@contextlib.contextmanager
def poll_lock(db_path: Path | None, poller: str) -> Iterator[None]:
    """An exclusive lock per token, released by the OS even if the process dies."""
    if db_path is None:
        yield
        return
    lock_path = db_path.with_name(f"{db_path.name}.{poller.replace(':', '-')}.lock")
    with open(lock_path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PollerBusyError(
                "another hub process is already reading this bot's updates (lock "
                f"{lock_path.name}); let it finish, or stop it — two pollers would fight"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class UpdateSyncer(Syncer):
    """Metadata like any network, then the update stream of each token."""

    def __init__(
        self,
        store: Store,
        network: Network,
        *,
        retention_hours: float = 24,
        progress: Progress | None = None,
        **_ignored,
    ):
        super().__init__(store, network, window_days=0, progress=progress)
        self.retention = timedelta(hours=retention_hours)
        self.notes: dict[str, list[str]] = {}

    async def run(self, accounts: Sequence[Account]) -> list[AccountRun]:
        started = time.monotonic()
        await self._sync_meta(self._start(accounts))
        for group in chunks_per_token(accounts, self.network.token_for, len(accounts) or 1):
            if self._all_ready(group):
                await self._poll(self.network.token_for(group[0]), group)
        for account in accounts:
            run = self.runs[account.id]
            waiting = orphans_waiting(self.store, account)
            if waiting and run.ok:
                run.note = f"{waiting} comments wait for their post's link"
            self._finish(run, time.monotonic() - started)
        return [self.runs[a.id] for a in accounts]

    def _all_ready(self, group: list[Account]) -> bool:
        """Poll a token only when every account it feeds is ready to take its updates.

        A read confirms the updates of every chat the token sees; reading while
        one account's chats are unknown (its page could not be read, it is
        paused) would confirm and so drop that account's posts and comments.
        """
        stuck = [a.id for a in group if not self.runs[a.id].ok]
        if not stuck:
            return True
        for account in group:
            run = self.runs[account.id]
            if run.ok:
                run.status = "failed"
                run.error = (
                    f"not polled: the same token also feeds {', '.join(stuck)}, which could not "
                    "be prepared, and reading now would drop its updates; fix that account first"
                )
        return False

    async def _poll(self, token: str, accounts: list[Account]) -> None:
        poller = self.network.poller_key(token)
        try:
            with poll_lock(self.store.path, poller):
                self._check_gap(poller, accounts)
                await self._read_stream(token, poller, accounts)
        except PollerBusyError as exc:
            for account in accounts:
                self.runs[account.id].status = "failed"
                self.runs[account.id].error = str(exc)
        except Exception as exc:  # an API error, or a surprise: this token's accounts, no more
            for account in accounts:
                self._fail(account, exc)

    def _check_gap(self, poller: str, accounts: list[Account]) -> None:
        last = poll_state(self.store, poller).get("last_polled_at")
        if not last:
            return
        since = datetime.fromisoformat(last.replace("Z", "+00:00"))
        if datetime.now(UTC) - since <= self.retention:
            return
        reason = (
            f"no poll for {(datetime.now(UTC) - since).total_seconds() / 3600:.0f} hours; "
            f"{self.network.title} keeps updates {self.retention.total_seconds() / 3600:.0f} "
            "hours, so posts and comments of that time may be lost"
        )
        with self.store.transaction():
            record_gap(self.store, poller, self.network.name, last, utcnow(), reason)
        for account in accounts:
            self.runs[account.id].warnings.append(f"possible loss: {reason}")

    async def _read_stream(self, token: str, poller: str, accounts: list[Account]) -> None:
        offset = poll_state(self.store, poller).get("next_offset")
        for _ in range(MAX_BATCHES_PER_RUN):
            batch = await self.network.fetch_updates(token, accounts, offset)
            if not batch.updates:
                with self.store.transaction():  # the empty read confirmed the last batch
                    save_poll_state(self.store, poller, self.network.name, offset, 0)
                return
            with self.store.transaction():
                counts = store_batch(self.store, self.network.name, batch)
                save_poll_state(
                    self.store, poller, self.network.name, batch.next_offset, batch.updates
                )
            for account_id, c in counts.items():
                run = self.runs[account_id]
                run.posts_new += c.posts_new
                run.posts_updated += c.posts_updated
                run.comments_new += c.comments_new
                run.comments_updated += c.comments_updated
            self.progress("posts", sum(c.posts_new for c in counts.values()))
            offset = batch.next_offset
