"""The update-stream sync engine (Telegram's model) with a scripted in-memory stream."""

from __future__ import annotations

import asyncio
import time

import pytest

from hub.config import parse_config
from hub.errors import ApiError
from hub.hookspecs import hookimpl
from hub.models import AccountMeta, Comment, Post
from hub.network import UPDATES, Network, ThreadComment, ThreadLink, UpdateBatch
from hub.plugins import make_plugin_manager
from hub.store import Store
from hub.sync import run_sync
from hub.sync.stream import poll_lock

NOW = int(time.time())


class Stream(Network):
    """Updates numbered from 1; ``script`` holds (kind, account ext id, payload) per update."""

    name = "stream"
    title = "Stream"
    sync_mode = UPDATES
    script: list[tuple[str, str, tuple]] = []
    confirmed = 0
    reads: list[int | None] = []
    fail_on_read: int | None = None

    async def fetch_account_meta(self, accounts):
        return [AccountMeta(name=a.id) for a in accounts]

    async def fetch_post_pages(self, requests):
        raise AssertionError("an update-stream network is never walked")

    async def fetch_comments(self, requests):
        raise AssertionError("an update-stream network is never walked")

    async def fetch_updates(self, token, accounts, offset):
        Stream.reads.append(offset)
        if Stream.fail_on_read is not None and len(Stream.reads) == Stream.fail_on_read:
            raise ApiError("the network went away")
        start = max(offset or 1, Stream.confirmed + 1)
        Stream.confirmed = start - 1  # an offset confirms everything before it
        updates = list(enumerate(Stream.script, start=1))[start - 1 : start - 1 + 2]
        by_ext = {a.external_id: a for a in accounts}
        batch = UpdateBatch(updates=len(updates))
        for _n, (kind, ext, payload) in updates:
            account = by_ext[ext]
            if kind == "post":
                batch.posts.append(
                    (account, Post(network_id=payload[0], published_at=NOW, text=payload[1]))
                )
            elif kind == "link":
                batch.links.append(ThreadLink(account, payload[0], payload[1]))
            else:
                thread, cid, text = payload
                comment = Comment(network_id=cid, post_network_id=0, published_at=NOW, text=text)
                batch.comments.append(ThreadComment(account, thread, comment))
        if updates:
            batch.next_offset = updates[-1][0] + 1
        return batch


class Plugin:
    @hookimpl
    def register_networks(self, register):
        register(Stream)


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("TOK", "bot-token")
    Stream.script = [
        ("post", "chan", (10, "Пост о воде")),
        ("comment", "chan", (500, 501, "А когда дадут воду?")),  # before its link
        ("link", "chan", (500, 10)),
        ("comment", "chan", (500, 502, "Спасибо")),
        ("post", "chan", (11, "Второй пост")),
    ]
    Stream.confirmed = 0
    Stream.reads = []
    Stream.fail_on_read = None
    config = parse_config(
        {
            "database": {"path": str(tmp_path / "hub.db")},
            "accounts": [
                {"id": "tg", "network": "stream", "external_id": "chan", "token_env": "TOK"}
            ],
        }
    )
    pm = make_plugin_manager(load_entry_points=False)
    pm.register(Plugin(), name="stream")
    store = Store.open(config.db_path)
    yield config, pm, store
    store.close()


def run(env):
    config, pm, store = env
    return asyncio.run(run_sync(store, pm, config, config.accounts))


def comments(store):
    return store.db.execute(
        "SELECT network_id, post_network_id, post_id IS NOT NULL FROM comments ORDER BY network_id"
    ).fetchall()


def test_stream_is_stored_and_an_early_comment_waits_for_its_link(env):
    runs = run(env)
    assert runs[0].ok and runs[0].posts_new == 2 and runs[0].comments_new == 2
    _config, _pm, store = env
    assert comments(store) == [(501, 10, 1), (502, 10, 1)]
    assert store.db.execute("SELECT COUNT(*) FROM orphan_comments").fetchone()[0] == 0
    assert Stream.reads == [None, 3, 5, 6]  # each read passes the offset stored before it
    assert store.db.execute("SELECT next_offset FROM poll_state").fetchone()[0] == 6


def test_comment_waiting_across_runs_is_attached_later(env):
    Stream.script = Stream.script[:2]  # the link has not arrived yet
    runs = run(env)
    assert runs[0].comments_new == 0 and "1 comments wait" in runs[0].summary()
    Stream.script += [("link", "chan", (500, 10))]
    runs = run(env)
    assert runs[0].comments_new == 1
    _config, _pm, store = env
    assert comments(store) == [(501, 10, 1)]


def test_crash_after_storing_before_confirming_loses_and_doubles_nothing(env):
    Stream.fail_on_read = 2  # batch 1 stored; the read that would confirm it fails
    runs = run(env)
    assert runs[0].status == "failed" and runs[0].posts_new == 1
    Stream.fail_on_read = None
    runs = run(env)
    assert runs[0].ok and runs[0].posts_new == 1  # only the second post: nothing doubled
    _config, _pm, store = env
    assert store.db.execute("SELECT COUNT(*) FROM posts").fetchone()[0] == 2
    assert comments(store) == [(501, 10, 1), (502, 10, 1)]


def test_crash_before_the_commit_means_redelivery_absorbed(env, monkeypatch):
    import hub.sync.stream

    real = hub.sync.stream.store_batch
    calls = []

    def crash_on_second(store, network, batch):
        calls.append(1)
        counts = real(store, network, batch)
        if len(calls) == 2:
            raise RuntimeError("power cut inside the transaction")
        return counts

    monkeypatch.setattr(hub.sync.stream, "store_batch", crash_on_second)
    failed = run(env)  # the crash stops this stream's account, not the run (issue 12)
    assert failed[0].status == "failed" and failed[0].unexpected == "RuntimeError"
    _config, _pm, store = env
    assert store.db.execute("SELECT next_offset FROM poll_state").fetchone()[0] == 3
    assert store.db.execute("SELECT COUNT(*) FROM thread_links").fetchone()[0] == 0  # rolled back
    monkeypatch.setattr(hub.sync.stream, "store_batch", real)
    Stream.confirmed = 0  # the network still has batch 2: it was never confirmed
    runs = run(env)
    assert runs[0].ok
    assert comments(store) == [(501, 10, 1), (502, 10, 1)]


def test_a_long_pause_is_recorded_as_a_possible_loss(env):
    run(env)
    _config, _pm, store = env
    store.db.execute("UPDATE poll_state SET last_polled_at = '2000-01-01T00:00:00Z'")
    runs = run(env)
    assert "possible loss" in runs[0].summary() and "may be lost" in runs[0].summary()
    gap = store.db.execute("SELECT gap_from, reason FROM sync_gaps").fetchone()
    assert gap[0] == "2000-01-01T00:00:00Z" and "24 hours" in gap[1]


def test_a_second_poller_of_the_same_token_stops_with_a_clear_message(env):
    config, _pm, store = env
    poller = Stream({}, lambda a: "bot-token").poller_key("bot-token")
    with poll_lock(config.db_path, poller):
        runs = run(env)
    assert runs[0].status == "failed" and "already reading this bot's updates" in runs[0].error
    assert Stream.reads == []


def test_a_token_is_not_polled_while_one_of_its_accounts_is_not_ready(env, monkeypatch):
    config, pm, store = env
    config = parse_config(
        {
            "database": {"path": str(config.db_path)},
            "accounts": [
                {"id": "tg", "network": "stream", "external_id": "chan", "token_env": "TOK"},
                {"id": "tg2", "network": "stream", "external_id": "other", "token_env": "TOK"},
            ],
        }
    )

    async def meta(self, accounts):
        return [
            ApiError("chat not found") if a.id == "tg2" else AccountMeta(name=a.id)
            for a in accounts
        ]

    monkeypatch.setattr(Stream, "fetch_account_meta", meta)
    runs = asyncio.run(run_sync(store, pm, config, config.accounts))
    assert runs[1].status == "failed" and "chat not found" in runs[1].error
    assert runs[0].status == "failed" and "also feeds tg2" in runs[0].error
    assert Stream.reads == []  # nothing read, nothing confirmed, nothing lost
