"""The secrets file (hub/tokens.py): its mode, its atomic replace, its errors, its place."""

from __future__ import annotations

import json
import stat

import pytest

from hub.errors import ConfigError
from hub.models import Account
from hub.tokens import SecretsFile, StoredToken, refresh, save

ACCOUNT = Account("acc-1", "vk", "1", "Орг", "HUB_UNUSED")


def record(**kw) -> StoredToken:
    base = {"network": "vk", "access_token": "vk1.a.old", "refresh_token": "rt-1"}
    return StoredToken(**{**base, **kw})


def test_written_for_its_owner_only_and_read_back(tmp_path):
    secrets = SecretsFile.beside(tmp_path / "hub.toml")
    save(secrets, "acc-1", record(expires_at=123.0, device_id="d"))
    assert stat.S_IMODE(secrets.path.stat().st_mode) == 0o600
    assert secrets.get("acc-1") == record(
        expires_at=123.0, device_id="d", obtained_at=secrets.get("acc-1").obtained_at
    )
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no leftovers


def test_refresh_writes_before_it_hands_out_and_skips_a_token_already_refreshed(tmp_path):
    secrets = SecretsFile.beside(tmp_path / "hub.toml")
    save(secrets, "acc-1", record(expires_at=0.0))
    seen = []

    def refresher(account, stored):
        seen.append(stored.refresh_token)
        return record(access_token="vk1.a.new", refresh_token="rt-2", expires_at=9e9)

    fresh = refresh(secrets, ACCOUNT, refresher)
    assert fresh.access_token == "vk1.a.new" and secrets.get("acc-1").refresh_token == "rt-2"
    # a second process that saw "vk1.a.old" expire takes the new token, spending nothing
    assert refresh(secrets, ACCOUNT, refresher, spent="vk1.a.old").access_token == "vk1.a.new"
    assert seen == ["rt-1"]


def test_a_refresher_that_fails_leaves_the_file_as_it_was(tmp_path):
    secrets = SecretsFile.beside(tmp_path / "hub.toml")
    save(secrets, "acc-1", record(expires_at=0.0))
    before = secrets.path.read_bytes()

    def broken(account, stored):
        raise ConfigError("boom")

    with pytest.raises(ConfigError):
        refresh(secrets, ACCOUNT, broken)
    assert secrets.path.read_bytes() == before


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("{", "not valid JSON"),
        ("[]", "no 'accounts' table"),
        ('{"accounts": {"a": {"network": "vk"}}}', "access_token string"),
        ('{"accounts": {"a": {"network": "vk", "access_token": "x", "pin": 1}}}', "unknown keys"),
        ('{"accounts": {"a": {"network": "vk", "access_token": "x", "expires_at": "soon"}}}',
         "expires_at must be a number"),
    ],
)  # fmt: skip
def test_a_malformed_file_is_one_line_and_never_overwritten(tmp_path, text, words):
    secrets = SecretsFile.beside(tmp_path / "hub.toml")
    secrets.path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=words) as caught:
        save(secrets, "acc-1", record())
    assert "\n" not in str(caught.value)
    assert secrets.path.read_text(encoding="utf-8") == text


def test_hub_secrets_names_another_place(tmp_path, monkeypatch):
    monkeypatch.setenv("HUB_SECRETS", str(tmp_path / "state" / "s.json"))
    secrets = SecretsFile.beside(tmp_path / "etc" / "hub.toml")
    save(secrets, "acc-1", record())
    assert json.loads((tmp_path / "state" / "s.json").read_text())["accounts"]["acc-1"]
