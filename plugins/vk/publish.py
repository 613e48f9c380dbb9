"""Publishing on VK: a post with photos and a link, and answers to comments as the community.

The API (``docs/networks/vk.md`` §2, §4, §4.1; dev.vk.com/en/api/upload/wall-photo):
photos go up in three steps (``photos.getWallUploadServer`` → multipart POST of
``photo`` → ``photos.saveWallPhoto``), then ``wall.post(owner_id=-gid, from_group=1,
message, attachments, guid)``; an answer is ``wall.createComment(from_group=gid,
reply_to_comment, guid)``. All of it needs the admin's USER token (wall, photos scopes);
a community token is refused with error 27 for everything but the comment.

Never twice: the two writes go out once per call, with the hub's ``guid`` (VK answers
a resend with the same guid by the post or comment it already made). A write whose
answer was lost raises TransientError(maybe_applied=True) and is not resent here: the
core syncs the account and looks for the post first. Uploads publish nothing, so they
are retried like reads.
"""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from hub import images
from hub.errors import (
    ApiError,
    AuthError,
    EntityGoneError,
    RateLimitedError,
    TransientError,
)
from hub.log import get_logger
from hub.models import Account, Post
from hub.network import ActionResult, CommentsRequest, Published, PublishRequest, ReplyRequest

from . import images as vk_images
from . import mapping

if TYPE_CHECKING:
    from .network import VkNetwork

log = get_logger("hub.vk")

#: characters of a post's text: a limit quoted by VK tools, not by dev.vk.com (verify live)
MAX_TEXT = 16_384
#: dev.vk.com/en/method/wall.post: "no more than 10 media (photos, videos)"
MAX_PHOTOS = 10
#: wall.post: "If more than one link is being attached, an error will be thrown"
MAX_LINKS = 1
#: how long the hub waits after VK's "too many replies" (error 223) before answering again
REPLY_FLOOD_PAUSE = 600


# --------------------------------------------------------------------------- checks


def publish_problems(request: PublishRequest) -> list[str]:
    """Why VK would refuse this post, in plain words (checked offline: no API call)."""
    out: list[str] = []
    text = request.text or ""
    if len(text) > MAX_TEXT:
        out.append(f"the text is {len(text):,} characters; a VK post takes at most {MAX_TEXT:,}")
    if not text.strip() and not request.photos and not request.links:
        out.append("a VK post needs text, a photo or a link; this one has none")
    if len(request.photos) > MAX_PHOTOS:
        out.append(f"{len(request.photos)} photos; a VK post takes at most {MAX_PHOTOS}")
    if len(request.links) > MAX_LINKS:
        out.append(
            f"{len(request.links)} links; VK attaches one link to a post, "
            "so put the others in the text"
        )
    for link in request.links:
        parts = urlsplit(link)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            out.append(f"the link {link!r} is not an http(s) address")
    for photo in request.photos:
        out.extend(photo_problems(photo))
    return out


def photo_problems(path: str) -> list[str]:
    """What stops VK from taking this local file as a wall photo (JPEG, PNG or GIF up to 50 MB)."""
    file = Path(path)
    name = f"the photo {path}"
    if not file.exists():
        return [f"{name} does not exist"]
    if not file.is_file():
        return [f"{name} is not a file"]
    try:
        length = file.stat().st_size
        with file.open("rb") as fp:
            found = images.size(fp)
    except OSError as exc:
        return [f"{name} cannot be read ({exc.strerror or exc}); check its permissions"]
    if length == 0:
        return [f"{name} is empty"]
    if length > vk_images.MAX_BYTES:
        return [f"{name} is {length / 2**20:.1f} MB; VK takes photos of at most 50 MB"]
    if found is None:
        return [f"{name} is not a JPEG, PNG or GIF image (the kinds VK takes), or it is damaged"]
    return [f"{name} {why}" for why in vk_images.problems(found[1], found[2])]


# --------------------------------------------------------------------------- publish


async def publish_post(net: VkNetwork, request: PublishRequest) -> Published:
    """Upload the photos, then ``wall.post`` once as the community with the draft's guid."""
    problems = publish_problems(request)
    if problems:
        raise ApiError("VK would refuse this post: " + "; ".join(problems), method="wall.post")
    account = request.account
    token = net.token_for(account)
    gid = await net.resolve_group(account)
    attachments = [await _upload_photos(net, token, gid, request.photos)] if request.photos else []
    attachments += list(request.links)
    params = {
        "owner_id": -gid,
        "from_group": 1,
        "message": request.text,
        "attachments": ",".join(attachments) or None,
        "guid": request.guid or None,
    }
    try:
        answer = await net.client.call(token, "wall.post", params, retry=False)
    except TransientError:
        raise  # maybe applied: the core looks for the post before anything is resent
    except ApiError as exc:
        raise explain(exc, gid, "publish") from None
    post_id = answer.get("post_id") if isinstance(answer, dict) else None
    if not isinstance(post_id, int):
        raise TransientError(  # something was answered, so the post may well be up
            f"VK wall.post answered without a post_id ({str(answer)[:80]})", method="wall.post"
        )
    post = await _read_post(net, token, gid, post_id)
    return Published(post_id, net.post_url(account, post_id), post)


async def _upload_photos(net: VkNetwork, token: str, gid: int, photos: tuple[str, ...]) -> str:
    """Each local photo to the community's wall album; the ``photo<owner>_<id>`` list."""
    try:
        server = await net.client.call(token, "photos.getWallUploadServer", {"group_id": gid})
        refs = []
        for path in photos:
            content = await asyncio.to_thread(Path(path).read_bytes)
            found = images.size_of(content)
            mime = images.mime(found[0] if found else None) or "application/octet-stream"
            uploaded = await net.client.upload(
                server["upload_url"], "photo", os.path.basename(path), content, mime
            )
            if uploaded.get("error") or uploaded.get("photo") in (None, "", "[]"):
                detail = uploaded.get("error") or "it took no photo from the file"
                raise ApiError(
                    f"VK's upload server refused the photo {path} ({detail}); "
                    "VK takes JPEG, PNG or GIF up to 50 MB",
                    method="photo upload",
                )
            saved = await net.client.call(
                token,
                "photos.saveWallPhoto",
                {
                    "group_id": gid,
                    "server": uploaded.get("server"),
                    "photo": uploaded["photo"],
                    "hash": uploaded.get("hash"),
                },
            )
            refs.append(f"photo{saved[0]['owner_id']}_{saved[0]['id']}")
    except (TransientError, RateLimitedError):
        raise
    except ApiError as exc:
        raise explain(exc, gid, "upload photos") from None
    except (KeyError, IndexError, TypeError) as exc:
        raise ApiError(
            f"VK answered the photo upload in an unexpected shape (no {exc}); nothing was posted",
            method="photos.saveWallPhoto",
        ) from None
    return ",".join(refs)


async def _read_post(net: VkNetwork, token: str, gid: int, post_id: int) -> Post | None:
    """The new post as a sync would store it; None when VK does not show it right away."""
    try:
        got = await net.client.call(token, "wall.getById", {"posts": f"{-gid}_{post_id}"})
    except ApiError as exc:  # the post is up; a sync will bring it
        log.warning("new post not read back", post_id=post_id, error=str(exc))
        return None
    items = mapping.listed(got, "items")
    return mapping.post(items[0]) if items else None


# --------------------------------------------------------------------------- replies


async def reply_to_comment(net: VkNetwork, request: ReplyRequest) -> ActionResult:
    """``wall.createComment`` as the community, in the thread of the comment answered.

    ``reply_to_comment`` is always the comment's id: VK files the answer in that
    comment's thread, whether it is a top-level comment or itself a reply. On a
    ``retry`` the post's comments are read first, and an answer by the community
    with the same text to the same comment counts as already done.
    """
    ref = request.comment
    account = ref.account
    if not request.text.strip():
        raise ApiError("the answer is empty, and VK takes no empty comment")
    token = net.token_for(account)
    gid = await net.resolve_group(account)
    comment_id, post_id = int(ref.network_id), int(ref.post_network_id)
    if request.retry:
        found = await _existing_reply(net, account, gid, post_id, comment_id, request.text)
        if found is not None:
            return ActionResult(
                done=True,
                already=True,
                detail=f"the answer to comment {comment_id} is already on VK (comment {found})",
                data={"comment_id": found, "url": reply_url(gid, post_id, found)},
            )
    params = {
        "owner_id": -gid,
        "post_id": post_id,
        "from_group": gid,
        "message": request.text,
        "reply_to_comment": comment_id,
        "guid": request.guid or None,
    }
    try:
        answer = await net.client.call(token, "wall.createComment", params, retry=False)
    except TransientError:
        raise  # maybe applied: the core asks again with retry=True, which looks first
    except ApiError as exc:
        raise explain(exc, gid, "answer comments", post_id=post_id) from None
    new_id = answer.get("comment_id") if isinstance(answer, dict) else None
    if not isinstance(new_id, int):
        raise TransientError(
            f"VK wall.createComment answered without a comment_id ({str(answer)[:80]})",
            method="wall.createComment",
        )
    return ActionResult(
        done=True,
        detail=f"answered comment {comment_id} as the community (comment {new_id})",
        data={"comment_id": new_id, "url": reply_url(gid, post_id, new_id)},
    )


def reply_url(gid: int, post_id: int, comment_id: int) -> str:
    return f"https://vk.com/wall-{gid}_{post_id}?reply={comment_id}"


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


async def _existing_reply(
    net: VkNetwork, account: Account, gid: int, post_id: int, comment_id: int, text: str
) -> int | None:
    """The community's comment with this text answering this comment, if VK shows one."""
    outcome = (await net.fetch_comments([CommentsRequest(account, post_id)]))[0]
    if isinstance(outcome, ApiError):
        raise outcome  # cannot look, so cannot be sure: do not post
    wanted = _normal(text)
    for c in outcome.comments:
        if (
            c.author_id == -gid
            and not c.deleted
            and str(c.parent_network_id) == str(comment_id)
            and _normal(c.text) == wanted
        ):
            return int(c.network_id)
    if not outcome.complete:
        raise TransientError(
            f"the comments of post {post_id} changed while the hub read them, so it cannot tell "
            "whether its answer is already there; it will look again",
            method="wall.getComments",
            maybe_applied=False,
        )
    return None


# --------------------------------------------------------------------------- errors


def explain(exc: ApiError, gid: int, action: str, *, post_id: int | None = None) -> ApiError:
    """VK's refusal of a write, reworded as what is wrong and how to fix it."""
    message = exc.args[0] if exc.args else ""
    kw = {"code": exc.code, "method": exc.method}
    admin = (
        f"the token must be the user token of an admin or editor of community {gid}, "
        "with the wall and photos scopes"
    )
    if exc.code == 27:
        return AuthError(
            f"VK will not {action} with a community token ({message})",
            fix=f"{admin}, not a community key",
            **kw,
        )
    if exc.code == 7:
        return AuthError(
            f"the token may not {action} ({message})",
            fix="issue the admin user token again with the wall, photos and groups scopes",
            **kw,
        )
    if exc.code in (15, 203, 214):
        return ApiError(f"VK refused to {action} on community {gid} ({message}); {admin}", **kw)
    if exc.code == 212 and post_id is not None:
        return EntityGoneError(
            f"post {post_id} is gone from VK or hides its comments ({message}); "
            "the answer cannot be posted",
            **kw,
        )
    if exc.code == 213:
        return ApiError(
            f"comments are closed on post {post_id} ({message}); open them in VK, "
            "or answer there by hand",
            **kw,
        )
    if exc.code == 222:
        return ApiError(
            f"community {gid} forbids links ({message}); remove the link, "
            "or allow links in the community's settings",
            **kw,
        )
    if exc.code == 223:
        return RateLimitedError(
            f"VK says the community wrote too many answers in a row ({message}); "
            "the hub waits before answering again",
            retry_after=REPLY_FLOOD_PAUSE,
            **kw,
        )
    if exc.code in (100, 118, 121, 129):
        return ApiError(f"VK refused to {action}: {message}; nothing was posted", **kw)
    return exc
