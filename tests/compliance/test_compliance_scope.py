"""``scoped_report``: one operator's part of the report, figures untouched, totals recounted."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

from hub.compliance import Week, compliance_report
from hub.compliance.build import NO_ORGANIZATION
from hub.compliance.scope import scoped_report
from hub.operators import Operator
from hub.store import Store
from tests.compliance_seed import ADM, DK, PAGE_FIELDS, seed


def report_of(tmp_path) -> dict:
    config = seed(tmp_path)
    store = Store.open(config.db_path)
    try:
        return compliance_report(
            store,
            config,
            Week(2026, 10),
            now=datetime(2026, 3, 20, tzinfo=UTC),
            page_fields=PAGE_FIELDS,
        )
    finally:
        store.close()


def test_only_the_organizations_seen_with_the_same_figures(tmp_path):
    report = report_of(tmp_path)
    before = copy.deepcopy(report)
    mine = scoped_report(report, Operator("dk", "viewer", (DK,)).sees)
    assert [a["account"] for a in mine["accounts"]] == ["dk-tg"]
    assert [o["organization"] for o in mine["organizations"]] == [DK]
    full = {a["account"]: a for a in report["accounts"]}
    assert mine["accounts"][0] == full["dk-tg"]
    status = full["dk-tg"]["status"]
    assert mine["totals"]["accounts"] == {s: int(s == status) for s in ("green", "yellow", "red")}
    assert sum(mine["totals"]["organizations"].values()) == 1
    assert (mine["week"], mine["state"], mine["targets"]) == (
        report["week"],
        report["state"],
        report["targets"],
    )
    assert report == before  # a copy: the full report is left alone

    two = scoped_report(report, Operator("both", "admin", (ADM, DK)).sees)
    assert {a["account"] for a in two["accounts"]} == {"adm-vk", "adm-ok", "dk-tg"}
    assert {o["organization"] for o in two["organizations"]} == {ADM, DK}
    assert scoped_report(report, Operator("all", "admin").sees) == report


def test_lines_without_an_organization_are_for_unlimited_operators_only():
    line = {"organization": NO_ORGANIZATION, "status": "red"}
    report = {"accounts": [dict(line, account="x")], "organizations": [line], "totals": {}}
    everyone = scoped_report(report, Operator("all", "viewer").sees)
    assert len(everyone["accounts"]) == 1 and everyone["totals"]["accounts"]["red"] == 1
    limited = scoped_report(report, Operator("one", "viewer", ("Школа",)).sees)
    assert limited["accounts"] == [] and limited["organizations"] == []
    assert limited["totals"]["organizations"] == {"green": 0, "yellow": 0, "red": 0}
