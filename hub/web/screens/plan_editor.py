"""«Контент-план», writing (``write``): a new draft's form and an existing draft's editor,
through :func:`hub.plan.drafts.add_draft` and :func:`hub.plan.drafts.update_draft` — the
calls ``hub plan add`` and ``hub plan edit`` make — signed with the operator's login.
The calendar, the draft's page and the decisions are :mod:`hub.web.screens.plan`'s.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...errors import HubError
from ...models import Account
from ...plan import drafts
from ..pages import (
    Forbidden,
    action_form,
    console,
    operator,
    render,
    visible_account,
    visible_accounts,
)
from .plan import (
    DRAFT_STATES,
    TIME_HINT,
    _check_scope,
    _draft_id,
    _load,
    _local,
    _settings,
    _to_draft,
)


def _form_values(form: FormData | None, draft: drafts.Draft | None, settings) -> dict:
    if form is not None:
        return {
            "title": str(form.get("title") or ""),
            "text": str(form.get("text") or ""),
            "when": str(form.get("when") or ""),
            "accounts": [str(a) for a in form.getlist("account")],
        }
    if draft is not None:
        return {
            "title": draft.title or "",
            "text": draft.text,
            "when": _local(draft.publish_at, settings),
            "accounts": [t.account_id for t in draft.targets],
        }
    tomorrow = datetime.now(settings.time_zone).date() + timedelta(days=1)
    return {
        "title": "",
        "text": "",
        "when": tomorrow.strftime("%d.%m.%Y") + " 09:00",
        "accounts": [],
    }


def _editor(
    request: Request,
    values: dict,
    draft: drafts.Draft | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    settings = _settings(request)
    return render(
        request,
        "plan/edit.html",
        status=status,
        error=error,
        values=values,
        draft=draft,
        accounts=visible_accounts(request),
        hint=TIME_HINT,
        zone=settings.time_zone.key,
    )


def _read(request: Request, form: FormData) -> tuple[list[Account], str, datetime, str | None]:
    """The form's accounts, text, time and title, or one Russian message (a HubError)."""
    text = str(form.get("text") or "").strip()
    if not text:
        raise HubError("напишите текст поста: пустой черновик не сохранить")
    ids = list(dict.fromkeys(str(a) for a in form.getlist("account")))
    if not ids:
        raise HubError("отметьте хотя бы один аккаунт, куда пойдёт пост")
    accounts = [visible_account(request, a) for a in ids]
    settings = _settings(request)
    when = str(form.get("when") or "").strip()
    if not when:
        raise HubError(f"укажите время публикации: {TIME_HINT}")
    try:
        moment = drafts.parse_when("now" if when.lower() == "сейчас" else when, settings)
    except HubError:
        raise HubError(
            f"не понимаю время «{when}»: напишите как {TIME_HINT} "
            f"(местное время, {settings.time_zone.key})"
        ) from None
    title = str(form.get("title") or "").strip() or None
    return accounts, text, moment, title


async def new_form(request: Request) -> Response:
    if not operator(request).may("write"):
        raise Forbidden("писать черновики может автор или администратор")
    return _editor(request, _form_values(None, None, _settings(request)))


async def create(request: Request) -> Response:
    """``hub plan add``; a mistake re-shows the form with everything typed in it."""
    form = await action_form(request, "write")
    values = _form_values(form, None, _settings(request))
    the_console = console(request)
    try:
        accounts, text, moment, title = _read(request, form)
        draft, _findings = drafts.add_draft(
            the_console.store(),
            the_console.pm,
            the_console.config(),
            accounts=accounts,
            text=text,
            publish_at=moment,
            title=title,
            created_by=operator(request).login,
        )
    except HubError as exc:
        return _editor(request, values, error=f"черновик не записан: {exc}", status=400)
    return _to_draft(draft.id, "created")


async def edit_form(request: Request) -> Response:
    if not operator(request).may("write"):
        raise Forbidden("исправлять черновики может автор или администратор")
    draft = _load(request, _draft_id(request))
    _check_scope(request, draft)
    return _editor(request, _form_values(None, draft, _settings(request)), draft)


async def save(request: Request) -> Response:
    """``drafts.update_draft``: an approved draft goes back to approval."""
    form = await action_form(request, "write")
    draft = _load(request, _draft_id(request))
    _check_scope(request, draft)
    values = _form_values(form, None, _settings(request))
    the_console = console(request)
    try:
        accounts, text, moment, title = _read(request, form)
        saved, _findings, withdrawn = drafts.update_draft(
            the_console.store(),
            the_console.pm,
            the_console.config(),
            draft.id,
            accounts=accounts,
            text=text,
            publish_at=moment,
            title=title,
        )
    except HubError as exc:
        fresh = drafts.load_draft(the_console.store(), draft.id)
        why = str(exc)
        if fresh.state not in ("draft", "approved"):
            why = f"черновик уже в состоянии «{DRAFT_STATES[fresh.state][0]}» и больше не правится"
        return _editor(request, values, fresh, error=f"не сохранено: {why}", status=400)
    return _to_draft(saved.id, "reapprove" if withdrawn else "saved")


ROUTES = [
    Route("/plan/new", new_form, methods=["GET"]),
    Route("/plan/new", create, methods=["POST"]),
    Route("/plan/drafts/{draft_id}/edit", edit_form, methods=["GET"]),
    Route("/plan/drafts/{draft_id}/edit", save, methods=["POST"]),
]
