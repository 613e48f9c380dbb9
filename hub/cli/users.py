"""``hub users ban|restrict|unban``: thin commands over hub.actions.commands."""

from __future__ import annotations

import asyncio

import click

from ..actions import commands as actions
from ..i18n import _
from ..safe_text import terminal_text
from .common import Context, operator_name, pass_ctx


@click.group()
def users():
    """Restricting users in an account's community, and lifting it."""


@users.command(name="ban")
@click.argument("account_id")
@click.argument("user")
@click.option("--days", type=int, help="Length of the ban (1..365); omit for a permanent ban.")
@click.option("--reason", required=True, help="Why; shown to the user where the network allows.")
@click.option(
    "--category",
    default="other",
    show_default=True,
    type=click.Choice(["other", "spam", "abuse", "language", "flood"]),
    help="The network's reason category.",
)
@pass_ctx
def users_ban(obj: Context, account_id, user, days, reason, category):
    """Ban USER in ACCOUNT_ID's community."""
    config = obj.config()
    store = obj.store(config)
    outcome = asyncio.run(
        actions.ban_user(
            store, obj.pm, config, account_id, user, days=days, reason=reason, category=category
        )
    )
    click.echo(
        outcome.summary(_("ban user {user} in {account}").format(user=user, account=account_id))
    )


@users.command(name="restrict")
@click.argument("account_id")
@click.argument("user")
@click.option("--days", type=int, help="How long (1..365); omit to mute until lifted.")
@click.option("--reason", required=True, help="Why; kept in the action log.")
@pass_ctx
def users_restrict(obj: Context, account_id, user, days, reason):
    """Mute USER in ACCOUNT_ID's community: their messages stay, new ones are stopped."""
    config = obj.config()
    store = obj.store(config)
    outcome = asyncio.run(
        actions.restrict_user(store, obj.pm, config, account_id, user, days=days, reason=reason)
    )
    click.echo(
        outcome.summary(_("mute user {user} in {account}").format(user=user, account=account_id))
    )


@users.command(name="unban")
@click.argument("account_id")
@click.argument("user")
@click.option("--by", help="Who lifts it (default: your user name); logged.")
@pass_ctx
def users_unban(obj: Context, account_id, user, by):
    """Lift USER's ban or mute in ACCOUNT_ID's community."""
    config = obj.config()
    store = obj.store(config)
    actor = f"operator:{operator_name(by)}"
    outcome = asyncio.run(actions.unban_user(store, obj.pm, config, account_id, user, actor))
    what = _("unban user {user} in {account}").format(user=user, account=account_id)
    click.echo(terminal_text(outcome.summary(what)))
