"""Lifting a ban or a mute in a channel's discussion group (Telegram has no restore).

``getChatMember`` says which it is: a ban is lifted with ``unbanChatMember``
and ``only_if_banned`` (without it Telegram would remove a member who is not
banned), a mute with ``restrictChatMember`` granting every permission, a
channel that comments with ``unbanChatSenderChat``. Each sets an absolute state,
so a repeat is harmless.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.errors import ApiError
from hub.network import ActionResult, BanRequest

if TYPE_CHECKING:
    from .network import TelegramNetwork

#: every permission a member can have; a mute sets them all off (network.MUTED), and
#: lifting it turns them all on (docs/networks/telegram.md §5)
PERMISSIONS = (
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
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
    "can_manage_topics",
)
UNMUTED = dict.fromkeys(PERMISSIONS, True)


async def unban_user(net: TelegramNetwork, request: BanRequest) -> ActionResult:
    chats = await net._chats_of(request.account)
    group = net._group(chats, request.account)
    net._refuse_own(chats, group, request.user_id, "unban")
    token = net.token_for(request.account)
    user = request.user_id
    if user < 0:
        await net.client.call(
            token, "unbanChatSenderChat", {"chat_id": group, "sender_chat_id": user}
        )
        return ActionResult(done=True, detail=f"channel {user} may comment again")
    status = await _status(net, token, group, user)
    if status == "kicked":
        params = {"chat_id": group, "user_id": user, "only_if_banned": True}
        await net.client.call(token, "unbanChatMember", params)
        return ActionResult(
            done=True,
            detail=(
                f"user {user} unbanned in the discussion group (they may join again; the "
                "messages the ban removed stay removed)"
            ),
        )
    if status == "restricted":
        params = {
            "chat_id": group,
            "user_id": user,
            "permissions": UNMUTED,
            "use_independent_chat_permissions": True,
        }
        await net.client.call(token, "restrictChatMember", params)
        return ActionResult(
            done=True, detail=f"user {user} may write in the discussion group again"
        )
    return ActionResult(
        done=True,
        already=True,
        detail=f"user {user} is neither banned nor muted in the discussion group",
    )


async def _status(net: TelegramNetwork, token: str, group: int, user: int) -> str:
    """The user's ChatMember status; "left" for someone Telegram does not know there."""
    try:
        member = await net.client.call(token, "getChatMember", {"chat_id": group, "user_id": user})
    except ApiError as exc:
        if "user not found" in str(exc).lower():
            return "left"
        raise
    status = member.get("status") if isinstance(member, dict) else None
    if not isinstance(status, str):
        raise ApiError("Telegram getChatMember answer has no status", method="getChatMember")
    return status
