"""VK JSON (API 5.199 shapes) → the hub's models. Pure functions, tested on recorded JSON.

Numbers are read with :func:`hub.answers.integer`: VK sends some as text, and an
id that does not fit 64 bits is refused (the item is left out) rather than stored.
"""

from __future__ import annotations

from typing import Any

from hub.answers import MALFORMED, count, each, integer, ints, optional_integer
from hub.models import AccountMeta, Author, Comment, Post

GROUP_FIELDS = (
    "description,contacts,site,addresses,members_count,cover,verified,activity,status,wall,"
    "fixed_post,city"
)


def _count(obj: Any) -> int | None:
    return count(obj.get("count")) if isinstance(obj, dict) else None


def _attachment(item: dict[str, Any]) -> dict[str, Any]:
    kind = item.get("type", "unknown")
    body = item.get(kind) if isinstance(item.get(kind), dict) else {}
    summary: dict[str, Any] = {"type": kind}
    for key in ("id", "owner_id", "title", "url", "question"):
        if key in body:
            summary[key] = body[key]
    return summary


def group_meta(group: dict[str, Any]) -> AccountMeta:
    cover = group.get("cover") or {}
    screen = group.get("screen_name")
    return AccountMeta(
        name=str(group.get("name", "")),
        screen_name=screen,
        description=group.get("description") or None,
        site=group.get("site") or None,
        contacts=list(group.get("contacts") or []),
        addresses=group.get("addresses") or None,
        members_count=count(group.get("members_count")),
        has_avatar=any(group.get(k) for k in ("photo_50", "photo_100", "photo_200")),
        has_cover=bool(cover.get("enabled")) and bool(cover.get("images")),
        verified=bool(group.get("verified")),
        is_closed=bool(group.get("is_closed")),
        deactivated=group.get("deactivated"),
        url=f"https://vk.com/{screen}" if screen else f"https://vk.com/club{group.get('id')}",
        raw=group,
    )


def post(item: dict[str, Any]) -> Post:
    owner = item.get("owner_id")
    return Post(
        network_id=integer(item["id"], "post id"),
        published_at=integer(item.get("date", 0), "date"),
        text=str(item.get("text", "")),
        author_id=optional_integer(item.get("from_id"), "from_id"),
        edited_at=optional_integer(item.get("edited"), "edited"),
        is_pinned=bool(item.get("is_pinned")),
        kind=str(item.get("post_type", "post")),
        comments_count=_count(item.get("comments")) or 0,
        likes_count=_count(item.get("likes")),
        reposts_count=_count(item.get("reposts")),
        views_count=_count(item.get("views")),
        attachments=[_attachment(a) for a in item.get("attachments") or []],
        url=f"https://vk.com/wall{owner}_{item['id']}" if owner is not None else None,
        raw=item,
    )


def posts(items: Any, method: str = "wall.get") -> list[Post]:
    """The posts of a list, leaving out (logged) one VK answered unreadably."""
    return each(post, items, network="VK", what="post", method=method)


def comment(item: dict[str, Any], post_id: int) -> Comment:
    stack = ints(item.get("parents_stack") or [], "parents_stack")
    parent = optional_integer(item.get("reply_to_comment"), "reply_to_comment")
    parent = parent or (stack[-1] if stack else None)
    return Comment(
        network_id=integer(item["id"], "comment id"),
        post_network_id=integer(item.get("post_id") or post_id, "post_id"),
        published_at=integer(item.get("date", 0), "date"),
        text=str(item.get("text", "")),
        author_id=optional_integer(item.get("from_id"), "from_id") or None,
        parent_network_id=parent,
        thread_root_network_id=stack[0] if stack else None,
        likes_count=_count(item.get("likes")),
        attachments=[_attachment(a) for a in item.get("attachments") or []],
        deleted=bool(item.get("deleted")),
        raw={k: v for k, v in item.items() if k != "thread"},
    )


def comments(items: Any, post_id: int) -> list[Comment]:
    """The comments of a list, leaving out (logged) one VK answered unreadably."""
    return each(
        lambda item: comment(item, post_id),
        items,
        network="VK",
        what="comment",
        method="wall.getComments",
    )


def listed(result: Any, key: str) -> list | None:
    """The list of an answer that VK gives as ``{key: [...]}`` now and as a bare array before.

    ``groups.getById`` answers ``{"groups": [...], "profiles": [...]}`` and
    ``wall.getById`` ``{"items": [...]}`` at 5.199; 5.131 and older, and the clients
    still written for them, have the bare list (``docs/networks/vk.md`` §1). Either
    is read; anything else is None.
    """
    if isinstance(result, dict):
        result = result.get(key)
    return result if isinstance(result, list) else None


def reply_deleter(event_object: dict[str, Any]) -> int | None:
    """Who deleted a comment, from a ``wall_reply_delete`` event's object.

    dev.vk.com and VK's Long Poll send ``deleter_id``; VK's JSON schema
    (``callback_wall_comment_delete``) names it ``user_id``. Either is read; an
    unreadable one is None, for the deletion itself stands without it.
    """
    for key in ("deleter_id", "user_id"):
        if event_object.get(key) is not None:
            try:
                return optional_integer(event_object[key], key)
            except MALFORMED:
                return None
    return None


def _profile(p: dict[str, Any]) -> Author:
    name = f"{p.get('first_name', '')} {p.get('last_name', '')}".strip()
    return Author(integer(p["id"], "profile id"), "user", name, p.get("screen_name"), p)


def _group(g: dict[str, Any]) -> Author:
    gid = -integer(g["id"], "group id")
    return Author(gid, "community", str(g.get("name", "")), g.get("screen_name"), g)


def authors(payload: dict[str, Any]) -> list[Author]:
    """Profiles and communities that ``extended=1`` answers carry."""
    profiles = each(_profile, payload.get("profiles"), network="VK", what="profile")
    return profiles + each(_group, payload.get("groups"), network="VK", what="community")
