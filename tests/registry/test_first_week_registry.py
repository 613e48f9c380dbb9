"""Issue 13, points 1 and 7: a municipality's first week with the registry.

Pages that existed for years must not be reported as created today, nothing goes
to Gospabliki before a person has seen it, and a typo in an account's
``organization`` is refused instead of publishing a phantom organization.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import date, timedelta

import pytest

from hub.config import load_config, parse_config
from hub.errors import ConfigError
from hub.registry import list_notices, mark_notices_sent, pending_notices
from hub.registry.events import list_events
from hub.sandbox.gospabliki_stub.stub import GospablikiStub
from hub.store import Store
from tests.gospabliki.test_report_push import GP_TOKEN, ORGS
from tests.helpers import TOKEN, TOKEN_ENV, sync, write_config
from tests.registry.test_registry import (
    ADMIN,
    hub_cli,
    one_line_error,
    synced,
    write_registry_config,
)

D = date.fromisoformat
NEW_PAGE = (
    '\n[[accounts]]\nid = "adm-tg"\nnetwork = "telegram"\nexternal_id = "@klochki"\n'
    f'organization = "{ADMIN}"\ntoken_env = "HUB_TG_TOKEN"\n{{extra}}'
)


def _add_page(path, extra: str = "") -> None:
    path.write_text(path.read_text(encoding="utf-8") + NEW_PAGE.format(extra=extra), "utf-8")


def _notices(store) -> list[tuple[str, str]]:
    return [tuple(r) for r in store.db.execute("SELECT kind, account_id FROM notices ORDER BY id")]


def _actions(store, account_id: str) -> list[str]:
    return [e["action"] for e in list_events(store, "account", account_id)]


# -- 1. existing pages are not reported as created ----------------------------
def test_pages_of_a_new_install_are_recorded_as_existing_not_created(tmp_path):
    """The issue: four pages that existed for years opened four 'account created' notices."""
    store = synced(write_registry_config(tmp_path), today=D("2026-03-02"))
    assert _notices(store) == []
    assert _actions(store, "adm-vk") == ["adopted"] and _actions(store, "club-ok") == ["adopted"]
    event = list_events(store, "account", "adm-vk")[0]
    assert event["new"]["existing"] == "listed when the hub was installed"
    # listed in the registry all the same
    listed = store.db.execute("SELECT COUNT(*) FROM account_flags WHERE removed_at IS NULL")
    assert listed.fetchone()[0] == 2


def test_a_page_added_later_opens_its_notice_unless_it_existed(tmp_path):
    path = write_registry_config(tmp_path)
    store = synced(path, today=D("2026-03-02"))
    _add_page(path, "existing_since = 2021-03-01\n")
    synced(path, today=D("2026-03-05"))
    assert _notices(store) == []
    event = list_events(store, "account", "adm-tg")[-1]
    assert event["action"] == "adopted" and event["new"]["existing_since"] == "2021-03-01"
    # a really new page, added after the install, is owed to the regional centre
    path.write_text(
        path.read_text(encoding="utf-8")
        .replace("@klochki", "@klochki_new")
        .replace("existing_since = 2021-03-01\n", "")
        .replace('id = "adm-tg"', 'id = "adm-tg2"'),
        encoding="utf-8",
    )
    synced(path, today=D("2026-03-05"))
    assert ("account_created", "adm-tg2") in _notices(store)


def test_a_page_of_the_first_config_declared_created_opens_its_notice_from_that_day(tmp_path):
    accounts = write_registry_config(tmp_path).read_text(encoding="utf-8")
    path = tmp_path / "hub.toml"
    path.write_text(
        accounts.replace('token_env = "HUB_OK_TOKEN_CLUB"', 'token_env = "HUB_OK_TOKEN_CLUB"\n'
                         "created = 2026-02-25"),
        encoding="utf-8",
    )  # fmt: skip
    store = synced(path, today=D("2026-03-02"))
    assert _notices(store) == [("account_created", "club-ok")]
    notice = pending_notices(store, today=D("2026-03-02"))[0]
    assert notice["occurred_at"] == "2026-02-25" and notice["due_date"] == "2026-03-07"
    assert _actions(store, "adm-vk") == ["adopted"] and _actions(store, "club-ok") == ["listed"]


@pytest.mark.parametrize(
    ("line", "needles"),
    [
        (f"existing_since = {date.today() + timedelta(days=3)}", ["existing_since", "future"]),
        ('existing_since = "вчера"', ["existing_since", "2021-03-01"]),
        ("existing_since = 2021", ["existing_since", "date"]),
        (f'created = "{date.today() + timedelta(days=1)}"', ["created", "future"]),
        ("existing_since = 2021-03-01\ncreated = 2026-02-25", ["existing_since", "created"]),
    ],
)
def test_bad_dates_of_an_account_are_one_line(tmp_path, capsys, line, needles):
    path = write_registry_config(tmp_path)
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            'token_env = "HUB_VK_TOKEN_ADM"', f'token_env = "HUB_VK_TOKEN_ADM"\n{line}'
        ),
        encoding="utf-8",
    )
    code, _out, err = hub_cli(capsys, "--config", str(path), "notices")
    assert code == 2
    one_line_error(err, "account 'adm-vk'", *needles)


def test_a_date_as_text_is_accepted(tmp_path):
    path = write_registry_config(tmp_path)
    _add_page(path, 'existing_since = "2021-03-01"\n')
    assert load_config(path).account("adm-tg").existing_since == D("2021-03-01")


def test_adopt_withdraws_a_pending_created_notice_and_records_it(tmp_path, capsys):
    path = write_registry_config(tmp_path)
    store = synced(path, today=D("2026-03-02"))
    _add_page(path)
    synced(path, today=D("2026-03-03"))
    assert _notices(store) == [("account_created", "adm-tg")]
    notice_id = store.db.execute("SELECT id FROM notices").fetchone()[0]
    cfg = str(path)
    code, out, err = hub_cli(
        capsys, "--config", cfg, "accounts", "adopt", "adm-tg", "--since", "2019-05-01",
        "--by", "Иванова М. П.",
    )  # fmt: skip
    assert code == 0, err
    assert "adm-tg" in out and f"#{notice_id}" in out and "withdrawn" in out
    assert pending_notices(store) == [] and list_notices(store) == []
    withdrawn = [e for e in list_events(store, "notice") if e["action"] == "withdrawn"]
    assert len(withdrawn) == 1 and withdrawn[0]["actor"] == "Иванова М. П."
    assert withdrawn[0]["entity_key"] == str(notice_id)
    assert withdrawn[0]["old"]["kind"] == "account_created"  # what it said is kept
    assert withdrawn[0]["old"]["account"] == "adm-tg"
    adopted = list_events(store, "account", "adm-tg")[-1]
    assert adopted["action"] == "adopted" and adopted["new"]["existing_since"] == "2019-05-01"
    synced(path)  # the config still has no existing_since: nothing is opened again
    assert _notices(store) == []
    code, out, _ = hub_cli(capsys, "--config", cfg, "accounts", "adopt", "adm-tg")
    assert code == 0 and "already" in out


def test_adopt_refuses_what_it_cannot_withdraw(tmp_path, capsys):
    path = write_registry_config(tmp_path)
    store = synced(path, today=D("2026-03-02"))
    _add_page(path)
    synced(path)
    cfg = str(path)
    code, _, err = hub_cli(capsys, "--config", cfg, "accounts", "adopt", "nope")
    assert code == 2
    one_line_error(err, "'nope'")
    code, _, err = hub_cli(
        capsys, "--config", cfg, "accounts", "adopt", "adm-tg", "--since", "2999-01-01"
    )
    assert code == 2
    one_line_error(err, "--since", "future")
    # a report carrying the notice is on its way to Gospabliki: it may have arrived
    notice_id = store.db.execute("SELECT id FROM notices").fetchone()[0]
    body = {"notices": [{"id": f"{notice_id}-abcdef012345", "kind": "account_created"}]}
    with store.transaction():
        store.db.execute(
            "INSERT INTO report_outbox (idempotency_key, body_json, created_at, status, attempts) "
            "VALUES ('k1', ?, '2026-03-03T00:00:00Z', 'pending', 1)",
            [json.dumps(body)],
        )
    code, _, err = hub_cli(capsys, "--config", cfg, "accounts", "adopt", "adm-tg")
    assert code == 1
    one_line_error(err, "adm-tg", "on its way", "hub report push")
    assert len(pending_notices(store)) == 1
    with store.transaction():
        store.db.execute("UPDATE report_outbox SET status = 'rejected'")
    mark_notices_sent(store, [notice_id], "ЦУР-5")
    code, _, err = hub_cli(capsys, "--config", cfg, "accounts", "adopt", "adm-tg")
    assert code == 1
    one_line_error(err, "adm-tg", "already sent", "ЦУР-5")
    assert [n["status"] for n in list_notices(store)] == ["sent"]


def test_existing_since_added_to_the_config_later_withdraws_the_notice(tmp_path):
    path = write_registry_config(tmp_path)
    store = synced(path, today=D("2026-03-02"))
    _add_page(path)
    synced(path)
    assert len(pending_notices(store)) == 1
    path.write_text(
        path.read_text(encoding="utf-8") + "existing_since = 2021-03-01\n", encoding="utf-8"
    )
    synced(path)
    assert pending_notices(store) == []
    assert [e["action"] for e in list_events(store, "notice")] == ["opened", "withdrawn"]
    assert _actions(store, "adm-tg") == ["listed", "adopted"]
    # taken out of the config by mistake and put back: it existed all along, no "created"
    with_page = path.read_text(encoding="utf-8")
    path.write_text(with_page.split('\n[[accounts]]\nid = "adm-tg"')[0], encoding="utf-8")
    synced(path)
    path.write_text(with_page, encoding="utf-8")
    synced(path)
    synced(path)
    assert _notices(store) == [("account_deleted", "adm-tg")]
    assert _actions(store, "adm-tg") == ["listed", "adopted", "removed", "adopted"]


# -- 7. a typo in organization ------------------------------------------------
def test_a_typo_in_an_accounts_organization_is_refused_with_the_closest_name(tmp_path, capsys):
    """The issue: a phantom organization in the registry, the real one «no pages»."""
    path = write_registry_config(tmp_path)
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            'organization = "Администрация Клочковского сельсовета"',
            'organization = "Администрация Клочковского сельсовта"',
        ),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == (
        f"account 'adm-vk' in {path}: organization 'Администрация Клочковского сельсовта' is "
        "not declared in [[organizations]]; did you mean 'Администрация Клочковского "
        "сельсовета'?"
    )
    code, _, err = hub_cli(capsys, "--config", str(path), "registry", "export",
                           "--format", "json", "--out", "-")  # fmt: skip
    assert code == 2
    one_line_error(err, "did you mean 'Администрация Клочковского сельсовета'")


def test_an_organization_far_from_every_name_lists_the_declared_ones():
    data = {
        "organizations": [{"name": "Администрация", "level": "administration"}],
        "accounts": [
            {"id": "a", "network": "vk", "external_id": "1", "token_env": "T",
             "organization": "Совсем другое"},
        ],
    }  # fmt: skip
    with pytest.raises(ConfigError, match=r"declared: 'Администрация'"):
        parse_config(data)
    data["organizations"] = []  # none declared: any name (and none) is accepted
    assert parse_config(data).accounts[0].organization == "Совсем другое"
    data["organizations"] = [{"name": "Совсем другое", "level": "administration"}]
    data["accounts"].append(
        {"id": "b", "network": "vk", "external_id": "2", "token_env": "T"}
    )  # no organization at all stays allowed (reported as «Организация не указана»)
    assert len(parse_config(data).accounts) == 2


def test_the_starter_configs_example_accounts_load_with_their_dates():
    import tomllib

    from hub.init import STARTER

    head, accounts = STARTER.split("# [[accounts]]", 1)
    lines = ("# [[accounts]]" + accounts).splitlines()
    text = head + "\n".join(line.removeprefix("# ") for line in lines)
    config = parse_config(tomllib.loads(text))
    assert [a.existing_since for a in config.accounts] == [D("2021-03-01"), None]
    assert config.accounts[1].created == D("2025-11-20")


# -- the first report waits for a person --------------------------------------
@pytest.fixture
def gp(tmp_path, monkeypatch):
    from hub_vk.emulator import VkEmulator

    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    monkeypatch.setenv("HUB_GP_TOKEN", GP_TOKEN)
    monkeypatch.setenv("HUB_LOAD_PLUGINS", "vk")
    with (
        VkEmulator(seed=12, communities=2, posts=2, comments=1, rate_limit=0, tokens=[TOKEN]) as vk,
        GospablikiStub(db_path=tmp_path / "stub.db", tokens=[GP_TOKEN]) as stub,
    ):
        path = write_config(tmp_path, vk)
        path.write_text(
            path.read_text() + ORGS + "\n[gospabliki]\n"
            f'endpoint = "{stub.base_url}/api/v1"\ntoken_env = "HUB_GP_TOKEN"\n'
            'municipality = "Клочковский сельсовет"\n',
            encoding="utf-8",
        )
        sync(path)
        yield path


def _reports(tmp_path) -> int:
    return (
        sqlite3.connect(tmp_path / "stub.db").execute("SELECT COUNT(*) FROM reports").fetchone()[0]
    )


def _new_vk_page(path) -> None:
    path.write_text(
        path.read_text(encoding="utf-8") + '\n[[accounts]]\nid = "acc-new"\nnetwork = "vk"\n'
        f'external_id = "999"\norganization = "Организация 1"\ntoken_env = "{TOKEN_ENV}"\n',
        encoding="utf-8",
    )


def test_the_first_push_waits_until_a_person_has_seen_it(gp, tmp_path, capsys):
    cfg = str(gp)
    code, _, err = hub_cli(capsys, "--config", cfg, "report", "push")
    assert code == 2
    one_line_error(err, "first report", "hub report push --dry-run", "--first")
    assert _reports(tmp_path) == 0
    _new_vk_page(gp)  # a page created this week: its notice is in the first report
    code, out, err = hub_cli(capsys, "--config", cfg, "report", "push", "--dry-run")
    assert code == 0, err
    assert _reports(tmp_path) == 0  # nothing sent
    assert "nothing was sent" in out and "Клочковский сельсовет" in out
    assert "Организация 1: vk https://vk.com/" in out
    assert "account created acc-new" in out and "1 notice" in out
    code, out, err = hub_cli(capsys, "--config", cfg, "report", "push")
    assert code == 0, err
    assert "Gospabliki accepted the report" in out and "1 notice marked sent" in out
    assert _reports(tmp_path) == 1
    code, out, err = hub_cli(capsys, "--config", cfg, "report", "push")  # no gate any more
    assert code == 0 and _reports(tmp_path) == 2, err


def test_the_first_push_refuses_what_the_dry_run_did_not_show(gp, tmp_path, capsys):
    cfg = str(gp)
    code, out, _ = hub_cli(capsys, "--config", cfg, "report", "push", "--dry-run")
    assert code == 0 and "no notices" in out
    _new_vk_page(gp)
    code, _, err = hub_cli(capsys, "--config", cfg, "report", "push")
    assert code == 2
    one_line_error(err, "did not show", "acc-new", "--dry-run")
    assert _reports(tmp_path) == 0
    code, _, err = hub_cli(capsys, "--config", cfg, "report", "push", "--first", "--dry-run")
    assert code == 2
    one_line_error(err, "--first", "--dry-run")
    code, out, err = hub_cli(capsys, "--config", cfg, "report", "push", "--first")
    assert code == 0 and "accepted" in out, err
    assert _reports(tmp_path) == 1


def test_the_daemon_never_sends_the_first_report(gp, tmp_path, capsys):
    from structlog.testing import capture_logs

    from hub.daemon.runner import Daemon
    from hub.plugins import make_plugin_manager

    daemon = Daemon(gp, make_plugin_manager())
    daemon._load_config()
    store = Store.open(daemon.config.db_path)
    try:
        with capture_logs() as logs:
            for _ in range(3):
                asyncio.run(daemon._report(store))
        waiting = [e for e in logs if e["event"] == "first report waits for a person"]
        assert len(waiting) == 1 and "hub report push --first" in waiting[0]["message"]
        assert not [e for e in logs if e["log_level"] == "error"]
        assert _reports(tmp_path) == 0
        hub_cli(capsys, "--config", str(gp), "report", "push", "--dry-run")
        asyncio.run(daemon._report(store))
        assert _reports(tmp_path) == 0  # seen is not sent: a person sends the first one
        code, _, err = hub_cli(capsys, "--config", str(gp), "report", "push")
        assert code == 0 and _reports(tmp_path) == 1, err
        asyncio.run(daemon._report(store))  # from now on the daemon reports by itself
        assert _reports(tmp_path) == 2
    finally:
        store.close()
