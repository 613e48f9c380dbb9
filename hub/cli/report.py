"""``hub report push``: the report to Gospabliki, a thin command over hub.report."""

from __future__ import annotations

import asyncio

import click

from ..errors import ConfigError
from ..i18n import _, ngettext
from ..safe_text import terminal_text
from .common import Context, pass_ctx, warn_overdue


@click.group()
def report():
    """Reports to Gospabliki and the regional centre."""


@report.command(name="push")
@click.option("--dry-run", is_flag=True, help="Show what would be sent; send nothing.")
@click.option("--first", is_flag=True, help="Send the first report without a dry run first.")
@pass_ctx
def report_push(obj: Context, dry_run, first):
    """Send the registry, per-account statistics and pending notices to Gospabliki.

    The first report goes only after a person has seen it (--dry-run) or with --first."""
    from ..report import preview, preview_lines, push

    if dry_run and first:
        raise ConfigError(_("give --dry-run (look first) or --first (send now), not both"))
    config = obj.config()
    store = obj.store(config)
    if dry_run:
        for line in preview_lines(preview(store, config)):
            click.echo(terminal_text(line))  # page titles come from the networks
        click.echo(_("dry run: nothing was sent; 'hub report push' sends this"))
        return
    outcome = asyncio.run(push(store, config, first=first))
    again = _(" (the report waiting from an earlier attempt)") if outcome.resent else ""
    click.echo(
        ngettext(
            "Gospabliki accepted the report{again}: receipt {receipt}; {n} notice marked sent",
            "Gospabliki accepted the report{again}: receipt {receipt}; {n} notices marked sent",
            outcome.notices_marked,
        ).format(again=again, receipt=outcome.receipt, n=outcome.notices_marked)
    )
    warn_overdue(store)
