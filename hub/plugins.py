"""Builds the plugin manager and loads plugins from the ``hub`` entry point group.

Built-in networks are ordinary entry points of this distribution, so they load
exactly like a third-party package. ``HUB_LOAD_PLUGINS=vk,ok`` restricts loading
to the named entry points (an empty value loads none), which tests use.
"""

from __future__ import annotations

import importlib.metadata
import os
from dataclasses import dataclass
from typing import Any

import pluggy

from . import hookspecs
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


def networks(pm: pluggy.PluginManager) -> dict[str, type[Network]]:
    """All registered networks by name; a duplicate name is a plugin conflict."""
    found: dict[str, type[Network]] = {}

    def register(cls: type[Network]) -> None:
        if not (isinstance(cls, type) and issubclass(cls, Network)):
            raise ConfigError(f"a plugin registered {cls!r}, which is not a hub.network.Network")
        if cls.name in found and found[cls.name] is not cls:
            raise ConfigError(f"two plugins register the network {cls.name!r}; uninstall one")
        found[cls.name] = cls

    pm.hook.register_networks(register=register)
    return found


def emulators(pm: pluggy.PluginManager) -> dict[str, Any]:
    found: dict[str, Any] = {}
    pm.hook.register_emulators(register=lambda name, command: found.__setitem__(name, command))
    return found
