"""One retry policy for every network call, built on tenacity.

Transient errors (server errors, timeouts, "too many requests") are retried;
nothing else is. The wait before the next attempt is the server's own
``retry_after`` when the error carries one (Telegram's ``parameters.retry_after``,
an HTTP ``Retry-After`` header, both read at the edge that classifies the error)
plus a little jitter, and exponential back-off with jitter otherwise. A server
that asks for a wait longer than ``max_retry_after`` is not waited for: the call
raises :class:`~hub.errors.RateLimitedError` and the account pauses instead. The
waits of one call never add up to more than ``total_wait_max``.

A write (``write=True``) is sent again only when the network surely did not
apply it (``maybe_applied`` False): a write whose answer was lost is the
caller's to verify. Tests set ``RETRY.wait_multiplier = 0`` to switch the
back-off waits off; a server's retry-after is waited through ``sleep``, which
such tests replace.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_base

from .errors import RateLimitedError, TransientError

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]


@dataclass
class RetryPolicy:
    #: tries in all, the first included
    attempts: int = 5
    #: the first back-off wait; it doubles each retry, with up to as much jitter on top
    wait_multiplier: float = 0.5
    #: the longest single back-off wait
    wait_max: float = 20.0
    #: a server's retry-after longer than this pauses the account instead of waiting
    max_retry_after: float = 60.0
    #: the waits of one call never add up to more than this
    total_wait_max: float = 180.0


RETRY = RetryPolicy()


def backoff_seconds(attempt: int, policy: RetryPolicy | None = None) -> float:
    """The back-off before retry number ``attempt`` (1-based): doubling, capped, jittered.

    The one formula of every back-off: the tenacity wait below uses it, and so do
    pauses that are not retries of one call (a Long Poll's fresh keys, a stream's
    reconnects).
    """
    policy = policy or RETRY
    base = min(policy.wait_max, policy.wait_multiplier * 2 ** (attempt - 1))
    return base + random.uniform(0, policy.wait_multiplier)


def server_wait(retry_after: float) -> float:
    """What to wait when a server said ``retry_after``: that, plus jitter so callers spread."""
    return retry_after + random.uniform(0.1, 1.0)


def retry_after_of(exc: BaseException | None) -> float | None:
    """The wait a server asked for, carried by a transient error (None: it named none)."""
    value = getattr(exc, "retry_after", None) if isinstance(exc, TransientError) else None
    return float(value) if value is not None else None


class wait_server_or_backoff(wait_base):  # noqa: N801 - tenacity's naming of waits
    """The server's retry-after when the error carries one, else the shared back-off."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy

    def __call__(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        retry_after = retry_after_of(outcome.exception() if outcome else None)
        if retry_after is not None:
            return server_wait(retry_after)
        return backoff_seconds(retry_state.attempt_number, self.policy)


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, TransientError)


def _surely_not_applied(exc: BaseException) -> bool:
    return isinstance(exc, TransientError) and not exc.maybe_applied


def pause_for(exc: TransientError, retry_after: float) -> RateLimitedError:
    """The account-pausing error for a server's wait too long to sit through."""
    message = exc.args[0] if exc.args else str(exc)
    return RateLimitedError(message, retry_after=retry_after, code=exc.code, method=exc.method)


async def with_retries(
    call: Callable[[], Awaitable[T]],
    *,
    write: bool = False,
    policy: RetryPolicy | None = None,
    attempts: int | None = None,
    max_retry_after: float | None = None,
    sleep: Sleep | None = None,
    on_failure: Callable[[int, int, TransientError], None] | None = None,
) -> T:
    """Run ``call`` until it succeeds, raises a non-transient error, or the policy gives up.

    ``attempts`` and ``max_retry_after`` override the policy's for this call (a
    network's own setting); ``sleep`` is what waits (tests pass a recorder).
    ``on_failure(attempt, attempts, error)`` hears each transient failure. When
    the policy gives up, the last error is raised, except that a server's wait
    too long to sit through (past ``max_retry_after``, or past what is left of
    ``total_wait_max``) raises :class:`RateLimitedError` to pause the account.
    """
    policy = policy or RETRY
    tries = max(1, attempts if attempts is not None else policy.attempts)
    longest = policy.max_retry_after if max_retry_after is None else max_retry_after

    async def attempt() -> T:
        try:
            return await call()
        except TransientError as exc:
            retry_after = retry_after_of(exc)
            if retry_after is not None and retry_after > longest:
                raise pause_for(exc, retry_after) from None
            raise

    def heard(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        if on_failure is not None and isinstance(exc, TransientError):
            on_failure(state.attempt_number, tries, exc)

    def within_budget(state: RetryCallState) -> None:
        """Runs once the next wait is known (``idle_for`` counts it): stop past the budget."""
        if state.idle_for <= policy.total_wait_max:
            return
        exc = state.outcome.exception() if state.outcome else None
        assert isinstance(exc, TransientError)
        retry_after = retry_after_of(exc)
        if retry_after is not None:
            raise pause_for(exc, retry_after) from None
        raise exc

    retrying = AsyncRetrying(
        retry=retry_if_exception(_surely_not_applied if write else _retryable),
        stop=stop_after_attempt(tries),
        wait=wait_server_or_backoff(policy),
        after=heard,
        before_sleep=within_budget,
        sleep=sleep or asyncio.sleep,
        reraise=True,
    )
    return await retrying(attempt)
