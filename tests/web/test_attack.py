"""An attacker's look at the console over loopback: escaping of everything a resident, a
network, an operator or a URL can put on a page; CSRF on every POST route; roles and
organization scope on every action; sessions and the sign-in throttle; bad input; secrets.

Tests named ``test_defect_*`` show a defect of the current code and FAIL until it is
fixed; every other test shows a defence that holds. Probes that may crash the server use
a fresh connection each (:func:`probe`): a 500 leaves uvicorn closing the connection."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import statistics
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from starlette.routing import Mount, Route

from hub import operators
from hub.plan import replies
from hub.web.app import create_app
from tests.helpers import TOKEN, TOKEN_ENV
from tests.web.conftest import PASSWORD, csrf_of, form, signed_in

HTMX = {"HX-Request": "true"}
#: breaks out of text, of a quoted attribute and of an unquoted one
PAYLOAD = "\"'><img src=x onerror=alert(1)><script>alert(2)</script><svg onload=alert(3)>"
RAW_MARKERS = ("<img", "<script>alert", "<svg", "onerror=alert(1)>")
ROLES = ("admin", "moder", "moder2", "moder-org1", "author", "approver", "viewer")
#: who may take the action of each POST route (hub.operators.PERMISSIONS)
MAY = {
    "moderate": {"admin", "moder", "moder2", "moder-org1"},
    "write": {"admin", "author"},
    "approve": {"admin", "approver"},
    "sync": {"admin", "moder", "moder2", "moder-org1"},
}
ROUTE_PERMISSION = {
    "/moderation/bulk": "moderate",
    "/moderation/{item}/delete": "moderate",
    "/moderation/{item}/keep": "moderate",
    "/moderation/{item}/ban": "moderate",
    "/moderation/{item}/lock": "moderate",
    "/moderation/{item}/unlock": "moderate",
    "/moderation/{item}/reply": "moderate",
    "/plan/new": "write",
    "/plan/drafts/{draft_id}/edit": "write",
    "/plan/drafts/{draft_id}/approve": "approve",
    "/plan/drafts/{draft_id}/reject": "approve",
    "/plan/drafts/{draft_id}/publish": "approve",
    "/accounts/{account_id}/check": "sync",
    "/accounts/{account_id}/sync": "sync",
    "/appeals/{appeal_id}/answer": "moderate",
    "/appeals/{appeal_id}/close": "moderate",
    "/appeals/{appeal_id}/assign": "moderate",
}


@pytest.fixture(autouse=True)
def token(monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, TOKEN)


_CLIENTS: dict[tuple[str, str], httpx.Client] = {}


def user(world, login: str) -> httpx.Client:
    """``login``'s client, signed in once per world (each sign-in costs scrypt)."""
    key = (world.url, login)
    if key not in _CLIENTS:
        _CLIENTS[key] = signed_in(world, login)
    return _CLIENTS[key]


def probe(world, method: str, path: str, cookies=None, **kw) -> httpx.Response:
    """One request on a connection of its own."""
    with httpx.Client(base_url=world.url, timeout=30, cookies=cookies) as client:
        return client.request(method, path, **kw)


def db(world, sql: str, params=()):
    store = world.store()
    try:
        rows = store.db.execute(sql, list(params)).fetchall()
        store.db.conn.commit()
        return rows
    finally:
        store.close()


def state(world) -> dict:
    """What an action could change (sessions, throttle and locks' clocks aside)."""
    out = {}
    for table, columns in {
        "verdicts": "id, status, decision, decided_by",
        "drafts": "id, state, title, text, approved_by, rejected_by, reject_reason",
        "draft_targets": "*",
        "actions": "*",
        "moderation_log": "*",
        "review_locks": "verdict_id, login",
        "sync_runs": "COUNT(*)",
        "reply_templates": "*",
        "appeals": "id, status, assigned_to, close_reason",
    }.items():
        out[table] = db(world, f"SELECT {columns} FROM {table}")
    return out


def queued(world, account: str) -> list[int]:
    rows = db(
        world,
        "SELECT v.id FROM verdicts v JOIN comments c ON c.id = v.comment_id "
        "WHERE v.status = 'queued' AND v.account_id = ? AND c.text NOT LIKE '%<script>%' "
        "ORDER BY v.id",
        [account],
    )
    return [r[0] for r in rows]


def tomorrow() -> str:
    return (datetime.now(ZoneInfo("Europe/Moscow")) + timedelta(days=1)).strftime(
        "%d.%m.%Y"
    ) + " 09:00"


def write_draft(world, login: str, text: str, accounts=("acc-1",), title: str = "") -> int:
    client = user(world, login)
    answer = client.post(
        "/plan/new",
        data={
            "csrf": form(client, "/plan/new"),
            "text": text,
            "title": title,
            "when": tomorrow(),
            "account": list(accounts),
        },
    )
    assert answer.status_code == 303, answer.text[-1500:]
    return int(re.search(r"/plan/drafts/(\d+)", answer.headers["location"]).group(1))


def post_routes(world) -> list[str]:
    """Every POST route of the application, found by walking its routes (mounts too)."""
    found = []

    def walk(routes, prefix=""):
        for route in routes:
            if isinstance(route, Mount):
                walk(route.routes or [], prefix + route.path)
            elif isinstance(route, Route) and "POST" in (route.methods or set()):
                found.append(prefix + route.path)

    walk(create_app(world.console).routes)
    return found


def concrete(path: str, item: int, draft: int, account: str = "acc-1") -> str:
    return (
        path.replace("{item}", str(item))
        .replace("{draft_id}", str(draft))
        .replace("{account_id}", account)
        .replace("{appeal_id}", "1")
    )


def raw_markup(html: str) -> list[str]:
    return [m for m in RAW_MARKERS if m in html] + re.findall(
        r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", html, re.I
    )


def assert_russian_page(answer: httpx.Response) -> None:
    assert answer.status_code < 500, (answer.status_code, answer.text[:300])
    assert "Traceback" not in answer.text and 'File "' not in answer.text
    assert re.search("[а-яА-Я]", answer.text), answer.text[:300]
    assert "content-security-policy" in answer.headers


# =========================================================================== 1. XSS


@pytest.fixture(scope="module")
def hostile(world):
    """Markup everywhere someone outside the console can put text: a resident's name, a
    community's name and address, a post's text and address, an approved reply template,
    an author's draft (title, text that the linter marks), an approver's reason."""
    db(world, "UPDATE authors SET name = ? WHERE kind = 'user'", [PAYLOAD])
    db(
        world,
        "UPDATE accounts SET name = ?, url = 'javascript:alert(4)' WHERE id = 'acc-1'",
        [PAYLOAD],
    )
    db(world, "UPDATE posts SET text = ?", [PAYLOAD])
    store = world.store()
    try:
        replies.add_template(store, "evil", "Ответ " + PAYLOAD, "x")
        replies.approve_template(store, "evil", "approver")
    finally:
        store.close()
    text = (
        "В рамках реализации мероприятий осуществляется проведение работ "
        + PAYLOAD
        + " по благоустройству территории в целях обеспечения надлежащего состояния."
    )
    marked = write_draft(world, "author", text, title=PAYLOAD)
    rejected = write_draft(world, "author", "Приходите на субботник " + PAYLOAD)
    approver = user(world, "approver")
    answer = approver.post(
        f"/plan/drafts/{rejected}/reject",
        data={"csrf": form(approver, f"/plan/drafts/{rejected}"), "reason": PAYLOAD},
    )
    assert answer.status_code == 303
    return {"drafts": [marked, rejected]}


def test_stored_markup_from_residents_networks_and_operators_is_text_on_every_page(world, hostile):
    pages = ["/moderation", "/moderation?account=acc-1", "/plan", "/plan/new", "/accounts"]
    pages += ["/compliance", "/compliance/print", "/registry", "/registry/export.html"]
    for draft in hostile["drafts"]:
        pages += [f"/plan/drafts/{draft}", f"/plan/drafts/{draft}/edit"]
    for login in ("admin", "moder", "author", "approver", "viewer"):
        client = user(world, login)
        for path in pages:
            answer = client.get(path)
            assert answer.status_code in (200, 403), (login, path, answer.status_code)
            assert not raw_markup(answer.text), (login, path, raw_markup(answer.text))
    page = user(world, "admin").get(f"/plan/drafts/{hostile['drafts'][0]}").text
    assert '<mark class="lint' in page  # the linter's marks are there, around escaped text
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_defect_the_plan_links_a_posts_address_whatever_its_scheme(world, hostile):
    """The queue, the accounts and the registry link only http(s) addresses; the week's
    calendar links a published post's stored address as it is (``javascript:`` too). The
    console's CSP stops it running; the template should not rely on that."""
    saved = db(world, "SELECT id, url FROM posts")
    try:
        db(world, "UPDATE posts SET url = 'javascript:alert(5)'")
        week = db(world, "SELECT MAX(published_at) FROM posts")[0][0][:10]
        page = user(world, "viewer").get("/plan", params={"week": week}).text
        assert "javascript:" not in page
    finally:
        for post_id, url in saved:
            db(world, "UPDATE posts SET url = ? WHERE id = ?", [url, post_id])


def test_markup_in_htmx_fragments_is_text(world, hostile):
    client = user(world, "moder")
    item = queued(world, "acc-1")[0]
    token = form(client, "/moderation")
    answer = client.post(
        f"/moderation/{item}/reply", data={"csrf": token, "template": "evil"}, headers=HTMX
    )
    assert answer.status_code == 200 and not raw_markup(answer.text), answer.text
    answer = client.post(
        "/moderation/bulk",
        data={"csrf": token, "action": "keep", "ids": [PAYLOAD, "999999999"]},
        headers=HTMX,
    )
    assert not raw_markup(answer.text), answer.text


def test_organization_names_that_are_markup_are_text_on_every_screen(world):
    """acc-2's organization renamed to markup in the config (the console re-reads it)."""
    path = Path(world.config_path)
    original = path.read_text(encoding="utf-8")
    name = json.dumps(PAYLOAD, ensure_ascii=False)
    try:
        path.write_text(original.replace('"Организация 2"', name), encoding="utf-8")
        os.utime(path, (time.time() + 5, time.time() + 5))
        client = user(world, "admin")
        for page in ("/moderation", "/plan", "/accounts", "/compliance", "/compliance/print"):
            answer = client.get(page)
            assert answer.status_code == 200, (page, answer.status_code)
            assert not raw_markup(answer.text), (page, raw_markup(answer.text))
            assert "&lt;img src=x" in answer.text, page  # the name is there, as text
        for page in ("/registry", "/registry/export.html"):
            assert not raw_markup(client.get(page).text), page
    finally:
        path.write_text(original, encoding="utf-8")
        os.utime(path, (time.time() + 10, time.time() + 10))
    assert "Организация 2" in user(world, "admin").get("/accounts").text


REFLECTED = [
    ("/plan", "week"),
    ("/moderation", "account"),
    ("/moderation", "category"),
    ("/moderation", "page"),
    ("/compliance", "week"),
    ("/compliance/print", "week"),
    ("/plan/drafts/1", "done"),
    ("/plan/drafts/1", "warn"),
    ("/login", "next"),
]


@pytest.mark.parametrize(("path", "param"), REFLECTED)
def test_query_parameters_are_never_reflected_as_markup(world, hostile, path, param):
    cookies = None if path == "/login" else user(world, "admin").cookies
    target = path.replace("/plan/drafts/1", f"/plan/drafts/{hostile['drafts'][0]}")
    for value in (PAYLOAD, "/" + PAYLOAD, "javascript:alert(1)"):
        answer = probe(world, "GET", target, cookies=cookies, params={param: value})
        assert answer.status_code < 500, (param, value, answer.status_code)
        assert not raw_markup(answer.text), (param, value, raw_markup(answer.text))
        assert "content-security-policy" in answer.headers


def test_the_reject_reason_and_markup_in_a_path_are_text(world):
    answer = user(world, "admin").get("/plan/drafts/" + PAYLOAD.replace("/", ""))
    assert answer.status_code == 404 and not raw_markup(answer.text)
    answer = user(world, "admin").post("/accounts/" + "x%3Cimg%20src=x%3E" + "/check")
    assert answer.status_code == 403 and not raw_markup(answer.text)


def test_every_answer_carries_the_policy_and_the_printable_page_its_own(world):
    client = user(world, "viewer")
    answers = [
        client.get("/moderation"),
        client.get("/no-such-page"),
        client.get("/compliance?week=nonsense"),
        client.get("/plan/drafts/999999"),
        client.get("/static/console.js"),
        client.post("/logout"),
        probe(world, "GET", "/moderation"),  # to the sign-in form
        probe(world, "POST", "/moderation/bulk"),  # 401
        probe(world, "GET", "/login"),
        client.get("/registry/export.json"),
    ]
    for answer in answers:
        policy = answer.headers.get("content-security-policy", "")
        assert "script-src 'self'" in policy, (answer.url, answer.status_code)
        assert "frame-ancestors 'none'" in policy and answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["x-content-type-options"] == "nosniff"
    printed = client.get("/compliance/print")
    policy = printed.headers["content-security-policy"]
    assert policy.startswith("default-src 'none'") and "script-src" not in policy
    assert "frame-ancestors 'none'" in policy and printed.headers["cache-control"] == "no-store"
    export = client.get("/registry/export.html")
    assert export.headers["content-disposition"].startswith("attachment")
    assert "script-src 'self'" in export.headers["content-security-policy"]


# =========================================================================== 2. CSRF


@pytest.fixture(scope="module")
def targets(world):
    """An item of acc-1 and of acc-2 and a draft for the routes' parameters."""
    return {
        "item": queued(world, "acc-1")[-1],
        "item2": queued(world, "acc-2")[-1],
        "draft": write_draft(world, "author", "Субботник в субботу в 10:00 у клуба."),
    }


def test_every_post_route_is_found(world):
    routes = post_routes(world)
    assert set(routes) == {*ROUTE_PERMISSION, "/login", "/logout"}, routes


@pytest.mark.parametrize("how", ["none", "query", "other-session", "login-token", "empty"])
def test_every_post_route_refuses_a_missing_or_foreign_csrf_token(world, targets, how):
    admin, other = user(world, "admin"), user(world, "moder")
    tokens = {
        "none": None,
        "query": form(admin, "/moderation"),
        "other-session": form(other, "/moderation"),
        "login-token": csrf_of(probe(world, "GET", "/login").text),
        "empty": "",
    }
    before = state(world)
    for route in post_routes(world):
        if route == "/login":
            continue
        path = concrete(route, targets["item"], targets["draft"])
        data = {"action": "delete", "ids": str(targets["item"]), "template": "evil"}
        data |= {"text": "Текст", "when": tomorrow(), "account": "acc-1", "reason": "нет"}
        params = {}
        if how == "query":
            params = {"csrf": tokens["query"]}
        elif tokens[how] is not None:
            data["csrf"] = tokens[how]
        answer = admin.post(path, data=data, params=params)
        assert answer.status_code == 403, (how, route, answer.status_code, answer.text[-300:])
        assert "CSRF" in answer.text
        header = {"X-CSRF-Token": tokens["other-session"], **HTMX}
        answer = admin.post(path, data={"ids": str(targets["item"])}, headers=header)
        assert "CSRF" in answer.text, (route, answer.text)
    assert state(world) == before
    assert admin.get("/moderation").status_code == 200  # still signed in


def test_a_sign_in_with_a_foreign_form_token_is_refused(world):
    victim = httpx.Client(base_url=world.url)
    victim.get("/login")
    attacker_token = csrf_of(probe(world, "GET", "/login").text)
    answer = victim.post(
        "/login", data={"login": "moder", "password": PASSWORD, "csrf": attacker_token}
    )
    assert answer.status_code == 403 and "hub_session" not in victim.cookies


def test_no_get_changes_anything(world, hostile, targets):
    client = user(world, "admin")
    pages = ["/", "/moderation", "/plan", "/plan/new", "/compliance", "/compliance/print"]
    pages += ["/registry", "/accounts", f"/plan/drafts/{targets['draft']}"]
    pages += [f"/plan/drafts/{targets['draft']}/edit", "/registry/export.json"]
    pages += ["/registry/export.csv", "/registry/export.html", "/healthz"]
    for path in pages:  # the first look syncs the registry from the config, as the CLI does
        client.get(path)
    before = state(world)
    for path in pages:
        assert client.get(path).status_code in (200, 303), path
        for verb in ("delete", "keep", "ban", "lock", "reply"):
            assert client.get(f"/moderation/{targets['item']}/{verb}").status_code == 405
        for verb in ("approve", "reject", "publish"):
            assert client.get(f"/plan/drafts/{targets['draft']}/{verb}").status_code == 405
        assert client.get("/accounts/acc-1/sync").status_code == 405
        assert client.get("/logout").status_code == 405
    assert state(world) == before


# =========================================================================== 3. authorization


def test_every_post_route_refuses_every_role_without_its_permission(world, targets):
    before = state(world)
    for route, permission in ROUTE_PERMISSION.items():
        for login in set(ROLES) - MAY[permission]:
            client = user(world, login)
            data = {"csrf": form(client, "/moderation"), "action": "delete", "reason": "x"}
            data |= {"ids": str(targets["item"]), "template": "evil", "account": "acc-1"}
            data |= {"text": "Текст поста", "when": tomorrow()}
            path = concrete(route, targets["item"], targets["draft"])
            for headers in ({}, HTMX):
                answer = client.post(path, data=data, headers=headers)
                assert "не позволяет" in answer.text, (login, route, answer.text[-400:])
                if not headers:
                    assert answer.status_code == 403, (login, route, answer.status_code)
    assert state(world) == before


def test_a_limited_moderator_cannot_touch_another_organizations_item(world, targets):
    client = user(world, "moder-org1")
    token = form(client, "/moderation")
    before = state(world)
    for verb in ("delete", "keep", "ban", "lock", "unlock", "reply"):
        for headers in ({}, HTMX):
            answer = client.post(
                f"/moderation/{targets['item2']}/{verb}",
                data={"csrf": token, "template": "evil"},
                headers=headers,
            )
            assert "не найден" in answer.text, (verb, answer.text[-300:])
            if not headers:
                assert answer.status_code == 404
    for path in ("/accounts/acc-2/check", "/accounts/acc-2/sync"):
        assert client.post(path, data={"csrf": token}).status_code == 404
    assert client.get("/moderation?account=acc-2").status_code == 404
    assert state(world) == before
    page = client.get("/moderation").text
    assert f'data-id="{targets["item2"]}"' not in page and "acc-2" not in page


def test_a_bulk_form_mixing_organizations_decides_only_ones_own(world):
    mine, theirs = queued(world, "acc-1")[0], queued(world, "acc-2")[0]
    client = user(world, "moder-org1")
    answer = client.post(
        "/moderation/bulk",
        data={"csrf": form(client, "/moderation"), "action": "keep", "ids": [mine, theirs]},
    )
    assert answer.status_code == 409
    decided = dict(db(world, "SELECT id, status FROM verdicts WHERE id IN (?, ?)", [mine, theirs]))
    assert decided == {mine: "rejected", theirs: "queued"}
    assert f"элемент очереди #{theirs} не найден" in answer.text  # the same as an unknown id


def test_a_limited_operator_reads_nothing_of_another_organization(world, targets):
    other = write_draft(world, "author", "Только для второго района.", accounts=("acc-2",))
    client = user(world, "moder-org1")
    for path in (f"/plan/drafts/{other}", f"/plan/drafts/{other}/edit"):
        assert client.get(path).status_code in (403, 404), path
    for path in ("/compliance", "/compliance/print", "/registry", "/accounts", "/plan"):
        page = client.get(path).text
        assert "Организация 2" not in page and "acc-2" not in page, path
    for fmt in ("json", "csv", "html"):
        export = client.get(f"/registry/export.{fmt}").text
        assert "Организация 2" not in export and "acc-2" not in export, fmt


def test_a_limited_approver_acts_on_no_draft_that_also_goes_elsewhere(world):
    store = world.store()
    try:
        if operators.find(store, "approver-org1") is None:
            operators.add(store, "approver-org1", "approver", PASSWORD, ("Организация 1",))
    finally:
        store.close()
    both = write_draft(world, "author", "Общий пост двух районов.", accounts=("acc-1", "acc-2"))
    client = user(world, "approver-org1")
    before = state(world)
    for action in ("approve", "reject", "publish"):
        answer = client.post(
            f"/plan/drafts/{both}/{action}",
            data={"csrf": form(client, "/plan"), "reason": "нет"},
        )
        assert answer.status_code == 403, (action, answer.status_code)
    assert state(world) == before


def test_defect_the_plans_waiting_list_names_accounts_outside_the_operators_scope(world):
    """The draft's own page hides acc-2 («И ещё аккаунтов вне ваших организаций: 1»); the
    week's «Ждут согласования» list prints every account of the draft."""
    both = write_draft(world, "author", "Ещё один общий пост.", accounts=("acc-1", "acc-2"))
    page = user(world, "moder-org1").get("/plan").text
    entry = re.search(rf'<li><a href="/plan/drafts/{both}">.*?</li>', page, re.S)
    assert entry, "the draft is not listed"
    assert "acc-2" not in entry.group(0), entry.group(0)


def test_defect_a_refusal_to_an_htmx_request_is_answered_200(world, targets):
    """Without its CSRF token an HTMX POST is refused, but the answer says 200 OK."""
    answer = user(world, "admin").post(f"/moderation/{targets['item']}/keep", headers=HTMX)
    assert "CSRF" in answer.text
    assert answer.status_code == 403


# =========================================================================== 4. sessions


def test_the_session_cookie_is_new_at_sign_in_and_its_flags_are_tight(world):
    planted = user(world, "viewer").cookies["hub_session"]
    client = httpx.Client(base_url=world.url, cookies={"hub_session": "planted.value"})
    token = csrf_of(client.get("/login").text)
    login_cookie = client.get("/login").headers["set-cookie"]
    assert "HttpOnly" in login_cookie and "samesite=strict" in login_cookie.lower()
    answer = client.post("/login", data={"login": "moder", "password": PASSWORD, "csrf": token})
    cookie = answer.headers.get_list("set-cookie")
    session = next(c for c in cookie if c.startswith("hub_session="))
    assert "HttpOnly" in session and "samesite=strict" in session.lower() and "Path=/" in session
    assert "Domain" not in session and "Max-Age=43200" in session
    value = answer.cookies["hub_session"]
    assert value not in ("planted.value", planted) and len(value.split(".")[0]) >= 40
    assert "hub_login=" in " ".join(cookie)  # the sign-in form's cookie is removed
    assert probe(world, "GET", "/moderation", cookies={"hub_session": value}).status_code == 200


def test_signing_out_ends_that_session_and_an_htmx_request_after_is_sent_to_sign_in(world):
    client = signed_in(world, "moder2")
    cookie = client.cookies["hub_session"]
    assert client.post("/logout", data={"csrf": form(client, "/plan")}).status_code == 303
    after = probe(world, "POST", "/moderation/bulk", cookies={"hub_session": cookie}, headers=HTMX)
    assert after.headers.get("hx-redirect", "").startswith("/login")


def clear_failures(world) -> None:
    db(world, "DELETE FROM login_failures")


def test_the_throttle_counts_a_login_however_it_is_spelled(world):
    client = httpx.Client(base_url=world.url)
    token = csrf_of(client.get("/login").text)
    try:
        for spelling in ("Approver", " approver", "APPROVER ", "approver\t", "ApProVeR"):
            answer = client.post(
                "/login", data={"login": spelling, "password": "wrong", "csrf": token}
            )
            assert answer.status_code == 401
        answer = client.post(
            "/login", data={"login": "approver", "password": PASSWORD, "csrf": token}
        )
        assert answer.status_code == 429 and "слишком много" in answer.text
    finally:
        clear_failures(world)


def test_a_forwarded_address_from_loopback_moves_only_the_address_count(world):
    """uvicorn believes X-Forwarded-For from 127.0.0.1 only (serve.py; here the test server's
    default is the same). From there each guess may name another address, so the per-address
    and per-pair counts are escaped — the per-login count (30 in 15 minutes: 5 would let
    anyone lock an operator out) still stops the guessing."""
    client = httpx.Client(base_url=world.url)
    token = csrf_of(client.get("/login").text)
    try:
        for n in range(30):
            client.post(
                "/login",
                data={"login": "author", "password": "wrong", "csrf": token},
                headers={"X-Forwarded-For": f"203.0.113.{n}"},
            )
        answer = client.post(
            "/login",
            data={"login": "author", "password": PASSWORD, "csrf": token},
            headers={"X-Forwarded-For": "198.51.100.7"},
        )
        assert answer.status_code == 429
        keys = {r[0] for r in db(world, "SELECT key FROM login_failures")}
        assert {f"addr:203.0.113.{n}" for n in range(5)} <= keys
        assert "login:author" in keys
    finally:
        clear_failures(world)


def test_an_unknown_login_takes_as_long_as_a_known_one(world):
    client = httpx.Client(base_url=world.url, timeout=30)
    token = csrf_of(client.get("/login").text)
    times = {"known": [], "unknown": []}
    try:
        client.post("/login", data={"login": "nobody-x", "password": "x", "csrf": token})
        for _ in range(4):
            for kind, login in (("known", "viewer"), ("unknown", "nobody-at-all")):
                clear_failures(world)
                started = time.perf_counter()
                client.post("/login", data={"login": login, "password": "wrong", "csrf": token})
                times[kind].append(time.perf_counter() - started)
    finally:
        clear_failures(world)
    known, unknown = (statistics.median(times[k]) for k in ("known", "unknown"))
    assert 0.5 < known / unknown < 2, times


# =========================================================================== 5. bad input


@pytest.mark.parametrize(
    "number", ["0", "-1", "abc", "1e3", "99999999999999999999999", str(2**63), "%C2%B2", "١"]
)
def test_ids_that_are_not_rows_are_not_found(world, number):
    cookies = user(world, "admin").cookies
    token = form(user(world, "admin"), "/moderation")
    for path in (f"/plan/drafts/{number}", f"/plan/drafts/{number}/edit"):
        answer = probe(world, "GET", path, cookies=cookies)
        assert answer.status_code == 404 and "нет" in answer.text, (path, answer.status_code)
        assert_russian_page(answer)
    for verb in ("keep", "lock", "reply"):
        answer = probe(
            world,
            "POST",
            f"/moderation/{number}/{verb}",
            cookies=cookies,
            data={"csrf": token, "template": "evil"},
        )
        assert answer.status_code == 404, (verb, number, answer.status_code)
        assert_russian_page(answer)
    for verb in ("approve", "reject", "publish", "edit"):
        answer = probe(
            world,
            "POST",
            f"/plan/drafts/{number}/{verb}",
            cookies=cookies,
            data={"csrf": token, "reason": "x", "text": "x"},
        )
        assert answer.status_code in (400, 404), (verb, number, answer.status_code)
        assert_russian_page(answer)


def test_defect_a_page_number_in_other_digits_is_a_500(world):
    answer = probe(world, "GET", "/moderation?page=%C2%B2", cookies=user(world, "viewer").cookies)
    assert_russian_page(answer)  # '²'.isdigit() is True, int('²') raises


def test_defect_a_bulk_id_in_other_digits_is_a_500(world):
    client = user(world, "moder")
    answer = probe(
        world,
        "POST",
        "/moderation/bulk",
        cookies=client.cookies,
        data={"csrf": form(client, "/moderation"), "action": "keep", "ids": "²"},
    )
    assert_russian_page(answer)


@pytest.mark.parametrize("where", ["form", "header"])
def test_defect_a_csrf_token_with_a_non_ascii_letter_is_a_500(world, where):
    """hmac.compare_digest raises TypeError on a str with non-ASCII characters."""
    cookies = user(world, "admin").cookies
    if where == "form":
        answer = probe(world, "POST", "/logout", cookies=cookies, data={"csrf": "токен"})
    else:
        answer = probe(
            world,
            "POST",
            "/logout",
            cookies=cookies,
            headers={"X-CSRF-Token": "t\xe9".encode("latin-1")},
        )
    assert answer.status_code == 403
    assert_russian_page(answer)


def test_defect_a_sign_in_form_token_with_a_non_ascii_letter_is_a_500(world):
    client = httpx.Client(base_url=world.url)
    client.get("/login")
    answer = client.post("/login", data={"login": "moder", "password": "x", "csrf": "é"})
    assert answer.status_code == 403
    assert_russian_page(answer)


def test_defect_a_session_cookie_with_a_non_ascii_letter_is_a_500_on_every_page(world):
    """Nobody signed in, one odd cookie: even the sign-in form is a 500."""
    answer = probe(world, "GET", "/login", headers={"Cookie": b"hub_session=a.\xe9"})
    assert answer.status_code == 200
    assert_russian_page(answer)


@pytest.mark.parametrize("target", ["//[x", "//evil.example\uff03x", "http://[::1"])
def test_defect_a_next_that_urlsplit_refuses_is_a_500(world, target):
    answer = probe(world, "GET", "/login", params={"next": target})
    assert answer.status_code == 200
    assert_russian_page(answer)


def test_defect_signing_in_with_such_a_next_is_a_500_after_the_session_is_made(world):
    client = httpx.Client(base_url=world.url)
    token = csrf_of(client.get("/login").text)
    before = db(world, "SELECT COUNT(*) FROM web_sessions WHERE login = 'moder2'")[0][0]
    answer = client.post(
        "/login", data={"login": "moder2", "password": PASSWORD, "csrf": token, "next": "//[x"}
    )
    after = db(world, "SELECT COUNT(*) FROM web_sessions WHERE login = 'moder2'")[0][0]
    assert answer.status_code == 303 and answer.headers["location"] == "/", answer.status_code
    assert after == before + 1


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/moderation?page={n}"),
        ("GET", "/plan/drafts/{n}"),
        ("POST", "/moderation/{n}/keep"),
        ("POST", "/plan/drafts/{n}/approve"),
        ("POST", "/moderation/bulk"),
    ],
)
def test_defect_a_number_of_more_than_4300_digits_is_a_500(world, method, path):
    """int() refuses a text of more than 4,300 digits (CPython's limit since 3.11)."""
    client = user(world, "admin")
    data = {"csrf": form(client, "/moderation"), "action": "keep", "ids": "1" * 5000}
    answer = probe(
        world,
        method,
        path.format(n="1" * 5000),
        cookies=client.cookies,
        data=data if method == "POST" else None,
    )
    assert_russian_page(answer)


def test_defect_a_field_over_one_megabyte_is_an_english_400(world):
    """A draft of ~170,000 Cyrillic letters is over 1 MB once form-encoded: Starlette's
    parser answers «Field exceeded maximum size of 1024KB.», in plain text."""
    client = user(world, "author")
    text = "Субботник у клуба. " * 13000
    answer = probe(
        world,
        "POST",
        "/plan/new",
        cookies=client.cookies,
        data={
            "csrf": form(client, "/plan/new"),
            "text": text,
            "when": tomorrow(),
            "account": "acc-1",
        },
    )
    assert answer.status_code in (400, 413)
    assert answer.headers["content-type"].startswith("text/html"), answer.text
    assert_russian_page(answer)


@pytest.mark.parametrize("when", ["01.01.0001 00:00", "0001-01-01 00:00"])
def test_defect_a_publication_time_in_year_one_is_a_500(world, when):
    client = user(world, "author")
    answer = probe(
        world,
        "POST",
        "/plan/new",
        cookies=client.cookies,
        data={
            "csrf": form(client, "/plan/new"),
            "text": "Субботник",
            "when": when,
            "account": "acc-1",
        },
    )
    assert answer.status_code == 400
    assert_russian_page(answer)


@pytest.mark.parametrize("chunked", [False, True])
def test_defect_a_body_over_two_megabytes_is_a_500_not_a_413(world, chunked):
    """The limit holds (nothing is parsed), but the answer is a bare 500 (Content-Length)
    or no answer at all (chunked): BaseHTTPMiddleware wraps the 413 in an ExceptionGroup."""
    client = user(world, "moder")
    field = b"a" * (900 * 1024)  # under the parser's 1 MB a field
    body = b"csrf=" + form(client, "/moderation").encode() + b"&x=" + b"&x=".join([field] * 3)
    content = iter([body[i : i + 65536] for i in range(0, len(body), 65536)]) if chunked else body
    try:
        answer = probe(
            world,
            "POST",
            "/moderation/bulk",
            cookies=client.cookies,
            content=content,
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
    except httpx.HTTPError as exc:
        pytest.fail(f"no answer: {exc!r}")
    assert answer.status_code == 413
    assert_russian_page(answer)


@pytest.mark.parametrize(
    ("method", "path", "kw"),
    [
        ("GET", "/logout", {}),
        ("PUT", "/moderation", {}),
        (
            "POST",
            "/moderation/bulk",
            {"content": b"x", "headers": {"content-type": "multipart/form-data"}},
        ),
    ],
    ids=["405-get-logout", "405-put", "400-multipart-without-boundary"],
)
def test_defect_the_frameworks_own_errors_are_english_plain_text(world, method, path, kw):
    answer = probe(world, method, path, cookies=user(world, "viewer").cookies, **kw)
    assert answer.status_code in (400, 405)
    assert answer.headers["content-type"].startswith("text/html"), answer.text
    assert_russian_page(answer)


def test_malformed_multipart_unicode_and_unknown_routes_are_answered_in_russian(world):
    client = user(world, "moder")
    token = form(client, "/moderation")
    cookies = client.cookies
    multipart = {"content-type": "multipart/form-data; boundary=abc"}
    broken = b'--abc\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n' + token.encode()
    answers = [
        probe(
            world, "POST", "/moderation/bulk", cookies=cookies, content=broken, headers=multipart
        ),
        probe(
            world,
            "POST",
            "/moderation/bulk",
            cookies=cookies,
            files={"ids": ("a.txt", b"1")},
            data={"csrf": token, "action": "keep"},
        ),
        probe(
            world,
            "POST",
            "/moderation/bulk",
            cookies=cookies,
            data={"csrf": token, "action": "keep", "ids": ["\u202e1", "😀", "\x00", "1" * 4000]},
        ),
        probe(world, "GET", "/moderation", cookies=cookies, params={"account": "\x00😀"}),
        probe(world, "GET", "/plan", cookies=cookies, params={"week": "\x00"}),
        probe(world, "GET", "/static/%2e%2e/app.py", cookies=cookies),
        probe(world, "GET", "/static/..%2fapp.py", cookies=cookies),
        probe(world, "GET", "/no/such/page", cookies=cookies),
        probe(world, "POST", "/accounts/%F0%9F%98%80/check", cookies=cookies, data={"csrf": token}),
    ]
    for answer in answers:
        assert_russian_page(answer)
        assert "from hub" not in answer.text and "def " not in answer.text


def test_a_post_as_long_as_vk_takes_full_of_findings_is_answered_quickly(world):
    client = user(world, "author")
    text = "В рамках реализации мероприятий осуществляется проведение работ. " * 240
    started = time.monotonic()
    answer = client.post(
        "/plan/new",
        data={
            "csrf": form(client, "/plan/new"),
            "text": text,
            "when": tomorrow(),
            "account": "acc-1",
        },
    )
    assert answer.status_code == 303 and time.monotonic() - started < 10
    assert client.get(answer.headers["location"]).status_code == 200


# =========================================================================== 6. secrets


def test_no_token_hash_or_key_appears_in_any_page_export_error_or_header(world, hostile, targets):
    key_file = Path(world.config_path).parent / "hub.web.key"
    assert key_file.exists()
    secrets = [TOKEN, key_file.read_text().strip()]
    secrets += [r[0].split("$")[-1] for r in db(world, "SELECT password_hash FROM operators")]
    world.emu.set_faults(http500=2)
    answers = []
    admin = user(world, "admin")
    token = form(admin, "/moderation")
    answers.append(admin.post("/accounts/acc-1/sync", data={"csrf": token}))
    answers.append(admin.post("/accounts/acc-1/check", data={"csrf": token}, headers=HTMX))
    world.emu.set_faults(http500=3)
    answers.append(
        admin.post(f"/moderation/{queued(world, 'acc-1')[0]}/delete", data={"csrf": token})
    )
    for login in ("admin", "moder-org1", "viewer"):
        client = user(world, login)
        for path in (
            "/moderation",
            "/plan",
            "/accounts",
            "/compliance",
            "/compliance/print",
            "/registry",
            "/registry/export.json",
            "/registry/export.csv",
            "/registry/export.html",
            "/plan/new",
            f"/plan/drafts/{targets['draft']}",
            "/nowhere",
            "/compliance?week=x",
        ):
            answers.append(client.get(path))
    answers.append(probe(world, "GET", "/login"))
    for answer in answers:
        seen = answer.text + json.dumps(dict(answer.headers))
        for secret in secrets:
            assert secret not in seen, (answer.url, secret[:6])
        assert "Traceback" not in answer.text


@pytest.mark.parametrize(
    "target",
    [
        "/\\evil.example/",
        "/\t/evil.example/",
        "/\\/evil.example",
        "//evil.example",
        "https://evil.example/",
        "/%2F/evil.example",
        "\\\\evil.example",
        " //evil.example",
    ],
)
def test_a_next_after_sign_in_never_leaves_the_console(world, target):
    client = httpx.Client(base_url=world.url)
    token = csrf_of(client.get("/login", params={"next": target}).text)
    answer = client.post(
        "/login", data={"login": "moder2", "password": PASSWORD, "csrf": token, "next": target}
    )
    assert answer.status_code == 303
    location = answer.headers["location"]
    browser_sees = re.sub(r"[\t\n\r]", "", location).replace("\\", "/")
    assert browser_sees.startswith("/") and not browser_sees.startswith("//"), location


def test_cookies_are_secure_when_the_proxy_on_loopback_says_https(world):
    client = httpx.Client(base_url=world.url, headers={"X-Forwarded-Proto": "https"})
    page = client.get("/login")
    assert "Secure" in page.headers["set-cookie"]


def test_the_librarys_messages_reach_the_page_in_russian(world):
    """A post longer than VK takes: the library's sentence is Russian on the page (the
    console's requests speak Russian: hub.i18n.speak_here); the network's own detail is
    still English (plugins' messages are not all translated yet: issue 16's note)."""
    client = user(world, "author")
    answer = client.post(
        "/plan/new",
        data={
            "csrf": form(client, "/plan/new"),
            "text": "Субботник. " * 1600,
            "when": tomorrow(),
            "account": "acc-1",
        },
    )
    flash = re.search(r'class="flash error" role="alert">(.*?)</p>', answer.text, re.S).group(1)
    assert "не может быть опубликован" in flash and "cannot go out" not in flash, flash


def test_a_moderator_cannot_release_or_use_another_moderators_lock(world):
    item = queued(world, "acc-1")[1]
    first, second = user(world, "moder"), user(world, "moder2")
    token = form(first, "/moderation")
    assert "вами" in first.post(f"/moderation/{item}/lock", data={"csrf": token}).text
    other = form(second, "/moderation")
    second.post(f"/moderation/{item}/unlock", data={"csrf": other})
    assert db(world, "SELECT login FROM review_locks WHERE verdict_id = ?", [item]) == [("moder",)]
    refused = second.post(f"/moderation/{item}/keep", data={"csrf": other})
    assert "moder" in refused.text and refused.status_code >= 400
    assert db(world, "SELECT status FROM verdicts WHERE id = ?", [item]) == [("queued",)]
    first.post(f"/moderation/{item}/unlock", data={"csrf": token})


def test_a_registry_csv_cell_that_is_a_formula_stays_text(world):
    """An organization named like an Excel formula: the «CSV для Excel» cell is text."""
    path = Path(world.config_path)
    original = path.read_text(encoding="utf-8")
    try:
        path.write_text(
            original.replace('"Организация 2"', '"=HYPERLINK(\\"http://x\\")"'),
            encoding="utf-8",
        )
        os.utime(path, (time.time() + 20, time.time() + 20))
        export = user(world, "admin").get("/registry/export.csv").text
    finally:
        path.write_text(original, encoding="utf-8")
        os.utime(path, (time.time() + 30, time.time() + 30))
    cells = [c for row in csv.reader(io.StringIO(export), delimiter=";") for c in row]
    assert '\'=HYPERLINK("http://x")' in cells, cells[:20]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@"))]
