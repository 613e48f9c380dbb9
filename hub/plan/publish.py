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
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pluggy

from ..config import Config
from ..errors import ApiError, HubError, NotFoundError, RateLimitedError, TransientError
from ..log import get_logger
from ..models import Account
from ..network import PUBLISH_POST, Network, Published
from ..secrets import redact
from ..store import Store, iso, utcnow
from ..sync import describe_error, open_networks, run_sync
from .drafts import Draft, Target, load_draft, settle_draft_state

log = get_logger("hub.plan")

#: a ``sending`` row younger than this may be in flight in another hub process: leave it
IN_FLIGHT = timedelta(minutes=10)
#: a send still running after this is abandoned as ``unknown`` (well inside IN_FLIGHT)
SEND_DEADLINE = timedelta(minutes=5)
#: how far before the first attempt a found post may be dated (clocks differ)
CLOCK_SKEW = timedelta(hours=24)


@dataclass
class TargetOutcome:
    draft_id: int
    account_id: str
    state: str
    detail: str = ""
    url: str | None = None

    def line(self) -> str:
        where = f" {self.url}" if self.url else ""
        detail = f": {self.detail}" if self.detail else ""
        return f"draft #{self.draft_id} on {self.account_id}: {self.state}{where}{detail}"


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC)


def stamp(moment: datetime) -> str:
    """The store's way of writing a time: ISO UTC with a Z, so text order is time order."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


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
    for draft_id in due_draft_ids(store, now):
        try:
            outcomes += await publish_draft(store, pm, config, draft_id, now=now)
        except HubError as exc:  # rejected or settled meanwhile by another process
            log.info("draft skipped", draft=draft_id, reason=str(exc))
    return outcomes


async def publish_draft(
    store: Store,
    pm: pluggy.PluginManager,
    config: Config,
    draft_id: int,
    *,
    now: datetime | None = None,
    retry_failed: bool = False,
) -> list[TargetOutcome]:
    """Publish one approved draft on each of its accounts that does not have it yet.

    ``retry_failed``: send again where the network refused before (the operator
    fixed the token or the text); a refusal means nothing was posted.
    """
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
            await _publish_target(store, pm, config, draft, target, account, now, retry_failed)
        )
    return outcomes


def _account_gone(store: Store, draft: Draft, target: Target) -> TargetOutcome:
    """A row whose account left the config: failed if never sent, else still to be settled."""
    gone = "the account is no longer in the config"
    if target.state in ("pending", "failed"):
        return _fail(store, draft, target, gone)
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
) -> TargetOutcome:
    try:
        network = open_networks(pm, config, [account])[account.network]
    except HubError as exc:  # a token variable not set: nothing was sent; the others go on
        with store.transaction(immediate=True):
            store.db.execute(
                "UPDATE draft_targets SET error = ?, updated_at = ? "
                "WHERE draft_id = ? AND account_id = ? AND state = 'pending'",
                [str(exc), utcnow(), draft.id, account.id],
            )
        return TargetOutcome(draft.id, account.id, target.state, str(exc))
    try:
        if PUBLISH_POST not in network.capabilities:
            return _fail(store, draft, target, network.missing(PUBLISH_POST))
        claim, owner = _claim(store, draft.id, account.id, _now(now), retry_failed=retry_failed)
        if claim in ("done", "gone"):
            return _as_it_is(store, draft.id, account.id)
        if claim == "busy":
            return TargetOutcome(
                draft.id, account.id, "sending", "another hub process is sending it now"
            )
        if claim == "check":
            try:
                found = await _reconcile(store, pm, config, network, draft, account)
            except HubError as exc:
                message = (
                    f"could not check the page before sending again "
                    f"({describe_error(account, exc)}); will retry"
                )
                return _set(store, draft, account, "unknown", message)
            if found is not None:
                return found
            claim, _ = _claim(store, draft.id, account.id, _now(now), owner=owner)
            if claim != "send":  # another process took the row meanwhile
                return _as_it_is(store, draft.id, account.id)
        problems = network.publish_problems(draft.request_for(account, target.guid))
        if problems:
            return _fail(store, draft, target, "; ".join(problems))
        return await _send(store, network, draft, target, account)
    finally:
        await network.aclose()


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
        return _set(store, draft, account, "unknown", message)
    except RateLimitedError as exc:  # flood control: the network did nothing; try next run
        return _set(store, draft, account, "pending", describe_error(account, exc))
    except TransientError as exc:
        if not exc.maybe_applied:  # the request never reached the network: try next time
            return _set(store, draft, account, "pending", describe_error(account, exc))
        message = (
            f"{describe_error(account, exc)}; the post may or may not be up. The hub checks the "
            "account before sending again"
        )
        log.warning("publication unknown", draft=draft.id, account=account.id)
        return _set(store, draft, account, "unknown", message)
    except ApiError as exc:
        return _fail(store, draft, target, describe_error(account, exc))
    except Exception as exc:  # a plugin's bug or a missing setting: the call may have gone out
        detail = redact(str(exc))[:200]
        message = (
            f"{account.id}: the {network.title} plugin stopped unexpectedly "
            f"({type(exc).__name__}: {detail}); the post may or may not be up. The hub checks "
            "the account before sending again"
        )
        log.error("publication unknown", draft=draft.id, account=account.id, error=message)
        return _set(store, draft, account, "unknown", message)
    return _record_published(store, draft, account, published)


def _record_published(
    store: Store, draft: Draft, account: Account, published: Published
) -> TargetOutcome:
    with store.transaction():
        if published.post is not None:
            store.upsert_posts(account, [published.post])
        store.db.execute(
            "UPDATE draft_targets SET state = 'published', post_network_id = ?, url = ?, "
            "published_at = ?, error = NULL, updated_at = ? WHERE draft_id = ? AND account_id = ?",
            [
                published.post_network_id,
                published.url,
                iso(published.post.published_at) if published.post else utcnow(),
                utcnow(),
                draft.id,
                account.id,
            ],
        )
        settle_draft_state(store, draft.id)
    log.info("published", draft=draft.id, account=account.id, url=published.url)
    return TargetOutcome(draft.id, account.id, "published", url=published.url)


def _set(store: Store, draft: Draft, account: Account, state: str, error: str) -> TargetOutcome:
    with store.transaction():
        store.db.execute(
            "UPDATE draft_targets SET state = ?, error = ?, updated_at = ? "
            "WHERE draft_id = ? AND account_id = ?",
            [state, error, utcnow(), draft.id, account.id],
        )
        settle_draft_state(store, draft.id)
    return TargetOutcome(draft.id, account.id, state, error)


def _fail(store: Store, draft: Draft, target: Target, error: str) -> TargetOutcome:
    log.warning("publication failed", draft=draft.id, account=target.account_id, error=error)
    with store.transaction():
        store.db.execute(
            "UPDATE draft_targets SET state = 'failed', error = ?, updated_at = ? "
            "WHERE draft_id = ? AND account_id = ?",
            [error, utcnow(), draft.id, target.account_id],
        )
        settle_draft_state(store, draft.id)
    return TargetOutcome(draft.id, target.account_id, "failed", error)


# --------------------------------------------------------------------------- reconciling


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def find_post(
    store: Store,
    account: Account,
    text: str,
    since: datetime,
    first_sent: datetime | None = None,
) -> tuple[int, str] | None:
    """A stored post of the account carrying the draft's text, published since ``since``.

    Posts another draft already claimed are skipped, so two drafts with the same
    text are never both settled by one post; so are posts the hub had already
    stored before ``first_sent`` (a post written by hand the day before cannot be
    the answer to this send). Containment rather than equality: a network may add
    to the text (Telegram gets the links appended); an exact match is preferred,
    then the newest.
    """
    wanted = _normal(text)
    seen = stamp(first_sent) if first_sent else ""
    rows = store.db.execute(
        "SELECT network_id, url, text FROM posts WHERE account_id = ? AND published_at >= ? "
        "AND deleted_at IS NULL AND (first_seen_at IS NULL OR first_seen_at >= ?) "
        "AND network_id NOT IN (SELECT post_network_id FROM draft_targets "
        "WHERE account_id = ? AND post_network_id IS NOT NULL) ORDER BY published_at DESC",
        [account.id, stamp(since), seen, account.id],
    ).fetchall()
    matches = [r for r in rows if wanted and wanted in _normal(r[2] or "")]
    exact = [r for r in matches if _normal(r[2] or "") == wanted]
    for network_id, url, _ in exact or matches:
        return network_id, url
    return None


async def _reconcile(
    store: Store,
    pm: pluggy.PluginManager,
    config: Config,
    network: Network,
    draft: Draft,
    account: Account,
) -> TargetOutcome | None:
    """Settle a row whose last send may have worked; None = surely not posted, send it."""
    if not await network.sees_own_posts(account):
        message = (
            f"{network.title} does not show the hub its own posts on {account.id}, so the hub "
            "cannot tell whether the post went up; look at the page, then run "
            f"'hub plan resolve {draft.id} {account.id} --post-id N' or '--not-published'"
        )
        return _set(store, draft, account, "unknown", message)
    runs = await run_sync(store, pm, config, [account])
    run = next(r for r in runs if r.account.id == account.id)
    if run.status != "ok":
        message = f"could not check the page before sending again ({run.error}); will retry"
        return _set(store, draft, account, "unknown", message)
    first = store.db.execute(
        "SELECT first_sent_at FROM draft_targets WHERE draft_id = ? AND account_id = ?",
        [draft.id, account.id],
    ).fetchone()[0]
    first_sent = datetime.fromisoformat(first) if first else None
    since = first_sent - CLOCK_SKEW if first_sent else datetime(2000, 1, 1, tzinfo=UTC)
    found = find_post(store, account, draft.text, since, first_sent)
    if found is None:
        log.info("publication not found; sending again", draft=draft.id, account=account.id)
        return None
    network_id, url = found
    log.info("publication found after a lost answer", draft=draft.id, account=account.id)
    published = Published(network_id, url or network.post_url(account, network_id))
    return _record_published(store, draft, account, published)


def resolve(
    store: Store,
    config: Config,
    network: Network,
    draft_id: int,
    account_id: str,
    *,
    post_id: int | None,
    by: str,
) -> TargetOutcome:
    """A person settles an ``unknown`` row: the post is up (its id), or it is not (send again)."""
    account = config.account(account_id)
    draft = load_draft(store, draft_id)
    target = next((t for t in draft.targets if t.account_id == account_id), None)
    if target is None:
        raise NotFoundError(f"draft #{draft_id} is not for {account_id}")
    if target.state not in ("unknown", "sending"):
        raise HubError(
            f"draft #{draft_id} on {account_id} is {target.state}; only an unknown one is resolved"
        )
    if target.state == "sending":
        row = store.db.execute(
            "SELECT updated_at FROM draft_targets WHERE draft_id = ? AND account_id = ?",
            [draft_id, account_id],
        ).fetchone()
        age = datetime.now(UTC) - datetime.fromisoformat(row[0])
        if age < IN_FLIGHT:
            wait = int((IN_FLIGHT - age).total_seconds() // 60) + 1
            raise HubError(
                f"draft #{draft_id} on {account_id} is being sent by a hub process right now; "
                f"wait {wait} minute(s) and look at 'hub plan show {draft_id}' again"
            )
    if post_id is None:
        return _set(store, draft, account, "pending", f"not published, said {by}; sent next run")
    published = Published(post_id, network.post_url(account, post_id))
    return _record_published(store, draft, account, published)
