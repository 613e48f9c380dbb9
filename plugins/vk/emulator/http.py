"""What VK's HTTP looks like to the emulator: how request bodies parse, its error page.

Kept separate from the API logic so the emulator module reads as "what VK does".
Serving itself (server, keep-alive handler, framing) is shared in ``hub.sandbox.harness``.
"""

from __future__ import annotations

from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import parse_qsl

from .methods import VkError

HTML_500 = b"<html><body><h1>500 Internal Server Error</h1></body></html>"


def parse_body(content_type: str, body: bytes) -> dict[str, str]:
    """Form or multipart parameters; a JSON body is refused as VK does (error 8)."""
    ctype = content_type.split(";")[0].strip().lower()
    if not body:
        return {}
    if ctype == "application/json" or (
        ctype != "application/x-www-form-urlencoded" and body.lstrip()[:1] in (b"{", b"[")
    ):
        raise VkError(8, "Invalid request")
    if ctype == "multipart/form-data":
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
        )
        out = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name:
                out[str(name)] = part.get_payload(decode=True).decode("utf-8", "replace")
        return out
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
