"""A draft's attachments: local images, images by URL, and links.

A picture — a local file or one given by URL — is copied beside the database
when the draft is written, so what goes out is exactly the picture that was
approved: a file on a laptop or a website can change between approval and
publication. Any other
URL is a link (VK's link attachment, an OK link block, a line under a Telegram
post). The rule is by the URL's ending, so a specialist can predict it.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from .. import images
from ..errors import ConfigError
from ..secrets import redact

IMAGE_ENDINGS = (".jpg", ".jpeg", ".png", ".gif")
MAX_IMAGE_BYTES = 10 * 1024 * 1024  # Telegram's limit for a photo, the smallest of the three
MAX_LOCAL_BYTES = 50 * 1024 * 1024  # VK's, the largest: each network's own limit is checked later


def is_url(value: str) -> bool:
    return value.startswith(("http://", "https://"))


def is_image_url(value: str) -> bool:
    return is_url(value) and urlsplit(value).path.lower().endswith(IMAGE_ENDINGS)


def download_image(
    url: str, folder: Path, *, timeout: float = 30.0, total_seconds: float = 120.0
) -> Path:
    """Fetch an image once; keep it under ``folder`` named by its content's hash.

    Refused with one line when it cannot be fetched, is too large, takes longer
    than ``total_seconds`` (a server trickling bytes never trips the read
    timeout), or is not a JPEG, PNG or GIF (a web page saying "not found" is
    not a picture).
    """
    deadline = time.monotonic() + total_seconds
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
                if time.monotonic() > deadline:
                    raise ConfigError(
                        f"the image {redact(url)} took over {total_seconds:.0f} s to download; "
                        "save the picture and attach the file"
                    )
    except httpx.HTTPError as exc:
        raise ConfigError(
            f"cannot download the image {redact(url)} ({type(exc).__name__}); "
            "check the link, or save the picture and attach the file"
        ) from None
    found = images.kind(bytes(data[:8]))
    if found is None:
        raise ConfigError(f"{redact(url)} is not a JPEG, PNG or GIF picture")
    return _keep(bytes(data), images.EXTENSION[found], folder)


def _keep(data: bytes, ext: str, folder: Path) -> Path:
    """The bytes under a name made of their hash: the same picture is kept once."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (hashlib.sha256(data).hexdigest()[:32] + ext)
    if not path.exists():
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(path)  # never a half-written picture under the final name
    return path


def copy_local(item: str, folder: Path) -> Path:
    """A local file copied as it is now; the networks' own checks judge it later."""
    path = Path(item).expanduser()
    if not path.is_file():
        raise ConfigError(
            f"attachment {item!r} is not a file here; give an existing image file or an http(s) URL"
        )
    if path.stat().st_size > MAX_LOCAL_BYTES:
        raise ConfigError(f"attachment {item!r} is over 50 MB; attach a smaller picture")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read attachment {item!r}: {exc.strerror}") from None
    return _keep(data, path.suffix.lower() or ".bin", folder)


def check_attachments(items: list[str], folder: Path) -> list[str]:
    """Links as given; pictures (by URL or local) copied into ``folder`` as they are now."""
    out = []
    for item in items:
        item = item.strip()
        if is_image_url(item):
            out.append(str(download_image(item, folder).resolve()))
        elif is_url(item):
            out.append(item)
        else:
            out.append(str(copy_local(item, folder).resolve()))
    return out
