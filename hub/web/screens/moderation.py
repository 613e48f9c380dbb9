"""Входящие: the review queue, item by item, decided from the keyboard or with the buttons.

Every decision is the library's (:mod:`hub.moderation.service`, as ``hub moderation
delete|keep`` makes it, under the operator's login; the reply is ``hub reply``'s), so
the console decides nothing the CLI could not. An item one moderator has open is
locked for the others (:mod:`hub.moderation.locks`); an item already decided — a
stale page, a double click — is answered "уже решено", and nothing is sent again.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...actions import commands
from ...errors import HubError, NotFoundError
from ...moderation import locks, review, service
from ...plan import replies
from ...verdicts import CATEGORIES
from ..pages import (
    action_form,
    console,
    is_htmx,
    operator,
    path_id,
    render,
    visible_account,
    visible_account_ids,
    visible_accounts,
    whole_number,
)

CATEGORY_TITLES = {
    "insult": "оскорбление",
    "obscene": "мат",
    "spam": "спам",
    "aggression": "агрессия",
    "unlawful": "противоправное",
    "-": "без категории",
}
#: what became of an item, for "уже решено: …"
STATUS_TITLES = {
    "decided": "решено удалить, удаление выполняется",
    "done": "удалён",
    "rejected": "оставлен",
    "kept": "оставлен автоматически",
    "failed": "удаление не удалось (см. «hub moderation stuck»)",
    "manual": "удалить нужно вручную",
}
MAX_BULK = 200
MAX_ID = 2**63 - 1


def _page_number(value: str | None) -> int:
    number = whole_number(value)
    return number if number is not None and 0 < number < 10**6 else 1


async def index(request: Request) -> Response:
    """The queue of the accounts this operator sees, one page, oldest first."""
    query = request.query_params
    account = query.get("account") or ""
    category = query.get("category") or ""
    if category and category not in (*CATEGORIES, "-"):
        raise HubError(f"неизвестная категория {category!r}")
    accounts = visible_accounts(request)
    ids = [visible_account(request, account).id] if account else [a.id for a in accounts]
    store = console(request).store()
    me = operator(request)
    page = review.queue_page(store, ids, page=_page_number(query.get("page")), category=category)
    held = locks.held(store, [i.id for i in page.items])
    approved = (
        [t for t in replies.list_templates(store) if t.approved] if me.may("moderate") else []
    )

    def page_link(number: int) -> str:
        params = {k: v for k, v in (("account", account), ("category", category)) if v}
        return "/moderation?" + urlencode({**params, "page": number})

    return render(
        request,
        "moderation/index.html",
        page=page,
        locks=held,
        accounts=accounts,
        account=account,
        category=category,
        categories=CATEGORY_TITLES,
        templates=approved,
        may_moderate=me.may("moderate"),
        page_link=page_link,
    )


def _item(request: Request, verdict_id: int) -> review.ItemState:
    """The item, if it exists and is in the operator's scope; else "not found" (404)."""
    if verdict_id > MAX_ID:  # no such row, and SQLite could not even take the number
        raise NotFoundError(f"элемент очереди #{verdict_id} не найден")
    try:
        state = review.item_state(console(request).store(), verdict_id)
    except NotFoundError:
        raise NotFoundError(f"элемент очереди #{verdict_id} не найден") from None
    if state.account_id not in visible_account_ids(request):
        raise NotFoundError(f"элемент очереди #{verdict_id} не найден")
    return state


def _who(actor: str | None) -> str:
    if not actor:
        return ""
    if actor.startswith("operator:"):
        return f", модератор {actor.removeprefix('operator:')}"
    return f", {actor}"


def stale_line(state: review.ItemState) -> str:
    """What a page acting on an item that no longer waits is told."""
    what = STATUS_TITLES.get(state.status, state.status)
    return f"#{state.id} уже решено: {what}{_who(state.decided_by)}; повторно ничего не отправлено"


def _result(request: Request, verdict_id: int, ok: bool, line: str) -> Response:
    """The card's replacement (HTMX), or a page with the line and a way back."""
    if is_htmx(request):
        return render(request, "moderation/_result.html", item_id=verdict_id, ok=ok, line=line)
    return render(
        request,
        "moderation/result.html",
        status=200 if ok else 409,
        lines=[(ok, line)],
    )


def _done_line(verdict_id: int, verb: str, outcome: str) -> tuple[bool, str]:
    if outcome.startswith("done"):
        return True, f"#{verdict_id}: {verb}"
    return False, f"#{verdict_id}: решение записано, но ещё не выполнено — {outcome}"


async def _decide(request: Request, verb: str) -> Response:
    await action_form(request, "moderate")
    verdict_id = path_id(request, "item", "элемент очереди")
    store, config, pm = console(request).store(), console(request).config(), console(request).pm
    login = operator(request).login
    state = _item(request, verdict_id)
    if not state.waiting:
        return _result(request, verdict_id, False, stale_line(state))
    locks.take(store, verdict_id, login)  # another moderator's open item: refused, named
    try:
        if verb == "keep":
            service.keep(store, verdict_id, login)
            ok, line = True, f"#{verdict_id}: оставлен"
        elif verb == "delete":
            item = await service.delete(store, pm, config, verdict_id, login)
            ok, line = _done_line(verdict_id, "удалён", item.outcome)
        else:
            item = await service.delete_and_restrict(store, pm, config, verdict_id, login)
            what = item.restriction
            ban = "бан" if what.action == "ban" else "ограничение"
            days = f" на {what.days} дн." if what.days else " бессрочно"
            ok, line = _done_line(verdict_id, f"удалён, автору — {ban}{days}", item.outcome)
    except NotFoundError:
        state = review.item_state(store, verdict_id)
        if state.waiting:
            raise
        ok, line = False, stale_line(state)  # decided meanwhile (the CLI, another process)
    if not review.item_state(store, verdict_id).waiting:
        locks.release(store, verdict_id)
    return _result(request, verdict_id, ok, line)


async def delete(request: Request) -> Response:
    return await _decide(request, "delete")


async def keep(request: Request) -> Response:
    return await _decide(request, "keep")


async def ban(request: Request) -> Response:
    return await _decide(request, "ban")


async def lock(request: Request) -> Response:
    """The moderator made the item current: it is theirs for a few minutes, or it is another's."""
    await action_form(request, "moderate")
    verdict_id = path_id(request, "item", "элемент очереди")
    state = _item(request, verdict_id)
    store = console(request).store()
    if not state.waiting:
        return _lock_answer(request, "stale", stale_line(state))
    try:
        held = locks.take(store, verdict_id, operator(request).login)
    except locks.Locked as exc:
        return _lock_answer(request, "other", f"открыт модератором {exc.lock.login}")
    return _lock_answer(request, "mine", f"открыт вами до {held.until[11:16]} UTC")


async def unlock(request: Request) -> Response:
    """The moderator moved on: their lock on the item ends (another's is untouched)."""
    await action_form(request, "moderate")
    verdict_id = path_id(request, "item", "элемент очереди")
    _item(request, verdict_id)
    locks.release(console(request).store(), verdict_id, operator(request).login)
    return _lock_answer(request, "none", "")


def _lock_answer(request: Request, kind: str, line: str) -> Response:
    return render(request, "moderation/_lock.html", kind=kind, line=line)


async def reply(request: Request) -> Response:
    """Answer the item's comment with an approved template (``hub reply``)."""
    form = await action_form(request, "moderate")
    verdict_id = path_id(request, "item", "элемент очереди")
    state = _item(request, verdict_id)
    store, the_console = console(request).store(), console(request)
    login = operator(request).login
    name = str(form.get("template") or "").strip()
    if not name:
        raise HubError("выберите шаблон ответа")
    locks.check(store, verdict_id, login)
    outcome = await commands.reply(
        store, the_console.pm, the_console.config(), str(state.comment_id), name, login
    )
    result = outcome.result
    url = result.data.get("url") or ""
    if result.manual:
        ok, line = False, f"ответ требует проверки человеком: {result.detail}"
    elif result.already:
        ok, line = True, "ответ по этому шаблону уже был отправлен раньше; повторно не отправлен"
    else:
        ok, line = True, "ответ отправлен"
    if is_htmx(request):
        return render(request, "moderation/_reply.html", ok=ok, line=line, url=url)
    return render(request, "moderation/result.html", lines=[(ok, f"#{verdict_id}: {line}")])


async def bulk(request: Request) -> Response:
    """Delete or keep the selected items, each as ``hub moderation delete|keep`` would."""
    form = await action_form(request, "moderate")
    verb = str(form.get("action") or "")
    if verb not in ("delete", "keep"):
        raise HubError(
            "неизвестное действие; выберите «Удалить выбранные» или «Оставить выбранные»"
        )
    values = [str(v) for v in form.getlist("ids")]
    if not values:
        raise HubError("ничего не выбрано: отметьте элементы флажками")
    if len(values) > MAX_BULK:
        raise HubError(f"слишком много за раз: не больше {MAX_BULK}")
    store, the_console = console(request).store(), console(request)
    login = operator(request).login
    #: (item, ok, line, its card is replaced by the line: it no longer waits)
    lines: list[tuple[int | None, bool, str, bool]] = []
    chosen: list[int] = []
    for value in values:
        verdict_id = whole_number(value)
        if verdict_id is None:
            lines.append((None, False, f"{value[:40]!r}: не номер элемента", False))
            continue
        try:
            state = _item(request, verdict_id)
            if not state.waiting:
                lines.append((verdict_id, False, stale_line(state), True))
                continue
            locks.take(store, verdict_id, login)
        except HubError as exc:
            lines.append((verdict_id, False, str(exc), False))
            continue
        chosen.append(verdict_id)
    if chosen:
        if verb == "delete":
            decided = await service.delete_items(
                store, the_console.pm, the_console.config(), chosen, login
            )
        else:
            decided = service.keep_items(store, chosen, login)
        for verdict_id, d in zip(chosen, decided, strict=True):
            state = review.item_state(store, verdict_id)
            if not state.waiting:
                locks.release(store, verdict_id)
            gone = not state.waiting
            if d.ok:
                lines.append((verdict_id, True, f"#{verdict_id}: " + _verb(verb), gone))
            elif state.status == "decided" and state.decided_by == f"operator:{login}":
                line = f"#{verdict_id}: решение записано, но ещё не выполнено — {d.line}"
                lines.append((verdict_id, False, line, gone))
            else:
                lines.append((verdict_id, False, d.line, gone))
    done = sum(1 for line in lines if line[1])
    summary = f"{'Удалено' if verb == 'delete' else 'Оставлено'}: {done} из {len(values)}"
    if is_htmx(request):
        return render(
            request,
            "moderation/_bulk.html",
            summary=summary,
            lines=lines,
            all_ok=done == len(values),
        )
    return render(
        request,
        "moderation/result.html",
        status=200 if done == len(values) else 409,
        lines=[(True, summary)] + [(ok, line) for _, ok, line, _ in lines],
    )


def _verb(verb: str) -> str:
    return "удалён" if verb == "delete" else "оставлен"


ROUTES = [
    Route("/moderation", index),
    Route("/moderation/bulk", bulk, methods=["POST"]),
    Route("/moderation/{item}/delete", delete, methods=["POST"]),
    Route("/moderation/{item}/keep", keep, methods=["POST"]),
    Route("/moderation/{item}/ban", ban, methods=["POST"]),
    Route("/moderation/{item}/lock", lock, methods=["POST"]),
    Route("/moderation/{item}/unlock", unlock, methods=["POST"]),
    Route("/moderation/{item}/reply", reply, methods=["POST"]),
]
