"""A real headless browser for the console's tests: Debian's chromium (``/usr/bin/chromium``,
installed by ``.ci/run``), driven by Playwright's Python package with ``executable_path``;
nothing downloads a browser. The flags keep chromium off this machine's closed network.

Use::

    from tests.web.browser import browser  # noqa: F401 (the fixture)

    def test_x(world, browser):
        page = browser.new_page()
        sign_in(page, world.url, "moder")
"""

from __future__ import annotations

import shutil

import pytest

from tests.web.conftest import PASSWORD

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    """One chromium per module; each test opens its own context (its own cookies)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


def sign_in(browser, url: str, login: str, password: str = PASSWORD):
    """A new context signed in as ``login`` through the form; its page, on the home screen."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ru-RU")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(url + "/login")
    page.fill("#login", login)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda u: "/login" not in u)
    return page
