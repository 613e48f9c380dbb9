"""Publishing approved drafts through the plugins, never twice.

Each (draft, account) row is an outbox. Before the network is called the row
becomes ``sending`` in its own committed transaction; the answer moves it to
``published`` (with the post's id and URL, and the post stored at once) or
``failed`` (the network refused: nothing was posted). An answer lost on the way
— a timeout after the request left — makes it ``unknown``: the post may exist.
An ``unknown`` row, or a ``sending`` row left by a crash, is reconciled before
anything is resent: the account is synced the usual way and the store searched
for a post with the draft's text published since the first attempt. Found: it is
recorded as published. Not found, and the network shows the hub its own posts:
it is sent again (VK also deduplicates on the row's guid). Where the network
cannot show it (a Telegram channel without a discussion group) the row stays
``unknown`` and a person settles it with ``hub plan resolve``.

Between hub processes (the daemon and a ``hub plan publish``) the row itself is
the lock: whoever checks or sends marks it ``sending`` with the time, in one
immediate transaction that also re-reads the row and its draft, so a row another
process has published, a draft rejected meanwhile, or a check under way is left
alone. A send is cut off after ``SEND_DEADLINE`` (its row becomes ``unknown``),
so a ``sending`` row older than ``IN_FLIGHT`` is surely a crashed one.

What lives where: this module sends — which drafts are due, the claim on a row and the
call to the network. The checks after a lost answer (``find_post``, ``reconcile``) and
``resolve`` are in :mod:`hub.plan.reconcile`; the row writes, :class:`TargetOutcome` and
:func:`stamp` in :mod:`hub.plan.outbox`. ``TargetOutcome``, ``stamp`` and ``resolve`` stay
importable from here.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pluggy

from ..config import Config
from ..errors import ApiError, HubError, RateLimitedError, TransientError
from ..log import get_logger
from ..models import Account
from ..network import PUBLISH_POST, Network
from ..networks import NetworkPool, describe_error
from ..secrets import redact
from ..store import Store, utcnow
from .drafts import Draft, Target, load_draft
from .outbox import IN_FLIGHT, TargetOutcome, fail_target, record_published, set_target_state, stamp
from .reconcile import reconcile, resolve

__all__ = [
    "IN_FLIGHT",
    "SEND_DEADLINE",
    "TargetOutcome",
    "due_draft_ids",
    "publish_draft",
    "publish_due",
    "resolve",
    "stamp",
]

log = get_logger("hub.plan")

#: a send still running after this is abandoned as ``unknown`` (well inside IN_FLIGHT)
SEND_DEADLINE = timedelta(minutes=5)


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC)


def due_draft_ids(store: Store, now: datetime | None = None) -> list[int]:
    """Approved drafts whose time has come, plus any with a row still to be settled.

    A draft that failed on one account still goes out on its others (a refusal
    by OK must not keep the post off VK); the refused row waits for a person.
    """
    moment = stamp(_now(now))
    rows = store.db.execute(
        "SELECT DISTINCT d.id FROM drafts d JOIN draft_targets t ON t.draft_id = d.id "
        "WHERE d.state IN ('approved', 'failed') AND t.state IN ('pending', 'sending', 'unknown') "
        "AND (d.publish_at <= ? OR t.state != 'pending') ORDER BY d.publish_at, d.id",
        [moment],
    ).fetchall()
    return [r[0] for r in rows]


async def publish_due(
    store: Store, pm: pluggy.PluginManager, config: Config, now: datetime | None = None
) -> list[TargetOutcome]:
    """What the daemon and ``hub plan publish`` run: every due draft, each account once."""
    outcomes: list[TargetOutcome] = []
    pool = NetworkPool(pm, config)
    try:
        for draft_id in due_draft_ids(store, now):
            try:
                outcomes += await publish_draft(store, pm, config, draft_id, now=now, pool=pool)
            except HubError as exc:  # rejected or settled meanwhile by another process
                log.info("draft skipped", draft=draft_id, reason=str(exc))
    finally:
        await pool.aclose()
    return outcomes


async def publish_draft(
    store: Store,
    pm: pluggy.PluginManager,
    config: Config,
    draft_id: int,
    *,
    now: datetime | None = None,
    retry_failed: bool = False,
    pool: NetworkPool | None = None,
) -> list[TargetOutcome]:
    """Publish one approved draft on each of its accounts that does not have it yet.

    ``retry_failed``: send again where the network refused before (the operator
    fixed the token or the text); a refusal means nothing was posted. ``pool``:
    the caller's open networks (one run of many drafts); else opened here.
    """
    if pool is None:
        own = NetworkPool(pm, config)
        try:
            return await publish_draft(
                store, pm, config, draft_id, now=now, retry_failed=retry_failed, pool=own
            )
        finally:
            await own.aclose()
    draft = load_draft(store, draft_id)
    if draft.state == "published":
        return []
    if draft.state not in ("approved", "failed"):
        hint = f": approve it first (hub plan approve {draft_id})" if draft.state == "draft" else ""
        raise HubError(f"draft #{draft_id} is {draft.state}; only an approved draft goes out{hint}")
    todo = [
        t for t in draft.targets if t.state != "published" and (t.state != "failed" or retry_failed)
    ]
    if draft.state == "failed" and not todo:
        raise HubError(f"draft #{draft_id} failed; 'hub plan publish {draft_id}' tries again")
    outcomes = []
    for target in todo:
        try:
            account = config.account(target.account_id)
        except HubError:
            outcomes.append(_account_gone(store, draft, target))
            continue
        outcomes.append(
            await _publish_target(
                store, pm, config, draft, target, account, now, retry_failed, pool
            )
        )
    return outcomes


def _account_gone(store: Store, draft: Draft, target: Target) -> TargetOutcome:
    """A row whose account left the config: failed if never sent, else still to be settled."""
    gone = "the account is no longer in the config"
    if target.state in ("pending", "failed"):
        return fail_target(store, draft, target, gone)
    message = (
        f"{gone}, and the post may be up: put the account back so the hub can check, or look "
        "at the page yourself"
    )
    with store.transaction(immediate=True):
        store.db.execute(
            "UPDATE draft_targets SET state = 'unknown', error = ?, updated_at = ? "
            "WHERE draft_id = ? AND account_id = ? AND state IN ('sending', 'unknown')",
            [message, utcnow(), draft.id, target.account_id],
        )
    return TargetOutcome(draft.id, target.account_id, "unknown", message)


async def _publish_target(
    store: Store,
    pm: pluggy.PluginManager,
    config: Config,
    draft: Draft,
    target: Target,
    account: Account,
    now: datetime | None,
    retry_failed: bool = False,
    pool: NetworkPool | None = None,
) -> TargetOutcome:
    if pool is None:
        own = NetworkPool(pm, config)
        try:
            return await _publish_target(
                store, pm, config, draft, target, account, now, retry_failed, own
            )
        finally:
            await own.aclose()
    try:
        network = pool.get(account)
    except HubError as exc:  # a token variable not set: nothing was sent; the others go on
        with store.transaction(immediate=True):
            store.db.execute(
                "UPDATE draft_targets SET error = ?, updated_at = ? "
                "WHERE draft_id = ? AND account_id = ? AND state = 'pending'",
                [str(exc), utcnow(), draft.id, account.id],
            )
        return TargetOutcome(draft.id, account.id, target.state, str(exc))
    if PUBLISH_POST not in network.capabilities:
        return fail_target(store, draft, target, network.missing(PUBLISH_POST))
    claim, owner = _claim(store, draft.id, account.id, _now(now), retry_failed=retry_failed)
    if claim in ("done", "gone"):
        return _as_it_is(store, draft.id, account.id)
    if claim == "busy":
        return TargetOutcome(
            draft.id, account.id, "sending", "another hub process is sending it now"
        )
    if claim == "check":
        try:
            found = await reconcile(store, pm, config, network, draft, account)
        except HubError as exc:
            message = (
                f"could not check the page before sending again "
                f"({describe_error(account, exc)}); will retry"
            )
            return set_target_state(store, draft, account, "unknown", message)
        if found is not None:
            return found
        claim, _ = _claim(store, draft.id, account.id, _now(now), owner=owner)
        if claim != "send":  # another process took the row meanwhile
            return _as_it_is(store, draft.id, account.id)
    problems = network.publish_problems(draft.request_for(account, target.guid))
    if problems:
        return fail_target(store, draft, target, "; ".join(problems))
    return await _send(store, network, draft, target, account)


def _as_it_is(store: Store, draft_id: int, account_id: str) -> TargetOutcome:
    """The row as another process or a person left it; nothing is sent."""
    draft = load_draft(store, draft_id)
    target = next(t for t in draft.targets if t.account_id == account_id)
    if draft.state == "rejected":
        return TargetOutcome(draft_id, account_id, "rejected", "the draft was rejected")
    busy = target.state == "sending"
    detail = "another hub process is sending it now" if busy else "settled by another hub process"
    return TargetOutcome(draft_id, account_id, target.state, detail, target.url)


def _claim(
    store: Store,
    draft_id: int,
    account_id: str,
    now: datetime,
    *,
    retry_failed: bool = False,
    owner: str | None = None,
) -> tuple[str, str | None]:
    """Mark the row ``sending`` before the call; say ``check`` when it must be reconciled first.

    One immediate transaction that re-reads the draft and the row, so two hub
    processes cannot both claim a row, and a row published or a draft rejected
    since the caller read them is left alone (``done``, ``gone``). A row to be
    checked is taken too (``sending``, not counted as an attempt), so no other
    process checks or sends it meanwhile; the check then claims it again with
    ``owner`` (the time it was taken), which fails (``busy``) if someone took it since.
    Returns the verdict and the row's new ``updated_at``.
    """
    with store.transaction(immediate=True):
        row = store.db.execute("SELECT state FROM drafts WHERE id = ?", [draft_id]).fetchone()
        if row is None or row[0] not in ("approved", "failed"):
            return "gone", None
        state, updated = store.db.execute(
            "SELECT state, updated_at FROM draft_targets WHERE draft_id = ? AND account_id = ?",
            [draft_id, account_id],
        ).fetchone()
        at = stamp(now)
        if owner is not None:
            if state != "sending" or updated != owner:
                return "busy", None
        elif state == "published" or (state == "failed" and not retry_failed):
            return "done", None
        elif state in ("sending", "unknown"):
            if state == "sending" and now - datetime.fromisoformat(updated) < IN_FLIGHT:
                return "busy", None
            store.db.execute(
                "UPDATE draft_targets SET state = 'sending', updated_at = ? "
                "WHERE draft_id = ? AND account_id = ?",
                [at, draft_id, account_id],
            )
            return "check", at
        store.db.execute(
            "UPDATE draft_targets SET state = 'sending', attempts = attempts + 1, "
            "first_sent_at = COALESCE(first_sent_at, ?), error = NULL, updated_at = ? "
            "WHERE draft_id = ? AND account_id = ?",
            [at, at, draft_id, account_id],
        )
        return "send", at


async def _send(
    store: Store, network: Network, draft: Draft, target: Target, account: Account
) -> TargetOutcome:
    request = draft.request_for(account, target.guid)
    try:
        published = await asyncio.wait_for(
            network.publish_post(request), SEND_DEADLINE.total_seconds()
        )
    except TimeoutError:
        message = (
            f"{account.id}: no answer within {SEND_DEADLINE.seconds // 60} minutes; the post may "
            "or may not be up. The hub checks the account before sending again"
        )
        log.warning("publication unknown", draft=draft.id, account=account.id)
        return set_target_state(store, draft, account, "unknown", message)
    except RateLimitedError as exc:  # flood control: the network did nothing; try next run
        return set_target_state(store, draft, account, "pending", describe_error(account, exc))
    except TransientError as exc:
        if not exc.maybe_applied:  # the request never reached the network: try next time
            return set_target_state(store, draft, account, "pending", describe_error(account, exc))
        message = (
            f"{describe_error(account, exc)}; the post may or may not be up. The hub checks the "
            "account before sending again"
        )
        log.warning("publication unknown", draft=draft.id, account=account.id)
        return set_target_state(store, draft, account, "unknown", message)
    except ApiError as exc:
        return fail_target(store, draft, target, describe_error(account, exc))
    except Exception as exc:  # a plugin's bug or a missing setting: the call may have gone out
        detail = redact(str(exc))[:200]
        message = (
            f"{account.id}: the {network.title} plugin stopped unexpectedly "
            f"({type(exc).__name__}: {detail}); the post may or may not be up. The hub checks "
            "the account before sending again"
        )
        log.error("publication unknown", draft=draft.id, account=account.id, error=message)
        return set_target_state(store, draft, account, "unknown", message)
    return record_published(store, draft, account, published)
