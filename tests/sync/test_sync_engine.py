"""The network-neutral sync engine with a scripted in-memory network (no HTTP)."""

from __future__ import annotations

import asyncio
import time

import pytest

from hub.config import parse_config
from hub.errors import ApiError, EntityGoneError, RateLimitedError
from hub.hookspecs import hookimpl
from hub.models import AccountMeta, Comment, Post
from hub.network import CommentsResult, Network, PostPage
from hub.plugins import make_plugin_manager
from hub.store import Store
from hub.sync import run_sync

NOW = int(time.time())


class ScriptedNetwork(Network):
    """Walls and comments in memory; ``fail`` maps account id → error to answer with."""

    name = "scripted"
    title = "Scripted"
    walls: dict[str, list[Post]] = {}
    comments: dict[int, list[Comment]] = {}
    fail: dict[str, ApiError] = {}
    calls: list[str] = []
    page = 3

    async def fetch_account_meta(self, accounts):
        return [self.fail.get(a.id) or AccountMeta(name=a.id) for a in accounts]

    async def fetch_post_pages(self, requests):
        out = []
        for r in requests:
            self.calls.append(f"wall:{r.account.id}:{r.cursor}")
            wall = sorted(self.walls[r.account.external_id], key=lambda p: -p.network_id)
            start = int(r.cursor or 0)
            chunk = wall[start : start + self.page]
            nxt = str(start + self.page) if start + self.page < len(wall) else None
            out.append(self.fail.get(r.account.id) or PostPage(chunk, nxt))
        return out

    async def fetch_comments(self, requests):
        out = []
        for r in requests:
            self.calls.append(f"comments:{r.post_network_id}")
            if r.post_network_id < 0:
                out.append(EntityGoneError("closed", code=212))
            else:
                out.append(CommentsResult(list(self.comments.get(r.post_network_id, []))))
        return out


class Plugin:
    @hookimpl
    def register_networks(self, register):
        register(ScriptedNetwork)


def post(nid, age_days, comments=0):
    return Post(network_id=nid, published_at=NOW - age_days * 86400, comments_count=comments)


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("TOK_A", "token-a")
    monkeypatch.setenv("TOK_B", "token-b")
    ScriptedNetwork.walls = {
        "a": [post(i, 100 - i, comments=1 if i % 2 else 0) for i in range(1, 11)],
        "b": [post(100 + i, 5) for i in range(1, 4)],
    }
    ScriptedNetwork.comments = {
        i: [Comment(network_id=1000 + i, post_network_id=i, published_at=NOW)] for i in range(1, 11)
    }
    ScriptedNetwork.fail = {}
    ScriptedNetwork.calls = []
    config = parse_config(
        {
            "database": {"path": str(tmp_path / "hub.db")},
            "sync": {"recent_window_days": 30},
            "accounts": [
                {"id": "A", "network": "scripted", "external_id": "a", "token_env": "TOK_A"},
                {"id": "B", "network": "scripted", "external_id": "b", "token_env": "TOK_B"},
            ],
        }
    )
    pm = make_plugin_manager(load_entry_points=False)
    pm.register(Plugin(), name="scripted")
    store = Store.open(config.db_path)
    yield config, pm, store
    store.close()


def run(env, **kw):
    config, pm, store = env
    return asyncio.run(run_sync(store, pm, config, config.accounts, **kw))


def test_walk_stops_at_high_water_after_the_window(env):
    runs = run(env)
    assert [r.posts_new for r in runs] == [10, 3]
    assert sum(c.startswith("wall:A") for c in ScriptedNetwork.calls) == 4  # 10 posts, pages of 3
    # posts with no comments are not asked for
    assert sum(c.startswith("comments:") for c in ScriptedNetwork.calls) == 5
    ScriptedNetwork.calls.clear()
    ScriptedNetwork.walls["a"].append(post(11, 0, comments=1))
    ScriptedNetwork.comments[11] = [Comment(network_id=2000, post_network_id=11, published_at=NOW)]
    runs = run(env)
    assert runs[0].posts_new == 1 and runs[0].comments_new == 1
    # page 1 holds 11, 10, 9: 9 is below the mark and older than the window, so the walk stops
    assert ScriptedNetwork.calls.count("wall:A:None") == 1
    assert not any(c.startswith("wall:A:3") for c in ScriptedNetwork.calls)
    assert ScriptedNetwork.calls.count("comments:11") == 1


def test_rate_limited_account_pauses_and_others_go_on(env):
    ScriptedNetwork.fail = {"A": RateLimitedError("quota", code=29, retry_after=3600)}
    runs = run(env)
    assert runs[0].status == "paused" and "paused until" in runs[0].error
    assert runs[1].ok and runs[1].posts_new == 3
    ScriptedNetwork.fail = {}
    ScriptedNetwork.calls.clear()
    runs = run(env)  # still paused: not called at all
    assert runs[0].status == "paused" and "resume by itself" in runs[0].error
    assert not any(":A:" in c for c in ScriptedNetwork.calls)
    _config, _pm, store = env
    store.update_sync_state("A", paused_until="2000-01-01T00:00:00Z")
    runs = run(env)
    assert runs[0].ok and runs[0].posts_new == 10
    assert store.sync_state("A")["paused_until"] is None


def test_closed_comments_are_skipped_not_fatal(env):
    ScriptedNetwork.walls["b"].append(post(-5, 1, comments=2))
    runs = run(env)
    assert runs[1].ok
    runs = run(env)
    assert (
        "comments:-5" not in ScriptedNetwork.calls[ScriptedNetwork.calls.index("wall:A:None", 1) :]
    )


def test_failed_account_records_its_run(env):
    ScriptedNetwork.fail = {"B": ApiError("Access denied", code=15)}
    runs = run(env)
    assert runs[1].status == "failed" and "Access denied" in runs[1].error
    _config, _pm, store = env
    rows = store.db.execute("SELECT account_id, status FROM sync_runs ORDER BY id").fetchall()
    assert rows == [("B", "failed"), ("A", "ok")]  # a failed account is recorded at once
    assert store.sync_state("B")["posts_high_water"] is None


def test_old_pinned_post_does_not_make_unread_posts_look_deleted(env):
    # 10 posts; the oldest (1) is pinned and comes first on every first page, as on VK
    wall = ScriptedNetwork.walls["a"]
    wall[0].is_pinned = True
    original = ScriptedNetwork.fetch_post_pages

    async def pinned_first(self, requests):
        pages = await original(self, requests)
        for r, page in zip(requests, pages, strict=True):
            if r.account.id == "A" and r.cursor is None:
                pinned = next(p for p in ScriptedNetwork.walls["a"] if p.is_pinned)
                page.posts = [pinned, *[p for p in page.posts if not p.is_pinned]]
        return pages

    ScriptedNetwork.fetch_post_pages = pinned_first
    try:
        assert run(env)[0].posts_new == 10
        ScriptedNetwork.walls["a"].append(post(11, 0))
        runs = run(env)  # reads one page: pinned 1, then 11, 10, 9
        assert runs[0].posts_new == 1 and runs[0].posts_deleted == 0
        _config, _pm, store = env
        live = store.db.execute(
            "SELECT COUNT(*) FROM posts WHERE account_id = 'A' AND deleted_at IS NULL"
        ).fetchone()[0]
        assert live == 11
        # the oldest regular post is deleted on the network: a full walk reaches the end and sees it
        ScriptedNetwork.walls["a"] = [p for p in ScriptedNetwork.walls["a"] if p.network_id != 2]
        assert run(env, full=True)[0].posts_deleted == 1
    finally:
        ScriptedNetwork.fetch_post_pages = original


def test_missing_capability_is_explained_to_the_operator(env):
    from hub.actions.commands import ban_user, delete_comment
    from hub.errors import HubError

    config, pm, store = env
    run(env)
    ScriptedNetwork.capability_notes = {"ban_user": "Scripted has no bans; ask a human"}
    try:
        with pytest.raises(HubError, match="Scripted has no bans; ask a human"):
            asyncio.run(ban_user(store, pm, config, "A", "5", days=1, reason="x"))
        with pytest.raises(HubError, match="does not let the hub delete comment"):
            asyncio.run(delete_comment(store, pm, config, "A:1001"))
    finally:
        ScriptedNetwork.capability_notes = {}
    assert store.db.execute("SELECT COUNT(*) FROM actions").fetchone()[0] == 0


# -- isolation: an unexpected failure stops only its own account (issue 12) ------------


@pytest.mark.parametrize("phase", ["meta", "wall", "comments"])
def test_an_unexpected_exception_fails_only_its_account(env, phase, monkeypatch):
    """A malformed answer raising KeyError inside the plugin, in a batch of both accounts."""
    original = {
        "meta": ScriptedNetwork.fetch_account_meta,
        "wall": ScriptedNetwork.fetch_post_pages,
        "comments": ScriptedNetwork.fetch_comments,
    }[phase]

    async def malformed_for_a(self, requests):
        for r in requests:
            account = getattr(r, "account", r)
            if account.id == "A":
                raise KeyError("items")
        return await original(self, requests)

    name = {"meta": "fetch_account_meta", "wall": "fetch_post_pages", "comments": "fetch_comments"}
    monkeypatch.setattr(ScriptedNetwork, name[phase], malformed_for_a)
    ScriptedNetwork.walls["b"] = [post(100 + i, 5, comments=1) for i in range(1, 4)]
    ScriptedNetwork.comments.update(
        {
            100 + i: [Comment(network_id=3000 + i, post_network_id=100 + i, published_at=NOW)]
            for i in range(1, 4)
        }
    )
    runs = run(env)
    assert runs[0].status == "failed" and runs[0].unexpected == "KeyError"
    assert "KeyError" in runs[0].error and "'items'" in runs[0].error
    assert runs[1].ok and runs[1].posts_new == 3 and runs[1].comments_new == 3
    _config, _pm, store = env
    rows = store.db.execute("SELECT account_id, status FROM sync_runs ORDER BY id").fetchall()
    assert rows == [("A", "failed"), ("B", "ok")]


def test_a_whole_network_crashing_fails_its_accounts_not_the_run(env, monkeypatch):
    async def broken(self, accounts):
        raise RuntimeError("plugin bug")

    monkeypatch.setattr("hub.sync.Syncer._walk_posts", broken)
    runs = run(env)
    assert [r.status for r in runs] == ["failed", "failed"]
    assert all(r.unexpected == "RuntimeError" and "plugin bug" in r.error for r in runs)


def test_cancellation_is_never_swallowed(env, monkeypatch):
    async def cancelled(self, requests):
        raise asyncio.CancelledError

    monkeypatch.setattr(ScriptedNetwork, "fetch_post_pages", cancelled)
    with pytest.raises(asyncio.CancelledError):
        run(env)


# -- the reconcile's pacing (issue 12) ---------------------------------------------------


def test_reconcile_rereads_each_window_post_once_per_period(env):
    from datetime import UTC, datetime, timedelta

    from hub.sync.reconcile import Round, load_round, save_round

    config, pm, store = env
    ScriptedNetwork.walls["a"] = [post(i, 1, comments=1) for i in range(1, 9)]  # 8 in window
    run(env)
    start = datetime.now(UTC)
    read: list[str] = []
    for quarter in range(1, 9):  # two periods in steps of a quarter
        ScriptedNetwork.calls.clear()
        asyncio.run(
            run_sync(store, pm, config, config.accounts, now=start + timedelta(hours=6 * quarter))
        )
        read += [c for c in ScriptedNetwork.calls if c.startswith("comments:")]
    assert sorted(read) == sorted([f"comments:{i}" for i in range(1, 9)] * 2)
    assert load_round(store, "A").started > start  # a new round began when the first ended
    save_round(store, "A", Round(start - timedelta(days=3)))  # a long stop: the rest at once
    ScriptedNetwork.calls.clear()
    run(env)
    assert sum(c.startswith("comments:") for c in ScriptedNetwork.calls) == 8


def test_reconcile_position_moves_only_with_stored_rows(env, monkeypatch):
    from datetime import UTC, datetime, timedelta

    from hub.sync.reconcile import Round, load_round, save_round

    config, pm, store = env
    ScriptedNetwork.walls["a"] = [post(i, 1, comments=1) for i in range(1, 9)]
    run(env)
    save_round(store, "A", Round(datetime.now(UTC) - timedelta(hours=12)))
    ScriptedNetwork.fail = {}
    original = ScriptedNetwork.fetch_comments

    async def fails_at_3(self, requests):
        out = await original(self, requests)
        return [
            ApiError("boom", code=1) if r.post_network_id == 3 else o
            for r, o in zip(requests, out, strict=True)
        ]

    monkeypatch.setattr(ScriptedNetwork, "fetch_comments", fails_at_3)
    run(env)
    assert load_round(store, "A").after == 2  # 1 and 2 stored; 3 failed, 4 never counted
