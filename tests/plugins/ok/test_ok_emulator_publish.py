"""The OK emulator's write side over real HTTP: upload, mediatopic.post, addDiscussionComment.

These pin it to the notes (docs/networks/ok.md §6, §4.2, §1.4) so the plugin tested against
it publishes the same way on api.ok.ru. Requests are signed by the independent
signer of test_ok_emulator, not by the emulator's or the plugin's code.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from hub_ok.emulator import OkEmulator, emulator_command
from hub_ok.emulator import publish as emulator_publish
from tests.plugins.ok.test_ok_emulator import NOW, TOKEN, control, err, err_of, ok, post, signed

JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4 + b"\r\n--boundary\r\n\x00"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\r\n" * 50
NO_GROUP_CONTENT = "token-without-group-content"


@pytest.fixture()
def emu() -> Iterator[OkEmulator]:
    with OkEmulator(
        seed=13,
        groups=2,
        topics=5,
        comments=3,
        rate_limit=0,
        now=NOW,
        tokens=(TOKEN, NO_GROUP_CONTENT),
        token_permissions={NO_GROUP_CONTENT: ["VALUABLE_ACCESS", "LONG_ACCESS_TOKEN"]},
    ) as emulator:
        yield emulator


def attachment(*media: dict[str, Any], **extra: Any) -> str:
    return json.dumps({"media": list(media), "onBehalfOfGroup": "true", **extra})


def text(value: str) -> dict[str, str]:
    return {"type": "text", "text": value}


def topics(emu: OkEmulator, gid: int) -> list[dict[str, Any]]:
    return ok(emu, "mediatopic.getTopics", gid=gid, count=100)["media_topics"]


def upload(url: str, *files: bytes, field: str = "pic") -> httpx.Response:
    parts = [(f"{field}{n}", (f"img{n}.bin", data)) for n, data in enumerate(files, 1)]
    return httpx.post(url, files=parts, timeout=5)


# --------------------------------------------------------------------------- mediatopic.post


def test_post_answers_a_bare_string_id_and_the_topic_is_listed(emu: OkEmulator) -> None:
    gid = emu.group_ids()[0]
    media = [text("Субботник в субботу"), {"type": "link", "url": "https://adm.example.ru/n/1"}]
    reply = post(
        emu, signed("mediatopic.post", type="GROUP_THEME", gid=gid, attachment=attachment(*media))
    )
    assert reply.status_code == 200 and "invocation-error" not in reply.headers
    assert reply.content.startswith(b'"') and isinstance(reply.json(), str)
    tid = reply.json()
    listed = topics(emu, gid)
    topic = next(t for t in listed if t["id"] == tid)
    assert listed.index(topic) <= 1  # newest, behind the pinned topic at most
    assert topic["author_ref"] == topic["owner_ref"] == f"group:{gid}"
    assert topic["is_on_behalf_of_group"] is True
    assert topic["media"] == [
        {"type": "text", "text": "Субботник в субботу"},
        {"type": "link", "url": "https://adm.example.ru/n/1"},
    ]
    assert abs(topic["created_ms"] - emu.clock_ms()) < 5000  # the emulator's clock
    feed = ok(emu, "stream.get", gid=gid, patterns="POST")["entities"]["media_topics"]
    assert tid in {t["id"] for t in feed}
    assert tid in emu.snapshot()["groups"][str(gid)]["topics"]


def test_no_idempotency_a_repeated_call_makes_a_second_topic(emu: OkEmulator) -> None:
    gid = emu.group_ids()[0]
    data = signed("mediatopic.post", type="GROUP_THEME", gid=gid, attachment=attachment(text("Х")))
    first, second = post(emu, data).json(), post(emu, data).json()
    assert first != second and int(second) > int(first)
    assert [t["media"][0]["text"] for t in topics(emu, gid)].count("Х") == 2


def test_on_behalf_of_the_user_unless_the_attachment_says_the_group(emu: OkEmulator) -> None:
    gid = emu.group_ids()[1]
    uid = ok(emu, "users.getCurrentUser")["uid"]
    spec = json.dumps({"media": [text("От себя")]})
    tid = ok(emu, "mediatopic.post", type="GROUP_THEME", gid=gid, attachment=spec)
    topic = next(t for t in topics(emu, gid) if t["id"] == tid)
    assert topic["author_ref"] == f"user:{uid}" and topic["is_on_behalf_of_group"] is False


def test_group_content_permission_is_required(emu: OkEmulator) -> None:
    gid = emu.group_ids()[0]
    data = signed(
        "mediatopic.post",
        token=NO_GROUP_CONTENT,
        type="GROUP_THEME",
        gid=gid,
        attachment=attachment(text("Нельзя")),
    )
    code, msg = err_of(post(emu, data))
    assert code == 10 and msg.startswith("PERMISSION_DENIED : ") and "GROUP_CONTENT" in msg
    no_photos = signed("photosV2.getUploadUrl", token=NO_GROUP_CONTENT, gid=gid)
    assert err_of(post(emu, no_photos))[0] == 10  # nor PHOTO_CONTENT
    settings = {"permissions": {NO_GROUP_CONTENT: ["GROUP_CONTENT"]}}
    assert control(emu, "POST", "settings", settings).json()["ok"] is True
    assert isinstance(post(emu, data).json(), str)
    assert control(emu, "POST", "settings", {"permissions": {"x": "GROUP"}}).status_code == 400


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"attachment": attachment(text("x" * 4001))}, 601),
        ({"attachment": attachment(*[text("x")] * 51)}, 600),
        ({"attachment": attachment(text("a"), {"type": "link", "url": "ftp://x.ru"})}, 607),
        ({"attachment": attachment(text("a"), {"type": "link", "url": "https://"})}, 607),
        ({"attachment": attachment({"type": "photo", "list": [{"id": "nope"}]})}, 121),
        ({"attachment": "{not json"}, 100),
        ({"attachment": json.dumps({"media": []})}, 100),
        ({"attachment": json.dumps(["media"])}, 100),
        ({"attachment": attachment({"type": "poll", "question": "?"})}, 100),
        ({"attachment": attachment(text("   "))}, 100),
        ({"attachment": attachment(text("a"), publishAt="2026-01-02 10:00:00")}, 100),
        ({"attachment": json.dumps({"media": [text("a")], "onBehalfOfGroup": "yes"})}, 100),
        ({}, 100),  # no attachment
        ({"attachment": attachment(text("a")), "type": "USER"}, 100),
        ({"attachment": attachment(text("a")), "gid": "70000009999999"}, 160),
    ],
)
def test_post_refusals_use_oks_codes(emu: OkEmulator, params: dict[str, str], code: int) -> None:
    base = {"type": "GROUP_THEME", "gid": str(emu.group_ids()[0])}
    assert err(emu, "mediatopic.post", **{**base, **params})[0] == code


def test_text_at_the_limit_is_taken(emu: OkEmulator) -> None:
    spec = attachment(text("ж" * emulator_publish.MAX_TOPIC_TEXT))
    assert ok(emu, "mediatopic.post", type="GROUP_THEME", gid=emu.group_ids()[0], attachment=spec)


# --------------------------------------------------------------------------- photos


def test_upload_flow_gives_tokens_a_topic_shows_as_photo_refs(emu: OkEmulator) -> None:
    gid = emu.group_ids()[0]
    got = ok(emu, "photosV2.getUploadUrl", gid=gid, count=2)
    assert set(got) == {"upload_url", "photo_ids", "expires_ms", "ttl_ms"}
    assert len(got["photo_ids"]) == 2 and TOKEN not in got["upload_url"]
    assert "access_token" not in got["upload_url"]
    reply = upload(got["upload_url"], JPEG, PNG)
    assert reply.status_code == 200
    photos = reply.json()["photos"]
    assert set(photos) == set(got["photo_ids"]) and all(p["token"] for p in photos.values())
    block = {"type": "photo", "list": [{"id": photos[i]["token"]} for i in got["photo_ids"]]}
    tid = ok(
        emu,
        "mediatopic.post",
        type="GROUP_THEME",
        gid=gid,
        attachment=attachment(text("С фото"), block),
    )
    topic = next(t for t in topics(emu, gid) if t["id"] == tid)
    refs = topic["media"][1]["photo_refs"]
    assert topic["media"][1]["type"] == "photo" and len(refs) == 2
    assert all(r.startswith("group_photo:") for r in refs)
    assert emu.stats()["tokens_in_url"] == 0 and emu.stats()["by_method"]["uploadImage"] == 1


def test_upload_refusals(emu: OkEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    gid = emu.group_ids()[0]

    def url(count: int = 1) -> str:
        return ok(emu, "photosV2.getUploadUrl", gid=gid, count=count)["upload_url"]

    assert err_of(upload(url(), b"%PDF-1.4 not an image"))[0] == 503
    assert err_of(upload(url(), b""))[0] == 503
    assert err_of(upload(url(), JPEG, JPEG))[0] == 100  # more files than photo ids
    assert err_of(httpx.post(url(), data={"pic1": "x"}, timeout=5))[0] == 21
    fields_only = b'--b\r\nContent-Disposition: form-data; name="note"\r\n\r\nx\r\n--b--\r\n'
    headers = {"Content-Type": "multipart/form-data; boundary=b"}
    assert err_of(httpx.post(url(), content=fields_only, headers=headers, timeout=5))[0] == 505
    assert err_of(upload(url().replace("apiToken=", "apiToken=x"), JPEG))[0] == 100
    monkeypatch.setattr(emulator_publish, "MAX_PHOTO_BYTES", 100)
    assert err_of(upload(url(), JPEG))[0] == 500
    assert err(emu, "photosV2.getUploadUrl", gid=gid, count=21)[0] == 100
    assert err(emu, "photosV2.getUploadUrl", gid=70000009999999)[0] == 160
    assert not emu.state.photo_tokens  # a refused upload stores nothing


def test_a_photo_of_another_group_is_refused(emu: OkEmulator) -> None:
    first, second = emu.group_ids()
    got = ok(emu, "photosV2.getUploadUrl", gid=first)
    token = upload(got["upload_url"], JPEG).json()["photos"][got["photo_ids"][0]]["token"]
    block = {"type": "photo", "list": [{"id": token}]}
    assert (
        err(emu, "mediatopic.post", type="GROUP_THEME", gid=second, attachment=attachment(block))[0]
        == 121
    )


# --------------------------------------------------------------------------- comments


def add_comment_params(tid: str, reply_to: str, **extra: Any) -> dict[str, Any]:
    return {
        "entityId": tid,
        "entityType": "GROUP_TOPIC",
        "comment": "Спасибо, ответим",
        "reply_to_comment_id": reply_to,
        "as_admin": "true",
        **extra,
    }


def test_discussion_writes_are_closed_by_default_as_for_an_ordinary_app(emu: OkEmulator) -> None:
    gid = emu.group_ids()[0]
    tid = topics(emu, gid)[0]["id"]
    cid = emu.add_comment(gid, tid, "Вопрос")
    assert err(emu, "discussions.addDiscussionComment", **add_comment_params(tid, cid)) == (
        3,
        "METHOD : Method discussions.addDiscussionComment does not exist",
    )
    assert emu.snapshot()["groups"][str(gid)]["topics"][tid]["comments"].count(cid) == 1
    assert "--discussion-writes" in CliRunner().invoke(emulator_command, ["--help"]).output


def test_open_discussion_writes_add_the_groups_comment(emu: OkEmulator) -> None:
    assert control(emu, "POST", "settings", {"discussion_writes": True}).json() == {
        "ok": True,
        "discussion_writes": True,
    }
    gid = emu.group_ids()[0]
    tid = topics(emu, gid)[0]["id"]
    cid = emu.add_comment(gid, tid, "Когда уберут снег?")
    new_id = ok(emu, "discussions.addDiscussionComment", **add_comment_params(tid, cid))
    assert isinstance(new_id, str)
    page = ok(
        emu,
        "discussions.getComments",
        discussionId=tid,
        discussionType="GROUP_TOPIC",
        anchor="LAST",
        direction="BACKWARD",
        count=5,
    )
    mine = page["comments"][-1]
    assert mine["id"] == new_id and mine["text"] == "Спасибо, ответим"
    assert mine["author_type"] == "GROUP" and mine["author_id"] == str(gid)
    assert mine["reply_to_comment_id"] == cid
    assert page["entities"]["groups"][0]["uid"] == str(gid)
    as_user = ok(
        emu, "discussions.addDiscussionComment", **add_comment_params(tid, cid, as_admin="false")
    )
    assert emu.state.topics[tid].by_id[as_user].by_group is False
    params = add_comment_params(tid, "bm9wZQ==")
    assert err(emu, "discussions.addDiscussionComment", **params)[0] == 141
    params = add_comment_params("1", cid)
    assert err(emu, "discussions.addDiscussionComment", **params)[0] == 106
    params = add_comment_params(tid, cid, comment="")
    assert err(emu, "discussions.addDiscussionComment", **params)[0] == 100
    params = add_comment_params(tid, cid, comment="ы" * 3001)
    assert err(emu, "discussions.addDiscussionComment", **params)[0] == 100


# --------------------------------------------------------------------------- faults & rules


def test_lost_answers_apply_the_write_then_hang_up(emu: OkEmulator) -> None:
    gid = emu.group_ids()[0]
    emu.lose_answers("mediatopic.post", 1)
    data = signed(
        "mediatopic.post",
        type="GROUP_THEME",
        gid=gid,
        attachment=attachment(text("Потерянный ответ")),
    )
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(emu.url, data=data, timeout=5)
    assert [t["media"][0]["text"] for t in topics(emu, gid)].count("Потерянный ответ") == 1
    assert isinstance(httpx.post(emu.url, data=data, timeout=5).json(), str)  # once only

    emu.discussion_writes = True
    tid = topics(emu, gid)[0]["id"]
    cid = emu.add_comment(gid, tid, "Вопрос")
    faults = {"lose_answer": {"discussions.addDiscussionComment": 1}}
    assert control(emu, "POST", "faults", faults).json() == {"ok": True}
    data = signed("discussions.addDiscussionComment", **add_comment_params(tid, cid))
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(emu.url, data=data, timeout=5)
    texts = [c.text for c in emu.state.topics[tid].comments]
    assert texts.count("Спасибо, ответим") == 1


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("mediatopic.post", {"type": "GROUP_THEME", "attachment": attachment(text("Ы"))}),
        ("photosV2.getUploadUrl", {"count": "1"}),
        ("discussions.addDiscussionComment", {"entityType": "GROUP_TOPIC", "comment": "Ы"}),
    ],
)
def test_new_methods_check_the_signature(
    emu: OkEmulator, method: str, params: dict[str, str]
) -> None:
    emu.discussion_writes = True
    data = signed(method, gid=emu.group_ids()[0], **params)
    data["comment" if "comment" in data else "gid"] += "x"  # changed after signing
    assert err_of(post(emu, data))[0] == 104
    assert len(emu.state.topics) == 10  # nothing was written
