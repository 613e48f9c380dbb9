"""The ``[web]`` table: where the console listens and how it treats sessions.

    [web]
    host = "127.0.0.1"        # loopback: put nginx with TLS in front (config/nginx-hub.conf)
    port = 8080
    base_url = "https://hub.example.ru"   # what people type; https:// makes cookies Secure
    separate_approval = true  # an author cannot approve their own draft
    session_hours = 12        # a session ends this long after sign-in (and after 2 idle hours)

Why these defaults: a console on a closed municipal network is still reached from
many desks, so it listens on loopback until someone puts TLS in front of it; a
working day fits in 12 hours; the acts want the plan approved by someone other
than its author, so that is on unless a tiny office turns it off.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..settings import Section, check_url

WEB_KEYS = {"host", "port", "base_url", "separate_approval", "session_hours"}
IDLE_HOURS = 2


@dataclass(frozen=True)
class WebSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    base_url: str = ""
    separate_approval: bool = True
    session_hours: int = 12

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")


def parse_web(raw_config: dict[str, Any]) -> WebSettings:
    """Read and check ``[web]`` from the whole parsed config (``Config.raw``)."""
    table = Section.of(raw_config, "web", WEB_KEYS)
    host = table.text("host", '"127.0.0.1"', WebSettings.host) or WebSettings.host
    base_url = table.get("base_url", "")
    if base_url:
        base_url = check_url(base_url, table.what("base_url")).rstrip("/")
    return WebSettings(
        host=host.strip(),
        port=table.whole("port", WebSettings.port, 1, 65535),
        base_url=base_url,
        separate_approval=table.flag("separate_approval", True),
        session_hours=table.whole(
            "session_hours", WebSettings.session_hours, 1, 24 * 14, unit="hours"
        ),
    )
