"""The sign-in form in a real browser (Debian's chromium): a wrong password is a message on
the page, the right one lands on the review queue, signing out ends the session."""

from __future__ import annotations

from tests.web.browser import browser, sign_in  # noqa: F401 (a fixture)


def test_signing_in_and_out_in_a_browser(world, browser):  # noqa: F811
    context = browser.new_context()
    page = context.new_page()
    page.goto(world.url + "/moderation")
    assert "/login" in page.url
    page.fill("#login", "viewer")
    page.fill("#password", "not the password")
    page.click("button[type=submit]")
    assert "неверный логин или пароль" in page.inner_text(".flash.error")
    page.close()
    page = sign_in(browser, world.url, "viewer")
    assert page.url.endswith("/moderation")
    assert "viewer" in page.inner_text("header.top")
    page.click("text=Выйти")
    page.wait_for_url(lambda u: "/login" in u)
    page.goto(world.url + "/moderation")
    assert "/login" in page.url
