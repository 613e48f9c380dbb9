"""OK JSON → the hub's models. Pure functions, tested on documented shapes.

Communities are stored with negative author ids (``group:123`` → -123), as VK
does, so one ``authors`` table serves both networks. Comment ids are OK's
opaque strings; topic ids are numeric strings stored as integers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

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
    return -int(raw) if kind == "group" else int(raw)


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
        members_count=group.get("members_count"),
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
    edited = item.get("edited_ms")
    return Post(
        network_id=int(item["id"]),
        published_at=int(item.get("created_ms", 0)) // 1000,
        text=_media_text(media),
        author_id=ref_to_id(item.get("author_ref")),
        edited_at=int(edited) // 1000 if edited else None,
        is_pinned=bool(item.get("is_sticky")),
        kind="topic",
        comments_count=int((item.get("discussion_summary") or {}).get("comments_count", 0)),
        likes_count=(item.get("like_summary") or {}).get("count"),
        reposts_count=(item.get("reshare_summary") or {}).get("count"),
        attachments=[_attachment(m) for m in media if m.get("type") != "text"],
        url=f"https://ok.ru/group/{group_id}/topic/{item['id']}",
        raw=item,
    )


def comment_time(item: dict[str, Any]) -> int:
    """``date_ms`` when given; else ``date``, which OK writes in Moscow time (notes §4.1)."""
    if item.get("date_ms"):
        return int(item["date_ms"]) // 1000
    if item.get("date"):
        local = datetime.strptime(item["date"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=MOSCOW)
        return int(local.timestamp())
    return 0


def comment(item: dict[str, Any], topic_id: int) -> Comment:
    author = item.get("author_id")
    author_id = int(author) if author and str(author).isdigit() else None
    if author_id is not None and item.get("author_type") == "GROUP":
        author_id = -author_id
    return Comment(
        network_id=str(item["id"]),
        post_network_id=topic_id,
        published_at=comment_time(item),
        text=str(item.get("text", "")),
        author_id=author_id,
        parent_network_id=item.get("reply_to_comment_id") or None,
        likes_count=item.get("like_count"),
        raw=item,
    )


def authors(payload: dict[str, Any]) -> list[Author]:
    """Users and groups named in an answer; ``entities`` come last so their fuller data wins."""
    out = []
    for item in payload.get("comments") or []:
        if item.get("author_type") == "GROUP" and str(item.get("author_id", "")).isdigit():
            name = str(item.get("author_name", ""))
            out.append(Author(-int(item["author_id"]), "community", name, None, {}))
    entities = payload.get("entities") or {}
    for user in entities.get("users") or []:
        if str(user.get("uid", "")).isdigit():
            out.append(Author(int(user["uid"]), "user", str(user.get("name", "")), None, user))
    for group in entities.get("groups") or []:
        if str(group.get("uid", "")).isdigit():
            name = str(group.get("name", ""))
            out.append(Author(-int(group["uid"]), "community", name, None, group))
    return out
