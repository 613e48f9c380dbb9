"""«Контент-план» in a real browser (Debian's chromium): an author writes a draft through the
form, an approver in another browser context approves it and publishes it, and the VK
emulator shows exactly one new post with that text; a viewer sees no button that changes
anything, and moves between weeks from the keyboard."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from hub.config import load_config
from hub.plan import drafts
from tests.helpers import TOKEN, TOKEN_ENV
from tests.web.browser import browser, sign_in  # noqa: F401 (a fixture)
from tests.web.test_plan import world  # noqa: F401 (this screen's world: drafts, no queue)

TEXT = "Субботник в сквере у школы — в субботу в 10:00. Перчатки и мешки выдадим."


def test_a_draft_written_approved_and_published_goes_out_once(world, browser, monkeypatch):  # noqa: F811
    monkeypatch.setenv(TOKEN_ENV, TOKEN)  # every test starts without HUB_* variables
    before = world.wall_texts("acc-1").count(TEXT)

    author = sign_in(browser, world.url, "author")
    author.goto(world.url + "/plan")
    author.click("#new-draft")
    author.wait_for_url(re.compile(r"/plan/new$"))
    author.fill("#title", "Субботник")
    author.fill("#text", TEXT)
    author.check('input[name=account][value="acc-1"]')
    author.click("#save")
    author.wait_for_url(re.compile(r"/plan/drafts/\d+\?done=created$"))
    assert "записан" in author.inner_text(".flash.ok")
    assert author.inner_text("#draft-state") == "черновик, ждёт согласования"
    assert author.locator("#approve").count() == 0  # an author does not approve
    draft_url = author.url.split("?")[0]

    approver = sign_in(browser, world.url, "approver")
    approver.goto(draft_url)
    assert approver.locator("#edit-draft").count() == 0  # an approver does not write
    approver.click("#approve")
    approver.wait_for_url(re.compile(r"\?done=approved$"))
    assert approver.inner_text("#draft-state") == "согласован"
    approver.click("#publish")
    approver.wait_for_load_state()
    assert "acc-1: опубликован" in approver.inner_text(".flash.ok")
    assert approver.inner_text("#draft-state") == "опубликован"
    link = approver.locator("#targets a").first.get_attribute("href")
    assert link and link.startswith("http")

    assert world.wall_texts("acc-1").count(TEXT) == before + 1  # out once
    author.reload()
    assert author.inner_text("#draft-state") == "опубликован"
    assert author.locator(f'#targets a[href="{link}"]').count() == 1
    author.context.close()
    approver.context.close()


def test_a_viewer_sees_no_button_and_moves_between_weeks_by_keyboard(world, browser):  # noqa: F811
    viewer = sign_in(browser, world.url, "viewer")
    viewer.goto(world.url + "/plan")
    assert viewer.locator("main form, main button, #new-draft").count() == 0
    heading = viewer.inner_text("h1")
    viewer.keyboard.press("]")
    viewer.wait_for_url(re.compile(r"/plan\?week=\d{4}-\d{2}-\d{2}$"))
    assert viewer.inner_text("h1") != heading
    viewer.keyboard.press("[")
    viewer.wait_for_url(re.compile(r"/plan\?week="))
    assert viewer.inner_text("h1") == heading
    store = world.store()
    try:
        config = load_config(world.config_path)
        draft, _ = drafts.add_draft(
            store, world.console.pm, config, accounts=[config.account("acc-1")],
            text="Черновик, который наблюдатель только читает.",
            publish_at=datetime.now(UTC) + timedelta(days=1), created_by="author",
        )  # fmt: skip
    finally:
        store.close()
    viewer.goto(f"{world.url}/plan/drafts/{draft.id}")
    assert "только читает" in viewer.inner_text("#draft-text")
    assert viewer.locator("main form, main button, #edit-draft").count() == 0
    viewer.context.close()
