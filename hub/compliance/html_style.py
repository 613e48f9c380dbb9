"""How a status looks on the compliance page: its word, its sign, its colours, and the CSS.

Kept apart from the markup in :mod:`hub.compliance.html` and
:mod:`hub.compliance.html_tables` because it is one long constant. The CSS extends the
registry page's (:mod:`hub.registry.page`): wide tables scroll in their own box with the
first column held, each status tints its cells, and on a phone a row becomes a card.
The tables' type is .85rem so that all ten columns of the organizations' table, «Итог»
included, fit a 1280-pixel screen without scrolling (the appeals column made it ten).
``render_html`` hashes :data:`CSS` into the page's Content-Security-Policy, so the
``<style>`` must be exactly this text.
"""

from __future__ import annotations

from ..registry.page import CSS as REGISTRY_CSS
from ..registry.page import PALETTE
from .settings import GREEN, RED, YELLOW

STATUS_TEXT = {GREEN: "в норме", YELLOW: "требует внимания", RED: "нарушение"}
#: a sign per status, so a cell's status never rests on its colour alone
STATUS_SIGN = {GREEN: "✓", YELLOW: "!", RED: "✗"}
#: (text, background) per status, each pair above WCAG AA's 4.5:1 contrast
STATUS_COLOURS = {
    GREEN: ("#14532d", "#dcfce7"),
    YELLOW: ("#5c4400", "#fef3c7"),
    RED: ("#7f1d1d", "#fee2e2"),
}
#: On paper (A4 portrait) all ten columns, «Итог» too, fit the page: nothing scrolls or is
#: held in place, the type is smaller and words wrap; the tints print where the printer
#: can (each status keeps its sign and word for one that cannot). The registry's print
#: rules (black header, link addresses) come with :data:`REGISTRY_CSS`.
PRINT_CSS = (
    "@media print{header h1,header p,main,footer{max-width:none}"
    + ".wrap{overflow:visible;margin:3mm 0}.wrap table{font-size:7.5pt}"
    + ".wrap th,.wrap td{padding:.75mm 1mm;overflow-wrap:break-word}"
    + ".wrap tr>:first-child{position:static}"
    + ".st-green,.st-yellow,.st-red,.st-none{white-space:normal}"
    + "td,.st-green,.st-yellow,.st-red{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
    + ".iso{font-size:7pt}}"
)
#: a line the report does not judge (``judged: false``: its week ended before the hub
#: watched the page): neither green nor any other status, so it gets its own word and sign
NOT_JUDGED = "none"
NOT_JUDGED_TEXT = "не оценивается"
NOT_JUDGED_SIGN = "–"
NOT_JUDGED_COLOURS = ("#1a1a1a", "#ececec")
CSS = (
    REGISTRY_CSS
    + "header h1,header p,main,footer{max-width:88rem}"
    + ".iso{font-size:.8rem}"
    + ".wrap{overflow-x:auto;position:relative;margin:1rem 0}.wrap table{margin:0;font-size:.85rem}"
    + ".wrap th,.wrap td{padding:.375rem;hyphens:auto}"
    + ".wrap:focus-visible{outline:3px solid #b35c00;outline-offset:2px}"
    + f"tbody th{{background:{PALETTE['background']}}}"
    + ".wrap tr>:first-child{position:sticky;left:0;z-index:1}"
    + "thead tr>:first-child{z-index:2}"
    + ".mark{font-weight:700}"
    + ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);"
    + "white-space:nowrap}"
    + ".fix li{margin:.25rem 0}"
    + "".join(
        f".st-{s}{{color:{fg};background:{bg};font-weight:600;padding:0 .25rem;white-space:nowrap}}"
        f"td.c-{s}{{color:{fg};background:{bg}}}"
        for s, (fg, bg) in [*STATUS_COLOURS.items(), (NOT_JUDGED, NOT_JUDGED_COLOURS)]
    )
    + "@media (max-width:40rem){.wrap{overflow-x:visible}"
    + ".wrap tr>:first-child{position:static}}"
    + PRINT_CSS
)
