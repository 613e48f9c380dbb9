"""What a moderator needs beside a review item to decide it: its post, its author's history
here, the matched words, and where the item stands now.

:func:`queue_page` is the console's view of :func:`hub.moderation.service.review_queue`:
the same queued items, oldest first, over the accounts the operator may see, one page at a
time (never the whole queue), each with its context read in a handful of indexed queries
for the whole page. :func:`item_state` says whether an item still waits, and if not who
decided it — what a stale page is told instead of deciding twice. :func:`highlight` marks
the matched words in a comment's text, escaping everything else.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

from ..errors import HubError, NotFoundError
from ..store import Store
from ..verdicts import CATEGORIES

PER_PAGE = 50
HISTORY_LAST = 3
POST_EXCERPT = 280


@dataclass
class AuthorHistory:
    """The author's comments in this account, as the database knows them."""

    comments: int = 0  # every comment of theirs here, this one included
    deleted: int = 0  # decided "delete" before (by the policy or an operator)
    queued: int = 0  # other items of theirs waiting now
    kept_by_operator: int = 0  # items an operator kept
    last: list[dict[str, Any]] = field(default_factory=list)  # their latest other comments


@dataclass
class ReviewItem:
    id: int
    account_id: str
    comment_id: int  # the hub's id of the comment
    network_id: int  # the comment's id on the network
    author_id: int | None
    author_name: str
    text: str
    published_at: str | None
    category: str | None
    rule: str
    match: str | None
    span: tuple[int, int] | None
    reason: str
    criticism: bool
    judged_at: str
    post_text: str
    post_url: str | None
    history: AuthorHistory = field(default_factory=AuthorHistory)

    @property
    def marked_text(self) -> Markup:
        """The comment, escaped, with what the rule matched in ``<mark>``."""
        return highlight(self.text, self.match, self.span)


@dataclass
class ReviewPage:
    items: list[ReviewItem]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _span(value: str | None) -> tuple[int, int] | None:
    try:
        start, end = json.loads(value or "null") or (None, None)
    except (TypeError, ValueError):
        return None
    if isinstance(start, int) and isinstance(end, int) and 0 <= start < end:
        return start, end
    return None


def highlight(text: str, match: str | None, span: tuple[int, int] | None = None) -> Markup:
    """``text`` escaped, each occurrence of ``match`` (any case) in ``<mark>``; without one in
    the text, the verdict's span. The markup is built here, around escaped pieces only, so a
    resident's text can never become markup."""
    text = text or ""
    ranges: list[tuple[int, int]] = []
    needle = (match or "").strip()
    if needle:
        ranges = [(m.start(), m.end()) for m in re.finditer(re.escape(needle), text, re.I)]
    if not ranges and span and span[1] <= len(text):
        ranges = [span]
    out, at = Markup(), 0
    for start, end in ranges:
        out += escape(text[at:start]) + Markup("<mark>{}</mark>").format(text[start:end])
        at = end
    return out + escape(text[at:])


def queue_page(
    store: Store,
    account_ids: Sequence[str],
    *,
    page: int = 1,
    per_page: int = PER_PAGE,
    category: str | None = None,
) -> ReviewPage:
    """One page of the queued items of these accounts, oldest first, with their context, and
    how many there are in all. No accounts: an empty page (an operator who sees none)."""
    if category and category not in (*CATEGORIES, "-"):
        raise HubError(f"unknown category {category!r}; known: {', '.join(CATEGORIES)}, or '-'")
    page, per_page = max(1, page), max(1, min(per_page, 200))
    if not account_ids:
        return ReviewPage([], 0, page, per_page)
    where = [
        "v.status = 'queued'",
        f"v.account_id IN ({', '.join('?' for _ in account_ids)})",
    ]
    params: list[Any] = list(account_ids)
    if category == "-":
        where.append("v.category IS NULL")
    elif category:
        where.append("v.category = ?")
        params.append(category)
    condition = " AND ".join(where)  # fixed columns; the values are parameters
    total = store.db.execute(f"SELECT COUNT(*) FROM verdicts v WHERE {condition}", params)
    total = total.fetchone()[0]
    rows = store.db.execute(
        "SELECT v.id, v.account_id, c.id, c.network_id, c.author_id, "
        "COALESCE(a.name, ''), COALESCE(c.text, ''), c.published_at, v.category, "
        "COALESCE(v.rule, ''), v.match, v.span_json, COALESCE(v.reason, ''), v.criticism, "
        "v.judged_at, COALESCE(p.text, ''), p.url "
        "FROM verdicts v JOIN comments c ON c.id = v.comment_id "
        "JOIN accounts ac ON ac.id = v.account_id "
        "LEFT JOIN posts p ON p.id = c.post_id "
        "LEFT JOIN authors a ON a.network = ac.network AND a.network_id = c.author_id "
        f"WHERE {condition} ORDER BY v.id LIMIT ? OFFSET ?",
        [*params, per_page, (page - 1) * per_page],
    ).fetchall()
    items = [_item(r) for r in rows]
    _add_history(store, items)
    return ReviewPage(items, total, page, per_page)


def _item(r: Sequence[Any]) -> ReviewItem:
    post = r[15]
    if len(post) > POST_EXCERPT:
        post = post[:POST_EXCERPT].rstrip() + "…"
    return ReviewItem(
        id=r[0],
        account_id=r[1],
        comment_id=r[2],
        network_id=r[3],
        author_id=r[4],
        author_name=r[5],
        text=r[6],
        published_at=r[7],
        category=r[8],
        rule=r[9],
        match=r[10],
        span=_span(r[11]),
        reason=r[12],
        criticism=bool(r[13]),
        judged_at=r[14],
        post_text=post,
        post_url=r[16],
    )


def _add_history(store: Store, items: list[ReviewItem]) -> None:
    """Each item's author history: one grouped query for the page, one for each author's last
    comments (both by the ``comments.author_id`` index)."""
    authors = sorted({i.author_id for i in items if i.author_id is not None})
    if not authors:
        return
    counts = {}
    rows = store.db.execute(
        "SELECT c.account_id, c.author_id, COUNT(*), "
        "COALESCE(SUM(v.decision = 'delete'), 0), COALESCE(SUM(v.status = 'queued'), 0), "
        "COALESCE(SUM(v.status = 'rejected'), 0) "
        "FROM comments c LEFT JOIN verdicts v ON v.comment_id = c.id "
        f"WHERE c.author_id IN ({', '.join('?' for _ in authors)}) "
        "GROUP BY c.account_id, c.author_id",
        authors,
    )
    for account_id, author_id, total, deleted, queued, kept in rows:
        counts[(account_id, author_id)] = (total, deleted, queued, kept)
    for item in items:
        if item.author_id is None:
            continue
        total, deleted, queued, kept = counts.get((item.account_id, item.author_id), (1, 0, 1, 0))
        last = store.db.execute(
            "SELECT c.published_at, COALESCE(c.text, ''), v.status, c.deleted_at "
            "FROM comments c LEFT JOIN verdicts v ON v.comment_id = c.id "
            "WHERE c.author_id = ? AND c.account_id = ? AND c.id != ? "
            "ORDER BY c.published_at DESC, c.id DESC LIMIT ?",
            [item.author_id, item.account_id, item.comment_id, HISTORY_LAST],
        ).fetchall()
        item.history = AuthorHistory(
            comments=total,
            deleted=deleted,
            queued=max(0, queued - 1),
            kept_by_operator=kept,
            last=[
                {"at": at, "text": text[:120], "status": status, "deleted": bool(gone)}
                for at, text, status, gone in last
            ],
        )


@dataclass(frozen=True)
class ItemState:
    id: int
    account_id: str
    comment_id: int
    status: str
    decision: str | None
    decided_by: str | None
    updated_at: str | None

    @property
    def waiting(self) -> bool:
        return self.status == "queued"


def item_state(store: Store, verdict_id: int) -> ItemState:
    """Where a review item stands now; an unknown id is :class:`NotFoundError`."""
    row = store.db.execute(
        "SELECT id, account_id, comment_id, status, decision, decided_by, updated_at "
        "FROM verdicts WHERE id = ?",
        [verdict_id],
    ).fetchone()
    if row is None:
        raise NotFoundError(f"review item {verdict_id} does not exist")
    return ItemState(*row)
