"""The appeals inbox (``/appeals``, issue 17): residents' questions, complaints and requests,
due first, answered from an approved template or a text of one's own, assigned, closed.

Every action is :mod:`hub.appeals.service`'s, as ``hub appeals`` runs it: an answer goes
through the reply outbox (a double click posts once), recorded under the operator's login.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ...appeals import service
from ...appeals.finding import KIND_TITLES
from ...errors import HubError, NotFoundError
from ...plan import replies
from ..pages import action_form, console, operator, render, visible_account_ids

PAGE = 50
FILTERS = {"open": "Открытые", "overdue": "Просроченные", "answered": "Отвеченные",
           "closed": "Закрытые", "all": "Все"}  # fmt: skip
STATUS_TITLES = {"open": "открыто", "answered": "отвечено", "closed": "закрыто"}


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    if not raw.isdigit() or int(raw) < 1:
        raise HubError(f"номер страницы {raw!r}: ожидалось число от 1")
    return int(raw)


async def index(request: Request) -> Response:
    show = request.query_params.get("show", "open")
    if show not in FILTERS:
        raise HubError(f"неизвестный фильтр {show!r}: {', '.join(FILTERS)}")
    page = _page_number(request)
    store = console(request).store()
    rows = service.list_appeals(
        store,
        accounts=sorted(visible_account_ids(request)),
        status=show if show in ("open", "answered", "closed") else None,
        overdue=show == "overdue",
        limit=PAGE + 1,
        offset=(page - 1) * PAGE,
    )
    templates = [t for t in replies.list_templates(store) if t.approved]
    return render(
        request,
        "appeals/index.html",
        appeals=rows[:PAGE],
        more=len(rows) > PAGE,
        page=page,
        show=show,
        filters=FILTERS,
        kinds=KIND_TITLES,
        statuses=STATUS_TITLES,
        templates=templates,
        may_act=operator(request).may("moderate"),
        message=request.query_params.get("done"),
    )


def _visible(request: Request, appeal_id: str) -> dict:
    appeal = service.get_appeal(console(request).store(), appeal_id)
    if appeal["account_id"] not in visible_account_ids(request):
        raise NotFoundError(f"обращение {appeal_id} не найдено")
    return appeal


def _back(form, text: str) -> Response:
    show = str(form.get("show") or "open")
    show = show if show in FILTERS else "open"
    return RedirectResponse(f"/appeals?show={show}&done={quote(text)}", status_code=303)


async def answer(request: Request) -> Response:
    form = await action_form(request, "moderate")
    appeal = _visible(request, request.path_params["appeal_id"])
    template = str(form.get("template") or "").strip() or None
    text = str(form.get("text") or "").strip() or None
    elsewhere = str(form.get("elsewhere") or "").strip() or None
    if template and text:
        raise HubError("выберите шаблон или напишите свой текст, не то и другое")
    if not (template or text or elsewhere):
        raise HubError("ответ пуст: выберите шаблон, напишите текст или укажите, как ответили")
    the_console = console(request)
    try:
        await service.answer(
            the_console.store(), the_console.pm, the_console.config(), appeal["id"],
            by=operator(request).login, template=template, text=text, elsewhere=elsewhere,
        )  # fmt: skip
    except HubError as exc:
        if "already" in str(exc):
            raise HubError(f"обращение №{appeal['id']} уже не открыто: {exc}") from None
        raise
    return _back(form, f"Обращение №{appeal['id']}: ответ отправлен")


async def close(request: Request) -> Response:
    form = await action_form(request, "moderate")
    appeal = _visible(request, request.path_params["appeal_id"])
    reason = str(form.get("reason") or "").strip()
    if not reason:
        raise HubError("укажите причину: дубликат, не в компетенции, передано в другой орган…")
    service.close(console(request).store(), appeal["id"], reason, by=operator(request).login)
    return _back(form, f"Обращение №{appeal['id']} закрыто: {reason}")


async def assign(request: Request) -> Response:
    form = await action_form(request, "moderate")
    appeal = _visible(request, request.path_params["appeal_id"])
    to = str(form.get("to") or "").strip()
    if not to:
        raise HubError("укажите, кому поручить ответ")
    service.assign(console(request).store(), appeal["id"], to, by=operator(request).login)
    return _back(form, f"Обращение №{appeal['id']}: ответ поручен {to}")


ROUTES = [
    Route("/appeals", index),
    Route("/appeals/{appeal_id}/answer", answer, methods=["POST"]),
    Route("/appeals/{appeal_id}/close", close, methods=["POST"]),
    Route("/appeals/{appeal_id}/assign", assign, methods=["POST"]),
]
