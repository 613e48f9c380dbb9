"""The compliance page for a week before the hub watched a page: «не оценивается», not «в норме».

The report marks such a line ``judged: false`` (tests/compliance/test_compliance_first_week.py) with
every status green, and the page showed those greens as «в норме»: a claim the hub could
not make. It now marks each check and the «Итог» «не оценивается», with the reason.
"""

from __future__ import annotations

import re

import pytest

from hub.compliance import Week, compliance_report
from hub.compliance.html import render_html
from hub.store import Store
from tests.compliance.test_compliance_first_week import first_sync
from tests.compliance_seed import PAGE_FIELDS, local, seed, sync_run


@pytest.fixture
def seeded(tmp_path):
    config = seed(tmp_path)
    store = Store.open(config.db_path)
    yield config, store
    store.close()


def _rows(page: str, caption: str) -> dict[str, str]:
    table = page.split(f">{caption}</caption>", 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</tr>", table, re.S)
    return {re.sub(r"<[^>]+>", "", row.split("</th>")[0]).strip(): row for row in rows}


def test_a_week_before_the_install_is_not_shown_as_in_the_norm(seeded):
    config, store = seeded
    report = compliance_report(
        store, config, Week(2026, 5), now=local("2026-03-10 09:00"), page_fields=PAGE_FIELDS
    )
    page = render_html(report)
    accounts = _rows(page, "Официальные страницы")
    assert len(accounts) == 3
    for row in accounts.values():
        assert "в норме" not in row and row.count("не оценивается") == 8  # 7 checks + «Итог»
        assert "первая синхронизация — 02.02.2026" in row
    for row in _rows(page, "Организации").values():
        assert "в норме" not in row and "нарушение" not in row
        assert "неделя закончилась до установки Pablik Hub" in row
    assert "не оцениваются — 3" in page and "в норме — 0" in page


def test_an_account_that_joined_later_is_not_judged_the_others_are(seeded):
    config, store = seeded
    first_sync(store, "dk-tg", "2026-03-10 09:00")  # W11: W10 ended before it was watched
    sync_run(store, "dk-tg", "2026-03-10 09:00")
    report = compliance_report(
        store, config, Week(2026, 10), now=local("2026-03-16 09:00"), page_fields=PAGE_FIELDS
    )
    accounts = {a["account"]: a for a in report["accounts"]}
    assert accounts["dk-tg"]["judged"] is False
    rows = _rows(render_html(report), "Официальные страницы")
    late = next(row for row in rows.values() if "dk-tg" in row)
    assert "в норме" not in late and "не оценивается" in late
    assert "первая синхронизация — 10.03.2026" in late
    judged = [row for row in rows.values() if "dk-tg" not in row]
    assert judged and all("не оценивается" not in row for row in judged)
