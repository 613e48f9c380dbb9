"""HTTP to the MAX Bot API, and the one place its errors are classified.

See ``docs/networks/max.md`` §1. Every call goes to ``{api_base}/<path>`` with the
token in the ``Authorization`` header as it is, without ``Bearer`` (MAX no longer
takes a token in the query string): no URL the hub builds ever holds it. Bodies
are JSON; errors are HTTP 4xx/5xx with ``{"code": "<key>", "message": "..."}``.
Times are Unix **milliseconds** (:func:`seconds` converts). About 30 requests a
second are allowed per bot; a 429 is waited out by the shared policy
(:mod:`hub.retry`), with ``Retry-After`` when MAX sends one.

The Минцифры root CA that ends MAX's TLS chain is not in every trust store:
``[networks.max] ca_bundle`` names a PEM file that is added to the usual ones.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

import httpx

from hub.errors import (
    ApiError,
    AuthError,
    EntityGoneError,
    TransientError,
)
from hub.http import Limits, async_client, decode_json, retry_after_seconds, send_bounded
from hub.log import get_logger
from hub.ratelimit import RateLimiter
from hub.retry import with_retries

log = get_logger("hub.max")

RIGHTS_FIX = (
    "make the bot an administrator of the channel with the rights read_all_messages, "
    "delete and add_remove_members ('hub accounts check' shows gaps)"
)


def seconds(ms: Any) -> int:
    """A MAX time (Unix milliseconds) as the hub's Unix seconds; 0 when absent."""
    if isinstance(ms, bool) or not isinstance(ms, int | float):
        return 0
    return int(ms // 1000)


def classify(status: int, body: Any, method: str, headers: httpx.Headers | None = None) -> ApiError:
    """An error answer (``{code, message}``) as the hub's error class."""
    body = body if isinstance(body, dict) else {}
    key = str(body.get("code") or f"http.{status}")
    text = str(body.get("message") or body.get("error") or f"HTTP {status}")
    kw: dict[str, Any] = {"code": key, "method": method}
    if status == 429:  # refused for its rate, not applied: welcome again after the wait
        wait = retry_after_seconds(headers) if headers is not None else None
        return TransientError(text, maybe_applied=False, retry_after=wait or 1.0, **kw)
    if status == 401:
        return AuthError(text, **kw)
    if status == 403:
        return AuthError(text, fix=RIGHTS_FIX, **kw)
    if status == 404:
        return EntityGoneError(text, **kw)
    if status in (408, 499) or status >= 500:
        return TransientError(text, **kw)
    return ApiError(text, **kw)


def tls_context(ca_bundle: str | None) -> ssl.SSLContext | None:
    """The usual trust store plus the PEM file of ``ca_bundle``; None without one."""
    if not ca_bundle:
        return None
    context = httpx.create_ssl_context()
    context.load_verify_locations(cafile=ca_bundle)
    return context


class MaxClient:
    def __init__(
        self,
        *,
        api_base: str,
        requests_per_second: float,
        ca_bundle: str | None = None,
        max_retry_after: float = 60.0,
        limits: Limits | None = None,
    ):
        self.api_base = api_base.rstrip("/")
        self.limiter = RateLimiter(requests_per_second, scope="max")
        self.max_retry_after = max_retry_after
        self.requests = 0
        self.sleep = asyncio.sleep  # tests replace it to see the waits
        self.limits = limits or Limits()
        context = tls_context(ca_bundle)
        if context is None:
            self._http = async_client(timeout=self.limits.timeout())
        else:
            self._http = httpx.AsyncClient(verify=context, timeout=self.limits.timeout())

    async def aclose(self) -> None:
        await self._http.aclose()

    async def call(
        self,
        token: str,
        verb: str,
        path: str,
        *,
        method: str,
        params: dict[str, Any] | None = None,
        json: Any = None,
        write: bool = False,
        wait: float = 0.0,
    ) -> Any:
        """One request; raises a classified ApiError.

        ``method`` is the schema's operationId (for messages and the log). A 429
        is waited out for reads and writes alike (refused, not applied); other
        transient errors are retried for reads only: a write whose answer was
        lost (``write=True``) is the caller's to verify on the network first.
        """
        return await with_retries(
            lambda: self._send(token, verb, path, method, params or {}, json, wait),
            write=write,
            max_retry_after=self.max_retry_after,
            sleep=self.sleep,
        )

    async def upload(self, url: str, name: str, data: bytes, content_type: str) -> Any:
        """Step two of an attachment: the file to the upload URL MAX gave (sent once)."""
        request = self._http.build_request(
            "POST", url, files={"data": (name, data, content_type)}, timeout=self.limits.timeout()
        )
        where = url.split("?", 1)[0]
        response, content = await send_bounded(
            self._http,
            request,
            limits=self.limits,
            who="MAX upload server",
            method="upload",
            where=where,
            extra_seconds=len(data) / (1024 * 1024) * 2,
        )
        if response.status_code >= 400:
            raise classify(response.status_code, _json_or_none(content), "upload")
        return _json_or_none(content)

    async def _send(
        self,
        token: str,
        verb: str,
        path: str,
        method: str,
        params: dict[str, Any],
        json: Any,
        wait: float,
    ) -> Any:
        await self.limiter.acquire(token)
        self.requests += 1
        limits = self.limits.waiting(wait)
        query = {k: _query_value(v) for k, v in params.items() if v is not None}
        url = f"{self.api_base}{path}"
        request = self._http.build_request(
            verb,
            url,
            params=query,
            json=json,
            headers={"Authorization": token},  # as it is: MAX wants no "Bearer"
            timeout=limits.timeout(),
        )
        response, content = await send_bounded(
            self._http, request, limits=limits, who="MAX API", method=method, where=url
        )
        status = response.status_code
        log.debug("api request", network="MAX", method=method, where=url, status=status)
        if status >= 400:
            raise classify(status, _json_or_none(content), method, response.headers)
        if not content:
            return None
        try:
            return decode_json(content, "MAX API")
        except ValueError as exc:
            # a proxy's page at 200 says nothing about whether a write was applied
            raise TransientError(str(exc), method=method) from None


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple | set):
        return ",".join(str(v) for v in value)
    return str(value)


def _json_or_none(content: bytes) -> Any:
    try:
        return decode_json(content, "MAX API") if content else None
    except ValueError:
        return None
