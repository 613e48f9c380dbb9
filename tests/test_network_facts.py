"""Network facts belong to the network: each plugin declares them, the core only reads them.

Default sync intervals, token shapes for redaction and the administration's own author
ids are attributes or methods of each ``Network``; the moderation engine declares its own
``[moderation]`` keys through the ``moderation_settings`` hook.
"""

from __future__ import annotations

import json

import pytest

from hub import hookspecs, plugins, secrets
from hub.config import parse_config
from hub.daemon.schedule import load_intervals
from hub.errors import ConfigError
from hub.models import Account
from hub.moderation.pipeline import own_author_ids
from hub.moderation.policy import load_policies
from hub.network import Network
from hub.store import Store
from hub_ok.network import OkNetwork
from hub_telegram.network import TelegramNetwork
from hub_vk.network import VkNetwork

ACCOUNTS = [{"id": "a", "network": "vk", "external_id": "1", "token_env": "T"}]


class MyNet(Network):
    name = "mynet"
    title = "My net"
    default_sync_seconds = 45.0
    token_patterns = (r"(mynet:)[0-9a-f]{16}",)

    @classmethod
    def own_author_ids(cls, account, raw):
        return {int(raw["owner"])} if "owner" in raw else set()

    async def fetch_account_meta(self, accounts):
        return []

    async def fetch_post_pages(self, requests):
        return []

    async def fetch_comments(self, requests):
        return []


class MyPlugin:
    @hookspecs.hookimpl
    def register_networks(self, register):
        register(MyNet)

    @hookspecs.hookimpl
    def moderation_settings(self):
        return ["mynet_words"]


@pytest.fixture
def pm(monkeypatch):
    monkeypatch.setattr(secrets, "_network_patterns", dict(secrets._network_patterns))
    monkeypatch.setattr(plugins, "_registered", dict(plugins._registered))
    manager = plugins.make_plugin_manager(load_entry_points=False)
    manager.register(MyPlugin(), name="mynet")
    return manager


def account(network: str, external_id: str) -> Account:
    return Account(
        id="acc", network=network, external_id=external_id, token_env="T", organization="org"
    )


# -- default sync intervals ---------------------------------------------------------------


def test_each_network_declares_its_sync_interval_and_the_daemon_reads_it(pm):
    assert (VkNetwork.default_sync_seconds, OkNetwork.default_sync_seconds) == (300, 600)
    assert TelegramNetwork.default_sync_seconds == 30
    networks = {**plugins.networks(plugins.installed()), **plugins.networks(pm)}
    config = parse_config({"accounts": ACCOUNTS, "daemon": {"sync_seconds": {"ok": 900}}})
    intervals = load_intervals(config, networks)
    assert intervals.for_account("a", "vk") == 300 and intervals.for_account("a", "ok") == 900
    assert intervals.for_account("a", "telegram") == 30
    assert intervals.for_account("a", "mynet") == 45  # a new network needs no core change
    assert intervals.for_account("a", "unknown") == Network.default_sync_seconds == 300


# -- token patterns -----------------------------------------------------------------------


def test_a_networks_token_patterns_redact_once_its_plugin_registers(pm, monkeypatch):
    monkeypatch.setattr(secrets, "_network_patterns", {})
    text = "GET https://x.test/mynet:0123456789abcdef/feed failed"
    assert secrets.redact(text) == text  # the core knows no network's tokens
    plugins.networks(pm)
    assert secrets.redact(text) == "GET https://x.test/mynet:***/feed failed"


def test_the_built_in_networks_token_shapes_are_theirs(monkeypatch):
    monkeypatch.setattr(secrets, "_network_patterns", {})
    url = "https://api.telegram.org/bot123456789:AAH-secret_part/getMe"
    assert "AAH-secret_part" in secrets.redact(url)
    plugins.make_plugin_manager()  # loading the plugins registers their patterns
    assert secrets.redact(url) == "https://api.telegram.org/bot***/getMe"
    assert secrets.redact("token vk1.a.SOME-token_body in a message") == "token *** in a message"
    assert TelegramNetwork.token_patterns and VkNetwork.token_patterns
    assert secrets.redact("Authorization: Bearer abc.def") == "Authorization: Bearer ***"


# -- own author ids -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "external_id", "raw", "expected"),
    [
        (VkNetwork, "123", {"id": 123, "name": "x"}, {-123}),
        (VkNetwork, "club", {"id": 77}, {-77}),
        (OkNetwork, "70000001", {"uid": "70000002"}, {-70000001, -70000002}),
        (TelegramNetwork, "-1001", {"id": -1001, "linked_chat_id": -1002}, {-1001, -1002}),
        (TelegramNetwork, "@channel", {}, set()),
    ],
)
def test_each_network_says_which_authors_are_the_administration(cls, external_id, raw, expected):
    assert cls.own_author_ids(account(cls.name, external_id), raw) == expected


def test_the_core_asks_the_networks_class_for_own_authors(pm, tmp_path):
    plugins.networks(pm)
    store = Store.open(tmp_path / "hub.db")
    try:
        mine = account("mynet", "page-1")
        store.sync_accounts_from_config([mine])
        store.db.execute(
            "UPDATE accounts SET raw_json = ? WHERE id = ?", [json.dumps({"owner": 42}), mine.id]
        )
        assert own_author_ids(store, mine) == {42}  # what MyNet says, not a core key list
        vk = Account(id="v", network="vk", external_id="5", token_env="T", organization="org")
        store.sync_accounts_from_config([mine, vk])
        store.db.execute("UPDATE accounts SET raw_json = ? WHERE id = 'v'", ['{"id": 6}'])
        assert own_author_ids(store, vk) == {-5, -6}
    finally:
        store.close()


# -- the moderation engine's settings -----------------------------------------------------


def test_the_engine_declares_its_own_moderation_keys(pm):
    keys = plugins.moderation_settings()
    assert {"flood_repeats", "flood_similarity", "allow_domains", "unlawful_words"} <= keys
    assert "policy" not in keys  # the core's own
    load_policies({"flood_repeats": 4, "policy": {}})  # installed engines' keys are accepted
    with pytest.raises(ConfigError, match="unknown key 'flood_repeats'"):
        load_policies({"flood_repeats": 4}, engine_keys=())  # no engine: nobody reads it
    with pytest.raises(ConfigError, match="unknown key 'mynet_words'"):
        load_policies({"mynet_words": []})
    load_policies({"mynet_words": []}, engine_keys=plugins.moderation_settings(pm))
    with pytest.raises(ConfigError, match="unknown key 'flood_repets'"):
        parse_config({"moderation": {"flood_repets": 3}})
