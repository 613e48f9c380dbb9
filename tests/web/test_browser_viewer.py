"""A viewer — the regional centre watching every organization — in a real browser (issue 16):
every screen of the menu opens, and none shows a button or form that changes anything; only
"Выйти" is there to press."""

from __future__ import annotations

from tests.web.browser import browser, sign_in  # noqa: F401 (a fixture)
from tests.web.conftest import signed_in

#: what could change something: a POST form (but signing out), HTMX writes; a GET filter is fine
ACTIONS = (
    "form[method=post]:not([action='/logout']), form[method=POST]:not([action='/logout']), "
    "[hx-post], [hx-put], [hx-patch], [hx-delete]"
)


def test_a_viewer_sees_every_screen_and_no_action(world, browser):  # noqa: F811
    page = sign_in(browser, world.url, "viewer")
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    menu = [a.get_attribute("href") for a in page.query_selector_all("header.top nav a")]
    assert menu == ["/moderation", "/appeals", "/plan", "/compliance", "/registry", "/accounts"]
    for href in menu:
        answer = page.goto(world.url + href)
        assert answer.status == 200, href
        found = page.query_selector_all(ACTIONS)
        described = [f.evaluate("e => e.outerHTML.slice(0, 120)") for f in found]
        assert not described, (href, described)
    assert not errors


def test_the_same_screens_offer_actions_to_an_admin(world):
    """The check above can fail: the admin's pages do carry the forms the viewer's lack."""
    client = signed_in(world, "admin")
    for href in ("/moderation", "/plan", "/accounts"):  # /appeals: tests/web/test_appeals.py
        page = client.get(href).text
        assert "<form" in page.replace('action="/logout"', "") or "hx-post" in page, href
