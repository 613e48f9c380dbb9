"""The contract's view of the MAX emulator, in the hub's ids.

The emulator's driver (``hub_max.emulator.driver.MaxDriver``) names posts by their
``mid``; the hub stores a post by its ``seq`` (``docs/networks/max.md`` §2), and the
contract compares the two. This wrapper translates, and passes everything else on.
"""

from __future__ import annotations

from typing import Any

import httpx


class SeqDriver:
    def __init__(self, inner: Any):
        self.inner = inner
        self.network = inner.network
        self.token = inner.token
        self.rejected_token = inner.rejected_token
        self._seq: dict[str, int] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    @property
    def emulator(self):
        return getattr(self.inner, "emulator", None) or getattr(self.inner, "emu", None)

    def seq_of(self, mid: str) -> int:
        """A post's seq, asked of the emulator once (its requests are not counted twice)."""
        if mid not in self._seq:
            emu = self.emulator
            answer = httpx.get(
                f"{emu.url}/messages/{mid}", headers={"Authorization": self.token}, timeout=5
            )
            answer.raise_for_status()
            self._seq[mid] = int(answer.json()["body"]["seq"])
            self._untrack(1)
        return self._seq[mid]

    def _untrack(self, n: int) -> None:
        self._uncounted = getattr(self, "_uncounted", 0) + n

    def requests(self) -> int:
        return self.inner.requests() - getattr(self, "_uncounted", 0)

    def _mid_of(self, external_id: str, post_id: str) -> str:
        for mid in self.inner.state()[external_id]:
            if str(self.seq_of(mid)) == str(post_id):
                return mid
        raise KeyError(post_id)

    def state(self) -> dict[str, dict[str, list[str]]]:
        return {
            ext: {str(self.seq_of(mid)): comments for mid, comments in posts.items()}
            for ext, posts in self.inner.state().items()
        }

    def add_post(self, external_id: str, comments: int) -> str:
        return str(self.seq_of(self.inner.add_post(external_id, comments)))

    def add_comment(self, external_id: str, post_id: str) -> str:
        return self.inner.add_comment(external_id, self._mid_of(external_id, post_id))

    def delete_comment(self, external_id: str, post_id: str, comment_id: str) -> None:
        self.inner.delete_comment(external_id, self._mid_of(external_id, post_id), comment_id)
