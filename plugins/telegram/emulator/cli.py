"""``hub emulator telegram``: the Telegram emulator from the command line (options → emulator)."""

from __future__ import annotations

import click

from hub.sandbox.harness import serve_until_signalled

from .server import DEFAULT_TOKEN, TelegramEmulator


@click.command("telegram")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8703, show_default=True, type=int, help="0 = any free port")
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--channels", default=2, show_default=True, type=int)
@click.option("--posts", default=20, show_default=True, type=int, help="per channel")
@click.option("--comments", default=8, show_default=True, type=int, help="per post")
@click.option("--token", "tokens", multiple=True, default=(DEFAULT_TOKEN,), show_default=True)
@click.option("--retention-hours", default=24.0, show_default=True, type=float)
@click.option("--fault-http500-rate", default=0.0, type=float)
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
    retention_hours: float,
    fault_http500_rate: float,
    slow_ms: int,
    live_seconds: float = 0.0,
) -> None:
    """Run the Telegram Bot API emulator in the foreground (Ctrl-C or SIGTERM stops it)."""
    emulator = TelegramEmulator(
        host=host,
        port=port,
        seed=seed,
        channels=channels,
        posts=posts,
        comments=comments,
        tokens=tokens,
        retention_hours=retention_hours,
        fault_http500_rate=fault_http500_rate,
        slow_ms=slow_ms,
    ).start()
    refs = emulator.channel_refs()
    banner = f"Telegram emulator on {emulator.url} ({len(refs)} channels: {','.join(refs)})"
    if live_seconds > 0:
        emulator.keep_alive(live_seconds, seed)
    serve_until_signalled(emulator, banner)
