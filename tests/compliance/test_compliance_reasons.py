"""What a new user's review asked of the report: reasons that say which made a line red and
which only yellow, a status in every check's cell, the removals column for organizations,
«Что исправить» in Russian, a week named by its dates, and tables that fit the screen."""

from __future__ import annotations

import json
import re

import click
import pytest

from hub.compliance import Week, compliance_report
from hub.compliance.html import ORG_COLUMNS, STATUS_SIGN, STATUS_TEXT, render_html, week_words
from hub.compliance.render import WIDTH, to_table
from hub.store import Store
from tests.compliance_seed import ADM, DK, PAGE_FIELDS, SCHOOL, local, seed
from tests.registry.test_registry_export import chromium

FINISHED = "2026-03-10 09:00"  # Tuesday after W10
RANK = {"red": 0, "yellow": 1}


@pytest.fixture(scope="module")
def result(tmp_path_factory) -> dict:
    config = seed(tmp_path_factory.mktemp("compliance-reasons"))
    store = Store.open(config.db_path)
    try:
        return compliance_report(
            store, config, Week(2026, 10), now=local(FINISHED), page_fields=PAGE_FIELDS
        )
    finally:
        store.close()


def by(items: list[dict], key: str) -> dict[str, dict]:
    return {item[key]: item for item in items}


def why_section(report: dict) -> list[str]:
    lines = click.unstyle(to_table(report)).splitlines()
    start = lines.index("Why not green (red: makes the line red; yellow: only yellow):")
    return lines[start + 1 : lines.index("", start)]


# ----------------------------------------------------------------------------- 1. reasons


def test_reasons_carry_their_own_status_worst_first(result):
    accounts = by(result["accounts"], "account")
    ok = accounts["adm-ok"]
    assert [(r["reason"], r["status"]) for r in ok["reasons"]] == [
        ("posts_short", "red"),
        ("page_missing", "red"),
        ("two_factor_off", "red"),
        ("removal_slow", "red"),  # 30 h: over the day
        ("notices_overdue", "red"),
        ("gospabliki_unknown", "yellow"),
        # still up 14 h: under a day, so yellow on its own although the removal check is red
        ("removal_still_up", "yellow"),
    ]
    assert ok["removal"]["status"] == "red"
    # notes keep their meaning and order (English phrases in check order)
    assert ok["notes"][0] == "1 of 2 posts: 1 short" and len(ok["notes"]) == 7
    assert {r["text"] for r in ok["reasons"]} == set(ok["notes"])
    assert [r["status"] for r in accounts["adm-vk"]["reasons"]] == ["yellow"]
    for line in result["accounts"] + result["organizations"]:
        ranks = [RANK[r["status"]] for r in line["reasons"]]
        assert ranks == sorted(ranks), line["reasons"]
        assert bool(line["reasons"]) == (line["status"] != "green")
        if line["reasons"]:
            assert line["reasons"][0]["status"] == line["status"]


def test_organization_reasons_name_the_accounts(result):
    orgs = by(result["organizations"], "organization")
    assert [(r["reason"], r["status"], r.get("accounts")) for r in orgs[ADM]["reasons"]] == [
        ("accounts_not_green", "red", ["adm-ok"]),
        ("notices_overdue", "red", None),
        ("accounts_not_green", "yellow", ["adm-vk"]),
    ]
    assert [r["reason"] for r in orgs[SCHOOL]["reasons"]] == ["no_accounts"]
    assert orgs["Централизованная бухгалтерия"]["reasons"] == []  # exempt: nothing to fix


def test_the_table_leads_each_reason_with_its_status_and_wraps_at_100(result):
    why = why_section(result)
    start = why.index("  adm-ok:")
    block = why[start + 1 : start + 11]
    firsts = [line for line in block if not line.startswith(" " * 12)]
    assert firsts[0] == "    red:    1 of 2 posts: 1 short"
    assert [line.split()[0] for line in firsts] == ["red:"] * 5 + ["yellow:"] * 2
    assert "    yellow: 1 offending comment still up, the oldest 14 h 00 min" in firsts
    assert all(len(line) <= WIDTH for line in why), max(why, key=len)
    # a long reason wraps under its own text, and a command is never cut in two
    assert "            (hub accounts attest adm-ok --2fa)" in why
    assert "  Школа:" in why and "    red:    no official account, and the organization is" in (
        "\n".join(why)
    )
    assert "    red:    account adm-ok (its reasons are listed above)" in why


def test_the_status_words_are_coloured_on_a_terminal(result):
    text = to_table(result)
    assert click.style("red", fg="red", bold=True) + ":    1 of 2 posts" in text
    assert click.style("yellow", fg="yellow", bold=True) + ": Gospabliki" in text


# ----------------------------------------------------------------------------- 2. the page


def cells(html: str, row_start: str) -> list[str]:
    row = next(line for line in html.splitlines() if line.startswith(row_start))
    return re.findall(r"<td[^>]*>.*?</td>", row)


def test_every_check_cell_shows_its_status_with_a_sign_and_a_word(result):
    html = render_html(result)
    ok = by(result["accounts"], "account")["adm-ok"]
    row = cells(html, '<tr><th scope="row"><a href="https://ok.ru/')
    checks = ["posts", "page", "two_factor", "gospabliki", "removal", "appeals", "notices"]
    assert len(row) == len(checks) + 1  # and «Итог»
    for cell, check in zip(row, checks, strict=False):
        status = ok[check]["status"]
        assert f'class="c-{status}"' in cell, (check, cell)
        assert f'<span class="mark" aria-hidden="true">{STATUS_SIGN[status]}</span>' in cell
        assert f'<span class="sr">{STATUS_TEXT[status]}: </span>' in cell
    statuses = ["red", "red", "red", "yellow", "red", "green", "red"]  # no appeals: green
    assert [ok[c]["status"] for c in checks] == statuses
    assert "нарушение</span></td>" in row[-1] and "✗ " in row[-1]
    # the legend names each sign's word for those who see the sign, not the colour
    for status, word in STATUS_TEXT.items():
        assert f"{STATUS_SIGN[status]} </span>{word}</span>" in html


def test_the_organization_table_has_the_removals_column(result):
    html = render_html(result)
    assert "Удаление нарушающих комментариев" in ORG_COLUMNS
    head = re.search(r"<caption[^>]*>Организации</caption>\s*<thead>(.*?)</thead>", html)
    assert head and head.group(1).count('scope="col"') == len(ORG_COLUMNS) == 10
    adm = cells(html, f'<tr><th scope="row">{ADM}</th>')
    assert len(adm) + 1 == len(ORG_COLUMNS)
    removal = adm[ORG_COLUMNS.index("Удаление нарушающих комментариев") - 1]
    # four removed, the slowest 30 h, and adm-ok's comment still up: red as on the account
    assert 'class="c-red"' in removal
    assert "удалено 4, дольше всего — 30 ч 00 мин; ещё не удалено 1" in removal
    dk = cells(html, f'<tr><th scope="row">{DK}</th>')
    assert "нарушающих комментариев не было" in dk[5] and 'class="c-green"' in dk[5]


def test_what_to_fix_is_listed_in_russian_worst_first(result):
    html = render_html(result)
    assert '<h2 id="fix-organizations">Что исправить: организации</h2>' in html
    assert '<h2 id="fix-accounts">Что исправить: страницы</h2>' in html
    entry = re.search(r'<li id="fix-account-2">(.*?)</ul></li>', html).group(1)
    reasons = re.findall(r'<li><span class="st-(\w+)">.*?</span>(\w[^<]*)', entry)
    assert [s for s, _ in reasons] == ["red"] * 5 + ["yellow"] * 2
    text = re.sub(r"<[^>]+>", "", entry)
    assert "✗ нарушение: опубликовано 1 из 2; не хватает 1 публикации" in text
    assert "✗ нарушение: двухфакторная защита выключена" in text
    assert "hub accounts attest adm-ok --2fa" in text
    assert "! требует внимания: не удалено нарушающих комментариев: 1" in text
    org = re.search(r'<li id="fix-org-1">(.*?)</ul></li>', html).group(1)
    assert '<a href="#fix-account-2">adm-ok</a>' in org and "просрочены уведомления в ЦУР" in org
    assert "Все страницы в норме." not in html
    assert "not exempt" not in html and "reasons are listed" not in html  # no English


# ----------------------------------------------------------------------------- 4. the week


@pytest.mark.parametrize(
    "week, words",
    [
        (Week(2026, 10), "с 2 по 8 марта 2026 г."),
        (Week(2026, 49), "с 30 ноября по 6 декабря 2026 г."),  # two months
        (Week(2026, 53), "с 28 декабря 2026 г. по 3 января 2027 г."),  # two years
        (Week(2027, 5), "с 1 по 7 февраля 2027 г."),
        (Week(2026, 22), "с 25 по 31 мая 2026 г."),
    ],
)
def test_a_week_is_named_by_its_dates(week, words):
    assert week_words(week.monday.isoformat(), week.sunday.isoformat()) == words


def test_the_heading_names_the_dates_and_keeps_the_iso_label_small(result):
    html = render_html(result)
    title = "Соблюдение порядка ведения официальных страниц — неделя с 2 по 8 марта 2026 г."
    assert f"<title>{title}</title>" in html
    nbsp = "\u00a0"  # «2026 г.» never splits over two lines
    assert "<h1>" + title.replace(" г.", nbsp + "г.") + "</h1>" in html
    assert '<small class="iso">(Неделя 2026-W10 по ISO 8601.)</small>' in html
    assert "неделя 2026-W10" not in html


# ----------------------------------------------------------------------------- 3. the fit


def test_both_tables_sit_in_a_labelled_scrolling_box(result):
    html = render_html(result)
    for cap in ("cap-organizations", "cap-accounts"):
        assert (
            f'<div class="wrap" role="region" aria-labelledby="{cap}" tabindex="0">\n<table>\n'
            f'<caption id="{cap}">'
        ) in html
    assert html.count('<div class="wrap"') == 2 and html.count("</table>\n</div>") == 2
    assert ".wrap{overflow-x:auto;position:relative" in html
    assert ".wrap tr>:first-child{position:sticky;left:0" in html
    assert "@media (max-width:40rem){.wrap{overflow-x:visible}" in html


PROBE = (
    "<script>var d=document.documentElement,o=[];"
    "document.querySelectorAll('th[scope=col]').forEach(function(e){"
    "if(e.textContent==='Итог')o.push(Math.ceil(e.getBoundingClientRect().right))});"
    "var w=[].map.call(document.querySelectorAll('.wrap'),function(e){"
    "return e.scrollWidth>e.clientWidth?1:0});"
    # text for screen readers is clipped to 1 px, yet a range still measures its glyphs
    "[].forEach.call(document.querySelectorAll('.sr'),function(e){e.remove()});"
    "var f=document.querySelector('tbody th'),g=document.createRange();"
    "g.selectNodeContents(document.body);"
    "document.body.setAttribute('data-fit',JSON.stringify({width:d.clientWidth,"
    "page:d.scrollWidth,right:Math.ceil(g.getBoundingClientRect().right),total:o,scrolls:w,"
    "first:getComputedStyle(f).position}));"
    "</script></body>"
)


def measure(tmp_path, report: dict, width: int) -> dict:
    """Laid out by chromium at ``width`` px; headless windows are at least 500 px wide, so
    a phone is simulated by holding the page itself to the width (as the registry test does)."""
    html = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", render_html(report))
    if width < 500:
        html = html.replace('<html lang="ru">', f'<html lang="ru" style="width:{width}px">')
    probe = tmp_path / f"probe-{width}.html"
    probe.write_text(html.replace("</body>", PROBE), encoding="utf-8")
    out = chromium(
        tmp_path, "--hide-scrollbars", f"--window-size={width},900", "--dump-dom", probe.as_uri()
    ).stdout
    found = re.search(r'data-fit="([^"]*)"', out)
    assert found, out[-2000:]
    return json.loads(found.group(1).replace("&quot;", '"'))


def test_in_a_browser_the_tables_fit_1280_and_scroll_in_their_box_below(result, tmp_path):
    for width in (1280, 1400):
        fit = measure(tmp_path, result, width)
        assert fit["page"] <= fit["width"], fit  # no sideways scroll of the page
        assert len(fit["total"]) == 2 and max(fit["total"]) <= fit["width"], fit  # «Итог» seen
        assert fit["scrolls"] == [0, 0] and fit["first"] == "sticky", fit
    narrow = measure(tmp_path, result, 800)
    assert narrow["page"] <= narrow["width"], narrow  # the page stays put...
    assert 1 in narrow["scrolls"] and narrow["first"] == "sticky", narrow  # ...the box scrolls
    phone = measure(tmp_path, result, 390)
    assert phone["right"] <= 390 and phone["first"] == "static", phone  # cards, nothing sticks out
