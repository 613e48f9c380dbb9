"""Publishing to a MAX channel and answering its comments.

See ``docs/networks/max.md`` §3. ``POST /messages?chat_id=`` with the text (4,000
characters at most) and the pictures as ``image`` attachments, each uploaded
first in MAX's three steps (``POST /uploads?type=image`` → the file to the URL
it names → the answer's JSON as the attachment's payload). MAX has no
idempotency key, so the post is sent once: a lost answer surfaces as
TransientError for the core to reconcile (it syncs the channel, which MAX lets a
bot read, and finds the post by its text before any resend). A freshly uploaded
file may not be ready yet (``400 attachment.not.ready``): that refusal means
nothing was posted, so it is sent again after a pause, a few times.

A reply is a comment under the same post with a ``reply`` link to the comment.
After a lost answer it looks first: the post's comments are read back and a
comment of the bot with the same text answering the same comment is the reply.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from hub import images
from hub.errors import ApiError, TransientError
from hub.network import ActionResult, Published, PublishRequest, ReplyRequest

from . import mapping

if TYPE_CHECKING:
    from .network import MaxNetwork

MAX_TEXT = 4000
MAX_PHOTOS = 10  # the hub's own bound: a post with more pictures is said before sending
MAX_PHOTO_BYTES = 50 * 1024 * 1024
NOT_READY = "attachment.not.ready"
NOT_READY_TRIES = 5


def compose_text(request: PublishRequest) -> str:
    """The post's text as MAX stores it: links each on a line of their own, after the text."""
    text = request.text.strip()
    links = [link for link in dict.fromkeys(x.strip() for x in request.links) if link]
    extra = [link for link in links if link not in text]
    if extra:
        text = (text + "\n\n" if text else "") + "\n".join(extra)
    return text


def photo_problem(path: str) -> str | None:
    file = Path(path)
    if not file.is_file():
        return f"photo {path} does not exist or is not a file: check the path"
    if file.stat().st_size > MAX_PHOTO_BYTES:
        return f"photo {path} is larger than MAX's 50 MB: save it smaller"
    try:
        data = file.read_bytes()
    except OSError as exc:
        return f"photo {path} cannot be read ({exc.strerror}): check its permissions"
    if images.kind(data) is None:
        return f"photo {path} is not a JPEG, PNG or GIF image: save it as JPEG"
    return None


def publish_problems(request: PublishRequest) -> list[str]:
    problems = []
    for link in request.links:
        link = link.strip()
        if not link.startswith(("http://", "https://")) or any(c.isspace() for c in link):
            problems.append(f"link {link!r} is not an http(s) address: correct it or drop it")
    text = compose_text(request)
    if len(text) > MAX_TEXT:
        problems.append(
            f"MAX limits a post to 4,000 characters; this one has {len(text):,} "
            "(links included): shorten it"
        )
    if not text and not request.photos:
        problems.append("the post is empty: write a text or add a photo")
    if len(request.photos) > MAX_PHOTOS:
        problems.append(f"the post has {len(request.photos)} photos; keep at most {MAX_PHOTOS}")
    problems += [p for p in (photo_problem(path) for path in request.photos) if p]
    return problems


async def _upload(net: MaxNetwork, token: str, path: str) -> dict[str, Any]:
    """Steps one and two: an upload URL, then the file; the answer is the payload."""
    endpoint = await net.client.call(
        token, "POST", "/uploads", method="getUploadUrl", params={"type": "image"}
    )
    url = endpoint.get("url") if isinstance(endpoint, dict) else None
    if not isinstance(url, str) or not url:
        raise ApiError("MAX getUploadUrl answer has no url", method="getUploadUrl")
    data = Path(path).read_bytes()
    payload = await net.client.upload(url, Path(path).name, data, images.content_type(data))
    if not isinstance(payload, dict):
        raise TransientError("the MAX upload server answered no JSON", method="upload")
    return payload


async def publish(net: MaxNetwork, request: PublishRequest) -> Published:
    problems = publish_problems(request)
    if problems:
        raise ApiError("MAX would refuse this post: " + "; ".join(problems))
    account = request.account
    token = net.token_for(account)
    body: dict[str, Any] = {"text": compose_text(request) or None}
    try:
        if request.photos:
            body["attachments"] = [
                {"type": "image", "payload": await _upload(net, token, p)} for p in request.photos
            ]
    except OSError as exc:
        raise ApiError(f"a photo cannot be read ({exc.strerror})") from None
    params = {"chat_id": net.chat_id(account)}
    for attempt in range(NOT_READY_TRIES):
        try:
            answer = await net.client.call(
                token,
                "POST",
                "/messages",
                method="sendMessage",
                params=params,
                json=body,
                write=True,
            )
            break
        except ApiError as exc:
            if exc.code != NOT_READY or attempt == NOT_READY_TRIES - 1:
                raise
            await net.client.sleep(0.5 * (attempt + 1))  # refused: nothing was posted
    message = answer.get("message") if isinstance(answer, dict) else None
    if not isinstance(message, dict):
        raise TransientError(
            "MAX accepted the post but its answer names no message; the hub looks for the "
            "post before sending again",
            method="sendMessage",
        )
    net._remember(account, message)
    post = mapping.channel_post(message)
    return Published(post.network_id, post.url, post)


async def reply(net: MaxNetwork, request: ReplyRequest) -> ActionResult:
    comment = request.comment
    account = comment.account
    text = request.text.strip()
    if not text:
        raise ApiError("the reply is empty: write its text")
    if len(text) > MAX_TEXT:
        raise ApiError(f"MAX limits a comment to 4,000 characters; this one has {len(text):,}")
    token = net.token_for(account)
    post = await net.post_mid(account, comment.post_network_id)
    target = str(comment.network_id)
    if request.retry:
        found = await _find_reply(net, token, post, target, text)
        if found:
            return ActionResult(
                done=True,
                already=True,
                detail=f"the reply to {target} is there ({found})",
                data={"comment_id": found, "url": None},
            )
    body = {"text": text, "link": {"type": "reply", "mid": target}}
    answer = await net.client.call(
        token, "POST", f"/messages/{post}/comments", method="sendComment", json=body, write=True
    )
    message = answer.get("message") if isinstance(answer, dict) else None
    if not isinstance(message, dict):
        raise TransientError("MAX answered sendComment without the comment", method="sendComment")
    new_id = mapping.mid_of(message)
    return ActionResult(
        done=True,
        detail=f"answered comment {target} (comment {new_id})",
        data={"comment_id": new_id, "url": None},
    )


async def _find_reply(net: MaxNetwork, token: str, post: str, target: str, text: str) -> str | None:
    """A comment of the bot (or the channel) answering ``target`` with ``text``, if there."""
    bot = (await net.bot(token)).get("user_id")
    before = None
    while True:
        page = await net.comment_page(token, post, before)
        for message in page:
            sender = (message.get("sender") or {}).get("user_id")
            link = message.get("link") or {}
            answers = (link.get("message") or {}).get("mid") == target
            same = str((message.get("body") or {}).get("text") or "").strip() == text
            if answers and same and sender in (bot, None):
                return mapping.mid_of(message)
        times = [int(m["timestamp"]) for m in page if isinstance(m.get("timestamp"), int)]
        if len(page) < 100 or not times:
            return None
        before = min(times)
