"""Entry point of the VK plugin: registers the network and its emulator through the hub's hooks."""

from __future__ import annotations

from hub.hookspecs import hookimpl


@hookimpl
def register_networks(register):
    from .network import VkNetwork

    register(VkNetwork)


@hookimpl
def register_emulators(register):
    from .emulator_cli import emulator_command

    register("vk", emulator_command)
