"""Operator actions (delete a comment, ban a user), recorded before and after.

Each action is a row in ``actions`` keyed by an idempotency key. The row is
committed as ``pending`` *before* the network is called and updated to ``done``
or ``failed`` after, so a crash in between leaves a trace. Running the same
action again reuses the row; the plugins make the calls themselves safe to
repeat (an already deleted comment or an existing ban is success), so a repeat
after a crash verifies instead of doing anything twice.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import pluggy

from .config import Config
from .errors import ApiError, ConfigError, HubError, NotFoundError, TransientError
from .models import Account
from .network import (
    BAN_USER,
    BLOCK_AUTHOR,
    DELETE_COMMENT,
    RESTRICT_USER,
    ActionResult,
    BanRequest,
    CommentRef,
)
from .store import Store, utcnow
from .sync import describe_error, open_networks

MAX_BAN_DAYS = 365
BAN_CATEGORIES = ("other", "spam", "abuse", "language", "flood")


@dataclass
class ActionOutcome:
    action_id: int
    result: ActionResult

    def summary(self, what: str) -> str:
        if self.result.manual:
            return f"{what}: needs a person (action #{self.action_id}): {self.result.detail}"
        state = "already done" if self.result.already else "done"
        detail = f": {self.result.detail}" if self.result.detail else ""
        return f"{what}: {state} (action #{self.action_id}){detail}"


def begin_action(
    store: Store,
    key: str,
    account: Account,
    kind: str,
    target: str,
    params: dict,
    requested_by: str,
) -> tuple[int, str | None]:
    """Record the action before it is sent; return its id and its state before this attempt.

    A repeat reuses the row. A row already ``done`` stays ``done`` while the
    repeat runs, so a repeat that fails can never erase the record of the real
    action.
    """
    now = utcnow()
    params_json = json.dumps(params, ensure_ascii=False)
    with store.transaction(immediate=True):  # two hub processes never both take the row
        row = store.db.execute(
            "SELECT id, state, updated_at FROM actions WHERE idempotency_key = ?", [key]
        ).fetchone()
        if row and row[1] == "pending" and _recent(row[2]):
            raise HubError(
                f"action #{row[0]} is being carried out right now (started {row[2]}); "
                f"run the command again in a minute and it will check what happened"
            )
        if row:
            store.db.execute(
                "UPDATE actions SET state = CASE WHEN state = 'done' THEN 'done' ELSE 'pending' "
                "END, attempts = attempts + 1, updated_at = ?, params_json = ? WHERE id = ?",
                [now, params_json, row[0]],
            )
            return row[0], row[1]
        cursor = store.db.execute(
            "INSERT INTO actions (idempotency_key, account_id, kind, target, params_json, state, "
            "attempts, requested_by, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, 'pending', 1, ?, ?, ?)",
            [key, account.id, kind, target, params_json, requested_by, now, now],
        )
        return cursor.lastrowid, None


#: a ``pending`` row younger than this is another process's action in flight (the HTTP
#: timeout is 30 s); an older one was left by a crash, and a repeat checks it
IN_FLIGHT_SECONDS = 60


def _recent(stamp: str | None) -> bool:
    if not stamp:
        return False
    age = datetime.now(UTC) - datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return age.total_seconds() < IN_FLIGHT_SECONDS


def record_success(store: Store, action_id: int, result: ActionResult) -> None:
    """``done``; or ``manual`` when the network leaves it to a person (and says how)."""
    data = {"already": result.already, "detail": result.detail, **result.data}
    store.db.execute(
        "UPDATE actions SET state = ?, result_json = ?, error = NULL, updated_at = ? WHERE id = ?",
        [
            "manual" if result.manual else "done",
            json.dumps(data, ensure_ascii=False),
            utcnow(),
            action_id,
        ],
    )


def _record_failure(
    store: Store, action_id: int, prior_state: str | None, state: str, message: str
) -> None:
    if prior_state == "done":  # keep the record of the action that did happen
        store.db.execute(
            "UPDATE actions SET error = ?, updated_at = ? WHERE id = ?",
            [f"a repeat failed: {message}", utcnow(), action_id],
        )
    else:
        store.db.execute(
            "UPDATE actions SET state = ?, error = ?, updated_at = ? WHERE id = ?",
            [state, message, utcnow(), action_id],
        )


def find_comment(store: Store, config: Config, ref: str) -> tuple[int, CommentRef]:
    """A stored comment by hub id (``123``) or by account and network id (``klochki-vk:9012``).

    Returns the hub id and what the network needs to act on it.
    """
    ref = ref.strip()
    select = (
        "SELECT id, account_id, network_id, post_network_id, author_id, published_at FROM comments "
    )
    if ref.isdigit():
        row = store.db.execute(select + "WHERE id = ?", [int(ref)]).fetchone()
    else:
        account_id, sep, comment_id = ref.partition(":")
        if not sep or not account_id or not comment_id:
            raise NotFoundError(
                f"cannot read comment {ref!r}; give its hub id (123) or ACCOUNT:COMMENT_ID "
                "(klochki-vk:9012), as 'hub comments list' shows"
            )
        config.account(account_id)
        row = store.db.execute(
            select + "WHERE account_id = ? AND network_id = ?", [account_id, comment_id]
        ).fetchone()
    if row is None:
        raise NotFoundError(f"comment {ref!r} is not in the database; run 'hub sync' first")
    local_id, account_id, network_id, post_network_id, author_id, published = row
    published_at = None
    if published:
        published_at = int(datetime.fromisoformat(published.replace("Z", "+00:00")).timestamp())
    comment = CommentRef(
        config.account(account_id), network_id, post_network_id, author_id, published_at
    )
    return local_id, comment


async def delete_comment(
    store: Store,
    pm: pluggy.PluginManager,
    config: Config,
    ref: str,
    requested_by: str = "cli",
    *,
    block_author: bool = False,
) -> ActionOutcome:
    local_id, comment = find_comment(store, config, ref)
    account = comment.account
    network = open_networks(pm, config, [account])[account.network]
    try:
        for needed in (DELETE_COMMENT, BLOCK_AUTHOR) if block_author else (DELETE_COMMENT,):
            if needed not in network.capabilities:
                raise HubError(network.missing(needed))
        key = f"delete_comment:{account.id}:{comment.network_id}"
        params = {"comment_id": comment.network_id, "block_author": block_author}
        action_id, prior = begin_action(
            store, key, account, "delete_comment", str(comment.network_id), params, requested_by
        )
        result = await perform_action(
            store,
            action_id,
            prior,
            account,
            network.delete_comment(comment, block_author=block_author),
        )
        with store.transaction():
            record_success(store, action_id, result)
            if result.done:
                store.mark_comment_deleted_by_hub(local_id)
        return ActionOutcome(action_id, result)
    finally:
        await network.aclose()


def parse_user(user: str) -> int:
    match = re.fullmatch(r"(?:id)?(-?\d+)", user.strip())
    if not match:
        raise NotFoundError(f"cannot read user {user!r}; give the numeric user id, like 55501")
    return int(match.group(1))


async def ban_user(
    store: Store,
    pm: pluggy.PluginManager,
    config: Config,
    account_id: str,
    user: str,
    *,
    days: int | None,
    reason: str,
    category: str = "other",
    requested_by: str = "cli",
    key: str | None = None,
) -> ActionOutcome:
    """Ban the user in the account's community (VK ``groups.ban``, Telegram ``banChatMember``).

    ``key`` names the occasion (the engine passes its verdict), so each violation
    is one action however often it is resent.
    """
    return await _restrict(
        store, pm, config, account_id, user, BAN_USER, days, reason, category, requested_by, key
    )


async def restrict_user(
    store: Store,
    pm: pluggy.PluginManager,
    config: Config,
    account_id: str,
    user: str,
    *,
    days: int | None,
    reason: str,
    requested_by: str = "cli",
    key: str | None = None,
) -> ActionOutcome:
    """Mute the user (their messages stay, new ones are stopped), where the network can."""
    return await _restrict(
        store,
        pm,
        config,
        account_id,
        user,
        RESTRICT_USER,
        days,
        reason,
        "other",
        requested_by,
        key,
    )


async def _restrict(
    store: Store,
    pm: pluggy.PluginManager,
    config: Config,
    account_id: str,
    user: str,
    kind: str,
    days: int | None,
    reason: str,
    category: str,
    requested_by: str,
    occasion: str | None = None,
) -> ActionOutcome:
    account = config.account(account_id)
    user_id = parse_user(user)
    if days is not None and not 1 <= days <= MAX_BAN_DAYS:
        raise ConfigError(
            f"--days must be between 1 and {MAX_BAN_DAYS} (omit it for a permanent one)"
        )
    if category not in BAN_CATEGORIES:
        raise ConfigError(f"unknown category {category!r}; use one of {', '.join(BAN_CATEGORIES)}")
    network = open_networks(pm, config, [account])[account.network]
    try:
        if kind not in network.capabilities:
            raise HubError(network.missing(kind))
        key = f"{kind}:{account.id}:{user_id}:" + (occasion or f"{days}:{reason}")
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
        action_id, prior = begin_action(
            store, key, account, kind, str(user_id), params, requested_by
        )
        request = BanRequest(account, user_id, until, reason, category)
        call = network.ban_user(request) if kind == BAN_USER else network.restrict_user(request)
        result = await perform_action(store, action_id, prior, account, call)
        with store.transaction():
            record_success(store, action_id, result)
            if result.done and result.data.get("author_messages_removed"):
                store.mark_author_comments_deleted(account.id, user_id)
        return ActionOutcome(action_id, result)
    finally:
        await network.aclose()


def _stored_until(store: Store, key: str) -> int | None:
    row = store.db.execute(
        "SELECT params_json FROM actions WHERE idempotency_key = ?", [key]
    ).fetchone()
    return json.loads(row[0]).get("until") if row else None


async def perform_action(
    store: Store, action_id: int, prior: str | None, account: Account, call
) -> ActionResult:
    """Await the network call and record a failure.

    A refusal is ``failed``. An answer lost on the way (a transient error the
    plugin could not resolve by looking) is ``unknown``: the action may have
    been applied, and running the same command again checks. A crash or Ctrl-C
    leaves the row ``pending``, which a repeat checks the same way.
    """
    try:
        return await call
    except TransientError as exc:
        message = (
            f"{describe_error(account, exc)}; the network's answer was lost, so the action may "
            "or may not have been applied: run the same command again to check"
        )
        with store.transaction():
            _record_failure(store, action_id, prior, "unknown", message)
        raise HubError(f"{account.id}: {message} (action #{action_id})") from None
    except ApiError as exc:
        message = describe_error(account, exc)
        with store.transaction():
            _record_failure(store, action_id, prior, "failed", message)
        raise HubError(
            f"{account.id}: {message} (action #{action_id} recorded as failed)"
        ) from None
