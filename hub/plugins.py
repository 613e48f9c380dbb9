"""Builds the plugin manager and loads plugins from the ``hub`` entry point group.

Built-in networks are ordinary entry points of this distribution, so they load
exactly like a third-party package. ``HUB_LOAD_PLUGINS=vk,ok`` restricts loading
to the named entry points (an empty value loads none), which tests use.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.metadata
import os
from dataclasses import dataclass

import pluggy

from . import hookspecs, secrets
from .errors import ConfigError
from .network import Network

ENTRY_POINT_GROUP = "hub"


def make_plugin_manager(load_entry_points: bool = True) -> pluggy.PluginManager:
    pm = pluggy.PluginManager("hub")
    pm.add_hookspecs(hookspecs)
    if load_entry_points:
        only = os.environ.get("HUB_LOAD_PLUGINS")
        if only is None:
            pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
        else:
            wanted = {name.strip() for name in only.split(",") if name.strip()}
            for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
                if ep.name in wanted:
                    pm.register(ep.load(), name=ep.name)
    pm.check_pending()
    with contextlib.suppress(ConfigError):  # a conflict is reported where networks are used
        networks(pm)  # the networks' token patterns redact from now on
    return pm


@dataclass(frozen=True)
class PluginInfo:
    name: str
    version: str | None
    hooks: list[str]


def describe_plugins(pm: pluggy.PluginManager) -> list[PluginInfo]:
    out = []
    for plugin in pm.get_plugins():
        name = pm.get_name(plugin) or repr(plugin)
        dist = None
        for dist_info, p in pm.list_plugin_distinfo():
            if p is plugin:
                dist = dist_info
        hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or [])
        out.append(PluginInfo(name=name, version=dist.version if dist else None, hooks=hooks))
    return sorted(out, key=lambda info: info.name)


@functools.cache
def installed() -> pluggy.PluginManager:
    """Every installed plugin, whatever ``HUB_LOAD_PLUGINS`` says: what a config may name.

    Built once per process, for facts asked where no plugin manager is at hand.
    """
    pm = make_plugin_manager(load_entry_points=False)
    pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    pm.check_pending()
    return pm


#: every network class a plugin manager of this process registered, by name: what the
#: core asks of a network's class where no plugin manager is at hand (own author ids)
_registered: dict[str, type[Network]] = {}


def network_class(name: str) -> type[Network]:
    """The registered class of network ``name`` (the base class when none registers it)."""
    if name not in _registered:
        with contextlib.suppress(ConfigError):
            networks(installed())
    return _registered.get(name, Network)


def moderation_settings(pm: pluggy.PluginManager | None = None) -> frozenset[str]:
    """The ``[moderation]`` keys the engines of ``pm`` (default: installed ones) read."""
    pm = pm or installed()
    return frozenset(key for keys in pm.hook.moderation_settings() for key in keys)


def networks(pm: pluggy.PluginManager) -> dict[str, type[Network]]:
    """All registered networks by name; a duplicate name is a plugin conflict.

    Each one's token patterns join the redaction step (:func:`hub.secrets.add_token_patterns`).
    """
    found: dict[str, type[Network]] = {}

    def register(cls: type[Network]) -> None:
        if not (isinstance(cls, type) and issubclass(cls, Network)):
            raise ConfigError(f"a plugin registered {cls!r}, which is not a hub.network.Network")
        if cls.name in found and found[cls.name] is not cls:
            raise ConfigError(f"two plugins register the network {cls.name!r}; uninstall one")
        found[cls.name] = cls

    pm.hook.register_networks(register=register)
    for cls in found.values():
        secrets.add_token_patterns(cls.token_patterns)
    _registered.update(found)
    return found


def emulators(pm: pluggy.PluginManager) -> dict[str, type]:
    """The networks' emulator classes by name, for whoever starts them in-process (the demo)."""
    found: dict[str, type] = {}
    pm.hook.register_emulators(register=lambda name, cls: found.__setitem__(name, cls))
    return found
