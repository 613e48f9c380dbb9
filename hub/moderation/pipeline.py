"""Judging synced comments and carrying the decisions out, with every step on record.

For each comment not yet judged: the ``moderate_comment`` hook gives a verdict,
the organization's policy turns it into keep / review / delete and, for a
deletion, into a restriction of the author (spam at once, others after repeated
violations). The verdict is stored (and a non-keep one logged) before anything
is sent; deletions and restrictions then go through the action outbox
(:mod:`hub.actions`: recorded before and after, safe to repeat), and the
network's answer is logged. A crash leaves verdicts ``decided``; the next run
carries them out, and the outbox verifies instead of acting twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pluggy

from .. import actions, plugins
from ..config import Config
from ..errors import HubError
from ..models import Account
from ..network import BAN_USER, BLOCK_AUTHOR, RESTRICT_USER
from ..store import Store, utcnow
from ..verdicts import DELETE, KEEP, REVIEW, CommentView, ModerationContext, Verdict
from . import audit
from .policy import Policies, Policy, Restriction, load_policies

RECENT_CONTEXT = 500


@dataclass
class Judged:
    """One comment's verdict and what the policy makes of it."""

    comment_id: int
    account: Account
    author_id: int | None
    text: str
    verdict: Verdict
    decision: str
    restriction: Restriction = field(default_factory=Restriction)
    outcome: str = ""


@dataclass
class Report:
    judged: list[Judged] = field(default_factory=list)
    carried_out: list[Judged] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out = {KEEP: 0, REVIEW: 0, DELETE: 0}
        for item in self.judged:
            out[item.decision] += 1
        return out


class Moderator:
    def __init__(self, store: Store, pm: pluggy.PluginManager, config: Config, *, actor: str):
        self.store = store
        self.pm = pm
        self.config = config
        self.actor = actor
        self.policies: Policies = load_policies(config.moderation)

    # -- judging -------------------------------------------------------------
    def judge_pending(self, accounts: Sequence[Account], *, dry_run: bool) -> list[Judged]:
        """Verdicts for every live comment of the accounts that has none yet."""
        out = []
        for account in accounts:
            policy = self.policies.for_organization(account.organization)
            context = self._context(account)
            rows = self.store.db.execute(
                "SELECT c.id, c.author_id, c.text, c.parent_network_id, c.published_at "
                "FROM comments c LEFT JOIN verdicts v ON v.comment_id = c.id "
                "WHERE c.account_id = ? AND c.deleted_at IS NULL AND v.id IS NULL "
                "AND c.is_placeholder = 0 ORDER BY c.published_at, c.id",
                [account.id],
            ).fetchall()
            for comment_id, author_id, text, parent, _published in rows:
                view = CommentView(
                    text=text or "",
                    author_id=author_id,
                    account_id=account.id,
                    network=account.network,
                    organization=account.organization,
                    is_reply=parent is not None,
                )
                verdict = self.verdict(view, context)
                context.remember(view)
                item = self._decide(policy, account, comment_id, author_id, view.text, verdict)
                if not dry_run:
                    self._record(item)
                out.append(item)
        return out

    def verdict(self, view: CommentView, context: ModerationContext) -> Verdict:
        verdict = self.pm.hook.moderate_comment(comment=view, context=context)
        if verdict is None:
            return Verdict(KEEP, rule="none", reason="no moderation engine is installed")
        return verdict

    def _context(self, account: Account) -> ModerationContext:
        context = ModerationContext(settings=self.config.moderation)
        recent = self.store.db.execute(
            "SELECT author_id, text FROM (SELECT c.id, c.author_id, c.text FROM comments c "
            "JOIN verdicts v ON v.comment_id = c.id WHERE c.account_id = ? "
            "ORDER BY c.published_at DESC, c.id DESC LIMIT ?) ORDER BY id",
            [account.id, RECENT_CONTEXT],
        )
        for author_id, text in recent:
            context.recent.append((author_id, text or ""))
        return context

    def _decide(
        self,
        policy: Policy,
        account: Account,
        comment_id: int,
        author_id: int | None,
        text: str,
        verdict: Verdict,
    ) -> Judged:
        decision = policy.decide(verdict)
        item = Judged(comment_id, account, author_id, text, verdict, decision)
        if decision == DELETE:
            item.restriction = self._restriction_for(policy, item)
        return item

    def _restriction_for(self, policy: Policy, item: Judged) -> Restriction:
        if item.author_id is None or self._is_own(item.account, item.author_id):
            return Restriction()
        if item.verdict.category == "spam" and policy.spam_restrict.action != "none":
            return policy.spam_restrict
        earlier = self.store.db.execute(
            "SELECT COUNT(*) FROM verdicts v JOIN comments c ON c.id = v.comment_id "
            "WHERE v.account_id = ? AND c.author_id = ? AND v.decision = 'delete' "
            "AND v.status IN ('done', 'decided') AND v.judged_at >= datetime('now', ?)",
            [item.account.id, item.author_id, f"-{policy.repeat_within_days} days"],
        ).fetchone()[0]
        if earlier + 1 >= policy.repeat_violations:
            return policy.repeat_restrict
        return Restriction()

    @staticmethod
    def _is_own(account: Account, author_id: int) -> bool:
        """The community itself (VK and OK write it as the negative group id)."""
        external = account.external_id.lstrip("-")
        return author_id < 0 and external.isdigit() and -int(external) == author_id

    def _record(self, item: Judged) -> None:
        v = item.verdict
        status = {DELETE: "decided", REVIEW: "queued", KEEP: "kept"}[item.decision]
        now = utcnow()
        with self.store.transaction():
            self.store.db.execute(
                "INSERT INTO verdicts (comment_id, account_id, engine_action, decision, category, "
                "rule, match, span_json, reason, criticism, restrict_action, restrict_days, "
                "status, "
                "decided_by, judged_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    item.comment_id,
                    item.account.id,
                    v.action,
                    item.decision,
                    v.category,
                    v.rule,
                    v.match,
                    None if v.span is None else f"[{v.span[0]}, {v.span[1]}]",
                    v.reason,
                    int(v.criticism),
                    item.restriction.action,
                    item.restriction.days,
                    status,
                    self.actor,
                    now,
                    now,
                ],
            )
            if item.decision != KEEP:
                audit.append(
                    self.store,
                    account_id=item.account.id,
                    comment_id=item.comment_id,
                    actor=self.actor,
                    event=f"verdict:{item.decision}",
                    category=v.category,
                    rule=v.rule,
                    comment_text=item.text,
                    network_answer={"reason": v.reason, "match": v.match},
                )

    # -- carrying out --------------------------------------------------------
    async def carry_out_decided(
        self, accounts: Sequence[Account], verdict_ids: Sequence[int] | None = None
    ) -> list[Judged]:
        """Delete and restrict for every ``decided`` verdict of the accounts (resumes a crash)."""
        ids = [a.id for a in accounts]
        only = ""
        if verdict_ids is not None:
            only = f"AND v.id IN ({', '.join(str(int(i)) for i in verdict_ids)}) "
        rows = self.store.db.execute(
            "SELECT v.id, v.comment_id, v.account_id, c.author_id, c.text, v.engine_action, "
            "v.category, v.rule, v.match, v.reason, v.criticism, v.restrict_action, "
            "v.restrict_days "
            f"FROM verdicts v JOIN comments c ON c.id = v.comment_id WHERE v.status = 'decided' "
            f"AND v.account_id IN ({', '.join('?' for _ in ids)}) {only}ORDER BY v.id",
            ids,
        ).fetchall()
        done = []
        for row in rows:
            (
                vid,
                comment_id,
                account_id,
                author,
                text,
                engine_action,
                category,
                rule,
                match,
                reason,
                criticism,
                restrict,
                days,
            ) = row
            account = self.config.account(account_id)
            verdict = Verdict(
                engine_action, category, rule or "", match, None, reason or "", bool(criticism)
            )
            item = Judged(
                comment_id,
                account,
                author,
                text or "",
                verdict,
                DELETE,
                Restriction(restrict or "none", days or 0),
            )
            item.outcome = await self._carry_out(vid, item)
            done.append(item)
        return done

    async def _carry_out(self, verdict_id: int, item: Judged) -> str:
        capabilities = plugins.networks(self.pm)[item.account.network].capabilities
        block_on_delete, separate = _restriction_route(item.restriction, capabilities)
        try:
            outcome = await actions.delete_comment(
                self.store,
                self.pm,
                self.config,
                str(item.comment_id),
                self.actor,
                block_author=block_on_delete,
            )
        except HubError as exc:
            return self._finish(verdict_id, item, "failed", "delete_comment", None, str(exc))
        if outcome.result.manual:
            return self._finish(
                verdict_id, item, "manual", "delete_comment", outcome, outcome.result.detail
            )
        self._log_action(item, "delete_comment", outcome)
        note = outcome.result.detail
        if separate:
            note += "; " + await self._restrict(item, separate)
        return self._finish(verdict_id, item, "done", None, None, note)

    async def _restrict(self, item: Judged, kind: str) -> str:
        days = item.restriction.days or None
        reason = f"{item.verdict.category}: {item.verdict.reason}"[:200]
        call = actions.ban_user if kind == BAN_USER else actions.restrict_user
        kwargs = {"category": "spam" if item.verdict.category == "spam" else "other"}
        try:
            if kind == BAN_USER:
                outcome = await call(
                    self.store,
                    self.pm,
                    self.config,
                    item.account.id,
                    str(item.author_id),
                    days=days,
                    reason=reason,
                    requested_by=self.actor,
                    **kwargs,
                )
            else:
                outcome = await call(
                    self.store,
                    self.pm,
                    self.config,
                    item.account.id,
                    str(item.author_id),
                    days=days,
                    reason=reason,
                    requested_by=self.actor,
                )
        except HubError as exc:
            with self.store.transaction():
                audit.append(
                    self.store,
                    account_id=item.account.id,
                    comment_id=item.comment_id,
                    actor=self.actor,
                    event=f"{kind}:failed",
                    category=item.verdict.category,
                    rule=item.verdict.rule,
                    comment_text=item.text,
                    network_answer={"error": str(exc)},
                )
            return f"restricting the author failed: {exc}"
        self._log_action(item, kind, outcome)
        return outcome.result.detail

    def _log_action(self, item: Judged, event: str, outcome: actions.ActionOutcome) -> None:
        with self.store.transaction():
            audit.append(
                self.store,
                account_id=item.account.id,
                comment_id=item.comment_id,
                actor=self.actor,
                event=event,
                category=item.verdict.category,
                rule=item.verdict.rule,
                comment_text=item.text,
                network_answer={
                    "done": outcome.result.done,
                    "already": outcome.result.already,
                    "detail": outcome.result.detail,
                },
                action_id=outcome.action_id,
            )

    def _finish(
        self,
        verdict_id: int,
        item: Judged,
        status: str,
        event: str | None,
        outcome: actions.ActionOutcome | None,
        note: str,
    ) -> str:
        with self.store.transaction():
            self.store.db.execute(
                "UPDATE verdicts SET status = ?, updated_at = ? WHERE id = ?",
                [status, utcnow(), verdict_id],
            )
            if event:
                audit.append(
                    self.store,
                    account_id=item.account.id,
                    comment_id=item.comment_id,
                    actor=self.actor,
                    event=f"{event}:{status}",
                    category=item.verdict.category,
                    rule=item.verdict.rule,
                    comment_text=item.text,
                    network_answer={"detail": note},
                    action_id=outcome.action_id if outcome else None,
                )
        return f"{status}: {note}"


def _restriction_route(restriction: Restriction, capabilities: frozenset[str]) -> tuple[bool, str]:
    """(block while deleting?, the separate call to make or "") for the network at hand.

    A ban where the network bans (VK, Telegram); a mute where it mutes (Telegram),
    else a ban for the same days (VK has no mute); OK can only block while deleting.
    """
    if restriction.action == "none":
        return False, ""
    wanted = [RESTRICT_USER, BAN_USER] if restriction.action == "mute" else [BAN_USER]
    for kind in wanted:
        if kind in capabilities:
            return False, kind
    return BLOCK_AUTHOR in capabilities, ""
