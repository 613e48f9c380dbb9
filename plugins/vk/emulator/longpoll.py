"""Bots Long Poll for the VK emulator: per-community event logs, keys, ``a_check`` answers.

As on VK (``docs/networks/vk.md`` §7.1): ``groups.getLongPollServer`` hands out
``{key, server, ts}``; ``GET {server}?act=a_check&key=&ts=&wait=`` answers the events
after ``ts`` (waiting up to ``wait`` seconds for one) or ``{"failed": 1|2|3}``. Here
``ts`` simply counts the events a community has logged, and only the newest
:data:`RETAINED_EVENTS` are kept, so a client that falls behind gets ``failed: 1``.

This module knows no walls: the emulator and its methods build the event objects
and :meth:`EventLog.add` them under the emulator's lock.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

LP_VERSION = "5.199"  # the newest version the emulator renders; events carry the configured one
#: the events of ``groups.getLongPollSettings`` (schema ``groups_long_poll_events``, required keys)
LP_EVENTS = (
    "audio_new",
    "board_post_delete",
    "board_post_edit",
    "board_post_new",
    "board_post_restore",
    "donut_money_withdraw",
    "donut_money_withdraw_error",
    "donut_subscription_cancelled",
    "donut_subscription_create",
    "donut_subscription_expired",
    "donut_subscription_price_changed",
    "donut_subscription_prolonged",
    "group_change_photo",
    "group_change_settings",
    "group_join",
    "group_leave",
    "group_officers_edit",
    "market_comment_delete",
    "market_comment_edit",
    "market_comment_new",
    "market_comment_restore",
    "message_allow",
    "message_deny",
    "message_edit",
    "message_new",
    "message_reaction_event",
    "message_read",
    "message_reply",
    "message_typing_state",
    "photo_comment_delete",
    "photo_comment_edit",
    "photo_comment_new",
    "photo_comment_restore",
    "photo_new",
    "poll_vote_new",
    "user_block",
    "user_unblock",
    "video_comment_delete",
    "video_comment_edit",
    "video_comment_new",
    "video_comment_restore",
    "video_new",
    "wall_post_new",
    "wall_reply_delete",
    "wall_reply_edit",
    "wall_reply_new",
    "wall_reply_restore",
    "wall_repost",
    "wall_schedule_post_delete",
    "wall_schedule_post_new",
)
#: the wall's events, which the emulator logs (and the hub reads)
WALL_EVENTS = (
    "wall_post_new",
    "wall_reply_new",
    "wall_reply_edit",
    "wall_reply_delete",
    "wall_reply_restore",
)
RETAINED_EVENTS = 1000  # per community; older positions answer failed 1
MAX_WAIT = 90  # seconds; VK's documented maximum for ``wait``
DEFAULT_WAIT = 25
DEFAULT_KEY_TTL = 3600.0
WAIT_STEP = 0.02  # seconds between looks at the log while a long poll waits


class EventLog:
    """One community's events in order; ``ts`` is how many were ever logged.

    Also the community's Long Poll settings, VK's defaults: off, no version, no
    event (``groups.setLongPollSettings`` changes them). Only an event switched on,
    while Long Poll is on, is logged, stamped with the configured ``api_version``.
    """

    def __init__(self, group_id: int, retained: int = RETAINED_EVENTS) -> None:
        self.group_id = group_id
        self.ts = 0
        self._events: deque[dict[str, Any]] = deque(maxlen=retained)
        self.enabled = False
        self.api_version: str | None = None
        self.switched_on: set[str] = set()

    def settings(self) -> dict[str, Any]:
        """The ``groups.getLongPollSettings`` answer."""
        out: dict[str, Any] = {
            "is_enabled": self.enabled,
            "events": {name: int(name in self.switched_on) for name in LP_EVENTS},
        }
        if self.api_version is not None:
            out["api_version"] = self.api_version
        return out

    def configure(
        self, enabled: bool | None, api_version: str | None, events: dict[str, bool]
    ) -> None:
        """What ``groups.setLongPollSettings`` was given; what it was not given stays."""
        if enabled is not None:
            self.enabled = enabled
        if api_version is not None:
            self.api_version = api_version
        for name, on in events.items():
            (self.switched_on.add if on else self.switched_on.discard)(name)

    def delivers(self, event_type: str) -> bool:
        return self.enabled and event_type in self.switched_on

    def add(self, event_type: str, obj: dict[str, Any]) -> dict[str, Any] | None:
        """Log one event (the caller holds the emulator lock) and return it; None when
        the community's settings do not deliver it."""
        if not self.delivers(event_type):
            return None
        self.ts += 1
        event = {
            "type": event_type,
            "event_id": hashlib.sha1(
                f"vk-lp:{self.group_id}:{self.ts}".encode(), usedforsecurity=False
            ).hexdigest(),
            "v": self.api_version or LP_VERSION,
            "group_id": self.group_id,
            "object": obj,
        }
        self._events.append(event)
        return event

    @property
    def oldest_position(self) -> int:
        """The oldest ``ts`` from which every later event is still retained."""
        return self.ts - len(self._events)

    def since(self, ts: int) -> list[dict[str, Any]]:
        """Events after position ``ts`` (which must be within the retained window)."""
        skip = ts - self.oldest_position
        return list(self._events)[skip:]

    def __repr__(self) -> str:
        return f"EventLog(group_id={self.group_id}, ts={self.ts}, kept={len(self._events)})"


class LongPollKeys:
    """Keys handed out by ``groups.getLongPollServer``, each for one community.

    A key expires ``ttl`` real seconds after it was issued (or when a test calls
    :meth:`expire_all`); an expired or unknown key answers ``failed: 2``.
    """

    def __init__(self, server_url: Callable[[int], str], ttl: float = DEFAULT_KEY_TTL) -> None:
        self.server_url = server_url
        self.ttl = float(ttl)
        self._lock = threading.Lock()
        self._keys: dict[str, tuple[int, float]] = {}  # key → (group id, expiry, monotonic)

    def issue(self, group_id: int) -> str:
        key = secrets.token_hex(20)
        with self._lock:
            now = time.monotonic()
            self._keys = {k: v for k, v in self._keys.items() if v[1] > now}
            self._keys[key] = (group_id, now + self.ttl)
        return key

    def valid(self, key: str, group_id: int) -> bool:
        with self._lock:
            entry = self._keys.get(key)
            return entry is not None and entry[0] == group_id and entry[1] > time.monotonic()

    def revoke(self, key: str) -> None:
        with self._lock:
            self._keys.pop(key, None)

    def expire_all(self) -> None:
        with self._lock:
            self._keys.clear()


def parse_wait(raw: str | None) -> int:
    """``wait`` as VK takes it: an integer clamped to 0..90, 25 when absent or garbled."""
    try:
        value = int(str(raw).strip())
    except ValueError:
        return DEFAULT_WAIT
    return max(0, min(MAX_WAIT, value))


def check_position(log: EventLog, ts: int) -> dict[str, Any] | None:
    """The ``failed`` answer for a position the log cannot serve, or None when it can."""
    if ts > log.ts:
        return {"failed": 3}
    if ts < log.oldest_position:
        return {"failed": 1, "ts": str(log.ts)}
    return None


def a_check(
    lock: threading.RLock,
    log: EventLog,
    ts: int,
    wait: int,
    stopping: Callable[[], bool],
) -> dict[str, Any]:
    """Events after ``ts``, waiting in small real-time steps up to ``wait`` seconds for one."""
    deadline = time.monotonic() + wait
    while True:
        with lock:
            failed = check_position(log, ts)
            if failed is not None:
                return failed
            events, current = log.since(ts), log.ts
        left = deadline - time.monotonic()
        if events or left <= 0 or stopping():
            return {"ts": str(current), "updates": events}
        time.sleep(min(WAIT_STEP, left))
