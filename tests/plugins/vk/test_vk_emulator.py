"""The VK emulator over real HTTP: shapes, errors, limits, execute, control endpoints.

These pin the emulator to the research notes (docs/networks/vk.md) so that the
production client tested against it behaves the same against api.vk.ru.
"""

from __future__ import annotations

import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from hub_vk.emulator import VkEmulator
from hub_vk.emulator.methods import METHODS

NOW = 1_767_261_600  # 2026-01-01 10:00 UTC: fixed so data and tests are reproducible
TOKEN = "demo-vk-token"


@pytest.fixture(scope="module")
def emu() -> Iterator[VkEmulator]:
    """Shared read-mostly emulator; tests that mutate state build their own."""
    with VkEmulator(
        seed=7, communities=3, posts=30, comments=12, rate_limit=0, now=NOW, big_post=True
    ) as emulator:
        yield emulator


@pytest.fixture()
def fresh() -> Iterator[VkEmulator]:
    with VkEmulator(seed=11, communities=2, posts=6, comments=5, rate_limit=0, now=NOW) as emulator:
        yield emulator


def client_for(emulator: VkEmulator, token: str | None = TOKEN) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=emulator.url, headers=headers, timeout=5)


_clients: dict[str, httpx.Client] = {}


def call(emulator: VkEmulator, method: str, **params: Any) -> dict[str, Any]:
    """POST a form with the Bearer token, as the production client does."""
    params.setdefault("v", "5.199")
    client = _clients.get(emulator.url)
    if client is None:  # one pooled client per emulator keeps the suite fast
        client = _clients[emulator.url] = client_for(emulator)
    reply = client.post(f"/{method}", data=params)
    assert reply.status_code == 200
    return reply.json()


def ok(emulator: VkEmulator, method: str, **params: Any) -> Any:
    body = call(emulator, method, **params)
    assert "error" not in body, body
    return body["response"]


def err(emulator: VkEmulator, method: str, **params: Any) -> dict[str, Any]:
    body = call(emulator, method, **params)
    assert "response" not in body, body
    return body["error"]


def control(emulator: VkEmulator, verb: str, path: str, json: Any = None) -> httpx.Response:
    base = emulator.url.removesuffix("/method")
    return httpx.request(verb, f"{base}/_emulator/{path}", json=json, timeout=5)


def big_post_id(emulator: VkEmulator, gid: int) -> int:
    posts = ok(emulator, "wall.get", owner_id=-gid, count=100)["items"]
    return next(p["id"] for p in posts if p["comments"]["count"] == 145)


# --------------------------------------------------------------------------- reads


def test_groups_get_by_id_shape_and_int64(emu: VkEmulator) -> None:
    ids = emu.community_ids()
    assert any(gid > 2**31 for gid in ids)
    fields = (
        "description,contacts,site,addresses,members_count,cover,verified,activity,"
        "status,wall,fixed_post"
    )
    screen = ok(emu, "groups.getById", group_ids=str(ids[0]))["groups"][0]["screen_name"]
    resp = ok(emu, "groups.getById", group_ids=f"{ids[1]},{screen},{ids[2]}", fields=fields)
    assert resp["profiles"] == []
    groups = resp["groups"]
    assert [g["id"] for g in groups] == [ids[1], ids[0], ids[2]]
    for group in groups:
        assert {
            "id",
            "name",
            "screen_name",
            "is_closed",
            "type",
            "description",
            "contacts",
            "site",
            "addresses",
            "members_count",
            "cover",
            "verified",
            "activity",
            "status",
            "wall",
            "fixed_post",
        } <= group.keys()
        assert group["type"] in ("page", "group")
    brief = ok(emu, "groups.getById", group_id=str(ids[0]))["groups"][0]
    assert "description" not in brief and "members_count" not in brief
    error = err(emu, "groups.getById", group_ids="999")
    assert error["error_code"] == 100 and "group_ids" in error["error_msg"]


def test_deactivated_group(fresh: VkEmulator) -> None:
    gid = fresh.community_ids()[0]
    with fresh.lock:
        fresh.state.communities[gid].deactivated = "deleted"
    group = ok(fresh, "groups.getById", group_id=gid, fields="description")["groups"][0]
    assert group["deactivated"] == "deleted" and "description" not in group


def test_wall_get_pinned_first_and_paging_covers_everything(emu: VkEmulator) -> None:
    gid = emu.community_ids()[2]
    first = ok(emu, "wall.get", owner_id=-gid, count=7, filter="all")
    total = first["count"]
    assert total == 31  # 30 posts + the big one
    pinned = first["items"][0]
    assert pinned["is_pinned"] == 1
    seen = []
    for offset in range(0, total + 7, 7):
        seen += ok(emu, "wall.get", owner_id=-gid, count=7, offset=offset)["items"]
    ids = [p["id"] for p in seen]
    assert len(ids) == total == len(set(ids))
    rest = ids[1:]
    assert rest == sorted(rest, reverse=True)
    assert pinned["id"] < rest[0]  # an old post is pinned, not the newest
    assert sum("is_pinned" in p for p in seen) == 1
    snapshot_ids = {int(pid) for pid in emu.snapshot()["communities"][str(gid)]["posts"]}
    assert set(ids) == snapshot_ids


def test_post_shape(emu: VkEmulator) -> None:
    gid = emu.community_ids()[0]
    items = ok(emu, "wall.get", owner_id=-gid, count=100)["items"]
    for post in items:
        assert post["owner_id"] == post["from_id"] == -gid
        assert post["post_type"] == "post" and post["marked_as_ads"] == 0
        assert set(post["comments"]) == {"count", "can_post", "groups_can_post", "can_close"}
        assert {
            "likes",
            "reposts",
            "views",
            "post_source",
            "attachments",
            "text",
            "date",
            "created_by",
        } <= post.keys()
    assert any("edited" in p for p in items) and any("edited" not in p for p in items)
    assert {a["type"] for p in items for a in p["attachments"]} <= {"photo", "link"}
    assert any(p["attachments"] for p in items)


def test_wall_get_errors_and_user_wall(emu: VkEmulator) -> None:
    assert ok(emu, "wall.get", owner_id=12345) == {"count": 0, "items": []}
    assert err(emu, "wall.get", owner_id=-1)["error_code"] == 100
    assert err(emu, "wall.get", owner_id=-emu.community_ids()[0], count=101)["error_code"] == 100


def test_get_comments_paging_threads_and_extended(emu: VkEmulator) -> None:
    gid = emu.community_ids()[0]
    pid = big_post_id(emu, gid)
    base = {"owner_id": -gid, "post_id": pid, "preview_length": 0}
    page1 = ok(emu, "wall.getComments", count=100, thread_items_count=10, extended=1, **base)
    page2 = ok(emu, "wall.getComments", count=100, offset=100, thread_items_count=10, **base)
    assert page1["count"] == 145 and page1["current_level_count"] == 130
    assert {"can_post", "show_reply_button", "groups_can_post"} <= page1.keys()
    tops = page1["items"] + page2["items"]
    assert len(tops) == 130 and [c["id"] for c in tops] == sorted(c["id"] for c in tops)
    big = next(c for c in tops if c["thread"]["count"] == 15)
    thread_ids = [r["id"] for r in big["thread"]["items"]]
    assert len(thread_ids) == 10 and thread_ids == sorted(thread_ids)
    assert all(r["parents_stack"] == [big["id"]] for r in big["thread"]["items"])
    assert all({"reply_to_user", "reply_to_comment"} <= r.keys() for r in big["thread"]["items"])
    assert "likes" not in big
    replies = []
    for offset in (0, 6, 12):
        replies += ok(
            emu,
            "wall.getComments",
            comment_id=big["id"],
            count=6,
            offset=offset,
            need_likes=1,
            **base,
        )["items"]
    assert len(replies) == 15 and [r["id"] for r in replies][:10] == thread_ids
    assert all("likes" in r for r in replies)
    authors = {c["from_id"] for c in page1["items"]} | {
        r["from_id"] for c in page1["items"] for r in c["thread"]["items"]
    }
    assert {p["id"] for p in page1["profiles"]} == {a for a in authors if a > 0}
    assert {g["id"] for g in page1["groups"]} == {-a for a in authors if a < 0}
    desc = ok(emu, "wall.getComments", sort="desc", count=5, **base)["items"]
    assert [c["id"] for c in desc] == [c["id"] for c in tops[::-1][:5]]
    assert desc[0]["thread"]["items"] == []  # thread_items_count defaults to 0


def test_get_comments_preview_and_errors(emu: VkEmulator) -> None:
    gid = emu.community_ids()[1]
    pid = ok(emu, "wall.get", owner_id=-gid, count=2)["items"][1]["id"]
    full = ok(emu, "wall.getComments", owner_id=-gid, post_id=pid, preview_length=0)["items"]
    short = ok(emu, "wall.getComments", owner_id=-gid, post_id=pid, preview_length=5)["items"]
    assert [c["text"][:5] for c in full] == [c["text"] for c in short]
    assert (
        err(emu, "wall.getComments", owner_id=-gid, post_id=pid, thread_items_count=11)[
            "error_code"
        ]
        == 100
    )
    assert err(emu, "wall.getComments", owner_id=-gid, post_id=1)["error_code"] == 212
    assert err(emu, "wall.getComments", owner_id=-gid, post_id=pid, count=101)["error_code"] == 100


def test_placeholders_for_deleted_comments(fresh: VkEmulator) -> None:
    gid = fresh.community_ids()[0]
    pid = fresh.add_post(gid, "Тест")
    root = fresh.add_comment(gid, pid, "Вопрос")
    reply = fresh.add_comment(gid, pid, "Ответ", reply_to=root, from_id=-gid)
    lonely = fresh.add_comment(gid, pid, "Заработок от 5000 в день! Пиши в ЛС")
    fresh.delete_comment(gid, root)
    fresh.delete_comment(gid, lonely)
    resp = ok(fresh, "wall.getComments", owner_id=-gid, post_id=pid, thread_items_count=10)
    assert resp["count"] == 1 and resp["current_level_count"] == 1
    (placeholder,) = resp["items"]
    assert placeholder["deleted"] is True and placeholder["from_id"] == 0
    assert placeholder["text"] == "" and placeholder["id"] == root
    assert placeholder["thread"]["count"] == 1
    assert placeholder["thread"]["items"][0]["id"] == reply
    post = ok(fresh, "wall.getById", posts=f"-{gid}_{pid}")["items"][0]
    assert post["comments"]["count"] == 1
    state = fresh.snapshot()["communities"][str(gid)]
    assert state["posts"][str(pid)]["comments"] == [reply]
    assert {root, lonely} <= set(state["deleted_comments"])
    assert state["deleted_by"][str(root)] == "ui"


def test_get_comment_delete_restore(fresh: VkEmulator) -> None:
    gid = fresh.community_ids()[1]
    post = ok(fresh, "wall.get", owner_id=-gid, count=1)["items"][0]
    cid = ok(fresh, "wall.getComments", owner_id=-gid, post_id=post["id"])["items"][0]["id"]
    item = ok(fresh, "wall.getComment", owner_id=-gid, comment_id=cid, extended=1)
    assert item["items"][0]["id"] == cid and "profiles" in item
    assert ok(fresh, "wall.deleteComment", owner_id=-gid, comment_id=cid) == 1
    assert err(fresh, "wall.deleteComment", owner_id=-gid, comment_id=cid)["error_code"] == 211
    assert err(fresh, "wall.getComment", owner_id=-gid, comment_id=cid)["error_code"] == 104
    assert err(fresh, "wall.deleteComment", owner_id=-gid, comment_id=10**9)["error_code"] == 104
    state = fresh.snapshot()["communities"][str(gid)]
    assert cid in state["deleted_comments"] and state["deleted_by"][str(cid)] == "api"
    assert ok(fresh, "wall.restoreComment", owner_id=-gid, comment_id=cid) == 1
    assert err(fresh, "wall.restoreComment", owner_id=-gid, comment_id=cid)["error_code"] == 243


def test_ban_get_banned_unban(fresh: VkEmulator) -> None:
    gid = fresh.community_ids()[0]
    uid = next(iter(fresh.state.residents))
    assert not fresh.ban_exists(gid, uid)
    until = NOW + 7 * 86400
    assert (
        ok(
            fresh,
            "groups.ban",
            group_id=gid,
            owner_id=uid,
            end_date=until,
            reason=1,
            comment="реклама",
            comment_visible=1,
        )
        == 1
    )
    assert ok(fresh, "groups.ban", group_id=gid, owner_id=uid, reason=3) == 1  # replaces
    assert fresh.ban_exists(gid, uid)
    banned = ok(fresh, "groups.getBanned", group_id=gid, owner_id=uid)
    assert banned["count"] == 1
    (item,) = banned["items"]
    assert item["type"] == "profile" and item["profile"]["id"] == uid
    assert set(item["profile"]) >= {"id", "first_name", "last_name"}
    assert item["ban_info"]["end_date"] == 0 and item["ban_info"]["reason"] == 3
    assert set(item["ban_info"]) == {
        "admin_id",
        "date",
        "end_date",
        "reason",
        "comment",
        "comment_visible",
    }
    everyone = ok(fresh, "groups.getBanned", group_id=gid, count=200)
    assert everyone["count"] == len(everyone["items"]) >= 1
    assert (
        err(fresh, "groups.ban", group_id=gid, owner_id=uid, end_date=NOW + 400 * 86400)[
            "error_code"
        ]
        == 100
    )
    assert err(fresh, "groups.ban", group_id=1, owner_id=uid)["error_code"] == 125
    assert err(fresh, "groups.getBanned", group_id=gid, count=201)["error_code"] == 100
    assert ok(fresh, "groups.unban", group_id=gid, owner_id=uid) == 1
    assert not fresh.ban_exists(gid, uid)
    assert ok(fresh, "groups.getBanned", group_id=gid, owner_id=uid)["count"] == 0


# --------------------------------------------------------------------------- execute


def test_execute_plain_form_with_false_slot(emu: VkEmulator) -> None:
    gid = emu.community_ids()[0]
    code = (
        f'return [API.wall.get({{"owner_id": -{gid}, "count": 2}}),\n'
        f'  API.wall.getComments({{"owner_id": -{gid}, "post_id": 1, "count": 100}}),\n'
        f'  API.groups.getById({{"group_ids": [{gid}], "fields": "members_count"}})];'
    )
    before = emu.stats()
    body = call(emu, "execute", code=code)
    assert body["response"][0]["count"] == 31 and body["response"][1] is False
    assert body["response"][2]["groups"][0]["members_count"] > 0
    assert body["execute_errors"] == [
        {
            "method": "wall.getComments",
            "error_code": 212,
            "error_msg": "Access to post comments denied",
        }
    ]
    after = emu.stats()
    assert after["requests"] == before["requests"] + 1
    assert after["execute_calls"] == before["execute_calls"] + 1
    single = call(emu, "execute", code=f'return API.wall.get({{"owner_id": -{gid}, "count": 1}});')
    assert single["response"]["count"] == 31 and "execute_errors" not in single
    nested = call(emu, "execute", code='return [API.execute({"code": "return 1;"})];')
    assert nested["response"] == [False] and nested["execute_errors"][0]["error_code"] == 3


@pytest.mark.parametrize(
    "code",
    [
        "var a = 1; return a;",
        'return [API.wall.get({"owner_id": -1)];',
        "return [API.wall.get(Args.x)];",
        'return API.wall.get({"owner_id": -1}) + 1;',
    ],
)
def test_execute_compile_error(emu: VkEmulator, code: str) -> None:
    assert err(emu, "execute", code=code)["error_code"] == 12


def test_execute_too_many_calls(emu: VkEmulator) -> None:
    code = "return [" + ",".join(['API.groups.getById({"group_id": 1})'] * 26) + "];"
    error = err(emu, "execute", code=code)
    assert error["error_code"] == 13 and "Too many API calls" in error["error_msg"]


# --------------------------------------------------------------------------- errors, limits


def test_auth_version_format_errors(emu: VkEmulator) -> None:
    with client_for(emu, token=None) as anon:
        error = anon.post("/wall.get", data={"v": "5.199"}).json()["error"]
        assert error["error_code"] == 5 and "no access_token" in error["error_msg"]
        error = anon.post("/wall.get", data={"v": "5.199", "access_token": "nope"}).json()["error"]
        assert error == {
            "error_code": 5,
            "error_msg": "User authorization failed: invalid access_token (4).",
            "request_params": error["request_params"],
        }
        assert all(p["key"] != "access_token" for p in error["request_params"])
        assert "nope" not in str(error)
    with client_for(emu) as client:
        error = client.post("/wall.get", data={"owner_id": "-1"}).json()["error"]
        assert error["error_code"] == 8 and "v (version) is required" in error["error_msg"]
        error = client.post("/wall.get", json={"owner_id": -1, "v": "5.199"}).json()["error"]
        assert error["error_code"] == 8
        error = client.post("/wall.nothing", data={"v": "5.199"}).json()["error"]
        assert error["error_code"] == 3
        assert {"key": "method", "value": "wall.nothing"} in error["request_params"]
        assert {"key": "oauth", "value": "1"} in error["request_params"]
        got = client.get(
            "/groups.getById", params={"group_id": emu.community_ids()[0], "v": "5.131"}
        ).json()
        assert "groups" in got["response"]  # GET works; old 5.x still gets 5.199 shapes


def test_rate_limit_per_token() -> None:
    with (
        VkEmulator(
            seed=1, communities=1, posts=3, comments=2, rate_limit=2, now=NOW, tokens=("a", "b")
        ) as emulator,
        client_for(emulator, "a") as client,
    ):
        codes = [
            client.post(
                "/groups.getById", data={"group_id": emulator.community_ids()[0], "v": "5.199"}
            )
            .json()
            .get("error", {})
            .get("error_code")
            for _ in range(5)
        ]
        assert codes[:2] == [None, None] and codes[2:] == [6, 6, 6]
        with client_for(emulator, "b") as other:  # limits are per token
            assert "response" in other.post("/wall.get", data={"owner_id": 1, "v": "5.199"}).json()
        assert emulator.stats()["errors"]["6"] == 3


def test_tokens_in_url_counter(emu: VkEmulator) -> None:
    control(emu, "POST", "stats/reset")
    with client_for(emu, token=None) as anon:
        anon.post("/wall.get", params={"access_token": TOKEN, "v": "5.199"}, data={"owner_id": 1})
        anon.post("/wall.get", data={"access_token": TOKEN, "v": "5.199", "owner_id": 1})
    ok(emu, "wall.get", owner_id=1)
    stats = control(emu, "GET", "stats").json()
    assert stats["tokens_in_url"] == 1 and stats["requests"] == 3
    assert stats["by_method"] == {"wall.get": 3}


def test_faults_bursts_and_slowness(fresh: VkEmulator) -> None:
    assert control(fresh, "POST", "faults", {"http500": 2, "error6_burst": 1}).json()["ok"]
    with client_for(fresh) as client:
        for _ in range(2):
            reply = client.post("/wall.get", data={"owner_id": 1, "v": "5.199"})
            assert reply.status_code == 500 and "<h1>500" in reply.text
        assert (
            client.post("/wall.get", data={"owner_id": 1, "v": "5.199"}).json()["error"][
                "error_code"
            ]
            == 6
        )
        assert "response" in client.post("/wall.get", data={"owner_id": 1, "v": "5.199"}).json()
        fresh.set_faults(slow_ms=80)
        started = time.monotonic()
        client.post("/wall.get", data={"owner_id": 1, "v": "5.199"})
        assert time.monotonic() - started >= 0.08
        fresh.set_faults(slow_ms=0)
    assert fresh.stats()["http500"] == 2


def test_random_fault_rate() -> None:
    with VkEmulator(
        communities=1, posts=2, comments=1, rate_limit=0, now=NOW, fault_error6_rate=1.0
    ) as emulator:
        assert err(emulator, "wall.get", owner_id=1)["error_code"] == 6


def test_internal_error_is_code_10(fresh: VkEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(_call: Any) -> Any:
        raise RuntimeError("bug")

    monkeypatch.setitem(METHODS, "wall.get", boom)
    error = err(fresh, "wall.get", owner_id=1)
    assert error["error_code"] == 10 and error["error_msg"] == "Internal server error"


# --------------------------------------------------------------------------- control


def test_mutate_endpoints(fresh: VkEmulator) -> None:
    gid = fresh.community_ids()[0]
    new = control(fresh, "POST", "mutate", {"op": "add_post", "group_id": gid, "comments": 5})
    assert new.status_code == 200 and new.json()["ok"]
    pid = new.json()["id"]
    items = ok(fresh, "wall.get", owner_id=-gid, count=2)["items"]
    assert items[1]["id"] == pid and items[1]["comments"]["count"] == 5
    root = ok(fresh, "wall.getComments", owner_id=-gid, post_id=pid)["items"][0]["id"]
    reply = control(
        fresh,
        "POST",
        "mutate",
        {
            "op": "add_comment",
            "group_id": gid,
            "post_id": pid,
            "reply_to": root,
            "text": "Спасибо!",
        },
    ).json()["id"]
    assert reply > root
    edited = control(
        fresh,
        "POST",
        "mutate",
        {"op": "edit_post", "group_id": gid, "post_id": pid, "text": "Новый"},
    )
    assert edited.json() == {"ok": True, "id": pid}
    state = control(fresh, "GET", "state").json()["communities"][str(gid)]
    assert state["posts"][str(pid)]["edited"] is not None
    assert reply in state["posts"][str(pid)]["comments"]
    assert len(state["posts"][str(pid)]["comments"]) == 6
    count = ok(fresh, "wall.get", owner_id=-gid)["count"]
    control(fresh, "POST", "mutate", {"op": "delete_post", "group_id": gid, "post_id": pid})
    assert ok(fresh, "wall.get", owner_id=-gid)["count"] == count - 1
    bad = control(fresh, "POST", "mutate", {"op": "explode"})
    assert bad.status_code == 400 and bad.json()["ok"] is False
    base = fresh.url.removesuffix("/method")
    assert httpx.post(f"{base}/_emulator/mutate", content=b"{nope").status_code == 400
    missing = control(
        fresh, "POST", "mutate", {"op": "delete_comment", "group_id": 1, "comment_id": 1}
    )
    assert missing.status_code == 404


def test_determinism_same_seed_same_snapshot() -> None:
    def snap(seed: int, now: float | None = NOW) -> dict[str, Any]:
        return VkEmulator(seed=seed, communities=4, posts=20, comments=8, now=now).snapshot()

    assert snap(5) == snap(5)
    assert snap(5) != snap(6)
    assert snap(5, None) == snap(5, None)  # now=None floors to the hour


def test_cli_prints_url_and_stops_on_sigterm() -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hub_vk.emulator",
            "--port",
            "0",
            "--communities",
            "2",
            "--posts",
            "3",
            "--comments",
            "2",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert select.select([proc.stdout], [], [], 10)[0], "emulator printed nothing"
        line = proc.stdout.readline()
        assert line.startswith("VK emulator on http://127.0.0.1:") and "2 communities:" in line
        url = line.split()[3]
        reply = httpx.post(
            f"{url}/groups.getById",
            data={"group_id": "210000000", "v": "5.199"},
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=5,
        )
        assert reply.json()["response"]["groups"][0]["id"] == 210000000
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
