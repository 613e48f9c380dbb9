"""``hub demo``: the whole loop on a fresh machine, against the built-in emulators.

Starts the VK, OK and Telegram emulators on free loopback ports, writes a config
and a fresh SQLite database, syncs, lets new activity arrive, syncs again
(fetching only what changed), then deletes a spam comment on each network and
restricts its author — twice, to show that repeating an action is safe.
Everything it starts, it stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from pathlib import Path

import click

from . import plugins
from .actions import ban_user, delete_comment
from .config import Config, parse_config
from .sample_texts import SPAM
from .store import Store
from .sync import run_sync

TOKENS = {
    "HUB_DEMO_VK_TOKEN": "demo-vk-token",
    "HUB_DEMO_OK_TOKEN": "demo-ok-token",
    "HUB_DEMO_OK_SECRET": "demo-ok-app-secret",
    "HUB_DEMO_TG_TOKEN": "123456789:AAH-demo-telegram-token",
}
COMMENTS_SQL = (
    "SELECT c.id, c.account_id, c.author_id, c.text FROM comments c "
    "JOIN accounts a ON a.id = c.account_id WHERE a.network = ? AND c.deleted_at IS NULL "
    "ORDER BY c.id DESC"
)


def _account(network: str, n: int, ref, token_env: str) -> dict:
    prefix = "tg" if network == "telegram" else network
    return {
        "id": f"{prefix}-{n}",
        "network": network,
        "external_id": str(ref),
        "token_env": token_env,
    }


def _config(folder: Path, vk, ok, tg) -> Config:
    accounts = [
        *(
            _account("vk", n, gid, "HUB_DEMO_VK_TOKEN")
            for n, gid in enumerate(vk.community_ids(), start=1)
        ),
        *(
            _account("ok", n, gid, "HUB_DEMO_OK_TOKEN")
            for n, gid in enumerate(ok.group_ids(), start=1)
        ),
        *(
            _account("telegram", n, ref, "HUB_DEMO_TG_TOKEN")
            for n, ref in enumerate(tg.channel_refs(), start=1)
        ),
    ]
    return parse_config(
        {
            "database": {"path": str(folder / "hub.db")},
            "networks": {
                "vk": {"api_base": vk.url, "requests_per_second": 3},
                "ok": {
                    "api_base": ok.url,
                    "application_key": "DEMOOKAPPKEY",
                    "application_secret_key_env": "HUB_DEMO_OK_SECRET",
                    "requests_per_second": 5,
                },
                "telegram": {"api_base": tg.url},
            },
            "accounts": accounts,
        }
    )


def run_demo(directory: str | None) -> None:
    from hub_ok.emulator import OkEmulator  # the demo needs the built-in plugins
    from hub_telegram.emulator import TelegramEmulator
    from hub_vk.emulator import VkEmulator

    folder = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="hub-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    os.environ.update(TOKENS)
    with contextlib.ExitStack() as stack:
        vk = stack.enter_context(VkEmulator(seed=7, communities=3, posts=20, comments=8))
        ok = stack.enter_context(OkEmulator(seed=7, groups=2, topics=15, comments=6, rate_limit=6))
        tg = stack.enter_context(
            TelegramEmulator(
                seed=7, channels=1, posts=10, comments=5, tokens=[TOKENS["HUB_DEMO_TG_TOKEN"]]
            )
        )
        emulators = (vk, ok, tg)
        click.echo(f"emulators: VK {vk.url}, OK {ok.url}, Telegram {tg.url}")
        config = _config(folder, vk, ok, tg)
        config.db_path.unlink(missing_ok=True)
        store = stack.enter_context(contextlib.closing(Store.open(config.db_path)))
        pm = plugins.make_plugin_manager()

        def sync(title: str) -> None:
            before = sum(e.stats()["requests"] for e in emulators)
            runs = asyncio.run(run_sync(store, pm, config, config.accounts))
            spent = sum(e.stats()["requests"] for e in emulators) - before
            click.echo(f"\n{title} ({spent} HTTP requests):")
            for run in runs:
                click.echo(f"  {run.summary()}")

        sync("first sync")
        _new_activity(vk, ok, tg)
        sync("second sync, only what changed")
        _moderate(store, pm, config)
        _engine(store, pm, config)
        totals = store.db.execute(
            "SELECT (SELECT COUNT(*) FROM posts), (SELECT COUNT(*) FROM comments), "
            "(SELECT COUNT(*) FROM comments WHERE deleted_at IS NOT NULL), "
            "(SELECT COUNT(*) FROM actions WHERE state = 'done')"
        ).fetchone()
    click.echo(
        f"\ndatabase {config.db_path}: {totals[0]} posts, {totals[1]} comments "
        f"({totals[2]} marked deleted), {totals[3]} moderation actions recorded"
    )
    click.echo(f"try: sqlite3 {config.db_path} 'SELECT account_id, text FROM comments LIMIT 5'")


def _new_activity(vk, ok, tg) -> None:
    gid = vk.community_ids()[0]
    posts = vk.snapshot()["communities"][str(gid)]["posts"]
    newest = max((p for p in posts if posts[p]["comments"]), key=int)
    vk.delete_comment(gid, posts[newest]["comments"][0])
    post_id = vk.add_post(gid, "Уважаемые жители! В субботу — субботник в парке.", comments=3)
    ok.add_topic(ok.group_ids()[0], "Приглашаем на встречу с главой поселения.", comments=2)
    tg.add_post(tg.channel_refs()[0], "Внимание: завтра плановое отключение света.", comments=3)
    click.echo(
        f"\n(meanwhile: VK post {post_id} with 3 comments and one comment deleted; "
        "a new OK topic with 2 comments; a Telegram post with 3 comments)"
    )


def _moderate(store: Store, pm, config: Config) -> None:
    for network in ("vk", "ok", "telegram"):
        spam = [row for row in store.db.execute(COMMENTS_SQL, [network]) if row[3] in SPAM]
        if not spam:
            click.echo(f"\n{network}: no spam among the synced comments, nothing to delete")
            continue
        comment_id, account_id, author_id, text = spam[0]
        click.echo(
            f"\noperator on {network}: delete #{comment_id} «{text[:50]}» and restrict its author"
        )
        for again in ("", " (again: safe to repeat)"):
            # OK blocks and Telegram mutes the author as part of the deletion; VK bans apart
            outcome = asyncio.run(
                delete_comment(
                    store, pm, config, str(comment_id), "demo", block_author=network != "vk"
                )
            )
            click.echo(f"  {outcome.summary(f'delete #{comment_id}')}{again}")
            if network == "vk":
                outcome = asyncio.run(
                    ban_user(
                        store,
                        pm,
                        config,
                        account_id,
                        str(author_id),
                        days=7,
                        reason="спам",
                        category="spam",
                        requested_by="demo",
                    )
                )
                click.echo(f"  {outcome.summary(f'ban user {author_id}')}{again}")


def _engine(store: Store, pm, config: Config) -> None:
    """The rule engine judges every comment not yet judged, under the default policy."""
    from .moderation import service

    report = asyncio.run(service.moderate(store, pm, config, config.accounts))
    counts = report.counts()
    click.echo(
        f"\nhub moderate: {len(report.judged)} comments judged — {counts['keep']} kept, "
        f"{counts['review']} queued for an operator, {counts['delete']} deleted"
    )
    shown = [i for i in report.judged if i.decision != "keep"][:6]
    for item in shown:
        v = item.verdict
        click.echo(f"  {item.decision:<6} {item.account.id} «{item.text[:45]}» — {v.reason}")
    criticism = sum(1 for i in report.judged if i.verdict.criticism)
    click.echo(f"  criticism recognised and kept for an answer: {criticism} comments")
