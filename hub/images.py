"""What kind of image a file is, and its size in pixels, from its first bytes.

The formats every network takes for a photo are JPEG, PNG and GIF; each plugin
checks a draft's photos against its own network's limits, and the emulators'
upload servers recognize images the same way, so all of them read images here.
This module knows formats only, never a network's rules. Standard library only:
a header is enough, no image library is needed.
"""

from __future__ import annotations

import io
import struct
from typing import BinaryIO

KINDS = ("jpeg", "png", "gif")
MIME = {"jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif"}
EXTENSION = {"jpeg": ".jpg", "png": ".png", "gif": ".gif"}

#: JPEG start-of-frame markers (baseline, progressive, lossless...): they carry the size
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def kind(head: bytes) -> str | None:
    """``jpeg``, ``png`` or ``gif`` by the file's magic bytes; None for anything else."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    return None


def mime(found: str | None) -> str | None:
    """The MIME type of a :func:`kind` (``image/jpeg``...); None for None or an unknown kind."""
    return MIME.get(found or "")


def content_type(data: bytes) -> str:
    """The MIME type to upload ``data`` under: its image type, else ``application/octet-stream``."""
    return mime(kind(data)) or "application/octet-stream"


def size(fp: BinaryIO) -> tuple[str, int, int] | None:
    """(kind, width, height) of the image in ``fp`` (read from its start), or None if unreadable."""
    fp.seek(0)
    head = fp.read(32)
    found = kind(head)
    if found == "png" and len(head) >= 24 and head[12:16] == b"IHDR":
        width, height = struct.unpack(">II", head[16:24])
    elif found == "gif" and len(head) >= 10:
        width, height = struct.unpack("<HH", head[6:10])
    elif found == "jpeg":
        dims = _jpeg_size(fp)
        if dims is None:
            return None
        width, height = dims
    else:
        return None
    if width <= 0 or height <= 0:
        return None
    return found, width, height


def size_of(data: bytes) -> tuple[str, int, int] | None:
    """:func:`size` of an image held in memory."""
    return size(io.BytesIO(data))


def _jpeg_size(fp: BinaryIO) -> tuple[int, int] | None:
    """Walk the JPEG segments to the first start-of-frame (EXIF and ICC blocks come first)."""
    fp.seek(2)
    while True:
        marker = fp.read(2)
        if len(marker) < 2 or marker[0] != 0xFF:
            return None
        code = marker[1]
        while code == 0xFF:  # fill bytes before a marker
            nxt = fp.read(1)
            if not nxt:
                return None
            code = nxt[0]
        if code in (0xD8, 0x01) or 0xD0 <= code <= 0xD7:  # markers without a length
            continue
        raw = fp.read(2)
        if len(raw) < 2:
            return None
        length = struct.unpack(">H", raw)[0]
        if length < 2:
            return None
        if code in _SOF:
            body = fp.read(5)
            if len(body) < 5:
                return None
            height, width = struct.unpack(">HH", body[1:5])
            return width, height
        if code == 0xD9:  # end of image before any frame
            return None
        fp.seek(length - 2, 1)
