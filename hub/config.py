"""Loading and validating the TOML config.

The config is found at ``--config PATH``, else ``$HUB_CONFIG``, else
``./config/hub.toml``. Every problem becomes one :class:`ConfigError` line that
names the key and how to fix it, raised before anything is written.
Secrets never sit in the file: accounts name the environment variable holding
their token (``token_env``).
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .i18n import _, parse_ui
from .models import Account

DEFAULT_CONFIG = Path("config") / "hub.toml"
#: matched with ``fullmatch``: ``$`` also matches before a final newline, and an id
#: ending in one would pass and then break every line it is printed on (/metrics)
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
ACCOUNT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
ACCOUNT_KEYS = {
    "id",
    "network",
    "external_id",
    "organization",
    "token_env",
    "events_token_env",
    "existing_since",  # the page existed before the hub: no "account created" notice
    "created",  # the day a page new to the world was created (its notice runs from it)
}
SECRET_LOOKING_KEYS = {"token", "access_token", "secret", "password", "api_key"}
TOP_LEVEL_KEYS = {
    "database",
    "networks",
    "accounts",
    "sync",
    "moderation",
    "organizations",
    "notices",
    "registry",  # [registry] municipality: hub.registry.settings
    "gospabliki",
    "daemon",
    "plan",
    "compliance",
    "ui",  # [ui] language = "ru" | "en": hub.i18n
}


@dataclass
class SyncSettings:
    #: posts younger than this get their comments re-checked when their counters change
    recent_window_days: int = 30
    #: every post of the window has its comments read again once in this many hours, even
    #: when its counters did not move (a swap, an edit); spread over the syncs; 0 = never
    reconcile_hours: int = 24


SYNC_KEYS = {"recent_window_days", "reconcile_hours"}


def _sync_settings(table: dict[str, Any], where: str) -> SyncSettings:
    """The [sync] table, each value checked, a misspelled key refused."""
    unknown = set(table) - SYNC_KEYS
    if unknown:
        raise ConfigError(
            f"[sync]{where} has an unknown key {sorted(unknown)[0]!r}; "
            f"known: {', '.join(sorted(SYNC_KEYS))}"
        )
    window = table.get("recent_window_days", 30)
    if isinstance(window, bool) or not isinstance(window, int) or not 0 <= window <= 3650:
        raise ConfigError(
            f"[sync] recent_window_days{where} must be a whole number of days from 0 to 3650"
        )
    hours = table.get("reconcile_hours", 24)
    if isinstance(hours, bool) or not isinstance(hours, int) or not 0 <= hours <= 8760:
        raise ConfigError(
            f"[sync] reconcile_hours{where} must be a whole number of hours from 0 (never) to 8760"
        )
    return SyncSettings(recent_window_days=window, reconcile_hours=hours)


@dataclass
class Config:
    path: Path | None
    db_path: Path
    networks: dict[str, dict[str, Any]] = field(default_factory=dict)
    accounts: list[Account] = field(default_factory=list)
    sync: SyncSettings = field(default_factory=SyncSettings)
    #: the ``[moderation]`` table: policies (hub.moderation.policy) and the engine's settings
    moderation: dict[str, Any] = field(default_factory=dict)
    #: the whole parsed file, for sections their own modules read and check
    #: (``[[organizations]]`` and ``[notices]``: hub.registry; ``[gospabliki]``: hub.gospabliki)
    raw: dict[str, Any] = field(default_factory=dict)

    def account(self, account_id: str) -> Account:
        for account in self.accounts:
            if account.id == account_id:
                return account
        known = ", ".join(a.id for a in self.accounts) or "none"
        raise ConfigError(
            _("unknown account {account!r}; configured accounts: {known}").format(
                account=account_id, known=known if self.accounts else _("none")
            )
        )

    def network_settings(self, name: str) -> dict[str, Any]:
        return self.networks.get(name, {})


def config_path(explicit: str | os.PathLike | None) -> Path:
    if explicit:
        return Path(explicit)
    if os.environ.get("HUB_CONFIG"):
        return Path(os.environ["HUB_CONFIG"])
    return DEFAULT_CONFIG


def load_config(
    explicit: str | os.PathLike | None = None, db_override: str | None = None
) -> Config:
    path = config_path(explicit)
    if not path.exists():
        raise ConfigError(
            _(
                "config file {path} not found; create one with 'hub init' "
                "or point --config / $HUB_CONFIG at it"
            ).format(path=path)
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            _("config file {path} is not valid TOML: {error}").format(path=path, error=exc)
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            _("cannot read config file {path}: {error}").format(path=path, error=exc)
        ) from None
    return parse_config(data, path=path, db_override=db_override)


def parse_config(
    data: dict[str, Any], *, path: Path | None = None, db_override: str | None = None
) -> Config:
    where = f" in {path}" if path else ""
    unknown = set(data) - TOP_LEVEL_KEYS
    if unknown:
        raise ConfigError(
            _("unknown section {section!r}{where}; expected {known}").format(
                section=sorted(unknown)[0], where=where, known=", ".join(sorted(TOP_LEVEL_KEYS))
            )
        )
    base = path.parent if path else Path.cwd()
    database = _table(data, "database", where)
    db_path = Path(db_override) if db_override else base / str(database.get("path", "hub.db"))
    networks = _table(data, "networks", where)
    for name, settings in networks.items():
        if not isinstance(settings, dict):
            raise ConfigError(f"[networks.{name}]{where} must be a table")
        _reject_secrets(settings, f"[networks.{name}]", where)
    sync = _sync_settings(_table(data, "sync", where), where)
    raw_accounts = data.get("accounts", [])
    if not isinstance(raw_accounts, list):
        raise ConfigError(f"'accounts'{where} must be an array of tables: [[accounts]]")
    accounts = [_parse_account(raw, i, where) for i, raw in enumerate(raw_accounts)]
    _check_unique(accounts, where)
    from .registry.settings import check_account_organizations, parse_registry

    check_account_organizations(data, accounts, where)  # a typo'd name: refused
    parse_registry(data)  # [registry], checked before any work
    from .plan.settings import parse_plan  # the content plan's table, checked before any work

    parse_plan(data)
    parse_ui(data, where)  # the language itself was chosen at start-up (hub.i18n.setup)
    return Config(
        path=path,
        db_path=db_path,
        networks=networks,
        accounts=accounts,
        sync=sync,
        moderation=_moderation(data, where),
        raw=data,
    )


def _moderation(data: dict[str, Any], where: str) -> dict[str, Any]:
    """The [moderation] table, its policies checked now so a mistake stops before any work."""
    from .moderation.policy import load_policies

    table = _table(data, "moderation", where)
    load_policies(table)
    return table


def _table(data: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[{key}]{where} must be a table")
    return value


def _reject_secrets(table: dict[str, Any], label: str, where: str) -> None:
    for key in table:
        if key.lower() in SECRET_LOOKING_KEYS:
            raise ConfigError(
                f"{label} {key!r}{where}: secrets never go in the config file; put the value "
                "in an environment variable and name the variable with token_env"
            )


def _parse_account(raw: Any, index: int, where: str) -> Account:
    label = f"accounts[{index}]"
    if not isinstance(raw, dict):
        raise ConfigError(f"{label}{where} must be a table ([[accounts]])")
    _reject_secrets(raw, label, where)
    unknown = set(raw) - ACCOUNT_KEYS
    if unknown:
        raise ConfigError(
            f"{label}{where}: unknown key {sorted(unknown)[0]!r}; "
            f"allowed keys: {', '.join(sorted(ACCOUNT_KEYS))}"
        )
    for key in ("id", "network", "external_id", "token_env"):
        value = raw.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise ConfigError(f"{label}{where} has no {key!r}")
    account_id = str(raw["id"])
    label = f"account {account_id!r}"
    if not ACCOUNT_ID.fullmatch(account_id):
        raise ConfigError(
            f"{label}{where}: id may hold only letters, digits, '-', '_' and '.' (like klochki-vk)"
        )
    if not isinstance(raw["external_id"], str | int):
        raise ConfigError(f'{label}{where}: external_id must be a string such as "123456"')
    token_env = str(raw["token_env"])
    if not ENV_NAME.fullmatch(token_env):
        raise ConfigError(
            f"{label}{where}: token_env must be the NAME of an environment variable "
            f"(like HUB_VK_TOKEN_KLOCHKI), not the token itself"
        )
    events_env = raw.get("events_token_env")
    if events_env is not None and not (
        isinstance(events_env, str) and ENV_NAME.fullmatch(events_env)
    ):
        raise ConfigError(
            f"{label}{where}: events_token_env must be the NAME of an environment variable "
            "(like HUB_VK_EVENTS_KLOCHKI), not the token itself"
        )
    from .registry.settings import parse_past_date

    since, created = (
        parse_past_date(raw[key], f"{label}{where}: {key}") if key in raw else None
        for key in ("existing_since", "created")
    )
    if since and created:
        raise ConfigError(
            f"{label}{where}: give existing_since (the page existed before the hub) or "
            "created (a new page), not both"
        )
    return Account(
        id=account_id,
        network=str(raw["network"]),
        external_id=str(raw["external_id"]).strip(),
        organization=str(raw.get("organization", "")),
        token_env=token_env,
        events_token_env=events_env,
        existing_since=since,
        created=created,
    )


def _check_unique(accounts: list[Account], where: str) -> None:
    ids: set[str] = set()
    natural: set[tuple[str, str]] = set()
    for account in accounts:
        if account.id in ids:
            raise ConfigError(f"account id {account.id!r} appears twice{where}; ids must be unique")
        key = (account.network, account.external_id)
        if key in natural:
            raise ConfigError(
                f"account {account.id!r}{where} repeats {account.network} community "
                f"{account.external_id}; each community is declared once"
            )
        ids.add(account.id)
        natural.add(key)
