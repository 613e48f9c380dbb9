"""The weekly summary in the Gospabliki report: built, validated by the stub, filed once."""

from __future__ import annotations

import asyncio
import copy
import io
import sqlite3

import httpx
import pytest

from hub.compliance import PAGE_FIELDS, Week, log_weekly_summary, weekly_summary
from hub.compliance.settings import STATUSES
from hub.config import load_config
from hub.gospabliki import openapi, schema
from hub.log import configure_logging
from hub.report import build_report, push
from hub.sandbox.gospabliki_stub.sample_report import sample_report
from hub.sandbox.gospabliki_stub.stub import GospablikiStub
from hub.store import Store
from tests.compliance_seed import CANARY, local, seed
from tests.compliance_seed import PAGE_FIELDS as SEED_FIELDS

GP_TOKEN = "gp-token-compliance-0001"
FINISHED = local("2026-03-10 09:00")


def summary_of(tmp_path) -> dict:
    config = seed(tmp_path)
    store = Store.open(config.db_path)
    try:
        return weekly_summary(store, config, Week(2026, 10), now=FINISHED, page_fields=SEED_FIELDS)
    finally:
        store.close()


@pytest.fixture
def world(tmp_path, monkeypatch):
    monkeypatch.setenv("HUB_GP_TOKEN", GP_TOKEN)
    for name in ("HUB_TEST_VK", "HUB_TEST_OK", "HUB_TEST_TG"):
        monkeypatch.setenv(name, CANARY)
    seed(tmp_path)
    with GospablikiStub(db_path=tmp_path / "stub.db", tokens=[GP_TOKEN]) as stub:
        path = tmp_path / "hub.toml"
        path.write_text(
            path.read_text(encoding="utf-8") + "\n[gospabliki]\n"
            f'endpoint = "{stub.url}"\ntoken_env = "HUB_GP_TOKEN"\n'
            'municipality = "Заречный сельсовет"\n',
            encoding="utf-8",
        )
        yield load_config(path), stub


def test_the_report_carries_the_last_completed_weeks_summary(world):
    config, _stub = world
    store = Store.open(config.db_path)
    try:
        report = build_report(store, config, "Заречный сельсовет", now=FINISHED)
        expected = weekly_summary(store, config, Week(2026, 10), now=FINISHED)
    finally:
        store.close()
    assert report["compliance"] == expected
    assert report["compliance"]["week"] == "2026-W10"  # Tuesday: the week before is complete
    accounts = {a["account"]: a for a in report["compliance"]["accounts"]}
    assert accounts["adm-vk"]["posts"] == 2 and accounts["adm-ok"]["status"] == "red"
    assert schema.validate_report(report) == []
    assert "two_factor" not in str(report["compliance"])


def test_push_files_the_summary_once_even_when_the_answer_is_lost(world, tmp_path):
    config, stub = world
    stub.set_faults(lost_reply=1)  # stored, then answered 500: the retry gets the same receipt
    store = Store.open(config.db_path)
    try:
        outcome = asyncio.run(push(store, config, first=True))  # the first one: released
    finally:
        store.close()
    stored = stub.store.get_report(outcome.receipt)["report"]
    assert set(stored["compliance"]) == {
        "week",
        "from",
        "to",
        "time_zone",
        "accounts",
        "organizations",
    }
    assert {a["account"] for a in stored["compliance"]["accounts"]} == {"adm-vk", "adm-ok", "dk-tg"}
    assert stub.store.counts()["reports"] == 1
    for path in tmp_path.glob("*.db*"):
        assert b"CANARY" not in path.read_bytes(), path
    conn = sqlite3.connect(config.db_path)
    body = conn.execute("SELECT body_json FROM report_outbox").fetchone()[0]
    assert "compliance" in body and "CANARY" not in body


@pytest.fixture
def api(tmp_path):
    with (
        GospablikiStub(db_path=tmp_path / "gp.db", tokens=[GP_TOKEN]) as stub,
        httpx.Client(
            base_url=stub.url, headers={"Authorization": f"Bearer {GP_TOKEN}"}, timeout=10
        ) as client,
    ):
        yield client


def post(api, report, key):
    return api.post("/reports", json=report, headers={"Idempotency-Key": key})


def test_the_stub_accepts_a_summary_and_lists_every_bad_field(api, tmp_path):
    summary = summary_of(tmp_path)
    assert post(api, sample_report(compliance=summary), "good-summary-1").status_code == 201
    bad = copy.deepcopy(summary)
    bad["week"] = "2026-10"
    bad["to"] = "2026-03-01"
    bad["accounts"][0]["status"] = "purple"
    bad["accounts"][0]["page_missing"] = ["logo"]
    bad["accounts"][0]["two_factor"] = True  # attestations never leave the hub
    bad["accounts"][1]["posts"] = -1
    del bad["organizations"][0]["status"]
    answer = post(api, sample_report(compliance=bad), "bad-summary-1")
    assert answer.status_code == 422
    assert answer.json()["fields"] == [
        {"field": "compliance.week", "message": "must look like 2026-W10"},
        {"field": "compliance.accounts[0].status", "message": "must be one of green, yellow, red"},
        {
            "field": "compliance.accounts[0].page_missing[0]",
            "message": "must be one of " + ", ".join(PAGE_FIELDS),
        },
        {"field": "compliance.accounts[0].two_factor", "message": "is not a known field"},
        {"field": "compliance.accounts[1].posts", "message": "must be an integer ≥ 0"},
        {"field": "compliance.organizations[0].status", "message": "is required"},
        {"field": "compliance.to", "message": "must not be before compliance.from"},
    ]


def test_required_summary_fields_are_required_on_the_wire(api, tmp_path):
    summary = summary_of(tmp_path)
    schemas = openapi.document()["components"]["schemas"]
    cases = [("ComplianceSummary", [], "compliance")]
    cases += [("ComplianceAccount", ["accounts", 0], "compliance.accounts[0]")]
    cases += [("ComplianceOrganization", ["organizations", 0], "compliance.organizations[0]")]
    for name, where, path in cases:
        for field in schemas[name]["required"]:
            body = copy.deepcopy(summary)
            target = body
            for step in where:
                target = target[step]
            del target[field]
            answer = post(api, sample_report(compliance=body), f"missing-{name}-{field}")
            assert answer.status_code == 422, (name, field)
            assert answer.json()["fields"] == [
                {"field": f"{path}.{field}", "message": "is required"}
            ]


def test_the_schema_and_the_report_agree_on_names():
    assert schema.PAGE_FIELDS == PAGE_FIELDS
    assert schema.STATUSES == STATUSES
    assert "compliance" not in schema.REPORT_SCHEMAS["Report"]["required"]


def test_the_daemon_logs_one_summary_line(tmp_path):
    stream = io.StringIO()
    configure_logging(json=True, level="info", stream=stream)
    config = seed(tmp_path)
    store = Store.open(config.db_path)
    try:
        summary = log_weekly_summary(store, config, now=FINISHED, page_fields=SEED_FIELDS)
    finally:
        store.close()
        configure_logging(json=False, level="warning")
    assert summary["week"] == "2026-W10"
    lines = stream.getvalue().strip().splitlines()
    assert len(lines) == 1 and '"event": "weekly compliance"' in lines[0]
    assert '"red": 1' in lines[0] and '"week": "2026-W10"' in lines[0]
    assert "CANARY" not in lines[0]
