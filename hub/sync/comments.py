"""Phase 3 of a walk sync: the comments of the posts that need reading.

A post is read when its comment counter or edit mark moved since its comments
were stored, whatever its age, and when the reconcile (:mod:`hub.sync.reconcile`)
owes it a re-read though nothing moved. Each post's comments are committed in
one transaction with the marker saying which counters they match, and with the
reconcile's position when the post was part of its slice.

A mixin of :class:`hub.sync.walk.Syncer`, which provides the store, the network, the
runs and the failure handling (``_ask``, ``_guard``, ``_fail``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import EntityGoneError
from ..log import get_logger
from ..models import Account
from ..network import CommentsRequest
from . import reconcile

log = get_logger("hub.sync")
COMMENTS_CHUNK = 100  # comment requests handed to a plugin at once (it batches further)


@dataclass(frozen=True)
class _PostWork:
    """One post whose comments this sync reads."""

    account: Account
    local_id: int
    net_id: int
    count: int
    edited: str | None
    #: part of the account's reconcile slice: its round moves with these rows
    reconcile: bool = False


class CommentPhase:
    # -- phase 3: comments ---------------------------------------------------
    async def _sync_comments(self, accounts: list[Account]) -> None:
        work: list[_PostWork] = []
        for account in accounts:
            self._guard(account, lambda a: work.extend(self._comment_work(a)), account)
        work = [w for w in work if self.runs[w.account.id].ok]
        self.progress("comments_total", len(work))
        for start in range(0, len(work), COMMENTS_CHUNK):
            chunk = [w for w in work[start : start + COMMENTS_CHUNK] if self.runs[w.account.id].ok]
            if not chunk:
                continue
            requests = [CommentsRequest(w.account, w.net_id) for w in chunk]
            outcomes = await self._ask(self.network.fetch_comments, requests)
            for item, outcome in zip(chunk, outcomes, strict=True):
                if self.runs[item.account.id].ok:
                    self._guard(item.account, self._take_comments, item, outcome)
            self.progress("comments", len(chunk))

    def _comment_work(self, account: Account) -> list[_PostWork]:
        """The posts whose comments this sync reads: moved counters, then the reconcile's share."""
        window = self.window_start.isoformat(timespec="seconds").replace("+00:00", "Z")
        work: dict[int, _PostWork] = {}
        for local_id, net_id, count, edited, synced in self.store.posts_needing_comments(
            account, self.full
        ):
            if count == 0 and not synced and not self.full and self.network.comment_counts:
                self.store.mark_comments_synced(local_id, 0, edited)
            else:
                work[local_id] = _PostWork(account, local_id, net_id, count, edited)
        due = self._reconcile_slice(account, window)
        for local_id, net_id, count, edited, _synced in due:
            work[local_id] = _PostWork(account, local_id, net_id, count, edited, reconcile=True)
        self.runs[account.id].posts_reconciled = len(due)
        return sorted(work.values(), key=lambda w: w.net_id)

    def _reconcile_slice(self, account: Account, window: str) -> list[tuple]:
        """The window's posts the reconcile re-reads now (none on a full sync, or when off)."""
        if self.reconcile_period is None or self.full:
            return []
        rows = self.store.posts_to_reconcile(account, window, counted=self.network.comment_counts)
        round_ = reconcile.load_round(self.store, account.id)
        if round_ is None:  # the first sync with a reconcile: its first round begins now
            with self.store.transaction():
                reconcile.save_round(self.store, account.id, reconcile.Round(self.now))
            return []
        plan = reconcile.plan_slice(
            [r[1] for r in rows],
            round_,
            self.now,
            self.reconcile_period,
            reconcile.phase(account.id),
        )
        if plan.ends_round and not plan.post_ids:
            with self.store.transaction():
                reconcile.save_round(self.store, account.id, reconcile.Round(self.now))
            return []
        self._slices[account.id] = plan
        due = set(plan.post_ids)
        return [r for r in rows if r[1] in due]

    def _take_comments(self, item: _PostWork, outcome) -> None:
        account = item.account
        if isinstance(outcome, EntityGoneError):
            with self.store.transaction():
                self.store.mark_comments_synced(item.local_id, item.count, item.edited)
                self._advance_reconcile(item, stored=True)
            log.info(
                "comments unavailable", account=account.id, post=item.net_id, reason=str(outcome)
            )
        elif isinstance(outcome, Exception):
            self._fail(account, outcome)
        else:
            self._store_comments(item, outcome)

    def _store_comments(self, item: _PostWork, result) -> None:
        account = item.account
        with self.store.transaction():
            self.store.upsert_authors(self.network.name, result.authors)
            new, changed, deleted = self.store.replace_post_comments(
                account, item.local_id, item.net_id, result.comments, complete=result.complete
            )
            if result.complete:
                self.store.mark_comments_synced(item.local_id, item.count, item.edited)
            self._advance_reconcile(item, stored=result.complete)
        run = self.runs[account.id]
        run.comments_new += new
        run.comments_updated += changed
        run.comments_deleted += deleted

    def _advance_reconcile(self, item: _PostWork, *, stored: bool) -> None:
        """Move the account's round past this post, inside the transaction of its rows.

        Only while every earlier post of the slice was stored whole: a round
        never moves past a post it still owes.
        """
        if not item.reconcile or item.account.id in self._reconcile_stuck:
            return
        if not stored:
            self._reconcile_stuck.add(item.account.id)
            return
        plan = self._slices[item.account.id]
        reconcile.advance(self.store, item.account.id, plan, item.net_id, self.now)
