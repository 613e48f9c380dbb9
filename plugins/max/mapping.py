"""MAX JSON → the hub's models. Pure functions, tested on the schema's shapes.

See ``docs/networks/max.md`` §2. A channel post is a ``Message`` whose ``body``
has a string ``mid`` (what every call names) and an integer ``seq``, its place
in the chat: ``seq`` is the post's network id in the hub (the store's ids are
64-bit integers, and the walk's high-water mark needs them to grow), ``mid``
stays in the raw payload. A comment is a ``CommentMessage`` under a post; its id
is its ``mid`` as text. A message posted on behalf of the channel has no
``sender``: its author is the channel, by its (negative) chat id. Times are
milliseconds and become seconds here.
"""

from __future__ import annotations

from typing import Any

from hub.answers import count, integer
from hub.models import AccountMeta, Author, Comment, Post

from .client import seconds


def chat_meta(chat: dict[str, Any]) -> AccountMeta:
    link = chat.get("link") or None
    screen = link.rstrip("/").rsplit("/", 1)[-1] if isinstance(link, str) and link else None
    return AccountMeta(
        name=str(chat.get("title") or chat.get("chat_id")),
        screen_name=screen,
        description=chat.get("description") or None,
        members_count=count(chat.get("participants_count")),
        has_avatar=bool((chat.get("icon") or {}).get("url")),
        is_closed=not chat.get("is_public", True),
        deactivated=None if chat.get("status", "active") == "active" else str(chat["status"]),
        url=link,
        raw=chat,
    )


def mid_of(message: dict[str, Any]) -> str:
    mid = (message.get("body") or {}).get("mid")
    if not isinstance(mid, str) or not mid:
        raise ValueError("MAX message without body.mid")
    return mid


def seq_of(message: dict[str, Any]) -> int:
    return integer((message.get("body") or {}).get("seq"), "body.seq")


def _author(message: dict[str, Any]) -> int | None:
    sender = message.get("sender")
    if isinstance(sender, dict) and "user_id" in sender:
        return integer(sender["user_id"], "sender.user_id")
    chat = (message.get("recipient") or {}).get("chat_id")
    return integer(chat, "recipient.chat_id") if chat is not None else None


def attachments(body: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for item in body.get("attachments") or []:
        if not isinstance(item, dict):
            continue
        kind = str(item.get("type") or "unknown")
        payload = item.get("payload") or {}
        entry: dict[str, Any] = {"type": "photo" if kind == "image" else kind}
        if isinstance(payload, dict):
            if payload.get("url"):
                entry["url"] = payload["url"]
            if payload.get("photo_id"):
                entry["id"] = payload["photo_id"]
        out.append(entry)
    return out


def channel_post(message: dict[str, Any]) -> Post:
    body = message.get("body") or {}
    stat = message.get("stat") or {}
    mid_of(message)
    return Post(
        network_id=seq_of(message),
        published_at=seconds(message.get("timestamp")),
        text=str(body.get("text") or ""),
        author_id=_author(message),
        views_count=count(stat.get("views")),
        attachments=attachments(body),
        url=message.get("url") or None,
        raw=message,
    )


def comment(message: dict[str, Any], post_seq: int) -> Comment:
    body = message.get("body") or {}
    link = message.get("link") or {}
    parent = None
    if link.get("type") == "reply":
        parent = (link.get("message") or {}).get("mid") or None
    return Comment(
        network_id=mid_of(message),
        post_network_id=post_seq,
        published_at=seconds(message.get("timestamp")),
        text=str(body.get("text") or ""),
        author_id=_author(message),
        parent_network_id=parent,
        raw=message,
    )


def authors(message: dict[str, Any]) -> list[Author]:
    sender = message.get("sender")
    if not isinstance(sender, dict) or "user_id" not in sender:
        return []
    name = " ".join(p for p in (sender.get("first_name"), sender.get("last_name")) if p)
    uid = integer(sender["user_id"], "sender.user_id")
    return [Author(uid, "user", name or str(uid), sender.get("username"), sender)]


def post_id_of_comment(message: dict[str, Any]) -> str | None:
    """The post (its mid) a comment names, where MAX says it (``recipient.post_id``)."""
    post = (message.get("recipient") or {}).get("post_id")
    return post if isinstance(post, str) and post else None
