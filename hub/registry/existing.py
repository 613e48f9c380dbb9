"""Pages that existed before the hub listed them: no "account created" notice.

A municipality installing the hub declares the pages it has had for years. They
are no news to the regional centre, so the first listing of an install records
them as existing ("adopted"), as does ``existing_since`` in an account's table.
A "created" notice opened by mistake is withdrawn with ``hub accounts adopt``
(or by adding ``existing_since`` to the config) while it has not gone out: the
row goes, and the event log keeps what it said and who withdrew it. Once a
report carrying it may have reached Gospabliki, only the regional centre can
correct it, and the hub says so instead.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from ..config import Config
from ..errors import HubError
from ..store import Store
from .events import dicts, record_event
from .model import require_listed_account

#: why an account was recorded as existing, as its event says
INSTALLED = "listed when the hub was installed"
DECLARED = "existing_since in the config"
ADOPTED = "hub accounts adopt"


def first_listing(store: Store) -> bool:
    """True until the registry has listed any account: the install's first sync.

    ``account_flags`` keeps a row for every account ever listed (a removed one
    keeps its row with ``removed_at``), so this holds only once per database.
    """
    return store.db.execute("SELECT 1 FROM account_flags LIMIT 1").fetchone() is None


def record_existing(
    store: Store, account_id: str, details: dict[str, Any], since: date | None, why: str, actor: str
) -> None:
    """The event for an account listed (or re-classed) as existing before the hub."""
    new = {**details, "existing": why, "existing_since": since.isoformat() if since else None}
    record_event(store, actor=actor, entity="account", key=account_id, action="adopted", new=new)


def _in_flight(store: Store) -> set[int]:
    """Notices carried by a report built but not acknowledged: it may already have arrived."""
    ids: set[int] = set()
    for (body,) in store.db.execute(
        "SELECT body_json FROM report_outbox WHERE status = 'pending'"
    ).fetchall():
        for notice in json.loads(body).get("notices") or []:
            number = str(notice.get("id", "")).split("-", 1)[0]
            if number.isdigit():
                ids.add(int(number))
    return ids


def _created_notices(store: Store, account_id: str) -> list[dict[str, Any]]:
    return dicts(
        store.db.execute(
            "SELECT * FROM notices WHERE kind = 'account_created' AND account_id = ? ORDER BY id",
            [account_id],
        )
    )


def withdrawable(store: Store, account_id: str) -> list[dict[str, Any]]:
    """The account's pending "created" notices that no report has carried yet."""
    flying = _in_flight(store)
    return [
        n
        for n in _created_notices(store, account_id)
        if n["status"] == "pending" and n["id"] not in flying
    ]


def withdraw(store: Store, notice: dict[str, Any], *, reason: str, actor: str) -> None:
    """Remove a pending notice that was never owed, keeping what it said in the event log."""
    old = {
        "kind": notice["kind"],
        "organization": notice["organization"],
        "account": notice["account_id"],
        "occurred": notice["occurred_at"],
        "due": notice["due_date"],
        "details": json.loads(notice["details_json"] or "{}"),
    }
    store.db.execute("DELETE FROM notices WHERE id = ? AND status = 'pending'", [notice["id"]])
    record_event(
        store,
        actor=actor,
        entity="notice",
        key=str(notice["id"]),
        action="withdrawn",
        old=old,
        new={"reason": reason},
    )


def adopt_account(
    store: Store, config: Config, account_id: str, *, since: date | None, actor: str
) -> list[int]:
    """Mark a declared account as existing before the hub: withdraw its "created" notice.

    Returns the ids of the notices withdrawn; none when the account was already
    recorded as existing. Raises one HubError line when the notice has gone out
    (sent, or in a report waiting for Gospabliki's answer): the hub cannot take
    it back.
    """
    config.account(account_id)  # declared: else the line lists the declared ones
    require_listed_account(store, account_id)
    with store.transaction():
        notices = _created_notices(store, account_id)
        pending = [n for n in notices if n["status"] == "pending"]
        flying = _in_flight(store)
        if any(n["id"] in flying for n in pending):
            raise HubError(
                f"{account_id}: its 'account created' notice is in a report on its way to "
                "Gospabliki (not acknowledged yet); run 'hub report push' to settle it, then "
                "correct it with the regional centre if it arrived"
            )
        if not pending:
            sent = [n for n in notices if n["status"] == "sent"]
            if sent:
                raise HubError(
                    f"{account_id}: its 'account created' notice was already sent "
                    f"({sent[-1]['sent_at']}, receipt {sent[-1]['receipt']}); the hub cannot "
                    "take it back: tell the regional centre the page existed before"
                )
            return []
        for notice in pending:
            withdraw(store, notice, reason="the page existed before the hub", actor=actor)
        record_existing(store, account_id, {}, since, ADOPTED, actor)
    return [n["id"] for n in pending]
