"""Reading tokens from the environment and keeping them out of every output.

Every token the hub reads goes through :func:`token_from_env`, which remembers
its value; :func:`redact` replaces any remembered value (and anything that looks
like a bearer header, an ``access_token=`` parameter or a token of a registered
network) in text bound for logs, error messages or exports. What a network's
tokens look like is the network's to say (:attr:`hub.network.Network.token_patterns`);
:func:`hub.plugins.networks` adds them here as plugins register, so the patterns
above work from the start and a network's join them once its plugin is loaded.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

from .errors import ConfigError
from .i18n import _
from .models import Account

_known: set[str] = set()
_PATTERNS = [
    re.compile(r"(?i)(bearer\s+)[^\s'\"]+"),
    re.compile(r"(?i)(access_token=)[^&\s'\"]+"),
]
#: the registered networks' token patterns (Network.token_patterns), by their text
_network_patterns: dict[str, re.Pattern[str]] = {}
MASK = "***"


def remember(secret: str) -> None:
    if secret and len(secret) >= 4:
        _known.add(secret)


def add_token_patterns(patterns: Iterable[str]) -> None:
    """Mask matches of these too (a network's token shapes); group 1, if any, is kept."""
    for pattern in patterns:
        if pattern not in _network_patterns:
            _network_patterns[pattern] = re.compile(pattern)


def _mask(match: re.Match[str]) -> str:
    return (match.group(1) if match.re.groups else "") + MASK


def redact(text: str) -> str:
    for secret in sorted(_known, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    for pattern in (*_PATTERNS, *_network_patterns.values()):
        text = pattern.sub(_mask, text)
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
