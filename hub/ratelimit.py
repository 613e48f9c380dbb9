"""A per-key async rate limiter (one key per token), shared by everything a process does."""

from __future__ import annotations

import asyncio
import time


class RateLimiter:
    """Spaces calls for one key at least ``1/rate`` seconds apart.

    Spacing, not bursting: the networks count requests in a sliding second, so a
    burst at the edge of a window would still be refused. ``margin`` keeps a
    little under the limit to absorb clock jitter.
    """

    def __init__(self, rate: float, margin: float = 1.15):
        self.interval = margin / rate if rate > 0 else 0.0
        self._next_slot: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def acquire(self, key: str) -> None:
        if not self.interval:
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            now = time.monotonic()
            slot = max(now, self._next_slot.get(key, 0.0))
            self._next_slot[key] = slot + self.interval
            if slot > now:
                await asyncio.sleep(slot - now)
