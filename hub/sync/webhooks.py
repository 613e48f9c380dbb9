"""Webhooks: events a network POSTs to the daemon, for networks that declare ``WEBHOOKS``.

A network table that names ``webhook_path`` (and ``webhook_secret_env``, the variable
holding the secret the network repeats in its ``webhook_secret_header``) is served by
the daemon on ``webhook_host:webhook_port`` of the same table (loopback by default: an
HTTPS proxy on port 443 forwards to it). For each request:

1. the secret is compared in constant time; a wrong or missing one is ``403`` and
   nothing is read further (a forged event never reaches the database);
2. the network turns the body into batches per account
   (:meth:`hub.network.Network.webhook_batches`);
3. each batch is stored as an event batch (:func:`hub.sync.events.store_events`, one
   transaction), and only then is ``200`` answered. A failure to store is ``503``:
   the network delivers again later, and storing is an upsert, so a duplicate (a
   retry whose first ``200`` was lost) is absorbed. A body the network cannot read is
   logged and answered ``200``, since a resend would not read better.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ..errors import ConfigError, TransientError
from ..log import get_logger
from ..models import Account
from ..network import WEBHOOKS, Network
from ..secrets import redact, secret_from_env
from ..store import Store
from .events import store_events

log = get_logger("hub.sync.webhooks")
MAX_BODY = 1024 * 1024
HEAD_TIMEOUT = 10.0


@dataclass
class Endpoint:
    path: str
    network: Network
    accounts: list[Account]
    secret: str


def endpoints(networks: dict[str, Network], accounts: list[Account]) -> list[Endpoint]:
    """The webhook endpoints the configured networks ask for (``webhook_path`` set)."""
    out = []
    for name, network in networks.items():
        path = str(network.settings.get("webhook_path") or "")
        if not path or WEBHOOKS not in network.capabilities:
            continue
        variable = str(network.settings.get("webhook_secret_env") or "")
        if not variable:
            raise ConfigError(
                f"[networks.{name}] webhook_path is set but webhook_secret_env is not: name the "
                "variable holding the secret the network sends with each event"
            )
        secret = secret_from_env(variable, "the webhook secret")
        mine = [a for a in accounts if a.network == name]
        out.append(Endpoint(path, network, mine, secret))
    return out


async def receive(
    store: Store, endpoint: Endpoint, headers: dict[str, str], body: bytes
) -> tuple[int, str]:
    """Check, read and store one delivery; the status to answer, and a word for the log."""
    header = (endpoint.network.webhook_secret_header or "").lower()
    given = headers.get(header, "")
    if not hmac.compare_digest(given.encode(), endpoint.secret.encode()):
        log.warning("webhook refused: wrong secret", network=endpoint.network.name)
        return 403, "forbidden"
    try:
        batches = await endpoint.network.webhook_batches(endpoint.accounts, body)
    except TransientError as exc:  # a lookup the network must answer first: deliver again
        log.warning("webhook not read yet", network=endpoint.network.name, error=redact(str(exc)))
        return 503, "retry"
    except Exception as exc:  # unreadable: a resend would not read better
        log.error(
            "webhook body not read",
            network=endpoint.network.name,
            error_type=type(exc).__name__,
            error=redact(str(exc))[:200],
        )
        return 200, "skipped"
    try:
        for account, batch in batches:
            store_events(store, account, batch, f"webhook:{account.id}", endpoint.network.name)
    except Exception as exc:  # a locked database: not stored, so not acknowledged
        log.error("webhook not stored", network=endpoint.network.name, error=redact(repr(exc)))
        return 503, "retry"
    return 200, "ok"


Handler = Callable[[str, dict[str, str], bytes], Awaitable[tuple[int, str]]]


async def serve(host: str, port: int, handler: Handler) -> asyncio.base_events.Server:
    """A minimal HTTP/1.1 server for POSTs: one request per connection."""

    async def one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        status, text = 400, "bad request"
        try:
            async with asyncio.timeout(HEAD_TIMEOUT):
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        key, value = line.split(":", 1)
                        headers[key.strip().lower()] = value.strip()
                size = int(headers.get("content-length") or 0)
                if method != "POST":
                    status, text = 405, "method not allowed"
                elif size > MAX_BODY:
                    status, text = 413, "too large"
                else:
                    body = await reader.readexactly(size)
                    status, text = await handler(target.split("?", 1)[0], headers, body)
        except Exception as exc:  # a broken request: answered 400, the server goes on
            log.debug("webhook request unreadable", error=redact(repr(exc))[:200])
        payload = text.encode()
        reason = {200: "OK", 403: "Forbidden", 404: "Not Found", 503: "Service Unavailable"}
        writer.write(
            f"HTTP/1.1 {status} {reason.get(status, 'Error')}\r\nContent-Type: text/plain\r\n"
            f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
            + payload
        )
        with contextlib.suppress(Exception):
            await writer.drain()
            writer.close()
            await writer.wait_closed()

    return await asyncio.start_server(one, host, port)


async def serve_endpoints(
    store: Store, listed: list[Endpoint], host: str, port: int
) -> asyncio.base_events.Server:
    by_path = {e.path: e for e in listed}

    async def handler(path: str, headers: dict[str, str], body: bytes) -> tuple[int, str]:
        endpoint = by_path.get(path)
        if endpoint is None:
            return 404, "not found"
        return await receive(store, endpoint, headers, body)

    return await serve(host, port, handler)
