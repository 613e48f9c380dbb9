"""One week of the content plan per account: what is planned or out on each day, and the
forecast against the weekly norm — what the console's «Контент-план» shows.

Why a module of its own: the calendar reads drafts and posts together, in the
municipality's time zone (``[plan] time_zone``), and its forecast must be the figures
``hub compliance`` reports (:mod:`hub.compliance.figures`: the account's own posts so
far, plus approved drafts still pending and due by Sunday), so the two never disagree.

Reads only, with bounded, indexed queries: drafts due in the week (the
``drafts_state_due`` index), each account's own posts in the week (the ``posts``
``(account_id, published_at)`` index, at most ``POSTS_PER_ACCOUNT`` of them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from ..compliance import figures
from ..compliance.week import Week, parse_time, utc_text
from ..models import Account
from ..moderation.pipeline import own_author_ids
from ..store import Store
from .drafts import STATES
from .settings import PlanSettings

#: a week's posts shown per account (a busy page posts a few a day)
POSTS_PER_ACCOUNT = 60
#: drafts shown in one week (a municipality writes a handful)
DRAFTS_PER_WEEK = 500


@dataclass
class Entry:
    """One thing on one account's day: a draft's publication there, or a post already up."""

    account_id: str
    day: date
    at: datetime  # local time
    kind: str  # "draft" | "post"
    headline: str
    #: a draft's state (drafts.STATES); "published" for a post
    state: str
    #: a draft's publication state on this account (drafts.TARGET_STATES); None for a post
    target_state: str | None = None
    draft_id: int | None = None
    url: str | None = None


@dataclass
class Forecast:
    """The week's posts on one account against its norm (the compliance figures)."""

    account_id: str
    norm: int
    published: int
    #: approved drafts still pending and due this week; None once the week has ended
    planned: int | None
    #: "green" (the norm is met), "yellow" (not yet, the week runs), "red" (it ended short)
    status: str

    @property
    def total(self) -> int:
        return self.published + (self.planned or 0)

    @property
    def short(self) -> int:
        return max(0, self.norm - self.total)


def week_of_day(day: date) -> Week:
    """The ISO week a calendar day falls in."""
    year, number, _ = day.isocalendar()
    return Week(year, number)


def headline(title: str | None, text: str | None, width: int = 60) -> str:
    """A title, else the text's first line, cut at a word: one line in a calendar cell."""
    line = (title or "").strip() or next(
        (part.strip() for part in (text or "").splitlines() if part.strip()), ""
    )
    if len(line) <= width:
        return line
    return line[:width].rsplit(" ", 1)[0] + " …"


def week_entries(
    store: Store, accounts: list[Account], week: Week, settings: PlanSettings
) -> list[Entry]:
    """Drafts due in ``week`` and posts published in it, on ``accounts``, by time.

    A draft is placed on the day it went out on that account, else the day it is due;
    a post the hub published from a draft is shown once, as that draft.
    """
    zone = settings.time_zone
    start, end = week.start(zone), week.end(zone)
    wanted = {a.id for a in accounts}
    if not wanted:
        return []
    marks = ", ".join("?" for _ in STATES)
    rows = store.db.execute(
        "SELECT d.id, d.title, d.text, d.state, d.publish_at, t.account_id, t.state, "
        "t.published_at, t.url, t.post_network_id FROM drafts d "
        "JOIN draft_targets t ON t.draft_id = d.id "
        f"WHERE d.state IN ({marks}) AND d.publish_at >= ? AND d.publish_at < ? "
        "ORDER BY d.publish_at, d.id LIMIT ?",
        [*STATES, utc_text(start), utc_text(end), DRAFTS_PER_WEEK],
    ).fetchall()
    entries: list[Entry] = []
    from_drafts: set[tuple[str, int]] = set()
    for draft_id, title, text, state, due, account_id, t_state, out_at, url, post_id in rows:
        if account_id not in wanted:
            continue
        if post_id is not None:
            from_drafts.add((account_id, post_id))
        moment = (parse_time(out_at) or parse_time(due) or start).astimezone(zone)
        entries.append(
            Entry(
                account_id,
                moment.date(),
                moment,
                "draft",
                headline(title, text),
                state,
                target_state=t_state,
                draft_id=draft_id,
                url=url,
            )
        )
    for account in accounts:
        for network_id, published_at, text, url in _own_posts(store, account, start, end):
            if (account.id, network_id) in from_drafts:
                continue
            moment = (parse_time(published_at) or start).astimezone(zone)
            entries.append(
                Entry(
                    account.id,
                    moment.date(),
                    moment,
                    "post",
                    headline(None, text),
                    "published",
                    url=url,
                )
            )
    entries.sort(key=lambda e: (e.at, e.kind, e.draft_id or 0))
    return entries


def _own_posts(store: Store, account: Account, start: datetime, end: datetime) -> list[tuple]:
    """The account's own posts in [start, end), as :func:`figures.own_posts` counts them."""
    own = sorted(own_author_ids(store, account))
    marks = ", ".join("?" for _ in own) or "NULL"
    kinds = figures.NOT_PUBLISHED_KINDS
    return store.db.execute(
        "SELECT network_id, published_at, text, url FROM posts WHERE account_id = ? "
        "AND published_at >= ? AND published_at < ? AND (deleted_at IS NULL OR deleted_at >= ?) "
        f"AND (author_id IS NULL OR author_id IN ({marks})) "
        f"AND COALESCE(kind, 'post') NOT IN ({', '.join('?' for _ in kinds)}) "
        "ORDER BY published_at LIMIT ?",
        [account.id, utc_text(start), utc_text(end), utc_text(end), *own, *kinds,
         POSTS_PER_ACCOUNT],
    ).fetchall()  # fmt: skip


def forecast(
    store: Store,
    account: Account,
    week: Week,
    settings: PlanSettings,
    now: datetime | None = None,
) -> Forecast:
    """The week's own posts plus what is still planned in it, against the account's norm.

    The same rule as the compliance report: in the running week an approved draft
    overdue and still pending counts (it goes out at the next run), in an upcoming
    week only those due in it, and a finished week has no forecast.
    """
    zone = settings.time_zone
    start, end = week.start(zone), week.end(zone)
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    norm = settings.norm_for(account.organization or "")
    published = figures.own_posts(store, account, start, end)
    planned = None
    if moment < end:
        since = start if moment < start else None
        planned = figures.planned_posts(store, account.id, since, end)
    if published >= norm:
        status = "green"
    elif planned is not None:
        status = "yellow"
    else:
        status = "red"
    return Forecast(account.id, norm, published, planned, status)


def week_days(week: Week) -> list[date]:
    """Monday to Sunday."""
    return [week.monday + timedelta(days=n) for n in range(7)]
