"""The MAX Bot API's read methods, and the errors and checks every method shares.

Mixed into :class:`~hub_max.emulator.server.MaxEmulator` (the world — ``channels``,
``bot``, ``queue`` — and the lock are its): each handler gets the path's ids, the query
(``q``) and the JSON body, and answers the object the schema names for that operation, or
raises :class:`MaxError`, which the server turns into ``{code, message}`` with its status.
Channels only: posts newest first with ``stat.views``, comments newest first, and nothing
for a bot that is no admin of the channel.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from . import texts as tx
from .data import (
    ALL_PERMISSIONS,
    Channel,
    Post,
    comment_json,
    member_json,
    post_json,
    user_with_photo,
)

MAX_TEXT = 4000


class MaxError(Exception):
    """An API error: HTTP status and the ``{code, message}`` body MAX answers."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def bad_request(message: str, code: str = "proto.payload") -> MaxError:
    return MaxError(400, code, message)


def not_found(message: str) -> MaxError:
    return MaxError(404, "not.found", message)


def denied(message: str) -> MaxError:
    return MaxError(403, "chat.denied", message)


class ReadMethods:
    """``GET`` handlers and the shared checks (mixed into the emulator)."""

    @staticmethod
    def _int(q: Mapping[str, str], name: str, default: int | None = None) -> int | None:
        raw = q.get(name)
        if raw is None or raw == "" or raw == "null":
            return default
        try:
            return int(raw)
        except ValueError:
            raise bad_request(f"Invalid value for parameter {name}: {raw!r}") from None

    def _count(self, q: Mapping[str, str], default: int, maximum: int) -> int:
        count = self._int(q, "count", default) or default
        if not 1 <= count <= maximum:
            raise bad_request(f"count must be between 1 and {maximum}")
        return count

    def _chat(self, chat_id: str | int) -> Channel:
        try:
            return self.channels[int(chat_id)]
        except (KeyError, ValueError):
            raise not_found(f"Chat {chat_id} not found") from None

    @staticmethod
    def _need(ch: Channel, permission: str | None = None) -> None:
        if not ch.bot_admin:
            raise denied("Bot is not an administrator of this channel")
        if permission and permission not in ch.bot_permissions:
            raise denied(f"Bot has no permission {permission!r} in this channel")

    def _post_of(self, mid: str) -> tuple[Channel, Post]:
        for ch in self.channels.values():
            post = ch.posts.get(mid)
            if post is not None and not post.deleted:
                return ch, post
        raise not_found(f"Message {mid} not found")

    @staticmethod
    def _text(body: Mapping[str, Any], *, required: bool) -> str | None:
        text = body.get("text")
        if text is not None and not isinstance(text, str):
            raise bad_request("text must be a string")
        if text is not None and len(text) > MAX_TEXT:
            raise bad_request(f"text: size must be between 0 and {MAX_TEXT}")
        if required and not text:
            raise bad_request("text: must not be empty")
        return text

    def _get_me(self, *, q: Mapping[str, str], body: Any) -> dict[str, Any]:
        return {**user_with_photo(self.bot, description=tx.BOT_DESCRIPTION), "commands": None}

    def _get_chats(self, *, q: Mapping[str, str], body: Any) -> dict[str, Any]:
        count = self._count(q, 50, 100)
        offset = self._int(q, "marker", 0) or 0
        chats = list(self.channels.values())
        page = chats[offset : offset + count]
        marker = offset + count if offset + count < len(chats) else None
        return {"chats": [ch.json() for ch in page], "marker": marker}

    def _get_chat(self, chat_id: str, *, q: Mapping[str, str], body: Any) -> dict[str, Any]:
        return self._chat(chat_id).json(full=True)

    def _bot_member(self, ch: Channel) -> dict[str, Any]:
        perms = ch.bot_permissions if ch.bot_admin else None
        return member_json(
            self.bot, owner=False, admin=ch.bot_admin, permissions=perms, now_ms=self._last_ms
        )

    def _get_membership(self, chat_id: str, *, q: Mapping[str, str], body: Any) -> dict[str, Any]:
        return self._bot_member(self._chat(chat_id))

    def _get_admins(self, chat_id: str, *, q: Mapping[str, str], body: Any) -> dict[str, Any]:
        ch = self._chat(chat_id)
        self._need(ch)
        owner = member_json(
            ch.owner,
            owner=True,
            admin=True,
            permissions=list(ALL_PERMISSIONS),
            now_ms=self._last_ms,
        )
        return {"members": [owner, self._bot_member(ch)], "marker": None}

    def _get_members(self, chat_id: str, *, q: Mapping[str, str], body: Any) -> dict[str, Any]:
        ch = self._chat(chat_id)
        self._need(ch)
        users = [u for uid, u in ch.members.items() if uid not in ch.blocked]
        wanted = q.get("user_ids")
        if wanted:
            ids = {int(x) for x in wanted.split(",") if x.strip().lstrip("-").isdigit()}
            users = [u for u in users if u.user_id in ids]
            page, marker = users, None
        else:
            count = self._count(q, 20, 100)
            offset = self._int(q, "marker", 0) or 0
            page = users[offset : offset + count]
            marker = offset + count if offset + count < len(users) else None
        members = [
            member_json(u, owner=False, admin=False, permissions=None, now_ms=self._last_ms)
            for u in page
        ]
        return {"members": members, "marker": marker}

    def _get_messages(self, *, q: Mapping[str, str], body: Any) -> dict[str, Any]:
        """Newest first; ``from``/``to`` (deprecated) and ``before``/``after`` bound the times."""
        chat_id = self._int(q, "chat_id")
        ids = [m for m in (q.get("message_ids") or "").split(",") if m]
        if chat_id is None and not ids:
            raise bad_request("chat_id or message_ids is required")
        count = self._count(q, 50, 100)
        if ids:
            found = []
            for mid in ids:
                with contextlib.suppress(MaxError):
                    found.append(self._post_of(mid))
            for ch, _ in found:
                self._need(ch)
            return {"messages": [post_json(ch, p, stat=True) for ch, p in found][:count]}
        ch = self._chat(chat_id)
        self._need(ch)
        newest = self._int(q, "from")
        oldest = self._int(q, "to")
        before = self._int(q, "before")
        after = self._int(q, "after")
        posts = []
        for post in reversed(ch.live_posts()):
            ts = post.timestamp
            if newest is not None and ts > newest:
                continue
            if oldest is not None and ts < oldest:
                continue
            if before is not None and ts >= before:
                continue
            if after is not None and ts <= after:
                continue
            posts.append(post)
            if len(posts) == count:
                break
        return {"messages": [post_json(ch, p, stat=True) for p in posts]}

    def _get_message(self, mid: str, *, q: Mapping[str, str], body: Any) -> dict[str, Any]:
        ch, post = self._post_of(mid)
        self._need(ch)
        return post_json(ch, post, stat=False)

    def _comments_of(self, mid: str) -> tuple[Channel, Post]:
        ch, post = self._post_of(mid)
        self._need(ch)
        return ch, post

    def _get_comments(self, mid: str, *, q: Mapping[str, str], body: Any) -> dict[str, Any]:
        """Newest first; ``before``/``after`` bound the times, ``comment_ids`` picks some."""
        ch, post = self._comments_of(mid)
        count = self._count(q, 50, 100)
        ids = {c for c in (q.get("comment_ids") or "").split(",") if c}
        before = self._int(q, "before")
        after = self._int(q, "after")
        out = []
        for comment in reversed(list(post.comments.values())):
            if comment.deleted or (ids and comment.mid not in ids):
                continue
            if before is not None and comment.timestamp >= before:
                continue
            if after is not None and comment.timestamp <= after:
                continue
            out.append(comment_json(ch, comment))
            if len(out) == count:
                break
        return {"messages": out}

    def _get_comment(
        self, mid: str, comment_id: str, *, q: Mapping[str, str], body: Any
    ) -> dict[str, Any]:
        ch, post = self._comments_of(mid)
        comment = post.comments.get(comment_id)
        if comment is None or comment.deleted:
            raise not_found(f"Comment {comment_id} not found")
        return comment_json(ch, comment)

    def _get_updates(self, *, q: Mapping[str, str], body: Any) -> dict[str, Any]:
        if self.queue.subscription is not None:
            raise MaxError(
                405,
                "method.not.allowed",
                "Long polling is unavailable while a webhook subscription is active",
            )
        limit = self._int(q, "limit", 100) or 100
        timeout = self._int(q, "timeout", 30)
        timeout = 30 if timeout is None else timeout
        if not 1 <= limit <= 1000 or not 0 <= timeout <= 90:
            raise bad_request("limit must be 1..1000 and timeout 0..90")
        marker = self._int(q, "marker")
        types = {t for t in (q.get("types") or "").split(",") if t} or None
        self._lock.release()  # never hold the world while waiting for news
        try:
            return self.queue.poll(marker, limit, float(timeout), types)
        finally:
            self._lock.acquire()

    def _get_subscriptions(self, *, q: Mapping[str, str], body: Any) -> dict[str, Any]:
        sub = self.queue.subscription
        return {"subscriptions": [] if sub is None else [sub.json()]}
