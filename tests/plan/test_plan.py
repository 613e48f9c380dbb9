"""The content plan's state machine and the no-double-publish rule, on a scripted network.

The emulator tests (tests/plan/test_plan_emulators.py) drive the real plugins; here
the network is in memory so each path of the outbox can be forced exactly.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hub.config import parse_config
from hub.errors import ConfigError, HubError, NotFoundError
from hub.plan import drafts, publish
from tests.plan.test_plan_attachments import site  # noqa: F401 - a fixture
from tests.plan_fixtures import NOW, PlanNetwork, add, approved, due, state


def test_only_an_approved_draft_goes_out_at_its_time(env):
    config, _, store = env
    later = NOW + timedelta(hours=2)
    draft = add(env, at=later)
    assert draft.state == "draft" and draft.targets[0].state == "pending"
    assert due(env, later + timedelta(minutes=1)) == []  # not approved: nothing goes
    draft, _ = drafts.approve(store, config, draft.id, "head")
    assert (draft.state, draft.approved_by) == ("approved", "head")
    assert due(env, NOW) == []  # approved, but not yet its time
    [outcome] = due(env, later)
    assert (outcome.state, outcome.url) == ("published", "u/1")
    draft = state(env, draft.id)
    assert draft.state == "published"
    assert (draft.targets[0].post_network_id, draft.targets[0].attempts) == (1, 1)
    row = store.db.execute("SELECT text FROM posts WHERE account_id = 'A'").fetchall()
    assert row == [("Приглашаем на субботник в парке.",)]  # stored at once, before any sync
    assert due(env, later + timedelta(days=1)) == []  # never again
    assert PlanNetwork.calls == ["A"]


def test_a_lost_answer_is_reconciled_not_resent(env):
    draft = approved(env)
    PlanNetwork.modes = ["lost_after"]
    [outcome] = due(env)
    assert outcome.state == "unknown" and "may or may not be up" in outcome.detail
    assert state(env, draft.id).state == "approved"
    [outcome] = due(env)  # the next run looks first and finds it
    assert (outcome.state, outcome.url) == ("published", "u/1")
    assert PlanNetwork.calls == ["A"]  # sent once
    assert len(PlanNetwork.walls["a"]) == 1
    assert state(env, draft.id).state == "published"


def test_a_lost_request_is_sent_again_only_after_looking(env):
    draft = approved(env)
    PlanNetwork.modes = ["lost_before"]
    assert due(env)[0].state == "unknown"
    [outcome] = due(env)
    assert outcome.state == "published"
    assert PlanNetwork.calls == ["A", "A"] and len(PlanNetwork.walls["a"]) == 1
    assert state(env, draft.id).targets[0].attempts == 2


def test_a_network_that_cannot_show_its_own_posts_leaves_it_to_a_person(env):
    config, pm, store = env
    draft = approved(env)
    PlanNetwork.modes = ["lost_after"]
    PlanNetwork.sees = False
    due(env)
    [outcome] = due(env)
    assert outcome.state == "unknown" and "hub plan resolve" in outcome.detail
    assert PlanNetwork.calls == ["A"]  # never resent blind
    network = PlanNetwork({}, lambda a: "t")
    done = publish.resolve(store, config, network, draft.id, "A", post_id=1, by="op")
    assert (done.state, done.url) == ("published", "u/1")
    assert state(env, draft.id).state == "published"
    with pytest.raises(HubError, match="only an unknown one"):
        publish.resolve(store, config, network, draft.id, "A", post_id=None, by="op")


def test_resolved_as_not_published_goes_out_next_run(env):
    config, pm, store = env
    draft = approved(env)
    PlanNetwork.modes = ["lost_before"]
    PlanNetwork.sees = False
    due(env)
    network = PlanNetwork({}, lambda a: "t")
    assert publish.resolve(store, config, network, draft.id, "A", post_id=None, by="op").state == (
        "pending"
    )
    assert due(env)[0].state == "published"
    assert len(PlanNetwork.walls["a"]) == 1


def test_a_refusal_fails_the_draft_and_an_explicit_publish_retries(env):
    config, pm, store = env
    draft = approved(env, accounts=("A", "B"))
    PlanNetwork.modes = ["refuse", "ok"]
    outcomes = due(env)
    assert [(o.account_id, o.state) for o in outcomes] == [("A", "failed"), ("B", "published")]
    assert "214" in outcomes[0].detail or "denied" in outcomes[0].detail
    assert state(env, draft.id).state == "failed"
    assert due(env) == []  # a failed draft waits for a person
    with pytest.raises(HubError, match="tries again"):
        asyncio.run(publish.publish_draft(store, pm, config, draft.id))
    outcomes = asyncio.run(publish.publish_draft(store, pm, config, draft.id, retry_failed=True))
    assert [(o.account_id, o.state) for o in outcomes] == [("A", "published")]  # B not resent
    assert state(env, draft.id).state == "published"
    assert PlanNetwork.calls == ["A", "B", "A"]


def test_a_request_that_never_left_stays_pending(env):
    draft = approved(env)
    PlanNetwork.modes = ["unapplied"]
    assert due(env)[0].state == "pending"
    assert state(env, draft.id).targets[0].state == "pending"
    assert due(env)[0].state == "published"


def test_a_crash_mid_send_is_checked_and_a_live_send_is_left_alone(env):
    config, pm, store = env
    draft = approved(env)
    stamp = publish.stamp(NOW)
    store.db.execute(
        "UPDATE draft_targets SET state = 'sending', first_sent_at = ?, updated_at = ?",
        [stamp, stamp],
    )
    store.db.conn.commit()
    [outcome] = due(env, NOW + timedelta(minutes=1))  # young: another process is on it
    assert outcome.state == "sending" and PlanNetwork.calls == []
    PlanNetwork._post(PlanNetwork, config.account("A"), draft.text)  # that crashed send worked
    [outcome] = due(env, NOW + timedelta(minutes=10))
    assert outcome.state == "published" and PlanNetwork.calls == []


def test_one_post_never_settles_two_drafts(env):
    first = approved(env)
    second = approved(env)  # the same text, twice in the plan
    PlanNetwork.modes = ["ok", "lost_before"]
    due(env)
    [outcome] = due(env)  # the second's check must not take the first's post
    assert outcome.draft_id == second.id and outcome.state == "published"
    ids = [state(env, d.id).targets[0].post_network_id for d in (first, second)]
    assert ids == [1, 2]


def test_rejecting_and_approving_follow_the_states(env):
    config, _, store = env
    draft = add(env)
    rejected = drafts.reject(store, draft.id, "head", "too long")
    assert (rejected.state, rejected.reject_reason) == ("rejected", "too long")
    with pytest.raises(HubError, match="only a draft can be approved.*write a new one"):
        drafts.approve(store, config, draft.id, "head")
    with pytest.raises(ConfigError, match="--reason"):
        drafts.reject(store, add(env).id, "head", " ")
    going = approved(env)
    PlanNetwork.modes = ["lost_after"]
    due(env)
    with pytest.raises(HubError, match="may be going up on A right now"):
        drafts.reject(store, going.id, "head", "changed my mind")
    with pytest.raises(NotFoundError, match="#999"):
        drafts.approve(store, config, 999, "head")


def test_approval_warns_above_the_lint_threshold(env):
    config, _, store = env
    heavy = add(
        env,
        text="В целях осуществления проведения мероприятий данный объект был передан.",
    )
    _, warning = drafts.approve(store, config, heavy.id, "head")
    assert warning and "above the threshold 10" in warning
    _, warning = drafts.approve(store, config, add(env, text="Завтра чистим парк.").id, "head")
    assert warning is None


def test_bad_drafts_are_refused_before_anything_is_written(env, tmp_path):
    config, pm, store = env
    with pytest.raises(ConfigError, match="no text"):
        add(env, text="  ")
    with pytest.raises(ConfigError, match="is not a file"):
        add(env, attachments=[str(tmp_path / "missing.jpg")])
    with pytest.raises(HubError, match="A: the text is over 100"):
        add(env, text="x" * 101)
    with pytest.raises(ConfigError, match="cannot read the time"):
        drafts.parse_when("tomorrow", drafts.parse_plan(config.raw))
    assert store.db.execute("SELECT count(*) FROM drafts").fetchone() == (0,)


def test_local_times_are_the_municipality_s(env):
    settings = drafts.parse_plan(env[0].raw)
    moment = drafts.parse_when("2026-12-03 09:00", settings)
    assert moment == datetime(2026, 12, 2, 23, 0, tzinfo=UTC)  # Vladivostok is UTC+10
    assert drafts.parse_when("2026-12-03T09:00+03:00", settings).hour == 6


def test_attachments_split_into_photos_and_links(env, tmp_path):
    photo = tmp_path / "a.jpg"
    photo.write_bytes(b"\xff\xd8\xff")
    draft = approved(env, attachments=[str(photo), "https://admin.example.ru/news/1"])
    [kept] = draft.photos  # a copy as approved: changing the file later changes nothing
    assert kept != str(photo.resolve()) and Path(kept).read_bytes() == b"\xff\xd8\xff"
    photo.write_bytes(b"\xff\xd8\xff changed after approval")
    assert Path(kept).read_bytes() == b"\xff\xd8\xff"
    assert draft.links == ("https://admin.example.ru/news/1",)
    due(env)
    assert "https://admin.example.ru/news/1" in PlanNetwork.walls["a"][0].text


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"time_zone": "Mars/Olympus"}, "not a known time zone"),
        ({"posts_per_week": 0}, "posts_per_week must be a whole number from 1 to 100"),
        ({"lint_threshold": "high"}, "lint_threshold must be"),
        ({"norms": {"Школа": -1}}, "'Школа' must be a whole number"),
        ({"norms": {"Шкала": 2}}, "names organization «Шкала», which no"),
        ({"cadence": 3}, "unknown key 'cadence'"),
    ],
)
def test_a_broken_plan_table_stops_the_config(tmp_path, table, message):
    with pytest.raises(ConfigError, match=message):
        parse_config({"database": {"path": str(tmp_path / "x.db")}, "plan": table})


def test_norms_fall_back_to_the_default(tmp_path):
    accounts = [{"id": "s", "network": "vk", "external_id": "1", "organization": "Школа",
                 "token_env": "T"}]  # fmt: skip
    config = parse_config(
        {"plan": {"posts_per_week": 4, "norms": {"Школа": 2}}, "accounts": accounts}
    )
    settings = drafts.parse_plan(config.raw)
    assert (settings.norm_for("Школа"), settings.norm_for("Администрация")) == (2, 4)


def test_flood_control_leaves_the_post_for_the_next_run(env, monkeypatch):
    from hub.errors import RateLimitedError

    draft = approved(env)

    async def flooded(self, request):
        raise RateLimitedError("flood control", code=9, retry_after=600)

    monkeypatch.setattr(PlanNetwork, "publish_post", flooded)
    [outcome] = due(env)
    assert outcome.state == "pending" and "flood" in outcome.detail
    assert state(env, draft.id).state == "approved"


# --------------------------------------------------------------------------- review: defects


def config_with(env, *accounts):
    """The env's config with other accounts (C: a token variable that is not set)."""
    config = env[0]
    known = {
        "A": {"id": "A", "network": "scripted", "external_id": "a", "token_env": "TOK_A"},
        "B": {"id": "B", "network": "scripted", "external_id": "b", "token_env": "TOK_A"},
        "C": {"id": "C", "network": "scripted", "external_id": "c", "token_env": "TOK_C"},
    }
    raw = {**config.raw, "accounts": [known[a] for a in accounts]}
    return parse_config(raw)


def test_a_row_another_process_published_is_never_sent_again(env):
    config, pm, store = env
    draft = approved(env)
    stale = drafts.load_draft(store, draft.id)  # process 2 read the plan ...
    due(env)  # ... while process 1 published it
    target, account = stale.targets[0], config.account("A")
    outcome = asyncio.run(publish._publish_target(store, pm, config, stale, target, account, None))
    assert outcome.state == "published" and PlanNetwork.calls == ["A"]
    assert len(PlanNetwork.walls["a"]) == 1


def test_a_draft_rejected_while_a_run_is_under_way_does_not_go_out(env):
    config, pm, store = env
    draft = approved(env)
    stale = drafts.load_draft(store, draft.id)
    drafts.reject(store, draft.id, "head", "the event is cancelled")
    target, account = stale.targets[0], config.account("A")
    outcome = asyncio.run(publish._publish_target(store, pm, config, stale, target, account, None))
    assert PlanNetwork.calls == [] and outcome.state != "published"
    assert state(env, draft.id).state == "rejected"


def test_two_processes_checking_one_lost_answer_send_it_once(env):
    config, pm, store = env
    draft = approved(env)
    PlanNetwork.modes = ["lost_before"]
    due(env)  # unknown: the post is not up

    async def other_process():  # the CLI runs 'hub plan publish' while the daemon checks
        await publish.publish_draft(store, pm, config, draft.id)

    PlanNetwork.during_check = other_process
    due(env)
    assert len(PlanNetwork.walls["a"]) == 1, PlanNetwork.calls
    assert state(env, draft.id).state == "published"


def test_one_account_s_refusal_does_not_strand_the_others(env):
    draft = approved(env, accounts=("A", "B"))
    PlanNetwork.modes = ["refuse", "unapplied"]  # A refused; B never reached the network
    due(env)
    assert state(env, draft.id).state == "failed"
    outcomes = due(env)  # B still goes out by itself; A waits for a person
    assert [(o.account_id, o.state) for o in outcomes] == [("B", "published")]
    assert PlanNetwork.calls == ["A", "B", "B"]


def test_a_removed_account_s_unsettled_row_is_not_called_failed(env):
    _, pm, store = env
    draft = approved(env, accounts=("A", "B"))
    PlanNetwork.modes = ["lost_after", "ok"]
    due(env)  # A: unknown (the post is up)
    without_a = config_with(env, "B")
    [outcome] = asyncio.run(publish.publish_due(store, pm, without_a))
    assert outcome.state == "unknown" and "no longer in the config" in outcome.detail
    assert state(env, draft.id).targets[0].state == "unknown"
    # put back, the hub finds the post instead of sending it again
    asyncio.run(publish.publish_draft(store, pm, env[0], draft.id, retry_failed=True))
    assert PlanNetwork.calls == ["A", "B"] and len(PlanNetwork.walls["a"]) == 1


def test_a_missing_token_stops_only_its_own_account(env):
    _, pm, store = env
    config = config_with(env, "A", "C")
    PlanNetwork.walls["c"] = []
    first, _ = drafts.add_draft(
        store, pm, config, accounts=[config.account("C")], text="Первый пост.",
        publish_at=NOW - timedelta(hours=1), created_by="smm",
    )  # fmt: skip
    second, _ = drafts.add_draft(
        store, pm, config, accounts=[config.account("A")], text="Второй пост.",
        publish_at=NOW, created_by="smm",
    )  # fmt: skip
    for d in (first, second):
        drafts.approve(store, config, d.id, "head")
    outcomes = asyncio.run(publish.publish_due(store, pm, config))
    assert [(o.account_id, o.state) for o in outcomes] == [("C", "pending"), ("A", "published")]
    assert "TOK_C" in outcomes[0].detail
    assert state(env, first.id).targets[0].state == "pending"


def test_a_plugin_crash_after_the_call_leaves_it_unknown_and_the_run_goes_on(env):
    first = approved(env)
    second = approved(env, text="Другой пост про парк.")
    PlanNetwork.modes = ["crash", "ok"]
    outcomes = due(env)
    assert [o.state for o in outcomes] == ["unknown", "published"]
    assert "KeyError" in outcomes[0].detail
    assert due(env)[0].state == "published"  # found on the wall, not sent again
    assert len(PlanNetwork.walls["a"]) == 2
    assert state(env, first.id).state == state(env, second.id).state == "published"


def test_a_check_that_cannot_look_leaves_it_unknown(env):
    draft = approved(env)
    PlanNetwork.modes = ["lost_after"]
    due(env)
    PlanNetwork.sees = "error"
    [outcome] = due(env)
    assert outcome.state == "unknown" and "could not check" in outcome.detail
    assert state(env, draft.id).targets[0].state == "unknown"
    PlanNetwork.sees = True
    assert due(env)[0].state == "published" and PlanNetwork.calls == ["A"]


def test_an_older_post_with_the_same_text_is_not_taken_for_the_draft(env):
    config, pm, store = env
    text = "Приглашаем на субботник в парке."
    old = PlanNetwork._post(PlanNetwork, config.account("A"), text)  # posted by hand earlier
    old.published_at -= 3600
    from hub.sync import run_sync

    asyncio.run(run_sync(store, pm, config, [config.account("A")]))
    store.db.execute("UPDATE posts SET first_seen_at = '2026-01-01T00:00:00Z'")  # synced before
    store.db.conn.commit()
    draft = approved(env, text=text)
    PlanNetwork.modes = ["lost_before"]  # the hub's own post never went up
    due(env)
    [outcome] = due(env)
    assert outcome.state == "published"
    assert state(env, draft.id).targets[0].post_network_id == 2  # its own, not the old one
    assert PlanNetwork.calls == ["A", "A"]


def test_resolving_a_row_that_is_being_sent_is_refused(env):
    config, _, store = env
    draft = approved(env)
    now = publish.stamp(datetime.now(UTC))
    store.db.execute(
        "UPDATE draft_targets SET state = 'sending', first_sent_at = ?, updated_at = ?",
        [now, now],
    )
    store.db.conn.commit()
    network = PlanNetwork({}, lambda a: "t")
    with pytest.raises(HubError, match="being sent"):
        publish.resolve(store, config, network, draft.id, "A", post_id=None, by="op")


def test_approving_a_draft_whose_time_has_passed_says_it_goes_out_at_once(env):
    config, _, store = env
    draft = add(env, at=NOW - timedelta(days=3))
    _, warning = drafts.approve(store, config, draft.id, "head")
    assert warning and "goes out at the next run" in warning


def test_a_single_digit_hour_is_read(env):
    settings = drafts.parse_plan(env[0].raw)
    moment = drafts.parse_when("2026-12-03 9:00", settings)
    assert moment == datetime(2026, 12, 2, 23, 0, tzinfo=UTC)


def test_a_draft_refused_on_one_account_can_be_withdrawn_before_the_others_go(env):
    store = env[2]
    draft = approved(env, accounts=("A", "B"))
    PlanNetwork.modes = ["refuse", "unapplied"]
    due(env)
    assert drafts.reject(store, draft.id, "head", "rewrite it").state == "rejected"
    assert due(env) == [] and PlanNetwork.calls == ["A", "B"]


def test_a_picture_by_url_is_approved_as_downloaded(env, site):  # noqa: F811
    config = env[0]
    draft = add(env, attachments=[f"{site}/img/park.jpg", f"{site}/news/1"])
    [photo] = draft.photos
    assert photo.startswith(str(config.db_path.parent / "attachments"))
    assert draft.links == (f"{site}/news/1",)


def test_a_draft_stopped_part_way_never_reaches_the_other_accounts(env):
    config, pm, store = env
    draft = approved(env, accounts=("A", "B"))
    PlanNetwork.modes = ["ok", "unapplied"]  # A is up, B waits for the next run
    due(env)
    stopped = drafts.reject(store, draft.id, "head", "ошибка в тексте")
    assert stopped.state == "rejected"
    assert [(t.account_id, t.state) for t in stopped.targets] == [
        ("A", "published"),
        ("B", "pending"),
    ]
    assert due(env) == []
    with pytest.raises(HubError, match="rejected"):
        asyncio.run(publish.publish_draft(store, pm, config, draft.id, retry_failed=True))
    assert PlanNetwork.calls == ["A", "B"] and len(PlanNetwork.walls["b"]) == 0


def test_approving_twice_says_who_did(env):
    config, _, store = env
    draft = approved(env)
    with pytest.raises(HubError, match=r"is approved by head at .*only a draft"):
        drafts.approve(store, config, draft.id, "other")
    with pytest.raises(HubError, match="approve it first"):
        asyncio.run(publish.publish_draft(store, env[1], config, add(env).id))
