""" "Delete and restrict" (the console's b, issue 16): the author is restricted even on a first
offence — with what the policy does now, else what it does to repeat offenders (spammers for
spam), else a week's ban; an author the hub cannot restrict is refused before anything is
decided. (Over the emulator, end to end: tests/web/test_moderation.py.)"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from hub.errors import HubError
from hub.models import Account
from hub.moderation import service
from hub.moderation.pipeline import Judged
from hub.moderation.policy import Policy, Restriction
from hub.verdicts import DELETE, Verdict
from tests.moderation.test_review_context import make_store

ACCOUNT = Account("acc-1", "vk", "101", "Организация 1", "HUB_VK_TOKEN_TEST")


@pytest.fixture
def moderator(tmp_path):
    store = make_store(tmp_path)
    try:
        yield SimpleNamespace(store=store)  # what forced_restriction reads of a Moderator
    finally:
        store.close()


def _item(category: str | None, author: int | None = 501) -> Judged:
    return Judged(1, ACCOUNT, author, "текст", Verdict(DELETE, category), DELETE)


def test_what_the_policy_restricts_with_now_stands(moderator):
    now = Restriction("ban", 30)
    assert service.forced_restriction(Policy(), now, _item("insult"), moderator) == now


def test_a_first_offence_gets_the_repeat_offenders_restriction(moderator):
    policy = Policy()
    none = Restriction()
    insult = service.forced_restriction(policy, none, _item("insult"), moderator)
    assert insult == policy.repeat_restrict and insult.action != "none"
    spam_only = Policy(spam_restrict=Restriction("ban", 3), repeat_restrict=Restriction())
    assert service.forced_restriction(spam_only, none, _item("insult"), moderator) == Restriction(
        "ban", 3
    )
    spam = Policy(spam_restrict=Restriction("ban", 2), repeat_restrict=Restriction("mute", 9))
    assert service.forced_restriction(spam, none, _item("spam"), moderator) == Restriction("ban", 2)


def test_a_policy_that_restricts_no_one_gets_a_weeks_ban(moderator):
    lenient = Policy(spam_restrict=Restriction(), repeat_restrict=Restriction())
    got = service.forced_restriction(lenient, Restriction(), _item("insult"), moderator)
    assert got == service.FALLBACK_RESTRICTION == Restriction("ban", 7)


def test_an_unknown_author_is_refused(moderator):
    with pytest.raises(HubError, match="no author the hub can restrict"):
        service.forced_restriction(Policy(), Restriction(), _item("insult", None), moderator)
