"""A one-line progress display on a terminal; silent when output is not a terminal."""

from __future__ import annotations

import time
from typing import TextIO


class TerminalProgress:
    def __init__(self, stream: TextIO, min_interval: float = 0.1):
        self.stream = stream
        self.enabled = stream.isatty()
        self.counts: dict[str, int] = {}
        self.min_interval = min_interval
        self._last = 0.0

    def __enter__(self) -> TerminalProgress:
        return self

    def __exit__(self, *exc) -> None:
        if self.enabled and self.counts:
            self.stream.write("\r\033[K")
            self.stream.flush()

    def update(self, stage: str, n: int) -> None:
        self.counts[stage] = self.counts.get(stage, 0) + n
        now = time.monotonic()
        if not self.enabled or now - self._last < self.min_interval:
            return
        self._last = now
        parts = ", ".join(f"{k} {v}" for k, v in self.counts.items())
        self.stream.write(f"\r\033[Ksyncing: {parts}")
        self.stream.flush()
