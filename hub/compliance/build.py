"""One week's compliance report: a line per account and per organization, each with a status.

Statuses (green / yellow / red), per check and per line (the worst check wins):

- posts: green when the week's own posts reach the norm; while the week is still
  running (or has not begun) it is in progress: yellow, with the forecast — posts so
  far plus approved drafts due by Sunday and still pending — saying whether the norm
  will be met ("on track by Sunday", "2 posts short by Sunday"), since posts may still
  come until Sunday night; a finished week has no forecast: short is red;
- page: see :mod:`.page`; 2FA and Gospabliki: attested/connected green, attested off
  red, nothing on record yellow (``hub accounts attest ACCOUNT --2fa --gospabliki``);
- removals: the longest an offending comment stayed up (removed or still up) against
  ``[compliance]`` (:mod:`.settings`), counted from when the hub could see it
  (:mod:`.figures`); none at all is green;
- appeals (residents' questions, complaints and requests: :mod:`hub.appeals`; the figures
  are :mod:`hub.appeals.figures`, as they stood at the week's end, or now while it runs):
  **red** when any appeal is open past its deadline (``appeals_overdue``), whenever it was
  received; **yellow** when an answer given in the week came after the deadline, or an
  appeal was closed without an answer after it (``appeals_late``), or, while the week still
  runs, an appeal waits for an answer not yet due (``appeals_pending``); **green** otherwise —
  every appeal that came due in the week was answered by its deadline (or closed before it
  as needing none), and none is overdue; no appeals at all is green. Each appeal is judged
  in the week it falls due: one still open, in time, when a week ended is the next week's;
  a finished week is not yellow for it. "Longest" counts an appeal still open past its
  deadline as its age so far; the median is of the week's answers only;
- notices: any overdue notice to the regional centre is red.

Only the municipality's own pages get a line (``Config.own_accounts``): a ``watch = true``
page (the governor's, the region's) is not judged on posts, page or 2FA, but the appeals
found on it are its organization's to answer, so they count in that organization's
``appeals`` (and, when not green, in its ``reasons`` naming the page). A watch page whose
organization has no line of its own (undeclared, without own pages) is left out: no line is
made up for it.

A week that ended before the hub watched an account (its first sync, else the hub's
install: :func:`.figures.installed_at`) is not judged for it: the hub could not have
moderated it, and its page and attestations then are not known. Such a line keeps its
figures, has ``judged: false`` and every status green, and says so in ``notes``
("before the hub was installed"); a week that ended before the hub's install has
``state: before_install`` and no organization is judged either.

The norm is per account: the acts count posts "в аккаунтах" and "на каждой
официальной странице" (000 §2.1, 001 §5, 002 §6, 004 §2), so a municipality with a VK
and an OK page posts the norm on each. The account takes its organization's norm
(``[plan] norms``, else ``posts_per_week``). An organization's line rolls its accounts
up (worst status wins; posts are summed and it says how many accounts met the norm)
and adds its own overdue notices; an organization that is not exempt and has no
account is red, an exempt one without accounts green.

Why a line is not green is said twice: ``notes`` (English phrases, in check order)
and ``reasons`` (the same phrases as {check, reason, status, text}, red ones first), so a
reader can tell which reason made the line red and which only yellow. ``reason`` is a
stable key for the problem (``posts_short``, ``page_missing``, ``removal_still_up``…) that
the Russian page translates; each removal figure earns its own status.

The JSON shape (``schema: pablik-hub/compliance@1``) is documented in :mod:`.render`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ..appeals import figures as appeal_figures
from ..config import Config
from ..models import Account
from ..plan.settings import parse_plan
from ..registry.model import list_orgs
from ..store import Store
from . import figures
from .page import PAGE_FIELDS, network_page_fields, page_completeness
from .settings import GREEN, RED, STATUSES, YELLOW, ComplianceSettings, parse_compliance, worst
from .week import Week, parse_time, utc_text

SCHEMA = "pablik-hub/compliance@1"
#: the name shown for accounts whose config names no organization
NO_ORGANIZATION = "Организация не указана"
CHECKS = ("posts", "page", "two_factor", "gospabliki", "removal", "appeals", "notices")


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _posts(count: int, norm: int, planned: int | None) -> dict[str, Any]:
    forecast = None if planned is None else count + planned
    reach = count if forecast is None else forecast
    if count >= norm:
        status = GREEN
    elif forecast is not None:  # the week runs: in progress, red only once it has ended
        status = YELLOW
    else:
        status = RED
    return {
        "count": count,
        "norm": norm,
        "planned": planned,
        "forecast": forecast,
        "short": max(0, norm - reach),
        "status": status,
    }


def _appeals(found: dict[str, Any], running: bool) -> dict[str, Any]:
    """The week's appeals figures (:func:`hub.appeals.figures.week_figures`) with their
    status: the rule is the module docstring's."""
    if found["overdue"]:
        status = RED
    elif found["late"] or (running and found["pending"]):
        status = YELLOW
    else:
        status = GREEN
    return {**found, "status": status}


def _appeal_reasons(
    appeals: dict[str, Any], running: bool, zone: ZoneInfo | None = None
) -> list[tuple[str, str, str]]:
    """(reason key, status, English text) per appeals problem, worst first; a deadline is
    written in ``zone`` (the municipality's), else in UTC."""
    out = []
    if appeals["overdue"]:
        out.append(
            (
                "appeals_overdue",
                RED,
                f"{_plural(appeals['overdue'], 'appeal', 'appeals')} past the answer deadline, "
                f"the oldest waiting {duration(appeals['oldest_overdue_minutes'] * 60)} "
                "('hub appeals list --overdue')",
            )
        )
    if appeals["late"]:
        out.append(
            (
                "appeals_late",
                YELLOW,
                f"{_plural(appeals['late'], 'appeal', 'appeals')} answered after the deadline",
            )
        )
    if running and appeals["pending"]:
        due = parse_time(appeals["next_due_at"])
        when = f"{due:%Y-%m-%d %H:%M} UTC"
        if zone is not None:
            when = f"{due.astimezone(zone):%Y-%m-%d %H:%M} local time"
        out.append(
            (
                "appeals_pending",
                YELLOW,
                f"{_plural(appeals['pending'], 'appeal', 'appeals')} waiting for an answer, "
                f"the first due {when}",
            )
        )
    return out


def _flag(value: bool | None) -> str:
    return YELLOW if value is None else GREEN if value else RED


def _by_severity(reasons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Red reasons first, then yellow; in check order within a status (a stable sort)."""
    rank = {RED: 0, YELLOW: 1, GREEN: 2}
    return sorted(reasons, key=lambda r: rank[r["status"]])


def _account_reasons(
    line: dict[str, Any],
    running: bool,
    targets: ComplianceSettings,
    zone: ZoneInfo | None = None,
) -> list[dict[str, Any]]:
    """Why a line is not green: per problem its check, a key naming it, the status it earns
    and a short English phrase. Each removal figure is judged on its own, so a comment still
    up for ten minutes is not called red because another one stayed up two days: such a
    figure comes out green here (it stays in ``notes``, never in ``reasons``)."""
    reasons = []

    def add(check: str, reason: str, text: str, status: str | None = None) -> None:
        status = status or line[check]["status"]
        reasons.append({"check": check, "reason": reason, "status": status, "text": text})

    posts = line["posts"]
    if posts["status"] != GREEN:
        text = f"{posts['count']} of {posts['norm']} posts"
        if running:
            text += f", {posts['planned']} planned; "
            text += (
                "on track by Sunday"
                if not posts["short"]
                else f"{_plural(posts['short'], 'post', 'posts')} short by Sunday"
            )
        else:
            text += f": {posts['short']} short"
        add("posts", "posts_short", text)
    page = line["page"]
    if page["synced_at"] is None:
        add("page", "page_not_synced", "page never synced: run 'hub sync'")
    elif page["missing"]:
        add(
            "page",
            "page_missing",
            "page lacks "
            + ", ".join(f.replace("_", " ") for f in page["missing"])
            + " (fill them in the page's settings on the network; the next sync sees them)",
        )
    account = line["account"]
    if line["two_factor"]["status"] != GREEN:
        if line["two_factor"]["attested"] is False:
            add(
                "two_factor",
                "two_factor_off",
                "2FA is off: turn it on in the account's security settings, then record it "
                f"(hub accounts attest {account} --2fa)",
            )
        else:
            add(
                "two_factor",
                "two_factor_unknown",
                "2FA not recorded: once it is on in the account's security settings, record it "
                f"(hub accounts attest {account} --2fa)",
            )
    if line["gospabliki"]["status"] != GREEN:
        state = "not connected" if line["gospabliki"]["connected"] is False else "not recorded"
        add(
            "gospabliki",
            "gospabliki_off" if line["gospabliki"]["connected"] is False else "gospabliki_unknown",
            f"Gospabliki {state}: once the account is connected on the Gospabliki platform, "
            f"record it (hub accounts attest {account} --gospabliki)",
        )
    removal = line["removal"]
    if removal["status"] != GREEN:
        if removal["max_seconds"] is not None:
            add(
                "removal",
                "removal_slow",
                f"an offending comment stayed up {duration(removal['max_seconds'])}",
                targets.removal_status(removal["max_seconds"]),
            )
        if removal["still_up"]:
            add(
                "removal",
                "removal_still_up",
                f"{_plural(removal['still_up'], 'offending comment', 'offending comments')} "
                f"still up, the oldest {duration(removal['oldest_still_up_seconds'])}",
                targets.removal_status(removal["oldest_still_up_seconds"]),
            )
    for reason, status, text in _appeal_reasons(line["appeals"], running, zone):
        add("appeals", reason, text, status)
    if line["notices"]["overdue"]:
        add(
            "notices",
            "notices_overdue",
            f"{_plural(line['notices']['overdue'], 'notice', 'notices')} overdue",
        )
    return reasons


def duration(seconds: float | None) -> str:
    """45 min, 2 h 05 min, 3 d 4 h: for people reading the table."""
    if seconds is None:
        return "—"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


class _Week:
    """The week, its bounds in the zone, and where "now" and the hub's install stand."""

    def __init__(
        self, week: Week, zone: ZoneInfo, now: datetime, installed: datetime | None = None
    ) -> None:
        self.week, self.zone, self.now, self.installed = week, zone, now, installed
        self.start, self.end = week.start(zone), week.end(zone)
        if now >= self.end:
            before = installed is not None and self.end <= installed
            self.state = "before_install" if before else "finished"
        else:
            self.state = "upcoming" if now < self.start else "in_progress"
        self.running = now < self.end
        local_today = now.astimezone(zone).date()
        self.reference = week.sunday + timedelta(days=1) if not self.running else local_today


def _account_line(
    store: Store,
    account: Account,
    norm: int,
    row: Mapping[str, Any],
    offered: frozenset[str],
    when: _Week,
    notices: list[dict[str, Any]],
    targets: ComplianceSettings,
    removals: Mapping[str, dict[str, Any]],
    watched: datetime | None,
    appeals: dict[str, Any],
) -> dict[str, Any]:
    """``watched``: since when the hub watches the account (see the module docstring)."""
    count = figures.own_posts(store, account, when.start, when.end)
    planned = None
    if when.running:
        since = None if when.state == "in_progress" else when.start
        planned = figures.planned_posts(store, account.id, since, when.end)
    two_factor, gospabliki = figures.flags(store, account.id)
    removal = dict(removals[account.id])
    longest = max(
        (s for s in (removal["max_seconds"], removal["oldest_still_up_seconds"]) if s is not None),
        default=None,
    )
    removal["status"] = targets.removal_status(longest)
    mine = [n for n in notices if n["account"] == account.id]
    line = {
        "account": account.id,
        "network": account.network,
        "organization": account.organization or NO_ORGANIZATION,
        "title": row.get("name"),
        "url": row.get("url"),
        "posts": _posts(count, norm, planned),
        "page": page_completeness(row, offered),
        "two_factor": {"attested": two_factor, "status": _flag(two_factor)},
        "gospabliki": {"connected": gospabliki, "status": _flag(gospabliki)},
        "removal": removal,
        "appeals": _appeals(appeals, when.running),
        "notices": {"overdue": len(mine), "items": mine, "status": RED if mine else GREEN},
    }
    line["judged"] = watched is None or when.end > watched
    line["watched_since"] = None if watched is None else utc_text(watched)
    if watched is not None and not line["judged"]:
        for check in CHECKS:
            line[check]["status"] = GREEN
        line["status"] = GREEN
        day = watched.astimezone(when.zone).date().isoformat()
        line["notes"] = [f"before the hub was installed (first sync {day}): not judged"]
        line["reasons"] = []
        return line
    line["status"] = worst(line[c]["status"] for c in CHECKS)
    reasons = _account_reasons(line, when.running, targets, when.zone)
    line["notes"] = [r["text"] for r in reasons]
    line["reasons"] = _by_severity([r for r in reasons if r["status"] != GREEN])
    return line


def _org_line(
    name: str,
    org: Mapping[str, Any] | None,
    lines: list[dict],
    norm: int,
    notices: list[dict],
    judged: bool = True,
    appeals: dict[str, Any] | None = None,
    watch_appeals: Mapping[str, dict[str, Any]] | None = None,
    running: bool = False,
    zone: ZoneInfo | None = None,
) -> dict[str, Any]:
    """``judged``: False for a week that ended before the hub's install (figures only).

    ``appeals``: the week's appeals figures over all the organization's pages, its watch
    pages' included; ``watch_appeals``: those of each watch page alone, with their status
    (already green for a week before the hub watched the page), which the organization's
    appeals status and reasons take in, since no account line shows them."""
    watch_appeals = watch_appeals or {}
    exempt = bool(org and org.get("exempt"))
    mine = [n for n in notices if (n["organization"] or NO_ORGANIZATION) == name]
    ids = [line["account"] for line in lines]
    mine += [n for n in notices if n["account"] in ids and n not in mine]

    def rolled(check: str, **figures_: Any) -> dict[str, Any]:
        return {**figures_, "status": worst(line[check]["status"] for line in lines)}

    removed_max = [line["removal"]["max_seconds"] for line in lines]
    out = {
        "organization": name,
        "level": org.get("level") if org else None,
        "exempt": exempt,
        "declared": org is not None,
        "accounts": ids,
        "posts": rolled(
            "posts",
            count=sum(line["posts"]["count"] for line in lines),
            norm=norm,
            accounts_meeting_norm=sum(line["posts"]["count"] >= norm for line in lines),
        ),
        "page": rolled("page", complete=sum(line["page"]["status"] == GREEN for line in lines)),
        "two_factor": rolled(
            "two_factor", attested=sum(line["two_factor"]["attested"] is True for line in lines)
        ),
        "gospabliki": rolled(
            "gospabliki", connected=sum(line["gospabliki"]["connected"] is True for line in lines)
        ),
        "removal": rolled(
            "removal",
            removed=sum(line["removal"]["removed"] for line in lines),
            max_seconds=max((s for s in removed_max if s is not None), default=None),
        ),
        "appeals": {
            **(appeals or {}),
            "watch_pages": [{"account": k, **v} for k, v in watch_appeals.items()],
            "status": worst(
                [line["appeals"]["status"] for line in lines]
                + [a["status"] for a in watch_appeals.values()]
            ),
        },
        "notices": {"overdue": len(mine), "items": mine, "status": RED if mine else GREEN},
    }
    statuses = [out[c]["status"] for c in CHECKS]
    notes = [f"{line['account']}: {line['status']}" for line in lines if line["status"] != GREEN]
    reasons = []
    for status in (RED, YELLOW):
        ids_ = [line["account"] for line in lines if line["status"] == status]
        if ids_:
            reasons.append(
                {
                    "check": "accounts",
                    "reason": "accounts_not_green",
                    "status": status,
                    "accounts": ids_,
                    "text": (
                        f"{'account' if len(ids_) == 1 else 'accounts'} {', '.join(ids_)} "
                        f"({'its' if len(ids_) == 1 else 'their'} reasons are listed above)"
                    ),
                }
            )
    if not lines and not exempt:
        statuses.append(RED)
        notes.append("no official account, and the organization is not exempt")
        reasons.append(
            {
                "check": "accounts",
                "reason": "no_accounts",
                "status": RED,
                "accounts": [],
                "text": notes[-1],
            }
        )
    elif not lines:
        notes.append("exempt from having pages")
    for account_id, found in watch_appeals.items():
        if found["status"] == GREEN:
            continue  # nothing to say, or a week before the hub watched the page
        for reason, status, text in _appeal_reasons(found, running, zone):
            notes.append(f"watch page {account_id}: {text}")
            reasons.append(
                {
                    "check": "appeals",
                    "reason": reason,
                    "status": status,
                    "accounts": [account_id],
                    "text": notes[-1],
                }
            )
    if mine:
        notes.append(f"{_plural(len(mine), 'notice', 'notices')} overdue")
        reasons.append(
            {"check": "notices", "reason": "notices_overdue", "status": RED, "text": notes[-1]}
        )
    if not judged:
        out["notices"]["status"] = GREEN
        statuses, notes, reasons = [], ["before the hub was installed: not judged"], []
    out["status"] = worst(statuses)
    out["notes"] = notes
    out["reasons"] = _by_severity(reasons)
    return out


def compliance_report(
    store: Store,
    config: Config,
    week: Week,
    *,
    now: datetime | None = None,
    page_fields: Mapping[str, frozenset[str]] | None = None,
) -> dict[str, Any]:
    """The week's report for every own account (not the watch pages) and every organization.

    ``page_fields`` maps network → fields its pages offer (default: from the installed
    plugins). Call :func:`hub.registry.sync_registry` first so the config's
    organizations and accounts are in the registry.
    """
    plan = parse_plan(config.raw)
    targets = parse_compliance(config.raw)
    offered_by = network_page_fields() if page_fields is None else page_fields
    starts = figures.watch_starts(store)
    installed = figures.installed_at(store, starts)
    own = config.own_accounts
    watch_pages = [a for a in config.accounts if a.watch]
    #: an account never synced yet is watched from the hub's install
    watched = {a.id: starts.get(a.id, installed) for a in config.accounts}
    when = _Week(week, plan.time_zone, (now or datetime.now(UTC)).astimezone(UTC), installed)
    notices = figures.overdue_notices(
        store, when.reference, plan.time_zone, finished=not when.running
    )
    cursor = store.db.execute("SELECT * FROM accounts")
    columns = [d[0] for d in cursor.description]
    rows = {r["id"]: r for r in (dict(zip(columns, v, strict=True)) for v in cursor.fetchall())}
    removals = figures.removals_by_account(
        store, [a.id for a in own], when.start, when.end, when.now, watched
    )
    appeal_rows = appeal_figures.week_rows(
        store, [a.id for a in config.accounts], when.start, when.end, when.now
    )

    def appeals_of(accounts: list[Account]) -> dict[str, Any]:
        rows_ = [r for a in accounts for r in appeal_rows[a.id]]
        return appeal_figures.week_figures(rows_, when.start, when.end, when.now)

    watch_appeals: dict[str, dict[str, dict[str, Any]]] = {}
    for page in watch_pages:
        found = _appeals(appeals_of([page]), when.running)
        start = watched[page.id]
        if start is not None and when.end <= start:
            found["status"] = GREEN  # a week before the hub watched the page: not judged
        name = page.organization or NO_ORGANIZATION
        watch_appeals.setdefault(name, {})[page.id] = found
    accounts = [
        _account_line(
            store,
            account,
            plan.norm_for(account.organization),
            rows.get(account.id, {}),
            frozenset(offered_by.get(account.network, PAGE_FIELDS)),
            when,
            notices,
            targets,
            removals,
            watched[account.id],
            appeals_of([account]),
        )
        for account in own
    ]
    orgs = {org["name"]: org for org in list_orgs(store)}
    names = list(orgs) + sorted({a["organization"] for a in accounts} - set(orgs))
    organizations = [
        _org_line(
            name,
            orgs.get(name),
            [a for a in accounts if a["organization"] == name],
            plan.norm_for("" if name == NO_ORGANIZATION else name),
            notices,
            judged=when.state != "before_install",
            appeals=appeals_of(
                [a for a in config.accounts if (a.organization or NO_ORGANIZATION) == name]
            ),
            watch_appeals=watch_appeals.get(name),
            running=when.running,
            zone=when.zone,
        )
        for name in names
    ]
    return {
        "schema": SCHEMA,
        "week": week.label,
        "from": week.monday.isoformat(),
        "to": week.sunday.isoformat(),
        "time_zone": plan.time_zone.key,
        "as_of": utc_text(when.now),
        "state": when.state,
        "installed_at": None if installed is None else utc_text(installed),
        "targets": {
            "removal_green_seconds": targets.removal_green_minutes * 60,
            "removal_yellow_seconds": targets.removal_yellow_minutes * 60,
        },
        "accounts": accounts,
        "organizations": organizations,
        "totals": {
            kind: {s: sum(line["status"] == s for line in lines) for s in STATUSES}
            for kind, lines in (("accounts", accounts), ("organizations", organizations))
        },
    }
