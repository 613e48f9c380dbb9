"""A draft's attachments: local images, images by URL, and links.

An image given by URL is downloaded when the draft is written and kept beside
the database, so what goes out is exactly the picture that was approved — a
picture on a website can change between approval and publication. Any other
URL is a link (VK's link attachment, an OK link block, a line under a Telegram
post). The rule is by the URL's ending, so a specialist can predict it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from ..errors import ConfigError
from ..secrets import redact

IMAGE_ENDINGS = (".jpg", ".jpeg", ".png", ".gif")
MAX_IMAGE_BYTES = 10 * 1024 * 1024  # Telegram's limit for a photo, the smallest of the three
MAGIC = {
    b"\xff\xd8\xff": ".jpg",
    b"\x89PNG\r\n\x1a\n": ".png",
    b"GIF87a": ".gif",
    b"GIF89a": ".gif",
}


def is_url(value: str) -> bool:
    return value.startswith(("http://", "https://"))


def is_image_url(value: str) -> bool:
    return is_url(value) and urlsplit(value).path.lower().endswith(IMAGE_ENDINGS)


def _kind(data: bytes) -> str | None:
    return next((ext for magic, ext in MAGIC.items() if data.startswith(magic)), None)


def download_image(url: str, folder: Path, *, timeout: float = 30.0) -> Path:
    """Fetch an image once; keep it under ``folder`` named by its content's hash.

    Refused with one line when it cannot be fetched, is too large, or is not a
    JPEG, PNG or GIF (a web page saying "not found" is not a picture).
    """
    try:
        with httpx.stream("GET", url, timeout=timeout, follow_redirects=True) as response:
            if response.status_code != 200:
                raise ConfigError(
                    f"the image {redact(url)} answered HTTP {response.status_code}; "
                    "check the link, or save the picture and attach the file"
                )
            data = bytearray()
            for chunk in response.iter_bytes():
                data += chunk
                if len(data) > MAX_IMAGE_BYTES:
                    raise ConfigError(
                        f"the image {redact(url)} is over 10 MB; attach a smaller picture"
                    )
    except httpx.HTTPError as exc:
        raise ConfigError(
            f"cannot download the image {redact(url)} ({type(exc).__name__}); "
            "check the link, or save the picture and attach the file"
        ) from None
    ext = _kind(bytes(data[:8]))
    if ext is None:
        raise ConfigError(f"{redact(url)} is not a JPEG, PNG or GIF picture")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (hashlib.sha256(data).hexdigest()[:32] + ext)
    if not path.exists():
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(path)  # never a half-written picture under the final name
    return path


def check_attachments(items: list[str], folder: Path) -> list[str]:
    """Links as given; images by URL downloaded into ``folder``; local files made absolute."""
    out = []
    for item in items:
        item = item.strip()
        if is_image_url(item):
            out.append(str(download_image(item, folder).resolve()))
        elif is_url(item):
            out.append(item)
        else:
            path = Path(item).expanduser()
            if not path.is_file():
                raise ConfigError(
                    f"attachment {item!r} is not a file here; give an existing image file or an "
                    "http(s) URL"
                )
            out.append(str(path.resolve()))
    return out
