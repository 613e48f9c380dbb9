"""The shipped systemd units and docs/install.md (issue 13, point 8).

The unit could not open the database: ``hub init``'s ``path = "hub.db"`` resolves beside
the config, in ``/etc/pablik-hub``, which ``ProtectSystem=strict`` makes read-only, so
the daemon failed and restarted every 10 s forever. These tests read the units as
systemd would (``configparser``, repeated keys allowed), check that every path they
use is one the unit may write or read, and then run the units' own command lines — with
``/etc``, ``/var/lib`` and ``/opt`` moved into a temporary folder — against the VK
emulator: the daemon for one cycle on ``hub init``'s config, the nightly backup, and the
restore docs/install.md gives. Every ``hub`` command line in the guide must parse.
"""

from __future__ import annotations

import configparser
import os
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from hub.cli import cli
from hub.config import load_config
from hub.init import STARTER
from hub_vk.emulator import VkEmulator
from tests.helpers import REPO, TOKEN, TOKEN_ENV

ROOT = REPO
UNIT = ROOT / "config" / "hub.service"
BACKUP_UNIT = ROOT / "config" / "hub-backup.service"
WEB_UNIT = ROOT / "config" / "hub-web.service"
TIMER = ROOT / "config" / "hub-backup.timer"
GUIDE = ROOT / "docs" / "install.md"
HUB = "/opt/pablik-hub/venv/bin/hub"


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # systemd's keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser


def environment(service: configparser.SectionProxy) -> dict[str, str]:
    """``Environment=A=1 B=2``: systemd's space-separated assignments."""
    return dict(item.split("=", 1) for item in shlex.split(service.get("Environment", "")))


def exec_args(line: str) -> list[str]:
    """A command line as systemd runs it: ``%%`` is ``%``, ``$$`` is ``$``, quotes group."""
    return shlex.split(line.replace("%%", "%").replace("$$", "$"))


def test_the_unit_opens_a_database_it_may_write_with_hub_inits_config(tmp_path):
    service = unit(UNIT)["Service"]
    state = Path("/var/lib") / service["StateDirectory"]
    assert service["StateDirectory"] == "pablik-hub" and service["User"] == "pablik-hub"
    assert service["ProtectSystem"] == "strict" and service["NoNewPrivileges"] == "true"
    assert service["PrivateTmp"] == "true"
    writable = [Path(p) for p in service["ReadWritePaths"].split()]
    assert state in writable and Path(service["WorkingDirectory"]) == state
    env = environment(service)
    assert env["HUB_CONFIG"] == "/etc/pablik-hub/hub.toml"
    assert Path(env["HUB_DB"]).parent == state
    assert service["EnvironmentFile"] == "/etc/pablik-hub/tokens.env"
    args = exec_args(service["ExecStart"])
    assert args[0] == HUB and args[1] == "daemon"
    cli.commands["daemon"].make_context("daemon", args[2:])  # its options exist
    # hub init's config, where the unit reads it: the database the unit opens is in the
    # state folder, not beside the config (read-only under ProtectSystem=strict)
    etc = tmp_path / "etc" / "pablik-hub"
    etc.mkdir(parents=True)
    (etc / "hub.toml").write_text(STARTER, encoding="utf-8")
    assert load_config(etc / "hub.toml").db_path.parent == etc  # what went wrong
    assert load_config(etc / "hub.toml", env["HUB_DB"]).db_path == Path(env["HUB_DB"])


def test_the_backup_units_write_where_the_unit_may(tmp_path):
    service = unit(BACKUP_UNIT)["Service"]
    daemon = unit(UNIT)["Service"]
    assert service["Type"] == "oneshot" and service["User"] == daemon["User"]
    assert environment(service) == environment(daemon)
    assert service["StateDirectory"].split() == ["pablik-hub", "pablik-hub/backups"]
    shell = exec_args(service["ExecStart"])
    assert shell[:2] == ["/bin/sh", "-c"]
    command = shlex.split(shell[2])
    assert command[:4] == ["exec", HUB, "db", "backup"]
    assert command[4].startswith("/var/lib/pablik-hub/backups/hub-$(date +%Y%m%d-%H%M)")
    timer = unit(TIMER)
    assert timer["Timer"]["Unit"] == BACKUP_UNIT.name and timer["Timer"]["Persistent"] == "true"
    assert timer["Install"]["WantedBy"] == "timers.target"
    assert unit(UNIT)["Install"]["WantedBy"] == "multi-user.target"


def test_the_console_unit_runs_as_the_daemon_does():
    """The same user, environment, tokens and hardening as hub.service, serving on loopback."""
    web, daemon = unit(WEB_UNIT)["Service"], unit(UNIT)["Service"]
    for key in (
        "User",
        "Group",
        "Environment",
        "EnvironmentFile",
        "ProtectSystem",
        "ReadWritePaths",
        "NoNewPrivileges",
    ):
        assert web[key] == daemon[key], key
    assert web["ExecStart"].split()[1:] == ["web", "--host", "127.0.0.1", "--port", "8080"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_systemd_accepts_the_units(tmp_path):
    """``systemd-analyze verify``, with the program's path pointed at an existing one."""
    for source in (UNIT, BACKUP_UNIT, TIMER, WEB_UNIT):
        text = source.read_text(encoding="utf-8").replace(
            HUB, shutil.which("hub") or sys.executable
        )
        (tmp_path / source.name).write_text(text, encoding="utf-8")
    result = subprocess.run(
        [
            "systemd-analyze",
            "verify",
            *(str(tmp_path / s.name) for s in (UNIT, BACKUP_UNIT, TIMER, WEB_UNIT)),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "SYSTEMD_LOG_LEVEL": "warning"},
    )
    assert result.returncode == 0 and result.stdout + result.stderr == "", result.stderr


# -- the units' command lines, run in a temporary root ---------------------------------
class Server:
    """/etc/pablik-hub, /var/lib/pablik-hub and the program, moved under ``root``."""

    def __init__(self, root: Path, emu: VkEmulator):
        self.root = root
        self.etc = root / "etc" / "pablik-hub"
        self.state = root / "var" / "lib" / "pablik-hub"
        self.etc.mkdir(parents=True)
        self.state.mkdir(parents=True)
        config = STARTER.replace('api_base = "https://api.vk.ru/method"', f'api_base = "{emu.url}"')
        config = config.replace("requests_per_second = 3 ", "requests_per_second = 1000 ")
        for n, gid in enumerate(emu.community_ids(), start=1):
            config += (
                f'\n[[accounts]]\nid = "acc-{n}"\nnetwork = "vk"\nexternal_id = "{gid}"\n'
                f'organization = "Организация {n}"\ntoken_env = "{TOKEN_ENV}"\n'
            )
        (self.etc / "hub.toml").write_text(config, encoding="utf-8")
        (self.etc / "tokens.env").write_text(f"{TOKEN_ENV}={TOKEN}\n", encoding="utf-8")
        (self.etc / "tokens.env").chmod(0o600)

    def path(self, text: str) -> str:
        text = text.replace("/etc/pablik-hub", str(self.etc))
        return text.replace("/var/lib/pablik-hub", str(self.state))

    def run(self, unit_file: Path, *extra: str, line: str | None = None):
        service = unit(unit_file)["Service"]
        for directory in service.get("StateDirectory", "").split():
            (self.root / "var" / "lib" / directory).mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
        env["HUB_LOAD_PLUGINS"] = "vk"
        env.update({k: self.path(v) for k, v in environment(service).items()})
        if "EnvironmentFile" in service:
            for entry in Path(self.path(service["EnvironmentFile"])).read_text().splitlines():
                key, value = entry.split("=", 1)
                env[key] = value
        args = [self.path(a) for a in exec_args(line or service["ExecStart"])]
        hub = f"{shlex.quote(sys.executable)} -m hub"
        args = [a.replace(HUB, hub) for a in args]
        if args[0] != "/bin/sh":
            args = [sys.executable, "-m", "hub", *args[1:]]
        return subprocess.run(
            [*args, *extra],
            env=env,
            cwd=self.path(service.get("WorkingDirectory", "/")),
            capture_output=True,
            text=True,
            timeout=120,
        )


@pytest.fixture
def emu():
    with VkEmulator(seed=41, communities=2, posts=8, comments=3, rate_limit=0, tokens=[TOKEN]) as e:
        yield e


def posts(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT COUNT(*) FROM posts").fetchone()[0]


def test_the_unit_runs_the_daemon_backs_up_and_restores(tmp_path, emu):
    server = Server(tmp_path, emu)
    before = sorted(p.name for p in server.etc.iterdir())
    daemon = server.run(UNIT, "--cycles", "1")
    assert daemon.returncode == 0, daemon.stderr[-2000:]
    db = server.state / "hub.db"
    assert posts(db) == 16
    assert sorted(p.name for p in server.etc.iterdir()) == before  # nothing written in /etc
    # the nightly backup, its date made by the shell from systemd's escaped line
    backup = server.run(BACKUP_UNIT)
    assert backup.returncode == 0, backup.stderr
    copies = list((server.state / "backups").glob("hub-*.db"))
    assert len(copies) == 1 and re.fullmatch(r"hub-\d{8}-\d{4}\.db", copies[0].name)
    cleanup = unit(BACKUP_UNIT)["Service"]["ExecStartPost"]
    assert subprocess.run(exec_args(server.path(cleanup))).returncode == 0  # keeps a new copy
    assert copies[0].exists()
    # something is lost; the restore of docs/install.md brings the copy back
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM comments")
        conn.execute("DELETE FROM posts")
    aside = server.state / "before-restore"
    aside.mkdir()
    for side in server.state.glob("hub.db*"):
        side.rename(aside / side.name)
    shutil.copy(copies[0], db)
    check = server.run(UNIT, line=f"{HUB} db check")
    assert check.returncode == 0 and "integrity ok, foreign keys ok" in check.stdout, check.stderr
    assert posts(db) == 16
    again = server.run(UNIT, "--cycles", "1")
    assert again.returncode == 0, again.stderr[-2000:]
    listed = server.run(UNIT, line=f"{HUB} accounts list")
    assert listed.returncode == 0 and "acc-1" in listed.stdout, listed.stderr


# -- docs/install.md -----------------------------------------------------------------------
SHELL_END = re.compile(r"\s(?:\||&&|;|>|2>|#)\s|\s>\S")


def guide_commands() -> list[list[str]]:
    """Every hub command line in the guide's code blocks, as argument lists after 'hub'."""
    text = GUIDE.read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = SHELL_END.split(line + " ", maxsplit=1)[0]
            words = shlex.split(line, comments=True) if line.strip() else []
            while words and re.fullmatch(r"[A-Z_]+=\S*", words[0]):
                words = words[1:]  # HUB_CONFIG=... hub ...
            if "--" in words:  # runuser -u pablik-hub -- hub ...
                words = words[words.index("--") + 1 :]
            if words[:1] == ["exec"]:
                words = words[1:]
            if words and (words[0] in ("hub", "hub-admin") or words[0].endswith("/bin/hub")):
                commands.append(words[1:])
    return commands


def test_every_hub_command_in_the_guide_exists_with_its_options():
    """Each line parsed by the real CLI: an unknown command or option fails it (``--help``
    at the end stops each one before it would run)."""
    commands = [c for c in guide_commands() if c[:1] != ["$@"]]  # not the wrapper's own line
    assert len(commands) > 10
    runner = CliRunner()
    for args in commands:
        args = [a for a in args if a != "--version"]
        result = runner.invoke(cli, [*args, "--help"])
        assert result.exit_code == 0, f"hub {' '.join(args)}: {result.output}"
        assert "Usage:" in result.output or "Использование" in result.output
    named = {c[0] for c in commands if c and not c[0].startswith("-")}
    assert {"db", "sync", "registry", "compliance", "moderation", "init", "report"} <= named
