"""The daemon's ``[daemon]`` settings: how often each account syncs and each job runs.

[daemon]
sync_seconds = { vk = 300, ok = 600, telegram = 30 }   # per network
account_sync_seconds = { "klochki-vk" = 60 }           # per account, overriding its network
moderate_seconds = 120
notices_seconds = 3600
report_seconds = 86400          # the Gospabliki push, when [gospabliki] is configured
publish_seconds = 60            # how often due drafts of the content plan are published
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..config import Config
from ..errors import ConfigError

DEFAULT_SYNC = {"vk": 300, "ok": 600, "telegram": 30}
KEYS = {
    "sync_seconds",
    "account_sync_seconds",
    "moderate_seconds",
    "notices_seconds",
    "report_seconds",
    "publish_seconds",
}


def _seconds(value: Any, label: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 1 <= value <= 7 * 86400:
        raise ConfigError(f"[daemon] {label} must be a number of seconds from 1 to 604800")
    return float(value)


@dataclass(frozen=True)
class Intervals:
    sync: dict[str, float] = field(default_factory=dict)
    accounts: dict[str, float] = field(default_factory=dict)
    moderate: float = 120.0
    notices: float = 3600.0
    report: float = 86400.0
    publish: float = 60.0

    def for_account(self, account_id: str, network: str) -> float:
        if account_id in self.accounts:
            return self.accounts[account_id]
        return self.sync.get(network, DEFAULT_SYNC.get(network, 300.0))


def load_intervals(config: Config) -> Intervals:
    table = config.raw.get("daemon", {})
    if not isinstance(table, dict):
        raise ConfigError("[daemon] must be a table")
    unknown = set(table) - KEYS
    if unknown:
        raise ConfigError(
            f"[daemon] has an unknown key {sorted(unknown)[0]!r}; known: {', '.join(sorted(KEYS))}"
        )
    for key in ("sync_seconds", "account_sync_seconds"):
        if not isinstance(table.get(key, {}), dict):
            raise ConfigError(f"[daemon] {key} must be a table like {{ vk = 300 }}")
    sync = {**DEFAULT_SYNC}
    for name, value in (table.get("sync_seconds") or {}).items():
        sync[name] = _seconds(value, f"sync_seconds.{name}")
    accounts = {}
    known = {a.id for a in config.accounts}
    for account_id, value in (table.get("account_sync_seconds") or {}).items():
        if account_id not in known:
            raise ConfigError(f"[daemon] account_sync_seconds names unknown account {account_id!r}")
        accounts[account_id] = _seconds(value, f"account_sync_seconds.{account_id}")
    return Intervals(
        sync=sync,
        accounts=accounts,
        moderate=_seconds(table.get("moderate_seconds", 120), "moderate_seconds"),
        notices=_seconds(table.get("notices_seconds", 3600), "notices_seconds"),
        report=_seconds(table.get("report_seconds", 86400), "report_seconds"),
        publish=_seconds(table.get("publish_seconds", 60), "publish_seconds"),
    )
