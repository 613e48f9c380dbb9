"""The OK emulator as a :class:`hub.testing.EmulatorDriver`, for the network contract suite."""

from __future__ import annotations

from typing import Any

from .server import OkEmulator

SECRET_ENV = "HUB_CONTRACT_OK_SECRET"


class OkDriver:
    network = "ok"
    token = "ok-contract-token-7d1e"
    rejected_token = "ok-revoked-contract-token"
    application_key = "CONTRACTOKKEY"
    application_secret = "contract-ok-app-secret-55"

    def __init__(self, emulator: OkEmulator):
        self.emu = emulator

    @classmethod
    def start(cls, **kw: Any) -> OkEmulator:
        options = {"seed": 21, "groups": 2, "topics": 15, "comments": 6, "rate_limit": 0}
        return OkEmulator(
            application_key=cls.application_key,
            application_secret=cls.application_secret,
            **{"tokens": [cls.token], **options, **kw},
        )

    def settings(self) -> dict[str, Any]:
        return {
            "api_base": self.emu.url,
            "application_key": self.application_key,
            "application_secret_key_env": SECRET_ENV,
            "requests_per_second": 1000,
        }

    def environment(self) -> dict[str, str]:
        return {SECRET_ENV: self.application_secret}

    def external_ids(self) -> list[str]:
        return [str(g) for g in self.emu.group_ids()]

    def state(self) -> dict[str, dict[str, list[str]]]:
        snap = self.emu.snapshot()["groups"]
        return {
            gid: {tid: [str(c) for c in t["comments"]] for tid, t in g["topics"].items()}
            for gid, g in snap.items()
        }

    def add_post(self, external_id: str, comments: int) -> str:
        return self.emu.add_topic(int(external_id), "Новость для проверки", comments=comments)

    def add_comment(self, external_id: str, post_id: str) -> str:
        return self.emu.add_comment(int(external_id), post_id, "Когда починят дорогу?")

    def delete_comment(self, external_id: str, post_id: str, comment_id: str) -> None:
        self.emu.delete_comment(int(external_id), post_id, comment_id)

    def comment_deleted(self, external_id: str, comment_id: str) -> bool:
        return comment_id in self.emu.snapshot()["groups"][external_id]["deleted_comments"]

    def inject_transient_faults(self, count: int) -> None:
        self.emu.set_faults(error_burst=count // 2 + count % 2, http500=count // 2)

    def requests(self) -> int:
        return self.emu.stats()["requests"]

    def tokens_in_urls(self) -> int:
        return self.emu.stats()["tokens_in_url"]
