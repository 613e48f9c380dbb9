"""Entry point of the OK plugin: registers the network and its emulator through the hub's hooks."""

from __future__ import annotations

from hub.hookspecs import hookimpl


@hookimpl
def register_networks(register):
    from .network import OkNetwork

    register(OkNetwork)


@hookimpl
def register_emulators(register):
    from .emulator import emulator_command

    register("ok", emulator_command)
