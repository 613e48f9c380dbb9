"""Publishing to a Telegram channel and replying in its discussion group.

See ``docs/networks/telegram.md`` §3, §6.

The Bot API has no idempotency key and never shows a bot its own messages, so
every write here is sent once: a lost answer surfaces as TransientError
(``maybe_applied``) for the core to reconcile — a channel post by finding its
automatic forward in the next sync, a reply only by a person looking. The only
resend is the client's own, for a 429 or a connection that never opened.

What Telegram would refuse is said before sending, in the words a specialist
can act on: 4,096 characters of text, 1,024 of a photo's caption, one photo of
at most 10 MB whose sides add up to 10,000 pixels at most (ratio ≤ 20).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from hub import images
from hub.errors import ApiError, AuthError, EntityGoneError, RateLimitedError, TransientError
from hub.models import Account
from hub.network import ActionResult, Published, PublishRequest, ReplyRequest

from . import mapping

if TYPE_CHECKING:
    from .network import TelegramNetwork

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_SIDES = 10_000  # width + height
MAX_RATIO = 20
POST_FIX = (
    "make the bot an administrator of the channel with the right to post messages "
    "('hub accounts check' shows gaps)"
)
REPLY_FIX = (
    "add the bot to the channel's discussion group (as an administrator) so it may answer "
    "comments ('hub accounts check' shows gaps)"
)


# --------------------------------------------------------------------------- checks


def compose_text(request: PublishRequest) -> str:
    """The post's text as Telegram will store it: links each on a line of their own.

    Telegram trims surrounding whitespace and turns bare URLs into links (the
    first gets a preview), so links are appended after a blank line, unless the
    text already contains them.
    """
    text = request.text.strip()
    links = [link for link in dict.fromkeys(x.strip() for x in request.links) if link]
    extra = [link for link in links if link not in text]
    if extra:
        text = (text + "\n\n" if text else "") + "\n".join(extra)
    return text


def photo_problem(path: str) -> str | None:
    """Why Telegram would not take this file as a photo, or None."""
    file = Path(path)
    if not file.exists():
        return f"photo {path} does not exist: check the path"
    if not file.is_file():
        return f"photo {path} is a folder, not a file: name the image file itself"
    size = file.stat().st_size
    if size > MAX_PHOTO_BYTES:
        return (
            f"photo {path} is {size / 1024 / 1024:.1f} MB; Telegram takes photos up to 10 MB: "
            "save it smaller"
        )
    try:
        data = file.read_bytes()
    except OSError as exc:
        return f"photo {path} cannot be read ({exc.strerror}): check its permissions"
    if images.kind(data) is None:
        return f"photo {path} is not a JPEG, PNG or GIF image: save it as JPEG"
    found = images.size_of(data)
    if found is None:  # a size the header does not give: Telegram itself judges it
        return None
    _, width, height = found
    if width + height > MAX_SIDES or max(width, height) > MAX_RATIO * min(width, height):
        return (
            f"photo {path} is {width}×{height} pixels; Telegram wants width + height at most "
            f"{MAX_SIDES:,} and one side at most {MAX_RATIO} times the other: resize it"
        )
    return None


def publish_problems(request: PublishRequest) -> list[str]:
    """Everything Telegram would refuse in this post, each said with its fix."""
    problems = []
    for link in request.links:
        link = link.strip()
        if not link.startswith(("http://", "https://")) or any(c.isspace() for c in link):
            problems.append(f"link {link!r} is not an http(s) address: correct it or drop it")
    text = compose_text(request)
    if len(request.photos) > 1:
        problems.append(
            f"the post has {len(request.photos)} photos, but the hub publishes one photo per "
            "Telegram post (albums are not supported): keep one"
        )
    if request.photos:
        problems += [p for p in (photo_problem(path) for path in request.photos) if p]
        if len(text) > MAX_CAPTION:
            problems.append(
                f"with a photo the text becomes its caption, which Telegram limits to 1,024 "
                f"characters; this one has {len(text):,} (links included): shorten to 1,024 "
                "characters or drop the photo"
            )
    elif not text:
        problems.append("the post is empty: write a text or add a photo")
    elif len(text) > MAX_TEXT:
        problems.append(
            f"Telegram limits a post to 4,096 characters; this one has {len(text):,} "
            "(links included): shorten it"
        )
    return problems


def _refit(exc: AuthError, fix: str) -> AuthError:
    """A rights refusal (403, "need administrator rights") with the fix for this action."""
    if exc.fix is None:  # a bad token: the usual advice stands
        return exc
    return AuthError(exc.args[0], fix=fix, code=exc.code, method=exc.method)


# --------------------------------------------------------------------------- actions


async def publish(net: TelegramNetwork, request: PublishRequest) -> Published:
    """sendMessage, or sendPhoto with the file uploaded; sent once, never resent here."""
    problems = publish_problems(request)
    if problems:
        raise ApiError("Telegram would refuse this post: " + "; ".join(problems))
    account = request.account
    chats = await net._chats_of(account)
    token = net.token_for(account)
    text = compose_text(request)
    params: dict[str, Any] = {"chat_id": chats.channel["id"]}
    try:
        if request.photos:
            path = Path(request.photos[0])
            data = path.read_bytes()
            if text:
                params["caption"] = text
            photo = (path.name, data, images.content_type(data))
            message = await net.client.call(
                token, "sendPhoto", params, retry=False, files={"photo": photo}
            )
        else:
            params["text"] = text
            message = await net.client.call(token, "sendMessage", params, retry=False)
    except AuthError as exc:
        raise _refit(exc, POST_FIX) from None
    except OSError as exc:  # the file went away between the check and the send
        raise ApiError(f"photo {request.photos[0]} cannot be read ({exc.strerror})") from None
    if not isinstance(message, dict) or not message.get("message_id"):
        raise TransientError(
            "Telegram accepted the post but its answer names no message; "
            "the hub looks for the post before sending again",
            method="sendPhoto" if request.photos else "sendMessage",
        )
    post = mapping.channel_post(message)
    return Published(post.network_id, net.post_url(account, post.network_id) or post.url, post)


async def sees_own_posts(net: TelegramNetwork, account: Account) -> bool:
    """True when the bot reads the discussion group, where its posts come back as forwards.

    Read once per sync (the answer is kept with the account's chats, which each
    sync refreshes): a linked group, and the bot an administrator there, or a
    member with privacy mode off.
    """
    chats = await net._chats_of(account)
    if chats.own_posts is None:
        chats.own_posts = await _reads_group(net, account, chats.group_id)
    return chats.own_posts


async def _reads_group(net: TelegramNetwork, account: Account, group: int | None) -> bool:
    if not group:
        return False
    token = net.token_for(account)
    me = await net.client.call(token, "getMe")
    try:
        member = await net.client.call(
            token, "getChatMember", {"chat_id": group, "user_id": me["id"]}
        )
    except (TransientError, RateLimitedError):
        raise  # unknown, not "no": the caller may ask again
    except ApiError:  # not in the group, or the group is out of its sight
        return False
    status = member.get("status") if isinstance(member, dict) else None
    if status in ("administrator", "creator"):
        return True
    in_group = status == "member" or (status == "restricted" and member.get("is_member"))
    return bool(in_group and me.get("can_read_all_group_messages"))


async def reply(net: TelegramNetwork, request: ReplyRequest) -> ActionResult:
    """sendMessage in the discussion group, answering the comment in its thread."""
    comment = request.comment
    account = comment.account
    if request.retry:
        return _look_by_hand(net, request)
    text = request.text.strip()
    if not text:
        raise ApiError("the reply is empty: write its text")
    if len(text) > MAX_TEXT:
        raise ApiError(f"Telegram limits a reply to 4,096 characters; this one has {len(text):,}")
    chats = await net._chats_of(account)
    group = net._group(chats, account)
    params = {
        "chat_id": group,
        "text": text,
        "reply_parameters": {"message_id": int(comment.network_id)},
    }
    try:
        message = await net.client.call(net.token_for(account), "sendMessage", params, retry=False)
    except AuthError as exc:
        raise _refit(exc, REPLY_FIX) from None
    except EntityGoneError as exc:
        raise EntityGoneError(
            f"comment {comment.network_id} is gone from the discussion group; "
            "the reply was not sent",
            code=exc.code,
            method=exc.method,
        ) from None
    new_id = int(message["message_id"])
    url = mapping.comment_url(chats.channel, comment.post_network_id, new_id)
    return ActionResult(
        done=True,
        detail=f"answered comment {comment.network_id} (message {new_id})",
        data={"comment_id": new_id, "url": url},
    )


def _look_by_hand(net: TelegramNetwork, request: ReplyRequest) -> ActionResult:
    """After a lost answer: Telegram never shows a bot its own messages, so a person looks."""
    comment = request.comment
    chats = net._chats.get(comment.account.id)
    where = (
        mapping.comment_url(chats.channel, comment.post_network_id, int(comment.network_id))
        if chats
        else None
    )
    place = f" ({where})" if where else ""
    return ActionResult(
        done=False,
        manual=True,
        detail=(
            f"the first send's answer was lost and Telegram never shows a bot its own messages: "
            f"look under comment {comment.network_id}{place} in the discussion group; if the "
            "reply is not there, answer by hand"
        ),
    )
