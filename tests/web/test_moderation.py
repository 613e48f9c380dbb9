"""Входящие over loopback (issue 16): the queue with its context, escaped; decisions by the
library under the operator's login, each sent once however often a stale page repeats it;
roles, CSRF, scope, locks between moderators, bulk actions, replies and paging.

The world is shared by the module and decisions consume its items, so each test takes a
still-queued item of its own (:func:`queued`)."""

from __future__ import annotations

import re

import pytest

from hub.plan import replies
from tests.helpers import TOKEN, TOKEN_ENV
from tests.web.conftest import form, signed_in

HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def token(monkeypatch):
    """The account's token, for the console's thread (every test starts without HUB_*)."""
    monkeypatch.setenv(TOKEN_ENV, TOKEN)


def queued(world, account: str = "acc-1", text: str | None = None) -> list[dict]:
    """The still-queued items of the account (oldest first), with their comment and author."""
    store = world.store()
    try:
        rows = store.db.execute(
            "SELECT v.id, c.network_id, c.author_id, c.text FROM verdicts v "
            "JOIN comments c ON c.id = v.comment_id WHERE v.status = 'queued' "
            "AND v.account_id = ? ORDER BY v.id",
            [account],
        ).fetchall()
    finally:
        store.close()
    items = [dict(zip(("id", "comment", "author", "text"), r, strict=True)) for r in rows]
    return [i for i in items if text is None or text in (i["text"] or "")]


def take(world, account: str = "acc-1", *, script: bool = False) -> dict:
    """One still-queued item (never the markup one, which the escaping test reads)."""
    items = [i for i in queued(world, account) if ("<script>" in i["text"]) == script]
    assert items, f"no queued item left on {account}"
    return items[0]


def verdict(world, item_id: int) -> dict:
    store = world.store()
    try:
        row = store.db.execute(
            "SELECT status, decision, decided_by, restrict_action FROM verdicts WHERE id = ?",
            [item_id],
        ).fetchone()
    finally:
        store.close()
    return dict(zip(("status", "decision", "decided_by", "restrict_action"), row, strict=True))


def group_id(world, account: str) -> int:
    return world.emu.community_ids()[int(account.rsplit("-", 1)[1]) - 1]


def deletions(world) -> int:
    return world.emu.stats()["by_method"].get("wall.deleteComment", 0)


def deleted_on_vk(world, account: str, comment: int) -> bool:
    community = world.emu.snapshot()["communities"][str(group_id(world, account))]
    return comment in community["deleted_comments"]


def post(client, path: str, data: dict | None = None, *, htmx: bool = False, token: str = ""):
    token = token or form(client, "/moderation")
    return client.post(path, data={"csrf": token, **(data or {})}, headers=HTMX if htmx else {})


def card_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<article class="card[^"]*" id="item-(\d+)"', html)]


def test_the_queue_is_oldest_first_with_the_total_and_each_items_context(world):
    client = signed_in(world, "moder")
    page = client.get("/moderation")
    assert page.status_code == 200
    ids = card_ids(page.text)
    assert ids and ids == sorted(ids)
    total = len(queued(world, "acc-1")) + len(queued(world, "acc-2"))
    assert f"В очереди: {total}" in page.text
    assert "<mark>" in page.text  # the matched words
    assert "Автор здесь:" in page.text and "Причина:" in page.text and "Пост:" in page.text
    assert "https://vk.com/wall-" in page.text  # the post's link, from the posts table
    assert "<kbd>d</kbd>" in page.text and "Удалить выбранные" in page.text
    only = client.get("/moderation?account=acc-2")
    assert set(card_ids(only.text)) == {i["id"] for i in queued(world, "acc-2")}
    assert client.get("/moderation?category=nonsense").status_code == 400


def test_a_comment_that_is_markup_shows_as_text(world):
    client = signed_in(world, "moder")
    page = client.get("/moderation").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert" not in page


@pytest.mark.parametrize("login", ["viewer", "author", "approver"])
def test_roles_without_moderate_read_the_queue_without_any_action(world, login):
    client = signed_in(world, login)
    page = client.get("/moderation")
    assert page.status_code == 200 and card_ids(page.text)
    assert 'hx-post="/moderation' not in page.text
    assert 'action="/moderation/' not in page.text and "Удалить выбранные" not in page.text
    assert 'data-moderate="0"' in page.text and "<kbd>d</kbd>" not in page.text
    item = take(world)
    before = deletions(world)
    for verb in ("delete", "keep", "ban", "lock", "reply"):
        answer = post(client, f"/moderation/{item['id']}/{verb}", {"template": "x"})
        assert answer.status_code == 403, verb
    assert (
        post(client, "/moderation/bulk", {"action": "keep", "ids": item["id"]}).status_code == 403
    )
    assert verdict(world, item["id"])["status"] == "queued" and deletions(world) == before


def test_every_post_without_the_csrf_token_is_refused(world):
    client = signed_in(world, "moder")
    item = take(world)
    before = deletions(world)
    paths = [f"/moderation/{item['id']}/{v}" for v in ("delete", "keep", "ban", "lock", "unlock")]
    paths += [f"/moderation/{item['id']}/reply", "/moderation/bulk"]
    for path in paths:
        data = {"ids": str(item["id"]), "action": "delete", "template": "x"}
        assert client.post(path, data=data).status_code == 403, path
        assert client.post(path, data={**data, "csrf": "forged"}).status_code == 403, path
    assert verdict(world, item["id"])["status"] == "queued" and deletions(world) == before


def test_an_operator_limited_to_an_organization_sees_and_acts_on_its_accounts_only(world):
    client = signed_in(world, "moder-org1")
    page = client.get("/moderation").text
    mine, theirs = queued(world, "acc-1"), queued(world, "acc-2")
    assert set(card_ids(page)) == {i["id"] for i in mine}
    assert "acc-2" not in page
    assert client.get("/moderation?account=acc-2").status_code == 404
    other = take(world, "acc-2")
    before = deletions(world)
    for verb in ("delete", "keep", "ban", "lock"):
        answer = post(client, f"/moderation/{other['id']}/{verb}")
        assert answer.status_code == 404 and "не найден" in answer.text, verb
    bulk = post(client, "/moderation/bulk", {"action": "keep", "ids": [str(other["id"])]})
    assert "не найден" in bulk.text
    assert verdict(world, other["id"])["status"] == "queued" and deletions(world) == before
    assert len(theirs) == len(queued(world, "acc-2"))


def test_an_unknown_item_is_not_found(world):
    client = signed_in(world, "moder")
    answer = post(client, "/moderation/999999/delete")
    assert answer.status_code == 404 and "#999999 не найден" in answer.text
    huge = post(client, f"/moderation/{10**30}/keep")
    assert huge.status_code == 404
    bulk = post(client, "/moderation/bulk", {"action": "keep", "ids": [str(10**30)]})
    assert bulk.status_code == 409 and "не номер элемента" in bulk.text


def test_delete_is_sent_once_however_often_a_stale_page_repeats_it(world):
    client = signed_in(world, "moder")
    item = take(world)
    token = form(client, "/moderation")
    before = deletions(world)
    first = post(client, f"/moderation/{item['id']}/delete", htmx=True, token=token)
    assert first.status_code == 200
    assert f'id="item-{item["id"]}"' in first.text and "удалён" in first.text
    assert deleted_on_vk(world, "acc-1", item["comment"])
    assert deletions(world) == before + 1
    assert verdict(world, item["id"])["status"] == "done"
    assert verdict(world, item["id"])["decided_by"] == "operator:moder"
    assert verdict(world, item["id"])["restrict_action"] == "none"  # a first offence: no ban
    assert not world.emu.ban_exists(group_id(world, "acc-1"), item["author"])
    again = post(client, f"/moderation/{item['id']}/delete", htmx=True, token=token)
    assert again.status_code == 200 and "уже решено: удалён, модератор moder" in again.text
    plain = post(client, f"/moderation/{item['id']}/ban", token=token)  # a stale page, no JS
    assert plain.status_code == 409 and "уже решено" in plain.text
    other = signed_in(world, "moder2")
    assert "уже решено" in post(other, f"/moderation/{item['id']}/keep").text
    assert deletions(world) == before + 1  # nothing sent twice
    assert verdict(world, item["id"])["status"] == "done"
    assert item["id"] not in card_ids(client.get("/moderation").text)
    store = world.store()
    try:
        actors = [
            r[0]
            for r in store.db.execute(
                "SELECT actor FROM moderation_log WHERE event = 'operator:delete' "
                "AND comment_id = (SELECT comment_id FROM verdicts WHERE id = ?)",
                [item["id"]],
            )
        ]
        lock = store.db.execute(
            "SELECT COUNT(*) FROM review_locks WHERE verdict_id = ?", [item["id"]]
        ).fetchone()[0]
    finally:
        store.close()
    assert actors == ["operator:moder"] and lock == 0  # recorded once; the lock ended


def test_keep_sends_nothing_and_records_the_operator(world):
    client = signed_in(world, "moder")
    item = take(world, "acc-2")
    before = deletions(world)
    answer = post(client, f"/moderation/{item['id']}/keep", htmx=True)
    assert answer.status_code == 200 and "оставлен" in answer.text
    assert verdict(world, item["id"]) == {
        "status": "rejected",
        "decision": "keep",
        "decided_by": "operator:moder",
        "restrict_action": verdict(world, item["id"])["restrict_action"],
    }
    assert deletions(world) == before and not deleted_on_vk(world, "acc-2", item["comment"])


def test_delete_and_restrict_bans_the_author_even_on_a_first_offence(world):
    client = signed_in(world, "admin")
    item = take(world, "acc-2")
    gid = group_id(world, "acc-2")
    assert not world.emu.ban_exists(gid, item["author"])
    answer = post(client, f"/moderation/{item['id']}/ban", htmx=True)
    assert answer.status_code == 200 and "удалён, автору" in answer.text, answer.text
    assert world.emu.ban_exists(gid, item["author"])
    assert deleted_on_vk(world, "acc-2", item["comment"])
    state = verdict(world, item["id"])
    assert state["status"] == "done" and state["restrict_action"] in ("ban", "mute")
    assert state["decided_by"] == "operator:admin"


def test_an_item_open_by_one_moderator_is_refused_to_another(world):
    moder, moder2 = signed_in(world, "moder"), signed_in(world, "moder2")
    item = take(world, "acc-2")
    taken = post(moder, f"/moderation/{item['id']}/lock", htmx=True)
    assert taken.status_code == 200 and "открыт вами" in taken.text
    page = moder2.get("/moderation").text
    card = re.search(rf'<article class="([^"]*)" id="item-{item["id"]}".*?</article>', page, re.S)
    assert card and card.group(1) == "card locked"
    assert "открыт модератором moder" in card.group(0)
    before = deletions(world)
    for verb in ("delete", "keep", "ban"):
        refused = post(moder2, f"/moderation/{item['id']}/{verb}")
        assert refused.status_code == 400 and "открыт модератором moder" in refused.text, verb
    flash = post(moder2, f"/moderation/{item['id']}/delete", htmx=True)
    assert flash.headers.get("hx-retarget") == "#flash" and "открыт модератором" in flash.text
    assert "открыт модератором moder" in post(moder2, f"/moderation/{item['id']}/lock").text
    post(moder2, f"/moderation/{item['id']}/unlock")  # not theirs to end
    bulk = post(moder2, "/moderation/bulk", {"action": "keep", "ids": [str(item["id"])]})
    assert "открыт модератором moder" in bulk.text
    assert verdict(world, item["id"])["status"] == "queued" and deletions(world) == before
    post(moder, f"/moderation/{item['id']}/unlock")  # moder moves on: free for moder2
    answer = post(moder2, f"/moderation/{item['id']}/keep", htmx=True)
    assert "оставлен" in answer.text
    assert verdict(world, item["id"])["decided_by"] == "operator:moder2"


def test_bulk_decides_the_selection_one_line_each(world):
    client = signed_in(world, "moder-org1")
    items = [i for i in queued(world, "acc-1") if "<script>" not in i["text"]][:2]
    if len(items) < 2:
        pytest.skip("the module's other tests used up acc-1's items")
    other = take(world, "acc-2")
    ids = [str(i["id"]) for i in items] + [str(other["id"]), "abc"]
    answer = post(client, "/moderation/bulk", {"action": "keep", "ids": ids}, htmx=True)
    assert answer.status_code == 200 and "Оставлено: 2 из 4" in answer.text
    for i in items:
        assert f'id="item-{i["id"]}" hx-swap-oob="outerHTML"' in answer.text
        assert verdict(world, i["id"])["decided_by"] == "operator:moder-org1"
    assert f"#{other['id']} не найден" in answer.text and "не номер элемента" in answer.text
    assert verdict(world, other["id"])["status"] == "queued"
    again = post(client, "/moderation/bulk", {"action": "delete", "ids": ids[:2]})
    assert again.status_code == 409 and again.text.count("уже решено") == 2
    assert post(client, "/moderation/bulk", {"action": "burn", "ids": ids}).status_code == 400
    assert post(client, "/moderation/bulk", {"action": "keep"}).status_code == 400


def test_reply_sends_an_approved_template_once(world):
    store = world.store()
    try:
        replies.add_template(store, "thanks", "Спасибо, {author}, передали специалистам.", "x")
        replies.approve_template(store, "thanks", "approver")
        replies.add_template(store, "draft", "Не одобрен.", "x")
    finally:
        store.close()
    client = signed_in(world, "moder")
    item = take(world)
    page = client.get("/moderation").text
    assert 'value="thanks"' in page and 'value="draft"' not in page
    first = post(client, f"/moderation/{item['id']}/reply", {"template": "thanks"}, htmx=True)
    assert first.status_code == 200 and "ответ отправлен" in first.text, first.text
    again = post(client, f"/moderation/{item['id']}/reply", {"template": "thanks"}, htmx=True)
    assert "уже был отправлен" in again.text
    refused = post(client, f"/moderation/{item['id']}/reply", {"template": "draft"})
    assert refused.status_code == 400 and "not approved" in refused.text
    assert post(client, f"/moderation/{item['id']}/reply", {"template": ""}).status_code == 400
    store = world.store()
    try:
        rows = store.db.execute(
            "SELECT state, requested_by FROM actions WHERE kind = 'reply_comment' AND target = ?",
            [str(item["comment"])],
        ).fetchall()
    finally:
        store.close()
    assert rows == [("done", "moder")]  # one answer, signed as 'hub reply --by moder' would
    assert verdict(world, item["id"])["status"] == "queued"  # a reply decides nothing


def test_the_queue_is_paged(world):
    client = signed_in(world, "viewer")
    total = len(queued(world, "acc-1")) + len(queued(world, "acc-2"))
    far = client.get("/moderation?page=999")
    assert far.status_code == 200 and card_ids(far.text) == []
    assert f"В очереди: {total}" in far.text and "страница 999" in far.text
    assert client.get("/moderation?page=abc").status_code == 200  # read as the first page
