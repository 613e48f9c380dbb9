"""Benchmark: the content plan's publishing and the weekly compliance report.

Part 1 publishes approved drafts through the real plugins against the three emulators
(in this process, limiters off) and prints HTTP requests and time per publication; then
loses one answer per network after the post was created and prints what the
reconciliation costs (a sync of that account) and that the post exists once.

Part 2 builds a large synthetic database (accounts × posts a week × comments) and times
``hub compliance`` for one week, table and JSON.

    python bench/plan.py                         # 30 drafts; 300 accounts × 60 posts
    python bench/plan.py --drafts 100 --accounts 500 --posts 100
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from hub import plugins
from hub.compliance import compliance_report, network_page_fields
from hub.compliance.render import to_json, to_table
from hub.compliance.week import week_of
from hub.config import load_config, parse_config
from hub.plan import drafts, publish
from hub.plan.settings import parse_plan
from hub.sandbox.demo import TOKENS, _config_text
from hub.store import Store
from hub.sync import run_sync
from hub_ok.emulator import OkEmulator
from hub_telegram.emulator import TelegramEmulator
from hub_vk.emulator import VkEmulator

WRITE = {"vk": "wall.post", "ok": "mediatopic.post", "telegram": "sendMessage"}


def _requests(emus) -> dict[str, int]:
    return {name: emu.stats()["requests"] for name, emu in emus.items()}


def bench_publishing(n_drafts: int) -> None:
    os.environ.update(TOKENS)
    folder = Path(tempfile.mkdtemp(prefix="hub-bench-plan-"))
    with contextlib.ExitStack() as stack:
        emus = {
            "vk": stack.enter_context(VkEmulator(seed=5, communities=1, posts=20, comments=3,
                                                 rate_limit=0)),
            "ok": stack.enter_context(OkEmulator(seed=5, groups=1, topics=20, comments=3,
                                                 rate_limit=0)),
            "telegram": stack.enter_context(TelegramEmulator(
                seed=5, channels=1, posts=20, comments=3, tokens=[TOKENS["HUB_DEMO_TG_TOKEN"]])),
        }  # fmt: skip
        path = folder / "hub.toml"
        text = _config_text(folder, emus["vk"], emus["ok"], emus["telegram"],
                            SimpleNamespace(base_url="http://127.0.0.1:9"))  # fmt: skip
        path.write_text(text.replace("requests_per_second = 20", "requests_per_second = 100000"))
        config = load_config(path)
        pm = plugins.make_plugin_manager()
        store = stack.enter_context(contextlib.closing(Store.open(config.db_path)))
        accounts = [next(a for a in config.accounts if a.network == n) for n in WRITE]
        asyncio.run(run_sync(store, pm, config, accounts))
        now = drafts.parse_when("now", parse_plan(config.raw))
        for i in range(n_drafts):
            draft, _ = drafts.add_draft(
                store, pm, config, accounts=accounts, publish_at=now, created_by="bench",
                text=f"Новость номер {i}: в субботу субботник в парке, приходите всей семьёй.",
            )  # fmt: skip
            drafts.approve(store, config, draft.id, "bench")
        before = _requests(emus)
        started = time.perf_counter()
        outcomes = asyncio.run(publish.publish_due(store, pm, config))
        seconds = time.perf_counter() - started
        after = _requests(emus)
        ok = sum(o.state == "published" for o in outcomes)
        print(
            f"publishing: {n_drafts} drafts × 3 networks = {len(outcomes)} publications, "
            f"{ok} published in {seconds:.2f} s ({seconds / len(outcomes) * 1000:.0f} ms each)"
        )
        for name in WRITE:
            per = (after[name] - before[name]) / n_drafts
            print(f"  {name:<9} {per:.1f} HTTP requests per publication")
        for account in accounts:
            network = account.network
            draft, _ = drafts.add_draft(
                store, pm, config, accounts=[account], publish_at=now, created_by="bench",
                text=f"Проверка потерянного ответа ({network}): приём граждан в четверг.",
            )  # fmt: skip
            drafts.approve(store, config, draft.id, "bench")
            emus[network].lose_answers(WRITE[network])
            asyncio.run(publish.publish_due(store, pm, config))  # → unknown
            before = _requests(emus)[network]
            started = time.perf_counter()
            [outcome] = asyncio.run(publish.publish_due(store, pm, config))
            seconds = time.perf_counter() - started
            cost = _requests(emus)[network] - before
            attempts = drafts.load_draft(store, draft.id).targets[0].attempts
            print(
                f"  lost answer on {network:<9}: reconciled to {outcome.state} with {cost} "
                f"requests in {seconds:.2f} s, sent {attempts} time(s)"
            )


def _synthetic(folder: Path, n_accounts: int, posts: int, comments: int):
    networks = ["vk", "ok", "telegram"]
    raw = {
        "database": {"path": str(folder / "big.db")},
        "plan": {"time_zone": "Asia/Vladivostok"},
        "accounts": [
            {"id": f"a{i}", "network": networks[i % 3], "external_id": str(1000 + i),
             "organization": f"Организация {i // 5}", "token_env": "HUB_BENCH_TOKEN"}
            for i in range(n_accounts)
        ],
    }  # fmt: skip
    config = parse_config(raw)
    store = Store.open(config.db_path)
    store.sync_accounts_from_config(config.accounts)
    rng = random.Random(1)
    week_start = datetime.now(UTC) - timedelta(days=14)
    post_rows, comment_rows = [], []
    pid = 0
    for i in range(n_accounts):
        for _ in range(posts):
            pid += 1
            at = week_start + timedelta(seconds=rng.randrange(21 * 86400))
            post_rows.append((pid, f"a{i}", pid, -(1000 + i), at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                              "Новость"))  # fmt: skip
            for c in range(comments):
                comment_rows.append((f"a{i}", pid, pid * 100 + c, pid,
                                     at.strftime("%Y-%m-%dT%H:%M:%SZ"), "Спасибо"))  # fmt: skip
    with store.transaction():
        store.db.conn.executemany(
            "INSERT INTO posts (id, account_id, network_id, author_id, published_at, text) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            post_rows,
        )
        store.db.conn.executemany(
            "INSERT INTO comments (account_id, post_id, network_id, post_network_id, "
            "published_at, text) VALUES (?, ?, ?, ?, ?, ?)",
            comment_rows,
        )
    return config, store, len(post_rows), len(comment_rows)


def bench_compliance(n_accounts: int, posts: int, comments: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="hub-bench-compliance-"))
    config, store, n_posts, n_comments = _synthetic(folder, n_accounts, posts, comments)
    fields = network_page_fields(plugins.make_plugin_manager())
    week = week_of(datetime.now(UTC) - timedelta(days=7), parse_plan(config.raw).time_zone)
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        report = compliance_report(store, config, week, page_fields=fields)
        to_table(report), to_json(report)
        timings.append(time.perf_counter() - started)
    print(
        f"compliance: {n_accounts} accounts, {n_posts:,} posts, {n_comments:,} comments; "
        f"week {week}: best {min(timings):.2f} s, worst {max(timings):.2f} s "
        f"({len(report['accounts'])} account lines)"
    )
    store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drafts", type=int, default=30)
    parser.add_argument("--accounts", type=int, default=300)
    parser.add_argument("--posts", type=int, default=60, help="posts per account over 3 weeks")
    parser.add_argument("--comments", type=int, default=5, help="comments per post")
    args = parser.parse_args(argv)
    bench_publishing(args.drafts)
    bench_compliance(args.accounts, args.posts, args.comments)
    return 0


if __name__ == "__main__":
    sys.exit(main())
