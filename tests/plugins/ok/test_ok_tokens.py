"""OK OAuth tokens (issue 15, point 1): a refresh token kept, refreshed on expiry, or refused."""

from __future__ import annotations

import asyncio

import pytest

from hub import plugins
from hub.config import load_config
from hub.store import Store
from hub.sync import run_sync
from hub.testing import TOKEN_ENV
from hub.tokens import SecretsFile
from hub_ok.emulator.driver import SECRET_ENV, OkDriver
from tests.cli.test_cli import hub


@pytest.fixture
def emu():
    with OkDriver.start(groups=2, topics=4, comments=2) as emulator:
        yield emulator


def write_config(tmp_path, emu):
    driver = OkDriver(emu)
    lines = ["[database]", 'path = "hub.db"', "", "[networks.ok]"]
    settings = {
        **driver.settings(),
        "application_id": "512000",
        "oauth_token_url": f"{emu.base_url}/oauth/token.do",
    }
    lines += [f'{key} = "{value}"' if isinstance(value, str) else f"{key} = {value}"
              for key, value in settings.items()]  # fmt: skip
    for n, ext in enumerate(driver.external_ids(), start=1):
        env = "HUB_OK_UNUSED" if n == 1 else TOKEN_ENV
        lines += ["", "[[accounts]]", f'id = "ok-{n}"', 'network = "ok"']
        lines += [f'external_id = "{ext}"', 'organization = "Орг"', f'token_env = "{env}"']
    path = tmp_path / "hub.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def env():
    return {TOKEN_ENV: OkDriver.token, SECRET_ENV: OkDriver.application_secret}


def sync(path):
    config = load_config(path)
    store = Store.open(config.db_path)
    try:
        pm = plugins.make_plugin_manager()
        return {r.account.id: r for r in asyncio.run(run_sync(store, pm, config, config.accounts))}
    finally:
        store.close()


@pytest.fixture
def signed_in(tmp_path, emu, monkeypatch):
    for key, value in env().items():
        monkeypatch.setenv(key, value)
    path = write_config(tmp_path, emu)
    out = hub("--config", str(path), "auth", "ok", "ok-1", "--refresh-token", emu.oauth.grant(),
              env_extra=env())  # fmt: skip
    assert out.returncode == 0, out.stderr
    return path


def test_an_ok_token_is_refreshed_across_its_expiry(emu, signed_in):
    stored = SecretsFile.beside(signed_in).get("ok-1")
    assert stored.refreshable and stored.expires_at and stored.access_token.startswith("ok-at-")
    assert all(r.ok for r in sync(signed_in).values())
    emu.oauth.expire_access_tokens()  # OK now answers 102, session expired
    runs = sync(signed_in)
    assert all(r.ok for r in runs.values()), [r.summary() for r in runs.values()]
    assert emu.oauth.refreshes == 2


def test_a_refused_ok_refresh_parks_only_its_account(emu, signed_in):
    emu.oauth.revoke_all()
    emu.oauth.expire_access_tokens()
    runs = sync(signed_in)
    assert runs["ok-2"].ok and runs["ok-1"].token_rejected
    assert "run 'hub auth ok ok-1' again" in runs["ok-1"].error


def test_a_long_lived_ok_token_is_stored_as_it_is(tmp_path, emu, monkeypatch):
    for key, value in env().items():
        monkeypatch.setenv(key, value)
    path = write_config(tmp_path, emu)
    out = hub("--config", str(path), "auth", "ok", "ok-1", "--access-token", OkDriver.token,
              env_extra=env())  # fmt: skip
    assert out.returncode == 0, out.stderr
    stored = SecretsFile.beside(path).get("ok-1")
    assert stored.kind == "fixed" and not stored.refreshable and stored.expires_at is None
    assert all(r.ok for r in sync(path).values())
