"""«Контент-план» (``/plan``): the week as a calendar per organization and account, drafts
with the linter's findings marked in their text, writing and editing (``write``),
approving and rejecting (``approve``), publishing an approved draft at once, and the
forecast against the weekly norm.

One implementation: every action is the library call the ``hub plan`` command makes
(:mod:`hub.plan.drafts`, :func:`hub.plan.publish.publish_draft` through its outbox),
signed with the operator's login as the CLI signs with ``--by``. Decisions that are
the console's own:

- an edit of an approved draft sends it back to approval (``drafts.update_draft``);
  one that has begun going out is refused;
- "publish now" is an approver's act (``approve``): it puts the approved text out
  before its time, which is the approver's call, not the author's;
- with ``[web] separate_approval`` (the default) nobody approves a draft they wrote:
  the button is not shown and the library refuses it inside the approval's
  transaction;
- an operator limited to organizations sees a draft when one of its accounts is
  theirs, and acts on it only when all of them are.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ...compliance.week import FIRST_MONDAY, LAST_MONDAY
from ...errors import HubError, NotFoundError
from ...i18n import parse_day
from ...plan import calendar, drafts, publish
from ...plan.lint import Finding, lint
from ...plan.settings import PlanSettings, parse_plan
from ..pages import (
    Forbidden,
    action_form,
    console,
    operator,
    render,
    visible_account_ids,
    visible_accounts,
    whole_number,
)

#: a draft's number: SQLite takes no integer past this
MAX_ID = 2**63 - 1
#: drafts awaiting approval listed under the calendar
WAITING = 100
#: a draft's state: (label, badge colour)
DRAFT_STATES = {
    "draft": ("черновик, ждёт согласования", "yellow"),
    "approved": ("согласован", ""),
    "published": ("опубликован", "green"),
    "failed": ("ошибка публикации", "red"),
    "rejected": ("отклонён", ""),
}
#: a publication's state on one account: (label, badge colour)
TARGET_STATES = {
    "pending": ("ждёт публикации", ""),
    "sending": ("отправляется", "yellow"),
    "unknown": ("неизвестно, вышел ли: проверьте страницу", "yellow"),
    "published": ("опубликован", "green"),
    "failed": ("ошибка", "red"),
}
#: the same, short, for a calendar cell
SHORT_STATES = {
    "draft": ("на согласовании", "yellow"),
    "approved": ("согласован", ""),
    "published": ("опубликован", "green"),
    "failed": ("ошибка", "red"),
    "rejected": ("отклонён", ""),
    "sending": ("отправляется", "yellow"),
    "unknown": ("не проверен", "yellow"),
}
WEEKDAYS = ("Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс")
#: what a redirect after an action says (``?done=``)
DONE = {
    "created": "Черновик №{id} записан; он выйдет только после согласования.",
    "saved": "Черновик №{id} исправлен.",
    "reapprove": "Черновик №{id} исправлен; согласование снято — его нужно согласовать снова.",
    "approved": "Черновик №{id} согласован: выйдет {at}.",
    "rejected": "Черновик №{id} отклонён.",
}
WARNINGS = {
    "score": "Внимание: в тексте много канцелярита (оценка {score} при пороге {threshold}).",
    "late": "Внимание: время публикации уже прошло — пост выйдет при ближайшем запуске.",
}
TIME_HINT = "03.12.2026 09:00, 2026-12-03 09:00 или «сейчас»"


# --------------------------------------------------------------------------- helpers


def _settings(request: Request) -> PlanSettings:
    return parse_plan(console(request).config().raw)


def _local(moment: datetime | None, settings: PlanSettings) -> str:
    if moment is None:
        return "—"
    return moment.astimezone(settings.time_zone).strftime("%d.%m.%Y %H:%M")


def _stamp(text: str | None, settings: PlanSettings) -> str:
    """A stored UTC time in the municipality's time."""
    if not text:
        return "—"
    return _local(datetime.fromisoformat(text.replace("Z", "+00:00")), settings)


def _draft_id(request: Request) -> int:
    raw = request.path_params["draft_id"]
    number = whole_number(raw)
    if number is None or not 0 < number <= MAX_ID:
        raise NotFoundError(f"черновика №{raw[:40]} нет")
    return number


def _in_scope(request: Request, account_id: str) -> bool:
    """Whether this operator sees ``account_id`` (an account gone from the config: only
    an operator not limited to organizations)."""
    if not operator(request).organizations:
        return True
    return account_id in {a.id for a in visible_accounts(request)}


def _load(request: Request, draft_id: int) -> drafts.Draft:
    """A draft with at least one account this operator sees; else "not found"."""
    try:
        draft = drafts.load_draft(console(request).store(), draft_id)
    except NotFoundError:
        raise NotFoundError(f"черновика №{draft_id} нет") from None
    if not any(_in_scope(request, t.account_id) for t in draft.targets):
        raise NotFoundError(f"черновика №{draft_id} нет")
    return draft


def _acts_on(request: Request, draft: drafts.Draft) -> bool:
    """Whether every account of the draft is this operator's (so they may act on it)."""
    return all(_in_scope(request, t.account_id) for t in draft.targets)


def _check_scope(request: Request, draft: drafts.Draft) -> None:
    if not _acts_on(request, draft):
        raise Forbidden(
            f"черновик №{draft.id} идёт и в аккаунты вне ваших организаций; "
            "действовать с ним может только тот, кому видны все его аккаунты"
        )


def _own(request: Request, draft: drafts.Draft) -> bool:
    """The operator wrote it, and separate approval forbids approving one's own draft."""
    return console(request).settings.separate_approval and draft.created_by == (
        operator(request).login
    )


def _to_draft(draft_id: int, done: str, warn: list[str] | None = None) -> RedirectResponse:
    query = urlencode([("done", done), *(("warn", w) for w in warn or [])])
    return RedirectResponse(f"/plan/drafts/{draft_id}?{query}", status_code=303)


def marked(text: str, findings: list[Finding]) -> Markup:
    """The text with each finding in ``<mark title="suggestion">``; overlapping findings
    split the text into pieces, each marked with every finding over it. Everything is
    escaped here: the marks are the only markup."""
    cuts = sorted({0, len(text), *(f.span[0] for f in findings), *(f.span[1] for f in findings)})
    out = []
    for start, end in zip(cuts, cuts[1:], strict=False):
        piece = text[start:end]
        over = [f for f in findings if f.span[0] <= start and end <= f.span[1]]
        if not over:
            out.append(escape(piece))
            continue
        title = "; ".join(dict.fromkeys(f"«{f.match}» → {f.suggestion}" for f in over))
        if all(f.rule == "style.long_sentence" for f in over):
            kind = "lint long"
        else:
            kind = f"lint sev-{max(f.severity for f in over if f.rule != 'style.long_sentence')}"
        out.append(Markup('<mark class="{}" title="{}">{}</mark>').format(kind, title, piece))
    return Markup("").join(out)


# --------------------------------------------------------------------------- the week


def _week_day(request: Request, settings: PlanSettings) -> tuple[date, str | None]:
    today = datetime.now(settings.time_zone).date()
    raw = request.query_params.get("week")
    if not raw:
        return today, None
    try:
        day = parse_day(raw)
    except ValueError:
        return today, (
            f"не понимаю неделю «{raw}»: укажите любой её день как 2026-12-07 или "
            "07.12.2026; показана текущая неделя"
        )
    if not FIRST_MONDAY <= day <= LAST_MONDAY:
        return today, f"неделя «{raw}» вне календаря; показана текущая неделя"
    return day, None


async def index(request: Request) -> Response:
    """The week: a row per account (grouped by organization), a column per day."""
    settings = _settings(request)
    store = console(request).store()
    day, error = _week_day(request, settings)
    week = calendar.week_of_day(day)
    days = calendar.week_days(week)
    accounts = visible_accounts(request)
    by_cell: dict[tuple[str, date], list] = {}
    for entry in calendar.week_entries(store, accounts, week, settings):
        by_cell.setdefault((entry.account_id, entry.day), []).append(entry)
    groups: dict[str, list[dict]] = {}
    for account in accounts:
        cells = [by_cell.get((account.id, d), []) for d in days]
        groups.setdefault(account.organization or "Организация не указана", []).append(
            {
                "account": account,
                "forecast": calendar.forecast(store, account, week, settings),
                "cells": cells,
            }
        )
    limited, seen = bool(operator(request).organizations), {a.id for a in accounts}
    waiting = [
        d
        for d in drafts.list_drafts(store, "draft", limit=WAITING)
        if not limited or any(t.account_id in seen for t in d.targets)
    ]
    return render(
        request,
        "plan/index.html",
        visible=visible_account_ids(request),
        error=error,
        week=week,
        days=days,
        weekdays=WEEKDAYS,
        today=datetime.now(settings.time_zone).date(),
        groups=groups,
        waiting=waiting,
        previous=(week.monday - timedelta(days=7)).isoformat(),
        following=(week.monday + timedelta(days=7)).isoformat(),
        current=calendar.week_of_day(datetime.now(settings.time_zone).date()) == week,
        short_states=SHORT_STATES,
        zone=settings.time_zone.key,
        local=lambda m: _local(m, settings),
        headline=calendar.headline,
    )


# --------------------------------------------------------------------------- one draft


def _draft_page(
    request: Request,
    draft: drafts.Draft,
    status: int = 200,
    message: str | None = None,
    error: str | None = None,
) -> Response:
    settings = _settings(request)
    who = operator(request)
    findings = lint(draft.text).findings
    acts = _acts_on(request, draft)
    open_ = draft.state in ("draft", "approved") and all(
        t.state == "pending" for t in draft.targets
    )
    return render(
        request,
        "plan/draft.html",
        status=status,
        message=message,
        error=error,
        draft=draft,
        text=marked(draft.text, findings),
        findings=findings,
        targets=[t for t in draft.targets if _in_scope(request, t.account_id)],
        hidden_targets=sum(1 for t in draft.targets if not _in_scope(request, t.account_id)),
        threshold=settings.lint_threshold,
        may_edit=acts and who.may("write") and open_,
        may_approve=acts and who.may("approve") and draft.state == "draft",
        own=_own(request, draft),
        may_reject=acts and who.may("approve") and draft.state in ("draft", "approved", "failed"),
        may_publish=acts and who.may("approve") and draft.state in ("approved", "failed"),
        draft_states=DRAFT_STATES,
        target_states=TARGET_STATES,
        at=_local(draft.publish_at, settings),
        stamp=lambda t: _stamp(t, settings),
        zone=settings.time_zone.key,
        week=draft.publish_at.astimezone(settings.time_zone).date().isoformat(),
    )


async def show(request: Request) -> Response:
    """A draft: its marked text, its accounts' publication, the actions the role allows."""
    draft = _load(request, _draft_id(request))
    settings = _settings(request)
    done = request.query_params.get("done")
    message = None
    if done in DONE:
        message = DONE[done].format(id=draft.id, at=_local(draft.publish_at, settings))
        for warn in request.query_params.getlist("warn"):
            if warn in WARNINGS:
                message += " " + WARNINGS[warn].format(
                    score=draft.lint_score, threshold=settings.lint_threshold
                )
    return _draft_page(request, draft, message=message)


async def approve_draft(request: Request) -> Response:
    """``hub plan approve ID --by LOGIN``; a stale page gets the draft as it is now."""
    await action_form(request, "approve")
    draft_id = _draft_id(request)
    draft = _load(request, draft_id)
    _check_scope(request, draft)
    if _own(request, draft):
        return _draft_page(
            request,
            draft,
            403,
            error=(
                f"черновик №{draft_id} написали вы; по правилам согласования "
                "([web] separate_approval) его должен согласовать другой человек"
            ),
        )
    the_console = console(request)
    try:
        approved, warning = drafts.approve(
            the_console.store(),
            the_console.config(),
            draft_id,
            operator(request).login,
            separate=the_console.settings.separate_approval,
        )
    except HubError:
        return _stale(request, draft_id, "согласовать")
    settings = _settings(request)
    warn = []
    if warning and (approved.lint_score or 0) > settings.lint_threshold:
        warn.append("score")
    if warning and datetime.now(UTC) - approved.publish_at > timedelta(minutes=15):
        warn.append("late")
    return _to_draft(draft_id, "approved", warn)


def _stale(request: Request, draft_id: int, what: str) -> Response:
    """The draft changed since the page was drawn: say how it is now, do nothing."""
    draft = _load(request, draft_id)
    label = DRAFT_STATES[draft.state][0]
    if draft.state == "draft":
        return _draft_page(
            request, draft, 409, error=f"нельзя {what} черновик №{draft_id}: он ещё не согласован"
        )
    by = ""
    if draft.state == "approved" and draft.approved_by:
        by = f" ({draft.approved_by}, {_stamp(draft.approved_at, _settings(request))})"
    elif draft.state == "rejected" and draft.rejected_by:
        by = f" ({draft.rejected_by}, {_stamp(draft.rejected_at, _settings(request))})"
    return _draft_page(
        request,
        draft,
        409,
        error=(
            f"нельзя {what} черновик №{draft_id}: он уже в состоянии «{label}»{by}. "
            "Страница была устаревшей — ниже он такой, какой сейчас."
        ),
    )


async def reject_draft(request: Request) -> Response:
    """``hub plan reject ID --reason ... --by LOGIN``: a reason is required, as there."""
    form = await action_form(request, "approve")
    draft_id = _draft_id(request)
    draft = _load(request, draft_id)
    _check_scope(request, draft)
    reason = str(form.get("reason") or "").strip()
    if not reason:
        return _draft_page(
            request,
            draft,
            400,
            error="напишите причину отказа: автору нужно знать, что исправить",
        )
    if draft.state not in ("draft", "approved", "failed"):
        return _stale(request, draft_id, "отклонить")
    try:
        drafts.reject(console(request).store(), draft_id, operator(request).login, reason)
    except HubError as exc:
        fresh = _load(request, draft_id)
        if fresh.state not in ("draft", "approved", "failed"):
            return _stale(request, draft_id, "отклонить")
        return _draft_page(
            request,
            fresh,
            409,
            error=f"черновик №{draft_id} не отклонён: он может сейчас выходить ({exc})",
        )
    return _to_draft(draft_id, "rejected")


async def publish_now(request: Request) -> Response:
    """``hub plan publish ID``: the approved draft goes out now, each account once."""
    await action_form(request, "approve")
    draft_id = _draft_id(request)
    draft = _load(request, draft_id)
    _check_scope(request, draft)
    the_console = console(request)
    store = the_console.store()
    try:
        outcomes = await publish.publish_draft(
            store, the_console.pm, the_console.config(), draft_id, retry_failed=True
        )
    except HubError:
        return _stale(request, draft_id, "опубликовать")
    fresh = drafts.load_draft(store, draft_id)
    if not outcomes:
        return _draft_page(request, fresh, message=f"черновик №{draft_id} уже опубликован везде")
    lines = []
    for outcome in outcomes:
        label = TARGET_STATES.get(outcome.state, (outcome.state, ""))[0]
        if outcome.state == "sending":
            label = "уже отправляется другим запросом — обновите страницу через минуту"
        elif outcome.state != "published" and outcome.detail:
            label += f" ({outcome.detail})"
        lines.append(f"{outcome.account_id}: {label}")
    bad = [o for o in outcomes if o.state not in ("published", "sending")]
    text = "; ".join(lines)
    if bad:
        return _draft_page(request, fresh, error=f"не всё опубликовано: {text}")
    return _draft_page(request, fresh, message=f"Черновик №{draft_id}: {text}")


ROUTES = [
    Route("/plan", index),
    Route("/plan/drafts/{draft_id}", show),
    Route("/plan/drafts/{draft_id}/approve", approve_draft, methods=["POST"]),
    Route("/plan/drafts/{draft_id}/reject", reject_draft, methods=["POST"]),
    Route("/plan/drafts/{draft_id}/publish", publish_now, methods=["POST"]),
]
