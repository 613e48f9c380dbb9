"""What every screen's handlers share: who is asking, rendering, and guarded actions.

A screen (a module of :mod:`hub.web.screens`) defines ``ROUTES``; its handlers are
``async``, read with :func:`operator` and :func:`console`, answer with
:func:`render`, and every POST goes through :func:`action_form`, which refuses a
missing or wrong CSRF token (403) and a role without the permission (403) before
the handler does anything. A :class:`hub.errors.HubError` a handler lets out
becomes a clear message on the page (:mod:`hub.web.app`).
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse

from ..errors import HubError, NotFoundError
from ..models import Account
from ..operators import Operator
from .console import Console
from .sessions import Session

#: the screens in the navigation bar: (path, title)
NAVIGATION = (
    ("/moderation", "Входящие"),
    ("/appeals", "Обращения"),
    ("/plan", "Контент-план"),
    ("/compliance", "Соответствие"),
    ("/registry", "Реестр"),
    ("/accounts", "Аккаунты"),
)
CSRF_FIELD, CSRF_HEADER = "csrf", "x-csrf-token"
ROLE_TITLES = {
    "admin": "администратор",
    "moderator": "модератор",
    "author": "автор",
    "approver": "согласующий",
    "viewer": "наблюдатель",
}


class Forbidden(HubError):
    """An action this operator may not take (403)."""


def console(request: Request) -> Console:
    return request.app.state.console


def session(request: Request) -> Session:
    return request.state.session


def operator(request: Request) -> Operator:
    return request.state.session.operator


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """``template`` with what every page needs: the operator, the CSRF token, the menu."""
    current = getattr(request.state, "session", None)
    page = (
        console(request)
        .templates.get_template(template)
        .render(
            request=request,
            operator=current.operator if current else None,
            csrf=current.csrf if current else "",
            role_titles=ROLE_TITLES,
            navigation=NAVIGATION,
            path=request.url.path,
            message=context.pop("message", None),
            error=context.pop("error", None),
            **context,
        )
    )
    return HTMLResponse(page, status_code=status)


async def action_form(request: Request, permission: str | None = None) -> FormData:
    """The POST's form, once its CSRF token and the operator's permission are checked."""
    form = await request.form()
    token = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
    if not console(request).sessions.csrf_ok(session(request), str(token or "")):
        raise Forbidden(
            "форма устарела или пришла не со страницы консоли (нет CSRF-метки); "
            "обновите страницу и повторите"
        )
    if permission is not None and not operator(request).may(permission):
        raise Forbidden(f"роль «{ROLE_TITLES[operator(request).role]}» не позволяет это действие")
    return form


def visible_accounts(request: Request) -> list[Account]:
    """The config's accounts this operator may see."""
    return console(request).accounts_for(operator(request))


def visible_account(request: Request, account_id: str) -> Account:
    """One account this operator may see; an unknown or out-of-scope id is "not found"."""
    for account in visible_accounts(request):
        if account.id == account_id:
            return account
    raise NotFoundError(f"аккаунт {account_id!r} не найден")


def visible_account_ids(request: Request) -> set[str]:
    return {a.id for a in visible_accounts(request)}


#: a database id has at most 19 digits; more cannot be one (and int() of thousands of
#: digits is refused by Python itself)
MAX_DIGITS = 19


def whole_number(value: str | None) -> int | None:
    """``value`` as a whole number if it is one written in ASCII digits (``12``, ``#12``) that
    fits a database id, else None. ``"²".isdigit()`` is true, so ``isdigit`` alone is not a
    check."""
    text = str(value or "").strip().removeprefix("#")
    if not text or len(text) > MAX_DIGITS or not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if number < 2**63 else None


def int_field(form: FormData, name: str, what: str) -> int:
    """A whole-number form field, or one clear message naming it."""
    value = str(form.get(name) or "")
    number = whole_number(value)
    if number is None:
        raise HubError(f"{what}: ожидалось число, получено {value[:40]!r}")
    return number


def path_id(request: Request, name: str, what: str) -> int:
    """A whole-number id in the URL's path; anything else is "not found", not a crash."""
    raw = request.path_params[name]
    number = whole_number(raw)
    if number is None or number == 0:
        raise NotFoundError(f"{what} №{raw[:40]} не найден")
    return number
