"""The Telegram emulator as a hub.testing.EmulatorDriver, for the network contract suite."""

from __future__ import annotations

from typing import Any

from .server import TelegramEmulator


class TelegramDriver:
    network = "telegram"
    token = "987654321:AAH-contract-bot-token"
    rejected_token = "111111111:AAH-revoked-contract-token"

    def __init__(self, emulator: TelegramEmulator):
        self.emu = emulator

    @classmethod
    def start(cls, **kw: Any) -> TelegramEmulator:
        options = {"seed": 21, "channels": 2, "posts": 12, "comments": 5}
        return TelegramEmulator(tokens=[cls.token], **{**options, **kw})

    def settings(self) -> dict[str, Any]:
        return {"api_base": self.emu.url, "requests_per_second": 1000}

    def environment(self) -> dict[str, str]:
        return {}

    def external_ids(self) -> list[str]:
        return self.emu.channel_refs()

    def state(self) -> dict[str, dict[str, list[str]]]:
        snap = self.emu.snapshot()["channels"]
        return {
            ref: {pid: [str(c) for c in p["comments"]] for pid, p in channel["posts"].items()}
            for ref, channel in snap.items()
        }

    def add_post(self, external_id: str, comments: int) -> str:
        return str(self.emu.add_post(external_id, "Новость для проверки", comments=comments))

    def add_comment(self, external_id: str, post_id: str) -> str:
        return str(self.emu.add_comment(external_id, int(post_id), "Когда починят дорогу?"))

    def delete_comment(self, external_id: str, post_id: str, comment_id: str) -> None:
        self.emu.delete_comment(external_id, int(comment_id))

    def comment_deleted(self, external_id: str, comment_id: str) -> bool:
        deleted = self.emu.snapshot()["channels"][external_id]["deleted_comments"]
        return int(comment_id) in deleted

    def inject_transient_faults(self, count: int) -> None:
        self.emu.set_faults(
            http500=count // 2 + count % 2, retry_after=count // 2, retry_after_seconds=1
        )

    def requests(self) -> int:
        return self.emu.stats()["requests"]

    def tokens_in_urls(self) -> int:
        return 0  # the Bot API carries the token in the path by design; see test_canary
