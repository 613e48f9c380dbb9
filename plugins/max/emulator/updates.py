"""The bot's update queue: long polling with markers, and webhook delivery with retries.

One queue for both ways, as MAX has it: an update waits until a long poll commits it
(passing a later ``marker``) or a webhook answers it with 200. While a subscription is
active, ``GET /updates`` is refused (the two cannot run at once) and the delivery thread
POSTs each update — one ``Update`` object per request, as MAX sends them (see the Go
client's ``stabs/webhook.*.json``) — with the ``X-Max-Bot-Api-Secret`` header. A non-200
answer or a broken connection is retried with doubling delays, a few times here rather
than the real API's 8 hours, then the update is dropped and counted.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from hub.sandbox.harness import Stats

SECRET_HEADER = "X-Max-Bot-Api-Secret"
FIRST_MARKER = 1_000  # sequence numbers start here, so a marker is never 0


@dataclass
class Subscription:
    url: str
    secret: str | None
    update_types: list[str] | None
    time_ms: int

    def json(self) -> dict[str, Any]:
        """``Subscription`` (the secret is never answered back)."""
        return {"url": self.url, "time": self.time_ms, "update_types": self.update_types}

    def wants(self, update: dict[str, Any]) -> bool:
        return not self.update_types or update["update_type"] in self.update_types


class UpdateQueue:
    """Pending updates by sequence number, a long-poll wait, and the webhook thread."""

    def __init__(
        self,
        stats: Stats,
        *,
        retries: int = 5,
        retry_delay: float = 0.05,
        timeout: float = 5.0,
        retention_seconds: float = 8 * 3600,
    ) -> None:
        self._stats = stats
        self._cond = threading.Condition()
        self._pending: list[tuple[int, float, dict[str, Any]]] = []  # (seq, queued at, update)
        self._next = FIRST_MARKER
        self._log: list[dict[str, Any]] = []
        self.subscription: Subscription | None = None
        self.retries = retries
        self.retry_delay = retry_delay
        self.timeout = timeout
        self.retention_seconds = retention_seconds
        self.delivered = self.failed_attempts = self.dropped = 0
        self._in_flight = False
        self._stopped = False
        self._thread = threading.Thread(target=self._deliver_loop, daemon=True, name="max-webhook")
        self._thread.start()

    # ------------------------------------------------------------------ queueing

    def push(self, update: dict[str, Any]) -> None:
        with self._cond:
            self._pending.append((self._next, time.monotonic(), update))
            self._next += 1
            self._log.append(update)
            self._cond.notify_all()

    def log(self) -> list[dict[str, Any]]:
        with self._cond:
            return [dict(u) for u in self._log]

    def pending(self) -> int:
        with self._cond:
            return len(self._pending)

    # ------------------------------------------------------------------ long polling

    def poll(
        self, marker: int | None, limit: int, timeout: float, types: set[str] | None
    ) -> dict[str, Any]:
        """``GET /updates``: commit below ``marker``, then answer what follows (or wait)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            if marker is not None:
                self._pending = [p for p in self._pending if p[0] >= marker]
            while True:
                self._expire()
                start = marker if marker is not None else FIRST_MARKER
                batch = [p for p in self._pending if p[0] >= start][:limit]
                wanted = [u for _, _, u in batch if not types or u["update_type"] in types]
                left = deadline - time.monotonic()
                if wanted or left <= 0 or self._stopped:
                    break
                if batch:  # only unwanted types so far: step past them and keep waiting
                    marker = batch[-1][0] + 1
                    continue
                self._cond.wait(min(left, 0.5))
            next_marker = batch[-1][0] + 1 if batch else (marker if marker is not None else None)
            if next_marker is None:
                next_marker = self._pending[0][0] if self._pending else self._next
            return {"updates": [dict(u) for u in wanted], "marker": next_marker}

    def _expire(self) -> None:
        """Long polling keeps updates for a limited time only."""
        cutoff = time.monotonic() - self.retention_seconds
        self._pending = [p for p in self._pending if p[1] >= cutoff]

    # ------------------------------------------------------------------ webhooks

    def subscribe(self, subscription: Subscription) -> None:
        with self._cond:
            self.subscription = subscription  # one per bot here: a new URL replaces the old
            self._cond.notify_all()

    def unsubscribe(self, url: str) -> bool:
        with self._cond:
            if self.subscription is None or self.subscription.url != url:
                return False
            self.subscription = None
            self._cond.notify_all()
            return True

    def wait_idle(self, timeout: float) -> bool:
        """Until no update waits for a webhook (or none is subscribed); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self.subscription is not None and (self._pending or self._in_flight):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
            return True

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        self._thread.join(timeout=5)

    def _deliver_loop(self) -> None:
        attempts = 0
        while True:
            with self._cond:
                while not self._stopped and (self.subscription is None or not self._pending):
                    attempts = 0
                    self._cond.wait(0.5)
                if self._stopped:
                    return
                sub = self.subscription
                seq, _, update = self._pending[0]
                if sub is None:
                    continue
                if not sub.wants(update):
                    self._pending.pop(0)
                    continue
                self._in_flight = True
            ok = self._post(sub, update)
            with self._cond:
                self._in_flight = False
                head = self._pending[0][0] if self._pending else None
                if ok:
                    self.delivered += 1
                    self._stats.count(webhook_delivered=1)
                else:
                    self.failed_attempts += 1
                    self._stats.count(webhook_failed_attempts=1)
                if head == seq and (ok or attempts >= self.retries):
                    if not ok:
                        self.dropped += 1
                        self._stats.count(webhook_dropped=1)
                    self._pending.pop(0)
                    attempts = 0
                    self._cond.notify_all()
                    continue
                attempts += 1
                delay = self.retry_delay * 2 ** (attempts - 1)
                self._cond.notify_all()
                self._cond.wait(delay)

    def _post(self, sub: Subscription, update: dict[str, Any]) -> bool:
        body = json.dumps(update, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "MAX-Bot-API"}
        if sub.secret:
            headers[SECRET_HEADER] = sub.secret
        request = urllib.request.Request(sub.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                answer.read()
                return answer.status == 200
        except urllib.error.HTTPError as exc:
            with contextlib.suppress(OSError):
                exc.read()
            return False
        except (OSError, ValueError):
            return False
