"""In-memory world of the Telegram emulator: channels, discussion groups, messages, events.

Why events: the Bot API has no history, only the update stream (notes §2–§3), so
every change that Telegram would report — a post, its automatic forward into the
discussion group, a comment, an edit — is made here through one primitive that
also emits an :class:`Event`. The emulator turns events into per-bot updates; the
generator replays a seeded timeline through the same primitives, so generated
data and later mutations can never take different shapes. Deletions by people in
the app change state and emit nothing, exactly as on Telegram.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .json import SERVICE_USER, channel_ref, message_json

RESIDENT_BASE = 5_550_000_000  # residents: RESIDENT_BASE + k
STAFF_BASE = 5_551_000_000  # channel owners and editors
DELETE_WINDOW = 48 * 3600  # a bot may delete messages younger than this (notes §5)
FOREVER_MIN, FOREVER_MAX = 30, 366 * 86400  # until_date outside this span = forever


def supergroup_id(internal: int) -> int:
    """The Bot API id of a channel or supergroup: ``-1000000000000 - id`` (notes §1)."""
    return -1_000_000_000_000 - internal


def normalize_until(until: int, now: int) -> int:
    """0 (forever) for dates under 30 s or over 366 days away, as Telegram reads them."""
    return until if FOREVER_MIN <= until - now <= FOREVER_MAX else 0


def in_force(until: int, now: int) -> bool:
    return until == 0 or until > now


@dataclass(slots=True)
class Person:
    """A Telegram user: a resident, a channel's staff member or a bot."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    spammer: bool = False
    is_bot: bool = False


@dataclass(slots=True)
class Msg:
    """A message in a channel or in its discussion group."""

    chat_id: int
    message_id: int
    date: int
    text: str
    photo_key: str | None = None  # a photo post: ``text`` is then its caption
    sender: dict[str, Any] | None = None  # "from"
    sender_chat: dict[str, Any] | None = None
    author_id: int | None = None  # who may be banned for it: a user id or a sender chat id
    thread_id: int | None = None  # comments: the automatic forward's group message id
    reply_to: int | None = None
    show_reply: bool = True  # False: the update omits reply_to_message (thread id path)
    forward_of: int | None = None  # automatic forwards: the channel post id
    forward_date: int | None = None
    signature: str | None = None
    edit_date: int | None = None
    bot_id: int | None = None  # sent by this bot through the API
    deleted: str | None = None  # "app", "api" or "ban"


@dataclass
class Rights:
    """What every configured bot is and may do in a channel and its group (set_bot_rights)."""

    in_channel: bool = True
    channel_admin: bool = True
    in_group: bool = True
    group_admin: bool = True
    can_delete: bool = True
    can_restrict: bool = True
    can_post: bool = True


@dataclass
class Restriction:
    until: int
    permissions: dict[str, bool]


@dataclass
class Event:
    """Something Telegram reports as an update; the emulator decides which bots get it.

    ``audience``: "channel" (bots administering the channel), "forward" (bots in the
    group), "group" (bots administering the group: privacy mode hides the rest),
    "bot" (``only_bot``, e.g. its own ``my_chat_member``).
    """

    kind: str
    body: dict[str, Any]
    chat_id: int
    date: int  # retention counts from here: the message date, or the edit date
    audience: str
    author_bot: int | None = None
    only_bot: int | None = None


@dataclass
class Channel:
    """A municipal channel with its linked discussion supergroup and moderation state."""

    id: int
    username: str
    title: str
    place: str
    description: str
    photo_key: str | None
    invite_link: str
    signature: str | None
    subscribers: int
    group_id: int
    group_title: str
    group_invite_link: str
    group_members: int
    owner: Person
    editor: Person
    posts: dict[int, Msg] = field(default_factory=dict)
    group: dict[int, Msg] = field(default_factory=dict)
    forwards: dict[int, int] = field(default_factory=dict)  # post id -> forward id
    threads: dict[int, list[int]] = field(default_factory=dict)  # forward id -> comment ids
    next_post: int = 0
    next_group: int = 0
    banned: dict[int, int] = field(default_factory=dict)  # user -> until (0 = forever)
    channel_banned: dict[int, int] = field(default_factory=dict)
    restricted: dict[int, Restriction] = field(default_factory=dict)
    banned_senders: set[int] = field(default_factory=set)
    #: members an ``unbanChatMember`` without ``only_if_banned`` removed from the chat
    removed_by_unban: set[int] = field(default_factory=set)
    rights: Rights = field(default_factory=Rights)
    held: dict[int, Event] = field(default_factory=dict)  # forward id -> its delayed update

    @property
    def ref(self) -> str:
        return f"@{self.username}"

    def staff_ids(self) -> set[int]:
        return {self.owner.id, self.editor.id}

    def messages(self, is_group: bool) -> dict[int, Msg]:
        return self.group if is_group else self.posts

    def thread_of_post(self, post_id: int) -> int:
        post = self.posts.get(int(post_id))
        if post is None or post.deleted:
            raise KeyError(f"unknown post {post_id} in {self.ref}")
        return self.forwards[post.message_id]

    def live_comments(self, forward_id: int) -> list[int]:
        return sorted(i for i in self.threads.get(forward_id, ()) if self.group[i].deleted is None)

    def is_banned(self, user_id: int, now: int) -> bool:
        return any(
            user_id in bans and in_force(bans[user_id], now)
            for bans in (self.banned, self.channel_banned)
        )

    def is_restricted(self, user_id: int, now: int) -> bool:
        entry = self.restricted.get(user_id)
        return entry is not None and in_force(entry.until, now) and not self.is_banned(user_id, now)

    def snapshot(self, now: int) -> dict[str, Any]:
        posts = {
            str(pid): {
                "edited": post.edit_date,
                "comments": self.live_comments(self.forwards[pid]),
            }
            for pid, post in sorted(self.posts.items())
            if post.deleted is None
        }
        banned = {u for u in (*self.banned, *self.channel_banned) if self.is_banned(u, now)}
        return {
            "id": self.id,
            "group_id": self.group_id,
            "posts": posts,
            "deleted_comments": sorted(
                i for ids in self.threads.values() for i in ids if self.group[i].deleted
            ),
            "deleted_posts": sorted(pid for pid, p in self.posts.items() if p.deleted),
            "banned": sorted(banned),
            "restricted": sorted(u for u in self.restricted if self.is_restricted(u, now)),
            "banned_sender_chats": sorted(self.banned_senders),
            "removed_by_unban": sorted(self.removed_by_unban),
        }


@dataclass
class World:
    """Every channel, resident and foreign channel; changed only under the emulator's lock."""

    channels: dict[str, Channel] = field(default_factory=dict)  # "@username" -> channel
    residents: dict[int, Person] = field(default_factory=dict)
    foreign: list[dict[str, Any]] = field(default_factory=list)  # chats that comment as chats
    sink: Callable[[Event], None] = field(default=lambda event: None)
    by_chat: dict[int, tuple[Channel, bool]] = field(default_factory=dict)

    def add_channel(self, ch: Channel) -> None:
        self.channels[ch.ref.lower()] = ch
        self.by_chat[ch.id] = (ch, False)
        self.by_chat[ch.group_id] = (ch, True)

    def channel(self, ref: str | int) -> Channel:
        found = self.find(ref)
        if found is None:
            raise KeyError(f"unknown channel {ref}")
        return found[0]

    def find(self, ref: str | int) -> tuple[Channel, bool] | None:
        """(channel, is_group) for "@username", a numeric id, or an id string."""
        if isinstance(ref, str):
            text = ref.strip()
            if text.startswith("@"):
                ch = self.channels.get(text.lower())
                return (ch, False) if ch else None
            try:
                ref = int(text)
            except ValueError:
                return None
        return self.by_chat.get(int(ref))

    def person(self, user_id: int) -> Person | None:
        if user_id in self.residents:
            return self.residents[user_id]
        for ch in self.channels.values():
            for person in (ch.owner, ch.editor):
                if person.id == user_id:
                    return person
        return None

    # ------------------------------------------------------------------ changes

    def _emit_message(self, ch: Channel, m: Msg, kind: str, audience: str) -> Event:
        date = m.edit_date if m.edit_date is not None else m.date
        return Event(kind, message_json(ch, m), m.chat_id, date, audience, m.bot_id)

    def publish(
        self,
        ch: Channel,
        date: int,
        text: str,
        photo_key: str | None = None,
        *,
        lag: int = 0,
        by_bot: int | None = None,
        hold: bool = False,
    ) -> Msg:
        """A channel post plus its automatic forward into the discussion group.

        ``hold`` delays the forward's update until the thread's first comment (the
        early-comment ordering real clients meet); a bot's own post is no update
        for that bot, but its forward is (notes §3).
        """
        ch.next_post += 1
        me = channel_ref(ch)
        post = Msg(ch.id, ch.next_post, date, text, photo_key, None, me, ch.id)
        post.signature, post.bot_id = ch.signature, by_bot
        ch.posts[post.message_id] = post
        self.sink(self._emit_message(ch, post, "channel_post", "channel"))
        ch.next_group += 1
        fwd = Msg(ch.group_id, ch.next_group, date + lag, text, photo_key, SERVICE_USER, me, ch.id)
        fwd.forward_of, fwd.forward_date, fwd.signature = post.message_id, date, ch.signature
        ch.group[fwd.message_id] = fwd
        ch.forwards[post.message_id] = fwd.message_id
        ch.threads[fwd.message_id] = []
        event = self._emit_message(ch, fwd, "message", "forward")
        if hold:
            ch.held[fwd.message_id] = event
        else:
            self.sink(event)
        return post

    def comment(
        self,
        ch: Channel,
        thread: int | None,
        date: int,
        text: str,
        *,
        sender: dict[str, Any],
        sender_chat: dict[str, Any] | None = None,
        reply_to: int | None = None,
        show_reply: bool = True,
        by_bot: int | None = None,
    ) -> Msg:
        """A message in the group: in ``thread`` (a post's comments) or, if None, loose."""
        ch.next_group += 1
        author = sender_chat["id"] if sender_chat else sender["id"]
        m = Msg(ch.group_id, ch.next_group, date, text, None, sender, sender_chat, author)
        m.thread_id, m.reply_to = thread, reply_to if reply_to is not None else thread
        m.show_reply, m.bot_id = show_reply, by_bot
        ch.group[m.message_id] = m
        if thread is not None:
            ch.threads[thread].append(m.message_id)
        if by_bot is None:  # bots never see other bots' messages, nor their own (notes §3)
            self.sink(self._emit_message(ch, m, "message", "group"))
        held = ch.held.pop(thread, None) if thread is not None else None
        if held is not None:
            self.sink(held)
        return m

    def edit(self, ch: Channel, m: Msg, text: str, date: int) -> None:
        m.text, m.edit_date = text, date
        if m.chat_id == ch.id:
            self.sink(self._emit_message(ch, m, "edited_channel_post", "channel"))
        elif m.bot_id is None:
            self.sink(self._emit_message(ch, m, "edited_message", "group"))

    def flush_held(self) -> None:
        """Forwards still waiting for a first comment go out now (end of generation)."""
        for ch in self.channels.values():
            for event in ch.held.values():
                self.sink(event)
            ch.held.clear()

    def ban(self, ch: Channel, user_id: int, until: int, is_group: bool) -> None:
        """A ban in a supergroup also removes every message of that user there (notes §5)."""
        (ch.banned if is_group else ch.channel_banned)[user_id] = until
        ch.restricted.pop(user_id, None)
        if is_group:
            for m in ch.group.values():
                if m.deleted is None and m.sender_chat is None and m.author_id == user_id:
                    m.deleted = "ban"
