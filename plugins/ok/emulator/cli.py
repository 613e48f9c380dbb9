"""``hub emulator ok``: the OK emulator from the command line (options → OkEmulator)."""

from __future__ import annotations

import click

from hub.sandbox.harness import serve_until_signalled

from .server import OkEmulator


@click.command("ok")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8702, show_default=True, type=int, help="0 = any free port")
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--groups", default=3, show_default=True, type=int)
@click.option("--topics", default=50, show_default=True, type=int)
@click.option("--comments", default=20, show_default=True, type=int)
@click.option(
    "--rate-limit",
    default=2.0,
    show_default=True,
    type=float,
    help="requests per second per token; 0 disables",
)
@click.option("--application-key", default="DEMOOKAPPKEY", show_default=True)
@click.option("--application-secret", default="demo-ok-app-secret", show_default=True)
@click.option("--token", "tokens", multiple=True, default=("demo-ok-token",), show_default=True)
@click.option("--no-get-topics", is_flag=True, help="mediatopic.getTopics answers error 3")
@click.option("--big-topic", is_flag=True, help="add a 250-comment topic to each group")
@click.option(
    "--discussion-writes",
    is_flag=True,
    help="open discussions.addDiscussionComment (default: error 3, as for an ordinary app)",
)
@click.option("--fault-error-rate", default=0.0, type=float)
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
    groups: int,
    topics: int,
    comments: int,
    rate_limit: float,
    application_key: str,
    application_secret: str,
    tokens: tuple[str, ...],
    no_get_topics: bool,
    big_topic: bool,
    discussion_writes: bool,
    fault_error_rate: float,
    fault_http500_rate: float,
    slow_ms: int,
    live_seconds: float = 0.0,
) -> None:
    """Run the OK API emulator in the foreground (Ctrl-C or SIGTERM stops it)."""
    emulator = OkEmulator(
        host=host,
        port=port,
        seed=seed,
        groups=groups,
        topics=topics,
        comments=comments,
        rate_limit=rate_limit,
        application_key=application_key,
        application_secret=application_secret,
        tokens=tokens,
        get_topics=not no_get_topics,
        big_topic=big_topic,
        discussion_writes=discussion_writes,
        fault_error_rate=fault_error_rate,
        fault_http500_rate=fault_http500_rate,
        slow_ms=slow_ms,
    ).start()
    ids = emulator.group_ids()
    if live_seconds > 0:
        emulator.keep_alive(live_seconds, seed)
    serve_until_signalled(
        emulator, f"OK emulator on {emulator.url} ({len(ids)} groups: {','.join(map(str, ids))})"
    )
