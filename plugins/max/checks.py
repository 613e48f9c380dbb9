"""``hub accounts check`` for MAX: can the bot read and moderate the channel, and how do
its events arrive? See ``docs/networks/max.md`` §6.

``GET /me`` names the bot, ``GET /chats/{id}/members/me`` says whether it is an
administrator and with which permissions (``read_all_messages`` to see comments
and events, ``delete`` to remove comments, ``add_remove_members`` to block), and
``GET /subscriptions`` which mode is live: a webhook when a subscription exists,
long polling otherwise (the two exclude each other).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.errors import ApiError
from hub.models import Account
from hub.network import Finding

if TYPE_CHECKING:
    from .network import MaxNetwork

#: permission → what is lost without it
NEEDED = {
    "read_all_messages": "the bot sees no comments and gets no events from the channel",
    "delete": "it cannot delete comments",
    "add_remove_members": "it cannot block commenters",
    "write": "publishing from the content plan and replies will fail",
}


async def check_account(net: MaxNetwork, account: Account) -> list[Finding]:
    token = net.token_for(account)
    me = await net.bot(token)
    name = me.get("username") or me.get("first_name") or me.get("user_id")
    findings = [Finding(True, f"the token belongs to the bot {name}")]
    chat_id = net.chat_id(account)
    try:
        chat = await net.client.call(token, "GET", f"/chats/{chat_id}", method="getChat")
        member = await net.client.call(
            token, "GET", f"/chats/{chat_id}/members/me", method="getMembership"
        )
    except ApiError as exc:
        return [
            *findings,
            Finding(
                False,
                f"the bot cannot see the channel {chat_id} ({exc}): add it to the channel as an "
                "administrator",
            ),
        ]
    title = chat.get("title") if isinstance(chat, dict) else chat_id
    member = member if isinstance(member, dict) else {}
    if not (member.get("is_admin") or member.get("is_owner")):
        findings.append(
            Finding(
                False,
                f"the bot is not an administrator of the channel «{title}»: "
                "comments will not sync and nothing can be moderated",
            )
        )
    else:
        findings.append(Finding(True, f"the bot is an administrator of the channel «{title}»"))
        granted = set(member.get("permissions") or [])
        for permission, loss in NEEDED.items():
            if permission not in granted and not member.get("is_owner"):
                findings.append(
                    Finding(False, f"the bot lacks the permission {permission}: {loss}")
                )
    findings.append(await _mode(net, token))
    return findings


async def _mode(net: MaxNetwork, token: str) -> Finding:
    try:
        answer = await net.client.call(token, "GET", "/subscriptions", method="getSubscriptions")
    except ApiError as exc:
        return Finding(False, f"the event mode could not be read ({exc})", checked=False)
    subs = (answer or {}).get("subscriptions") if isinstance(answer, dict) else None
    if subs:
        urls = ", ".join(str(s.get("url")) for s in subs if isinstance(s, dict))
        return Finding(
            True,
            f"events: webhook live ({urls}); long polling is off while it is set. The daemon "
            "receives them when [networks.max] webhook_path is this address's path, behind "
            "HTTPS on port 443",
        )
    return Finding(
        True,
        "events: long polling (no webhook subscription); name events_token_env on the account "
        "for 'hub daemon' to follow them",
    )
