"""The VK emulator's publishing over real HTTP: photo upload, wall.post, wall.createComment.

These pin the emulator to dev.vk.com and the schema (docs/networks/vk.md §2, §4) so the plugin
tested against it posts the same way on api.vk.ru: the guid makes a resend answer the
same post, a community token is refused where VK refuses it, and a lost answer leaves
exactly one post behind.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from hub_vk.emulator import VkEmulator
from hub_vk.emulator.cli import emulator_command

NOW = 1_767_261_600
TOKEN = "vk1.a.admin-token"
COMMUNITY = "vk1.g.community-key"


def png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\x00\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))


@pytest.fixture()
def emu() -> Iterator[VkEmulator]:
    with VkEmulator(
        seed=4, communities=2, posts=4, comments=4, rate_limit=0, now=NOW, tokens=[TOKEN]
    ) as emulator:
        emulator.community_tokens[COMMUNITY] = emulator.community_ids()[0]
        yield emulator


@pytest.fixture()
def http(emu: VkEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5) as client:
        yield client


def call(emu: VkEmulator, http: httpx.Client, method: str, token: str = TOKEN, **params: Any):
    params.setdefault("v", "5.199")
    reply = http.post(
        f"{emu.url}/{method}", data=params, headers={"Authorization": f"Bearer {token}"}
    )
    assert reply.status_code == 200
    return reply.json()


def ok(emu: VkEmulator, http: httpx.Client, method: str, **params: Any) -> Any:
    body = call(emu, http, method, **params)
    assert "error" not in body, body
    return body["response"]


def code(emu: VkEmulator, http: httpx.Client, method: str, **params: Any) -> int:
    body = call(emu, http, method, **params)
    assert "response" not in body, body
    return body["error"]["error_code"]


def upload(emu: VkEmulator, http: httpx.Client, gid: int, content: bytes) -> dict[str, Any]:
    server = ok(emu, http, "photos.getWallUploadServer", group_id=gid)
    reply = http.post(server["upload_url"], files={"photo": ("p.png", content, "image/png")})
    assert reply.status_code == 200
    return reply.json()


def saved_photo(emu: VkEmulator, http: httpx.Client, gid: int) -> dict[str, Any]:
    up = upload(emu, http, gid, png(30, 20))
    return ok(emu, http, "photos.saveWallPhoto", group_id=gid, **up)[0]


def newest(emu: VkEmulator, http: httpx.Client, gid: int) -> dict[str, Any]:
    items = ok(emu, http, "wall.get", owner_id=-gid, count=5)["items"]
    return next(p for p in items if not p.get("is_pinned"))


def first_thread(emu: VkEmulator, gid: int) -> tuple[int, int]:
    """(post id, top-level comment id) of a post that has comments."""
    com = emu.state.communities[gid]
    post = next(p for p in com.posts.values() if p.roots and not p.deleted)
    root = next(r for r in post.roots if not com.comments[r].deleted)
    return post.id, root


# --------------------------------------------------------------------------- photos, posts


def test_upload_flow_and_post_with_photo_and_link(emu: VkEmulator, http: httpx.Client) -> None:
    gid = emu.community_ids()[0]
    emu.set_long_poll(gid)  # Long Poll is off by VK's default: no event would be logged
    server = ok(emu, http, "photos.getWallUploadServer", group_id=gid)
    assert set(server) == {"album_id", "upload_url", "user_id"} and server["album_id"] == -14
    assert TOKEN not in server["upload_url"]
    reply = http.post(server["upload_url"], files={"photo": ("p.png", png(60, 40), "image/png")})
    up = reply.json()
    assert set(up) == {"server", "photo", "hash"} and up["photo"] != "[]"
    photo = ok(emu, http, "photos.saveWallPhoto", group_id=gid, **up)[0]
    assert photo["owner_id"] == -gid and photo["sizes"][-1]["width"] == 60
    again = ok(emu, http, "photos.saveWallPhoto", group_id=gid, **up)[0]
    assert again["id"] == photo["id"]  # the same upload saved twice is one photo
    ref = f"photo{photo['owner_id']}_{photo['id']}"
    post_id = ok(
        emu,
        http,
        "wall.post",
        owner_id=-gid,
        from_group=1,
        message="Уважаемые жители!",
        attachments=f"{ref},https://city.example.ru/news/1",
    )["post_id"]
    post = newest(emu, http, gid)
    assert post["id"] == post_id and post["from_id"] == post["owner_id"] == -gid
    assert post["text"] == "Уважаемые жители!" and abs(post["date"] - emu.clock()) < 5
    assert [a["type"] for a in post["attachments"]] == ["photo", "link"]
    assert post["attachments"][0]["photo"]["id"] == photo["id"]
    assert post["attachments"][1]["link"]["url"] == "https://city.example.ru/news/1"
    assert post["post_source"] == {"type": "api"}
    assert str(post_id) in emu.snapshot()["communities"][str(gid)]["posts"]
    events = emu.state.communities[gid].events.since(0)
    assert events[-1]["type"] == "wall_post_new" and events[-1]["object"]["id"] == post_id


def test_upload_takes_the_file_as_file0_too(emu: VkEmulator, http: httpx.Client) -> None:
    """VK's upload servers take ``file0`` as well as ``photo`` (VK's own SDKs send ``file0``)."""
    gid = emu.community_ids()[0]
    server = ok(emu, http, "photos.getWallUploadServer", group_id=gid)
    reply = http.post(server["upload_url"], files={"file0": ("p.png", png(40, 30), "image/png")})
    up = reply.json()
    assert reply.status_code == 200 and up["photo"] != "[]"
    photo = ok(emu, http, "photos.saveWallPhoto", group_id=gid, **up)[0]
    assert photo["owner_id"] == -gid and photo["sizes"][-1]["width"] == 40
    other = http.post(server["upload_url"], files={"file9": ("p.png", png(40, 30), "image/png")})
    assert other.json()["photo"] == "[]"  # no file under a name VK reads


def test_upload_refuses_what_is_no_image(emu: VkEmulator, http: httpx.Client) -> None:
    gid = emu.community_ids()[0]
    up = upload(emu, http, gid, b"just some text, not a picture")
    assert up["photo"] == "[]"
    assert code(emu, http, "photos.saveWallPhoto", group_id=gid, **up) == 100
    assert upload(emu, http, gid, png(14_000, 10))["photo"] == "[]"  # width + height too big
    server = ok(emu, http, "photos.getWallUploadServer", group_id=gid)
    forged = server["upload_url"].replace(f"gid={gid}", f"gid={emu.community_ids()[1]}")
    assert "error" in http.post(forged, files={"photo": ("p.png", png(5, 5))}).json()


def test_save_with_a_bad_hash_or_server(emu: VkEmulator, http: httpx.Client) -> None:
    first, second = emu.community_ids()
    up = upload(emu, http, first, png(8, 8))
    assert code(emu, http, "photos.saveWallPhoto", group_id=first, **{**up, "hash": "x"}) == 121
    assert code(emu, http, "photos.saveWallPhoto", group_id=first, **{**up, "server": 1}) == 118
    assert code(emu, http, "photos.saveWallPhoto", group_id=second, **up) == 121
    assert code(emu, http, "photos.getWallUploadServer", group_id=1) == 125


def test_guid_answers_the_same_post_and_creates_nothing(
    emu: VkEmulator, http: httpx.Client
) -> None:
    gid = emu.community_ids()[0]
    params = {"owner_id": -gid, "from_group": 1, "message": "Один раз", "guid": "hub-1"}
    first = ok(emu, http, "wall.post", **params)["post_id"]
    count = len(emu.snapshot()["communities"][str(gid)]["posts"])
    assert ok(emu, http, "wall.post", **params)["post_id"] == first
    assert len(emu.snapshot()["communities"][str(gid)]["posts"]) == count
    other = ok(emu, http, "wall.post", **{**params, "guid": "hub-2"})["post_id"]
    assert other != first
    second_wall = emu.community_ids()[1]  # a guid is per wall
    assert ok(emu, http, "wall.post", **{**params, "owner_id": -second_wall})["post_id"]


def test_wall_post_refusals(emu: VkEmulator, http: httpx.Client) -> None:
    gid = emu.community_ids()[0]
    base = {"owner_id": -gid, "from_group": 1}
    assert code(emu, http, "wall.post", **base) == 100  # nothing to post
    assert code(emu, http, "wall.post", **base, message="   ") == 100
    assert code(emu, http, "wall.post", **base, message="я" * 16_385) == 100
    assert "post_id" in ok(emu, http, "wall.post", **base, message="я" * 16_384)
    links = "https://a.example.ru,https://b.example.ru"
    body = call(emu, http, "wall.post", **base, message="x", attachments=links)
    assert body["error"]["error_code"] == 100 and "one link" in body["error"]["error_msg"]
    photo = saved_photo(emu, http, gid)
    ref = f"photo{-gid}_{photo['id']}"
    assert code(emu, http, "wall.post", **base, attachments=",".join([ref] * 11)) == 100
    assert "post_id" in ok(emu, http, "wall.post", **base, attachments=",".join([ref] * 10))
    other = emu.community_ids()[1]
    assert code(emu, http, "wall.post", owner_id=-other, attachments=ref) == 100  # not its wall
    assert code(emu, http, "wall.post", **base, attachments=f"photo{-gid}_1") == 100
    assert code(emu, http, "wall.post", owner_id=-1, message="x") == 100


def test_community_token_is_refused_where_vk_refuses_it(
    emu: VkEmulator, http: httpx.Client
) -> None:
    gid, other = emu.community_ids()
    for method, params in [
        ("wall.post", {"owner_id": -gid, "from_group": 1, "message": "x"}),
        ("photos.getWallUploadServer", {"group_id": gid}),
        ("wall.get", {"owner_id": -gid}),
        ("groups.ban", {"group_id": gid, "owner_id": 1}),
    ]:
        body = call(emu, http, method, token=COMMUNITY, **params)
        assert body["error"]["error_code"] == 27, method
    assert "groups" in call(emu, http, "groups.getById", token=COMMUNITY, group_id=gid)["response"]
    post_id, root = first_thread(emu, gid)
    answer = call(
        emu, http, "wall.createComment", token=COMMUNITY, owner_id=-gid, post_id=post_id,
        message="Ответ", reply_to_comment=root,
    )["response"]  # fmt: skip
    assert emu.state.communities[gid].comments[answer["comment_id"]].from_id == -gid
    other_post, _ = first_thread(emu, other)
    body = call(
        emu, http, "wall.createComment", token=COMMUNITY, owner_id=-other, post_id=other_post,
        message="x",
    )  # fmt: skip
    assert body["error"]["error_code"] == 15


# --------------------------------------------------------------------------- comments


def test_create_comment_as_the_community_in_a_thread(emu: VkEmulator, http: httpx.Client) -> None:
    gid = emu.community_ids()[0]
    post_id, root = first_thread(emu, gid)
    params = {"owner_id": -gid, "post_id": post_id, "from_group": gid, "guid": "r-1"}
    first = ok(emu, http, "wall.createComment", **params, message="Да", reply_to_comment=root)
    assert first["parents_stack"] == [root]
    again = ok(emu, http, "wall.createComment", **params, message="Да", reply_to_comment=root)
    assert again == first  # the same guid on the same post: the same comment, nothing new
    deeper = ok(
        emu, http, "wall.createComment", **{**params, "guid": "r-2"},
        message="Ещё", reply_to_comment=first["comment_id"],
    )  # fmt: skip
    assert deeper["parents_stack"] == [root]  # a reply to a reply stays in the root's thread
    top = ok(emu, http, "wall.createComment", **{**params, "guid": ""}, message="Всем")
    assert top["parents_stack"] == []
    thread = ok(
        emu, http, "wall.getComments", owner_id=-gid, post_id=post_id, comment_id=root,
        count=100, preview_length=0,
    )["items"]  # fmt: skip
    mine = {c["id"]: c for c in thread if c["from_id"] == -gid}
    assert mine[first["comment_id"]]["reply_to_comment"] == root
    assert mine[deeper["comment_id"]]["reply_to_comment"] == first["comment_id"]
    assert mine[deeper["comment_id"]]["parents_stack"] == [root]
    tops = ok(emu, http, "wall.getComments", owner_id=-gid, post_id=post_id, count=100)["items"]
    assert any(c["id"] == top["comment_id"] and c["from_id"] == -gid for c in tops)
    user = ok(emu, http, "wall.createComment", owner_id=-gid, post_id=post_id, message="Я")
    assert emu.state.communities[gid].comments[user["comment_id"]].from_id == emu.tokens[TOKEN]


def test_create_comment_refusals(emu: VkEmulator, http: httpx.Client) -> None:
    gid, other = emu.community_ids()
    post_id, _root = first_thread(emu, gid)
    base = {"owner_id": -gid, "post_id": post_id, "from_group": gid}
    assert (
        code(emu, http, "wall.createComment", **{**base, "post_id": 99_999_999}, message="x") == 212
    )
    assert code(emu, http, "wall.createComment", **base) == 100  # no message
    assert code(emu, http, "wall.createComment", **base, message="x", reply_to_comment=1) == 100
    assert (
        code(emu, http, "wall.createComment", **{**base, "from_group": other}, message="x") == 100
    )
    assert ok(emu, http, "wall.closeComments", owner_id=-gid, post_id=post_id) == 1
    assert code(emu, http, "wall.createComment", **base, message="x") == 213
    assert newest(emu, http, gid)  # reads still work
    assert ok(emu, http, "wall.openComments", owner_id=-gid, post_id=post_id) == 1
    assert "comment_id" in ok(emu, http, "wall.createComment", **base, message="x")
    emu.close_comments(gid, post_id)
    assert code(emu, http, "wall.createComment", **base, message="x") == 213
    emu.delete_post(gid, post_id)
    assert code(emu, http, "wall.createComment", **base, message="x") == 212


# --------------------------------------------------------------------------- lost answers


def test_lost_answer_applies_the_write_then_hangs_up(emu: VkEmulator, http: httpx.Client) -> None:
    gid = emu.community_ids()[0]
    control = emu.base_url + "/_emulator/faults"
    assert httpx.post(control, json={"lose_answer": {"wall.post": 1}}).json() == {"ok": True}
    before = len(emu.snapshot()["communities"][str(gid)]["posts"])
    params = {"owner_id": -gid, "from_group": 1, "message": "Потерянный ответ", "guid": "lost-1"}
    with pytest.raises(httpx.RemoteProtocolError):
        call(emu, http, "wall.post", **params)
    assert len(emu.snapshot()["communities"][str(gid)]["posts"]) == before + 1
    assert newest(emu, http, gid)["text"] == "Потерянный ответ"
    ok(emu, http, "wall.post", **params)  # answered again, and still one post
    assert len(emu.snapshot()["communities"][str(gid)]["posts"]) == before + 1

    post_id, root = first_thread(emu, gid)
    emu.lose_answers("wall.createComment")
    comments = len(emu.state.communities[gid].comments)
    with pytest.raises(httpx.RemoteProtocolError):
        call(emu, http, "wall.createComment", owner_id=-gid, post_id=post_id, message="x")
    assert len(emu.state.communities[gid].comments) == comments + 1
    assert "comment_id" in ok(emu, http, "wall.createComment", owner_id=-gid, post_id=post_id,
                              message="y")  # fmt: skip


def test_cli_takes_community_keys_and_refuses_a_malformed_one() -> None:
    assert "TOKEN=GROUP_ID" in CliRunner().invoke(emulator_command, ["--help"]).output
    bad = CliRunner().invoke(emulator_command, ["--port", "0", "--community-token", "secret"])
    assert bad.exit_code == 2 and "expected TOKEN=GROUP_ID" in bad.output
    assert "secret" not in bad.output.replace("--community-token", "")
