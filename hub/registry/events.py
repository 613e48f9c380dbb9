"""The registry's append-only change log: every change, who made it, when, old → new.

Regional centres ask "who changed what and when" (the responsible person, an
account's Gospabliki connection); one table answers it. Triggers from
m005_registry refuse UPDATE and DELETE, so the log can only grow.
"""

from __future__ import annotations

import json
from typing import Any

from ..store import Store, dicts, utcnow

__all__ = ["dicts", "list_events", "record_event"]


def _json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def record_event(
    store: Store,
    *,
    actor: str,
    entity: str,
    key: str,
    action: str,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
) -> None:
    """Append one event; callers pass only the fields that changed."""
    store.db.execute(
        "INSERT INTO registry_events (at, actor, entity, entity_key, action, old_json, new_json) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [utcnow(), actor, entity, key, action, _json(old), _json(new)],
    )


def list_events(
    store: Store, entity: str | None = None, key: str | None = None
) -> list[dict[str, Any]]:
    """Events oldest first, optionally of one entity (``organization``) or one key."""
    rows = dicts(
        store.db.execute(
            "SELECT * FROM registry_events WHERE (:entity IS NULL OR entity = :entity) "
            "AND (:key IS NULL OR entity_key = :key) ORDER BY id",
            {"entity": entity, "key": key},
        )
    )
    for row in rows:
        row["old"] = json.loads(row.pop("old_json")) if row["old_json"] else None
        row["new"] = json.loads(row.pop("new_json")) if row["new_json"] else None
    return rows
