"""Bounded answers: a trickling, endless or hostile answer fails as one clear transient error.

Real HTTP on loopback: a tiny asyncio server in each test reads the request, then
misbehaves (trickles a byte at a time, streams without end, declares a huge body,
nests JSON 100,000 deep). Limits are set small so each test takes well under a second.
"""

from __future__ import annotations

import asyncio
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from hub.errors import ConfigError, TransientError
from hub.http import (
    MAX_JSON_DEPTH,
    MIB,
    Limits,
    async_client,
    decode_json,
    json_depth_ok,
    post_form,
)

Behaviour = Callable[[asyncio.StreamWriter], Awaitable[None]]
JSON_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"


async def _read_request(reader: asyncio.StreamReader) -> None:
    head = await reader.readuntil(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            await reader.readexactly(int(value))


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Behaviour], Awaitable[str]]]:
    """Start a loopback server answering every request with ``behaviour``; its base URL."""
    servers: list[asyncio.Server] = []

    async def start(behaviour: Behaviour) -> str:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                await _read_request(reader)
                await behaviour(writer)
            except (ConnectionError, asyncio.IncompleteReadError):
                pass  # the client hung up: what it is meant to do
            finally:
                writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        servers.append(server)
        port = server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    yield start
    for server in servers:
        server.close()


async def trickle(writer: asyncio.StreamWriter) -> None:
    """Headers at once, then a byte every 50 ms: never silent long enough for a read timeout."""
    writer.write(JSON_HEAD + b"Content-Length: 100000\r\n\r\n")
    for _ in range(100000):
        writer.write(b" ")
        await writer.drain()
        await asyncio.sleep(0.05)


async def endless(writer: asyncio.StreamWriter) -> None:
    """A chunked answer that never ends."""
    writer.write(JSON_HEAD + b"Transfer-Encoding: chunked\r\n\r\n")
    chunk = b"[" + b"0," * 32767 + b"\n"
    while True:
        writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        await writer.drain()


async def declared_huge(writer: asyncio.StreamWriter) -> None:
    writer.write(JSON_HEAD + b"Content-Length: 10000000000\r\n\r\n[")
    await writer.drain()
    await asyncio.sleep(5)


def body(content: bytes) -> Behaviour:
    async def send(writer: asyncio.StreamWriter) -> None:
        writer.write(JSON_HEAD + f"Content-Length: {len(content)}\r\n\r\n".encode() + content)
        await writer.drain()

    return send


SMALL = Limits(
    connect_seconds=1,
    read_seconds=5,
    total_seconds=0.4,
    max_answer_bytes=MIB,
    section="networks.vk",
)


async def post(url: str, limits: Limits = SMALL, **kw):
    async with async_client() as client:
        return await post_form(
            client, f"{url}/wall.get", network="VK", method="wall.get", limits=limits, **kw
        )


async def test_a_trickling_answer_fails_at_the_total_deadline(serve):
    url = await serve(trickle)
    with pytest.raises(TransientError) as caught:
        await asyncio.wait_for(post(url), 5)
    message = str(caught.value)
    assert "VK API did not finish answering wall.get within 0.4 s" in message
    assert "raise [networks.vk] total_timeout_seconds" in message
    assert caught.value.maybe_applied  # the request was sent: a write may have been applied


async def test_an_endless_answer_stops_at_the_size_cap_with_bounded_memory(serve):
    url = await serve(endless)
    limits = Limits(total_seconds=10, max_answer_bytes=MIB, section="networks.vk")
    tracemalloc.start()
    try:
        with pytest.raises(TransientError) as caught:
            await asyncio.wait_for(post(url, limits), 10)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert str(caught.value) == (
        "VK API answered more than 1 MiB for wall.get; "
        "raise [networks.vk] max_answer_mb if that is expected"
    )
    assert peak < 16 * MIB


async def test_a_declared_size_over_the_cap_fails_before_reading(serve):
    url = await serve(declared_huge)
    with pytest.raises(TransientError, match="answered more than 1 MiB"):
        await asyncio.wait_for(post(url, Limits(total_seconds=10, max_answer_bytes=MIB)), 3)


async def test_an_upload_gets_more_time_for_what_it_sends(serve, monkeypatch):
    from hub import http

    monkeypatch.setattr(http, "UPLOAD_SECONDS_PER_MIB", 1000.0)
    url = await serve(body(b'{"ok": true}'))
    files = {"photo": ("a.jpg", b"x" * (MIB // 10), "image/jpeg")}
    # 0.1 MiB at the (patched) slow rate: 100 s more than the 0.4 s total
    answer, _ = await post(url, files=files)
    assert answer == {"ok": True}


async def test_json_nested_100000_deep_is_a_clear_error(serve):
    url = await serve(body(b"[" * 100_000 + b"]" * 100_000))
    with pytest.raises(TransientError) as caught:
        await post(url, Limits())
    assert str(caught.value) == f"VK answered JSON nested deeper than {MAX_JSON_DEPTH} levels"


def test_json_depth_counts_brackets_outside_strings_only():
    assert json_depth_ok(b'{"a": [1, {"b": [[]]}], "c": "[[[[[[[[[["}', limit=5)
    assert not json_depth_ok(b'{"a": [1, {"b": [[[]]]}], "c": 1}', limit=5)
    escaped = b'["\\"[[[[[[[[[", "\\\\"]'  # an escaped quote does not end the string
    assert json_depth_ok(escaped, limit=1)
    assert json_depth_ok(b'["[[[[", "]"]', limit=1)  # no escaped quote: the fast path
    wide = b"[" + b",".join(b'{"id": %d, "items": [[1], [2]]}' % i for i in range(5000)) + b"]"
    assert json_depth_ok(wide) and len(decode_json(wide, "VK")) == 5000
    with pytest.raises(ValueError, match="not JSON"):
        decode_json(b"<html>502</html>", "VK")


# -- every network's client, and the Long Poll, go through the same bounds ----------------


async def test_vk_client_applies_its_limits(serve):
    from hub_vk.client import VkClient

    url = await serve(trickle)
    client = VkClient(api_base=url, version="5.199", requests_per_second=1000, limits=SMALL)
    try:
        with pytest.raises(TransientError, match=r"within 0\.4 s; raise \[networks\.vk\]"):
            await client.call("vk1.a.token", "wall.post", {"message": "x"}, retry=False)
    finally:
        await client.aclose()


async def test_ok_client_applies_its_limits(serve):
    from hub_ok.client import OkClient

    url = await serve(endless)
    limits = Limits(total_seconds=10, max_answer_bytes=MIB, section="networks.ok")
    client = OkClient(
        api_base=f"{url}/fb.do",
        application_key="K",
        application_secret="S",
        secret_env="HUB_OK_APP_SECRET",
        requests_per_second=1000,
        limits=limits,
    )
    try:
        with pytest.raises(TransientError, match=r"OK API answered more than 1 MiB for group"):
            await client.call("ok-token", "group.getInfo", {}, retry=False)
    finally:
        await client.aclose()


async def test_telegram_long_poll_gets_its_wait_on_top_of_the_deadline(serve):
    from hub_telegram.client import TelegramClient

    async def late_answer(writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(0.6)  # longer than the 0.4 s total, shorter than wait + total
        await body(b'{"ok": true, "result": []}')(writer)

    url = await serve(late_answer)
    limits = Limits(read_seconds=5, total_seconds=0.4, section="networks.telegram")
    client = TelegramClient(api_base=url, requests_per_second=1000, limits=limits)
    try:
        assert await client.call("1:AAH-secret", "getUpdates", {"timeout": 1}, wait=1) == []
        with pytest.raises(TransientError, match="Telegram API did not finish answering") as caught:
            await client.call("1:AAH-secret", "sendMessage", {"text": "x"}, retry=False)
        assert "AAH-secret" not in str(caught.value)
    finally:
        await client.aclose()


async def test_vk_long_poll_trickle_fails_at_wait_plus_total(serve):
    from hub_vk.client import VkClient
    from hub_vk.longpoll import LongPoll

    url = await serve(trickle)
    client = VkClient(api_base=url, version="5.199", requests_per_second=1000, limits=SMALL)
    poll = LongPoll(client, "token", 1)
    poll._server = type("S", (), {"server": f"{url}/lp", "key": "k", "ts": "1"})()
    try:
        with pytest.raises(TransientError) as caught:
            await asyncio.wait_for(poll.next_batch("1", wait=0), 5)
        assert "VK Long Poll server did not finish answering a_check within 0.4 s" in str(
            caught.value
        )
    finally:
        await poll.aclose()
        await client.aclose()


# -- the settings ------------------------------------------------------------------------


def test_limits_come_from_each_networks_table():
    from hub_telegram.network import TelegramNetwork
    from hub_vk.network import VkNetwork

    vk = VkNetwork(
        {"connect_timeout_seconds": 3, "total_timeout_seconds": 60, "max_answer_mb": 8},
        lambda account: "t",
    )
    assert vk.client.limits == Limits(
        connect_seconds=3,
        read_seconds=30,
        total_seconds=60,
        max_answer_bytes=8 * MIB,
        section="networks.vk",
    )
    telegram = TelegramNetwork({}, lambda account: "t")
    assert telegram.client.limits.total_seconds == 120
    assert telegram.client.limits.max_answer_bytes == 32 * MIB


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"max_answer_mb": 0}, r"\[networks.vk\] max_answer_mb = 0 must be a number above 0"),
        ({"total_timeout_seconds": "2m"}, "total_timeout_seconds = '2m' must be a number"),
        ({"connect_timeout_seconds": True}, "connect_timeout_seconds = True must be a number"),
        (
            {"connect_timeout_seconds": 30, "total_timeout_seconds": 20},
            "total_timeout_seconds must be at least connect_timeout_seconds",
        ),
        ({"max_answer_megabytes": 8}, "unknown key 'max_answer_megabytes'"),
    ],
)
def test_bad_limits_are_config_errors(settings, message):
    from hub_vk.network import VkNetwork

    with pytest.raises(ConfigError, match=message):
        VkNetwork(settings, lambda account: "t")
