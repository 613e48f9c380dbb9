"""Signing in: the signing key, sessions, CSRF tokens and the sign-in throttle.

The cookie carries a random session id and its HMAC under the console's key; the
database keeps only the id's SHA-256, so neither a copy of the database nor a
forged cookie signs anyone in. The key is made on first start and kept beside the
hub's secrets (``hub.web.key``, mode 0600), never in the config. A form's CSRF
token is the HMAC of the session id under the same key: it changes with every
session and needs no storage.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .. import operators
from ..errors import ConfigError
from ..operators import Operator
from ..store import Store, parse_time, utc_text
from ..tokens import SecretsFile
from .settings import IDLE_HOURS

KEY_FILE = "hub.web.key"
COOKIE = "hub_session"
#: failed sign-ins within this window, per login and per address, before refusing
THROTTLE_FAILURES, THROTTLE_MINUTES = 5, 15


def key_path(config_path: Path | None) -> Path:
    """Beside the secrets file (``$HUB_SECRETS``'s folder on a server), else the config's."""
    secrets_file = SecretsFile.beside(config_path)
    if secrets_file is not None:
        return secrets_file.path.with_name(KEY_FILE)
    return Path.cwd() / KEY_FILE


def load_or_create_key(path: Path) -> bytes:
    """The console's signing key; made (32 random bytes, mode 0600) when there is none."""
    with contextlib.suppress(FileNotFoundError):
        return _read_key(path)
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it a moment ago
        return _read_key(path)
    except OSError as exc:
        raise ConfigError(
            f"cannot create the console's key file {path}: {exc.strerror}; run the console "
            "as the hub's user, or point $HUB_SECRETS at a folder it may write"
        ) from None
    with os.fdopen(fd, "w") as out:
        out.write(key + "\n")
        out.flush()
        os.fsync(out.fileno())
    return bytes.fromhex(key)


def _read_key(path: Path) -> bytes:
    text = path.read_text().strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < 32:
        raise ConfigError(
            f"the console's key file {path} is damaged; delete it and restart the console "
            "(everyone signs in again)"
        )
    return key


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Session:
    """A signed-in operator's session, as a request sees it."""

    id: str
    operator: Operator
    csrf: str


class Sessions:
    """Make, find and end sessions, and check CSRF tokens, under one key."""

    def __init__(self, key: bytes, hours: int):
        self.key = key
        self.hours = hours

    def _sign(self, text: str) -> str:
        return hmac.new(self.key, text.encode(), hashlib.sha256).hexdigest()

    def csrf_for(self, session_id: str) -> str:
        return self._sign("csrf:" + session_id)[:40]

    def csrf_ok(self, session: Session, token: str | None) -> bool:
        return bool(token) and same(session.csrf, token or "")

    def start(self, store: Store, operator: Operator) -> str:
        """A new session for ``operator``; the cookie's value."""
        session_id = secrets.token_urlsafe(32)
        now = _now()
        with store.transaction(immediate=True):
            store.db.execute(
                "INSERT INTO web_sessions (id_hash, login, created_at, last_seen_at, "
                "expires_at) VALUES (?, ?, ?, ?, ?)",
                [
                    _hash(session_id),
                    operator.login,
                    utc_text(now),
                    utc_text(now),
                    utc_text(now + timedelta(hours=self.hours)),
                ],
            )
            store.db.execute("DELETE FROM web_sessions WHERE expires_at < ?", [utc_text(now)])
        return f"{session_id}.{self._sign(session_id)}"

    def find(self, store: Store, cookie: str | None) -> Session | None:
        """The live session a cookie names, its idle clock reset; None for anything else."""
        session_id = self._verified_id(cookie)
        if session_id is None:
            return None
        row = store.db.execute(
            "SELECT login, last_seen_at, expires_at FROM web_sessions WHERE id_hash = ?",
            [_hash(session_id)],
        ).fetchone()
        if row is None:
            return None
        now = _now()
        idle_since = parse_time(row[1])
        if utc_text(now) >= row[2] or now - idle_since > timedelta(hours=IDLE_HOURS):
            self.end(store, cookie)
            return None
        operator = operators.find(store, row[0])
        if operator is None or operator.disabled:
            return None
        if now - idle_since > timedelta(minutes=1):  # one write a minute, not one a request
            with store.transaction():
                store.db.execute(
                    "UPDATE web_sessions SET last_seen_at = ? WHERE id_hash = ?",
                    [utc_text(now), _hash(session_id)],
                )
        return Session(session_id, operator, self.csrf_for(session_id))

    def end(self, store: Store, cookie: str | None) -> None:
        session_id = self._verified_id(cookie)
        if session_id is not None:
            with store.transaction():
                store.db.execute("DELETE FROM web_sessions WHERE id_hash = ?", [_hash(session_id)])

    def _verified_id(self, cookie: str | None) -> str | None:
        if not cookie or "." not in cookie:
            return None
        session_id, _dot, signature = cookie.rpartition(".")
        if not same(self._sign(session_id), signature):
            return None
        return session_id


def same(expected: str, given: str) -> bool:
    """Constant-time equality of two texts; any text compares (``hmac.compare_digest``
    refuses non-ASCII ``str``, which would turn a forged cookie into a server error)."""
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8", "replace"))


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _keys(login: str, address: str) -> list[tuple[str, int]]:
    """The counters one sign-in attempt adds to, and how many failures each allows.

    The pair (this login from this address) is the tight one: a person mistyping their
    password waits after five tries. The login alone allows more, so someone guessing at
    a moderator's login from elsewhere cannot lock them out with five tries, yet a guess
    spread over many addresses is still bounded; the address alone allows more again,
    since a municipal office signs in from behind one address.
    """
    return [
        (f"pair:{login}|{address}", THROTTLE_FAILURES),
        (f"login:{login}", THROTTLE_FAILURES * 6),
        (f"addr:{address}", THROTTLE_FAILURES * 4),
    ]


def throttled_minutes(store: Store, login: str, address: str) -> int:
    """Minutes until another sign-in may be tried, 0 if it may now (see :func:`_keys`)."""
    since = utc_text(_now() - timedelta(minutes=THROTTLE_MINUTES))
    worst = 0
    for key, allowed in _keys(login, address):
        rows = store.db.execute(
            "SELECT at FROM login_failures WHERE key = ? AND at >= ? ORDER BY at",
            [key, since],
        ).fetchall()
        if len(rows) >= allowed:
            oldest = parse_time(rows[-allowed][0])
            free_at = oldest + timedelta(minutes=THROTTLE_MINUTES)
            worst = max(worst, int((free_at - _now()).total_seconds() // 60) + 1)
    return worst


def record_failure(store: Store, login: str, address: str) -> str:
    """Count an attempt as failed; its time, to :func:`forgive` it if it succeeds.

    Recorded *before* the password is checked (the check runs off the event loop, so
    attempts overlap): twenty attempts at once cannot all pass the throttle's count."""
    now = utc_text(_now())
    with store.transaction(immediate=True):
        for key, _allowed in _keys(login, address):
            store.db.execute("INSERT INTO login_failures (key, at) VALUES (?, ?)", [key, now])
        old = utc_text(_now() - timedelta(days=1))
        store.db.execute("DELETE FROM login_failures WHERE at < ?", [old])
    return now


def forgive(store: Store, login: str, address: str, at: str) -> None:
    """A sign-in that succeeded: its attempt no longer counts, nor this pair's earlier ones."""
    with store.transaction():
        for key, _allowed in _keys(login, address):
            store.db.execute(
                "DELETE FROM login_failures WHERE rowid IN "
                "(SELECT rowid FROM login_failures WHERE key = ? AND at = ? LIMIT 1)",
                [key, at],
            )
        store.db.execute("DELETE FROM login_failures WHERE key = ?", [f"pair:{login}|{address}"])
