"""Entry point of the VK plugin: registers the network and its emulator through the hub's hooks."""

from __future__ import annotations

from hub.hookspecs import hookimpl


@hookimpl
def register_networks(register):
    from .network import VkNetwork

    register(VkNetwork)


@hookimpl
def register_emulators(register):
    from .emulator import VkEmulator

    register("vk", VkEmulator)


@hookimpl
def register_commands(cli):
    from hub.cli.sandbox import emulator_group

    from .emulator import emulator_command

    emulator_group(cli).add_command(emulator_command, "vk")
