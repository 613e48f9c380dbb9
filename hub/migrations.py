"""Named, append-only schema migrations.

Never edit a released migration: add ``m00N_what_it_does`` below it. Each runs
in its own transaction together with the row that records it, so a crash
leaves the schema either before or after a migration, never half-way.
docs/schema.md documents the resulting tables.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import sqlite_utils

Migration = Callable[[sqlite_utils.Database], None]
MIGRATIONS: list[Migration] = []


def migration(fn: Migration) -> Migration:
    MIGRATIONS.append(fn)
    return fn


def apply_migrations(db: sqlite_utils.Database) -> list[str]:
    """Apply every migration not yet recorded; return the names applied."""
    if "_hub_migrations" not in db.table_names():
        db["_hub_migrations"].create({"name": str, "applied_at": str}, pk="name")
    done = {row["name"] for row in db["_hub_migrations"].rows}
    applied = []
    for fn in MIGRATIONS:
        if fn.__name__ in done:
            continue
        with db.atomic():
            fn(db)
            db.execute(
                "INSERT INTO _hub_migrations (name, applied_at) VALUES (?, ?)",
                [fn.__name__, datetime.now(UTC).isoformat(timespec="seconds")],
            )
        applied.append(fn.__name__)
    return applied


@migration
def m001_initial(db: sqlite_utils.Database) -> None:
    db["accounts"].create(
        {
            "id": str,
            "network": str,
            "external_id": str,
            "organization": str,
            "token_env": str,
            "name": str,
            "screen_name": str,
            "url": str,
            "description": str,
            "site": str,
            "contacts_json": str,
            "addresses_json": str,
            "members_count": int,
            "has_avatar": int,
            "has_cover": int,
            "verified": int,
            "is_closed": int,
            "deactivated": str,
            "raw_json": str,
            "meta_synced_at": str,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
        not_null={"network", "external_id"},
    )
    db["accounts"].create_index(["network", "external_id"], unique=True)

    db["authors"].create(
        {
            "network": str,
            "network_id": int,
            "kind": str,
            "name": str,
            "screen_name": str,
            "raw_json": str,
            "updated_at": str,
        },
        pk=("network", "network_id"),
    )

    db["posts"].create(
        {
            "id": int,
            "account_id": str,
            "network_id": int,
            "author_id": int,
            "published_at": str,
            "edited_at": str,
            "kind": str,
            "is_pinned": int,
            "text": str,
            "url": str,
            "comments_count": int,
            "likes_count": int,
            "reposts_count": int,
            "views_count": int,
            "attachments_json": str,
            "raw_json": str,
            "first_seen_at": str,
            "last_seen_at": str,
            # owned by the hub, never touched by a re-sync:
            "deleted_at": str,
            "comments_synced_count": int,
            "comments_synced_edited": str,
            "comments_synced_at": str,
        },
        pk="id",
        foreign_keys=[("account_id", "accounts", "id")],
        not_null={"account_id", "network_id"},
    )
    db["posts"].create_index(["account_id", "network_id"], unique=True)
    db["posts"].create_index(["account_id", "published_at"])

    db["comments"].create(
        {
            "id": int,
            "account_id": str,
            "post_id": int,
            "network_id": int,
            "post_network_id": int,
            "parent_network_id": int,
            "thread_root_network_id": int,
            "author_id": int,
            "published_at": str,
            "text": str,
            "likes_count": int,
            "attachments_json": str,
            "is_placeholder": int,
            "raw_json": str,
            "first_seen_at": str,
            "last_seen_at": str,
            # owned by the hub, never touched by a re-sync:
            "deleted_at": str,
            "deleted_by": str,
            "moderation_status": str,
        },
        pk="id",
        foreign_keys=[("account_id", "accounts", "id"), ("post_id", "posts", "id")],
        not_null={"account_id", "network_id", "post_network_id"},
    )
    db["comments"].create_index(["account_id", "network_id"], unique=True)
    db["comments"].create_index(["post_id"])
    db["comments"].create_index(["author_id"])

    db["sync_state"].create(
        {
            "account_id": str,
            "posts_high_water": int,
            "last_started_at": str,
            "last_finished_at": str,
            "last_status": str,
            "last_error": str,
            "paused_until": str,
            "pause_reason": str,
        },
        pk="account_id",
        foreign_keys=[("account_id", "accounts", "id")],
    )

    db["sync_runs"].create(
        {
            "id": int,
            "account_id": str,
            "started_at": str,
            "finished_at": str,
            "status": str,
            "posts_new": int,
            "posts_updated": int,
            "comments_new": int,
            "comments_updated": int,
            "comments_deleted": int,
            "error": str,
        },
        pk="id",
    )
    db["sync_runs"].create_index(["account_id", "started_at"])

    db["actions"].create(
        {
            "id": int,
            "idempotency_key": str,
            "account_id": str,
            "kind": str,
            "target": str,
            "params_json": str,
            "state": str,  # pending → done | failed
            "attempts": int,
            "result_json": str,
            "error": str,
            "requested_by": str,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
        foreign_keys=[("account_id", "accounts", "id")],
    )
    db["actions"].create_index(["idempotency_key"], unique=True)


@migration
def m002_update_streams(db: sqlite_utils.Database) -> None:
    """For networks read as a stream of updates (Telegram): offsets, thread links, orphans, gaps."""
    db["poll_state"].create(
        {
            "poller": str,  # network:hash-of-token, never the token
            "network": str,
            "next_offset": int,
            "last_polled_at": str,
            "updates_stored": int,
        },
        pk="poller",
    )
    db["thread_links"].create(
        {"account_id": str, "thread_id": int, "post_network_id": int, "linked_at": str},
        pk=("account_id", "thread_id"),
        foreign_keys=[("account_id", "accounts", "id")],
    )
    db["orphan_comments"].create(
        {
            "account_id": str,
            "network_id": int,
            "thread_id": int,
            "comment_json": str,
            "received_at": str,
        },
        pk=("account_id", "network_id"),
        foreign_keys=[("account_id", "accounts", "id")],
    )
    db["orphan_comments"].create_index(["account_id", "thread_id"])
    db["sync_gaps"].create(
        {
            "id": int,
            "poller": str,
            "network": str,
            "gap_from": str,
            "gap_to": str,
            "noted_at": str,
            "reason": str,
        },
        pk="id",
    )


@migration
def m003_comments_by_post(db: sqlite_utils.Database) -> None:
    """Comments are read by post on every sync: index them so (account, post network id)."""
    db["comments"].create_index(["account_id", "post_network_id"], if_not_exists=True)


@migration
def m004_moderation(db: sqlite_utils.Database) -> None:
    """Verdicts on comments, the review queue, and the append-only, hash-chained audit log."""
    db["verdicts"].create(
        {
            "id": int,
            "comment_id": int,
            "account_id": str,
            "engine_action": str,  # what the engine said: keep | review | delete
            "decision": str,  # after the organization's policy: keep | review | delete
            "category": str,
            "rule": str,
            "match": str,
            "span_json": str,
            "reason": str,
            "criticism": int,
            "judged_text": str,  # the text judged: an edited comment is judged again
            "restrict_action": str,  # ban | mute | none: what the policy asks for the author
            "restrict_days": int,
            # decided → done (actions carried out) | queued (waits for an operator) | kept
            # | approved → done | rejected
            "status": str,
            "decided_by": str,
            "judged_at": str,
            "updated_at": str,
        },
        pk="id",
        foreign_keys=[("comment_id", "comments", "id"), ("account_id", "accounts", "id")],
    )
    db["verdicts"].create_index(["comment_id"], unique=True)
    db["verdicts"].create_index(["status"])
    db["moderation_log"].create(
        {
            "id": int,
            "at": str,
            "account_id": str,
            "comment_id": int,
            "actor": str,  # engine | operator:<name>
            "event": str,  # verdict | delete_comment | ban_user | restrict_user | approve | ...
            "category": str,
            "legal_category": str,
            "rule": str,
            "comment_text": str,  # as it was when the decision was made
            "network_answer": str,
            "action_id": int,
            "prev_hash": str,
            "hash": str,
        },
        pk="id",
    )
    db.execute(
        "CREATE TRIGGER moderation_log_no_update BEFORE UPDATE ON moderation_log "
        "BEGIN SELECT RAISE(ABORT, 'moderation_log is append-only'); END"
    )
    db.execute(
        "CREATE TRIGGER moderation_log_no_delete BEFORE DELETE ON moderation_log "
        "BEGIN SELECT RAISE(ABORT, 'moderation_log is append-only'); END"
    )


@migration
def m005_registry(db: sqlite_utils.Database) -> None:
    """The registry: organizations, responsible persons, account flags and attestations,
    change events and notices to the regional centre (hub.registry; docs in hub/registry).

    Organizations are keyed by their name because accounts name them so in the config.
    Attestations sit apart from the public flags so that no export query can reach them
    by accident; events and notices keep their history append-only or status-only.
    """
    db.execute(
        """CREATE TABLE organizations (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            level TEXT NOT NULL
                CHECK (level IN ('administration', 'department', 'subordinate')),
            kind TEXT,
            parent TEXT REFERENCES organizations(name),
            exempt INTEGER NOT NULL DEFAULT 0,
            exempt_reason TEXT,
            address TEXT,
            email TEXT,
            phones_json TEXT NOT NULL DEFAULT '[]',
            website TEXT,
            lat REAL,
            lon REAL,
            working_hours TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE responsible_persons (
            id INTEGER PRIMARY KEY,
            organization TEXT NOT NULL REFERENCES organizations(name),
            name TEXT NOT NULL,
            position TEXT NOT NULL,
            phone TEXT,
            since TEXT NOT NULL,
            until TEXT,
            created_at TEXT NOT NULL
        )"""
    )
    db.execute(
        "CREATE UNIQUE INDEX responsible_persons_one_current "
        "ON responsible_persons(organization) WHERE until IS NULL"
    )
    db.execute(
        """CREATE TABLE account_flags (
            account_id TEXT PRIMARY KEY REFERENCES accounts(id),
            gospabliki INTEGER,
            verified_mark INTEGER,
            listed_at TEXT NOT NULL,
            removed_at TEXT,
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE account_attestations (
            account_id TEXT PRIMARY KEY REFERENCES accounts(id),
            two_factor INTEGER,
            logins_keeper TEXT,
            service_phone INTEGER,
            service_phone_number TEXT,
            attested_by TEXT,
            attested_at TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE registry_events (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            entity TEXT NOT NULL,
            entity_key TEXT NOT NULL,
            action TEXT NOT NULL,
            old_json TEXT,
            new_json TEXT
        )"""
    )
    db.execute("CREATE INDEX registry_events_entity ON registry_events(entity, entity_key)")
    db.execute(
        "CREATE TRIGGER registry_events_no_update BEFORE UPDATE ON registry_events "
        "BEGIN SELECT RAISE(ABORT, 'registry_events is append-only'); END"
    )
    db.execute(
        "CREATE TRIGGER registry_events_no_delete BEFORE DELETE ON registry_events "
        "BEGIN SELECT RAISE(ABORT, 'registry_events is append-only'); END"
    )
    db.execute(
        """CREATE TABLE notices (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL
                CHECK (kind IN ('account_created', 'account_deleted', 'responsible_changed')),
            organization TEXT,
            account_id TEXT,
            details_json TEXT NOT NULL DEFAULT '{}',
            occurred_at TEXT NOT NULL,
            due_date TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent')),
            sent_at TEXT,
            receipt TEXT,
            created_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX notices_status_due ON notices(status, due_date)")


@migration
def m006_report_outbox(db: sqlite_utils.Database) -> None:
    """Reports to Gospabliki, kept unchanged until acknowledged, so a retry is never a new one."""
    db["report_outbox"].create(
        {
            "idempotency_key": str,
            "body_json": str,
            "created_at": str,
            "status": str,  # pending → sent | rejected (refused as invalid: a new one is built)
            "receipt": str,
            "sent_at": str,
            "attempts": int,
            "last_error": str,
        },
        pk="idempotency_key",
    )


@migration
def m007_content_plan(db: sqlite_utils.Database) -> None:
    """The content plan: drafts, their approval, and one publication row per account.

    A draft goes out only once approved. Each (draft, account) row is the outbox
    of one publication: it is marked ``sending`` (with the time) before the
    network is called, so an answer lost on the way leaves ``unknown``, which is
    reconciled against the network before anything is sent again. Reply
    templates are approved like drafts; replies themselves are ``actions``.
    """
    db.execute(
        """CREATE TABLE drafts (
            id INTEGER PRIMARY KEY,
            title TEXT,
            text TEXT NOT NULL,
            attachments_json TEXT NOT NULL DEFAULT '[]',
            publish_at TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'draft'
                CHECK (state IN ('draft', 'approved', 'rejected', 'published', 'failed')),
            lint_score INTEGER,
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            approved_by TEXT,
            approved_at TEXT,
            rejected_by TEXT,
            rejected_at TEXT,
            reject_reason TEXT,
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX drafts_state_due ON drafts(state, publish_at)")
    db.execute(
        """CREATE TABLE draft_targets (
            draft_id INTEGER NOT NULL REFERENCES drafts(id),
            account_id TEXT NOT NULL REFERENCES accounts(id),
            state TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'sending', 'unknown', 'published', 'failed')),
            guid TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            first_sent_at TEXT,
            published_at TEXT,
            post_network_id INTEGER,
            url TEXT,
            error TEXT,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (draft_id, account_id)
        )"""
    )
    db.execute("CREATE INDEX draft_targets_account ON draft_targets(account_id, state)")
    db.execute(
        """CREATE TABLE reply_templates (
            name TEXT PRIMARY KEY,
            text TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            approved_by TEXT,
            approved_at TEXT,
            updated_at TEXT NOT NULL
        )"""
    )


@migration
def m008_hub_state(db: sqlite_utils.Database) -> None:
    """Small facts the hub keeps between runs (the last week whose summary was logged)."""
    db.execute(
        "CREATE TABLE hub_state "
        "(key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at TEXT NOT NULL)"
    )


@migration
def m009_action_claims(db: sqlite_utils.Database) -> None:
    """Who is carrying a ``pending`` action out (host, process id and its start time).

    A re-run can then tell a crashed attempt (its process is gone: take the row
    over at once) from one still in flight in another process (leave it alone),
    instead of guessing from the row's age alone.
    """
    db.execute("ALTER TABLE actions ADD COLUMN claimed_by TEXT")
    db.execute("CREATE INDEX actions_unfinished ON actions(state, updated_at)")


@migration
def m010_console(db: sqlite_utils.Database) -> None:
    """The web console's people, their sessions, failed sign-ins and review-item locks.

    A session row keeps only the SHA-256 of the session id (the cookie carries the id,
    signed), so a copy of the database signs nobody in. Failed sign-ins are kept per
    login and per address for the throttle; a lock says which moderator has a review
    item open, so two do not decide it at once.
    """
    db.execute(
        """CREATE TABLE operators (
            login TEXT PRIMARY KEY,
            role TEXT NOT NULL
                CHECK (role IN ('admin', 'moderator', 'author', 'approver', 'viewer')),
            organizations_json TEXT NOT NULL DEFAULT '[]',
            password_hash TEXT NOT NULL,
            disabled_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE web_sessions (
            id_hash TEXT PRIMARY KEY,
            login TEXT NOT NULL REFERENCES operators(login),
            created_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL,
            expires_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX web_sessions_login ON web_sessions(login)")
    db.execute("CREATE TABLE login_failures (key TEXT NOT NULL, at TEXT NOT NULL)")
    db.execute("CREATE INDEX login_failures_key ON login_failures(key, at)")
    db.execute(
        """CREATE TABLE review_locks (
            verdict_id INTEGER PRIMARY KEY REFERENCES verdicts(id),
            login TEXT NOT NULL,
            until TEXT NOT NULL
        )"""
    )


@migration
def m011_console_indexes(db: sqlite_utils.Database) -> None:
    """Indexes the console's screens read by, so each answers in milliseconds on a database
    of a million comments (``bench/web.py`` measures them; without these, whole tables were
    scanned on every page view: «Соответствие» took 0.8 s, the queue 0.1 s).

    - ``comments_deleted_at`` (partial: removed comments only): the compliance week's
      removed offending comments (``hub.compliance.figures.REMOVED_SQL``), a range of one
      week instead of every comment;
    - ``verdicts_to_delete`` (partial: ``delete`` verdicts only): the offending comments
      still up at the week's end (``STILL_UP_SQL``), instead of every verdict;
    - ``verdicts_status_account``: the review queue of an operator's accounts, counted and
      paged (``hub.moderation.review.queue_page``) from the index alone;
    - ``comments_author_account``: an author's history on one account and their last
      comments there, newest first, without reading their rows on other accounts.

    The partial ones stay a small part of their tables, as the removed comments and the
    verdicts to delete are.
    """
    db.execute(
        "CREATE INDEX IF NOT EXISTS comments_deleted_at ON comments(deleted_at) "
        "WHERE deleted_at IS NOT NULL"
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS verdicts_to_delete ON verdicts(comment_id) "
        "WHERE decision = 'delete'"
    )
    db.execute("CREATE INDEX IF NOT EXISTS verdicts_status_account ON verdicts(status, account_id)")
    db.execute(
        "CREATE INDEX IF NOT EXISTS comments_author_account "
        "ON comments(author_id, account_id, published_at)"
    )


@migration
def m012_appeals(db: sqlite_utils.Database) -> None:
    """Residents' appeals found among comments, their deadlines and how they were answered.

    One appeal per comment. ``text_masked`` keeps an obscene complaint's text with the
    obscene words masked, so it can be answered after the comment itself was deleted.
    ``comments(account_id, id)`` lets each pass read only the comments stored since the
    last one (a cursor per account in ``hub_state``), not the whole history.
    """
    db.execute(
        """CREATE TABLE appeals (
            id INTEGER PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES accounts(id),
            comment_id INTEGER NOT NULL UNIQUE REFERENCES comments(id),
            kind TEXT NOT NULL CHECK (kind IN ('question', 'complaint', 'request')),
            topic TEXT,
            rule TEXT NOT NULL,
            match TEXT,
            text_masked TEXT,
            status TEXT NOT NULL DEFAULT 'open'
                CHECK (status IN ('open', 'answered', 'closed')),
            received_at TEXT NOT NULL,
            due_at TEXT NOT NULL,
            answered_at TEXT,
            answered_by TEXT,
            answer_comment_id INTEGER REFERENCES comments(id),
            response_minutes INTEGER,
            assigned_to TEXT,
            closed_at TEXT,
            closed_by TEXT,
            close_reason TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX appeals_open_due ON appeals(status, due_at)")
    db.execute("CREATE INDEX appeals_account ON appeals(account_id, status)")
    db.execute("CREATE INDEX comments_account_order ON comments(account_id, id)")


@migration
def m013_judging_queue(db: sqlite_utils.Database) -> None:
    """Which comments wait for moderation, so a pass reads those and not every comment.

    ``needs_judging`` is 1 for a new row (the column's default), set again by the sync's
    upsert when a comment's text changes or it comes back (``hub.store.REVIVE``), and
    cleared by the pass that judged it; a partial index holds only the waiting rows. The
    rows already judged (and not edited since) start at 0 here, once.
    """
    db.execute("ALTER TABLE comments ADD COLUMN needs_judging INTEGER NOT NULL DEFAULT 1")
    db.execute(
        "UPDATE comments SET needs_judging = 0 WHERE EXISTS (SELECT 1 FROM verdicts v "
        "WHERE v.comment_id = comments.id AND (v.status NOT IN ('kept', 'queued', 'rejected') "
        "OR v.judged_text IS comments.text))"
    )
    db.execute(
        "CREATE INDEX comments_judging ON comments(account_id, published_at, id) "
        "WHERE needs_judging = 1"
    )
    # the moderation context: an account's latest comments, newest first, from the index
    db.execute("CREATE INDEX comments_account_published ON comments(account_id, published_at)")


@migration
def m014_listing_indexes(db: sqlite_utils.Database) -> None:
    """The CLI's listings from indexes (issue 20), measured on 1 M comments over 200 accounts:

    - ``comments_published(published_at, id)``: ``hub comments list`` without ``--account``
      (the newest comments of all accounts) read from the index's end instead of sorting
      every comment: 1.14 s → 0.2 ms;
    - ``comments_account_live(account_id, deleted_at)`` and ``posts_account_live``: the live
      counts ``hub accounts list`` shows, counted from covering indexes: 348 → 39 ms.
    """
    db.execute("CREATE INDEX comments_published ON comments(published_at, id)")
    db.execute("CREATE INDEX comments_account_live ON comments(account_id, deleted_at)")
    db.execute("CREATE INDEX posts_account_live ON posts(account_id, deleted_at)")
