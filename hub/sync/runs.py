"""What one account's sync did: the counts, the status and the words said about it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..i18n import _
from ..models import Account
from ..store import utcnow

#: progress(stage, n): "posts" and "comments" advance by n; "comments_total" adds to the total
Progress = Callable[[str, int], None]


COUNTS = (
    "posts_new",
    "posts_updated",
    "posts_deleted",
    "comments_new",
    "comments_updated",
    "comments_deleted",
)


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
    #: the type of the unexpected exception that stopped it (a malformed answer, a bug)
    unexpected: str | None = None
    #: posts whose comments the reconcile read again though their counters had not moved
    posts_reconciled: int = 0

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def counts(self) -> dict[str, int]:
        """The six counts, by name: what the summary, the log line and ``sync_runs`` share."""
        return {name: getattr(self, name) for name in COUNTS}

    def summary(self) -> str:
        if self.status != "ok":
            return f"{self.account.id}: {self.status} — {self.error}"
        text = _(
            "{account}: ok — posts {posts_new} new, {posts_updated} changed, {posts_deleted} "
            "gone; comments {comments_new} new, {comments_updated} changed, {comments_deleted} "
            "deleted ({seconds:.1f}s)"
        ).format(account=self.account.id, seconds=self.seconds, **self.counts())
        extras = [*self.warnings, *([self.note] if self.note else [])]
        return text + "".join(f"; {e}" for e in extras)
