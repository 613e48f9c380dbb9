"""Review-item locks (issue 16): one moderator's open item is refused to the others until it
is decided or the lock expires; the holder renews it; an expired lock is no lock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hub.moderation import locks
from tests.moderation.test_review_context import make_store

T0 = datetime(2026, 12, 8, 10, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path):
    store = make_store(tmp_path, items=3)
    try:
        yield store
    finally:
        store.close()


def test_a_lock_refuses_the_others_and_names_the_holder(store):
    lock = locks.take(store, 1, "moder", now=T0)
    assert lock.login == "moder" and lock.until == "2026-12-08T10:05:00Z"
    with pytest.raises(locks.Locked) as refused:
        locks.take(store, 1, "moder2", now=T0 + timedelta(minutes=1))
    assert "открыт модератором moder" in str(refused.value)
    with pytest.raises(locks.Locked):
        locks.check(store, 1, "moder2", now=T0 + timedelta(minutes=1))
    locks.check(store, 1, "moder", now=T0)  # the holder is not refused
    locks.check(store, 2, "moder2", now=T0)  # another item is free
    assert locks.holder(store, 1, now=T0).login == "moder"


def test_the_holder_renews_and_an_expired_lock_is_free(store):
    locks.take(store, 1, "moder", now=T0)
    renewed = locks.take(store, 1, "moder", now=T0 + timedelta(minutes=4))
    assert renewed.until == "2026-12-08T10:09:00Z"
    with pytest.raises(locks.Locked):
        locks.take(store, 1, "moder2", now=T0 + timedelta(minutes=8))
    later = T0 + timedelta(minutes=9)
    assert locks.holder(store, 1, now=later) is None
    assert locks.take(store, 1, "moder2", now=later).login == "moder2"


def test_release_ends_the_lock_and_only_the_holders_own_with_a_login(store):
    locks.take(store, 1, "moder", now=T0)
    locks.release(store, 1, "moder2")  # not theirs: nothing happens
    assert locks.holder(store, 1, now=T0).login == "moder"
    locks.release(store, 1)  # decided: the lock goes, whoever held it
    assert locks.holder(store, 1, now=T0) is None
    assert locks.take(store, 1, "moder2", now=T0).login == "moder2"


def test_held_reads_a_page_of_locks_and_purge_forgets_expired(store):
    locks.take(store, 1, "moder", now=T0)
    locks.take(store, 2, "moder2", now=T0 - timedelta(minutes=10))  # long expired
    held = locks.held(store, [1, 2, 3], now=T0)
    assert set(held) == {1} and held[1].login == "moder"
    assert locks.held(store, [], now=T0) == {}
    assert locks.purge_expired(store, now=T0) == 1
    count = store.db.execute("SELECT COUNT(*) FROM review_locks").fetchone()[0]
    assert count == 1
