"""The ``[plan]`` table: the municipality's time zone, the posting norm, the lint threshold.

One table because the content plan, the daemon that publishes it and the weekly
compliance report must agree on them: a week is counted in the municipality's
time zone, and a draft's "publish at 09:00" means 09:00 there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import ConfigError
from ..settings import Section, check_table, check_whole

if TYPE_CHECKING:
    from ..config import Config

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
    table = Section.of(raw_config, "plan", PLAN_KEYS)
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
    per_week = table.whole("posts_per_week", DEFAULT_POSTS_PER_WEEK, 1, 100)
    norms_raw = check_table(
        table.get("norms", {}), "[plan.norms]", " of organization = posts per week"
    )
    norms = {
        str(org): check_whole(n, f"[plan.norms] {org!r}", 1, 100) for org, n in norms_raw.items()
    }
    known = _organizations(raw_config)
    for org in norms:
        if org not in known:
            listed = ", ".join(f"«{k}»" for k in sorted(known)) or "none declared"
            raise ConfigError(
                f"[plan.norms] names organization «{org}», which no [[organizations]] or account "
                f"declares (a typo?); known: {listed}"
            )
    threshold = table.whole("lint_threshold", DEFAULT_LINT_THRESHOLD, 0, 100)
    return PlanSettings(zone, per_week, norms, threshold)


def check_config(config: Config) -> None:
    """Run on every load (``hub.config.LOAD_CHECKS``): a bad [plan] stops before any work."""
    parse_plan(config.raw)
