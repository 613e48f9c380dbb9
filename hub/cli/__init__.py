"""The ``hub`` command line: thin commands over the library, a module per command group.

This module is the wiring: the root group, every group's commands added to it, then
the plugins' own commands (``register_commands``: the networks' ``hub emulator
<name>``). ``main`` is the console script; expected failures end in one line
(:func:`.common.run`).
"""

from __future__ import annotations

import click

from .. import __version__, plugins
from ..config import config_path
from ..i18n import setup as setup_language
from ..log import configure_logging
from . import (
    accounts,
    appeals,
    auth,
    comments,
    compliance,
    daemon,
    db,
    moderation,
    plan,
    registry,
    report,
    sandbox,
    setup,
    sync,
    users,
    web,
)
from .common import Context, pass_ctx, run

__all__ = ["Context", "cli", "main", "pass_ctx"]


@click.group()
@click.version_option(__version__, prog_name="hub")
@click.option(
    "--config",
    "config",
    type=click.Path(dir_okay=False),
    envvar=None,
    help="Config file (default: $HUB_CONFIG, else ./config/hub.toml).",
)
@click.option(
    "--db",
    type=click.Path(dir_okay=False),
    envvar="HUB_DB",
    help="SQLite database (default: $HUB_DB, else the config's [database] path).",
)
@click.option(
    "--log-json/--log-console",
    default=None,
    help="Log format (default: console on a terminal, JSON otherwise).",
)
@click.option("-v", "--verbose", is_flag=True, help="Log debug details.")
@click.pass_context
def cli(ctx: click.Context, config, db, log_json, verbose):
    """Pablik Hub: official municipal accounts in VK, OK and Telegram, synced into SQLite."""
    configure_logging(json=log_json, level="debug" if verbose else "warning")
    setup_language(config_path(config), cli)  # [ui] language of this config, else $LANG
    ctx.obj = Context(config, db)


def _wire(root: click.Group) -> None:
    """Every group's commands under ``root``, then the plugins'."""
    for command in (
        setup.init,
        setup.plugins_command,
        accounts.accounts,
        auth.auth,
        sync.sync,
        comments.comments,
        users.users,
        moderation.moderate,
        moderation.moderation,
        appeals.appeals,
        plan.plan,
        plan.reply,
        plan.templates,
        registry.orgs,
        registry.responsible,
        registry.registry,
        registry.notices,
        compliance.compliance,
        report.report,
        daemon.daemon,
        db.db,
        sandbox.demo,
        sandbox.emulator,
        sandbox.gospabliki_stub,
        web.web,
        web.operators,
    ):
        root.add_command(command)
    accounts.accounts.add_command(registry.accounts_attest)  # the registry's, on accounts
    accounts.accounts.add_command(registry.accounts_adopt)
    pm = plugins.make_plugin_manager()
    pm.hook.register_commands(cli=root)
    auth.add_network_commands(pm)  # hub auth <network>: the networks that sign in


_wire(cli)


def main(argv: list[str] | None = None) -> None:
    setup_language(config_path(None), cli)  # for 'hub --help'; the group's callback again
    run(cli, argv)
