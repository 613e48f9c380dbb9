"""``hub accounts check`` for Telegram: can the bot see and moderate the channel and its group?

The usual reason comments do not sync is the bot's place in the discussion
group, so every gap is said in plain words with what it breaks.
"""

from __future__ import annotations

from typing import Any

from hub.errors import ApiError
from hub.models import Account
from hub.network import Finding

from .client import TelegramClient


async def _member(client: TelegramClient, token: str, chat: int, bot: int) -> dict[str, Any] | None:
    try:
        member = await client.call(token, "getChatMember", {"chat_id": chat, "user_id": bot})
    except ApiError:
        return None
    return member if isinstance(member, dict) else None


async def check_rights(client: TelegramClient, token: str, account: Account) -> list[Finding]:
    me = await client.call(token, "getMe")
    findings = [Finding(True, f"the token belongs to the bot @{me.get('username')}")]
    ref = account.external_id
    try:
        channel = await client.call(
            token, "getChat", {"chat_id": int(ref) if ref.lstrip("-").isdigit() else ref}
        )
    except ApiError as exc:
        return [
            *findings,
            Finding(
                False,
                f"the bot cannot see the channel {ref} ({exc}): "
                "add it to the channel as an administrator",
            ),
        ]
    title = channel.get("title", ref)
    member = await _member(client, token, channel["id"], me["id"])
    if not member or member.get("status") not in ("administrator", "creator"):
        findings.append(
            Finding(
                False,
                f"the bot is not an administrator of the channel «{title}»: posts will not sync",
            )
        )
    else:
        findings.append(Finding(True, f"the bot is an administrator of the channel «{title}»"))
        if not member.get("can_post_messages"):
            findings.append(
                Finding(
                    False,
                    "the bot may not post in the channel: publishing "
                    "from the content plan will fail",
                )
            )
    group_id = channel.get("linked_chat_id")
    if not group_id:
        findings.append(
            Finding(
                False,
                "the channel has no discussion group: there are no comments to sync or moderate",
            )
        )
        return findings
    member = await _member(client, token, group_id, me["id"])
    if not member or member.get("status") in ("left", "kicked"):
        findings.append(
            Finding(False, "the bot is not in the discussion group: comments will not sync")
        )
        return findings
    if member.get("status") not in ("administrator", "creator"):
        findings.append(
            Finding(
                False,
                "the bot is in the discussion group but not an administrator: "
                "it may miss comments (privacy mode) and cannot delete or mute",
            )
        )
        return findings
    findings.append(Finding(True, "the bot is an administrator of the discussion group"))
    if not member.get("can_delete_messages"):
        findings.append(
            Finding(
                False,
                "the bot may not delete messages in the discussion group: "
                "it cannot remove comments",
            )
        )
    if not member.get("can_restrict_members"):
        findings.append(
            Finding(
                False,
                "the bot may not restrict members of the discussion group: "
                "it cannot mute or ban commenters",
            )
        )
    return findings
