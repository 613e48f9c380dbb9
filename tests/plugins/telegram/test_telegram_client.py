"""The Telegram client at the HTTP edge: token in the path only, retry_after obeyed, errors."""

import httpx
import pytest
import respx

from hub import secrets
from hub.errors import (
    ApiError,
    AuthError,
    ConflictError,
    EntityGoneError,
    RateLimitedError,
    TransientError,
)
from hub_telegram.client import TelegramClient

BASE = "https://tg.test"
TOKEN = "123456789:AAH-secret-token-part"


def fail(code, description, **parameters):
    body = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return httpx.Response(code, json=body)


def ok(result):
    return httpx.Response(200, json={"ok": True, "result": result})


def client(**kw):
    c = TelegramClient(api_base=BASE, requests_per_second=1000, **kw)
    c.waits = []

    async def record(seconds):
        c.waits.append(seconds)

    c.sleep = record
    return c


@respx.mock(assert_all_called=True)
async def test_json_post_and_result(respx_mock):
    route = respx_mock.post(f"{BASE}/bot{TOKEN}/getChat").mock(return_value=ok({"id": -100}))
    c = client()
    assert await c.call(TOKEN, "getChat", {"chat_id": "@adm"}) == {"id": -100}
    assert route.calls.last.request.read() == b'{"chat_id":"@adm"}'
    await c.aclose()


@respx.mock
async def test_retry_after_is_waited_exactly_as_told(respx_mock):
    respx_mock.post(f"{BASE}/bot{TOKEN}/deleteMessage").mock(
        side_effect=[fail(429, "Too Many Requests: retry after 7", retry_after=7), ok(True)]
    )
    c = client()
    assert await c.call(TOKEN, "deleteMessage", {}, retry=False) is True  # refused, not applied
    assert len(c.waits) == 1 and 7.1 <= c.waits[0] <= 8.0
    await c.aclose()


@respx.mock
async def test_a_long_retry_after_pauses_the_account(respx_mock):
    respx_mock.post(f"{BASE}/bot{TOKEN}/getUpdates").mock(
        return_value=fail(429, "Too Many Requests: retry after 900", retry_after=900)
    )
    c = client(max_retry_after=60)
    with pytest.raises(RateLimitedError) as info:
        await c.call(TOKEN, "getUpdates", {})
    assert info.value.retry_after == 900 and c.waits == []
    await c.aclose()


@pytest.mark.parametrize(
    ("status", "description", "cls"),
    [
        (409, "Conflict: terminated by other getUpdates request", ConflictError),
        (401, "Unauthorized", AuthError),
        (404, "Not Found", AuthError),
        (403, "Forbidden: bot was kicked from the supergroup chat", AuthError),
        (400, "Bad Request: message to delete not found", EntityGoneError),
        (400, "Bad Request: not enough rights to restrict/unrestrict chat member", AuthError),
        (400, "Bad Request: message can't be deleted", ApiError),
        (400, "Bad Request: chat not found", ApiError),
    ],
)
@respx.mock
async def test_errors_are_classified_and_not_retried(respx_mock, status, description, cls):
    route = respx_mock.post(f"{BASE}/bot{TOKEN}/x").mock(return_value=fail(status, description))
    c = client()
    with pytest.raises(cls) as info:
        await c.call(TOKEN, "x", {})
    assert type(info.value) is cls and route.call_count == 1
    await c.aclose()


@respx.mock
async def test_server_errors_retried_for_reads_not_writes(respx_mock):
    read = respx_mock.post(f"{BASE}/bot{TOKEN}/getChat").mock(
        side_effect=[httpx.Response(502, text="Bad Gateway"), ok({"id": 1})]
    )
    write = respx_mock.post(f"{BASE}/bot{TOKEN}/banChatMember").mock(
        return_value=httpx.Response(502, text="Bad Gateway")
    )
    c = client()
    assert await c.call(TOKEN, "getChat", {}) == {"id": 1} and read.call_count == 2
    with pytest.raises(TransientError):
        await c.call(TOKEN, "banChatMember", {}, retry=False)
    assert write.call_count == 1
    await c.aclose()


@respx.mock
async def test_the_token_never_reaches_an_error_message(respx_mock):
    secrets.remember(TOKEN)
    respx_mock.post(f"{BASE}/bot{TOKEN}/getMe").mock(
        side_effect=httpx.ConnectError(f"{BASE}/bot{TOKEN}/getMe")
    )
    c = client()
    with pytest.raises(TransientError) as info:
        await c.call(TOKEN, "getMe")
    assert "AAH-secret" not in str(info.value) and "/bot<token>/getMe" in str(info.value)
    await c.aclose()
