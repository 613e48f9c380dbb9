"""Аккаунты in a real browser (Debian's chromium): "sync now" and "check" swap the
account's rows in place over HTMX (the CSRF header sent by console.js, no inline
script), the page stays where it was; a viewer sees no button at all."""

from __future__ import annotations

import pytest

from tests.helpers import TOKEN, TOKEN_ENV
from tests.web.browser import browser, sign_in  # noqa: F401 (a fixture)


@pytest.fixture(autouse=True)
def token(monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, TOKEN)


def test_sync_now_and_check_answer_in_the_accounts_row(world, browser):  # noqa: F811
    page = sign_in(browser, world.url, "admin")
    problems: list[str] = []
    page.on(
        "response",
        lambda r: (
            problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(world.url + "/accounts")
    row = page.locator('tbody[data-account="acc-1"]')
    row.get_by_role("button", name="Синхронизировать сейчас").click()
    row.locator("tr.result").wait_for()
    assert "Синхронизация завершена" in row.locator("tr.result").inner_text()
    assert page.url.endswith("/accounts")
    row = page.locator('tbody[data-account="acc-1"]')  # swapped: look it up again
    row.get_by_role("button", name="Проверить").click()
    page.locator('tbody[data-account="acc-1"] tr.result', has_text="Проверка").wait_for()
    assert "Проверка: всё в порядке" in row.locator("tr.result").inner_text()
    assert page.locator('tbody[data-account="acc-2"] tr.result').count() == 0
    assert not problems, problems


def test_a_viewer_sees_the_health_but_no_button(world, browser):  # noqa: F811
    page = sign_in(browser, world.url, "viewer")
    page.goto(world.url + "/accounts")
    assert page.locator("tbody.account").count() == 2
    assert page.locator("main button").count() == 0
    assert page.locator("main form").count() == 0
