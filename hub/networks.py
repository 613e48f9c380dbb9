"""Opening networks for a run: settings, tokens, one network object per network, error wording.

Every part of the hub that talks to a network — sync, actions, the content plan,
moderation, the daemon and the CLI — opens it here, so a network is built one
way (its ``[networks.<name>]`` settings from the config, its tokens read through
:mod:`hub.secrets`), checked one way (an unknown network, bad settings or a
missing token variable stop before anything is written) and a network's error
is worded one way (:func:`describe_error`).

Each network object owns its HTTP client (built on :func:`hub.http.async_client`,
~25 ms to open), so a run that makes several calls opens each network once, in a
:class:`NetworkPool`::

    async with NetworkPool(pm, config) as pool:
        for account in accounts:
            network = pool.get(account)  # opened on first use; the token variable checked
            await network.delete_comment(...)

A function that acts for a run takes the open network (or the pool) from its
caller rather than opening its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from types import TracebackType

import pluggy

from . import plugins
from .config import Config
from .errors import ApiError, AuthError, ConfigError
from .i18n import _
from .models import Account
from .network import Finding, Network
from .secrets import redact, remember, token_from_env
from .tokens import RefreshRefused, SecretsFile, StoredToken, refresh

#: how a network reads an account's token (by default its ``token_env`` variable)
TokenFor = Callable[[Account], str]


class TokenSource:
    """A network's token reader: the stored (refreshable) token first, else the variable.

    Called as ``token_for(account)``, it refreshes a stored token that expires
    within :data:`hub.tokens.MARGIN_SECONDS`; a failed refresh there hands out the
    old token, so the call fails for that account alone and :meth:`renew` words it.
    ``renew(token)`` is what a plugin calls when the network says ``token`` expired
    (VK error 5, subcode 1117): the account's new access token, or None for a token
    that cannot be refreshed (a fixed one, as before). A refused refresh raises
    :class:`hub.tokens.RefreshRefused` (``hub auth <network> ACCOUNT`` again).
    """

    def __init__(self, secrets: SecretsFile | None):
        self.secrets = secrets
        self.network: Network | None = None
        self._accounts: dict[str, Account] = {}

    def stored(self, account: Account) -> StoredToken | None:
        return self.secrets.get(account.id) if self.secrets else None

    def __call__(self, account: Account) -> str:
        stored = self.stored(account)
        if stored is None:
            return token_from_env(account)
        if stored.refreshable and stored.expiring() and self.network is not None:
            with contextlib.suppress(ApiError):  # the call fails; renew() words the refusal
                stored = refresh(self.secrets, account, self.network.refresh_token)
        remember(stored.access_token)
        self._accounts[stored.access_token] = account
        return stored.access_token

    def renew(self, token: str) -> str | None:
        account = self._accounts.get(token)
        if account is None or self.secrets is None or self.network is None:
            return None
        stored = refresh(self.secrets, account, self.network.refresh_token, spent=token)
        if stored.access_token == token:
            return None  # nothing to refresh with: the expired-token error stands
        remember(stored.access_token)
        self._accounts[stored.access_token] = account
        return stored.access_token


def has_stored_token(config: Config | None, account: Account) -> bool:
    secrets = SecretsFile.beside(config.path) if config else None
    return bool(secrets and secrets.get(account.id))


def describe_error(account: Account, exc: Exception) -> str:
    """A network error as said to a person: redacted, with the token variable to fix."""
    text = redact(str(exc))
    if not isinstance(exc, ApiError):
        return (
            f"unexpected {type(exc).__name__}: {text} (a bug, or an answer the plugin does not "
            "understand; the other accounts went on, and this one is tried again next sync)"
        )
    if isinstance(exc, RefreshRefused):
        return f"{text}; {exc.fix}"
    if isinstance(exc, AuthError) and exc.fix:
        return f"{text}; {exc.fix} (the token is in ${account.token_env})"
    if isinstance(exc, AuthError):
        also = f" and {exc.also_check}" if exc.also_check else ""
        return (
            f"the network rejected the token in ${account.token_env} ({text}); "
            f"put a valid token for {account.id} in that variable{also}"
        )
    return text


def check_networks(
    pm: pluggy.PluginManager, config: Config, accounts: Sequence[Account]
) -> dict[str, type[Network]]:
    """Fail before anything is written on an unknown network or its bad settings."""
    available = plugins.networks(pm)
    for account in accounts:
        if account.network not in available:
            installed = ", ".join(sorted(available)) or "none"
            raise ConfigError(
                f"account {account.id!r} uses network {account.network!r}, which no installed "
                f"plugin provides (installed: {installed}); see 'hub plugins'"
            )
    for name in {a.network for a in accounts}:
        available[name].checked_settings(config.network_settings(name))
    return available


def check_accounts(
    pm: pluggy.PluginManager, config: Config, accounts: Sequence[Account]
) -> dict[str, type[Network]]:
    """Fail before anything is written on an unknown network or a missing token variable."""
    available = check_networks(pm, config, accounts)
    for account in accounts:
        if not has_stored_token(config, account):
            token_from_env(account)
    return available


def without_tokens(
    accounts: Sequence[Account], config: Config | None = None
) -> tuple[list[Account], list[tuple[Account, str]]]:
    """Split the accounts whose token variable is usable from those it is not (and why).

    ``hub sync`` skips the latter as the daemon parks them, and names every one
    at once, so a person exports all the missing variables in one go.
    """
    ready, missing = [], []
    for account in accounts:
        try:
            stored = has_stored_token(config, account)
        except ConfigError as exc:  # a broken secrets file: its one line, for every account
            missing.append((account, str(exc)))
            continue
        try:
            if not stored:
                token_from_env(account)
        except ConfigError as exc:
            missing.append((account, _token_problem(account, exc)))
            continue
        ready.append(account)
    return ready, missing


def _token_problem(account: Account, exc: ConfigError) -> str:
    if not os.environ.get(account.token_env, "").strip():
        return _("{variable} is not set").format(variable=account.token_env)
    return str(exc)


def build_network(
    network_class: type[Network], config: Config, token_for: TokenFor | None = None
) -> Network:
    """The one place a network object is made: its config settings and its token reader.

    By default the reader is a :class:`TokenSource` over the secrets file beside
    the config (``hub auth``), falling back to the account's token variable.
    """
    if token_for is not None:
        return network_class(config.network_settings(network_class.name), token_for)
    source = TokenSource(SecretsFile.beside(config.path))
    network = network_class(config.network_settings(network_class.name), source)
    source.network = network
    return network


def open_networks(
    pm: pluggy.PluginManager, config: Config, accounts: Sequence[Account]
) -> dict[str, Network]:
    """Each network the accounts need, checked and opened once; the caller closes them."""
    available = check_accounts(pm, config, accounts)
    return {
        name: build_network(available[name], config)
        for name in sorted({a.network for a in accounts})
    }


async def close_networks(networks: dict[str, Network]) -> None:
    for network in networks.values():
        await network.aclose()


class NetworkPool:
    """The run's networks, each opened once, on first use (each makes an HTTP client: ~25 ms).

    ``get(account)`` checks the account's network and token variable every time,
    so one missing variable stops only that account, and returns the network
    object the run shares for that network. Use as ``async with NetworkPool(pm,
    config) as pool`` or close with :meth:`aclose`. A function given a pool must
    not close the networks it gets from it: the pool's owner does.
    """

    def __init__(self, pm: pluggy.PluginManager, config: Config):
        self.pm = pm
        self.config = config
        self._open: dict[str, Network] = {}

    def get(self, account: Account) -> Network:
        """The account's network, opened on first use; raises ConfigError as open_networks."""
        available = check_accounts(self.pm, self.config, [account])
        if account.network not in self._open:
            self._open[account.network] = build_network(available[account.network], self.config)
        return self._open[account.network]

    async def aclose(self) -> None:
        await close_networks(self._open)
        self._open.clear()

    async def __aenter__(self) -> NetworkPool:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


async def check_account(pm: pluggy.PluginManager, config: Config, account: Account) -> list:
    """What ``hub accounts check`` prints: the network's own findings for the account."""
    return (await check_all(pm, config, [account]))[0][1]


async def check_all(
    pm: pluggy.PluginManager, config: Config, accounts: Sequence[Account]
) -> list[tuple[Account, list[Finding]]]:
    """Every account's findings, the accounts side by side (one network client each).

    A missing token variable, a refused token or an answer the plugin trips on
    is that account's PROBLEM line; the others are still checked.
    """
    available = check_networks(pm, config, accounts)
    ready, missing = without_tokens(accounts, config)
    reasons = dict((a.id, why) for a, why in missing)
    networks = {
        name: build_network(available[name], config) for name in sorted({a.network for a in ready})
    }

    async def one(account: Account) -> list[Finding]:
        if account.id in reasons:
            fix = _("export it with the account's access token")
            return [Finding(False, f"{reasons[account.id]}; {fix}")]
        try:
            network = networks[account.network]
            return [*await network.check_account(account), token_finding(network, account)]
        except Exception as exc:  # a refused token, an answer the plugin trips on: its own
            return [Finding(False, describe_error(account, exc))]

    try:
        results = await asyncio.gather(*(one(a) for a in accounts))
    finally:
        await close_networks(networks)
    return list(zip(accounts, results, strict=True))


def token_finding(network: Network, account: Account) -> Finding:
    """``hub accounts check``'s token line: its kind, rights, expiry, and whether it refreshes."""
    source = network.token_for
    stored = source.stored(account) if isinstance(source, TokenSource) else None
    if stored is None:
        return Finding(
            True,
            _("a fixed token from ${variable} (it does not expire; it is not refreshed)").format(
                variable=account.token_env
            ),
        )
    network.token_for(account)  # refreshes it now if it is about to expire
    stored = source.stored(account) or stored
    if stored.expires_at is None:
        expires = _("does not expire")
    else:
        when = datetime.fromtimestamp(stored.expires_at, UTC).strftime("%Y-%m-%d %H:%M UTC")
        expires = _("expires {when}").format(when=when)
    refreshes = _("refreshed automatically") if stored.refreshable else _("cannot be refreshed")
    scope = stored.scope or _("not told")
    return Finding(
        True,
        _("a stored token from 'hub auth' ({expires}, {refreshes}); rights: {scope}").format(
            expires=expires, refreshes=refreshes, scope=scope
        ),
    )
