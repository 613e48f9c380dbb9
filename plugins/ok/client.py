"""HTTP to the OK REST API: signed requests, and the one place OK errors are classified.

Every call is a form-encoded POST to ``fb.do`` (so the token and the signature
travel in the body, never in a URL) with ``application_key``, ``format=json``
and ``sig``. Signature (``docs/networks/ok.md`` §1.2): all parameters except
``access_token``/``session_key``/``sig``, sorted by key, concatenated as
``k=v`` without separators, followed by ``md5(access_token + application
secret)``; the md5 of that, over UTF-8 bytes, in lower-case hex. Errors come at
HTTP 200 as ``{"error_code", "error_msg"}`` (and an ``invocation-error``
header); successful bodies may be arrays, strings, booleans or null.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from hub.errors import (
    ApiError,
    AuthError,
    EntityGoneError,
    RateLimitedError,
    TransientError,
)
from hub.http import Limits, async_client, post_form
from hub.log import get_logger
from hub.ratelimit import RateLimiter
from hub.retry import with_retries

TRANSIENT = {1, 2, 30, 31, 9999}
#: pause lengths: flood blocks clear in minutes, call quotas and action blocks in hours
PAUSE_SECONDS = {8: 600, 11: 3600, 7: 3 * 3600}
AUTH = {9, 10, 50, 101, 102, 103, 104, 105, 200, 210, 511, 514}
GONE = {106, 141, 300, 455, 456, 457, 458, 700, 702}
#: what besides the account's token an auth error may point at
SECRET_CODES = {101, 104, 105, 210}
UNSIGNED = {"access_token", "session_key", "sig"}
#: PARAM_SESSION_EXPIRED: the access token's time is up (a refreshable one is refreshed)
SESSION_EXPIRED = 102

log = get_logger("hub.ok")


def md5_hex(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()  # noqa: S324 - OK's protocol


def signature(params: dict[str, str], access_token: str, application_secret: str) -> str:
    secret = md5_hex(access_token + application_secret)
    joined = "".join(f"{key}={params[key]}" for key in sorted(params) if key not in UNSIGNED)
    return md5_hex(joined + secret)


def classify(code: int, message: str, method: str | None = None, secret_env: str = "") -> ApiError:
    kw: dict[str, Any] = {"code": code, "method": method}
    if code in TRANSIENT:
        return TransientError(message, **kw)
    if code in PAUSE_SECONDS:
        return RateLimitedError(message, retry_after=PAUSE_SECONDS[code], **kw)
    if code in AUTH:
        also = None
        if code in SECRET_CODES:
            also = f"the application key and the secret in ${secret_env}"
        return AuthError(message, also_check=also, **kw)
    if code in GONE:
        return EntityGoneError(message, **kw)
    return ApiError(message, **kw)


def form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)


class OkClient:
    def __init__(
        self,
        *,
        api_base: str,
        application_key: str,
        application_secret: str,
        secret_env: str,
        requests_per_second: float,
        timeout: float = 30.0,
        limits: Limits | None = None,
    ):
        self.api_base = api_base
        self.application_key = application_key
        self._application_secret = application_secret
        self.secret_env = secret_env
        self.limiter = RateLimiter(requests_per_second, scope="ok")
        self.requests = 0
        #: the core's refresh for a token OK calls expired (hub.networks.TokenSource.renew)
        self.renew: Callable[[str], str | None] | None = None
        self.limits = limits or Limits(read_seconds=timeout)
        self._http = async_client(timeout=self.limits.timeout())

    async def aclose(self) -> None:
        await self._http.aclose()

    def signed_form(self, token: str, method: str, params: dict[str, Any]) -> dict[str, str]:
        """The exact body sent: empty values dropped *before* signing.

        See ``docs/networks/ok.md`` §1.1 and §1.2.
        """
        form = {k: form_value(v) for k, v in params.items() if v is not None and v != ""}
        form.update(method=method, application_key=self.application_key, format="json")
        form["sig"] = signature(form, token, self._application_secret)
        form["access_token"] = token
        return form

    async def call(
        self, token: str, method: str, params: dict[str, Any], *, retry: bool = True
    ) -> Any:
        """One signed call; raises a classified ApiError.

        Reads are retried on transient errors; writes pass ``retry=False`` and
        are sent again only when OK surely did nothing (no connection); otherwise
        the caller verifies, since a lost answer may hide a success.
        """
        try:
            return await with_retries(lambda: self._post(token, method, params), write=not retry)
        except AuthError as exc:
            fresh = await self._renewed(token, exc)
            if fresh is None:
                raise
        # OK refused the expired session: nothing was applied, so even a write goes again
        return await with_retries(lambda: self._post(fresh, method, params), write=not retry)

    async def _renewed(self, token: str, exc: AuthError) -> str | None:
        """A refreshed token when OK says the session expired (error 102) and it can be."""
        if exc.code != SESSION_EXPIRED or self.renew is None:
            return None
        fresh = await asyncio.to_thread(self.renew, token)  # a file lock and an HTTP call
        return fresh if fresh and fresh != token else None

    async def _post(self, token: str, method: str, params: dict[str, Any]) -> Any:
        await self.limiter.acquire(token)
        self.requests += 1
        body, headers = await post_form(
            self._http,
            self.api_base,
            network="OK",
            method=method,
            data=self.signed_form(token, method, params),
            limits=self.limits,
        )
        if isinstance(body, dict) and "error_code" in body:
            raise classify(
                int(body.get("error_code") or 0),
                str(body.get("error_msg") or ""),
                method,
                self.secret_env,
            )
        header = headers.get("invocation-error")
        if header and header.strip().isdigit():
            raise classify(
                int(header),
                "error reported in the invocation-error header",
                method,
                self.secret_env,
            )
        return body

    async def upload(self, url: str, files: list[tuple[str, bytes, str]]) -> Any:
        """POST image files (``pic1..picN``) to an upload URL OK handed out; its JSON answer.

        The URL carries its own one-off upload key and no token, so nothing is
        signed; messages show it without the query all the same. Transport and
        status failures are classified like API calls; an upload stores no post,
        so a caller may repeat it.
        """
        parts = urlsplit(url)
        multipart = [
            (f"pic{n}", (name, data, mime)) for n, (name, data, mime) in enumerate(files, 1)
        ]
        body, _ = await post_form(
            self._http,
            url,
            network="OK",
            service="OK upload server",
            method="photo upload",
            files=multipart,
            limits=self.limits,
            where=f"{parts.scheme}://{parts.netloc}{parts.path}",
        )
        if isinstance(body, dict) and "error_code" in body:
            code = int(body.get("error_code") or 0)
            raise classify(code, str(body.get("error_msg") or ""), "photo upload", self.secret_env)
        return body
