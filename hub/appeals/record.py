"""One pass over the comments stored since the last: new appeals found, answers seen.

Each account has a cursor (``hub_state`` ``appeals:<account>``: the last comment id
looked at), moved in the same transaction as the appeals it produced, so a crash
repeats a pass and never skips one. The first pass of an account looks back only
``[appeals] look_back_days``: a day by default — a question from yesterday still wants an
answer, while a week of history at install would open dozens of appeals already overdue and
turn the municipality's first report red on its first day.

A resident's comment is looked at once it has a verdict (moderation judged it: a
spam comment is no appeal), or at once on a watch page, which is never moderated.
The community's own comment (:func:`hub.moderation.pipeline.own_author_ids`) in an
open appeal's thread, after it, answers it: **answered is observed**, whether the
reply went through ``hub appeals answer`` or was written by hand on the network.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pluggy

from ..config import Config
from ..models import Account
from ..moderation.pipeline import own_author_ids
from ..store import Store, dicts, parse_time, utc_text, utcnow
from ..verdicts import CommentView
from .deadlines import due_at
from .finding import AppealContext, AppealFinding
from .settings import AppealSettings, parse_appeals

BATCH = 2000
#: verdict categories that are never an appeal (an advert is not a question)
NOT_APPEALS = {"spam"}


@dataclass
class PassReport:
    """What one pass did: appeals opened and appeals seen answered."""

    opened: list[int] = field(default_factory=list)
    answered: list[int] = field(default_factory=list)


def mask(text: str, word: str | None) -> str:
    """``text`` with every occurrence of ``word`` masked but its first letter («б****»)."""
    if not word:
        return text
    masked = word[0] + "".join("*" if ch.isalnum() else ch for ch in word[1:])
    out, lower, needle, start = [], text.lower(), word.lower(), 0
    while (found := lower.find(needle, start)) >= 0:
        out += [text[start:found], masked]
        start = found + len(word)
    out.append(text[start:])
    return "".join(out)


def _cursor_key(account_id: str) -> str:
    return f"appeals:{account_id}"


def _cursor(store: Store, account_id: str) -> int | None:
    row = store.db.execute(
        "SELECT value FROM hub_state WHERE key = ?", [_cursor_key(account_id)]
    ).fetchone()
    return int(row[0]) if row else None


def _save_cursor(store: Store, account_id: str, value: int) -> None:
    store.db.execute(
        "INSERT INTO hub_state (key, value, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        [_cursor_key(account_id), str(value), utcnow()],
    )


class AppealFinder:
    """Finds appeals and answers for the config's accounts (see the module's docstring)."""

    def __init__(self, store: Store, pm: pluggy.PluginManager, config: Config):
        self.store, self.pm, self.config = store, pm, config
        self.settings: AppealSettings = parse_appeals(config.raw)

    def run(self, accounts: Sequence[Account], now: datetime | None = None) -> PassReport:
        report = PassReport()
        for account in accounts:
            self._account(account, now or datetime.now(UTC), report)
        return report

    def _account(self, account: Account, now: datetime, report: PassReport) -> None:
        own = own_author_ids(self.store, account)
        context = AppealContext(self.settings.topics, self.settings.places, account.watch)
        cursor = _cursor(self.store, account.id)
        since = None
        if cursor is None:
            cursor, since = 0, utc_text(now - timedelta(days=self.settings.look_back_days))
        while True:
            rows = self._rows(account.id, cursor)
            if not rows:
                return
            with self.store.transaction(immediate=True):
                last = cursor
                for row in rows:
                    if not self._one(account, row, own, context, since, report):
                        break  # not judged yet: wait for moderation, keep the cursor here
                    last = row["id"]
                if last != cursor:
                    _save_cursor(self.store, account.id, last)
            if last == cursor or len(rows) < BATCH:
                return
            cursor = last

    def _rows(self, account_id: str, cursor: int) -> list[dict]:
        cursor_rows = self.store.db.execute(
            "SELECT c.id, c.network_id, c.post_id, c.author_id, c.text, c.parent_network_id, "
            "c.thread_root_network_id, c.published_at, c.deleted_at, c.is_placeholder, "
            "v.id AS verdict_id, v.category, v.match FROM comments c "
            "LEFT JOIN verdicts v ON v.comment_id = c.id "
            "WHERE c.account_id = ? AND c.id > ? ORDER BY c.id LIMIT ?",
            [account_id, cursor, BATCH],
        )
        return dicts(cursor_rows)

    def _one(self, account, row, own, context, since, report) -> bool:
        """Look at one comment; False: it must wait (not judged yet)."""
        if row["author_id"] is not None and row["author_id"] in own:
            answered = self._answers(account, row)
            if answered is not None:
                report.answered.append(answered)
            return True
        if row["is_placeholder"] or (since and (row["published_at"] or "") < since):
            return True
        if row["verdict_id"] is None and not account.watch:
            return row["deleted_at"] is not None  # gone before judging: nothing to wait for
        if row["category"] in NOT_APPEALS:
            return True
        view = CommentView(
            text=row["text"] or "",
            author_id=row["author_id"],
            account_id=account.id,
            network=account.network,
            organization=account.organization,
            is_reply=row["parent_network_id"] is not None,
        )
        finding = self.pm.hook.detect_appeal(comment=view, context=context)
        if finding is not None:
            report.opened.append(self._open(account, row, finding))
        return True

    def _open(self, account: Account, row: dict, finding: AppealFinding) -> int:
        received = parse_time(row["published_at"]) if row["published_at"] else datetime.now(UTC)
        deadline = self.settings.deadline_for(account.organization)
        masked = mask(row["text"] or "", row["match"]) if row["category"] == "obscene" else None
        now = utcnow()
        cursor = self.store.db.execute(
            "INSERT INTO appeals (account_id, comment_id, kind, topic, rule, match, "
            "text_masked, received_at, due_at, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(comment_id) DO NOTHING",
            [
                account.id, row["id"], finding.kind, finding.topic, finding.rule,
                finding.match, masked, utc_text(received),
                utc_text(due_at(received, deadline, self.settings)), now, now,
            ],
        )  # fmt: skip
        return cursor.lastrowid

    def _answers(self, account: Account, row: dict) -> int | None:
        """The open appeal this community comment answers (its thread, after it), closed."""
        threads = [v for v in (row["parent_network_id"], row["thread_root_network_id"]) if v]
        if not threads or not row["published_at"]:
            return None
        found = self.store.db.execute(
            "SELECT a.id, a.received_at FROM appeals a JOIN comments c ON c.id = a.comment_id "
            "WHERE a.account_id = ? AND a.status = 'open' AND c.post_id IS ? "
            f"AND c.network_id IN ({', '.join('?' * len(threads))}) AND a.received_at <= ? "
            "ORDER BY a.received_at LIMIT 1",
            [account.id, row["post_id"], *threads, row["published_at"]],
        ).fetchone()
        if found is None:
            return None
        mark_answered(self.store, found[0], parse_time(row["published_at"]), "community", row["id"])
        return found[0]


def mark_answered(
    store: Store, appeal_id: int, at: datetime, by: str, answer_comment_id: int | None = None
) -> None:
    """Record an answer (inside the caller's transaction): when, by whom, how fast."""
    received = store.db.execute(
        "SELECT received_at FROM appeals WHERE id = ?", [appeal_id]
    ).fetchone()[0]
    minutes = max(0, int((at - parse_time(received)).total_seconds() // 60))
    store.db.execute(
        "UPDATE appeals SET status = 'answered', answered_at = ?, answered_by = ?, "
        "answer_comment_id = COALESCE(?, answer_comment_id), response_minutes = ?, "
        "updated_at = ? WHERE id = ? AND status = 'open'",
        [utc_text(at), by, answer_comment_id, minutes, utcnow(), appeal_id],
    )


def find_appeals(
    store: Store, pm: pluggy.PluginManager, config: Config, accounts: Sequence[Account]
) -> PassReport:
    """One pass for ``accounts`` (``hub moderate`` and the daemon run it after judging)."""
    return AppealFinder(store, pm, config).run(accounts)
