"""Replies from approved templates on the scripted network: approval, once only, retries.

The content plan's publishing tests are in tests/plan/test_plan.py (their network and
fixtures are shared from there); replies through the real plugins are in
tests/plan/test_plan_emulators.py.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from hub.actions import commands
from hub.errors import ConfigError, HubError
from hub.plan import publish, replies
from tests.plan_fixtures import PlanNetwork


def store_comment(store):
    store.db.execute(
        "INSERT INTO comments (account_id, network_id, post_network_id, author_id, published_at,"
        " text) VALUES ('A', 9012, 1, 55501, '2026-12-01T10:00:00Z', 'Когда починят дорогу?')"
    )
    store.db.execute(
        "INSERT INTO authors (network, network_id, kind, name) "
        "VALUES ('scripted', 55501, 'user', 'Анна Петрова')"
    )
    store.db.conn.commit()


def answer_lost_once(env, template: str = "Спасибо!") -> None:
    """A resident's comment, an approved template, and a network that loses the next answer."""
    config, _, store = env
    store.sync_accounts_from_config(config.accounts)
    store_comment(store)
    replies.add_template(store, "thanks", template, "smm")
    replies.approve_template(store, "thanks", "head")
    PlanNetwork.modes = ["lost_after"]


def test_replies_use_approved_templates_once(env):
    config, pm, store = env
    store.sync_accounts_from_config(config.accounts)
    store_comment(store)
    replies.add_template(store, "thanks", "{author}, спасибо! Передали в дорожную службу.", "smm")
    with pytest.raises(HubError, match="not approved"):
        asyncio.run(commands.reply(store, pm, config, "A:9012", "thanks"))
    replies.approve_template(store, "thanks", "head")
    outcome = asyncio.run(commands.reply(store, pm, config, "A:9012", "thanks"))
    assert outcome.result.done and outcome.result.data["url"] == "u/c77"
    assert PlanNetwork.replies == [(9012, "Анна, спасибо! Передали в дорожную службу.", False)]
    again = asyncio.run(commands.reply(store, pm, config, "A:9012", "thanks"))
    assert again.result.already and "u/c77" in again.result.detail
    assert len(PlanNetwork.replies) == 1  # never a second answer
    row = store.db.execute("SELECT kind, state FROM actions").fetchall()
    assert row == [("reply_comment", "done")]


def test_a_reply_whose_answer_was_lost_is_retried_with_care(env):
    config, pm, store = env
    answer_lost_once(env)
    with pytest.raises(HubError, match="may or may not have been applied"):
        asyncio.run(commands.reply(store, pm, config, "A:9012", "thanks"))
    asyncio.run(commands.reply(store, pm, config, "A:9012", "thanks"))
    assert [r[2] for r in PlanNetwork.replies] == [False, True]  # the plugin was told to look


def test_templates_are_checked(env):
    store = env[2]
    with pytest.raises(ConfigError, match="may use only"):
        replies.add_template(store, "x", "Здравствуйте, {name}", "smm")
    with pytest.raises(ConfigError, match="template name"):
        replies.add_template(store, "Спасибо", "Спасибо", "smm")
    replies.add_template(store, "thanks", "Спасибо", "smm")
    replies.approve_template(store, "thanks", "head")
    rewritten = replies.add_template(store, "thanks", "Спасибо большое", "smm")
    assert not rewritten.approved  # a changed text needs a new approval


def test_a_template_with_a_format_spec_is_refused(env):
    with pytest.raises(ConfigError, match="plain"):
        replies.add_template(env[2], "x", "{author:>{author}}, спасибо", "smm")


def test_a_lost_reply_is_checked_with_the_text_first_sent(env):
    config, pm, store = env
    answer_lost_once(env)
    with pytest.raises(HubError):
        asyncio.run(commands.reply(store, pm, config, "A:9012", "thanks"))
    replies.add_template(store, "thanks", "Спасибо большое!", "smm")
    replies.approve_template(store, "thanks", "head")
    asyncio.run(commands.reply(store, pm, config, "A:9012", "thanks"))
    assert [r[1:] for r in PlanNetwork.replies] == [("Спасибо!", False), ("Спасибо!", True)]


def test_a_reply_in_flight_elsewhere_is_not_sent_twice_and_a_person_can_resend(env):
    config, pm, store = env
    answer_lost_once(env)
    with pytest.raises(HubError):
        asyncio.run(commands.reply(store, pm, config, "A:9012", "thanks"))
    # another process is sending it right now: its row is pending and fresh
    store.db.execute(
        "UPDATE actions SET state = 'pending', updated_at = ?", [publish.stamp(datetime.now(UTC))]
    )
    store.db.conn.commit()
    with pytest.raises(HubError, match="being carried out right now"):
        asyncio.run(commands.reply(store, pm, config, "A:9012", "thanks"))
    assert len(PlanNetwork.replies) == 1
    # a crash left it long ago: the repeat asks the network to look (retry=True) ...
    store.db.execute("UPDATE actions SET updated_at = '2026-01-01T00:00:00Z'")
    store.db.conn.commit()
    # ... unless a person looked and says it is not there
    asyncio.run(commands.reply(store, pm, config, "A:9012", "thanks", resend=True))
    assert [r[2] for r in PlanNetwork.replies] == [False, False]
    again = asyncio.run(commands.reply(store, pm, config, "A:9012", "thanks", resend=True))
    assert again.result.already and len(PlanNetwork.replies) == 2  # done stays done
    replies.add_template(store, "other", "Разберёмся.", "smm")
    replies.approve_template(store, "other", "head")
    with pytest.raises(HubError, match="--resend is for an answer"):
        asyncio.run(commands.reply(store, pm, config, "A:9012", "other", resend=True))


def test_no_reply_to_the_community_itself_or_to_a_deleted_comment(env):
    config, pm, store = env
    store.sync_accounts_from_config(config.accounts)
    store_comment(store)
    store.db.execute(
        "INSERT INTO comments (account_id, network_id, post_network_id, author_id, published_at,"
        " text, deleted_at) VALUES ('A', 9013, 1, 55502, '2026-12-01T10:00:00Z', 'x', "
        "'2026-12-01T11:00:00Z')"
    )
    store.db.execute("UPDATE comments SET author_id = -1 WHERE network_id = 9012")
    store.db.execute("""UPDATE accounts SET raw_json = '{"id": 1}' WHERE id = 'A'""")
    store.db.conn.commit()
    replies.add_template(store, "thanks", "Спасибо!", "smm")
    replies.approve_template(store, "thanks", "head")
    with pytest.raises(HubError, match="written by the community itself"):
        asyncio.run(commands.reply(store, pm, config, "A:9012", "thanks"))
    with pytest.raises(HubError, match="was deleted"):
        asyncio.run(commands.reply(store, pm, config, "A:9013", "thanks"))
    assert PlanNetwork.replies == []


def test_the_same_template_text_keeps_its_approval(env):
    store = env[2]
    replies.add_template(store, "thanks", "Спасибо", "smm")
    replies.approve_template(store, "thanks", "head")
    assert replies.add_template(store, "thanks", "  Спасибо ", "smm").approved_by == "head"


def test_a_lost_reply_is_taken_up_by_the_next_run_without_a_second_answer(env):
    """Nobody re-runs 'hub reply' by hand: the next moderation run looks, then settles it."""
    from hub.actions.unfinished import resume_unfinished
    from hub.networks import NetworkPool

    async def resume():
        async with NetworkPool(pm, config) as networks:
            return await resume_unfinished(store, networks, config, config.accounts)

    config, pm, store = env
    answer_lost_once(env)
    with pytest.raises(HubError, match="may or may not have been applied"):
        asyncio.run(commands.reply(store, pm, config, "A:9012", "thanks"))
    assert store.db.execute("SELECT state FROM actions").fetchone() == ("unknown",)
    resumed = asyncio.run(resume())
    assert [(r.kind, r.ok) for r in resumed] == [("reply_comment", True)]
    assert [r[2] for r in PlanNetwork.replies] == [False, True]  # it looked before sending
    assert store.db.execute("SELECT state FROM actions").fetchone() == ("done",)
    assert asyncio.run(resume()) == []
