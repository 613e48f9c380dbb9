"""The report as a terminal table or as JSON (the HTML page is :mod:`.html`).

The table is plain aligned text with the status as a word on every line, coloured
with ``click.style`` (click drops the colour when the output is not a terminal),
and a "why not green" list under it, so it reads the same in a pipe or a mail.

JSON (``--format json``) is the report as :func:`.build.compliance_report` builds
it; the keys are stable (``schema: pablik-hub/compliance@1``; a change of meaning
gets a new schema name):

- ``week`` (2026-W10), ``from`` / ``to`` (Monday, Sunday), ``time_zone``, ``as_of``
  (UTC), ``state`` (finished | in_progress | upcoming | before_install: the week ended
  before the hub's install and nothing is judged), ``installed_at`` (UTC: the hub's
  first sync, else the database's creation), ``targets``
  (``removal_green_seconds``, ``removal_yellow_seconds``);
- ``accounts[]``: ``account``, ``network``, ``organization``, ``title``, ``url``,
  ``judged`` (false when the week ended before ``watched_since``, the account's first
  sync: figures only, every status green), ``watched_since``, ``status``, ``notes``
  (why not green, English), ``reasons`` (the notes as [{check, reason, status, text}],
  red before yellow: which problem made the line red and which
  only yellow; ``reason`` is a stable key such as ``posts_short``, ``page_not_synced``,
  ``page_missing``, ``two_factor_off``, ``two_factor_unknown``, ``gospabliki_off``,
  ``gospabliki_unknown``, ``removal_slow``, ``removal_still_up``, ``appeals_overdue``,
  ``appeals_late``, ``appeals_pending``, ``notices_overdue``; a
  removal figure within the green target is left out), and per check a dict with its
  ``status``: ``posts`` {count, norm, planned, forecast, short} (planned/forecast null
  in a finished week), ``page`` {synced_at, fields {description, contacts,
  working_hours, website, avatar, cover: present | missing | not_offered | unknown},
  missing}, ``two_factor`` {attested}, ``gospabliki`` {connected} (true, false or null =
  nothing on record), ``removal`` {removed, median_seconds, max_seconds,
  from_first_seen, before_install (published before the hub watched the page, so counted
  from when it first saw them), still_up, oldest_still_up_seconds}, ``appeals`` {received,
  due, answered_on_time, answered, late, median_response_minutes, max_response_minutes,
  open, overdue, oldest_overdue_minutes, pending, next_due_at} (added with issue 17; what
  each counts: :mod:`hub.appeals.figures`; minutes null when nothing to measure,
  next_due_at UTC or null), ``notices`` {overdue,
  items [{id, kind, organization, account, due_date, delivered}]};
- ``organizations[]``: ``organization``, ``level``, ``exempt``, ``declared``,
  ``accounts`` (ids), ``status``, ``notes``, ``reasons`` ([{check, reason, status,
  text}], red first: ``accounts_not_green`` with the ``accounts`` at that status,
  ``no_accounts`` (no page and not exempt), ``appeals_overdue`` / ``appeals_late`` /
  ``appeals_pending`` with the watch page in ``accounts``, ``notices_overdue``), and
  ``posts`` {count, norm, accounts_meeting_norm}, ``page`` {complete}, ``two_factor``
  {attested}, ``gospabliki`` {connected}, ``removal`` {removed, max_seconds}, ``appeals``
  {the account figures over all its pages, its watch pages' included, and
  ``watch_pages``: [{account, the same figures, status}] per watch page}, ``notices``
  {overdue, items}, each with its ``status``;
- ``totals``: {accounts, organizations} → {green, yellow, red} counts.
"""

from __future__ import annotations

import json
import re
import textwrap
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import click

from ..i18n import _
from .build import duration
from .settings import GREEN, RED, YELLOW

#: the status column of a line not judged (the week ended before the hub watched the page)
NOT_JUDGED = "not judged"
COLOURS: dict[str, str | None] = {GREEN: "green", YELLOW: "yellow", RED: "red", NOT_JUDGED: None}
#: the "why not green" list fits a terminal this wide; longer reasons wrap, indented
WIDTH = 100
#: a reason starts after its status word, padded so the texts line up ("yellow: " is widest)
REASON_INDENT = 4
STATUS_WIDTH = len("yellow: ")
#: a command to run ("(hub accounts attest vk-2 --2fa)", "'hub sync'") is never split
COMMAND_RE = re.compile(r"\(hub [^)]*\)|'hub [^']*'")
GLUE = "\x00"


def to_json(report: dict[str, Any]) -> str:
    return json.dumps(report, ensure_ascii=False, indent=2)


def _yes_no(value: bool | None) -> str:
    return "?" if value is None else "yes" if value else "no"


def _posts(posts: dict[str, Any]) -> str:
    text = f"{posts['count']}/{posts['norm']}"
    if posts["planned"]:
        text += f" +{posts['planned']} planned"
    return text


def _page(page: dict[str, Any]) -> str:
    offered = [f for f, state in page["fields"].items() if state != "not_offered"]
    if page["synced_at"] is None:
        return "not synced"
    return f"{len(offered) - len(page['missing'])}/{len(offered)}"


def _removal(removal: dict[str, Any]) -> str:
    parts = []
    if removal["removed"]:
        parts.append(
            f"{removal['removed']}: {duration(removal['median_seconds'])} / "
            + duration(removal["max_seconds"])
        )
    if removal["still_up"]:
        parts.append(f"{removal['still_up']} still up")
    return ", ".join(parts) or "none"


def _appeals(appeals: dict[str, Any]) -> str:
    """ "3 received, 1/2 on time, 45 min / 2 h 05 min, 1 open (1 overdue)"; "none"."""
    if not (appeals["received"] or appeals["due"] or appeals["answered"] or appeals["open"]):
        return "none"
    parts = [f"{appeals['received']} received"]
    if appeals["due"]:
        parts.append(f"{appeals['answered_on_time']}/{appeals['due']} on time")
    if appeals["max_response_minutes"] is not None:
        median = appeals["median_response_minutes"]
        parts.append(
            f"{duration(None if median is None else median * 60)} / "
            + duration(appeals["max_response_minutes"] * 60)
        )
    if appeals["open"]:
        overdue = f" ({appeals['overdue']} overdue)" if appeals["overdue"] else ""
        parts.append(f"{appeals['open']} open{overdue}")
    return ", ".join(parts)


def _org_row(org: dict[str, Any]) -> list[str]:
    n = len(org["accounts"])

    def share(count: int) -> str:
        return f"{count}/{n}" if n else "—"

    return [
        org["organization"] + (" (exempt)" if org["exempt"] else ""),
        str(n),
        str(org["posts"]["count"]) if n else "—",
        share(org["posts"]["accounts_meeting_norm"]),
        share(org["page"]["complete"]),
        share(org["two_factor"]["attested"]),
        share(org["gospabliki"]["connected"]),
        str(org["removal"]["removed"]) if n else "—",
        _appeals(org["appeals"]),
        str(org["notices"]["overdue"]),
        org["status"],
    ]


def _grid(header: list[str], rows: list[list[str]], statuses: list[str]) -> list[str]:
    """Aligned columns; the last column is the status word, coloured."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    for row, status in zip(rows, statuses, strict=True):
        cells = [c.ljust(w) for c, w in zip(row[:-1], widths[:-1], strict=True)]
        out.append("  ".join([*cells, click.style(row[-1], fg=COLOURS[status], bold=True)]))
    return out


def _why(name: str, reasons: list[dict[str, Any]]) -> list[str]:
    """``  vk-2:`` then a line per reason, worst first, each led by its status word.

    Long reasons wrap at :data:`WIDTH` with the continuation under the reason's text.
    """
    out = [f"  {name}:"]
    hang = " " * (REASON_INDENT + STATUS_WIDTH)
    for reason in reasons:
        status = reason["status"]
        text = COMMAND_RE.sub(lambda m: m.group().replace(" ", GLUE), reason["text"])
        wrapped = textwrap.wrap(
            text,
            width=WIDTH,
            initial_indent=hang,
            subsequent_indent=hang,
            break_on_hyphens=False,
            break_long_words=False,
        )
        wrapped = [line.replace(GLUE, " ") for line in wrapped]
        word = click.style(status, fg=COLOURS[status], bold=True)
        pad = " " * (STATUS_WIDTH - len(status) - 1)
        out.append(" " * REASON_INDENT + word + ":" + pad + wrapped[0][len(hang) :])
        out += wrapped[1:]
    return out


def local_time(report: dict[str, Any]) -> str:
    """The report's ``as_of`` in the municipality's zone: 2026-03-12 12:00."""
    moment = datetime.fromisoformat(report["as_of"].replace("Z", "+00:00"))
    return moment.astimezone(ZoneInfo(report["time_zone"])).strftime("%Y-%m-%d %H:%M")


def installed_day(report: dict[str, Any]) -> str:
    """The day of the hub's install in the municipality's zone: 2026-02-02."""
    moment = datetime.fromisoformat(report["installed_at"].replace("Z", "+00:00"))
    return moment.astimezone(ZoneInfo(report["time_zone"])).date().isoformat()


def _status_word(line: dict[str, Any]) -> str:
    """The status column: the line's status, or "not judged" before the hub watched it."""
    return line["status"] if line.get("judged", True) else NOT_JUDGED


def _heading(report: dict[str, Any]) -> str:
    state = {
        "finished": "finished",
        "in_progress": f"in progress, as of {local_time(report)} local time",
        "upcoming": f"upcoming, as of {local_time(report)} local time",
        "before_install": f"before the hub was installed ({installed_day(report)}): not judged",
    }[report["state"]]
    return (
        f"Compliance, week {report['week']} (Mon {report['from']} – Sun {report['to']}, "
        f"{report['time_zone']}), {state}"
    )


def to_table(report: dict[str, Any]) -> str:
    """The report for a terminal; click.echo keeps the colours only on a tty."""
    lines = [_heading(report), ""]
    accounts = report["accounts"]
    if accounts:
        lines += _grid(
            [
                _("ACCOUNT"),
                _("NETWORK"),
                _("POSTS"),
                _("PAGE"),
                _("2FA"),
                _("GOSPABLIKI"),
                _("REMOVED: MED / MAX"),
                _("APPEALS: ANSWERED MED / MAX"),
                _("NOTICES"),
                _("STATUS"),
            ],
            [
                [
                    a["account"],
                    a["network"],
                    _posts(a["posts"]),
                    _page(a["page"]),
                    _yes_no(a["two_factor"]["attested"]),
                    _yes_no(a["gospabliki"]["connected"]),
                    _removal(a["removal"]),
                    _appeals(a["appeals"]),
                    str(a["notices"]["overdue"]),
                    _status_word(a),
                ]
                for a in accounts
            ],
            [_status_word(a) for a in accounts],
        )
    else:
        lines.append(_("no accounts in the config"))
    orgs = report["organizations"]
    if orgs:
        lines += [""] + _grid(
            [
                _("ORGANIZATION"),
                _("ACCOUNTS"),
                _("POSTS"),
                _("AT NORM"),
                _("PAGES OK"),
                _("2FA"),
                _("GOSPABLIKI"),
                _("REMOVED"),
                _("APPEALS"),
                _("NOTICES"),
                _("STATUS"),
            ],
            [_org_row(o) for o in orgs],
            [o["status"] for o in orgs],
        )
    why = [_why(a["account"], a["reasons"]) for a in accounts if a["reasons"]]
    why += [_why(o["organization"], o["reasons"]) for o in orgs if o["status"] != GREEN]
    if why:
        lines += ["", _("Why not green (red: makes the line red; yellow: only yellow):")]
        lines += [line for block in why for line in block]
    totals = report["totals"]["accounts"]
    lines += [
        "",
        f"{sum(totals.values())} accounts: {totals[GREEN]} green, {totals[YELLOW]} yellow, "
        f"{totals[RED]} red",
    ]
    return "\n".join(lines)
