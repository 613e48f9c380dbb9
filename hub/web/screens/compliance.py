"""«Соответствие» (``/compliance``): the week's traffic lights per organization and account,
why a line is not green and how to fix it, and the printable page — read-only.

The figures are :func:`hub.compliance.compliance_report`'s, called as ``hub compliance``
calls it (the registry synced from the config first, the networks' page fields from the
plugins); ``?week=2026-W10`` is the command's ``--week``, this week by default. The
words are the printable page's (:mod:`hub.compliance.html_tables`,
:func:`hub.compliance.html.account_fixes`), so the screen and the paper agree.

Scope: the report is cut to the operator's organizations
(:func:`hub.compliance.scope.scoped_report`) before anything is shown — the screen and
``/compliance/print`` alike; an operator with no organization limit sees the whole
report, exactly as ``hub compliance --format html`` writes it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from ...compliance import compliance_report, network_page_fields, week_of
from ...compliance.html import account_fixes, organization_fixes, render_html, week_words
from ...compliance.html_style import NOT_JUDGED
from ...compliance.html_tables import (
    SIGNS,
    WORDS,
    _notices,
    _org_removal,
    _page,
    _posts,
    _removal,
    _yes_no,
)
from ...compliance.scope import scoped_report
from ...compliance.week import Week, parse_week
from ...errors import ConfigError, HubError
from ...plan.settings import parse_plan
from ..pages import console, operator, render
from .registry import network_titles, synced_store

#: the printable page's own policy (it carries it in a meta tag): its inline style only
CSP_META = re.compile(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">')


def _week(request: Request) -> Week:
    """``?week=`` (``2026-W10``, as ``--week``), else this week in ``[plan] time_zone``."""
    text = (request.query_params.get("week") or "").strip()
    if not text:
        zone = parse_plan(console(request).config().raw).time_zone
        return week_of(datetime.now(UTC), zone)
    try:
        return parse_week(text)
    except ConfigError:
        pass
    raise HubError(
        f"неделя указывается как 2026-W10: год, -W и номер недели по ISO (01–53); "
        f"«{text[:40]}» — не неделя"
    )


def _shifted(week: Week, weeks: int) -> Week:
    """The week ``weeks`` before or after (itself at the calendar's very ends)."""
    try:
        year, number, _ = (week.monday + timedelta(weeks=weeks)).isocalendar()
    except OverflowError:
        return week
    return Week(year, number)


def scoped(request: Request, week: Week) -> dict[str, Any]:
    """The week's report as ``hub compliance`` makes it, cut to the operator's organizations."""
    config, store = synced_store(request)
    report = compliance_report(
        store, config, week, page_fields=network_page_fields(console(request).pm)
    )
    return scoped_report(report, operator(request).sees)


def _cell(label: str, status: str, html: str, span: int = 1) -> str:
    """A check's cell, tinted and led by its status's sign, the word for screen readers.

    Built here rather than in the template: a page of 200 accounts has 1,400 of them.
    ``html`` comes escaped from :mod:`hub.compliance.html_tables`; ``label`` is ours."""
    colspan = f' colspan="{span}"' if span > 1 else ""
    return (
        f'<td class="c-{status}" data-label="{label}"{colspan}>'
        f'<span class="sign status-{status}" aria-hidden="true">{SIGNS[status]}</span>'
        f'<span class="visually-hidden">{WORDS[status]}: </span>{html}</td>'
    )


def _row(cells: list[str]) -> Markup:
    return Markup("".join(cells))  # every value in them escaped by html_tables


def _account_view(a: dict[str, Any], targets: dict[str, int], anchor: str) -> dict[str, Any]:
    judged = a.get("judged", True)

    def status(check: str) -> str:
        return a[check]["status"] if judged else NOT_JUDGED

    line = a["status"] if judged else NOT_JUDGED
    return {
        "line": a,
        "anchor": anchor,
        "status": line,
        "word": WORDS[line],
        "cells": _row(
            [
                _cell("Публикации за неделю", status("posts"), _posts(a["posts"])),
                _cell("Оформление и контакты", status("page"), _page(a["page"])),
                _cell(
                    "Двухфакторная защита",
                    status("two_factor"),
                    _yes_no(a["two_factor"]["attested"], "включена", "не включена"),
                ),
                _cell(
                    "Госпаблики",
                    status("gospabliki"),
                    _yes_no(a["gospabliki"]["connected"], "подключён", "не подключён"),
                ),
                _cell(
                    "Удаление нарушающих комментариев", status("removal"), _removal(a["removal"])
                ),
                _cell("Просроченные уведомления", status("notices"), _notices(a["notices"])),
            ]
        ),
        "fixes": [
            {"status": s, "word": WORDS[s], "html": Markup(h)}  # the library escaped every value
            for s, h in account_fixes(a, targets)
        ],
    }


def _org_view(
    o: dict[str, Any], accounts: dict[str, dict[str, Any]], anchors: dict[str, str], judged: bool
) -> dict[str, Any]:
    def status(check: str) -> str:
        return o[check]["status"] if judged else NOT_JUDGED

    n = len(o["accounts"])
    still_up = sum(accounts[i]["removal"]["still_up"] for i in o["accounts"] if i in accounts)
    line = o["status"] if judged else NOT_JUDGED
    if n:
        cells = [
            _cell(
                "Страниц с нормой публикаций",
                status("posts"),
                f"{o['posts']['accounts_meeting_norm']} из {n}",
            ),
            _cell("Страниц заполнено полностью", status("page"), f"{o['page']['complete']} из {n}"),
            _cell(
                "Двухфакторная защита",
                status("two_factor"),
                f"{o['two_factor']['attested']} из {n}",
            ),
            _cell(
                "Подключено к Госпабликам",
                status("gospabliki"),
                f"{o['gospabliki']['connected']} из {n}",
            ),
            _cell(
                "Удаление нарушающих комментариев",
                status("removal"),
                _org_removal(o["removal"], still_up),
            ),
        ]
    else:
        pages = ("green" if o["exempt"] else "red") if judged else NOT_JUDGED
        what = "освобождена от ведения страниц" if o["exempt"] else "официальных страниц нет"
        cells = [_cell("Страницы", pages, what, span=5)]
    cells.append(_cell("Просроченные уведомления", status("notices"), _notices(o["notices"])))
    return {
        "line": o,
        "status": line,
        "word": WORDS[line],
        "posts_text": f"{o['posts']['count']} (норма {o['posts']['norm']} на каждую страницу)"
        if n
        else "—",
        "cells": _row(cells),
        "fixes": [
            {"status": s, "word": WORDS[s], "html": Markup(h)}  # the library escaped every value
            for s, h in organization_fixes(o, anchors)
        ]
        if judged
        else [],
    }


async def index(request: Request) -> Response:
    """The week's lights, reasons and fixes (``?week=``: the command's ``--week``)."""
    week = _week(request)
    report = scoped(request, week)
    anchors = {a["account"]: f"account-{n}" for n, a in enumerate(report["accounts"], 1)}
    accounts = {a["account"]: a for a in report["accounts"]}
    judged = report["state"] != "before_install"
    return render(
        request,
        "compliance/index.html",
        report=report,
        week=week,
        week_text=week_words(report["from"], report["to"]),
        previous=_shifted(week, -1).label,
        following=_shifted(week, 1).label,
        not_judged=sum(not a.get("judged", True) for a in report["accounts"]),
        accounts=[
            _account_view(a, report["targets"], anchors[a["account"]]) for a in report["accounts"]
        ],
        organizations=[_org_view(o, accounts, anchors, judged) for o in report["organizations"]],
        titles=network_titles(request),
    )


async def printable(request: Request) -> Response:
    """The page ``hub compliance --format html`` writes, for the operator's organizations.

    It is self-contained (its style inline, hashed into its own Content-Security-Policy),
    so it is served under that policy instead of the console's, which allows no inline
    style; it still may not be framed."""
    page = render_html(scoped(request, _week(request)))
    found = CSP_META.search(page)
    policy = (found.group(1) if found else "default-src 'none'") + "; frame-ancestors 'none'"
    return HTMLResponse(page, headers={"content-security-policy": policy})


ROUTES = [
    Route("/compliance", index),
    Route("/compliance/print", printable),
]
