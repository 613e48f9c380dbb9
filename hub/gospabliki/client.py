"""Filing a report with Gospabliki: one POST, retried safely, errors a person can act on.

Why retries are safe here when the hub never blindly retries other writes: every
attempt carries the same ``Idempotency-Key``, so a report whose answer was lost (a
500 after the server stored it, a timeout) is answered with its first receipt on the
next attempt instead of being filed twice. :func:`report_key` derives that key from
the report's content, so a caller that persists the report until it is acknowledged
may retry even from a later run without filing it twice, and a changed report gets a
new key. The token travels only in the ``Authorization`` header; it is remembered by
:mod:`hub.secrets` so no message built here or below can show it.
"""

from __future__ import annotations

from typing import Any

import httpx

from hub.errors import ApiError, AuthError, TransientError
from hub.http import Limits, async_client, post_form, retry_after_seconds
from hub.log import get_logger
from hub.retry import with_retries
from hub.secrets import redact, remember

from .schema import content_hash

NETWORK = "Gospabliki"
log = get_logger("hub.gospabliki")


class ReportRejectedError(ApiError):
    """Gospabliki refused the report's content (HTTP 422); ``fields`` lists every bad field."""

    def __init__(self, message: str, *, fields: list[dict[str, str]], **kw: Any) -> None:
        super().__init__(message, **kw)
        self.fields = fields


def report_key(report: dict[str, Any]) -> str:
    """A stable ``Idempotency-Key`` for this content: sha256 of canonical JSON, 32 hex chars.

    Canonical JSON (sorted keys, no spaces) makes the key independent of dict order,
    so the same report always maps to the same key.
    """
    return content_hash(report)[:32]


def _endpoint_url(endpoint: str) -> str:
    return endpoint.rstrip("/") + "/reports"


def _classify(body: Any, token_env: str | None, retry_after: float | None = None) -> ApiError:
    """An error answer (post_form returns 4xx JSON bodies to us) to the core's error class."""
    if not isinstance(body, dict):
        return ApiError(f"{NETWORK} answered JSON that is neither a receipt nor an error")
    error = str(body.get("error", ""))
    message = redact(str(body.get("message", "")))
    if error == "unauthorized":
        where = (
            f"the token variable ${token_env}"
            if token_env
            else "the token variable named by token_env in [gospabliki]"
        )
        return AuthError(f"{NETWORK} refused the token ({message}); check {where}")
    if error == "validation":
        fields = [f for f in body.get("fields") or [] if isinstance(f, dict)]
        problems = "; ".join(f"{f.get('field')} {f.get('message')}" for f in fields)
        return ReportRejectedError(
            f"{NETWORK} refused the report: {problems or 'no details given'}", fields=fields
        )
    if error == "idempotency_conflict":
        return ApiError(
            f"{NETWORK} already filed a different report under this idempotency key; "
            "a changed report needs a new key (report_key gives one)",
            code=error,
        )
    if error == "rate_limited":
        return TransientError(
            f"{NETWORK} asked to slow down ({message})",
            maybe_applied=False,
            retry_after=retry_after,
        )
    return ApiError(f"{NETWORK} refused the report ({error or 'unknown error'}: {message})")


async def push_report(
    *,
    endpoint: str,
    token: str,
    report: dict[str, Any],
    idempotency_key: str,
    attempts: int | None = None,
    token_env: str | None = None,
    timeout: float = 30.0,
    limits: Limits | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> dict[str, Any]:
    """POST ``report`` to ``{endpoint}/reports`` and return the receipt (200 or 201).

    Transient failures (5xx, connection errors, timeouts) are retried up to
    ``attempts`` times (default ``RETRY.attempts``) with the shared back-off, always
    with the same key. Raises :class:`AuthError` on 401 (naming ``token_env`` when
    given), :class:`ReportRejectedError` on 422, :class:`ApiError` on other refusals
    and :class:`TransientError` when the attempts run out. ``limits`` bounds each
    attempt (by default: ``timeout`` to read, 2 minutes in all, 32 MiB of answer).
    """
    remember(token)
    url = _endpoint_url(endpoint)
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": idempotency_key}
    limits = limits or Limits(read_seconds=timeout)

    tried = 0

    def heard(attempt: int, of: int, exc: TransientError) -> None:
        nonlocal tried
        tried = attempt
        log.info("report push failed", attempt=attempt, of=of, error=str(exc))

    async with async_client(timeout=limits.timeout(), transport=transport) as client:

        async def file_once() -> dict[str, Any]:
            body, answer_headers = await post_form(
                client,
                url,
                network=NETWORK,
                method="reports",
                json=report,
                headers=headers,
                errors_in_body=True,
                limits=limits,
            )
            if isinstance(body, dict) and isinstance(body.get("receipt"), str):
                return body
            raise _classify(body, token_env, retry_after_seconds(answer_headers))

        # the same Idempotency-Key on every attempt makes this write safe to send again
        try:
            return await with_retries(file_once, attempts=attempts, on_failure=heard)
        except TransientError as exc:
            raise TransientError(
                f"{NETWORK} report not filed after {tried} attempts: {exc}",
                method="reports",
            ) from None
