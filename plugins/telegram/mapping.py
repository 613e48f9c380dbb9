"""Telegram JSON → the hub's models. Pure functions, tested on the documented shapes.

A channel post is a post. In the linked discussion group, the automatic forward
of a post (``is_automatic_forward``) links the group's thread to that post (and
carries the post itself: the only copy a bot sees of its own posts), and
messages in the thread (``message_thread_id``) are its comments. Chats have
negative ids and users positive ones, so one ``authors`` table serves both.
"""

from __future__ import annotations

from typing import Any

from hub.answers import count, integer, optional_integer
from hub.models import Account, AccountMeta, Author, Comment, Post

#: placeholder senders: "Telegram" on automatic forwards, anonymous admins, channels as senders
SERVICE_USER_IDS = {777000, 1087968824, 136817688}


def chat_meta(chat: dict[str, Any], members: int | None) -> AccountMeta:
    username = chat.get("username")
    return AccountMeta(
        name=str(chat.get("title") or username or chat.get("id")),
        screen_name=username,
        description=chat.get("description") or None,
        members_count=count(members),
        has_avatar=bool(chat.get("photo")),
        url=f"https://t.me/{username}" if username else chat.get("invite_link"),
        raw=chat,
    )


def _text(message: dict[str, Any]) -> str:
    return str(message.get("text") or message.get("caption") or "")


def _attachments(message: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if message.get("photo"):
        largest = max(message["photo"], key=lambda p: p.get("width", 0) * p.get("height", 0))
        out.append({"type": "photo", "id": largest.get("file_unique_id")})
    for kind in ("video", "document", "audio", "voice", "animation"):
        if isinstance(message.get(kind), dict):
            out.append({"type": kind, "id": message[kind].get("file_unique_id")})
    if isinstance(message.get("poll"), dict):
        out.append({"type": "poll", "question": message["poll"].get("question")})
    for entity in message.get("entities") or message.get("caption_entities") or []:
        if entity.get("type") == "text_link" and entity.get("url"):
            out.append({"type": "link", "url": entity["url"]})
    return out


def post_url(chat: dict[str, Any], message_id: int) -> str:
    if chat.get("username"):
        return f"https://t.me/{chat['username']}/{message_id}"
    internal = str(chat.get("id", "")).removeprefix("-100")
    return f"https://t.me/c/{internal}/{message_id}"


def channel_post(message: dict[str, Any]) -> Post:
    chat = message.get("chat") or {}
    message_id = integer(message["message_id"], "message_id")
    return Post(
        network_id=message_id,
        published_at=integer(message.get("date", 0), "date"),
        text=_text(message),
        author_id=optional_integer((message.get("sender_chat") or chat).get("id"), "chat id"),
        edited_at=optional_integer(message.get("edit_date"), "edit_date"),
        kind="poll" if message.get("poll") else "post",
        attachments=_attachments(message),
        url=post_url(chat, message_id),
        raw=message,
    )


def sender_id(message: dict[str, Any]) -> int | None:
    """A chat posting (as a channel, or an anonymous admin as the group) wins over ``from``."""
    if message.get("sender_chat"):
        return integer(message["sender_chat"]["id"], "sender_chat id")
    sender = message.get("from") or {}
    return integer(sender["id"], "from id") if "id" in sender else None


def forward_link(message: dict[str, Any]) -> int | None:
    """The channel post an automatic forward copies (``forward_origin``, else the legacy field)."""
    if not message.get("is_automatic_forward"):
        return None
    origin = message.get("forward_origin") or {}
    if origin.get("type") == "channel" and origin.get("message_id"):
        return integer(origin["message_id"], "forward_origin message_id")
    legacy = message.get("forward_from_message_id")
    return integer(legacy, "forward_from_message_id") if legacy else None


def forward_post(message: dict[str, Any]) -> Post | None:
    """The channel post an automatic forward copies, as :func:`channel_post` maps it.

    A bot never receives its own channel posts, only their forwards into the
    discussion group: this is how the hub's own publications reach the store.
    Same id, date, text, author and attachments as the channel post itself
    (photos keep their ``file_unique_id`` across chats), so storing both is one row.
    """
    post_id = forward_link(message)
    if post_id is None:
        return None
    origin = message.get("forward_origin") or {}
    channel = origin.get("chat") or message.get("forward_from_chat") or {}
    if "id" not in channel:
        channel = message.get("sender_chat") or {}
    date = origin.get("date") if origin.get("type") == "channel" else None
    return Post(
        network_id=post_id,
        published_at=integer(date or message.get("forward_date") or message.get("date", 0), "date"),
        text=_text(message),
        author_id=optional_integer(channel.get("id"), "chat id"),
        edited_at=optional_integer(message.get("edit_date"), "edit_date"),
        kind="poll" if message.get("poll") else "post",
        attachments=_attachments(message),
        url=post_url(channel, post_id),
        raw=message,
    )


def forward_channel_id(message: dict[str, Any]) -> int | None:
    """The channel an automatic forward comes from."""
    origin = message.get("forward_origin") or {}
    channel = origin.get("chat") or message.get("forward_from_chat") or message.get("sender_chat")
    if isinstance(channel, dict) and "id" in channel:
        return integer(channel["id"], "chat id")
    return None


def comment_url(chat: dict[str, Any], post_id: int, comment_id: int) -> str | None:
    """Telegram's link to a comment under a public channel's post; None for a private one."""
    if not chat.get("username"):
        return None
    return f"https://t.me/{chat['username']}/{post_id}?comment={comment_id}"


def thread_of(message: dict[str, Any]) -> int | None:
    """The thread root (the automatic forward's id in the group) a message belongs to."""
    if message.get("message_thread_id"):
        return integer(message["message_thread_id"], "message_thread_id")
    reply = message.get("reply_to_message") or {}
    if reply.get("is_automatic_forward"):
        return integer(reply["message_id"], "reply_to_message id")
    return None


def group_comment(message: dict[str, Any], thread_id: int) -> Comment:
    reply = message.get("reply_to_message") or {}
    parent = optional_integer(reply.get("message_id"), "reply_to_message id")
    return Comment(
        network_id=integer(message["message_id"], "message_id"),
        post_network_id=0,  # resolved through the thread's link
        published_at=integer(message.get("date", 0), "date"),
        text=_text(message),
        author_id=sender_id(message),
        parent_network_id=parent if parent and parent != thread_id else None,
        thread_root_network_id=thread_id,
        attachments=_attachments(message),
        raw=message,
    )


def authors(message: dict[str, Any]) -> list[Author]:
    out = []
    sender = message.get("from") or {}
    if "id" in sender and sender["id"] not in SERVICE_USER_IDS:
        name = " ".join(p for p in (sender.get("first_name"), sender.get("last_name")) if p)
        uid = integer(sender["id"], "from id")
        out.append(Author(uid, "user", name, sender.get("username"), sender))
    for key in ("sender_chat", "chat"):
        chat = message.get(key) or {}
        if "id" in chat:
            title = str(chat.get("title") or chat.get("username") or chat["id"])
            cid = integer(chat["id"], "chat id")
            out.append(Author(cid, "community", title, chat.get("username"), chat))
    return out


def one_per_post(posts: list[tuple[Account, Post]]) -> list[tuple[Account, Post]]:
    """One entry per (account, post): a channel post and its forward in one batch are one post.

    The channel's own update wins over the forward's copy (it carries the
    channel's message itself); otherwise the later one wins (an edit).
    """
    chosen: dict[tuple[str, int], tuple[Account, Post]] = {}
    for account, post in posts:
        key = (account.id, post.network_id)
        earlier = chosen.get(key)
        if earlier is None or not _is_forward(post) or _is_forward(earlier[1]):
            chosen.pop(key, None)  # re-insert: the batch keeps the order updates came in
            chosen[key] = (account, post)
    return list(chosen.values())


def _is_forward(post: Post) -> bool:
    return bool(post.raw.get("is_automatic_forward"))
