"""Did the post go up? Settling a row whose last send may have worked, before a resend.

An answer lost on the way leaves the row ``unknown`` (a crash leaves it ``sending``);
:mod:`hub.plan.publish` claims such a row and calls ``reconcile`` before anything is sent
again. Where the network shows the hub its own posts, the account is synced the usual way
and :func:`find_post` searches the store for a post with the draft's text published since
the first attempt: found, the row is recorded as published; not found, the caller sends
again. Where the network cannot show it (a Telegram channel without a discussion group)
the row stays ``unknown`` and a person settles it with ``hub plan resolve``
(:func:`resolve`). The row writes themselves are in :mod:`hub.plan.outbox`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pluggy

from ..config import Config
from ..errors import HubError, NotFoundError
from ..log import get_logger
from ..models import Account
from ..network import Network, Published
from ..store import Store
from ..sync import run_sync
from .drafts import Draft, load_draft
from .outbox import IN_FLIGHT, TargetOutcome, record_published, set_target_state, stamp

log = get_logger("hub.plan")

#: how far before the first attempt a found post may be dated (clocks differ)
CLOCK_SKEW = timedelta(hours=24)


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def find_post(
    store: Store,
    account: Account,
    text: str,
    since: datetime,
    first_sent: datetime | None = None,
) -> tuple[int, str] | None:
    """A stored post of the account carrying the draft's text, published since ``since``.

    Posts another draft already claimed are skipped, so two drafts with the same
    text are never both settled by one post; so are posts the hub had already
    stored before ``first_sent`` (a post written by hand the day before cannot be
    the answer to this send). Containment rather than equality: a network may add
    to the text (Telegram gets the links appended); an exact match is preferred,
    then the newest.
    """
    wanted = _normal(text)
    seen = stamp(first_sent) if first_sent else ""
    rows = store.db.execute(
        "SELECT network_id, url, text FROM posts WHERE account_id = ? AND published_at >= ? "
        "AND deleted_at IS NULL AND (first_seen_at IS NULL OR first_seen_at >= ?) "
        "AND network_id NOT IN (SELECT post_network_id FROM draft_targets "
        "WHERE account_id = ? AND post_network_id IS NOT NULL) ORDER BY published_at DESC",
        [account.id, stamp(since), seen, account.id],
    ).fetchall()
    matches = [r for r in rows if wanted and wanted in _normal(r[2] or "")]
    exact = [r for r in matches if _normal(r[2] or "") == wanted]
    for network_id, url, _ in exact or matches:
        return network_id, url
    return None


async def reconcile(
    store: Store,
    pm: pluggy.PluginManager,
    config: Config,
    network: Network,
    draft: Draft,
    account: Account,
) -> TargetOutcome | None:
    """Settle a row whose last send may have worked; None = surely not posted, send it."""
    if not await network.sees_own_posts(account):
        message = (
            f"{network.title} does not show the hub its own posts on {account.id}, so the hub "
            "cannot tell whether the post went up; look at the page, then run "
            f"'hub plan resolve {draft.id} {account.id} --post-id N' or '--not-published'"
        )
        return set_target_state(store, draft, account, "unknown", message)
    runs = await run_sync(store, pm, config, [account])
    run = next(r for r in runs if r.account.id == account.id)
    if run.status != "ok":
        message = f"could not check the page before sending again ({run.error}); will retry"
        return set_target_state(store, draft, account, "unknown", message)
    first = store.db.execute(
        "SELECT first_sent_at FROM draft_targets WHERE draft_id = ? AND account_id = ?",
        [draft.id, account.id],
    ).fetchone()[0]
    first_sent = datetime.fromisoformat(first) if first else None
    since = first_sent - CLOCK_SKEW if first_sent else datetime(2000, 1, 1, tzinfo=UTC)
    found = find_post(store, account, draft.text, since, first_sent)
    if found is None:
        log.info("publication not found; sending again", draft=draft.id, account=account.id)
        return None
    network_id, url = found
    log.info("publication found after a lost answer", draft=draft.id, account=account.id)
    published = Published(network_id, url or network.post_url(account, network_id))
    return record_published(store, draft, account, published)


def resolve(
    store: Store,
    config: Config,
    network: Network,
    draft_id: int,
    account_id: str,
    *,
    post_id: int | None,
    by: str,
) -> TargetOutcome:
    """A person settles an ``unknown`` row: the post is up (its id), or it is not (send again)."""
    account = config.account(account_id)
    draft = load_draft(store, draft_id)
    target = next((t for t in draft.targets if t.account_id == account_id), None)
    if target is None:
        raise NotFoundError(f"draft #{draft_id} is not for {account_id}")
    if target.state not in ("unknown", "sending"):
        raise HubError(
            f"draft #{draft_id} on {account_id} is {target.state}; only an unknown one is resolved"
        )
    if target.state == "sending":
        row = store.db.execute(
            "SELECT updated_at FROM draft_targets WHERE draft_id = ? AND account_id = ?",
            [draft_id, account_id],
        ).fetchone()
        age = datetime.now(UTC) - datetime.fromisoformat(row[0])
        if age < IN_FLIGHT:
            wait = int((IN_FLIGHT - age).total_seconds() // 60) + 1
            raise HubError(
                f"draft #{draft_id} on {account_id} is being sent by a hub process right now; "
                f"wait {wait} minute(s) and look at 'hub plan show {draft_id}' again"
            )
    if post_id is None:
        return set_target_state(
            store, draft, account, "pending", f"not published, said {by}; sent next run"
        )
    published = Published(post_id, network.post_url(account, post_id))
    return record_published(store, draft, account, published)
