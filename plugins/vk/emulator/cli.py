"""``hub emulator vk``: the VK emulator from the command line (options → VkEmulator)."""

from __future__ import annotations

import click

from hub.sandbox.harness import serve_until_signalled

from .server import DEFAULT_KEY_TTL, VkEmulator


@click.command("vk")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8701, show_default=True, type=int, help="0 = any free port")
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--communities", default=3, show_default=True, type=int)
@click.option("--posts", default=50, show_default=True, type=int)
@click.option("--comments", default=20, show_default=True, type=int)
@click.option(
    "--rate-limit",
    default=3.0,
    show_default=True,
    type=float,
    help="requests per second per token; 0 disables",
)
@click.option("--token", "tokens", multiple=True, default=("demo-vk-token",), show_default=True)
@click.option(
    "--community-token",
    "community_tokens",
    multiple=True,
    metavar="TOKEN=GROUP_ID",
    help="a community key of that group (VK refuses it for wall.post and most reads)",
)
@click.option("--big-post", is_flag=True, help="add a 145-comment post to each community")
@click.option("--fault-error6-rate", default=0.0, type=float)
@click.option("--fault-http500-rate", default=0.0, type=float)
@click.option("--slow-ms", default=0, type=int)
@click.option(
    "--key-ttl",
    default=DEFAULT_KEY_TTL,
    show_default=True,
    type=float,
    help="seconds a Bots Long Poll key stays valid",
)
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
    communities: int,
    posts: int,
    comments: int,
    rate_limit: float,
    tokens: tuple[str, ...],
    community_tokens: tuple[str, ...],
    big_post: bool,
    fault_error6_rate: float,
    fault_http500_rate: float,
    slow_ms: int,
    key_ttl: float,
    live_seconds: float = 0.0,
) -> None:
    """Run the VK API emulator in the foreground (Ctrl-C or SIGTERM stops it)."""
    keys: dict[str, int] = {}
    for item in community_tokens:
        token, _, gid = item.rpartition("=")
        if not token or not gid.lstrip("-").isdigit():
            raise click.BadParameter("expected TOKEN=GROUP_ID", param_hint="--community-token")
        keys[token] = int(gid)
    emulator = VkEmulator(
        host=host,
        port=port,
        seed=seed,
        communities=communities,
        posts=posts,
        comments=comments,
        rate_limit=rate_limit,
        tokens=tokens,
        community_tokens=keys,
        big_post=big_post,
        fault_error6_rate=fault_error6_rate,
        fault_http500_rate=fault_http500_rate,
        slow_ms=slow_ms,
        key_ttl=key_ttl,
    ).start()
    ids = emulator.community_ids()
    if live_seconds > 0:
        emulator.keep_alive(live_seconds, seed)
    serve_until_signalled(
        emulator,
        f"VK emulator on {emulator.url} ({len(ids)} communities: {','.join(map(str, ids))})",
    )
