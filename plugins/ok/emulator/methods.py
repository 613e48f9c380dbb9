"""OK REST method implementations for the emulator (notes §2–§4 shapes).

Each method takes a :class:`Call` and returns the success body — which on OK is not
always an object: ``group.getInfo`` and ``group.getUserGroupsByIds`` answer a bare
array, ``discussions.deleteDiscussionComment`` a bare ``true``. Failures raise
:class:`OkError`. Callers hold the state lock.

Deliberate simplifications: ``fields`` only filters ``group.getInfo`` (topics and
comments always come complete); only ``GROUP_TOPIC`` discussions exist.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .data import Comment, Group, OkState, Topic, msk_date
from .protocol import OkError, decode_anchor, encode_anchor, invalid, missing

#: the OAuth scopes of notes §2 the emulator knows; a token has them all unless narrowed
PERMISSIONS = frozenset({"VALUABLE_ACCESS", "LONG_ACCESS_TOKEN", "GROUP_CONTENT", "PHOTO_CONTENT"})
TOP = 2**63 - 1  # "newer than anything" anchor position
MAX_COUNT = 100
MAX_UIDS = 100


@dataclass
class Call:
    """One method invocation: string parameters as OK receives them, plus context."""

    params: dict[str, str]
    state: OkState
    now_ms: int
    user_id: int  # owner of the access token (an admin of every group)
    #: what the token's user granted the application (notes §2); every scope unless narrowed
    permissions: frozenset[str] = PERMISSIONS
    rng: random.Random | None = None  # the emulator's mutation RNG, for new ids
    base_url: str = ""  # where the emulator serves, for upload URLs

    def require(self, permission: str) -> None:
        """Error 10, as OK answers a call the user did not authorize the application for."""
        if permission not in self.permissions:
            raise OkError(10, f"Permission denied: the application lacks {permission}")

    def req(self, name: str) -> str:
        value = self.params.get(name, "").strip()
        if not value:
            raise missing(name)
        return value

    def integer(self, name: str) -> int:
        try:
            return int(self.req(name))
        except ValueError:
            raise invalid(name) from None

    def count(self, default: int = 20) -> int:
        raw = self.params.get("count", "").strip()
        if not raw:
            return default
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_COUNT:
            raise invalid("count", f"must be between 1 and {MAX_COUNT}")
        return int(raw)

    def flag(self, name: str) -> bool:
        raw = self.params.get(name, "").strip().lower()
        if raw in ("", "false", "0"):
            return False
        if raw in ("true", "1"):
            return True
        raise invalid(name)

    def choice(self, name: str, default: str, allowed: Iterable[str]) -> str:
        value = self.params.get(name, "").strip().upper() or default
        if value not in allowed:
            raise invalid(name)
        return value

    def uids(self, name: str) -> list[int]:
        raw = [u.strip() for u in self.req(name).split(",") if u.strip()]
        if len(raw) > MAX_UIDS:
            raise invalid(name, f"at most {MAX_UIDS} ids")
        if not all(u.isdigit() for u in raw):
            raise invalid(name)
        return list(dict.fromkeys(int(u) for u in raw))

    def group(self, name: str) -> Group:
        group = self.state.groups.get(self.integer(name))
        if group is None:
            raise OkError(160, "Invalid group id")
        return group


# --------------------------------------------------------------------------- objects


def group_ref(group: Group) -> dict[str, str]:
    return {"uid": str(group.id), "name": group.name}


def group_info(group: Group, fields: set[str]) -> dict[str, Any]:
    """A ``group.getInfo`` item: ``uid`` always, other fields only when asked and set."""
    photo = f"https://i.mycdn.me/i?r=group{group.id}_{group.photo_id}"
    values: dict[str, Any] = {
        "name": group.name,
        "description": group.description,
        "shortname": group.shortname,
        "address": group.address,
        "phone": group.phone,
        "email": group.email,
        "homepage_url": group.homepage_url,
        "members_count": group.members_count,
        "pic_avatar": f"{photo}&fn=sqr_128" if group.photo_id else None,
        "main_photo": (
            {"id": str(group.photo_id), "pic640x480": f"{photo}&fn=w_640"}
            if group.photo_id
            else None
        ),
        # Inferred: the cover's JSON shape is not in the notes; {"pic": url} is our guess.
        "cover": (
            {"pic": f"https://i.mycdn.me/i?r=cover{group.cover_key}&fn=w_1340"}
            if group.cover_key
            else None
        ),
        "access_type": "OPEN",
        "created_ms": group.created_ms,
    }
    out: dict[str, Any] = {"uid": str(group.id)}
    for name, value in values.items():
        if name in fields and value is not None:
            out[name] = value
    return out


def topic_object(topic: Topic) -> dict[str, Any]:
    ref = f"group:{topic.group_id}"
    text = [{"type": "text", "text": topic.text}] if topic.text else []
    out: dict[str, Any] = {
        "id": topic.id,
        "created_ms": topic.created_ms,
        "author_ref": f"user:{topic.author_uid}" if topic.author_uid else ref,
        "owner_ref": ref,
        "media": [*text, *topic.extra_media],
        "discussion_summary": {"comments_count": topic.live_count()},
        "like_summary": {"count": topic.likes},
        "reshare_summary": {"count": topic.reshares},
        "is_on_behalf_of_group": topic.author_uid is None,
        "is_commenting_denied": False,
        "is_sticky": topic.sticky,
    }
    if topic.edited_ms:
        out["edited_ms"] = topic.edited_ms  # inferred: OK's edit marker is undocumented
    return out


def comment_object(group: Group, c: Comment) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": c.id,
        "type": "ACTIVE_MESSAGE",
        "author_id": str(c.author_id),
        "date": msk_date(c.date_ms),
        "date_ms": c.date_ms,
        "text": c.text,
        "like_count": c.likes,
        "liked_it": False,
    }
    if c.by_group:
        out["author_type"] = "GROUP"
        out["author_name"] = group.name
    if c.reply_to is not None:
        out["reply_to_comment_id"] = c.reply_to
        out["reply_to_id"] = str(c.reply_to_author)
    return out


def user_entities(state: OkState, uids: Iterable[int]) -> list[dict[str, str]]:
    seen = dict.fromkeys(uids)
    return [
        {"uid": str(uid), "name": state.residents[uid].name}
        for uid in seen
        if uid in state.residents
    ]


# --------------------------------------------------------------------------- paging


def topic_page(call: Call, group: Group, direction: str) -> tuple[list[Topic], str, bool]:
    """One page of topics newest first; the pinned topic leads the first page only.

    The anchor is a position in the unpinned order (a topic id boundary), so topics
    published while a client pages never shift what it sees next.
    """
    count = call.count()
    sticky, rest = group.ordered_topics()
    raw_anchor = call.params.get("anchor", "").strip()
    owner = str(group.id)
    lead = [sticky] if sticky is not None and not raw_anchor else []
    take = count - len(lead)
    if direction == "BACKWARD":
        bound = decode_anchor(raw_anchor, "topics", owner) if raw_anchor else TOP
        candidates = [t for t in rest if t.num < bound]
        picked = candidates[:take]
        new_bound = picked[-1].num if picked else bound
    else:  # FORWARD: newer than the anchor (from the oldest without one)
        bound = decode_anchor(raw_anchor, "topics", owner) if raw_anchor else 0
        candidates = [t for t in reversed(rest) if t.num > bound]
        picked = candidates[:take]
        new_bound = picked[-1].num if picked else bound
        picked.reverse()
    return lead + picked, encode_anchor("topics", owner, new_bound), len(candidates) > take


def discussion(call: Call) -> tuple[Group, Topic]:
    """The group topic named by ``discussionId``/``discussionType`` or error 106."""
    topic_id = call.req("discussionId")
    kind = call.req("discussionType")
    topic = call.state.topics.get(topic_id)
    if kind.upper() != "GROUP_TOPIC" or topic is None or topic.deleted:
        raise OkError(106, "Invalid discussion id")
    return call.state.groups[topic.group_id], topic


def live_comment(call: Call, topic: Topic) -> Comment:
    comment = topic.by_id.get(call.req("comment_id"))
    if comment is None or comment.deleted:
        raise OkError(141, "Invalid comment id")
    return comment


# --------------------------------------------------------------------------- methods


def group_get_info(call: Call) -> list[dict[str, Any]]:
    uids = call.uids("uids")
    fields = {f.strip().lower() for f in call.req("fields").split(",") if f.strip()}
    groups = (call.state.groups.get(uid) for uid in uids)
    return [group_info(g, fields) for g in groups if g is not None]


def mediatopic_get_topics(call: Call) -> dict[str, Any]:
    group = call.group("gid")
    direction = call.choice("direction", "BACKWARD", ("BACKWARD", "FORWARD"))
    topics, anchor, has_more = topic_page(call, group, direction)
    return {
        "media_topics": [topic_object(t) for t in topics],
        "anchor": anchor,
        "has_more": has_more,
        "entities": {"groups": [group_ref(group)], "users": []},
    }


def stream_get(call: Call) -> dict[str, Any]:
    """A group's feed of POST items; the topics themselves travel in ``entities``."""
    group = call.group("gid")
    patterns = {p.strip().upper() for p in call.params.get("patterns", "").split(",") if p.strip()}
    if patterns and "POST" not in patterns:
        topics, anchor, has_more = [], call.params.get("anchor", ""), False
    else:
        topics, anchor, has_more = topic_page(call, group, "BACKWARD")
    return {
        "feeds": [
            {"pattern": "POST", "target_refs": [f"media_topic:{t.id}"], "date_ms": t.created_ms}
            for t in topics
        ],
        "entities": {
            "media_topics": [topic_object(t) for t in topics],
            "groups": [group_ref(group)],
            "users": [],
        },
        "anchor": anchor,
        "has_more": has_more,
    }


def discussions_get_comments(call: Call) -> dict[str, Any]:
    """Comments in chronological order, paged by anchor (FIRST / LAST / opaque)."""
    group, topic = discussion(call)
    direction = call.choice("direction", "FORWARD", ("FORWARD", "BACKWARD"))
    count = call.count()
    raw_anchor = call.params.get("anchor", "").strip()
    if not raw_anchor:
        raw_anchor = "FIRST" if direction == "FORWARD" else "LAST"
    if raw_anchor.upper() == "FIRST":
        bound = 0
    elif raw_anchor.upper() == "LAST":
        bound = TOP
    else:
        bound = decode_anchor(raw_anchor, "comments", topic.id)
    live = topic.live()
    if direction == "FORWARD":
        candidates = [c for c in live if c.seq > bound]
        page = candidates[:count]
        new_bound = page[-1].seq if page else bound
    else:
        candidates = [c for c in live if c.seq < bound]
        page = candidates[-count:] if count < len(candidates) else candidates
        new_bound = page[0].seq if page else bound
    authors = [c.author_id for c in page if not c.by_group]
    authors += [c.reply_to_author for c in page if c.reply_to_author is not None]
    return {
        "comments": [comment_object(group, c) for c in page],
        "anchor": encode_anchor("comments", topic.id, new_bound),
        "has_more": len(candidates) > count,
        "entities": {
            "users": user_entities(call.state, authors),
            "groups": [group_ref(group)] if any(c.by_group for c in page) else [],
        },
        "discussionId": topic.id,
        "discussionType": "GROUP_TOPIC",
    }


def discussions_get_comment(call: Call) -> dict[str, Any]:
    group, topic = discussion(call)
    return comment_object(group, live_comment(call, topic))


def discussions_delete_comment(call: Call) -> bool:
    """Delete as the topic's owner; ``block_author`` black-lists a resident author."""
    group, topic = discussion(call)
    comment = live_comment(call, topic)
    block = call.flag("block_author")
    call.flag("mark_as_spam")  # validated; spam marks have no visible effect here
    comment.deleted, comment.deleted_by = True, "api"
    if block and not comment.by_group:  # a group cannot black-list itself
        group.blocked.add(comment.author_id)
    return True


def group_get_user_groups_by_ids(call: Call) -> list[dict[str, str]]:
    """Membership status per uid; uids OK does not know as members are left out."""
    group = call.group("group_id")
    out = []
    for uid in call.uids("uids"):
        if uid in call.state.admins:
            status = "ADMIN"
        elif uid in group.blocked:
            status = "BLOCKED"
        elif uid in call.state.residents:
            status = "ACTIVE"
        else:
            continue
        out.append({"groupId": str(group.id), "userId": str(uid), "status": status})
    return out


def users_get_current_user(call: Call) -> dict[str, str]:
    return {"uid": str(call.user_id), "name": call.state.admins[call.user_id]}


def users_has_app_permission(call: Call) -> bool:
    """A bare boolean, as OK answers (notes §2): did the user grant ``ext_perm``?"""
    return call.req("ext_perm") in call.permissions


METHODS: dict[str, Callable[[Call], Any]] = {
    "group.getInfo": group_get_info,
    "group.getUserGroupsByIds": group_get_user_groups_by_ids,
    "mediatopic.getTopics": mediatopic_get_topics,
    "stream.get": stream_get,
    "discussions.getComments": discussions_get_comments,
    "discussions.getComment": discussions_get_comment,
    "discussions.deleteDiscussionComment": discussions_delete_comment,
    "users.getCurrentUser": users_get_current_user,
    "users.hasAppPermission": users_has_app_permission,
}
