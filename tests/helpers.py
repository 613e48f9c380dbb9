"""Shared helpers for tests that run the hub against the VK emulator."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from hub import plugins
from hub.config import Config, load_config
from hub.store import Store
from hub.sync import run_sync

#: the tests' folder and the repository, for data files and docs
TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent

TOKEN = "vk1.a.test-admin-token-0001"
TOKEN_ENV = "HUB_VK_TOKEN_TEST"


def write_config(
    folder: Path,
    emu,
    *,
    rps: float = 1000,
    token_env: str = TOKEN_ENV,
    ids: list[int] | None = None,
    extra: str = "",
) -> Path:
    ids = ids if ids is not None else emu.community_ids()
    lines = [
        "[database]",
        'path = "hub.db"',
        "",
        "[networks.vk]",
        f'api_base = "{emu.url}"',
        f"requests_per_second = {rps}",
        extra,
        "",
    ]
    for n, gid in enumerate(ids, start=1):
        lines += [
            "[[accounts]]",
            f'id = "acc-{n}"',
            'network = "vk"',
            f'external_id = "{gid}"',
            f'organization = "Организация {n}"',
            f'token_env = "{token_env}"',
            "",
        ]
    path = folder / "hub.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def sync(config: Config | Path, *, full: bool = False, names=None):
    config = load_config(config) if isinstance(config, Path) else config
    store = Store.open(config.db_path)
    try:
        accounts = [config.account(n) for n in names] if names else config.accounts
        return asyncio.run(
            run_sync(store, plugins.make_plugin_manager(), config, accounts, full=full)
        )
    finally:
        store.close()


def db_state(db_path: Path) -> dict[str, dict]:
    """What the database holds per community, in the emulator snapshot's shape."""
    conn = sqlite3.connect(db_path)
    out: dict[str, dict] = {}
    accounts = dict(conn.execute("SELECT id, external_id FROM accounts"))
    for account_id, gid in accounts.items():
        posts = {}
        for (pid,) in conn.execute(
            "SELECT network_id FROM posts WHERE account_id = ? AND deleted_at IS NULL",
            [account_id],
        ):
            comments = [
                r[0]
                for r in conn.execute(
                    "SELECT network_id FROM comments WHERE account_id = ? AND post_network_id = ? "
                    "AND deleted_at IS NULL ORDER BY network_id",
                    [account_id, pid],
                )
            ]
            posts[str(pid)] = sorted(comments)
        out[str(gid)] = posts
    conn.close()
    return out


def emulator_state(emu) -> dict[str, dict]:
    snap = emu.snapshot()["communities"]
    return {
        gid: {pid: sorted(p["comments"]) for pid, p in c["posts"].items()}
        for gid, c in snap.items()
    }


def duplicates(db_path: Path) -> int:
    conn = sqlite3.connect(db_path)
    n = conn.execute(
        "SELECT (SELECT COUNT(*) - COUNT(DISTINCT account_id || ':' || network_id) FROM posts) + "
        "(SELECT COUNT(*) - COUNT(DISTINCT account_id || ':' || network_id) FROM comments)"
    ).fetchone()[0]
    conn.close()
    return n
