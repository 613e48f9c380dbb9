"""``hub auth <network> ACCOUNT``: sign an account in where the network's tokens expire.

One command per network whose plugin signs in (:attr:`hub.network.Network.signs_in`),
all the same shape; the work is :mod:`hub.signin`'s.
"""

from __future__ import annotations

import sys

import click
import pluggy

from .. import plugins, signin
from ..i18n import _
from ..tokens import SECRETS_FILE
from .common import Context, pass_ctx

DEFAULT_REDIRECT = "http://localhost:8765/callback"


@click.group()
def auth():
    """Sign accounts in where the network's tokens expire (kept in hub.secrets.json)."""


def _secret(value: str | None) -> str | None:
    """``-`` reads the value from standard input (kept out of the process list)."""
    if value == "-":
        return sys.stdin.readline().strip() or None
    return value


def network_command(name: str, title: str) -> click.Command:
    @click.command(name=name)
    @click.argument("account_id")
    @click.option(
        "--refresh-token",
        help="A refresh token obtained elsewhere ('-': read it from standard input).",
    )
    @click.option("--device-id", help="The device id the refresh token was issued with (VK ID).")
    @click.option(
        "--access-token",
        help="A long-lived access token instead of signing in ('-': standard input).",
    )
    @click.option(
        "--redirect-uri",
        default=DEFAULT_REDIRECT,
        show_default=True,
        help="The redirect address registered for the application.",
    )
    @click.option(
        "--paste",
        is_flag=True,
        help="Do not listen on the loopback address: paste the address the browser ends on.",
    )
    @pass_ctx
    def command(
        obj: Context, account_id, refresh_token, device_id, access_token, redirect_uri, paste
    ):
        config = obj.config()
        account = config.account(account_id)
        network = signin.open_for_sign_in(obj.pm, config, account)
        try:
            if refresh_token or access_token:
                stored = signin.import_token(
                    config,
                    network,
                    account,
                    refresh_token=_secret(refresh_token),
                    device_id=device_id,
                    access_token=_secret(access_token),
                )
            else:
                stored = signin.sign_in(
                    config,
                    network,
                    account,
                    redirect_uri=redirect_uri,
                    listen=not paste,
                    say=lambda url: click.echo(
                        _(
                            "Open this address and sign in as the page's administrator:\n{url}"
                        ).format(url=url)
                    ),
                    ask=lambda: click.prompt(_("The address the browser ended on")),
                )
        finally:
            signin.close(network)
        refreshes = _("refreshed automatically") if stored.refreshable else _("not refreshed")
        click.echo(
            _("{account}: signed in; the token is in {file} ({refreshes})").format(
                account=account.id, file=SECRETS_FILE, refreshes=refreshes
            )
        )

    command.help = (
        "Sign ACCOUNT_ID in, or store a token obtained elsewhere.\n\n"
        "Without options: prints the address to open, then takes the redirect back "
        "(on the loopback address, or pasted with --paste)."
    )
    command.short_help = "Sign an account in, or store a token obtained elsewhere."
    return command


def add_network_commands(pm: pluggy.PluginManager) -> None:
    for name, network_class in sorted(plugins.networks(pm).items()):
        if network_class.signs_in and name not in auth.commands:
            auth.add_command(network_command(name, network_class.title))
