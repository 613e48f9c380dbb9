"""The HTTP edge every plugin shares: one request, bounded, with its errors classified.

What a network says inside a 200 answer is the plugin's to classify; what the
transport and the status line say is the same for every network, so it lives here.

Every request is bounded: httpx's connect and read timeouts catch a silent server,
but not one that trickles a byte every few seconds, nor one that streams without
end; so the answer is read as a stream under a deadline for the whole exchange and
a cap on its size, and its JSON nesting is bounded before it is parsed.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import json as jsonlib
import re
import ssl
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import httpx

from .errors import ApiError, TransientError
from .log import get_logger
from .secrets import redact

log = get_logger("hub.http")

MIB = 1024 * 1024
#: no network nests its answers more than a dozen levels; Python's parser fails with a
#: RecursionError near 1,000, and code walking a parsed answer would fail later still
MAX_JSON_DEPTH = 200
#: an upload gets this many more seconds per MiB it sends: 1 Mbit/s, a slow rural line
UPLOAD_SECONDS_PER_MIB = 8.0


@dataclass(frozen=True)
class Limits:
    """How long one request may take and how much it may answer.

    ``section`` is the config table that sets them (``networks.vk``), so a message
    can say which key to raise. ``total_seconds`` bounds the whole exchange, from
    connecting to the last byte of the answer: the read timeout alone restarts with
    every byte, so a trickling answer would never end.
    """

    connect_seconds: float = 10.0
    read_seconds: float = 30.0
    total_seconds: float = 120.0
    max_answer_bytes: int = 32 * MIB
    section: str | None = None

    def timeout(self) -> httpx.Timeout:
        return httpx.Timeout(self.read_seconds, connect=self.connect_seconds)

    def waiting(self, seconds: float) -> Limits:
        """The limits of a long poll, whose server holds the answer back ``seconds`` on purpose."""
        if seconds <= 0:
            return self
        return replace(
            self,
            read_seconds=self.read_seconds + seconds,
            total_seconds=self.total_seconds + seconds,
        )

    def hint(self, key: str) -> str:
        """Where to raise a limit, for the end of a message."""
        if not self.section:
            return ""
        return f"; raise [{self.section}] {key} if that is expected"


DEFAULT_LIMITS = Limits()


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


async def send_bounded(
    client: httpx.AsyncClient,
    request: httpx.Request,
    *,
    limits: Limits,
    who: str,
    method: str,
    where: str,
    extra_seconds: float = 0.0,
) -> tuple[httpx.Response, bytes]:
    """Send ``request``; return the response and its body, read within ``limits``.

    Raises TransientError when the connection fails, a timeout or the deadline
    passes (``maybe_applied=False`` only when the connection never opened), or the
    answer is larger than allowed. ``extra_seconds`` lengthens the deadline (an upload).
    """
    deadline = limits.total_seconds + extra_seconds
    try:
        async with asyncio.timeout(deadline):
            response = await client.send(request, stream=True)
            try:
                content = await _read_capped(response, limits, who, method)
            finally:
                await response.aclose()
    except TimeoutError:
        raise TransientError(
            f"{who} did not finish answering {method} within {deadline:g} s"
            + limits.hint("total_timeout_seconds"),
            method=method,
        ) from None
    except httpx.TransportError as exc:
        raise TransientError(
            f"{who} at {where} unreachable ({type(exc).__name__}: {redact(str(exc))})",
            method=method,
            maybe_applied=not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout),
        ) from None
    return response, content


async def _read_capped(response: httpx.Response, limits: Limits, who: str, method: str) -> bytes:
    """The body, stopped as soon as it outgrows the cap (counted decompressed)."""
    cap = limits.max_answer_bytes
    declared = response.headers.get("content-length", "")
    too_big = declared.isdigit() and int(declared) > cap
    chunks: list[bytes] = []
    size = 0
    if not too_big:
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > cap:
                too_big = True
                break
            chunks.append(chunk)
    if too_big:
        raise TransientError(
            f"{who} answered more than {cap / MIB:g} MiB for {method}"
            + limits.hint("max_answer_mb"),
            method=method,
        )
    return b"".join(chunks)


_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_EMPTY_PAIR = re.compile(rb"\[\]|\{\}")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def json_depth_ok(content: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``content`` nests arrays and objects at most ``limit`` deep.

    Checked on the bytes, before parsing: strings removed, then the brackets alone,
    innermost pairs stripped once per level, so a typical answer costs a few passes
    of C-speed regular expressions and a hostile one at most ``limit``.
    """
    if content.count(b"[") + content.count(b"{") <= limit:
        return True
    brackets = _outside_strings(content).translate(None, _NOT_BRACKETS)
    for _ in range(limit):
        if not brackets:
            return True
        brackets = _EMPTY_PAIR.sub(b"", brackets)
    return not brackets


def _outside_strings(content: bytes) -> bytes:
    """The JSON text without its strings; without escaped quotes every quote delimits one."""
    if b'\\"' not in content:
        return b"".join(content.split(b'"')[::2])  # ~4 times faster than the expression
    return _STRING.sub(b"", content)


def decode_json(content: bytes, who: str) -> Any:
    """The parsed body; ValueError (with the reason) when it is not JSON or nests too deep."""
    if not json_depth_ok(content):
        raise ValueError(f"{who} answered JSON nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        return jsonlib.loads(content)
    except (ValueError, RecursionError):  # RecursionError: cannot happen after the check
        raise ValueError(f"{who} answered with a body that is not JSON") from None


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
    limits: Limits = DEFAULT_LIMITS,
    wait: float = 0.0,
    files: Any = None,
    service: str | None = None,
) -> tuple[Any, httpx.Headers]:
    """POST a form (multipart with ``files``); return the decoded JSON body and the headers.

    Raises TransientError for what is worth retrying (no connection, a timeout, the
    deadline or the size cap of ``limits`` passed, HTTP 5xx or 429, a body that is
    not JSON: a proxy's error page), with ``maybe_applied=False`` only when the
    connection never opened; ApiError for other HTTP errors. ``where`` is what
    messages may show of the URL: a network that puts its token in the path
    (Telegram) passes the URL without it. With ``errors_in_body`` a 4xx answer with
    a JSON body is returned for the plugin to classify (Telegram's status line
    repeats the error its body explains). ``service`` names what answers when it is
    not the network's API (an upload server), so every message says who failed.
    ``wait`` is how long the server holds the answer on purpose (a long poll).
    """
    where = where or url
    speaker = service or network
    limits = limits.waiting(wait)
    request = client.build_request(
        "POST",
        url,
        data=data,
        json=json,
        files=files,
        headers=headers,
        timeout=limits.timeout(),
    )
    upload_mib = _upload_size(files) / MIB
    response, content = await send_bounded(
        client,
        request,
        limits=limits,
        who=service or f"{network} API",
        method=method,
        where=where,
        extra_seconds=upload_mib * UPLOAD_SECONDS_PER_MIB,
    )
    status = response.status_code
    log.debug(
        "api request",
        network=network,
        method=method,
        where=where,
        status=status,
        bytes=len(content),
    )
    if status in (408, 499):  # a proxy gave up waiting: the request may have been applied
        raise TransientError(f"{speaker} answered HTTP {status}", method=method)
    if status >= 500 or (status == 429 and not errors_in_body):
        raise TransientError(
            f"{speaker} answered HTTP {status}",
            method=method,
            retry_after=retry_after_seconds(response.headers),
        )
    if status >= 400 and not errors_in_body:
        raise ApiError(f"{speaker} answered HTTP {status}", method=method)
    try:
        body = decode_json(content, speaker)
    except ValueError as exc:
        if status >= 400:
            raise ApiError(f"{speaker} answered HTTP {status}", method=method) from None
        raise TransientError(str(exc), method=method) from None
    return body, response.headers


def retry_after_seconds(headers: httpx.Headers | dict[str, str] | None) -> float | None:
    """The wait an HTTP ``Retry-After`` header asks for (seconds or a date); None without one."""
    value = (headers or {}).get("retry-after") or (headers or {}).get("Retry-After")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None  # unreadable: the usual back-off
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def _upload_size(files: Any) -> int:
    """Bytes of the files of a multipart request (a dict or a list of parts)."""
    if not files:
        return 0
    parts = files.values() if isinstance(files, dict) else (part for _, part in files)
    return sum(len(p[1]) for p in parts if isinstance(p, tuple) and isinstance(p[1], bytes))
