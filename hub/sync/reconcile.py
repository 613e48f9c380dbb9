"""The periodic reconcile: re-reading comments whose post counters did not move.

The incremental sync reads a post's comments when its comment counter or edit
mark moved. Some changes move neither: a comment deleted while another arrives,
an edited comment. So, once per ``[sync] reconcile_hours``, every post of the
recent window that has comments is read again anyway.

The cost is spread over the period instead of paid at once: a *round* starts at
a time, and each sync re-reads the share of the window's posts (oldest network
id first) that the time elapsed since then calls for — after 6 of 24 hours, a
quarter of them. A sync that comes a whole period or more after the round began
(a daily cron job, a daemon back from a long stop) finishes the round at once.
Each post is thus read again about once a period, whatever the sync interval.

The round (when it began, the network id of the last post re-read) is kept in
``hub_state`` under ``reconcile:<account id>``, and moves in the same
transaction as that post's comments: an interrupted sync resumes where its
rows end, never past them.

Networks read as an update stream (Telegram) cannot re-read anything: a bot
sees only what arrives, so they have no reconcile.
"""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..store import Store, utcnow

KEY = "reconcile:{account}"


@dataclass(frozen=True)
class Round:
    """One pass over the window: when it began, and the last post re-read in it."""

    started: datetime
    after: int | None = None


@dataclass(frozen=True)
class Slice:
    """The posts (network ids, ascending) this sync re-reads for the reconcile."""

    round: Round
    post_ids: tuple[int, ...]
    #: re-reading them ends the round; the next begins when the last one is stored
    ends_round: bool


def load_round(store: Store, account_id: str) -> Round | None:
    row = store.db.execute(
        "SELECT value FROM hub_state WHERE key = ?", [KEY.format(account=account_id)]
    ).fetchone()
    if row is None:
        return None
    data = json.loads(row[0])
    return Round(datetime.fromisoformat(data["started"]), data.get("after"))


def save_round(store: Store, account_id: str, round_: Round) -> None:
    """Write the round; the caller holds the transaction that stores its rows."""
    value = json.dumps({"started": round_.started.isoformat(), "after": round_.after})
    store.db.execute(
        "INSERT INTO hub_state (key, value, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        [KEY.format(account=account_id), value, utcnow()],
    )


def phase(account_id: str) -> float:
    """A fixed offset in [0, 1) per account, so accounts do not all reach their next post at once.

    Accounts begin their rounds together (the first sync with the reconcile)
    and hold similar numbers of posts; without it their shares would step up in
    the same sync (one burst of many posts) instead of a few posts every sync.
    """
    return zlib.crc32(account_id.encode()) % 1000 / 1000


def plan_slice(
    candidates: Sequence[int],
    round_: Round,
    now: datetime,
    period: timedelta,
    offset: float = 0.0,
) -> Slice:
    """The posts due now: the round's share of ``candidates`` for the time elapsed.

    ``candidates`` are the network ids of the window's posts with comments,
    ascending. Posts already re-read in this round (ids up to ``after``) count
    towards the share; posts that left the window simply drop out of it.
    ``offset`` (:func:`phase`) shifts when the share steps up, never its total.
    """
    ordered = sorted(candidates)
    remaining = [c for c in ordered if round_.after is None or c > round_.after]
    done = len(ordered) - len(remaining)
    elapsed = (now - round_.started) / period
    share = math.floor(max(elapsed, 0) * len(ordered) + offset)
    target = len(ordered) if elapsed >= 1 else min(share, len(ordered))
    due = remaining[: max(0, target - done)]
    return Slice(round_, tuple(due), ends_round=elapsed >= 1 and len(due) == len(remaining))


def advance(store: Store, account_id: str, plan: Slice, post_id: int, now: datetime) -> None:
    """Record ``post_id`` as re-read; the round's last post starts the next round."""
    if plan.ends_round and post_id == plan.post_ids[-1]:
        save_round(store, account_id, Round(now))
    else:
        save_round(store, account_id, Round(plan.round.started, post_id))
