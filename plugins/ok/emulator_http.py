"""HTTP plumbing of the OK emulator: threaded server, routing, form parsing, replies.

Kept apart from the API logic so ``emulator.py`` reads as "what OK does" and this
module as "how bytes move". Routes: ``/fb.do`` (GET query or POST form, method in
the ``method`` parameter), ``/api/<group>/<method>`` (same, method in the path) and
the test-only ``/_emulator/*``. OK answers errors with HTTP 200 plus an
``invocation-error`` header, so replies carry extra headers.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

from .emulator_protocol import OkError

HTML_500 = (
    b"<html><head><title>500</title></head><body><h1>Internal Server Error</h1></body></html>"
)
Reply = tuple[int, str, bytes, dict[str, str]]  # status, content type, body, extra headers


class Backend(Protocol):
    """What the handler needs from the emulator."""

    def handle_api(self, method: str | None, query: str, headers: Any, body: bytes) -> Reply: ...

    def handle_control(self, verb: str, path: str, body: bytes) -> Reply: ...


def json_reply(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    body = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return status, "application/json;charset=utf-8", body, headers or {}


def error_reply(err: OkError) -> Reply:
    """OK's error envelope: HTTP 200, JSON details, the code in ``invocation-error``."""
    return json_reply(err.body(), headers={"invocation-error": str(err.code)})


def html_500() -> Reply:
    return 500, "text/html; charset=utf-8", HTML_500, {}


def parse_form(content_type: str, body: bytes) -> dict[str, str]:
    """Form parameters of a POST body; other bodies carry no parameters for OK."""
    ctype = content_type.split(";")[0].strip().lower()
    if not body or ctype not in ("", "application/x-www-form-urlencoded"):
        return {}
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def route_control(
    routes: Mapping[tuple[str, str], Callable[[dict[str, Any]], Any]],
    verb: str,
    path: str,
    body: bytes,
) -> Reply:
    """Run a ``/_emulator/<action>`` handler: JSON object in, JSON out.

    A ``KeyError`` from the handler (unknown group/topic/comment) becomes 404,
    ``TypeError``/``ValueError`` (bad arguments) 400, so tests see what went wrong.
    """
    action = path.strip("/").removeprefix("_emulator/")
    handler = routes.get((verb, action))
    if handler is None:
        known = any(a == action for _, a in routes)
        return json_reply({"ok": False, "error": f"no route {verb} {path}"}, 405 if known else 404)
    data: Any = {}
    if verb == "POST" and body.strip():
        try:
            data = json.loads(body)
        except ValueError:
            return json_reply({"ok": False, "error": "body is not valid JSON"}, 400)
        if not isinstance(data, dict):
            return json_reply({"ok": False, "error": "body must be a JSON object"}, 400)
    try:
        return json_reply(handler(data))
    except KeyError as exc:
        return json_reply({"ok": False, "error": str(exc.args[0] if exc.args else exc)}, 404)
    except (TypeError, ValueError) as exc:
        return json_reply({"ok": False, "error": str(exc)}, 400)


class OkHttpServer(ThreadingHTTPServer):
    """Tracks open connections so ``stop()`` also ends idle keep-alive ones.

    Without this a pooled httpx client could keep talking to a stopped emulator.
    """

    daemon_threads = True

    def __init__(self, address: tuple[str, int], backend: Backend) -> None:
        super().__init__(address, _Handler)
        self.backend = backend
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client hanging up mid-answer (a killed sync) is normal here, not news."""
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
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
    """Routes HTTP to the emulator; HTTP/1.1 keep-alive like api.ok.ru."""

    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""
    timeout = 60
    wbufsize = 64 * 1024  # one write per reply, no Nagle: avoids ~40 ms delayed-ACK stalls
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stay quiet
        return

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self._route("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._route("POST")

    def _route(self, verb: str) -> None:
        backend: Backend = self.server.backend  # type: ignore[attr-defined]  # OkHttpServer
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        url = urlsplit(self.path)
        parts = url.path.strip("/").split("/")
        try:
            if url.path == "/fb.do":
                reply = backend.handle_api(None, url.query, self.headers, body)
            elif len(parts) == 3 and parts[0] == "api" and all(parts):
                reply = backend.handle_api(f"{parts[1]}.{parts[2]}", url.query, self.headers, body)
            elif url.path.startswith("/_emulator/"):
                reply = backend.handle_control(verb, url.path, body)
            else:
                reply = json_reply({"ok": False, "error": "not found"}, 404)
        except Exception:  # noqa: BLE001 - last resort: never a traceback on the wire
            reply = html_500()
        status, ctype, payload, extra = reply
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)
