"""The HTTP edge every plugin shares: one POST, with transport and status errors classified.

What a network says inside a 200 answer is the plugin's to classify; what the
transport and the status line say is the same for every network, so it lives here.
"""

from __future__ import annotations

import functools
import ssl
from typing import Any

import httpx

from .errors import ApiError, TransientError
from .log import get_logger
from .secrets import redact

log = get_logger("hub.http")


@functools.cache
def _tls() -> ssl.SSLContext:
    """httpx's default verifying TLS context, built once: building it costs ~30 ms."""
    return httpx.create_ssl_context()


def async_client(**kwargs: Any) -> httpx.AsyncClient:
    """An httpx client for a plugin or the core; certificates verified as by default.

    Every client shares one TLS context, so opening a network for one action
    (a deletion, a publication) costs a fraction of a millisecond, not 30 ms.
    """
    return httpx.AsyncClient(verify=_tls(), **kwargs)


async def post_form(
    client: httpx.AsyncClient,
    url: str,
    *,
    network: str,
    method: str,
    data: dict[str, str] | None = None,
    json: Any = None,
    headers: dict[str, str] | None = None,
    where: str | None = None,
    errors_in_body: bool = False,
    timeout: float | None = None,
    files: Any = None,
    service: str | None = None,
) -> tuple[Any, httpx.Headers]:
    """POST a form (multipart with ``files``); return the decoded JSON body and the headers.

    Raises TransientError for what is worth retrying (no connection, a timeout,
    HTTP 5xx or 429, a body that is not JSON: a proxy's error page), with
    ``maybe_applied=False`` only when the connection never opened; ApiError for
    other HTTP errors. ``where`` is what messages may show of the URL: a network
    that puts its token in the path (Telegram) passes the URL without it. With
    ``errors_in_body`` a 4xx answer with a JSON body is returned for the plugin
    to classify (Telegram's status line repeats the error its body explains).
    ``service`` names what answers when it is not the network's API (an upload
    server), so every message says who failed.
    """
    where = where or url
    speaker = service or network
    try:
        response = await client.post(
            url,
            data=data,
            json=json,
            files=files,
            headers=headers,
            timeout=httpx.USE_CLIENT_DEFAULT if timeout is None else timeout,
        )
    except httpx.TransportError as exc:
        raise TransientError(
            f"{service or network + ' API'} at {where} unreachable "
            f"({type(exc).__name__}: {redact(str(exc))})",
            method=method,
            maybe_applied=not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout),
        ) from None
    log.debug(
        "api request",
        network=network,
        method=method,
        where=where,
        status=response.status_code,
        bytes=len(response.content),
    )
    status = response.status_code
    if status in (408, 499):  # a proxy gave up waiting: the request may have been applied
        raise TransientError(f"{speaker} answered HTTP {status}", method=method)
    if status >= 500 or (status == 429 and not errors_in_body):
        raise TransientError(f"{speaker} answered HTTP {status}", method=method)
    if status >= 400 and not errors_in_body:
        raise ApiError(f"{speaker} answered HTTP {status}", method=method)
    try:
        body = response.json()
    except ValueError:
        if status >= 400:
            raise ApiError(f"{speaker} answered HTTP {status}", method=method) from None
        message = f"{speaker} answered with a body that is not JSON"
        raise TransientError(message, method=method) from None
    return body, response.headers
