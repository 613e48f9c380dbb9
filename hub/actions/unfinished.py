"""Every action finished or visibly stuck: each run picks up what a crash or a lost answer left.

An action the outbox recorded as ``pending`` (its process died before the
answer) or ``unknown`` (the answer was lost) may or may not have happened on
the network. Each run hands it back to the code that made it, which looks on
the network first where the network can tell (a comment already deleted, a ban
already in place, a reply already up) and sends only what surely did not
happen. After :data:`~hub.actions.outbox.MAX_ATTEMPTS` the hub stops trying and the
action is *stuck*: listed by ``hub moderation stuck``, counted in ``/metrics``
and named in every run's summary, never silently dropped.

A verdict's own deletion and restriction are resumed by the moderation pipeline
(the verdict is ``done`` only when both are); this module takes the rest
(an operator's ``hub comments delete`` or ``hub reply`` whose answer was lost,
and rows left by an older hub that closed verdicts too early).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ..config import Config
from ..errors import HubError, InFlightError
from ..i18n import ngettext
from ..models import Account
from ..networks import NetworkPool
from ..store import Store, utcnow
from . import comments, users
from .outbox import MAX_ATTEMPTS, ActionOutcome
from .refs import comment_on, parse_user

RESUMABLE = ("delete_comment", "ban_user", "restrict_user", "reply_comment")
#: a publication the hub has kept checking this long without settling it needs a person
PUBLICATION_STUCK_AFTER = timedelta(hours=1)


@dataclass
class Resumed:
    """One unfinished action taken up again, and how it ended this time."""

    action_id: int
    kind: str
    account_id: str
    target: str
    outcome: str
    ok: bool


@dataclass
class Stuck:
    """Something the hub has stopped trying on its own: a person must look."""

    what: str  # verdict | action | publication
    ref: str  # "verdict #12", "action #40", "draft 3"
    account_id: str
    kind: str
    attempts: int
    error: str
    since: str


#: an action that is a step of a verdict still being carried out (or given up): the
#: moderation pipeline owns it, and the verdict is what is listed as stuck
OWNED_BY_VERDICT = (
    "EXISTS (SELECT 1 FROM verdicts v JOIN comments c ON c.id = v.comment_id "
    "WHERE v.status IN ('decided', 'failed') AND (a.idempotency_key = "
    "'delete_comment:' || c.account_id || ':' || c.network_id "
    "OR a.idempotency_key LIKE '%:verdict-' || v.id))"
)


def _unfinished(store: Store, accounts: Sequence[Account]) -> list[tuple]:
    ids = [a.id for a in accounts]
    if not ids:
        return []
    return store.db.execute(
        "SELECT id, idempotency_key, account_id, kind, target, params_json, requested_by, "
        "attempts FROM actions a WHERE state IN ('pending', 'unknown') AND attempts < ? "
        f"AND account_id IN ({', '.join('?' for _ in ids)}) "
        f"AND kind IN ({', '.join('?' for _ in RESUMABLE)}) AND NOT {OWNED_BY_VERDICT} "
        "ORDER BY id",
        [MAX_ATTEMPTS, *ids, *RESUMABLE],
    ).fetchall()


async def resume_unfinished(
    store: Store,
    networks: NetworkPool,
    config: Config,
    accounts: Sequence[Account],
) -> list[Resumed]:
    """Take up every ``pending``/``unknown`` action of the accounts that no verdict owns.

    An action in flight in another process is left alone and not counted; any
    other failure counts an attempt, so a standing refusal ends up stuck
    instead of being retried for ever. The networks are the run's (``networks``).
    """
    done: list[Resumed] = []
    for row in _unfinished(store, accounts):
        action_id, key, account_id, kind, target, params_json, requested_by, attempts = row
        params = json.loads(params_json or "{}")
        try:
            outcome = await _resume(
                store, networks, config, key, account_id, kind, target, params, requested_by
            )
        except InFlightError:
            continue
        except HubError as exc:
            _count_attempt(store, action_id, attempts, str(exc))
            done.append(Resumed(action_id, kind, account_id, target, f"failed: {exc}", False))
            continue
        ok = outcome.result.done or outcome.result.manual
        text = outcome.summary(kind.replace("_", " "))
        done.append(Resumed(action_id, kind, account_id, target, text, ok))
    return done


async def _resume(
    store: Store,
    networks: NetworkPool,
    config: Config,
    key: str,
    account_id: str,
    kind: str,
    target: str,
    params: dict,
    requested_by: str,
) -> ActionOutcome:
    """The same call that made the action, with the same idempotency key."""
    if kind == "delete_comment":
        comment = comment_on(store, config, account_id, target)
        block_author = bool(params.get("block_author"))
        return await comments.delete_comment(
            store, networks, comment, requested_by=requested_by, block_author=block_author
        )
    if kind == "reply_comment":
        from ..plan import replies  # the content plan builds on the actions, not the reverse

        template = replies.approved_template(store, str(params.get("template")))
        comment = comment_on(store, config, account_id, target)
        return await replies.reply(store, networks, comment, template, requested_by=requested_by)
    occasion = key.split(":", 3)[3]  # the key is rebuilt as it was first made
    account = config.account(account_id)
    user_id = parse_user(target)  # the target column keeps the user id as text
    restrict = users.ban_user if kind == "ban_user" else users.restrict_user
    extra = {"category": params.get("category") or "other"} if kind == "ban_user" else {}
    return await restrict(
        store,
        networks,
        account,
        user_id,
        days=params.get("days"),
        reason=str(params.get("reason") or ""),
        requested_by=requested_by,
        key=occasion,
        **extra,
    )


def _count_attempt(store: Store, action_id: int, attempts_before: int, message: str) -> None:
    """A failure that stopped before the row was taken (a token gone, a comment deleted) counts.

    A failure after it was taken has counted already (``begin_action``).
    """
    with store.transaction(immediate=True):
        store.db.execute(
            "UPDATE actions SET attempts = MAX(attempts, ?), error = ?, updated_at = ? "
            "WHERE id = ? AND state IN ('pending', 'unknown')",
            [attempts_before + 1, message[:500], utcnow(), action_id],
        )


def stuck(store: Store, account_ids: Sequence[str] | None = None) -> list[Stuck]:
    """What the hub no longer tries by itself, oldest first."""
    items = _stuck_verdicts(store) + _stuck_actions(store) + _stuck_publications(store)
    if account_ids is not None:
        wanted = set(account_ids)
        items = [i for i in items if i.account_id in wanted]
    return sorted(items, key=lambda i: i.since)


def stuck_count(store: Store) -> int:
    return len(stuck(store))


def stuck_warning(store: Store) -> str | None:
    """The line every run's summary ends with while anything is stuck."""
    count = stuck_count(store)
    if not count:
        return None
    return ngettext(
        "{n} action stuck after {tries} tries: see 'hub moderation stuck'",
        "{n} actions stuck after {tries} tries: see 'hub moderation stuck'",
        count,
    ).format(n=count, tries=MAX_ATTEMPTS)


def _stuck_verdicts(store: Store) -> list[Stuck]:
    rows = store.db.execute(
        "SELECT v.id, v.account_id, v.updated_at, "
        "(SELECT network_answer FROM moderation_log m WHERE m.comment_id = v.comment_id "
        "ORDER BY m.id DESC LIMIT 1) FROM verdicts v WHERE v.status = 'failed' ORDER BY v.id"
    ).fetchall()
    out = []
    for vid, account_id, updated, answer in rows:
        detail = json.loads(answer or "{}").get("detail") or ""
        out.append(
            Stuck("verdict", f"verdict #{vid}", account_id, "delete", MAX_ATTEMPTS, detail, updated)
        )
    return out


def _stuck_actions(store: Store) -> list[Stuck]:
    rows = store.db.execute(
        "SELECT id, account_id, kind, attempts, error, updated_at FROM actions a "
        f"WHERE state IN ('pending', 'unknown') AND attempts >= ? AND NOT {OWNED_BY_VERDICT} "
        "ORDER BY id",
        [MAX_ATTEMPTS],
    ).fetchall()
    return [
        Stuck("action", f"action #{i}", account, kind, attempts, error or "", updated)
        for i, account, kind, attempts, error, updated in rows
    ]


def _stuck_publications(store: Store) -> list[Stuck]:
    limit = datetime.now(UTC) - PUBLICATION_STUCK_AFTER
    rows = store.db.execute(
        "SELECT draft_id, account_id, attempts, error, first_sent_at FROM draft_targets "
        "WHERE state = 'unknown' AND first_sent_at IS NOT NULL ORDER BY draft_id"
    ).fetchall()
    out = []
    for draft, account, attempts, error, first in rows:
        if datetime.fromisoformat(first.replace("Z", "+00:00")) < limit:
            out.append(
                Stuck("publication", f"draft {draft}", account, "publish", attempts, error, first)
            )
    return out
