"""``hub accounts check``: every right the hub uses, tried the way sync uses it (issue 13, 6).

Before: the check read only the page's metadata, so a VK community key passed it
and ``hub sync`` then failed with error 27; it took one account at a time.
"""

from __future__ import annotations

import asyncio

import pytest

from hub import plugins
from hub.config import parse_config
from hub.sync import check_all
from hub.testing import TOKEN_ENV as OK_TOKEN_ENV
from hub_ok.emulator.driver import SECRET_ENV, OkDriver
from hub_vk.emulator import VkEmulator
from tests.cli.test_cli import hub
from tests.helpers import TOKEN, TOKEN_ENV, write_config

KEY = "vk1.g.community-key-of-the-first-0001"
KEY_ENV = "HUB_VK_COMMUNITY_KEY"
EVENTS_ENV = "HUB_VK_EVENTS_KEY"


@pytest.fixture
def emu():
    with VkEmulator(
        seed=5, communities=2, posts=4, comments=2, rate_limit=0, tokens=[TOKEN]
    ) as emulator:
        emulator.community_tokens[KEY] = emulator.community_ids()[0]
        yield emulator


def lines(result) -> list[str]:
    return result.stdout.strip().splitlines()


def test_a_community_key_fails_the_check_where_sync_fails(tmp_path, emu):
    cfg = str(write_config(tmp_path, emu, token_env=KEY_ENV, ids=emu.community_ids()[:1]))
    synced = hub("--config", cfg, "sync", env_extra={KEY_ENV: KEY})
    assert synced.returncode == 1 and "Group authorization failed" in synced.stdout
    checked = hub("--config", cfg, "accounts", "check", env_extra={KEY_ENV: KEY})
    assert checked.returncode == 1, checked.stdout + checked.stderr
    out = lines(checked)
    wall = next(line for line in out if "read the wall" in line)
    assert wall.startswith("acc-1: PROBLEM: ") and "wall.get" in wall and "USER token" in wall
    for right in ("read comments", "delete comments", "ban users", "post"):
        assert any(line.startswith(f"acc-1: PROBLEM: {right}") for line in out), (right, out)
    assert KEY not in checked.stdout + checked.stderr
    assert checked.stderr.startswith("hub: error: acc-1: ") and "Traceback" not in checked.stderr


def test_every_account_by_default_one_line_per_right(tmp_path, emu):
    cfg = str(write_config(tmp_path, emu))
    result = hub("--config", cfg, "accounts", "check", env_extra={TOKEN_ENV: TOKEN})
    assert result.returncode == 0, result.stdout + result.stderr
    out = lines(result)
    for account in ("acc-1", "acc-2"):
        mine = [line for line in out if line.startswith(f"{account}: ")]
        for right in ("read the wall", "read comments", "delete comments", "ban users", "post"):
            assert any(line.startswith(f"{account}: ok: {right}") for line in mine), (right, mine)
        assert any(line.startswith(f"{account}: not checked: token scopes") for line in mine)
    named = hub("--config", cfg, "accounts", "check", "acc-2", env_extra={TOKEN_ENV: TOKEN})
    assert named.returncode == 0 and all(line.startswith("acc-2: ") for line in lines(named))


def test_a_moderator_may_not_post_and_a_stranger_nothing(tmp_path, emu):
    cfg = str(write_config(tmp_path, emu, ids=emu.community_ids()[:1]))
    emu.admin_levels[TOKEN] = 1
    result = hub("--config", cfg, "accounts", "check", env_extra={TOKEN_ENV: TOKEN})
    out = lines(result)
    assert result.returncode == 1
    assert any(line.startswith("acc-1: ok: delete comments") for line in out)
    assert any(line.startswith("acc-1: PROBLEM: post: ") and "editor" in line for line in out)
    emu.admin_levels[TOKEN] = 0
    out = lines(hub("--config", cfg, "accounts", "check", env_extra={TOKEN_ENV: TOKEN}))
    assert sum(line.startswith("acc-1: PROBLEM: ") for line in out) == 3, out


def test_long_poll_key_needs_manage(tmp_path, emu):
    extra = f'events_token_env = "{EVENTS_ENV}"'
    cfg = write_config(tmp_path, emu, ids=emu.community_ids()[:1])
    cfg.write_text(
        cfg.read_text().replace(
            f'token_env = "{TOKEN_ENV}"', extra + "\n" + (f'token_env = "{TOKEN_ENV}"')
        )
    )
    env = {TOKEN_ENV: TOKEN, EVENTS_ENV: KEY}
    emu.set_long_poll(emu.community_ids()[0])  # as an administrator would in VK's settings
    good = hub("--config", str(cfg), "accounts", "check", env_extra=env)
    assert good.returncode == 0, good.stdout
    on = "acc-1: ok: Long Poll: on, with the wall's post and comment events, API 5.199"
    assert on in lines(good)
    emu.community_token_rights[KEY] = frozenset({"photos"})
    bad = hub("--config", str(cfg), "accounts", "check", env_extra=env)
    assert bad.returncode == 1
    assert any("PROBLEM: Long Poll" in line and "'manage'" in line for line in lines(bad))
    unset = hub("--config", str(cfg), "accounts", "check", env_extra={TOKEN_ENV: TOKEN})
    assert any("PROBLEM: Long Poll" in line and EVENTS_ENV in line for line in lines(unset)), (
        unset.stdout
    )


def test_an_unset_variable_is_its_accounts_problem_only(tmp_path, emu):
    path = write_config(tmp_path, emu)
    text = path.read_text()
    path.write_text(text[: text.rindex("token_env")] + 'token_env = "HUB_VK_UNSET"\n')
    result = hub("--config", str(path), "accounts", "check", env_extra={TOKEN_ENV: TOKEN})
    assert result.returncode == 1
    out = lines(result)
    assert any(line.startswith("acc-1: ok: read the wall") for line in out)
    assert any(line.startswith("acc-2: PROBLEM: HUB_VK_UNSET is not set") for line in out), out


def ok_config(tmp_path, driver):
    return parse_config(
        {
            "database": {"path": str(tmp_path / "hub.db")},
            "networks": {"ok": driver.settings()},
            "accounts": [
                {
                    "id": "ok-1",
                    "network": "ok",
                    "external_id": driver.external_ids()[0],
                    "token_env": OK_TOKEN_ENV,
                }
            ],
        }
    )


def statuses(findings) -> dict[str, str]:
    return {f.text.split(":")[0]: f.status for f in findings}


def test_ok_permissions_status_and_reading(tmp_path, monkeypatch):
    monkeypatch.setenv(OK_TOKEN_ENV, OkDriver.token)
    monkeypatch.setenv(SECRET_ENV, OkDriver.application_secret)
    pm = plugins.make_plugin_manager()
    with OkDriver.start() as emu:
        config = ok_config(tmp_path, OkDriver(emu))
        [(_account, findings)] = asyncio.run(check_all(pm, config, config.accounts))
        seen = statuses(findings)
        for right in ("read the group's topics", "read comments", "delete comments"):
            assert seen[right] == "ok", findings
        assert seen["permission GROUP_CONTENT granted"] == "ok"
        emu.token_permissions[OkDriver.token] = frozenset({"VALUABLE_ACCESS"})
        [(_account, findings)] = asyncio.run(check_all(pm, config, config.accounts))
        problem = [f for f in findings if f.status == "PROBLEM"]
        assert problem and "GROUP_CONTENT" in problem[0].text, findings
