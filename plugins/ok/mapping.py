"""OK JSON → the hub's models. Pure functions, tested on documented shapes.

Communities are stored with negative author ids (``group:123`` → -123), as VK
does, so one ``authors`` table serves both networks. Comment ids are OK's
opaque strings; topic ids are numeric strings stored as integers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from hub.answers import count, each, integer, optional_integer
from hub.models import AccountMeta, Author, Comment, Post

MOSCOW = ZoneInfo("Europe/Moscow")
GROUP_FIELDS = (
    "uid,name,description,shortname,address,phone,email,homepage_url,members_count,"
    "pic_avatar,main_photo,cover,access_type,created_ms"
)


def ref_to_id(ref: str | None) -> int | None:
    """``"group:70000001"`` → -70000001, ``"user:5000"`` → 5000."""
    if not ref or ":" not in ref:
        return None
    kind, _, raw = ref.partition(":")
    if not raw.isdigit():
        return None
    number = integer(raw, "ref")
    return -number if kind == "group" else number


def info_groups(answer: Any) -> list | None:
    """The groups of a ``group.getInfo`` answer, whichever of OK's two shapes it has.

    Clients see a bare array; OK's typed page for the method documents
    ``{"groups": [...]}`` (``docs/networks/ok.md`` §1.3). Either is read; anything
    else is None.
    """
    if isinstance(answer, dict) and "error_code" not in answer:
        answer = answer.get("groups")
    return answer if isinstance(answer, list) else None


def group_meta(group: dict[str, Any]) -> AccountMeta:
    contacts = []
    if group.get("phone") or group.get("email"):
        contacts.append({k: group[k] for k in ("phone", "email") if group.get(k)})
    shortname = group.get("shortname")
    uid = group.get("uid")
    return AccountMeta(
        name=str(group.get("name", "")),
        screen_name=shortname,
        description=group.get("description") or None,
        site=group.get("homepage_url") or None,
        contacts=contacts,
        addresses={"address": group["address"]} if group.get("address") else None,
        members_count=count(group.get("members_count")),
        has_avatar=bool(group.get("pic_avatar") or group.get("main_photo")),
        has_cover=bool(group.get("cover")),
        is_closed=group.get("access_type") in ("CLOSED", "SECRET"),
        url=f"https://ok.ru/{shortname}" if shortname else f"https://ok.ru/group/{uid}",
        raw=group,
    )


def _media_text(media: list[dict[str, Any]]) -> str:
    return "\n".join(str(m.get("text", "")) for m in media if m.get("type") == "text").strip()


def _attachment(item: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"type": item.get("type", "unknown")}
    for key in ("url", "title"):
        if key in item:
            out[key] = item[key]
    refs = [v for k, v in item.items() if k.endswith("_refs") and isinstance(v, list)]
    if refs:
        out["refs"] = refs[0]
    return out


def topic(item: dict[str, Any], group_id: int) -> Post:
    media = item.get("media") or []
    edited = optional_integer(item.get("edited_ms"), "edited_ms")
    return Post(
        network_id=integer(item["id"], "topic id"),
        published_at=integer(item.get("created_ms", 0), "created_ms") // 1000,
        text=_media_text(media),
        author_id=ref_to_id(item.get("author_ref")),
        edited_at=edited // 1000 if edited else None,
        is_pinned=bool(item.get("is_sticky")),
        kind="topic",
        comments_count=count((item.get("discussion_summary") or {}).get("comments_count")) or 0,
        likes_count=count((item.get("like_summary") or {}).get("count")),
        reposts_count=count((item.get("reshare_summary") or {}).get("count")),
        attachments=[_attachment(m) for m in media if m.get("type") != "text"],
        url=f"https://ok.ru/group/{group_id}/topic/{item['id']}",
        raw=item,
    )


def comment_time(item: dict[str, Any]) -> int:
    """``date_ms`` when given; else ``date``, which OK writes in Moscow time.

    See ``docs/networks/ok.md`` §4.1.
    """
    if item.get("date_ms"):
        return integer(item["date_ms"], "date_ms") // 1000
    if item.get("date"):
        local = datetime.strptime(item["date"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=MOSCOW)
        return int(local.timestamp())
    return 0


def comment(item: dict[str, Any], topic_id: int) -> Comment:
    author = item.get("author_id")
    author_id = integer(author, "author_id") if author and str(author).isdigit() else None
    if author_id is not None and item.get("author_type") == "GROUP":
        author_id = -author_id
    return Comment(
        network_id=str(item["id"]),
        post_network_id=topic_id,
        published_at=comment_time(item),
        text=str(item.get("text", "")),
        author_id=author_id,
        parent_network_id=item.get("reply_to_comment_id") or None,
        likes_count=count(item.get("like_count")),
        raw=item,
    )


def topics(items: Any, group_id: int) -> list[Post]:
    """The topics of a list, leaving out (logged) one OK answered unreadably."""
    return each(lambda item: topic(item, group_id), items, network="OK", what="topic")


def comments(items: Any, topic_id: int) -> list[Comment]:
    """The comments of a list, leaving out (logged) one OK answered unreadably."""
    return each(lambda item: comment(item, topic_id), items, network="OK", what="comment")


def _commenting_group(item: dict[str, Any]) -> Author | None:
    if item.get("author_type") == "GROUP" and str(item.get("author_id", "")).isdigit():
        gid = integer(item["author_id"], "author_id")
        return Author(-gid, "community", str(item.get("author_name", "")), None, {})
    return None


def _entity(kind: str, entity: dict[str, Any]) -> Author | None:
    if not str(entity.get("uid", "")).isdigit():
        return None
    uid = integer(entity["uid"], "uid")
    name = str(entity.get("name", ""))
    if kind == "user":
        return Author(uid, "user", name, None, entity)
    return Author(-uid, "community", name, None, entity)


def authors(payload: dict[str, Any]) -> list[Author]:
    """Users and groups named in an answer; ``entities`` come last so their fuller data wins."""
    found = each(_commenting_group, payload.get("comments"), network="OK", what="comment")
    entities = payload.get("entities") if isinstance(payload.get("entities"), dict) else {}
    for kind, key in (("user", "users"), ("community", "groups")):
        found += each(lambda e, k=kind: _entity(k, e), entities.get(key), network="OK", what=kind)
    return [a for a in found if a is not None]
