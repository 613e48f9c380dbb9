"""Bot API methods of the Telegram emulator: chat metadata, moderation, posting (notes §4–§6).

Each method takes a :class:`~.protocol.Call` (the caller holds the lock)
and returns the ``result`` value or raises :class:`~.protocol.TgError`
with the description the real server gives, because the hub's client classifies
errors by substring (``message to delete not found``, ``message can't be
deleted``, ``not enough rights``, ``user is an administrator of the chat``).
Rights come from ``set_bot_rights``: a bot outside a chat gets 403, a member
without the right gets the 400 a real administrator-less bot gets.

Deliberate simplifications: of media only ``sendPhoto`` (in :mod:`.publish`),
no forum topics, one set of rights shared by every configured bot.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .data import DELETE_WINDOW, Channel, Msg, Restriction, in_force, normalize_until
from .json import (
    ALL_PERMISSIONS,
    GROUP_DEFAULTS,
    SEND_PERMISSIONS,
    SERVICE_IDS,
    bot_member,
    chat_full,
    message_json,
    restricted_json,
    staff_members,
    user_json,
)
from .protocol import Call, bad, forbidden

NOT_ENOUGH_RIGHTS = "not enough rights to restrict/unrestrict chat member"
MAX_TEXT = 4096


# --------------------------------------------------------------------------- access


def _kind(is_group: bool) -> str:
    return "supergroup" if is_group else "channel"


def _inside(ch: Channel, is_group: bool) -> bool:
    return ch.rights.in_group if is_group else ch.rights.in_channel


def _admin(ch: Channel, is_group: bool) -> bool:
    return _inside(ch, is_group) and (
        ch.rights.group_admin if is_group else ch.rights.channel_admin
    )


def _member_chat(call: Call) -> tuple[Channel, bool]:
    """The chat, which the bot must be in (403 as Telegram answers otherwise)."""
    ch, is_group = call.chat()
    if not _inside(ch, is_group):
        raise forbidden(f"bot is not a member of the {_kind(is_group)} chat")
    return ch, is_group


def _visible_chat(call: Call) -> tuple[Channel, bool]:
    """getChat and friends: a public channel is visible to anyone, the group to members."""
    ch, is_group = call.chat()
    if is_group and not ch.rights.in_group:
        raise bad("chat not found")
    return ch, is_group


# --------------------------------------------------------------------------- metadata


def get_me(call: Call) -> dict[str, Any]:
    return {
        **call.bot.user(),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


def get_chat(call: Call) -> dict[str, Any]:
    ch, is_group = _visible_chat(call)
    return chat_full(ch, is_group)


def get_chat_member_count(call: Call) -> int:
    ch, is_group = _visible_chat(call)
    return ch.group_members if is_group else ch.subscribers


def _admins(call: Call, ch: Channel, is_group: bool) -> list[dict[str, Any]]:
    out = staff_members(ch, is_group)
    if _admin(ch, is_group):
        out.append(bot_member(ch, call.bot.user(), is_group))
    return out


def _require_member_list(ch: Channel, is_group: bool) -> None:
    """Members of a channel are visible to its administrators only."""
    if not _inside(ch, is_group):
        raise bad("chat not found") if is_group else bad("member list is inaccessible")
    if not is_group and not _admin(ch, is_group):
        raise bad("member list is inaccessible")


def get_chat_member(call: Call) -> dict[str, Any]:
    ch, is_group = _visible_chat(call)
    user_id = call.required_int("user_id", "invalid user_id specified")
    if user_id == call.bot.id:
        return bot_member(ch, call.bot.user(), is_group)
    _require_member_list(ch, is_group)
    for member in _admins(call, ch, is_group):
        if member["user"]["id"] == user_id:
            return member
    person = call.world.person(user_id)
    user = user_json(person) if person else {"id": user_id, "is_bot": False, "first_name": "—"}
    if ch.is_banned(user_id, call.now):
        until = (ch.banned if is_group else ch.channel_banned).get(user_id, 0)
        return {"user": user, "status": "kicked", "until_date": until}
    if is_group and ch.is_restricted(user_id, call.now):
        entry = ch.restricted[user_id]
        return restricted_json(user, entry.permissions, entry.until)
    if person is None:
        raise bad("user not found")
    return {"user": user, "status": "member"}


def get_chat_administrators(call: Call) -> list[dict[str, Any]]:
    ch, is_group = _visible_chat(call)
    _require_member_list(ch, is_group)
    return _admins(call, ch, is_group)


# --------------------------------------------------------------------------- deleting


def _check_delete(call: Call, ch: Channel, is_group: bool, m: Msg) -> None:
    """Own messages need no right; anyone else's need can_delete_messages; all < 48 h."""
    own = m.bot_id == call.bot.id
    allowed = own or (_admin(ch, is_group) and ch.rights.can_delete)
    if not allowed or call.now - m.date > DELETE_WINDOW:
        raise bad("message can't be deleted")


def _live(ch: Channel, is_group: bool, message_id: int) -> Msg | None:
    m = ch.messages(is_group).get(message_id)
    return m if m is not None and m.deleted is None else None


def delete_message(call: Call) -> bool:
    ch, is_group = _member_chat(call)
    m = _live(ch, is_group, call.required_int("message_id", "message identifier is not specified"))
    if m is None:
        raise bad("message to delete not found")
    _check_delete(call, ch, is_group, m)
    m.deleted = "api"
    return True


def delete_messages(call: Call) -> bool:
    """Missing ids are skipped (notes §5); any other refusal refuses the whole call."""
    ch, is_group = _member_chat(call)
    ids = call.obj("message_ids")
    if not isinstance(ids, list) or not ids:
        raise bad("message identifiers are not specified")
    if len(ids) > 100:
        raise bad("too many message identifiers specified")
    try:
        found = [m for i in ids if (m := _live(ch, is_group, int(i))) is not None]
    except (TypeError, ValueError):
        raise bad("invalid message identifiers specified") from None
    for m in found:
        _check_delete(call, ch, is_group, m)
    for m in found:
        m.deleted = "api"
    return True


# --------------------------------------------------------------------------- restricting


def _target(call: Call, ch: Channel, is_group: bool, user_id: int) -> None:
    """Shared checks of ban/unban/restrict: rights first, then who the target is."""
    if not (_admin(ch, is_group) and ch.rights.can_restrict):
        raise bad(NOT_ENOUGH_RIGHTS)
    if user_id in (ch.id, ch.group_id):
        raise bad("can't restrict self or the linked channel")
    if user_id <= 0:
        raise bad("invalid user_id specified")
    if user_id in SERVICE_IDS:
        raise bad("PARTICIPANT_ID_INVALID")
    if user_id in ch.staff_ids() or user_id == call.bot.id:
        raise bad("user is an administrator of the chat")


def ban_chat_member(call: Call) -> bool:
    ch, is_group = _member_chat(call)
    user_id = call.required_int("user_id")
    _target(call, ch, is_group, user_id)
    until = normalize_until(call.integer("until_date") or 0, call.now)
    call.world.ban(ch, user_id, until, is_group)
    return True


def unban_chat_member(call: Call) -> bool:
    """``only_if_banned`` makes it a no-op for anyone not banned (notes §5)."""
    ch, is_group = _member_chat(call)
    user_id = call.required_int("user_id")
    _target(call, ch, is_group, user_id)
    bans = ch.banned if is_group else ch.channel_banned
    banned = in_force(bans.pop(user_id, -1), call.now)
    if not banned and not call.flag("only_if_banned"):
        ch.removed_by_unban.add(user_id)  # a member not banned: Telegram removes them
    return True


def restrict_chat_member(call: Call) -> bool:
    ch, is_group = _member_chat(call)
    if not is_group:
        raise bad("method is available only for supergroups")
    user_id = call.required_int("user_id")
    _target(call, ch, is_group, user_id)
    permissions = call.obj("permissions")
    if not isinstance(permissions, dict):
        raise bad('parameter "permissions" must be an Object')
    granted = {key: bool(permissions.get(key, False)) for key in ALL_PERMISSIONS}
    media = any(granted[k] for k in SEND_PERMISSIONS if k != "can_send_messages")
    if media and not call.flag("use_independent_chat_permissions"):
        granted["can_send_messages"] = True  # without independent permissions media implies text
    if all(granted[k] for k in SEND_PERMISSIONS):
        ch.restricted.pop(user_id, None)  # everything allowed: no longer restricted
        return True
    until = normalize_until(call.integer("until_date") or 0, call.now)
    ch.restricted[user_id] = Restriction(until, {**GROUP_DEFAULTS, **granted})
    return True


def _sender_chat(call: Call) -> tuple[Channel, int]:
    ch, is_group = _member_chat(call)
    sender = call.required_int("sender_chat_id", "invalid sender_chat_id specified")
    if not (_admin(ch, is_group) and ch.rights.can_restrict):
        raise bad(NOT_ENOUGH_RIGHTS)
    if sender in (ch.id, ch.group_id):
        raise bad("can't restrict self or the linked channel")
    if sender >= 0:
        raise bad("invalid sender_chat_id specified")
    return ch, sender


def ban_chat_sender_chat(call: Call) -> bool:
    ch, sender = _sender_chat(call)
    ch.banned_senders.add(sender)
    return True


def unban_chat_sender_chat(call: Call) -> bool:
    ch, sender = _sender_chat(call)
    ch.banned_senders.discard(sender)
    return True


# --------------------------------------------------------------------------- posting


def _reply_target(call: Call) -> int | None:
    params = call.obj("reply_parameters")
    if isinstance(params, dict) and params.get("message_id") is not None:
        return int(params["message_id"])
    return call.integer("reply_to_message_id")


def _reply_place(call: Call, ch: Channel) -> tuple[int | None, int | None]:
    """(thread, reply_to) of a bot's message in the discussion group: the reply target's, if any.

    Answering a channel post's automatic forward opens that post's thread; answering a
    comment joins the comment's thread. No target: a message outside any thread.
    """
    target_id = _reply_target(call)
    if target_id is None:
        return None, None
    target = _live(ch, True, target_id)
    if target is None:
        raise bad("message to be replied not found")
    thread = target.message_id if target.forward_of is not None else target.thread_id
    return thread, target.message_id


def send_message(call: Call) -> dict[str, Any]:
    """A post (its forward then arrives as an update) or a message in the group."""
    ch, is_group = _member_chat(call)
    text = str(call.raw("text") or "").strip()
    if not text:
        raise bad("message text is empty")
    if len(text) > MAX_TEXT:
        raise bad("message is too long")
    if not is_group:
        if not (_admin(ch, False) and ch.rights.can_post):
            raise bad("need administrator rights in the channel chat")
        post = call.world.publish(ch, call.now, text, by_bot=call.bot.id)
        return message_json(ch, post)
    thread, reply_to = _reply_place(call, ch)
    bot = call.bot.user()
    m = call.world.comment(
        ch, thread, call.now, text, sender=bot, reply_to=reply_to, by_bot=call.bot.id
    )
    return message_json(ch, m)


METHODS: dict[str, Callable[[Call], Any]] = {
    "getMe": get_me,
    "getChat": get_chat,
    "getChatMemberCount": get_chat_member_count,
    "getChatMembersCount": get_chat_member_count,  # the old name, still served
    "getChatMember": get_chat_member,
    "getChatAdministrators": get_chat_administrators,
    "deleteMessage": delete_message,
    "deleteMessages": delete_messages,
    "banChatMember": ban_chat_member,
    "kickChatMember": ban_chat_member,  # the old name, still served
    "unbanChatMember": unban_chat_member,
    "restrictChatMember": restrict_chat_member,
    "banChatSenderChat": ban_chat_sender_chat,
    "unbanChatSenderChat": unban_chat_sender_chat,
    "sendMessage": send_message,
}
