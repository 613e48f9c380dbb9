"""``sendPhoto`` in the Telegram emulator: uploads, photo URLs, captions (notes §6).

Kept apart from :mod:`.methods` because media sending has rules of its
own that a production publisher must meet: a multipart upload of at most 10 MB
that must really be an image, a caption of at most 1,024 characters (the text
limit of a photo post, not 4,096), an HTTP(S) URL that Telegram would fetch
itself (here accepted as it is: there is no internet to fetch it from). A photo
posted in the channel gets its automatic forward in the discussion group like
any post; a photo in the group answers a comment like ``sendMessage`` does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from hub import images

from .json import message_json
from .methods import _admin, _member_chat, _reply_place
from .protocol import Call, Upload, bad

MAX_CAPTION = 1024
MAX_PHOTO_BYTES = 10 * 1024 * 1024  # "10 MB max size for photos" (multipart upload)
FILE_ID_PREFIX = "AgAC"  # photo file_ids the emulator hands out (json.photo_json)


def _photo_key(call: Call) -> str:
    """A stable key of the photo sent: its bytes, its URL or the file_id it reuses."""
    photo = call.params.get("photo")
    if isinstance(photo, Upload):
        if len(photo.data) > MAX_PHOTO_BYTES:
            raise bad("PHOTO_SAVE_FILE_INVALID")
        if images.kind(photo.data) is None:  # Telegram turns JPEG, PNG and GIF into photos
            raise bad("IMAGE_PROCESS_FAILED")
        return "upload-" + hashlib.sha256(photo.data).hexdigest()[:24]
    if photo is None or photo == "":
        raise bad("there is no photo in the request")
    ref = str(photo).strip()
    if ref.startswith(("http://", "https://")) and " " not in ref:
        return "url-" + hashlib.sha256(ref.encode()).hexdigest()[:24]
    if ref.startswith(FILE_ID_PREFIX):
        return "file-" + hashlib.sha256(ref.encode()).hexdigest()[:24]
    raise bad("wrong file identifier/HTTP URL specified")


def send_photo(call: Call) -> dict[str, Any]:
    """A photo post in the channel (plus its forward), or a photo reply in the group."""
    ch, is_group = _member_chat(call)
    caption = str(call.raw("caption") or "").strip()
    if len(caption) > MAX_CAPTION:
        raise bad("message caption is too long")
    if not is_group and not (_admin(ch, False) and ch.rights.can_post):
        raise bad("need administrator rights in the channel chat")
    key = _photo_key(call)
    if not is_group:
        post = call.world.publish(ch, call.now, caption, key, by_bot=call.bot.id)
        return message_json(ch, post)
    thread, reply_to = _reply_place(call, ch)
    m = call.world.comment(
        ch, thread, call.now, caption, sender=call.bot.user(), reply_to=reply_to, by_bot=call.bot.id
    )
    m.photo_key = key  # a bot's own message is no update, so nothing was emitted without it
    return message_json(ch, m)


PUBLISH_METHODS: dict[str, Callable[[Call], Any]] = {"sendPhoto": send_photo}
