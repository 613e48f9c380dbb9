"""A loopback HTTP emulator of the Telegram Bot API for tests, demos and benchmarks.

Why a real server rather than mocks: the hub's Telegram client (httpx, JSON POST to
``/bot<token>/<method>``, envelope parsing, error classification by status and
description, 429 ``retry_after``, long polling with offsets) must be exercised end
to end against what the Bot API actually does — per-bot update queues that forget
confirmed updates and expire after 24 hours, remembered ``allowed_updates``, 409s
for overlapping polls and active webhooks, automatic forwards that link a
discussion-group thread to a channel post (sometimes queued after the thread's
first comment), the 48-hour delete rule, bans that wipe a member's messages,
no update for the bot's own posts nor for deletions in the app. The rules follow
docs/networks/telegram.md. Standard library only (plus click for the CLI).

Control endpoints under ``/_emulator/`` (from :mod:`hub.sandbox.harness`) let tests change
the world — new posts and comments, edits, deletions "in the app", a clock jump —
and read the ground truth to compare with.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Self

from hub.sandbox.harness import (
    ANSWER_LOST,
    HTTP500,
    Faults,
    LoopbackEmulator,
    Reply,
    Stats,
)
from hub.sandbox.sample_texts import resident_remark

from . import texts as tx
from .data import Event, Person, Rights
from .generate import base_time, generate_world, post_content, resident_text
from .json import CHANNEL_BOT, bot_member, channel_ref, group_ref, user_json
from .methods import METHODS
from .protocol import (
    HTML_500,
    JSON_TYPE,
    Call,
    TgError,
    internal,
    not_found,
    parse_params,
    unauthorized,
)
from .publish import PUBLISH_METHODS
from .updates import Bot, Poller

RETRY_AFTER = "retry_after"  # the fault kind answering 429, named by its burst keyword
DEFAULT_TOKEN = "123456789:AAH-demo-telegram-token"
UPDATE_ID_BASE = 731_200_000


def _bot_id(token: str) -> int:
    digits, _, secret = token.partition(":")
    if not digits.isdigit() or not secret:
        raise ValueError("a bot token looks like '<bot id>:<secret>'")
    return int(digits)


class TelegramEmulator(LoopbackEmulator):
    """The emulator: seeded channels + Bot API rules + update queues + faults + mutations.

    Serving, faults, counters and ``/_emulator/*`` come from :mod:`hub.sandbox.harness`.
    """

    thread_name = "telegram-emulator"
    server_software = "nginx/1.18.0"
    json_type = JSON_TYPE
    error_page = HTML_500
    touched_ids = ("message_id", "post_id")

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 1,
        channels: int = 2,
        posts: int = 20,
        comments: int = 8,
        tokens: Iterable[str] = (DEFAULT_TOKEN,),
        retention_hours: float = 24.0,
        early_comments: bool = True,
        now: float | None = None,
        fault_http500_rate: float = 0.0,
        slow_ms: int = 0,
    ) -> None:
        super().__init__(
            host=host,
            port=port,
            now=now,
            stats=Stats(
                requests=0,
                by_method={},
                errors={},
                http500=0,
                tokens_in_url=0,
                get_updates=0,
                updates_delivered=0,
            ),
            # Seeded apart from the data: injected faults never disturb the generated world.
            faults=Faults(seed, {HTTP500: fault_http500_rate, RETRY_AFTER: 0.0}, slow_ms),
        )
        self.retention_hours = float(retention_hours)
        self.lock = threading.RLock()
        self._skew = 0.0  # advance_clock's jumps
        self._retry_after_seconds = 2
        self.poller = Poller(self.lock, self._cutoff)
        self.bots: dict[str, Bot] = {}
        for i, token in enumerate(dict.fromkeys(tokens)):
            start = UPDATE_ID_BASE + random.Random(f"updates-{seed}-{i}").randrange(10_000)
            name = "municipal_hub_bot" if i == 0 else f"municipal_hub{i + 1}_bot"
            self.bots[token] = Bot(i, token, _bot_id(token), name, tx.BOT_FIRST_NAME, start)
        if len({bot.id for bot in self.bots.values()}) != len(self.bots):
            raise ValueError("two tokens name the same bot id")
        self.world, events = generate_world(
            seed=seed,
            channels=channels,
            posts=posts,
            comments=comments,
            early_comments=early_comments,
            base=base_time(now, time.time()),
        )
        for event in events:
            self._deliver(event)
        self.world.sink = self._deliver
        # A separate RNG: mutations never disturb the generated data either.
        self._mut_rng = random.Random(f"mutations-{seed}")
        self._methods = {
            name.lower(): (name, impl)
            for name, impl in {**METHODS, **PUBLISH_METHODS, **self.poller.methods()}.items()
        }

    # ------------------------------------------------------------------ time and lifecycle

    @property
    def url(self) -> str:
        """The API base: clients call ``f"{url}/bot{token}/{method}"``."""
        return self.base_url

    def clock(self) -> float:
        return super().clock() + self._skew

    def _now(self) -> int:
        return int(self.clock())

    def _cutoff(self) -> float:
        return self.clock() - self.retention_hours * 3600

    def advance_clock(self, seconds: float) -> None:
        """Jump emulated time (retention, the 48-hour rule, ban expiry)."""
        with self.lock:
            self._skew += float(seconds)
            self.poller.cond.notify_all()

    def start(self) -> Self:
        with self.lock:
            self.poller.stopping = False
        return super().start()

    def stop(self) -> None:
        with self.lock:  # waiting long polls answer at once instead of holding threads
            self.poller.stopping = True
            self.poller.cond.notify_all()
        super().stop()

    # ------------------------------------------------------------------ updates

    def _deliver(self, event: Event) -> None:
        """Queue an event for every bot that would see it (rights, privacy mode, authorship)."""
        with self.lock:
            found = self.world.by_chat.get(event.chat_id)
            rights = found[0].rights if found else Rights()
            for bot in self.bots.values():
                if event.only_bot is not None and bot.id != event.only_bot:
                    continue
                if bot.id == event.author_bot:
                    continue
                if event.audience == "channel" and not (rights.in_channel and rights.channel_admin):
                    continue
                if event.audience in ("forward", "group") and not rights.in_group:
                    continue
                if event.audience == "group" and not rights.group_admin:
                    continue  # privacy mode: a non-admin bot misses ordinary comments
                bot.push(event.kind, event.body, event.date)
            self.poller.cond.notify_all()

    # ------------------------------------------------------------------ inspection

    def channel_refs(self) -> list[str]:
        with self.lock:
            return [ch.ref for ch in self.world.channels.values()]

    def channel_id(self, ref: str) -> int:
        with self.lock:
            return self.world.channel(ref).id

    def group_id(self, ref: str) -> int:
        with self.lock:
            return self.world.channel(ref).group_id

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            now, cutoff = self._now(), self._cutoff()
            return {
                "channels": {ch.ref: ch.snapshot(now) for ch in self.world.channels.values()},
                "pending_updates": {str(b.id): b.pending(cutoff) for b in self.bots.values()},
            }

    def is_banned(self, ref: str, user_id: int) -> bool:
        with self.lock:
            return self.world.channel(ref).is_banned(int(user_id), self._now())

    def is_restricted(self, ref: str, user_id: int) -> bool:
        with self.lock:
            return self.world.channel(ref).is_restricted(int(user_id), self._now())

    def sender_chat_banned(self, ref: str, chat_id: int) -> bool:
        with self.lock:
            return int(chat_id) in self.world.channel(ref).banned_senders

    # ------------------------------------------------------------------ mutations

    def add_post(self, ref: str, text: str | None = None, comments: int = 0) -> int:
        """The channel publishes now (as if from the app), optionally with fresh comments."""
        with self.lock:
            ch = self.world.channel(ref)
            photo = None
            if text is None:
                text, photo = post_content(self._mut_rng, ch)
            post = self.world.publish(ch, self._now(), text, photo)
            for _ in range(int(comments)):
                self.add_comment(ch.ref, post.message_id)
            return post.message_id

    def resident_comment(self, rng: random.Random) -> None:
        """Live activity: a resident writes under one of a channel's newest posts."""
        snapshot = self.snapshot()["channels"]
        ref = rng.choice(sorted(snapshot))
        posts = sorted(snapshot[ref]["posts"], key=int)[-3:]
        if posts:
            self.add_comment(ref, int(rng.choice(posts)), resident_remark(rng, "нашем посёлке"))

    def add_comment(
        self,
        ref: str,
        post_id: int,
        text: str | None = None,
        reply_to: int | None = None,
        as_channel: int | None = None,
        user_id: int | None = None,
    ) -> int:
        """Someone comments now: a resident (``user_id`` or random), or a chat posting as
        itself (``as_channel``: the linked channel = the administration answering)."""
        with self.lock:
            ch = self.world.channel(ref)
            thread = ch.thread_of_post(int(post_id))
            if reply_to is not None:
                parent = ch.group.get(int(reply_to))
                if (
                    parent is None
                    or parent.deleted
                    or thread
                    not in (
                        parent.message_id,
                        parent.thread_id,
                    )
                ):
                    raise KeyError(f"unknown comment {reply_to} under post {post_id}")
            rng = self._mut_rng
            sender_chat = None
            if as_channel is not None:
                sender, sender_chat = CHANNEL_BOT, self._sender_chat(ch, int(as_channel))
                own = sender_chat["id"] == ch.id
                auto = rng.choice(tx.OFFICIAL_REPLIES if own else tx.SPAM)
            else:
                person, auto = resident_text(rng, self.world, ch)
                if user_id is not None:
                    person = self._person(int(user_id))
                sender = user_json(person)
            m = self.world.comment(
                ch,
                thread,
                self._now(),
                text if text is not None else auto,
                sender=sender,
                sender_chat=sender_chat,
                reply_to=None if reply_to is None else int(reply_to),
            )
            return m.message_id

    def _sender_chat(self, ch: Any, chat_id: int) -> dict[str, Any]:
        if chat_id == ch.id:
            return channel_ref(ch)
        for chat in self.world.foreign:
            if chat["id"] == chat_id:
                return chat
        if chat_id >= 0:
            raise ValueError("as_channel must be a chat id (negative)")
        return {"id": chat_id, "title": f"Канал {-chat_id % 10**10}", "type": "channel"}

    def _person(self, user_id: int) -> Person:
        if user_id <= 0:
            raise ValueError("user_id must be a user id (positive)")
        person = self.world.person(user_id)
        if person is None:  # a newcomer: give them a name and remember them
            rng = self._mut_rng
            person = Person(user_id, rng.choice(tx.FEMALE_FIRST + tx.MALE_FIRST))
            self.world.residents[user_id] = person
        return person

    def edit_post(self, ref: str, post_id: int, text: str) -> None:
        with self.lock:
            ch = self.world.channel(ref)
            post = ch.posts.get(int(post_id))
            if post is None or post.deleted:
                raise KeyError(f"unknown post {post_id} in {ch.ref}")
            self.world.edit(ch, post, text, self._now())

    def _comment(self, ref: str, message_id: int) -> tuple[Any, Any]:
        ch = self.world.channel(ref)
        m = ch.group.get(int(message_id))
        if m is None or m.forward_of is not None:
            raise KeyError(f"unknown comment {message_id} in {ch.ref}")
        return ch, m

    def edit_comment(self, ref: str, message_id: int, text: str) -> None:
        with self.lock:
            ch, m = self._comment(ref, message_id)
            if m.deleted:
                raise KeyError(f"comment {message_id} is deleted")
            self.world.edit(ch, m, text, self._now())

    def delete_comment(self, ref: str, message_id: int) -> None:
        """As if a person deleted it in the app: no update, as on Telegram (notes §3)."""
        with self.lock:
            _, m = self._comment(ref, message_id)
            if m.deleted is None:
                m.deleted = "app"

    def set_bot_rights(
        self,
        ref: str,
        *,
        in_channel: bool = True,
        channel_admin: bool = True,
        in_group: bool = True,
        group_admin: bool = True,
        can_delete: bool = True,
        can_restrict: bool = True,
        can_post: bool = True,
    ) -> None:
        """Every bot's place in the channel and its group; a change is a my_chat_member update."""
        with self.lock:
            ch = self.world.channel(ref)
            before = {
                (bot.id, g): bot_member(ch, bot.user(), g)
                for bot in self.bots.values()
                for g in (0, 1)
            }
            ch.rights = Rights(
                in_channel, channel_admin, in_group, group_admin, can_delete, can_restrict, can_post
            )
            now = self._now()
            for bot in self.bots.values():
                for g in (False, True):
                    old, new = before[(bot.id, g)], bot_member(ch, bot.user(), g)
                    if old == new:
                        continue
                    body = {
                        "chat": group_ref(ch) if g else channel_ref(ch),
                        "from": user_json(ch.owner),
                        "date": now,
                        "old_chat_member": old,
                        "new_chat_member": new,
                    }
                    chat_id = ch.group_id if g else ch.id
                    self._deliver(Event("my_chat_member", body, chat_id, now, "bot", None, bot.id))

    def mutations(self) -> dict[str, Callable[..., Any]]:
        return {
            "add_post": self.add_post,
            "add_comment": self.add_comment,
            "edit_post": self.edit_post,
            "edit_comment": self.edit_comment,
            "delete_comment": self.delete_comment,
            "advance_clock": self.advance_clock,
        }

    def set_faults(
        self,
        *,
        http500: int = 0,
        retry_after: int = 0,
        retry_after_seconds: int = 2,
        conflict: int = 0,
        slow_ms: int | None = None,
    ) -> None:
        """Next ``http500`` requests answer an HTML 500, next ``retry_after`` a 429 asking to
        wait ``retry_after_seconds``, next ``conflict`` getUpdates a 409."""
        self._faults.set(http500=http500, retry_after=retry_after, slow_ms=slow_ms)
        with self.lock:
            self._retry_after_seconds = max(1, int(retry_after_seconds))
            self.poller.conflicts = max(0, int(conflict))

    def apply_faults(self, data: dict[str, Any]) -> None:
        keys = ("http500", "retry_after", "retry_after_seconds", "conflict")
        slow = data.get("slow_ms")
        self.set_faults(
            **{key: int(data[key]) for key in keys if key in data},
            slow_ms=None if slow is None else int(slow),
        )

    # ------------------------------------------------------------------ /bot<token>/<method>

    def handle(
        self, verb: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> Reply:
        if path.startswith("/bot"):
            return self.handle_api(path, query, headers, body)
        if path.startswith("/_emulator/"):
            return super().handle(verb, path, query, headers, body)
        return not_found().reply()  # not an API call: no stats

    def handle_api(self, path: str, query: str, headers: Mapping[str, str], body: bytes) -> Reply:
        """One Bot API call, from raw HTTP parts to the reply; never a traceback."""
        token, _, rest = path[len("/bot") :].partition("/")
        method = rest.strip("/")
        known = self._methods.get(method.lower())
        name = known[0] if known else (method or "(none)")
        # The Bot API carries the token in the path by design: nothing counts as "in the URL".
        fault = self.begin_call(name, ())
        if fault == HTTP500:
            return self.html_500()
        try:
            if fault == RETRY_AFTER:
                wait = self._retry_after_seconds
                raise TgError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})
            bot = self.bots.get(token)
            if bot is None:
                raise unauthorized()
            if known is None:
                raise not_found()
            params = parse_params(query, headers.get("Content-Type", ""), body)
            with self.lock:
                result = known[1](Call(params, self.world, bot, self._now()))
            if name == "getUpdates":
                self._stats.count(get_updates=1, updates_delivered=len(result))
        except TgError as err:
            return self._error(err)
        except Exception:  # noqa: BLE001 - a bug here must look like Telegram's 500, not leak
            return self._error(internal())
        if self.answer_lost(name):  # applied (the post exists), but the answer never arrives
            return ANSWER_LOST
        return self.json_reply({"ok": True, "result": result})

    def _error(self, err: TgError) -> Reply:
        self._stats.count(errors=str(err.code))
        return err.reply()
