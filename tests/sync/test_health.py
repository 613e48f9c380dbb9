"""An account's stored sync health (hub.sync.health): the last run and the last good one,
a rate-limit pause only while it lasts, a refused token read from the stored error, and
the token's state (variable unset, a stored token expired or expiring) without the token."""

from __future__ import annotations

import time

import pytest

from hub.config import load_config
from hub.store import Store
from hub.sync.health import (
    EXPIRY_WARNING_SECONDS,
    account_health,
    token_refused,
    token_state,
)
from hub.tokens import SecretsFile, StoredToken

ENV = "HUB_TEST_HEALTH_TOKEN"


@pytest.fixture
def setup(tmp_path):
    path = tmp_path / "hub.toml"
    path.write_text(
        '[database]\npath = "hub.db"\n\n'
        '[[accounts]]\nid = "town"\nnetwork = "vk"\nexternal_id = "1"\n'
        f'organization = "Город"\ntoken_env = "{ENV}"\n',
        encoding="utf-8",
    )
    config = load_config(path)
    store = Store.open(config.db_path, create=True)
    store.sync_accounts_from_config(config.accounts)
    yield config, store, config.accounts[0]
    store.close()


def _run(store: Store, started: str, status: str, error: str | None = None, **counts) -> None:
    with store.transaction():
        store.record_run(
            {
                "account_id": "town",
                "started_at": started,
                "finished_at": started,
                "status": status,
                "posts_new": counts.get("posts_new", 0),
                "posts_updated": 0,
                "comments_new": counts.get("comments_new", 0),
                "comments_updated": 0,
                "comments_deleted": 0,
                "error": error,
            }
        )
        store.update_sync_state(
            "town", last_finished_at=started, last_status=status, last_error=error
        )


def test_a_never_synced_account_has_no_run_and_names_its_unset_variable(setup):
    config, store, account = setup
    (health,) = account_health(store, config, [account])
    assert health.last_status is None and health.last_ok_at is None and health.last_counts == {}
    assert (health.posts, health.comments) == (0, 0)
    assert health.token.source == "variable"
    assert health.token.problem == f"{ENV} is not set"


def test_the_last_run_and_the_last_good_one_are_told_apart(setup, monkeypatch):
    config, store, account = setup
    monkeypatch.setenv(ENV, "vk1.a.some-token-1234")
    _run(store, "2026-01-01T10:00:00Z", "ok", posts_new=3, comments_new=7)
    _run(store, "2026-01-01T11:00:00Z", "failed", "error 10: internal server error")
    (health,) = account_health(store, config, [account])
    assert health.last_status == "failed" and health.last_ok_at == "2026-01-01T10:00:00Z"
    assert health.last_counts["posts_new"] == 0  # the last run's, not the good one's
    assert health.token.problem is None and not health.token_refused


def test_a_pause_counts_only_while_it_lasts(setup):
    config, store, account = setup
    with store.transaction():
        store.update_sync_state("town", paused_until="2999-01-01T00:00:00Z", pause_reason="29")
    assert account_health(store, config, [account])[0].paused_until == "2999-01-01T00:00:00Z"
    with store.transaction():
        store.update_sync_state("town", paused_until="2000-01-01T00:00:00Z")
    (health,) = account_health(store, config, [account])
    assert health.paused_until is None and health.pause_reason is None


def test_a_refused_token_is_read_from_the_stored_error(setup):
    config, store, account = setup
    refused = f"the network rejected the token in ${ENV} (error 5: invalid access_token)"
    _run(store, "2026-01-01T10:00:00Z", "failed", refused)
    assert account_health(store, config, [account])[0].token_refused
    assert token_refused(account, "vk refused to refresh...; run 'hub auth vk town' again")
    assert not token_refused(account, "error 10: internal server error")
    assert not token_refused(account, None)


def test_a_stored_token_that_cannot_refresh_is_expiring_then_expired(setup):
    config, _store, account = setup
    secrets = SecretsFile.beside(config.path)
    now = time.time()
    soon = StoredToken("vk", "vk1.a.stored-secret", kind="fixed", expires_at=now + 3600)
    with secrets.locked():
        secrets.put("town", soon)
    state = token_state(config, account, now)
    assert state.source == "stored" and state.expiring and not state.expired
    assert "stored-secret" not in repr(state)  # the state never carries the token
    assert token_state(config, account, now + 7200).expired
    assert not token_state(config, account, now - EXPIRY_WARNING_SECONDS).expiring
    renewable = StoredToken("vk", "vk1.a.x-1234", expires_at=now - 60, refresh_token="r-1234")
    with secrets.locked():
        secrets.put("town", renewable)
    state = token_state(config, account, now)  # refreshed on its next use: no problem
    assert state.refreshable and not state.expired and not state.expiring


def test_a_broken_secrets_file_is_the_accounts_token_problem(setup):
    config, _store, account = setup
    SecretsFile.beside(config.path).path.write_text("{not json", encoding="utf-8")
    state = token_state(config, account)
    assert state.problem and "not valid JSON" in state.problem
