"""When an appeal is due: so many hours after it was received, counted on the clock the
organization works by (round the day, working days only, working hours only)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ..registry.calendar import is_working_day
from .settings import AppealSettings, Deadline

#: a deadline further than this is a configuration that never comes due: stop counting
_MAX_DAYS = 400


def due_at(received: datetime, deadline: Deadline, settings: AppealSettings) -> datetime:
    """``received`` plus ``deadline.hours`` of the organization's working time (UTC)."""
    if not deadline.working_days and deadline.working_hours is None:
        return received + timedelta(hours=deadline.hours)
    zone = settings.time_zone
    moment = received.astimezone(zone)
    left = timedelta(hours=deadline.hours)
    for _ in range(_MAX_DAYS):
        day = moment.date()
        start, end = _open_span(moment, deadline, settings)
        if start is not None and end is not None and moment < end:
            begin = max(moment, start)
            available = end - begin
            if left <= available:
                return (begin + left).astimezone(UTC)
            left -= available
        next_day = datetime.combine(day + timedelta(days=1), datetime.min.time(), zone)
        moment = next_day
    return (moment + left).astimezone(UTC)


def _open_span(moment: datetime, deadline: Deadline, settings: AppealSettings):
    """The part of ``moment``'s day the clock runs, as two aware datetimes (or None)."""
    day, zone = moment.date(), moment.tzinfo
    if deadline.working_days and not is_working_day(day, settings.holidays):
        return None, None
    if deadline.working_hours is None:
        start = datetime.combine(day, datetime.min.time(), zone)
        return start, start + timedelta(days=1)
    first, last = deadline.working_hours
    return datetime.combine(day, first, zone), datetime.combine(day, last, zone)
