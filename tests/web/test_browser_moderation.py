"""Входящие in a real browser (Debian's chromium, issue 16): a moderator moves with j/k and
deletes a queued comment with d — the card says it is deleted, the emulator shows the
comment deleted once, the verdict is done; another moderator sees the current item locked;
a viewer has no buttons and the keys decide nothing. The page runs under the console's
content policy, so a script the policy blocked would show up as a console error here."""

from __future__ import annotations

import pytest

from tests.helpers import TOKEN, TOKEN_ENV
from tests.web.browser import browser, sign_in  # noqa: F401 (a fixture)
from tests.web.test_moderation import deleted_on_vk, deletions, queued, verdict


@pytest.fixture(autouse=True)
def token(monkeypatch):
    """The account's token, for the console's thread (every test starts without HUB_*)."""
    monkeypatch.setenv(TOKEN_ENV, TOKEN)


def _errors(page) -> list[str]:
    errors: list[str] = []

    def on_console(message) -> None:
        if message.type == "error" and "favicon" not in message.location.get("url", ""):
            errors.append(f"{message.text} {message.location}")

    page.on("console", on_console)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "response",
        lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    return errors


def _current(page) -> int:
    return int(page.get_attribute("#queue .card.current[data-id]", "data-id"))


def test_a_moderator_deletes_a_comment_with_the_keyboard_once(world, browser):  # noqa: F811
    page = sign_in(browser, world.url, "moder")
    errors = _errors(page)
    page.reload()
    page.wait_for_selector("#queue .card.current")
    first = _current(page)
    page.wait_for_selector(f"#lock-{first} .lock-mine")  # making it current took its lock
    page.keyboard.press("j")
    page.wait_for_function(
        f"() => document.querySelector('#queue .card.current').dataset.id != '{first}'"
    )
    assert _current(page) != first
    page.keyboard.press("k")
    page.wait_for_function(
        f"() => document.querySelector('#queue .card.current').dataset.id == '{first}'"
    )
    target = next(i for i in queued(world, "acc-1") if "<script>" not in i["text"])
    for _ in range(20):  # j down to the target
        if _current(page) == target["id"]:
            break
        before = _current(page)
        page.keyboard.press("j")
        page.wait_for_function(
            f"() => document.querySelector('#queue .card.current').dataset.id != '{before}'"
        )
    assert _current(page) == target["id"]
    page.wait_for_selector(f"#lock-{target['id']} .lock-mine")
    sent = deletions(world)
    page.keyboard.press("d")
    result = page.wait_for_selector(f"#item-{target['id']}.result")
    assert "удалён" in result.inner_text()
    assert deleted_on_vk(world, "acc-1", target["comment"])
    assert deletions(world) == sent + 1  # deleted once
    assert verdict(world, target["id"])["status"] == "done"
    assert verdict(world, target["id"])["decided_by"] == "operator:moder"
    page.wait_for_selector("#queue .card.current[data-id]")  # the next item is current
    page.keyboard.press("d")  # the next card's decision, not the deleted one's again
    page.wait_for_function("() => document.querySelectorAll('#queue .card.result').length == 2")
    assert deletions(world) == sent + 2
    assert (
        world.emu.snapshot()["communities"][str(world.emu.community_ids()[0])]["deleted_by"][
            str(target["comment"])
        ]
        == "api"
    )
    assert not errors, errors


def test_another_moderator_sees_the_item_locked(world, browser):  # noqa: F811
    moder = sign_in(browser, world.url, "moder")
    moder.wait_for_selector("#queue .card.current")
    held = _current(moder)
    moder.wait_for_selector(f"#lock-{held} .lock-mine")
    other = sign_in(browser, world.url, "moder2")
    card = other.wait_for_selector(f"#item-{held}")
    assert "locked" in card.get_attribute("class")
    assert "открыт модератором moder" in card.inner_text()
    assert _current(other) != held  # moder2 starts on a free item


def test_a_viewer_has_no_buttons_and_the_keys_decide_nothing(world, browser):  # noqa: F811
    page = sign_in(browser, world.url, "viewer")
    page.wait_for_selector("#queue .card")
    assert page.locator("#queue button").count() == 0
    assert page.locator("form#bulk").count() == 0
    first = int(page.get_attribute("#queue .card[data-id]", "data-id"))
    sent = deletions(world)
    for key in ("d", "a", "b"):
        page.keyboard.press(key)
    page.wait_for_timeout(300)
    assert verdict(world, first)["status"] == "queued" and deletions(world) == sent
