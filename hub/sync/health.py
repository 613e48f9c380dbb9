"""Each account's sync health, as stored: the last run, a rate-limit pause, token trouble.

What ``hub accounts list`` shows, and more of what a person asks before pressing
"sync now": how the last run ended and with what counts, when one last succeeded,
whether a rate limit pauses the account (``sync_state.paused_until``), whether the
last run failed because the network refused the token (the daemon then parks the
account until its config changes, :meth:`hub.daemon.runner.Daemon._park`), and
whether the token can be used at all (its variable set, a stored ``hub auth``
token not expired). No network is asked: that is ``hub accounts check``
(:func:`hub.networks.check_all`).

Never a token: a stored token is described by its expiry and whether it refreshes,
and the stored errors were redacted when they were written (and are again here).
Every query is one index seek per account (``sync_runs(account_id, started_at)``,
``posts``/``comments(account_id, …)``), so the screen stays fast on a big database.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..config import Config
from ..errors import ConfigError
from ..models import Account
from ..networks import without_tokens
from ..secrets import redact
from ..store import Store, utcnow
from ..tokens import SecretsFile

#: a stored token that cannot refresh itself is "expiring" this long before it expires
EXPIRY_WARNING_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class TokenState:
    """How the account's token stands, without the token.

    ``source``: ``stored`` (a ``hub auth`` record) or ``variable`` (``token_env``);
    ``problem``: why no token can be used (the variable unset, a broken secrets
    file), else None; ``expires_at``: a stored token's Unix expiry (None: it does not
    expire, or a variable's token); ``expired``/``expiring``: only for a token that
    cannot refresh itself (a refreshable one is renewed on its next use).
    """

    source: str
    problem: str | None = None
    expires_at: float | None = None
    refreshable: bool = False
    expired: bool = False
    expiring: bool = False


@dataclass(frozen=True)
class AccountHealth:
    """One account's stored sync health (see the module's docstring)."""

    account: Account
    name: str | None
    url: str | None
    #: posts and comments stored for the account, the deleted ones included
    posts: int
    comments: int
    last_started_at: str | None
    last_finished_at: str | None
    last_status: str | None
    last_error: str | None
    #: when a run of this account last ended ``ok`` (None: never)
    last_ok_at: str | None
    #: the last run's counts (``sync_runs``), by column name; empty when it never ran
    last_counts: dict[str, int] = field(default_factory=dict)
    #: set while a rate limit pauses the account (a past pause is no pause)
    paused_until: str | None = None
    pause_reason: str | None = None
    #: the last run failed because the network refused the token
    token_refused: bool = False
    token: TokenState = field(default_factory=lambda: TokenState("variable"))


RUN_COUNTS = ("posts_new", "posts_updated", "comments_new", "comments_updated", "comments_deleted")


def token_refused(account: Account, error: str | None) -> bool:
    """Whether a stored run error is :func:`hub.networks.describe_error`'s token refusal.

    ``sync_runs`` keeps the error's words, not its class; a refused token is the
    one failure whose words name the account's token variable (``$VAR``) or the
    ``hub auth`` command that signs it in again.
    """
    if not error:
        return False
    return f"${account.token_env}" in error or f"hub auth {account.network} {account.id}" in error


def token_state(config: Config, account: Account, now: float | None = None) -> TokenState:
    """The account's token as a run would find it (stored record first, else the variable)."""
    now = time.time() if now is None else now
    try:
        secrets = SecretsFile.beside(config.path)
        stored = secrets.get(account.id) if secrets else None
    except ConfigError as exc:
        return TokenState("stored", problem=str(exc))
    if stored is None:
        missing = without_tokens([account], config)[1]
        return TokenState("variable", problem=missing[0][1] if missing else None)
    expires = stored.expires_at
    fixed = not stored.refreshable and expires is not None
    return TokenState(
        "stored",
        expires_at=expires,
        refreshable=stored.refreshable,
        expired=fixed and expires <= now,
        expiring=fixed and now < expires <= now + EXPIRY_WARNING_SECONDS,
    )


def account_health(
    store: Store, config: Config, accounts: Sequence[Account], now: float | None = None
) -> list[AccountHealth]:
    """The stored health of ``accounts``, in their order (no network is asked)."""
    return [_one(store, config, account, now) for account in accounts]


def _one(store: Store, config: Config, account: Account, now: float | None) -> AccountHealth:
    db = store.db
    page = db.execute("SELECT name, url FROM accounts WHERE id = ?", [account.id]).fetchone()
    state = store.sync_state(account.id)
    last = _row(
        db,
        "SELECT * FROM sync_runs WHERE account_id = ? ORDER BY started_at DESC LIMIT 1",
        account.id,
    )
    ok = db.execute(
        "SELECT finished_at FROM sync_runs WHERE account_id = ? AND status = 'ok' "
        "ORDER BY started_at DESC LIMIT 1",
        [account.id],
    ).fetchone()
    # every stored row, deleted ones too: the count is the (account_id, network_id) index
    # alone (~40 ms per million comments); excluding the deleted would read every row (~0.7 s)
    posts, comments = (
        db.execute(f"SELECT COUNT(*) FROM {table} WHERE account_id = ?", [account.id]).fetchone()[0]
        for table in ("posts", "comments")
    )
    paused = state.get("paused_until")
    paused = paused if paused and paused > utcnow() else None
    error = state.get("last_error")
    error = redact(error) if error else None
    return AccountHealth(
        account=account,
        name=page[0] if page else None,
        url=page[1] if page else None,
        posts=posts,
        comments=comments,
        last_started_at=state.get("last_started_at"),
        last_finished_at=state.get("last_finished_at"),
        last_status=state.get("last_status"),
        last_error=error,
        last_ok_at=ok[0] if ok else None,
        last_counts={k: last[k] or 0 for k in RUN_COUNTS} if last else {},
        paused_until=paused,
        pause_reason=redact(state.get("pause_reason") or "") or None if paused else None,
        token_refused=state.get("last_status") == "failed" and token_refused(account, error),
        token=token_state(config, account, now),
    )


def _row(db: Any, sql: str, account_id: str) -> dict[str, Any] | None:
    cursor = db.execute(sql, [account_id])
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip([d[0] for d in cursor.description], row, strict=True))
