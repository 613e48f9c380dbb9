"""The ``[compliance]`` table and the three statuses every line of the report gets.

    [compliance]
    removal_green_minutes = 60      # an offending comment gone within an hour: green
    removal_yellow_minutes = 1440   # within a day: yellow; longer, or still up: red

Why these defaults: the acts ask that offending comments be deleted (000 §2.5,
001 §9, 002 §8, 003 §2.6, 004 §2.6) but name no deadline; the hub moderates on
every sync, so an hour is what prompt removal looks like when it works, and a day
is the longest a municipality that checks once a working day would take. Every
mistake is one ConfigError line naming the key.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError

GREEN, YELLOW, RED = "green", "yellow", "red"
STATUSES = (GREEN, YELLOW, RED)
COMPLIANCE_KEYS = {"removal_green_minutes", "removal_yellow_minutes"}
DEFAULT_GREEN_MINUTES = 60
DEFAULT_YELLOW_MINUTES = 24 * 60
MAX_MINUTES = 30 * 24 * 60


def worst(statuses: Iterable[str]) -> str:
    """Red beats yellow beats green; nothing to judge is green."""
    found = set(statuses)
    return next((s for s in (RED, YELLOW) if s in found), GREEN)


@dataclass(frozen=True)
class ComplianceSettings:
    removal_green_minutes: int = DEFAULT_GREEN_MINUTES
    removal_yellow_minutes: int = DEFAULT_YELLOW_MINUTES

    def removal_status(self, seconds: float | None) -> str:
        """How long an offending comment stayed up, against the targets."""
        if seconds is None or seconds <= self.removal_green_minutes * 60:
            return GREEN
        return YELLOW if seconds <= self.removal_yellow_minutes * 60 else RED


def _minutes(table: dict[str, Any], key: str, default: int) -> int:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_MINUTES:
        raise ConfigError(
            f"[compliance] {key} must be a whole number of minutes from 1 to {MAX_MINUTES}"
        )
    return value


def parse_compliance(raw_config: dict[str, Any]) -> ComplianceSettings:
    """Read and check ``[compliance]`` from the whole parsed config (``Config.raw``)."""
    table = raw_config.get("compliance", {})
    if not isinstance(table, dict):
        raise ConfigError("[compliance] must be a table")
    unknown = set(table) - COMPLIANCE_KEYS
    if unknown:
        raise ConfigError(
            f"[compliance]: unknown key {sorted(unknown)[0]!r}; "
            f"allowed keys: {', '.join(sorted(COMPLIANCE_KEYS))}"
        )
    green = _minutes(table, "removal_green_minutes", DEFAULT_GREEN_MINUTES)
    yellow = _minutes(table, "removal_yellow_minutes", DEFAULT_YELLOW_MINUTES)
    if yellow < green:
        raise ConfigError(
            f"[compliance] removal_yellow_minutes ({yellow}) must not be below "
            f"removal_green_minutes ({green})"
        )
    return ComplianceSettings(green, yellow)
