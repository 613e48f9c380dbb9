"""Kill a sync mid-run, run it again: nothing lost, nothing duplicated."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from hub_vk.emulator import VkEmulator
from tests.helpers import TOKEN, TOKEN_ENV, db_state, duplicates, emulator_state, write_config


def run_and_kill_after(config, emu, requests: int) -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env[TOKEN_ENV] = TOKEN
    start = emu.stats()["requests"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "hub", "--config", str(config), "sync"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while emu.stats()["requests"] - start < requests and proc.poll() is None:
        assert time.monotonic() < deadline, "sync made too few requests"
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    return proc.wait(timeout=10)


def test_killed_sync_resumes_without_loss_or_duplicates(tmp_path, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    # 4 communities × 60 posts: comments take 10 executes, so a kill lands mid-way
    with VkEmulator(
        seed=9, communities=4, posts=60, comments=6, rate_limit=0, tokens=[TOKEN], slow_ms=40
    ) as emu:
        config = write_config(tmp_path, emu)
        db = tmp_path / "hub.db"
        for kill_at in (2, 8):  # during the wall walk, then during comments
            assert run_and_kill_after(config, emu, kill_at) == -signal.SIGKILL
            assert duplicates(db) == 0
        # the second run was cut in the middle of the comments: some are stored, not all
        partial = sum(len(c) for p in db_state(db).values() for c in p.values())
        assert 0 < partial < 4 * 60 * 6
        gid = emu.community_ids()[0]
        emu.add_post(gid, "Пост, пока hub лежал", comments=2)
        emu.set_faults(slow_ms=0)
        from tests.helpers import sync

        runs = sync(config)
        assert all(r.ok for r in runs), [r.summary() for r in runs]
        assert db_state(db) == emulator_state(emu)
        assert duplicates(db) == 0
