"""Sync progress on a terminal: posts read, a bar over the posts whose comments are fetched,
and the account it is waiting on.

A timer redraws the line while nothing arrives (a spinner and the seconds that
account has been waited on), so a slow account never looks like a frozen hub.
Summary lines printed through :meth:`TerminalProgress.say` clear the bar first.
Silent when the stream is not a terminal (cron, the daemon, tests), so logs stay clean.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TextIO

from .i18n import _

BAR_WIDTH = 30
SPINNER = "|/-\\"


class TerminalProgress:
    def __init__(
        self,
        stream: TextIO,
        min_interval: float = 0.1,
        enabled: bool | None = None,
        *,
        tick: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.stream = stream
        self.enabled = stream.isatty() if enabled is None else enabled
        self.posts = 0
        self.comments_done = 0
        self.comments_total = 0
        self.min_interval = min_interval
        self.tick = tick
        self.clock = clock
        self._last = 0.0
        self._frame = 0
        #: account id → how many network calls wait on it, and since when the first
        self._waits: Counter[str] = Counter()
        self._since: dict[str, float] = {}
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._timer: threading.Thread | None = None

    def __enter__(self) -> TerminalProgress:
        if self.enabled and self.tick:
            self._timer = threading.Thread(target=self._refresh, name="progress", daemon=True)
            self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._timer is not None:
            self._timer.join(timeout=1)
        with self._lock:
            if self.enabled and self._last:
                self.stream.write("\r\033[K")
                self.stream.flush()

    def _refresh(self) -> None:
        while not self._stop.wait(self.tick):
            with self._lock:
                if self._waits:
                    self._draw()

    def _draw(self) -> None:
        self._last = self.clock()
        self._frame += 1
        self.stream.write(f"\r\033[K{self.line()}")
        self.stream.flush()

    def update(self, stage: str, n: int) -> None:
        with self._lock:
            if stage == "posts":
                self.posts += n
            elif stage == "comments":
                self.comments_done += n
            elif stage == "comments_total":
                self.comments_total += n
            if self.enabled and self.clock() - self._last >= self.min_interval:
                self._draw()

    def waiting(self, account_ids: Sequence[str], started: bool) -> None:
        """A network call starts (or ends) waiting on these accounts."""
        with self._lock:
            for account_id in account_ids:
                if started:
                    self._waits[account_id] += 1
                    self._since.setdefault(account_id, self.clock())
                else:
                    self._waits[account_id] -= 1
                    if self._waits[account_id] <= 0:
                        del self._waits[account_id]
                        self._since.pop(account_id, None)

    def say(self, line: str, stream: TextIO) -> None:
        """Print a line (an account's summary) above the bar, flushed at once."""
        with self._lock:
            if self.enabled and self._last:
                self.stream.write("\r\033[K")
                self.stream.flush()
            stream.write(line + "\n")
            stream.flush()
            if self.enabled and self._last:
                self._draw()

    def line(self) -> str:
        text = _("syncing: {posts} posts read").format(posts=self.posts)
        if self.comments_total:
            done = min(self.comments_done, self.comments_total)
            filled = BAR_WIDTH * done // self.comments_total
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            text += _("; comments of posts [{bar}] {done}/{total}").format(
                bar=bar, done=done, total=self.comments_total
            )
        if self._waits:
            oldest = min(self._since, key=lambda a: (self._since[a], a))
            others = len(self._waits) - 1
            more = _(" and {n} more").format(n=others) if others else ""
            text += _("; {spin} waiting for {account}{more} ({seconds:.0f}s)").format(
                spin=SPINNER[self._frame % len(SPINNER)],
                account=oldest,
                more=more,
                seconds=self.clock() - self._since[oldest],
            )
        return text
