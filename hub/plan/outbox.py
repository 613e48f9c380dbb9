"""An outbox row's outcome, and the one place each outcome is written to the store.

Each (draft, account) row of ``draft_targets`` is an outbox (see :mod:`hub.plan.publish`).
Both the sender (:mod:`hub.plan.publish`) and the checks after a lost answer
(:mod:`hub.plan.reconcile`) settle rows, so the writes live here, below both: a row
``published`` (with the post stored at once), ``failed`` (nothing was posted) or set to
another state with its reason; every write also settles the draft's own state. Also here:
:class:`TargetOutcome`, what the callers report per row, :func:`stamp`, the store's way of
writing a time, and ``IN_FLIGHT``, the age after which a ``sending`` row is surely abandoned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ..log import get_logger
from ..models import Account
from ..network import Published
from ..store import Store, iso, utcnow
from .drafts import Draft, Target, settle_draft_state

log = get_logger("hub.plan")

#: a ``sending`` row younger than this may be in flight in another hub process: leave it
IN_FLIGHT = timedelta(minutes=10)


@dataclass
class TargetOutcome:
    draft_id: int
    account_id: str
    state: str
    detail: str = ""
    url: str | None = None

    def line(self) -> str:
        where = f" {self.url}" if self.url else ""
        detail = f": {self.detail}" if self.detail else ""
        return f"draft #{self.draft_id} on {self.account_id}: {self.state}{where}{detail}"


def stamp(moment: datetime) -> str:
    """The store's way of writing a time: ISO UTC with a Z, so text order is time order."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def record_published(
    store: Store, draft: Draft, account: Account, published: Published
) -> TargetOutcome:
    with store.transaction():
        if published.post is not None:
            store.upsert_posts(account, [published.post])
        store.db.execute(
            "UPDATE draft_targets SET state = 'published', post_network_id = ?, url = ?, "
            "published_at = ?, error = NULL, updated_at = ? WHERE draft_id = ? AND account_id = ?",
            [
                published.post_network_id,
                published.url,
                iso(published.post.published_at) if published.post else utcnow(),
                utcnow(),
                draft.id,
                account.id,
            ],
        )
        settle_draft_state(store, draft.id)
    log.info("published", draft=draft.id, account=account.id, url=published.url)
    return TargetOutcome(draft.id, account.id, "published", url=published.url)


def set_target_state(
    store: Store, draft: Draft, account: Account, state: str, error: str
) -> TargetOutcome:
    with store.transaction():
        store.db.execute(
            "UPDATE draft_targets SET state = ?, error = ?, updated_at = ? "
            "WHERE draft_id = ? AND account_id = ?",
            [state, error, utcnow(), draft.id, account.id],
        )
        settle_draft_state(store, draft.id)
    return TargetOutcome(draft.id, account.id, state, error)


def fail_target(store: Store, draft: Draft, target: Target, error: str) -> TargetOutcome:
    log.warning("publication failed", draft=draft.id, account=target.account_id, error=error)
    with store.transaction():
        store.db.execute(
            "UPDATE draft_targets SET state = 'failed', error = ?, updated_at = ? "
            "WHERE draft_id = ? AND account_id = ?",
            [error, utcnow(), draft.id, target.account_id],
        )
        settle_draft_state(store, draft.id)
    return TargetOutcome(draft.id, target.account_id, "failed", error)
