"""The two tables of the compliance page: a row per organization and per account.

Each check's cell is tinted with its status and led by its sign, the word read out for
screen readers (:func:`_check`); the «Итог» cell names the status in words
(:func:`_status`). Also here, because the tables and the «Что исправить» lists in
:mod:`hub.compliance.html` both use them: how a duration, a date, a count of posts and a
page field are written in Russian. Every value from the report goes through :func:`esc`.
"""

from __future__ import annotations

from typing import Any

from ..registry.page import esc
from .html_style import STATUS_SIGN, STATUS_TEXT
from .settings import GREEN, RED

FIELD_TEXT = {
    "description": "описание",
    "contacts": "контакты",
    "working_hours": "часы работы",
    "website": "сайт",
    "avatar": "аватар",
    "cover": "обложка",
}
ORG_COLUMNS = [
    "Организация",
    "Публикаций за неделю",
    "Страниц с нормой публикаций",
    "Страниц заполнено полностью",
    "Двухфакторная защита",
    "Подключено к Госпабликам",
    "Удаление нарушающих комментариев",
    "Просроченные уведомления",
    "Итог",
]
ACCOUNT_COLUMNS = [
    "Страница",
    "Публикации за неделю",
    "Оформление и контакты",
    "Двухфакторная защита",
    "Госпаблики",
    "Удаление нарушающих комментариев",
    "Просроченные уведомления",
    "Итог",
]


def _day(iso_date: str) -> str:
    return f"{iso_date[8:10]}.{iso_date[5:7]}.{iso_date[0:4]}"


def _gen_plural(n: int) -> str:
    """After «не хватает»: 1 публикации, 2 публикаций, 21 публикации."""
    return "публикации" if n % 10 == 1 and n % 100 != 11 else "публикаций"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} мин"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} ч {minutes:02d} мин"
    days, hours = divmod(hours, 24)
    return f"{days} сут {hours} ч"


def _status(status: str) -> str:
    return (
        f'<span class="st-{status}"><span aria-hidden="true">{STATUS_SIGN[status]} </span>'
        f"{STATUS_TEXT[status]}</span>"
    )


def _check(label: str, status: str, value: str) -> str:
    """A check's cell: tinted with its status, led by the status's sign; the word is
    read out by screen readers (and named in the legend above the tables)."""
    return (
        f'<td class="c-{status}" data-label="{label}">'
        f'<span class="mark" aria-hidden="true">{STATUS_SIGN[status]}</span> '
        f'<span class="sr">{STATUS_TEXT[status]}: </span>{value}</td>'
    )


def _posts(posts: dict[str, Any]) -> str:
    text = f"{posts['count']} из {posts['norm']}"
    if posts["planned"] is not None:
        planned = posts["planned"]
        text += f"; запланировано ещё {planned}" if planned else "; больше ничего не запланировано"
        if posts["count"] < posts["norm"]:
            text += (
                "; к воскресенью норма будет выполнена"
                if not posts["short"]
                else f"; к воскресенью не хватит {posts['short']} {_gen_plural(posts['short'])}"
            )
    elif posts["short"]:
        text += f"; не хватает {posts['short']} {_gen_plural(posts['short'])}"
    return esc(text)


def _page(page: dict[str, Any]) -> str:
    if page["synced_at"] is None:
        return "страница ещё не синхронизирована"
    text = (
        "нет: " + ", ".join(FIELD_TEXT[f] for f in page["missing"])
        if page["missing"]
        else "все сведения на месте"
    )
    absent = [FIELD_TEXT[f] for f, state in page["fields"].items() if state == "not_offered"]
    if absent:
        text += f" (в этой сети нет полей: {', '.join(absent)})"
    return esc(text)


def _yes_no(value: bool | None, yes: str, no: str) -> str:
    return "нет сведений" if value is None else yes if value else no


def _org_removal(removal: dict[str, Any], still_up: int) -> str:
    if not removal["removed"] and not still_up:
        return "нарушающих комментариев не было"
    parts = []
    if removal["removed"]:
        parts.append(
            f"удалено {removal['removed']}, дольше всего — {_duration(removal['max_seconds'])}"
        )
    if still_up:
        parts.append(f"ещё не удалено {still_up}")
    return esc("; ".join(parts))


def _removal(removal: dict[str, Any]) -> str:
    if not removal["removed"] and not removal["still_up"]:
        return "нарушающих комментариев не было"
    parts = []
    if removal["removed"]:
        parts.append(
            f"удалено {removal['removed']}: в среднем (медиана) за "
            f"{_duration(removal['median_seconds'])}, дольше всего — "
            f"{_duration(removal['max_seconds'])}"
        )
    if removal["still_up"]:
        parts.append(
            f"ещё не удалено {removal['still_up']}, самый давний — уже "
            f"{_duration(removal['oldest_still_up_seconds'])}"
        )
    return esc("; ".join(parts))


def _notices(notices: dict[str, Any]) -> str:
    if not notices["overdue"]:
        return "нет"
    dues = ", ".join(_day(n["due_date"]) for n in notices["items"])
    return esc(f"просрочено: {notices['overdue']} (срок: {dues})")


def _cell(label: str, value: str) -> str:
    return f'<td data-label="{label}">{value}</td>'


def _account_name(a: dict[str, Any]) -> str:
    return esc(a["title"] or a["account"])


def _account_row(a: dict[str, Any]) -> str:
    name = _account_name(a)
    if a["url"]:
        name = f'<a href="{esc(a["url"])}">{name}</a>'
    where = f"{esc(a['account'])}, {esc(a['network'])}"
    if a["organization"] != a["title"]:
        where += f"; {esc(a['organization'])}"
    return (
        f'<tr><th scope="row">{name}<br><span class="muted">{where}</span></th>'
        + _check("Публикации за неделю", a["posts"]["status"], _posts(a["posts"]))
        + _check("Оформление и контакты", a["page"]["status"], _page(a["page"]))
        + _check(
            "Двухфакторная защита",
            a["two_factor"]["status"],
            _yes_no(a["two_factor"]["attested"], "включена", "не включена"),
        )
        + _check(
            "Госпаблики",
            a["gospabliki"]["status"],
            _yes_no(a["gospabliki"]["connected"], "подключён", "не подключён"),
        )
        + _check("Удаление нарушающих комментариев", a["removal"]["status"], _removal(a["removal"]))
        + _check("Просроченные уведомления", a["notices"]["status"], _notices(a["notices"]))
        + _cell("Итог", _status(a["status"]))
        + "</tr>"
    )


def _org_row(o: dict[str, Any], still_up: int) -> str:
    n = len(o["accounts"])
    if not n:
        what = "освобождена от ведения страниц" if o["exempt"] else "официальных страниц нет"
        return (
            f'<tr><th scope="row">{esc(o["organization"])}</th>'
            + _check("Страницы", GREEN if o["exempt"] else RED, what).replace(
                "<td ", '<td colspan="6" ', 1
            )
            + _check("Просроченные уведомления", o["notices"]["status"], _notices(o["notices"]))
            + _cell("Итог", _status(o["status"]))
            + "</tr>"
        )
    return (
        f'<tr><th scope="row">{esc(o["organization"])}</th>'
        + _cell(
            "Публикаций за неделю",
            f"{o['posts']['count']} (норма {o['posts']['norm']} на каждую страницу)",
        )
        + _check(
            "Страниц с нормой публикаций",
            o["posts"]["status"],
            f"{o['posts']['accounts_meeting_norm']} из {n}",
        )
        + _check(
            "Страниц заполнено полностью", o["page"]["status"], f"{o['page']['complete']} из {n}"
        )
        + _check(
            "Двухфакторная защита",
            o["two_factor"]["status"],
            f"{o['two_factor']['attested']} из {n}",
        )
        + _check(
            "Подключено к Госпабликам",
            o["gospabliki"]["status"],
            f"{o['gospabliki']['connected']} из {n}",
        )
        + _check(
            "Удаление нарушающих комментариев",
            o["removal"]["status"],
            _org_removal(o["removal"], still_up),
        )
        + _check("Просроченные уведомления", o["notices"]["status"], _notices(o["notices"]))
        + _cell("Итог", _status(o["status"]))
        + "</tr>"
    )


def _head(cols: list[str]) -> str:
    return "<thead><tr>" + "".join(f'<th scope="col">{c}</th>' for c in cols) + "</tr></thead>"
