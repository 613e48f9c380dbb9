"""Storing a network's update stream (Telegram): offsets, thread links, orphan comments, gaps.

A batch's posts, links and comments and the offset after it are written by the
caller in one transaction. A comment whose thread is not linked to a post yet
waits in ``orphan_comments`` and is attached the moment the link arrives.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any

from ..models import Account, Comment
from ..network import ThreadComment, ThreadLink, UpdateBatch
from ..store import Store, utcnow


@dataclass
class StreamCounts:
    posts_new: int = 0
    posts_updated: int = 0
    comments_new: int = 0
    comments_updated: int = 0


def poll_state(store: Store, poller: str) -> dict[str, Any]:
    row = store.db.execute(
        "SELECT next_offset, last_polled_at, updates_stored FROM poll_state WHERE poller = ?",
        [poller],
    ).fetchone()
    if row is None:
        return {}
    return {"next_offset": row[0], "last_polled_at": row[1], "updates_stored": row[2]}


def save_poll_state(
    store: Store, poller: str, network: str, next_offset: int | None, stored: int
) -> None:
    store.db.execute(
        "INSERT INTO poll_state (poller, network, next_offset, last_polled_at, updates_stored) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT(poller) DO UPDATE SET "
        "next_offset = COALESCE(excluded.next_offset, poll_state.next_offset), "
        "last_polled_at = excluded.last_polled_at, "
        "updates_stored = poll_state.updates_stored + excluded.updates_stored",
        [poller, network, next_offset, utcnow(), stored],
    )


def record_gap(
    store: Store, poller: str, network: str, since: str, until: str, reason: str
) -> None:
    store.db.execute(
        "INSERT INTO sync_gaps (poller, network, gap_from, gap_to, noted_at, reason) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [poller, network, since, until, utcnow(), reason],
    )


def store_batch(store: Store, network: str, batch: UpdateBatch) -> dict[str, StreamCounts]:
    """Write a batch (inside the caller's transaction); return counts per account id."""
    counts: dict[str, StreamCounts] = defaultdict(StreamCounts)
    store.upsert_authors(network, batch.authors)
    by_account: dict[str, tuple[Account, list]] = {}
    for account, post in batch.posts:
        by_account.setdefault(account.id, (account, []))[1].append(post)
    for account, posts in by_account.values():
        new, changed = store.upsert_posts(account, posts)
        counts[account.id].posts_new += new
        counts[account.id].posts_updated += changed
    for link in batch.links:
        _save_link(store, link, counts[link.account.id])
    for item in batch.comments:
        _save_comment(store, item, counts[item.account.id])
    return counts


def _post_for_thread(
    store: Store, account: Account, thread_id: int
) -> tuple[int, int | None] | None:
    """(post network id, post local id or None) of a linked thread."""
    row = store.db.execute(
        "SELECT l.post_network_id, p.id FROM thread_links l LEFT JOIN posts p "
        "ON p.account_id = l.account_id AND p.network_id = l.post_network_id "
        "WHERE l.account_id = ? AND l.thread_id = ?",
        [account.id, thread_id],
    ).fetchone()
    return (row[0], row[1]) if row else None


def _save_comment(store: Store, item: ThreadComment, counts: StreamCounts) -> None:
    target = _post_for_thread(store, item.account, item.thread_id)
    if target is None:
        store.db.execute(
            "INSERT INTO orphan_comments (account_id, network_id, thread_id, comment_json, "
            "received_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(account_id, network_id) DO UPDATE "
            "SET comment_json = excluded.comment_json",
            [
                item.account.id,
                item.comment.network_id,
                item.thread_id,
                json.dumps(asdict(item.comment), ensure_ascii=False),
                utcnow(),
            ],
        )
        return
    post_network_id, post_local_id = target
    new, changed, _ = store.upsert_comments(
        item.account, post_local_id, post_network_id, [item.comment]
    )
    counts.comments_new += new
    counts.comments_updated += changed


def _save_link(store: Store, link: ThreadLink, counts: StreamCounts) -> None:
    store.db.execute(
        "INSERT INTO thread_links (account_id, thread_id, post_network_id, linked_at) "
        "VALUES (?, ?, ?, ?) ON CONFLICT(account_id, thread_id) DO NOTHING",
        [link.account.id, link.thread_id, link.post_network_id, utcnow()],
    )
    waiting = store.db.execute(
        "SELECT network_id, comment_json FROM orphan_comments WHERE account_id = ? "
        "AND thread_id = ? ORDER BY network_id",
        [link.account.id, link.thread_id],
    ).fetchall()
    for network_id, comment_json in waiting:
        comment = Comment(**json.loads(comment_json))
        _save_comment(store, ThreadComment(link.account, link.thread_id, comment), counts)
        store.db.execute(
            "DELETE FROM orphan_comments WHERE account_id = ? AND network_id = ?",
            [link.account.id, network_id],
        )


def orphans_waiting(store: Store, account: Account) -> int:
    return store.db.execute(
        "SELECT COUNT(*) FROM orphan_comments WHERE account_id = ?", [account.id]
    ).fetchone()[0]
