"""A loopback HTTP emulator of the MAX Bot API for tests, demos and benchmarks.

Why a real server rather than mocks: the hub's MAX client (httpx, the raw token in the
``Authorization`` header, JSON bodies, ``{code, message}`` errors by HTTP status, 429s
beyond ~30 requests a second, long polling with markers, webhooks with a secret, the
three-step upload) must be exercised end to end against what the API does. The rules
follow the official OpenAPI schema (``tests/specs/max/schema.yaml``; what it leaves
open is modelled as ``tests/specs/max/SOURCE.md`` says): channel posts newest first with
view counts, comments under a post, blocking members, and events only in channels where
the bot is an admin with ``read_all_messages``. Standard library only (plus click).

Control endpoints under ``/_emulator/`` (from :mod:`hub.sandbox.harness`) let tests change
the world — new posts and comments, deletions "in the app", the bot's rights — and read
the ground truth to compare with.
"""

from __future__ import annotations

import json
import random
import re
import socket
import threading
from collections.abc import Callable, Iterable, Mapping
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from hub.sandbox.harness import (
    ANSWER_LOST,
    HTTP500,
    Faults,
    KeepAliveHandler,
    LoopbackEmulator,
    LoopbackServer,
    RateWindow,
    Reply,
    Stats,
)

from .data import (
    ALL_PERMISSIONS,
    RESIDENT_BASE,
    Channel,
    Comment,
    Post,
    User,
    bot_user,
    comment_json,
    comment_text,
    make_channel,
    make_person,
    mid_for,
    post_json,
    post_text,
)
from .methods import MaxError, ReadMethods, bad_request, not_found
from .publish import UPLOAD_PATH, PublishMethods
from .updates import UpdateQueue

DEFAULT_TOKEN = "max-demo-bot-token"
ERROR503 = "error503"
RATE_LIMITED = "rate_limited"
RESIDENTS = 60


class MaxHandler(KeepAliveHandler):
    """The harness's keep-alive handler, with the verbs MAX uses besides GET and POST."""

    def do_PUT(self) -> None:  # noqa: N802 - http.server naming
        self._route("PUT")

    def do_DELETE(self) -> None:  # noqa: N802
        self._route("DELETE")

    def do_PATCH(self) -> None:  # noqa: N802
        self._route("PATCH")


class MaxServer(LoopbackServer):
    """:class:`LoopbackServer` serving :class:`MaxHandler`."""

    def __init__(self, address: tuple[str, int], emulator: LoopbackEmulator) -> None:
        ThreadingHTTPServer.__init__(self, address, MaxHandler)
        self.emulator = emulator
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()


Route = tuple[str, re.Pattern[str], str, str]  # verb, path pattern, operationId, handler name

ROUTES: tuple[Route, ...] = tuple(
    (verb, re.compile(f"^{pattern}$"), op, handler)
    for verb, pattern, op, handler in (
        ("GET", "/me", "getMyInfo", "_get_me"),
        ("GET", "/chats", "getChats", "_get_chats"),
        ("GET", r"/chats/(-?\d+)", "getChat", "_get_chat"),
        ("GET", r"/chats/(-?\d+)/members/me", "getMembership", "_get_membership"),
        ("GET", r"/chats/(-?\d+)/members/admins", "getAdmins", "_get_admins"),
        ("GET", r"/chats/(-?\d+)/members", "getMembers", "_get_members"),
        ("POST", r"/chats/(-?\d+)/members", "addMembers", "_add_members"),
        ("DELETE", r"/chats/(-?\d+)/members", "removeMember", "_remove_member"),
        ("GET", "/messages", "getMessages", "_get_messages"),
        ("POST", "/messages", "sendMessage", "_send_message"),
        ("PUT", "/messages", "editMessage", "_edit_message"),
        ("DELETE", "/messages", "deleteMessage", "_delete_message"),
        ("GET", r"/messages/([\w.\-]+)", "getMessageById", "_get_message"),
        ("GET", r"/messages/([\w.\-]+)/comments", "getComments", "_get_comments"),
        ("POST", r"/messages/([\w.\-]+)/comments", "sendComment", "_send_comment"),
        ("PUT", r"/messages/([\w.\-]+)/comments", "editComment", "_edit_comment"),
        ("DELETE", r"/messages/([\w.\-]+)/comments", "deleteComment", "_delete_comment"),
        ("GET", r"/messages/([\w.\-]+)/comments/([\w.\-]+)", "getCommentById", "_get_comment"),
        ("GET", "/updates", "getUpdates", "_get_updates"),
        ("GET", "/subscriptions", "getSubscriptions", "_get_subscriptions"),
        ("POST", "/subscriptions", "subscribe", "_subscribe"),
        ("DELETE", "/subscriptions", "unsubscribe", "_unsubscribe"),
        ("POST", "/uploads", "getUploadUrl", "_get_upload_url"),
    )
)


class MaxEmulator(ReadMethods, PublishMethods, LoopbackEmulator):
    """The emulator: seeded channels + Bot API rules + the update queue + faults.

    Serving, faults, counters and ``/_emulator/*`` come from :mod:`hub.sandbox.harness`.
    See ``README.md`` beside this file for the Python API.
    """

    thread_name = "max-emulator"
    server_software = "nginx"
    token_param = "access_token"
    touched_ids = ("comment_id", "mid")
    server_class = MaxServer

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
        now: float | None = None,
        rate_limit: float = 30,
        fault_http500_rate: float = 0.0,
        fault_503_rate: float = 0.0,
        fault_429_rate: float = 0.0,
        slow_ms: int = 0,
        webhook_retries: int = 5,
        webhook_retry_delay: float = 0.05,
        webhook_timeout: float = 5.0,
    ) -> None:
        stats = Stats(
            requests=0,
            by_method={},
            errors={},
            http500=0,
            tokens_in_url=0,
            rate_limited=0,
            webhook_delivered=0,
            webhook_failed_attempts=0,
            webhook_dropped=0,
        )
        faults = Faults(
            seed,
            {HTTP500: fault_http500_rate, ERROR503: fault_503_rate, RATE_LIMITED: fault_429_rate},
            slow_ms,
        )
        super().__init__(host=host, port=port, now=now, stats=stats, faults=faults)
        self.seed = seed
        self.tokens = set(tokens)
        self.rate_limit = rate_limit
        self._rate = RateWindow(lambda: self.rate_limit)
        self._lock = threading.RLock()
        self._rng = random.Random(f"max-{seed}")
        self._salt = self._rng.getrandbits(32)
        self._ids = 0
        self._seq = 0
        self._last_ms = 0
        self._attachment_not_ready = 0
        self._uploads: dict[str, dict[str, Any]] = {}  # upload id → {type, token, done, ...}
        self._tokens: dict[str, dict[str, Any]] = {}  # attachment token → the upload
        self.queue = UpdateQueue(
            self._stats,
            retries=webhook_retries,
            retry_delay=webhook_retry_delay,
            timeout=webhook_timeout,
        )
        self._generate(channels, posts, comments)

    # ------------------------------------------------------------------ world

    def _now_ms(self) -> int:
        """Emulated time in ms, strictly increasing so every event has its own timestamp."""
        with self._lock:
            now = max(int(self.clock() * 1000), self._last_ms + 1)
            self._last_ms = now
            return now

    def _new_mid(self) -> str:
        with self._lock:
            self._ids += 1
            return mid_for(self._salt, self._ids)

    def _new_seq(self, ts: int) -> int:
        with self._lock:
            self._seq += 1
            return ts * 1000 + self._seq % 1000

    def _generate(self, channels: int, posts: int, comments: int) -> None:
        rng = self._rng
        now_s = self._fixed_now if self._fixed_now is not None else self.clock()
        base_ms = int(now_s) // 3600 * 3600 * 1000  # floored: same seed, same world
        start = base_ms - 30 * 86_400_000
        self.bot = bot_user(start)
        self.residents = {
            RESIDENT_BASE + k: make_person(rng, RESIDENT_BASE + k) for k in range(1, RESIDENTS + 1)
        }
        for user in self.residents.values():
            user.last_activity_ms = base_ms - rng.randint(0, 5 * 86_400_000)
            user.joined_ms = start - rng.randint(0, 300 * 86_400_000)
        self.channels: dict[int, Channel] = {}
        for k in range(channels):
            channel = make_channel(rng, k, start - 365 * 86_400_000)
            channel.owner.joined_ms = channel.created_ms
            channel.owner.last_activity_ms = base_ms
            self.channels[channel.chat_id] = channel
            span = 29 * 86_400_000 // max(posts, 1)
            for n in range(posts):
                ts = start + n * span + rng.randint(0, span // 2)
                post = Post(
                    mid=self._new_mid(),
                    chat_id=channel.chat_id,
                    seq=self._new_seq(ts),
                    timestamp=ts,
                    text=post_text(rng, channel),
                    views=rng.randint(40, 4_000),
                )
                channel.posts[post.mid] = post
                count = max(0, comments + rng.randint(-comments // 2, comments // 2))
                if rng.random() < 0.15:
                    count = 0
                cts = ts
                for _ in range(count):
                    cts += rng.randint(60_000, max(span // (2 * max(count, 1)), 120_000))
                    author = rng.choice(list(self.residents.values()))
                    channel.members[author.user_id] = author
                    reply_to = None
                    if post.comments and rng.random() < 0.15:
                        reply_to = rng.choice(list(post.comments))
                    comment = Comment(
                        mid=self._new_mid(),
                        post_mid=post.mid,
                        chat_id=channel.chat_id,
                        seq=self._new_seq(cts),
                        timestamp=cts,
                        sender=author,
                        text=comment_text(rng, channel),
                        reply_to=reply_to,
                    )
                    post.comments[comment.mid] = comment
                channel.last_event_ms = max(channel.last_event_ms, cts)
        self._last_ms = max([c.last_event_ms for c in self.channels.values()] + [base_ms])

    def channel_ids(self) -> list[str]:
        return [str(chat_id) for chat_id in self.channels]

    @property
    def url(self) -> str:
        """The API base for ``[networks.max] api_base`` (``https://platform-api2.max.ru``)."""
        return self.base_url

    def _channel(self, chat_id: int | str) -> Channel:
        try:
            return self.channels[int(chat_id)]
        except (KeyError, ValueError):
            raise KeyError(f"no channel {chat_id}") from None

    def _find_post(self, mid: str) -> tuple[Channel, Post]:
        for channel in self.channels.values():
            post = channel.posts.get(mid)
            if post is not None:
                return channel, post
        raise KeyError(f"no message {mid}")

    def _user(self, from_user: int | str | None) -> User:
        if from_user is None:
            return self._rng.choice(list(self.residents.values()))
        if isinstance(from_user, int):
            if from_user not in self.residents:
                user = make_person(random.Random(f"user-{from_user}"), from_user)
                self.residents[from_user] = user
            return self.residents[from_user]
        first, _, last = str(from_user).partition(" ")
        user_id = max(self.residents, default=RESIDENT_BASE) + 1
        self.residents[user_id] = User(user_id, first, last or None)
        return self.residents[user_id]

    def _emit(self, channel: Channel, update_type: str, **fields: Any) -> None:
        """Queue an update, if the bot may see this channel's events."""
        ts = self._now_ms()
        channel.last_event_ms = ts
        if channel.sees_events:
            self.queue.push({"update_type": update_type, "timestamp": ts, **fields})

    # ------------------------------------------------------------------ world changes

    def add_post(
        self,
        channel: int | str,
        text: str | None,
        *,
        comments: int = 0,
        views: int | None = None,
        attachments: list[dict[str, Any]] | None = None,
        sender: User | None = None,
    ) -> str:
        """A channel post (``message_created``); returns its ``mid``."""
        with self._lock:
            ch = self._channel(channel)
            ts = self._now_ms()
            post = Post(
                mid=self._new_mid(),
                chat_id=ch.chat_id,
                seq=self._new_seq(ts),
                timestamp=ts,
                text=text,
                attachments=list(attachments or []),
                views=self._rng.randint(0, 50) if views is None else views,
                sender=sender,
            )
            ch.posts[post.mid] = post
            self._emit(ch, "message_created", message=post_json(ch, post, stat=False))
            for _ in range(comments):
                self.add_comment(ch.chat_id, post.mid, comment_text(self._rng, ch))
            return post.mid

    def add_comment(
        self,
        channel: int | str,
        post: str,
        text: str,
        *,
        from_user: User | int | str | None = None,
        reply_to: str | None = None,
    ) -> str:
        """A comment under ``post`` (``comment_created``); returns the comment id."""
        with self._lock:
            ch = self._channel(channel)
            target = ch.posts.get(post)
            if target is None or target.deleted:
                raise KeyError(f"no post {post} in {ch.chat_id}")
            user = from_user if isinstance(from_user, User) else self._user(from_user)
            if user.user_id in ch.blocked:
                raise PermissionError(f"user {user.user_id} is blocked in {ch.chat_id}")
            if not user.is_bot:
                ch.members[user.user_id] = user
            ts = self._now_ms()
            comment = Comment(
                mid=self._new_mid(),
                post_mid=post,
                chat_id=ch.chat_id,
                seq=self._new_seq(ts),
                timestamp=ts,
                sender=user,
                text=text,
                reply_to=reply_to,
            )
            target.comments[comment.mid] = comment
            user.last_activity_ms = ts
            self._emit(ch, "comment_created", message=comment_json(ch, comment))
            return comment.mid

    def _comment(self, channel: int | str, post: str, comment_id: str) -> tuple[Channel, Comment]:
        ch = self._channel(channel)
        target = ch.posts.get(post)
        comment = target.comments.get(comment_id) if target else None
        if comment is None or comment.deleted:
            raise KeyError(f"no comment {comment_id} under {post}")
        return ch, comment

    def edit_comment(self, channel: int | str, post: str, comment_id: str, text: str) -> None:
        with self._lock:
            ch, comment = self._comment(channel, post, comment_id)
            comment.text = text
            self._emit(ch, "comment_edited", message=comment_json(ch, comment))

    def delete_comment(
        self, channel: int | str, post: str, comment_id: str, *, by: int | None = None
    ) -> None:
        """Deleted "in the app" (by the channel's owner unless ``by`` says who)."""
        with self._lock:
            ch, comment = self._comment(channel, post, comment_id)
            self._remove_comment(ch, comment, by if by is not None else ch.owner.user_id)

    def _remove_comment(self, ch: Channel, comment: Comment, by: int) -> None:
        comment.deleted = True
        self._emit(
            ch,
            "comment_removed",
            message_id=comment.mid,
            chat_id=ch.chat_id,
            user_id=by,
            post_id=comment.post_mid,
        )

    def edit_post(self, channel: int | str, mid: str, text: str) -> None:
        with self._lock:
            ch = self._channel(channel)
            post = ch.posts[mid]
            post.text = text
            self._emit(ch, "message_edited", message=post_json(ch, post, stat=False))

    def delete_post(self, channel: int | str, mid: str, *, by: int | None = None) -> None:
        with self._lock:
            ch = self._channel(channel)
            post = ch.posts[mid]
            self._remove_post(ch, post, by if by is not None else ch.owner.user_id)

    def _remove_post(self, ch: Channel, post: Post, by: int) -> None:
        post.deleted = True
        self._emit(ch, "message_removed", message_id=post.mid, chat_id=ch.chat_id, user_id=by)

    def add_views(self, channel: int | str, mid: str, n: int) -> None:
        with self._lock:
            self._channel(channel).posts[mid].views += n

    def set_bot_rights(
        self, channel: int | str, *, admin: bool = True, permissions: list[str] | None = None
    ) -> None:
        """The bot's membership: not admin, or admin with these (default: all) permissions."""
        with self._lock:
            ch = self._channel(channel)
            perms = list(ALL_PERMISSIONS if permissions is None else permissions)
            unknown = sorted(set(perms) - set(ALL_PERMISSIONS))
            if unknown:
                raise ValueError(f"unknown permissions {unknown}")
            ch.bot_admin, ch.bot_permissions = admin, perms

    def unblock(self, channel: int | str, user_id: int) -> None:
        with self._lock:
            self._channel(channel).blocked.discard(int(user_id))

    def resident_comment(self, rng: random.Random) -> None:
        """Live activity: a resident comments on one of a channel's recent posts."""
        with self._lock:
            ch = rng.choice(list(self.channels.values()))
            posts = ch.live_posts()[-5:]
            if not posts:
                return
            post = rng.choice(posts)
            author = rng.choice([u for u in self.residents.values() if u.user_id not in ch.blocked])
            self.add_comment(ch.chat_id, post.mid, comment_text(rng, ch), from_user=author)

    def set_faults(
        self,
        *,
        http500: int = 0,
        error503: int = 0,
        rate_limited: int = 0,
        attachment_not_ready: int = 0,
        slow_ms: int | None = None,
    ) -> None:
        """The next N requests fail (bursts in this order); see README.md."""
        self._faults.set(
            http500=http500, error503=error503, rate_limited=rate_limited, slow_ms=slow_ms
        )
        with self._lock:
            self._attachment_not_ready = max(0, int(attachment_not_ready))

    def apply_faults(self, data: dict[str, Any]) -> None:
        self.set_faults(
            http500=int(data.get(HTTP500, 0)),
            error503=int(data.get(ERROR503, 0)),
            rate_limited=int(data.get(RATE_LIMITED, 0)),
            attachment_not_ready=int(data.get("attachment_not_ready", 0)),
            slow_ms=None if data.get("slow_ms") is None else int(data["slow_ms"]),
        )

    def wait_webhooks(self, timeout: float = 5.0) -> bool:
        """Wait until every queued update reached the webhook (or was dropped)."""
        return self.queue.wait_idle(timeout)

    def updates_log(self) -> list[dict[str, Any]]:
        return self.queue.log()

    def stop(self) -> None:
        super().stop()
        self.queue.stop()

    # ------------------------------------------------------------------ inspection

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            channels = {}
            for chat_id, ch in self.channels.items():
                posts = {
                    p.mid: {
                        "text": p.text,
                        "views": p.views,
                        "attachments": [dict(a) for a in p.attachments],
                        "by_bot": p.sender is not None and p.sender.is_bot,
                        "comments": [c.mid for c in p.comments.values() if not c.deleted],
                        "comment_texts": {
                            c.mid: c.text for c in p.comments.values() if not c.deleted
                        },
                    }
                    for p in ch.live_posts()
                }
                channels[str(chat_id)] = {
                    "title": ch.title,
                    "link": ch.link,
                    "participants_count": ch.participants,
                    "bot_admin": ch.bot_admin,
                    "bot_permissions": list(ch.bot_permissions),
                    "posts": posts,
                    "deleted_posts": [p.mid for p in ch.posts.values() if p.deleted],
                    "deleted_comments": [
                        c.mid for p in ch.posts.values() for c in p.comments.values() if c.deleted
                    ],
                    "comment_posts": {
                        c.mid: p.mid for p in ch.posts.values() for c in p.comments.values()
                    },
                    "blocked": sorted(ch.blocked),
                }
            sub = self.queue.subscription
            return {
                "bot": self.bot.json(),
                "channels": channels,
                "subscriptions": []
                if sub is None
                else [{"url": sub.url, "secret": sub.secret, "update_types": sub.update_types}],
                "pending_updates": self.queue.pending(),
                "webhook": {
                    "delivered": self.queue.delivered,
                    "failed_attempts": self.queue.failed_attempts,
                    "dropped": self.queue.dropped,
                },
                "uploads": len(self._uploads),
            }

    def mutations(self) -> dict[str, Callable[..., Any]]:
        return {
            "add_post": self.add_post,
            "add_comment": self.add_comment,
            "edit_comment": self.edit_comment,
            "delete_comment": self.delete_comment,
            "edit_post": self.edit_post,
            "delete_post": self.delete_post,
            "add_views": self.add_views,
            "set_bot_rights": self.set_bot_rights,
            "unblock": self.unblock,
        }

    # ------------------------------------------------------------------ HTTP

    def handle(
        self, verb: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> Reply:
        if path.startswith("/_emulator/"):
            return super().handle(verb, path, query, headers, body)
        params = parse_qsl(query, keep_blank_values=True)
        if path.startswith(UPLOAD_PATH) and verb == "POST":
            return self._upload(path[len(UPLOAD_PATH) :], params, headers, body)
        route = None
        for r_verb, pattern, op, handler in ROUTES:
            match = pattern.match(path)
            if match and r_verb == verb:
                route = (op, handler, match.groups())
                break
            if match and route is None:
                route = ("", "", ())
        if route is None:
            return self._error(not_found(f"Path {path} is not recognized"))
        op, handler, args = route
        if not op:
            return self._error(MaxError(405, "method.not.allowed", f"Method {verb} not allowed"))
        fault = self.begin_call(op, params)
        if fault == HTTP500:
            return self.html_500()
        if fault == ERROR503:
            return self._error(MaxError(503, "service.unavailable", "Service unavailable"))
        if fault == RATE_LIMITED:
            self._stats.count(rate_limited=1)
            return self._error(MaxError(429, "too.many.requests", "Too many requests"))
        try:
            token = self._authorize(headers, params)
            if not self._rate.allow(token):
                self._stats.count(rate_limited=1)
                raise MaxError(429, "too.many.requests", "Too many requests")
            query_map = dict(params)
            data = self._json_body(body) if verb in ("POST", "PUT", "PATCH") else {}
            with self._lock:
                result = getattr(self, handler)(*args, q=query_map, body=data)
        except MaxError as exc:
            return self._error(exc)
        if self.answer_lost(op):  # applied, then the answer is lost (outside the world lock)
            return ANSWER_LOST
        return self.json_reply(result)

    def _error(self, exc: MaxError) -> Reply:
        self._stats.count(errors=exc.code)
        return self.json_reply({"code": exc.code, "message": exc.message}, exc.status)

    def _authorize(self, headers: Mapping[str, str], params: list[tuple[str, str]]) -> str:
        """The raw token in ``Authorization`` (no ``Bearer``); a token in the URL is refused."""
        if any(key == self.token_param for key, _ in params):
            raise MaxError(401, "verify.token", "Invalid access_token: pass it in Authorization")
        token = (headers.get("Authorization") or "").strip()
        if not token or token not in self.tokens:
            raise MaxError(401, "verify.token", "Invalid access_token")
        return token

    @staticmethod
    def _json_body(body: bytes) -> dict[str, Any]:
        if not body.strip():
            return {}
        try:
            data = json.loads(body)
        except ValueError:
            raise bad_request("Request body is not valid JSON") from None
        if not isinstance(data, dict):
            raise bad_request("Request body must be a JSON object")
        return data
