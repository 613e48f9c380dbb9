"""The registry: its tables and events, the config sync, and the CLI that edits it."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from hub import migrations
from hub.cli import cli, main
from hub.config import load_config
from hub.errors import ConfigError, NotFoundError
from hub.registry import sync_registry
from hub.registry.events import list_events, record_event
from hub.registry.model import (
    attest,
    attestation_summary,
    current_responsible,
    get_org,
    responsible_history,
)
from hub.store import Store

ADMIN = "Администрация Клочковского сельсовета"
CLUB = "МКУК «Клочковский дом культуры»"
BOOKS = "Централизованная бухгалтерия"

ACCOUNTS = """
[[accounts]]
id = "adm-vk"
network = "vk"
external_id = "210000000"
organization = "Администрация Клочковского сельсовета"
token_env = "HUB_VK_TOKEN_ADM"

[[accounts]]
id = "club-ok"
network = "ok"
external_id = "70000001234567"
organization = "МКУК «Клочковский дом культуры»"
token_env = "HUB_OK_TOKEN_CLUB"
"""

# the child comes before its parent on purpose: the sync writes parents first
ORGS = """
[[organizations]]
name = "МКУК «Клочковский дом культуры»"
level = "subordinate"
kind = "дом культуры"
parent = "Администрация Клочковского сельсовета"
address = "658535, Алтайский край, с. Клочки, ул. Школьная, 3"
phones = ["+7 (38582) 2-22-10"]
lat = 53.12
lon = 81.65

[[organizations]]
name = "Администрация Клочковского сельсовета"
level = "administration"
address = "658535, Алтайский край, Ребрихинский район, с. Клочки, ул. Центральная, 12"
email = "klochki@example.ru"
phones = ["+7 (38582) 2-21-33"]
website = "https://klochki.example.ru"
working_hours = "пн–пт 8:00–16:00"
responsible = { name = "Иванова Мария Петровна", position = "заместитель главы", since = 2026-01-15 }

[[organizations]]
name = "Централизованная бухгалтерия"
level = "subordinate"
parent = "Администрация Клочковского сельсовета"
exempt = true
exempt_reason = "по согласованию (приложение к порядку)"
"""  # noqa: E501


def write_registry_config(
    folder: Path, *, orgs: str = ORGS, accounts: str = ACCOUNTS, extra: str = ""
) -> Path:
    path = folder / "hub.toml"
    path.write_text(f'[database]\npath = "hub.db"\n{extra}\n{accounts}\n{orgs}', encoding="utf-8")
    return path


def synced(path: Path, today: date | None = None) -> Store:
    config = load_config(path)
    store = Store.open(config.db_path)
    sync_registry(store, config, today=today)
    return store


def hub_cli(capsys, *args: str) -> tuple[int, str, str]:
    """Run the real ``hub`` entry point in-process: (exit code, stdout, stderr)."""
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def one_line_error(err: str, *needles: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hub: error: "), err
    for needle in needles:
        assert needle in lines[0], lines[0]


# -- the model ---------------------------------------------------------------
def test_migration_on_blank_and_on_upgrade(tmp_path, monkeypatch):
    blank = Store.open(tmp_path / "blank.db")
    assert {
        "organizations",
        "responsible_persons",
        "account_flags",
        "account_attestations",
        "registry_events",
        "notices",
    } <= set(blank.db.table_names())
    blank.close()
    names = [fn.__name__ for fn in migrations.MIGRATIONS]
    before = migrations.MIGRATIONS[: names.index("m005_registry")]
    monkeypatch.setattr(migrations, "MIGRATIONS", before)
    old = Store.open(tmp_path / "old.db")
    old.sync_accounts_from_config(load_config(write_registry_config(tmp_path)).accounts)
    assert "organizations" not in old.db.table_names()
    old.close()
    monkeypatch.undo()
    upgraded = Store.open(tmp_path / "old.db")
    assert "m005_registry" in {r["name"] for r in upgraded.db["_hub_migrations"].rows}
    assert upgraded.db.execute("SELECT COUNT(*) FROM accounts").fetchone()[0] == 2


def test_events_are_append_only(tmp_path):
    store = Store.open(tmp_path / "hub.db")
    record_event(store, actor="t", entity="organization", key="x", action="created", new={"a": 1})
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.db.execute("UPDATE registry_events SET actor = 'someone else'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.db.execute("DELETE FROM registry_events")
    assert list_events(store)[0]["new"] == {"a": 1}


def test_config_sync_creates_organizations_once(tmp_path):
    store = synced(write_registry_config(tmp_path))
    admin, club, books = (get_org(store, n) for n in (ADMIN, CLUB, BOOKS))
    assert admin["level"] == "administration" and admin["phones"] == ["+7 (38582) 2-21-33"]
    assert club["parent"] == ADMIN and club["lat"] == 53.12 and club["kind"] == "дом культуры"
    assert books["exempt"] is True and books["exempt_reason"].startswith("по согласованию")
    created = [e for e in list_events(store, "organization") if e["action"] == "created"]
    assert {e["entity_key"] for e in created} == {ADMIN, CLUB, BOOKS}
    assert all(e["actor"] == "config" for e in created)
    count = len(list_events(store))
    sync_registry(store, load_config(tmp_path / "hub.toml"))
    assert len(list_events(store)) == count  # nothing changed, nothing recorded


def test_changed_contact_is_an_event_and_cli_fields_survive(tmp_path, capsys):
    path = write_registry_config(tmp_path)
    synced(path).close()
    code, _, err = hub_cli(
        capsys,
        "--config",
        str(path),
        "orgs",
        "set",
        ADMIN,
        "--kind",
        "администрация сельсовета",
        "--by",
        "operator",
    )
    assert code == 0, err
    path.write_text(path.read_text().replace("klochki@example.ru", "adm@klochki.example.ru"))
    store = synced(path)
    admin = get_org(store, ADMIN)
    assert admin["email"] == "adm@klochki.example.ru"
    assert admin["kind"] == "администрация сельсовета"  # set from the CLI, not wiped by config
    changed = [e for e in list_events(store, "organization", ADMIN) if e["action"] == "changed"]
    assert changed[0]["actor"] == "operator" and changed[0]["new"] == {
        "kind": "администрация сельсовета"
    }
    assert changed[1]["actor"] == "config"
    assert changed[1]["old"] == {"email": "klochki@example.ru"}
    assert changed[1]["new"] == {"email": "adm@klochki.example.ru"}


def test_new_responsible_closes_history_and_opens_notice(tmp_path):
    path = write_registry_config(tmp_path)
    store = synced(path)
    assert current_responsible(store, ADMIN)["name"] == "Иванова Мария Петровна"
    assert (
        store.db.execute(
            "SELECT COUNT(*) FROM notices WHERE kind = 'responsible_changed'"
        ).fetchone()[0]
        == 0
    )
    path.write_text(
        path.read_text().replace(
            'responsible = { name = "Иванова Мария Петровна", position = "заместитель главы", '
            "since = 2026-01-15 }",
            'responsible = { name = "Петров Пётр Ильич", position = "специалист", '
            'since = 2026-03-02, phone = "+7 913 000-11-22" }',
        )
    )
    store = synced(path)
    history = responsible_history(store, ADMIN)
    assert [(h["name"], h["since"], h["until"]) for h in history] == [
        ("Иванова Мария Петровна", "2026-01-15", "2026-03-02"),
        ("Петров Пётр Ильич", "2026-03-02", None),
    ]
    assert history[1]["has_phone"] is True and "phone" not in history[1]
    notice = store.db.execute(
        "SELECT kind, organization, occurred_at, due_date, status, details_json FROM notices "
        "WHERE kind = 'responsible_changed'"
    ).fetchall()
    assert len(notice) == 1
    kind, org, occurred, due, status, details = notice[0]
    assert (org, occurred, due, status) == (ADMIN, "2026-03-02", "2026-03-12", "pending")
    assert json.loads(details) == {
        "from": {"name": "Иванова Мария Петровна", "position": "заместитель главы"},
        "to": {"name": "Петров Пётр Ильич", "position": "специалист"},
    }
    replaced = list_events(store, "responsible", ADMIN)[-1]
    assert replaced["action"] == "replaced" and "phone" not in json.dumps(replaced)
    synced(path)  # the same config again: no second notice
    # the same person, a new position and a corrected start: recorded, nothing to report
    path.write_text(
        path.read_text().replace(
            'position = "специалист", since = 2026-03-02',
            'position = "главный специалист", since = 2026-03-03',
        )
    )
    store = synced(path)
    assert [(h["position"], h["since"], h["until"]) for h in responsible_history(store, ADMIN)] == [
        ("заместитель главы", "2026-01-15", "2026-03-03"),
        ("главный специалист", "2026-03-03", None),
    ]
    assert list_events(store, "responsible", ADMIN)[-1]["action"] == "changed"
    assert (
        store.db.execute(
            "SELECT COUNT(*) FROM notices WHERE kind = 'responsible_changed'"
        ).fetchone()[0]
        == 1
    )


@pytest.mark.parametrize(
    ("orgs", "needles"),
    [
        ('[[organizations]]\nname = "A"\nlevel = "ministry"', ["level", "administration"]),
        ('[[organizations]]\nname = "A"', ["'level'"]),
        ('[[organizations]]\nname = "A"\nlevel = "department"\nfax = "1"', ["'fax'"]),
        ('[[organizations]]\nname = "A"\nlevel = "subordinate"\nexempt = true', ["exempt_reason"]),
        ('[[organizations]]\nname = "A"\nlevel = "department"\nparent = "Nowhere"', ["'Nowhere'"]),
        ('[[organizations]]\nname = "A"\nlevel = "department"\nemail = "no-at"', ["email"]),
        ('[[organizations]]\nname = "A"\nlevel = "department"\nlat = 95.0\nlon = 1', ["lat"]),
        ('[[organizations]]\nname = "A"\nlevel = "department"\nwebsite = "x.ru"', ["website"]),
        ('[[organizations]]\nname = "A"\nlevel = "department"\nphones = ["call me"]', ["phones"]),
        (
            '[[organizations]]\nname = "A"\nlevel = "department"\nparent = "B"\n'
            '[[organizations]]\nname = "B"\nlevel = "department"\nparent = "A"',
            ["loop"],
        ),
        (
            '[[organizations]]\nname = "A"\nlevel = "department"\nresponsible = { name = "X" }',
            ["responsible", "'position'"],
        ),
        ("[notices]\ndue_days = 0", ["due_days"]),
        ('[notices]\nworking_days = "yes"', ["working_days"]),
        ('[notices]\nholidays = ["2026-13-01"]', ["holidays"]),
        ("[notices]\nregion = 5", ["region"]),
        ('[notices]\nlanguage = "ru"', ["'language'"]),
    ],
)
def test_config_errors_are_one_line_naming_the_key(tmp_path, capsys, orgs, needles):
    # no accounts: theirs would name organizations these tables do not declare
    path = write_registry_config(tmp_path, orgs=orgs, accounts="")
    with pytest.raises(ConfigError) as caught:
        synced(path)
    assert "\n" not in str(caught.value)
    for needle in needles:
        assert needle in str(caught.value)
    code, out, err = hub_cli(capsys, "--config", str(path), "orgs", "list")
    assert code == 2 and not out
    one_line_error(err, *needles)
    # nothing half-written: the failing config created no organization
    store = Store.open(tmp_path / "hub.db")
    assert store.db.execute("SELECT COUNT(*) FROM organizations").fetchone()[0] == 0


# -- the CLI -----------------------------------------------------------------
def test_orgs_cli_add_set_list(tmp_path, capsys):
    cfg = str(write_registry_config(tmp_path))
    code, out, err = hub_cli(
        capsys,
        "--config",
        cfg,
        "orgs",
        "add",
        "МБОУ «Клочковская СОШ»",
        "--level",
        "subordinate",
        "--kind",
        "школа",
        "--parent",
        ADMIN,
        "--phone",
        "+7 (38582) 2-23-45",
        "--phone",
        "8 (38582) 2-23-46",
        "--email",
        "school@example.ru",
        "--by",
        "operator",
    )
    assert code == 0 and "added" in out, err
    code, out, err = hub_cli(
        capsys,
        "--config",
        cfg,
        "orgs",
        "set",
        "МБОУ «Клочковская СОШ»",
        "--working-hours",
        "пн–сб 8:00–17:00",
        "--email",
        "",
        "--by",
        "operator",
    )
    assert code == 0 and "changed" in out and "email" in out, err
    code, out, _ = hub_cli(capsys, "--config", cfg, "orgs", "list", "--json")
    rows = {r["name"]: r for r in json.loads(out)}
    school = rows["МБОУ «Клочковская СОШ»"]
    assert school["phones"] == ["+7 (38582) 2-23-45", "8 (38582) 2-23-46"]
    assert school["email"] is None and school["working_hours"] == "пн–сб 8:00–17:00"
    assert rows[ADMIN]["responsible"]["name"] == "Иванова Мария Петровна"
    assert rows[ADMIN]["accounts"] == 1 and rows[BOOKS]["accounts"] == 0
    code, out, _ = hub_cli(capsys, "--config", cfg, "orgs", "list")
    assert "Централизованная бухгалтерия [subordinate] — no responsible person" in out


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["orgs", "add", ADMIN, "--level", "administration"], ["already"]),
        (["orgs", "add", "X", "--level", "department", "--parent", "Nobody"], ["'Nobody'"]),
        (["orgs", "set", "Nobody", "--kind", "x"], ["no organization 'Nobody'"]),
        (["orgs", "set", ADMIN, "--email", "a@b.ru"], ["email", "config"]),
        (["orgs", "add", "X", "--level", "department", "--parent", "X"], ["own parent"]),
        (["orgs", "set", ADMIN, "--parent", CLUB], ["loop"]),
        (["orgs", "set", BOOKS, "--lat", "53.1"], ["lat and lon"]),
        (["orgs", "set", BOOKS], ["nothing to change"]),
        (["responsible", "set", ADMIN, "--name", "X", "--position", "Y"], ["config"]),
        (["responsible", "set", "Nobody", "--name", "X", "--position", "Y"], ["Nobody"]),
        (
            ["responsible", "set", CLUB, "--name", "X", "--position", "Y", "--since", "31.02.2026"],
            ["--since"],
        ),
        (["responsible", "history", "Nobody", "--json"], ["Nobody"]),
        (["accounts", "attest", "ghost-vk", "--2fa"], ["ghost-vk", "adm-vk"]),
        (["accounts", "attest", "adm-vk", "--logins-keeper", " "], ["--logins-keeper"]),
        (["notices", "mark-sent", "99", "--receipt", "x"], ["#99"]),
    ],
)
def test_bad_cli_input_is_one_line(tmp_path, capsys, args, needles):
    cfg = str(write_registry_config(tmp_path))
    by = [] if args[1] == "history" else ["--by", "operator"]
    code, out, err = hub_cli(capsys, "--config", cfg, *args, *by)
    assert code == 2, (out, err)
    one_line_error(err, *needles)


def test_responsible_cli_history_and_notice(tmp_path, capsys):
    cfg = str(write_registry_config(tmp_path))
    base = ["--config", cfg, "responsible"]
    code, out, err = hub_cli(
        capsys,
        *base,
        "set",
        CLUB,
        "--name",
        "Сидорова Анна",
        "--position",
        "методист",
        "--since",
        "2026-02-01",
        "--by",
        "op",
    )
    assert code == 0 and "Сидорова Анна is responsible" in out, err
    code, out, err = hub_cli(
        capsys,
        *base,
        "set",
        CLUB,
        "--name",
        "Кузнецов Олег",
        "--position",
        "директор",
        "--since",
        "2026-04-01",
        "--phone",
        "+7 913 555-44-33",
        "--by",
        "op",
    )
    assert code == 0 and "notice" in out, err
    code, out, _ = hub_cli(capsys, *base, "history", CLUB)
    assert out.splitlines() == [
        "2026-02-01 – 2026-04-01: Сидорова Анна, методист",
        "2026-04-01 – now: Кузнецов Олег, директор",
    ]
    code, out, _ = hub_cli(capsys, *base, "history", CLUB, "--json")
    assert "555" not in out and json.loads(out)[1]["has_phone"] is True
    code, out, _ = hub_cli(capsys, "--config", cfg, "notices", "--json")
    changed = [n for n in json.loads(out) if n["kind"] == "responsible_changed"]
    assert len(changed) == 1 and changed[0]["due_date"] == "2026-04-11"
    assert changed[0]["details"]["to"] == {"name": "Кузнецов Олег", "position": "директор"}


def test_attestations_are_stored_but_never_shown(tmp_path, capsys):
    cfg = str(write_registry_config(tmp_path))
    code, out, err = hub_cli(
        capsys,
        "--config",
        cfg,
        "accounts",
        "attest",
        "adm-vk",
        "--2fa",
        "--logins-keeper",
        "Хранитель Логинов",
        "--service-phone",
        "--service-phone-number",
        "+7 999 123-45-67",
        "--gospabliki",
        "--no-verified",
        "--by",
        "operator",
    )
    assert code == 0, err
    assert "Хранитель" not in out and "123-45-67" not in out
    store = Store.open(tmp_path / "hub.db")
    row = store.db.execute(
        "SELECT two_factor, logins_keeper, service_phone, service_phone_number, attested_by "
        "FROM account_attestations WHERE account_id = 'adm-vk'"
    ).fetchone()
    assert row == (1, "Хранитель Логинов", 1, "+7 999 123-45-67", "operator")
    assert store.db.execute(
        "SELECT gospabliki, verified_mark FROM account_flags WHERE account_id = 'adm-vk'"
    ).fetchone() == (1, 0)
    events = json.dumps(list_events(store))
    assert "Хранитель" not in events and "123-45-67" not in events  # masked in the log
    assert attestation_summary(store, "adm-vk") == {
        "account": "adm-vk",
        "gospabliki": True,
        "verified_mark": False,
        "two_factor": True,
        "service_phone": True,
        "logins_keeper_recorded": True,
        "service_phone_number_recorded": True,
        "attested_by": "operator",
        "attested_at": store.db.execute("SELECT attested_at FROM account_attestations").fetchone()[
            0
        ],
    }
    # a later attestation changes only what it names
    assert attest(store, "adm-vk", {"two_factor": False}, actor="op2") == ["two_factor"]
    assert attest(store, "adm-vk", {"two_factor": False}, actor="op2") == []
    code, out, _ = hub_cli(capsys, "--config", cfg, "accounts", "attest", "adm-vk", "--json")
    shown = json.loads(out)
    assert shown["two_factor"] is False and shown["logins_keeper_recorded"] is True
    assert "Хранитель" not in out
    with pytest.raises(NotFoundError):
        attest(store, "nobody", {"two_factor": True}, actor="x")


def test_registry_events_cli(tmp_path, capsys):
    cfg = str(write_registry_config(tmp_path))
    code, out, _ = hub_cli(capsys, "--config", cfg, "registry", "events", "--json")
    assert code == 0
    events = json.loads(out)
    assert {(e["entity"], e["action"]) for e in events} >= {
        ("organization", "created"),
        ("responsible", "appointed"),
        ("account", "adopted"),  # pages of a new install existed before it: no notice
    }
    code, out, _ = hub_cli(capsys, "--config", cfg, "registry", "events", "--limit", "2")
    assert code == 0 and len(out.strip().splitlines()) == 2


def test_registry_commands_are_wired():
    assert {"attest", "adopt"} <= set(cli.commands["accounts"].commands)
    assert {"orgs", "responsible", "registry", "notices"} <= set(cli.commands)
