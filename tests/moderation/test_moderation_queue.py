"""The review queue and the operators' verbs (issue 13): a first run on a seeded page queues
little, the queue says how much there is and filters it, and the verbs say what they do —
``delete`` deletes, ``keep`` keeps, several ids at once, the old ``approve``/``reject`` warn."""

from __future__ import annotations

import asyncio
import json
import sqlite3

import pytest

from hub import plugins
from hub.config import load_config
from hub.moderation import service
from hub.store import Store
from hub_vk.emulator import VkEmulator
from tests.cli.test_cli import assert_one_line_error, hub
from tests.helpers import TOKEN, TOKEN_ENV, sync, write_config

ENV = {TOKEN_ENV: TOKEN}
PHONE_WAVE = "Петрович обещал посмотреть крышу, его номер 8 913 555 12 34"
INSULTS = (
    "Вы там все идиоты",
    "Бездельники, вы идиоты, опять всё разворовали",
    "Какие же вы дебилы в этой администрации",
    "Депутаты наши — клоуны и бездари",
)


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """A seeded VK page, synced and judged by the real engine, then five known review items:
    four insults, and the third copy of a campaign wave (no category, flood.same_text) — the
    first two copies are kept, they are no wave yet."""
    folder = tmp_path_factory.mktemp("queue")
    with VkEmulator(
        seed=7, communities=2, posts=30, comments=15, rate_limit=0, tokens=[TOKEN]
    ) as emu:
        path = write_config(folder, emu)
        gid = emu.community_ids()[0]
        post = max(int(p) for p in emu.snapshot()["communities"][str(gid)]["posts"])
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv(TOKEN_ENV, TOKEN)
            sync(path)
            baseline = _moderate(path)
            ids = [emu.add_comment(gid, post, t, from_id=880001 + n) for n, t in enumerate(INSULTS)]
            ids += [emu.add_comment(gid, post, PHONE_WAVE, from_id=880010 + n) for n in range(3)]
            sync(path)
            _moderate(path)
        yield emu, path, baseline, ids


def _moderate(path):
    config = load_config(path)
    store = Store.open(config.db_path)
    try:
        pm = plugins.make_plugin_manager()
        return asyncio.run(service.moderate(store, pm, config, config.accounts))
    finally:
        store.close()


def _store(path):
    return Store.open(load_config(path).db_path)


def test_a_first_run_on_a_seeded_page_queues_under_5_percent(page):
    _emu, _path, report, _ids = page
    counts = report.counts()
    assert len(report.judged) > 500
    assert counts["review"] / len(report.judged) < 0.05, counts
    rules = [i.verdict.rule for i in report.judged if i.decision != "keep"]
    assert rules.count("flood.same_text") <= len(report.judged) * 0.005, rules


def test_review_queue_has_a_total_and_filters(page):
    _emu, path, _report, _ids = page
    store = _store(path)
    try:
        everything = service.review_queue(store, 0)
        assert everything.total == len(everything.rows) >= 5
        first = service.review_queue(store, 2)
        assert len(first) == 2 and first.total == everything.total
        floods = service.review_queue(store, rule="flood.same_text")
        texts = [r["text"] for r in floods]
        assert texts.count(PHONE_WAVE) == 1  # the first two copies were kept
        assert {r["rule"] for r in floods} == {"flood.same_text"} and floods.total == len(texts)
        assert service.review_queue(store, category="-").total >= floods.total
        insults = service.review_queue(store, category="insult")
        assert {r["category"] for r in insults} == {"insult"} and insults.total >= 4
        assert service.review_queue(store, account="acc-2", rule="flood.same_text").total == 0
    finally:
        store.close()


def test_queue_command_shows_the_total_and_limit_0_shows_all(page):
    _emu, path, _report, _ids = page
    total = _queue_total(path)
    result = hub("--config", str(path), "moderation", "queue", "--limit", "1")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2 and lines[-1] == f"showing 1 of {total}; --limit 0 shows all"
    result = hub("--config", str(path), "moderation", "queue", "--limit", "0")
    assert result.stdout.strip().splitlines()[-1] == f"showing {total} of {total}"
    result = hub("--config", str(path), "moderation", "queue", "--rule", "flood.same_text")
    assert "flood.same_text" in result.stdout and "8 913 555 12 34" in result.stdout
    floods = _queue_total(path, rule="flood.same_text")
    assert result.stdout.strip().endswith(f"showing {floods} of {floods}")
    data = json.loads(
        hub("--config", str(path), "moderation", "queue", "--category", "insult", "--json").stdout
    )
    assert data["total"] >= 2 and {i["category"] for i in data["items"]} == {"insult"}
    result = hub("--config", str(path), "moderation", "queue", "--account", "acc-9")
    assert_one_line_error(result, "unknown account 'acc-9'")
    result = hub("--config", str(path), "moderation", "queue", "--category", "flood")
    assert_one_line_error(result, "unknown category 'flood'", "'-' for none")
    result = hub("--config", str(path), "moderation", "queue", "--account", "acc-2", "--rule", "x")
    assert result.returncode == 0 and "no review item matches" in result.stdout


def _queue_total(path, **filters) -> int:
    store = _store(path)
    try:
        return service.review_queue(store, 0, **filters).total
    finally:
        store.close()


def _item_ids(path, comment_ids) -> list[int]:
    conn = sqlite3.connect(path.parent / "hub.db")
    return [
        conn.execute(
            "SELECT v.id FROM verdicts v JOIN comments c ON c.id = v.comment_id "
            "WHERE c.network_id = ?",
            [str(cid)],
        ).fetchone()[0]
        for cid in comment_ids
    ]


def test_delete_and_keep_take_several_ids_and_go_on_past_a_bad_one(page):
    emu, path, _report, ids = page
    insult_a, insult_b, _c, _d, _wave1, _wave2, wave3 = _item_ids(path, ids)
    args = ("--config", str(path), "moderation")
    result = hub(
        *args, "delete", str(insult_a), "999999", f"#{wave3}", "--by", "ivanova", env_extra=ENV
    )
    assert result.returncode == 1
    out = result.stdout.strip().splitlines()
    assert (
        len(out) == 3
        and out[0].startswith(f"#{insult_a}: done")
        and out[2].startswith(f"#{wave3}: done")
    )
    assert "999999 does not exist" in out[1]
    assert_one_line_error(result, "1 of 3 review items not deleted")
    deleted = emu.snapshot()["communities"][str(emu.community_ids()[0])]["deleted_comments"]
    assert ids[0] in deleted and ids[6] in deleted

    result = hub(*args, "keep", str(insult_b), "abc", "--by", "ivanova")
    assert result.returncode == 1
    assert result.stdout.splitlines()[0] == f"#{insult_b}: kept"
    assert "'abc' is not a number" in result.stdout
    assert (
        ids[1] not in emu.snapshot()["communities"][str(emu.community_ids()[0])]["deleted_comments"]
    )
    result = hub(*args, "keep", str(insult_b))  # decided already: a clear line, non-zero
    assert "not waiting for a decision (it is rejected)" in result.stdout and result.returncode == 1

    conn = sqlite3.connect(path.parent / "hub.db")
    events = [
        r[0]
        for r in conn.execute("SELECT event FROM moderation_log WHERE actor = 'operator:ivanova'")
    ]
    assert events.count("operator:delete") == 2 and events.count("operator:keep") == 1


def test_the_old_verbs_still_work_and_name_the_new_ones(page):
    emu, path, _report, ids = page
    insult_c, insult_d = _item_ids(path, ids)[2:4]
    args = ("--config", str(path), "moderation")
    result = hub(*args, "reject", str(insult_c))
    assert result.returncode == 0 and result.stdout.strip() == f"#{insult_c}: kept"
    assert "'hub moderation reject' is now 'hub moderation keep'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    result = hub(*args, "approve", str(insult_d), env_extra=ENV)
    assert result.returncode == 0 and result.stdout.startswith(f"#{insult_d}: done")
    assert "'hub moderation approve' is now 'hub moderation delete' (it deletes" in result.stderr
    help_text = hub("moderation", "--help").stdout
    assert "delete" in help_text and "keep" in help_text
    assert "approve" not in help_text and "reject" not in help_text
