"""Notices to the regional centre: created and deleted accounts, a new responsible person.

The acts give a municipality 10 days to report a created or deleted account
(003) and ask it to report a new responsible person (004 §5.3, §6.4). Each such
change opens one notice with its due date, fixed when it opens so that a later
change of ``[notices]`` never moves a deadline already running. A notice is
``pending`` until the Gospabliki report (or a person, ``hub notices mark-sent``)
delivers it; then it is ``sent`` with the receipt.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from typing import Any

from ..errors import HubError, NotFoundError
from ..store import Store, utcnow
from .calendar import due_date
from .events import dicts, record_event
from .settings import NoticeSettings

KINDS = ("account_created", "account_deleted", "responsible_changed")
#: how a notice reads in one line, for the CLI and the run summary
KIND_TEXT = {
    "account_created": "account created",
    "account_deleted": "account deleted",
    "responsible_changed": "responsible person changed",
}


def open_notice(
    store: Store,
    *,
    kind: str,
    organization: str | None,
    account_id: str | None = None,
    details: dict[str, Any] | None = None,
    occurred: date,
    settings: NoticeSettings,
    actor: str,
) -> int:
    """Open a notice due ``settings.due_days`` (calendar or working) days after ``occurred``."""
    if kind not in KINDS:
        raise HubError(f"unknown notice kind {kind!r}; expected {', '.join(KINDS)}")
    due = due_date(
        occurred,
        settings.due_days,
        working_days=settings.working_days,
        extra_holidays=settings.holidays,
    )
    cursor = store.db.execute(
        "INSERT INTO notices (kind, organization, account_id, details_json, occurred_at, "
        "due_date, status, created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)",
        [
            kind,
            organization,
            account_id,
            json.dumps(details or {}, ensure_ascii=False, sort_keys=True),
            occurred.isoformat(),
            due.isoformat(),
            utcnow(),
        ],
    )
    notice_id = cursor.lastrowid
    record_event(
        store,
        actor=actor,
        entity="notice",
        key=str(notice_id),
        action="opened",
        new={"kind": kind, "organization": organization, "account": account_id, "due": str(due)},
    )
    return notice_id


def list_notices(
    store: Store,
    *,
    status: str | None = None,
    overdue_only: bool = False,
    today: date | None = None,
) -> list[dict[str, Any]]:
    """Notices oldest due first, each with its account's network and URL and an overdue flag.

    Overdue means still pending after its due date: the due day itself is in time.
    """
    today = today or date.today()
    rows = dicts(
        store.db.execute(
            "SELECT n.id, n.kind, n.organization, n.account_id, a.network, a.url AS account_url, "
            "n.details_json, n.occurred_at, n.due_date, n.status, n.sent_at, n.receipt "
            "FROM notices n LEFT JOIN accounts a ON a.id = n.account_id "
            "WHERE (:status IS NULL OR n.status = :status) ORDER BY n.due_date, n.id",
            {"status": status},
        )
    )
    out = []
    for row in rows:
        row["details"] = json.loads(row.pop("details_json") or "{}")
        row["overdue"] = row["status"] == "pending" and row["due_date"] < today.isoformat()
        if row["overdue"] or not overdue_only:
            out.append(row)
    return out


def pending_notices(store: Store, today: date | None = None) -> list[dict[str, Any]]:
    """Notices not yet delivered, shaped for the Gospabliki report's ``notices`` list.

    Each dict: id, kind, organization, account_id, network, account_url, details
    (for ``responsible_changed``: ``from`` and ``to`` with name and position; never a
    phone), occurred_at and due_date (YYYY-MM-DD), status, overdue. Call
    :func:`hub.registry.sync_registry` (or :func:`registry_snapshot`) first so that
    changes in the config have opened theirs.
    """
    return list_notices(store, status="pending", today=today)


def mark_notices_sent(
    store: Store, ids: Iterable[int], receipt: str, *, actor: str = "gospabliki"
) -> int:
    """Mark pending notices as delivered with the receiver's receipt; return how many changed.

    Idempotent: a notice already sent keeps its first receipt, so a report sent
    twice cannot rewrite history. An unknown id changes nothing and raises.
    """
    ids = sorted({int(i) for i in ids})
    if not ids:
        return 0
    if not receipt or not str(receipt).strip():
        raise HubError("a receipt is needed to mark notices as sent (the receiver's reference)")
    with store.transaction():
        known = {
            r[0]: r[1]
            for r in store.db.execute(
                f"SELECT id, status FROM notices WHERE id IN ({', '.join('?' for _ in ids)})",
                ids,
            ).fetchall()
        }
        missing = [i for i in ids if i not in known]
        if missing:
            raise NotFoundError(f"no notice #{missing[0]}; 'hub notices' lists them")
        now = utcnow()
        changed = 0
        for notice_id in ids:
            if known[notice_id] != "pending":
                continue
            store.db.execute(
                "UPDATE notices SET status = 'sent', sent_at = ?, receipt = ? WHERE id = ?",
                [now, str(receipt), notice_id],
            )
            record_event(
                store,
                actor=actor,
                entity="notice",
                key=str(notice_id),
                action="sent",
                old={"status": "pending"},
                new={"status": "sent", "receipt": str(receipt)},
            )
            changed += 1
    return changed


def describe(notice: dict[str, Any]) -> str:
    """One line naming what must be reported: 'account created acc-1 (Администрация …)'."""
    subject = notice["account_id"] or f"«{notice['organization']}»"
    if notice["account_id"] and notice["organization"]:
        subject += f" («{notice['organization']}»)"
    if notice["kind"] == "responsible_changed":
        to = notice["details"].get("to") or {}
        subject += f": now {to.get('name')}, {to.get('position')}"
    return f"{KIND_TEXT[notice['kind']]} {subject}"


def overdue_warning(store: Store, today: date | None = None) -> str | None:
    """The warning for every ``hub`` run's summary, or None when nothing is overdue.

    "2 notices to the regional centre are overdue: account created acc-1 …
    (due 2026-03-02); …". At most three are named; the rest are counted.
    """
    overdue = list_notices(store, status="pending", overdue_only=True, today=today)
    if not overdue:
        return None
    named = [f"{describe(n)} (due {n['due_date']})" for n in overdue[:3]]
    more = f"; and {len(overdue) - 3} more" if len(overdue) > 3 else ""
    noun = (
        "notice to the regional centre is"
        if len(overdue) == 1
        else ("notices to the regional centre are")
    )
    return f"{len(overdue)} {noun} overdue: {'; '.join(named)}{more} (see 'hub notices --overdue')"
