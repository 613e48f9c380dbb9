"""``hub comments list|delete|restore``: thin commands over hub.queries and hub.actions.commands."""

from __future__ import annotations

import asyncio

import click

from ..actions import commands as actions
from ..i18n import _
from ..queries import comment_rows
from ..safe_text import terminal_text
from .common import Context, echo_json, operator_name, pass_ctx


@click.group()
def comments():
    """Synced comments: deleting one, and restoring it."""


@comments.command(name="list")
@click.option("--account", "account_id", help="Only this account.")
@click.option("--limit", default=20, show_default=True, help="How many, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@pass_ctx
def comments_list(obj: Context, account_id, limit, as_json):
    """Show the newest comments with their hub ids."""
    config = obj.config()
    if account_id:
        config.account(account_id)
    rows = comment_rows(obj.store(config, create=False), account_id, limit)
    if as_json:  # residents' text: no escape sequence reaches the terminal (still JSON)
        echo_json(rows)
        return
    for r in rows:
        state = _(" [deleted]") if r["deleted_at"] else ""
        click.echo(
            terminal_text(
                f"#{r['id']:<7} {r['account_id']}:{r['network_id']} "
                f"{r['published_at']} {r['author'] or r['author_id']}{state}: "
                f"{(r['text'] or '')[:80]}"
            )
        )


@comments.command(name="delete")
@click.argument("comment")
@click.option("--block-author", is_flag=True, help="Also block (ban) the comment's author.")
@pass_ctx
def comments_delete(obj: Context, comment, block_author):
    """Delete COMMENT (hub id, or ACCOUNT:COMMENT_ID) on its network."""
    config = obj.config()
    store = obj.store(config)
    outcome = asyncio.run(
        actions.delete_comment(store, obj.pm, config, comment, block_author=block_author)
    )
    what = _("delete comment {comment}").format(comment=comment)
    click.echo(terminal_text(outcome.summary(what)))


@comments.command(name="restore")
@click.argument("comment")
@click.option("--by", help="Who restores it (default: your user name); logged.")
@pass_ctx
def comments_restore(obj: Context, comment, by):
    """Bring back deleted COMMENT (hub id, or ACCOUNT:COMMENT_ID) where its network allows."""
    config = obj.config()
    store = obj.store(config)
    actor = f"operator:{operator_name(by)}"
    outcome = asyncio.run(actions.restore_comment(store, obj.pm, config, comment, actor))
    what = _("restore comment {comment}").format(comment=comment)
    click.echo(terminal_text(outcome.summary(what)))
