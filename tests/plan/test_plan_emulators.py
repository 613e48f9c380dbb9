"""The content plan end to end: drafts approved and published through the real plugins.

All three emulators run on loopback; the CLI is the real ``hub`` command. The
no-double-publish rule is checked with the emulators' own fault: the post is
created, then the answer is dropped, and the hub must find it, not send it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from types import SimpleNamespace

import pytest

from hub import plugins
from hub.config import load_config
from hub.daemon.runner import Daemon
from hub.plan import drafts, publish, replies
from hub.sandbox.demo import TOKENS, _config_text
from hub.store import Store
from hub.sync import run_sync
from hub_ok.emulator import OkEmulator
from hub_telegram.emulator import TelegramEmulator
from hub_vk.emulator import VkEmulator
from tests.cli.test_cli import hub

TEXT = "В субботу в 10:00 приглашаем всех на субботник в парке Победы."
WRITE = {"vk": "wall.post", "ok": "mediatopic.post", "telegram": "sendMessage"}


@pytest.fixture
def world(tmp_path, monkeypatch):
    for key, value in TOKENS.items():
        monkeypatch.setenv(key, value)
    with contextlib.ExitStack() as stack:
        vk = stack.enter_context(
            VkEmulator(seed=3, communities=1, posts=4, comments=2, rate_limit=0)
        )
        ok = stack.enter_context(
            OkEmulator(seed=3, groups=1, topics=4, comments=2, rate_limit=0, discussion_writes=True)
        )
        tg = stack.enter_context(
            TelegramEmulator(
                seed=3, channels=1, posts=4, comments=2, tokens=[TOKENS["HUB_DEMO_TG_TOKEN"]]
            )
        )
        stub = SimpleNamespace(base_url="http://127.0.0.1:9")  # never called here
        path = tmp_path / "hub.toml"
        text = _config_text(tmp_path, vk, ok, tg, stub)
        text = text[: text.index("[gospabliki]")] + text[text.index("[daemon]") :]
        for name in ("vk", "ok", "telegram"):  # short, so an injected timeout is quick
            text = text.replace(f"[networks.{name}]\n", f"[networks.{name}]\ntimeout_seconds = 1\n")
        path.write_text(text, encoding="utf-8")
        config = load_config(path)
        yield SimpleNamespace(path=path, config=config, emus={"vk": vk, "ok": ok, "telegram": tg})


def account_of(world, network):
    return next(a for a in world.config.accounts if a.network == network)


def copies_on_network(world, account, text=TEXT) -> int:
    """How many posts carry the text, as a fresh sync of the network shows them."""
    store = Store.open(world.config.db_path)
    try:
        asyncio.run(run_sync(store, plugins.make_plugin_manager(), world.config, [account]))
        return store.db.execute(
            "SELECT COUNT(*) FROM posts WHERE account_id = ? AND text LIKE ? "
            "AND deleted_at IS NULL",
            [account.id, TEXT[:40] + "%"],
        ).fetchone()[0]
    finally:
        store.close()


def cli(world, *args):
    env = {**TOKENS}
    return hub("--config", str(world.path), *args, env_extra=env, timeout=120)


def test_a_draft_goes_out_on_every_network_once_approved(world):
    ids = [account_of(world, n).id for n in ("vk", "ok", "telegram")]
    added = cli(world, "plan", "add", *sum((["--account", i] for i in ids), []), "--text", TEXT,
                "--by", "smm")  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "draft #1 written for" in added.stdout
    assert "that time has passed" not in added.stdout
    late = cli(world, "plan", "add", "--account", ids[0], "--text", TEXT, "--at", "2026-01-05 9:00")
    assert late.returncode == 0 and "warning: that time has passed" in late.stdout
    assert cli(world, "plan", "reject", "2", "--reason", "дубль").returncode == 0
    early = cli(world, "plan", "publish")
    assert early.returncode == 0 and "nothing is due" in early.stdout  # not approved yet
    approved = cli(world, "plan", "approve", "1", "--by", "Глава")
    assert "approved by Глава" in approved.stdout
    out = cli(world, "plan", "publish")
    assert out.returncode == 0, out.stderr
    assert out.stdout.count(": published https://") == 3, out.stdout
    shown = json.loads(cli(world, "plan", "show", "1", "--json").stdout)
    assert shown["state"] == "published" and shown["approved_by"] == "Глава"
    urls = {t["account_id"]: t["url"] for t in shown["targets"]}
    assert urls[ids[0]].startswith("https://vk.com/wall-")
    assert "ok.ru/group/" in urls[ids[1]]
    assert urls[ids[2]].startswith("https://t.me/")
    for network in ("vk", "ok", "telegram"):
        assert copies_on_network(world, account_of(world, network)) == 1, network
    again = cli(world, "plan", "publish", "1")
    assert "already out on every account" in again.stdout


@pytest.mark.parametrize("how", ["timeout", "dropped"])
@pytest.mark.parametrize("network", ["vk", "ok", "telegram"])
def test_an_answer_lost_after_the_post_was_created_is_never_a_second_post(world, network, how):
    """The emulator creates the post, then times out (or hangs up) instead of answering."""
    account = account_of(world, network)
    pm = plugins.make_plugin_manager()
    store = Store.open(world.config.db_path)
    try:
        asyncio.run(run_sync(store, pm, world.config, [account]))  # a synced account, as usual
        draft, _ = drafts.add_draft(
            store, pm, world.config, accounts=[account], text=TEXT,
            publish_at=drafts.parse_when("now", drafts.parse_plan(world.config.raw)),
            created_by="smm",
        )  # fmt: skip
        drafts.approve(store, world.config, draft.id, "head")
        delay = 1.5 if how == "timeout" else 0.0  # longer than the client's 1 s timeout
        world.emus[network].lose_answers(WRITE[network], delay_seconds=delay)
        [first] = asyncio.run(publish.publish_due(store, pm, world.config))
        assert first.state == "unknown", first
        assert ("Timeout" in first.detail) == (how == "timeout"), first.detail
        [second] = asyncio.run(publish.publish_due(store, pm, world.config))
        assert second.state == "published" and second.url, second
        target = drafts.load_draft(store, draft.id).targets[0]
        assert target.attempts == 1  # found, not resent
        assert asyncio.run(publish.publish_due(store, pm, world.config)) == []
    finally:
        store.close()
    assert copies_on_network(world, account) == 1


def test_the_daemon_publishes_what_is_due(world):
    account = account_of(world, "vk")
    pm = plugins.make_plugin_manager()
    store = Store.open(world.config.db_path)
    try:
        draft, _ = drafts.add_draft(
            store, pm, world.config, accounts=[account], text=TEXT,
            publish_at=drafts.parse_when("now", drafts.parse_plan(world.config.raw)),
            created_by="smm",
        )  # fmt: skip
        drafts.approve(store, world.config, draft.id, "head")
    finally:
        store.close()
    asyncio.run(Daemon(world.path, pm, cycles=1).run())
    store = Store.open(world.config.db_path)
    try:
        assert drafts.load_draft(store, draft.id).state == "published"
    finally:
        store.close()
    assert copies_on_network(world, account) == 1


@pytest.mark.parametrize("network", ["vk", "ok", "telegram"])
def test_a_reply_from_an_approved_template_lands_once(world, network):
    account = account_of(world, network)
    pm = plugins.make_plugin_manager()
    store = Store.open(world.config.db_path)
    try:
        asyncio.run(run_sync(store, pm, world.config, [account]))
        comment_id = store.db.execute(
            "SELECT id FROM comments WHERE account_id = ? AND deleted_at IS NULL "
            "AND author_id > 0 ORDER BY id LIMIT 1",
            [account.id],
        ).fetchone()[0]
        replies.add_template(store, "thanks", "{author}, спасибо! Передали специалистам.", "smm")
        replies.approve_template(store, "thanks", "head")
    finally:
        store.close()
    out = cli(world, "reply", str(comment_id), "--template", "thanks", "--by", "smm")
    assert out.returncode == 0, out.stderr
    assert f"reply to {comment_id}: done" in out.stdout
    again = cli(world, "reply", str(comment_id), "--template", "thanks")
    assert again.returncode == 0 and "already done" in again.stdout
    if network != "telegram":  # a bot never sees its own messages; VK and OK show the reply
        store = Store.open(world.config.db_path)
        try:
            # full: the emulators' posts are older than the window that is re-read by default
            asyncio.run(run_sync(store, pm, world.config, [account], full=True))
            n = store.db.execute(
                "SELECT COUNT(*) FROM comments WHERE account_id = ? AND text LIKE ?",
                [account.id, "%спасибо! Передали специалистам.%"],
            ).fetchone()[0]
        finally:
            store.close()
        assert n == 1


def test_cli_refuses_bad_input_in_one_line(world, tmp_path):
    vk = account_of(world, "vk").id
    cases = [
        (("plan", "add", "--account", vk, "--text", " "), "no text"),
        (("plan", "add", "--account", "nope", "--text", TEXT), "nope"),
        (("plan", "add", "--account", vk, "--text", TEXT, "--at", "завтра"), "cannot read"),
        (("plan", "add", "--account", vk, "--text", TEXT, "--attach", str(tmp_path / "x.jpg")),
         "is not a file"),
        (("plan", "approve", "42"), "draft #42 does not exist"),
        (("plan", "add", "--organization", "Нет такой", "--text", TEXT),
         "the accounts' organizations are: «Администрация"),
        (("plan", "resolve", "1", vk), "exactly one of"),
        (("reply", "1", "--template", "nope"), "no reply template"),
    ]  # fmt: skip
    for args, needle in cases:
        result = cli(world, *args)
        assert result.returncode != 0, args
        assert needle in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    for args in (("plan", "approve", "99999999999999999999999"), ("plan", "show", "0"),
                 ("plan", "lint", "--max-sentence-words", "0", "--text", TEXT)):  # fmt: skip
        result = cli(world, *args)
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        assert "not in the range" in result.stderr


def test_tokens_never_reach_what_the_plan_prints(world):
    account = account_of(world, "telegram")
    cli(world, "plan", "add", "--account", account.id, "--text", TEXT)
    cli(world, "plan", "approve", "1")
    outputs = [cli(world, "plan", "publish"), cli(world, "plan", "show", "1", "--json")]
    for result in outputs:
        for secret in TOKENS.values():
            assert secret not in result.stdout + result.stderr
    assert os.environ.get("HUB_DEMO_TG_TOKEN") == TOKENS["HUB_DEMO_TG_TOKEN"]
