"""Lifting bans whose days are over, on networks whose bans have no end of their own.

A network that blocks for good (MAX) declares ``BANS_LIFTED_BY_HUB``: a ban of
some days is sent as a permanent block, and the hub lifts it itself once the
``until`` it recorded has passed. Nothing but the actions table is read, so a
restart (or a week without any run) changes nothing: the next moderation run
lifts every ban that is due, through the usual unban action (recorded, verified,
retiring the ban's key so it is never lifted twice).

Only the newest standing restriction of a user counts: a timed ban followed by a
permanent one stays.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence

from ..errors import HubError
from ..log import get_logger
from ..models import Account
from ..network import BAN_USER, BANS_LIFTED_BY_HUB, RESTRICT_USER
from ..networks import NetworkPool
from ..secrets import redact
from ..store import Store
from .unfinished import Resumed
from .users import unban_user

log = get_logger("hub.actions")
_RETIRED = "*:lifted-[0-9]*"


def due_bans(store: Store, account_ids: Sequence[str], now: float | None = None) -> list[tuple]:
    """(account id, user id, ban action id) whose newest standing restriction has ended."""
    now = time.time() if now is None else now
    if not account_ids:
        return []
    marks = ", ".join("?" for _ in account_ids)
    rows = store.db.execute(
        "SELECT id, account_id, target, params_json FROM actions "
        f"WHERE kind IN (?, ?) AND state = 'done' AND account_id IN ({marks}) "
        "AND idempotency_key NOT GLOB ? ORDER BY id",
        [BAN_USER, RESTRICT_USER, *account_ids, _RETIRED],
    ).fetchall()
    newest: dict[tuple[str, str], tuple[int, int | None]] = {}
    for action_id, account_id, target, params in rows:
        until = json.loads(params or "{}").get("until")
        newest[(account_id, target)] = (action_id, until)
    return [
        (account_id, int(target), action_id)
        for (account_id, target), (action_id, until) in newest.items()
        if until is not None and until <= now and target.lstrip("-").isdigit()
    ]


async def lift_due_bans(
    store: Store, networks: NetworkPool, accounts: Sequence[Account], now: float | None = None
) -> list[Resumed]:
    """Lift the ended bans of the accounts whose network declares ``BANS_LIFTED_BY_HUB``."""
    from .. import plugins

    available = plugins.networks(networks.pm)
    chosen = {
        a.id: a
        for a in accounts
        if a.network in available and BANS_LIFTED_BY_HUB in available[a.network].capabilities
    }
    out = []
    for account_id, user_id, ban_id in due_bans(store, list(chosen), now):
        account = chosen[account_id]
        try:
            outcome = await unban_user(store, networks, account, user_id, requested_by="ban end")
            result = outcome.result
            out.append(
                Resumed(
                    outcome.action_id,
                    "unban_user",
                    account_id,
                    str(user_id),
                    f"ban #{ban_id} ended: {result.detail}",
                    result.done,
                )
            )
        except HubError as exc:
            log.warning(
                "ended ban not lifted yet", account=account_id, user=user_id, error=redact(str(exc))
            )
            out.append(
                Resumed(
                    ban_id,
                    "unban_user",
                    account_id,
                    str(user_id),
                    f"ban #{ban_id} ended but was not lifted: {redact(str(exc))}",
                    False,
                )
            )
    return out
