"""Helpers for plugins: group work by token, so each token keeps its own pace.

Networks limit requests per token, so a plugin runs one token's requests one
after another (under its rate limiter) and different tokens side by side.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from .models import Account

T = TypeVar("T")
R = TypeVar("R")


def chunks_per_token(
    accounts: Sequence[Account], token_for: Callable[[Account], str], size: int
) -> list[list[Account]]:
    """Accounts cut into chunks of at most ``size`` that share one token each."""
    by_token: dict[str, list[Account]] = defaultdict(list)
    for account in accounts:
        by_token[token_for(account)].append(account)
    return [group[i : i + size] for group in by_token.values() for i in range(0, len(group), size)]


async def gather_by_token(
    items: Sequence[T],
    token_of: Callable[[T], str],
    run_group: Callable[[str, list[T]], Awaitable[list[R]]],
) -> list[R]:
    """``run_group(token, its items)`` for each token concurrently; results in input order."""
    by_token: dict[str, list[int]] = defaultdict(list)
    for index, item in enumerate(items):
        by_token[token_of(item)].append(index)
    out: list[R] = [None] * len(items)  # type: ignore[list-item]

    async def one_token(token: str, indexes: list[int]) -> None:
        results = await run_group(token, [items[i] for i in indexes])
        for i, result in zip(indexes, results, strict=True):
            out[i] = result

    await asyncio.gather(*(one_token(t, ix) for t, ix in by_token.items()))
    return out
