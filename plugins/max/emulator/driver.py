"""The MAX emulator as a hub.testing.EmulatorDriver, for the network contract suite."""

from __future__ import annotations

from typing import Any

from .server import MaxEmulator


class MaxDriver:
    network = "max"
    token = "max-contract-bot-token"
    rejected_token = "max-revoked-contract-token"

    def __init__(self, emulator: MaxEmulator):
        self.emu = emulator

    @classmethod
    def start(cls, **kw: Any) -> MaxEmulator:
        options = {"seed": 21, "channels": 2, "posts": 12, "comments": 5, "rate_limit": 0}
        return MaxEmulator(tokens=[cls.token], **{**options, **kw})

    def settings(self) -> dict[str, Any]:
        return {"api_base": self.emu.url, "requests_per_second": 1000}

    def environment(self) -> dict[str, str]:
        return {}

    def external_ids(self) -> list[str]:
        return self.emu.channel_ids()

    def state(self) -> dict[str, dict[str, list[str]]]:
        snap = self.emu.snapshot()["channels"]
        return {
            ref: {mid: sorted(p["comments"]) for mid, p in channel["posts"].items()}
            for ref, channel in snap.items()
        }

    def add_post(self, external_id: str, comments: int) -> str:
        return self.emu.add_post(external_id, "Новость для проверки", comments=comments)

    def add_comment(self, external_id: str, post_id: str) -> str:
        return self.emu.add_comment(external_id, post_id, "Когда починят дорогу?")

    def delete_comment(self, external_id: str, post_id: str, comment_id: str) -> None:
        self.emu.delete_comment(external_id, post_id, comment_id)

    def comment_deleted(self, external_id: str, comment_id: str) -> bool:
        channel = self.emu.snapshot()["channels"].get(external_id)
        return channel is not None and comment_id in channel["deleted_comments"]

    def inject_transient_faults(self, count: int) -> None:
        self.emu.set_faults(http500=count // 2 + count % 2, rate_limited=count // 2)

    def requests(self) -> int:
        return self.emu.stats()["requests"]

    def tokens_in_urls(self) -> int:
        return self.emu.stats()["tokens_in_url"]
