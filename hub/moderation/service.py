"""What the CLI and the daemon call: moderate, the review queue, decisions, classify."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import pluggy

from ..config import Config
from ..errors import HubError, NotFoundError
from ..models import Account
from ..store import Store, utcnow
from ..verdicts import DELETE, CommentView, ModerationContext, Verdict
from . import audit
from .pipeline import Judged, Moderator, Report


async def moderate(
    store: Store,
    pm: pluggy.PluginManager,
    config: Config,
    accounts: Sequence[Account],
    *,
    dry_run: bool = False,
    actor: str = "engine",
) -> Report:
    """Judge every live comment not yet judged, then carry out what the policy decided."""
    moderator = Moderator(store, pm, config, actor=actor)
    report = Report(judged=moderator.judge_pending(accounts, dry_run=dry_run))
    if not dry_run:
        report.carried_out = await moderator.carry_out_decided(accounts)
    return report


def review_queue(store: Store, limit: int = 50) -> list[dict[str, Any]]:
    cursor = store.db.execute(
        "SELECT v.id, v.account_id, c.network_id AS comment, c.author_id, c.text, v.category, "
        "v.rule, v.match, v.reason, v.criticism, v.judged_at FROM verdicts v "
        "JOIN comments c ON c.id = v.comment_id WHERE v.status = 'queued' ORDER BY v.id LIMIT ?",
        [limit],
    )
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


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


async def approve(
    store: Store, pm: pluggy.PluginManager, config: Config, verdict_id: int, operator: str
) -> Judged:
    """An operator confirms a review item: the comment is deleted like an automatic decision."""
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
            event="approve",
            category=category,
            comment_text=text,
        )
    done = await moderator.carry_out_decided([account], [verdict_id])
    return done[0]


def reject(store: Store, verdict_id: int, operator: str) -> None:
    """An operator keeps a review item: nothing is sent; the decision is logged."""
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
            event="reject",
            category=category,
            comment_text=text,
        )


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
