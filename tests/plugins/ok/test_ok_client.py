"""The OK client at the HTTP edge: signatures (golden), request form, error classes (respx)."""

from urllib.parse import parse_qs

import httpx
import pytest
import respx

from hub.errors import ApiError, AuthError, EntityGoneError, RateLimitedError, TransientError
from hub_ok.client import OkClient, classify, signature

BASE = "https://ok.test/fb.do"
TOKEN = "ok-token-abc"


def test_signature_worked_example_1_from_the_notes():
    params = {"application_key": "ABCDEFGHIGKLMNOPK", "method": "events.get", "format": "json"}
    token = "-s-84W-s3egarWUsbkq-IWTucuedzTKT8VUXIA.s4Xx8IW7"
    assert signature(params, token, "ABC123DEF456GHI789JKL123") == (
        "232c8eb921951c4dba9b72606f9ddb4c"
    )


def test_signature_worked_example_2_from_the_notes():
    params = {"application_key": "1", "method": "friends.get", "format": "json"}
    assert signature(params, "3", "2") == "d7348fe0d7d735aa2156fa5c596ab8cc"


def test_signature_ignores_token_and_sig_and_hashes_utf8():
    params = {"method": "x", "text": "Уважаемые жители!", "access_token": "t", "sig": "old"}
    import hashlib

    secret = hashlib.md5(b"ts").hexdigest()
    joined = "method=xtext=Уважаемые жители!" + secret
    assert signature(params, "t", "s") == hashlib.md5(joined.encode("utf-8")).hexdigest()
    # hashing ASCII-mangled text (a bug seen in a public client) gives another signature
    mangled = joined.encode("ascii", "replace")
    assert signature(params, "t", "s") != hashlib.md5(mangled).hexdigest()


def client():
    return OkClient(
        api_base=BASE,
        application_key="KEY",
        application_secret="app-secret",
        secret_env="HUB_OK_SECRET",
        requests_per_second=1000,
    )


@respx.mock(assert_all_called=True)
async def test_signed_form_post_keeps_token_out_of_the_url(respx_mock):
    route = respx_mock.post(BASE).mock(return_value=httpx.Response(200, json=[{"uid": "1"}]))
    c = client()
    answer = await c.call(TOKEN, "group.getInfo", {"uids": "1", "empty": "", "flag": True})
    assert answer == [{"uid": "1"}]
    request = route.calls.last.request
    assert TOKEN not in str(request.url)
    form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
    assert form["access_token"] == TOKEN and "empty" not in form and form["flag"] == "true"
    unsigned = {k: v for k, v in form.items() if k not in ("sig", "access_token")}
    assert form["sig"] == signature(unsigned, TOKEN, "app-secret")
    assert form["method"] == "group.getInfo" and form["format"] == "json"
    await c.aclose()


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (1, TransientError),
        (2, TransientError),
        (9999, TransientError),
        (8, RateLimitedError),
        (11, RateLimitedError),
        (102, AuthError),
        (103, AuthError),
        (104, AuthError),
        (141, EntityGoneError),
        (106, EntityGoneError),
        (300, EntityGoneError),
        (160, ApiError),
    ],
)
def test_classification(code, cls):
    assert type(classify(code, "x", "m", "HUB_OK_SECRET")) is cls


def test_bad_signature_points_at_the_application_secret():
    exc = classify(104, "PARAM_SIGNATURE : Invalid signature", "group.getInfo", "HUB_OK_SECRET")
    assert "$HUB_OK_SECRET" in exc.also_check
    assert classify(102, "expired", None, "HUB_OK_SECRET").also_check is None


@respx.mock
async def test_error_envelope_at_200_and_retries(respx_mock):
    route = respx_mock.post(BASE).mock(
        side_effect=[
            httpx.Response(200, json={"error_code": 1, "error_msg": "UNKNOWN", "error_data": None}),
            httpx.Response(500, text="<html>"),
            httpx.Response(200, text="not json"),
            httpx.Response(200, json="155812345678901"),
        ]
    )
    c = client()
    assert await c.call(TOKEN, "mediatopic.post", {}) == "155812345678901"
    assert route.call_count == 4
    await c.aclose()


@respx.mock
async def test_auth_errors_and_header_only_errors(respx_mock):
    respx_mock.post(BASE).mock(
        side_effect=[
            httpx.Response(200, json={"error_code": 103, "error_msg": "PARAM_SESSION_KEY"}),
            httpx.Response(200, content=b"null", headers={"invocation-error": "104"}),
        ]
    )
    c = client()
    with pytest.raises(AuthError):
        await c.call(TOKEN, "group.getInfo", {})
    with pytest.raises(AuthError):
        await c.call(TOKEN, "group.getInfo", {})
    await c.aclose()


@respx.mock
async def test_bodies_that_are_not_objects(respx_mock):
    respx_mock.post(BASE).mock(
        side_effect=[httpx.Response(200, json=True), httpx.Response(200, content=b"null")]
    )
    c = client()
    assert await c.call(TOKEN, "users.hasAppPermission", {}) is True
    assert await c.call(TOKEN, "x.y", {}) is None
    await c.aclose()


@respx.mock
async def test_writes_are_not_retried(respx_mock):
    route = respx_mock.post(BASE).mock(return_value=httpx.Response(502))
    c = client()
    with pytest.raises(TransientError):
        await c.call(TOKEN, "discussions.deleteDiscussionComment", {}, retry=False)
    assert route.call_count == 1
    await c.aclose()
