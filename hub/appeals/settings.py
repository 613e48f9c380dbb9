"""The ``[appeals]`` table: how long a municipality has to answer, what it is asked about,
and which places make a comment on a regional page its own.

    [appeals]
    answer_within_hours = 24          # the regional centres' rule: an answer within a day
    working_days = false              # true: the clock stops on weekends and holidays
    working_hours = "09:00-18:00"     # optional: the clock runs only in these hours
    places = ["Клочки", "улица Ленина", "школа №1"]   # for watch pages
    look_back_days = 1                # the first pass looks a day back, not at all history

    [appeals.topics]                  # replaces the default topics when given
    ЖКХ = ["отоплен", "батаре", "мусор"]

    [appeals.organizations."Администрация Клочковского сельсовета"]
    answer_within_hours = 48
    working_days = true

The calendar is the registry's (Russian non-working days and moved Saturdays, plus
``[notices] holidays``), the time zone the content plan's (``[plan] time_zone``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, time
from typing import Any
from zoneinfo import ZoneInfo

from ..errors import ConfigError
from ..plan.settings import parse_plan
from ..registry.settings import parse_notices
from ..settings import Section, check_table, check_whole

APPEALS_KEYS = {
    "answer_within_hours", "working_days", "working_hours", "places", "topics",
    "look_back_days", "organizations",
}  # fmt: skip
DEADLINE_KEYS = {"answer_within_hours", "working_days", "working_hours"}
HOURS = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


@dataclass(frozen=True)
class Deadline:
    """How the answer clock runs for one organization."""

    hours: int = 24
    working_days: bool = False
    #: (start, end) of the working day; None: the clock runs round the day
    working_hours: tuple[time, time] | None = None


@dataclass(frozen=True)
class AppealSettings:
    default: Deadline = field(default_factory=Deadline)
    by_organization: dict[str, Deadline] = field(default_factory=dict)
    places: tuple[str, ...] = ()
    #: topic → words; empty: the detector's own defaults
    topics: dict[str, tuple[str, ...]] = field(default_factory=dict)
    look_back_days: int = 1
    time_zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Moscow"))
    holidays: frozenset[date] = field(default_factory=frozenset)

    def deadline_for(self, organization: str | None) -> Deadline:
        return self.by_organization.get(organization or "", self.default)


def _working_hours(value: Any, what: str) -> tuple[time, time] | None:
    if value is None:
        return None
    found = HOURS.match(value.strip()) if isinstance(value, str) else None
    if found:
        h1, m1, h2, m2 = (int(g) for g in found.groups())
        if h1 < 24 and h2 <= 24 and m1 < 60 and m2 < 60 and (h1, m1) < (h2, m2):
            end = time(23, 59, 59) if h2 == 24 else time(h2, m2)
            return time(h1, m1), end
    raise ConfigError(f'{what} = {value!r} must be a span of the day like "09:00-18:00"')


def _deadline(section: Section, base: Deadline) -> Deadline:
    deadline = base
    if "answer_within_hours" in section:
        hours = section.whole("answer_within_hours", 24, 1, 24 * 60, unit="hours")
        deadline = replace(deadline, hours=hours)
    if "working_days" in section:
        deadline = replace(deadline, working_days=section.flag("working_days", False))
    if "working_hours" in section:
        spans = _working_hours(section.get("working_hours"), section.what("working_hours"))
        deadline = replace(deadline, working_hours=spans)
    return deadline


def _words(value: Any, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f'{what} must be a list of words, like ["отоплен", "батаре"]')
    return tuple(v.strip() for v in value)


def parse_appeals(raw_config: dict[str, Any]) -> AppealSettings:
    """Read and check ``[appeals]``; every mistake is one ConfigError line naming the key."""
    table = Section.of(raw_config, "appeals", APPEALS_KEYS)
    default = _deadline(table, Deadline())
    organizations = check_table(table.get("organizations", {}), '[appeals.organizations."Name"]')
    by_org = {
        name: _deadline(Section(t, f'[appeals.organizations."{name}"]', DEADLINE_KEYS), default)
        for name, t in organizations.items()
    }
    topics_raw = check_table(table.get("topics", {}), "[appeals.topics]", ' like ЖКХ = ["…"]')
    topics = {str(k): _words(v, f"[appeals.topics] {k!r}") for k, v in topics_raw.items()}
    places = _words(table.get("places", []), table.what("places")) if "places" in table else ()
    look_back = check_whole(
        table.get("look_back_days", 1), table.what("look_back_days"), 0, 365, unit="days"
    )
    return AppealSettings(
        default=default,
        by_organization=by_org,
        places=places,
        topics=topics,
        look_back_days=look_back,
        time_zone=parse_plan(raw_config).time_zone,
        holidays=parse_notices(raw_config).holidays,
    )


def check_config(config) -> None:
    """Run on every load (``hub.config.LOAD_CHECKS``): a bad ``[appeals]`` stops before work."""
    parse_appeals(config.raw)
