"""Per-bot update queues, ``getUpdates`` long polling and webhooks (notes §2).

The semantics production code depends on, and gets wrong most often (notes §7):
an ``offset`` confirms — forgets for good — every update below it; the
``allowed_updates`` list is remembered when omitted; updates older than the
retention window (24 h after the message or edit date) vanish; two overlapping
``getUpdates`` of one token end the earlier with 409; polling and a webhook
exclude each other. Long polls wait in real time on a condition of the
emulator's lock, in small steps, so a stop, a newer poll or a new update ends
the wait at once.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .protocol import Call, TgError, bad

ALL_TYPES = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
    "message_reaction",
    "message_reaction_count",
    "inline_query",
    "chosen_inline_result",
    "callback_query",
    "shipping_query",
    "pre_checkout_query",
    "purchased_paid_media",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "chat_boost",
    "removed_chat_boost",
)
EXPLICIT_ONLY = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
DEFAULT_ALLOWED = frozenset(ALL_TYPES) - EXPLICIT_ONLY
MAX_TIMEOUT = 50  # LONG_POLL_MAX_TIMEOUT (notes §2)
STEP = 0.05  # seconds between checks while a long poll waits
WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
WEBHOOK_PORTS = (80, 88, 443, 8443)


def terminated(by: str) -> TgError:
    text = f"Conflict: terminated by {by}"
    if by == "other getUpdates request":
        text += "; make sure that only one bot instance is running"
    return TgError(409, text)


@dataclass(slots=True)
class Update:
    id: int
    kind: str
    date: int  # retention base
    body: dict[str, Any]

    def json(self) -> dict[str, Any]:
        return {"update_id": self.id, self.kind: self.body}


@dataclass
class Bot:
    """A configured token: the bot's identity and its server-side update queue."""

    index: int
    token: str
    id: int
    username: str
    first_name: str
    next_id: int
    queue: deque[Update] = field(default_factory=deque)
    allowed: frozenset[str] = DEFAULT_ALLOWED
    webhook: str = ""
    polls: int = 0  # bumped by each getUpdates / setWebhook: ends an older waiting poll
    cut_by: str = ""  # what bumped it last

    def user(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }

    def push(self, kind: str, body: dict[str, Any], date: int) -> None:
        self.queue.append(Update(self.next_id, kind, date, body))
        self.next_id += 1

    def confirm(self, offset: int) -> None:
        """Forget what ``offset`` confirms; -k keeps the last k (notes §2)."""
        if offset < 0:
            while len(self.queue) > -offset:
                self.queue.popleft()
        elif offset <= self.next_id + 10:  # further ahead: the server ignores it (TQueue)
            while self.queue and self.queue[0].id < offset:
                self.queue.popleft()

    def expire(self, cutoff: float) -> None:
        if any(u.date < cutoff for u in self.queue):
            self.queue = deque(u for u in self.queue if u.date >= cutoff)

    def pending(self, cutoff: float) -> int:
        return sum(1 for u in self.queue if u.date >= cutoff)

    def ready(self, limit: int) -> list[Update]:
        out = []
        for update in self.queue:
            if update.kind in self.allowed:
                out.append(update)
                if len(out) == limit:
                    break
        return out


class Poller:
    """getUpdates, setWebhook, deleteWebhook and getWebhookInfo over the bots' queues.

    Callers hold ``lock`` (the emulator's); waiting releases it.
    """

    def __init__(self, lock: threading.RLock, cutoff: Callable[[], float]) -> None:
        self.cond = threading.Condition(lock)
        self.cutoff = cutoff  # emulated time before which updates have expired
        self.conflicts = 0  # injected: the next n getUpdates answer 409
        self.stopping = False
        self.delivered = 0

    def wake(self) -> None:
        with self.cond:
            self.cond.notify_all()

    def _cut(self, bot: Bot, by: str) -> None:
        bot.polls += 1
        bot.cut_by = by
        self.cond.notify_all()

    def get_updates(self, call: Call) -> list[dict[str, Any]]:
        bot = call.bot
        if bot.webhook:
            raise TgError(409, WEBHOOK_ACTIVE)
        if self.conflicts > 0:
            self.conflicts -= 1
            raise terminated("other getUpdates request")
        limit = call.integer("limit") or 100
        limit = limit if 1 <= limit <= 100 else 100
        timeout = min(max(call.integer("timeout") or 0, 0), MAX_TIMEOUT)
        allowed = call.obj("allowed_updates")
        if allowed is not None:
            if not isinstance(allowed, list):
                raise bad("can't parse allowed_updates JSON array")
            named = frozenset(str(kind) for kind in allowed) & frozenset(ALL_TYPES)
            bot.allowed = named if allowed else DEFAULT_ALLOWED
        offset = call.integer("offset")
        if offset is not None:
            bot.confirm(offset)
        self._cut(bot, "other getUpdates request")
        mine = bot.polls
        deadline = time.monotonic() + timeout
        while True:
            bot.expire(self.cutoff())
            ready = bot.ready(limit)
            left = deadline - time.monotonic()
            if ready or left <= 0 or self.stopping:
                self.delivered += len(ready)
                return [u.json() for u in ready]
            self.cond.wait(min(STEP, left))
            if bot.polls != mine:
                raise terminated(bot.cut_by)

    def set_webhook(self, call: Call) -> bool:
        bot = call.bot
        url = str(call.raw("url") or "")
        if not url:
            bot.webhook = ""
            return True
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            raise bad("bad webhook: An HTTPS URL must be provided for webhook")
        if (parts.port or 443) not in WEBHOOK_PORTS:
            raise bad("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
        secret = str(call.raw("secret_token") or "")
        if secret and (
            len(secret) > 256 or not all(c.isascii() and (c.isalnum() or c in "_-") for c in secret)
        ):
            raise bad("secret token contains unallowed characters")
        if call.flag("drop_pending_updates"):
            bot.queue.clear()
        allowed = call.obj("allowed_updates")
        if isinstance(allowed, list):
            bot.allowed = frozenset(map(str, allowed)) & frozenset(ALL_TYPES) or DEFAULT_ALLOWED
        bot.webhook = url
        self._cut(bot, "setWebhook request")
        return True

    def delete_webhook(self, call: Call) -> bool:
        bot = call.bot
        bot.webhook = ""
        if call.flag("drop_pending_updates"):
            bot.queue.clear()
        return True

    def webhook_info(self, call: Call) -> dict[str, Any]:
        bot = call.bot
        info: dict[str, Any] = {
            "url": bot.webhook,
            "has_custom_certificate": False,
            "pending_update_count": bot.pending(self.cutoff()),
        }
        if bot.webhook:
            info["max_connections"] = 40
            info["ip_address"] = "149.154.167.220"
        return info

    def methods(self) -> dict[str, Callable[[Call], Any]]:
        return {
            "getUpdates": self.get_updates,
            "setWebhook": self.set_webhook,
            "deleteWebhook": self.delete_webhook,
            "getWebhookInfo": self.webhook_info,
        }
