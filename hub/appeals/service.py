"""What the commands, the daemon and the console call: the appeals list, one appeal,
answering (through the reply outbox), assigning, closing, and the overdue count.

Every answer goes through :func:`hub.plan.replies.send_reply`, whose idempotency key is
the appeal's comment: ``hub appeals answer`` repeated, or run by two people at once,
posts one reply. An answer given elsewhere (by phone, in a letter, or to an obscene
complaint whose comment was deleted) is recorded with ``elsewhere``, nothing posted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pluggy

from ..config import Config
from ..errors import HubError, NotFoundError
from ..store import Store, dicts, utc_text, utcnow
from .finding import KINDS
from .record import mark_answered

STATUSES = ("open", "answered", "closed")
COLUMNS = (
    "a.id, a.account_id, c.network_id AS comment, c.author_id, a.kind, a.topic, a.rule, "
    "a.match, a.status, a.received_at, a.due_at, a.answered_at, a.answered_by, "
    "a.response_minutes, a.assigned_to, a.closed_at, a.closed_by, a.close_reason, "
    "c.deleted_at, COALESCE(a.text_masked, c.text) AS text, p.url AS post_url"
)
FROM = "FROM appeals a JOIN comments c ON c.id = a.comment_id LEFT JOIN posts p ON p.id = c.post_id"


def _now() -> str:
    return utc_text(datetime.now(UTC))


def _item(row: dict[str, Any], now: str) -> dict[str, Any]:
    """One appeal as the commands print it and ``--json`` carries it."""
    row = dict(row)
    row["overdue"] = row["status"] == "open" and row["due_at"] < now
    return row


def _rows(
    store: Store, where: str, params: list[Any], limit: int | None, offset: int = 0
) -> list[dict]:
    cursor = store.db.execute(
        f"SELECT {COLUMNS} {FROM} WHERE {where} "
        "ORDER BY CASE a.status WHEN 'open' THEN 0 ELSE 1 END, a.due_at, a.id LIMIT ? OFFSET ?",
        [*params, limit if limit else -1, offset],
    )
    now = _now()
    return [_item(row, now) for row in dicts(cursor)]


def list_appeals(
    store: Store,
    *,
    accounts: Sequence[str] | None = None,
    status: str | None = None,
    overdue: bool = False,
    kind: str | None = None,
    limit: int | None = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Appeals, open first and due first; ``accounts`` None: every account. ``offset``
    pages through them (the console shows 50 at a time)."""
    if status and status not in STATUSES:
        raise HubError(f"unknown status {status!r}; statuses: {', '.join(STATUSES)}")
    if kind and kind not in KINDS:
        raise HubError(f"unknown kind {kind!r}; kinds: {', '.join(KINDS)}")
    where, params = ["1 = 1"], []
    if accounts is not None:
        where.append(f"a.account_id IN ({', '.join('?' * len(accounts)) or 'NULL'})")
        params += list(accounts)
    if overdue:
        where.append("a.status = 'open' AND a.due_at < ?")
        params.append(_now())
    elif status:
        where.append("a.status = ?")
        params.append(status)
    if kind:
        where.append("a.kind = ?")
        params.append(kind)
    return _rows(store, " AND ".join(where), params, limit, offset)


def parse_appeal_id(value: int | str) -> int:
    text = str(value).strip().removeprefix("#")
    if not text.isdigit():
        raise NotFoundError(f"appeal {str(value)!r} is not a number; 'hub appeals list' shows them")
    return int(text)


def get_appeal(store: Store, appeal_id: int | str) -> dict[str, Any]:
    number = parse_appeal_id(appeal_id)
    rows = _rows(store, "a.id = ?", [number], 1)
    if not rows:
        raise NotFoundError(f"appeal {number} does not exist; 'hub appeals list' shows them")
    return rows[0]


def _open(store: Store, appeal_id: int | str) -> dict[str, Any]:
    appeal = get_appeal(store, appeal_id)
    if appeal["status"] != "open":
        done = appeal["answered_at"] or appeal["closed_at"]
        raise HubError(f"appeal {appeal['id']} is already {appeal['status']} ({done})")
    return appeal


@dataclass(frozen=True)
class Answered:
    appeal_id: int
    line: str


async def answer(
    store: Store,
    pm: pluggy.PluginManager,
    config: Config,
    appeal_id: int | str,
    *,
    by: str,
    template: str | None = None,
    text: str | None = None,
    elsewhere: str | None = None,
) -> Answered:
    """Answer an open appeal: a reply from an approved template, a text of its own (both
    through the outbox, once), or an answer given ``elsewhere`` (recorded, nothing posted)."""
    if sum(x is not None for x in (template, text, elsewhere)) != 1:
        raise HubError("give exactly one of --template NAME, --text TEXT or --elsewhere HOW")
    appeal = _open(store, appeal_id)
    if elsewhere is not None:
        if not elsewhere.strip():
            raise HubError("--elsewhere needs a few words on how it was answered")
        with store.transaction(immediate=True):
            mark_answered(store, appeal["id"], datetime.now(UTC), by)
            store.db.execute(
                "UPDATE appeals SET close_reason = ? WHERE id = ?",
                [f"ответ дан иначе: {elsewhere.strip()}", appeal["id"]],
            )
        return Answered(appeal["id"], f"appeal {appeal['id']}: answered ({elsewhere.strip()})")
    from ..actions.refs import find_comment
    from ..networks import NetworkPool
    from ..plan import replies

    stored = find_comment(store, config, f"{appeal['account_id']}:{appeal['comment']}")
    async with NetworkPool(pm, config) as networks:
        if template is not None:
            chosen = replies.approved_template(store, template)
            outcome = await replies.reply(store, networks, stored, chosen, requested_by=by)
        else:
            if not (text or "").strip():
                raise HubError("--text is empty; write the answer, or use --template NAME")
            outcome = await replies.send_reply(
                store, networks, stored, text.strip(), "appeal", requested_by=by
            )
    if not outcome.result.done:
        raise HubError(
            f"appeal {appeal['id']}: the reply is not confirmed yet ({outcome.result.detail}); "
            "the next run checks it on the network; the appeal stays open"
        )
    with store.transaction(immediate=True):
        mark_answered(store, appeal["id"], datetime.now(UTC), by)
    where = outcome.result.data.get("url") or outcome.result.detail or ""
    return Answered(appeal["id"], f"appeal {appeal['id']}: answered {where}".strip())


def assign(store: Store, appeal_id: int | str, to: str, *, by: str) -> dict[str, Any]:
    """Who is to answer it (a name; the console's operators by login)."""
    appeal = _open(store, appeal_id)
    if not to.strip():
        raise HubError("--to needs a name")
    with store.transaction(immediate=True):
        store.db.execute(
            "UPDATE appeals SET assigned_to = ?, updated_at = ? WHERE id = ?",
            [to.strip(), utcnow(), appeal["id"]],
        )
    return get_appeal(store, appeal["id"])


def close(store: Store, appeal_id: int | str, reason: str, *, by: str) -> dict[str, Any]:
    """Close without an answer, for a reason a person gives (a duplicate, not in competence,
    passed to another body)."""
    appeal = _open(store, appeal_id)
    if not reason.strip():
        raise HubError("--reason is empty; say why it needs no answer (a duplicate, …)")
    with store.transaction(immediate=True):
        store.db.execute(
            "UPDATE appeals SET status = 'closed', closed_at = ?, closed_by = ?, "
            "close_reason = ?, updated_at = ? WHERE id = ? AND status = 'open'",
            [_now(), by, reason.strip(), utcnow(), appeal["id"]],
        )
    return get_appeal(store, appeal["id"])


def overdue_count(store: Store) -> int:
    """Open appeals past their deadline (every opened store has the table: read-only ones
    refuse a schema behind this version)."""
    return store.db.execute(
        "SELECT COUNT(*) FROM appeals WHERE status = 'open' AND due_at < ?", [_now()]
    ).fetchone()[0]


def overdue_warning(store: Store) -> str | None:
    """The line every run's summary ends with while appeals wait past their deadline."""
    n = overdue_count(store)
    if not n:
        return None
    return f"{n} appeal(s) past their answer deadline; 'hub appeals list --overdue'"
