"""The VK emulator as a :class:`hub.testing.EmulatorDriver`, for the network contract suite."""

from __future__ import annotations

from typing import Any

from .server import VkEmulator


class VkDriver:
    network = "vk"
    token = "vk1.a.contract-token"
    rejected_token = "vk1.a.revoked-contract-token"

    def __init__(self, emulator: VkEmulator):
        self.emu = emulator

    @classmethod
    def start(cls, **kw: Any) -> VkEmulator:
        options = {"seed": 21, "communities": 2, "posts": 15, "comments": 6, "rate_limit": 0}
        return VkEmulator(tokens=[cls.token], **{**options, **kw})

    def settings(self) -> dict[str, Any]:
        return {"api_base": self.emu.url, "requests_per_second": 1000}

    def environment(self) -> dict[str, str]:
        return {}

    def external_ids(self) -> list[str]:
        return [str(g) for g in self.emu.community_ids()]

    def state(self) -> dict[str, dict[str, list[str]]]:
        snap = self.emu.snapshot()["communities"]
        return {
            gid: {pid: [str(c) for c in p["comments"]] for pid, p in c["posts"].items()}
            for gid, c in snap.items()
        }

    def add_post(self, external_id: str, comments: int) -> str:
        return str(self.emu.add_post(int(external_id), "Новость для проверки", comments=comments))

    def add_comment(self, external_id: str, post_id: str) -> str:
        return str(self.emu.add_comment(int(external_id), int(post_id), "Когда починят дорогу?"))

    def delete_comment(self, external_id: str, post_id: str, comment_id: str) -> None:
        self.emu.delete_comment(int(external_id), int(comment_id))

    def comment_deleted(self, external_id: str, comment_id: str) -> bool:
        deleted = self.emu.snapshot()["communities"][external_id]["deleted_comments"]
        return int(comment_id) in deleted

    def inject_transient_faults(self, count: int) -> None:
        self.emu.set_faults(error6_burst=count // 2 + count % 2, http500=count // 2)

    def requests(self) -> int:
        return self.emu.stats()["requests"]

    def tokens_in_urls(self) -> int:
        return self.emu.stats()["tokens_in_url"]
