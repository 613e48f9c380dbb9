"""A canary token must never appear in logs, exception text, the database, exports or URLs."""

from __future__ import annotations

import json
import sqlite3

from hub import secrets
from hub_vk.emulator import VkEmulator
from tests.cli.test_cli import hub
from tests.helpers import TOKEN_ENV, write_config

CANARY = "vk1.a.CANARY-7f3a9e-do-not-leak"
BAD_CANARY = "vk1.a.CANARY-bad-4411-do-not-leak"


def test_canary_token_never_leaks(tmp_path):
    outputs = []
    with VkEmulator(
        seed=4, communities=2, posts=8, comments=4, rate_limit=0, tokens=[CANARY]
    ) as emu:
        cfg = str(write_config(tmp_path, emu))
        env = {TOKEN_ENV: CANARY}
        for args in (
            ["--log-json", "-v", "sync"],
            ["-v", "sync", "--full"],
            ["accounts", "list", "--json"],
            ["comments", "list", "--json"],
            ["plugins", "--json"],
        ):
            result = hub("--config", cfg, *args, env_extra=env)
            assert result.returncode == 0, result.stderr
            outputs += [result.stdout, result.stderr]
        assert '"event": "account sync"' in outputs[1]  # JSON logs were really written
        assert '"event": "api request"' in outputs[1]
        # a rejected token, on every path that reports it
        rejected = hub("--config", cfg, "-v", "sync", env_extra={TOKEN_ENV: BAD_CANARY})
        assert rejected.returncode == 1
        outputs += [rejected.stdout, rejected.stderr]
        comment = json.loads(outputs[6])[0]
        delete = hub(
            "--config",
            cfg,
            "-v",
            "comments",
            "delete",
            str(comment["id"]),
            env_extra={TOKEN_ENV: BAD_CANARY},
        )
        assert delete.returncode == 1 and "action #" in delete.stderr
        outputs += [delete.stdout, delete.stderr]
        assert emu.stats()["tokens_in_url"] == 0
    unreachable = hub("--config", cfg, "-v", "sync", env_extra=env)
    assert unreachable.returncode == 1
    outputs += [unreachable.stdout, unreachable.stderr]

    for text in outputs:
        assert "CANARY" not in text, text
    db = tmp_path / "hub.db"
    for path in tmp_path.glob("hub.db*"):
        assert b"CANARY" not in path.read_bytes(), path
    conn = sqlite3.connect(db)
    dump = "\n".join(conn.iterdump())
    assert "CANARY" not in dump and TOKEN_ENV in dump  # the variable's name, never its value
    assert conn.execute("SELECT COUNT(*) FROM posts").fetchone()[0] == 16


def test_redaction_catches_known_values_and_shapes():
    secrets.remember("s3cr3t-value")
    text = (
        "url https://api.test/method/x?access_token=abc123&v=5 "
        "header Authorization: Bearer xyz789 path /bot123456:AAH-abc_def/getMe s3cr3t-value"
    )
    clean = secrets.redact(text)
    for leaked in ("abc123", "xyz789", "AAH-abc_def", "s3cr3t-value"):
        assert leaked not in clean
    assert "v=5" in clean
