"""``scoped_snapshot`` and ``export_data``: an operator's part of the registry, exported as
``hub registry export`` exports it, still checked for secrets."""

from __future__ import annotations

import copy
import json

import pytest

from hub.errors import HubError
from hub.operators import Operator
from hub.registry import export_registry, registry_snapshot
from hub.registry.export import export_data
from hub.registry.snapshot import scoped_snapshot
from hub.store import Store
from tests.compliance_seed import ADM, CANARY, DK, seed


@pytest.fixture
def seeded(tmp_path):
    config = seed(tmp_path)
    store = Store.open(config.db_path)
    yield config, store
    store.close()


def test_scoped_snapshot_keeps_the_organizations_seen(seeded):
    config, store = seeded
    snapshot = registry_snapshot(store, config, sync=False)
    before = copy.deepcopy(snapshot)
    mine = scoped_snapshot(snapshot, Operator("dk", "viewer", (DK,)).sees)
    assert [o["name"] for o in mine["organizations"]] == [DK]
    assert mine["organizations"][0] == next(o for o in snapshot["organizations"] if o["name"] == DK)
    assert mine["totals"] == {
        "organizations": 1,
        "exempt": 0,
        "accounts": 1,
        "gospabliki_connected": 0,
        "verified": 0,
    }
    assert snapshot == before
    assert scoped_snapshot(snapshot, Operator("all", "admin").sees) == snapshot
    # accounts naming no organization sit under "": only an unlimited operator sees them
    orphan = {**snapshot, "organizations": [{**snapshot["organizations"][0], "name": ""}]}
    assert scoped_snapshot(orphan, Operator("dk", "viewer", (DK,)).sees)["organizations"] == []
    assert len(scoped_snapshot(orphan, Operator("all", "admin").sees)["organizations"]) == 1


def test_export_data_is_what_the_command_writes(seeded, tmp_path):
    config, store = seeded
    out = tmp_path / "registry.csv"
    export_registry(store, config, "csv", out)
    data, snapshot = export_data(store, config, "csv")
    assert data == out.read_bytes()
    assert snapshot["totals"]["organizations"] == 4

    data, snapshot = export_data(store, config, "json", sees=Operator("a", "admin", (ADM,)).sees)
    exported = json.loads(data)
    assert [o["name"] for o in exported["organizations"]] == [ADM]
    assert exported["totals"]["accounts"] == 2 and snapshot["totals"]["accounts"] == 2


def test_export_data_still_refuses_a_token(seeded, monkeypatch):
    config, store = seeded
    monkeypatch.setenv("HUB_TEST_VK", CANARY)
    store.db.execute(
        "UPDATE accounts SET description = ? WHERE id = 'adm-vk'", [f"ключ доступа: {CANARY}"]
    )
    with pytest.raises(HubError, match="token"):
        export_data(store, config, "json", sees=Operator("a", "admin", (ADM,)).sees)
    # the organization holding it is not in a ДК operator's export: nothing to refuse
    data, _ = export_data(store, config, "json", sees=Operator("dk", "viewer", (DK,)).sees)
    assert CANARY not in data.decode("utf-8")
