"""Banning or muting a user in an account's community, and lifting it.

Each takes the account, the numeric user id and the run's
:class:`~hub.networks.NetworkPool` (the network is taken from it only once the
action is really to be sent).
"""

from __future__ import annotations

import json
import time

from ..errors import ConfigError, HubError
from ..models import Account
from ..moderation import audit
from ..network import BAN_USER, RESTRICT_USER, UNBAN_USER, BanRequest
from ..networks import NetworkPool
from ..store import Store, utcnow
from .outbox import ActionOutcome, begin_action, finished_outcome, perform_action, record_success
from .undo import answer, last_undoable, refuse_unsettled, retire

MAX_BAN_DAYS = 365
BAN_CATEGORIES = ("other", "spam", "abuse", "language", "flood")


async def ban_user(
    store: Store,
    networks: NetworkPool,
    account: Account,
    user_id: int,
    *,
    days: int | None,
    reason: str,
    category: str = "other",
    requested_by: str = "cli",
    key: str | None = None,
    skip_done: bool = False,
) -> ActionOutcome:
    """Ban the user in the account's community (VK ``groups.ban``, Telegram ``banChatMember``).

    ``key`` names the occasion (the engine passes its verdict), so each violation
    is one action however often it is resent; ``skip_done``: not again if done.
    """
    return await _restrict(
        store,
        networks,
        account,
        user_id,
        BAN_USER,
        days=days,
        reason=reason,
        category=category,
        requested_by=requested_by,
        occasion=key,
        skip_done=skip_done,
    )


async def restrict_user(
    store: Store,
    networks: NetworkPool,
    account: Account,
    user_id: int,
    *,
    days: int | None,
    reason: str,
    requested_by: str = "cli",
    key: str | None = None,
    skip_done: bool = False,
) -> ActionOutcome:
    """Mute the user (their messages stay, new ones are stopped), where the network can."""
    return await _restrict(
        store,
        networks,
        account,
        user_id,
        RESTRICT_USER,
        days=days,
        reason=reason,
        category="other",
        requested_by=requested_by,
        occasion=key,
        skip_done=skip_done,
    )


def check_restriction(days: int | None, category: str) -> None:
    """Refuse a length or a category no network takes, before anything is recorded."""
    if days is not None and not 1 <= days <= MAX_BAN_DAYS:
        raise ConfigError(
            f"--days must be between 1 and {MAX_BAN_DAYS} (omit it for a permanent one)"
        )
    if category not in BAN_CATEGORIES:
        raise ConfigError(f"unknown category {category!r}; use one of {', '.join(BAN_CATEGORIES)}")


async def _restrict(
    store: Store,
    networks: NetworkPool,
    account: Account,
    user_id: int,
    kind: str,
    *,
    days: int | None,
    reason: str,
    category: str,
    requested_by: str,
    occasion: str | None,
    skip_done: bool,
) -> ActionOutcome:
    check_restriction(days, category)
    key = f"{kind}:{account.id}:{user_id}:" + (occasion or f"{days}:{reason}")
    if skip_done and (earlier := finished_outcome(store, key)):
        return earlier
    network = networks.get(account)
    if kind not in network.capabilities:
        raise HubError(network.missing(kind))
    until = _stored_until(store, key)  # a resend keeps the end it first asked for
    if until is None and days:
        until = int(time.time()) + days * 86400
    params = {
        "user_id": user_id,
        "days": days,
        "until": until,
        "reason": reason,
        "category": category,
    }
    action_id, prior = begin_action(store, key, account, kind, str(user_id), params, requested_by)
    request = BanRequest(account, user_id, until, reason, category)
    call = network.ban_user(request) if kind == BAN_USER else network.restrict_user(request)
    result = await perform_action(store, action_id, prior, account, call)
    with store.transaction():
        record_success(store, action_id, result)
        if result.done and result.data.get("author_messages_removed"):
            store.mark_author_comments_deleted(account.id, user_id)
    return ActionOutcome(action_id, result)


def _stored_until(store: Store, key: str) -> int | None:
    row = store.db.execute(
        "SELECT params_json FROM actions WHERE idempotency_key = ?", [key]
    ).fetchone()
    return json.loads(row[0]).get("until") if row else None


async def unban_user(
    store: Store,
    networks: NetworkPool,
    account: Account,
    user_id: int,
    *,
    requested_by: str = "cli",
) -> ActionOutcome:
    """Lift the user's ban or mute (VK ``groups.unban``; Telegram unban, unmute, sender chat).

    A restriction still waiting in a verdict being carried out is called off too,
    so the next ``hub moderate`` does not ban the user again.
    """
    kinds = (BAN_USER, RESTRICT_USER)
    undoes = last_undoable(store, account.id, kinds, str(user_id))
    refuse_unsettled(
        store,
        "unban the user",
        "account_id = ? AND target = ? AND kind IN (?, ?)",
        [account.id, str(user_id), *kinds],
    )
    network = networks.get(account)
    if UNBAN_USER not in network.capabilities:
        raise HubError(network.missing(UNBAN_USER))
    key = f"unban_user:{account.id}:{user_id}:{undoes}"
    params = {"user_id": user_id, "undoes_action": undoes or None}
    action_id, prior = begin_action(
        store, key, account, "unban_user", str(user_id), params, requested_by
    )
    call = network.unban_user(BanRequest(account, user_id, None, "lifted by an operator"))
    result = await perform_action(store, action_id, prior, account, call)
    with store.transaction(immediate=True):
        if result.done:
            for kind in kinds:
                prefix = f"{kind}:{account.id}:{user_id}:"
                retire(store, prefix, "lifted", action_id, prefix=True)
            store.db.execute(
                "UPDATE verdicts SET restrict_action = 'none', updated_at = ? "
                "WHERE account_id = ? AND status = 'decided' AND restrict_action != 'none' "
                "AND comment_id IN (SELECT id FROM comments WHERE account_id = ? "
                "AND author_id = ?)",
                [utcnow(), account.id, account.id, user_id],
            )
        record_success(store, action_id, result)
        audit.append(
            store,
            account_id=account.id,
            comment_id=None,
            actor=requested_by,
            event="unban_user",
            network_answer={**answer(result), "user_id": user_id},
            action_id=action_id,
        )
    return ActionOutcome(action_id, result)
