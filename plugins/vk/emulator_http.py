"""HTTP plumbing of the VK emulator: threaded server, request handler, body parsing.

Kept separate from the API logic so the emulator module reads as "what VK does"
and this one as "how bytes move". The handler calls back into the emulator via
``handle_method``/``handle_control`` and only adds framing.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

from .emulator_methods import VkError

HTML_500 = b"<html><body><h1>500 Internal Server Error</h1></body></html>"
Reply = tuple[int, str, bytes]  # HTTP status, content type, body


class Backend(Protocol):
    """What the handler needs from the emulator."""

    def handle_method(self, name: str, query: str, headers: Any, body: bytes) -> Reply: ...

    def handle_control(self, verb: str, path: str, body: bytes) -> Reply: ...


def json_bytes(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_reply(obj: Any, status: int = 200) -> Reply:
    return status, "application/json; charset=utf-8", json_bytes(obj)


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


class EmulatorServer(ThreadingHTTPServer):
    """Tracks open connections so ``stop()`` also ends idle keep-alive ones.

    Without this a pooled client could keep talking to a stopped emulator's state.
    """

    daemon_threads = True

    def __init__(self, address: tuple[str, int], emulator: Backend) -> None:
        super().__init__(address, _Handler)
        self.emulator = emulator
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up mid-answer (a killed sync) is normal here, not news."""
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the peer
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    """Routes HTTP to the emulator; keep-alive so pooled httpx clients behave as on VK."""

    protocol_version = "HTTP/1.1"
    server_version = "kittenx"
    sys_version = ""
    timeout = 60
    # One buffered write per reply and no Nagle: otherwise delayed ACKs add ~40 ms per call.
    wbufsize = 64 * 1024
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep quiet
        return

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self._route("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._route("POST")

    def _route(self, verb: str) -> None:
        emulator: Backend = self.server.emulator  # type: ignore[attr-defined]  # _Server
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        url = urlsplit(self.path)
        try:
            if url.path.startswith("/method/"):
                reply = emulator.handle_method(
                    url.path[len("/method/") :], url.query, self.headers, body
                )
            elif url.path.startswith("/_emulator/"):
                reply = emulator.handle_control(verb, url.path, body)
            else:
                reply = json_reply({"ok": False, "error": "not found"}, 404)
        except Exception:  # noqa: BLE001 - last resort: never a traceback on the wire
            reply = (500, "text/html; charset=utf-8", HTML_500)
        status, ctype, payload = reply
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
