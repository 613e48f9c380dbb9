"""``hub daemon``: a thin command over :class:`hub.daemon.runner.Daemon`."""

from __future__ import annotations

import asyncio
import sys

import click

from ..config import config_path
from ..log import configure_logging
from .common import Context


@click.command()
@click.option("--cycles", type=int, help="Stop after N cycles (default: run until signalled).")
@click.option("--metrics-port", type=int, help="Serve /healthz and /metrics on this port.")
@click.option("--metrics-host", default="127.0.0.1", show_default=True)
@click.option("--web", "with_web", is_flag=True, help="Serve the web console too ([web]).")
@click.pass_context
def daemon(ctx: click.Context, cycles, metrics_port, metrics_host, with_web):
    """Run every account on its schedule, moderation, notices and reports (JSON logs)."""
    from ..daemon.runner import Daemon

    obj: Context = ctx.obj
    if ctx.parent.params.get("log_json") is None:
        configure_logging(json=True, level="debug" if ctx.parent.params.get("verbose") else "info")
    obj.config()  # a broken config stops here, with one line
    runner = Daemon(
        config_path(obj.config_option),
        obj.pm,
        db_override=obj.db_option,
        cycles=cycles,
        metrics_host=metrics_host,
        metrics_port=metrics_port,
        web=with_web,
    )
    sys.exit(asyncio.run(runner.run()))
