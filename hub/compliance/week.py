"""ISO weeks counted in the municipality's time zone.

Why the zone matters: the acts ask for N posts "a week", and a week in Vladivostok
ends seven hours before Moscow's. A post at Sunday 23:30 local time belongs to that
week even though it is Sunday 13:30 UTC-wise too; one at Monday 00:10 local belongs
to the next, although in UTC it is still Sunday. The zone is ``[plan] time_zone``
(:func:`hub.plan.settings.parse_plan`), the same one the content plan schedules in.
A week runs Monday 00:00 to the next Monday 00:00 local time (ISO 8601).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ..errors import ConfigError
from ..store import parse_time, utc_text  # noqa: F401 - the week's callers import them here

WEEK_RE = re.compile(r"(\d{4})-W(\d{2})")
ONE_WEEK = timedelta(days=7)
#: a week's bounds in any zone (UTC-12 to UTC+14) and the Monday after it must be dates
FIRST_MONDAY, LAST_MONDAY = date.min + timedelta(days=2), date.max - timedelta(days=9)


@dataclass(frozen=True, order=True)
class Week:
    """One ISO week (``2026-W10``); its bounds depend on the zone it is read in."""

    year: int
    number: int

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.number, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    def start(self, zone: ZoneInfo) -> datetime:
        """Monday 00:00 in ``zone``, as an aware UTC datetime."""
        return datetime.combine(self.monday, time(0), tzinfo=zone).astimezone(UTC)

    def end(self, zone: ZoneInfo) -> datetime:
        """The next Monday 00:00 in ``zone`` (exclusive), as an aware UTC datetime."""
        return datetime.combine(self.monday + ONE_WEEK, time(0), tzinfo=zone).astimezone(UTC)

    def __str__(self) -> str:
        return self.label


def parse_week(text: str) -> Week:
    """``2026-W10`` → Week; anything else, or a week the year lacks, is one ConfigError line."""
    match = WEEK_RE.fullmatch((text or "").strip())
    if match:
        year, number = int(match.group(1)), int(match.group(2))
        try:
            monday = date.fromisocalendar(year, number, 1)
        except ValueError:
            pass
        else:
            if FIRST_MONDAY <= monday <= LAST_MONDAY:
                return Week(year, number)
    raise ConfigError(
        f"--week must look like 2026-W49: a year, -W and the ISO week 01 to 52 "
        f"(53 in long years); {text!r} is not such a week"
    )


def week_of(moment: datetime, zone: ZoneInfo) -> Week:
    """The week ``moment`` (aware; naive means UTC) falls in, read in ``zone``."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    year, number, _ = moment.astimezone(zone).isocalendar()
    return Week(year, number)


def previous_week(now: datetime, zone: ZoneInfo) -> Week:
    """The last completed week in ``zone``: what the weekly summary and the report carry."""
    current = week_of(now, zone)
    year, number, _ = (current.monday - ONE_WEEK).isocalendar()
    return Week(year, number)
