"""The plugin machinery: entry points, hooks as a tested, documented contract."""

import re

import click
import pytest
from click.testing import CliRunner

from hub import hookspecs, plugins
from hub.errors import ConfigError
from hub.network import Network
from tests.helpers import REPO

DOCS = REPO / "docs" / "plugins.md"


def hook_names():
    return sorted(
        name
        for name in dir(hookspecs)
        if hasattr(getattr(hookspecs, name), "hub_spec")  # every function marked @hookspec
    )


def test_vk_loads_through_the_entry_point():
    pm = plugins.make_plugin_manager()
    assert "vk" in pm.list_name_plugin() or pm.get_plugin("vk") is not None
    nets = plugins.networks(pm)
    assert nets["vk"].__module__ == "hub_vk.network"
    assert "vk" in plugins.emulators(pm)


def test_only_named_entry_points_load(monkeypatch):
    monkeypatch.setenv("HUB_LOAD_PLUGINS", "")
    pm = plugins.make_plugin_manager()
    assert plugins.networks(pm) == {}
    monkeypatch.setenv("HUB_LOAD_PLUGINS", "vk")
    assert set(plugins.networks(plugins.make_plugin_manager())) == {"vk"}


@pytest.mark.parametrize("hook", hook_names())
def test_every_hook_is_documented(hook):
    assert re.search(rf"### `{hook}\(", DOCS.read_text()), f"{hook} missing from docs/plugins.md"


def test_a_third_party_network_registers_like_vk():
    class Fake(Network):
        name = "fakenet"
        title = "Fake"

        async def fetch_account_meta(self, accounts):
            return []

        async def fetch_post_pages(self, requests):
            return []

        async def fetch_comments(self, requests):
            return []

    class Plugin:
        @hookspecs.hookimpl
        def register_networks(self, register):
            register(Fake)

    pm = plugins.make_plugin_manager(load_entry_points=False)
    pm.register(Plugin(), name="fakenet")
    assert plugins.networks(pm) == {"fakenet": Fake}


def test_registering_junk_or_a_duplicate_is_refused():
    class Junk:
        @hookspecs.hookimpl
        def register_networks(self, register):
            register(object)

    pm = plugins.make_plugin_manager(load_entry_points=False)
    pm.register(Junk(), name="junk")
    with pytest.raises(ConfigError, match="not a hub.network.Network"):
        plugins.networks(pm)

    from hub_vk.network import VkNetwork

    class Clash(VkNetwork):
        pass

    class Dup:
        @hookspecs.hookimpl
        def register_networks(self, register):
            register(Clash)

    pm = plugins.make_plugin_manager()
    pm.register(Dup(), name="dup")
    with pytest.raises(ConfigError, match="two plugins register the network 'vk'"):
        plugins.networks(pm)


def test_a_plugin_adds_its_command_through_register_commands():
    @click.command()
    def hello():
        """Say hello."""
        click.echo("hello from a plugin")

    class Plugin:
        @hookspecs.hookimpl
        def register_commands(self, cli):
            cli.add_command(hello)

    pm = plugins.make_plugin_manager(load_entry_points=False)
    pm.register(Plugin(), name="hello")
    root = click.Group("hub")
    pm.hook.register_commands(cli=root)
    assert root.commands["hello"] is hello
    assert CliRunner().invoke(root, ["hello"]).output == "hello from a plugin\n"


def test_the_networks_add_hub_emulator_commands():
    from hub.cli import cli
    from hub.cli.sandbox import emulator

    assert cli.commands["emulator"] is emulator  # the core's group, filled by the plugins
    assert set(emulator.commands) == {"vk", "ok", "telegram", "max"}
    root = click.Group("hub")  # a root without one: the group is made for them
    plugins.make_plugin_manager().hook.register_commands(cli=root)
    assert set(root.commands["emulator"].commands) == {"vk", "ok", "telegram", "max"}
    assert root.commands["emulator"].help == emulator.callback.__doc__


def test_misspelled_hook_is_caught():
    class Typo:
        @hookspecs.hookimpl
        def register_netwroks(self, register):
            pass

    pm = plugins.make_plugin_manager(load_entry_points=False)
    pm.register(Typo(), name="typo")
    with pytest.raises(Exception, match="unknown hook"):
        pm.check_pending()
