"""Appeals in the weekly compliance report (issue 17): received, answered on time, median and
longest response, open; green when every appeal due in the week was answered in time, yellow
for a late answer (or, while the week runs, one waiting), red for one open past its deadline;
a watch page has no line but its appeals count for the organization that watches it; the
summary pushed to Gospabliki carries the same figures and the stub's schema accepts them."""

from __future__ import annotations

from datetime import date

import pytest

from hub.compliance import Week, compliance_report, weekly_summary
from hub.compliance.html import render_html
from hub.compliance.render import to_json, to_table
from hub.config import load_config
from hub.gospabliki.schema import validate_report
from hub.registry import sync_registry
from hub.sandbox.gospabliki_stub.sample_report import sample_report
from hub.store import Store
from tests.compliance_seed import PAGE_FIELDS, VLADIVOSTOK, local, sync_run, utc

ADM = "Администрация Заречного сельсовета"
DK = "Дом культуры"
FINISHED = "2026-03-10 09:00"  # Tuesday after W10; W11 is running
CONFIG = f"""
[database]
path = "hub.db"

[plan]
time_zone = "{VLADIVOSTOK.key}"

[[organizations]]
name = "{ADM}"
level = "administration"

[[organizations]]
name = "{DK}"
level = "subordinate"
parent = "{ADM}"

[[accounts]]
id = "adm-vk"
network = "vk"
external_id = "1001"
organization = "{ADM}"
token_env = "HUB_TEST_VK"

[[accounts]]
id = "dk-tg"
network = "telegram"
external_id = "-1003003"
organization = "{DK}"
token_env = "HUB_TEST_TG"

[[accounts]]
id = "gov-vk"
network = "vk"
external_id = "9009"
organization = "{ADM}"
token_env = "HUB_TEST_VK"
watch = true
"""


def _appeal(
    store: Store,
    account: str,
    number: int,
    received: str,
    due: str,
    *,
    answered: str | None = None,
    closed: str | None = None,
) -> None:
    """An appeal (with its comment) in local times; the response time as the hub records it."""
    comment = store.db.execute(
        "INSERT INTO comments (account_id, network_id, post_network_id, author_id, "
        "published_at, text, is_placeholder, first_seen_at, last_seen_at) "
        "VALUES (?, ?, 1, 555, ?, 'Когда починят дорогу?', 0, ?, ?)",
        [account, number, utc(received), utc(received), utc(received)],
    ).lastrowid
    status = "answered" if answered else "closed" if closed else "open"
    minutes = None
    if answered:
        minutes = int((local(answered) - local(received)).total_seconds() // 60)
    store.db.execute(
        "INSERT INTO appeals (account_id, comment_id, kind, rule, status, received_at, due_at, "
        "answered_at, answered_by, response_minutes, closed_at, close_reason, created_at, "
        "updated_at) VALUES (?, ?, 'question', 'question.mark', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            account, comment, status, utc(received), utc(due),
            utc(answered) if answered else None, "community" if answered else None, minutes,
            utc(closed) if closed else None, "дубль" if closed else None,
            utc(received), utc(received),
        ],
    )  # fmt: skip


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("appeals-compliance")
    (folder / "hub.toml").write_text(CONFIG, encoding="utf-8")
    config = load_config(folder / "hub.toml")
    store = Store.open(config.db_path)
    sync_registry(store, config, today=date(2026, 3, 6))
    for account in ("adm-vk", "dk-tg", "gov-vk"):
        sync_run(store, account, "2026-02-02 09:00")
    # adm-vk, W10: two answered in time (90 and 30 minutes), one closed as a duplicate before
    # its deadline, one received on Sunday evening and due on Monday (answered then, in time)
    _appeal(store, "adm-vk", 1, "2026-03-03 10:00", "2026-03-04 10:00", answered="2026-03-03 11:30")
    _appeal(store, "adm-vk", 2, "2026-03-05 10:00", "2026-03-06 10:00", answered="2026-03-05 10:30")
    _appeal(store, "adm-vk", 3, "2026-03-02 10:00", "2026-03-03 10:00", closed="2026-03-02 12:00")
    _appeal(store, "adm-vk", 4, "2026-03-08 20:00", "2026-03-09 20:00", answered="2026-03-09 09:00")
    # W11, still running: one waiting, not yet due
    _appeal(store, "adm-vk", 5, "2026-03-10 08:00", "2026-03-11 08:00")
    # dk-tg: answered a day late
    _appeal(store, "dk-tg", 1, "2026-03-04 10:00", "2026-03-05 10:00", answered="2026-03-06 10:00")
    # the governor's page, watched for the administration: one past its deadline, unanswered
    _appeal(store, "gov-vk", 1, "2026-03-06 10:00", "2026-03-07 10:00")
    yield config, store
    store.close()


def report(seeded, week: Week, now: str = FINISHED) -> dict:
    config, store = seeded
    return compliance_report(store, config, week, now=local(now), page_fields=PAGE_FIELDS)


def by(items: list[dict], key: str) -> dict[str, dict]:
    return {item[key]: item for item in items}


def test_answered_on_time_is_green_with_median_and_longest(seeded):
    vk = by(report(seeded, Week(2026, 10))["accounts"], "account")["adm-vk"]
    assert vk["appeals"] == {
        "received": 4,
        "due": 2,  # the duplicate closed in time needed no answer; #4 falls due in W11
        "answered_on_time": 2,
        "answered": 2,
        "late": 0,
        "median_response_minutes": 60,
        "max_response_minutes": 90,
        "open": 1,  # #4 was open when the week ended, still in time: W11 judges it
        "overdue": 0,
        "oldest_overdue_minutes": None,
        "pending": 1,
        "next_due_at": utc("2026-03-09 20:00"),
        "status": "green",
    }
    assert not [r for r in vk["reasons"] if r["check"] == "appeals"]


def test_an_answer_after_the_deadline_is_yellow(seeded):
    tg = by(report(seeded, Week(2026, 10))["accounts"], "account")["dk-tg"]
    appeals = tg["appeals"]
    assert (appeals["due"], appeals["answered_on_time"], appeals["late"]) == (1, 0, 1)
    assert appeals["median_response_minutes"] == appeals["max_response_minutes"] == 2 * 24 * 60
    assert appeals["status"] == "yellow"
    assert {
        "check": "appeals",
        "reason": "appeals_late",
        "status": "yellow",
        "text": "1 appeal answered after the deadline",
    } in tg["reasons"]


def test_an_overdue_appeal_on_a_watch_page_makes_its_organization_red(seeded):
    result = report(seeded, Week(2026, 10))
    assert "gov-vk" not in by(result["accounts"], "account")  # a watch page is not judged
    adm = by(result["organizations"], "organization")[ADM]
    assert adm["accounts"] == ["adm-vk"]
    appeals = adm["appeals"]
    # adm-vk's and gov-vk's together; gov-vk's is open since Friday 10:00, the week ended
    # at Monday 00:00: 2 d 14 h, the longest
    assert (appeals["received"], appeals["due"], appeals["answered_on_time"]) == (5, 3, 2)
    assert (appeals["open"], appeals["overdue"]) == (2, 1)
    assert appeals["median_response_minutes"] == 60
    assert appeals["max_response_minutes"] == appeals["oldest_overdue_minutes"] == 62 * 60
    assert appeals["status"] == "red" and adm["status"] == "red"
    assert [w["account"] for w in appeals["watch_pages"]] == ["gov-vk"]
    overdue = next(r for r in adm["reasons"] if r["reason"] == "appeals_overdue")
    assert (overdue["status"], overdue["accounts"]) == ("red", ["gov-vk"])
    assert overdue["text"].startswith("watch page gov-vk: 1 appeal past the answer deadline")
    dk = by(result["organizations"], "organization")[DK]
    assert dk["appeals"]["status"] == "yellow" and dk["appeals"]["watch_pages"] == []


def test_a_running_week_waits_yellow_and_the_overdue_one_stays_red(seeded):
    result = report(seeded, Week(2026, 11))
    vk = by(result["accounts"], "account")["adm-vk"]
    appeals = vk["appeals"]
    # #4 fell due on Monday evening and was answered that morning; #5 waits, due tomorrow
    assert (appeals["received"], appeals["due"], appeals["answered_on_time"]) == (1, 1, 1)
    assert appeals["median_response_minutes"] == appeals["max_response_minutes"] == 13 * 60
    assert (appeals["open"], appeals["pending"], appeals["overdue"]) == (1, 1, 0)
    assert appeals["status"] == "yellow"
    pending = next(r for r in vk["reasons"] if r["reason"] == "appeals_pending")
    assert pending["text"] == (
        "1 appeal waiting for an answer, the first due 2026-03-11 08:00 local time"
    )
    adm = by(result["organizations"], "organization")[ADM]
    # gov-vk's appeal is still open: now 3 d 23 h old
    assert adm["appeals"]["overdue"] == 1 and adm["appeals"]["status"] == "red"
    assert adm["appeals"]["max_response_minutes"] == (3 * 24 + 23) * 60


def test_a_week_without_appeals_is_green_and_zero(seeded):
    result = report(seeded, Week(2026, 9))
    for line in result["accounts"] + result["organizations"]:
        assert line["appeals"]["status"] == "green"
        assert (line["appeals"]["received"], line["appeals"]["open"]) == (0, 0)
        assert line["appeals"]["max_response_minutes"] is None
    assert {line["status"] for line in result["organizations"]} <= {"green", "yellow", "red"}


def test_table_json_and_html_show_the_appeals(seeded):
    result = report(seeded, Week(2026, 10))
    table = to_table(result)
    assert "APPEALS" in table
    row = next(line for line in table.splitlines() if line.startswith("adm-vk"))
    assert "4 received, 2/2 on time, 1 h 00 min / 1 h 30 min, 1 open" in row
    assert "appeals_overdue" in to_json(result)
    html = render_html(result)
    assert "Обращения жителей" in html
    assert "получено 4; в срок отвечено 2 из 2" in html
    assert "наблюдаемая страница gov-vk: обращения жителей без ответа после срока: 1" in html
    assert "ответ дан позже срока: 1" in html


def test_the_weekly_summary_carries_the_appeals_and_the_stub_accepts_it(seeded):
    config, store = seeded
    summary = weekly_summary(
        store, config, Week(2026, 10), now=local(FINISHED), page_fields=PAGE_FIELDS
    )
    accounts = by(summary["accounts"], "account")
    assert set(accounts) == {"adm-vk", "dk-tg"}
    assert accounts["adm-vk"]["appeals"] == {
        "received": 4,
        "due": 2,
        "answered_on_time": 2,
        "late": 0,
        "median_response_minutes": 60,
        "max_response_minutes": 90,
        "open": 1,
        "overdue": 0,
    }
    adm = by(summary["organizations"], "name")[ADM]
    assert adm["appeals"]["overdue"] == 1 and adm["status"] == "red"
    assert validate_report(sample_report(compliance=summary)) == []
    broken = sample_report()
    broken["compliance"]["accounts"][0]["appeals"]["open"] = -1
    assert [e["field"] for e in validate_report(broken)] == ["compliance.accounts[0].appeals.open"]
    del broken["compliance"]["accounts"][0]["appeals"]  # optional: an older hub sends none
    assert validate_report(broken) == []
