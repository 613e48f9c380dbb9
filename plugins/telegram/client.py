"""HTTP to the Telegram Bot API, and the one place its errors are classified.

Every call is a JSON POST to ``{api_base}/bot<token>/<method>``: the Bot API
wants the token in the path, so the URL is never shown anywhere (messages name
``/bot<token>``) and the redaction step knows the token. Answers are
``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code", "description",
"parameters": {"retry_after", "migrate_to_chat_id"}}`` with the HTTP status
repeating the code. A 429 is a :class:`~hub.errors.TransientError` carrying
Telegram's ``retry_after``: the shared policy (:mod:`hub.retry`) waits it out
exactly as told (plus jitter) when the wait is short, and pauses the account
when it is longer than ``max_retry_after_seconds``.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from hub.errors import (
    ApiError,
    AuthError,
    ConflictError,
    EntityGoneError,
    TransientError,
)
from hub.http import Limits, async_client, post_form
from hub.ratelimit import RateLimiter
from hub.retry import with_retries

#: deleting a message past 48 hours, or one the bot may not touch: a person must do it
CANNOT_DELETE = "message can't be deleted"
RIGHTS_FIX = (
    "make the bot an administrator of the channel and of its discussion group, "
    "with the rights to delete messages and restrict members ('hub accounts check' shows gaps)"
)


def classify(status: int, body: dict[str, Any], method: str) -> ApiError:
    code = int(body.get("error_code") or status)
    text = str(body.get("description") or f"HTTP {status}")
    lower = text.lower()
    params = body.get("parameters") or {}
    kw: dict[str, Any] = {"code": code, "method": method}
    if code == 429:  # flood control: refused, not applied; welcome again after retry_after
        retry_after = float(params.get("retry_after") or 1)
        return TransientError(text, maybe_applied=False, retry_after=retry_after, **kw)
    if code == 409:
        return ConflictError(
            f"{text}; another program is reading this bot's updates (or a webhook is set): "
            "stop it, one bot token feeds one poller",
            **kw,
        )
    if code in (401, 404):
        return AuthError(text, **kw)
    if code == 403:
        return AuthError(text, fix=RIGHTS_FIX, **kw)
    if code >= 500:
        return TransientError(text, **kw)
    if "not found" in lower and "message" in lower:
        return EntityGoneError(text, **kw)
    if "not enough rights" in lower or "need administrator rights" in lower:
        return AuthError(text, fix=RIGHTS_FIX, **kw)
    return ApiError(text, **kw)


#: a file part: (file name, bytes, content type)
FilePart = tuple[str, bytes, str]


def form_fields(params: dict[str, Any]) -> dict[str, str]:
    """Parameters as multipart text fields: nested objects as JSON text.

    See ``docs/networks/telegram.md`` §1.
    """
    out = {}
    for key, value in params.items():
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, dict | list):
            out[key] = json.dumps(value, ensure_ascii=False)
        else:
            out[key] = str(value)
    return out


class TelegramClient:
    def __init__(
        self,
        *,
        api_base: str,
        requests_per_second: float,
        timeout: float = 30.0,
        max_retry_after: float = 60.0,
        limits: Limits | None = None,
    ):
        self.api_base = api_base.rstrip("/")
        self.limiter = RateLimiter(requests_per_second, scope="telegram")
        self.max_retry_after = max_retry_after
        self.timeout = timeout
        self.requests = 0
        self.sleep = asyncio.sleep  # tests replace it to see the waits
        self.limits = limits or Limits(read_seconds=timeout)
        self._http = async_client(timeout=self.limits.timeout())

    async def aclose(self) -> None:
        await self._http.aclose()

    async def call(
        self,
        token: str,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        retry: bool = True,
        wait: float = 0.0,
        files: dict[str, FilePart] | None = None,
    ) -> Any:
        """One method call; raises a classified ApiError.

        Flood control (429) is waited out as Telegram says, for reads and writes
        alike: the request was refused, not applied. Other transient errors are
        retried for reads only; a write whose answer was lost is the caller's to
        verify (``retry=False``: only a connection that never opened is retried).
        ``files`` sends the call as multipart/form-data (an upload). ``wait`` is how
        long Telegram may hold the answer back on purpose (the ``timeout`` of a long
        ``getUpdates``): the read timeout and the total deadline outlast it by as much.
        """
        return await with_retries(
            lambda: self._post(token, method, params or {}, wait, files),
            write=not retry,
            max_retry_after=self.max_retry_after,
            sleep=self.sleep,
        )

    async def _post(
        self,
        token: str,
        method: str,
        params: dict[str, Any],
        wait: float,
        files: dict[str, FilePart] | None = None,
    ) -> Any:
        await self.limiter.acquire(token)
        self.requests += 1
        where = f"{self.api_base}/bot<token>/{method}"
        body, _headers = await post_form(
            self._http,
            f"{self.api_base}/bot{token}/{method}",
            network="Telegram",
            method=method,
            json=None if files else params,
            data=form_fields(params) if files else None,
            files=files,
            where=where,
            errors_in_body=True,
            limits=self.limits,
            wait=wait,
        )
        if not isinstance(body, dict) or "ok" not in body:
            # a malformed answer says nothing about whether a write was applied
            raise TransientError("Telegram answered JSON without 'ok'", method=method)
        if not body["ok"]:
            raise classify(int(body.get("error_code") or 400), body, method)
        return body.get("result")
