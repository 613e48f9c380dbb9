"""``hub compliance``: the weekly compliance report, a thin command over hub.compliance.

It exits 0 whatever the statuses are — it is a report, and a red line is news, not a
failure — and non-zero with one line for a bad ``--week`` or ``--format`` or a broken
config. The registry is synced from the config first, as every registry command
does, so organizations and accounts declared a minute ago are in the report.
"""

from __future__ import annotations

from datetime import UTC, datetime

import click

from ..compliance import compliance_report, network_page_fields, parse_compliance, parse_week
from ..compliance.html import render_html
from ..compliance.render import to_json, to_table
from ..compliance.week import week_of
from ..errors import ConfigError
from ..i18n import _
from ..plan.settings import parse_plan
from ..registry import sync_registry
from ..safe_text import public_copy, terminal_text
from .common import pass_ctx

FORMATS = ("table", "json", "html")


@click.command()
@click.option(
    "--week",
    metavar="YYYY-Www",
    help="The ISO week, like 2026-W10 (default: this week in [plan] time_zone).",
)
@click.option(
    "--format",
    "fmt",
    default="table",
    show_default=True,
    metavar="table|json|html",
    help="A terminal table, JSON, or a web page in Russian for the head of administration.",
)
@pass_ctx
def compliance(obj, week, fmt):
    """Posts against the norm, page completeness, 2FA, Gospabliki, removals, notices."""
    if fmt not in FORMATS:
        raise ConfigError(
            _("--format must be table, json or html, not {value!r}").format(value=fmt)
        )
    chosen = parse_week(week) if week is not None else None
    config = obj.config()
    plan = parse_plan(config.raw)
    parse_compliance(config.raw)  # a broken [compliance] stops before the database opens
    store = obj.store(config, create=False)
    try:
        if not store.readonly:  # read-only (hub.cli.common): as the hub last synced it
            sync_registry(store, config)
        report = compliance_report(
            store,
            config,
            chosen or week_of(datetime.now(UTC), plan.time_zone),
            page_fields=network_page_fields(obj.pm),
        )
    finally:
        store.close()
    if fmt == "json":
        click.echo(terminal_text(to_json(report)))
    elif fmt == "html":
        click.echo(render_html(report), nl=False)
    else:  # the table's own colours stay: the pages' names lose their controls instead
        click.echo(to_table(public_copy(report)))
