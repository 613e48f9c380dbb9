"""«Реестр» (``/registry``): organizations, their accounts and responsible persons, notices
to the regional centre, and the registry's exports — read-only.

Everything comes from the functions ``hub orgs``, ``hub responsible history``,
``hub accounts attest``, ``hub notices`` and ``hub registry export`` use, after the
same :func:`hub.registry.sync_registry` those commands run first (here once per
version of the config: the console re-reads the config when it changes).

Scope: an operator limited to organizations sees those organizations, their accounts
and their notices only, and their export holds only them
(:func:`hub.registry.snapshot.scoped_snapshot`). Attestations (2FA, the service
phone, who keeps the logins) are shown to roles with the ``attestations`` permission
(admin) only, and even then only *whether* a keeper or a number is on record, never
what it is — as ``hub accounts attest`` shows them. The exports pass
:func:`hub.registry.snapshot.check_public`, as the command's do.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ... import plugins
from ...compliance.week import parse_time
from ...config import Config
from ...errors import NotFoundError
from ...operators import Operator
from ...plan.settings import parse_plan
from ...registry import FORMATS, list_notices, registry_snapshot, sync_registry
from ...registry.export import LEVEL_TEXT, export_data
from ...registry.model import attestation_summary, responsible_history
from ...registry.snapshot import scoped_snapshot
from ...safe_text import safe_url
from ...store import Store
from ..console import Console
from ..pages import console, operator, render

#: the config each console last synced into the registry (see :func:`synced_store`)
_SYNCED: weakref.WeakKeyDictionary[Console, Config] = weakref.WeakKeyDictionary()
CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
}
NOTICE_KINDS = {
    "account_created": "создана страница",
    "account_deleted": "удалена страница",
    "responsible_changed": "сменился ответственный",
}


def synced_store(request: Request) -> tuple[Config, Store]:
    """The config and the store, the config's organizations and accounts synced into the
    registry (:func:`hub.registry.sync_registry`, as every registry and compliance command
    does first) — once per version of the config, not on every page."""
    the_console = console(request)
    config, store = the_console.config(), the_console.store()
    if _SYNCED.get(the_console) is not config:
        sync_registry(store, config)
        _SYNCED[the_console] = config
    return config, store


def network_titles(request: Request) -> dict[str, str]:
    """Networks' names ("VK") from the plugins; the ids if a plugin fails to load (as the CLI)."""
    try:
        return {name: cls.title for name, cls in plugins.networks(console(request).pm).items()}
    except Exception:  # noqa: BLE001 - a broken plugin must not stop the registry's page
        return {}


def day(iso: str | None) -> str:
    """2026-03-06 → 06.03.2026, as the Russian pages write a day."""
    if not iso:
        return "—"
    return f"{iso[8:10]}.{iso[5:7]}.{iso[0:4]}"


def moment_in(zone: ZoneInfo) -> Callable[[str | None], str]:
    """A stored UTC time → «06.03.2026 14:05» in the municipality's zone (``[plan]``)."""

    def moment(text: str | None) -> str:
        when = parse_time(text)
        return "—" if when is None else when.astimezone(zone).strftime("%d.%m.%Y %H:%M")

    return moment


def _notice_visible(notice: dict[str, Any], who: Operator, accounts: set[str]) -> bool:
    if notice["account_id"]:
        return notice["account_id"] in accounts or (
            notice["organization"] is not None and who.sees(notice["organization"])
        )
    return who.sees(notice["organization"])


def _notice_text(notice: dict[str, Any]) -> str:
    """What must be reported, in Russian (``hub notices`` says it in English)."""
    text = NOTICE_KINDS.get(notice["kind"], notice["kind"])
    if notice["account_id"]:
        text += f" {notice['account_id']}"
    if notice["organization"]:
        text += f" («{notice['organization']}»)"
    if notice["kind"] == "responsible_changed":
        to = notice["details"].get("to") or {}
        if to:
            text += f": теперь {to.get('name')}, {to.get('position')}"
    return text


def _organizations(store: Store, snapshot: dict[str, Any], who: Operator) -> list[dict[str, Any]]:
    """The page's organizations: the snapshot's, with the history and (admin) attestations."""
    out = []
    for org in snapshot["organizations"]:
        accounts = []
        for account in org["accounts"]:
            accounts.append(
                {
                    **account,
                    "link": safe_url(account["url"]),
                    "attestation": (
                        attestation_summary(store, account["id"])
                        if who.may("attestations")
                        else None
                    ),
                }
            )
        out.append(
            {
                **org,
                "level_text": LEVEL_TEXT.get(org["level"] or "", "уровень не указан"),
                "website_link": safe_url(org["contacts"]["website"]),
                "history": responsible_history(store, org["name"]) if org["declared"] else [],
                "accounts": accounts,
            }
        )
    return out


async def index(request: Request) -> Response:
    """Organizations with their accounts and responsible persons, and the notices due."""
    config, store = synced_store(request)
    who = operator(request)
    snapshot = scoped_snapshot(registry_snapshot(store, config, sync=False), who.sees)
    visible = {a["id"] for o in snapshot["organizations"] for a in o["accounts"]}
    visible |= {a.id for a in console(request).accounts_for(who)}
    today = date.today().isoformat()
    notices = [
        {**n, "text": _notice_text(n), "due_today": n["due_date"] == today}
        for n in list_notices(store, status="pending")
        if _notice_visible(n, who, visible)
    ]
    return render(
        request,
        "registry/index.html",
        organizations=_organizations(store, snapshot, who),
        totals=snapshot["totals"],
        notices=notices,
        overdue=sum(n["overdue"] for n in notices),
        titles=network_titles(request),
        attestations=who.may("attestations"),
        formats=FORMATS,
        day=day,
        moment=moment_in(parse_plan(config.raw).time_zone),
    )


async def export(request: Request) -> Response:
    """A download of the registry as ``hub registry export --format FMT`` writes it."""
    fmt = request.path_params["fmt"]
    if fmt not in FORMATS:
        raise NotFoundError(f"нет выгрузки в формате {fmt!r}: есть html, json и csv")
    config, store = synced_store(request)
    data, _snapshot = export_data(
        store,
        config,
        fmt,
        network_titles=network_titles(request),
        sees=operator(request).sees,
    )
    return Response(
        data,
        media_type=CONTENT_TYPES[fmt],
        headers={"content-disposition": f'attachment; filename="registry.{fmt}"'},
    )


ROUTES = [
    Route("/registry", index),
    Route("/registry/export.{fmt}", export),
]
