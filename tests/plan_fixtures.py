"""The scripted network and fixtures the content-plan tests share (tests/plan/test_plan*.py).

A wall in memory whose ``publish_post`` can be told to succeed, refuse, or lose
its answer before or after the post exists, so each path of the outbox can be
forced exactly. Loaded for every test module through ``pytest_plugins`` in
tests/conftest.py.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest

from hub.config import parse_config
from hub.errors import ApiError, TransientError
from hub.hookspecs import hookimpl
from hub.models import AccountMeta, Post
from hub.network import (
    PUBLISH_POST,
    REPLY_COMMENT,
    ActionResult,
    Network,
    PostPage,
    Published,
)
from hub.plan import drafts, publish
from hub.plugins import make_plugin_manager
from hub.store import Store

NOW = datetime.now(UTC).replace(microsecond=0)


class PlanNetwork(Network):
    """A wall in memory; ``mode`` scripts what the next publish_post does."""

    name = "scripted"
    title = "Scripted"
    capabilities = frozenset({PUBLISH_POST, REPLY_COMMENT})
    walls: dict[str, list[Post]] = {}
    modes: list[str] = []  # per call: ok | lost_after | lost_before | refuse | unapplied
    calls: list[str] = []
    sees = True
    replies: list[tuple] = []
    #: awaited inside sees_own_posts: what another hub process does while this one checks
    during_check = None

    async def fetch_account_meta(self, accounts):
        return [AccountMeta(name=a.id) for a in accounts]

    async def fetch_post_pages(self, requests):
        return [
            PostPage(sorted(self.walls[r.account.external_id], key=lambda p: -p.network_id), None)
            for r in requests
        ]

    async def fetch_comments(self, requests):
        raise AssertionError("no comments in these tests")

    def publish_problems(self, request):
        return ["the text is over 100 characters"] if len(request.text) > 100 else []

    def _post(self, account, text) -> Post:
        wall = self.walls[account.external_id]
        nid = max((p.network_id for p in wall), default=0) + 1
        post = Post(network_id=nid, published_at=int(time.time()), text=text, url=f"u/{nid}")
        wall.append(post)
        return post

    async def publish_post(self, request):
        self.calls.append(request.account.id)
        mode = self.modes.pop(0) if self.modes else "ok"
        if mode == "refuse":
            raise ApiError("access to adding post denied", code=214)
        if mode == "unapplied":
            raise TransientError("no connection", maybe_applied=False)
        if mode == "lost_before":
            raise TransientError("timed out")
        post = self._post(
            request.account, request.text + ("\n" + request.links[0] if request.links else "")
        )
        if mode == "lost_after":
            raise TransientError("timed out")
        if mode == "crash":  # a plugin bug after the post went up
            raise KeyError("post_id")
        return Published(post.network_id, post.url, post)

    async def sees_own_posts(self, account):
        hook, PlanNetwork.during_check = PlanNetwork.during_check, None
        if hook is not None:
            await hook()
        if self.sees == "error":
            raise TransientError("getChatMember timed out")
        return self.sees

    async def reply_to_comment(self, request):
        self.replies.append((request.comment.network_id, request.text, request.retry))
        if self.modes and self.modes.pop(0) == "lost_after":
            raise TransientError("timed out")
        return ActionResult(True, data={"comment_id": 77, "url": "u/c77"})

    def post_url(self, account, post_network_id):
        return f"u/{post_network_id}"


class Plugin:
    @hookimpl
    def register_networks(self, register):
        register(PlanNetwork)


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("TOK_A", "token-a")
    PlanNetwork.walls = {"a": [], "b": []}
    PlanNetwork.modes = []
    PlanNetwork.calls = []
    PlanNetwork.sees = True
    PlanNetwork.replies = []
    PlanNetwork.during_check = None
    monkeypatch.delenv("TOK_C", raising=False)
    config = parse_config(
        {
            "database": {"path": str(tmp_path / "hub.db")},
            "plan": {"time_zone": "Asia/Vladivostok", "lint_threshold": 10},
            "accounts": [
                {"id": "A", "network": "scripted", "external_id": "a", "token_env": "TOK_A"},
                {"id": "B", "network": "scripted", "external_id": "b", "token_env": "TOK_A"},
            ],
        }
    )
    pm = make_plugin_manager(load_entry_points=False)
    pm.register(Plugin(), name="scripted")
    store = Store.open(config.db_path)
    yield config, pm, store
    store.close()


def add(env, text="Приглашаем на субботник в парке.", accounts=("A",), at=NOW, **kw):
    config, pm, store = env
    draft, _ = drafts.add_draft(
        store,
        pm,
        config,
        accounts=[config.account(a) for a in accounts],
        text=text,
        publish_at=at,
        created_by="author",
        **kw,
    )
    return draft


def approved(env, **kw):
    config, _, store = env
    draft = add(env, **kw)
    drafts.approve(store, config, draft.id, "head")
    return draft


def due(env, now=None):
    config, pm, store = env
    return asyncio.run(publish.publish_due(store, pm, config, now))


def state(env, draft_id):
    return drafts.load_draft(env[2], draft_id)
