"""Telegram end to end against its emulator: the update stream, its failures, moderation, checks."""

from __future__ import annotations

import asyncio
import fcntl
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from hub import plugins
from hub.actions.commands import ban_user, delete_comment, restrict_user
from hub.config import parse_config
from hub.errors import HubError
from hub.store import Store
from hub.sync import check_account, run_sync
from hub.testing import TOKEN_ENV, stored_state
from hub_telegram.emulator.driver import TelegramDriver
from tests.cli.test_cli import hub


def make_config(tmp_path, emu):
    return parse_config(
        {
            "database": {"path": str(tmp_path / "hub.db")},
            "networks": {"telegram": {"api_base": emu.url, "requests_per_second": 1000}},
            "accounts": [
                {"id": f"tg-{n}", "network": "telegram", "external_id": ref, "token_env": TOKEN_ENV}
                for n, ref in enumerate(emu.channel_refs())
            ],
        }
    )


def write_toml(tmp_path, emu):
    lines = [
        "[database]",
        'path = "hub.db"',
        "",
        "[networks.telegram]",
        f'api_base = "{emu.url}"',
        "requests_per_second = 1000",
        "",
    ]
    for n, ref in enumerate(emu.channel_refs()):
        lines += [
            "[[accounts]]",
            f'id = "tg-{n}"',
            'network = "telegram"',
            f'external_id = "{ref}"',
            f'token_env = "{TOKEN_ENV}"',
            "",
        ]
    path = tmp_path / "hub.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.fixture
def emu(monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, TelegramDriver.token)
    with TelegramDriver.start(posts=15, comments=6) as emulator:
        yield emulator


def sync(config):
    store = Store.open(config.db_path)
    try:
        return asyncio.run(run_sync(store, plugins.make_plugin_manager(), config, config.accounts))
    finally:
        store.close()


def test_stream_brings_posts_threads_and_early_comments(tmp_path, emu):
    config = make_config(tmp_path, emu)
    runs = sync(config)
    assert all(r.ok for r in runs), [r.summary() for r in runs]
    assert stored_state(config.db_path) == TelegramDriver(emu).state()
    conn = sqlite3.connect(config.db_path)
    assert conn.execute("SELECT COUNT(*) FROM orphan_comments").fetchone()[0] == 0
    nested = conn.execute("SELECT COUNT(*) FROM comments WHERE parent_network_id IS NOT NULL")
    assert nested.fetchone()[0] > 0  # replies keep their parent
    assert conn.execute("SELECT COUNT(*) FROM comments WHERE post_id IS NULL").fetchone()[0] == 0
    ref = emu.channel_refs()[0]
    emu.edit_post(ref, int(max(TelegramDriver(emu).state()[ref], key=int)), "Исправленный пост")
    runs = sync(config)
    assert runs[0].posts_updated == 1 and runs[0].posts_new == 0


def test_crash_between_storing_and_confirming_loses_and_doubles_nothing(tmp_path, emu):
    """SIGKILL the CLI while its read that would confirm a stored batch is in flight."""
    path = write_toml(tmp_path, emu)
    emu.set_faults(slow_ms=150)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env[TOKEN_ENV] = TelegramDriver.token
    proc = subprocess.Popen(
        [sys.executable, "-m", "hub", "--config", str(path), "sync"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while emu.stats()["by_method"].get("getUpdates", 0) < 2 and proc.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    conn = sqlite3.connect(tmp_path / "hub.db")
    stored_before = conn.execute("SELECT COUNT(*) FROM posts").fetchone()[0]
    assert stored_before > 0  # the first batch was stored, its confirmation never sent
    emu.set_faults(slow_ms=0)
    config = make_config(tmp_path, emu)
    runs = sync(config)
    assert all(r.ok for r in runs)
    assert stored_state(config.db_path) == TelegramDriver(emu).state()
    dupes = conn.execute(
        "SELECT COUNT(*) - COUNT(DISTINCT account_id || ':' || network_id) FROM comments"
    ).fetchone()[0]
    assert dupes == 0


def test_409_from_telegram_stops_with_a_clear_message(tmp_path, emu):
    config = make_config(tmp_path, emu)
    emu.set_faults(conflict=1)
    runs = sync(config)
    assert all(r.status == "failed" for r in runs)
    assert "one bot token feeds one poller" in runs[0].error


def test_a_second_process_polling_the_same_token_is_refused(tmp_path, emu):
    path = write_toml(tmp_path, emu)
    assert (
        hub("--config", str(path), "sync", env_extra={TOKEN_ENV: TelegramDriver.token}).returncode
        == 0
    )
    locks = list(tmp_path.glob("hub.db.telegram-*.lock"))
    assert len(locks) == 1
    with open(locks[0], "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = hub("--config", str(path), "sync", env_extra={TOKEN_ENV: TelegramDriver.token})
    assert result.returncode == 1 and "already reading this bot's updates" in result.stdout


def test_updates_past_retention_are_lost_and_a_long_pause_is_reported(tmp_path, emu):
    config = make_config(tmp_path, emu)
    sync(config)
    ref = emu.channel_refs()[0]
    lost = emu.add_post(ref, "Пост, который никто не прочитал", comments=2)
    emu.advance_clock(25 * 3600)
    conn = sqlite3.connect(config.db_path)
    conn.execute("UPDATE poll_state SET last_polled_at = '2000-01-01T00:00:00Z'")
    conn.commit()
    runs = sync(config)
    assert "possible loss" in runs[0].summary()
    assert (
        conn.execute("SELECT COUNT(*) FROM posts WHERE network_id = ?", [lost]).fetchone()[0] == 0
    )
    assert conn.execute("SELECT COUNT(*) FROM sync_gaps").fetchone()[0] == 1


def _comment(store, where):
    return store.db.execute(
        f"SELECT id, account_id, author_id, network_id FROM comments WHERE {where} "
        "AND deleted_at IS NULL ORDER BY id DESC LIMIT 1"
    ).fetchone()


def test_moderation_delete_mute_ban_and_sender_chats(tmp_path, emu):
    config = make_config(tmp_path, emu)
    sync(config)
    store = Store.open(config.db_path)
    pm = plugins.make_plugin_manager()
    ref = emu.channel_refs()[0]
    channel = emu.channel_id(ref)
    local, account_id, author, mid = _comment(store, "account_id = 'tg-0' AND author_id > 0")
    out = asyncio.run(delete_comment(store, pm, config, str(local), block_author=True))
    assert out.result.done and "muted" in out.result.detail
    assert (
        emu.is_restricted(ref, author)
        and mid in emu.snapshot()["channels"][ref]["deleted_comments"]
    )
    again = asyncio.run(delete_comment(store, pm, config, str(local)))
    assert again.result.already
    # a comment posted as a foreign channel: that channel is banned from commenting
    foreign = _comment(
        store,
        f"account_id = 'tg-0' AND author_id < 0 AND author_id != {channel} "
        f"AND author_id != {emu.group_id(ref)}",
    )
    assert foreign, "the emulator's data has comments posted as other channels"
    asyncio.run(delete_comment(store, pm, config, str(foreign[0]), block_author=True))
    assert emu.sender_chat_banned(ref, foreign[2])
    # the channel's own replies are the administration's voice: never acted on
    own = _comment(store, f"account_id = 'tg-0' AND author_id = {channel}")
    assert own, "the emulator's data has the channel answering in its comments"
    with pytest.raises(HubError, match="administration's own voice"):
        asyncio.run(delete_comment(store, pm, config, str(own[0])))
    other = _comment(store, f"account_id = 'tg-0' AND author_id > 0 AND author_id != {author}")
    muted = asyncio.run(restrict_user(store, pm, config, "tg-0", str(other[2]), days=3, reason="x"))
    assert muted.result.done and emu.is_restricted(ref, other[2])
    banned = asyncio.run(
        ban_user(store, pm, config, "tg-0", str(other[2]), days=None, reason="спам")
    )
    assert banned.result.done and emu.is_banned(ref, other[2])
    # Telegram removed everything they wrote there, and told no bot: the database says so too
    live = store.db.execute(
        "SELECT COUNT(*) FROM comments WHERE account_id = 'tg-0' AND author_id = ? "
        "AND deleted_at IS NULL",
        [other[2]],
    ).fetchone()[0]
    assert live == 0 and stored_state(config.db_path) == TelegramDriver(emu).state()
    store.close()


def test_a_comment_older_than_48_hours_is_left_to_a_person(tmp_path, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, TelegramDriver.token)
    # the channel lived 60 hours ago: its comments are past Telegram's 48-hour delete window
    with TelegramDriver.start(now=time.time() - 60 * 3600) as emu:
        config = make_config(tmp_path, emu)
        sync(config)
        store = Store.open(config.db_path)
        local = _comment(store, "author_id > 0")[0]
        out = asyncio.run(delete_comment(store, plugins.make_plugin_manager(), config, str(local)))
        assert out.result.manual and not out.result.done and "48 hours" in out.result.detail
        state = store.db.execute("SELECT state FROM actions").fetchone()[0]
        deleted = store.db.execute("SELECT deleted_at FROM comments WHERE id = ?", [local])
        assert state == "manual" and deleted.fetchone()[0] is None
        assert emu.stats()["by_method"].get("deleteMessage", 0) == 0
        store.close()


def test_accounts_check_says_what_is_missing(tmp_path, emu):
    config = make_config(tmp_path, emu)
    ref = emu.channel_refs()[0]
    findings = asyncio.run(check_account(plugins.make_plugin_manager(), config, config.accounts[0]))
    assert all(f.ok for f in findings), findings
    emu.set_bot_rights(ref, in_group=False)
    path = write_toml(tmp_path, emu)
    result = hub(
        "--config",
        str(path),
        "accounts",
        "check",
        "tg-0",
        env_extra={TOKEN_ENV: TelegramDriver.token},
    )
    assert result.returncode == 1
    assert (
        "PROBLEM: the bot is not in the discussion group: comments will not sync" in result.stdout
    )
    emu.set_bot_rights(ref, can_restrict=False)
    findings = asyncio.run(check_account(plugins.make_plugin_manager(), config, config.accounts[0]))
    assert [f.text for f in findings if not f.ok] == [
        "the bot may not restrict members of the discussion group: it cannot mute or ban commenters"
    ]


def test_bad_bot_token_names_the_variable(tmp_path, emu, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, TelegramDriver.rejected_token)
    runs = sync(make_config(tmp_path, emu))
    assert all(r.status == "failed" and f"${TOKEN_ENV}" in r.error for r in runs)
    assert "AAH-revoked" not in runs[0].error


def test_syncing_one_channel_also_reads_its_bot_siblings(tmp_path, emu):
    """The bot's stream carries both channels: reading it for one must not lose the other."""
    config = make_config(tmp_path, emu)
    store = Store.open(config.db_path)
    runs = asyncio.run(run_sync(store, plugins.make_plugin_manager(), config, config.accounts[:1]))
    store.close()
    assert [r.account.id for r in runs] == ["tg-0", "tg-1"] and all(r.ok for r in runs)
    assert stored_state(config.db_path) == TelegramDriver(emu).state()
