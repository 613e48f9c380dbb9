"""hub report push against the Gospabliki stub: registry, statistics, notices; no duplicates."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import date

import pytest

from hub.config import load_config
from hub.errors import ConfigError, HubError
from hub.report import build_report, push
from hub.sandbox.gospabliki_stub.stub import GospablikiStub
from hub.store import Store
from tests.cli.test_cli import hub
from tests.helpers import TOKEN, TOKEN_ENV, sync, write_config

GP_TOKEN = "gp-token-for-tests-123"
ORGS = """
[[organizations]]
name = "Организация 1"
level = "administration"
address = "с. Клочки, ул. Ленина, 1"
email = "adm@klochki.ru"
website = "https://klochki.ru"
responsible = { name = "Иванова Мария Петровна", position = "специалист", since = "2025-01-10" }

[[organizations]]
name = "Организация 2"
level = "subordinate"
parent = "Организация 1"
"""


@pytest.fixture
def world(tmp_path, monkeypatch):
    from hub_vk.emulator import VkEmulator

    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    monkeypatch.setenv("HUB_GP_TOKEN", GP_TOKEN)
    monkeypatch.setenv("HUB_LOAD_PLUGINS", "vk")
    with (
        VkEmulator(
            seed=12, communities=2, posts=4, comments=3, rate_limit=0, tokens=[TOKEN]
        ) as emu,
        GospablikiStub(db_path=tmp_path / "stub.db", tokens=[GP_TOKEN]) as stub,
    ):
        path = write_config(tmp_path, emu)
        token_line = f'token_env = "{TOKEN_ENV}"'  # two pages new to the world: two notices
        path.write_text(
            path.read_text().replace(token_line, f"{token_line}\ncreated = {date.today()}")
            + ORGS
            + "\n[gospabliki]\n"
            f'endpoint = "{stub.base_url}/api/v1"\ntoken_env = "HUB_GP_TOKEN"\n'
            'municipality = "Клочковский сельсовет"\n',
            encoding="utf-8",
        )
        sync(path)
        yield path, stub


def run_push(path):
    config = load_config(path)
    store = Store.open(config.db_path)
    try:  # --first: a person releases the first report (tests/registry/test_first_week_registry.py)
        return asyncio.run(push(store, config, first=True))
    finally:
        store.close()


def stub_reports(stub_db):
    conn = sqlite3.connect(stub_db)
    return conn.execute("SELECT COUNT(*) FROM reports").fetchone()[0]


def test_report_carries_registry_statistics_and_notices(world, tmp_path):
    path, stub = world
    config = load_config(path)
    store = Store.open(config.db_path)
    report = build_report(store, config, "Клочковский сельсовет")
    store.close()
    orgs = {o["name"]: o for o in report["registry"]["organizations"]}
    assert orgs["Организация 1"]["responsible"]["name"] == "Иванова Мария Петровна"
    assert [a["network"] for a in orgs["Организация 1"]["accounts"]] == ["vk"]
    stats = {s["account"]: s for s in report["statistics"]}
    assert stats["acc-1"]["posts"] == 4 and stats["acc-1"]["last_sync"]
    kinds = {n["kind"] for n in report["notices"]}
    assert kinds == {"account_created"}  # both accounts are new to the registry
    outcome = run_push(path)
    assert outcome.receipt.startswith("GP-") and outcome.notices_marked == 2
    conn = sqlite3.connect(tmp_path / "hub.db")
    assert conn.execute("SELECT COUNT(*) FROM notices WHERE status = 'sent'").fetchone()[0] == 2
    assert stub_reports(tmp_path / "stub.db") == 1


def test_push_survives_the_stub_failing_half_its_requests(world, tmp_path):
    path, stub = world
    stub.set_faults(http500=2, lost_reply=1)  # fails, fails, stores but answers 500, then fine
    outcome = run_push(path)
    assert outcome.notices_marked == 2
    assert stub_reports(tmp_path / "stub.db") == 1  # the lost answer did not file it twice


def test_a_failed_push_is_resent_unchanged_and_never_filed_twice(world, tmp_path, monkeypatch):
    from hub.retry import RETRY

    path, stub = world
    monkeypatch.setattr(RETRY, "attempts", 2)
    stub.set_faults(lost_reply=1, http500=5)  # stored, but the hub never hears of it
    with pytest.raises(HubError, match="stays queued"):
        run_push(path)
    conn = sqlite3.connect(tmp_path / "hub.db")
    assert conn.execute("SELECT COUNT(*) FROM notices WHERE status = 'sent'").fetchone()[0] == 0
    stub.set_faults(http500=0)
    outcome = run_push(path)
    assert outcome.resent and outcome.notices_marked == 2
    assert stub_reports(tmp_path / "stub.db") == 1


def test_config_and_token_problems_are_clear(tmp_path, world, monkeypatch):
    path, stub = world
    monkeypatch.delenv("HUB_GP_TOKEN")
    with pytest.raises(ConfigError, match="HUB_GP_TOKEN is not set"):
        run_push(path)
    monkeypatch.setenv("HUB_GP_TOKEN", "wrong-token")
    with pytest.raises(HubError, match="HUB_GP_TOKEN"):
        run_push(path)
    result = hub(
        "--config",
        str(path),
        "report",
        "push",
        "--first",
        env_extra={TOKEN_ENV: TOKEN, "HUB_GP_TOKEN": GP_TOKEN, "HUB_LOAD_PLUGINS": "vk"},
    )
    assert result.returncode == 0 and "receipt GP-" in result.stdout, result.stderr
    assert "wrong-token" not in result.stdout + result.stderr


def test_a_refused_report_does_not_block_the_next_one(world, tmp_path):
    path, stub = world
    config = load_config(path)
    store = Store.open(config.db_path)
    store.db.execute(  # a waiting report the receiver will refuse as invalid
        "INSERT INTO report_outbox (idempotency_key, body_json, created_at, status, attempts) "
        "VALUES (?, ?, ?, 'pending', 0)",
        ["badreport01", '{"municipality": ""}', "2026-01-01T00:00:00Z"],
    )
    store.close()
    with pytest.raises(HubError, match="builds a new one"):
        run_push(path)
    outcome = run_push(path)
    assert not outcome.resent and outcome.receipt.startswith("GP-")


def test_an_account_without_an_organization_does_not_block_reports(world, tmp_path):
    path, stub = world
    text = path.read_text(encoding="utf-8").replace('organization = "Организация 2"\n', "", 1)
    path.write_text(text, encoding="utf-8")
    outcome = run_push(path)
    assert outcome.receipt.startswith("GP-")
    conn = sqlite3.connect(tmp_path / "stub.db")
    body = conn.execute("SELECT body FROM reports").fetchone()[0]
    assert "Организация не указана" in body
