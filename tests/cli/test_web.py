"""``hub operators ...``, ``hub web`` and ``hub daemon --web`` (issue 16), as a user runs them:
passwords from standard input, one clear line for every mistake, the console answering on
its port, the key file made beside the secrets and nowhere in the config."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from hub import operators
from hub.store import Store
from tests.cli.test_cli import assert_one_line_error, hub
from tests.web.conftest import csrf_of, free_port

PASSWORD = "correct horse battery"


@pytest.fixture
def cfg(tmp_path):
    path = tmp_path / "hub.toml"
    path.write_text(
        '[database]\npath = "hub.db"\n\n[[accounts]]\nid = "acc-1"\nnetwork = "vk"\n'
        'external_id = "1"\norganization = "Организация 1"\ntoken_env = "HUB_T"\n',
        encoding="utf-8",
    )
    return str(path)


def _add(cfg, login, *args, password=PASSWORD):
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "hub",
            "--config",
            cfg,
            "operators",
            "add",
            login,
            *args,
            "--password-stdin",
        ],
        input=password + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith("HUB_")},
    )


def test_operators_add_list_disable_passwd(cfg, tmp_path):
    added = _add(cfg, "ivanova", "--role", "moderator", "--organization", "Организация 1")
    assert added.returncode == 0, added.stderr
    assert "ivanova" in added.stdout
    listed = hub("--config", cfg, "operators", "list", "--json")
    assert json.loads(listed.stdout) == [
        {
            "login": "ivanova",
            "role": "moderator",
            "organizations": ["Организация 1"],
            "disabled": False,
        }
    ]
    store = Store.open(tmp_path / "hub.db")
    try:
        stored = store.db.execute("SELECT password_hash FROM operators").fetchone()[0]
        assert stored.startswith("scrypt$") and PASSWORD not in stored
        assert operators.authenticate(store, "ivanova", PASSWORD) is not None
    finally:
        store.close()
    changed = subprocess.run(
        [
            sys.executable,
            "-m",
            "hub",
            "--config",
            cfg,
            "operators",
            "passwd",
            "ivanova",
            "--password-stdin",
        ],
        input="another long password\n",
        capture_output=True,
        text=True,
    )
    assert changed.returncode == 0, changed.stderr
    assert hub("--config", cfg, "operators", "disable", "ivanova").returncode == 0
    store = Store.open(tmp_path / "hub.db")
    try:
        assert operators.authenticate(store, "ivanova", "another long password") is None
        assert operators.get(store, "ivanova").disabled
    finally:
        store.close()


@pytest.mark.parametrize(
    ("args", "password", "needle"),
    [
        (("Bad Login", "--role", "admin"), PASSWORD, "login 'Bad Login' is not allowed"),
        (("x1", "--role", "admin"), "short", "the password is too short"),
        (
            ("x2", "--role", "admin", "--organization", "Нет такой"),
            PASSWORD,
            "unknown organization 'Нет такой'",
        ),
        (("x3", "--role", "admin"), "", "no password on standard input"),
    ],
)
def test_operators_add_refuses_bad_input_in_one_line(cfg, args, password, needle):
    result = _add(cfg, *args, password=password)
    assert_one_line_error(result, needle)
    assert json.loads(hub("--config", cfg, "operators", "list", "--json").stdout) == []


def test_an_existing_login_and_an_unknown_one_are_one_line_each(cfg):
    assert _add(cfg, "petrov", "--role", "viewer").returncode == 0
    assert_one_line_error(_add(cfg, "petrov", "--role", "admin"), "already exists")
    assert_one_line_error(hub("--config", cfg, "operators", "disable", "nobody"), "no operator")


def _wait_for(url: str, proc: subprocess.Popen, seconds: float = 20) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(proc.stderr.read())
        try:
            return httpx.get(url, timeout=1)
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("the console did not answer")


@pytest.mark.parametrize("command", [["web"], ["daemon", "--web", "--log-json"]])
def test_the_console_serves_and_signs_in(cfg, tmp_path, command):
    port = free_port()
    with open(cfg, "a", encoding="utf-8") as out:
        out.write(f'\n[web]\nport = {port}\n\n[networks.vk]\napi_base = "http://127.0.0.1:9"\n')
    assert _add(cfg, "admin", "--role", "admin").returncode == 0
    argv = [sys.executable, "-m", "hub", "--config", cfg, *command]
    if command[0] == "daemon":  # the global option goes before the command
        argv = [sys.executable, "-m", "hub", "--log-json", "--config", cfg, "daemon", "--web"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        assert _wait_for(f"http://127.0.0.1:{port}/healthz", proc).text == "ok"
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}")
        token = csrf_of(client.get("/login").text)
        answer = client.post("/login", data={"login": "admin", "password": PASSWORD, "csrf": token})
        assert answer.status_code == 303
        assert client.get("/moderation").status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    key = tmp_path / "hub.web.key"
    assert key.exists() and oct(key.stat().st_mode & 0o777) == "0o600"
    assert key.read_text().strip() not in Path(cfg).read_text(encoding="utf-8")
    assert proc.returncode == 0, proc.stderr.read()


def test_a_taken_port_is_one_line(cfg):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = hub("--config", cfg, "web", "--port", str(port))
    assert_one_line_error(result, f"cannot listen on 127.0.0.1:{port}")


def test_a_bad_web_section_is_one_line(cfg):
    with open(cfg, "a", encoding="utf-8") as out:
        out.write("\n[web]\nprot = 8080\n")
    assert_one_line_error(hub("--config", cfg, "web"), "[web]: unknown key 'prot'")


@pytest.mark.parametrize("separate", [True, False])
def test_hub_plan_approve_keeps_the_consoles_separate_approval(cfg, separate):
    """``[web] separate_approval`` is one rule: the CLI refuses self-approval as the console
    does (nothing the console does is done differently there)."""
    if not separate:
        with open(cfg, "a", encoding="utf-8") as out:
            out.write("\n[web]\nseparate_approval = false\n")
    added = hub(
        "--config",
        cfg,
        "plan",
        "add",
        "--account",
        "acc-1",
        "--text",
        "Новость дня",
        "--by",
        "ivanova",
    )
    assert added.returncode == 0, added.stderr
    approved = hub("--config", cfg, "plan", "approve", "1", "--by", "ivanova")
    if separate:
        assert_one_line_error(approved, "separate approval")
        assert hub("--config", cfg, "plan", "approve", "1", "--by", "petrov").returncode == 0
    else:
        assert approved.returncode == 0, approved.stderr
