"""Benchmark: MAX beside VK — a first sync and a no-change re-sync of the same world.

Both emulators are seeded alike (channels/communities × posts × comments) and run with
their rate limits off, so the figures are requests and the hub's own time; at MAX's real
limit (the plugin's default 25 requests a second) a first sync costs at least
requests / 25 seconds. MAX has no batching (VK's ``execute`` bundles 25 calls), which is
what the request counts show.

    python bench/max.py                       # 50 channels × 20 posts × 8 comments
    python bench/max.py --channels 10 --posts 5
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

from hub import plugins
from hub.config import parse_config
from hub.log import configure_logging
from hub.store import Store
from hub.sync import run_sync
from hub_max.emulator import DEFAULT_TOKEN, MaxEmulator
from hub_vk.emulator import VkEmulator

TOKEN_ENV = "HUB_BENCH_TOKEN"
MAX_RPS = 25


def measure(network: str, emu, ids: list, token: str) -> list[tuple[str, int, float, int, int]]:
    """(label, requests, seconds, posts new, comments new) of a first sync and a re-sync."""
    folder = Path(tempfile.mkdtemp(prefix=f"hub-bench-{network}-"))
    os.environ[TOKEN_ENV] = token
    config = parse_config(
        {
            "database": {"path": str(folder / "hub.db")},
            "networks": {network: {"api_base": emu.url, "requests_per_second": 1000}},
            "accounts": [
                {"id": f"a{n}", "network": network, "external_id": str(e), "token_env": TOKEN_ENV}
                for n, e in enumerate(ids)
            ],
        }
    )
    out = []
    for label in ("first sync", "no-change re-sync"):
        store = Store.open(config.db_path)
        before, started = emu.stats()["requests"], time.monotonic()
        try:
            runs = asyncio.run(
                run_sync(store, plugins.make_plugin_manager(), config, config.accounts)
            )
        finally:
            store.close()
        failed = [r for r in runs if not r.ok]
        if failed:
            raise SystemExit(f"{network}: {len(failed)} accounts failed to sync")
        out.append(
            (
                label,
                emu.stats()["requests"] - before,
                time.monotonic() - started,
                sum(r.posts_new for r in runs),
                sum(r.comments_new for r in runs),
            )
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=50)
    parser.add_argument("--posts", type=int, default=20)
    parser.add_argument("--comments", type=int, default=8)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    configure_logging(json=False, level="warning")
    shape = {"posts": args.posts, "comments": args.comments, "rate_limit": 0, "seed": args.seed}
    with MaxEmulator(channels=args.channels, **shape) as emu:
        rows = {"MAX": measure("max", emu, emu.channel_ids(), DEFAULT_TOKEN)}
    with VkEmulator(communities=args.channels, tokens=["vk-bench"], **shape) as emu:
        rows["VK"] = measure("vk", emu, emu.community_ids(), "vk-bench")
    print(f"{args.channels} pages × {args.posts} posts × {args.comments} comments, rate limits off")
    for network, results in rows.items():
        for label, requests, seconds, posts, comments in results:
            print(
                f"  {network:<4} {label:<18} {requests:>6} requests  {seconds:6.2f} s  "
                f"posts new {posts:>5}  comments new {comments:>6}"
            )
    first = rows["MAX"][0][1]
    print(f"  MAX's first sync at its real {MAX_RPS} requests/s: at least {first / MAX_RPS:.0f} s")


if __name__ == "__main__":
    main()
