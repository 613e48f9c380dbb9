"""One retry policy for every network call.

Transient errors (server errors, timeouts, "too many requests per second") are
retried with exponential back-off and jitter; nothing else is. Tests set
``RETRY.wait_multiplier = 0`` to switch the waits off.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from .errors import TransientError

T = TypeVar("T")


@dataclass
class RetryPolicy:
    attempts: int = 5
    wait_multiplier: float = 0.5
    wait_max: float = 20.0


RETRY = RetryPolicy()


def backoff_seconds(attempt: int) -> float:
    """The wait before retry number ``attempt`` (1-based) of a hand-rolled retry loop."""
    base = min(RETRY.wait_max, RETRY.wait_multiplier * 2 ** (attempt - 1))
    return base + random.uniform(0, RETRY.wait_multiplier)


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, TransientError)


def _surely_not_applied(exc: BaseException) -> bool:
    return isinstance(exc, TransientError) and not exc.maybe_applied


async def with_retries(call: Callable[[], Awaitable[T]], *, write: bool = False) -> T:
    """Run ``call`` until it succeeds or raises a non-transient error or attempts run out.

    A ``write`` is retried only when the network surely did not apply it.
    """
    retrying = AsyncRetrying(
        retry=retry_if_exception(_surely_not_applied if write else _retryable),
        stop=stop_after_attempt(RETRY.attempts),
        wait=wait_exponential(multiplier=RETRY.wait_multiplier, max=RETRY.wait_max)
        + wait_random(0, RETRY.wait_multiplier),
        reraise=True,
    )
    async for attempt in retrying:
        with attempt:
            return await call()
    raise AssertionError("unreachable")  # pragma: no cover
