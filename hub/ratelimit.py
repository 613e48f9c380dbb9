"""A per-key async rate limiter (one key per token), shared by everything a process does.

The schedule lives in a process-wide table keyed by (network, token), so a
moderation action right after a sync, or two accounts of one token synced by
different network objects, still keep under the network's per-token limit.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import weakref

#: key → the earliest time the next request may go
_next_slot: dict[str, float] = {}
#: one lock per key per event loop (an asyncio lock belongs to the loop that used it first)
_locks: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _key(scope: str, token: str) -> str:
    return scope + ":" + hashlib.sha256(token.encode()).hexdigest()[:16]


class RateLimiter:
    """Spaces calls for one key at least ``1/rate`` seconds apart.

    Spacing, not bursting: the networks count requests in a sliding second, so a
    burst at the edge of a window would still be refused. ``margin`` keeps a
    little under the limit to absorb clock jitter.
    """

    def __init__(self, rate: float, margin: float = 1.15, scope: str = ""):
        self.interval = margin / rate if rate > 0 else 0.0
        self.scope = scope

    async def acquire(self, token: str) -> None:
        if not self.interval:
            return
        key = _key(self.scope, token)
        loop_locks = _locks.setdefault(asyncio.get_running_loop(), {})
        async with loop_locks.setdefault(key, asyncio.Lock()):
            now = time.monotonic()
            slot = max(now, _next_slot.get(key, 0.0))
            _next_slot[key] = slot + self.interval
            if slot > now:
                await asyncio.sleep(slot - now)
