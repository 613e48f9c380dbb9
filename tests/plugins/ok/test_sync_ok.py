"""OK-specific behaviour end to end against the OK emulator (the shared contract is elsewhere)."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from hub import plugins
from hub.actions.commands import ban_user, delete_comment
from hub.config import parse_config
from hub.errors import ConfigError, HubError
from hub.store import Store
from hub.sync import check_accounts
from hub.testing import TOKEN_ENV, stored_state
from hub_ok.emulator.driver import SECRET_ENV, OkDriver
from tests.cli.test_cli import assert_one_line_error, hub


def make_config(tmp_path, driver, **settings):
    return parse_config(
        {
            "database": {"path": str(tmp_path / "hub.db")},
            "networks": {"ok": {**driver.settings(), **settings}},
            "accounts": [
                {"id": f"ok-{n}", "network": "ok", "external_id": ext, "token_env": TOKEN_ENV}
                for n, ext in enumerate(driver.external_ids())
            ],
        }
    )


@pytest.fixture
def env(monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, OkDriver.token)
    monkeypatch.setenv(SECRET_ENV, OkDriver.application_secret)


def sync(config):
    store = Store.open(config.db_path)
    try:
        return asyncio.run(run(store, config))
    finally:
        store.close()


async def run(store, config):
    from hub.sync import run_sync

    return await run_sync(store, plugins.make_plugin_manager(), config, config.accounts)


def test_falls_back_to_stream_get_and_pages_long_topics(tmp_path, env):
    with OkDriver.start(get_topics=False, big_topic=True, topics=60) as emu:
        driver = OkDriver(emu)
        config = make_config(tmp_path, driver)
        runs = sync(config)
        assert all(r.ok for r in runs), [r.summary() for r in runs]
        assert stored_state(config.db_path) == driver.state()
        by_method = emu.stats()["by_method"]
        assert by_method["mediatopic.getTopics"] == 1  # tried once, then the feed
        assert by_method["stream.get"] >= 4  # 61 topics a group, 50 a page
        conn = sqlite3.connect(config.db_path)
        biggest = conn.execute(
            "SELECT COUNT(*) FROM comments GROUP BY post_id ORDER BY 1 DESC LIMIT 1"
        ).fetchone()[0]
        assert biggest == 250


def test_edited_topic_is_updated(tmp_path, env):
    with OkDriver.start() as emu:
        driver = OkDriver(emu)
        config = make_config(tmp_path, driver)
        sync(config)
        gid = emu.group_ids()[0]
        topic = max(driver.state()[str(gid)], key=int)
        emu.edit_topic(gid, topic, "Исправлено: отключение воды переносится")
        runs = sync(config)
        assert runs[0].posts_updated == 1
        conn = sqlite3.connect(config.db_path)
        text, edited = conn.execute(
            "SELECT text, edited_at FROM posts WHERE network_id = ?", [int(topic)]
        ).fetchone()
        assert text.startswith("Исправлено") and edited


def test_block_author_with_a_deletion_and_no_separate_ban(tmp_path, env):
    with OkDriver.start() as emu:
        driver = OkDriver(emu)
        config = make_config(tmp_path, driver)
        sync(config)
        store = Store.open(config.db_path)
        pm = plugins.make_plugin_manager()
        rows = store.db.execute(
            "SELECT id, account_id, author_id FROM comments WHERE author_id > 0 "
            "AND deleted_at IS NULL AND account_id = 'ok-0' ORDER BY id"
        ).fetchall()
        first, account_id, author = rows[0]
        gid = int(config.account(account_id).external_id)
        second, _, author2 = next(
            r for r in rows if r[2] != author and not emu.is_blocked(gid, r[2])
        )
        out = asyncio.run(delete_comment(store, pm, config, str(first), block_author=True))
        assert out.result.done and "is blocked in the group" in out.result.detail
        assert emu.is_blocked(gid, author)
        # deleted already (by a moderator in the OK UI): OK cannot block any more — said plainly
        network_id, post = store.db.execute(
            "SELECT network_id, post_network_id FROM comments WHERE id = ?", [second]
        ).fetchone()
        emu.delete_comment(gid, str(post), network_id)
        late = asyncio.run(delete_comment(store, pm, config, str(second), block_author=True))
        assert late.result.already and "was NOT blocked" in late.result.detail
        assert not emu.is_blocked(gid, author2)
        with pytest.raises(HubError, match="no separate ban.*--block-author"):
            asyncio.run(ban_user(store, pm, config, account_id, str(author), days=7, reason="x"))
        store.close()


def test_wrong_application_secret_names_the_variables(tmp_path, env, monkeypatch):
    with OkDriver.start() as emu:
        config = make_config(tmp_path, OkDriver(emu))
        monkeypatch.setenv(SECRET_ENV, "not-the-secret")
        runs = sync(config)
        assert all(r.status == "failed" for r in runs)
        assert f"${SECRET_ENV}" in runs[0].error and f"${TOKEN_ENV}" in runs[0].error
        assert "not-the-secret" not in runs[0].error


@pytest.mark.parametrize(
    ("settings", "unset", "message"),
    [
        ({"application_key": ""}, None, "application_key is missing"),
        ({"application_secret_key_env": ""}, None, "application_secret_key_env is missing"),
        ({}, SECRET_ENV, f"{SECRET_ENV} is not set"),
        ({"api_base": "ok.ru"}, None, "not an http"),
    ],
)
def test_bad_ok_settings_fail_before_anything(tmp_path, env, monkeypatch, settings, unset, message):
    with OkDriver.start() as emu:
        config = make_config(tmp_path, OkDriver(emu), **settings)
        if unset:
            monkeypatch.delenv(unset)
        with pytest.raises(ConfigError, match=message):
            check_accounts(plugins.make_plugin_manager(), config, config.accounts)
        assert not config.db_path.exists()


def test_cli_ban_on_ok_explains_the_alternative(tmp_path):
    with OkDriver.start() as emu:
        driver = OkDriver(emu)
        path = tmp_path / "hub.toml"
        settings = driver.settings()
        path.write_text(
            "[networks.ok]\n"
            + "".join(
                f'{k} = "{v}"\n' if isinstance(v, str) else f"{k} = {v}\n"
                for k, v in settings.items()
            )
            + f'\n[[accounts]]\nid = "ok-1"\nnetwork = "ok"\nexternal_id = "{emu.group_ids()[0]}"\n'
            f'token_env = "{TOKEN_ENV}"\n',
            encoding="utf-8",
        )
        env = {TOKEN_ENV: driver.token, SECRET_ENV: driver.application_secret}
        assert hub("--config", str(path), "sync", env_extra=env).returncode == 0
        result = hub(
            "--config",
            str(path),
            "users",
            "ban",
            "ok-1",
            "5000000000001",
            "--reason",
            "спам",
            env_extra=env,
        )
        assert_one_line_error(result, "OK's API has no separate ban", "--block-author")
