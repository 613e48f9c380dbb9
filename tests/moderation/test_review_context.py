"""What the console shows beside a review item (issue 16): its post, its author's history
here, the matched words marked with the rest escaped; pages of the queue over the accounts
an operator sees, oldest first, with the total; where an item stands now."""

from __future__ import annotations

from pathlib import Path

import pytest
from markupsafe import Markup

from hub.errors import HubError, NotFoundError
from hub.moderation import review
from hub.store import Store

NOW = "2026-12-01T10:00:00Z"


def make_store(folder: Path, items: int = 3) -> Store:
    """A database with two accounts and ``items`` queued insults on acc-1 by author 501 (plus a
    kept and a deleted comment of theirs, and one queued item on acc-2 by author 502)."""
    store = Store.open(folder / "hub.db")
    db = store.db
    with store.transaction():
        for n in (1, 2):
            db.execute(
                "INSERT INTO accounts (id, network, external_id, organization) VALUES (?,?,?,?)",
                [f"acc-{n}", "vk", str(100 + n), f"Организация {n}"],
            )
            db.execute(
                "INSERT INTO posts (id, account_id, network_id, text, url) VALUES (?,?,?,?,?)",
                [n, f"acc-{n}", 10, "Пост про дороги " * 30, f"https://vk.com/wall-10{n}_10"],
            )
        db.execute(
            "INSERT INTO authors (network, network_id, name) VALUES ('vk', 501, 'Иван Петров')"
        )
        rows = [(1, 501, f"<b>вы</b> идиоты {n}", "queued", "review") for n in range(items)]
        rows += [(1, 501, "спасибо", "kept", "keep"), (1, 501, "дебилы", "done", "delete")]
        rows += [(2, 502, "все идиоты", "queued", "review")]
        for n, (account, author, text, status, decision) in enumerate(rows, start=1):
            db.execute(
                "INSERT INTO comments (id, account_id, post_id, network_id, post_network_id, "
                "author_id, published_at, text) VALUES (?,?,?,?,?,?,?,?)",
                [n, f"acc-{account}", account, 1000 + n, 10, author, f"2026-11-{n:02d}", text],
            )
            db.execute(
                "INSERT INTO verdicts (id, comment_id, account_id, decision, category, rule, "
                "match, span_json, reason, criticism, status, decided_by, judged_at) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [n, n, f"acc-{account}", decision, "insult", "lexicon.insult", "идиоты",
                 None, "Оскорбление", 0, status, "engine", NOW],
            )  # fmt: skip
    return store


@pytest.fixture
def store(tmp_path):
    store = make_store(tmp_path, items=3)
    try:
        yield store
    finally:
        store.close()


def test_a_page_is_oldest_first_within_the_accounts_given_with_the_total(store):
    page = review.queue_page(store, ["acc-1"], per_page=2)
    assert [i.id for i in page.items] == [1, 2]
    assert page.total == 3 and page.pages == 2
    second = review.queue_page(store, ["acc-1"], page=2, per_page=2)
    assert [i.id for i in second.items] == [3] and second.total == 3
    both = review.queue_page(store, ["acc-1", "acc-2"])
    assert [i.id for i in both.items] == [1, 2, 3, 6] and both.total == 4
    assert review.queue_page(store, []).total == 0  # sees no account: sees nothing
    assert review.queue_page(store, ["acc-1"], category="spam").total == 0
    with pytest.raises(HubError):
        review.queue_page(store, ["acc-1"], category="nonsense")


def test_an_item_carries_its_post_and_its_authors_history(store):
    item = review.queue_page(store, ["acc-1"]).items[0]
    assert item.author_name == "Иван Петров" and item.author_id == 501
    assert item.post_url == "https://vk.com/wall-101_10"
    assert item.post_text.endswith("…") and len(item.post_text) <= review.POST_EXCERPT + 1
    history = item.history
    assert history.comments == 5  # three queued, one kept, one deleted
    assert history.deleted == 1 and history.queued == 2
    assert len(history.last) == review.HISTORY_LAST
    assert all(c["text"] != item.text for c in history.last)  # the item itself is not "last"
    other = review.queue_page(store, ["acc-2"]).items[0]
    assert other.history.comments == 1 and other.history.deleted == 0 and not other.history.last


def test_the_match_is_marked_and_the_rest_escaped():
    marked = review.highlight("<b>Вы</b> ИДИОТЫ, идиоты!", "идиоты")
    assert isinstance(marked, Markup)
    assert str(marked) == "&lt;b&gt;Вы&lt;/b&gt; <mark>ИДИОТЫ</mark>, <mark>идиоты</mark>!"
    script = review.highlight("<script>alert(1)</script> вы все идиоты", "<script>")
    assert "<script>" not in str(script) and "<mark>&lt;script&gt;</mark>" in str(script)
    assert str(review.highlight("abc <x>", None, (0, 3))) == "<mark>abc</mark> &lt;x&gt;"
    assert str(review.highlight("abc", "zzz", (5, 9))) == "abc"  # a span beyond the text


def test_item_state_says_where_an_item_stands(store):
    assert review.item_state(store, 1).waiting
    done = review.item_state(store, 5)
    assert not done.waiting and done.status == "done" and done.decided_by == "engine"
    with pytest.raises(NotFoundError):
        review.item_state(store, 999)
