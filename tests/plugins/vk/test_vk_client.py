"""The VK client at the HTTP edge: request form, error classification, retries (respx)."""

from urllib.parse import parse_qs

import httpx
import pytest
import respx

from hub.errors import ApiError, AuthError, EntityGoneError, RateLimitedError, TransientError
from hub_vk.client import VkClient, classify, execute_code

BASE = "https://vk.test/method"
TOKEN = "vk1.a.test-token-123"


def client(rps=1000):
    return VkClient(api_base=BASE, version="5.199", requests_per_second=rps)


def ok(payload, **extra):
    return httpx.Response(200, json={"response": payload, **extra})


def err(code, msg="x"):
    return httpx.Response(200, json={"error": {"error_code": code, "error_msg": msg}})


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (1, TransientError),
        (6, TransientError),
        (10, TransientError),
        (5, AuthError),
        (27, AuthError),
        (9, RateLimitedError),
        (29, RateLimitedError),
        (212, EntityGoneError),
        (104, EntityGoneError),
        (100, ApiError),
        (15, ApiError),
    ],
)
def test_classification_table(code, cls):
    exc = classify(code, "msg", "wall.get")
    assert type(exc) is cls and exc.code == code and "wall.get" in str(exc)


def test_rate_limit_pauses_for_long():
    assert classify(29, "quota").retry_after >= 3600
    assert classify(9, "flood").retry_after >= 60


@respx.mock(assert_all_mocked=True, assert_all_called=True)
async def test_form_post_with_bearer_and_version(respx_mock):
    route = respx_mock.post(f"{BASE}/groups.getById").mock(return_value=ok({"groups": []}))
    c = client()
    assert await c.call(TOKEN, "groups.getById", {"group_id": "1", "flag": True}) == {"groups": []}
    request = route.calls.last.request
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert TOKEN not in str(request.url)
    body = parse_qs(request.content.decode())
    assert body == {"group_id": ["1"], "flag": ["1"], "v": ["5.199"]}
    await c.aclose()


@respx.mock(assert_all_called=True)
async def test_transient_answers_are_retried(respx_mock):
    route = respx_mock.post(f"{BASE}/wall.get").mock(
        side_effect=[
            httpx.Response(500, text="<html>500</html>"),
            err(6, "Too many requests per second"),
            httpx.Response(200, text="<html>proxy</html>"),
            httpx.ConnectError("boom"),
            ok({"count": 0, "items": []}),
        ]
    )
    c = client()
    assert await c.call(TOKEN, "wall.get", {}) == {"count": 0, "items": []}
    assert route.call_count == 5 and c.requests == 5
    await c.aclose()


@respx.mock
async def test_retries_give_up_with_a_transient_error(respx_mock):
    respx_mock.post(f"{BASE}/wall.get").mock(return_value=httpx.Response(502))
    c = client()
    with pytest.raises(TransientError, match="HTTP 502"):
        await c.call(TOKEN, "wall.get", {})
    assert c.requests == 5
    await c.aclose()


@respx.mock
async def test_auth_error_is_not_retried(respx_mock):
    route = respx_mock.post(f"{BASE}/wall.get").mock(
        return_value=err(5, "User authorization failed: invalid access_token (4).")
    )
    c = client()
    with pytest.raises(AuthError) as info:
        await c.call(TOKEN, "wall.get", {})
    assert route.call_count == 1 and TOKEN not in str(info.value)
    await c.aclose()


@respx.mock
async def test_malformed_answers(respx_mock):
    respx_mock.post(f"{BASE}/a.b").mock(return_value=httpx.Response(200, json={"weird": 1}))
    respx_mock.post(f"{BASE}/c.d").mock(return_value=httpx.Response(403, text="no"))
    c = client()
    with pytest.raises(ApiError, match="without 'response' or 'error'"):
        await c.call(TOKEN, "a.b", {})
    with pytest.raises(ApiError, match="HTTP 403"):
        await c.call(TOKEN, "c.d", {})
    await c.aclose()


@respx.mock
async def test_a_write_with_an_unreadable_or_proxied_answer_may_have_been_applied(respx_mock):
    """Never 'refused' (which would let a post be sent again): the core must look first."""
    route = respx_mock.post(f"{BASE}/wall.post").mock(
        side_effect=[httpx.Response(200, json={"weird": 1}), httpx.Response(408, text="timeout")]
    )
    c = client()
    for _ in range(2):
        with pytest.raises(TransientError) as info:
            await c.call(TOKEN, "wall.post", {"message": "x"}, retry=False)
        assert info.value.maybe_applied
    assert route.call_count == 2  # each sent once, never retried blind
    await c.aclose()


def test_execute_code_is_the_plain_form():
    code = execute_code(
        [
            ("wall.get", {"owner_id": -1, "count": 100}),
            ("wall.getComments", {"owner_id": -1, "post_id": 2, "sort": "asc"}),
        ]
    )
    assert code == (
        'return [API.wall.get({"owner_id":-1,"count":100}),'
        'API.wall.getComments({"owner_id":-1,"post_id":2,"sort":"asc"})];'
    )


@respx.mock
async def test_execute_false_slots_match_execute_errors_in_order(respx_mock):
    route = respx_mock.post(f"{BASE}/execute").mock(
        return_value=ok(
            [{"count": 1, "items": []}, False, False],
            execute_errors=[
                {"method": "wall.getComments", "error_code": 212, "error_msg": "closed"},
                {"method": "wall.getComments", "error_code": 15, "error_msg": "Access denied"},
                {"method": "execute", "error_code": 15, "error_msg": "Access denied"},
            ],
        )
    )
    c = client()
    calls = [("wall.getComments", {"post_id": i}) for i in (1, 2, 3)]
    out = await c.execute(TOKEN, calls)
    assert out[0] == {"count": 1, "items": []}
    assert isinstance(out[1], EntityGoneError) and out[1].code == 212
    assert type(out[2]) is ApiError and out[2].code == 15
    sent = parse_qs(route.calls.last.request.content.decode())["code"][0]
    assert sent.startswith("return [API.wall.getComments(") and sent.count("API.") == 3
    await c.aclose()


@respx.mock
async def test_batch_splits_into_25_and_isolates_failed_requests(respx_mock):
    answers = [ok([{"n": i} for i in range(25)]), err(100, "bad"), ok([{"n": 50}])]
    respx_mock.post(f"{BASE}/execute").mock(side_effect=answers)
    c = client()
    out = await c.batch(TOKEN, [("wall.get", {"i": i}) for i in range(51)])
    assert len(out) == 51 and out[0] == {"n": 0}
    assert all(isinstance(o, ApiError) and o.code == 100 for o in out[25:50])
    assert out[50] == {"n": 50}
    await c.aclose()


@respx.mock
async def test_execute_with_wrong_slot_count_is_an_error(respx_mock):
    respx_mock.post(f"{BASE}/execute").mock(return_value=ok(None))
    c = client()
    with pytest.raises(ApiError, match="one slot per call"):
        await c.execute(TOKEN, [("wall.get", {})])
    await c.aclose()


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"api_base": "api.vk.ru"}, "api_base = 'api.vk.ru' is not an http"),
        ({"api_base": 5}, "api_base = 5 is not an http"),
        ({"requests_per_second": "fast"}, "requests_per_second = 'fast' must be a number"),
        ({"requests_per_second": 0}, "VK allows 3 per user token"),
        ({"timeout_seconds": -1}, "timeout_seconds"),
        ({"api_version": 5.199}, "api_version must be a string"),
    ],
)
def test_bad_settings_are_config_errors(settings, message):
    from hub.errors import ConfigError
    from hub_vk.network import VkNetwork

    with pytest.raises(ConfigError, match=message):
        VkNetwork(settings, lambda account: "t")


async def test_rate_limiter_spaces_calls_per_token():
    import time

    from hub.ratelimit import RateLimiter

    limiter = RateLimiter(20, margin=1.0)
    start = time.monotonic()
    for _ in range(5):
        await limiter.acquire("a")
    await limiter.acquire("b")  # another token is not held back
    assert 0.19 <= time.monotonic() - start < 0.5


@respx.mock
async def test_transient_slots_inside_execute_are_asked_again(respx_mock):
    route = respx_mock.post(f"{BASE}/execute").mock(
        side_effect=[
            ok(
                [{"n": 0}, False, {"n": 2}],
                execute_errors=[{"method": "wall.get", "error_code": 10, "error_msg": "Internal"}],
            ),
            ok([{"n": 1}]),
        ]
    )
    c = client()
    out = await c.batch(TOKEN, [("wall.get", {"i": i}) for i in range(3)])
    assert out == [{"n": 0}, {"n": 1}, {"n": 2}]
    retried = parse_qs(route.calls.last.request.content.decode())["code"][0]
    assert retried.count("API.") == 1 and '"i":1' in retried
    await c.aclose()


@respx.mock
async def test_too_big_execute_is_split(respx_mock):
    def answer(request):
        code = parse_qs(request.content.decode())["code"][0]
        n = code.count("API.")
        if n > 2:
            return err(
                13, "Runtime error occurred during code invocation: response size is too big"
            )
        return ok([{"n": n}] * n)

    respx_mock.post(f"{BASE}/execute").mock(side_effect=answer)
    c = client()
    out = await c.batch(TOKEN, [("wall.getComments", {"i": i}) for i in range(8)])
    assert len(out) == 8 and all(isinstance(o, dict) for o in out)
    await c.aclose()


@respx.mock
async def test_writes_are_not_retried(respx_mock):
    route = respx_mock.post(f"{BASE}/wall.deleteComment").mock(return_value=httpx.Response(502))
    c = client()
    with pytest.raises(TransientError):
        await c.call(TOKEN, "wall.deleteComment", {"comment_id": 1}, retry=False)
    assert route.call_count == 1
    await c.aclose()


def test_captcha_asks_a_person_not_for_a_new_token():
    from hub.models import Account
    from hub.networks import describe_error

    account = Account("a", "vk", "1", "", "HUB_VK_A")
    captcha = describe_error(account, classify(14, "Captcha needed", "wall.get"))
    assert "captcha solved" in captcha and "put a valid token" not in captcha
    assert "$HUB_VK_A" in captcha
    bad = describe_error(account, classify(5, "User authorization failed", "wall.get"))
    assert "put a valid token for a in that variable" in bad and "$HUB_VK_A" in bad


@respx.mock
async def test_a_write_refused_for_its_rate_is_sent_again(respx_mock):
    route = respx_mock.post(f"{BASE}/wall.deleteComment").mock(
        side_effect=[err(6, "Too many requests per second"), httpx.ConnectError("refused"), ok(1)]
    )
    c = client()
    assert await c.call(TOKEN, "wall.deleteComment", {"comment_id": 1}, retry=False) == 1
    assert route.call_count == 3  # neither refusal can have deleted anything
    await c.aclose()
