"""The JSON the Telegram emulator sends: messages, chats and chat members (notes §3–§5).

One module builds every object so an update, a ``sendMessage`` answer and the
``reply_to_message`` inside a comment can never disagree about a message's shape.
The shapes copy the notes' examples field for field, including what production
code is likely to get wrong: ``forward_origin`` alone (the ``forward_from_*``
fields went in Bot API 7.0), the placeholder senders 777000 and 136817688, photos as
arrays of sizes whose ``file_id`` differs per chat while ``file_unique_id`` does
not, and entity offsets counted in UTF-16 code units.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .data import Channel, Msg, Person

SERVICE_USER = {"id": 777000, "is_bot": False, "first_name": "Telegram"}
CHANNEL_BOT = {"id": 136817688, "is_bot": True, "first_name": "Channel", "username": "Channel_Bot"}
GROUP_ANONYMOUS_BOT = 1087968824
SERVICE_IDS = frozenset({777000, 136817688, GROUP_ANONYMOUS_BOT})

# ChatPermissions: the ones that let a member write (any False = "restricted"), then the rest
SEND_PERMISSIONS = (
    "can_send_messages",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
)
ALL_PERMISSIONS = (
    *SEND_PERMISSIONS,
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
    "can_manage_topics",
)
GROUP_DEFAULTS = {
    key: key in SEND_PERMISSIONS or key == "can_invite_users" for key in ALL_PERMISSIONS
}
PHOTO_SIZES = ((90, 60), (320, 213), (800, 533), (1280, 853))
_ENTITY = re.compile(r"(?P<hashtag>#\w+)|(?P<mention>@\w{5,32})|(?P<url>https?://[^\s,]+)")


def utf16_len(text: str) -> int:
    """Telegram measures entities in UTF-16 code units (an emoji counts 2)."""
    return len(text.encode("utf-16-le")) // 2


def entities(text: str) -> list[dict[str, Any]]:
    """Hashtags, @mentions and links, with offsets as Telegram counts them."""
    return [
        {"type": m.lastgroup, "offset": utf16_len(text[: m.start()]), "length": utf16_len(m[0])}
        for m in _ENTITY.finditer(text)
    ]


def _token(*parts: object, size: int) -> str:
    digest = hashlib.sha256("|".join(map(str, parts)).encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest * 2).decode("ascii").rstrip("=")[:size]


def photo_json(key: str, chat_id: int) -> list[dict[str, Any]]:
    """PhotoSize array: one file in four sizes; a copy in another chat gets new file_ids."""
    return [
        {
            "file_id": "AgACAgIAAx0C" + _token(key, chat_id, w, size=60),
            "file_unique_id": "AQAD" + _token(key, w, size=12),
            "file_size": w * h // 7 + int.from_bytes(key.encode()[:2], "big") % 997,
            "width": w,
            "height": h,
        }
        for w, h in PHOTO_SIZES
    ]


def chat_photo(key: str, chat_id: int) -> dict[str, str]:
    return {
        "small_file_id": "AQADAgAD" + _token(key, chat_id, "small", size=40),
        "small_file_unique_id": "AQAD" + _token(key, "small", size=12),
        "big_file_id": "AQADAgAD" + _token(key, chat_id, "big", size=40),
        "big_file_unique_id": "AQAD" + _token(key, "big", size=12),
    }


def user_json(person: Person) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": person.id,
        "is_bot": person.is_bot,
        "first_name": person.first_name,
    }
    if person.last_name:
        out["last_name"] = person.last_name
    if person.username:
        out["username"] = person.username
    if not person.is_bot:
        out["language_code"] = "ru"
    return out


def channel_ref(ch: Channel) -> dict[str, Any]:
    return {"id": ch.id, "title": ch.title, "username": ch.username, "type": "channel"}


def group_ref(ch: Channel) -> dict[str, Any]:
    return {"id": ch.group_id, "title": ch.group_title, "type": "supergroup"}


def message_json(ch: Channel, m: Msg, *, reply: bool = True) -> dict[str, Any]:
    """A Message as in the notes' §3 examples; ``reply=False`` for the nested copy."""
    in_channel = m.chat_id == ch.id
    out: dict[str, Any] = {"message_id": m.message_id}
    if m.thread_id is not None:
        out["message_thread_id"] = m.thread_id
    if m.sender is not None:
        out["from"] = m.sender
    if m.sender_chat is not None:
        out["sender_chat"] = m.sender_chat
    out["chat"] = channel_ref(ch) if in_channel else group_ref(ch)
    out["date"] = m.date
    if m.edit_date is not None:
        out["edit_date"] = m.edit_date
    if m.signature and m.forward_of is None:
        out["author_signature"] = m.signature
    if m.forward_of is not None:
        origin: dict[str, Any] = {
            "type": "channel",
            "chat": channel_ref(ch),
            "message_id": m.forward_of,
            "date": m.forward_date,
        }
        if m.signature:
            origin["author_signature"] = m.signature
        # Only ``forward_origin``: Bot API 7.0 removed ``forward_from_chat``,
        # ``forward_from_message_id``, ``forward_signature`` and ``forward_date``.
        out["forward_origin"] = origin
        out["is_automatic_forward"] = True
    if reply and m.reply_to is not None and m.show_reply:
        parent = ch.group.get(m.reply_to)
        if parent is not None and parent.deleted is None:  # a deleted parent is simply absent
            out["reply_to_message"] = message_json(ch, parent, reply=False)
    if m.photo_key is not None:
        out["photo"] = photo_json(m.photo_key, m.chat_id)
        if m.text:
            out["caption"] = m.text
            if ents := entities(m.text):
                out["caption_entities"] = ents
    else:
        out["text"] = m.text
        if ents := entities(m.text):
            out["entities"] = ents
    return out


def chat_full(ch: Channel, is_group: bool) -> dict[str, Any]:
    """ChatFullInfo for ``getChat``: the channel and its discussion group point at each other."""
    if is_group:
        out: dict[str, Any] = {
            "id": ch.group_id,
            "type": "supergroup",
            "title": ch.group_title,
            "invite_link": ch.group_invite_link,
            "permissions": dict(GROUP_DEFAULTS),
            "join_to_send_messages": True,
            "has_visible_history": True,
            "linked_chat_id": ch.id,
        }
    else:
        out = {
            "id": ch.id,
            "type": "channel",
            "title": ch.title,
            "username": ch.username,
            "active_usernames": [ch.username],
            "description": ch.description,
            "invite_link": ch.invite_link,
            "linked_chat_id": ch.group_id,
        }
    if ch.photo_key is not None:
        out["photo"] = chat_photo(ch.photo_key, out["id"])
    out["accent_color_id"] = abs(ch.id) % 7
    out["max_reaction_count"] = 11
    out["accepted_gift_types"] = {
        "unlimited_gifts": False,
        "limited_gifts": False,
        "unique_gifts": False,
        "premium_subscription": False,
        "gifts_from_channels": False,
    }
    return out


def admin_json(user: dict[str, Any], *, is_group: bool, delete: bool, restrict: bool, post: bool):
    """ChatMemberAdministrator: channels have posting rights, supergroups pinning."""
    out: dict[str, Any] = {
        "user": user,
        "status": "administrator",
        "can_be_edited": False,
        "is_anonymous": False,
        "can_manage_chat": True,
        "can_delete_messages": delete,
        "can_manage_video_chats": False,
        "can_restrict_members": restrict,
        "can_promote_members": False,
        "can_change_info": False,
        "can_invite_users": True,
        "can_post_stories": False,
        "can_edit_stories": False,
        "can_delete_stories": False,
    }
    if is_group:
        out.update(can_pin_messages=True, can_manage_topics=False)
    else:
        out.update(can_post_messages=post, can_edit_messages=post)
    return out


def bot_member(ch: Channel, bot_user: dict[str, Any], is_group: bool) -> dict[str, Any]:
    """The bot's own membership, exactly as ``set_bot_rights`` left it."""
    r = ch.rights
    inside, admin = (r.in_group, r.group_admin) if is_group else (r.in_channel, r.channel_admin)
    if not inside:
        return {"user": bot_user, "status": "left"}
    if not admin:
        return {"user": bot_user, "status": "member"}
    return admin_json(
        bot_user, is_group=is_group, delete=r.can_delete, restrict=r.can_restrict, post=r.can_post
    )


def staff_members(ch: Channel, is_group: bool) -> list[dict[str, Any]]:
    """The people running the channel: its owner (creator) and an editor (administrator)."""
    editor = admin_json(
        user_json(ch.editor), is_group=is_group, delete=True, restrict=True, post=True
    )
    editor["custom_title"] = "Пресс-секретарь"
    return [{"user": user_json(ch.owner), "status": "creator", "is_anonymous": False}, editor]


def restricted_json(user: dict[str, Any], permissions: dict[str, bool], until: int):
    return {
        "user": user,
        "status": "restricted",
        "is_member": True,
        **permissions,
        "until_date": until,
    }
