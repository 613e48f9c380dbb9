"""``hub compliance`` as a person runs it: table, JSON, the Russian page, and bad input."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime

import click
import pytest

from hub.compliance import Week, compliance_report, week_of
from hub.compliance.html import render_html
from hub.compliance.render import to_table
from hub.store import Store
from tests.cli.test_cli import hub
from tests.compliance_seed import CANARY, PAGE_FIELDS, VLADIVOSTOK, local, seed

ENV = {"HUB_TEST_VK": CANARY, "HUB_TEST_OK": CANARY, "HUB_TEST_TG": CANARY}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("compliance-cli")
    seed(folder)
    return folder


def run(world, *args, config: str | None = None):
    path = config or str(world / "hub.toml")
    return hub("--config", path, "compliance", *args, env_extra=ENV)


def test_table_json_and_html_of_a_seeded_week(world):
    outputs = []
    table = run(world, "--week", "2026-W10")
    assert table.returncode == 0, table.stderr  # red lines are news, not a failure
    outputs += [table.stdout, table.stderr]
    lines = table.stdout.splitlines()
    assert lines[0].startswith("Compliance, week 2026-W10 (Mon 2026-03-02 – Sun 2026-03-08")
    assert "\x1b[" not in table.stdout  # no colour codes in a pipe
    rows = {line.split()[0]: line.split() for line in lines if line.startswith(("adm-", "dk-"))}
    assert rows["adm-vk"][2] == "2/2" and rows["adm-vk"][-1] == "yellow"
    assert rows["adm-ok"][2] == "1/2" and rows["adm-ok"][-1] == "red"
    assert any(line.startswith("Школа ") and line.endswith("red") for line in lines)
    assert "  adm-ok:\n    red:    1 of 2 posts: 1 short\n" in table.stdout

    as_json = run(world, "--week", "2026-W10", "--format", "json")
    assert as_json.returncode == 0, as_json.stderr
    outputs += [as_json.stdout, as_json.stderr]
    report = json.loads(as_json.stdout)
    assert report["schema"] == "pablik-hub/compliance@1"
    assert (report["week"], report["time_zone"]) == ("2026-W10", "Asia/Vladivostok")
    accounts = {a["account"]: a for a in report["accounts"]}
    assert accounts["adm-vk"]["removal"]["median_seconds"] == 1800
    assert accounts["dk-tg"]["posts"]["count"] == 3
    assert set(accounts["adm-ok"]) >= {"status", "notes", "posts", "page", "removal", "notices"}

    page = run(world, "--week", "2026-W10", "--format", "html")
    assert page.returncode == 0, page.stderr
    outputs += [page.stdout, page.stderr]
    html = page.stdout
    assert html.startswith("<!DOCTYPE html>") and '<html lang="ru">' in html
    assert html.count("<caption") == 2 and 'scope="col"' in html and 'scope="row"' in html
    assert "нарушение" in html and "требует внимания" in html and "в норме" in html
    assert "default-src 'none'" in html
    assert "<script" not in html and "<link" not in html and "src=" not in html
    assert "к воскресенью" not in html  # a finished week has no forecast
    assert "не хватает 1 публикации" in html

    for text in outputs:
        assert "CANARY" not in text
    conn = sqlite3.connect(world / "hub.db")
    assert "CANARY" not in "\n".join(conn.iterdump())


def test_the_default_week_is_the_current_one_in_the_zone(world):
    before = week_of(datetime.now(UTC), VLADIVOSTOK)
    result = run(world)
    after = week_of(datetime.now(UTC), VLADIVOSTOK)
    assert result.returncode == 0, result.stderr
    assert any(f"week {w.label} " in result.stdout.splitlines()[0] for w in (before, after))


@pytest.mark.parametrize(
    "args, message",
    [
        (["--week", "2026-W54"], "hub: error: --week must look like 2026-W49"),
        (["--week", "2026-10"], "hub: error: --week must look like 2026-W49"),
        (["--format", "xml"], "hub: error: --format must be table, json or html, not 'xml'"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(world, args, message):
    result = run(world, *args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith(message)


@pytest.mark.parametrize(
    "old, new, message",
    [
        ("[plan]", "[compliance]\nremoval_green_minutes = 0\n\n[plan]", "removal_green_minutes"),
        ("[plan]", "[compliance]\nremoval_hours = 1\n\n[plan]", "unknown key 'removal_hours'"),
        ("Asia/Vladivostok", "Mars/Olympus", "is not a known time zone"),
        ("posts_per_week = 3", "posts_per_week = 0", "posts_per_week must be a whole number"),
    ],
)
def test_a_broken_config_is_one_line(world, tmp_path, old, new, message):
    text = (world / "hub.toml").read_text(encoding="utf-8")
    text = text.replace('path = "hub.db"', f'path = "{world / "hub.db"}"')
    config = tmp_path / "hub.toml"
    config.write_text(text.replace(old, new, 1), encoding="utf-8")
    result = run(world, "--week", "2026-W10", config=str(config))
    assert result.returncode == 2, result.stdout
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr


def test_colour_on_a_terminal_only(tmp_path):
    config = seed(tmp_path)
    store = Store.open(config.db_path)
    try:
        report = compliance_report(
            store, config, Week(2026, 10), now=local("2026-03-10 09:00"), page_fields=PAGE_FIELDS
        )
    finally:
        store.close()
    text = to_table(report)
    assert "\x1b[31m" in text and "\x1b[33m" in text  # red and yellow words, for a tty
    assert click.unstyle(text).splitlines()[3].split()[-1] == "yellow"  # adm-vk


def test_html_escapes_what_comes_from_pages_and_config(tmp_path):
    config = seed(tmp_path)
    store = Store.open(config.db_path)
    try:
        report = compliance_report(
            store, config, Week(2026, 11), now=local("2026-03-12 12:00"), page_fields=PAGE_FIELDS
        )
    finally:
        store.close()
    report["accounts"][0]["title"] = '<img src=x onerror="alert(1)">'
    report["organizations"][0]["organization"] = "<b>Админ & Ко</b>"
    html = render_html(report)
    assert "<img" not in html and "<b>Админ" not in html
    assert "&lt;img src=x" in html and "&lt;b&gt;Админ &amp; Ко&lt;/b&gt;" in html
    assert "к воскресенью не хватит 1 публикации" in html  # adm-ok, mid-week
    assert "к воскресенью не хватит 3 публикаций" in html  # dk-tg
    assert "сведения на 2026-03-12 12:00 по местному времени" in html


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_status_colours_pass_wcag_aa_contrast():
    from hub.compliance.html import STATUS_COLOURS

    for text, background in STATUS_COLOURS.values():
        light, dark = sorted([_luminance(text), _luminance(background)], reverse=True)
        assert (light + 0.05) / (dark + 0.05) >= 4.5
