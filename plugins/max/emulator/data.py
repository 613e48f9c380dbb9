"""The MAX emulator's world: users, channels, posts and comments, and their JSON on the wire.

Generated from a seed, so two emulators with the same seed (and ``now``) hold the same
world. Times are Unix milliseconds, as everywhere in the MAX Bot API. Ids: chat ids are
negative int64 (``-70000000000001``), message and comment ids strings ``mid.<32 hex>``,
user ids int64. The JSON builders follow the schema's components (``User``, ``Chat``,
``ChatMember``, ``Message``, ``CommentMessage``) in ``tests/specs/max/schema.yaml``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from hub.sandbox.sample_texts import (
    FEMALE_FIRST,
    MALE_FIRST,
    POST_TEMPLATES,
    SURNAMES,
    female_surname,
    fill,
    resident_remark,
    translit,
)

from . import texts as tx

CHAT_BASE = -70_000_000_000_000  # channel k is CHAT_BASE - k - 1 (MAX chat ids are negative)
BOT_ID = 229_000_001
STAFF_BASE = 300_000_000
RESIDENT_BASE = 500_000_000
ICON_BASE = "https://i.oneme.ru/i?r="
#: every admin permission the schema knows (``ChatAdminPermission``)
ALL_PERMISSIONS = (
    "read_all_messages",
    "add_remove_members",
    "add_admins",
    "change_chat_info",
    "pin_message",
    "edit_link",
    "write",
    "edit",
    "delete",
    "can_call",
    "view_stats",
)


@dataclass
class User:
    user_id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    is_bot: bool = False
    last_activity_ms: int = 0
    joined_ms: int = 0

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() if self.last_name else self.first_name

    def json(self) -> dict[str, Any]:
        """``User`` (plus ``name``, which the real API still sends, see the Go client's stubs)."""
        return {
            "user_id": self.user_id,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "username": self.username,
            "is_bot": self.is_bot,
            "last_activity_time": self.last_activity_ms,
            "name": self.name,
        }


@dataclass
class Comment:
    mid: str
    post_mid: str
    chat_id: int
    seq: int
    timestamp: int
    sender: User
    text: str
    reply_to: str | None = None  # the comment this one answers
    deleted: bool = False


@dataclass
class Post:
    mid: str
    chat_id: int
    seq: int
    timestamp: int
    text: str | None
    attachments: list[dict[str, Any]] = field(default_factory=list)
    views: int = 0
    sender: User | None = None  # None: posted on behalf of the channel (by a human admin)
    comments: dict[str, Comment] = field(default_factory=dict)
    deleted: bool = False


@dataclass
class Channel:
    chat_id: int
    title: str
    slug: str
    place: str
    description: str
    icon: str | None
    participants: int
    owner: User
    created_ms: int
    posts: dict[str, Post] = field(default_factory=dict)  # in time order
    blocked: set[int] = field(default_factory=set)
    members: dict[int, User] = field(default_factory=dict)
    bot_admin: bool = True
    bot_permissions: list[str] = field(default_factory=lambda: list(ALL_PERMISSIONS))
    last_event_ms: int = 0

    @property
    def link(self) -> str:
        return f"https://max.ru/{self.slug}"

    @property
    def sees_events(self) -> bool:
        """The bot sees a channel's events only as an admin with ``read_all_messages``."""
        return self.bot_admin and "read_all_messages" in self.bot_permissions

    def live_posts(self) -> list[Post]:
        return [p for p in self.posts.values() if not p.deleted]

    def json(self, *, full: bool = False) -> dict[str, Any]:
        """``Chat``: ``GET /chats/{id}`` (``full``) or an entry of ``GET /chats``."""
        out: dict[str, Any] = {
            "chat_id": self.chat_id,
            "type": "channel",
            "status": "active",
            "title": self.title,
            "icon": {"url": self.icon} if self.icon else None,
            "last_event_time": self.last_event_ms,
            "participants_count": self.participants,
            "owner_id": self.owner.user_id if self.bot_admin else None,
            "is_public": True,
            "link": self.link,
            "description": self.description,
            "messages_count": len(self.live_posts()),
        }
        if full:
            out["participants"] = None
            out["pinned_message"] = None
        return out


def mid_for(salt: int, n: int) -> str:
    """A message id shaped like MAX's (``mid.`` + 32 hex digits), unique per emulator."""
    return f"mid.{salt & 0xFFFFFFFF:08x}{n:024x}"


def make_person(rng: random.Random, user_id: int, *, usernames: float = 0.3) -> User:
    female = rng.random() < 0.55
    first = rng.choice(FEMALE_FIRST if female else MALE_FIRST)
    last = rng.choice(SURNAMES)
    if female:
        last = female_surname(last)
    username = None
    if rng.random() < usernames:
        username = f"{translit(first)}_{translit(last)[:6]}{rng.randint(1, 99)}".lower()
    return User(user_id, first, last if rng.random() < 0.9 else None, username)


def make_channel(rng: random.Random, k: int, created_ms: int) -> Channel:
    title, slug, place = tx.CHANNEL_TEMPLATES[k % len(tx.CHANNEL_TEMPLATES)]
    cycle = k // len(tx.CHANNEL_TEMPLATES)
    if cycle:
        title, slug = f"{title} №{cycle + 1}", f"{slug}{cycle + 1}"
    owner = make_person(rng, STAFF_BASE + k + 1, usernames=0.5)
    return Channel(
        chat_id=CHAT_BASE - k - 1,
        title=title,
        slug=slug,
        place=place,
        description=rng.choice(tx.DESCRIPTIONS).format(title=title, place=place),
        icon=None if k % 3 == 2 else f"{ICON_BASE}{rng.getrandbits(64):016x}",
        participants=rng.randint(200, 12_000),
        owner=owner,
        created_ms=created_ms,
    )


def post_text(rng: random.Random, channel: Channel) -> str:
    return fill(rng.choice(POST_TEMPLATES), rng, channel.place)


def comment_text(rng: random.Random, channel: Channel) -> str:
    """A resident's remark: questions, complaints, thanks, some spam and rudeness."""
    return resident_remark(rng, channel.place)


def bot_user(joined_ms: int) -> User:
    return User(BOT_ID, tx.BOT_FIRST_NAME, None, tx.BOT_USERNAME, True, joined_ms, joined_ms)


# --------------------------------------------------------------------------- JSON


def user_with_photo(user: User, *, description: str | None = None) -> dict[str, Any]:
    """``UserWithPhoto``."""
    return {
        **user.json(),
        "description": description,
        "avatar_url": None,
        "full_avatar_url": None,
    }


def member_json(
    user: User, *, owner: bool, admin: bool, permissions: list[str] | None, now_ms: int
) -> dict[str, Any]:
    """``ChatMember``: ``permissions`` is null for a member who is no admin."""
    return {
        **user_with_photo(user),
        "last_access_time": user.last_activity_ms or now_ms,
        "is_owner": owner,
        "is_admin": admin,
        "join_time": user.joined_ms or now_ms,
        "permissions": list(permissions) if admin and permissions is not None else None,
        "alias": None,
    }


def post_json(channel: Channel, post: Post, *, stat: bool) -> dict[str, Any]:
    """``Message`` for a channel post; ``stat`` (views) only in ``GET /messages``."""
    body: dict[str, Any] = {"mid": post.mid, "seq": post.seq, "text": post.text}
    if post.attachments:
        body["attachments"] = [dict(a) for a in post.attachments]
    out: dict[str, Any] = {
        "recipient": {"chat_id": channel.chat_id, "chat_type": "channel"},
        "timestamp": post.timestamp,
        "body": body,
        "url": f"{channel.link}/{post.mid.removeprefix('mid.')}",
    }
    if post.sender is not None:
        out["sender"] = post.sender.json()
    if stat:
        out["stat"] = {"views": post.views}
    return out


def comment_json(channel: Channel, comment: Comment) -> dict[str, Any]:
    """``CommentMessage``: the recipient names the post, a reply links the comment it answers."""
    out: dict[str, Any] = {
        "sender": comment.sender.json(),
        "recipient": {
            "chat_id": channel.chat_id,
            "chat_type": "channel",
            "post_id": comment.post_mid,
        },
        "timestamp": comment.timestamp,
        "body": {"mid": comment.mid, "seq": comment.seq, "text": comment.text},
    }
    post = channel.posts.get(comment.post_mid)
    parent = post.comments.get(comment.reply_to) if post and comment.reply_to else None
    if parent is not None:
        out["link"] = {
            "type": "reply",
            "sender": parent.sender.json(),
            "chat_id": channel.chat_id,
            "message": {"mid": parent.mid, "seq": parent.seq, "text": parent.text},
        }
    return out
