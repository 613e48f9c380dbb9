"""Incremental VK sync end to end: the library against the emulator over real loopback HTTP."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from hub import plugins
from hub.actions.commands import ban_user, delete_comment
from hub.config import load_config
from hub.store import Store
from hub_vk.emulator import VkEmulator
from tests.helpers import TOKEN, TOKEN_ENV, db_state, duplicates, emulator_state, sync, write_config


@pytest.fixture
def emu():
    with VkEmulator(
        seed=3, communities=3, posts=30, comments=10, rate_limit=0, tokens=[TOKEN]
    ) as emulator:
        yield emulator


@pytest.fixture
def config_path(tmp_path, emu, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    return write_config(tmp_path, emu)


def requests_for(emu, fn):
    before = emu.stats()["requests"]
    result = fn()
    return emu.stats()["requests"] - before, result


def test_first_sync_stores_every_post_and_comment(emu, config_path):
    runs = sync(config_path)
    assert all(r.ok for r in runs), [r.summary() for r in runs]
    assert db_state(config_path.parent / "hub.db") == emulator_state(emu)
    assert sum(r.posts_new for r in runs) == 90
    assert sum(r.comments_new for r in runs) == 900
    conn = sqlite3.connect(config_path.parent / "hub.db")
    # one pinned post per community, metadata stored, authors known
    assert conn.execute("SELECT COUNT(*) FROM posts WHERE is_pinned = 1").fetchone()[0] == 3
    assert (
        conn.execute(
            "SELECT COUNT(*) FROM accounts WHERE name IS NOT NULL AND meta_synced_at IS NOT NULL"
        ).fetchone()[0]
        == 3
    )
    assert (
        conn.execute(
            "SELECT COUNT(*) FROM comments c LEFT JOIN authors a ON "
            "a.network_id = c.author_id WHERE a.name IS NULL AND c.is_placeholder = 0"
        ).fetchone()[0]
        == 0
    )
    assert emu.stats()["tokens_in_url"] == 0


def test_no_change_resync_is_two_requests_and_writes_nothing_new(emu, config_path):
    sync(config_path)
    n, runs = requests_for(emu, lambda: sync(config_path))
    assert n == 2  # groups.getById + wall.get for all three communities, each one execute
    assert all(r.ok and r.posts_new == r.comments_new == r.comments_deleted == 0 for r in runs)


def test_incremental_sync_brings_changes_and_marks_deletions(emu, config_path):
    sync(config_path)
    gid = emu.community_ids()[1]
    state = emulator_state(emu)[str(gid)]
    newest = max(state, key=int)
    victim = state[newest][0]
    emu.delete_comment(gid, victim)
    new_post = emu.add_post(gid, "Новый пост", comments=4)
    emu.add_comment(gid, int(newest), "Ещё вопрос про автобус")
    emu.edit_post(gid, int(newest), "Исправленный текст")
    runs = sync(config_path)
    run = runs[1]
    assert run.ok and run.posts_new == 1 and run.comments_new == 5 and run.comments_deleted == 1
    assert runs[0].comments_new == runs[2].comments_new == 0
    db = config_path.parent / "hub.db"
    assert db_state(db) == emulator_state(emu)
    conn = sqlite3.connect(db)
    deleted = conn.execute(
        "SELECT deleted_at, deleted_by, text FROM comments WHERE network_id = ?", [victim]
    ).fetchone()
    assert deleted[0] and deleted[1] == "network" and deleted[2]  # kept, with its text
    assert (
        conn.execute("SELECT text FROM posts WHERE network_id = ?", [int(newest)]).fetchone()[0]
        == "Исправленный текст"
    )
    assert (
        conn.execute("SELECT COUNT(*) FROM posts WHERE network_id = ?", [new_post]).fetchone()[0]
        == 1
    )
    assert duplicates(db) == 0


def test_deleted_post_is_marked_not_removed(emu, config_path):
    sync(config_path)
    gid = emu.community_ids()[0]
    posts = sorted(emulator_state(emu)[str(gid)], key=int)
    gone = int(posts[-3])
    emu.delete_post(gid, gone)
    runs = sync(config_path)
    assert runs[0].posts_deleted == 1
    conn = sqlite3.connect(config_path.parent / "hub.db")
    assert (
        conn.execute(
            "SELECT deleted_at IS NOT NULL FROM posts WHERE network_id = ?", [gone]
        ).fetchone()[0]
        == 1
    )


def test_long_threads_and_many_top_level_comments(tmp_path, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    with VkEmulator(
        seed=5, communities=1, posts=5, comments=3, rate_limit=0, tokens=[TOKEN], big_post=True
    ) as emu:
        path = write_config(tmp_path, emu)
        assert all(r.ok for r in sync(path))
        assert db_state(tmp_path / "hub.db") == emulator_state(emu)
        by_method = emu.stats()["by_method"]
        assert by_method.get("execute", 0) >= 3  # first page, then replies and further pages


def test_full_resync_reads_everything_again_without_duplicates(emu, config_path):
    sync(config_path)
    n, runs = requests_for(emu, lambda: sync(config_path, full=True))
    assert n > 2 and all(r.ok for r in runs)
    assert all(r.posts_new == 0 and r.comments_new == 0 for r in runs)
    assert duplicates(config_path.parent / "hub.db") == 0


def test_faults_are_retried(emu, config_path):
    emu.set_faults(error6_burst=2, http500=2)
    runs = sync(config_path)
    assert all(r.ok for r in runs)
    assert db_state(config_path.parent / "hub.db") == emulator_state(emu)


def test_rate_limit_is_respected(tmp_path, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    with VkEmulator(
        seed=2, communities=2, posts=30, comments=2, rate_limit=8, tokens=[TOKEN]
    ) as emu:
        path = write_config(tmp_path, emu, rps=7)
        assert all(r.ok for r in sync(path))
        assert emu.stats()["errors"].get("6", 0) == 0


def test_bad_token_fails_its_accounts_and_names_the_variable(emu, tmp_path, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    monkeypatch.setenv("HUB_VK_TOKEN_BAD", "vk1.a.revoked-token")
    path = write_config(tmp_path, emu)
    text = path.read_text().replace(
        f'token_env = "{TOKEN_ENV}"', 'token_env = "HUB_VK_TOKEN_BAD"', 1
    )
    path.write_text(text)
    runs = sync(path)
    assert runs[0].status == "failed"
    assert "$HUB_VK_TOKEN_BAD" in runs[0].error and "revoked-token" not in runs[0].error
    assert runs[1].ok and runs[2].ok


def test_unreachable_api_fails_cleanly(tmp_path, monkeypatch, emu):
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    path = write_config(tmp_path, emu)
    path.write_text(path.read_text().replace(emu.url, "http://127.0.0.1:9/method"))
    runs = sync(path)
    assert all(r.status == "failed" and "unreachable" in r.error for r in runs)
    conn = sqlite3.connect(tmp_path / "hub.db")
    assert conn.execute("SELECT COUNT(*) FROM posts").fetchone()[0] == 0
    assert {r[0] for r in conn.execute("SELECT status FROM sync_runs")} == {"failed"}


def test_delete_and_ban_are_recorded_and_safe_to_repeat(emu, config_path):
    sync(config_path)
    config = load_config(config_path)
    store = Store.open(config.db_path)
    pm = plugins.make_plugin_manager()
    comment_id, account_id, network_id, author = store.db.execute(
        "SELECT id, account_id, network_id, author_id FROM comments WHERE author_id > 0 "
        "AND deleted_at IS NULL LIMIT 1"
    ).fetchone()
    gid = int(config.account(account_id).external_id)

    first = asyncio.run(delete_comment(store, pm, config, str(comment_id)))
    assert first.result.done and not first.result.already
    assert network_id in emu.snapshot()["communities"][str(gid)]["deleted_comments"]
    again = asyncio.run(delete_comment(store, pm, config, f"{account_id}:{network_id}"))
    assert again.result.already and again.action_id == first.action_id
    row = store.db.execute(
        "SELECT deleted_by, moderation_status FROM comments WHERE id = ?", [comment_id]
    ).fetchone()
    assert row == ("hub", "deleted")

    ban = asyncio.run(
        ban_user(store, pm, config, account_id, str(author), days=7, reason="спам", category="spam")
    )
    assert ban.result.done and not ban.result.already and emu.ban_exists(gid, author)
    ban2 = asyncio.run(
        ban_user(store, pm, config, account_id, str(author), days=7, reason="спам", category="spam")
    )
    assert ban2.result.already
    actions = store.db.execute("SELECT kind, state, attempts FROM actions ORDER BY id").fetchall()
    assert actions == [("delete_comment", "done", 2), ("ban_user", "done", 2)]
    store.close()
    # the hub's deletion survives the next sync
    sync(config_path)
    conn = sqlite3.connect(config.db_path)
    assert (
        conn.execute("SELECT deleted_by FROM comments WHERE id = ?", [comment_id]).fetchone()[0]
        == "hub"
    )


def _store_and_pm(config_path):
    config = load_config(config_path)
    return config, Store.open(config.db_path), plugins.make_plugin_manager()


def test_longer_ban_replaces_a_shorter_one(emu, config_path):
    sync(config_path)
    config, store, pm = _store_and_pm(config_path)
    account = config.accounts[0]
    user = store.db.execute(
        "SELECT author_id FROM comments WHERE account_id = ? AND author_id > 0 LIMIT 1",
        [account.id],
    ).fetchone()[0]
    one_day = asyncio.run(ban_user(store, pm, config, account.id, str(user), days=1, reason="x"))
    assert not one_day.result.already
    forever = asyncio.run(ban_user(store, pm, config, account.id, str(user), days=None, reason="x"))
    assert not forever.result.already and "permanently" in forever.result.detail
    again = asyncio.run(ban_user(store, pm, config, account.id, str(user), days=30, reason="y"))
    assert again.result.already and "permanently" in again.result.detail
    store.close()


def test_lost_answer_is_unknown_then_a_repeat_settles_it(emu, config_path, monkeypatch):
    from hub.errors import HubError

    sync(config_path)
    config, store, pm = _store_and_pm(config_path)
    local = store.db.execute(
        "SELECT id FROM comments WHERE author_id > 0 AND deleted_at IS NULL LIMIT 1"
    ).fetchone()[0]
    emu.set_faults(http500=1)  # the delete is not retried blindly: its answer is lost
    with pytest.raises(HubError, match="run the same command again to check"):
        asyncio.run(delete_comment(store, pm, config, str(local)))
    assert store.db.execute("SELECT state FROM actions").fetchone()[0] == "unknown"
    done = asyncio.run(delete_comment(store, pm, config, str(local)))
    assert done.result.done and not done.result.already
    # a later repeat with a revoked token fails, but the record of the deletion stays
    monkeypatch.setenv(TOKEN_ENV, "vk1.a.revoked")
    with pytest.raises(HubError, match="recorded as failed"):
        asyncio.run(delete_comment(store, pm, config, str(local)))
    state, result, error, attempts = store.db.execute(
        "SELECT state, result_json, error, attempts FROM actions"
    ).fetchone()
    assert state == "done" and result and error.startswith("a repeat failed") and attempts == 3
    store.close()
