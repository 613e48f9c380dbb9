"""The ``[compliance]`` table and the three statuses every line of the report gets.

    [compliance]
    removal_green_minutes = 60      # an offending comment gone within an hour: green
    removal_yellow_minutes = 1440   # within a day: yellow; longer, or still up: red

Why these defaults: the acts ask that offending comments be deleted (000 §2.5,
001 §9, 002 §8, 003 §2.6, 004 §2.6) but name no deadline; the hub moderates on
every sync, so an hour is what prompt removal looks like when it works, and a day
is the longest a municipality that checks once a working day would take. Every
mistake is one ConfigError line naming the key (:class:`hub.settings.Section`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError
from ..settings import Section

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


def parse_compliance(raw_config: dict[str, Any]) -> ComplianceSettings:
    """Read and check ``[compliance]`` from the whole parsed config (``Config.raw``)."""
    table = Section.of(raw_config, "compliance", COMPLIANCE_KEYS)
    green = table.whole(
        "removal_green_minutes", DEFAULT_GREEN_MINUTES, 1, MAX_MINUTES, unit="minutes"
    )
    yellow = table.whole(
        "removal_yellow_minutes", DEFAULT_YELLOW_MINUTES, 1, MAX_MINUTES, unit="minutes"
    )
    if yellow < green:
        raise ConfigError(
            f"[compliance] removal_yellow_minutes ({yellow}) must not be below "
            f"removal_green_minutes ({green})"
        )
    return ComplianceSettings(green, yellow)
