"""What a restore and an unban share: which action they undo, and retiring its key.

A restore undoes one deletion and an unban lifts the restrictions in place, so
each is keyed by the action it undoes: a repeat verifies, and a deletion (or a
ban) after the undo, undone again, is an action of its own. A successful undo
retires the undone action's key (appending ":restored-N" / ":lifted-N"), so the
same deletion or ban asked for again is a new action, not a repeat of the old.
"""

from __future__ import annotations

from ..errors import HubError
from ..network import ActionResult
from ..store import Store

#: a retired key ends like this; such a row is history, never resumed or reused
_RETIRED = "*:{mark}-[0-9]*"


def answer(result: ActionResult) -> dict:
    """The network's answer as the audit log keeps it."""
    return {"done": result.done, "already": result.already, "detail": result.detail}


def last_undoable(store: Store, account_id: str, kinds: tuple[str, ...], target: str) -> int:
    """The id of the newest action of these kinds on the target that did happen, or 0."""
    row = store.db.execute(
        "SELECT id FROM actions WHERE account_id = ? AND target = ? "
        f"AND kind IN ({', '.join('?' for _ in kinds)}) AND state = 'done' "
        "ORDER BY id DESC LIMIT 1",
        [account_id, target, *kinds],
    ).fetchone()
    return row[0] if row else 0


def refuse_unsettled(store: Store, what: str, condition: str, args: list) -> None:
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


def retire(store: Store, key: str, mark: str, undo_id: int, *, prefix: bool = False) -> None:
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
