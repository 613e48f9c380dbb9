"""Answer shapes the networks' documentation allows and real clients see differently: both read.

Each case is the documented example next to what clients meet (issue 15, point 3):
OK's ``group.getInfo`` as a bare array or ``{"groups": [...]}``; VK's
``wall_reply_delete`` naming the deleter ``deleter_id`` (dev.vk.com) or ``user_id``
(VK's JSON schema, ``callback_wall_comment_delete``); VK's ``groups.getById`` and
``wall.getById`` as 5.199's objects or 5.131's bare arrays; VK's
``groups.getTokenPermissions`` listing the rights as ``permissions`` (the JSON schema) or
``settings`` (dev.vk.com).
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from hub.errors import ApiError, EntityGoneError
from hub.models import Account
from hub_ok import mapping as ok_mapping
from hub_vk import checks as vk_checks
from hub_vk import mapping as vk_mapping
from hub_vk.longpoll import events_to_models
from hub_vk.network import _pick_group
from tests.helpers import TESTS

# apiok.ru/dev/methods/rest/group/group.getInfo, the typed answer's example (values ours)
OK_GROUP = {
    "uid": "70000001234567",
    "name": "Администрация города N",
    "shortname": "adm_n",
    "access_type": "OPEN",
    "members_count": 1520,
}


@pytest.mark.parametrize("answer", [[OK_GROUP], {"groups": [OK_GROUP]}], ids=["bare", "typed"])
def test_ok_group_get_info_in_either_shape(answer) -> None:
    (group,) = ok_mapping.info_groups(answer)
    meta = ok_mapping.group_meta(group)
    assert (meta.name, meta.screen_name, meta.members_count) == (
        "Администрация города N",
        "adm_n",
        1520,
    )
    assert meta.url == "https://ok.ru/adm_n" and not meta.is_closed


@pytest.mark.parametrize(
    "answer", [{"groups": "no"}, {"error_code": 100, "error_msg": "x"}, "70000001234567", None]
)
def test_ok_group_get_info_without_a_list_is_none(answer) -> None:
    assert ok_mapping.info_groups(answer) is None


def _reply_delete(obj: dict) -> dict:
    return {
        "type": "wall_reply_delete",
        "event_id": "9ab2",
        "v": "5.199",
        "group_id": 123456789,
        "object": obj,
    }


@pytest.mark.parametrize(
    "obj",
    [
        # dev.vk.com/ru/api/community-events/json-schema, wall_reply_delete
        {"owner_id": -123456789, "id": 9020, "deleter_id": 98765432, "post_id": 4521},
        # VKCOM/vk-api-schema callback/objects.json, callback_wall_comment_delete
        {"owner_id": -123456789, "id": 9020, "user_id": 98765432, "post_id": 4521},
    ],
    ids=["deleter_id", "user_id"],
)
def test_vk_wall_reply_delete_names_the_deleter_either_way(obj) -> None:
    assert vk_mapping.reply_deleter(obj) == 98765432
    posts, comments, deleted = events_to_models([_reply_delete(obj)], 123456789)
    assert (posts, comments, deleted) == ([], [], [9020])


def test_vk_wall_reply_delete_without_a_readable_deleter_still_deletes() -> None:
    obj = {"owner_id": -123456789, "id": 9020, "deleter_id": "someone", "post_id": 4521}
    assert vk_mapping.reply_deleter(obj) is None
    assert vk_mapping.reply_deleter({"owner_id": -1, "id": 2, "post_id": 3}) is None
    assert events_to_models([_reply_delete(obj)], 123456789)[2] == [9020]


# dev.vk.com/en/method/groups.getById: 5.199's object and the bare array of 5.131
VK_GROUP = {
    "id": 123456789,
    "name": "Администрация города N",
    "screen_name": "adm_n",
    "is_closed": 0,
}
ACCOUNT = Account(
    id="adm-n-vk", network="vk", external_id="123456789", organization="adm-n", token_env="T"
)


@pytest.mark.parametrize(
    "answer", [{"groups": [VK_GROUP], "profiles": []}, [VK_GROUP]], ids=["5.199", "5.131"]
)
def test_vk_groups_get_by_id_in_either_shape(answer) -> None:
    assert _pick_group(ACCOUNT, answer) == VK_GROUP
    assert isinstance(_pick_group(ACCOUNT, {"groups": []}), EntityGoneError)
    assert isinstance(_pick_group(ACCOUNT, {"count": 1}), ApiError)


def test_vk_wall_get_by_id_in_either_shape() -> None:
    post = {
        "id": 4521,
        "owner_id": -123456789,
        "from_id": -123456789,
        "date": 1767265000,
        "text": "Т",
    }
    assert vk_mapping.listed({"items": [post]}, "items") == [post]  # 5.199
    assert vk_mapping.listed([post], "items") == [post]  # 5.131
    assert vk_mapping.listed({"items": None}, "items") is None


# groups.getTokenPermissions of a community key with the rights manage, messages and photos
# (bits from dev.vk.com/en/reference/access-rights): VKCOM/vk-api-schema names the list
# ``permissions`` (groups_getTokenPermissions_response), dev.vk.com's method page ``settings``
VK_RIGHTS = [
    {"name": "photos", "setting": 4},
    {"name": "messages", "setting": 4096},
    {"name": "manage", "setting": 262144},
]
VK_TOKEN_PERMISSIONS = {"mask": 266244, "permissions": VK_RIGHTS}
VK_TOKEN_SETTINGS = {"mask": 266244, "settings": VK_RIGHTS}


class _Answers:
    def __init__(self, answer: Any) -> None:
        self.answer, self.calls = answer, []

    async def call(self, token: str, method: str, params: dict[str, Any]) -> Any:
        self.calls.append(method)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def test_vk_token_permissions_example_is_the_vendored_schema() -> None:
    """The ``permissions`` example is what VK's schema describes (so the case is not made up)."""
    schema = json.loads((TESTS / "specs" / "vk" / "vk-api-schema.json").read_text("utf-8"))
    response = schema["definitions"]["groups_getTokenPermissions_response"]
    answer = response["properties"]["response"]["properties"]
    assert set(answer) == set(VK_TOKEN_PERMISSIONS)
    item = schema["definitions"]["groups_token_permission_setting"]["properties"]
    assert all(set(right) == set(item) for right in VK_RIGHTS)
    assert sum(right["setting"] for right in VK_RIGHTS) == VK_TOKEN_PERMISSIONS["mask"]


@pytest.mark.parametrize(
    "answer", [VK_TOKEN_PERMISSIONS, VK_TOKEN_SETTINGS], ids=["permissions", "settings"]
)
async def test_vk_token_permissions_in_either_shape(answer) -> None:
    client = _Answers(answer)
    rights = await vk_checks._community_key_rights(SimpleNamespace(client=client), "vk1.g.key")
    assert rights == ["photos", "messages", "manage"]
    assert client.calls == ["groups.getTokenPermissions"]


@pytest.mark.parametrize(
    ("answer", "rights"),
    [({"mask": 0, "permissions": []}, []), ({"mask": 0}, []), (ApiError("user token"), None)],
    ids=["no-rights", "no-list", "refused"],
)
async def test_vk_token_permissions_without_rights(answer, rights) -> None:
    """A key with no rights is still a key ([]); a refusal means "not a key" (None)."""
    found = await vk_checks._community_key_rights(SimpleNamespace(client=_Answers(answer)), "t")
    assert found == rights
