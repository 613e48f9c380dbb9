"""Read-only users (issue 13, point 10): an operator who may only read the database.

Every command failed with "attempt to write a readonly database", even ``accounts
list``: opening the store wrote (the journal mode, migrations) and so did the command
(the config synced in). Commands that only read now open it ``mode=ro`` when the user
cannot write it, and write nothing. Tests run as root, whom ``chmod`` does not stop, so
the user who can only read is played by a subprocess: ``nobody`` where it can run this
Python, else root without the capabilities that bypass file permissions (it then obeys
the file's mode like anyone else); a non-root run needs neither.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click
import pytest

from hub import store as store_module
from hub.cli import cli
from hub.cli.common import READ_ONLY_COMMANDS
from hub.errors import ConfigError
from hub.store import Store
from tests.compliance_seed import ADM, seed
from tests.registry.test_registry import hub_cli, one_line_error

NOBODY = 65534
PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 1, 2


def _drop_file_capabilities() -> None:
    """preexec_fn: root without the capabilities that ignore file modes (after exec)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _become_nobody() -> None:
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)


def _works(preexec) -> bool:
    try:
        probe = subprocess.run(
            [sys.executable, "-c", "import hub.cli"], preexec_fn=preexec, capture_output=True
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return probe.returncode == 0


@pytest.fixture(scope="module")
def reader():
    """How to run a process as a user who may only read: (name, preexec_fn)."""
    if os.geteuid() != 0:
        return "this user", None
    if _works(_become_nobody):
        return "nobody", _become_nobody
    if _works(_drop_file_capabilities):  # this Python is not readable by nobody (in /root)
        return "root without CAP_DAC_OVERRIDE", _drop_file_capabilities
    pytest.skip("cannot run a process that obeys file modes (no setuid, no prctl)")


@pytest.fixture
def readonly_hub():
    """A seeded hub in a folder anyone may enter; its database 0444 in a 0555 folder."""
    top = Path(tempfile.mkdtemp(prefix="hub-ro-", dir="/tmp"))
    top.chmod(0o755)
    config = seed(top)
    Store.open(config.db_path).close()  # WAL: after the last close no -wal or -shm is left
    out = top / "out"
    out.mkdir()
    out.chmod(0o777)  # where 'db backup' and 'registry export' may write
    config.db_path.chmod(0o444)
    (top / "hub.toml").chmod(0o444)
    top.chmod(0o555)
    yield config
    top.chmod(0o755)
    shutil.rmtree(top)


def _fingerprint(folder: Path) -> dict[str, tuple[int, int, str]]:
    return {
        p.name: (p.stat().st_size, p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
        for p in folder.iterdir()
        if p.is_file()
    }


def _run(reader, config, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    return subprocess.run(
        [sys.executable, "-m", "hub", "--config", str(config.path), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd="/",
        preexec_fn=reader[1],
        timeout=60,
    )


# -- as a user who may only read ------------------------------------------------------
READS = [
    ["accounts", "list"],
    ["accounts", "list", "--json"],
    ["comments", "list"],
    ["moderation", "queue"],
    ["moderation", "log", "--verify"],
    ["moderation", "stuck"],
    ["notices"],
    ["orgs", "list"],
    ["responsible", "history", ADM],
    ["registry", "events"],
    ["registry", "export", "--format", "json", "--out", "-"],
    ["compliance", "--week", "2026-W10"],
    ["compliance", "--week", "2026-W10", "--format", "html"],
    ["plan", "list"],
    ["templates", "list"],
    ["db", "check"],
]


def test_the_user_really_cannot_write(reader, readonly_hub):
    """The premise: the same write a command made before fails for this user."""
    probe = (
        "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
        "c.execute('CREATE TABLE x (y)'); c.commit()"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(readonly_hub.db_path)],
        capture_output=True,
        text=True,
        preexec_fn=reader[1],
    )
    assert result.returncode != 0 and "readonly" in result.stderr, (reader[0], result.stderr)


def test_read_only_commands_work_and_write_nothing(reader, readonly_hub):
    folder = readonly_hub.db_path.parent
    before = _fingerprint(folder)
    time.sleep(0.01)  # an mtime written now would differ
    for args in READS:
        result = _run(reader, readonly_hub, *args)
        assert result.returncode == 0, (reader[0], args, result.stderr)
        assert "readonly" not in result.stderr, (args, result.stderr)
    listed = _run(reader, readonly_hub, "accounts", "list").stdout
    assert {line.split()[0] for line in listed.splitlines()} == {"adm-vk", "adm-ok", "dk-tg"}
    assert "adm-vk" in _run(reader, readonly_hub, "compliance", "--week", "2026-W10").stdout
    backup = folder / "out" / "copy.db"
    result = _run(reader, readonly_hub, "db", "backup", str(backup))
    assert result.returncode == 0 and backup.exists(), result.stderr
    page = folder / "out" / "registry.html"
    result = _run(
        reader, readonly_hub, "registry", "export", "--format", "html", "--out", str(page)
    )
    assert result.returncode == 0 and "Официальные страницы" in page.read_text(), result.stderr
    assert _fingerprint(folder) == before  # nothing written, not even a -wal or -shm


def test_while_the_daemon_has_the_database_open_a_reader_sees_its_latest_writes(
    reader, readonly_hub
):
    """With a writer connected, the -wal and -shm exist: mode=ro reads through them."""
    db = readonly_hub.db_path
    top = db.parent
    top.chmod(0o755)
    db.chmod(0o644)
    writer = sqlite3.connect(db)  # as the daemon would, in WAL mode
    try:
        writer.execute("UPDATE accounts SET name = 'Свежее имя' WHERE id = 'adm-vk'")
        writer.commit()
        assert Path(f"{db}-wal").exists()
        top.chmod(0o555)
        result = _run(reader, readonly_hub, "accounts", "list")
        assert result.returncode == 0, result.stderr
        assert "Свежее имя" in result.stdout
    finally:
        top.chmod(0o755)
        writer.close()


def test_a_writing_command_still_fails_in_one_line(reader, readonly_hub):
    result = _run(reader, readonly_hub, "orgs", "add", "Новая библиотека", "--level", "subordinate")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hub: error: "), result.stderr


# -- in process: mode=ro, the schema check, the command list ---------------------------
def test_readonly_open_refuses_writes_and_leaves_the_file_alone(tmp_path):
    config = seed(tmp_path)
    Store.open(config.db_path).close()
    before = _fingerprint(tmp_path)
    store = Store.open(config.db_path, readonly=True)
    try:
        assert store.readonly
        assert store.db.execute("SELECT COUNT(*) FROM accounts").fetchone()[0] == 3
        with pytest.raises(sqlite3.OperationalError, match="readonly|query_only|read-only"):
            store.db.execute("UPDATE accounts SET name = 'x'")
    finally:
        store.close()
    assert _fingerprint(tmp_path)["hub.db"] == before["hub.db"]


def test_a_database_behind_this_version_says_how_to_upgrade_it(tmp_path, capsys):
    config = seed(tmp_path)
    last = store_module.MIGRATIONS[-1].__name__
    with contextlib.closing(sqlite3.connect(config.db_path)) as conn:
        conn.execute("DELETE FROM _hub_migrations WHERE name = ?", [last])
        conn.commit()
    with pytest.raises(ConfigError) as caught:
        Store.open(config.db_path, readonly=True)
    assert "needs an upgrade" in str(caught.value) and "hub db migrate" in str(caught.value)
    # the hub's own user (who can write) upgrades it; the migration must be re-runnable for
    # this test, so the upgrade is only checked through 'db migrate' on a fresh copy
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    fresh_config = seed(fresh)
    code, out, err = hub_cli(capsys, "--config", str(fresh_config.path), "db", "migrate")
    assert code == 0 and "up to date" in out, err


def test_the_upgrade_line_reaches_the_user_as_one_line(tmp_path, capsys, monkeypatch):
    config = seed(tmp_path)
    with contextlib.closing(sqlite3.connect(config.db_path)) as conn:
        conn.execute("DELETE FROM _hub_migrations WHERE name = 'm001_initial'")
        conn.commit()
    monkeypatch.setattr("hub.cli.common.can_write", lambda path: False)
    code, _out, err = hub_cli(capsys, "--config", str(config.path), "accounts", "list")
    assert code == 2
    one_line_error(err, "needs an upgrade", "hub db migrate")


def test_every_read_only_command_exists():
    for path in READ_ONLY_COMMANDS:
        command: click.Command = cli
        for name in path.split():
            assert isinstance(command, click.Group), path
            command = command.commands.get(name)
            assert command is not None, f"{path}: no such command"


# -- a lock wait says who holds the lock ------------------------------------------------
HOLD = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("holding", flush=True)
time.sleep(30)
"""


def test_a_write_that_waits_out_the_lock_names_the_process_holding_it(
    tmp_path, capsys, monkeypatch
):
    config = seed(tmp_path)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(config.db_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        monkeypatch.setattr(store_module, "BUSY_TIMEOUT_MS", 300)
        code, _out, err = hub_cli(
            capsys, "--config", str(config.path), "orgs", "add", "Библиотека", "--level",
            "subordinate", "--by", "operator",
        )  # fmt: skip
    finally:
        holder.kill()
        holder.wait()
    assert code == 1
    one_line_error(err, "is still locked after 0.3 s", f"pid {holder.pid}", "systemctl stop hub")
