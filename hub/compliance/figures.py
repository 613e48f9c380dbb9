"""The week's figures of one account, read from the store (no network is called).

What counts, and why:

- **Posts.** The account's own posts (the author is the community, the channel or
  its group — :func:`hub.moderation.pipeline.own_author_ids` — or no author at all,
  since a wall names every other author), published within the week in the
  municipality's zone. Residents' and suggested posts are not the administration
  publishing; scheduled or suggested kinds (``postpone``, ``suggest``) are not out
  yet. A post the network removed counts only if it was still up when the week
  ended, so a week's figure does not change when an old post is deleted months later.
- **Planned** (the forecast): approved drafts whose target on this account is still
  ``pending`` and is due before the week ends; in the current week an overdue one
  counts too (the daemon publishes it at once), in an upcoming week only those due
  in it. ``sending`` and ``unknown`` targets are left out: they may already be posts.
- **Removals.** An offending comment is one the hub judged ``delete`` (the engine's
  verdict or an operator's approval), or one an operator deleted with
  ``hub comments delete``; comments wiped with their author's ban are not counted
  (nobody judged them). Dwell time runs from the comment's publication time as the
  network gave it (from when the hub first saw it only where that is missing; the
  count of those is reported) to its removal as the hub recorded it — but never from
  before the hub watched the page: a comment published before the account's first
  sync (:func:`watch_starts`) counts from when the hub first saw it (the comment's
  ``first_seen_at``), so spam the first sync finds from years ago is judged on how fast
  it went once the hub was there (that count is reported too). A comment published
  after the first sync counts from its publication, the wait for the next sync
  included: the hub was watching, and it was on the page. A comment the
  network removed (a person acting on a ``manual`` verdict) counts to when a sync
  saw it gone, an upper bound. Offending comments up when the week ended (or now,
  while it runs) are counted with their age then, since a comment never removed is
  the worst case; one removed later still counts for that week, so a finished week's
  figure does not change when it goes (it counts as removed in the week it went);
  their age runs from the same start, so one the hub had not yet seen is not counted.
- **The install.** :func:`watch_starts`: an account's first sync (its ``sync_runs``
  rows, found by the ``(account_id, started_at)`` index) is when the hub began
  watching it; :func:`installed_at`: the hub's install is the first of those, or,
  before any sync, the database's creation (``m001_initial`` in ``_hub_migrations``).
- **Notices.** :func:`hub.registry.notices.list_notices` decides what is overdue. For
  a finished week the reference day is the Monday after it, and a notice delivered
  since, but after that day began, still counts: it was overdue when the week ended.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from ..models import Account
from ..moderation.pipeline import own_author_ids
from ..registry.notices import list_notices
from ..store import Store
from .week import parse_time, utc_text

#: post kinds that are not (yet) publications on the page
NOT_PUBLISHED_KINDS = ("postpone", "suggest")


def own_posts(store: Store, account: Account, start: datetime, end: datetime) -> int:
    """The account's own posts published in [start, end) and still up when the week ended."""
    own = sorted(own_author_ids(store, account))
    marks = ", ".join("?" for _ in own) or "NULL"
    return store.db.execute(
        "SELECT COUNT(*) FROM posts WHERE account_id = ? AND published_at >= ? "
        "AND published_at < ? AND (deleted_at IS NULL OR deleted_at >= ?) "
        f"AND (author_id IS NULL OR author_id IN ({marks})) "
        f"AND COALESCE(kind, 'post') NOT IN ({', '.join('?' for _ in NOT_PUBLISHED_KINDS)})",
        [account.id, utc_text(start), utc_text(end), utc_text(end), *own, *NOT_PUBLISHED_KINDS],
    ).fetchone()[0]


def planned_posts(store: Store, account_id: str, start: datetime | None, end: datetime) -> int:
    """Approved drafts still pending on the account, due before ``end`` (and from ``start``)."""
    return store.db.execute(
        "SELECT COUNT(*) FROM draft_targets t JOIN drafts d ON d.id = t.draft_id "
        "WHERE t.account_id = ? AND t.state = 'pending' AND d.state = 'approved' "
        "AND d.publish_at < ? AND (? IS NULL OR d.publish_at >= ?)",
        [
            account_id,
            utc_text(end),
            None if start is None else utc_text(start),
            None if start is None else utc_text(start),
        ],
    ).fetchone()[0]


def watch_starts(store: Store) -> dict[str, datetime]:
    """Each synced account's first sync start: since when the hub could see its page.

    One query; each account's earliest run is one seek in the ``sync_runs``
    ``(account_id, started_at)`` index, however many runs a year of syncing left."""
    rows = store.db.execute(
        "SELECT a.id, (SELECT r.started_at FROM sync_runs r WHERE r.account_id = a.id "
        "ORDER BY r.started_at LIMIT 1) FROM accounts a"
    ).fetchall()
    return {account_id: moment for account_id, text in rows if (moment := parse_time(text))}


def installed_at(store: Store, starts: Mapping[str, datetime]) -> datetime | None:
    """The hub's install: its first sync of any account, else the database's creation."""
    if starts:
        return min(starts.values())
    row = store.db.execute(
        "SELECT applied_at FROM _hub_migrations WHERE name = 'm001_initial'"
    ).fetchone()
    return parse_time(row[0]) if row else None


def flags(store: Store, account_id: str) -> tuple[bool | None, bool | None]:
    """(2FA attested, connected to Gospabliki); None where nothing is on record."""
    row = store.db.execute(
        "SELECT t.two_factor, f.gospabliki FROM accounts a "
        "LEFT JOIN account_attestations t ON t.account_id = a.id "
        "LEFT JOIN account_flags f ON f.account_id = a.id WHERE a.id = ?",
        [account_id],
    ).fetchone()
    if row is None:
        return None, None
    return tuple(None if v is None else bool(v) for v in row)  # type: ignore[return-value]


#: The action row an operator's or the engine's delete leaves: found by its idempotency key
#: (``hub.actions.delete_comment`` writes ``delete_comment:<account>:<comment network id>``),
#: which is indexed, not by scanning every action for every comment.
_OFFENDING = (
    "(v.decision = 'delete' OR (c.deleted_by = 'hub' AND EXISTS (SELECT 1 FROM actions x "
    "WHERE x.idempotency_key = 'delete_comment:' || c.account_id || ':' || c.network_id "
    "AND x.account_id = c.account_id AND x.kind = 'delete_comment' AND x.state = 'done')))"
)
#: offending comments removed in [start, end), every account in one pass over comments
REMOVED_SQL = (
    "SELECT c.account_id, c.published_at, c.first_seen_at, c.deleted_at FROM comments c "
    "LEFT JOIN verdicts v ON v.comment_id = c.id "
    "WHERE c.deleted_at >= :start AND c.deleted_at < :end AND " + _OFFENDING
)
#: comments judged ``delete`` and up at ``cutoff`` (the week's end, or now while it runs):
#: not removed, or removed only later, so a past week's figure does not change when they
#: go. Driven from the verdicts (CROSS JOIN keeps that order): one pass for every account.
#: Whether the hub had seen one by then (:func:`up_since`) is decided per row.
STILL_UP_SQL = (
    "SELECT c.account_id, c.published_at, c.first_seen_at FROM verdicts v "
    "CROSS JOIN comments c ON c.id = v.comment_id WHERE v.decision = 'delete' "
    "AND (c.deleted_at IS NULL OR c.deleted_at >= :cutoff) "
    "AND COALESCE(c.published_at, c.first_seen_at) < :cutoff"
)


def up_since(
    published: datetime | None, first_seen: datetime | None, watched: datetime | None
) -> datetime | None:
    """When an offending comment's time on the page starts to count: its publication, or,
    for one published before the hub watched the page (``watched``: the account's first
    sync) or without a publication time, when the hub first saw it."""
    if published is None:
        return first_seen
    if watched is None or published >= watched:
        return published
    return max(published, first_seen or watched)


def removals_by_account(
    store: Store,
    account_ids: list[str],
    start: datetime,
    end: datetime,
    as_of: datetime,
    watched: Mapping[str, datetime | None] | None = None,
) -> dict[str, dict[str, Any]]:
    """Offending comments removed in [start, end): how long they stayed up; and those up
    at the week's end (or now, while it runs) — per account, two queries in all.

    ``watched``: each account's first sync (:func:`watch_starts`); without it every
    comment counts from its publication. Each ``{"removed", "median_seconds",
    "max_seconds", "from_first_seen", "before_install", "still_up",
    "oldest_still_up_seconds"}``; the seconds are None when there is nothing to measure.
    """
    wanted = set(account_ids)
    watched = watched or {}
    dwell: dict[str, list[float]] = {a: [] for a in wanted}
    removed = dict.fromkeys(wanted, 0)
    from_first_seen = dict.fromkeys(wanted, 0)
    before_install = dict.fromkeys(wanted, 0)
    rows = store.db.execute(REMOVED_SQL, {"start": utc_text(start), "end": utc_text(end)})
    for account_id, published, first_seen, deleted in rows.fetchall():
        if account_id not in wanted:
            continue
        removed[account_id] += 1
        posted, since_watched = parse_time(published), watched.get(account_id)
        if posted is None:
            from_first_seen[account_id] += 1
        elif since_watched is not None and posted < since_watched:
            before_install[account_id] += 1
        since = up_since(posted, parse_time(first_seen), since_watched)
        gone = parse_time(deleted)
        if since is not None and gone is not None:
            dwell[account_id].append(max(0.0, (gone - since).total_seconds()))
    cutoff = min(as_of, end)
    ages: dict[str, list[float]] = {a: [] for a in wanted}
    for account_id, published, first_seen in store.db.execute(
        STILL_UP_SQL, {"cutoff": utc_text(cutoff)}
    ):
        if account_id not in wanted:
            continue
        since = up_since(parse_time(published), parse_time(first_seen), watched.get(account_id))
        if since is not None and since < cutoff:  # the hub had seen it (or watched) by then
            ages[account_id].append((cutoff - since).total_seconds())
    return {
        a: {
            "removed": removed[a],
            "median_seconds": round(statistics.median(dwell[a])) if dwell[a] else None,
            "max_seconds": round(max(dwell[a])) if dwell[a] else None,
            "from_first_seen": from_first_seen[a],
            "before_install": before_install[a],
            "still_up": len(ages[a]),
            "oldest_still_up_seconds": round(max(ages[a])) if ages[a] else None,
        }
        for a in wanted
    }


def removals(
    store: Store,
    account_id: str,
    start: datetime,
    end: datetime,
    as_of: datetime,
    watched: datetime | None = None,
) -> dict[str, Any]:
    """:func:`removals_by_account` for one account (``watched``: its first sync)."""
    return removals_by_account(store, [account_id], start, end, as_of, {account_id: watched})[
        account_id
    ]


def overdue_notices(
    store: Store, reference: date, zone: ZoneInfo, *, finished: bool
) -> list[dict[str, Any]]:
    """Notices overdue on ``reference`` (local date), each ``{id, kind, organization,
    account, due_date, delivered}``; see the module docstring for a finished week."""
    out = []
    for notice in list_notices(store, today=reference):
        late = False
        if finished and notice["status"] == "sent" and notice["due_date"] < reference.isoformat():
            sent = parse_time(notice.get("sent_at"))
            late = sent is not None and sent.astimezone(zone).date() >= reference
        if notice["overdue"] or late:
            out.append(
                {
                    "id": notice["id"],
                    "kind": notice["kind"],
                    "organization": notice["organization"],
                    "account": notice["account_id"],
                    "due_date": notice["due_date"],
                    "delivered": notice["status"] == "sent",
                }
            )
    return out
