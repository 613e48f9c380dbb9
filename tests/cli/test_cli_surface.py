"""The command line's surface: every command path and its options, as recorded before moves.

Reorganizing the CLI must not change what an operator types. ``tests/data/cli_surface.json``
holds every ``hub ...`` path (plugins' emulators included, hidden old names too) with its
options and arguments; regenerate it only for a deliberate change:
``.venv/bin/python -m tests.cli.test_cli_surface``.
"""

from __future__ import annotations

import json

import click

from hub.cli import cli
from tests.helpers import TESTS

EXPECTED = TESTS / "data" / "cli_surface.json"


def _walk(command: click.Command, path: tuple[str, ...] = ()):
    yield path, command
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None:
                yield from _walk(sub, (*path, name))


def surface(root: click.Command = cli) -> dict[str, dict]:
    """``{"hub accounts list": {"options": [...], "arguments": [...], ...}, ...}``."""
    out = {}
    for path, command in _walk(root):
        options = sorted(
            name
            for p in command.params
            if isinstance(p, click.Option)
            for name in (*p.opts, *p.secondary_opts)
        )
        arguments = [p.name for p in command.params if isinstance(p, click.Argument)]
        out[" ".join(("hub", *path))] = {
            "group": isinstance(command, click.Group),
            "hidden": command.hidden,
            "options": options,
            "arguments": arguments,
        }
    return dict(sorted(out.items()))


def test_command_paths_are_unchanged():
    assert list(surface()) == list(json.loads(EXPECTED.read_text(encoding="utf-8")))


def test_each_command_keeps_its_options_and_arguments():
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))
    actual = surface()
    for path, shape in expected.items():
        assert actual.get(path) == shape, path


if __name__ == "__main__":
    EXPECTED.write_text(
        json.dumps(surface(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
