"""Benchmark: first sync and no-change re-sync of many VK communities against the emulator.

Runs the emulator in its own process (``hub emulator vk``) so that it does not
share the hub's interpreter, then times the library's sync and reads the
emulator's request counter. Prints figures; exits 1 if the no-change re-sync
needs more than the target number of HTTP requests.

    python bench/sync.py                       # 100 communities × 50 posts × 20 comments, 3 rps
    python bench/sync.py --rps 20 --communities 20
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from hub import plugins
from hub.config import load_config
from hub.log import configure_logging
from hub.store import Store
from hub.sync import run_sync

TOKEN = "bench-admin-token"
TARGET_NO_CHANGE_REQUESTS = 10


def start_emulator(args) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hub",
            "emulator",
            "vk",
            "--port",
            "0",
            "--seed",
            "1",
            "--communities",
            str(args.communities),
            "--posts",
            str(args.posts),
            "--comments",
            str(args.comments),
            "--rate-limit",
            str(args.rps),
            "--token",
            TOKEN,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()
    if not line.startswith("VK emulator on "):
        proc.kill()
        sys.exit(f"emulator did not start: {line!r}")
    url = line.split()[3]
    ids = line.split("communities: ")[1].rstrip(")\n").split(",")
    return proc, url, ids


def write_config(folder: Path, url: str, ids: list[str], rps: float) -> Path:
    lines = [
        "[database]",
        'path = "bench.db"',
        "",
        "[networks.vk]",
        f'api_base = "{url}"',
        f"requests_per_second = {rps}",
        "",
    ]
    for n, gid in enumerate(ids):
        lines += [
            "[[accounts]]",
            f'id = "c{n:03}"',
            'network = "vk"',
            f'external_id = "{gid}"',
            'token_env = "HUB_BENCH_TOKEN"',
            "",
        ]
    path = folder / "hub.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def control(url: str, path: str, payload=None):
    base = url.rsplit("/method", 1)[0]
    if payload is None:
        return httpx.get(f"{base}/_emulator/{path}").json()
    return httpx.post(f"{base}/_emulator/{path}", json=payload).json()


def timed_sync(config_path: Path, url: str, label: str) -> dict:
    config = load_config(config_path)
    store = Store.open(config.db_path)
    before = control(url, "stats")["requests"]
    rows_before = count_rows(config.db_path)
    started = time.perf_counter()
    runs = asyncio.run(run_sync(store, plugins.make_plugin_manager(), config, config.accounts))
    seconds = time.perf_counter() - started
    store.close()
    failed = [r.summary() for r in runs if not r.ok]
    if failed:
        sys.exit(f"{label}: {len(failed)} accounts failed, e.g. {failed[0]}")
    requests = control(url, "stats")["requests"] - before
    rows = count_rows(config.db_path) - rows_before
    figures = {
        "label": label,
        "requests": requests,
        "seconds": seconds,
        "rows": rows,
        "comments_new": sum(r.comments_new for r in runs),
        "posts_new": sum(r.posts_new for r in runs),
    }
    print(
        f"{label:<28} {requests:>6} HTTP requests {seconds:>8.2f} s "
        f"{figures['posts_new']:>6} posts {figures['comments_new']:>7} comments new "
        f"{rows / seconds if seconds else 0:>9.0f} rows/s"
    )
    return figures


def count_rows(db: Path) -> int:
    if not db.exists():
        return 0
    conn = sqlite3.connect(db)
    n = sum(
        conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
        for t in ("posts", "comments", "authors")
    )
    conn.close()
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communities", type=int, default=100)
    parser.add_argument("--posts", type=int, default=50)
    parser.add_argument("--comments", type=int, default=20)
    parser.add_argument(
        "--rps",
        type=float,
        default=3.0,
        help="requests per second per token, for both the emulator and the hub",
    )
    args = parser.parse_args()
    configure_logging(level="warning")
    os.environ["HUB_BENCH_TOKEN"] = TOKEN
    proc, url, ids = start_emulator(args)
    try:
        folder = Path(tempfile.mkdtemp(prefix="hub-bench-"))
        config_path = write_config(folder, url, ids, args.rps)
        print(
            f"{args.communities} communities × {args.posts} posts × {args.comments} comments, "
            f"one admin token, {args.rps:g} requests/s (VK user-token limit is 3)"
        )
        timed_sync(config_path, url, "first sync")
        no_change = timed_sync(config_path, url, "no-change re-sync")
        for gid in ids[:10]:
            control(url, "mutate", {"op": "add_post", "group_id": int(gid), "comments": 5})
        timed_sync(config_path, url, "10 new posts × 5 comments")
        errors6 = control(url, "stats")["errors"].get("6", 0)
        print(f"error 6 (too many requests) answered by the emulator: {errors6}")
        ok = no_change["requests"] <= TARGET_NO_CHANGE_REQUESTS
        print(
            f"target: no-change re-sync in ≤ {TARGET_NO_CHANGE_REQUESTS} requests: "
            f"{'met' if ok else 'MISSED'} ({no_change['requests']})"
        )
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
