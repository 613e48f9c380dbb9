"""VK API method implementations for the emulator (version 5.199 shapes).

Each method takes a :class:`Call` and returns the ``response`` payload or raises
:class:`VkError`; the HTTP layer wraps both into VK's envelope. Shapes, limits and
error codes follow ``docs/networks/vk.md`` so that the production client
can be exercised unchanged against this server. Callers hold the state lock.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .data import DAY, Ban, Comment, Community, EmulatorState, Post, Resident
from .longpoll import LP_EVENTS, LongPollKeys


class VkError(Exception):
    """A VK API error: becomes ``{"error": {"error_code", "error_msg", ...}}``."""

    def __init__(self, code: int, msg: str, subcode: int | None = None) -> None:
        super().__init__(f"{code}: {msg}")
        self.code = code
        self.msg = msg
        self.subcode = subcode  # error_subcode: 1117 is an expired token


def invalid(name: str, why: str = "is undefined") -> VkError:
    return VkError(100, f"One of the parameters specified was missing or invalid: {name} {why}")


NOT_FOUND = (104, "Not found")
COMMENT_DENIED = (211, "Access to comment denied")
POST_COMMENTS_DENIED = (212, "Access to post comments denied")
#: VK restores a deleted comment only for a while; neither the length nor the refusal is
#: documented (notes §4), so the emulator assumes a day and answers "access denied"
RESTORE_WINDOW = DAY
TOO_LATE_TO_RESTORE = (15, "Access denied: the comment was deleted too long ago")


@dataclass
class Call:
    """One method invocation: string parameters as VK receives them, plus context."""

    params: dict[str, str]
    state: EmulatorState
    now: float
    user_id: int  # owner of the access token (the admin account; -gid for a community token)
    longpoll: LongPollKeys | None = None  # the emulator's Bots Long Poll keys
    group_token: int | None = None  # the community a community token belongs to, else None
    base_url: str = ""  # where the emulator serves (photo upload addresses point there)
    #: a community key's rights (groups.getTokenPermissions); a user token's role in every
    #: community (``admin_level`` of groups.getById: 1 moderator, 2 editor, 3 administrator)
    token_rights: frozenset[str] = frozenset()
    admin_level: int = 3

    def num(self, name: str, default: int | None = None, *, required: bool = False) -> int | None:
        raw = self.params.get(name)
        if raw is None or raw.strip() == "":
            if required:
                raise invalid(name)
            return default
        try:
            return int(raw.strip())
        except ValueError:
            raise invalid(name, "not integer") from None

    def req_int(self, name: str) -> int:
        value = self.num(name, required=True)
        assert value is not None
        return value

    def flag(self, name: str) -> bool:
        return bool(self.num(name, 0))

    def count(self, default: int, maximum: int) -> int:
        value = self.num("count", default) or 0
        if value < 0 or value > maximum:
            raise invalid("count", f"should be less or equal to {maximum}")
        return value

    def offset(self) -> int:
        return max(0, self.num("offset", 0) or 0)

    def fields(self) -> set[str]:
        return {f.strip() for f in self.params.get("fields", "").split(",") if f.strip()}


# --------------------------------------------------------------------------- objects


def group_brief(com: Community) -> dict[str, Any]:
    """Base group fields returned everywhere (getById, extended lists)."""
    out: dict[str, Any] = {
        "id": com.id,
        "name": com.name,
        "screen_name": com.screen_name,
        "is_closed": com.is_closed,
        "type": com.type,
    }
    if com.deactivated:
        out["deactivated"] = com.deactivated
    if com.photo_key:
        for size in (50, 100, 200):
            out[f"photo_{size}"] = (
                f"https://sun9-{com.id % 88 + 1}.userapi.com/s/v1/ig2/"
                f"{com.photo_key}.jpg?size={size}x{size}&quality=95&ava=1"
            )
    return out


def group_full(com: Community, fields: set[str]) -> dict[str, Any]:
    out = group_brief(com)
    if com.deactivated:
        return out
    values: dict[str, Any] = {
        "description": com.description,
        "contacts": com.contacts,
        "site": com.site,
        "addresses": com.addresses,
        "members_count": com.members_count,
        "cover": com.cover or {"enabled": 0},
        "verified": com.verified,
        "activity": com.activity,
        "status": com.status,
        "wall": com.wall,
    }
    for name, value in values.items():
        if name in fields:
            out[name] = value
    if "fixed_post" in fields and com.pinned_post_id is not None:
        out["fixed_post"] = com.pinned_post_id
    return out


def profile(state: EmulatorState, uid: int) -> dict[str, Any]:
    res: Resident | None = state.residents.get(uid)
    if res is None:
        return {"id": uid, "first_name": "DELETED", "last_name": "", "deactivated": "deleted"}
    out: dict[str, Any] = {
        "id": res.id,
        "first_name": res.first_name,
        "last_name": res.last_name,
        "can_access_closed": True,
        "is_closed": False,
        "sex": res.sex,
        "photo_50": f"https://sun9-{res.id % 88 + 1}.userapi.com/s/v1/ig2/u{res.id}.jpg"
        "?size=50x50&quality=96&crop=0,0,400,400&ava=1",
    }
    # ``screen_name`` is optional in VK's schema (users_user_min has no such field;
    # users_user_full makes it optional): a resident without a short address of their
    # own goes without it, so the hub's mapping has to cope.
    if res.screen_name != f"id{res.id}":
        out["screen_name"] = res.screen_name
    return out


def post_object(com: Community, post: Post) -> dict[str, Any]:
    out: dict[str, Any] = {
        "inner_type": "wall_wallpost",  # VK's schema requires it (wall_wallpost)
        "id": post.id,
        "owner_id": post.owner_id,
        "from_id": post.from_id,
        "created_by": post.created_by,
        "date": post.date,
    }
    if post.edited:
        out["edited"] = post.edited
    out["post_type"] = "post"
    if post.is_pinned:
        out["is_pinned"] = 1
    out.update(
        {
            "marked_as_ads": 0,
            "text": post.text,
            "attachments": post.attachments,
            "comments": {
                "count": com.live_comment_count(post),
                "can_post": 0 if post.comments_closed else 1,
                "groups_can_post": True,
                "can_close": 1,
            },
            "likes": {"count": post.likes, "user_likes": 0, "can_like": 1, "can_publish": 1},
            "reposts": {
                "count": post.reposts,
                "wall_count": post.reposts - post.reposts // 4,
                "mail_count": post.reposts // 4,
                "user_reposted": 0,
            },
            "views": {"count": post.views},
            "post_source": {"type": post.source},
        }
    )
    return out


def comment_object(
    com: Community, c: Comment, *, preview: int = 0, need_likes: bool = False
) -> dict[str, Any]:
    if c.deleted:
        return {
            "id": c.id,
            "from_id": 0,
            "date": c.date,
            "text": "",
            "deleted": True,
            "post_id": c.post_id,
            "owner_id": -com.id,
        }
    text = c.text[:preview] if preview > 0 else c.text
    out: dict[str, Any] = {
        "id": c.id,
        "from_id": c.from_id,
        "date": c.date,
        "text": text,
        "post_id": c.post_id,
        "owner_id": -com.id,
        "parents_stack": [c.root_id] if c.root_id else [],
    }
    if c.root_id:
        out["reply_to_user"] = c.reply_to_user
        out["reply_to_comment"] = c.reply_to_comment
    if need_likes:
        out["likes"] = {"count": c.likes, "user_likes": 0, "can_like": 1, "can_publish": 1}
    return out


def thread_object(count: int, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "count": count,
        "items": items,
        "can_post": True,
        "show_reply_button": True,
        "groups_can_post": True,
    }


def add_extended(call: Call, out: dict[str, Any], author_ids: list[int]) -> None:
    """``extended=1``: profiles and groups for every author seen, in first-seen order."""
    seen: dict[int, None] = dict.fromkeys(author_ids)
    out["profiles"] = [profile(call.state, a) for a in seen if a > 0]
    groups = [call.state.communities.get(-a) for a in seen if a < 0]
    out["groups"] = [group_brief(g) for g in groups if g is not None]


# --------------------------------------------------------------------------- events


def reply_event_object(com: Community, c: Comment) -> dict[str, Any]:
    """``wall_reply_new/edit/restore``: the comment object plus ``post_owner_id``."""
    out = comment_object(com, c)
    out["post_owner_id"] = -com.id
    if c.root_id is None:
        out["thread"] = {"count": 0}
    return out


def log_post_new(com: Community, post: Post) -> None:
    com.events.add("wall_post_new", post_object(com, post))


def log_reply(com: Community, event_type: str, c: Comment) -> None:
    """``wall_reply_new``, ``wall_reply_edit`` or ``wall_reply_restore`` for ``c``."""
    com.events.add(event_type, reply_event_object(com, c))


def log_reply_delete(com: Community, c: Comment, deleter_id: int) -> None:
    com.events.add(
        "wall_reply_delete",
        {"owner_id": -com.id, "id": c.id, "deleter_id": deleter_id, "post_id": c.post_id},
    )


# --------------------------------------------------------------------------- lookups


def community_by_owner(call: Call, owner_id: int) -> Community:
    com = call.state.communities.get(-owner_id) if owner_id < 0 else None
    if com is None:
        raise invalid("owner_id", "is undefined")
    return com


def community_by_group(call: Call) -> Community:
    com = call.state.communities.get(call.req_int("group_id"))
    if com is None:
        raise VkError(125, "Invalid group id")
    return com


def resolve_group(state: EmulatorState, ref: str) -> Community | None:
    """A group by id, ``club<id>``/``public<id>``/``event<id>`` or screen name."""
    match = re.fullmatch(r"(?:club|public|event)?(\d+)", ref)
    if match:
        return state.communities.get(int(match.group(1)))
    for com in state.communities.values():
        if com.screen_name == ref:
            return com
    return None


def live_comment(com: Community, comment_id: int) -> Comment | None:
    """The comment if it exists on a live post (deleted comments included)."""
    c = com.comments.get(comment_id)
    if c is None or com.posts[c.post_id].deleted:
        return None
    return c


# --------------------------------------------------------------------------- methods


def groups_get_by_id(call: Call) -> dict[str, Any]:
    raw = call.params.get("group_ids") or call.params.get("group_id") or ""
    refs = [r.strip() for r in raw.split(",") if r.strip()]
    if not refs:
        raise invalid("group_ids")
    fields = call.fields()
    groups: dict[int, dict[str, Any]] = {}
    for ref in refs:
        com = resolve_group(call.state, ref)
        if com is None:
            raise invalid("group_ids")
        group = groups.setdefault(com.id, group_full(com, fields))
        if "is_admin" in fields or "admin_level" in fields:  # the token's own role
            level = 0 if call.group_token is not None else call.admin_level
            group["is_admin"] = int(level > 0)
            if level:
                group["admin_level"] = level
    return {"groups": list(groups.values()), "profiles": []}


def wall_get(call: Call) -> dict[str, Any]:
    owner_id = call.num("owner_id")
    count, offset = call.count(20, 100), call.offset()
    if owner_id is None and call.params.get("domain"):
        found = resolve_group(call.state, call.params["domain"])
        if found is None:
            raise invalid("domain")
        owner_id = -found.id
    if owner_id is None or owner_id >= 0:  # a user's wall: residents never post here
        out: dict[str, Any] = {"count": 0, "items": []}
        if call.flag("extended"):
            add_extended(call, out, [])
        return out
    com = community_by_owner(call, owner_id)
    if com.deactivated:
        raise VkError(15, "Access denied: group is blocked")
    live = [p for p in com.posts.values() if not p.deleted]
    pinned = [p for p in live if p.is_pinned]
    rest = sorted((p for p in live if not p.is_pinned), key=lambda p: p.id, reverse=True)
    ordered = pinned + rest
    page = ordered[offset : offset + count]
    out = {"count": len(ordered), "items": [post_object(com, p) for p in page]}
    if call.flag("extended"):
        add_extended(call, out, [p.from_id for p in page] + [p.created_by for p in page])
    return out


def wall_get_by_id(call: Call) -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    authors: list[int] = []
    for ref in call.params.get("posts", "").split(","):
        match = re.fullmatch(r"\s*(-?\d+)_(\d+)\s*", ref)
        if not match:
            continue
        com = call.state.communities.get(-int(match.group(1)))
        post = com.posts.get(int(match.group(2))) if com else None
        if com is None or post is None or post.deleted:
            continue
        items.append(post_object(com, post))
        authors.append(post.from_id)
    out: dict[str, Any] = {"items": items}
    if call.flag("extended"):
        add_extended(call, out, authors)
    return out


def _comments_post(call: Call) -> tuple[Community, Post]:
    owner_id = call.req_int("owner_id")
    post_id = call.req_int("post_id")
    com = call.state.communities.get(-owner_id) if owner_id < 0 else None
    post = com.posts.get(post_id) if com else None
    if com is None or post is None or post.deleted or com.deactivated:
        raise VkError(*POST_COMMENTS_DENIED)
    return com, post


def wall_get_comments(call: Call) -> dict[str, Any]:
    com, post = _comments_post(call)
    count, offset = call.count(10, 100), call.offset()
    thread_items = call.num("thread_items_count", 0) or 0
    if not 0 <= thread_items <= 10:
        raise invalid("thread_items_count", "should be less or equal to 10")
    preview = call.num("preview_length", 90) or 0  # schema default 90: clients must pass 0
    need_likes = call.flag("need_likes")
    desc = call.params.get("sort", "asc") == "desc"
    comments = com.comments
    authors: list[int] = []

    def render(c: Comment) -> dict[str, Any]:
        if not c.deleted:
            authors.append(c.from_id)
        return comment_object(com, c, preview=preview, need_likes=need_likes)

    comment_id = call.num("comment_id")
    if comment_id is not None:
        root = comments.get(comment_id)
        if root is None or root.post_id != post.id:
            raise invalid("comment_id", "is incorrect")
        replies = [comments[r] for r in root.replies if not comments[r].deleted]
        if desc:
            replies.reverse()
        items = [render(c) for c in replies[offset : offset + count]]
        total = level = len(replies)
    else:
        tops: list[tuple[Comment, list[Comment]]] = []
        for root_id in post.roots:
            root = comments[root_id]
            replies = [comments[r] for r in root.replies if not comments[r].deleted]
            if root.deleted and not replies:
                continue  # removed without replies: VK shows nothing
            tops.append((root, replies))
        if desc:
            tops.reverse()
        items = []
        for root, replies in tops[offset : offset + count]:
            item = render(root)
            item["thread"] = thread_object(
                len(replies), [render(r) for r in replies[:thread_items]]
            )
            items.append(item)
        total, level = com.live_comment_count(post), len(tops)
    out: dict[str, Any] = {
        "count": total,
        "items": items,
        "current_level_count": level,
        "can_post": True,
        "show_reply_button": True,
        "groups_can_post": True,
    }
    if call.flag("extended"):
        add_extended(call, out, authors)
    return out


def wall_get_comment(call: Call) -> dict[str, Any]:
    com = community_by_owner(call, call.req_int("owner_id"))
    c = live_comment(com, call.req_int("comment_id"))
    if c is None or c.deleted:
        raise VkError(*NOT_FOUND)
    item = comment_object(com, c, need_likes=True)
    if c.root_id is None:
        live = [r for r in c.replies if not com.comments[r].deleted]
        item["thread"] = thread_object(len(live), [])
    out: dict[str, Any] = {"items": [item]}
    if call.flag("extended"):
        add_extended(call, out, [c.from_id])
    return out


def wall_delete_comment(call: Call) -> int:
    com = community_by_owner(call, call.req_int("owner_id"))
    c = live_comment(com, call.req_int("comment_id"))
    if c is None:
        raise VkError(*NOT_FOUND)
    if c.deleted:
        raise VkError(*COMMENT_DENIED)
    c.deleted, c.deleted_by, c.deleted_at = True, "api", int(call.now)
    log_reply_delete(com, c, call.user_id)
    return 1


def wall_restore_comment(call: Call) -> int:
    com = community_by_owner(call, call.req_int("owner_id"))
    c = live_comment(com, call.req_int("comment_id"))
    if c is None:
        raise VkError(*NOT_FOUND)
    if not c.deleted:
        raise VkError(243, "Comment has not been deleted")
    if c.deleted_at is None or call.now - c.deleted_at > RESTORE_WINDOW:
        raise VkError(*TOO_LATE_TO_RESTORE)
    c.deleted, c.deleted_by, c.deleted_at = False, None, None
    log_reply(com, "wall_reply_restore", c)
    return 1


def groups_ban(call: Call) -> int:
    com = community_by_group(call)
    owner_id = call.req_int("owner_id")
    if owner_id == 0:
        raise invalid("owner_id", "is incorrect")
    end_date = call.num("end_date", 0) or 0
    if end_date and (end_date <= call.now or end_date > call.now + 365 * DAY + 60):
        raise invalid("end_date", "should be in the future and at most one year ahead")
    reason = call.num("reason", 0) or 0
    if not 0 <= reason <= 4:
        raise invalid("reason", "should be between 0 and 4")
    ban = com.bans[owner_id] = Ban(
        owner_id,
        call.user_id,
        int(call.now),
        end_date,
        reason,
        call.params.get("comment", ""),
        call.flag("comment_visible"),
    )
    if owner_id > 0:  # the event is about users; a banned community has none
        com.events.add(
            "user_block",
            {
                "admin_id": ban.admin_id,
                "user_id": owner_id,
                "unblock_date": end_date,
                "reason": reason,
                "comment": ban.comment,
            },
        )
    return 1


def groups_unban(call: Call) -> int:
    com = community_by_group(call)
    owner_id = call.req_int("owner_id")
    ban = com.bans.pop(owner_id, None)
    if owner_id > 0 and ban is not None and ban.active(call.now):
        com.events.add(
            "user_unblock", {"admin_id": call.user_id, "user_id": owner_id, "by_end_date": 0}
        )
    return 1


def groups_get_long_poll_server(call: Call) -> dict[str, Any]:
    """``{key, server, ts}`` of the community's Bots Long Poll (§7.1).

    Any of the emulator's tokens is accepted, as a community token with ``manage``
    or an admin user token with ``groups`` would be.
    """
    com = community_by_group(call)
    if call.longpoll is None:
        raise VkError(10, "Internal server error")
    if not com.events.enabled:  # the wording of field reports; the code: verify live
        raise invalid("group_id", "longpoll for this group is not enabled")
    return {
        "key": call.longpoll.issue(com.id),
        "server": call.longpoll.server_url(com.id),
        "ts": str(com.events.ts),
    }


#: community key rights and their bits (dev.vk.com/en/bridge/VKWebAppGetCommunityToken)
TOKEN_RIGHT_BITS = {
    "stories": 1,
    "photos": 4,
    "app_widget": 64,
    "messages": 4096,
    "docs": 131072,
    "manage": 262144,
}


def groups_get_token_permissions(call: Call) -> dict[str, Any]:
    """``{mask, permissions: [{setting, name}]}`` of a community key (community tokens only).

    VK's JSON schema names the list ``permissions`` (``settings`` in dev.vk.com's
    text; the hub reads both).

    For a user token the emulator answers error 15 (VK's own answer is not in the
    notes: verify live).
    """
    if call.group_token is None:
        raise VkError(15, "Access denied: this method is available only with group auth")
    rights = sorted(call.token_rights, key=lambda name: TOKEN_RIGHT_BITS.get(name, 0))
    settings = [{"setting": TOKEN_RIGHT_BITS.get(n, 0), "name": n} for n in rights]
    return {"mask": sum(s["setting"] for s in settings), "permissions": settings}


def groups_get_long_poll_settings(call: Call) -> dict[str, Any]:
    """``{is_enabled, api_version, events}``: VK's defaults (off) until set."""
    return community_by_group(call).events.settings()


def groups_set_long_poll_settings(call: Call) -> int:
    """``enabled``, ``api_version`` and ``<event>=0/1``; what is not given stays as it was.

    A community key needs ``manage`` (and its own community), a user token an
    administrator (error 15 otherwise, as VK's "Access denied").
    """
    com = community_by_group(call)
    allowed = (
        "manage" in call.token_rights and call.group_token == com.id
        if call.group_token is not None
        else call.admin_level >= 3
    )
    if not allowed:
        raise VkError(15, "Access denied: no access to call this method")
    version = call.params.get("api_version")
    if version is not None and not re.fullmatch(r"5\.\d+", version.strip()):
        raise invalid("api_version", "is invalid")
    enabled = None if call.params.get("enabled") is None else call.flag("enabled")
    events = {name: call.flag(name) for name in LP_EVENTS if name in call.params}
    com.events.configure(enabled, None if version is None else version.strip(), events)
    return 1


def groups_get_banned(call: Call) -> dict[str, Any]:
    com = community_by_group(call)
    count, offset = call.count(20, 200), call.offset()
    only = call.num("owner_id")
    bans = [
        b for b in com.bans.values() if b.active(call.now) and (only is None or b.owner_id == only)
    ]
    bans.sort(key=lambda b: (-b.date, b.owner_id))
    items = []
    for ban in bans[offset : offset + count]:
        info = {
            "admin_id": ban.admin_id,
            "date": ban.date,
            "end_date": ban.end_date,
            "reason": ban.reason,
            "comment": ban.comment,
            "comment_visible": ban.comment_visible,
        }
        if ban.owner_id > 0:
            items.append(
                {"type": "profile", "profile": profile(call.state, ban.owner_id), "ban_info": info}
            )
        else:
            group = call.state.communities.get(-ban.owner_id)
            brief = group_brief(group) if group else {"id": -ban.owner_id, "name": "DELETED"}
            items.append({"type": "group", "group": brief, "ban_info": info})
    return {"count": len(bans), "items": items}


METHODS: dict[str, Callable[[Call], Any]] = {
    "groups.getById": groups_get_by_id,
    "groups.ban": groups_ban,
    "groups.unban": groups_unban,
    "groups.getBanned": groups_get_banned,
    "groups.getLongPollServer": groups_get_long_poll_server,
    "groups.getLongPollSettings": groups_get_long_poll_settings,
    "groups.setLongPollSettings": groups_set_long_poll_settings,
    "groups.getTokenPermissions": groups_get_token_permissions,
    "wall.get": wall_get,
    "wall.getById": wall_get_by_id,
    "wall.getComments": wall_get_comments,
    "wall.getComment": wall_get_comment,
    "wall.deleteComment": wall_delete_comment,
    "wall.restoreComment": wall_restore_comment,
}
