"""The two tables of the compliance page: a row per organization and per account.

Each check's cell is tinted with its status and led by its sign, the word read out for
screen readers (:func:`_check`); the «Итог» cell names the status in words
(:func:`_status`). Also here, because the tables and the «Что исправить» lists in
:mod:`hub.compliance.html` both use them: how a duration, a date, a count of posts and a
page field are written in Russian. Every value from the report goes through :func:`esc`
(which also drops control and bidi characters), and a page's address becomes a link only
if :func:`hub.safe_text.safe_url` passes it (``http``/``https``: never a ``javascript:``
invite link).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ..registry.page import esc
from ..safe_text import safe_url
from .html_style import NOT_JUDGED, NOT_JUDGED_SIGN, NOT_JUDGED_TEXT, STATUS_SIGN, STATUS_TEXT
from .settings import GREEN, RED

#: the statuses' words and signs, and those of a line not judged
WORDS = {**STATUS_TEXT, NOT_JUDGED: NOT_JUDGED_TEXT}
SIGNS = {**STATUS_SIGN, NOT_JUDGED: NOT_JUDGED_SIGN}

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
    "Обращения жителей",
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
    "Обращения жителей",
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
        f'<span class="st-{status}"><span aria-hidden="true">{SIGNS[status]} </span>'
        f"{WORDS[status]}</span>"
    )


def _check(label: str, status: str, value: str) -> str:
    """A check's cell: tinted with its status, led by the status's sign; the word is
    read out by screen readers (and named in the legend above the tables)."""
    return (
        f'<td class="c-{status}" data-label="{label}">'
        f'<span class="mark" aria-hidden="true">{SIGNS[status]}</span> '
        f'<span class="sr">{WORDS[status]}: </span>{value}</td>'
    )


def _not_judged(why: str) -> str:
    """The «Итог» of a line not judged: the word, then why."""
    return f'{_status(NOT_JUDGED)}<br><span class="muted">{esc(why)}</span>'


def watched_day(a: dict[str, Any], time_zone: str) -> str:
    """The local day of the account's first sync (``watched_since``, UTC): 02.02.2026."""
    moment = datetime.fromisoformat(a["watched_since"].replace("Z", "+00:00"))
    return _day(moment.astimezone(ZoneInfo(time_zone)).date().isoformat())


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


def _appeals(appeals: dict[str, Any]) -> str:
    """«получено 3; в срок отвечено 1 из 2; ответ в среднем (медиана) за 45 мин, дольше всего
    — 2 ч 05 мин; без ответа 1, из них просрочено 1»; «обращений не было»."""
    if not (appeals["received"] or appeals["due"] or appeals["answered"] or appeals["open"]):
        return "обращений не было"
    parts = [f"получено {appeals['received']}"]
    if appeals["due"]:
        parts.append(f"в срок отвечено {appeals['answered_on_time']} из {appeals['due']}")
    longest = appeals["max_response_minutes"]
    if appeals["median_response_minutes"] is not None:
        parts.append(
            f"ответ в среднем (медиана) за {_duration(appeals['median_response_minutes'] * 60)}, "
            f"дольше всего — {_duration(longest * 60)}"
        )
    elif longest is not None:
        parts.append(f"дольше всего — {_duration(longest * 60)}")
    if appeals["open"]:
        overdue = f", из них просрочено {appeals['overdue']}" if appeals["overdue"] else ""
        parts.append(f"без ответа {appeals['open']}{overdue}")
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


def _account_row(a: dict[str, Any], time_zone: str = "UTC") -> str:
    """An account's row. A line not judged (``judged: false``: the week ended before the
    hub's first sync of the page) shows its figures, each check and «Итог» marked
    «не оценивается», and why — never «в норме», which the hub could not know."""
    judged = a.get("judged", True)

    def status(check: str) -> str:
        return a[check]["status"] if judged else NOT_JUDGED

    name = _account_name(a)
    if safe_url(a["url"]):
        name = f'<a href="{esc(a["url"])}">{name}</a>'
    where = f"{esc(a['account'])}, {esc(a['network'])}"
    if a["organization"] != a["title"]:
        where += f"; {esc(a['organization'])}"
    if judged:
        total = _status(a["status"])
    else:
        total = _not_judged(
            "неделя закончилась до того, как Pablik Hub начал вести страницу "
            f"(первая синхронизация — {watched_day(a, time_zone)})"
        )
    return (
        f'<tr><th scope="row">{name}<br><span class="muted">{where}</span></th>'
        + _check("Публикации за неделю", status("posts"), _posts(a["posts"]))
        + _check("Оформление и контакты", status("page"), _page(a["page"]))
        + _check(
            "Двухфакторная защита",
            status("two_factor"),
            _yes_no(a["two_factor"]["attested"], "включена", "не включена"),
        )
        + _check(
            "Госпаблики",
            status("gospabliki"),
            _yes_no(a["gospabliki"]["connected"], "подключён", "не подключён"),
        )
        + _check("Удаление нарушающих комментариев", status("removal"), _removal(a["removal"]))
        + _check("Обращения жителей", status("appeals"), _appeals(a["appeals"]))
        + _check("Просроченные уведомления", status("notices"), _notices(a["notices"]))
        + _cell("Итог", total)
        + "</tr>"
    )


#: the «Итог» of every organization in a week that ended before the hub was installed
ORG_NOT_JUDGED = "неделя закончилась до установки Pablik Hub"


def _org_row(o: dict[str, Any], still_up: int, judged: bool = True) -> str:
    """An organization's row; ``judged`` False: the week ended before the hub's install."""

    def status(check: str) -> str:
        return o[check]["status"] if judged else NOT_JUDGED

    total = _status(o["status"]) if judged else _not_judged(ORG_NOT_JUDGED)
    n = len(o["accounts"])
    if not n:
        what = "освобождена от ведения страниц" if o["exempt"] else "официальных страниц нет"
        pages = (GREEN if o["exempt"] else RED) if judged else NOT_JUDGED
        return (
            f'<tr><th scope="row">{esc(o["organization"])}</th>'
            + _check("Страницы", pages, what).replace("<td ", '<td colspan="7" ', 1)
            + _check("Просроченные уведомления", status("notices"), _notices(o["notices"]))
            + _cell("Итог", total)
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
            status("posts"),
            f"{o['posts']['accounts_meeting_norm']} из {n}",
        )
        + _check("Страниц заполнено полностью", status("page"), f"{o['page']['complete']} из {n}")
        + _check(
            "Двухфакторная защита", status("two_factor"), f"{o['two_factor']['attested']} из {n}"
        )
        + _check(
            "Подключено к Госпабликам",
            status("gospabliki"),
            f"{o['gospabliki']['connected']} из {n}",
        )
        + _check(
            "Удаление нарушающих комментариев",
            status("removal"),
            _org_removal(o["removal"], still_up),
        )
        + _check("Обращения жителей", status("appeals"), _appeals(o["appeals"]))
        + _check("Просроченные уведомления", status("notices"), _notices(o["notices"]))
        + _cell("Итог", total)
        + "</tr>"
    )


def _head(cols: list[str]) -> str:
    return "<thead><tr>" + "".join(f'<th scope="col">{c}</th>' for c in cols) + "</tr></thead>"
