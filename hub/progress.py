"""Sync progress on a terminal: posts read, and a bar over the posts whose comments are fetched.

Silent when the stream is not a terminal (cron, the daemon, tests), so logs stay clean.
"""

from __future__ import annotations

import time
from typing import TextIO

BAR_WIDTH = 30


class TerminalProgress:
    def __init__(self, stream: TextIO, min_interval: float = 0.1, enabled: bool | None = None):
        self.stream = stream
        self.enabled = stream.isatty() if enabled is None else enabled
        self.posts = 0
        self.comments_done = 0
        self.comments_total = 0
        self.min_interval = min_interval
        self._last = 0.0

    def __enter__(self) -> TerminalProgress:
        return self

    def __exit__(self, *exc) -> None:
        if self.enabled and self._last:
            self.stream.write("\r\033[K")
            self.stream.flush()

    def update(self, stage: str, n: int) -> None:
        if stage == "posts":
            self.posts += n
        elif stage == "comments":
            self.comments_done += n
        elif stage == "comments_total":
            self.comments_total += n
        now = time.monotonic()
        if self.enabled and now - self._last >= self.min_interval:
            self._last = now
            self.stream.write(f"\r\033[K{self.line()}")
            self.stream.flush()

    def line(self) -> str:
        text = f"syncing: {self.posts} posts read"
        if self.comments_total:
            done = min(self.comments_done, self.comments_total)
            filled = BAR_WIDTH * done // self.comments_total
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            text += f"; comments of posts [{bar}] {done}/{self.comments_total}"
        return text
