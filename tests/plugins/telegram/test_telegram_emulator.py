"""The Telegram Bot API emulator over real HTTP: envelope, update stream, rights, moderation.

These pin the emulator to the research notes (docs/networks/telegram.md) so the
hub's Telegram client, tested against it, behaves the same against api.telegram.org:
the §3 update shapes, getUpdates' offset/allowed_updates/retention/409 rules (§2),
the §5 moderation errors and the 429 ``retry_after`` parameter (§1).
"""

from __future__ import annotations

import json
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from hub_telegram.emulator.server import DEFAULT_TOKEN, TelegramEmulator

NOW = 1_767_261_600  # 2026-01-01 10:00 UTC: fixed so data and tests are reproducible
TOKEN = DEFAULT_TOKEN
BOT_ID = 123456789
OTHER = "555666777:AAF-second-bot-token"
MUTED = {"can_send_messages": False, "can_send_photos": False, "can_send_other_messages": False}


@pytest.fixture()
def emu() -> Iterator[TelegramEmulator]:
    with TelegramEmulator(now=NOW) as emulator:
        yield emulator


@pytest.fixture()
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


def api(
    http: httpx.Client, emu: TelegramEmulator, method: str, token: str = TOKEN, **params: Any
) -> httpx.Response:
    return http.post(f"{emu.url}/bot{token}/{method}", json=params)


def ok(http: httpx.Client, emu: TelegramEmulator, method: str, **params: Any) -> Any:
    reply = api(http, emu, method, **params)
    body = reply.json()
    assert reply.status_code == 200 and body["ok"] is True, body
    return body["result"]


def fails(
    http: httpx.Client, emu: TelegramEmulator, code: int, expect: str, method: str, **params: Any
) -> dict[str, Any]:
    reply = api(http, emu, method, **params)
    body = reply.json()
    assert reply.status_code == code and body["ok"] is False and body["error_code"] == code, body
    assert expect in body["description"], body
    return body


def drain(http: httpx.Client, emu: TelegramEmulator, token: str = TOKEN) -> list[dict[str, Any]]:
    """Every queued update, confirming page by page as a client does."""
    out: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 100}
    while True:
        page = api(http, emu, "getUpdates", token=token, **params).json()["result"]
        if not page:
            return out
        out += page
        params["offset"] = page[-1]["update_id"] + 1


def a_comment(emu: TelegramEmulator, ref: str) -> tuple[int, int]:
    """(post id, first live comment) of the newest post that has comments."""
    posts = emu.snapshot()["channels"][ref]["posts"]
    post = max((p for p in posts if posts[p]["comments"]), key=int)
    return int(post), posts[post]["comments"][0]


# --------------------------------------------------------------------------- envelope


def test_envelope_auth_and_routing(emu, http):
    me = ok(http, emu, "getMe")
    assert me["id"] == BOT_ID and me["is_bot"] and me["username"] == "municipal_hub_bot"
    # GET query, form POST, any case of the method name
    assert http.get(f"{emu.url}/bot{TOKEN}/GETME").json()["result"]["id"] == BOT_ID
    ref = emu.channel_refs()[0]
    form = http.post(f"{emu.url}/bot{TOKEN}/getChat", data={"chat_id": ref}).json()
    assert form["result"]["username"] == ref[1:]
    bad = http.post(f"{emu.url}/bot999:nope/getMe")
    assert bad.status_code == 401
    assert bad.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    missing = http.post(f"{emu.url}/bot{TOKEN}/noSuchMethod")
    assert missing.status_code == 404 and missing.json()["description"] == "Not Found"
    assert TOKEN.split(":")[1] not in bad.text + missing.text + json.dumps(me)
    stats = emu.stats()
    assert stats["errors"] == {"401": 1, "404": 1} and stats["tokens_in_url"] == 0
    assert stats["by_method"]["getMe"] == 3 and stats["requests"] == 5


def test_an_unexpected_exception_is_a_plain_500(emu, http, monkeypatch):
    def boom(call):
        raise RuntimeError("secret internals")

    monkeypatch.setitem(emu._methods, "getme", ("getMe", boom))
    reply = api(http, emu, "getMe")
    assert reply.status_code == 500 and reply.json()["description"] == "Internal Server Error"
    assert "internals" not in reply.text and "Traceback" not in reply.text


# --------------------------------------------------------------------------- update stream


def test_updates_have_the_documented_shapes_and_order(emu, http):
    updates = drain(http, emu)
    ids = [u["update_id"] for u in updates]
    assert ids == list(range(ids[0], ids[0] + len(ids)))
    kinds = [next(k for k in u if k != "update_id") for u in updates]
    assert kinds.count("channel_post") == 2 * 20
    posts = [u["channel_post"] for u in updates if "channel_post" in u]
    assert all(p["chat"] == p["sender_chat"] and p["chat"]["type"] == "channel" for p in posts)
    assert any("photo" in p and "caption" in p for p in posts)
    assert any("text" in p for p in posts)
    assert any(
        "edit_date" in u["edited_channel_post"] for u in updates if "edited_channel_post" in u
    )
    messages = [(u["update_id"], u["message"]) for u in updates if "message" in u]
    forwards = {m["message_id"]: (uid, m) for uid, m in messages if m.get("is_automatic_forward")}
    assert len(forwards) == 2 * 20
    for _, fwd in forwards.values():
        assert fwd["from"]["id"] == 777000 and fwd["sender_chat"]["type"] == "channel"
        origin = fwd["forward_origin"]
        assert origin["type"] == "channel" and origin["chat"]["id"] == fwd["sender_chat"]["id"]
        assert isinstance(origin["message_id"], int) and isinstance(origin["date"], int)
        assert not {k for k in fwd if k.startswith("forward_") and k != "forward_origin"}
        assert fwd["chat"]["type"] == "supergroup"
    comments = [(uid, m) for uid, m in messages if not m.get("is_automatic_forward")]
    assert len(comments) == 2 * 20 * 8
    early = 0
    seen_first: set[int] = set()
    for uid, c in comments:
        thread = c["message_thread_id"]
        assert thread in forwards and "is_topic_message" not in c
        if thread not in seen_first:
            seen_first.add(thread)
            early += uid < forwards[thread][0]
        reply = c.get("reply_to_message")
        if reply is not None:
            assert reply["message_id"] == thread or reply.get("message_thread_id") == thread
            assert "reply_to_message" not in reply
    assert early >= 1  # some first comments arrive before the thread's forward
    assert sum("reply_to_message" not in c for _, c in comments) >= 1
    nested = [
        c
        for _, c in comments
        if c.get("reply_to_message", {}).get("message_id") not in (None, c["message_thread_id"])
    ]
    assert nested
    as_chat = [c for _, c in comments if "sender_chat" in c]
    assert as_chat and all(c["from"]["id"] == 136817688 for c in as_chat)
    channel_ids = {p["chat"]["id"] for p in posts}
    assert {c["sender_chat"]["id"] in channel_ids for c in as_chat} == {True, False}
    residents = [c["from"] for _, c in comments if "sender_chat" not in c]
    assert all(5_550_000_000 < r["id"] < 5_551_000_000 for r in residents)
    assert any("username" in r for r in residents) and any("username" not in r for r in residents)
    for text_key, ents_key in (("text", "entities"), ("caption", "caption_entities")):
        for m in [p for p in posts if ents_key in p]:
            units = m[text_key].encode("utf-16-le")
            for e in m[ents_key]:
                part = units[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le")
                assert part[0] in "#@h"
    assert emu.snapshot()["pending_updates"] == {str(BOT_ID): 0}
    assert emu.stats()["get_updates"] >= 2


def test_offset_confirms_and_negative_offset_keeps_the_tail(emu, http):
    total = emu.snapshot()["pending_updates"][str(BOT_ID)]
    first = ok(http, emu, "getUpdates", limit=3)
    again = ok(http, emu, "getUpdates", limit=3)
    assert first == again  # nothing confirmed yet
    nxt = ok(http, emu, "getUpdates", offset=first[1]["update_id"] + 1, limit=1)
    assert nxt == first[2:3]
    assert emu.snapshot()["pending_updates"][str(BOT_ID)] == total - 2
    tail = ok(http, emu, "getUpdates", offset=-2)
    assert len(tail) == 2 and emu.snapshot()["pending_updates"][str(BOT_ID)] == 2


def test_allowed_updates_filter_and_are_remembered(emu, http):
    only = ok(http, emu, "getUpdates", allowed_updates=["channel_post"])
    assert only and all("channel_post" in u for u in only)
    form = http.post(f"{emu.url}/bot{TOKEN}/getUpdates", data={"limit": "100"}).json()["result"]
    assert form == only  # omitted: the previous list still applies
    again = http.post(
        f"{emu.url}/bot{TOKEN}/getUpdates", data={"allowed_updates": "[]", "limit": "5"}
    ).json()["result"]
    assert any("message" in u for u in again)  # [] = every default type


def test_retention_drops_updates_older_than_a_day(emu, http):
    ref = emu.channel_refs()[0]
    emu.advance_clock(25 * 3600)
    assert ok(http, emu, "getUpdates") == []
    assert emu.snapshot()["pending_updates"][str(BOT_ID)] == 0
    post = emu.add_post(ref, "Свежая новость")
    fresh = ok(http, emu, "getUpdates")
    assert [u["channel_post"]["message_id"] for u in fresh if "channel_post" in u] == [post]
    assert ok(http, emu, "getWebhookInfo") == {
        "url": "",
        "has_custom_certificate": False,
        "pending_update_count": 2,
    }


def test_long_poll_waits_for_news_and_overlap_is_409(emu, http):
    drain(http, emu)
    ref = emu.channel_refs()[0]
    answers: list[httpx.Response] = []

    def poll(**params: Any) -> None:
        with httpx.Client(timeout=10) as own:
            url = f"{emu.url}/bot{TOKEN}/getUpdates"
            answers.append(own.post(url, json={"timeout": 5, **params}))

    waiter = threading.Thread(target=poll)
    started = time.monotonic()
    waiter.start()
    time.sleep(0.2)
    emu.add_post(ref, "Срочное объявление")
    waiter.join(5)
    assert time.monotonic() - started < 2
    assert answers[0].json()["result"][0]["channel_post"]["text"] == "Срочное объявление"
    offset = answers[0].json()["result"][-1]["update_id"] + 1
    answers.clear()
    started = time.monotonic()
    waiter = threading.Thread(target=poll, kwargs={"offset": offset})
    waiter.start()
    time.sleep(0.2)
    assert ok(http, emu, "getUpdates", offset=offset) == []
    waiter.join(5)
    assert time.monotonic() - started < 2
    earlier = answers[0].json()
    assert answers[0].status_code == 409 and earlier["description"] == (
        "Conflict: terminated by other getUpdates request; "
        "make sure that only one bot instance is running"
    )


def test_webhook_excludes_polling(emu, http):
    fails(http, emu, 400, "HTTPS URL", "setWebhook", url="http://example.org/hook")
    assert ok(http, emu, "setWebhook", url="https://example.org/hook") is True
    fails(http, emu, 409, "can't use getUpdates method while webhook is active", "getUpdates")
    assert ok(http, emu, "getWebhookInfo")["url"] == "https://example.org/hook"
    assert ok(http, emu, "deleteWebhook") is True
    assert len(ok(http, emu, "getUpdates", limit=5)) == 5  # the queue was kept
    assert ok(http, emu, "deleteWebhook", drop_pending_updates=True) is True
    assert ok(http, emu, "getUpdates") == []


# --------------------------------------------------------------------------- chats and rights


def test_chats_members_and_bot_rights(emu, http):
    ref = emu.channel_refs()[0]
    channel, group = emu.channel_id(ref), emu.group_id(ref)
    assert str(channel).startswith("-100") and str(group).startswith("-100")
    chat = ok(http, emu, "getChat", chat_id=ref)
    assert chat["type"] == "channel" and chat["id"] == channel and chat["linked_chat_id"] == group
    assert chat["title"].startswith("Администрация") and chat["description"]
    assert ok(http, emu, "getChat", chat_id=str(group))["linked_chat_id"] == channel
    assert {"photo" in ok(http, emu, "getChat", chat_id=r) for r in emu.channel_refs()} == {
        True,
        False,
    }
    fails(http, emu, 400, "Bad Request: chat not found", "getChat", chat_id="@nobody_here")
    assert ok(http, emu, "getChatMemberCount", chat_id=channel) > 0
    me = ok(http, emu, "getChatMember", chat_id=group, user_id=BOT_ID)
    assert me["status"] == "administrator" and me["can_delete_messages"]
    assert me["can_restrict_members"]
    admins = ok(http, emu, "getChatAdministrators", chat_id=channel)
    assert [a["status"] for a in admins] == ["creator", "administrator", "administrator"]
    owner = admins[0]["user"]["id"]
    fails(
        http,
        emu,
        400,
        "user is an administrator of the chat",
        "banChatMember",
        chat_id=group,
        user_id=owner,
    )
    emu.set_bot_rights(ref, can_restrict=False, can_post=False)
    me = ok(http, emu, "getChatMember", chat_id=channel, user_id=BOT_ID)
    assert me["can_post_messages"] is False and me["can_restrict_members"] is False
    emu.set_bot_rights(ref, channel_admin=False, group_admin=False)
    assert ok(http, emu, "getChatMember", chat_id=group, user_id=BOT_ID)["status"] == "member"
    emu.set_bot_rights(ref, in_channel=False, in_group=False)
    assert ok(http, emu, "getChatMember", chat_id=channel, user_id=BOT_ID)["status"] == "left"
    fails(http, emu, 400, "chat not found", "getChatMember", chat_id=group, user_id=BOT_ID)
    news = ok(http, emu, "getUpdates", allowed_updates=["my_chat_member"])
    statuses = [u["my_chat_member"]["new_chat_member"]["status"] for u in news]
    assert statuses[-2:] == ["left", "left"]


# --------------------------------------------------------------------------- moderation


def test_delete_message_rules(emu, http):
    ref = emu.channel_refs()[0]
    group = emu.group_id(ref)
    _, comment = a_comment(emu, ref)
    assert ok(http, emu, "deleteMessage", chat_id=group, message_id=comment) is True
    assert comment in emu.snapshot()["channels"][ref]["deleted_comments"]
    fails(
        http,
        emu,
        400,
        "message to delete not found",
        "deleteMessage",
        chat_id=group,
        message_id=comment,
    )
    _, other = a_comment(emu, ref)
    emu.set_bot_rights(ref, can_delete=False)
    fails(
        http, emu, 400, "message can't be deleted", "deleteMessage", chat_id=group, message_id=other
    )
    emu.set_bot_rights(ref)
    assert ok(http, emu, "deleteMessages", chat_id=group, message_ids=[other, comment, 1]) is True
    _, last = a_comment(emu, ref)
    emu.advance_clock(49 * 3600)
    fails(
        http, emu, 400, "message can't be deleted", "deleteMessage", chat_id=group, message_id=last
    )


def test_ban_removes_messages_and_unban(emu, http):
    ref = emu.channel_refs()[0]
    group = emu.group_id(ref)
    updates = drain(http, emu)
    by_user: dict[int, list[int]] = {}
    for u in updates:
        m = u.get("message", {})
        if m.get("chat", {}).get("id") == group and "sender_chat" not in m:
            by_user.setdefault(m["from"]["id"], []).append(m["message_id"])
    user, mids = max(by_user.items(), key=lambda kv: len(kv[1]))
    assert ok(http, emu, "banChatMember", chat_id=group, user_id=user) is True
    assert emu.is_banned(ref, user)
    assert set(mids) <= set(emu.snapshot()["channels"][ref]["deleted_comments"])
    assert ok(http, emu, "getChatMember", chat_id=group, user_id=user)["status"] == "kicked"
    assert ok(http, emu, "unbanChatMember", chat_id=group, user_id=user, only_if_banned=True)
    assert not emu.is_banned(ref, user)
    fails(http, emu, 400, "can't restrict self", "banChatMember", chat_id=group, user_id=group)
    emu.set_bot_rights(ref, can_restrict=False)
    fails(
        http,
        emu,
        400,
        "not enough rights to restrict/unrestrict chat member",
        "banChatMember",
        chat_id=group,
        user_id=user,
    )


def test_restrict_and_lift(emu, http):
    ref = emu.channel_refs()[0]
    group = emu.group_id(ref)
    user = 5_550_000_007
    # a form post carries the permissions object as JSON text (notes §1)
    form = {"chat_id": str(group), "user_id": str(user), "permissions": json.dumps(MUTED)}
    reply = http.post(f"{emu.url}/bot{TOKEN}/restrictChatMember", data=form).json()
    assert reply["result"] is True and emu.is_restricted(ref, user)
    member = ok(http, emu, "getChatMember", chat_id=group, user_id=user)
    assert member["status"] == "restricted" and member["can_send_messages"] is False
    assert emu.snapshot()["channels"][ref]["restricted"] == [user]
    allowed = {key: True for key in MUTED} | {
        k: True
        for k in (
            "can_send_audios",
            "can_send_documents",
            "can_send_videos",
            "can_send_video_notes",
            "can_send_voice_notes",
            "can_send_polls",
            "can_add_web_page_previews",
        )
    }
    assert ok(http, emu, "restrictChatMember", chat_id=group, user_id=user, permissions=allowed)
    assert not emu.is_restricted(ref, user)
    fails(
        http,
        emu,
        400,
        "only for supergroups",
        "restrictChatMember",
        chat_id=ref,
        user_id=user,
        permissions=MUTED,
    )


def test_ban_sender_chat(emu, http):
    ref = emu.channel_refs()[0]
    group, channel = emu.group_id(ref), emu.channel_id(ref)
    foreign = -1_001_899_000_123
    assert ok(http, emu, "banChatSenderChat", chat_id=group, sender_chat_id=foreign) is True
    assert emu.sender_chat_banned(ref, foreign)
    assert emu.snapshot()["channels"][ref]["banned_sender_chats"] == [foreign]
    fails(
        http,
        emu,
        400,
        "can't restrict self",
        "banChatSenderChat",
        chat_id=group,
        sender_chat_id=channel,
    )


def test_send_message_posts_and_replies():
    with TelegramEmulator(now=NOW, tokens=(TOKEN, OTHER)) as emu, httpx.Client() as http:
        ref = emu.channel_refs()[1]
        drain(http, emu)
        drain(http, emu, OTHER)
        post = ok(http, emu, "sendMessage", chat_id=ref, text="Пост от бота #новости")
        assert (
            post["chat"]["id"] == emu.channel_id(ref) and post["sender_chat"]["type"] == "channel"
        )
        mine = ok(http, emu, "getUpdates")
        assert [next(k for k in u if k != "update_id") for u in mine] == ["message"]
        fwd = mine[0]["message"]
        assert (
            fwd["is_automatic_forward"]
            and fwd["forward_origin"]["message_id"] == post["message_id"]
        )
        theirs = drain(http, emu, OTHER)
        assert {"channel_post", "message"} == {
            next(k for k in u if k != "update_id") for u in theirs
        }
        reply = ok(
            http,
            emu,
            "sendMessage",
            chat_id=emu.group_id(ref),
            text="Первый комментарий",
            reply_parameters={"message_id": fwd["message_id"]},
        )
        assert reply["message_thread_id"] == fwd["message_id"] and reply["from"]["id"] == BOT_ID
        snap = emu.snapshot()["channels"][ref]["posts"][str(post["message_id"])]
        assert snap["comments"] == [reply["message_id"]]
        assert ok(http, emu, "getUpdates", offset=mine[-1]["update_id"] + 1) == []
        emu.set_bot_rights(ref, can_post=False)
        fails(http, emu, 400, "need administrator rights", "sendMessage", chat_id=ref, text="x")


# --------------------------------------------------------------------------- faults, control


def test_faults(emu, http):
    emu.set_faults(retry_after=2, retry_after_seconds=7)
    for _ in range(2):
        body = fails(http, emu, 429, "Too Many Requests: retry after 7", "getMe")
        assert body["parameters"] == {"retry_after": 7}
    ok(http, emu, "getMe")
    emu.set_faults(http500=1, conflict=1)
    page = api(http, emu, "getMe")
    assert page.status_code == 500 and page.headers["content-type"].startswith("text/html")
    fails(http, emu, 409, "terminated by other getUpdates request", "getUpdates")
    assert ok(http, emu, "getUpdates", limit=1)
    control = http.post(
        f"{emu.url}/_emulator/faults", json={"retry_after": 1, "retry_after_seconds": 3}
    )
    assert control.json() == {"ok": True}
    assert fails(http, emu, 429, "retry after 3", "getMe")["parameters"]["retry_after"] == 3
    stats = emu.stats()
    assert stats["errors"] == {"429": 3, "409": 1} and stats["http500"] == 1


def test_mutations_over_the_control_endpoint(emu, http):
    ref = emu.channel_refs()[0]
    drain(http, emu)

    def mutate(**data: Any) -> Any:
        reply = http.post(f"{emu.url}/_emulator/mutate", json=data)
        assert reply.status_code == 200, reply.text
        return reply.json()["id"]

    post = mutate(op="add_post", ref=ref, text="Новость", comments=1)
    comment = mutate(op="add_comment", ref=ref, post_id=post, text="Вопрос", user_id=5_550_000_042)
    reply = mutate(
        op="add_comment", ref=ref, post_id=post, reply_to=comment, as_channel=emu.channel_id(ref)
    )
    assert mutate(op="edit_post", ref=ref, post_id=post, text="Новость (уточнено)") == post
    assert mutate(op="edit_comment", ref=ref, message_id=comment, text="Вопрос!") == comment
    mutate(op="delete_comment", ref=ref, message_id=reply)
    kinds = [next(k for k in u if k != "update_id") for u in drain(http, emu)]
    assert kinds == ["channel_post", "message", "message", "message", "message"] + [
        "edited_channel_post",
        "edited_message",
    ]  # the deletion in the app is no update
    snap = emu.snapshot()["channels"][ref]
    assert snap["posts"][str(post)]["edited"] is not None and reply in snap["deleted_comments"]
    assert len(snap["posts"][str(post)]["comments"]) == 2
    mutate(op="advance_clock", seconds=3600)
    unknown = http.post(
        f"{emu.url}/_emulator/mutate",
        json={"op": "edit_post", "ref": "@nope", "post_id": 1, "text": "x"},
    )
    assert unknown.status_code == 404


def test_same_seed_same_world_and_stream():
    def run(seed: int) -> tuple[dict[str, Any], Any]:
        with TelegramEmulator(seed=seed, now=NOW) as emu, httpx.Client() as http:
            return emu.snapshot(), ok(http, emu, "getUpdates")

    first, second, other = run(5), run(5), run(6)
    assert first == second and first[0] != other[0]


def test_cli_prints_banner_and_stops_on_sigterm():
    proc = subprocess.Popen(
        [sys.executable, "-m", "hub_telegram.emulator", "--port", "0", "--posts", "3"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert select.select([proc.stdout], [], [], 10)[0], "emulator printed nothing"
        line = proc.stdout.readline()
        assert line.startswith("Telegram emulator on http://127.0.0.1:")
        assert line.rstrip().endswith("(2 channels: @adm_klochki,@rebriha_adm)")
        url = line.split()[3]
        assert httpx.get(f"{url}/bot{TOKEN}/getMe").json()["result"]["id"] == BOT_ID
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
