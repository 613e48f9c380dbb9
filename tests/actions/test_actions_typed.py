"""The typed action API: a run opens each network once, and a comment is read once."""

from __future__ import annotations

import asyncio

import pytest

from hub import actions, networks
from hub.actions import commands
from hub.config import load_config
from hub.errors import HubError, NotFoundError, TransientError
from hub.moderation import service
from hub.networks import NetworkPool
from hub.store import Store
from hub_vk.network import VkNetwork
from tests.helpers import sync
from tests.moderation.test_moderation_pipeline import (
    comment_id,
    db,
    pm_with_engine,
    run_moderate,
    world,
)

__all__ = ["world"]


@pytest.fixture
def built(monkeypatch):
    """Every network object made, by network name."""
    made: list[str] = []
    real = networks.build_network

    def counting(network_class, config, token_for=networks.token_from_env):
        made.append(network_class.name)
        return real(network_class, config, token_for)

    monkeypatch.setattr(networks, "build_network", counting)
    return made


def test_a_moderation_run_opens_each_network_once(world, built, monkeypatch):
    """Three spam comments: three deletions and three bans, and the operator's lost deletion
    taken up again — one VK network object for the whole run (it was one per action: 7)."""
    emu, path, gid, post = world
    spam = [emu.add_comment(gid, post, f"РЕКЛАМА №{n}", from_id=777100 + n) for n in range(3)]
    plain = emu.add_comment(gid, post, "Обычный комментарий", from_id=777110)
    sync(path)

    async def lost(self, comment, *, block_author=False):
        raise TransientError("VK API at api.vk.com unreachable (ReadTimeout)")

    config = load_config(path)
    store = Store.open(config.db_path)
    try:
        with monkeypatch.context() as patch, pytest.raises(HubError, match="answer was lost"):
            patch.setattr(VkNetwork, "delete_comment", lost)
            ref = f"{config.accounts[0].id}:{plain}"
            asyncio.run(commands.delete_comment(store, pm_with_engine(), config, ref))
    finally:
        store.close()
    built.clear()
    report = run_moderate(path)
    assert [r.ok for r in report.resumed] == [True]
    assert [i.outcome.split(":")[0] for i in report.carried_out] == ["done"] * 3
    assert plain in emu.snapshot()["communities"][str(gid)]["deleted_comments"]
    assert all(n in emu.snapshot()["communities"][str(gid)]["deleted_comments"] for n in spam)
    assert all(emu.ban_exists(gid, 777100 + n) for n in range(3))
    kinds = [r[0] for r in db(path).execute("SELECT kind FROM actions ORDER BY id")]
    assert kinds.count("delete_comment") == 4 and kinds.count("ban_user") == 3
    assert built == ["vk"]


def test_a_run_with_nothing_to_send_opens_no_network(world, built):
    emu, path, gid, post = world
    emu.add_comment(gid, post, "РЕКЛАМА", from_id=777200)
    sync(path)
    run_moderate(path)
    built.clear()
    run_moderate(path)  # everything done: nothing to send, nothing to open
    run_moderate(path, dry_run=True)
    assert built == []


def test_deleting_review_items_shares_one_network(world, built):
    emu, path, gid, post = world
    for n in range(3):
        emu.add_comment(gid, post, f"вы ДУРАКИ {n}", from_id=777300 + n)
    sync(path)
    run_moderate(path)
    config = load_config(path)
    store = Store.open(config.db_path)
    try:
        ids = [row["id"] for row in service.review_queue(store)]
        built.clear()
        pm = pm_with_engine()
        decided = asyncio.run(service.delete_items(store, pm, config, [*ids, "999"], "ivanova"))
    finally:
        store.close()
    assert [d.ok for d in decided] == [True, True, True, False]
    assert built == ["vk"]


def test_the_typed_api_takes_the_stored_comment_and_the_run_s_networks(world, built):
    emu, path, gid, post = world
    victim = emu.add_comment(gid, post, "обычный комментарий", from_id=777400)
    sync(path)
    config = load_config(path)
    store = Store.open(config.db_path)
    try:
        local = comment_id(db(path), victim)
        comment = actions.find_comment(store, config, f"  {config.accounts[0].id}:{victim} ")
        assert comment.hub_id == local and comment.text == "обычный комментарий"
        assert comment.author_id == 777400 and comment.network_id == victim
        built.clear()
        assert actions.find_comment(store, config, str(local)) == actions.stored_comment(
            config,
            store.db.execute(
                f"SELECT {actions.comment_columns()} FROM comments WHERE id = ?", [local]
            ).fetchone(),
            str(local),
        )

        async def act():
            async with NetworkPool(pm_with_engine(), config) as pool:
                first = await actions.delete_comment(store, pool, comment, requested_by="t")
                again = await actions.delete_comment(store, pool, comment, skip_done=True)
                ban = await actions.ban_user(
                    store, pool, comment.account, 777400, days=1, reason="x"
                )
                return first, again, ban

        first, again, ban = asyncio.run(act())
        assert first.result.done and not first.reused
        assert again.reused and again.action_id == first.action_id
        assert ban.result.done and emu.ban_exists(gid, 777400)
        assert built == ["vk"]
        with pytest.raises(NotFoundError, match="is not in the database"):
            asyncio.run(commands.delete_comment(store, pm_with_engine(), config, "99999"))
    finally:
        store.close()
