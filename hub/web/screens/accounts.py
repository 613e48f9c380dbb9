"""Аккаунты (``/accounts``): each visible account's sync health, "check" and "sync now".

The table is :func:`hub.sync.health.account_health` (no network asked), grouped by
organization, with a red/yellow/green badge and the reasons in Russian.

"Проверить" runs :func:`hub.networks.check_account`, the check ``hub accounts check
ACCOUNT`` prints; "Синхронизировать сейчас" runs what ``hub sync ACCOUNT`` runs
(:func:`hub.sync.check_networks`, :func:`hub.sync.without_tokens`,
:func:`hub.registry.sync_registry`, :func:`hub.sync.run_sync`). Both need the ``sync``
permission (admin, moderator): the check is read-only on the network, but it spends
the account's API quota and may refresh (rotate) a stored ``hub auth`` token, so it
is not a viewer's button. A viewer still sees everything the stored health says.

Two clicks at once never run two syncs of one account in this console: a
per-account :class:`asyncio.Lock` refuses the second ("синхронизация уже идёт").
A sync of the same account by another process (the daemon) is not excluded here,
and needs not be: the sync's cursors are written with the data they cover, so a
repeat reads again what it must and stores nothing twice.

Every failure is a line on the page (the library's own words, redacted), never a
traceback or a token.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import weakref
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...errors import HubError
from ...log import get_logger
from ...models import Account
from ...networks import check_account
from ...registry import sync_registry
from ...secrets import redact
from ...sync import check_networks, not_synced_line, run_sync, without_tokens
from ...sync.health import AccountHealth, account_health
from ...sync.runs import AccountRun
from ..console import Console
from ..pages import (
    action_form,
    console,
    is_htmx,
    operator,
    render,
    visible_account,
    visible_accounts,
)

log = get_logger("hub.web.accounts")
#: a last successful sync older than this is worth a yellow badge
STALE_AFTER = timedelta(hours=24)
STATUS_WORDS = {"ok": "успешно", "failed": "ошибка", "paused": "пауза"}
FINDING_WORDS = {"ok": "в порядке", "PROBLEM": "ПРОБЛЕМА", "not checked": "не проверено"}
FINDING_LEVELS = {"ok": "green", "PROBLEM": "red", "not checked": "yellow"}
LEVEL_WORDS = {"red": "проблема", "yellow": "внимание", "green": "в порядке"}

#: console → account id → the lock its "sync now" holds (per console: one event loop each)
_LOCKS: weakref.WeakKeyDictionary[Console, dict[str, asyncio.Lock]] = weakref.WeakKeyDictionary()


@dataclass
class Result:
    """What a click said, shown under the account's row."""

    title: str
    level: str  # red | yellow | green
    lines: list[tuple[str, str]] = field(default_factory=list)  # (level, text)


def when(value: str | None) -> str:
    """A stored UTC time (``2026-12-08T02:00:00Z``) as ``2026-12-08 02:00 UTC``."""
    if not value:
        return "—"
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _epoch(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M UTC")


def dom_id(account_id: str) -> str:
    """An element id for the account's rows (an account id may hold any character)."""
    return "account-" + hashlib.sha1(account_id.encode()).hexdigest()[:12]


def problems(h: AccountHealth, now: datetime) -> list[tuple[str, str]]:
    """The account's reasons for a red or yellow badge, in Russian: (level, text)."""
    account, out = h.account, []
    if h.token.problem:
        out.append(("red", f"токен не найден: {redact(h.token.problem)}"))
    if h.token_refused:
        out.append(
            (
                "red",
                "сеть отклонила токен при последней синхронизации; демон не синхронизирует "
                f"этот аккаунт, пока не изменится конфигурация: положите действующий токен "
                f"в ${account.token_env} или выполните «hub auth {account.network} "
                f"{account.id}»",
            )
        )
    if h.token.expired:
        out.append(
            (
                "red",
                f"сохранённый токен («hub auth») истёк {_epoch(h.token.expires_at or 0)} и не "
                f"обновляется сам: выполните «hub auth {account.network} {account.id}»",
            )
        )
    elif h.token.expiring:
        out.append(
            (
                "yellow",
                f"сохранённый токен («hub auth») истекает {_epoch(h.token.expires_at or 0)} и "
                f"не обновляется сам: выполните «hub auth {account.network} {account.id}»",
            )
        )
    if h.last_status == "failed" and not h.token_refused:
        out.append(("red", f"последняя синхронизация не удалась: {h.last_error or '—'}"))
    if h.paused_until:
        out.append(
            (
                "yellow",
                f"приостановлен до {when(h.paused_until)}: сеть ограничила частоту запросов "
                f"({h.pause_reason or '—'}); синхронизация возобновится сама",
            )
        )
    if h.last_status is None:
        out.append(("yellow", "ещё ни разу не синхронизировался"))
    elif h.last_ok_at is None:
        out.append(("yellow", "ни одной успешной синхронизации"))
    elif now - datetime.fromisoformat(h.last_ok_at.replace("Z", "+00:00")) > STALE_AFTER:
        out.append(("yellow", f"последняя успешная синхронизация — {when(h.last_ok_at)}"))
    return out


def row_view(h: AccountHealth, now: datetime) -> dict[str, Any]:
    """What the template shows of one account (never a token)."""
    found = problems(h, now)
    levels = {level for level, _text in found}
    level = "red" if "red" in levels else "yellow" if "yellow" in levels else "green"
    if h.token.source == "stored":
        expiry = f"до {_epoch(h.token.expires_at)}" if h.token.expires_at else "бессрочный"
        refresh = "обновляется сам" if h.token.refreshable else "не обновляется"
        token = f"сохранённый («hub auth»), {expiry}, {refresh}"
    else:
        token = f"из переменной {h.account.token_env}"
    return {
        "health": h,
        "id": h.account.id,
        "dom_id": dom_id(h.account.id),
        "level": level,
        "level_word": LEVEL_WORDS[level],
        "problems": found,
        "status_word": STATUS_WORDS.get(h.last_status or "", h.last_status or "не было"),
        "finished": when(h.last_finished_at),
        "last_ok": when(h.last_ok_at),
        "token": token,
    }


def _views(request: Request, accounts: list[Account]) -> list[dict[str, Any]]:
    the_console = console(request)
    found = account_health(the_console.store(), the_console.config(), accounts)
    now = datetime.now(UTC)
    return [row_view(h, now) for h in found]


def _groups(views: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for view in views:
        groups.setdefault(view["health"].account.organization or "—", []).append(view)
    return sorted(groups.items(), key=lambda item: item[0].casefold())


async def index(request: Request) -> Response:
    return _page(request)


def _page(
    request: Request, results: dict[str, Result] | None = None, status: int = 200
) -> Response:
    views = _views(request, visible_accounts(request))
    return render(
        request,
        "accounts/index.html",
        status=status,
        groups=_groups(views),
        results=results or {},
        may_sync=operator(request).may("sync"),
        total=len(views),
    )


def _answer(request: Request, account: Account, result: Result) -> Response:
    """The account's rows with the result (HTMX), or the whole page with it."""
    if not is_htmx(request):
        return _page(request, {account.id: result})
    view = _views(request, [account])[0]
    return render(
        request,
        "accounts/_account.html",
        view=view,
        result=result,
        may_sync=operator(request).may("sync"),
    )


async def check(request: Request) -> Response:
    """``hub accounts check ACCOUNT`` for one account, its lines on the page."""
    await action_form(request, "sync")
    account = visible_account(request, request.path_params["account_id"])
    the_console = console(request)
    try:
        findings = await check_account(the_console.pm, the_console.config(), account)
    except HubError as exc:
        result = Result("Проверка не выполнена", "red", [("red", redact(str(exc)))])
    except Exception as exc:  # an answer the plugin trips on: its words, never a traceback
        log.error("check failed", account=account.id, error=redact(repr(exc)))
        text = f"непредвиденная ошибка {type(exc).__name__}: {redact(str(exc))}"
        result = Result("Проверка не выполнена", "red", [("red", text)])
    else:
        lines = [
            (FINDING_LEVELS[f.status], f"{FINDING_WORDS[f.status]}: {redact(f.text)}")
            for f in findings
        ]
        bad = sum(f.status == "PROBLEM" for f in findings)
        result = (
            Result(f"Проверка: проблем — {bad}", "red", lines)
            if bad
            else Result("Проверка: всё в порядке", "green", lines)
        )
    return _answer(request, account, result)


def _locks(the_console: Console) -> dict[str, asyncio.Lock]:
    return _LOCKS.setdefault(the_console, {})


async def sync_now(request: Request) -> Response:
    """``hub sync ACCOUNT`` for one account; a second click meanwhile is refused."""
    await action_form(request, "sync")
    account = visible_account(request, request.path_params["account_id"])
    lock = _locks(console(request)).setdefault(account.id, asyncio.Lock())
    if lock.locked():
        result = Result(
            "Синхронизация уже идёт",
            "yellow",
            [("yellow", "синхронизация этого аккаунта уже идёт; её итог появится здесь")],
        )
        return _answer(request, account, result)
    async with lock:
        result = await _sync(request, account)
    return _answer(request, account, result)


async def _sync(request: Request, account: Account) -> Result:
    the_console = console(request)
    config, store = the_console.config(), the_console.store()
    started = time.monotonic()
    try:
        check_networks(the_console.pm, config, [account])
        missing = without_tokens([account], config)[1]
        if missing:
            return Result(
                "Синхронизация не запущена: нет токена",
                "red",
                [("red", redact(not_synced_line(missing)))],
            )
        sync_registry(store, config)  # as `hub sync`: accounts new to the config get notices
        runs = await run_sync(store, the_console.pm, config, [account])
    except HubError as exc:
        return Result("Синхронизация не выполнена", "red", [("red", redact(str(exc)))])
    except Exception as exc:  # a bug, a locked database: said, never a traceback
        log.error("sync now failed", account=account.id, error=redact(repr(exc)))
        text = f"непредвиденная ошибка {type(exc).__name__}: {redact(str(exc))}"
        return Result("Синхронизация не выполнена", "red", [("red", text)])
    run = next(r for r in runs if r.account.id == account.id)
    log.info(
        "sync now",
        account=account.id,
        by=operator(request).actor,
        status=run.status,
        seconds=round(time.monotonic() - started, 3),
    )
    return sync_result(run)


def sync_result(run: AccountRun) -> Result:
    """One run's line in Russian (the library's own words for a failure)."""
    error = redact(run.error or "")
    if run.status == "paused":
        return Result(
            "Синхронизация отложена: сеть ограничила частоту запросов",
            "yellow",
            [("yellow", error)],
        )
    if not run.ok and run.token_rejected:
        return Result(
            "Синхронизация не удалась: сеть отклонила токен",
            "red",
            [("red", error)],
        )
    if not run.ok:
        return Result("Синхронизация не удалась", "red", [("red", error)])
    line = (
        f"посты: новых {run.posts_new}, изменённых {run.posts_updated}, "
        f"удалённых {run.posts_deleted}; комментарии: новых {run.comments_new}, "
        f"изменённых {run.comments_updated}, удалённых {run.comments_deleted} "
        f"({run.seconds:.1f} с)"
    )
    lines = [("green", line)]
    lines += [("yellow", redact(w)) for w in [*run.warnings, *([run.note] if run.note else [])]]
    return Result("Синхронизация завершена", "green", lines)


ROUTES = [
    Route("/accounts", index, methods=["GET"]),
    Route("/accounts/{account_id}/check", check, methods=["POST"]),
    Route("/accounts/{account_id}/sync", sync_now, methods=["POST"]),
]
