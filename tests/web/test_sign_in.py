"""Signing in (issue 16): sessions in HttpOnly SameSite cookies, a CSRF token in every
form, throttled failures, expiry, a disabled operator out at once, no open redirect."""

from __future__ import annotations

import httpx

from hub import operators
from hub.web import sessions
from tests.web.conftest import PASSWORD, csrf_of, form, signed_in


def test_a_page_without_a_session_sends_to_the_sign_in_form(world):
    answer = httpx.get(world.url + "/moderation?account=acc-1")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/moderation%3Faccount%3Dacc-1"


def test_signing_in_sets_an_httponly_samesite_cookie_and_lands_on_next(world):
    client = httpx.Client(base_url=world.url)
    token = csrf_of(client.get("/login").text)
    answer = client.post(
        "/login",
        data={"login": "moder", "password": PASSWORD, "csrf": token, "next": "/plan"},
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/plan"
    cookie = next(
        v
        for k, v in answer.headers.multi_items()
        if k == "set-cookie" and v.startswith("hub_session=")
    )
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert "Secure" not in cookie  # plain http on loopback; https base_url makes it Secure
    assert client.get("/moderation").status_code == 200


def test_the_database_keeps_no_session_id(world):
    client = signed_in(world, "viewer")
    session_id = client.cookies["hub_session"].rpartition(".")[0]
    store = world.store()
    try:
        rows = [r[0] for r in store.db.execute("SELECT id_hash FROM web_sessions")]
    finally:
        store.close()
    assert session_id not in rows and len(rows) >= 1


def test_a_next_elsewhere_is_not_followed(world):
    client = httpx.Client(base_url=world.url)
    token = csrf_of(client.get("/login").text)
    answer = client.post(
        "/login",
        data={"login": "moder", "password": PASSWORD, "csrf": token, "next": "//evil.example/"},
    )
    assert answer.headers["location"] == "/"


def test_a_wrong_password_is_refused_without_saying_which_part(world):
    client = httpx.Client(base_url=world.url)
    token = csrf_of(client.get("/login").text)
    answer = client.post("/login", data={"login": "moder", "password": "nope", "csrf": token})
    unknown = client.post("/login", data={"login": "nobody", "password": "nope", "csrf": token})
    assert answer.status_code == unknown.status_code == 401
    assert all("неверный логин или пароль" in a.text for a in (answer, unknown))


def test_a_sign_in_without_its_form_token_is_refused(world):
    answer = httpx.post(world.url + "/login", data={"login": "moder", "password": PASSWORD})
    assert answer.status_code == 403
    assert "hub_session=" not in answer.headers.get("set-cookie", "")


def test_five_failures_throttle_the_login_even_with_the_right_password(world):
    client = httpx.Client(base_url=world.url)
    token = csrf_of(client.get("/login").text)
    for _ in range(sessions.THROTTLE_FAILURES):
        client.post("/login", data={"login": "approver", "password": "wrong", "csrf": token})
    answer = client.post("/login", data={"login": "approver", "password": PASSWORD, "csrf": token})
    assert answer.status_code == 429
    assert "слишком много неудачных попыток" in answer.text
    store = world.store()
    try:  # the throttle lifts: the window passes (here: the failures are forgotten)
        store.db.execute("DELETE FROM login_failures")
        store.db.conn.commit()
    finally:
        store.close()
    signed_in(world, "approver")


def test_a_post_without_the_csrf_token_is_refused_and_does_nothing(world):
    client = signed_in(world, "moder")
    answer = client.post("/logout")
    assert answer.status_code == 403
    assert client.get("/moderation").status_code == 200  # still signed in
    answer = client.post("/logout", data={"csrf": "forged"})
    assert answer.status_code == 403


def test_signing_out_ends_the_session_on_the_server(world):
    client = signed_in(world, "moder")
    cookie = client.cookies["hub_session"]
    token = form(client, "/moderation")
    assert client.post("/logout", data={"csrf": token}).status_code == 303
    replay = httpx.get(world.url + "/moderation", cookies={"hub_session": cookie})
    assert replay.status_code == 303  # the old cookie no longer works


def test_a_forged_cookie_signs_nobody_in(world):
    client = signed_in(world, "moder")
    session_id, _dot, _sig = client.cookies["hub_session"].rpartition(".")
    forged = httpx.get(world.url + "/moderation", cookies={"hub_session": session_id + ".00"})
    assert forged.status_code == 303


def test_an_expired_session_ends(world):
    client = signed_in(world, "viewer")
    store = world.store()
    try:
        store.db.execute("UPDATE web_sessions SET expires_at = '2000-01-01T00:00:00Z'")
        store.db.conn.commit()
    finally:
        store.close()
    assert client.get("/moderation").status_code == 303


def test_a_disabled_operator_is_out_at_once(world):
    store = world.store()
    try:
        operators.add(store, "leaver", "moderator", PASSWORD)
    finally:
        store.close()
    client = signed_in(world, "leaver")
    store = world.store()
    try:
        operators.disable(store, "leaver")
    finally:
        store.close()
    assert client.get("/moderation").status_code == 303
    token = csrf_of(httpx.get(world.url + "/login").text)
    again = httpx.Client(base_url=world.url)
    token = csrf_of(again.get("/login").text)
    refused = again.post("/login", data={"login": "leaver", "password": PASSWORD, "csrf": token})
    assert refused.status_code == 401


def test_pages_carry_a_content_policy_and_no_store(world):
    answer = signed_in(world, "viewer").get("/moderation")
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["x-frame-options"] == "DENY"


def test_assets_are_served_by_the_hub_itself(world):
    client = signed_in(world, "viewer")
    page = client.get("/moderation").text
    for asset in ("/static/htmx.min.js", "/static/console.js", "/static/console.css"):
        assert asset in page
        assert client.get(asset).status_code == 200
    assert "http://" not in page.split("<main")[0].replace(world.url, "")
    assert "https://" not in page.split("<main")[0]
