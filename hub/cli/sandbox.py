"""``hub demo``, ``hub gospabliki-stub`` and ``hub emulator ...``: the hub without real networks.

The ``emulator`` group is empty here: each network plugin adds its ``hub emulator
<name>`` through the ``register_commands`` hook (see :func:`emulator_group`).
"""

from __future__ import annotations

import click

from ..sandbox.gospabliki_stub import stub_command as gospabliki_stub  # noqa: F401 - wired in


@click.group()
def emulator():
    """Run a network emulator on loopback (for demos, tests and plugin authors)."""


def emulator_group(cli: click.Group) -> click.Group:
    """``cli``'s ``emulator`` group, added if missing: where a plugin puts its emulator."""
    group = cli.commands.get("emulator")
    if group is None:
        group = click.Group("emulator", help=emulator.callback.__doc__)  # the msgid
        cli.add_command(group)
    return group


@click.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False),
    help="Keep the demo's config and database here (default: a temporary folder).",
)
def demo(directory):
    """The whole hub on the built-in emulators: sync, moderation, content plan, compliance,
    registry and reports to Gospabliki, in a fresh folder."""
    from ..sandbox.demo import run_demo

    run_demo(directory)
