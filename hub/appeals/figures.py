"""A week's appeals figures per account, read from the store: what ``hub compliance`` and
the weekly summary show (:mod:`hub.compliance.build` turns them into a status).

Everything is as things stood at the **cutoff**: the week's end, or now while it runs, so a
finished week's figures do not change when one of its appeals is answered later. For the
week [start, end) and that cutoff:

- ``received``: appeals received in the week (up to the cutoff);
- ``due``: appeals that came due in the week, less those a person closed (a duplicate, not
  in competence…) by their deadline: those needed no answer; ``answered_on_time``: of
  them, answered by their deadline (``answered_at`` ≤ ``due_at``) — an answer given before
  the week, for an appeal due in it, counts;
- ``answered``: answers given in the week, whenever the appeal came; ``late``: those of
  them given after the deadline, and appeals closed without an answer in the week after
  their deadline had passed (closing does not hide a wait);
- ``median_response_minutes``: the median of the week's answers' response times;
  ``max_response_minutes``: the longest of them, or of the age at the cutoff of an appeal
  still open past its deadline, whichever is longer: an appeal never answered is the
  worst case, so it counts as its age so far (``oldest_overdue_minutes`` says how old the
  oldest of those is); None when there is nothing to measure;
- ``open``: appeals open at the cutoff (received before it, not yet answered or closed),
  whenever received; ``overdue``: those of them past their deadline; ``pending``: the
  rest, still in time, ``next_due_at`` the earliest of their deadlines (UTC).

One query for every account (the appeals table is small next to comments); a database
from before the appeals (no table) has none, so everything is zero and green.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from ..store import Store, parse_time, utc_text

#: the appeals that can touch a week: received, come due, answered or closed since its start,
#: or still open; all received before the cutoff
WEEK_SQL = (
    "SELECT account_id, status, received_at, due_at, answered_at, closed_at, response_minutes "
    "FROM appeals WHERE received_at < :cutoff AND (received_at >= :start OR due_at >= :start "
    "OR answered_at >= :start OR closed_at >= :start OR status = 'open')"
)


def week_rows(
    store: Store, account_ids: Iterable[str], start: datetime, end: datetime, as_of: datetime
) -> dict[str, list[dict[str, Any]]]:
    """The appeals that may count for the week, by account (every id given has a list)."""
    out: dict[str, list[dict[str, Any]]] = {a: [] for a in account_ids}
    if "appeals" not in store.db.table_names():
        return out
    cursor = store.db.execute(
        WEEK_SQL, {"start": utc_text(start), "cutoff": utc_text(min(as_of, end))}
    )
    columns = [d[0] for d in cursor.description]
    for values in cursor.fetchall():
        row = dict(zip(columns, values, strict=True))
        if row["account_id"] in out:
            out[row["account_id"]].append(row)
    return out


def _minutes(seconds: float) -> int:
    return max(0, int(seconds // 60))


def week_figures(
    rows: Iterable[dict[str, Any]], start: datetime, end: datetime, as_of: datetime
) -> dict[str, Any]:
    """The figures of the module's docstring over ``rows`` (one account's, or several
    accounts' together for an organization): no status, the caller judges."""
    s, cutoff = utc_text(start), utc_text(min(as_of, end))
    received = due = on_time = answered = late = 0
    responses: list[int] = []
    overdue_ages: list[int] = []
    open_now = overdue = 0
    next_due: str | None = None
    for row in rows:
        got, due_at = row["received_at"], row["due_at"]
        answered_at = row["answered_at"] if row["status"] == "answered" else None
        closed_at = row["closed_at"] if row["status"] == "closed" else None
        if s <= got < cutoff:
            received += 1
        if s <= due_at < cutoff and not (closed_at and closed_at <= due_at):
            due += 1
            on_time += bool(answered_at and answered_at <= due_at)
        if answered_at and s <= answered_at < cutoff:
            answered += 1
            late += answered_at > due_at
            if row["response_minutes"] is not None:
                responses.append(int(row["response_minutes"]))
        if closed_at and s <= closed_at < cutoff and closed_at > due_at:
            late += 1
        done = answered_at or closed_at
        if got < cutoff and not (done and done < cutoff):
            open_now += 1
            if due_at < cutoff:
                overdue += 1
                age = parse_time(cutoff) - parse_time(got)
                overdue_ages.append(_minutes(age.total_seconds()))
            elif next_due is None or due_at < next_due:
                next_due = due_at
    longest = responses + overdue_ages
    return {
        "received": received,
        "due": due,
        "answered_on_time": on_time,
        "answered": answered,
        "late": late,
        "median_response_minutes": round(statistics.median(responses)) if responses else None,
        "max_response_minutes": max(longest) if longest else None,
        "open": open_now,
        "overdue": overdue,
        "oldest_overdue_minutes": max(overdue_ages) if overdue_ages else None,
        "pending": open_now - overdue,
        "next_due_at": next_due,
    }
