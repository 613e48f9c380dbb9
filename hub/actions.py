"""Operator actions (delete a comment, ban a user), recorded before and after.

Each action is a row in ``actions`` keyed by an idempotency key. The row is
committed as ``pending`` *before* the network is called and updated to ``done``
or ``failed`` after, so a crash in between leaves a trace. Running the same
action again reuses the row; the plugins make the calls themselves safe to
repeat (an already deleted comment or an existing ban is success), so a repeat
after a crash verifies instead of doing anything twice.
"""

from __future__ import annotations

import functools
import json
import os
import re
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pluggy

from .config import Config
from .errors import (
    ApiError,
    ConfigError,
    HubError,
    InFlightError,
    NotFoundError,
    TransientError,
)
from .i18n import _
from .models import Account
from .moderation import audit
from .network import (
    BAN_USER,
    BLOCK_AUTHOR,
    DELETE_COMMENT,
    RESTORE_COMMENT,
    RESTRICT_USER,
    UNBAN_USER,
    ActionResult,
    BanRequest,
    CommentRef,
)
from .secrets import redact
from .store import Store, utcnow
from .sync import describe_error, open_networks

MAX_BAN_DAYS = 365
#: tries before an unfinished action (or a verdict's) is left to a person as stuck
MAX_ATTEMPTS = 5
BAN_CATEGORIES = ("other", "spam", "abuse", "language", "flood")


@dataclass
class ActionOutcome:
    action_id: int
    result: ActionResult
    #: done in an earlier run and not sent again now
    reused: bool = False

    def summary(self, what: str) -> str:
        if self.result.manual:
            return _("{what}: needs a person (action #{id}): {detail}").format(
                what=what, id=self.action_id, detail=self.result.detail
            )
        state = _("already done") if self.result.already else _("done")
        detail = f": {self.result.detail}" if self.result.detail else ""
        return _("{what}: {state} (action #{id}){detail}").format(
            what=what, state=state, id=self.action_id, detail=detail
        )


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
    action. A row another live process is sending raises :class:`InFlightError`.
    """
    now = utcnow()
    params_json = json.dumps(params, ensure_ascii=False)
    with store.transaction(immediate=True):  # two hub processes never both take the row
        row = store.db.execute(
            "SELECT id, state, updated_at, claimed_by FROM actions WHERE idempotency_key = ?",
            [key],
        ).fetchone()
        if row and row[1] == "pending" and in_flight(row[2], row[3]):
            raise InFlightError(
                f"action #{row[0]} is being carried out right now (started {row[2]}); "
                f"run the command again in a minute and it will check what happened"
            )
        if row:
            store.db.execute(
                "UPDATE actions SET state = CASE WHEN state = 'done' THEN 'done' ELSE 'pending' "
                "END, attempts = attempts + 1, updated_at = ?, params_json = ?, claimed_by = ? "
                "WHERE id = ?",
                [now, params_json, claimant(), row[0]],
            )
            return row[0], row[1]
        cursor = store.db.execute(
            "INSERT INTO actions (idempotency_key, account_id, kind, target, params_json, state, "
            "attempts, requested_by, created_at, updated_at, claimed_by) "
            "VALUES (?, ?, ?, ?, ?, 'pending', 1, ?, ?, ?, ?)",
            [key, account.id, kind, target, params_json, requested_by, now, now, claimant()],
        )
        return cursor.lastrowid, None


#: a ``pending`` row younger than this whose process cannot be checked (another host,
#: an older hub, this very process) is taken to be in flight
IN_FLIGHT_SECONDS = 60
#: a ``pending`` row of another live process on this host is in flight for at most this
#: long (longer than any request's total deadline with its retries)
IN_FLIGHT_LIVE_SECONDS = 600


def _start_time(pid: int) -> str:
    """The process's start time in clock ticks since boot (Linux), so a reused pid differs."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else ""


@functools.cache
def claimant() -> str:
    """This process, as a ``pending`` row records who is sending it: host:pid:start."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_start_time(pid)}"


def _process_alive(claim: str) -> bool | None:
    """True or False for a process of this host; None when it cannot be told."""
    host, _, rest = claim.partition(":")
    pid_text, _, started = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return None
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        pass
    except (OverflowError, OSError):
        return None
    return not started or _start_time(pid) in ("", started)


def in_flight(updated_at: str | None, claimed_by: str | None) -> bool:
    """Is a ``pending`` row being sent by another process right now?

    A row whose process has died was left by a crash: it is taken over at once,
    and the repeat checks the network before sending. Another live process's
    row is in flight up to :data:`IN_FLIGHT_LIVE_SECONDS`; a row nobody can
    check, up to :data:`IN_FLIGHT_SECONDS`.
    """
    age = _age_seconds(updated_at)
    if age is None:
        return False
    alive = _process_alive(claimed_by) if claimed_by else None
    if alive is False:
        return False
    if alive and claimed_by != claimant():
        return age < IN_FLIGHT_LIVE_SECONDS
    return age < IN_FLIGHT_SECONDS


def _age_seconds(stamp: str | None) -> float | None:
    if not stamp:
        return None
    then = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return (datetime.now(UTC) - then).total_seconds()


def finished_outcome(store: Store, key: str) -> ActionOutcome | None:
    """The stored outcome of an action already ``done``, so a resumed verdict skips it.

    A verdict whose deletion went out but whose ban did not is carried out again
    from the ban on: the deletion is neither sent nor checked a second time.
    """
    row = store.db.execute(
        "SELECT id, result_json FROM actions WHERE idempotency_key = ? AND state = 'done'", [key]
    ).fetchone()
    if row is None:
        return None
    detail = json.loads(row[1] or "{}").get("detail") or "done before"
    return ActionOutcome(row[0], ActionResult(True, already=True, detail=detail), reused=True)


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
    if ref.isdigit():  # an id beyond 64 bits is no hub id (and SQLite could not take it)
        fits = int(ref) <= 2**63 - 1
        row = store.db.execute(select + "WHERE id = ?", [int(ref)]).fetchone() if fits else None
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
    skip_done: bool = False,
) -> ActionOutcome:
    """Delete the comment on its network (``skip_done``: not again if already done)."""
    local_id, comment = find_comment(store, config, ref)
    account = comment.account
    key = f"delete_comment:{account.id}:{comment.network_id}"
    if skip_done and (earlier := finished_outcome(store, key)):
        return earlier
    network = open_networks(pm, config, [account])[account.network]
    try:
        for needed in (DELETE_COMMENT, BLOCK_AUTHOR) if block_author else (DELETE_COMMENT,):
            if needed not in network.capabilities:
                raise HubError(network.missing(needed))
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
    if abs(int(match.group(1))) > 2**63 - 1:  # no network's id: SQLite could not store it
        raise NotFoundError(f"user id {user.strip()!r} is too large to be a user id")
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
    skip_done: bool = False,
) -> ActionOutcome:
    """Ban the user in the account's community (VK ``groups.ban``, Telegram ``banChatMember``).

    ``key`` names the occasion (the engine passes its verdict), so each violation
    is one action however often it is resent; ``skip_done``: not again if done.
    """
    return await _restrict(
        store,
        pm,
        config,
        account_id,
        user,
        BAN_USER,
        days,
        reason,
        category,
        requested_by,
        key,
        skip_done,
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
    skip_done: bool = False,
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
        skip_done,
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
    skip_done: bool = False,
) -> ActionOutcome:
    account = config.account(account_id)
    user_id = parse_user(user)
    if days is not None and not 1 <= days <= MAX_BAN_DAYS:
        raise ConfigError(
            f"--days must be between 1 and {MAX_BAN_DAYS} (omit it for a permanent one)"
        )
    if category not in BAN_CATEGORIES:
        raise ConfigError(f"unknown category {category!r}; use one of {', '.join(BAN_CATEGORIES)}")
    key = f"{kind}:{account.id}:{user_id}:" + (occasion or f"{days}:{reason}")
    if skip_done and (earlier := finished_outcome(store, key)):
        return earlier
    network = open_networks(pm, config, [account])[account.network]
    try:
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
    except Exception as exc:  # a plugin's bug or an answer it could not read: it may have gone out
        message = (
            f"{account.id}: the {account.network} plugin stopped unexpectedly "
            f"({type(exc).__name__}: {redact(str(exc))[:200]}); the action may or may not have "
            "been applied: the next run checks"
        )
        with store.transaction():
            _record_failure(store, action_id, prior, "unknown", message)
        raise HubError(f"{message} (action #{action_id})") from None


# ------------------------------------------------------------------ undoing
#
# A restore undoes one deletion and an unban lifts the restrictions in place, so
# each is keyed by the action it undoes: a repeat verifies, and a deletion (or a
# ban) after the undo, undone again, is an action of its own. A successful undo
# retires the undone action's key (appending ":restored-N" / ":lifted-N"), so the
# same deletion or ban asked for again is a new action, not a repeat of the old.

#: a retired key ends like this; such a row is history, never resumed or reused
_RETIRED = "*:{mark}-[0-9]*"


async def restore_comment(
    store: Store,
    pm: pluggy.PluginManager,
    config: Config,
    ref: str,
    requested_by: str = "cli",
) -> ActionOutcome:
    """Bring a deleted comment back on its network (VK ``wall.restoreComment``).

    The verdict that deleted it is overturned (kept by ``requested_by``): the
    pipeline neither deletes it again nor counts it against its author.
    """
    local_id, comment = find_comment(store, config, ref)
    account = comment.account
    delete_key = f"delete_comment:{account.id}:{comment.network_id}"
    undoes = _last_undoable(store, account.id, ("delete_comment",), str(comment.network_id))
    verdict = store.db.execute(
        "SELECT id, category, rule FROM verdicts WHERE comment_id = ? AND decision = 'delete'",
        [local_id],
    ).fetchone()
    _refuse_unsettled(
        store,
        "restore the comment",
        "idempotency_key = ? OR idempotency_key LIKE ?",
        [delete_key, f"%:verdict-{verdict[0]}" if verdict else delete_key],
    )
    network = open_networks(pm, config, [account])[account.network]
    try:
        if RESTORE_COMMENT not in network.capabilities:
            raise HubError(network.missing(RESTORE_COMMENT))
        key = f"restore_comment:{account.id}:{comment.network_id}:{undoes}"
        params = {"comment_id": comment.network_id, "undoes_action": undoes or None}
        action_id, prior = begin_action(
            store, key, account, "restore_comment", str(comment.network_id), params, requested_by
        )
        result = await perform_action(
            store, action_id, prior, account, network.restore_comment(comment)
        )
        with store.transaction(immediate=True):
            if result.done:
                store.mark_comment_restored_by_hub(local_id)
                _retire(store, delete_key, "restored", action_id)
                if verdict:
                    result.detail += _overturn(store, verdict[0], requested_by, account.id)
            record_success(store, action_id, result)
            text = store.db.execute("SELECT text FROM comments WHERE id = ?", [local_id]).fetchone()
            audit.append(
                store,
                account_id=account.id,
                comment_id=local_id,
                actor=requested_by,
                event="restore_comment",
                category=verdict[1] if verdict else None,
                rule=verdict[2] if verdict else None,
                comment_text=text[0] if text else None,
                network_answer=_answer(result),
                action_id=action_id,
            )
        return ActionOutcome(action_id, result)
    finally:
        await network.aclose()


async def unban_user(
    store: Store,
    pm: pluggy.PluginManager,
    config: Config,
    account_id: str,
    user: str,
    requested_by: str = "cli",
) -> ActionOutcome:
    """Lift the user's ban or mute (VK ``groups.unban``; Telegram unban, unmute, sender chat).

    A restriction still waiting in a verdict being carried out is called off too,
    so the next ``hub moderate`` does not ban the user again.
    """
    account = config.account(account_id)
    user_id = parse_user(user)
    kinds = (BAN_USER, RESTRICT_USER)
    undoes = _last_undoable(store, account.id, kinds, str(user_id))
    _refuse_unsettled(
        store,
        "unban the user",
        "account_id = ? AND target = ? AND kind IN (?, ?)",
        [account.id, str(user_id), *kinds],
    )
    network = open_networks(pm, config, [account])[account.network]
    try:
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
                    _retire(store, prefix, "lifted", action_id, prefix=True)
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
                network_answer={**_answer(result), "user_id": user_id},
                action_id=action_id,
            )
        return ActionOutcome(action_id, result)
    finally:
        await network.aclose()


def _answer(result: ActionResult) -> dict:
    return {"done": result.done, "already": result.already, "detail": result.detail}


def _last_undoable(store: Store, account_id: str, kinds: tuple[str, ...], target: str) -> int:
    """The id of the newest action of these kinds on the target that did happen, or 0."""
    row = store.db.execute(
        "SELECT id FROM actions WHERE account_id = ? AND target = ? "
        f"AND kind IN ({', '.join('?' for _ in kinds)}) AND state = 'done' "
        "ORDER BY id DESC LIMIT 1",
        [account_id, target, *kinds],
    ).fetchone()
    return row[0] if row else 0


def _refuse_unsettled(store: Store, what: str, condition: str, args: list) -> None:
    """An action whose outcome is not known yet could land after the undo: settle it first.

    Its next attempt (``hub moderate`` takes up what is unfinished) would delete or
    ban again right after the undo; once it is settled, the undo undoes it.
    """
    row = store.db.execute(
        "SELECT id, kind FROM actions WHERE state IN ('pending', 'unknown') "
        f"AND ({condition}) ORDER BY id LIMIT 1",
        args,
    ).fetchone()
    if row:
        raise HubError(
            f"cannot {what} yet: {row[1].replace('_', ' ')} (action #{row[0]}) has not been "
            "settled (it is under way, or its answer was lost); run 'hub moderate' or repeat "
            "that command so the hub checks what happened, then run this again"
        )


def _retire(store: Store, key: str, mark: str, undo_id: int, *, prefix: bool = False) -> None:
    """Give the undone actions' keys a suffix, so asking for them again is a new action."""
    if prefix:  # substr, not LIKE: an account id may hold "_" or "%"
        match, args = "substr(idempotency_key, 1, ?) = ?", [len(key), key]
    else:
        match, args = "idempotency_key = ?", [key]
    store.db.execute(
        f"UPDATE actions SET idempotency_key = idempotency_key || ? WHERE {match} "
        "AND state = 'done' AND idempotency_key NOT GLOB ?",
        [f":{mark}-{undo_id}", *args, _RETIRED.format(mark=mark)],
    )


def _overturn(store: Store, verdict_id: int, actor: str, account_id: str) -> str:
    """The verdict that deleted a restored comment becomes "kept by the operator"."""
    store.db.execute(
        "UPDATE verdicts SET decision = 'keep', status = 'rejected', decided_by = ?, "
        "updated_at = ? WHERE id = ?",
        [actor, utcnow(), verdict_id],
    )
    row = store.db.execute(
        "SELECT id, target FROM actions WHERE idempotency_key LIKE ? AND state = 'done' "
        "AND kind IN (?, ?) ORDER BY id DESC LIMIT 1",
        [f"%:verdict-{verdict_id}", BAN_USER, RESTRICT_USER],
    ).fetchone()
    if not row:
        return ""
    return (
        f"; its author is still restricted by action #{row[0]}: "
        f"'hub users unban {account_id} {row[1]}' lifts it"
    )
