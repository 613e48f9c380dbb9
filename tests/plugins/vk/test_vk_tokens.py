"""VK ID tokens end to end (issue 15, point 1): expiry, rotation, crashes, races, refusal."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from hub.config import load_config
from hub.errors import ConfigError, TransientError
from hub.tokens import SecretsFile, StoredToken, refresh, save
from hub_vk.emulator import VkEmulator
from tests.cli.test_cli import hub
from tests.helpers import REPO, TOKEN, TOKEN_ENV, sync, write_config

DEVICE = "dev-1"


@pytest.fixture
def emu():
    with VkEmulator(seed=3, communities=2, posts=8, comments=3, rate_limit=0, tokens=[TOKEN]) as e:
        yield e


def vk_config(tmp_path, emu, *, id_base=None, extra=""):
    """acc-1 signs in through VK ID; acc-2 keeps a fixed token in its variable."""
    settings = f'id_base = "{id_base or emu.base_url}"\nid_client_id = "1"\n' + extra
    path = write_config(tmp_path, emu, extra=settings)
    text = path.read_text(encoding="utf-8")
    text = text.replace(f'token_env = "{TOKEN_ENV}"', 'token_env = "HUB_VK_UNUSED"', 1)
    path.write_text(text, encoding="utf-8")
    return path


def signed_in(tmp_path, emu, monkeypatch, **kw):
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    config = vk_config(tmp_path, emu, **kw)
    refresh_token = emu.vkid.grant(700_000_001, DEVICE, "1")
    out = hub(
        "--config", str(config), "auth", "vk", "acc-1", "--refresh-token", refresh_token,
        "--device-id", DEVICE,
        env_extra={TOKEN_ENV: TOKEN},
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert refresh_token not in out.stdout + out.stderr
    return config


def stored(config) -> StoredToken:
    return SecretsFile.beside(config).get("acc-1")


def test_auth_stores_a_refreshed_token_beside_the_config_for_its_owner_only(
    tmp_path, emu, monkeypatch
):
    config = signed_in(tmp_path, emu, monkeypatch)
    path = tmp_path / "hub.secrets.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    record = stored(config)
    assert record.access_token.startswith("vk1.a.") and record.device_id == DEVICE
    assert record.expires_at > time.time() + 3000 and record.scope == "wall groups"
    assert emu.vkid.refreshes == 1  # the imported refresh token was spent at once, and rotated
    assert record.refresh_token in emu.vkid.refresh_tokens


def test_a_sync_runs_across_an_access_token_expiry_without_a_failed_account(
    tmp_path, emu, monkeypatch
):
    config = signed_in(tmp_path, emu, monkeypatch)
    assert all(r.ok for r in sync(config)), "first sync"
    emu.vkid.expire_access_tokens()  # VK now answers error 5, subcode 1117
    emu.add_post(emu.community_ids()[0], "после часа")
    runs = sync(config)
    assert all(r.ok for r in runs), [r.summary() for r in runs]
    assert emu.vkid.refreshes == 2
    assert emu.stats()["errors"].get("5", 0) >= 1  # it did expire, and was refreshed
    # and before it expires: refreshed within the margin, without an error
    errors = emu.stats()["errors"].get("5", 0)
    record = stored(config)
    save(SecretsFile.beside(config), "acc-1", _replace(record, expires_at=time.time() + 60))
    assert all(r.ok for r in sync(config))
    assert emu.vkid.refreshes == 3 and emu.stats()["errors"].get("5", 0) == errors


def _replace(record, **kw):
    from dataclasses import replace

    return replace(record, **kw)


def test_a_revoked_refresh_token_parks_only_its_account(tmp_path, emu, monkeypatch):
    config = signed_in(tmp_path, emu, monkeypatch)
    emu.vkid.revoke_all()
    emu.vkid.expire_access_tokens()
    runs = {r.account.id: r for r in sync(config)}
    assert runs["acc-2"].ok
    assert not runs["acc-1"].ok and runs["acc-1"].token_rejected
    assert "run 'hub auth vk acc-1' again" in runs["acc-1"].error
    assert stored(config).refresh_token  # nothing thrown away: a person may look


def test_the_daemon_runs_across_expiries_and_parks_only_a_revoked_account(
    tmp_path, emu, monkeypatch
):
    config = signed_in(tmp_path, emu, monkeypatch)
    config.write_text(
        config.read_text() + "\n[daemon]\nsync_seconds = { vk = 1 }\nmoderate_seconds = 1\n"
    )
    stop = threading.Event()

    def expire_often():
        while not stop.wait(0.7):
            emu.vkid.expire_access_tokens()

    ticker = threading.Thread(target=expire_often, daemon=True)
    ticker.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update({TOKEN_ENV: TOKEN, "HUB_LOAD_PLUGINS": "vk"})
    proc = subprocess.run(
        [sys.executable, "-m", "hub", "--config", str(config), "daemon", "--cycles", "4"],
        env=env, capture_output=True, text=True, timeout=90,
    )  # fmt: skip
    stop.set()
    assert proc.returncode == 0, proc.stderr
    logged = [json.loads(line) for line in proc.stderr.splitlines() if line.startswith("{")]
    syncs = [e for e in logged if e["event"] == "account sync"]
    assert {e["account"] for e in syncs} == {"acc-1", "acc-2"}
    assert all(e["status"] == "ok" for e in syncs), [e for e in syncs if e["status"] != "ok"]
    assert not [e for e in logged if "parked" in e["event"]]
    assert emu.vkid.refreshes >= 2


#: a process that refreshes, then dies (SIGKILL) right after the rotated token is on disk
CRASHER = """
import os, signal, sys
from hub import plugins
from hub.config import load_config
from hub.networks import build_network
from hub import tokens

config = load_config(sys.argv[1])
account = config.account("acc-1")
net = build_network(plugins.networks(plugins.make_plugin_manager())["vk"], config)
real_put = tokens.SecretsFile.put
def put_then_die(self, *args):
    real_put(self, *args)
    os.kill(os.getpid(), signal.SIGKILL)
tokens.SecretsFile.put = put_then_die
secrets = tokens.SecretsFile.beside(config.path)
tokens.refresh(secrets, account, net.refresh_token, spent=sys.argv[2])
"""


def test_a_crash_after_the_rotated_token_arrives_still_refreshes_after_a_restart(
    tmp_path, emu, monkeypatch
):
    config = signed_in(tmp_path, emu, monkeypatch)
    before = stored(config)
    proc = subprocess.run(
        [sys.executable, "-c", CRASHER, str(config), before.access_token],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == -9, proc.stderr
    after = stored(config)
    assert after.refresh_token != before.refresh_token  # the rotated one survived the kill
    emu.vkid.expire_access_tokens()
    assert all(r.ok for r in sync(config))  # the restart refreshes with it
    assert emu.vkid.refreshes == 3


#: a process that waits for the go file, then refreshes the token VK "called expired"
RACER = """
import os, sys, time
from hub import plugins
from hub.config import load_config
from hub.networks import build_network
from hub import tokens

config = load_config(sys.argv[1])
account = config.account("acc-1")
net = build_network(plugins.networks(plugins.make_plugin_manager())["vk"], config)
while not os.path.exists(sys.argv[3]):
    time.sleep(0.005)
fresh = tokens.refresh(
    tokens.SecretsFile.beside(config.path), account, net.refresh_token, spent=sys.argv[2]
)
print(fresh.access_token)
"""


def test_two_processes_refreshing_at_once_spend_the_token_once(tmp_path, emu, monkeypatch):
    config = signed_in(tmp_path, emu, monkeypatch)
    spent = stored(config).access_token
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, str(config), spent, str(go)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for _ in range(2)
    ]
    time.sleep(1.0)
    go.touch()
    outs = [p.communicate(timeout=60) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _out, err in outs]
    tokens = {out.strip() for out, _err in outs}
    assert tokens == {stored(config).access_token}  # both use the one new token
    assert emu.vkid.refreshes == 2  # sign-in's, and one of the two


def test_a_malformed_secrets_file_is_one_clear_line_and_is_kept(tmp_path, emu, monkeypatch):
    config = signed_in(tmp_path, emu, monkeypatch)
    path = tmp_path / "hub.secrets.json"
    path.write_text('{"accounts": {"acc-1": ', encoding="utf-8")
    out = hub("--config", str(config), "sync", env_extra={TOKEN_ENV: TOKEN})
    assert out.returncode != 0
    lines = [line for line in out.stderr.splitlines() if "hub.secrets.json" in line]
    assert len(lines) == 1 and "not valid JSON" in lines[0] and "Traceback" not in out.stderr
    assert path.read_text(encoding="utf-8") == '{"accounts": {"acc-1": '
    with pytest.raises(ConfigError, match="not valid JSON"):
        SecretsFile.beside(config).load()


class Garbage(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(b"<html>maintenance</html>")

    def log_message(self, *args):
        return


def test_a_refresh_endpoint_answering_garbage_is_one_line_and_loses_nothing(
    tmp_path, emu, monkeypatch
):
    config = signed_in(tmp_path, emu, monkeypatch)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Garbage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        text = config.read_text().replace(
            f'id_base = "{emu.base_url}"', f'id_base = "http://127.0.0.1:{server.server_port}"'
        )
        config.write_text(text)
        before = stored(config)
        loaded = load_config(config)
        from hub import plugins
        from hub.networks import build_network

        net = build_network(plugins.networks(plugins.make_plugin_manager())["vk"], loaded)
        with pytest.raises(TransientError) as caught:
            refresh(SecretsFile.beside(config), loaded.account("acc-1"), net.refresh_token,
                    spent=before.access_token)  # fmt: skip
        assert "not a JSON object" in str(caught.value) and "\n" not in str(caught.value)
        assert stored(config) == before
    finally:
        server.shutdown()


def test_sign_in_through_the_loopback_redirect(tmp_path, emu, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    config = vk_config(tmp_path, emu)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env[TOKEN_ENV] = TOKEN
    proc = subprocess.Popen(
        [sys.executable, "-m", "hub", "--config", str(config), "auth", "vk", "acc-1",
         "--redirect-uri", f"http://localhost:{port}/cb"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    proc.stdout.readline()
    url = proc.stdout.readline().strip()
    assert url.startswith(f"{emu.base_url}/authorize?") and "code_challenge_method=S256" in url
    httpx.get(url, follow_redirects=True, timeout=10)  # the browser: signs in, comes back
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "signed in" in out
    assert stored(config).refresh_token in emu.vkid.refresh_tokens
    assert all(r.ok for r in sync(config))


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_accounts_check_says_which_token_and_when_it_expires(tmp_path, emu, monkeypatch):
    config = signed_in(tmp_path, emu, monkeypatch)
    out = hub("--config", str(config), "accounts", "check", env_extra={TOKEN_ENV: TOKEN})
    lines = out.stdout.splitlines()
    first = next(line for line in lines if line.startswith("acc-1:") and "token from" in line)
    assert "stored token" in first and "expires" in first and "refreshed automatically" in first
    assert "rights: wall groups" in first
    fixed = next(line for line in lines if line.startswith("acc-2:") and "token from" in line)
    assert "fixed token" in fixed and "does not expire" in fixed


def test_the_daemon_parks_only_the_account_whose_refresh_is_refused(tmp_path, emu, monkeypatch):
    config = signed_in(tmp_path, emu, monkeypatch)
    config.write_text(
        config.read_text() + "\n[daemon]\nsync_seconds = { vk = 1 }\nmoderate_seconds = 1\n"
    )
    emu.vkid.revoke_all()
    emu.vkid.expire_access_tokens()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update({TOKEN_ENV: TOKEN, "HUB_LOAD_PLUGINS": "vk"})
    proc = subprocess.run(
        [sys.executable, "-m", "hub", "--config", str(config), "daemon", "--cycles", "3"],
        env=env, capture_output=True, text=True, timeout=90,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    logged = [json.loads(line) for line in proc.stderr.splitlines() if line.startswith("{")]
    parked = [e for e in logged if e["event"] == "account parked until its config changes"]
    assert [e["account"] for e in parked] == ["acc-1"]
    assert parked[0]["fix"] == "run 'hub auth vk acc-1' again"
    assert "run 'hub auth vk acc-1' again" in parked[0]["error"]
    good = [e for e in logged if e["event"] == "account sync" and e["account"] == "acc-2"]
    assert len(good) >= 2 and all(e["status"] == "ok" for e in good)
