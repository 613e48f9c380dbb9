"""VK publishing end to end: the plugin against the emulator over real loopback HTTP.

A post goes out once (its guid and no resend after a lost answer), carries its photos
and link, and is found by an ordinary sync; answers go out as the community in the
thread of the comment answered, and a retry finds an answer already made.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from hub.errors import ApiError, AuthError, EntityGoneError, RateLimitedError, TransientError
from hub.models import Account
from hub.network import (
    PUBLISH_POST,
    REPLY_COMMENT,
    CommentRef,
    CommentsRequest,
    PostPageRequest,
    PublishRequest,
    ReplyRequest,
)
from hub_vk import publish
from hub_vk.client import classify
from hub_vk.emulator import VkEmulator
from hub_vk.network import VkNetwork

TOKEN = "vk1.a.publisher-admin-token"
COMMUNITY = "vk1.g.publisher-community-key"


def png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\x00\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))


def jpeg(width: int, height: int) -> bytes:
    """A JPEG header as cameras write it: an APP segment, then the frame with the size."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 17, 8, height, width, 3) + bytes(9)
    return b"\xff\xd8" + app0 + sof + b"\xff\xd9"


@pytest.fixture()
def emu() -> Iterator[VkEmulator]:
    with VkEmulator(
        seed=9, communities=2, posts=5, comments=4, rate_limit=0, tokens=[TOKEN]
    ) as emulator:
        emulator.community_tokens[COMMUNITY] = emulator.community_ids()[0]
        yield emulator


@pytest.fixture()
def account(emu: VkEmulator) -> Account:
    return Account("adm-1", "vk", str(emu.community_ids()[0]), "Администрация", "HUB_VK_T")


@pytest.fixture()
async def net(emu: VkEmulator) -> AsyncIterator[VkNetwork]:
    network = VkNetwork({"api_base": emu.url, "requests_per_second": 1000}, lambda _: TOKEN)
    yield network
    await network.aclose()


@pytest.fixture()
def photo(tmp_path: Path) -> str:
    path = tmp_path / "собрание.png"
    path.write_bytes(png(64, 48))
    return str(path)


def posts_with(emu: VkEmulator, gid: int, text: str) -> list[int]:
    com = emu.state.communities[gid]
    return [p.id for p in com.posts.values() if p.text == text and not p.deleted]


def thread(emu: VkEmulator, gid: int) -> tuple[int, int, int]:
    """(post, top-level comment, a reply in its thread) on the community's wall."""
    com = emu.state.communities[gid]
    for post in com.posts.values():
        for root in post.roots:
            replies = [r for r in com.comments[root].replies if not com.comments[r].deleted]
            if replies and not com.comments[root].deleted and not post.deleted:
                return post.id, root, replies[0]
    post_id = emu.add_post(gid, "Новость", comments=0)
    root = emu.add_comment(gid, post_id, "Вопрос")
    return post_id, root, emu.add_comment(gid, post_id, "Уточнение", reply_to=root)


# --------------------------------------------------------------------------- publishing


async def test_publish_with_a_photo_and_a_link_is_found_by_a_sync(
    emu: VkEmulator, net: VkNetwork, account: Account, photo: str
) -> None:
    assert {PUBLISH_POST, REPLY_COMMENT} <= net.capabilities
    gid = emu.community_ids()[0]
    request = PublishRequest(
        account, "Приглашаем на собрание жителей", (photo,), ("https://adm.example.ru/1",), "g1"
    )
    assert net.publish_problems(request) == []
    published = await net.publish_post(request)
    assert published.url == f"https://vk.com/wall-{gid}_{published.post_network_id}"
    post = published.post
    assert post is not None and post.network_id == published.post_network_id
    assert post.author_id == -gid and post.text == request.text
    assert [a["type"] for a in post.attachments] == ["photo", "link"]
    assert post.attachments[1]["url"] == "https://adm.example.ru/1"
    page = (await net.fetch_post_pages([PostPageRequest(account)]))[0]
    synced = next(p for p in page.posts if p.network_id == published.post_network_id)
    assert synced == post  # stored now exactly as a sync will store it
    assert posts_with(emu, gid, request.text) == [published.post_network_id]
    assert await net.sees_own_posts(account)
    stats = emu.stats()
    assert stats["tokens_in_url"] == 0 and stats["by_method"]["wall.post"] == 1


async def test_text_only_post_with_a_jpeg_and_a_screen_name_account(
    emu: VkEmulator, net: VkNetwork, tmp_path: Path
) -> None:
    gid = emu.community_ids()[1]
    screen = emu.state.communities[gid].screen_name
    account = Account("adm-2", "vk", screen, "Совет депутатов", "HUB_VK_T")
    path = tmp_path / "photo.jpg"
    path.write_bytes(jpeg(800, 600))
    published = await net.publish_post(PublishRequest(account, "", (str(path),), (), "g2"))
    assert published.post is not None and published.post.text == ""
    assert published.post.attachments[0]["owner_id"] == -gid
    text_only = await net.publish_post(PublishRequest(account, "Только текст", (), (), "g3"))
    assert posts_with(emu, gid, "Только текст") == [text_only.post_network_id]


async def test_a_lost_answer_raises_maybe_applied_and_the_post_exists_once(
    emu: VkEmulator, net: VkNetwork, account: Account, photo: str
) -> None:
    gid = emu.community_ids()[0]
    request = PublishRequest(account, "Отключение воды 5 марта", (photo,), (), "g-lost")
    emu.lose_answers("wall.post")
    with pytest.raises(TransientError) as lost:
        await net.publish_post(request)
    assert lost.value.maybe_applied and lost.value.method == "wall.post"
    assert TOKEN not in str(lost.value)
    assert emu.stats()["by_method"]["wall.post"] == 1  # not resent by the plugin
    assert len(posts_with(emu, gid, request.text)) == 1
    again = await net.publish_post(request)  # what a resend by the core would meet
    assert posts_with(emu, gid, request.text) == [again.post_network_id]


async def test_refusals_that_did_nothing_are_retried_and_others_are_not(
    emu: VkEmulator, net: VkNetwork, account: Account
) -> None:
    gid = emu.community_ids()[0]
    emu.set_faults(error6_burst=1)  # "too many requests": surely not applied, so sent again
    await net.publish_post(PublishRequest(account, "Первое", (), (), "r1"))
    assert emu.stats()["by_method"]["wall.post"] == 2
    assert len(posts_with(emu, gid, "Первое")) == 1
    emu.set_faults(http500=1)  # a 500 may come after the post was made: not resent
    with pytest.raises(TransientError) as failed:
        await net.publish_post(PublishRequest(account, "Второе", (), (), "r2"))
    assert failed.value.maybe_applied
    assert emu.stats()["by_method"]["wall.post"] == 3


async def test_a_community_token_is_refused_with_advice(emu: VkEmulator, account: Account) -> None:
    network = VkNetwork({"api_base": emu.url, "requests_per_second": 1000}, lambda _: COMMUNITY)
    try:
        with pytest.raises(AuthError) as refused:
            await network.publish_post(PublishRequest(account, "Текст", (), (), "c1"))
    finally:
        await network.aclose()
    assert refused.value.code == 27
    assert "user token of an admin" in refused.value.fix and COMMUNITY not in str(refused.value)


async def test_problems_stop_a_post_before_any_call(
    emu: VkEmulator, net: VkNetwork, account: Account, tmp_path: Path
) -> None:
    missing = str(tmp_path / "нет.png")
    with pytest.raises(ApiError) as refused:
        await net.publish_post(PublishRequest(account, "Текст", (missing,), (), "p1"))
    assert "does not exist" in str(refused.value) and not isinstance(refused.value, TransientError)
    assert emu.stats()["requests"] == 0


async def test_an_upload_the_server_refuses_is_explained(
    emu: VkEmulator, net: VkNetwork, tmp_path: Path
) -> None:
    bad = tmp_path / "notes.png"
    bad.write_text("не картинка")
    with pytest.raises(ApiError) as refused:
        await publish._upload_photos(net, TOKEN, emu.community_ids()[0], (str(bad),))
    assert "refused the photo" in str(refused.value) and "JPEG, PNG or GIF" in str(refused.value)


def _request(account: Account, text: str = "Текст", photos=(), links=()) -> PublishRequest:
    return PublishRequest(account, text, tuple(photos), tuple(links), "guid")


def test_publish_problems(account: Account, tmp_path: Path, photo: str) -> None:
    def problems(**kw) -> str:
        return " | ".join(publish.publish_problems(_request(account, **kw)))

    assert problems(photos=[photo], links=["https://a.example.ru"]) == ""
    assert "16,384" in problems(text="я" * 16_385)
    assert problems(text="я" * 16_384) == ""
    assert "needs text, a photo or a link" in problems(text=" \n")
    assert "at most 10" in problems(photos=[photo] * 11)
    assert problems(photos=[photo] * 10) == ""
    assert "one link" in problems(links=["https://a.example.ru", "https://b.example.ru"])
    assert "not an http(s) address" in problems(links=["ftp://a.example.ru"])
    assert "does not exist" in problems(photos=[str(tmp_path / "nope.jpg")])
    assert "is not a file" in problems(photos=[str(tmp_path)])
    text = tmp_path / "a.png"
    text.write_text("hello")
    assert "not a JPEG, PNG or GIF" in problems(photos=[str(text)])
    empty = tmp_path / "empty.gif"
    empty.write_bytes(b"")
    assert "is empty" in problems(photos=[str(empty)])
    huge = tmp_path / "huge.jpg"
    with huge.open("wb") as fp:  # sparse: 50 MB + 1 byte without writing them
        fp.write(jpeg(10, 10))
        fp.truncate(50 * 2**20 + 1)
    assert "at most 50 MB" in problems(photos=[str(huge)])
    wide = tmp_path / "wide.png"
    wide.write_bytes(png(14_000, 10))
    assert "width plus height" in problems(photos=[str(wide)])
    thin = tmp_path / "thin.gif"
    thin.write_bytes(b"GIF89a" + struct.pack("<HH", 2100, 100) + b"\x00\x00\x00;")
    assert "1:20" in problems(photos=[str(thin)])


def test_an_unreadable_photo_is_a_problem(
    account: Account, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = tmp_path / "locked.png"
    locked.write_bytes(png(4, 4))

    def refuse(self: Path, *args: object, **kw: object) -> None:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", refuse)
    found = publish.publish_problems(_request(account, photos=[str(locked)]))
    assert len(found) == 1 and "cannot be read (Permission denied)" in found[0]


# --------------------------------------------------------------------------- replies


async def test_reply_as_the_community_in_the_thread(
    emu: VkEmulator, net: VkNetwork, account: Account
) -> None:
    gid = emu.community_ids()[0]
    post_id, root, reply = thread(emu, gid)
    top = await net.reply_to_comment(
        ReplyRequest(CommentRef(account, root, post_id), "Спасибо за вопрос!", "a1")
    )
    assert top.done and not top.already
    new_id = top.data["comment_id"]
    assert top.data["url"] == f"https://vk.com/wall-{gid}_{post_id}?reply={new_id}"
    deep = await net.reply_to_comment(
        ReplyRequest(CommentRef(account, reply, post_id), "Уточняем", "a2")
    )
    listed = (await net.fetch_comments([CommentsRequest(account, post_id)]))[0]
    by_id = {c.network_id: c for c in listed.comments}
    mine = by_id[new_id]
    assert mine.author_id == -gid and mine.text == "Спасибо за вопрос!"
    assert mine.parent_network_id == root and mine.thread_root_network_id == root
    nested = by_id[deep.data["comment_id"]]
    assert nested.parent_network_id == reply and nested.thread_root_network_id == root
    assert emu.stats()["tokens_in_url"] == 0


async def test_a_retry_finds_the_answer_already_made(
    emu: VkEmulator, net: VkNetwork, account: Account
) -> None:
    gid = emu.community_ids()[0]
    post_id, root, _ = thread(emu, gid)
    request = ReplyRequest(CommentRef(account, root, post_id), "Работы завершат к пятнице.", "l1")
    emu.lose_answers("wall.createComment")
    with pytest.raises(TransientError) as lost:
        await net.reply_to_comment(request)
    assert lost.value.maybe_applied
    retry = ReplyRequest(request.comment, request.text, request.guid, retry=True)
    result = await net.reply_to_comment(retry)
    assert result.done and result.already
    com = emu.state.communities[gid]
    answers = [c.id for c in com.comments.values() if c.text == request.text]
    assert answers == [result.data["comment_id"]]
    assert emu.stats()["by_method"]["wall.createComment"] == 1


async def test_a_retry_with_nothing_there_answers_and_templates_stay_apart(
    emu: VkEmulator, net: VkNetwork, account: Account
) -> None:
    gid = emu.community_ids()[0]
    post_id, root, reply = thread(emu, gid)
    text = "Ваше обращение передано в отдел ЖКХ."
    first = await net.reply_to_comment(
        ReplyRequest(CommentRef(account, root, post_id), text, "t1", retry=True)
    )
    assert not first.already
    other = await net.reply_to_comment(  # the same template to another comment is new
        ReplyRequest(CommentRef(account, reply, post_id), text, "t2", retry=True)
    )
    assert not other.already and other.data["comment_id"] != first.data["comment_id"]


async def test_reply_refusals_are_explained(
    emu: VkEmulator, net: VkNetwork, account: Account
) -> None:
    gid = emu.community_ids()[0]
    post_id, root, _ = thread(emu, gid)
    ref = CommentRef(account, root, post_id)
    emu.close_comments(gid, post_id)
    with pytest.raises(ApiError) as closed:
        await net.reply_to_comment(ReplyRequest(ref, "Ответ", "e1"))
    assert closed.value.code == 213 and "comments are closed" in str(closed.value)
    emu.delete_post(gid, post_id)
    with pytest.raises(EntityGoneError):
        await net.reply_to_comment(ReplyRequest(ref, "Ответ", "e2"))
    with pytest.raises(ApiError, match="empty"):
        await net.reply_to_comment(ReplyRequest(ref, "  ", "e3"))


@pytest.mark.parametrize(
    ("code", "cls", "words"),
    [
        (214, ApiError, "admin or editor"),
        (15, ApiError, "admin or editor"),
        (7, AuthError, "scopes"),
        (222, ApiError, "forbids links"),
        (223, RateLimitedError, "too many answers"),
        (100, ApiError, "nothing was posted"),
    ],
)
def test_write_refusals_name_the_fix(code: int, cls: type, words: str) -> None:
    exc = publish.explain(classify(code, "VK said no", "wall.post"), 42, "publish", post_id=7)
    assert type(exc) is cls and exc.code == code and exc.method == "wall.post"
    assert words in str(exc) + str(getattr(exc, "fix", ""))
