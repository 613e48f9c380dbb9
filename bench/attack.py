"""Benchmark: the adversarial moderation test of issue 12 — killed runs, faults, a killed daemon.

Measures one installed hub (``--hub``: its ``hub`` executable) as a user meets it, from the
command line, against the built-in emulators on loopback (each in its own process, started
with ``--emulator-hub``, by default the same executable; pass one fixed emulator to compare two
code versions on the same worlds). Every world has one VK community, one OK group and one
Telegram channel, seeded, plus planted spam comments from distinct authors, so the default
policy (``spam``: delete, and ban the author for good; OK blocks while deleting) has work.

(a) killed moderation: ``hub sync`` once, then ``--kills`` runs of ``hub moderate``, each
    SIGKILLed at a seeded random moment (a delay drawn before the run, counted from its first
    touch of the action outbox); then one clean ``hub moderate`` at once (a re-run within a
    minute: what the issue says counts an in-flight deletion as a failed attempt), then, once
    61 s have passed (actions pending for less than 60 s count as in flight), two more runs.
(b) faults: the emulators answer ``--fault-rate`` of all API requests with an HTTP 500 (seeded),
    and before every run one answer of each moderation write is lost after the write was
    applied (``/_emulator/faults`` ``lose_answer``); ``hub sync``, then ``--fault-runs`` runs of
    ``hub moderate``. Runs while (a) waits out its minute.
(c) killed daemon: ``hub daemon`` on a fresh world, SIGKILLed ``--daemon-kills`` times during
    moderation and restarted at once; then ``hub daemon --cycles N`` (every interval 5 s) long
    enough to pass the 60-s in-flight window.

Figures per scenario, from the hub's database and the emulators' ground truth
(``GET /_emulator/state``): outbox actions left ``pending``/``unknown``; verdicts ``done``
whose ban/mute action is not ``done`` in the outbox; verdicts ``failed`` whose comment is
still up on the network; deletions the policy decided that are still up; restrictions the
policy decided that the network does not have (VK bans, OK blocks, Telegram bans/mutes).
Bounded: a few minutes per code version, every process started here ended here.

    python bench/attack.py --hub /tmp/hub-before/.venv/bin/hub
    python bench/attack.py --hub .venv/bin/hub --emulator-hub /tmp/hub-before/.venv/bin/hub
    python bench/attack.py --hub .venv/bin/hub --only a --kills 10

Standard library only, so any python3 runs it. Exit 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

TOKENS = {
    "HUB_ATTACK_VK": "attack-vk-admin-token",
    "HUB_ATTACK_OK": "attack-ok-admin-token",
    "HUB_ATTACK_OK_SECRET": "attack-ok-secret",
    "HUB_ATTACK_TG": "424242424:AAH-attack-bot-token",
}
OK_KEY = "ATTACKOKKEY"
NETWORKS = ("vk", "ok", "telegram")
ACCOUNT = {"vk": "vk-1", "ok": "ok-1", "telegram": "tg-1"}
TOKEN_ENV = {"vk": "HUB_ATTACK_VK", "ok": "HUB_ATTACK_OK", "telegram": "HUB_ATTACK_TG"}
#: the writes of moderation, whose answers (b) loses after applying them
WRITES = {
    "vk": ("wall.deleteComment", "groups.ban"),
    "ok": ("discussions.deleteDiscussionComment",),
    "telegram": ("deleteMessage", "banChatMember", "restrictChatMember"),
}
SPAM = (
    "Заработок от {n}00 в день! Пиши в ЛС",
    "Продам дрова недорого, доставка. Звоните 8-913-{n:03d}-22-33",
    "Кредит без отказа за {m} минут! Подробности по ссылке в профиле",
    "Лучшие ставки на спорт, бонус {n}0 новым игрокам! Пиши в ЛС",
)
FIRST_AUTHOR = {"vk": 800001, "ok": 810001, "telegram": 820001}
IN_FLIGHT_WAIT = 61.0


def hub_command(path: str) -> list[str]:
    """``hub`` itself, or a Python interpreter that has it installed (``python -m hub``)."""
    return [path, "-m", "hub"] if Path(path).name.startswith("python") else [path]


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- emulators


class Emulator:
    """One ``hub emulator NETWORK`` process on loopback, its account and its control endpoints."""

    def __init__(
        self,
        hub: str,
        network: str,
        seed: int,
        args,
        *,
        fault_rate: float = 0.0,
        slow_ms: int = 0,
        logfile=None,
    ):
        self.network = network
        size = {
            "vk": [
                "--communities",
                "1",
                "--posts",
                str(args.posts),
                "--comments",
                str(args.comments),
                "--rate-limit",
                "0",
                "--token",
                TOKENS["HUB_ATTACK_VK"],
            ],
            "ok": [
                "--groups",
                "1",
                "--topics",
                str(args.posts),
                "--comments",
                str(args.comments),
                "--rate-limit",
                "0",
                "--token",
                TOKENS["HUB_ATTACK_OK"],
                "--application-key",
                OK_KEY,
                "--application-secret",
                TOKENS["HUB_ATTACK_OK_SECRET"],
            ],
            "telegram": [
                "--channels",
                "1",
                "--posts",
                str(args.posts),
                "--comments",
                str(args.comments),
                "--token",
                TOKENS["HUB_ATTACK_TG"],
            ],
        }[network]
        faults = ["--fault-http500-rate", str(fault_rate)] if fault_rate else []
        cmd = [
            *hub_command(hub),
            "emulator",
            network,
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--seed",
            str(seed),
            "--slow-ms",
            str(slow_ms),
            *size,
            *faults,
        ]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=logfile, text=True)
        line = self.proc.stdout.readline()
        if " emulator on " not in line:
            self.stop()
            sys.exit(f"{network} emulator did not start: {line!r}")
        self.url = line.split()[3]
        self.ref = line.split(": ")[1].rstrip(")\n").split(",")[0]
        base = self.url.removesuffix("/method").removesuffix("/fb.do")
        if not base.startswith("http://127.0.0.1:"):
            self.stop()
            sys.exit(f"{network} emulator is not on loopback: {base}")
        self.base = base
        # nothing else is printed, but never let a full pipe block the emulator
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def _call(self, path: str, data: dict | None = None):
        body = None if data is None else json.dumps(data).encode()
        req = urllib.request.Request(
            self.base + path, data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read())

    def state(self) -> dict:
        return self._call("/_emulator/state")

    def stats(self) -> dict:
        return self._call("/_emulator/stats")

    def mutate(self, op: str, **kw):
        reply = self._call("/_emulator/mutate", {"op": op, **kw})
        if not reply.get("ok"):
            raise RuntimeError(f"{self.network} mutate {op}: {reply}")
        return reply["id"]

    def lose_answers(self, count: int) -> None:
        self._call("/_emulator/faults", {"lose_answer": dict.fromkeys(WRITES[self.network], count)})

    # -- the world ------------------------------------------------------------
    def posts(self) -> list[str]:
        s = self.state()
        if self.network == "vk":
            return sorted(s["communities"][self.ref]["posts"], key=int)
        if self.network == "ok":
            return sorted(s["groups"][self.ref]["topics"], key=int)
        return sorted(s["channels"][self.ref]["posts"], key=int)

    def plant_spam(self, count: int) -> None:
        posts = self.posts()
        for i in range(count):
            text = SPAM[i % len(SPAM)].format(n=50 + 7 * i, m=2 + i % 9)
            post, author = posts[i % len(posts)], FIRST_AUTHOR[self.network] + i
            if self.network == "vk":
                self.mutate(
                    "add_comment",
                    group_id=int(self.ref),
                    post_id=int(post),
                    text=text,
                    from_id=author,
                )
            elif self.network == "ok":
                self.mutate(
                    "add_comment",
                    group_id=int(self.ref),
                    topic_id=post,
                    text=text,
                    author_id=author,
                )
            else:
                self.mutate(
                    "add_comment", ref=self.ref, post_id=int(post), text=text, user_id=author
                )

    def truth(self) -> tuple[set[str], set[int]]:
        """(live comment ids, restricted author ids) as the network has them now."""
        s = self.state()
        if self.network == "vk":
            com = s["communities"][self.ref]
            live = {str(c) for p in com["posts"].values() for c in p["comments"]}
            return live, {int(b["user_id"]) for b in com["bans"]}
        if self.network == "ok":
            g = s["groups"][self.ref]
            live = {str(c) for t in g["topics"].values() for c in t["comments"]}
            return live, {int(u) for u in g["blocked"]}
        ch = s["channels"][self.ref]
        live = {str(c) for p in ch["posts"].values() for c in p["comments"]}
        held = {*ch["banned"], *ch["restricted"], *ch["banned_sender_chats"]}
        return live, {int(u) for u in held}

    def write_calls(self) -> int:
        by = self.stats().get("by_method", {})
        return sum(by.get(m, 0) for m in WRITES[self.network])


class World:
    """The three emulators, a config and a database in a folder of their own."""

    def __init__(
        self,
        name: str,
        args,
        seed: int,
        *,
        fault_rate: float = 0.0,
        slow_ms: int = 0,
        daemon: bool = False,
    ):
        self.name = name
        self.folder = Path(tempfile.mkdtemp(prefix=f"hub-attack-{name}-", dir=args.workdir))
        self.logfile = open(self.folder / "hub.log", "a", encoding="utf-8")  # noqa: SIM115
        self.emus: dict[str, Emulator] = {}
        try:
            for net in NETWORKS:
                self.emus[net] = Emulator(
                    args.emulator_hub,
                    net,
                    seed,
                    args,
                    fault_rate=fault_rate,
                    slow_ms=slow_ms,
                    logfile=self.logfile,
                )
            for net, emu in self.emus.items():
                emu.plant_spam(args.spam[net])
        except BaseException:
            self.stop()
            raise
        self.db = self.folder / "hub.db"
        self.config = self.folder / "hub.toml"
        self.write_config(daemon)
        self.hub = args.hub
        self.env = {**os.environ, **TOKENS}

    def write_config(self, daemon: bool) -> None:
        e = self.emus
        lines = [
            "[database]",
            f'path = "{self.db}"',
            "",
            "[networks.vk]",
            f'api_base = "{e["vk"].url}"',
            "requests_per_second = 1000",
            "",
            "[networks.ok]",
            f'api_base = "{e["ok"].url}"',
            f'application_key = "{OK_KEY}"',
            'application_secret_key_env = "HUB_ATTACK_OK_SECRET"',
            "requests_per_second = 1000",
            "",
            "[networks.telegram]",
            f'api_base = "{e["telegram"].url}"',
            "requests_per_second = 1000",
            "",
        ]
        if daemon:
            lines += [
                "[daemon]",
                "sync_seconds = { vk = 5, ok = 5, telegram = 5 }",
                "moderate_seconds = 5",
                "notices_seconds = 3600",
                "publish_seconds = 3600",
                "",
            ]
        for net, emu in e.items():
            lines += [
                "[[accounts]]",
                f'id = "{ACCOUNT[net]}"',
                f'network = "{net}"',
                f'external_id = "{emu.ref}"',
                f'token_env = "{TOKEN_ENV[net]}"',
                "",
            ]
        self.config.write_text("\n".join(lines), encoding="utf-8")

    def stop(self) -> None:
        for emu in self.emus.values():
            emu.stop()
        self.logfile.close()

    # -- running the hub --------------------------------------------------------
    def argv(self, *args: str) -> list[str]:
        return [*hub_command(self.hub), "--config", str(self.config), *args]

    def run(self, *args: str, timeout: float = 240) -> int:
        self.logfile.write(f"\n$ hub {' '.join(args)}\n")
        self.logfile.flush()
        proc = subprocess.Popen(
            self.argv(*args), stdout=self.logfile, stderr=subprocess.STDOUT, env=self.env
        )
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            return -999

    def progress(self) -> int:
        """Every begin of an outbox action moves this (a new row, or one more attempt)."""
        if not self.db.exists():
            return 0
        try:
            conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=0.5)
            try:
                row = conn.execute(
                    "SELECT COUNT(*) + COALESCE(SUM(attempts), 0), MAX(updated_at) FROM actions"
                ).fetchone()
            finally:
                conn.close()
            return hash((row[0], row[1]))
        except sqlite3.Error:
            return -1

    def killed_run(self, delay: float, *args: str, give_up: float = 60) -> str:
        """Run, and SIGKILL ``delay`` seconds after the run first touches the outbox."""
        self.logfile.write(
            f"\n$ hub {' '.join(args)}   # SIGKILL {delay:.3f} s after its first action\n"
        )
        self.logfile.flush()
        before = self.progress()
        proc = subprocess.Popen(
            self.argv(*args), stdout=self.logfile, stderr=subprocess.STDOUT, env=self.env
        )
        started = time.monotonic()
        fired = None
        while proc.poll() is None:
            now = time.monotonic()
            if fired is None:
                p = self.progress()
                if p not in (before, -1):
                    fired = now
            if (fired is not None and now - fired >= delay) or now - started > give_up:
                proc.kill()
                proc.wait()
                self.logfile.write("  -- killed\n")
                return "killed" if fired is not None else "killed (no action seen)"
            time.sleep(0.005)
        return "finished"

    # -- figures --------------------------------------------------------------
    def figures(self) -> dict[str, object]:
        truth = {net: emu.truth() for net, emu in self.emus.items()}
        net_of = {ACCOUNT[n]: n for n in NETWORKS}
        conn = sqlite3.connect(self.db, timeout=10)
        try:
            actions = conn.execute("SELECT kind, state, idempotency_key FROM actions").fetchall()
            verdicts = conn.execute(
                "SELECT v.id, v.account_id, v.status, v.decision, v.restrict_action, "
                "c.network_id, c.author_id FROM verdicts v JOIN comments c ON c.id = v.comment_id"
            ).fetchall()
        finally:
            conn.close()
        state_of_key = {key: state for _, state, key in actions}
        stuck = [(k, s) for k, s, _ in actions if s in ("pending", "unknown")]
        f: dict[str, object] = {}
        f["actions by state"] = _by_kind([s for _, s, _ in actions]).partition(" (")[2][:-1]
        f["actions pending"] = _by_kind([k for k, s in stuck if s == "pending"])
        f["actions unknown"] = _by_kind([k for k, s in stuck if s == "unknown"])
        f["actions failed"] = _by_kind([k for k, s, _ in actions if s == "failed"])
        statuses: dict[str, int] = {}
        for v in verdicts:
            if v[3] == "delete":
                statuses[v[2]] = statuses.get(v[2], 0) + 1
        f["delete verdicts by status"] = (
            ", ".join(f"{k} {n}" for k, n in sorted(statuses.items())) or "-"
        )
        done_unrestricted = failed_up = delete_up = restrict_missing = restrict_missing_done = 0
        for vid, account, status, decision, restrict, cid, author in verdicts:
            net = net_of.get(account)
            if net is None or decision != "delete":
                continue
            live, held = truth[net]
            up = str(cid) in live
            delete_up += up
            failed_up += status == "failed" and up
            if restrict in ("ban", "mute") and author is not None:
                missing = int(author) not in held
                restrict_missing += missing
                restrict_missing_done += missing and status == "done"
                if status == "done" and net != "ok":  # OK restricts inside the deletion
                    keys = [k for k in state_of_key if k.endswith(f":verdict-{vid}")]
                    done_unrestricted += not any(state_of_key[k] == "done" for k in keys)
        f["verdicts done, ban/mute action not done"] = done_unrestricted
        f["verdicts failed, comment still up"] = failed_up
        f["comments the policy deleted, still up"] = delete_up
        f["restrictions decided, not on the network"] = (
            f"{restrict_missing} ({restrict_missing_done} of them under a done verdict)"
        )
        planted_up = planted_free = 0
        for net in NETWORKS:
            live, held = truth[net]
            first = FIRST_AUTHOR[net]
            authors = set(range(first, first + len(self._planted(net))))
            planted_free += len(authors - held)
            planted_up += len(self._planted(net) & live)
        f["planted spam still up / spammers free"] = f"{planted_up} / {planted_free}"
        f["moderation writes sent (all networks)"] = sum(
            e.write_calls() for e in self.emus.values()
        )
        return f

    def _planted(self, net: str) -> set[str]:
        """Network ids of the planted spam comments (authored by the planted authors)."""
        if not hasattr(self, "_planted_ids"):
            conn = sqlite3.connect(self.db, timeout=10)
            try:
                rows = conn.execute("SELECT account_id, network_id, author_id FROM comments")
                self._planted_ids: dict[str, set[str]] = {n: set() for n in NETWORKS}
                net_of = {ACCOUNT[n]: n for n in NETWORKS}
                for account, cid, author in rows:
                    n = net_of.get(account)
                    if (
                        n
                        and author is not None
                        and FIRST_AUTHOR[n] <= int(author) < FIRST_AUTHOR[n] + 1000
                    ):
                        self._planted_ids[n].add(str(cid))
            finally:
                conn.close()
        return self._planted_ids[net]

    def stuck_command(self) -> str:
        """What the code's own ``hub moderation stuck`` says, where it has one."""
        help_proc = subprocess.run(
            self.argv("moderation", "--help"),
            capture_output=True,
            text=True,
            env=self.env,
            timeout=60,
        )
        if "stuck" not in help_proc.stdout:
            return "(no such command)"
        proc = subprocess.run(
            self.argv("moderation", "stuck"),
            capture_output=True,
            text=True,
            env=self.env,
            timeout=120,
        )
        self.logfile.write(f"\n$ hub moderation stuck\n{proc.stdout}{proc.stderr}")
        lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
        return f"exit {proc.returncode}, {len(lines)} lines"


def _by_kind(kinds: list[str]) -> str:
    if not kinds:
        return "0"
    counts: dict[str, int] = {}
    for k in kinds:
        counts[k] = counts.get(k, 0) + 1
    return f"{len(kinds)} (" + ", ".join(f"{k} {n}" for k, n in sorted(counts.items())) + ")"


# --------------------------------------------------------------------------- scenarios


def sync_until_ok(world: World, tries: int = 4) -> int:
    for attempt in range(1, tries + 1):
        rc = world.run("sync")
        if rc == 0:
            return attempt
    return -tries


def scenario_a_kills(args) -> tuple[World, dict]:
    rng = random.Random(f"attack-a-{args.seed}")
    world = World("a", args, args.seed, slow_ms=args.slow_ms)
    info: dict[str, object] = {}
    t0 = time.monotonic()
    info["syncs"] = sync_until_ok(world)
    outcomes: dict[str, int] = {}
    delays = [rng.uniform(0, args.kill_window) for _ in range(args.kills)]
    for i, delay in enumerate(delays, 1):
        outcome = world.killed_run(delay, "moderate")
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        log(f"(a) run {i}/{args.kills}: {outcome} (delay {delay:.2f} s)")
    info["kill runs"] = ", ".join(f"{k} {n}" for k, n in sorted(outcomes.items()))
    info["after kills"] = world.figures()
    info["clean rc"] = world.run("moderate")
    info["after clean run"] = world.figures()
    info["clean ended"] = time.monotonic()
    info["seconds"] = time.monotonic() - t0
    return world, info


def scenario_a_finish(world: World, info: dict) -> dict:
    wait = info["clean ended"] + IN_FLIGHT_WAIT - time.monotonic()
    if wait > 0:
        log(f"(a) waiting {wait:.0f} s more for the in-flight minute to pass")
        time.sleep(wait)
    t0 = time.monotonic()
    info["final rcs"] = f"{world.run('moderate')}, {world.run('moderate')}"
    info["final"] = world.figures()
    info["stuck"] = world.stuck_command()
    info["seconds"] += time.monotonic() - t0
    return info


def scenario_b_faults(args) -> dict:
    world = World("b", args, args.seed + 1, fault_rate=args.fault_rate)
    info: dict[str, object] = {}
    t0 = time.monotonic()
    try:
        info["syncs"] = sync_until_ok(world)
        rcs = []
        for i in range(args.fault_runs):
            for emu in world.emus.values():
                emu.lose_answers(args.lost_answers)
            rcs.append(world.run("moderate"))
            log(f"(b) run {i + 1}/{args.fault_runs}: exit {rcs[-1]}")
        info["rcs"] = ", ".join(map(str, rcs))
        info["final"] = world.figures()
        info["stuck"] = world.stuck_command()
        stats = {n: e.stats() for n, e in world.emus.items()}
        info["http500 answered"] = ", ".join(
            f"{n} {s.get('http500', 0)}/{s.get('requests', 0)}" for n, s in stats.items()
        )
    finally:
        world.stop()
    info["seconds"] = time.monotonic() - t0
    info["folder"] = str(world.folder)
    return info


def scenario_c_daemon(args) -> dict:
    rng = random.Random(f"attack-c-{args.seed}")
    world = World("c", args, args.seed + 2, slow_ms=args.slow_ms, daemon=True)
    info: dict[str, object] = {}
    t0 = time.monotonic()
    try:
        outcomes = []
        delays = [rng.uniform(0, args.kill_window) for _ in range(args.daemon_kills)]
        for i, delay in enumerate(delays, 1):
            outcomes.append(world.killed_run(delay, "daemon"))
            log(f"(c) daemon {i}/{args.daemon_kills}: {outcomes[-1]} (delay {delay:.2f} s)")
        info["kill runs"] = ", ".join(outcomes)
        info["after kills"] = world.figures()
        info["final rc"] = world.run("daemon", "--cycles", str(args.daemon_cycles), timeout=200)
        info["final"] = world.figures()
        info["stuck"] = world.stuck_command()
    finally:
        world.stop()
    info["seconds"] = time.monotonic() - t0
    info["folder"] = str(world.folder)
    return info


# --------------------------------------------------------------------------- report


def table(columns: list[tuple[str, dict]]) -> str:
    rows: list[str] = []
    for _, figures in columns:
        for key in figures:
            if key not in rows:
                rows.append(key)
    width = max(len(r) for r in rows) + 2
    colw = [max(len(name), *(len(str(f.get(r, ""))) for r in rows)) + 2 for name, f in columns]
    out = [" " * width + "".join(name.ljust(w) for (name, _), w in zip(columns, colw, strict=True))]
    for r in rows:
        out.append(
            r.ljust(width)
            + "".join(str(f.get(r, "")).ljust(w) for (_, f), w in zip(columns, colw, strict=True))
        )
    return "\n".join(line.rstrip() for line in out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--hub",
        required=True,
        help="the hub executable to measure (or a python that has hub installed)",
    )
    parser.add_argument(
        "--emulator-hub", help="the hub executable whose emulators to run (default: --hub)"
    )
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--kills", type=int, default=22, help="(a) killed hub moderate runs")
    parser.add_argument(
        "--kill-window",
        type=float,
        default=0.7,
        help="a kill comes up to this many seconds after the run's first action",
    )
    parser.add_argument(
        "--slow-ms", type=int, default=30, help="(a), (c): every emulator request takes this long"
    )
    parser.add_argument("--fault-rate", type=float, default=0.32, help="(b) HTTP 500 rate")
    parser.add_argument(
        "--lost-answers",
        type=int,
        default=1,
        help="(b) per run, answers lost after applying, per write method",
    )
    parser.add_argument("--fault-runs", type=int, default=4, help="(b) hub moderate runs")
    parser.add_argument("--daemon-kills", type=int, default=3)
    parser.add_argument(
        "--daemon-cycles",
        type=int,
        default=16,
        help="(c) cycles of the last daemon, every interval 5 s",
    )
    parser.add_argument("--posts", type=int, default=6, help="posts per account")
    parser.add_argument("--comments", type=int, default=4, help="generated comments per post")
    parser.add_argument("--spam", default="40,25,25", help="planted spam: VK,OK,Telegram")
    parser.add_argument("--only", default="abc", help="scenarios to run, e.g. 'ac'")
    parser.add_argument("--workdir", default=None, help="where the worlds' folders go")
    args = parser.parse_args()
    args.emulator_hub = args.emulator_hub or args.hub
    args.spam = dict(zip(NETWORKS, (int(x) for x in args.spam.split(",")), strict=True))
    started = time.monotonic()
    version = subprocess.run(
        [*hub_command(args.hub), "--help"], capture_output=True, text=True
    ).returncode
    if version != 0:
        sys.exit(f"{args.hub} --help failed: is it a hub executable?")

    results: dict[str, dict] = {}
    world_a = None
    # (b) spends most of its time in the hub's back-off waits, so it runs beside (a) and (c)
    faults = None
    if "b" in args.only:

        def run_b() -> None:
            try:
                results["b"] = scenario_b_faults(args)
            except BaseException as exc:  # noqa: BLE001 - reported in the table's place
                results["b error"] = {"error": repr(exc)}

        faults = threading.Thread(target=run_b, name="scenario-b")
        faults.start()
    try:
        if "a" in args.only:
            world_a, results["a"] = scenario_a_kills(args)
            results["a"] = scenario_a_finish(world_a, results["a"])
            results["a"]["folder"] = str(world_a.folder)
        if "c" in args.only:
            results["c"] = scenario_c_daemon(args)
    finally:
        if world_a is not None:
            world_a.stop()
        if faults is not None:
            faults.join()
    if "b error" in results:
        print(f"(b) failed: {results['b error']['error']}")

    spam = "/".join(str(args.spam[n]) for n in NETWORKS)
    print(f"hub under test: {args.hub}")
    print(f"emulators from: {args.emulator_hub}")
    print(
        f"seed {args.seed}; each world: VK 1 community, OK 1 group, Telegram 1 channel, "
        f"{args.posts} posts × {args.comments} generated comments, planted spam {spam} "
        "(VK/OK/Telegram) from distinct authors"
    )
    columns: list[tuple[str, dict]] = []
    if "a" in results:
        a = results["a"]
        print(
            f"(a) {args.kills} hub moderate runs SIGKILLed 0-{args.kill_window} s after their "
            f"first action (emulators {args.slow_ms} ms a request): {a['kill runs']}; then one "
            f"clean run at once (exit {a['clean rc']}), then after ≥{IN_FLIGHT_WAIT:.0f} s two "
            f"more (exit {a['final rcs']}); hub moderation stuck: {a['stuck']}; "
            f"{a['seconds']:.0f} s of its own; {a['folder']}"
        )
        columns += [
            ("(a) after kills", a["after kills"]),
            ("(a) +1 run", a["after clean run"]),
            ("(a) +61 s, 2 runs", a["final"]),
        ]
    if "b" in results:
        b = results["b"]
        print(
            f"(b) HTTP 500 on {args.fault_rate:.0%} of API requests, {args.lost_answers} answer "
            f"lost per moderation write method per run; sync took {b['syncs']} attempt(s); "
            f"{args.fault_runs} hub moderate runs (exit {b['rcs']}); 500s answered "
            f"{b['http500 answered']}; hub moderation stuck: {b['stuck']}; "
            f"{b['seconds']:.0f} s; {b['folder']}"
        )
        columns.append(("(b) faults", b["final"]))
    if "c" in results:
        c = results["c"]
        print(
            f"(c) hub daemon SIGKILLed {args.daemon_kills} times 0-{args.kill_window} s after "
            f"an action began ({c['kill runs']}), then hub daemon --cycles "
            f"{args.daemon_cycles} (exit {c['final rc']}; intervals 5 s); hub moderation "
            f"stuck: {c['stuck']}; {c['seconds']:.0f} s; {c['folder']}"
        )
        columns += [("(c) after kills", c["after kills"]), ("(c) final", c["final"])]
    print()
    print(table(columns))
    print(f"\ntotal {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
