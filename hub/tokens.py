"""Refreshable tokens: the secrets file beside the config, refreshed under a lock.

A fixed token in the account's ``token_env`` variable works as it always did. An
account signed in with ``hub auth <network> ACCOUNT`` has a record in
``hub.secrets.json`` beside the config instead (never the database, the logs or an
export): the access token, when it expires, the refresh token, and what the network
needs to refresh it (VK ID's ``device_id``). The record wins over the variable.

Why the care: VK ID rotates refresh tokens, so the answer of a refresh is the only
copy of the next one. :func:`refresh` therefore holds a file lock (two processes never
spend one refresh token twice), re-reads the record under it (another process may
have refreshed already), asks the network, and writes the new record durably
(temporary file, fsync, atomic rename, directory fsync) *before* the new access token
is handed out. A crash after the write leaves the new token on disk; one before it
leaves the old file untouched. The core knows no network: the refresh itself is the
network's :meth:`hub.network.Network.refresh_token`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .errors import AuthError, ConfigError
from .i18n import _
from .models import Account
from .secrets import remember

SECRETS_FILE = "hub.secrets.json"
#: where the secrets file is instead, when the config's folder is not the hub's to write
SECRETS_ENV = "HUB_SECRETS"
#: refresh this long before the access token expires (a run, a long poll, fit in it)
MARGIN_SECONDS = 300.0
#: kinds of stored token
FIXED, REFRESHABLE = "fixed", "refreshable"


#: secrets file → (its inode, size and mtime, its parsed records): see SecretsFile.load
_PARSED: dict[Path, tuple[tuple[int, int, int], dict]] = {}


@dataclass(frozen=True)
class StoredToken:
    """One account's token as the secrets file keeps it."""

    network: str
    access_token: str
    kind: str = REFRESHABLE
    #: Unix time the access token expires; None: the network said it does not
    expires_at: float | None = None
    refresh_token: str | None = None
    #: VK ID's device id, sent with every refresh
    device_id: str | None = None
    #: the application the token was issued to (VK ID's client_id, OK's application id)
    client_id: str | None = None
    scope: str | None = None
    user_id: str | None = None
    obtained_at: float = field(default_factory=time.time)

    @property
    def refreshable(self) -> bool:
        return bool(self.refresh_token)

    def expiring(self, margin: float = MARGIN_SECONDS, now: float | None = None) -> bool:
        if self.expires_at is None:
            return False
        return self.expires_at - margin <= (time.time() if now is None else now)

    @classmethod
    def from_dict(cls, data: Any, where: str) -> StoredToken:
        names = {f.name for f in fields(cls)}
        if not isinstance(data, dict) or not isinstance(data.get("access_token"), str):
            raise ConfigError(
                _("{where}: each account needs an access_token string").format(where=where)
            )
        if not isinstance(data.get("network"), str):
            raise ConfigError(_("{where}: each account needs its network").format(where=where))
        unknown = set(data) - names
        if unknown:
            raise ConfigError(
                _("{where}: unknown keys {keys}").format(
                    where=where, keys=", ".join(sorted(unknown))
                )
            )
        expires = data.get("expires_at")
        if expires is not None and not isinstance(expires, int | float):
            raise ConfigError(_("{where}: expires_at must be a number").format(where=where))
        return cls(**data)


class RefreshRefused(AuthError):
    """The network refused the refresh token (revoked, expired, spent): sign in again."""


def refused(account: Account, network_title: str, detail: str) -> RefreshRefused:
    return RefreshRefused(
        _("{network} refused to refresh the token of {account} ({detail})").format(
            network=network_title, account=account.id, detail=detail
        ),
        fix=_("run 'hub auth {network} {account}' again").format(
            network=account.network, account=account.id
        ),
    )


class SecretsFile:
    """``hub.secrets.json``: ``{"accounts": {id: record}}``, mode 0600, replaced atomically."""

    def __init__(self, path: Path):
        self.path = path
        self.lock_path = path.with_name(path.name + ".lock")

    @classmethod
    def beside(cls, config_path: Path | None) -> SecretsFile | None:
        """Beside the config, or where ``$HUB_SECRETS`` says (a server's config is read-only)."""
        explicit = os.environ.get(SECRETS_ENV, "").strip()
        if explicit:
            return cls(Path(explicit))
        return cls(config_path.parent / SECRETS_FILE) if config_path else None

    def load(self) -> dict[str, StoredToken]:
        """Every record; a missing file is none, a broken one a one-line ConfigError.

        Every token lookup asks, so the parsed file is kept while its inode, size and
        mtime stay the same; a write (ours or another process's: an atomic replace)
        changes them, and the next lookup reads it again.
        """
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return {}
        except OSError:
            stat = None
        key = (stat.st_ino, stat.st_size, stat.st_mtime_ns) if stat else None
        cached = _PARSED.get(self.path)
        if key is not None and cached is not None and cached[0] == key:
            records = cached[1]
        else:
            records = self._read()
            if key is not None:
                _PARSED[self.path] = (key, records)
        for stored in records.values():  # redaction learns them, whichever way they came
            remember(stored.access_token)
            if stored.refresh_token:
                remember(stored.refresh_token)
        return dict(records)

    def _read(self) -> dict[str, StoredToken]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise ConfigError(
                _("cannot read {path}: {error}").format(path=self.path, error=exc.strerror)
            ) from None
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ConfigError(
                _("{path} is not valid JSON ({error}); fix it or sign in again").format(
                    path=self.path, error=f"line {exc.lineno}" if hasattr(exc, "lineno") else exc
                )
            ) from None
        accounts = data.get("accounts") if isinstance(data, dict) else None
        if not isinstance(accounts, dict):
            raise ConfigError(
                _("{path} has no 'accounts' table; fix it or sign in again").format(path=self.path)
            )
        return {
            key: StoredToken.from_dict(value, f"{self.path} [{key}]")
            for key, value in accounts.items()
        }

    def get(self, account_id: str) -> StoredToken | None:
        return self.load().get(account_id)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """An exclusive lock across processes (its own file, so the rename never drops it)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def put(self, account_id: str, stored: StoredToken | None) -> None:
        """Write one record (None removes it); call under :meth:`locked`."""
        records = self.load()
        if stored is None:
            records.pop(account_id, None)
        else:
            records[account_id] = stored
        self._write({key: _record(value) for key, value in sorted(records.items())})

    def _write(self, records: dict[str, dict[str, Any]]) -> None:
        body = json.dumps({"accounts": records}, ensure_ascii=False, indent=2) + "\n"
        directory = self.path.parent
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=directory)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(body)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _record(stored: StoredToken) -> dict[str, Any]:
    return {key: value for key, value in asdict(stored).items() if value is not None}


#: what a network does to refresh: (account, stored record) → the new record
Refresher = Callable[[Account, StoredToken], StoredToken]


def refresh(
    secrets: SecretsFile,
    account: Account,
    refresher: Refresher,
    *,
    spent: str | None = None,
    margin: float = MARGIN_SECONDS,
) -> StoredToken:
    """The account's record with a live access token, refreshing it under the lock if needed.

    ``spent``: the access token the network just called expired; refresh unless the
    record already holds another one (a process that held the lock first did). Without
    it, refresh only when the token expires within ``margin`` seconds.
    """
    with secrets.locked():
        stored = secrets.get(account.id)
        if stored is None:
            raise ConfigError(
                _("no stored token for {account} in {path}").format(
                    account=account.id, path=secrets.path
                )
            )
        stale = stored.access_token == spent if spent else stored.expiring(margin)
        if not stale or not stored.refreshable:
            return stored
        fresh = refresher(account, stored)
        remember(fresh.access_token)
        if fresh.refresh_token:
            remember(fresh.refresh_token)
        secrets.put(account.id, fresh)  # durable before anyone uses the new access token
        return fresh


def save(secrets: SecretsFile, account_id: str, stored: StoredToken) -> None:
    """A sign-in's record, written under the lock."""
    with secrets.locked():
        secrets.put(account_id, stored)


def rotated(stored: StoredToken, answer: dict[str, Any], now: float | None = None) -> StoredToken:
    """The record after an OAuth token answer (``access_token``, ``expires_in``, ...)."""
    now = time.time() if now is None else now
    expires_in = answer.get("expires_in")
    expires_at = now + float(expires_in) if isinstance(expires_in, int | float) else None
    if isinstance(expires_in, int | float) and expires_in <= 0:
        expires_at = None  # "0": does not expire
    scope = answer.get("scope")
    return replace(
        stored,
        access_token=str(answer["access_token"]),
        expires_at=expires_at,
        refresh_token=str(answer.get("refresh_token") or stored.refresh_token or "") or None,
        scope=str(scope) if scope else stored.scope,
        user_id=str(answer["user_id"]) if answer.get("user_id") else stored.user_id,
        obtained_at=now,
    )


def oauth_post(url: str, data: dict[str, str], *, who: str, timeout: float = 30.0) -> dict:
    """POST an OAuth form; the JSON object answered, whatever the status (errors included).

    Synchronous on purpose: a refresh runs under a file lock, from the token reader
    or from a worker thread, never on the event loop. No connection, a 5xx or an
    answer that is not a JSON object is a TransientError naming ``who``; the
    stored token is left as it was.
    """
    import httpx

    from .errors import TransientError
    from .http import decode_json

    try:
        with httpx.Client(timeout=timeout, follow_redirects=False) as client:
            response = client.post(url, data=data)
    except httpx.HTTPError as exc:
        raise TransientError(
            f"{who} could not be reached ({type(exc).__name__})", method="token refresh"
        ) from None
    if response.status_code >= 500:
        raise TransientError(f"{who} answered HTTP {response.status_code}", method="token refresh")
    try:
        body = decode_json(response.content, who)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise TransientError(
            f"{who} answered HTTP {response.status_code} with something that is not a JSON "
            "object; the stored token is unchanged",
            method="token refresh",
        )
    return body
