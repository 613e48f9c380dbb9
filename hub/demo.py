"""``hub demo``: the whole loop on a fresh machine, against the built-in VK emulator.

Starts the emulator on a free loopback port, writes a config and a fresh SQLite
database, syncs, lets new activity arrive, syncs again (fetching only what
changed), then deletes a spam comment and bans its author — twice, to show that
repeating an action is safe. Everything it starts, it stops.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

import click

from . import plugins
from .actions import ban_user, delete_comment
from .config import load_config
from .store import Store
from .sync import run_sync

TOKEN_ENV = "HUB_DEMO_VK_TOKEN"
DEMO_TOKEN = "demo-vk-token"


def _config_text(db: str, api_base: str, community_ids: list[int], names: list[str]) -> str:
    lines = [
        "[database]",
        f'path = "{db}"',
        "",
        "[networks.vk]",
        f'api_base = "{api_base}"',
        'api_version = "5.199"',
        "requests_per_second = 3",
        "",
    ]
    for n, (gid, name) in enumerate(zip(community_ids, names, strict=True), start=1):
        lines += [
            "[[accounts]]",
            f'id = "demo-vk-{n}"',
            'network = "vk"',
            f'external_id = "{gid}"',
            f'organization = "{name}"',
            f'token_env = "{TOKEN_ENV}"',
            "",
        ]
    return "\n".join(lines)


def run_demo(directory: str | None) -> None:
    from hub_vk.emulator import VkEmulator  # the demo needs the built-in VK plugin

    folder = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="hub-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    with VkEmulator(
        seed=7, communities=3, posts=20, comments=8, rate_limit=3, tokens=[DEMO_TOKEN]
    ) as emu:
        names = [emu.state.communities[g].name for g in emu.community_ids()]
        config_file = folder / "hub.toml"
        config_file.write_text(
            _config_text("hub.db", emu.url, emu.community_ids(), names), encoding="utf-8"
        )
        os.environ[TOKEN_ENV] = DEMO_TOKEN
        click.echo(f"VK emulator on {emu.url}; config {config_file}")
        config = load_config(config_file)
        if config.db_path.exists():
            config.db_path.unlink()
        store = Store.open(config.db_path)
        pm = plugins.make_plugin_manager()

        def sync(title: str) -> None:
            before = emu.stats()["requests"]
            runs = asyncio.run(run_sync(store, pm, config, config.accounts))
            click.echo(f"\n{title} ({emu.stats()['requests'] - before} HTTP requests):")
            for run in runs:
                click.echo(f"  {run.summary()}")

        sync("first sync")
        first = emu.community_ids()[0]
        post_id = emu.add_post(
            first, "Уважаемые жители! В субботу — субботник в парке.", comments=3
        )
        live = emu.snapshot()["communities"][str(first)]["posts"]
        some_post = max((p for p in live if live[p]["comments"]), key=int)
        emu.delete_comment(first, live[some_post]["comments"][0])
        click.echo(f"\n(meanwhile on VK: new post {post_id} with 3 comments, one comment deleted)")
        sync("second sync, only what changed")

        spam = (
            store.db.execute(
                "SELECT id, account_id, author_id, text FROM comments WHERE deleted_at IS NULL "
                "AND (text LIKE '%Заработок%' OR text LIKE '%в ЛС%' OR text LIKE '%http%') "
                "AND author_id > 0 ORDER BY id LIMIT 1"
            ).fetchone()
            or store.db.execute(
                "SELECT id, account_id, author_id, text FROM comments WHERE deleted_at IS NULL "
                "AND author_id > 0 ORDER BY id LIMIT 1"
            ).fetchone()
        )
        comment_id, account_id, author_id, text = spam
        click.echo(f"\noperator: delete comment #{comment_id} «{text[:60]}» and ban its author")
        for attempt in ("", " (again: safe to repeat)"):
            outcome = asyncio.run(delete_comment(store, pm, config, str(comment_id), "demo"))
            click.echo(f"  {outcome.summary('delete comment #' + str(comment_id))}{attempt}")
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
            click.echo(f"  {outcome.summary(f'ban user {author_id}')}{attempt}")
        totals = store.db.execute(
            "SELECT (SELECT COUNT(*) FROM posts), (SELECT COUNT(*) FROM comments), "
            "(SELECT COUNT(*) FROM comments WHERE deleted_at IS NOT NULL), "
            "(SELECT COUNT(*) FROM actions WHERE state = 'done')"
        ).fetchone()
        store.close()
    click.echo(
        f"\ndatabase {config.db_path}: {totals[0]} posts, {totals[1]} comments "
        f"({totals[2]} marked deleted), {totals[3]} moderation actions recorded"
    )
    click.echo(f"try: sqlite3 {config.db_path} 'SELECT account_id, text FROM comments LIMIT 5'")
