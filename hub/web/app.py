"""The console as an ASGI application: signing in and out, the guard on every page,
errors as messages on the page, and the screens' routes.

Every page but the sign-in form and the static files needs a live session; a
request without one is sent to ``/login`` (an HTMX request is told to go there).
Every answer carries headers that keep it out of caches and frames, and a content
policy that lets a page run only the hub's own scripts — a resident's comment that
is markup could not run even if it escaped the templates' escaping.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from urllib.parse import quote, urlsplit

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import operators
from ..errors import HubError, NotFoundError
from ..i18n import speak_here
from ..log import get_logger
from ..secrets import redact
from . import screens
from .console import STATIC, Console
from .pages import Forbidden, action_form, console, is_htmx, render
from .sessions import COOKIE, forgive, record_failure, same, throttled_minutes

log = get_logger("hub.web")
#: the largest request body: a draft with its text is a few kilobytes; nothing is uploaded
MAX_BODY = 2 * 1024 * 1024
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


class Guard:
    """The session for every request; none on a page that needs one: to ``/login``. Every
    answer but a server error's leaves with :data:`SECURITY_HEADERS` (that one sets them
    itself: :func:`server_error`).

    A plain ASGI middleware (not ``BaseHTTPMiddleware``), so an over-long body's 413 and
    the framework's other refusals reach the error handlers as themselves.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        speak_here("ru")  # the library's messages on the page, in Russian where translated
        the_console: Console = scope["app"].state.console
        session = the_console.sessions.find(the_console.store(), request.cookies.get(COOKIE))
        scope.setdefault("state", {})["session"] = session
        static = scope["path"].startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                add_security_headers(MutableHeaders(scope=message), static=static)
            await send(message)

        if session is None and not scope["path"].startswith(PUBLIC):
            await _to_login(request)(scope, receive, with_headers)
            return
        declared = request.headers.get("content-length", "0")
        if not declared.isascii() or not declared.isdigit() or int(declared) > MAX_BODY:
            refusal = _message_page(request, 413, HTTP_MESSAGES[413])
            await refusal(scope, receive, with_headers)
            return
        await self.app(scope, _limited(receive), with_headers)


def _limited(receive: Receive) -> Receive:
    """``receive`` that refuses a body growing past :data:`MAX_BODY` (a chunked one has
    no length to check first): the handler reading it gets a 413 (:func:`http_error`)."""
    seen = 0

    async def limited() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > MAX_BODY:
                raise HTTPException(413)
        return message

    return limited


def add_security_headers(headers: MutableHeaders, *, static: bool = False) -> None:
    for name, value in SECURITY_HEADERS.items():
        if name not in headers:
            headers[name] = value
    if not static and "cache-control" not in headers:
        headers["cache-control"] = "no-store"


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
    """Only a path of this console: a sign-in link must not send anyone elsewhere (and a
    link no parser can read is no reason for an error page)."""
    target = target or ""
    if not target.startswith("/") or target.startswith(("//", "/\\")) or len(target) > 2000:
        return "/"
    try:
        parts = urlsplit(target)
    except ValueError:
        return "/"
    if parts.scheme or parts.netloc or any(ch.isspace() or ord(ch) < 32 for ch in target):
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
    if not value or not same(_login_token(request, value), str(form.get("csrf") or "")):
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
    attempt = record_failure(store, login_name, address)  # forgiven below if it succeeds
    stored = operators.stored_hash(store, login_name)
    # scrypt takes a tenth of a second and 32 MiB: off the loop the daemon may share
    matches = await asyncio.to_thread(
        operators.password_matches, password, stored or operators.dummy_hash()
    )
    operator = operators.find(store, login_name) if matches and stored else None
    if operator is None or operator.disabled:
        return await login_form(request, "неверный логин или пароль", 401)
    forgive(store, login_name, address, attempt)
    next_path = _safe_next(str(form.get("next") or "/"))
    cookie = console(request).sessions.start(store, operator)
    response = RedirectResponse(next_path, status_code=303)
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


def _message_page(request: Request, status: int, message: str) -> Response:
    """``message`` on the page: the whole page, or for HTMX the flash area, with the
    real status (htmx is configured to show 4xx answers: ``base.html``)."""
    if is_htmx(request):
        response = render(request, "_flash.html", status=status, error=message)
        response.headers["hx-retarget"] = "#flash"
        response.headers["hx-reswap"] = "innerHTML"
        return response
    return render(request, "error.html", status=status, error=message)


async def hub_error(request: Request, exc: Exception) -> Response:
    """A mistake of the operator's or a refused action: a clear message, on the page."""
    status = 403 if isinstance(exc, Forbidden) else 404 if isinstance(exc, NotFoundError) else 400
    return _message_page(request, status, redact(str(exc)))


#: what the framework's own refusals say, in Russian
HTTP_MESSAGES = {
    400: "запрос не удалось разобрать: форма повреждена или её поле слишком длинное "
    "(больше 1 МБ); обновите страницу и повторите",
    404: "такой страницы нет",
    405: "так эту страницу не открывают: воспользуйтесь кнопкой или ссылкой консоли",
    413: "запрос слишком большой (больше 2 МБ)",
}


async def http_error(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 400)
    if getattr(request.state, "session", None) is None and status == 404:
        return PlainTextResponse("not found", status_code=404)
    return _message_page(request, status, HTTP_MESSAGES.get(status, HTTP_MESSAGES[400]))


async def server_error(request: Request, exc: Exception) -> Response:
    """A bug: a short Russian page, the details only in the log, the headers still on (this
    answer leaves outside :class:`Guard`)."""
    log.error("console request failed", path=request.url.path, error=redact(repr(exc)))
    response = HTMLResponse(
        '<!doctype html><html lang="ru"><meta charset="utf-8"><title>Ошибка</title>'
        "<p>Внутренняя ошибка консоли; она записана в журнал. "
        '<a href="/">На главную</a></p></html>',
        status_code=500,
    )
    add_security_headers(response.headers)
    return response


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
        exception_handlers={
            HubError: hub_error,
            HTTPException: http_error,
            Exception: server_error,
        },
    )
    app.state.console = the_console
    return app
