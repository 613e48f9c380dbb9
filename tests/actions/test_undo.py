"""Issue 13, point 4: what the hub does can be undone, and a first spam offence is not for ever.

``hub comments restore`` (VK ``wall.restoreComment``) and ``hub users unban``
(VK ``groups.unban``; Telegram ``unbanChatMember``/``restrictChatMember``/
``unbanChatSenderChat``) go through the action outbox and the audit log; where
a network cannot undo, the command says what to do by hand.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time

import httpx
import pytest

from hub import plugins
from hub.actions.commands import (
    ban_user,
    delete_comment,
    restore_comment,
    restrict_user,
    unban_user,
)
from hub.config import load_config
from hub.errors import HubError
from hub.moderation import audit
from hub.moderation.policy import Policy, Restriction, load_policies
from hub.store import Store
from hub.testing import TOKEN_ENV as TG_TOKEN_ENV
from hub_telegram.emulator.driver import TelegramDriver
from hub_vk.emulator import VkEmulator
from hub_vk.emulator.methods import RESTORE_WINDOW
from tests.cli.test_cli import assert_one_line_error, hub
from tests.helpers import TOKEN, TOKEN_ENV, sync, write_config
from tests.moderation.test_moderation_pipeline import pm_with_engine, run_moderate
from tests.plugins.telegram.test_sync_telegram import make_config as tg_config
from tests.plugins.telegram.test_sync_telegram import sync as tg_sync
from tests.plugins.telegram.test_sync_telegram import write_toml as tg_toml


@pytest.fixture
def vk(tmp_path, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    with VkEmulator(
        seed=5, communities=1, posts=3, comments=3, rate_limit=0, tokens=[TOKEN]
    ) as emu:
        path = write_config(tmp_path, emu)
        sync(path)
        config = load_config(path)
        store = Store.open(config.db_path)
        yield emu, path, config, store, plugins.make_plugin_manager()
        store.close()


def run(coro):
    return asyncio.run(coro)


def a_comment(store, account_id="acc-1"):
    return store.db.execute(
        "SELECT id, network_id, author_id FROM comments WHERE account_id = ? AND author_id > 0 "
        "AND deleted_at IS NULL ORDER BY id LIMIT 1",
        [account_id],
    ).fetchone()


def deleted_on_vk(emu, network_id):
    gid = str(emu.community_ids()[0])
    return int(network_id) in emu.snapshot()["communities"][gid]["deleted_comments"]


def actions(store, kind):
    return store.db.execute(
        "SELECT id, idempotency_key, state FROM actions WHERE kind = ? ORDER BY id", [kind]
    ).fetchall()


# --------------------------------------------------------------------------- VK: restore


def test_delete_restore_delete_again_restore_again_are_each_their_own_action(vk):
    emu, _path, config, store, pm = vk
    local, network_id, _author = a_comment(store)
    first = run(delete_comment(store, pm, config, str(local)))
    assert first.result.done and deleted_on_vk(emu, network_id)

    restored = run(restore_comment(store, pm, config, str(local), "operator:anna"))
    assert restored.result.done and not restored.result.already
    assert not deleted_on_vk(emu, network_id)
    row = store.db.execute(
        "SELECT deleted_at, deleted_by, moderation_status FROM comments WHERE id = ?", [local]
    ).fetchone()
    assert row == (None, None, "restored")
    # a repeat verifies: the same action, VK says there is nothing to restore
    again = run(restore_comment(store, pm, config, str(local), "operator:anna"))
    assert again.result.already and again.action_id == restored.action_id

    # deleting it again is a new action that really deletes, not "already done"
    second = run(delete_comment(store, pm, config, str(local)))
    assert second.action_id != first.action_id
    assert second.result.done and not second.result.already and deleted_on_vk(emu, network_id)
    assert store.db.execute("SELECT deleted_by FROM comments WHERE id = ?", [local]).fetchone() == (
        "hub",
    )
    # ... and undoing that is a restore of its own
    restored2 = run(restore_comment(store, pm, config, str(local), "operator:anna"))
    assert restored2.action_id != restored.action_id and not restored2.result.already
    assert not deleted_on_vk(emu, network_id)

    deletes, restores = actions(store, "delete_comment"), actions(store, "restore_comment")
    assert [r[2] for r in deletes] == ["done", "done"]
    assert deletes[0][1] == f"delete_comment:acc-1:{network_id}:restored-{restored.action_id}"
    assert deletes[1][1] == f"delete_comment:acc-1:{network_id}:restored-{restored2.action_id}"
    assert [r[1] for r in restores] == [
        f"restore_comment:acc-1:{network_id}:{first.action_id}",
        f"restore_comment:acc-1:{network_id}:{second.action_id}",
    ]
    logged = [e for e in audit.entries(store) if e["event"] == "restore_comment"]
    assert {e["action_id"] for e in logged} == {restored.action_id, restored2.action_id}
    assert all(e["actor"] == "operator:anna" and e["comment_text"] for e in logged)
    assert audit.verify(store).intact


def test_a_comment_deleted_too_long_ago_is_a_clear_failure(vk):
    emu, _path, config, store, pm = vk
    local, network_id, _author = a_comment(store)
    run(delete_comment(store, pm, config, str(local)))
    with emu.lock:  # the deletion is now older than VK's restore window
        com = emu.state.communities[emu.community_ids()[0]]
        com.comments[int(network_id)].deleted_at -= RESTORE_WINDOW + 60
    with pytest.raises(HubError, match="deleted too long ago") as caught:
        run(restore_comment(store, pm, config, str(local)))
    assert "recorded as failed" in str(caught.value)
    assert actions(store, "restore_comment")[0][2] == "failed"
    assert deleted_on_vk(emu, network_id)
    assert store.db.execute("SELECT deleted_by FROM comments WHERE id = ?", [local]).fetchone() == (
        "hub",
    )
    assert not [e for e in audit.entries(store) if e["event"] == "restore_comment"]


def test_restoring_a_live_comment_is_already_done(vk):
    _emu, _path, config, store, pm = vk
    local, _network_id, _author = a_comment(store)
    outcome = run(restore_comment(store, pm, config, f"acc-1:{_network_id}"))
    assert outcome.result.done and outcome.result.already


def test_restore_waits_while_the_deletion_is_unsettled(vk):
    _emu, _path, config, store, pm = vk
    local, network_id, _author = a_comment(store)
    first = run(delete_comment(store, pm, config, str(local)))
    store.db.execute("UPDATE actions SET state = 'unknown' WHERE id = ?", [first.action_id])
    with pytest.raises(HubError, match=f"delete comment \\(action #{first.action_id}\\)"):
        run(restore_comment(store, pm, config, str(local)))
    assert actions(store, "restore_comment") == []


# --------------------------------------------------------------------------- VK: unban


def test_unban_then_the_same_ban_again_is_a_new_ban(vk):
    emu, _path, config, store, pm = vk
    gid = emu.community_ids()[0]
    _local, _network_id, author = a_comment(store)
    ban = run(ban_user(store, pm, config, "acc-1", str(author), days=7, reason="спам"))
    assert emu.ban_exists(gid, author)

    lifted = run(unban_user(store, pm, config, "acc-1", str(author), "operator:anna"))
    assert lifted.result.done and not lifted.result.already and not emu.ban_exists(gid, author)
    again = run(unban_user(store, pm, config, "acc-1", str(author), "operator:anna"))
    assert again.result.already and again.action_id == lifted.action_id

    # the very same command as before bans again, for 7 days from now
    rebanned = run(ban_user(store, pm, config, "acc-1", str(author), days=7, reason="спам"))
    assert rebanned.action_id != ban.action_id and not rebanned.result.already
    assert emu.ban_exists(gid, author)
    until = json.loads(
        store.db.execute(
            "SELECT params_json FROM actions WHERE id = ?", [rebanned.action_id]
        ).fetchone()[0]
    )["until"]
    assert until > time.time() + 6.9 * 86400
    lifted2 = run(unban_user(store, pm, config, "acc-1", str(author), "operator:anna"))
    assert lifted2.action_id != lifted.action_id and not emu.ban_exists(gid, author)
    assert [r[1] for r in actions(store, "unban_user")] == [
        f"unban_user:acc-1:{author}:{ban.action_id}",
        f"unban_user:acc-1:{author}:{rebanned.action_id}",
    ]
    logged = [e for e in audit.entries(store) if e["event"] == "unban_user"]
    assert len(logged) == 3 and all(
        json.loads(e["network_answer"])["user_id"] == author for e in logged
    )


def test_unban_waits_while_a_ban_is_unsettled(vk):
    _emu, _path, config, store, pm = vk
    _local, _network_id, author = a_comment(store)
    ban = run(ban_user(store, pm, config, "acc-1", str(author), days=3, reason="x"))
    store.db.execute("UPDATE actions SET state = 'pending' WHERE id = ?", [ban.action_id])
    with pytest.raises(HubError, match="has not been settled"):
        run(unban_user(store, pm, config, "acc-1", str(author)))


def test_vk_has_no_mute_to_lift_but_unban_says_not_banned(vk):
    _emu, _path, config, store, pm = vk
    _local, _network_id, author = a_comment(store)
    outcome = run(unban_user(store, pm, config, "acc-1", str(author)))
    assert outcome.result.already and "not banned" in outcome.result.detail


# --------------------------------------------------------------------------- the default policy


def test_the_default_first_spam_restriction_is_a_seven_day_ban():
    assert Policy().spam_restrict == Restriction("ban", 7)
    assert load_policies({}).default.spam_restrict == Restriction("ban", 7)
    forever = {"policy": {"spam_restrict": {"action": "ban", "days": 0}}}
    assert load_policies(forever).default.spam_restrict == Restriction("ban", 0)


def test_spam_gets_a_timed_ban_and_a_restore_overturns_its_verdict(tmp_path, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    monkeypatch.setenv("HUB_LOAD_PLUGINS", "vk")
    with VkEmulator(
        seed=8, communities=1, posts=2, comments=1, rate_limit=0, tokens=[TOKEN]
    ) as emu:
        gid = emu.community_ids()[0]
        post = max(int(p) for p in emu.snapshot()["communities"][str(gid)]["posts"])
        spam = emu.add_comment(gid, post, "Купите РЕКЛАМА по ссылке", from_id=777001)
        path = write_config(tmp_path, emu)  # no [moderation]: the default policy
        sync(path)
        run_moderate(path)
        bans = emu.snapshot()["communities"][str(gid)]["bans"]
        end = next(b["end_date"] for b in bans if b["user_id"] == 777001)
        assert 6.9 * 86400 < end - time.time() <= 7 * 86400 + 60  # not for good

        config = load_config(path)
        store = Store.open(config.db_path)
        pm = pm_with_engine()
        local = store.db.execute("SELECT id FROM comments WHERE network_id = ?", [spam]).fetchone()
        out = run(restore_comment(store, pm, config, str(local[0]), "operator:anna"))
        assert out.result.done and "'hub users unban acc-1 777001'" in out.result.detail
        verdict = store.db.execute(
            "SELECT decision, status, decided_by FROM verdicts WHERE comment_id = ?", [local[0]]
        ).fetchone()
        assert verdict == ("keep", "rejected", "operator:anna")
        store.close()
        # the next moderation run neither deletes it again nor sends anything for it
        report = run_moderate(path)
        assert report.judged == [] and not deleted_on_vk(emu, spam)
        store = Store.open(config.db_path)
        run(unban_user(store, pm, config, "acc-1", "777001", "operator:anna"))
        assert not emu.ban_exists(gid, 777001)
        store.close()


# --------------------------------------------------------------------------- Telegram


@pytest.fixture
def tg(tmp_path, monkeypatch):
    monkeypatch.setenv(TG_TOKEN_ENV, TelegramDriver.token)
    with TelegramDriver.start(posts=8, comments=5) as emu:
        config = tg_config(tmp_path, emu)
        tg_sync(config)
        store = Store.open(config.db_path)
        yield emu, config, store, plugins.make_plugin_manager()
        store.close()


def tg_authors(store, ref_account="tg-0"):
    return [
        r[0]
        for r in store.db.execute(
            "SELECT DISTINCT author_id FROM comments WHERE account_id = ? AND author_id > 0 "
            "AND author_id < 1000000000000 ORDER BY author_id",
            [ref_account],
        )
    ]


def test_telegram_unban_lifts_a_ban_a_mute_and_a_sender_chat(tg):
    emu, config, store, pm = tg
    ref = emu.channel_refs()[0]
    banned, muted, member = tg_authors(store)[:3]
    run(ban_user(store, pm, config, "tg-0", str(banned), days=None, reason="спам"))
    run(restrict_user(store, pm, config, "tg-0", str(muted), days=None, reason="x"))
    assert emu.is_banned(ref, banned) and emu.is_restricted(ref, muted)

    out = run(unban_user(store, pm, config, "tg-0", str(banned)))
    assert out.result.done and not emu.is_banned(ref, banned)
    out = run(unban_user(store, pm, config, "tg-0", str(muted)))
    assert out.result.done and not emu.is_restricted(ref, muted)
    # someone neither banned nor muted: nothing to do, and never removed from the group
    out = run(unban_user(store, pm, config, "tg-0", str(member)))
    assert out.result.already
    assert emu.snapshot()["channels"][ref]["removed_by_unban"] == []

    channel = emu.channel_id(ref)
    foreign = store.db.execute(
        "SELECT id, author_id FROM comments WHERE account_id = 'tg-0' AND author_id < 0 "
        "AND author_id NOT IN (?, ?) LIMIT 1",
        [channel, emu.group_id(ref)],
    ).fetchone()
    run(delete_comment(store, pm, config, str(foreign[0]), block_author=True))
    assert emu.sender_chat_banned(ref, foreign[1])
    run(unban_user(store, pm, config, "tg-0", str(foreign[1])))
    assert not emu.sender_chat_banned(ref, foreign[1])


def test_telegram_cannot_restore_and_says_what_to_do_by_hand(tg):
    _emu, config, store, pm = tg
    local = store.db.execute(
        "SELECT id FROM comments WHERE account_id = 'tg-0' AND author_id > 0 LIMIT 1"
    ).fetchone()[0]
    run(delete_comment(store, pm, config, str(local)))
    with pytest.raises(HubError, match="post it again by hand"):
        run(restore_comment(store, pm, config, str(local)))
    assert actions(store, "restore_comment") == []


def test_the_emulator_removes_a_member_unbanned_without_only_if_banned(tg):
    emu, _config, store, _pm = tg
    ref = emu.channel_refs()[0]
    member = tg_authors(store)[0]
    url = f"{emu.url}/bot{TelegramDriver.token}/unbanChatMember"
    body = {"chat_id": emu.group_id(ref), "user_id": member}
    assert httpx.post(url, json={**body, "only_if_banned": True}).json()["ok"]
    assert emu.snapshot()["channels"][ref]["removed_by_unban"] == []
    assert httpx.post(url, json=body).json()["ok"]
    assert emu.snapshot()["channels"][ref]["removed_by_unban"] == [member]


# --------------------------------------------------------------------------- the CLI


def test_restore_and_unban_from_the_cli(tmp_path, monkeypatch):
    with VkEmulator(
        seed=5, communities=1, posts=2, comments=2, rate_limit=0, tokens=[TOKEN]
    ) as emu:
        cfg = str(write_config(tmp_path, emu))
        env = {TOKEN_ENV: TOKEN}
        assert hub("--config", cfg, "sync", env_extra=env).returncode == 0
        conn = sqlite3.connect(tmp_path / "hub.db")
        local, author = conn.execute(
            "SELECT id, author_id FROM comments WHERE author_id > 0 LIMIT 1"
        ).fetchone()
        conn.close()
        assert hub("--config", cfg, "comments", "delete", str(local), env_extra=env).returncode == 0
        restore = ["comments", "restore", str(local), "--by", "anna"]
        out = hub("--config", cfg, *restore, env_extra=env)
        assert out.returncode == 0 and ": done (action #" in out.stdout, out.stderr
        assert out.stdout.startswith(f"restore comment {local}: done")
        ban = ["users", "ban", "acc-1", str(author), "--days", "7", "--reason", "спам"]
        assert hub("--config", cfg, *ban, env_extra=env).returncode == 0
        unban = ["users", "unban", "acc-1", str(author), "--by", "anna"]
        out = hub("--config", cfg, *unban, env_extra=env)
        assert out.returncode == 0 and ": done (action #" in out.stdout, out.stderr
        out = hub("--config", cfg, "users", "unban", "acc-1", "vasya", env_extra=env)
        assert_one_line_error(out, "numeric user id")
        entries = json.loads(hub("--config", cfg, "moderation", "log", "--json").stdout)
        undone = [e for e in entries if e["event"] in ("restore_comment", "unban_user")]
        assert {e["event"] for e in undone} == {"restore_comment", "unban_user"}
        assert all(e["actor"] == "operator:anna" for e in undone)


def test_telegram_restore_from_the_cli_is_one_line_saying_what_to_do(tmp_path, monkeypatch):
    with TelegramDriver.start(posts=4, comments=3) as emu:
        cfg = str(tg_toml(tmp_path, emu))
        env = {TG_TOKEN_ENV: TelegramDriver.token}
        assert hub("--config", cfg, "sync", env_extra=env).returncode == 0
        conn = sqlite3.connect(tmp_path / "hub.db")
        local = conn.execute("SELECT id FROM comments WHERE author_id > 0 LIMIT 1").fetchone()[0]
        conn.close()
        out = hub("--config", cfg, "comments", "restore", str(local), "--by", "anna", env_extra=env)
        assert_one_line_error(out, "Telegram cannot bring a deleted message back", "by hand")
