"""Writing through the OK emulator: photo upload, ``mediatopic.post``, ``addDiscussionComment``.

Why its own module: the content plan publishes group topics and answers comments,
and the plugin must meet OK's real publishing rules here (notes §6, §4.2), not a
convenient guess: photos go up in two stages (``photosV2.getUploadUrl`` →
multipart POST of ``pic1..picN`` to the returned URL → one token per photo id),
the topic is a JSON ``attachment`` of media blocks, the new topic id comes back
as a bare JSON string, and OK has no idempotency key — a repeated call makes a
second topic. Failures use OK's codes (§1.4): 10 for a missing permission, 600
too many media, 601 text too long, 607 bad link, 121 unknown photo token, and
500/503/505 for an upload that is too big, not an image, or empty.

Numbers OK does not publish are ours, marked *inferred*, and the plugin keeps
its own copies (it must not trust the emulator's). Deliberate simplifications:
only group topics (``gid``) are posted; only ``text``, ``link`` and ``photo``
blocks are modelled; scheduled topics (``publishAt*``) are refused;
``disableComments`` is validated but not modelled; photo tokens may be reused.
"""

from __future__ import annotations

import base64
import json
import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from hub import images
from hub.sandbox.harness import HTTP500, LoopbackEmulator, Reply

from .data import Group, OkState, Topic
from .methods import Call
from .protocol import OkError, invalid, missing

UPLOAD_PATH = "/uploadImage"  # the real upload URL lives on a CDN host (…mycdn.me/uploadImage)
ADD_COMMENT = "discussions.addDiscussionComment"
#: writes whose answer a test may have lost after they were applied
LOSABLE = frozenset({"mediatopic.post", ADD_COMMENT})
MAX_TOPIC_TEXT = 4000  # inferred: OK publishes no number (error 601)
MAX_MEDIA_BLOCKS = 50  # inferred (error 600)
MAX_PHOTOS = 20  # inferred: per topic and per upload URL (error 600 / PARAM count)
MAX_PHOTO_BYTES = 30 * 1024 * 1024  # inferred (error 500)
MAX_COMMENT = 3000  # the limit the 2017 docs give editDiscussionComment
UPLOAD_TTL_MS = 86_400_000  # the ttl_ms of the documented upload example (a day)


@dataclass
class UploadSession:
    """One ``photosV2.getUploadUrl`` answer: the photo ids its URL may fill."""

    gid: int | None
    user_id: int
    photo_ids: list[str]
    expires_ms: int


@dataclass
class UploadedPhoto:
    """A photo stored by the upload server, named in a topic by its token."""

    num: int  # what ``photo_refs`` show once it is in a topic
    gid: int | None
    user_id: int


def _opaque(rng: random.Random, size: int) -> str:
    """A base64 id with ``+``, ``/`` and ``=`` in it, as OK's photo ids have: clients must quote."""
    return base64.b64encode(rng.randbytes(size)).decode("ascii")


# --------------------------------------------------------------------------- upload


def photos_get_upload_url(call: Call) -> dict[str, Any]:
    """Start an upload: ``count`` photo ids and the URL their files go to (PHOTO_CONTENT)."""
    call.require("PHOTO_CONTENT")
    gid = call.group("gid").id if call.params.get("gid", "").strip() else None
    raw = call.params.get("count", "").strip() or "1"
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PHOTOS:
        raise invalid("count", f"must be between 1 and {MAX_PHOTOS}")
    rng = call.rng or random.Random()
    key = _opaque(rng, 24).replace("+", "-").replace("/", "_")
    ids = [_opaque(rng, 30) for _ in range(int(raw))]
    expires = call.now_ms + UPLOAD_TTL_MS
    call.state.uploads[key] = UploadSession(gid, call.user_id, ids, expires)
    query = urlencode({"apiToken": key, "photoIds": ",".join(ids)})
    return {
        "upload_url": f"{call.base_url}{UPLOAD_PATH}?{query}",
        "photo_ids": ids,
        "expires_ms": expires,
        "ttl_ms": UPLOAD_TTL_MS,
    }


def image_format_ok(data: bytes) -> bool:
    """JPEG, PNG or GIF by magic bytes: what the upload server recognizes."""
    return images.kind(data) is not None


def multipart_files(content_type: str, body: bytes) -> list[bytes]:
    """The file parts of a ``multipart/form-data`` body, in order (error 21 if it is not one)."""
    if not content_type.lower().startswith("multipart/form-data"):
        raise OkError(21, "Not a multi-part request")
    head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise OkError(21, "Not a multi-part request")
    files = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition") or ""
        if part.get_filename() is not None or str(name).startswith("pic"):
            files.append(part.get_payload(decode=True) or b"")
    return files


def upload_photos(
    state: OkState, query: str, content_type: str, body: bytes, now_ms: int, rng: random.Random
) -> dict[str, Any]:
    """The upload URL's answer: ``{"photos": {<photo id>: {"token": …}}}`` for each file.

    Files fill the session's photo ids in order; nothing is stored unless every
    file is an image within the size limit.
    """
    key = dict(parse_qsl(query)).get("apiToken", "")
    session = state.uploads.get(key)
    if not isinstance(session, UploadSession) or now_ms > session.expires_ms:
        raise invalid("apiToken", "unknown or expired upload URL")
    files = multipart_files(content_type, body)
    if not files:
        raise OkError(505, "No image found in the request")
    if len(files) > len(session.photo_ids):
        raise invalid("photoIds", "more files than photo ids")
    for data in files:
        if len(data) > MAX_PHOTO_BYTES:
            raise OkError(500, f"Image is larger than {MAX_PHOTO_BYTES} bytes")
        if not image_format_ok(data):
            raise OkError(503, "Image format is not recognized")
    photos = {}
    for photo_id, _ in zip(session.photo_ids, files, strict=False):
        token = _opaque(rng, 36)
        num = rng.randint(900_000_000_000, 999_999_999_999)
        state.photo_tokens[token] = UploadedPhoto(num, session.gid, session.user_id)
        photos[photo_id] = {"token": token}
    return {"photos": photos}


# --------------------------------------------------------------------------- topics


def _attachment(raw: str) -> dict[str, Any]:
    try:
        spec = json.loads(raw)
    except ValueError:
        raise invalid("attachment", "not valid JSON") from None
    if not isinstance(spec, dict):
        raise invalid("attachment", "must be a JSON object")
    if not isinstance(spec.get("media"), list) or not spec["media"]:
        raise invalid("attachment", "media must be a non-empty list")
    if "publishAt" in spec or "publishAtMs" in spec:
        raise invalid("attachment", "scheduled topics are not modelled by the emulator")
    return spec


def _attachment_flag(spec: dict[str, Any], key: str) -> bool:
    value = spec.get(key, "false")
    if value in (True, "true"):
        return True
    if value in (False, "false"):
        return False
    raise invalid("attachment", f'{key} must be "true" or "false"')


def _link_ok(url: Any) -> bool:
    if not isinstance(url, str) or any(c.isspace() for c in url):
        return False
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _photo_refs(call: Call, group: Group, item: dict[str, Any]) -> list[str]:
    listed = item.get("list")
    if not isinstance(listed, list) or not listed:
        raise invalid("attachment", "a photo block needs a non-empty list")
    refs = []
    for entry in listed:
        token = entry.get("id") if isinstance(entry, dict) else None
        photo = call.state.photo_tokens.get(token) if isinstance(token, str) else None
        usable = isinstance(photo, UploadedPhoto) and photo.user_id == call.user_id
        if not usable or photo.gid not in (None, group.id):
            raise OkError(121, "Invalid photo id")
        refs.append(f"group_photo:{photo.num}")
    return refs


def _media(call: Call, group: Group, items: list[Any]) -> tuple[list[str], list[dict[str, Any]]]:
    """(text blocks, other blocks as a read shows them), checked in OK's terms."""
    if len(items) > MAX_MEDIA_BLOCKS:
        raise OkError(600, "Too many media blocks")
    texts: list[str] = []
    extra: list[dict[str, Any]] = []
    photos = 0
    for item in items:
        kind = item.get("type") if isinstance(item, dict) else None
        if kind == "text" and isinstance(item.get("text"), str):
            texts.append(item["text"])
        elif kind == "link":
            if not _link_ok(item.get("url")):
                raise OkError(607, "Bad link format")
            extra.append({"type": "link", "url": item["url"]})
        elif kind == "photo":
            refs = _photo_refs(call, group, item)
            photos += len(refs)
            extra.append({"type": "photo", "photo_refs": refs})
        else:
            raise invalid("attachment", f"media item of type {kind!r} is not supported")
    if photos > MAX_PHOTOS:
        raise OkError(600, "Too many photos")
    if sum(len(t) for t in texts) > MAX_TOPIC_TEXT:
        raise OkError(601, "Text limit reached")
    if not any(t.strip() for t in texts) and not extra:
        raise invalid("attachment", "the topic has no content")
    return texts, extra


def mediatopic_post(call: Call) -> str:
    """A new group topic now; the answer is its id as a bare JSON string.

    ``onBehalfOfGroup`` defaults to "false" here (the topic is the user's): the
    docs give no default, so a client must say "true" to post as the group.
    """
    raw = call.req("attachment")
    if not call.params.get("gid", "").strip():
        raise missing("gid")  # user-page topics are not modelled
    kind = call.params.get("type", "").strip().upper()
    if kind not in ("GROUP_THEME", "GROUP_THEME_PROMO"):
        raise invalid("type", "a topic in a group needs type=GROUP_THEME")
    call.require("GROUP_CONTENT")
    group = call.group("gid")
    spec = _attachment(raw)
    as_group = _attachment_flag(spec, "onBehalfOfGroup")
    _attachment_flag(spec, "disableComments")  # validated only
    texts, extra = _media(call, group, spec["media"])
    rng = call.rng or random.Random()
    topic = Topic(
        call.state.new_topic_id(rng),
        group.id,
        call.now_ms,
        "\n".join(texts),
        extra_media=extra,
        author_uid=None if as_group else call.user_id,
    )
    group.topics[topic.id] = topic
    call.state.topics[topic.id] = topic
    return topic.id


# --------------------------------------------------------------------------- comments


def discussions_add_comment(call: Call) -> str:
    """A comment under a group topic; ``as_admin`` writes it as the group.

    The answer shape is not documented (the method's page is gone, notes §4.2);
    like ``mediatopic.post`` it is the new id as a bare JSON string.
    """
    topic = call.state.topics.get(call.req("entityId"))
    if call.req("entityType").upper() != "GROUP_TOPIC" or topic is None or topic.deleted:
        raise OkError(106, "Invalid entity id")
    text = call.req("comment") and call.params["comment"]
    if len(text) > MAX_COMMENT:
        raise invalid("comment", f"longer than {MAX_COMMENT} characters")
    target = None
    reply_to = call.params.get("reply_to_comment_id", "").strip()
    if reply_to:
        target = topic.by_id.get(reply_to)
        if target is None or target.deleted:
            raise OkError(141, "Invalid comment id")
    group = call.state.groups[topic.group_id]
    author, by_group = (group.id, True) if call.flag("as_admin") else (call.user_id, False)
    last = topic.comments[-1].date_ms if topic.comments else topic.created_ms
    date = max(call.now_ms, last + 1)  # a discussion never goes back in time
    return call.state.new_comment(topic, author, by_group, date, text, target=target).id


# --------------------------------------------------------------------------- emulator side


class Publishing(LoopbackEmulator):
    """What ``OkEmulator`` adds for writing: the upload server and the settings knob.

    A mixin so the emulator's main module stays about the read API; it relies on
    the ``state``, ``lock``, ``_mut_rng``, ``_error`` and ``clock_ms`` of ``OkEmulator``.
    """

    state: OkState
    lock: threading.RLock
    _mut_rng: random.Random
    discussion_writes: bool
    token_permissions: dict[str, frozenset[str]]

    def clock_ms(self) -> int:
        raise NotImplementedError

    def _error(self, err: OkError) -> Reply:
        raise NotImplementedError

    def handle_upload(self, query: str, headers: Mapping[str, str], body: bytes) -> Reply:
        """The upload server ``photosV2.getUploadUrl`` points at: multipart in, tokens out."""
        fault = self.begin_call("uploadImage", parse_qsl(query, keep_blank_values=True))
        if fault == HTTP500:
            return self.html_500()
        try:
            if fault is not None:  # the error burst
                raise OkError(1, "Unknown error")
            ctype = headers.get("Content-Type", "")
            with self.lock:
                payload = upload_photos(
                    self.state, query, ctype, body, self.clock_ms(), self._mut_rng
                )
        except OkError as err:
            return self._error(err)
        return self.json_reply(payload)

    def control_routes(self) -> dict[tuple[str, str], Callable[[dict[str, Any]], Any]]:
        """Adds ``POST /_emulator/settings``: ``discussion_writes``, ``permissions`` by token."""
        return {**super().control_routes(), ("POST", "settings"): self._control_settings}

    def _control_settings(self, data: dict[str, Any]) -> dict[str, Any]:
        if "discussion_writes" in data:
            self.discussion_writes = bool(data["discussion_writes"])
        for tok, perms in dict(data.get("permissions") or {}).items():
            if not isinstance(perms, list):
                raise ValueError(f"permissions of a token must be a list, not {perms!r}")
            self.token_permissions[str(tok)] = frozenset(map(str, perms))
        return {"ok": True, "discussion_writes": self.discussion_writes}


PUBLISH_METHODS: dict[str, Callable[[Call], Any]] = {
    "photosV2.getUploadUrl": photos_get_upload_url,
    "mediatopic.post": mediatopic_post,
    ADD_COMMENT: discussions_add_comment,
}
