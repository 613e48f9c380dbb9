"""The OK emulator over real HTTP: signature, auth order, shapes, paging, faults, control.

These pin the emulator to the research notes (docs/networks/ok.md) so that the
production OK client tested against it behaves the same against api.ok.ru. Requests
are signed here by an independent few-line signer, not by the emulator's own code.
"""

from __future__ import annotations

import base64
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from hashlib import md5
from typing import Any

import httpx
import pytest

from hub_ok.emulator import OkEmulator
from hub_ok.emulator.methods import METHODS
from hub_ok.emulator.protocol import signature, signature_ok

NOW = 1_767_261_600  # 2026-01-01 10:00 UTC: fixed so data and tests are reproducible
KEY = "DEMOOKAPPKEY"
SECRET = "demo-ok-app-secret"
TOKEN = "demo-ok-token"
EXPIRED = "old-ok-token"


def sign(params: dict[str, str], token: str = TOKEN, secret: str = SECRET) -> str:
    """Notes §1.2, written out independently of the emulator."""
    session = md5((token + secret).encode("utf-8")).hexdigest()
    base = "".join(
        f"{k}={params[k]}" for k in sorted(params) if k not in ("access_token", "session_key")
    )
    return md5((base + session).encode("utf-8")).hexdigest()


def signed(method: str, token: str = TOKEN, **params: Any) -> dict[str, str]:
    out = {"application_key": KEY, "format": "json", "method": method}
    out.update({k: str(v) for k, v in params.items()})
    out["sig"] = sign(out, token)
    out["access_token"] = token
    return out


@pytest.fixture(scope="module")
def emu() -> Iterator[OkEmulator]:
    """Shared read-mostly emulator; tests that mutate state build their own."""
    with OkEmulator(
        seed=7,
        groups=3,
        topics=30,
        comments=12,
        rate_limit=0,
        now=NOW,
        big_topic=True,
        tokens=(TOKEN, "second-token"),
        expired_tokens=(EXPIRED,),
    ) as emulator:
        yield emulator


@pytest.fixture()
def fresh() -> Iterator[OkEmulator]:
    with OkEmulator(seed=11, groups=2, topics=6, comments=5, rate_limit=0, now=NOW) as emulator:
        yield emulator


_clients: dict[str, httpx.Client] = {}


def post(emulator: OkEmulator, data: dict[str, str]) -> httpx.Response:
    client = _clients.get(emulator.url)
    if client is None:  # one pooled client per emulator keeps the suite fast
        client = _clients[emulator.url] = httpx.Client(timeout=5)
    return client.post(emulator.url, data=data)


def ok(emulator: OkEmulator, method: str, **params: Any) -> Any:
    reply = post(emulator, signed(method, **params))
    assert reply.status_code == 200
    body = reply.json()
    assert not (isinstance(body, dict) and "error_code" in body), body
    assert "invocation-error" not in reply.headers
    return body


def err_of(reply: httpx.Response) -> tuple[int, str]:
    """(code, message) of an OK error reply; checks the envelope on the way."""
    assert reply.status_code == 200
    body = reply.json()
    assert set(body) == {"error_code", "error_msg", "error_data"} and body["error_data"] is None
    assert reply.headers["invocation-error"] == str(body["error_code"])
    return body["error_code"], body["error_msg"]


def err(emulator: OkEmulator, method: str, **params: Any) -> tuple[int, str]:
    return err_of(post(emulator, signed(method, **params)))


def control(emulator: OkEmulator, verb: str, path: str, json: Any = None) -> httpx.Response:
    base = emulator.url.removesuffix("/fb.do")
    return httpx.request(verb, f"{base}/_emulator/{path}", json=json, timeout=5)


def all_topics(emulator: OkEmulator, method: str, gid: int, **params: Any) -> list[dict]:
    """Walk a topic listing by anchors; returns the topics in the order seen."""
    key = "media_topics" if method == "mediatopic.getTopics" else None
    seen: list[dict] = []
    anchor = None
    for _ in range(100):
        extra = {"anchor": anchor} if anchor else {}
        page = ok(emulator, method, gid=gid, **params, **extra)
        seen += page[key] if key else page["entities"]["media_topics"]
        anchor = page["anchor"]
        if not page["has_more"]:
            return seen
    raise AssertionError("paging never ended")


def big_topic_id(emulator: OkEmulator, gid: int) -> str:
    topics = ok(emulator, "mediatopic.getTopics", gid=gid, count=100)["media_topics"]
    return next(t["id"] for t in topics if t["discussion_summary"]["comments_count"] == 250)


# --------------------------------------------------------------------------- signature & auth


def test_golden_signatures_from_the_notes() -> None:
    one = {
        "application_key": "ABCDEFGHIGKLMNOPK",
        "format": "json",
        "method": "events.get",
        "access_token": "-s-84W-s3egarWUsbkq-IWTucuedzTKT8VUXIA.s4Xx8IW7",
    }
    secret_one = "ABC123DEF456GHI789JKL123"
    assert signature(one, one["access_token"], secret_one) == "232c8eb921951c4dba9b72606f9ddb4c"
    assert signature_ok({**one, "sig": "232c8eb921951c4dba9b72606f9ddb4c"}, secret_one)
    two = {"application_key": "1", "format": "json", "method": "friends.get", "access_token": "3"}
    assert signature_ok({**two, "sig": "d7348fe0d7d735aa2156fa5c596ab8cc"}, "2")
    assert not signature_ok({**two, "sig": "d7348fe0d7d735aa2156fa5c596ab8cc"}, "3")
    assert not signature_ok({**two, "method": "friends.getOnline", "sig": "d7348fe0d7d7"}, "2")
    assert not signature_ok(two, "2")  # no sig at all


def test_cyrillic_parameter_signs_over_utf8_and_ascii_mangling_is_104(emu: OkEmulator) -> None:
    text = "Уважаемые жители! Вода будет 12.06"
    assert ok(emu, "users.getCurrentUser", note=text)["uid"]
    data = signed("users.getCurrentUser", note=text.encode("ascii", "replace").decode())
    data["note"] = text  # what goes on the wire is the real text, as in the C# client bug
    assert err_of(post(emu, data)) == (104, "PARAM_SIGNATURE : Invalid signature")


def test_checks_run_in_oks_order(emu: OkEmulator) -> None:
    good = signed("users.getCurrentUser")

    def without(*keys: str, **changes: str) -> dict[str, str]:
        data = {k: v for k, v in good.items() if k not in keys}
        data.update(changes)
        return data

    code, msg = err_of(post(emu, without("application_key", "access_token", "sig")))
    assert code == 101 and msg.startswith("PARAM_API_KEY : ")
    assert err_of(post(emu, without(application_key="NOPE", sig="x")))[0] == 101
    assert err_of(post(emu, without("access_token", "sig"))) == (
        100,
        "PARAM : Missed required parameter: access_token",
    )
    assert err_of(post(emu, without(access_token=EXPIRED, sig="bad"))) == (
        102,
        "PARAM_SESSION_EXPIRED : Session expired",
    )
    assert err_of(post(emu, without(access_token="nobody", sig="bad"))) == (
        103,
        "PARAM_SESSION_KEY : Invalid session key",
    )
    assert err_of(post(emu, without("sig")))[0] == 104
    assert err_of(post(emu, without(sig=good["sig"].upper())))[0] == 104
    assert err_of(post(emu, without(access_token="second-token")))[0] == 104  # sig is per token
    code, msg = err(emu, "foo.bar")
    assert (code, msg) == (3, "METHOD : Method foo.bar does not exist")
    data = {k: v for k, v in good.items() if k not in ("sig", "access_token", "format")}
    data["format"] = "xml"
    data["sig"], data["access_token"] = sign(data), TOKEN
    assert err_of(post(emu, data))[0] == 100
    stats = emu.stats()
    assert {"101", "100", "102", "103", "104", "3"} <= set(stats["errors"])


def test_second_token_is_another_admin_and_get_and_api_paths_work(emu: OkEmulator) -> None:
    first = ok(emu, "users.getCurrentUser")
    reply = post(emu, signed("users.getCurrentUser", token="second-token"))
    second = reply.json()
    assert first["uid"] != second["uid"] and first["name"] and second["name"]
    before = emu.stats()["tokens_in_url"]
    got = httpx.get(emu.url, params=signed("users.getCurrentUser"), timeout=5).json()
    assert got == first
    assert emu.stats()["tokens_in_url"] == before + 1
    data = signed("users.getCurrentUser")
    data.pop("method")
    data["sig"] = sign({k: v for k, v in data.items() if k not in ("sig", "access_token")})
    api = emu.url.removesuffix("/fb.do") + "/api/users/getCurrentUser"
    assert httpx.post(api, data=data, timeout=5).json() == first


def test_unexpected_exception_is_9999_not_a_traceback(
    emu: OkEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(call: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setitem(METHODS, "users.getCurrentUser", boom)
    code, msg = err(emu, "users.getCurrentUser")
    assert code == 9999 and msg.startswith("SYSTEM : ") and "internals" not in msg


# --------------------------------------------------------------------------- groups & topics


def test_group_get_info_is_a_bare_array_with_requested_fields(emu: OkEmulator) -> None:
    gids = emu.group_ids()
    assert all(len(str(g)) == 14 for g in gids)
    body = ok(
        emu,
        "group.getInfo",
        uids=",".join(map(str, [*gids, 70000009999999])),
        fields="name,members_count,access_type,homepage_url,phone,cover,pic_avatar,main_photo",
    )
    assert isinstance(body, list) and [g["uid"] for g in body] == [str(g) for g in gids]
    for group in body:
        assert group["access_type"] == "OPEN" and isinstance(group["members_count"], int)
        assert "description" not in group  # not requested
        if "main_photo" in group:
            assert set(group["main_photo"]) == {"id", "pic640x480"}
    assert err(emu, "group.getInfo", uids=gids[0])[0] == 100  # fields are required
    # Completeness checks need groups with gaps: over a dozen groups some lack each item.
    many = OkEmulator(seed=3, groups=12, topics=0, comments=0, now=NOW).state.groups.values()
    assert any(g.phone is None for g in many) and any(g.homepage_url is None for g in many)
    assert any(g.cover_key is None for g in many) and any(g.photo_id is None for g in many)


def test_get_topics_pages_cover_every_topic_once_sticky_first(emu: OkEmulator) -> None:
    snap = emu.snapshot()["groups"]
    for gid in emu.group_ids():
        seen = all_topics(emu, "mediatopic.getTopics", gid, count=7)
        ids = [t["id"] for t in seen]
        assert len(ids) == len(set(ids)) and set(ids) == set(snap[str(gid)]["topics"])
        assert seen[0]["is_sticky"] and sum(t["is_sticky"] for t in seen) == 1
        rest = [int(i) for i in ids[1:]]
        assert rest == sorted(rest, reverse=True)
    page = ok(emu, "mediatopic.getTopics", gid=emu.group_ids()[0])
    topic = page["media_topics"][1]
    assert len(page["media_topics"]) == 20 and page["has_more"] is True
    assert topic["author_ref"] == topic["owner_ref"] == f"group:{emu.group_ids()[0]}"
    assert topic["media"][0]["type"] == "text" and topic["is_on_behalf_of_group"] is True
    assert page["entities"]["groups"][0]["uid"] == str(emu.group_ids()[0])
    assert err(emu, "mediatopic.getTopics", gid=emu.group_ids()[0], count=101)[0] == 100
    assert err(emu, "mediatopic.getTopics", gid=emu.group_ids()[0], anchor="junk")[0] == 100


def test_forward_paging_then_new_topics_appear(fresh: OkEmulator) -> None:
    gid = fresh.group_ids()[0]
    seen = all_topics(fresh, "mediatopic.getTopics", gid, count=3, direction="FORWARD")
    assert len({t["id"] for t in seen}) == len(seen) == 6 and seen[0]["is_sticky"]
    last = ok(fresh, "mediatopic.getTopics", gid=gid, count=100, direction="FORWARD")
    new_id = fresh.add_topic(gid, "Новый пост", comments=2)
    newer = ok(fresh, "mediatopic.getTopics", gid=gid, direction="FORWARD", anchor=last["anchor"])
    assert [t["id"] for t in newer["media_topics"]] == [new_id]
    assert newer["media_topics"][0]["discussion_summary"]["comments_count"] == 2
    assert int(new_id) > max(int(t["id"]) for t in seen)


def test_stream_get_is_the_fallback_when_get_topics_is_missing() -> None:
    with OkEmulator(
        seed=5, groups=1, topics=25, comments=1, rate_limit=0, now=NOW, get_topics=False
    ) as emu:
        gid = emu.group_ids()[0]
        assert err(emu, "mediatopic.getTopics", gid=gid) == (
            3,
            "METHOD : Method mediatopic.getTopics does not exist",
        )
        page = ok(emu, "stream.get", gid=gid, patterns="POST", count=10)
        refs = [f["target_refs"][0] for f in page["feeds"]]
        topics = page["entities"]["media_topics"]
        assert refs == [f"media_topic:{t['id']}" for t in topics]
        assert all(f["pattern"] == "POST" for f in page["feeds"]) and topics[0]["is_sticky"]
        assert set(page["entities"]) == {"media_topics", "groups", "users"}
        seen = all_topics(emu, "stream.get", gid, patterns="POST", count=10)
        assert len({t["id"] for t in seen}) == len(seen) == 25


# --------------------------------------------------------------------------- comments


def test_get_comments_pages_a_big_topic_both_ways(emu: OkEmulator) -> None:
    gid = emu.group_ids()[1]
    tid = big_topic_id(emu, gid)
    forward: list[dict] = []
    anchor, sizes = "FIRST", []
    while True:
        page = ok(
            emu,
            "discussions.getComments",
            discussionId=tid,
            discussionType="GROUP_TOPIC",
            anchor=anchor,
            count=100,
        )
        forward += page["comments"]
        sizes.append((len(page["comments"]), page["has_more"]))
        anchor = page["anchor"]
        if not page["has_more"]:
            break
    assert sizes == [(100, True), (100, True), (50, False)]
    dates = [c["date_ms"] for c in forward]
    assert dates == sorted(dates) and len({c["id"] for c in forward}) == 250
    assert {c["id"] for c in forward} == set(
        emu.snapshot()["groups"][str(gid)]["topics"][tid]["comments"]
    )
    backward: list[dict] = []
    anchor = "LAST"
    while True:
        page = ok(
            emu,
            "discussions.getComments",
            discussionId=tid,
            discussionType="GROUP_TOPIC",
            anchor=anchor,
            direction="BACKWARD",
            count=100,
        )
        backward = page["comments"] + backward
        anchor = page["anchor"]
        if not page["has_more"]:
            break
    assert [c["id"] for c in backward] == [c["id"] for c in forward]
    default = ok(emu, "discussions.getComments", discussionId=tid, discussionType="GROUP_TOPIC")
    assert [c["id"] for c in default["comments"]] == [c["id"] for c in forward[:20]]
    assert default["discussionId"] == tid and default["discussionType"] == "GROUP_TOPIC"
    assert (
        err(
            emu,
            "discussions.getComments",
            discussionId=tid,
            discussionType="GROUP_TOPIC",
            count=101,
        )[0]
        == 100
    )
    assert err(emu, "discussions.getComments", discussionId=tid, discussionType="USER_STATUS") == (
        106,
        "PARAM_ENTITY_ID : Invalid discussion id",
    )
    assert (
        err(emu, "discussions.getComments", discussionId="1", discussionType="GROUP_TOPIC")[0]
        == 106
    )


def test_comment_shape_replies_group_authors_and_moscow_dates(emu: OkEmulator) -> None:
    gid = emu.group_ids()[0]
    comments: list[dict] = []
    users: dict[str, str] = {}
    for topic in ok(emu, "mediatopic.getTopics", gid=gid, count=100)["media_topics"]:
        page = ok(
            emu,
            "discussions.getComments",
            discussionId=topic["id"],
            discussionType="GROUP_TOPIC",
            count=100,
        )
        assert len(page["comments"]) == min(100, topic["discussion_summary"]["comments_count"])
        comments += page["comments"]
        users.update({u["uid"]: u["name"] for u in page["entities"]["users"]})
        for c in page["comments"]:
            raw = base64.b64decode(c["id"]).decode()
            ms, neg, ms2, topic_id, one = raw.split(":")
            assert (
                ms == ms2 == str(c["date_ms"]) and neg.startswith("-") and topic_id == topic["id"]
            )
            assert one == "1"
    msk = timezone(timedelta(hours=3))
    for c in comments:
        assert c["type"] == "ACTIVE_MESSAGE" and isinstance(c["author_id"], str)
        assert c["date"] == datetime.fromtimestamp(c["date_ms"] / 1000, msk).strftime(
            "%Y-%m-%d %H:%M:%S"
        )
        if c.get("author_type") != "GROUP":
            assert c["author_id"] in users
    by_group = [c for c in comments if c.get("author_type") == "GROUP"]
    replies = [c for c in comments if "reply_to_comment_id" in c]
    assert by_group and all(c["author_id"] == str(gid) and c["author_name"] for c in by_group)
    assert replies and all(c["reply_to_id"] for c in replies)


def test_delete_blocks_author_and_repeat_is_141(fresh: OkEmulator) -> None:
    gid = fresh.group_ids()[0]
    tid = next(iter(fresh.snapshot()["groups"][str(gid)]["topics"]))
    listing = ok(fresh, "discussions.getComments", discussionId=tid, discussionType="GROUP_TOPIC")
    target = next(
        c
        for c in listing["comments"]
        if "author_type" not in c and not fresh.is_blocked(gid, int(c["author_id"]))
    )
    author = int(target["author_id"])
    where = {"discussionId": tid, "discussionType": "GROUP_TOPIC", "comment_id": target["id"]}
    assert ok(fresh, "discussions.getComment", **where)["id"] == target["id"]
    assert ok(fresh, "group.getUserGroupsByIds", group_id=gid, uids=author)[0]["status"] == "ACTIVE"
    assert ok(fresh, "discussions.deleteDiscussionComment", **where, block_author="true") is True
    assert err(fresh, "discussions.getComment", **where) == (
        141,
        "PARAM_COMMENT_ID : Invalid comment id",
    )
    assert err(fresh, "discussions.deleteDiscussionComment", **where, block_author="true")[0] == 141
    assert fresh.is_blocked(gid, author)
    me = ok(fresh, "users.getCurrentUser")["uid"]
    statuses = ok(fresh, "group.getUserGroupsByIds", group_id=gid, uids=f"{author},{me},42")
    assert statuses == [
        {"groupId": str(gid), "userId": str(author), "status": "BLOCKED"},
        {"groupId": str(gid), "userId": me, "status": "ADMIN"},
    ]
    snap = fresh.snapshot()["groups"][str(gid)]
    assert target["id"] in snap["deleted_comments"] and author in snap["blocked"]
    assert target["id"] not in snap["topics"][tid]["comments"]
    topics = ok(fresh, "mediatopic.getTopics", gid=gid)["media_topics"]
    assert next(t for t in topics if t["id"] == tid)["discussion_summary"]["comments_count"] == 4
    # A comment from the group itself is deleted, but the group is never black-listed.
    own = fresh.add_comment(gid, tid, "Ответ администрации", author_id=gid)
    ok(
        fresh,
        "discussions.deleteDiscussionComment",
        discussionId=tid,
        discussionType="GROUP_TOPIC",
        comment_id=own,
        block_author="true",
    )
    assert not fresh.is_blocked(gid, gid)


# --------------------------------------------------------------------------- limits & faults


def test_rate_limit_answers_flood_blocked() -> None:
    with OkEmulator(seed=2, groups=1, topics=1, comments=0, rate_limit=2, now=NOW) as emu:
        ok(emu, "users.getCurrentUser")
        ok(emu, "users.getCurrentUser")
        assert err(emu, "users.getCurrentUser") == (8, "FLOOD_BLOCKED : Flood blocked")
        time.sleep(1.05)
        ok(emu, "users.getCurrentUser")


def test_faults_bursts_random_rates_and_slowness(fresh: OkEmulator) -> None:
    assert control(fresh, "POST", "faults", {"error_burst": 2, "http500": 1}).json() == {"ok": True}
    reply = post(fresh, signed("users.getCurrentUser"))
    assert reply.status_code == 500 and reply.headers["content-type"].startswith("text/html")
    assert err(fresh, "users.getCurrentUser") == (1, "UNKNOWN : Unknown error")
    assert err(fresh, "users.getCurrentUser")[0] == 1
    ok(fresh, "users.getCurrentUser")
    stats = fresh.stats()
    assert stats["errors"]["1"] == 2 and stats["http500"] == 1
    fresh.set_faults(slow_ms=150)
    started = time.monotonic()
    ok(fresh, "users.getCurrentUser")
    assert time.monotonic() - started >= 0.15
    with OkEmulator(
        seed=2, groups=1, topics=1, comments=0, rate_limit=0, now=NOW, fault_http500_rate=1.0
    ) as broken:
        assert post(broken, signed("users.getCurrentUser")).status_code == 500
    with OkEmulator(
        seed=2, groups=1, topics=1, comments=0, rate_limit=0, now=NOW, fault_error_rate=1.0
    ) as flaky:
        assert err(flaky, "users.getCurrentUser")[0] == 1


# --------------------------------------------------------------------------- control & data


def test_mutate_endpoints_change_the_world(fresh: OkEmulator) -> None:
    gid = fresh.group_ids()[1]

    def mutate(**body: Any) -> Any:
        reply = control(fresh, "POST", "mutate", body)
        assert reply.status_code == 200, reply.text
        assert reply.json()["ok"] is True
        return reply.json()["id"]

    tid = mutate(op="add_topic", group_id=gid, text="Объявление", comments=1)
    cid = mutate(op="add_comment", group_id=gid, topic_id=tid, text="Вопрос")
    reply_id = mutate(op="add_comment", group_id=gid, topic_id=tid, reply_to=cid)
    page = ok(fresh, "discussions.getComments", discussionId=tid, discussionType="GROUP_TOPIC")
    assert [c["id"] for c in page["comments"]][-2:] == [cid, reply_id]
    assert page["comments"][-1]["reply_to_comment_id"] == cid
    assert mutate(op="edit_topic", group_id=gid, topic_id=tid, text="Исправлено") == tid
    topic = ok(fresh, "mediatopic.getTopics", gid=gid)["media_topics"][1]
    assert topic["id"] == tid and topic["media"][0]["text"] == "Исправлено" and topic["edited_ms"]
    assert mutate(op="delete_comment", group_id=gid, topic_id=tid, comment_id=cid) == cid
    state = control(fresh, "GET", "state").json()["groups"][str(gid)]
    assert cid in state["deleted_comments"] and len(state["topics"][tid]["comments"]) == 2
    mutate(op="delete_topic", group_id=gid, topic_id=tid)
    state = control(fresh, "GET", "state").json()["groups"][str(gid)]
    assert state["deleted_topics"] == [tid] and tid not in state["topics"]
    assert (
        err(fresh, "discussions.getComments", discussionId=tid, discussionType="GROUP_TOPIC")[0]
        == 106
    )
    assert control(fresh, "POST", "mutate", {"op": "explode"}).status_code == 400
    assert (
        control(
            fresh, "POST", "mutate", {"op": "delete_topic", "group_id": 1, "topic_id": "1"}
        ).status_code
        == 404
    )
    assert control(fresh, "GET", "stats").json()["by_method"]["discussions.getComments"] >= 2
    assert control(fresh, "POST", "stats/reset").json() == {"ok": True}
    assert fresh.stats()["requests"] == 0 and fresh.stats()["tokens_in_url"] == 0


def test_generation_is_deterministic_and_fast() -> None:
    def snap(seed: int, now: float | None = NOW) -> dict[str, Any]:
        return OkEmulator(seed=seed, groups=4, topics=20, comments=8, now=now).snapshot()

    assert snap(5) == snap(5)
    assert snap(5) != snap(6)
    assert snap(5, None) == snap(5, None)  # now=None floors to the hour
    started = time.monotonic()
    big = OkEmulator(groups=100, topics=50, comments=20, now=NOW)
    assert time.monotonic() - started < 3
    counts = {len(t.live()) for t in big.state.topics.values()}
    assert counts == {20} and len(big.state.topics) == 5000


def test_cli_prints_url_and_stops_on_sigterm() -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hub_ok.emulator",
            "--port",
            "0",
            "--groups",
            "2",
            "--topics",
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
        assert line.startswith("OK emulator on http://127.0.0.1:") and "(2 groups: " in line
        assert "70000001234567,70000001234568" in line
        url = line.split()[3]
        reply = httpx.post(url, data=signed("group.getInfo", uids="70000001234567", fields="name"))
        assert reply.json()[0]["uid"] == "70000001234567"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
