"""What the CLI and the daemon call: moderate, the review queue, decisions, classify."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pluggy

from ..actions.expiry import lift_due_bans
from ..actions.unfinished import resume_unfinished, stuck_count
from ..appeals.record import find_appeals
from ..config import Config
from ..errors import HubError, NotFoundError
from ..models import Account
from ..networks import NetworkPool
from ..store import Store, utcnow
from ..verdicts import CATEGORIES, DELETE, CommentView, ModerationContext, Verdict
from . import audit
from .pipeline import Judged, Moderator, OnItem, Report, own_author_ids
from .policy import Policy, Restriction


async def moderate(
    store: Store,
    pm: pluggy.PluginManager,
    config: Config,
    accounts: Sequence[Account],
    *,
    dry_run: bool = False,
    actor: str = "engine",
    on_item: OnItem | None = None,
) -> Report:
    """Judge every live comment not yet judged, then carry out what the policy decided.

    Then the comments judged are looked at for appeals (:mod:`hub.appeals.record`), and
    community replies for answers; a watch page is never judged, only looked at.
    Decisions left unfinished by an earlier run are carried out too, and any
    other action a crash or a lost answer left open (an operator's deletion, a
    reply) is taken up again (:mod:`hub.actions.unfinished`). ``on_item`` hears each
    verdict and each action as it happens, so a long run can be followed live. The
    run opens each network it acts on once, whatever the number of actions.
    """
    moderator = Moderator(store, pm, config, actor=actor)
    watched = [a for a in accounts if a.watch]
    accounts = [a for a in accounts if not a.watch]  # a watch page is never moderated
    report = Report(judged=moderator.judge_pending(accounts, dry_run=dry_run, on_item=on_item))
    if not dry_run:
        async with NetworkPool(pm, config) as networks:
            report.resumed = await resume_unfinished(store, networks, config, accounts)
            # bans a network keeps for good, whose days are over (hub.actions.expiry)
            report.resumed += await lift_due_bans(store, networks, accounts)
            report.carried_out = await moderator.carry_out_decided(
                accounts, on_item=on_item, networks=networks
            )
        report.appeals = find_appeals(store, pm, config, [*accounts, *watched])
    report.stuck = stuck_count(store)
    return report


@dataclass
class QueuePage:
    """The first ``len(rows)`` review items matching the filters, out of ``total``.

    Iterating it yields the rows, so it reads like the list it used to be.
    """

    rows: list[dict[str, Any]]
    total: int

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def review_queue(
    store: Store,
    limit: int | None = 50,
    *,
    account: str | None = None,
    category: str | None = None,
    rule: str | None = None,
) -> QueuePage:
    """Queued review items, oldest first, and how many match in all.

    ``limit`` None or 0 means every item: an operator asking for "no limit" wants the whole
    queue, not an empty one. ``category`` ``-`` (or ``none``) selects items with no category
    (a flood goes to review with none), as the queue prints them.
    """
    if category and category not in (*CATEGORIES, "-", "none"):
        raise HubError(
            f"unknown category {category!r}; known: {', '.join(CATEGORIES)}, or '-' for none"
        )
    where, params = ["v.status = 'queued'"], []
    for column, value in (("v.account_id", account), ("v.rule", rule)):
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    if category in ("-", "none"):
        where.append("v.category IS NULL")
    elif category:
        where.append("v.category = ?")
        params.append(category)
    condition = " AND ".join(where)  # fixed column names only; the values are parameters
    total = store.db.execute(
        f"SELECT COUNT(*) FROM verdicts v JOIN comments c ON c.id = v.comment_id WHERE {condition}",
        params,
    ).fetchone()[0]
    cursor = store.db.execute(
        "SELECT v.id, v.account_id, c.network_id AS comment, c.author_id, c.text, v.category, "
        "v.rule, v.match, v.reason, v.criticism, v.judged_at FROM verdicts v "
        f"JOIN comments c ON c.id = v.comment_id WHERE {condition} ORDER BY v.id LIMIT ?",
        [*params, limit if limit else -1],
    )
    columns = [d[0] for d in cursor.description]
    rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    return QueuePage(rows, total)


def _queued(store: Store, verdict_id: int) -> tuple[str, int, str, str | None, str | None]:
    row = store.db.execute(
        "SELECT v.account_id, v.comment_id, v.status, v.category, c.text FROM verdicts v "
        "JOIN comments c ON c.id = v.comment_id WHERE v.id = ?",
        [verdict_id],
    ).fetchone()
    if row is None:
        raise NotFoundError(f"review item {verdict_id} does not exist; see 'hub moderation queue'")
    if row[2] != "queued":
        raise NotFoundError(
            f"review item {verdict_id} is not waiting for a decision (it is {row[2]})"
        )
    return row[0], row[1], row[2], row[3], row[4]


async def delete(
    store: Store,
    pm: pluggy.PluginManager,
    config: Config,
    verdict_id: int,
    operator: str,
    *,
    networks: NetworkPool | None = None,
    restrict: bool = False,
) -> Judged:
    """An operator deletes a review item's comment, and its author is restricted as the policy
    says — exactly as if the policy had deleted it (this was ``approve`` before issue 13).

    ``networks``: the run's pool, when one run deletes several items. ``restrict``: the
    author is restricted even where the policy would not yet (:func:`delete_and_restrict`)."""
    account_id, comment_id, _status, category, text = _queued(store, verdict_id)
    account = config.account(account_id)
    actor = f"operator:{operator}"
    moderator = Moderator(store, pm, config, actor=actor)
    policy = moderator.policies.for_organization(account.organization)
    author = store.db.execute(
        "SELECT author_id FROM comments WHERE id = ?", [comment_id]
    ).fetchone()
    probe = Judged(comment_id, account, author[0], text or "", Verdict(DELETE, category), DELETE)
    published = store.db.execute(
        "SELECT published_at FROM comments WHERE id = ?", [comment_id]
    ).fetchone()[0]
    restriction = moderator.restriction_for(policy, probe, published)
    if restrict:
        restriction = forced_restriction(policy, restriction, probe, moderator)
    with store.transaction(immediate=True):
        store.db.execute(
            "UPDATE verdicts SET decision = 'delete', status = 'decided', restrict_action = ?, "
            "restrict_days = ?, decided_by = ?, updated_at = ? WHERE id = ?",
            [restriction.action, restriction.days, actor, utcnow(), verdict_id],
        )
        audit.append(
            store,
            account_id=account_id,
            comment_id=comment_id,
            actor=actor,
            event="operator:delete_restrict" if restrict else "operator:delete",
            category=category,
            comment_text=text,
        )
    done = await moderator.carry_out_decided([account], [verdict_id], networks=networks)
    return done[0]


#: a restriction when the operator asks for one and the policy names none at all
FALLBACK_RESTRICTION = Restriction("ban", 7)


def forced_restriction(
    policy: Policy, restriction: Restriction, item: Judged, moderator: Moderator
) -> Restriction:
    """What "delete and restrict" restricts the author with: what the policy would do now; if
    it would not yet (a first offence), what it does to repeat offenders (spam: what it does to
    spammers); a policy that restricts no one at all: a ban of 7 days. An author the hub cannot
    restrict (unknown, or the administration itself) is refused, nothing is decided."""
    if item.author_id is None or item.author_id in own_author_ids(moderator.store, item.account):
        raise HubError(
            f"comment {item.comment_id} has no author the hub can restrict; delete it instead"
        )
    if restriction.action != "none":
        return restriction
    order = (policy.spam_restrict, policy.repeat_restrict)
    if item.verdict.category != "spam":
        order = order[::-1]
    for candidate in order:
        if candidate.action != "none":
            return candidate
    return FALLBACK_RESTRICTION


async def delete_and_restrict(
    store: Store,
    pm: pluggy.PluginManager,
    config: Config,
    verdict_id: int,
    operator: str,
    *,
    networks: NetworkPool | None = None,
) -> Judged:
    """An operator deletes a review item's comment and restricts its author now (the
    console's "b"): the restriction (:func:`forced_restriction`) is recorded on the verdict,
    so the deletion and the ban or mute go through the outbox like the policy's own."""
    return await delete(store, pm, config, verdict_id, operator, networks=networks, restrict=True)


def keep(store: Store, verdict_id: int, operator: str) -> None:
    """An operator keeps a review item's comment: nothing is sent; the decision is logged
    (this was ``reject`` before issue 13)."""
    account_id, comment_id, _status, category, text = _queued(store, verdict_id)
    actor = f"operator:{operator}"
    with store.transaction(immediate=True):
        store.db.execute(
            "UPDATE verdicts SET decision = 'keep', status = 'rejected', decided_by = ?, "
            "updated_at = ? WHERE id = ?",
            [actor, utcnow(), verdict_id],
        )
        audit.append(
            store,
            account_id=account_id,
            comment_id=comment_id,
            actor=actor,
            event="operator:keep",
            category=category,
            comment_text=text,
        )


#: the names before issue 13, kept for one release ("approve" read as "let it stand")
approve, reject = delete, keep


@dataclass(frozen=True)
class Decided:
    """What became of one review item an operator decided on, as one line for them."""

    item: str  # as the operator typed it
    ok: bool
    line: str


def parse_item_id(value: int | str) -> int:
    """A review item's id as typed: ``12``, or ``#12`` as the queue prints it."""
    text = str(value).strip().removeprefix("#")
    if not text.isdigit():
        raise NotFoundError(
            f"review item {str(value)!r} is not a number; 'hub moderation queue' lists them"
        )
    return int(text)


async def delete_items(
    store: Store,
    pm: pluggy.PluginManager,
    config: Config,
    ids: Iterable[int | str],
    operator: str,
) -> list[Decided]:
    """:func:`delete` each item in turn, one line each; one that fails (unknown, already
    decided, not carried out) does not stop the others."""
    out = []
    async with NetworkPool(pm, config) as networks:  # each network opened once for all items
        for value in ids:
            try:
                number = parse_item_id(value)
                item = await delete(store, pm, config, number, operator, networks=networks)
            except HubError as exc:
                out.append(Decided(str(value), False, str(exc)))
                continue
            # anything short of "done" (left for the next run, failed, manual) says so itself
            done = item.outcome.startswith("done")
            out.append(Decided(str(value), done, f"#{number}: {item.outcome}"))
    return out


def keep_items(store: Store, ids: Iterable[int | str], operator: str) -> list[Decided]:
    """:func:`keep` each item in turn, one line each; an unknown or already decided one does
    not stop the others."""
    out = []
    for value in ids:
        try:
            number = parse_item_id(value)
            keep(store, number, operator)
        except HubError as exc:
            out.append(Decided(str(value), False, str(exc)))
            continue
        out.append(Decided(str(value), True, f"#{number}: kept"))
    return out


def classify(
    pm: pluggy.PluginManager, settings: dict[str, Any], lines: Iterable[str]
) -> Iterator[Verdict]:
    """One verdict per line of text; the lines share a context, so floods are seen."""
    context = ModerationContext(settings=settings)
    for line in lines:
        view = CommentView(text=line.rstrip("\n"))
        verdict = pm.hook.moderate_comment(comment=view, context=context)
        context.remember(view)
        if verdict is None:
            raise HubError(
                "no moderation engine answered: install the default one (hub_moderation) or a "
                "plugin implementing moderate_comment"
            )
        yield verdict
