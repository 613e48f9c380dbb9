"""The loopback emulator harness on its own, with a tiny emulator that knows no network.

The VK and OK emulator suites cover the harness through real APIs; these pin what
every emulator relies on: free ports, keep-alive, a stop that really ends idle
connections, quiet hang-ups, faults, counters, control endpoints and the CLI stop.
"""

from __future__ import annotations

import http.client
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx
import pytest

from hub.sandbox.harness import (
    Faults,
    LoopbackEmulator,
    RateWindow,
    Reply,
    Stats,
    serve_until_signalled,
)


class Echo(LoopbackEmulator):
    """Answers ``/echo`` with what it got; ``/big`` with 4 MB after a pause."""

    thread_name = "echo-emulator"
    server_software = "echo"
    touched_ids = ("item_id",)

    def __init__(self, **kw: Any) -> None:
        super().__init__(faults=Faults(3, {"http500": 0.0, "error_burst": 0.0}), **kw)
        self.items: dict[int, str] = {}
        self.answering_big = threading.Event()

    def handle(
        self, verb: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> Reply:
        if path == "/echo":
            fault = self.begin_call("echo", [])
            if fault == "http500":
                return self.html_500()
            text = f"{verb} {query} {body.decode()} {fault}"
            return 200, "text/plain", text.encode(), {"X-Echo": "yes"}
        if path == "/big":
            self.answering_big.set()
            time.sleep(0.2)  # the client hangs up meanwhile
            return 200, "application/octet-stream", b"x" * (4 << 20), {}
        if path == "/boom":
            raise RuntimeError("a bug in the emulator")
        return super().handle(verb, path, query, headers, body)

    def snapshot(self) -> dict[str, Any]:
        return {"items": self.items}

    def mutations(self) -> dict[str, Callable[..., Any]]:
        return {"add": self.add, "drop": self.drop}

    def add(self, text: str) -> int:
        self.items[len(self.items) + 1] = text
        return len(self.items)

    def drop(self, item_id: int) -> None:
        del self.items[int(item_id)]


@pytest.fixture()
def echo() -> Iterator[Echo]:
    with Echo() as emulator:
        yield emulator


def raw_request(sock: socket.socket, path: str) -> bytes:
    """One keep-alive GET on ``sock``, leaving the connection open; returns the body."""
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: test\r\n\r\n".encode())
    response = http.client.HTTPResponse(sock)
    response.begin()
    assert not response.will_close
    return response.read()


def test_serves_on_a_free_port_with_keep_alive(echo: Echo) -> None:
    assert echo.port > 0 and echo.base_url == f"http://127.0.0.1:{echo.port}"
    assert Echo().port == 0  # not bound until started
    with Echo() as other:
        assert other.port not in (0, echo.port)
    with httpx.Client(base_url=echo.base_url, timeout=5) as client:
        got = client.post("/echo?a=1", content=b"hello")
        assert got.text == "POST a=1 hello None" and got.headers["x-echo"] == "yes"
        assert got.headers["server"] == "echo" and got.http_version == "HTTP/1.1"
        assert client.get("/echo").text == "GET   None"
        assert client.get("/elsewhere").status_code == 404
        assert client.put("/echo").status_code == 501  # only GET and POST exist
        crash = client.get("/boom")
        assert crash.status_code == 500 and "Traceback" not in crash.text
    names = [t.name for t in threading.enumerate()]
    assert f"echo-emulator-{echo.port}" in names


def test_stop_closes_idle_keep_alive_connections() -> None:
    emulator = Echo().start()
    sock = socket.create_connection(("127.0.0.1", emulator.port), timeout=5)
    try:
        assert raw_request(sock, "/echo").startswith(b"GET")
        assert raw_request(sock, "/echo").startswith(b"GET")  # same connection, kept alive
        started = time.monotonic()
        emulator.stop()
        assert sock.recv(1) == b""  # the server ended the idle connection...
        assert time.monotonic() - started < 2  # ...at once, not after the 60 s idle timeout
    finally:
        sock.close()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{emulator.base_url}/echo", timeout=2)
    emulator.stop()  # twice is harmless


def test_a_client_hanging_up_is_not_logged(echo: Echo, capsys: pytest.CaptureFixture[str]) -> None:
    sock = socket.create_connection(("127.0.0.1", echo.port))
    sock.sendall(b"GET /big HTTP/1.1\r\nHost: test\r\n\r\n")
    assert echo.answering_big.wait(5)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()  # reset mid-answer, like a killed sync
    server = echo._server  # internals: wait until the server has dropped that connection
    deadline = time.monotonic() + 5
    while server is not None and server._connections and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server is not None and not server._connections
    assert capsys.readouterr().err == ""
    # Other errors still are news.
    try:
        raise ValueError("a real bug")
    except ValueError:
        server.handle_error(None, ("127.0.0.1", 1))
    assert "a real bug" in capsys.readouterr().err


def test_faults_bursts_first_then_seeded_rates() -> None:
    faults = Faults(5, {"http500": 0.0, "error_burst": 0.0})
    faults.set(http500=1, error_burst=2)
    assert [faults.draw() for _ in range(4)] == ["http500", "error_burst", "error_burst", None]
    faults.set(error_burst=1)
    faults.set(http500=1)  # replaces every burst
    assert [faults.draw() for _ in range(2)] == ["http500", None]
    with pytest.raises(TypeError):
        faults.set(error6_burst=1)

    def draws(seed: int) -> list[str | None]:
        rated = Faults(seed, {"http500": 0.3, "error_burst": 0.3})
        return [rated.draw() for _ in range(40)]

    assert draws(1) == draws(1) and draws(1) != draws(2)
    assert {"http500", "error_burst", None} == set(draws(1))


def test_faults_and_stats_through_the_emulator(echo: Echo) -> None:
    with httpx.Client(base_url=echo.base_url, timeout=5) as client:
        reply = client.post("/_emulator/faults", json={"http500": 1, "error_burst": 1})
        assert reply.json() == {"ok": True}
        first = client.get("/echo")
        assert first.status_code == 500 and first.headers["content-type"].startswith("text/html")
        assert client.get("/echo").text.endswith("error_burst")
        assert client.get("/echo").text.endswith("None")
        stats = client.get("/_emulator/stats").json()
        assert list(stats) == ["requests", "by_method", "errors", "http500", "tokens_in_url"]
        assert stats["requests"] == 3 and stats["by_method"] == {"echo": 3}
        assert stats["http500"] == 1 and stats["tokens_in_url"] == 0
        assert client.post("/_emulator/stats/reset").json() == {"ok": True}
        assert echo.stats()["requests"] == 0
        client.post("/_emulator/faults", json={"slow_ms": 60})
        started = time.monotonic()
        client.get("/echo")
        assert time.monotonic() - started >= 0.06


def test_stats_counters_and_tallies() -> None:
    stats = Stats(calls=0, by_name={}, inner=0)
    stats.count(calls=1, by_name="a")
    stats.count(calls=2, by_name=["a", "b"], inner=3)
    assert stats.as_dict() == {"calls": 3, "by_name": {"a": 2, "b": 1}, "inner": 3}
    stats.reset()
    assert stats.as_dict() == {"calls": 0, "by_name": {}, "inner": 0}


def test_rate_window_counts_accepted_calls_only() -> None:
    limit = [2.0]
    window = RateWindow(lambda: limit[0])
    assert [window.allow("t") for _ in range(3)] == [True, True, False]
    assert window.allow("other")
    limit[0] = 0
    assert all(window.allow("t") for _ in range(5))


def test_control_endpoints(echo: Echo) -> None:
    def control(verb: str, action: str, **kw: Any) -> httpx.Response:
        return httpx.request(verb, f"{echo.base_url}/_emulator/{action}", timeout=5, **kw)

    assert control("POST", "mutate", json={"op": "add", "text": "x"}).json() == {
        "ok": True,
        "id": 1,
    }
    assert control("GET", "state").json() == {"items": {"1": "x"}}
    assert control("POST", "mutate", json={"op": "drop", "item_id": 1}).json()["id"] == 1
    assert control("POST", "mutate", json={"op": "drop", "item_id": 1}).status_code == 404
    assert control("POST", "mutate", json={"op": "explode"}).status_code == 400
    assert control("POST", "mutate", json={"op": "add", "nope": 1}).status_code == 400
    assert control("POST", "mutate", content=b"{bad").status_code == 400
    assert control("POST", "mutate", content=b"[1]").status_code == 400
    assert control("GET", "mutate").status_code == 405
    assert control("GET", "nothing").status_code == 404


def test_serve_until_signalled_prints_banner_and_restores_sigterm(
    capsys: pytest.CaptureFixture[str],
) -> None:
    emulator = Echo()
    before = signal.getsignal(signal.SIGTERM)

    def stop_once_serving() -> None:
        while emulator.port == 0:
            time.sleep(0.01)
        time.sleep(0.1)
        emulator.stop()

    stopper = threading.Thread(target=stop_once_serving)
    stopper.start()
    serve_until_signalled(emulator, "echo is up")
    stopper.join()
    assert capsys.readouterr().out == "echo is up\n"
    assert signal.getsignal(signal.SIGTERM) == before


SCRIPT = """
from hub.sandbox.harness import LoopbackEmulator, serve_until_signalled

emulator = LoopbackEmulator().start()
serve_until_signalled(emulator, f"up on {emulator.base_url}")
print("stopped cleanly")
"""


def test_sigterm_stops_cleanly_with_exit_0() -> None:
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert select.select([proc.stdout], [], [], 10)[0], "nothing printed"
        url = proc.stdout.readline().split()[-1]
        assert httpx.get(f"{url}/_emulator/stats", timeout=5).json()["requests"] == 0
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
        assert proc.stdout.read() == "stopped cleanly\n"
    finally:
        if proc.poll() is None:
            proc.kill()
