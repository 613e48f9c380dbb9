"""Benchmark: the daemon over 300 accounts on the three emulators, and its memory over many cycles.

Each emulator runs in its own process (``hub emulator vk|ok|telegram``), sized so
the accounts add up to 300 (150 VK communities, 100 OK groups, 50 Telegram
channels by default). The daemon runs here, in-process, on a fresh database with
every interval at one second, exactly as ``hub daemon`` would run it. Between two
of its cycles (while it sleeps) this script compares the database with the
emulators' ground truth and, once they match, adds a few posts and comments each
cycle through ``/_emulator/mutate``. Prints:

1. the wall time from the daemon's start until the database holds every live post and
   comment of every emulator (its first cycle: sync, then moderation of everything);
2. the HTTP requests each emulator answered for that first catch-up;
3. the peak memory (ru_maxrss) at that point;
4. the resident memory (and Python's allocated blocks) after 20 and 60 further cycles,
   and the growth between them;
5. whether the database still matches at the end, once every account has synced
   after the last new activity.

Exits 1 unless the database matches the emulators exactly, after the catch-up and at
the end. Comments that Telegram removed along with a ban the hub itself made (it
sends no update for that) are counted apart: they do not hold up the catch-up time,
but they do fail the run.

    python bench/daemon.py
    python bench/daemon.py --vk 30 --ok 20 --telegram 10 --soak 10,30
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
from emulators import spawn

from hub import plugins
from hub.daemon.runner import Daemon
from hub.log import configure_logging
from hub.testing import stored_state

TOKENS = {
    "HUB_BENCH_VK_TOKEN": "bench-vk-admin-token",
    "HUB_BENCH_OK_TOKEN": "bench-ok-admin-token",
    "HUB_BENCH_OK_SECRET": "bench-ok-secret",
    "HUB_BENCH_TG_TOKEN": "424242424:AAH-bench-bot-token",
}
OK_KEY = "BENCHOKKEY"
NETWORKS = ("vk", "ok", "telegram")
RATE_LIMIT_CODE = {"vk": "6", "ok": "8", "telegram": "429"}
PAGE = os.sysconf("SC_PAGE_SIZE")


# --------------------------------------------------------------------------- emulators


class Emulator:
    """One emulator process: its URL, its accounts and its control endpoints."""

    def __init__(self, network: str, count: int, args: argparse.Namespace):
        self.network = network
        sizes = {
            "vk": ["--communities", str(count), "--posts", str(args.posts)],
            "ok": ["--groups", str(count), "--topics", str(args.posts)],
            "telegram": ["--channels", str(count), "--posts", str(args.posts)],
        }[network]
        extra = {
            "vk": [
                "--rate-limit",
                str(args.rate_limit),
                "--token",
                TOKENS["HUB_BENCH_VK_TOKEN"],
            ],
            "ok": [
                "--rate-limit",
                str(args.rate_limit),
                "--token",
                TOKENS["HUB_BENCH_OK_TOKEN"],
                "--application-key",
                OK_KEY,
                "--application-secret",
                TOKENS["HUB_BENCH_OK_SECRET"],
            ],
            "telegram": ["--token", TOKENS["HUB_BENCH_TG_TOKEN"]],
        }[network]
        self.proc, self.url, self.ids = spawn(
            network, "--seed", "1", "--comments", str(args.comments), *sizes, *extra
        )
        parsed = httpx.URL(self.url)
        self.http = httpx.Client(base_url=f"{parsed.scheme}://{parsed.host}:{parsed.port}")

    def stop(self) -> None:
        if hasattr(self, "http"):
            self.http.close()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()

    def stats(self) -> dict:
        return self.http.get("/_emulator/stats").json()

    def requests(self) -> int:
        return self.stats()["requests"]

    def mutate(self, op: str, **kwargs) -> str:
        reply = self.http.post("/_emulator/mutate", json={"op": op, **kwargs}).json()
        if not reply.get("ok"):
            raise RuntimeError(f"{self.network} mutate {op} failed: {reply}")
        return str(reply["id"])

    def state(self) -> dict[str, dict[str, list[str]]]:
        """external id → {post id → sorted comment ids}, as the plugin's test driver has it."""
        snap = self.http.get("/_emulator/state").json()
        table, posts_key = {
            "vk": ("communities", "posts"),
            "ok": ("groups", "topics"),
            "telegram": ("channels", "posts"),
        }[self.network]
        return {
            ext: {pid: sorted(str(c) for c in p["comments"]) for pid, p in item[posts_key].items()}
            for ext, item in snap[table].items()
        }

    # -- new activity, the way residents and the account's admins produce it ----
    def add_post(self, ref: str, comments: int) -> str:
        if self.network == "telegram":
            return self.mutate("add_post", ref=ref, comments=comments)
        op = "add_post" if self.network == "vk" else "add_topic"
        return self.mutate(op, group_id=int(ref), comments=comments)

    def add_comment(self, ref: str, post_id: str) -> str:
        if self.network == "telegram":
            return self.mutate("add_comment", ref=ref, post_id=int(post_id))
        if self.network == "vk":
            return self.mutate("add_comment", group_id=int(ref), post_id=int(post_id))
        return self.mutate("add_comment", group_id=int(ref), topic_id=post_id)


# --------------------------------------------------------------------------- config


def _toml(value) -> str:
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_config(folder: Path, emulators: dict[str, Emulator], args) -> Path:
    rps = args.rate_limit
    lines = [
        "[database]",
        f"path = {_toml(folder / 'bench.db')}",
        "",
        "[networks.vk]",
        f"api_base = {_toml(emulators['vk'].url)}",
        f"requests_per_second = {rps}",
        "",
        "[networks.ok]",
        f"api_base = {_toml(emulators['ok'].url)}",
        f"application_key = {_toml(OK_KEY)}",
        'application_secret_key_env = "HUB_BENCH_OK_SECRET"',
        f"requests_per_second = {rps}",
        "",
        "[networks.telegram]",
        f"api_base = {_toml(emulators['telegram'].url)}",
        f"requests_per_second = {rps}",
        "",
        "[daemon]",
        f"sync_seconds = {{ vk = {args.interval}, ok = {args.interval}, "
        f"telegram = {args.interval} }}",
        f"moderate_seconds = {args.interval}",
        f"notices_seconds = {args.interval}",
        "",
    ]
    token_env = {
        "vk": "HUB_BENCH_VK_TOKEN",
        "ok": "HUB_BENCH_OK_TOKEN",
        "telegram": "HUB_BENCH_TG_TOKEN",
    }
    for network, emu in emulators.items():
        for n, ref in enumerate(emu.ids):
            lines += [
                "[[accounts]]",
                f'id = "{network}-{n + 1:03}"',
                f'network = "{network}"',
                f"external_id = {_toml(ref)}",
                f'token_env = "{token_env[network]}"',
                "",
            ]
    path = folder / "hub.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- measuring


def rss_mib() -> float:
    """Current resident memory of this process, after a full collection."""
    gc.collect()
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * PAGE / 2**20


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


@dataclass
class Match:
    ok: bool
    detail: str
    only_ban_wiped: bool = False  # differs only by comments a ban of the hub's removed


def compare(db: Path, emulators: dict[str, Emulator]) -> Match:
    """Whether the database holds exactly the emulators' live posts and comments.

    Also counts, among the comments the database holds as live and the emulator
    does not, those whose author the hub itself banned on that account: Telegram
    removes a banned member's messages from the group without an update.
    """
    expected: dict[str, dict[str, list[str]]] = {}
    for emu in emulators.values():
        expected.update(emu.state())
    stored = stored_state(db)
    posts = sum(len(p) for p in expected.values())
    comments = sum(len(c) for p in expected.values() for c in p.values())
    if stored == expected:
        return Match(True, f"{len(expected)} accounts, {posts} posts, {comments} comments")
    differ = sorted(set(stored) ^ set(expected)) + [
        ext for ext in expected if ext in stored and stored[ext] != expected[ext]
    ]
    missing_posts = sum(len(set(p) - set(stored.get(ext, {}))) for ext, p in expected.items())
    missing = [
        (ext, cid)
        for ext, posts_ in expected.items()
        for pid, c in posts_.items()
        for cid in set(c) - set(stored.get(ext, {}).get(pid, []))
    ]
    extra = [
        (ext, cid)
        for ext, posts_ in stored.items()
        for pid, c in posts_.items()
        for cid in set(c) - set(expected.get(ext, {}).get(pid, []))
    ]
    conn = sqlite3.connect(db)
    banned = {
        (ext, str(cid))
        for ext, cid in conn.execute(
            "SELECT a.external_id, c.network_id FROM comments c "
            "JOIN accounts a ON a.id = c.account_id "
            "JOIN actions x ON x.account_id = c.account_id AND x.kind = 'ban_user' "
            "AND x.state = 'done' AND x.target = CAST(c.author_id AS TEXT) "
            "WHERE c.deleted_at IS NULL"
        )
    }
    conn.close()
    wiped = sum(1 for ext, cid in extra if (ext, cid) in banned)
    detail = (
        f"{len(differ)} of {len(expected)} accounts differ (e.g. {differ[:3]}): "
        f"{missing_posts} posts and {len(missing)} comments missing, {len(extra)} comments "
        f"live in the database but gone from the network"
    )
    if wiped:
        detail += f" ({wiped} of them by authors the hub banned there)"
    return Match(False, detail, not missing_posts and not missing and wiped == len(extra))


# --------------------------------------------------------------------------- the run


class Bench:
    """Runs between two daemon cycles: checks, measures and adds new activity."""

    def __init__(self, daemon: Daemon, db: Path, emulators: dict[str, Emulator], args):
        self.daemon, self.db, self.emulators, self.args = daemon, db, emulators, args
        self.checkpoints = sorted(int(c) for c in args.soak.split(","))
        self.phase = "catch-up"
        self.failed = self.done = False
        self.started = 0.0
        self.check_seconds = 0.0  # this script's own time between cycles, not the daemon's
        self.requests0 = {n: e.requests() for n, e in emulators.items()}
        self.caught_up_cycle = 0
        self.rss: dict[int, float] = {}  # MiB resident, by cycles after the catch-up
        self.blocks: dict[int, int] = {}  # sys.getallocatedblocks(), the same
        self.soak_started = 0.0
        self.soak_check_seconds0 = 0.0
        self.soak_requests0: dict[str, int] = {}
        self.soak_syncs0 = 0
        self.syncs_at_change: dict[str, int] = {}
        self.turn = 0
        self.added: dict[str, list[tuple[str, str]]] = {n: [] for n in emulators}

    async def drive(self) -> None:
        self.started = time.perf_counter()
        task = asyncio.create_task(self.daemon.run())
        seen = 0
        while not task.done():
            await asyncio.sleep(0.005)
            cycles = self.daemon.metrics.cycles
            if cycles > seen:
                seen = cycles
                # Blocking on purpose: the daemon is asleep until its next cycle meanwhile.
                began = time.perf_counter()
                if not self.after_cycle(cycles):
                    self.daemon.request_stop()
                self.check_seconds += time.perf_counter() - began
        await task
        if not self.done:
            print("FAILED: the daemon stopped before the benchmark ended")
            self.failed = True

    def syncs_by_account(self) -> dict[str, int]:
        out = dict.fromkeys((a.id for a in self.daemon.config.accounts), 0)
        for (account, _status), n in self.daemon.metrics.syncs.items():
            out[account] = out.get(account, 0) + n
        return out

    def account_syncs(self) -> int:
        return sum(self.daemon.metrics.syncs.values())

    def after_cycle(self, cycle: int) -> bool:
        """Return False to stop the daemon."""
        if self.phase == "catch-up":
            return self.catch_up(cycle)
        return self.soak(cycle - self.caught_up_cycle)

    # -- (1)-(3) ---------------------------------------------------------------
    def catch_up(self, cycle: int) -> bool:
        elapsed = time.perf_counter() - self.started
        peak = peak_mib()
        requests = {n: e.requests() - self.requests0[n] for n, e in self.emulators.items()}
        match = compare(self.db, self.emulators)
        print(
            f"  after cycle {cycle}: {elapsed:6.1f} s, "
            f"{'matches' if match.ok else 'differs'}: {match.detail}"
        )
        # Comments Telegram removed along with a ban the hub made are not a sync's to see;
        # they are counted against the final result, not against the catch-up time.
        if not match.ok and not match.only_ban_wiped:
            if cycle >= self.args.max_catch_up_cycles:
                print(f"FAILED: the database does not match after {cycle} cycles")
                self.failed = self.done = True
                return False
            return True
        if not match.ok:
            self.failed = True
            print(
                "    MISMATCH: every post and comment is in, but comments stay live in the "
                "database after the hub's own ban removed them on the network"
            )
        conn = sqlite3.connect(self.db)
        verdicts = conn.execute("SELECT COUNT(*) FROM verdicts").fetchone()[0]
        actions = dict(conn.execute("SELECT kind, COUNT(*) FROM actions GROUP BY kind"))
        first_syncs = conn.execute(
            "SELECT min(r.started_at), max(r.finished_at) FROM sync_runs r JOIN "
            "(SELECT min(id) AS id FROM sync_runs GROUP BY account_id) f ON f.id = r.id"
        ).fetchone()
        conn.close()
        sync_seconds = (
            datetime.fromisoformat(first_syncs[1]) - datetime.fromisoformat(first_syncs[0])
        ).total_seconds()
        failed = sum(self.daemon.metrics.errors.values())
        checks = f", {self.check_seconds:.1f} s of it this script's checks" if cycle > 1 else ""
        what = (
            "the database matches every emulator"
            if match.ok
            else "every live post and comment is in"
        )
        print(
            f"(1) {what} {elapsed:.1f} s after the daemon started "
            f"({cycle} cycle(s) of sync and moderation{checks})"
        )
        print(
            f"    {self.account_syncs()} account syncs ({failed} failed or paused); moderation "
            f"judged {verdicts} comments; actions {dict(sorted(actions.items()))}"
        )
        print(
            f"    the first sync of all {len(self.daemon.config.accounts)} accounts took "
            f"≈{sync_seconds:.0f} s (sync_runs, 1-second resolution); moderation the rest"
        )
        print("(2) HTTP requests answered by the emulators for the catch-up:")
        for network, n in requests.items():
            emu = self.emulators[network]
            limited = emu.stats()["errors"].get(RATE_LIMIT_CODE[network], 0)
            print(
                f"    {network:<9} {n:>6} for {len(emu.ids):>3} accounts "
                f"({n / len(emu.ids):.1f} per account; {limited} rate-limit answers)"
            )
        print(f"    total     {sum(requests.values()):>6}")
        print(f"(3) peak memory (ru_maxrss) after the catch-up: {peak:.1f} MiB")
        self.phase = "soak"
        self.caught_up_cycle = cycle
        self.rss[0] = rss_mib()
        self.blocks[0] = sys.getallocatedblocks()
        self.soak_requests0 = {n: e.requests() for n, e in self.emulators.items()}
        self.soak_syncs0 = self.account_syncs()
        self.soak_check_seconds0 = self.check_seconds
        print(
            f"(4) {self.checkpoints[-1]} more cycles; before each, on every network, one new post "
            f"with {self.args.new_comments} comments and 2 comments on posts added earlier"
        )
        print(
            f"    after   0 cycles: RSS {self.rss[0]:6.1f} MiB (after a gc.collect()), "
            f"{self.blocks[0]:>8} Python memory blocks"
        )
        self.add_activity()
        self.soak_started = time.perf_counter()
        return True

    def add_activity(self) -> None:
        self.turn += 1
        for network, emu in self.emulators.items():
            added = self.added[network]
            if added:
                emu.add_comment(*added[-1])  # on the post that came last cycle
                emu.add_comment(*added[max(0, len(added) - 10)])  # and one from ten cycles ago
            ref = emu.ids[(self.turn * 7) % len(emu.ids)]
            added.append((ref, emu.add_post(ref, self.args.new_comments)))
            del added[:-20]
        self.syncs_at_change = self.syncs_by_account()

    # -- (4)-(5) ---------------------------------------------------------------
    def soak(self, k: int) -> bool:
        last = self.checkpoints[-1]
        if k <= last:
            self.rss[k] = rss_mib()
            self.blocks[k] = sys.getallocatedblocks()
            if k % 10 == 0 or k in self.checkpoints:
                print(
                    f"    after {k:>3} cycles: RSS {self.rss[k]:6.1f} MiB, "
                    f"{self.blocks[k]:>8} Python memory blocks, peak {peak_mib():6.1f} MiB, "
                    f"{self.account_syncs() - self.soak_syncs0:>6} account syncs"
                )
            if k < last:
                self.add_activity()
                return True
            self.report_soak(k)
        # The end: wait until every account has synced since the last new activity.
        now = self.syncs_by_account()
        behind = [a for a, n in now.items() if n <= self.syncs_at_change.get(a, 0)]
        if behind and k < last + self.args.settle_cycles:
            return True
        match = compare(self.db, self.emulators)
        extra = f" ({k - last} more cycle(s) without new activity)" if k > last else ""
        if match.ok:
            print(f"(5) the database matches at the end{extra}: {match.detail}")
        else:
            print(f"(5) FAILED: the database does not match at the end{extra}: {match.detail}")
            self.failed = True
        self.done = True
        return False

    def report_soak(self, k: int) -> None:
        first, second = self.checkpoints[0], self.checkpoints[-1]
        growth = self.rss[second] - self.rss[first]
        per_cycle = growth / (second - first) * 1024 if second > first else 0.0
        print(
            f"    RSS after {first} cycles {self.rss[first]:.1f} MiB, after {second} cycles "
            f"{self.rss[second]:.1f} MiB: growth {growth:+.1f} MiB ({per_cycle:+.0f} KiB per "
            f"cycle); from the catch-up to {second} cycles "
            f"{self.rss[second] - self.rss[0]:+.1f} MiB"
        )
        print(
            f"    Python memory blocks after {first} cycles {self.blocks[first]}, after {second} "
            f"{self.blocks[second]}: {self.blocks[second] - self.blocks[first]:+d}"
        )
        seconds = time.perf_counter() - self.soak_started
        checks = self.check_seconds - self.soak_check_seconds0
        syncs = self.account_syncs() - self.soak_syncs0
        print(
            f"    {k} cycles in {seconds:.1f} s ({seconds / k:.2f} s per cycle; this script "
            f"spent {checks:.1f} s between cycles), {syncs} account syncs; "
            "HTTP requests per cycle: "
            + ", ".join(
                f"{n} {(e.requests() - self.soak_requests0[n]) / k:.1f}"
                for n, e in self.emulators.items()
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vk", type=int, default=150, help="VK communities")
    parser.add_argument("--ok", type=int, default=100, help="OK groups")
    parser.add_argument("--telegram", type=int, default=50, help="Telegram channels")
    parser.add_argument("--posts", type=int, default=10, help="posts per account")
    parser.add_argument("--comments", type=int, default=5, help="comments per post")
    parser.add_argument("--rate-limit", type=float, default=1000.0, help="requests/s per token")
    parser.add_argument("--interval", type=int, default=1, help="every daemon interval, seconds")
    parser.add_argument(
        "--soak", default="20,60", help="cycles after the catch-up at which to read memory"
    )
    parser.add_argument("--new-comments", type=int, default=2, help="comments on each new post")
    parser.add_argument("--max-catch-up-cycles", type=int, default=5)
    parser.add_argument("--settle-cycles", type=int, default=5)
    args = parser.parse_args()
    configure_logging(level="warning")
    os.environ.update(TOKENS)

    counts = {"vk": args.vk, "ok": args.ok, "telegram": args.telegram}
    emulators: dict[str, Emulator] = {}
    try:
        for network in NETWORKS:
            emulators[network] = Emulator(network, counts[network], args)
        folder = Path(tempfile.mkdtemp(prefix="hub-bench-daemon-"))
        config = write_config(folder, emulators, args)
        total = sum(len(e.ids) for e in emulators.values())
        print(
            f"daemon over {total} accounts (VK {args.vk}, OK {args.ok}, Telegram "
            f"{args.telegram}) × {args.posts} posts × {args.comments} comments; "
            f"{args.rate_limit:g} requests/s per token; every interval {args.interval} s; "
            f"RSS before the daemon {rss_mib():.1f} MiB\n  config {config}"
        )
        daemon = Daemon(config, plugins.make_plugin_manager())
        bench = Bench(daemon, folder / "bench.db", emulators, args)
        asyncio.run(bench.drive())
    finally:
        for emu in emulators.values():
            emu.stop()
    sys.exit(1 if bench.failed else 0)


if __name__ == "__main__":
    main()
