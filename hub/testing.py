"""The network contract: one test suite that every network plugin passes against its emulator.

Like the Singer SDK's tap tests, a plugin proves itself by running it. In the
plugin's tests::

    from hub.testing import NetworkContract

    class TestMyNetContract(NetworkContract):
        @pytest.fixture
        def driver(self):
            with MyNetEmulator(...) as emulator:
                yield MyNetDriver(emulator)

where the driver implements :class:`EmulatorDriver` over the plugin's emulator
(see ``hub_vk.emulator.driver`` and ``hub_ok.emulator.driver``). The suite drives the real
library — config, store, sync engine, actions — over real loopback HTTP.
Requires pytest (a test dependency).
"""

from __future__ import annotations

import asyncio
import io
import sqlite3
from pathlib import Path
from typing import Any, Protocol

import pytest

from . import plugins
from .actions.commands import ban_user, delete_comment, restore_comment, unban_user
from .config import Config, parse_config
from .errors import HubError
from .log import configure_logging
from .network import BAN_USER, DETECTS_DELETIONS, RESTORE_COMMENT, UNBAN_USER
from .store import Store
from .sync import AccountRun, run_sync

TOKEN_ENV = "HUB_CONTRACT_TOKEN"


class EmulatorDriver(Protocol):
    """What the contract needs from a network's emulator. Ids are given as strings."""

    network: str
    token: str  # a token the emulator accepts
    rejected_token: str  # one it refuses as invalid

    def settings(self) -> dict[str, Any]:
        """The ``[networks.<name>]`` table pointing at the running emulator, limits off."""

    def environment(self) -> dict[str, str]:
        """Environment variables the settings name (an application secret, say)."""

    def external_ids(self) -> list[str]:
        """The accounts (communities, groups, channels) the emulator serves."""

    def state(self) -> dict[str, dict[str, list[str]]]:
        """external id → {post id → sorted ids of its live comments}, for live posts."""

    def add_post(self, external_id: str, comments: int) -> str: ...

    def add_comment(self, external_id: str, post_id: str) -> str: ...

    def delete_comment(self, external_id: str, post_id: str, comment_id: str) -> None: ...

    def comment_deleted(self, external_id: str, comment_id: str) -> bool: ...

    def inject_transient_faults(self, count: int) -> None:
        """Make the next ``count`` requests fail in a way worth retrying."""

    def requests(self) -> int: ...

    def tokens_in_urls(self) -> int:
        """How many requests carried a token in their URL (must stay 0)."""


def stored_state(db_path: Path) -> dict[str, dict[str, list[str]]]:
    """What the database holds, in :meth:`EmulatorDriver.state`'s shape."""
    conn = sqlite3.connect(db_path)
    out: dict[str, dict[str, list[str]]] = {}
    for account_id, external_id in conn.execute("SELECT id, external_id FROM accounts"):
        posts = {}
        for (post_id,) in conn.execute(
            "SELECT network_id FROM posts WHERE account_id = ? AND deleted_at IS NULL",
            [account_id],
        ):
            rows = conn.execute(
                "SELECT network_id FROM comments WHERE account_id = ? AND post_network_id = ? "
                "AND deleted_at IS NULL",
                [account_id, post_id],
            )
            posts[str(post_id)] = sorted(str(r[0]) for r in rows)
        out[external_id] = posts
    conn.close()
    return out


def _sorted_state(state: dict[str, dict[str, list[str]]]) -> dict[str, dict[str, list[str]]]:
    return {ext: {p: sorted(c) for p, c in posts.items()} for ext, posts in state.items()}


class NetworkContract:
    """Subclass it and provide a ``driver`` fixture; every test here must pass."""

    @pytest.fixture
    def config(self, driver: EmulatorDriver, tmp_path: Path, monkeypatch) -> Config:
        monkeypatch.setenv(TOKEN_ENV, driver.token)
        for key, value in driver.environment().items():
            monkeypatch.setenv(key, value)
        return parse_config(
            {
                "database": {"path": str(tmp_path / "contract.db")},
                "networks": {driver.network: driver.settings()},
                "accounts": [
                    {
                        "id": f"acc-{n}",
                        "network": driver.network,
                        "external_id": ext,
                        "token_env": TOKEN_ENV,
                    }
                    for n, ext in enumerate(driver.external_ids())
                ],
            }
        )

    @staticmethod
    def sync(config: Config, **kw: Any) -> list[AccountRun]:
        store = Store.open(config.db_path)
        try:
            return asyncio.run(
                run_sync(store, plugins.make_plugin_manager(), config, config.accounts, **kw)
            )
        finally:
            store.close()

    @staticmethod
    def assert_ok(runs: list[AccountRun]) -> None:
        assert all(r.ok for r in runs), [r.summary() for r in runs]

    def assert_matches(self, driver: EmulatorDriver, config: Config) -> None:
        assert stored_state(config.db_path) == _sorted_state(driver.state())

    # -- the contract --------------------------------------------------------
    def test_first_sync_stores_every_post_and_comment(self, driver, config):
        runs = self.sync(config)
        self.assert_ok(runs)
        self.assert_matches(driver, config)
        expected = sum(len(c) for posts in driver.state().values() for c in posts.values())
        assert sum(r.comments_new for r in runs) == expected

    def test_resync_without_changes_writes_nothing(self, driver, config):
        self.assert_ok(self.sync(config))
        before = driver.requests()
        runs = self.sync(config)
        self.assert_ok(runs)
        assert all(r.posts_new == r.comments_new == r.comments_deleted == 0 for r in runs)
        first_sync_requests = before
        assert driver.requests() - before < first_sync_requests  # incremental, not a re-read

    def test_incremental_resync_brings_new_posts_and_comments(self, driver, config):
        self.sync(config)
        ext = driver.external_ids()[0]
        driver.add_post(ext, comments=3)
        newest = max(driver.state()[ext], key=int)
        driver.add_comment(ext, newest)
        runs = self.sync(config)
        self.assert_ok(runs)
        assert runs[0].posts_new == 1 and runs[0].comments_new == 4
        self.assert_matches(driver, config)

    def test_deleted_comments_are_marked_not_removed(self, driver, config):
        if (
            DETECTS_DELETIONS
            not in plugins.networks(plugins.make_plugin_manager())[driver.network].capabilities
        ):
            pytest.skip(f"{driver.network} shows no deletions to a sync (declared)")
        self.sync(config)
        ext = driver.external_ids()[0]
        posts = driver.state()[ext]
        post_id = max((p for p in posts if posts[p]), key=int)
        gone = posts[post_id][0]
        driver.delete_comment(ext, post_id, gone)
        runs = self.sync(config)
        assert runs[0].comments_deleted == 1
        self.assert_matches(driver, config)
        conn = sqlite3.connect(config.db_path)
        row = conn.execute(
            "SELECT deleted_at, deleted_by FROM comments WHERE network_id = ?", [gone]
        ).fetchone()
        assert row[0] and row[1] == "network"

    def test_delete_comment_is_recorded_and_safe_to_repeat(self, driver, config):
        self.sync(config)
        store = Store.open(config.db_path)
        pm = plugins.make_plugin_manager()
        try:
            local_id, network_id = store.db.execute(
                "SELECT id, network_id FROM comments WHERE author_id > 0 AND deleted_at IS NULL "
                "ORDER BY id DESC LIMIT 1"
            ).fetchone()
            first = asyncio.run(delete_comment(store, pm, config, str(local_id)))
            assert first.result.done and not first.result.already
            assert driver.comment_deleted(driver.external_ids()[0], str(network_id)) or any(
                driver.comment_deleted(ext, str(network_id)) for ext in driver.external_ids()
            )
            again = asyncio.run(delete_comment(store, pm, config, str(local_id)))
            assert again.result.already and again.action_id == first.action_id
            state, attempts = store.db.execute(
                "SELECT state, attempts FROM actions WHERE id = ?", [first.action_id]
            ).fetchone()
            assert (state, attempts) == ("done", 2)
        finally:
            store.close()

    def test_restore_undoes_a_deletion_or_says_what_to_do(self, driver, config):
        """Declared: delete → restore → delete → restore are four actions, each verified."""
        self.sync(config)
        store = Store.open(config.db_path)
        pm = plugins.make_plugin_manager()
        network = plugins.networks(pm)[driver.network]
        try:
            local_id, network_id = store.db.execute(
                "SELECT id, network_id FROM comments WHERE author_id > 0 AND deleted_at IS NULL "
                "ORDER BY id DESC LIMIT 1"
            ).fetchone()
            first = asyncio.run(delete_comment(store, pm, config, str(local_id)))
            if RESTORE_COMMENT not in network.capabilities:
                with pytest.raises(HubError) as caught:
                    asyncio.run(restore_comment(store, pm, config, str(local_id)))
                assert str(caught.value) == network.capability_notes[RESTORE_COMMENT]
                return
            back = asyncio.run(restore_comment(store, pm, config, str(local_id)))
            assert back.result.done and not back.result.already
            places = driver.external_ids()
            assert not any(driver.comment_deleted(e, str(network_id)) for e in places)
            again = asyncio.run(restore_comment(store, pm, config, str(local_id)))
            assert again.result.already and again.action_id == back.action_id
            second = asyncio.run(delete_comment(store, pm, config, str(local_id)))
            assert second.action_id != first.action_id and not second.result.already
            third = asyncio.run(restore_comment(store, pm, config, str(local_id)))
            assert third.action_id != back.action_id and not third.result.already
            assert stored_state(config.db_path) == _sorted_state(driver.state())
        finally:
            store.close()

    def test_unban_lifts_a_ban_or_says_what_to_do(self, driver, config):
        self.sync(config)
        store = Store.open(config.db_path)
        pm = plugins.make_plugin_manager()
        network = plugins.networks(pm)[driver.network]
        try:
            account_id, author = store.db.execute(
                "SELECT account_id, author_id FROM comments WHERE author_id > 0 LIMIT 1"
            ).fetchone()
            if UNBAN_USER not in network.capabilities:
                with pytest.raises(HubError) as caught:
                    asyncio.run(unban_user(store, pm, config, account_id, str(author)))
                assert str(caught.value) == network.capability_notes[UNBAN_USER]
                return
            if BAN_USER in network.capabilities:
                asyncio.run(
                    ban_user(store, pm, config, account_id, str(author), days=1, reason="contract")
                )
            lifted = asyncio.run(unban_user(store, pm, config, account_id, str(author)))
            banned = BAN_USER in network.capabilities
            assert lifted.result.done and lifted.result.already is not banned
            again = asyncio.run(unban_user(store, pm, config, account_id, str(author)))
            assert again.result.already and again.action_id == lifted.action_id
        finally:
            store.close()

    def test_transient_faults_are_retried(self, driver, config):
        driver.inject_transient_faults(3)
        self.assert_ok(self.sync(config))
        self.assert_matches(driver, config)

    def test_rejected_token_fails_the_account_naming_the_variable(
        self, driver, config, monkeypatch
    ):
        monkeypatch.setenv(TOKEN_ENV, driver.rejected_token)
        runs = self.sync(config)
        assert all(r.status == "failed" for r in runs)
        for run in runs:
            assert f"${TOKEN_ENV}" in run.error and driver.rejected_token not in run.error

    def test_token_never_leaks(self, driver, config, monkeypatch):
        logs = io.StringIO()
        configure_logging(json=True, level="debug", stream=logs)
        try:
            self.assert_ok(self.sync(config))
            monkeypatch.setenv(TOKEN_ENV, driver.rejected_token)
            failed = self.sync(config)
        finally:
            configure_logging(json=False, level="warning")
        secrets = [driver.token, driver.rejected_token, *driver.environment().values()]
        texts = [logs.getvalue(), *(r.error or "" for r in failed)]
        assert '"account sync"' in logs.getvalue()
        for secret in secrets:
            for text in texts:
                assert secret not in text
            for path in config.db_path.parent.glob(config.db_path.name + "*"):
                assert secret.encode() not in path.read_bytes()
        assert driver.tokens_in_urls() == 0
