"""Editing a draft (drafts.update_draft), separate approval (drafts.approve(separate=True))
and a page of drafts (list_drafts(limit=)): what the console's plan screen relies on."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hub.errors import ConfigError, HubError
from hub.plan import drafts
from tests.plan_fixtures import NOW, PlanNetwork, add, approved, due, state


def edit(env, draft_id, text="Новый текст.", accounts=("A",), at=NOW, title=None):
    config, pm, store = env
    return drafts.update_draft(
        store, pm, config, draft_id, accounts=[config.account(a) for a in accounts],
        text=text, publish_at=at, title=title,
    )  # fmt: skip


def test_a_draft_is_rewritten_with_its_accounts_and_keeps_its_author(env):
    draft = add(env, accounts=("A",))
    later = NOW + timedelta(days=1)
    saved, findings, withdrawn = edit(
        env, draft.id, "В рамках акции — субботник.", ("B",), later, "Акция"
    )
    assert withdrawn is False and findings  # «в рамках» is bureaucratese
    assert (saved.text, saved.title, saved.state, saved.created_by) == (
        "В рамках акции — субботник.",
        "Акция",
        "draft",
        "author",
    )
    assert saved.publish_at == later and saved.lint_score and saved.lint_score > 0
    assert [t.account_id for t in saved.targets] == ["B"]
    saved, _, _ = edit(env, draft.id, accounts=("A", "B"))
    assert [t.account_id for t in saved.targets] == ["A", "B"]
    assert saved.targets[1].guid == state(env, draft.id).targets[1].guid  # kept rows stay


def test_an_edit_of_an_approved_draft_withdraws_the_approval_and_nothing_goes_out(env):
    draft = approved(env)
    saved, _, withdrawn = edit(env, draft.id, "Исправленный текст.")
    assert withdrawn is True
    assert (saved.state, saved.approved_by, saved.approved_at) == ("draft", None, None)
    assert due(env, NOW + timedelta(hours=1)) == []  # not approved again: nothing goes
    assert PlanNetwork.calls == []


def test_a_draft_that_has_begun_going_out_cannot_be_edited(env):
    draft = approved(env, accounts=("A", "B"))
    PlanNetwork.modes = ["ok", "lost_after"]
    due(env)
    with pytest.raises(HubError, match="has begun going out on A, B"):
        edit(env, draft.id)
    assert state(env, draft.id).text == "Приглашаем на субботник в парке."
    rejected = add(env)
    drafts.reject(env[2], rejected.id, "head", "не то")
    with pytest.raises(HubError, match="is rejected; it can no longer be edited"):
        edit(env, rejected.id)


def test_an_edit_is_checked_as_a_new_draft_is(env):
    draft = add(env)
    with pytest.raises(ConfigError, match="no text"):
        edit(env, draft.id, "   ")
    with pytest.raises(ConfigError, match="at least one account"):
        edit(env, draft.id, accounts=())
    with pytest.raises(ConfigError, match="over 100 characters"):
        edit(env, draft.id, "слово " * 30)
    with pytest.raises(drafts.NotFoundError):
        edit(env, 9999)
    assert state(env, draft.id).text == "Приглашаем на субботник в парке."


def test_separate_approval_refuses_the_author_only(env):
    config, _, store = env
    draft = add(env)  # written by "author"
    with pytest.raises(HubError, match="someone else must approve"):
        drafts.approve(store, config, draft.id, "author", separate=True)
    assert state(env, draft.id).state == "draft"
    drafts.approve(store, config, draft.id, "author")  # the CLI's default: not separate
    other = add(env)
    done, _ = drafts.approve(store, config, other.id, "head", separate=True)
    assert done.approved_by == "head"


def test_a_page_of_drafts(env):
    for n in range(3):
        add(env, at=NOW + timedelta(hours=n))
    assert len(drafts.list_drafts(env[2], limit=2)) == 2
    assert len(drafts.list_drafts(env[2])) == 3
    assert len(drafts.list_drafts(env[2], "draft", limit=10)) == 3


def test_a_watch_page_is_never_a_draft_target(tmp_path):
    """Issue 17: a page declared ``watch = true`` is only read; no draft goes out to it."""
    from hub.config import parse_config
    from hub.plan import drafts as drafts_lib

    config = parse_config(
        {
            "database": {"path": str(tmp_path / "hub.db")},
            "accounts": [
                {
                    "id": "gov",
                    "network": "vk",
                    "external_id": "1",
                    "token_env": "HUB_T",
                    "organization": "Администрация",
                    "watch": True,
                },
            ],
        }
    )
    from datetime import UTC, datetime

    from hub import plugins
    from hub.errors import ConfigError
    from hub.store import Store

    store = Store.open(tmp_path / "hub.db")
    try:
        with pytest.raises(ConfigError, match="watch page"):
            drafts_lib.add_draft(
                store,
                plugins.make_plugin_manager(),
                config,
                accounts=config.accounts,
                text="Новость",
                publish_at=datetime.now(UTC),
                created_by="ivanova",
            )
    finally:
        store.close()
