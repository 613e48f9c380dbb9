"""Who has a review item open: a short lock, so two moderators do not decide it at once.

A moderator who opens an item (makes it current in the console, or acts on it)
takes its lock for :data:`LOCK_MINUTES`; while it lasts, another moderator's
attempt to take it — and so to act on the item — is refused with the holder's
name. The holder renews it by taking it again; it ends when the item is decided
(:func:`release`) or when it expires, so a moderator who walks away blocks no one
for long. Taking a lock is one statement (an upsert that only overwrites a lock of
the same login or an expired one), so two takers cannot both win.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ..errors import HubError
from ..store import Store

LOCK_MINUTES = 5


@dataclass(frozen=True)
class Lock:
    verdict_id: int
    login: str
    until: str  # ISO UTC, like every time in the database


class Locked(HubError):
    """The item is open by another moderator; the message names them."""

    def __init__(self, lock: Lock):
        self.lock = lock
        super().__init__(
            f"элемент #{lock.verdict_id} открыт модератором {lock.login} "
            f"(до {_clock(lock.until)} UTC); выберите другой или подождите"
        )


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _clock(iso: str) -> str:
    """``HH:MM`` of an ISO time, for a message."""
    return iso[11:16] if len(iso) >= 16 else iso


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def take(
    store: Store,
    verdict_id: int,
    login: str,
    *,
    minutes: int = LOCK_MINUTES,
    now: datetime | None = None,
) -> Lock:
    """Take (or renew) ``login``'s lock on the item; :class:`Locked` if another holds it."""
    moment = _now(now)
    until = _iso(moment + timedelta(minutes=minutes))
    with store.transaction(immediate=True):
        store.db.execute(
            "INSERT INTO review_locks (verdict_id, login, until) VALUES (?, ?, ?) "
            "ON CONFLICT(verdict_id) DO UPDATE SET login = excluded.login, until = excluded.until "
            "WHERE review_locks.login = excluded.login OR review_locks.until <= ?",
            [verdict_id, login, until, _iso(moment)],
        )
        row = store.db.execute(
            "SELECT login, until FROM review_locks WHERE verdict_id = ?", [verdict_id]
        ).fetchone()
    lock = Lock(verdict_id, row[0], row[1])
    if lock.login != login:
        raise Locked(lock)
    return lock


def holder(store: Store, verdict_id: int, *, now: datetime | None = None) -> Lock | None:
    """The live lock on the item, if any (an expired one is no lock)."""
    return held(store, [verdict_id], now=now).get(verdict_id)


def held(
    store: Store, verdict_ids: Iterable[int], *, now: datetime | None = None
) -> dict[int, Lock]:
    """The live locks among these items (one query for a page of them)."""
    ids = [int(i) for i in verdict_ids]
    if not ids:
        return {}
    rows = store.db.execute(
        "SELECT verdict_id, login, until FROM review_locks "
        f"WHERE verdict_id IN ({', '.join('?' for _ in ids)}) AND until > ?",
        [*ids, _iso(_now(now))],
    ).fetchall()
    return {r[0]: Lock(r[0], r[1], r[2]) for r in rows}


def check(store: Store, verdict_id: int, login: str, *, now: datetime | None = None) -> None:
    """:class:`Locked` if someone other than ``login`` has the item open."""
    lock = holder(store, verdict_id, now=now)
    if lock is not None and lock.login != login:
        raise Locked(lock)


def release(store: Store, verdict_id: int, login: str | None = None) -> None:
    """End the lock (the item was decided); with ``login``, only that moderator's."""
    with store.transaction():
        if login is None:
            store.db.execute("DELETE FROM review_locks WHERE verdict_id = ?", [verdict_id])
        else:
            store.db.execute(
                "DELETE FROM review_locks WHERE verdict_id = ? AND login = ?", [verdict_id, login]
            )


def purge_expired(store: Store, *, now: datetime | None = None) -> int:
    """Forget expired locks (they are already no locks); how many went."""
    with store.transaction():
        cursor = store.db.execute("DELETE FROM review_locks WHERE until <= ?", [_iso(_now(now))])
    return cursor.rowcount
