"""The console's people: who may sign in, with which role, over which organizations.

A library apart from its commands (``hub operators``) and the console, so both do
the same. Passwords are hashed with scrypt (memory-hard, in the standard library:
no extra dependency for the one primitive that must be right); the hash names its
parameters, so they can be raised later without breaking old hashes.

Roles say what an operator may *do*; organizations say *where*. An operator with no
organizations sees every account (the regional centre); one limited to some sees
and acts on their accounts only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass, field

from .errors import HubError, NotFoundError
from .store import Store, utcnow

ROLES = ("admin", "moderator", "author", "approver", "viewer")
#: what each role may do beyond looking; ``admin`` may do all of it
PERMISSIONS = {
    "moderate": {"admin", "moderator"},  # decide review items, reply, restrict
    "write": {"admin", "author"},  # write and edit drafts
    "approve": {"admin", "approver"},  # approve or reject drafts
    "sync": {"admin", "moderator"},  # "sync now"
    "attestations": {"admin"},  # 2FA, service phone, who holds the logins
}
LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")
MIN_PASSWORD = 10
#: scrypt's cost: 2**15 × 8 × 128 bytes = 32 MiB of memory per check
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1


@dataclass(frozen=True)
class Operator:
    """A person who may sign in to the console."""

    login: str
    role: str
    organizations: tuple[str, ...] = field(default=())
    disabled: bool = False

    @property
    def actor(self) -> str:
        """The name every decision of theirs is recorded under (``operator:<login>``)."""
        return f"operator:{self.login}"

    def may(self, action: str) -> bool:
        """Whether the role allows ``action`` (a key of :data:`PERMISSIONS`)."""
        return not self.disabled and self.role in PERMISSIONS[action]

    def sees(self, organization: str | None) -> bool:
        """Whether an account of ``organization`` is within this operator's scope."""
        return not self.organizations or organization in self.organizations


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return "$".join(
        ["scrypt", str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P), _b64(salt), _b64(digest)]
    )


def password_matches(password: str, stored: str) -> bool:
    """Constant-time comparison against a hash made by :func:`hash_password`."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = _scrypt(password, _unb64(salt), int(n), int(r), int(p))
        expected = _unb64(digest)
    except ValueError:  # a damaged hash (binascii.Error is a ValueError) matches nothing
        return False
    return hmac.compare_digest(got, expected)


#: a hash to check against when the login is unknown, so the answer takes as long
_DUMMY_HASH = None


def dummy_hash() -> str:
    """A hash no password matches, checked for an unknown login (so it takes as long)."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password(secrets.token_hex(8))
    return _DUMMY_HASH


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=128 * 1024 * 1024, dklen=32
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def check_login(login: str) -> str:
    if not LOGIN.match(login or ""):
        raise HubError(
            f"login {login!r} is not allowed: 2–32 characters, lower-case Latin letters, "
            "digits, '.', '_' or '-', starting with a letter or digit"
        )
    return login


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise HubError(
            f"the password is too short: at least {MIN_PASSWORD} characters "
            "(a phrase of three or four words is easy to remember)"
        )
    return password


def check_role(role: str) -> str:
    if role not in ROLES:
        raise HubError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    return role


def add(
    store: Store,
    login: str,
    role: str,
    password: str,
    organizations: tuple[str, ...] | list[str] = (),
    *,
    known_organizations: set[str] | None = None,
) -> Operator:
    """A new operator; an existing login, a bad role or an unknown organization is refused."""
    check_login(login)
    check_role(role)
    check_password(password)
    check_organizations(organizations, known_organizations)
    now = utcnow()
    with store.transaction(immediate=True):
        if _row(store, login) is not None:
            raise HubError(
                f"operator {login!r} already exists; 'hub operators passwd {login}' sets a "
                "new password"
            )
        store.db.execute(
            "INSERT INTO operators (login, role, organizations_json, password_hash, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            [login, role, _orgs_json(organizations), hash_password(password), now, now],
        )
    return Operator(login, role, tuple(organizations))


def check_organizations(organizations, known: set[str] | None) -> None:
    """Every organization named is one the hub knows (None: not checked)."""
    if known is None:
        return
    unknown = [o for o in organizations if o not in known]
    if unknown:
        raise HubError(
            f"unknown organization {unknown[0]!r}; the config's [[organizations]] are: "
            f"{', '.join(sorted(known)) or 'none'}"
        )


def _orgs_json(organizations) -> str:
    return json.dumps(sorted(set(organizations)), ensure_ascii=False)


def _row(store: Store, login: str):
    return store.db.execute(
        "SELECT login, role, organizations_json, disabled_at FROM operators WHERE login = ?",
        [login],
    ).fetchone()


def _operator(row) -> Operator:
    return Operator(row[0], row[1], tuple(json.loads(row[2])), row[3] is not None)


def get(store: Store, login: str) -> Operator:
    row = _row(store, login)
    if row is None:
        raise NotFoundError(f"no operator {login!r}; 'hub operators list' shows them")
    return _operator(row)


def find(store: Store, login: str) -> Operator | None:
    """The operator, or None; for the console, which must not say which logins exist."""
    row = _row(store, login)
    return _operator(row) if row is not None else None


def all_operators(store: Store) -> list[Operator]:
    rows = store.db.execute(
        "SELECT login, role, organizations_json, disabled_at FROM operators ORDER BY login"
    ).fetchall()
    return [_operator(r) for r in rows]


def disable(store: Store, login: str) -> Operator:
    """No more sign-ins, and every open session of theirs ends now."""
    get(store, login)
    with store.transaction(immediate=True):
        store.db.execute(
            "UPDATE operators SET disabled_at = COALESCE(disabled_at, ?), updated_at = ? "
            "WHERE login = ?",
            [utcnow(), utcnow(), login],
        )
        store.db.execute("DELETE FROM web_sessions WHERE login = ?", [login])
    return get(store, login)


def set_password(store: Store, login: str, password: str) -> None:
    """A new password; their open sessions end (a password changed after a leak)."""
    get(store, login)
    check_password(password)
    with store.transaction(immediate=True):
        store.db.execute(
            "UPDATE operators SET password_hash = ?, updated_at = ? WHERE login = ?",
            [hash_password(password), utcnow(), login],
        )
        store.db.execute("DELETE FROM web_sessions WHERE login = ?", [login])


def stored_hash(store: Store, login: str) -> str | None:
    """The login's password hash, or None for an unknown login."""
    row = store.db.execute(
        "SELECT password_hash FROM operators WHERE login = ?", [login]
    ).fetchone()
    return row[0] if row else None


def authenticate(store: Store, login: str, password: str) -> Operator | None:
    """The operator if the password is theirs and they are not disabled, else None.

    An unknown login costs the same scrypt check as a known one, so timing does not
    tell which logins exist.
    """
    row = store.db.execute(
        "SELECT password_hash FROM operators WHERE login = ?", [login]
    ).fetchone()
    if row is None:
        password_matches(password, dummy_hash())
        return None
    if not password_matches(password, row[0]):
        return None
    operator = get(store, login)
    return None if operator.disabled else operator
