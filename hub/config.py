"""Loading and validating the TOML config.

The config is found at ``--config PATH``, else ``$HUB_CONFIG``, else
``./config/hub.toml``. Every problem becomes one :class:`ConfigError` line that
names the key and how to fix it, raised before anything is written.
Secrets never sit in the file: accounts name the environment variable holding
their token (``token_env``).

This module reads the core's sections (``[database]``, ``[networks]``,
``[[accounts]]``, ``[sync]``, ``[ui]``) and imports no feature package: each
feature's settings live with the feature (``[plan]``: hub.plan.settings,
``[registry]``: hub.registry.settings, ...), all read through one helper,
:class:`hub.settings.Section`, so every section refuses an unknown key and a bad
value in the same words. The features whose mistakes must stop a run before any
work are named in :data:`LOAD_CHECKS` as ``"module:function"`` text, imported
when a config is loaded. Why text rather than imports or a registry the features
fill in at import: features import this module (for :class:`Config`), so importing
them here is a cycle; and a registration made at import would check a section only
if something had happened to import its feature first, so a script or a test
calling :func:`load_config` alone would skip the check without a word. Text names
keep the dependency one way and the checks unconditional; a test imports every
entry, so a renamed function fails the build rather than a load.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .i18n import _, parse_ui
from .models import Account
from .settings import Section, check_past_date

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
    "watch",
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
    "web",  # [web] the console: hub.web.settings
    "appeals",  # [appeals] deadlines, topics, places: hub.appeals.settings
}
#: the features' checks run on every load, in this order, after the core's sections:
#: ``"module:function"``, the function called with the :class:`Config` being returned
#: (see the module's docstring for why they are text). The other feature sections
#: ([compliance], [notices], [daemon], [gospabliki]) are checked when their feature runs.
LOAD_CHECKS = (
    "hub.registry.settings:check_config",  # [[organizations]], accounts' organizations, [registry]
    "hub.plan.settings:check_config",  # [plan]
    "hub.moderation.policy:check_config",  # [moderation]: the policies
    "hub.appeals.settings:check_config",  # [appeals]
)


@dataclass
class SyncSettings:
    #: posts younger than this get their comments re-checked when their counters change
    recent_window_days: int = 30
    #: every post of the window has its comments read again once in this many hours, even
    #: when its counters did not move (a swap, an edit); spread over the syncs; 0 = never
    reconcile_hours: int = 24


SYNC_KEYS = {"recent_window_days", "reconcile_hours"}


def _sync_settings(data: dict[str, Any], where: str) -> SyncSettings:
    """The [sync] table, each value checked, a misspelled key refused."""
    table = Section.of(data, "sync", SYNC_KEYS, where)
    return SyncSettings(
        recent_window_days=table.whole("recent_window_days", 30, 0, 3650, unit="days"),
        reconcile_hours=table.whole("reconcile_hours", 24, 0, 8760, unit="hours", zero="never"),
    )


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

    @property
    def own_accounts(self) -> list[Account]:
        """The municipality's own pages: every account but the ``watch = true`` ones.

        A watch page (the governor's, the region's) is synced read-only for its appeals,
        but it is not the municipality's: the registry never lists it (no export line, no
        "account created" notice: hub.registry) and ``hub compliance`` never judges it
        (posts, page, 2FA…); its appeals still count for the organization that watches it.
        Whatever lists the municipality's pages reads this, not :attr:`accounts`.
        """
        return [account for account in self.accounts if not account.watch]

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
    database = Section.of(data, "database", {"path"}, where)
    db_file = database.text("path", "hub.db", default="hub.db")
    db_path = Path(db_override) if db_override else base / db_file
    networks = Section.of(data, "networks", None, where).table
    for name, settings in networks.items():  # each plugin checks its own keys when it starts
        label = f"[networks.{name}]"
        _reject_secrets(Section(settings, label, None, where).table, label, where)
    sync = _sync_settings(data, where)
    raw_accounts = data.get("accounts", [])
    if not isinstance(raw_accounts, list):
        raise ConfigError(f"'accounts'{where} must be an array of tables: [[accounts]]")
    accounts = [_parse_account(raw, i, where) for i, raw in enumerate(raw_accounts)]
    _check_unique(accounts, where)
    parse_ui(data, where)  # the language itself was chosen at start-up (hub.i18n.setup)
    config = Config(
        path=path,
        db_path=db_path,
        networks=networks,
        accounts=accounts,
        sync=sync,
        moderation=Section.of(data, "moderation", None, where).table,
        raw=data,
    )
    for check in LOAD_CHECKS:  # the features' sections, checked before any work
        module, function = check.split(":")
        getattr(import_module(module), function)(config)
    return config


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
    Section(raw, label, ACCOUNT_KEYS, where)
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
    since, created = (
        check_past_date(raw[key], f"{label}{where}: {key}") if key in raw else None
        for key in ("existing_since", "created")
    )
    if since and created:
        raise ConfigError(
            f"{label}{where}: give existing_since (the page existed before the hub) or "
            "created (a new page), not both"
        )
    watch = raw.get("watch", False)
    if not isinstance(watch, bool):
        raise ConfigError(f"{label}{where}: watch must be true or false")
    return Account(
        id=account_id,
        network=str(raw["network"]),
        external_id=str(raw["external_id"]).strip(),
        organization=str(raw.get("organization", "")),
        token_env=token_env,
        events_token_env=events_env,
        existing_since=since,
        created=created,
        watch=watch,
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
