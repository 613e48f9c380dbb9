"""Read-only views of the database for the CLI (and anyone using the library)."""

from __future__ import annotations

from typing import Any

from .config import Config
from .store import Store, dicts


def account_rows(store: Store, config: Config) -> list[dict[str, Any]]:
    """Configured accounts with what the last sync saw. Never includes a token."""
    rows = dicts(
        store.db.execute(
            "SELECT a.id, a.network, a.external_id, a.organization, a.token_env, a.name, a.url, "
            "a.members_count, a.verified, a.meta_synced_at, s.last_status, s.last_finished_at, "
            "s.last_error, s.paused_until, "
            "(SELECT COUNT(*) FROM posts p WHERE p.account_id = a.id AND p.deleted_at IS NULL) "
            "AS posts, "
            "(SELECT COUNT(*) FROM comments c WHERE c.account_id = a.id AND c.deleted_at IS NULL) "
            "AS comments "
            "FROM accounts a LEFT JOIN sync_state s ON s.account_id = a.id ORDER BY a.id"
        )
    )
    declared = {a.id for a in config.accounts}
    for row in rows:
        row["in_config"] = row["id"] in declared
    return rows


def comment_rows(store: Store, account_id: str | None, limit: int) -> list[dict[str, Any]]:
    where = "WHERE c.account_id = :account" if account_id else ""
    return dicts(
        store.db.execute(
            "SELECT c.id, c.account_id, c.network_id, c.post_network_id, c.author_id, "
            "au.name AS author, c.published_at, c.text, c.deleted_at, c.deleted_by "
            "FROM comments c JOIN accounts a ON a.id = c.account_id "
            "LEFT JOIN authors au ON au.network = a.network AND au.network_id = c.author_id "
            f"{where} ORDER BY c.published_at DESC, c.id DESC LIMIT :limit",
            {"account": account_id, "limit": limit},
        )
    )
