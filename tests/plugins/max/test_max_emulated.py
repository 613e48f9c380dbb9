"""The MAX plugin against its emulator: a lost publication appears once, a timed block is
lifted after a restart, replies are never doubled, events keep their marker, the token
stays out of every URL, log and the database."""

from __future__ import annotations

import asyncio
import io
import json
import sqlite3

import pytest

from hub import plugins
from hub.actions import expiry
from hub.actions.commands import ban_user
from hub.config import parse_config
from hub.log import configure_logging
from hub.moderation import service
from hub.networks import NetworkPool
from hub.plan import drafts, publish
from hub.store import Store
from hub.sync import run_sync
from hub.sync.events import store_events
from hub.sync.stream_store import poll_state
from hub_max.emulator import DEFAULT_TOKEN, MaxEmulator

TOKEN_ENV = "HUB_MAX_TEST_TOKEN"
TEXT = "В субботу в 10:00 приглашаем всех на субботник в парке Победы."


@pytest.fixture
def emu():
    with MaxEmulator(seed=5, channels=2, posts=6, comments=3, rate_limit=0) as emulator:
        yield emulator


@pytest.fixture
def config(emu, tmp_path, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, DEFAULT_TOKEN)
    return parse_config(
        {
            "database": {"path": str(tmp_path / "hub.db")},
            "networks": {"max": {"api_base": emu.url, "requests_per_second": 1000,
                                 "timeout_seconds": 1, "poll_timeout_seconds": 0}},
            "accounts": [
                {"id": f"max-{n}", "network": "max", "external_id": ext, "token_env": TOKEN_ENV,
                 "events_token_env": TOKEN_ENV}
                for n, ext in enumerate(emu.channel_ids())
            ],
        }
    )  # fmt: skip


def sync(config, accounts=None):
    store = Store.open(config.db_path)
    try:
        runs = asyncio.run(
            run_sync(store, plugins.make_plugin_manager(), config, accounts or config.accounts)
        )
        assert all(r.ok for r in runs), [r.summary() for r in runs]
        return runs
    finally:
        store.close()


def copies(config, account, text=TEXT) -> int:
    sync(config, [account])
    conn = sqlite3.connect(config.db_path)
    try:
        return conn.execute(
            "SELECT COUNT(*) FROM posts WHERE account_id = ? AND text = ? AND deleted_at IS NULL",
            [account.id, text],
        ).fetchone()[0]
    finally:
        conn.close()


def test_first_sync_stores_posts_comments_and_the_page(emu, config):
    runs = sync(config)
    snap = emu.snapshot()["channels"]
    for run, ext in zip(runs, emu.channel_ids(), strict=True):
        posts = snap[ext]["posts"]
        assert run.posts_new == len(posts)
        assert run.comments_new == sum(len(p["comments"]) for p in posts.values())
    conn = sqlite3.connect(config.db_path)
    name, members = conn.execute(
        "SELECT name, members_count FROM accounts WHERE id = 'max-0'"
    ).fetchone()
    assert name == snap[emu.channel_ids()[0]]["title"]
    assert members == snap[emu.channel_ids()[0]]["participants_count"]


def test_a_publication_whose_answer_was_lost_appears_once(emu, config):
    account = config.accounts[0]
    pm = plugins.make_plugin_manager()
    store = Store.open(config.db_path)
    try:
        asyncio.run(run_sync(store, pm, config, [account]))
        draft, _ = drafts.add_draft(
            store, pm, config, accounts=[account], text=TEXT,
            publish_at=drafts.parse_when("now", drafts.parse_plan(config.raw)),
            created_by="smm",
        )  # fmt: skip
        drafts.approve(store, config, draft.id, "head")
        emu.lose_answers("sendMessage")
        [first] = asyncio.run(publish.publish_due(store, pm, config))
        assert first.state == "unknown", first
        [second] = asyncio.run(publish.publish_due(store, pm, config))
        assert second.state == "published", second
        assert drafts.load_draft(store, draft.id).targets[0].attempts == 1  # found, not resent
        assert asyncio.run(publish.publish_due(store, pm, config)) == []
    finally:
        store.close()
    assert copies(config, account) == 1
    texts = [p["text"] for p in emu.snapshot()["channels"][account.external_id]["posts"].values()]
    assert texts.count(TEXT) == 1


def _commenter(config) -> tuple[str, int]:
    conn = sqlite3.connect(config.db_path)
    try:
        return conn.execute(
            "SELECT account_id, author_id FROM comments WHERE author_id > 0 "
            "AND account_id = 'max-0' LIMIT 1"
        ).fetchone()
    finally:
        conn.close()


def test_a_timed_block_is_lifted_by_the_hub_after_a_restart(emu, config):
    sync(config)
    account_id, user = _commenter(config)
    ext = config.account(account_id).external_id
    pm = plugins.make_plugin_manager()
    store = Store.open(config.db_path)
    try:
        banned = asyncio.run(
            ban_user(store, pm, config, account_id, str(user), days=3, reason="спам")
        )
        assert banned.result.done
        assert user in emu.snapshot()["channels"][ext]["blocked"]
        # not over yet: a moderation run leaves it
        asyncio.run(service.moderate(store, pm, config, config.accounts))
        assert user in emu.snapshot()["channels"][ext]["blocked"]
    finally:
        store.close()  # the hub stops; three days pass
    conn = sqlite3.connect(config.db_path)
    params = json.loads(
        conn.execute("SELECT params_json FROM actions WHERE id = ?", [banned.action_id]).fetchone()[
            0
        ]
    )
    params["until"] -= 4 * 86400
    conn.execute(
        "UPDATE actions SET params_json = ? WHERE id = ?", [json.dumps(params), banned.action_id]
    )
    conn.commit()
    conn.close()
    store = Store.open(config.db_path)  # a new process: only the database remembers
    try:
        report = asyncio.run(service.moderate(store, pm, config, config.accounts))
        lifted = [r for r in report.resumed if r.kind == "unban_user"]
        assert len(lifted) == 1 and lifted[0].ok, report.resumed
        assert user not in emu.snapshot()["channels"][ext]["blocked"]
        again = asyncio.run(service.moderate(store, pm, config, config.accounts))
        assert not [r for r in again.resumed if r.kind == "unban_user"]  # lifted once
    finally:
        store.close()


def test_a_permanent_ban_after_a_timed_one_stays(emu, config):
    sync(config)
    account_id, user = _commenter(config)
    pm = plugins.make_plugin_manager()
    store = Store.open(config.db_path)
    try:
        asyncio.run(ban_user(store, pm, config, account_id, str(user), days=1, reason="a"))
        asyncio.run(ban_user(store, pm, config, account_id, str(user), days=None, reason="b"))
        later = __import__("time").time() + 3 * 86400
        assert expiry.due_bans(store, [account_id], now=later) == []
    finally:
        store.close()


def test_events_are_stored_with_their_marker(emu, config):
    sync(config)
    account = config.accounts[0]
    post = next(iter(emu.snapshot()["channels"][account.external_id]["posts"]))
    emu.add_comment(account.external_id, post, "Когда починят фонарь у школы?")
    pm = plugins.make_plugin_manager()
    store = Store.open(config.db_path)

    async def one_batch():
        async with NetworkPool(pm, config) as pool:
            network = pool.get(account)
            return await network.next_events(account, DEFAULT_TOKEN, None)

    try:
        batch = asyncio.run(one_batch())
        assert batch.cursor is not None
        assert [c.text for c in batch.comments] == ["Когда починят фонарь у школы?"]
        store_events(store, account, batch, "events:max-0", "max")
        assert str(poll_state(store, "events:max-0")["next_offset"]) == batch.cursor
        found = store.db.execute(
            "SELECT COUNT(*) FROM comments WHERE text = 'Когда починят фонарь у школы?'"
        ).fetchone()[0]
        assert found == 1
    finally:
        store.close()


def test_the_token_never_reaches_a_url_a_log_or_the_database(emu, config):
    logs = io.StringIO()
    configure_logging(json=True, level="debug", stream=logs)
    try:
        sync(config)
    finally:
        configure_logging(json=False, level="warning")
    assert '"api request"' in logs.getvalue()
    assert DEFAULT_TOKEN not in logs.getvalue()
    for path in config.db_path.parent.glob(config.db_path.name + "*"):
        assert DEFAULT_TOKEN.encode() not in path.read_bytes()
    assert emu.stats()["tokens_in_url"] == 0


async def _network(config):
    pool = NetworkPool(plugins.make_plugin_manager(), config)
    return pool, pool.get(config.accounts[0])


def test_a_reply_whose_answer_was_lost_is_found_not_sent_twice(emu, config):
    from hub.errors import TransientError
    from hub.network import CommentRef, ReplyRequest

    sync(config)
    conn = sqlite3.connect(config.db_path)
    cid, post = conn.execute(
        "SELECT network_id, post_network_id FROM comments WHERE account_id = 'max-0' "
        "AND author_id > 0 LIMIT 1"
    ).fetchone()
    conn.close()
    account = config.accounts[0]
    ref = CommentRef(account, cid, post, None)
    text = "Спасибо, передали в управление благоустройства."

    async def run():
        pool, network = await _network(config)
        try:
            emu.lose_answers("sendComment")
            with pytest.raises(TransientError):
                await network.reply_to_comment(ReplyRequest(ref, text, "g1"))
            again = await network.reply_to_comment(ReplyRequest(ref, text, "g1", retry=True))
            assert again.done and again.already
        finally:
            await pool.aclose()

    asyncio.run(run())
    posts = emu.snapshot()["channels"][account.external_id]["posts"]
    replies = [c for p in posts.values() for c in p["comments"]]
    assert len(replies) == len(set(replies))
    assert (
        sum(
            1
            for u in emu.updates_log()
            if u.get("update_type") == "comment_created"
            and (u.get("message") or {}).get("body", {}).get("text") == text
        )
        == 1
    )


def test_accounts_check_names_the_missing_rights_and_the_mode(emu, config):
    account = config.accounts[0]
    emu.set_bot_rights(account.external_id, admin=True, permissions=["read_all_messages", "write"])

    async def run():
        pool, network = await _network(config)
        try:
            return await network.check_account(account)
        finally:
            await pool.aclose()

    findings = asyncio.run(run())
    texts = [f.text for f in findings if not f.ok]
    assert any("delete" in t for t in texts) and any("add_remove_members" in t for t in texts)
    assert any("long polling" in f.text for f in findings)


def test_a_crash_before_the_batch_is_stored_loses_no_update(emu, config):
    """The marker moves only with the stored batch: a poll whose batch was never stored
    (the hub died in between) is answered again, and a stored one is not."""
    account = config.accounts[0]
    post = next(iter(emu.snapshot()["channels"][account.external_id]["posts"]))
    store = Store.open(config.db_path)
    sync(config)

    async def poll(cursor):
        pool, network = await _network(config)
        try:
            return await network.next_events(account, DEFAULT_TOKEN, cursor)
        finally:
            await pool.aclose()

    try:
        first = asyncio.run(poll(None))  # drain what the seeding queued, and store it
        store_events(store, account, first, "events:max-0", "max")
        emu.add_comment(account.external_id, post, "Уберите снег во дворе дома 5")
        cursor = poll_state(store, "events:max-0")["next_offset"]
        lost = asyncio.run(poll(str(cursor)))  # ... and the hub dies before storing it
        assert [c.text for c in lost.comments] == ["Уберите снег во дворе дома 5"]
        again = asyncio.run(poll(str(cursor)))  # restarted: the same marker, the same update
        assert [c.text for c in again.comments] == ["Уберите снег во дворе дома 5"]
        store_events(store, account, again, "events:max-0", "max")
        after = asyncio.run(poll(str(poll_state(store, "events:max-0")["next_offset"])))
        assert after.comments == []
        count = store.db.execute(
            "SELECT COUNT(*) FROM comments WHERE text = 'Уберите снег во дворе дома 5'"
        ).fetchone()[0]
        assert count == 1
    finally:
        store.close()


def test_a_removed_comment_event_marks_it_deleted(emu, config):
    sync(config)
    account = config.accounts[0]
    ext = account.external_id
    posts = emu.snapshot()["channels"][ext]["posts"]
    mid, post = next((m, p) for m, p in posts.items() if p["comments"])
    gone = post["comments"][0]
    store = Store.open(config.db_path)

    async def poll(cursor):
        pool, network = await _network(config)
        try:
            return await network.next_events(account, DEFAULT_TOKEN, cursor)
        finally:
            await pool.aclose()

    try:
        store_events(store, account, asyncio.run(poll(None)), "events:max-0", "max")
        emu.delete_comment(ext, mid, gone)
        cursor = str(poll_state(store, "events:max-0")["next_offset"])
        batch = asyncio.run(poll(cursor))
        assert batch.deleted_comments == [gone]
        store_events(store, account, batch, "events:max-0", "max")
        row = store.db.execute(
            "SELECT deleted_at FROM comments WHERE network_id = ?", [gone]
        ).fetchone()
        assert row[0]
    finally:
        store.close()


def test_without_comment_counters_the_reconcile_brings_a_comment_on_an_old_post(emu, config):
    """``comment_counts = False``: a post is read when new, then by the reconcile's round."""
    from datetime import UTC, datetime, timedelta

    account = config.accounts[0]
    pm = plugins.make_plugin_manager()
    store = Store.open(config.db_path)
    try:
        asyncio.run(run_sync(store, pm, config, [account]))  # the first: every post read
        asyncio.run(run_sync(store, pm, config, [account]))  # the reconcile's round begins
        posts = emu.snapshot()["channels"][account.external_id]["posts"]
        old = next(m for m, p in posts.items() if p["comments"])
        emu.add_comment(account.external_id, old, "А что с ремонтом крыши?")
        [quiet] = asyncio.run(run_sync(store, pm, config, [account]))
        assert quiet.comments_new == 0  # no counter moved: nothing re-read yet
        later = datetime.now(UTC) + timedelta(hours=25)
        [round_] = asyncio.run(run_sync(store, pm, config, [account], now=later))
        assert round_.comments_new == 1 and round_.posts_reconciled > 0
    finally:
        store.close()
