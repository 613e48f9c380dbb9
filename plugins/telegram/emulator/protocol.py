"""Bot API protocol rules the Telegram emulator applies to every call (notes §1).

Kept apart from the methods because these are the rules a production client meets
on every request: parameters arrive as a query string, a urlencoded or multipart
form (every value a string, nested objects as JSON text, files as
:class:`Upload`) or a JSON body (real types); errors are ``{"ok": false,
"error_code", "description", "parameters"?}`` with the HTTP status repeating the code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from hub.sandbox.harness import Reply, json_reply

if TYPE_CHECKING:
    from .data import Channel, World
    from .updates import Bot

JSON_TYPE = "application/json"  # what api.telegram.org sends, without a charset
HTML_500 = (
    b"<html>\r\n<head><title>500 Internal Server Error</title></head>\r\n<body>\r\n"
    b"<center><h1>500 Internal Server Error</h1></center>\r\n<hr><center>nginx/1.18.0</center>"
    b"\r\n</body>\r\n</html>\r\n"
)


class TgError(Exception):
    """A Bot API error answer."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def reply(self) -> Reply:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return json_reply(body, self.code, content_type=JSON_TYPE)


def bad(text: str) -> TgError:
    return TgError(400, f"Bad Request: {text}")


def forbidden(text: str) -> TgError:
    return TgError(403, f"Forbidden: {text}")


def unauthorized() -> TgError:
    return TgError(401, "Unauthorized")


def not_found() -> TgError:
    return TgError(404, "Not Found")


def internal() -> TgError:
    return TgError(500, "Internal Server Error")


@dataclass(frozen=True)
class Upload:
    """A file sent as a multipart part with a filename (``photo`` of sendPhoto)."""

    filename: str
    content_type: str
    data: bytes


def parse_params(query: str, content_type: str, body: bytes) -> dict[str, Any]:
    """Query string, then the body (JSON, urlencoded or multipart) on top of it."""
    params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    ctype = content_type.split(";")[0].strip().lower()
    if not body.strip():
        return params
    if ctype == "application/json":
        try:
            data = json.loads(body)
        except ValueError:
            raise bad("can't parse JSON object") from None
        if not isinstance(data, dict):
            raise bad("JSON object expected")
        params.update(data)
    elif ctype == "multipart/form-data":
        head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1")
        message = BytesParser(policy=HTTP).parsebytes(head + body)
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if not name:
                continue
            data = part.get_payload(decode=True) or b""
            if part.get_filename() is None:  # a text field: UTF-8 unless it says otherwise
                try:
                    text = data.decode(part.get_content_charset() or "utf-8", "replace")
                except LookupError:  # a charset nobody knows: read it as UTF-8
                    text = data.decode("utf-8", "replace")
                params[str(name)] = text.strip("\r\n")
            else:  # a file: kept as bytes for the method that takes it (sendPhoto)
                params[str(name)] = Upload(str(part.get_filename()), part.get_content_type(), data)
    else:
        params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return params


@dataclass
class Call:
    """One method call: parameters as received, the world, the calling bot, emulated now."""

    params: dict[str, Any]
    world: World
    bot: Bot
    now: int

    def raw(self, name: str) -> Any:
        value = self.params.get(name)
        return None if value is None or value == "" else value

    def integer(self, name: str, error: str | None = None) -> int | None:
        value = self.raw(name)
        if value is None:
            return None
        if isinstance(value, bool):
            raise bad(error or f"invalid {name} specified")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad(error or f"invalid {name} specified") from None

    def required_int(self, name: str, error: str | None = None) -> int:
        value = self.integer(name, error)
        if value is None:
            raise bad(error or f"invalid {name} specified")
        return value

    def flag(self, name: str) -> bool:
        value = self.raw(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1", "yes")
        return bool(value)

    def obj(self, name: str) -> Any:
        """A nested object: real JSON in a JSON body, JSON text in a form (notes §1)."""
        value = self.raw(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad(f"can't parse {name} JSON object") from None
        return value

    def chat(self) -> tuple[Channel, bool]:
        """(channel, is_group) named by ``chat_id``: an id, an id string or "@username"."""
        ref = self.raw("chat_id")
        if ref is None:
            raise bad("chat_id is empty")
        if isinstance(ref, bool) or not isinstance(ref, str | int):
            raise bad("chat not found")
        found = self.world.find(ref)
        if found is None:
            raise bad("chat not found")
        return found
