"""The moderation audit log: append-only and hash-chained.

Each entry stores the comment's text as it was, the rule, the legal category,
who acted (the engine or an operator) and the network's answer, plus the hash
of the entry before it. Changing or removing any entry breaks every hash after
it, which :func:`verify` finds; SQLite triggers refuse UPDATE and DELETE on the
table outright. This is what holds up to a complaint or a prosecutor's request.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from ..store import Store, utcnow
from ..verdicts import LEGAL_CATEGORIES

GENESIS = "0" * 64
FIELDS = (
    "at",
    "account_id",
    "comment_id",
    "actor",
    "event",
    "category",
    "legal_category",
    "rule",
    "comment_text",
    "network_answer",
    "action_id",
    "prev_hash",
)


def _digest(entry: dict[str, Any]) -> str:
    canonical = json.dumps([entry[f] for f in FIELDS], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def append(
    store: Store,
    *,
    account_id: str,
    comment_id: int | None,
    actor: str,
    event: str,
    category: str | None = None,
    rule: str | None = None,
    comment_text: str | None = None,
    network_answer: Any = None,
    action_id: int | None = None,
) -> str:
    """Add an entry (inside the caller's transaction); return its hash."""
    last = store.db.execute("SELECT hash FROM moderation_log ORDER BY id DESC LIMIT 1").fetchone()
    entry = {
        "at": utcnow(),
        "account_id": account_id,
        "comment_id": comment_id,
        "actor": actor,
        "event": event,
        "category": category,
        "legal_category": LEGAL_CATEGORIES.get(category or ""),
        "rule": rule,
        "comment_text": comment_text,
        "network_answer": None
        if network_answer is None
        else json.dumps(network_answer, ensure_ascii=False, sort_keys=True),
        "action_id": action_id,
        "prev_hash": last[0] if last else GENESIS,
    }
    entry["hash"] = _digest(entry)
    columns = [*FIELDS, "hash"]
    store.db.execute(
        f"INSERT INTO moderation_log ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)})",
        [entry[c] for c in columns],
    )
    return entry["hash"]


@dataclass
class ChainReport:
    entries: int
    broken_at: int | None = None
    problem: str | None = None
    #: the last entry's hash: write it down (or send it on) to detect a rewrite of the whole chain
    head: str = GENESIS

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def verify(store: Store) -> ChainReport:
    """Recompute every hash in order; report the first entry that does not match."""
    cursor = store.db.execute(
        f"SELECT id, {', '.join(FIELDS)}, hash FROM moderation_log ORDER BY id"
    )
    names = ["id", *FIELDS, "hash"]
    previous = GENESIS
    count = 0
    for row in cursor:
        entry = dict(zip(names, row, strict=True))
        count += 1
        if entry["prev_hash"] != previous:
            return ChainReport(count, entry["id"], "its link to the entry before it is broken")
        if _digest(entry) != entry["hash"]:
            return ChainReport(count, entry["id"], "its content no longer matches its hash")
        previous = entry["hash"]
    return ChainReport(count, head=previous)


def entries(store: Store, limit: int = 50) -> list[dict[str, Any]]:
    cursor = store.db.execute(
        f"SELECT id, {', '.join(FIELDS)}, hash FROM moderation_log ORDER BY id DESC LIMIT ?",
        [limit],
    )
    names = ["id", *FIELDS, "hash"]
    return [dict(zip(names, row, strict=True)) for row in cursor]
