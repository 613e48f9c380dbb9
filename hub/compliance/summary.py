"""The weekly summary: what the daemon logs and the Gospabliki report carries.

Why a separate, smaller shape: it leaves the hub. It names only what the published
registry already names (organizations, account ids and networks) and figures, and
it leaves out two-factor attestation entirely — the registry never exports
attestations (hub.registry.model), and "account X has no 2FA" is exactly what an
attacker would want to read. So a summary line's ``status`` is the worst of the
other checks; the full report (``hub compliance``) stays local and includes 2FA.

Shape (``ComplianceSummary`` in docs/gospabliki-openapi.yaml)::

    {"week": "2026-W10", "from": "2026-03-02", "to": "2026-03-08",
     "time_zone": "Asia/Vladivostok",
     "accounts": [{"account", "network", "organization", "status", "posts", "norm",
                   "page_missing": [...], "gospabliki": true|false|null,
                   "offending_removed", "removal_median_minutes", "removal_max_minutes",
                   "offending_still_up", "overdue_notices", "appeals": APPEALS}],
     "organizations": [{"name", "status", "exempt", "accounts", "accounts_meeting_norm",
                        "posts", "overdue_notices", "appeals": APPEALS}]}

    APPEALS = {"received", "due", "answered_on_time", "late", "median_response_minutes",
               "max_response_minutes", "open", "overdue"}

``appeals`` (issue 17; ``ComplianceAppeals``, an optional field, so a receiver of the older
shape is not broken) is the full report's appeals figures of the week
(:mod:`hub.appeals.figures`): an organization's count its watch pages too — the governor's
or the region's page whose residents' appeals it answers — though those pages have no
account entry of their own (they are not the municipality's). A line's ``status`` includes
the appeals check.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ..config import Config
from ..log import get_logger
from ..plan.settings import parse_plan
from ..store import Store
from . import figures
from .build import compliance_report
from .settings import RED, STATUSES, worst
from .week import Week, previous_week

#: the checks a summary may carry: everything but the security attestation
PUBLIC_CHECKS = ("posts", "page", "gospabliki", "removal", "appeals", "notices")
#: the appeals figures a summary carries (``ComplianceAppeals`` in the OpenAPI document)
APPEAL_FIGURES = (
    "received",
    "due",
    "answered_on_time",
    "late",
    "median_response_minutes",
    "max_response_minutes",
    "open",
    "overdue",
)
log = get_logger("hub.compliance")


def _minutes(seconds: int | None) -> int | None:
    return None if seconds is None else round(seconds / 60)


def _appeals(appeals: dict[str, Any]) -> dict[str, Any]:
    return {key: appeals[key] for key in APPEAL_FIGURES}


def _account(line: dict[str, Any]) -> dict[str, Any]:
    return {
        "account": line["account"],
        "network": line["network"],
        "organization": line["organization"],
        "status": worst(line[c]["status"] for c in PUBLIC_CHECKS),
        "posts": line["posts"]["count"],
        "norm": line["posts"]["norm"],
        "page_missing": list(line["page"]["missing"]),
        "gospabliki": line["gospabliki"]["connected"],
        "offending_removed": line["removal"]["removed"],
        "removal_median_minutes": _minutes(line["removal"]["median_seconds"]),
        "removal_max_minutes": _minutes(line["removal"]["max_seconds"]),
        "offending_still_up": line["removal"]["still_up"],
        "overdue_notices": line["notices"]["overdue"],
        "appeals": _appeals(line["appeals"]),
    }


def _organization(org: dict[str, Any], accounts: dict[str, dict[str, Any]]) -> dict[str, Any]:
    statuses = [org[c]["status"] for c in PUBLIC_CHECKS]
    statuses += [accounts[a]["status"] for a in org["accounts"]]
    if not org["accounts"] and not org["exempt"]:
        statuses.append(RED)
    return {
        "name": org["organization"],
        "status": worst(statuses),
        "exempt": org["exempt"],
        "accounts": len(org["accounts"]),
        "accounts_meeting_norm": org["posts"]["accounts_meeting_norm"],
        "posts": org["posts"]["count"],
        "overdue_notices": org["notices"]["overdue"],
        "appeals": _appeals(org["appeals"]),
    }


def weekly_summary(
    store: Store,
    config: Config,
    week: Week,
    *,
    now: datetime | None = None,
    page_fields: Mapping[str, frozenset[str]] | None = None,
) -> dict[str, Any]:
    """The compact, JSON-ready summary of ``week`` (usually :func:`previous_week`)."""
    report = compliance_report(store, config, week, now=now, page_fields=page_fields)
    accounts = [_account(line) for line in report["accounts"]]
    by_id = {a["account"]: a for a in accounts}
    return {
        "week": report["week"],
        "from": report["from"],
        "to": report["to"],
        "time_zone": report["time_zone"],
        "accounts": accounts,
        "organizations": [_organization(o, by_id) for o in report["organizations"]],
    }


def summary_counts(summary: dict[str, Any]) -> dict[str, int]:
    """``{"green": n, "yellow": n, "red": n}`` over the summary's accounts."""
    return {s: sum(a["status"] == s for a in summary["accounts"]) for s in STATUSES}


def summary_line(summary: dict[str, Any]) -> str:
    """One line for a log or a terminal: "week 2026-W10: 3 accounts green, 1 yellow, ..."."""
    counts = summary_counts(summary)
    short = [a["account"] for a in summary["accounts"] if a["posts"] < a["norm"]]
    line = (
        f"compliance week {summary['week']}: {len(summary['accounts'])} accounts — "
        f"{counts['green']} green, {counts['yellow']} yellow, {counts['red']} red"
    )
    if short:
        line += f"; below the posting norm: {', '.join(short)}"
    return line


def log_weekly_summary(
    store: Store,
    config: Config,
    *,
    now: datetime | None = None,
    page_fields: Mapping[str, frozenset[str]] | None = None,
) -> dict[str, Any]:
    """Log the summary of the last completed week (one ``weekly compliance`` event); return it.

    The daemon calls this once a week: whenever :func:`summary_week` differs from the
    week it last logged and :func:`summary_due` says the hub watched all of it (the first
    summary is of the first full week after the install). ``page_fields``:
    :func:`.page.network_page_fields` of the daemon's plugin manager (default: loaded here).
    """
    now = now or datetime.now(UTC)
    week = summary_week(config, now)
    summary = weekly_summary(store, config, week, now=now, page_fields=page_fields)
    counts = summary_counts(summary)
    event = log.info if counts["red"] == 0 and counts["yellow"] == 0 else log.warning
    event(
        "weekly compliance",
        week=summary["week"],
        message=summary_line(summary),
        accounts={a["account"]: a["status"] for a in summary["accounts"]},
        organizations={o["name"]: o["status"] for o in summary["organizations"]},
        **{s: counts[s] for s in STATUSES},
    )
    return summary


def summary_week(config: Config, now: datetime) -> Week:
    """The week a summary made at ``now`` covers: the last one completed in the zone."""
    return previous_week(now, parse_plan(config.raw).time_zone)


def summary_due(store: Store, config: Config, week: Week) -> bool:
    """Whether the daemon logs ``week``'s summary: only a full week the hub watched, from
    its Monday 00:00 on. The week of the install, and those before it, are not judged:
    a hub installed on a Wednesday first logs the week after (:func:`.figures.installed_at`)."""
    installed = figures.installed_at(store, figures.watch_starts(store))
    return installed is None or week.start(parse_plan(config.raw).time_zone) >= installed
