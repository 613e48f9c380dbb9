"""Entry point of the Telegram plugin: registers the network and its emulator."""

from __future__ import annotations

from hub.hookspecs import hookimpl


@hookimpl
def register_networks(register):
    from .network import TelegramNetwork

    register(TelegramNetwork)


@hookimpl
def register_emulators(register):
    from .emulator import emulator_command

    register("telegram", emulator_command)
