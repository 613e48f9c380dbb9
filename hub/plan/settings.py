"""The ``[plan]`` table: the municipality's time zone, the posting norm, the lint threshold.

One table because the content plan, the daemon that publishes it and the weekly
compliance report must agree on them: a week is counted in the municipality's
time zone, and a draft's "publish at 09:00" means 09:00 there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import ConfigError

PLAN_KEYS = {"time_zone", "posts_per_week", "norms", "lint_threshold"}
DEFAULT_TIME_ZONE = "Europe/Moscow"
#: the acts ask for 2–5 posts a week; 3 is the middle an organization gets unless configured
DEFAULT_POSTS_PER_WEEK = 3
DEFAULT_LINT_THRESHOLD = 40


@dataclass(frozen=True)
class PlanSettings:
    time_zone: ZoneInfo = field(default_factory=lambda: ZoneInfo(DEFAULT_TIME_ZONE))
    posts_per_week: int = DEFAULT_POSTS_PER_WEEK
    #: organization name → its own weekly norm
    norms: dict[str, int] = field(default_factory=dict)
    #: approval warns when a draft's bureaucratese score is above this (0–100)
    lint_threshold: int = DEFAULT_LINT_THRESHOLD

    def norm_for(self, organization: str) -> int:
        return self.norms.get(organization, self.posts_per_week)


def _whole(value: Any, label: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"{label} must be a whole number from {low} to {high}")
    return value


def _organizations(raw_config: dict[str, Any]) -> set[str]:
    """Organization names the config declares, as tables or as accounts' owners."""
    names = set()
    for table in raw_config.get("organizations") or []:
        if isinstance(table, dict) and isinstance(table.get("name"), str):
            names.add(table["name"])
    for account in raw_config.get("accounts") or []:
        if isinstance(account, dict) and isinstance(account.get("organization"), str):
            names.add(account["organization"])
    return names


def parse_plan(raw_config: dict[str, Any]) -> PlanSettings:
    """Read and check ``[plan]``; every mistake is one ConfigError line naming the key."""
    table = raw_config.get("plan", {})
    if not isinstance(table, dict):
        raise ConfigError("[plan] must be a table")
    unknown = set(table) - PLAN_KEYS
    if unknown:
        raise ConfigError(
            f"[plan]: unknown key {sorted(unknown)[0]!r}; "
            f"allowed keys: {', '.join(sorted(PLAN_KEYS))}"
        )
    zone_name = table.get("time_zone", DEFAULT_TIME_ZONE)
    try:
        if not isinstance(zone_name, str) or not zone_name.strip():
            raise ZoneInfoNotFoundError(zone_name)
        zone = ZoneInfo(zone_name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"[plan] time_zone {zone_name!r} is not a known time zone; "
            'use an IANA name like "Europe/Moscow" or "Asia/Vladivostok"'
        ) from None
    per_week = _whole(
        table.get("posts_per_week", DEFAULT_POSTS_PER_WEEK), "[plan] posts_per_week", 1, 100
    )
    norms_raw = table.get("norms", {})
    if not isinstance(norms_raw, dict):
        raise ConfigError("[plan.norms] must be a table of organization = posts per week")
    norms = {str(org): _whole(n, f"[plan.norms] {org!r}", 1, 100) for org, n in norms_raw.items()}
    known = _organizations(raw_config)
    for org in norms:
        if org not in known:
            listed = ", ".join(f"«{k}»" for k in sorted(known)) or "none declared"
            raise ConfigError(
                f"[plan.norms] names organization «{org}», which no [[organizations]] or account "
                f"declares (a typo?); known: {listed}"
            )
    threshold = _whole(
        table.get("lint_threshold", DEFAULT_LINT_THRESHOLD), "[plan] lint_threshold", 0, 100
    )
    return PlanSettings(zone, per_week, norms, threshold)
