"""Reading tokens from the environment and keeping them out of every output.

Every token the hub reads goes through :func:`token_from_env`, which remembers
its value; :func:`redact` replaces any remembered value (and anything that looks
like a bearer header or an ``access_token=`` parameter) in text bound for logs,
error messages or exports.
"""

from __future__ import annotations

import os
import re

from .errors import ConfigError
from .i18n import _
from .models import Account

_known: set[str] = set()
_PATTERNS = [
    re.compile(r"(?i)(bearer\s+)[^\s'\"]+"),
    re.compile(r"(?i)(access_token=)[^&\s'\"]+"),
    re.compile(r"(/bot)\d+:[A-Za-z0-9_-]+"),  # Telegram puts its token in the path
]
MASK = "***"


def remember(secret: str) -> None:
    if secret and len(secret) >= 4:
        _known.add(secret)


def redact(text: str) -> str:
    for secret in sorted(_known, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + MASK, text)
    return text


def secret_from_env(variable: str, what: str) -> str:
    """A non-account secret (an application key) named by a ``*_env`` setting."""
    value = os.environ.get(variable, "").strip()
    if not value:
        raise ConfigError(f"environment variable {variable} is not set; export it with {what}")
    remember(value)
    return value


def token_from_env(account: Account) -> str:
    value = os.environ.get(account.token_env, "").strip()
    if not value:
        raise ConfigError(
            _(
                "account {account!r}: environment variable {variable} is not set; "
                "export it with the account's access token"
            ).format(account=account.id, variable=account.token_env)
        )
    remember(value)
    if not value.isascii() or any(ch.isspace() for ch in value):
        raise ConfigError(
            f"account {account.id!r}: the token in {account.token_env} has spaces or non-Latin "
            "characters, which no network issues; paste the token again exactly"
        )
    return value
