"""The report as one web page for a head of administration (``--format html``), in Russian.

Self-contained like the registry page (:mod:`hub.registry.page`, whose style it
shares): inline CSS, no scripts, fonts or images, and a Content-Security-Policy that
forbids loading anything. Accessible: ``lang="ru"``, tables with captions and
``scope`` on every header cell, and each line's status written as words («в норме»,
«требует внимания», «нарушение») — the colour only repeats it. Each check's cell is
tinted with its own status and starts with a sign (✓, !, ✗) whose word is in the
text for screen readers and in the legend for everyone. Under each table, «Что
исправить» lists why every line that is not in the norm is not, worst first, each
reason led by its status word.

The heading names the week by its dates («с 30 ноября по 6 декабря 2026 г.»); the ISO
label stays in small print. Wide tables scroll inside their own box with the first
column held in place, so «Итог» is never pushed off the page; on a phone each row is
a card (the registry page's layout); printed on A4 every column fits the paper, and links
show their addresses. A line the report does not judge (``judged: false``, a week before
the hub watched the page) is marked «не оценивается» with why, never «в норме». Every
value from the store or the config goes through :func:`esc`, which also drops control
and bidi characters (a page's name from a network could otherwise display as another's);
only ``http``/``https`` addresses become links (:mod:`hub.safe_text`).

What lives where: this module builds the page — the heading, the «Что исправить» lists
and the text around the tables. The tables' rows and cells (and how durations, dates and
counts are worded) are in :mod:`hub.compliance.html_tables`; the status words, signs,
colours and the CSS in :mod:`hub.compliance.html_style`. ``STATUS_TEXT``, ``STATUS_SIGN``,
``STATUS_COLOURS``, ``CSS`` and the column lists stay importable from here.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from ..registry.page import esc
from ..russian import MONTHS_GENITIVE
from .html_style import CSS, NOT_JUDGED, STATUS_COLOURS, STATUS_SIGN, STATUS_TEXT
from .html_tables import (
    ACCOUNT_COLUMNS,
    FIELD_TEXT,
    ORG_COLUMNS,
    _account_name,
    _account_row,
    _day,
    _duration,
    _gen_plural,
    _head,
    _org_row,
    _status,
)
from .render import local_time
from .settings import GREEN, RED, YELLOW

__all__ = [
    "ACCOUNT_COLUMNS",
    "CSS",
    "FIELD_TEXT",
    "MONTHS",
    "ORG_COLUMNS",
    "STATUS_COLOURS",
    "STATUS_SIGN",
    "STATUS_TEXT",
    "account_fixes",
    "organization_fixes",
    "render_html",
    "week_words",
]

MONTHS = MONTHS_GENITIVE


def _date_words(day: date, *, year: bool) -> str:
    text = f"{day.day} {MONTHS[day.month - 1]}"
    return f"{text} {day.year} г." if year else text


def week_words(monday: str, sunday: str) -> str:
    """«с 2 по 8 марта 2026 г.», «с 30 ноября по 6 декабря 2026 г.», and across a new year
    «с 28 декабря 2026 г. по 3 января 2027 г.»: how a head of administration reads a week."""
    first, last = date.fromisoformat(monday), date.fromisoformat(sunday)
    if first.year != last.year:
        return f"с {_date_words(first, year=True)} по {_date_words(last, year=True)}"
    if first.month != last.month:
        return f"с {_date_words(first, year=False)} по {_date_words(last, year=True)}"
    return f"с {first.day} по {_date_words(last, year=True)}"


def _attest(account: str, flag: str) -> str:
    return f"<code>hub accounts attest {esc(account)} {flag}</code>"


def _local(moment: str | None, time_zone: str) -> str:
    """A stored UTC time as the municipality reads it: 09.03.2026 14:30."""
    if not moment:
        return "—"
    local = datetime.fromisoformat(moment.replace("Z", "+00:00")).astimezone(ZoneInfo(time_zone))
    return f"{_day(local.date().isoformat())} {local:%H:%M}"


def _appeal_fix(appeals: dict[str, Any], reason: str, time_zone: str) -> str | None:
    """An appeals reason (``appeals_overdue``, ``appeals_late``, ``appeals_pending``) in
    Russian, as HTML; None for any other reason."""
    if reason == "appeals_overdue":
        return (
            esc(
                f"обращения жителей без ответа после срока: {appeals['overdue']}, самое давнее "
                f"ждёт уже {_duration(appeals['oldest_overdue_minutes'] * 60)}; ответьте на них "
                "или закройте с причиной"
            )
            + " (<code>hub appeals list --overdue</code>)"
        )
    if reason == "appeals_late":
        return esc(f"ответ дан позже срока: {appeals['late']}")
    if reason == "appeals_pending":
        return esc(
            f"обращения ждут ответа: {appeals['pending']}, ближайший срок — "
            f"{_local(appeals['next_due_at'], time_zone)}"
        )
    return None


def _account_fix(
    a: dict[str, Any], reason: str, targets: dict[str, int], time_zone: str = "UTC"
) -> str:
    """One reason of ``reasons`` (its ``reason`` key), in Russian, as HTML."""
    posts, page, removal = a["posts"], a["page"], a["removal"]
    appeal = _appeal_fix(a["appeals"], reason, time_zone) if "appeals" in a else None
    if appeal is not None:
        return appeal
    if reason == "posts_short":
        text = f"опубликовано {posts['count']} из {posts['norm']}"
        if posts["planned"] is None:
            return esc(f"{text}; не хватает {posts['short']} {_gen_plural(posts['short'])}")
        if not posts["short"]:
            return esc(
                f"{text}, запланировано ещё {posts['planned']}: норма будет выполнена к "
                "воскресенью, если запланированное выйдет"
            )
        text += (
            f", запланировано ещё {posts['planned']}"
            if posts["planned"]
            else ", больше ничего не запланировано"
        )
        return esc(
            f"{text}; к воскресенью не хватит {posts['short']} {_gen_plural(posts['short'])}: "
            "подготовьте и утвердите публикации в контент-плане"
        )
    if reason == "page_not_synced":
        return "страница ещё не синхронизирована: выполните <code>hub sync</code>"
    if reason == "page_missing":
        return esc(
            "на странице не заполнено: "
            + ", ".join(FIELD_TEXT[f] for f in page["missing"])
            + " — заполните в настройках страницы в соцсети, следующая синхронизация это учтёт"
        )
    if reason == "two_factor_off":
        return (
            "двухфакторная защита выключена: включите её в настройках безопасности аккаунта "
            f"и отметьте это командой {_attest(a['account'], '--2fa')}"
        )
    if reason == "two_factor_unknown":
        return (
            "нет сведений о двухфакторной защите: когда она включена в настройках безопасности "
            f"аккаунта, отметьте это командой {_attest(a['account'], '--2fa')}"
        )
    if reason == "gospabliki_off":
        return (
            "страница не подключена к Госпабликам: подключите её на платформе «Госпаблики» "
            f"и отметьте это командой {_attest(a['account'], '--gospabliki')}"
        )
    if reason == "gospabliki_unknown":
        return (
            "нет сведений о подключении к Госпабликам: когда страница подключена на платформе "
            f"«Госпаблики», отметьте это командой {_attest(a['account'], '--gospabliki')}"
        )
    if reason == "removal_slow":
        return esc(
            "нарушающий комментарий оставался на странице "
            f"{_duration(removal['max_seconds'])} (в норме — не дольше "
            f"{_duration(targets['removal_green_seconds'])}, допустимо — до "
            f"{_duration(targets['removal_yellow_seconds'])})"
        )
    if reason == "removal_still_up":
        return esc(
            f"не удалено нарушающих комментариев: {removal['still_up']}, самый давний — "
            f"уже {_duration(removal['oldest_still_up_seconds'])}; удалите их"
        )
    return _overdue(a["notices"])  # notices_overdue


def _account_fixes(
    a: dict[str, Any], targets: dict[str, int], time_zone: str = "UTC"
) -> list[tuple[str, str]]:
    """(status, HTML) per reason, in the order of ``reasons`` (red first)."""
    return [(r["status"], _account_fix(a, r["reason"], targets, time_zone)) for r in a["reasons"]]


def _overdue(notices: dict[str, Any]) -> str:
    dues = ", ".join(_day(n["due_date"]) for n in notices["items"])
    return esc(f"просрочены уведомления в ЦУР: {notices['overdue']} (срок: {dues}); направьте их")


def _org_fixes(
    o: dict[str, Any], anchors: dict[str, str], time_zone: str = "UTC"
) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    watched = {w["account"]: w for w in o.get("appeals", {}).get("watch_pages", [])}
    for reason in o["reasons"]:
        if reason.get("check") == "appeals":  # a watch page's appeals: it has no row of its own
            page = reason["accounts"][0]
            text = _appeal_fix(watched[page], reason["reason"], time_zone) or ""
            out.append((reason["status"], f"наблюдаемая страница {esc(page)}: {text}"))
        elif reason["reason"] == "notices_overdue":
            out.append((reason["status"], _overdue(o["notices"])))
        elif reason["reason"] == "no_accounts":
            out.append(
                (
                    reason["status"],
                    "нет ни одной официальной страницы, а организация не освобождена от их "
                    "ведения: заведите страницу и внесите её в конфигурацию Pablik Hub",
                )
            )
        else:
            names = ", ".join(
                f'<a href="#{anchors[i]}">{esc(i)}</a>' if i in anchors else esc(i)
                for i in reason["accounts"]
            )
            many = len(reason["accounts"]) > 1
            out.append(
                (
                    reason["status"],
                    f"{'страницы' if many else 'страница'} {names} (что исправить — ниже)",
                )
            )
    return out


def _fix_list(
    heading: str,
    anchor: str,
    items: list[tuple[str, str, list[tuple[str, str]], str]],
    empty: str,
) -> str:
    """«Что исправить»: per line not in the norm its name, status and reasons, worst first.

    ``items`` are (anchor of the entry, name, [(status, reason)], line status)."""
    if not items:
        return f'<h2 id="{anchor}">{heading}</h2>\n<p>{empty}</p>'
    body = "\n".join(
        f'<li id="{entry}"><strong>{name}</strong> — {_status(status)}<ul>'
        + "".join(f"<li>{_status(s)}: {text}</li>" for s, text in fixes)
        + "</ul></li>"
        for entry, name, fixes, status in items
    )
    return f'<h2 id="{anchor}">{heading}</h2>\n<ul class="fix">\n{body}\n</ul>'


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
        "before_install": "Неделя закончилась до установки Pablik Hub: она не оценивается, "
        "показаны только сведения.",
    }[report["state"]]
    totals = report["totals"]["accounts"]
    title = "Соблюдение порядка ведения официальных страниц — неделя " + week_words(
        report["from"], report["to"]
    )
    heading = esc(title).replace(" г.", "\u00a0г.")  # «2026 г.» never splits over lines
    accounts = {a["account"]: a for a in report["accounts"]}
    #: an account's entry under «Что исправить» (ids from the config may hold any character)
    anchors = {a["account"]: f"fix-account-{n}" for n, a in enumerate(report["accounts"], 1)}
    account_rows = "\n".join(_account_row(a, report["time_zone"]) for a in report["accounts"])
    orgs_judged = report["state"] != "before_install"
    org_rows = "\n".join(
        _org_row(
            o,
            sum(accounts[i]["removal"]["still_up"] for i in o["accounts"] if i in accounts),
            orgs_judged,
        )
        for o in report["organizations"]
    )
    #: lines not judged count as green in ``totals``: the page names them apart
    not_judged = sum(not a.get("judged", True) for a in report["accounts"])
    org_fixes = _fix_list(
        "Что исправить: организации",
        "fix-organizations",
        [
            (
                f"fix-org-{n}",
                esc(o["organization"]),
                _org_fixes(o, anchors, report["time_zone"]),
                o["status"],
            )
            for n, o in enumerate(report["organizations"], 1)
            if o["status"] != GREEN
        ],
        "Все организации в норме.",
    )
    account_fixes = _fix_list(
        "Что исправить: страницы",
        "fix-accounts",
        [
            (
                anchors[a["account"]],
                f"{_account_name(a)} ({esc(a['account'])}, {esc(a['network'])})",
                _account_fixes(a, report["targets"], report["time_zone"]),
                a["status"],
            )
            for a in report["accounts"]
            if a["status"] != GREEN
        ],
        "Все страницы в норме.",
    )
    legend = ", ".join(
        _status(s) for s in (GREEN, YELLOW, RED, *([NOT_JUDGED] if not_judged else []))
    )
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
<h1>{heading}</h1>
<p>Понедельник {_day(report["from"])} — воскресенье {_day(report["to"])}, часовой пояс
{esc(report["time_zone"])}. {state}
<small class="iso">(Неделя {esc(report["week"])} по ISO 8601.)</small></p>
</header>
<main>
<p>Страниц: {sum(totals.values())}; в норме — {totals[GREEN] - not_judged}, требуют внимания —
{totals[YELLOW]}, с нарушениями — {totals[RED]}{
        f", не оцениваются — {not_judged}" if not_judged else ""
    }. Итог строки — худший из её показателей;
каждый показатель отмечен своим знаком и цветом: {legend}.</p>
<div class="wrap" role="region" aria-labelledby="cap-organizations" tabindex="0">
<table>
<caption id="cap-organizations">Организации</caption>
{_head(ORG_COLUMNS)}
<tbody>
{org_rows}
</tbody>
</table>
</div>
{org_fixes}
<div class="wrap" role="region" aria-labelledby="cap-accounts" tabindex="0">
<table>
<caption id="cap-accounts">Официальные страницы</caption>
{_head(ACCOUNT_COLUMNS)}
<tbody>
{account_rows}
</tbody>
</table>
</div>
{account_fixes}
<h2>Как оценивается</h2>
<ul>
<li>Публикации: собственные публикации страницы за неделю (понедельник — воскресенье по
местному времени) против нормы организации; пока неделя идёт, учитываются утверждённые
публикации контент-плана до воскресенья.</li>
<li>Оформление и контакты: описание, контакты (телефон или электронная почта), часы работы,
сайт, аватар и обложка — по сведениям последней синхронизации.</li>
<li>Удаление нарушающих комментариев: время от публикации комментария до удаления
(для опубликованного до подключения страницы к Pablik Hub — с первой синхронизации);
в норме — до {_duration(report["targets"]["removal_green_seconds"])},
требует внимания — до {_duration(report["targets"]["removal_yellow_seconds"])}.</li>
<li>Обращения жителей (вопросы, жалобы и просьбы в комментариях, в том числе на наблюдаемых
страницах губернатора и региона — они засчитываются организации): нарушение — есть
обращение без ответа после срока; требует внимания — ответ дан позже срока или, пока неделя
идёт, обращение ждёт ответа; в норме — на все обращения со сроком на этой неделе ответили
в срок. «Дольше всего» учитывает и просроченное обращение без ответа — по тому, сколько оно
уже ждёт.</li>
<li>Уведомления в ЦУР: о созданных и удалённых страницах и о смене ответственного.</li>
</ul>
</main>
<footer><p>Сформировано Pablik Hub.</p></footer>
</body>
</html>
"""


def account_fixes(a: dict[str, Any], targets: dict[str, int]) -> list[tuple[str, str]]:
    """What to fix on an account's line: (status, Russian HTML) per reason, red first.

    The same words as this page's «Что исправить», for the console's compliance screen;
    every value in the HTML is escaped (:func:`esc`)."""
    return _account_fixes(a, targets)


def organization_fixes(o: dict[str, Any], anchors: dict[str, str]) -> list[tuple[str, str]]:
    """What to fix on an organization's line, as :func:`account_fixes`; ``anchors`` maps an
    account id to the id of its entry on the page (accounts without one are not links)."""
    return _org_fixes(o, anchors)
