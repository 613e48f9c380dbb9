"""``hub accounts check`` for VK: every right the hub uses, tried the way sync uses it.

Reading is proved by the very calls sync makes first (``wall.get`` and
``wall.getComments`` inside ``execute``, on the account's token), so a community
key in ``token_env`` fails here with VK's error 27 exactly where ``hub sync``
would. Deleting, banning and posting cannot be tried without doing them: they
follow from the token's kind (``groups.getTokenPermissions`` answers only for a
community key, which VK refuses for those methods) and from the user's role in
the community (``is_admin``/``admin_level`` of ``groups.getById``). The user
token's own scopes VK tells only by a call that needs them: said as "not checked".
The Long Poll key (``events_token_env``) is checked for ``manage`` and the
community's Long Poll settings: on, at the hub's ``api_version``, with every event
the hub reads (``--fix`` switches them on, :func:`hub_vk.longpoll.ensure_settings`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hub.errors import ApiError, ConfigError
from hub.models import Account
from hub.network import Finding
from hub.secrets import secret_from_env

from .longpoll import settings_gaps

if TYPE_CHECKING:
    from .network import VkNetwork

#: admin_level of groups.getById: 1 moderator, 2 editor, 3 administrator
MODERATOR, EDITOR = 1, 2
ROLE_FIELDS = "is_admin,admin_level"


async def check_rights(net: VkNetwork, account: Account) -> list[Finding]:
    meta = (await net.fetch_account_meta([account]))[0]
    if isinstance(meta, ApiError):
        raise meta  # the core words it, naming the token's variable
    env = f"${account.token_env}"
    findings = [Finding(True, f"the token in {env} works and the page «{meta.name}» is readable")]
    gid = net.group_id(account)
    key_rights = await _community_key_rights(net, net.token_for(account))
    wall, role = await net._run(
        [
            (account, ("wall.get", {"owner_id": -gid, "offset": 0, "count": 1, "extended": 1})),
            (account, ("groups.getById", {"group_ids": str(gid), "fields": ROLE_FIELDS})),
        ]
    )
    findings += await _reading(net, account, gid, wall, env, key_rights is not None)
    if key_rights is not None:
        findings += _community_key_writes(env)
    else:
        findings += _user_writes(role, meta.name, env)
    if account.events_token_env:
        findings += await _long_poll(net, account, gid)
    return findings


async def _community_key_rights(net: VkNetwork, token: str) -> list[str] | None:
    """The rights of a community key; None for any other token (VK answers only keys)."""
    try:
        answer = await net.client.call(token, "groups.getTokenPermissions", {})
    except ApiError:
        return None
    settings = None
    if isinstance(answer, dict):  # VK's schema says ``permissions``, dev.vk.com ``settings``
        settings = answer.get("permissions", answer.get("settings"))
    return [str(s.get("name")) for s in settings or [] if isinstance(s, dict)]


async def _reading(
    net: VkNetwork, account: Account, gid: int, wall: Any, env: str, community_key: bool
) -> list[Finding]:
    if isinstance(wall, ApiError):
        fix = (
            f"{env} holds a community key, which VK refuses for reading walls: put an admin "
            "USER token there (scopes wall, groups); a community key belongs in events_token_env"
            if community_key or wall.code == 27
            else "see the error; sync fails the same way"
        )
        return [
            Finding(False, f"read the wall: wall.get refused ({wall}); {fix}"),
            Finding(False, "read comments: not possible while the wall cannot be read"),
        ]
    items = wall.get("items") if isinstance(wall, dict) else None
    found = [
        Finding(True, f"read the wall: wall.get answers ({wall.get('count', 0)} posts)"),
    ]
    if not items:
        found.append(
            Finding(
                True,
                "read comments: the wall has no post yet; run the check again after the first",
                checked=False,
            )
        )
        return found
    post = items[0].get("id")
    (comments,) = await net._run(
        [
            (
                account,
                (
                    "wall.getComments",
                    {"owner_id": -gid, "post_id": post, "count": 1, "preview_length": 0},
                ),
            )
        ]
    )
    if isinstance(comments, ApiError) and comments.code != 212:  # 212: that post's are closed
        found.append(Finding(False, f"read comments: wall.getComments refused ({comments})"))
    else:
        found.append(Finding(True, f"read comments: wall.getComments answers (post {post})"))
    return found


def _community_key_writes(env: str) -> list[Finding]:
    why = f"VK refuses it with a community key (error 27): put an admin USER token in {env}"
    return [
        Finding(False, f"delete comments: wall.deleteComment — {why}"),
        Finding(False, f"ban users: groups.ban — {why}"),
        Finding(False, f"post: wall.post — {why}"),
    ]


def _user_writes(role: Any, page: str, env: str) -> list[Finding]:
    group = (role.get("groups") or [{}])[0] if isinstance(role, dict) else {}
    level = int(group.get("admin_level") or 0) if group.get("is_admin") else 0
    who = f"the user of the token in {env}"
    make = f"make them a moderator (delete, ban) or an editor (also post) of «{page}»"
    out = []
    for right, need in (("delete comments", MODERATOR), ("ban users", MODERATOR), ("post", EDITOR)):
        if level >= need:
            out.append(Finding(True, f"{right}: {who} manages «{page}» (admin level {level})"))
        else:
            out.append(Finding(False, f"{right}: {who} may not ({_level(level)}); {make}"))
    out.append(
        Finding(
            True,
            "token scopes: VK tells them only by a call that needs them; the token must have "
            "been issued with the wall and groups scopes, or deleting and banning will fail",
            checked=False,
        )
    )
    return out


def _level(level: int) -> str:
    return {0: "not a manager", MODERATOR: "moderator only"}.get(level, f"admin level {level}")


async def _long_poll(net: VkNetwork, account: Account, gid: int) -> list[Finding]:
    env = f"${account.events_token_env}"
    try:
        token = secret_from_env(account.events_token_env or "", "the community key for events")
    except ConfigError as exc:
        return [Finding(False, f"Long Poll: {exc}")]
    rights = await _community_key_rights(net, token)
    if rights is None:
        return [
            Finding(
                False,
                f"Long Poll: the token in {env} is not a community key (groups.getTokenPermissions "
                "refused it); create one in the community's settings → API usage, with 'manage'",
            )
        ]
    if "manage" not in rights:
        return [
            Finding(
                False,
                f"Long Poll: the community key in {env} lacks 'manage' (it has "
                f"{', '.join(rights) or 'none'}); issue a new key with 'manage'",
            )
        ]
    found = [Finding(True, f"Long Poll: the community key in {env} has 'manage'")]
    try:
        settings = await net.client.call(token, "groups.getLongPollSettings", {"group_id": gid})
    except ApiError as exc:
        return [*found, Finding(False, f"Long Poll: groups.getLongPollSettings refused ({exc})")]
    version = str(net.settings["api_version"])
    gaps = settings_gaps(settings, version)
    fix = "run 'hub accounts check --fix' (the daemon also sets it when it starts)"
    found += [Finding(False, f"Long Poll: {gap}; {fix}") for gap in gaps]
    if not gaps:
        found.append(
            Finding(True, f"Long Poll: on, with the wall's post and comment events, API {version}")
        )
    return found
