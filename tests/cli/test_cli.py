"""The real ``hub`` command, in a subprocess, against the emulator over loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hub_vk.emulator import VkEmulator
from tests.helpers import TOKEN, TOKEN_ENV, write_config


def hub(*args, env_extra=None, cwd=None, timeout=60):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "hub", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def emu():
    with VkEmulator(
        seed=11, communities=2, posts=12, comments=5, rate_limit=0, tokens=[TOKEN]
    ) as emulator:
        yield emulator


@pytest.fixture
def cfg(tmp_path, emu):
    return str(write_config(tmp_path, emu))


ENV = {TOKEN_ENV: TOKEN}


def assert_one_line_error(result, *needles, code=None):
    assert result.returncode != 0
    if code is not None:
        assert result.returncode == code
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("hub: error: ") and "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_sync_prints_one_line_per_account_and_exits_0(cfg, emu):
    result = hub("--config", cfg, "sync", env_extra=ENV)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2 and all(": ok — posts 12 new" in line for line in lines)
    again = hub("--config", cfg, "sync", "acc-1", env_extra=ENV)
    assert again.returncode == 0 and again.stdout.count("\n") == 1
    assert "posts 0 new" in again.stdout


def test_config_from_env_and_network_filter(cfg):
    result = hub("sync", "--network", "vk", env_extra={**ENV, "HUB_CONFIG": cfg})
    assert result.returncode == 0, result.stderr
    result = hub("sync", "--network", "ok", env_extra={**ENV, "HUB_CONFIG": cfg})
    assert_one_line_error(result, "no accounts to sync on network 'ok'", code=2)


def test_accounts_list_json_after_sync(cfg):
    hub("--config", cfg, "sync", env_extra=ENV)
    result = hub("--config", cfg, "accounts", "list", "--json")
    rows = json.loads(result.stdout)
    assert [r["id"] for r in rows] == ["acc-1", "acc-2"]
    assert rows[0]["posts"] == 12 and rows[0]["last_status"] == "ok" and rows[0]["name"]
    assert rows[0]["token_env"] == TOKEN_ENV
    assert TOKEN not in result.stdout


def test_plugins_lists_vk(cfg):
    result = hub("plugins", "--json")
    rows = json.loads(result.stdout)
    vk = next(r for r in rows if r["name"] == "vk")
    assert vk["networks"] == ["vk"] and "register_networks" in vk["hooks"]
    assert "vk" in hub("plugins").stdout


def test_comments_delete_and_users_ban_from_the_cli(cfg, emu):
    hub("--config", cfg, "sync", env_extra=ENV)
    listed = json.loads(hub("--config", cfg, "comments", "list", "--json", "--limit", "50").stdout)
    target = next(c for c in listed if c["author_id"] and c["author_id"] > 0)
    ref = f"{target['account_id']}:{target['network_id']}"
    first = hub("--config", cfg, "comments", "delete", ref, env_extra=ENV)
    assert first.returncode == 0 and ": done (action #" in first.stdout, first.stderr
    second = hub("--config", cfg, "comments", "delete", str(target["id"]), env_extra=ENV)
    assert second.returncode == 0 and "already done" in second.stdout
    ban = hub(
        "--config",
        cfg,
        "users",
        "ban",
        target["account_id"],
        str(target["author_id"]),
        "--days",
        "7",
        "--reason",
        "оскорбления",
        env_extra=ENV,
    )
    assert ban.returncode == 0 and "banned until" in ban.stdout, ban.stderr
    again = hub(
        "--config",
        cfg,
        "users",
        "ban",
        target["account_id"],
        str(target["author_id"]),
        "--days",
        "7",
        "--reason",
        "оскорбления",
        env_extra=ENV,
    )
    assert again.returncode == 0 and "already banned" in again.stdout


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["sync", "nope"], ["unknown account 'nope'", "acc-1"]),
        (["comments", "delete", "acc-1:999999999"], ["not in the database"]),
        (["comments", "delete", "what?"], ["ACCOUNT:COMMENT_ID"]),
        (["users", "ban", "acc-1", "vasya", "--reason", "x"], ["numeric user id"]),
        (["users", "ban", "acc-1", "5", "--days", "400", "--reason", "x"], ["between 1 and 365"]),
    ],
)
def test_bad_input_is_one_line(cfg, args, needles):
    assert_one_line_error(hub("--config", cfg, *args, env_extra=ENV), *needles)


def test_missing_token_variable_writes_nothing(cfg, tmp_path):
    result = hub("--config", cfg, "sync")
    assert_one_line_error(result, TOKEN_ENV, "is not set", code=2)
    assert "acc-1" in result.stderr and "acc-2" in result.stderr  # every one, at once
    assert not (tmp_path / "hub.db").exists()


def test_an_unset_variable_skips_only_its_accounts(cfg):
    """Issue 13 (6): one unset variable stopped the whole sync, naming one per run."""
    path = Path(cfg)
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.rindex("token_env")] + 'token_env = "HUB_VK_UNSET_B"\n')
    result = hub("--config", cfg, "sync", env_extra=ENV)
    assert result.returncode == 1
    err = result.stderr.strip().splitlines()
    assert err[0] == "not synced: acc-2 (HUB_VK_UNSET_B is not set)", err
    assert (
        err[-1] == "hub: error: 1 of 2 accounts did not sync" and "Traceback" not in result.stderr
    )
    assert result.stdout.startswith("acc-1: ok — posts 12 new") or "acc-1: ok" in result.stdout


def test_unknown_network_in_config(cfg):
    path = Path(cfg)
    text = path.read_text(encoding="utf-8").replace('network = "vk"', 'network = "myspace"', 1)
    path.write_text(text, encoding="utf-8")
    assert_one_line_error(
        hub("--config", cfg, "sync", env_extra=ENV),
        "network 'myspace'",
        "installed: max, ok, telegram, vk",
        code=2,
    )


def test_broken_config_and_missing_config(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[[accounts]\nid=")
    assert_one_line_error(hub("--config", str(bad), "sync"), "not valid TOML", code=2)
    assert_one_line_error(
        hub("--config", str(tmp_path / "none.toml"), "accounts", "list"),
        "not found",
        "hub init",
        code=2,
    )


def test_bad_token_exits_1_with_the_variable_named(cfg):
    result = hub("--config", cfg, "sync", env_extra={TOKEN_ENV: "vk1.a.wrong"})
    assert result.returncode == 1
    assert f"${TOKEN_ENV}" in result.stdout and "vk1.a.wrong" not in result.stdout + result.stderr
    assert result.stderr.strip().splitlines()[-1] == "hub: error: 2 of 2 accounts did not sync"


def test_unreachable_api(tmp_path, emu):
    path = write_config(tmp_path, emu)
    path.write_text(path.read_text().replace(emu.url, "http://127.0.0.1:9/method"))
    result = hub("--config", str(path), "sync", env_extra=ENV)
    assert result.returncode == 1 and "unreachable" in result.stdout
    assert "Traceback" not in result.stderr


def test_init_writes_config_and_db_once(tmp_path):
    first = hub("init", "--dir", str(tmp_path))
    assert first.returncode == 0 and (tmp_path / "config" / "hub.toml").exists()
    assert (tmp_path / "config" / "hub.db").exists()
    listed = hub("accounts", "list", cwd=tmp_path)
    assert listed.returncode == 0 and listed.stdout == ""
    assert_one_line_error(hub("init", "--dir", str(tmp_path)), "already exists", code=2)


def test_emulator_command_serves_and_stops(tmp_path):
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hub",
            "emulator",
            "vk",
            "--port",
            "0",
            "--communities",
            "1",
            "--posts",
            "3",
            "--comments",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("VK emulator on http://127.0.0.1:")
        url = line.split()[3]
        import httpx

        answer = httpx.post(
            f"{url}/wall.get",
            data={"owner_id": "-1", "v": "5.199"},
            headers={"Authorization": "Bearer demo-vk-token"},
        )
        assert "error" in answer.json() or "response" in answer.json()
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


def test_help_works_without_config():
    result = hub("--help")
    assert result.returncode == 0 and "sync" in result.stdout and "emulator" in result.stdout
    assert "vk" in hub("emulator", "--help").stdout


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        ({"extra": 'timeout_seconds = "x"'}, "timeout_seconds = 'x' must be a number"),
        ({"rps": "nan"}, "requests_per_second = nan must be a number"),
        ({"extra": "request_per_second = 5"}, "unknown key 'request_per_second'"),
    ],
)
def test_bad_network_settings_fail_before_any_write(tmp_path, emu, options, needle):
    path = write_config(tmp_path, emu, **options)
    assert_one_line_error(hub("--config", str(path), "sync", env_extra=ENV), needle, code=2)
    assert not (tmp_path / "hub.db").exists()


def test_bad_api_base_and_odd_token(tmp_path, emu):
    path = write_config(tmp_path, emu)
    path.write_text(path.read_text().replace(emu.url, "http://[::1"))
    assert_one_line_error(hub("--config", str(path), "sync", env_extra=ENV), "not an http(s) URL")
    path = write_config(tmp_path, emu)
    result = hub("--config", str(path), "sync", env_extra={TOKEN_ENV: "токен-с-кириллицей"})
    assert_one_line_error(result, "non-Latin characters", code=2)
    assert "токен" not in result.stderr


def test_locked_or_read_only_database_is_one_line(tmp_path, emu):
    path = write_config(tmp_path, emu)
    assert hub("--config", str(path), "sync", env_extra=ENV).returncode == 0
    import sqlite3

    holder = sqlite3.connect(tmp_path / "hub.db")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = hub("--config", str(path), "sync", env_extra=ENV, timeout=60)
    finally:
        holder.rollback()
        holder.close()
    assert_one_line_error(result, "database", "locked")


def test_read_commands_do_not_create_a_database(cfg, tmp_path):
    for args in (["accounts", "list"], ["comments", "list"]):
        assert_one_line_error(hub("--config", cfg, *args), "does not exist", "hub sync", code=2)
    assert not (tmp_path / "hub.db").exists()


def test_accounts_check_on_vk(cfg):
    good = hub("--config", cfg, "accounts", "check", "acc-1", env_extra=ENV)
    assert good.returncode == 0
    assert good.stdout.startswith(f"acc-1: ok: the token in ${TOKEN_ENV} works and the page «")
    bad = hub("--config", cfg, "accounts", "check", "acc-1", env_extra={TOKEN_ENV: "vk1.a.bad"})
    assert bad.returncode == 1 and bad.stdout.startswith("acc-1: PROBLEM: ")
    assert f"${TOKEN_ENV}" in bad.stdout and "vk1.a.bad" not in bad.stdout + bad.stderr


def test_sync_one_accounts_unexpected_failure_is_its_own(cfg, emu, monkeypatch, capsys):
    """A plugin tripping over one community's answer: that account fails, named; exit 1."""
    from hub.cli import main
    from hub_vk.network import VkNetwork

    bad = str(emu.community_ids()[0])
    original = VkNetwork.fetch_comments

    async def malformed(self, requests):
        if any(r.account.external_id == bad for r in requests):
            raise ValueError("invalid literal for int() with base 10: 'n/a'")
        return await original(self, requests)

    monkeypatch.setattr(VkNetwork, "fetch_comments", malformed)
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    with pytest.raises(SystemExit) as exit_:
        main(["--config", cfg, "sync"])
    out = capsys.readouterr()
    assert exit_.value.code == 1
    lines = out.out.strip().splitlines()
    assert lines[0].startswith("acc-1: failed — unexpected ValueError: invalid literal")
    assert lines[1].startswith("acc-2: ok — posts 12 new")
    assert "1 of 2 accounts did not sync" in out.err and "Traceback" not in out.err
