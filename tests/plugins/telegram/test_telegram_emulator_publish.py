"""The Telegram emulator's posting rules over real HTTP (notes §3, §6).

A bot's own channel post comes back to it only as the automatic forward in the
discussion group; ``sendPhoto`` takes a multipart upload (≤ 10 MB, a real image)
or a URL, with a caption of at most 1,024 characters; a reply lands in the
comment's thread; an armed lost answer applies the call and hangs up.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from hub_telegram.emulator.server import DEFAULT_TOKEN, TelegramEmulator

NOW = 1_767_261_600
TOKEN = DEFAULT_TOKEN
BOT_ID = 123456789
JPEG = b"\xff\xd8\xff\xe0" + bytes(2000)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(500)


@pytest.fixture()
def emu() -> Iterator[TelegramEmulator]:
    with TelegramEmulator(now=NOW, posts=4, comments=3) as emulator:
        yield emulator


@pytest.fixture()
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


def call(http: httpx.Client, emu: TelegramEmulator, method: str, **kw: Any) -> dict[str, Any]:
    return http.post(f"{emu.url}/bot{TOKEN}/{method}", **kw).json()


def ok(http: httpx.Client, emu: TelegramEmulator, method: str, **kw: Any) -> Any:
    body = call(http, emu, method, **kw)
    assert body["ok"] is True, body
    return body["result"]


def refused(http, emu, code: int, text: str, method: str, **kw: Any) -> None:
    reply = http.post(f"{emu.url}/bot{TOKEN}/{method}", **kw)
    body = reply.json()
    assert reply.status_code == code and body["error_code"] == code, body
    assert body["description"] == text, body


def drain(http: httpx.Client, emu: TelegramEmulator) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 100}
    while page := ok(http, emu, "getUpdates", json=params):
        out += page
        params["offset"] = page[-1]["update_id"] + 1
    return out


def kinds(updates: list[dict[str, Any]]) -> list[str]:
    return [next(k for k in u if k != "update_id") for u in updates]


def post_count(emu: TelegramEmulator, ref: str) -> int:
    return len(emu.snapshot()["channels"][ref]["posts"])


def test_own_channel_post_comes_back_only_as_its_automatic_forward(emu, http):
    ref = emu.channel_refs()[0]
    drain(http, emu)
    post = ok(http, emu, "sendMessage", json={"chat_id": ref, "text": "  Отключение воды  "})
    channel = {"id": emu.channel_id(ref), "title": post["chat"]["title"], "type": "channel"}
    assert post["text"] == "Отключение воды"  # Telegram trims the text it stores
    assert post["sender_chat"]["id"] == channel["id"] and "from" not in post
    updates = drain(http, emu)
    assert kinds(updates) == ["message"]  # no channel_post for the bot's own post
    fwd = updates[0]["message"]
    assert fwd["is_automatic_forward"] is True and fwd["from"]["id"] == 777000
    assert fwd["chat"]["id"] == emu.group_id(ref) and fwd["sender_chat"]["id"] == channel["id"]
    origin = fwd["forward_origin"]
    assert origin["type"] == "channel" and origin["chat"]["id"] == channel["id"]
    assert (origin["message_id"], origin["date"]) == (post["message_id"], post["date"])
    assert fwd["text"] == post["text"]


def test_send_photo_uploads_urls_and_their_forwards(emu, http):
    ref = emu.channel_refs()[1]
    drain(http, emu)
    files = {"photo": ("plan.jpg", JPEG, "image/jpeg")}
    data = {"chat_id": ref, "caption": "График #вода", "show_caption_above_media": "false"}
    post = ok(http, emu, "sendPhoto", data=data, files=files)
    assert post["caption"] == "График #вода" and "text" not in post
    assert post["caption_entities"][0]["type"] == "hashtag"
    sizes = post["photo"]
    assert len(sizes) == 4 and all({"file_id", "file_unique_id", "width"} <= set(s) for s in sizes)
    fwd = drain(http, emu)[0]["message"]
    assert fwd["forward_origin"]["message_id"] == post["message_id"]
    assert fwd["caption"] == post["caption"]
    # the same file in the group: new file_ids, the same file_unique_ids
    assert [s["file_unique_id"] for s in fwd["photo"]] == [s["file_unique_id"] for s in sizes]
    assert fwd["photo"][0]["file_id"] != sizes[0]["file_id"]
    # a PNG, no caption; a URL Telegram would fetch; a file_id it already has
    bare = ok(http, emu, "sendPhoto", data={"chat_id": ref}, files={"photo": ("a.png", PNG)})
    assert "caption" not in bare and bare["photo"]
    by_url = {"chat_id": ref, "photo": "https://city.example/plan.jpg", "caption": "По ссылке"}
    assert ok(http, emu, "sendPhoto", json=by_url)["caption"] == "По ссылке"
    again = {"chat_id": ref, "photo": sizes[-1]["file_id"]}
    assert ok(http, emu, "sendPhoto", json=again)["photo"]
    assert kinds(drain(http, emu)) == ["message"] * 3


def test_send_photo_and_message_refusals_apply_nothing(emu, http):
    ref = emu.channel_refs()[0]
    before = post_count(emu, ref)
    jpeg = {"photo": ("a.jpg", JPEG, "image/jpeg")}
    long_caption = {"chat_id": ref, "caption": "я" * 1025}
    refused(
        http,
        emu,
        400,
        "Bad Request: message caption is too long",
        "sendPhoto",
        data=long_caption,
        files=jpeg,
    )
    refused(
        http,
        emu,
        400,
        "Bad Request: IMAGE_PROCESS_FAILED",
        "sendPhoto",
        data={"chat_id": ref},
        files={"photo": ("a.jpg", b"not an image")},
    )
    huge = JPEG + bytes(10 * 1024 * 1024)
    refused(
        http,
        emu,
        400,
        "Bad Request: PHOTO_SAVE_FILE_INVALID",
        "sendPhoto",
        data={"chat_id": ref},
        files={"photo": ("a.jpg", huge)},
    )
    refused(
        http,
        emu,
        400,
        "Bad Request: there is no photo in the request",
        "sendPhoto",
        json={"chat_id": ref},
    )
    refused(
        http,
        emu,
        400,
        "Bad Request: wrong file identifier/HTTP URL specified",
        "sendPhoto",
        json={"chat_id": ref, "photo": "plan.jpg"},
    )
    refused(
        http,
        emu,
        400,
        "Bad Request: message is too long",
        "sendMessage",
        json={"chat_id": ref, "text": "я" * 4097},
    )
    refused(
        http,
        emu,
        400,
        "Bad Request: message text is empty",
        "sendMessage",
        json={"chat_id": ref, "text": "   "},
    )
    refused(
        http,
        emu,
        400,
        "Bad Request: chat not found",
        "sendPhoto",
        json={"chat_id": "@no_such_channel", "photo": "https://x.example/a.jpg"},
    )
    assert ok(http, emu, "sendMessage", json={"chat_id": ref, "text": "я" * 4096})
    emu.set_bot_rights(ref, can_post=False)
    refused(
        http,
        emu,
        400,
        "Bad Request: need administrator rights in the channel chat",
        "sendPhoto",
        data={"chat_id": ref},
        files=jpeg,
    )
    emu.set_bot_rights(ref, in_channel=False)
    refused(
        http,
        emu,
        403,
        "Forbidden: bot is not a member of the channel chat",
        "sendMessage",
        json={"chat_id": ref, "text": "x"},
    )
    assert post_count(emu, ref) == before + 1  # only the 4,096-character post went out


def test_a_reply_lands_in_the_comments_thread_and_is_no_update(emu, http):
    ref = emu.channel_refs()[0]
    posts = emu.snapshot()["channels"][ref]["posts"]
    post_id = max((p for p in posts if posts[p]["comments"]), key=int)
    comment = posts[post_id]["comments"][-1]
    drain(http, emu)
    group = emu.group_id(ref)
    params = {
        "chat_id": group,
        "text": "Ответ администрации",
        "reply_parameters": {"message_id": comment},
    }
    reply = ok(http, emu, "sendMessage", json=params)
    thread = emu.world.channel(ref).forwards[int(post_id)]
    assert reply["message_thread_id"] == thread and reply["from"]["id"] == BOT_ID
    assert reply["reply_to_message"]["message_id"] == comment
    # the same as a form, nested object as JSON text; and a photo answer
    form = {"chat_id": str(group), "reply_parameters": f'{{"message_id": {comment}}}'}
    photo = ok(http, emu, "sendPhoto", data=form, files={"photo": ("a.png", PNG)})
    assert photo["message_thread_id"] == thread and photo["photo"]
    assert emu.snapshot()["channels"][ref]["posts"][post_id]["comments"][-2:] == [
        reply["message_id"],
        photo["message_id"],
    ]
    assert drain(http, emu) == []  # a bot never sees its own messages
    emu.delete_comment(ref, comment)
    refused(
        http, emu, 400, "Bad Request: message to be replied not found", "sendMessage", json=params
    )
    emu.set_bot_rights(ref, in_group=False)
    refused(
        http,
        emu,
        403,
        "Forbidden: bot is not a member of the supergroup chat",
        "sendMessage",
        json={"chat_id": group, "text": "x"},
    )


def test_a_lost_answer_applies_the_call_then_hangs_up(emu, http):
    ref = emu.channel_refs()[0]
    drain(http, emu)
    before = post_count(emu, ref)
    emu.lose_answers("sendMessage", 1)
    with pytest.raises(httpx.RemoteProtocolError):
        http.post(f"{emu.url}/bot{TOKEN}/sendMessage", json={"chat_id": ref, "text": "Пост"})
    assert post_count(emu, ref) == before + 1  # it was applied
    fwd = drain(http, emu)
    assert kinds(fwd) == ["message"] and fwd[0]["message"]["text"] == "Пост"
    assert ok(http, emu, "sendMessage", json={"chat_id": ref, "text": "Второй"})  # once only
    # armed through the control endpoint, alongside the other faults
    armed = http.post(
        f"{emu.url}/_emulator/faults", json={"lose_answer": {"sendPhoto": 1}, "retry_after": 1}
    )
    assert armed.json() == {"ok": True}
    refused(http, emu, 429, "Too Many Requests: retry after 2", "getMe")
    with pytest.raises(httpx.RemoteProtocolError):
        http.post(
            f"{emu.url}/bot{TOKEN}/sendPhoto",
            data={"chat_id": ref},
            files={"photo": ("a.jpg", JPEG)},
        )
    assert post_count(emu, ref) == before + 3
    refused(
        http, emu, 400, "Bad Request: message text is empty", "sendMessage", json={"chat_id": ref}
    )
    bad = http.post(f"{emu.url}/_emulator/faults", json={"lose_answer": {"sendPhoto": "x"}})
    assert bad.status_code == 400
