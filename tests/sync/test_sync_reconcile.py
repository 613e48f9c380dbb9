"""Changes the counters do not show (issue 12), on the VK and OK emulators over loopback HTTP.

A comment deleted while another arrives leaves the post's counter where it was,
and so does an edit: only the periodic reconcile sees them. A post older than
the recent window whose counter did move is read on the next ordinary sync.
"""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from hub import plugins
from hub.config import load_config, parse_config
from hub.store import Store
from hub.sync import run_sync
from hub.sync.reconcile import Round, load_round, save_round
from hub.testing import TOKEN_ENV as OK_TOKEN_ENV
from hub.testing import stored_state
from hub_ok.emulator.driver import SECRET_ENV, OkDriver
from hub_vk.emulator import VkEmulator
from tests.helpers import TOKEN, TOKEN_ENV, db_state, emulator_state, sync, write_config

SPAM = "Заработок от 5000 в день! Пиши в ЛС"


def make_reconcile_due(db_path, hours: float = 25) -> None:
    """As if every account's reconcile round had begun ``hours`` ago (its position kept)."""
    store = Store.open(db_path)
    started = datetime.now(UTC) - timedelta(hours=hours)
    with store.transaction():
        for (account_id,) in store.db.execute("SELECT id FROM accounts").fetchall():
            current = load_round(store, account_id)
            save_round(store, account_id, Round(started, current.after if current else None))
    store.close()


def window_post(db_path, *, young: bool, min_comments: int = 2) -> tuple[str, int]:
    """(account, post) of a regular post inside (or, not young, before) the 30-day window."""
    cutoff = (datetime.now(UTC) - timedelta(days=30)).isoformat(timespec="seconds")
    cutoff = cutoff.replace("+00:00", "Z")
    conn = sqlite3.connect(db_path)
    row = conn.execute(
        "SELECT account_id, network_id FROM posts WHERE is_pinned = 0 AND comments_count >= ? "
        f"AND published_at {'>=' if young else '<'} ? ORDER BY published_at "
        f"{'DESC' if young else 'ASC'} LIMIT 1",
        [min_comments, cutoff],
    ).fetchone()
    conn.close()
    assert row, "the emulator made no such post"
    return row


def comment_text(db_path, network_id) -> str | None:
    conn = sqlite3.connect(db_path)
    row = conn.execute(
        "SELECT text FROM comments WHERE network_id = ? AND deleted_at IS NULL", [network_id]
    ).fetchone()
    conn.close()
    return row[0] if row else None


# -- VK --------------------------------------------------------------------------------


@pytest.fixture
def vk(tmp_path, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    with VkEmulator(
        seed=7, communities=2, posts=30, comments=6, rate_limit=0, tokens=[TOKEN]
    ) as emu:
        path = write_config(tmp_path, emu)
        assert all(r.ok for r in sync(path))
        yield emu, path, tmp_path / "hub.db"


def vk_target(emu, db, *, young=True):
    account_id, post = window_post(db, young=young)
    gid = int(load_config(db.parent / "hub.toml").account(account_id).external_id)
    return gid, post


def test_vk_swap_at_unchanged_count_is_found_by_the_reconcile(vk):
    emu, path, db = vk
    gid, post = vk_target(emu, db)
    victim = max(emu.snapshot()["communities"][str(gid)]["posts"][str(post)]["comments"])
    emu.delete_comment(gid, victim)  # the newest comment: it has no replies
    spam = emu.add_comment(gid, post, SPAM, from_id=555000333)
    runs = sync(path)
    assert all(r.ok for r in runs)
    assert comment_text(db, spam) is None  # the counter did not move: an ordinary sync is blind
    make_reconcile_due(db)
    runs = sync(path)
    assert sum(r.comments_new for r in runs) == 1 and sum(r.comments_deleted for r in runs) == 1
    assert comment_text(db, spam) == SPAM
    conn = sqlite3.connect(db)
    deleted_at, by = conn.execute(
        "SELECT deleted_at, deleted_by FROM comments WHERE network_id = ?", [victim]
    ).fetchone()
    assert deleted_at and by == "network"
    assert db_state(db) == emulator_state(emu)


def test_vk_edited_comment_text_is_stored_after_the_reconcile(vk):
    emu, path, db = vk
    gid, post = vk_target(emu, db)
    target = min(emu.snapshot()["communities"][str(gid)]["posts"][str(post)]["comments"])
    emu.edit_comment(gid, target, SPAM)
    sync(path)
    assert comment_text(db, target) != SPAM
    make_reconcile_due(db)
    runs = sync(path)
    assert sum(r.comments_updated for r in runs) == 1
    assert comment_text(db, target) == SPAM


def test_vk_old_post_whose_count_moved_is_read_on_the_next_ordinary_sync(vk):
    emu, path, db = vk
    gid, post = vk_target(emu, db, young=False)
    spam = emu.add_comment(gid, post, SPAM, from_id=555000333)
    runs = sync(path)
    assert sum(r.posts_updated for r in runs) == 1 and sum(r.comments_new for r in runs) == 1
    assert comment_text(db, spam) == SPAM


def test_vk_reconcile_off_reads_nothing_extra(tmp_path, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    with VkEmulator(
        seed=7, communities=2, posts=30, comments=6, rate_limit=0, tokens=[TOKEN]
    ) as emu:
        path = write_config(tmp_path, emu)
        path.write_text(path.read_text() + "\n[sync]\nreconcile_hours = 0\n")
        sync(path)
        make_reconcile_due(tmp_path / "hub.db")
        before = emu.stats()["requests"]
        sync(path)
        assert emu.stats()["requests"] - before == 2


def test_vk_reconcile_is_spread_over_the_period(vk):
    """A quarter of the period in, a quarter of the window's posts; the rest later, once."""
    emu, path, db = vk
    store = Store.open(db)
    cutoff = (datetime.now(UTC) - timedelta(days=30)).isoformat(timespec="seconds")
    in_window = store.db.execute(
        "SELECT COUNT(*) FROM posts WHERE published_at >= ? AND comments_count > 0",
        [cutoff.replace("+00:00", "Z")],
    ).fetchone()[0]
    store.close()
    calls = emu.stats()["inner_by_method"].get("wall.getComments", 0)
    make_reconcile_due(db, hours=6)
    sync(path)
    quarter = emu.stats()["inner_by_method"].get("wall.getComments", 0) - calls
    assert 0 < quarter <= in_window // 4 + 2  # + a thread's second page or two
    make_reconcile_due(db, hours=6)  # the round's start again, but its position is kept
    sync(path)
    assert emu.stats()["inner_by_method"].get("wall.getComments", 0) - calls == quarter


# -- OK --------------------------------------------------------------------------------


@pytest.fixture
def ok(tmp_path, monkeypatch):
    monkeypatch.setenv(OK_TOKEN_ENV, OkDriver.token)
    monkeypatch.setenv(SECRET_ENV, OkDriver.application_secret)
    with OkDriver.start(topics=20) as emu:
        driver = OkDriver(emu)
        config = parse_config(
            {
                "database": {"path": str(tmp_path / "hub.db")},
                "networks": {"ok": driver.settings()},
                "accounts": [
                    {"id": f"ok-{n}", "network": "ok", "external_id": e, "token_env": OK_TOKEN_ENV}
                    for n, e in enumerate(driver.external_ids())
                ],
            }
        )
        assert all(r.ok for r in ok_sync(config))
        yield emu, driver, config


def ok_sync(config):
    store = Store.open(config.db_path)
    try:
        pm = plugins.make_plugin_manager()
        return asyncio.run(run_sync(store, pm, config, config.accounts))
    finally:
        store.close()


def ok_target(config, *, young=True) -> tuple[int, str]:
    account_id, topic = window_post(config.db_path, young=young)
    return int(config.account(account_id).external_id), str(topic)


def test_ok_swap_at_unchanged_count_is_found_by_the_reconcile(ok):
    emu, driver, config = ok
    gid, topic = ok_target(config)
    victim = driver.state()[str(gid)][topic][-1]
    emu.delete_comment(gid, topic, victim)
    spam = emu.add_comment(gid, topic, SPAM)
    ok_sync(config)
    assert comment_text(config.db_path, spam) is None
    make_reconcile_due(config.db_path)
    runs = ok_sync(config)
    assert sum(r.comments_new for r in runs) == 1 and sum(r.comments_deleted for r in runs) == 1
    assert comment_text(config.db_path, spam) == SPAM
    assert comment_text(config.db_path, victim) is None
    assert stored_state(config.db_path) == driver.state()


def test_ok_edited_comment_text_is_stored_after_the_reconcile(ok):
    emu, driver, config = ok
    gid, topic = ok_target(config)
    target = driver.state()[str(gid)][topic][0]
    emu.edit_comment(gid, topic, target, SPAM)
    ok_sync(config)
    assert comment_text(config.db_path, target) != SPAM
    make_reconcile_due(config.db_path)
    ok_sync(config)
    assert comment_text(config.db_path, target) == SPAM


def test_ok_old_topic_whose_count_moved_is_read_on_the_next_ordinary_sync(ok):
    emu, _driver, config = ok
    gid, topic = ok_target(config, young=False)
    spam = emu.add_comment(gid, topic, SPAM)
    runs = ok_sync(config)
    assert sum(r.comments_new for r in runs) == 1
    assert comment_text(config.db_path, spam) == SPAM
