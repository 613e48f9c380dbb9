"""Edge cases of the compliance report found in review: bad weeks at the calendar's ends,
a past week's figures that must not move, the organization row of the web page, and the
cost of the removal figures on a big database."""

from __future__ import annotations

import pytest

from hub.compliance import Week, compliance_report, parse_week
from hub.compliance.html import render_html
from hub.errors import ConfigError
from hub.store import Store
from tests.compliance_seed import PAGE_FIELDS, SCHOOL, local, seed, utc

FINISHED = "2026-03-10 09:00"  # Tuesday after W10
LATER = "2026-03-20 09:00"  # Friday of W12


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


@pytest.mark.parametrize("text", ["9999-W52", "0001-W01", "0000-W01"])
def test_a_week_at_the_ends_of_the_calendar_is_one_line_not_a_traceback(text):
    with pytest.raises(ConfigError, match="--week must look like"):
        parse_week(text)


def test_a_finished_weeks_still_up_comment_stays_counted_after_its_removal(seeded):
    """adm-ok's comment 8 was up from Sunday 10:00 to the end of W10; removing it later
    (in W11) must not make W10 look as if it had never been there."""
    _config, store = seeded
    before = by(report(seeded, Week(2026, 10), FINISHED)["accounts"], "account")["adm-ok"]
    assert (before["removal"]["still_up"], before["removal"]["oldest_still_up_seconds"]) == (
        1,
        14 * 3600,
    )
    store.db.execute(
        "UPDATE comments SET deleted_at = ?, deleted_by = 'hub' "
        "WHERE account_id = 'adm-ok' AND network_id = 8",
        [utc("2026-03-11 10:00")],
    )
    after = by(report(seeded, Week(2026, 10), LATER)["accounts"], "account")["adm-ok"]
    assert after["removal"] == before["removal"]
    # and W11 counts it as removed, after 3 days up
    w11 = by(report(seeded, Week(2026, 11), LATER)["accounts"], "account")["adm-ok"]
    assert (w11["removal"]["removed"], w11["removal"]["max_seconds"]) == (1, 3 * 24 * 3600)
    assert w11["removal"]["still_up"] == 0


def test_an_organization_without_pages_shows_its_overdue_notice_on_the_web_page(seeded):
    result = report(seeded, Week(2026, 10), FINISHED)
    school = by(result["organizations"], "organization")[SCHOOL]
    school["notices"] = {
        "overdue": 1,
        "items": [
            {
                "id": 9,
                "kind": "responsible_changed",
                "organization": SCHOOL,
                "account": None,
                "due_date": "2026-02-20",
                "delivered": False,
            }
        ],
        "status": "red",
    }
    html = render_html(result)
    row = next(line for line in html.splitlines() if f">{SCHOOL}</th>" in line)
    assert "официальных страниц нет" in row
    assert "просрочено: 1 (срок: 20.02.2026)" in row  # the reason it is red is in sight
    # name, "no pages" over seven columns (posts to appeals), notices, status: ten columns
    assert row.count("<td") + row.count("<th") == 4 and 'colspan="7"' in row


def test_removal_figures_cost_a_fixed_number_of_queries_and_use_indexes(seeded):
    """300 accounts × 10,000 comments took 8–15 s with two scans per account and an
    unindexed look-up of actions per hub-removed comment; one pass each is ~1 s."""
    config, store = seeded
    statements: list[str] = []
    store.db.conn.set_trace_callback(statements.append)
    try:
        compliance_report(
            store, config, Week(2026, 10), now=local(FINISHED), page_fields=PAGE_FIELDS
        )
    finally:
        store.db.conn.set_trace_callback(None)
    on_comments = [s for s in statements if "FROM comments" in s or "JOIN comments" in s]
    assert len(on_comments) <= 2, on_comments  # not two per account
    for sql in on_comments:
        plan = " | ".join(
            str(row[-1]) for row in store.db.execute("EXPLAIN QUERY PLAN " + sql).fetchall()
        )
        assert "SCAN x" not in plan, plan  # actions are found by their idempotency key
