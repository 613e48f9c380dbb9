"""What OK's HTTP looks like to the emulator: form parsing, its replies and error page.

Kept apart from the API logic so ``emulator.py`` reads as "what OK does"; serving
itself (server, keep-alive handler, routing to ``OkEmulator.handle``) is shared in
``hub.sandbox.harness``. OK answers errors with HTTP 200 plus an ``invocation-error``
header, so its replies carry extra headers.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from hub.sandbox.harness import Reply, json_reply

from .protocol import OkError

HTML_500 = (
    b"<html><head><title>500</title></head><body><h1>Internal Server Error</h1></body></html>"
)
JSON_TYPE = "application/json;charset=utf-8"  # OK's spelling, without a space


def error_reply(err: OkError) -> Reply:
    """OK's error envelope: HTTP 200, JSON details, the code in ``invocation-error``."""
    headers = {"invocation-error": str(err.code)}
    return json_reply(err.body(), headers=headers, content_type=JSON_TYPE)


def parse_form(content_type: str, body: bytes) -> dict[str, str]:
    """Form parameters of a POST body; other bodies carry no parameters for OK."""
    ctype = content_type.split(";")[0].strip().lower()
    if not body or ctype not in ("", "application/x-www-form-urlencoded"):
        return {}
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
