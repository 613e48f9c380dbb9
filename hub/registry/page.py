"""The registry as a web page a municipality puts on its official website (000 §1.3, 004 §5.1).

One self-contained file: inline CSS, no images, fonts or scripts to fetch, so it
works dropped into any CMS or opened from disk. A Content-Security-Policy meta
tag forbids loading anything, which makes that promise checkable: the browser
test fails if the page ever asks for an outside resource. The only script is
the schema.org JSON-LD data block (never executed), naming each organization
with its contacts and its pages as ``sameAs`` so search engines tie them to it.

Made with the standard library (``html.escape``): one page does not need a
template engine. Every value from the registry or a network goes through
:func:`esc`; the JSON-LD is escaped so no text can close its script element.
Text is also stripped of control and bidi characters (:func:`hub.safe_text.public_text`:
an organization's name with a right-to-left override could pass for another's), and
only ``http``/``https`` addresses become links (:func:`hub.safe_text.safe_url`): a page
dropped into a CMS may lose its Content-Security-Policy, and a ``javascript:`` invite
link would then run on click.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from html import escape
from string import Template
from typing import Any

from ..safe_text import public_copy, public_text, safe_url

LEVEL_TEXT = {
    "administration": "Администрация",
    "department": "Орган администрации",
    "subordinate": "Подведомственная организация",
}
#: the palette, tested for WCAG AA contrast (4.5:1) in tests/registry/test_registry_export.py
PALETTE = {
    "text": "#1a1a1a",
    "background": "#ffffff",
    "link": "#0b4f9c",
    "muted": "#4a4a4a",
    "header_bg": "#1d3557",
    "header_text": "#ffffff",
    "header_muted": "#dce6f2",
    "thead_bg": "#eef2f7",
    "border": "#8a97a8",
}
#: pairs of (foreground, background) that appear on the page
CONTRAST_PAIRS = [
    ("text", "background"),
    ("link", "background"),
    ("muted", "background"),
    ("header_text", "header_bg"),
    ("header_muted", "header_bg"),
    ("text", "thead_bg"),
    ("link", "thead_bg"),
]

#: Printed (an official's folder, a regional centre's inspection), on A4 portrait: every
#: column kept (smaller type, words wrap and addresses break anywhere, nothing held or
#: scrolled, so no column is pushed off the paper), black text
#: (browsers drop the header's dark background), and the address after every web link,
#: since paper cannot be clicked. A link whose text is its address (.url) is not doubled.
PRINT_CSS = """@media print{
@page{size:A4 portrait;margin:12mm}
body{font-size:10pt;line-height:1.35;color:#000;background:#fff}
header{background:none;color:#000;padding:0 0 3mm;border-bottom:1px solid #000}
header h1,header p,main,footer{max-width:none}
header p,.muted,footer{color:#000}
main,footer{padding:0}
table{font-size:8pt;width:100%;margin:3mm 0}
th,td{padding:1mm 1.25mm;overflow-wrap:break-word}
thead{display:table-header-group}
tr{break-inside:avoid}
h2,h3,caption{break-after:avoid}
a{color:#000}
a[href^="http"]:not(.url)::after{content:" (" attr(href) ")";word-break:break-all}
a.url{word-break:break-all}
dl{grid-template-columns:12rem 1fr}
}"""
CSS = Template(
    """
:root{color-scheme:light}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;
color:$text;background:$background}
header{background:$header_bg;color:$header_text;padding:1rem}
header h1{margin:0 auto;max-width:64rem;font-size:1.5rem;line-height:1.25}
header p{margin:.25rem auto 0;max-width:64rem;color:$header_muted}
main,footer{max-width:64rem;margin:0 auto;padding:0 1rem}
a{color:$link;text-decoration:underline}
a:focus-visible{outline:3px solid #b35c00;outline-offset:2px}
h2{font-size:1.25rem;margin:1.5rem 0 .5rem}
h3{font-size:1.1rem;margin:1.25rem 0 .25rem}
table{border-collapse:collapse;width:100%;margin:1rem 0}
caption{text-align:left;font-weight:600;padding:.5rem 0}
th,td{border:1px solid $border;padding:.5rem;text-align:left;vertical-align:top;
overflow-wrap:break-word}
thead th{background:$thead_bg}
dl{display:grid;grid-template-columns:15rem 1fr;gap:.25rem 1rem;margin:.5rem 0}
dt{font-weight:600}
dd{margin:0;overflow-wrap:anywhere}
.muted,footer{color:$muted}
footer{padding-bottom:1.5rem;font-size:.9rem}
@media (max-width:40rem){
header h1{font-size:1.25rem}
table,caption,tbody,tr,th,td{display:block;width:100%}
thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
tr{border:1px solid $border;margin:0 0 .75rem}
th,td{border:0;border-top:1px solid $thead_bg}
tbody th{background:$thead_bg}
td[data-label]::before{content:attr(data-label) ": ";font-weight:600}
dl{grid-template-columns:1fr}
dt{margin-top:.5rem}
}
$print
"""
).substitute(PALETTE, print=PRINT_CSS)


def esc(value: Any) -> str:
    """HTML-escaped text with no control or bidi characters (None is empty)."""
    return escape(public_text(value), quote=True)


def _yes_no(value: bool | None) -> str:
    return "нет сведений" if value is None else ("да" if value else "нет")


def _number(value: int | None) -> str:
    return "—" if value is None else f"{value:,}".replace(",", "\u00a0")


def _day(iso: str) -> str:
    """2026-12-01T18:00:00Z → 01.12.2026, as Russian readers write dates."""
    return f"{iso[8:10]}.{iso[5:7]}.{iso[0:4]}"


def _org_ids(snapshot: dict[str, Any]) -> dict[str, str]:
    return {org["name"]: f"org-{n}" for n, org in enumerate(snapshot["organizations"], start=1)}


def json_ld(snapshot: dict[str, Any]) -> dict[str, Any]:
    """schema.org: a GovernmentOrganization (administration, its bodies) or an Organization
    per organization, with contacts, parent and pages (``sameAs``)."""
    ids = _org_ids(snapshot)
    graph = []
    for org in snapshot["organizations"]:
        public_body = org["level"] in ("administration", "department")
        node: dict[str, Any] = {
            "@type": "GovernmentOrganization" if public_body else "Organization",
            "@id": f"#{ids[org['name']]}",
            "name": org["name"],
        }
        contacts = org["contacts"]
        if contacts["address"]:
            node["address"] = contacts["address"]
        if contacts["email"]:
            node["email"] = contacts["email"]
        if contacts["phones"]:
            phones = contacts["phones"]
            node["telephone"] = phones[0] if len(phones) == 1 else phones
        if safe_url(contacts["website"]):
            node["url"] = contacts["website"]
        if contacts["geo"]:
            node["geo"] = {
                "@type": "GeoCoordinates",
                "latitude": contacts["geo"]["lat"],
                "longitude": contacts["geo"]["lon"],
            }
        if org["parent"] in ids:
            node["parentOrganization"] = {"@id": f"#{ids[org['parent']]}"}
        links = [a["url"] for a in org["accounts"] if safe_url(a["url"])]
        if links:
            node["sameAs"] = links
        graph.append(node)
    return {"@context": "https://schema.org", "@graph": graph}


def _script_json(data: dict[str, Any]) -> str:
    """JSON safe inside <script>: no text can end the element or open a comment."""
    text = json.dumps(data, ensure_ascii=False, indent=1)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _account_rows(org: dict[str, Any], titles: Mapping[str, str]) -> list[str]:
    head = f'<th scope="row">{esc(org["name"])}</th>'
    if not org["accounts"]:
        why = (
            f"Освобождена от ведения страниц: {esc(org['exempt_reason'])}"
            if org["exempt"]
            else "Официальных страниц нет"
        )
        return [f'<tr>{head}<td colspan="5" data-label="Страницы">{why}</td></tr>']
    rows = []
    for account in org["accounts"]:
        network = titles.get(account["network"], account["network"])
        if safe_url(account["url"]):
            page = f'<a href="{esc(account["url"])}">{esc(network)} — {esc(org["name"])}</a>'
        elif account["synced_at"]:  # the network gave no address fit to link to
            page = f"{esc(network)} — {esc(org['name'])}"
        else:
            page = '<span class="muted">ссылка появится после синхронизации</span>'
        rows.append(
            f"<tr>{head}"
            f'<td data-label="Социальная сеть">{esc(network)}</td>'
            f'<td data-label="Страница">{page}</td>'
            f'<td data-label="Подписчиков">{_number(account["members_count"])}</td>'
            f'<td data-label="Подключена к Госпабликам">{_yes_no(account["gospabliki"])}</td>'
            f'<td data-label="Отметка госорганизации">{_yes_no(account["verified"])}</td>'
            "</tr>"
        )
    return rows


def _org_section(org: dict[str, Any], anchor: str) -> str:
    contacts = org["contacts"]
    items: list[tuple[str, str]] = []
    kind = LEVEL_TEXT.get(org["level"] or "", "")
    if org["kind"]:
        kind = f"{kind} ({org['kind']})" if kind else org["kind"]
    if kind:
        items.append(("Вид", esc(kind)))
    if org["parent"]:
        items.append(("Входит в", esc(org["parent"])))
    if contacts["address"]:
        items.append(("Почтовый адрес", esc(contacts["address"])))
    if contacts["email"]:
        email = esc(contacts["email"])
        items.append(("Электронная почта", f'<a href="mailto:{email}">{email}</a>'))
    if contacts["phones"]:
        phones = [
            f'<a href="tel:{esc(_tel(p))}">{esc(p)}</a>' for p in contacts["phones"] if _tel(p)
        ]
        items.append(("Справочные телефоны", ", ".join(phones)))
    if contacts["website"]:
        site = esc(contacts["website"])
        link = f'<a class="url" href="{site}">{site}</a>' if safe_url(contacts["website"]) else site
        items.append(("Официальный сайт", link))
    if contacts["working_hours"]:
        items.append(("Часы работы", esc(contacts["working_hours"])))
    if contacts["geo"]:
        geo = contacts["geo"]
        items.append(("Координаты", f"{geo['lat']:.6f}, {geo['lon']:.6f}"))
    person = org["responsible"]
    if person:
        items.append(
            ("Ответственный за страницы", f"{esc(person['name'])}, {esc(person['position'])}")
        )
    if org["exempt"]:
        items.append(("Освобождена от ведения страниц", esc(org["exempt_reason"])))
    body = "".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in items)
    dl = f"<dl>{body}</dl>" if body else '<p class="muted">Сведения не указаны.</p>'
    return f'<section id="{anchor}"><h3>{esc(org["name"])}</h3>{dl}</section>'


def _tel(phone: str) -> str:
    """A tel: target: '+7 (38557) 2-21-33' → '+73855722133'; a leading 8 becomes +7."""
    digits = "".join(ch for ch in phone.split("доб")[0] if ch.isdigit())
    if len(digits) == 11 and digits.startswith("8"):
        digits = "7" + digits[1:]
    return f"+{digits}" if len(digits) >= 10 else digits


def _owner(snapshot: dict[str, Any]) -> str | None:
    """Whose registry it is: ``[registry] municipality``, else the one administration that
    belongs to no other. A district's registry lists its settlements' administrations
    too, and the first of them is not the district: with several, the page names none."""
    if snapshot.get("municipality"):
        return snapshot["municipality"]
    tops = [
        org["name"]
        for org in snapshot["organizations"]
        if org["level"] == "administration" and not org["parent"]
    ]
    return tops[0] if len(tops) == 1 else None


def render_html(snapshot: dict[str, Any], network_titles: Mapping[str, str] | None = None) -> str:
    """The whole page as text (UTF-8 when written)."""
    snapshot = public_copy(snapshot)
    titles = public_copy(dict(network_titles or {}))
    ids = _org_ids(snapshot)
    owner = _owner(snapshot)
    subtitle = " · ".join(esc(s) for s in (owner, snapshot.get("region")) if s)
    totals = snapshot["totals"]
    style_hash = base64.b64encode(hashlib.sha256(CSS.encode("utf-8")).digest()).decode()
    csp = (
        f"default-src 'none'; style-src 'sha256-{style_hash}'; base-uri 'none'; form-action 'none'"
    )
    rows = [row for org in snapshot["organizations"] for row in _account_rows(org, titles)]
    sections = [_org_section(org, ids[org["name"]]) for org in snapshot["organizations"]]
    title = "Официальные страницы в социальных сетях"
    caption = (
        f"Официальные страницы (страниц: {totals['accounts']}, "
        f"организаций: {totals['organizations']})"
    )
    return f"""<!DOCTYPE html>
<html lang="ru">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="generator" content="Pablik Hub">
<title>{esc(title + (" — " + owner if owner else ""))}</title>
<style>{CSS}</style>
<script type="application/ld+json">
{_script_json(json_ld(snapshot))}
</script>
</head>
<body>
<header>
<h1>{title}</h1>
{f"<p>{subtitle}</p>" if subtitle else ""}
</header>
<main>
<p>Реестр официальных страниц органов местного самоуправления и подведомственных организаций
в социальных сетях. Ссылки в таблице ведут на сами страницы.</p>
<table>
<caption>{caption}</caption>
<thead><tr><th scope="col">Организация</th><th scope="col">Социальная сеть</th>
<th scope="col">Страница</th><th scope="col">Подписчиков</th>
<th scope="col">Подключена к Госпабликам</th>
<th scope="col">Отметка госорганизации</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
<h2>Организации и контакты</h2>
{chr(10).join(sections)}
</main>
<footer><p>Сведения на {_day(snapshot["generated_at"])}. Сформировано Pablik Hub.</p></footer>
</body>
</html>
"""
