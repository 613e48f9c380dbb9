"""Benchmark: first sync, no-change re-sync and a small incremental sync against the emulators.

Each emulator runs in its own process (``hub emulator vk|ok``) so it does not share
the hub's interpreter; the figures are the library's sync timed here and the
emulator's own request counter. Prints figures; exits 1 if VK's no-change
re-sync needs more than the target number of HTTP requests.

    python bench/sync.py                          # VK: 100 × 50 posts × 20 comments, 3 rps
    python bench/sync.py --network ok --rps 1000  # OK: 100 groups, the hub's own cost
    python bench/sync.py --network both --communities 20 --rps 20
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
from hub.config import parse_config
from hub.log import configure_logging
from hub.store import Store
from hub.sync import run_sync

TARGET_VK_NO_CHANGE_REQUESTS = 10
TOKEN = "bench-admin-token"
OK_KEY, OK_SECRET = "BENCHOKKEY", "bench-ok-secret"


def start_emulator(network: str, args) -> tuple[subprocess.Popen, str, list[str]]:
    sizes = {
        "vk": ["--communities", str(args.communities), "--posts", str(args.posts)],
        "ok": [
            "--groups",
            str(args.communities),
            "--topics",
            str(args.posts),
            "--application-key",
            OK_KEY,
            "--application-secret",
            OK_SECRET,
        ],
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hub",
            "emulator",
            network,
            "--port",
            "0",
            "--seed",
            "1",
            *sizes[network],
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
    if " emulator on " not in line:
        proc.kill()
        sys.exit(f"{network} emulator did not start: {line!r}")
    url = line.split()[3]
    ids = line.split(": ")[1].rstrip(")\n").split(",")
    return proc, url, ids


def network_settings(network: str, url: str, rps: float) -> dict:
    if network == "vk":
        return {"api_base": url, "requests_per_second": rps}
    return {
        "api_base": url,
        "requests_per_second": rps,
        "application_key": OK_KEY,
        "application_secret_key_env": "HUB_BENCH_OK_SECRET",
    }


def control(url: str, path: str, payload=None):
    base = url.rsplit("/", 1)[0]
    if payload is None:
        return httpx.get(f"{base}/_emulator/{path}").json()
    return httpx.post(f"{base}/_emulator/{path}", json=payload).json()


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


def timed_sync(config, url: str, label: str) -> dict:
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
    print(
        f"  {label:<30} {requests:>6} HTTP requests {seconds:>8.2f} s "
        f"{sum(r.posts_new for r in runs):>6} posts {sum(r.comments_new for r in runs):>7} "
        f"comments new {rows / seconds if seconds else 0:>9.0f} rows/s"
    )
    return {"requests": requests, "seconds": seconds}


def bench(network: str, args) -> bool:
    proc, url, ids = start_emulator(network, args)
    try:
        folder = Path(tempfile.mkdtemp(prefix=f"hub-bench-{network}-"))
        config = parse_config(
            {
                "database": {"path": str(folder / "bench.db")},
                "networks": {network: network_settings(network, url, args.rps)},
                "accounts": [
                    {
                        "id": f"{network}{n:03}",
                        "network": network,
                        "external_id": gid,
                        "token_env": "HUB_BENCH_TOKEN",
                    }
                    for n, gid in enumerate(ids)
                ],
            }
        )
        print(
            f"{network.upper()}: {len(ids)} accounts × {args.posts} posts × {args.comments} "
            f"comments, one admin token, {args.rps:g} requests/s"
        )
        timed_sync(config, url, "first sync")
        no_change = timed_sync(config, url, "no-change re-sync")
        op = "add_post" if network == "vk" else "add_topic"
        for gid in ids[:10]:
            control(url, "mutate", {"op": op, "group_id": int(gid), "comments": 5})
        timed_sync(config, url, "10 new posts × 5 comments")
        stats = control(url, "stats")
        limit_code = "6" if network == "vk" else "8"
        print(f"  rate-limit errors answered by the emulator: {stats['errors'].get(limit_code, 0)}")
        if network == "vk":
            ok = no_change["requests"] <= TARGET_VK_NO_CHANGE_REQUESTS
            print(
                f"  target: no-change re-sync in ≤ {TARGET_VK_NO_CHANGE_REQUESTS} requests: "
                f"{'met' if ok else 'MISSED'} ({no_change['requests']})"
            )
            return ok
        return True
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--network", choices=["vk", "ok", "both"], default="vk")
    parser.add_argument("--communities", type=int, default=100)
    parser.add_argument("--posts", type=int, default=50)
    parser.add_argument("--comments", type=int, default=20)
    parser.add_argument(
        "--rps",
        type=float,
        default=3.0,
        help="requests per second per token, for the emulator and the hub",
    )
    args = parser.parse_args()
    configure_logging(level="warning")
    os.environ["HUB_BENCH_TOKEN"] = TOKEN
    os.environ["HUB_BENCH_OK_SECRET"] = OK_SECRET
    networks = ["vk", "ok"] if args.network == "both" else [args.network]
    results = [bench(network, args) for network in networks]
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
