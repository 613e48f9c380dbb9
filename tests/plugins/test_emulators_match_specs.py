"""The emulators' answers, for every method the hub calls, validated against the APIs' specs.

VK: the official JSON schema (VKCOM/vk-api-schema, the parts vendored in
``tests/specs/vk/``), with ``jsonschema``. Telegram: the Bot API's field lists as
PaulSonOfLars/telegram-bot-api-spec scrapes them from core.telegram.org
(``tests/specs/telegram/``), with the small validator below. Both emulators run over
real loopback HTTP, so an emulator cannot drift from the API again unnoticed
(issue 15, point 4). ``tests/specs/README.md`` says where each file comes from.
"""

from __future__ import annotations

import json
import re
import struct
import zlib
from collections.abc import Iterator
from typing import Any

import httpx
import jsonschema
import pytest
from jsonschema import validators

from hub_telegram import client as tg_client
from hub_telegram import network as tg_network
from hub_telegram.emulator.server import DEFAULT_TOKEN, TelegramEmulator
from hub_vk import checks as vk_checks
from hub_vk import client as vk_client
from hub_vk import mapping as vk_mapping
from hub_vk import network as vk_network
from hub_vk.emulator import VkEmulator
from tests.helpers import TESTS

NOW = 1_767_261_600  # 2026-01-01 10:00 UTC, as in the emulators' own tests
SPECS = TESTS / "specs"
VK_SCHEMA = json.loads((SPECS / "vk" / "vk-api-schema.json").read_text(encoding="utf-8"))
TG_SPEC = json.loads((SPECS / "telegram" / "bot-api.json").read_text(encoding="utf-8"))

# --------------------------------------------------------------------------- VK


def _properties(validator, properties, instance, schema):
    """Draft 7's ``properties`` plus the schema's draft-3 style ``"required": true``."""
    if not validator.is_type(instance, "object"):
        return
    for name, sub in properties.items():
        if name in instance:
            yield from validator.descend(instance[name], sub, path=name, schema_path=name)
        elif isinstance(sub, dict) and sub.get("required") is True:
            yield jsonschema.ValidationError(f"{name!r} is a required property")


def _required(validator, required, instance, schema):
    if isinstance(required, list):  # a boolean one is the property's, checked above
        yield from validators.Draft7Validator.VALIDATORS["required"](
            validator, required, instance, schema
        )


VkValidator = validators.extend(
    validators.Draft7Validator, {"properties": _properties, "required": _required}
)


def _flatten(node: Any, definitions: dict[str, Any]) -> Any:
    """The schema with each ``allOf`` merged into one object schema.

    VK's schema builds objects as ``allOf`` of a base with ``additionalProperties:
    false`` and its extensions, which no answer can pass as JSON Schema reads it.
    Merged, the properties are the union and an unknown field is still refused.
    """
    if isinstance(node, list):
        return [_flatten(item, definitions) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _flatten(value, definitions) for key, value in node.items()}
    if "allOf" not in node:
        return node
    merged: dict[str, Any] = {k: v for k, v in node.items() if k != "allOf"}
    merged.setdefault("properties", {})
    closed = merged.get("additionalProperties") is False
    for part in node["allOf"]:
        while "$ref" in part:
            part = _flatten(definitions[part["$ref"].rsplit("/", 1)[-1]], definitions)
        merged["properties"] = {**part.get("properties", {}), **merged["properties"]}
        if isinstance(part.get("required"), list):
            merged["required"] = [*merged.get("required", []), *part["required"]]
        closed = closed or part.get("additionalProperties") is False
    if closed:
        merged["additionalProperties"] = False
    return merged


VK_DEFINITIONS = _flatten(VK_SCHEMA["definitions"], VK_SCHEMA["definitions"])


def vk_errors(method: str, body: dict[str, Any], extended: bool = False) -> list[str]:
    """Where a whole VK answer (``{"response": ...}``) breaks the schema of ``method``."""
    responses = VK_SCHEMA["methods"][method]["responses"]
    ref = responses["extendedResponse" if extended else "response"]
    schema = {**ref, "definitions": VK_DEFINITIONS}
    found = VkValidator(schema).iter_errors(body)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in found]


VK_TOKEN = "vk1.a.admin-token"
VK_COMMUNITY = "vk1.g.community-key"


def png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\x00\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))


@pytest.fixture(scope="module")
def vk() -> Iterator[VkEmulator]:
    with VkEmulator(
        seed=5, communities=2, posts=8, comments=6, rate_limit=0, now=NOW, tokens=[VK_TOKEN]
    ) as emulator:
        emulator.community_tokens[VK_COMMUNITY] = emulator.community_ids()[0]
        yield emulator


class VkCaller:
    def __init__(self, emu: VkEmulator, http: httpx.Client) -> None:
        self.emu, self.http, self.seen = emu, http, set()

    def __call__(
        self, method: str, token: str = VK_TOKEN, extended: bool = False, **params: Any
    ) -> Any:
        """Call as the hub does; the answer must be a success that matches the schema."""
        params = {"v": "5.199", **params}
        if extended:
            params["extended"] = 1
        reply = self.http.post(
            f"{self.emu.url}/{method}", data=params, headers={"Authorization": f"Bearer {token}"}
        )
        body = reply.json()
        assert reply.status_code == 200 and "response" in body, (method, body)
        assert vk_errors(method, body, extended) == [], (method, body)
        self.seen.add(method)
        return body["response"]


@pytest.fixture()
def vk_call(vk: VkEmulator) -> Iterator[VkCaller]:
    with httpx.Client(timeout=10) as http:
        yield VkCaller(vk, http)


def test_the_vk_schema_catches_a_drift() -> None:
    """The validator is not vacuous: what the schema forbids is found."""
    good = {"response": {"count": 1, "items": []}}
    assert vk_errors("wall.get", good) == []
    assert vk_errors("wall.get", {"response": {"items": []}}) != []  # count is required
    bad_post = {"response": {"count": 1, "items": [{"id": "4521"}]}}
    assert vk_errors("wall.get", bad_post) != []
    assert vk_errors("groups.getById", {"response": [{"id": 1}]}) != []  # 5.131's shape


def test_vk_reads_match_the_schema(vk: VkEmulator, vk_call: VkCaller) -> None:
    gid = vk.community_ids()[0]
    groups = vk_call("groups.getById", group_ids=str(gid), fields=vk_mapping.GROUP_FIELDS)
    assert groups["groups"][0]["id"] == gid
    vk_call("groups.getById", group_ids=str(gid), fields="is_admin,admin_level")
    wall = vk_call("wall.get", extended=True, owner_id=-gid, offset=0, count=100)
    vk_call("wall.get", owner_id=-gid, offset=0, count=1)
    post = next(p for p in wall["items"] if p.get("comments", {}).get("count"))
    comments = vk_call(
        "wall.getComments",
        extended=True,
        owner_id=-gid,
        post_id=post["id"],
        count=100,
        thread_items_count=10,
        need_likes=1,
        sort="asc",
    )
    vk_call("wall.getComments", owner_id=-gid, post_id=post["id"], count=1, preview_length=0)
    cid = comments["items"][0]["id"]
    vk_call("wall.getComment", owner_id=-gid, comment_id=cid)
    vk_call("wall.getComment", extended=True, owner_id=-gid, comment_id=cid)
    vk_call("wall.getById", posts=f"{-gid}_{post['id']}")
    vk_call("wall.getById", extended=True, posts=f"{-gid}_{post['id']}")
    vk_call("groups.getTokenPermissions", token=VK_COMMUNITY)
    vk_call("groups.getBanned", group_id=gid, owner_id=55501)


def test_vk_moderation_matches_the_schema(vk: VkEmulator, vk_call: VkCaller) -> None:
    gid = vk.community_ids()[1]
    post_id = vk.add_post(gid, "Отключение воды 12 января")
    cid = vk.add_comment(gid, post_id, "Купите дешёвые окна", from_id=55501)
    assert vk_call("wall.deleteComment", owner_id=-gid, comment_id=cid) == 1
    assert vk_call("wall.restoreComment", owner_id=-gid, comment_id=cid) == 1
    vk_call("groups.ban", group_id=gid, owner_id=55501, reason=1, comment="спам", end_date=0)
    banned = vk_call("groups.getBanned", group_id=gid, owner_id=55501)
    assert banned["items"] and banned["items"][0]["profile"]["id"] == 55501
    assert vk_call("groups.unban", group_id=gid, owner_id=55501) == 1


def test_vk_long_poll_setup_matches_the_schema(vk: VkEmulator, vk_call: VkCaller) -> None:
    gid = vk.community_ids()[0]
    events = dict.fromkeys(
        ("wall_post_new", "wall_reply_new", "wall_reply_edit", "wall_reply_delete"), 1
    )
    vk_call("groups.getLongPollSettings", token=VK_COMMUNITY, group_id=gid)
    vk_call(
        "groups.setLongPollSettings",
        token=VK_COMMUNITY,
        group_id=gid,
        enabled=1,
        api_version="5.199",
        wall_reply_restore=1,
        **events,
    )
    vk_call("groups.getLongPollSettings", token=VK_COMMUNITY, group_id=gid)
    vk_call("groups.getLongPollServer", token=VK_COMMUNITY, group_id=gid)


def test_vk_publishing_matches_the_schema(vk: VkEmulator, vk_call: VkCaller) -> None:
    gid = vk.community_ids()[0]
    server = vk_call("photos.getWallUploadServer", group_id=gid)
    for field in ("photo", "file0"):  # VK takes the file under either name
        up = vk_call.http.post(server["upload_url"], files={field: ("p.png", png(40, 30))}).json()
        saved = vk_call("photos.saveWallPhoto", group_id=gid, **up)
        assert saved[0]["owner_id"] == -gid
    ref = f"photo{saved[0]['owner_id']}_{saved[0]['id']}"
    post = vk_call(
        "wall.post", owner_id=-gid, from_group=1, message="Уважаемые жители!", attachments=ref
    )
    vk_call("wall.getById", posts=f"{-gid}_{post['post_id']}")
    vk_call(
        "wall.createComment",
        owner_id=-gid,
        post_id=post["post_id"],
        from_group=gid,
        message="Спасибо за вопрос!",
    )


def test_vk_execute_answers_match_the_inner_methods_schemas(
    vk: VkEmulator, vk_call: VkCaller
) -> None:
    """The hub batches its reads through ``execute``: each slot is held to its method's schema.

    ``execute`` itself is not in VK's schema as a method with a typed answer (it returns
    whatever the script does), so the batch is the client's script (``execute_code``) and
    each answer is checked as if the inner method had answered alone.
    """
    gid = vk.community_ids()[0]
    post = next(
        p
        for p in vk_call("wall.get", owner_id=-gid, offset=0, count=100)["items"]
        if p.get("comments", {}).get("count")
    )
    comments = {"owner_id": -gid, "post_id": post["id"], "offset": 0}
    calls: list[tuple[str, dict[str, Any]]] = [
        ("wall.get", {"owner_id": -gid, "offset": 0, "count": 100, "extended": 1}),
        ("wall.get", {"owner_id": -gid, "offset": 0, "count": 1, "extended": 1}),
        ("wall.getComments", {**comments, **vk_network.COMMENT_PARAMS, "thread_items_count": 10}),
        ("groups.getById", {"group_ids": str(gid), "fields": vk_mapping.GROUP_FIELDS}),
        ("groups.getById", {"group_ids": str(gid), "fields": vk_checks.ROLE_FIELDS}),
    ]
    root = vk_call("wall.getComments", **comments, **vk_network.COMMENT_PARAMS)["items"][0]
    calls.append(
        ("wall.getComments", {**comments, **vk_network.COMMENT_PARAMS, "comment_id": root["id"]})
    )
    reply = vk_call.http.post(
        f"{vk.url}/execute",
        data={"v": "5.199", "code": vk_client.execute_code(calls)},
        headers={"Authorization": f"Bearer {VK_TOKEN}"},
    )
    body = reply.json()
    assert reply.status_code == 200 and "execute_errors" not in body, body
    answers = body["response"]
    assert isinstance(answers, list) and len(answers) == len(calls), answers
    for (method, params), answer in zip(calls, answers, strict=True):
        extended = str(params.get("extended")) == "1"
        errors = vk_errors(method, {"response": answer}, extended)
        assert errors == [], (method, params, errors)
    assert vk_errors("wall.get", {"response": answers[3]}, True) != []  # not vacuous


VK_CALLED = {
    "groups.ban",
    "groups.getBanned",
    "groups.getById",
    "groups.getLongPollServer",
    "groups.getLongPollSettings",
    "groups.getTokenPermissions",
    "groups.setLongPollSettings",
    "groups.unban",
    "photos.getWallUploadServer",
    "photos.saveWallPhoto",
    "wall.createComment",
    "wall.deleteComment",
    "wall.get",
    "wall.getById",
    "wall.getComment",
    "wall.getComments",
    "wall.post",
    "wall.restoreComment",
}


def test_every_vk_method_the_hub_calls_is_in_the_vendored_schema() -> None:
    """A method the hub starts calling must be vendored (and then checked above)."""
    called: set[str] = set()
    for path in (TESTS.parent / "plugins" / "vk").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        called |= set(re.findall(r'"((?:wall|groups|photos|users|utils|likes)\.[a-zA-Z]+)"', text))
    assert called <= VK_CALLED, sorted(called - VK_CALLED)
    assert set(VK_SCHEMA["methods"]) == VK_CALLED


# --------------------------------------------------------------------------- Telegram

TG_PRIMITIVES = {
    "Integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "Float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "String": lambda v: isinstance(v, str),
    "Boolean": lambda v: isinstance(v, bool),
    "True": lambda v: v is True,
    "False": lambda v: v is False,
}


def tg_errors(value: Any, types: list[str], where: str = "result") -> list[str]:
    """Where ``value`` is none of the Bot API ``types`` (``"Message"``, ``"Array of String"``)."""
    best: list[str] | None = None
    for kind in types:
        found = _tg_type(value, kind, where)
        if not found:
            return []
        if best is None or len(found) < len(best):
            best = found
    return best or [f"{where}: no type"]


def _tg_type(value: Any, kind: str, where: str) -> list[str]:
    if kind.startswith("Array of "):
        if not isinstance(value, list):
            return [f"{where}: {kind} expected, got {type(value).__name__}"]
        inner = kind.removeprefix("Array of ")
        return [e for i, item in enumerate(value) for e in _tg_type(item, inner, f"{where}[{i}]")]
    if kind in TG_PRIMITIVES:
        return [] if TG_PRIMITIVES[kind](value) else [f"{where}: {kind} expected, got {value!r}"]
    spec = TG_SPEC["types"][kind]
    if spec.get("subtypes"):
        return tg_errors(value, spec["subtypes"], where)
    if not isinstance(value, dict):
        return [f"{where}: {kind} object expected, got {value!r}"]
    fields = {f["name"]: f for f in spec.get("fields", [])}
    out = [f"{where}.{name}: not a field of {kind}" for name in value if name not in fields]
    for name, field in fields.items():
        if name in value:
            out += tg_errors(value[name], field["types"], f"{where}.{name}")
        elif field["required"]:
            out.append(f"{where}.{name}: required in {kind}, missing")
    return out


#: the methods a TgCaller got a valid answer from, in this run (see the last test)
TG_DRIVEN_SEEN: set[str] = set()


@pytest.fixture(scope="module")
def tg() -> Iterator[TelegramEmulator]:
    with TelegramEmulator(now=NOW) as emulator:
        yield emulator


class TgCaller:
    def __init__(self, emu: TelegramEmulator, http: httpx.Client) -> None:
        self.emu, self.http = emu, http

    def __call__(self, method: str, files: dict[str, Any] | None = None, **params: Any) -> Any:
        """Call as the hub's client does: JSON, or multipart with ``files`` (an upload)."""
        url = f"{self.emu.url}/bot{DEFAULT_TOKEN}/{method}"
        if files:
            reply = self.http.post(url, data=tg_client.form_fields(params), files=files)
        else:
            reply = self.http.post(url, json=params)
        body = reply.json()
        assert reply.status_code == 200 and body.get("ok") is True, (method, body)
        returns = TG_SPEC["methods"][method]["returns"]
        assert tg_errors(body["result"], returns) == [], (method, body["result"])
        TG_DRIVEN_SEEN.add(method)
        return body["result"]


@pytest.fixture()
def tg_call(tg: TelegramEmulator) -> Iterator[TgCaller]:
    with httpx.Client(timeout=10) as http:
        yield TgCaller(tg, http)


def test_the_telegram_spec_catches_a_drift() -> None:
    chat = {"id": -1001, "type": "channel", "accent_color_id": 1, "max_reaction_count": 11}
    assert any("accepted_gift_types" in e for e in tg_errors(chat, ["ChatFullInfo"]))
    legacy = {"message_id": 1, "date": 1, "chat": {"id": -1, "type": "supergroup"}}
    legacy["forward_from_message_id"] = 345  # removed in Bot API 7.0
    assert tg_errors(legacy, ["Message"]) == [
        "result.forward_from_message_id: not a field of Message"
    ]
    del legacy["forward_from_message_id"]
    assert tg_errors(legacy, ["Message"]) == []


def test_telegram_reads_match_the_spec(tg: TelegramEmulator, tg_call: TgCaller) -> None:
    me = tg_call("getMe")
    tg_call("getWebhookInfo")
    for ref in tg.channel_refs():
        channel, group = tg.channel_id(ref), tg.group_id(ref)
        for chat in (channel, group):
            full = tg_call("getChat", chat_id=chat)
            assert "accepted_gift_types" in full and "max_reaction_count" in full
            tg_call("getChatMemberCount", chat_id=chat)
            tg_call("getChatMember", chat_id=chat, user_id=me["id"])
    updates, offset = [], 0
    while page := tg_call("getUpdates", offset=offset, limit=100, timeout=0):
        updates += page
        offset = page[-1]["update_id"] + 1
    forwards = [u["message"] for u in updates if u.get("message", {}).get("is_automatic_forward")]
    assert forwards and all(f["forward_origin"]["type"] == "channel" for f in forwards)


def test_telegram_moderation_and_publishing_match_the_spec(
    tg: TelegramEmulator, tg_call: TgCaller
) -> None:
    ref = tg.channel_refs()[0]
    channel, group = tg.channel_id(ref), tg.group_id(ref)
    sent = tg_call("sendMessage", chat_id=channel, text="Уважаемые жители!")
    assert sent["chat"]["id"] == channel
    offset = 0
    while page := tg_call("getUpdates", offset=offset, limit=100, timeout=0):
        offset = page[-1]["update_id"] + 1
        forwards = [u["message"] for u in page if "message" in u]
    forward = forwards[-1]
    assert forward["forward_origin"]["message_id"] == sent["message_id"]
    reply = tg_call(
        "sendMessage",
        chat_id=group,
        text="Спасибо за вопрос!",
        reply_parameters={"message_id": forward["message_id"]},
    )
    assert tg_call("deleteMessage", chat_id=group, message_id=reply["message_id"]) is True
    user, muted = 5550001234, {"can_send_messages": False}
    tg_call("restrictChatMember", chat_id=group, user_id=user, permissions=muted)
    tg_call("banChatMember", chat_id=group, user_id=user, until_date=0)
    tg_call("unbanChatMember", chat_id=group, user_id=user, only_if_banned=True)


def test_telegram_photos_sender_chats_and_allowed_updates_match_the_spec(
    tg: TelegramEmulator, tg_call: TgCaller
) -> None:
    ref = tg.channel_refs()[0]
    channel, group = tg.channel_id(ref), tg.group_id(ref)
    photo = {"photo": ("p.png", png(40, 30), "image/png")}
    sent = tg_call("sendPhoto", files=photo, chat_id=channel, caption="Отключение воды")
    assert sent["chat"]["id"] == channel and sent["photo"]
    tg_call("sendPhoto", files=photo, chat_id=channel)  # no caption: a bare photo post
    spammer = -1009876543210  # a channel writing in the group as itself
    assert tg_call("banChatSenderChat", chat_id=group, sender_chat_id=spammer) is True
    assert tg.sender_chat_banned(ref, spammer)
    assert tg_call("unbanChatSenderChat", chat_id=group, sender_chat_id=spammer) is True
    assert not tg.sender_chat_banned(ref, spammer)
    allowed = tg_network.ALLOWED_UPDATES
    kinds: set[str] = set()
    photos: list[dict[str, Any]] = []
    offset = 0
    while page := tg_call(
        "getUpdates", offset=offset, limit=100, timeout=0, allowed_updates=allowed
    ):
        offset = page[-1]["update_id"] + 1
        kinds |= {key for update in page for key in update if key != "update_id"}
        photos += [u["message"] for u in page if "photo" in u.get("message", {})]
    # the bot's own posts are no updates; their automatic forwards into the group are
    assert sent["message_id"] in {m["forward_origin"]["message_id"] for m in photos}
    assert "message" in kinds and kinds <= set(allowed), kinds


#: methods of the vendored spec the hub's Telegram plugin does not call, with the reason
TG_NOT_DRIVEN = {
    "deleteMessages": "vendored with deleteMessage; the hub deletes one message at a time",
}


def test_every_telegram_method_the_hub_calls_is_driven_above() -> None:
    """A method the hub starts calling must be vendored and driven (or listed, with a reason).

    The names are read from the plugin's sources: the method strings of ``.call(``
    (``client.call(token, "getChat", ...)``) and every quoted lowerCamel name the spec
    knows. Runs last, after the tests above filled ``TG_DRIVEN_SEEN``.
    """
    called: set[str] = set()
    for path in (TESTS.parent / "plugins" / "telegram").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        called |= set(re.findall(r'\.call\(\s*[^,()]+,\s*"([a-zA-Z]+)"', text))
        called |= set(re.findall(r'"([a-z]+[A-Z][a-zA-Z]*)"', text)) & set(TG_SPEC["methods"])
    assert called, "no Telegram method found: the pattern fell behind the client"
    assert called <= set(TG_SPEC["methods"]), sorted(called - set(TG_SPEC["methods"]))
    assert set(TG_SPEC["methods"]) == called | set(TG_NOT_DRIVEN)
    assert not called & set(TG_NOT_DRIVEN), sorted(called & set(TG_NOT_DRIVEN))
    if TG_DRIVEN_SEEN:  # skipped when the test runs alone
        assert called <= TG_DRIVEN_SEEN, sorted(called - TG_DRIVEN_SEEN)


# --------------------------------------------------------------------------- MAX
# The official OpenAPI schema (max-messenger/api-schema, vendored whole in tests/specs/max/);
# tests/plugins/max/test_emulator.py drives every endpoint and holds the validator. Here:
# every answer the hub's own MAX client receives in a sync and an account check.


def test_every_answer_the_max_client_receives_matches_the_schema(tmp_path, monkeypatch) -> None:
    import asyncio

    from hub import plugins
    from hub.config import parse_config
    from hub.store import Store
    from hub.sync import run_sync
    from hub_max.client import MaxClient
    from hub_max.emulator import DEFAULT_TOKEN, MaxEmulator
    from tests.plugins.max.test_emulator import MODELLED_PATHS, SPEC, response_component
    from tests.plugins.max.test_emulator import schema_errors as max_errors

    seen: list[tuple[str, str, Any]] = []
    send = MaxClient._send

    async def recording(self, token, verb, path, *args, **kwargs):
        answer = await send(self, token, verb, path, *args, **kwargs)
        seen.append((verb, path, answer))
        return answer

    monkeypatch.setattr(MaxClient, "_send", recording)
    monkeypatch.setenv("HUB_MAX_SPEC_TOKEN", DEFAULT_TOKEN)
    templates = [
        (re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"), path)
        for path in SPEC["paths"]
    ]
    with MaxEmulator(seed=5, channels=2, posts=6, comments=3, rate_limit=0, now=NOW) as emu:
        config = parse_config(
            {
                "database": {"path": str(tmp_path / "hub.db")},
                "networks": {"max": {"api_base": emu.url, "requests_per_second": 1000}},
                "accounts": [
                    {"id": f"max-{n}", "network": "max", "external_id": ext,
                     "token_env": "HUB_MAX_SPEC_TOKEN"}
                    for n, ext in enumerate(emu.channel_ids())
                ],
            }
        )  # fmt: skip
        pm = plugins.make_plugin_manager()
        store = Store.open(config.db_path)
        try:
            runs = asyncio.run(run_sync(store, pm, config, config.accounts))
        finally:
            store.close()
        assert all(r.ok for r in runs), [r.summary() for r in runs]
    paths = {path for _, path, _ in seen}
    assert "/me" in paths and any(p.endswith("/comments") for p in paths), sorted(paths)
    for verb, path, answer in seen:
        template = next((t for rx, t in templates if rx.match(path)), path)
        modelled = MODELLED_PATHS.get((verb, template))
        name = "ChatList" if modelled == "getChats" else response_component(template, verb, 200)
        assert max_errors(name, answer) == [], (verb, path, answer)
