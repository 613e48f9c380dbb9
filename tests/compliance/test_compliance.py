"""Compliance figures on a seeded week in Vladivostok: exact counts, times and statuses."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from hub.compliance import (
    PAGE_FIELDS,
    Week,
    compliance_report,
    network_page_fields,
    parse_compliance,
    parse_week,
    previous_week,
    summary_line,
    week_of,
    weekly_summary,
)
from hub.compliance.page import mentions_working_hours, page_completeness
from hub.compliance.settings import ComplianceSettings
from hub.errors import ConfigError
from hub.network import Network
from hub.store import Store
from tests.compliance_seed import ADM, BUH, DK, SCHOOL, VLADIVOSTOK, local, seed
from tests.compliance_seed import PAGE_FIELDS as SEED_FIELDS

FINISHED = "2026-03-10 09:00"  # Tuesday after W10
MIDWEEK = "2026-03-12 12:00"  # Thursday of W11


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    config = seed(tmp_path_factory.mktemp("compliance"))
    store = Store.open(config.db_path)
    yield config, store
    store.close()


def report(seeded, week: Week, now: str) -> dict:
    config, store = seeded
    return compliance_report(store, config, week, now=local(now), page_fields=SEED_FIELDS)


def by(items: list[dict], key: str) -> dict[str, dict]:
    return {item[key]: item for item in items}


# ----------------------------------------------------------------------------- weeks


def test_weeks_are_counted_in_the_municipalitys_zone():
    sunday_late = local("2026-03-08 23:30")  # 13:30 UTC on Sunday
    monday_early = local("2026-03-09 00:10")  # 14:10 UTC, still Sunday in UTC
    assert week_of(sunday_late, VLADIVOSTOK) == Week(2026, 10)
    assert week_of(monday_early, VLADIVOSTOK) == Week(2026, 11)
    assert week_of(monday_early, ZoneInfo("Europe/Moscow")) == Week(2026, 10)
    assert Week(2026, 10).start(VLADIVOSTOK) == datetime(2026, 3, 1, 14, tzinfo=UTC)
    assert Week(2026, 10).end(VLADIVOSTOK) == datetime(2026, 3, 8, 14, tzinfo=UTC)
    assert previous_week(monday_early, VLADIVOSTOK) == Week(2026, 10)
    assert previous_week(local("2026-01-01 10:00"), VLADIVOSTOK) == Week(2025, 52)


@pytest.mark.parametrize(
    "text, week",
    [("2026-W10", Week(2026, 10)), (" 2026-W53 ", Week(2026, 53)), ("2020-W01", Week(2020, 1))],
)
def test_parse_week(text, week):
    assert parse_week(text) == week


@pytest.mark.parametrize("text", ["2026-W54", "2025-W53", "2026-W00", "2026-10", "W10", "", "x"])
def test_a_bad_week_is_one_line_naming_the_format(text):
    with pytest.raises(ConfigError) as caught:
        parse_week(text)
    message = str(caught.value)
    assert message.startswith("--week must look like 2026-W49") and "\n" not in message


# ----------------------------------------------------------------------------- a finished week


def test_posts_of_a_finished_week(seeded):
    accounts = by(report(seeded, Week(2026, 10), FINISHED)["accounts"], "account")
    # adm-vk: Mon 00:10 and Sun 23:30 local count; the Sunday before, the Monday after,
    # a resident's post and one removed mid-week do not
    assert accounts["adm-vk"]["posts"] == {
        "count": 2,
        "norm": 2,  # [plan.norms] for the administration
        "planned": None,
        "forecast": None,
        "short": 0,
        "status": "green",
    }
    assert accounts["adm-ok"]["posts"]["count"] == 1
    assert accounts["adm-ok"]["posts"]["short"] == 1
    assert accounts["adm-ok"]["posts"]["status"] == "red"  # no forecast after the week
    assert accounts["dk-tg"]["posts"]["count"] == 3
    assert accounts["dk-tg"]["posts"]["norm"] == 3  # posts_per_week for everyone else
    assert accounts["dk-tg"]["posts"]["status"] == "green"


def test_page_completeness(seeded):
    accounts = by(report(seeded, Week(2026, 10), FINISHED)["accounts"], "account")
    assert accounts["adm-vk"]["page"]["missing"] == []
    assert accounts["adm-vk"]["page"]["status"] == "green"
    ok = accounts["adm-ok"]["page"]
    assert ok["missing"] == ["working_hours", "website", "cover"]  # a concert time is not hours
    assert ok["fields"]["contacts"] == "present" and ok["status"] == "red"
    tg = accounts["dk-tg"]["page"]
    assert tg["fields"] == {
        "description": "present",
        "contacts": "not_offered",
        "working_hours": "present",
        "website": "not_offered",
        "avatar": "missing",
        "cover": "not_offered",
    }
    assert tg["status"] == "yellow"


def test_attestations_and_gospabliki(seeded):
    accounts = by(report(seeded, Week(2026, 10), FINISHED)["accounts"], "account")
    assert accounts["adm-vk"]["two_factor"] == {"attested": True, "status": "green"}
    assert accounts["adm-vk"]["gospabliki"] == {"connected": True, "status": "green"}
    assert accounts["adm-ok"]["two_factor"] == {"attested": False, "status": "red"}
    assert accounts["adm-ok"]["gospabliki"] == {"connected": None, "status": "yellow"}
    assert accounts["dk-tg"]["two_factor"]["status"] == "yellow"


def test_how_long_offending_comments_stayed_up(seeded):
    accounts = by(report(seeded, Week(2026, 10), FINISHED)["accounts"], "account")
    # 30 min and 2 h (engine), 10 min (an operator's delete); not the ban wipe, not last
    # week's, not the one its author removed
    assert accounts["adm-vk"]["removal"] == {
        "removed": 3,
        "median_seconds": 1800,
        "max_seconds": 7200,
        "from_first_seen": 0,
        "before_install": 0,
        "still_up": 0,
        "oldest_still_up_seconds": None,
        "status": "yellow",
    }
    # 30 h from when it was first seen (no publication time); one still up 14 h at the end
    assert accounts["adm-ok"]["removal"] == {
        "removed": 1,
        "median_seconds": 30 * 3600,
        "max_seconds": 30 * 3600,
        "from_first_seen": 1,
        "before_install": 0,
        "still_up": 1,
        "oldest_still_up_seconds": 14 * 3600,
        "status": "red",
    }
    assert accounts["dk-tg"]["removal"]["removed"] == 0
    assert accounts["dk-tg"]["removal"]["status"] == "green"


def test_overdue_notices_and_line_statuses(seeded):
    result = report(seeded, Week(2026, 10), FINISHED)
    accounts = by(result["accounts"], "account")
    late = accounts["adm-ok"]["notices"]
    # delivered on the Monday after the week: it was overdue when the week ended
    assert late["overdue"] == 1 and late["items"][0]["delivered"] is True
    assert late["items"][0]["due_date"] == "2026-02-20"
    assert {a: line["status"] for a, line in accounts.items()} == {
        "adm-vk": "yellow",  # a comment stayed up 2 h
        "adm-ok": "red",
        "dk-tg": "yellow",
    }
    assert result["state"] == "finished"
    assert result["totals"]["accounts"] == {"green": 0, "yellow": 2, "red": 1}


def test_organizations_roll_up_their_accounts(seeded):
    orgs = by(report(seeded, Week(2026, 10), FINISHED)["organizations"], "organization")
    assert list(orgs) == [ADM, DK, BUH, SCHOOL]
    adm = orgs[ADM]
    assert adm["accounts"] == ["adm-vk", "adm-ok"]
    assert adm["posts"] == {"count": 3, "norm": 2, "accounts_meeting_norm": 1, "status": "red"}
    assert adm["removal"]["removed"] == 4 and adm["removal"]["max_seconds"] == 30 * 3600
    assert adm["notices"]["overdue"] == 1 and adm["status"] == "red"
    assert orgs[DK]["notices"]["items"][0]["kind"] == "responsible_changed"
    assert orgs[DK]["status"] == "red"  # its account is yellow, its notice is overdue
    assert orgs[BUH]["status"] == "green" and orgs[BUH]["exempt"] is True
    assert orgs[SCHOOL]["status"] == "red"
    assert "not exempt" in orgs[SCHOOL]["notes"][0]


# ----------------------------------------------------------------------------- mid-week


def test_mid_week_forecast_from_approved_drafts(seeded):
    result = report(seeded, Week(2026, 11), MIDWEEK)
    assert result["state"] == "in_progress"
    accounts = by(result["accounts"], "account")
    vk = accounts["adm-vk"]
    assert vk["posts"] == {
        "count": 1,  # Monday 00:10 local belongs to W11
        "norm": 2,
        "planned": 1,
        "forecast": 2,
        "short": 0,
        "status": "yellow",
    }
    assert vk["notes"] == ["1 of 2 posts, 1 planned; on track by Sunday"]
    ok = accounts["adm-ok"]
    # one approved draft due Friday; not the unapproved one, next week's or a published one;
    # short by Sunday, but the week runs: in progress, yellow (red once it has ended)
    assert (ok["posts"]["planned"], ok["posts"]["short"], ok["posts"]["status"]) == (
        1,
        1,
        "yellow",
    )
    assert ok["notes"][0] == "0 of 2 posts, 1 planned; 1 post short by Sunday"
    assert accounts["dk-tg"]["notes"][0] == "0 of 3 posts, 0 planned; 3 posts short by Sunday"
    # still up since Sunday 10:00: 4 days 2 hours as of Thursday noon
    assert ok["removal"]["oldest_still_up_seconds"] == (4 * 24 + 2) * 3600
    # the late notice is delivered now; the ДК one is still pending
    assert ok["notices"]["overdue"] == 0
    assert by(result["organizations"], "organization")[DK]["notices"]["overdue"] == 1


def test_an_upcoming_week_counts_only_drafts_due_in_it(seeded):
    result = report(seeded, Week(2026, 12), MIDWEEK)
    assert result["state"] == "upcoming"
    accounts = by(result["accounts"], "account")
    assert accounts["dk-tg"]["posts"]["planned"] == 1
    assert accounts["adm-ok"]["posts"]["planned"] == 1  # Monday's, not W11's Friday one
    assert accounts["adm-vk"]["posts"]["planned"] == 0  # its Saturday draft goes out in W11


# ----------------------------------------------------------------------------- summary


def test_weekly_summary_is_compact_and_leaves_out_2fa(seeded):
    config, store = seeded
    summary = weekly_summary(
        store, config, Week(2026, 10), now=local(FINISHED), page_fields=SEED_FIELDS
    )
    assert (summary["week"], summary["from"], summary["to"]) == (
        "2026-W10",
        "2026-03-02",
        "2026-03-08",
    )
    assert summary["time_zone"] == "Asia/Vladivostok"
    accounts = by(summary["accounts"], "account")
    assert accounts["adm-ok"] == {
        "account": "adm-ok",
        "network": "ok",
        "organization": ADM,
        "status": "red",
        "posts": 1,
        "norm": 2,
        "page_missing": ["working_hours", "website", "cover"],
        "gospabliki": None,
        "offending_removed": 1,
        "removal_median_minutes": 1800,
        "removal_max_minutes": 1800,
        "offending_still_up": 1,
        "overdue_notices": 1,
        "appeals": {
            "received": 0,
            "due": 0,
            "answered_on_time": 0,
            "late": 0,
            "median_response_minutes": None,
            "max_response_minutes": None,
            "open": 0,
            "overdue": 0,
        },
    }
    # dk-tg is yellow in the full report partly for 2FA; here only the page says yellow
    assert accounts["dk-tg"]["status"] == "yellow"
    assert "two_factor" not in str(summary) and "2fa" not in str(summary).lower()
    orgs = by(summary["organizations"], "name")
    assert orgs[SCHOOL] == {
        "name": SCHOOL,
        "status": "red",
        "exempt": False,
        "accounts": 0,
        "accounts_meeting_norm": 0,
        "posts": 0,
        "overdue_notices": 0,
        "appeals": {
            "received": 0,
            "due": 0,
            "answered_on_time": 0,
            "late": 0,
            "median_response_minutes": None,
            "max_response_minutes": None,
            "open": 0,
            "overdue": 0,
        },
    }
    line = summary_line(summary)
    assert line == (
        "compliance week 2026-W10: 3 accounts — 0 green, 2 yellow, 1 red; "
        "below the posting norm: adm-ok"
    )


# ----------------------------------------------------------------------------- rules


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Часы работы: пн–пт 9:00–17:00", True),
        ("Режим работы: ежедневно с 10.00 до 20.00", True),
        ("Приём граждан по вторникам с 9:00 до 12:00", True),
        ("Работаем круглосуточно", True),
        ("Концерт в пятницу в 18:00", False),
        ("Собрание 12.03 в 18:00–20:00", False),  # a time range, but no word about hours
        ("График вывоза мусора обновлён", False),  # the word, but no times
        ("", False),
        (None, False),
    ],
)
def test_working_hours_rule(text, expected):
    assert mentions_working_hours(text) is expected


def test_a_page_never_synced_is_unknown_not_missing():
    page = page_completeness({"meta_synced_at": None}, frozenset(PAGE_FIELDS))
    assert set(page["fields"].values()) == {"unknown"}
    assert page["missing"] == [] and page["status"] == "yellow"


def test_a_vk_timetable_counts_as_working_hours():
    row = {
        "meta_synced_at": "2026-03-01T00:00:00Z",
        "addresses_json": '{"items": [{"timetable": {"mon": {"work_from": 540}}}]}',
    }
    assert page_completeness(row, frozenset(PAGE_FIELDS))["fields"]["working_hours"] == "present"


def test_networks_declare_their_page_fields():
    assert Network.page_fields == frozenset(PAGE_FIELDS)
    fields = network_page_fields()
    assert {"vk", "ok", "telegram"} <= set(fields)
    assert all(f <= frozenset(PAGE_FIELDS) for f in fields.values())


def test_compliance_settings():
    assert parse_compliance({}) == ComplianceSettings(60, 1440)
    assert (
        parse_compliance({"compliance": {"removal_green_minutes": 15}}).removal_green_minutes == 15
    )
    targets = ComplianceSettings(60, 1440)
    assert [targets.removal_status(s) for s in (None, 3600, 3601, 86400, 86401)] == [
        "green",
        "green",
        "yellow",
        "yellow",
        "red",
    ]


@pytest.mark.parametrize(
    "table, message",
    [
        ({"removal_green_minute": 5}, "unknown key 'removal_green_minute'"),
        ({"removal_green_minutes": 0}, "removal_green_minutes must be a whole number"),
        ({"removal_yellow_minutes": "day"}, "removal_yellow_minutes must be a whole number"),
        ({"removal_green_minutes": 120, "removal_yellow_minutes": 60}, "must not be below"),
    ],
)
def test_bad_compliance_settings_are_one_line(table, message):
    with pytest.raises(ConfigError, match=message) as caught:
        parse_compliance({"compliance": table})
    assert "\n" not in str(caught.value)
    with pytest.raises(ConfigError, match="must be a table"):
        parse_compliance({"compliance": 5})
