"""A watch page (``watch = true``: the governor's, the region's) is not the municipality's:
the registry export lacks it, no "account created" notice is opened for it, ``hub
compliance`` has no line for it and the Gospabliki report's statistics leave it out."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hub.compliance import Week, compliance_report
from hub.config import load_config
from hub.registry import registry_snapshot, sync_registry
from hub.registry.export import render_csv, render_json
from hub.registry.notices import list_notices
from hub.report import build_report
from hub.store import Store

ADM = "Администрация Клочковского сельсовета"
BASE = f"""
[database]
path = "hub.db"

[[organizations]]
name = "{ADM}"
level = "administration"

[[accounts]]
id = "adm-vk"
network = "vk"
external_id = "1001"
organization = "{ADM}"
token_env = "HUB_TEST_VK"
"""
LATER = f"""
[[accounts]]
id = "new-vk"
network = "vk"
external_id = "1002"
organization = "{ADM}"
token_env = "HUB_TEST_VK"

[[accounts]]
id = "gov-vk"
network = "vk"
external_id = "9009"
organization = "{ADM}"
token_env = "HUB_TEST_VK"
watch = true
"""


def _config(tmp_path, text: str):
    path = tmp_path / "hub.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def _notices(store: Store) -> list[tuple[str, str]]:
    return sorted((n["account_id"], n["kind"]) for n in list_notices(store) if n["account_id"])


def test_a_watch_page_is_not_in_the_registry_nor_judged(tmp_path):
    config = _config(tmp_path, BASE)
    store = Store.open(config.db_path)
    try:
        sync_registry(store, config, today=date(2026, 3, 2))  # the install: adm-vk existed
        config = _config(tmp_path, BASE + LATER)
        assert [a.id for a in config.own_accounts] == ["adm-vk", "new-vk"]
        assert [a.id for a in config.accounts] == ["adm-vk", "new-vk", "gov-vk"]
        for day in (3, 4):  # and not "removed" on the next sync either
            sync_registry(store, config, today=date(2026, 3, day))
        assert _notices(store) == [("new-vk", "account_created")]
        # it has its accounts row (sync and appeals need one), but is never listed
        assert store.db.execute("SELECT 1 FROM accounts WHERE id = 'gov-vk'").fetchone()
        snapshot = registry_snapshot(store, config)
        listed = [a["id"] for o in snapshot["organizations"] for a in o["accounts"]]
        assert listed == ["adm-vk", "new-vk"] and snapshot["totals"]["accounts"] == 2
        assert b"gov-vk" not in render_json(snapshot) and b"9009" not in render_json(snapshot)
        assert b"9009" not in render_csv(snapshot)
        result = compliance_report(
            store, config, Week(2026, 10), now=datetime(2026, 3, 10, tzinfo=UTC)
        )
        assert [a["account"] for a in result["accounts"]] == ["adm-vk", "new-vk"]
        assert by_name(result)[ADM]["accounts"] == ["adm-vk", "new-vk"]
        report = build_report(store, config, "Клочки", now=datetime(2026, 3, 10, tzinfo=UTC))
        assert [s["account"] for s in report["statistics"]] == ["adm-vk", "new-vk"]
        assert "gov-vk" not in str(report)
    finally:
        store.close()


def test_a_listed_page_declared_watch_leaves_the_registry_as_a_removed_one(tmp_path):
    config = _config(tmp_path, BASE + LATER.replace("watch = true", ""))
    store = Store.open(config.db_path)
    try:
        sync_registry(store, config, today=date(2026, 3, 2))
        config = _config(tmp_path, BASE + LATER)
        sync_registry(store, config, today=date(2026, 3, 3))
        sync_registry(store, config, today=date(2026, 3, 4))
        assert _notices(store) == [("gov-vk", "account_deleted")]
        snapshot = registry_snapshot(store, config)
        assert "gov-vk" not in [a["id"] for o in snapshot["organizations"] for a in o["accounts"]]
    finally:
        store.close()


def by_name(result: dict) -> dict[str, dict]:
    return {o["organization"]: o for o in result["organizations"]}
