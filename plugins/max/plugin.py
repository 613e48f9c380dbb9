"""Entry point of the MAX plugin: registers the network, its emulator and its command."""

from __future__ import annotations

from hub.hookspecs import hookimpl


@hookimpl
def register_networks(register):
    from .network import MaxNetwork

    register(MaxNetwork)


@hookimpl
def register_emulators(register):
    from .emulator import MaxEmulator

    register("max", MaxEmulator)


@hookimpl
def register_commands(cli):
    from hub.cli.sandbox import emulator_group

    from .emulator import emulator_command

    emulator_group(cli).add_command(emulator_command, "max")
