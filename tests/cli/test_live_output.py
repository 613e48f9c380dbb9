"""Long runs speak as they go (issue 13, point 9).

Before: ``hub moderate`` printed nothing until it ended, and under SIGTERM its
output file stayed empty; the sync bar froze on a slow account.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time

from hub.progress import TerminalProgress
from hub_vk.emulator import VkEmulator
from tests.helpers import REPO, TOKEN, TOKEN_ENV, sync, write_config
from tests.moderation.test_moderation_pipeline import MODERATION

#: runs the real CLI with the scripted engine of the pipeline tests (no lexicon luck)
RUNNER = """
import sys
from hub import plugins
from tests.moderation.test_moderation_pipeline import KeywordEngine
make = plugins.make_plugin_manager


def with_engine(**kwargs):
    pm = make(**kwargs)
    pm.register(KeywordEngine(), name="keyword-engine")
    return pm


plugins.make_plugin_manager = with_engine
from hub.cli import main
main(sys.argv[1:])
"""


def test_moderate_prints_as_it_goes_and_sums_up_on_sigterm(tmp_path, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    monkeypatch.setenv("HUB_LOAD_PLUGINS", "vk")
    with VkEmulator(
        seed=8, communities=1, posts=3, comments=1, rate_limit=0, tokens=[TOKEN]
    ) as emu:
        path = write_config(tmp_path, emu)
        path.write_text(path.read_text() + MODERATION, encoding="utf-8")
        gid = emu.community_ids()[0]
        post = max(int(p) for p in emu.snapshot()["communities"][str(gid)]["posts"])
        for n in range(6):
            emu.add_comment(gid, post, text=f"РЕКЛАМА номер {n}", from_id=500 + n)
        sync(path)
        emu.set_faults(slow_ms=400)
        out_path = tmp_path / "moderate.out"
        env = {k: v for k, v in os.environ.items()}
        env["PYTHONPATH"] = os.getcwd() + os.pathsep + str(_repo())
        with open(out_path, "w") as out:
            proc = subprocess.Popen(
                [sys.executable, "-c", RUNNER, "--config", str(path), "moderate"],
                stdout=out,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
                cwd=_repo(),
            )
            deadline = time.monotonic() + 60
            while "  #" not in out_path.read_text():  # the first action was said, flushed
                assert proc.poll() is None, proc.stderr.read()
                assert time.monotonic() < deadline, "no action printed while running"
                time.sleep(0.05)
            proc.send_signal(signal.SIGTERM)
            _out, err = proc.communicate(timeout=30)
        lines = out_path.read_text().splitlines()
        assert proc.returncode == 143, err
        assert "Traceback" not in err
        assert sum(line.startswith("delete ") for line in lines) == 6  # every verdict, as judged
        done = [line for line in lines if line.startswith("  #")]
        assert done and len(done) < 6
        assert lines[-1] == (
            f"interrupted: judged 9, deleted {len(done)}, queued 0; "
            "the rest continues on the next run"
        ), lines


def _repo():

    return REPO


def test_progress_names_the_account_it_waits_on_and_keeps_moving():
    now = [100.0]
    stream = io.StringIO()
    progress = TerminalProgress(
        stream, min_interval=0, enabled=True, tick=0.02, clock=lambda: now[0]
    )
    with progress:
        progress.update("posts", 3)
        progress.waiting(["acc-1", "acc-2"], True)
        progress.waiting(["acc-1"], False)
        now[0] = 112.0
        before = stream.getvalue()
        time.sleep(0.2)  # nothing arrives: the timer still redraws
        assert stream.getvalue() != before
        assert "waiting for acc-2 (12s)" in progress.line()
        progress.waiting(["acc-2"], False)
        assert "waiting" not in progress.line()
        summary = io.StringIO()
        progress.say("acc-2: ok", summary)
        assert summary.getvalue() == "acc-2: ok\n"


def test_sync_prints_each_account_as_it_finishes(tmp_path, monkeypatch):
    """A failed account's line comes as soon as it failed, not after the others' comments."""
    import asyncio

    from hub import plugins
    from hub.config import load_config
    from hub.store import Store
    from hub.sync import run_sync

    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    with VkEmulator(
        seed=3, communities=2, posts=5, comments=2, rate_limit=0, tokens=[TOKEN]
    ) as emu:
        ids = emu.community_ids()
        path = write_config(tmp_path, emu, ids=[ids[0], 999999])
        config = load_config(path)
        heard: list[tuple[str, str, bool]] = []
        store = Store.open(config.db_path)

        def waiting(accounts, started):
            heard.append(("wait", ",".join(accounts), started))

        def on_done(run):
            heard.append(("done", run.account.id, run.ok))

        asyncio.run(
            run_sync(
                store,
                plugins.make_plugin_manager(),
                config,
                config.accounts,
                on_done=on_done,
                waiting=waiting,
            )
        )
        store.close()
    done = [h for h in heard if h[0] == "done"]
    assert done == [("done", "acc-2", False), ("done", "acc-1", True)]
    first_done = heard.index(done[0])
    assert any(h[0] == "wait" and "acc-1" in h[1] for h in heard[first_done:])
