"""The OK plugin's publishing and replies, end to end against the OK emulator.

What the content plan relies on: a draft becomes one group topic (photos
uploaded first), found by an ordinary topic walk; a lost answer is reported as
"maybe applied" and never resent by the plugin; replies go out as the group, or
come back ``manual`` when OK keeps addDiscussionComment closed (what the notes
expect), and a retry finds an earlier reply instead of writing it twice.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from hub import images
from hub.errors import ApiError, AuthError, RateLimitedError, TransientError
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
from hub_ok import publish
from hub_ok.emulator import OkEmulator
from hub_ok.emulator.driver import SECRET_ENV, OkDriver
from hub_ok.network import OkNetwork

JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8
LINK = "https://adm.example.ru/news/12"
NARROW = "ok-token-without-group-content"


@pytest.fixture()
def emu() -> Iterator[OkEmulator]:
    with OkDriver.start(
        tokens=[OkDriver.token, NARROW],
        token_permissions={NARROW: ["VALUABLE_ACCESS", "PHOTO_CONTENT"]},
    ) as emulator:
        yield emulator


@pytest.fixture()
async def net(emu: OkEmulator, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[OkNetwork]:
    monkeypatch.setenv(SECRET_ENV, OkDriver.application_secret)
    tokens = {"ok-1": OkDriver.token, "narrow": NARROW}
    network = OkNetwork(OkDriver(emu).settings(), lambda account: tokens[account.id])
    yield network
    await network.aclose()


@pytest.fixture()
def account(emu: OkEmulator) -> Account:
    return Account("ok-1", "ok", str(emu.group_ids()[0]), "Администрация", "HUB_OK_TOKEN")


@pytest.fixture()
def photo(tmp_path: Path) -> str:
    path = tmp_path / "субботник.jpg"
    path.write_bytes(JPEG)
    return str(path)


def titled(emu: OkEmulator, gid: str, text: str) -> list[str]:
    return [t.id for t in emu.state.groups[int(gid)].topics.values() if t.text == text]


# --------------------------------------------------------------------------- publishing


async def test_publishes_a_topic_with_a_photo_and_a_link_found_by_a_normal_walk(
    net: OkNetwork, emu: OkEmulator, account: Account, photo: str
) -> None:
    assert {PUBLISH_POST, REPLY_COMMENT} <= net.capabilities
    request = PublishRequest(account, "Субботник в субботу в 10:00", (photo,), (LINK,), "g-1")
    assert net.publish_problems(request) == []
    published = await net.publish_post(request)
    gid = int(account.external_id)
    assert published.url == f"https://ok.ru/group/{gid}/topic/{published.post_network_id}"
    post = published.post
    assert post is not None and post.network_id == published.post_network_id
    assert post.text == request.text and post.author_id == -gid and post.url == published.url
    assert [a["type"] for a in post.attachments] == ["photo", "link"]
    page = (await net.fetch_post_pages([PostPageRequest(account)]))[0]
    walked = next(p for p in page.posts if p.network_id == published.post_network_id)
    assert walked.text == post.text and walked.author_id == post.author_id
    assert walked.attachments[1] == {"type": "link", "url": LINK}
    assert walked.attachments[0]["refs"][0].startswith("group_photo:")
    assert await net.sees_own_posts(account) is True
    assert emu.stats()["tokens_in_url"] == 0
    assert emu.stats()["by_method"]["mediatopic.post"] == 1


async def test_text_only_post_sends_no_upload(
    net: OkNetwork, emu: OkEmulator, account: Account
) -> None:
    published = await net.publish_post(PublishRequest(account, "Только текст"))
    assert titled(emu, account.external_id, "Только текст") == [str(published.post_network_id)]
    assert "photosV2.getUploadUrl" not in emu.stats()["by_method"]


async def test_a_lost_answer_is_maybe_applied_and_the_topic_exists_once(
    net: OkNetwork, emu: OkEmulator, account: Account
) -> None:
    emu.lose_answers("mediatopic.post", 1)
    with pytest.raises(TransientError) as caught:
        await net.publish_post(PublishRequest(account, "Ответ потерялся"))
    assert caught.value.maybe_applied is True
    assert OkDriver.token not in str(caught.value)
    assert len(titled(emu, account.external_id, "Ответ потерялся")) == 1
    assert emu.stats()["by_method"]["mediatopic.post"] == 1  # never resent by the plugin


async def test_a_server_error_on_post_is_not_resent_either(
    net: OkNetwork, emu: OkEmulator, account: Account
) -> None:
    emu.set_faults(error_burst=1)  # OK's error 1: unknown whether it was applied
    with pytest.raises(TransientError) as caught:
        await net.publish_post(PublishRequest(account, "Ошибка 1"))
    assert caught.value.maybe_applied is True
    assert emu.stats()["by_method"]["mediatopic.post"] == 1


async def test_a_failed_upload_publishes_nothing_and_says_so(
    net: OkNetwork, emu: OkEmulator, account: Account, photo: str
) -> None:
    emu.set_faults(http500=20)
    with pytest.raises(TransientError) as caught:
        await net.publish_post(PublishRequest(account, "Не дошло", (photo,)))
    assert caught.value.maybe_applied is False  # safe to send again
    assert "nothing was published" in str(caught.value)
    assert "mediatopic.post" not in emu.stats()["by_method"]
    emu.set_faults()


async def test_a_refused_upload_is_worded(
    net: OkNetwork, account: Account, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "fake.jpg"
    fake.write_bytes(b"not an image at all")
    monkeypatch.setattr(publish, "photo_problem", lambda path: None)  # only OK's check is left
    with pytest.raises(ApiError) as caught:
        await net.publish_post(PublishRequest(account, "Фото", (str(fake),)))
    assert caught.value.code == 503 and "JPEG, PNG or GIF" in str(caught.value)
    assert not isinstance(caught.value, TransientError)


async def test_missing_group_content_names_the_permission(net: OkNetwork, emu: OkEmulator) -> None:
    narrow = Account("narrow", "ok", str(emu.group_ids()[0]), "Администрация", "HUB_NARROW")
    with pytest.raises(AuthError) as caught:
        await net.publish_post(PublishRequest(narrow, "Без прав"))
    error = caught.value
    assert error.code == 10 and "GROUP_CONTENT" in str(error) and "GROUP_CONTENT" in error.fix
    assert "api-support@ok.ru" in (error.fix or "")
    assert titled(emu, narrow.external_id, "Без прав") == []


async def test_oks_text_limit_refusal_is_worded(
    net: OkNetwork, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(publish, "MAX_TEXT", 10_000)  # only OK's own check is left
    with pytest.raises(ApiError) as caught:
        await net.publish_post(PublishRequest(account, "ы" * 5000))
    assert caught.value.code == 601 and "too long" in str(caught.value)
    assert not isinstance(caught.value, TransientError | AuthError)


async def test_unknown_group_is_worded(net: OkNetwork) -> None:
    stray = Account("ok-1", "ok", "70000009999999", "Нет такой", "HUB_OK_TOKEN")
    with pytest.raises(ApiError) as caught:
        await net.publish_post(PublishRequest(stray, "Куда?"))
    assert "70000009999999" in str(caught.value) and "external_id" in str(caught.value)


async def test_a_draft_with_problems_is_refused_before_any_call(
    net: OkNetwork, emu: OkEmulator, account: Account
) -> None:
    with pytest.raises(ApiError, match="empty"):
        await net.publish_post(PublishRequest(account, "  "))
    assert emu.stats()["requests"] == 0


def test_publish_problems(account: Account, photo: str, tmp_path: Path) -> None:
    def check(text: str = "Текст", photos=(), links=()) -> list[str]:
        return publish.problems(PublishRequest(account, text, tuple(photos), tuple(links)))

    assert check() == [] and check("", [photo]) == [] and check("", links=[LINK]) == []
    assert check(" \n") == ["the post is empty: OK needs text, a photo or a link"]
    assert "shorten it by 1" in check("я" * 4001)[0] and check("я" * 4000) == []
    missing = str(tmp_path / "нет.jpg")
    assert check(photos=[missing]) == [f"the photo {missing} does not exist"]
    assert check(photos=[str(tmp_path)]) == [f"the photo {tmp_path} is not a file"]
    text_file = tmp_path / "note.jpg"
    text_file.write_text("не картинка")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    assert check(photos=[text_file, empty]) == [
        f"the photo {text_file} is not a JPEG, PNG or GIF image",
        f"the photo {empty} is not a JPEG, PNG or GIF image",
    ]
    assert check(photos=[photo] * 21) == ["21 photos; an OK post takes at most 20"]
    assert check(links=["ftp://x.ru", "ok.ru/group", " https://x.ru"]) == [
        "the link 'ftp://x.ru' is not an http(s) address OK accepts",
        "the link 'ok.ru/group' is not an http(s) address OK accepts",
        "the link ' https://x.ru' is not an http(s) address OK accepts",
    ]
    assert check(links=[LINK] * 11) == ["11 links; the hub sends at most 10 to OK"]
    for image in (b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"\xff\xd8\xff\xdb"):
        assert images.kind(image + b"rest")


def test_publish_problems_names_a_too_large_photo(
    account: Account, photo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(publish, "MAX_PHOTO_BYTES", 100)
    problems = publish.problems(PublishRequest(account, "", (photo,)))
    assert len(problems) == 1 and "OK takes at most 30 MB" in problems[0]


def test_attachment_json_and_topic_id_parsing() -> None:
    spec = publish.attachment("Привет", (LINK,), ["tok+/="])
    assert spec == (
        '{"media":[{"type":"text","text":"Привет"},{"type":"photo","list":[{"id":"tok+/="}]},'
        '{"type":"link","url":"' + LINK + '"}],"onBehalfOfGroup":"true"}'
    )
    assert publish.topic_id("155812345678901") == 155812345678901
    assert publish.topic_id(155812345678901) == 155812345678901
    with pytest.raises(ApiError, match="published nothing") as zero:
        publish.topic_id("0")
    assert not isinstance(zero.value, TransientError)
    for odd in ({"id": "1"}, None, True, "abc"):
        with pytest.raises(TransientError, match="may exist"):
            publish.topic_id(odd)


# --------------------------------------------------------------------------- replies


def comment_ref(emu: OkEmulator, account: Account) -> CommentRef:
    gid = int(account.external_id)
    tid = emu.add_topic(gid, "Новость с вопросом")
    cid = emu.add_comment(gid, tid, "Когда починят дорогу?")
    return CommentRef(account, cid, int(tid))


async def test_reply_is_manual_while_oks_method_is_closed(
    net: OkNetwork, emu: OkEmulator, account: Account
) -> None:
    ref = comment_ref(emu, account)
    result = await net.reply_to_comment(ReplyRequest(ref, "Ремонт в июле.", "r-1"))
    assert result.manual is True and result.done is False
    url = net.post_url(account, ref.post_network_id)
    assert url in result.detail and "by hand" in result.detail and "\n" not in result.detail
    assert [c.text for c in emu.state.topics[str(ref.post_network_id)].comments] == [
        "Когда починят дорогу?"
    ]


async def test_reply_goes_out_as_the_group_when_the_method_is_open(
    net: OkNetwork, emu: OkEmulator, account: Account
) -> None:
    emu.discussion_writes = True
    ref = comment_ref(emu, account)
    result = await net.reply_to_comment(ReplyRequest(ref, "Ремонт в июле.", "r-1"))
    assert result.done is True and not result.already and not result.manual
    assert result.data["url"] == net.post_url(account, ref.post_network_id)
    listing = (await net.fetch_comments([CommentsRequest(account, ref.post_network_id)]))[0]
    mine = next(c for c in listing.comments if c.network_id == result.data["comment_id"])
    assert mine.author_id == -int(account.external_id) and mine.text == "Ремонт в июле."
    assert mine.parent_network_id == ref.network_id


async def test_retry_after_a_lost_answer_finds_the_earlier_reply(
    net: OkNetwork, emu: OkEmulator, account: Account
) -> None:
    emu.discussion_writes = True
    ref = comment_ref(emu, account)
    emu.lose_answers("discussions.addDiscussionComment", 1)
    with pytest.raises(TransientError) as caught:
        await net.reply_to_comment(ReplyRequest(ref, "Ремонт  в июле.", "r-1"))
    assert caught.value.maybe_applied is True
    again = await net.reply_to_comment(ReplyRequest(ref, "Ремонт в июле.", "r-1", retry=True))
    assert again.done and again.already and again.data["comment_id"]
    texts = [c.text for c in emu.state.topics[str(ref.post_network_id)].comments]
    assert texts == ["Когда починят дорогу?", "Ремонт  в июле."]
    assert emu.stats()["by_method"]["discussions.addDiscussionComment"] == 1


async def test_retry_sends_when_nothing_was_posted(
    net: OkNetwork, emu: OkEmulator, account: Account
) -> None:
    emu.discussion_writes = True
    ref = comment_ref(emu, account)
    emu.add_comment(int(account.external_id), str(ref.post_network_id), "Ремонт в июле.")
    result = await net.reply_to_comment(ReplyRequest(ref, "Ремонт в июле.", "r-1", retry=True))
    assert result.done and not result.already  # a resident's same words are not the reply
    assert emu.stats()["by_method"]["discussions.getComments"] == 1


async def test_reply_to_a_deleted_comment_raises_gone(
    net: OkNetwork, emu: OkEmulator, account: Account
) -> None:
    emu.discussion_writes = True
    ref = comment_ref(emu, account)
    emu.delete_comment(int(account.external_id), str(ref.post_network_id), str(ref.network_id))
    with pytest.raises(ApiError) as caught:
        await net.reply_to_comment(ReplyRequest(ref, "Поздно.", "r-1"))
    assert caught.value.code == 141


def test_flood_and_photo_permission_refusals_are_worded(account: Account) -> None:
    flood = publish._worded(
        RateLimitedError("FLOOD_BLOCKED", retry_after=600, code=8, method="mediatopic.post"),
        account,
    )
    assert isinstance(flood, TransientError) and flood.maybe_applied is False
    assert "nothing was published" in str(flood)
    photos = publish._worded(ApiError("denied", code=10, method="photosV2.getUploadUrl"), account)
    assert isinstance(photos, AuthError) and "PHOTO_CONTENT permission" in str(photos)
    other = ApiError("odd", code=4, method="mediatopic.post")
    assert publish._worded(other, account) is other
