"""Page completeness: what the acts ask a page to show, read from the synced metadata.

The acts ask for a text description and a designed look (avatar, cover), contact
information and working hours (000 §2.3, 001 §7, 003 §2.4, 004 §2.4) and the
official website (002 §4, 004 §2.1). Each field is ``present``, ``missing``,
``not_offered`` (the network's pages have no such field: a Telegram channel has no
cover, so it is never held against it) or ``unknown`` (the page was never synced).

A network declares what its pages can show in :attr:`hub.network.Network.page_fields`;
a network whose plugin is not installed is held to all six.

How each field is read (``accounts`` columns written by ``hub sync``):

- description: a non-blank ``description``;
- contacts: a phone or an e-mail in ``contacts_json`` (VK's contacts block, OK's
  phone and email); a contact naming only a user account does not count, since a
  resident cannot call or write to it;
- website: a non-blank ``site`` (VK ``site``, OK ``homepage_url``);
- avatar, cover: ``has_avatar``, ``has_cover``;
- working hours: no network's page metadata carries them as a field the hub reads
  (VK keeps a timetable inside its address block, which ``groups.getById`` does not
  return), so they count as present when the synced addresses carry a ``timetable``,
  or when the description states them by a careful rule: a word about opening hours
  (работ…, приём/прием, часы, график, режим) followed within 80 characters by a time
  range with minutes (9:00–17:00, с 9.00 до 18.00) — or «круглосуточно». A date or an
  event time alone ("концерт в пятницу в 18:00") does not count.

Status: nothing missing is green, one field missing yellow, two or more red; a page
never synced is yellow (run ``hub sync``). Metadata has no history, so a past week is
judged on the page as it is now.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import pluggy

from .settings import GREEN, RED, YELLOW

#: what a page should show, in the order the report lists them
PAGE_FIELDS = ("description", "contacts", "working_hours", "website", "avatar", "cover")
PRESENT, MISSING, NOT_OFFERED, UNKNOWN = "present", "missing", "not_offered", "unknown"

_TIME = r"(?:[01]?\d|2[0-3])[:.][0-5]\d"
_RANGE = rf"(?:с\s*)?{_TIME}\s*(?:-|–|—|до)\s*{_TIME}"
HOURS_RE = re.compile(
    rf"(?:работ|при[её]м|час(?:ы|ов)\b|график|режим)[^\n]{{0,80}}?{_RANGE}|круглосуточно",
    re.IGNORECASE,
)


def mentions_working_hours(text: str | None) -> bool:
    """Whether a description states opening hours (the careful rule in the module docstring)."""
    return bool(text and HOURS_RE.search(text))


def _has_timetable(value: Any) -> bool:
    if isinstance(value, dict):
        if value.get("timetable"):
            return True
        return any(_has_timetable(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_timetable(v) for v in value)
    return False


def _loads(text: str | None) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def _present(row: Mapping[str, Any]) -> dict[str, bool]:
    contacts = _loads(row.get("contacts_json")) or []
    return {
        "description": bool((row.get("description") or "").strip()),
        "contacts": any(
            isinstance(c, dict) and (c.get("phone") or c.get("email")) for c in contacts
        ),
        "working_hours": _has_timetable(_loads(row.get("addresses_json")))
        or mentions_working_hours(row.get("description")),
        "website": bool((row.get("site") or "").strip()),
        "avatar": bool(row.get("has_avatar")),
        "cover": bool(row.get("has_cover")),
    }


def page_completeness(row: Mapping[str, Any], offered: frozenset[str]) -> dict[str, Any]:
    """``{"synced_at", "fields": {field: state}, "missing": [...], "status"}`` for one account.

    ``row`` holds the ``accounts`` columns (``meta_synced_at``, ``description``, ...).
    """
    synced = row.get("meta_synced_at")
    present = _present(row)
    fields = {}
    for name in PAGE_FIELDS:
        if name not in offered:
            fields[name] = NOT_OFFERED
        elif not synced:
            fields[name] = UNKNOWN
        else:
            fields[name] = PRESENT if present[name] else MISSING
    missing = [name for name in PAGE_FIELDS if fields[name] == MISSING]
    if not synced:
        status = YELLOW
    else:
        status = GREEN if not missing else YELLOW if len(missing) == 1 else RED
    return {"synced_at": synced, "fields": fields, "missing": missing, "status": status}


def network_page_fields(pm: pluggy.PluginManager | None = None) -> dict[str, frozenset[str]]:
    """Each registered network's ``page_fields`` (the plugins are loaded when ``pm`` is None)."""
    from .. import plugins

    pm = pm or plugins.make_plugin_manager()
    return {
        name: frozenset(getattr(cls, "page_fields", PAGE_FIELDS)) & frozenset(PAGE_FIELDS)
        for name, cls in plugins.networks(pm).items()
    }
