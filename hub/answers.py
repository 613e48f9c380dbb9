"""Items of a network's answer, checked one by one: one malformed item never stops a sync.

A plugin's mapping trusts the documented shapes; an answer may still break them:
an id above 2**63-1 (SQLite stores 64-bit integers, so storing it would fail the
whole page with an OverflowError), a number sent as text (VK does, here and
there), an object where a list belongs. :func:`integer` reads numbers either way
and refuses what does not fit; :func:`each` maps a list item by item and leaves
out, with one logged error line, an item its mapper cannot read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from .log import get_logger

log = get_logger("hub.answers")

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_DECIMAL = re.compile(r"-?\d{1,20}")
#: what a mapper raises on an item of an unexpected shape
MALFORMED = (KeyError, IndexError, TypeError, ValueError, AttributeError, OverflowError)

T = TypeVar("T")


class BadItemError(ValueError):
    """An item of an answer the hub cannot store; the message says which field and why."""


def integer(value: Any, what: str) -> int:
    """``value`` as a 64-bit integer, also from a decimal string; BadItemError otherwise."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _DECIMAL.fullmatch(value.strip()):
        number = int(value)
    else:
        raise BadItemError(f"{what} {_short(value)} is not a whole number")
    if not INT64_MIN <= number <= INT64_MAX:
        raise BadItemError(f"{what} {_short(value)} does not fit 64 bits")
    return number


def optional_integer(value: Any, what: str) -> int | None:
    """:func:`integer`, with ``None`` (and an empty string) kept as ``None``."""
    if value is None or value == "":
        return None
    return integer(value, what)


def count(value: Any) -> int | None:
    """A counter (likes, views, members): a number or a decimal string, else None."""
    try:
        return optional_integer(value, "count")
    except BadItemError:
        return None


def each(
    mapper: Callable[[Any], T], items: Any, *, network: str, what: str, method: str = ""
) -> list[T]:
    """``mapper`` over ``items``; an item it cannot read is logged and left out.

    The rest of the answer is stored: losing one unreadable item is better than
    failing its account's sync on every run, the same item coming back each time.
    """
    out: list[T] = []
    for item in items if isinstance(items, list) else []:
        try:
            out.append(mapper(item))
        except MALFORMED as exc:
            skipped(network, what, item, exc, method)
    return out


def skipped(network: str, what: str, item: Any, exc: BaseException, method: str = "") -> None:
    """The one error line for an item left out."""
    ident = item.get("id", item.get("message_id")) if isinstance(item, dict) else None
    reason = str(exc) if isinstance(exc, BadItemError) else f"{type(exc).__name__}: {exc}"
    log.error(
        f"{network} answered an unreadable {what}; left out",
        network=network,
        method=method or None,
        item_id=_short(ident),
        reason=_short(reason, 200),
    )


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value) if not isinstance(value, str) or limit <= 40 else value
    return text if len(text) <= limit else text[: limit - 1] + "…"


def ints(values: Iterable[Any], what: str) -> list[int]:
    """Every value as :func:`integer` reads it (a stack of parent ids, say)."""
    return [integer(v, what) for v in values]
