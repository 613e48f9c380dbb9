"""The appeals inbox in the console (issue 17): due first and scoped to the operator's
organizations; answering from the page goes through the reply outbox once, even on a double
click; closing needs a reason; a viewer sees no form and is refused; text is escaped."""

from __future__ import annotations

import threading

import httpx
import pytest

from hub.appeals import service
from hub.config import load_config
from hub.store import Store
from hub.web.console import Console
from hub_vk.emulator import VkEmulator
from tests.helpers import TOKEN, TOKEN_ENV, sync, write_config
from tests.web.conftest import ServedConsole, add_operators, form, moderate, signed_in

QUESTIONS = (
    "Подскажите, когда починят дорогу на Садовой?",
    "Когда будет вода на улице Ленина? <script>alert(1)</script>",
    "Прошу убрать мусор во дворе дома 3",
)


@pytest.fixture(autouse=True)
def token(monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, TOKEN)


@pytest.fixture(scope="module")
def inbox(tmp_path_factory):
    folder = tmp_path_factory.mktemp("appeals-web")
    with (
        VkEmulator(
            seed=21, communities=2, posts=4, comments=2, rate_limit=0, tokens=[TOKEN]
        ) as emu,
        pytest.MonkeyPatch.context() as mp,
    ):
        mp.setenv(TOKEN_ENV, TOKEN)
        mp.setenv("HUB_SECRETS", str(folder / "hub.secrets.json"))
        path = write_config(folder, emu)
        sync(path)
        moderate(path)
        for gid in emu.community_ids():
            post = max(int(p) for p in emu.snapshot()["communities"][str(gid)]["posts"])
            for n, text in enumerate(QUESTIONS):
                emu.add_comment(gid, post, text, from_id=630001 + n)
        sync(path)
        moderate(path)
        add_operators(path)
        console = Console(str(path))
        served = ServedConsole(console).start()
        try:
            yield emu, path, served.url
        finally:
            served.stop()
            console.close()


class World:
    def __init__(self, url):
        self.url = url


def _appeals(path, account=None):
    store = Store.open(load_config(path).db_path)
    try:
        return service.list_appeals(store, accounts=[account] if account else None, limit=0)
    finally:
        store.close()


def test_the_inbox_lists_open_appeals_escaped_and_scoped(inbox):
    _emu, path, url = inbox
    page = signed_in(World(url), "moder").get("/appeals").text
    assert page.count('class="card"') == 6
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    limited = signed_in(World(url), "moder-org1").get("/appeals").text
    assert limited.count('class="card"') == 3 and "acc-2" not in limited


def test_a_viewer_sees_no_form_and_is_refused(inbox):
    _emu, path, url = inbox
    client = signed_in(World(url), "viewer")
    page = client.get("/appeals").text
    assert "/answer" not in page and "/close" not in page
    appeal = _appeals(path, "acc-1")[0]
    refused = client.post(
        f"/appeals/{appeal['id']}/close", data={"csrf": form(client, "/appeals"), "reason": "x"}
    )
    assert refused.status_code == 403
    assert _appeals(path, "acc-1")[0]["status"] == "open"


def test_a_post_without_csrf_is_refused(inbox):
    _emu, path, url = inbox
    appeal = _appeals(path, "acc-1")[0]
    answer = signed_in(World(url), "moder").post(
        f"/appeals/{appeal['id']}/close", data={"reason": "дубликат"}
    )
    assert answer.status_code == 403


def test_another_organization_s_appeal_is_not_found(inbox):
    _emu, path, url = inbox
    other = _appeals(path, "acc-2")[0]
    client = signed_in(World(url), "moder-org1")
    answer = client.post(
        f"/appeals/{other['id']}/close",
        data={"csrf": form(client, "/appeals"), "reason": "дубликат"},
    )
    assert answer.status_code == 404
    assert _appeals(path, "acc-2")[0]["status"] == "open"


def test_closing_needs_a_reason_then_closes(inbox):
    _emu, path, url = inbox
    appeal = _appeals(path, "acc-2")[-1]
    client = signed_in(World(url), "moder")
    token = form(client, "/appeals")
    empty = client.post(f"/appeals/{appeal['id']}/close", data={"csrf": token, "reason": ""})
    assert empty.status_code == 400 and "укажите причину" in empty.text
    done = client.post(f"/appeals/{appeal['id']}/close", data={"csrf": token, "reason": "дубликат"})
    assert done.status_code == 303
    closed = [a for a in _appeals(path, "acc-2") if a["id"] == appeal["id"]][0]
    assert (closed["status"], closed["closed_by"]) == ("closed", "moder")


def test_a_double_click_on_answer_posts_once(inbox):
    emu, path, url = inbox
    appeal = _appeals(path, "acc-1")[0]
    client = signed_in(World(url), "moder")
    token = form(client, "/appeals")
    text = "Ремонт дороги запланирован на май, спасибо за обращение."
    results = []

    def click():
        with httpx.Client(base_url=url, cookies=client.cookies, timeout=20) as c:
            results.append(
                c.post(f"/appeals/{appeal['id']}/answer", data={"csrf": token, "text": text})
            )

    threads = [threading.Thread(target=click) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status_code for r in results)[0] == 303
    store = Store.open(load_config(path).db_path)
    try:
        sent = store.db.execute(
            "SELECT COUNT(*) FROM actions WHERE kind = 'reply_comment' AND params_json LIKE ?",
            [f"%{text[:20]}%"],
        ).fetchone()[0]
    finally:
        store.close()
    assert sent == 1
    answered = [a for a in _appeals(path, "acc-1") if a["id"] == appeal["id"]][0]
    assert (answered["status"], answered["answered_by"]) == ("answered", "moder")
    again = client.post(f"/appeals/{appeal['id']}/answer", data={"csrf": token, "text": text})
    assert "уже не открыто" in again.text
