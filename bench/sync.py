"""Benchmark: first sync, no-change re-sync, a small incremental sync and a day's reconcile.

Each emulator runs in its own process (``hub emulator vk|ok|telegram``) so it does
not share the hub's interpreter; the figures are the library's sync timed here
and the emulator's own request counter. Prints figures; exits 1 if VK's
no-change re-sync needs more than the target number of HTTP requests, or if the
reconcile (``[sync] reconcile_hours``, default 24) makes the average sync of a
day cost more than twice a no-change re-sync.

The day is simulated: the syncs the daemon would run in 24 hours at its default
interval for the network (VK every 300 s: 288 syncs), each passed its time of
day, so the reconcile re-reads the share of posts that time calls for.

    python bench/sync.py                          # VK: 100 × 50 posts × 20 comments, 3 rps
    python bench/sync.py --network ok --rps 1000  # OK: 100 groups, the hub's own cost
    python bench/sync.py --network all --communities 20 --rps 20
    python bench/sync.py --rps 1000 --day-syncs 48  # a day of 48 syncs, fast
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
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from emulators import spawn

from hub import plugins
from hub.config import parse_config
from hub.daemon.schedule import default_sync
from hub.log import configure_logging
from hub.store import Store
from hub.sync import run_sync

TARGET_VK_NO_CHANGE_REQUESTS = 10
TARGET_RECONCILE_RATIO = 2.0  # a day's average sync against a no-change re-sync
TOKEN = "bench-admin-token"
TG_TOKEN = "424242424:AAH-bench-bot-token"
OK_KEY, OK_SECRET = "BENCHOKKEY", "bench-ok-secret"
RATE_LIMIT_CODE = {"vk": "6", "ok": "8", "telegram": "429"}


def emulator_options(network: str, args) -> list[str]:
    n, posts, rps = str(args.communities), str(args.posts), str(args.rps)
    if network == "vk":
        return ["--communities", n, "--posts", posts, "--rate-limit", rps, "--token", TOKEN]
    if network == "ok":
        return [
            "--groups",
            n,
            "--topics",
            posts,
            "--rate-limit",
            rps,
            "--token",
            TOKEN,
            "--application-key",
            OK_KEY,
            "--application-secret",
            OK_SECRET,
        ]
    return ["--channels", n, "--posts", posts, "--token", TG_TOKEN]


def start_emulator(network: str, args) -> tuple[subprocess.Popen, str, list[str]]:
    return spawn(
        network, "--seed", "1", "--comments", str(args.comments), *emulator_options(network, args)
    )


def network_settings(network: str, url: str, rps: float) -> dict:
    settings = {"api_base": url, "requests_per_second": rps}
    if network == "ok":
        settings.update(application_key=OK_KEY, application_secret_key_env="HUB_BENCH_OK_SECRET")
    return settings


def control(url: str, path: str, payload=None):
    parsed = httpx.URL(url)
    base = f"{parsed.scheme}://{parsed.host}:{parsed.port}"
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


def quiet_sync(config, url: str, label: str, now: datetime | None = None) -> tuple:
    """One sync of every account: (HTTP requests, seconds, runs, rows written)."""
    store = Store.open(config.db_path)
    before = control(url, "stats")["requests"]
    rows_before = count_rows(config.db_path)
    started = time.perf_counter()
    pm = plugins.make_plugin_manager()
    runs = asyncio.run(run_sync(store, pm, config, config.accounts, now=now))
    seconds = time.perf_counter() - started
    store.close()
    failed = [r.summary() for r in runs if not r.ok]
    if failed:
        sys.exit(f"{label}: {len(failed)} accounts failed, e.g. {failed[0]}")
    requests = control(url, "stats")["requests"] - before
    return requests, seconds, runs, count_rows(config.db_path) - rows_before


def timed_sync(config, url: str, label: str) -> dict:
    requests, seconds, runs, rows = quiet_sync(config, url, label)
    print(
        f"  {label:<30} {requests:>6} HTTP requests {seconds:>8.2f} s "
        f"{sum(r.posts_new for r in runs):>6} posts {sum(r.comments_new for r in runs):>7} "
        f"comments new {rows / seconds if seconds else 0:>9.0f} rows/s"
    )
    return {"requests": requests, "seconds": seconds}


def reconcile_day(config, url: str, network: str, no_change: int, syncs: int | None) -> bool:
    """A day of syncs with nothing new: what the reconcile adds to the no-change cost."""
    hours = config.sync.reconcile_hours
    interval = default_sync(plugins.networks(plugins.make_plugin_manager()))[network]
    syncs = syncs or int(86400 // interval)
    start = datetime.now(UTC)
    per_sync, reread = [], 0
    for i in range(1, syncs + 1):
        now = start + timedelta(hours=hours * i / syncs)
        requests, _seconds, runs, _rows = quiet_sync(config, url, "reconcile", now=now)
        per_sync.append(requests)
        reread += sum(r.posts_reconciled for r in runs)
    total = sum(per_sync)
    average = total / syncs
    ratio = average / no_change if no_change else float("inf")
    print(
        f"  a day's reconcile ({hours} h) over {syncs} syncs: {total} requests "
        f"= {syncs} × {no_change} no-change + {total - syncs * no_change} for "
        f"{reread} posts re-read"
    )
    print(
        f"    per sync: {average:.2f} on average (max {max(per_sync)}), "
        f"{ratio:.2f}× a no-change re-sync of {no_change}; target ≤ {TARGET_RECONCILE_RATIO:g}×: "
        f"{'met' if ratio <= TARGET_RECONCILE_RATIO else 'MISSED'}"
    )
    return ratio <= TARGET_RECONCILE_RATIO


def add_activity(network: str, url: str, ids: list[str]) -> None:
    for ref in ids[:10]:
        if network == "telegram":
            mutation = {"op": "add_post", "ref": ref, "comments": 5}
        else:
            op = "add_post" if network == "vk" else "add_topic"
            mutation = {"op": op, "group_id": int(ref), "comments": 5}
        control(url, "mutate", mutation)


def bench(network: str, args) -> bool:
    proc, url, ids = start_emulator(network, args)
    try:
        folder = Path(tempfile.mkdtemp(prefix=f"hub-bench-{network}-"))
        token_env = "HUB_BENCH_TG_TOKEN" if network == "telegram" else "HUB_BENCH_TOKEN"
        config = parse_config(
            {
                "database": {"path": str(folder / "bench.db")},
                "networks": {network: network_settings(network, url, args.rps)},
                "accounts": [
                    {
                        "id": f"{network}{n:03}",
                        "network": network,
                        "external_id": ref,
                        "token_env": token_env,
                    }
                    for n, ref in enumerate(ids)
                ],
            }
        )
        print(
            f"{network.upper()}: {len(ids)} accounts × {args.posts} posts × {args.comments} "
            f"comments, one token, {args.rps:g} requests/s"
        )
        timed_sync(config, url, "first sync")
        no_change = timed_sync(config, url, "no-change re-sync")
        add_activity(network, url, ids)
        timed_sync(config, url, "10 new posts × 5 comments")
        reconciled = True
        if network != "telegram":  # a bot's update stream cannot be read again: no reconcile
            reconciled = reconcile_day(config, url, network, no_change["requests"], args.day_syncs)
        errors = control(url, "stats")["errors"].get(RATE_LIMIT_CODE[network], 0)
        print(f"  rate-limit errors answered by the emulator: {errors}")
        if network != "vk":
            return reconciled
        ok = reconciled and no_change["requests"] <= TARGET_VK_NO_CHANGE_REQUESTS
        print(
            f"  target: no-change re-sync in ≤ {TARGET_VK_NO_CHANGE_REQUESTS} requests: "
            f"{'met' if ok else 'MISSED'} ({no_change['requests']})"
        )
        return ok
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--network", choices=["vk", "ok", "telegram", "all"], default="vk")
    parser.add_argument("--communities", type=int, default=100)
    parser.add_argument("--posts", type=int, default=50)
    parser.add_argument("--comments", type=int, default=20)
    parser.add_argument(
        "--rps",
        type=float,
        default=3.0,
        help="requests per second per token, for the emulator and the hub",
    )
    parser.add_argument(
        "--day-syncs",
        type=int,
        help="syncs in the simulated day (default: the daemon's interval, VK 288, OK 144)",
    )
    args = parser.parse_args()
    configure_logging(level="warning")
    os.environ.update(
        HUB_BENCH_TOKEN=TOKEN, HUB_BENCH_OK_SECRET=OK_SECRET, HUB_BENCH_TG_TOKEN=TG_TOKEN
    )
    networks = ["vk", "ok", "telegram"] if args.network == "all" else [args.network]
    results = [bench(network, args) for network in networks]
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
