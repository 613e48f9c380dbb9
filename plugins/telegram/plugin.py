"""Entry point of the Telegram plugin: registers the network and its emulator."""

from __future__ import annotations

from hub.hookspecs import hookimpl


@hookimpl
def register_networks(register):
    from .network import TelegramNetwork

    register(TelegramNetwork)


@hookimpl
def register_emulators(register):
    from .emulator import TelegramEmulator

    register("telegram", TelegramEmulator)


@hookimpl
def register_commands(cli):
    from hub.cli.sandbox import emulator_group

    from .emulator import emulator_command

    emulator_group(cli).add_command(emulator_command, "telegram")
