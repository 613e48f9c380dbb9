"""A municipality's first week (issue 13, point 5): day one is not red.

The seeded hub was installed on Monday 2026-02-02 09:00 local (W06, every account's first
sync); ``dk-tg`` is moved to a later first sync where a test needs an account that joins
the hub mid-week.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from hub.compliance import Week, compliance_report, summary_week
from hub.compliance.html import render_html
from hub.compliance.render import to_table
from hub.compliance.summary import summary_due
from hub.compliance.week import utc_text
from hub.daemon.runner import Daemon
from hub.plugins import make_plugin_manager
from hub.store import Store
from tests.compliance_seed import (
    INSTALLED,
    PAGE_FIELDS,
    SCHOOL,
    _comment,
    local,
    seed,
    sync_run,
    utc,
)

FINISHED = "2026-03-10 09:00"  # Tuesday after W10


@pytest.fixture
def seeded(tmp_path):
    config = seed(tmp_path)
    store = Store.open(config.db_path)
    yield config, store
    store.close()


def report(seeded, week: Week, now: str) -> dict:
    config, store = seeded
    return compliance_report(store, config, week, now=local(now), page_fields=PAGE_FIELDS)


def by(items: list[dict], key: str) -> dict[str, dict]:
    return {item[key]: item for item in items}


def first_sync(store: Store, account_id: str, started: str) -> None:
    """``account_id`` joins the hub later: its first sync starts at ``started`` (local)."""
    store.db.execute("DELETE FROM sync_runs WHERE account_id = ?", [account_id])
    sync_run(store, account_id, started)


# ----------------------------------------------------------------------------- removals


def test_spam_from_before_the_install_counts_from_when_the_hub_first_saw_it(seeded):
    """dk-tg joins on Wednesday of W10; its first sync finds spam posted 55 days before and
    removes it 15 minutes later: that is 15 minutes, not "stayed up 55 d". A comment posted
    after the install counts from its publication, sync lag included (70 min, not 10)."""
    _config, store = seeded
    first_sync(store, "dk-tg", "2026-03-04 09:00")
    _comment(
        store,
        "dk-tg",
        20,
        published="2026-01-08 09:00",
        first_seen="2026-03-04 09:05",
        deleted="2026-03-04 09:20",
    )
    _comment(
        store,
        "dk-tg",
        21,
        published="2026-03-05 10:00",
        first_seen="2026-03-05 11:00",
        deleted="2026-03-05 11:10",
    )
    dk = by(report(seeded, Week(2026, 10), FINISHED)["accounts"], "account")["dk-tg"]
    removal = dk["removal"]
    assert (removal["removed"], removal["before_install"]) == (2, 1)
    assert (removal["median_seconds"], removal["max_seconds"]) == (round(42.5 * 60), 70 * 60)
    assert removal["status"] == "yellow"
    assert not any(" d " in note for note in dk["notes"]), dk["notes"]


def test_spam_still_up_from_before_the_install_is_aged_from_the_first_sync(seeded):
    _config, store = seeded
    first_sync(store, "dk-tg", "2026-03-04 09:00")
    _comment(
        store,
        "dk-tg",
        22,
        published="2025-11-01 09:00",
        first_seen="2026-03-04 09:05",
        deleted=None,
        status="queued",
    )
    w10 = by(report(seeded, Week(2026, 10), FINISHED)["accounts"], "account")["dk-tg"]
    # up from Wednesday 09:05 (first seen) to Monday 00:00: 4 days 14 h 55 min
    assert w10["removal"]["still_up"] == 1
    assert w10["removal"]["oldest_still_up_seconds"] == ((4 * 24 + 14) * 60 + 55) * 60
    # the week before, the hub had not seen it: not counted there
    w09 = by(report(seeded, Week(2026, 9), FINISHED)["accounts"], "account")["dk-tg"]
    assert w09["removal"]["still_up"] == 0


# ----------------------------------------------------------------------------- the norm


def test_a_running_week_is_at_worst_yellow_until_it_has_ended(seeded):
    """Monday morning of W11: nobody has posted yet and nothing is planned — in progress,
    yellow; the same figures once the week has ended are red."""
    monday = by(report(seeded, Week(2026, 11), "2026-03-09 09:00")["accounts"], "account")
    dk = monday["dk-tg"]
    assert (dk["posts"]["count"], dk["posts"]["planned"], dk["posts"]["short"]) == (0, 0, 3)
    assert dk["posts"]["status"] == "yellow"
    posts = next(r for r in dk["reasons"] if r["check"] == "posts")
    assert posts == {
        "check": "posts",
        "reason": "posts_short",
        "status": "yellow",
        "text": "0 of 3 posts, 0 planned; 3 posts short by Sunday",
    }
    assert all(a["posts"]["status"] != "red" for a in monday.values())
    upcoming = by(report(seeded, Week(2026, 12), "2026-03-09 09:00")["accounts"], "account")
    assert all(a["posts"]["status"] != "red" for a in upcoming.values())
    ended = by(report(seeded, Week(2026, 11), "2026-03-16 09:00")["accounts"], "account")
    assert ended["dk-tg"]["posts"]["status"] == "red"
    assert ended["dk-tg"]["notes"][0] == "0 of 3 posts: 3 short"


# ----------------------------------------------------------------------------- the install


def test_a_week_that_ended_before_the_install_is_not_judged(seeded):
    result = report(seeded, Week(2026, 5), FINISHED)  # Jan 26 – Feb 1, the hub came Feb 2
    assert result["state"] == "before_install"
    assert result["installed_at"] == utc(INSTALLED)
    assert result["totals"]["accounts"] == {"green": 3, "yellow": 0, "red": 0}
    assert result["totals"]["organizations"]["red"] == 0  # not even the school without pages
    assert by(result["organizations"], "organization")[SCHOOL]["status"] == "green"
    for line in result["accounts"]:
        assert line["judged"] is False and line["reasons"] == []
        assert line["notes"] == ["before the hub was installed (first sync 2026-02-02): not judged"]
    table = to_table(result)
    assert "before the hub was installed" in table.splitlines()[0]
    assert table.count("not judged") == 1 + 3 and table.endswith("0 yellow, 0 red")
    assert "до установки Pablik Hub" in render_html(result)
    # the week the hub came is judged: it had not ended
    install_week = report(seeded, Week(2026, 6), FINISHED)
    assert install_week["state"] == "finished"
    assert all(line["judged"] for line in install_week["accounts"])


def test_an_account_that_joined_later_is_not_judged_for_the_weeks_before(seeded):
    _config, store = seeded
    first_sync(store, "dk-tg", "2026-03-10 09:00")  # W11
    result = report(seeded, Week(2026, 10), FINISHED)
    assert result["state"] == "finished"
    accounts = by(result["accounts"], "account")
    assert accounts["dk-tg"]["judged"] is False and accounts["dk-tg"]["status"] == "green"
    assert accounts["dk-tg"]["watched_since"] == utc("2026-03-10 09:00")
    assert accounts["adm-vk"]["judged"] is True and accounts["adm-ok"]["status"] == "red"
    assert "dk-tg" in to_table(result) and "not judged" in to_table(result)


def test_without_a_sync_the_install_is_the_databases_creation(seeded):
    _config, store = seeded
    store.db.execute("DELETE FROM sync_runs")
    store.db.execute(
        "UPDATE _hub_migrations SET applied_at = ? WHERE name = 'm001_initial'",
        [local("2026-03-04 12:00").isoformat(timespec="seconds")],
    )
    assert report(seeded, Week(2026, 9), FINISHED)["state"] == "before_install"
    w10 = report(seeded, Week(2026, 10), FINISHED)
    assert w10["state"] == "finished" and w10["installed_at"] == utc("2026-03-04 12:00")


# ----------------------------------------------------------------------------- the summary


def test_the_first_summary_is_the_first_full_week_after_the_install(seeded):
    config, store = seeded
    assert not summary_due(store, config, Week(2026, 5))  # before the install
    assert not summary_due(store, config, Week(2026, 6))  # installed Monday 09:00: not full
    assert summary_due(store, config, Week(2026, 7))


def _daemon(config) -> Daemon:
    daemon = Daemon(config.path, make_plugin_manager())
    daemon.config = config
    return daemon


def _logged_week(store: Store) -> str | None:
    row = store.db.execute(
        "SELECT value FROM hub_state WHERE key = 'weekly_summary_logged'"
    ).fetchone()
    return row and row[0]


def test_the_daemon_on_a_fresh_hub_waits_for_the_first_full_week(seeded):
    config, store = seeded
    now = datetime.now(UTC)
    store.db.execute("DELETE FROM sync_runs")
    store.record_run(
        {"account_id": "adm-vk", "started_at": utc_text(now), "finished_at": utc_text(now)}
    )
    asyncio.run(_daemon(config)._weekly_summary(store))
    assert _logged_week(store) is None  # the week just ended was before the hub
    store.db.execute("UPDATE sync_runs SET started_at = ?", [utc_text(now - timedelta(days=15))])
    asyncio.run(_daemon(config)._weekly_summary(store))
    assert _logged_week(store) == summary_week(config, now).label
