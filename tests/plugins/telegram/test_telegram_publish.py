"""Publishing and replying on Telegram, end to end against the emulator (issue 8).

The rules under test: what Telegram would refuse is said before sending; a
post is sent once (a lost answer is TransientError, never a resend) and then
found by a normal sync through its automatic forward, stored once however many
copies arrive; a reply lands in the comment's thread, and after a lost answer
a person looks instead of the hub sending a possible duplicate.
"""

from __future__ import annotations

import io
import sqlite3
import struct
from pathlib import Path

import httpx
import pytest
import respx
import structlog

from hub import plugins
from hub.errors import ApiError, AuthError, EntityGoneError, TransientError
from hub.images import size_of
from hub.log import configure_logging
from hub.models import Account
from hub.network import PUBLISH_POST, REPLY_COMMENT, CommentRef, PublishRequest, ReplyRequest
from hub.store import Store
from hub.sync import run_sync
from hub.testing import TOKEN_ENV
from hub_telegram import mapping
from hub_telegram.client import TelegramClient
from hub_telegram.emulator import TelegramEmulator
from hub_telegram.emulator.driver import TelegramDriver
from hub_telegram.network import Chats, TelegramNetwork
from hub_telegram.publish import (
    POST_FIX,
    REPLY_FIX,
    compose_text,
    publish_problems,
)
from tests.plugins.telegram.test_sync_telegram import make_config
from tests.plugins.telegram.test_telegram_mapping import CHANNEL, FORWARD, POST

CANARY = "424242424:AAH-CANARY-tg-do-not-leak"


def jpeg(width: int = 800, height: int = 600) -> bytes:
    """SOI, an APP0 segment, then a baseline frame header with the size."""
    app0 = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof = b"\xff\xc0\x00\x11\x08" + struct.pack(">HH", height, width) + b"\x03" + bytes(9)
    return b"\xff\xd8" + app0 + sof + bytes(200)


def png(width: int, height: int) -> bytes:
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + struct.pack(">II", width, height) + bytes(50)


@pytest.fixture
def emu(monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, TelegramDriver.token)
    with TelegramDriver.start(posts=4, comments=3) as emulator:
        yield emulator


def network(emu: TelegramEmulator, token: str = TelegramDriver.token) -> TelegramNetwork:
    net = TelegramNetwork({"api_base": emu.url, "requests_per_second": 1000}, lambda a: token)

    async def no_wait(seconds: float) -> None:
        return None

    net.client.sleep = no_wait
    return net


async def sync(config):
    store = Store.open(config.db_path)
    try:
        return await run_sync(store, plugins.make_plugin_manager(), config, config.accounts)
    finally:
        store.close()


def rows(config, account: str, where: str = "1", params=()) -> list[tuple]:
    conn = sqlite3.connect(config.db_path)
    try:
        sql = f"SELECT network_id, text, url FROM posts WHERE account_id = ? AND {where}"
        return conn.execute(sql, [account, *params]).fetchall()
    finally:
        conn.close()


def sent(emu: TelegramEmulator, method: str) -> int:
    return emu.stats()["by_method"].get(method, 0)


# --------------------------------------------------------------------------- mapping


def test_an_automatic_forward_carries_the_channel_post():
    post = mapping.forward_post(FORWARD)
    assert (post.network_id, post.published_at, post.author_id) == (345, 1763800000, CHANNEL["id"])
    assert post.url == "https://t.me/city_n_admin/345" and post.kind == "post"
    with_photo = mapping.forward_post({**FORWARD, "photo": POST["photo"], "caption": "Вода"})
    assert with_photo.text == "Вода"
    assert with_photo.attachments == mapping.channel_post(POST).attachments
    legacy = {k: v for k, v in FORWARD.items() if k != "forward_origin"}
    legacy["forward_date"] = 1763800000
    assert mapping.forward_post(legacy).published_at == 1763800000
    assert mapping.forward_post(legacy).author_id == CHANNEL["id"]
    assert mapping.forward_post({**POST, "chat": CHANNEL}) is None  # not a forward
    assert mapping.comment_url(CHANNEL, 345, 1250) == "https://t.me/city_n_admin/345?comment=1250"
    assert mapping.comment_url({"id": -1001}, 345, 1250) is None


def test_a_post_and_its_forward_in_one_batch_are_one_post():
    acc = Account("tg-0", "telegram", "@city_n_admin", "Org", TOKEN_ENV)
    other = Account("tg-1", "telegram", "@other", "Org", TOKEN_ENV)
    own, fwd = mapping.channel_post(POST), mapping.forward_post(FORWARD)
    edited = mapping.channel_post({**POST, "edit_date": 1763800500, "caption": "Новое"})
    assert mapping.one_per_post([(acc, own), (acc, fwd)]) == [(acc, own)]
    assert mapping.one_per_post([(acc, fwd), (acc, own)]) == [(acc, own)]
    assert mapping.one_per_post([(acc, own), (acc, edited), (acc, fwd)]) == [(acc, edited)]
    assert mapping.one_per_post([(acc, fwd), (other, own)]) == [(acc, fwd), (other, own)]


async def test_both_copies_arriving_store_one_post_counted_once(tmp_path, emu):
    config = make_config(tmp_path, emu)
    await sync(config)
    ref = emu.channel_refs()[0]
    pid = emu.add_post(ref, "Пост из приложения", comments=1)  # channel_post + its forward
    runs = await sync(config)
    assert runs[0].posts_new == 1 and runs[0].posts_updated == 0 and runs[0].comments_new == 1
    assert rows(config, "tg-0", "network_id = ?", [pid]) == [
        (pid, "Пост из приложения", f"https://t.me/{ref[1:]}/{pid}")
    ]


# --------------------------------------------------------------------------- checks


def test_publish_problems_say_what_telegram_would_refuse(tmp_path):
    acc = Account("tg-0", "telegram", "@x", "Org", TOKEN_ENV)
    photo = tmp_path / "a.jpg"
    photo.write_bytes(jpeg())

    def problems(text="Текст", photos=(), links=()):
        return publish_problems(PublishRequest(acc, text, tuple(map(str, photos)), links))

    assert problems("я" * 4096) == [] and problems(photos=[photo]) == []
    assert problems("", photos=[photo]) == []  # a photo without a caption
    assert "shorten it" in problems("я" * 4097)[0]
    assert problems("я" * 4090, links=("https://city.example/n/1",))[0].startswith(
        "Telegram limits a post to 4,096 characters; this one has 4,116 (links included)"
    )
    caption = problems("я" * 1025, photos=[photo])
    assert caption == [
        "with a photo the text becomes its caption, which Telegram limits to 1,024 characters; "
        "this one has 1,025 (links included): shorten to 1,024 characters or drop the photo"
    ]
    assert "albums are not supported" in problems(photos=[photo, photo])[0]
    assert problems(photos=[tmp_path / "nope.jpg"]) == [
        f"photo {tmp_path / 'nope.jpg'} does not exist: check the path"
    ]
    (tmp_path / "a.txt").write_text("not an image")
    assert "is not a JPEG, PNG or GIF image" in problems(photos=[tmp_path / "a.txt"])[0]
    big = tmp_path / "big.jpg"
    with big.open("wb") as f:
        f.truncate(10 * 1024 * 1024 + 1)
    assert "Telegram takes photos up to 10 MB" in problems(photos=[big])[0]
    for name, data in (("wide.png", png(9000, 2000)), ("thin.png", png(2100, 100))):
        (tmp_path / name).write_bytes(data)
        assert "resize it" in problems(photos=[tmp_path / name])[0]
    assert problems(photos=[tmp_path]) == [
        f"photo {tmp_path} is a folder, not a file: name the image file itself"
    ]
    links = ("https://a.example/1", " https://a.example/1", "https://b.example/2")
    assert compose_text(PublishRequest(acc, " См. https://b.example/2 ", links=links)) == (
        "См. https://b.example/2\n\nhttps://a.example/1"
    )  # each link once, on its own line, after the text
    assert problems("   ") == ["the post is empty: write a text or add a photo"]
    assert problems(links=("city.example/x",)) == [
        "link 'city.example/x' is not an http(s) address: correct it or drop it"
    ]
    assert size_of(jpeg(640, 480)) == ("jpeg", 640, 480) and size_of(png(3, 2)) == ("png", 3, 2)
    assert size_of(b"GIF89a" + struct.pack("<HH", 5, 7)) == ("gif", 5, 7)


# --------------------------------------------------------------------------- publishing


async def test_publish_text_then_the_sync_brings_it_back_unchanged(tmp_path, emu):
    config = make_config(tmp_path, emu)
    await sync(config)
    net = network(emu)
    acc = config.accounts[0]
    assert {PUBLISH_POST, REPLY_COMMENT} <= net.capabilities
    request = PublishRequest(
        acc, "График приёма граждан\n", links=("https://city.example/priem",), guid="d1"
    )
    done = await net.publish_post(request)
    username = acc.external_id[1:]
    assert done.url == f"https://t.me/{username}/{done.post_network_id}"
    post = done.post
    assert post.text == "График приёма граждан\n\nhttps://city.example/priem"
    assert post.author_id == emu.channel_id(acc.external_id) and post.published_at > 0
    assert post.network_id == done.post_network_id and sent(emu, "sendMessage") == 1
    store = Store.open(config.db_path)  # the core stores the answer at once ...
    assert store.upsert_posts(acc, [post]) == (1, 0)
    store.close()
    runs = await sync(config)  # ... and the forward, seen later, changes nothing
    assert (runs[0].posts_new, runs[0].posts_updated) == (0, 0)
    assert rows(config, "tg-0", "network_id = ?", [done.post_network_id]) == [
        (done.post_network_id, post.text, done.url)
    ]
    await net.aclose()


async def test_publish_photo_uploads_the_file_with_its_caption(tmp_path, emu):
    config = make_config(tmp_path, emu)
    await sync(config)
    net = network(emu)
    acc = config.accounts[1]
    photo = tmp_path / "schedule.jpg"
    photo.write_bytes(jpeg())
    done = await net.publish_post(PublishRequest(acc, "Расписание автобусов", (str(photo),)))
    assert done.post.text == "Расписание автобусов"
    assert [a["type"] for a in done.post.attachments] == ["photo"]
    assert sent(emu, "sendPhoto") == 1 and sent(emu, "sendMessage") == 0
    runs = await sync(config)
    assert runs[1].posts_new == 1  # found through its forward, with the same photo
    conn = sqlite3.connect(config.db_path)
    stored = conn.execute(
        "SELECT text, attachments_json FROM posts WHERE account_id = 'tg-1' AND network_id = ?",
        [done.post_network_id],
    ).fetchone()
    conn.close()
    assert stored[0] == "Расписание автобусов" and done.post.attachments[0]["id"] in stored[1]
    with pytest.raises(ApiError, match="Telegram would refuse this post: .*drop the photo"):
        await net.publish_post(PublishRequest(acc, "я" * 1100, (str(photo),)))
    assert sent(emu, "sendPhoto") == 1  # refused before sending
    await net.aclose()


async def test_a_lost_answer_is_not_resent_and_the_sync_finds_the_post_once(tmp_path, emu):
    config = make_config(tmp_path, emu)
    await sync(config)
    net = network(emu)
    acc = config.accounts[0]
    assert await net.sees_own_posts(acc) is True
    emu.lose_answers("sendMessage", 1)
    with pytest.raises(TransientError) as lost:
        await net.publish_post(PublishRequest(acc, "Субботник в субботу", guid="d2"))
    assert lost.value.maybe_applied and sent(emu, "sendMessage") == 1  # never resent
    runs = await sync(config)  # the core's reconciliation: a normal sync, then a look
    assert runs[0].posts_new == 1
    found = rows(config, "tg-0", "text = ?", ["Субботник в субботу"])
    assert len(found) == 1
    emu.set_faults(http500=1)  # a 500 may have been applied too: not resent either
    with pytest.raises(TransientError):
        await net.publish_post(PublishRequest(acc, "Ещё пост", guid="d3"))
    assert sent(emu, "sendMessage") == 2
    emu.set_faults(retry_after=1, retry_after_seconds=1)  # "too many requests": nothing done
    done = await net.publish_post(PublishRequest(acc, "После паузы", guid="d4"))
    assert sent(emu, "sendMessage") == 4 and done.post.text == "После паузы"
    await net.aclose()


async def test_publishing_without_the_right_to_post_says_how_to_fix_it(tmp_path, emu):
    config = make_config(tmp_path, emu)
    await sync(config)
    net = network(emu)
    acc = config.accounts[0]
    emu.set_bot_rights(acc.external_id, can_post=False)
    with pytest.raises(AuthError, match="need administrator rights") as refused:
        await net.publish_post(PublishRequest(acc, "Пост"))
    assert refused.value.fix == POST_FIX
    await net.aclose()


async def test_sees_own_posts_only_when_the_bot_reads_the_discussion_group(tmp_path, emu):
    config = make_config(tmp_path, emu)
    acc = config.accounts[0]
    ref = acc.external_id
    net = network(emu)
    assert await net.sees_own_posts(acc) is True
    calls = sent(emu, "getChatMember")
    assert await net.sees_own_posts(acc) is True and sent(emu, "getChatMember") == calls  # kept
    for rights in ({"group_admin": False}, {"in_group": False}):
        emu.set_bot_rights(ref, **rights)
        await net.fetch_account_meta([acc])  # what each sync does: the answer is asked anew
        assert await net.sees_own_posts(acc) is False
    net._chats[acc.id] = Chats({"id": emu.channel_id(ref), "username": ref[1:]}, None)
    assert await net.sees_own_posts(acc) is False  # a channel without a discussion group
    await net.aclose()


# --------------------------------------------------------------------------- replies


def _comment(config, emu, account: Account) -> CommentRef:
    conn = sqlite3.connect(config.db_path)
    cid, pid = conn.execute(
        "SELECT network_id, post_network_id FROM comments WHERE account_id = ? "
        "ORDER BY network_id DESC LIMIT 1",
        [account.id],
    ).fetchone()
    conn.close()
    return CommentRef(account, int(cid), int(pid))


async def test_reply_lands_under_the_comment_and_a_retry_goes_to_a_person(tmp_path, emu):
    config = make_config(tmp_path, emu)
    await sync(config)
    net = network(emu)
    acc = config.accounts[0]
    ref = acc.external_id
    comment = _comment(config, emu, acc)
    result = await net.reply_to_comment(ReplyRequest(comment, "Спасибо, передали", "r1"))
    new = result.data["comment_id"]
    assert result.done and result.data["url"] == (
        f"https://t.me/{ref[1:]}/{comment.post_network_id}?comment={new}"
    )
    assert new in emu.snapshot()["channels"][ref]["posts"][str(comment.post_network_id)]["comments"]
    emu.lose_answers("sendMessage", 1)
    with pytest.raises(TransientError) as lost:
        await net.reply_to_comment(ReplyRequest(comment, "Ответ", "r2"))
    assert lost.value.maybe_applied
    before = sent(emu, "sendMessage")
    retry = await net.reply_to_comment(ReplyRequest(comment, "Ответ", "r2", retry=True))
    assert retry.manual and not retry.done and sent(emu, "sendMessage") == before
    assert "answer by hand" in retry.detail and f"comment={comment.network_id}" in retry.detail
    emu.delete_comment(ref, int(comment.network_id))
    with pytest.raises(EntityGoneError, match="is gone from the discussion group"):
        await net.reply_to_comment(ReplyRequest(comment, "Ответ", "r3"))
    with pytest.raises(ApiError, match="the reply is empty"):
        await net.reply_to_comment(ReplyRequest(comment, "  ", "r4"))
    emu.set_bot_rights(ref, in_group=False)
    with pytest.raises(AuthError, match="not a member of the supergroup") as refused:
        await net.reply_to_comment(ReplyRequest(_comment(config, emu, acc), "Ответ", "r5"))
    assert refused.value.fix == REPLY_FIX
    await net.aclose()


@respx.mock
async def test_an_upload_is_multipart_and_only_an_unopened_connection_is_retried(respx_mock):
    sent_photo = {"message_id": 7, "date": 1, "chat": CHANNEL, "sender_chat": CHANNEL}
    route = respx_mock.post(f"https://tg.test/bot{TelegramDriver.token}/sendPhoto").mock(
        side_effect=[
            httpx.ConnectError("refused"),
            httpx.Response(200, json={"ok": True, "result": {**sent_photo, "photo": []}}),
            httpx.ReadTimeout("lost"),
        ]
    )
    client = TelegramClient(api_base="https://tg.test", requests_per_second=1000)
    params = {"chat_id": -100, "caption": "Фото", "reply_parameters": {"message_id": 5}}
    files = {"photo": ("a.jpg", jpeg(), "image/jpeg")}
    result = await client.call(TelegramDriver.token, "sendPhoto", params, retry=False, files=files)
    assert result["message_id"] == 7 and route.call_count == 2  # never reached: sent again
    body = route.calls.last.request
    assert body.headers["content-type"].startswith("multipart/form-data")
    content = body.read()
    assert b'{"message_id": 5}' in content and "Фото".encode() in content and jpeg() in content
    with pytest.raises(TransientError) as lost:  # may have been applied: not sent again
        await client.call(TelegramDriver.token, "sendPhoto", params, retry=False, files=files)
    assert lost.value.maybe_applied and route.call_count == 3
    assert TelegramDriver.token not in str(lost.value)
    await client.aclose()


# --------------------------------------------------------------------------- secrets


@pytest.fixture
def log():
    stream = io.StringIO()
    configure_logging(json=True, level="debug", stream=stream)
    yield stream
    structlog.reset_defaults()


async def test_the_token_never_reaches_errors_or_logs(tmp_path, monkeypatch, log):
    monkeypatch.setenv(TOKEN_ENV, CANARY)
    with TelegramEmulator(tokens=[CANARY], posts=2, comments=2) as emu:
        config = make_config(tmp_path, emu)
        await sync(config)
        net = network(emu, CANARY)
        acc = config.accounts[0]
        assert (await net.publish_post(PublishRequest(acc, "Первый пост"))).post_network_id
        texts = []
        emu.lose_answers("sendMessage", 1)
        for request in (PublishRequest(acc, "Пост"), PublishRequest(acc, "x", ("/nope.jpg",))):
            with pytest.raises(ApiError) as failed:
                await net.publish_post(request)
            texts.append(str(failed.value))
        emu.lose_answers("sendMessage", 1)
        with pytest.raises(TransientError) as failed:
            await net.reply_to_comment(ReplyRequest(_comment(config, emu, acc), "Ответ", "g"))
        texts.append(str(failed.value))
        await net.aclose()
    assert '"api request"' in log.getvalue() and "sendMessage" in log.getvalue()
    for text in [*texts, log.getvalue()]:
        assert "CANARY" not in text, text
    assert Path(config.db_path).exists()
    dump = "\n".join(sqlite3.connect(config.db_path).iterdump())
    assert "CANARY" not in dump
