"""The MAX client at the HTTP edge: the token in the header without Bearer, never in a URL;
errors {code, message} as the hub's classes; times in milliseconds."""

import httpx
import pytest
import respx

from hub.errors import (
    ApiError,
    AuthError,
    ConfigError,
    EntityGoneError,
    RateLimitedError,
    TransientError,
)
from hub_max import mapping
from hub_max.client import MaxClient, seconds
from hub_max.network import MaxNetwork

BASE = "https://max.test"
TOKEN = "max-secret-token-1234567890"


def client(**kw):
    c = MaxClient(api_base=BASE, requests_per_second=1000, **kw)
    c.waits = []

    async def record(wait):
        c.waits.append(wait)

    c.sleep = record
    return c


def error(status, code, message, **headers):
    return httpx.Response(status, json={"code": code, "message": message}, headers=headers)


@respx.mock(assert_all_called=True)
async def test_token_in_the_header_as_it_is_and_never_in_the_url(respx_mock):
    route = respx_mock.get(f"{BASE}/chats/-7001").mock(
        return_value=httpx.Response(200, json={"chat_id": -7001})
    )
    c = client()
    assert await c.call(TOKEN, "GET", "/chats/-7001", method="getChat") == {"chat_id": -7001}
    request = route.calls.last.request
    assert request.headers["Authorization"] == TOKEN  # no "Bearer"
    assert TOKEN not in str(request.url)
    await c.aclose()


@respx.mock
async def test_query_values_are_written_as_max_reads_them(respx_mock):
    route = respx_mock.get(f"{BASE}/updates").mock(
        return_value=httpx.Response(200, json={"updates": [], "marker": 5})
    )
    c = client()
    await c.call(
        TOKEN,
        "GET",
        "/updates",
        method="getUpdates",
        params={"types": ["comment_created", "message_created"], "block": True, "marker": None},
    )
    url = route.calls.last.request.url
    assert url.params["types"] == "comment_created,message_created"
    assert url.params["block"] == "true" and "marker" not in url.params
    await c.aclose()


@pytest.mark.parametrize(
    ("status", "kind"),
    [(401, AuthError), (403, AuthError), (404, EntityGoneError), (400, ApiError)],
)
@respx.mock
async def test_errors_are_classified(respx_mock, status, kind):
    respx_mock.get(f"{BASE}/me").mock(return_value=error(status, "some.key", "it went wrong"))
    c = client()
    with pytest.raises(kind) as caught:
        await c.call(TOKEN, "GET", "/me", method="getMyInfo")
    assert type(caught.value) is kind
    assert caught.value.code == "some.key" and "it went wrong" in str(caught.value)
    await c.aclose()


@respx.mock
async def test_a_403_says_which_rights_the_bot_needs(respx_mock):
    respx_mock.get(f"{BASE}/me").mock(return_value=error(403, "chat.denied", "no access"))
    c = client()
    with pytest.raises(AuthError) as caught:
        await c.call(TOKEN, "GET", "/me", method="getMyInfo")
    assert "read_all_messages" in caught.value.fix
    await c.aclose()


@respx.mock
async def test_429_is_waited_out_as_retry_after_says(respx_mock):
    respx_mock.get(f"{BASE}/me").mock(
        side_effect=[
            error(429, "too.many.requests", "slow down", **{"Retry-After": "2"}),
            httpx.Response(200, json={"user_id": 1}),
        ]
    )
    c = client()
    assert await c.call(TOKEN, "GET", "/me", method="getMyInfo") == {"user_id": 1}
    assert len(c.waits) == 1 and c.waits[0] >= 2
    await c.aclose()


@respx.mock
async def test_a_long_retry_after_pauses_the_account(respx_mock):
    respx_mock.get(f"{BASE}/me").mock(
        return_value=error(429, "too.many.requests", "slow", **{"Retry-After": "3600"})
    )
    c = client()
    with pytest.raises(RateLimitedError) as caught:
        await c.call(TOKEN, "GET", "/me", method="getMyInfo")
    assert caught.value.retry_after == 3600
    await c.aclose()


@respx.mock
async def test_5xx_is_retried_for_reads_and_not_for_writes(respx_mock):
    respx_mock.get(f"{BASE}/me").mock(
        side_effect=[
            httpx.Response(500, text="<html>nginx</html>"),
            httpx.Response(200, json={"user_id": 1}),
        ]
    )
    write = respx_mock.post(f"{BASE}/messages").mock(
        return_value=error(503, "service.unavailable", "later")
    )
    c = client()
    assert await c.call(TOKEN, "GET", "/me", method="getMyInfo") == {"user_id": 1}
    with pytest.raises(TransientError) as caught:
        await c.call(TOKEN, "POST", "/messages", method="sendMessage", json={}, write=True)
    assert caught.value.maybe_applied and write.call_count == 1
    await c.aclose()


def test_times_are_milliseconds():
    assert seconds(1_700_000_000_123) == 1_700_000_000
    assert seconds(None) == 0
    post = mapping.channel_post(
        {
            "recipient": {"chat_id": -7001, "chat_type": "channel"},
            "timestamp": 1_700_000_000_999,
            "body": {"mid": "mid.abc", "seq": 42, "text": "Привет"},
            "stat": {"views": 7},
            "url": "https://max.ru/c/-7001/abc",
        }
    )
    assert (post.network_id, post.published_at, post.author_id, post.views_count) == (
        42,
        1_700_000_000,
        -7001,
        7,
    )
    comment = mapping.comment(
        {
            "sender": {"user_id": 5, "first_name": "Анна", "is_bot": False},
            "recipient": {"chat_id": -7001, "chat_type": "channel", "post_id": "mid.abc"},
            "timestamp": 1_700_000_100_000,
            "body": {"mid": "mid.c1", "seq": 1, "text": "Спасибо"},
            "link": {"type": "reply", "message": {"mid": "mid.c0", "seq": 0}},
        },
        42,
    )
    assert (comment.network_id, comment.post_network_id, comment.published_at) == (
        "mid.c1",
        42,
        1_700_000_100,
    )
    assert comment.author_id == 5 and comment.parent_network_id == "mid.c0"


def test_ca_bundle_must_exist(tmp_path):
    with pytest.raises(ConfigError, match="ca_bundle"):
        MaxNetwork.checked_settings({"ca_bundle": str(tmp_path / "missing.pem")})


def test_own_authors_are_the_channel_and_the_bot():
    from hub.models import Account

    account = Account("a", "max", "-7001", "org", "ENV")
    ids = MaxNetwork.own_author_ids(account, {"chat_id": -7001, "hub_bot_user_id": 99})
    assert ids == {-7001, 99}
