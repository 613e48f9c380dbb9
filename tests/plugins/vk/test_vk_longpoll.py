"""VK Bots Long Poll end to end: the emulator's event log and ``a_check`` over real
loopback HTTP, and the production :class:`LongPoll` client on top of it.

Pinned to docs/networks/vk.md §7.1 (protocol, ``failed`` 1/2/3) and §7.3
(event objects and the example reply).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from hub.errors import TransientError
from hub_vk.client import VkClient
from hub_vk.emulator.longpoll import WALL_EVENTS
from hub_vk.emulator.server import TOKEN_OWNER_BASE, VkEmulator
from hub_vk.longpoll import LongPoll, LongPollBatch, events_to_models

NOW = 1_767_261_600
TOKEN = "demo-vk-token"
EVENT_KEYS = {"type", "event_id", "v", "group_id", "object"}


def switched_on(emu: VkEmulator) -> VkEmulator:
    """Long Poll on in every community, with the wall's events and bans (VK's default: off)."""
    events = dict.fromkeys(WALL_EVENTS + ("user_block", "user_unblock"), True)
    for gid in emu.community_ids():
        emu.set_long_poll(gid, **events)
    return emu


@pytest.fixture()
def emu() -> Iterator[VkEmulator]:
    with VkEmulator(seed=5, communities=2, posts=4, comments=3, rate_limit=0, now=NOW) as e:
        yield switched_on(e)


def client_for(emu: VkEmulator) -> VkClient:
    return VkClient(api_base=emu.url, version="5.199", requests_per_second=1000)


@pytest.fixture()
async def vk(emu: VkEmulator) -> AsyncIterator[VkClient]:
    client = client_for(emu)
    yield client
    await client.aclose()


@pytest.fixture()
async def lp(emu: VkEmulator, vk: VkClient) -> AsyncIterator[LongPoll]:
    async with LongPoll(vk, TOKEN, emu.community_ids()[0]) as poll:
        yield poll


def a_post(emu: VkEmulator, gid: int) -> int:
    return emu.add_post(gid, "Объявление о подаче воды")


async def start(lp: LongPoll) -> str:
    """Open the session and return the current position (no history)."""
    batch = await lp.next_batch(None, wait=0)
    assert batch.events == [] and not batch.gap
    return batch.ts


def ids(batch: LongPollBatch) -> list[int]:
    return [e["object"]["id"] for e in batch.events]


def server_calls(emu: VkEmulator) -> int:
    return emu.stats()["by_method"].get("groups.getLongPollServer", 0)


# --------------------------------------------------------------------------- emulator protocol


def api(emu: VkEmulator, method: str, **params: Any) -> dict[str, Any]:
    params.setdefault("v", "5.199")
    reply = httpx.post(
        f"{emu.url}/{method}",
        data=params,
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=5,
    )
    return reply.json()


def check(server: str, **params: Any) -> dict[str, Any]:
    reply = httpx.get(server, params={"act": "a_check", "wait": 0, **params}, timeout=5)
    assert reply.status_code == 200
    return reply.json()


def test_get_long_poll_server_and_a_check_protocol(emu: VkEmulator) -> None:
    gid, other = emu.community_ids()
    lp = api(emu, "groups.getLongPollServer", group_id=gid)["response"]
    assert set(lp) == {"key", "server", "ts"} and lp["key"]
    assert lp["server"] == f"{emu.base_url}/lp/{gid}"
    assert isinstance(lp["ts"], str) and lp["ts"].isdigit()
    assert api(emu, "groups.getLongPollServer", group_id=1)["error"]["error_code"] == 125

    ts = int(lp["ts"])
    assert check(lp["server"], key=lp["key"], ts=ts) == {"ts": str(ts), "updates": []}
    emu.add_comment(gid, a_post(emu, gid))
    answer = check(lp["server"], key=lp["key"], ts=ts)
    assert answer["ts"] == str(ts + 2) and [u["type"] for u in answer["updates"]] == [
        "wall_post_new",
        "wall_reply_new",
    ]
    assert check(lp["server"], key=lp["key"], ts=ts + 1)["updates"] == answer["updates"][1:]

    # Errors: a key unknown or of another community → 2; a future ts → 3; garbage ts → 1.
    assert check(lp["server"], key="nope", ts=ts) == {"failed": 2}
    other_server = f"{emu.base_url}/lp/{other}"
    assert check(other_server, key=lp["key"], ts=0) == {"failed": 2}
    assert check(lp["server"], key=lp["key"], ts=ts + 3) == {"failed": 3}
    assert check(lp["server"], key=lp["key"], ts="x") == {"failed": 1, "ts": str(ts + 2)}
    assert httpx.get(f"{emu.base_url}/lp/1", params={"act": "a_check"}).status_code == 404


def test_retained_window_and_injected_failures(emu: VkEmulator) -> None:
    gid = emu.community_ids()[0]
    lp = api(emu, "groups.getLongPollServer", group_id=gid)["response"]
    post_id = a_post(emu, gid)
    for _ in range(1000):
        emu.add_comment(gid, post_id)
    now = int(lp["ts"]) + 1001
    # 1001 events after the key's ts: the oldest one fell out of the 1000 kept.
    assert check(lp["server"], key=lp["key"], ts=lp["ts"]) == {"failed": 1, "ts": str(now)}
    kept = check(lp["server"], key=lp["key"], ts=now - 1000)["updates"]
    assert len(kept) == 1000 and kept[0]["type"] == "wall_reply_new"

    emu.set_faults(lp_failed=1)
    assert check(lp["server"], key=lp["key"], ts=now - 5) == {"failed": 1, "ts": str(now)}
    assert len(check(lp["server"], key=lp["key"], ts=now - 5)["updates"]) == 5  # one-shot
    emu.set_faults(lp_failed=3)
    assert check(lp["server"], key=lp["key"], ts=now) == {"failed": 3}
    assert check(lp["server"], key=lp["key"], ts=now) == {"failed": 2}  # that key is gone

    fresh = api(emu, "groups.getLongPollServer", group_id=gid)["response"]
    emu.expire_longpoll_keys()
    assert check(fresh["server"], key=fresh["key"], ts=now) == {"failed": 2}
    with pytest.raises(ValueError):
        emu.set_faults(lp_failed=4)


def test_control_endpoint_faults_and_edit_comment(emu: VkEmulator) -> None:
    gid = emu.community_ids()[0]
    lp = api(emu, "groups.getLongPollServer", group_id=gid)["response"]
    control = f"{emu.base_url}/_emulator"
    assert httpx.post(f"{control}/faults", json={"lp_failed": 2}).json() == {"ok": True}
    assert check(lp["server"], key=lp["key"], ts=lp["ts"]) == {"failed": 2}

    lp = api(emu, "groups.getLongPollServer", group_id=gid)["response"]
    post_id = a_post(emu, gid)
    cid = emu.add_comment(gid, post_id, "Ошибка в тексте")
    edited = httpx.post(
        f"{control}/mutate",
        json={"op": "edit_comment", "group_id": gid, "comment_id": cid, "text": "Исправлено"},
    ).json()
    assert edited == {"ok": True, "id": cid}
    last = check(lp["server"], key=lp["key"], ts=lp["ts"])["updates"][-1]
    assert last["type"] == "wall_reply_edit" and last["object"]["text"] == "Исправлено"
    # VK has no Long Poll event for an edited or deleted post.
    ts = check(lp["server"], key=lp["key"], ts=lp["ts"])["ts"]
    emu.edit_post(gid, post_id, "Новый текст")
    emu.delete_post(gid, post_id)
    assert check(lp["server"], key=lp["key"], ts=ts) == {"ts": ts, "updates": []}


def test_api_moderation_logs_events(emu: VkEmulator) -> None:
    gid = emu.community_ids()[0]
    lp = api(emu, "groups.getLongPollServer", group_id=gid)["response"]
    cid = emu.add_comment(gid, a_post(emu, gid), from_id=55501)
    assert api(emu, "wall.deleteComment", owner_id=-gid, comment_id=cid)["response"] == 1
    assert api(emu, "wall.restoreComment", owner_id=-gid, comment_id=cid)["response"] == 1
    assert api(emu, "groups.ban", group_id=gid, owner_id=55501, reason=1, comment="спам")[
        "response"
    ]
    assert api(emu, "groups.unban", group_id=gid, owner_id=55501)["response"] == 1
    updates = check(lp["server"], key=lp["key"], ts=int(lp["ts"]) + 2)["updates"]
    assert [u["type"] for u in updates] == [
        "wall_reply_delete",
        "wall_reply_restore",
        "user_block",
        "user_unblock",
    ]
    assert updates[0]["object"]["deleter_id"] == TOKEN_OWNER_BASE
    assert updates[1]["object"]["id"] == cid and updates[1]["object"]["post_owner_id"] == -gid
    assert updates[2]["object"] == {
        "admin_id": TOKEN_OWNER_BASE,
        "user_id": 55501,
        "unblock_date": 0,
        "reason": 1,
        "comment": "спам",
    }


# --------------------------------------------------------------------------- client


async def test_events_arrive_with_documented_shapes(
    emu: VkEmulator, vk: VkClient, lp: LongPoll
) -> None:
    gid = lp.group_id
    ts = await start(lp)
    post_id = emu.add_post(gid, "С 10 января меняется расписание автобусов")
    top = emu.add_comment(gid, post_id, "А вечерний рейс сохранят?", from_id=55501)
    reply = emu.add_comment(gid, post_id, "Да, сохраняется.", reply_to=top, from_id=-gid)
    emu.edit_comment(gid, top, "А вечерний рейс 12 сохранят?")
    emu.delete_comment(gid, reply)  # a moderator in the VK UI
    params = {"owner_id": -gid, "comment_id": top}
    assert await vk.call(TOKEN, "wall.deleteComment", params, retry=False) == 1

    batch = await lp.next_batch(ts, wait=0)
    assert not batch.gap and int(batch.ts) == int(ts) + 6
    assert [e["type"] for e in batch.events] == [
        "wall_post_new",
        "wall_reply_new",
        "wall_reply_new",
        "wall_reply_edit",
        "wall_reply_delete",
        "wall_reply_delete",
    ]
    for event in batch.events:
        assert set(event) == EVENT_KEYS and event["v"] == "5.199" and event["group_id"] == gid
        assert isinstance(event["event_id"], str) and event["event_id"]
    assert len({e["event_id"] for e in batch.events}) == 6

    new_post, new_top, new_reply, edit, ui_delete, api_delete = (e["object"] for e in batch.events)
    assert new_post["id"] == post_id and new_post["owner_id"] == -gid
    assert new_post["text"] == "С 10 января меняется расписание автобусов"
    assert {"date", "from_id", "post_type", "comments"} <= set(new_post)
    assert new_top | {"date": 0} == {
        "id": top,
        "from_id": 55501,
        "date": 0,
        "text": "А вечерний рейс сохранят?",
        "post_id": post_id,
        "owner_id": -gid,
        "post_owner_id": -gid,
        "parents_stack": [],
        "thread": {"count": 0},
    }
    assert new_reply["from_id"] == -gid and new_reply["parents_stack"] == [top]
    assert new_reply["reply_to_comment"] == top and new_reply["reply_to_user"] == 55501
    assert edit["id"] == top and edit["text"] == "А вечерний рейс 12 сохранят?"
    admin = emu.state.communities[gid].admin_id
    assert ui_delete == {"owner_id": -gid, "id": reply, "deleter_id": admin, "post_id": post_id}
    assert api_delete == {
        "owner_id": -gid,
        "id": top,
        "deleter_id": TOKEN_OWNER_BASE,
        "post_id": post_id,
    }

    posts, comments, deleted = events_to_models(batch.events, gid)
    assert [p.network_id for p in posts] == [post_id] and posts[0].published_at > 0
    assert comments == [] and deleted == [reply, top]  # both ended the batch deleted
    posts, comments, deleted = events_to_models(batch.events[:4], gid)
    assert deleted == [] and [c.network_id for c in comments] == [top, reply]
    assert comments[0].text == "А вечерний рейс 12 сохранят?"  # the edit, once
    assert comments[1].parent_network_id == top and comments[1].thread_root_network_id == top
    assert comments[1].post_network_id == post_id and comments[1].author_id == -gid


def test_events_to_models_on_the_documented_example() -> None:
    gid = 123456789
    events = [
        {
            "type": "wall_reply_new",
            "event_id": "3f1c0d9e",
            "v": "5.199",
            "group_id": gid,
            "object": {
                "id": 9031,
                "from_id": 55501,
                "post_id": 4521,
                "owner_id": -gid,
                "post_owner_id": -gid,
                "parents_stack": [],
                "date": 1767265000,
                "text": "Когда уберут снег на ул. Ленина?",
                "thread": {"count": 0},
            },
        },
        {
            "type": "wall_reply_delete",
            "event_id": "9ab2",
            "v": "5.199",
            "group_id": gid,
            "object": {"owner_id": -gid, "id": 9020, "deleter_id": 98765432, "post_id": 4521},
        },
        {
            "type": "user_block",
            "event_id": "77c1",
            "v": "5.199",
            "group_id": gid,
            "object": {"admin_id": 98765432, "user_id": 55501, "unblock_date": 0, "reason": 1},
        },
        {  # another community's event never leaks in
            "type": "wall_reply_delete",
            "event_id": "0000",
            "v": "5.199",
            "group_id": 42,
            "object": {"owner_id": -42, "id": 1, "deleter_id": 2, "post_id": 3},
        },
    ]
    posts, comments, deleted = events_to_models(events, gid)
    assert posts == [] and deleted == [9020]
    (comment,) = comments
    assert (comment.network_id, comment.post_network_id, comment.author_id) == (9031, 4521, 55501)
    assert comment.parent_network_id is None and "thread" not in comment.raw
    assert comment.published_at == 1767265000


async def test_ts_continuity_across_batches(emu: VkEmulator, lp: LongPoll) -> None:
    gid, other = emu.community_ids()
    post_id = a_post(emu, gid)
    other_post = a_post(emu, other)
    ts = await start(lp)
    delivered: list[str] = []
    for n in range(1, 5):
        made = [emu.add_comment(gid, post_id) for _ in range(n)]
        emu.add_comment(other, other_post)  # another community's log
        batch = await lp.next_batch(ts, wait=0)
        assert ids(batch) == made and not batch.gap
        assert int(batch.ts) == int(ts) + n
        delivered += [e["event_id"] for e in batch.events]
        again = await lp.next_batch(ts, wait=0)  # the position is the caller's: replayable
        assert again.events == batch.events and again.ts == batch.ts
        ts = batch.ts
    assert len(delivered) == len(set(delivered)) == 10
    idle = await lp.next_batch(ts, wait=0)
    assert idle == LongPollBatch([], ts, False)
    assert lp.server_requests == 1 == server_calls(emu)


async def test_failed_1_continues_from_the_given_ts_with_a_gap(
    emu: VkEmulator, lp: LongPoll
) -> None:
    gid = lp.group_id
    post_id = a_post(emu, gid)
    ts = await start(lp)
    emu.add_comment(gid, post_id)
    emu.set_faults(lp_failed=1)
    batch = await lp.next_batch(ts, wait=0)
    assert batch.gap and batch.events == [] and int(batch.ts) == int(ts) + 1
    later = emu.add_comment(gid, post_id)
    batch = await lp.next_batch(batch.ts, wait=0)
    assert ids(batch) == [later] and not batch.gap
    assert lp.server_requests == 1  # the key stayed good


async def test_falling_behind_the_retained_window_is_a_gap(emu: VkEmulator, lp: LongPoll) -> None:
    gid = lp.group_id
    post_id = a_post(emu, gid)
    ts = await start(lp)
    for _ in range(1001):
        emu.add_comment(gid, post_id)
    batch = await lp.next_batch(ts, wait=0)
    assert batch.gap and batch.events == [] and int(batch.ts) == int(ts) + 1001


async def test_failed_2_rekeys_without_losing_events(emu: VkEmulator, lp: LongPoll) -> None:
    gid = lp.group_id
    post_id = a_post(emu, gid)
    ts = await start(lp)
    first = emu.add_comment(gid, post_id)
    emu.set_faults(lp_failed=2)
    batch = await lp.next_batch(ts, wait=0)
    assert ids(batch) == [first] and not batch.gap and lp.server_requests == 2

    second = emu.add_comment(gid, post_id)
    emu.expire_longpoll_keys()
    batch = await lp.next_batch(batch.ts, wait=0)
    assert ids(batch) == [second] and not batch.gap
    assert lp.server_requests == 3 == server_calls(emu)


async def test_keys_expire_after_key_ttl() -> None:
    with VkEmulator(seed=5, communities=1, posts=2, comments=1, rate_limit=0, key_ttl=0.3) as emu:
        switched_on(emu)
        gid = emu.community_ids()[0]
        vk = client_for(emu)
        async with LongPoll(vk, TOKEN, gid) as lp:
            ts = await start(lp)
            post_id = a_post(emu, gid)
            assert (await lp.next_batch(ts, wait=0)).events and lp.server_requests == 1
            await asyncio.sleep(0.4)
            batch = await lp.next_batch(ts, wait=0)
            assert ids(batch)[0] == post_id and not batch.gap and lp.server_requests == 2
        await vk.aclose()


async def test_get_long_poll_server_at_most_once_per_batch() -> None:
    with VkEmulator(seed=5, communities=1, posts=2, comments=1, rate_limit=0, key_ttl=0) as emu:
        switched_on(emu)
        vk = client_for(emu)
        async with LongPoll(vk, TOKEN, emu.community_ids()[0]) as lp:
            for n in (1, 2, 3):  # every key is dead on arrival
                with pytest.raises(TransientError):
                    await lp.next_batch("0", wait=0)
                assert lp.server_requests == n == server_calls(emu)
        await vk.aclose()


async def test_failed_3_rekeys_with_a_gap(emu: VkEmulator, lp: LongPoll) -> None:
    gid = lp.group_id
    post_id = a_post(emu, gid)
    ts = await start(lp)
    emu.add_comment(gid, post_id)
    emu.set_faults(lp_failed=3)
    batch = await lp.next_batch(ts, wait=0)
    assert batch.gap and batch.events == [] and int(batch.ts) == int(ts) + 1
    assert lp.server_requests == 2
    later = emu.add_comment(gid, post_id)
    batch = await lp.next_batch(batch.ts, wait=0)
    assert ids(batch) == [later] and not batch.gap and lp.server_requests == 2


async def test_a_stored_ts_from_the_future_is_a_gap(emu: VkEmulator, lp: LongPoll) -> None:
    a_post(emu, lp.group_id)
    batch = await lp.next_batch("999999", wait=0)  # e.g. a ts saved before VK reset its log
    assert batch == LongPollBatch([], "1", True) and lp.server_requests == 1
    assert (await lp.next_batch(batch.ts, wait=0)).events == []


async def test_long_poll_wakes_up_on_a_new_comment(emu: VkEmulator, lp: LongPoll) -> None:
    gid = lp.group_id
    post_id = a_post(emu, gid)
    ts = await start(lp)
    task = asyncio.create_task(lp.next_batch(ts, wait=20))
    await asyncio.sleep(0.3)
    assert not task.done()
    started = time.monotonic()
    cid = emu.add_comment(gid, post_id, "Когда включат свет?")
    batch = await asyncio.wait_for(task, 5)
    assert time.monotonic() - started < 1.0
    assert ids(batch) == [cid] and batch.events[0]["type"] == "wall_reply_new"

    started = time.monotonic()
    idle = await lp.next_batch(batch.ts, wait=1)  # nothing happens: answers after ``wait``
    assert idle == LongPollBatch([], batch.ts, False)
    assert 0.9 <= time.monotonic() - started < 3


async def test_network_errors_keep_ts(emu: VkEmulator, vk: VkClient) -> None:
    gid = emu.community_ids()[0]
    post_id = a_post(emu, gid)
    async with LongPoll(vk, TOKEN, gid, timeout_margin=0.2) as lp:
        ts = await start(lp)
        first = emu.add_comment(gid, post_id)

        emu.set_faults(slow_ms=700)  # the answer comes after the read timeout
        with pytest.raises(TransientError) as caught:
            await lp.next_batch(ts, wait=0)
        assert "ReadTimeout" in str(caught.value)
        emu.set_faults(slow_ms=0)
        assert ids(await lp.next_batch(ts, wait=0)) == [first]

        emu.stop()  # the server is gone: nothing answers on its port
        for _ in range(3):
            with pytest.raises(TransientError):
                await lp.next_batch(ts, wait=0)
        emu.start()
        second = emu.add_comment(gid, post_id)
        batch = await lp.next_batch(ts, wait=0)  # a new server after 3 failures, same ts
        assert ids(batch) == [first, second] and not batch.gap
        assert lp.server_requests == 2


async def test_wait_is_bounded(lp: LongPoll) -> None:
    with pytest.raises(ValueError):
        await lp.next_batch("0", wait=91)
    assert lp.server_requests == 0
