"""The SQLite store: migrations, upserts that keep hub-owned columns, deletion marks."""

import sqlite3

import pytest

from hub.migrations import MIGRATIONS, apply_migrations
from hub.models import Account, Comment, Post
from hub.store import Store

ACCOUNT = Account("klochki-vk", "vk", "123", "Администрация", "HUB_VK_TOKEN")
BIG = 2**62 + 5


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path / "hub.db")
    s.sync_accounts_from_config([ACCOUNT])
    yield s
    s.close()


def test_migrations_on_blank_db_and_again(tmp_path):
    s = Store.open(tmp_path / "a.db")
    names = [r["name"] for r in s.db["_hub_migrations"].rows]
    assert names == [m.__name__ for m in MIGRATIONS]
    assert apply_migrations(s.db) == []  # nothing to do the second time
    assert {"accounts", "posts", "comments", "authors", "sync_state", "actions"} <= set(
        s.db.table_names()
    )
    assert s.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    s.close()


def test_upgrade_applies_only_new_migrations(tmp_path, monkeypatch):
    s = Store.open(tmp_path / "b.db")
    calls = []

    def m002_example(db):
        calls.append(1)
        db["example"].create({"id": int}, pk="id")

    monkeypatch.setattr("hub.migrations.MIGRATIONS", [*MIGRATIONS, m002_example])
    assert apply_migrations(s.db) == ["m002_example"]
    assert apply_migrations(s.db) == [] and calls == [1]
    s.close()


def test_not_a_database_is_a_clear_error(tmp_path):
    from hub.errors import ConfigError

    bad = tmp_path / "bad.db"
    bad.write_text("this is not sqlite" * 100)
    with pytest.raises(ConfigError, match="cannot open database"):
        Store.open(bad)


def post(nid, comments=0, text="t", edited=None):
    return Post(
        network_id=nid,
        published_at=1_767_000_000 + nid % 1000,
        text=text,
        comments_count=comments,
        edited_at=edited,
        raw={"id": nid},
    )


def test_upsert_counts_and_keeps_hub_columns(store):
    with store.transaction():
        assert store.upsert_posts(ACCOUNT, [post(1), post(BIG)]) == (2, 0)
    store.db.execute(
        "UPDATE posts SET comments_synced_count = 7, deleted_at = 'x' WHERE network_id = 1"
    )  # post 1 was marked deleted, yet the network shows it again: it was restored
    with store.transaction():
        assert store.upsert_posts(ACCOUNT, [post(1, text="new"), post(BIG)]) == (0, 1)
    with store.transaction():
        assert store.upsert_posts(ACCOUNT, [post(BIG)]) == (0, 0)
    row = store.db.execute(
        "SELECT text, comments_synced_count, deleted_at, raw_json FROM posts WHERE network_id = 1"
    ).fetchone()
    assert row == ("new", 7, None, '{"id":1}')
    assert (
        store.db.execute("SELECT network_id FROM posts WHERE network_id = ?", [BIG]).fetchone()[0]
        == BIG
    )
    assert store.db.execute("SELECT COUNT(*) FROM posts").fetchone()[0] == 2


def comment(nid, text="hi", deleted=False):
    return Comment(network_id=nid, post_network_id=1, published_at=1, text=text, deleted=deleted)


def test_comment_set_marks_missing_deleted_never_removes(store):
    with store.transaction():
        store.upsert_posts(ACCOUNT, [post(1, 3)])
    pid = store.db.execute("SELECT id FROM posts").fetchone()[0]
    assert store.replace_post_comments(
        ACCOUNT, pid, 1, [comment(10), comment(11), comment(12)]
    ) == (3, 0, 0)
    store.db.execute("UPDATE comments SET moderation_status = 'review' WHERE network_id = 10")
    # 11 vanished, 12 became a placeholder (deleted with live replies), 10 edited
    result = store.replace_post_comments(
        ACCOUNT, pid, 1, [comment(10, "edited"), comment(12, "", deleted=True), comment(13)]
    )
    assert result == (1, 1, 2)
    rows = {
        r[0]: r[1:]
        for r in store.db.execute(
            "SELECT network_id, text, deleted_at IS NOT NULL, deleted_by, moderation_status "
            "FROM comments"
        )
    }
    assert rows[10] == ("edited", 0, None, "review")
    assert rows[11][1:3] == (1, "network")
    assert rows[12] == ("hi", 1, "network", None)  # the text we saw survives the placeholder
    assert rows[13][1] == 0
    # the same set again changes nothing
    assert store.replace_post_comments(
        ACCOUNT, pid, 1, [comment(10, "edited"), comment(12, "", deleted=True), comment(13)]
    ) == (0, 0, 0)


def test_unique_natural_keys(store):
    with pytest.raises(sqlite3.IntegrityError):
        store.db.execute(
            "INSERT INTO posts (account_id, network_id) VALUES ('klochki-vk', 5), ('klochki-vk', 5)"
        )


def test_transaction_rolls_back_everything(store):
    with pytest.raises(RuntimeError), store.transaction():
        store.upsert_posts(ACCOUNT, [post(1)])
        store.update_sync_state(ACCOUNT.id, posts_high_water=1)
        raise RuntimeError("crash")
    assert store.db.execute("SELECT COUNT(*) FROM posts").fetchone()[0] == 0
    assert store.sync_state(ACCOUNT.id) == {}


def test_comment_seen_live_again_is_revived(store):
    with store.transaction():
        store.upsert_posts(ACCOUNT, [post(1, 2)])
    pid = store.db.execute("SELECT id FROM posts").fetchone()[0]
    store.replace_post_comments(ACCOUNT, pid, 1, [comment(10), comment(11)])
    local = store.db.execute("SELECT id FROM comments WHERE network_id = 10").fetchone()[0]
    store.mark_comment_deleted_by_hub(local)
    assert store.replace_post_comments(ACCOUNT, pid, 1, [comment(10), comment(11)]) == (0, 1, 0)
    row = store.db.execute(
        "SELECT deleted_at, deleted_by, moderation_status FROM comments WHERE id = ?", [local]
    ).fetchone()
    assert row == (None, None, "restored")


def test_incomplete_comment_set_marks_nothing_deleted(store):
    with store.transaction():
        store.upsert_posts(ACCOUNT, [post(1, 2)])
    pid = store.db.execute("SELECT id FROM posts").fetchone()[0]
    store.replace_post_comments(ACCOUNT, pid, 1, [comment(10), comment(11)])
    assert store.replace_post_comments(ACCOUNT, pid, 1, [comment(12)], complete=False) == (1, 0, 0)
    assert (
        store.db.execute("SELECT COUNT(*) FROM comments WHERE deleted_at IS NULL").fetchone()[0]
        == 3
    )


def test_text_comment_ids_live_beside_numeric_ones(store):
    with store.transaction():
        store.upsert_posts(ACCOUNT, [post(1, 2)])
    pid = store.db.execute("SELECT id FROM posts").fetchone()[0]
    ok_id = "MTM5NzIwNjM4MjQ3MTotMTU5NDE6MTM5NzIwNjM4MjQ3MTo2MjUwMzkyOTY2MjMyMDox"
    store.replace_post_comments(ACCOUNT, pid, 1, [comment(ok_id), comment("9012")])
    ids = {r[0] for r in store.db.execute("SELECT network_id FROM comments")}
    assert ids == {ok_id, 9012}
    assert store.replace_post_comments(ACCOUNT, pid, 1, [comment(ok_id)]) == (0, 0, 1)


def test_the_listings_read_from_their_indexes(tmp_path):
    """Issue 20: the newest comments of all accounts and the live counts come from indexes
    (m014), not from sorting or reading every comment."""
    store = Store.open(tmp_path / "hub.db")
    try:

        def plan(sql):
            return " ".join(r[3] for r in store.db.execute("EXPLAIN QUERY PLAN " + sql))

        newest = plan("SELECT id FROM comments ORDER BY published_at DESC, id DESC LIMIT 50")
        assert "comments_published" in newest and "TEMP B-TREE" not in newest
        live = plan("SELECT COUNT(*) FROM comments WHERE account_id = 'a' AND deleted_at IS NULL")
        assert "COVERING INDEX comments_account_live" in live
        posts = plan("SELECT COUNT(*) FROM posts WHERE account_id = 'a' AND deleted_at IS NULL")
        assert "COVERING INDEX posts_account_live" in posts
        queue = plan(
            "SELECT id FROM comments WHERE account_id = 'a' AND needs_judging = 1 "
            "ORDER BY published_at, id"
        )
        assert "comments_judging" in queue, queue  # m014 does not steal the judging query
    finally:
        store.close()
