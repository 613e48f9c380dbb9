"""Writing to OK for the content plan: a draft becomes a group topic, a reply a group comment.

Why apart from ``network.py``: publishing has rules of its own (``docs/networks/ok.md`` §6, §4.2).
A topic is one ``mediatopic.post`` with a JSON ``attachment`` of media blocks;
photos go up first (``photosV2.getUploadUrl`` → multipart POST → one token per
photo); the answer is the new topic id as a bare JSON string. OK has no
idempotency key, so ``mediatopic.post`` is sent once and never again by the
plugin: an answer lost after the request left raises ``TransientError`` with
``maybe_applied`` and the core looks for the topic before any resend.
Everything before it (the photo upload) publishes nothing, so its failures say
``maybe_applied=False``.

Replies use ``discussions.addDiscussionComment``, which may well be
closed to ordinary applications (error 3, or 10/200): then the reply is
``manual`` and the operator is told where to answer by hand.

Limits OK does not publish are ours (*inferred*, verify live): 4,000 characters
of text, 20 photos of at most 30 MB, 10 links.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from hub import images
from hub.errors import ApiError, AuthError, RateLimitedError, TransientError
from hub.models import Account
from hub.network import ActionResult, CommentsResult, Published, PublishRequest, ReplyRequest
from hub.retry import with_retries

from . import mapping
from .client import OkClient

MAX_TEXT = 4000  # inferred: error 601 has no documented number
MAX_PHOTOS = 20  # inferred: error 600 has no documented number
MAX_LINKS = 10  # ours: each link is a media block (error 600)
MAX_PHOTO_BYTES = 30 * 1024 * 1024  # inferred: error 500 has no documented number
ADD_COMMENT = "discussions.addDiscussionComment"
#: what OK answers a method this application may not call (docs/networks/ok.md §4.2: verify live)
WRITES_CLOSED = {3, 10, 200}
PERMISSION_CODES = {10, 200}
#: OK's refusals of a topic, in words that say what to change in the draft
REFUSALS = {
    454: "OK's censor rejected the text (CENSOR_MATCH); reword the draft",
    500: "OK's upload server found a photo too large (PHOTO_SIZE_LIMIT_EXCEEDED); "
    "use a smaller one",
    503: "OK's upload server did not recognize a photo as an image (PHOTO_INVALID_FORMAT); "
    "attach a JPEG, PNG or GIF",
    505: "OK's upload server received no image (PHOTO_NO_IMAGE); check the draft's photo files",
    600: "OK refused the post for too many photos or links (MEDIA_TOPIC_BLOCK_LIMIT); attach fewer",
    601: "OK refused the text as too long (MEDIA_TOPIC_TEXT_LIMIT); shorten the draft",
    607: "OK refused a link as badly formed (MEDIA_TOPIC_LINK_BAD_FORMAT); fix the draft's links",
}


# --------------------------------------------------------------------------- checks


def photo_problem(path: str) -> str | None:
    """Why OK would not take this local file as a photo, or None."""
    file = Path(path)
    if not file.exists():
        return f"the photo {path} does not exist"
    if not file.is_file():
        return f"the photo {path} is not a file"
    try:
        with file.open("rb") as handle:
            head = handle.read(16)
        size = file.stat().st_size
    except OSError as exc:
        return f"the photo {path} cannot be read ({exc.strerror or exc})"
    if images.kind(head) is None:
        return f"the photo {path} is not a JPEG, PNG or GIF image"
    if size > MAX_PHOTO_BYTES:
        return f"the photo {path} is {size / 2**20:.1f} MB; OK takes at most 30 MB"
    return None


def link_ok(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname) and url.strip() == url


def problems(request: PublishRequest) -> list[str]:
    """Everything OK would refuse in this draft, in words that say what to change."""
    out = []
    if not request.text.strip() and not request.photos and not request.links:
        out.append("the post is empty: OK needs text, a photo or a link")
    if len(request.text) > MAX_TEXT:
        extra = len(request.text) - MAX_TEXT
        out.append(
            f"the text is {len(request.text)} characters; an OK post takes at most "
            f"{MAX_TEXT}: shorten it by {extra}"
        )
    if len(request.photos) > MAX_PHOTOS:
        out.append(f"{len(request.photos)} photos; an OK post takes at most {MAX_PHOTOS}")
    out += [p for p in map(photo_problem, request.photos) if p]
    if len(request.links) > MAX_LINKS:
        out.append(f"{len(request.links)} links; the hub sends at most {MAX_LINKS} to OK")
    out += [
        f"the link {url!r} is not an http(s) address OK accepts"
        for url in request.links
        if not link_ok(url)
    ]
    return out


def _worded(exc: ApiError, account: Account) -> ApiError:
    """OK's refusal in words that name the fix; transient errors pass unchanged."""
    if isinstance(exc, TransientError):
        return exc
    if isinstance(exc, RateLimitedError):  # OK did nothing: the core may send it next run
        return TransientError(
            f"OK is limiting this token ({exc.args[0]}); nothing was published, it goes out "
            "on a later run",
            maybe_applied=False,
            code=exc.code,
            method=exc.method,
        )
    if exc.code in PERMISSION_CODES:
        scope = "PHOTO_CONTENT" if exc.method == "photosV2.getUploadUrl" else "GROUP_CONTENT"
        return AuthError(
            f"OK refused to publish in group {account.external_id}: the application lacks "
            f"the {scope} permission",
            fix=f"ask api-support@ok.ru to grant the application {scope} (GROUP_CONTENT to "
            "post, PHOTO_CONTENT for photos), then issue the token again with those scopes",
            code=exc.code,
            method=exc.method,
        )
    if exc.code == 160:
        return ApiError(
            f"OK does not know group {account.external_id}; check the account's external_id",
            code=exc.code,
            method=exc.method,
        )
    if exc.code in REFUSALS:
        return ApiError(REFUSALS[int(exc.code)], code=exc.code, method=exc.method)
    return exc


# --------------------------------------------------------------------------- publishing


async def upload_photos(
    client: OkClient, token: str, gid: str, paths: tuple[str, ...]
) -> list[str]:
    """Upload the files; their tokens in order, for the topic's photo block."""
    if not paths:
        return []
    answer = await client.call(token, "photosV2.getUploadUrl", {"gid": gid, "count": len(paths)})
    url = answer.get("upload_url") if isinstance(answer, dict) else None
    ids = answer.get("photo_ids") if isinstance(answer, dict) else None
    if not isinstance(url, str) or not isinstance(ids, list) or len(ids) != len(paths):
        raise ApiError("OK photosV2.getUploadUrl answer has no upload_url and photo ids")
    files = []
    for path in paths:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise ApiError(f"the photo {path} cannot be read ({exc.strerror or exc})") from None
        files.append((Path(path).name, data, images.content_type(data)))
    stored = await with_retries(lambda: client.upload(url, files))
    photos = stored.get("photos") if isinstance(stored, dict) else None
    tokens = []
    for photo_id, path in zip(ids, paths, strict=True):
        entry = photos.get(str(photo_id)) if isinstance(photos, dict) else None
        if not isinstance(entry, dict) or not entry.get("token"):
            raise ApiError(f"OK's upload server returned no token for the photo {path}")
        tokens.append(str(entry["token"]))
    return tokens


def attachment(text: str, links: tuple[str, ...], photo_tokens: list[str]) -> str:
    """The ``attachment`` JSON, as the group, in the order a reader sees it.

    See ``docs/networks/ok.md`` §6.
    """
    media: list[dict[str, Any]] = [{"type": "text", "text": text}] if text.strip() else []
    if photo_tokens:
        media.append({"type": "photo", "list": [{"id": t} for t in photo_tokens]})
    media += [{"type": "link", "url": url} for url in links]
    spec = {"media": media, "onBehalfOfGroup": "true"}
    return json.dumps(spec, ensure_ascii=False, separators=(",", ":"))


def topic_id(answer: Any) -> int:
    """The bare-string id ``mediatopic.post`` answers; anything else leaves the topic in doubt."""
    raw = answer if isinstance(answer, str | int) and not isinstance(answer, bool) else None
    text = str(raw).strip() if raw is not None else ""
    if text == "0":  # what OK answers an application not approved for publishing
        raise ApiError(
            "OK answered topic id 0 and published nothing: the application is probably not "
            "approved for publishing; ask api-support@ok.ru",
            method="mediatopic.post",
        )
    if not text.isdigit():
        raise TransientError(
            f"OK answered mediatopic.post with {str(answer)[:60]!r} instead of a topic id; "
            "the topic may exist",
            method="mediatopic.post",
        )
    return int(text)


async def publish_post(client: OkClient, token: str, request: PublishRequest) -> Published:
    """Upload the photos, post the topic as the group once, and map it as a sync would."""
    found = problems(request)
    if found:
        raise ApiError("; ".join(found))
    account = request.account
    gid = account.external_id
    try:
        tokens = await upload_photos(client, token, gid, request.photos)
    except TransientError as exc:  # no topic was posted yet: safe to send again
        raise TransientError(
            f"nothing was published: {exc.args[0]}",
            maybe_applied=False,
            code=exc.code,
            method=exc.method,
        ) from None
    except ApiError as exc:
        raise _worded(exc, account) from None
    params = {
        "type": "GROUP_THEME",
        "gid": gid,
        "attachment": attachment(request.text, request.links, tokens),
    }
    try:
        answer = await client.call(token, "mediatopic.post", params, retry=False)
    except ApiError as exc:
        raise _worded(exc, account) from None
    tid = topic_id(answer)
    media: list[dict[str, Any]] = [{"type": "text", "text": request.text}]
    media += [{"type": "photo"}] if tokens else []
    media += [{"type": "link", "url": url} for url in request.links]
    item = {
        "id": str(tid),
        "created_ms": int(time.time() * 1000),
        "author_ref": f"group:{gid}",
        "owner_ref": f"group:{gid}",
        "media": media,
        "is_on_behalf_of_group": True,
    }
    post = mapping.topic(item, int(gid))
    return Published(post_network_id=tid, url=post.url, post=post)


# --------------------------------------------------------------------------- replies


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


async def reply(
    client: OkClient,
    token: str,
    request: ReplyRequest,
    topic_url: str | None,
    read_comments: Callable[[], Awaitable[CommentsResult]],
) -> ActionResult:
    """Answer as the group; manual when OK keeps the method from this application.

    On a ``retry`` the topic's comments are read first: the group's comment with
    the same text under the same comment means the earlier send went through.
    """
    ref = request.comment
    cid = str(ref.network_id)
    group_author = -int(ref.account.external_id)
    if request.retry:
        for comment in (await read_comments()).comments:
            if (
                comment.author_id == group_author
                and comment.parent_network_id == cid
                and _same(comment.text, request.text)
            ):
                return ActionResult(
                    done=True,
                    already=True,
                    detail=f"the group already answered comment {cid} on OK",
                    data={"comment_id": comment.network_id, "url": topic_url},
                )
    params = {
        "entityId": ref.post_network_id,
        "entityType": "GROUP_TOPIC",
        "comment": request.text,
        "reply_to_comment_id": cid,
        "as_admin": True,
    }
    try:
        answer = await client.call(token, ADD_COMMENT, params, retry=False)
    except ApiError as exc:
        if isinstance(exc, TransientError) or exc.code not in WRITES_CLOSED:
            raise
        return ActionResult(
            done=False,
            manual=True,
            detail=f"OK does not let this application write comments (error {exc.code}); "
            f"answer as the group by hand in OK: open {topic_url} and reply to the comment",
        )
    new_id = answer if isinstance(answer, str) else None
    if isinstance(answer, dict):
        new_id = answer.get("id") or answer.get("comment_id")
    return ActionResult(
        done=True,
        detail=f"answered comment {cid} on OK as the group",
        data={"comment_id": str(new_id) if new_id else None, "url": topic_url},
    )
