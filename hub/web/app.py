"""The console as an ASGI application: signing in and out, the guard on every page,
errors as messages on the page, and the screens' routes.

Every page but the sign-in form and the static files needs a live session; a
request without one is sent to ``/login`` (an HTMX request is told to go there).
Every answer carries headers that keep it out of caches and frames, and a content
policy that lets a page run only the hub's own scripts — a resident's comment that
is markup could not run even if it escaped the templates' escaping.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import quote, urlsplit

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .. import operators
from ..errors import HubError, NotFoundError
from . import screens
from .console import STATIC, Console
from .pages import Forbidden, action_form, console, is_htmx, render
from .sessions import COOKIE, clear_failures, record_failure, throttled_minutes

PUBLIC = ("/login", "/static/", "/healthz")
LOGIN_COOKIE = "hub_login"
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


class Guard(BaseHTTPMiddleware):
    """The session for every request; none on a page that needs one: to ``/login``."""

    async def dispatch(self, request: Request, call_next) -> Response:
        the_console: Console = request.app.state.console
        request.state.session = the_console.sessions.find(
            the_console.store(), request.cookies.get(COOKIE)
        )
        if request.state.session is None and not request.url.path.startswith(PUBLIC):
            response = _to_login(request)
        else:
            response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("cache-control", "no-store")
        return response


def _to_login(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = f"/login?next={quote(target)}"
    if is_htmx(request):
        return Response(status_code=200, headers={"hx-redirect": location})
    if request.method != "GET":
        return PlainTextResponse("сеанс истёк: войдите снова", status_code=401)
    return RedirectResponse(location, status_code=303)


def _login_token(request: Request, value: str) -> str:
    key = console(request).sessions.key
    return hmac.new(key, ("login:" + value).encode(), hashlib.sha256).hexdigest()[:40]


def _safe_next(target: str | None) -> str:
    """Only a path of this console: a sign-in link must not send anyone elsewhere."""
    parts = urlsplit(target or "")
    if (
        parts.scheme
        or parts.netloc
        or not (target or "").startswith("/")
        or target.startswith("//")
    ):
        return "/"
    return target


async def login_form(request: Request, error: str | None = None, status: int = 200) -> Response:
    value = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(16)
    response = render(
        request,
        "login.html",
        status=status,
        error=error,
        login_token=_login_token(request, value),
        next_path=_safe_next(request.query_params.get("next")),
    )
    _set_cookie(request, response, LOGIN_COOKIE, value, max_age=3600)
    return response


async def login(request: Request) -> Response:
    form = await request.form()
    value = request.cookies.get(LOGIN_COOKIE, "")
    if not value or not hmac.compare_digest(_login_token(request, value), str(form.get("csrf"))):
        return await login_form(
            request, "форма входа устарела: обновите страницу и войдите снова", 403
        )
    login_name = str(form.get("login") or "").strip().lower()
    password = str(form.get("password") or "")
    address = request.client.host if request.client else "-"
    store = console(request).store()
    wait = throttled_minutes(store, login_name, address)
    if wait:
        return await login_form(
            request,
            f"слишком много неудачных попыток входа; попробуйте через {wait} мин.",
            429,
        )
    operator = operators.authenticate(store, login_name, password)
    if operator is None:
        record_failure(store, login_name, address)
        return await login_form(request, "неверный логин или пароль", 401)
    clear_failures(store, login_name)
    cookie = console(request).sessions.start(store, operator)
    response = RedirectResponse(_safe_next(str(form.get("next") or "/")), status_code=303)
    _set_cookie(
        request, response, COOKIE, cookie, max_age=console(request).settings.session_hours * 3600
    )
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


async def logout(request: Request) -> Response:
    await action_form(request)
    console(request).sessions.end(console(request).store(), request.cookies.get(COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


def _set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    secure = console(request).settings.secure_cookies or request.url.scheme == "https"
    response.set_cookie(
        name, value, max_age=max_age, path="/", httponly=True, samesite="strict", secure=secure
    )


async def home(request: Request) -> Response:
    return RedirectResponse("/moderation", status_code=303)


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


async def hub_error(request: Request, exc: Exception) -> Response:
    """A mistake of the operator's or a refused action: a clear message, on the page."""
    status = 403 if isinstance(exc, Forbidden) else 404 if isinstance(exc, NotFoundError) else 400
    message = str(exc)
    if is_htmx(request):
        response = render(request, "_flash.html", error=message)
        response.headers["hx-retarget"] = "#flash"
        response.headers["hx-reswap"] = "innerHTML"
        return response
    return render(request, "error.html", status=status, error=message)


async def not_found(request: Request, exc: Exception) -> Response:
    if getattr(request.state, "session", None) is None:
        return PlainTextResponse("not found", status_code=404)
    return render(request, "error.html", status=404, error="такой страницы нет")


def create_app(the_console: Console) -> Starlette:
    """The console's application over ``the_console`` (one per process)."""
    routes = [
        Route("/", home),
        Route("/healthz", healthz),
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
        *screens.routes(),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(Guard)],
        exception_handlers={HubError: hub_error, 404: not_found},
        max_body_size=2 * 1024 * 1024,
    )
    app.state.console = the_console
    return app
