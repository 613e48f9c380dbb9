"""The SQLite store: opening the database, and every write the hub makes.

Writes are upserts on the natural key (account, network id) that list only the
columns the network owns, so hub-owned columns (deletion marks, moderation
state, sync markers) survive every re-sync. Callers group writes with
``store.db.atomic()`` so a page of rows and its cursor commit together.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from .db_lock import DatabaseLockedError, is_locked, locked_message
from .errors import ConfigError
from .migrations import MIGRATIONS, apply_migrations
from .models import Account, AccountMeta, Author, Comment, Post

BUSY_TIMEOUT_MS = 10_000


def utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def utc_text(moment: datetime) -> str:
    """The store's way of writing a time (``2026-03-01T14:30:00Z``), so text compares in order."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_time(text: str | None) -> datetime | None:
    """A stored time (UTC, with or without ``Z``) as an aware datetime; None stays None."""
    if not text:
        return None
    moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def iso(ts: int | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def dicts(cursor: sqlite3.Cursor) -> list[dict[str, Any]]:
    """A query's rows as dicts by column name (the read side's one way to hand rows on)."""
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


POST_NETWORK_COLUMNS = [
    "author_id",
    "published_at",
    "edited_at",
    "kind",
    "is_pinned",
    "text",
    "url",
    "comments_count",
    "likes_count",
    "reposts_count",
    "views_count",
    "attachments_json",
    "raw_json",
    "last_seen_at",
]
COMMENT_NETWORK_COLUMNS = [
    "post_id",
    "post_network_id",
    "parent_network_id",
    "thread_root_network_id",
    "author_id",
    "published_at",
    "text",
    "likes_count",
    "attachments_json",
    "is_placeholder",
    "raw_json",
    "last_seen_at",
]


#: a row seen live again was restored on the network (or wrongly marked): clear the mark
REVIVE = {
    "posts": ["deleted_at = NULL"],
    "comments": [
        # an edited text or a comment back from the dead waits for moderation again
        # (before the columns change: every expression reads the row as it was)
        "needs_judging = CASE WHEN comments.text IS NOT excluded.text "
        "OR comments.deleted_at IS NOT NULL THEN 1 ELSE comments.needs_judging END",
        "deleted_at = NULL",
        "deleted_by = NULL",
        "moderation_status = CASE WHEN comments.moderation_status = 'deleted' "
        "THEN 'restored' ELSE comments.moderation_status END",
    ],
}


def _upsert_sql(table: str, columns: list[str], key: tuple[str, str]) -> str:
    insert_cols = [*key, *columns, "first_seen_at"]
    updates = ", ".join([f"{c} = excluded.{c}" for c in columns] + REVIVE[table])
    return (
        f"INSERT INTO {table} ({', '.join(insert_cols)}) "
        f"VALUES ({', '.join(':' + c for c in insert_cols)}) "
        f"ON CONFLICT({', '.join(key)}) DO UPDATE SET {updates}"
    )


UPSERT_POST = _upsert_sql("posts", POST_NETWORK_COLUMNS, ("account_id", "network_id"))
UPSERT_COMMENT = _upsert_sql("comments", COMMENT_NETWORK_COLUMNS, ("account_id", "network_id"))

#: "run any command as the hub's user": one that may write upgrades the schema at start-up
UPGRADE_HINT = "run 'hub db migrate' (or any hub command) as the hub's user, who can write it"


def _connect_readonly(path: Path) -> sqlite3.Connection:
    """A connection that cannot write (``mode=ro``, ``query_only``), its schema checked.

    A WAL database needs its ``-shm`` index to be read. While the daemon runs it is
    there (readable by the hub's group); when no process has the database open SQLite
    has removed it, and a user who cannot write the folder cannot make it again. Then
    there is no ``-wal`` either, so everything is in the main file and it is read as
    ``immutable`` (a writer starting in that very moment may go unseen by this one
    read-only command; it never corrupts anything).
    """
    uri = path.resolve().as_uri()
    try:
        conn = _ro_connection(f"{uri}?mode=ro")
        try:
            conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError as exc:
            side_files = any(Path(f"{path}{s}").exists() for s in ("-wal", "-shm"))
            if side_files or "readonly" not in str(exc):
                raise
            conn.close()
            conn = _ro_connection(f"{uri}?mode=ro&immutable=1")
        pending = _pending_migrations(conn)
    except sqlite3.DatabaseError as exc:
        if is_locked(exc):
            raise DatabaseLockedError(locked_message(path, BUSY_TIMEOUT_MS)) from None
        raise ConfigError(f"cannot read database {path}: {exc}") from None
    if pending:
        conn.close()
        raise ConfigError(
            f"the database {path} needs an upgrade ({len(pending)} schema change(s) to this "
            f"version's); {UPGRADE_HINT}"
        )
    return conn


def _ro_connection(uri: str) -> sqlite3.Connection:
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA query_only = ON")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def _pending_migrations(conn: sqlite3.Connection) -> list[str]:
    """The migrations of this version the database has not had (all of them: not a hub's)."""
    names = [fn.__name__ for fn in MIGRATIONS]
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_hub_migrations'"
    ).fetchone()
    if not exists:
        return names
    done = {row[0] for row in conn.execute("SELECT name FROM _hub_migrations")}
    return [name for name in names if name not in done]


class Store:
    def __init__(self, db: sqlite_utils.Database, path: Path | None = None, *, readonly=False):
        self.db = db
        self.path = path
        #: opened with ``readonly=True``: SQLite refuses every write (callers skip their syncs)
        self.readonly = readonly

    # -- opening -------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path, *, create: bool = True, readonly: bool = False) -> Store:
        """Open (with ``create``, create) the database and bring its schema up to date.

        ``readonly``: for a user who may only read the file. Nothing is written, not even
        at start-up (no migration, no journal mode): the file is opened ``mode=ro``, and a
        schema behind this version is refused with one line saying how to upgrade it.
        """
        path = Path(path)
        if (readonly or not create) and not path.exists():
            raise ConfigError(f"database {path} does not exist; run 'hub init' or 'hub sync' first")
        if readonly:
            return cls(sqlite_utils.Database(_connect_readonly(path)), path, readonly=True)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            db = sqlite_utils.Database(conn)
            apply_migrations(db)
        except sqlite3.DatabaseError as exc:
            if is_locked(exc):  # a migration waited out the busy timeout
                raise DatabaseLockedError(locked_message(path, BUSY_TIMEOUT_MS)) from None
            raise ConfigError(f"cannot open database {path}: {exc}") from None
        except OSError as exc:
            raise ConfigError(f"cannot create database {path}: {exc}") from None
        return cls(db, path)

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self, *, immediate: bool = False):
        """One transaction (a savepoint when nested).

        ``immediate`` takes the write lock at the start: a transaction that reads
        and then writes (the audit log reads the last hash) would otherwise fail
        with "database is locked" when another process writes meanwhile, instead
        of waiting out the busy timeout.
        """
        if not immediate or self.db.conn.in_transaction:
            with self.db.atomic():
                yield self
            return
        self.db.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.db.conn.execute("ROLLBACK")
            raise
        self.db.conn.execute("COMMIT")

    # -- accounts ------------------------------------------------------------
    def sync_accounts_from_config(self, accounts: Iterable[Account]) -> None:
        """Declared accounts become rows; their synced metadata is left alone."""
        now = utcnow()
        with self.db.atomic():
            for a in accounts:
                self.db.execute(
                    "INSERT INTO accounts (id, network, external_id, organization, token_env, "
                    "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT(id) DO UPDATE SET network = excluded.network, "
                    "external_id = excluded.external_id, organization = excluded.organization, "
                    "token_env = excluded.token_env, updated_at = excluded.updated_at",
                    [a.id, a.network, a.external_id, a.organization, a.token_env, now, now],
                )

    def save_account_meta(self, account: Account, meta: AccountMeta) -> None:
        now = utcnow()
        self.db.execute(
            "UPDATE accounts SET name = ?, screen_name = ?, url = ?, description = ?, site = ?, "
            "contacts_json = ?, addresses_json = ?, members_count = ?, has_avatar = ?, "
            "has_cover = ?, verified = ?, is_closed = ?, deactivated = ?, raw_json = ?, "
            "meta_synced_at = ?, updated_at = ? WHERE id = ?",
            [
                meta.name,
                meta.screen_name,
                meta.url,
                meta.description,
                meta.site,
                _json(meta.contacts),
                _json(meta.addresses) if meta.addresses else None,
                meta.members_count,
                int(meta.has_avatar),
                int(meta.has_cover),
                int(meta.verified),
                int(meta.is_closed),
                meta.deactivated,
                _json(meta.raw),
                now,
                now,
                account.id,
            ],
        )

    # -- authors -------------------------------------------------------------
    def upsert_authors(self, network: str, authors: Iterable[Author]) -> None:
        now = utcnow()
        rows = [
            [network, a.network_id, a.kind, a.name, a.screen_name, _json(a.raw), now]
            for a in authors
        ]
        if rows:
            self.db.conn.executemany(
                "INSERT INTO authors (network, network_id, kind, name, screen_name, raw_json, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(network, network_id) DO "
                "UPDATE SET kind = excluded.kind, name = excluded.name, "
                "screen_name = excluded.screen_name, raw_json = excluded.raw_json, "
                "updated_at = excluded.updated_at",
                rows,
            )

    # -- posts ---------------------------------------------------------------
    def upsert_posts(self, account: Account, posts: Sequence[Post]) -> tuple[int, int]:
        """Upsert a page of posts; return (new, changed)."""
        if not posts:
            return 0, 0
        existing = self._existing(
            "posts",
            account.id,
            [p.network_id for p in posts],
            ("edited_at", "comments_count", "text", "deleted_at"),
        )
        now = utcnow()
        new = changed = 0
        rows = []
        for p in posts:
            row = {
                "account_id": account.id,
                "network_id": p.network_id,
                "author_id": p.author_id,
                "published_at": iso(p.published_at),
                "edited_at": iso(p.edited_at),
                "kind": p.kind,
                "is_pinned": int(p.is_pinned),
                "text": p.text,
                "url": p.url,
                "comments_count": p.comments_count,
                "likes_count": p.likes_count,
                "reposts_count": p.reposts_count,
                "views_count": p.views_count,
                "attachments_json": _json(p.attachments),
                "raw_json": _json(p.raw),
                "last_seen_at": now,
                "first_seen_at": now,
            }
            old = existing.get(p.network_id)
            if old is None:
                new += 1
            elif (old[0], old[1], old[2], old[3]) != (
                row["edited_at"],
                p.comments_count,
                p.text,
                None,
            ):
                changed += 1
            rows.append(row)
        self.db.conn.executemany(UPSERT_POST, rows)
        return new, changed

    def mark_posts_deleted(self, account: Account, network_ids: Iterable[int]) -> int:
        ids = list(network_ids)
        if not ids:
            return 0
        cursor = self.db.conn.executemany(
            "UPDATE posts SET deleted_at = ? WHERE account_id = ? AND network_id = ? "
            "AND deleted_at IS NULL",
            [[utcnow(), account.id, i] for i in ids],
        )
        return cursor.rowcount

    def live_post_ids_between(self, account: Account, low: int, high: int) -> set[int]:
        rows = self.db.execute(
            "SELECT network_id FROM posts WHERE account_id = ? AND network_id BETWEEN ? AND ? "
            "AND deleted_at IS NULL",
            [account.id, low, high],
        ).fetchall()
        return {r[0] for r in rows}

    def posts_needing_comments(
        self, account: Account, full: bool
    ) -> list[tuple[int, int, int, str | None, int | None]]:
        """Posts whose comments must be (re)fetched.

        Rows are (local id, network id, comment count, edit mark, count last synced).

        New posts, and posts whose comment count or edit mark differs from what
        the last comment sync saw, whatever their age: a counter only moves when
        the walk read the post, and a move it saw must not be left unread (the
        recent window bounds the walk, not what it found). A post whose comments
        were never stored stays here until they are, so an interrupted sync resumes.
        """
        condition = (
            "1"
            if full
            else (
                "comments_synced_at IS NULL OR comments_synced_count IS NOT comments_count OR "
                "comments_synced_edited IS NOT edited_at"
            )
        )
        rows = self.db.execute(
            "SELECT id, network_id, comments_count, edited_at, comments_synced_count FROM posts "
            f"WHERE account_id = :account AND deleted_at IS NULL AND ({condition}) "
            "ORDER BY network_id",
            {"account": account.id},
        ).fetchall()
        return [tuple(r) for r in rows]

    def posts_to_reconcile(
        self, account: Account, window_start: str, *, counted: bool = True
    ) -> list[tuple[int, int, int, str | None, int | None]]:
        """Posts of the recent window whose comments the reconcile may re-read.

        Rows as :meth:`posts_needing_comments`. Only posts with comments that were
        synced before: a post without comments has nothing to edit or swap, and
        one never synced is read anyway. ``counted=False`` (a network whose posts
        carry no comment counter): every synced post, since none says it has none.
        """
        having = "AND comments_count > 0 " if counted else ""
        rows = self.db.execute(
            "SELECT id, network_id, comments_count, edited_at, comments_synced_count FROM posts "
            "WHERE account_id = ? AND deleted_at IS NULL AND published_at >= ? "
            f"AND comments_synced_at IS NOT NULL {having}ORDER BY network_id",
            [account.id, window_start],
        ).fetchall()
        return [tuple(r) for r in rows]

    def mark_comments_synced(self, post_local_id: int, count: int, edited: str | None) -> None:
        self.db.execute(
            "UPDATE posts SET comments_synced_count = ?, comments_synced_edited = ?, "
            "comments_synced_at = ? WHERE id = ?",
            [count, edited, utcnow(), post_local_id],
        )

    # -- comments ------------------------------------------------------------
    def upsert_comments(
        self,
        account: Account,
        post_local_id: int | None,
        post_network_id: int,
        comments: Sequence[Comment],
        existing: dict[Any, tuple] | None = None,
    ) -> tuple[int, int, dict[Any, tuple]]:
        """Upsert comments of one post; return (new, changed, what was stored before).

        ``existing`` (network id → (text, deleted_at)) may be passed by a caller
        that already read the post's comments. A placeholder (the network shows a
        removed comment that still has replies) never overwrites the text stored
        while the comment was live.
        """
        now = utcnow()
        if existing is None:
            existing = self._existing(
                "comments", account.id, [c.network_id for c in comments], ("text", "deleted_at")
            )
        new = changed = 0
        rows = []
        for c in comments:
            old = existing.get(c.network_id)
            if old is None:
                new += 0 if c.deleted else 1
            elif (old[0] != c.text or old[1] is not None) and not c.deleted:
                changed += 1
            if c.deleted and old is not None:
                continue
            rows.append(
                {
                    "account_id": account.id,
                    "network_id": c.network_id,
                    "post_id": post_local_id,
                    "post_network_id": post_network_id,
                    "parent_network_id": c.parent_network_id,
                    "thread_root_network_id": c.thread_root_network_id,
                    "author_id": c.author_id,
                    "published_at": iso(c.published_at),
                    "text": c.text,
                    "likes_count": c.likes_count,
                    "attachments_json": _json(c.attachments),
                    "is_placeholder": int(c.deleted),
                    "raw_json": _json(c.raw),
                    "last_seen_at": now,
                    "first_seen_at": now,
                }
            )
        self.db.conn.executemany(UPSERT_COMMENT, rows)
        return new, changed, existing

    def replace_post_comments(
        self,
        account: Account,
        post_local_id: int,
        post_network_id: int,
        comments: Sequence[Comment],
        complete: bool = True,
    ) -> tuple[int, int, int]:
        """Store the comment set of one post; return (new, changed, deleted).

        When the set is ``complete``, a stored comment missing from it, or shown
        as a placeholder, is marked deleted with the time it was seen gone; no
        row is ever removed. An incomplete set (the network's list moved while
        it was paged) only adds and updates.
        """
        now = utcnow()
        existing = {
            r[0]: r[1:]
            for r in self.db.execute(
                "SELECT network_id, text, deleted_at FROM comments "
                "WHERE account_id = ? AND post_network_id = ?",
                [account.id, post_network_id],
            ).fetchall()
        }
        new, changed, existing = self.upsert_comments(
            account, post_local_id, post_network_id, comments, existing
        )
        seen_live = {c.network_id for c in comments if not c.deleted}
        if not complete:
            return new, changed, 0
        gone = [
            cid
            for cid, (_text, deleted_at) in existing.items()
            if cid not in seen_live and deleted_at is None
        ]
        self.mark_comments_deleted(account.id, gone, now=now)
        placeholders_new = [
            c.network_id for c in comments if c.deleted and c.network_id not in existing
        ]
        self.mark_comments_deleted(account.id, placeholders_new, now=now)
        return new, changed, len(gone)

    def mark_comments_deleted(
        self,
        account_id: str,
        network_ids: Iterable[Any],
        *,
        by: str = "network",
        now: str | None = None,
    ) -> int:
        """Mark live comments deleted; return how many were live. The one such UPDATE.

        The wall walk (a comment gone from its post's complete set, or shown as a
        placeholder), pushed events (the network says it was deleted) and the
        hub's own removals all mark comments here; a row is never removed. ``by``
        is who deleted it (``network`` or ``hub``); a mark already set is kept.
        """
        rows = [[now or utcnow(), by, account_id, cid] for cid in network_ids]
        if not rows:
            return 0
        cursor = self.db.conn.executemany(
            "UPDATE comments SET deleted_at = ?, deleted_by = COALESCE(deleted_by, ?) "
            "WHERE account_id = ? AND network_id = ? AND deleted_at IS NULL",
            rows,
        )
        return cursor.rowcount

    def mark_comment_deleted_by_hub(self, comment_local_id: int) -> None:
        """Mark the comment deleted, and lower its post's expected comment count by one.

        The network's counter drops by one too; without this, a new comment
        arriving after the deletion would bring the counter back to the stored
        figure and the next sync would not look at the post at all.
        """
        was_live = self.db.execute(
            "SELECT post_id FROM comments WHERE id = ? AND deleted_at IS NULL", [comment_local_id]
        ).fetchone()
        self.db.execute(
            "UPDATE comments SET deleted_at = COALESCE(deleted_at, ?), deleted_by = 'hub', "
            "moderation_status = 'deleted' WHERE id = ?",
            [utcnow(), comment_local_id],
        )
        if was_live and was_live[0] is not None:
            self.db.execute(
                "UPDATE posts SET comments_synced_count = comments_synced_count - 1 "
                "WHERE id = ? AND comments_synced_count > 0",
                [was_live[0]],
            )

    def mark_comment_restored_by_hub(self, comment_local_id: int) -> None:
        """The inverse of :meth:`mark_comment_deleted_by_hub`: live again, its post's count +1."""
        was_deleted = self.db.execute(
            "SELECT post_id FROM comments WHERE id = ? AND deleted_at IS NOT NULL",
            [comment_local_id],
        ).fetchone()
        self.db.execute(
            "UPDATE comments SET deleted_at = NULL, deleted_by = NULL, moderation_status = CASE "
            "WHEN moderation_status = 'deleted' THEN 'restored' ELSE moderation_status END "
            "WHERE id = ?",
            [comment_local_id],
        )
        if was_deleted and was_deleted[0] is not None:
            self.db.execute(
                "UPDATE posts SET comments_synced_count = comments_synced_count + 1 "
                "WHERE id = ? AND comments_synced_count IS NOT NULL",
                [was_deleted[0]],
            )

    def mark_author_comments_deleted(self, account_id: str, author_id: int) -> int:
        """The network removed all of an author's messages (a Telegram ban) and will not say so."""
        rows = self.db.execute(
            "SELECT network_id FROM comments WHERE account_id = ? AND author_id = ? "
            "AND deleted_at IS NULL",
            [account_id, author_id],
        ).fetchall()
        return self.mark_comments_deleted(account_id, [r[0] for r in rows], by="hub")

    def post_local_id(self, account: Account, post_network_id: int) -> int | None:
        """The stored post's row id, or None while the post is not stored."""
        row = self.db.execute(
            "SELECT id FROM posts WHERE account_id = ? AND network_id = ?",
            [account.id, post_network_id],
        ).fetchone()
        return row[0] if row else None

    # -- sync state ----------------------------------------------------------
    def sync_state(self, account_id: str) -> dict[str, Any]:
        row = self.db.execute(
            "SELECT * FROM sync_state WHERE account_id = ?", [account_id]
        ).fetchone()
        if row is None:
            return {}
        cols = [d[0] for d in self.db.execute("SELECT * FROM sync_state LIMIT 0").description]
        return dict(zip(cols, row, strict=True))

    def update_sync_state(self, account_id: str, **values: Any) -> None:
        cols = ["account_id", *values]
        updates = ", ".join(f"{c} = excluded.{c}" for c in values)
        self.db.execute(
            f"INSERT INTO sync_state ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)}) "
            f"ON CONFLICT(account_id) DO UPDATE SET {updates}",
            [account_id, *values.values()],
        )

    def record_run(self, row: dict[str, Any]) -> None:
        self.db["sync_runs"].insert(row)

    # -- helpers -------------------------------------------------------------
    def _existing(
        self, table: str, account_id: str, network_ids: list[int], columns: tuple[str, ...]
    ) -> dict[int, tuple]:
        out: dict[int, tuple] = {}
        for start in range(0, len(network_ids), 500):
            chunk = network_ids[start : start + 500]
            rows = self.db.execute(
                f"SELECT network_id, {', '.join(columns)} FROM {table} WHERE account_id = ? "
                f"AND network_id IN ({', '.join('?' for _ in chunk)})",
                [account_id, *chunk],
            ).fetchall()
            out.update({r[0]: r[1:] for r in rows})
        return out
