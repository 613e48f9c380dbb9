"""Undoing moderation on VK: ``wall.restoreComment`` and ``groups.unban``, verified.

Both are safe to repeat: a comment that is not deleted (error 243) and a user
who is not banned are success, ``already``. A lost answer is checked on VK
before it counts as a failure, as deletions and bans are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.errors import ApiError, TransientError
from hub.network import ActionResult, BanRequest, CommentRef

if TYPE_CHECKING:
    from .network import VkNetwork

#: "Comment has not been deleted": there is nothing to restore (docs/networks/vk.md §4, §6)
NOT_DELETED = 243


async def restore_comment(net: VkNetwork, comment: CommentRef) -> ActionResult:
    """``wall.restoreComment``; VK restores a comment only for a while after its deletion."""
    token = net.token_for(comment.account)
    owner = -(await net.resolve_group(comment.account))
    cid = int(comment.network_id)
    params = {"owner_id": owner, "comment_id": cid}
    try:
        await net.client.call(token, "wall.restoreComment", params, retry=False)
        return ActionResult(done=True, detail=f"comment {cid} restored on VK")
    except ApiError as exc:
        if exc.code == NOT_DELETED:
            return ActionResult(done=True, already=True, detail=f"comment {cid} is not deleted")
        lost = isinstance(exc, TransientError)
        if not await net._comment_gone(token, owner, cid):  # it is up: by us, or by someone
            if lost:
                detail = f"comment {cid} restored on VK (confirmed after an unclear answer)"
                return ActionResult(done=True, detail=detail)
            return ActionResult(done=True, already=True, detail=f"comment {cid} is not deleted")
        if lost:
            raise
        raise ApiError(
            f"VK refused to restore comment {cid} ({exc}); VK brings a deleted comment back only "
            "for a while after its deletion, so this one may have been deleted too long ago: "
            "its text is kept in the hub ('hub comments list'), ask its author to write it again",
            code=exc.code,
            method="wall.restoreComment",
        ) from None


async def unban_user(net: VkNetwork, request: BanRequest) -> ActionResult:
    """``groups.unban`` when ``groups.getBanned`` shows a ban; no ban is ``already``."""
    token = net.token_for(request.account)
    group = await net.resolve_group(request.account)
    user = request.user_id
    if await net._ban_end(token, group, user) is None:
        return ActionResult(done=True, already=True, detail=f"user {user} is not banned on VK")
    detail = f"user {user} unbanned on VK"
    try:
        await net.client.call(
            token, "groups.unban", {"group_id": group, "owner_id": user}, retry=False
        )
    except TransientError:
        if await net._ban_end(token, group, user) is not None:
            raise
        detail += " (confirmed after an unclear answer)"
    return ActionResult(done=True, detail=detail)
