"""Text from residents and networks, made safe for the three places the hub shows it.

Everything the hub publishes or prints was at some point typed by someone it does
not control: a resident's comment, a page's name or description as a network
returns it, a Telegram invite link, an organization's name in the config. Three
kinds of output need three different answers:

- :func:`safe_url` decides whether a value may become a link (``href``, JSON-LD
  ``sameAs``, the CSV's link column). Only absolute ``http``/``https`` addresses
  with a host pass: a ``javascript:`` invite link runs on click wherever a CMS
  strips the page's Content-Security-Policy, and ``data:``/``vbscript:`` or a
  relative address have no place on a registry page.
- :func:`terminal_text` is for the operator's terminal: an escape sequence in a
  comment could move the cursor, rewrite the lines above it or change the
  window's title, and a right-to-left override could make «delete #12» read as
  another comment's number. Such characters are shown as ``\\u001b``-style escapes,
  so the operator sees that they are there, and JSON stays JSON (those escapes are
  JSON's own: ``json.loads`` of a filtered JSON text gives back the same values).
- :func:`public_text` is for the published page, the CSV and the JSON: there a
  visible escape would only confuse readers, so control characters and bidi
  formatting characters are removed. An organization's name with U+202E in it
  could otherwise be displayed as another organization's name.

Nothing here depends on a network: plugins and the core can use it alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

#: explicit direction marks, embeddings, overrides and isolates (Unicode bidi controls)
BIDI_CONTROLS = frozenset(
    "\u061c"  # ARABIC LETTER MARK
    "\u200e\u200f"  # LEFT-TO-RIGHT MARK, RIGHT-TO-LEFT MARK
    "\u202a\u202b\u202c\u202d\u202e"  # LRE, RLE, PDF, LRO, RLO
    "\u2066\u2067\u2068\u2069"  # LRI, RLI, FSI, PDI
)
URL_SCHEMES = ("http", "https")


def _is_control(ch: str) -> bool:
    """C0 (with NUL), DEL and C1: the characters terminals act on instead of showing."""
    code = ord(ch)
    return code < 0x20 or 0x7F <= code <= 0x9F


def _is_surrogate(ch: str) -> bool:
    """A lone surrogate cannot be written as UTF-8: it would crash an export midway."""
    return 0xD800 <= ord(ch) <= 0xDFFF


def _unsafe(ch: str) -> bool:
    return _is_control(ch) or ch in BIDI_CONTROLS or _is_surrogate(ch)


#: any character :func:`_unsafe` names but a newline or a tab (which both functions below
#: keep), found in one pass: most text has none, and a page of a thousand values must not
#: test each of their characters in Python
_ANY_UNSAFE = re.compile(
    "[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069\\ud800-\\udfff]"
)


#: any whitespace (``str.isspace``: Unicode's too) or a backslash: no real address has one
_SPACE_OR_BACKSLASH = re.compile(r"[\s\\]")


def safe_url(value: Any) -> str | None:
    """``value`` if it may be published as a link, else None (show it as text, or not at all).

    Only an absolute ``http``/``https`` address with a host passes. Browsers forgive a
    lot (they drop tabs and newlines inside a scheme, so ``java\\tscript:`` is
    ``javascript:``; they skip leading spaces and controls), so any whitespace,
    control, bidi character or backslash rejects the value instead of being cleaned:
    a real page address has none. An address with a user name (``https://gosuslugi.ru@
    evil.example``) is refused too: it reads as one site and opens another.
    """
    if not isinstance(value, str) or not value:
        return None
    if _ANY_UNSAFE.search(value) or _SPACE_OR_BACKSLASH.search(value):
        return None
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - a malformed port raises here
    except ValueError:
        return None
    if parts.scheme.lower() not in URL_SCHEMES or not parts.hostname or "@" in parts.netloc:
        return None
    return value


def terminal_text(value: Any) -> str:
    """``value`` as text safe to print on the operator's terminal.

    Control characters (C0 with NUL, DEL, C1), bidi controls and lone surrogates
    become ``\\uXXXX``, so the line shows that they were there without the terminal
    acting on them. Newlines and tabs are kept: a draft's text keeps its lines, and
    ``moderation classify`` its tab-separated columns. None prints as nothing.
    """
    text = "" if value is None else str(value)
    if not _ANY_UNSAFE.search(text):
        return text
    return "".join(f"\\u{ord(ch):04x}" if _unsafe(ch) and ch not in "\n\t" else ch for ch in text)


def public_text(value: Any) -> str:
    """``value`` as text fit for a public page or export: no controls, no bidi controls.

    NUL and the other C0/C1 controls are removed (newlines and tabs kept, a carriage
    return made a newline), as are bidi embeddings, overrides, isolates and marks, so a
    name is displayed in the order it is stored. A lone surrogate becomes U+FFFD.
    """
    text = "" if value is None else str(value)
    if not _ANY_UNSAFE.search(text):
        return text
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(
        "\ufffd" if _is_surrogate(ch) else ch
        for ch in text
        if ch in "\n\t" or not (_is_control(ch) or ch in BIDI_CONTROLS)
    )


def public_copy(value: Any, url_keys: Iterable[str] = ("url", "website")) -> Any:
    """A copy of a JSON-like value (dicts, lists, strings) ready to publish.

    Every string goes through :func:`public_text` (keys too); a value under one of
    ``url_keys`` that :func:`safe_url` refuses becomes None, as if there were no link.
    """
    keys = frozenset(url_keys)
    return _public_copy(value, keys)


def _public_copy(value: Any, url_keys: frozenset[str]) -> Any:
    if isinstance(value, str):
        return public_text(value)
    if isinstance(value, dict):
        return {
            public_text(k) if isinstance(k, str) else k: (
                safe_url(v) if k in url_keys and isinstance(v, str) else _public_copy(v, url_keys)
            )
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_public_copy(v, url_keys) for v in value]
    return value
