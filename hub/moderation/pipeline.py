"""Judging synced comments and carrying the decisions out, with every step on record.

For each comment not yet judged (or edited since it was kept): the
``moderate_comment`` hook gives a verdict, the organization's policy turns it
into keep / review / delete and, for a deletion, into a restriction of the
author (spam at once, others after repeated violations written within the
window). The verdict is stored (and a non-keep one logged) before anything is
sent; deletions and restrictions then go through the action outbox
(:mod:`hub.actions`: recorded before and after, safe to repeat), and the
network's answer is logged. A crash or a failure leaves a verdict ``decided``;
the next run carries it out, and the outbox verifies instead of acting twice.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pluggy

from .. import actions, plugins
from ..config import Config
from ..errors import HubError, InFlightError
from ..models import Account
from ..network import BAN_USER, BLOCK_AUTHOR, RESTRICT_USER
from ..networks import NetworkPool
from ..store import Store, utcnow
from ..verdicts import DELETE, KEEP, REVIEW, CommentView, ModerationContext, Verdict
from . import audit
from .policy import Policies, Policy, Restriction, load_policies

RECENT_CONTEXT = 500
MAX_ATTEMPTS = actions.MAX_ATTEMPTS
VERDICT_COLUMNS = (
    "comment_id",
    "account_id",
    "engine_action",
    "decision",
    "category",
    "rule",
    "match",
    "span_json",
    "reason",
    "criticism",
    "judged_text",
    "restrict_action",
    "restrict_days",
    "status",
    "decided_by",
    "judged_at",
    "updated_at",
)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _parse(iso: str | None) -> datetime:
    return datetime.fromisoformat((iso or utcnow()).replace("Z", "+00:00"))


def own_author_ids(store: Store, account: Account) -> set[int]:
    """Author ids that are the administration itself: the community, the channel, its group.

    Which ids those are is the network's to say, from the account and its page as
    the last sync stored it (:meth:`hub.network.Network.own_author_ids`).
    """
    row = store.db.execute("SELECT raw_json FROM accounts WHERE id = ?", [account.id]).fetchone()
    raw = json.loads(row[0]) if row and row[0] else {}
    if not isinstance(raw, dict):
        raw = {}
    return plugins.network_class(account.network).own_author_ids(account, raw)


#: hears each item as it happens: ("judged", item) after its verdict is recorded,
#: ("carried_out", item) after its deletion (and restriction) was tried
OnItem = Callable[[str, "Judged"], None]


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
    #: other unfinished actions taken up again (hub.actions.unfinished.Resumed)
    resumed: list = field(default_factory=list)
    #: what the hub has stopped trying by itself, for the summary
    stuck: int = 0
    #: appeals opened and seen answered by this run (hub.appeals.record.PassReport)
    appeals: Any = None

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
    def judge_pending(
        self, accounts: Sequence[Account], *, dry_run: bool, on_item: OnItem | None = None
    ) -> list[Judged]:
        """Verdicts for every live comment not judged yet, or edited since it was kept.

        The administration's own comments (written as the community, the channel
        or its group) are recorded as kept without asking the engine: the hub
        never deletes the administration's voice.
        """
        out = []
        for account in accounts:
            policy = self.policies.for_organization(account.organization)
            context = self._context(account)
            own = own_author_ids(self.store, account)
            waiting = self.store.db.execute(  # the judging queue only (m013_judging_queue)
                "SELECT c.id, c.author_id, c.text, c.parent_network_id, c.published_at, "
                "c.deleted_at IS NULL AND c.is_placeholder = 0 "
                "AND (v.id IS NULL OR (v.status IN ('kept', 'queued', 'rejected') "
                "AND v.judged_text IS NOT c.text)) AS pending "
                "FROM comments c LEFT JOIN verdicts v ON v.comment_id = c.id "
                "WHERE c.account_id = ? AND c.needs_judging = 1 ORDER BY c.published_at, c.id",
                [account.id],
            ).fetchall()
            rows = [r[:5] for r in waiting if r[5]]
            for comment_id, author_id, text, parent, published in rows:
                view = CommentView(
                    text=text or "",
                    author_id=author_id,
                    account_id=account.id,
                    network=account.network,
                    organization=account.organization,
                    published_at=int(_parse(published).timestamp()) if published else None,
                    is_reply=parent is not None,
                )
                if author_id in own:
                    verdict = Verdict(
                        KEEP, rule="own.account", reason="Комментарий самой администрации."
                    )
                else:
                    verdict = self.verdict(view, context)
                context.remember(view)
                item = self._decide(
                    policy, account, comment_id, author_id, view.text, verdict, published
                )
                if not dry_run:
                    self._record(item)
                out.append(item)
                if on_item:  # said as it happens (hub moderate prints it)
                    on_item("judged", item)
            if not dry_run:  # judged now, or needing nothing (gone, a placeholder, unedited)
                self._dequeue([(r[0], r[2]) for r in waiting])
        return out

    def _dequeue(self, rows: list[tuple[int, str | None]]) -> None:
        """Take the rows read from the judging queue out of it — each only while its text is
        still the one read, so an edit another process stored meanwhile stays queued."""
        with self.store.transaction(immediate=True):
            self.store.db.conn.executemany(
                "UPDATE comments SET needs_judging = 0 WHERE id = ? AND text IS ?", rows
            )

    def verdict(self, view: CommentView, context: ModerationContext) -> Verdict:
        verdict = self.pm.hook.moderate_comment(comment=view, context=context)
        if verdict is None:  # keeping everything silently would only look like moderation
            raise HubError(
                "no moderation engine answered: install the default one (hub_moderation, in "
                "this package) or a plugin implementing moderate_comment; see 'hub plugins'"
            )
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
        published: str | None,
    ) -> Judged:
        decision = policy.decide(verdict)
        item = Judged(comment_id, account, author_id, text, verdict, decision)
        if decision == DELETE:
            item.restriction = self.restriction_for(policy, item, published)
        return item

    def restriction_for(self, policy: Policy, item: Judged, published: str | None) -> Restriction:
        """Spam: at once. Otherwise, the author's violations written within the window count
        (by when they were written, so judging a backlog does not make old ones recent)."""
        if item.author_id is None or item.author_id in own_author_ids(self.store, item.account):
            return Restriction()
        if item.verdict.category == "spam" and policy.spam_restrict.action != "none":
            return policy.spam_restrict
        written = _parse(published)
        earlier = self.store.db.execute(
            "SELECT COUNT(*) FROM verdicts v JOIN comments c ON c.id = v.comment_id "
            "WHERE v.account_id = ? AND c.author_id = ? AND v.decision = 'delete' "
            "AND v.comment_id != ? AND c.published_at >= ? AND c.published_at <= ?",
            [
                item.account.id,
                item.author_id,
                item.comment_id,
                _iso(written - timedelta(days=policy.repeat_within_days)),
                _iso(written),
            ],
        ).fetchone()[0]
        if earlier + 1 >= policy.repeat_violations:
            return policy.repeat_restrict
        return Restriction()

    def _record(self, item: Judged) -> None:
        v = item.verdict
        status = {DELETE: "decided", REVIEW: "queued", KEEP: "kept"}[item.decision]
        now = utcnow()
        values = [
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
            item.text,
            item.restriction.action,
            item.restriction.days,
            status,
            self.actor,
            now,
            now,
        ]
        updates = ", ".join(f"{c} = excluded.{c}" for c in VERDICT_COLUMNS[1:])
        with self.store.transaction(immediate=True):
            self.store.db.execute(  # an edited comment's verdict is replaced
                f"INSERT INTO verdicts ({', '.join(VERDICT_COLUMNS)}) "
                f"VALUES ({', '.join('?' for _ in VERDICT_COLUMNS)}) "
                f"ON CONFLICT(comment_id) DO UPDATE SET {updates}",
                values,
            )
            if item.decision != KEEP:
                self._audit(
                    item, f"verdict:{item.decision}", {"reason": v.reason, "match": v.match}
                )

    # -- carrying out --------------------------------------------------------
    async def carry_out_decided(
        self,
        accounts: Sequence[Account],
        verdict_ids: Sequence[int] | None = None,
        on_item: OnItem | None = None,
        *,
        networks: NetworkPool | None = None,
    ) -> list[Judged]:
        """Delete and restrict for every ``decided`` verdict of the accounts (resumes a crash).

        ``networks``: the run's pool (each network opened once for the run); without
        one, a pool is opened for this call and closed after it.
        """
        if networks is None:
            async with NetworkPool(self.pm, self.config) as own:
                return await self.carry_out_decided(accounts, verdict_ids, on_item, networks=own)
        ids = [a.id for a in accounts]
        only = ""
        if verdict_ids is not None:
            only = f"AND v.id IN ({', '.join(str(int(i)) for i in verdict_ids)}) "
        rows = self.store.db.execute(
            "SELECT v.id, v.comment_id, v.account_id, c.author_id, c.text, v.engine_action, "
            "v.category, v.rule, v.match, v.reason, v.criticism, v.restrict_action, "
            f"v.restrict_days, {actions.comment_columns('c')} "
            "FROM verdicts v JOIN comments c ON c.id = v.comment_id "
            "WHERE v.status = 'decided' "
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
            ) = row[:13]
            comment = actions.stored_comment(self.config, row[13:])  # the row, read once
            account = comment.account
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
            item.outcome = await self._carry_out(vid, item, comment, networks)
            done.append(item)
            if on_item:
                on_item("carried_out", item)
        return done

    async def _carry_out(
        self, verdict_id: int, item: Judged, comment: actions.StoredComment, networks: NetworkPool
    ) -> str:
        """Delete, then restrict the author; the verdict is ``done`` only when both are.

        A step done in an earlier run is not sent again (a crash after the
        deletion resumes at the ban). A step in flight in another process leaves
        the verdict ``decided`` without counting an attempt; any other failure
        counts one, and after :data:`MAX_ATTEMPTS` the verdict is ``failed``:
        stuck, for a person (``hub moderation stuck``).
        """
        capabilities = plugins.networks(self.pm)[item.account.network].capabilities
        block_on_delete, separate = restriction_route(item.restriction, capabilities)
        step = "delete_comment"
        try:
            outcome = await actions.delete_comment(
                self.store,
                networks,
                comment,
                requested_by=self.actor,
                block_author=block_on_delete,
                skip_done=True,
            )
            if outcome.result.manual:
                return self._finish(
                    verdict_id, item, "manual", step, outcome, outcome.result.detail
                )
            if not outcome.reused:
                self._log_action(item, step, outcome)
            note = outcome.result.detail
            if separate:
                step = separate
                note += "; " + await self._restrict(item, separate, verdict_id, networks)
        except InFlightError as exc:
            return f"decided: left for the next run, {exc}"
        except HubError as exc:
            tries = self._failures(item.comment_id) + 1
            status = "failed" if tries >= MAX_ATTEMPTS else "decided"
            return self._finish(
                verdict_id, item, status, step, None, f"attempt {tries} of {MAX_ATTEMPTS}: {exc}"
            )
        return self._finish(verdict_id, item, "done", None, None, note)

    def _failures(self, comment_id: int) -> int:
        """Failed attempts at this comment's verdict, whichever step failed."""
        steps = ("delete_comment", BAN_USER, RESTRICT_USER)
        events = [f"{s}:{e}" for s in steps for e in ("decided", "failed")]
        return self.store.db.execute(
            "SELECT COUNT(*) FROM moderation_log WHERE comment_id = ? "
            f"AND event IN ({', '.join('?' for _ in events)})",
            [comment_id, *events],
        ).fetchone()[0]

    async def _restrict(
        self, item: Judged, kind: str, verdict_id: int, networks: NetworkPool
    ) -> str:
        """Ban or mute the author for this violation; a failure is the caller's to count."""
        days = item.restriction.days or None
        reason = f"{item.verdict.category}: {item.verdict.reason}"[:200]
        key = f"verdict-{verdict_id}"  # one restriction per violation, however often resent
        common = {
            "days": days,
            "reason": reason,
            "requested_by": self.actor,
            "key": key,
            "skip_done": True,
        }
        if item.author_id is None:  # a policy restricts only an author it knows
            raise HubError(f"comment {item.comment_id} has no known author to restrict")
        args = (self.store, networks, item.account, item.author_id)
        if kind == BAN_USER:
            category = "spam" if item.verdict.category == "spam" else "other"
            outcome = await actions.ban_user(*args, category=category, **common)
        else:
            outcome = await actions.restrict_user(*args, **common)
        if not outcome.reused:
            self._log_action(item, kind, outcome)
        return outcome.result.detail

    def _audit(self, item: Judged, event: str, answer: dict, action_id: int | None = None) -> None:
        """One audit entry about the item (inside the caller's transaction)."""
        audit.append(
            self.store,
            account_id=item.account.id,
            comment_id=item.comment_id,
            actor=self.actor,
            event=event,
            category=item.verdict.category,
            rule=item.verdict.rule,
            comment_text=item.text,
            network_answer=answer,
            action_id=action_id,
        )

    def _log_action(self, item: Judged, event: str, outcome: actions.ActionOutcome) -> None:
        with self.store.transaction(immediate=True):
            self._audit(
                item,
                event,
                {
                    "done": outcome.result.done,
                    "already": outcome.result.already,
                    "detail": outcome.result.detail,
                },
                outcome.action_id,
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
        with self.store.transaction(immediate=True):
            self.store.db.execute(
                "UPDATE verdicts SET status = ?, updated_at = ? WHERE id = ?",
                [status, utcnow(), verdict_id],
            )
            if event:
                self._audit(
                    item,
                    f"{event}:{status}",
                    {"detail": note},
                    outcome.action_id if outcome else None,
                )
        return f"{status}: {note}"


def restriction_route(restriction: Restriction, capabilities: frozenset[str]) -> tuple[bool, str]:
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
