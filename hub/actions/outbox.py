"""The action outbox: every operator action recorded before it is sent and after.

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
import socket
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..errors import ApiError, HubError, InFlightError, TransientError
from ..i18n import _
from ..models import Account
from ..network import ActionResult
from ..networks import describe_error
from ..secrets import redact
from ..store import Store, utcnow

#: tries before an unfinished action (or a verdict's) is left to a person as stuck
MAX_ATTEMPTS = 5


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


async def perform_action(
    store: Store,
    action_id: int,
    prior: str | None,
    account: Account,
    call: Awaitable[ActionResult],
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
