"""Appeals (issue 17) in a synced world: found among comments and not the thanks or spam; a
community reply written by hand, seen by sync, answers its appeal with the response time;
``hub appeals answer`` twice posts once; an obscene complaint is deleted and stays open as an
appeal, its words masked; a watch page is never moderated and keeps only its municipality's
comments; the first pass does not open the whole history."""

from __future__ import annotations

import asyncio
import json

import pytest

from hub import plugins
from hub.appeals import service
from hub.config import load_config
from hub.moderation import service as moderation
from hub.store import Store
from hub_vk.emulator import VkEmulator
from tests.cli.test_cli import assert_one_line_error, hub
from tests.helpers import TOKEN, TOKEN_ENV, sync, write_config

ENV = {TOKEN_ENV: TOKEN}
QUESTION = "Подскажите, когда отремонтируют дорогу на улице Садовой?"
THANKS = "Спасибо за новости, хорошего дня всем"
SPAM = "Заработок от 5000 в день, пиши в лс, ссылка t.me/earn_fast"
REQUEST = "Прошу убрать мусор возле дома 5 на Школьной"
OBSCENE = "Опять не вывозят мусор, блять, сколько можно"


def _moderate(path):
    config = load_config(path)
    store = Store.open(config.db_path)
    try:
        return asyncio.run(
            moderation.moderate(store, plugins.make_plugin_manager(), config, config.accounts)
        )
    finally:
        store.close()


def _store(path):
    return Store.open(load_config(path).db_path)


def _appeal_of(path, network_id):
    store = _store(path)
    try:
        rows = [a for a in service.list_appeals(store, limit=0) if a["comment"] == network_id]
    finally:
        store.close()
    return rows[0] if rows else None


@pytest.fixture(autouse=True)
def token(monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, TOKEN)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("appeals")
    with (
        VkEmulator(seed=5, communities=1, posts=6, comments=4, rate_limit=0, tokens=[TOKEN]) as emu,
        pytest.MonkeyPatch.context() as mp,
    ):
        mp.setenv(TOKEN_ENV, TOKEN)
        path = write_config(folder, emu)
        sync(path)
        first = _moderate(path)
        gid = emu.community_ids()[0]
        post = max(int(p) for p in emu.snapshot()["communities"][str(gid)]["posts"])
        ids = {
            name: emu.add_comment(gid, post, text, from_id=660001 + n)
            for n, (name, text) in enumerate(
                {
                    "question": QUESTION,
                    "thanks": THANKS,
                    "spam": SPAM,
                    "request": REQUEST,
                    "obscene": OBSCENE,
                }.items()
            )
        }
        sync(path)
        _moderate(path)
        yield emu, path, gid, post, ids, first


def test_the_first_pass_does_not_open_the_seeded_history(world):
    _emu, path, *_rest, first = world
    assert first.appeals is not None
    store = _store(path)
    try:  # the seeded comments are older than look_back_days
        old = store.db.execute(
            "SELECT COUNT(*) FROM appeals a JOIN comments c ON c.id = a.comment_id "
            "WHERE c.published_at < datetime('now', '-1 days')"
        ).fetchone()[0]
    finally:
        store.close()
    assert old == 0


def test_questions_and_requests_are_appeals_thanks_and_spam_are_not(world):
    _emu, path, _gid, _post, ids, _first = world
    question, request = _appeal_of(path, ids["question"]), _appeal_of(path, ids["request"])
    assert (question["kind"], question["topic"], question["status"]) == (
        "question",
        "дороги",
        "open",
    )
    assert question["rule"].startswith("question.") and question["match"]
    assert (request["kind"], request["topic"]) == ("request", "ЖКХ")
    assert _appeal_of(path, ids["thanks"]) is None
    assert _appeal_of(path, ids["spam"]) is None
    assert question["due_at"] > question["received_at"] and not question["overdue"]


def test_an_obscene_complaint_is_deleted_and_still_open_masked(world):
    emu, path, gid, _post, ids, _first = world
    assert ids["obscene"] in emu.snapshot()["communities"][str(gid)]["deleted_comments"]
    appeal = _appeal_of(path, ids["obscene"])
    assert appeal["status"] == "open" and appeal["kind"] == "complaint"
    assert "блять" not in appeal["text"] and "б****" in appeal["text"]
    assert appeal["deleted_at"]


def test_a_reply_written_by_hand_on_the_network_answers_it(world):
    emu, path, gid, post, ids, _first = world
    emu.add_comment(
        gid, post, "Ремонт запланирован на май.", reply_to=ids["question"], from_id=-gid
    )
    sync(path)
    report = _moderate(path)
    appeal = _appeal_of(path, ids["question"])
    assert appeal["id"] in report.appeals.answered
    assert appeal["status"] == "answered" and appeal["answered_by"] == "community"
    assert appeal["response_minutes"] is not None and appeal["response_minutes"] >= 0


def test_hub_appeals_answer_twice_posts_once(world):
    emu, path, gid, _post, ids, _first = world
    appeal = _appeal_of(path, ids["request"])
    cfg = str(path)
    first = hub(
        "--config",
        cfg,
        "appeals",
        "answer",
        str(appeal["id"]),
        "--text",
        "Заявку передали в управляющую компанию.",
        "--by",
        "ivanova",
        env_extra=ENV,
    )
    assert first.returncode == 0, first.stderr
    again = hub(
        "--config",
        cfg,
        "appeals",
        "answer",
        str(appeal["id"]),
        "--text",
        "Заявку передали в управляющую компанию.",
        env_extra=ENV,
    )
    assert_one_line_error(again, "already answered")
    replies_up = (
        [
            c
            for c in emu.snapshot()["communities"][str(gid)]["comments"].values()
            if "Заявку передали" in (c.get("text") or "")
        ]
        if isinstance(emu.snapshot()["communities"][str(gid)].get("comments"), dict)
        else None
    )
    store = _store(path)
    try:
        sent = store.db.execute(
            "SELECT COUNT(*) FROM actions WHERE kind = 'reply_comment' AND state = 'done'"
        ).fetchone()[0]
    finally:
        store.close()
    assert sent == 1
    if replies_up is not None:
        assert len(replies_up) == 1
    shown = json.loads(hub("--config", cfg, "appeals", "show", str(appeal["id"]), "--json").stdout)
    assert shown["status"] == "answered" and shown["answered_by"] == "ivanova"


def test_close_needs_a_reason_and_list_filters(world):
    _emu, path, _gid, _post, ids, _first = world
    appeal = _appeal_of(path, ids["obscene"])
    cfg = str(path)
    assert_one_line_error(
        hub("--config", cfg, "appeals", "close", str(appeal["id"]), "--reason", " "),
        "--reason is empty",
    )
    closed = hub(
        "--config",
        cfg,
        "appeals",
        "close",
        str(appeal["id"]),
        "--reason",
        "дубликат обращения",
        "--by",
        "ivanova",
    )
    assert closed.returncode == 0, closed.stderr
    listed = json.loads(
        hub("--config", cfg, "appeals", "list", "--status", "closed", "--json").stdout
    )
    assert [a["id"] for a in listed] == [appeal["id"]]
    for key in (
        "id",
        "account_id",
        "comment",
        "kind",
        "topic",
        "status",
        "overdue",
        "received_at",
        "due_at",
        "answered_at",
        "response_minutes",
    ):
        assert key in listed[0]
    assert_one_line_error(hub("--config", cfg, "appeals", "show", "999999"), "does not exist")
    assert_one_line_error(hub("--config", cfg, "appeals", "show", "abc"), "is not a number")


def test_a_watch_page_is_never_moderated_and_keeps_only_its_places(tmp_path, monkeypatch):
    with VkEmulator(
        seed=9, communities=1, posts=3, comments=2, rate_limit=0, tokens=[TOKEN]
    ) as emu:
        monkeypatch.setenv(TOKEN_ENV, TOKEN)
        path = write_config(tmp_path, emu, extra="")
        text = path.read_text(encoding="utf-8").replace(
            'organization = "Организация 1"', 'organization = "Организация 1"\nwatch = true'
        )
        path.write_text(text + '\n[appeals]\nplaces = ["Клочки"]\n', encoding="utf-8")
        sync(path)
        _moderate(path)
        gid = emu.community_ids()[0]
        post = max(int(p) for p in emu.snapshot()["communities"][str(gid)]["posts"])
        ours = emu.add_comment(gid, post, "Когда в Клочках починят дорогу?", from_id=650001)
        other = emu.add_comment(gid, post, "Когда в Барнауле починят дорогу?", from_id=650002)
        swear = emu.add_comment(gid, post, "Клочки — блять, где дорога?", from_id=650003)
        sync(path)
        _moderate(path)
        store = _store(path)
        try:
            assert store.db.execute("SELECT COUNT(*) FROM verdicts").fetchone()[0] == 0
        finally:
            store.close()
        assert not emu.snapshot()["communities"][str(gid)]["deleted_comments"]
        assert _appeal_of(path, ours)["kind"] == "question"
        assert _appeal_of(path, other) is None
        assert _appeal_of(path, swear) is not None


def test_obscene_criticism_review_queues_it_instead(tmp_path, monkeypatch):
    with VkEmulator(
        seed=3, communities=1, posts=3, comments=2, rate_limit=0, tokens=[TOKEN]
    ) as emu:
        monkeypatch.setenv(TOKEN_ENV, TOKEN)
        path = write_config(tmp_path, emu, extra="")
        path.write_text(
            path.read_text(encoding="utf-8") + '\n[moderation]\nobscene_criticism = "review"\n',
            encoding="utf-8",
        )
        sync(path)
        _moderate(path)
        gid = emu.community_ids()[0]
        post = max(int(p) for p in emu.snapshot()["communities"][str(gid)]["posts"])
        cid = emu.add_comment(gid, post, OBSCENE, from_id=640001)
        sync(path)
        report = _moderate(path)
        assert [i.decision for i in report.judged if i.verdict.criticism] == ["review"]
        assert cid not in emu.snapshot()["communities"][str(gid)]["deleted_comments"]
        assert _appeal_of(path, cid)["status"] == "open"
