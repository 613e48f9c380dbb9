"""The daemon's ``[daemon]`` settings: how often each account syncs and each job runs.

[daemon]
sync_seconds = { vk = 300, ok = 600, telegram = 30 }   # per network (default: the network's own)
account_sync_seconds = { "klochki-vk" = 60 }           # per account, overriding its network
moderate_seconds = 120
notices_seconds = 3600
report_seconds = 86400          # the Gospabliki push, when [gospabliki] is configured
publish_seconds = 60            # how often due drafts of the content plan are published
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..config import Config
from ..errors import ConfigError
from ..network import Network
from ..settings import Section, check_number

KEYS = {
    "sync_seconds",
    "account_sync_seconds",
    "moderate_seconds",
    "notices_seconds",
    "report_seconds",
    "publish_seconds",
}


def _seconds(value: Any, label: str) -> float:
    return check_number(value, f"[daemon] {label}", 1, 7 * 86400, unit="seconds")


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
        return self.sync.get(network, Network.default_sync_seconds)


def default_sync(networks: Mapping[str, type[Network]]) -> dict[str, float]:
    """Each registered network's own sync interval (:attr:`Network.default_sync_seconds`)."""
    return {name: float(cls.default_sync_seconds) for name, cls in networks.items()}


def load_intervals(
    config: Config, networks: Mapping[str, type[Network]] | None = None
) -> Intervals:
    """The ``[daemon]`` intervals; a network not named in ``sync_seconds`` keeps its own."""
    table = Section.of(config.raw, "daemon", KEYS)
    for key in ("sync_seconds", "account_sync_seconds"):
        table.subtable(key, like=" like { vk = 300 }")
    sync = default_sync(networks or {})
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
