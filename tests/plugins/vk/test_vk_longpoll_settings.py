"""VK Long Poll switched on by the hub (issue 15, point 2).

Before: the hub neither read nor set a community's Long Poll settings, and read
each event whatever its ``v``; with VK's defaults (Long Poll off) the daemon
silently got no events. Now the emulator starts from VK's defaults, serves
``groups.get/setLongPollSettings`` and delivers only what is switched on, stamped
with the configured ``api_version``; the hub switches it on before following,
and counts the events of another version instead of reading them.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator

import httpx
import pytest

from hub.config import load_config
from hub.daemon.metrics import Metrics
from hub.store import Store
from hub.sync import events as events_module
from hub.sync.events import follow_events
from hub_vk.client import VkClient
from hub_vk.emulator.server import VkEmulator
from hub_vk.longpoll import NEEDED_EVENTS, ensure_settings, settings_gaps, split_by_version
from hub_vk.network import VkNetwork
from tests.cli.test_cli import hub
from tests.helpers import TOKEN, TOKEN_ENV, sync, write_config

KEY = "vk1.g.community-key-for-events-0001"
KEY_ENV = "HUB_VK_EVENTS_KEY"
ENABLED = "VK Long Poll enabled for acc-1: events " + ", ".join(NEEDED_EVENTS) + ", API 5.199"


@pytest.fixture()
def emu() -> Iterator[VkEmulator]:
    with VkEmulator(seed=7, communities=1, posts=3, comments=1, rate_limit=0, tokens=[TOKEN]) as e:
        e.community_tokens[KEY] = e.community_ids()[0]
        yield e


class Logs(list):
    """The follower's log lines (structlog may have cached its logger: capture_logs misses it)."""

    def _add(self, level: str, event: str, **fields) -> None:
        self.append({"event": event, "log_level": level, **fields})

    def info(self, event: str, **fields) -> None:
        self._add("info", event, **fields)

    def warning(self, event: str, **fields) -> None:
        self._add("warning", event, **fields)

    def error(self, event: str, **fields) -> None:
        self._add("error", event, **fields)


@pytest.fixture()
def logs(monkeypatch) -> Logs:
    recorded = Logs()
    monkeypatch.setattr(events_module, "log", recorded)
    return recorded


def api(emu: VkEmulator, method: str, token: str = KEY, **params) -> dict:
    params.setdefault("v", "5.199")
    reply = httpx.post(
        f"{emu.url}/{method}", data=params, headers={"Authorization": f"Bearer {token}"}
    )
    return reply.json()


def events_config(tmp_path, emu):
    path = write_config(tmp_path, emu, extra="events_wait_seconds = 1")
    text = path.read_text().replace(
        f'token_env = "{TOKEN_ENV}"', f'token_env = "{TOKEN_ENV}"\nevents_token_env = "{KEY_ENV}"'
    )
    path.write_text(text)
    return path


# --------------------------------------------------------------------------- the emulator


def test_the_emulator_starts_from_vks_defaults_and_delivers_only_what_is_on(emu):
    gid = emu.community_ids()[0]
    settings = api(emu, "groups.getLongPollSettings", group_id=gid)["response"]
    assert settings["is_enabled"] is False and "api_version" not in settings
    assert set(settings["events"]) >= set(NEEDED_EVENTS) and not any(settings["events"].values())
    refused = api(emu, "groups.getLongPollServer", group_id=gid)["error"]
    assert refused["error_code"] == 100 and "not enabled" in refused["error_msg"]

    # On with only new comments, at an older version: nothing else is logged.
    assert (
        api(
            emu,
            "groups.setLongPollSettings",
            group_id=gid,
            enabled=1,
            api_version="5.131",
            wall_reply_new=1,
        )["response"]
        == 1
    )
    server = api(emu, "groups.getLongPollServer", group_id=gid)["response"]
    post = emu.add_post(gid, "Объявление")  # wall_post_new is off: not logged
    emu.add_comment(gid, post, "Когда уберут снег?")
    answer = httpx.get(
        server["server"], params={"act": "a_check", "key": server["key"], "ts": server["ts"]}
    ).json()
    assert [(u["type"], u["v"]) for u in answer["updates"]] == [("wall_reply_new", "5.131")]
    settings = api(emu, "groups.getLongPollSettings", group_id=gid)["response"]
    assert settings["is_enabled"] is True and settings["api_version"] == "5.131"
    assert {e for e, on in settings["events"].items() if on} == {"wall_reply_new"}

    # A key without manage, or a moderator's user token, may not change them.
    emu.community_token_rights[KEY] = frozenset({"photos"})
    assert (
        api(emu, "groups.setLongPollSettings", group_id=gid, enabled=0)["error"]["error_code"] == 15
    )
    emu.admin_levels[TOKEN] = 1
    assert (
        api(emu, "groups.setLongPollSettings", TOKEN, group_id=gid, enabled=0)["error"][
            "error_code"
        ]
        == 15
    )
    bad = api(emu, "groups.setLongPollSettings", TOKEN, group_id=gid, api_version="six")
    assert bad["error"]["error_code"] in (15, 100)


# --------------------------------------------------------------------------- the client


def test_settings_gaps_name_each_thing_off():
    assert settings_gaps({"is_enabled": 0, "events": {}}, "5.199") == [
        "Bots Long Poll is off",
        "its API version is not set, the hub reads 5.199",
        "these events are off: " + ", ".join(NEEDED_EVENTS),
    ]
    events = dict.fromkeys(NEEDED_EVENTS, 1) | {"wall_reply_delete": 0}
    assert settings_gaps({"is_enabled": 1, "api_version": "5.131", "events": events}, "5.199") == [
        "its API version is 5.131, the hub reads 5.199",
        "these events are off: wall_reply_delete",
    ]
    full = {"is_enabled": True, "api_version": "5.199", "events": dict.fromkeys(NEEDED_EVENTS, 1)}
    assert settings_gaps(full, "5.199") == []


def test_split_by_version_counts_other_versions():
    events = [{"v": "5.199"}, {"v": "5.131"}, {"v": "5.131"}, {}]
    kept, skipped = split_by_version(events, "5.199")
    assert kept == [{"v": "5.199"}, {}] and skipped == {"5.131": 2}


async def test_ensure_settings_switches_on_once(emu):
    gid = emu.community_ids()[0]
    emu.set_long_poll(gid, enabled=False, api_version="5.131", user_block=True)
    client = VkClient(api_base=emu.url, version="5.199", requests_per_second=1000)
    try:
        assert await ensure_settings(client, KEY, gid, "5.199")  # it was off
        assert await ensure_settings(client, KEY, gid, "5.199") == []  # set: nothing to do
    finally:
        await client.aclose()
    assert emu.stats()["by_method"]["groups.setLongPollSettings"] == 1
    settings = api(emu, "groups.getLongPollSettings", group_id=gid)["response"]
    on = {e for e, v in settings["events"].items() if v}
    assert on == {*NEEDED_EVENTS, "user_block"}  # what the hub does not read is left alone
    assert settings["is_enabled"] and settings["api_version"] == "5.199"


# --------------------------------------------------------------------------- the daemon's follower


async def _follow(store, config, account, metrics, until, timeout=20.0):
    stopping = asyncio.Event()
    changes: list[tuple[bool, bool]] = []
    task = asyncio.create_task(
        follow_events(
            store,
            config,
            account,
            VkNetwork,
            stopping,
            lambda _a, changed, gap: changes.append((changed, gap)),
            lambda _a: None,
            metrics.count_skipped_events,
        )
    )
    deadline = time.monotonic() + timeout
    try:
        while not until() and not task.done():
            assert time.monotonic() < deadline, "the follower did not get there"
            await asyncio.sleep(0.05)
    finally:
        stopping.set()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    return changes


def stored_comment(config, cid: int) -> bool:
    store = Store.open(config.db_path)
    try:
        row = store.db.execute("SELECT 1 FROM comments WHERE network_id = ?", [cid]).fetchone()
        return row is not None
    finally:
        store.close()


async def test_long_poll_switched_on_from_defaults_then_comments_arrive(
    tmp_path, emu, monkeypatch, logs
):
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    monkeypatch.setenv(KEY_ENV, KEY)
    config = load_config(events_config(tmp_path, emu))
    await asyncio.to_thread(sync, config)
    gid = emu.community_ids()[0]
    post = max(int(p) for p in emu.snapshot()["communities"][str(gid)]["posts"])
    store = Store.open(config.db_path)
    added: list[int] = []

    def arrived() -> bool:
        if not added and emu.stats()["by_method"].get("lp.a_check", 0) >= 1:
            added.append(emu.add_comment(gid, post, "Когда починят фонарь?", from_id=555000333))
        return bool(added) and stored_comment(config, added[0])

    try:
        await _follow(store, config, config.accounts[0], Metrics(), arrived)
    finally:
        store.close()
    assert [e["event"] for e in logs if e["event"].startswith("VK Long Poll")] == [ENABLED]


async def test_a_refused_setting_is_one_line_and_the_follower_ends(
    tmp_path, emu, monkeypatch, logs
):
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    monkeypatch.setenv(KEY_ENV, KEY)
    emu.community_token_rights[KEY] = frozenset({"photos"})  # no manage
    config = load_config(events_config(tmp_path, emu))
    store = Store.open(config.db_path)
    try:
        await _follow(store, config, config.accounts[0], Metrics(), lambda: False)
    finally:
        store.close()
    errors = [e for e in logs if e["log_level"] == "error"]
    assert len(errors) == 1 and "not switched on for acc-1" in errors[0]["event"]
    assert "manage" in errors[0]["fix"] and KEY not in str(errors[0])
    assert emu.stats()["by_method"].get("lp.a_check", 0) == 0


async def test_events_of_another_version_are_counted_and_warned_once(
    tmp_path, emu, monkeypatch, logs
):
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    monkeypatch.setenv(KEY_ENV, KEY)
    config = load_config(events_config(tmp_path, emu))
    await asyncio.to_thread(sync, config)
    gid = emu.community_ids()[0]
    post = max(int(p) for p in emu.snapshot()["communities"][str(gid)]["posts"])
    metrics = Metrics()
    store = Store.open(config.db_path)
    added: list[int] = []

    def counted() -> bool:
        if not added and emu.stats()["by_method"].get("lp.a_check", 0) >= 1:
            emu.set_long_poll(gid, api_version="5.131")  # changed behind the hub's back
            added.extend(emu.add_comment(gid, post, f"Вопрос {n}") for n in range(3))
        return sum(metrics.events_skipped.values()) >= 3

    try:
        changes = await _follow(store, config, config.accounts[0], metrics, counted)
    finally:
        store.close()
    assert metrics.events_skipped == {("acc-1", "version"): 3}
    warned = [e for e in logs if e["event"] == "events in another API version are not read"]
    assert len(warned) == 1 and warned[0]["version"] == "5.131"
    assert not any(stored_comment(config, cid) for cid in added)  # never read in a wrong shape
    assert any(gap for _changed, gap in changes)  # REST catches them up
    rendered = metrics.render(Store.open(config.db_path))
    assert 'hub_events_skipped_total{account="acc-1",reason="version"} 3' in rendered


# --------------------------------------------------------------------------- hub accounts check


def test_accounts_check_reports_what_is_off_and_fix_switches_it_on(tmp_path, emu):
    cfg = str(events_config(tmp_path, emu))
    env = {TOKEN_ENV: TOKEN, KEY_ENV: KEY}
    before = hub("--config", cfg, "accounts", "check", env_extra=env)
    assert before.returncode == 1
    off = [line for line in before.stdout.splitlines() if "PROBLEM: Long Poll" in line]
    assert len(off) == 3 and all("--fix" in line for line in off), before.stdout
    assert any("Bots Long Poll is off" in line for line in off)
    assert any("wall_reply_new" in line and "wall_reply_restore" in line for line in off)

    fixed = hub("--config", cfg, "accounts", "check", "--fix", env_extra=env)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    lines = fixed.stdout.splitlines()
    assert lines[0] == f"acc-1: ok: {ENABLED}"
    assert "acc-1: ok: Long Poll: on, with the wall's post and comment events, API 5.199" in lines

    again = hub("--config", cfg, "accounts", "check", "--fix", env_extra=env)
    assert again.stdout.splitlines()[0].startswith("acc-1: ok: VK Long Poll already on for acc-1")
    assert emu.stats()["by_method"]["groups.setLongPollSettings"] == 1

    emu.community_token_rights[KEY] = frozenset({"photos"})
    emu.set_long_poll(emu.community_ids()[0], enabled=False)
    refused = hub("--config", cfg, "accounts", "check", "--fix", env_extra=env)
    assert refused.returncode == 1
    assert refused.stdout.splitlines()[0].startswith("acc-1: PROBLEM: events not switched on")
