"""The one retry policy (hub.retry): a server's wait honoured, else back-off, all capped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
import respx

from hub.errors import ApiError, RateLimitedError, TransientError
from hub.http import retry_after_seconds
from hub.retry import RETRY, RetryPolicy, with_retries
from hub_vk.client import VkClient

VK = "https://vk.test/method"


class Script:
    """A call that fails with the given errors in turn, then answers "ok"; waits recorded."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0
        self.waits: list[float] = []

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)


def flood(seconds: float) -> TransientError:
    return TransientError("Too Many Requests", maybe_applied=False, retry_after=seconds, code=429)


async def test_a_servers_retry_after_is_waited_as_told_even_with_back_off_off():
    assert RETRY.wait_multiplier == 0  # the tests' switch: back-off waits are off...
    call = Script(flood(7), flood(3))
    assert await with_retries(call, sleep=call.sleep) == "ok"
    # ...but a server's own wait is its to set: that, plus a little jitter
    assert call.calls == 3 and 7.1 <= call.waits[0] <= 8.0 and 3.1 <= call.waits[1] <= 4.0


async def test_without_a_servers_wait_the_back_off_doubles_with_jitter():
    policy = RetryPolicy(attempts=4, wait_multiplier=1.0, wait_max=3.0)
    call = Script(*(TransientError("HTTP 502") for _ in range(4)))
    with pytest.raises(TransientError, match="HTTP 502"):
        await with_retries(call, policy=policy, sleep=call.sleep)
    assert call.calls == 4 and len(call.waits) == 3
    for wait, base in zip(call.waits, (1.0, 2.0, 3.0), strict=True):  # the third is capped
        assert base <= wait <= base + 1.0


async def test_the_tests_switch_makes_back_off_instant():
    call = Script(TransientError("HTTP 500"), TransientError("timeout"))
    assert await with_retries(call, sleep=call.sleep) == "ok"
    assert call.waits == [0.0, 0.0]


async def test_attempts_are_the_policys_or_the_callers():
    call = Script(*(TransientError("HTTP 500") for _ in range(9)))
    with pytest.raises(TransientError):
        await with_retries(call, sleep=call.sleep)
    assert call.calls == RETRY.attempts == 5
    call = Script(*(TransientError("HTTP 500") for _ in range(9)))
    with pytest.raises(TransientError):
        await with_retries(call, attempts=2, sleep=call.sleep)
    assert call.calls == 2


async def test_a_long_retry_after_pauses_the_account_without_waiting():
    call = Script(TransientError("Too Many Requests", retry_after=900, code=429, method="m"))
    with pytest.raises(RateLimitedError) as info:
        await with_retries(call, max_retry_after=60, sleep=call.sleep)
    assert info.value.retry_after == 900 and call.waits == [] and call.calls == 1
    assert str(info.value) == "error 429 in m: Too Many Requests"  # said once, not twice
    call = Script(flood(61))
    with pytest.raises(RateLimitedError):
        await with_retries(call, sleep=call.sleep)  # the policy's own limit: 60 s
    assert RETRY.max_retry_after == 60


async def test_the_waits_of_one_call_are_capped_in_total():
    policy = RetryPolicy(attempts=10, total_wait_max=10.0)
    call = Script(flood(7), flood(7), flood(7))
    with pytest.raises(RateLimitedError) as info:  # a second 7 s would pass 10 s: pause instead
        await with_retries(call, policy=policy, sleep=call.sleep)
    assert call.calls == 2 and len(call.waits) == 1 and info.value.retry_after == 7
    policy = RetryPolicy(attempts=10, wait_multiplier=2.0, wait_max=100.0, total_wait_max=10.0)
    call = Script(*(TransientError("HTTP 503") for _ in range(10)))
    with pytest.raises(TransientError, match="HTTP 503"):  # 2 + 4 fit (with jitter), 8 does not
        await with_retries(call, policy=policy, sleep=call.sleep)
    assert call.calls == 3 and sum(call.waits) <= 10.0


async def test_a_write_is_sent_again_only_when_surely_not_applied():
    lost = Script(TransientError("ReadTimeout"))  # maybe_applied: the caller verifies instead
    with pytest.raises(TransientError, match="ReadTimeout"):
        await with_retries(lost, write=True, sleep=lost.sleep)
    assert lost.calls == 1
    refused = Script(flood(1), TransientError("ConnectError", maybe_applied=False))
    assert await with_retries(refused, write=True, sleep=refused.sleep) == "ok"
    assert refused.calls == 3


async def test_other_errors_are_never_retried():
    for error in (ApiError("bad"), RateLimitedError("quota", retry_after=3600), ValueError()):
        call = Script(error)
        with pytest.raises(type(error)):
            await with_retries(call, sleep=call.sleep)
        assert call.calls == 1


async def test_each_failure_is_heard():
    heard = []
    call = Script(TransientError("a"), TransientError("b"))
    await with_retries(call, sleep=call.sleep, on_failure=lambda n, of, e: heard.append((n, of)))
    assert heard == [(1, 5), (2, 5)]


def test_retry_after_headers_in_seconds_or_as_a_date():
    assert retry_after_seconds(httpx.Headers({"Retry-After": "120"})) == 120.0
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    assert 85 <= retry_after_seconds(httpx.Headers({"Retry-After": later})) <= 90
    assert retry_after_seconds(httpx.Headers({"Retry-After": "soon"})) is None
    assert retry_after_seconds(httpx.Headers({})) is None


@respx.mock(assert_all_called=True)
async def test_an_http_retry_after_reaches_the_policy(respx_mock):
    route = respx_mock.post(f"{VK}/groups.getById").mock(
        side_effect=[
            httpx.Response(503, headers={"Retry-After": "0"}),
            httpx.Response(200, json={"response": [{"id": 1}]}),
        ]
    )
    client = VkClient(api_base=VK, version="5.199", requests_per_second=1000)
    assert await client.call("tok", "groups.getById", {}) == [{"id": 1}]
    assert route.call_count == 2
    route.side_effect = None
    route.return_value = httpx.Response(429, headers={"Retry-After": "3600"})
    with pytest.raises(RateLimitedError) as info:  # an hour: the account pauses, nothing waits
        await client.call("tok", "groups.getById", {})
    assert info.value.retry_after == 3600 and route.call_count == 3
    await client.aclose()
