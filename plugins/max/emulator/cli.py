"""``hub emulator max``: the MAX emulator from the command line (options → emulator)."""

from __future__ import annotations

import click

from hub.sandbox.harness import serve_until_signalled

from .server import DEFAULT_TOKEN, MaxEmulator


@click.command("max")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8704, show_default=True, type=int, help="0 = any free port")
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--channels", default=2, show_default=True, type=int)
@click.option("--posts", default=20, show_default=True, type=int, help="per channel")
@click.option("--comments", default=8, show_default=True, type=int, help="per post")
@click.option("--token", "tokens", multiple=True, default=(DEFAULT_TOKEN,), show_default=True)
@click.option("--rate-limit", default=30.0, show_default=True, type=float, help="per token; 0 off")
@click.option("--fault-http500-rate", default=0.0, type=float)
@click.option("--fault-503-rate", default=0.0, type=float)
@click.option("--fault-429-rate", default=0.0, type=float)
@click.option("--slow-ms", default=0, type=int)
@click.option(
    "--live-seconds",
    default=0.0,
    type=float,
    help="residents keep commenting: a new comment every N seconds (0: off)",
)
def emulator_command(
    host: str,
    port: int,
    seed: int,
    channels: int,
    posts: int,
    comments: int,
    tokens: tuple[str, ...],
    rate_limit: float,
    fault_http500_rate: float,
    fault_503_rate: float,
    fault_429_rate: float,
    slow_ms: int,
    live_seconds: float = 0.0,
) -> None:
    """Run the MAX Bot API emulator in the foreground (Ctrl-C or SIGTERM stops it)."""
    emulator = MaxEmulator(
        host=host,
        port=port,
        seed=seed,
        channels=channels,
        posts=posts,
        comments=comments,
        tokens=tokens,
        rate_limit=rate_limit,
        fault_http500_rate=fault_http500_rate,
        fault_503_rate=fault_503_rate,
        fault_429_rate=fault_429_rate,
        slow_ms=slow_ms,
    ).start()
    ids = emulator.channel_ids()
    banner = f"MAX emulator on {emulator.url} ({len(ids)} channels: {','.join(ids)})"
    if live_seconds > 0:
        emulator.keep_alive(live_seconds, seed)
    serve_until_signalled(emulator, banner)


def register_cli(cli: click.Group) -> None:
    """Add ``hub emulator max`` to the hub's CLI (for the plugin's ``register_commands``)."""
    from hub.cli.sandbox import emulator_group

    emulator_group(cli).add_command(emulator_command, "max")
