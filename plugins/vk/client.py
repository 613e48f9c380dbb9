"""HTTP to the VK API, and the one place VK errors are classified.

Every call is a form-encoded POST to ``{api_base}/{method}`` with ``v`` from the
config and the token in the ``Authorization: Bearer`` header, never in a URL.
Reads are batched through ``execute`` in the plain form
``return [API.a({...}), API.b({...})];`` with literal JSON arguments; a ``false``
slot is matched, in order, to its entry in ``execute_errors``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx

from hub.errors import (
    ApiError,
    AuthError,
    EntityGoneError,
    RateLimitedError,
    TransientError,
)
from hub.http import Limits, async_client, post_form
from hub.ratelimit import RateLimiter
from hub.retry import with_retries

EXECUTE_LIMIT = 25
TRANSIENT = {1, 6, 10, 36, 43}
#: transient refusals that guarantee the call did nothing (too many requests per second)
REFUSED_UNAPPLIED = {6}
AUTH = {5, 7, 14, 17, 27, 28, 1117}
GONE = {18, 30, 104, 113, 210, 211, 212}
#: what a person must do where the token itself is not the problem
AUTH_FIXES = {
    7: "the token lacks rights: issue a new admin token with the wall and groups scopes",
    14: "VK wants a captcha solved: sign in as the admin account in a browser, then sync again",
    17: "VK wants the admin account validated: sign in in a browser and pass the check",
    27: "this needs an admin USER token, not a community token",
    28: "this needs an admin USER token, not a service token",
}
#: pause lengths: flood control clears in minutes, the daily quota "tomorrow" (probe hourly)
PAUSE_SECONDS = {9: 600, 29: 3600}

Call = tuple[str, dict[str, Any]]
#: how errors of the photo upload host name the call (it is no API method)
UPLOAD = "photo upload"


def classify(code: int, message: str, method: str | None = None) -> ApiError:
    """Turn a VK error code into the core's error class (``docs/networks/vk.md`` §6)."""
    kw = {"code": code, "method": method}
    if code in TRANSIENT:
        return TransientError(message, maybe_applied=code not in REFUSED_UNAPPLIED, **kw)
    if code in PAUSE_SECONDS:
        return RateLimitedError(message, retry_after=PAUSE_SECONDS[code], **kw)
    if code in AUTH:
        return AuthError(message, fix=AUTH_FIXES.get(code), **kw)
    if code in GONE:
        return EntityGoneError(message, **kw)
    return ApiError(message, **kw)


def expired(error: Any) -> bool:
    """VK's "access_token has expired": error 5 with subcode 1117 (``docs/networks/vk.md`` §9)."""
    if not isinstance(error, dict) or error.get("error_code") != 5:
        return False
    return error.get("error_subcode") == 1117 or "expired" in str(error.get("error_msg", ""))


class _SlotsFailed(TransientError):
    """Some slots of a batch failed transiently: the batch asks them again, like a request."""


def execute_code(calls: Sequence[Call]) -> str:
    parts = [
        f"API.{method}({json.dumps(params, ensure_ascii=False, separators=(',', ':'))})"
        for method, params in calls
    ]
    return f"return [{','.join(parts)}];"


class VkClient:
    def __init__(
        self,
        *,
        api_base: str,
        version: str,
        requests_per_second: float,
        timeout: float = 30.0,
        limits: Limits | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ):
        self.api_base = str(api_base).rstrip("/")
        self.version = str(version)
        self.limiter = RateLimiter(float(requests_per_second), scope="vk")
        self.requests = 0
        #: the core's refresh for a token VK calls expired (hub.networks.TokenSource.renew)
        self.renew: Callable[[str], str | None] | None = None
        #: the bounds of every request; the Long Poll takes them too, plus its wait
        self.limits = limits or Limits(read_seconds=timeout)
        self._http = async_client(timeout=self.limits.timeout(), transport=transport)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def call(
        self, token: str, method: str, params: dict[str, Any], *, retry: bool = True
    ) -> Any:
        """One method call; raises a classified ApiError.

        Reads are retried on transient errors. Writes pass ``retry=False`` and
        are sent again only when VK surely did nothing (error 6, no connection):
        a write whose answer was lost may have been applied, so the caller
        verifies instead.
        """
        body = await with_retries(lambda: self._post(token, method, params), write=not retry)
        fresh = await self._renewed(token, body)
        if fresh:  # VK refused an expired token: it did nothing, so even a write goes again
            body = await with_retries(lambda: self._post(fresh, method, params), write=not retry)
        return self._unwrap(body, method)

    async def _renewed(self, token: str, body: dict[str, Any]) -> str | None:
        """A refreshed token when VK says ``token`` expired (error 5, subcode 1117) and can be."""
        if self.renew is None or not expired(body.get("error")):
            return None
        fresh = await asyncio.to_thread(self.renew, token)  # a file lock and an HTTP call
        return fresh if fresh and fresh != token else None

    async def execute(self, token: str, calls: Sequence[Call]) -> list[Any]:
        """Up to 25 calls in one request; each slot is a result or an ApiError."""
        if not 0 < len(calls) <= EXECUTE_LIMIT:
            raise ValueError(f"execute takes 1..{EXECUTE_LIMIT} calls, got {len(calls)}")
        code = execute_code(calls)
        body = await with_retries(lambda: self._post(token, "execute", {"code": code}))
        fresh = await self._renewed(token, body)
        if fresh:
            body = await with_retries(lambda: self._post(fresh, "execute", {"code": code}))
        response = self._unwrap(body, "execute")
        if not isinstance(response, list) or len(response) != len(calls):
            raise ApiError(
                f"VK execute returned {type(response).__name__} for {len(calls)} calls; "
                "expected one slot per call",
                method="execute",
            )
        errors = iter(e for e in body.get("execute_errors") or [] if e.get("method") != "execute")
        out: list[Any] = []
        for (method, _params), slot in zip(calls, response, strict=True):
            if slot is False:
                entry = next(errors, None) or {}
                out.append(
                    classify(
                        int(entry.get("error_code", 0) or 0),
                        str(entry.get("error_msg", "call failed inside execute")),
                        entry.get("method", method),
                    )
                )
            else:
                out.append(slot)
        return out

    async def batch(self, token: str, calls: Sequence[Call]) -> list[Any]:
        """Any number of read calls, 25 per request; each slot a result or an ApiError.

        A slot that failed transiently inside ``execute`` (error 1, 6, 10 in
        ``execute_errors``) is asked again with back-off, as a failed request
        would be; a request VK finds too big (error 13) is split in halves.
        """
        results: list[Any] = [None] * len(calls)
        pending = list(range(len(calls)))

        async def ask_pending() -> None:
            nonlocal pending
            retry_next: list[int] = []
            for start in range(0, len(pending), EXECUTE_LIMIT):
                indexes = pending[start : start + EXECUTE_LIMIT]
                answers, slot_level = await self._execute_or_split(
                    token, [calls[i] for i in indexes]
                )
                for i, answer in zip(indexes, answers, strict=True):
                    results[i] = answer
                    if slot_level and isinstance(answer, TransientError):
                        retry_next.append(i)
            pending = retry_next
            if pending:
                raise _SlotsFailed(f"{len(pending)} calls inside execute failed transiently")

        with contextlib.suppress(_SlotsFailed):  # attempts ran out: the slots keep their errors
            await with_retries(ask_pending)
        return results

    async def _execute_or_split(self, token: str, calls: Sequence[Call]) -> tuple[list[Any], bool]:
        """Results, and whether failures are per slot (worth retrying) or of the request."""
        try:
            return await self.execute(token, calls), True
        except ApiError as exc:
            if exc.code == 13 and len(calls) > 1:
                half = len(calls) // 2
                first, _ = await self._execute_or_split(token, calls[:half])
                second, _ = await self._execute_or_split(token, calls[half:])
                return first + second, True
            return [exc] * len(calls), False

    async def upload(
        self, url: str, field: str, filename: str, content: bytes, mime: str
    ) -> dict[str, Any]:
        """POST one file as multipart ``field`` to an upload address VK handed out.

        The address carries VK's own signature, never the token, so no
        Authorization header goes to the upload host. An upload publishes
        nothing (only ``wall.post`` does), so a failed one is retried like a read.
        """
        return await with_retries(lambda: self._upload_once(url, field, filename, content, mime))

    async def _upload_once(
        self, url: str, field: str, filename: str, content: bytes, mime: str
    ) -> dict[str, Any]:
        parts = urlsplit(url)
        body, _ = await post_form(
            self._http,
            url,
            network="VK",
            service="VK upload server",
            method=UPLOAD,
            files={field: (filename, content, mime)},
            limits=self.limits,
            where=f"{parts.scheme}://{parts.netloc}{parts.path}",  # the query holds signatures
        )  # VK labels the answer text/html: post_form parses it whatever the label
        if not isinstance(body, dict):
            raise ApiError("VK upload server answered JSON that is not an object", method=UPLOAD)
        return body

    async def _post(self, token: str, method: str, params: dict[str, Any]) -> dict[str, Any]:
        await self.limiter.acquire(token)
        self.requests += 1
        data = {k: _form_value(v) for k, v in params.items() if v is not None}
        data["v"] = self.version
        body, _headers = await post_form(
            self._http,
            f"{self.api_base}/{method}",
            network="VK",
            method=method,
            data=data,
            headers={"Authorization": f"Bearer {token}"},
            limits=self.limits,
        )
        if not isinstance(body, dict) or not ("response" in body or "error" in body):
            # a malformed answer says nothing about whether a write was applied
            raise TransientError("VK answered JSON without 'response' or 'error'", method=method)
        error = body.get("error")
        if isinstance(error, dict):
            exc = classify(
                int(error.get("error_code", 0) or 0), str(error.get("error_msg", "")), method
            )
            if isinstance(exc, TransientError):
                raise exc
        return body

    @staticmethod
    def _unwrap(body: dict[str, Any], method: str) -> Any:
        error = body.get("error")
        if isinstance(error, dict):
            raise classify(
                int(error.get("error_code", 0) or 0), str(error.get("error_msg", "")), method
            )
        return body["response"]


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)
