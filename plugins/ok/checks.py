"""``hub accounts check`` for OK: OK's onboarding check (``docs/networks/ok.md`` §2), then reading.

``users.getCurrentUser`` names the token's user; ``users.hasAppPermission`` says
whether they granted VALUABLE_ACCESS and GROUP_CONTENT (most methods, and posting
into a group, need them); ``group.getUserGroupsByIds`` gives their status in the
group, and only an ADMIN or MODERATOR may delete a group topic's comments and
block their authors. Reading is proved with the calls sync makes (the group's
topics, one topic's comments). Whether a moderator may post OK does not say:
"not checked".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.errors import ApiError
from hub.models import Account
from hub.network import CommentsRequest, Finding, PostPageRequest

if TYPE_CHECKING:
    from .network import OkNetwork

NEEDED = {
    "VALUABLE_ACCESS": "most API methods",
    "GROUP_CONTENT": "reading the group and posting into it",
}
MANAGERS = ("ADMIN", "MODERATOR")


async def check_rights(net: OkNetwork, account: Account) -> list[Finding]:
    meta = (await net.fetch_account_meta([account]))[0]
    if isinstance(meta, ApiError):
        raise meta  # the core words it, naming the token's variable
    env = f"${account.token_env}"
    token = net.token_for(account)
    findings = [Finding(True, f"the token in {env} works and the group «{meta.name}» is readable")]
    me = await net.client.call(token, "users.getCurrentUser", {"fields": "uid,name"})
    uid = str(me.get("uid")) if isinstance(me, dict) else ""
    for permission, why in NEEDED.items():
        granted = await net.client.call(token, "users.hasAppPermission", {"ext_perm": permission})
        if granted is True:
            findings.append(Finding(True, f"permission {permission} granted"))
        else:
            findings.append(
                Finding(
                    False,
                    f"permission {permission} not granted ({why} need it): sign in again with "
                    f"the application asking for {permission}, and put the new token in {env}",
                )
            )
    findings += await _reading(net, account)
    findings += await _role(net, account, token, uid, meta.name, env)
    return findings


async def _reading(net: OkNetwork, account: Account) -> list[Finding]:
    (page,) = await net.fetch_post_pages([PostPageRequest(account)])
    if isinstance(page, Exception):
        return [Finding(False, f"read the group's topics: refused ({page})")]
    found = [Finding(True, f"read the group's topics: {len(page.posts)} on the first page")]
    if not page.posts:
        found.append(
            Finding(True, "read comments: the group has no topic yet; check again later", False)
        )
        return found
    topic = page.posts[0].network_id
    (comments,) = await net.fetch_comments([CommentsRequest(account, topic)])
    if isinstance(comments, Exception):
        found.append(Finding(False, f"read comments: discussions.getComments refused ({comments})"))
    else:
        found.append(Finding(True, f"read comments: discussions.getComments answers ({topic})"))
    return found


async def _role(
    net: OkNetwork, account: Account, token: str, uid: str, name: str, env: str
) -> list[Finding]:
    rows = await net.client.call(
        token, "group.getUserGroupsByIds", {"group_id": account.external_id, "uids": uid}
    )
    status = next(
        (
            r.get("status")
            for r in (rows if isinstance(rows, list) else [])
            if isinstance(r, dict) and str(r.get("userId")) == uid
        ),
        None,
    )
    who = f"the user of the token in {env}"
    if status not in MANAGERS:
        fix = f"{who} is {status or 'not a member'} in «{name}»: make them a moderator or admin"
        return [
            Finding(False, f"delete comments: {fix}"),
            Finding(False, f"block authors: {fix}"),
            Finding(False, f"post: {fix}"),
        ]
    found = [
        Finding(True, f"delete comments: {who} is {status} of «{name}»"),
        Finding(True, f"block authors: {who} is {status} of «{name}» (blocked while deleting)"),
    ]
    if status == "ADMIN":
        found.append(Finding(True, f"post: {who} is ADMIN of «{name}»"))
    else:
        found.append(
            Finding(True, "post: OK does not say whether a moderator may post; try a draft", False)
        )
    return found
