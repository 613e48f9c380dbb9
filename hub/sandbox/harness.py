"""A harness for loopback API emulators: real HTTP servers standing in for a network.

Why shared: each network plugin tests its production client end to end against an
emulator, and the plumbing is the same for all — a threaded keep-alive server pooled
clients talk to quickly, a stop that also drops idle connections, injected faults,
request counters, ``/_emulator/*`` control endpoints, and a CLI that stops cleanly on
SIGTERM. Nothing here knows a network: a :class:`LoopbackEmulator` subclass answers
:meth:`~LoopbackEmulator.handle` with what its network does. Standard library only
(plus click for the banner), so an emulator starts anywhere the hub runs.
"""

from __future__ import annotations

import contextlib
import json
import random
import signal
import socket
import sys
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import urlsplit

import click

Reply = tuple[int, str, bytes, Mapping[str, str]]  # status, content type, body, extra headers
JSON_TYPE = "application/json; charset=utf-8"
HTTP500 = "http500"  # the fault kind every emulator has: an HTML error page instead of an answer
#: a reply that is no reply: the server applied the call, then hangs up without answering
#: (what a client sees when a timeout or a dropped connection eats the answer of a write)
ANSWER_LOST: Reply = (0, "", b"", {})


def json_reply(
    obj: Any,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    *,
    content_type: str = JSON_TYPE,
) -> Reply:
    """Compact UTF-8 JSON, as real APIs send it (and cheaper to parse in benchmarks)."""
    body = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return status, content_type, body, headers or {}


# --------------------------------------------------------------------------- helpers


class Stats:
    """Thread-safe request counters; tests assert on them (e.g. no token ever in a URL).

    Declared as a template whose order is the order :meth:`as_dict` reports: an int
    field is a counter, a dict field a tally by key (method name, error code). The
    default is the standard set :meth:`LoopbackEmulator.begin_call` maintains; an
    emulator with more counters lists the standard ones too.
    """

    def __init__(self, **fields: int | dict[str, int]) -> None:
        if not fields:
            fields = {"requests": 0, "by_method": {}, "errors": {}, HTTP500: 0, "tokens_in_url": 0}
        self._fields = tuple(fields)
        self._tallies = frozenset(name for name, value in fields.items() if isinstance(value, dict))
        self._lock = threading.Lock()
        self._values: dict[str, Any] = {}
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._values = {
                name: defaultdict(int) if name in self._tallies else 0 for name in self._fields
            }

    def count(self, **changes: int | str | Iterable[str]) -> None:
        """Add in one step: an int to a counter, one per key (or keys) to a tally."""
        with self._lock:
            for name, change in changes.items():
                if name not in self._tallies:
                    self._values[name] += change
                    continue
                keys = [change] if isinstance(change, str) else change
                for key in keys:
                    self._values[name][key] += 1

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                name: dict(value) if name in self._tallies else value
                for name, value in self._values.items()
            }


class Faults:
    """Injected faults: bursts ("the next N requests"), seeded random rates, slowness.

    A kind is named by the keyword that sets its burst (``http500``, ``error_burst``)
    and kinds are checked in the order given, every burst before any rate, so a test
    asking for "two 500s and one error" gets exactly that. The RNG is seeded apart
    from the emulator's data so turning faults on never changes the generated world.
    """

    def __init__(
        self, seed: object = 1, rates: Mapping[str, float] | None = None, slow_ms: int = 0
    ) -> None:
        self._rng = random.Random(f"faults-{seed}")
        self._lock = threading.Lock()
        self._rates = dict(rates or {})
        self._bursts = dict.fromkeys(self._rates, 0)
        self._slow_ms = slow_ms

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(self._rates)

    def set(self, *, slow_ms: int | None = None, **bursts: int) -> None:
        """Replace every burst (unnamed ones end); ``slow_ms=None`` keeps the delay."""
        unknown = sorted(set(bursts) - set(self._bursts))
        if unknown:
            raise TypeError(f"unknown fault kinds {unknown}; expected some of {self.kinds}")
        with self._lock:
            for kind in self._bursts:
                self._bursts[kind] = max(0, int(bursts.get(kind, 0)))
            if slow_ms is not None:
                self._slow_ms = max(0, int(slow_ms))

    def pause(self) -> None:
        """Sleep the configured delay (a slow network, for timeout and pacing tests)."""
        with self._lock:
            slow = self._slow_ms
        if slow:
            time.sleep(slow / 1000)

    def draw(self) -> str | None:
        """The fault kind hitting this request, or None."""
        with self._lock:
            for kind, left in self._bursts.items():
                if left > 0:
                    self._bursts[kind] = left - 1
                    return kind
            for kind, rate in self._rates.items():
                if rate > 0 and self._rng.random() < rate:
                    return kind
        return None


class RateWindow:
    """Per-key rate limit: a sliding one-second window over *accepted* calls only.

    Rejected calls do not count, so a client that backs off recovers within a second,
    as on the real networks. ``limit() <= 0`` disables it; the limit is read per call
    so tests may change an emulator's ``rate_limit`` while it runs.
    """

    def __init__(self, limit: Callable[[], float]) -> None:
        self._limit = limit
        self._lock = threading.Lock()
        self._windows: dict[str, deque[float]] = {}

    def allow(self, key: str) -> bool:
        limit = self._limit()
        if limit <= 0:
            return True
        with self._lock:
            now = time.monotonic()
            window = self._windows.setdefault(key, deque())
            while window and window[0] <= now - 1.0:
                window.popleft()
            if len(window) >= limit:
                return False
            window.append(now)
            return True


# --------------------------------------------------------------------------- HTTP


class LoopbackServer(ThreadingHTTPServer):
    """Tracks open connections so ``stop()`` also ends idle keep-alive ones.

    Without this a pooled client could keep talking to a stopped emulator's state.
    """

    daemon_threads = True

    def __init__(self, address: tuple[str, int], emulator: LoopbackEmulator) -> None:
        super().__init__(address, KeepAliveHandler)
        self.emulator = emulator
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up mid-answer (a killed sync) is normal here, not news."""
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


class KeepAliveHandler(BaseHTTPRequestHandler):
    """Frames HTTP/1.1 keep-alive exchanges; all meaning is in ``LoopbackEmulator.handle``.

    Keep-alive because production clients pool connections, as they do on the real APIs.
    """

    server: LoopbackServer
    protocol_version = "HTTP/1.1"
    sys_version = ""
    timeout = 60
    # One buffered write per reply and no Nagle: otherwise delayed ACKs add ~40 ms per call.
    wbufsize = 64 * 1024
    disable_nagle_algorithm = True

    def version_string(self) -> str:
        """The ``Server`` header: whatever the emulated network's servers call themselves."""
        return self.server.emulator.server_software + " " + self.sys_version

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep quiet
        return

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self._route("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._route("POST")

    def _route(self, verb: str) -> None:
        emulator = self.server.emulator
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        url = urlsplit(self.path)
        try:
            reply = emulator.handle(verb, url.path, url.query, self.headers, body)
        except Exception:  # noqa: BLE001 - last resort: never a traceback on the wire
            reply = emulator.html_500()
        if reply is ANSWER_LOST:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        status, ctype, payload, extra = reply
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


# --------------------------------------------------------------------------- emulator


class LoopbackEmulator:
    """Lifecycle, clock, counters, faults and control endpoints of a loopback emulator.

    A subclass sets the class attributes, passes its :class:`Stats` and
    :class:`Faults` up, answers its API in :meth:`handle` (falling back on
    ``super().handle`` for the rest) and offers :meth:`snapshot` and
    :meth:`mutations` to the ``/_emulator/*`` control endpoints.
    """

    thread_name = "emulator"  # serving threads are "<thread_name>-<port>"
    server_software = "emulator"  # the Server header
    json_type = JSON_TYPE
    error_page = b"<html><body><h1>500 Internal Server Error</h1></body></html>"
    token_param = "access_token"  # counted in stats()["tokens_in_url"] when sent in a URL
    touched_ids: tuple[str, ...] = ()  # a mutation returning None answers the first of these
    server_class: type[LoopbackServer] = LoopbackServer  # a hardened one for an exposed stub

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        now: float | None = None,
        stats: Stats | None = None,
        faults: Faults | None = None,
    ) -> None:
        self.host = host
        self._port = port
        self._fixed_now = now
        self._t0 = time.monotonic()
        self._stats = stats if stats is not None else Stats()
        self._faults = faults if faults is not None else Faults()
        self._server: LoopbackServer | None = None
        self._thread: threading.Thread | None = None
        self._activity_stop = threading.Event()
        self._lost_answers: dict[str, int] = {}
        self._lost_delay: dict[str, float] = {}
        self._lost_lock = threading.Lock()

    # ------------------------------------------------------------------ live activity

    def resident_comment(self, rng: random.Random) -> None:
        """Add one resident's comment somewhere recent (a subclass knows its own data)."""
        raise NotImplementedError

    def keep_alive(self, every_seconds: float, seed: int = 1) -> None:
        """Residents keep writing: a new comment every ``every_seconds`` until stopped.

        What a daemon meets in real life — questions, complaints, thanks, and now
        and then spam or rudeness for moderation — drawn from a seeded generator.
        """
        rng = random.Random(f"activity-{seed}")

        def run() -> None:
            while not self._activity_stop.wait(every_seconds):
                with contextlib.suppress(Exception):  # a quiet moment is no reason to die
                    self.resident_comment(rng)

        threading.Thread(target=run, name=f"{self.thread_name}-activity", daemon=True).start()

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        """Bind and serve in a daemon thread (port 0 picks a free port)."""
        if self._server is not None:
            return self
        server = self.server_class((self.host, self._port), self)
        self._server = server
        self._port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{self.thread_name}-{self._port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._activity_stop.set()
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.close_connections()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def serve_forever(self) -> None:
        """Serve in the foreground until KeyboardInterrupt (the CLI maps SIGTERM to it)."""
        self.start()
        try:
            while self._thread is not None and self._thread.is_alive():
                self._thread.join(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self._port}"

    def clock(self) -> float:
        """Emulated unix time: real time, or ``now`` advancing with real elapsed time."""
        if self._fixed_now is None:
            return time.time()
        return self._fixed_now + (time.monotonic() - self._t0)

    # ------------------------------------------------------------------ inspection

    def snapshot(self) -> dict[str, Any]:
        """The ground truth tests compare with (``GET /_emulator/state``)."""
        return {}

    def stats(self) -> dict[str, Any]:
        return self._stats.as_dict()

    def reset_stats(self) -> None:
        self._stats.reset()

    def mutations(self) -> dict[str, Callable[..., Any]]:
        """Changes ``POST /_emulator/mutate`` may make, by ``op`` name."""
        return {}

    # ------------------------------------------------------------------ requests

    def handle(
        self, verb: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> Reply:
        """One HTTP request to its reply. Subclasses answer their API and call this last."""
        if path.startswith("/_emulator/"):
            return self.handle_control(verb, path, body)
        return self.json_reply({"ok": False, "error": "not found"}, 404)

    def json_reply(
        self, obj: Any, status: int = 200, headers: Mapping[str, str] | None = None
    ) -> Reply:
        return json_reply(obj, status, headers, content_type=self.json_type)

    def html_500(self) -> Reply:
        return 500, "text/html; charset=utf-8", self.error_page, {}

    def begin_call(self, name: str, query_params: Iterable[tuple[str, str]]) -> str | None:
        """Count an API call, wait out the slowness and draw its fault kind (or None).

        Every emulator starts a call this way so its stats mean the same; an ``http500``
        fault is already counted and the caller answers :meth:`html_500`.
        """
        in_url = any(key == self.token_param for key, _ in query_params)
        self._stats.count(requests=1, by_method=name, tokens_in_url=int(in_url))
        self._faults.pause()
        fault = self._faults.draw()
        if fault == HTTP500:
            self._stats.count(http500=1)
        return fault

    def lose_answers(self, method: str, count: int = 1, *, delay_seconds: float = 0.0) -> None:
        """Apply the next ``count`` calls of the write ``method``, then drop their answers.

        The ambiguous failure a publisher must survive: the post exists, the client
        saw only a broken connection — or, with ``delay_seconds`` longer than the
        client's timeout, a timeout. Set through ``POST /_emulator/faults`` with
        ``{"lose_answer": {"wall.post": 1}, "lose_answer_delay_seconds": 2}`` too.
        """
        with self._lost_lock:
            self._lost_answers[method] = max(0, int(count))
            self._lost_delay[method] = max(0.0, float(delay_seconds))

    def answer_lost(self, method: str) -> bool:
        """True (once per armed count) when this applied call's answer is to be dropped.

        An emulator calls it after applying a write and answers :data:`ANSWER_LOST`;
        the armed delay is waited here, so the client times out first.
        """
        with self._lost_lock:
            left = self._lost_answers.get(method, 0)
            if left <= 0:
                return False
            self._lost_answers[method] = left - 1
            delay = self._lost_delay.get(method, 0.0)
        if delay:
            time.sleep(delay)
        return True

    # ------------------------------------------------------------------ /_emulator/*

    def control_routes(self) -> dict[tuple[str, str], Callable[[dict[str, Any]], Any]]:
        return {
            ("GET", "state"): lambda _: self.snapshot(),
            ("GET", "stats"): lambda _: self.stats(),
            ("POST", "stats/reset"): self._control_reset,
            ("POST", "mutate"): self._control_mutate,
            ("POST", "faults"): self._control_faults,
        }

    def handle_control(self, verb: str, path: str, body: bytes) -> Reply:
        """Test-only endpoints: a JSON object in, JSON out, no credentials.

        A ``KeyError`` from the handler (an unknown object) becomes 404,
        ``TypeError``/``ValueError`` (bad arguments) 400, so tests see what went wrong.
        """
        routes = self.control_routes()
        action = path.strip("/").removeprefix("_emulator/")
        handler = routes.get((verb, action))
        if handler is None:
            known = any(a == action for _, a in routes)
            error = {"ok": False, "error": f"no route {verb} {path}"}
            return self.json_reply(error, 405 if known else 404)
        data: Any = {}
        if verb == "POST" and body.strip():
            try:
                data = json.loads(body)
            except ValueError:
                return self.json_reply({"ok": False, "error": "body is not valid JSON"}, 400)
            if not isinstance(data, dict):
                return self.json_reply({"ok": False, "error": "body must be a JSON object"}, 400)
        try:
            return self.json_reply(handler(data))
        except KeyError as exc:
            error = {"ok": False, "error": str(exc.args[0] if exc.args else exc)}
            return self.json_reply(error, 404)
        except (TypeError, ValueError) as exc:
            return self.json_reply({"ok": False, "error": str(exc)}, 400)

    def _control_reset(self, _: dict[str, Any]) -> dict[str, Any]:
        self.reset_stats()
        return {"ok": True}

    def _control_faults(self, data: dict[str, Any]) -> dict[str, Any]:
        """``POST /_emulator/faults``: lost answers here, the emulator's own kinds in
        :meth:`apply_faults`."""
        delay = float(data.pop("lose_answer_delay_seconds", 0) or 0)
        for method, count in dict(data.pop("lose_answer", None) or {}).items():
            self.lose_answers(str(method), int(count), delay_seconds=delay)
        self.apply_faults(data)
        return {"ok": True}

    def apply_faults(self, data: dict[str, Any]) -> None:
        """Set the fault bursts a control request names; an emulator with more kinds overrides."""
        self._faults.set(
            **{kind: int(data.get(kind, 0)) for kind in self._faults.kinds},
            slow_ms=None if data.get("slow_ms") is None else int(data["slow_ms"]),
        )

    def _control_mutate(self, data: dict[str, Any]) -> dict[str, Any]:
        kwargs = dict(data)
        op = kwargs.pop("op", None)
        ops = self.mutations()
        if op not in ops:
            raise ValueError(f"unknown op {op!r}; expected one of {sorted(ops)}")
        result = ops[op](**kwargs)
        if result is None:  # changes answer the id of the object they touched
            result = next((kwargs[key] for key in self.touched_ids if key in kwargs), None)
        return {"ok": True, "id": result}


# --------------------------------------------------------------------------- CLI


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def serve_until_signalled(emulator: LoopbackEmulator, banner: str) -> None:
    """Serve in the foreground for an ``emulator`` command until Ctrl-C or SIGTERM.

    The banner line is flushed at once because scripts and tests wait for it to learn
    the URL. SIGTERM (what process managers and ``kill`` send) becomes the same clean
    stop as Ctrl-C, so the command returns normally and exits 0.
    """
    emulator.start()
    click.echo(banner)
    sys.stdout.flush()
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        emulator.serve_forever()
    finally:
        if previous is not None:  # leave a host process (a test run) as it was
            signal.signal(signal.SIGTERM, previous)
