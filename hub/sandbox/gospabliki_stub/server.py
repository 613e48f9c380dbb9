"""The Gospabliki stub's HTTP framing, hardened so the stub can be exposed.

Why not the emulators' plain handler: it reads a whole body (whatever its declared
size) before anything looks at the request, so one unauthenticated client could make
the stub wait for, or swallow, 100 MB; and ``http.server``'s listen backlog of 5
drops (or, on some systems, resets) most of 50 clients connecting at once. Here a
request is admitted from its head alone — the token, the route — before a byte of
its body is read; the body is read only up to its route's limit, with or without a
Content-Length (chunked); malformed framing is a JSON 400, never a traceback. A
refused request whose body stays unread ends its connection, so the rest of that
body cannot be taken for the next request. Each connection has its own thread and a
socket timeout, so a slow client holds up only itself.
"""

from __future__ import annotations

import contextlib
import re
import socket
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from hub.sandbox.harness import ANSWER_LOST, KeepAliveHandler, LoopbackServer, Reply

if TYPE_CHECKING:
    from hub.sandbox.harness import LoopbackEmulator

_HEX = re.compile(rb"[0-9A-Fa-f]{1,16}")
LINGER_SECONDS = 1.0  # how long a refused client may keep sending before the socket closes
LINGER_BYTES = 16 * 1024 * 1024


class Admitting(Protocol):
    """What the handler asks the stub before and while it reads a body."""

    def admit(self, verb: str, path: str, query: str, headers: Mapping[str, str]) -> Reply | None:
        """A refusal from the request's head alone (a missing token), or None to go on."""

    def body_limit(self, verb: str, path: str) -> int:
        """The most bytes of body this route reads."""

    def refuse(self, status: int, error: str, message: str) -> Reply:
        """A JSON error reply, counted in the stats."""


class StubServer(LoopbackServer):
    """The harness's server with a listen backlog that fits 50 clients at once, and more."""

    request_queue_size = 128  # the default 5 dropped 44 of 50 simultaneous connections

    def __init__(self, address: tuple[str, int], emulator: LoopbackEmulator) -> None:
        super().__init__(address, emulator)
        self.RequestHandlerClass = StubHandler


class StubHandler(KeepAliveHandler):
    """Admits a request from its head, then reads at most its route's limit of body."""

    timeout = 20  # seconds a silent client may keep its connection (and its thread)

    def _route(self, verb: str) -> None:
        emulator = self.server.emulator
        stub: Admitting = emulator  # type: ignore[assignment]
        url = urlsplit(self.path)
        reply = stub.admit(verb, url.path, url.query, self.headers)
        unread = reply is not None and self._declares_body()
        if reply is None:
            body, reply = self._read_body(stub, stub.body_limit(verb, url.path))
            unread = reply is not None  # refused before or while reading it
        if reply is None:
            try:
                reply = emulator.handle(verb, url.path, url.query, self.headers, body)
            except Exception:  # noqa: BLE001 - last resort: never a traceback on the wire
                reply = emulator.html_500()
        if reply is ANSWER_LOST:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._send(reply, close=unread)
        if unread:
            self._linger()

    def _declares_body(self) -> bool:
        length = self.headers.get("Content-Length")
        return "Transfer-Encoding" in self.headers or (length is not None and length.strip() != "0")

    def _send(self, reply: Reply, *, close: bool) -> None:
        status, ctype, payload, extra = reply
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in extra.items():
            self.send_header(name, value)
        if close:
            self.send_header("Connection", "close")  # also sets close_connection
        self.end_headers()
        self.wfile.write(payload)

    def _read_body(self, stub: Admitting, limit: int) -> tuple[bytes, Reply | None]:
        """The body, or why it is not read: bad framing (400), too large (413), gone."""
        lengths = {v.strip() for v in self.headers.get_all("Content-Length") or ()}
        coding = ",".join(self.headers.get_all("Transfer-Encoding") or ()).strip().lower()
        if coding:
            if lengths or coding != "chunked":
                message = "send a body with either Content-Length or Transfer-Encoding: chunked"
                return b"", stub.refuse(400, "bad_request", message)
            return self._read_chunked(stub, limit)
        if not lengths:
            return b"", None
        length = lengths.pop()
        if lengths or not (length.isascii() and length.isdigit()):
            return b"", stub.refuse(400, "bad_request", "Content-Length is not a byte count")
        if int(length) > limit:
            return b"", _too_large(stub, f"the body is {int(length)} bytes", limit)
        body = self.rfile.read(int(length))
        return (body, None) if len(body) == int(length) else (b"", ANSWER_LOST)

    def _read_chunked(self, stub: Admitting, limit: int) -> tuple[bytes, Reply | None]:
        chunks: list[bytes] = []
        size = 0
        while True:
            line = self.rfile.readline(1024)
            if not line:
                return b"", ANSWER_LOST  # the client hung up mid-body
            head = line.split(b";", 1)[0].strip()
            if not line.endswith(b"\n") or not _HEX.fullmatch(head):
                return b"", stub.refuse(400, "bad_request", "the chunked body is malformed")
            length = int(head, 16)
            if length == 0:
                break
            if size + length > limit:
                return b"", _too_large(stub, "the body is longer", limit)
            chunk = self.rfile.read(length)
            if len(chunk) < length or self.rfile.readline(3) not in (b"\r\n", b"\n"):
                return b"", stub.refuse(400, "bad_request", "the chunked body is malformed")
            chunks.append(chunk)
            size += length
        for _ in range(64):  # trailer fields, ignored, up to the blank line that ends them
            if self.rfile.readline(1024) in (b"\r\n", b"\n", b""):
                break
        return b"".join(chunks), None

    def _linger(self) -> None:
        """Let the answer reach a client still sending the body, then close.

        Closing a socket with unread data resets the connection, and the reset can
        overtake the answer: the client would see "connection reset" instead of its
        401 or 413. So stop writing, and discard what arrives for a moment.
        """
        with contextlib.suppress(OSError):
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_WR)
            deadline = time.monotonic() + LINGER_SECONDS
            drained = 0
            while drained < LINGER_BYTES and (left := deadline - time.monotonic()) > 0:
                self.connection.settimeout(left)
                data = self.connection.recv(65536)
                if not data:
                    break
                drained += len(data)


def _too_large(stub: Admitting, what: str, limit: int) -> Reply:
    return stub.refuse(413, "too_large", f"{what}; the limit is {limit} bytes")
