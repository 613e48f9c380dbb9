"""Publishing on the VK emulator: ``wall.post``, ``wall.createComment`` and wall photo uploads.

Shapes and rules follow dev.vk.com and the official schema (``VKCOM/vk-api-schema``
``wall/methods.json``, ``photos/methods.json``, ``errors.json``) as summed up in
``docs/networks/vk.md`` §2 and §4:

- the three-step photo upload of dev.vk.com/en/api/upload/wall-photo:
  ``photos.getWallUploadServer(group_id)`` → ``{upload_url, album_id, user_id}``;
  a multipart POST of the field ``photo`` (or ``file0``) to ``upload_url`` →
  ``{server, photo, hash}``
  (``photo`` is ``"[]"`` when the file is no JPEG, PNG or GIF VK takes);
  ``photos.saveWallPhoto(group_id, server, photo, hash)`` → ``[photo]``; a hash that
  does not match is error 121, a server VK did not name error 118;
- ``wall.post`` (user token only): ``message`` and/or ``attachments`` (``photo<owner>_<id>``
  of photos saved for that wall, at most 10, and at most one http(s) link); the same
  ``guid`` on the same wall answers the same ``post_id`` and creates nothing;
- ``wall.createComment`` (user or community token): ``from_group=<gid>`` writes as the
  community, ``reply_to_comment`` puts the answer in that comment's thread, and the same
  ``guid`` on the same post answers the same comment;
- the method × token-kind matrix of §2: a community token gets error 27 elsewhere.

Where the sources are silent the emulator picks one answer and says so (verify live):
an over-long or empty post and a second link are error 100; an unknown post under
``wall.createComment`` is 212, closed comments 213. Callers hold the emulator lock.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from hub import images
from hub_vk import images as vk_images

from .data import Comment, Community, EmulatorState, Post
from .methods import (
    POST_COMMENTS_DENIED,
    Call,
    VkError,
    community_by_group,
    community_by_owner,
    invalid,
    log_post_new,
    log_reply,
)

MAX_POST_TEXT = 16_384  # characters (a limit quoted by VK tooling, not by dev.vk.com: verify live)
MAX_MEDIA = 10  # dev.vk.com/en/method/wall.post: "no more than 10 media (photos, videos)"
WALL_ALBUM = -14  # the album id photos.getWallUploadServer answers in dev.vk.com's example
UPLOAD_SERVER = 856312
UPLOAD_PATH = "/upload/wall"
#: the methods a community token may call (``access_token_type`` in the schema, §2)
GROUP_TOKEN_METHODS = frozenset(
    {
        "execute",
        "groups.getById",
        "groups.getBanned",
        "groups.getLongPollServer",
        "groups.getLongPollSettings",
        "groups.setLongPollSettings",
        "groups.getTokenPermissions",
        "wall.createComment",
        "wall.closeComments",
        "wall.openComments",
    }
)
_PHOTO_REF = re.compile(r"photo(-?\d+)_(\d+)(?:_[0-9a-zA-Z]+)?")


def refuse_token_kind(method: str, group_token: int | None) -> None:
    """VK's error 27 for a method a community token may not call."""
    if group_token is not None and method not in GROUP_TOKEN_METHODS:
        raise VkError(27, "Group authorization failed: method is unavailable with group auth.")


def _sign(state: EmulatorState, *parts: object) -> str:
    """A stable signature only this emulator can make (upload addresses, upload hashes)."""
    key = f"vk-emulator-upload-{state.seed}".encode()
    message = "|".join(str(p) for p in parts).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def place_comment(com: Community, post: Post, comment: Comment, target: Comment | None) -> None:
    """Store a new comment: top level, or in the thread of ``target``'s root as VK threads it."""
    if target is not None:
        root = com.comments[target.root_id] if target.root_id else target
        comment.root_id = root.id
        comment.reply_to_user, comment.reply_to_comment = target.from_id, target.id
        root.replies.append(comment.id)
    else:
        post.roots.append(comment.id)
    com.comments[comment.id] = comment


# --------------------------------------------------------------------------- photo upload


def photos_get_wall_upload_server(call: Call) -> dict[str, Any]:
    com = community_by_group(call)
    if com.deactivated:
        raise VkError(15, "Access denied: group is blocked")
    sig = _sign(call.state, "address", com.id, call.user_id)
    url = (
        f"{call.base_url}{UPLOAD_PATH}?act=do_add&mid={call.user_id}&aid={WALL_ALBUM}"
        f"&gid={com.id}&hash={sig}&api=1&wallphoto=1"
    )
    return {"album_id": WALL_ALBUM, "upload_url": url, "user_id": call.user_id}


def upload_answer(state: EmulatorState, query: str, content_type: str, body: bytes) -> Any:
    """The upload server's answer to a multipart POST of the field ``photo`` or ``file0``."""
    params = dict(parse_qsl(query))
    try:
        gid, mid = int(params.get("gid", "")), int(params.get("mid", ""))
    except ValueError:
        return {"error": "ERR_UPLOAD_BAD_URL: the upload address is incomplete"}
    com = state.communities.get(gid)
    if com is None or params.get("hash") != _sign(state, "address", gid, mid):
        return {"error": "ERR_UPLOAD_BAD_URL: the upload address is not valid"}
    # VK's upload servers take the file as ``photo`` (the wall-photo page) or ``file0``
    # (what VK's own SDKs send).
    data = multipart_field(content_type, body, "photo")
    if data is None:
        data = multipart_field(content_type, body, "file0")
    info = images.size_of(data) if data and len(data) <= vk_images.MAX_BYTES else None
    photo = "[]"  # what VK's upload server says of a file it could not take as a photo
    if info is not None and not vk_images.problems(info[1], info[2]):
        key = _sign(state, "upload", gid, len(com.uploads))[:10]
        com.uploads[key] = {"kind": info[0], "width": info[1], "height": info[2], "saved": None}
        photo = json.dumps(
            [{"photo": f"{key}:w", "sizes": [], "latitude": 0, "longitude": 0, "kid": key}],
            separators=(",", ":"),
        )
    return {"server": UPLOAD_SERVER, "photo": photo, "hash": _sign(state, "save", photo, gid)}


def multipart_field(content_type: str, body: bytes, name: str) -> bytes | None:
    """The raw bytes of one field of a multipart/form-data body (binary-safe)."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not content_type.lower().startswith("multipart/form-data") or not match:
        return None
    wanted = re.compile(rb'name="' + re.escape(name.encode()) + rb'"')
    for part in body.split(b"--" + match.group(1).encode())[1:]:
        if part.startswith(b"--"):
            break
        head, sep, data = part.partition(b"\r\n\r\n")
        if sep and wanted.search(head):
            return data.removesuffix(b"\r\n")
    return None


def photos_save_wall_photo(call: Call) -> list[dict[str, Any]]:
    com = community_by_group(call)
    photo = call.params.get("photo", "")
    if not photo:
        raise invalid("photo")
    if call.num("server") != UPLOAD_SERVER:
        raise VkError(118, "Invalid server")
    if call.params.get("hash", "") != _sign(call.state, "save", photo, com.id):
        raise VkError(121, "Invalid hash")
    try:
        key = str(json.loads(photo)[0]["photo"]).split(":")[0]
    except (ValueError, LookupError, TypeError):
        raise invalid("photo", "is invalid: the upload server took no photo") from None
    upload = com.uploads.get(key)
    if upload is None:
        raise invalid("photo", "is invalid")
    if upload["saved"] is None:  # saving the same upload again answers the same photo
        photo_id = com.next_photo_id
        com.next_photo_id += 1
        com.wall_photos[photo_id] = _photo_object(call, com, photo_id, key, upload)
        upload["saved"] = photo_id
    return [com.wall_photos[upload["saved"]]]


def _photo_object(
    call: Call, com: Community, photo_id: int, key: str, upload: dict[str, Any]
) -> dict[str, Any]:
    width, height = upload["width"], upload["height"]
    sizes = []
    for kind, limit in (("s", 75), ("m", 130), ("x", 604), ("y", 807), ("z", 1080), ("w", 2560)):
        scale = min(1.0, limit / max(width, height))
        w, h = max(1, round(width * scale)), max(1, round(height * scale))
        url = f"https://sun9-{com.id % 88 + 1}.userapi.com/impg/{key}.jpg?size={w}x{h}"
        sizes.append({"type": kind, "url": url, "width": w, "height": h})
        if scale == 1.0:
            break
    return {
        "album_id": WALL_ALBUM,
        "date": int(call.now),
        "id": photo_id,
        "owner_id": -com.id,
        "access_key": _sign(call.state, "access", photo_id)[:18],
        "sizes": sizes,
        "text": "",
        "user_id": 100,  # VK's "posted by the community" user
        "has_tags": False,
    }


# --------------------------------------------------------------------------- wall.post


def wall_post(call: Call) -> dict[str, Any]:
    com = community_by_owner(call, call.req_int("owner_id"))
    if com.deactivated:
        raise VkError(15, "Access denied: group is blocked")
    if call.params.get("publish_date") or call.params.get("post_id"):
        raise invalid("publish_date", "is not supported here: the emulator publishes at once")
    guid = call.params.get("guid", "").strip()
    if guid and guid in com.post_guids:  # VK's guid: a resend answers the post already made
        return {"post_id": com.post_guids[guid]}
    message = call.params.get("message", "")
    attachments = _attachments(com, call.params.get("attachments", ""))
    if not message.strip() and not attachments:
        raise invalid("message", "is empty: a post needs a message or attachments")
    if len(message) > MAX_POST_TEXT:
        raise invalid("message", f"is too long (at most {MAX_POST_TEXT} characters)")
    post = Post(
        id=com.new_item_id(),
        owner_id=-com.id,
        from_id=-com.id if call.flag("from_group") else call.user_id,
        created_by=call.user_id,
        date=int(call.now),
        text=message,
        attachments=attachments,
        source="api",
    )
    com.posts[post.id] = post
    if guid:
        com.post_guids[guid] = post.id
    log_post_new(com, post)
    return {"post_id": post.id}


def _attachments(com: Community, raw: str) -> list[dict[str, Any]]:
    """``photo<owner>_<id>`` of photos saved for this wall and at most one link, in order."""
    refs = [r.strip() for r in raw.split(",") if r.strip()]
    links = [r for r in refs if r.lower().startswith(("http://", "https://"))]
    if len(links) > 1:
        raise invalid("attachments", "may hold only one link")
    if len(refs) - len(links) > MAX_MEDIA:
        raise invalid("attachments", f"may hold at most {MAX_MEDIA} media")
    out: list[dict[str, Any]] = []
    for ref in refs:
        if ref in links:
            host = urlsplit(ref).hostname
            if not host:
                raise invalid("attachments", f"has a link without a host: {ref}")
            link = {"url": ref, "title": host, "caption": host, "description": ""}
            out.append({"type": "link", "link": {**link, "is_favorite": False}})
            continue
        match = _PHOTO_REF.fullmatch(ref)
        if match is None:
            raise invalid("attachments", f"has an item the emulator does not know: {ref}")
        owner, photo_id = int(match.group(1)), int(match.group(2))
        photo = com.wall_photos.get(photo_id) if owner == -com.id else None
        if photo is None:
            raise invalid("attachments", f"names a photo not saved for this wall: {ref}")
        out.append({"type": "photo", "photo": dict(photo)})
    return out


# --------------------------------------------------------------------------- comments


def _open_post(call: Call) -> tuple[Community, Post]:
    owner = call.req_int("owner_id")
    com = call.state.communities.get(-owner) if owner < 0 else None
    post = com.posts.get(call.req_int("post_id")) if com else None
    if com is None or post is None or post.deleted or com.deactivated:
        raise VkError(*POST_COMMENTS_DENIED)
    if call.group_token is not None and call.group_token != com.id:
        raise VkError(15, "Access denied: this community token is for another community")
    return com, post


def wall_create_comment(call: Call) -> dict[str, Any]:
    com, post = _open_post(call)
    if post.comments_closed:
        raise VkError(213, "Access to status replies denied")
    from_group = call.num("from_group", 0) or 0
    if from_group and from_group != com.id:
        raise invalid("from_group", "is not the community that owns this wall")
    as_community = call.group_token is not None or bool(from_group)
    guid = call.params.get("guid", "").strip()
    if guid and (post.id, guid) in com.comment_guids:
        existing = com.comments[com.comment_guids[(post.id, guid)]]
        return {"comment_id": existing.id, "parents_stack": _stack(existing)}
    if call.params.get("attachments", "").strip():
        raise invalid("attachments", "in comments are not supported by the emulator")
    message = call.params.get("message", "")
    if not message.strip():
        raise invalid("message", "is empty: a comment needs a message")
    target = None
    reply_to = call.num("reply_to_comment")
    if reply_to is not None:
        target = com.comments.get(reply_to)
        if target is None or target.post_id != post.id or target.deleted:
            raise invalid("reply_to_comment", "is not a live comment of this post")
    author = -com.id if as_community else call.user_id
    comment = Comment(com.new_item_id(), post.id, author, int(call.now), message)
    place_comment(com, post, comment, target)
    if guid:
        com.comment_guids[(post.id, guid)] = comment.id
    log_reply(com, "wall_reply_new", comment)
    return {"comment_id": comment.id, "parents_stack": _stack(comment)}


def _stack(comment: Comment) -> list[int]:
    return [comment.root_id] if comment.root_id else []


def wall_close_comments(call: Call) -> int:
    _com, post = _open_post(call)
    post.comments_closed = True
    return 1


def wall_open_comments(call: Call) -> int:
    _com, post = _open_post(call)
    post.comments_closed = False
    return 1


PUBLISH_METHODS: dict[str, Callable[[Call], Any]] = {
    "photos.getWallUploadServer": photos_get_wall_upload_server,
    "photos.saveWallPhoto": photos_save_wall_photo,
    "wall.post": wall_post,
    "wall.createComment": wall_create_comment,
    "wall.closeComments": wall_close_comments,
    "wall.openComments": wall_open_comments,
}
