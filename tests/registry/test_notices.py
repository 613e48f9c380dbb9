"""Notices to the regional centre: due dates, created/deleted accounts, overdue, delivery."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from hub.errors import HubError, NotFoundError
from hub.registry import mark_notices_sent, overdue_warning, pending_notices
from hub.registry.calendar import (
    RUSSIAN_NON_WORKING_DAYS,
    RUSSIAN_WORKING_SATURDAYS,
    due_date,
    is_working_day,
)
from hub.registry.events import list_events
from tests.registry.test_registry import ACCOUNTS, ADMIN, hub_cli, synced, write_registry_config

D = date.fromisoformat


def new_pages(day: date | str) -> str:
    """ACCOUNTS as two pages new to the world, created on ``day``: the install's first sync
    opens their notices (without ``created`` it takes them as existing, and opens none)."""
    accounts = ACCOUNTS
    for token in ("HUB_VK_TOKEN_ADM", "HUB_OK_TOKEN_CLUB"):
        line = f'token_env = "{token}"'
        accounts = accounts.replace(line, f"{line}\ncreated = {day}")
    return accounts


# -- due dates ---------------------------------------------------------------
def test_ten_calendar_days():
    assert due_date(D("2026-03-02"), 10) == D("2026-03-12")
    assert due_date(D("2026-12-25"), 10) == D("2027-01-04")  # holidays do not matter


def test_working_days_skip_a_weekend_and_a_holiday():
    # Thu 19 Feb 2026 + 10 working days: Sat 21, Sun 22 and Mon 23 (Defender's Day) are skipped
    assert due_date(D("2026-02-19"), 10, working_days=True) == D("2026-03-06")
    assert due_date(D("2026-02-19"), 10) == D("2026-03-01")


def test_working_days_new_year_holidays_and_a_working_saturday():
    # 2026: 1–11 January are all off; the first working day is Monday the 12th
    assert due_date(D("2025-12-30"), 1, working_days=True) == D("2026-01-12")
    # Saturday 1 November 2025 was a working day (the day off moved to Monday the 3rd)
    assert is_working_day(D("2025-11-01")) and not is_working_day(D("2025-11-03"))
    assert due_date(D("2025-10-31"), 1, working_days=True) == D("2025-11-01")


def test_configured_holidays_are_skipped_too():
    plain = due_date(D("2026-04-06"), 3, working_days=True)
    assert plain == D("2026-04-09")
    extra = {D("2026-04-07")}  # a regional holiday
    assert due_date(D("2026-04-06"), 3, working_days=True, extra_holidays=extra) == D("2026-04-10")


def test_holiday_lists_match_the_production_calendar():
    # the production calendars give 247 working days in each of these years
    for year in (2025, 2026, 2027):
        days = [D(f"{year}-01-01") + timedelta(n) for n in range(365)]
        assert sum(is_working_day(d) for d in days) == 247, year
    assert all(d.weekday() == 5 for d in RUSSIAN_WORKING_SATURDAYS)
    assert {d.year for d in RUSSIAN_NON_WORKING_DAYS} == {2025, 2026, 2027}
    # the statutory holidays that fall on weekdays are all there
    for day in ("2025-06-12", "2026-11-04", "2027-02-23", "2027-03-08", "2026-05-01"):
        assert D(day) in RUSSIAN_NON_WORKING_DAYS


def test_notices_section_sets_the_due_date(tmp_path):
    extra = '[notices]\ndue_days = 5\nworking_days = true\nholidays = ["2026-02-20"]\n'
    path = write_registry_config(tmp_path, extra=extra, accounts=new_pages("2026-02-19"))
    store = synced(path, today=D("2026-02-19"))
    dues = {n["due_date"] for n in pending_notices(store, today=D("2026-02-19"))}
    # Fri 20 (configured holiday), Sat, Sun, Mon 23 (holiday) skipped: 24, 25, 26, 27, 2 March
    assert dues == {"2026-03-02"}


# -- created and deleted accounts --------------------------------------------
def _kinds(store) -> list[tuple[str, str]]:
    return [
        tuple(r)
        for r in store.db.execute("SELECT kind, account_id FROM notices ORDER BY id").fetchall()
    ]


def test_account_created_once_and_deleted_once(tmp_path):
    accounts = new_pages("2026-03-02")
    path = write_registry_config(tmp_path, accounts=accounts)
    store = synced(path, today=D("2026-03-02"))
    assert _kinds(store) == [("account_created", "adm-vk"), ("account_created", "club-ok")]
    created = pending_notices(store, today=D("2026-03-02"))[0]
    assert created["occurred_at"] == "2026-03-02" and created["due_date"] == "2026-03-12"
    assert created["organization"] == ADMIN and created["network"] == "vk"
    synced(path)
    assert len(_kinds(store)) == 2  # seen before: nothing new
    # club-ok is removed from the config (it stays in the accounts table)
    path.write_text(
        path.read_text().replace(accounts, accounts.split('[[accounts]]\nid = "club-ok"')[0])
    )
    synced(path)
    synced(path)
    assert _kinds(store)[2:] == [("account_deleted", "club-ok")]
    # declared again: a new account_created
    path.write_text(path.read_text() + ACCOUNTS.split('token_env = "HUB_VK_TOKEN_ADM"')[1])
    synced(path)
    assert _kinds(store)[3:] == [("account_created", "club-ok")]
    actions = [e["action"] for e in list_events(store, "account", "club-ok")]
    assert actions == ["listed", "removed", "listed"]


# -- overdue, the summary warning, delivery ----------------------------------
def _old_and_new_notices(tmp_path):
    """Two account_created notices from 2020 (long overdue), then one fresh."""
    path = write_registry_config(tmp_path, accounts=new_pages("2020-01-01"))
    store = synced(path, today=D("2020-01-01"))
    path.write_text(
        path.read_text()
        + '\n[[accounts]]\nid = "adm-tg"\nnetwork = "telegram"\nexternal_id = "@klochki"\n'
        f'organization = "{ADMIN}"\ntoken_env = "HUB_TG_TOKEN"\n'
    )
    synced(path)
    return path, store


def test_overdue_listing_and_cli(tmp_path, capsys):
    path, store = _old_and_new_notices(tmp_path)
    code, out, _ = hub_cli(capsys, "--config", str(path), "notices", "--overdue", "--json")
    assert code == 0
    assert sorted(n["account_id"] for n in json.loads(out)) == ["adm-vk", "club-ok"]
    assert all(n["overdue"] and n["due_date"] == "2020-01-11" for n in json.loads(out))
    code, out, _ = hub_cli(capsys, "--config", str(path), "notices")
    lines = out.strip().splitlines()
    assert len(lines) == 3 and sum("OVERDUE" in line for line in lines) == 2
    assert "pending: account created adm-tg" in lines[2]
    code, out, _ = hub_cli(capsys, "--config", str(path), "notices", "--overdue")
    assert len(out.strip().splitlines()) == 2


def test_due_day_itself_is_not_overdue(tmp_path):
    path = write_registry_config(tmp_path, accounts=new_pages("2026-03-02"))
    store = synced(path, today=D("2026-03-02"))
    assert not any(n["overdue"] for n in pending_notices(store, today=D("2026-03-12")))
    assert all(n["overdue"] for n in pending_notices(store, today=D("2026-03-13")))


def test_overdue_warning_for_the_run_summary(tmp_path):
    path, store = _old_and_new_notices(tmp_path)
    warning = overdue_warning(store)
    assert warning.startswith("2 notices to the regional centre are overdue: ")
    assert "account created adm-vk" in warning and "(due 2020-01-11)" in warning
    assert "adm-tg" not in warning and "\n" not in warning
    assert overdue_warning(store, today=D("2020-01-05")) is None


def test_pending_notices_and_mark_sent(tmp_path, capsys):
    path, store = _old_and_new_notices(tmp_path)
    pending = pending_notices(store)
    assert [n["account_id"] for n in pending] == ["adm-vk", "club-ok", "adm-tg"]
    assert set(pending[0]) >= {
        "id",
        "kind",
        "organization",
        "account_id",
        "network",
        "account_url",
        "details",
        "occurred_at",
        "due_date",
        "overdue",
    }
    ids = [n["id"] for n in pending[:2]]
    assert mark_notices_sent(store, ids, "GP-RECEIPT-1") == 2
    assert mark_notices_sent(store, ids, "GP-RECEIPT-2") == 0  # a repeat changes nothing
    receipts = store.db.execute("SELECT DISTINCT receipt FROM notices WHERE status = 'sent'")
    assert [r[0] for r in receipts] == ["GP-RECEIPT-1"]
    assert [n["account_id"] for n in pending_notices(store)] == ["adm-tg"]
    assert overdue_warning(store) is None
    assert mark_notices_sent(store, [], "x") == 0
    with pytest.raises(NotFoundError):
        mark_notices_sent(store, [pending[2]["id"], 999], "x")
    assert len(pending_notices(store)) == 1  # the unknown id stopped the whole call
    with pytest.raises(HubError):
        mark_notices_sent(store, [pending[2]["id"]], " ")
    sent_events = [e for e in list_events(store, "notice") if e["action"] == "sent"]
    assert len(sent_events) == 2 and sent_events[0]["actor"] == "gospabliki"
    code, out, err = hub_cli(
        capsys,
        "--config",
        str(path),
        "notices",
        "mark-sent",
        str(pending[2]["id"]),
        "--receipt",
        "письмо № 12",
        "--by",
        "op",
    )
    assert code == 0 and "marked 1" in out, err
    code, out, _ = hub_cli(capsys, "--config", str(path), "notices")
    assert "sent" in out.splitlines()[2] and "письмо № 12" in out


def test_responsible_notice_due_from_the_day_of_change(tmp_path, capsys):
    cfg = str(write_registry_config(tmp_path, extra="[notices]\ndue_days = 3\n"))
    for name, since in (("А. Первая", "2026-05-04"), ("Б. Второй", "2026-05-06")):
        code, _, err = hub_cli(
            capsys,
            "--config",
            cfg,
            "responsible",
            "set",
            "Централизованная бухгалтерия",
            "--name",
            name,
            "--position",
            "бухгалтер",
            "--since",
            since,
            "--by",
            "op",
        )
        assert code == 0, err
    code, out, _ = hub_cli(capsys, "--config", cfg, "notices", "--json")
    changed = [n for n in json.loads(out) if n["kind"] == "responsible_changed"]
    assert [(n["occurred_at"], n["due_date"]) for n in changed] == [("2026-05-06", "2026-05-09")]
    code, out, err = hub_cli(
        capsys,
        "--config",
        cfg,
        "responsible",
        "set",
        "Централизованная бухгалтерия",
        "--name",
        "В. Третий",
        "--position",
        "бухгалтер",
        "--since",
        "2026-05-05",
        "--by",
        "op",
    )
    assert code == 2 and "before the current one's" in err


def test_today_default_is_local_date(tmp_path):
    store = synced(write_registry_config(tmp_path, accounts=new_pages(date.today())))
    due = {n["due_date"] for n in pending_notices(store)}
    assert due == {(date.today() + timedelta(days=10)).isoformat()}
