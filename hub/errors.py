"""Errors the core understands.

Each plugin classifies its network's errors once, at the edge of its API module,
into these classes; the core decides what to do from the class alone:
retry (:class:`TransientError`), pause the account (:class:`RateLimitedError`),
stop with a message naming the token variable (:class:`AuthError`), skip the
entity (:class:`EntityGoneError`), or fail (:class:`ApiError`).
"""

from __future__ import annotations


class HubError(Exception):
    """An expected failure, shown to the user as one line (no traceback)."""

    exit_code = 1


class ConfigError(HubError):
    """The config file, an option or the environment is wrong; nothing was done."""

    exit_code = 2


class NotFoundError(HubError):
    """The user named something (an account, a comment) that does not exist."""

    exit_code = 2


class InFlightError(HubError):
    """Another process is carrying the same action out right now: not a failure.

    The caller leaves the work for its next run instead of counting an attempt,
    so a re-run within a minute of a crash never wears a deletion down to
    ``failed`` while the first attempt may still land.
    """


class ApiError(HubError):
    """A network API refused a call; ``code`` is the network's own error code."""

    def __init__(self, message: str, *, code: int | str | None = None, method: str | None = None):
        super().__init__(message)
        self.code = code
        self.method = method

    def __str__(self) -> str:
        base = super().__str__()
        where = f" in {self.method}" if self.method else ""
        code = f"error {self.code}{where}: " if self.code is not None else ""
        return f"{code}{base}"


class TransientError(ApiError):
    """Worth retrying: server errors, timeouts, too many requests per second.

    ``maybe_applied`` is False when the network surely did nothing (it refused
    the request for its rate, or the connection never opened): only then may a
    write be sent again without looking first. ``retry_after`` is the wait the
    server asked for (Telegram's ``retry_after``, HTTP ``Retry-After``), when it
    named one: :mod:`hub.retry` waits that long, or pauses the account past a limit.
    """

    def __init__(
        self,
        message: str,
        *,
        maybe_applied: bool = True,
        retry_after: float | None = None,
        **kw,
    ):
        super().__init__(message, **kw)
        self.maybe_applied = maybe_applied
        self.retry_after = retry_after


class RateLimitedError(ApiError):
    """The token hit a quota or flood control; pause the account for ``retry_after`` seconds."""

    def __init__(self, message: str, *, retry_after: float, **kw):
        super().__init__(message, **kw)
        self.retry_after = retry_after


class AuthError(ApiError):
    """The token is missing, invalid, expired or lacks rights: a person must fix it.

    ``also_check`` names anything besides the account's token that may be wrong
    (an application secret, say); ``fix`` replaces the usual "put a valid
    token" advice where the token is fine but a person must act (a captcha).
    """

    def __init__(
        self, message: str, *, also_check: str | None = None, fix: str | None = None, **kw
    ):
        super().__init__(message, **kw)
        self.also_check = also_check
        self.fix = fix


class ConflictError(ApiError):
    """Someone else is doing this right now (another poller of the same bot token): stop."""


class EntityGoneError(ApiError):
    """The post, comment, user or community is gone or closed: skip it."""
