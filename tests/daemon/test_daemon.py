"""The daemon in a subprocess against the emulators: cycles, SIGTERM, parking, metrics, soak."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time

import httpx
import pytest

from hub_vk.emulator import VkEmulator
from tests.cli.test_cli import hub
from tests.helpers import TOKEN, TOKEN_ENV, db_state, duplicates, emulator_state, write_config

FAST = "\n[daemon]\nsync_seconds = { vk = 1 }\nmoderate_seconds = 1\n"


def env(**extra):
    base = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    base.update({TOKEN_ENV: TOKEN, "HUB_LOAD_PLUGINS": "vk"}, **extra)
    return base


def start_daemon(config, *args, **extra):
    return subprocess.Popen(
        [sys.executable, "-m", "hub", "--config", str(config), "daemon", *args],
        env=env(**extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def events(stderr: str) -> list[dict]:
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


@pytest.fixture
def emu():
    with VkEmulator(
        seed=31, communities=2, posts=20, comments=4, rate_limit=0, tokens=[TOKEN]
    ) as emulator:
        yield emulator


def test_cycles_sync_everything_and_log_json(tmp_path, emu):
    config = write_config(tmp_path, emu, extra="")
    config.write_text(config.read_text() + FAST)
    proc = start_daemon(config, "--cycles", "2")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    logged = events(err)
    syncs = [e for e in logged if e["event"] == "account sync"]
    assert {e["account"] for e in syncs} == {"acc-1", "acc-2"} and all(
        "seconds" in e for e in syncs
    )
    assert db_state(tmp_path / "hub.db") == emulator_state(emu)
    weekly = [e for e in logged if e["event"] == "weekly compliance"]
    assert not weekly, weekly  # the week just ended was before the hub: not judged
    # as if the hub had been installed three weeks ago: the week just ended is logged
    with sqlite3.connect(tmp_path / "hub.db") as conn:
        conn.execute(
            "UPDATE sync_runs SET started_at = strftime('%Y-%m-%dT%H:%M:%SZ', started_at, "
            "'-21 days')"
        )
    conn.close()
    proc = start_daemon(config, "--cycles", "2")
    _out, err = proc.communicate(timeout=60)
    weekly = [e for e in events(err) if e["event"] == "weekly compliance"]
    assert len(weekly) == 1, weekly  # the week just ended, once, not every cycle
    again = start_daemon(config, "--cycles", "1")
    _out, err = again.communicate(timeout=60)
    assert not [e for e in events(err) if e["event"] == "weekly compliance"]  # nor every start


def test_sigterm_mid_sync_stops_quickly_and_a_restart_loses_nothing(tmp_path, emu):
    config = write_config(tmp_path, emu)
    config.write_text(config.read_text() + FAST)
    emu.set_faults(slow_ms=200)
    proc = start_daemon(config)
    deadline = time.monotonic() + 30
    while emu.stats()["requests"] < 3:
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.02)
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0 and time.monotonic() - started < 10, err
    assert "daemon stopped" in err
    emu.set_faults(slow_ms=0)
    again = start_daemon(config, "--cycles", "1")
    _out, err = again.communicate(timeout=60)
    assert again.returncode == 0, err
    assert db_state(tmp_path / "hub.db") == emulator_state(emu)
    assert duplicates(tmp_path / "hub.db") == 0


def test_a_rejected_token_parks_its_account_and_the_others_go_on(tmp_path, emu):
    config = write_config(tmp_path, emu)
    text = config.read_text().replace(f'token_env = "{TOKEN_ENV}"', 'token_env = "HUB_BAD"', 1)
    config.write_text(text + FAST)
    proc = start_daemon(config, "--cycles", "3", HUB_BAD="vk1.a.revoked")
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    logged = events(err)
    parked = [e for e in logged if e["event"] == "account parked until its config changes"]
    assert [e["account"] for e in parked] == ["acc-1"] and "$HUB_BAD" in parked[0]["fix"]
    bad_syncs = [e for e in logged if e["event"] == "account sync" and e["account"] == "acc-1"]
    good_syncs = [e for e in logged if e["event"] == "account sync" and e["account"] == "acc-2"]
    assert len(bad_syncs) == 1 and len(good_syncs) >= 2
    assert "vk1.a.revoked" not in err


def test_a_missing_token_variable_parks_only_its_account(tmp_path, emu):
    config = write_config(tmp_path, emu)
    text = config.read_text().replace(f'token_env = "{TOKEN_ENV}"', 'token_env = "HUB_UNSET"', 1)
    config.write_text(text + FAST)
    proc = start_daemon(config, "--cycles", "2")
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    logged = events(err)
    parked = [e for e in logged if e["event"] == "account parked until its config changes"]
    assert [e["account"] for e in parked] == ["acc-1"] and "HUB_UNSET" in parked[0]["error"]
    synced = {e["account"] for e in logged if e["event"] == "account sync"}
    assert synced == {"acc-2"}
    assert not [e for e in logged if e["event"] == "sync not started"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_healthz_and_metrics(tmp_path, emu):
    config = write_config(tmp_path, emu)
    config.write_text(config.read_text() + FAST)
    port = free_port()
    proc = start_daemon(config, "--metrics-port", str(port))
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                metrics = httpx.get(f"http://127.0.0.1:{port}/metrics").text
                if "hub_syncs_total" in metrics and 'status="ok"' in metrics:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "metrics never showed a sync"
            time.sleep(0.1)
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").json() == {"status": "ok"}
        for name in (
            "hub_account_lag_seconds",
            "hub_review_queue_size",
            "hub_pending_actions",
            "hub_overdue_notices",
            "hub_sync_errors_total",
        ):
            assert name in metrics
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=15)
    assert proc.returncode == 0


def test_healthz_is_degraded_while_an_account_is_parked(tmp_path, emu):
    """Issue 13 (6): /healthz said ok with accounts parked; an unset variable was not counted."""
    config = write_config(tmp_path, emu)
    text = config.read_text().replace(f'token_env = "{TOKEN_ENV}"', 'token_env = "HUB_UNSET"', 1)
    config.write_text(text + FAST)
    port = free_port()
    proc = start_daemon(config, "--metrics-port", str(port))
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz")
                if health.status_code == 503:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "healthz never said degraded"
            time.sleep(0.1)
        body = health.json()
        assert body["status"] == "degraded" and len(body["reasons"]) == 1
        assert body["reasons"][0].startswith("account acc-1 parked: ")
        assert "HUB_UNSET" in body["reasons"][0]
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics").text
        assert 'hub_failures_total{account="acc-1",network="vk",kind="token_missing"} 1' in metrics
        assert 'hub_sync_errors_total{account="acc-1"} 1' in metrics
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=15)
    assert proc.returncode == 0


def test_healthz_reasons_for_a_stalled_loop():
    from hub.daemon.metrics import Metrics, health_reasons

    metrics = Metrics()
    assert health_reasons(metrics, {}, 900, now=metrics.started + 10) == []
    late = health_reasons(metrics, {"acc-2": "token refused"}, 900, now=metrics.started + 1000)
    assert late[0] == "account acc-2 parked: token refused"
    assert late[1].startswith("no daemon cycle finished for 1000s")


def test_soak_with_faults_ends_with_nothing_lost(tmp_path):
    with VkEmulator(
        seed=32,
        communities=3,
        posts=15,
        comments=4,
        rate_limit=0,
        tokens=[TOKEN],
        fault_error6_rate=0.1,
        fault_http500_rate=0.1,
    ) as emu:
        config = write_config(tmp_path, emu)
        config.write_text(config.read_text() + FAST)
        proc = start_daemon(config)
        gid = emu.community_ids()[0]
        for round_ in range(4):
            emu.add_post(gid, f"Новость {round_}", comments=3)
            time.sleep(1.2)
        time.sleep(2.5)
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=20)
        assert proc.returncode == 0, err
        emu.set_faults(slow_ms=0)
        final = start_daemon(config, "--cycles", "1")  # faults still on: retries carry it
        _out, err = final.communicate(timeout=60)
        assert final.returncode == 0
        assert db_state(tmp_path / "hub.db") == emulator_state(emu)
        assert duplicates(tmp_path / "hub.db") == 0


def test_db_backup_and_check(tmp_path, emu):
    config = write_config(tmp_path, emu)
    assert hub("--config", str(config), "sync", env_extra={TOKEN_ENV: TOKEN}).returncode == 0
    result = hub("--config", str(config), "db", "backup", str(tmp_path / "copy.db"))
    assert result.returncode == 0 and "backed up" in result.stdout
    check = hub("--config", str(config), "--db", str(tmp_path / "copy.db"), "db", "check")
    assert check.returncode == 0 and "integrity ok" in check.stdout
    import sqlite3

    copy = sqlite3.connect(tmp_path / "copy.db")
    assert copy.execute("SELECT COUNT(*) FROM posts").fetchone()[0] == 40
    bad = hub("--config", str(config), "db", "backup", str(tmp_path))
    assert bad.returncode == 2 and "is a directory" in bad.stderr


def test_pushed_events_bring_comments_in_seconds_and_moderate_them_at_once(tmp_path, monkeypatch):
    monkeypatch.delenv("HUB_LOAD_PLUGINS", raising=False)
    with VkEmulator(
        seed=33, communities=1, posts=5, comments=2, rate_limit=0, tokens=[TOKEN]
    ) as emu:
        config = write_config(tmp_path, emu, extra="events_wait_seconds = 2")
        text = config.read_text().replace(
            f'token_env = "{TOKEN_ENV}"', f'token_env = "{TOKEN_ENV}"\nevents_token_env = "HUB_EVT"'
        )
        config.write_text(
            text + "\n[daemon]\nsync_seconds = { vk = 600 }\nmoderate_seconds = 600\n"
        )
        proc = subprocess.Popen(
            [sys.executable, "-m", "hub", "--config", str(config), "daemon"],
            env={**env(HUB_EVT=TOKEN), "HUB_LOAD_PLUGINS": "vk,moderation"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            gid = emu.community_ids()[0]
            deadline = time.monotonic() + 30
            while emu.stats()["by_method"].get("lp.a_check", 0) < 1:
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.05)
            time.sleep(0.5)  # the first REST sync and moderation are done, the poll is waiting
            post = max(int(p) for p in emu.snapshot()["communities"][str(gid)]["posts"])
            spam = emu.add_comment(
                gid, post, "Заработок от 5000 в день! Пиши в ЛС", from_id=555000222
            )
            added = time.monotonic()
            while spam not in emu.snapshot()["communities"][str(gid)]["deleted_comments"]:
                assert time.monotonic() - added < 10, "the event did not lead to moderation"
                time.sleep(0.05)
            assert time.monotonic() - added < 10  # seconds, not the 600 s sync interval
        finally:
            proc.send_signal(signal.SIGTERM)
            _out, err = proc.communicate(timeout=15)
        assert proc.returncode == 0, err
        logged = events(err)
        assert any(e["event"] == "following events" for e in logged)
        # VK's default is Long Poll off: the daemon switched it on, and said so once
        enabled = [e for e in logged if e["event"].startswith("VK Long Poll enabled for acc-1")]
        assert len(enabled) == 1 and enabled[0]["event"].endswith("API 5.199")
        assert any(
            e["event"] == "moderation decision" and e["decision"] == "delete" for e in logged
        )


def test_a_config_broken_while_running_is_reported_and_the_last_good_one_kept(tmp_path, emu):
    config = write_config(tmp_path, emu)
    config.write_text(config.read_text() + FAST)
    proc = start_daemon(config)
    try:
        deadline = time.monotonic() + 30
        while not (tmp_path / "hub.db").exists() or emu.stats()["requests"] < 2:
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.05)
        time.sleep(0.3)
        config.write_text(
            config.read_text().replace("sync_seconds = { vk = 1 }", "sync_seconds = 5")
        )
        time.sleep(2.5)
        assert proc.poll() is None  # still running on the last good config
    finally:
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0
    assert any(
        e["event"] == "config not reloaded" and "sync_seconds must be a table" in e["error"]
        for e in events(err)
    )


def test_daemon_schedule_errors_are_one_line():
    from hub.config import parse_config
    from hub.daemon.schedule import load_intervals
    from hub.errors import ConfigError

    base = {"accounts": [{"id": "a", "network": "vk", "external_id": "1", "token_env": "T"}]}
    for daemon, message in (
        ({"sync_seconds": 5}, "must be a table"),
        ({"sync_seconds": {"vk": 0}}, "from 1 to 604800"),
        ({"account_sync_seconds": {"zz": 5}}, "unknown account 'zz'"),
        ({"moderate_every": 5}, "unknown key 'moderate_every'"),
    ):
        with pytest.raises(ConfigError, match=message):
            load_intervals(parse_config({**base, "daemon": daemon}))


# -- isolation: one account's or one network's surprise stops nothing else (issue 12) --------


@pytest.fixture
def in_process(monkeypatch, capsys):
    """Run the daemon in this process (so a plugin can be made to fail); JSON log lines back."""
    import asyncio

    import structlog

    from hub import plugins
    from hub.daemon import runner
    from hub.log import configure_logging

    monkeypatch.setattr(runner, "ERROR_PAUSE_SECONDS", 0.1)  # the old behaviour, but fast
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    ran: list[str] = []
    for job in ("_publish", "_moderate", "_notices", "_report"):
        real = getattr(runner.Daemon, job)

        async def spy(self, store, real=real, job=job):
            ran.append(job)
            await real(self, store)

        monkeypatch.setattr(runner.Daemon, job, spy)

    def start(config, **settings):
        configure_logging(json=True)
        try:
            daemon = runner.Daemon(config, plugins.make_plugin_manager(), cycles=1, **settings)
            assert asyncio.run(daemon.run()) == 0
        finally:
            structlog.reset_defaults()
        return daemon, events(capsys.readouterr().err), ran

    return start


def fail_for(monkeypatch, network_class, method, external_id, exc):
    """Make ``method`` raise ``exc`` for any batch holding ``external_id``, as a malformed
    answer of that community makes the plugin raise for the whole batch it came in."""
    original = getattr(network_class, method)

    async def failing(self, items):
        if any(getattr(i, "account", i).external_id == external_id for i in items):
            raise exc
        return await original(self, items)

    monkeypatch.setattr(network_class, method, failing)


def test_one_accounts_unexpected_failure_stops_nothing_else(tmp_path, emu, monkeypatch, in_process):
    from hub.store import Store
    from hub_vk.network import VkNetwork

    config = write_config(tmp_path, emu)
    config.write_text(config.read_text() + FAST)
    bad = str(emu.community_ids()[0])
    fail_for(monkeypatch, VkNetwork, "fetch_post_pages", bad, KeyError("items"))
    daemon, logged, ran = in_process(config)
    syncs = {e["account"]: e for e in logged if e["event"] == "account sync"}
    assert syncs["acc-2"]["status"] == "ok" and syncs["acc-2"]["posts_new"] == 20
    assert syncs["acc-1"]["status"] == "failed" and "KeyError" in syncs["acc-1"]["error"]
    failed = [e for e in logged if e["event"] == "account sync failed unexpectedly"]
    assert [(e["account"], e["network"], e["error_type"]) for e in failed] == [
        ("acc-1", "vk", "KeyError")
    ]
    assert ran == ["_publish", "_moderate", "_notices", "_report"]  # in the same cycle
    assert not [e for e in logged if e["event"].startswith("cycle failed")]
    store = Store.open(tmp_path / "hub.db")
    metrics = daemon.metrics.render(store)
    store.close()
    assert 'hub_failures_total{account="acc-1",network="vk",kind="unexpected"} 1' in metrics


def test_a_network_that_cannot_start_and_a_failing_job_stop_nothing_else(
    tmp_path, emu, monkeypatch, in_process
):
    from hub.moderation import service
    from hub_ok.emulator.driver import SECRET_ENV, OkDriver
    from hub_ok.network import OkNetwork

    with OkDriver.start() as ok_emu:
        driver = OkDriver(ok_emu)
        config = write_config(tmp_path, emu)
        ok_settings = "".join(
            f'{k} = "{v}"\n' if isinstance(v, str) else f"{k} = {v}\n"
            for k, v in driver.settings().items()
        )
        ok_account = (
            f'[[accounts]]\nid = "ok-1"\nnetwork = "ok"\n'
            f'external_id = "{driver.external_ids()[0]}"\ntoken_env = "HUB_OK_TOKEN_T"\n'
        )
        config.write_text(
            config.read_text() + ok_account + "\n[networks.ok]\n" + ok_settings + FAST
        )
        monkeypatch.setenv("HUB_OK_TOKEN_T", driver.token)
        monkeypatch.setenv(SECRET_ENV, driver.application_secret)

        def broken_init(self, settings, token_for):
            raise AttributeError("'NoneType' object has no attribute 'get'")

        monkeypatch.setattr(OkNetwork, "__init__", broken_init)

        async def broken_moderation(*_args, **_kw):
            raise ValueError("verdict table out of step")

        monkeypatch.setattr(service, "moderate", broken_moderation)
        daemon, logged, ran = in_process(config)
    synced = {e["account"] for e in logged if e["event"] == "account sync" and e["status"] == "ok"}
    assert synced == {"acc-1", "acc-2"}
    crash = [e for e in logged if e["event"] == "sync failed unexpectedly"]
    assert [(e["accounts"], e["network"], e["error_type"]) for e in crash] == [
        (["ok-1"], "ok", "AttributeError")
    ]
    job = [e for e in logged if e["event"] == "job failed; the others go on"]
    assert [(e["job"], e["error_type"]) for e in job] == [("moderate", "ValueError")]
    assert ran == ["_publish", "_moderate", "_notices", "_report"]
    assert daemon.metrics.failures[("ok-1", "ok", "unexpected")] == 1
    assert daemon.metrics.job_failures["moderate"] == 1
