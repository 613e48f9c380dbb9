"""Due dates of notices: calendar days, or working days of the Russian production calendar.

The acts give "10 days" (003) without saying which; a region may count working
days. Working days skip Saturdays, Sundays and the non-working days the
Government fixes each year — public holidays (Labour Code art. 112) and the days
off moved by its decrees — and count the Saturdays those decrees make working.
The lists below are the decrees' for 2025–2027; ``[notices] holidays`` adds
more (a regional holiday, a later year) without a new release.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta


def _days(*texts: str) -> frozenset[date]:
    return frozenset(date.fromisoformat(t) for t in texts)


def _span(first: str, last: str) -> list[str]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return [(start + timedelta(n)).isoformat() for n in range((end - start).days + 1)]


#: non-working days falling on Monday to Friday (weekend ones need no listing)
RUSSIAN_NON_WORKING_DAYS = _days(
    # 2025 (decree of 04.10.2024 No. 1335)
    *_span("2025-01-01", "2025-01-08"),
    "2025-05-01",
    "2025-05-02",
    "2025-05-08",
    "2025-05-09",
    "2025-06-12",
    "2025-06-13",
    "2025-11-03",
    "2025-11-04",
    "2025-12-31",
    # 2026 (decree of 24.09.2025)
    *_span("2026-01-01", "2026-01-09"),
    "2026-02-23",
    "2026-03-09",
    "2026-05-01",
    "2026-05-11",
    "2026-06-12",
    "2026-11-04",
    "2026-12-31",
    # 2027
    *_span("2027-01-01", "2027-01-08"),
    "2027-02-22",
    "2027-02-23",
    "2027-03-08",
    "2027-05-03",
    "2027-05-10",
    "2027-06-14",
    "2027-11-04",
    "2027-11-05",
    "2027-12-31",
)
#: Saturdays the decrees make working days (the other half of a moved day off)
RUSSIAN_WORKING_SATURDAYS = _days("2025-11-01", "2027-02-20")


def is_working_day(day: date, extra_holidays: Iterable[date] = ()) -> bool:
    if day in RUSSIAN_WORKING_SATURDAYS:
        return True
    if day.weekday() >= 5:
        return False
    return day not in RUSSIAN_NON_WORKING_DAYS and day not in set(extra_holidays)


def due_date(
    occurred: date,
    days: int,
    *,
    working_days: bool = False,
    extra_holidays: Iterable[date] = (),
) -> date:
    """The last day to report something that happened on ``occurred``.

    The day of the event is not counted (as in Civil Code art. 191): ten calendar
    days from Monday the 2nd end on Thursday the 12th; ten working days count
    only the days :func:`is_working_day` accepts.
    """
    if not working_days:
        return occurred + timedelta(days=days)
    holidays = frozenset(extra_holidays)
    day, left = occurred, days
    while left > 0:
        day += timedelta(days=1)
        if is_working_day(day, holidays):
            left -= 1
    return day
