"""``hub demo``: the whole loop on a fresh machine, against the built-in emulators.

Starts the VK and OK emulators on free loopback ports, writes a config and a
fresh SQLite database, syncs, lets new activity arrive, syncs again (fetching
only what changed), then deletes spam comments and restricts their authors —
twice, to show that repeating an action is safe. Everything it starts, it stops.
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
from .store import Store
from .sync import run_sync

VK_TOKEN_ENV, OK_TOKEN_ENV, OK_SECRET_ENV = (
    "HUB_DEMO_VK_TOKEN",
    "HUB_DEMO_OK_TOKEN",
    "HUB_DEMO_OK_SECRET",
)
SPAM_SQL = (
    "SELECT c.id, c.account_id, c.author_id, c.text FROM comments c "
    "JOIN accounts a ON a.id = c.account_id WHERE a.network = ? AND c.deleted_at IS NULL "
    "AND c.author_id > 0 ORDER BY (c.text LIKE '%Заработок%' OR c.text LIKE '%ЛС%' "
    "OR c.text LIKE '%http%') DESC, c.id LIMIT 1"
)


def _config(folder: Path, vk, ok) -> Config:
    accounts = [
        {
            "id": f"vk-{n}",
            "network": "vk",
            "external_id": str(gid),
            "token_env": VK_TOKEN_ENV,
            "organization": vk.state.communities[gid].name,
        }
        for n, gid in enumerate(vk.community_ids(), start=1)
    ] + [
        {"id": f"ok-{n}", "network": "ok", "external_id": str(gid), "token_env": OK_TOKEN_ENV}
        for n, gid in enumerate(ok.group_ids(), start=1)
    ]
    return parse_config(
        {
            "database": {"path": str(folder / "hub.db")},
            "networks": {
                "vk": {"api_base": vk.url, "requests_per_second": 3},
                "ok": {
                    "api_base": ok.url,
                    "application_key": "DEMOOKAPPKEY",
                    "application_secret_key_env": OK_SECRET_ENV,
                    "requests_per_second": 5,
                },
            },
            "accounts": accounts,
        }
    )


def run_demo(directory: str | None) -> None:
    from hub_ok.emulator import OkEmulator  # the demo needs the built-in plugins
    from hub_vk.emulator import VkEmulator

    folder = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="hub-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    os.environ.update(
        {
            VK_TOKEN_ENV: "demo-vk-token",
            OK_TOKEN_ENV: "demo-ok-token",
            OK_SECRET_ENV: "demo-ok-app-secret",
        }
    )
    with contextlib.ExitStack() as stack:
        vk = stack.enter_context(VkEmulator(seed=7, communities=3, posts=20, comments=8))
        ok = stack.enter_context(OkEmulator(seed=7, groups=2, topics=15, comments=6, rate_limit=6))
        click.echo(f"VK emulator on {vk.url}, OK emulator on {ok.url}")
        config = _config(folder, vk, ok)
        config.db_path.unlink(missing_ok=True)
        store = stack.enter_context(contextlib.closing(Store.open(config.db_path)))
        pm = plugins.make_plugin_manager()

        def sync(title: str) -> None:
            before = vk.stats()["requests"] + ok.stats()["requests"]
            runs = asyncio.run(run_sync(store, pm, config, config.accounts))
            spent = vk.stats()["requests"] + ok.stats()["requests"] - before
            click.echo(f"\n{title} ({spent} HTTP requests):")
            for run in runs:
                click.echo(f"  {run.summary()}")

        sync("first sync")
        _new_activity(vk, ok)
        sync("second sync, only what changed")
        _moderate(store, pm, config)
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


def _new_activity(vk, ok) -> None:
    gid = vk.community_ids()[0]
    posts = vk.snapshot()["communities"][str(gid)]["posts"]
    newest = max((p for p in posts if posts[p]["comments"]), key=int)
    vk.delete_comment(gid, posts[newest]["comments"][0])
    post_id = vk.add_post(gid, "Уважаемые жители! В субботу — субботник в парке.", comments=3)
    group = ok.group_ids()[0]
    ok.add_topic(group, "Приглашаем на встречу с главой поселения в четверг.", comments=2)
    click.echo(
        f"\n(meanwhile: VK post {post_id} with 3 comments and one comment deleted; "
        "a new OK topic with 2 comments)"
    )


def _moderate(store: Store, pm, config: Config) -> None:
    for network in ("vk", "ok"):
        comment_id, account_id, author_id, text = store.db.execute(SPAM_SQL, [network]).fetchone()
        click.echo(
            f"\noperator on {network.upper()}: delete #{comment_id} «{text[:50]}» "
            "and restrict its author"
        )
        for again in ("", " (again: safe to repeat)"):
            outcome = asyncio.run(
                delete_comment(
                    store, pm, config, str(comment_id), "demo", block_author=network == "ok"
                )
            )
            click.echo(f"  {outcome.summary(f'delete #{comment_id}')}{again}")
            if network == "vk":  # OK has no separate ban: it blocked the author while deleting
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
