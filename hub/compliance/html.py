"""The report as one web page for a head of administration (``--format html``), in Russian.

Self-contained like the registry page (:mod:`hub.registry.page`, whose style it
shares): inline CSS, no scripts, fonts or images, and a Content-Security-Policy that
forbids loading anything. Accessible: ``lang="ru"``, tables with captions and
``scope`` on every header cell, and each line's status written as words («в норме»,
«требует внимания», «нарушение») — the colour only repeats it. Every value from the
store or the config goes through :func:`esc`.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from ..registry.page import CSS as REGISTRY_CSS
from ..registry.page import esc
from .render import local_time
from .settings import GREEN, RED, YELLOW

STATUS_TEXT = {GREEN: "в норме", YELLOW: "требует внимания", RED: "нарушение"}
#: (text, background) per status, each pair above WCAG AA's 4.5:1 contrast
STATUS_COLOURS = {
    GREEN: ("#14532d", "#dcfce7"),
    YELLOW: ("#5c4400", "#fef3c7"),
    RED: ("#7f1d1d", "#fee2e2"),
}
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
    "Просроченные уведомления",
    "Итог",
]
ACCOUNT_COLUMNS = [
    "Страница",
    "Организация",
    "Публикации за неделю",
    "Оформление и контакты",
    "Двухфакторная защита",
    "Госпаблики",
    "Удаление нарушающих комментариев",
    "Просроченные уведомления",
    "Итог",
]
CSS = REGISTRY_CSS + "".join(
    f".st-{s}{{color:{fg};background:{bg};font-weight:600;padding:0 .25rem;white-space:nowrap}}"
    for s, (fg, bg) in STATUS_COLOURS.items()
)


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
    return f'<span class="st-{status}">{STATUS_TEXT[status]}</span>'


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


def _account_row(a: dict[str, Any]) -> str:
    name = esc(a["title"] or a["account"])
    if a["url"]:
        name = f'<a href="{esc(a["url"])}">{name}</a>'
    return (
        f'<tr><th scope="row">{name}<br><span class="muted">{esc(a["account"])}, '
        f"{esc(a['network'])}</span></th>"
        + _cell("Организация", esc(a["organization"]))
        + _cell("Публикации за неделю", _posts(a["posts"]))
        + _cell("Оформление и контакты", _page(a["page"]))
        + _cell(
            "Двухфакторная защита",
            _yes_no(a["two_factor"]["attested"], "включена", "не включена"),
        )
        + _cell("Госпаблики", _yes_no(a["gospabliki"]["connected"], "подключён", "не подключён"))
        + _cell("Удаление нарушающих комментариев", _removal(a["removal"]))
        + _cell("Просроченные уведомления", _notices(a["notices"]))
        + _cell("Итог", _status(a["status"]))
        + "</tr>"
    )


def _org_row(o: dict[str, Any]) -> str:
    n = len(o["accounts"])
    if not n:
        what = "освобождена от ведения страниц" if o["exempt"] else "официальных страниц нет"
        return (
            f'<tr><th scope="row">{esc(o["organization"])}</th>'
            f'<td colspan="5" data-label="Страницы">{what}</td>'
            + _cell("Просроченные уведомления", _notices(o["notices"]))
            + _cell("Итог", _status(o["status"]))
            + "</tr>"
        )
    return (
        f'<tr><th scope="row">{esc(o["organization"])}</th>'
        + _cell(
            "Публикаций за неделю",
            f"{o['posts']['count']} (норма {o['posts']['norm']} на каждую страницу)",
        )
        + _cell("Страниц с нормой публикаций", f"{o['posts']['accounts_meeting_norm']} из {n}")
        + _cell("Страниц заполнено полностью", f"{o['page']['complete']} из {n}")
        + _cell("Двухфакторная защита", f"{o['two_factor']['attested']} из {n}")
        + _cell("Подключено к Госпабликам", f"{o['gospabliki']['connected']} из {n}")
        + _cell("Просроченные уведомления", _notices(o["notices"]))
        + _cell("Итог", _status(o["status"]))
        + "</tr>"
    )


def _head(cols: list[str]) -> str:
    return "<thead><tr>" + "".join(f'<th scope="col">{c}</th>' for c in cols) + "</tr></thead>"


def render_html(report: dict[str, Any]) -> str:
    """The whole page as text (UTF-8 when written)."""
    style_hash = base64.b64encode(hashlib.sha256(CSS.encode("utf-8")).digest()).decode()
    csp = (
        f"default-src 'none'; style-src 'sha256-{style_hash}'; base-uri 'none'; form-action 'none'"
    )
    state = {
        "finished": "Неделя завершена.",
        "in_progress": f"Неделя идёт; сведения на {esc(local_time(report))} по местному "
        "времени, для публикаций показан прогноз до воскресенья.",
        "upcoming": "Неделя ещё не началась; показан прогноз по утверждённому контент-плану.",
    }[report["state"]]
    totals = report["totals"]["accounts"]
    title = f"Соблюдение порядка ведения официальных страниц — неделя {report['week']}"
    account_rows = "\n".join(_account_row(a) for a in report["accounts"])
    org_rows = "\n".join(_org_row(o) for o in report["organizations"])
    return f"""<!DOCTYPE html>
<html lang="ru">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="generator" content="Pablik Hub">
<title>{esc(title)}</title>
<style>{CSS}</style>
</head>
<body>
<header>
<h1>{esc(title)}</h1>
<p>{_day(report["from"])} — {_day(report["to"])}, часовой пояс {esc(report["time_zone"])}.
{state}</p>
</header>
<main>
<p>Страниц: {sum(totals.values())}; в норме — {totals[GREEN]}, требуют внимания —
{totals[YELLOW]}, с нарушениями — {totals[RED]}. Итог строки — худший из её показателей.</p>
<table>
<caption>Организации</caption>
{_head(ORG_COLUMNS)}
<tbody>
{org_rows}
</tbody>
</table>
<table>
<caption>Официальные страницы</caption>
{_head(ACCOUNT_COLUMNS)}
<tbody>
{account_rows}
</tbody>
</table>
<h2>Как оценивается</h2>
<ul>
<li>Публикации: собственные публикации страницы за неделю (понедельник — воскресенье по
местному времени) против нормы организации; пока неделя идёт, учитываются утверждённые
публикации контент-плана до воскресенья.</li>
<li>Оформление и контакты: описание, контакты (телефон или электронная почта), часы работы,
сайт, аватар и обложка — по сведениям последней синхронизации.</li>
<li>Удаление нарушающих комментариев: время от публикации комментария до удаления;
в норме — до {_duration(report["targets"]["removal_green_seconds"])},
требует внимания — до {_duration(report["targets"]["removal_yellow_seconds"])}.</li>
<li>Уведомления в ЦУР: о созданных и удалённых страницах и о смене ответственного.</li>
</ul>
</main>
<footer><p>Сформировано Pablik Hub.</p></footer>
</body>
</html>
"""
